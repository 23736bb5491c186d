/* persist.c, the persistence step: the stream survives the broker. Step
 * 1's server keeps nothing on disk, on purpose; this step starts a second
 * redis-server with --appendonly yes --appendfsync always (lib/broker's
 * appendonly): every write is in DIR/appendonlydir before its reply.
 *
 *   1. XADD three entries, XGROUP CREATE, one XREADGROUP that is never
 *      acknowledged.
 *   2. kill -9 the server: no shutdown, no chance to save anything.
 *   3. redis-server again, in the same directory: it replays the
 *      append-only file. XLEN says 3, XPENDING says 1: the entries and the
 *      group's pending entry are still there.
 *
 * With --redis the server is not ours to kill: the step says so and
 * goes on.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "message-queue.h"

#define KEPT 3

static struct persist_s {
    scope_demo_t *demo;
    scope_redis_t server;
    redisAsyncContext *c;
    scope_trace_t trace;
    uv_timer_t again;
    int restarted, again_open, ended, finished;
} ps;

static void on_connected_ready(scope_redis_t *r, int status);

static void on_disconnect(const redisAsyncContext *c, int status)
{
    (void)status;
    if (c == ps.c)
        ps.c = NULL; /* hiredis frees it */
}

static redisAsyncContext *connect_server(void)
{
    mq_broker_t b = {0};
    char url[PATH_MAX + 8];
    snprintf(url, sizeof url, "unix:%s", ps.server.sock);
    mq_broker_set(&b, url, ps.server.pid);
    redisAsyncContext *c = mq_connect(ps.demo, &b, NULL, N_("the persistence step"));
    if (c)
        redisAsyncSetDisconnectCallback(c, on_disconnect);
    return c;
}

/* once: the server is gone, the next step may start */
static void finish(void)
{
    if (!ps.finished && !ps.demo->quitting)
        scope_demo_next(ps.demo);
    ps.finished = 1;
}

static void end(void)
{
    if (ps.ended)
        return;
    ps.ended = 1;
    if (ps.c)
        redisAsyncDisconnect(ps.c);
    ps.c = NULL;
    if (ps.again_open)
        uv_close((uv_handle_t *)&ps.again, NULL);
    ps.again_open = 0;
    scope_redis_stop(&ps.server); /* its exit ends the step */
    if (!ps.server.running)
        finish();
}

static void on_pending(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)c, (void)priv;
    if (!r || ps.ended)
        return;
    long long n = r->type == REDIS_REPLY_ARRAY && r->elements == 4 ? r->element[0]->integer : -1;
    scope_events_log("XPENDING ipcscope:kept workers -> %lld pending: the group, and the "
                     "entry it handed out and never saw acknowledged, came back too",
                     n);
    scope_demo_figure(ps.demo, "persist.pending_after_restart", cJSON_CreateNumber((double)n));
    end();
}

static void on_xlen(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)priv;
    if (!r || ps.ended)
        return;
    scope_events_log("after the restart: XLEN ipcscope:kept -> (integer) %lld: the stream is "
                     "still there, read back from the append-only file",
                     r->integer);
    scope_demo_figure(ps.demo, "persist.kept", cJSON_CreateNumber((double)r->integer));
    redisAsyncCommand(c, on_pending, NULL, "XPENDING ipcscope:kept workers");
}

static void on_read(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)c, (void)priv;
    if (!r || ps.ended)
        return;
    /* all of it is in DIR/appendonlydir already (appendfsync always) */
    scope_events_log("XREADGROUP GROUP workers dave COUNT 1: one entry handed out, never "
                     "XACKed; now kill(%d, SIGKILL): the server dies without a shutdown",
                     (int)ps.server.pid);
    kill(ps.server.pid, SIGKILL);
}

static void on_again(uv_timer_t *t)
{
    (void)t;
    int e = scope_redis_start(ps.demo->loop, &ps.server, NULL);
    if (!scope_demo_check(ps.demo, e == 0, "redis-server", "cannot start it again: %s",
                          strerror(-e)))
        end();
}

static void on_server_exit(scope_redis_t *r, int code, int sig)
{
    (void)code;
    if (ps.ended || ps.demo->quitting) {
        finish();
        return;
    }
    scope_events_log("redis-server %s (signal %d); %s/appendonlydir stays. Starting "
                     "redis-server again in the same directory",
                     ps.restarted ? scope_events_tr("died") : scope_events_tr("killed"), sig,
                     r->dir);
    ps.restarted++;
    uv_timer_start(&ps.again, on_again, 100, 0);
}

static void on_connected_ready(scope_redis_t *r, int status)
{
    if (!scope_demo_check(ps.demo, status == 0, "redis-server", "the appendonly server: %s",
                          strerror(-status)) ||
        ps.demo->quitting || !(ps.c = connect_server())) {
        end();
        return;
    }
    if (ps.restarted) {
        redisAsyncCommand(ps.c, on_xlen, NULL, "XLEN ipcscope:kept");
        return;
    }
    scope_trace_init(&ps.trace, MQ_CHAN, SCOPE_PID(getpid()), SCOPE_PID(r->pid));
    scope_events_log("redis-server (pid %d) --appendonly yes --appendfsync always on %s: "
                     "every write reaches the disk before its reply",
                     (int)r->pid, r->sock);
    redisAsyncCommand(ps.c, NULL, NULL, "XGROUP CREATE ipcscope:kept workers $ MKSTREAM");
    for (int i = 1; i <= KEPT; i++) {
        char text[16];
        int n = snprintf(text, sizeof text, "kept %d", i);
        redisAsyncCommand(ps.c, NULL, NULL, "XADD ipcscope:kept * text %s", text);
        scope_trace_send(&ps.trace, text, (size_t)n);
    }
    redisAsyncCommand(ps.c, on_read, NULL,
                      "XREADGROUP GROUP workers dave COUNT 1 STREAMS "
                      "ipcscope:kept >");
}

void mq_persist(scope_demo_t *d)
{
    mq_t *m = d->data;
    ps.demo = d;
    if (m->redis) {
        scope_events_log("--redis %s: not ours to kill and restart; see the lesson for the "
                         "appendonly settings to check on it",
                         m->redis);
        ps.ended = ps.finished = 1;
        scope_demo_next(d);
        return;
    }
    ps.server.appendonly = 1;
    ps.server.on_ready = on_connected_ready;
    ps.server.on_exit = on_server_exit;
    uv_timer_init(d->loop, &ps.again);
    ps.again_open = 1;
    int e = scope_redis_start(d->loop, &ps.server, NULL);
    if (!scope_demo_check(d, e == 0, "redis-server", "cannot start: %s", strerror(-e)))
        end();
}

void mq_persist_stop(scope_demo_t *d)
{
    (void)d;
    ps.finished = 1; /* a stop never moves the lesson on */
    if (ps.demo)
        end();
}
