/* fanout.c, step 8: beyond one process, article 001's "SSE/WebSocket
 * broadcast -> Redis pub/sub":
 *
 *   1. a private redis-server (lib/broker: a Unix socket in a 0700
 *      directory, no TCP port, nothing on disk), as the message-queue demo
 *      starts it;
 *   2. two servers, this program again: `http --role 'server 1' --redis
 *      unix:PATH` and server 2 (redis_fanout.c); each SUBSCRIBEs, then
 *      reports its port;
 *   3. on this loop, for each server, a WebSocket client (ws1, ws2) and an
 *      /events subscriber, as a browser's EventSource, that reads the raw
 *      stream (ev1, ev2), in fanout_clients.c;
 *   4. once all four are in, ws1 says hello to server 1 and ws2 to server
 *      2; each server PUBLISHes what it heard, Redis hands it to both, and
 *      each sends it to its own clients;
 *   5. every client must get both messages, once each, within DEADLINE_MS;
 *      then the clients close, the servers get SIGTERM, then redis-server.
 */
#include <errno.h>
#include <signal.h>

#include "broker.h"
#include "http.h"

#define DEADLINE_MS 5000

static struct {
    scope_demo_t *d;
    scope_redis_t redis;
    scope_role_t srv[2];
    uv_timer_t deadline;
    int ready, roles, over, active;
} f;

static void roles_gone(void)
{
    if (!f.active)
        return;
    if (f.redis.running) {
        scope_redis_stop(&f.redis); /* last: the servers have let go */
        return;
    }
    f.active = 0;
    if (!f.d->quitting)
        scope_demo_next(f.d);
}

/* The end, all in, timed out, or quit: what each client got, then wind down. */
static void end(int check)
{
    if (f.over++)
        return;
    uv_close((uv_handle_t *)&f.deadline, NULL);
    fanout_clients_end(check);
    if (check)
        scope_events_log("each of the four clients got both messages once: a client of server "
                         "1 is heard by server 2's, through PUBLISH on one server and the SUBSCRIBE "
                         "of both; pub/sub keeps nothing for a server that is not there");
    for (int i = 0; i < 2; i++)
        if (f.srv[i].running)
            scope_role_kill(&f.srv[i], SIGTERM);
    if (!f.roles)
        roles_gone();
}

static void on_deadline(uv_timer_t *t)
{
    (void)t;
    scope_events_error("fanout", "not every client had both messages after %d ms",
                       DEADLINE_MS);
    end(1);
}

static void on_over(int ok)
{
    end(ok);
}

static void on_report(scope_role_t *r, const cJSON *fig)
{
    static int port[2];
    int i = r == &f.srv[1];
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(fig, "port");
    char key[48];
    if (cJSON_IsNumber(p)) { /* subscribed and listening */
        port[i] = p->valueint;
        if (++f.ready == 2 && !f.over) {
            fanout_clients_start(f.d, port, on_over);
            uv_timer_start(&f.deadline, on_deadline, DEADLINE_MS, 0);
        }
        return;
    }
    for (const cJSON *v = fig ? fig->child : NULL; v; v = v->next) { /* its figures, at its end */
        snprintf(key, sizeof key, "fanout.server_%d_%s", 1 + i, v->string);
        scope_demo_figure(f.d, key, cJSON_Duplicate(v, 1));
    }
}

static void on_role_exit(scope_role_t *r, int code, int sig)
{
    if (!f.over) /* a server died before the end: the step cannot go on */
        scope_demo_check(f.d, 0, r->name, "exited early (code %d, signal %d)", code, sig);
    end(0);
    if (--f.roles == 0)
        roles_gone();
}

static void on_redis_exit(scope_redis_t *r, int code, int sig)
{
    (void)r;
    if (!f.over)
        scope_demo_check(f.d, 0, "redis-server", "exited under us (code %d, signal %d)", code,
                         sig);
    end(0);
    if (!f.roles)
        roles_gone();
}

static void on_redis_ready(scope_redis_t *r, int status)
{
    char url[PATH_MAX + 8], pid[24];
    if (!scope_demo_check(f.d, status == 0, "redis-server", "no PING answer: %s",
                          strerror(-status))) {
        end(0);
        return;
    }
    snprintf(url, sizeof url, "unix:%s", r->sock);
    snprintf(pid, sizeof pid, "%d", (int)r->pid);
    scope_events_log("redis-server (pid %d) answers PING on %s; two servers, each this "
                     "program again with --redis %s", (int)r->pid, r->sock, url);
    const char *args[] = {"--redis", url, "--redis-pid", pid, NULL};
    for (int i = 0; i < 2 && !f.over; i++) {
        f.srv[i].on_report = on_report;
        f.srv[i].on_exit = on_role_exit;
        if (scope_role_spawn(f.d, &f.srv[i], i ? "server 2" : "server 1",
                             &(scope_role_options_t){.argv = args}) == 0)
            f.roles++;
        else if (!scope_demo_check(f.d, 0, "fanout", "cannot start server %d", 1 + i))
            end(0);
    }
}

void fanout_run(scope_demo_t *d)
{
    char path[PATH_MAX];
    f.d = d;
    if (scope_spawn_which("redis-server", path, sizeof path) < 0) {
        scope_events_log("redis-server is not installed (apt install redis-server): this step "
                         "is skipped");
        scope_demo_figure(d, "fanout.skipped", cJSON_CreateString("no redis-server"));
        scope_demo_next(d);
        return;
    }
    f.redis = (scope_redis_t){.on_ready = on_redis_ready, .on_exit = on_redis_exit};
    uv_timer_init(d->loop, &f.deadline);
    f.active = 1;
    int e = scope_redis_start(d->loop, &f.redis, NULL);
    if (!scope_demo_check(d, e == 0, "redis-server", "cannot start: %s", strerror(-e))) {
        end(0);
        return;
    }
    scope_events_log("execve(\"redis-server\", --port 0 --unixsocket %s): pid %d, the broker "
                     "both servers will share", f.redis.sock, (int)f.redis.pid);
}

void fanout_stop(void)
{
    if (f.active) /* quit mid-step: the clients, the servers, then redis-server */
        end(0);
}