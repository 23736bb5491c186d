/* faults.c: bad peers (--fault, or the dashboard's fault command), and how
 * the server meets them while it serves the others:
 *   oversize  a line over --max-message: refused, told, skipped to its newline
 *   silent    a peer that says nothing: cut after --idle-ms
 *   vanish    half a line, then the process ends without a goodbye
 */
#include "unix-socket.h"

/* ---- the server's side (hooks of us_server_t) ---- */

void faults_server_oversize(scope_conn_t *c, const scope_frame_error_t *err)
{
    us_peer_t *p = c->data;
    char line[160];
    p->server->bad_input++;
    scope_events_error("oversize", "from %s: a line of at least %llu bytes, over --max-message "
                       "%zu: skipped to its newline", p->name, (unsigned long long)err->size,
                       p->server->max_message);
    int n = snprintf(line, sizeof line, "error: line of at least %llu bytes is over the %zu-byte "
                     "limit; skipped", (unsigned long long)err->size, p->server->max_message);
    scope_conn_send(c, line, (size_t)n);
    scope_trace_send(&p->trace, line, (size_t)n);
}

/* lib's conn has ended the connection and closes it when we return: a last
 * word goes straight into the socket, which a silent peer has room for. */
void faults_server_idle(us_peer_t *p)
{
    char line[96];
    unsigned long long ms = p->server->idle_ms;
    p->server->bad_input++;
    scope_events_error("idle", "%s said nothing for %llu ms (--idle-ms): closing it", p->name, ms);
    int n = snprintf(line, sizeof line, "error: idle for %llu ms; closing\n", ms);
    uv_buf_t b = uv_buf_init(line, (unsigned)n);
    if (uv_try_write(&p->c.h.stream, &b, 1) == n)
        scope_trace_send(&p->trace, line, (size_t)n - 1);
}

/* ---- the bad client ---- */

static const char *kind;

static void act(us_client_t *c)
{
    if (strcmp(kind, "oversize") == 0) {
        size_t n = c->max_message + 100;
        char *big = malloc(n + 1);
        if (!big) {
            us_client_end(c);
            return;
        }
        memset(big, 'o', n);
        big[n] = '\n';
        scope_events_log("fault: writing a %zu-byte line, over the server's %zu-byte limit; "
                         "then an ordinary ping", n + 1, c->max_message);
        scope_trace_send(&c->trace, big, n);
        scope_conn_write_raw(&c->c, big, n + 1);
        free(big);
        scope_trace_send(&c->trace, "ping 1 after the big one", 24);
        scope_conn_send(&c->c, "ping 1 after the big one", 24);
    } else if (strcmp(kind, "silent") == 0) {
        scope_events_log("fault: connected, and saying nothing until --idle-ms cuts us");
        c->done = 1; /* its EOF is what we wait for */
    } else {
        scope_events_log("fault: writing half a line, then vanishing before its newline");
        scope_trace_note(&c->trace, SCOPE_TRACE_SEND, "ping 1 half a li", 16); /* no '\n' */
        scope_conn_write_raw(&c->c, "ping 1 half a li", 16);
        /* No newline, no close, no goodbye: the process just ends, as a crash
         * would, and the kernel closes the socket for it. */
        _exit(0);
    }
}

/* "error: ..." lines are told by credentials.c; any other answer ends us. */
static int on_line(us_client_t *c, const char *line, size_t len)
{
    if (credentials_client_line(c, line, len))
        return 1;
    scope_trace_recv(&c->trace, line, len);
    scope_events_log("the server still answers after our bad line: %.*s", (int)len, line);
    us_client_end(c);
    return 1;
}

void faults_client(us_client_t *c, const char *fault)
{
    kind = fault;
    c->on_connected = act;
    c->on_line = on_line;
}
