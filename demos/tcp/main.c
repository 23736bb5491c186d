/* tcp: net.createServer() and net.connect() with the lid off.
 *
 * The seeds' chat server, then what a TCP byte stream really is, step by step:
 *
 *   1. socket(AF_INET, SOCK_STREAM), bind(127.0.0.1:0), listen(): the kernel
 *      picks a free port (the demo binds before it says hello, so the port is
 *      in its hello event).
 *   2. N client processes (this program with --as-client) connect(); each
 *      accept4() gives the server one fd per client. Each line a client writes
 *      is echoed to it ("Server echo: ...") and broadcast to the others
 *      ("Broadcast: PORT says: ..."), as in the seed; each line carries the
 *      round trip of the one before, so the server can keep the figures. A
 *      client that leaves is removed and the others are told.
 *   3. A byte stream keeps no boundaries (a): the server write()s two short
 *      messages; the lab client reads late, and one read() returns both.
 *   4. (b): one 256 KiB write() arrives in several reads.
 *   5. Length-prefixed frames (lib/net, SCOPE_CONN_LENGTH): a 4-byte length
 *      before each message, and every message arrives whole.
 *   6. Nagle and TCP_NODELAY: a request sent in two small writes, then a
 *      read, timed with Nagle on (the default of libuv and of node's net) and
 *      with TCP_NODELAY.
 *
 * The same program is every side: --listen ADDR runs only the server (until
 * SIGINT, SIGTERM or quit), --connect ADDR only one client, so the two can run
 * on two machines. Real peers join the chat too:
 *
 *   build/demos/tcp --listen 127.0.0.1:7000 &
 *   nc 127.0.0.1 7000                      # type a line: Server echo: ...
 *   node demos/tcp-client.js 127.0.0.1:7000
 */

/* main.c: the program's front. The options and their parsing, the run of the
 * server step by step (listen, the clients, the lab, the summary, the wind
 * down), and main(), which picks the side this process plays: the client
 * sides live in client.c, lab.c and throughput.c, the server's connections
 * and children in server.c. tcp.h lists every module. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcp.h"

static const scope_demo_info_t info = {
    "tcp",
    "net over TCP with the lid off: the chat server, a byte stream, Nagle",
    "A chat server echoes and broadcasts lines to N clients; then what a byte stream "
    "does to message boundaries, and what Nagle's algorithm costs.",
    "000 001 002",
    "TCP/HTTP | 中 | ✅ | 中 | 微服务",
    "oversize silent vanish", /* a bad client joins the chat: fault.c */
};

static const scope_demo_option_t options[] = {
    {"clients", "N", "client processes in a default run (default 3, at most 8)"},
    {"listen", "HOST:PORT", "run only the server, on this address (default 127.0.0.1:0)"},
    {"connect", "HOST:PORT", "run only one client, against this server"},
    {"nodelay", "on|off", "TCP_NODELAY on every socket (default off, as libuv and node's net)"},
    {"split-writes", NULL, "clients write each line in two write()s (the write-write-read pattern)"},
    {"max-message", "BYTES", "longest line the server takes (default 65536)"},
    {"idle-ms", "MS", "close a peer that says nothing this long (default 30000, 0 = never)"},
    {"throughput", "BYTES", "one client streams BYTES to the server; the summary gives MB/s"},
    {"lab", "on|off", "after the chat, the byte-stream and Nagle steps (default on)"},
    {"fault", "KIND", "one more client misbehaves: oversize, silent or vanish"},
    {"as-client", NULL, "internal: be one of the demo's client processes"},
    {"as-lab", NULL, "internal: be the demo's lab client"},
    {"client-id", "K", "internal: this client's number"},
    {"relay-fd", "FD", "internal: dashboard commands relayed by the server"},
    {NULL, NULL, NULL},
};

/* ==== the options ======================================================== */

tcp_demo_t tcp = {
    .clients = 3, .lab = 1, .relay_fd = -1, .max_message = 65536, .idle_ms = 30000};

long self_pid; /* getpid() is a system call: asked once */

static int parse_u64(const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v || *end || *v == '-' || n < lo || n > hi)
        return -EINVAL;
    *out = n;
    return 0;
}

static int on_off(const char *v, int *out)
{
    if (strcmp(v, "on") == 0)
        *out = 1;
    else if (strcmp(v, "off") == 0)
        *out = 0;
    else
        return -EINVAL;
    return 0;
}

static int on_option(scope_demo_t *d, const char *name, const char *value)
{
    uint64_t n;
    if (strcmp(name, "clients") == 0) {
        if (parse_u64(value, 0, MAX_CLIENTS, &n) < 0) {
            snprintf(d->error, sizeof d->error, "--clients wants 0 to %d", MAX_CLIENTS);
            return -EINVAL;
        }
        tcp.clients = (int)n;
    } else if (strcmp(name, "listen") == 0) {
        tcp.listen_spec = value;
    } else if (strcmp(name, "connect") == 0) {
        tcp.connect_spec = value;
    } else if (strcmp(name, "nodelay") == 0 || strcmp(name, "lab") == 0) {
        if (on_off(value, name[0] == 'n' ? &tcp.nodelay : &tcp.lab) < 0) {
            snprintf(d->error, sizeof d->error, "--%s wants on or off, not '%s'", name, value);
            return -EINVAL;
        }
    } else if (strcmp(name, "split-writes") == 0) {
        tcp.split = 1;
    } else if (strcmp(name, "max-message") == 0) {
        if (parse_u64(value, 64, 16u * 1024 * 1024, &n) < 0) {
            snprintf(d->error, sizeof d->error, "--max-message wants 64 to 16777216 bytes");
            return -EINVAL;
        }
        tcp.max_message = (size_t)n;
    } else if (strcmp(name, "idle-ms") == 0) {
        if (parse_u64(value, 0, 86400000, &tcp.idle_ms) < 0) {
            snprintf(d->error, sizeof d->error, "--idle-ms wants milliseconds, 0 to 86400000");
            return -EINVAL;
        }
    } else if (strcmp(name, "throughput") == 0) {
        if (parse_u64(value, 1, 1ull << 40, &tcp.throughput) < 0) {
            snprintf(d->error, sizeof d->error, "--throughput wants bytes, 1 to 2^40");
            return -EINVAL;
        }
    } else if (strcmp(name, "fault") == 0) {
        tcp.fault = fault_kind(value);
        if (!tcp.fault) {
            snprintf(d->error, sizeof d->error,
                     "--fault wants oversize, silent or vanish, not '%s'", value);
            return -EINVAL;
        }
    } else if (strcmp(name, "as-client") == 0) {
        tcp.as_client = 1;
    } else if (strcmp(name, "as-lab") == 0) {
        tcp.as_lab = 1;
    } else if (strcmp(name, "client-id") == 0) {
        if (parse_u64(value, 0, 1000, &n) < 0)
            return -EINVAL;
        tcp.client_id = (int)n;
    } else if (strcmp(name, "relay-fd") == 0) {
        if (parse_u64(value, 3, 1024, &n) < 0)
            return -EINVAL;
        tcp.relay_fd = (int)n;
    }
    return 0;
}

/* ---- the run, step by step -------------------------------------------------- */

static void finish(void)
{
    if (srv.finished)
        return;
    srv.finished = 1;
    if (srv.listening) {
        uv_close((uv_handle_t *)&srv.listener, NULL);
        srv.listening = 0;
        scope_events_log("close(fd %d): the listening socket is gone; a connect() now gets "
                         "ECONNREFUSED", srv.listen_fd);
    }
    if (!uv_is_closing((uv_handle_t *)&srv.kill_timer))
        uv_close((uv_handle_t *)&srv.kill_timer, NULL);
    scope_hist_summary_t sum;
    scope_hist_summarize(&srv.rtt, &sum);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "listen", srv.addr_str);
    int good = srv.nkids - (srv.lab_pid > 0) - srv.nbad;
    cJSON_AddNumberToObject(b, "clients", good);
    if (srv.nbad)
        cJSON_AddNumberToObject(b, "bad_clients", srv.nbad);
    cJSON_AddNumberToObject(b, "accepted", (double)srv.accepted);
    cJSON_AddNumberToObject(b, "received", (double)srv.lines_in);
    cJSON_AddNumberToObject(b, "sent", (double)(srv.echoes + srv.broadcasts));
    cJSON_AddNumberToObject(b, "echoes", (double)srv.echoes);
    cJSON_AddNumberToObject(b, "broadcasts", (double)srv.broadcasts);
    cJSON_AddNumberToObject(b, "round_trips", (double)srv.rtt.count);
    cJSON_AddNumberToObject(b, "p50", (double)sum.p50);
    cJSON_AddNumberToObject(b, "p99", (double)sum.p99);
    cJSON_AddNumberToObject(b, "refused", (double)srv.refused);
    cJSON_AddNumberToObject(b, "partial", (double)srv.partial);
    cJSON_AddNumberToObject(b, "timed_out", (double)srv.timed_out);
    cJSON_AddBoolToObject(b, "nodelay", tcp.nodelay);
    char text[320];
    if (tcp.throughput) {
        double secs = (srv.sink_last - srv.sink_first) / 1e9;
        double mb_s = secs > 0 ? srv.sink_bytes / secs / 1e6 : 0;
        cJSON_AddNumberToObject(b, "bytes", (double)srv.sink_bytes);
        cJSON_AddNumberToObject(b, "reads", (double)srv.sink_reads);
        cJSON_AddNumberToObject(b, "mb_s", mb_s);
        snprintf(text, sizeof text, "%llu bytes streamed in %llu reads: %.0f MB/s",
                 (unsigned long long)srv.sink_bytes, (unsigned long long)srv.sink_reads, mb_s);
    } else {
        if (srv.lab_state == 'D') {
            cJSON_AddNumberToObject(b, "two_writes_one_read", (double)srv.lab_a_reads);
            cJSON_AddNumberToObject(b, "big_message_reads", (double)srv.lab_b_reads);
            cJSON_AddNumberToObject(b, "framed_reads", (double)srv.lab_c_reads);
            cJSON_AddNumberToObject(b, "nagle_p50", (double)srv.nagle_off);
            cJSON_AddNumberToObject(b, "nodelay_p50", (double)srv.nagle_on);
        }
        char bad[32] = "";
        if (srv.nbad)
            snprintf(bad, sizeof bad, " (and %d bad)", srv.nbad);
        char med[32];
        int n = snprintf(text, sizeof text, "%d clients%s: %llu lines in, %llu echoes, %llu "
                         "broadcasts; round trip median %s",
                         good, bad, (unsigned long long)srv.lines_in,
                         (unsigned long long)srv.echoes, (unsigned long long)srv.broadcasts,
                         scope_time_format(med, sizeof med, (double)sum.p50));
        if (srv.lab_state == 'D')
            snprintf(text + n, sizeof text - (size_t)n, "; two writes came in %llu read, 256 KiB "
                     "in %llu; write-write-read %.1f ms with Nagle, %.1f us without",
                     (unsigned long long)srv.lab_a_reads, (unsigned long long)srv.lab_b_reads,
                     srv.nagle_off / 1e6, srv.nagle_on / 1e3);
    }
    if (srv.kid_failed)
        tcp.exit_code = 1;
    scope_events_bye(b, text);
    scope_demo_stop(&tcp.demo);
}

static void on_kill_timer(uv_timer_t *t)
{
    (void)t;
    for (int i = 0; i < srv.nkids; i++)
        if (srv.kids[i].running)
            scope_child_kill(&srv.kids[i], SIGKILL, 0);
}

/* Ends what is left: the listener, every connection, the children. */
static void wind_down(void)
{
    if (srv.listening) {
        uv_close((uv_handle_t *)&srv.listener, NULL);
        srv.listening = 0;
    }
    for (conn_t *k = srv.conns; k; k = k->next)
        scope_conn_close(&k->c);
    if (srv.sink_open && !uv_is_closing((uv_handle_t *)&srv.sink))
        uv_close((uv_handle_t *)&srv.sink, sink_closed);
    for (int i = 0; i < srv.nkids; i++)
        if (srv.kids[i].running)
            scope_child_kill(&srv.kids[i], SIGTERM, 0);
    if (srv.running)
        uv_timer_start(&srv.kill_timer, on_kill_timer, 3000, 0);
}

static void lab_step_a(scope_demo_t *d)
{
    (void)d;
    srv.phase = PH_LAB;
    char *extra[] = {"--rate", "0", NULL}; /* the lab's own pace: as fast as it goes */
    int i = spawn_kid("--as-lab", extra);
    if (i < 0) {
        scope_events_error("spawn", "cannot start the lab client: %s", strerror(-i));
        srv.phase = PH_DONE;
        advance();
        return;
    }
    srv.lab_pid = srv.kids[i].pid;
    scope_events_log("fork() + execve(tcp --as-lab) -> pid %ld: the lab client; it reads "
                     "with no framing at all, each read() taken as one message",
                     srv.lab_pid);
}

void advance(void)
{
    if (srv.finished)
        return;
    if (tcp.demo.quitting) {
        if (!srv.running && !srv.nconns && !srv.sink_open)
            finish();
        return;
    }
    if (srv.phase == PH_CHAT) {
        int ours = 0;
        for (conn_t *k = srv.conns; k; k = k->next)
            ours += k->ours;
        if (srv.running || ours)
            return;
        if (tcp.lab) {
            srv.phase = PH_LAB;
            scope_demo_step(&tcp.demo, "a byte stream (a): two quick writes, one read", lab_step_a);
        } else {
            srv.phase = PH_DONE;
        }
    } else if (srv.phase == PH_LAB) {
        if (srv.running || srv.lab_ctrl)
            return;
        srv.phase = PH_DONE;
    } else if (srv.phase == PH_TPUT) {
        if (srv.running || srv.sink_open)
            return;
        srv.phase = PH_DONE;
    }
    if (srv.phase == PH_DONE) {
        if (srv.nconns || srv.running || srv.sink_open) {
            wind_down(); /* outside peers still connected: the run is over for them too */
            return;
        }
        finish();
    }
}

static void step_clients(scope_demo_t *d)
{
    if (tcp.throughput) {
        srv.phase = PH_TPUT;
        char bytes[32];
        snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)tcp.throughput);
        char *extra[] = {"--throughput", bytes, NULL};
        int i = spawn_kid("--as-client", extra);
        if (i < 0) {
            scope_events_error("spawn", "cannot start a client: %s", strerror(-i));
            tcp.exit_code = 1;
            srv.phase = PH_DONE;
        }
        advance();
        return;
    }
    srv.phase = PH_CHAT;
    char *split[] = {"--split-writes", NULL}, *none[] = {NULL};
    for (int k = 0; k < tcp.clients; k++) {
        int i = spawn_kid("--as-client", tcp.split ? split : none);
        if (i < 0) {
            scope_events_error("spawn", "cannot start client %d: %s", k + 1, strerror(-i));
            tcp.exit_code = 1;
            break;
        }
        scope_events_log("fork() + execve(tcp --as-client) -> pid %ld: client %d; it will "
                         "connect() to %s", (long)srv.kids[i].pid, i + 1, srv.dial_str);
    }
    scope_events_log("%d clients, %ld lines each at %s, %zu bytes a line; the server echoes "
                     "each line and broadcasts it to the others", srv.nkids, d->count,
                     d->rate > 0 ? "the chosen rate" : "full speed", d->size);
    if (tcp.fault && spawn_bad_kid(tcp.fault) < 0)
        tcp.exit_code = 1;
    advance();
}

static void step_listen(scope_demo_t *d)
{
    int nd = sock_nodelay(srv.listen_fd);
    scope_events_log("socket(AF_INET, SOCK_STREAM) -> fd %d; libuv set SO_REUSEADDR, bind(%s), "
                     "listen(fd %d, 128): the port is %d", srv.listen_fd, srv.addr_str, srv.listen_fd,
                     srv.port);
    if (!scope_addr_is_loopback((struct sockaddr *)&srv.addr))
        scope_events_log("%s is not a loopback address: other machines on that network can "
                         "connect, and this chat has no authentication", srv.addr_str);
    else
        scope_events_log("on 127.0.0.1 only this machine can connect");
    scope_events_log("TCP_NODELAY is %s on accepted sockets: %s", nd == 1 || tcp.nodelay ? "on" : "off",
                     tcp.nodelay ? "--nodelay on sets it, setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)"
                               : "libuv leaves Nagle's algorithm on, and so does node's net");
    if (tcp.listen_spec && !tcp.connect_spec) {
        srv.phase = PH_SERVE;
        scope_events_log("serving until SIGINT, SIGTERM or quit: try nc %s %d",
                         srv.addr.ss_family == AF_INET6 ? "::1" : "127.0.0.1", srv.port);
        return;
    }
    scope_demo_step(d, tcp.throughput ? "one client streams bytes as fast as TCP takes them"
                                    : "clients connect() and chat: echo to the sender, "
                                      "broadcast to the others",
                    step_clients);
}

static void server_quit(scope_demo_t *d)
{
    (void)d;
    wind_down();
    advance();
}

static int server_listen(void)
{
    const char *spec = tcp.listen_spec ? tcp.listen_spec : "127.0.0.1:0";
    int r = scope_addr_parse(spec, "127.0.0.1", 0, &srv.addr);
    if (r < 0)
        return r;
    uv_tcp_init(uv_default_loop(), &srv.listener);
    r = uv_tcp_bind(&srv.listener, (struct sockaddr *)&srv.addr, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&srv.listener, 128, on_connection);
    if (r < 0) {
        uv_close((uv_handle_t *)&srv.listener, NULL);
        return r;
    }
    srv.listening = 1;
    uv_os_fd_t fd;
    uv_fileno((uv_handle_t *)&srv.listener, &fd);
    srv.listen_fd = fd;
    int len = sizeof srv.addr;
    uv_tcp_getsockname(&srv.listener, (struct sockaddr *)&srv.addr, &len);
    scope_addr_format((struct sockaddr *)&srv.addr, srv.addr_str, sizeof srv.addr_str);
    srv.port = scope_addr_port((struct sockaddr *)&srv.addr);
    /* Clients dial the address we listen on, or loopback for a wildcard. */
    srv.dial = srv.addr;
    if (srv.dial.ss_family == AF_INET) {
        struct sockaddr_in *in4 = (struct sockaddr_in *)&srv.dial;
        if (in4->sin_addr.s_addr == htonl(INADDR_ANY))
            in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else if (srv.dial.ss_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&srv.dial;
        if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
            in6->sin6_addr = in6addr_loopback;
    }
    scope_addr_format((struct sockaddr *)&srv.dial, srv.dial_str, sizeof srv.dial_str);
    return 0;
}

static int run_server(void)
{
    scope_demo_t *d = &tcp.demo;
    d->on_quit = server_quit;
    d->on_control = on_control;
    for (int i = 0; i < MAX_KIDS; i++)
        srv.relay[i] = -1;
    scope_hist_reset(&srv.rtt);
    /* Bind before hello, so that the port the kernel picked is in it. */
    int lr = server_listen();
    d->params = cJSON_CreateObject();
    cJSON_AddStringToObject(d->params, "listen",
                            lr == 0 ? srv.addr_str : (tcp.listen_spec ? tcp.listen_spec : "127.0.0.1:0"));
    cJSON_AddNumberToObject(d->params, "port", srv.port);
    cJSON_AddNumberToObject(d->params, "clients", tcp.listen_spec ? 0 : tcp.clients);
    cJSON_AddBoolToObject(d->params, "nodelay", tcp.nodelay);
    cJSON_AddBoolToObject(d->params, "split_writes", tcp.split);
    cJSON_AddNumberToObject(d->params, "max_message", (double)tcp.max_message);
    cJSON_AddNumberToObject(d->params, "idle_ms", (double)tcp.idle_ms);
    if (tcp.throughput)
        cJSON_AddNumberToObject(d->params, "throughput", (double)tcp.throughput);
    if (tcp.fault)
        cJSON_AddStringToObject(d->params, "fault", tcp.fault);
    int r = scope_demo_start(d, uv_default_loop(), "server", 1);
    if (r < 0) {
        fprintf(stderr, "tcp: cannot start: %s\n", strerror(-r));
        return 1;
    }
    if (!d->json && scope_events_format() == SCOPE_EVENTS_TEXT)
        printf("tcp: listening on %s\n", lr == 0 ? srv.addr_str : "(nothing)");
    uv_timer_init(d->loop, &srv.kill_timer);
    uv_unref((uv_handle_t *)&srv.kill_timer);
    if (lr < 0) {
        scope_events_error("listen", "cannot listen on %s: %s%s",
                           tcp.listen_spec ? tcp.listen_spec : "127.0.0.1:0", uv_strerror(lr),
                           lr == UV_EADDRINUSE ? " (another socket is bound to that port)" : "");
        uv_close((uv_handle_t *)&srv.kill_timer, NULL);
        scope_demo_stop(d);
        scope_demo_run(d);
        uv_loop_close(d->loop);
        return 1;
    }
    scope_demo_step(d, "listen(): a TCP server on a port the kernel picks", step_listen);
    scope_demo_run(d);
    for (int i = 0; i < srv.nkids; i++)
        if (srv.kids[i].running)
            scope_child_kill(&srv.kids[i], SIGKILL, 0);
    uv_run(d->loop, UV_RUN_NOWAIT);
    scope_spawn_shutdown(d->loop);
    uv_run(d->loop, UV_RUN_NOWAIT);
    for (int i = 0; i < MAX_KIDS; i++)
        if (srv.relay[i] >= 0)
            close(srv.relay[i]);
    free(reply_buf);
    free(srv.big);
    uv_loop_close(d->loop);
    return tcp.exit_code;
}

int main(int argc, char **argv)
{
    tcp.demo.on_option = on_option;
    self_pid = getpid();
    int r = scope_demo_parse(&tcp.demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&tcp.demo, r, stdout, stderr);
    if (tcp.fault && (tcp.throughput || (tcp.listen_spec && !tcp.connect_spec))) {
        fprintf(stderr, "tcp: --fault adds a bad client to the chat; %s\n",
                tcp.throughput ? "--throughput runs no chat"
                               : "--listen runs only the server (a bad client of your own: tcp "
                                 "--connect HOST:PORT --fault KIND)");
        return 2;
    }
    if (tcp.connect_spec || tcp.as_client || tcp.as_lab)
        return run_client();
    return run_server();
}
