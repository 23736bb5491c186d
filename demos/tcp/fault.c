/* fault.c: the bad clients (--fault KIND, or the dashboard's fault key): one
 * more client process joins the chat and misbehaves in a way a server must
 * survive, while the good clients go on being served. lib/conn refuses the
 * long line and cuts the silent peer; the server says why, and counts.
 *
 *   oversize  a line over --max-message: dropped, the sender told why
 *             ("Server error: ..."), its next line answered as usual
 *   silent    connects and says nothing: cut after --idle-ms
 *   vanish    a line, then half a line, and the process ends: the server
 *             reads EOF (or a reset) with an unfinished line, and drops it
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "tcp.h"

enum { OVERSIZE, SILENT, VANISH, NKINDS };
static const char *const kinds[] = {"oversize", "silent", "vanish"};
static const char *const plans[] = {
    "writes a line over the server's limit, then an ordinary line",
    "is connected and says nothing: the server's idle limit should cut it",
    "sends one line, then half a line, and its process ends before the newline"};

static int kind_of(const char *name)
{
    int k = 0;
    while (k < NKINDS && strcmp(name, kinds[k]) != 0)
        k++;
    return k;
}

int fault_known(const char *kind)
{
    return kind_of(kind) < NKINDS;
}

/* ---- the server's answers to them, counted for the bye ------------------------ */

void fault_too_long(scope_conn_t *c, const scope_frame_error_t *err)
{
    chat_conn_t *k = scope_container_of(c, chat_conn_t, c);
    char words[160];
    int n = snprintf(words, sizeof words, "a line of at least %llu bytes is over the %zu-byte "
                     "limit; dropped", (unsigned long long)err->size, k->server->max_message);
    scope_demo_figure_add(k->server->demo, "refused", 1);
    scope_events_error("refused", "from %s: %s; the connection and the others go on", k->who,
                       err->reason);
    chat_say(k, "Server error: ", words, (size_t)n);
}

void fault_end(scope_conn_t *c, int status)
{
    chat_conn_t *k = scope_container_of(c, chat_conn_t, c);
    scope_demo_t *d = k->server->demo;
    if ((status == 0 || status == UV_ECONNRESET) && c->partial_bytes) {
        /* RST rather than FIN when the peer's process ended with bytes it had
         * not read (broadcasts): its kernel answers those with a reset. */
        scope_demo_figure_add(d, "partial", 1);
        scope_events_error("partial", "%s vanished mid-line: %s with %llu bytes of an "
                           "unfinished line, dropped", k->who, status ? "a reset" : "EOF",
                           (unsigned long long)c->partial_bytes);
    } else if (status == 0) {
        scope_events_log("read() on fd %d returned 0: %s closed its end (EOF)",
                         scope_conn_fd(c), k->who);
    } else if (status == UV_ETIMEDOUT) {
        scope_demo_figure_add(d, "timed_out", 1);
        scope_events_error("idle", "%s ended no line for %llu ms: closed, so a silent peer "
                           "cannot hold a connection forever", k->who,
                           (unsigned long long)k->server->idle_ms);
    } else if (status == UV_ENOBUFS) {
        scope_demo_figure_add(d, "unread", 1);
        scope_events_error("unread", "%s reads nothing while %u bytes wait for it: cut off, "
                           "so a peer that never reads cannot grow the server without end",
                           k->who, SCOPE_CONN_MAX_QUEUED);
    } else {
        scope_events_error("connection", "%s: read(): %s; closed", k->who, uv_strerror(status));
    }
}

/* ---- a bad client -------------------------------------------------------------- */

static struct {
    tcp_client_t t;
    const char *who;
    size_t max_message;
    int kind, answers;
} bad;

static void bad_line(const char *line, size_t len)
{
    scope_trace_send(&bad.t.trace, line, len);
    scope_conn_write_raw(&bad.t.c, line, len);
}

static void on_answer(scope_conn_t *c, const char *line, size_t len)
{
    scope_trace_recv(&bad.t.trace, line, len);
    if (strncmp(line, "Server error: ", 14) == 0)
        scope_events_log("%s: the server refused our line: %.*s", bad.who,
                         (int)(len < 200 ? len : 200), line);
    else if (strncmp(line, "Server echo: ", 13) != 0)
        return; /* a broadcast */
    if (++bad.answers < 2 && bad.kind == OVERSIZE)
        return;
    if (bad.kind == VANISH) {
        bad_line("Hello server! #2 half a li", 26);
        /* No newline, no close, no goodbye: the process just ends, as a crash
         * would, and the kernel closes the socket for it. */
        _exit(0);
    }
    scope_conn_close(c);
}

static void on_server_end(scope_conn_t *c, int status)
{
    (void)c;
    scope_events_log("%s: the server closed our connection (%s)", bad.who,
                     status == 0 ? "EOF" : uv_strerror(status));
}

static void on_connected(tcp_client_t *t)
{
    char line[96];
    scope_conn_start(&t->c, &(scope_conn_options_t){.framing = SCOPE_CONN_LINES,
        .max_frame = 1u << 20, .on_frame = on_answer, .on_end = on_server_end});
    int n = snprintf(line, sizeof line, "Hello server! #1 from %s\n", bad.who);
    size_t big = bad.max_message + 100;
    char *b = bad.kind == OVERSIZE ? malloc(big + 1) : NULL;
    scope_events_log("fault: %s %s", bad.who, plans[bad.kind]);
    if (b) {
        memset(b, 'o', big);
        b[big] = '\n';
        bad_line(b, big + 1);
        free(b);
    }
    if (bad.kind != SILENT)
        bad_line(line, (size_t)n);
}

int fault_client(scope_demo_t *d, const struct sockaddr *server, const char *kind,
                 size_t max_message)
{
    bad.t = (tcp_client_t){.demo = d, .on_connected = on_connected};
    bad.kind = kind_of(kind); /* one of them: main.c checked */
    bad.who = d->role ? d->role : "bad client";
    bad.max_message = max_message;
    return tcp_client_run(&bad.t, server);
}
