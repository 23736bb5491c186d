/* backpressure.c: the reader (this program again,
 * children.c) starts paused: it does not read its stdin. The writer writes
 * 1 MiB at once, ignoring what write() says. The pipe's buffer
 * (F_GETPIPE_SZ, 64 KiB) fills, write(2) says EAGAIN, and the writer's queue
 * grows: node's write() returns false. Then the reader resumes (a byte, 'r',
 * on its fd 3): the queue drains, watched with FIONREAD and
 * uv_stream_get_write_queue_size, and node emits 'drain'.
 *
 * The dashboard's pause and resume reach the reader through lib/role's
 * relay: once it has been told to read, it stops and starts with them. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "stdio-pipe.h"

#define CHUNK (16 * 1024) /* one stream.write() of the burst */

static struct {
    stdio_child_t child;
    uv_timer_t monitor, stall;
    int ctl;                /* our end of the pipe at the reader's fd 3 */
    int resumed, drained, wait_resume, false_at, over;
    size_t pipe_size, queue_max, fill_max, last_queue, last_fill;
    uint64_t last_log;
    long long read;         /* what the reader says it read */
} bp;

static size_t pipe_fill(stdio_child_t *c)
{
    int n = 0;
    return c->open[0] && ioctl(c->fd[0], FIONREAD, &n) == 0 ? (size_t)n : 0;
}

/* One look at the pipe and the queue: a log line with the figures as fields
 * (a stats event would claim latencies a one-way stream does not have). */
static void report(int force)
{
    stdio_child_t *c = &bp.child;
    size_t queue = child_queue(c), fill = pipe_fill(c);
    uint64_t now = scope_time_now_ns(), in_kernel = c->written - queue;
    uint64_t taken = in_kernel > fill ? in_kernel - fill : 0;
    bp.queue_max = queue > bp.queue_max ? queue : bp.queue_max;
    bp.fill_max = fill > bp.fill_max ? fill : bp.fill_max;
    int changed = queue != bp.last_queue || fill != bp.last_fill;
    if (!force && (!changed || now - bp.last_log < 250000000ull))
        return;
    bp.last_log = now;
    bp.last_queue = queue;
    bp.last_fill = fill;
    char text[256];
    snprintf(text, sizeof text,
             "pipe: %zu of %zu bytes (FIONREAD); writer's queue: %zu bytes; the reader has "
             "taken %llu of %llu",
             fill, bp.pipe_size, queue, (unsigned long long)taken,
             (unsigned long long)c->written);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", text);
    cJSON_AddStringToObject(o, "chan", "stdin");
    cJSON_AddNumberToObject(o, "queued", (double)queue);
    cJSON_AddNumberToObject(o, "in_pipe", (double)fill);
    cJSON_AddNumberToObject(o, "pipe_size", (double)bp.pipe_size);
    cJSON_AddNumberToObject(o, "written", (double)c->written);
    cJSON_AddNumberToObject(o, "taken", (double)taken);
    scope_events_emit("log", o);
}

static void on_monitor(uv_timer_t *t)
{
    (void)t;
    if (bp.child.open[0])
        report(0);
}

/* Step 2, once the stall is over: the reader resumes. */
void backpressure_resume(scope_demo_t *d)
{
    if (bp.over) { /* the reader is gone already: nothing to resume */
        scope_demo_next(d);
        return;
    }
    if (bp.resumed)
        return;
    if (d->paused) { /* paused from the dashboard: the reader stays away until resume */
        bp.wait_resume = 1;
        scope_events_log("paused: the reader stays away until resume");
        return;
    }
    bp.resumed = 1;
    ssize_t n;
    do
        n = write(bp.ctl, "r", 1);
    while (n < 0 && errno == EINTR);
    scope_events_log("told the reader to resume (one byte, 'r', on its fd 3): "
                     "process.stdin.resume()%s",
                     ((const stdio_opts_t *)d->data)->slow_reader ? "; it takes 4 KiB every 10 ms" : "");
    report(1);
}

void backpressure_control(scope_demo_t *d, const char *cmd)
{
    if (bp.wait_resume && (strcmp(cmd, "resume") == 0 || strcmp(cmd, "step") == 0)) {
        bp.wait_resume = 0;
        backpressure_resume(d);
    }
}

static void on_stall(uv_timer_t *t)
{
    scope_demo_next(t->data);
}

static void on_written(stdio_child_t *c)
{
    if (bp.drained || c->writes > 0)
        return;
    bp.drained = 1;
    report(1);
    scope_events_log("'drain': every queued byte went into the pipe and the queue is empty; "
                     "write() would return true again. child.stdin.end(): close(fd %d)",
                     c->fd[0]);
    child_end(c);
}

static void on_data(stdio_child_t *c, int fd, const char *data, size_t len)
{
    char line[64];
    scope_trace_recv(fd == 1 ? &c->out : &c->err, data, len);
    snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), data);
    if (fd == 1)
        sscanf(line, "read %lld bytes", &bp.read); /* the reader's last word */
    else
        scope_events_log("child.stderr 'data' (fd %d): %s", c->fd[2], line);
}

static void on_close(stdio_child_t *c)
{
    scope_demo_t *d = c->demo;
    size_t burst = ((const stdio_opts_t *)d->data)->burst;
    uv_close((uv_handle_t *)&bp.monitor, NULL);
    uv_close((uv_handle_t *)&bp.stall, NULL);
    close(bp.ctl);
    check_killed(c, 0);
    if (c->sig) {
        scope_events_log("the reader was killed by SIG%s before it read everything",
                         sigabbrev_np(c->sig));
    } else if (bp.read != (long long)burst || c->code != 0 || !bp.drained) {
        check_failed(d, "backpressure: the reader read %lld of %zu bytes, exit %d, "
                     "drained %d", bp.read, burst, c->code, bp.drained);
    } else {
        scope_events_log("the reader exited 0, and all %zu bytes arrived. At most %zu bytes "
                         "waited in the pipe and %zu in the writer's queue: memory the writer "
                         "held because it did not wait for 'drain'",
                         burst, bp.fill_max, bp.queue_max);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "pipe_size", (double)bp.pipe_size);
    cJSON_AddNumberToObject(o, "max_queue", (double)bp.queue_max);
    cJSON_AddNumberToObject(o, "max_in_pipe", (double)bp.fill_max);
    cJSON_AddNumberToObject(o, "written", (double)burst);
    cJSON_AddNumberToObject(o, "read", (double)bp.read);
    cJSON_AddBoolToObject(o, "drained", bp.drained);
    scope_demo_figure(d, "backpressure", o);
    bp.over = 1;
    scope_demo_next(d);
}

/* Step 1: the burst, written at once into a pipe nobody reads. */
void backpressure_fill(scope_demo_t *d)
{
    const stdio_opts_t *opt = d->data;
    int ctl[2], r;
    bp.read = -1;
    if (pipe2(ctl, O_CLOEXEC) < 0) {
        check_failed(d, "pipe2: %s", strerror(errno));
        bp.over = 1;
        scope_demo_next(d);
        return;
    }
    char *argv[] = {"--as-child", "reader", opt->slow_reader ? "--slow-reader" : NULL, NULL};
    child_opts_t o = {.argv = argv, .fd3 = ctl[0]};
    stdio_child_t *c = &bp.child;
    c->name = "reader";
    c->on_data = on_data;
    c->on_written = on_written;
    c->on_close = on_close;
    if ((r = child_spawn(c, d, &o)) < 0) {
        close(ctl[1]);
        check_failed(d, "cannot start the reader: %s", strerror(-r));
        bp.over = 1;
        scope_demo_next(d);
        return;
    }
    bp.ctl = ctl[1];
    bp.pipe_size = (size_t)fcntl(c->fd[0], F_GETPIPE_SZ);
    scope_events_log("fcntl(fd %d, F_GETPIPE_SZ) = %zu: what the pipe holds before a writer must "
                     "wait (F_SETPIPE_SZ could change it, up to /proc/sys/fs/pipe-max-size)",
                     c->fd[0], bp.pipe_size);
    /* The careless writer: write() after write(), whatever write() says. */
    static char chunk[CHUNK];
    memset(chunk, 'x', sizeof chunk);
    int nwrites = 0;
    for (size_t left = opt->burst; left > 0; nwrites++) {
        size_t n = left < CHUNK ? left : CHUNK;
        child_write(c, chunk, n);
        left -= n;
        if (!bp.false_at && child_queue(c) >= HIGH_WATER)
            bp.false_at = nwrites + 1; /* node's writableLength reached the highWaterMark */
    }
    size_t queue = child_queue(c);
    scope_events_log("%d x child.stdin.write(%d KiB) in one go: write(2) took %zu bytes, then "
                     "said EAGAIN; libuv queued the other %zu",
                     nwrites, CHUNK / 1024, (size_t)c->written - queue, queue);
    if (bp.false_at)
        scope_events_log("node's write() would have said false from call %d on: its "
                         "writableLength, the queue, reached the highWaterMark (%d). A careful "
                         "writer stops there and waits for 'drain'; this one went on",
                         bp.false_at, HIGH_WATER);
    else
        scope_events_log("the pipe took the whole burst (%zu bytes): nothing to queue",
                         pipe_fill(c));
    report(1);
    uv_timer_init(d->loop, &bp.monitor);
    uv_timer_init(d->loop, &bp.stall);
    bp.stall.data = d;
    uv_timer_start(&bp.monitor, on_monitor, 100, 100);
    scope_events_log("the reader stays away for %ld ms: the pipe stays full, the queue stays "
                     "where it is",
                     opt->stall_ms);
    uv_timer_start(&bp.stall, on_stall, (uint64_t)opt->stall_ms, 0);
}
