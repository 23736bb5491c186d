/* fifo_client.c: a writer of up.fifo (--fifo); client 1 also reads its
 * answers from down.fifo. Each line is one write(): "ping PID ID T PADLEN"
 * and PADLEN times a letter of its own, --size bytes in all. Up to PIPE_BUF
 * bytes it lands whole, whatever the other writers do; over it, it may tear.
 */
#include <fcntl.h>

#include "unix-socket.h"

static struct {
    scope_demo_t *d;
    uv_pipe_t up;      /* written */
    scope_conn_t down; /* client 1's answers, cut into lines */
    int up_open, down_open, awaiting, writes, done, ended;
    uint64_t t_sent;
    scope_trace_t trace;
    scope_pacer_t pacer;
} w;

static void next(void);

/* The last line written, or a quit: close both ends; the server sees EOF
 * once every writer has done so. */
static void end(scope_demo_t *d)
{
    w.done = 1;
    scope_pacer_close(&w.pacer);
    if (w.writes || w.ended++) /* on_written comes back here */
        return;
    scope_trace_close(&w.trace);
    if (w.up_open)
        uv_close((uv_handle_t *)&w.up, NULL);
    if (w.down_open)
        scope_conn_close(&w.down);
    scope_demo_stop(d);
}

static void on_written(uv_write_t *req, int status)
{
    free(req);
    w.writes--;
    if (status < 0)
        scope_events_error("write", "up.fifo: %s (the reader is gone)", uv_strerror(status));
    if (status < 0 || w.done)
        end(w.d);
    else if (!w.awaiting)
        next();
}

static void ping(scope_pacer_t *p)
{
    size_t size = p->demo->size;
    long pid = (long)getpid();
    uv_write_t *req = malloc(sizeof *req + size + 128);
    if (!req) {
        end(w.d);
        return;
    }
    char *line = (char *)(req + 1);
    int n = snprintf(line, 128, "ping %ld %llu %llu ", pid, (unsigned long long)w.trace.sent + 1,
                     (unsigned long long)scope_time_now_ns());
    /* the pad's length is in the line, in as many digits as --size has */
    int digits = snprintf(NULL, 0, "%zu", size);
    size_t pad = size > (size_t)n + digits + 1 ? size - (size_t)n - digits - 1 : 1;
    n += snprintf(line + n, 32, "%0*zu ", digits, pad);
    memset(line + n, 'a' + pid % 26, pad);
    n += (int)pad;
    line[n++] = '\n';
    /* Only client 1 reads answers, and only to a line that cannot tear. */
    w.awaiting = w.down_open && (size_t)n <= PIPE_BUF;
    scope_trace_send(&w.trace, line, (size_t)n);
    w.t_sent = scope_time_now_ns();
    uv_buf_t b = uv_buf_init(line, (unsigned)n); /* one write() of n bytes */
    w.writes++;
    int r = uv_write(req, (uv_stream_t *)&w.up, &b, 1, on_written);
    if (r < 0) /* as if it had failed later */
        on_written(req, r);
}

static void next(void)
{
    if ((long)w.trace.sent >= w.d->count)
        end(w.d);
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

static void on_down_closed(scope_conn_t *c)
{
    (void)c;
    w.down_open = 0;
    end(w.d);
}

/* The server's open() of each FIFO is waiting already, so ours need not
 * block: O_NONBLOCK (a writer with no reader would get ENXIO). */
static int open_fifo(const char *dir, const char *name, int flags, const char *how)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%.4000s/%s", dir, name);
    int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        scope_events_error("open", "open(%s, %s|O_NONBLOCK): %s", name, how, strerror(errno));
    else
        scope_events_log("open(%s, %s|O_NONBLOCK) -> fd %d: the server's end was open already",
                         name, how, fd);
    return fd;
}

/* Writes up.fifo (client 1 reads down.fifo too); its trace, for its figures. */
const scope_trace_t *fifo_client(scope_demo_t *d, const char *dir, int index)
{
    char chan[32];
    w.d = d;
    d->on_quit = end;
    snprintf(chan, sizeof chan, "fifo:%ld", (long)getpid());
    scope_trace_init(&w.trace, chan, SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    scope_pacer_init(d, &w.pacer);
    int fd = open_fifo(dir, "up.fifo", O_WRONLY, "O_WRONLY");
    if (fd < 0) {
        end(w.d);
        return &w.trace;
    }
    uv_pipe_init(d->loop, &w.up, 0);
    w.up_open = uv_pipe_open(&w.up, fd) == 0;
    if (index == 1 && (fd = open_fifo(dir, "down.fifo", O_RDONLY, "O_RDONLY")) >= 0) {
        scope_conn_options_t o = {.framing = SCOPE_CONN_LINES, .max_frame = 1 << 20,
                                  .on_frame = on_pong};
        scope_conn_init_pipe(d->loop, &w.down, on_down_closed);
        w.down_open = uv_pipe_open(&w.down.h.pipe, fd) == 0;
        scope_conn_start(&w.down, &o);
    }
    scope_trace_open(&w.trace, "fifo", w.down_open ? "up.fifo, pongs on down.fifo"
                                                   : "writes up.fifo, shared");
    scope_trace_stats_start(&w.trace, d->loop, 500);
    scope_events_proc("ready", getpid(), getppid(), d->role ? d->role : "client", 0, 0);
    next();
    return &w.trace;
}
