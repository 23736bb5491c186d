/* faults.c, the broker-fault step (--fault broker): the broker killed
 * mid-run. A client must expect its broker to go away (a crash, a restart,
 * a failover). On a redis-server of this step's own (appendonly, so it
 * comes back on the same socket), a subscriber and a publisher exchange a
 * tick every TICK_MS; once the fifth has arrived, the server is SIGKILLed.
 *
 *   - hiredis calls each connection's disconnect callback; a PUBLISH whose
 *     reply never came is not counted as delivered;
 *   - the clients reconnect with a backoff that doubles (100 ms, 200 ms,
 *     ... at most BACKOFF_MAX_MS), each attempt narrated with its error;
 *   - a tick while there is no connection is not published, and said so;
 *   - the server is back after DOWN_MS (as a supervisor restarts it); the
 *     subscriber SUBSCRIBEs again (a new connection has no subscriptions).
 * In the end what PUBLISH's replies counted is what the subscriber got.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/adapters/libuv.h>

#include "events.h"
#include "message-queue.h"

#define TICK_MS        100
#define DOWN_MS        1500
#define BACKOFF_MAX_MS 1600
#define AFTER          5 /* ticks delivered after the return */

static struct fault_s {
    scope_demo_t *demo;
    scope_redis_t server;
    redisAsyncContext *pub, *sub;
    int pub_up, sub_up;
    scope_trace_t trace;
    uv_timer_t tick, retry, restart;
    char ch[48];
    long ticks, published, delivered, received, unsent, lost, attempts, after;
    uint64_t down_ns;
    int killed, back, backoff_ms, timers, ended, finished;
} bf;

static void try_connect(void);

static void finish(void)
{
    if (!bf.finished && !bf.demo->quitting)
        scope_demo_next(bf.demo);
    bf.finished = 1;
}

static void end(void)
{
    if (bf.ended)
        return;
    bf.ended = 1;
    if (bf.timers) {
        uv_close((uv_handle_t *)&bf.tick, NULL);
        uv_close((uv_handle_t *)&bf.retry, NULL);
        uv_close((uv_handle_t *)&bf.restart, NULL);
    }
    bf.timers = 0;
    if (bf.pub)
        redisAsyncDisconnect(bf.pub);
    if (bf.sub)
        redisAsyncDisconnect(bf.sub);
    scope_demo_figure(bf.demo, "broker_fault.published", cJSON_CreateNumber((double)bf.published));
    scope_demo_figure(bf.demo, "broker_fault.delivered", cJSON_CreateNumber((double)bf.delivered));
    scope_demo_figure(bf.demo, "broker_fault.received", cJSON_CreateNumber((double)bf.received));
    scope_demo_figure(bf.demo, "broker_fault.unsent", cJSON_CreateNumber((double)bf.unsent));
    scope_demo_figure(bf.demo, "broker_fault.lost_in_flight", cJSON_CreateNumber((double)bf.lost));
    scope_demo_figure(bf.demo, "broker_fault.attempts", cJSON_CreateNumber((double)bf.attempts));
    scope_redis_stop(&bf.server); /* its exit ends the step */
    if (!bf.server.running)
        finish();
}

/* Over once AFTER ticks went through since the return, and the subscriber
 * has every tick PUBLISH counted (or, should one never come, a while later:
 * a PUBLISH reply counts the subscribers a message was queued for, not the
 * ones that read it). */
static void check_end(void)
{
    if (bf.back && ((bf.after >= AFTER && bf.received == bf.delivered) || bf.after >= 4 * AFTER)) {
        scope_events_log("%ld ticks: %ld PUBLISH replies counted %ld delivered, the subscriber "
                         "received %ld; %ld not published while the broker was down, %ld lost "
                         "in flight (no reply: not counted)",
                         bf.ticks, bf.published, bf.delivered, bf.received, bf.unsent, bf.lost);
        end();
    }
}

static void on_published(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)c;
    if (!r) { /* the connection died first: maybe delivered, never claimed */
        bf.lost++;
        scope_events_log("tick %ld: no reply to PUBLISH, the connection is gone: not counted "
                         "as delivered",
                         (long)(intptr_t)priv);
        return;
    }
    bf.published++;
    bf.delivered += r->integer;
    bf.after += bf.back && r->integer > 0;
    check_end();
}

static void on_tick(uv_timer_t *t)
{
    (void)t;
    char text[32];
    int n = snprintf(text, sizeof text, "tick %ld", ++bf.ticks);
    if (!bf.pub_up) {
        if (bf.unsent++ == 0)
            scope_events_log("%s: not published, no connection to the broker: counted as not "
                             "sent, never as delivered (and so on while it is down)",
                             text);
        return;
    }
    redisAsyncCommand(bf.pub, on_published, (void *)(intptr_t)bf.ticks, "PUBLISH %s %b", bf.ch,
                      text, (size_t)n);
    scope_trace_send(&bf.trace, text, (size_t)n);
}

static void on_message(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)c, (void)priv;
    if (!r || bf.ended || r->type != REDIS_REPLY_ARRAY || r->elements != 3)
        return;
    if (strcmp(r->element[0]->str, "subscribe") == 0) {
        if (bf.killed && !bf.back) {
            bf.back = 1;
            scope_events_log("reconnected after %ld attempt(s), %.1f s without a broker; "
                             "SUBSCRIBE %s again: confirmed",
                             bf.attempts, (double)(uv_hrtime() - bf.down_ns) / 1e9, bf.ch);
        } else if (!bf.killed) {
            uv_timer_start(&bf.tick, on_tick, 0, TICK_MS);
        }
        return;
    }
    bf.received++;
    scope_trace_recv(&bf.trace, r->element[2]->str, r->element[2]->len);
    /* the fifth tick has arrived, so none is in flight: now the kill */
    if (!bf.killed && bf.received >= 5) {
        bf.killed = 1;
        bf.down_ns = uv_hrtime();
        scope_events_log("kill(%d, SIGKILL): the broker dies mid-run", (int)bf.server.pid);
        kill(bf.server.pid, SIGKILL);
    }
    check_end();
}

static void on_disconnect(const redisAsyncContext *c, int status)
{
    int was_pub = c == bf.pub;
    if (was_pub)
        bf.pub = NULL, bf.pub_up = 0;
    else if (c == bf.sub)
        bf.sub = NULL, bf.sub_up = 0;
    if (bf.ended || bf.demo->quitting)
        return;
    scope_events_log("the %s's connection is gone (%s): reconnecting, backoff from 100 ms",
                     was_pub ? scope_events_tr("publisher") : scope_events_tr("subscriber"),
                     status == REDIS_OK ? scope_events_tr("closed") : c->errstr);
    bf.backoff_ms = 100;
    if (!uv_is_active((uv_handle_t *)&bf.retry))
        uv_timer_start(&bf.retry, (uv_timer_cb)try_connect, bf.backoff_ms, 0);
}

/* A failed attempt: the next one after twice the wait, at most BACKOFF_MAX_MS. */
static void retry_later(const char *why)
{
    if (bf.ended || uv_is_active((uv_handle_t *)&bf.retry))
        return;
    scope_events_log("reconnect attempt %ld: connect(%s): %s; next in %d ms", bf.attempts,
                     bf.server.sock, why, bf.backoff_ms);
    uv_timer_start(&bf.retry, (uv_timer_cb)try_connect, (uint64_t)bf.backoff_ms, 0);
    bf.backoff_ms = bf.backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : bf.backoff_ms * 2;
}

static void on_connect(const redisAsyncContext *c, int status)
{
    if (status == REDIS_OK) {
        if (c == bf.pub)
            bf.pub_up = 1;
        else if (c == bf.sub && !bf.sub_up) {
            bf.sub_up = 1;
            redisAsyncCommand(bf.sub, on_message, NULL, "SUBSCRIBE %s", bf.ch);
        }
        return;
    }
    if (c == bf.pub) /* hiredis frees it after this callback */
        bf.pub = NULL;
    else if (c == bf.sub)
        bf.sub = NULL;
    retry_later(c->errstr);
}

static redisAsyncContext *connect_one(void)
{
    redisAsyncContext *c = redisAsyncConnectUnix(bf.server.sock);
    if (!c || c->err) {
        retry_later(c ? c->errstr : scope_events_tr("out of memory"));
        if (c)
            redisAsyncFree(c);
        return NULL;
    }
    redisLibuvAttach(c, bf.demo->loop);
    redisAsyncSetConnectCallback(c, on_connect);
    redisAsyncSetDisconnectCallback(c, on_disconnect);
    return c;
}

static void try_connect(void)
{
    if (bf.ended)
        return;
    if (bf.killed)
        bf.attempts++;
    if (!bf.sub)
        bf.sub = connect_one();
    if (!bf.pub)
        bf.pub = connect_one();
}

static void on_restart(uv_timer_t *t)
{
    (void)t;
    int e = scope_redis_start(bf.demo->loop, &bf.server, NULL);
    if (scope_demo_check(bf.demo, e == 0, "redis-server", "cannot start it again: %s",
                         strerror(-e)))
        scope_events_log("redis-server again (pid %d), on the same socket, as a supervisor "
                         "would restart it",
                         (int)bf.server.pid);
    else
        end();
}

static void on_ready(scope_redis_t *r, int status)
{
    if (!scope_demo_check(bf.demo, status == 0, "redis-server", "this step's server: %s",
                          strerror(-status))) {
        end();
        return;
    }
    if (!bf.killed) {
        scope_trace_init(&bf.trace, MQ_CHAN, SCOPE_PID(getpid()), SCOPE_PID(r->pid));
        try_connect();
    } else {
        scope_trace_set_peer(&bf.trace, SCOPE_PID(r->pid));
    }
}

static void on_exit_server(scope_redis_t *r, int code, int sig)
{
    (void)r, (void)code;
    if (bf.ended || bf.demo->quitting) {
        finish();
        return;
    }
    scope_events_log("redis-server died (signal %d): back in %d ms", sig, DOWN_MS);
    uv_timer_start(&bf.restart, on_restart, DOWN_MS, 0);
}

void mq_broker_fault(scope_demo_t *d)
{
    mq_t *m = d->data;
    bf.demo = d;
    if (!m->fault || strcmp(m->fault, "broker") != 0 || m->redis) {
        scope_events_log("--fault broker kills a redis-server of this step's own mid-run%s",
                         m->redis ? scope_events_tr(" (not with --redis: that server is not ours)")
                                  : "");
        bf.ended = bf.finished = 1;
        scope_demo_next(d);
        return;
    }
    snprintf(bf.ch, sizeof bf.ch, "ipcscope:%d:ticks", (int)getpid());
    uv_timer_init(d->loop, &bf.tick);
    uv_timer_init(d->loop, &bf.retry);
    uv_timer_init(d->loop, &bf.restart);
    bf.timers = 1;
    bf.server.appendonly = 1; /* its directory, and so its socket path, outlive a crash */
    bf.server.on_ready = on_ready;
    bf.server.on_exit = on_exit_server;
    int e = scope_redis_start(d->loop, &bf.server, NULL);
    if (!scope_demo_check(d, e == 0, "redis-server", "cannot start: %s", strerror(-e)))
        end();
}

void mq_broker_fault_stop(scope_demo_t *d)
{
    (void)d;
    bf.finished = 1; /* a stop never moves the lesson on */
    if (bf.demo && !bf.ended)
        end();
}
