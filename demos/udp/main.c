/* udp: dgram with the lid off.
 *
 * The articles' UDP echo pair (udp.c) run by one server and N clients, and
 * before it what makes UDP UDP, one step each: boundaries kept, the largest
 * datagram, loss, bad input. The clients and the lesson's sender ("probe")
 * are this program again (lib/role), so the dashboard shows a lane for each.
 *
 * Alone: --listen HOST:PORT runs only the server, --connect HOST:PORT only a
 * client, so two machines can talk. Any UDP peer will do:
 *
 *     build/demos/udp --listen 127.0.0.1:41234 &
 *     echo hi | nc -u -w1 127.0.0.1 41234
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "udp.h"

static const scope_demo_info_t info = {
    "udp",
    "dgram with the lid off: datagrams keep their boundaries, and may be lost",
    "The articles' UDP echo pair on uv_udp: N clients time round trips; boundaries, the "
    "65,507-byte limit and loss shown live.",
    "001 002",
    "TCP/UDP | ★★★☆☆ | 都支持 | 中",
    "oversize malformed empty",
};

static const scope_demo_option_t options[] = {
    {"clients", "N", "clients the default run starts (default 3, at most 32)"},
    {"listen", "HOST:PORT", "run only the server, on this address (default 127.0.0.1, any port)"},
    {"connect", "HOST:PORT", "run only a client of the server at this address"},
    {"max-message", "BYTES", "longest datagram the server echoes (default 8192, at most 65469)"},
    {"timeout", "MS", "how long a client waits for each answer before counting it lost "
                      "(default 1000)"},
    {"idle-ms", "MS", "the server forgets a peer silent this long (default 30000)"},
    {"throughput", "BYTES", "one client streams BYTES in --size datagrams as fast as it can"},
    {"lab", "on|off", "the boundary, size, loss and bad-input steps before the echo (default on)"},
    {"probe", "KIND", "(internal) the lesson's sender: what to send"},
    {"to", "HOST:PORT", "(internal) where the probe sends"},
    {"start-paused", NULL, "(internal) start paused"},
    {NULL, NULL, NULL},
};

static struct {
    int lab, start_paused;
    long long clients, timeout_ms, idle_ms, max_message, throughput;
    const char *listen, *connect, *probe, *to;
} opt = {1, 0, 3, 1000, 30000, 8192, 0, NULL, NULL, NULL, NULL};

static int on_option(scope_demo_t *d, const char *name, const char *value)
{
    /* The answer adds the greeting to the message and must fit one datagram. */
    const struct { const char *name; long long *v, lo, hi; } nums[] = {
        {"clients", &opt.clients, 1, MAX_CLIENTS},
        {"max-message", &opt.max_message, 1, UDP4_MAX - (long)GREETING_LEN},
        {"timeout", &opt.timeout_ms, 1, 600000},
        {"idle-ms", &opt.idle_ms, 1, 86400000},
        {"throughput", &opt.throughput, 1, 1ll << 40},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        char *end;
        if (strcmp(name, nums[i].name))
            continue;
        errno = 0;
        *nums[i].v = strtoll(value, &end, 10);
        if (errno || end == value || *end || *nums[i].v < nums[i].lo || *nums[i].v > nums[i].hi)
            return snprintf(d->error, sizeof d->error, "--%s wants %lld to %lld", name,
                            nums[i].lo, nums[i].hi), -EINVAL;
        return 0;
    }
    if (!strcmp(name, "lab") && strcmp(value, "on") && strcmp(value, "off"))
        return snprintf(d->error, sizeof d->error, "--lab wants on or off"), -EINVAL;
    if (!strcmp(name, "lab"))
        opt.lab = !strcmp(value, "on");
    else if (!strcmp(name, "start-paused"))
        opt.start_paused = 1;
    else if (!strcmp(name, "listen"))
        opt.listen = value;
    else if (!strcmp(name, "connect"))
        opt.connect = value;
    else if (!strcmp(name, "probe"))
        opt.probe = value;
    else if (!strcmp(name, "to"))
        opt.to = value;
    return 0;
}

/* ==== the server process ================================================ */

static scope_demo_t demo;
static udp_server_t srv;
static udp_lab_t lab;
static int finished; /* the bye is out */

static void finish(scope_demo_t *d)
{
    if (finished++)
        return;
    cJSON *o = cJSON_CreateObject();
    char text[400], head[300];
    cJSON_AddStringToObject(o, "address", srv.name);
    if (opt.listen) {
        cJSON_AddNumberToObject(o, "received", (double)srv.received);
        cJSON_AddNumberToObject(o, "sent", (double)srv.answered);
        badinput_figures(o);
        snprintf(text, sizeof text, "the server received %llu datagrams, answered %llu and "
                 "refused %d", (unsigned long long)srv.received, (unsigned long long)srv.answered,
                 cJSON_GetObjectItem(o, "refused")->valueint);
    } else {
        int cut = clients_figures(o, head, sizeof head) || d->quitting;
        cJSON_AddNumberToObject(o, "server_received", (double)srv.received);
        cJSON_AddNumberToObject(o, "server_answered", (double)srv.answered);
        if (opt.lab) {
            boundaries_figures(o);
            maxsize_figures(o);
            loss_figures(o);
        }
        badinput_figures(o);
        cJSON_AddBoolToObject(o, "complete", !cut);
        snprintf(text, sizeof text, "%s; the server refused %d bad datagrams%s", head,
                 cJSON_GetObjectItem(o, "refused")->valueint, cut ? "; the run was cut short" : "");
    }
    scope_events_bye(o, text);
    udp_server_close(&srv);
    scope_demo_stop(d);
}

/* socket() and bind() happened before hello, so that hello could carry the
 * port; this step tells it. */
static void step_bind(scope_demo_t *d)
{
    const struct sockaddr *a = (const struct sockaddr *)&srv.addr;
    scope_events_log("socket(%s, SOCK_DGRAM) -> fd %d; bind(%s). No listen(), no accept(): "
                     "datagrams from anyone arrive on this one fd, each with its sender's address",
                     a->sa_family == AF_INET6 ? "AF_INET6" : "AF_INET", srv.fd, srv.name);
    if (scope_addr_is_loopback(a))
        scope_events_log("%s is loopback: only this machine can reach it. Try a real peer: "
                         "nc -u %s %d", srv.name, a->sa_family == AF_INET6 ? "::1" : "127.0.0.1",
                         scope_addr_port(a));
    else
        scope_events_log("%s is reachable from the network: any machine that can route to it may "
                         "send datagrams here, and UDP checks no one. Check your firewall",
                         srv.name);
    char idle[32];
    if (!opt.listen)
        scope_demo_next(d);
    else
        scope_events_log("serving until SIGINT, SIGTERM or quit; peers silent for %s are "
                         "forgotten", scope_time_format(idle, sizeof idle, (double)opt.idle_ms * 1e6));
}

/* The lesson, in order; --lab off keeps only the first step and the last. */
static const scope_demo_lesson_t lesson[] = {
    {"socket() and bind(): the server's address", step_bind},
    {"boundaries: three sends arrive as three datagrams", boundaries_run},
    {"the largest datagram: 65,507 bytes; one more is EMSGSIZE", maxsize_run},
    {"loss: a fast sender, a stalled receiver, a 4 KiB buffer", loss_run},
    {"bad input: oversize, not UTF-8, empty", badinput_run},
    {"the articles' echo: the clients send, the server answers", clients_run},
    {NULL, NULL},
};
static const scope_demo_lesson_t echo_only[] = {lesson[0], lesson[5], {NULL, NULL}};

static void server_quit(scope_demo_t *d)
{
    if (opt.throughput)
        throughput_quit();
    else if (!clients_quit())
        finish(d); /* a step still at work ends on its own, and the lesson with it */
}

/* The dashboard's faults: a probe sends the echo server a bad datagram. */
static void server_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    if (!strcmp(cmd, "fault") && badinput_fault(d, d->fault) < 0)
        scope_events_error("fault", "unknown fault '%s' (oversize, malformed or empty)",
                           d->fault);
}

static int run_server(void)
{
    struct sockaddr_storage want;
    const char *spec = opt.listen ? opt.listen : "127.0.0.1";
    if (scope_addr_parse(spec, "127.0.0.1", 0, &want) < 0) {
        fprintf(stderr, "udp: --listen wants HOST:PORT, not '%s'\n", spec);
        return 2;
    }
    demo.on_quit = server_quit;
    demo.on_control = server_control;
    demo.on_lesson_end = finish;
    /* socket() and bind() before hello, so that hello carries the port. */
    uv_loop_t *loop = uv_default_loop();
    int r = udp_server_bind(&srv, loop, (struct sockaddr *)&want,
                            opt.throughput ? UV_UDP_RECVMMSG : 0);
    if (r < 0)
        scope_addr_format((struct sockaddr *)&want, srv.name, sizeof srv.name);
    lab.server = srv.name;
    demo.params = cJSON_CreateObject();
    cJSON_AddStringToObject(demo.params, "mode", opt.listen       ? "server"
                                                 : opt.throughput ? "throughput"
                                                                  : "lesson");
    cJSON_AddStringToObject(demo.params, "listen", srv.name);
    if (!opt.listen)
        cJSON_AddNumberToObject(demo.params, "clients", opt.throughput ? 1 : (double)opt.clients);
    cJSON_AddNumberToObject(demo.params, "max_message", (double)opt.max_message);
    cJSON_AddNumberToObject(demo.params, "timeout_ms", (double)opt.timeout_ms);
    if (opt.throughput)
        cJSON_AddNumberToObject(demo.params, "throughput", (double)opt.throughput);
    if (scope_demo_start(&demo, loop, "server", 1) < 0)
        return 1;
    if (r < 0) {
        scope_events_error("bind", "bind(%s): %s%s", srv.name, uv_strerror(r),
                           r == UV_EADDRINUSE ? ": another socket has this port" : "");
        udp_server_close(&srv);
        scope_demo_exit(&demo, 1);
    } else if (opt.throughput) {
        throughput_run(&demo, &srv, (uint64_t)opt.throughput);
    } else {
        badinput_init(&lab);
        srv.refuse = badinput_refuse;
        udp_server_start(&srv, (uint64_t)opt.idle_ms);
        scope_demo_lesson(&demo, opt.lab ? lesson : echo_only);
    }
    int code = scope_demo_run(&demo);
    scope_role_kill_all(&demo); /* never leave one behind */
    scope_spawn_shutdown(loop);
    uv_loop_close(loop);
    return code;
}

int main(int argc, char **argv)
{
    demo.on_option = on_option;
    int r = scope_demo_parse(&demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    if (opt.listen && opt.connect && !demo.role) {
        fprintf(stderr, "udp: --listen runs only the server and --connect only a client: "
                        "give one\n");
        return 2;
    }
    if (opt.throughput && !demo.role && (opt.listen || opt.connect)) {
        fprintf(stderr, "udp: --throughput runs its own server and client: drop --listen and "
                        "--connect\n");
        return 2;
    }
    demo.paused = opt.start_paused;
    struct sockaddr_storage to;
    const char *peer = opt.probe ? opt.to : opt.connect;
    if (peer && scope_addr_parse(peer, "127.0.0.1", 41234, &to) < 0) {
        fprintf(stderr, "udp: HOST:PORT wanted, not '%s'\n", peer);
        return 2;
    }
    lab = (udp_lab_t){NULL, (int)opt.clients, (long)opt.timeout_ms, (size_t)opt.max_message,
                      (uint64_t)opt.throughput};
    demo.data = &lab;
    if (opt.probe && demo.role)
        return probe_main(&demo, opt.probe, (struct sockaddr *)&to);
    if (demo.role || opt.connect)
        return client_main(&demo, (struct sockaddr *)&to, (long)opt.timeout_ms);
    return run_server();
}
