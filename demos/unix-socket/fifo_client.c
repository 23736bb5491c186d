/* fifo_client.c: a writer of up.fifo (--fifo); client 1 also reads its
 * answers from down.fifo.
 *
 * Each line is one write(): "ping PID ID T PADLEN" and PADLEN times a letter
 * of its own, --size bytes in all. Up to PIPE_BUF bytes it lands whole,
 * whatever the other writers do; over it, the server may find it torn.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "unix-socket.h"

static struct {
    scope_demo_t *d;
    int index, up_pending, down_pending, up_ok, down_ok, awaiting, writes, done, open, finished;
    char up[PATH_MAX + 16], down[PATH_MAX + 16];
    uv_fs_t up_req, down_req;
    uint64_t t0, t_sent;
    uv_pipe_t up_pipe, down_pipe;
    scope_ndjson_t lines;
    scope_trace_t trace;
    scope_pacer_t pacer;
    char *line;
    size_t cap;
} w;

static void next(void);

static void finish(void)
{
    if (w.finished++)
        return;
    scope_trace_close(&w.trace);
    scope_ndjson_free(&w.lines);
    free(w.line);
    scope_demo_stop(w.d);
}

static void on_closed(uv_handle_t *h)
{
    (void)h;
    if (--w.open == 0 && !w.up_pending && !w.down_pending)
        finish();
}

/* The last line written, close both ends: the server sees EOF once every
 * writer has done so. */
static void end(void)
{
    w.done = 1;
    scope_pacer_close(&w.pacer);
    if (w.writes)
        return; /* on_written comes back here */
    if (w.up_pending)
        fifo_unblock(w.up, O_RDONLY);
    if (w.down_pending)
        fifo_unblock(w.down, O_WRONLY);
    if (w.up_ok) {
        w.up_ok = 0;
        uv_close((uv_handle_t *)&w.up_pipe, on_closed);
    }
    if (w.down_ok) {
        w.down_ok = 0;
        uv_close((uv_handle_t *)&w.down_pipe, on_closed);
    }
    if (w.open == 0 && !w.up_pending && !w.down_pending)
        finish();
}

static void on_written(uv_write_t *req, int status)
{
    free(req);
    w.writes--;
    if (status < 0)
        scope_events_error("write", "up.fifo: %s (the reader is gone)", uv_strerror(status));
    if (status < 0 || w.done) {
        end();
        return;
    }
    if (!w.awaiting)
        next();
}

static void ping(scope_pacer_t *p)
{
    size_t size = w.d->size;
    long pid = (long)getpid();
    (void)p;
    if (w.cap < size + 128 && !(w.line = realloc(w.line, w.cap = size + 128))) {
        end();
        return;
    }
    int n = snprintf(w.line, w.cap, "ping %ld %llu %llu ", pid,
                     (unsigned long long)w.trace.sent + 1, (unsigned long long)scope_time_now_ns());
    /* the pad's own length is in the line: the pad that makes it --size */
    size_t pad = 1;
    for (int digits = 1; digits <= 9; digits++) {
        size_t room = size > (size_t)n + digits + 1 ? size - (size_t)n - digits - 1 : 0;
        if (room && snprintf(NULL, 0, "%zu", room) == digits) {
            pad = room;
            break;
        }
    }
    n += snprintf(w.line + n, w.cap - (size_t)n, "%zu ", pad);
    memset(w.line + n, 'a' + pid % 26, pad);
    n += (int)pad;
    w.line[n++] = '\n';
    /* Only client 1 reads answers, and only to a line that cannot tear. */
    w.awaiting = w.index == 1 && (size_t)n <= PIPE_BUF;
    scope_trace_send(&w.trace, w.line, (size_t)n);
    w.t_sent = scope_time_now_ns();
    uv_write_t *req = malloc(sizeof *req + (size_t)n);
    if (!req) {
        end();
        return;
    }
    memcpy(req + 1, w.line, (size_t)n);
    uv_buf_t b = uv_buf_init((char *)(req + 1), (unsigned)n); /* one write() of n bytes */
    if (uv_write(req, (uv_stream_t *)&w.up_pipe, &b, 1, on_written) < 0) {
        free(req);
        end();
        return;
    }
    w.writes++;
}

static void next(void)
{
    if ((long)w.trace.sent >= w.d->count)
        end();
    else if (!w.done)
        scope_pacer_next(&w.pacer, ping);
}

static void on_line(void *arg, cJSON *v, const char *line, size_t len)
{
    (void)arg;
    (void)v;
    scope_trace_reply(&w.trace, line, len + 1, w.t_sent ? scope_time_now_ns() - w.t_sent : 0);
    w.t_sent = 0;
    if (w.awaiting)
        next();
}

static void down_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    static char b[64 * 1024];
    (void)h;
    (void)hint;
    *buf = uv_buf_init(b, sizeof b);
}

static void on_down_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    (void)s;
    if (n > 0)
        scope_ndjson_feed(&w.lines, buf->base, (size_t)n);
    else if (n < 0)
        end();
}

static void ready(void)
{
    if (w.up_pending || w.down_pending || w.done)
        return;
    scope_trace_open(&w.trace, "fifo", w.index == 1 ? "up.fifo, pongs on down.fifo"
                                                    : "writes up.fifo, shared");
    scope_trace_stats_start(&w.trace, w.d->loop, 500);
    scope_events_proc("ready", getpid(), getppid(), w.d->role ? w.d->role : "client", 0, 0);
    if (w.down_ok)
        uv_read_start((uv_stream_t *)&w.down_pipe, down_alloc, on_down_read);
    next();
}

static int opened(uv_fs_t *req, uv_pipe_t *pipe, const char *what, const char *server_was)
{
    int fd = (int)req->result;
    char waited[32];
    scope_time_format(waited, sizeof waited, (double)(scope_time_now_ns() - w.t0));
    uv_fs_req_cleanup(req);
    if (fd < 0)
        scope_events_error("open", "open(%s): %s", what, uv_strerror(fd));
    else if (w.done)
        close(fd);
    else
        scope_events_log("open(%s) -> fd %d after %s: the server was already waiting to %s",
                         what, fd, waited, server_was);
    if (fd < 0 || w.done)
        return 0;
    uv_pipe_init(w.d->loop, pipe, 0);
    uv_pipe_open(pipe, fd);
    w.open++;
    return 1;
}

static void on_up_opened(uv_fs_t *req)
{
    w.up_pending = 0;
    w.up_ok = opened(req, &w.up_pipe, "up.fifo, O_WRONLY", "read, so no wait here");
    w.up_ok ? ready() : end();
}

static void on_down_opened(uv_fs_t *req)
{
    w.down_pending = 0;
    w.down_ok = opened(req, &w.down_pipe, "down.fifo, O_RDONLY", "write");
    w.down_ok ? ready() : end();
}

static void on_quit(scope_demo_t *d)
{
    (void)d;
    end();
}

int fifo_client(scope_demo_t *d, const char *dir, int index)
{
    char chan[32];
    w.d = d;
    w.index = index;
    d->on_quit = on_quit;
    snprintf(w.up, sizeof w.up, "%s/up.fifo", dir);
    snprintf(w.down, sizeof w.down, "%s/down.fifo", dir);
    snprintf(chan, sizeof chan, "fifo:%ld", (long)getpid());
    scope_trace_init(&w.trace, chan, SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    scope_lines_init(&w.lines, 1 << 20, on_line, NULL, NULL);
    scope_pacer_init(d, &w.pacer);
    w.t0 = scope_time_now_ns();
    w.up_pending = 1;
    uv_fs_open(d->loop, &w.up_req, w.up, O_WRONLY | O_CLOEXEC, 0, on_up_opened);
    if (index == 1) {
        w.down_pending = 1;
        uv_fs_open(d->loop, &w.down_req, w.down, O_RDONLY | O_CLOEXEC, 0, on_down_opened);
    }
    return 0;
}

const scope_trace_t *fifo_client_trace(void)
{
    return &w.trace;
}

/* A blocked open() of a FIFO waits for the other end: to stop it, be it. */
void fifo_unblock(const char *path, int flags)
{
    int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0)
        close(fd);
}
