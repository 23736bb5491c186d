/* slow.c, the slow-subscriber step: a slow subscriber is cut off. The
 * server queues each message for each subscriber in that client's output
 * buffer; a subscriber that stops reading makes it grow. client-output-buffer-limit pubsub
 * HARD SOFT SECONDS bounds it (32 MB hard by default): past it, the server
 * closes the connection, and the subscriber loses everything still queued
 * and everything after. Here the limit is set small with CONFIG SET on our
 * own server (never on a --redis server: its settings are not ours), a
 * subscriber SUBSCRIBEs and then never reads, and the publisher PUBLISHes
 * MSG_BYTES messages until a PUBLISH says 0: the server has dropped it.
 * The subscriber then reads what reached its socket before the close.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "message-queue.h"

#define LIMIT     65536 /* client-output-buffer-limit pubsub 65536 0 0 */
#define MSG_BYTES 1024
#define BURST     32   /* PUBLISHes a turn */
#define MAX_MSGS  8192 /* 8 MiB at most, cut or not */

static struct slow_s {
    scope_demo_t *demo;
    redisContext *sub; /* the slow one: blocking hiredis, read only at the end */
    redisAsyncContext *pub;
    scope_trace_t trace;
    uv_timer_t turn;
    char ch[48], saved[160];
    long sent, replies, delivered;
    int cut, timer_open, done;
} sl;

static void finish(void)
{
    if (sl.done)
        return;
    sl.done = 1;
    uv_timer_stop(&sl.turn);
    long got = 0;
    redisReply *r;
    /* what reached our socket before the server closed it, then EOF */
    while (sl.cut && sl.sub && redisGetReply(sl.sub, (void **)&r) == REDIS_OK) {
        got++;
        freeReplyObject(r);
    }
    if (sl.cut)
        scope_events_error("cut off",
                           "the subscriber that stopped reading was closed by the "
                           "server once its output buffer passed %d bytes "
                           "(client-output-buffer-limit pubsub %d 0 0): it read %ld of %ld "
                           "messages, then EOF (%s)",
                           LIMIT, LIMIT, got, sl.sent, sl.sub ? sl.sub->errstr : "?");
    scope_demo_figure(sl.demo, "slow.limit", cJSON_CreateNumber(LIMIT));
    scope_demo_figure(sl.demo, "slow.published", cJSON_CreateNumber((double)sl.sent));
    scope_demo_figure(sl.demo, "slow.delivered", cJSON_CreateNumber((double)sl.delivered));
    scope_demo_figure(sl.demo, "slow.read", cJSON_CreateNumber((double)got));
    scope_demo_figure(sl.demo, "slow.cut", cJSON_CreateBool(sl.cut));
    if (sl.sub)
        redisFree(sl.sub);
    sl.sub = NULL;
    if (sl.pub) {
        /* the default back: other clients of this server keep their 32 MB */
        redisAsyncCommand(sl.pub, NULL, NULL, "CONFIG SET client-output-buffer-limit %s", sl.saved);
        redisAsyncDisconnect(sl.pub);
    }
    sl.pub = NULL;
    scope_demo_next(sl.demo);
}

static void on_published(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)c, (void)priv;
    if (!r || sl.done)
        return;
    sl.replies++;
    sl.delivered += r->integer;
    if (r->integer == 0 && !sl.cut) {
        sl.cut = 1;
        scope_events_log("PUBLISH %s -> (integer) 0 after %ld delivered: the server has closed "
                         "the subscriber",
                         sl.ch, sl.delivered);
    }
    if (sl.replies == sl.sent && (sl.cut || sl.sent >= MAX_MSGS))
        finish();
}

static void on_turn(uv_timer_t *t)
{
    static char msg[MSG_BYTES];
    if (sl.cut || sl.sent >= MAX_MSGS) {
        uv_timer_stop(t);
        return;
    }
    memset(msg, 's', sizeof msg);
    for (int i = 0; i < BURST && sl.sent < MAX_MSGS; i++, sl.sent++) {
        redisAsyncCommand(sl.pub, on_published, NULL, "PUBLISH %s %b", sl.ch, msg, sizeof msg);
        scope_trace_send(&sl.trace, msg, sizeof msg);
    }
}

static void on_config(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)c, (void)priv;
    if (!r || sl.done || r->type != REDIS_REPLY_ARRAY || r->elements != 2)
        return;
    /* "normal 0 0 0 slave ... pubsub 33554432 8388608 60": keep the pubsub class */
    const char *p = strstr(r->element[1]->str, "pubsub");
    snprintf(sl.saved, sizeof sl.saved, "%s", p ? p : "pubsub 33554432 8388608 60");
    redisAsyncCommand(sl.pub, NULL, NULL, "CONFIG SET client-output-buffer-limit %s",
                      "pubsub 65536 0 0");
    scope_events_log("CONFIG SET client-output-buffer-limit \"pubsub %d 0 0\" (it was \"%s\"): "
                     "a subscriber whose unsent output passes %d bytes is closed at once",
                     LIMIT, sl.saved, LIMIT);
    /* the slow subscriber: SUBSCRIBE, the confirmation, then it never reads */
    mq_t *m = sl.demo->data;
    sl.sub = m->broker.path[0] ? redisConnectUnix(m->broker.path)
                               : redisConnect(m->broker.host, m->broker.port);
    redisReply *ok = sl.sub && !sl.sub->err ? redisCommand(sl.sub, "SUBSCRIBE %s", sl.ch) : NULL;
    if (!scope_demo_check(sl.demo, ok != NULL, "slow subscriber", "cannot SUBSCRIBE: %s",
                          sl.sub ? sl.sub->errstr : scope_events_tr("out of memory"))) {
        finish();
        return;
    }
    freeReplyObject(ok);
    scope_events_log("SUBSCRIBE %s on fd %d, then no read(): the kernel's socket buffer fills "
                     "first, then the server's output buffer for it; PUBLISH %d-byte messages",
                     sl.ch, sl.sub->fd, MSG_BYTES);
    uv_timer_start(&sl.turn, on_turn, 0, 10);
}

void mq_slow(scope_demo_t *d)
{
    mq_t *m = d->data;
    sl.demo = d;
    if (m->redis) {
        scope_events_log("--redis %s: its client-output-buffer-limit is not ours to change; "
                         "CONFIG GET client-output-buffer-limit shows it",
                         m->redis);
        scope_demo_next(d);
        return;
    }
    if (!(sl.pub = mq_connect(d, &m->broker, NULL, N_("the slow-subscriber step")))) {
        scope_demo_next(d);
        return;
    }
    snprintf(sl.ch, sizeof sl.ch, "ipcscope:%d:slow", (int)getpid());
    scope_trace_init(&sl.trace, MQ_CHAN, SCOPE_PID(getpid()), m->broker.end);
    uv_timer_init(d->loop, &sl.turn);
    sl.timer_open = 1;
    redisAsyncCommand(sl.pub, on_config, NULL, "CONFIG GET client-output-buffer-limit");
}

void mq_slow_stop(scope_demo_t *d)
{
    (void)d;
    if (sl.timer_open)
        uv_close((uv_handle_t *)&sl.turn, NULL);
    sl.timer_open = 0;
    sl.done = 1;
    if (sl.sub)
        redisFree(sl.sub);
    sl.sub = NULL;
    if (sl.pub)
        redisAsyncDisconnect(sl.pub);
    sl.pub = NULL;
}
