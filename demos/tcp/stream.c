/* stream.c: a TCP byte stream keeps no message boundaries; frames put them
 * back. The server's side listens on a port of its own and starts the lab
 * client, which takes each read() as one message, as socket.on('data') does:
 *
 *   a. two write()s; the client reads late: one read(), one glued message;
 *   b. one 256 KiB write(): it arrives in several reads;
 *   c. the same three as frames, a 4-byte length before each: the client's
 *      decoder (lib/framing) gives each back whole.
 *
 * The client reports each step's reads through lib's relay; the server goes
 * on to the next step then.
 */
#include <sys/ioctl.h>

#include "tcp.h"

#define A1  "first message"
#define A2  "second message"
#define BIG (256u * 1024u)

static struct { /* the server's side */
    scope_demo_t *d;
    uv_tcp_t listener;
    scope_role_t client;
    scope_conn_t conn;
    scope_trace_t trace;
    int accepted, reported; /* reports: (a), (b), (c) */
    char big[BIG];
} srv;

/* A message as it is, or (c) as a frame: a 4-byte big-endian length, then
 * its bytes (scope_conn_send on a connection of SCOPE_CONN_LENGTH). */
static void send_on(const char *data, size_t len, int framed)
{
    scope_trace_send(&srv.trace, data, len);
    if (framed)
        scope_conn_send(&srv.conn, data, len);
    else
        scope_conn_write_raw(&srv.conn, data, len);
}

static void on_lab_conn(uv_stream_t *listener, int status)
{
    if (status < 0 || srv.accepted)
        return;
    scope_conn_init_tcp(listener->loop, &srv.conn, NULL);
    srv.accepted = 1;
    if (uv_accept(listener, &srv.conn.h.stream) < 0)
        return;
    tcp_trace(&srv.trace, &srv.conn.h.tcp, 1, SCOPE_PID(srv.client.pid), 0, NULL);
    scope_trace_open(&srv.trace, "tcp", "the lab: a byte stream");
    scope_conn_start(&srv.conn, &(scope_conn_options_t){.framing = SCOPE_CONN_LENGTH,
        .max_frame = BIG});
    scope_events_log("server: two write()s on fd %d, \"%s\" then \"%s\", nothing between them: "
                     "no newline, no length", scope_conn_fd(&srv.conn), A1, A2);
    send_on(A1, strlen(A1), 0);
    send_on(A2, strlen(A2), 0);
}

/* How many reads the lab client needed for (a), (b), (c): that step is over. */
static void on_report(scope_role_t *r, const cJSON *fig)
{
    static const char *const figure[] = {"two_writes_one_read", "big_message_reads",
                                         "framed_reads"};
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(fig, "reads");
    (void)r;
    if (cJSON_IsNumber(n) && srv.reported < 3)
        scope_demo_figure(srv.d, figure[srv.reported++], cJSON_CreateNumber(n->valuedouble));
    if (srv.reported < 3)
        scope_demo_next(srv.d);
}

/* After (c) the client ends; its end (or an early one) ends the lab's part. */
static void client_exit(scope_role_t *r, int code, int sig)
{
    (void)r;
    scope_demo_exit(srv.d, code || sig);
    stream_stop();
    scope_demo_next(srv.d);
}

void stream_two_writes(scope_demo_t *d)
{
    struct sockaddr_storage addr;
    char spec[SCOPE_ADDR_STRLEN];
    srv.d = d;
    scope_addr_parse("127.0.0.1:0", NULL, 0, &addr);
    int r = tcp_listen(d->loop, &srv.listener, &addr, spec, on_lab_conn);
    const char *args[] = {"--connect", spec, NULL};
    srv.client.on_report = on_report;
    srv.client.on_exit = client_exit;
    if (r < 0 || scope_role_spawn(d, &srv.client, "lab client",
                                  &(scope_role_options_t){.argv = args}) < 0) {
        scope_demo_exit(d, 1);
        stream_stop();
        scope_demo_next(d);
    }
}

void stream_big_write(scope_demo_t *d)
{
    memset(srv.big, 'b', BIG);
    if (!srv.client.running) { /* it died: on to the next step */
        scope_demo_next(d);
        return;
    }
    scope_events_log("server: one message of %u bytes in one uv_write(); write() takes what "
                     "the socket buffer holds and libuv writes the rest as it drains", BIG);
    send_on(srv.big, BIG, 0);
}

void stream_framed(scope_demo_t *d)
{
    if (!srv.client.running) {
        scope_demo_next(d);
        return;
    }
    scope_events_log("server: the same three messages, each as a frame: a 4-byte big-endian "
                     "length, then the bytes");
    send_on(A1, strlen(A1), 1);
    send_on(A2, strlen(A2), 1);
    send_on(srv.big, BIG, 1);
}

/* The step is over, or the dashboard's quit: close what is open. */
void stream_stop(void)
{
    if (!srv.d)
        return;
    if (!uv_is_closing((uv_handle_t *)&srv.listener))
        uv_close((uv_handle_t *)&srv.listener, NULL);
    scope_trace_close(&srv.trace);
    if (srv.accepted)
        scope_conn_close(&srv.conn);
}

/* ---- the lab client: a naive reader, then a decoder --------------------------------- */

static struct {
    tcp_client_t t;
    uv_timer_t wait;
    scope_trace_t naive;
    int waited_ms, nframes;
    char phase;            /* 'a', 'b', then 'c' */
    uint64_t phase_reads; /* the connection's reads before this phase */
} cl;

static uint64_t report(const scope_conn_t *c) /* this phase's reads */
{
    uint64_t reads = c->reads - cl.phase_reads;
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "reads", (double)reads);
    scope_demo_report(cl.t.demo, f);
    cl.phase_reads = c->reads;
    return reads;
}

/* (c) a whole message, lib/conn's decoder's: the server's 4th to 6th writes */
static void on_frame(scope_conn_t *c, const char *data, size_t len)
{
    scope_trace_msg(&cl.t.trace, SCOPE_TRACE_RECV, 3 + (uint64_t)++cl.nframes, data, len, 0);
    if (cl.nframes < 3)
        return;
    scope_events_log("lab client: 3 messages (%zu, %zu and %u bytes), each whole, in %llu "
                     "reads: the 4-byte length in front of each says where it ends",
                     strlen(A1), strlen(A2), BIG, (unsigned long long)report(c));
    scope_conn_close(c);
}

/* (a) and (b): each read() taken as one message (SCOPE_CONN_RAW) */
static void on_read(scope_conn_t *c, const char *data, size_t len)
{
    scope_trace_recv(&cl.naive, data, len);
    uint64_t reads = c->reads - cl.phase_reads, a = strlen(A1) + strlen(A2);
    if (cl.phase == 'a' && c->bytes_in >= a)
        scope_events_log("lab client: 2 write()s came in %llu read(); a reader that takes a "
                         "read for a message sees \"%.*s\"", (unsigned long long)reads,
                         (int)len, data);
    else if (cl.phase == 'b' && c->bytes_in >= a + BIG)
        scope_events_log("lab client: 1 write() of %u bytes came in %llu reads: as many messages "
                         "to a naive reader, none of them the one sent", BIG,
                         (unsigned long long)reads);
    else
        return;
    report(c);
    if (++cl.phase == 'c') /* (c): the same connection's reads, into a decoder of frames */
        scope_conn_start(c, &(scope_conn_options_t){.framing = SCOPE_CONN_LENGTH,
            .max_frame = BIG, .on_frame = on_frame});
}

/* Reading late on purpose, as a busy process does: both writes wait in the
 * receive buffer before the first read(). */
static void wait_then_read(uv_timer_t *t)
{
    int fd = scope_conn_fd(&cl.t.c), queued = 0;
    ioctl(fd, FIONREAD, &queued);
    if ((size_t)queued < strlen(A1) + strlen(A2) && cl.waited_ms++ < 10000)
        return;
    uv_timer_stop(t);
    scope_events_log("lab client: not reading yet; ioctl(fd %d, FIONREAD) = %d: both writes "
                     "wait in the receive buffer", fd, queued);
    scope_conn_start(&cl.t.c, &(scope_conn_options_t){.framing = SCOPE_CONN_RAW,
        .on_frame = on_read});
}

static void on_connected(tcp_client_t *t)
{
    (void)t;
    scope_trace_init(&cl.naive, "naive reads", SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    cl.phase = 'a';
    uv_timer_start(&cl.wait, wait_then_read, 1, 1);
}

static void on_closed(tcp_client_t *t)
{
    (void)t;
    uv_close((uv_handle_t *)&cl.wait, NULL);
}

int stream_client(scope_demo_t *d, const struct sockaddr *server)
{
    cl.t = (tcp_client_t){.demo = d, .on_connected = on_connected, .on_close = on_closed};
    uv_timer_init(d->loop, &cl.wait);
    return tcp_client_run(&cl.t, server);
}
