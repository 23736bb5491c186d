/* client.c: a client, as the articles' net.connect() makes one.
 *
 *   1. tcp_client_run(): uv_tcp_connect(), whichever kind of client (the
 *      lab's, the stream's and the bad ones call it too).
 *   2. A chat member: send_line() writes "Hello server! #N from client K";
 *      on_answer() takes its echo (a round trip: the next line goes) or
 *      another member's broadcast; after --count echoes, socket.end().
 */
#include "tcp.h"

static void on_client_quit(scope_demo_t *d)
{
    tcp_client_t *cl = d->data;
    scope_conn_close(&cl->c);
}

static void on_client_closed(scope_conn_t *c)
{
    tcp_client_t *cl = scope_container_of(c, tcp_client_t, c);
    scope_trace_close(&cl->trace);
    if (cl->on_close)
        cl->on_close(cl);
    scope_demo_stop(cl->demo);
}

static void on_connected(uv_connect_t *req, int status)
{
    tcp_client_t *cl = scope_container_of(req, tcp_client_t, req);
    scope_demo_t *d = cl->demo;
    if (status < 0) {
        scope_demo_check(d, 0, "connect", "connect(): %s", uv_strerror(status));
        scope_conn_close(&cl->c);
        return;
    }
    tcp_trace(&cl->trace, &cl->c.h.tcp, 0, d->role ? SCOPE_PID(getppid()) : SCOPE_PEER(cl->server),
              cl->framing, cl->addr);
    scope_trace_open(&cl->trace, "tcp", cl->addr);
    cl->on_connected(cl);
}

int tcp_client_run(tcp_client_t *cl, const struct sockaddr *server)
{
    scope_demo_t *d = cl->demo;
    snprintf(cl->server, sizeof cl->server, "server ");
    scope_addr_format(server, cl->server + 7, sizeof cl->server - 7);
    d->data = cl;
    d->on_quit = on_client_quit;
    scope_conn_init_tcp(d->loop, &cl->c, on_client_closed);
    uv_tcp_nodelay(&cl->c.h.tcp, cl->nodelay); /* kept until connect() makes the socket */
    int r = uv_tcp_connect(&cl->req, &cl->c.h.tcp, server, on_connected);
    if (r < 0)
        on_connected(&cl->req, r);
    return scope_demo_run(d);
}

/* ---- a chat member ---------------------------------------------------------- */

static void send_line(scope_pacer_t *p)
{
    chat_client_t *cl = scope_container_of(p, chat_client_t, pacer);
    /* The articles' greeting, made --size bytes long, and its newline. */
    size_t size = cl->sent == 0 && cl->first_size ? cl->first_size : cl->t.demo->size;
    char *line = malloc(size + 64);
    if (!line)
        return;
    size_t n = (size_t)snprintf(line, 64, "Hello server! #%ld from %s ", cl->sent + 1, cl->who);
    for (; n < size; n++)
        line[n] = 'x';
    line[n++] = '\n';
    cl->sent++;
    scope_trace_send(&cl->t.trace, line, n - 1);
    cl->waiting = 1;
    cl->sent_at = scope_time_now_ns();
    size_t first = cl->split ? n / 2 : n; /* two write()s: what meets Nagle's algorithm */
    scope_conn_write_raw(&cl->t.c, line, first);
    if (first < n)
        scope_conn_write_raw(&cl->t.c, line + first, n - first);
    free(line);
}

static void on_answer(scope_conn_t *c, const char *line, size_t len)
{
    chat_client_t *cl = scope_container_of(c, chat_client_t, t.c);
    scope_demo_t *d = cl->t.demo;
    int refused = !strncmp(line, "Server error: ", 14);
    if ((!refused && strncmp(line, "Server echo: ", 13)) || !cl->waiting) { /* a broadcast */
        cl->broadcasts++;
        scope_trace_recv(&cl->t.trace, line, len);
        return;
    }
    cl->waiting = 0;
    scope_trace_reply(&cl->t.trace, line, len, scope_time_now_ns() - cl->sent_at);
    if (refused)
        scope_events_log("%s: the server refused our line: %.*s", cl->who,
                         (int)(len < 200 ? len : 200), line);
    cl->echoes++;
    if (cl->on_echo) /* a bad client's turn (fault.c) */
        cl->on_echo(cl);
    if (cl->sent < d->count && !d->quitting)
        scope_pacer_next(&cl->pacer, send_line);
    else /* socket.end(): shutdown(SHUT_WR) sends FIN; we read on */
        scope_conn_end(&cl->t.c);
}

static void on_chat_connected(tcp_client_t *t)
{
    chat_client_t *cl = scope_container_of(t, chat_client_t, t);
    scope_trace_stats_start(&t->trace, t->demo->loop, 500);
    scope_events_log("%s: connect() -> fd %d from %s; TCP_NODELAY %s%s", cl->who,
                     scope_conn_fd(&t->c), t->addr, t->nodelay ? "on" : "off",
                     cl->split ? scope_events_tr("; each line goes out in two write()s") : "");
    scope_conn_start(&t->c, &(scope_conn_options_t){.framing = SCOPE_CONN_LINES,
        .max_frame = 16u << 20, .on_frame = on_answer});
    if (t->demo->count > 0)
        scope_pacer_next(&cl->pacer, send_line);
}

static void on_chat_closed(tcp_client_t *t)
{
    chat_client_t *cl = scope_container_of(t, chat_client_t, t);
    scope_pacer_close(&cl->pacer);
    if (cl->sent && cl->echoes < t->demo->count && !t->demo->quitting) /* not our end */
        scope_demo_check(t->demo, 0, "connection", "%s: the server closed after %ld echoes",
                         cl->who, cl->echoes);
    scope_events_log("%s: close(): %ld lines sent, %ld echoes, %ld broadcasts from the others",
                     cl->who, cl->sent, cl->echoes, cl->broadcasts);
}

/* Runs a chat member's process; its round trips go to the server that
 * started it or, alone, into a bye of its own. Returns the exit code. */
int chat_client_run(chat_client_t *cl, const struct sockaddr *server)
{
    scope_demo_t *d = cl->t.demo;
    char text[100];
    cl->t.framing = 1; /* each line's "\n" */
    cl->t.on_connected = on_chat_connected;
    cl->t.on_close = on_chat_closed;
    scope_pacer_init(d, &cl->pacer);
    int code = tcp_client_run(&cl->t, server);
    if (!d->role) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "server", cl->t.server + 7);
        scope_trace_add_summary(&cl->t.trace, b);
        cJSON_AddNumberToObject(b, "echoes", (double)cl->echoes);
        cJSON_AddNumberToObject(b, "broadcasts", (double)cl->broadcasts);
        scope_demo_bye(d, b, scope_trace_describe(&cl->t.trace, text, sizeof text));
    }
    cJSON *fig = cJSON_CreateObject();
    cJSON_AddItemToObject(fig, "trace", scope_trace_figures(&cl->t.trace));
    cJSON_AddNumberToObject(fig, "p50", (double)scope_hist_percentile(&cl->t.trace.latency, 50));
    scope_demo_report(d, fig);
    return code;
}
