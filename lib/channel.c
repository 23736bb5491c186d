/* channel: Node's IPC channel on a libuv ipc pipe. See channel.h for the
 * protocol; this file is the bookkeeping around it: the handle that must ride
 * with its NODE_HANDLE line, the ACK that releases the queue, and closing
 * without losing what was queued.
 */
#include "channel.h"
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Node gives up on a handle after this many NACKs, and so do we. */
#define MAX_HANDLE_RESENDS 3

struct scope_channel_outq_s {
    uv_write_t req;
    scope_channel_t *ch;
    char *text; /* one JSON text, without the newline */
    size_t len;
    uv_handle_t *handle; /* wraps the fd being passed, or NULL */
    int internal;        /* ACK/NACK: never held behind a handle */
    int in_flight;       /* written, write callback not yet run */
    int resend;          /* a NACK came while in flight: send again after it */
    scope_channel_outq_t *next;
};

static const char newline[] = "\n";

int scope_channel_is_internal(const cJSON *msg)
{
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(msg, "cmd");
    return cJSON_IsObject(msg) && cJSON_IsString(cmd) && strlen(cmd->valuestring) > 4 &&
           strncmp(cmd->valuestring, "NODE_", 5) == 0;
}

static void free_handle_cb(uv_handle_t *h)
{
    free(h);
}

static void outq_free(scope_channel_outq_t *q)
{
    if (!q)
        return;
    if (q->handle)
        uv_close(q->handle, free_handle_cb);
    cJSON_free(q->text);
    free(q);
}

/* ---- closing ----------------------------------------------------------- */

static void on_pipe_closed(uv_handle_t *h)
{
    scope_channel_t *ch = h->data;
    scope_ndjson_free(&ch->decoder);
    for (size_t i = 0; i < ch->npending_fds; i++)
        close(ch->pending_fds[i]);
    free(ch->pending_fds);
    ch->pending_fds = NULL;
    ch->npending_fds = 0;
    while (ch->queue) {
        scope_channel_outq_t *q = ch->queue;
        ch->queue = q->next;
        outq_free(q);
    }
    ch->queue_tail = NULL;
    outq_free(ch->awaiting_ack);
    ch->awaiting_ack = NULL;
    ch->open = 0;
    if (ch->on_close)
        ch->on_close(ch);
}

void scope_channel_close(scope_channel_t *ch)
{
    if (!ch->open || ch->closing)
        return;
    ch->closing = 1;
    ch->disconnected = 1;
    uv_close((uv_handle_t *)&ch->pipe, on_pipe_closed);
}

static void lost_peer(scope_channel_t *ch, int status)
{
    if (ch->disconnected)
        return;
    ch->disconnected = 1;
    if (ch->on_disconnect)
        ch->on_disconnect(ch, status);
    scope_channel_close(ch);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    /* As in node, the side that disconnects hears 'disconnect' too (status 0). */
    lost_peer(req->data, 0);
}

static void maybe_finish_disconnect(scope_channel_t *ch)
{
    if (!ch->disconnect_requested || ch->closing || ch->queue || ch->awaiting_ack)
        return;
    uv_read_stop((uv_stream_t *)&ch->pipe);
    ch->shutdown_req.data = ch;
    if (uv_shutdown(&ch->shutdown_req, (uv_stream_t *)&ch->pipe, on_shutdown) < 0)
        scope_channel_close(ch);
}

void scope_channel_disconnect(scope_channel_t *ch)
{
    if (!ch->open || ch->closing || ch->disconnect_requested)
        return;
    ch->disconnect_requested = 1;
    maybe_finish_disconnect(ch);
}

/* ---- writing ----------------------------------------------------------- */

static void flush_queue(scope_channel_t *ch);
static int write_item(scope_channel_t *ch, scope_channel_outq_t *q);

static void on_written(uv_write_t *req, int status)
{
    scope_channel_outq_t *q = req->data;
    scope_channel_t *ch = q->ch;
    q->in_flight = 0;
    /* A message with a handle lives on until its ACK: it may have to be sent
     * again after a NACK. The ACK may also be read before this callback runs;
     * then the item was released and is freed here. */
    if (q != ch->awaiting_ack) {
        outq_free(q);
    } else if (q->resend && status == 0) {
        q->resend = 0;
        if (write_item(ch, q) < 0) {
            ch->awaiting_ack = NULL;
            outq_free(q);
        }
    }
    if (status < 0 && status != UV_ECANCELED)
        lost_peer(ch, status);
}

static int write_item(scope_channel_t *ch, scope_channel_outq_t *q)
{
    uv_buf_t bufs[2] = {uv_buf_init(q->text, (unsigned)q->len),
                        uv_buf_init((char *)newline, 1)};
    if (!q->handle) {
        /* The common case: write now, without a request. uv_write would also
         * write at once, but then it defers a callback and toggles the epoll
         * watcher, a syscall per message that a round trip feels. libuv refuses
         * the try (UV_EAGAIN) while earlier bytes are queued, so order holds. */
        int n = uv_try_write((uv_stream_t *)&ch->pipe, bufs, 2);
        if (n == (int)q->len + 1) {
            outq_free(q);
            return 0;
        }
        if (n > 0) { /* a partial write: queue the rest */
            size_t done = (size_t)n;
            if (done < q->len) {
                bufs[0] = uv_buf_init(q->text + done, (unsigned)(q->len - done));
            } else {
                bufs[0] = bufs[1];
                bufs[1].len = 0;
            }
        } else if (n != UV_EAGAIN) {
            outq_free(q);
            return n;
        }
    }
    q->req.data = q;
    q->in_flight = 1;
    /* uv_write2 puts the fd on the first sendmsg of this write, so it arrives
     * with the first bytes of the NODE_HANDLE line, as node expects. */
    if (q->handle)
        return uv_write2(&q->req, (uv_stream_t *)&ch->pipe, bufs, 2, (uv_stream_t *)q->handle,
                         on_written);
    int r = uv_write(&q->req, (uv_stream_t *)&ch->pipe, bufs, bufs[1].len ? 2 : 1, on_written);
    if (r < 0 && !q->handle) {
        q->in_flight = 0;
        outq_free(q);
    }
    return r;
}

/* Writes now, or holds the message behind a handle that awaits its ACK. */
static int submit(scope_channel_t *ch, scope_channel_outq_t *q)
{
    if (ch->awaiting_ack && !q->internal) {
        if (ch->queue_tail)
            ch->queue_tail->next = q;
        else
            ch->queue = q;
        ch->queue_tail = q;
        return 0;
    }
    if (q->handle) {
        ch->awaiting_ack = q;
        ch->handle_retries = 0;
    }
    int had_handle = q->handle != NULL;
    int r = write_item(ch, q); /* without a handle, q is written or freed */
    if (r < 0 && had_handle) {
        if (ch->awaiting_ack == q)
            ch->awaiting_ack = NULL;
        q->in_flight = 0;
        outq_free(q);
    }
    return r;
}

static void flush_queue(scope_channel_t *ch)
{
    while (ch->queue && !ch->awaiting_ack && !ch->closing) {
        scope_channel_outq_t *q = ch->queue;
        ch->queue = q->next;
        if (!ch->queue)
            ch->queue_tail = NULL;
        q->next = NULL;
        if (submit(ch, q) < 0)
            break;
    }
    maybe_finish_disconnect(ch);
}

static scope_channel_outq_t *make_item(scope_channel_t *ch, const cJSON *msg)
{
    scope_channel_outq_t *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->ch = ch;
    q->text = cJSON_PrintUnformatted(msg);
    if (!q->text) {
        free(q);
        return NULL;
    }
    q->len = strlen(q->text);
    return q;
}

int scope_channel_send(scope_channel_t *ch, const cJSON *msg)
{
    if (!msg)
        return -EINVAL;
    /* After disconnect() no new message goes out, but an ACK or NACK still
     * must: the peer's handle may be in flight and node waits for the answer. */
    int internal = scope_channel_is_internal(msg);
    if (!ch->open || ch->closing || ch->disconnected || (ch->disconnect_requested && !internal))
        return -EPIPE;
    scope_channel_outq_t *q = make_item(ch, msg);
    if (!q)
        return -ENOMEM;
    q->internal = internal;
    size_t len = q->len + 1;
    if (ch->trace && !internal)
        scope_trace_send(ch->trace, q->text, len); /* the line and its newline */
    int r = submit(ch, q); /* q may be gone after this */
    if (r < 0)
        return r;
    if (!internal) {
        ch->sent++;
        ch->bytes_sent += len;
    }
    return (int)len;
}

/* Wraps a duplicate of fd in the libuv handle its socket type needs, since
 * uv_write2 takes the fd to pass from a handle. */
static uv_handle_t *wrap_fd(uv_loop_t *loop, int fd)
{
    int domain = 0, type = 0;
    socklen_t len = sizeof domain;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
        return NULL;
    len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
        return NULL;
    int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (dup_fd < 0)
        return NULL;
    uv_handle_t *h = NULL;
    int r = -1;
    if (type == SOCK_DGRAM) {
        uv_udp_t *u = malloc(sizeof *u);
        if (u && uv_udp_init(loop, u) == 0) {
            h = (uv_handle_t *)u;
            r = uv_udp_open(u, dup_fd);
        } else
            free(u);
    } else if (domain == AF_UNIX) {
        uv_pipe_t *p = malloc(sizeof *p);
        if (p && uv_pipe_init(loop, p, 0) == 0) {
            h = (uv_handle_t *)p;
            r = uv_pipe_open(p, dup_fd);
        } else
            free(p);
    } else {
        uv_tcp_t *t = malloc(sizeof *t);
        if (t && uv_tcp_init(loop, t) == 0) {
            h = (uv_handle_t *)t;
            r = uv_tcp_open(t, dup_fd);
        } else
            free(t);
    }
    if (r < 0) {
        close(dup_fd);
        if (h)
            uv_close(h, free_handle_cb);
        return NULL;
    }
    return h;
}

int scope_channel_send_handle(scope_channel_t *ch, const cJSON *msg, int fd, const char *type)
{
    if (!ch->open || ch->closing || ch->disconnected || ch->disconnect_requested)
        return -EPIPE;
    cJSON *wrapper = cJSON_CreateObject();
    if (!wrapper)
        return -ENOMEM;
    cJSON_AddStringToObject(wrapper, "cmd", "NODE_HANDLE");
    cJSON_AddStringToObject(wrapper, "type", type);
    cJSON_AddItemToObject(wrapper, "msg", cJSON_Duplicate(msg, 1));
    scope_channel_outq_t *q = make_item(ch, wrapper);
    cJSON_Delete(wrapper);
    if (!q)
        return -ENOMEM;
    if (ch->trace) /* the NODE_HANDLE line, as node's wire carries it */
        scope_trace_send(ch->trace, q->text, q->len + 1);
    errno = 0; /* wrap_fd fails through syscalls (errno) or libuv (none) */
    q->handle = wrap_fd(ch->pipe.loop, fd);
    if (!q->handle) {
        int err = errno ? -errno : -EBADF;
        outq_free(q);
        return err;
    }
    size_t len = q->len + 1;
    int r = submit(ch, q);
    if (r < 0)
        return r;
    ch->sent++;
    ch->bytes_sent += len;
    return (int)len;
}

static void on_raw_written(uv_write_t *req, int status)
{
    (void)status;
    free(req);
}

int scope_channel_write_raw(scope_channel_t *ch, const char *bytes, size_t len)
{
    if (!ch->open || ch->closing)
        return -EPIPE;
    /* the bytes are copied behind the request, so the caller's may go away */
    uv_write_t *req = malloc(sizeof *req + len);
    if (!req)
        return -ENOMEM;
    memcpy(req + 1, bytes, len);
    uv_buf_t b = uv_buf_init((char *)(req + 1), (unsigned)len);
    int r = uv_write(req, (uv_stream_t *)&ch->pipe, &b, 1, on_raw_written);
    if (r < 0)
        free(req);
    return r < 0 ? r : (int)len;
}

static void send_internal(scope_channel_t *ch, const char *cmd)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "cmd", cmd);
    scope_channel_send(ch, m);
    cJSON_Delete(m);
}

/* ---- reading ----------------------------------------------------------- */

static int take_pending_fd(scope_channel_t *ch)
{
    if (ch->npending_fds == 0)
        return -1;
    int fd = ch->pending_fds[0];
    memmove(ch->pending_fds, ch->pending_fds + 1, --ch->npending_fds * sizeof(int));
    return fd;
}

static void on_handle_message(scope_channel_t *ch, cJSON *msg)
{
    int fd = take_pending_fd(ch);
    if (fd < 0) {
        /* The line came without its fd (MSG_CTRUNC, say): ask for it again. */
        send_internal(ch, "NODE_HANDLE_NACK");
        return;
    }
    send_internal(ch, "NODE_HANDLE_ACK");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(msg, "type");
    cJSON *inner = cJSON_GetObjectItemCaseSensitive(msg, "msg");
    ch->received++;
    if (ch->on_message)
        ch->on_message(ch, inner, fd, cJSON_IsString(type) ? type->valuestring : "net.Native");
    else
        close(fd);
}

static void on_internal(scope_channel_t *ch, cJSON *msg)
{
    const char *cmd = cJSON_GetObjectItemCaseSensitive(msg, "cmd")->valuestring;
    if (strcmp(cmd, "NODE_HANDLE") == 0) {
        on_handle_message(ch, msg);
    } else if (strcmp(cmd, "NODE_HANDLE_ACK") == 0 && ch->awaiting_ack) {
        scope_channel_outq_t *q = ch->awaiting_ack;
        ch->awaiting_ack = NULL;
        if (!q->in_flight)
            outq_free(q); /* our duplicate of the passed fd is closed here */
        flush_queue(ch);
    } else if (strcmp(cmd, "NODE_HANDLE_NACK") == 0 && ch->awaiting_ack) {
        scope_channel_outq_t *q = ch->awaiting_ack;
        if (++ch->handle_retries > MAX_HANDLE_RESENDS) {
            ch->awaiting_ack = NULL;
            if (!q->in_flight)
                outq_free(q);
            flush_queue(ch);
        } else if (q->in_flight) {
            q->resend = 1;
        } else if (write_item(ch, q) < 0) {
            ch->awaiting_ack = NULL;
            q->in_flight = 0;
            outq_free(q);
        }
    }
    /* Every other NODE_ message is node's own business (cluster, for one). */
}

static void on_line(void *arg, cJSON *value, const char *line, size_t len)
{
    scope_channel_t *ch = arg;
    (void)line;
    if (ch->closing)
        return;
    ch->bytes_received += len + 1;
    ch->message_bytes = len + 1;
    if (scope_channel_is_internal(value)) {
        on_internal(ch, value);
        return;
    }
    ch->received++;
    if (ch->on_message)
        ch->on_message(ch, value, -1, NULL);
}

static void on_bad_line(void *arg, const scope_frame_error_t *err)
{
    scope_channel_t *ch = arg;
    ch->refused++;
    if (ch->on_error && !ch->closing)
        ch->on_error(ch, err);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    scope_channel_t *ch = h->data;
    (void)suggested;
    *buf = uv_buf_init(ch->readbuf, sizeof ch->readbuf);
}

/* Takes the fds that arrived with this read out of libuv, as plain fds. */
static void collect_handles(scope_channel_t *ch)
{
    while (uv_pipe_pending_count(&ch->pipe) > 0) {
        uv_handle_type type = uv_pipe_pending_type(&ch->pipe);
        uv_handle_t *h = NULL;
        int r = -1;
        if (type == UV_TCP) {
            h = malloc(sizeof(uv_tcp_t));
            r = h ? uv_tcp_init(ch->pipe.loop, (uv_tcp_t *)h) : -1;
        } else if (type == UV_UDP) {
            h = malloc(sizeof(uv_udp_t));
            r = h ? uv_udp_init(ch->pipe.loop, (uv_udp_t *)h) : -1;
        } else {
            /* A pipe, or an fd libuv has no handle for (a file, a device:
             * UV_FILE, UV_UNKNOWN_HANDLE): a pipe handle takes any fd. Left
             * in libuv, it would hold back every fd that came after it. */
            h = malloc(sizeof(uv_pipe_t));
            r = h ? uv_pipe_init(ch->pipe.loop, (uv_pipe_t *)h, 0) : -1;
        }
        if (r < 0) {
            free(h);
            return; /* out of memory: the fd stays in libuv, closed with the pipe */
        }
        uv_os_fd_t fd = -1;
        if (uv_accept((uv_stream_t *)&ch->pipe, (uv_stream_t *)h) == 0 &&
            uv_fileno(h, &fd) == 0) {
            /* An fd waits here for its NODE_HANDLE line, which may come in a
             * later read. A sender waits for our ACK before it passes the
             * next handle, so one fd at most is waiting rightly: one held
             * when another arrives came with no such line, and is closed
             * (as node keeps a single pending handle). */
            while (ch->npending_fds > 0) {
                close(ch->pending_fds[--ch->npending_fds]);
                ch->stray_fds++;
            }
            int mine = fcntl(fd, F_DUPFD_CLOEXEC, 3);
            int *grown = realloc(ch->pending_fds, (ch->npending_fds + 1) * sizeof(int));
            if (mine >= 0 && grown) {
                ch->pending_fds = grown;
                ch->pending_fds[ch->npending_fds++] = mine;
            } else {
                if (grown)
                    ch->pending_fds = grown;
                if (mine >= 0)
                    close(mine);
            }
        }
        uv_close(h, free_handle_cb);
    }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    scope_channel_t *ch = s->data;
    if (nread < 0) {
        lost_peer(ch, (int)nread);
        return;
    }
    collect_handles(ch);
    if (nread > 0 && scope_ndjson_feed(&ch->decoder, buf->base, (size_t)nread) < 0)
        lost_peer(ch, UV_ENOMEM);
}

/* ---- opening ----------------------------------------------------------- */

int scope_channel_open(uv_loop_t *loop, scope_channel_t *ch, int fd)
{
    int type;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
        return -EBADF; /* Node's channel is a socket; a pipe cannot carry fds */
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return -errno;
    int r = uv_pipe_init(loop, &ch->pipe, 1);
    if (r < 0)
        return r;
    ch->pipe.data = ch;
    if ((r = uv_pipe_open(&ch->pipe, fd)) < 0) {
        uv_close((uv_handle_t *)&ch->pipe, NULL);
        return r;
    }
    ch->fd = fd;
    ch->open = 1;
    ch->closing = ch->disconnected = ch->disconnect_requested = 0;
    ch->queue = ch->queue_tail = ch->awaiting_ack = NULL;
    ch->pending_fds = NULL;
    ch->npending_fds = 0;
    ch->sent = ch->received = ch->bytes_sent = ch->bytes_received = ch->refused = 0;
    scope_ndjson_init(&ch->decoder, ch->max_message ? ch->max_message : SCOPE_CHANNEL_MAX_MESSAGE,
                      on_line, on_bad_line, ch);
    if ((r = uv_read_start((uv_stream_t *)&ch->pipe, on_alloc, on_read)) < 0) {
        scope_channel_close(ch);
        return r;
    }
    return 0;
}

int scope_channel_open_env(uv_loop_t *loop, scope_channel_t *ch)
{
    const char *fd_s = getenv("NODE_CHANNEL_FD");
    if (!fd_s || !*fd_s)
        return -ENOENT;
    const char *mode = getenv("NODE_CHANNEL_SERIALIZATION_MODE");
    if (mode && *mode && strcmp(mode, "json") != 0)
        return -EPROTONOSUPPORT; /* 'advanced' is V8's serializer: not spoken here */
    char *end;
    long fd = strtol(fd_s, &end, 10);
    if (*end || fd < 0 || fd > 65535)
        return -EBADF;
    /* As node does: the channel is this process's, not its children's. */
    unsetenv("NODE_CHANNEL_FD");
    unsetenv("NODE_CHANNEL_SERIALIZATION_MODE");
    return scope_channel_open(loop, ch, (int)fd);
}
