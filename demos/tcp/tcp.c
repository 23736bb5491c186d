/* tcp.c: the articles' TCP chat, net.createServer() and net.Socket, on libuv.
 *
 *   1. The server: uv_tcp_bind() and uv_listen() (socket, bind, listen).
 *   2. A client: uv_tcp_connect(). The server's on_connection() takes it
 *      with uv_accept() (accept4: one new fd per client) and reads it.
 *   3. The client writes a line. The server answers "Server echo: LINE" to
 *      it and "Broadcast: PORT says: LINE" to every other client.
 *   4. The client's next line goes once the echo of the one before is back;
 *      it keeps each line's send time (TCP keeps order: the oldest waiting
 *      is the next answer's).
 *   5. Its lines sent, the client ends as socket.end() does: shutdown(SHUT_WR),
 *      then reads until EOF. The server closes and tells the others
 *      "PORT left the chat". Lines end in "\n" (lab.c shows why).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "tcp.h"

static void on_connection(uv_stream_t *listener, int status);
static void on_line(scope_conn_t *c, const char *line, size_t len);
static void on_conn_closed(scope_conn_t *c);

int chat_listen(chat_server_t *s, uv_loop_t *loop, const struct sockaddr *addr)
{
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    /* libuv sets SO_REUSEADDR first: a restarted server can bind its port
     * while the last run's connections sit in TIME_WAIT. */
    int r = uv_tcp_bind(&s->listener, addr, 0);
    if (r == 0) /* 128: how many finished handshakes may wait for uv_accept() */
        r = uv_listen((uv_stream_t *)&s->listener, 128, on_connection);
    if (r < 0) {
        uv_close((uv_handle_t *)&s->listener, NULL);
        return r;
    }
    s->listening = 1;
    return uv_fileno((uv_handle_t *)&s->listener, &s->fd);
}

static void drop(scope_conn_t *c)
{
    free(c->data);
}

static void on_connection(uv_stream_t *listener, int status)
{
    chat_server_t *s = listener->data;
    chat_conn_t *k = status < 0 ? NULL : calloc(1, sizeof *k);
    if (!k)
        return;
    scope_conn_init_tcp(listener->loop, &k->c, drop);
    k->c.data = k;
    k->server = s;
    if (uv_accept(listener, &k->c.h.stream) < 0) {
        scope_conn_close(&k->c);
        return;
    }
    /* Nagle's algorithm stays on unless asked: libuv and node's net leave it. */
    if (s->nodelay)
        uv_tcp_nodelay(&k->c.h.tcp, 1);
    scope_conn_options_t o = {.framing = SCOPE_CONN_LINES, .max_frame = s->max_message,
                              .on_frame = on_line, .on_error = s->on_too_long,
                              .on_end = s->on_end, .on_close = on_conn_closed};
    scope_conn_start(&k->c, &o);

    /* Named by its address: the process behind it is the dashboard's to find. */
    struct sockaddr_storage peer;
    int len = sizeof peer;
    uv_tcp_getpeername(&k->c.h.tcp, (struct sockaddr *)&peer, &len);
    scope_addr_format((struct sockaddr *)&peer, k->who, sizeof k->who);
    k->port = scope_addr_port((struct sockaddr *)&peer);
    char chan[32];
    snprintf(chan, sizeof chan, "tcp:%d", k->port);
    scope_trace_init(&k->trace, chan, SCOPE_PID(getpid()), SCOPE_PEER(k->who));
    scope_trace_open(&k->trace, "tcp", k->who);
    k->fd = scope_conn_fd(&k->c);
    k->heard = uv_now(listener->loop);
    k->next = s->conns;
    s->conns = k;
    s->accepted++;
    scope_events_log("accept4(fd %d) -> fd %d: %s; TCP_NODELAY %s", s->fd, k->fd, k->who,
                     s->nodelay ? "on" : "off");
}

/* One line to one peer in one write(): the prefix, the line, its "\n". */
void chat_say(chat_conn_t *to, const char *prefix, const char *line, size_t len)
{
    size_t need = strlen(prefix) + len + 2;
    char *out = to->gone ? NULL : malloc(need);
    if (!out)
        return;
    int n = snprintf(out, need, "%s%.*s\n", prefix, (int)len, line);
    scope_trace_send(&to->trace, out, (size_t)n);
    scope_conn_write_raw(&to->c, out, (size_t)n);
    free(out);
}

static void broadcast(chat_server_t *s, chat_conn_t *from, const char *line, size_t len)
{
    char prefix[48] = "Broadcast: ";
    if (from)
        snprintf(prefix, sizeof prefix, "Broadcast: %d says: ", from->port);
    for (chat_conn_t *k = s->conns; k; k = k->next)
        if (k != from && !k->gone) {
            chat_say(k, prefix, line, len);
            s->broadcasts++;
        }
}

static void on_line(scope_conn_t *c, const char *line, size_t len)
{
    chat_conn_t *k = c->data;
    k->heard = uv_now(c->h.handle.loop);
    scope_trace_recv(&k->trace, line, len); /* lib counts the bytes given, not the "\n" */
    k->server->lines_in++;
    chat_say(k, "Server echo: ", line, len);
    broadcast(k->server, k, line, len);
}

static void on_conn_closed(scope_conn_t *c)
{
    chat_conn_t *k = c->data;
    chat_server_t *s = k->server;
    for (chat_conn_t **p = &s->conns; *p; p = &(*p)->next)
        if (*p == k) {
            *p = k->next;
            break;
        }
    scope_trace_close(&k->trace);
    char words[32];
    int n = snprintf(words, sizeof words, "%d left the chat", k->port);
    broadcast(s, NULL, words, (size_t)n);
    free(k);
}

void chat_close(chat_server_t *s)
{
    if (s->listening)
        uv_close((uv_handle_t *)&s->listener, NULL);
    s->listening = 0;
    for (chat_conn_t *k = s->conns; k; k = k->next) {
        k->gone = 1;
        scope_conn_close(&k->c);
    }
}

/* ---- a client: its functions bottom-up, chat_connect() last ------------------- */

static void send_line(scope_pacer_t *p)
{
    chat_client_t *cl = p->data;
    /* The articles' greeting, made --size bytes long, and its newline. */
    char *line = malloc(cl->demo->size + 64);
    if (!line)
        return;
    size_t n = (size_t)snprintf(line, 64, "Hello server! #%ld from %s ", cl->sent + 1, cl->who);
    for (; n < cl->demo->size; n++)
        line[n] = 'x';
    line[n++] = '\n';
    cl->sent++;
    scope_trace_send(&cl->trace, line, n);
    cl->sent_at[(cl->first + cl->waiting++) % 16] = scope_time_now_ns();
    if (cl->split) { /* two write()s for one line: what meets Nagle's algorithm */
        scope_conn_write_raw(&cl->c, line, n / 2);
        scope_conn_write_raw(&cl->c, line + n / 2, n - n / 2);
    } else {
        scope_conn_write_raw(&cl->c, line, n);
    }
    free(line);
}

static void on_answer(scope_conn_t *c, const char *line, size_t len)
{
    chat_client_t *cl = c->data;
    int answer = !strncmp(line, "Server echo: ", 13) || !strncmp(line, "Server error: ", 14);
    if (!answer || !cl->waiting) { /* a broadcast */
        cl->broadcasts++;
        scope_trace_recv(&cl->trace, line, len);
        return;
    }
    cl->waiting--;
    scope_trace_reply(&cl->trace, line, len,
                      scope_time_now_ns() - cl->sent_at[cl->first++ % 16]);
    cl->echoes++;
    if (cl->sent < cl->demo->count && !cl->demo->quitting)
        scope_pacer_next(&cl->pacer, send_line);
    else if (!cl->waiting) /* socket.end(): shutdown(SHUT_WR) sends FIN; we read on */
        uv_shutdown(&cl->end_req, &cl->c.h.stream, NULL);
}

static void on_server_end(scope_conn_t *c, int status)
{
    chat_client_t *cl = c->data;
    if ((status || cl->echoes < cl->demo->count) && !cl->demo->quitting) {
        cl->failed = 1; /* not the server's EOF after ours */
        scope_events_log("%s: %s after %ld of %ld echoes", cl->who, status ? uv_strerror(status)
                         : "the server closed (EOF)", cl->echoes, cl->demo->count);
    }
}

static void on_client_closed(scope_conn_t *c)
{
    chat_client_t *cl = c->data;
    scope_pacer_close(&cl->pacer);
    scope_trace_close(&cl->trace);
    cl->on_done(cl);
}

static void on_connected(uv_connect_t *req, int status)
{
    chat_client_t *cl = req->data;
    struct sockaddr_storage me;
    int len = sizeof me;
    char chan[32], addr[SCOPE_ADDR_STRLEN];
    if (status < 0) {
        scope_events_error("connect", "%s: connect(): %s", cl->who, uv_strerror(status));
        cl->failed = 1;
        scope_conn_close(&cl->c);
        return;
    }
    if (cl->nodelay)
        uv_tcp_nodelay(&cl->c.h.tcp, 1);
    uv_tcp_getsockname(&cl->c.h.tcp, (struct sockaddr *)&me, &len);
    snprintf(chan, sizeof chan, "tcp:%d", scope_addr_port((struct sockaddr *)&me));
    scope_trace_init(&cl->trace, chan, SCOPE_PID(getpid()), cl->server);
    scope_trace_open(&cl->trace, "tcp", scope_addr_format((struct sockaddr *)&me, addr, 64));
    scope_trace_stats_start(&cl->trace, cl->demo->loop, 500);
    scope_events_log("%s: connect() -> fd %d from %s (the kernel picked our port); TCP_NODELAY "
                     "%s%s", cl->who, scope_conn_fd(&cl->c), addr, cl->nodelay ? "on" : "off",
                     cl->split ? "; each line goes out in two write()s" : "");
    scope_conn_options_t o = {.framing = SCOPE_CONN_LINES, .max_frame = 16u << 20,
                              .on_frame = on_answer, .on_end = on_server_end};
    scope_conn_start(&cl->c, &o);
    scope_pacer_next(&cl->pacer, send_line);
}

int chat_connect(chat_client_t *cl, const struct sockaddr *server)
{
    scope_conn_init_tcp(cl->demo->loop, &cl->c, on_client_closed);
    scope_pacer_init(cl->demo, &cl->pacer);
    cl->c.data = cl->req.data = cl->pacer.data = cl;
    int r = uv_tcp_connect(&cl->req, &cl->c.h.tcp, server, on_connected);
    if (r < 0)
        scope_conn_close(&cl->c);
    return r;
}
