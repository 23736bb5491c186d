/* article.c, step 1: article 000's exchange, in one process as in the
 * article: the server (http.c) on its port, and http.get (client.c) on the
 * same libuv loop, every line of the request and the answer narrated.
 */
#include "http.h"

static struct {
    scope_demo_t *d;
    http_client_t cl;
    char url[96];
} a;

static void on_answer(http_client_t *cl, const http_answer_t *ans, void *arg)
{
    (void)arg;
    /* A quit closes the server under the request: no answer then, and no fault. */
    if (!a.d->quitting)
        scope_demo_check(a.d, ans->status == 200 && !strcmp(ans->body, "pong"), "http.get",
                         "GET %s: %ld \"%s\" (%s)", a.url, ans->status, ans->body,
                         curl_easy_strerror(ans->result));
    scope_events_log("res.on('data') -> \"%s\": %zu bytes in %.0f us; Content-Length: 4 told "
                     "libcurl where the body ends, so the connection stays open for the next "
                     "request", ans->body, ans->bytes, ans->ns / 1e3);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "status", (double)ans->status);
    cJSON_AddStringToObject(f, "body", ans->body);
    cJSON_AddNumberToObject(f, "ns", (double)ans->ns);
    scope_demo_figure(a.d, "article", f);
    scope_trace_close(&cl->trace);
    http_client_close(cl);
    scope_demo_next(a.d);
}

void article_run(scope_demo_t *d)
{
    http_server_t *s = d->data;
    a.d = d;
    snprintf(a.url, sizeof a.url, "http://%s/", s->name);
    scope_events_log("http.get('%s'): libcurl's multi interface on this same loop; its "
                     "socket is watched with uv_poll, its timeouts with a uv_timer", a.url);
    a.cl = (http_client_t){.demo = d, .self = SCOPE_PEER("http.get"), .nodelay = 1,
                           .server = SCOPE_PID(getpid()), .narrate = 1};
    if (http_client_init(&a.cl, d->loop, "http") < 0) {
        scope_demo_check(d, 0, "http.get", "curl_multi_init failed");
        scope_demo_next(d);
        return;
    }
    scope_trace_open(&a.cl.trace, "tcp", a.url);
    http_client_get(&a.cl, a.url, on_answer, NULL);
}
