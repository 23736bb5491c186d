/* unix-socket.c: the articles' net server on a socket path, and its client:
 *   net.createServer(s => s.on('data', d => s.write('pong: ' + d))).listen(path);
 *   const sock = net.connect(path); sock.write('ping'); ...; sock.end();
 *
 *   1. The server: uv_pipe_bind() (socket(), bind(): the kernel makes the file), uv_listen().
 *   2. on_connection(): uv_accept(), then SO_PEERCRED: who is it?
 *   3. A stream keeps no message boundaries: lib's conn cuts it into lines,
 *      each answered "pong: LINE"; bytes without a newline are answered too
 *      (at the half-close, or after PARTIAL_MS), as node answers any 'data'.
 *   4. The client: uv_pipe_connect(), a ping per --rate, each pong timed.
 *   5. Its end, as socket.end(): shutdown(SHUT_WR), then read on to EOF.
 */
#include "unix-socket.h"

#define PARTIAL_MS 75
static void on_connection(uv_stream_t *listener, int status);
static void on_line(scope_conn_t *c, const char *line, size_t len);
static void on_peer_end(scope_conn_t *c, int status);
static void on_peer_closed(scope_conn_t *c);

/* Step 1. bound_fd: an abstract name already bound (stale.c), or -1. */
int us_listen(us_server_t *s, uv_loop_t *loop, const char *path, int bound_fd)
{
    uv_pipe_init(loop, &s->listener, 0);
    s->listener.data = s;
    int r = bound_fd >= 0 ? uv_pipe_open(&s->listener, bound_fd) : uv_pipe_bind(&s->listener, path);
    if (r == 0) /* backlog 128: connect()s the kernel completes before we accept them */
        r = uv_listen((uv_stream_t *)&s->listener, 128, on_connection);
    if (r < 0)
        uv_close((uv_handle_t *)&s->listener, NULL);
    s->listening = r == 0;
    return r;
}

static void on_connection(uv_stream_t *listener, int status)
{
    us_server_t *s = listener->data;
    us_peer_t *p = status < 0 ? NULL : calloc(1, sizeof *p);
    if (!p)
        return;
    *p = (us_peer_t){.c.data = p, .server = s, .next = s->peers};
    scope_conn_init_pipe(listener->loop, &p->c, on_peer_closed);
    s->peers = p;
    s->npeers++;
    if (uv_accept(listener, &p->c.h.stream) < 0) {
        scope_conn_close(&p->c);
        return;
    }
    /* Who is it? The kernel recorded the peer's pid, uid and gid at its
     * connect(): getsockopt(SO_PEERCRED), which the peer cannot forge. */
    scope_peer_cred(scope_conn_fd(&p->c), &p->pid, &p->uid, &p->gid);
    scope_conn_options_t o = {.framing = SCOPE_CONN_LINES, .max_frame = s->max_message,
                              .idle_ms = s->idle_ms, .partial_ms = PARTIAL_MS,
                              .on_frame = on_line, .on_error = s->on_oversize,
                              .on_end = on_peer_end};
    scope_conn_start(&p->c, &o);
    s->accepted++;
    const char *refusal = s->on_accept ? s->on_accept(p) : NULL;
    char chan[32];
    snprintf(chan, sizeof chan, "unix:%ld", (long)p->pid);
    scope_trace_init(&p->trace, chan, SCOPE_PID(getpid()),
                     p->ours ? SCOPE_PID(p->pid) : SCOPE_PEER(p->name));
    p->trace.framing_bytes = 1; /* each line's '\n' */
    scope_trace_open(&p->trace, "unix", p->detail);
    if (refusal) { /* told why, then closed */
        s->refused++;
        scope_conn_send(&p->c, refusal, strlen(refusal));
        scope_trace_send(&p->trace, refusal, strlen(refusal));
        scope_conn_close(&p->c);
    }
}

/* The articles' server: sock.write('pong: ' + d); len + 7 bytes, to free. */
char *us_pong(const char *line, size_t len)
{
    char *reply = malloc(len + 7);
    if (reply) {
        memcpy(reply, "pong: ", 6);
        memcpy(reply + 6, line, len);
        reply[len + 6] = '\n';
    }
    return reply;
}

/* Step 3: a line, or what came without its newline. */
static void on_line(scope_conn_t *c, const char *line, size_t len)
{
    us_peer_t *p = c->data;
    us_server_t *s = p->server;
    s->lines_in++;
    if (s->on_line && s->on_line(p, line, len))
        return;
    scope_trace_recv(&p->trace, line, len);
    char *reply = us_pong(line, len);
    int r = reply ? scope_conn_write_raw(c, reply, len + 7) : UV_ENOMEM; /* in one write() */
    if (r == 0) {
        s->replies++;
        scope_trace_send(&p->trace, reply, len + 6);
    } else if (r == UV_EPIPE) { /* EOF was no half-close: the peer has gone */
        s->bad_input++;
        scope_events_error("vanished", "%s went away mid-line (EOF, then EPIPE): %zu bytes "
                           "of an unfinished line, and nobody to answer", p->name, len);
    }
    free(reply);
}

/* The peer's EOF (conn lets our last answers out, then closes), or its end. */
static void on_peer_end(scope_conn_t *c, int status)
{
    us_peer_t *p = c->data;
    if (status == UV_ETIMEDOUT && p->server->on_idle)
        p->server->on_idle(p);
    else if (status == 0)
        scope_events_log("read() returned 0: %s closed its end after %llu %s", p->name,
                         (unsigned long long)c->frames_in,
                         scope_events_trn("line", "lines", (unsigned long)c->frames_in));
    else
        scope_events_error("read", "%s: %s; closing it (%llu bytes of a line unanswered)",
                           p->name, uv_strerror(status), (unsigned long long)c->partial_bytes);
}

static void on_peer_closed(scope_conn_t *c)
{
    us_peer_t *p = c->data, **pp;
    us_server_t *s = p->server;
    for (pp = &s->peers; *pp != p; pp = &(*pp)->next)
        ;
    *pp = p->next;
    s->npeers--;
    scope_trace_close(&p->trace);
    free(p);
    if (s->on_peer_closed)
        s->on_peer_closed(s);
}

/* The end of the run: each peer's last answers go out first (for a second at most). */
void us_server_close(us_server_t *s)
{
    if (s->listening && !uv_is_closing((uv_handle_t *)&s->listener))
        uv_close((uv_handle_t *)&s->listener, NULL);
    for (us_peer_t *p = s->peers; p; p = p->next)
        scope_conn_close(&p->c);
}

/* ---- the client: its functions bottom-up, us_connect() last ---- */

static void ping(scope_pacer_t *pc)
{
    us_client_t *c = pc->data;
    size_t size = c->demo->size > c->max_message ? c->max_message : c->demo->size;
    char *line = malloc(size + 32);
    if (!line)
        return;
    size_t n = (size_t)snprintf(line, 32, "ping %llu ", (unsigned long long)c->trace.sent + 1);
    memset(line + n, 'x', size > n ? size - n : 0);
    n = size > n ? size : n - 1; /* padded to --size, or no pad at all */
    scope_trace_send(&c->trace, line, n);
    c->t_sent = scope_time_now_ns();
    scope_conn_send(&c->c, line, n); /* an EPIPE shows as the server's end */
    free(line);
}

/* Step 5: socket.end(). */
void us_client_end(us_client_t *c)
{
    if (c->done++)
        return;
    scope_pacer_close(&c->pacer);
    scope_conn_end(&c->c);
}

static void on_pong(scope_conn_t *cc, const char *line, size_t len)
{
    us_client_t *c = cc->data;
    uint64_t rtt = c->t_sent ? scope_time_now_ns() - c->t_sent : 0;
    c->t_sent = 0;
    if (c->on_line && c->on_line(c, line, len))
        return;
    scope_trace_reply(&c->trace, line, len, rtt);
    if ((long)c->trace.latency.count >= c->demo->count)
        us_client_end(c);
    else if (!c->done)
        scope_pacer_next(&c->pacer, ping);
}

static void on_client_closed(scope_conn_t *cc)
{
    us_client_t *c = cc->data;
    if (!c->done && !c->code) { /* not the EOF that answers ours */
        scope_events_error("closed", "the server closed the connection after %llu pongs",
                           (unsigned long long)c->trace.latency.count);
        c->code = 1;
    }
    scope_pacer_close(&c->pacer);
    scope_trace_close(&c->trace);
    scope_demo_exit(c->demo, c->code);
    scope_demo_stop(c->demo);
}

static void on_connect(uv_connect_t *req, int status)
{
    us_client_t *c = req->data;
    if (status < 0) {
        scope_events_error(
            "connect", "connect(%s): %s%s", c->shown, uv_err_name(status),
            status == UV_ENOENT ? scope_events_tr(": no such file (no server ever bound it)")
            : status == UV_ECONNREFUSED ? scope_events_tr(": nobody listens (a stale file?)")
            : status == UV_EACCES       ? scope_events_tr(": permission denied (file or directory)")
                                        : "");
        c->code = 1;
        scope_conn_close(&c->c);
        return;
    }
    /* SO_PEERCRED works on our end too: it names the server. */
    scope_peer_cred(scope_conn_fd(&c->c), &c->server.pid, &c->server.uid, &c->server.gid);
    scope_events_log("connect(%s) -> fd %d; getsockopt(SO_PEERCRED) on our end names the "
                     "server: pid %ld, uid %ld, gid %ld", c->shown, scope_conn_fd(&c->c),
                     (long)c->server.pid, (long)c->server.uid, (long)c->server.gid);
    char chan[32];
    snprintf(chan, sizeof chan, "unix:%ld", (long)getpid());
    scope_trace_init(&c->trace, chan, SCOPE_PID(getpid()), SCOPE_PID(c->server.pid));
    c->trace.framing_bytes = 1;
    if (!c->demo->role) /* the server shows the channel of a client it started */
        scope_trace_open(&c->trace, "unix", c->shown);
    scope_trace_stats_start(&c->trace, c->demo->loop, 500);
    scope_conn_options_t o = {.framing = SCOPE_CONN_LINES, .max_frame = c->max_message + 64,
                              .on_frame = on_pong};
    scope_conn_start(&c->c, &o);
    scope_events_proc("ready", getpid(), getppid(), c->demo->role ? c->demo->role : "client", 0, 0);
    if (c->on_connected)
        c->on_connected(c);
    else if (c->demo->count > 0)
        scope_pacer_next(&c->pacer, ping);
    else
        us_client_end(c);
}

/* Step 4. Without a path, fd: an abstract name connected already
 * (lib/unixsock), or the negative errno of that connect(). */
void us_connect(us_client_t *c, const char *path, int fd)
{
    scope_conn_init_pipe(c->demo->loop, &c->c, on_client_closed);
    scope_pacer_init(c->demo, &c->pacer);
    c->c.data = c->connect_req.data = c->pacer.data = c;
    if (path)
        uv_pipe_connect(&c->connect_req, &c->c.h.pipe, path, on_connect);
    else
        on_connect(&c->connect_req, fd < 0 ? fd : uv_pipe_open(&c->c.h.pipe, fd));
}
