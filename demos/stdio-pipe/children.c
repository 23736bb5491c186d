/* children.c: this program as the child, started by the parent through
 * lib/role with --as-child KIND, its stdin and stdout the parent's pipes:
 * echo (the ping-pong), sink (the stream), reader (backpressure) and stdio
 * (the stdio array's child, stdio.c). Each narrates on the event fd lib/role
 * gave it; its stdout is data. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "stdio-pipe.h"

static char buf[64 * 1024];
static scope_trace_t in, out; /* echo's: each line a message, both ways */
static size_t line;           /* echo's: the bytes of the line so far */

/* echo, like cat: each chunk written back on fd 1. */
static int echo(const char *data, size_t n)
{
    ssize_t w = 0;
    for (size_t off = 0; off < n; off += w > 0 ? (size_t)w : 0)
        if ((w = write(1, data + off, n - off)) < 0 && errno != EINTR) {
            scope_events_log("write() on fd 1: %s; the parent is gone", strerror(errno));
            return -1;
        }
    for (const char *p = data, *end = data + n, *nl; p < end; p = nl + 1, line = 0) {
        if (!(nl = memchr(p, '\n', (size_t)(end - p)))) {
            line += (size_t)(end - p); /* the rest of it comes with the next read() */
            break;
        }
        line += (size_t)(nl - p);
        scope_trace_recv(&in, p, line);
        scope_trace_send(&out, p, line);
    }
    return 0;
}

/* echo, sink and stdio: a plain blocking read() loop on fd 0 until EOF, with
 * no event loop (lib/demo's signal watchers go): what is measured is the pipe
 * and the writer, and SIGTERM ends it as it ends cat. Each chunk goes to
 * each, when there is one. Returns the bytes read, or -1. */
static long long read_all(scope_demo_t *d, int (*each)(const char *data, size_t n))
{
    long long bytes = 0;
    ssize_t n;
    scope_demo_stop(d);
    while ((n = read(0, buf, sizeof buf)) != 0)
        if (n > 0 && each && each(buf, (size_t)n) < 0)
            return -1;
        else if (n > 0)
            bytes += n;
        else if (errno != EINTR)
            break;
    scope_events_log("EOF on fd 0 after %lld bytes", bytes);
    return bytes;
}

/* ---- reader: paused until 'r' on fd 3; then pause and resume follow the
 * dashboard's; with --slow-reader, 4 KiB every 10 ms. -------------------- */

static struct {
    uv_pipe_t in, ctl;
    uv_timer_t slow;
    scope_trace_t t;
    int told, paused, slow_reader;
    uint64_t unreported;
} rd;

static void rd_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    (void)h, (void)hint;
    *b = uv_buf_init(buf, rd.slow_reader ? 4096 : sizeof buf);
}

static void rd_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b);

static void rd_start(uv_timer_t *t)
{
    (void)t;
    if (!rd.paused && !uv_is_closing((uv_handle_t *)&rd.in))
        uv_read_start((uv_stream_t *)&rd.in, rd_alloc, rd_read);
}

static void rd_close(scope_demo_t *d)
{
    uv_close((uv_handle_t *)&rd.in, NULL);
    uv_close((uv_handle_t *)&rd.ctl, NULL);
    uv_close((uv_handle_t *)&rd.slow, NULL);
    scope_demo_stop(d);
}

static void rd_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    unsigned long long total = (unsigned long long)(rd.t.bytes_received + rd.unreported);
    (void)b;
    if (n < 0) {
        scope_events_log("EOF on fd 0 after %llu bytes", total);
        dprintf(1, "read %llu bytes\n", total);
        rd_close(s->data);
        return;
    }
    /* One arrow per 64 KiB taken, however many read()s it took. */
    if ((rd.unreported += (uint64_t)n) >= 64 * 1024) {
        char label[48];
        snprintf(label, sizeof label, "%llu bytes so far", total + (unsigned long long)n);
        scope_trace_note(&rd.t, SCOPE_TRACE_RECV, label, rd.unreported);
        rd.unreported = 0;
    }
    if (rd.slow_reader) {
        uv_read_stop(s);
        uv_timer_start(&rd.slow, rd_start, 10, 0);
    }
}

static void rd_pause(int pause, const char *why)
{
    if (pause == rd.paused || uv_is_closing((uv_handle_t *)&rd.in))
        return;
    if ((rd.paused = pause))
        uv_read_stop((uv_stream_t *)&rd.in);
    else
        rd_start(NULL);
    scope_events_log("process.stdin.%s(): uv_read_%s() on fd 0 after %llu bytes (%s)",
                     pause ? "pause" : "resume", pause ? "stop" : "start",
                     (unsigned long long)(rd.t.bytes_received + rd.unreported),
                     scope_events_tr(why));
}

/* fd 3 is read until EOF: while paused, it is what keeps our loop alive. */
static void ctl_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    if (n < 0)
        uv_read_stop(s);
    if (n > 0 && memchr(b->base, 'r', (size_t)n) && !rd.told) {
        rd.told = 1;
        rd_pause(0, N_("'r' on fd 3"));
    }
}

static void rd_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)d, (void)msg;
    if (rd.told && strcmp(cmd, "pause") == 0)
        rd_pause(1, N_("the dashboard's pause"));
    else if (rd.told && (strcmp(cmd, "resume") == 0 || strcmp(cmd, "step") == 0))
        rd_pause(0, N_("the dashboard's resume"));
}

static int run_reader(scope_demo_t *d)
{
    d->on_control = rd_control;
    d->on_quit = rd_close;
    rd.paused = 1;
    scope_trace_init(&rd.t, "stdin", SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    uv_pipe_init(d->loop, &rd.in, 0);
    uv_pipe_init(d->loop, &rd.ctl, 0);
    uv_timer_init(d->loop, &rd.slow);
    rd.in.data = d;
    if (uv_pipe_open(&rd.in, 0) < 0 || uv_pipe_open(&rd.ctl, 3) < 0) {
        scope_events_error("reader", "fd 0 and fd 3 must be pipes from the parent");
        rd_close(d);
        scope_demo_exit(d, 1);
    } else {
        uv_read_start((uv_stream_t *)&rd.ctl, rd_alloc, ctl_read);
        scope_events_log("process.stdin.pause(): fd 0 unread until 'r' on fd 3");
    }
    return scope_demo_run(d);
}

int child_main(scope_demo_t *d, const stdio_opts_t *o)
{
    d->narrate_stderr = 1; /* started by hand: its stdout is data */
    rd.slow_reader = o->slow_reader;
    if (scope_demo_start(d, uv_default_loop(), d->role ? d->role : o->as_child, 0) < 0)
        return 1;
    if (strcmp(o->as_child, "reader") == 0)
        return run_reader(d);
    if (strcmp(o->as_child, "stdio") == 0)
        return stdio_child(d, (unsigned long long)read_all(d, NULL));
    if (strcmp(o->as_child, "echo") == 0) {
        scope_trace_init(&in, "stdin", SCOPE_PID(getpid()), SCOPE_PID(getppid()));
        scope_trace_init(&out, "stdout", SCOPE_PID(getpid()), SCOPE_PID(getppid()));
        in.framing_bytes = out.framing_bytes = 1; /* each line's newline */
        scope_events_log("read() on fd 0, write() back on fd 1, line by line");
        return read_all(d, echo) < 0 ? 1 : scope_demo_run(d);
    }
    dprintf(1, "ready\n"); /* the sink: the parent's clock starts now */
    dprintf(1, "read %lld bytes\n", read_all(d, NULL));
    return scope_demo_run(d);
}
