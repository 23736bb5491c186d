/* nagle.c: Nagle's algorithm meets write-write-read. Both ends.
 *
 * The server's side listens on a port of its own, echoes each line, and
 * starts the nagle client (this program again, role "nagle client"). The
 * client sends ROUNDS requests, each in two small write()s, and reads the
 * answer before the next: first with Nagle's algorithm on (the default), then
 * on a new connection with TCP_NODELAY. With Nagle on, the second write waits
 * until the first is ACKed, and the server delays that ACK (40 ms, the least
 * Linux waits) hoping to send it with an answer it cannot give before the
 * rest of the line. The client gives its medians through lib's relay.
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

/* ---- the server's side: an echo ------------------------------------------------- */

static struct {
    scope_demo_t *d;
    uv_tcp_t listener;
    scope_role_t client;
    uint64_t p50[2]; /* Nagle on, TCP_NODELAY */
    int nodelay, reported;
} srv;

static void on_request(scope_conn_t *c, const char *line, size_t len)
{
    lab_conn_t *k = scope_container_of(c, lab_conn_t, c);
    char echo[160];
    int n = snprintf(echo, sizeof echo, "Server echo: %.*s", (int)(len < 120 ? len : 120), line);
    scope_trace_recv(&k->trace, line, len);
    scope_trace_send(&k->trace, echo, (size_t)n);
    scope_conn_send(c, echo, (size_t)n);
}

static void on_lab_closed(scope_conn_t *c)
{
    lab_conn_t *k = scope_container_of(c, lab_conn_t, c);
    scope_trace_close(&k->trace);
    free(k);
}

static void on_lab_conn(uv_stream_t *listener, int status)
{
    lab_conn_t *k = status < 0 ? NULL : calloc(1, sizeof *k);
    if (!k)
        return;
    scope_conn_init_tcp(listener->loop, &k->c, on_lab_closed);
    if (uv_accept(listener, &k->c.h.stream) < 0) {
        scope_conn_close(&k->c);
        return;
    }
    struct sockaddr_storage peer;
    int len = sizeof peer;
    char chan[32];
    uv_tcp_getpeername(&k->c.h.tcp, (struct sockaddr *)&peer, &len);
    snprintf(chan, sizeof chan, "tcp:%d", scope_addr_port((struct sockaddr *)&peer));
    scope_trace_init(&k->trace, chan, SCOPE_PID(getpid()), SCOPE_PID(srv.client.pid));
    k->trace.framing_bytes = 1;
    scope_trace_open(&k->trace, "tcp", "the lab: write-write-read");
    if (srv.nodelay)
        uv_tcp_nodelay(&k->c.h.tcp, 1);
    scope_conn_options_t o = {.framing = SCOPE_CONN_LINES, .max_frame = 1u << 20,
                              .on_frame = on_request};
    scope_conn_start(&k->c, &o);
}

static void on_report(scope_role_t *r, const cJSON *fig)
{
    (void)r;
    const cJSON *on = cJSON_GetObjectItemCaseSensitive(fig, "nagle_p50");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(fig, "nodelay_p50");
    if (!cJSON_IsNumber(on) || !cJSON_IsNumber(off))
        return;
    srv.p50[0] = (uint64_t)on->valuedouble;
    srv.p50[1] = (uint64_t)off->valuedouble;
    srv.reported = 1;
    scope_events_log("server: the nagle client measured write-write-read at %.1f ms with "
                     "Nagle, %.1f us with TCP_NODELAY", srv.p50[0] / 1e6, srv.p50[1] / 1e3);
}

static void client_exit(scope_role_t *r, int code, int sig)
{
    (void)r;
    if (code || sig)
        scope_demo_exit(srv.d, 1);
    nagle_stop();
    scope_demo_next(srv.d);
}

void nagle_run(scope_demo_t *d)
{
    const tcp_lab_t *lab = d->data;
    struct sockaddr_storage addr = lab->host;
    int len = sizeof addr;
    char spec[SCOPE_ADDR_STRLEN];
    srv.d = d;
    srv.nodelay = lab->nodelay;
    uv_tcp_init(d->loop, &srv.listener);
    int r = uv_tcp_bind(&srv.listener, (struct sockaddr *)&addr, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&srv.listener, 2, on_lab_conn);
    uv_tcp_getsockname(&srv.listener, (struct sockaddr *)&addr, &len);
    const char *args[] = {"--connect", scope_addr_format((struct sockaddr *)&addr, spec,
                                                         sizeof spec), NULL};
    srv.client.on_report = on_report;
    srv.client.on_exit = client_exit;
    if (r < 0 || scope_role_spawn(d, &srv.client, "nagle client",
                                  &(scope_role_options_t){.argv = args}) < 0) {
        scope_demo_exit(d, 1);
        nagle_stop();
        scope_demo_next(d);
    }
}

/* The step is over, or the dashboard's quit: the client's end closes its
 * connections, and so ours. */
void nagle_stop(void)
{
    if (srv.d && !uv_is_closing((uv_handle_t *)&srv.listener))
        uv_close((uv_handle_t *)&srv.listener, NULL);
}

void nagle_bye(cJSON *bye, char *text, size_t size)
{
    if (!srv.reported)
        return;
    cJSON_AddNumberToObject(bye, "nagle_p50", (double)srv.p50[0]);
    cJSON_AddNumberToObject(bye, "nodelay_p50", (double)srv.p50[1]);
    size_t n = strlen(text);
    snprintf(text + n, size - n, "; write-write-read %.1f ms with Nagle, %.1f us without",
             srv.p50[0] / 1e6, srv.p50[1] / 1e3);
}

/* ---- the nagle client: two rounds of write-write-read --------------------------- */

static struct {
    scope_demo_t *d;
    struct sockaddr_storage server;
    lab_conn_t conn[2]; /* Nagle on, TCP_NODELAY */
    uv_connect_t req;
    int round, sent;
    uint64_t sent_at, p50[2];
    scope_hist_t rtt;
} cl;

static void request(lab_conn_t *k)
{
    static const char req[] = "Hello server! write-write-read\n";
    cl.sent_at = scope_time_now_ns();
    scope_trace_send(&k->trace, req, sizeof req - 2);
    scope_conn_write_raw(&k->c, req, 15);
    scope_conn_write_raw(&k->c, req + 15, sizeof req - 1 - 15);
}

static void start_round(void);

static void on_echo(scope_conn_t *c, const char *line, size_t len)
{
    lab_conn_t *k = scope_container_of(c, lab_conn_t, c);
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
        start_round();
        return;
    }
    scope_events_log("write-write-read: median %.1f ms with Nagle on, %.1f us with TCP_NODELAY. "
                     "Nagle held the second write until the first was ACKed, and the server "
                     "delayed that ACK (40 ms, the least Linux waits) waiting for the rest of "
                     "the line", cl.p50[0] / 1e6, cl.p50[1] / 1e3);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "nagle_p50", (double)cl.p50[0]);
    cJSON_AddNumberToObject(f, "nodelay_p50", (double)cl.p50[1]);
    scope_demo_report(cl.d, f);
}

static void on_closed(scope_conn_t *c)
{
    scope_trace_close(&scope_container_of(c, lab_conn_t, c)->trace);
}

static void on_connected(uv_connect_t *req, int status)
{
    lab_conn_t *k = req->data;
    struct sockaddr_storage me;
    int len = sizeof me;
    char chan[32];
    if (status < 0) {
        if (status != UV_ECANCELED) /* not our own close */
            scope_events_error("connect", "nagle client: connect(): %s", uv_strerror(status));
        scope_demo_exit(cl.d, status != UV_ECANCELED);
        scope_conn_close(&k->c);
        return;
    }
    if (cl.round == 1) /* setsockopt(IPPROTO_TCP, TCP_NODELAY, 1) */
        uv_tcp_nodelay(&k->c.h.tcp, 1);
    uv_tcp_getsockname(&k->c.h.tcp, (struct sockaddr *)&me, &len);
    snprintf(chan, sizeof chan, "tcp:%d", scope_addr_port((struct sockaddr *)&me));
    scope_trace_init(&k->trace, chan, SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    k->trace.framing_bytes = 1;
    scope_conn_options_t o = {.framing = SCOPE_CONN_LINES, .max_frame = 1u << 20,
                              .on_frame = on_echo};
    scope_conn_start(&k->c, &o);
    request(k);
}

static void start_round(void)
{
    lab_conn_t *k = &cl.conn[cl.round];
    cl.sent = 0;
    scope_hist_reset(&cl.rtt);
    scope_events_log("nagle client: %d requests, each written as two write()s, then a read of "
                     "the answer; TCP_NODELAY %s", ROUNDS, cl.round ? "on" : "off (Nagle on)");
    scope_conn_init_tcp(cl.d->loop, &k->c, on_closed);
    cl.req.data = k;
    int r = uv_tcp_connect(&cl.req, &k->c.h.tcp, (struct sockaddr *)&cl.server, on_connected);
    if (r < 0)
        on_connected(&cl.req, r);
}

static void client_quit(scope_demo_t *d)
{
    (void)d;
    for (int i = 0; i <= cl.round && i < 2; i++)
        scope_conn_close(&cl.conn[i].c);
}

int nagle_client(scope_demo_t *d, const struct sockaddr *server)
{
    cl.d = d;
    memcpy(&cl.server, server, scope_addr_len(server));
    d->on_quit = client_quit;
    start_round();
    return 0;
}
