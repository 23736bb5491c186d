/* backpressure.c: one pipe, two writers, and a reader that is this program
 * again (children.c).
 *
 * The careless writer (two steps): the reader starts paused, not reading its
 * stdin; the writer writes 1 MiB at once, whatever write() says. The pipe's
 * buffer (F_GETPIPE_SZ, 64 KiB) fills, write(2) says EAGAIN and the writer's
 * queue grows: node's write() returns false. Then the reader resumes (a
 * byte, 'r', on its fd 3): the queue drains, watched with FIONREAD and
 * uv_stream_get_write_queue_size, and node emits 'drain'. The dashboard's
 * pause and resume reach the reader through lib/role's relay.
 *
 * The careful writer (the stream): child_pump writes while the queue is under
 * the highWaterMark and waits for 'drain', at full speed, timed from the
 * reader's "ready" to its "read N bytes", both on its stdout. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "stdio-pipe.h"

#define CHUNK (16 * 1024) /* one stream.write() of the burst */

typedef struct {
    stdio_child_t child;
    long long read;   /* what the reader says it read, -1 until it says */
    uint64_t t0, t1;  /* its "ready" and its last word */
    size_t total;
} reader_t;

static reader_t sm; /* the stream's */
static struct {
    reader_t r;
    uv_timer_t monitor, stall;
    int ctl; /* our end of the pipe at the reader's fd 3 */
    int resumed, drained, wait_resume, false_at, over;
    size_t pipe_size, queue_max, fill_max, last_queue, last_fill;
    uint64_t last_log;
} bp;
static char chunk[64 * 1024]; /* what both writers write: never changed */

/* The reader's stdout: "ready", then "read N bytes"; its stderr, narrated. */
static void on_data(stdio_child_t *c, int fd, const char *data, size_t len)
{
    reader_t *r = scope_container_of(c, reader_t, child);
    char line[64];
    scope_trace_recv(fd == 1 ? &c->out : &c->err, data, len);
    snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), data);
    if (fd == 2) {
        scope_events_log("child.stderr 'data' (fd %d): %s", c->fd[2], line);
    } else if (sscanf(line, "read %lld bytes", &r->read) == 1) {
        r->t1 = scope_time_now_ns();
    } else if (!r->t0 && strncmp(line, "ready\n", 6) == 0) {
        r->t0 = scope_time_now_ns(); /* its execve() and start-up are not the pipe's cost */
        child_pump(c, chunk, sizeof chunk, r->total);
    }
}

static int start_reader(reader_t *r, scope_demo_t *d, const char *kind, int fd3, child_cb written,
                        child_cb closed)
{
    const stdio_opts_t *opt = d->data;
    char *argv[] = {"--as-child", (char *)kind, opt->slow_reader ? "--slow-reader" : NULL, NULL};
    child_opts_t o = {.argv = argv, .fd3 = fd3};
    r->read = -1;
    r->child.name = "reader";
    r->child.on_data = on_data;
    r->child.on_written = written;
    r->child.on_close = closed;
    int e = child_spawn(&r->child, d, &o);
    if (e < 0) {
        check_failed(d, "cannot start the reader: %s", strerror(-e));
        scope_demo_next(d);
    }
    return e;
}

/* ---- the careless writer ------------------------------------------------ */

static size_t pipe_fill(stdio_child_t *c)
{
    int n = 0;
    return c->open[0] && ioctl(c->fd[0], FIONREAD, &n) == 0 ? (size_t)n : 0;
}

/* One look at the pipe and the queue: a log line with the figures as fields
 * (a stats event would claim latencies a one-way stream does not have). */
static void report(int force)
{
    stdio_child_t *c = &bp.r.child;
    size_t queue = child_queue(c), fill = pipe_fill(c);
    uint64_t now = scope_time_now_ns(), in_kernel = c->written - queue;
    uint64_t taken = in_kernel > fill ? in_kernel - fill : 0;
    bp.queue_max = queue > bp.queue_max ? queue : bp.queue_max;
    bp.fill_max = fill > bp.fill_max ? fill : bp.fill_max;
    if (!force && ((queue == bp.last_queue && fill == bp.last_fill) || now - bp.last_log < 250000000ull))
        return;
    bp.last_log = now, bp.last_queue = queue, bp.last_fill = fill;
    char text[256];
    snprintf(text, sizeof text, "pipe: %zu of %zu bytes (FIONREAD); writer's queue: %zu bytes; "
             "the reader has taken %llu of %llu", fill, bp.pipe_size, queue,
             (unsigned long long)taken, (unsigned long long)c->written);
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
    if (bp.r.child.open[0])
        report(0);
}

static void tell_reader(scope_demo_t *d)
{
    bp.resumed = 1;
    while (write(bp.ctl, "r", 1) < 0 && errno == EINTR)
        ;
    scope_events_log("told the reader to resume (one byte, 'r', on its fd 3): "
                     "process.stdin.resume()%s",
                     ((const stdio_opts_t *)d->data)->slow_reader ? "; it takes 4 KiB every 10 ms" : "");
    report(1);
}

/* Step 2, once the stall is over: the reader resumes. */
void backpressure_resume(scope_demo_t *d)
{
    if (bp.over) /* the reader is gone already: nothing to resume */
        scope_demo_next(d);
    else if (!bp.resumed && (bp.wait_resume = d->paused))
        scope_events_log("paused: the reader stays away until resume");
    else if (!bp.resumed)
        tell_reader(d);
}

void backpressure_control(scope_demo_t *d, const char *cmd)
{
    if (bp.wait_resume && (strcmp(cmd, "resume") == 0 || strcmp(cmd, "step") == 0)) {
        bp.wait_resume = 0;
        tell_reader(d);
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

static void on_close(stdio_child_t *c)
{
    scope_demo_t *d = c->demo;
    size_t burst = ((const stdio_opts_t *)d->data)->burst;
    uv_close((uv_handle_t *)&bp.monitor, NULL);
    uv_close((uv_handle_t *)&bp.stall, NULL);
    close(bp.ctl);
    check_killed(c, 0);
    if (!c->sig && (bp.r.read != (long long)burst || c->code != 0 || !bp.drained))
        check_failed(d, "backpressure: the reader read %lld of %zu bytes, exit %d, drained %d",
                     bp.r.read, burst, c->code, bp.drained);
    else if (!c->sig)
        scope_events_log("the reader exited 0, and all %zu bytes arrived. At most %zu bytes "
                         "waited in the pipe and %zu in the writer's queue: memory the writer "
                         "held because it did not wait for 'drain'",
                         burst, bp.fill_max, bp.queue_max);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "pipe_size", (double)bp.pipe_size);
    cJSON_AddNumberToObject(o, "max_queue", (double)bp.queue_max);
    cJSON_AddNumberToObject(o, "max_in_pipe", (double)bp.fill_max);
    cJSON_AddNumberToObject(o, "written", (double)burst);
    cJSON_AddNumberToObject(o, "read", (double)bp.r.read);
    cJSON_AddBoolToObject(o, "drained", bp.drained);
    scope_demo_figure(d, "backpressure", o);
    bp.over = 1;
    scope_demo_next(d);
}

/* Step 1: the burst, written at once into a pipe nobody reads. */
void backpressure_fill(scope_demo_t *d)
{
    const stdio_opts_t *opt = d->data;
    stdio_child_t *c = &bp.r.child;
    int ctl[2];
    if (pipe2(ctl, O_CLOEXEC) < 0) {
        check_failed(d, "pipe2: %s", strerror(errno));
        bp.over = 1;
        scope_demo_next(d);
        return;
    }
    if (start_reader(&bp.r, d, "reader", ctl[0], on_written, on_close) < 0) {
        close(ctl[1]);
        bp.over = 1;
        return;
    }
    bp.ctl = ctl[1];
    bp.pipe_size = (size_t)fcntl(c->fd[0], F_GETPIPE_SZ);
    scope_events_log("fcntl(fd %d, F_GETPIPE_SZ) = %zu: what the pipe holds before a writer must "
                     "wait (F_SETPIPE_SZ could change it, up to /proc/sys/fs/pipe-max-size)",
                     c->fd[0], bp.pipe_size);
    /* The careless writer: write() after write(), whatever write() says. */
    int nwrites = 0;
    for (size_t left = opt->burst, n; left > 0; left -= n, nwrites++) {
        child_write(c, chunk, n = left < CHUNK ? left : CHUNK);
        if (!bp.false_at && child_queue(c) >= HIGH_WATER)
            bp.false_at = nwrites + 1; /* node's writableLength reached the highWaterMark */
    }
    size_t queue = child_queue(c);
    scope_events_log("%d x child.stdin.write(%d KiB) in one go: write(2) took %zu bytes, then "
                     "said EAGAIN; libuv queued the other %zu",
                     nwrites, CHUNK / 1024, (size_t)c->written - queue, queue);
    if (bp.false_at)
        scope_events_log("node's write() would have said false from call %d on (its "
                         "writableLength reached the highWaterMark, %d): a careful writer waits "
                         "there for 'drain'; this one went on", bp.false_at, HIGH_WATER);
    report(1);
    uv_timer_init(d->loop, &bp.monitor);
    uv_timer_init(d->loop, &bp.stall);
    bp.stall.data = d;
    uv_timer_start(&bp.monitor, on_monitor, 100, 100);
    scope_events_log("the reader stays away for %ld ms: the pipe stays full, the queue where it "
                     "is", opt->stall_ms);
    uv_timer_start(&bp.stall, on_stall, (uint64_t)opt->stall_ms, 0);
}

/* ---- the careful writer, at full speed ---------------------------------- */

static void pump(stdio_child_t *c)
{
    if (sm.t0) /* not before the reader's "ready" */
        child_pump(c, chunk, sizeof chunk, sm.total);
}

static void stream_closed(stdio_child_t *c)
{
    check_killed(c, 0);
    if (!c->sig && (c->code != 0 || sm.read != (long long)sm.total || !sm.t1)) {
        check_failed(c->demo, "stream: the reader read %lld of %zu bytes, exit %d", sm.read,
                     sm.total, c->code);
    } else if (!c->sig) {
        double secs = (double)(sm.t1 - sm.t0) / 1e9, bps = (double)sm.total / secs;
        scope_events_log("the reader exited 0. %zu bytes in %.1f ms: %.0f MB/s through one "
                         "pipe, %zu KiB per write(), never more than the highWaterMark queued",
                         sm.total, secs * 1e3, bps / 1e6, sizeof chunk / 1024);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "bytes", (double)sm.total);
        cJSON_AddNumberToObject(o, "ns", (double)(sm.t1 - sm.t0));
        cJSON_AddNumberToObject(o, "bps", bps);
        scope_demo_figure(c->demo, "stream", o);
    }
    scope_demo_next(c->demo);
}

void stream_run(scope_demo_t *d)
{
    sm.total = ((const stdio_opts_t *)d->data)->stream_bytes;
    if (start_reader(&sm, d, "sink", -1, pump, stream_closed) == 0)
        scope_events_log("%zu bytes to a reader that reads all the time, written with care: "
                         "while the queue is under the highWaterMark, write; then wait for "
                         "'drain'. The clock starts at the reader's 'ready'", sm.total);
}
