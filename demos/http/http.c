/* http.c: article 000's http.createServer((req, res) => res.end('pong')),
 * on libuv and Debian's http-parser (the parser node used up to v12; since
 * then node parses with llhttp, the same state machine generated from a
 * TypeScript description, faster and stricter).
 *
 *   1. uv_tcp_bind() and uv_listen(): socket, bind, listen.
 *   2. on_connection(): uv_accept() (accept4), TCP_NODELAY as node sets it,
 *      a timer for the request's head (slowloris), reading.
 *   3. on_read(): the bytes go through http_parser_execute(); its callbacks
 *      collect the request line and the headers (bounded: past max_header,
 *      431), and on_complete() answers each request in order, so pipelined
 *      requests (several in one read) get their answers in order too.
 *   4. answer(): "HTTP/1.1 200 OK", the headers, a blank line, the body
 *      ("pong", Content-Length: 4); kept alive unless the request asks not.
 *   5. A request the parser refuses is answered 400 and closed; a head that
 *      is not whole within header_ms, 408 and closed. The others go on.
 *   6. GET /ws and GET /events are routes: ws.c and sse.c take them.
 */
#include "http.h"

/* The answer: status line, headers, a blank line, the body. */
static void answer(http_conn_t *c, int code, const char *body, int keep_alive)
{
    http_server_t *s = c->s;
    const char *reason = code == 200 ? "OK" : code == 400 ? "Bad Request" : code == 408
        ? "Request Timeout" : "Request Header Fields Too Large";
    char head[256], who[64], label[80];
    size_t blen = strlen(body);
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %zu\r\nConnection: %s\r\n\r\n", code, reason, blen,
                     keep_alive ? "keep-alive" : "close");
    scope_trace_set_peer(&s->trace, http_peer_of(&c->req, who, sizeof who));
    snprintf(label, sizeof label, "%d %s", code, code == 200 ? body : reason);
    scope_trace_msg(&s->trace, SCOPE_TRACE_SEND, c->req.id, label, strlen(label), 0);
    s->trace.bytes_sent += (size_t)n + blen - strlen(label);
    /* Nagle's algorithm holds a small second write until the first is
     * acknowledged, and the client delays that ACK: split answers show it. */
    if (s->split)
        http_conn_write(c, head, (size_t)n, 0);
    char all[512];
    int m = snprintf(all, sizeof all, "%s%s", s->split ? "" : head, body);
    http_conn_write(c, all, (size_t)m, !keep_alive);
}

static void on_head_timeout(uv_timer_t *t)
{
    http_conn_t *c = t->data;
    c->s->fig.timed_out++;
    scope_events_error("slow client", "the request's head was not whole after %llu ms (%zu "
                       "bytes came): 408 and close", (unsigned long long)c->s->header_ms,
                       c->head_bytes);
    uv_read_stop((uv_stream_t *)&c->tcp);
    answer(c, 408, "request timeout\n", 0);
}

/* ---- http-parser's callbacks: the request line, the headers, the end ---- */

/* Bounded: the head's bytes are counted as they come; past max_header a
 * non-zero return stops the parser, and on_read answers 431. */
static int count(http_conn_t *c, size_t len)
{
    c->head_bytes += len + 2; /* ": " or "\r\n" besides the bytes */
    return c->too_large = c->head_bytes > c->s->max_header;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    http_conn_t *c = p->data;
    size_t have = strlen(c->req.path);
    snprintf(c->req.path + have, sizeof c->req.path - have, "%.*s", (int)len, at);
    return count(c, len);
}

static int on_field(http_parser *p, const char *at, size_t len)
{
    http_conn_t *c = p->data;
    snprintf(c->field, sizeof c->field, "%.*s", (int)len, at);
    return count(c, len);
}

/* The headers the demo reads: who asks, the request's id, a WebSocket key. */
static int on_value(http_parser *p, const char *at, size_t len)
{
    http_conn_t *c = p->data;
    char *to = !strcasecmp(c->field, "user-agent") ? c->req.agent
        : !strcasecmp(c->field, "sec-websocket-key") ? c->req.ws_key : NULL;
    if (to)
        snprintf(to, sizeof c->req.agent, "%.*s", (int)len, at);
    if (!strcasecmp(c->field, "x-request-id"))
        c->req.id = strtoull(at, NULL, 10);
    return count(c, len);
}

static int on_complete(http_parser *p)
{
    http_conn_t *c = p->data;
    http_server_t *s = c->s;
    char who[64];
    c->req.method = http_method_str(p->method);
    uv_timer_stop(&c->head_timer);
    scope_trace_set_peer(&s->trace, http_peer_of(&c->req, who, sizeof who));
    char line[96];
    snprintf(line, sizeof line, "%s %s", c->req.method, c->req.path);
    scope_trace_msg(&s->trace, SCOPE_TRACE_RECV, c->req.id, line, strlen(line), 0);
    s->fig.requests++, c->answered++;
    for (int i = 0; i < s->nroutes && !c->taken; i++)
        if (!strcmp(c->req.path, s->routes[i].path))
            c->taken = i + 1; /* on_read hands the connection to the route */
    if (c->taken)
        return 0;
    answer(c, 200, "pong", http_should_keep_alive(p));
    c->req = (http_request_t){0}, c->head_bytes = 0;
    /* The next request's head has header_ms from now to come whole. */
    uv_timer_start(&c->head_timer, on_head_timeout, s->header_ms, 0);
    return 0;
}

static const http_parser_settings settings = {
    .on_url = on_url,
    .on_header_field = on_field,
    .on_header_value = on_value,
    .on_message_complete = on_complete,
};

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    http_conn_t *c = scope_container_of(st, http_conn_t, tcp);
    if (nread < 0)
        http_conn_close(c); /* EOF or an error: the client is gone */
    else if (nread > 0 && !c->taken) {
        c->answered = 0;
        size_t done = http_parser_execute(&c->parser, &settings, buf->base, (size_t)nread);
        enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
        if (c->answered > 1) /* several requests in one read: pipelined */
            c->s->fig.pipelined += (uint64_t)c->answered;
        if (c->taken) { /* GET /ws, /events: the rest is the route's */
            http_route_t *r = &c->s->routes[c->taken - 1];
            if (!r->take(c, &c->req, buf->base + done, (size_t)nread - done))
                http_conn_close(c);
        } else if (e != HPE_OK || done != (size_t)nread || c->parser.upgrade) {
            int code = c->too_large ? 431 : 400;
            code == 431 ? c->s->fig.refused_431++ : c->s->fig.refused_400++;
            scope_events_error(code == 431 ? "oversize header" : "malformed request",
                               "%s (http-parser: %s): %d and close; the others go on",
                               code == 431
                                   ? scope_events_tr("request line and headers past the limit")
                                   : http_errno_description(e),
                               http_errno_name(e), code);
            uv_read_stop(st);
            answer(c, code, code == 431 ? "header too large\n" : "bad request\n", 0);
        }
    }
    free(buf->base);
}

static void on_connection(uv_stream_t *listener, int status)
{
    http_server_t *s = scope_container_of(listener, http_server_t, listener);
    http_conn_t *c = status < 0 ? NULL : calloc(1, sizeof *c);
    if (!c)
        return;
    *c = (http_conn_t){.s = s, .handles = 2, .next = s->conns, .pprev = &s->conns};
    uv_tcp_init(listener->loop, &c->tcp);
    uv_timer_init(listener->loop, &c->head_timer);
    c->tcp.data = c->head_timer.data = c->parser.data = c;
    if (c->next)
        c->next->pprev = &c->next;
    s->conns = c;
    s->live++;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0) {
        http_conn_close(c);
        return;
    }
    s->fig.accepted++;
    /* node's http sets noDelay on every socket since v18: an answer goes
     * out at once instead of waiting for the last one's ACK. */
    uv_tcp_nodelay(&c->tcp, s->nodelay);
    http_parser_init(&c->parser, HTTP_REQUEST);
    uv_timer_start(&c->head_timer, on_head_timeout, s->header_ms, 0);
    uv_read_start((uv_stream_t *)&c->tcp, http_alloc, on_read);
}

int http_listen(http_server_t *s, uv_loop_t *loop, struct sockaddr_storage *addr, char *name)
{
    int len = sizeof *addr, r;
    uv_tcp_init(loop, &s->listener);
    /* libuv sets SO_REUSEADDR: a restarted server binds its port while the
     * last run's connections sit in TIME_WAIT. node's backlog is 511. */
    if ((r = uv_tcp_bind(&s->listener, (struct sockaddr *)addr, 0)) == 0)
        r = uv_listen((uv_stream_t *)&s->listener, 511, on_connection);
    if (r == 0) /* port 0: the one the kernel picked */
        uv_tcp_getsockname(&s->listener, (struct sockaddr *)addr, &len);
    scope_addr_format((struct sockaddr *)addr, name, SCOPE_ADDR_STRLEN);
    snprintf(s->name, sizeof s->name, "%s", name);
    scope_trace_init(&s->trace, "http", SCOPE_PID(getpid()), SCOPE_PEER("client"));
    if (r == 0)
        r = uv_fileno((uv_handle_t *)&s->listener, &s->fd);
    return r < 0 ? r : s->fd;
}

void http_close(http_server_t *s)
{
    if (!uv_is_closing((uv_handle_t *)&s->listener)) {
        uv_close((uv_handle_t *)&s->listener, NULL);
        scope_trace_close(&s->trace);
    }
    for (http_conn_t *c = s->conns; c; c = c->next)
        http_conn_close(c);
}
