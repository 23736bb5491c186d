/* fifo.c: a FIFO's ends, as both sides of --fifo open and close them.
 *
 * open() of a FIFO blocks until a process opens its other end, so each
 * open() waits in libuv's thread pool (uv_fs_open) and the loop stays awake;
 * the wait is told when it is over. The end read is cut into lines (lib's
 * conn), the end written is a plain uv_pipe_t. A blocked open() is stopped
 * by opening its other end ourselves, for a moment.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "unix-socket.h"

static void fifo_check(us_fifo_t *io)
{
    void (*done)(us_fifo_t *) = io->on_closed;
    if (io->closing && !io->pending && !io->in_open && !io->out_open && done) {
        io->on_closed = NULL;
        done(io);
    }
}

static void on_in_closed(scope_conn_t *c)
{
    us_fifo_t *io = c->data;
    io->in_open = 0;
    if (io->on_end)
        io->on_end(io);
    fifo_check(io);
}

static void on_out_closed(uv_handle_t *h)
{
    us_fifo_t *io = h->data;
    io->out_open = 0;
    fifo_check(io);
}

/* An open() that blocked is back: in becomes a conn cut into lines, out a pipe. */
static void on_opened(uv_fs_t *req)
{
    us_fifo_t *io = req->data;
    int in = req == &io->in_req, fd = (int)req->result;
    char waited[32];
    scope_time_format(waited, sizeof waited, (double)(scope_time_now_ns() - io->t0));
    uv_fs_req_cleanup(req);
    io->pending--;
    if (fd < 0) {
        scope_events_error("open", "open(%s): %s", in ? io->in : io->out, uv_strerror(fd));
    } else if (io->closing) {
        close(fd);
        fd = -1;
    } else {
        scope_events_log("open(%s, %s) -> fd %d after %s: %s", in ? io->in : io->out,
                         in ? "O_RDONLY" : "O_WRONLY", fd, waited, in ? io->in_why : io->out_why);
        if (in) {
            scope_conn_init_pipe(io->d->loop, &io->c, on_in_closed);
            io->c.data = io;
            io->in_open = uv_pipe_open(&io->c.h.pipe, fd) == 0;
        } else {
            uv_pipe_init(io->d->loop, &io->out_pipe, 0);
            io->out_pipe.data = io;
            io->out_open = uv_pipe_open(&io->out_pipe, fd) == 0;
        }
    }
    io->on_open(io, fd);
    fifo_check(io);
}

void fifo_path(const us_fifo_t *io, const char *name, char *path, size_t n)
{
    snprintf(path, n, "%.4000s/%s", io->dir, name);
}

void fifo_open(us_fifo_t *io)
{
    char path[PATH_MAX + 16];
    io->t0 = scope_time_now_ns();
    io->in_req.data = io->out_req.data = io;
    io->pending = (io->in != NULL) + (io->out != NULL);
    if (io->in) {
        fifo_path(io, io->in, path, sizeof path);
        uv_fs_open(io->d->loop, &io->in_req, path, O_RDONLY | O_CLOEXEC, 0, on_opened);
    }
    if (io->out) {
        fifo_path(io, io->out, path, sizeof path);
        uv_fs_open(io->d->loop, &io->out_req, path, O_WRONLY | O_CLOEXEC, 0, on_opened);
    }
}

/* A blocked open() of a FIFO waits for its other end: to stop it, be it. */
static void unblock(const us_fifo_t *io, const char *name, int flags)
{
    char path[PATH_MAX + 16];
    fifo_path(io, name, path, sizeof path);
    int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0)
        close(fd);
}

void fifo_close(us_fifo_t *io, int close_in)
{
    io->closing = 1;
    if (io->pending && io->in)
        unblock(io, io->in, O_WRONLY);
    if (io->pending && io->out)
        unblock(io, io->out, O_RDONLY);
    if (io->out_open && !uv_is_closing((uv_handle_t *)&io->out_pipe))
        uv_close((uv_handle_t *)&io->out_pipe, on_out_closed);
    if (close_in && io->in_open)
        scope_conn_close(&io->c);
    fifo_check(io);
}
