/* throughput.c: one client streams, the server counts what arrives.
 *
 * The client sends --throughput bytes in --size datagrams as fast as
 * sendmsg() goes; the server only counts, up to 20 datagrams per
 * recvmmsg() (libuv's UV_UDP_RECVMMSG). Nothing slows the sender down: UDP
 * has no flow control, and what the receiver cannot take in time is
 * dropped. The summary gives MB/s as received, beside the share lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "udp.h"

#define BATCH 20 /* datagrams per recvmmsg() */

static struct {
    scope_demo_t *d;
    udp_server_t *srv; /* bound with UV_UDP_RECVMMSG; only counts */
    scope_role_t client;
    scope_trace_t trace;
    uv_timer_t settle;
    double sent, bytes_sent;
    uint64_t seen_at_tick;
    int ticks, cut_short;
    char *batch;
} tp;

static void finish(void)
{
    uint64_t got = tp.trace.received, bytes = tp.trace.bytes_received;
    double secs = (tp.trace.last_ns - tp.trace.first_ns) / 1e9;
    double mb_s = secs > 0 ? bytes / secs / 1e6 : 0, loss = tp.sent > 0 ? 1 - got / tp.sent : 0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "address", tp.srv->name);
    cJSON_AddNumberToObject(o, "mb_s", mb_s);
    cJSON_AddNumberToObject(o, "bytes", (double)bytes);
    cJSON_AddNumberToObject(o, "bytes_sent", tp.bytes_sent);
    cJSON_AddNumberToObject(o, "datagram", (double)tp.d->size);
    cJSON_AddNumberToObject(o, "sent", tp.sent);
    cJSON_AddNumberToObject(o, "received", (double)got);
    cJSON_AddNumberToObject(o, "lost", tp.sent > got ? tp.sent - got : 0);
    cJSON_AddNumberToObject(o, "loss", loss > 0 ? loss : 0);
    char text[256];
    snprintf(text, sizeof text, "%.0f datagrams of %zu bytes sent, %llu received (%.1f%% lost): "
             "%.1f MB/s arrived%s", tp.sent, tp.d->size, (unsigned long long)got,
             loss > 0 ? 100 * loss : 0.0, mb_s, tp.cut_short ? "; the run was cut short" : "");
    scope_events_bye(o, text);
    udp_server_close(tp.srv);
    uv_close((uv_handle_t *)&tp.settle, NULL);
    free(tp.batch);
    scope_demo_stop(tp.d);
}

/* Waits until what is on the way has arrived: every datagram counted, or
 * nothing new for 200 ms. */
static void on_settle(uv_timer_t *t)
{
    (void)t;
    uint64_t got = tp.trace.received;
    if (got >= tp.sent || ++tp.ticks >= 10 || tp.cut_short)
        finish();
    else if (got != tp.seen_at_tick)
        tp.ticks = 0;
    tp.seen_at_tick = got;
}

static void on_report(scope_role_t *r, const cJSON *fig)
{
    (void)r;
    tp.sent = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(fig, "sent"));
    tp.bytes_sent = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(fig, "bytes_sent"));
}

static void on_exit_role(scope_role_t *r, int code, int sig)
{
    (void)r;
    if (code || sig)
        scope_demo_exit(tp.d, 1);
    tp.seen_at_tick = tp.trace.received;
    uv_timer_start(&tp.settle, on_settle, 20, 20);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h, (void)suggested;
    *buf = uv_buf_init(tp.batch, BATCH * 64 * 1024);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    (void)h, (void)flags;
    if (nread > 0 || (nread == 0 && from))
        scope_trace_msg(&tp.trace, SCOPE_TRACE_RECV, 0, buf->base, (size_t)nread, 0);
}

static void step_stream(scope_demo_t *d)
{
    char bytes[32];
    snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)tp.sent);
    const char *args[] = {"--connect", tp.srv->name, "--throughput", bytes, NULL};
    scope_role_options_t o = {.argv = args};
    tp.client.on_report = on_report;
    tp.client.on_exit = on_exit_role;
    tp.sent = 0;
    if (scope_role_spawn(d, &tp.client, "client 1", &o) < 0) {
        finish();
        return;
    }
    scope_trace_init(&tp.trace, "udp1", SCOPE_PID(getpid()), SCOPE_PID(tp.client.pid));
}

void throughput_run(scope_demo_t *d, udp_server_t *srv, uint64_t bytes)
{
    tp.d = d;
    tp.srv = srv;
    tp.sent = (double)bytes; /* until the client says what it sent */
    tp.batch = malloc(BATCH * 64 * 1024);
    uv_timer_init(d->loop, &tp.settle);
    /* The same receive buffer as the raw floor's (bench/bench_sock.c): a
     * bigger buffer rides out the moments the receiver is not scheduled. */
    int want = 8 * 1024 * 1024, got = 0;
    socklen_t len = sizeof got;
    setsockopt(srv->fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
    getsockopt(srv->fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
    scope_events_log("one client sends %llu bytes in %zu-byte datagrams as fast as sendmsg() "
                     "goes; the server only counts. setsockopt(fd %d, SO_RCVBUF, 8 MiB): "
                     "getsockopt says %d bytes (capped by net.core.rmem_max unless root)",
                     (unsigned long long)bytes, d->size, srv->fd, got);
    uv_udp_recv_start(&srv->sock, on_alloc, on_recv);
    scope_demo_step(d, "throughput: one client streams, the server counts", step_stream);
}

void throughput_quit(void)
{
    tp.cut_short = 1;
    if (scope_role_kill(&tp.client, SIGTERM) < 0)
        finish();
}

/* ==== the client's side: the stream ====================================== */

static struct {
    scope_demo_t *d;
    uv_udp_t sock;
    uv_idle_t idle;
    uv_udp_send_t req;
    uint64_t total;
    int64_t errors;
    scope_trace_t trace;
    char out[UDP4_MAX];
} st;

static void stream_end(void)
{
    cJSON *fig = cJSON_CreateObject();
    cJSON_AddNumberToObject(fig, "sent", (double)st.trace.sent);
    cJSON_AddNumberToObject(fig, "bytes_sent", (double)st.trace.bytes_sent);
    cJSON_AddNumberToObject(fig, "errors", (double)st.errors);
    scope_demo_report(st.d, fig);
    scope_events_log("%llu datagrams (%llu bytes) handed to the kernel; whether they arrived, "
                     "only the receiver can say", (unsigned long long)st.trace.sent,
                     (unsigned long long)st.trace.bytes_sent);
    uv_close((uv_handle_t *)&st.idle, NULL);
    uv_close((uv_handle_t *)&st.sock, NULL);
    scope_demo_stop(st.d);
}

static void on_idle(uv_idle_t *h);

/* The send buffer had room again: go on. */
static void on_queued(uv_udp_send_t *req, int status)
{
    (void)req;
    st.errors += status < 0;
    uv_idle_start(&st.idle, on_idle);
}

static void on_idle(uv_idle_t *h)
{
    size_t len = st.d->size < UDP4_MAX ? st.d->size : UDP4_MAX;
    uv_buf_t b = uv_buf_init(st.out, (unsigned)len);
    for (int i = 0; i < 256 && st.trace.sent < st.total && !st.d->quitting; i++) {
        int r = uv_udp_try_send(&st.sock, &b, 1, NULL);
        if (r == UV_EAGAIN || r == UV_ENOBUFS) {
            /* The send buffer is full: one queued send waits for room. */
            uv_idle_stop(h);
            if ((r = uv_udp_send(&st.req, &st.sock, &b, 1, NULL, on_queued)) == 0) {
                scope_trace_msg(&st.trace, SCOPE_TRACE_SEND, 0, b.base, len, 0);
                return;
            }
        }
        if (r < 0) {
            st.errors++;
            scope_events_error("send", "sendmsg() of %zu bytes: %s", len, uv_strerror(r));
            st.total = st.trace.sent; /* it will not get better */
            break;
        }
        scope_trace_msg(&st.trace, SCOPE_TRACE_SEND, 0, b.base, len, 0);
    }
    if (st.trace.sent >= st.total || st.d->quitting)
        stream_end();
}

int throughput_stream(scope_demo_t *d, const struct sockaddr *to, uint64_t bytes)
{
    if (scope_demo_start(d, uv_default_loop(), d->role, 0) < 0)
        return 1;
    size_t len = d->size < UDP4_MAX ? d->size : UDP4_MAX;
    st.d = d;
    st.total = (bytes + len - 1) / len;
    memset(st.out, '.', sizeof st.out);
    memcpy(st.out, "stream", len < 6 ? len : 6);
    scope_trace_init(&st.trace, "udp1", SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    uv_udp_init(d->loop, &st.sock);
    uv_udp_connect(&st.sock, to);
    uv_idle_init(d->loop, &st.idle);
    uv_idle_start(&st.idle, on_idle);
    return scope_demo_run(d);
}
