/* stdio-pipe: spawn, exec and execFile with the lid off.
 *
 * What node's child_process.spawn() does to start a program and talk to it
 * through its stdin and stdout:
 *
 *   1. pipe2() three times: a pipe for each of the child's stdin, stdout
 *      and stderr.
 *   2. fork(); in the child dup2() puts the far ends at fds 0, 1 and 2, then
 *      execve(). The parent closes those ends and keeps its own three.
 *   3. The parent writes the child's stdin (uv_write: what the pipe cannot
 *      take now waits in a queue) and reads its stdout and stderr as they
 *      come (uv_read_start), chunk by chunk: node's 'data'.
 *   4. child.stdin.end(): close() of our end; the child's read() returns 0.
 *   5. SIGCHLD, waitpid(): the exit code or the signal. Once the child is
 *      reaped and its pipes are closed, node emits 'close'.
 *
 * This file is that child with its three pipes; every part of the lesson uses it.
 *
 *   build/demos/stdio-pipe --part spawn         # or every part: no --part
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stdio-pipe.h"

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);
static void on_proc_exit(scope_child_t *proc, int code, int sig);
static void on_role_exit(scope_role_t *role, int code, int sig);

static int live; /* children not closed yet: quit waits for them */

int child_spawn(stdio_child_t *c, scope_demo_t *d)
{
    int p[6]; /* [0] [1] its stdin: read, write; [2] [3] its stdout; [4] [5] its stderr */
    for (int i = 0; i < 3; i++)
        if (pipe2(p + 2 * i, O_CLOEXEC) < 0) {
            int e = -errno;
            while (i-- > 0)
                close(p[2 * i]), close(p[2 * i + 1]);
            return e;
        }
    /* Where the child's ends land; every other fd is closed by execve. */
    scope_spawn_fd_t fds[4] = {{p[0], 0}, {p[3], 1}, {p[5], 2}, {c->fd3, 3}};
    size_t nfds = c->fd3 > 0 ? 4 : 3;
    c->demo = d;
    c->t0 = scope_time_now_ns();
    int r;
    if (c->file) { /* a program: it dies with us, and has no use for our fds' names */
        static const char *const ours[] = {"IPCSCOPE_EVENT_FD", "IPCSCOPE_CONTROL_FD", NULL};
        /* With a name, lib/spawn reports its start and exit as proc events. */
        scope_spawn_options_t so = {.file = c->file, .argv = c->argv, .setenv = c->env,
                                    .unsetenv = ours, .fds = fds, .nfds = nfds,
                                    .death_signal = SIGKILL, .name = c->quiet ? NULL : c->name};
        c->proc.data = c;
        r = scope_spawn(d->loop, &c->proc, &so, on_proc_exit);
        c->pid = c->proc.pid;
    } else { /* this program again: lib/role adds its event fd and relay */
        scope_role_options_t ro = {.argv = (const char *const *)c->argv, .fds = fds,
                                   .nfds = nfds, .setenv = c->env, .quiet = c->quiet};
        c->role.data = c;
        c->role.on_exit = on_role_exit;
        r = scope_role_spawn(d, &c->role, c->name, &ro);
        c->pid = c->role.pid;
    }
    /* The child has its copies now (or none, when it failed). */
    close(p[0]), close(p[3]), close(p[5]);
    if (c->fd3 > 0)
        close(c->fd3);
    if (r < 0) {
        close(p[1]), close(p[2]), close(p[4]);
        return r;
    }
    c->running = 1;
    live++;
    for (int i = 0; i < 3; i++) {
        c->fd[i] = i ? p[2 * i] : p[1];
        uv_pipe_init(d->loop, &c->pipe[i], 0);
        c->pipe[i].data = c;
        uv_pipe_open(&c->pipe[i], c->fd[i]);
        c->open[i] = 1;
        c->handles++;
    }
    /* Its stdout and stderr are read as they come, each chunk a 'data'. */
    uv_read_start((uv_stream_t *)&c->pipe[1], on_alloc, on_read);
    uv_read_start((uv_stream_t *)&c->pipe[2], on_alloc, on_read);
    child_narrate(c, p); /* narrate.c: the syscalls, with their fds */
    return 0;
}

/* Reads are handled one at a time on the loop: one buffer serves all. */
static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    static char readbuf[64 * 1024];
    (void)h, (void)hint;
    *buf = uv_buf_init(readbuf, sizeof readbuf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    stdio_child_t *c = s->data;
    int fd = (uv_pipe_t *)s == &c->pipe[1] ? 1 : 2;
    if (n < 0) { /* EOF: the child, and all that share its pipe, closed it */
        if (n != UV_EOF && !c->quiet)
            scope_events_log("read() on fd %d: %s", c->fd[fd], uv_strerror((int)n));
        child_close_pipe(c, fd);
    } else if (n > 0 && c->on_data) {
        c->on_data(c, fd, buf->base, (size_t)n);
    }
}

static void on_written(uv_write_t *req, int status)
{
    stdio_child_t *c = req->data;
    free(req);
    c->writes--;
    if (status < 0 && status != UV_ECANCELED && !c->quiet)
        scope_events_error("write", "write to %s's stdin (fd %d): %s: node's 'error' on "
                           "child.stdin (%s)", c->name, c->fd[0], uv_strerror(status),
                           uv_err_name(status));
    if (status == 0 && c->on_written)
        c->on_written(c);
    if (c->ending && c->writes == 0)
        child_close_pipe(c, 0);
}

/* child.stdin.write(data). As with uv_write, the bytes are not copied: they
 * must stay where they are until the write completes (on_written). */
int child_write(stdio_child_t *c, const char *data, size_t len)
{
    if (!c->open[0] || c->ending)
        return UV_EPIPE;
    uv_write_t *req = malloc(sizeof *req);
    if (!req)
        return UV_ENOMEM;
    req->data = c;
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    /* What the pipe cannot take now waits in the stream's queue. */
    int r = uv_write(req, (uv_stream_t *)&c->pipe[0], &b, 1, on_written);
    if (r < 0) {
        free(req);
        return r;
    }
    c->writes++;
    c->written += len;
    return 0;
}

/* The careful writer: chunk (len bytes, the same each time) while the queue
 * is under the highWaterMark, as long as node's write() returns true, up to
 * total bytes written; then end(). Call it again from on_written: a write
 * that completes is node's 'drain'. Returns 1 once it has ended the stdin. */
int child_pump(stdio_child_t *c, const char *chunk, size_t len, size_t total)
{
    while (c->written < total && child_queue(c) < HIGH_WATER)
        if (child_write(c, chunk, total - c->written < len ? total - c->written : len) < 0)
            return 0;
    if (c->written < total || c->ending || !c->open[0])
        return 0;
    child_end(c);
    return 1;
}

/* child.stdin.end(): close our end once the queue is written. */
void child_end(stdio_child_t *c)
{
    if (c->writes == 0)
        child_close_pipe(c, 0);
    else
        c->ending = 1;
}

/* node's writableLength: what write(2) has not taken yet. */
size_t child_queue(stdio_child_t *c)
{
    return c->open[0] ? uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe[0]) : 0;
}

/* 'close' once the child is reaped and its three pipes are closed. */
static void maybe_closed(stdio_child_t *c)
{
    if (c->closed || c->running || c->handles > 0)
        return;
    c->closed = 1;
    live--;
    if (c->on_close)
        c->on_close(c); /* last: it may free c */
}

static void on_pipe_closed(uv_handle_t *h)
{
    stdio_child_t *c = h->data;
    c->handles--;
    maybe_closed(c);
}

void child_close_pipe(stdio_child_t *c, int fd)
{
    if (!c->open[fd])
        return;
    c->open[fd] = 0;
    uv_close((uv_handle_t *)&c->pipe[fd], on_pipe_closed);
    if (!c->quiet)
        scope_trace_close(fd == 0 ? &c->in : fd == 1 ? &c->out : &c->err);
}

static void exited(stdio_child_t *c, int code, int sig)
{
    c->running = 0;
    c->code = code;
    c->sig = sig;
    if (c->on_exit)
        c->on_exit(c);
    child_close_pipe(c, 0); /* nobody is left to read what we would write */
    maybe_closed(c);
}

/* SIGCHLD, then waitpid(pid): lib/spawn (or lib/role) reaps, we hear the
 * code or the signal. */
static void on_proc_exit(scope_child_t *proc, int code, int sig)
{
    exited(proc->data, code, sig);
}

static void on_role_exit(scope_role_t *role, int code, int sig)
{
    exited(role->data, code, sig);
}

int child_quit_all(scope_demo_t *d)
{
    scope_spawn_kill_all(d->loop, SIGTERM);
    return live;
}
