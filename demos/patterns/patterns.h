/* patterns: what each file of the demo offers to the files above it (main.c
 * above all; every step's file above patterns.c, which is above lib/). */
#ifndef PATTERNS_H
#define PATTERNS_H

#include <string.h>

#include "channel.h"
#include "demo.h"
#include "role.h"
#include "trace.h"

/* The children one run may fork: the first, and one after each kill (the
 * oversize message, the two hangs). */
#define PATTERNS_KIDS 6

typedef struct patterns_s patterns_t;
/* What a step makes of a message from the child: not its answer, one of
 * its answers (it waits for more), or its last (the step is over). */
enum { PATTERNS_NOT_IT, PATTERNS_MORE, PATTERNS_DONE };
typedef int (*patterns_answer_cb)(patterns_t *p, const cJSON *msg);
/* The child is gone (reaped): code, or the signal that ended it. */
typedef void (*patterns_exit_cb)(patterns_t *p, int code, int sig);

/* One child: this program again (--role child), node's channel at its fd 3. */
typedef struct {
    patterns_t *p;
    scope_role_t role;
    scope_channel_t ch;
    int fds[2]; /* the socketpair: ours, the child's */
    int open;   /* the channel */
} patterns_kid_t;

/* The parent, hung off demo.data: main.c sets the options; patterns.c
 * changes the rest. */
struct patterns_s {
    long long batch_size, flush_ms;  /* batching.c */
    long long request_ms;            /* requests.c: a request's timeout */
    long long watchdog_ms, grace_ms; /* errors.c: 004's watchdog, then SIGKILL */
    long long frame_limit;           /* sizes.c: the framing's bound */
    int debug_ipc;                   /* log every message, as DEBUG=ipc would */
    const char *node;                /* node.c: the node of steps 8 to 10 */
    long long node_trips;            /* advanced.c: small round trips each way */
    long long inspect_port;          /* inspect.c: --inspect-brk's port (0: the kernel's) */

    scope_demo_t *demo;
    patterns_kid_t kids[PATTERNS_KIDS];
    int nkids;
    patterns_kid_t *kid;     /* the child now, or NULL */
    scope_trace_t trace;     /* the channel: every message, the round trips */
    uv_timer_t timer;        /* the wait for an answer */
    patterns_answer_cb on_answer;
    patterns_exit_cb on_exit; /* a step that ends the child itself */
    uint64_t sent_ns;        /* when the last message went out */
    int done;                /* the lesson is over: the child's exit ends the run */
    scope_demo_cb step_quit;  /* a step's own end (its node), run first by patterns_end */
};

/* Is msg's field name the string value? */
static inline int patterns_is(const cJSON *msg, const char *name, const char *value)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, name));
    return s && strcmp(s, value) == 0;
}
static inline double patterns_num(const cJSON *msg, const char *name)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(msg, name));
}

/* patterns.c: the fork channel, step 1 and the end (also what a quit does).
 * max_message is the longest line our end takes (0: lib/channel's own). */
void patterns_init(patterns_t *p, scope_demo_t *d); /* after scope_demo_start */
void patterns_fork_step(scope_demo_t *d);
int patterns_fork(patterns_t *p, size_t max_message);
int patterns_send(patterns_t *p, cJSON *msg); /* frees msg */
/* The step waits for the answer is_answer accepts, ms at most (0: forever). */
void patterns_await(patterns_t *p, patterns_answer_cb is_answer, uint64_t ms);
void patterns_end(scope_demo_t *d);

void patterns_batching(scope_demo_t *d);  /* batching.c */
void patterns_requests(scope_demo_t *d);  /* requests.c: config, getUser with ids */
void patterns_validate(scope_demo_t *d);  /* validate.c */
void patterns_sizes(scope_demo_t *d);     /* sizes.c: 004's check vs the framing's */
void patterns_serialize(scope_demo_t *d); /* serialize.c: JSON vs MessagePack */
void patterns_errors(scope_demo_t *d);    /* errors.c: 'error', 'exit', the watchdog */
void patterns_monitor(scope_demo_t *d);   /* monitor.c: one sample vs a histogram */

int patterns_child(scope_demo_t *d); /* child.c: --role child */

/* node.c: node running demos/patterns-node.js MODE, for steps 8 to 10. */
typedef struct patterns_node_s patterns_node_t;
typedef void (*patterns_node_line_cb)(patterns_node_t *n, const char *line, size_t len);
/* node is reaped and the pipe read (if any) is at EOF: code, or its signal. */
typedef void (*patterns_node_exit_cb)(patterns_node_t *n, int code, int sig);
struct patterns_node_s {
    void *data;                   /* the step's */
    patterns_node_line_cb on_line; /* each line of its stdout or stderr */
    patterns_node_exit_cb on_exit;
    /* read-only for the step */
    patterns_t *p;
    scope_child_t child;
    int exited, code, sig;
    /* private */
    char name[48]; /* "MODE node": lib/spawn keeps the pointer for the exit */
    uv_pipe_t out;
    int out_open;
    scope_ndjson_t lines;
    char buf[4096];
};
/* Is node there (--node)? Its path into path; if not, the step's skip said. */
int patterns_node_find(patterns_t *p, const char *step, char *path, size_t n);
/* node [exec_arg] patterns-node.js mode [arg]; read_fd 1 or 2 (its stdout or
 * stderr, read in lines) or 0; chan: a fork channel for fd 3, or NULL. */
int patterns_node_start(patterns_t *p, patterns_node_t *n, const char *exec_arg,
                        const char *mode, const char *arg, int read_fd,
                        const scope_spawn_fd_t *chan);
int patterns_node_kill(patterns_node_t *n, int sig);
/* node as child_process.fork() starts it: a socketpair whose one end is
 * node's fd 3 (NODE_CHANNEL_FD=3, JSON lines), patterns_node_start with
 * that channel, and our end returned. Negative when node is missing (the
 * skip said) or would not start (an error event); the step then goes on. */
int patterns_node_fork(patterns_t *p, patterns_node_t *n, const char *step, const char *exec_arg,
                       const char *mode, int read_fd);

void patterns_lose(scope_demo_t *d);     /* lose.c: what JSON loses, node's child.send */
void patterns_advanced(scope_demo_t *d); /* advanced.c: 'json' vs 'advanced', node to node */
void patterns_inspect(scope_demo_t *d);  /* inspect.c: --inspect-brk, the port, the wait */

#endif
