/* wsclient.c, step 6's clients: four WebSocket clients on this loop, each a
 * raw TCP connection that sends the upgrade request itself and checks the
 * answer's Sec-WebSocket-Accept, then speaks frames through wslay (a client
 * masks every frame it sends, with a fresh random key):
 *
 *   ws-1, ws-2  a chat: each sends a short message and a BIG one, and must
 *               receive all four (its own too), each whole; then close 1000;
 *   ws-big      one message over --ws-max: the server closes with 1009;
 *   ws-deaf     reads, but never answers a ping: the server closes with 1001.
 */
#include <sys/random.h>
#include <openssl/evp.h>
#include <wslay/wslay.h>

#include "http.h"

#define BIG 40000

typedef struct {
    const char *name;
    uv_tcp_t tcp;
    uv_connect_t conn;
    wslay_event_context_ptr ctx;
    char key[32], head[512];
    size_t nhead;
    const uint8_t *in;
    size_t nin;
    int open, got, whole;
    unsigned close_code;
} cli_t;

static struct {
    scope_demo_t *d;
    cli_t c[4];
    int left;
    size_t max;
} s;

static void on_written(uv_write_t *w, int status)
{
    (void)status;
    free(w);
}

static void wr(cli_t *c, const void *data, size_t len)
{
    uv_write_t *w = malloc(sizeof *w + len);
    if (!w)
        return;
    memcpy(w + 1, data, len);
    uv_buf_t b = uv_buf_init((char *)(w + 1), (unsigned)len);
    if (uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, on_written) < 0)
        free(w);
}

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int f, void *a)
{
    cli_t *c = a;
    (void)f;
    if (!c->nin)
        return wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK), -1;
    len = len < c->nin ? len : c->nin;
    memcpy(buf, c->in, len);
    c->in += len, c->nin -= len;
    return (ssize_t)len;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *d, size_t len, int f, void *a)
{
    (void)ctx, (void)f;
    wr(a, d, len);
    return (ssize_t)len;
}

/* A client masks each frame with 4 random bytes (RFC 6455 5.3). */
static int genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *a)
{
    (void)ctx, (void)a;
    return getrandom(buf, len, 0) == (ssize_t)len ? 0 : -1;
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *m,
                   void *a)
{
    cli_t *c = a;
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
    wslay_event_context_free(c->ctx);
    c->ctx = NULL;
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
    char accept[32], text[64];
    ws_accept_key(c->key, accept);
    scope_demo_check(s.d, strstr(c->head, " 101 ") && strstr(c->head, accept), c->name,
                     "the upgrade: %.40s", c->head);
    c->open = 1;
    if (c->name[3] == 'd') /* deaf: reads frames, answers none */
        return;
    c->in = (const uint8_t *)rest, c->nin = nrest;
    wslay_event_recv(c->ctx);
    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)text,
                                (size_t)snprintf(text, sizeof text, "hello from %s", c->name)};
    size_t big = c->name[3] == 'b' ? s.max + 1000 : BIG;
    uint8_t *data = c->name[3] == 'b' || c->name[3] <= '9' ? malloc(big) : NULL;
    if (c->name[3] <= '9')
        wslay_event_queue_msg(c->ctx, &m);
    if (data) {
        memset(data, 'w', big);
        m = (struct wslay_event_msg){WSLAY_TEXT_FRAME, data, big};
        wslay_event_queue_msg(c->ctx, &m); /* copied: wslay owns its queue */
        free(data);
    }
    wslay_event_send(c->ctx);
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
        c->in = (const uint8_t *)buf->base, c->nin = (size_t)n;
        wslay_event_recv(c->ctx);
        wslay_event_send(c->ctx);
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
    unsigned char raw[16];
    char head[320];
    if (status < 0) {
        scope_demo_check(s.d, 0, c->name, "connect: %s", uv_strerror(status));
        uv_close((uv_handle_t *)&c->tcp, on_closed);
        return;
    }
    /* The key: 16 random bytes in base64; the answer must hash it. */
    getrandom(raw, sizeof raw, 0);
    EVP_EncodeBlock((unsigned char *)c->key, raw, sizeof raw);
    int n = snprintf(head, sizeof head, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: "
                     "13\r\nUser-Agent: %s/1\r\n\r\n", c->key, c->name);
    wr(c, head, (size_t)n);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

void ws_run(scope_demo_t *d)
{
    static const struct wslay_event_callbacks cbs = {recv_cb, send_cb, genmask_cb, NULL, NULL,
                                                     NULL, on_msg};
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
        wslay_event_context_client_init(&c->ctx, &cbs, c);
        s.left++;
        if (uv_tcp_connect(&c->conn, &c->tcp, (struct sockaddr *)&to, on_connect) < 0)
            on_connect(&c->conn, UV_EINVAL);
    }
}
