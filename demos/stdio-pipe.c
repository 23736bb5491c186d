/* stdio-pipe: spawn, exec and execFile with the lid off.
 *
 * What node does when a parent starts a program and talks to it through its
 * stdin and stdout, step by step:
 *
 *   1. spawn('grep', ['hello']): pipe2() three times, one pipe for each of
 *      the child's stdin, stdout and stderr; fork(); in the child dup2() puts
 *      the pipes' ends at fds 0, 1 and 2, then execve("/usr/bin/grep"). The
 *      parent streams lines to grep's stdin, ends it (close: grep reads EOF),
 *      and reads the matches from grep's stdout as they come, chunk by chunk.
 *   2. grep's exit code, as waitpid() gives it: 0 when a line matched, 1 when
 *      none did (an answer, not a failure), 2 when grep itself failed; its
 *      complaint comes on stderr, a pipe of its own.
 *   3. exec(cmd): the same, but the program is /bin/sh -c CMD, so the string
 *      is parsed by a shell (pipes, variables, ';'), and the output is kept
 *      until the child is gone and handed over whole.
 *   4. exec's maxBuffer: a child that writes more than that is killed
 *      (SIGTERM) and the call fails with ERR_CHILD_PROCESS_STDIO_MAXBUFFER.
 *   5. exec's timeout: a child still running when it expires gets SIGTERM.
 *   6. execFile(file, args): no shell. The string 'hello; echo INJECTED' given
 *      to exec runs a second command; given to execFile it is one argument.
 *   7. What the shell costs: spawn, exec and execFile of the same program,
 *      timed from pipe2() to the last EOF, median of several starts.
 *   8. stdio ['pipe', 'pipe', 'pipe', 'ipc']: three pipes and, at fd 3, a
 *      socketpair carrying Node's IPC channel (NODE_CHANNEL_FD=3), together.
 *   9. Backpressure: the reader stops reading. The pipe's buffer (F_GETPIPE_SZ,
 *      64 KiB) fills, write(2) says EAGAIN, and the writer's queue grows; node's
 *      write() returns false.
 *  10. The reader resumes (a byte on its fd 3): the queue drains, watched with
 *      FIONREAD and uv_stream_get_write_queue_size, and node emits 'drain'.
 *  11. The same pipe at full speed, written with care (wait for the queue to
 *      empty, as for 'drain'): its throughput.
 *  12. Ping-pong: lines through the child's stdin and back on its stdout,
 *      each round trip timed on the monotonic clock.
 *
 * Faults on demand (--fault, or the dashboard's fault command): a command
 * that does not exist (ENOENT), a child killed by a signal, a child writing
 * more than maxBuffer, a child that never exits (timeout).
 *
 * The echo, reader and stdio children are this same program run with
 * --as-child ROLE; the stdio child can also be node (--child node, running
 * stdio-pipe-child.js). Every child dies with us (PR_SET_PDEATHSIG) and is
 * reaped with waitpid() through lib/spawn.
 *
 *   build/demos/stdio-pipe                      # every part, narrated
 *   build/demos/stdio-pipe --part backpressure --slow-reader
 *   build/demos/stdio-pipe --fault timeout --timeout 300
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channel.h"
#include "demo.h"
#include "events.h"
#include "spawn.h"
#include "timing.h"

static const scope_demo_info_t info = {
    "stdio-pipe",
    "spawn, exec and execFile: a child's stdin and stdout are pipes",
    "A parent streams through grep, runs commands with and without a shell, and fills a pipe "
    "until write() has to wait.",
    "000 002 003 004",
    "管道 (pipe) | 快 | ❌ | 低 | 流式数据",
};

static const scope_demo_option_t options[] = {
    {"part", "LIST",
     "run only these parts, comma-separated: spawn, exec, execfile, stdio, backpressure, "
     "stream, pingpong"},
    {"fault", "KIND", "show one failure: enoent, signal, maxbuffer or timeout"},
    {"max-buffer", "BYTES", "exec's maxBuffer (default 1048576, as in node)"},
    {"timeout", "MS", "exec's timeout where the demo shows it (default 1000)"},
    {"slow-reader", NULL, "in backpressure, the reader takes 4 KiB every 10 ms once it resumes"},
    {"stall", "MS", "how long the backpressure reader stays away once the pipe is full (default 2000)"},
    {"burst", "BYTES", "what the backpressure writer writes at once (default 1048576)"},
    {"stream-bytes", "BYTES", "bytes pushed through the pipe at full speed (default 33554432)"},
    {"starts", "N", "children started per kind when timing spawn, exec and execFile (default 5)"},
    {"child", "c|node", "the stdio-array child: this program (default) or node"},
    {"as-child", "ROLE", "be a child of stdio-pipe: echo, reader, sink or stdio"},
    {NULL, NULL, NULL},
};

enum { P_SPAWN, P_EXEC, P_EXECFILE, P_STDIO, P_BACKPRESSURE, P_STREAM, P_PINGPONG, NPARTS };
static const char *const part_names[NPARTS] = {"spawn",        "exec",   "execfile", "stdio",
                                               "backpressure", "stream", "pingpong"};

#define CHUNK       (16 * 1024) /* one stream.write() of the backpressure burst */
#define STREAM_CHUNK (64 * 1024)
#define HIGH_WATER  (16 * 1024) /* node's default highWaterMark for a writable stream */
#define MAX_JOBS    8
#define MISSING_CMD "ipcscope-no-such-command"
#define INJECTION   "hello; echo INJECTED"

typedef void (*done_fn)(void);

/* ==== a child with its three pipes: what node calls a ChildProcess ====== */

typedef struct job_s job_t;
typedef void (*job_cb)(job_t *j);
/* which: 1 stdout, 2 stderr. */
typedef void (*job_data_cb)(job_t *j, int which, const char *data, size_t len);

struct job_s {
    /* set by the caller before job_start */
    const char *role;   /* in proc events and narration: "grep", "sh", "echo child" */
    int buffered;       /* exec / execFile: keep the output, hand it over at the end */
    size_t max_buffer;  /* buffered only; 0: no limit */
    long timeout_ms;    /* 0: none */
    int own;            /* this program: it reports its own events */
    int ipc;            /* a socketpair at the child's fd 3 (stdio 'ipc') */
    int ctl;            /* a pipe at the child's fd 3 that we write commands to */
    int quiet;          /* no narration, no events (timing loops) */
    int new_group;
    job_data_cb on_data;
    job_cb on_exit;     /* after waitpid, before the pipes are closed */
    job_cb on_written;  /* a write to its stdin completed */
    job_cb on_close;    /* exited, and every pipe closed: node's 'close' */
    done_fn done;       /* for the caller */

    /* state */
    scope_child_t child;
    uv_pipe_t pipe[3]; /* our ends: its stdin (we write), stdout, stderr (we read) */
    int open[3];
    int fd[3];         /* their numbers, for the narration */
    int ipc_fd, ctl_fd;
    uv_timer_t timer;
    int timer_open;
    int nhandles;
    struct {
        char *p;
        size_t len;
    } out[3];
    uint64_t nread[3], chunks[3];
    int wpending, end_pending, write_error;
    uint64_t wqueued, wdone;
    int started, exited, closed, code, sig;
    const char *killed_for; /* "maxBuffer", "timeout", "kill" */
    int term_sent;
    uint64_t t0, t_exit;
};

typedef struct {
    uv_write_t req;
    job_t *j;
    size_t len;
    char data[];
} wreq_t;

static struct {
    scope_demo_t demo;
    char self[PATH_MAX], self_dir[PATH_MAX];
    const char *as_child;
    int node_child, slow_reader, reader_go;
    unsigned parts;
    char fault[16];
    size_t max_buffer, burst, stream_bytes;
    long timeout_ms, stall_ms, starts;
    int failed, cut_short, finished;
    int cur;
    job_t *live[MAX_JOBS];
    cJSON *summary;
    scope_pacer_t pacer;
    /* the parts' own jobs */
    job_t main_job, fault_job;
    int fault_running, walk_done;
    char fault_outcome[160]; /* what a fault came to, for the summary */
    /* spawn grep */
    int grep_run, grep_line, grep_codes[3];
    /* exec and execFile */
    int inj_exec_ran, inj_file_one_arg;
    int start_kind, start_n;
    uint64_t start_ns[3][64];
    /* stdio */
    scope_channel_t ch;
    int ch_open, got_received, got_done_bytes;
    long long done_bytes;
    size_t stdio_sent;
    /* backpressure and stream */
    uv_timer_t monitor, stall;
    int monitor_open, stall_open;
    int bp_full, bp_resumed, bp_drained, bp_reader_paused, bp_wait_resume;
    size_t pipe_size, bp_queue_max, bp_in_pipe_max, bp_last_queue, bp_last_fill;
    int bp_false_at;
    uint64_t bp_last_log;
    long long reader_read;
    uint64_t st_t0, st_t1;
    size_t st_queued;
    /* ping-pong */
    scope_hist_t rtt;
    scope_rate_t rate;
    uv_timer_t stats_timer;
    int stats_open;
    long pings, pongs;
    char hdr[64];
    size_t hdr_len, line_len;
    char *pad;
    size_t pad_len;
} s = {
    .max_buffer = 1024 * 1024,
    .burst = 1024 * 1024,
    .stream_bytes = 32u * 1024 * 1024,
    .timeout_ms = 1000,
    .stall_ms = 2000,
    .starts = 5,
    .cur = -1,
};

/* What a child gets to read from us, and a buffer every read lands in first:
 * reads are handled one at a time on the loop, so one buffer serves all. */
static char pattern[STREAM_CHUNK];
static char readbuf[64 * 1024];

static void next_part(void);
static void finish(void);
static void part_failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- small helpers ------------------------------------------------------ */

static int parse_size(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || x < lo || x > hi || x != (double)(long long)x)
        return -EINVAL;
    *out = x;
    return 0;
}

static void part_failed(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (s.demo.quitting)
        return; /* cut short on purpose: nothing to judge */
    s.failed++;
    scope_events_error("check", "%s", buf);
}

/* A lesson step whose work starts a child: skipped once we are winding down. */
static scope_demo_cb pending_step;

static void run_step(scope_demo_t *d)
{
    scope_demo_cb cb = pending_step;
    pending_step = NULL;
    if (d->quitting || s.finished || !cb) {
        next_part();
        return;
    }
    cb(d);
}

static void step(const char *title, scope_demo_cb cb)
{
    if (s.demo.quitting || s.finished) {
        next_part();
        return;
    }
    pending_step = cb;
    scope_demo_step(&s.demo, title, run_step);
}

/* The reader's report on its stdout: "read N bytes". -1 when it is not that. */
static long long read_report(const char *data, size_t len)
{
    char line[64];
    snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), data);
    long long n;
    return sscanf(line, "read %lld bytes", &n) == 1 ? n : -1;
}

/* Text for a summary or narration: newlines shown as \n, cut to max bytes. */
static void printable(char *out, size_t cap, const char *data, size_t len)
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

static const char *sig_name(int sig)
{
    static char buf[16];
    snprintf(buf, sizeof buf, "SIG%s", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
    return buf;
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
    if (n <= 0)
        return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_u64);
    return v[(n - 1) / 2];
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
static int kill_tree(pid_t pid, int sig, int depth, char *names, size_t cap)
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
static void chan_event(const char *state, const char *id, const char *kind, scope_end_t a,
                       scope_end_t b, const char *detail)
{
    if (scope_events_format() == SCOPE_EVENTS_JSON)
        scope_events_chan(state, id, kind, a, b, detail);
}

/* ---- the job machinery --------------------------------------------------- */

static void job_register(job_t *j, int on)
{
    for (int i = 0; i < MAX_JOBS; i++) {
        if (on && !s.live[i]) {
            s.live[i] = j;
            return;
        }
        if (!on && s.live[i] == j) {
            s.live[i] = NULL;
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

static void job_close_pipe(job_t *j, int i)
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

static void job_kill(job_t *j, int sig, const char *why)
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
    uv_pipe_init(s.demo.loop, &j->pipe[i], 0);
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
static int job_start(job_t *j, const char *file, char *const argv[])
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
    int r = scope_spawn(s.demo.loop, &j->child, &o, on_job_exit);
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
    uv_timer_init(s.demo.loop, &j->timer);
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

static void job_free_output(job_t *j)
{
    for (int i = 0; i < 3; i++) {
        free(j->out[i].p);
        j->out[i].p = NULL;
        j->out[i].len = 0;
    }
}

/* A job made ready for job_start: only when it never started or is closed. */
static job_t *job_new(job_t *j)
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
static int job_write(job_t *j, const char *data, size_t len, int is_static)
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
static void job_end(job_t *j)
{
    if (j->wpending == 0)
        job_close_pipe(j, 0);
    else
        j->end_pending = 1;
}

static size_t job_queue(job_t *j)
{
    return j->open[0] ? uv_stream_get_write_queue_size((uv_stream_t *)&j->pipe[0]) : 0;
}

/* A msg event for data that crossed one of a job's pipes. */
static void trace_data(job_t *j, int which, const char *data, size_t len, uint64_t id)
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

/* ==== part 1: spawn grep ================================================== */

static const char *const grep_lines[] = {"hello world", "goodbye world", "hello from the parent",
                                         "nothing to see here"};
#define NGREP_LINES 4

static void grep_run(int run);

static void step_grep_codes(scope_demo_t *d)
{
    (void)d;
    grep_run(1);
}

static void grep_on_data(job_t *j, int which, const char *data, size_t len)
{
    trace_data(j, which, data, len, j->chunks[which]);
    char text[200];
    printable(text, sizeof text, data, len);
    scope_events_log("'data' on child.%s: read() %zu bytes from fd %d: %s",
                     which == 1 ? "stdout" : "stderr", len, j->fd[which], text);
}

static void grep_send_line(scope_pacer_t *p)
{
    (void)p;
    job_t *j = &s.main_job;
    if (!j->open[0])
        return;
    const char *l = grep_lines[s.grep_line];
    char line[64];
    int n = snprintf(line, sizeof line, "%s\n", l);
    trace_data(j, 0, line, (size_t)n, (uint64_t)s.grep_line + 1);
    job_write(j, line, (size_t)n, 0);
    scope_events_log("child.stdin.write('%s\\n'): write() of %d bytes on fd %d", l, n, j->fd[0]);
    if (++s.grep_line < NGREP_LINES) {
        scope_pacer_next(&s.pacer, grep_send_line);
        return;
    }
    scope_events_log("child.stdin.end(): close(fd %d). grep's read() returns 0 (EOF); its "
                     "stdout is a pipe, not a terminal, so its C library held the matches in a "
                     "4 KiB buffer until now, and writes them at once",
                     j->fd[0]);
    job_end(j);
}

static void grep_explain(job_t *j)
{
    if (j->sig) {
        s.cut_short |= !s.demo.quitting;
        scope_events_log("grep was killed by %s before it finished: node's 'exit' gives code "
                         "null and signal '%s'",
                         sig_name(j->sig), sig_name(j->sig));
        return;
    }
    if (j->code == 0)
        scope_events_log("waitpid() gives exit code 0: at least one line matched (%llu bytes "
                         "on stdout, %llu on stderr)",
                         (unsigned long long)j->nread[1], (unsigned long long)j->nread[2]);
    else if (j->code == 1)
        scope_events_log("waitpid() gives exit code 1: no line matched. For grep that is an "
                         "answer, not a failure: node emits 'exit' with code 1 and no 'error'. "
                         "exec() would still hand its callback an Error with code 1, so look "
                         "at the code");
    else
        scope_events_log("waitpid() gives exit code %d: grep itself failed. Its reason came on "
                         "stderr (fd %d here), a pipe of its own, in %llu read()s: stderr is "
                         "unbuffered, so each piece of the message was its own write(). "
                         "stdout stayed clean",
                         j->code, j->fd[2], (unsigned long long)j->chunks[2]);
}

static void grep_closed(job_t *j)
{
    grep_explain(j);
    s.grep_codes[s.grep_run] = j->sig ? -1 : j->code;
    int expect[3] = {0, 1, 2};
    if (!j->sig && j->code != expect[s.grep_run])
        part_failed("grep run %d exited %d, expected %d", s.grep_run + 1, j->code,
                    expect[s.grep_run]);
    scope_events_log("'close': grep exited and its stdout and stderr reached EOF");
    if (s.grep_run == 0) {
        step("grep's exit code: 1 when nothing matched, 2 when grep failed", step_grep_codes);
    } else if (s.grep_run == 1 && !s.demo.quitting) {
        grep_run(2);
    } else {
        cJSON *codes = cJSON_AddArrayToObject(s.summary, "grep_codes");
        for (int i = 0; i <= s.grep_run; i++)
            cJSON_AddItemToArray(codes, cJSON_CreateNumber(s.grep_codes[i]));
        next_part();
    }
}

static void grep_run(int run)
{
    job_t *j = job_new(&s.main_job);
    s.grep_run = run;
    s.grep_line = 0;
    j->role = "grep";
    j->on_data = grep_on_data;
    j->on_close = grep_closed;
    char *argv0[] = {"grep", "hello", NULL};
    char *argv2[] = {"grep", "hello", "/nonexistent/ipcscope-missing-file", NULL};
    if (run == 1)
        scope_events_log("spawn('grep', ['hello']) again, and this time no line says hello");
    if (run == 2)
        scope_events_log("spawn('grep', ['hello', '/nonexistent/ipcscope-missing-file']): "
                         "a file that is not there");
    int r = job_start(j, "grep", run == 2 ? argv2 : argv0);
    if (r < 0) {
        part_failed("spawn grep: %s", strerror(-r));
        next_part();
        return;
    }
    if (run == 0) {
        scope_pacer_next(&s.pacer, grep_send_line);
    } else if (run == 1) {
        const char *l = "goodbye world\n";
        trace_data(j, 0, l, strlen(l), 1);
        job_write(j, l, strlen(l), 1);
        job_end(j);
    } else {
        job_end(j);
    }
}

static void part_spawn(scope_demo_t *d)
{
    (void)d;
    scope_events_log("spawn('grep', ['hello']): the child's stdin, stdout and stderr become "
                     "pipes, as in seed 000");
    grep_run(0);
}

/* ==== parts 2 and 3: exec and execFile =================================== */

static void exec_step_maxbuffer(scope_demo_t *d);
static void exec_step_timeout(scope_demo_t *d);
static void step_execfile_cost(scope_demo_t *d);

/* exec(cmd) is execFile('/bin/sh', ['-c', cmd]). */
static int start_exec(job_t *j, const char *cmd)
{
    char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
    j->buffered = 1;
    return job_start(j, "/bin/sh", argv);
}

static void buffered_on_data(job_t *j, int which, const char *data, size_t len)
{
    (void)data;
    if (!j->quiet && j->nread[which] <= 64 * 1024)
        scope_events_log("read() %zu bytes from fd %d (its %s): kept in a buffer, not handed "
                         "over yet",
                         len, j->fd[which], which == 1 ? "stdout" : "stderr");
}

/* What exec's callback gets: (error, stdout, stderr). */
static void report_callback(job_t *j, const char *call)
{
    char out[64], err[64];
    printable(out, sizeof out, j->out[1].p ? j->out[1].p : "", j->out[1].len);
    printable(err, sizeof err, j->out[2].p ? j->out[2].p : "", j->out[2].len);
    if (j->out[1].len)
        trace_data(j, 1, j->out[1].p, j->out[1].len, 0);
    if (j->out[2].len)
        trace_data(j, 2, j->out[2].p, j->out[2].len, 0);
    char error[200];
    if (j->killed_for && strcmp(j->killed_for, "maxBuffer") == 0)
        snprintf(error, sizeof error, "RangeError [ERR_CHILD_PROCESS_STDIO_MAXBUFFER]");
    else if (j->sig)
        snprintf(error, sizeof error, "Error {killed: %s, code: null, signal: '%s'}",
                 j->killed_for ? "true" : "false", sig_name(j->sig));
    else if (j->code)
        snprintf(error, sizeof error, "Error {code: %d}", j->code);
    else
        snprintf(error, sizeof error, "null");
    scope_events_log("%s's callback, after waitpid() and EOF on both pipes (%.2f ms): "
                     "error %s, stdout %zu bytes '%s', stderr %zu bytes '%s'",
                     call, ms(j->t_exit - j->t0), error, j->out[1].len, out, j->out[2].len, err);
}

static void exec_closed(job_t *j)
{
    report_callback(j, "exec");
    if (j->sig && !j->killed_for)
        s.cut_short |= !s.demo.quitting;
    else if (j->code != 0 || !j->out[1].p || !strstr(j->out[1].p, "matched 2 lines"))
        part_failed("exec: expected 'matched 2 lines' and code 0, got code %d", j->code);
    step("exec's maxBuffer: a child that writes too much is killed", exec_step_maxbuffer);
}

static void part_exec(scope_demo_t *d)
{
    (void)d;
    job_t *j = job_new(&s.main_job);
    const char *cmd = "echo \"sh is pid $$\"; printf 'hello world\\ngoodbye\\nhello again\\n' | "
                      "grep hello | wc -l | sed 's/^/matched /; s/$/ lines/'";
    scope_events_log("exec(\"%s\"): node runs /bin/sh -c with the string; the shell, not node, "
                     "understands '$$', '|' and ';'",
                     cmd);
    j->role = "sh";
    j->max_buffer = s.max_buffer;
    j->on_data = buffered_on_data;
    j->on_close = exec_closed;
    int r = start_exec(j, cmd);
    if (r < 0) {
        part_failed("exec: /bin/sh: %s", strerror(-r));
        next_part();
        return;
    }
    scope_events_log("the shell makes its own pipe2() and fork()s for '|': grep, wc and sed are "
                     "its children, writing into the pipe we read");
}

/* The faults' bodies, shared by the exec part and --fault. */

static void maxbuffer_closed(job_t *j)
{
    report_callback(j, "exec");
    if (!j->killed_for || strcmp(j->killed_for, "maxBuffer") || j->out[1].len != j->max_buffer)
        part_failed("maxBuffer: expected the child killed after %zu bytes, kept %zu",
                    j->max_buffer, j->out[1].len);
    else
    {
        scope_events_log("maxBuffer held: %zu bytes kept, the rest never read; the child was "
                         "%s",
                         j->out[1].len, j->sig ? (j->sig == SIGTERM ? "killed by SIGTERM" : "killed")
                                               : "already gone");
        snprintf(s.fault_outcome, sizeof s.fault_outcome,
                 "%zu bytes kept, the child killed, ERR_CHILD_PROCESS_STDIO_MAXBUFFER",
                 j->out[1].len);
    }
    j->done();
}

static int run_maxbuffer(job_t *j, done_fn done)
{
    job_new(j);
    j->role = "sh";
    j->max_buffer = s.max_buffer;
    j->timeout_ms = 0;
    j->on_data = buffered_on_data;
    j->on_close = maxbuffer_closed;
    j->done = done;
    scope_events_log("exec(\"yes 'hello from sh'\", {maxBuffer: %zu}): yes writes forever",
                     s.max_buffer);
    return start_exec(j, "yes 'hello from sh'");
}

static void timeout_closed(job_t *j)
{
    report_callback(j, "exec");
    if (!j->killed_for || strcmp(j->killed_for, "timeout") || j->sig != SIGTERM)
        part_failed("timeout: expected the child killed by SIGTERM, got code %d signal %d",
                    j->code, j->sig);
    else
    {
        scope_events_log("the timeout fired after %ld ms: the shell is reaped, cat is gone too "
                         "(orphaned, init reaps it), and our pipes are closed",
                         j->timeout_ms);
        snprintf(s.fault_outcome, sizeof s.fault_outcome,
                 "killed by SIGTERM after %ld ms, reaped, no process left", j->timeout_ms);
    }
    j->done();
}

static int run_timeout(job_t *j, done_fn done)
{
    job_new(j);
    j->role = "sh";
    j->max_buffer = s.max_buffer;
    j->timeout_ms = s.timeout_ms;
    j->on_data = buffered_on_data;
    j->on_close = timeout_closed;
    j->done = done;
    scope_events_log("exec('cat', {timeout: %ld}): cat waits on its stdin, a pipe we never "
                     "close: it would never exit",
                     s.timeout_ms);
    return start_exec(j, "cat");
}

static void exec_part_done(void)
{
    next_part();
}

static void exec_after_maxbuffer(void)
{
    step("exec's timeout: SIGTERM for a child that never exits", exec_step_timeout);
}

static void exec_step_maxbuffer(scope_demo_t *d)
{
    (void)d;
    int r = run_maxbuffer(&s.main_job, exec_after_maxbuffer);
    if (r < 0) {
        part_failed("exec: /bin/sh: %s", strerror(-r));
        next_part();
    }
}

static void exec_step_timeout(scope_demo_t *d)
{
    (void)d;
    int r = run_timeout(&s.main_job, exec_part_done);
    if (r < 0) {
        part_failed("exec: /bin/sh: %s", strerror(-r));
        next_part();
    }
}

/* execFile and the injection. */

static void injection_file_closed(job_t *j)
{
    report_callback(j, "execFile");
    const char *out = j->out[1].p ? j->out[1].p : "";
    s.inj_file_one_arg = strcmp(out, INJECTION "\n") == 0;
    if (s.inj_file_one_arg)
        scope_events_log("execFile: echo got one argument and printed it back; ';' is just a "
                         "character when no shell reads it. Nothing else ran");
    else
        part_failed("execFile printed '%s', not the argument whole", out);
    cJSON *o = cJSON_AddObjectToObject(s.summary, "injection");
    cJSON_AddBoolToObject(o, "exec_ran_second_command", s.inj_exec_ran);
    cJSON_AddBoolToObject(o, "execfile_one_argument", s.inj_file_one_arg);
    step("what the shell costs: spawn, exec and execFile timed", step_execfile_cost);
}

static void injection_exec_closed(job_t *j)
{
    report_callback(j, "exec");
    const char *out = j->out[1].p ? j->out[1].p : "";
    s.inj_exec_ran = strstr(out, "\nINJECTED\n") != NULL;
    if (s.inj_exec_ran)
        scope_events_log("exec: the shell read ';' as the end of a command and ran 'echo "
                         "INJECTED' too. Had the input said 'rm -rf ~', that would have run");
    else
        part_failed("exec did not run the injected command: '%s'", out);
    if (s.demo.quitting) {
        next_part();
        return;
    }
    char *argv[] = {"echo", INJECTION, NULL};
    job_new(j);
    j->role = "echo";
    j->buffered = 1;
    j->max_buffer = s.max_buffer;
    j->on_close = injection_file_closed;
    scope_events_log("execFile('echo', [input]): no shell; execve() gets the input as argv[1], "
                     "whole");
    int r = job_start(j, "echo", argv);
    if (r < 0) {
        part_failed("execFile echo: %s", strerror(-r));
        next_part();
    }
}

static void part_execfile(scope_demo_t *d)
{
    (void)d;
    job_t *j = job_new(&s.main_job);
    j->role = "sh";
    j->max_buffer = s.max_buffer;
    j->on_close = injection_exec_closed;
    scope_events_log("input from outside, say a form field: '%s'", INJECTION);
    scope_events_log("exec('echo ' + input): the shell gets \"echo " INJECTION "\"");
    int r = start_exec(j, "echo " INJECTION);
    if (r < 0) {
        part_failed("exec: /bin/sh: %s", strerror(-r));
        next_part();
    }
}

/* Timing: uname -s started by spawn, exec and execFile, one after another. */
static const char *const start_kinds[3] = {"spawn", "exec", "execFile"};

static void start_next(void);

static void start_closed(job_t *j)
{
    if (j->sig || j->code != 0) {
        part_failed("%s of uname: code %d, signal %d", start_kinds[s.start_kind], j->code, j->sig);
    }
    s.start_ns[s.start_kind][s.start_n] = scope_time_now_ns() - j->t0;
    /* Round robin, spawn, exec, execFile, spawn...: a slow moment of the
     * machine then hits all three alike. */
    if (++s.start_kind == 3) {
        s.start_kind = 0;
        s.start_n++;
    }
    start_next();
}

static void start_next(void)
{
    job_t *j = &s.main_job;
    if (s.start_n >= s.starts || s.demo.quitting) {
        uint64_t med[3];
        for (int k = 0; k < 3; k++)
            med[k] = median(s.start_ns[k], (int)s.start_n);
        if (s.start_n >= s.starts) {
            scope_events_log("median of %ld starts, from pipe2() to the last EOF: spawn %.2f ms, "
                             "execFile %.2f ms, exec %.2f ms. exec pays for a shell: one more "
                             "fork() and execve(), and sh's own start-up",
                             s.starts, ms(med[0]), ms(med[2]), ms(med[1]));
            cJSON *o = cJSON_AddObjectToObject(s.summary, "start_ns");
            cJSON_AddNumberToObject(o, "spawn", (double)med[0]);
            cJSON_AddNumberToObject(o, "exec", (double)med[1]);
            cJSON_AddNumberToObject(o, "execFile", (double)med[2]);
            cJSON_AddNumberToObject(o, "starts", (double)s.starts);
        }
        next_part();
        return;
    }
    job_new(j);
    j->role = "uname";
    j->quiet = 1;
    j->max_buffer = s.max_buffer;
    j->on_close = start_closed;
    int r;
    if (s.start_kind == 1) {
        r = start_exec(j, "uname -s");
    } else {
        char *argv[] = {"uname", "-s", NULL};
        j->buffered = s.start_kind == 2;
        r = job_start(j, "uname", argv);
    }
    if (r < 0) {
        j->quiet = 0;
        part_failed("start uname: %s", strerror(-r));
        next_part();
    }
}

static void step_execfile_cost(scope_demo_t *d)
{
    (void)d;
    scope_events_log("starting 'uname -s' %ld times each way, in turn: spawn('uname', ['-s']), "
                     "exec('uname -s'), execFile('uname', ['-s'])",
                     s.starts);
    s.start_kind = s.start_n = 0;
    start_next();
}

/* ==== part 4: stdio ['pipe', 'pipe', 'pipe', 'ipc'] ====================== */

static void stdio_maybe_done(void);

static void stdio_on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    (void)type;
    if (fd >= 0)
        close(fd);
    char *text = cJSON_PrintUnformatted(msg);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(msg, "type");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(msg, "bytes");
    scope_events_msg("recv", "ipc", SCOPE_PID(s.main_job.child.pid), SCOPE_PID(getpid()), 0,
                     ch->message_bytes, text ? text : "?", 0);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "received"))) {
        s.got_received = 1;
        scope_events_log("'message' on the channel (fd %d): {\"received\":true}", ch->fd);
    } else if (cJSON_IsString(t) && strcmp(t->valuestring, "done") == 0 && cJSON_IsNumber(b)) {
        s.got_done_bytes = 1;
        s.done_bytes = (long long)b->valuedouble;
        scope_events_log("'message': the child counted %lld bytes on its stdin; we wrote %zu",
                         s.done_bytes, s.stdio_sent);
    }
    cJSON_free(text);
}

static void stdio_on_disconnect(scope_channel_t *ch, int status)
{
    (void)ch;
    scope_events_log("'disconnect': the channel's read() returned 0 (%s)",
                     status == UV_EOF ? "the child closed fd 3" : uv_strerror(status));
    chan_event("close", "ipc", "socketpair", SCOPE_PID(getpid()),
                      SCOPE_PID(s.main_job.child.pid), NULL);
}

static void stdio_on_channel_closed(scope_channel_t *ch)
{
    (void)ch;
    s.ch_open = 0;
    stdio_maybe_done();
}

static void stdio_on_data(job_t *j, int which, const char *data, size_t len)
{
    trace_data(j, which, data, len, 0);
    char text[200];
    printable(text, sizeof text, data, len);
    scope_events_log("child.%s 'data' (fd %d): %s", which == 1 ? "stdout" : "stderr",
                     j->fd[which], text);
}

static void stdio_pump(job_t *j)
{
    /* Large data the careful way: write while the queue is under the
     * highWaterMark, then wait for a write to complete ('drain'). */
    while (s.stdio_sent < 256 * 1024 && job_queue(j) < HIGH_WATER && j->open[0]) {
        if (job_write(j, pattern, CHUNK, 1) < 0)
            return;
        s.stdio_sent += CHUNK;
    }
    if (s.stdio_sent >= 256 * 1024 && !j->end_pending && j->open[0]) {
        scope_events_log("child.stdin.end() after %zu bytes in %d writes of %d", s.stdio_sent,
                         (int)(s.stdio_sent / CHUNK), CHUNK);
        job_end(j);
    }
}

static void stdio_closed(job_t *j)
{
    (void)j;
    if (s.ch_open)
        scope_channel_close(&s.ch);
    stdio_maybe_done();
}

static void stdio_maybe_done(void)
{
    job_t *j = &s.main_job;
    if (s.ch_open || !j->closed || s.cur != P_STDIO)
        return;
    const char *out = j->out[1].p ? j->out[1].p : "";
    char want[64];
    snprintf(want, sizeof want, "%zu bytes arrived", s.stdio_sent);
    if (j->sig) {
        s.cut_short |= !s.demo.quitting;
    } else if (j->code != 0 || !s.got_received || !s.got_done_bytes ||
               s.done_bytes != (long long)s.stdio_sent || !strstr(out, want) ||
               !j->out[2].len) {
        part_failed("stdio: code %d, received %d, done %lld of %zu, stdout '%s', stderr %zu "
                    "bytes",
                    j->code, s.got_received, s.done_bytes, s.stdio_sent, out, j->out[2].len);
    } else {
        scope_events_log("waitpid(): the child exited 0. Four streams, one child: stdin, stdout "
                         "and stderr carried bytes, fd 3 carried messages; all %zu bytes arrived",
                         s.stdio_sent);
        cJSON *o = cJSON_AddObjectToObject(s.summary, "stdio");
        cJSON_AddNumberToObject(o, "bytes", (double)s.stdio_sent);
        cJSON_AddStringToObject(o, "child", s.node_child ? "node" : "c");
    }
    next_part();
}

static void show_child_fds(pid_t pid)
{
    char line[256];
    size_t o = 0;
    for (int fd = 0; fd <= 3; fd++) {
        char path[64], target[64];
        snprintf(path, sizeof path, "/proc/%ld/fd/%d", (long)pid, fd);
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        o += (size_t)snprintf(line + o, sizeof line - o, "%sfd %d -> %s", fd ? ", " : "", fd,
                              n > 0 ? target : "?");
    }
    scope_events_log("readlink /proc/%ld/fd/N: %s. Three pipes and a socket", (long)pid, line);
}

static void part_stdio(scope_demo_t *d)
{
    (void)d;
    job_t *j = job_new(&s.main_job);
    char script[PATH_MAX + 32];
    snprintf(script, sizeof script, "%s/stdio-pipe-child.js", s.self_dir);
    char *c_argv[] = {s.self, "--as-child", "stdio", NULL};
    char *node_argv[] = {"node", script, NULL};
    j->role = s.node_child ? "node child" : "stdio child";
    j->own = 1;
    j->ipc = 1;
    j->buffered = 1; /* kept to check, and traced as it comes */
    j->on_data = stdio_on_data;
    j->on_written = stdio_pump;
    j->on_close = stdio_closed;
    s.stdio_sent = 0;
    s.got_received = s.got_done_bytes = 0;
    s.done_bytes = -1;
    scope_events_log("spawn(%s, {stdio: ['pipe', 'pipe', 'pipe', 'ipc']}), as seed 004 does",
                     s.node_child ? "'node', ['stdio-pipe-child.js']" : "'stdio-pipe', ['--as-child', 'stdio']");
    int r = job_start(j, s.node_child ? "node" : s.self, s.node_child ? node_argv : c_argv);
    if (r < 0) {
        part_failed("cannot start the stdio child: %s%s", strerror(-r),
                    s.node_child && r == -ENOENT ? " (is node installed?)" : "");
        next_part();
        return;
    }
    if (s.node_child)
        scope_events_proc("start", j->child.pid, getpid(), j->role, 0, 0);
    show_child_fds(j->child.pid);
    memset(&s.ch, 0, sizeof s.ch);
    s.ch.on_message = stdio_on_message;
    s.ch.on_disconnect = stdio_on_disconnect;
    s.ch.on_close = stdio_on_channel_closed;
    int fd = j->ipc_fd;
    j->ipc_fd = -1;
    if ((r = scope_channel_open(s.demo.loop, &s.ch, fd)) < 0) {
        close(fd);
        part_failed("cannot open the channel: %s", uv_strerror(r));
        job_end(j);
        return;
    }
    s.ch_open = 1;
    chan_event("open", "ipc", "socketpair", SCOPE_PID(getpid()), SCOPE_PID(j->child.pid),
                      "the 'ipc' entry: fd 3 in the child");
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "hello", "world");
    scope_events_msg("send", "ipc", SCOPE_PID(getpid()), SCOPE_PID(j->child.pid), 0, 18,
                     "{\"hello\":\"world\"}", 0);
    scope_channel_send(&s.ch, m);
    cJSON_Delete(m);
    scope_events_log("child.send({hello: 'world'}) on fd %d, while 256 KiB stream into its "
                     "stdin (fd %d) in %d KiB writes",
                     fd, j->fd[0], CHUNK / 1024);
    stdio_pump(j);
}

/* ==== part 5: backpressure ================================================ */

static void bp_step_resume(scope_demo_t *d);

static void reader_cmd(char c)
{
    job_t *j = &s.main_job;
    if (j->ctl_fd < 0 || !j->child.running)
        return;
    ssize_t n;
    do
        n = write(j->ctl_fd, &c, 1);
    while (n < 0 && errno == EINTR);
    s.bp_reader_paused = c == 'p';
}

static size_t pipe_fill(job_t *j)
{
    int n = 0;
    if (!j->open[0] || ioctl(j->fd[0], FIONREAD, &n) < 0)
        return 0;
    return (size_t)n;
}

/* One look at the pipe and the queue: a stats event for tools, and a line of
 * narration when something changed. */
static void bp_report(int force)
{
    job_t *j = &s.main_job;
    size_t queue = job_queue(j), fill = pipe_fill(j);
    uint64_t now = scope_time_now_ns();
    uint64_t in_kernel = j->wqueued - queue; /* what write(2) has taken */
    uint64_t taken = in_kernel > fill ? in_kernel - fill : 0;
    if (queue > s.bp_queue_max)
        s.bp_queue_max = queue;
    if (fill > s.bp_in_pipe_max)
        s.bp_in_pipe_max = fill;
    int changed = queue != s.bp_last_queue || fill != s.bp_last_fill;
    if (!force && (!changed || now - s.bp_last_log < 250000000ull))
        return;
    s.bp_last_log = now;
    s.bp_last_queue = queue;
    s.bp_last_fill = fill;
    /* A log line, with the figures as fields for tools: a stats event would
     * claim latency figures that a one-way stream does not have. */
    char text[256];
    snprintf(text, sizeof text,
             "pipe: %zu of %zu bytes (FIONREAD); writer's queue: %zu bytes; the reader has "
             "taken %llu of %llu",
             fill, s.pipe_size, queue, (unsigned long long)taken, (unsigned long long)j->wqueued);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", text);
    cJSON_AddStringToObject(o, "chan", "stdin");
    cJSON_AddNumberToObject(o, "queued", (double)queue);
    cJSON_AddNumberToObject(o, "in_pipe", (double)fill);
    cJSON_AddNumberToObject(o, "pipe_size", (double)s.pipe_size);
    cJSON_AddNumberToObject(o, "written", (double)j->wqueued);
    cJSON_AddNumberToObject(o, "taken", (double)taken);
    scope_events_emit("log", o);
}

static void on_monitor(uv_timer_t *t)
{
    (void)t;
    if (s.cur == P_BACKPRESSURE && s.main_job.open[0])
        bp_report(0);
}

static void on_stall(uv_timer_t *t)
{
    (void)t;
    step("the reader resumes: the queue drains, then 'drain'", bp_step_resume);
}

static void bp_written(job_t *j)
{
    if (s.cur != P_BACKPRESSURE || s.bp_drained || j->wpending > 0)
        return;
    s.bp_drained = 1;
    bp_report(1);
    scope_events_log("'drain': every queued byte went into the pipe and the queue is empty; "
                     "write() would return true again. child.stdin.end(): close(fd %d)",
                     j->fd[0]);
    job_end(j);
}

static void bp_on_data(job_t *j, int which, const char *data, size_t len)
{
    if (which != 1) {
        stdio_on_data(j, which, data, len);
        return;
    }
    trace_data(j, 1, data, len, 0);
    long long n = read_report(data, len);
    if (n >= 0)
        s.reader_read = n;
}

static void bp_closed(job_t *j)
{
    uv_timer_stop(&s.monitor);
    uv_timer_stop(&s.stall);
    if (j->sig) {
        s.cut_short |= !s.demo.quitting;
        scope_events_log("the reader was killed by %s before it read everything",
                         sig_name(j->sig));
    } else if (s.reader_read != (long long)s.burst || j->code != 0 || !s.bp_drained) {
        part_failed("backpressure: the reader read %lld of %zu bytes, exit %d, drained %d",
                    s.reader_read, s.burst, j->code, s.bp_drained);
    } else {
        scope_events_log("waitpid(): the reader exited 0, and all %zu bytes arrived. At most %zu bytes waited in the pipe and %zu "
                         "in the writer's queue: memory the writer held because it did not "
                         "wait for 'drain'",
                         s.burst, s.bp_in_pipe_max, s.bp_queue_max);
    }
    cJSON *o = cJSON_AddObjectToObject(s.summary, "backpressure");
    cJSON_AddNumberToObject(o, "pipe_size", (double)s.pipe_size);
    cJSON_AddNumberToObject(o, "max_queue", (double)s.bp_queue_max);
    cJSON_AddNumberToObject(o, "max_in_pipe", (double)s.bp_in_pipe_max);
    cJSON_AddNumberToObject(o, "written", (double)s.burst);
    cJSON_AddNumberToObject(o, "read", (double)s.reader_read);
    cJSON_AddBoolToObject(o, "drained", s.bp_drained);
    next_part();
}

static void bp_step_resume(scope_demo_t *d)
{
    if (s.main_job.closed || !s.main_job.child.running)
        return;
    if (d->paused) {
        /* Paused from the dashboard: the reader stays away until resume. */
        s.bp_wait_resume = 1;
        scope_events_log("paused: the reader stays away until resume");
        return;
    }
    s.bp_resumed = 1;
    reader_cmd('r');
    scope_events_log("told the reader to resume (one byte, 'r', on its fd 3): "
                     "process.stdin.resume()%s",
                     s.slow_reader ? "; it takes 4 KiB every 10 ms" : "");
    bp_report(1);
}

static void part_backpressure(scope_demo_t *d)
{
    job_t *j = job_new(&s.main_job);
    char *argv[] = {s.self, "--as-child", "reader", s.slow_reader ? "--slow-reader" : NULL, NULL};
    j->role = "reader";
    j->own = 1;
    j->ctl = 1;
    j->on_data = bp_on_data;
    j->on_written = bp_written;
    j->on_close = bp_closed;
    s.bp_full = s.bp_resumed = s.bp_drained = s.bp_wait_resume = 0;
    s.bp_queue_max = s.bp_in_pipe_max = 0;
    s.bp_false_at = 0;
    s.reader_read = -1;
    int r = job_start(j, s.self, argv);
    if (r < 0) {
        part_failed("cannot start the reader: %s", strerror(-r));
        next_part();
        return;
    }
    s.pipe_size = (size_t)fcntl(j->fd[0], F_GETPIPE_SZ);
    scope_events_log("fcntl(fd %d, F_GETPIPE_SZ) = %zu: what the pipe holds before a writer must "
                     "wait (F_SETPIPE_SZ could change it, up to /proc/sys/fs/pipe-max-size)",
                     j->fd[0], s.pipe_size);
    scope_events_log("the reader starts paused (process.stdin.pause()): it does not call read() "
                     "on its fd 0");
    /* The careless writer: a loop of write() that ignores what write() returns. */
    int nwrites = (int)((s.burst + CHUNK - 1) / CHUNK);
    for (int i = 0; i < nwrites; i++) {
        size_t n = (size_t)CHUNK;
        if ((size_t)(i + 1) * CHUNK > s.burst)
            n = s.burst - (size_t)i * CHUNK;
        job_write(j, pattern, n, 1);
        /* node's writableLength: what the kernel did not take, queued. */
        if (!s.bp_false_at && job_queue(j) >= HIGH_WATER)
            s.bp_false_at = i + 1;
    }
    size_t queue = job_queue(j), fill = pipe_fill(j);
    scope_events_log("%d x child.stdin.write(%d KiB) in one go: write(2) took %zu bytes, then "
                     "said EAGAIN; libuv queued the other %zu",
                     nwrites, CHUNK / 1024, (size_t)j->wqueued - queue, queue);
    if (s.bp_false_at)
        scope_events_log("node's write() would have said false from call %d on: its "
                         "writableLength, the queue, reached the highWaterMark (%d). A careful "
                         "writer stops there and waits for 'drain'; this one went on",
                         s.bp_false_at, HIGH_WATER);
    s.bp_full = queue > 0;
    if (!s.bp_full) {
        scope_events_log("the pipe took the whole burst (%zu bytes): nothing to queue", fill);
    }
    bp_report(1);
    uv_timer_start(&s.monitor, on_monitor, 100, 100);
    scope_events_log("the reader stays away for %ld ms: the pipe stays full, the queue stays "
                     "where it is",
                     s.stall_ms);
    (void)d;
    uv_timer_start(&s.stall, on_stall, (uint64_t)s.stall_ms, 0);
}

/* ==== part 6: the stream at full speed =================================== */

static void stream_pump(job_t *j)
{
    if (s.cur != P_STREAM || !s.st_t0)
        return;
    while (s.st_queued < s.stream_bytes && job_queue(j) < HIGH_WATER && j->open[0]) {
        size_t n = s.stream_bytes - s.st_queued;
        if (n > STREAM_CHUNK)
            n = STREAM_CHUNK;
        if (job_write(j, pattern, n, 1) < 0)
            return;
        s.st_queued += n;
    }
    if (s.st_queued >= s.stream_bytes && !j->end_pending && j->open[0])
        job_end(j);
}

static void stream_on_data(job_t *j, int which, const char *data, size_t len)
{
    if (which == 1) {
        uint64_t now = scope_time_now_ns();
        long long n = read_report(data, len);
        if (n >= 0) {
            s.reader_read = n;
            s.st_t1 = now;
        }
        trace_data(j, 1, data, len, 0);
        if (!s.st_t0 && len >= 6 && memcmp(data, "ready\n", 6) == 0) {
            /* The clock starts once the reader runs: its execve() and start-up
             * are not the pipe's cost. */
            s.st_t0 = now;
            stream_pump(j);
        }
    } else {
        stdio_on_data(j, which, data, len);
    }
}

static void stream_closed(job_t *j)
{
    if (j->sig) {
        s.cut_short |= !s.demo.quitting;
    } else if (j->code != 0 || s.reader_read != (long long)s.stream_bytes || !s.st_t1) {
        part_failed("stream: the reader read %lld of %zu bytes, exit %d", s.reader_read,
                    s.stream_bytes, j->code);
    } else {
        double secs = (double)(s.st_t1 - s.st_t0) / 1e9;
        double bps = (double)s.stream_bytes / secs;
        scope_events_log("waitpid(): the reader exited 0. %zu bytes in %.1f ms: %.0f MB/s through one pipe, %d KiB per write(), "
                         "never more than the highWaterMark queued",
                         s.stream_bytes, secs * 1e3, bps / 1e6, STREAM_CHUNK / 1024);
        cJSON *o = cJSON_AddObjectToObject(s.summary, "stream");
        cJSON_AddNumberToObject(o, "bytes", (double)s.stream_bytes);
        cJSON_AddNumberToObject(o, "ns", (double)(s.st_t1 - s.st_t0));
        cJSON_AddNumberToObject(o, "bps", bps);
    }
    next_part();
}

static void part_stream(scope_demo_t *d)
{
    (void)d;
    job_t *j = job_new(&s.main_job);
    char *argv[] = {s.self, "--as-child", "sink", NULL};
    j->role = "reader";
    j->own = 1;
    j->on_data = stream_on_data;
    j->on_written = stream_pump;
    j->on_close = stream_closed;
    s.reader_read = -1;
    s.st_queued = 0;
    s.st_t0 = s.st_t1 = 0;
    int r = job_start(j, s.self, argv);
    if (r < 0) {
        part_failed("cannot start the reader: %s", strerror(-r));
        next_part();
        return;
    }
    scope_events_log("%zu bytes to a reader that reads all the time, written with care: while "
                     "the queue is under the highWaterMark, write; else wait for a write to "
                     "complete, as for 'drain'. The clock starts at the reader's 'ready'",
                     s.stream_bytes);
}

/* ==== part 7: ping-pong =================================================== */

static void pp_send(scope_pacer_t *p);

static void on_stats_timer(uv_timer_t *t)
{
    (void)t;
    scope_events_stats("stdout", &s.rtt, &s.rate, scope_time_now_ns());
}

static void pp_send(scope_pacer_t *p)
{
    (void)p;
    job_t *j = &s.main_job;
    if (!j->open[0])
        return;
    size_t size = s.demo.size;
    if (!s.pad || s.pad_len != size) {
        char *pad = realloc(s.pad, size + 1);
        if (!pad)
            return;
        s.pad = pad;
        memset(s.pad, 'x', size);
        s.pad[size] = '\n';
        s.pad_len = size;
    }
    long id = ++s.pings;
    uint64_t t = scope_time_now_ns();
    char hdr[64];
    int hl = snprintf(hdr, sizeof hdr, "ping %ld %llu ", id, (unsigned long long)t);
    size_t total = (size_t)hl + size + 1;
    if (scope_events_msg_admit()) {
        char sum[80];
        snprintf(sum, sizeof sum, "ping %ld (%zu-byte payload)", id, size);
        scope_events_msg_emit_admitted("send", "stdin", SCOPE_PID(getpid()),
                                       SCOPE_PID(j->child.pid), (uint64_t)id, total, sum, 0);
    }
    uv_buf_t b[2] = {uv_buf_init(hdr, (unsigned)hl), uv_buf_init(s.pad, (unsigned)size + 1)};
    int n = j->wpending ? UV_EAGAIN : uv_try_write((uv_stream_t *)&j->pipe[0], b, 2);
    if (n == UV_EAGAIN)
        n = 0;
    if (n < 0) {
        scope_events_error("write", "write to the echo child: %s", uv_strerror(n));
        return;
    }
    if ((size_t)n < total) { /* the rest waits in the queue */
        size_t done = (size_t)n;
        if (done < (size_t)hl)
            job_write(j, hdr + done, (size_t)hl - done, 0);
        size_t pad_off = done > (size_t)hl ? done - (size_t)hl : 0;
        job_write(j, s.pad + pad_off, size + 1 - pad_off, 0);
    }
}

static void pp_finish(void)
{
    uv_timer_stop(&s.stats_timer);
    scope_events_stats("stdout", &s.rtt, &s.rate, scope_time_now_ns());
    scope_hist_summary_t sum;
    scope_hist_summarize(&s.rtt, &sum);
    char p50[32], p99[32];
    scope_events_log("%ld round trips of %zu-byte payloads: median %s, p99 %s. "
                     "child.stdin.end(): the echo child reads EOF and exits",
                     s.pongs, s.demo.size, scope_time_format(p50, sizeof p50, (double)sum.p50),
                     scope_time_format(p99, sizeof p99, (double)sum.p99));
    job_end(&s.main_job);
}

static void pp_on_data(job_t *j, int which, const char *data, size_t len)
{
    if (which != 1) {
        stdio_on_data(j, which, data, len);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        if (data[i] != '\n') {
            if (s.hdr_len < sizeof s.hdr - 1)
                s.hdr[s.hdr_len++] = data[i];
            s.line_len++;
            continue;
        }
        s.hdr[s.hdr_len] = '\0';
        size_t bytes = s.line_len + 1;
        s.hdr_len = s.line_len = 0;
        long id;
        unsigned long long t;
        if (sscanf(s.hdr, "ping %ld %llu", &id, &t) != 2) {
            scope_events_error("refused", "a line from the echo child that is no ping: %.40s",
                               s.hdr);
            continue;
        }
        uint64_t now = scope_time_now_ns();
        uint64_t rtt = now - (uint64_t)t;
        scope_hist_add(&s.rtt, rtt);
        scope_rate_add(&s.rate, now, bytes);
        s.pongs++;
        if (scope_events_msg_admit()) {
            char sum[80];
            snprintf(sum, sizeof sum, "ping %ld back", id);
            scope_events_msg_emit_admitted("recv", "stdout", SCOPE_PID(j->child.pid),
                                           SCOPE_PID(getpid()), (uint64_t)id, bytes, sum, rtt);
        }
        if (s.pongs >= s.demo.count || s.demo.quitting)
            pp_finish();
        else if (s.pings != s.pongs)
            continue;
        else if (s.demo.rate == 0 && !s.demo.paused && !s.demo.step_mode)
            pp_send(NULL); /* full speed: the next ping leaves from this callback */
        else
            scope_pacer_next(&s.pacer, pp_send);
    }
}

static void pp_closed(job_t *j)
{
    uv_timer_stop(&s.stats_timer);
    if (j->sig || s.pongs < s.demo.count) {
        if (!s.demo.quitting)
            s.cut_short = 1;
        scope_events_log("the echo child %s after %ld of %ld round trips",
                         j->sig ? "was killed" : "left", s.pongs, s.demo.count);
    } else {
        scope_events_log("waitpid(): the echo child exited %d", j->code);
    }
    scope_hist_summary_t sum;
    scope_hist_summarize(&s.rtt, &sum);
    cJSON *o = cJSON_AddObjectToObject(s.summary, "pingpong");
    cJSON_AddNumberToObject(o, "round_trips", (double)s.pongs);
    cJSON_AddNumberToObject(o, "size", (double)s.demo.size);
    cJSON_AddNumberToObject(o, "p50", (double)sum.p50);
    cJSON_AddNumberToObject(o, "p99", (double)sum.p99);
    if (j->sig)
        cJSON_AddStringToObject(o, "child_signal", sig_name(j->sig));
    else
        cJSON_AddNumberToObject(o, "child_code", j->code);
    next_part();
}

static void part_pingpong(scope_demo_t *d)
{
    char *argv[] = {s.self, "--as-child", "echo", NULL};
    if (d->count == 0) {
        next_part();
        return;
    }
    job_t *j = job_new(&s.main_job);
    j->role = "echo child";
    j->own = 1;
    j->on_data = pp_on_data;
    j->on_close = pp_closed;
    scope_hist_reset(&s.rtt);
    scope_rate_init(&s.rate, 0);
    s.pings = s.pongs = 0;
    s.hdr_len = s.line_len = 0;
    int r = job_start(j, s.self, argv);
    if (r < 0) {
        part_failed("cannot start the echo child: %s", strerror(-r));
        next_part();
        return;
    }
    scope_events_log("%ld pings of %zu bytes at %s: a line into its stdin, the same line back "
                     "on its stdout; each carries its send time",
                     d->count, d->size, d->rate > 0 ? "the chosen rate" : "full speed");
    uv_timer_start(&s.stats_timer, on_stats_timer, 500, 500);
    scope_pacer_next(&s.pacer, pp_send);
}

/* ==== faults ============================================================== */

static void fault_done(void)
{
    s.fault_running = 0;
    if (s.walk_done)
        finish();
}

static void enoent_exec_closed(job_t *j)
{
    report_callback(j, "exec");
    if (j->code == 127) {
        scope_events_log("exec() of the same name is another story: the shell started fine, "
                         "said 'not found' on stderr and exited 127, so the callback gets an "
                         "Error with code 127, and no 'error' event");
        snprintf(s.fault_outcome, sizeof s.fault_outcome,
                 "spawn failed with ENOENT before fork(); exec through the shell exited 127");
    }
    else
        part_failed("exec of a missing command: expected exit 127, got %d", j->code);
    job_free_output(j);
    j->done();
}

static void run_enoent(job_t *j, done_fn done)
{
    char *argv[] = {MISSING_CMD, "--help", NULL};
    job_new(j);
    j->role = MISSING_CMD;
    scope_events_log("spawn('%s'): a command that does not exist", MISSING_CMD);
    int r = job_start(j, MISSING_CMD, argv);
    if (r == 0) {
        part_failed("%s exists?", MISSING_CMD);
        job_kill(j, SIGKILL, NULL);
        j->on_close = NULL;
        done();
        return;
    }
    scope_events_error("spawn",
                       "spawn %s %s: %s. node emits 'error' on the child (code '%s', syscall "
                       "'spawn %s') and no 'exit'. PATH was searched before fork(): no "
                       "process was made",
                       MISSING_CMD, uv_err_name(r), strerror(-r), uv_err_name(r), MISSING_CMD);
    if (r != -ENOENT)
        part_failed("expected ENOENT, got %s", strerror(-r));
    if (s.demo.quitting) {
        done();
        return;
    }
    job_new(j);
    j->role = "sh";
    j->max_buffer = s.max_buffer;
    j->on_close = enoent_exec_closed;
    j->done = done;
    scope_events_log("exec('%s'): the same name, through a shell", MISSING_CMD);
    if (start_exec(j, MISSING_CMD) < 0)
        done();
}

static void signal_on_exit(job_t *j)
{
    /* The child is gone: a write now finds a pipe with no reader. */
    const char *l = "anyone there?\n";
    ssize_t n = write(j->fd[0], l, strlen(l));
    if (n < 0 && errno == EPIPE)
        scope_events_error("EPIPE", "write() on fd %d after the child died: EPIPE (our SIGPIPE "
                           "is ignored, as node ignores it). node emits 'error' on child.stdin "
                           "with code 'EPIPE'",
                           j->fd[0]);
    else
        scope_events_log("write() after the child died: %s", n < 0 ? strerror(errno) : "taken");
}

static void signal_on_data(job_t *j, int which, const char *data, size_t len)
{
    grep_on_data(j, which, data, len);
    if (which == 1 && j->child.running && !j->killed_for) {
        scope_events_log("kill(%ld, SIGKILL): as if someone outside killed it (kill -9)",
                         (long)j->child.pid);
        job_kill(j, SIGKILL, "kill");
    }
}

static void signal_closed(job_t *j)
{
    if (j->sig == SIGKILL) {
        scope_events_log("node's 'exit' gets (code null, signal 'SIGKILL'); a code of null "
                         "means: look at the signal");
        snprintf(s.fault_outcome, sizeof s.fault_outcome,
                 "the child killed by SIGKILL and reaped: exit code null, signal SIGKILL");
    }
    else
        part_failed("expected the child killed by SIGKILL, got code %d signal %d", j->code,
                    j->sig);
    j->done();
}

static void run_signal(job_t *j, done_fn done)
{
    char *argv[] = {"cat", NULL};
    job_new(j);
    j->role = "cat";
    j->on_data = signal_on_data;
    j->on_exit = signal_on_exit;
    j->on_close = signal_closed;
    j->done = done;
    scope_events_log("spawn('cat'): it copies its stdin to its stdout until killed");
    int r = job_start(j, "cat", argv);
    if (r < 0) {
        part_failed("spawn cat: %s", strerror(-r));
        done();
        return;
    }
    const char *l = "hello cat\n";
    trace_data(j, 0, l, strlen(l), 1);
    job_write(j, l, strlen(l), 1);
}

static void run_fault(const char *kind, job_t *j, done_fn done)
{
    s.fault_running = 1;
    int r = 0;
    if (strcmp(kind, "enoent") == 0) {
        run_enoent(j, done);
    } else if (strcmp(kind, "signal") == 0) {
        run_signal(j, done);
    } else if (strcmp(kind, "maxbuffer") == 0) {
        r = run_maxbuffer(j, done);
    } else if (strcmp(kind, "timeout") == 0) {
        r = run_timeout(j, done);
    } else {
        scope_events_error("fault", "unknown fault '%s' (enoent, signal, maxbuffer or timeout)",
                           kind);
        done();
        return;
    }
    if (r < 0) {
        part_failed("fault %s: %s", kind, strerror(-r));
        done();
    }
}

static const char *fault_titles(const char *kind)
{
    if (strcmp(kind, "enoent") == 0)
        return "a command that does not exist (ENOENT)";
    if (strcmp(kind, "signal") == 0)
        return "a child killed by a signal";
    if (strcmp(kind, "maxbuffer") == 0)
        return "a child that writes more than maxBuffer";
    return "a child that never exits (timeout)";
}

/* The fault asked for on the command line: a step of the walk. */
static void walk_fault_done(void)
{
    s.fault_running = 0;
    next_part();
}

static void step_fault(scope_demo_t *d)
{
    (void)d;
    run_fault(s.fault, &s.fault_job, walk_fault_done);
}

/* ==== the walk through the parts ========================================= */

static const char *const part_titles[NPARTS] = {
    "spawn('grep', ['hello']): three pipes, fork, dup2, execve",
    "exec(): a command string through /bin/sh -c, output buffered",
    "execFile(): no shell; 'hello; echo INJECTED' given to both",
    "stdio ['pipe', 'pipe', 'pipe', 'ipc']: pipes and a channel at fd 3",
    "backpressure: the reader stops, the pipe fills, the queue grows",
    "the same pipe at full speed, waiting for 'drain'",
    "ping-pong through the child's stdin and stdout",
};
static const scope_demo_cb part_fns[NPARTS] = {
    part_spawn, part_exec, part_execfile, part_stdio, part_backpressure, part_stream, part_pingpong,
};

static void next_part(void)
{
    if (s.finished)
        return;
    s.cur++;
    while (s.cur < NPARTS && !(s.parts & (1u << s.cur)))
        s.cur++;
    if (s.demo.quitting)
        s.cur = NPARTS + 1;
    if (s.cur < NPARTS) {
        step(part_titles[s.cur], part_fns[s.cur]);
        return;
    }
    if (s.cur == NPARTS && s.fault[0]) {
        char title[96];
        snprintf(title, sizeof title, "fault: %s", fault_titles(s.fault));
        step(title, step_fault);
        return;
    }
    s.walk_done = 1;
    if (!s.fault_running)
        finish();
}

static void close_timer(uv_timer_t *t, int *open)
{
    if (*open && !uv_is_closing((uv_handle_t *)t))
        uv_close((uv_handle_t *)t, NULL);
    *open = 0;
}

static void finish(void)
{
    if (s.finished)
        return;
    s.finished = 1;
    close_timer(&s.monitor, &s.monitor_open);
    close_timer(&s.stall, &s.stall_open);
    close_timer(&s.stats_timer, &s.stats_open);
    scope_pacer_close(&s.pacer);

    char text[512];
    size_t o = 0;
    int nparts = 0;
    for (int i = 0; i < NPARTS; i++)
        nparts += (s.parts >> i) & 1;
    if (nparts)
        o += (size_t)snprintf(text + o, sizeof text - o, "%d part%s%s", nparts,
                              nparts == 1 ? "" : "s", s.fault[0] ? " and " : "");
    if (s.fault[0])
        o += (size_t)snprintf(text + o, sizeof text - o, "fault %s", s.fault);
    if (s.failed)
        o += (size_t)snprintf(text + o, sizeof text - o, ": %d check%s failed", s.failed,
                              s.failed == 1 ? "" : "s");
    else if (s.fault[0] && s.fault_outcome[0])
        o += (size_t)snprintf(text + o, sizeof text - o, ": %s", s.fault_outcome);
    else
        o += (size_t)snprintf(text + o, sizeof text - o, ": done");
    if (s.fault_outcome[0])
        cJSON_AddStringToObject(s.summary, "fault_outcome", s.fault_outcome);
    const cJSON *pp = cJSON_GetObjectItemCaseSensitive(s.summary, "pingpong");
    const cJSON *bp = cJSON_GetObjectItemCaseSensitive(s.summary, "backpressure");
    const cJSON *inj = cJSON_GetObjectItemCaseSensitive(s.summary, "injection");
    if (inj && o < sizeof text)
        o += (size_t)snprintf(text + o, sizeof text - o, "; the injected command ran under exec "
                              "%s, under execFile never",
                              s.inj_exec_ran ? "only" : "NOT");
    if (bp && o < sizeof text)
        o += (size_t)snprintf(text + o, sizeof text - o, "; the writer's queue grew to %zu bytes "
                              "and drained",
                              s.bp_queue_max);
    if (pp && o < sizeof text) {
        scope_hist_summary_t sum;
        scope_hist_summarize(&s.rtt, &sum);
        char p50[32];
        o += (size_t)snprintf(text + o, sizeof text - o, "; %ld round trips, median %s", s.pongs,
                              scope_time_format(p50, sizeof p50, (double)sum.p50));
    }
    if (s.cut_short && o < sizeof text)
        snprintf(text + o, sizeof text - o, "; a child was killed before its part was over");
    cJSON_AddNumberToObject(s.summary, "failed", s.failed);
    cJSON_AddBoolToObject(s.summary, "complete", !s.cut_short && !s.demo.quitting);
    cJSON *sum = s.summary;
    s.summary = NULL;
    scope_events_bye(sum, text);
    scope_demo_stop(&s.demo);
}

static void on_quit(scope_demo_t *d)
{
    (void)d;
    /* Close what we write, end every child; each one's 'close' moves the walk
     * on, and next_part sees quitting and finishes. */
    uv_timer_stop(&s.stall);
    uv_timer_stop(&s.monitor);
    int any = 0;
    for (int i = 0; i < MAX_JOBS; i++) {
        job_t *j = s.live[i];
        if (!j)
            continue;
        any = 1;
        job_close_pipe(j, 0);
        job_kill(j, SIGTERM, "quit");
    }
    if (s.ch_open)
        scope_channel_close(&s.ch);
    if (!any && !s.ch_open) {
        s.walk_done = 1;
        s.fault_running = 0;
        finish();
    }
}

static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    if (strcmp(cmd, "fault") == 0) {
        if (s.fault_running || s.finished)
            scope_events_error("fault", "one fault at a time: '%s' waits for none", d->fault);
        else
            run_fault(d->fault, &s.fault_job, fault_done);
        return;
    }
    /* A pause from the dashboard stops the backpressure reader, as a reader
     * busy elsewhere would; resume lets it read again. */
    if (s.cur != P_BACKPRESSURE || !s.main_job.child.running || s.bp_drained)
        return;
    if (strcmp(cmd, "pause") == 0 && s.bp_resumed && !s.bp_reader_paused) {
        reader_cmd('p');
        scope_events_log("told the reader to pause ('p' on its fd 3): process.stdin.pause()");
    } else if (strcmp(cmd, "resume") == 0 || strcmp(cmd, "step") == 0) {
        if (s.bp_wait_resume) {
            s.bp_wait_resume = 0;
            bp_step_resume(d);
        } else if (s.bp_resumed && s.bp_reader_paused) {
            reader_cmd('r');
            scope_events_log("told the reader to resume ('r' on its fd 3)");
        }
    }
}

/* ==== the children ======================================================== */

/* echo: every byte read from stdin goes back on stdout at once; each line is
 * a message in the flow. Blocking read() and write(): a filter like cat. */
static int run_echo(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (scope_events_open("echo child", 0) < 0)
        return 1;
    scope_events_proc("start", getpid(), getppid(), "echo child", 0, 0);
    scope_events_log("read() on fd 0 (a pipe from the parent), write() back on fd 1 (a pipe to "
                     "it), line by line");
    static char buf[64 * 1024];
    uint64_t lines = 0, bytes = 0;
    size_t line_len = 0;
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(1, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                scope_events_log("write() on fd 1: %s; the parent is gone", strerror(errno));
                return 1;
            }
            off += w;
        }
        bytes += (uint64_t)n;
        for (ssize_t i = 0; i < n; i++) {
            line_len++;
            if (buf[i] != '\n')
                continue;
            lines++;
            if (scope_events_msg_admit()) {
                char sum[48];
                snprintf(sum, sizeof sum, "ping %llu", (unsigned long long)lines);
                scope_events_msg_emit_admitted("recv", "stdin", SCOPE_PID(getppid()),
                                               SCOPE_PID(getpid()), lines, line_len, sum, 0);
                scope_events_msg_emit_admitted("send", "stdout", SCOPE_PID(getpid()),
                                               SCOPE_PID(getppid()), lines, line_len, sum, 0);
            }
            line_len = 0;
        }
    }
    scope_events_log("read() returned 0 (EOF) on fd 0: the parent ended our stdin; %llu lines, "
                     "%llu bytes echoed; exiting 0",
                     (unsigned long long)lines, (unsigned long long)bytes);
    return 0;
}

/* sink: the stream's reader, a plain blocking read() loop like
 * 'cat >/dev/null', so that what is measured is the pipe and the writer. */
static int run_sink(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (scope_events_open("reader", 0) < 0)
        return 1;
    scope_events_proc("start", getpid(), getppid(), "reader", 0, 0);
    static char buf[64 * 1024];
    unsigned long long bytes = 0, reads = 0;
    dprintf(1, "ready\n"); /* the parent's clock starts now */
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        bytes += (unsigned long long)n;
        reads++;
    }
    scope_events_log("read() returned 0 (EOF) on fd 0 after %llu bytes in %llu reads; telling "
                     "the parent on fd 1, exiting 0",
                     bytes, reads);
    dprintf(1, "read %llu bytes\n", bytes);
    return 0;
}

/* reader: the backpressure child. Paused until 'r' on fd 3 unless
 * --go; with --slow-reader, 4 KiB every 10 ms. */
static struct {
    uv_pipe_t in, ctl;
    uv_timer_t slow;
    int reading, paused, ctl_open;
    uint64_t bytes, reads, unreported, unreported_reads;
    char buf[64 * 1024], cbuf[16];
} rd;

static void reader_start(void);

static void rd_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(rd.buf, s.slow_reader ? 4096 : sizeof rd.buf);
}

static void rd_on_slow(uv_timer_t *t)
{
    (void)t;
    if (!rd.paused)
        reader_start();
}

static void rd_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    if (n < 0) {
        scope_events_log("read() returned 0 (EOF) on fd 0 after %llu bytes in %llu reads; "
                         "telling the parent on fd 1, exiting 0",
                         (unsigned long long)rd.bytes, (unsigned long long)rd.reads);
        dprintf(1, "read %llu bytes\n", (unsigned long long)rd.bytes);
        uv_close((uv_handle_t *)st, NULL);
        if (rd.ctl_open) {
            rd.ctl_open = 0;
            uv_close((uv_handle_t *)&rd.ctl, NULL);
        }
        uv_close((uv_handle_t *)&rd.slow, NULL);
        scope_demo_stop(&s.demo);
        return;
    }
    if (n == 0)
        return;
    rd.bytes += (uint64_t)n;
    rd.reads++;
    rd.unreported += (uint64_t)n;
    rd.unreported_reads++;
    /* One arrow per 64 KiB taken, however many read()s it took; a sink at
     * full speed draws none, its figures come at the end. */
    if (!s.reader_go && rd.unreported >= 64 * 1024) {
        char sum[80];
        snprintf(sum, sizeof sum, "%llu bytes in %llu read()s, %llu so far",
                 (unsigned long long)rd.unreported, (unsigned long long)rd.unreported_reads,
                 (unsigned long long)rd.bytes);
        scope_events_msg("recv", "stdin", SCOPE_PID(getppid()), SCOPE_PID(getpid()), rd.reads,
                         (size_t)rd.unreported, sum, 0);
        rd.unreported = rd.unreported_reads = 0;
    }
    if (s.slow_reader) {
        uv_read_stop(st);
        rd.reading = 0;
        uv_timer_start(&rd.slow, rd_on_slow, 10, 0);
    }
}

static void reader_start(void)
{
    if (rd.reading || uv_is_closing((uv_handle_t *)&rd.in))
        return;
    rd.reading = 1;
    uv_read_start((uv_stream_t *)&rd.in, rd_alloc, rd_read);
}

static void ctl_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(rd.cbuf, sizeof rd.cbuf);
}

static void ctl_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    if (n < 0) {
        rd.ctl_open = 0;
        uv_close((uv_handle_t *)st, NULL);
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (buf->base[i] == 'r' && rd.paused) {
            rd.paused = 0;
            scope_events_log("process.stdin.resume(): uv_read_start() on fd 0, read() again");
            reader_start();
        } else if (buf->base[i] == 'p' && !rd.paused) {
            rd.paused = 1;
            if (rd.reading && !uv_is_closing((uv_handle_t *)&rd.in))
                uv_read_stop((uv_stream_t *)&rd.in);
            rd.reading = 0;
            scope_events_log("process.stdin.pause(): uv_read_stop() on fd 0 after %llu bytes",
                             (unsigned long long)rd.bytes);
        }
    }
}

static void reader_quit(scope_demo_t *d)
{
    if (!uv_is_closing((uv_handle_t *)&rd.in))
        uv_close((uv_handle_t *)&rd.in, NULL);
    if (rd.ctl_open) {
        rd.ctl_open = 0;
        uv_close((uv_handle_t *)&rd.ctl, NULL);
    }
    if (!uv_is_closing((uv_handle_t *)&rd.slow))
        uv_close((uv_handle_t *)&rd.slow, NULL);
    scope_demo_stop(d);
}

static int run_reader(void)
{
    s.demo.on_quit = reader_quit;
    uv_loop_t *loop = uv_default_loop();
    if (scope_demo_start(&s.demo, loop, "reader", 0) < 0)
        return 1;
    uv_pipe_init(loop, &rd.in, 0);
    uv_timer_init(loop, &rd.slow);
    if (uv_pipe_open(&rd.in, 0) < 0) {
        scope_events_error("reader", "fd 0 is not a pipe");
        return 1;
    }
    if (!s.reader_go) {
        uv_pipe_init(loop, &rd.ctl, 0);
        if (uv_pipe_open(&rd.ctl, 3) == 0) {
            rd.ctl_open = 1;
            uv_read_start((uv_stream_t *)&rd.ctl, ctl_alloc, ctl_read);
        } else {
            uv_close((uv_handle_t *)&rd.ctl, NULL);
        }
        rd.paused = 1;
        scope_events_log("process.stdin.pause(): fd 0 is open, but I do not read it; "
                         "waiting for 'r' on fd 3");
    } else {
        reader_start();
    }
    scope_demo_run(&s.demo);
    uv_loop_close(loop);
    return 0;
}

/* stdio: the child of stdio ['pipe', 'pipe', 'pipe', 'ipc']. Counts what
 * arrives on stdin, answers on stdout and stderr, and talks on the channel. */
static struct {
    uv_pipe_t in;
    scope_channel_t ch;
    uint64_t bytes;
    int eof, hello;
    char buf[64 * 1024];
} sc;

static void sc_maybe_end(void)
{
    if (!sc.eof || !sc.hello)
        return;
    scope_events_log("stdin ended and the hello is answered: process.disconnect(), exit 0");
    scope_channel_disconnect(&sc.ch);
}

static void sc_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(sc.buf, sizeof sc.buf);
}

static void sc_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    if (n > 0) {
        sc.bytes += (uint64_t)n;
        return;
    }
    if (n == 0)
        return;
    uv_close((uv_handle_t *)st, NULL);
    sc.eof = 1;
    scope_events_log("EOF on fd 0 after %llu bytes; answering on fd 1, fd 2 and fd 3",
                     (unsigned long long)sc.bytes);
    dprintf(1, "child: %llu bytes arrived on stdin (fd 0)\n", (unsigned long long)sc.bytes);
    dprintf(2, "child: this line went to stderr (fd 2)\n");
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "done");
    cJSON_AddNumberToObject(m, "bytes", (double)sc.bytes);
    scope_events_msg("send", "ipc", SCOPE_PID(getpid()), SCOPE_PID(getppid()), 0, 30,
                     "{\"type\":\"done\",...}", 0);
    scope_channel_send(&sc.ch, m);
    cJSON_Delete(m);
    sc_maybe_end();
}

static void sc_on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    (void)type;
    if (fd >= 0)
        close(fd);
    if (!cJSON_GetObjectItemCaseSensitive(msg, "hello"))
        return;
    scope_events_msg("recv", "ipc", SCOPE_PID(getppid()), SCOPE_PID(getpid()), 0,
                     ch->message_bytes, "{\"hello\":\"world\"}", 0);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddTrueToObject(r, "received");
    scope_events_msg("send", "ipc", SCOPE_PID(getpid()), SCOPE_PID(getppid()), 0, 18,
                     "{\"received\":true}", 0);
    scope_channel_send(ch, r);
    cJSON_Delete(r);
    sc.hello = 1;
    sc_maybe_end();
}

static void sc_on_disconnect(scope_channel_t *ch, int status)
{
    (void)ch;
    (void)status;
    if (!uv_is_closing((uv_handle_t *)&sc.in))
        uv_close((uv_handle_t *)&sc.in, NULL);
    scope_demo_stop(&s.demo);
}

static void sc_quit(scope_demo_t *d)
{
    scope_channel_close(&sc.ch);
    if (!uv_is_closing((uv_handle_t *)&sc.in))
        uv_close((uv_handle_t *)&sc.in, NULL);
    scope_demo_stop(d);
}

static int run_stdio_child(void)
{
    s.demo.on_quit = sc_quit;
    uv_loop_t *loop = uv_default_loop();
    if (scope_demo_start(&s.demo, loop, "stdio child", 0) < 0)
        return 1;
    sc.ch.on_message = sc_on_message;
    sc.ch.on_disconnect = sc_on_disconnect;
    int r = scope_channel_open_env(loop, &sc.ch);
    if (r < 0) {
        scope_events_error("channel", "no IPC channel at NODE_CHANNEL_FD: %s", strerror(-r));
        return 1;
    }
    scope_events_log("fds 0, 1 and 2 are pipes to the parent; NODE_CHANNEL_FD=3 names the "
                     "channel, opened as an ipc pipe");
    uv_pipe_init(loop, &sc.in, 0);
    uv_pipe_open(&sc.in, 0);
    uv_read_start((uv_stream_t *)&sc.in, sc_alloc, sc_read);
    scope_events_proc("ready", getpid(), getppid(), "stdio child", 0, 0);
    scope_demo_run(&s.demo);
    uv_loop_close(loop);
    return 0;
}

/* ==== the parent ========================================================== */

static int on_option(scope_demo_t *d, const char *name, const char *value)
{
    double v;
    if (strcmp(name, "part") == 0) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", value);
        s.parts = 0;
        for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            int found = -1;
            for (int i = 0; i < NPARTS; i++)
                if (strcmp(tok, part_names[i]) == 0)
                    found = i;
            if (found < 0) {
                snprintf(d->error, sizeof d->error,
                         "--part wants spawn, exec, execfile, stdio, backpressure, stream or "
                         "pingpong, not '%s'",
                         tok);
                return -EINVAL;
            }
            s.parts |= 1u << found;
        }
        if (!s.parts)
            s.parts = 1u << NPARTS; /* nothing but a fault */
    } else if (strcmp(name, "fault") == 0) {
        if (strcmp(value, "enoent") && strcmp(value, "signal") && strcmp(value, "maxbuffer") &&
            strcmp(value, "timeout")) {
            snprintf(d->error, sizeof d->error,
                     "--fault wants enoent, signal, maxbuffer or timeout, not '%s'", value);
            return -EINVAL;
        }
        snprintf(s.fault, sizeof s.fault, "%s", value);
    } else if (strcmp(name, "max-buffer") == 0) {
        if (parse_size(value, 1, 1 << 30, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--max-buffer wants bytes from 1 to 1073741824");
            return -EINVAL;
        }
        s.max_buffer = (size_t)v;
    } else if (strcmp(name, "timeout") == 0) {
        if (parse_size(value, 1, 3600000, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--timeout wants milliseconds from 1 to 3600000");
            return -EINVAL;
        }
        s.timeout_ms = (long)v;
    } else if (strcmp(name, "slow-reader") == 0) {
        s.slow_reader = 1;
    } else if (strcmp(name, "stall") == 0) {
        if (parse_size(value, 0, 3600000, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--stall wants milliseconds from 0 to 3600000");
            return -EINVAL;
        }
        s.stall_ms = (long)v;
    } else if (strcmp(name, "burst") == 0) {
        if (parse_size(value, 1, 256.0 * 1024 * 1024, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--burst wants bytes from 1 to 268435456");
            return -EINVAL;
        }
        s.burst = (size_t)v;
    } else if (strcmp(name, "stream-bytes") == 0) {
        if (parse_size(value, 1, 64.0 * 1024 * 1024 * 1024, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--stream-bytes wants bytes from 1 to 64 GiB");
            return -EINVAL;
        }
        s.stream_bytes = (size_t)v;
    } else if (strcmp(name, "starts") == 0) {
        if (parse_size(value, 1, 64, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--starts wants a number from 1 to 64");
            return -EINVAL;
        }
        s.starts = (long)v;
    } else if (strcmp(name, "child") == 0) {
        if (strcmp(value, "c") && strcmp(value, "node")) {
            snprintf(d->error, sizeof d->error, "--child wants c or node, not '%s'", value);
            return -EINVAL;
        }
        s.node_child = strcmp(value, "node") == 0;
    } else if (strcmp(name, "as-child") == 0) {
        if (strcmp(value, "echo") && strcmp(value, "reader") && strcmp(value, "sink") &&
            strcmp(value, "stdio")) {
            snprintf(d->error, sizeof d->error, "--as-child wants echo, reader, sink or stdio");
            return -EINVAL;
        }
        s.as_child = value;
        s.reader_go = strcmp(value, "sink") == 0;
    }
    return 0;
}

static int run_parent(void)
{
    scope_demo_t *d = &s.demo;
    d->on_quit = on_quit;
    d->on_control = on_control;
    ssize_t n = readlink("/proc/self/exe", s.self, sizeof s.self - 1);
    if (n <= 0) {
        fprintf(stderr, "stdio-pipe: readlink /proc/self/exe: %s\n", strerror(errno));
        return 1;
    }
    s.self[n] = '\0';
    snprintf(s.self_dir, sizeof s.self_dir, "%.*s", (int)(strrchr(s.self, '/') - s.self), s.self);
    memset(pattern, 'x', sizeof pattern);
    for (size_t i = 63; i < sizeof pattern; i += 64)
        pattern[i] = '\n';
    if (!s.parts)
        s.parts = s.fault[0] ? 0 : (1u << NPARTS) - 1;
    s.parts &= (1u << NPARTS) - 1;

    d->params = cJSON_CreateObject();
    cJSON *parts = cJSON_AddArrayToObject(d->params, "parts");
    for (int i = 0; i < NPARTS; i++)
        if (s.parts & (1u << i))
            cJSON_AddItemToArray(parts, cJSON_CreateString(part_names[i]));
    if (s.fault[0])
        cJSON_AddStringToObject(d->params, "fault", s.fault);
    cJSON_AddNumberToObject(d->params, "max_buffer", (double)s.max_buffer);
    cJSON_AddNumberToObject(d->params, "timeout", (double)s.timeout_ms);
    cJSON_AddBoolToObject(d->params, "slow_reader", s.slow_reader);
    cJSON_AddStringToObject(d->params, "child", s.node_child ? "node" : "c");
    int r = scope_demo_start(d, uv_default_loop(), "parent", 1);
    if (r < 0) {
        fprintf(stderr, "stdio-pipe: cannot start: %s\n", strerror(-r));
        return 1;
    }
    s.summary = cJSON_CreateObject();
    scope_pacer_init(d, &s.pacer);
    uv_timer_init(d->loop, &s.monitor);
    uv_timer_init(d->loop, &s.stall);
    uv_timer_init(d->loop, &s.stats_timer);
    s.monitor_open = s.stall_open = s.stats_open = 1;
    next_part();
    scope_demo_run(d);
    close_timer(&s.monitor, &s.monitor_open);
    close_timer(&s.stall, &s.stall_open);
    close_timer(&s.stats_timer, &s.stats_open);
    for (int i = 0; i < MAX_JOBS; i++) /* never leave one behind */
        if (s.live[i] && s.live[i]->child.running)
            kill_tree(s.live[i]->child.pid, SIGKILL, 0, NULL, 0);
    uv_run(d->loop, UV_RUN_NOWAIT);
    scope_spawn_shutdown(d->loop);
    uv_run(d->loop, UV_RUN_NOWAIT);
    cJSON_Delete(s.summary);
    free(s.pad);
    job_free_output(&s.main_job);
    job_free_output(&s.fault_job);
    return s.failed || s.cut_short ? 1 : 0;
}

/* A child whose parent gave it no event fd must not narrate on stdout: that
 * is its pipe to the parent. Its events go to /dev/null then. */
static void quiet_without_events(void)
{
    if (getenv("IPCSCOPE_EVENT_FD"))
        return;
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char v[16];
    snprintf(v, sizeof v, "%d", fd);
    setenv("IPCSCOPE_EVENT_FD", v, 1);
    setenv("IPCSCOPE_EVENT_FORMAT", "json", 1);
}

int main(int argc, char **argv)
{
    s.demo.on_option = on_option;
    int r = scope_demo_parse(&s.demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&s.demo, r, stdout, stderr);
    if (s.as_child) {
        quiet_without_events();
        if (strcmp(s.as_child, "echo") == 0)
            return run_echo();
        if (strcmp(s.as_child, "sink") == 0)
            return run_sink();
        if (strcmp(s.as_child, "reader") == 0)
            return run_reader();
        return run_stdio_child();
    }
    return run_parent();
}
