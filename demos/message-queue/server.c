/* server.c, step 1: the broker. By default a redis-server of our own
 * (lib/broker: a Unix socket in a private 0700 directory, no TCP port,
 * nothing on disk), or the server --redis names, checked with a PING so
 * that a URL where nothing answers is an error that names it.
 *
 * It sets mq_t's broker and server; message-queue.c reads them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "message-queue.h"

int mq_broker_set(mq_broker_t *b, const char *url, long pid)
{
    snprintf(b->url, sizeof b->url, "%s", url);
    b->pid = pid;
    b->end = pid > 0 ? SCOPE_PID(pid) : SCOPE_PEER("redis-server");
    return scope_redis_url_parse(url, b->path, sizeof b->path, b->host, sizeof b->host,
                                 &b->port);
}

/* ---- step 1: the broker ------------------------------------------------ */

static void on_server_ready(scope_redis_t *r, int status)
{
    mq_t *m = r->data;
    if (!scope_demo_check(m->demo, status == 0, "redis-server", "no PING answer: %s",
                          strerror(-status))) {
        mq_quit(m->demo);
        return;
    }
    char url[PATH_MAX + 8];
    snprintf(url, sizeof url, "unix:%s", r->sock);
    mq_broker_set(&m->broker, url, r->pid);
    scope_events_log("redis-server (pid %d) answers PING on %s: --port 0 (no TCP port), "
                     "--unixsocketperm 700 in a 0700 directory, --save '' (nothing on disk)",
                     (int)r->pid, r->sock);
    scope_demo_next(m->demo);
}

static void on_server_exit(scope_redis_t *r, int code, int sig)
{
    mq_t *m = r->data;
    scope_demo_stop(m->demo);
    if (m->quitting)
        return;
    /* The broker died under us: every connection to it is gone (hiredis has
     * freed them), nothing published now can be delivered. Reconnecting is
     * not taught yet: the run ends here, with an error, and main.c's way
     * out kills the roles. */
    scope_demo_check(m->demo, 0, "redis-server", "exited under us (code %d, signal %d): the "
                     "run ends; nothing published from now on could be delivered", code, sig);
    uv_stop(m->demo->loop);
}

void mq_broker(scope_demo_t *d)
{
    mq_t *m = d->data;
    if (m->redis) {
        if (mq_broker_set(&m->broker, m->redis, -1) < 0) {
            scope_demo_check(d, 0, "--redis", "%s: not unix:PATH or redis://HOST:PORT", m->redis); {
                mq_quit(d);
                return;
            }
        }
        mq_broker_t *b = &m->broker;
        int e = scope_redis_ping(b->path[0] ? b->path : NULL, b->host, b->port, 2000);
        if (!scope_demo_check(d, e == 0, "redis", "nothing answers PING at %s: %s", b->url,
                              strerror(-e))) {
                mq_quit(d);
                return;
            }
        scope_events_log("redis-server at %s answers PING: we use it", b->url); {
            scope_demo_next(d);
            return;
        }
    }
    m->server.data = m;
    m->server.on_ready = on_server_ready;
    m->server.on_exit = on_server_exit;
    int e = scope_redis_start(d->loop, &m->server, NULL);
    if (!scope_demo_check(d, e == 0, "redis-server", "cannot start: %s", strerror(-e))) {
            mq_quit(d);
            return;
        }
    scope_events_log("execve(\"redis-server\", --port 0 --unixsocket %s): pid %d; waiting "
                     "for it to answer PING", m->server.sock, (int)m->server.pid);
}

