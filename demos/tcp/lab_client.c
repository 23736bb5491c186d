/* lab_client.c: the lab client, the process lab.c starts (role "lab client").
 * Its first connection has no framing at all: a naive reader that takes each
 * read() as one message, as the articles' socket.on('data') does. It tells
 * the server on that connection what each step showed ("done a 1"), and
 * waits for "go c" and "go d". lab.c tells the steps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "events.h"
#include "tcp.h"

#define ROUNDS 20

typedef struct {
    scope_conn_t c;
    scope_trace_t trace;
    /* how to read it once connected, and what then */
    uv_connect_t req;
    scope_conn_options_t o;
    void (*then)(void *k);
} lab_conn_t;

static struct {
    scope_demo_t *d;
    struct sockaddr_storage server;
    uv_tcp_t l1; /* no framing at all: one read(), one "message" */
    uv_connect_t req;
    uv_timer_t wait;
    scope_trace_t t1, naive;
    char phase; /* 'a', 'b', then 'l': lines ("go c", "go d") */
    int waited_ms, lines_in, round, sent;
    uint64_t got, reads, sent_at, p50[2];
    scope_hist_t rtt;
    lab_conn_t l2, nagle[2];
    char line[256], buf[64 * 1024];
    size_t line_len;
} cl;

/* How a step went, on the first connection. */
static void report(const char *text)
{
    scope_trace_send(&cl.t1, text, strlen(text));
    uv_buf_t buf = uv_buf_init((char *)text, (unsigned)strlen(text));
    uv_try_write((uv_stream_t *)&cl.l1, &buf, 1);
}

static void client_done(void)
{
    scope_trace_close(&cl.t1);
    if (!uv_is_closing((uv_handle_t *)&cl.l1))
        uv_close((uv_handle_t *)&cl.l1, NULL);
    if (!uv_is_closing((uv_handle_t *)&cl.wait))
        uv_close((uv_handle_t *)&cl.wait, NULL);
}

static void on_connected(uv_connect_t *req, int status)
{
    lab_conn_t *k = req->data;
    if (status < 0) {
        scope_events_error("connect", "lab client: connect(): %s", uv_strerror(status));
        scope_conn_close(&k->c);
        client_done();
        return;
    }
    struct sockaddr_storage me;
    int len = sizeof me;
    char chan[32];
    uv_tcp_getsockname(&k->c.h.tcp, (struct sockaddr *)&me, &len);
    snprintf(chan, sizeof chan, "tcp:%d", scope_addr_port((struct sockaddr *)&me));
    scope_trace_init(&k->trace, chan, SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    scope_conn_start(&k->c, &k->o);
    if (k->then)
        k->then(k);
}

static void on_conn_closed(scope_conn_t *c)
{
    lab_conn_t *k = c->data;
    scope_trace_close(&k->trace);
}

static void connect_to(lab_conn_t *k, scope_conn_framing_t framing, scope_conn_frame_cb on_frame,
                       void (*then)(void *k))
{
    scope_conn_init_tcp(cl.d->loop, &k->c, on_conn_closed);
    k->c.data = k->req.data = k;
    k->o = (scope_conn_options_t){.framing = framing, .max_frame = 1u << 20, .on_frame = on_frame};
    k->then = then;
    if (uv_tcp_connect(&k->req, &k->c.h.tcp, (struct sockaddr *)&cl.server, on_connected) < 0)
        scope_conn_close(&k->c);
}

/* (d) write-write-read: the request in two write()s, then the answer. */
static void request(void *arg)
{
    lab_conn_t *k = arg;
    static const char req[] = "Hello server! write-write-read\n";
    if (cl.round == 1 && cl.sent == 0)
        uv_tcp_nodelay(&k->c.h.tcp, 1);
    cl.sent_at = scope_time_now_ns();
    scope_trace_send(&k->trace, req, sizeof req - 1);
    scope_conn_write_raw(&k->c, req, 15);
    scope_conn_write_raw(&k->c, req + 15, sizeof req - 1 - 15);
}

static void on_nagle_echo(scope_conn_t *c, const char *line, size_t len);

static void nagle_round(void)
{
    cl.sent = 0;
    scope_hist_reset(&cl.rtt);
    scope_events_log("lab client: %d requests, each written as two write()s, then a read of "
                     "the answer; TCP_NODELAY %s", ROUNDS, cl.round ? "on" : "off (Nagle on)");
    connect_to(&cl.nagle[cl.round], SCOPE_CONN_LINES, on_nagle_echo, request);
}

static void on_nagle_echo(scope_conn_t *c, const char *line, size_t len)
{
    lab_conn_t *k = c->data;
    uint64_t rtt = scope_time_now_ns() - cl.sent_at;
    scope_trace_reply(&k->trace, line, len, rtt);
    scope_hist_add(&cl.rtt, rtt);
    if (++cl.sent < ROUNDS) {
        request(k);
        return;
    }
    cl.p50[cl.round] = scope_hist_percentile(&cl.rtt, 50);
    scope_conn_close(c);
    if (++cl.round < 2) {
        nagle_round();
        return;
    }
    scope_events_log("write-write-read: median %.1f ms with Nagle on, %.1f us with TCP_NODELAY. "
                     "Nagle held the second write until the first was ACKed, and the server "
                     "delayed that ACK (40 ms, the least Linux waits) waiting for the rest of "
                     "the line", cl.p50[0] / 1e6, cl.p50[1] / 1e3);
    char done[64];
    snprintf(done, sizeof done, "done d %.3fms %.3fus\n", cl.p50[0] / 1e6, cl.p50[1] / 1e3);
    report(done);
    client_done();
}

/* (c) length-prefixed frames on a second connection */
static void on_frame(scope_conn_t *c, const char *data, size_t len)
{
    lab_conn_t *k = c->data;
    scope_trace_recv(&k->trace, data, len);
    if (c->frames_in < 3)
        return;
    scope_events_log("lab client: 3 messages (%zu, %zu and %u bytes), each whole, in %llu "
                     "reads: the 4-byte length in front of each says where it ends",
                     strlen(LAB_A1), strlen(LAB_A2), LAB_BIG, (unsigned long long)c->reads);
    char done[48];
    int n = snprintf(done, sizeof done, "done c %llu", (unsigned long long)c->reads);
    scope_trace_send(&k->trace, done, (size_t)n);
    scope_conn_send(c, done, (size_t)n);
    scope_conn_close(c);
}

static void on_line(const char *line)
{
    /* the server's writes on this connection so far: two in (a), one in (b) */
    scope_trace_msg(&cl.t1, SCOPE_TRACE_RECV, 3 + (uint64_t)++cl.lines_in, line, strlen(line), 0);
    if (strcmp(line, "go c") == 0)
        connect_to(&cl.l2, SCOPE_CONN_LENGTH, on_frame, NULL);
    else if (strcmp(line, "go d") == 0)
        nagle_round();
}

static void l1_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    (void)hint;
    *buf = uv_buf_init(cl.buf, sizeof cl.buf);
}

/* (a) and (b): the naive reader, one read() taken as one message */
static void l1_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    (void)st;
    char done[48];
    if (nread < 0) {
        if (nread != UV_EOF)
            scope_events_error("connection", "lab client: read: %s", uv_strerror((int)nread));
        client_done();
        return;
    }
    for (ssize_t i = 0; cl.phase == 'l' && i < nread; i++) {
        if (buf->base[i] != '\n' && cl.line_len + 1 < sizeof cl.line) {
            cl.line[cl.line_len++] = buf->base[i];
        } else if (buf->base[i] == '\n') {
            cl.line[cl.line_len] = '\0';
            cl.line_len = 0;
            on_line(cl.line);
        }
    }
    if (cl.phase == 'l' || nread == 0)
        return;
    cl.reads++;
    cl.got += (uint64_t)nread;
    scope_trace_recv(&cl.naive, buf->base, (size_t)nread);
    if (cl.phase == 'a' && cl.got >= strlen(LAB_A1) + strlen(LAB_A2)) {
        scope_events_log("lab client: 2 messages were written, %llu read() returned them, so a "
                         "reader that takes each read as a message sees %llu: \"%.*s\"",
                         (unsigned long long)cl.reads, (unsigned long long)cl.reads,
                         (int)nread, buf->base);
        snprintf(done, sizeof done, "done a %llu\n", (unsigned long long)cl.reads);
        report(done);
        cl.phase = 'b';
        cl.reads = cl.got = 0;
    } else if (cl.phase == 'b' && cl.got >= LAB_BIG) {
        scope_events_log("lab client: 1 message of %u bytes was written; it took %llu reads, "
                         "so the naive reader sees %llu messages, none of them the one sent",
                         LAB_BIG, (unsigned long long)cl.reads, (unsigned long long)cl.reads);
        snprintf(done, sizeof done, "done b %llu\n", (unsigned long long)cl.reads);
        report(done);
        cl.phase = 'l';
    }
}

/* Reading late on purpose, as a busy process does: both writes wait in the
 * receive buffer before the first read(). */
static void wait_then_read(uv_timer_t *t)
{
    int fd = -1, queued = 0;
    uv_fileno((uv_handle_t *)&cl.l1, &fd);
    ioctl(fd, FIONREAD, &queued);
    if ((size_t)queued < strlen(LAB_A1) + strlen(LAB_A2) && cl.waited_ms++ < 10000)
        return;
    uv_timer_stop(t);
    scope_events_log("lab client: busy for a moment, not reading; ioctl(fd %d, FIONREAD) = %d: "
                     "both writes wait in the receive buffer, with nothing between them", fd,
                     queued);
    uv_read_start((uv_stream_t *)&cl.l1, l1_alloc, l1_read);
}

static void l1_connected(uv_connect_t *req, int status)
{
    (void)req;
    if (status < 0) {
        scope_events_error("connect", "lab client: connect(): %s", uv_strerror(status));
        scope_demo_exit(cl.d, 1);
        client_done();
        return;
    }
    struct sockaddr_storage me;
    int len = sizeof me;
    char chan[32];
    uv_tcp_getsockname(&cl.l1, (struct sockaddr *)&me, &len);
    snprintf(chan, sizeof chan, "tcp:%d", scope_addr_port((struct sockaddr *)&me));
    scope_trace_init(&cl.t1, chan, SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    scope_trace_init(&cl.naive, "naive reads", SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    cl.phase = 'a';
    uv_timer_start(&cl.wait, wait_then_read, 1, 1);
}

static void client_quit(scope_demo_t *d)
{
    (void)d;
    scope_conn_close(&cl.l2.c);
    for (int i = 0; i < 2; i++)
        scope_conn_close(&cl.nagle[i].c);
    client_done();
}

int lab_client(scope_demo_t *d, const struct sockaddr *server)
{
    cl.d = d;
    memcpy(&cl.server, server, scope_addr_len(server));
    d->on_quit = client_quit;
    uv_tcp_init(d->loop, &cl.l1);
    uv_timer_init(d->loop, &cl.wait);
    int r = uv_tcp_connect(&cl.req, &cl.l1, server, l1_connected);
    if (r < 0)
        l1_connected(&cl.req, r);
    return 0;
}
