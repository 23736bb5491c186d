/* boundaries.c: three sends arrive as three datagrams.
 *
 * The receiver, a socket of its own, does not read while the probe makes
 * three send() calls of 200, 1,200 and 20 bytes; all three wait in its
 * queue together. Then its three recvmsg() calls return 200, 1,200 and 20
 * bytes: each send() is one datagram and each recv() takes exactly one. A
 * TCP stream could hand all 1,420 bytes to one read().
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/sock_diag.h>

#include "events.h"
#include "role.h"
#include "udp.h"

static const int sizes[3] = {200, 1200, 20};

static struct {
    scope_demo_t *d;
    scope_demo_cb done;
    uv_udp_t sock;
    int fd, seen[3], n, kept, over;
    char name[SCOPE_ADDR_STRLEN];
    scope_role_t probe;
    scope_trace_t trace;
    uv_timer_t timer;
    char buf[2048];
} b;

static void finish(void)
{
    if (b.over)
        return;
    b.over = 1;
    uv_close((uv_handle_t *)&b.timer, NULL);
    uv_close((uv_handle_t *)&b.sock, NULL);
    b.done(b.d);
}

static void on_timeout(uv_timer_t *t)
{
    (void)t;
    scope_events_error("lesson", "boundaries: %d of 3 datagrams within %d ms; going on", b.n,
                       STEP_WAIT_MS);
    finish();
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(b.buf, sizeof b.buf);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    (void)h;
    if (nread < 0 || (nread == 0 && !from) || b.n == 3)
        return;
    b.seen[b.n++] = (int)nread;
    scope_trace_msg(&b.trace, SCOPE_TRACE_RECV, (uint64_t)b.n, buf->base, (size_t)nread, 0);
    scope_events_log("recvmsg(fd %d) #%d -> %zd bytes%s", b.fd, b.n, nread,
                     (flags & UV_UDP_PARTIAL) ? " (cut: MSG_TRUNC)" : "");
    if (b.n < 3)
        return;
    b.kept = !memcmp(b.seen, sizes, sizeof sizes);
    scope_events_log("three recvmsg() calls returned %d, %d and %d bytes: the sizes that were "
                     "sent, in order. Each send() is one datagram and each recv() takes exactly "
                     "one; a TCP stream would have handed all %d bytes to one read()",
                     b.seen[0], b.seen[1], b.seen[2], b.seen[0] + b.seen[1] + b.seen[2]);
    finish();
}

/* The probe has sent all three and gone: they wait in the queue. */
static void on_probe_exit(scope_role_t *r, int code, int sig)
{
    (void)r, (void)code, (void)sig;
    if (b.over)
        return;
    int next = -1;
    uint32_t mem[SK_MEMINFO_VARS] = {0};
    socklen_t len = sizeof mem;
    ioctl(b.fd, FIONREAD, &next);
    getsockopt(b.fd, SOL_SOCKET, SO_MEMINFO, mem, &len);
    scope_events_log("all three wait in the queue (%u bytes with the kernel's overhead: "
                     "SO_MEMINFO, /proc/net/udp's rx_queue); ioctl(FIONREAD) says %d: for UDP, "
                     "the size of the next datagram only. Now reading",
                     mem[SK_MEMINFO_RMEM_ALLOC], next);
    uv_udp_recv_start(&b.sock, on_alloc, on_recv);
}

void boundaries_run(scope_demo_t *d, scope_demo_cb done)
{
    b.d = d;
    b.done = done;
    struct sockaddr_storage a;
    int alen = sizeof a;
    scope_addr_parse("127.0.0.1:0", NULL, 0, &a);
    uv_udp_init(d->loop, &b.sock);
    uv_udp_bind(&b.sock, (struct sockaddr *)&a, 0);
    uv_udp_getsockname(&b.sock, (struct sockaddr *)&a, &alen);
    uv_fileno((uv_handle_t *)&b.sock, &b.fd);
    scope_addr_format((struct sockaddr *)&a, b.name, sizeof b.name);
    uv_timer_init(d->loop, &b.timer);
    uv_timer_start(&b.timer, on_timeout, STEP_WAIT_MS, 0);
    const char *args[] = {"--probe", "boundaries", "--to", b.name, NULL};
    scope_role_options_t o = {.argv = args};
    b.probe.on_exit = on_probe_exit;
    if (scope_role_spawn(d, &b.probe, "probe", &o) < 0) {
        scope_events_error("spawn", "the probe could not start");
        finish();
        return;
    }
    scope_trace_init(&b.trace, "probe", SCOPE_PID(getpid()), SCOPE_PID(b.probe.pid));
    scope_events_log("the receiver: socket(AF_INET, SOCK_DGRAM) -> fd %d, bind(%s), and no "
                     "recvmsg() while the probe sends %d, %d and %d bytes in three send() calls",
                     b.fd, b.name, sizes[0], sizes[1], sizes[2]);
}

void boundaries_figures(cJSON *bye)
{
    cJSON_AddBoolToObject(bye, "boundaries_kept", b.kept);
}

/* ==== the probe's side =================================================== */

int boundaries_probe(scope_demo_t *d, const struct sockaddr *to)
{
    if (scope_demo_start(d, uv_default_loop(), "probe", 0) < 0)
        return 1;
    uv_udp_t sock;
    scope_trace_t t;
    char data[1200];
    uv_udp_init(d->loop, &sock);
    scope_trace_init(&t, "probe", SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    for (int i = 0; i < 3; i++) {
        memset(data, '.', sizeof data);
        int n = snprintf(data, sizeof data, "datagram %d of 3, %d bytes ", i + 1, sizes[i]);
        data[n] = '.';
        uv_buf_t buf = uv_buf_init(data, (unsigned)sizes[i]);
        scope_trace_msg(&t, SCOPE_TRACE_SEND, (uint64_t)i + 1, data, buf.len, 0);
        uv_udp_try_send(&sock, &buf, 1, to);
    }
    scope_events_log("three sendmsg() calls of %d, %d and %d bytes", sizes[0], sizes[1],
                     sizes[2]);
    uv_close((uv_handle_t *)&sock, NULL);
    scope_demo_stop(d);
    return scope_demo_run(d);
}
