/* client.c: a member of the chat, as the articles' net.Socket client is.
 *
 *   1. tcp_client_run() (tcp.c) connects; on_chat_connected() starts reading
 *      lines and sends the first.
 *   2. send_line(): "Hello server! #N from client K", --size bytes and "\n".
 *   3. on_answer(): "Server echo: ..." ends a round trip, and the next line
 *      goes; anything else is a broadcast from another member.
 *   4. After --count echoes, socket.end(): shutdown(SHUT_WR), reading on
 *      until the server's EOF closes the connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "tcp.h"

static void send_line(scope_pacer_t *p)
{
    chat_client_t *cl = scope_container_of(p, chat_client_t, pacer);
    /* The articles' greeting, made --size bytes long, and its newline. */
    char *line = malloc(cl->t.demo->size + 64);
    if (!line)
        return;
    size_t n = (size_t)snprintf(line, 64, "Hello server! #%ld from %s ", cl->sent + 1, cl->who);
    for (; n < cl->t.demo->size; n++)
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
    int answer = !strncmp(line, "Server echo: ", 13) || !strncmp(line, "Server error: ", 14);
    if (!answer || !cl->waiting) { /* a broadcast */
        cl->broadcasts++;
        scope_trace_recv(&cl->t.trace, line, len);
        return;
    }
    cl->waiting = 0;
    scope_trace_reply(&cl->t.trace, line, len, scope_time_now_ns() - cl->sent_at);
    cl->echoes++;
    if (cl->sent < d->count && !d->quitting)
        scope_pacer_next(&cl->pacer, send_line);
    else /* socket.end(): shutdown(SHUT_WR) sends FIN; we read on */
        scope_conn_end(&cl->t.c);
}

static void on_chat_connected(tcp_client_t *t)
{
    chat_client_t *cl = scope_container_of(t, chat_client_t, t);
    scope_trace_stats_start(&t->trace, t->demo->loop, 500);
    scope_events_log("%s: connect() -> fd %d from %s (the kernel picked our port); TCP_NODELAY "
                     "%s%s", cl->who, scope_conn_fd(&t->c), t->addr, t->nodelay ? "on" : "off",
                     cl->split ? "; each line goes out in two write()s" : "");
    scope_conn_start(&t->c, &(scope_conn_options_t){.framing = SCOPE_CONN_LINES,
        .max_frame = 16u << 20, .on_frame = on_answer});
    scope_pacer_next(&cl->pacer, send_line);
}

static void on_chat_closed(tcp_client_t *t)
{
    chat_client_t *cl = scope_container_of(t, chat_client_t, t);
    scope_pacer_close(&cl->pacer);
    if (cl->sent && cl->echoes < t->demo->count && !t->demo->quitting) /* not our end */
        scope_demo_check(t->demo, 0, "connection", "%s: the server closed after %ld of %ld "
                         "echoes", cl->who, cl->echoes, t->demo->count);
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
    scope_demo_report(d, fig);
    return code;
}
