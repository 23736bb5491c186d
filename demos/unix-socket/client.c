/* client.c: what a client says and hears once it has reached the server.
 * It paces its pings (over the socket, or into up.fifo), times each pong,
 * streams --throughput bytes, applies the "ctl ..." lines the server
 * relays, plays the bad client for --fault, and ends by sending its
 * latency histogram. How it connects is in client_connect.c. */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unix-socket.h"

/* ==== a client ============================================================ */

static void client_next(void);

static void client_report_stats(void)
{
    scope_events_stats(cli.chan, &cli.rtt, &cli.rate, scope_time_now_ns());
}

static void on_client_stats_timer(uv_timer_t *t)
{
    (void)t;
    client_report_stats();
}

/* The line for ping id, exactly --size bytes when that is room enough. */
static const char *build_ping(uint64_t id, size_t *len)
{
    size_t size = demo.size;
    if (size > opt.max_message) {
        scope_events_error("size", "--size %zu is over --max-message %zu: sending %zu", size,
                           opt.max_message, opt.max_message);
        demo.size = size = opt.max_message;
    }
    if (cli.line_cap < size + 128) {
        char *b = realloc(cli.line, size + 128);
        if (!b)
            return NULL;
        cli.line = b;
        cli.line_cap = size + 128;
    }
    int n;
    if (opt.fifo) {
        long pid = (long)getpid();
        n = snprintf(cli.line, cli.line_cap, "ping %ld %llu %llu ", pid, (unsigned long long)id,
                     (unsigned long long)scope_time_now_ns());
        /* the pad's own length is in the line: find the pad that makes it --size */
        size_t pad = 1;
        for (size_t digits = 1; digits <= 9; digits++) {
            size_t room = size > (size_t)n + digits + 1 ? size - (size_t)n - digits - 1 : 0;
            if (room && snprintf(NULL, 0, "%zu", room) == (int)digits) {
                pad = room;
                break;
            }
        }
        int m = snprintf(cli.line + n, cli.line_cap - (size_t)n, "%zu ", pad);
        n += m;
        memset(cli.line + n, 'a' + pid % 26, pad);
        n += (int)pad;
    } else {
        memcpy(cli.line, "ping ", 5); /* by hand: printf costs more than the rest */
        n = 5 + (int)scope_put_u64(cli.line + 5, id);
        if ((size_t)n + 1 < size) {
            cli.line[n++] = ' ';
            memset(cli.line + n, 'x', size - (size_t)n);
            n = (int)size;
        }
    }
    *len = (size_t)n;
    return cli.line;
}

static void client_msg(const char *dir, uint64_t id, size_t bytes, const char *summary,
                       uint64_t lat)
{
    int send = dir[0] == 's';
    scope_events_msg(dir, cli.chan, send ? cli.me : cli.server, send ? cli.server : cli.me, id,
                     bytes, summary, lat);
}

/* ---- the FIFO client's writes ---- */

static void fifo_written(uv_write_t *req, int status)
{
    free(req);
    cli.fifo_writes--;
    if (status < 0) {
        scope_events_error("write", "up.fifo: %s (the reader is gone)", uv_strerror(status));
        client_done(1);
        return;
    }
    if (!cli.await_pong && !cli.done)
        client_next();
    else if (cli.done && cli.fifo_writes == 0)
        client_done(cli.client_code);
}

static int fifo_write(const char *line, size_t len)
{
    uv_write_t *req = malloc(sizeof *req + len + 1);
    if (!req)
        return -ENOMEM;
    char *copy = (char *)(req + 1);
    memcpy(copy, line, len);
    copy[len] = '\n';
    uv_buf_t b = uv_buf_init(copy, (unsigned)len + 1);
    /* One write() of len+1 bytes: at most PIPE_BUF, and it lands whole. */
    int r = uv_write(req, (uv_stream_t *)&cli.c_up, &b, 1, fifo_written);
    if (r < 0)
        free(req);
    else
        cli.fifo_writes++;
    return r;
}

static int client_send_line(const char *line, size_t len)
{
    if (opt.fifo)
        return fifo_write(line, len);
    return scope_conn_send(&cli.conn, line, len);
}

static void send_ping(scope_pacer_t *p)
{
    (void)p;
    if (cli.done)
        return;
    uint64_t id = (uint64_t)cli.sent + 1;
    size_t len;
    const char *line = build_ping(id, &len);
    if (!line)
        return;
    if (scope_events_msg_admit()) {
        char sum[32];
        snprintf(sum, sizeof sum, "ping %llu", (unsigned long long)id);
        scope_events_msg_emit_admitted("send", cli.chan, cli.me, cli.server, id, len + 1, sum, 0);
    }
    cli.t_sent = scope_time_now_ns();
    /* Over a FIFO only client 1 reads answers, and only for a line that
     * cannot tear: a torn ping would never be answered. */
    cli.await_pong = !opt.fifo || (opt.as_client == 1 && len + 1 <= PIPE_BUF);
    int r = client_send_line(line, len);
    if (r == -EPIPE && !opt.fifo) {
        /* The server has closed its end; what it said before that is still
         * to be read, and the end of the stream will tell the rest. */
        return;
    }
    if (r < 0) {
        scope_events_error("send", "%s", strerror(-r));
        client_done(1);
        return;
    }
    cli.sent++;
}

static void client_next(void)
{
    if (cli.done)
        return;
    if (cli.sent >= demo.count) {
        client_done(0);
        return;
    }
    scope_pacer_next(&cli.pacer, send_ping);
}

static void client_send_stats(void)
{
    size_t len;
    char *line = hist_line(&cli.rtt, &len);
    if (!line)
        return;
    if (opt.fifo && len + 1 > PIPE_BUF) {
        scope_events_log("our latency summary (%zu bytes) is over PIPE_BUF: not sent, so it "
                         "cannot tear",
                         len + 1);
    } else if (client_send_line(line, len) == 0) {
        char sum[64];
        snprintf(sum, sizeof sum, "stats: %llu round trips", (unsigned long long)cli.rtt.count);
        client_msg("send", 0, len + 1, sum, 0);
    }
    free(line);
}

void on_conn_closed(scope_conn_t *c)
{
    (void)c;
    cli.conn_open = 0;
    if (opt.connect_only && opt.as_client == 0)
        scope_events_chan("close", cli.chan, opt.fifo ? "fifo" : "unix", cli.me, cli.server, NULL);
    scope_demo_stop(&demo);
}

static void on_c_up_closed(uv_handle_t *h)
{
    (void)h;
    scope_demo_stop(&demo);
}

void client_done(int code)
{
    if (!cli.done) {
        cli.done = 1;
        cli.client_code = code;
        if (!uv_is_closing((uv_handle_t *)&cli.stats_timer))
            uv_close((uv_handle_t *)&cli.stats_timer, NULL);
        scope_pacer_close(&cli.pacer);
        if (code == 0 && cli.rtt.count && !opt.fault[0] && !demo.quitting)
            client_send_stats();
        if (cli.rtt.count) {
            client_report_stats();
            scope_hist_summary_t sum;
            scope_hist_summarize(&cli.rtt, &sum);
            char p50[32], p99[32];
            scope_time_format(p50, sizeof p50, (double)(sum.p50));
            scope_time_format(p99, sizeof p99, (double)(sum.p99));
            scope_events_log("%ld pings, %ld pongs: round trip p50 %s, p99 %s", cli.sent, cli.pongs,
                             p50, p99);
        } else if (opt.fifo && cli.sent) {
            scope_events_log("%ld lines written into up.fifo", cli.sent);
        }
    }
    if (opt.fifo) {
        if (cli.fifo_writes > 0 && code == 0)
            return; /* fifo_written comes back here when they are out */
        if (cli.chan_open) {
            scope_events_chan("close", cli.chan, "fifo", cli.me, cli.server, NULL);
            cli.chan_open = 0;
        }
        if (cli.c_up_ok && !uv_is_closing((uv_handle_t *)&cli.c_up)) {
            uv_close((uv_handle_t *)&cli.c_up, on_c_up_closed);
            cli.c_up_ok = 0;
        }
        if (cli.c_down_ok) {
            scope_conn_close(&cli.conn);
            cli.c_down_ok = 0;
        }
        if (opt.as_client == 0 || opt.connect_only)
            scope_demo_stop(&demo);
        return;
    }
    if (cli.conn_open)
        scope_conn_close(&cli.conn); /* shutdown(SHUT_WR) once queued lines are out */
    else
        scope_demo_stop(&demo);
}

/* ---- the streaming client (--throughput) ---- */

static void stream_more(void);

static void on_stream_written(uv_write_t *req, int status)
{
    (void)req;
    cli.writes_in_flight--;
    if (status < 0) {
        scope_events_error("write", "stream: %s", uv_strerror(status));
        client_done(1);
        return;
    }
    stream_more();
}

static void stream_more(void)
{
    while (!cli.done && cli.writes_in_flight < 2 && cli.streamed < opt.throughput) {
        uint64_t left = opt.throughput - cli.streamed;
        size_t n = left < STREAM_CHUNK ? (size_t)left : STREAM_CHUNK;
        char *base = cli.chunk;
        if (n < STREAM_CHUNK) {
            /* the last piece: whole lines, the final one shorter */
            base = cli.chunk + STREAM_CHUNK - n; /* it ends in '\n' too */
        }
        uv_buf_t b = uv_buf_init(base, (unsigned)n);
        /* writes complete in order: two requests, taken in turn */
        uv_write_t *req = &cli.stream_req[cli.next_req];
        cli.next_req ^= 1;
        if (uv_write(req, &cli.conn.h.stream, &b, 1, on_stream_written) < 0) {
            client_done(1);
            return;
        }
        cli.writes_in_flight++;
        cli.streamed += n;
        if (scope_events_msg_admit()) {
            char sum[48];
            snprintf(sum, sizeof sum, "stream: %.1f of %.1f MB", cli.streamed / 1e6,
                     opt.throughput / 1e6);
            scope_events_msg_emit_admitted("send", cli.chan, cli.me, cli.server, 0, n, sum, 0);
        }
    }
}

static void stream_start(void)
{
    cli.chunk = malloc(STREAM_CHUNK);
    if (!cli.chunk) {
        client_done(1);
        return;
    }
    memset(cli.chunk, 'x', STREAM_CHUNK);
    for (size_t i = STREAM_LINE - 1; i < STREAM_CHUNK; i += STREAM_LINE)
        cli.chunk[i] = '\n';
    char line[64];
    int n = snprintf(line, sizeof line, "stream %llu", (unsigned long long)opt.throughput);
    scope_conn_send(&cli.conn, line, (size_t)n);
    client_msg("send", 0, (size_t)n + 1, line, 0);
    scope_events_log("\"stream %llu\" announces the bytes that follow: then they go in writes "
                     "of %d KiB, two in flight",
                     (unsigned long long)opt.throughput, STREAM_CHUNK / 1024);
    cli.stream_t0 = scope_time_now_ns();
    stream_more();
}

/* ---- what the client reads ---- */

static void apply_ctl(const char *line, size_t len)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < 63 ? len : 63), line);
    double v;
    if (strcmp(buf, "ctl quit") == 0) {
        scope_events_log("from the server: ctl quit");
        client_done(0);
        return;
    }
    /* The dashboard's command, relayed as a text line (so that a person
     * with socat can send one too), applied as lib/demo applies it in the
     * server: the pacer then holds or lets go the next ping. */
    cJSON *cmd = cJSON_CreateObject();
    if (strcmp(buf, "ctl pause") == 0 || strcmp(buf, "ctl resume") == 0 ||
        strcmp(buf, "ctl step") == 0) {
        cJSON_AddStringToObject(cmd, "cmd", buf + 4);
    } else if (sscanf(buf, "ctl rate %lf", &v) == 1) {
        cJSON_AddStringToObject(cmd, "cmd", "rate");
        cJSON_AddNumberToObject(cmd, "hz", v);
    } else if (sscanf(buf, "ctl size %lf", &v) == 1) {
        cJSON_AddStringToObject(cmd, "cmd", "size");
        cJSON_AddNumberToObject(cmd, "bytes", v);
    } else {
        cJSON_Delete(cmd);
        return;
    }
    scope_events_log("from the server: %s", buf);
    scope_demo_apply_control(&demo, cmd);
    cJSON_Delete(cmd);
}

/* "pong: ping PID ID ..." -> ID */
static uint64_t fifo_pong_id(const char *line, size_t len)
{
    char head[64];
    size_t k = len < sizeof head - 1 ? len : sizeof head - 1;
    memcpy(head, line, k);
    head[k] = '\0';
    long pid;
    unsigned long long id;
    return sscanf(head, "pong: ping %ld %llu", &pid, &id) == 2 ? id : 0;
}

void on_client_line(scope_conn_t *c, const char *line, size_t len)
{
    (void)c;
    char sum[96];
    if (len >= 4 && memcmp(line, "ctl ", 4) == 0) {
        apply_ctl(line, len);
        return;
    }
    if (len >= 7 && memcmp(line, "error: ", 7) == 0) {
        summarize(sum, sizeof sum, "", line, len);
        client_msg("recv", 0, len + 1, sum, 0);
        if (cli.pongs == 0 && memcmp(line, "error: uid", 10 < len ? 10 : len) == 0) {
            cli.refused_us = 1;
            scope_events_error("refused", "the server refused us: %.*s", (int)(len - 7),
                               line + 7);
        } else {
            scope_events_log("the server says: %.*s", (int)(len > 200 ? 200 : len), line);
        }
        return;
    }
    if (len > 9 && memcmp(line, "received ", 9) == 0) {
        uint64_t ns = scope_time_now_ns() - cli.stream_t0;
        client_msg("recv", 0, len + 1, "received", 0);
        scope_events_log("the server says: %.*s; from our first write to its answer: %.0f MB/s",
                         (int)len, line, (double)cli.streamed * 1e3 / (double)(ns ? ns : 1));
        client_done(0);
        return;
    }
    uint64_t id = opt.fifo ? fifo_pong_id(line, len) : ping_id(line, len);
    uint64_t now = scope_time_now_ns();
    uint64_t rtt = cli.await_pong && cli.t_sent && id == (uint64_t)cli.sent ? now - cli.t_sent : 0;
    if (rtt) {
        cli.pongs++;
        scope_hist_add(&cli.rtt, rtt);
        scope_rate_add(&cli.rate, now, len + 1);
    }
    if (scope_events_msg_admit()) {
        if (opt.fifo)
            snprintf(sum, sizeof sum, "pong: ping %llu", (unsigned long long)id);
        else
            summarize(sum, sizeof sum, "", line, len);
        scope_events_msg_emit_admitted("recv", cli.chan, cli.server, cli.me, id, len + 1, sum, rtt);
    }
    if (opt.fault[0]) {
        scope_events_log("the server still answers after our bad line: %s", sum);
        client_done(0);
        return;
    }
    if (rtt)
        client_next();
}

void on_client_bad(scope_conn_t *c, const scope_frame_error_t *err)
{
    (void)c;
    scope_events_error("oversize", "from the server: %s", err->reason);
}

void on_client_end(scope_conn_t *c, int status)
{
    (void)c;
    if (cli.done || demo.quitting)
        return;
    if (cli.refused_us) {
        scope_events_log("the server closed the connection after refusing us");
        cli.done = 1;
        cli.client_code = CLIENT_REFUSED;
    } else if (opt.fault[0]) {
        scope_events_log("the server closed our connection (%s)",
                         status == 0 ? "EOF" : uv_strerror(status));
        cli.done = 1;
        cli.client_code = 0;
    } else {
        scope_events_error("closed", "the server closed the connection (%s) after %ld of %ld "
                           "pongs",
                           status == 0 ? "EOF" : uv_strerror(status), cli.pongs, demo.count);
        cli.done = 1;
        cli.client_code = 1;
    }
    if (!uv_is_closing((uv_handle_t *)&cli.stats_timer))
        uv_close((uv_handle_t *)&cli.stats_timer, NULL);
    scope_pacer_close(&cli.pacer);
}

/* ---- a bad client (--fault) ---- */

static void bad_client_act(void)
{
    if (strcmp(opt.fault, "oversize") == 0) {
        size_t n = opt.max_message + 100;
        char *big = malloc(n + 1);
        if (!big)
            return;
        memset(big, 'o', n);
        big[n] = '\n';
        scope_events_log("fault: writing a %zu-byte line, over the server's %zu-byte limit; "
                         "then an ordinary ping",
                         n + 1, opt.max_message);
        client_msg("send", 0, n + 1, "oversize line", 0);
        scope_conn_write_raw(&cli.conn, big, n + 1);
        free(big);
        cli.sent = 1;
        cli.await_pong = 1;
        cli.t_sent = scope_time_now_ns();
        scope_conn_send(&cli.conn, "ping 1 after the big one", 24);
        client_msg("send", 1, 25, "ping 1", 0);
    } else if (strcmp(opt.fault, "silent") == 0) {
        scope_events_log("fault: connected, and saying nothing: the server's idle limit "
                         "(%llu ms) should cut us",
                         (unsigned long long)opt.idle_ms);
    } else {
        scope_events_log("fault: writing half a line, then vanishing before its newline");
        client_msg("send", 0, 16, "ping 1 (half)", 0);
        scope_conn_write_raw(&cli.conn, "ping 1 half a li", 16);
        /* No newline, no close, no goodbye: the process just ends, as a crash
         * would, and the kernel closes the socket for it. */
        _exit(0);
    }
}

/* ---- once connected ---- */

void client_begin(void)
{
    scope_events_proc("ready", getpid(), getppid(), cli.role, 0, 0);
    uv_timer_start(&cli.stats_timer, on_client_stats_timer, 500, 500);
    if (opt.fault[0]) {
        bad_client_act();
        return;
    }
    if (opt.throughput) {
        stream_start();
        return;
    }
    if (demo.count == 0) {
        client_done(0);
        return;
    }
    client_next();
}
