/* tcp.c: the articles' TCP chat, net.createServer() and net.Socket, on libuv.
 *
 *   1. The server: uv_tcp_bind() and uv_listen() (socket, bind, listen).
 *   2. A client: uv_tcp_connect(). The server's on_connection() takes it
 *      with uv_accept() (accept4: one new fd per client) and reads it.
 *   3. The client writes a line. The server answers "Server echo: LINE" to
 *      it and "Broadcast: PORT says: LINE" to every other client.
 *   4. The client's next line goes once the echo of the one before is back:
 *      the echo ends a round trip, timed from the line's send time.
 *   5. Its lines sent, the client ends as socket.end() does: shutdown(SHUT_WR),
 *      then reads until EOF. The server closes and tells the others
 *      "PORT left the chat". Lines end in "\n" (stream.c shows why).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcp.h"

static void on_connection(uv_stream_t *listener, int status);
static void on_line(scope_conn_t *c, const char *line, size_t len);
static void on_conn_closed(scope_conn_t *c);
static void on_peer(void *arg, const scope_peer_info_t *who);

int chat_listen(chat_server_t *s, uv_loop_t *loop, struct sockaddr_storage *addr, char *name)
{
    int len = sizeof *addr, r;
    uv_tcp_init(loop, &s->listener);
    /* libuv sets SO_REUSEADDR first: a restarted server can bind its port
     * while the last run's connections sit in TIME_WAIT. 128: how many
     * finished handshakes may wait for uv_accept(). */
    if ((r = uv_tcp_bind(&s->listener, (struct sockaddr *)addr, 0)) == 0)
        r = uv_listen((uv_stream_t *)&s->listener, 128, on_connection);
    if (r == 0) /* port 0: the one the kernel picked */
        uv_tcp_getsockname(&s->listener, (struct sockaddr *)addr, &len);
    scope_addr_format((struct sockaddr *)addr, name, SCOPE_ADDR_STRLEN);
    return r < 0 ? r : uv_fileno((uv_handle_t *)&s->listener, &s->fd);
}

static void on_connection(uv_stream_t *listener, int status)
{
    chat_server_t *s = scope_container_of(listener, chat_server_t, listener);
    chat_conn_t *k = status < 0 ? NULL : calloc(1, sizeof *k);
    if (!k)
        return;
    scope_conn_init_tcp(listener->loop, &k->c, on_conn_closed);
    k->server = s;
    if (uv_accept(listener, &k->c.h.stream) < 0) {
        scope_conn_close(&k->c);
        return;
    }
    /* Nagle's algorithm stays on unless asked: libuv and node's net leave it. */
    if (s->nodelay)
        uv_tcp_nodelay(&k->c.h.tcp, 1);
    /* Named by address now, by pid once lib/peer has read /proc off the loop;
     * on_peer() reads then, so that each line is traced from the peer's lane. */
    k->port = tcp_trace(&k->trace, &k->c.h.tcp, 1, SCOPE_PEER(k->who), 1, k->who);
    k->next = s->conns;
    s->conns = k;
    s->fig.accepted++;
    scope_events_log("accept4(fd %d) -> fd %d: %s; TCP_NODELAY %s", s->fd, scope_conn_fd(&k->c),
                     k->who, s->nodelay ? "on" : "off");
    if (!(k->peer = scope_peer_lookup(listener->loop, scope_conn_fd(&k->c), on_peer, k)))
        on_peer(k, &(scope_peer_info_t){.pid = -1});
}

static void on_peer(void *arg, const scope_peer_info_t *who)
{
    chat_conn_t *k = arg;
    chat_server_t *s = k->server;
    k->peer = NULL;
    if (who->pid > 0)
        scope_trace_set_peer(&k->trace, SCOPE_PID(who->pid));
    scope_trace_open(&k->trace, "tcp", k->who);
    /* A peer that ends no line in idle_ms (silent, or dripping bytes) is cut. */
    scope_conn_start(&k->c, &(scope_conn_options_t){.framing = SCOPE_CONN_LINES,
        .max_frame = s->max_message, .idle_ms = s->idle_ms, .on_frame = on_line,
        .on_error = s->on_too_long, .on_end = s->on_end});
    scope_conn_idle_hold(&k->c, s->demo->paused);
}

void chat_say(chat_conn_t *to, const char *prefix, const char *line, size_t len)
{
    size_t need = strlen(prefix) + len + 2;
    char *out = scope_conn_writable(&to->c) ? malloc(need) : NULL;
    if (!out)
        return;
    int n = snprintf(out, need, "%s%.*s\n", prefix, (int)len, line);
    scope_trace_send(&to->trace, out, (size_t)n - 1); /* the "\n": framing_bytes */
    scope_conn_write_raw(&to->c, out, (size_t)n);
    free(out);
}

static void broadcast(chat_server_t *s, chat_conn_t *from, const char *line, size_t len)
{
    char prefix[48] = "Broadcast: ";
    if (from)
        snprintf(prefix, sizeof prefix, "Broadcast: %d says: ", from->port);
    for (chat_conn_t *k = s->conns; k; k = k->next)
        if (k != from && scope_conn_writable(&k->c)) {
            chat_say(k, prefix, line, len);
            s->fig.broadcasts++;
        }
}

static void on_line(scope_conn_t *c, const char *line, size_t len)
{
    chat_conn_t *k = scope_container_of(c, chat_conn_t, c);
    scope_trace_recv(&k->trace, line, len);
    k->server->fig.lines_in++;
    chat_say(k, "Server echo: ", line, len);
    broadcast(k->server, k, line, len);
}

static void on_conn_closed(scope_conn_t *c)
{
    chat_conn_t *k = scope_container_of(c, chat_conn_t, c);
    chat_server_t *s = k->server;
    for (chat_conn_t **p = &s->conns; *p; p = &(*p)->next)
        if (*p == k) {
            *p = k->next;
            break;
        }
    scope_peer_cancel(k->peer); /* closed before its name came */
    scope_trace_close(&k->trace);
    char words[32];
    int n = snprintf(words, sizeof words, "%d left the chat", k->port);
    if (k->port) /* 0: its accept failed */
        broadcast(s, NULL, words, (size_t)n);
    free(k);
}

void chat_hold(chat_server_t *s, int hold)
{
    for (chat_conn_t *k = s->conns; k; k = k->next)
        scope_conn_idle_hold(&k->c, hold);
}

void chat_close(chat_server_t *s)
{
    if (!uv_is_closing((uv_handle_t *)&s->listener))
        uv_close((uv_handle_t *)&s->listener, NULL);
    for (chat_conn_t *k = s->conns; k; k = k->next)
        scope_conn_close(&k->c);
}

/* ---- a client: its functions bottom-up, chat_connect() last ------------------- */

static void send_line(scope_pacer_t *p)
{
    chat_client_t *cl = scope_container_of(p, chat_client_t, pacer);
    /* The articles' greeting, made --size bytes long, and its newline. */
    char *line = malloc(cl->demo->size + 64);
    if (!line)
        return;
    size_t n = (size_t)snprintf(line, 64, "Hello server! #%ld from %s ", cl->sent + 1, cl->who);
    for (; n < cl->demo->size; n++)
        line[n] = 'x';
    line[n++] = '\n';
    cl->sent++;
    scope_trace_send(&cl->trace, line, n - 1);
    cl->waiting = 1;
    cl->sent_at = scope_time_now_ns();
    size_t first = cl->split ? n / 2 : n; /* two write()s: what meets Nagle's algorithm */
    scope_conn_write_raw(&cl->c, line, first);
    if (first < n)
        scope_conn_write_raw(&cl->c, line + first, n - first);
    free(line);
}

static void on_answer(scope_conn_t *c, const char *line, size_t len)
{
    chat_client_t *cl = scope_container_of(c, chat_client_t, c);
    int answer = !strncmp(line, "Server echo: ", 13) || !strncmp(line, "Server error: ", 14);
    if (!answer || !cl->waiting) { /* a broadcast */
        cl->broadcasts++;
        scope_trace_recv(&cl->trace, line, len);
        return;
    }
    cl->waiting = 0;
    scope_trace_reply(&cl->trace, line, len, scope_time_now_ns() - cl->sent_at);
    cl->echoes++;
    if (cl->sent < cl->demo->count && !cl->demo->quitting)
        scope_pacer_next(&cl->pacer, send_line);
    else /* socket.end(): shutdown(SHUT_WR) sends FIN; we read on */
        scope_conn_end(&cl->c);
}

static void on_server_end(scope_conn_t *c, int status)
{
    chat_client_t *cl = scope_container_of(c, chat_client_t, c);
    if ((status || cl->echoes < cl->demo->count) && !cl->demo->quitting) /* not our end */
        scope_events_log("%s: %s after %ld of %ld echoes", cl->who, status ? uv_strerror(status)
                         : "the server closed (EOF)", cl->echoes, cl->demo->count);
}

static void on_client_closed(scope_conn_t *c)
{
    chat_client_t *cl = scope_container_of(c, chat_client_t, c);
    scope_pacer_close(&cl->pacer);
    scope_trace_close(&cl->trace);
    cl->on_done(cl);
}

static void on_connected(uv_connect_t *req, int status)
{
    chat_client_t *cl = scope_container_of(req, chat_client_t, req);
    char addr[SCOPE_ADDR_STRLEN];
    if (status < 0) {
        scope_events_error("connect", "%s: connect(): %s", cl->who, uv_strerror(status));
        scope_conn_close(&cl->c);
        return;
    }
    tcp_trace(&cl->trace, &cl->c.h.tcp, 0, cl->server, 1, addr); /* 1: each line's "\n" */
    scope_trace_open(&cl->trace, "tcp", addr);
    scope_trace_stats_start(&cl->trace, cl->demo->loop, 500);
    scope_events_log("%s: connect() -> fd %d from %s (the kernel picked our port); TCP_NODELAY "
                     "%s%s", cl->who, scope_conn_fd(&cl->c), addr, cl->nodelay ? "on" : "off",
                     cl->split ? "; each line goes out in two write()s" : "");
    scope_conn_start(&cl->c, &(scope_conn_options_t){.framing = SCOPE_CONN_LINES,
        .max_frame = 16u << 20, .on_frame = on_answer, .on_end = on_server_end});
    scope_pacer_next(&cl->pacer, send_line);
}

int chat_connect(chat_client_t *cl, const struct sockaddr *server)
{
    scope_conn_init_tcp(cl->demo->loop, &cl->c, on_client_closed);
    scope_pacer_init(cl->demo, &cl->pacer);
    uv_tcp_nodelay(&cl->c.h.tcp, cl->nodelay); /* kept until connect() makes the socket */
    int r = uv_tcp_connect(&cl->req, &cl->c.h.tcp, server, on_connected);
    if (r < 0)
        scope_conn_close(&cl->c);
    return r;
}

/* A connection's trace, "tcp:PORT" by the client's port, which both ends see. */
int tcp_trace(scope_trace_t *t, uv_tcp_t *h, int accepted, scope_end_t peer, size_t framing,
              char *addr)
{
    struct sockaddr_storage a;
    int len = sizeof a, port;
    char chan[32];
    (accepted ? uv_tcp_getpeername : uv_tcp_getsockname)(h, (struct sockaddr *)&a, &len);
    scope_addr_format((struct sockaddr *)&a, addr, SCOPE_ADDR_STRLEN);
    snprintf(chan, sizeof chan, "tcp:%d", port = scope_addr_port((struct sockaddr *)&a));
    scope_trace_init(t, chan, SCOPE_PID(getpid()), peer);
    t->framing_bytes = framing;
    return port;
}
