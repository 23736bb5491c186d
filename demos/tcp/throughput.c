/* throughput.c: --throughput, both ends. One client streams BYTES to the
 * server as fast as the socket takes them, with a few writes in flight; the
 * server takes that connection as a sink that only counts, starting its clock
 * when it says "go", and the summary gives MB/s. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcp.h"

/* ---- throughput: one client streams bytes as fast as the socket takes them */

#define TPUT_INFLIGHT 4

static struct {
    uv_tcp_t tcp;
    uv_connect_t req;
    uv_write_t w[TPUT_INFLIGHT];
    size_t len[TPUT_INFLIGHT];
    uv_shutdown_t sd;
    uint64_t queued, done;
    int inflight, shut, started;
    char chan[32];
    char *chunk;
} tp;

static void tput_closed(uv_handle_t *h)
{
    (void)h;
    free(tp.chunk);
    tp.chunk = NULL;
    client_wind_down();
}

void tput_close(void)
{
    if (!uv_is_closing((uv_handle_t *)&tp.tcp))
        uv_close((uv_handle_t *)&tp.tcp, tput_closed);
}

static void tput_shut(uv_shutdown_t *req, int status)
{
    (void)req;
    (void)status;
    scope_events_log("shutdown(SHUT_WR) after %llu bytes: the server reads EOF",
                     (unsigned long long)tp.done);
    tput_close();
}

static void tput_written(uv_write_t *w, int status);

/* Queues the next chunk on write request i, or shuts down once all is out. */
static void tput_next(int i)
{
    if (uv_is_closing((uv_handle_t *)&tp.tcp))
        return;
    if (tp.queued >= tcp.throughput) {
        if (tp.inflight == 0 && !tp.shut) {
            tp.shut = 1;
            uv_shutdown(&tp.sd, (uv_stream_t *)&tp.tcp, tput_shut);
        }
        return;
    }
    uint64_t n = tcp.throughput - tp.queued;
    if (n > TPUT_CHUNK)
        n = TPUT_CHUNK;
    tp.len[i] = (size_t)n;
    tp.queued += n;
    tp.inflight++;
    if (scope_events_msg_admit()) {
        char sum[64];
        snprintf(sum, sizeof sum, "%llu bytes of a stream", (unsigned long long)n);
        scope_events_msg_emit_admitted("send", tp.chan, me(), SCOPE_PID(cli.server_pid), 0,
                                       (size_t)n, sum, 0);
    }
    uv_buf_t b = uv_buf_init(tp.chunk, (unsigned)n);
    tp.w[i].data = (void *)(intptr_t)i;
    int r = uv_write(&tp.w[i], (uv_stream_t *)&tp.tcp, &b, 1, tput_written);
    if (r < 0) {
        tp.inflight--;
        scope_events_error("send", "write: %s", uv_strerror(r));
        tcp.exit_code = 1;
        tput_close();
    }
}

static void tput_written(uv_write_t *w, int status)
{
    int i = (int)(intptr_t)w->data;
    tp.inflight--;
    if (status < 0) {
        if (!uv_is_closing((uv_handle_t *)&tp.tcp)) {
            scope_events_error("send", "write: %s", uv_strerror(status));
            tcp.exit_code = 1;
            tput_close();
        }
        return;
    }
    tp.done += tp.len[i];
    tput_next(i);
}

static void tput_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    static char small[64];
    (void)h;
    (void)hint;
    *buf = uv_buf_init(small, sizeof small);
}

/* The server's "go" starts the stream, so that its clock and ours start
 * together; what comes after (its EOF) ends nothing: we close when done. */
static void tput_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    if (nread <= 0 || tp.started)
        return;
    tp.started = 1;
    uv_read_stop(st);
    scope_events_log("the server says go: streaming %llu bytes to %s in writes of %u bytes, up "
                     "to %d in flight", (unsigned long long)tcp.throughput, cli.server_str,
                     TPUT_CHUNK, TPUT_INFLIGHT);
    for (int i = 0; i < TPUT_INFLIGHT; i++)
        tput_next(i);
}

static void tput_connected(uv_connect_t *req, int status)
{
    (void)req;
    if (status < 0) {
        scope_events_error("connect", "connect() to %s: %s", cli.server_str, uv_strerror(status));
        tcp.exit_code = 1;
        tput_close();
        return;
    }
    struct sockaddr_storage local;
    int len = sizeof local;
    uv_tcp_getsockname(&tp.tcp, (struct sockaddr *)&local, &len);
    snprintf(tp.chan, sizeof tp.chan, "tcp:%d", scope_addr_port((struct sockaddr *)&local));
    if (tcp.nodelay)
        uv_tcp_nodelay(&tp.tcp, 1);
    scope_events_proc("ready", getpid(), getppid(), "client", 0, 0);
    uv_read_start((uv_stream_t *)&tp.tcp, tput_alloc, tput_read);
}

void tput_start(void)
{
    uv_tcp_init(tcp.demo.loop, &tp.tcp);
    tp.chunk = malloc(TPUT_CHUNK);
    if (!tp.chunk) {
        tcp.exit_code = 1;
        tput_close();
        return;
    }
    memset(tp.chunk, 'z', TPUT_CHUNK);
    int r = uv_tcp_connect(&tp.req, &tp.tcp, (struct sockaddr *)&cli.server_addr, tput_connected);
    if (r < 0)
        tput_connected(&tp.req, r);
}

/* ---- throughput: a sink that counts ------------------------------------- */

void sink_closed(uv_handle_t *h)
{
    (void)h;
    srv.sink_open = 0;
    scope_events_chan("close", srv.sink_chan, "tcp", SCOPE_PID(srv.kids[0].pid), server_end(), NULL);
    advance();
}

static void sink_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    (void)hint;
    *buf = uv_buf_init(srv.sink_buf, sizeof srv.sink_buf);
}

static void sink_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    if (nread > 0) {
        srv.sink_last = scope_time_now_ns();
        srv.sink_bytes += (uint64_t)nread;
        srv.sink_reads++;
        if (scope_events_msg_admit()) {
            char sum[64];
            snprintf(sum, sizeof sum, "read %zd bytes", nread);
            scope_events_msg_emit_admitted("recv", srv.sink_chan, SCOPE_PID(srv.kids[0].pid),
                                           server_end(), 0, (size_t)nread, sum, 0);
        }
    } else if (nread < 0) {
        if (nread != UV_EOF)
            scope_events_error("connection", "read: %s", uv_strerror((int)nread));
        scope_events_log("read() returned 0 after %llu bytes in %llu reads",
                         (unsigned long long)srv.sink_bytes, (unsigned long long)srv.sink_reads);
        uv_close((uv_handle_t *)st, sink_closed);
    }
}

void sink_accept(void)
{
    uv_tcp_init(tcp.demo.loop, &srv.sink);
    if (uv_accept((uv_stream_t *)&srv.listener, (uv_stream_t *)&srv.sink) < 0) {
        uv_close((uv_handle_t *)&srv.sink, NULL);
        return;
    }
    srv.sink_open = 1;
    struct sockaddr_storage peer;
    int len = sizeof peer;
    uv_tcp_getpeername(&srv.sink, (struct sockaddr *)&peer, &len);
    snprintf(srv.sink_chan, sizeof srv.sink_chan, "tcp:%d", scope_addr_port((struct sockaddr *)&peer));
    if (tcp.nodelay)
        uv_tcp_nodelay(&srv.sink, 1);
    scope_events_chan("open", srv.sink_chan, "tcp", SCOPE_PID(srv.kids[0].pid), server_end(),
                      "a one-way stream");
    uv_read_start((uv_stream_t *)&srv.sink, sink_alloc, sink_read);
    /* The clock starts with "go": bytes queued before we read are not free. */
    uv_buf_t go = uv_buf_init("go\n", 3);
    srv.sink_first = scope_time_now_ns();
    uv_try_write((uv_stream_t *)&srv.sink, &go, 1);
}
