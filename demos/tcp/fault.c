/* fault.c: the bad client (--fault KIND, or the dashboard's fault key).
 *
 * One more client process joins the chat and misbehaves in one of the ways
 * the server must survive, while the good clients go on being served:
 *
 *   oversize  a line longer than the server's --max-message: the server
 *             drops it, says why ("Server error: ..."), and answers the
 *             ordinary line that follows
 *   silent    connects and says nothing: the server's --idle-ms cuts it
 *   vanish    one ordinary line, then half a line, and the process ends
 *             without the newline: the server reads EOF with an unfinished
 *             line and drops it
 *
 * What the server does about each is in server.c; here is only the client's
 * side of the misbehaviour. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcp.h"

static const char *const kinds[] = {"oversize", "silent", "vanish"};

const char *fault_kind(const char *name)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (name && strcmp(name, kinds[i]) == 0)
            return kinds[i];
    return NULL;
}

/* Traced as any line is, so that the flow shows what went over the wire. */
static void trace_bad(session_t *ss, size_t wire, const char *what)
{
    if (scope_events_msg_admit())
        scope_events_msg_emit_admitted("send", ss->chan, me(), ss->server, 0, wire, what, 0);
}

void fault_act(session_t *ss)
{
    if (strcmp(tcp.fault, "oversize") == 0) {
        size_t n = tcp.max_message + 100;
        char *big = malloc(n + 1);
        if (!big) {
            scope_events_error("fault", "no memory for a %zu-byte line", n + 1);
            ss->done = 1;
            scope_conn_close(&ss->c);
            return;
        }
        memset(big, 'o', n);
        big[n] = '\n';
        scope_events_log("fault: %s writes a %zu-byte line, over the server's %zu-byte limit; "
                         "then an ordinary line",
                         ss->who, n + 1, tcp.max_message);
        trace_bad(ss, n + 1, "oversize line");
        ss->t_sent = scope_time_now_ns(); /* the refusal is the answer to it */
        scope_conn_write_raw(&ss->c, big, n + 1);
        free(big);
        /* The server answers the big line with "Server error: ..." and the
         * next with its echo: two answers, then this client leaves. */
        ss->count = 2;
        return;
    }
    if (strcmp(tcp.fault, "silent") == 0) {
        scope_events_log("fault: %s is connected and says nothing; the server's idle limit "
                         "(--idle-ms %llu) should cut it",
                         ss->who, (unsigned long long)tcp.idle_ms);
        return;
    }
    /* vanish: first one ordinary line and its echo, so that the server has
     * accepted us and knows who we are; then fault_vanish(). */
    scope_events_log("fault: %s sends one line, then half a line, and its process ends "
                     "before the newline",
                     ss->who);
    ss->count = 1;
    ss->say_bye = 0;
    session_next(ss);
}

void fault_vanish(session_t *ss)
{
    static const char half[] = "Hello server! #2 half a li";
    trace_bad(ss, sizeof half - 1, "half a line");
    scope_conn_write_raw(&ss->c, half, sizeof half - 1);
    /* No newline, no close, no goodbye: the process just ends, as a crash
     * would, and the kernel closes the socket for it. The write above went
     * straight into the socket: nothing was queued. */
    _exit(0);
}
