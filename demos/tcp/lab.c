/* lab.c: what a TCP byte stream does to messages, both ends.
 *
 * The server side opens a listener of its own and starts the lab client (this
 * program again, role "lab client"); then, one lesson step each:
 *
 *   a. two short write()s, "first message" and "second message", no newline:
 *      the client reads late (both wait in its receive buffer) and takes each
 *      read() as one message, as the articles' socket.on('data') does: one
 *      read, one glued "message";
 *   b. one 256 KiB write(): it arrives in several reads;
 *   c. the same as length-prefixed frames on a second connection (lib/net,
 *      SCOPE_CONN_LENGTH): every message arrives whole;
 *   d. write-write-read: each request in two small writes, then a read of the
 *      answer, timed with Nagle on and with TCP_NODELAY.
 *
 * The client (lab_client.c) answers each step on its first connection
 * ("done a 1"), and the server goes on to the next step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "role.h"
#include "tcp.h"

#define ROUNDS 20

typedef struct {
    scope_conn_t c;
    scope_trace_t trace;
} lab_conn_t;

/* ---- the server's side --------------------------------------------------------- */

static struct {
    scope_demo_t *d;
    uv_tcp_t listener;
    int listening, nconns, nodelay;
    char state; /* the step under way: 'a' to 'd', then 'D' */
    lab_conn_t *ctrl;
    scope_role_t client;
    lab_figures_t f;
    void (*done)(const lab_figures_t *f);
    char *big;
} srv;

static void send_on(lab_conn_t *k, const char *data, size_t len, int framed)
{
    scope_trace_send(&k->trace, data, len);
    if (framed)
        scope_conn_send(&k->c, data, len);
    else
        scope_conn_write_raw(&k->c, data, len);
}

static void step_b(scope_demo_t *d)
{
    (void)d;
    srv.big = malloc(LAB_BIG);
    if (!srv.ctrl || !srv.big)
        return;
    for (size_t i = 0; i < LAB_BIG; i++)
        srv.big[i] = "0123456789abcdef"[i / 4096 % 16];
    scope_events_log("server: one message of %u bytes in one uv_write(); write() takes what "
                     "the socket buffer holds and libuv writes the rest as it drains", LAB_BIG);
    srv.state = 'b';
    send_on(srv.ctrl, srv.big, LAB_BIG, 0);
}

static void step_c(scope_demo_t *d)
{
    (void)d;
    srv.state = 'c';
    if (srv.ctrl)
        send_on(srv.ctrl, "go c\n", 5, 0);
}

static void step_d(scope_demo_t *d)
{
    (void)d;
    srv.state = 'd';
    if (srv.ctrl)
        send_on(srv.ctrl, "go d\n", 5, 0);
}

/* A line from the lab client: how a step went. Or, on the Nagle
 * connections, a request to echo. */
static void on_lab_line(scope_conn_t *c, const char *line, size_t len)
{
    lab_conn_t *k = c->data;
    char buf[128], echo[160];
    double ms, us;
    scope_trace_recv(&k->trace, line, len);
    snprintf(buf, sizeof buf, "%.*s", (int)(len < 127 ? len : 127), line);
    if (sscanf(buf, "done a %llu", (unsigned long long *)&srv.f.two_writes_reads) == 1) {
        scope_demo_step(srv.d, "a byte stream (b): one 256 KiB write, several reads", step_b);
    } else if (sscanf(buf, "done b %llu", (unsigned long long *)&srv.f.big_reads) == 1) {
        scope_demo_step(srv.d, "length-prefixed frames: every message whole again", step_c);
    } else if (sscanf(buf, "done c %llu", (unsigned long long *)&srv.f.framed_reads) == 1) {
        scope_demo_step(srv.d, "Nagle and TCP_NODELAY: a request in two writes, timed", step_d);
    } else if (sscanf(buf, "done d %lfms %lfus", &ms, &us) == 2) {
        srv.f.nagle_p50 = (uint64_t)(ms * 1e6);
        srv.f.nodelay_p50 = (uint64_t)(us * 1e3);
        srv.f.complete = 1;
        srv.state = 'D';
        scope_events_log("server: the lab client measured write-write-read at %.1f ms with "
                         "Nagle, %.1f us with TCP_NODELAY", ms, us);
    } else if (k != srv.ctrl) {
        int n = snprintf(echo, sizeof echo, "Server echo: %s\n", buf);
        send_on(k, echo, (size_t)n, 0);
    }
}

static void finish(void)
{
    if (srv.nconns || srv.client.running || !srv.done)
        return;
    if (srv.listening)
        uv_close((uv_handle_t *)&srv.listener, NULL);
    srv.listening = 0;
    free(srv.big);
    void (*done)(const lab_figures_t *f) = srv.done;
    srv.done = NULL;
    done(&srv.f);
}

static void on_lab_closed(scope_conn_t *c)
{
    lab_conn_t *k = c->data;
    scope_trace_close(&k->trace);
    if (k == srv.ctrl)
        srv.ctrl = NULL;
    free(k);
    srv.nconns--;
    finish();
}

static void on_lab_conn(uv_stream_t *listener, int status)
{
    lab_conn_t *k = status < 0 ? NULL : calloc(1, sizeof *k);
    if (!k)
        return;
    scope_conn_init_tcp(listener->loop, &k->c, on_lab_closed);
    k->c.data = k;
    srv.nconns++;
    if (uv_accept(listener, &k->c.h.stream) < 0) {
        scope_conn_close(&k->c);
        return;
    }
    struct sockaddr_storage peer;
    int len = sizeof peer, framed = srv.ctrl && srv.state == 'c';
    char chan[32];
    uv_tcp_getpeername(&k->c.h.tcp, (struct sockaddr *)&peer, &len);
    snprintf(chan, sizeof chan, "tcp:%d", scope_addr_port((struct sockaddr *)&peer));
    scope_trace_init(&k->trace, chan, SCOPE_PID(getpid()), SCOPE_PID(srv.client.pid));
    scope_trace_open(&k->trace, "tcp", framed ? "the lab: length-prefixed" : "the lab");
    if (srv.nodelay)
        uv_tcp_nodelay(&k->c.h.tcp, 1);
    scope_conn_options_t o = {.framing = framed ? SCOPE_CONN_LENGTH : SCOPE_CONN_LINES,
                              .max_frame = 1u << 20, .on_frame = on_lab_line};
    scope_conn_start(&k->c, &o);
    if (!srv.ctrl) {
        srv.ctrl = k;
        scope_events_log("server: two write()s on fd %d, \"%s\" then \"%s\", nothing between "
                         "them: no newline, no length", scope_conn_fd(&k->c), LAB_A1, LAB_A2);
        send_on(k, LAB_A1, strlen(LAB_A1), 0);
        send_on(k, LAB_A2, strlen(LAB_A2), 0);
    } else if (framed) {
        scope_events_log("server: the same messages and the 256 KiB one, each sent with "
                         "scope_conn_send(): a 4-byte big-endian length, then the bytes");
        send_on(k, LAB_A1, strlen(LAB_A1), 1);
        send_on(k, LAB_A2, strlen(LAB_A2), 1);
        send_on(k, srv.big, LAB_BIG, 1);
    }
}

static void client_exit(scope_role_t *r, int code, int sig)
{
    (void)r;
    if (code || sig)
        scope_demo_exit(srv.d, 1);
    finish();
}

static void step_a(scope_demo_t *d)
{
    struct sockaddr_storage addr;
    int len = sizeof addr;
    char spec[SCOPE_ADDR_STRLEN];
    uv_tcp_getsockname(&srv.listener, (struct sockaddr *)&addr, &len);
    scope_addr_format((struct sockaddr *)&addr, spec, sizeof spec);
    const char *args[] = {"--connect", spec, NULL};
    scope_role_options_t o = {.argv = args};
    srv.client.on_exit = client_exit;
    srv.state = 'a';
    if (scope_role_spawn(d, &srv.client, "lab client", &o) < 0)
        lab_stop();
}

int lab_serve(scope_demo_t *d, const struct sockaddr *host, int nodelay,
              void (*done)(const lab_figures_t *f))
{
    struct sockaddr_storage addr;
    memcpy(&addr, host, scope_addr_len(host));
    ((struct sockaddr_in *)&addr)->sin_port = 0; /* sin6_port too: the same place */
    srv.d = d;
    srv.done = done;
    srv.nodelay = nodelay;
    uv_tcp_init(d->loop, &srv.listener);
    int r = uv_tcp_bind(&srv.listener, (struct sockaddr *)&addr, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&srv.listener, 8, on_lab_conn);
    if (r < 0) {
        uv_close((uv_handle_t *)&srv.listener, NULL);
        return r;
    }
    srv.listening = 1;
    scope_demo_step(d, "a byte stream (a): two quick writes, one read", step_a);
    return 0;
}

/* The dashboard's quit: close what is open (the lab client gets it too). */
void lab_stop(void)
{
    if (srv.ctrl)
        scope_conn_close(&srv.ctrl->c);
    if (srv.listening)
        uv_close((uv_handle_t *)&srv.listener, NULL);
    srv.listening = 0;
    finish();
}

