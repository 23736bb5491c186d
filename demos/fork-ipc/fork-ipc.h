/* fork-ipc: what each file of the demo offers to the files above it (main.c
 * above all; steps 6-8 above fork-ipc.c, above faults.c; child.c above handle.c). */
#ifndef FORK_IPC_H
#define FORK_IPC_H

#include <string.h>

#include "channel.h"
#include "demo.h"
#include "spawn.h"
#include "trace.h"

typedef struct fork_ipc_s fork_ipc_t;
/* What a step makes of a message from the child: not its answer, one of its
 * answers (it waits for more), or its last (the wait is over: next step). */
enum { FORK_IPC_NOT_IT, FORK_IPC_MORE, FORK_IPC_DONE };
typedef int (*fork_ipc_answer_cb)(fork_ipc_t *p, const cJSON *msg);

/* The parent, hung off demo.data: main.c sets what it is asked to run and
 * reads the end of the run; only fork-ipc.c changes it. */
struct fork_ipc_s {
    char *const *argv;     /* the child's: this program, or node and a script */
    long long max_message; /* longest line either side accepts */
    long long timeout_s;   /* how long a step waits for the child's answer; 0: forever */
    const char *fault;     /* a bad line sent after hello, or NULL */

    scope_demo_t *demo;
    int fds[2]; /* the socketpair: ours, the child's */
    scope_child_t child;
    scope_channel_t ch;
    scope_trace_t trace; /* its latency: the round trips */
    uv_timer_t timer;    /* the wait for the child's answer */
    const char *awaited; /* what the step waits for, or NULL */
    fork_ipc_answer_cb is_answer;
    uint64_t sent_ns; /* when our last message went out: a pong's round trip starts there */
    int open;      /* the channel */
    int completed; /* the run ended by our disconnect, not the child leaving */
    char how[64];  /* how the child ended: "exited 0" */
};

/* Is msg's field name the string value? */
static inline int fork_ipc_is(const cJSON *msg, const char *name, const char *value)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, name));
    return s && strcmp(s, value) == 0;
}

/* fork-ipc.c: steps 1-5 and 9 (also what a quit does). A step sends with
 * fork_ipc_send (it frees msg) and names the answer it waits for, --timeout
 * seconds at most, with fork_ipc_await (what NULL: the wait is over). */
void fork_ipc_socketpair(scope_demo_t *d);
void fork_ipc_fork(scope_demo_t *d);
void fork_ipc_child_fd(scope_demo_t *d);
void fork_ipc_open(scope_demo_t *d);
void fork_ipc_hello(scope_demo_t *d);
void fork_ipc_disconnect(scope_demo_t *d);
int fork_ipc_send(fork_ipc_t *p, cJSON *msg);
void fork_ipc_await(fork_ipc_t *p, const char *what, fork_ipc_answer_cb is_answer);

void fork_ipc_pingpong(scope_demo_t *d); /* pingpong.c, step 6: round trips */
void fork_ipc_request(scope_demo_t *d);  /* request.c, step 7: getUser with ids */

/* handle.c, step 8: pass a listening socket and visit it; the child serves it. */
void fork_ipc_handle(scope_demo_t *d);
void fork_ipc_serve(uv_loop_t *loop, scope_channel_t *ch, int fd);

void fork_ipc_fault(scope_channel_t *ch, const char *kind); /* faults.c: one bad line */
int fork_ipc_child(scope_demo_t *d, size_t max_message);   /* child.c: --as-child */

#endif
