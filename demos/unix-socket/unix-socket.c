/* unix-socket.c: the articles' net server on a socket path, in the calls
 * node makes for it (the client is client.c):
 *   net.createServer(sock => sock.on('data', d => sock.write('pong: ' + d)))
 *      .listen('/tmp/app.sock');
 *
 *   1. The socket file goes in a private directory (mode 0700, stale.c): in
 *      a world-writable /tmp another user could take the path first.
 *   2. The server: uv_pipe_bind() (socket(AF_UNIX), bind(): the kernel makes
 *      the socket file), uv_listen(); per client uv_accept(), SO_PEERCRED
 *      (who is it?), uv_read_start().
 *   3. A stream keeps no message boundaries: the server cuts it into lines
 *      and answers each with "pong: LINE". Bytes without a newline are
 *      answered too, as node answers whatever 'data' brought: when the peer
 *      half-closes, or when nothing more comes for QUIET_MS.
 *   4. Each answer goes out with uv_write (us_write); at the peer's end,
 *      uv_shutdown() lets the last answers out before close().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "net.h"
#include "unix-socket.h"

/* Long enough for the rest of a line written at once to arrive, short
 * enough that a person typing into nc sees the answer at once. */
#define QUIET_MS 75

static void on_connection(uv_stream_t *listener, int status);
static void on_server_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf);
static void on_peer_line(void *arg, cJSON *v, const char *line, size_t len);
static void on_peer_timer(uv_timer_t *t);
static void on_peer_closed(uv_handle_t *h);
static void server_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf);

/* Step 2. bound_fd: an abstract name already bound (abstract.c), or -1. */
int us_listen(us_server_t *s, const char *path, int bound_fd)
{
    uv_pipe_init(s->loop, &s->listener, 0);
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
    uv_pipe_init(s->loop, &p->pipe, 0);
    uv_timer_init(s->loop, &p->timer);
    p->pipe.data = p->timer.data = p;
    p->server = s;
    p->next = s->peers;
    s->peers = p;
    s->npeers++;
    if (uv_accept(listener, (uv_stream_t *)&p->pipe) < 0) {
        us_peer_end(p);
        return;
    }
    /* Who is it? The kernel recorded the peer's pid, uid and gid at its
     * connect(): getsockopt(SO_PEERCRED), which the peer cannot forge. */
    uv_os_fd_t fd = -1;
    uv_fileno((uv_handle_t *)&p->pipe, &fd);
    scope_peer_cred(fd, &p->pid, &p->uid, &p->gid);
    snprintf(p->chan, sizeof p->chan, "unix:%ld", (long)p->pid);
    snprintf(p->name, sizeof p->name, "peer %ld", (long)p->pid);
    p->idle_ms = s->idle_ms;
    s->accepted++;
    const char *refusal = s->on_accept ? s->on_accept(p) : NULL;
    scope_trace_init(&p->trace, p->chan, SCOPE_PID(getpid()),
                     p->ours ? SCOPE_PID(p->pid) : SCOPE_PEER(p->name));
    scope_trace_open(&p->trace, "unix", p->detail);
    scope_lines_init(&p->lines, s->max_message, on_peer_line, s->on_oversize, p);
    if (refusal) { /* told why, then closed */
        s->refused++;
        us_peer_say(p, refusal);
        us_peer_end(p);
    } else {
        uv_read_start((uv_stream_t *)&p->pipe, server_alloc, on_server_read);
        if (p->idle_ms)
            uv_timer_start(&p->timer, on_peer_timer, p->idle_ms, 0);
    }
}

/* Step 3. Bytes left without '\n' wait QUIET_MS at most for their rest. */
static void on_server_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    us_peer_t *p = st->data;
    if (n > 0) {
        scope_ndjson_feed(&p->lines, buf->base, (size_t)n);
        if (scope_ndjson_pending(&p->lines))
            uv_timer_start(&p->timer, on_peer_timer, QUIET_MS, 0);
        else if (p->idle_ms)
            uv_timer_start(&p->timer, on_peer_timer, p->idle_ms, 0);
        return;
    }
    p->eof = n < 0;
    if (!p->eof)
        return;
    /* A half-close (shutdown(SHUT_WR): nc -N, node's end()): the peer still
     * reads, so what it left without a newline is answered before we close. */
    if (n == UV_EOF && scope_ndjson_pending(&p->lines))
        scope_ndjson_feed(&p->lines, "\n", 1);
    else if (n == UV_EOF)
        scope_events_log("read() returned 0: %s closed its end after %llu lines", p->name,
                         (unsigned long long)p->lines_in);
    else
        scope_events_error("read", "%s: %s; closing it", p->name, uv_strerror((int)n));
    us_peer_end(p);
}

static void on_peer_line(void *arg, cJSON *v, const char *line, size_t len)
{
    us_peer_t *p = arg;
    us_server_t *s = p->server;
    (void)v;
    p->lines_in++;
    s->lines_in++;
    if (s->on_line && s->on_line(p, line, len))
        return;
    scope_trace_recv(&p->trace, line, len + 1);
    /* The articles' server: sock.write('pong: ' + d). */
    char stack[512], *reply = len + 7 <= sizeof stack ? stack : malloc(len + 7);
    if (!reply)
        return;
    memcpy(reply, "pong: ", 6);
    memcpy(reply + 6, line, len);
    reply[len + 6] = '\n';
    int r = us_write((uv_stream_t *)&p->pipe, reply, len + 7);
    if (r == 0) {
        s->replies++;
        scope_trace_send(&p->trace, reply, len + 7);
    } else if (p->eof) { /* EPIPE after EOF: no half-close, the peer is gone */
        s->bad_input++;
        scope_events_error("vanished", "%s went away mid-line (EOF): %zu bytes of an unfinished "
                           "line, and nobody to answer", p->name, len);
    }
    if (reply != stack)
        free(reply);
}

static void on_peer_timer(uv_timer_t *t)
{
    us_peer_t *p = t->data;
    if (scope_ndjson_pending(&p->lines)) {
        /* Nothing more came: answer what did, as if its newline had come. */
        scope_ndjson_feed(&p->lines, "\n", 1);
        if (p->idle_ms)
            uv_timer_start(&p->timer, on_peer_timer, p->idle_ms, 0);
    } else { /* silent for --idle-ms */
        if (p->server->on_idle)
            p->server->on_idle(p);
        us_peer_end(p);
    }
}

/* A line of the server's own (a refusal, an error). */
int us_peer_say(us_peer_t *p, const char *line)
{
    char buf[256];
    int n = snprintf(buf, sizeof buf, "%.250s\n", line);
    int r = us_write((uv_stream_t *)&p->pipe, buf, (size_t)n);
    if (r == 0)
        scope_trace_send(&p->trace, buf, (size_t)n);
    return r;
}

static void close_peer(uv_shutdown_t *req, int status)
{
    us_peer_t *p = req->data;
    (void)status;
    if (!uv_is_closing((uv_handle_t *)&p->pipe)) {
        uv_close((uv_handle_t *)&p->timer, on_peer_closed);
        uv_close((uv_handle_t *)&p->pipe, on_peer_closed);
    }
}

/* Our answers go out first (uv_shutdown waits for them), then close(). */
void us_peer_end(us_peer_t *p)
{
    if (p->closing++)
        return;
    uv_read_stop((uv_stream_t *)&p->pipe);
    uv_timer_stop(&p->timer);
    p->shutdown_req.data = p;
    if (uv_shutdown(&p->shutdown_req, (uv_stream_t *)&p->pipe, close_peer) < 0)
        close_peer(&p->shutdown_req, 0);
}

static void on_peer_closed(uv_handle_t *h)
{
    us_peer_t *p = h->data, **pp = &p->server->peers;
    us_server_t *s = p->server;
    if (++p->closed < 2) /* the timer's close, then the pipe's */
        return;
    for (s->npeers--; *pp != p; pp = &(*pp)->next)
        ;
    *pp = p->next;
    scope_trace_close(&p->trace);
    scope_ndjson_free(&p->lines);
    free(p);
    if (s->on_peer_closed)
        s->on_peer_closed(s);
}

/* The end of the run: no waiting on peers that may never read. */
void us_server_close(us_server_t *s)
{
    if (s->listening && !uv_is_closing((uv_handle_t *)&s->listener))
        uv_close((uv_handle_t *)&s->listener, NULL);
    for (us_peer_t *p = s->peers; p; p = p->next) {
        p->closing = 1;
        close_peer(&(uv_shutdown_t){.data = p}, 0);
    }
}

static void server_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    us_server_t *s = ((us_peer_t *)h->data)->server;
    (void)hint;
    *buf = uv_buf_init(s->buf, sizeof s->buf); /* each read is cut into lines at once */
}
