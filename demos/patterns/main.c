/* patterns: article 004's practices, measured over the fork channel (the
 * story: patterns.c).
 *
 * Step 1 and the end are patterns.c's; each practice is a file of its own:
 * batching.c, requests.c, validate.c, sizes.c, serialize.c, errors.c,
 * lose.c, advanced.c, inspect.c (the three that run node, through node.c),
 * monitor.c. child.c is the child (--role child).
 *
 *   patterns                        the lesson, then --count round trips
 *   patterns --batch-size 50        step 2's batcher sends 50 items a batch
 *   patterns --watchdog-ms 5000     step 7's watchdog waits as 004's does
 *   patterns --inspect-port 9229    step 10's child listens where 004's does
 */
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "patterns.h"

static const scope_demo_info_t info = {
    "patterns",
    "article 004's IPC practices, measured",
    "Batching, structured requests, validation, size limits, JSON vs MessagePack, "
    "timeouts and round-trip monitoring, each measured on a fork channel.",
    "004",
    "",
    NULL,
};

static const scope_demo_lesson_t lesson[] = {
    {N_("fork(): a socketpair, the child's end at fd 3"), patterns_fork_step},
    {N_("batching: 1,000 sends vs one batch vs a batcher"), patterns_batching},
    {N_("structured messages: config, getUser by id, a timeout"), patterns_requests},
    {N_("validation: 004's check, a schema per type, a dropped count"), patterns_validate},
    {N_("size limits: 004's check after the parse vs the framing's bound"), patterns_sizes},
    {N_("serialization: JSON vs MessagePack, a Buffer on a JSON channel"), patterns_serialize},
    {N_("'error', 'exit', and 004's watchdog: SIGTERM, then SIGKILL"), patterns_errors},
    {N_("what JSON loses: a Date, a Map, undefined, a BigInt from node"), patterns_lose},
    {N_("node to node: serialization 'json' vs 'advanced', measured"), patterns_advanced},
    {N_("--inspect-brk: a node child that waits for a debugger"), patterns_inspect},
    {N_("round trips: one process.hrtime() sample vs a histogram"), patterns_monitor},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    patterns_t o = {.batch_size = 100, .flush_ms = 5, .request_ms = 200, .watchdog_ms = 5000,
                    .grace_ms = 1000, .frame_limit = 1 << 20,
                    .node = "node", .node_trips = 1000};
    const scope_demo_option_t options[] = {
        {"batch-size", "N", "step 2: items in a batch (default 100)", SCOPE_OPT_NUMBER,
         &o.batch_size, 1, 1000},
        {"flush-ms", "MS", "step 2: a batch goes after its first item waited this long "
         "(default 5)", SCOPE_OPT_NUMBER, &o.flush_ms, 1, 10000},
        {"request-ms", "MS", "step 3: a request's timeout (default 200)", SCOPE_OPT_NUMBER,
         &o.request_ms, 10, 60000},
        {"frame-limit", "BYTES", "step 5: the bound our end's framing keeps on a line "
         "(default 1048576)", SCOPE_OPT_NUMBER, &o.frame_limit, 1024, SCOPE_CHANNEL_MAX_MESSAGE},
        {"watchdog-ms", "MS", "step 7: 004's watchdog, SIGTERM to a hung child after this "
         "(default 5000, as 004)", SCOPE_OPT_NUMBER, &o.watchdog_ms, 10, 600000},
        {"grace-ms", "MS", "step 7: then SIGKILL after this more (default 1000)",
         SCOPE_OPT_NUMBER, &o.grace_ms, 10, 600000},
        {"node", "PATH", "steps 8-10: the node to run (default: node in PATH)",
         SCOPE_OPT_TEXT, &o.node},
        {"node-trips", "N", "step 9: small round trips each way, a tenth as many large "
         "(default 1000)", SCOPE_OPT_NUMBER, &o.node_trips, 10, 1000000},
        {"inspect-port", "PORT", "step 10: --inspect-brk's port on 127.0.0.1 (default 0: "
         "the kernel picks; 9229 as the article)", SCOPE_OPT_NUMBER, &o.inspect_port, 0, 65535},
        {"debug-ipc", NULL, "log every message the parent receives, as DEBUG=ipc would",
         SCOPE_OPT_FLAG, &o.debug_ipc},
        {NULL, NULL, NULL},
    };
    scope_demo_t demo = {0};
    int r = scope_demo_parse(&demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    if (demo.role)
        return patterns_child(&demo);

    demo.on_quit = patterns_end; /* as node's disconnect(): the child goes, then we */
    demo.on_lesson_end = patterns_end;
    if (scope_demo_start(&demo, uv_default_loop(), "parent", 1) < 0)
        return 1;
    patterns_init(&o, &demo);
    scope_demo_lesson(&demo, lesson);
    int code = scope_demo_run(&demo);
    scope_role_kill_all(&demo);
    scope_spawn_shutdown(demo.loop);
    uv_run(demo.loop, UV_RUN_NOWAIT);

    char text[256], rtt[96];
    cJSON *summary = cJSON_CreateObject();
    scope_trace_add_summary(&o.trace, summary);
    snprintf(text, sizeof text, scope_events_tr("%llu messages sent, %llu received, %s"),
             (unsigned long long)o.trace.sent, (unsigned long long)o.trace.received,
             scope_trace_describe(&o.trace, rtt, sizeof rtt));
    scope_demo_bye(&demo, summary, text);
    return code;
}
