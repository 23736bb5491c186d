/* http: http.createServer() and http.get() with the lid off. The server and
 * the lesson's clients are one process, as in article 000's script; the
 * steady client (step 9) is this program again (lib/role). --listen runs
 * only the server, --connect only a client, for two machines.
 *
 *   http                              the lesson, then --count GETs
 *   http --listen 127.0.0.1:3001      the article's server, until quit
 *   http --connect http://HOST:3001/  the article's http.get, --count times
 *   http --redis URL [--listen ...]   a server whose WebSocket and SSE broadcast
 *                                     goes through Redis: run two, one chat
 */
#include <errno.h>

#include "http.h"

static const scope_demo_info_t info = {
    "http",
    "http.createServer and http.get with the lid off: keep-alive, WebSocket, SSE",
    "A server on http-parser answers pong to libcurl's http.get on the same loop; "
    "keep-alive, localhost and ::1, Nagle, bad peers, then WebSocket and server-sent events.",
    "000 003",
    "TCP/HTTP | 中 | ✅ | 中 | 微服务",
    NULL,
};

static struct {
    long long header_ms, max_header, ws_max, ping_ms;
    int nodelay;
    const char *listen, *connect;
    const char *redis;
    long long redis_pid;
    struct sockaddr_storage at;
} opt = {.header_ms = 2000, .max_header = 16384, .ws_max = 65536, .ping_ms = 1000,
         .nodelay = 1};

static const scope_demo_option_t options[] = {
    {"listen", "HOST:PORT", "run only the server, on this address (default 127.0.0.1:0)"},
    {"connect", "URL", "run only a client: GET URL --count times at --rate",
     SCOPE_OPT_TEXT, &opt.connect},
    {"nodelay", "on|off", "TCP_NODELAY on accepted sockets (default on, as node's http)",
     SCOPE_OPT_ONOFF, &opt.nodelay},
    {"header-ms", "MS", "a request's head must be whole within MS, else 408 (default 2000; "
     "node: 60000)", SCOPE_OPT_NUMBER, &opt.header_ms, 100, 600000},
    {"max-header", "BYTES", "request line and headers at most, else 431 (default 16384, "
     "node's)", SCOPE_OPT_NUMBER, &opt.max_header, 256, 1 << 20},
    {"ws-max", "BYTES", "largest WebSocket message, else close 1009 (default 65536)",
     SCOPE_OPT_NUMBER, &opt.ws_max, 1024, 16 << 20},
    {"ping-ms", "MS", "WebSocket ping every MS; unanswered twice: close 1001 (default 1000)",
     SCOPE_OPT_NUMBER, &opt.ping_ms, 50, 600000},
    {"redis", "URL", "WebSocket and SSE broadcast through Redis pub/sub at URL (unix:PATH "
     "or redis://HOST:PORT): several servers, one chat", SCOPE_OPT_TEXT, &opt.redis},
    {"redis-pid", "PID", "with --redis: redis-server's pid, to draw it as a process",
     SCOPE_OPT_NUMBER, &opt.redis_pid, 1, 1 << 22},
    {NULL, NULL, NULL},
};

static int on_option(scope_demo_t *d, const char *name, const char *v)
{
    if (scope_addr_parse(v, "127.0.0.1", 0, &opt.at) < 0) {
        snprintf(d->error, sizeof d->error, "--%s wants HOST:PORT, not '%s'", name, v);
        return -EINVAL;
    }
    opt.listen = v;
    return 0;
}

static scope_demo_t demo;
static http_server_t server;
static scope_role_t client;
static scope_trace_t clients; /* the role's figures, added up */

static void finish(scope_demo_t *d)
{
    char text[320], rt[100];
    if (server.fd <= 0 && d->bye_said)
        return;
    ws_stop();
    sse_stop();
    fanout_stop();
    http_close(&server);
    http_figures_t f = server.fig;
    cJSON *b = cJSON_CreateObject();
    if (clients.latency.count)
        scope_trace_add_summary(&clients, b);
    cJSON_AddNumberToObject(b, "requests", (double)f.requests);
    cJSON_AddNumberToObject(b, "connections", (double)f.accepted);
    cJSON_AddNumberToObject(b, "refused_400", (double)f.refused_400);
    cJSON_AddNumberToObject(b, "refused_431", (double)f.refused_431);
    cJSON_AddNumberToObject(b, "timed_out_408", (double)f.timed_out);
    cJSON_AddNumberToObject(b, "pipelined", (double)f.pipelined);
    snprintf(text, sizeof text,
             scope_events_tr("%llu requests on %llu connections; the client: %s"),
             (unsigned long long)f.requests, (unsigned long long)f.accepted,
             scope_trace_describe(&clients, rt, sizeof rt));
    scope_demo_bye(d, b, text);
    scope_demo_stop(d);
}

static void on_report(scope_role_t *r, const cJSON *fig)
{
    if (scope_trace_add_figures(&clients, cJSON_GetObjectItemCaseSensitive(fig, "trace")) < 0)
        scope_events_error("report", "bad figures from %s", r->name);
}

static void on_role_exit(scope_role_t *r, int code, int sig)
{
    (void)r;
    if ((code || sig) && !demo.quitting)
        scope_demo_exit(&demo, 1);
    finish(&demo);
}

/* Step 9: http.get from another process, --count times at --rate. */
static void step_client(scope_demo_t *d)
{
    char url[96], lines[48];
    snprintf(url, sizeof url, "http://%s/", server.name);
    const char *args[] = {"--connect", url, NULL};
    client.on_report = on_report;
    client.on_exit = on_role_exit;
    scope_events_log("a client process (this program again, --connect %s): %s at the "
                     "dashboard's rate", url, scope_demo_count_of(lines, sizeof lines, d->count,
                                                                 "GET", "GETs"));
    if (scope_role_spawn(d, &client, "client", &(scope_role_options_t){.argv = args}) < 0) {
        scope_demo_exit(d, 1);
        finish(d);
    }
}

static void step_serve(scope_demo_t *d)
{
    scope_events_log("serving on %s until quit: try curl http://%s/ or curl -N http://%s/events",
                     server.name, server.name, server.name);
    (void)d;
}

static scope_demo_lesson_t lesson[] = {
    {N_("http.createServer + http.get: the request and the answer, byte by byte"), article_run},
    {N_("keep-alive against a new connection per request"), keepalive_run},
    {N_("localhost: ::1 or 127.0.0.1, and a server bound to one of them"), localhost_run},
    {N_("Nagle: an answer in two writes, with and without TCP_NODELAY"), nagle_run},
    {N_("bad peers: slowloris, an oversize head, a malformed line; pipelining"), badpeers_run},
    {N_("WebSocket: the upgrade, frames, a broadcast chat, close codes"), ws_run},
    {N_("server-sent events: one response that never ends"), sse_run},
    {N_("two servers, one chat: WebSocket and SSE broadcast through Redis pub/sub"), fanout_run},
    {N_("http.get from another process, at the dashboard's rate"), step_client},
    {NULL, NULL},
};

static int run_server(void)
{
    if (!opt.listen)
        scope_addr_parse("127.0.0.1:0", NULL, 0, &opt.at);
    server = (http_server_t){.demo = &demo, .nodelay = opt.nodelay,
                             .header_ms = (uint64_t)opt.header_ms,
                             .max_header = (size_t)opt.max_header};
    char name[SCOPE_ADDR_STRLEN];
    /* Bind before hello, so that the port the kernel picked is in it. */
    int r = http_listen(&server, uv_default_loop(), &opt.at, name);
    demo.params = cJSON_CreateObject();
    cJSON_AddStringToObject(demo.params, "listen", name);
    cJSON_AddNumberToObject(demo.params, "port", scope_addr_port((struct sockaddr *)&opt.at));
    demo.data = &server;
    demo.on_quit = finish;
    demo.on_lesson_end = finish;
    if (scope_demo_start(&demo, uv_default_loop(), "server", 1) < 0)
        return 1;
    scope_trace_open(&server.trace, "tcp", name);
    scope_trace_init(&clients, "clients", SCOPE_PID(getpid()), SCOPE_PEER("clients"));
    ws_route(&server, (size_t)opt.ws_max, (uint64_t)opt.ping_ms);
    sse_route(&server);
    if (opt.listen) /* --listen: the article's server alone */
        lesson[0] = (scope_demo_lesson_t){N_("http.createServer: serving until quit"), step_serve},
        lesson[1] = (scope_demo_lesson_t){NULL, NULL};
    if (r < 0) {
        scope_demo_check(&demo, 0, "listen", "cannot listen on %s: %s", name, uv_strerror(r));
        finish(&demo);
    } else {
        if (scope_events_format() == SCOPE_EVENTS_TEXT && !getenv("IPCSCOPE_EVENT_FD"))
            printf("http: listening on %s\n", name);
        scope_demo_lesson(&demo, lesson);
    }
    int code = scope_demo_run(&demo);
    scope_role_kill_all(&demo);
    scope_spawn_shutdown(uv_default_loop());
    curl_global_cleanup();
    return code;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* "listening on" reaches a script at once */
    demo.on_option = on_option;
    int r = scope_demo_parse(&demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    if (opt.redis) { /* a server of several, broadcasting through Redis */
        if (!opt.listen)
            scope_addr_parse("127.0.0.1:0", NULL, 0, &opt.at);
        server = (http_server_t){.demo = &demo, .nodelay = opt.nodelay,
                                 .header_ms = (uint64_t)opt.header_ms,
                                 .max_header = (size_t)opt.max_header};
        return fanout_serve(&demo, &server, &opt.at, opt.redis, (long)opt.redis_pid,
                            (size_t)opt.ws_max, (uint64_t)opt.ping_ms);
    }
    if (opt.connect) {
        int code = http_get_run(&demo, opt.connect);
        curl_global_cleanup();
        return code;
    }
    return run_server();
}
