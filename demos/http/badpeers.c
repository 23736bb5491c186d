/* badpeers.c, step 5: four peers that speak raw bytes to the server (no
 * libcurl: they send what a good client never would), while http.get goes
 * on asking every GOOD_MS and must be answered all along:
 *
 *   slowloris  a head a header at a time, DRIP_MS apart, never ending: the
 *              server's header timer answers 408 and closes (node:
 *              server.headersTimeout, 60 s; here --header-ms);
 *   oversize   a header of 20 KiB: past --max-header, 431, closed;
 *   malformed  a request line that is not HTTP: http-parser refuses it, 400;
 *   pipelined  three requests in one write(): three answers, in order.
 */
#include "http.h"

#define DRIP_MS 300
#define GOOD_MS 100
#define BIG     20000

typedef struct {
    const char *kind, *plan;
    uv_tcp_t tcp;
    uv_connect_t conn;
    uv_write_t w;
    uv_timer_t drip;
    char got[1024];
    size_t ngot;
    int answers, handles;
    char *out;
} peer_t;

static struct {
    scope_demo_t *d;
    peer_t p[4];
    int left, good_waiting, good_ok, good_bad, over;
    uv_timer_t good;
    http_client_t cl;
    char url[96];
} b;

static void good_finish(void)
{
    scope_events_log("meanwhile http.get was answered %d times out of %d", b.good_ok,
                     b.good_ok + b.good_bad);
    scope_demo_figure(b.d, "bad.good_answers", cJSON_CreateNumber(b.good_ok));
    scope_demo_figure(b.d, "bad.good_failed", cJSON_CreateNumber(b.good_bad));
    scope_trace_close(&b.cl.trace);
    http_client_close(&b.cl);
    scope_demo_next(b.d);
}

static void on_good(http_client_t *cl, const http_answer_t *a, void *arg)
{
    (void)cl, (void)arg;
    b.good_waiting = 0;
    a->status == 200 ? b.good_ok++ : b.good_bad++;
    if (b.over)
        good_finish();
}

static void on_good_timer(uv_timer_t *t)
{
    (void)t;
    if (!b.good_waiting && !b.over)
        b.good_waiting = http_client_get(&b.cl, b.url, on_good, NULL) == 0;
}

static void peer_closed(uv_handle_t *h)
{
    peer_t *p = h->data;
    if (--p->handles)
        return;
    char first[64], key[48];
    snprintf(first, sizeof first, "%.*s", (int)strcspn(p->got, "\r\n"), p->got);
    scope_events_log("%s: %d %s, the first \"%s\", then EOF", p->kind, p->answers,
                     scope_events_trn("answer", "answers", (unsigned long)p->answers),
                     p->ngot ? first : scope_events_tr("(none)"));
    snprintf(key, sizeof key, "bad.%s_status", p->kind);
    scope_demo_figure(b.d, key, cJSON_CreateNumber(p->ngot > 12 ? atoi(p->got + 9) : 0));
    snprintf(key, sizeof key, "bad.%s_answers", p->kind);
    scope_demo_figure(b.d, key, cJSON_CreateNumber(p->answers));
    free(p->out);
    if (--b.left == 0) {
        b.over = 1;
        uv_close((uv_handle_t *)&b.good, NULL);
        if (!b.good_waiting) /* else its answer ends the step */
            good_finish();
    }
}

static void peer_close(peer_t *p)
{
    if (!uv_is_closing((uv_handle_t *)&p->tcp)) {
        uv_close((uv_handle_t *)&p->tcp, peer_closed);
        uv_close((uv_handle_t *)&p->drip, peer_closed);
    }
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
    peer_t *p = h->data;
    (void)size;
    *buf = uv_buf_init(p->got + p->ngot, (unsigned)(sizeof p->got - 1 - p->ngot));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    peer_t *p = st->data;
    (void)buf;
    if (n < 0 || p->ngot + (size_t)n >= sizeof p->got - 1) {
        peer_close(p);
        return;
    }
    p->ngot += (size_t)n;
    p->got[p->ngot] = 0;
    p->answers = 0;
    for (const char *at = p->got; (at = strstr(at, "HTTP/1.1 ")); at++)
        p->answers++;
}

static void on_written(uv_write_t *w, int status)
{
    (void)w, (void)status;
}

/* slowloris: one more header line every DRIP_MS, the head never ending. */
static void on_drip(uv_timer_t *t)
{
    peer_t *p = t->data;
    uv_buf_t buf = uv_buf_init("X-Slow: 1\r\n", 11);
    uv_try_write((uv_stream_t *)&p->tcp, &buf, 1); /* 11 bytes: taken, or the peer is gone */
}

static void on_connect(uv_connect_t *c, int status)
{
    peer_t *p = c->data;
    if (status < 0) {
        scope_events_error("bad peer", "%s: connect: %s", p->kind, uv_strerror(status));
        peer_close(p);
        return;
    }
    scope_events_log("%s %s", p->kind, scope_events_tr(p->plan));
    uv_read_start((uv_stream_t *)&p->tcp, on_alloc, on_read);
    uv_buf_t buf = uv_buf_init(p->out, (unsigned)strlen(p->out));
    uv_write(&p->w, (uv_stream_t *)&p->tcp, &buf, 1, on_written);
    if (!strcmp(p->kind, "slowloris"))
        uv_timer_start(&p->drip, on_drip, DRIP_MS, DRIP_MS);
}

static void peer_start(peer_t *p, const struct sockaddr *to, const char *kind, const char *plan,
                       char *out)
{
    *p = (peer_t){.kind = kind, .plan = plan, .out = out, .handles = 2};
    uv_tcp_init(b.d->loop, &p->tcp);
    uv_timer_init(b.d->loop, &p->drip);
    p->tcp.data = p->drip.data = p->conn.data = p;
    b.left++;
    if (!out || uv_tcp_connect(&p->conn, &p->tcp, to, on_connect) < 0)
        on_connect(&p->conn, UV_ENOMEM);
}

void badpeers_run(scope_demo_t *d)
{
    http_server_t *s = d->data;
    struct sockaddr_storage to;
    b.d = d;
    snprintf(b.url, sizeof b.url, "http://%s/", s->name);
    scope_addr_parse(s->name, NULL, 0, &to);
    char *big = malloc(BIG + 64);
    if (big) {
        int n = snprintf(big, 64, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
        memset(big + n, 'a', BIG);
        strcpy(big + n + BIG, "\r\n\r\n");
    }
    b.cl = (http_client_t){.demo = d, .self = SCOPE_PEER("http.get"), .nodelay = 1,
                           .server = SCOPE_PID(getpid())};
    http_client_init(&b.cl, d->loop, "http");
    scope_trace_open(&b.cl.trace, "tcp", scope_events_tr("served while the bad peers try"));
    uv_timer_init(d->loop, &b.good);
    uv_timer_start(&b.good, on_good_timer, 0, GOOD_MS);
    peer_start(&b.p[0], (struct sockaddr *)&to, "slowloris", N_("sends a header line every "
               "300 ms and never the blank line"), strdup("GET / HTTP/1.1\r\nHost: x\r\n"));
    peer_start(&b.p[1], (struct sockaddr *)&to, "oversize", N_("sends a 20 KiB header"), big);
    peer_start(&b.p[2], (struct sockaddr *)&to, "malformed", N_("sends \"HELLO there\": not a "
               "request line"), strdup("HELLO there\r\n\r\n"));
    peer_start(&b.p[3], (struct sockaddr *)&to, "pipelined", N_("sends three requests in one "
               "write(), the last with Connection: close"), strdup(
               "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
}
