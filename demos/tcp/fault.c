/* fault.c: the bad clients (--fault KIND, or the dashboard's fault key): one
 * more chat member joins and misbehaves, as bad[] says, in a way a server
 * must survive while the good clients go on being served. The server (tcp.c:
 * on_too_long, on_end) says why, and counts: an oversize line is dropped and
 * its sender told ("Server error: ..."), a silent peer cut after --idle-ms,
 * the unfinished line of one that vanished dropped at its EOF (or reset).
 */
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcp.h"

static const struct { const char *kind, *plan; long lines;
} bad[] = {
    {"oversize", N_("writes a line over the server's limit, then an ordinary line"), 2},
    {"silent", N_("is connected and says nothing: the server's idle limit should cut it"), 0},
    {"vanish", N_("sends one line, then half a line, and its process ends before the newline"), 1}};

/* ---- a bad client: a chat member (client.c) that misbehaves ------------------ */

static void vanish(chat_client_t *cl)
{
    static const char half[] = "Hello server! #2 half a li";
    int fd = scope_conn_fd(&cl->t.c), one = 1;
    /* On the wire at once, not held by Nagle's algorithm */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    scope_trace_send(&cl->t.trace, half, sizeof half - 1);
    scope_conn_write_raw(&cl->t.c, half, sizeof half - 1);
    /* and acknowledged by the server's kernel (SIOCOUTQ 0, within a second):
     * an exit with broadcasts unread makes the kernel reset the connection,
     * which throws away what our side has not sent yet, but not what waits
     * in the server's receive queue. */
    for (int i = 0; i < 100; i++) {
        int queued = 0;
        if (ioctl(fd, SIOCOUTQ, &queued) < 0 || queued == 0)
            break;
        usleep(10000);
    }
    /* No newline, no close, no goodbye: the process just ends, as a crash
     * would, and the kernel closes the socket for it. */
    _exit(0);
}

int fault_client(scope_demo_t *d, const struct sockaddr *server, const char *kind,
                 size_t max_message)
{
    int k = 0;
    while (strcmp(kind, bad[k].kind) != 0) /* one of them: lib/demo checked */
        k++;
    chat_client_t cl = {.t = {.demo = d}, .who = d->role ? d->role : "bad client"};
    scope_events_log("fault: %s %s", cl.who, scope_events_tr(bad[k].plan));
    d->count = bad[k].lines;
    if (!strcmp(kind, "oversize"))
        cl.first_size = max_message + 100;
    if (!strcmp(kind, "vanish"))
        cl.on_echo = vanish;
    return chat_client_run(&cl, server);
}
