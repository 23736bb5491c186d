/* unixsock: Unix socket files and who is at the other end.
 *
 * A socket file outlives the server that made it: is a server alive behind
 * this path, or is the file stale and safe to remove? And who connected
 * (SO_PEERCRED, recorded by the kernel, not claimed by the peer)? Also the
 * abstract namespace, which libuv 1.44 cannot bind, and FIFOs, whose open()
 * blocks until the other end opens.
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

#include <limits.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <uv.h>

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

/* A socket on the abstract name (the bytes of name, without the leading NUL
 * or the '@' people write), bound or connected: libuv 1.44's uv_pipe_bind()
 * and uv_pipe_connect() take paths only, so a demo hands the fd to
 * uv_pipe_open(). Returns the fd (close-on-exec), or a negative errno
 * (-EADDRINUSE: a live socket holds the name; -ECONNREFUSED: nobody does). */
int scope_unix_bind_abstract(const char *name);
int scope_unix_connect_abstract(const char *name);

/* The process at the other end of a connected Unix socket, as the kernel
 * recorded it at connect() (SO_PEERCRED): it cannot be forged by the peer. */
int scope_peer_cred(int fd, pid_t *pid, uid_t *uid, gid_t *gid);

/* ---- FIFOs ---------------------------------------------------------------- */

/* open() of a FIFO blocks until a process opens its other end, so it runs in
 * libuv's thread pool and the loop stays awake; cb(o, fd) comes on the loop
 * with the fd, or a negative errno (UV_ECANCELED after scope_fifo_cancel).
 *
 *     scope_fifo_open(loop, &o, "up.fifo", O_RDONLY | O_CLOEXEC, on_opened);
 *     ...
 *     scope_fifo_cancel(&o); // on the way out: on_opened(&o, UV_ECANCELED)
 */
typedef struct scope_fifo_open_s scope_fifo_open_t;
typedef void (*scope_fifo_open_cb)(scope_fifo_open_t *o, int fd);
struct scope_fifo_open_s {
    void *data;
    int pending;        /* read-only: the open() has not come back yet */
    uint64_t waited_ns; /* read-only, in cb: how long the open() blocked */
    /* private */
    uv_fs_t req;
    scope_fifo_open_cb cb;
    char path[PATH_MAX];
    int flags, cancelled;
};
/* flags: O_RDONLY or O_WRONLY, and O_CLOEXEC. Returns 0 or a negative errno. */
int scope_fifo_open(uv_loop_t *loop, scope_fifo_open_t *o, const char *path, int flags,
                    scope_fifo_open_cb cb);
/* Lets a pending open() go: a thread blocked in open() cannot be
 * interrupted, so this opens the other end for a moment, which is what the
 * open() waits for; the fd it then gets is closed, and cb gets UV_ECANCELED.
 * Nothing when the open is not pending. */
void scope_fifo_cancel(scope_fifo_open_t *o);

#endif
