/* stdio-pipe.h: what the files of the stdio-pipe demo export to each other,
 * file by file. main.c lists the steps (scope_demo_lesson); a step that is
 * over calls scope_demo_next. d->data is main's options, read only. Each file
 * keeps its own state and hands the bye its figures (scope_demo_figure)
 * where it measured them. */
#ifndef STDIO_PIPE_H
#define STDIO_PIPE_H

#include <stdio.h>
#include <string.h>

#include "demo.h"
#include "events.h"
#include "role.h"
#include "trace.h"

#define FAULTS     "enoent signal maxbuffer timeout"
#define HIGH_WATER (16 * 1024) /* node's default highWaterMark of a writable stream */

typedef struct {
    long long max_buffer, burst, stream, timeout_ms, stall_ms, starts;
    int slow_reader;
    const char *part, *fault, *child, *as_child;
} stdio_opts_t;

/* ---- stdio-pipe.c: a child with its three pipes (node's ChildProcess) ---- */

typedef struct stdio_child_s stdio_child_t;
typedef void (*child_cb)(stdio_child_t *c);
/* fd: 1 (its stdout) or 2 (its stderr); data is valid for the call only. */
typedef void (*child_data_cb)(stdio_child_t *c, int fd, const char *data, size_t len);

struct stdio_child_s {
    /* set by the caller (file, argv, fd3 and env: read by child_spawn only) */
    void *data;
    const char *name;       /* "grep", "sh", "echo child": events and narration */
    const char *file;       /* the program; NULL: this program again, as role `name` */
    char *const *argv;      /* the program's argv, or the role's own options */
    int fd3;                /* placed at the child's fd 3 (then ours to close); 0: none */
    const char *const *env; /* "NAME=VALUE" added, or NULL */
    int quiet;           /* no narration, no events: the timing loops */
    child_data_cb on_data;
    child_cb on_written; /* a write to its stdin completed */
    child_cb on_exit;    /* reaped: code, or sig */
    child_cb on_close;   /* reaped and every pipe closed: node's 'close' */
    /* read-only */
    scope_demo_t *demo;
    pid_t pid;
    int running, code, sig;
    int fd[3];             /* our ends: its stdin, its stdout, its stderr */
    scope_trace_t in, out, err; /* the three pipes as the dashboard's channels */
    uint64_t t0, written;
    /* private */
    scope_child_t proc;
    scope_role_t role;
    uv_pipe_t pipe[3];
    int open[3], handles, writes, ending, closed;
};

int child_spawn(stdio_child_t *c, scope_demo_t *d);
int child_write(stdio_child_t *c, const char *data, size_t len);
void child_end(stdio_child_t *c);
size_t child_queue(stdio_child_t *c);
int child_pump(stdio_child_t *c, const char *chunk, size_t len, size_t total);
void child_close_pipe(stdio_child_t *c, int fd);
/* Quit: SIGTERM to every running child. Returns how many are not closed yet. */
int child_quit_all(scope_demo_t *d);
/* narrate.c: the start's syscalls told with their fds (p: the three pipes'
 * ends); the pipes opened as the dashboard's channels. */
void child_narrate(stdio_child_t *c, const int p[6]);
/* Text for narration: newlines shown as \n, control bytes as ' ', cut. */
void printable(char *out, size_t cap, const char *data, size_t len);
/* 'data' (a child_data_cb): the chunk traced on its channel, and told. */
void child_data(stdio_child_t *c, int fd, const char *data, size_t len);
/* Was c's part cut short? By our quit (nothing to judge), or not: killed or
 * gone early, a failed check "killed" and "complete": false in the bye. */
int child_cut(stdio_child_t *c, int early);

/* ---- exec.c: exec() and execFile(), output kept until the child is gone -- */

typedef struct exec_s {
    stdio_child_t child;
    void (*done)(struct exec_s *e); /* the callback (narrated before); e is freed after it */
    const char *call;          /* "exec" or "execFile", for the narration */
    size_t max_buffer;         /* 0: none */
    long long timeout_ms;      /* 0: none */
    char *out[3];              /* [1] stdout, [2] stderr: NUL-terminated */
    size_t len[3];
    const char *killed_for;    /* "maxBuffer", "timeout" or NULL */
    /* private */
    uv_timer_t timer;
    int term_sent;
} exec_t;
/* Set timeout_ms, child.quiet, then start; done follows, always. */
exec_t *exec_new(scope_demo_t *d, const char *name, void (*done)(exec_t *e));
void exec_shell(exec_t *e, const char *cmd);                     /* exec(cmd) */
void exec_file(exec_t *e, const char *file, char *const argv[]); /* execFile() */

/* ---- the lesson's steps (scope_demo_cb) ---------------------------------- */

void grep_spawn(scope_demo_t *d), grep_codes(scope_demo_t *d);         /* grep.c */
void exec_pipeline(scope_demo_t *d), execfile_injection(scope_demo_t *d); /* exec.c */
void execfile_cost(scope_demo_t *d);
void fault_maxbuffer(scope_demo_t *d), fault_timeout(scope_demo_t *d), fault_step(scope_demo_t *d);
void stdio_array(scope_demo_t *d);                                     /* stdio.c */
void backpressure_fill(scope_demo_t *d), backpressure_resume(scope_demo_t *d);
void stream_run(scope_demo_t *d), pingpong_run(scope_demo_t *d);

/* 0 once the fault runs (done follows, always), or -EBUSY while one runs. */
int fault_run(scope_demo_t *d, const char *kind, scope_demo_cb done);
const char *fault_title(const char *kind); /* "fault: ...", its step's title */
int child_main(scope_demo_t *d, const stdio_opts_t *o); /* children.c */
/* stdio.c's child, once its stdin was read to EOF (bytes). */
int stdio_child(scope_demo_t *d, unsigned long long bytes);

#endif
