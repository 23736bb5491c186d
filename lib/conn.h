/* conn: one connected byte stream (TCP or Unix) cut into frames.
 *
 * Text lines, or 4-byte length-prefixed frames, with a bound on a frame's
 * size, a limit on how long a peer may say nothing, byte counters, an end
 * as Node's socket.end() makes it (scope_conn_end), and a close that first
 * lets queued replies out.
 *
 * Ownership: the caller owns the scope_conn_t and frees it in on_close, not
 * before; frames passed to callbacks are borrowed for the call; bytes given
 * to send are copied when the kernel does not take them at once.
 * Functions return 0 or a negative errno, and never print.
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
#ifndef SCOPE_CONN_H
#define SCOPE_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "framing.h"

/* ---- connections --------------------------------------------------------- */

#ifndef SCOPE_CONN_MAX_QUEUED
#define SCOPE_CONN_MAX_QUEUED (1024u * 1024u)
#endif

typedef enum {
    SCOPE_CONN_LINES,  /* text lines ending in "\n" (a "\r\n" is taken too) */
    SCOPE_CONN_LENGTH, /* a 4-byte big-endian length, then that many bytes */
    /* No framing: on_frame gets each read as it comes (what Node's
     * socket.on('data') hands over), the peer's EOF comes to on_end as for
     * the others. For a sink that only counts, and for a reader that shows
     * what a stream does to message boundaries. scope_conn_send writes the
     * bytes as they are. */
    SCOPE_CONN_RAW,
} scope_conn_framing_t;

typedef struct scope_conn_s scope_conn_t;

/* One whole frame, without its "\n" or length header. data is borrowed. */
typedef void (*scope_conn_frame_cb)(scope_conn_t *c, const char *data, size_t len);
/* A frame refused (oversize): skipped, the stream goes on. */
typedef void (*scope_conn_error_cb)(scope_conn_t *c, const scope_frame_error_t *err);
/* The stream ended: status 0 when the peer closed it (EOF), UV_ETIMEDOUT when
 * it completed nothing for idle_ms, UV_ENOBUFS when it left more than
 * max_queued bytes unread, or a negative errno. A frame left unfinished
 * is counted in partial_bytes. The connection closes itself after this. */
typedef void (*scope_conn_end_cb)(scope_conn_t *c, int status);
/* The handle is closed; the owner may free c now. */
typedef void (*scope_conn_close_cb)(scope_conn_t *c);

typedef struct {
    scope_conn_framing_t framing;
    size_t max_frame; /* 0: SCOPE_FRAME_MAX_DEFAULT */
    /* A peer that completes no frame for idle_ms is cut off (UV_ETIMEDOUT):
     * a byte now and then does not keep it (a slowloris). 0: no limit. */
    uint64_t idle_ms;
    /* Bytes the kernel has not taken yet that we hold for a peer, at most:
     * one that does not read while we write to it (a chat member that never
     * reads) is cut off (UV_ENOBUFS) rather than grow us without end.
     * 0: SCOPE_CONN_MAX_QUEUED. */
    size_t max_queued;
    /* Lines only: a line left without its newline for partial_ms, or when
     * the peer ends, is delivered as a frame all the same. A Node peer that
     * writes 'ping' and waits means a message by it; 0: wait for '\n'. */
    uint64_t partial_ms;
    /* Writes made during one turn of the loop go out together, in one
     * write() per connection once the turn's callbacks are done (before the
     * loop waits again, so no later). A chat server that hands each line to
     * every member pays one syscall per member per turn, not one per line:
     * with a thousand members talking, that is most of its work. */
    int coalesce;
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
    uint64_t frames_in, frames_out; /* SCOPE_CONN_RAW: a read is a frame */
    uint64_t frames_refused; /* oversize frames skipped */
    uint64_t reads;          /* read callbacks with data: shows how a stream chunks */
    uint64_t partial_bytes;  /* of a frame cut off by the end of the stream */
    uint64_t partial_frames; /* lines delivered without their newline (partial_ms) */
    /* private */
    scope_conn_options_t o;
    scope_ndjson_t lines;
    scope_lenframe_t frames;
    uv_timer_t timer; /* idle limit, then the bound on a graceful close */
    uv_timer_t partial_timer;
    uv_shutdown_t shutdown_req;
    int started, ended, closing, shut, overflowed, idle_held, handles_open;
    scope_conn_t *live_next, **live_prev; /* started, for scope_conn_idle_hold_all */
    int coalescing;                       /* counted among flush's users */
    char *cork;                           /* coalesce: this turn's writes, not yet out */
    size_t cork_len, cork_cap;
    scope_conn_t *cork_next, **cork_prev; /* in the list of the turn's corked conns */
};

/* Prepares c's handle as a TCP or Unix stream, for uv_accept, uv_tcp_connect
 * or uv_pipe_connect into &c->h. on_close (may be NULL) is called once the
 * handle is closed, even when it never started: a failed accept or connect
 * is ended with scope_conn_close, and c freed there. Returns 0 or a
 * negative errno. */
int scope_conn_init_tcp(uv_loop_t *loop, scope_conn_t *c, scope_conn_close_cb on_close);
int scope_conn_init_pipe(uv_loop_t *loop, scope_conn_t *c, scope_conn_close_cb on_close);
/* Starts reading frames from the connected stream. An on_close in o
 * replaces the one given to init. A SCOPE_CONN_RAW connection may be started
 * again with another framing, from its on_frame too: the reads after that
 * are decoded (a reader that learns late what it reads); any other started
 * connection answers UV_EALREADY. */
int scope_conn_start(scope_conn_t *c, const scope_conn_options_t *o);
/* Sends one frame: data and a "\n", or a length header and data. The bytes are
 * copied. Returns 0, -EMSGSIZE when len exceeds max_frame (or contains a
 * newline in line mode: -EINVAL), -EPIPE once the stream has ended, -ENOMEM,
 * or -ENOBUFS when the peer has left max_queued bytes unread: the frame is
 * dropped and the connection ends (on_end with UV_ENOBUFS, on a later turn
 * of the loop, so a caller sending to many is not cut short). */
int scope_conn_send(scope_conn_t *c, const void *data, size_t len);
/* Sends bytes exactly as given, with no framing: what a fault demo needs
 * (a half message, garbage), and what shows a stream's lack of boundaries. */
int scope_conn_write_raw(scope_conn_t *c, const void *data, size_t len);
/* 1 while frames may still be sent: not ended, closing, shut by
 * scope_conn_end, or cut off for not reading. */
int scope_conn_writable(const scope_conn_t *c);
/* While held, the idle limit does not run: for a peer that is quiet
 * because the lesson is paused, not because it is gone. */
void scope_conn_idle_hold(scope_conn_t *c, int hold);
/* The same for every started connection on loop, and for those started on
 * it later, until released (hold 0): what a lesson's pause means for every
 * peer of a server at once, without a list of them kept by the server. */
void scope_conn_idle_hold_all(uv_loop_t *loop, int hold);
/* The socket's fd, or -1. */
int scope_conn_fd(const scope_conn_t *c);
/* Ends our side as Node's socket.end() does: queued bytes go out, then
 * shutdown(SHUT_WR), so the peer reads EOF; reading goes on, so the peer's
 * last answers still arrive, until its own EOF comes to on_end (status 0)
 * and the connection closes. Sends fail with -EPIPE from here on. */
void scope_conn_end(scope_conn_t *c);
/* Ends the connection: queued bytes go out first (for at most a second),
 * then the handle closes and on_close runs. Safe to call more than once, and
 * on a connection that never started. on_end is not called for a close the
 * owner asked for. */
void scope_conn_close(scope_conn_t *c);

#endif
