/* cluster: cluster.fork() with the lid off, the master's side. What node does for the
 * article's master-worker.js, step by step:
 *
 *   1. cluster.fork() is child_process.fork() with an id: a socketpair, the
 *      worker's end at fd 3, NODE_CHANNEL_FD=3 and NODE_UNIQUE_ID=N.
 *   2. Each worker says {cmd:'NODE_CLUSTER', act:'online'}: node's own
 *      message, which never reaches a 'message' listener.
 *   3. 500 ms: each worker sends {type:'worker-ready'}; the master logs it.
 *   4. 1000 ms: "broadcast" is a loop: one send() on each worker's channel.
 *   5. 2000 ms: unicast, one send() on worker 1's channel.
 *   6. 3000 ms: worker 1 asks {type:'send-to-other', target: 2}; the master
 *      relays it: workers have no channel between them.
 *   7-9. One port for every worker (port.c), requests through it (load.c),
 *      a rolling restart (restart.c).
 *  10. disconnect: {act:'disconnect'} to each; each closes its server, its
 *      end of the channel, and exits. One that dies unasked is forked again, as PM2 does.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster.h"
#include "events.h"

static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type);
static void on_internal(scope_channel_t *ch, cJSON *msg, int fd);
static void on_worker_exit(scope_child_t *child, int code, int sig);

cluster_worker_t *cluster_fork(cluster_t *c)
{
    cluster_worker_t *w = cluster_slot(c); /* the next id, in a free slot */
    if (!w || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, w->fds) < 0) {
        scope_events_error("fork", "cannot fork another worker: %s",
                           w ? strerror(errno) : scope_events_tr("too many at once"));
        return NULL;
    }
    char id[32], port[32];
    snprintf(id, sizeof id, "NODE_UNIQUE_ID=%d", w->id);
    snprintf(port, sizeof port, "PORT=%lld", c->port_asked);
    scope_demo_child_events_t ev;
    scope_demo_child_events(&ev, 4);
    scope_spawn_fd_t fds[3] = {{.parent_fd = w->fds[1], .child_fd = 3}, ev.fd};
    size_t nfds = 1 + ev.nfds;
    if (c->node_workers) /* its console.log, read into narration */
        nfds += cluster_stdout_pipe(w, &fds[nfds]);
    const char *env[] = {"NODE_CHANNEL_FD=3", "NODE_CHANNEL_SERIALIZATION_MODE=json", id, port,
                         ev.env[0], ev.env[1], NULL};
    /* cluster.fork(): fork(), dup2(its end, 3), execve() with NODE_UNIQUE_ID. */
    scope_spawn_options_t so = {.file = c->argv[0], .argv = c->argv, .setenv = env, .fds = fds,
                                .nfds = nfds, .death_signal = SIGTERM,
                                .name = c->node_workers ? w->name : NULL};
    w->child.data = w;
    int r = scope_spawn(c->demo->loop, &w->child, &so, on_worker_exit);
    close(w->fds[1]);
    cluster_narrate_stdout(w, r == 0); /* or closes the pipe */
    if (r < 0) {
        close(w->fds[0]);
        w->in_use = 0;
        scope_events_error("fork", "%s: %s", c->argv[0], strerror(-r));
        return NULL;
    }
    scope_events_log("cluster.fork() -> worker %d, pid %ld: its end of a socketpair at fd 3, "
                     "NODE_CHANNEL_FD=3, NODE_UNIQUE_ID=%d", w->id, (long)w->child.pid, w->id);
    scope_trace_init(&w->trace, w->name, SCOPE_PID(getpid()), SCOPE_PID(w->child.pid));
    scope_trace_open(&w->trace, "socketpair",
                     scope_events_tr("cluster.fork(): node's IPC channel, fd 3 in the worker"));
    /* Ordinary messages reach on_message; node's cluster protocol on_internal. */
    w->ch = (scope_channel_t){.data = w, .on_message = on_message, .on_internal = on_internal,
                              .on_error = cluster_on_refused, .on_disconnect = cluster_on_disconnect,
                              .on_close = cluster_on_channel_closed, .trace = &w->trace};
    if ((r = scope_channel_open(c->demo->loop, &w->ch, w->fds[0])) < 0) {
        scope_events_error("channel", "worker %d: %s", w->id, uv_strerror(r));
        w->ch_closed = 1;
    }
    return w;
}

void cluster_fork_all(scope_demo_t *d)
{
    cluster_t *c = d->data;
    uv_timer_init(d->loop, &c->timer);
    c->timer_open = 1;
    c->t0_ns = scope_time_now_ns();
    for (int i = 0; i < c->nworkers; i++)
        if (!cluster_fork(c)) {
            scope_demo_stop(d);
            return;
        }
    scope_demo_next(d);
}

static int all_online(const cluster_t *c)
{
    int n = 0;
    for (int i = 0; i < CLUSTER_MAX_WORKERS; i++)
        n += c->workers[i].in_use && c->workers[i].online;
    return n >= c->nworkers;
}

static int all_ready(const cluster_t *c) { return c->ready >= c->nworkers; }
static int relayed(const cluster_t *c) { return c->relayed > 0 || c->nworkers < 2; }

void cluster_online(scope_demo_t *d) { cluster_await(d->data, N_("every worker online"), all_online, 0); }
void cluster_ready(scope_demo_t *d) { cluster_await(d->data, N_("worker-ready from each"), all_ready, 0); }
void cluster_relay(scope_demo_t *d) { cluster_await(d->data, N_("worker 1's relay"), relayed, 0); }

/* The article's moments count from the fork: cb once ms have passed. */
static void at(cluster_t *c, uint64_t ms, uv_timer_cb cb)
{
    uint64_t when = c->t0_ns + ms * 1000000, now = scope_time_now_ns();
    if (now >= when) /* a teacher took longer over the steps before */
        cb(&c->timer);
    else
        uv_timer_start(&c->timer, cb, (when - now) / 1000000 + 1, 0);
}

static void broadcast(uv_timer_t *t)
{
    cluster_t *c = scope_container_of(t, cluster_t, timer);
    scope_events_log("Master broadcasting... (a loop: one send() per worker, no kernel broadcast)");
    cJSON *msg = cJSON_Parse("{\"from\":\"master\",\"data\":\"Hello workers!\"}");
    for (cluster_worker_t *w = NULL; (w = cluster_next(c, w));)
        scope_channel_send(&w->ch, msg); /* traced by the channel: ch->trace */
    cJSON_Delete(msg);
    scope_demo_next(c->demo);
}

static void unicast(uv_timer_t *t)
{
    cluster_t *c = scope_container_of(t, cluster_t, timer);
    cluster_worker_t *w = cluster_find(c, 1);
    scope_events_log("Master sends message to worker 1: one send() on its channel alone");
    cJSON *msg = cJSON_Parse("{\"from\":\"master\",\"data\":\"Hello worker 1!\"}");
    if (w)
        scope_channel_send(&w->ch, msg);
    cJSON_Delete(msg);
    scope_demo_next(c->demo);
}

void cluster_broadcast(scope_demo_t *d) { at(d->data, 1000, broadcast); }
void cluster_unicast(scope_demo_t *d) { at(d->data, 2000, unicast); }

/* Every ordinary message from a worker, as worker.on('message') sees it. */
static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    cluster_worker_t *w = ch->data;
    cluster_t *c = w->cluster;
    (void)type;
    if (fd >= 0)
        close(fd);
    scope_trace_recv_json(&w->trace, msg, ch->message_bytes, 0);
    char *text = cJSON_PrintUnformatted(msg);
    scope_events_log("Master received from worker %d: %.200s", w->id, text);
    cJSON_free(text);
    c->ready += cluster_is(msg, "type", "worker-ready");
    if (cluster_is(msg, "type", "send-to-other")) {
        /* No channel joins two workers: the master passes it on. */
        int target = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(msg, "target"));
        cluster_worker_t *to = cluster_find(c, target);
        cJSON *relay = cJSON_CreateObject();
        cJSON_AddNumberToObject(relay, "from", w->id);
        cJSON_AddItemReferenceToObject(relay, "data", cJSON_GetObjectItemCaseSensitive(msg, "data"));
        if (to)
            scope_channel_send(&to->ch, relay);
        else
            scope_events_log("no worker %d: cluster.workers[%d] is undefined, nothing sent",
                             target, target);
        cJSON_Delete(relay);
        c->relayed++;
    }
    cluster_changed(c);
}

/* Node's own messages: the cluster protocol, which the article never sees. */
static void on_internal(scope_channel_t *ch, cJSON *msg, int fd)
{
    cluster_worker_t *w = ch->data;
    /* {ack, accepted} closes the round trip of a connection handed over */
    int handoff = w->port.inflight_fd >= 0 && cJSON_HasObjectItem(msg, "accepted");
    scope_trace_recv_json(&w->trace, msg, ch->message_bytes,
                          handoff ? scope_time_now_ns() - w->port.handed_ns : 0);
    if (fd >= 0)
        close(fd); /* a worker passes nothing back */
    if (cluster_is(msg, "act", "online")) {
        w->online = 1;
        scope_events_log("worker %d: {act:'online'}, node's own message: cluster.on('online')",
                         w->id);
    } else if (cluster_is(msg, "act", "queryServer")) {
        cluster_port_query(w, msg);
    } else if (cluster_is(msg, "act", "listening")) {
        w->listening = 1;
        scope_events_log("worker %d: {act:'listening'}: cluster.on('listening')", w->id);
    } else if (cJSON_GetObjectItemCaseSensitive(msg, "accepted")) {
        cluster_port_accepted(w, msg);
    }
    cluster_changed(w->cluster);
}

void cluster_disconnect(cluster_worker_t *w)
{
    if (w->leaving)
        return;
    w->leaving = 1;
    cluster_port_remove(w); /* no more connections for it */
    scope_events_log("worker %d.disconnect(): {act:'disconnect'}; it closes its server and "
                     "its end of the channel, then exits", w->id);
    cluster_send_internal(w, cJSON_Parse("{\"act\":\"disconnect\"}"), -1);
}

static void on_worker_exit(scope_child_t *child, int code, int sig)
{
    cluster_worker_t *w = child->data;
    cluster_t *c = w->cluster;
    if (!child->name) /* a node worker's exit is told by lib/spawn */
        scope_events_proc("exit", child->pid, getpid(), w->name, code, sig);
    cluster_port_remove(w);
    if (!w->ch_closed) /* its end is closed: close ours */
        scope_channel_close(&w->ch);
    int asked = w->leaving;
    w->leaving = 1;
    cluster_forget(w);
    /* Unasked, it is replaced (as PM2 does), unless enough still run. */
    if (!asked && !c->ending && cluster_count(c) < c->nworkers) {
        scope_events_log("worker %d died (%s %d) unasked: the master forks another, as PM2 does",
                         w->id, scope_events_tr(sig ? N_("signal") : N_("code")),
                         sig ? sig : code);
        c->replaced++;
        cluster_fork(c);
    }
    cluster_changed(c);
    if (c->ending && !cluster_running(c))
        scope_demo_stop(c->demo);
}

void cluster_end(scope_demo_t *d)
{
    cluster_t *c = d->data;
    c->ending = 1;
    c->is_done = NULL;
    cluster_port_close(c);
    for (cluster_worker_t *w = NULL; (w = cluster_next(c, w));)
        cluster_disconnect(w);
    if (!cluster_running(c))
        scope_demo_stop(d);
    else
        cluster_reap_later(c);
}
