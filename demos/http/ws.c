/* ws.c, step 6: WebSocket on the same server. GET /ws with "Upgrade:
 * websocket" is answered "101 Switching Protocols" with Sec-WebSocket-Accept
 * = base64(SHA-1(Sec-WebSocket-Key + RFC 6455's GUID)): proof the server read
 * the key. From then on the connection carries frames, not HTTP; Debian's
 * wslay cuts and builds them (opcode, length, the client's mask, ping, pong,
 * close). Every text message is broadcast to every client, itself included:
 * a message arrives whole, however the stream cut it (unlike tcp's lines).
 * A message over --ws-max is answered close 1009 (too big); a client that
 * answers PINGS_MISSED pings with no pong, close 1001 (going away, as Jetty
 * closes an idle one). The step's clients are in wsclient.c.
 * With a relay (ws_relay: redis_fanout.c), a text message goes to the relay
 * instead, and comes back to every client through ws_broadcast.
 */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <wslay/wslay.h>

#include "http.h"

#define PINGS_MISSED 2

typedef struct wsc_s {
    http_conn_t *c;
    wslay_event_context_ptr ctx;
    struct wsc_s *next;
    const uint8_t *in; /* what the last read brought, for recv_cb */
    size_t nin;
    int unanswered, cut;
    char name[64];
    scope_end_t lane;
} wsc_t;

static struct {
    http_server_t *s;
    scope_trace_t trace; /* chan "ws": each message in and out */
    size_t max_message;
    uv_timer_t ping;
    int open, traced;
    wsc_t *all;
    ws_relay_cb relay; /* redis_fanout.c: messages go to Redis, not to our clients */
    void *relay_arg;
} w;

void ws_accept_key(const char *key, char out[32])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char md[SHA_DIGEST_LENGTH];
    char both[128];
    int n = snprintf(both, sizeof both, "%s%s", key, guid);
    SHA1((unsigned char *)both, (size_t)n, md);
    EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
}

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *arg)
{
    wsc_t *k = arg;
    (void)flags;
    if (!k->nin) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    len = len < k->nin ? len : k->nin;
    memcpy(buf, k->in, len);
    k->in += len, k->nin -= len;
    return (ssize_t)len;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *arg)
{
    wsc_t *k = arg;
    (void)ctx, (void)flags;
    return http_conn_write(k->c, data, len, 0) < 0 ? (wslay_event_set_error(ctx,
                                                   WSLAY_ERR_CALLBACK_FAILURE), -1) : (ssize_t)len;
}

/* The broadcast: the message to every client, its sender too. */
static void broadcast(uint8_t opcode, const uint8_t *msg, size_t len, const char *label)
{
    for (wsc_t *to = w.all; to; to = to->next) {
        struct wslay_event_msg out = {opcode, msg, len};
        if (to->cut || wslay_event_get_close_sent(to->ctx) || wslay_event_queue_msg(to->ctx, &out))
            continue;
        scope_trace_set_peer(&w.trace, to->lane);
        scope_trace_msg(&w.trace, SCOPE_TRACE_SEND, 0, label, strlen(label), 0);
        scope_demo_figure_add(w.s->demo, "ws.messages_out", 1);
        wslay_event_send(to->ctx);
    }
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *m,
                   void *arg)
{
    wsc_t *k = arg;
    char label[96];
    (void)ctx;
    if (m->opcode == WSLAY_PONG)
        k->unanswered = 0;
    if (m->opcode == WSLAY_CONNECTION_CLOSE)
        scope_events_log("WebSocket: %s sent close %u", k->name, m->status_code);
    if (m->opcode != WSLAY_TEXT_FRAME && m->opcode != WSLAY_BINARY_FRAME)
        return;
    snprintf(label, sizeof label, "%zu B: %.*s", m->msg_length, (int)(m->msg_length < 60
             ? m->msg_length : 60), m->msg);
    scope_trace_set_peer(&w.trace, k->lane);
    scope_trace_msg(&w.trace, SCOPE_TRACE_RECV, 0, label, strlen(label), 0);
    w.trace.bytes_received += m->msg_length - strlen(label);
    scope_demo_figure_add(w.s->demo, "ws.messages_in", 1);
    if (w.relay && m->opcode == WSLAY_TEXT_FRAME) /* out through Redis, back by ws_broadcast */
        w.relay(m->msg, m->msg_length, w.relay_arg);
    else
        broadcast(m->opcode, m->msg, m->msg_length, label);
}

static void after_io(wsc_t *k)
{
    wslay_event_send(k->ctx);
    if (wslay_event_get_close_sent(k->ctx) && !k->cut++) {
        uint16_t code = wslay_event_get_status_code_sent(k->ctx);
        scope_events_log("WebSocket: close %u sent to %s%s", code, k->name, code == 1009
                         ? scope_events_tr(" (1009: message too big)") : "");
        if (code == 1009)
            scope_demo_figure_add(w.s->demo, "ws.closed_1009", 1);
    }
    if (!wslay_event_want_read(k->ctx) && !wslay_event_want_write(k->ctx))
        http_conn_close(k->c); /* both closes exchanged (or the peer gone) */
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    wsc_t *k = st->data;
    if (n < 0)
        http_conn_close(k->c);
    else if (n > 0) {
        k->in = (uint8_t *)buf->base, k->nin = (size_t)n;
        wslay_event_recv(k->ctx); /* frames in; whole messages to on_msg */
        after_io(k);
    }
    free(buf->base);
}

static void on_closed(void *data)
{
    wsc_t *k = data;
    for (wsc_t **p = &w.all; *p; p = &(*p)->next)
        if (*p == k) {
            *p = k->next;
            break;
        }
    wslay_event_context_free(k->ctx);
    free(k);
}

static int take(http_conn_t *c, const http_request_t *req, const char *rest, size_t nrest)
{
    static const struct wslay_event_callbacks cbs = {recv_cb, send_cb, NULL, NULL, NULL, NULL,
                                                     on_msg};
    char accept[32], head[256];
    wsc_t *k = req->ws_key[0] ? calloc(1, sizeof *k) : NULL;
    if (!k)
        return 0; /* no key: not a WebSocket request; closed */
    k->c = c;
    k->lane = http_peer_of(req, k->name, sizeof k->name);
    if (k->lane.name && k->lane.name != k->name)
        snprintf(k->name, sizeof k->name, "%s", k->lane.name);
    k->lane.name = k->lane.pid >= 0 ? NULL : k->name;
    ws_accept_key(req->ws_key, accept);
    scope_events_log("WebSocket: %s sent Sec-WebSocket-Key: %s; SHA-1 of it and the GUID, in "
                     "base64: Sec-WebSocket-Accept: %s", k->name, req->ws_key, accept);
    int n = snprintf(head, sizeof head, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket"
                     "\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
    http_conn_write(c, head, (size_t)n, 0);
    wslay_event_context_server_init(&k->ctx, &cbs, k);
    /* Bounded: a longer message is refused with close 1009. */
    wslay_event_config_set_max_recv_msg_length(k->ctx, w.max_message);
    k->next = w.all;
    w.all = k;
    http_conn_own(c, k, on_closed);
    uv_stream_t *st = http_conn_stream(c);
    st->data = k;
    uv_read_stop(st);
    uv_read_start(st, http_alloc, on_read);
    if (nrest) { /* frames that came with the head */
        k->in = (const uint8_t *)rest, k->nin = nrest;
        wslay_event_recv(k->ctx);
        after_io(k);
    }
    return 1;
}

/* Every ping_ms: a ping to each client; PINGS_MISSED unanswered, close 1001. */
static void on_ping(uv_timer_t *t)
{
    (void)t;
    for (wsc_t *k = w.all, *next; k; k = next) {
        next = k->next;
        if (k->cut > 1) { /* its close went out a tick ago; no answer: cut */
            http_conn_close(k->c);
            continue;
        }
        if (k->unanswered >= PINGS_MISSED && !k->cut) {
            scope_events_error("ping timeout", "%s answered none of %d pings: close 1001",
                               k->name, PINGS_MISSED);
            scope_demo_figure_add(w.s->demo, "ws.closed_1001", 1);
            wslay_event_queue_close(k->ctx, 1001, (const uint8_t *)"ping timeout", 12);
        } else if (!k->cut) {
            struct wslay_event_msg ping = {WSLAY_PING, (const uint8_t *)"", 0};
            wslay_event_queue_msg(k->ctx, &ping);
            k->unanswered++;
        } else {
            k->cut++;
        }
        after_io(k);
    }
}

void ws_route(http_server_t *s, size_t max_message, uint64_t ping_ms)
{
    w.s = s;
    w.max_message = max_message;
    s->routes[s->nroutes++] = (http_route_t){"/ws", take, NULL};
    scope_trace_init(&w.trace, "ws", SCOPE_PID(getpid()), SCOPE_PEER("client"));
    uv_timer_init(s->demo->loop, &w.ping);
    w.open = 1;
    uv_timer_start(&w.ping, on_ping, ping_ms, ping_ms);
}

void ws_stop(void)
{
    if (w.open && !(w.open = 0))
        uv_close((uv_handle_t *)&w.ping, NULL);
    if (w.traced && !(w.traced = 0))
        scope_trace_close(&w.trace);
}

void ws_trace_open(void)
{
    if (!w.traced++)
        scope_trace_open(&w.trace, "tcp", scope_events_tr("WebSocket frames on GET /ws"));
}

size_t ws_max_message(void)
{
    return w.max_message;
}

void ws_relay(ws_relay_cb publish, void *arg)
{
    w.relay = publish, w.relay_arg = arg;
}

void ws_broadcast(const uint8_t *msg, size_t len)
{
    char label[96];
    snprintf(label, sizeof label, "%zu B: %.*s", len, (int)(len < 60 ? len : 60), msg);
    broadcast(WSLAY_TEXT_FRAME, msg, len, label);
}
