/* localhost.c, step 3: what "localhost" is. getaddrinfo() answers from
 * /etc/hosts, ::1 first where it lists both; a server bound to 127.0.0.1
 * refuses a client that connects to [::1]. node 17 to 19 took the first
 * answer as it came (ECONNREFUSED ::1:PORT); node 20 tries both in turn
 * (autoSelectFamily), and libcurl always has ("happy eyeballs").
 */
#include "http.h"

static struct {
    scope_demo_t *d;
    uv_getaddrinfo_t gai;
    uv_tcp_t tcp;
    uv_connect_t conn;
    http_client_t cl;
    char url[96], first[48];
    int port;
} l;

static void on_answer(http_client_t *cl, const http_answer_t *a, void *arg)
{
    (void)arg;
    scope_events_log("libcurl GET %s: %ld from %s in %.0f us: it tried what getaddrinfo gave "
                     "until one connected", l.url, a->status, a->ip, a->ns / 1e3);
    scope_demo_figure(l.d, "localhost.curl_ip", cJSON_CreateString(a->ip));
    scope_demo_figure(l.d, "localhost.curl_status", cJSON_CreateNumber((double)a->status));
    scope_trace_close(&cl->trace);
    http_client_close(cl);
    scope_demo_next(l.d);
}

static void curl_localhost(void)
{
    l.cl = (http_client_t){.demo = l.d, .self = SCOPE_PEER("http.get"), .nodelay = 1,
                           .server = SCOPE_PID(getpid())};
    snprintf(l.url, sizeof l.url, "http://localhost:%d/", l.port);
    if (http_client_init(&l.cl, l.d->loop, "http") == 0) {
        scope_trace_open(&l.cl.trace, "tcp", l.url);
        http_client_get(&l.cl, l.url, on_answer, NULL);
    }
}

static void on_tcp_closed(uv_handle_t *h)
{
    (void)h;
    curl_localhost();
}

/* connect() to [::1]:PORT, where nothing listens: the kernel answers RST. */
static void on_connect6(uv_connect_t *c, int status)
{
    (void)c;
    scope_events_log("connect([::1]:%d): %s: the server is bound to 127.0.0.1 only, and ::1 is "
                     "another address", l.port,
                     status ? uv_err_name(status) : scope_events_tr("connected"));
    scope_demo_figure(l.d, "localhost.ipv6_connect",
                      cJSON_CreateString(status ? uv_err_name(status) : "connected"));
    uv_close((uv_handle_t *)&l.tcp, on_tcp_closed);
}

static void on_resolved(uv_getaddrinfo_t *g, int status, struct addrinfo *res)
{
    char list[160] = "", one[SCOPE_ADDR_STRLEN];
    cJSON *a = cJSON_CreateArray();
    for (struct addrinfo *p = res; p; p = p->ai_next) {
        scope_addr_format(p->ai_addr, one, sizeof one);
        *strrchr(one, ':') = 0; /* the port we asked for */
        cJSON_AddItemToArray(a, cJSON_CreateString(one));
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", *list ? ", " : "", one);
    }
    uv_freeaddrinfo(res);
    (void)g;
    scope_events_log("getaddrinfo(\"localhost\", AF_UNSPEC) -> %s%s", status ? uv_strerror(status)
                     : list, strchr(list, ':') ? "" : scope_events_tr(" (this machine's /etc/hosts "
                     "names no ::1 for localhost: node and curl both land on 127.0.0.1)"));
    scope_demo_figure(l.d, "localhost.addresses", a);
    struct sockaddr_in6 six;
    uv_ip6_addr("::1", l.port, &six);
    uv_tcp_init(l.d->loop, &l.tcp);
    if (uv_tcp_connect(&l.conn, &l.tcp, (struct sockaddr *)&six, on_connect6) < 0)
        on_connect6(&l.conn, UV_EAFNOSUPPORT);
}

void localhost_run(scope_demo_t *d)
{
    http_server_t *s = d->data;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    l.d = d;
    l.port = atoi(strrchr(s->name, ':') + 1);
    if (uv_getaddrinfo(d->loop, &l.gai, on_resolved, "localhost", NULL, &hints) < 0)
        on_resolved(&l.gai, UV_EINVAL, NULL);
}
