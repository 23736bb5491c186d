/* tcp.c: the articles' TCP chat server, net.createServer(), on libuv.
 *
 *   1. uv_tcp_bind() and uv_listen() (socket, bind, listen).
 *   2. A client (client.c) connects; on_connection() takes it with
 *      uv_accept() (accept4: one new fd per client) and reads its lines.
 *   3. Each line: "Server echo: LINE" to its sender, "Broadcast: PORT says:
 *      LINE" to every other client. Lines end in "\n" (stream.c shows why).
 *   4. A client that ends (we read EOF) is closed, and the others are told
 *      "PORT left the chat".
 */
#include "tcp.h"

struct chat_conn_s {
    scope_conn_t c;
    chat_server_t *server;
    chat_conn_t *next;
    scope_trace_t trace;
    scope_peer_req_t *peer; /* the lookup of the process behind it, under way */
    /* its first lines, traced once the process behind it is named (trace_line) */
#define EARLY_LINES 256 /* a busy machine's /proc scan takes seconds: room for them */
    struct early_line { scope_trace_dir_t dir; size_t len; char line[]; } *early[EARLY_LINES];
    int nearly, port;
    char who[SCOPE_ADDR_STRLEN];
};

static void on_line(scope_conn_t *c, const char *line, size_t len);
static void on_too_long(scope_conn_t *c, const scope_frame_error_t *err);
static void on_end(scope_conn_t *c, int status);
static void on_conn_closed(scope_conn_t *c);
static void on_peer(void *arg, const scope_peer_info_t *who);

int tcp_listen(uv_loop_t *loop, uv_tcp_t *listener, struct sockaddr_storage *addr, char *name,
               uv_connection_cb cb)
{
    int len = sizeof *addr, r;
    uv_os_fd_t fd = -1;
    uv_tcp_init(loop, listener);
    /* libuv sets SO_REUSEADDR first: a restarted server can bind its port
     * while the last run's connections sit in TIME_WAIT. SOMAXCONN (4096,
     * capped by net.core.somaxconn; node asks 511): how many finished
     * handshakes may wait for uv_accept(); past it the kernel drops a SYN
     * and the client retries a second later, so a crowd needs room. */
    if ((r = uv_tcp_bind(listener, (struct sockaddr *)addr, 0)) == 0)
        r = uv_listen((uv_stream_t *)listener, SOMAXCONN, cb);
    if (r == 0) /* port 0: the one the kernel picked */
        uv_tcp_getsockname(listener, (struct sockaddr *)addr, &len);
    scope_addr_format((struct sockaddr *)addr, name, SCOPE_ADDR_STRLEN);
    if (r == 0)
        r = uv_fileno((uv_handle_t *)listener, &fd);
    return r < 0 ? r : fd;
}

void chat_on_connection(uv_stream_t *listener, int status)
{
    chat_server_t *s = scope_container_of(listener, chat_server_t, listener);
    if (status < 0 || (s->max_clients && s->live >= s->max_clients)) {
        crowd_refuse(listener, status, s->live); /* crowd.c */
        return;
    }
    chat_conn_t *k = calloc(1, sizeof *k);
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
    k->port = tcp_trace(&k->trace, &k->c.h.tcp, 1, SCOPE_PEER(k->who), 1, k->who);
    k->next = s->conns;
    s->conns = k;
    s->live++;
    s->fig.accepted++;
    scope_events_log("accept4(fd %d) -> fd %d: %s; TCP_NODELAY %s", s->fd, scope_conn_fd(&k->c),
                     k->who, s->nodelay ? "on" : "off");
    /* A peer that ends no line in idle_ms (silent, or dripping bytes) is cut.
     * What one turn of the loop says to a member leaves in one write(): with
     * many members talking, a write per line per member is the server's cost. */
    scope_conn_start(&k->c, &(scope_conn_options_t){.framing = SCOPE_CONN_LINES,
        .max_frame = s->max_message, .idle_ms = s->idle_ms, .on_frame = on_line,
        .on_error = on_too_long, .on_end = on_end, .coalesce = 1});
    /* Named by address until lib/peer has read /proc, off the loop: under a
     * crowd that takes seconds, and the chat does not wait for it. */
    if (!(k->peer = scope_peer_lookup(listener->loop, scope_conn_fd(&k->c), on_peer, k)))
        on_peer(k, &(scope_peer_info_t){.pid = -1});
}

/* Until lib/peer names the process behind a connection (milliseconds; under
 * a crowd, seconds), its first lines wait to be traced (trace_line), so that
 * the flow draws them from that process's lane; past EARLY_LINES, named by
 * address. trace_early() lets them go. */
static void trace_early(chat_conn_t *k)
{
    for (int i = 0; i < k->nearly; i++) {
        struct early_line *e = k->early[i];
        scope_trace_msg(&k->trace, e->dir, 0, e->line, e->len, 0);
        free(e);
    }
    k->nearly = 0;
}

static void trace_line(chat_conn_t *k, scope_trace_dir_t dir, const char *line, size_t len)
{
    struct early_line *e = k->peer && k->nearly < EARLY_LINES ? malloc(sizeof *e + len) : NULL;
    if (e) {
        e->dir = dir;
        e->len = len;
        memcpy(e->line, line, len);
        k->early[k->nearly++] = e;
        return;
    }
    trace_early(k);
    scope_trace_msg(&k->trace, dir, 0, line, len, 0);
}

static void on_peer(void *arg, const scope_peer_info_t *who)
{
    chat_conn_t *k = arg;
    k->peer = NULL;
    if (who->pid > 0)
        scope_trace_set_peer(&k->trace, SCOPE_PID(who->pid));
    scope_trace_open(&k->trace, "tcp", k->who);
    trace_early(k);
}

static void chat_say(chat_conn_t *to, const char *prefix, const char *line, size_t len)
{
    size_t need = strlen(prefix) + len + 2;
    char *out = scope_conn_writable(&to->c) ? malloc(need) : NULL;
    if (!out)
        return;
    int n = snprintf(out, need, "%s%.*s\n", prefix, (int)len, line);
    trace_line(to, SCOPE_TRACE_SEND, out, (size_t)n - 1); /* the "\n": framing_bytes */
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
    trace_line(k, SCOPE_TRACE_RECV, line, len);
    k->server->fig.lines_in++;
    chat_say(k, "Server echo: ", line, len);
    broadcast(k->server, k, line, len);
}

/* lib/conn refused a line over max_message: the sender is told, the rest goes on. */
static void on_too_long(scope_conn_t *c, const scope_frame_error_t *err)
{
    chat_conn_t *k = scope_container_of(c, chat_conn_t, c);
    char words[160];
    int n = snprintf(words, sizeof words, "a line of at least %llu bytes is over the %zu-byte "
                     "limit; dropped", (unsigned long long)err->size, k->server->max_message);
    scope_demo_figure_add(k->server->demo, "refused", 1);
    scope_events_error("refused", "from %s: %s; the others go on", k->who, err->reason);
    chat_say(k, "Server error: ", words, (size_t)n);
}

/* The peer's end: EOF (mid-line, or after its last line), the idle limit, a
 * peer that never reads, or an error. lib/conn closes the connection next. */
static void on_end(scope_conn_t *c, int status)
{
    chat_conn_t *k = scope_container_of(c, chat_conn_t, c);
    scope_demo_t *d = k->server->demo;
    /* RST rather than FIN when the peer's process ended with bytes it had
     * not read (broadcasts): its kernel answers those with a reset. */
    if ((status == 0 || status == UV_ECONNRESET) && c->partial_bytes) {
        scope_demo_figure_add(d, "partial", 1);
        scope_events_error("partial",
                           "%s vanished mid-line: %s with %llu bytes of an "
                           "unfinished line, dropped",
                           k->who, status ? scope_events_tr("a reset") : "EOF",
                           (unsigned long long)c->partial_bytes);
    } else if (status == 0) {
        scope_events_log("read() on fd %d returned 0: %s closed its end (EOF)",
                         scope_conn_fd(c), k->who);
    } else if (status == UV_ETIMEDOUT) {
        scope_demo_figure_add(d, "timed_out", 1);
        scope_events_error("idle", "%s ended no line for %llu ms: closed",
                           k->who, (unsigned long long)k->server->idle_ms);
    } else if (status == UV_ENOBUFS) {
        scope_demo_figure_add(d, "unread", 1);
        scope_events_error("unread", "%s reads nothing while %u bytes wait for it: cut off",
                           k->who, SCOPE_CONN_MAX_QUEUED);
    } else {
        scope_events_error("connection", "%s: read(): %s; closed", k->who, uv_strerror(status));
    }
}

static void on_conn_closed(scope_conn_t *c)
{
    chat_conn_t *k = scope_container_of(c, chat_conn_t, c);
    chat_server_t *s = k->server;
    for (chat_conn_t **p = &s->conns; *p; p = &(*p)->next)
        if (*p == k) {
            *p = k->next;
            s->live--;
            break;
        }
    if (k->peer) { /* closed before its name came: named by address */
        scope_peer_cancel(k->peer);
        on_peer(k, &(scope_peer_info_t){.pid = -1});
    }
    scope_trace_close(&k->trace);
    char words[32];
    int n = snprintf(words, sizeof words, "%d left the chat", k->port);
    if (k->port) /* 0: its accept failed */
        broadcast(s, NULL, words, (size_t)n);
    free(k);
}

void chat_close(chat_server_t *s)
{
    if (!uv_is_closing((uv_handle_t *)&s->listener))
        uv_close((uv_handle_t *)&s->listener, NULL);
    for (chat_conn_t *k = s->conns; k; k = k->next)
        scope_conn_close(&k->c);
}

int tcp_trace(scope_trace_t *t, uv_tcp_t *h, int accepted, scope_end_t peer, size_t framing,
              char *addr)
{
    struct sockaddr_storage a;
    int len = sizeof a, port;
    char chan[32];
    (accepted ? uv_tcp_getpeername : uv_tcp_getsockname)(h, (struct sockaddr *)&a, &len);
    if (addr)
        scope_addr_format((struct sockaddr *)&a, addr, SCOPE_ADDR_STRLEN);
    snprintf(chan, sizeof chan, "tcp:%d", port = scope_addr_port((struct sockaddr *)&a));
    scope_trace_init(t, chan, SCOPE_PID(getpid()), peer);
    t->framing_bytes = framing;
    return port;
}
