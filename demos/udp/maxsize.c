/* maxsize.c: the largest datagram.
 *
 * 65,535 (the IPv4 total length field) - 20 (IP header) - 8 (UDP header) =
 * 65,507 bytes: the probe sends that much in one datagram, and it arrives
 * whole on loopback. One byte more and sendmsg() fails with EMSGSIZE before
 * anything leaves; the probe reports that it did.
 */
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "udp.h"

static struct {
    udp_probe_t p;
    int got, emsgsize, gone;
} m;

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    (void)h, (void)flags;
    if (nread < 0 || (nread == 0 && !from))
        return;
    scope_trace_msg(&m.p.trace, SCOPE_TRACE_RECV, 0, buf->base, (size_t)nread, 0);
    scope_events_log("recvmsg(fd %d) -> %zd bytes in one datagram: 65,535 (the IPv4 total "
                     "length field) - 20 (IP header) - 8 (UDP header) = 65,507. Loopback's "
                     "MTU is 65,536, so it went unfragmented; on Ethernet (MTU 1,500) IP "
                     "would cut it into 45 fragments, and losing any one loses it all",
                     m.p.fd, nread);
    m.got = nread == UDP4_MAX;
    if (m.gone)
        probe_end(&m.p, NULL);
}

static void on_report(udp_probe_t *p, const cJSON *fig)
{
    (void)p;
    m.emsgsize = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fig, "emsgsize"));
}

static void on_probe_exit(udp_probe_t *p)
{
    m.gone = 1;
    if (m.got)
        probe_end(p, NULL);
}

void maxsize_run(scope_demo_t *d)
{
    probe_bind(&m.p, d);
    m.p.on_report = on_report;
    m.p.on_exit = on_probe_exit;
    probe_read(&m.p, on_recv);
    const char *args[] = {"--probe", "maxsize", "--to", m.p.name, NULL};
    if (probe_spawn(&m.p, d, args) < 0)
        probe_end(&m.p, NULL);
    else
        scope_events_log("the probe sends %s 65,507 bytes, then 65,508", m.p.name);
}

void maxsize_figures(cJSON *bye)
{
    cJSON_AddNumberToObject(bye, "max_payload", m.got ? UDP4_MAX : 0);
    cJSON_AddBoolToObject(bye, "emsgsize", m.emsgsize);
}

/* ==== the probe's side =================================================== */

void maxsize_probe(scope_demo_t *d, uv_udp_t *sock)
{
    static char big[UDP4_MAX + 1];
    int fd = -1;
    (void)d;
    uv_fileno((uv_handle_t *)sock, &fd);
    memset(big, '.', sizeof big);
    memcpy(big, "65507 bytes ", 12);
    int r = probe_send(big, UDP4_MAX, 0, 1);
    if (r < 0)
        scope_events_error("send", "sendmsg() of 65,507 bytes: %s", uv_strerror(r));
    else
        scope_events_log("sendmsg(fd %d, 65,507 bytes) -> 65,507: it fits", fd);
    /* One byte more than an IPv4 datagram can carry: refused at the call. */
    r = probe_send(big, UDP4_MAX + 1, 0, 1);
    if (r == UV_EMSGSIZE)
        scope_events_error("EMSGSIZE", "sendmsg(fd %d, 65,508 bytes) -> EMSGSIZE (Message too "
                           "long): one byte over what an IPv4 datagram can carry; nothing was "
                           "sent, and node's send() callback gets the same error", fd);
    else
        scope_events_error("send", "sendmsg() of 65,508 bytes returned %s, not EMSGSIZE",
                           r < 0 ? uv_strerror(r) : "success");
    cJSON *fig = cJSON_CreateObject();
    cJSON_AddBoolToObject(fig, "emsgsize", r == UV_EMSGSIZE);
    probe_report(fig, 1);
}
