/* role: this program again, as another process of the demo.
 *
 * A demo with several processes (a server and its clients, a sender and its
 * echo child) starts this very binary again with `--role NAME`, as
 * cluster.fork() runs the same script again. What every such demo needs is
 * done here, once:
 *
 *   1. the program's own path (/proc/self/exe) and the child's command line:
 *      self --role NAME --count N --rate HZ --size BYTES [the demo's own];
 *   2. the event fd placed in the child and named in IPCSCOPE_EVENT_FD, so
 *      its events reach the dashboard (or the terminal) as the parent's do;
 *   3. a relay, one end of a socketpair, that becomes the child's
 *      IPCSCOPE_CONTROL_FD. Every dashboard command the parent applies
 *      (pause, step, rate, size, fault, quit) is passed on to each running
 *      role, whose lib/demo applies it in turn; the other way, the child
 *      sends its figures at its end (scope_demo_report) and the parent's
 *      on_report gets them, so the first process can add them up;
 *   4. death with the parent (PR_SET_PDEATHSIG), reaping with waitpid, the
 *      proc "exit" event and one line of narration for the start and the end;
 *   5. a role that cannot run is not waited for in silence: a stopped one
 *      (SIGSTOP) is named in an error event within a second (one a tracer
 *      holds, as a debugger does, once it has been so for three), and
 *      one still there ROLE_QUIT_GRACE_S after a quit is killed (SIGKILL),
 *      saying so, so that the run ends.
 *
 * The relay is lib's plumbing, not the mechanism a demo teaches: a demo's
 * messages travel on the mechanism, its commands and figures on the relay.
 *
 * Usage (a server starting its clients):
 *
 *     static void on_exit(scope_role_t *r, int code, int sig) { ... }
 *     static void on_report(scope_role_t *r, const cJSON *fig) {
 *         scope_trace_add_figures(&all_clients, cJSON_GetObjectItem(fig, "trace"));
 *     }
 *     const char *args[] = {"--connect", addr, NULL};
 *     scope_role_options_t o = {.argv = args};
 *     r->on_exit = on_exit; r->on_report = on_report;
 *     scope_role_spawn(&demo, r, "client 1", &o);
 *
 * and in main(), after scope_demo_parse: if (demo.role) run the client.
 */
#ifndef SCOPE_ROLE_H
#define SCOPE_ROLE_H

#include <sys/socket.h>
#include <sys/types.h>
#include <uv.h>
#include <cJSON.h>

#include "demo.h"
#include "framing.h"
#include "spawn.h"

/* Where the role's lib fds land in the child: high, out of the way of the
 * fds a mechanism places (0-2 for stdio, 3 for Node's channel). */
#define SCOPE_ROLE_EVENT_FD   60
#define SCOPE_ROLE_CONTROL_FD 61

typedef struct scope_role_s scope_role_t;
/* The child is reaped: code when sig is 0. Its reports came before this. */
typedef void (*scope_role_exit_cb)(scope_role_t *r, int code, int sig);
/* figures: what the child gave scope_demo_report; borrowed for the call. */
typedef void (*scope_role_report_cb)(scope_role_t *r, const cJSON *figures);

typedef struct {
    const char *const *argv;     /* the demo's own arguments; NULL-terminated, or NULL */
    const scope_spawn_fd_t *fds; /* fds of the mechanism placed in the child */
    size_t nfds;
    const char *const *setenv;   /* "NAME=VALUE" added; NULL-terminated, or NULL */
    int quiet;                   /* no narration of the start and the end */
} scope_role_options_t;

/* A role must stay where it is (not freed or moved) until scope_demo_run
 * returns: the loop holds its handles. */
struct scope_role_s {
    /* set by the caller */
    void *data;
    scope_role_exit_cb on_exit;     /* may be NULL */
    scope_role_report_cb on_report; /* may be NULL */
    /* read-only for the caller */
    char name[32];
    pid_t pid;
    int running, exit_code, term_signal;
    /* private */
    scope_demo_t *demo;
    scope_child_t child;
    uv_pipe_t relay;
    int relay_fd, relay_open, quiet;
    scope_ndjson_t reports;
    int stopped_said; /* the watch said it is stopped (SIGSTOP) */
    int traced_watches; /* watches in a row that saw it stopped by a tracer */
    scope_role_t *next;
    char buf[4096];
};

/* Starts this program as role name. Returns 0, or a negative errno (the
 * role is then not running and no callback follows). */
int scope_role_spawn(scope_demo_t *d, scope_role_t *r, const char *name,
                     const scope_role_options_t *o);
/* Starts role name as scope_role_spawn does, on a socket of type
 * (SOCK_DGRAM, SOCK_STREAM) made here, bound to 127.0.0.1 and a port the
 * kernel picks, and placed at the child's fd child_fd (besides o's fds); its
 * address in *addr. The parent knows that address before the role sends
 * anything, so a UDP server can tell its roles' datagrams from the first.
 * A role that cannot start is an error event that names it. Returns as
 * scope_role_spawn. */
int scope_role_spawn_bound(scope_demo_t *d, scope_role_t *r, const char *name,
                           const scope_role_options_t *o, int type, int child_fd,
                           struct sockaddr_storage *addr);
/* Adds each number of report named in names ("lost late") to the bye's
 * figure of that name (scope_demo_figure_add): the first process's total of
 * what its roles counted, without a sum of its own for each. A NULL report
 * makes the figures (at 0) so the bye has them when no report came. Returns
 * the sum of the numbers added, for a caller that says it too. */
double scope_role_add_figures(scope_demo_t *d, const cJSON *report, const char *names);
/* kill(2) to the role. Returns 0 or a negative errno (-ESRCH once reaped). */
int scope_role_kill(scope_role_t *r, int sig);
/* SIGKILL to every role of d still running, and waits until each is
 * reaped: what a first process does on its way out so nothing is left. */
void scope_role_kill_all(scope_demo_t *d);
/* The number of d's roles still running. */
int scope_role_running(const scope_demo_t *d);

#endif
