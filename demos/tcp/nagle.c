/* nagle.c: Nagle's algorithm meets write-write-read. Two chat clients with
 * --split-writes (each line in two write()s, then a read of the echo) chat
 * in turn, ROUNDS lines each: Nagle on (the default), then TCP_NODELAY.
 * Their round trips come back through lib's relay; the lesson says why the
 * first waits for a delayed ACK.
 */
#include "tcp.h"

#define ROUNDS "20"

static struct {
    scope_demo_t *d;
    scope_role_t client[2]; /* Nagle on, TCP_NODELAY */
    uint64_t p50[2];
    int reported;
} n;

static void on_report(scope_role_t *r, const cJSON *fig)
{
    const cJSON *p50 = cJSON_GetObjectItemCaseSensitive(fig, "p50");
    n.p50[r == &n.client[1]] = cJSON_IsNumber(p50) ? (uint64_t)p50->valuedouble : 0;
    n.reported += r == &n.client[1];
}

static void client_exit(scope_role_t *r, int code, int sig)
{
    scope_demo_exit(n.d, code || sig);
    if (r == &n.client[0] && !n.d->quitting) {
        nagle_run(n.d);
        return;
    }
    if (n.reported) {
        scope_demo_figure(n.d, "nagle_p50", cJSON_CreateNumber((double)n.p50[0]));
        scope_demo_figure(n.d, "nodelay_p50", cJSON_CreateNumber((double)n.p50[1]));
        scope_events_log("write-write-read: median %.1f ms with Nagle on (the second write "
                         "waited for a delayed ACK), %.1f us with TCP_NODELAY",
                         n.p50[0] / 1e6, n.p50[1] / 1e3);
    }
    scope_demo_next(n.d);
}

/* The step: Nagle on; called again when that client is done, TCP_NODELAY. */
void nagle_run(scope_demo_t *d)
{
    int round = n.d != NULL; /* the first call sets n.d */
    n.d = d;
    const char *args[] = {"--connect", n.d->data, "--split-writes", "--nodelay",
                          round ? "on" : "off", "--count", ROUNDS, "--rate", "0", NULL};
    n.client[round].on_report = on_report;
    n.client[round].on_exit = client_exit;
    scope_events_log("%s requests, each written as two write()s, then a read of the answer; "
                     "TCP_NODELAY %s",
                     ROUNDS, round ? "on" : scope_events_tr("off (Nagle on)"));
    if (scope_role_spawn(n.d, &n.client[round], round ? "nagle client (TCP_NODELAY)"
                         : "nagle client (Nagle on)", &(scope_role_options_t){.argv = args}) < 0) {
        scope_demo_exit(n.d, 1);
        scope_demo_next(n.d);
    }
}
