/* steady.c, step 6: the steady part the dashboard runs until quit. The
 * publisher sends PUBLISH ipcscope:PID:ping "ping N T" at --rate; the
 * subscriber PUBLISHes "pong N T" on ipcscope:PID:pong; our own
 * subscription to that channel times the round trip (T is when the ping
 * left), which crosses the server twice.
 *
 * One ping is out at a time. A ping whose PUBLISH says 0 reached nobody
 * (the subscriber is down) and is counted missed at once; one the
 * subscriber took with it when killed is counted missed when STRAGGLER_MS
 * pass with no pong.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "message-queue.h"

#define STRAGGLER_MS 2000

static struct steady_s {
    scope_demo_t *demo;
    redisAsyncContext *pub, *sub; /* a subscribed connection can do nothing else: two */
    scope_trace_t pings;
    scope_pacer_t pacer;
    uv_timer_t straggler;
    long pinged, ponged, missed;
    int started, ended, killed;
} st;

static void end(void)
{
    if (st.ended)
        return;
    st.ended = 1;
    scope_demo_next(st.demo); /* the last step: main.c's on_lesson_end */
}

static void ping(scope_pacer_t *p);

/* One ping at a time: the next goes when this one is answered, or known lost. */
static void next(void)
{
    if (st.pinged < st.demo->count)
        scope_pacer_next(&st.pacer, ping);
    else
        end();
}

static void on_straggler(uv_timer_t *t)
{
    (void)t;
    scope_events_log("ping %ld reached the subscriber but never came back: it was killed "
                     "holding it", st.pinged);
    st.missed++;
    next();
}

static void on_ping_published(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)c, (void)priv;
    if (!r || st.ended)
        return;
    mq_t *m = st.demo->data;
    if (m->fault && strcmp(m->fault, "kill") == 0 && !st.killed && st.pinged == 3)
        st.killed = 1, mq_kill_subscriber(st.demo);
    if (r->integer == 0) {
        st.missed++; /* nobody subscribed: this ping is gone, it will never be answered */
        next();
    } else {
        uv_timer_start(&st.straggler, on_straggler, STRAGGLER_MS, 0);
    }
}

static void ping(scope_pacer_t *p)
{
    mq_t *m = p->demo->data;
    char text[64];
    int n = snprintf(text, sizeof text, "ping %ld %llu", ++st.pinged,
                     (unsigned long long)uv_hrtime());
    redisAsyncCommand(st.pub, on_ping_published, NULL, "PUBLISH %s %b", m->ping_ch, text,
                      (size_t)n);
    scope_trace_msg(&st.pings, SCOPE_TRACE_SEND, (uint64_t)st.pinged, text, (size_t)n, 0);
}

static void on_pong(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    long n;
    unsigned long long sent;
    (void)c, (void)priv;
    if (!r || st.ended || r->type != REDIS_REPLY_ARRAY || r->elements != 3)
        return;
    if (strcmp(r->element[0]->str, "subscribe") == 0) {
        /* the confirmation (step 3's lesson): only now can a pong reach us */
        scope_pacer_next(&st.pacer, ping);
        return;
    }
    if (sscanf(r->element[2]->str, "pong %ld %llu", &n, &sent) != 2)
        return;
    if (n != st.pinged)
        return; /* one counted lost already */
    uv_timer_stop(&st.straggler);
    st.ponged++;
    scope_trace_msg(&st.pings, SCOPE_TRACE_RECV, (uint64_t)n, r->element[2]->str,
                    r->element[2]->len, uv_hrtime() - sent);
    next();
}

void mq_steady(scope_demo_t *d)
{
    mq_t *m = d->data;
    st.demo = d;
    st.pub = mq_connect(d, &m->broker, NULL, N_("step 13"));
    st.sub = mq_connect(d, &m->broker, NULL, N_("step 13"));
    if (!st.pub || !st.sub) {
        end();
        return;
    }
    st.started = 1;
    scope_trace_init(&st.pings, MQ_CHAN, SCOPE_PID(getpid()), m->broker.end);
    scope_trace_stats_start(&st.pings, d->loop, 1000);
    scope_pacer_init(d, &st.pacer);
    uv_timer_init(d->loop, &st.straggler);
    scope_events_log("SUBSCRIBE %s; then PUBLISH %s \"ping N\" at --rate, which the subscriber "
                     "PUBLISHes back", m->pong_ch, m->ping_ch);
    redisAsyncCommand(st.sub, on_pong, NULL, "SUBSCRIBE %s", m->pong_ch);
}

void mq_steady_stop(scope_demo_t *d)
{
    (void)d;
    st.ended = 1;
    if (st.pub)
        redisAsyncDisconnect(st.pub);
    if (st.sub)
        redisAsyncDisconnect(st.sub);
    st.pub = st.sub = NULL;
    if (!st.started)
        return;
    st.started = 0;
    scope_pacer_close(&st.pacer);
    uv_close((uv_handle_t *)&st.straggler, NULL);
    scope_trace_close(&st.pings);
}

void mq_steady_bye(cJSON *summary, char *text, size_t n)
{
    char rtt[96];
    scope_trace_add_summary(&st.pings, summary);
    cJSON_AddNumberToObject(summary, "pings", (double)st.pinged);
    cJSON_AddNumberToObject(summary, "pongs", (double)st.ponged);
    cJSON_AddNumberToObject(summary, "missed", (double)st.missed);
    snprintf(text, n, scope_events_tr("pub/sub round trip: %s; %ld ping(s) missed (no subscriber)"),
             scope_trace_describe(&st.pings, rtt, sizeof rtt), st.missed);
}
