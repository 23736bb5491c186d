/* fifo_client.c: a writer of up.fifo (--fifo); client 1 also reads its
 * answers from down.fifo.
 *
 * Each line is one write(): "ping PID ID T PADLEN" and PADLEN times a letter
 * of its own, --size bytes in all. Up to PIPE_BUF bytes it lands whole,
 * whatever the other writers do; over it, the server may find it torn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unix-socket.h"

static struct {
    us_fifo_t io; /* out: up.fifo; in: down.fifo, client 1's only */
    int index, awaiting, writes, done;
    uint64_t t_sent;
    scope_trace_t trace;
    scope_pacer_t pacer;
} w;

static void next(void);

static void on_closed(us_fifo_t *io)
{
    scope_trace_close(&w.trace);
    scope_pacer_close(&w.pacer);
    scope_demo_stop(io->d);
}

/* The last line written, close both ends: the server sees EOF once every
 * writer has done so. */
static void end(void)
{
    w.done = 1;
    scope_pacer_close(&w.pacer);
    if (!w.writes) /* else on_written comes back here */
        fifo_close(&w.io, 1);
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
    /* the pad's own length is in the line, in as many digits as --size has:
     * the line is --size bytes and its '\n' */
    int digits = snprintf(NULL, 0, "%zu", size);
    size_t pad = size > (size_t)n + digits + 1 ? size - (size_t)n - digits - 1 : 1;
    n += snprintf(line + n, 32, "%0*zu ", digits, pad);
    memset(line + n, 'a' + pid % 26, pad);
    n += (int)pad;
    line[n++] = '\n';
    /* Only client 1 reads answers, and only to a line that cannot tear. */
    w.awaiting = w.index == 1 && (size_t)n <= PIPE_BUF;
    scope_trace_send(&w.trace, line, (size_t)n);
    w.t_sent = scope_time_now_ns();
    uv_buf_t b = uv_buf_init(line, (unsigned)n); /* one write() of n bytes */
    if (uv_write(req, (uv_stream_t *)&w.io.out_pipe, &b, 1, on_written) < 0) {
        free(req);
        end();
        return;
    }
    w.writes++;
}

static void next(void)
{
    if ((long)w.trace.sent >= w.io.d->count)
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

/* Each open() back: once all are, the lines go. */
static void on_open(us_fifo_t *io, int fd)
{
    if (fd < 0)
        end();
    if (io->pending || w.done)
        return;
    scope_trace_open(&w.trace, "fifo", w.index == 1 ? "up.fifo, pongs on down.fifo"
                                                    : "writes up.fifo, shared");
    scope_trace_stats_start(&w.trace, io->d->loop, 500);
    scope_events_proc("ready", getpid(), getppid(), io->d->role ? io->d->role : "client", 0, 0);
    scope_conn_options_t o = {.framing = SCOPE_CONN_LINES, .max_frame = 1 << 20,
                              .on_frame = on_pong};
    if (io->in_open)
        scope_conn_start(&io->c, &o);
    next();
}

static void on_end(us_fifo_t *io)
{
    (void)io;
    end();
}

static void on_quit(scope_demo_t *d)
{
    (void)d;
    end();
}

int fifo_client(scope_demo_t *d, const char *dir, int index)
{
    char chan[32];
    w.io = (us_fifo_t){.d = d, .out = "up.fifo", .in = index == 1 ? "down.fifo" : NULL,
                       .out_why = "the server was already waiting to read, so no wait here",
                       .in_why = "the server was already waiting to write",
                       .on_open = on_open, .on_end = on_end, .on_closed = on_closed};
    snprintf(w.io.dir, sizeof w.io.dir, "%s", dir);
    w.index = index;
    d->on_quit = on_quit;
    snprintf(chan, sizeof chan, "fifo:%ld", (long)getpid());
    scope_trace_init(&w.trace, chan, SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    scope_pacer_init(d, &w.pacer);
    fifo_open(&w.io);
    return 0;
}

const scope_trace_t *fifo_client_trace(void)
{
    return &w.trace;
}
