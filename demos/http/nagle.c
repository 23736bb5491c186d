/* nagle.c, step 4: a server of its own that writes each answer in two
 * write()s (the head, then the body), as a handler that calls
 * res.writeHead() and later res.end() may. With Nagle's algorithm on, the
 * kernel holds the small second write until the first is acknowledged, and
 * the client delays that ACK (up to 40 ms on Linux); with TCP_NODELAY (node's
 * http sets it on every socket since v18) it goes at once. ROUNDS GETs each.
 */
#include "http.h"

#define ROUNDS 20

static struct {
    scope_demo_t *d;
    http_server_t s;
    http_client_t cl[2]; /* Nagle on, TCP_NODELAY */
    char url[96];
    int round;
} n;

static void start(void);

static void on_series(http_client_t *cl, void *arg)
{
    (void)arg;
    uint64_t p50 = scope_hist_percentile(&cl->trace.latency, 50);
    scope_demo_figure(n.d, n.round ? "nagle.nodelay_p50" : "nagle.nagle_p50",
                      cJSON_CreateNumber((double)p50));
    scope_events_log("the answer in two writes, %s: median %.2f ms",
                     n.round ? "TCP_NODELAY" : scope_events_tr("Nagle on"), p50 / 1e6);
    scope_trace_close(&cl->trace);
    http_client_close(cl);
    if (n.round++ == 0 && !n.d->quitting) {
        start();
        return;
    }
    http_close(&n.s);
    scope_demo_next(n.d);
}

static void start(void)
{
    http_client_t *cl = &n.cl[n.round];
    /* The next connection is accepted with this setting. */
    n.s.nodelay = n.round;
    *cl = (http_client_t){.demo = n.d, .self = SCOPE_PEER("http.get"), .nodelay = 1,
                          .server = SCOPE_PID(getpid())};
    scope_events_log("%d GETs, each answered in two write()s; the server's TCP_NODELAY %s",
                     ROUNDS, n.round ? "on" : scope_events_tr("off (Nagle on)"));
    if (http_client_init(cl, n.d->loop, "http") < 0
        || http_series(cl, n.url, ROUNDS, on_series, NULL) < 0) {
        scope_demo_check(n.d, 0, "nagle", "no client");
        http_close(&n.s);
        scope_demo_next(n.d);
        return;
    }
    scope_trace_open(&cl->trace, "tcp", n.round ? "TCP_NODELAY" : scope_events_tr("Nagle on"));
}

void nagle_run(scope_demo_t *d)
{
    struct sockaddr_storage at;
    char name[SCOPE_ADDR_STRLEN];
    n.d = d;
    n.s = (http_server_t){.demo = d, .split = 1, .header_ms = 10000, .max_header = 16384};
    scope_addr_parse("127.0.0.1:0", NULL, 0, &at);
    if (http_listen(&n.s, d->loop, &at, name) < 0) {
        scope_demo_check(d, 0, "nagle", "cannot listen: %s", name);
        scope_demo_next(d);
        return;
    }
    scope_trace_open(&n.s.trace, "tcp", name);
    snprintf(n.url, sizeof n.url, "http://%s/", name);
    scope_events_log("a second server on %s writes the head and the body apart", name);
    start();
}
