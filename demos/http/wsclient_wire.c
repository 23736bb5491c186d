/* wsclient_wire.c: a WebSocket client's side on a libuv TCP connection, shared
 * by step 6's clients (wsclient.c) and step 8's (fanout_clients.c).
 *
 * It sends the upgrade request with a fresh Sec-WebSocket-Key, checks the
 * answer's Sec-WebSocket-Accept, and then hands wslay the bytes that come
 * (ws_client_feed) and writes the frames wslay makes, each masked with 4
 * random bytes as RFC 6455 5.3 asks of a client. What a message means is the
 * caller's: its on_msg gets the ws_client_t, whose owner is the caller's.
 */
#include <sys/random.h>
#include <openssl/evp.h>

#include "http.h"
#include "wsclient_wire.h"

static void on_written(uv_write_t *w, int status)
{
    (void)status;
    free(w);
}

void ws_client_write(ws_client_t *w, const void *data, size_t len)
{
    uv_write_t *req = malloc(sizeof *req + len);
    if (!req)
        return;
    memcpy(req + 1, data, len);
    uv_buf_t b = uv_buf_init((char *)(req + 1), (unsigned)len);
    if (uv_write(req, (uv_stream_t *)w->tcp, &b, 1, on_written) < 0)
        free(req);
}

/* wslay reads only what ws_client_feed was given, then "would block". */
static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int fl, void *a)
{
    ws_client_t *w = a;
    (void)fl;
    if (!w->nin)
        return wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK), -1;
    len = len < w->nin ? len : w->nin;
    memcpy(buf, w->in, len);
    w->in += len, w->nin -= len;
    return (ssize_t)len;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *d, size_t len, int fl, void *a)
{
    (void)ctx, (void)fl;
    ws_client_write(a, d, len);
    return (ssize_t)len;
}

static int genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *a)
{
    (void)ctx, (void)a;
    return getrandom(buf, len, 0) == (ssize_t)len ? 0 : -1;
}

int ws_client_init(ws_client_t *w, uv_tcp_t *tcp, ws_client_msg_cb on_msg, void *owner)
{
    struct wslay_event_callbacks cbs = {recv_cb, send_cb, genmask_cb, NULL, NULL, NULL, on_msg};
    *w = (ws_client_t){.tcp = tcp, .owner = owner};
    return wslay_event_context_client_init(&w->ctx, &cbs, w); /* cbs copied */
}

void ws_client_upgrade(ws_client_t *w, const char *user_agent)
{
    unsigned char raw[16];
    char head[320];
    /* The key: 16 random bytes in base64; the answer must hash it. */
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        memset(raw, 0x5a, sizeof raw); /* never short from the urandom pool */
    EVP_EncodeBlock((unsigned char *)w->key, raw, sizeof raw);
    int n = snprintf(head, sizeof head,
                     "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: "
                     "13\r\nUser-Agent: %s/1\r\n\r\n",
                     w->key, user_agent);
    ws_client_write(w, head, (size_t)n);
}

int ws_client_accepted(const ws_client_t *w, const char *head)
{
    char accept[32];
    ws_accept_key(w->key, accept);
    return strstr(head, " 101 ") && strstr(head, accept);
}

void ws_client_feed(ws_client_t *w, const void *data, size_t n)
{
    w->in = data, w->nin = n;
    wslay_event_recv(w->ctx);
    wslay_event_send(w->ctx);
}

void ws_client_free(ws_client_t *w)
{
    if (w->ctx)
        wslay_event_context_free(w->ctx);
    w->ctx = NULL;
}
