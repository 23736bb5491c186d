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

#endif
