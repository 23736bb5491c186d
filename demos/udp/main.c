/* udp: dgram with the lid off. The articles' UDP echo pair (udp.c), one
 * server and N clients, and before it what makes UDP UDP, one step each:
 * boundaries, the largest datagram, loss, bad input. The clients and the
 * lesson's sender ("probe") are this program again (lib/role).
 *
 * --listen runs only the server, --connect only a client, so two machines
 * can talk. Any UDP peer will do:
 *
 *     build/demos/udp --listen 127.0.0.1:41234 &
 *     echo hi | nc -u -w1 127.0.0.1 41234
 */
#include "udp.h"

static const scope_demo_info_t info = {
    "udp", "dgram with the lid off: datagrams keep their boundaries, and may be lost",
    "The articles' UDP echo pair on uv_udp: N clients time round trips; boundaries, the "
    "65,507-byte limit and loss shown live.",
    "001 002", "TCP/UDP | ★★★☆☆ | 都支持 | 中", "oversize malformed empty",
};

static scope_demo_t demo;
static udp_server_t srv;
static udp_lab_t lab = {.clients = 3, .timeout_ms = 1000, .idle_ms = 30000, .max_message = 8192,
                        .lab = 1};

/* --max-message: the answer adds the greeting and must fit one datagram. */
static const scope_demo_option_t options[] = {
    {"clients", "N", "clients the default run starts (default 3, at most 32)", SCOPE_OPT_NUMBER,
     &lab.clients, 1, MAX_CLIENTS},
    {"listen", "HOST:PORT", "run only the server, on this address (default 127.0.0.1, any port)",
     SCOPE_OPT_TEXT, &lab.listen},
    {"connect", "HOST:PORT", "run only a client of the server at this address", SCOPE_OPT_TEXT,
     &lab.connect},
    {"max-message", "BYTES", "longest datagram the server echoes (default 8192, at most 65469)",
     SCOPE_OPT_NUMBER, &lab.max_message, 1, UDP4_MAX - (long long)GREETING_LEN},
    {"timeout", "MS", "a client counts an answer not back within MS as lost (default 1000)",
     SCOPE_OPT_NUMBER, &lab.timeout_ms, 1, 600000},
    {"idle-ms", "MS", "the server forgets a peer silent this long (default 30000)",
     SCOPE_OPT_NUMBER, &lab.idle_ms, 1, 86400000},
    {"throughput", "BYTES", "one client streams BYTES in --size datagrams as fast as it can",
     SCOPE_OPT_NUMBER, &lab.throughput, 1, 1ll << 40},
    {"lab", "on|off", "the boundary, size, loss and bad-input steps before the echo (default on)",
     SCOPE_OPT_ONOFF, &lab.lab},
    {"probe", "KIND", "(internal) the lesson's sender: what to send", SCOPE_OPT_WORD, &lab.probe,
     0, 0, PROBE_KINDS},
    {"to", "HOST:PORT", "(internal) where the probe sends", SCOPE_OPT_TEXT, &lab.to},
    {"start-paused", NULL, "(internal) start paused", SCOPE_OPT_FLAG, &demo.paused},
    {NULL, NULL, NULL},
};

/* The bye: the clients' figures added up and the server's own counts (alone
 * with --listen, the only ones); the lab steps gave theirs to scope_demo_figure. */
static void finish(scope_demo_t *d)
{
    char text[400], head[300] = "";
    cJSON *o = cJSON_CreateObject();
    int cut = !lab.listen && (clients_figures(d, o, head, sizeof head) || d->quitting);
    cJSON_AddStringToObject(o, "address", lab.server);
    cJSON_AddNumberToObject(o, lab.listen ? "received" : "server_received", (double)srv.received);
    cJSON_AddNumberToObject(o, lab.listen ? "sent" : "server_answered", (double)srv.answered);
    if (!lab.listen)
        cJSON_AddBoolToObject(o, "complete", !cut);
    snprintf(text, sizeof text,
             scope_events_tr("%s%sthe server received %llu datagrams, answered %llu and "
                             "refused %llu%s"),
             head, *head ? "; " : "", (unsigned long long)srv.received,
             (unsigned long long)srv.answered, (unsigned long long)srv.refused,
             cut ? scope_events_tr("; the run was cut short") : "");
    scope_demo_bye(d, o, text);
    udp_server_close(&srv);
    scope_demo_stop(d);
}

static void step_bind(scope_demo_t *d)
{
    const struct sockaddr *a = (const struct sockaddr *)&srv.addr;
    char idle[32];
    scope_events_log("socket(%s, SOCK_DGRAM) -> fd %d; bind(%s). No listen(), no accept(): "
                     "datagrams from anyone arrive on this one fd, each with its sender's address",
                     a->sa_family == AF_INET6 ? "AF_INET6" : "AF_INET", srv.fd, lab.server);
    if (scope_addr_is_loopback(a))
        scope_events_log("%s is loopback: only this machine can reach it. Try nc -u %s %d",
                         lab.server, a->sa_family == AF_INET6 ? "::1" : "127.0.0.1",
                         scope_addr_port(a));
    else
        scope_events_log("%s is reachable from the network: any machine may send datagrams "
                         "here, and UDP checks no one. Check your firewall", lab.server);
    if (lab.listen)
        scope_events_log("serving until SIGINT, SIGTERM or quit; peers silent %s are forgotten",
                         scope_time_format(idle, sizeof idle, (double)lab.idle_ms * 1e6));
    else
        scope_demo_next(d);
}

/* The lesson, in order; --lab off keeps only the first step and the last. */
static const scope_demo_lesson_t lesson[] = {
    {N_("socket() and bind(): the server's address"), step_bind},
    {N_("boundaries: three sends arrive as three datagrams"), boundaries_run},
    {N_("the largest datagram: 65,507 bytes; one more is EMSGSIZE"), maxsize_run},
    {N_("loss: a fast sender, a stalled receiver, a 4 KiB buffer"), loss_run},
    {N_("bad input: oversize, not UTF-8, empty"), badinput_run},
    {N_("the articles' echo: the clients send, the server answers"), clients_run},
    {NULL, NULL},
};
static const scope_demo_lesson_t echo_only[] = {lesson[0], lesson[5], {NULL, NULL}};

static void server_quit(scope_demo_t *d)
{
    if (lab.throughput)
        throughput_quit();
    else if (!clients_quit())
        finish(d); /* a step still at work ends on its own, and the lesson with it */
}

static int run_server(const struct sockaddr *want)
{
    uv_loop_t *loop = uv_default_loop();
    demo.on_quit = server_quit;
    demo.on_control = badinput_control; /* the dashboard's faults */
    demo.on_lesson_end = finish;
    /* socket() and bind() before hello, so that hello carries the port. */
    int r = udp_server_bind(&srv, loop, want, lab.throughput ? UV_UDP_RECVMMSG : 0);
    scope_addr_format(r < 0 ? want : (struct sockaddr *)&srv.addr, lab.server, sizeof lab.server);
    demo.params = cJSON_CreateObject();
    cJSON_AddStringToObject(demo.params, "listen", lab.server);
    if (scope_demo_start(&demo, loop, "server", 1) < 0)
        return 1;
    if (r < 0) {
        scope_events_error("bind", "bind(%s): %s%s", lab.server, uv_strerror(r),
                           r == UV_EADDRINUSE ? scope_events_tr(": another socket has this port")
                                              : "");
        udp_server_close(&srv);
        scope_demo_exit(&demo, 1);
    } else if (lab.throughput) {
        throughput_run(&demo, &srv);
    } else {
        badinput_init(&demo, &srv);
        udp_server_start(&srv, (uint64_t)lab.idle_ms);
        scope_demo_lesson(&demo, lab.lab ? lesson : echo_only);
    }
    int code = scope_demo_run(&demo);
    scope_role_kill_all(&demo); /* never leave one behind */
    scope_spawn_shutdown(loop);
    uv_loop_close(loop);
    return code;
}

int main(int argc, char **argv)
{
    demo.data = &lab;
    int r = scope_demo_parse(&demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    if (!demo.role && !!lab.listen + !!lab.connect + !!lab.throughput > 1) {
        fprintf(stderr, "udp: --listen, --connect and --throughput each run alone: give one\n");
        return 2;
    }
    /* A client or a probe sends to port 41234 unless told; a server binds any port. */
    struct sockaddr_storage a;
    const char *peer = lab.probe ? lab.to : lab.connect;
    const char *spec = peer ? peer : lab.listen ? lab.listen : "127.0.0.1";
    if (scope_addr_parse(spec, "127.0.0.1", peer ? 41234 : 0, &a) < 0) {
        fprintf(stderr, "udp: HOST:PORT wanted, not '%s'\n", spec);
        return 2;
    }
    if (lab.probe && demo.role)
        return sender_main(&demo, lab.probe, (struct sockaddr *)&a);
    if (demo.role || lab.connect)
        return client_main(&demo, (struct sockaddr *)&a, (long)lab.timeout_ms);
    return run_server((struct sockaddr *)&a);
}
