/* fanout_clients.c, step 8's clients (fanout.c tells the step): for each of
 * the two servers a WebSocket client (ws1, ws2; wsclient_wire.c, as step 6's)
 * and an /events subscriber, as a
 * browser's EventSource, that reads the raw chunked stream (ev1, ev2). The
 * names are short for the dashboard's lanes at 80 columns. Once all four
 * are in, ws1 says SAID[0] to server 1 and ws2 SAID[1] to server 2; each
 * client counts what it gets of both. over(1) when every one has both,
 * over(0) when a client could not connect; fanout_clients_end says what
 * each got.
 */
#include "http.h"
#include "wsclient_wire.h"

static const char *const SAID[2] = {"hello from a client of server 1",
                                    "hello from a client of server 2"};

typedef struct {
    const char *name;
    int srv, sse; /* its server (0: A, 1: B); an /events subscriber */
    uv_tcp_t tcp;
    uv_connect_t conn;
    ws_client_t ws;           /* ws1, ws2 */
    char text[2048];          /* the answer's head, then (SSE) the stream */
    size_t ntext;
    int open, got[2];
} cli_t;

static struct {
    scope_demo_t *d;
    void (*over)(int ok);
    cli_t c[4];
    int open, started, ended;
} f;

static void on_client_closed(uv_handle_t *h)
{
    cli_t *c = h->data;
    ws_client_free(&c->ws);
}

static void got(cli_t *c, const char *text, size_t len)
{
    for (int k = 0; k < 2; k++)
        if (len == strlen(SAID[k]) && !memcmp(text, SAID[k], len))
            c->got[k]++;
    for (int i = 0; i < 4; i++)
        if (!f.c[i].got[0] || !f.c[i].got[1])
            return;
    f.over(1);
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *m,
                   void *a)
{
    (void)ctx;
    if (m->opcode == WSLAY_TEXT_FRAME)
        got(((ws_client_t *)a)->owner, (const char *)m->msg, m->msg_length);
}

/* Bytes after the head: frames to wslay, or the event stream, scanned. */
static void feed(cli_t *c, const char *data, size_t n)
{
    if (!c->sse) {
        ws_client_feed(&c->ws, data, n);
        return;
    }
    n = n < sizeof c->text - 1 - c->ntext ? n : sizeof c->text - 1 - c->ntext;
    memcpy(c->text + c->ntext, data, n);
    c->text[c->ntext += n] = 0;
    /* Each event is "data: TEXT\n\n" inside a chunk; one line each. */
    for (char *at = c->text; (at = strstr(at, "data: ")); at += 6) {
        size_t len = strcspn(at + 6, "\n");
        if (at[6 + len] == '\n' && at[7 + len] == '\n') {
            got(c, at + 6, len);
            memset(at, '.', 6); /* counted */
        }
    }
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
    (void)h;
    buf->base = malloc(size);
    buf->len = buf->base ? size : 0;
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    cli_t *c = st->data;
    if (n < 0 && !uv_is_closing((uv_handle_t *)st))
        uv_close((uv_handle_t *)st, on_client_closed);
    if (n > 0 && c->open) {
        feed(c, buf->base, (size_t)n);
    } else if (n > 0) { /* the answer's head */
        size_t take = (size_t)n < sizeof c->text - 1 - c->ntext ? (size_t)n
                                                                : sizeof c->text - 1 - c->ntext;
        memcpy(c->text + c->ntext, buf->base, take);
        c->text[c->ntext += take] = 0;
        char *end = strstr(c->text, "\r\n\r\n");
        if (end) {
            size_t used = (size_t)(end + 4 - c->text) - (c->ntext - take);
            scope_demo_check(f.d, c->sse ? !strncmp(c->text, "HTTP/1.1 200", 12)
                             : ws_client_accepted(&c->ws, c->text), c->name,
                             "%s: %.40s", c->sse ? "GET /events" : scope_events_tr("the upgrade"),
                             c->text);
            c->open = 1, c->ntext = 0;
            feed(c, buf->base + used, (size_t)n - used);
            if (++f.open == 4) { /* all in: one message from a client of each */
                scope_events_log("all four are in: ws1 says \"%s\" to server 1, ws2 \"%s\" "
                                 "to server 2", SAID[0], SAID[1]);
                for (int i = 0; i < 2; i++) {
                    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)SAID[i],
                                                strlen(SAID[i])};
                    cli_t *w = &f.c[i * 2];
                    wslay_event_queue_msg(w->ws.ctx, &m);
                    wslay_event_send(w->ws.ctx);
                }
            }
        }
    }
    free(buf->base);
}

static void on_connect(uv_connect_t *req, int status)
{
    cli_t *c = req->data;
    /* uv_strerror(0) is "Unknown system error 0", malloc'd and never freed:
     * only an error is named. */
    if (!scope_demo_check(f.d, status == 0, c->name, "connect: %s",
                          status ? uv_strerror(status) : "")) {
        f.over(0);
        return;
    }
    if (c->sse) {
        char head[128];
        int n = snprintf(head, sizeof head, "GET /events HTTP/1.1\r\nHost: x\r\n"
                         "User-Agent: %s/1\r\n\r\n", c->name);
        c->ws.tcp = &c->tcp; /* no WebSocket: only ws_client_write, a plain writer */
        ws_client_write(&c->ws, head, (size_t)n);
    } else {
        ws_client_init(&c->ws, &c->tcp, on_msg, c);
        ws_client_upgrade(&c->ws, c->name);
    }
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

void fanout_clients_start(scope_demo_t *d, const int port[2], void (*over)(int ok))
{
    static const char *const names[] = {"ws1", "ev1", "ws2", "ev2"};
    scope_events_log("both servers subscribed (1 on port %d, 2 on %d): a WebSocket client and "
                     "an /events subscriber on each", port[0], port[1]);
    f.d = d, f.over = over, f.started = 1, f.open = f.ended = 0;
    for (int i = 0; i < 4; i++) {
        cli_t *c = &f.c[i];
        struct sockaddr_in to;
        *c = (cli_t){.name = names[i], .srv = i / 2, .sse = i % 2};
        uv_ip4_addr("127.0.0.1", port[c->srv], &to);
        uv_tcp_init(f.d->loop, &c->tcp);
        c->tcp.data = c->conn.data = c;
        if (uv_tcp_connect(&c->conn, &c->tcp, (struct sockaddr *)&to, on_connect) < 0)
            on_connect(&c->conn, UV_EINVAL);
    }
}

/* What each client got (figures; checked when check), then each closes. */
void fanout_clients_end(int check)
{
    if (!f.started || f.ended++)
        return;
    for (int i = 0; i < 4; i++) {
        cli_t *c = &f.c[i];
        char key[48];
        snprintf(key, sizeof key, "fanout.%s_from_1", c->name);
        scope_demo_figure(f.d, key, cJSON_CreateNumber(c->got[0]));
        snprintf(key, sizeof key, "fanout.%s_from_2", c->name);
        scope_demo_figure(f.d, key, cJSON_CreateNumber(c->got[1]));
        if (check)
            scope_demo_check(f.d, c->got[0] == 1 && c->got[1] == 1, c->name, "got %d of server 1's "
                             "client's message and %d of server 2's (1 each expected)", c->got[0],
                             c->got[1]);
        if (!uv_is_closing((uv_handle_t *)&c->tcp))
            uv_close((uv_handle_t *)&c->tcp, on_client_closed);
    }
}
