/* maxsize.c: the largest datagram.
 *
 * 65,535 (the IPv4 total length field) - 20 (IP header) - 8 (UDP header) =
 * 65,507 bytes: the probe sends that much in one datagram, and it arrives
 * whole on loopback. One byte more and sendmsg() fails with EMSGSIZE before
 * anything leaves; the probe reports that it did.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "role.h"
#include "udp.h"

static struct {
    scope_demo_t *d;
    scope_demo_cb done;
    uv_udp_t sock;
    int fd, got, emsgsize, probe_gone, over;
    scope_role_t probe;
    scope_trace_t trace;
    uv_timer_t timer;
    char buf[64 * 1024];
} m;

static void finish(void)
{
    if (m.over)
        return;
    m.over = 1;
    uv_close((uv_handle_t *)&m.timer, NULL);
    uv_close((uv_handle_t *)&m.sock, NULL);
    m.done(m.d);
}

static void on_timeout(uv_timer_t *t)
{
    (void)t;
    scope_events_error("lesson", "no 65,507-byte datagram within %d ms; going on", STEP_WAIT_MS);
    finish();
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(m.buf, sizeof m.buf);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    (void)h, (void)flags;
    if (nread < 0 || (nread == 0 && !from))
        return;
    scope_trace_msg(&m.trace, SCOPE_TRACE_RECV, 0, buf->base, (size_t)nread, 0);
    scope_events_log("recvmsg(fd %d) -> %zd bytes in one datagram: 65,535 (the IPv4 total "
                     "length field) - 20 (IP header) - 8 (UDP header) = 65,507. Loopback's "
                     "MTU is 65,536, so it went unfragmented; on Ethernet (MTU 1,500) IP "
                     "would cut it into 45 fragments, and losing any one loses it all",
                     m.fd, nread);
    m.got = nread == UDP4_MAX;
    if (m.probe_gone)
        finish();
}

static void on_report(scope_role_t *r, const cJSON *fig)
{
    (void)r;
    m.emsgsize = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fig, "emsgsize"));
}

static void on_probe_exit(scope_role_t *r, int code, int sig)
{
    (void)r, (void)code, (void)sig;
    m.probe_gone = 1;
    if (m.got)
        finish();
}

void maxsize_run(scope_demo_t *d, scope_demo_cb done)
{
    m.d = d;
    m.done = done;
    struct sockaddr_storage a;
    int alen = sizeof a;
    char name[SCOPE_ADDR_STRLEN];
    scope_addr_parse("127.0.0.1:0", NULL, 0, &a);
    uv_udp_init(d->loop, &m.sock);
    uv_udp_bind(&m.sock, (struct sockaddr *)&a, 0);
    uv_udp_getsockname(&m.sock, (struct sockaddr *)&a, &alen);
    uv_fileno((uv_handle_t *)&m.sock, &m.fd);
    uv_udp_recv_start(&m.sock, on_alloc, on_recv);
    uv_timer_init(d->loop, &m.timer);
    uv_timer_start(&m.timer, on_timeout, STEP_WAIT_MS, 0);
    const char *args[] = {"--probe", "maxsize", "--to",
                          scope_addr_format((struct sockaddr *)&a, name, sizeof name), NULL};
    scope_role_options_t o = {.argv = args};
    m.probe.on_report = on_report;
    m.probe.on_exit = on_probe_exit;
    if (scope_role_spawn(d, &m.probe, "probe", &o) < 0) {
        finish();
        return;
    }
    scope_trace_init(&m.trace, "probe", SCOPE_PID(getpid()), SCOPE_PID(m.probe.pid));
    scope_events_log("the probe sends %s 65,507 bytes, then 65,508", name);
}

void maxsize_figures(cJSON *bye)
{
    cJSON_AddNumberToObject(bye, "max_payload", m.got ? UDP4_MAX : 0);
    cJSON_AddBoolToObject(bye, "emsgsize", m.emsgsize);
}

/* ==== the probe's side =================================================== */

int maxsize_probe(scope_demo_t *d, const struct sockaddr *to)
{
    static char big[UDP4_MAX + 1];
    if (scope_demo_start(d, uv_default_loop(), "probe", 0) < 0)
        return 1;
    uv_udp_t sock;
    scope_trace_t t;
    int fd = -1;
    uv_udp_init_ex(d->loop, &sock, AF_INET);
    uv_fileno((uv_handle_t *)&sock, &fd);
    scope_trace_init(&t, "probe", SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    memset(big, '.', sizeof big);
    memcpy(big, "65507 bytes ", 12);
    uv_buf_t b = uv_buf_init(big, UDP4_MAX);
    scope_trace_msg(&t, SCOPE_TRACE_SEND, 0, big, b.len, 0);
    int r = uv_udp_try_send(&sock, &b, 1, to);
    if (r < 0)
        scope_events_error("send", "sendmsg() of 65,507 bytes: %s", uv_strerror(r));
    else
        scope_events_log("sendmsg(fd %d, 65,507 bytes) -> 65,507: it fits", fd);
    /* One byte more than an IPv4 datagram can carry: refused at the call. */
    b.len = UDP4_MAX + 1;
    r = uv_udp_try_send(&sock, &b, 1, to);
    if (r == UV_EMSGSIZE)
        scope_events_error("EMSGSIZE", "sendmsg(fd %d, 65,508 bytes) -> EMSGSIZE (Message too "
                           "long): one byte over what an IPv4 datagram can carry; nothing was "
                           "sent, and node's send() callback gets the same error", fd);
    else
        scope_events_error("send", "sendmsg() of 65,508 bytes returned %s, not EMSGSIZE",
                           r < 0 ? uv_strerror(r) : "success");
    cJSON *fig = cJSON_CreateObject();
    cJSON_AddBoolToObject(fig, "emsgsize", r == UV_EMSGSIZE);
    scope_demo_report(d, fig);
    uv_close((uv_handle_t *)&sock, NULL);
    scope_demo_stop(d);
    return scope_demo_run(d);
}
