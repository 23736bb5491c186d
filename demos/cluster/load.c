/* cluster, step 8: requests through the shared port from a client, this
 * program again as a role (--role client, client.c), sending what curl
 * would. It keeps going through the rolling restart (step 9); the step
 * before the end waits for its last request and tells who served what. */
#include <stdio.h>

#include "cluster.h"
#include "events.h"

static scope_role_t client;
static uv_timer_t under_load; /* the next step starts while requests flow */

static void on_report(scope_role_t *r, const cJSON *fig)
{
    cluster_t *c = r->data;
    c->load.ok = (long)scope_role_add_figures(c->demo, fig, "ok");
    c->load.failed = (long)scope_role_add_figures(c->demo, fig, "failed");
    const cJSON *by = cJSON_GetObjectItemCaseSensitive(fig, "by_worker"), *w;
    if (cJSON_IsObject(by))
        scope_demo_figure(c->demo, "by_worker", cJSON_Duplicate(by, 1));
    char who[256] = "";
    size_t n = 0;
    cJSON_ArrayForEach(w, by)
        if (n < sizeof who)
            /* TRANSLATORS: one worker's share, after ", " from the second on */
            n += (size_t)snprintf(who + n, sizeof who - n, scope_events_tr("%sworker %s %.0f"),
                                  n ? scope_events_tr(", ") : "", w->string, w->valuedouble);
    scope_events_log("the client's requests: %ld answered (%s), %ld failed", c->load.ok,
                     n ? who : scope_events_tr("by nobody"), c->load.failed);
    const cJSON *p50 = cJSON_GetObjectItemCaseSensitive(fig, "p50");
    if (cJSON_IsNumber(p50))
        scope_demo_figure(c->demo, "request_p50_ns", cJSON_CreateNumber(p50->valuedouble));
}

static void on_client_exit(scope_role_t *r, int code, int sig)
{
    cluster_t *c = r->data;
    c->load.done = 1;
    if (code || sig)
        scope_events_error("client", "the client ended with %s %d",
                           sig ? scope_events_tr("signal") : scope_events_tr("code"),
                           sig ? sig : code);
    cluster_changed(c);
}

static void go_on(uv_timer_t *t)
{
    uv_close((uv_handle_t *)t, NULL);
    scope_demo_next(t->data);
}

void cluster_load(scope_demo_t *d)
{
    cluster_t *c = d->data;
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", c->port.bound_port);
    const char *args[] = {"--connect", addr, NULL};
    scope_role_options_t o = {.argv = args};
    client.data = c;
    client.on_report = on_report;
    client.on_exit = on_client_exit;
    if (scope_role_spawn(d, &client, "client", &o) < 0) {
        c->load.done = 1;
        scope_demo_next(d);
        return;
    }
    scope_events_log("a client sends GET / to %s, a new connection each time, as curl does",
                     addr);
    uv_timer_init(d->loop, &under_load);
    under_load.data = d;
    uv_timer_start(&under_load, go_on, 1000, 0);
}

static int load_done(const cluster_t *c) { return c->load.done; }

void cluster_load_end(scope_demo_t *d)
{
    cluster_t *c = d->data;
    if (!c->load.done)
        scope_events_log("waiting for the client's last request");
    cluster_await(c, N_("the client's last request"), load_done, 1);
}
