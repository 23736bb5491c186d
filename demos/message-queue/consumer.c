/* consumer.c: a consumer of the Streams step (streams.c tells the story),
 * this program again as `message-queue --role NAME --redis URL`, NAME
 * alice or bob (short: each is a lane of its own in the flow).
 *
 * It reads with XREADGROUP GROUP workers NAME COUNT 1 BLOCK 500 STREAMS S >
 * ("an entry no one in the group has had yet"): the server hands it over
 * and writes it in the group's pending list under NAME, where it stays
 * until XACK. The work is WORK_MS of waiting, then XACK. When the read
 * times out (nothing new), it looks for entries a dead consumer left:
 * XAUTOCLAIM S workers NAME CLAIM_IDLE_MS 0-0 COUNT 1 takes over one
 * pending for longer than CLAIM_IDLE_MS, long enough that a live consumer
 * still working on it is never robbed.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "message-queue.h"

#define WORK_MS       300
#define BLOCK_MS      500
#define CLAIM_IDLE_MS 1500

typedef struct {
    scope_demo_t *demo;
    mq_broker_t broker;
    redisAsyncContext *c;
    scope_trace_t trace;
    uv_timer_t work;
    const char *name;
    char stream[48], id[48];
} consumer_t;

static void read_next(consumer_t *k);

static void on_acked(redisAsyncContext *c, void *reply, void *priv)
{
    consumer_t *k = c->data;
    redisReply *r = reply;
    (void)priv;
    if (!r)
        return;
    scope_events_log("XACK %s workers %s -> (integer) %lld: out of the pending list", k->stream,
                     k->id, r->integer);
    read_next(k);
}

static void on_work_done(uv_timer_t *t)
{
    consumer_t *k = t->data;
    if (k->c) /* done: only now does it leave the group's pending list */
        redisAsyncCommand(k->c, on_acked, NULL, "XACK %s workers %s", k->stream, k->id);
}

/* One entry, [id, [field, value, ...]]: the work starts. */
static int take(consumer_t *k, const redisReply *e, const char *how)
{
    if (!e || e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[1]->type != REDIS_REPLY_ARRAY || e->element[1]->elements < 2)
        return 0;
    const redisReply *v = e->element[1]->element[1];
    snprintf(k->id, sizeof k->id, "%s", e->element[0]->str);
    scope_trace_recv(&k->trace, v->str, v->len);
    scope_events_log("%s -> %s \"%s\": %s works on it for %d ms, then XACKs", how, k->id, v->str,
                     k->name, WORK_MS);
    uv_timer_start(&k->work, on_work_done, WORK_MS, 0);
    return 1;
}

/* XAUTOCLAIM's reply: [next cursor, [entries], [deleted ids]]. */
static void on_claim(redisAsyncContext *c, void *reply, void *priv)
{
    consumer_t *k = c->data;
    redisReply *r = reply;
    (void)priv;
    if (!r || !k->c)
        return;
    char how[256];
    snprintf(how, sizeof how,
             scope_events_tr("XAUTOCLAIM %s workers %s %d 0-0 COUNT 1 (pending over %d ms: "
                             "its consumer is gone)"),
             k->stream, k->name, CLAIM_IDLE_MS, CLAIM_IDLE_MS);
    if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2 && r->element[1]->elements > 0 &&
        take(k, r->element[1]->element[0], how))
        return;
    read_next(k);
}

/* XREADGROUP's reply: [[stream, [entry]]], or nil when BLOCK timed out. */
static void on_read(redisAsyncContext *c, void *reply, void *priv)
{
    consumer_t *k = c->data;
    redisReply *r = reply;
    (void)priv;
    if (!r || !k->c)
        return;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->elements == 2 &&
        r->element[0]->element[1]->elements > 0) {
        char how[128];
        snprintf(how, sizeof how, "XREADGROUP GROUP workers %s COUNT 1 STREAMS %s >", k->name,
                 k->stream);
        take(k, r->element[0]->element[1]->element[0], how);
        return;
    }
    /* nothing new: is anything left pending by a consumer that is gone? */
    redisAsyncCommand(c, on_claim, NULL, "XAUTOCLAIM %s workers %s %d 0-0 COUNT 1", k->stream,
                      k->name, CLAIM_IDLE_MS);
}

static void read_next(consumer_t *k)
{
    redisAsyncCommand(k->c, on_read, NULL,
                      "XREADGROUP GROUP workers %s COUNT 1 BLOCK %d "
                      "STREAMS %s >",
                      k->name, BLOCK_MS, k->stream);
}

static void on_quit(scope_demo_t *d)
{
    consumer_t *k = d->data;
    uv_close((uv_handle_t *)&k->work, NULL);
    if (k->c)
        redisAsyncFree(k->c); /* an XREADGROUP may be blocked: no reply to wait for */
    k->c = NULL;
    scope_demo_stop(d);
}

int mq_is_consumer(const char *role)
{
    return strcmp(role, "alice") == 0 || strcmp(role, "bob") == 0;
}

int mq_consumer(scope_demo_t *d, mq_t *m)
{
    consumer_t k = {.demo = d, .name = d->role};
    d->data = &k;
    d->on_quit = on_quit;
    if (scope_demo_start(d, uv_default_loop(), d->role, 0) < 0)
        return 1;
    uv_timer_init(d->loop, &k.work);
    k.work.data = &k;
    snprintf(k.stream, sizeof k.stream, "ipcscope:%d:stream", (int)getppid());
    if (!m->redis || mq_broker_set(&k.broker, m->redis, (long)m->server_pid) < 0 ||
        !(k.c = mq_connect(d, &k.broker, &k, N_("the consumer")))) {
        scope_demo_check(d, 0, "consumer", "no broker");
        on_quit(d);
        return scope_demo_run(d);
    }
    scope_trace_init(&k.trace, MQ_CHAN, SCOPE_PID(getpid()), k.broker.end);
    read_next(&k);
    return scope_demo_run(d);
}
