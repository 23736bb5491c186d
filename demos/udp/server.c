/* server.c: the udp demo's server process. It knows its peers only by the
 * address each datagram carries (a table it forgets after --idle-ms), echoes
 * what is fit to echo with the seeds' greeting, refuses the rest with an
 * error event, and at the end adds up its children's figures into the
 * summary. run_server() binds the echo socket (and the lesson's receiver),
 * runs the steps and, whatever happens, leaves no child behind.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udp.h"

/* ==== the server process: its peers ====================================== */

scope_end_t server_end(void)
{
    return SCOPE_PID(udp.me);
}

static scope_end_t peer_end(const peer_t *p)
{
    return p->pid > 0 ? SCOPE_PID(p->pid) : SCOPE_PEER(p->name);
}

static kid_t *kid_by_port(int port)
{
    for (int i = 0; i < srv.nkids; i++)
        if (srv.kids[i].used && srv.kids[i].port == port)
            return &srv.kids[i];
    return NULL;
}

void peer_forget(peer_t *p, const char *why)
{
    if (!p->used)
        return;
    if (p->pid <= 0) /* a child's channel opens and closes with the child */
        scope_events_chan("close", p->chan, "udp", peer_end(p), server_end(), why);
    p->used = 0;
}

/* A datagram's sender. UDP has no connection: the server knows a peer only
 * by the address each datagram carries, and its table of peers is its own
 * bookkeeping, forgotten after --idle-ms of silence. */
static peer_t *peer_of(const struct sockaddr *from)
{
    peer_t *free_slot = NULL, *oldest = NULL;
    for (int i = 0; i < MAX_PEERS; i++) {
        peer_t *p = &srv.peers[i];
        if (p->used && same_addr(&p->addr, from))
            return p;
        if (!p->used && !free_slot)
            free_slot = p;
        if (p->used && (!oldest || p->last_ns < oldest->last_ns))
            oldest = p;
    }
    if (!free_slot) {
        peer_forget(oldest, "forgotten: the table of peers is full");
        free_slot = oldest;
    }
    peer_t *p = free_slot;
    memset(p, 0, sizeof *p);
    p->used = 1;
    memcpy(&p->addr, from, scope_addr_len(from));
    scope_addr_format(from, p->name, sizeof p->name);
    p->pid = -1;
    /* One of ours? Each child wrote its port to its pipe before its first
     * send, so the record is there to read now. */
    kid_t *k = NULL;
    if (scope_addr_is_loopback(from)) {
        for (int i = 0; i < srv.nkids; i++)
            if (srv.kids[i].used && srv.kids[i].port <= 0)
                kid_read_reports(&srv.kids[i]);
        k = kid_by_port(scope_addr_port(from));
    }
    char detail[160];
    if (k) {
        p->pid = k->pid;
        snprintf(p->chan, sizeof p->chan, "%s", k->chan);
        scope_events_log("recvmsg(fd %d): first datagram from %s (%s, pid %ld): a new peer, known "
                         "by its address alone",
                         srv.echo_fd, p->name, k->probe ? "the probe" : k->chan, k->pid);
        return p;
    } else {
        snprintf(p->chan, sizeof p->chan, "udp:%d", scope_addr_port(from));
        snprintf(detail, sizeof detail, "an outside peer at %s; UDP has no accept()", p->name);
        scope_events_log("recvmsg(fd %d): first datagram from %s, a peer from outside the demo: "
                         "no handshake came first, none is needed",
                         srv.echo_fd, p->name);
    }
    scope_events_chan("open", p->chan, "udp", peer_end(p), server_end(), detail);
    return p;
}

static void on_sweep(uv_timer_t *t)
{
    (void)t;
    uint64_t now = scope_time_now_ns(), limit = (uint64_t)udp.idle_ms * 1000000ull;
    for (int i = 0; i < MAX_PEERS; i++) {
        peer_t *p = &srv.peers[i];
        if (p->used && p->pid <= 0 && now - p->last_ns > limit) {
            char idle[32];
            scope_events_log("%s said nothing for %s: forgotten (there is no connection to "
                             "close, only our note of it)",
                             p->name, scope_time_format(idle, sizeof idle, (double)limit));
            peer_forget(p, "silent too long");
        }
    }
}

/* ==== the echo ============================================================ */

static void echo_reply(peer_t *p, const struct sockaddr *to, const char *data, size_t len,
                       uint64_t id)
{
    static char reply[GREETING_LEN + UDP4_MAX];
    memcpy(reply, GREETING, GREETING_LEN);
    memcpy(reply + GREETING_LEN, data, len);
    size_t n = GREETING_LEN + len;
    if (scope_events_msg_admit()) {
        char sum[80];
        summarize(sum, sizeof sum, reply, n);
        scope_events_msg_emit_admitted("send", p->chan, server_end(), peer_end(p), id, n, sum, 0);
    }
    int r = udp_send(&srv.echo, reply, n, to);
    if (r < 0)
        scope_events_error("send", "sendmsg() of the %zu-byte answer to %s: %s", n, p->name,
                           uv_strerror(r));
    else {
        srv.echo_out++;
        p->out++;
    }
}

static void on_echo_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                         const struct sockaddr *from, unsigned flags)
{
    (void)h;
    if (srv.mode == MODE_THROUGHPUT) {
        if (nread > 0 || (nread == 0 && from))
            sink_datagram((size_t)nread);
        return;
    }
    if (no_datagram(nread, from))
        return;
    if (nread < 0) {
        scope_events_error("recv", "recvmsg() on fd %d: %s; the server goes on", srv.echo_fd,
                           uv_strerror((int)nread));
        return;
    }
    peer_t *p = peer_of(from);
    p->last_ns = scope_time_now_ns();
    p->in++;
    srv.echo_in++;
    const char *data = buf->base;
    size_t len = (size_t)nread;

    if ((flags & UV_UDP_PARTIAL) || len > udp.max_message) {
        srv.refused++;
        scope_events_error("refused",
                           "a %zu%s-byte datagram from %s is over --max-message %zu: "
                           "refused, not echoed; the server goes on",
                           len, (flags & UV_UDP_PARTIAL) ? "+" : "", p->name, udp.max_message);
        return;
    }
    long bad = utf8_bad_at((const unsigned char *)data, len);
    if (bad >= 0) {
        srv.refused++;
        scope_events_error("refused",
                           "a %zu-byte datagram from %s is not UTF-8 (byte 0x%02x at "
                           "offset %ld): refused, not echoed; node would have answered with "
                           "U+FFFD in its place",
                           len, p->name, (unsigned char)data[bad], bad);
        return;
    }
    uint64_t id = parse_id(data, len);
    if (scope_events_msg_admit()) {
        char sum[80];
        summarize(sum, sizeof sum, data, len);
        scope_events_msg_emit_admitted("recv", p->chan, peer_end(p), server_end(), id, len, sum, 0);
    }
    if (len == 0) {
        srv.empty++;
        scope_events_log("an empty datagram from %s: legal UDP. recvmsg() returned 0, which on a "
                         "stream would mean EOF; here it is a message with no bytes. Answered "
                         "with the bare greeting",
                         p->name);
    }
    echo_reply(p, from, data, len, id);
}

/* ==== the end: the summary, quit, the dashboard, run_server() ============ */

static void finish(void)
{
    if (srv.finished)
        return;
    srv.finished = 1;
    uv_timer_stop(&srv.lesson_timer);
    uv_timer_stop(&srv.loss_timer);
    scope_hist_t all;
    scope_hist_reset(&all);
    int64_t sent = 0, received = 0, lost = 0, late = 0, errors = 0, complete = 0;
    uint64_t bytes_sent = 0;
    for (int i = 0; i < srv.nkids; i++) {
        kid_t *k = &srv.kids[i];
        if (k->probe || !k->have_final)
            continue;
        scope_hist_merge(&all, &k->final.rtt);
        sent += k->final.sent;
        received += k->final.received;
        lost += k->final.lost;
        late += k->final.late;
        errors += k->final.errors;
        bytes_sent += k->final.bytes_sent;
        complete++;
    }
    scope_hist_summary_t sum;
    scope_hist_summarize(&all, &sum);
    cJSON *o = cJSON_CreateObject();
    char text[400];
    cJSON_AddStringToObject(o, "address", srv.echo_name);
    if (srv.mode == MODE_THROUGHPUT) {
        double secs =
            srv.sink_last_ns > srv.sink_first_ns ? (srv.sink_last_ns - srv.sink_first_ns) / 1e9 : 0;
        double mb_s = secs > 0 ? srv.sink_bytes / secs / 1e6 : 0;
        int64_t dsent = sent;
        cJSON_AddNumberToObject(o, "mb_s", mb_s);
        cJSON_AddNumberToObject(o, "bytes", (double)srv.sink_bytes);
        cJSON_AddNumberToObject(o, "bytes_sent", (double)bytes_sent);
        cJSON_AddNumberToObject(o, "datagram", (double)udp.demo.size);
        cJSON_AddNumberToObject(o, "sent", (double)dsent);
        cJSON_AddNumberToObject(o, "received", (double)srv.sink_dgrams);
        cJSON_AddNumberToObject(
            o, "lost",
            (double)(dsent > (int64_t)srv.sink_dgrams ? dsent - (int64_t)srv.sink_dgrams : 0));
        cJSON_AddNumberToObject(o, "loss",
                                dsent > 0 ? 1.0 - (double)srv.sink_dgrams / (double)dsent : 0);
        snprintf(text, sizeof text,
                 "%lld datagrams of %zu bytes sent, %llu received (%.1f%% lost): "
                 "%.1f MB/s arrived",
                 (long long)dsent, udp.demo.size, (unsigned long long)srv.sink_dgrams,
                 dsent > 0 ? 100.0 * (1.0 - (double)srv.sink_dgrams / (double)dsent) : 0.0, mb_s);
    } else if (srv.mode == MODE_SERVER) {
        cJSON_AddNumberToObject(o, "received", (double)srv.echo_in);
        cJSON_AddNumberToObject(o, "sent", (double)srv.echo_out);
        cJSON_AddNumberToObject(o, "refused", (double)srv.refused);
        cJSON_AddNumberToObject(o, "empty", (double)srv.empty);
        snprintf(text, sizeof text,
                 "the server received %llu datagrams, answered %llu and "
                 "refused %llu",
                 (unsigned long long)srv.echo_in, (unsigned long long)srv.echo_out,
                 (unsigned long long)srv.refused);
    } else {
        cJSON_AddNumberToObject(o, "clients", complete);
        cJSON_AddNumberToObject(o, "sent", (double)sent);
        cJSON_AddNumberToObject(o, "received", (double)received);
        cJSON_AddNumberToObject(o, "round_trips", (double)sum.count);
        cJSON_AddNumberToObject(o, "p50", (double)sum.p50);
        cJSON_AddNumberToObject(o, "p99", (double)sum.p99);
        cJSON_AddNumberToObject(o, "lost", (double)lost);
        cJSON_AddNumberToObject(o, "late", (double)late);
        cJSON_AddNumberToObject(o, "send_errors", (double)errors);
        cJSON_AddNumberToObject(o, "server_received", (double)srv.echo_in);
        cJSON_AddNumberToObject(o, "server_answered", (double)srv.echo_out);
        cJSON_AddNumberToObject(o, "refused", (double)srv.refused);
        cJSON_AddNumberToObject(o, "empty", (double)srv.empty);
        if (srv.mode == MODE_LESSON && !udp.no_lesson) {
            cJSON_AddBoolToObject(o, "boundaries_kept", srv.boundaries_ok);
            cJSON_AddNumberToObject(o, "max_payload", srv.maxsize_got ? UDP4_MAX : 0);
            cJSON_AddBoolToObject(o, "emsgsize", srv.emsgsize_seen);
            cJSON *l = cJSON_AddObjectToObject(o, "loss");
            cJSON_AddNumberToObject(l, "sent", (double)srv.loss_sent_final);
            cJSON_AddNumberToObject(l, "received", (double)srv.loss_received);
            cJSON_AddNumberToObject(l, "dropped",
                                    (double)(srv.loss_sent_final - srv.loss_received));
            cJSON_AddNumberToObject(l, "kernel_drops", (double)srv.loss_kernel_drops);
            if (srv.loss_have_ovfl)
                cJSON_AddNumberToObject(l, "rxq_ovfl", (double)srv.loss_ovfl);
            cJSON_AddBoolToObject(l, "accounted", srv.loss_settled);
        }
        cJSON_AddBoolToObject(o, "complete", !srv.cut_short);
        char p50[32];
        snprintf(text, sizeof text,
                 "%lld clients: %lld datagrams sent, %lld answered, %lld lost "
                 "(median round trip %s); the server refused %llu bad datagrams%s",
                 (long long)complete, (long long)sent, (long long)received, (long long)lost,
                 scope_time_format(p50, sizeof p50, (double)sum.p50),
                 (unsigned long long)srv.refused, srv.cut_short ? "; the run was cut short" : "");
    }
    scope_events_bye(o, text);
    close_handle((uv_handle_t *)&srv.echo);
    close_handle((uv_handle_t *)&srv.lesson);
    close_handle((uv_handle_t *)&srv.lesson_timer);
    close_handle((uv_handle_t *)&srv.loss_timer);
    close_handle((uv_handle_t *)&srv.sweep_timer);
    scope_demo_stop(&udp.demo);
}

static int kids_running(void)
{
    int n = 0;
    for (int i = 0; i < srv.nkids; i++)
        if (srv.kids[i].used && !srv.kids[i].exited)
            n++;
    return n;
}

static void on_sink_settle(uv_timer_t *t)
{
    /* Wait until what is on the way has arrived: every datagram counted, or
     * nothing new for 200 ms. */
    int64_t sent = srv.kids[0].have_final ? srv.kids[0].final.sent : 0;
    if ((int64_t)srv.sink_dgrams >= sent || srv.sink_dgrams == srv.sink_seen_at_tick) {
        if (++srv.sink_ticks >= 10 || (int64_t)srv.sink_dgrams >= sent) {
            uv_timer_stop(t);
            finish();
        }
    } else {
        srv.sink_ticks = 0;
    }
    srv.sink_seen_at_tick = srv.sink_dgrams;
}

void server_maybe_finish(void)
{
    if (srv.finished || srv.mode == MODE_SERVER)
        return;
    if (!srv.finishing && srv.clients_running == 0 && srv.nkids > (srv.probe_kid >= 0 ? 1 : 0)) {
        /* the clients are done: the probe's work is over too */
        srv.finishing = 1;
        kid_t *p = probe_kid();
        if (p && !p->exited)
            scope_child_kill(&p->child, SIGTERM, 0);
    }
    if (!srv.finishing || kids_running() > 0)
        return;
    if (srv.mode == MODE_THROUGHPUT && !srv.cut_short) {
        srv.sink_seen_at_tick = srv.sink_dgrams;
        uv_timer_start(&srv.lesson_timer, on_sink_settle, 20, 20);
        return;
    }
    finish();
}

static void server_quit(scope_demo_t *d)
{
    (void)d;
    srv.cut_short = 1;
    srv.finishing = 1;
    uv_timer_stop(&srv.lesson_timer);
    uv_timer_stop(&srv.loss_timer);
    int n = 0;
    for (int i = 0; i < srv.nkids; i++)
        if (srv.kids[i].used && !srv.kids[i].exited) {
            scope_child_kill(&srv.kids[i].child, SIGTERM, 0);
            n++;
        }
    if (n)
        scope_events_log("SIGTERM to %d children; each sends its figures and exits", n);
    else
        finish();
}

/* The dashboard's commands reach the first process; the clients hear them
 * as datagrams from the server, like everything else they hear. */
static void server_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    if (strcmp(cmd, "fault") == 0) {
        const char *k = d->fault;
        if (strcmp(k, "oversize") && strcmp(k, "malformed") && strcmp(k, "empty")) {
            scope_events_error("fault", "unknown fault '%s' (oversize, malformed or empty)", k);
            return;
        }
        char c[48];
        snprintf(c, sizeof c, "probe:%s", k);
        if (probe_kid())
            probe_command(c);
        else
            scope_events_error("fault", "no probe runs to send a bad datagram");
        return;
    }
    if (strcmp(cmd, "pause") && strcmp(cmd, "resume") && strcmp(cmd, "step") &&
        strcmp(cmd, "rate") && strcmp(cmd, "size"))
        return;
    char *text = cJSON_PrintUnformatted(msg);
    if (!text)
        return;
    for (int i = 0; i < srv.nkids; i++) {
        kid_t *k = &srv.kids[i];
        if (!k->used || k->exited || k->probe)
            continue;
        if (k->port <= 0)
            kid_read_reports(k);
        if (k->port <= 0)
            continue;
        struct sockaddr_in to;
        uv_ip4_addr("127.0.0.1", k->port, &to);
        scope_events_msg("send", k->chan, server_end(), SCOPE_PID(k->pid), 0, strlen(text), text,
                         0);
        udp_send(&srv.echo, text, strlen(text), (struct sockaddr *)&to);
    }
    cJSON_free(text);
}

static int bind_udp(uv_udp_t *h, const struct sockaddr *a, struct sockaddr_storage *bound,
                    char *name, int *fd, unsigned flags)
{
    int r = uv_udp_init_ex(udp.loop, h, a->sa_family | flags);
    if (r < 0)
        return r;
    if ((r = uv_udp_bind(h, a, 0)) < 0)
        return r;
    int len = sizeof *bound;
    uv_udp_getsockname(h, (struct sockaddr *)bound, &len);
    scope_addr_format((struct sockaddr *)bound, name, SCOPE_ADDR_STRLEN);
    uv_fileno((uv_handle_t *)h, fd);
    return 0;
}

int run_server(void)
{
    scope_demo_t *d = &udp.demo;
    srv.mode = udp.listen_given ? MODE_SERVER : udp.throughput ? MODE_THROUGHPUT : MODE_LESSON;
    d->on_quit = server_quit;
    d->on_control = server_control;
    udp.loop = uv_default_loop();
    if (self_path() < 0) {
        fprintf(stderr, "udp: readlink /proc/self/exe: %s\n", strerror(errno));
        return 1;
    }
    struct sockaddr_storage want;
    const char *spec = udp.listen_given ? udp.listen_spec : "127.0.0.1";
    int r = scope_addr_parse(spec, "127.0.0.1", 0, &want);
    if (r < 0) {
        fprintf(stderr, "udp: --listen wants HOST:PORT, not '%s' (%s)\n", spec, strerror(-r));
        return 2;
    }
    /* socket() and bind() before hello, so that hello carries the port. */
    r = bind_udp(&srv.echo, (struct sockaddr *)&want, &srv.echo_addr, srv.echo_name, &srv.echo_fd,
                 srv.mode == MODE_THROUGHPUT ? UV_UDP_RECVMMSG : 0);
    char wanted[SCOPE_ADDR_STRLEN];
    scope_addr_format((struct sockaddr *)&want, wanted, sizeof wanted);
    d->params = cJSON_CreateObject();
    cJSON_AddStringToObject(d->params, "mode",
                            srv.mode == MODE_SERVER       ? "server"
                            : srv.mode == MODE_THROUGHPUT ? "throughput"
                                                          : "lesson");
    cJSON_AddStringToObject(d->params, "listen", r == 0 ? srv.echo_name : wanted);
    if (srv.mode != MODE_SERVER)
        cJSON_AddNumberToObject(d->params, "clients",
                                srv.mode == MODE_THROUGHPUT ? 1 : udp.clients);
    cJSON_AddNumberToObject(d->params, "max_message", (double)udp.max_message);
    cJSON_AddNumberToObject(d->params, "timeout_ms", (double)udp.timeout_ms);
    if (udp.throughput)
        cJSON_AddNumberToObject(d->params, "throughput", (double)udp.throughput);
    int sr = scope_demo_start(d, udp.loop, "server", 1);
    if (sr < 0) {
        fprintf(stderr, "udp: cannot start: %s\n", strerror(-sr));
        return 1;
    }
    if (r < 0) {
        scope_events_error("bind", "bind(%s): %s%s", wanted, uv_strerror(r),
                           r == UV_EADDRINUSE ? ": another socket has this port" : "");
        close_handle((uv_handle_t *)&srv.echo);
        scope_demo_run(d);
        return 1;
    }
    if (srv.mode == MODE_THROUGHPUT)
        udp.batch = malloc(SINK_BATCH * RECV_BUF);
    uv_udp_recv_start(&srv.echo, srv.mode == MODE_THROUGHPUT ? on_alloc_batch : on_alloc,
                      on_echo_recv);
    uv_timer_init(udp.loop, &srv.lesson_timer);
    uv_timer_init(udp.loop, &srv.loss_timer);
    uv_timer_init(udp.loop, &srv.sweep_timer);
    /* Swept often enough that a short --idle-ms is kept to within a tenth. */
    uint64_t sweep =
        udp.idle_ms >= 10000 ? 1000 : (uint64_t)(udp.idle_ms / 10 > 0 ? udp.idle_ms / 10 : 1);
    uv_timer_start(&srv.sweep_timer, on_sweep, sweep, sweep);
    uv_unref((uv_handle_t *)&srv.sweep_timer);
    if (srv.mode == MODE_LESSON) {
        struct sockaddr_in lo;
        uv_ip4_addr("127.0.0.1", 0, &lo);
        if (bind_udp(&srv.lesson, (struct sockaddr *)&lo, &srv.lesson_addr, srv.lesson_name,
                     &srv.lesson_fd, 0) < 0) {
            scope_events_error("bind", "the lesson's receiver: cannot bind 127.0.0.1");
            udp.no_lesson = 1;
        }
    }
    scope_demo_step(d, "socket() and bind(): the server's address", step_bind);
    scope_demo_run(d);
    close_handle((uv_handle_t *)&srv.echo);
    close_handle((uv_handle_t *)&srv.lesson);
    close_handle((uv_handle_t *)&srv.lesson_timer);
    close_handle((uv_handle_t *)&srv.loss_timer);
    close_handle((uv_handle_t *)&srv.sweep_timer);
    for (int i = 0; i < srv.nkids; i++) {
        kid_t *k = &srv.kids[i];
        if (k->used && !k->exited) /* never leave one behind */
            scope_child_kill(&k->child, SIGKILL, 0);
    }
    uv_run(udp.loop, UV_RUN_NOWAIT);
    scope_spawn_shutdown(udp.loop);
    for (int i = 0; i < srv.nkids; i++) {
        kid_t *k = &srv.kids[i];
        if (k->polling) {
            uv_poll_stop(&k->poll);
            uv_close((uv_handle_t *)&k->poll, on_poll_closed);
            k->polling = 0;
        }
    }
    uv_run(udp.loop, UV_RUN_NOWAIT);
    uv_loop_close(udp.loop);
    free(udp.batch);
    return srv.exit_code;
}
