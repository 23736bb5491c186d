/* net: what the socket demos (unix-socket, tcp, udp) share.
 *
 *   - addresses: "HOST:PORT" read from a command line and printed back
 *     (IPv4, and IPv6 in brackets);
 *   - a private directory for socket files and FIFOs (mode 0700, owned by us),
 *     because a path in world-writable /tmp can be taken first, or replaced,
 *     by another user;
 *   - socket files: is a server alive behind this path, or is the file stale?
 *     and who is the peer (SO_PEERCRED)?
 *   - scope_conn_t: one connected byte stream (TCP or Unix) cut into frames
 *     (text lines, or 4-byte length-prefixed frames), with a bound on a frame's
 *     size, a limit on how long a peer may say nothing, byte counters, and a
 *     close that first lets queued replies out.
 *
 * Functions return 0 (or a documented positive value) or a negative errno,
 * and never print.
 *
 * Usage (a line server's accept callback):
 *
 *     static void on_line(scope_conn_t *c, const char *line, size_t len)
 *     {   char reply[128];
 *         int n = snprintf(reply, sizeof reply, "pong: %.*s", (int)len, line);
 *         scope_conn_send(c, reply, (size_t)n);    // the '\n' is added
 *     }
 *     static void on_end(scope_conn_t *c, int status) { ...status 0 is EOF... }
 *     static void on_close(scope_conn_t *c) { free(c); }
 *
 *     scope_conn_t *c = calloc(1, sizeof *c);
 *     scope_conn_init_pipe(loop, c, on_close);
 *     uv_accept(server, &c->h.stream);
 *     scope_conn_options_t o = {.framing = SCOPE_CONN_LINES, .max_frame = 4096,
 *         .idle_ms = 30000, .on_frame = on_line, .on_end = on_end};
 *     scope_conn_start(c, &o);
 */
#ifndef SCOPE_NET_H
#define SCOPE_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <uv.h>

#include "framing.h"

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

/* ---- a private directory for socket files and FIFOs -------------------- */

/* Makes BASE/ipcscope-NAME.XXXXXX with mode 0700, BASE being $XDG_RUNTIME_DIR
 * when it is a directory of ours, else $TMPDIR, else /tmp, and writes its path
 * into out. Returns 0, -ENAMETOOLONG, or mkdtemp's errno. */
int scope_rundir_make(const char *name, char *out, size_t outlen);
/* 0 when dir is a directory owned by this user that nobody else may enter or
 * write, else -EPERM (or lstat's errno). */
int scope_rundir_check(const char *dir);
/* Removes the directory (it must be empty). Returns 0 or -errno. */
int scope_rundir_remove(const char *dir);

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

/* ---- connections --------------------------------------------------------- */

typedef enum {
    SCOPE_CONN_LINES,  /* text lines ending in "\n" (a "\r\n" is taken too) */
    SCOPE_CONN_LENGTH, /* a 4-byte big-endian length, then that many bytes */
} scope_conn_framing_t;

typedef struct scope_conn_s scope_conn_t;

/* One whole frame, without its "\n" or length header. data is borrowed. */
typedef void (*scope_conn_frame_cb)(scope_conn_t *c, const char *data, size_t len);
/* A frame refused (oversize): skipped, the stream goes on. */
typedef void (*scope_conn_error_cb)(scope_conn_t *c, const scope_frame_error_t *err);
/* The stream ended: status 0 when the peer closed it (EOF), UV_ETIMEDOUT when
 * it said nothing for idle_ms, or a negative errno. A frame left unfinished
 * is counted in partial_bytes. The connection closes itself after this. */
typedef void (*scope_conn_end_cb)(scope_conn_t *c, int status);
/* The handle is closed; the owner may free c now. */
typedef void (*scope_conn_close_cb)(scope_conn_t *c);

typedef struct {
    scope_conn_framing_t framing;
    size_t max_frame; /* 0: SCOPE_FRAME_MAX_DEFAULT */
    uint64_t idle_ms; /* 0: no limit */
    scope_conn_frame_cb on_frame;
    scope_conn_error_cb on_error; /* may be NULL */
    scope_conn_end_cb on_end;     /* may be NULL */
    scope_conn_close_cb on_close; /* may be NULL: init's stays */
} scope_conn_options_t;

struct scope_conn_s {
    void *data; /* the caller's */
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } h;
    /* counters, for events and summaries */
    uint64_t bytes_in, bytes_out; /* on the wire, framing included */
    uint64_t frames_in, frames_out;
    uint64_t reads;          /* read callbacks with data: shows how a stream chunks */
    uint64_t partial_bytes;  /* of a frame cut off by the end of the stream */
    /* private */
    scope_conn_options_t o;
    scope_ndjson_t lines;
    scope_lenframe_t frames;
    uv_timer_t timer; /* idle limit, then the bound on a graceful close */
    uv_shutdown_t shutdown_req;
    int started, ended, closing, handles_open;
    char buf[64 * 1024];
};

/* Prepares c's handle as a TCP or Unix stream, for uv_accept, uv_tcp_connect
 * or uv_pipe_connect into &c->h. on_close (may be NULL) is called once the
 * handle is closed, even when it never started: a failed accept or connect
 * is ended with scope_conn_close, and c freed there. Returns 0 or a
 * negative errno. */
int scope_conn_init_tcp(uv_loop_t *loop, scope_conn_t *c, scope_conn_close_cb on_close);
int scope_conn_init_pipe(uv_loop_t *loop, scope_conn_t *c, scope_conn_close_cb on_close);
/* Starts reading frames from the connected stream. An on_close in o
 * replaces the one given to init. */
int scope_conn_start(scope_conn_t *c, const scope_conn_options_t *o);
/* Sends one frame: data and a "\n", or a length header and data. The bytes are
 * copied. Returns 0, -EMSGSIZE when len exceeds max_frame (or contains a
 * newline in line mode: -EINVAL), -EPIPE once the stream has ended, -ENOMEM. */
int scope_conn_send(scope_conn_t *c, const void *data, size_t len);
/* Sends bytes exactly as given, with no framing: what a fault demo needs
 * (a half message, garbage), and what shows a stream's lack of boundaries. */
int scope_conn_write_raw(scope_conn_t *c, const void *data, size_t len);
/* Bytes accepted by send but not yet taken by the kernel. */
size_t scope_conn_queued(const scope_conn_t *c);
/* The socket's fd, or -1. */
int scope_conn_fd(const scope_conn_t *c);
/* Ends the connection: queued bytes go out first (for at most a second),
 * then the handle closes and on_close runs. Safe to call more than once, and
 * on a connection that never started. on_end is not called for a close the
 * owner asked for. */
void scope_conn_close(scope_conn_t *c);

#endif
