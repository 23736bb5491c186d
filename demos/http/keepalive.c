/* keepalive.c, step 2: the same GET, ROUNDS times on one kept-alive
 * connection, then ROUNDS times with a new connection for each (libcurl's
 * CURLOPT_FRESH_CONNECT, as node's http.get with agent: false): the
 * handshake (SYN, SYN-ACK, ACK) and the close are in the second latency.
 */
#include "http.h"

#define ROUNDS 50

static struct {
    scope_demo_t *d;
    http_client_t cl[2]; /* kept alive, fresh */
    char url[96];
    uint64_t accepted0;
    int round;
} k;

static void start(void);

static void on_series(http_client_t *cl, void *arg)
{
    (void)arg;
    http_server_t *s = k.d->data;
    uint64_t p50 = scope_hist_percentile(&cl->trace.latency, 50);
    uint64_t conns = s->fig.accepted - k.accepted0;
    const char *name = cl->fresh ? "fresh" : "keepalive";
    char key[40];
    snprintf(key, sizeof key, "%s.p50", name);
    scope_demo_figure(k.d, key, cJSON_CreateNumber((double)p50));
    snprintf(key, sizeof key, "%s.p99", name);
    scope_demo_figure(k.d, key, cJSON_CreateNumber(
                                    (double)scope_hist_percentile(&cl->trace.latency, 99)));
    snprintf(key, sizeof key, "%s.connections", name);
    scope_demo_figure(k.d, key, cJSON_CreateNumber((double)conns));
    scope_events_log("%s: %d requests on %llu %s, median %.0f us",
                     cl->fresh ? scope_events_tr("a new connection each")
                               : scope_events_tr("kept alive"),
                     ROUNDS,
                     (unsigned long long)conns,
                     scope_events_trn("connection", "connections", (unsigned long)conns),
                     p50 / 1e3);
    scope_trace_close(&cl->trace);
    http_client_close(cl);
    if (k.round++ == 0 && !k.d->quitting) {
        start();
        return;
    }
    scope_events_log("the handshake and the close cost the difference; node's http.Agent "
                     "keeps connections alive by default since v19");
    scope_demo_next(k.d);
}

static void start(void)
{
    http_server_t *s = k.d->data;
    http_client_t *cl = &k.cl[k.round];
    *cl = (http_client_t){.demo = k.d, .self = SCOPE_PEER("http.get"), .nodelay = 1,
                          .server = SCOPE_PID(getpid()), .fresh = k.round};
    k.accepted0 = s->fig.accepted;
    scope_events_log("%d GETs %s", ROUNDS,
                     k.round ? scope_events_tr("each on a new connection: connect(), the request, "
                                               "the answer, close()")
                             : scope_events_tr("on one connection, kept alive"));
    if (http_client_init(cl, k.d->loop, "http") < 0 || http_series(cl, k.url, ROUNDS,
                                                                 on_series, NULL) < 0) {
        scope_demo_check(k.d, 0, "keep-alive", "no client");
        scope_demo_next(k.d);
        return;
    }
    scope_trace_open(&cl->trace, "tcp", k.round ? scope_events_tr("a new connection each")
                                                : scope_events_tr("kept alive"));
}

void keepalive_run(scope_demo_t *d)
{
    http_server_t *s = d->data;
    k.d = d;
    snprintf(k.url, sizeof k.url, "http://%s/", s->name);
    start();
}
