/* job.c: a child with its three pipes, what node calls a ChildProcess.
 * job_start() makes the pipes (and a socketpair or a control pipe at fd 3 when
 * asked), starts the child through lib/spawn and narrates the pipe2(), fork(),
 * dup2() and execve() it took; then the job reads the child's stdout and
 * stderr, writes its stdin with a queue (job_write, job_end, job_queue), kills
 * it and what it started (job_kill), and calls on_close once the child is
 * reaped and every pipe is closed: node's 'close'. Above it, the small helpers
 * the parts share: printable text, signal names, the events of a child. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stdio-pipe.h"

/* A buffer every read lands in first: reads are handled one at a time on the
 * loop, so one buffer serves all. */
static char readbuf[64 * 1024];

/* ---- small helpers ------------------------------------------------------ */

/* Text for a summary or narration: newlines shown as \n, cut to max bytes. */
void printable(char *out, size_t cap, const char *data, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 4 < cap; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else if (c == '\t' || c < 0x20 || c == 0x7f) {
            out[o++] = ' ';
        } else {
            out[o++] = (char)c;
        }
    }
    if (o + 4 >= cap && cap > 4) {
        while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80)
            o--; /* no cut inside a UTF-8 sequence */
        if (o > 0 && (unsigned char)out[o - 1] >= 0xC0)
            o--;
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

static void argv_text(char *out, size_t cap, char *const argv[])
{
    size_t o = (size_t)snprintf(out, cap, "[");
    for (int i = 0; argv[i] && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s\"%s\"", i ? ", " : "", argv[i]);
    if (o < cap)
        snprintf(out + o, cap - o, "]");
}

const char *sig_name(int sig)
{
    static char buf[16];
    snprintf(buf, sizeof buf, "SIG%s", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
    return buf;
}

/* A child's events reach the same place as ours: the event fd placed at
 * child_fd, named in its environment (stdout would be its pipe to us). */
typedef struct {
    scope_spawn_fd_t fd;
    int n;
    char env_fd[32], env_format[40];
} child_events_t;

static void child_events(child_events_t *e, int child_fd)
{
    memset(e, 0, sizeof *e);
    int fd = scope_events_fd();
    if (fd < 0)
        return;
    e->fd = (scope_spawn_fd_t){.parent_fd = fd, .child_fd = child_fd};
    e->n = 1;
    snprintf(e->env_fd, sizeof e->env_fd, "IPCSCOPE_EVENT_FD=%d", child_fd);
    snprintf(e->env_format, sizeof e->env_format, "IPCSCOPE_EVENT_FORMAT=%s",
             scope_events_format() == SCOPE_EVENTS_TEXT ? "text" : "json");
}

/* Signals a child and everything it started (read from /proc/PID/task/PID/children).
 * node signals the shell alone; its children would then keep our pipes open
 * and, for a 'cat' waiting on stdin, live on. The shell first, so it starts
 * nothing new. */
int kill_tree(pid_t pid, int sig, int depth, char *names, size_t cap)
{
    char path[64];
    long kids[64];
    int n = 0, killed = 0;
    snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", (long)pid, (long)pid);
    FILE *f = fopen(path, "re");
    if (f) {
        while (n < 64 && fscanf(f, "%ld", &kids[n]) == 1)
            n++;
        fclose(f);
    }
    if (kill(pid, sig) == 0 && depth > 0 && names) {
        char comm[32] = "?";
        snprintf(path, sizeof path, "/proc/%ld/comm", (long)pid);
        FILE *c = fopen(path, "re");
        if (c) {
            if (fgets(comm, sizeof comm, c))
                comm[strcspn(comm, "\n")] = '\0';
            fclose(c);
        }
        size_t len = strlen(names);
        snprintf(names + len, cap - len, "%s%s %ld", len ? ", " : "", comm, (long)pid);
        killed++;
    }
    for (int i = 0; i < n && depth < 8; i++)
        killed += kill_tree((pid_t)kids[i], sig, depth + 1, names, cap);
    return killed;
}

/* Channels are for the dashboard's lanes and for tools; a person at a
 * terminal has just read the pipe2() and fork() lines that made them. */
void chan_event(const char *state, const char *id, const char *kind, scope_end_t a,
                       scope_end_t b, const char *detail)
{
    if (scope_events_format() == SCOPE_EVENTS_JSON)
        scope_events_chan(state, id, kind, a, b, detail);
}

/* ---- the job machinery --------------------------------------------------- */

typedef struct {
    uv_write_t req;
    job_t *j;
    size_t len;
    char data[];
} wreq_t;

static void job_register(job_t *j, int on)
{
    for (int i = 0; i < MAX_JOBS; i++) {
        if (on && !stdio_pipe.live[i]) {
            stdio_pipe.live[i] = j;
            return;
        }
        if (!on && stdio_pipe.live[i] == j) {
            stdio_pipe.live[i] = NULL;
            return;
        }
    }
}

static void job_check(job_t *j)
{
    if (j->closed || !j->exited || j->nhandles > 0)
        return;
    j->closed = 1;
    if (j->ctl_fd >= 0) {
        close(j->ctl_fd);
        j->ctl_fd = -1;
    }
    job_register(j, 0);
    if (j->on_close)
        j->on_close(j); /* last: it may start this job again */
}

static void on_job_handle_closed(uv_handle_t *h)
{
    job_t *j = h->data;
    j->nhandles--;
    job_check(j);
}

void job_close_pipe(job_t *j, int i)
{
    if (!j->open[i])
        return;
    j->open[i] = 0;
    uv_close((uv_handle_t *)&j->pipe[i], on_job_handle_closed);
    if (!j->quiet)
        chan_event("close", i == 0 ? "stdin" : i == 1 ? "stdout" : "stderr", "pipe",
                          SCOPE_PID(i == 0 ? getpid() : j->child.pid),
                          SCOPE_PID(i == 0 ? j->child.pid : getpid()), NULL);
}

void job_kill(job_t *j, int sig, const char *why)
{
    if (!j->child.running)
        return;
    if (why && !j->killed_for)
        j->killed_for = why;
    char names[256] = "";
    if (kill_tree(j->child.pid, sig, 0, names, sizeof names) > 0 && !j->quiet)
        scope_events_log("kill(%ld, %s), and the same to what it started: %s. node signals "
                         "the shell alone; these would live on and hold our pipes open",
                         (long)j->child.pid, sig_name(sig), names);
}

static void on_job_timer(uv_timer_t *t)
{
    job_t *j = t->data;
    if (!j->child.running)
        return;
    if (!j->term_sent) {
        j->term_sent = 1;
        if (!j->quiet)
            scope_events_log("timeout: %ld ms passed and %s %ld still runs: SIGTERM, node's "
                             "default killSignal",
                             j->timeout_ms, j->role, (long)j->child.pid);
        job_kill(j, SIGTERM, "timeout");
        uv_timer_start(&j->timer, on_job_timer, 2000, 0);
    } else {
        scope_events_log("%s %ld ignored SIGTERM for 2 s: SIGKILL", j->role, (long)j->child.pid);
        job_kill(j, SIGKILL, NULL);
    }
}

static void on_job_exit(scope_child_t *c, int status, int sig)
{
    job_t *j = c->data;
    j->exited = 1;
    j->code = status;
    j->sig = sig;
    j->t_exit = scope_time_now_ns();
    if (j->timer_open) {
        j->timer_open = 0;
        uv_close((uv_handle_t *)&j->timer, on_job_handle_closed);
    }
    if (!j->quiet) /* SIGCHLD, then waitpid(pid): the code or the signal */
        scope_events_proc("exit", c->pid, getpid(), j->role, status, sig);
    if (j->on_exit)
        j->on_exit(j);
    job_close_pipe(j, 0); /* nobody is left to read what we would write */
    job_check(j);
}

static void on_job_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(readbuf, sizeof readbuf);
}

static void on_job_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    job_t *j = st->data;
    int which = (uv_pipe_t *)st == &j->pipe[1] ? 1 : 2;
    if (n < 0) {
        if (n != UV_EOF && !j->quiet)
            scope_events_log("read() on fd %d failed: %s", j->fd[which], uv_strerror((int)n));
        job_close_pipe(j, which);
        return;
    }
    if (n == 0)
        return;
    j->nread[which] += (uint64_t)n;
    j->chunks[which]++;
    size_t keep = (size_t)n;
    int over = 0;
    if (j->buffered) {
        if (j->max_buffer && j->out[which].len + keep > j->max_buffer) {
            keep = j->max_buffer - j->out[which].len;
            over = 1;
        }
        char *p = realloc(j->out[which].p, j->out[which].len + keep + 1);
        if (p) {
            memcpy(p + j->out[which].len, buf->base, keep);
            j->out[which].len += keep;
            p[j->out[which].len] = '\0';
            j->out[which].p = p;
        }
    }
    if (j->on_data)
        j->on_data(j, which, buf->base, keep);
    if (over) {
        scope_events_error("maxBuffer",
                           "%s maxBuffer length exceeded: %s %ld wrote more than %zu bytes. "
                           "As node does: SIGTERM to the child, no more reading, and "
                           "RangeError [ERR_CHILD_PROCESS_STDIO_MAXBUFFER]",
                           which == 1 ? "stdout" : "stderr", j->role, (long)j->child.pid,
                           j->max_buffer);
        job_kill(j, SIGTERM, "maxBuffer");
        job_close_pipe(j, 1);
        job_close_pipe(j, 2);
    }
}

static void job_init_pipe(job_t *j, int i, int fd)
{
    uv_pipe_init(stdio_pipe.demo.loop, &j->pipe[i], 0);
    j->pipe[i].data = j;
    j->fd[i] = fd;
    if (uv_pipe_open(&j->pipe[i], fd) < 0) {
        close(fd); /* not the handle's */
    }
    j->open[i] = 1;
    j->nhandles++;
    if (i > 0)
        uv_read_start((uv_stream_t *)&j->pipe[i], on_job_alloc, on_job_read);
}

static void close_fds(int *fds, int n)
{
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
}

/* Starts file with argv, its stdin, stdout and stderr on three new pipes.
 * Returns 0 or a negative errno (nothing started, nothing to close). */
int job_start(job_t *j, const char *file, char *const argv[])
{
    j->ipc_fd = j->ctl_fd = -1;
    j->t0 = scope_time_now_ns();
    j->started = j->exited = j->closed = 0;

    int p[8] = {-1, -1, -1, -1, -1, -1, -1, -1}; /* stdin r/w, stdout r/w, stderr r/w, extra */
    for (int i = 0; i < 3; i++)
        if (pipe2(p + 2 * i, O_CLOEXEC) < 0) {
            int e = -errno;
            close_fds(p, 8);
            return e;
        }
    if (j->ipc && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p + 6) < 0) {
        int e = -errno;
        close_fds(p, 8);
        return e;
    }
    if (j->ctl && pipe2(p + 6, O_CLOEXEC) < 0) {
        int e = -errno;
        close_fds(p, 8);
        return e;
    }
    /* For 'ipc' the child takes p[7] (its end of the pair); for ctl it takes
     * the read end p[6] and we write on p[7]. */
    int child_extra = j->ipc ? p[7] : p[6], our_extra = j->ipc ? p[6] : p[7];

    scope_spawn_fd_t fds[6] = {{p[0], 0}, {p[3], 1}, {p[5], 2}};
    size_t nfds = 3;
    if (j->ipc || j->ctl)
        fds[nfds++] = (scope_spawn_fd_t){child_extra, 3};
    child_events_t ev;
    child_events(&ev, 4);
    const char *env[6] = {NULL};
    int ne = 0;
    if (j->own && ev.n) {
        fds[nfds++] = ev.fd;
        env[ne++] = ev.env_fd;
        env[ne++] = ev.env_format;
    }
    if (j->ipc) {
        env[ne++] = "NODE_CHANNEL_FD=3";
        env[ne++] = "NODE_CHANNEL_SERIALIZATION_MODE=json";
    }
    /* A program that is not ours has no use for the event pipe's name. */
    const char *unset_theirs[] = {"IPCSCOPE_EVENT_FD", "IPCSCOPE_EVENT_FORMAT",
                                  "IPCSCOPE_CONTROL_FD", "NODE_CHANNEL_FD", NULL};
    /* Ours without an event fd to give: no name, so they stay quiet. */
    const char *unset_ours[] = {"IPCSCOPE_CONTROL_FD", "NODE_CHANNEL_FD",
                                ev.n ? NULL : "IPCSCOPE_EVENT_FD", NULL};
    scope_spawn_options_t o = {
        .file = file,
        .argv = argv,
        .setenv = env,
        .unsetenv = j->own ? unset_ours : unset_theirs,
        .fds = fds,
        .nfds = nfds,
        .new_process_group = j->new_group,
        .death_signal = j->own ? SIGTERM : SIGKILL, /* none of them outlives us */
    };
    j->child.data = j;
    int r = scope_spawn(stdio_pipe.demo.loop, &j->child, &o, on_job_exit);
    /* The child has its copies now (or none, when it failed). */
    close(p[0]);
    close(p[3]);
    close(p[5]);
    if (j->ipc || j->ctl)
        close(child_extra);
    if (r < 0) {
        close(p[1]);
        close(p[2]);
        close(p[4]);
        if (j->ipc || j->ctl)
            close(our_extra);
        return r;
    }
    j->started = 1;
    job_register(j, 1);
    if (j->ipc)
        j->ipc_fd = our_extra;
    if (j->ctl)
        j->ctl_fd = our_extra;
    job_init_pipe(j, 0, p[1]);
    job_init_pipe(j, 1, p[2]);
    job_init_pipe(j, 2, p[4]);
    uv_timer_init(stdio_pipe.demo.loop, &j->timer);
    j->timer.data = j;
    j->timer_open = 1;
    j->nhandles++;
    if (j->timeout_ms > 0)
        uv_timer_start(&j->timer, on_job_timer, (uint64_t)j->timeout_ms, 0);

    if (!j->quiet) {
        char path[PATH_MAX] = "?", args[512];
        scope_spawn_which(file, path, sizeof path);
        argv_text(args, sizeof args, argv);
        scope_events_log("pipe2(O_CLOEXEC) x3: stdin [r %d, w %d], stdout [r %d, w %d], "
                         "stderr [r %d, w %d]",
                         p[0], p[1], p[2], p[3], p[4], p[5]);
        if (j->ipc)
            scope_events_log("socketpair(AF_UNIX, SOCK_STREAM) -> fd %d (ours) and fd %d (the "
                             "child's): the 'ipc' entry",
                             p[6], p[7]);
        char extra[64] = "";
        if (j->ipc || j->ctl)
            snprintf(extra, sizeof extra, ", and %d onto 3%s", child_extra,
                     j->ipc ? " (NODE_CHANNEL_FD=3)" : "");
        scope_events_log("fork() -> %ld. The child dup2()s %d, %d and %d onto 0, 1 and 2%s; we "
                         "close those and keep %d (its stdin), %d and %d (its stdout, stderr)",
                         (long)j->child.pid, p[0], p[3], p[5], extra, p[1], p[2], p[4]);
        char line[200];
        scope_events_cut_utf8(line, args, 160);
        scope_events_log("in the child: execve(\"%s\", %s)", path, line);
        if (!j->own)
            scope_events_proc("start", j->child.pid, getpid(), j->role, 0, 0);
        chan_event("open", "stdin", "pipe", SCOPE_PID(getpid()), SCOPE_PID(j->child.pid),
                          "child.stdin: its fd 0");
        chan_event("open", "stdout", "pipe", SCOPE_PID(j->child.pid), SCOPE_PID(getpid()),
                          "child.stdout: its fd 1");
        chan_event("open", "stderr", "pipe", SCOPE_PID(j->child.pid), SCOPE_PID(getpid()),
                          "child.stderr: its fd 2");
    }
    return 0;
}

void job_free_output(job_t *j)
{
    for (int i = 0; i < 3; i++) {
        free(j->out[i].p);
        j->out[i].p = NULL;
        j->out[i].len = 0;
    }
}

/* A job made ready for job_start: only when it never started or is closed. */
job_t *job_new(job_t *j)
{
    job_free_output(j);
    memset(j, 0, sizeof *j);
    j->ipc_fd = j->ctl_fd = -1;
    return j;
}

static void on_job_written(uv_write_t *req, int status)
{
    wreq_t *w = (wreq_t *)req;
    job_t *j = w->j;
    j->wpending--;
    if (status == 0) {
        j->wdone += w->len;
    } else if (status != UV_ECANCELED && !j->write_error) {
        j->write_error = status;
        if (!j->quiet)
            scope_events_error("write", "write to %s's stdin (fd %d): %s. node emits this as "
                               "an 'error' event on child.stdin (%s)",
                               j->role, j->fd[0], uv_strerror(status), uv_err_name(status));
    }
    free(w);
    if (j->on_written && status == 0)
        j->on_written(j);
    if (j->end_pending && j->wpending == 0)
        job_close_pipe(j, 0);
}

/* stream.write(): queued when the pipe cannot take it now. data is copied
 * unless it is static. Returns 0 or a negative errno. */
int job_write(job_t *j, const char *data, size_t len, int is_static)
{
    if (!j->open[0] || j->end_pending)
        return UV_EPIPE;
    wreq_t *w = malloc(sizeof *w + (is_static ? 0 : len));
    if (!w)
        return UV_ENOMEM;
    w->j = j;
    w->len = len;
    uv_buf_t b = uv_buf_init(is_static ? (char *)data : w->data, (unsigned)len);
    if (!is_static)
        memcpy(w->data, data, len);
    int r = uv_write(&w->req, (uv_stream_t *)&j->pipe[0], &b, 1, on_job_written);
    if (r < 0) {
        free(w);
        return r;
    }
    j->wpending++;
    j->wqueued += len;
    return 0;
}

/* stream.end(): close our end once what is queued is written; the child's
 * read() then returns 0. */
void job_end(job_t *j)
{
    if (j->wpending == 0)
        job_close_pipe(j, 0);
    else
        j->end_pending = 1;
}

size_t job_queue(job_t *j)
{
    return j->open[0] ? uv_stream_get_write_queue_size((uv_stream_t *)&j->pipe[0]) : 0;
}

/* A msg event for data that crossed one of a job's pipes. */
void trace_data(job_t *j, int which, const char *data, size_t len, uint64_t id)
{
    if (!scope_events_msg_admit())
        return;
    if (!id && which)
        id = j->chunks[which]; /* a read's number on its pipe */
    char sum[200];
    printable(sum, sizeof sum, data, len);
    pid_t me = getpid(), child = j->child.pid;
    scope_events_msg_emit_admitted(which == 0 ? "send" : "recv",
                                   which == 0 ? "stdin" : which == 1 ? "stdout" : "stderr",
                                   SCOPE_PID(which == 0 ? me : child),
                                   SCOPE_PID(which == 0 ? child : me), id, len, sum, 0);
}

