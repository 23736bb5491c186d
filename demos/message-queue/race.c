/* race.c, step 3: what the articles leave out. They subscribe and publish
 * back to back, each on a fresh connection:
 *
 *     sub.subscribe('channel');  pub.publish('channel', 'hello');
 *
 * Both commands leave at once on two sockets; the server reads whichever
 * it polls first, and a publisher's connection is usually up already (it
 * is in any running service) while the subscriber's new one must first be
 * accept()ed: here too the PUBLISH goes on the publisher's open connection. When the PUBLISH comes first, nobody subscribes yet: its
 * reply is 0, and the message is gone, since pub/sub keeps nothing. Here
 * that is tried RACE_TRIES times, then done right: the PUBLISH waits for
 * the server's "subscribe" confirmation, and reaches 1 subscriber.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "message-queue.h"

#define RACE_TRIES 5

static struct race_s {
    scope_demo_t *demo;
    redisAsyncContext *conns[2 * RACE_TRIES + 2];
    int nconns, replies, zeros, received, fixed;
    scope_trace_t trace;
} race;

static void race_end(struct race_s *r)
{
    for (int i = 0; i < r->nconns; i++)
        redisAsyncDisconnect(r->conns[i]);
    r->nconns = 0;
    scope_trace_close(&r->trace);
    scope_events_log("back to back: %d of %d PUBLISHes said 0 (the message was lost); "
                     "after the confirmation: %d subscriber", r->zeros, RACE_TRIES, r->fixed);
    scope_demo_figure(r->demo, "race.tries", cJSON_CreateNumber(RACE_TRIES));
    scope_demo_figure(r->demo, "race.reached_none", cJSON_CreateNumber(r->zeros));
    scope_demo_figure(r->demo, "race.fixed", cJSON_CreateNumber(r->fixed));
    scope_demo_next(r->demo);
}

static void on_fixed_reply(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *rep = reply;
    (void)c, (void)priv;
    if (!rep)
        return;
    race.fixed = (int)rep->integer;
    scope_events_log("PUBLISH after the confirmation -> (integer) %lld", rep->integer);
    scope_demo_check(race.demo, rep->integer == 1, "race", "the fixed PUBLISH reached %lld",
                     rep->integer);
    race_end(&race);
}

/* On a subscribed connection: ["subscribe", ch, n] first, then each message. */
static void on_sub(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    redisAsyncContext *pub = priv;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3)
        return;
    if (strcmp(r->element[0]->str, "message") == 0) {
        scope_trace_recv(&race.trace, r->element[2]->str, r->element[2]->len);
        race.received++;
    } else if (pub && strcmp(r->element[0]->str, "subscribe") == 0) {
        /* the fix: the server has the subscription now */
        scope_events_log("SUBSCRIBE %s confirmed; now PUBLISH", r->element[1]->str);
        redisAsyncCommand(pub, on_fixed_reply, NULL, "PUBLISH %s fixed", r->element[1]->str);
        scope_trace_send(&race.trace, "fixed", 5);
    }
    (void)c;
}

static void on_race_reply(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)c;
    if (!r)
        return;
    race.zeros += r->integer == 0;
    scope_events_log("try %ld: PUBLISH -> (integer) %lld%s", (long)(intptr_t)priv, r->integer,
                     r->integer ? ""
                                : scope_events_tr(": it landed before the SUBSCRIBE, and is gone"));
    if (++race.replies < RACE_TRIES)
        return;
    /* the fix, on two fresh connections again */
    mq_t *m = race.demo->data;
    redisAsyncContext *sub = mq_connect(race.demo, &m->broker, NULL, N_("step 3"));
    redisAsyncContext *pub = mq_connect(race.demo, &m->broker, NULL, N_("step 3"));
    if (!sub || !pub) {
            race_end(&race);
            return;
        }
    race.conns[race.nconns++] = sub;
    race.conns[race.nconns++] = pub;
    redisAsyncCommand(sub, on_sub, pub, "SUBSCRIBE ipcscope:%d:race:fixed", (int)getpid());
}

void mq_race(scope_demo_t *d)
{
    mq_t *m = d->data;
    race.demo = d;
    scope_trace_init(&race.trace, MQ_CHAN, SCOPE_PID(getpid()), m->broker.end);
    for (long i = 1; i <= RACE_TRIES; i++) {
        redisAsyncContext *sub = mq_connect(d, &m->broker, NULL, N_("step 3"));
        if (!sub) {
            race_end(&race);
            return;
        }
        race.conns[race.nconns++] = sub;
        /* as the articles: subscribe, then publish at once, no waiting */
        redisAsyncCommand(sub, on_sub, NULL, "SUBSCRIBE ipcscope:%d:race:%ld", (int)getpid(), i);
        redisAsyncCommand(m->pub, on_race_reply, (void *)(intptr_t)i,
                          "PUBLISH ipcscope:%d:race:%ld hello", (int)getpid(), i);
        scope_trace_send(&race.trace, "hello", 5);
    }
}
