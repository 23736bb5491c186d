/* backpressure.c: one pipe, two writers, and a reader (children.c). The
 * careless writer writes 1 MiB at once into a reader that does not read: the
 * pipe fills, write(2) says EAGAIN, the queue grows, and drains once the
 * reader resumes. The careful writer (the stream) waits for 'drain', at full
 * speed, timed from the reader's "ready" to its "read N bytes". */
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
    scope_pacer_t resume; /* not while the dashboard has paused us */
    int ctl; /* our end of the pipe at the reader's fd 3 */
    int drained, false_at, over;
    size_t pipe_size, queue_max, fill_max, last_queue, last_fill;
} bp;
static char chunk[64 * 1024]; /* what both writers write: never changed */

/* The reader's stdout: "ready", then "read N bytes". */
static void on_data(stdio_child_t *c, int fd, const char *data, size_t len)
{
    reader_t *r = scope_container_of(c, reader_t, child);
    char line[64];
    child_data(c, fd, data, len);
    snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), data);
    if (fd == 1 && sscanf(line, "read %lld bytes", &r->read) == 1) {
        r->t1 = scope_time_now_ns();
    } else if (fd == 1 && !r->t0 && strncmp(line, "ready\n", 6) == 0) {
        r->t0 = scope_time_now_ns(); /* its execve() and start-up are not the pipe's cost */
        child_pump(c, chunk, sizeof chunk, r->total);
    }
}

static int start_reader(reader_t *r, scope_demo_t *d, const char *kind, int fd3, child_cb written,
                        child_cb closed)
{
    char *argv[] = {"--as-child", (char *)kind,
                    ((const stdio_opts_t *)d->data)->slow_reader ? "--slow-reader" : NULL, NULL};
    r->read = -1;
    r->child = (stdio_child_t){.name = "reader", .argv = argv, .fd3 = fd3, .on_data = on_data,
                               .on_written = written, .on_close = closed};
    int e = child_spawn(&r->child, d);
    if (!scope_demo_check(d, e == 0, "check", "cannot start the reader: %s", strerror(-e)))
        scope_demo_next(d);
    return e;
}

/* ---- the careless writer ------------------------------------------------ */

/* One look at the pipe (FIONREAD) and the queue: a log line with the figures
 * as fields (a stats event would claim latencies a one-way stream lacks). */
static void report(int force)
{
    stdio_child_t *c = &bp.r.child;
    int fill = 0;
    if (c->open[0])
        ioctl(c->fd[0], FIONREAD, &fill);
    size_t queue = child_queue(c), taken = c->written - queue - (size_t)fill;
    bp.queue_max = queue > bp.queue_max ? queue : bp.queue_max;
    bp.fill_max = (size_t)fill > bp.fill_max ? (size_t)fill : bp.fill_max;
    if (!force && queue == bp.last_queue && (size_t)fill == bp.last_fill)
        return; /* nothing new */
    bp.last_queue = queue, bp.last_fill = (size_t)fill;
    char text[160];
    snprintf(text, sizeof text,
             scope_events_tr("pipe: %d of %zu bytes; writer's queue: %zu; the reader took "
                             "%zu of %zu"),
             fill, bp.pipe_size, queue, taken, (size_t)c->written);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", text);
    cJSON_AddStringToObject(o, "chan", "stdin");
    cJSON_AddNumberToObject(o, "queued", (double)queue);
    cJSON_AddNumberToObject(o, "in_pipe", fill);
    cJSON_AddNumberToObject(o, "pipe_size", (double)bp.pipe_size);
    scope_events_emit("log", o);
}

static void on_timer(uv_timer_t *t)
{
    if (t == &bp.stall)
        scope_demo_next(t->data);
    else if (bp.r.child.open[0])
        report(0);
}

static void tell_reader(scope_pacer_t *p)
{
    (void)p;
    while (write(bp.ctl, "r", 1) < 0 && errno == EINTR)
        ;
    scope_events_log("told the reader to resume: 'r' on its fd 3");
    report(1);
}

void backpressure_resume(scope_demo_t *d)
{
    if (bp.over) { /* the reader is gone already: nothing to resume */
        scope_demo_next(d);
        return;
    }
    if (d->paused)
        scope_events_log("paused: the reader stays away until resume");
    scope_pacer_next(&bp.resume, tell_reader);
}

static void on_written(stdio_child_t *c)
{
    if (bp.drained || c->writes > 0)
        return;
    bp.drained = 1;
    report(1);
    scope_events_log("'drain': every queued byte is in the pipe; child.stdin.end()");
    child_end(c);
}

static void on_close(stdio_child_t *c)
{
    scope_demo_t *d = c->demo;
    size_t burst = ((const stdio_opts_t *)d->data)->burst;
    uv_close((uv_handle_t *)&bp.monitor, NULL);
    uv_close((uv_handle_t *)&bp.stall, NULL);
    scope_pacer_close(&bp.resume);
    close(bp.ctl);
    if (!child_cut(c, 0) &&
        scope_demo_check(d, bp.r.read == (long long)burst && !c->code && bp.drained, "check",
                         "backpressure: the reader read %lld of %zu bytes, exit %d, drained %d",
                         bp.r.read, burst, c->code, bp.drained))
        scope_events_log("all %zu bytes arrived; at most %zu waited in the pipe, %zu in our queue",
                         burst, bp.fill_max, bp.queue_max);
    scope_demo_figure(d, "backpressure.read", cJSON_CreateNumber((double)bp.r.read));
    scope_demo_figure(d, "backpressure.drained", cJSON_CreateBool(bp.drained));
    bp.over = 1;
    scope_demo_next(d);
}

void backpressure_fill(scope_demo_t *d)
{
    const stdio_opts_t *opt = d->data;
    stdio_child_t *c = &bp.r.child;
    int ctl[2];
    bp.over = 1; /* until the reader runs */
    if (!scope_demo_check(d, pipe2(ctl, O_CLOEXEC) == 0, "check", "pipe2: %s", strerror(errno))) {
        scope_demo_next(d);
        return;
    }
    if (start_reader(&bp.r, d, "reader", ctl[0], on_written, on_close) < 0) {
        close(ctl[1]);
        return;
    }
    bp.over = 0;
    bp.ctl = ctl[1];
    bp.pipe_size = (size_t)fcntl(c->fd[0], F_GETPIPE_SZ);
    scope_events_log("fcntl(fd %d, F_GETPIPE_SZ) = %zu: what the pipe holds", c->fd[0],
                     bp.pipe_size);
    /* The careless writer: write() after write(), whatever write() says. */
    int nwrites = 0;
    for (size_t left = opt->burst, n; left > 0; left -= n, nwrites++) {
        child_write(c, chunk, n = left < CHUNK ? left : CHUNK);
        if (!bp.false_at && child_queue(c) >= HIGH_WATER)
            bp.false_at = nwrites + 1; /* node's writableLength reached the highWaterMark */
    }
    scope_events_log("%d x child.stdin.write(%d KiB): the pipe took %zu bytes, libuv queued %zu",
                     nwrites, CHUNK / 1024, (size_t)c->written - child_queue(c), child_queue(c));
    if (bp.false_at)
        scope_events_log("node's write() would have said false from call %d on", bp.false_at);
    report(1);
    uv_timer_init(d->loop, &bp.monitor);
    uv_timer_init(d->loop, &bp.stall);
    scope_pacer_init(d, &bp.resume);
    bp.stall.data = d;
    uv_timer_start(&bp.monitor, on_timer, 250, 250);
    scope_events_log("the reader stays away for %lld ms", opt->stall_ms);
    uv_timer_start(&bp.stall, on_timer, (uint64_t)opt->stall_ms, 0);
}

/* ---- the careful writer, at full speed ---------------------------------- */

static void pump(stdio_child_t *c)
{
    if (sm.t0) /* not before the reader's "ready" */
        child_pump(c, chunk, sizeof chunk, sm.total);
}

static void stream_closed(stdio_child_t *c)
{
    if (!child_cut(c, 0) &&
        scope_demo_check(c->demo, !c->code && sm.read == (long long)sm.total && sm.t1, "check",
                         "stream: the reader read %lld of %zu bytes, exit %d", sm.read, sm.total,
                         c->code)) {
        double secs = (double)(sm.t1 - sm.t0) / 1e9, bps = (double)sm.total / secs;
        scope_events_log("%zu bytes in %.1f ms: %.0f MB/s through one pipe", sm.total, secs * 1e3,
                         bps / 1e6);
        scope_demo_figure(c->demo, "stream.bytes", cJSON_CreateNumber((double)sm.total));
        scope_demo_figure(c->demo, "stream.ns", cJSON_CreateNumber((double)(sm.t1 - sm.t0)));
        scope_demo_figure(c->demo, "stream.bps", cJSON_CreateNumber(bps));
    }
    scope_demo_next(c->demo);
}

void stream_run(scope_demo_t *d)
{
    sm.total = ((const stdio_opts_t *)d->data)->stream;
    if (start_reader(&sm, d, "sink", 0, pump, stream_closed) == 0)
        scope_events_log("%zu bytes, written while the queue is under the highWaterMark",
                         sm.total);
}
