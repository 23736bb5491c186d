/* missed.c, step 4: a subscriber that is down misses everything published
 * meanwhile. The articles call queues "reliable" and promise
 * "persistence"; pub/sub is neither: the server hands a PUBLISH to the
 * connections subscribed at that instant and keeps nothing. The subscriber
 * is killed (SIGKILL: the dashboard's K, or a crash), MISSED_N messages are
 * published (each PUBLISH says 0), and the subscriber, started again,
 * never sees them; the next one reaches it.
 */
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "message-queue.h"

#define MISSED_N 3

static struct missed_s {
    scope_demo_t *demo;
    redisAsyncContext *pub;
    uv_timer_t timer;
    int published, zeros, back;
    scope_trace_t trace;
} missed;

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

static void on_back_reply(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)c, (void)priv;
    if (!r)
        return;
    missed.back = (int)r->integer;
    scope_events_log("the subscriber is back: PUBLISH -> (integer) %lld; the %d before it are "
                     "lost for good", r->integer, MISSED_N);
    scope_demo_figure(missed.demo, "down.published", cJSON_CreateNumber(MISSED_N));
    scope_demo_figure(missed.demo, "down.reached_none", cJSON_CreateNumber(missed.zeros));
    scope_demo_figure(missed.demo, "down.after_restart", cJSON_CreateNumber(missed.back));
    redisAsyncDisconnect(missed.pub);
    scope_trace_close(&missed.trace);
    uv_close((uv_handle_t *)&missed.timer, on_closed);
    scope_demo_next(missed.demo);
}

static void on_numsub(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)priv;
    if (!r)
        return;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->integer > 0) {
        const char *text = "after the restart";
        redisAsyncCommand(c, on_back_reply, NULL, "PUBLISH %s %s", MQ_MY_CHANNEL, text);
        scope_trace_send(&missed.trace, text, strlen(text));
        return;
    }
    uv_timer_again(&missed.timer); /* not yet: ask again in 100 ms */
}

static void on_down_reply(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)c, (void)priv;
    if (!r)
        return;
    missed.zeros += r->integer == 0;
    scope_events_log("PUBLISH %s \"while you were down\" -> (integer) %lld%s", MQ_MY_CHANNEL,
                     r->integer,
                     r->integer ? "" : scope_events_tr(": nobody got it, nobody keeps it"));
}

static void on_timer(uv_timer_t *t)
{
    uv_timer_stop(t);
    if (missed.published < MISSED_N) {
        for (; missed.published < MISSED_N; missed.published++) {
            redisAsyncCommand(missed.pub, on_down_reply, NULL, "PUBLISH %s %s%d", MQ_MY_CHANNEL,
                              "while you were down ", missed.published + 1);
            scope_trace_send(&missed.trace, "while you were down", 19);
        }
        uv_timer_start(t, on_timer, 100, 100);
        return;
    }
    redisAsyncCommand(missed.pub, on_numsub, NULL, "PUBSUB NUMSUB %s", MQ_MY_CHANNEL);
}

void mq_missed(scope_demo_t *d)
{
    mq_t *m = d->data;
    missed.demo = d;
    missed.pub = mq_connect(d, &m->broker, NULL, N_("step 4"));
    if (!missed.pub) {
            scope_demo_next(d);
            return;
        }
    scope_trace_init(&missed.trace, MQ_CHAN, SCOPE_PID(getpid()), m->broker.end);
    mq_kill_subscriber(d); /* message-queue.c starts it again in 1 s */
    uv_timer_init(d->loop, &missed.timer);
    /* 100 ms: the kernel has closed its sockets, the server has dropped it */
    uv_timer_start(&missed.timer, on_timer, 100, 0);
}
