/* cluster's worker, its answers: http.createServer((req, res) =>
 * res.end(`worker ${id} (pid ${pid})\n`)), in C with http-parser.
 *
 *   1. A connection arrives: handed over by the master with newconn (round
 *      robin), or accepted from the listening socket we share (SCHED_NONE).
 *   2. Its bytes go through http_parser_execute(); each complete request is
 *      answered "200 OK" with a body that names this worker, so a client
 *      counts who served it. Keep-alive is as the request asks
 *      (http_should_keep_alive: HTTP/1.1 unless "Connection: close").
 *   3. Bounded: a request whose line and headers pass 8 KiB is answered 431
 *      and closed; one the parser refuses is answered 400 and closed.
 *   4. Closing (the master's disconnect): take nothing new, close the idle
 *      keep-alive connections, the others once answered (SERVE_GRACE_MS at most).
 */
#include <arpa/inet.h>
#include <http_parser.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "events.h"

#define SERVE_MAX_HEADERS (8 * 1024) /* node's default is 16 KiB; a lesson's bound */
#define SERVE_GRACE_MS 5000

typedef struct conn_s {
    uv_tcp_t tcp;
    http_parser parser;
    cluster_serve_t *s;
    struct conn_s *next, **pprev;
    size_t header_bytes;  /* the request line's and headers' bytes so far */
    int in_request;       /* a request begun, not yet answered */
    int writes;           /* answers being written */
    int too_large, eof;
    char what[64];        /* "GET /path", for the trace */
} conn_t;

typedef struct {
    uv_write_t req;
    conn_t *c;
    int close_after;
    char buf[512];
} answer_t;

static void conn_close(conn_t *c);

/* ---- answering ---------------------------------------------------------- */

static void on_written(uv_write_t *req, int status)
{
    answer_t *a = scope_container_of(req, answer_t, req);
    conn_t *c = a->c;
    c->writes--;
    if (status < 0 || a->close_after || ((c->eof || c->s->closing) && !c->in_request &&
                                         !c->writes))
        conn_close(c);
    free(a);
}

static void answer(conn_t *c, int code, int keep_alive)
{
    cluster_serve_t *s = c->s;
    const char *status = code == 200 ? "200 OK" : code == 431
        ? "431 Request Header Fields Too Large" : "400 Bad Request";
    char body[96], label[128], head[512];
    snprintf(body, sizeof body, "worker %d (pid %ld)\n", s->id, (long)s->pid);
    if (code != 200) /* the reason, for a person reading it */
        snprintf(body, sizeof body, "%s\n", status + 4);
    int n = snprintf(head, sizeof head, "HTTP/1.1 %s\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %zu\r\nConnection: %s\r\n\r\n%s", status, strlen(body),
                     keep_alive ? "keep-alive" : "close", body);
    scope_trace_note(&s->trace, SCOPE_TRACE_RECV, c->what[0] ? c->what : "(unreadable)",
                     c->header_bytes);
    snprintf(label, sizeof label, "%.3s %.*s", status, (int)strlen(body) - 1, body);
    scope_trace_note(&s->trace, SCOPE_TRACE_SEND, label, (size_t)n);
    /* Straight into the socket when it takes it all, as it nearly always
     * does; only what it leaves is copied and queued. */
    uv_buf_t buf = uv_buf_init(head, (unsigned)n);
    int done = c->writes ? 0 : uv_try_write((uv_stream_t *)&c->tcp, &buf, 1);
    answer_t *a = done == n || (done < 0 && done != UV_EAGAIN) ? NULL : malloc(sizeof *a);
    if (a) {
        done = done > 0 ? done : 0;
        *a = (answer_t){.c = c, .close_after = !keep_alive};
        memcpy(a->buf, head + done, (size_t)(n - done));
        buf = uv_buf_init(a->buf, (unsigned)(n - done));
        if (uv_write(&a->req, (uv_stream_t *)&c->tcp, &buf, 1, on_written) == 0) {
            c->writes++; /* on_written comes later, never from inside uv_write */
            return;
        }
        free(a);
    }
    if (done != n || !keep_alive)
        conn_close(c);
}

/* ---- http-parser's callbacks -------------------------------------------- */

/* Bounded: the request line's and headers' bytes are counted as they come;
 * past SERVE_MAX_HEADERS, a non-zero return stops the parser (HPE_CB_...). */
static int on_header(http_parser *p, const char *at, size_t len)
{
    conn_t *c = p->data;
    (void)at;
    c->header_bytes += len + 2; /* ": " or "\r\n" besides the bytes */
    return c->too_large = c->header_bytes > SERVE_MAX_HEADERS;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    conn_t *c = p->data;
    size_t have = strlen(c->what);
    if (!have) { /* the request's first bytes that come to us: it is in flight */
        c->in_request = 1;
        have = (size_t)snprintf(c->what, sizeof c->what, "%s ", http_method_str(p->method));
    }
    if (have < sizeof c->what - 1)
        snprintf(c->what + have, sizeof c->what - have, "%.*s", (int)len, at);
    return on_header(p, at, len);
}

static int on_complete(http_parser *p)
{
    conn_t *c = p->data;
    c->s->requests++;
    /* Closing: this answer is the connection's last, and says so. */
    answer(c, 200, http_should_keep_alive(p) && !c->s->closing);
    c->in_request = 0;
    c->header_bytes = 0;
    c->what[0] = 0;
    return 0;
}

static const http_parser_settings settings = {
    .on_url = on_url,
    .on_header_field = on_header,
    .on_header_value = on_header,
    .on_message_complete = on_complete,
};

/* ---- a connection ------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
    conn_t *c = h->data;
    (void)size; /* one buffer serves every connection: it is parsed at once */
    *buf = uv_buf_init(c->s->readbuf, sizeof c->s->readbuf);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    conn_t *c = stream->data;
    if (nread < 0) {
        /* EOF: the client is done (its last answer may still be on its way). */
        c->eof = 1;
        uv_read_stop(stream);
        if (nread != UV_EOF || !c->writes)
            conn_close(c);
        return;
    }
    if (nread == 0)
        return;
    size_t done = http_parser_execute(&c->parser, &settings, buf->base, (size_t)nread);
    if (c->parser.http_errno == HPE_CLOSED_CONNECTION)
        return; /* bytes after a "Connection: close" request: its answer closes */
    if (c->parser.http_errno == HPE_OK && !c->parser.upgrade && done == (size_t)nread)
        return;
    /* Refused: say why, then close (an upgrade is a request we do not serve). */
    int code = c->too_large ? 431 : 400;
    c->s->refused++;
    c->in_request = 0;
    scope_events_log("http: %s (%s); answering %d and closing",
                     code == 431 ? scope_events_tr("headers past 8 KiB")
                                 : scope_events_tr("a malformed request"),
                     http_errno_name(c->parser.http_errno), code);
    uv_read_stop(stream);
    answer(c, code, 0);
}

static void drained(cluster_serve_t *s)
{
    if (s->drained++)
        return;
    uv_close((uv_handle_t *)&s->grace, NULL);
    if (s->connections)
        scope_trace_close(&s->trace);
    if (s->on_drained)
        s->on_drained(s);
}

static void on_conn_closed(uv_handle_t *h)
{
    conn_t *c = h->data;
    cluster_serve_t *s = c->s;
    if ((*c->pprev = c->next))
        c->next->pprev = c->pprev;
    free(c);
    if (--s->open == 0 && s->closing)
        drained(s);
}

static void conn_close(conn_t *c)
{
    if (!uv_is_closing((uv_handle_t *)&c->tcp))
        uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

/* A connection: its parser, its place in the list, reading. */
static conn_t *conn_new(cluster_serve_t *s)
{
    conn_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    *c = (conn_t){.s = s, .pprev = (conn_t **)&s->conns, .next = s->conns};
    uv_tcp_init(s->loop, &c->tcp);
    c->tcp.data = c->parser.data = c;
    http_parser_init(&c->parser, HTTP_REQUEST);
    if (c->next)
        c->next->pprev = &c->next;
    s->conns = c;
    s->open++;
    if (s->connections++ == 0)
        scope_trace_open(&s->trace, "tcp",
                         scope_events_tr("the shared port's connections this worker serves"));
    return c;
}

static int conn_start(conn_t *c, int r)
{
    if (r == 0)
        r = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (r < 0) {
        scope_events_error("http", "a connection could not be served: %s", uv_strerror(r));
        conn_close(c);
    }
    return r;
}

/* ---- the worker's calls --------------------------------------------------- */

void cluster_serve_init(cluster_serve_t *s, uv_loop_t *loop, int id)
{
    char chan[32];
    *s = (cluster_serve_t){.loop = loop, .id = id};
    snprintf(chan, sizeof chan, "http w %d", id);
    s->pid = getpid();
    scope_trace_init(&s->trace, chan, SCOPE_PID(s->pid), SCOPE_PEER("client"));
}

/* Requests come "from the port" in the flow: the client's lane sends to it,
 * whichever worker the connection reaches. */
void cluster_serve_port(cluster_serve_t *s, int port)
{
    char name[32];
    snprintf(name, sizeof name, "port %d", port);
    scope_trace_set_peer(&s->trace, SCOPE_PEER(name));
}

int cluster_serve_fd(cluster_serve_t *s, int fd)
{
    conn_t *c = s->closing ? NULL : conn_new(s);
    if (!c) {
        close(fd);
        return s->closing ? -ECONNREFUSED : -ENOMEM;
    }
    int r = uv_tcp_open(&c->tcp, fd);
    if (r < 0)
        close(fd); /* not the handle's yet */
    return conn_start(c, r);
}

static void on_connection(uv_stream_t *server, int status)
{
    cluster_serve_t *s = server->data;
    conn_t *c = status < 0 || s->closing ? NULL : conn_new(s);
    if (c)
        conn_start(c, uv_accept(server, (uv_stream_t *)&c->tcp));
}

int cluster_serve_listen(cluster_serve_t *s, int fd)
{
    struct sockaddr_in a;
    int len = sizeof a;
    uv_tcp_init(s->loop, &s->server);
    s->server.data = s;
    s->listening = 1;
    int r = uv_tcp_open(&s->server, fd);
    if (r < 0)
        close(fd); /* not the handle's yet */
    /* The master bound it and left listen() to us: the kernel then hands each
     * connection to whichever worker's accept() comes first. */
    else if ((r = uv_listen((uv_stream_t *)&s->server, 511, on_connection)) == 0)
        r = uv_tcp_getsockname(&s->server, (struct sockaddr *)&a, &len);
    return r < 0 ? r : ntohs(a.sin_port);
}

static void on_grace(uv_timer_t *t)
{
    cluster_serve_t *s = t->data;
    scope_events_log("http: %d %s still open after %d ms; closing them", s->open,
                     scope_events_trn("connection", "connections", (unsigned long)s->open),
                     SERVE_GRACE_MS);
    cluster_serve_close(s, 1);
}

void cluster_serve_close(cluster_serve_t *s, int now)
{
    if (!s->closing) {
        s->closing = 1;
        if (s->listening)
            uv_close((uv_handle_t *)&s->server, NULL);
        uv_timer_init(s->loop, &s->grace);
        s->grace.data = s;
        if (s->open == 0) { /* nothing to wait for */
            drained(s);
            return;
        }
        uv_timer_start(&s->grace, on_grace, SERVE_GRACE_MS, 0);
    }
    for (conn_t *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (now || (!c->in_request && !c->writes))
            conn_close(c); /* idle keep-alive, or no time left */
    }
}
