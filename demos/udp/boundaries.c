/* boundaries.c: three sends arrive as three datagrams. The receiver does not
 * read while the probe sends three; then each recvmsg() takes exactly one. */
#include <sys/ioctl.h>
#include <linux/sock_diag.h>
#include "udp.h"

static const int sizes[3] = {200, 1200, 20};

static struct {
    udp_probe_t p;
    int seen[3], n;
} b;

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    (void)h;
    if (nread < 0 || (nread == 0 && !from) || b.n == 3)
        return;
    b.seen[b.n++] = (int)nread;
    scope_trace_msg(&b.p.trace, SCOPE_TRACE_RECV, (uint64_t)b.n, buf->base, (size_t)nread, 0);
    scope_events_log("recvmsg(fd %d) #%d -> %zd bytes%s", b.p.fd, b.n, nread,
                     (flags & UV_UDP_PARTIAL) ? scope_events_tr(" (cut: MSG_TRUNC)") : "");
    if (b.n < 3)
        return;
    scope_events_log("three recvmsg() calls returned %d, %d and %d bytes, as sent: one datagram "
                     "per send(), one per recv(), where a TCP stream could hand all to one read()",
                     b.seen[0], b.seen[1], b.seen[2]);
    scope_demo_figure(b.p.demo, "boundaries_kept",
                      cJSON_CreateBool(!memcmp(b.seen, sizes, sizeof sizes)));
    probe_end(&b.p, NULL);
}

/* The probe has sent all three and gone: they wait in the queue. */
static void on_probe_exit(udp_probe_t *p)
{
    int next = -1;
    uint32_t mem[SK_MEMINFO_VARS] = {0};
    socklen_t len = sizeof mem;
    ioctl(p->fd, FIONREAD, &next);
    getsockopt(p->fd, SOL_SOCKET, SO_MEMINFO, mem, &len);
    scope_events_log("all three wait in the queue (%u bytes with the kernel's overhead: "
                     "SO_MEMINFO); ioctl(FIONREAD) says %d: for UDP, the size of the next "
                     "datagram only. Now reading", mem[SK_MEMINFO_RMEM_ALLOC], next);
    uv_udp_recv_start(&p->sock, udp_alloc, on_recv);
}

void boundaries_run(scope_demo_t *d)
{
    probe_bind(&b.p, d);
    b.p.on_exit = on_probe_exit;
    scope_events_log("the receiver: socket(AF_INET, SOCK_DGRAM) -> fd %d, bind(%s), and no "
                     "recvmsg() while the probe sends %d, %d and %d bytes in three send() calls",
                     b.p.fd, b.p.name, sizes[0], sizes[1], sizes[2]);
    probe_spawn(&b.p, d, "boundaries", b.p.name);
}
