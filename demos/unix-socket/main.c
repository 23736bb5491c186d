/* main.c: unix-socket's options and the order of its steps.
 *
 * One program plays every part: the server (on a socket path, an abstract
 * name, or two FIFOs) and, started again by lib/role, each of its clients.
 *   server: the place -> bind and listen -> the clients -> close, unlink, rmdir
 *   client: connect -> ping --count times -> half-close -> its figures back
 */
#include "unix-socket.h"

#define FAULTS "oversize silent vanish"

static const scope_demo_info_t info = {
    "unix-socket", "net on a socket path, with the lid off",
    "A server on a Unix socket file in a private directory, N clients pinging it, "
    "peer credentials, stale files, the abstract namespace and FIFOs.",
    "000 001 003", "Unix Socket | 很快 | ❌ | 中 | 同机多进程", FAULTS};

static scope_demo_t demo;
static us_options_t opt = {.nclients = 3, .idle_ms = 60000, .max_message = 65536};
static us_server_t srv;
static scope_trace_t clients; /* the clients' figures, added up by clients.c */
static char path[PATH_MAX], rundir[PATH_MAX], shown[PATH_MAX + 2];
static uv_timer_t drain;
static int winding, finished;

static const scope_demo_option_t options[] = {
    {"clients", "N", "clients started as child processes (default 3, at most 8)",
     SCOPE_OPT_NUMBER, &opt.nclients, 1, MAX_CLIENTS},
    {"path", "PATH", "the socket path (default: server.sock in a private 0700 directory)",
     SCOPE_OPT_TEXT, &opt.path},
    {"listen", "PATH", "only the server, on PATH, until SIGINT, SIGTERM or quit", SCOPE_OPT_TEXT,
     &opt.listen},
    {"connect", "PATH", "only a client, of the server on PATH", SCOPE_OPT_TEXT, &opt.connect},
    {"abstract", NULL, "the abstract namespace: a name, no file (with --listen/--connect: NAME)",
     SCOPE_OPT_FLAG, &opt.abstract},
    {"fifo", NULL, "named pipes instead: two FIFOs, one per direction, N writers", SCOPE_OPT_FLAG,
     &opt.fifo},
    {"allow-uid", "UID[,UID]", "refuse peers whose uid (SO_PEERCRED) is not listed",
     SCOPE_OPT_LIST, &opt.allow, 0, 4294967294LL},
    {"idle-ms", "MS", "cut a peer that says nothing for MS (default 60000, 0 = never)",
     SCOPE_OPT_NUMBER, &opt.idle_ms, 0, 86400000},
    {"max-message", "BYTES", "longest line accepted (default 65536)", SCOPE_OPT_NUMBER,
     &opt.max_message, 256, 64 << 20},
    {"throughput", "BYTES", "one client streams BYTES to the server; reports MB/s",
     SCOPE_OPT_NUMBER, &opt.throughput, 1, 1LL << 40},
    {"fault", "KIND", "one more client misbehaves: oversize, silent or vanish", SCOPE_OPT_WORD,
     &opt.fault, 0, 0, FAULTS},
    {NULL},
};

/* The bye: the files' figures, the server's counts, the clients' round trips. */
static void finish(scope_demo_t *d)
{
    char text[320], rtt[96];
    if (finished++)
        return;
    cJSON *o = cJSON_CreateObject();
    scope_trace_add_summary(&clients, o);
    cJSON_ReplaceItemInObject(o, "sent", cJSON_CreateNumber((double)srv.replies));
    cJSON_ReplaceItemInObject(o, "received", cJSON_CreateNumber((double)srv.lines_in));
    cJSON_AddStringToObject(o, "mode", opt.fifo ? "fifo" : opt.abstract ? "abstract" : "path");
    cJSON_AddStringToObject(o, "address", opt.fifo ? rundir : shown);
    cJSON_AddNumberToObject(o, "accepted", (double)srv.accepted);
    cJSON_AddNumberToObject(o, "refused", (double)srv.refused);
    cJSON_AddNumberToObject(o, "bad_input", (double)srv.bad_input);
    char conns[48], lines[48];
    scope_trace_describe(&clients, rtt, sizeof rtt);
    if (opt.fifo)
        snprintf(text, sizeof text, scope_events_tr("many writers, one FIFO; client 1's pongs: %s"),
                 rtt);
    else
        snprintf(
            text, sizeof text,
            scope_events_tr("%s (%ld refused), %s in, %ld answers out, %ld bad inputs "
                            "survived; %s"),
            scope_demo_count_of(conns, sizeof conns, srv.accepted, "connection", "connections"),
            srv.refused, scope_demo_count_of(lines, sizeof lines, srv.lines_in, "line", "lines"),
            srv.replies, srv.bad_input, rtt);
    scope_demo_bye(d, o, text);
    if (winding)
        uv_close((uv_handle_t *)&drain, NULL);
    us_server_close(&srv);
    scope_demo_stop(d);
}

/* A step that could not be done (it told why) ends the run with exit code 1. */
static int failed(scope_demo_t *d, int bad)
{
    if (bad) {
        scope_demo_exit(d, 1);
        finish(d);
    }
    return bad;
}

static void on_drain(uv_timer_t *t)
{
    finish(t->data);
}

static void on_peer_closed(us_server_t *s)
{
    if (winding && s->npeers == 0)
        finish(s->demo);
}

/* The last step, or what a quit comes to: the peers end by themselves, within
 * a second (a client that vanished may have left bytes in its socket). */
static void wind_down(scope_demo_t *d)
{
    if (winding++)
        return;
    uv_timer_init(d->loop, &drain);
    drain.data = d;
    if (opt.fifo && rundir[0])
        fifo_server_close(); /* the FIFO's EOF calls finish */
    else if (srv.npeers == 0 || d->quitting)
        finish(d);
    else
        uv_timer_start(&drain, on_drain, 1000, 0);
}

static void step_place(scope_demo_t *d)
{
    const char *given = opt.listen ? opt.listen : opt.path;
    if (given)
        snprintf(path, sizeof path, "%s", given);
    else if (opt.abstract)
        snprintf(path, sizeof path, "ipcscope-unix-socket.%ld", (long)getpid());
    if (failed(d, !opt.abstract && stale_place(d, path, sizeof path, rundir, sizeof rundir) < 0))
        return;
    snprintf(shown, sizeof shown, "%s%.4000s", opt.abstract ? "@" : "",
             path + (opt.abstract && path[0] == '@'));
    scope_demo_next(d);
}

static void step_listen(scope_demo_t *d)
{
    int fd = opt.abstract ? stale_bind_abstract(path, opt.allow != NULL) : -1;
    if (failed(d, (opt.abstract && fd < 0) || us_listen(&srv, d->loop, path, fd) < 0))
        return;
    if (!opt.abstract)
        stale_own(d, path);
    scope_events_proc("ready", getpid(), getppid(), "server", 0, 0);
    if (!opt.listen)
        scope_demo_next(d);
    else
        scope_events_log("serving %s until SIGINT, SIGTERM or quit; try: nc -U %s", shown,
                         opt.abstract ? scope_events_tr("(abstract: socat - ABSTRACT-CONNECT:NAME)")
                                      : path);
}

static void step_clients(scope_demo_t *d)
{
    failed(d, clients_start(d, &opt, opt.fifo ? rundir : shown, &clients, scope_demo_next) == 0);
}

static void step_fifos(scope_demo_t *d)
{
    if (!failed(d, fifo_server_make(d, rundir, sizeof rundir, finish, clients_name_of,
                                    step_clients) < 0))
        scope_demo_next(d);
}

static scope_demo_lesson_t lesson[] = {
    {N_("a private directory for the socket file; probe the path"), step_place},
    {N_("socket(), bind(), listen(): the server"), step_listen},
    {N_("fork the clients: connect(), accept(), SO_PEERCRED, ping/pong"), step_clients},
    {N_("every client is done: close, unlink, rmdir"), wind_down},
    {NULL, NULL},
};
static const scope_demo_lesson_t fifo_lesson[] = {
    {N_("a private directory and two FIFOs (mkfifo)"), step_fifos},
    {N_("open() a FIFO blocks until its other end opens"), fifo_server_open},
    {N_("every client is done: close, unlink, rmdir"), wind_down},
    {NULL, NULL},
};

/* lib/role relays quit to the clients; the last one's exit ends the lesson. */
static void server_quit(scope_demo_t *d)
{
    if (!scope_role_running(d))
        wind_down(d);
}

/* lib/demo has checked the kind against FAULTS. */
static void server_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    if (!strcmp(cmd, "fault") && !opt.fifo && !winding && !opt.listen && srv.listening)
        clients_add(d->fault);
}

static const char *on_accept(us_peer_t *p)
{
    return credentials_accept(p, clients_name_of(p->pid), &opt);
}

static int run_server(void)
{
    demo.on_quit = server_quit;
    demo.on_control = server_control;
    demo.on_lesson_end = wind_down;
    if (scope_demo_start(&demo, uv_default_loop(), "server", 1) < 0)
        return 1;
    srv = (us_server_t){.demo = &demo, .max_message = opt.max_message, .idle_ms = opt.idle_ms,
                        .on_accept = on_accept, .on_oversize = faults_server_oversize,
                        .on_idle = faults_server_idle, .on_peer_closed = on_peer_closed,
                        .on_line = opt.throughput ? throughput_server_line : NULL};
    if (opt.abstract || opt.listen || opt.path)
        lesson[0].title = opt.abstract ? N_("an abstract name: no file at all")
                                       : N_("probe the path: free, stale or live?");
    scope_demo_lesson(&demo, opt.fifo ? fifo_lesson : lesson);
    int code = scope_demo_run(&demo);
    scope_role_kill_all(&demo);
    scope_spawn_shutdown(demo.loop);
    return code;
}

int main(int argc, char **argv)
{
    int r = scope_demo_parse(&demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    if ((opt.fifo && (opt.listen || opt.abstract || opt.throughput) && !demo.role) ||
        (opt.listen && opt.connect)) {
        fprintf(stderr, "unix-socket: --listen or --connect, not both; --fifo runs server and "
                        "clients together, with none of --listen, --abstract, --throughput\n");
        return 2;
    }
    return demo.role || opt.connect ? clients_run(&demo, &opt) : run_server();
}
