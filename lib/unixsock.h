/* unixsock: Unix socket files and who is at the other end.
 *
 * A socket file outlives the server that made it: is a server alive behind
 * this path, or is the file stale and safe to remove? And who connected
 * (SO_PEERCRED, recorded by the kernel, not claimed by the peer)?
 *
 * Functions return 0 (or a documented positive value) or a negative errno,
 * and never print.
 *
 * Usage:
 *
 *     int r = scope_unix_probe(path);
 *     if (r == SCOPE_UNIX_STALE) unlink(path);      // nobody listens there
 *     else if (r == -EADDRINUSE) ...                // a live server: leave it
 */
#ifndef SCOPE_UNIXSOCK_H
#define SCOPE_UNIXSOCK_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

/* ---- Unix socket files ------------------------------------------------- */

/* Fills a sockaddr_un for path, or for the abstract name path when abstract
 * is set (a leading NUL byte: no file, no permissions, gone with the last
 * socket). Returns the length to pass to bind/connect, or -ENAMETOOLONG when
 * the path does not fit in sun_path (108 bytes on Linux). */
int scope_unix_addr(const char *path, int abstract, struct sockaddr_un *out);

enum {
    SCOPE_UNIX_FREE = 0,  /* nothing at the path */
    SCOPE_UNIX_STALE = 1, /* a socket file nobody listens on: safe to unlink */
};
/* What is at a socket path: SCOPE_UNIX_FREE, SCOPE_UNIX_STALE, -EADDRINUSE
 * when a server accepts connections there (never steal it), -ENOTSOCK when
 * the path is some other kind of file (never remove it), or another -errno.
 * Probing connects and hangs up at once: a live server sees one connection
 * that says nothing. */
int scope_unix_probe(const char *path);

/* The process at the other end of a connected Unix socket, as the kernel
 * recorded it at connect() (SO_PEERCRED): it cannot be forged by the peer. */
int scope_peer_cred(int fd, pid_t *pid, uid_t *uid, gid_t *gid);

#endif
