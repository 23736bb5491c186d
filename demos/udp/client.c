/* client.c: a client of the udp demo, started by the server (--as-client)
 * or alone (--connect HOST:PORT). It connect()s its socket, sends --count
 * datagrams at --rate, times each answer and counts one not back within
 * --timeout as lost; with --throughput it streams instead. At the end it
 * writes its figures to the report pipe, or, alone, says goodbye itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "udp.h"

/* ==== a client ============================================================ */

static void client_send(scope_pacer_t *p);
static void client_done(void);

static scope_end_t client_peer(void)
{
    return cli.server_pid > 0 ? SCOPE_PID(cli.server_pid) : SCOPE_PEER(cli.peer_name);
}

static void client_next(void)
{
    if (cli.client_done)
        return;
    if (cli.sent < udp.demo.count && !udp.demo.quitting)
        scope_pacer_next(&cli.pacer, client_send);
    else
        client_done();
}

static void on_wait_timeout(uv_timer_t *t)
{
    (void)t;
    if (!cli.outstanding)
        return;
    cli.lost++;
    scope_events_error("lost",
                       "no answer to #%llu within %ld ms: counted lost (UDP never "
                       "resends; an answer that comes later is counted late)",
                       (unsigned long long)cli.outstanding, udp.timeout_ms);
    cli.outstanding = 0;
    client_next();
}

static void client_send(scope_pacer_t *p)
{
    (void)p;
    if (cli.sent >= udp.demo.count || udp.demo.quitting) {
        client_done();
        return;
    }
    size_t len = udp.demo.size < SEND_MAX ? udp.demo.size : SEND_MAX;
    if (len > cli.out_cap) {
        char *o = realloc(cli.out, len + 64);
        if (!o)
            return;
        cli.out = o;
        cli.out_cap = len;
    }
    uint64_t id = (uint64_t)++cli.sent;
    int n = snprintf(cli.out, 64, CLIENT_TEXT " #%llu", (unsigned long long)id);
    size_t total = (size_t)n > len ? (size_t)n : len;
    if (total > (size_t)n)
        memset(cli.out + n, '.', total - (size_t)n);
    if (scope_events_msg_admit()) {
        char sum[80];
        summarize(sum, sizeof sum, cli.out, (size_t)n);
        scope_events_msg_emit_admitted("send", cli.chan, SCOPE_PID(udp.me), client_peer(), id,
                                       total, sum, 0);
    }
    if (!cli.first_ns)
        cli.first_ns = scope_time_now_ns();
    cli.t_sent = scope_time_now_ns();
    cli.outstanding = id;
    int r = udp_send(&cli.sock, cli.out, total, NULL);
    if (r < 0) {
        cli.errors++;
        cli.outstanding = 0;
        scope_events_error("send", "sendmsg(fd %d) of %zu bytes: %s%s", cli.sock_fd, total,
                           uv_strerror(r),
                           r == UV_EMSGSIZE ? ": over the 65,507 bytes one IPv4 datagram carries"
                           : r == UV_ECONNREFUSED ? ": an ICMP port unreachable came back"
                                                  : "");
        client_next();
        return;
    }
    cli.bytes_sent += total;
    uv_timer_start(&cli.wait_timer, on_wait_timeout, (uint64_t)udp.timeout_ms, 0);
}

static void on_client_stats(uv_timer_t *t);

/* A command relayed by the server: what the dashboard asked of everyone. */
static void client_control(const char *data, size_t len)
{
    cJSON *m = cJSON_ParseWithLength(data, len);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "cmd");
    if (cJSON_IsString(c) && strcmp(c->valuestring, "go") == 0) {
        if (udp.gated) {
            udp.gated = 0;
            uv_timer_start(&cli.stats_timer, on_client_stats, 500, 500);
            client_next();
        }
    } else if (cJSON_IsString(c)) {
        /* The dashboard's pause, step, rate or size, relayed by the server:
         * applied here as lib/demo applies it in the server. */
        scope_events_log("control from the server, by datagram: %.*s", (int)len, data);
        scope_demo_apply_control(&udp.demo, m);
    }
    cJSON_Delete(m);
}

static void on_client_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                           const struct sockaddr *from, unsigned flags)
{
    (void)h;
    (void)flags;
    if (no_datagram(nread, from))
        return;
    if (nread < 0) {
        /* A connected UDP socket hears ICMP errors: port unreachable comes
         * back as ECONNREFUSED on the next call. */
        if (nread == UV_ECONNREFUSED) {
            cli.refused_by_peer++;
            scope_events_error("refused",
                               "recvmsg(fd %d): ECONNREFUSED: an ICMP port unreachable "
                               "says nobody listens on %s%s",
                               cli.sock_fd, cli.peer_name, cli.outstanding ? "; counted lost" : "");
        } else {
            scope_events_error("recv", "recvmsg(fd %d): %s", cli.sock_fd, uv_strerror((int)nread));
        }
        if (cli.outstanding) {
            cli.lost++;
            cli.outstanding = 0;
            uv_timer_stop(&cli.wait_timer);
            client_next();
        }
        return;
    }
    const char *data = buf->base;
    size_t len = (size_t)nread;
    if (len > 6 && memcmp(data, "{\"cmd\"", 6) == 0) {
        scope_events_msg("recv", cli.chan, client_peer(), SCOPE_PID(udp.me), 0, len, "control", 0);
        client_control(data, len);
        return;
    }
    uint64_t now = scope_time_now_ns();
    uint64_t id = parse_id(data, len);
    int ours = len >= GREETING_LEN && memcmp(data, GREETING, GREETING_LEN) == 0;
    uint64_t rtt = 0;
    if (ours && id && id == cli.outstanding) {
        rtt = now - cli.t_sent;
        scope_hist_add(&cli.rtt, rtt);
        scope_rate_add(&cli.rate, now, len);
        cli.received++;
        cli.last_ns = now;
    }
    if (scope_events_msg_admit()) {
        char sum[80];
        summarize(sum, sizeof sum, data, len);
        scope_events_msg_emit_admitted("recv", cli.chan, client_peer(), SCOPE_PID(udp.me), id, len,
                                       sum, rtt);
    }
    if (rtt) {
        cli.outstanding = 0;
        uv_timer_stop(&cli.wait_timer);
        client_next();
    } else if (ours && id) {
        cli.late++;
        scope_events_log("a late answer to #%llu: already counted lost", (unsigned long long)id);
    } else {
        scope_events_error("refused", "a %zu-byte datagram that is not an answer to us: ignored",
                           len);
    }
}

static void on_client_stats(uv_timer_t *t)
{
    (void)t;
    scope_events_stats(cli.chan, &cli.rtt, &cli.rate, scope_time_now_ns());
}

static void client_done(void)
{
    if (cli.client_done)
        return;
    cli.client_done = 1;
    uv_timer_stop(&cli.wait_timer);
    scope_pacer_close(&cli.pacer);
    cli.outstanding = 0; /* cut short while one was on its way, it is not waited for */
    scope_events_stats(cli.chan, &cli.rtt, &cli.rate, scope_time_now_ns());
    scope_hist_summary_t sum;
    scope_hist_summarize(&cli.rtt, &sum);
    if (udp.throughput)
        scope_events_log("%lld datagrams (%llu bytes) handed to the kernel; whether they arrived, "
                         "only the receiver can say",
                         (long long)cli.sent, (unsigned long long)cli.bytes_sent);
    else {
        char p50[32], p99[32];
        scope_events_log("%lld sent, %lld answered, %lld lost, %lld late; round trip median %s, "
                         "p99 %s",
                         (long long)cli.sent, (long long)cli.received, (long long)cli.lost,
                         (long long)cli.late, scope_time_format(p50, sizeof p50, (double)sum.p50),
                         scope_time_format(p99, sizeof p99, (double)sum.p99));
    }
    rec_final_t *f = calloc(1, sizeof *f);
    if (f) {
        f->h = (rec_head_t){REC_FINAL, sizeof *f};
        f->sent = cli.sent;
        f->received = cli.received;
        f->lost = cli.lost;
        f->late = cli.late;
        f->errors = cli.errors;
        f->refused = cli.refused_by_peer;
        f->first_ns = cli.first_ns;
        f->last_ns = cli.last_ns;
        f->bytes_sent = cli.bytes_sent;
        f->rtt = cli.rtt;
        write_record(f, sizeof *f);
        free(f);
    }
    if (!udp.as_client) { /* alone: this process says goodbye */
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "server", cli.peer_name);
        cJSON_AddNumberToObject(o, "sent", (double)cli.sent);
        cJSON_AddNumberToObject(o, "received", (double)cli.received);
        cJSON_AddNumberToObject(o, "round_trips", (double)sum.count);
        cJSON_AddNumberToObject(o, "p50", (double)sum.p50);
        cJSON_AddNumberToObject(o, "p99", (double)sum.p99);
        cJSON_AddNumberToObject(o, "lost", (double)cli.lost);
        cJSON_AddNumberToObject(o, "late", (double)cli.late);
        cJSON_AddNumberToObject(o, "send_errors", (double)cli.errors);
        cJSON_AddNumberToObject(o, "refused", (double)cli.refused_by_peer);
        char text[256], p50[32];
        snprintf(text, sizeof text,
                 "%lld datagrams sent to %s, %lld answered, %lld lost (median round trip %s)",
                 (long long)cli.sent, cli.peer_name, (long long)cli.received, (long long)cli.lost,
                 scope_time_format(p50, sizeof p50, (double)sum.p50));
        scope_events_bye(o, text);
    }
    uv_timer_stop(&cli.stats_timer);
    close_handle((uv_handle_t *)&cli.stats_timer);
    close_handle((uv_handle_t *)&cli.wait_timer);
    if (cli.stream_idle.loop)
        close_handle((uv_handle_t *)&cli.stream_idle);
    uv_close((uv_handle_t *)&cli.sock, NULL);
    scope_demo_stop(&udp.demo);
}

/* ---- streaming (--throughput) ---- */

static void on_stream_idle(uv_idle_t *h);

static void on_stream_queued(uv_udp_send_t *req, int status)
{
    free(req);
    if (status < 0)
        cli.errors++;
    cli.stream_queued = 0;
    if (cli.client_done)
        return;
    if ((uint64_t)cli.sent >= cli.stream_dgrams)
        client_done();
    else
        uv_idle_start(&cli.stream_idle, on_stream_idle);
}

static void on_stream_idle(uv_idle_t *h)
{
    size_t len = udp.demo.size < UDP4_MAX ? udp.demo.size : UDP4_MAX;
    for (int i = 0; i < 256 && (uint64_t)cli.sent < cli.stream_dgrams; i++) {
        if (udp.demo.quitting)
            break;
        uv_buf_t b = uv_buf_init(cli.out, (unsigned)len);
        int r = uv_udp_try_send(&cli.sock, &b, 1, NULL);
        if (r == UV_EAGAIN || r == UV_ENOBUFS) {
            /* The send buffer is full: wait for room with a queued send. */
            uv_udp_send_t *req = malloc(sizeof *req);
            if (req && uv_udp_send(req, &cli.sock, &b, 1, NULL, on_stream_queued) == 0) {
                cli.sent++;
                cli.bytes_sent += len;
                cli.stream_queued = 1;
                uv_idle_stop(h);
                return;
            }
            free(req);
            cli.errors++;
            break;
        }
        if (r < 0) {
            cli.errors++;
            scope_events_error("send", "sendmsg(fd %d) of %zu bytes: %s", cli.sock_fd, len,
                               uv_strerror(r));
            cli.sent = (int64_t)cli.stream_dgrams; /* it will not get better */
            break;
        }
        cli.sent++;
        cli.bytes_sent += len;
        if (!cli.first_ns)
            cli.first_ns = scope_time_now_ns();
        scope_events_msg("send", cli.chan, SCOPE_PID(udp.me), client_peer(), (uint64_t)cli.sent,
                         len, "stream", 0);
    }
    if ((uint64_t)cli.sent >= cli.stream_dgrams || udp.demo.quitting) {
        uv_idle_stop(h);
        client_done();
    }
}

static void client_quit(scope_demo_t *d)
{
    (void)d;
    client_done();
}

static void client_start(scope_demo_t *d)
{
    if (udp.gated) {
        scope_events_log("waiting for the server's go: the lesson comes first");
        return;
    }
    uv_timer_start(&cli.stats_timer, on_client_stats, 500, 500);
    if (udp.throughput) {
        size_t len = udp.demo.size < UDP4_MAX ? udp.demo.size : UDP4_MAX;
        cli.stream_dgrams = (udp.throughput + len - 1) / len;
        cli.out = malloc(len + 64);
        if (!cli.out) {
            client_done();
            return;
        }
        cli.out_cap = len;
        memset(cli.out, '.', len);
        memcpy(cli.out, "stream", len < 6 ? len : 6);
        uv_idle_init(udp.loop, &cli.stream_idle);
        uv_idle_start(&cli.stream_idle, on_stream_idle);
        return;
    }
    (void)d;
    client_next();
}

int run_client(void)
{
    scope_demo_t *d = &udp.demo;
    udp.loop = uv_default_loop();
    d->on_quit = client_quit;
    struct sockaddr_storage to;
    int r = scope_addr_parse(udp.connect_spec, "127.0.0.1", 41234, &to);
    if (r < 0) {
        fprintf(stderr, "udp: --connect wants HOST:PORT, not '%s'\n", udp.connect_spec);
        return 2;
    }
    memcpy(&cli.peer_addr, &to, sizeof to);
    scope_addr_format((struct sockaddr *)&to, cli.peer_name, sizeof cli.peer_name);
    if (udp.as_client) {
        snprintf(cli.chan, sizeof cli.chan, "udp%d", udp.client_index);
        cli.server_pid = getppid();
    } else {
        snprintf(cli.chan, sizeof cli.chan, "udp");
        d->params = cJSON_CreateObject();
        cJSON_AddStringToObject(d->params, "mode", "client");
        cJSON_AddStringToObject(d->params, "connect", cli.peer_name);
        cJSON_AddNumberToObject(d->params, "timeout_ms", (double)udp.timeout_ms);
    }
    if (udp.start_paused)
        d->paused = 1;
    char rolename[32];
    snprintf(rolename, sizeof rolename, "client %d", udp.client_index);
    r = scope_demo_start(d, udp.loop, udp.as_client ? rolename : "client", !udp.as_client);
    if (r < 0) {
        fprintf(stderr, "udp: cannot start: %s\n", strerror(-r));
        return 1;
    }
    scope_hist_reset(&cli.rtt);
    scope_rate_init(&cli.rate, 0);
    scope_pacer_init(d, &cli.pacer);
    uv_timer_init(udp.loop, &cli.wait_timer);
    uv_timer_init(udp.loop, &cli.stats_timer);
    uv_udp_init_ex(udp.loop, &cli.sock, to.ss_family);
    r = uv_udp_connect(&cli.sock, (struct sockaddr *)&to);
    if (r < 0) {
        scope_events_error("connect", "connect(%s): %s", cli.peer_name, uv_strerror(r));
        cli.client_done = 1;
        close_handle((uv_handle_t *)&cli.sock);
        close_handle((uv_handle_t *)&cli.wait_timer);
        close_handle((uv_handle_t *)&cli.stats_timer);
        scope_demo_stop(d);
        scope_demo_run(d);
        uv_loop_close(udp.loop);
        return 1;
    }
    uv_fileno((uv_handle_t *)&cli.sock, &cli.sock_fd);
    struct sockaddr_storage me;
    int mlen = sizeof me;
    uv_udp_getsockname(&cli.sock, (struct sockaddr *)&me, &mlen);
    char mine[SCOPE_ADDR_STRLEN];
    scope_addr_format((struct sockaddr *)&me, mine, sizeof mine);
    report_port(scope_addr_port((struct sockaddr *)&me));
    scope_events_log("socket(SOCK_DGRAM) -> fd %d; connect(%s): no packet sent, the kernel "
                     "picked our address %s and will pass us only datagrams from the server",
                     cli.sock_fd, cli.peer_name, mine);
    if (!udp.as_client && !scope_addr_is_loopback((struct sockaddr *)&to))
        scope_events_log("%s is across the network: datagrams may be lost or reordered on the "
                         "way, and nothing will tell us but silence",
                         cli.peer_name);
    uv_udp_recv_start(&cli.sock, on_alloc, on_client_recv);
    scope_events_proc("ready", getpid(), getppid(), udp.as_client ? rolename : "client", 0, 0);
    if (udp.as_client)
        client_start(d);
    else
        scope_demo_step(d, "the seeds' client: send, wait for the answer, time it", client_start);
    scope_demo_run(d);
    uv_run(udp.loop, UV_RUN_NOWAIT);
    free(cli.out);
    uv_loop_close(udp.loop);
    return udp.as_client ? 0 : (cli.received == cli.sent && cli.sent == d->count ? 0 : 1);
}
