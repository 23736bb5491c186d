/* http.h: what the files of the http demo offer main.c and each other:
 * http.c the server (http.createServer), client.c http.get on libcurl's
 * multi interface, and one file per lesson step. Each file keeps its own
 * state; figures go to the bye through scope_demo_figure.
 */
#ifndef IPCSCOPE_DEMO_HTTP_H
#define IPCSCOPE_DEMO_HTTP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <http_parser.h>

#include "addr.h"
#include "demo.h"
#include "role.h"
#include "trace.h"

/* ---- http.c: the server ------------------------------------------------------ */
typedef struct http_conn_s http_conn_t;
typedef struct http_server_s http_server_t;

/* What the server read of one request, for a route that takes it. */
typedef struct {
    const char *method;
    char path[64], agent[64], ws_key[64];
    unsigned long long id; /* X-Request-Id, 0 when absent */
} http_request_t;

/* A path served by another file (ws.c, sse.c): take() answers the request
 * and may keep the connection (an upgrade, a stream); 1 when it did. */
typedef struct {
    const char *path;
    int (*take)(http_conn_t *c, const http_request_t *req, const char *rest, size_t nrest);
    void *data;
} http_route_t;

typedef struct {
    uint64_t accepted, requests, refused_400, refused_431, timed_out, pipelined;
} http_figures_t;

struct http_server_s {
    scope_demo_t *demo; /* the caller sets these */
    int nodelay;        /* TCP_NODELAY on each accepted socket (node's http: on) */
    int split;          /* each answer in two write()s: the head, then the body */
    uint64_t header_ms; /* a request's head must be whole within this (slowloris) */
    size_t max_header;  /* request line and headers, at most; past it: 431 */
    http_route_t routes[4];
    int nroutes;
    char name[SCOPE_ADDR_STRLEN]; /* "127.0.0.1:PORT", once listening */
    http_figures_t fig;
    scope_trace_t trace; /* chan "http": each request and answer */
    uv_tcp_t listener;
    uv_os_fd_t fd;
    http_conn_t *conns;
    int live;
};
/* Listens on addr (port 0: the kernel's pick, written back), "HOST:PORT"
 * into name: the listening fd, or a negative errno. */
int http_listen(http_server_t *s, uv_loop_t *loop, struct sockaddr_storage *addr, char *name);
void http_close(http_server_t *s); /* the listener and every connection */

/* One accepted connection: http.c's and conn.c's only; the routes use the
 * calls below. */
struct http_conn_s {
    uv_tcp_t tcp;
    uv_timer_t head_timer; /* the request's head must come whole in time */
    http_parser parser;
    http_server_t *s;
    http_conn_t *next, **pprev;
    http_request_t req;
    char field[32];        /* the header being read */
    size_t head_bytes;     /* the request line's and headers' bytes so far */
    int handles, taken, too_large, answered;
    void *owner;           /* a route's (ws.c, sse.c) */
    void (*owner_close)(void *owner);
};


/* conn.c. For a route that keeps a connection: its stream, bytes out (the
 * connection closes once they are written when close_after), its end. */
uv_stream_t *http_conn_stream(http_conn_t *c);
int http_conn_write(http_conn_t *c, const void *data, size_t len, int close_after);
void http_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf); /* malloc'd; on_read frees */
void http_conn_close(http_conn_t *c);
/* What the route hangs on the connection, and is told when it closes. */
void http_conn_own(http_conn_t *c, void *data, void (*on_close)(void *data));
/* The lane of whoever sent req: a pid from "User-Agent: ipcscope-http/PID",
 * "curl", "node", or "client". */
scope_end_t http_peer_of(const http_request_t *req, char *name, size_t n);

/* ---- client.c: http.get as libcurl multi on the libuv loop ---------------------- */
typedef struct http_client_s http_client_t;
typedef struct {
    long status;          /* 200, 431 ...; 0 when no answer came */
    CURLcode result;      /* CURLE_OK, or why not */
    uint64_t ns;          /* from the request's start to its last byte */
    char body[128];       /* its first bytes */
    size_t bytes;         /* the whole body's */
    char ip[48];          /* the address connected to (CURLINFO_PRIMARY_IP) */
    long connects;        /* new connections it took (0: a kept-alive one) */
} http_answer_t;
typedef void (*http_answer_cb)(http_client_t *cl, const http_answer_t *a, void *arg);
struct http_client_s {
    scope_demo_t *demo; /* the caller sets these */
    scope_end_t self;   /* this client's lane */
    scope_end_t server; /* the server's lane */
    int fresh;          /* a new connection for every request */
    int nodelay;        /* TCP_NODELAY on its sockets (curl's default: on) */
    int narrate;        /* each header line sent and received, as a log line */
    long timeout_ms;    /* a request's longest (0: 10 s) */
    scope_trace_t trace;
    CURLM *multi;
    uv_timer_t timer;
    int running, closing;
    uint64_t next_id;
};
int http_client_init(http_client_t *cl, uv_loop_t *loop, const char *chan);
/* GET url; cb(cl, answer, arg) once it is answered or failed. */
int http_client_get(http_client_t *cl, const char *url, http_answer_cb cb, void *arg);
void http_client_close(http_client_t *cl);
/* get.c: n GETs one after the other (their round trips in cl->trace), then
 * done(cl, arg). url must last until then. */
int http_series(http_client_t *cl, const char *url, long n,
                void (*done)(http_client_t *cl, void *arg), void *arg);
/* The role's program, or --connect URL: GET url --count times at --rate. */
int http_get_run(scope_demo_t *d, const char *url);

/* ---- the lesson's steps (d->data: the server); scope_demo_next when over ---- */
void article_run(scope_demo_t *d);   /* article.c: step 1, the wire narrated */
void keepalive_run(scope_demo_t *d); /* keepalive.c: step 2 */
void localhost_run(scope_demo_t *d); /* localhost.c: step 3 */
void nagle_run(scope_demo_t *d);     /* nagle.c: step 4 */
void badpeers_run(scope_demo_t *d);  /* badpeers.c: step 5 */
void ws_run(scope_demo_t *d);        /* wsclient.c: step 6's clients */
void ws_route(http_server_t *s, size_t max_message, uint64_t ping_ms);
void ws_stop(void);
void ws_trace_open(void);     /* ws.c's trace, once its first client comes */
size_t ws_max_message(void);  /* --ws-max, as ws_route was given it */
/* Sec-WebSocket-Accept for key: base64(SHA-1(key + RFC 6455's GUID)). */
void ws_accept_key(const char *key, char out[32]);
void sse_run(scope_demo_t *d);       /* sse.c: step 7 */
void sse_route(http_server_t *s);
void sse_stop(void);
void sse_event(const char *data, size_t len); /* "data: TEXT" to every subscriber */
void sse_quiet(void);                         /* no ticks: only sse_event's events */
/* ws.c: with a relay, a client's text message goes to publish(msg, len,
 * arg) instead of to every client; ws_broadcast sends one to every client. */
typedef void (*ws_relay_cb)(const uint8_t *msg, size_t len, void *arg);
void ws_relay(ws_relay_cb publish, void *arg);
void ws_broadcast(const uint8_t *msg, size_t len);

/* redis_fanout.c: a server whose WebSocket and SSE broadcast go through
 * Redis pub/sub at url (unix:PATH or redis://HOST:PORT), so that several
 * servers make one chat; redis_pid names redis-server's lane (0: by name).
 * s is configured by the caller; listens on at. Returns the exit code. */
int fanout_serve(scope_demo_t *d, http_server_t *s, struct sockaddr_storage *at,
                 const char *url, long redis_pid, size_t ws_max, uint64_t ping_ms);
/* fanout.c, step 8: a private redis-server, two such servers (roles),
 * a WebSocket client and an SSE subscriber on each; fanout_stop on quit. */
void fanout_run(scope_demo_t *d);
void fanout_stop(void);
/* fanout_clients.c: the step's four clients on port[0] (A) and port[1] (B);
 * over(1) once each has both messages, over(0) when one cannot connect.
 * end: figures of what each got (checked when check), and their close. */
void fanout_clients_start(scope_demo_t *d, const int port[2], void (*over)(int ok));
void fanout_clients_end(int check);

#endif
