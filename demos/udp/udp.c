/* udp.c: the articles' dgram pair on libuv's uv_udp, node dgram's handle.
 *
 *   1. The server: socket(AF_INET, SOCK_DGRAM) and bind() (uv_udp_bind).
 *      No listen(), no accept(): datagrams from anyone arrive on this one fd.
 *   2. Each datagram is one recvmsg() (uv_udp_recv_start's callback): one
 *      message, whole, with its sender's address; the answer, "Hello,
 *      client! Received your message: ...", goes there.
 *   3. The client: connect() on its UDP socket (no packet: it fixes the
 *      default destination and filters what may arrive), then a ping-pong:
 *      "Hello UDP Server! #N", wait for the answer with the same N, time it.
 *   4. UDP never resends and keeps no order: an answer not back within
 *      --timeout is lost, one that comes later is late; the N tells which.
 */
#include <inttypes.h>
#include "udp.h"

static void on_server_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                           const struct sockaddr *from, unsigned flags);

int udp_server_bind(udp_server_t *s, uv_loop_t *loop, const struct sockaddr *addr, int flags)
{
    int r = uv_udp_init_ex(loop, &s->sock, addr->sa_family | (unsigned)flags);
    /* Port 0 asks the kernel for a free port: getsockname() says which. */
    if (r < 0 || (r = uv_udp_bind(&s->sock, addr, 0)) < 0)
        return r;
    int len = sizeof s->addr;
    uv_udp_getsockname(&s->sock, (struct sockaddr *)&s->addr, &len);
    uv_fileno((uv_handle_t *)&s->sock, &s->fd);
    return 0;
}

void udp_server_start(udp_server_t *s, uint64_t idle_ms)
{
    peers_start(s->sock.loop, idle_ms, s->fd);
    uv_udp_recv_start(&s->sock, udp_alloc, on_server_recv);
}

/* Every socket of a process reads into this one buffer: each datagram's
 * callback is done with it before libuv reads again. Room for 20 datagrams:
 * a socket made with UV_UDP_RECVMMSG takes that many per recvmmsg(). */
void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    static char in[20 * 64 * 1024];
    (void)h, (void)suggested;
    *buf = uv_buf_init(in, sizeof in);
}

/* The number after the last '#' in the first bytes: the ping's id, or 0. */
static uint64_t datagram_id(const char *data, size_t len)
{
    size_t n = len < 160 ? len : 160;
    uint64_t id = 0;
    for (size_t i = 0; i < n; i++)
        if (data[i] == '#')
            for (id = 0; i + 1 < n && data[i + 1] >= '0' && data[i + 1] <= '9' && id < (1ull << 50);)
                id = id * 10 + (uint64_t)(data[++i] - '0');
    return id;
}

static void on_server_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                           const struct sockaddr *from, unsigned flags)
{
    udp_server_t *s = scope_container_of(h, udp_server_t, sock);
    if (nread == 0 && !from)
        return; /* libuv's "nothing more to read now", not a datagram */
    if (nread < 0) {
        scope_events_error("recv", "recvmsg(fd %d): %s", s->fd, uv_strerror((int)nread));
        return;
    }
    const char *name;
    size_t len = (size_t)nread;
    uint64_t id = datagram_id(buf->base, len);
    scope_trace_t *t = peers_find(from, id, &name); /* this peer's channel */
    s->received++;
    if (s->refuse && s->refuse(name, buf->base, len, flags & UV_UDP_PARTIAL)) {
        s->refused++;
        return;
    }
    scope_trace_msg(t, SCOPE_TRACE_RECV, id, buf->base, len, 0);

    /* server.send(reply, rinfo.port, rinfo.address): one sendmsg(), one
     * datagram, to the address this one came from. */
    memcpy(s->reply, GREETING, GREETING_LEN);
    memcpy(s->reply + GREETING_LEN, buf->base, len);
    uv_buf_t b = uv_buf_init(s->reply, (unsigned)(GREETING_LEN + len));
    scope_trace_msg(t, SCOPE_TRACE_SEND, id, b.base, b.len, 0);
    /* Sent now or not at all: with the send buffer full (EAGAIN) the answer
     * is dropped, as a router would. */
    int r = uv_udp_try_send(&s->sock, &b, 1, from);
    if (r < 0)
        scope_events_error("send", "sendmsg() of the answer to %s: %s", name, uv_strerror(r));
    else
        s->answered++;
}

void udp_server_close(udp_server_t *s)
{
    peers_close();
    if (s->sock.loop && !uv_is_closing((uv_handle_t *)&s->sock))
        uv_close((uv_handle_t *)&s->sock, NULL);
}

/* ==== the client ========================================================= */

static void on_client_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                           const struct sockaddr *from, unsigned flags);
static void client_send(scope_pacer_t *p);
static void client_next(udp_client_t *c);
static void on_wait_timeout(uv_timer_t *t);

int udp_client_start(udp_client_t *c, scope_demo_t *d, const struct sockaddr *to, int fd,
                     const char *chan, scope_end_t server)
{
    c->demo = d;
    scope_addr_format(to, c->server, sizeof c->server);
    uv_udp_init(d->loop, &c->sock);
    int r = fd >= 0 ? uv_udp_open(&c->sock, fd) : 0;
    /* client.connect(port, host): no packet leaves. The kernel fixes the
     * destination, binds us if need be, and passes us only the server's. */
    if (r == 0)
        r = uv_udp_connect(&c->sock, to);
    if (r < 0) {
        scope_events_error("connect", "connect(%s): %s", c->server, uv_strerror(r));
        uv_close((uv_handle_t *)&c->sock, NULL);
        return r;
    }
    struct sockaddr_storage me;
    int mlen = sizeof me;
    uv_udp_getsockname(&c->sock, (struct sockaddr *)&me, &mlen);
    uv_fileno((uv_handle_t *)&c->sock, &c->fd);
    scope_events_log("socket(SOCK_DGRAM) -> fd %d, port %d; connect(%s): no packet sent, and "
                     "only the server's datagrams will reach us", c->fd,
                     scope_addr_port((struct sockaddr *)&me), c->server);
    scope_trace_init(&c->trace, chan, SCOPE_PID(getpid()), server);
    scope_trace_open(&c->trace, "udp", c->server);
    scope_trace_stats_start(&c->trace, d->loop, 500);
    uv_timer_init(d->loop, &c->wait);
    scope_pacer_init(d, &c->pacer);
    uv_udp_recv_start(&c->sock, udp_alloc, on_client_recv);
    client_next(c);
    return 0;
}

static void client_send(scope_pacer_t *p)
{
    udp_client_t *c = scope_container_of(p, udp_client_t, pacer);
    uint64_t id = c->trace.sent + 1;
    size_t size = c->demo->size <= UDP4_MAX + 1 ? c->demo->size : UDP4_MAX + 1;
    int n = snprintf(c->out, 64, "Hello UDP Server! #%" PRIu64, id);
    size_t len = size > (size_t)n ? size : (size_t)n;
    memset(c->out + n, '\n', len - (size_t)n); /* padded to --size with newlines */
    scope_trace_msg(&c->trace, SCOPE_TRACE_SEND, id, c->out, len, 0);
    c->waiting = id;
    c->sent_ns = scope_time_now_ns();
    uv_buf_t b = uv_buf_init(c->out, (unsigned)len);
    int r = uv_udp_try_send(&c->sock, &b, 1, NULL);
    if (r < 0) {
        c->errors++;
        scope_events_error("send", "sendmsg(fd %d) of %zu bytes: %s", c->fd, len, uv_err_name(r));
        client_next(c);
        return;
    }
    uv_timer_start(&c->wait, on_wait_timeout, (uint64_t)c->timeout_ms, 0);
}

static void on_client_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                           const struct sockaddr *from, unsigned flags)
{
    udp_client_t *c = scope_container_of(h, udp_client_t, sock);
    (void)flags;
    if (nread == 0 && !from) /* nothing more to read now */
        return;
    if (nread < 0) {
        /* A connected UDP socket hears ICMP errors: "port unreachable"
         * comes back as ECONNREFUSED on the next call. */
        c->refused += nread == UV_ECONNREFUSED;
        scope_events_error(nread == UV_ECONNREFUSED ? "refused" : "recv", "recvmsg(fd %d): %s",
                           c->fd, uv_err_name((int)nread));
        if (c->waiting) {
            c->lost++;
            client_next(c);
        }
        return;
    }
    size_t len = (size_t)nread;
    uint64_t id = datagram_id(buf->base, len);
    int greeting = len >= GREETING_LEN && memcmp(buf->base, GREETING, GREETING_LEN) == 0;
    uint64_t rtt = greeting && id && id == c->waiting ? scope_time_now_ns() - c->sent_ns : 0;
    scope_trace_msg(&c->trace, SCOPE_TRACE_RECV, id, buf->base, len, rtt);
    if (rtt) {
        c->answered++;
        client_next(c);
    } else if (greeting && id) {
        c->late++;
        scope_events_log("a late answer to #%" PRIu64 ": already counted lost", id);
    } else {
        scope_events_error("refused", "a %zu-byte datagram, not an answer to us: ignored", len);
    }
}

static void on_wait_timeout(uv_timer_t *t)
{
    udp_client_t *c = scope_container_of(t, udp_client_t, wait);
    c->lost++;
    scope_events_error("lost", "no answer to #%" PRIu64 " within %ld ms: counted lost (UDP never "
                       "resends; an answer that comes later is late)", c->waiting, c->timeout_ms);
    client_next(c);
}

/* The next ping when the pacer allows, or the end. */
static void client_next(udp_client_t *c)
{
    c->waiting = 0;
    uv_timer_stop(&c->wait);
    if ((long)c->trace.sent < c->demo->count && !c->demo->quitting)
        scope_pacer_next(&c->pacer, client_send);
    else
        udp_client_stop(c);
}

void udp_client_stop(udp_client_t *c)
{
    if (c->done)
        return;
    c->done = 1;
    scope_pacer_close(&c->pacer);
    scope_trace_close(&c->trace);
    uv_close((uv_handle_t *)&c->wait, NULL);
    uv_close((uv_handle_t *)&c->sock, NULL);
    c->on_done(c);
}
