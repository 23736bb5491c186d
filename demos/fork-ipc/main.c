/* fork-ipc: child_process.fork() with the lid off.
 *
 * A parent forks a child and the two talk over Node's IPC channel: a
 * socketpair, one JSON line per message, wire-compatible with real node.
 *
 *   fork-ipc.c  the parent: socketpair, fork+exec with fd 3, the nine steps
 *   child.c     the child (--as-child): this demo's, or a real node's
 *   faults.c    bad lines on the channel (--fault, the dashboard's fault key)
 *   visit.c     a TCP client of the socket passed to the child
 *
 *   fork-ipc                      C parent, C child
 *   fork-ipc --child node         the child is node running fork-ipc-child.js
 *   fork-ipc --child node:PATH    ... or any script, an article's child.js
 *   fork-ipc --as-child           be the child of a parent that forks us
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "fork-ipc.h"

static const scope_demo_info_t info = {
    "fork-ipc",
    "child_process.fork() with the lid off",
    "A parent and a child talk over Node's IPC channel: a socketpair, one JSON line per message.",
    "000 001 002 003 004",
    "IPC 通道 (fork) | 快 | ❌ | 低 | 父子进程",
    "malformed blank oversize",
};

static const scope_demo_option_t options[] = {
    {"child", "c|node|node:PATH",
     "who the child is: this program in C (default), node running fork-ipc-child.js, or node "
     "running PATH"},
    {"as-child", NULL, "be the child of a parent that forked us with NODE_CHANNEL_FD"},
    {"fault", "KIND", "after hello, send the child a bad line: malformed, blank or oversize"},
    {"max-message", "BYTES", "longest line either side accepts (default 4194304)"},
    {"timeout", "SECONDS", "how long a step waits for the child's answer (default 5, 0: forever)"},
    {NULL, NULL, NULL},
};

typedef struct {
    fork_ipc_options_t o;
    int as_child;
    const char *script; /* the node child's script, NULL for the C child */
} cli_t;

static int bad(scope_demo_t *d, const char *why, const char *value)
{
    snprintf(d->error, sizeof d->error, why, value);
    return -EINVAL;
}

static int on_option(scope_demo_t *d, const char *name, const char *value)
{
    cli_t *cli = d->data;
    char *end;
    if (strcmp(name, "child") == 0) {
        if (strcmp(value, "c") == 0)
            cli->script = NULL;
        else if (strcmp(value, "node") == 0)
            cli->script = "";
        else if (strncmp(value, "node:", 5) == 0 && access(value + 5, R_OK) == 0)
            cli->script = value + 5;
        else if (strncmp(value, "node:", 5) == 0)
            return bad(d, "--child node:PATH: cannot read '%s'", value + 5);
        else
            return bad(d, "--child wants c, node or node:PATH, not '%s'", value);
    } else if (strcmp(name, "as-child") == 0) {
        cli->as_child = 1;
    } else if (strcmp(name, "fault") == 0) {
        if (strcmp(value, "malformed") && strcmp(value, "blank") && strcmp(value, "oversize"))
            return bad(d, "--fault wants malformed, blank or oversize, not '%s'", value);
        cli->o.fault = value;
    } else if (strcmp(name, "max-message") == 0) {
        unsigned long long v = strtoull(value, &end, 10);
        if (*end || v < 1024 || v > SCOPE_CHANNEL_MAX_MESSAGE)
            return bad(d, "--max-message wants 1024 to 67108864 bytes, not '%s'", value);
        cli->o.max_message = (size_t)v;
    } else if (strcmp(name, "timeout") == 0) {
        cli->o.timeout_s = strtod(value, &end);
        if (*end || end == value || cli->o.timeout_s < 0)
            return bad(d, "--timeout wants seconds (0: wait forever), not '%s'", value);
    }
    return 0;
}

/* The end of the run, in one event: what was sent and received, the round
 * trips, and how the child ended. */
static void say_bye(const fork_ipc_run_t *r)
{
    scope_hist_summary_t sum;
    scope_hist_summarize(&r->latency, &sum);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "sent", (double)r->sent);
    cJSON_AddNumberToObject(o, "received", (double)r->received);
    cJSON_AddNumberToObject(o, "round_trips", (double)r->pongs);
    cJSON_AddNumberToObject(o, "p50", (double)sum.p50);
    cJSON_AddNumberToObject(o, "p99", (double)sum.p99);
    cJSON_AddNumberToObject(o, "answered", r->answered);
    if (r->pongs > 0 && r->last_pong_ns > r->first_ping_ns)
        cJSON_AddNumberToObject(o, "round_trips_per_s", (double)r->pongs * 1e9 /
                                (double)(r->last_pong_ns - r->first_ping_ns));
    cJSON_AddBoolToObject(o, "complete", r->completed);
    char text[256], how[64], median[48] = "";
    if (r->child_signal) {
        cJSON_AddStringToObject(o, "child_signal", sigabbrev_np(r->child_signal));
        snprintf(how, sizeof how, "was killed by SIG%s", sigabbrev_np(r->child_signal));
    } else {
        cJSON_AddNumberToObject(o, "child_code", r->child_code);
        snprintf(how, sizeof how, "exited %d", r->child_code);
    }
    if (r->pongs) {
        char p50[32];
        snprintf(median, sizeof median, " (median %s)",
                 scope_time_format(p50, sizeof p50, (double)sum.p50));
    }
    snprintf(text, sizeof text, "%llu messages sent, %llu received, %ld round trips%s; "
             "the child %s%s", (unsigned long long)r->sent, (unsigned long long)r->received,
             r->pongs, median, how,
             r->completed ? "" : " before the run was over");
    scope_events_bye(o, text);
}

int main(int argc, char **argv)
{
    cli_t cli = {.o = {.max_message = 4u << 20, .timeout_s = 5, .fault = "",
                       .send_fault = fork_ipc_fault, .visit = fork_ipc_visit}};
    scope_demo_t demo = {.data = &cli, .on_option = on_option};
    int r = scope_demo_parse(&demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    if (cli.as_child)
        return fork_ipc_child(&demo, cli.o.max_message);

    /* The C child is this very program; the node child's script sits beside it. */
    char self[PATH_MAX], script[PATH_MAX + 32], maxarg[48];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        perror("fork-ipc: readlink /proc/self/exe");
        return 1;
    }
    self[n] = '\0';
    snprintf(script, sizeof script, "%.*s/fork-ipc-child.js", (int)(strrchr(self, '/') - self),
             self);
    snprintf(maxarg, sizeof maxarg, "--max-message=%zu", cli.o.max_message);
    char *c_argv[] = {self, "--as-child", maxarg, NULL};
    char *node_argv[] = {"node", cli.script && *cli.script ? (char *)cli.script : script, NULL};
    cli.o.file = cli.script ? "node" : self;
    cli.o.argv = cli.script ? node_argv : c_argv;
    cli.o.label = cli.script ? node_argv[1] : "fork-ipc --as-child";
    demo.params = cJSON_CreateObject();
    cJSON_AddStringToObject(demo.params, "child", cli.script ? "node" : "c");
    if (cli.o.fault[0])
        cJSON_AddStringToObject(demo.params, "fault", cli.o.fault);

    fork_ipc_run_t run = {0};
    int code = fork_ipc_parent(&demo, &cli.o, &run);
    say_bye(&run);
    return code || run.child_code || run.child_signal || !run.completed;
}
