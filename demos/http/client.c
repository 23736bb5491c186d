/* client.c: article 000's http.get('http://localhost:3001', res => ...), as
 * libcurl's multi interface driven by the libuv loop (the pattern of
 * uvbook's "uvwget"): libcurl does HTTP, libuv does the waiting.
 *
 *   1. curl_multi_init(); libcurl tells us, through on_socket(), which fd
 *      it wants watched for what (CURL_POLL_IN/OUT/REMOVE): a uv_poll_t each;
 *      and through on_timeout() when it wants to be called anyway: a timer.
 *   2. http_client_get(): an easy handle per request, added to the multi.
 *   3. A watched fd is ready (on_poll) or the timer fires (on_timer):
 *      curl_multi_socket_action() lets libcurl go on; done() reads
 *      curl_multi_info_read() for the transfers that ended.
 *   4. Keep-alive is libcurl's: a finished transfer's connection stays in
 *      the multi's pool for the next request to the same host.
 */
#include <sys/random.h>

#include "http.h"

typedef struct {
    uv_poll_t poll;
    curl_socket_t fd;
    http_client_t *cl;
} watch_t;

typedef struct {
    http_client_t *cl;
    http_answer_cb cb;
    void *arg;
    struct curl_slist *headers;
    uint64_t id, start_ns;
    http_answer_t a;
} get_t;

static void done(http_client_t *cl)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(cl->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *e = m->easy_handle;
        get_t *g;
        char *ip = NULL;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&g);
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &g->a.status);
        curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &g->a.connects);
        curl_easy_getinfo(e, CURLINFO_PRIMARY_IP, &ip);
        snprintf(g->a.ip, sizeof g->a.ip, "%s", ip ? ip : "");
        g->a.result = m->data.result;
        g->a.ns = scope_time_now_ns() - g->start_ns;
        curl_multi_remove_handle(cl->multi, e);
        curl_easy_cleanup(e);
        curl_slist_free_all(g->headers);
        if (g->a.status && g->a.result == CURLE_OK) /* the answer, timed from its start */
            scope_trace_msg(&cl->trace, SCOPE_TRACE_RECV, g->id, g->a.body,
                            strlen(g->a.body), g->a.ns);
        g->cb(cl, &g->a, g->arg);
        free(g);
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    watch_t *w = scope_container_of(h, watch_t, poll);
    int flags = status < 0 ? CURL_CSELECT_ERR : (events & UV_READABLE ? CURL_CSELECT_IN : 0)
                                                | (events & UV_WRITABLE ? CURL_CSELECT_OUT : 0);
    curl_multi_socket_action(w->cl->multi, w->fd, flags, &w->cl->running);
    done(w->cl);
}

static void on_timer(uv_timer_t *t)
{
    http_client_t *cl = scope_container_of(t, http_client_t, timer);
    curl_multi_socket_action(cl->multi, CURL_SOCKET_TIMEOUT, 0, &cl->running);
    done(cl);
}

static void free_watch(uv_handle_t *h)
{
    free(scope_container_of(h, watch_t, poll));
}

/* libcurl: watch fd for what (or no more). */
static int on_socket(CURL *e, curl_socket_t fd, int what, void *arg, void *watched)
{
    http_client_t *cl = arg;
    watch_t *w = watched;
    (void)e;
    if (what == CURL_POLL_REMOVE) {
        if (w) {
            uv_close((uv_handle_t *)&w->poll, free_watch);
            curl_multi_assign(cl->multi, fd, NULL);
        }
        return 0;
    }
    if (!w && (w = calloc(1, sizeof *w))) {
        *w = (watch_t){.fd = fd, .cl = cl};
        uv_poll_init_socket(cl->timer.loop, &w->poll, fd);
        curl_multi_assign(cl->multi, fd, w);
    }
    if (w)
        uv_poll_start(&w->poll, (what & CURL_POLL_IN ? UV_READABLE : 0)
                                | (what & CURL_POLL_OUT ? UV_WRITABLE : 0), on_poll);
    return 0;
}

/* libcurl: call me in ms (0: now; -1: no need). */
static int on_timeout(CURLM *m, long ms, void *arg)
{
    http_client_t *cl = arg;
    (void)m;
    if (ms < 0)
        uv_timer_stop(&cl->timer);
    else if (!cl->closing)
        uv_timer_start(&cl->timer, on_timer, (uint64_t)ms, 0);
    return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    get_t *g = arg;
    size_t have = strlen(g->a.body);
    snprintf(g->a.body + have, sizeof g->a.body - have, "%.*s", (int)(size * n), data);
    g->a.bytes += size * n;
    return size * n;
}

/* What libcurl writes and reads, line by line: the wire, narrated. */
static int on_debug(CURL *e, curl_infotype type, char *data, size_t len, void *arg)
{
    /* TRANSLATORS: one width, so that the lines' texts start in one column. */
    static const char *const dir[] = {[CURLINFO_HEADER_OUT] = N_("request  >"),
        [CURLINFO_HEADER_IN] = N_("response <"), [CURLINFO_DATA_IN] = N_("body     <")};
    (void)e, (void)arg;
    if (type != CURLINFO_HEADER_OUT && type != CURLINFO_HEADER_IN && type != CURLINFO_DATA_IN)
        return 0;
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(data + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - data) - at : len - at;
        size_t text = n && data[at + n - 1] == '\r' ? n - 1 : n;
        scope_events_log("%s %.*s%s", scope_events_tr(dir[type]), (int)text, data + at,
                         type == CURLINFO_DATA_IN ? "" : text ? "\\r\\n"
                         : scope_events_tr("\\r\\n (a blank line: the head ends)"));
        at += n + 1;
    }
    return 0;
}

static int on_sockopt(void *arg, curl_socket_t fd, curlsocktype purpose)
{
    http_client_t *cl = arg;
    int on = cl->nodelay;
    (void)purpose;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    return CURL_SOCKOPT_OK;
}

int http_client_init(http_client_t *cl, uv_loop_t *loop, const char *chan)
{
    static int global;
    if (!global++)
        curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!(cl->multi = curl_multi_init()))
        return -ENOMEM;
    uv_timer_init(loop, &cl->timer);
    curl_multi_setopt(cl->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(cl->multi, CURLMOPT_SOCKETDATA, cl);
    curl_multi_setopt(cl->multi, CURLMOPT_TIMERFUNCTION, on_timeout);
    curl_multi_setopt(cl->multi, CURLMOPT_TIMERDATA, cl);
    scope_trace_init(&cl->trace, chan, cl->self, cl->server);
    return 0;
}

int http_client_get(http_client_t *cl, const char *url, http_answer_cb cb, void *arg)
{
    get_t *g = calloc(1, sizeof *g);
    CURL *e = g ? curl_easy_init() : NULL;
    char h[64];
    if (!e) {
        free(g);
        return -ENOMEM;
    }
    *g = (get_t){.cl = cl, .cb = cb, .arg = arg, .id = ++cl->next_id};
    /* Who asks, and which request this is: the server draws the arrow from
     * this lane and numbers it as we do. */
    snprintf(h, sizeof h, "X-Request-Id: %llu", (unsigned long long)g->id);
    g->headers = curl_slist_append(NULL, h);
    snprintf(h, sizeof h, "ipcscope-http/%ld", cl->self.pid >= 0 ? cl->self.pid : (long)getpid());
    curl_easy_setopt(e, CURLOPT_USERAGENT, h);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, g->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, g);
    curl_easy_setopt(e, CURLOPT_PRIVATE, g);
    curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
    curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, cl);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, cl->timeout_ms ? cl->timeout_ms : 10000L);
    if (cl->narrate) {
        curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
        curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
    }
    /* A new connection for each request: what a client without an agent
     * (node's http.get with agent: false) pays, handshake and all. */
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, (long)cl->fresh);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, (long)cl->fresh);
    g->start_ns = scope_time_now_ns();
    snprintf(h, sizeof h, "GET %s", strchr(strstr(url, "//") ? strstr(url, "//") + 2 : url, '/')
             ? strchr(strstr(url, "//") ? strstr(url, "//") + 2 : url, '/') : "/");
    scope_trace_msg(&cl->trace, SCOPE_TRACE_SEND, g->id, h, strlen(h), 0);
    return curl_multi_add_handle(cl->multi, e) == CURLM_OK ? 0 : -EINVAL;
}

static void on_closed(uv_handle_t *h)
{
    http_client_t *cl = scope_container_of(h, http_client_t, timer);
    curl_multi_cleanup(cl->multi); /* its sockets: on_socket's REMOVE, polls closed */
    cl->multi = NULL;
}

void http_client_close(http_client_t *cl)
{
    if (cl->closing++ || !cl->multi)
        return;
    uv_close((uv_handle_t *)&cl->timer, on_closed);
}

/* A lane from "User-Agent: ipcscope-http/PID" (this demo's clients), else
 * the program's name ("curl/7.88.1": curl), else "client". */
scope_end_t http_peer_of(const http_request_t *req, char *name, size_t n)
{
    long pid = 0;
    if (sscanf(req->agent, "ipcscope-http/%ld", &pid) == 1 && pid > 0)
        return pid == (long)getpid() ? SCOPE_PEER("http.get") : SCOPE_PID(pid);
    snprintf(name, n, "%.*s", (int)strcspn(req->agent, "/ "), req->agent[0] ? req->agent
             : "client");
    return SCOPE_PEER(name);
}
