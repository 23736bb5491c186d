/* throughput.c: one client sends --throughput bytes in --size datagrams as
 * fast as it can; the server only counts, 20 per recvmmsg(). UDP has no flow
 * control: what the receiver cannot take in time is lost, and the bye says
 * how much. */
#include "udp.h"

static struct {
    scope_demo_t *d;
    udp_server_t *srv; /* bound with UV_UDP_RECVMMSG; only counts */
    udp_probe_t p; /* the client: a probe of kind "stream" */
    uv_timer_t settle;
    uint64_t seen_at_tick;
    int ticks, cut_short;
} tp;

static void finish(void)
{
    double sent = (double)tp.p.sent, got = (double)tp.p.trace.received;
    uint64_t bytes = tp.p.trace.bytes_received;
    double secs = (tp.p.trace.last_ns - tp.p.trace.first_ns) / 1e9;
    double mb_s = secs > 0 ? bytes / secs / 1e6 : 0, loss = sent > 0 ? 1 - got / sent : 0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "address", ((udp_lab_t *)tp.d->data)->server);
    cJSON_AddNumberToObject(o, "mb_s", mb_s);
    cJSON_AddNumberToObject(o, "bytes", (double)bytes);
    cJSON_AddNumberToObject(o, "bytes_sent", sent * (double)tp.d->size);
    cJSON_AddNumberToObject(o, "datagram", (double)tp.d->size);
    cJSON_AddNumberToObject(o, "sent", sent);
    cJSON_AddNumberToObject(o, "received", got);
    cJSON_AddNumberToObject(o, "lost", sent > got ? sent - got : 0);
    cJSON_AddNumberToObject(o, "loss", loss > 0 ? loss : 0);
    char text[256];
    snprintf(text, sizeof text,
             scope_events_tr("%.0f datagrams of %zu bytes sent, %.0f received (%.1f%% lost): "
                             "%.1f MB/s arrived%s"),
             sent, tp.d->size, got, loss > 0 ? 100 * loss : 0.0, mb_s,
             tp.cut_short ? scope_events_tr("; the run was cut short") : "");
    scope_events_bye(o, text);
    udp_server_close(tp.srv);
    uv_close((uv_handle_t *)&tp.settle, NULL);
    scope_demo_stop(tp.d);
}

/* Waits until what is on the way has arrived: every datagram counted, or
 * nothing new for 200 ms. */
static void on_settle(uv_timer_t *t)
{
    (void)t;
    uint64_t got = tp.p.trace.received;
    if (got >= (uint64_t)tp.p.sent || ++tp.ticks >= 10 || tp.cut_short)
        finish();
    else if (got != tp.seen_at_tick)
        tp.ticks = 0;
    tp.seen_at_tick = got;
}

static void on_probe_exit(udp_probe_t *p)
{
    tp.seen_at_tick = p->trace.received;
    uv_timer_start(&tp.settle, on_settle, 20, 20);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    (void)h, (void)flags;
    if (nread > 0 || (nread == 0 && from))
        scope_trace_msg(&tp.p.trace, SCOPE_TRACE_RECV, 0, buf->base, (size_t)nread, 0);
}

static void step_stream(scope_demo_t *d)
{
    tp.p.on_exit = on_probe_exit;
    if (probe_spawn(&tp.p, d, "stream", ((udp_lab_t *)tp.d->data)->server) < 0)
        finish();
}

void throughput_run(scope_demo_t *d, udp_server_t *srv)
{
    tp.d = d;
    tp.srv = srv;
    d->size = d->size < UDP4_MAX ? d->size : UDP4_MAX; /* as the client will send them */
    unsigned long long bytes = (unsigned long long)((udp_lab_t *)d->data)->throughput;
    tp.p.sent = (int64_t)(bytes / d->size); /* until the client says what it sent */
    uv_timer_init(d->loop, &tp.settle);
    /* The same receive buffer as the raw floor's (bench/bench_sock.c): a
     * bigger buffer rides out the moments the receiver is not scheduled. */
    int want = 8 * 1024 * 1024, got = 0;
    socklen_t len = sizeof got;
    setsockopt(srv->fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
    getsockopt(srv->fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
    scope_events_log("one client sends %llu bytes in %zu-byte datagrams, the server only "
                     "counts; setsockopt(fd %d, SO_RCVBUF, 8 MiB): getsockopt says %d",
                     bytes, d->size, srv->fd, got);
    uv_udp_recv_start(&srv->sock, udp_alloc, on_recv);
    scope_demo_step(d, "throughput: one client streams, the server counts", step_stream);
}

void throughput_quit(void)
{
    tp.cut_short = 1;
    if (scope_role_kill(&tp.p.role, SIGTERM) < 0)
        finish();
}
