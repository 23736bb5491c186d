/* fork-ipc: what each file of the demo offers. main.c calls down into the
 * others and plugs faults.c and visit.c into the parent; none of them calls
 * another. */
#ifndef FORK_IPC_H
#define FORK_IPC_H

#include <stddef.h>

#include "channel.h"
#include "demo.h"
#include "timing.h"

/* Writes one bad line on the channel: "malformed", "blank" or "oversize"
 * (longer than max_message). faults.c. */
typedef void (*fork_ipc_fault_fn)(scope_channel_t *ch, const char *kind, size_t max_message);
void fork_ipc_fault(scope_channel_t *ch, const char *kind, size_t max_message);

/* Connects to port, where the child now listens on the socket we passed it,
 * and shows what it reads there. visit.c. */
typedef void (*fork_ipc_visit_fn)(uv_loop_t *loop, int port, long child_pid);
void fork_ipc_visit(uv_loop_t *loop, int port, long child_pid);

typedef struct {
    const char *file;         /* the child's program: this one, or node */
    char *const *argv;        /* its argv, NULL-terminated */
    const char *label;        /* the child as narration names it */
    size_t max_message;       /* longest line either side accepts */
    double timeout_s;         /* how long a step waits for the child's answer; 0: forever */
    const char *fault;        /* a bad line sent after hello, or "" */
    fork_ipc_fault_fn send_fault;
    fork_ipc_visit_fn visit;
} fork_ipc_options_t;

/* What a run did, for its summary. */
typedef struct {
    uint64_t sent, received;
    long pongs;
    int answered;
    scope_hist_t latency; /* the round trips */
    uint64_t first_ping_ns, last_pong_ns;
    int completed;        /* the run ended by our disconnect, not the child leaving */
    int child_code, child_signal;
} fork_ipc_run_t;

/* The parent: the nine steps of the lesson. fork-ipc.c. Fills run once the
 * loop is over and returns the exit code. */
int fork_ipc_parent(scope_demo_t *d, const fork_ipc_options_t *o, fork_ipc_run_t *run);
/* The child of a parent that forked us with NODE_CHANNEL_FD: this demo's
 * parent, or a real node. child.c. Returns the exit code. */
int fork_ipc_child(scope_demo_t *d, size_t max_message);

#endif
