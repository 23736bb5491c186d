/* stdio-pipe.h: what the modules of the stdio-pipe demo share.
 *
 * The demo is one program in five modules; each can be read on its own:
 *
 *   main.c      the numbered story of the demo, its options, the walk from
 *               part to part (lesson steps, the fault asked for, the summary,
 *               quit and the dashboard's commands) and main(), which becomes
 *               the parent or one of the children;
 *   job.c       a child with its three pipes (job_t, node's ChildProcess):
 *               start, read, write with a queue, end, kill, and 'close' once
 *               it is reaped and every pipe is closed; with the small helpers
 *               the parts share;
 *   exec.c      parts 1 to 3: spawn('grep'), exec() with maxBuffer and
 *               timeout, execFile() and the injection, the cost of a shell;
 *               and the faults, which reuse them;
 *   streams.c   parts 4 to 7: the stdio array with a channel at fd 3,
 *               backpressure, the stream at full speed, the ping-pong;
 *   children.c  this program run as a child (--as-child): echo, sink, reader
 *               and stdio.
 *
 * Here: the constants, the job, the run's state (stdio_pipe, one struct
 * defined in main.c: the options, the walk, each part's figures), and the
 * functions one module calls in another. The rest is static in its module.
 */
#ifndef STDIO_PIPE_H
#define STDIO_PIPE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "channel.h"
#include "demo.h"
#include "events.h"
#include "spawn.h"
#include "timing.h"

enum { P_SPAWN, P_EXEC, P_EXECFILE, P_STDIO, P_BACKPRESSURE, P_STREAM, P_PINGPONG, NPARTS };

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

/* ---- the run's state ---------------------------------------------------- */

/* One for the program: the options, the walk, and each part's own figures.
 * A child run with --as-child uses only demo and the reader's options. */
typedef struct {
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
} stdio_pipe_t;

extern stdio_pipe_t stdio_pipe; /* main.c */
extern char stdin_pattern[STREAM_CHUNK]; /* streams.c; filled by the parent */

/* ---- main.c: the walk ----------------------------------------------------- */

void next_part(void);
void part_failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lesson_step(const char *title, scope_demo_cb cb);

/* ---- job.c: a child with its three pipes, and shared helpers -------------- */

job_t *job_new(job_t *j);
int job_start(job_t *j, const char *file, char *const argv[]);
int job_write(job_t *j, const char *data, size_t len, int is_static);
void job_end(job_t *j);
size_t job_queue(job_t *j);
void job_kill(job_t *j, int sig, const char *why);
void job_close_pipe(job_t *j, int i);
void job_free_output(job_t *j);
void trace_data(job_t *j, int which, const char *data, size_t len, uint64_t id);
void printable(char *out, size_t cap, const char *data, size_t len);
const char *sig_name(int sig);
int kill_tree(pid_t pid, int sig, int depth, char *names, size_t cap);
void chan_event(const char *state, const char *id, const char *kind, scope_end_t a,
                scope_end_t b, const char *detail);

/* ---- exec.c: parts 1 to 3, and the faults ------------------------------- */

void part_spawn(scope_demo_t *d);
void part_exec(scope_demo_t *d);
void part_execfile(scope_demo_t *d);
void run_fault(const char *kind, job_t *j, done_fn done);
const char *fault_titles(const char *kind);

/* ---- streams.c: parts 4 to 7 ---------------------------------------------- */

void part_stdio(scope_demo_t *d);
void part_backpressure(scope_demo_t *d);
void part_stream(scope_demo_t *d);
void part_pingpong(scope_demo_t *d);
void reader_cmd(char c);
void bp_step_resume(scope_demo_t *d);

/* ---- children.c: --as-child ROLE ------------------------------------------ */

int run_echo(void);
int run_sink(void);
int run_reader(void);
int run_stdio_child(void);

#endif
