/* wsclient_wire.h: a WebSocket client's side on a libuv TCP connection
 * (wsclient_wire.c), for the demo's own clients.
 *
 *     ws_client_init(&c->ws, &c->tcp, on_msg, c);  after uv_tcp_init
 *     ws_client_upgrade(&c->ws, "ws-1");            once connected
 *     ...the answer's head read: ws_client_accepted(&c->ws, head)
 *     ws_client_feed(&c->ws, bytes, n);             each read after it
 *     ws_client_free(&c->ws);                       once the handle closed
 */
#ifndef HTTP_WSCLIENT_WIRE_H
#define HTTP_WSCLIENT_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include <wslay/wslay.h>

typedef struct {
    uv_tcp_t *tcp;               /* where the upgrade and the frames go */
    wslay_event_context_ptr ctx; /* wslay's client context */
    char key[32];                /* the Sec-WebSocket-Key sent */
    const uint8_t *in;           /* bytes read, being handed to wslay */
    size_t nin;
    void *owner; /* the caller's */
} ws_client_t;

/* A message (text, binary, close, ...): user_data is the ws_client_t. */
typedef void (*ws_client_msg_cb)(wslay_event_context_ptr ctx,
                                 const struct wslay_event_on_msg_recv_arg *m, void *user_data);

int ws_client_init(ws_client_t *w, uv_tcp_t *tcp, ws_client_msg_cb on_msg, void *owner);
/* GET /ws with Upgrade: websocket and a fresh key; User-Agent: NAME/1. */
void ws_client_upgrade(ws_client_t *w, const char *user_agent);
/* 1 when head (the answer's, NUL-terminated) is a 101 with the right
 * Sec-WebSocket-Accept. */
int ws_client_accepted(const ws_client_t *w, const char *head);
/* n bytes read after the head to wslay, then whatever it has to send. */
void ws_client_feed(ws_client_t *w, const void *data, size_t n);
/* Bytes onto the connection as they are (the upgrade request, a frame). */
void ws_client_write(ws_client_t *w, const void *data, size_t len);
void ws_client_free(ws_client_t *w);

#endif
