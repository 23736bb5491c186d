/* stream.c: the same pipe at full speed, written with care:
 * while the writer's queue is under the highWaterMark, write; else wait for
 * a write to complete, as a node writer waits for 'drain'. The reader (this
 * program again, children.c) reads all the time; the clock starts at its
 * "ready" and stops at its "read N bytes", both on its stdout. */
#include <string.h>

#include "stdio-pipe.h"

#define CHUNK (64 * 1024)

static struct {
    stdio_child_t child;
    size_t total, queued;
    uint64_t t0, t1;
    long long read;
} sm = {.read = -1};

static void pump(stdio_child_t *c)
{
    static char chunk[CHUNK];
    size_t total = sm.total;
    if (!sm.t0)
        return;
    while (sm.queued < total && child_queue(c) < HIGH_WATER && c->open[0]) {
        size_t n = total - sm.queued < CHUNK ? total - sm.queued : CHUNK;
        if (child_write(c, chunk, n) < 0)
            return;
        sm.queued += n;
    }
    if (sm.queued >= total && !c->ending && c->open[0])
        child_end(c);
}

static void on_data(stdio_child_t *c, int fd, const char *data, size_t len)
{
    uint64_t now = scope_time_now_ns();
    char line[64];
    scope_trace_recv(fd == 1 ? &c->out : &c->err, data, len);
    snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), data);
    if (fd == 2) {
        scope_events_log("child.stderr 'data' (fd %d): %s", c->fd[2], line);
    } else if (sscanf(line, "read %lld bytes", &sm.read) == 1) {
        sm.t1 = now;
    } else if (!sm.t0 && strncmp(line, "ready\n", 6) == 0) {
        /* Its execve() and start-up are not the pipe's cost. */
        sm.t0 = now;
        pump(c);
    }
}

static void on_close(stdio_child_t *c)
{
    size_t total = sm.total;
    check_killed(c, 0);
    if (!c->sig && (c->code != 0 || sm.read != (long long)total || !sm.t1)) {
        check_failed(c->demo, "stream: the reader read %lld of %zu bytes, exit %d",
                     sm.read, total, c->code);
    } else if (!c->sig) {
        double secs = (double)(sm.t1 - sm.t0) / 1e9, bps = (double)total / secs;
        scope_events_log("the reader exited 0. %zu bytes in %.1f ms: %.0f MB/s through one "
                         "pipe, %d KiB per write(), never more than the highWaterMark queued",
                         total, secs * 1e3, bps / 1e6, CHUNK / 1024);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "bytes", (double)total);
        cJSON_AddNumberToObject(o, "ns", (double)(sm.t1 - sm.t0));
        cJSON_AddNumberToObject(o, "bps", bps);
        scope_demo_figure(c->demo, "stream", o);
    }
    scope_demo_next(c->demo);
}

void stream_run(scope_demo_t *d)
{
    char *argv[] = {"--as-child", "sink", NULL};
    child_opts_t o = {.argv = argv, .fd3 = -1};
    sm.total = ((const stdio_opts_t *)d->data)->stream_bytes;
    stdio_child_t *c = &sm.child;
    c->name = "reader";
    c->on_data = on_data;
    c->on_written = pump;
    c->on_close = on_close;
    int r = child_spawn(c, d, &o);
    if (r < 0) {
        check_failed(d, "cannot start the reader: %s", strerror(-r));
        scope_demo_next(d);
        return;
    }
    scope_events_log("%zu bytes to a reader that reads all the time, written with care: while "
                     "the queue is under the highWaterMark, write; else wait for a write to "
                     "complete, as for 'drain'. The clock starts at the reader's 'ready'",
                     sm.total);
}
