/* cluster, step 7: one port for every worker, as node's primary keeps it.
 *
 * A worker's listen(port) is a question to the master: {act:'queryServer',
 * address, port}. The master answers it one of two ways:
 *
 *   rr (node's default on Linux): the master itself listens and accepts, and
 *      hands each connection to a free worker, {act:'newconn', key} with the
 *      fd (SCM_RIGHTS), one at a time per worker, until that worker answers
 *      {accepted: true}; the master then closes its own copy.
 *   none (NODE_CLUSTER_SCHED_POLICY=none): the master binds a socket and
 *      passes it with its answer; every worker listens on its copy of the one
 *      socket, and the kernel picks whose accept() gets each connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster.h"
#include "events.h"

/* socket(), bind() to the address the worker asked for, and for rr listen(). */
static int open_port(cluster_t *c, const char *address, int rr)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port_asked)};
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    socklen_t len = sizeof sa;
    if (fd < 0 || inet_pton(AF_INET, address, &sa.sin_addr) != 1 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || (rr && listen(fd, SOMAXCONN) < 0) ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return -err;
    }
    c->port.bound_port = ntohs(sa.sin_port);
    scope_events_log("master: socket(), bind(%s:%d)%s: fd %d", address, c->port.bound_port,
                     rr ? scope_events_tr(", listen(): the master holds the port and accepts")
                        : scope_events_tr(" (no listen: each worker listens on its copy)"),
                     fd);
    return fd;
}

static void hand_off(cluster_worker_t *w)
{
    cluster_t *c = w->cluster;
    int fd = c->port.pending[0];
    memmove(c->port.pending, c->port.pending + 1, --c->port.npending * sizeof(int));
    w->port.free = 0;
    w->port.inflight_fd = fd;
    w->port.inflight_seq = w->seq;
    w->port.handed_ns = scope_time_now_ns();
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "act", "newconn");
    cJSON_AddStringToObject(msg, "key", w->port.key);
    cluster_send_internal(w, msg, fd);
}

/* Each waiting connection to the next free worker, in turn. */
static void distribute(cluster_t *c)
{
    for (int tries = 0; c->port.npending > 0 && tries < CLUSTER_MAX_WORKERS; tries++) {
        cluster_worker_t *w = &c->workers[c->port.turn++ % CLUSTER_MAX_WORKERS];
        if (w->in_use && !w->leaving && w->port.free)
            hand_off(w);
    }
}

static void on_connectable(uv_poll_t *p, int status, int events)
{
    cluster_t *c = scope_container_of(p, cluster_t, port.poll);
    (void)events;
    int fd;
    while (status == 0 && (fd = accept4(c->port.fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
        c->port.accepted++;
        if (c->port.npending == (int)(sizeof c->port.pending / sizeof c->port.pending[0])) {
            close(fd); /* bounded: no free worker for too long */
            if (c->port.refused++ == 0)
                scope_events_error("port", "%d connections wait for a free worker: the next "
                                   "are closed", c->port.npending);
            continue;
        }
        c->port.pending[c->port.npending++] = fd;
    }
    distribute(c);
}

void cluster_port_query(cluster_worker_t *w, const cJSON *msg)
{
    cluster_t *c = w->cluster;
    int rr = strcmp(c->sched, "rr") == 0;
    const char *address = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "address"));
    address = address ? address : "127.0.0.1"; /* loopback unless a worker asks for more */
    scope_events_log("worker %d asks for the port (queryServer %s:%d): %s", w->id, address,
                     (int)c->port_asked, rr ? scope_events_tr("round robin, the master accepts for it")
                        : scope_events_tr("sched none, it gets the socket itself"));
    if (c->port.fd < 0 && (c->port.fd = open_port(c, address, rr)) < 0) {
        scope_events_error("port", "%s:%lld: %s", address, c->port_asked, strerror(-c->port.fd));
        c->demo->on_quit(c->demo); /* the run ends, as a quit ends it */
        return;
    }
    if (rr && !c->port.polling) {
        uv_poll_init(c->demo->loop, &c->port.poll, c->port.fd);
        uv_poll_start(&c->port.poll, UV_READABLE, on_connectable);
        c->port.polling = 1;
    }
    /* node's key: address:port:addressType:fd:index */
    int index = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(msg, "index"));
    snprintf(w->port.key, sizeof w->port.key, "%s:%lld:4:undefined:%d", address, c->port_asked, index);
    cJSON *reply = cJSON_CreateObject();
    if (rr)
        cJSON_AddNullToObject(reply, "errno");
    else
        cJSON_AddNumberToObject(reply, "errno", 0);
    cJSON_AddStringToObject(reply, "key", w->port.key);
    cJSON_AddItemToObject(reply, "ack", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(msg, "seq"), 1));
    cJSON_AddNullToObject(reply, "data");
    if (rr) {
        cJSON *name = cJSON_AddObjectToObject(reply, "sockname");
        cJSON_AddStringToObject(name, "address", address);
        cJSON_AddStringToObject(name, "family", "IPv4");
        cJSON_AddNumberToObject(name, "port", c->port.bound_port);
    }
    cluster_send_internal(w, reply, rr ? -1 : c->port.fd);
    w->port.queried = 1;
    w->port.inflight_fd = -1;
    w->port.free = rr;
    distribute(c);
}

/* {ack: the newconn's seq, accepted}: the worker has it, or gives it back. */
void cluster_port_accepted(cluster_worker_t *w, const cJSON *msg)
{
    cluster_t *c = w->cluster;
    int ack = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(msg, "ack"));
    if (w->port.inflight_fd < 0 || ack != w->port.inflight_seq)
        return;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "accepted"))) {
        close(w->port.inflight_fd); /* the worker holds its own copy */
        w->port.handed++;
    } else { /* closing: another worker takes it */
        memmove(c->port.pending + 1, c->port.pending, c->port.npending++ * sizeof(int));
        c->port.pending[0] = w->port.inflight_fd;
    }
    w->port.inflight_fd = -1;
    w->port.free = !w->leaving;
    distribute(c);
}

/* A worker leaving: a connection it had not accepted is lost with it
 * (node does the same); the client sees it closed. */
void cluster_port_remove(cluster_worker_t *w)
{
    if (w->port.inflight_fd >= 0) {
        close(w->port.inflight_fd);
        w->port.inflight_fd = -1;
    }
    w->port.free = 0;
}

static int all_listening(const cluster_t *c)
{
    int n = 0;
    for (int i = 0; i < CLUSTER_MAX_WORKERS; i++)
        n += c->workers[i].in_use && !c->workers[i].leaving && c->workers[i].listening;
    return n >= c->nworkers;
}

void cluster_port_listen(scope_demo_t *d)
{
    cluster_t *c = d->data;
    scope_events_log("each worker calls listen(%lld) on its own: in a worker, that is a "
                     "question to the master (queryServer)", c->port_asked);
    cluster_await(c, N_("every worker listening"), all_listening, 0);
}

void cluster_port_close(cluster_t *c)
{
    if (c->port.polling) {
        uv_poll_stop(&c->port.poll);
        uv_close((uv_handle_t *)&c->port.poll, NULL);
        c->port.polling = 0;
    }
    if (c->port.fd >= 0)
        close(c->port.fd);
    c->port.fd = -1;
    while (c->port.npending > 0)
        close(c->port.pending[--c->port.npending]);
}
