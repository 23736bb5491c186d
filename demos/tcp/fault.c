/* fault.c: the bad clients (--fault KIND, or the dashboard's fault key): one
 * more chat member joins and misbehaves in a way a server must survive,
 * while the good clients go on being served; the server (tcp.c: on_too_long,
 * on_end) says why, and counts.
 *
 *   oversize  a line over --max-message: dropped, the sender told why
 *             ("Server error: ..."), its next line answered as usual
 *   silent    connects and says nothing: cut after --idle-ms
 *   vanish    a line, then half a line, and the process ends: the server
 *             reads EOF (or a reset) with an unfinished line, and drops it
 */
#include "tcp.h"

enum { OVERSIZE, SILENT, VANISH };
static const char *const kinds[] = {"oversize", "silent", "vanish"};
static const char *const plans[] = {
    "writes a line over the server's limit, then an ordinary line",
    "is connected and says nothing: the server's idle limit should cut it",
    "sends one line, then half a line, and its process ends before the newline"};

/* ---- a bad client: a chat member (client.c) that misbehaves ------------------ */

static void vanish(chat_client_t *cl)
{
    static const char half[] = "Hello server! #2 half a li";
    scope_trace_send(&cl->t.trace, half, sizeof half - 1);
    scope_conn_write_raw(&cl->t.c, half, sizeof half - 1);
    /* No newline, no close, no goodbye: the process just ends, as a crash
     * would, and the kernel closes the socket for it. */
    _exit(0);
}

int fault_client(scope_demo_t *d, const struct sockaddr *server, const char *kind,
                 size_t max_message)
{
    int k = 0;
    while (strcmp(kind, kinds[k]) != 0) /* one of them: lib/demo checked */
        k++;
    chat_client_t cl = {.t = {.demo = d}, .who = d->role ? d->role : "bad client"};
    scope_events_log("fault: %s %s", cl.who, plans[k]);
    d->count = k == OVERSIZE ? 2 : k == VANISH ? 1 : 0; /* silent: no line at all */
    if (k == OVERSIZE)
        cl.first_size = max_message + 100;
    if (k == VANISH)
        cl.on_echo = vanish;
    return chat_client_run(&cl, server);
}
