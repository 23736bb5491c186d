/* loss.c: a fast sender, a stalled receiver, a 4 KiB buffer.
 *
 * The receiver's buffer is cut to 4 KiB (setsockopt SO_RCVBUF) and it does
 * not read, as a busy process would not; the probe sends 200 datagrams of
 * 1,000 bytes in five bursts. What does not fit is dropped by the kernel
 * without a word to either side: every send() succeeds, and no recv()
 * reports a gap. The kernel counts the drops (getsockopt SO_MEMINFO, the
 * figure /proc/net/udp shows, and SO_RXQ_OVFL on the next datagram that
 * gets in). The drops are certain by construction, not by timing: 200,000
 * bytes cannot fit in a buffer nobody empties.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/sock_diag.h>

#include "events.h"
#include "role.h"
#include "udp.h"

#define FLOOD_DGRAMS 200
#define FLOOD_BURSTS 5
#define FLOOD_SIZE   1000
#define LOSS_RCVBUF  4096

static struct {
    scope_demo_t *d;
    scope_demo_cb done;
    int fd; /* the receiver: a plain socket, read by hand for its ancillary data */
    struct sockaddr_storage addr;
    scope_role_t probe;
    scope_trace_t trace;
    uv_timer_t tick;
    int64_t sent, received;
    uint64_t bytes;
    uint32_t base_drops, drops, ovfl, queued;
    int have_ovfl, probe_done, marker_sent, marker_got, ticks, settled, over;
    char buf[2048];
} l;

/* The socket's own figures from the kernel: bytes queued, datagrams dropped. */
static void kernel_figures(void)
{
    uint32_t mem[SK_MEMINFO_VARS] = {0};
    socklen_t len = sizeof mem;
    if (getsockopt(l.fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0)
        return;
    l.queued = mem[SK_MEMINFO_RMEM_ALLOC];
    l.drops = mem[SK_MEMINFO_DROPS] - l.base_drops;
}

static void stats(int final)
{
    kernel_figures();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "chan", "loss");
    cJSON_AddNumberToObject(o, "count", (double)l.received);
    cJSON_AddNumberToObject(o, "bytes", (double)l.bytes);
    cJSON_AddNumberToObject(o, "sent", (double)l.sent);
    cJSON_AddNumberToObject(o, "received", (double)l.received);
    cJSON_AddNumberToObject(o, "dropped", (double)(l.sent - l.received));
    cJSON_AddNumberToObject(o, "kernel_drops", l.drops);
    cJSON_AddNumberToObject(o, "queued_bytes", l.queued);
    if (l.have_ovfl)
        cJSON_AddNumberToObject(o, "rxq_ovfl", l.ovfl);
    cJSON_AddBoolToObject(o, "final", final);
    scope_events_emit("stats", o);
    if (!final)
        scope_events_log("live: %lld sent, %lld received, %u dropped by the kernel, %u bytes "
                         "waiting in the queue", (long long)l.sent, (long long)l.received,
                         l.drops, l.queued);
}

static void finish(void)
{
    l.over = 1;
    uv_close((uv_handle_t *)&l.tick, NULL);
    stats(1);
    scope_events_log("the receiver read %lld of %lld datagrams; %lld were dropped. The kernel "
                     "counted %u drops (SO_MEMINFO, as /proc/net/udp). Neither side was told: "
                     "every send() succeeded, and no recv() reports a gap",
                     (long long)l.received, (long long)l.sent, (long long)(l.sent - l.received),
                     l.drops);
    if (l.have_ovfl)
        scope_events_log("SO_RXQ_OVFL = %u: the count rides on the next datagram that gets in, "
                         "so a marker was sent after the drain to carry it", l.ovfl);
    close(l.fd);
    l.done(l.d);
}

/* Reads what waits in the queue with recvmsg() on the fd itself: libuv
 * does not hand over ancillary data, and SO_RXQ_OVFL rides there (a
 * uint32: the socket's drop count when this datagram was queued). */
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
        ssize_t n = recvmsg(l.fd, &msg, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return;
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
        l.received++;
        l.bytes += (uint64_t)n;
        scope_trace_msg(&l.trace, SCOPE_TRACE_RECV, 0, l.buf, (size_t)n, 0);
    }
}

/* Every 100 ms, once the probe is done: read what got in until every
 * datagram is accounted for, received or dropped. */
static void on_tick(uv_timer_t *t)
{
    (void)t;
    if (++l.ticks > STEP_WAIT_MS / 100 + 30 || l.d->quitting) {
        finish();
        return;
    }
    if (!l.probe_done)
        return;
    drain();
    kernel_figures();
    int accounted = l.drops + l.received >= l.sent;
    if (accounted && !l.marker_sent) {
        /* The queue is empty now: a marker gets in and carries the count. */
        l.marker_sent = sendto(l.fd, "marker", 6, 0, (struct sockaddr *)&l.addr,
                               scope_addr_len((struct sockaddr *)&l.addr)) == 6;
        return;
    }
    if (accounted && l.marker_got) {
        l.settled = 1;
        finish();
    }
}

static void on_report(scope_role_t *r, const cJSON *fig)
{
    (void)r;
    l.sent = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(fig, "sent"));
    stats(0); /* one live figure per burst */
}

static void on_probe_exit(scope_role_t *r, int code, int sig)
{
    (void)r, (void)code, (void)sig;
    l.probe_done = 1;
    if (!l.over)
        scope_events_log("the probe is done: %lld datagrams sent, and every send() said yes. "
                         "The receiver reads again", (long long)l.sent);
}

void loss_run(scope_demo_t *d, scope_demo_cb done)
{
    l.d = d;
    l.done = done;
    socklen_t alen = sizeof l.addr;
    int size = LOSS_RCVBUF, got = 0, on = 1;
    socklen_t glen = sizeof got;
    char name[SCOPE_ADDR_STRLEN];
    scope_addr_parse("127.0.0.1:0", NULL, 0, &l.addr);
    l.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bind(l.fd, (struct sockaddr *)&l.addr, sizeof(struct sockaddr_in));
    getsockname(l.fd, (struct sockaddr *)&l.addr, &alen);
    setsockopt(l.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    getsockopt(l.fd, SOL_SOCKET, SO_RCVBUF, &got, &glen);
    int ovfl = setsockopt(l.fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
    kernel_figures();
    l.base_drops = l.drops;
    l.drops = 0;
    scope_events_log("setsockopt(fd %d, SO_RCVBUF, %d): getsockopt says %d (the kernel doubles "
                     "it to cover its own bookkeeping; each 1,000-byte datagram costs about "
                     "2 KiB of it)%s", l.fd, size, got,
                     ovfl == 0 ? "; SO_RXQ_OVFL on: each datagram read carries the drop count"
                               : "");
    scope_events_log("the receiver is stalled (recvmsg is not called, as in a busy process); "
                     "the probe sends %d datagrams of %d bytes in %d bursts",
                     FLOOD_DGRAMS, FLOOD_SIZE, FLOOD_BURSTS);
    uv_timer_init(d->loop, &l.tick);
    uv_timer_start(&l.tick, on_tick, 100, 100);
    const char *args[] = {"--probe", "flood", "--to",
                          scope_addr_format((struct sockaddr *)&l.addr, name, sizeof name), NULL};
    scope_role_options_t o = {.argv = args};
    l.probe.on_report = on_report;
    l.probe.on_exit = on_probe_exit;
    if (scope_role_spawn(d, &l.probe, "probe", &o) < 0)
        l.probe_done = 1;
    scope_trace_init(&l.trace, "probe", SCOPE_PID(getpid()), SCOPE_PID(l.probe.pid));
}

void loss_figures(cJSON *bye)
{
    cJSON *o = cJSON_AddObjectToObject(bye, "loss");
    cJSON_AddNumberToObject(o, "sent", (double)l.sent);
    cJSON_AddNumberToObject(o, "received", (double)l.received);
    cJSON_AddNumberToObject(o, "dropped", (double)(l.sent - l.received));
    cJSON_AddNumberToObject(o, "kernel_drops", l.drops);
    if (l.have_ovfl)
        cJSON_AddNumberToObject(o, "rxq_ovfl", l.ovfl);
    cJSON_AddBoolToObject(o, "accounted", l.settled);
}

/* ==== the probe's side: the flood ======================================== */

static struct {
    scope_demo_t *d;
    uv_udp_t sock;
    const struct sockaddr *to;
    scope_trace_t trace;
    uv_timer_t timer;
    int64_t sent;
    int burst;
} f;

static void on_burst(uv_timer_t *t)
{
    char data[FLOOD_SIZE];
    memset(data, '.', sizeof data);
    for (int i = 0; i < FLOOD_DGRAMS / FLOOD_BURSTS; i++) {
        int n = snprintf(data, sizeof data, "flood #%lld ", (long long)f.sent + 1);
        data[n] = '.';
        uv_buf_t b = uv_buf_init(data, sizeof data);
        /* In narration, a burst's first datagram stands for the burst. */
        if (i == 0 || scope_events_format() != SCOPE_EVENTS_TEXT)
            scope_trace_msg(&f.trace, SCOPE_TRACE_SEND, (uint64_t)f.sent + 1, data, b.len, 0);
        f.sent += uv_udp_try_send(&f.sock, &b, 1, f.to) == (int)b.len;
    }
    scope_events_log("burst %d of %d: %lld datagrams sent so far, every sendmsg() returned "
                     "success", ++f.burst, FLOOD_BURSTS, (long long)f.sent);
    cJSON *fig = cJSON_CreateObject();
    cJSON_AddNumberToObject(fig, "sent", (double)f.sent);
    scope_demo_report(f.d, fig);
    if (f.burst < FLOOD_BURSTS && !f.d->quitting) {
        uv_timer_start(t, on_burst, 100, 0);
        return;
    }
    uv_close((uv_handle_t *)&f.sock, NULL);
    uv_close((uv_handle_t *)t, NULL);
    scope_demo_stop(f.d);
}

int loss_probe(scope_demo_t *d, const struct sockaddr *to)
{
    if (scope_demo_start(d, uv_default_loop(), "probe", 0) < 0)
        return 1;
    f.d = d;
    f.to = to;
    uv_udp_init(d->loop, &f.sock);
    uv_timer_init(d->loop, &f.timer);
    scope_trace_init(&f.trace, "probe", SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    on_burst(&f.timer);
    return scope_demo_run(d);
}
