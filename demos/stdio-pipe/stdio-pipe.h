/* stdio-pipe.h: what each file of the stdio-pipe demo exports.
 *
 *   stdio-pipe.c    the mechanism: a child with its three pipes
 *   narrate.c       what its start took, told with the fds
 *   pingpong.c      part pingpong: a line there and back, timed
 *   grep.c          part spawn: spawn('grep') and its exit codes
 *   exec.c          part exec: /bin/sh -c, maxBuffer, timeout
 *   execfile.c      part execfile: no shell, the injection, what a shell costs
 *   faults.c        the faults: ENOENT, a signal (maxBuffer and timeout: exec.c)
 *   stdio.c         part stdio: ['pipe', 'pipe', 'pipe', 'ipc']
 *   backpressure.c  part backpressure: the reader stops, the queue grows
 *   stream.c        part stream: the same pipe at full speed
 *   children.c      this program as a child: echo, reader, sink
 *   main.c          options, the order of the parts, the summary
 *
 * A part gets a part_t from main.c and calls p->next(p) when it is over. */
#ifndef STDIO_PIPE_H
#define STDIO_PIPE_H

#include <stdarg.h>
#include <stdio.h>

#include "demo.h"
#include "events.h"
#include "role.h"
#include "trace.h"

#define HIGH_WATER (16 * 1024) /* node's default highWaterMark of a writable stream */

/* ---- stdio-pipe.c: a child with its three pipes (node's ChildProcess) ---- */

typedef struct stdio_child_s stdio_child_t;
typedef void (*child_cb)(stdio_child_t *c);
/* fd: 1 (its stdout) or 2 (its stderr); data is valid for the call only. */
typedef void (*child_data_cb)(stdio_child_t *c, int fd, const char *data, size_t len);

typedef struct {
    const char *file;       /* the program; NULL: this program again, as role `name` */
    char *const *argv;      /* the program's argv, or the role's own options */
    int fd3;                /* placed at the child's fd 3 (then ours to close), or -1 */
    const char *const *env; /* "NAME=VALUE" added; NULL-terminated, or NULL */
} child_opts_t;

struct stdio_child_s {
    /* set by the caller */
    void *data;
    const char *name;      /* "grep", "sh", "echo child": events and narration */
    int quiet;             /* no narration, no events: the timing loops */
    child_data_cb on_data;
    child_cb on_written;   /* a write to its stdin completed */
    child_cb on_exit;      /* reaped: code, or sig */
    child_cb on_close;     /* reaped and every pipe closed: node's 'close' */
    /* read-only */
    pid_t pid;
    int running, code, sig;
    int fd[3];             /* our ends: its stdin, its stdout, its stderr */
    scope_trace_t in, out, err; /* the three pipes as the dashboard's channels */
    uint64_t t0, t_exit, written;
    /* private */
    scope_demo_t *demo;
    scope_child_t proc;
    scope_role_t role;
    uv_pipe_t pipe[3];
    int open[3], handles, writes, ending, closed;
    stdio_child_t *next;
};

int child_spawn(stdio_child_t *c, scope_demo_t *d, const child_opts_t *o);
int child_write(stdio_child_t *c, const char *data, size_t len);
void child_end(stdio_child_t *c);
size_t child_queue(stdio_child_t *c);
void child_close_pipe(stdio_child_t *c, int fd);
/* Quit: every running child's pipes closed, and SIGTERM. Returns how many. */
int child_quit_all(void);
/* narrate.c: the start told with its fds (p: the three pipes' ends). */
void child_narrate(stdio_child_t *c, const child_opts_t *o, const int p[6]);

/* ---- exec.c: exec() and execFile(), output kept until the child is gone -- */

typedef struct exec_s exec_t;
struct exec_s {
    stdio_child_t child;
    void *data;                /* the caller's */
    void (*done)(exec_t *e);   /* the callback (narrated before); e is freed after it */
    struct part_s *part;
    const char *call;          /* "exec" or "execFile", for the narration */
    size_t max_buffer;         /* 0: none */
    long timeout_ms;           /* 0: none */
    char *out[3];              /* [1] stdout, [2] stderr: NUL-terminated */
    size_t len[3];
    const char *killed_for;    /* "maxBuffer", "timeout" or NULL */
    /* private */
    void (*then)(struct part_s *p);
    uv_timer_t timer;
    int term_sent;
};
/* Set max_buffer, timeout_ms, child.quiet, then start. On failure e is freed. */
exec_t *exec_new(struct part_s *p, const char *name, void (*done)(exec_t *e), void *data);
int exec_shell(exec_t *e, const char *cmd);                    /* exec(cmd) */
int exec_file(exec_t *e, const char *file, char *const argv[]); /* execFile() */

/* ---- a part of the walk -------------------------------------------------- */

typedef struct part_s part_t;
struct part_s {
    scope_demo_t *demo;
    const struct stdio_opts_s *opt;
    cJSON *summary;        /* a part adds its figures under its own name */
    int failed, cut_short; /* checks that failed; a child killed mid-part */
    char note[200];        /* a sentence for the bye */
    void (*next)(part_t *p);
};

typedef struct stdio_opts_s {
    size_t max_buffer, burst, stream_bytes;
    long timeout_ms, stall_ms, starts;
    int slow_reader, node_child;
    const char *fault, *as_child;
} stdio_opts_t;

static inline void part_fail(part_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void part_fail(part_t *p, const char *fmt, ...)
{
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (p->demo->quitting)
        return; /* cut short on purpose: nothing to judge */
    p->failed++;
    scope_events_error("check", "%s", buf);
}

void part_pingpong(part_t *p);     /* pingpong.c */
void part_spawn(part_t *p);        /* grep.c */
void part_exec(part_t *p);         /* exec.c */
/* The two faults the exec part shows too; then(p) follows. */
int exec_maxbuffer(part_t *p, void (*then)(part_t *p));
int exec_timeout(part_t *p, void (*then)(part_t *p));
void part_execfile(part_t *p);     /* execfile.c */
int fault_run(part_t *p, const char *kind); /* faults.c */
const char *fault_title(const char *kind);
void part_stdio(part_t *p);        /* stdio.c */
int stdio_child(scope_demo_t *d);
void part_backpressure(part_t *p); /* backpressure.c */
void backpressure_control(scope_demo_t *d, const char *cmd);
void part_stream(part_t *p);       /* stream.c */
int child_main(scope_demo_t *d, const stdio_opts_t *o); /* children.c */

#endif
