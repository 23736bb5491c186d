/* peer: who is at the other end of a connection, without blocking the loop.
 *
 * A server that accepts a connection on this machine can name the process
 * that dialled it, the way `ss -tp` does: /proc/net/tcp holds the other end's
 * socket and its inode, and that process's /proc/PID/fd holds a link
 * "socket:[INODE]". Reading all of /proc costs milliseconds, ten times an
 * accept, so it runs in libuv's thread pool (uv_queue_work) and the answer
 * comes back to the loop thread. One such scan runs at a time: the lookups
 * asked meanwhile wait, and the next scan answers all of them at once, in
 * the order asked. A Unix socket's peer is simpler: the kernel
 * recorded it at connect() (SO_PEERCRED).
 *
 * The fd is read (getsockname, getpeername, SO_PEERCRED) at the call, on the
 * loop thread; the pool's work sees only addresses and inodes, so the caller
 * may close the fd at once. A peer on another host, or one that has gone,
 * comes back as pid -1.
 *
 * Ownership: lib allocates a request and frees it after its callback has
 * run, or, once cancelled, when its work is done. The loop must keep running
 * until then (a pending request keeps uv_run going, as any uv_work_t does).
 * All functions are for the loop thread.
 *
 * Usage (in a connection callback):
 *
 *     static void on_peer(void *arg, const scope_peer_info_t *who)
 *     {   conn_t *k = arg;
 *         k->peer_req = NULL;
 *         if (who->pid > 0) printf("%s %ld connected\n", who->comm, who->pid);
 *     }
 *     k->peer_req = scope_peer_lookup(loop, fd, on_peer, k);
 *     ...
 *     scope_peer_cancel(k->peer_req);   // when k closes first
 */
#ifndef SCOPE_PEER_H
#define SCOPE_PEER_H

#include <sys/socket.h>
#include <uv.h>

typedef struct {
    long pid;      /* -1 when not found (another host, gone, not ours to read) */
    char comm[32]; /* /proc/PID/comm, "" when not found */
} scope_peer_info_t;

typedef void (*scope_peer_cb)(void *arg, const scope_peer_info_t *who);
typedef struct scope_peer_req_s scope_peer_req_t; /* opaque, owned by lib */

/* Names the process holding the other end of the connected TCP (v4/v6) or
 * Unix stream socket fd: Unix sockets by SO_PEERCRED at once (cb still runs
 * on a later loop turn), TCP by reading /proc/net/tcp{,6} for the peer's
 * socket inode and then the owner's fd table (our own children first), in
 * uv_queue_work (off the loop thread). A connected UDP socket is looked up as
 * scope_peer_lookup_udp does. Returns a request, or NULL with errno set
 * (EINVAL, EBADF, ENOTSOCK, ENOTCONN, EAFNOSUPPORT, ENOMEM) when it could not
 * start; cb runs once, on the loop thread. */
scope_peer_req_t *scope_peer_lookup(uv_loop_t *loop, int fd, scope_peer_cb cb, void *arg);

/* The same for a UDP peer known by its address (what recvfrom gave) and our
 * own bound socket fd: the peer is the UDP socket bound to that address (or
 * to its port on any address) and not connected elsewhere than to us. */
scope_peer_req_t *scope_peer_lookup_udp(uv_loop_t *loop, int fd, const struct sockaddr *peer,
                                        scope_peer_cb cb, void *arg);

/* The caller no longer wants the answer (its connection closed): cb will not
 * run; lib frees the request when its work is done. Safe on NULL; call it
 * only before cb has run (or from inside cb, where it does nothing). */
void scope_peer_cancel(scope_peer_req_t *req);

#endif
