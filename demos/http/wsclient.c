/* wsclient.c, step 6's clients: four WebSocket clients on this loop, each a
 * raw TCP connection that sends the upgrade request itself and checks the
 * answer's Sec-WebSocket-Accept, then speaks frames through wslay, masked
 * as a client's are (wsclient_wire.c does the wire; this file, the chat):
 *
 *   ws-1, ws-2  a chat: each sends a short message and a BIG one, and must
 *               receive all four (its own too), each whole; then close 1000;
 *   ws-big      one message over --ws-max: the server closes with 1009;
 *   ws-deaf     reads, but never answers a ping: the server closes with 1001.
 */
#include "http.h"
#include "wsclient_wire.h"

#define BIG 40000

typedef struct {
    const char *name;
    uv_tcp_t tcp;
    uv_connect_t conn;
    ws_client_t ws;
    char head[512];
    size_t nhead;
    int open, got, whole;
    unsigned close_code;
} cli_t;

static struct {
    scope_demo_t *d;
    cli_t c[4];
    int left;
    size_t max;
} s;

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *m,
                   void *a)
{
    cli_t *c = ((ws_client_t *)a)->owner;
    if (m->opcode == WSLAY_CONNECTION_CLOSE)
        c->close_code = m->status_code;
    if (m->opcode != WSLAY_TEXT_FRAME)
        return;
    c->got++;
    c->whole += m->msg_length == BIG; /* the big ones: one message each, never cut */
    if (c->got == 4)
        wslay_event_queue_close(ctx, 1000, NULL, 0);
}

static void on_closed(uv_handle_t *h)
{
    cli_t *c = h->data;
    char key[48];
    scope_events_log("%s: %d messages received (%d of %d bytes, whole), close code %u", c->name,
                     c->got, c->whole, BIG, c->close_code);
    snprintf(key, sizeof key, "ws.%s_close", c->name);
    scope_demo_figure(s.d, key, cJSON_CreateNumber(c->close_code));
    if (c->name[3] != 'b' && c->name[3] != 'd') {
        snprintf(key, sizeof key, "ws.%s_received", c->name);
        scope_demo_figure(s.d, key, cJSON_CreateNumber(c->got));
        snprintf(key, sizeof key, "ws.%s_whole_big", c->name);
        scope_demo_figure(s.d, key, cJSON_CreateNumber(c->whole));
    }
    ws_client_free(&c->ws);
    if (--s.left == 0)
        scope_demo_next(s.d);
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
    (void)h;
    buf->base = malloc(size);
    buf->len = buf->base ? size : 0;
}

static void ws_open(cli_t *c, const char *rest, size_t nrest)
{
    char text[64];
    scope_demo_check(s.d, ws_client_accepted(&c->ws, c->head), c->name, "the upgrade: %.40s",
                     c->head);
    c->open = 1;
    if (c->name[3] == 'd') /* deaf: reads frames, answers none */
        return;
    ws_client_feed(&c->ws, rest, nrest);
    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)text,
                                (size_t)snprintf(text, sizeof text, "hello from %s", c->name)};
    size_t big = c->name[3] == 'b' ? s.max + 1000 : BIG;
    uint8_t *data = c->name[3] == 'b' || c->name[3] <= '9' ? malloc(big) : NULL;
    if (c->name[3] <= '9')
        wslay_event_queue_msg(c->ws.ctx, &m);
    if (data) {
        memset(data, 'w', big);
        m = (struct wslay_event_msg){WSLAY_TEXT_FRAME, data, big};
        wslay_event_queue_msg(c->ws.ctx, &m); /* copied: wslay owns its queue */
        free(data);
    }
    wslay_event_send(c->ws.ctx);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    cli_t *c = st->data;
    if (n < 0 && !uv_is_closing((uv_handle_t *)st))
        uv_close((uv_handle_t *)st, on_closed);
    if (n > 0 && c->open && c->name[3] == 'd') { /* a close frame: 0x88, length, code */
        const uint8_t *p = memchr(buf->base, 0x88, (size_t)n);
        if (p && p + 3 < (uint8_t *)buf->base + n)
            c->close_code = (unsigned)(p[2] << 8 | p[3]);
    } else if (n > 0 && c->open) {
        ws_client_feed(&c->ws, buf->base, (size_t)n);
    } else if (n > 0) { /* the answer's head, then frames */
        size_t take = (size_t)n < sizeof c->head - 1 - c->nhead ? (size_t)n
                                                                : sizeof c->head - 1 - c->nhead;
        memcpy(c->head + c->nhead, buf->base, take);
        c->head[c->nhead += take] = 0;
        char *end = strstr(c->head, "\r\n\r\n");
        if (end) {
            size_t used = (size_t)(end + 4 - c->head) - (c->nhead - take);
            ws_open(c, buf->base + used, (size_t)n - used);
        }
    }
    free(buf->base);
}

static void on_connect(uv_connect_t *req, int status)
{
    cli_t *c = req->data;
    if (status < 0) {
        scope_demo_check(s.d, 0, c->name, "connect: %s", uv_strerror(status));
        uv_close((uv_handle_t *)&c->tcp, on_closed);
        return;
    }
    ws_client_upgrade(&c->ws, c->name);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

void ws_run(scope_demo_t *d)
{
    static const char *const names[] = {"ws-1", "ws-2", "ws-big", "ws-deaf"};
    http_server_t *srv = d->data;
    struct sockaddr_storage to;
    s.d = d;
    s.max = ws_max_message();
    ws_trace_open();
    scope_addr_parse(srv->name, NULL, 0, &to);
    scope_events_log("four WebSocket clients: ws-1 and ws-2 chat (a short message and %d "
                     "bytes each), ws-big sends %zu bytes, ws-deaf never answers a ping", BIG,
                     s.max + 1000);
    for (int i = 0; i < 4; i++) {
        cli_t *c = &s.c[i];
        *c = (cli_t){.name = names[i]};
        uv_tcp_init(d->loop, &c->tcp);
        c->tcp.data = c->conn.data = c;
        ws_client_init(&c->ws, &c->tcp, on_msg, c);
        s.left++;
        if (uv_tcp_connect(&c->conn, &c->tcp, (struct sockaddr *)&to, on_connect) < 0)
            on_connect(&c->conn, UV_EINVAL);
    }
}
