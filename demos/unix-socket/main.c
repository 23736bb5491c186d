/* main.c: unix-socket's options and the order of its steps.
 *
 * One program plays every part: the server (on a socket path, an abstract
 * name, or two FIFOs) and, started again by lib/role, each of its clients.
 *   server: the place -> bind and listen -> the clients -> close, unlink, rmdir
 *   client: connect -> ping --count times -> half-close -> its figures back
 * Real peers: unix-socket --listen /tmp/x/s.sock, then nc -U /tmp/x/s.sock
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unix-socket.h"

static const scope_demo_info_t info = {
    "unix-socket",
    "net on a socket path, with the lid off",
    "A server on a Unix socket file in a private directory, N clients pinging it, "
    "peer credentials, stale files, the abstract namespace and FIFOs.",
    "000 001 003",
    "Unix Socket | 很快 | ❌ | 中 | 同机多进程",
    "oversize silent vanish",
};

static const scope_demo_option_t options[] = {
    {"clients", "N", "clients started as child processes (default 3, at most 8)"},
    {"path", "PATH", "the socket path (default: server.sock in a private 0700 directory)"},
    {"listen", "PATH", "only the server, on PATH, until SIGINT, SIGTERM or quit"},
    {"connect", "PATH", "only a client, of the server on PATH"},
    {"abstract", NULL, "the abstract namespace: a name, no file (with --listen/--connect: NAME)"},
    {"fifo", NULL, "named pipes instead: two FIFOs, one per direction, N writers"},
    {"allow-uid", "UID[,UID]", "refuse peers whose uid (SO_PEERCRED) is not listed"},
    {"idle-ms", "MS", "cut a peer that says nothing for MS (default 60000, 0 = never)"},
    {"max-message", "BYTES", "longest line accepted (default 65536)"},
    {"throughput", "BYTES", "one client streams BYTES to the server; reports MB/s"},
    {"fault", "KIND", "one more client misbehaves: oversize, silent or vanish"},
    {NULL, NULL, NULL},
};

static scope_demo_t demo;
static us_options_t opt = {.nclients = 3, .idle_ms = 60000, .max_message = 65536};
static us_server_t srv;
static us_client_t cli;
static char rundir[PATH_MAX], shown[PATH_MAX + 2];
static uv_timer_t drain;
static int winding, finished;

/* ==== the options ========================================================= */

/* A number from lo to hi, or -EINVAL with the reason in d->error. */
static int number(scope_demo_t *d, const char *name, const char *v, unsigned long long lo,
                  unsigned long long hi, unsigned long long *out)
{
    char more;
    if (*v != '-' && sscanf(v, "%llu%c", out, &more) == 1 && *out >= lo && *out <= hi)
        return 0;
    snprintf(d->error, sizeof d->error, "--%s wants %llu to %llu", name, lo, hi);
    return -EINVAL;
}

static int on_option(scope_demo_t *d, const char *name, const char *value)
{
    unsigned long long v = 0;
    int r = 0;
    if (strcmp(name, "clients") == 0) {
        r = number(d, name, value, 1, MAX_CLIENTS, &v);
        opt.nclients = (int)v;
    } else if (strcmp(name, "idle-ms") == 0) {
        r = number(d, name, value, 0, 86400000, &v);
        opt.idle_ms = v;
    } else if (strcmp(name, "max-message") == 0) {
        r = number(d, name, value, 256, 64u * 1024 * 1024, &v);
        opt.max_message = (size_t)v;
    } else if (strcmp(name, "throughput") == 0) {
        r = number(d, name, value, 1, 1ull << 40, &v);
        opt.throughput = v;
    } else if (strcmp(name, "abstract") == 0) {
        opt.abstract = 1;
    } else if (strcmp(name, "fifo") == 0) {
        opt.fifo = 1;
    } else if (strcmp(name, "allow-uid") == 0) {
        char buf[256], *save = NULL;
        snprintf(buf, sizeof buf, "%s", value);
        for (char *t = strtok_r(buf, ",", &save); t && !r; t = strtok_r(NULL, ",", &save)) {
            r = opt.nallow == MAX_ALLOW ? -EINVAL : number(d, name, t, 0, 4294967294ull, &v);
            opt.allow[opt.nallow++] = (uid_t)v;
        }
        if (r < 0 || !opt.nallow)
            snprintf(d->error, sizeof d->error, "--allow-uid wants up to %d numeric uids "
                     "separated by commas", MAX_ALLOW);
        r = r < 0 || !opt.nallow ? -EINVAL : 0;
    } else if (strcmp(name, "fault") == 0) {
        r = strcmp(value, "oversize") && strcmp(value, "silent") && strcmp(value, "vanish")
                ? -EINVAL : 0;
        snprintf(opt.fault, sizeof opt.fault, "%s", value);
        if (r < 0)
            snprintf(d->error, sizeof d->error, "--fault wants oversize, silent or vanish");
    } else if (!*value || strlen(value) >= sizeof opt.path - 1) { /* path, listen, connect */
        snprintf(d->error, sizeof d->error, "--%s: path too long or empty", name);
        r = -EINVAL;
    } else {
        snprintf(opt.path, sizeof opt.path, "%s", value);
        opt.path_given = 1;
        opt.listen_only |= strcmp(name, "listen") == 0;
        opt.connect_only |= strcmp(name, "connect") == 0;
    }
    return r;
}

/* ==== the server ========================================================= */

static void finish(scope_demo_t *d)
{
    if (finished++)
        return;
    char text[320], median[48];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "sent", (double)srv.replies);
    cJSON_AddNumberToObject(o, "received", (double)srv.lines_in);
    clients_figures(o, median, sizeof median, d->quitting);
    cJSON_AddStringToObject(o, "mode", opt.fifo ? "fifo" : opt.abstract ? "abstract" : "path");
    cJSON_AddStringToObject(o, "address", shown);
    cJSON_AddNumberToObject(o, "accepted", (double)srv.accepted);
    cJSON_AddNumberToObject(o, "refused", (double)srv.refused);
    cJSON_AddNumberToObject(o, "bad_input", (double)srv.bad_input);
    snprintf(text, sizeof text, "%ld connections (%ld refused), %ld lines in, %ld answers out%s, "
             "%ld bad inputs survived", srv.accepted, srv.refused, srv.lines_in, srv.replies,
             median, srv.bad_input);
    if (opt.fifo)
        fifo_figures(o, text, sizeof text, median);
    throughput_figures(o, text, sizeof text, shown);
    scope_events_bye(o, text);
    if (winding)
        uv_close((uv_handle_t *)&drain, NULL);
    us_server_close(&srv);
    scope_demo_stop(d);
}

static void on_drain(uv_timer_t *t)
{
    finish(t->data);
}

static void on_peer_closed(us_server_t *s)
{
    if (winding && s->npeers == 0)
        finish(&demo);
}

/* The last step, or what a quit comes to. A client that vanished may have
 * left its last bytes in its socket when its exit is reaped: the peers end
 * by themselves, within a second. */
static void wind_down(scope_demo_t *d)
{
    if (winding++)
        return;
    uv_timer_init(d->loop, &drain);
    drain.data = d;
    if (opt.fifo)
        fifo_server_close(); /* the FIFO's EOF calls finish */
    else if (srv.npeers == 0 || d->quitting)
        finish(d);
    else
        uv_timer_start(&drain, on_drain, 1000, 0);
}

static void fail(scope_demo_t *d)
{
    scope_demo_exit(d, 1);
    finish(d);
}

static void step_place(scope_demo_t *d)
{
    if (opt.abstract) {
        if (!opt.path_given)
            snprintf(opt.path, sizeof opt.path, "ipcscope-unix-socket.%ld", (long)getpid());
        snprintf(shown, sizeof shown, "@%.4000s", opt.path[0] == '@' ? opt.path + 1 : opt.path);
        scope_demo_next(d);
        return;
    }
    if (!opt.path_given && stale_private_dir(d, rundir, sizeof rundir) == 0)
        snprintf(opt.path, sizeof opt.path, "%.4000s/server.sock", rundir);
    snprintf(shown, sizeof shown, "%.4000s", opt.path);
    if (opt.path[0] && stale_probe(opt.path) == 0)
        scope_demo_next(d);
    else
        fail(d);
}

static void step_listen(scope_demo_t *d)
{
    int fd = opt.abstract ? abstract_bind(opt.path, opt.nallow) : -1;
    if ((opt.abstract && fd < 0) || us_listen(&srv, d->loop, opt.path, fd) < 0) {
        fail(d);
        return;
    }
    if (!opt.abstract)
        stale_own(d, opt.path);
    scope_events_proc("ready", getpid(), getppid(), "server", 0, 0);
    if (!opt.listen_only)
        scope_demo_next(d);
    else
        scope_events_log("serving %s until SIGINT, SIGTERM or quit; try: nc -U %s", shown,
                         opt.abstract ? "(abstract: socat - ABSTRACT-CONNECT:NAME)" : opt.path);
}

static void step_clients(scope_demo_t *d)
{
    int n = opt.throughput ? 1 : opt.nclients;
    if (opt.fifo)
        scope_events_log("starting %d clients: each opens up.fifo O_WRONLY and writes --count "
                         "lines of %zu bytes; client 1 also reads its pongs from down.fifo", n,
                         d->size);
    else
        scope_events_log("starting %d client%s: each connect()s to %s and %s", n, n > 1 ? "s" : "",
                         shown, opt.throughput ? "streams --throughput bytes"
                                               : "pings; the server answers \"pong: <msg>\"");
    if (clients_start(d, &opt, opt.fifo ? rundir : opt.path, n, opt.fault, scope_demo_next) == 0)
        fail(d);
}

static void step_fifos(scope_demo_t *d)
{
    if (stale_private_dir(d, rundir, sizeof rundir) < 0 ||
        fifo_server_make(d, rundir, finish, clients_name_of) < 0) {
        fail(d);
        return;
    }
    snprintf(shown, sizeof shown, "%.4000s", rundir);
    scope_demo_next(d);
}

/* The writers start 200 ms later, so that the blocked open()s show. */
static void step_fifo_open(scope_demo_t *d)
{
    fifo_server_open(d, 200, step_clients);
    scope_events_proc("ready", getpid(), getppid(), "server", 0, 0);
}

static scope_demo_lesson_t lesson[] = {
    {"a private directory for the socket file; probe the path", step_place},
    {"socket(), bind(), listen(): the server", step_listen},
    {"fork the clients: connect(), accept(), SO_PEERCRED, ping/pong", step_clients},
    {"every client is done: close, unlink, rmdir", wind_down},
    {NULL, NULL},
};
static const scope_demo_lesson_t fifo_lesson[] = {
    {"a private directory and two FIFOs (mkfifo)", step_fifos},
    {"open() a FIFO blocks until its other end opens", step_fifo_open},
    {"every client is done: close, unlink, rmdir", wind_down},
    {NULL, NULL},
};

/* lib/role relays the quit to every client; the last one's exit ends the
 * lesson (on_lesson_end). */
static void server_quit(scope_demo_t *d)
{
    if (!scope_role_running(d))
        wind_down(d);
}

static void server_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    if (strcmp(cmd, "fault") != 0)
        return;
    if (strcmp(d->fault, "oversize") && strcmp(d->fault, "silent") && strcmp(d->fault, "vanish"))
        scope_events_error("fault", "unknown fault '%s' (oversize, silent or vanish)", d->fault);
    else if (!opt.fifo && !winding && !opt.listen_only && srv.listening)
        clients_add(d->fault);
}

static int run_server(void)
{
    demo.on_quit = server_quit;
    demo.on_control = server_control;
    demo.on_lesson_end = wind_down;
    demo.params = cJSON_CreateObject();
    cJSON_AddStringToObject(demo.params, "mode", opt.fifo ? "fifo" : opt.abstract ? "abstract" : "path");
    if (opt.path_given)
        cJSON_AddStringToObject(demo.params, "address", opt.path);
    cJSON_AddNumberToObject(demo.params, "clients",
                            opt.listen_only ? 0 : opt.throughput ? 1 : opt.nclients);
    cJSON_AddNumberToObject(demo.params, "idle_ms", (double)opt.idle_ms);
    cJSON_AddNumberToObject(demo.params, "max_message", (double)opt.max_message);
    if (scope_demo_start(&demo, uv_default_loop(), "server", 1) < 0)
        return 1;
    srv = (us_server_t){.max_message = opt.max_message, .idle_ms = opt.idle_ms,
                        .on_accept = credentials_accept, .on_oversize = faults_server_oversize,
                        .on_idle = faults_server_idle, .on_peer_closed = on_peer_closed,
                        .on_line = opt.throughput ? throughput_server_line : NULL};
    credentials_init(opt.allow, opt.nallow, clients_name_of);
    lesson[0].title = opt.abstract ? "an abstract name: no file at all"
                      : opt.path_given ? "probe the path: free, stale or live?" : lesson[0].title;
    scope_demo_lesson(&demo, opt.fifo ? fifo_lesson : lesson);
    int code = scope_demo_run(&demo);
    scope_role_kill_all(&demo);
    scope_spawn_shutdown(demo.loop);
    return code;
}

/* ==== a client ============================================================ */

static void client_closed(us_client_t *c)
{
    scope_demo_exit(&demo, c->code);
    scope_demo_stop(&demo);
}

/* lib/demo applied it already (the pacer holds or lets go the next ping). */
static void client_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    if (d->role)
        scope_events_log("%s, relayed by the server through lib/role", cmd);
}

static void client_quit(scope_demo_t *d)
{
    (void)d;
    us_client_end(&cli);
}

static int run_client(void)
{
    int index = 0;
    if (demo.role) {
        sscanf(demo.role, "client %d", &index);
    } else {
        demo.params = cJSON_CreateObject();
        cJSON_AddStringToObject(demo.params, "connect", opt.path);
        cJSON_AddStringToObject(demo.params, "mode", opt.abstract ? "abstract" : "path");
    }
    if (scope_demo_start(&demo, uv_default_loop(), demo.role ? demo.role : "client", !demo.role) < 0)
        return 1;
    snprintf(shown, sizeof shown, "%s%.4000s", opt.abstract && opt.path[0] != '@' ? "@" : "", opt.path);
    cli = (us_client_t){.demo = &demo, .max_message = opt.max_message, .shown = shown,
                        .on_line = credentials_client_line, .on_closed = client_closed};
    demo.on_quit = client_quit;
    demo.on_control = client_control;
    if (opt.fault[0])
        faults_client(&cli, opt.fault, &opt);
    else if (opt.throughput)
        throughput_client(&cli, opt.throughput);
    if (opt.fifo)
        fifo_client(&demo, opt.path, index);
    else if (!opt.abstract)
        us_connect(&cli, opt.path, -1);
    else if ((index = abstract_connect(opt.path)) >= 0)
        us_connect(&cli, NULL, index);
    else
        client_closed(&(us_client_t){.code = 1});
    int code = scope_demo_run(&demo);
    const scope_trace_t *t = opt.fifo ? fifo_client_trace() : &cli.trace;
    if (demo.role) { /* the server adds up its clients' figures */
        cJSON *fig = cJSON_CreateObject();
        cJSON_AddItemToObject(fig, "trace", scope_trace_figures(t));
        scope_demo_report(&demo, fig);
        return code;
    }
    scope_hist_summary_t sum;
    char text[160], p50[32];
    scope_hist_summarize(&t->latency, &sum);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "sent", (double)t->sent);
    cJSON_AddNumberToObject(o, "received", (double)sum.count);
    cJSON_AddNumberToObject(o, "p50", (double)sum.p50);
    cJSON_AddNumberToObject(o, "p99", (double)sum.p99);
    cJSON_AddBoolToObject(o, "refused", code == CLIENT_REFUSED);
    snprintf(text, sizeof text, "%llu pings, %llu pongs (median %s)", (unsigned long long)t->sent,
             (unsigned long long)sum.count, scope_time_format(p50, sizeof p50, (double)sum.p50));
    scope_events_bye(o, code == CLIENT_REFUSED ? "refused by the server" : text);
    return code;
}

int main(int argc, char **argv)
{
    demo.on_option = on_option;
    int r = scope_demo_parse(&demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    if (opt.fifo && (opt.listen_only || opt.abstract || opt.throughput) && !demo.role) {
        fprintf(stderr, "unix-socket: --fifo runs server and clients together; it takes none "
                        "of --listen, --connect, --abstract, --throughput\n");
        return 2;
    }
    if (opt.listen_only && opt.connect_only) {
        fprintf(stderr, "unix-socket: --listen or --connect, not both\n");
        return 2;
    }
    return demo.role || opt.connect_only ? run_client() : run_server();
}
