/* redis_fanout.c: one server of several that make one chat through Redis
 * pub/sub, article 001's row "SSE/WebSocket broadcast -> Redis pub/sub".
 * Step 8 starts two (this program again, `http --role 'server 1' --redis
 * unix:PATH`); by hand, `http --redis redis://HOST:6379 --listen
 * 0.0.0.0:3001` on each of two machines does the same across them.
 *
 *   1. The same server as always (http.c), with its /ws and /events routes.
 *   2. Two connections to redis-server (hiredis, on this libuv loop through
 *      its adapter): one SUBSCRIBEs to CHANNEL, and from then on can send
 *      nothing but (P)(UN)SUBSCRIBE and PING; the other PUBLISHes.
 *   3. A text message from one of our WebSocket clients is not broadcast
 *      here: ws.c hands it to publish(), PUBLISH CHANNEL TEXT. Redis's
 *      reply is how many subscribers (servers) it reached.
 *   4. Every server, this one too, gets it back on its SUBSCRIBE connection
 *      as ["message", CHANNEL, TEXT] and sends it to its own clients: a
 *      frame to each WebSocket (ws_broadcast), an event to each /events
 *      stream (sse_event). A client of server 1 is heard by the clients of server 2, and
 *      nobody hears a message twice.
 */
#include <errno.h>

#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "broker.h"
#include "http.h"

#define CHANNEL "ipcscope:http:broadcast"

static struct {
    scope_demo_t *d;
    http_server_t *s;
    redisAsyncContext *sub, *pub;
    scope_trace_t trace; /* chan "pubsub": PUBLISH out, messages in */
    char url[PATH_MAX + 8], path[PATH_MAX], host[256];
    int port, said_ready, quit;
    long published, relayed;
} f;

static void on_quit(scope_demo_t *d);

/* A server with no broker is no server of the chat: the run ends, exit 1. */
static void on_connected(const redisAsyncContext *c, int status)
{
    if (status == REDIS_OK)
        return;
    scope_events_error("redis", "connect to %s: %s", f.url, c->errstr);
    if (c == f.sub) /* hiredis frees it after this call */
        f.sub = NULL;
    if (c == f.pub)
        f.pub = NULL;
    scope_demo_exit(f.d, 1);
    on_quit(f.d);
}

static void on_disconnected(const redisAsyncContext *c, int status)
{
    if (c == f.sub)
        f.sub = NULL;
    if (c == f.pub)
        f.pub = NULL;
    if (status != REDIS_OK && !f.d->quitting) /* the broker went away under us */
        scope_events_error("redis", "%s: %s; no more broadcast between servers", f.url,
                           c->errstr);
}

static redisAsyncContext *connect_redis(void)
{
    /* A non-blocking connect(); the adapter watches its fd with a uv_poll_t. */
    redisAsyncContext *c = f.path[0] ? redisAsyncConnectUnix(f.path)
                                     : redisAsyncConnect(f.host, f.port);
    if (!c || c->err) {
        scope_events_error("redis", "cannot connect to %s: %s", f.url,
                           c ? c->errstr : scope_events_tr("no memory"));
        if (c)
            redisAsyncFree(c);
        return NULL;
    }
    redisLibuvAttach(c, f.d->loop);
    redisAsyncSetConnectCallback(c, on_connected);
    redisAsyncSetDisconnectCallback(c, on_disconnected);
    return c;
}

static void on_published(redisAsyncContext *c, void *reply, void *arg)
{
    redisReply *r = reply;
    (void)c, (void)arg;
    if (r && r->type == REDIS_REPLY_INTEGER)
        scope_events_log("PUBLISH %s -> %lld: that many servers subscribed got it, this one "
                         "included", CHANNEL, r->integer);
}

/* ws.c's relay: one of our clients spoke; Redis takes it to every server. */
static void publish(const uint8_t *msg, size_t len, void *arg)
{
    (void)arg;
    if (!f.pub)
        return;
    redisAsyncCommand(f.pub, on_published, NULL, "PUBLISH %s %b", CHANNEL, msg, len);
    scope_trace_msg(&f.trace, SCOPE_TRACE_SEND, 0, (const char *)msg, len, 0);
    f.published++;
}

static void say_ready(void)
{
    char addr[SCOPE_ADDR_STRLEN];
    snprintf(addr, sizeof addr, "%s", f.s->name);
    scope_events_log("SUBSCRIBE %s: this server (%s) now hears every PUBLISH on it, from "
                     "any server", CHANNEL, addr);
    if (f.d->role) { /* the step's first process connects its clients now */
        cJSON *r = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "port", atoi(strrchr(addr, ':') + 1));
        scope_demo_report(f.d, r);
    } else if (scope_events_format() == SCOPE_EVENTS_TEXT && !getenv("IPCSCOPE_EVENT_FD")) {
        printf("http: listening on %s, broadcasting through %s\n", addr, f.url);
    }
}

/* ["subscribe", CHANNEL, 1] once, then ["message", CHANNEL, TEXT] each time. */
static void on_message(redisAsyncContext *c, void *reply, void *arg)
{
    redisReply *r = reply;
    (void)c, (void)arg;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3)
        return;
    if (!strcmp(r->element[0]->str, "subscribe")) {
        if (!f.said_ready++)
            say_ready();
        return;
    }
    redisReply *text = r->element[2];
    scope_trace_msg(&f.trace, SCOPE_TRACE_RECV, 0, text->str, text->len, 0);
    f.relayed++;
    ws_broadcast((const uint8_t *)text->str, text->len);
    sse_event(text->str, text->len);
}

static void on_quit(scope_demo_t *d)
{
    if (f.quit++)
        return;
    redisAsyncContext *sub = f.sub, *pub = f.pub;
    f.sub = f.pub = NULL;
    if (sub)
        redisAsyncDisconnect(sub);
    if (pub)
        redisAsyncDisconnect(pub);
    ws_stop();
    sse_stop();
    http_close(f.s);
    scope_trace_close(&f.trace);
    cJSON *fig = cJSON_CreateObject();
    cJSON_AddNumberToObject(fig, "published", (double)f.published);
    cJSON_AddNumberToObject(fig, "relayed", (double)f.relayed);
    if (d->role) {
        scope_demo_report(d, fig);
    } else {
        char text[120];
        snprintf(text, sizeof text,
                 scope_events_tr("%ld messages published, %ld relayed to our clients"),
                 f.published, f.relayed);
        scope_demo_bye(d, fig, text);
    }
    scope_demo_stop(d);
}

int fanout_serve(scope_demo_t *d, http_server_t *s, struct sockaddr_storage *at,
                 const char *url, long redis_pid, size_t ws_max, uint64_t ping_ms)
{
    char name[SCOPE_ADDR_STRLEN];
    f.d = d, f.s = s;
    snprintf(f.url, sizeof f.url, "%s", url);
    if (scope_redis_url_parse(url, f.path, sizeof f.path, f.host, sizeof f.host, &f.port) < 0) {
        fprintf(stderr, "http: --redis wants unix:PATH or redis://HOST:PORT, not '%s'\n", url);
        return 2;
    }
    int r = http_listen(s, uv_default_loop(), at, name);
    d->params = cJSON_CreateObject();
    cJSON_AddStringToObject(d->params, "listen", name);
    cJSON_AddStringToObject(d->params, "redis", url);
    d->on_quit = on_quit;
    if (scope_demo_start(d, uv_default_loop(), d->role ? d->role : "server", !d->role) < 0)
        return 1;
    scope_trace_open(&s->trace, "tcp", name);
    scope_trace_init(&f.trace, "pubsub", SCOPE_PID(getpid()),
                     redis_pid > 0 ? SCOPE_PID(redis_pid) : SCOPE_PEER("redis-server"));
    scope_trace_open(&f.trace, f.path[0] ? "unix" : "tcp", url);
    ws_route(s, ws_max, ping_ms);
    ws_trace_open();
    ws_relay(publish, NULL);
    sse_route(s);
    sse_quiet();
    if (!scope_demo_check(d, r >= 0, "listen", "cannot listen on %s: %s", name,
                          r < 0 ? uv_strerror(r) : "") /* uv_strerror(fd) would leak */
        || !(f.sub = connect_redis()) || !(f.pub = connect_redis())) {
        scope_demo_exit(d, 1);
        on_quit(d);
    } else {
        scope_events_log("listening on %s; two connections to %s: SUBSCRIBE on one, PUBLISH on "
                         "the other", name, url);
        redisAsyncCommand(f.sub, on_message, NULL, "SUBSCRIBE %s", CHANNEL);
    }
    int code = scope_demo_run(d);
    curl_global_cleanup();
    return code;
}
