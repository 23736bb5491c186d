/* client.c: the articles' client, net.connect('/tmp/app.sock'), in the
 * calls node makes for it.
 *
 *   1. uv_pipe_connect(): socket(AF_UNIX), connect(path). ENOENT: no server
 *      ever bound it; ECONNREFUSED: a stale file; EACCES: the directory.
 *   2. SO_PEERCRED on our end names the server, as the server's names us.
 *   3. A ping per --rate ("ping N", padded to --size, then '\n'); each
 *      "pong: ..." is timed.
 *   4. The end, as node's socket.end(): uv_shutdown() (shutdown(SHUT_WR), a
 *      half-close), then reading on until the server's answers are in and
 *      it closes its end too. Closing at once would leave a server that
 *      still answers writing to nobody: EPIPE, and a node server with no
 *      'error' handler dies of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "net.h"
#include "unix-socket.h"

static void on_connect(uv_connect_t *req, int status);
static void on_client_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf);
static void on_client_line(void *arg, cJSON *v, const char *line, size_t len);
static void on_client_closed(uv_handle_t *h);
static void client_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf);

/* Step 1. connected_fd: an abstract name, already connected (abstract.c). */
int us_connect(us_client_t *c, const char *path, int connected_fd)
{
    uv_pipe_init(c->demo->loop, &c->pipe, 0);
    c->pipe.data = c->connect_req.data = c;
    c->open = 1;
    scope_pacer_init(c->demo, &c->pacer);
    c->pacer.data = c;
    if (connected_fd < 0) {
        uv_pipe_connect(&c->connect_req, &c->pipe, path, on_connect);
        return 0;
    }
    int r = uv_pipe_open(&c->pipe, connected_fd);
    on_connect(&c->connect_req, r);
    return r;
}

static void client_ping(scope_pacer_t *pc)
{
    us_client_t *c = pc->data;
    size_t size = c->demo->size > c->max_message ? c->max_message : c->demo->size;
    if (c->cap < size + 32 && !(c->line = realloc(c->line, c->cap = size + 32)))
        return;
    int n = snprintf(c->line, c->cap, "ping %llu ", (unsigned long long)c->trace.sent + 1);
    if (size > (size_t)n)
        memset(c->line + n, 'x', size - (size_t)n);
    n = size > (size_t)n ? (int)size : n - 1; /* padded to --size, or no pad at all */
    c->line[n++] = '\n';
    scope_trace_send(&c->trace, c->line, (size_t)n);
    c->t_sent = scope_time_now_ns();
    us_write((uv_stream_t *)&c->pipe, c->line, (size_t)n); /* an EPIPE shows as EOF */
}

static void on_connect(uv_connect_t *req, int status)
{
    us_client_t *c = req->data;
    if (status < 0) {
        scope_events_error("connect", "connect(%s): %s%s", c->shown, uv_err_name(status),
                           status == UV_ENOENT ? ": no such file (no server ever bound it)"
                           : status == UV_ECONNREFUSED ? ": nobody listens (a stale file)"
                           : status == UV_EACCES ? ": permission denied (file or directory)" : "");
        c->code = 1;
        uv_close((uv_handle_t *)&c->pipe, on_client_closed);
        return;
    }
    /* Step 2. */
    uv_os_fd_t fd = -1;
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    uv_fileno((uv_handle_t *)&c->pipe, &fd);
    scope_peer_cred(fd, &pid, &uid, &gid);
    scope_events_log("connect(%s) -> fd %d; getsockopt(SO_PEERCRED) on our end names the "
                     "server: pid %ld, uid %ld, gid %ld",
                     c->shown, fd, (long)pid, (long)uid, (long)gid);
    char chan[32], server[32];
    snprintf(chan, sizeof chan, "unix:%ld", (long)getpid());
    snprintf(server, sizeof server, "server %ld", (long)pid);
    scope_trace_init(&c->trace, chan, SCOPE_PID(getpid()),
                     c->demo->role ? SCOPE_PID(getppid()) : SCOPE_PEER(server));
    if (!c->demo->role) /* the server shows the channel of a client it started */
        scope_trace_open(&c->trace, "unix", c->shown);
    scope_trace_stats_start(&c->trace, c->demo->loop, 500);
    scope_lines_init(&c->lines, c->max_message + 64, on_client_line, NULL, c);
    uv_read_start((uv_stream_t *)&c->pipe, client_alloc, on_client_read);
    scope_events_proc("ready", getpid(), getppid(), c->demo->role ? c->demo->role : "client", 0,
                      0);
    if (c->on_connected)
        c->on_connected(c);
    else if (c->demo->count > 0)
        scope_pacer_next(&c->pacer, client_ping);
    else
        us_client_end(c);
}

/* Step 3. */
static void on_client_line(void *arg, cJSON *v, const char *line, size_t len)
{
    us_client_t *c = arg;
    uint64_t rtt = c->t_sent ? scope_time_now_ns() - c->t_sent : 0;
    (void)v;
    c->t_sent = 0;
    if (c->on_line && c->on_line(c, line, len))
        return;
    scope_trace_reply(&c->trace, line, len + 1, rtt);
    if ((long)c->trace.latency.count >= c->demo->count)
        us_client_end(c);
    else if (!c->done)
        scope_pacer_next(&c->pacer, client_ping);
}

static void on_client_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    us_client_t *c = st->data;
    if (n > 0)
        scope_ndjson_feed(&c->lines, buf->base, (size_t)n);
    if (n >= 0)
        return;
    if (!c->done && !c->code) {
        scope_events_error("closed", "the server closed the connection (%s) after %llu of %ld "
                           "pongs", n == UV_EOF ? "EOF" : uv_strerror((int)n),
                           (unsigned long long)c->trace.latency.count, c->demo->count);
        c->code = 1;
    }
    c->done = 1;
    uv_close((uv_handle_t *)&c->pipe, on_client_closed);
}

/* Step 4. */
void us_client_end(us_client_t *c)
{
    if (c->done++ || !c->open)
        return;
    scope_pacer_close(&c->pacer);
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->pipe, NULL) < 0 &&
        !uv_is_closing((uv_handle_t *)&c->pipe))
        uv_close((uv_handle_t *)&c->pipe, on_client_closed);
}

static void on_client_closed(uv_handle_t *h)
{
    us_client_t *c = h->data;
    c->open = 0;
    scope_trace_close(&c->trace);
    scope_ndjson_free(&c->lines);
    free(c->line);
    c->line = NULL;
    if (c->on_closed)
        c->on_closed(c);
}

static void client_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    us_client_t *c = h->data;
    (void)hint;
    *buf = uv_buf_init(c->buf, sizeof c->buf);
}

/* Both ends write with this (the server its answers, the client its pings). */
static void on_written(uv_write_t *req, int status)
{
    (void)status; /* a failed write shows on the read side too */
    free(req);
}

/* uv_write, but straight into the socket when it takes it all (the common
 * case: no copy, no callback), else the rest is copied and queued. */
int us_write(uv_stream_t *s, const char *data, size_t len)
{
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    int n = uv_stream_get_write_queue_size(s) ? 0 : uv_try_write(s, &b, 1);
    if (n < 0 && n != UV_EAGAIN)
        return n;
    size_t done = n > 0 ? (size_t)n : 0;
    uv_write_t *req = done < len ? malloc(sizeof *req + len - done) : NULL;
    if (!req)
        return done < len ? UV_ENOMEM : 0;
    memcpy(req + 1, data + done, len - done);
    b = uv_buf_init((char *)(req + 1), (unsigned)(len - done));
    if ((n = uv_write(req, s, &b, 1, on_written)) < 0)
        free(req);
    return n;
}
