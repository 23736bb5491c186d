/* peer: naming the other end of a connection in the thread pool. See peer.h.
 *
 * A request lives from scope_peer_lookup() to the after-work callback of its
 * work on the loop thread (a Unix socket's own work, a scan's batch), which
 * runs exactly once whether the work ran, was cancelled before it started
 * (uv_cancel, a Unix socket's), or was cancelled while it ran (the flag):
 * that callback alone frees it, but for a scan cancelled while it still
 * waits for a batch. Only the loop thread reads or writes `cancelled`; the
 * pool's thread writes only `who`, before libuv hands the work back, so no
 * lock is needed.
 *
 * One scan of /proc at a time, for every lookup waiting. A scan reads every
 * socket of the machine and then fd tables: at a thousand connections a
 * second, four of them in the pool's four threads took both cores from the
 * loop thread, whose accepts fell behind until the listen queue overflowed;
 * one at a time, a crowd of a thousand still cost a thousand reads of
 * /proc/net/tcp and as many walks of the crowd's thousand fd links. So
 * lookups wait in a queue, and when a scan starts it takes all of them as
 * one batch: one read of the tables finds every inode, one walk of the fd
 * tables every holder, and the answers come back in the order asked. A
 * request cancelled while it waits leaves the queue at once; one cancelled
 * in a batch is only marked, since the pool's thread walks the batch, and
 * is freed when the batch comes back. The queue belongs to the one loop
 * thread that calls this module, as in every demo.
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
    uv_work_t work; /* a Unix socket's own; a scan goes in a batch */
    uv_loop_t *loop;
    scope_peer_req_t *next, *prev; /* in the waiting queue, then in its batch */
    int waiting, batched;
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
static void udp_row(struct udp_find *c, const scope_procnet_inet_t *s)
{
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

struct udp_finds {
    struct udp_find *f;
    int n;
};

/* UDP lookups are few (a datagram's sender, once): each row is compared
 * with every one of them. */
static void on_udp_row(void *arg, const scope_procnet_inet_t *s)
{
    struct udp_finds *u = arg;
    for (int i = 0; i < u->n; i++)
        udp_row(&u->f[i], s);
}

/* The peers' inodes into inodes[], in batch order, 0 for one not found. */
static void batch_inodes(scope_peer_req_t *batch, int n, unsigned long *inodes)
{
    scope_procnet_tcp_query_t *q = calloc((size_t)n, sizeof *q);
    struct udp_find *f = calloc((size_t)n, sizeof *f);
    int *at = calloc((size_t)n, sizeof *at);
    if (!q || !f || !at)
        goto out;
    int nt = 0, nu = 0, i = 0;
    for (scope_peer_req_t *req = batch; req; req = req->next, i++) {
        const struct sockaddr *local = (const struct sockaddr *)&req->local;
        const struct sockaddr *remote = (const struct sockaddr *)&req->remote;
        if (req->kind == PEER_TCP) {
            /* the peer's socket: its own end is our remote, its peer our local */
            q[nt] = (scope_procnet_tcp_query_t){remote, local, 0};
            at[i] = nt++;
        } else {
            f[nu] = (struct udp_find){local, remote, 0, 0};
            at[i] = nu++;
        }
    }
    if (nt > 0)
        scope_procnet_tcp_inodes(q, nt);
    if (nu > 0) {
        struct udp_finds u = {f, nu};
        /* an IPv6 socket on :: takes IPv4 datagrams too: read both tables */
        scope_procnet_read_inet(1, 0, on_udp_row, &u);
        scope_procnet_read_inet(1, 1, on_udp_row, &u);
    }
    i = 0;
    for (scope_peer_req_t *req = batch; req; req = req->next, i++)
        inodes[i] = req->kind == PEER_TCP ? q[at[i]].inode : f[at[i]].inode;
out:
    free(q);
    free(f);
    free(at);
}

/* A batch of scans: every peer's inode from one read of the tables, then
 * every holder from one walk of the fd tables, then their names. Writes
 * only each request's `who`. */
static void batch_work(uv_work_t *w)
{
    scope_peer_req_t *batch = w->data;
    int n = 0;
    for (scope_peer_req_t *req = batch; req; req = req->next)
        n++;
    unsigned long *inodes = calloc((size_t)n, sizeof *inodes);
    long *pids = calloc((size_t)n, sizeof *pids);
    if (inodes && pids) {
        batch_inodes(batch, n, inodes);
        /* Our own children first: a child forked while its parent held the
         * socket shares it, and the child is the one that talks. */
        long cand[PEER_MAX_CANDIDATES];
        int nc = scope_procnet_children(batch->self_pid, cand, PEER_MAX_CANDIDATES);
        scope_procnet_owners(inodes, pids, n, cand, nc > 0 ? nc : 0, 1);
    }
    const scope_peer_info_t *last = NULL; /* a crowd is mostly one process */
    int i = 0;
    for (scope_peer_req_t *req = batch; req; req = req->next, i++) {
        scope_peer_info_t *who = &req->who;
        who->pid = inodes && pids && pids[i] > 0 ? pids[i] : -1;
        if (who->pid > 0 && last && last->pid == who->pid) {
            *who = *last;
            continue;
        }
        if (who->pid <= 0 || scope_procnet_comm(who->pid, who->comm, sizeof who->comm) < 0) {
            who->pid = -1; /* gone before we could name it */
            who->comm[0] = '\0';
            continue;
        }
        last = who;
    }
    free(inodes);
    free(pids);
}

/* A Unix socket's peer is known already: only its name is read. */
static void unix_work(uv_work_t *w)
{
    scope_peer_req_t *req = w->data;
    scope_peer_info_t *who = &req->who;
    if (who->pid <= 0 || scope_procnet_comm(who->pid, who->comm, sizeof who->comm) < 0) {
        who->pid = -1; /* gone before we could name it */
        who->comm[0] = '\0';
    }
}

/* ---- on the loop thread --------------------------------------------------- */

/* The scans waiting their turn, oldest first, and the batch being scanned
 * (linked by next, oldest first; NULL when none is). */
static struct {
    scope_peer_req_t *head, *tail;
    scope_peer_req_t *batch;
    uv_work_t work;
} queue;

static void queue_remove(scope_peer_req_t *req)
{
    *(req->prev ? &req->prev->next : &queue.head) = req->next;
    *(req->next ? &req->next->prev : &queue.tail) = req->prev;
    req->next = req->prev = NULL;
    req->waiting = 0;
}

static void queue_next(void);

static void unix_done(uv_work_t *w, int status)
{
    scope_peer_req_t *req = w->data;
    if (!req->cancelled) {
        if (status < 0) {
            req->who.pid = -1;
            req->who.comm[0] = '\0';
        }
        req->cb(req->arg, &req->who);
    }
    free(req);
}

/* Each request of the batch is answered in turn, or freed unanswered if it
 * was cancelled meanwhile (perhaps by the callback of one before it). The
 * batch stays the current one until all are answered, so that lookups the
 * callbacks start wait for the next batch together. */
static void batch_done(uv_work_t *w, int status)
{
    (void)w;
    scope_peer_req_t *req = queue.batch, *next;
    for (; req; req = next) {
        next = req->next;
        if (!req->cancelled) {
            if (status < 0) {
                req->who.pid = -1;
                req->who.comm[0] = '\0';
            }
            req->cb(req->arg, &req->who);
        }
        free(req);
    }
    queue.batch = NULL;
    queue_next();
}

/* Every waiting scan of the oldest one's loop goes to the pool as one batch;
 * should the pool refuse it, they are answered "not found" there and then,
 * so that the queue moves on. */
static void queue_next(void)
{
    if (queue.batch || !queue.head)
        return;
    uv_loop_t *loop = queue.head->loop;
    scope_peer_req_t *first = NULL, **link = &first;
    for (scope_peer_req_t *req = queue.head, *next; req; req = next) {
        next = req->next;
        if (req->loop != loop)
            continue;
        queue_remove(req);
        req->batched = 1;
        *link = req;
        link = &req->next;
    }
    queue.batch = first;
    queue.work.data = first;
    if (uv_queue_work(loop, &queue.work, batch_work, batch_done) < 0)
        batch_done(&queue.work, UV_EINVAL);
}

static scope_peer_req_t *peer_start(uv_loop_t *loop, scope_peer_req_t *req)
{
    req->work.data = req;
    req->loop = loop;
    req->self_pid = (long)getpid();
    if (req->kind != PEER_UNIX) { /* a scan: wait for the next batch */
        req->waiting = 1;
        req->prev = queue.tail;
        *(queue.tail ? &queue.tail->next : &queue.head) = req;
        queue.tail = req;
        queue_next();
        return req;
    }
    int r = uv_queue_work(loop, &req->work, unix_work, unix_done);
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
    if (req->batched) /* batch_done frees it, unanswered */
        return;
    /* Not started yet: take it off the pool's queue. unix_done still runs
     * (with UV_ECANCELED) and frees it; a running work cannot be stopped. */
    uv_cancel((uv_req_t *)&req->work);
}
