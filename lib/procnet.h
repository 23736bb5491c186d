/* procnet: the kernel's tables of sockets, and who holds a socket.
 *
 * /proc/net/unix, tcp, tcp6, udp and udp6 list every socket of this network
 * namespace with its addresses and its inode; /proc/PID/fd/N of the process
 * holding one reads "socket:[INODE]". Together they say who is at the other
 * end of a connection on this machine, the way `ss -tp` and `ss -xp` do. The
 * dashboard's Processes pane and the socket demos both ask; this is the one
 * reader of those tables.
 *
 * The parsers are pure functions over the text /proc gives, so they are
 * tested on fixed strings; the readers below them open /proc. Everything here
 * is safe to call from a worker thread (no static buffers), returns 0, a
 * documented positive value or a negative errno, and never prints.
 *
 * Usage (who holds the socket listening on port 4000?):
 *
 *     struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(4000)};
 *     unsigned long inode;
 *     if (scope_procnet_tcp_inode((struct sockaddr *)&a, NULL, &inode) == 0) {
 *         long pid = scope_procnet_owner(inode, NULL, 0, 1);
 *         char comm[32];
 *         if (pid > 0 && scope_procnet_comm(pid, comm, sizeof comm) == 0) ...
 *     }
 */
#ifndef SCOPE_PROCNET_H
#define SCOPE_PROCNET_H

#include <stddef.h>
#include <sys/socket.h>

/* The most a table read may hold (a busy host's /proc/net/tcp can be many
 * megabytes; past this the rest is not read). */
#ifndef SCOPE_PROCNET_MAX_TEXT
#define SCOPE_PROCNET_MAX_TEXT (64u << 20)
#endif

/* One TCP or UDP socket of /proc/net/{tcp,tcp6,udp,udp6}. */
typedef struct {
    unsigned long inode; /* 0 for a socket no process holds (TIME_WAIT, an orphan) */
    int udp;             /* 0: TCP, 1: UDP */
    int state;           /* the kernel's state number: 1 established, 7 closed
                            (an unconnected UDP socket), 10 (0x0A) listening */
    struct sockaddr_storage local, remote;
    unsigned long tx_queue, rx_queue; /* bytes waiting to be sent, to be read */
    unsigned long drops;              /* UDP: datagrams dropped; 0 for TCP */
} scope_procnet_inet_t;

#define SCOPE_TCP_ESTABLISHED 1
#define SCOPE_TCP_LISTEN      10

typedef void (*scope_procnet_unix_cb)(void *arg, unsigned long inode, const char *path);
typedef void (*scope_procnet_inet_cb)(void *arg, const scope_procnet_inet_t *s);

/* ---- pure parsers -------------------------------------------------------- */

/* /proc/net/unix: calls fn(arg, inode, path) for each socket with a path.
 * Returns how many it reported. */
int scope_procnet_parse_unix(const char *text, scope_procnet_unix_cb fn, void *arg);
/* /proc/net/tcp, tcp6, udp or udp6 (say which): calls fn for each socket.
 * A row that does not parse is skipped. Returns how many it reported. */
int scope_procnet_parse_inet(const char *text, int udp, int v6, scope_procnet_inet_cb fn,
                             void *arg);
/* What the Processes pane says of such a socket: "tcp listen 127.0.0.1:4000",
 * "tcp 127.0.0.1 :51234>:4000" (local port, then the remote's), or
 * "udp 10.0.0.1:4000>10.0.0.2:5000". */
void scope_procnet_inet_label(const scope_procnet_inet_t *s, char *out, size_t n);
/* 1 when a and b are the same address and port, 0 otherwise. An IPv4-mapped
 * IPv6 address (::ffff:127.0.0.1, what a dual-stack socket reports) equals
 * its IPv4 form; with any_ok, an unspecified address (0.0.0.0, ::) on a's
 * side matches any address of b's (still with b's port). */
int scope_procnet_addr_eq(const struct sockaddr *a, const struct sockaddr *b, int any_ok);

/* ---- reading /proc -------------------------------------------------------- */

/* Reads a /proc file whole into *text, a NUL-terminated string the caller
 * frees. Returns its length, or a negative errno. */
long scope_procnet_read(const char *path, char **text);
/* Reads /proc/net/{tcp,tcp6,udp,udp6} (udp, v6 say which) and calls fn for
 * each socket. Returns how many it reported, or a negative errno. */
int scope_procnet_read_inet(int udp, int v6, scope_procnet_inet_cb fn, void *arg);
/* Reads /proc/net/unix and calls fn for each socket with a path. */
int scope_procnet_read_unix(scope_procnet_unix_cb fn, void *arg);
/* The row of our own TCP or UDP socket fd (found by its inode), with its
 * queues and, for UDP, its drops. Returns 0, -ENOENT, or another -errno. */
int scope_procnet_inet_of_fd(int fd, scope_procnet_inet_t *out);
/* The inode of the TCP socket (in tcp and tcp6) whose own end is local and
 * whose peer is remote; with remote NULL, of the socket listening on local's
 * port, on local's address or on any. Returns 0, or -ENOENT when there is
 * none (or only one no process holds). */
int scope_procnet_tcp_inode(const struct sockaddr *local, const struct sockaddr *remote,
                            unsigned long *inode);
/* Many such sockets at once, from one read of tcp and tcp6 (a read costs
 * milliseconds when the machine has thousands of sockets): for each query,
 * the inode scope_procnet_tcp_inode would give, or 0 when there is none.
 * Returns how many were found, or a negative errno when neither table could
 * be read. */
typedef struct {
    const struct sockaddr *local;  /* the socket's own end */
    const struct sockaddr *remote; /* its peer; NULL: the one listening on local */
    unsigned long inode;           /* the answer, 0 when none */
} scope_procnet_tcp_query_t;
int scope_procnet_tcp_inodes(scope_procnet_tcp_query_t *queries, int n);
/* Unix socket peers from the kernel (NETLINK_SOCK_DIAG, what `ss -x` uses):
 * fills pairs of (inode, peer inode); returns how many, or a negative errno. */
int scope_procnet_unix_peers(unsigned long (*pairs)[2], int max);

/* ---- who holds a socket --------------------------------------------------- */

/* 1 when /proc/PID/fd holds socket inode, 0 when not, or a negative errno
 * when that fd table cannot be read (the process is gone, or not ours). */
int scope_procnet_holds(long pid, unsigned long inode);
/* The process holding socket inode: the candidates first (e.g. our own
 * children, which forked holders' parents would otherwise shadow), then,
 * with scan_all, every process whose /proc/PID/fd we may read, in pid order.
 * Returns the pid, or -ENOENT. A scan of all of /proc costs milliseconds:
 * never on a loop thread (lib/peer.h does it in the thread pool). */
long scope_procnet_owner(unsigned long inode, const long *cand, int ncand, int scan_all);
/* The holders of n socket inodes at once, each as scope_procnet_owner would
 * find it, from one walk of the fd tables: pids[i] is the pid holding
 * inodes[i], or -ENOENT (an inode of 0 too). The walk stops once every inode
 * is found. Returns how many were found, or a negative errno when /proc
 * cannot be read. */
int scope_procnet_owners(const unsigned long *inodes, long *pids, int n, const long *cand,
                         int ncand, int scan_all);
/* The children of process pid (/proc/PID/task/PID/children: those its main
 * thread forked) into pids[max]. Returns how many, or a negative errno. */
int scope_procnet_children(long pid, long *pids, int max);
/* A process's command name (/proc/PID/comm, without the newline).
 * Returns 0 or a negative errno. */
int scope_procnet_comm(long pid, char *out, size_t n);
/* Sends sig to pid, then to each of its children, read before pid dies and
 * they move to init; their "comm PID" go into names, ", " between them. A
 * shell killed alone (node's exec kills only it) leaves what it started
 * holding its pipes, and a 'cat' on them living on. One level, not a tree.
 * Returns how many children were sent sig, or a negative errno when pid
 * itself could not be. */
int scope_procnet_kill_with_children(long pid, int sig, char *names, size_t n);
/* What fds 0 to last of process pid are, as /proc/PID/fd/N links say:
 * "fd 0 -> pipe:[12], fd 1 -> socket:[34]", "?" for one that cannot be
 * read: a narration shows where a child's fds landed. Returns 0, or -ENOSPC
 * when out was too small and the text cut. */
int scope_procnet_fd_targets(long pid, int last, char *out, size_t n);

#endif
