/* fork-ipc: child_process.fork() with the lid off (the story: fork-ipc.c).
 *
 * The lesson's nine steps are fork-ipc.c's, with pingpong.c, request.c and
 * handle.c (steps 6-8); faults.c writes the bad lines, child.c is the child.
 *
 *   fork-ipc                      C parent, C child
 *   fork-ipc --child node         the child is node running fork-ipc-child.js
 *   fork-ipc --child node:PATH    ... or any script, an article's child.js
 *   fork-ipc --as-child           be the child of a parent that forks us
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fork-ipc.h"

static const scope_demo_info_t info = {
    "fork-ipc",
    "child_process.fork() with the lid off",
    "A parent and a child talk over Node's IPC channel: a socketpair, one JSON line per message.",
    "000 001 002 003 004",
    "IPC 通道 (fork) | 快 | ❌ | 低 | 父子进程",
    "malformed blank oversize",
};

static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    fork_ipc_t *p = d->data;
    (void)msg;
    if (strcmp(cmd, "fault") == 0 && p->open)
        fork_ipc_fault(&p->ch, d->fault);
}

static const scope_demo_lesson_t lesson[] = {
    {N_("socketpair(): the channel, before any child exists"), fork_ipc_socketpair},
    {N_("fork the child; it finds its end at fd 3"), fork_ipc_fork},
    {N_("in the child, its end is fd 3 and NODE_CHANNEL_FD=3 names it"), fork_ipc_child_fd},
    {N_("both sides open the channel as a libuv ipc pipe"), fork_ipc_open},
    {N_("send {\"hello\":\"world\"}; the child answers {\"received\":true}"), fork_ipc_hello},
    {N_("ping-pong: round trips on the channel"), fork_ipc_pingpong},
    {N_("request/response: getUser with correlation ids"), fork_ipc_request},
    {N_("pass a listening socket with a message"), fork_ipc_handle},
    {N_("disconnect(): the child reads EOF and exits"), fork_ipc_disconnect},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    fork_ipc_t o = {.max_message = 4 << 20, .timeout_s = 5, .how = N_("did not start")}, *p = &o;
    const char *child = "c";
    int as_child = 0;
    const scope_demo_option_t options[] = {
        {"child", "c|node|node:PATH", "who the child is: this program in C (default), node "
         "running fork-ipc-child.js, or node running PATH", SCOPE_OPT_TEXT, &child},
        {"as-child", NULL, "be the child of a parent that forked us with NODE_CHANNEL_FD",
         SCOPE_OPT_FLAG, &as_child},
        {"fault", "KIND", "after hello, send the child a bad line: malformed, blank or oversize",
         SCOPE_OPT_WORD, &o.fault, 0, 0, info.faults},
        {"max-message", "BYTES", "longest line either side accepts (default 4194304)",
         SCOPE_OPT_NUMBER, &o.max_message, 1024, SCOPE_CHANNEL_MAX_MESSAGE},
        {"timeout", "SECONDS", "how long a step waits for the child's answer (default 5, "
         "0: forever)", SCOPE_OPT_NUMBER, &o.timeout_s, 0, 24 * 3600},
        {NULL, NULL, NULL},
    };
    scope_demo_t demo = {.data = p};
    int r = scope_demo_parse(&demo, &info, options, argc, argv);
    /* node:PATH names a script that must be there */
    const char *script = strncmp(child, "node:", 5) == 0 ? child + 5 : NULL;
    if (r == SCOPE_DEMO_RUN && strcmp(child, "c") && strcmp(child, "node") &&
        (!script || access(script, R_OK) < 0)) {
        snprintf(demo.error, sizeof demo.error, "--child wants c, node or node:PATH; '%s' is "
                 "none, or a script it cannot read", child);
        r = -EINVAL;
    }
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    if (as_child)
        return fork_ipc_child(&demo, (size_t)o.max_message);

    /* The C child is this very program; the node child's script sits beside it. */
    char self[PATH_MAX], beside[PATH_MAX], maxarg[48];
    if (scope_spawn_self(self, sizeof self) < 0 ||
        scope_spawn_beside("fork-ipc-child.js", beside, sizeof beside) < 0) {
        perror("fork-ipc: /proc/self/exe");
        return 1;
    }
    snprintf(maxarg, sizeof maxarg, "--max-message=%lld", o.max_message);
    char *c_argv[] = {self, "--as-child", maxarg, NULL};
    char *node_argv[] = {"node", script ? (char *)script : beside, NULL};
    p->argv = strcmp(child, "c") == 0 ? c_argv : node_argv;
    p->demo = &demo;
    demo.on_quit = fork_ipc_disconnect; /* as node's disconnect(): the child goes, then we */
    demo.on_control = on_control;
    if (scope_demo_start(&demo, uv_default_loop(), "parent", 1) < 0)
        return 1;
    scope_demo_lesson(&demo, lesson);
    int code = scope_demo_run(&demo);
    scope_spawn_shutdown(demo.loop);
    uv_run(demo.loop, UV_RUN_NOWAIT);

    /* The bye: lib/trace's figures join those fork-ipc.c and request.c gave. */
    char text[256], rtt[96];
    cJSON *summary = cJSON_CreateObject();
    scope_trace_add_summary(&p->trace, summary);
    snprintf(text, sizeof text,
             scope_events_tr("%llu messages sent, %llu received, %s; the child %s%s"),
             (unsigned long long)p->trace.sent, (unsigned long long)p->trace.received,
             scope_trace_describe(&p->trace, rtt, sizeof rtt), scope_events_tr(p->how),
             p->completed ? "" : scope_events_tr(" before the run was over"));
    scope_demo_bye(&demo, summary, text);
    return code || !p->completed; /* a run cut short fails */
}
