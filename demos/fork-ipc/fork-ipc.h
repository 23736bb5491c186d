/* fork-ipc: what each file of the demo offers. main.c lists the lesson's
 * steps, one entry point each, and calls down into the files. They call lib,
 * and below them the watchdog, which every step that waits for the child's
 * answer uses; child.c also calls handle.c for its half of step 8. */
#ifndef FORK_IPC_H
#define FORK_IPC_H

#include "channel.h"
#include "demo.h"
#include "spawn.h"
#include "trace.h"

/* The parent, hung off demo.data: main.c sets what it is asked to run and
 * reads the figures once the loop is over; steps 6 to 8 send on its channel;
 * only fork-ipc.c changes it. */
typedef struct {
    const char *file;   /* the child's program: this one, or node */
    char *const *argv;  /* its argv, NULL-terminated */
    const char *label;  /* the child as narration names it */
    size_t max_message; /* longest line either side accepts */
    double timeout_s;   /* how long a step waits for the child's answer; 0: forever */
    const char *fault;  /* a bad line sent after hello, or "" */
    void (*send_fault)(scope_channel_t *ch, const char *kind);

    scope_demo_t *demo;
    int fds[2]; /* the socketpair: ours, the child's */
    scope_child_t child;
    scope_channel_t ch;
    scope_trace_t trace; /* its latency: the round trips */
    int open;
    int completed; /* the run ended by our disconnect, not the child leaving */
    int child_code, child_signal;
} fork_ipc_t;

/* fork-ipc.c: steps 1-5 and 9 of the lesson, and its end. */
void fork_ipc_start(scope_demo_t *d, fork_ipc_t *p);
void fork_ipc_socketpair(scope_demo_t *d);
void fork_ipc_fork(scope_demo_t *d);
void fork_ipc_child_fd(scope_demo_t *d);
void fork_ipc_open(scope_demo_t *d);
void fork_ipc_hello(scope_demo_t *d);
void fork_ipc_disconnect(scope_demo_t *d);

/* pingpong.c, step 6: round trips. Returns the pongs, and how many a second. */
void fork_ipc_pingpong(scope_demo_t *d);
long fork_ipc_pingpong_done(double *per_s);

/* request.c, step 7: getUser with correlation ids; the answers that came. */
void fork_ipc_request(scope_demo_t *d);
int fork_ipc_request_answered(void);

/* handle.c, step 8: a listening socket passed to the child, and a client
 * of it; the child's side: serve one connection on the fd that came. */
void fork_ipc_handle(scope_demo_t *d);
void fork_ipc_serve(uv_loop_t *loop, scope_channel_t *ch, int fd);

/* watchdog.c: the step that waits for the child's answer names it (what)
 * and the function that knows it (is_answer returns 1 for an answer, 0 for
 * another message); timeout_s later, with no answer, the watchdog
 * disconnects, ends the child and makes the run fail. */
typedef int (*fork_ipc_answer_cb)(void *arg, const cJSON *msg);
void fork_ipc_watch(scope_demo_t *d, scope_channel_t *ch, scope_child_t *child,
                    const char *label, double timeout_s);
void fork_ipc_await(const char *what, fork_ipc_answer_cb is_answer, void *arg); /* NULL: over */
void fork_ipc_answer(const cJSON *msg); /* a message from the child */
void fork_ipc_unwatch(void);

/* faults.c: one bad line, "malformed", "blank" or "oversize". */
void fork_ipc_fault(scope_channel_t *ch, const char *kind);

/* child.c: the child of a parent that forked us with NODE_CHANNEL_FD. */
int fork_ipc_child(scope_demo_t *d, size_t max_message);

#endif
