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

#include "unix-socket.h"

static struct {
    scope_demo_t *d;
    int index, pending, up_open, down_open, awaiting, writes, done, finished;
    char up[PATH_MAX + 16], down[PATH_MAX + 16];
    uv_fs_t up_req, down_req;
    uint64_t t0, t_sent;
    uv_pipe_t up_pipe;
    scope_conn_t answers; /* down.fifo, client 1's, cut into lines */
    scope_trace_t trace;
    scope_pacer_t pacer;
} w;

static void next(void);

static void finish(void)
{
    if (w.up_open || w.down_open || w.pending || w.finished++)
        return;
    scope_trace_close(&w.trace);
    scope_pacer_close(&w.pacer);
    scope_demo_stop(w.d);
}

static void on_up_closed(uv_handle_t *h)
{
    (void)h;
    w.up_open = 0;
    finish();
}

static void on_down_closed(scope_conn_t *c)
{
    (void)c;
    w.down_open = 0;
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
    if (w.pending) { /* an open() still blocked: be its other end */
        fifo_unblock(w.up, O_RDONLY);
        fifo_unblock(w.down, O_WRONLY);
    }
    if (w.up_open && !uv_is_closing((uv_handle_t *)&w.up_pipe))
        uv_close((uv_handle_t *)&w.up_pipe, on_up_closed);
    if (w.down_open)
        scope_conn_close(&w.answers);
    finish();
}

static void on_written(uv_write_t *req, int status)
{
    free(req);
    w.writes--;
    if (status < 0)
        scope_events_error("write", "up.fifo: %s (the reader is gone)", uv_strerror(status));
    if (status < 0 || w.done)
        end();
    else if (!w.awaiting)
        next();
}

static void ping(scope_pacer_t *p)
{
    size_t size = p->demo->size;
    long pid = (long)getpid();
    uv_write_t *req = malloc(sizeof *req + size + 128);
    if (!req) {
        end();
        return;
    }
    char *line = (char *)(req + 1);
    int n = snprintf(line, 128, "ping %ld %llu %llu ", pid, (unsigned long long)w.trace.sent + 1,
                     (unsigned long long)scope_time_now_ns());
    /* the pad's own length is in the line: the pad that makes it --size */
    size_t pad = 1;
    for (int digits = 1; digits <= 9; digits++) {
        size_t room = size > (size_t)n + digits + 1 ? size - (size_t)n - digits - 1 : 0;
        if (room && snprintf(NULL, 0, "%zu", room) == digits) {
            pad = room;
            break;
        }
    }
    n += snprintf(line + n, 32, "%zu ", pad);
    memset(line + n, 'a' + pid % 26, pad);
    n += (int)pad;
    line[n++] = '\n';
    /* Only client 1 reads answers, and only to a line that cannot tear. */
    w.awaiting = w.index == 1 && (size_t)n <= PIPE_BUF;
    scope_trace_send(&w.trace, line, (size_t)n);
    w.t_sent = scope_time_now_ns();
    uv_buf_t b = uv_buf_init(line, (unsigned)n); /* one write() of n bytes */
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

static void on_pong(scope_conn_t *c, const char *line, size_t len)
{
    (void)c;
    scope_trace_reply(&w.trace, line, len + 1, w.t_sent ? scope_time_now_ns() - w.t_sent : 0);
    w.t_sent = 0;
    if (w.awaiting)
        next();
}

static void on_down_end(scope_conn_t *c, int status)
{
    (void)c;
    (void)status;
    end();
}

static void ready(void)
{
    if (w.pending || w.done)
        return;
    scope_trace_open(&w.trace, "fifo", w.index == 1 ? "up.fifo, pongs on down.fifo"
                                                    : "writes up.fifo, shared");
    scope_trace_stats_start(&w.trace, w.d->loop, 500);
    scope_events_proc("ready", getpid(), getppid(), w.d->role ? w.d->role : "client", 0, 0);
    scope_conn_options_t o = {.framing = SCOPE_CONN_LINES, .max_frame = 1 << 20,
                              .on_frame = on_pong, .on_end = on_down_end};
    if (w.down_open)
        scope_conn_start(&w.answers, &o);
    next();
}

/* An open() that blocked is back: its fd, or -1. */
static int opened(uv_fs_t *req, const char *what, const char *server_was)
{
    int fd = (int)req->result;
    char waited[32];
    scope_time_format(waited, sizeof waited, (double)(scope_time_now_ns() - w.t0));
    uv_fs_req_cleanup(req);
    w.pending--;
    if (fd < 0)
        scope_events_error("open", "open(%s): %s", what, uv_strerror(fd));
    else if (w.done)
        close(fd);
    else
        scope_events_log("open(%s) -> fd %d after %s: the server was already waiting to %s",
                         what, fd, waited, server_was);
    return fd < 0 || w.done ? -1 : fd;
}

static void on_up_opened(uv_fs_t *req)
{
    int fd = opened(req, "up.fifo, O_WRONLY", "read, so no wait here");
    if (fd >= 0) {
        uv_pipe_init(w.d->loop, &w.up_pipe, 0);
        w.up_open = uv_pipe_open(&w.up_pipe, fd) == 0;
    }
    fd >= 0 ? ready() : end();
}

static void on_down_opened(uv_fs_t *req)
{
    int fd = opened(req, "down.fifo, O_RDONLY", "write");
    if (fd >= 0) {
        scope_conn_init_pipe(w.d->loop, &w.answers, on_down_closed);
        w.down_open = uv_pipe_open(&w.answers.h.pipe, fd) == 0;
    }
    fd >= 0 ? ready() : end();
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
    scope_pacer_init(d, &w.pacer);
    w.t0 = scope_time_now_ns();
    w.pending = index == 1 ? 2 : 1;
    uv_fs_open(d->loop, &w.up_req, w.up, O_WRONLY | O_CLOEXEC, 0, on_up_opened);
    if (index == 1)
        uv_fs_open(d->loop, &w.down_req, w.down, O_RDONLY | O_CLOEXEC, 0, on_down_opened);
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
