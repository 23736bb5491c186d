/* message-queue: Redis pub/sub on a real redis-server, as articles 000, 001
 * and 004 write it, with the lid off.
 *
 *   1. The broker: a redis-server of our own on a Unix socket in a private
 *      0700 directory, no TCP port (lib/broker), or --redis URL.
 *   2. Two processes, two connections: the subscriber (this program again,
 *      subscriber.c) sends SUBSCRIBE channel my-channel; once PUBSUB NUMSUB
 *      says it listens, the publisher sends PUBLISH channel hello, then
 *      PUBLISH my-channel "This is a cross-process message". The reply to
 *      PUBLISH is how many subscribers got it.
 *   3. Back to back on fresh connections, as the articles do: the PUBLISH
 *      may land before the SUBSCRIBE, and says 0: the message is gone (race.c).
 *   4. A subscriber that is down misses everything published meanwhile:
 *      pub/sub stores nothing (missed.c).
 *   5. A work queue that keeps its tasks: LPUSH, a worker's BLMOVE to a
 *      processing list, a killed worker's task put back with LMOVE (queue.c).
 *   6. The steady part: PUBLISH ping N on one channel, the subscriber
 *      PUBLISHes it back on another, the round trip is timed (steady.c).
 *
 * Step 1's server is started in server.c; this file holds the connection,
 * the subscriber's life (started, waited for, killed, started again) and
 * the articles' PUBLISHes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/adapters/libuv.h>

#include "events.h"
#include "message-queue.h"

static void subscriber_wait(mq_t *m);

/* ---- the connection: hiredis on our libuv loop ------------------------- */

static void on_connected(const redisAsyncContext *c, int status)
{
    if (status != REDIS_OK)
        scope_events_error("redis", "connect: %s", c->errstr);
}

/* who: marked N_() by the caller, named in the narration's language. */
redisAsyncContext *mq_connect(scope_demo_t *d, const mq_broker_t *b, void *data, const char *who)
{
    /* A non-blocking connect(); the adapter puts the fd in a uv_poll_t. */
    redisAsyncContext *c = b->path[0] ? redisAsyncConnectUnix(b->path)
                                      : redisAsyncConnect(b->host, b->port);
    if (!c || c->err) {
        scope_demo_check(d, 0, "redis", "%s cannot connect to %s: %s", scope_events_tr(who),
                         b->url, c ? c->errstr : scope_events_tr("out of memory"));
        if (c)
            redisAsyncFree(c);
        return NULL;
    }
    c->data = data;
    if (b->lean)
        mq_attach_lean(c, d->loop); /* attach.c: what the bench found the adapter costs */
    else
        redisLibuvAttach(c, d->loop);
    redisAsyncSetConnectCallback(c, on_connected);
    return c;
}

/* ---- step 2: SUBSCRIBE, PUBLISH, as the articles write them ----------- */

static void on_subscriber_exit(scope_role_t *r, int code, int sig);
static void on_subscriber_report(scope_role_t *r, const cJSON *fig);
static void ask_numsub(uv_timer_t *t);
/* The loop never sleeps: what waits, waits on a timer. */
static void later(mq_t *m, uint64_t ms, uv_timer_cb cb)
{
    if (!m->later.data) {
        uv_timer_init(m->demo->loop, &m->later);
        m->later.data = m;
    }
    uv_timer_start(&m->later, cb, ms, 0);
}

static void on_restart(uv_timer_t *t)
{
    mq_t *m = t->data;
    m->restart_pending = 0;
    m->restarts++;
    if (!m->quitting)
        subscriber_wait(m);
}

static int subscriber_start(mq_t *m)
{
    char pid[24];
    snprintf(pid, sizeof pid, "%ld", m->broker.pid);
    const char *args[] = {"--redis", m->broker.url, "--server-pid", pid,
                          m->broker.lean ? "--attach" : NULL, "lean", NULL};
    scope_role_options_t o = {.argv = args};
    m->subscriber.data = m;
    m->subscriber.on_exit = on_subscriber_exit;
    m->subscriber.on_report = on_subscriber_report;
    return scope_role_spawn(m->demo, &m->subscriber, "subscriber", &o);
}

static void on_numsub(redisAsyncContext *c, void *reply, void *priv)
{
    mq_t *m = c->data;
    redisReply *r = reply;
    (void)priv;
    if (!r || m->quitting || m->restart_pending) /* a restart asks again */
        return;
    /* ["ping channel", N]: N connections subscribe to it now */
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->integer > 0) {
        scope_events_log("PUBSUB NUMSUB %s -> 1: the subscriber listens; only now is a "
                         "PUBLISH sure to reach it", m->ping_ch);
        if (m->on_subscribed)
            m->on_subscribed(m);
        return;
    }
    later(m, 5, ask_numsub); /* the subscriber starts in milliseconds */
}

static void ask_numsub(uv_timer_t *t)
{
    mq_t *m = t->data;
    if (!m->quitting)
        redisAsyncCommand(m->pub, on_numsub, NULL, "PUBSUB NUMSUB %s", m->ping_ch);
}

/* Starts the subscriber and asks PUBSUB NUMSUB until it listens. */
static void subscriber_wait(mq_t *m)
{
    if (subscriber_start(m) < 0) {
        scope_demo_check(m->demo, 0, "subscriber", "cannot start it");
        return;
    }
    redisAsyncCommand(m->pub, on_numsub, NULL, "PUBSUB NUMSUB %s", m->ping_ch);
}

/* Step 2 is over when the server has taken the last PUBLISH and the
 * subscriber says (a report on its relay) that it printed it: a PUBLISH's
 * count means queued for the subscriber, not read by it, and step 4 kills
 * the subscriber. */
static void articles_done(mq_t *m, int what)
{
    if (m->articles == 3)
        return;
    m->articles |= what;
    if (m->articles == 3)
        scope_demo_next(m->demo);
}

static void on_subscriber_report(scope_role_t *r, const cJSON *fig)
{
    if (cJSON_GetObjectItemCaseSensitive(fig, "received"))
        articles_done(r->data, 2);
}

static void on_published(redisAsyncContext *c, void *reply, void *priv)
{
    mq_t *m = c->data;
    redisReply *r = reply;
    if (!r)
        return;
    scope_events_log("PUBLISH %s -> (integer) %lld: %s", (const char *)priv, r->integer,
                     r->integer ? scope_events_tr("that many subscribers got it")
                                 : scope_events_tr("nobody got it"));
    if (strcmp(priv, MQ_MY_CHANNEL) == 0)
        articles_done(m, 1);
}

static void publish_articles(mq_t *m)
{
    static const char *hello = "hello", *cross = "This is a cross-process message";
    m->on_subscribed = NULL;
    redisAsyncCommand(m->pub, on_published, MQ_CHANNEL, "PUBLISH %s %s", MQ_CHANNEL, hello);
    scope_trace_send(&m->trace, hello, strlen(hello));
    redisAsyncCommand(m->pub, on_published, MQ_MY_CHANNEL, "PUBLISH %s %s", MQ_MY_CHANNEL, cross);
    scope_trace_send(&m->trace, cross, strlen(cross));
}

void mq_pubsub(scope_demo_t *d)
{
    mq_t *m = d->data;
    m->pub = mq_connect(d, &m->broker, m, N_("the publisher"));
    if (!m->pub) {
            mq_quit(d);
            return;
        }
    snprintf(m->ping_ch, sizeof m->ping_ch, "ipcscope:%d:ping", (int)getpid());
    snprintf(m->pong_ch, sizeof m->pong_ch, "ipcscope:%d:pong", (int)getpid());
    scope_trace_init(&m->trace, MQ_CHAN, SCOPE_PID(getpid()), m->broker.end);
    scope_trace_open(&m->trace, m->broker.path[0] ? "unix" : "tcp", m->broker.url);
    m->on_subscribed = publish_articles;
    subscriber_wait(m);
}

/* The subscriber is gone (killed, or k in the dashboard): whatever is
 * published until it is back is lost. It is back in a second. */
static void on_subscriber_exit(scope_role_t *r, int code, int sig)
{
    mq_t *m = r->data;
    if (m->quitting) {
        scope_redis_stop(&m->server); /* last: the subscriber has let go */
        if (!m->server.running)
            scope_demo_stop(m->demo);
        return;
    }
    scope_events_log("the subscriber is down (code %d, signal %d): every PUBLISH until it "
                     "is back reaches nobody; starting it again in 1 s", code, sig);
    m->restart_pending = 1;
    later(m, 1000, on_restart);
}

void mq_kill_subscriber(scope_demo_t *d)
{
    mq_t *m = d->data;
    if (m->subscriber.running && scope_role_kill(&m->subscriber, SIGKILL) == 0)
        scope_events_log("kill(%d, SIGKILL): the subscriber is gone", (int)m->subscriber.pid);
}

void mq_quit(scope_demo_t *d)
{
    mq_t *m = d->data;
    if (m->quitting)
        return;
    m->quitting = 1;
    if (m->later.data)
        uv_close((uv_handle_t *)&m->later, NULL);
    if (m->trace.opened)
        scope_trace_close(&m->trace);
    if (m->pub)
        redisAsyncDisconnect(m->pub);
    m->pub = NULL;
    if (m->subscriber.running)
        scope_role_kill(&m->subscriber, SIGTERM); /* its exit stops the server */
    else {
        scope_redis_stop(&m->server);
        if (!m->server.running)
            scope_demo_stop(d);
    }
}
