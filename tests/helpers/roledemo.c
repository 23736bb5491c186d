/* roledemo: the smallest demo with roles, for testing lib/role and lib/trace.
 *
 * The first process starts two roles ("worker 1", "worker 2"). Each worker
 * sends --count messages to nobody (traced only), sleeping between them at
 * --rate, and at its end reports its trace's figures; the first process adds
 * them up and says so in its bye. Commands from the control fd reach the
 * workers through lib's relay; a worker logs each it gets with "relayed: CMD".
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "demo.h"
#include "events.h"
#include "role.h"
#include "trace.h"

static const scope_demo_info_t info = {"roledemo", "roles for tests", "two workers",
                                       "000", "", NULL};

static scope_demo_t demo;
static scope_trace_t trace;
static scope_pacer_t pacer;
static scope_role_t workers[2];
static int reports;

static void send_one(scope_pacer_t *p)
{
    char line[64];
    int n = snprintf(line, sizeof line, "message %llu from %s\n",
                     (unsigned long long)trace.sent + 1, demo.role);
    scope_trace_send(&trace, line, (size_t)n);
    if ((long)trace.sent < demo.count && !demo.quitting)
        scope_pacer_next(p, send_one);
    else
        scope_demo_stop(&demo);
}

static void worker_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)d;
    (void)msg;
    scope_events_log("relayed: %s", cmd);
}

static int run_worker(void)
{
    demo.on_control = worker_control;
    if (scope_demo_start(&demo, uv_default_loop(), demo.role, 0) < 0)
        return 1;
    scope_trace_init(&trace, "work", SCOPE_PID(getpid()), SCOPE_PEER("nobody"));
    scope_pacer_init(&demo, &pacer);
    scope_pacer_next(&pacer, send_one);
    int code = scope_demo_run(&demo);
    cJSON *fig = cJSON_CreateObject();
    cJSON_AddItemToObject(fig, "trace", scope_trace_figures(&trace));
    scope_demo_report(&demo, fig);
    return code;
}

static void on_report(scope_role_t *r, const cJSON *fig)
{
    if (scope_trace_add_figures(&trace, cJSON_GetObjectItemCaseSensitive(fig, "trace")) == 0)
        reports++;
    else
        scope_events_error("report", "bad figures from %s", r->name);
}

static void on_exit_role(scope_role_t *r, int code, int sig)
{
    if (code || sig)
        scope_demo_exit(&demo, 1);
    (void)r;
    if (!scope_role_running(&demo)) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "reports", reports);
        cJSON_AddNumberToObject(o, "sent", (double)trace.sent);
        scope_events_bye(o, "workers done");
        scope_demo_stop(&demo);
    }
}

static int run_first(void)
{
    if (scope_demo_start(&demo, uv_default_loop(), "parent", 1) < 0)
        return 1;
    scope_trace_init(&trace, "work", SCOPE_PID(getpid()), SCOPE_PEER("nobody"));
    for (int i = 0; i < 2; i++) {
        char name[24];
        snprintf(name, sizeof name, "worker %d", i + 1);
        workers[i].on_report = on_report;
        workers[i].on_exit = on_exit_role;
        if (scope_role_spawn(&demo, &workers[i], name, NULL) < 0)
            return 1;
    }
    int code = scope_demo_run(&demo);
    scope_role_kill_all(&demo);
    scope_spawn_shutdown(uv_default_loop());
    return code;
}

int main(int argc, char **argv)
{
    int r = scope_demo_parse(&demo, &info, NULL, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    return demo.role ? run_worker() : run_first();
}
