/* cluster's worker: what node's cluster worker (lib/internal/cluster/child.js)
 * does, in C, under whichever master forked it: this demo's, or node's.
 *
 *   1. NODE_UNIQUE_ID is our id (cluster.worker.id), NODE_CHANNEL_FD our
 *      channel to the master; both are unset, as node does.
 *   2. {cmd:'NODE_CLUSTER', act:'online', seq:0} at once. Each NODE_CLUSTER message
 *      carries its sender's seq (0, 1, ...); an answer, "ack": the seq it answers.
 *   3. The article's worker: at 500 ms {type:'worker-ready'}; at 3000 ms,
 *      worker 1 asks the master to pass a message to worker 2; every
 *      ordinary message is logged.
 *   4. With PORT (at 3500 ms): server.listen(PORT, '127.0.0.1') does not bind,
 *      it asks the master (queryServer). The answer comes bare (round robin: the
 *      master accepts, each connection comes as a newconn with its fd, we ack)
 *      or with a bound socket (SCHED_NONE: we listen and accept). Then listening.
 *   5. {act:'disconnect'}: close the server ({act:'close', key}), finish the
 *      requests in flight, close our end of the channel, exit 0. EOF with no
 *      disconnect (the master died): exit 0 at once, as node's worker does.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"

typedef struct {
    scope_demo_t *d;
    scope_channel_t ch;   /* to the master; the master traces its every line */
    cluster_serve_t serve;
    int id, seq;          /* cluster.worker.id; our next NODE_CLUSTER seq */
    long long port;       /* PORT, or -1: no server */
    uv_timer_t ready, relay, listen;
    int query_seq;        /* the queryServer awaiting its answer, or -1 */
    char key[128];        /* the master's name for our server, once it answered */
    int leaving, gone, shared_events;
} worker_t;

/* One line to the master: process.send(JSON) or, cluster set, node's
 * sendHelper: {cmd:'NODE_CLUSTER', ...members, seq}. Returns the seq used. */
__attribute__((format(printf, 3, 4)))
static int send_msg(worker_t *w, int cluster, const char *fmt, ...)
{
    char members[640], line[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(members, sizeof members, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "{\"cmd\":\"NODE_CLUSTER\",%s,\"seq\":%d}", members, w->seq);
    /* Parsed, then printed by cJSON: never a line a node peer cannot parse. */
    cJSON *m = cJSON_Parse(cluster ? line : members);
    int r = m ? scope_channel_send(&w->ch, m) : -EINVAL;
    cJSON_Delete(m);
    if (r < 0)
        scope_events_error("send", "to the master: %s", strerror(-r));
    return cluster ? w->seq++ : 0;
}
#define process_send(w, ...) send_msg((w), 0, __VA_ARGS__)
#define cluster_send(w, ...) send_msg((w), 1, __VA_ARGS__)

/* What node's cluster._getServer sends, as queryServer then as listening. */
#define SERVER_MESSAGE "\"act\":\"%s\",\"index\":0,\"data\":null,\"address\":\"127.0.0.1\"," \
                       "\"port\":%lld,\"addressType\":4,\"flags\":0,\"backlog\":0"

/* ---- the article's timeline --------------------------------------------- */

static void on_ready_timer(uv_timer_t *t)
{
    worker_t *w = t->data;
    process_send(w, "{\"type\":\"worker-ready\",\"id\":%d,\"msg\":\"Worker is ready!\"}", w->id);
}

static void on_relay_timer(uv_timer_t *t)
{
    worker_t *w = t->data;
    if (w->id != 1)
        return;
    /* No channel joins two workers: the master is asked to pass it on. */
    process_send(w, "{\"type\":\"send-to-other\",\"target\":2,\"data\":\"Hello from worker 1!\"}");
}

static void on_listen_timer(uv_timer_t *t)
{
    worker_t *w = t->data;
    /* A cluster worker never binds the port itself: it asks the master. */
    w->query_seq = cluster_send(w, SERVER_MESSAGE, "queryServer", w->port);
    scope_events_log("server.listen(%lld, '127.0.0.1'): queryServer: asking the master for "
                     "127.0.0.1:%lld (seq %d)", w->port, w->port, w->query_seq);
}

static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    (void)type;
    char *text = msg ? cJSON_PrintUnformatted(msg) : NULL; /* the article's console.log */
    scope_events_log("Worker %d received: %s", ((worker_t *)ch->data)->id, text ? text : "");
    free(text);
    if (fd >= 0)
        close(fd); /* the article's worker takes no handle */
}

/* ---- the shared port ---------------------------------------------------- */

/* queryServer's answer: round robin (no handle), or our own socket. */
static void on_server(worker_t *w, const cJSON *reply, int fd)
{
    w->query_seq = -1;
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(reply, "errno");
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(reply, "key");
    if ((cJSON_IsNumber(err) && err->valueint) || cJSON_IsString(err) || w->leaving) {
        if (!w->leaving) /* node's worker: an 'error' on the server, uncaught */
            scope_demo_check(w->d, 0, "listen", "the master could not listen on 127.0.0.1:%lld: "
                             "%s", w->port, cJSON_IsString(err) ? err->valuestring : "errno");
        if (fd >= 0)
            close(fd);
        return;
    }
    /* The key is written back in {act:'close'}: only a plain one is kept. */
    if (cJSON_IsString(key) && strlen(key->valuestring) < sizeof w->key &&
        !strpbrk(key->valuestring, "\"\\"))
        snprintf(w->key, sizeof w->key, "%s", key->valuestring);
    int port = (int)w->port;
    if (fd < 0) {
        const cJSON *sn = cJSON_GetObjectItemCaseSensitive(reply, "sockname");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(sn, "port");
        port = cJSON_IsNumber(p) ? p->valueint : port;
        scope_events_log("the master accepts for us: round robin (key %s, port %d); each "
                         "connection will come as a newconn with its fd", w->key, port);
    } else if ((port = cluster_serve_listen(&w->serve, fd)) < 0) {
        scope_demo_check(w->d, 0, "listen", "listen() on the socket the master sent (fd %d): "
                         "%s", fd, uv_strerror(port));
        return;
    } else {
        scope_events_log("the master sent a bound socket (SCHED_NONE), fd %d: we listen() on it "
                         "and accept() ourselves, as every worker does (port %d)", fd, port);
    }
    cluster_serve_port(&w->serve, port); /* its lane in the flow: "port N" */
    cluster_send(w, SERVER_MESSAGE, "listening", (long long)port);
    scope_events_log("listening: telling the master we listen on port %d", port);
}

/* Round robin: a connection the master accepted comes with its fd. */
static void on_newconn(worker_t *w, const cJSON *msg, int fd)
{
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(msg, "seq");
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(msg, "key");
    int ours = w->key[0] && cJSON_IsString(key) && strcmp(key->valuestring, w->key) == 0;
    int accepted = ours && fd >= 0 && !w->leaving;
    /* The answer first: the master sends the next connection only after it. */
    cluster_send(w, "\"ack\":%d,\"accepted\":%s", seq ? seq->valueint : -1,
                 accepted ? "true" : "false");
    if (accepted && w->serve.connections == 0)
        scope_events_log("newconn: the master passed a connection, fd %d (SCM_RIGHTS on the "
                         "NODE_HANDLE line); {ack:%d, accepted:true}, serving it", fd,
                         seq ? seq->valueint : -1);
    if (accepted)
        cluster_serve_fd(&w->serve, fd);
    else if (fd >= 0)
        close(fd); /* as node's handle.close(): the client sees it closed */
}

/* ---- the end ------------------------------------------------------------ */

static void close_server(worker_t *w)
{
    uv_timer_t *timers[] = {&w->ready, &w->relay, &w->listen};
    for (int i = 0; i < 3; i++) /* the article's setTimeout()s, if still to come */
        if (!uv_is_closing((uv_handle_t *)timers[i]))
            uv_close((uv_handle_t *)timers[i], NULL);
    if (w->key[0]) { /* node's handle.close(): the master forgets us for this key */
        cluster_send(w, "\"act\":\"close\",\"key\":\"%s\"", w->key);
        w->key[0] = 0;
    }
}

static void on_drained(cluster_serve_t *s)
{
    worker_t *w = s->data;
    if (!w->leaving || w->gone)
        return; /* a quit: the channel is closed already */
    scope_events_log("process.disconnect(): the requests are answered; closing our end of the "
                     "channel (the master reads EOF); exiting 0");
    scope_channel_disconnect(&w->ch);
}

static void on_internal(scope_channel_t *ch, cJSON *msg, int fd)
{
    worker_t *w = ch->data;
    const cJSON *ack = cJSON_GetObjectItemCaseSensitive(msg, "ack");
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(msg, "act");
    if (cJSON_IsNumber(ack) && ack->valueint == w->query_seq) {
        on_server(w, msg, fd);
    } else if (cJSON_IsString(act) && strcmp(act->valuestring, "newconn") == 0) {
        on_newconn(w, msg, fd);
    } else if (fd >= 0) {
        close(fd); /* nothing else of node's brings a handle for us */
    }
    if (cJSON_IsString(act) && strcmp(act->valuestring, "disconnect") == 0 && !w->leaving++) {
        scope_events_log("disconnect from the master: closing the server, finishing %d %s",
                         w->serve.open, scope_events_trn("connection", "connections",
                                                         (unsigned long)w->serve.open));
        close_server(w);
        cluster_serve_close(&w->serve, 0); /* on_drained goes on */
    }
}

/* Gone now: the master died (EOF, no disconnect) or we were asked to quit. */
static void quit(scope_demo_t *d)
{
    worker_t *w = d->data;
    if (w->gone++)
        return;
    w->key[0] = 0; /* nothing more is said: node's worker would just exit */
    close_server(w);
    cluster_serve_close(&w->serve, 1);
    scope_channel_close(&w->ch);
    scope_demo_stop(d);
}

static void on_disconnect(scope_channel_t *ch, int status)
{
    worker_t *w = ch->data;
    if (status == 0)
        return; /* our own process.disconnect() */
    scope_events_log("read() on the channel: %s with no disconnect: the master is gone; "
                     "exiting 0 at once, as node's worker does",
                     status == UV_EOF ? "EOF" : uv_strerror(status));
    quit(w->d);
}

static void on_refused(scope_channel_t *ch, const scope_frame_error_t *err)
{
    (void)ch, scope_events_error("refused", "from the master: %s", err->reason);
}

static void start_timer(worker_t *w, uv_timer_t *t, uv_timer_cb cb, uint64_t ms)
{
    uv_timer_init(w->d->loop, t);
    t->data = w;
    uv_timer_start(t, cb, ms, 0);
}

int cluster_worker(scope_demo_t *d)
{
    worker_t o = {.d = d, .port = -1, .query_seq = -1}, *w = &o;
    const char *uid = getenv("NODE_UNIQUE_ID"), *port = getenv("PORT");
    char *end = NULL;
    w->id = uid ? (int)strtol(uid, &end, 10) : 0;
    w->shared_events = getenv("IPCSCOPE_EVENT_FD") != NULL;
    d->data = w;
    d->on_quit = quit;
    d->narrate_stderr = 1; /* a node master's stdout is its own console */
    char role[32];
    snprintf(role, sizeof role, "worker %d", w->id);
    if (scope_demo_start(d, uv_default_loop(), role, 0) < 0)
        return 1;
    if (!uid || *end || w->id < 1) {
        scope_events_error("worker", "NODE_UNIQUE_ID=%s: no worker id. A worker is forked by "
                           "its master (cluster.fork()), which names it",
                           uid ? uid : scope_events_tr("(unset)"));
        return 1;
    }
    unsetenv("NODE_UNIQUE_ID"); /* node deletes it too: our children are no workers */
    w->ch = (scope_channel_t){.data = w, .on_message = on_message, .on_internal = on_internal,
                              .on_error = on_refused, .on_disconnect = on_disconnect};
    int r = scope_channel_open_env(d->loop, &w->ch);
    if (r < 0) {
        scope_events_error("channel", "no channel to a master (NODE_CHANNEL_FD): %s",
                           strerror(-r));
        return 1;
    }
    cluster_serve_init(&w->serve, d->loop, w->id);
    w->serve.data = w;
    w->serve.on_drained = on_drained;
    scope_events_proc("ready", getpid(), getppid(), role, 0, 0);
    scope_events_log("Worker started, id=%d, pid=%ld (NODE_UNIQUE_ID=%d; the channel is fd %d, "
                     "NODE_CHANNEL_FD)", w->id, (long)getpid(), w->id, scope_channel_fd(&w->ch));
    cluster_send(w, "\"act\":\"online\"");
    /* The article's setTimeout()s count from the worker's start. */
    start_timer(w, &w->ready, on_ready_timer, 500);
    start_timer(w, &w->relay, on_relay_timer, 3000);
    int serve = port && *port && (w->port = strtoll(port, &end, 10)) >= 0 && !*end &&
                w->port <= 65535;
    if (port && !serve)
        scope_events_error("PORT", "PORT='%s' is no port (0-65535): no server", port);
    if (serve)
        start_timer(w, &w->listen, on_listen_timer, 3500);
    else
        uv_timer_init(d->loop, &w->listen), w->port = -1; /* closed with the others */
    r = scope_demo_run(d);
    const cluster_serve_t *s = &w->serve;
    char text[160], figures[160];
    snprintf(text, sizeof text, scope_events_tr("worker %d: requests served %llu, connections "
                                                 "%llu, refused (400/431) %llu; exit %d"), w->id, (unsigned long long)s->requests,
             (unsigned long long)s->connections, (unsigned long long)s->refused, r);
    if (w->shared_events) /* the master's events: its bye is the demo's end */
        return scope_events_log("%s", text), r;
    snprintf(figures, sizeof figures, "{\"worker\":%d,\"requests\":%llu,\"connections\":%llu,"
             "\"refused\":%llu}", w->id, (unsigned long long)s->requests,
             (unsigned long long)s->connections, (unsigned long long)s->refused);
    scope_demo_bye(d, cJSON_Parse(figures), text);
    return r;
}
