/* lesson.c: the lesson's steps on the server's side, in order: bind, then
 * boundaries, the largest datagram, loss and bad input on a receiver socket
 * of their own, fed by the probe; then the seeds' echo with N clients, or
 * the throughput run. Each step starts the next when what it shows has
 * been seen, or after STEP_WAIT_MS.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "udp.h"

const int boundary_sizes[3] = {200, 1200, 20};

/* ==== the lesson steps (server side) ====================================== */

static void step_boundaries(scope_demo_t *d);
static void step_maxsize(scope_demo_t *d);
static void step_loss(scope_demo_t *d);
static void step_bad(scope_demo_t *d);
static void step_echo(scope_demo_t *d);
static void step_throughput(scope_demo_t *d);

static void on_lesson_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                           const struct sockaddr *from, unsigned flags);

static void lesson_timer_start(uv_timer_cb cb, uint64_t ms)
{
    uv_timer_start(&srv.lesson_timer, cb, ms, 0);
}

static void on_lesson_timeout(uv_timer_t *t)
{
    (void)t;
    int part = srv.lesson_part;
    srv.lesson_part = LESSON_IDLE;
    if (srv.lesson_reading) {
        uv_udp_recv_stop(&srv.lesson);
        srv.lesson_reading = 0;
    }
    scope_events_error("lesson", "step %d waited %d ms for what it should show; going on", part,
                       STEP_WAIT_MS);
    scope_demo_step(&udp.demo, "the seeds' echo: the clients send, the server answers", step_echo);
}

static void lesson_start_reading(void)
{
    if (!srv.lesson_reading && uv_udp_recv_start(&srv.lesson, on_alloc, on_lesson_recv) == 0)
        srv.lesson_reading = 1;
}

static void lesson_stop_reading(void)
{
    udp.read_one = 0; /* libuv's loop ends without the ENOBUFS call that resets it */
    if (srv.lesson_reading)
        uv_udp_recv_stop(&srv.lesson);
    srv.lesson_reading = 0;
}

static long probe_pid(void)
{
    kid_t *k = probe_kid();
    return k ? k->pid : -1;
}

static void boundaries_check(void)
{
    if (srv.nsizes < 3)
        return;
    uv_timer_stop(&srv.lesson_timer);
    lesson_stop_reading();
    srv.boundaries_ok = srv.sizes_seen[0] == boundary_sizes[0] &&
                        srv.sizes_seen[1] == boundary_sizes[1] &&
                        srv.sizes_seen[2] == boundary_sizes[2];
    scope_events_log("three recvmsg() calls returned %d, %d and %d bytes: the sizes that were "
                     "sent, in order. Each send() is one datagram and each recv() takes exactly "
                     "one; a TCP stream would have handed all %d bytes to one read()",
                     srv.sizes_seen[0], srv.sizes_seen[1], srv.sizes_seen[2],
                     srv.sizes_seen[0] + srv.sizes_seen[1] + srv.sizes_seen[2]);
    srv.lesson_part = LESSON_IDLE;
    scope_demo_step(&udp.demo, "the largest datagram: 65,507 bytes; one more is EMSGSIZE",
                    step_maxsize);
}

static void maxsize_check(void)
{
    if (!srv.maxsize_got || srv.lesson_done_part != LESSON_MAXSIZE)
        return;
    uv_timer_stop(&srv.lesson_timer);
    lesson_stop_reading();
    srv.lesson_part = LESSON_IDLE;
    scope_demo_step(&udp.demo, "loss: a fast sender, a stalled receiver, a 4 KiB buffer",
                    step_loss);
}

static void on_lesson_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                           const struct sockaddr *from, unsigned flags)
{
    (void)h;
    if (no_datagram(nread, from))
        return;
    if (nread < 0) {
        scope_events_error("recv", "recvmsg() on fd %d: %s", srv.lesson_fd,
                           uv_strerror((int)nread));
        return;
    }
    long pp = probe_pid();
    char sum[80];
    summarize(sum, sizeof sum, buf->base, (size_t)nread);
    scope_events_msg("recv", "probe", pp > 0 ? SCOPE_PID(pp) : SCOPE_PEER("probe"), server_end(), 0,
                     (size_t)nread, sum, 0);
    if (srv.lesson_part == LESSON_BOUNDARIES) {
        if (srv.nsizes < 8)
            srv.sizes_seen[srv.nsizes++] = (int)nread;
        scope_events_log("recvmsg(fd %d) #%d -> %zd bytes%s", srv.lesson_fd, srv.nsizes, nread,
                         (flags & UV_UDP_PARTIAL) ? " (cut: MSG_TRUNC)" : "");
        boundaries_check();
    } else if (srv.lesson_part == LESSON_MAXSIZE) {
        scope_events_log("recvmsg(fd %d) -> %zd bytes in one datagram: 65,535 (the IPv4 total "
                         "length field) - 20 (IP header) - 8 (UDP header) = 65,507. Loopback's "
                         "MTU is 65,536, so it went unfragmented; on Ethernet (MTU 1,500) IP "
                         "would cut it into 45 fragments, and losing any one loses it all",
                         srv.lesson_fd, nread);
        if (nread == UDP4_MAX)
            srv.maxsize_got = 1;
        maxsize_check();
    }
}

void step_bind(scope_demo_t *d)
{
    (void)d;
    /* socket() and bind() happened before hello, so hello could carry the
     * port; this step tells it. */
    struct sockaddr *a = (struct sockaddr *)&srv.echo_addr;
    scope_events_log("socket(%s, SOCK_DGRAM) -> fd %d; bind(%s). No listen(), no accept(): "
                     "datagrams from anyone arrive on this one fd, each with its sender's address",
                     a->sa_family == AF_INET6 ? "AF_INET6" : "AF_INET", srv.echo_fd, srv.echo_name);
    if (scope_addr_is_loopback(a))
        scope_events_log("%s is loopback: only this machine can reach it. Try a real peer: "
                         "nc -u %s %d",
                         srv.echo_name, a->sa_family == AF_INET6 ? "::1" : "127.0.0.1",
                         scope_addr_port(a));
    else
        scope_events_log("%s is reachable from the network: any machine that can route to it may "
                         "send datagrams here, and UDP checks no one. Check your firewall",
                         srv.echo_name);
    if (srv.mode == MODE_SERVER) {
        char idle[32];
        scope_events_log("serving until SIGINT, SIGTERM or quit; peers silent for %s are "
                         "forgotten",
                         scope_time_format(idle, sizeof idle, (double)udp.idle_ms * 1e6));
        return;
    }
    if (srv.mode == MODE_THROUGHPUT) {
        scope_demo_step(&udp.demo, "throughput: one client streams, the server counts",
                        step_throughput);
        return;
    }
    /* The clients start now and wait for the server's go; the lesson's
     * receiver has its own socket, and its sender is one process that sends
     * what each step needs when told. */
    for (int i = 1; i <= udp.clients; i++)
        if (!spawn_kid(0, i))
            break;
    scope_events_log("%d clients started; each connect()s its socket and waits for the server's "
                     "go, sent once the lesson is over",
                     udp.clients);
    kid_t *k = spawn_kid(1, 0);
    if (k) {
        srv.probe_kid = (int)(k - srv.kids);
        scope_events_log("the lesson's receiver: socket(AF_INET, SOCK_DGRAM) -> fd %d, "
                         "bind(%s), not reading yet; its sender is the probe, pid %ld",
                         srv.lesson_fd, srv.lesson_name, k->pid);
    }
    if (udp.no_lesson || !k)
        scope_demo_step(&udp.demo, "the seeds' echo: the clients send, the server answers",
                        step_echo);
    else
        scope_demo_step(&udp.demo, "boundaries: three sends arrive as three datagrams",
                        step_boundaries);
}

static void step_boundaries(scope_demo_t *d)
{
    (void)d;
    srv.lesson_part = LESSON_BOUNDARIES;
    srv.nsizes = 0;
    lesson_stop_reading();
    lesson_timer_start(on_lesson_timeout, STEP_WAIT_MS);
    scope_events_log("the receiver does not read while the probe sends %d, %d and %d bytes in "
                     "three send() calls: all three wait in its queue together",
                     boundary_sizes[0], boundary_sizes[1], boundary_sizes[2]);
    probe_command("probe:boundaries");
}

static void step_maxsize(scope_demo_t *d)
{
    (void)d;
    srv.lesson_part = LESSON_MAXSIZE;
    srv.lesson_done_part = LESSON_IDLE;
    srv.maxsize_got = 0;
    lesson_start_reading();
    lesson_timer_start(on_lesson_timeout, STEP_WAIT_MS);
    scope_events_log("the probe sends 65,507 bytes, then 65,508");
    probe_command("probe:maxsize");
}

/* ---- loss ---- */

void loss_stats(int final)
{
    unsigned long rxq = 0, drops = 0;
    if (udp_proc_stats(srv.lesson_fd, &rxq, &drops) == 0)
        srv.loss_kernel_drops = drops >= srv.loss_base_drops ? drops - srv.loss_base_drops : 0;
    int64_t sent = srv.loss_sent_final > 0 ? srv.loss_sent_final : srv.loss_sent;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "chan", "loss");
    cJSON_AddNumberToObject(o, "count", (double)srv.loss_received);
    cJSON_AddNumberToObject(o, "bytes", (double)srv.loss_bytes);
    cJSON_AddNumberToObject(o, "sent", (double)sent);
    cJSON_AddNumberToObject(o, "received", (double)srv.loss_received);
    cJSON_AddNumberToObject(o, "dropped", (double)(sent - srv.loss_received));
    cJSON_AddNumberToObject(o, "kernel_drops", (double)srv.loss_kernel_drops);
    cJSON_AddNumberToObject(o, "queued_bytes", (double)rxq);
    if (srv.loss_have_ovfl)
        cJSON_AddNumberToObject(o, "rxq_ovfl", (double)srv.loss_ovfl);
    cJSON_AddBoolToObject(o, "final", final);
    scope_events_emit("stats", o);
    if (!final)
        scope_events_log("live: %lld sent, %lld received, %llu dropped by the kernel, %lu bytes "
                         "waiting in the queue",
                         (long long)sent, (long long)srv.loss_received,
                         (unsigned long long)srv.loss_kernel_drops, rxq);
}

/* Reads what waits in the receive queue with recvmsg() on the fd itself:
 * libuv does not hand over ancillary data, and SO_RXQ_OVFL rides there
 * (a uint32: the socket's drop count when this datagram was queued). */
static void loss_drain(void)
{
    for (;;) {
        struct iovec iov = {udp.rbuf, RECV_BUF};
        union {
            char buf[CMSG_SPACE(sizeof(uint32_t))];
            struct cmsghdr align;
        } ctl;
        struct msghdr m = {.msg_iov = &iov,
                           .msg_iovlen = 1,
                           .msg_control = ctl.buf,
                           .msg_controllen = sizeof ctl.buf};
        ssize_t n = recvmsg(srv.lesson_fd, &m, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        int marker = n == 6 && memcmp(udp.rbuf, "marker", 6) == 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL && marker) {
                uint32_t v;
                memcpy(&v, CMSG_DATA(c), sizeof v);
                srv.loss_ovfl = v >= srv.loss_base_drops ? v - srv.loss_base_drops : 0;
                srv.loss_have_ovfl = 1;
            }
        if (marker) {
            srv.loss_marker_got = 1;
            continue;
        }
        srv.loss_received++;
        srv.loss_bytes += (uint64_t)n;
        long pp = probe_pid();
        scope_events_msg("recv", "probe", pp > 0 ? SCOPE_PID(pp) : SCOPE_PEER("probe"),
                         server_end(), parse_id(udp.rbuf, (size_t)n), (size_t)n, "flood", 0);
    }
}

static void loss_finish(void)
{
    uv_timer_stop(&srv.loss_timer);
    loss_stats(1);
    int64_t sent = srv.loss_sent_final;
    scope_events_log("the receiver read %lld of %lld datagrams; %lld were dropped. The kernel "
                     "counted %llu drops (/proc/net/udp). Neither side was told: every send() "
                     "succeeded, and no recv() reports a gap",
                     (long long)srv.loss_received, (long long)sent,
                     (long long)(sent - srv.loss_received),
                     (unsigned long long)srv.loss_kernel_drops);
    if (srv.loss_have_ovfl)
        scope_events_log("SO_RXQ_OVFL = %llu: the count rides on the next datagram that gets in, "
                         "so a marker was sent after the drain to carry it",
                         (unsigned long long)srv.loss_ovfl);
    srv.lesson_part = LESSON_IDLE;
    scope_demo_step(&udp.demo, "bad input: oversize, not UTF-8, empty", step_bad);
}

/* Ticks every 100 ms: live figures while the probe floods, then, once it is
 * done, reading what got in until every datagram is accounted for. */
static void on_loss_tick(uv_timer_t *t)
{
    (void)t;
    if (srv.loss_sent_final <= 0)
        return; /* the live figures come with each burst's report */
    loss_drain();
    unsigned long rxq = 0, drops = 0;
    if (udp_proc_stats(srv.lesson_fd, &rxq, &drops) == 0)
        srv.loss_kernel_drops = drops >= srv.loss_base_drops ? drops - srv.loss_base_drops : 0;
    int accounted = (int64_t)srv.loss_kernel_drops + srv.loss_received >= srv.loss_sent_final;
    if (accounted && !srv.loss_marker_sent) {
        /* The queue is empty now: a marker gets in and carries the count. */
        struct sockaddr *to = (struct sockaddr *)&srv.lesson_addr;
        if (udp_send(&srv.echo, "marker", 6, to) == 6)
            srv.loss_marker_sent = 1;
        return;
    }
    if ((accounted && srv.loss_marker_got) || ++srv.loss_ticks > 30) {
        srv.loss_settled = accounted;
        loss_finish();
    }
}

static void step_loss(scope_demo_t *d)
{
    (void)d;
    srv.lesson_part = LESSON_LOSS;
    lesson_stop_reading();
    int sz = LOSS_RCVBUF, got = 0, on = 1;
    socklen_t sl = sizeof got;
    setsockopt(srv.lesson_fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    getsockopt(srv.lesson_fd, SOL_SOCKET, SO_RCVBUF, &got, &sl);
    int ovfl = setsockopt(srv.lesson_fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
    unsigned long rxq = 0, drops = 0;
    udp_proc_stats(srv.lesson_fd, &rxq, &drops);
    srv.loss_base_drops = drops;
    scope_events_log("setsockopt(fd %d, SO_RCVBUF, %d): getsockopt says %d (the kernel doubles "
                     "it to cover its own bookkeeping; each 1,000-byte datagram costs about "
                     "2 KiB of it)%s",
                     srv.lesson_fd, sz, got,
                     ovfl == 0 ? "; SO_RXQ_OVFL on: each datagram read carries the drop count"
                               : "");
    scope_events_log("the receiver is stalled (recvmsg is not called, as in a busy process); "
                     "the probe sends %d datagrams of %d bytes in %d bursts",
                     FLOOD_DGRAMS, FLOOD_SIZE, FLOOD_BURSTS);
    uv_timer_start(&srv.loss_timer, on_loss_tick, 100, 100);
    probe_command("probe:flood");
}

static void step_bad(scope_demo_t *d)
{
    (void)d;
    srv.lesson_part = LESSON_BAD;
    lesson_timer_start(on_lesson_timeout, STEP_WAIT_MS);
    scope_events_log("the probe sends the echo server a datagram of %zu bytes (over "
                     "--max-message), one that is not UTF-8, and an empty one",
                     udp.max_message + 1);
    probe_command("probe:bad");
}

void lesson_on_done(const char *part, int64_t sent)
{
    if (strcmp(part, "boundaries") == 0 && srv.lesson_part == LESSON_BOUNDARIES) {
        int fionread = -1;
        ioctl(srv.lesson_fd, FIONREAD, &fionread);
        unsigned long rxq = 0, drops = 0;
        udp_proc_stats(srv.lesson_fd, &rxq, &drops);
        scope_events_log("all three wait in the queue (/proc/net/udp rx_queue: %lu bytes, with "
                         "the kernel's overhead); ioctl(FIONREAD) says %d: for UDP, the size of "
                         "the next datagram only. Now reading",
                         rxq, fionread);
        lesson_start_reading();
    } else if (strcmp(part, "maxsize") == 0 && srv.lesson_part == LESSON_MAXSIZE) {
        srv.lesson_done_part = LESSON_MAXSIZE;
        srv.emsgsize_seen = sent == 1;
        maxsize_check();
    } else if (strcmp(part, "flood") == 0 && srv.lesson_part == LESSON_LOSS) {
        srv.loss_sent_final = sent;
        srv.loss_sent = sent;
        scope_events_log("the probe is done: %lld datagrams sent, and every send() said yes. "
                         "The receiver reads again",
                         (long long)sent);
    } else if (strcmp(part, "bad") == 0 && srv.lesson_part == LESSON_BAD) {
        uv_timer_stop(&srv.lesson_timer);
        srv.lesson_part = LESSON_IDLE;
        scope_events_log("the server refused %llu datagrams and answered the empty one; it "
                         "serves on",
                         (unsigned long long)srv.refused);
        scope_demo_step(&udp.demo, "the seeds' echo: the clients send, the server answers",
                        step_echo);
    } else if (strcmp(part, "gone") == 0 && srv.lesson_part != LESSON_IDLE) {
        uv_timer_stop(&srv.lesson_timer);
        uv_timer_stop(&srv.loss_timer);
        lesson_stop_reading();
        srv.lesson_part = LESSON_IDLE;
        scope_demo_step(&udp.demo, "the seeds' echo: the clients send, the server answers",
                        step_echo);
    }
}

/* ---- the echo with N clients ---- */

static void step_echo(scope_demo_t *d)
{
    if (srv.finishing)
        return;
    scope_events_log("go to %d clients; each sends %ld datagrams of %zu bytes "
                     "%s%s; an answer not back within %ld ms counts as lost",
                     udp.clients, d->count, d->size, d->rate > 0 ? "at " : "",
                     d->rate > 0 ? "the chosen rate" : "as fast as answers come", udp.timeout_ms);
    for (int i = 0; i < srv.nkids; i++)
        if (srv.kids[i].used && !srv.kids[i].probe)
            kid_go(&srv.kids[i]);
    server_maybe_finish();
}

/* ---- throughput ---- */

void sink_datagram(size_t len)
{
    uint64_t now = scope_time_now_ns();
    if (!srv.sink_dgrams)
        srv.sink_first_ns = now;
    srv.sink_last_ns = now;
    srv.sink_dgrams++;
    srv.sink_bytes += len;
    scope_end_t from = srv.nkids > 0 ? SCOPE_PID(srv.kids[0].pid) : SCOPE_PEER("client");
    scope_events_msg("recv", "udp1", from, server_end(), 0, len, "stream", 0);
}

static void step_throughput(scope_demo_t *d)
{
    (void)d;
    scope_events_log("one client sends %llu bytes in %zu-byte datagrams as fast as sendmsg() "
                     "goes; the server only counts. Nothing slows the sender down: what the "
                     "receiver cannot take in time is dropped",
                     (unsigned long long)udp.throughput, udp.demo.size);
    /* The same receive buffer as the raw floor's (bench/bench_sock.c): a
     * bigger buffer rides out the moments the receiver is not scheduled. */
    int want = 8 * 1024 * 1024, got = 0;
    socklen_t sl = sizeof got;
    setsockopt(srv.echo_fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
    getsockopt(srv.echo_fd, SOL_SOCKET, SO_RCVBUF, &got, &sl);
    scope_events_log("setsockopt(fd %d, SO_RCVBUF, 8 MiB): getsockopt says %d bytes (capped by "
                     "net.core.rmem_max unless root)",
                     srv.echo_fd, got);
    udp.clients = 1;
    spawn_kid(0, 1);
}
