/* maxsize.c: the largest datagram, 65,507 bytes, arrives whole on loopback;
 * one byte more and sendmsg() fails with EMSGSIZE before anything leaves. */
#include "udp.h"

static struct {
    udp_probe_t p;
    int got, gone;
} m;

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    (void)h, (void)flags;
    if (nread < 0 || (nread == 0 && !from))
        return;
    scope_trace_msg(&m.p.trace, SCOPE_TRACE_RECV, 0, buf->base, (size_t)nread, 0);
    scope_events_log("recvmsg(fd %d) -> %zd bytes in one datagram, whole under loopback's MTU of "
                     "65,536; Ethernet's 1,500 would cut it into 45 IP fragments", m.p.fd, nread);
    m.got = 1;
    scope_demo_figure(m.p.demo, "max_payload", cJSON_CreateNumber((double)nread));
    if (m.gone)
        probe_end(&m.p, NULL);
}

static void on_report(udp_probe_t *p, const cJSON *fig)
{
    const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fig, "error"));
    scope_demo_figure(p->demo, "emsgsize", cJSON_CreateBool(e && !strcmp(e, "EMSGSIZE")));
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
    uv_udp_recv_start(&m.p.sock, udp_alloc, on_recv);
    scope_events_log("the probe sends %s 65,507 bytes, then 65,508", m.p.name);
    probe_spawn(&m.p, d, "maxsize", m.p.name);
}

