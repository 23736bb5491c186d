/* subscriber.c: the subscriber of steps 2, 4 and 5 (message-queue.c tells
 * them), this program again as `message-queue --role subscriber --redis URL`.
 *
 * One connection SUBSCRIBEs to the articles' channels and the steady part's
 * ping channel and prints what arrives as article 004 does; a second one
 * PUBLISHes each ping back on the pong channel (a subscribed connection
 * can send nothing but (P)(UN)SUBSCRIBE and PING).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "message-queue.h"

typedef struct {
    scope_demo_t *demo;
    mq_broker_t broker;
    redisAsyncContext *sub, *pub;
    scope_trace_t trace, pings;
    char ping_ch[48], pong_ch[48];
} subscriber_t;

static void on_message(redisAsyncContext *c, void *reply, void *priv)
{
    subscriber_t *s = c->data;
    redisReply *r = reply;
    (void)priv;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3)
        return;
    const char *kind = r->element[0]->str, *ch = r->element[1]->str;
    redisReply *text = r->element[2];
    if (strcmp(kind, "subscribe") == 0) {
        scope_events_log("SUBSCRIBE %s -> subscribed (%lld channel(s) on this connection)", ch,
                         text->integer);
        return;
    }
    long n;
    unsigned long long sent;
    if (strcmp(ch, s->ping_ch) == 0 && sscanf(text->str, "ping %ld %llu", &n, &sent) == 2) {
        char pong[64];
        int len = snprintf(pong, sizeof pong, "pong %ld %llu", n, sent);
        scope_trace_msg(&s->pings, SCOPE_TRACE_RECV, (uint64_t)n, text->str, text->len, 0);
        redisAsyncCommand(s->pub, NULL, NULL, "PUBLISH %s %b", s->pong_ch, pong, (size_t)len);
        scope_trace_msg(&s->pings, SCOPE_TRACE_SEND, (uint64_t)n, pong, (size_t)len, 0);
        return;
    }
    scope_trace_recv(&s->trace, text->str, text->len);
    /* article 004's console.log */
    scope_events_log("Received message: %s from channel: %s", text->str, ch);
    if (strcmp(ch, MQ_MY_CHANNEL) == 0) { /* the publisher's step 2 waits for it */
        cJSON *got = cJSON_CreateObject();
        cJSON_AddStringToObject(got, "received", ch);
        scope_demo_report(s->demo, got);
    }
}

static void on_quit(scope_demo_t *d)
{
    subscriber_t *s = d->data;
    scope_trace_close(&s->trace);
    scope_trace_close(&s->pings);
    if (s->sub)
        redisAsyncDisconnect(s->sub);
    if (s->pub)
        redisAsyncDisconnect(s->pub);
    s->sub = s->pub = NULL;
    scope_demo_stop(d);
}

int mq_subscriber(scope_demo_t *d, mq_t *m)
{
    subscriber_t s = {.demo = d};
    d->data = &s;
    d->on_quit = on_quit;
    if (scope_demo_start(d, uv_default_loop(), d->role, 0) < 0)
        return 1;
    if (!m->redis || mq_broker_set(&s.broker, m->redis, (long)m->server_pid) < 0) {
        scope_demo_check(d, 0, "subscriber", "no broker URL");
        scope_demo_stop(d);
        return scope_demo_run(d);
    }
    s.broker.lean = m->broker.lean; /* --attach lean, passed on by the publisher */
    /* the publisher's channels carry its pid, our parent's */
    snprintf(s.ping_ch, sizeof s.ping_ch, "ipcscope:%d:ping", (int)getppid());
    snprintf(s.pong_ch, sizeof s.pong_ch, "ipcscope:%d:pong", (int)getppid());
    scope_trace_init(&s.trace, MQ_CHAN, SCOPE_PID(getpid()), s.broker.end);
    scope_trace_init(&s.pings, MQ_CHAN, SCOPE_PID(getpid()), s.broker.end);
    scope_trace_open(&s.trace, s.broker.path[0] ? "unix" : "tcp", s.broker.url);
    s.sub = mq_connect(d, &s.broker, &s, N_("the subscriber"));
    s.pub = mq_connect(d, &s.broker, &s, N_("the subscriber"));
    if (!s.sub || !s.pub) {
        on_quit(d);
        return scope_demo_run(d);
    }
    redisAsyncCommand(s.sub, on_message, NULL, "SUBSCRIBE %s %s %s", MQ_CHANNEL, MQ_MY_CHANNEL,
                      s.ping_ch);
    scope_events_log("SUBSCRIBE %s %s %s on %s", MQ_CHANNEL, MQ_MY_CHANNEL, s.ping_ch, s.broker.url);
    return scope_demo_run(d);
}
