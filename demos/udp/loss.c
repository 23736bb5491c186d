/* loss.c: a fast sender, a stalled receiver, a 4 KiB buffer. What does not
 * fit is dropped without a word to either side; only the kernel's counts
 * (SO_MEMINFO, SO_RXQ_OVFL) say how many. Certain by construction, not by
 * timing: 200,000 bytes cannot fit in a buffer nobody empties. */
#include <linux/sock_diag.h>
#include "udp.h"

static struct {
    udp_probe_t p; /* its socket is read by hand, for its ancillary data */
    uv_timer_t tick;
    uint32_t base_drops, drops, ovfl, queued;
    int have_ovfl, probe_done, marker_sent, marker_got, settled;
    char buf[64 * 1024];
} l;

/* The kernel's figures of the socket (bytes queued, datagrams dropped). */
static cJSON *kernel_figures(void)
{
    uint32_t mem[SK_MEMINFO_VARS] = {0};
    socklen_t len = sizeof mem;
    if (getsockopt(l.p.fd, SOL_SOCKET, SO_MEMINFO, mem, &len) == 0) {
        l.queued = mem[SK_MEMINFO_RMEM_ALLOC];
        l.drops = mem[SK_MEMINFO_DROPS] - l.base_drops;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "kernel_drops", l.drops);
    cJSON_AddNumberToObject(o, "queued_bytes", l.queued);
    if (l.have_ovfl)
        cJSON_AddNumberToObject(o, "rxq_ovfl", l.ovfl);
    return o;
}

static void finish(void)
{
    uv_close((uv_handle_t *)&l.tick, NULL);
    int64_t got = (int64_t)l.p.trace.received;
    cJSON *o = kernel_figures();
    cJSON_AddNumberToObject(o, "sent", (double)l.p.sent);
    cJSON_AddNumberToObject(o, "received", (double)got);
    cJSON_AddNumberToObject(o, "dropped", (double)(l.p.sent - got));
    cJSON_AddBoolToObject(o, "accounted", l.settled);
    scope_demo_figure(l.p.demo, "loss", o);
    scope_events_log("the kernel counted %u drops (SO_MEMINFO, as /proc/net/udp). Neither side "
                     "was told: every send() succeeded, and no recv() reports a gap", l.drops);
    if (l.have_ovfl)
        scope_events_log("SO_RXQ_OVFL = %u: the count rides on the next datagram that gets in, "
                         "so a marker was sent after the drain to carry it", l.ovfl);
    probe_end(&l.p, kernel_figures());
}

/* recvmsg() on the fd itself: libuv does not hand over ancillary data, where
 * SO_RXQ_OVFL rides (the socket's drop count when this datagram was queued). */
static void drain(void)
{
    for (;;) {
        struct iovec iov = {l.buf, sizeof l.buf};
        union {
            char buf[CMSG_SPACE(sizeof(uint32_t))];
            struct cmsghdr align;
        } ctl;
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                             .msg_controllen = sizeof ctl.buf};
        ssize_t n = recvmsg(l.p.fd, &msg, MSG_DONTWAIT);
        if (n < 0)
            return; /* empty (or interrupted: the next tick goes on) */
        if (n == 6 && !memcmp(l.buf, "marker", 6)) {
            struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
            if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
                memcpy(&l.ovfl, CMSG_DATA(c), sizeof l.ovfl);
                l.ovfl -= l.base_drops;
                l.have_ovfl = 1;
            }
            l.marker_got = 1;
            continue;
        }
        scope_trace_msg(&l.p.trace, SCOPE_TRACE_RECV, 0, l.buf, (size_t)n, 0);
    }
}

/* Every 100 ms once the probe is done: drain until each datagram is accounted for. */
static void on_tick(uv_timer_t *t)
{
    (void)t;
    if (l.p.over || l.p.demo->quitting) {
        finish();
        return;
    }
    if (!l.probe_done)
        return;
    drain();
    cJSON_Delete(kernel_figures());
    int accounted = l.drops + l.p.trace.received >= (uint64_t)l.p.sent;
    if (accounted && !l.marker_sent) {
        /* The queue is empty now: a marker gets in and carries the count. */
        struct sockaddr_storage a;
        int alen = sizeof a;
        uv_udp_getsockname(&l.p.sock, (struct sockaddr *)&a, &alen);
        l.marker_sent = sendto(l.p.fd, "marker", 6, 0, (struct sockaddr *)&a, (socklen_t)alen) == 6;
    } else if (accounted && l.marker_got) {
        l.settled = 1;
        finish();
    }
}

static void on_report(udp_probe_t *p, const cJSON *fig)
{
    (void)fig;
    scope_trace_stats_loss(&p->trace, (uint64_t)p->sent, kernel_figures(), 0);
    scope_events_log("live: %lld sent, sendmsg() said yes to each; the kernel dropped %u, and %u "
                     "bytes wait in the queue", (long long)p->sent, l.drops, l.queued);
}

static void on_probe_exit(udp_probe_t *p)
{
    (void)p;
    l.probe_done = 1;
    scope_events_log("the receiver reads again");
}

void loss_run(scope_demo_t *d)
{
    int size = 4096, got = 0, on = 1;
    socklen_t glen = sizeof got;
    probe_bind(&l.p, d);
    l.p.on_report = on_report;
    l.p.on_exit = on_probe_exit;
    setsockopt(l.p.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    getsockopt(l.p.fd, SOL_SOCKET, SO_RCVBUF, &got, &glen);
    int ovfl = setsockopt(l.p.fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
    cJSON_Delete(kernel_figures());
    l.base_drops = l.drops;
    l.drops = 0;
    scope_events_log("setsockopt(fd %d, SO_RCVBUF, %d): getsockopt says %d, doubled for the "
                     "kernel's bookkeeping%s. The receiver stalls (as a busy process would) while "
                     "the probe sends 200 datagrams of 1,000 bytes in 5 bursts",
                     l.p.fd, size, got, ovfl ? "" : scope_events_tr("; SO_RXQ_OVFL on"));
    uv_timer_init(d->loop, &l.tick);
    uv_timer_start(&l.tick, on_tick, 100, 100);
    probe_spawn(&l.p, d, "flood", l.p.name);
}
