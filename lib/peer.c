/* peer: naming the other end of a connection in the thread pool. See peer.h.
 *
 * A request lives from scope_peer_lookup() to its after-work callback on the
 * loop thread, which runs exactly once whether the work ran, was cancelled
 * before it started (uv_cancel), or was cancelled while it ran (the flag):
 * that callback alone frees it. Only the loop thread reads or writes
 * `cancelled`; the pool's thread writes only `who`, before libuv hands the
 * request back, so no lock is needed.
 *
 * One scan of /proc at a time. A scan reads every socket of the machine and
 * then fd tables: at a thousand connections a second, four of them in the
 * pool's four threads took both cores from the loop thread, whose accepts
 * fell behind until the listen queue overflowed. So scans wait in a queue,
 * the next submitted when one is done, and a request cancelled while it
 * waits (its connection closed) leaves the queue at once. The queue belongs
 * to the one loop thread that calls this module, as in every demo.
 */
#include "peer.h"

#include "addr.h"
#include "unixsock.h"
#include "procnet.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How many of our own children are asked first. */
#define PEER_MAX_CANDIDATES 64

typedef enum { PEER_UNIX, PEER_TCP, PEER_UDP } peer_kind_t;

struct scope_peer_req_s {
    uv_work_t work;
    uv_loop_t *loop;
    scope_peer_req_t *next, *prev; /* in the waiting queue */
    int waiting;
    peer_kind_t kind;
    int cancelled;
    long self_pid;
    struct sockaddr_storage local, remote; /* our end, and the peer's */
    scope_peer_cb cb;
    void *arg;
    scope_peer_info_t who;
};

/* ---- in the thread pool --------------------------------------------------- */

struct udp_find {
    const struct sockaddr *local, *remote;
    unsigned long inode;
    int score;
};

/* The peer's UDP socket is bound to its address, or to its port on any
 * address; it is either not connected, or connected to us. The likelier the
 * match, the higher the score. */
static void on_udp_row(void *arg, const scope_procnet_inet_t *s)
{
    struct udp_find *c = arg;
    const struct sockaddr *l = (const struct sockaddr *)&s->local;
    const struct sockaddr *r = (const struct sockaddr *)&s->remote;
    if (!s->inode || !scope_procnet_addr_eq(l, c->remote, 1))
        return;
    int score = 1 + scope_procnet_addr_eq(l, c->remote, 0);
    if (scope_addr_port(r) > 0) {
        if (!scope_procnet_addr_eq(c->local, r, 1))
            return; /* connected to someone else: it cannot have sent to us */
        score += 2;
    }
    if (score > c->score) {
        c->score = score;
        c->inode = s->inode;
    }
}

static unsigned long peer_inode(const scope_peer_req_t *req)
{
    const struct sockaddr *local = (const struct sockaddr *)&req->local;
    const struct sockaddr *remote = (const struct sockaddr *)&req->remote;
    if (req->kind == PEER_TCP) {
        /* the peer's socket: its own end is our remote, its peer our local */
        unsigned long inode;
        return scope_procnet_tcp_inode(remote, local, &inode) == 0 ? inode : 0;
    }
    struct udp_find c = {local, remote, 0, 0};
    /* an IPv6 socket on :: takes IPv4 datagrams too: read both tables */
    scope_procnet_read_inet(1, 0, on_udp_row, &c);
    scope_procnet_read_inet(1, 1, on_udp_row, &c);
    return c.inode;
}

static void peer_work(uv_work_t *w)
{
    scope_peer_req_t *req = w->data;
    scope_peer_info_t *who = &req->who;
    if (req->kind != PEER_UNIX) {
        unsigned long inode = peer_inode(req);
        /* Our own children first: a child forked while its parent held the
         * socket shares it, and the child is the one that talks. */
        long cand[PEER_MAX_CANDIDATES];
        int n = scope_procnet_children(req->self_pid, cand, PEER_MAX_CANDIDATES);
        who->pid = inode ? scope_procnet_owner(inode, cand, n > 0 ? n : 0, 1) : -1;
    }
    if (who->pid <= 0 || scope_procnet_comm(who->pid, who->comm, sizeof who->comm) < 0) {
        who->pid = -1; /* gone before we could name it */
        who->comm[0] = '\0';
    }
}

/* ---- on the loop thread --------------------------------------------------- */

/* The scans waiting their turn, oldest first, and whether one is running. */
static struct {
    scope_peer_req_t *head, *tail;
    int scanning;
} queue;

static void queue_remove(scope_peer_req_t *req)
{
    *(req->prev ? &req->prev->next : &queue.head) = req->next;
    *(req->next ? &req->next->prev : &queue.tail) = req->prev;
    req->next = req->prev = NULL;
    req->waiting = 0;
}

static void queue_next(void);

static void peer_done(uv_work_t *w, int status)
{
    scope_peer_req_t *req = w->data;
    if (req->kind != PEER_UNIX)
        queue.scanning = 0;
    if (!req->cancelled) {
        if (status < 0) {
            req->who.pid = -1;
            req->who.comm[0] = '\0';
        }
        req->cb(req->arg, &req->who);
    }
    free(req);
    queue_next();
}

/* The oldest waiting scan goes to the pool; one that cannot is answered
 * "not found" there and then, so that the queue moves on. */
static void queue_next(void)
{
    while (queue.head && !queue.scanning) {
        scope_peer_req_t *req = queue.head;
        queue_remove(req);
        queue.scanning = 1;
        if (uv_queue_work(req->loop, &req->work, peer_work, peer_done) < 0) {
            queue.scanning = 0;
            req->cb(req->arg, &req->who);
            free(req);
        }
    }
}

static scope_peer_req_t *peer_start(uv_loop_t *loop, scope_peer_req_t *req)
{
    req->work.data = req;
    req->loop = loop;
    req->self_pid = (long)getpid();
    if (req->kind != PEER_UNIX) { /* a scan: wait for the one before */
        req->waiting = 1;
        req->prev = queue.tail;
        *(queue.tail ? &queue.tail->next : &queue.head) = req;
        queue.tail = req;
        queue_next();
        return req;
    }
    int r = uv_queue_work(loop, &req->work, peer_work, peer_done);
    if (r < 0) {
        free(req);
        errno = -r;
        return NULL;
    }
    return req;
}

static scope_peer_req_t *peer_new(uv_loop_t *loop, int fd, scope_peer_cb cb, void *arg)
{
    if (!loop || !cb || fd < 0) {
        errno = EINVAL;
        return NULL;
    }
    scope_peer_req_t *req = calloc(1, sizeof *req);
    if (!req) {
        errno = ENOMEM;
        return NULL;
    }
    req->cb = cb;
    req->arg = arg;
    req->who.pid = -1;
    socklen_t len = sizeof req->local;
    if (getsockname(fd, (struct sockaddr *)&req->local, &len) < 0) {
        int e = errno;
        free(req);
        errno = e;
        return NULL;
    }
    return req;
}

static int is_inet(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET || ss->ss_family == AF_INET6;
}

static scope_peer_req_t *peer_fail(scope_peer_req_t *req, int e)
{
    free(req);
    errno = e;
    return NULL;
}

scope_peer_req_t *scope_peer_lookup(uv_loop_t *loop, int fd, scope_peer_cb cb, void *arg)
{
    scope_peer_req_t *req = peer_new(loop, fd, cb, arg);
    if (!req)
        return NULL;
    if (req->local.ss_family == AF_UNIX) {
        /* the kernel recorded the peer at connect(): nothing to search */
        struct ucred cred;
        socklen_t len = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
            return peer_fail(req, errno);
        req->kind = PEER_UNIX;
        req->who.pid = cred.pid > 0 ? (long)cred.pid : -1;
        return peer_start(loop, req);
    }
    if (!is_inet(&req->local))
        return peer_fail(req, EAFNOSUPPORT);
    int type;
    socklen_t tl = sizeof type;
    socklen_t rl = sizeof req->remote;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
        getpeername(fd, (struct sockaddr *)&req->remote, &rl) < 0)
        return peer_fail(req, errno);
    req->kind = type == SOCK_DGRAM ? PEER_UDP : PEER_TCP;
    return peer_start(loop, req);
}

scope_peer_req_t *scope_peer_lookup_udp(uv_loop_t *loop, int fd, const struct sockaddr *peer,
                                        scope_peer_cb cb, void *arg)
{
    if (!peer) {
        errno = EINVAL;
        return NULL;
    }
    scope_peer_req_t *req = peer_new(loop, fd, cb, arg);
    if (!req)
        return NULL;
    if (!is_inet(&req->local) || (peer->sa_family != AF_INET && peer->sa_family != AF_INET6))
        return peer_fail(req, EAFNOSUPPORT);
    memcpy(&req->remote, peer,
           peer->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
    req->kind = PEER_UDP;
    return peer_start(loop, req);
}

void scope_peer_cancel(scope_peer_req_t *req)
{
    if (!req)
        return;
    req->cancelled = 1;
    if (req->waiting) { /* still in our queue: never submitted */
        queue_remove(req);
        free(req);
        return;
    }
    /* Not started yet: take it off the pool's queue. peer_done still runs
     * (with UV_ECANCELED) and frees it; a running work cannot be stopped. */
    uv_cancel((uv_req_t *)&req->work);
}
