/* get.c: the client's process (a role, or --connect URL): GET url --count
 * times at --rate on one kept-alive connection, each request and answer
 * traced with its latency; its figures go to the server's bye.
 */
#include "http.h"

typedef struct {
    scope_demo_t *d;
    http_client_t cl;
    scope_pacer_t pacer;
    const char *url;
    long answered, failed;
    int waiting, done;
} run_t;

static void finish(run_t *r)
{
    if (r->done++)
        return;
    scope_pacer_close(&r->pacer);
    scope_trace_close(&r->cl.trace);
    cJSON *fig = cJSON_CreateObject();
    cJSON_AddItemToObject(fig, "trace", scope_trace_figures(&r->cl.trace));
    cJSON_AddNumberToObject(fig, "failed", (double)r->failed);
    if (r->d->role) {
        scope_demo_report(r->d, fig);
    } else { /* --connect: this process is the whole run */
        char text[160], rt[100];
        cJSON_Delete(fig);
        cJSON *b = cJSON_CreateObject();
        scope_trace_add_summary(&r->cl.trace, b);
        cJSON_AddNumberToObject(b, "failed", (double)r->failed);
        snprintf(text, sizeof text, scope_events_tr("%ld answers from %s; %s"), r->answered, r->url,
                 scope_trace_describe(&r->cl.trace, rt, sizeof rt));
        scope_demo_bye(r->d, b, text);
    }
    http_client_close(&r->cl);
    scope_demo_stop(r->d);
}

static void next(scope_pacer_t *p);

static void on_answer(http_client_t *cl, const http_answer_t *a, void *arg)
{
    run_t *r = arg;
    (void)cl;
    r->waiting = 0;
    r->answered++;
    if (a->result != CURLE_OK || a->status != 200) {
        r->failed++;
        scope_demo_exit(r->d, 1);
        scope_events_error("http.get", "GET %s: %s", r->url, a->result != CURLE_OK
                           ? curl_easy_strerror(a->result) : scope_events_tr("not 200"));
    }
    if (r->answered >= r->d->count || r->d->quitting || r->failed > 2)
        finish(r);
    else
        scope_pacer_next(&r->pacer, next);
}

static void next(scope_pacer_t *p)
{
    run_t *r = p->data;
    r->waiting = 1;
    if (http_client_get(&r->cl, r->url, on_answer, r) < 0)
        finish(r);
}

static void on_quit(scope_demo_t *d)
{
    run_t *r = d->data;
    if (!r->waiting) /* else the answer on its way ends it */
        finish(r);
}

int http_get_run(scope_demo_t *d, const char *url)
{
    run_t r = {.d = d, .url = url};
    d->data = &r;
    d->on_quit = on_quit;
    if (scope_demo_start(d, uv_default_loop(), d->role ? d->role : "client", !d->role) < 0)
        return 1;
    r.cl = (http_client_t){.demo = d, .self = SCOPE_PID(getpid()), .nodelay = 1,
                           .server = d->role ? SCOPE_PID(getppid()) : SCOPE_PEER("server")};
    if (http_client_init(&r.cl, d->loop, "http") < 0)
        return 1;
    scope_trace_open(&r.cl.trace, "tcp", url);
    scope_trace_stats_start(&r.cl.trace, d->loop, 1000);
    scope_pacer_init(d, &r.pacer);
    r.pacer.data = &r;
    char times[48];
    scope_events_log("http.get %s, %s: libcurl's multi interface on this process's libuv "
                     "loop, one kept-alive connection", url,
                     scope_demo_count_of(times, sizeof times, d->count, "GET", "GETs"));
    scope_pacer_next(&r.pacer, next);
    return scope_demo_run(d);
}

/* ---- a series: n requests one after the other, for the lesson's steps ---- */
typedef struct {
    http_client_t *cl;
    const char *url;
    long left;
    void (*done)(http_client_t *cl, void *arg);
    void *arg;
} series_t;

static void series_next(http_client_t *cl, const http_answer_t *a, void *arg)
{
    series_t *s = arg;
    /* After a quit the server is gone: a request it cut short is no error. */
    if (a && !cl->demo->quitting && (a->result != CURLE_OK || a->status != 200))
        scope_events_error("http.get", "GET %s: %s", s->url, a->result != CURLE_OK
                           ? curl_easy_strerror(a->result) : scope_events_tr("not 200"));
    if (s->left-- > 0 && !cl->demo->quitting && http_client_get(cl, s->url, series_next, s) == 0)
        return;
    s->done(cl, s->arg);
    free(s);
}

int http_series(http_client_t *cl, const char *url, long n,
                void (*done)(http_client_t *cl, void *arg), void *arg)
{
    series_t *s = malloc(sizeof *s);
    if (!s)
        return -ENOMEM;
    *s = (series_t){cl, url, n, done, arg};
    series_next(cl, NULL, s);
    return 0;
}
