/* channel: Node's IPC channel, in C, on a libuv ipc pipe.
 *
 * What child_process.fork() gives a parent and child: a Unix stream socket
 * (one end of a socketpair) on which each message is JSON.stringify(msg) +
 * "\n" (serialization 'json'). A handle travels as SCM_RIGHTS ancillary data on
 * the same sendmsg as a wrapper message
 *
 *     {"cmd":"NODE_HANDLE","type":"net.Server","msg":<the user's message>}
 *
 * which the receiver answers with {"cmd":"NODE_HANDLE_ACK"} (or
 * NODE_HANDLE_NACK when the fd did not arrive, and the sender sends again).
 * Until the ACK comes, Node queues every later message so that order is kept;
 * so does this module. Other messages whose cmd starts with "NODE_" are Node's
 * internal traffic (cluster uses them): never delivered as messages, only to
 * on_internal when it is set.
 *
 * A peer that is node exits with an exception on a line that is not JSON, so
 * this module only ever writes lines printed by cJSON, never a blank one.
 * Like node, a program using it ignores SIGPIPE: a write to a peer that is gone
 * must come back as EPIPE, not kill the writer.
 * What it receives that is not JSON is reported through on_error, and the
 * channel goes on with the next line.
 *
 * Usage (a child whose parent forked it with NODE_CHANNEL_FD):
 *
 *     static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
 *     {   // msg is borrowed; fd (-1 if none) is yours to close
 *         cJSON *reply = cJSON_CreateObject();
 *         cJSON_AddTrueToObject(reply, "received");
 *         scope_channel_send(ch, reply);  // serialized now; reply is still yours
 *         cJSON_Delete(reply);
 *     }
 *     scope_channel_t ch = {.on_message = on_message, .on_disconnect = on_gone};
 *     int r = scope_channel_open_env(loop, &ch);   // reads NODE_CHANNEL_FD
 */
#ifndef SCOPE_CHANNEL_H
#define SCOPE_CHANNEL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include <cJSON.h>

#include "framing.h"

/* Largest message accepted from the peer. Node itself sets no limit; this one
 * is generous (a 2 MiB message passes) and bounded. */
#ifndef SCOPE_CHANNEL_MAX_MESSAGE
#define SCOPE_CHANNEL_MAX_MESSAGE (64u * 1024u * 1024u)
#endif

typedef struct scope_channel_s scope_channel_t;

/* msg is borrowed for the call, and NULL for a handle that came with no
 * message (node's send(undefined, handle): its NODE_HANDLE line has no "msg").
 * fd is a received handle (-1 when none), now owned by the callee; type is
 * Node's name for it ("net.Server", "net.Socket", "net.Native",
 * "dgram.Socket", ...). */
typedef void (*scope_channel_message_cb)(scope_channel_t *ch, cJSON *msg, int fd,
                                         const char *type);
/* A line from the peer that was refused (malformed, blank, oversize). */
typedef void (*scope_channel_error_cb)(scope_channel_t *ch, const scope_frame_error_t *err);
/* The channel is gone: status 0 after our own scope_channel_disconnect,
 * UV_EOF when the peer closed its end, another negative errno when it failed.
 * The channel is closing; no callback follows but on_close. */
typedef void (*scope_channel_disconnect_cb)(scope_channel_t *ch, int status);
typedef void (*scope_channel_close_cb)(scope_channel_t *ch);
/* One of node's own messages ({"cmd":"NODE_..."}) other than the handle
 * protocol this module answers itself: cluster's NODE_CLUSTER traffic, which
 * node gives its 'internalMessage' listeners. msg is borrowed; fd (-1 when
 * none) came with it as a handle, as cluster's newconn does, and is now the
 * callee's. */
typedef void (*scope_channel_internal_cb)(scope_channel_t *ch, cJSON *msg, int fd);

typedef struct scope_channel_outq_s scope_channel_outq_t;

struct scope_channel_s {
    /* set by the caller before open */
    void *data;
    scope_channel_message_cb on_message;
    scope_channel_error_cb on_error;           /* may be NULL */
    scope_channel_disconnect_cb on_disconnect; /* may be NULL */
    scope_channel_close_cb on_close;           /* when closed; may be NULL */
    scope_channel_internal_cb on_internal;     /* may be NULL: node's own messages are dropped */
    size_t max_message;                        /* 0: SCOPE_CHANNEL_MAX_MESSAGE */
    /* When set, every message this channel sends is traced (lib/trace) with
     * the line it writes, before it is written: the peer, on another CPU,
     * may answer before we would get round to it. Received messages are the
     * caller's to trace, with their round trip: scope_trace_recv_json(trace,
     * msg, ch->message_bytes, rtt). May be NULL. */
    struct scope_trace_s *trace;

    /* counters, read-only for the caller */
    uint64_t sent, received, bytes_sent, bytes_received, refused;
    uint64_t stray_fds; /* fds that came with no NODE_HANDLE line, closed */
    size_t message_bytes; /* during on_message: that message's line on the wire, '\n' included */

    /* private */
    uv_pipe_t pipe;
    scope_ndjson_t decoder;
    int fd;
    int open, closing, disconnected;
    int *pending_fds;            /* fds received, waiting for their NODE_HANDLE line */
    size_t npending_fds;
    scope_channel_outq_t *queue; /* messages held while a handle awaits its ACK */
    scope_channel_outq_t *queue_tail;
    scope_channel_outq_t *awaiting_ack; /* the handle message sent, kept to resend */
    int handle_retries;
    int disconnect_requested;
    uv_shutdown_t shutdown_req;
    char *line; /* the line being sent, printed here and reused for the next */
    size_t line_len, line_cap;
    char readbuf[64 * 1024];
};

/* Opens the channel on fd (one end of a socketpair). The channel owns the fd
 * from now on and sets FD_CLOEXEC on it. Returns 0 or a negative errno. */
int scope_channel_open(uv_loop_t *loop, scope_channel_t *ch, int fd);
/* Opens the channel named by NODE_CHANNEL_FD, as a node child does: checks
 * NODE_CHANNEL_SERIALIZATION_MODE is json (or unset), then unsets both so that
 * this process's own children do not inherit them. -ENOENT when there is no
 * channel, -EBADF when the fd is not a socket, -EPROTONOSUPPORT for 'advanced'
 * serialization. */
int scope_channel_open_env(uv_loop_t *loop, scope_channel_t *ch);

/* Sends msg (serialized now; msg stays the caller's) as one line. Returns the
 * bytes queued, or a negative errno (-EPIPE once disconnected). */
int scope_channel_send(scope_channel_t *ch, const cJSON *msg);
/* Sends msg with a handle, as child.send(msg, handle) does: fd is duplicated
 * (the caller keeps its own), type is Node's name for it. */
int scope_channel_send_handle(scope_channel_t *ch, const cJSON *msg, int fd, const char *type);
/* Writes bytes as they are, no checking. Only for demonstrating what a peer
 * does with a malformed line: never for real traffic. */
int scope_channel_write_raw(scope_channel_t *ch, const char *bytes, size_t len);

/* Ends the channel as child.disconnect() does: queued messages are written,
 * then our side is shut down (the peer reads EOF) and closed; on_close runs
 * once it is closed. */
void scope_channel_disconnect(scope_channel_t *ch);
/* Closes at once, dropping anything queued; on_close follows. */
void scope_channel_close(scope_channel_t *ch);

/* The fd the channel is open on, -1 when it is not open: what a child that
 * opened NODE_CHANNEL_FD (now unset) narrates as its end of the channel. */
int scope_channel_fd(const scope_channel_t *ch);

/* 1 when msg is one of Node's internal messages ({"cmd":"NODE_..."}). */
int scope_channel_is_internal(const cJSON *msg);

#endif
