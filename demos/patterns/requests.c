/* requests.c, step 3: structured messages, and requests matched by id.
 *
 *   1. 004's config message, {type:'config', data:{port, env, features}}:
 *      a type says what the data is; the child acknowledges it.
 *   2. Three {id, action:'getUser', params:{id:123}} and one slowQuery go
 *      out before any answer is in. Each answer ({id, status:'success',
 *      data}) names its request's id: the id, not the order, pairs them.
 *   3. Each request has a timer of its own (--request-ms). The slowQuery
 *      takes twice that: its timer fires first, the caller is told
 *      "timed out", and the answer that comes later finds no request
 *      waiting for it and is dropped, counted as late.
 */
#include <stdio.h>

#include "events.h"
#include "patterns.h"

#define REQUESTS 4 /* three getUser, one slowQuery */

typedef struct {
    uv_timer_t timer;
    int id, pending;
    uint64_t sent_ns;
} request_t;

static struct {
    patterns_t *p;
    request_t req[REQUESTS];
    int answered, timed_out, late;
} r;

static void settle(void);

static void on_request_timeout(uv_timer_t *t)
{
    request_t *q = scope_container_of(t, request_t, timer);
    q->pending = 0;
    r.timed_out++;
    scope_events_log("request %d: no answer in %lld ms: timed out (the caller gets an error, "
                     "the child may still be working on it)", q->id, r.p->request_ms);
}

static int on_answer(patterns_t *p, const cJSON *msg)
{
    (void)p; /* r.p */
    if (patterns_is(msg, "type", "ack")) {
        scope_events_log("the child acknowledged the config message");
        return PATTERNS_MORE;
    }
    if (!patterns_is(msg, "status", "success"))
        return PATTERNS_NOT_IT;
    int id = (int)patterns_num(msg, "id");
    request_t *q = id >= 1 && id <= REQUESTS ? &r.req[id - 1] : NULL;
    if (!q) {
        scope_events_error("correlation", "an answer with id %d matches no request", id);
    } else if (!q->pending) { /* its timer fired: nobody waits for it now */
        r.late++;
        scope_events_log("an answer to request %d came after its timeout: dropped (late)", id);
    } else {
        char took[32];
        q->pending = 0;
        uv_timer_stop(&q->timer);
        r.answered++;
        scope_time_format(took, sizeof took, (double)(scope_time_now_ns() - q->sent_ns));
        scope_events_log("answer to request %d: user %.0f, in %s", id,
                         patterns_num(cJSON_GetObjectItemCaseSensitive(msg, "data"), "id"), took);
    }
    if (r.answered + r.late < REQUESTS)
        return PATTERNS_MORE;
    settle();
    return PATTERNS_DONE;
}

static void settle(void)
{
    scope_demo_figure(r.p->demo, "requests.answered", cJSON_CreateNumber(r.answered));
    scope_demo_figure(r.p->demo, "requests.timed_out", cJSON_CreateNumber(r.timed_out));
    scope_demo_figure(r.p->demo, "requests.late", cJSON_CreateNumber(r.late));
    for (int i = 0; i < REQUESTS; i++)
        uv_close((uv_handle_t *)&r.req[i].timer, NULL);
}

static void request(int id, const char *action, double ms)
{
    request_t *q = &r.req[id - 1];
    cJSON *m = cJSON_CreateObject(), *params;
    cJSON_AddNumberToObject(m, "id", id);
    cJSON_AddStringToObject(m, "action", action);
    params = cJSON_AddObjectToObject(m, "params");
    cJSON_AddNumberToObject(params, "id", 123);
    if (ms > 0) /* how long the child's work takes */
        cJSON_AddNumberToObject(params, "ms", ms);
    q->id = id;
    q->pending = 1;
    q->sent_ns = scope_time_now_ns();
    uv_timer_start(&q->timer, on_request_timeout, (uint64_t)r.p->request_ms, 0);
    patterns_send(r.p, m);
}

void patterns_requests(scope_demo_t *d)
{
    patterns_t *p = d->data;
    r.p = p;
    for (int i = 0; i < REQUESTS; i++)
        uv_timer_init(d->loop, &r.req[i].timer);
    scope_events_log("child.send({type: 'config', data: {...}}): the type says what data is");
    patterns_send(p, cJSON_Parse("{\"type\":\"config\",\"data\":{\"port\":3000,\"env\":"
                                 "\"production\",\"features\":[\"logging\",\"monitoring\"]}}"));
    for (int id = 1; id < REQUESTS; id++)
        request(id, "getUser", 0);
    request(REQUESTS, "slowQuery", 2.0 * (double)p->request_ms);
    scope_events_log("%d requests in flight, each with a %lld ms timer; the slowQuery takes "
                     "%lld ms", REQUESTS, p->request_ms, 2 * p->request_ms);
    patterns_await(p, on_answer, (uint64_t)(10 * p->request_ms + 5000));
}
