/* client.c: one chat client, the process the server spawns with --as-client
 * or that --connect runs against any server. Its session sends a line, waits
 * for the echo, sends the next (a ping-pong paced by the dashboard) and keeps
 * the round trips; the dashboard's commands reach it through a pipe the
 * server relays them on. run_client() starts the chat, the lab client
 * (lab.c) or the throughput client (throughput.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcp.h"

client_t cli;

scope_end_t me(void)
{
    return SCOPE_PID(self_pid);
}

static void client_report_stats(void)
{
    session_t *ss = &cli.chat;
    if (ss->connected && ss->rtt.count)
        scope_events_stats(ss->chan, &ss->rtt, &ss->rate, scope_time_now_ns());
}

static void on_client_stats(uv_timer_t *t)
{
    (void)t;
    client_report_stats();
}

static void send_line(scope_pacer_t *p);

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* ns as microseconds with two decimals, rounded, as "%.2f" of ns / 1e3 gives. */
static char *put_hundredths(char *p, uint64_t ns)
{
    uint64_t h = (ns + 5) / 10;
    p += scope_put_u64(p, h / 100);
    *p++ = '.';
    *p++ = (char)('0' + h / 10 % 10);
    *p++ = (char)('0' + h % 10);
    return p;
}

/* Builds this client's next line, exactly --size bytes when the words fit:
 * the seed's greeting, a number, and the round trip of the line before. */
static size_t make_line(session_t *ss, int bye)
{
    size_t size = tcp.as_lab ? 64 : tcp.demo.size;
    size_t need = (size > 160 ? size : 160) + 2;
    if (need > cli.line_cap) {
        char *b = realloc(cli.line, need);
        if (!b)
            return 0;
        cli.line = b;
        cli.line_cap = need;
    }
    int n;
    if (bye) {
        n = snprintf(cli.line, cli.line_cap, "Bye server! %s leaves, rtt %.2fus", ss->who,
                     ss->last_rtt / 1e3);
    } else {
        /* The seed's greeting, built by hand: snprintf with a %f costs more
         * than the rest of a round trip's own work. */
        char *p = cli.line;
        p = put_str(p, "Hello server! #");
        p += scope_put_u64(p, (uint64_t)ss->sent + 1);
        p = put_str(p, " from ");
        p = put_str(p, ss->who);
        p = put_str(p, ", rtt ");
        p = put_hundredths(p, ss->last_rtt);
        p = put_str(p, "us ");
        n = (int)(p - cli.line);
    }
    size_t len = (size_t)n;
    if (!bye && len < size) {
        memset(cli.line + len, 'x', size - len);
        len = size;
    }
    cli.line[len] = '\n';
    return len;
}

static void session_write(session_t *ss, int bye)
{
    size_t len = make_line(ss, bye);
    if (!len)
        return;
    ss->sent++;
    if (bye)
        ss->bye_sent = 1;
    /* Told before it is done: the echo may be reported before we get round to it. */
    if (scope_events_msg_admit()) {
        char sum[128];
        summarize(cli.line, len, sum, sizeof sum);
        scope_events_msg_emit_admitted("send", ss->chan, me(), ss->server, (uint64_t)ss->sent,
                                       len + 1, sum, 0);
    }
    ss->t_sent = scope_time_now_ns();
    int r;
    if (ss->split && len > 1) {
        /* Two write()s for one request: the pattern Nagle's algorithm and a
         * delayed ACK turn into a 40 ms wait. */
        size_t half = len / 2;
        r = scope_conn_write_raw(&ss->c, cli.line, half);
        if (r >= 0)
            r = scope_conn_write_raw(&ss->c, cli.line + half, len + 1 - half);
    } else {
        r = scope_conn_write_raw(&ss->c, cli.line, len + 1);
    }
    if (r < 0)
        scope_events_error("send", "write to %s: %s", cli.server_str, uv_strerror(r));
    else
        ss->c.frames_out++;
}

static void send_line(scope_pacer_t *p)
{
    session_t *ss = p->data;
    if (!ss->done && !ss->c.closing)
        session_write(ss, 0);
}

void session_next(session_t *ss)
{
    if (ss->echoes < ss->count) {
        cli.pacer.data = ss;
        scope_pacer_next(&cli.pacer, send_line);
    } else if (tcp.fault && strcmp(tcp.fault, "vanish") == 0) {
        fault_vanish(ss);
    } else if (ss->say_bye && !ss->bye_sent) {
        session_write(ss, 1);
    } else {
        ss->done = 1;
        scope_conn_close(&ss->c);
    }
}

static void session_on_line(scope_conn_t *c, const char *line, size_t len)
{
    session_t *ss = c->data;
    uint64_t now = scope_time_now_ns();
    char sum[128] = "";
    int traced = scope_events_msg_admit();
    if (traced)
        summarize(line, len, sum, sizeof sum);
    ss->recv++;
    int echo = len >= strlen(ECHO_PREFIX) && memcmp(line, ECHO_PREFIX, strlen(ECHO_PREFIX)) == 0;
    int refused = len >= strlen(ERROR_PREFIX) && memcmp(line, ERROR_PREFIX, strlen(ERROR_PREFIX)) == 0;
    if (echo || refused) {
        uint64_t rtt = now - ss->t_sent;
        if (traced)
            scope_events_msg_emit_admitted("recv", ss->chan, ss->server, me(), (uint64_t)ss->recv,
                                           len + 1, sum, rtt);
        if (refused) {
            ss->refused++;
            scope_events_log("%s: the server refused our line: %.*s", ss->who, (int)(len < 200 ? len : 200), line);
        }
        if (ss->bye_sent) {
            ss->done = 1;
            scope_conn_close(c);
            return;
        }
        ss->echoes++;
        ss->last_rtt = rtt;
        scope_hist_add(&ss->rtt, rtt);
        scope_rate_add(&ss->rate, now, len + 1);
        session_next(ss);
        return;
    }
    if (len >= strlen(BCAST_PREFIX) && memcmp(line, BCAST_PREFIX, strlen(BCAST_PREFIX)) == 0)
        ss->broadcasts++;
    if (traced)
        scope_events_msg_emit_admitted("recv", ss->chan, ss->server, me(), (uint64_t)ss->recv,
                                       len + 1, sum, 0);
}

static void session_on_end(scope_conn_t *c, int status)
{
    session_t *ss = c->data;
    if (ss->done)
        return;
    if (tcp.fault) { /* what a bad client is there to provoke */
        scope_events_log("%s: the server closed our connection (%s)", ss->who,
                         status == 0 ? "EOF" : uv_strerror(status));
        ss->done = 1;
        return;
    }
    ss->ended_early = 1;
    if (status == 0)
        scope_events_log("%s: read() returned 0: the server closed the connection after %ld of "
                         "%ld echoes", ss->who, ss->echoes, ss->count);
    else
        scope_events_error("connection", "%s: the connection to %s failed: %s", ss->who,
                           cli.server_str, uv_strerror(status));
}

static void session_on_close(scope_conn_t *c)
{
    session_t *ss = c->data;
    char med[48] = "";
    if (ss->rtt.count) {
        char t[32];
        snprintf(med, sizeof med, " (median %s)",
                 scope_time_format(t, sizeof t, (double)scope_hist_percentile(&ss->rtt, 50)));
    }
    if (ss->connected)
        scope_events_log("%s: close(): %ld lines sent, %ld echoes%s, %ld broadcasts from the "
                         "others", ss->who, ss->sent, ss->echoes, med, ss->broadcasts);
    if (ss->on_done)
        ss->on_done(ss);
}

static void session_connected(uv_connect_t *req, int status)
{
    session_t *ss = req->data;
    if (status < 0) {
        scope_events_error("connect", "%s: connect() to %s: %s%s", ss->who, cli.server_str,
                           uv_strerror(status),
                           status == UV_ECONNREFUSED ? " (nobody listens on that port)" : "");
        ss->ended_early = 1;
        scope_conn_close(&ss->c);
        return;
    }
    ss->connected = 1;
    struct sockaddr_storage local;
    int len = sizeof local;
    uv_tcp_getsockname(&ss->c.h.tcp, (struct sockaddr *)&local, &len);
    snprintf(ss->chan, sizeof ss->chan, "tcp:%d", scope_addr_port((struct sockaddr *)&local));
    int fd = scope_conn_fd(&ss->c);
    if (ss->nodelay)
        uv_tcp_nodelay(&ss->c.h.tcp, 1);
    char la[SCOPE_ADDR_STRLEN];
    scope_addr_format((struct sockaddr *)&local, la, sizeof la);
    scope_events_log("%s: connect() -> fd %d, %s -> %s (the kernel picked our port); "
                     "TCP_NODELAY %s%s", ss->who, fd, la, cli.server_str,
                     sock_nodelay(fd) == 1 ? "on" : "off",
                     ss->split ? "; each line goes out in two write()s" : "");
    if (!tcp.as_client && !tcp.as_lab)
        scope_events_chan("open", ss->chan, "tcp", me(), ss->server, la);
    scope_conn_options_t co = {.framing = SCOPE_CONN_LINES,
                               .max_frame = tcp.max_message + 128,
                               .on_frame = session_on_line,
                               .on_end = session_on_end,
                               .on_close = session_on_close};
    scope_conn_start(&ss->c, &co);
    if (!tcp.as_lab)
        scope_events_proc("ready", getpid(), getppid(), ss->who, 0, 0);
    if (tcp.fault)
        fault_act(ss);
    else
        session_next(ss);
}

int session_start(session_t *ss, long count, int nodelay, int split, int say_bye,
                         void (*on_done)(session_t *))
{
    void (*keep)(session_t *) = on_done;
    memset(ss, 0, sizeof *ss);
    ss->count = count;
    ss->nodelay = nodelay;
    ss->split = split;
    ss->say_bye = say_bye;
    ss->on_done = keep;
    ss->server = cli.server_pid > 0 ? SCOPE_PID(cli.server_pid) : SCOPE_PEER(cli.server_name);
    if (tcp.as_lab)
        snprintf(ss->who, sizeof ss->who, "lab client");
    else if (tcp.fault)
        snprintf(ss->who, sizeof ss->who, "bad client %d", tcp.client_id);
    else if (tcp.client_id)
        snprintf(ss->who, sizeof ss->who, "client %d", tcp.client_id);
    else
        snprintf(ss->who, sizeof ss->who, "client");
    scope_hist_reset(&ss->rtt);
    scope_rate_init(&ss->rate, 0);
    int r = scope_conn_init_tcp(tcp.demo.loop, &ss->c, session_on_close);
    if (r < 0)
        return r;
    if (ss == &cli.chat)
        cli.chat_started = 1;
    ss->c.data = ss;
    ss->req.data = ss;
    r = uv_tcp_connect(&ss->req, &ss->c.h.tcp, (struct sockaddr *)&cli.server_addr,
                       session_connected);
    if (r < 0) {
        scope_events_error("connect", "connect() to %s: %s", cli.server_str, uv_strerror(r));
        scope_conn_close(&ss->c);
    }
    return r;
}

/* ---- commands the server relays from the dashboard ----------------------
 * lib/demo reads the dashboard's control pipe in the first process only; the
 * server passes pause, resume, step, rate and size on to each client through
 * a pipe of its own, and the client applies them as lib/demo would. */

static void relay_apply(void *arg, cJSON *msg, const char *line, size_t len)
{
    (void)arg;
    (void)line;
    (void)len;
    scope_demo_apply_control(&tcp.demo, msg);
}

static void relay_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    (void)hint;
    *buf = uv_buf_init(cli.relay_buf, sizeof cli.relay_buf);
}

static void relay_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    if (nread > 0) {
        scope_ndjson_feed(&cli.relay_dec, buf->base, (size_t)nread);
    } else if (nread < 0 && cli.relay_open) {
        uv_close((uv_handle_t *)st, NULL);
        cli.relay_open = 0;
    }
}

static void relay_open(void)
{
    if (tcp.relay_fd < 0 || fcntl(tcp.relay_fd, F_SETFD, FD_CLOEXEC) < 0)
        return;
    uv_pipe_init(tcp.demo.loop, &cli.relay, 0);
    if (uv_pipe_open(&cli.relay, tcp.relay_fd) < 0) {
        uv_close((uv_handle_t *)&cli.relay, NULL);
        return;
    }
    scope_ndjson_init(&cli.relay_dec, 4096, relay_apply, NULL, NULL);
    cli.relay_open = 1;
    uv_unref((uv_handle_t *)&cli.relay);
    uv_read_start((uv_stream_t *)&cli.relay, relay_alloc, relay_read);
}

void client_wind_down(void)
{
    if (cli.stats_on) {
        uv_close((uv_handle_t *)&cli.stats_timer, NULL);
        cli.stats_on = 0;
    }
    if (cli.relay_open) {
        uv_close((uv_handle_t *)&cli.relay, NULL);
        cli.relay_open = 0;
    }
    scope_pacer_close(&cli.pacer);
    scope_demo_stop(&tcp.demo);
}

static void chat_done(session_t *ss)
{
    client_report_stats();
    if (ss->ended_early || !ss->connected)
        tcp.exit_code = 1;
    if (!tcp.as_client) { /* a client of its own: it says goodbye itself */
        scope_hist_summary_t sum;
        scope_hist_summarize(&ss->rtt, &sum);
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "server", cli.server_str);
        cJSON_AddNumberToObject(b, "sent", (double)ss->sent);
        cJSON_AddNumberToObject(b, "received", (double)ss->recv);
        cJSON_AddNumberToObject(b, "round_trips", (double)ss->rtt.count);
        cJSON_AddNumberToObject(b, "p50", (double)sum.p50);
        cJSON_AddNumberToObject(b, "p99", (double)sum.p99);
        cJSON_AddNumberToObject(b, "broadcasts", (double)ss->broadcasts);
        cJSON_AddBoolToObject(b, "nodelay", ss->nodelay);
        char text[200];
        snprintf(text, sizeof text, "%ld lines sent to %s, %ld echoes (median %.1f us), %ld "
                 "broadcasts from other clients", ss->sent, cli.server_str, ss->echoes,
                 sum.p50 / 1e3, ss->broadcasts);
        scope_events_bye(b, text);
    }
    client_wind_down();
}

/* ---- the client's run ---------------------------------------------------- */

static void client_quit(scope_demo_t *d)
{
    (void)d;
    if (tcp.as_lab) {
        lab_quit();
    } else if (tcp.throughput) {
        tput_close();
    } else if (cli.chat_started) {
        cli.chat.done = 1; /* asked to stop: not an early end */
        scope_conn_close(&cli.chat.c);
    }
}

int run_client(void)
{
    scope_demo_t *d = &tcp.demo;
    int spawned = tcp.as_client || tcp.as_lab;
    char role[40];
    if (tcp.as_lab)
        snprintf(role, sizeof role, "lab client");
    else if (tcp.fault)
        snprintf(role, sizeof role, "bad client %d (%s)", tcp.client_id, tcp.fault);
    else if (tcp.client_id)
        snprintf(role, sizeof role, "client %d", tcp.client_id);
    else
        snprintf(role, sizeof role, "client");
    d->on_quit = client_quit;
    int r = scope_addr_parse(tcp.connect_spec, "127.0.0.1", 0, &cli.server_addr);
    if (r == 0 && scope_addr_port((struct sockaddr *)&cli.server_addr) == 0)
        r = -EINVAL;
    if (!spawned) {
        d->params = cJSON_CreateObject();
        cJSON_AddStringToObject(d->params, "connect", tcp.connect_spec);
        cJSON_AddBoolToObject(d->params, "nodelay", tcp.nodelay);
        cJSON_AddBoolToObject(d->params, "split_writes", tcp.split);
    }
    int e = scope_demo_start(d, uv_default_loop(), role, !spawned);
    if (e < 0) {
        fprintf(stderr, "tcp: cannot report events: %s\n", strerror(-e));
        return 1;
    }
    if (r < 0) {
        scope_events_error("connect", "--connect wants HOST:PORT with a port, not '%s'",
                           tcp.connect_spec);
        scope_demo_run(d);
        return 2;
    }
    scope_addr_format((struct sockaddr *)&cli.server_addr, cli.server_str, sizeof cli.server_str);
    if (spawned) {
        cli.server_pid = getppid();
    } else {
        /* A server on this machine: find its pid, as `ss -tlp` would. */
        cli.server_pid = socket_owner(socket_inode((struct sockaddr *)&cli.server_addr, NULL),
                                     NULL, 0, 1);
        snprintf(cli.server_name, sizeof cli.server_name, "server %s", cli.server_str);
    }
    scope_pacer_init(d, &cli.pacer);
    uv_timer_init(d->loop, &cli.stats_timer);
    cli.stats_on = 1;
    uv_timer_start(&cli.stats_timer, on_client_stats, 500, 500);
    uv_unref((uv_handle_t *)&cli.stats_timer);
    relay_open();
    if (tcp.as_lab)
        lab_start();
    else if (tcp.throughput)
        tput_start();
    else
        session_start(&cli.chat, d->count, tcp.nodelay, tcp.split, 1, chat_done);
    scope_demo_run(d);
    scope_ndjson_free(&cli.relay_dec);
    free(cli.line);
    uv_loop_close(d->loop);
    return tcp.exit_code;
}
