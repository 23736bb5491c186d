/* fork-ipc: child_process.fork() with the lid off.
 *
 * A parent forks a child and the two talk over Node's IPC channel: a
 * socketpair, one JSON line per message, wire-compatible with real node.
 *
 *   fork-ipc.c  the lesson: socketpair, fork with fd 3, the kernel's view,
 *               open, hello, disconnect (steps 1-5 and 9)
 *   pingpong.c  step 6, round trips
 *   request.c   step 7, getUser with correlation ids
 *   handle.c    step 8, a listening socket passed with SCM_RIGHTS, both sides
 *   watchdog.c  how long a step waits for the child's answer (--timeout)
 *   faults.c    bad lines on the channel (--fault, the dashboard's fault key)
 *   child.c     the child (--as-child): this demo's, or a real node's
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
    fork_ipc_t o; /* what the parent is asked to run */
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

static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    fork_ipc_t *p = d->data;
    (void)msg;
    if (strcmp(cmd, "fault") == 0 && p->open)
        fork_ipc_fault(&p->ch, d->fault);
}

static const scope_demo_lesson_t lesson[] = {
    {"socketpair(): the channel, before any child exists", fork_ipc_socketpair},
    {"fork the child; it finds its end at fd 3", fork_ipc_fork},
    {"in the child, its end is fd 3 and NODE_CHANNEL_FD=3 names it", fork_ipc_child_fd},
    {"both sides open the channel as a libuv ipc pipe", fork_ipc_open},
    {"send {\"hello\":\"world\"}; the child answers {\"received\":true}", fork_ipc_hello},
    {"ping-pong: round trips on the channel", fork_ipc_pingpong},
    {"request/response: getUser with correlation ids", fork_ipc_request},
    {"pass a listening socket with a message", fork_ipc_handle},
    {"disconnect(): the child reads EOF and exits", fork_ipc_disconnect},
    {NULL, NULL},
};

/* The end of the run, in one event: what was sent and received, the round
 * trips, and how the child ended. */
static void say_bye(const fork_ipc_t *p)
{
    scope_hist_summary_t sum;
    scope_hist_summarize(&p->trace.latency, &sum);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "sent", (double)p->ch.sent);
    cJSON_AddNumberToObject(o, "received", (double)p->ch.received);
    double per_s;
    long pongs = fork_ipc_pingpong_done(&per_s);
    cJSON_AddNumberToObject(o, "round_trips", (double)pongs);
    cJSON_AddNumberToObject(o, "p50", (double)sum.p50);
    cJSON_AddNumberToObject(o, "p99", (double)sum.p99);
    cJSON_AddNumberToObject(o, "answered", fork_ipc_request_answered());
    if (per_s > 0)
        cJSON_AddNumberToObject(o, "round_trips_per_s", per_s);
    cJSON_AddBoolToObject(o, "complete", p->completed);
    char text[256], how[64], median[48] = "", p50[32];
    if (p->child_signal) {
        cJSON_AddStringToObject(o, "child_signal", sigabbrev_np(p->child_signal));
        snprintf(how, sizeof how, "was killed by SIG%s", sigabbrev_np(p->child_signal));
    } else {
        cJSON_AddNumberToObject(o, "child_code", p->child_code);
        snprintf(how, sizeof how, "exited %d", p->child_code);
    }
    if (pongs)
        snprintf(median, sizeof median, " (median %s)",
                 scope_time_format(p50, sizeof p50, (double)sum.p50));
    snprintf(text, sizeof text, "%llu messages sent, %llu received, %ld round trips%s; "
             "the child %s%s", (unsigned long long)p->ch.sent,
             (unsigned long long)p->ch.received, pongs, median, how,
             p->completed ? "" : " before the run was over");
    scope_events_bye(o, text);
}

int main(int argc, char **argv)
{
    cli_t cli = {.o = {.max_message = 4u << 20, .timeout_s = 5, .fault = "",
                       .send_fault = fork_ipc_fault}};
    scope_demo_t demo = {.data = &cli, .on_option = on_option, .on_control = on_control};
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
    fork_ipc_t *p = &cli.o;
    p->file = cli.script ? "node" : self;
    p->argv = cli.script ? node_argv : c_argv;
    p->label = cli.script ? node_argv[1] : "fork-ipc --as-child";
    demo.params = cJSON_CreateObject();
    cJSON_AddStringToObject(demo.params, "child", cli.script ? "node" : "c");
    if (p->fault[0])
        cJSON_AddStringToObject(demo.params, "fault", p->fault);

    if (scope_demo_start(&demo, uv_default_loop(), "parent", 1) < 0)
        return 1;
    fork_ipc_start(&demo, p);
    scope_demo_lesson(&demo, lesson);
    int code = scope_demo_run(&demo);
    scope_spawn_shutdown(demo.loop);
    uv_run(demo.loop, UV_RUN_NOWAIT);
    say_bye(p);
    return code || p->child_code || p->child_signal || !p->completed;
}
