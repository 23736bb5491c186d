/* main.c: unix-socket's options and the order of its steps.
 *
 * One program plays every part: the server (on a socket path, an abstract
 * name, or two FIFOs) and, started again by lib/role, each of its clients.
 *   server: the place -> bind and listen -> the clients -> close, unlink, rmdir
 *   client: connect -> ping --count times -> half-close -> its figures back
 * Real peers: unix-socket --listen /tmp/x/s.sock, then nc -U /tmp/x/s.sock
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unix-socket.h"

#define FAULTS "oversize silent vanish"

static const scope_demo_info_t info = {
    "unix-socket",
    "net on a socket path, with the lid off",
    "A server on a Unix socket file in a private directory, N clients pinging it, "
    "peer credentials, stale files, the abstract namespace and FIFOs.",
    "000 001 003",
    "Unix Socket | 很快 | ❌ | 中 | 同机多进程",
    FAULTS,
};

static scope_demo_t demo;
static us_options_t opt = {.nclients = 3, .idle_ms = 60000, .max_message = 65536};
static us_server_t srv;
static char rundir[PATH_MAX], shown[PATH_MAX + 2];
static uv_timer_t drain;
static int winding, finished;

/* Each option of the demo's and where its value goes: a number in [lo, hi] (a
 * list of up to max when n counts them), a string (a word of one_of), a flag. */
typedef struct {
    scope_demo_option_t o;
    unsigned long long *num, lo, hi;
    int max, *n, *flag;
    char *str;
    size_t size;
    const char *one_of;
} option_t;

static const option_t table[] = {
    {{"clients", "N", "clients started as child processes (default 3, at most 8)"},
     .num = &opt.nclients, .lo = 1, .hi = MAX_CLIENTS},
    {{"path", "PATH", "the socket path (default: server.sock in a private 0700 directory)"},
     .str = opt.path, .size = sizeof opt.path, .flag = &opt.path_given},
    {{"listen", "PATH", "only the server, on PATH, until SIGINT, SIGTERM or quit"},
     .str = opt.path, .size = sizeof opt.path, .flag = &opt.listen_only},
    {{"connect", "PATH", "only a client, of the server on PATH"},
     .str = opt.path, .size = sizeof opt.path, .flag = &opt.connect_only},
    {{"abstract", NULL, "the abstract namespace: a name, no file (with --listen/--connect: NAME)"},
     .flag = &opt.abstract},
    {{"fifo", NULL, "named pipes instead: two FIFOs, one per direction, N writers"},
     .flag = &opt.fifo},
    {{"allow-uid", "UID[,UID]", "refuse peers whose uid (SO_PEERCRED) is not listed"},
     .num = opt.allow, .hi = 4294967294ull, .max = MAX_ALLOW, .n = &opt.nallow},
    {{"idle-ms", "MS", "cut a peer that says nothing for MS (default 60000, 0 = never)"},
     .num = &opt.idle_ms, .hi = 86400000},
    {{"max-message", "BYTES", "longest line accepted (default 65536)"},
     .num = &opt.max_message, .lo = 256, .hi = 64u * 1024 * 1024},
    {{"throughput", "BYTES", "one client streams BYTES to the server; reports MB/s"},
     .num = &opt.throughput, .lo = 1, .hi = 1ull << 40},
    {{"fault", "KIND", "one more client misbehaves: oversize, silent or vanish"},
     .str = opt.fault, .size = sizeof opt.fault, .one_of = FAULTS},
};
static scope_demo_option_t options[sizeof table / sizeof table[0] + 1]; /* for lib/demo */

/* Is word one of list's words (separated by spaces)? */
static int one_of(const char *word, const char *list)
{
    char w[40], l[64];
    snprintf(w, sizeof w, " %s ", word);
    snprintf(l, sizeof l, " %s ", list);
    return strstr(l, w) != NULL;
}

static int on_option(scope_demo_t *d, const char *name, const char *value)
{
    const option_t *e = table;
    while (strcmp(e->o.name, name) != 0)
        e++;
    int k = 0;
    for (const char *v = value; e->num; v++) { /* each number of the list */
        char *end;
        errno = 0;
        unsigned long long x = strtoull(v, &end, 10);
        if (!isdigit((unsigned char)*v) || errno || x < e->lo || x > e->hi ||
            k == (e->n ? e->max : 1) || (*end && *end != ',')) {
            snprintf(d->error, sizeof d->error, "--%s wants %llu to %llu%s", name, e->lo, e->hi,
                     e->n ? ", up to 16 of them separated by commas" : "");
            return -EINVAL;
        }
        e->num[k++] = x;
        if (!*(v = end))
            break;
    }
    size_t len = e->str ? strlen(value) : 0;
    if (e->str && (!len || len >= e->size - 1 || (e->one_of && !one_of(value, e->one_of)))) {
        snprintf(d->error, sizeof d->error, "--%s wants %s", name, e->one_of ? e->one_of
                                                                 : "a path, not too long");
        return -EINVAL;
    }
    if (e->str)
        memcpy(e->str, value, len + 1);
    opt.path_given |= e->str == opt.path;
    if (e->n)
        *e->n = k;
    if (e->flag)
        *e->flag = 1;
    return 0;
}

/* ==== the server ========================================================= */

/* The bye: the files' figures, the server's counts, the clients' round trips. */
static void finish(scope_demo_t *d)
{
    if (finished++)
        return;
    char text[320], rtt[96];
    cJSON *o = cJSON_CreateObject();
    scope_trace_add_summary(clients_trace(), o);
    cJSON_ReplaceItemInObject(o, "sent", cJSON_CreateNumber((double)srv.replies));
    cJSON_ReplaceItemInObject(o, "received", cJSON_CreateNumber((double)srv.lines_in));
    cJSON_AddStringToObject(o, "mode", opt.fifo ? "fifo" : opt.abstract ? "abstract" : "path");
    cJSON_AddStringToObject(o, "address", opt.fifo ? rundir : shown);
    cJSON_AddNumberToObject(o, "accepted", (double)srv.accepted);
    cJSON_AddNumberToObject(o, "refused", (double)srv.refused);
    cJSON_AddNumberToObject(o, "bad_input", (double)srv.bad_input);
    scope_trace_describe(clients_trace(), rtt, sizeof rtt);
    if (opt.fifo)
        snprintf(text, sizeof text, "many writers, one FIFO; client 1's pongs: %s", rtt);
    else
        snprintf(text, sizeof text, "%ld connections (%ld refused), %ld lines in, %ld answers out, "
                 "%ld bad inputs survived; %s", srv.accepted, srv.refused, srv.lines_in,
                 srv.replies, srv.bad_input, rtt);
    scope_demo_bye(d, o, text);
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
    if (opt.abstract && !opt.path_given)
        snprintf(opt.path, sizeof opt.path, "ipcscope-unix-socket.%ld", (long)getpid());
    if (!opt.abstract && stale_place(d, opt.path, sizeof opt.path, rundir, sizeof rundir) < 0) {
        fail(d);
        return;
    }
    snprintf(shown, sizeof shown, "%s%.4000s", opt.abstract ? "@" : "",
             opt.path + (opt.abstract && opt.path[0] == '@'));
    scope_demo_next(d);
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
    int n = opt.throughput ? 1 : (int)opt.nclients;
    if (!opt.fifo)
        scope_events_log("starting %d client%s: each connect()s to %s and %s", n, n > 1 ? "s" : "",
                         shown, opt.throughput ? "streams --throughput bytes"
                                               : "pings; the server answers \"pong: <msg>\"");
    if (clients_start(d, &opt, opt.fifo ? rundir : opt.path, n, opt.fault, scope_demo_next) == 0)
        fail(d);
}

static void step_fifos(scope_demo_t *d)
{
    if (fifo_server_make(d, rundir, sizeof rundir, finish, clients_name_of, step_clients) < 0)
        fail(d);
    else
        scope_demo_next(d);
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
    {"open() a FIFO blocks until its other end opens", fifo_server_open},
    {"every client is done: close, unlink, rmdir", wind_down},
    {NULL, NULL},
};

/* lib/role relays quit to the clients; the last one's exit ends the lesson. */
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
    if (!one_of(d->fault, FAULTS))
        scope_events_error("fault", "unknown fault '%s' (oversize, silent or vanish)", d->fault);
    else if (!opt.fifo && !winding && !opt.listen_only && srv.listening)
        clients_add(d->fault);
}

static int run_server(void)
{
    demo.on_quit = server_quit;
    demo.on_control = server_control;
    demo.on_lesson_end = wind_down;
    if (scope_demo_start(&demo, uv_default_loop(), "server", 1) < 0)
        return 1;
    srv = (us_server_t){.demo = &demo, .max_message = opt.max_message, .idle_ms = opt.idle_ms,
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

int main(int argc, char **argv)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        options[i] = table[i].o;
    demo.on_option = on_option;
    int r = scope_demo_parse(&demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    if ((opt.fifo && (opt.listen_only || opt.abstract || opt.throughput) && !demo.role) ||
        (opt.listen_only && opt.connect_only)) {
        fprintf(stderr, "unix-socket: --listen or --connect, not both; --fifo runs server and "
                        "clients together, with none of --listen, --abstract, --throughput\n");
        return 2;
    }
    return demo.role || opt.connect_only ? clients_run(&demo, &opt) : run_server();
}
