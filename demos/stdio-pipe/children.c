/* children.c: the children that are this same program, run by the parent
 * with --as-child ROLE. echo sends back what it reads (the ping-pong); sink
 * reads as fast as it can (the stream); reader starts paused and reads when
 * told on fd 3 (backpressure); stdio counts its stdin and talks on the channel
 * at fd 3 (the stdio array). Each one narrates through the event fd its
 * parent gave it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "stdio-pipe.h"

/* ==== the children ======================================================== */

/* echo: every byte read from stdin goes back on stdout at once; each line is
 * a message in the flow. Blocking read() and write(): a filter like cat. */
int run_echo(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (scope_events_open("echo child", 0) < 0)
        return 1;
    scope_events_proc("start", getpid(), getppid(), "echo child", 0, 0);
    scope_events_log("read() on fd 0 (a pipe from the parent), write() back on fd 1 (a pipe to "
                     "it), line by line");
    static char buf[64 * 1024];
    uint64_t lines = 0, bytes = 0;
    size_t line_len = 0;
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(1, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                scope_events_log("write() on fd 1: %s; the parent is gone", strerror(errno));
                return 1;
            }
            off += w;
        }
        bytes += (uint64_t)n;
        for (const char *p = buf, *end = buf + n; p < end;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            line_len += (size_t)((nl ? nl + 1 : end) - p);
            if (!nl)
                break;
            p = nl + 1;
            lines++;
            if (scope_events_msg_admit()) {
                char sum[48];
                snprintf(sum, sizeof sum, "ping %llu", (unsigned long long)lines);
                scope_events_msg_emit_admitted("recv", "stdin", SCOPE_PID(getppid()),
                                               SCOPE_PID(getpid()), lines, line_len, sum, 0);
                scope_events_msg_emit_admitted("send", "stdout", SCOPE_PID(getpid()),
                                               SCOPE_PID(getppid()), lines, line_len, sum, 0);
            }
            line_len = 0;
        }
    }
    scope_events_log("read() returned 0 (EOF) on fd 0: the parent ended our stdin; %llu lines, "
                     "%llu bytes echoed; exiting 0",
                     (unsigned long long)lines, (unsigned long long)bytes);
    return 0;
}

/* sink: the stream's reader, a plain blocking read() loop like
 * 'cat >/dev/null', so that what is measured is the pipe and the writer. */
int run_sink(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (scope_events_open("reader", 0) < 0)
        return 1;
    scope_events_proc("start", getpid(), getppid(), "reader", 0, 0);
    static char buf[64 * 1024];
    unsigned long long bytes = 0, reads = 0;
    dprintf(1, "ready\n"); /* the parent's clock starts now */
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        bytes += (unsigned long long)n;
        reads++;
    }
    scope_events_log("read() returned 0 (EOF) on fd 0 after %llu bytes in %llu reads; telling "
                     "the parent on fd 1, exiting 0",
                     bytes, reads);
    dprintf(1, "read %llu bytes\n", bytes);
    return 0;
}

/* reader: the backpressure child. Paused until 'r' on fd 3 unless
 * --go; with --slow-reader, 4 KiB every 10 ms. */
static struct {
    uv_pipe_t in, ctl;
    uv_timer_t slow;
    int reading, paused, ctl_open;
    uint64_t bytes, reads, unreported, unreported_reads;
    char buf[64 * 1024], cbuf[16];
} rd;

static void reader_start(void);

static void rd_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(rd.buf, stdio_pipe.slow_reader ? 4096 : sizeof rd.buf);
}

static void rd_on_slow(uv_timer_t *t)
{
    (void)t;
    if (!rd.paused)
        reader_start();
}

static void rd_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    if (n < 0) {
        scope_events_log("read() returned 0 (EOF) on fd 0 after %llu bytes in %llu reads; "
                         "telling the parent on fd 1, exiting 0",
                         (unsigned long long)rd.bytes, (unsigned long long)rd.reads);
        dprintf(1, "read %llu bytes\n", (unsigned long long)rd.bytes);
        uv_close((uv_handle_t *)st, NULL);
        if (rd.ctl_open) {
            rd.ctl_open = 0;
            uv_close((uv_handle_t *)&rd.ctl, NULL);
        }
        uv_close((uv_handle_t *)&rd.slow, NULL);
        scope_demo_stop(&stdio_pipe.demo);
        return;
    }
    if (n == 0)
        return;
    rd.bytes += (uint64_t)n;
    rd.reads++;
    rd.unreported += (uint64_t)n;
    rd.unreported_reads++;
    /* One arrow per 64 KiB taken, however many read()s it took; a sink at
     * full speed draws none, its figures come at the end. */
    if (!stdio_pipe.reader_go && rd.unreported >= 64 * 1024) {
        char sum[80];
        snprintf(sum, sizeof sum, "%llu bytes in %llu read()s, %llu so far",
                 (unsigned long long)rd.unreported, (unsigned long long)rd.unreported_reads,
                 (unsigned long long)rd.bytes);
        scope_events_msg("recv", "stdin", SCOPE_PID(getppid()), SCOPE_PID(getpid()), rd.reads,
                         (size_t)rd.unreported, sum, 0);
        rd.unreported = rd.unreported_reads = 0;
    }
    if (stdio_pipe.slow_reader) {
        uv_read_stop(st);
        rd.reading = 0;
        uv_timer_start(&rd.slow, rd_on_slow, 10, 0);
    }
}

static void reader_start(void)
{
    if (rd.reading || uv_is_closing((uv_handle_t *)&rd.in))
        return;
    rd.reading = 1;
    uv_read_start((uv_stream_t *)&rd.in, rd_alloc, rd_read);
}

static void ctl_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(rd.cbuf, sizeof rd.cbuf);
}

static void ctl_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    if (n < 0) {
        rd.ctl_open = 0;
        uv_close((uv_handle_t *)st, NULL);
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (buf->base[i] == 'r' && rd.paused) {
            rd.paused = 0;
            scope_events_log("process.stdin.resume(): uv_read_start() on fd 0, read() again");
            reader_start();
        } else if (buf->base[i] == 'p' && !rd.paused) {
            rd.paused = 1;
            if (rd.reading && !uv_is_closing((uv_handle_t *)&rd.in))
                uv_read_stop((uv_stream_t *)&rd.in);
            rd.reading = 0;
            scope_events_log("process.stdin.pause(): uv_read_stop() on fd 0 after %llu bytes",
                             (unsigned long long)rd.bytes);
        }
    }
}

static void reader_quit(scope_demo_t *d)
{
    if (!uv_is_closing((uv_handle_t *)&rd.in))
        uv_close((uv_handle_t *)&rd.in, NULL);
    if (rd.ctl_open) {
        rd.ctl_open = 0;
        uv_close((uv_handle_t *)&rd.ctl, NULL);
    }
    if (!uv_is_closing((uv_handle_t *)&rd.slow))
        uv_close((uv_handle_t *)&rd.slow, NULL);
    scope_demo_stop(d);
}

int run_reader(void)
{
    stdio_pipe.demo.on_quit = reader_quit;
    uv_loop_t *loop = uv_default_loop();
    if (scope_demo_start(&stdio_pipe.demo, loop, "reader", 0) < 0)
        return 1;
    uv_pipe_init(loop, &rd.in, 0);
    uv_timer_init(loop, &rd.slow);
    if (uv_pipe_open(&rd.in, 0) < 0) {
        scope_events_error("reader", "fd 0 is not a pipe");
        return 1;
    }
    if (!stdio_pipe.reader_go) {
        uv_pipe_init(loop, &rd.ctl, 0);
        if (uv_pipe_open(&rd.ctl, 3) == 0) {
            rd.ctl_open = 1;
            uv_read_start((uv_stream_t *)&rd.ctl, ctl_alloc, ctl_read);
        } else {
            uv_close((uv_handle_t *)&rd.ctl, NULL);
        }
        rd.paused = 1;
        scope_events_log("process.stdin.pause(): fd 0 is open, but I do not read it; "
                         "waiting for 'r' on fd 3");
    } else {
        reader_start();
    }
    scope_demo_run(&stdio_pipe.demo);
    uv_loop_close(loop);
    return 0;
}

/* stdio: the child of stdio ['pipe', 'pipe', 'pipe', 'ipc']. Counts what
 * arrives on stdin, answers on stdout and stderr, and talks on the channel. */
static struct {
    uv_pipe_t in;
    scope_channel_t ch;
    uint64_t bytes;
    int eof, hello;
    char buf[64 * 1024];
} sc;

static void sc_maybe_end(void)
{
    if (!sc.eof || !sc.hello)
        return;
    scope_events_log("stdin ended and the hello is answered: process.disconnect(), exit 0");
    scope_channel_disconnect(&sc.ch);
}

static void sc_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(sc.buf, sizeof sc.buf);
}

static void sc_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    if (n > 0) {
        sc.bytes += (uint64_t)n;
        return;
    }
    if (n == 0)
        return;
    uv_close((uv_handle_t *)st, NULL);
    sc.eof = 1;
    scope_events_log("EOF on fd 0 after %llu bytes; answering on fd 1, fd 2 and fd 3",
                     (unsigned long long)sc.bytes);
    dprintf(1, "child: %llu bytes arrived on stdin (fd 0)\n", (unsigned long long)sc.bytes);
    dprintf(2, "child: this line went to stderr (fd 2)\n");
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "done");
    cJSON_AddNumberToObject(m, "bytes", (double)sc.bytes);
    scope_events_msg("send", "ipc", SCOPE_PID(getpid()), SCOPE_PID(getppid()), 0, 30,
                     "{\"type\":\"done\",...}", 0);
    scope_channel_send(&sc.ch, m);
    cJSON_Delete(m);
    sc_maybe_end();
}

static void sc_on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    (void)type;
    if (fd >= 0)
        close(fd);
    if (!cJSON_GetObjectItemCaseSensitive(msg, "hello"))
        return;
    scope_events_msg("recv", "ipc", SCOPE_PID(getppid()), SCOPE_PID(getpid()), 0,
                     ch->message_bytes, "{\"hello\":\"world\"}", 0);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddTrueToObject(r, "received");
    scope_events_msg("send", "ipc", SCOPE_PID(getpid()), SCOPE_PID(getppid()), 0, 18,
                     "{\"received\":true}", 0);
    scope_channel_send(ch, r);
    cJSON_Delete(r);
    sc.hello = 1;
    sc_maybe_end();
}

static void sc_on_disconnect(scope_channel_t *ch, int status)
{
    (void)ch;
    (void)status;
    if (!uv_is_closing((uv_handle_t *)&sc.in))
        uv_close((uv_handle_t *)&sc.in, NULL);
    scope_demo_stop(&stdio_pipe.demo);
}

static void sc_quit(scope_demo_t *d)
{
    scope_channel_close(&sc.ch);
    if (!uv_is_closing((uv_handle_t *)&sc.in))
        uv_close((uv_handle_t *)&sc.in, NULL);
    scope_demo_stop(d);
}

int run_stdio_child(void)
{
    stdio_pipe.demo.on_quit = sc_quit;
    uv_loop_t *loop = uv_default_loop();
    if (scope_demo_start(&stdio_pipe.demo, loop, "stdio child", 0) < 0)
        return 1;
    sc.ch.on_message = sc_on_message;
    sc.ch.on_disconnect = sc_on_disconnect;
    int r = scope_channel_open_env(loop, &sc.ch);
    if (r < 0) {
        scope_events_error("channel", "no IPC channel at NODE_CHANNEL_FD: %s", strerror(-r));
        return 1;
    }
    scope_events_log("fds 0, 1 and 2 are pipes to the parent; NODE_CHANNEL_FD=3 names the "
                     "channel, opened as an ipc pipe");
    uv_pipe_init(loop, &sc.in, 0);
    uv_pipe_open(&sc.in, 0);
    uv_read_start((uv_stream_t *)&sc.in, sc_alloc, sc_read);
    scope_events_proc("ready", getpid(), getppid(), "stdio child", 0, 0);
    scope_demo_run(&stdio_pipe.demo);
    uv_loop_close(loop);
    return 0;
}

