/* sse.c, step 7: server-sent events. GET /events is answered with one
 * response that never ends: Content-Type: text/event-stream, and, since its
 * length is unknown, Transfer-Encoding: chunked (each chunk its size in hex,
 * CRLF, the bytes, CRLF). Every TICK_MS each subscriber gets an event,
 * "id: N\ndata: tick N\n\n"; EventSource in a browser, or curl -N, reads
 * them as they come. The step's own subscriber is libcurl, hanging up after
 * LISTEN_MS. sse_event() sends an event of the caller's (redis_fanout.c's
 * relayed messages), sse_quiet() stops the ticks.
 */
#include "http.h"

#define TICK_MS   200
#define LISTEN_MS 1100

typedef struct sub_s {
    http_conn_t *c;
    struct sub_s *next;
    char name[64];
    scope_end_t lane;
} sub_t;

static struct {
    scope_demo_t *d;
    http_server_t *s;
    uv_timer_t tick;
    int timer_open;
    sub_t *subs;
    unsigned long n;
    http_client_t cl;
    char url[96];
} e;

static void on_tick(uv_timer_t *t)
{
    char ev[96], chunk[128];
    (void)t;
    if (!e.subs)
        return;
    e.n++;
    int len = snprintf(ev, sizeof ev, "id: %lu\ndata: tick %lu\n\n", e.n, e.n);
    int n = snprintf(chunk, sizeof chunk, "%x\r\n%s\r\n", len, ev);
    for (sub_t *u = e.subs; u; u = u->next) {
        scope_trace_set_peer(&e.s->trace, u->lane);
        snprintf(ev, sizeof ev, "event %lu: data: tick %lu", e.n, e.n);
        scope_trace_msg(&e.s->trace, SCOPE_TRACE_SEND, 0, ev, strlen(ev), 0);
        http_conn_write(u->c, chunk, (size_t)n, 0);
    }
    scope_demo_figure_add(e.d, "sse.events_sent", 1);
}

void sse_event(const char *data, size_t len)
{
    char ev[600], chunk[640];
    /* One "data:" line: a newline in the text would end the field early. */
    int n = snprintf(ev, sizeof ev, "data: %.*s\n\n", (int)(len < 512 ? len : 512), data);
    for (char *p = ev + 6; p < ev + n - 2; p++)
        *p = *p == '\n' || *p == '\r' ? ' ' : *p;
    int m = snprintf(chunk, sizeof chunk, "%x\r\n%s\r\n", n, ev);
    for (sub_t *u = e.subs; u; u = u->next) {
        scope_trace_set_peer(&e.s->trace, u->lane);
        scope_trace_msg(&e.s->trace, SCOPE_TRACE_SEND, 0, ev, (size_t)n - 2, 0);
        http_conn_write(u->c, chunk, (size_t)m, 0);
    }
    scope_demo_figure_add(e.d, "sse.events_sent", 1);
}

void sse_quiet(void)
{
    uv_timer_stop(&e.tick);
}

static void on_sub_closed(void *data)
{
    sub_t *u = data;
    for (sub_t **p = &e.subs; *p; p = &(*p)->next)
        if (*p == u) {
            *p = u->next;
            break;
        }
    scope_events_log("SSE: %s hung up", u->name);
    free(u);
}

static int take(http_conn_t *c, const http_request_t *req, const char *rest, size_t nrest)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                               "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n";
    sub_t *u = calloc(1, sizeof *u);
    (void)rest, (void)nrest;
    if (!u)
        return 0;
    u->c = c;
    u->lane = http_peer_of(req, u->name, sizeof u->name);
    if (u->lane.name && u->lane.name != u->name)
        snprintf(u->name, sizeof u->name, "%s", u->lane.name);
    else if (!u->lane.name)
        snprintf(u->name, sizeof u->name, "process %ld", u->lane.pid);
    u->lane.name = u->lane.pid >= 0 ? NULL : u->name;
    u->next = e.subs;
    e.subs = u;
    http_conn_own(c, u, on_sub_closed);
    http_conn_stream(c); /* its head is read: no 408 for a subscriber */
    scope_events_log("SSE: %s subscribed to /events: the head goes out without a length "
                     "(Transfer-Encoding: chunked), and the response stays open", u->name);
    http_conn_write(c, head, sizeof head - 1, 0);
    return 1;
}

void sse_route(http_server_t *s)
{
    e.s = s;
    e.d = s->demo;
    s->routes[s->nroutes++] = (http_route_t){"/events", take, NULL};
    uv_timer_init(s->demo->loop, &e.tick);
    e.timer_open = 1;
    uv_timer_start(&e.tick, on_tick, TICK_MS, TICK_MS);
}

void sse_stop(void)
{
    if (e.timer_open && !(e.timer_open = 0))
        uv_close((uv_handle_t *)&e.tick, NULL);
}

static void on_answer(http_client_t *cl, const http_answer_t *a, void *arg)
{
    (void)arg;
    scope_events_log("libcurl hung up after %d ms (%s): %zu bytes of events, chunked on the "
                     "wire, whole for the reader", LISTEN_MS, curl_easy_strerror(a->result),
                     a->bytes);
    scope_demo_figure(e.d, "sse.client_bytes", cJSON_CreateNumber((double)a->bytes));
    if (!e.d->quitting) /* a quit may close the stream before its first event */
        scope_demo_check(e.d, a->status == 200 && !strncmp(a->body, "id: ", 4), "sse",
                         "GET /events: %ld, \"%.20s\"", a->status, a->body);
    scope_trace_close(&cl->trace);
    http_client_close(cl);
    scope_demo_next(e.d);
}

void sse_run(scope_demo_t *d)
{
    snprintf(e.url, sizeof e.url, "http://%s/events", e.s->name);
    e.cl = (http_client_t){.demo = d, .self = SCOPE_PEER("http.get"), .nodelay = 1,
                           .server = SCOPE_PID(getpid()), .narrate = 1,
                           .timeout_ms = LISTEN_MS};
    scope_events_log("GET %s: an event every %d ms to every subscriber (try curl -N %s)",
                     e.url, TICK_MS, e.url);
    if (http_client_init(&e.cl, d->loop, "http") < 0) {
        scope_demo_next(d);
        return;
    }
    scope_trace_open(&e.cl.trace, "tcp", e.url);
    http_client_get(&e.cl, e.url, on_answer, NULL);
}
