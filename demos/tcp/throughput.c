/* throughput.c: --throughput BYTES, both ends.
 *
 *   1. The server side opens a listener of its own (a sink: it only counts)
 *      and starts one client, this program again as a role.
 *   2. The client connects and streams BYTES in 64 KiB writes, each as soon
 *      as the one before is taken, then shutdown(SHUT_WR).
 *   3. The sink reads EOF: the bytes over the time from its first read to
 *      its last is the MB/s.
 */
#include "tcp.h"

#define CHUNK (64u * 1024u)

static struct {
    scope_demo_t *d;
    uv_tcp_t listener;
    scope_conn_t sink; /* its bytes_in and reads are the figures */
    int sink_open, over;
    scope_role_t client;
    scope_trace_t trace; /* its first_ns and last_ns time the stream */
} srv;

static void sink_closed(scope_conn_t *c)
{
    (void)c;
    srv.sink_open = 0;
    scope_trace_close(&srv.trace);
    tput_stop();
}

/* Each read as it came (SCOPE_CONN_RAW): one read, not one message. */
static void sink_read(scope_conn_t *c, const char *data, size_t len)
{
    (void)c;
    (void)data;
    scope_trace_recv(&srv.trace, NULL, len);
}

static void sink_end(scope_conn_t *c, int status) /* 0: EOF, the stream's end */
{
    (void)c;
    if (status < 0)
        scope_events_error("connection", "read: %s", uv_strerror(status));
}

static void on_sink(uv_stream_t *listener, int status)
{
    if (status < 0 || srv.sink_open)
        return;
    srv.sink_open = 1;
    scope_conn_init_tcp(listener->loop, &srv.sink, sink_closed);
    if (uv_accept(listener, &srv.sink.h.stream) < 0) {
        scope_conn_close(&srv.sink);
        return;
    }
    tcp_trace(&srv.trace, &srv.sink.h.tcp, 1, SCOPE_PID(srv.client.pid), 0, NULL);
    scope_trace_open(&srv.trace, "tcp", "a one-way stream");
    scope_conn_start(&srv.sink, &(scope_conn_options_t){.framing = SCOPE_CONN_RAW,
        .on_frame = sink_read, .on_end = sink_end});
}

static void client_exit(scope_role_t *r, int code, int sig)
{
    (void)r;
    scope_demo_exit(srv.d, code || sig);
    tput_stop();
}

/* The step: a sink of its own, and its client started as a role. */
void tput_run(scope_demo_t *d, uint64_t bytes, int nodelay)
{
    struct sockaddr_storage addr;
    char spec[SCOPE_ADDR_STRLEN], n[32];
    srv.d = d;
    scope_addr_parse("127.0.0.1:0", NULL, 0, &addr);
    int r = tcp_listen(d->loop, &srv.listener, &addr, spec, on_sink);
    snprintf(n, sizeof n, "%llu", (unsigned long long)bytes);
    const char *args[] = {"--connect", spec, "--throughput", n, "--nodelay",
                          nodelay ? "on" : "off", NULL};
    srv.client.on_exit = client_exit;
    if (r < 0 || scope_role_spawn(d, &srv.client, "client",
                                  &(scope_role_options_t){.argv = args}) < 0) {
        scope_demo_exit(d, 1);
        tput_stop();
    }
}

/* Once the client has gone and its stream is read: the step is over. */
void tput_stop(void)
{
    if (!srv.d || srv.over)
        return;
    if (!uv_is_closing((uv_handle_t *)&srv.listener))
        uv_close((uv_handle_t *)&srv.listener, NULL);
    if (srv.sink_open && srv.d->quitting)
        scope_conn_close(&srv.sink);
    if (srv.sink_open || srv.client.running)
        return;
    srv.over = 1;
    uint64_t bytes = srv.sink.bytes_in, reads = srv.sink.reads;
    double secs = (srv.trace.last_ns - srv.trace.first_ns) / 1e9;
    double mb_s = secs > 0 ? bytes / secs / 1e6 : 0;
    scope_demo_figure(srv.d, "bytes", cJSON_CreateNumber((double)bytes));
    scope_demo_figure(srv.d, "reads", cJSON_CreateNumber((double)reads));
    scope_demo_figure(srv.d, "mb_s", cJSON_CreateNumber(mb_s));
    scope_events_log("the sink read %llu bytes in %llu reads, EOF last: %.0f MB/s",
                     (unsigned long long)bytes, (unsigned long long)reads, mb_s);
    scope_demo_next(srv.d);
}

/* ---- the client: a stream as fast as the socket takes it ------------------------ */

static struct {
    tcp_client_t t;
    uv_write_t w;
    uint64_t total, queued;
    char chunk[CHUNK];
} cli;

/* The next chunk once the last is taken, or shutdown() once all is out. */
static void next_chunk(uv_write_t *w, int status)
{
    uv_stream_t *s = &cli.t.c.h.stream;
    uint64_t n = cli.total - cli.queued < CHUNK ? cli.total - cli.queued : CHUNK;
    uv_buf_t b = uv_buf_init(cli.chunk, (unsigned)n);
    if (uv_is_closing((uv_handle_t *)s)) /* quit: the write was cancelled */
        return;
    if (status < 0) {
        scope_demo_check(cli.t.demo, 0, "send", "write: %s", uv_strerror(status));
        scope_conn_close(&cli.t.c);
    } else if (n == 0) { /* socket.end(): the sink reads EOF, then closes its end */
        scope_events_log("shutdown(SHUT_WR) after %llu bytes: the server reads EOF",
                         (unsigned long long)cli.queued);
        scope_conn_end(&cli.t.c);
    } else {
        cli.queued += n;
        scope_trace_send(&cli.t.trace, NULL, (size_t)n);
        if ((status = uv_write(w, s, &b, 1, next_chunk)) < 0)
            next_chunk(w, status);
    }
}

static void on_connected(tcp_client_t *t)
{
    scope_conn_start(&t->c, &(scope_conn_options_t){.framing = SCOPE_CONN_RAW}); /* for EOF */
    next_chunk(&cli.w, 0);
}

int tput_client(scope_demo_t *d, const struct sockaddr *server, uint64_t bytes, int nodelay)
{
    cli.t = (tcp_client_t){.demo = d, .nodelay = nodelay, .on_connected = on_connected};
    cli.total = bytes;
    memset(cli.chunk, 'z', sizeof cli.chunk);
    return tcp_client_run(&cli.t, server);
}
