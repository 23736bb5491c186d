/* tcp: net.createServer() and net.connect() with the lid off. The server is
 * the first process; every client is this program again (lib/role). The
 * lesson's steps are the table `lesson` below. --listen runs only the
 * server, --connect only one client, for two machines.
 */
#include <errno.h>

#include "tcp.h"

#define MAX_CLIENTS 8
#define MAX_BAD     4
#define FAULTS      "oversize silent vanish"

static const scope_demo_info_t info = {
    "tcp",
    "net over TCP with the lid off: the chat server, a byte stream, Nagle",
    "A chat server echoes and broadcasts lines to N clients; then what a byte stream "
    "does to message boundaries, and what Nagle's algorithm costs.",
    "000 001 002",
    "TCP/HTTP | 中 | ✅ | 中 | 微服务",
    FAULTS,
};

static struct {
    long long clients, max_message, idle_ms, throughput, max_clients;
    int nodelay, lab, split;
    const char *listen, *connect, *fault;
    struct sockaddr_storage at, to; /* --listen's address, --connect's */
} opt = {.clients = 3, .lab = 1, .max_message = 65536, .idle_ms = 30000, .max_clients = 1000};

static const scope_demo_option_t options[] = {
    {"clients", "N", "client processes in a default run (default 3)", SCOPE_OPT_NUMBER,
     &opt.clients, 0, MAX_CLIENTS},
    {"listen", "HOST:PORT", "run only the server, on this address (default 127.0.0.1:0)"},
    {"connect", "HOST:PORT", "run only one client, against this server"},
    {"nodelay", "on|off", "TCP_NODELAY on every socket (default off, as libuv and node's net)",
     SCOPE_OPT_ONOFF, &opt.nodelay},
    {"split-writes", NULL, "clients write each line in two write()s (the write-write-read "
     "pattern)", SCOPE_OPT_FLAG, &opt.split},
    {"max-message", "BYTES", "longest line the server takes (default 65536)", SCOPE_OPT_NUMBER,
     &opt.max_message, 64, 16 << 20},
    {"max-clients", "N", "clients at once; the next is told the server is full (default 1000)",
     SCOPE_OPT_NUMBER, &opt.max_clients, 1, 1000000},
    {"idle-ms", "MS", "close a peer that ends no line this long (default 30000, 0 = never)",
     SCOPE_OPT_NUMBER, &opt.idle_ms, 0, 86400000},
    {"throughput", "BYTES", "one client streams BYTES to the server; the summary gives MB/s",
     SCOPE_OPT_NUMBER, &opt.throughput, 1, 1ll << 40},
    {"lab", "on|off", "after the chat, the byte-stream and Nagle steps (default on)",
     SCOPE_OPT_ONOFF, &opt.lab},
    {"fault", "KIND", "one more client misbehaves", SCOPE_OPT_WORD, &opt.fault, 0, 0, FAULTS},
    {NULL, NULL, NULL},
};

/* --listen and --connect: an address to parse. */
static int on_option(scope_demo_t *d, const char *name, const char *v)
{
    struct sockaddr_storage *a = !strcmp(name, "listen") ? &opt.at : &opt.to;
    if (scope_addr_parse(v, "127.0.0.1", 0, a) < 0
        || (a == &opt.to && scope_addr_port((struct sockaddr *)a) == 0)) {
        snprintf(d->error, sizeof d->error, "--%s wants HOST:PORT%s, not '%s'", name,
                 a == &opt.to ? " with a port" : "", v);
        return -EINVAL;
    }
    *(a == &opt.at ? &opt.listen : &opt.connect) = v;
    return 0;
}

static scope_demo_t demo;
static chat_server_t server;
static char addr_str[SCOPE_ADDR_STRLEN];
static scope_role_t roles[MAX_CLIENTS + MAX_BAD];
static int nroles, nbad, chatting; /* 1 while the chat runs, 2 once it is over */
static scope_trace_t clients; /* the clients' figures, added up */
static chat_figures_t fig; /* the chat's, kept when it ends: the lab's Nagle step chats too */

/* The lesson is over (or quit): the bye, after the figures the steps gave. */
static void finish(scope_demo_t *d)
{
    stream_stop(); /* quit: the lab's listeners, and what they accepted */
    tput_stop();
    chat_figures_t f = chatting == 2 ? fig : server.fig;
    char text[300], rt[100];
    cJSON *b = cJSON_CreateObject();
    if (nbad)
        cJSON_AddNumberToObject(b, "bad_clients", nbad);
    chat_close(&server);
    if (clients.latency.count) { /* none measured (--listen): no "median 0" */
        scope_trace_add_summary(&clients, b);
        cJSON_DeleteItemFromObject(b, "sent"); /* the clients' lines: the server's are below */
        cJSON_DeleteItemFromObject(b, "received");
    }
    cJSON_AddNumberToObject(b, "accepted", (double)f.accepted);
    cJSON_AddNumberToObject(b, "received", (double)f.lines_in);
    cJSON_AddNumberToObject(b, "sent", (double)(f.lines_in + f.broadcasts));
    cJSON_AddNumberToObject(b, "echoes", (double)f.lines_in);
    cJSON_AddNumberToObject(b, "broadcasts", (double)f.broadcasts);
    if (opt.throughput)
        snprintf(text, sizeof text, "%lld bytes streamed to a sink", opt.throughput);
    else
        snprintf(text, sizeof text, "%llu lines in, as many echoes, %llu broadcasts; %s",
                 (unsigned long long)f.lines_in, (unsigned long long)f.broadcasts,
                 scope_trace_describe(&clients, rt, sizeof rt));
    scope_demo_bye(d, b, text);
    scope_demo_stop(d);
}

static void on_report(scope_role_t *r, const cJSON *fig)
{
    if (scope_trace_add_figures(&clients, cJSON_GetObjectItemCaseSensitive(fig, "trace")) < 0)
        scope_events_error("report", "bad figures from %s", r->name);
}

/* The chat is over when its last client is: the lesson goes on. */
static void on_role_exit(scope_role_t *r, int code, int sig)
{
    if ((code || sig) && !demo.quitting && !r->data) /* a bad client may die: that is its job */
        scope_demo_exit(&demo, 1);
    if (chatting == 1 && !scope_role_running(&demo)) {
        chatting = 2;
        fig = server.fig;
        scope_demo_next(&demo);
    }
}

/* A client of the chat, or with kind a bad one (fault.c). */
static void start_client(const char *kind)
{
    char name[48], maxm[24];
    snprintf(maxm, sizeof maxm, "%lld", opt.max_message);
    const char *args[] = {"--connect", addr_str, "--nodelay", opt.nodelay ? "on" : "off",
                          "--max-message", maxm,
                          kind ? "--fault" : opt.split ? "--split-writes" : NULL, kind, NULL};
    scope_role_t *r = &roles[nroles];
    snprintf(name, sizeof name, kind ? "bad client %d (%s)" : "client %d", nroles + 1, kind);
    if ((kind && nbad == MAX_BAD) || nroles == MAX_CLIENTS + MAX_BAD) {
        scope_events_error("fault", "no more bad clients in this run");
        return;
    }
    r->data = (void *)kind;
    r->on_report = kind ? NULL : on_report; /* a bad client's lines are not the chat's */
    r->on_exit = on_role_exit;
    if (scope_role_spawn(&demo, r, name, &(scope_role_options_t){.argv = args}) < 0)
        scope_demo_exit(&demo, 1);
    nroles++;
    nbad += kind != NULL;
}

static void step_clients(scope_demo_t *d)
{
    chatting = 1;
    for (int k = 0; k < (int)opt.clients; k++)
        start_client(NULL);
    char lines[48];
    scope_events_log("%d clients, %s each, %zu bytes a line; the server echoes each line and "
                     "broadcasts it to the others", (int)opt.clients,
                     scope_demo_count_of(lines, sizeof lines, d->count, "line", "lines"), d->size);
    if (opt.fault)
        start_client(opt.fault);
    if (!nroles)
        on_role_exit(&roles[0], 0, 0);
}

static void step_listen(scope_demo_t *d)
{
    int port = scope_addr_port((struct sockaddr *)&opt.at);
    scope_events_log("socket(AF_INET, SOCK_STREAM) -> fd %d; libuv set SO_REUSEADDR, bind(%s), "
                     "listen(fd %d, SOMAXCONN): the port is %d", server.fd, addr_str, server.fd, port);
    int local = scope_addr_is_loopback((struct sockaddr *)&opt.at);
    scope_events_log(
        "%s%s", local ? scope_events_tr("on 127.0.0.1 only this machine can connect") : addr_str,
        local ? "" : scope_events_tr(" is not a loopback address: other machines can connect"));
    if (!opt.listen) /* --listen: serving until SIGINT, SIGTERM or quit */
        scope_demo_next(d);
}

static void step_throughput(scope_demo_t *d)
{
    tput_run(d, (uint64_t)opt.throughput, opt.nodelay);
}

/* The lesson, in order: run_server() cuts it short for --throughput and --lab off. */
static scope_demo_lesson_t lesson[] = {
    {N_("listen(): a TCP server on its port (port 0: the kernel picks one)"), step_listen},
    {N_("clients connect() and chat: echo to the sender, broadcast to the others"), step_clients},
    {N_("a byte stream (a): two quick writes, one read"), stream_two_writes},
    {N_("a byte stream (b): one 256 KiB write, several reads"), stream_big_write},
    {N_("length-prefixed frames: every message whole again"), stream_framed},
    {N_("Nagle and TCP_NODELAY: a request in two writes, timed"), nagle_run},
    {NULL, NULL},
};

static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    scope_conn_idle_hold_all(d->loop, d->paused); /* a paused lesson's peers are not gone */
    if (strcmp(cmd, "fault") == 0 && chatting == 1)
        start_client(d->fault);
    else if (strcmp(cmd, "fault") == 0)
        scope_events_log("fault %s: a bad client joins only while the chat runs", d->fault);
}

static int run_server(void)
{
    if (!opt.listen)
        scope_addr_parse("127.0.0.1:0", NULL, 0, &opt.at);
    server = (chat_server_t){.demo = &demo, .max_message = opt.max_message,
                             .idle_ms = opt.idle_ms, .nodelay = opt.nodelay};
    /* Bind before hello, so that the port the kernel picked is in it. */
    int r = server.fd = tcp_listen(uv_default_loop(), &server.listener, &opt.at, addr_str,
                                   chat_on_connection);
    demo.params = cJSON_CreateObject();
    cJSON_AddStringToObject(demo.params, "listen", addr_str);
    cJSON_AddNumberToObject(demo.params, "port", scope_addr_port((struct sockaddr *)&opt.at));
    demo.data = addr_str; /* where the lab's clients dial */
    demo.on_quit = finish;
    demo.on_control = on_control;
    demo.on_lesson_end = finish;
    if (scope_demo_start(&demo, uv_default_loop(), "server", 1) < 0)
        return 1;
    server.max_clients = crowd_cap(opt.max_clients);
    scope_trace_init(&clients, "clients", SCOPE_PID(getpid()), SCOPE_PEER("clients"));
    if (opt.throughput)
        lesson[1] = (scope_demo_lesson_t){N_("one client streams bytes as fast as TCP takes them"),
                                          step_throughput};
    if (opt.throughput || !opt.lab)
        lesson[2] = (scope_demo_lesson_t){NULL, NULL};
    if (r < 0) {
        scope_demo_check(
            &demo, 0, "listen", "cannot listen on %s: %s%s", addr_str, uv_strerror(r),
            r == UV_EADDRINUSE ? scope_events_tr(" (another socket is bound to that port)") : "");
        finish(&demo);
    } else {
        if (scope_events_format() == SCOPE_EVENTS_TEXT && !getenv("IPCSCOPE_EVENT_FD"))
            printf("tcp: listening on %s\n", addr_str);
        scope_demo_lesson(&demo, lesson);
    }
    int code = scope_demo_run(&demo);
    scope_role_kill_all(&demo);
    scope_spawn_shutdown(uv_default_loop());
    return code;
}

/* A client's process (a role, or --connect): a bad one (fault.c), a stream
 * (throughput.c), the lab's reader (stream.c), or a chat member (client.c). */
static int run_client(void)
{
    struct sockaddr *to = (struct sockaddr *)&opt.to;
    const char *who = demo.role ? demo.role : "client";
    if (scope_demo_start(&demo, uv_default_loop(), who, !demo.role) < 0)
        return 1;
    if (opt.fault)
        return fault_client(&demo, to, opt.fault, opt.max_message);
    if (opt.throughput)
        return tput_client(&demo, to, opt.throughput, opt.nodelay);
    if (demo.role && strcmp(demo.role, "lab client") == 0)
        return stream_client(&demo, to);
    chat_client_t cl = {.t = {.demo = &demo, .nodelay = opt.nodelay},
                        .who = who, .split = opt.split};
    return chat_client_run(&cl, to);
}

int main(int argc, char **argv)
{
    /* Lines a script waits for ("listening on") go out when they happen,
     * even to a file or a pipe. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    demo.on_option = on_option;
    int r = scope_demo_parse(&demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    if (opt.fault && (opt.throughput || (opt.listen && !opt.connect))) {
        fprintf(stderr, "tcp: --fault adds a bad client to a chat that --throughput and --listen "
                "do not run (a bad client of your own: tcp --connect HOST:PORT --fault KIND)\n");
        return 2;
    }
    return opt.connect ? run_client() : run_server();
}
