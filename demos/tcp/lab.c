/* lab.c: the lab, both ends: what a TCP byte stream does to messages. The
 * lab client (--as-lab) reads its first connection with no framing, one read()
 * taken as one message; the server's side writes two short messages (a), one
 * of 256 KiB (b), then the same as length-prefixed frames on a second
 * connection (c); last, the client times a request written in two write()s
 * with Nagle on and with TCP_NODELAY (d). The server drives the steps; the
 * client answers "done" with what it saw. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tcp.h"

/* ---- the lab client: what a byte stream does to messages ----------------
 * Its first connection has no framing at all: a naive reader that takes each
 * read() as one message, as the seed's server does with socket.on('data').
 * The server drives the lab; the client says "done" on the same connection
 * when it has seen what the step shows, and waits for "go" to go on. */

static struct {
    uv_tcp_t l1;
    uv_connect_t req;
    uv_timer_t wait;
    int phase; /* 'a', 'b', then 'l' (lines: "go c", "go d") */
    int waited_ms;
    uint64_t got, reads;
    char chan1[32], line[256];
    size_t line_len;
    char buf[64 * 1024];
    scope_conn_t l2;
    uv_connect_t req2;
    char chan2[32];
    uint64_t frames;
    uint64_t p50_off, p50_on;
    int nagle_round, l2_started, lines_in, lines_out;
} lab;

static void lab_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void lab_report(const char *fmt, ...)
{
    char text[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text - 1, fmt, ap);
    va_end(ap);
    scope_events_msg("send", lab.chan1, me(), SCOPE_PID(cli.server_pid), ++lab.lines_out,
                     (size_t)n + 1, text, 0);
    text[n] = '\n';
    uv_buf_t b = uv_buf_init(text, (unsigned)n + 1);
    uv_try_write((uv_stream_t *)&lab.l1, &b, 1);
}

static void lab_l1_closed(uv_handle_t *h)
{
    (void)h;
    if (!uv_is_closing((uv_handle_t *)&lab.wait))
        uv_close((uv_handle_t *)&lab.wait, NULL);
    client_wind_down();
}

static void lab_finish(void)
{
    if (!uv_is_closing((uv_handle_t *)&lab.l1))
        uv_close((uv_handle_t *)&lab.l1, lab_l1_closed);
}

static void lab_nagle_done(session_t *ss);

static void lab_nagle_round(void)
{
    int nodelay = lab.nagle_round == 1;
    scope_events_log("lab client: %d requests, each written as two write()s, then a read of "
                     "the answer; TCP_NODELAY %s", NAGLE_ROUNDS, nodelay ? "on" : "off (Nagle on)");
    session_start(&cli.chat, NAGLE_ROUNDS, nodelay, 1, 0, lab_nagle_done);
}

static void lab_nagle_done(session_t *ss)
{
    uint64_t p50 = scope_hist_percentile(&ss->rtt, 50);
    if (tcp.demo.quitting) {
        lab_finish();
        return;
    }
    if (lab.nagle_round++ == 0) {
        lab.p50_off = p50;
        lab_nagle_round();
        return;
    }
    lab.p50_on = p50;
    scope_events_log("write-write-read: median %.1f ms with Nagle on, %.1f us with TCP_NODELAY. "
                     "Nagle held the second write until the first was ACKed, and the server "
                     "delayed that ACK (40 ms, the least Linux waits) waiting for the rest of the line",
                     lab.p50_off / 1e6, lab.p50_on / 1e3);
    lab_report("done d %.3fms %.3fus", lab.p50_off / 1e6, lab.p50_on / 1e3);
    lab_finish();
}

static void lab_l2_frame(scope_conn_t *c, const char *data, size_t len)
{
    char sum[128];
    summarize(data, len, sum, sizeof sum);
    lab.frames++;
    scope_events_msg("recv", lab.chan2, SCOPE_PID(cli.server_pid), me(), lab.frames, len + 4, sum, 0);
    if (lab.frames < 3)
        return;
    scope_events_log("lab client: 3 messages (%d, %d and %u bytes), each whole, in %llu reads: "
                     "the 4-byte length in front of each says where it ends",
                     (int)strlen(LAB_A1), (int)strlen(LAB_A2), LAB_BIG,
                     (unsigned long long)c->reads);
    char done[48];
    int n = snprintf(done, sizeof done, "done c %llu", (unsigned long long)c->reads);
    scope_events_msg("send", lab.chan2, me(), SCOPE_PID(cli.server_pid), 1, (size_t)n + 4, done, 0);
    scope_conn_send(c, done, (size_t)n);
    scope_conn_close(c);
}

static void lab_l2_connected(uv_connect_t *req, int status)
{
    (void)req;
    if (status < 0) {
        scope_events_error("connect", "lab client: connect(): %s", uv_strerror(status));
        scope_conn_close(&lab.l2);
        lab_finish();
        return;
    }
    struct sockaddr_storage local;
    int len = sizeof local;
    uv_tcp_getsockname(&lab.l2.h.tcp, (struct sockaddr *)&local, &len);
    snprintf(lab.chan2, sizeof lab.chan2, "tcp:%d", scope_addr_port((struct sockaddr *)&local));
    scope_events_log("lab client: a second connection, fd %d, read through lib/net's "
                     "length-prefixed framing (SCOPE_CONN_LENGTH)", scope_conn_fd(&lab.l2));
    scope_conn_options_t co = {.framing = SCOPE_CONN_LENGTH, .max_frame = 1024 * 1024,
                               .on_frame = lab_l2_frame};
    scope_conn_start(&lab.l2, &co);
}

static void lab_on_line(const char *line)
{
    /* the server's writes on this connection so far: two in (a), one in (b) */
    scope_events_msg("recv", lab.chan1, SCOPE_PID(cli.server_pid), me(), 3 + ++lab.lines_in,
                     strlen(line) + 1, line, 0);
    if (strcmp(line, "go c") == 0) {
        scope_conn_init_tcp(tcp.demo.loop, &lab.l2, NULL);
        lab.l2_started = 1;
        uv_tcp_connect(&lab.req2, &lab.l2.h.tcp, (struct sockaddr *)&cli.server_addr,
                       lab_l2_connected);
    } else if (strcmp(line, "go d") == 0) {
        lab.nagle_round = 0;
        lab_nagle_round();
    }
}

static void lab_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    (void)hint;
    *buf = uv_buf_init(lab.buf, sizeof lab.buf);
}

static void lab_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    (void)st;
    if (nread < 0) {
        if (nread != UV_EOF)
            scope_events_error("connection", "lab client: read: %s", uv_strerror((int)nread));
        lab_finish();
        return;
    }
    if (nread == 0)
        return;
    if (lab.phase == 'l') {
        for (ssize_t i = 0; i < nread; i++) {
            if (buf->base[i] == '\n') {
                lab.line[lab.line_len] = '\0';
                lab_on_line(lab.line);
                lab.line_len = 0;
            } else if (lab.line_len + 1 < sizeof lab.line) {
                lab.line[lab.line_len++] = buf->base[i];
            }
        }
        return;
    }
    /* the naive reader: one read(), one "message" */
    lab.reads++;
    lab.got += (uint64_t)nread;
    char sum[128], label[160];
    summarize(buf->base, (size_t)nread, sum, sizeof sum);
    snprintf(label, sizeof label, "read %llu: %s", (unsigned long long)lab.reads, sum);
    scope_events_msg("recv", "naive reads", SCOPE_PID(cli.server_pid), me(), 0, (size_t)nread,
                     label, 0);
    if (lab.phase == 'a' && lab.got >= strlen(LAB_A1) + strlen(LAB_A2)) {
        scope_events_log("lab client: 2 messages were written, %llu read() returned them, so a "
                         "reader that takes each read as a message sees %llu: \"%.*s\"",
                         (unsigned long long)lab.reads, (unsigned long long)lab.reads,
                         (int)nread, buf->base);
        lab_report("done a %llu", (unsigned long long)lab.reads);
        lab.phase = 'b';
        lab.reads = lab.got = 0;
    } else if (lab.phase == 'b' && lab.got >= LAB_BIG) {
        scope_events_log("lab client: 1 message of %u bytes was written; it took %llu reads, so "
                         "the naive reader sees %llu messages, none of them the one sent",
                         LAB_BIG, (unsigned long long)lab.reads, (unsigned long long)lab.reads);
        lab_report("done b %llu", (unsigned long long)lab.reads);
        lab.phase = 'l';
    }
}

/* Reading late on purpose, as a busy process does: both writes wait in the
 * receive buffer before the first read(). */
static void lab_wait(uv_timer_t *t)
{
    int fd = -1, queued = 0;
    uv_fileno((uv_handle_t *)&lab.l1, &fd);
    ioctl(fd, FIONREAD, &queued);
    size_t want = strlen(LAB_A1) + strlen(LAB_A2);
    if ((size_t)queued < want && lab.waited_ms++ < 10000)
        return;
    uv_timer_stop(t);
    scope_events_log("lab client: busy for a moment, not reading; ioctl(fd %d, FIONREAD) = %d: "
                     "both writes wait in the receive buffer, with nothing between them", fd,
                     queued);
    uv_read_start((uv_stream_t *)&lab.l1, lab_alloc, lab_read);
}

static void lab_connected(uv_connect_t *req, int status)
{
    (void)req;
    if (status < 0) {
        scope_events_error("connect", "lab client: connect() to %s: %s", cli.server_str,
                           uv_strerror(status));
        tcp.exit_code = 1;
        lab_finish();
        return;
    }
    struct sockaddr_storage local;
    int len = sizeof local;
    uv_tcp_getsockname(&lab.l1, (struct sockaddr *)&local, &len);
    snprintf(lab.chan1, sizeof lab.chan1, "tcp:%d", scope_addr_port((struct sockaddr *)&local));
    scope_events_proc("ready", getpid(), getppid(), "lab client", 0, 0);
    lab.phase = 'a';
    uv_timer_start(&lab.wait, lab_wait, 1, 1);
}

void lab_start(void)
{
    uv_tcp_init(tcp.demo.loop, &lab.l1);
    uv_timer_init(tcp.demo.loop, &lab.wait);
    int r = uv_tcp_connect(&lab.req, &lab.l1, (struct sockaddr *)&cli.server_addr, lab_connected);
    if (r < 0)
        lab_connected(&lab.req, r);
}

/* The dashboard's quit, in the lab client: close what is open. */
void lab_quit(void)
{
    if (cli.chat_started)
        scope_conn_close(&cli.chat.c);
    if (lab.l2_started)
        scope_conn_close(&lab.l2);
    lab_finish();
}

/* ---- the lab, server side ---------------------------------------------- */

static void lab_step_b(scope_demo_t *d);
static void lab_step_c(scope_demo_t *d);
static void lab_step_d(scope_demo_t *d);

static void lab_write_raw(conn_t *k, const char *data, size_t len)
{
    trace_send(k, data, len, len);
    scope_conn_write_raw(&k->c, data, len);
}

void lab_send_a(conn_t *k)
{
    scope_events_log("server: two write()s on fd %d, \"%s\" then \"%s\", nothing between them: "
                     "no newline, no length", k->fd, LAB_A1, LAB_A2);
    lab_write_raw(k, LAB_A1, strlen(LAB_A1));
    lab_write_raw(k, LAB_A2, strlen(LAB_A2));
    srv.lab_state = 'a';
}

void lab_send_framed(conn_t *k)
{
    scope_events_log("server: the same messages and the 256 KiB one, each sent with "
                     "scope_conn_send(): a 4-byte big-endian length, then the bytes");
    const char *m[3] = {LAB_A1, LAB_A2, srv.big};
    size_t l[3] = {strlen(LAB_A1), strlen(LAB_A2), LAB_BIG};
    for (int i = 0; i < 3; i++) {
        trace_send(k, m[i], l[i], l[i] + 4);
        int r = scope_conn_send(&k->c, m[i], l[i]);
        if (r < 0)
            scope_events_error("send", "scope_conn_send: %s", strerror(-r));
    }
    srv.lab_state = 'C';
}

/* A line from the lab client on its first connection: how a step went. */
void lab_done(conn_t *k, const char *line, size_t len)
{
    char buf[128];
    unsigned long long x = 0;
    double ms = 0, us = 0;
    snprintf(buf, sizeof buf, "%.*s", (int)(len < 127 ? len : 127), line);
    (void)k;
    if (sscanf(buf, "done a %llu", &x) == 1 && srv.lab_state == 'a') {
        srv.lab_a_reads = x;
        scope_demo_step(&tcp.demo, "a byte stream (b): one 256 KiB write, several reads",
                        lab_step_b);
    } else if (sscanf(buf, "done b %llu", &x) == 1 && srv.lab_state == 'b') {
        srv.lab_b_reads = x;
        scope_demo_step(&tcp.demo, "length-prefixed frames: every message whole again",
                        lab_step_c);
    } else if (sscanf(buf, "done c %llu", &x) == 1 && srv.lab_state == 'C') {
        srv.lab_c_reads = x;
        scope_demo_step(&tcp.demo, "Nagle and TCP_NODELAY: a request in two writes, timed",
                        lab_step_d);
    } else if (sscanf(buf, "done d %lfms %lfus", &ms, &us) == 2 && srv.lab_state == 'd') {
        srv.nagle_off = (uint64_t)(ms * 1e6);
        srv.nagle_on = (uint64_t)(us * 1e3);
        srv.lab_state = 'D';
        scope_events_log("server: the lab client measured write-write-read at %.1f ms with "
                         "Nagle, %.1f us with TCP_NODELAY", ms, us);
    }
}

static void lab_step_b(scope_demo_t *d)
{
    (void)d;
    conn_t *k = srv.lab_ctrl;
    if (!k || k->c.closing)
        return;
    if (!srv.big) {
        srv.big = malloc(LAB_BIG);
        if (!srv.big)
            return;
        for (size_t i = 0; i < LAB_BIG; i++)
            srv.big[i] = "0123456789abcdef"[i / 4096 % 16];
    }
    scope_events_log("server: one message of %u bytes, one uv_write() on fd %d; write() takes "
                     "what the socket buffer holds and libuv writes the rest as it drains",
                     LAB_BIG, k->fd);
    srv.lab_state = 'b';
    lab_write_raw(k, srv.big, LAB_BIG);
}

static void lab_step_c(scope_demo_t *d)
{
    (void)d;
    if (!srv.lab_ctrl || srv.lab_ctrl->c.closing)
        return;
    srv.lab_state = 'c';
    trace_send(srv.lab_ctrl, "go c", 4, 5);
    scope_conn_send(&srv.lab_ctrl->c, "go c", 4);
}

static void lab_step_d(scope_demo_t *d)
{
    (void)d;
    if (!srv.lab_ctrl || srv.lab_ctrl->c.closing)
        return;
    srv.lab_state = 'd';
    trace_send(srv.lab_ctrl, "go d", 4, 5);
    scope_conn_send(&srv.lab_ctrl->c, "go d", 4);
}
