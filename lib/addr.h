/* addr: where a socket demo listens and connects, and where it keeps its
 * socket files.
 *
 *   - addresses: "HOST:PORT" read from a command line and printed back
 *     (IPv4, and IPv6 in brackets);
 *   - a private directory for socket files and FIFOs (mode 0700, owned by us),
 *     because a path in world-writable /tmp can be taken first, or replaced,
 *     by another user.
 *
 * Functions return 0 (or a documented positive value) or a negative errno,
 * and never print. Nothing here allocates: every result goes into a buffer
 * the caller owns.
 *
 * Usage:
 *
 *     struct sockaddr_storage a;
 *     if (scope_addr_parse("localhost:3000", "127.0.0.1", 0, &a) < 0) ...
 *     char dir[PATH_MAX];
 *     scope_rundir_make("unix-socket", dir, sizeof dir);   // .../ipcscope-unix-socket.XXXXXX
 */
#ifndef SCOPE_ADDR_H
#define SCOPE_ADDR_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* ---- addresses --------------------------------------------------------- */

/* Room for "[ffff:...:ffff]:65535" and a NUL. */
#define SCOPE_ADDR_STRLEN 64

/* Parses "HOST:PORT", "[IPV6]:PORT", ":PORT" or "PORT" (the host is then
 * default_host), or "HOST" alone (the port is then default_port). HOST is a
 * numeric address or a name resolved once (getaddrinfo, first answer; this
 * blocks, so call it before the loop runs). Returns 0, -EINVAL for a bad
 * spec or port, or -ENOENT for a name that does not resolve. */
int scope_addr_parse(const char *spec, const char *default_host, int default_port,
                     struct sockaddr_storage *out);
/* The length to pass to bind/connect for sa's family. */
socklen_t scope_addr_len(const struct sockaddr *sa);
/* "127.0.0.1:4000" or "[::1]:4000" into out; returns out. */
char *scope_addr_format(const struct sockaddr *sa, char *out, size_t outlen);
/* The port in host order, or -1 for a family without ports. */
int scope_addr_port(const struct sockaddr *sa);
/* 1 for 127.0.0.0/8 and ::1, else 0: servers say so when they are reachable
 * from other machines. */
int scope_addr_is_loopback(const struct sockaddr *sa);

/* A socket of type (SOCK_STREAM, SOCK_DGRAM) bound to 127.0.0.1 on a port
 * the kernel picks, close-on-exec; its address in out. Returns the fd, or a
 * negative errno naming what failed (socket, bind, getsockname). */
int scope_addr_bind_loopback(int type, struct sockaddr_storage *out);

/* ---- a private directory for socket files and FIFOs -------------------- */

/* Makes BASE/ipcscope-NAME.XXXXXX with mode 0700, BASE being $XDG_RUNTIME_DIR
 * when it is a directory of ours, else $TMPDIR, else /tmp, and writes its path
 * into out. The directory records its owner's pid (a file ".owner"), and
 * first the directories of runs that died without removing theirs (SIGKILL)
 * are swept: see scope_rundir_sweep. Returns 0, -ENAMETOOLONG, or mkdtemp's
 * errno. */
int scope_rundir_make(const char *name, char *out, size_t outlen);
/* BASE, where scope_rundir_make makes its directories (added for
 * lib/broker, whose append-only files of a dead run must be removed before
 * the sweep in scope_rundir_make takes their owner record). */
const char *scope_rundir_base(void);
/* Removes BASE/ipcscope-* directories of ours whose recorded owner is no
 * longer running, with the socket files and FIFOs in them; a directory that
 * holds anything else is left alone. Returns how many were removed. */
int scope_rundir_sweep(void);
/* 0 when dir is a directory owned by this user that nobody else may enter or
 * write, else -EPERM (or lstat's errno). */
int scope_rundir_check(const char *dir);
/* Removes the directory (empty but for its owner record). Returns 0 or
 * -errno. */
int scope_rundir_remove(const char *dir);

#endif
