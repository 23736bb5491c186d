/* client.c: a client's own process, the tcp demo's clients (this program
 * again, under lib/role) and `tcp --connect HOST:PORT`. A chat member
 * connects, sends --count lines, ends as socket.end() does (tcp.c), then
 * gives its figures to the server that started it (scope_demo_report) or,
 * alone, says a bye of its own; the other kinds of client are their files'.
 */
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "tcp.h"

static chat_client_t chat;

static void chat_done(chat_client_t *cl)
{
    scope_demo_t *d = cl->demo;
    if (cl->echoes < d->count && !d->quitting)
        scope_demo_exit(d, 1);
    scope_events_log("%s: close(): %ld lines sent, %ld echoes, %ld broadcasts from the others",
                     cl->who, cl->sent, cl->echoes, cl->broadcasts);
    scope_demo_stop(d);
}

static void chat_quit(scope_demo_t *d)
{
    (void)d;
    scope_conn_close(&chat.c);
}

static int chat_client_run(scope_demo_t *d, const struct sockaddr *to, const char *connect_spec,
                    int nodelay, int split)
{
    char name[SCOPE_ADDR_STRLEN + 8] = "server ", text[100];
    scope_addr_format(to, name + 7, sizeof name - 7);
    chat = (chat_client_t){.demo = d, .who = d->role ? d->role : "client",
                           .server = d->role ? SCOPE_PID(getppid()) : SCOPE_PEER(name),
                           .nodelay = nodelay, .split = split, .on_done = chat_done};
    d->on_quit = chat_quit;
    if (chat_connect(&chat, to) < 0)
        scope_demo_exit(d, 1);
    int code = scope_demo_run(d);
    if (!d->role) { /* a client of its own says goodbye itself */
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "server", connect_spec);
        scope_trace_add_summary(&chat.trace, b);
        cJSON_AddNumberToObject(b, "echoes", (double)chat.echoes);
        cJSON_AddNumberToObject(b, "broadcasts", (double)chat.broadcasts);
        scope_demo_bye(d, b, scope_trace_describe(&chat.trace, text, sizeof text));
    }
    cJSON *fig = cJSON_CreateObject();
    cJSON_AddItemToObject(fig, "trace", scope_trace_figures(&chat.trace));
    scope_demo_report(d, fig);
    return code;
}


/* Which client: a bad one (fault.c), a stream (throughput.c), the lab's
 * reader (stream.c), or a chat member. */
int tcp_client_main(scope_demo_t *d, const struct sockaddr *to, const char *connect_spec,
                    const char *fault, uint64_t max_message, uint64_t throughput, int nodelay,
                    int split)
{
    if (scope_demo_start(d, uv_default_loop(), d->role ? d->role : "client", !d->role) < 0)
        return 1;
    if (fault)
        return fault_client(d, to, fault, max_message);
    if (throughput)
        return tput_client(d, to, throughput, nodelay);
    if (d->role && strcmp(d->role, "lab client") == 0)
        return stream_client(d, to);
    return chat_client_run(d, to, connect_spec, nodelay, split);
}
