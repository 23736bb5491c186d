/* channel: Node's IPC channel on a libuv ipc pipe. See channel.h for the
 * protocol; this file is the bookkeeping around it: the handle that must ride
 * with its NODE_HANDLE line, the ACK that releases the queue, and closing
 * without losing what was queued.
 */
#include "channel.h"
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Node gives up on a handle after this many NACKs, and so do we. */
#define MAX_HANDLE_RESENDS 3

/* A message that could not be written at once: held behind a handle that
 * awaits its ACK, handed to uv_write, or a handle's message kept to be sent
 * again. Most messages never need one (see write_line). */
struct scope_channel_outq_s {
    uv_write_t req;
    scope_channel_t *ch;
    uv_handle_t *handle; /* wraps the fd being passed, or NULL */
    int internal;        /* ACK/NACK: never held behind a handle */
    int in_flight;       /* written, write callback not yet run */
    int resend;          /* a NACK came while in flight: send again after it */
    scope_channel_outq_t *next;
    size_t len;
    char text[]; /* the line, its newline included */
};

int scope_channel_is_internal(const cJSON *msg)
{
    if (!cJSON_IsObject(msg))
        return 0;
    /* cJSON_GetObjectItemCaseSensitive(msg, "cmd"), without a strcmp for
     * each key: this runs on every message sent and every line received. */
    const cJSON *cmd = msg->child;
    while (cmd && cmd->string && !(cmd->string[0] == 'c' && strcmp(cmd->string, "cmd") == 0))
        cmd = cmd->next;
    return cmd && cmd->string && cJSON_IsString(cmd) && cmd->valuestring &&
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
    free(ch->line);
    ch->line = NULL;
    ch->line_len = ch->line_cap = 0;
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

/* ---- printing ---------------------------------------------------------- */

/* Every message is printed into the channel's own buffer, ch->line, which the
 * next message reuses: cJSON_PrintUnformatted would malloc a buffer, realloc
 * it to size, and leave it to us to free, for each message. The printer below
 * writes byte for byte what cJSON_PrintUnformatted writes (the unit test
 * compares the two on every kind of value), with one shortcut: an integer is
 * printed as its digits, where cJSON 1.7.15 prints every number with
 * sprintf("%1.15g") and reads it back with sscanf to check it, about 3,600
 * instructions for "12", more than the rest of a small message. Any other
 * number (a fraction, -0, 1e15 and beyond, NaN) is printed by cJSON itself. */

/* Past this, a line's buffer is released once the line is out, so that one
 * big message does not pin its size for the rest of the channel's life. */
#define KEEP_LINE_MAX (64u * 1024u)

static int reserve(scope_channel_t *ch, size_t more)
{
    size_t need = ch->line_len + more;
    if (need <= ch->line_cap)
        return 0;
    size_t cap = ch->line_cap ? ch->line_cap : 256;
    while (cap < need)
        cap *= 2;
    char *grown = realloc(ch->line, cap);
    if (!grown)
        return -1;
    ch->line = grown;
    ch->line_cap = cap;
    return 0;
}

static int put(scope_channel_t *ch, const char *s, size_t n)
{
    if (reserve(ch, n) < 0)
        return -1;
    memcpy(ch->line + ch->line_len, s, n);
    ch->line_len += n;
    return 0;
}

static int put_char(scope_channel_t *ch, char c)
{
    if (reserve(ch, 1) < 0)
        return -1;
    ch->line[ch->line_len++] = c;
    return 0;
}

/* 1 for the bytes a JSON string cannot hold as they are: the control
 * characters, '"' (0x22) and '\\' (0x5c). */
static const unsigned char must_escape[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x00 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x10 */
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x20 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x30 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x40 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 0x50 */
};

/* The letter of a two-byte escape ("\\n" for a newline), 0 for none. */
static char named_escape(unsigned char c)
{
    switch (c) {
    case '"':
        return '"';
    case '\\':
        return '\\';
    case '\b':
        return 'b';
    case '\f':
        return 'f';
    case '\n':
        return 'n';
    case '\r':
        return 'r';
    case '\t':
        return 't';
    default:
        return 0;
    }
}

/* As cJSON's print_string_ptr: '"', '\\' and the control characters escaped
 * (\b \f \n \r \t by name, the others as \u00xx), every other byte as it is;
 * a NULL string is "". */
static int print_string(scope_channel_t *ch, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (!s)
        return put(ch, "\"\"", 2);
    const unsigned char *u = (const unsigned char *)s;
    size_t n = 0, escapes = 0;
    for (; u[n]; n++)
        if (must_escape[u[n]])
            escapes += named_escape(u[n]) ? 1 : 5;
    if (reserve(ch, n + escapes + 2) < 0)
        return -1;
    char *o = ch->line + ch->line_len;
    *o++ = '"';
    if (!escapes) {
        memcpy(o, s, n);
        o += n;
    } else {
        for (; *u; u++) {
            char named = named_escape(*u);
            if (!must_escape[*u]) {
                *o++ = (char)*u;
            } else if (named) {
                *o++ = '\\';
                *o++ = named;
            } else {
                memcpy(o, "\\u00", 4);
                o[4] = hex[*u >> 4];
                o[5] = hex[*u & 15];
                o += 6;
            }
        }
    }
    *o++ = '"';
    ch->line_len = (size_t)(o - ch->line);
    return 0;
}

static int print_number(scope_channel_t *ch, const cJSON *item)
{
    double d = item->valuedouble;
    char digits[32];
    /* An integer below 1e15 is exactly what "%1.15g" prints: its digits. */
    if (d > -1e15 && d < 1e15 && d == (double)(long long)d && !(d == 0 && signbit(d))) {
        long long v = (long long)d;
        unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
        char *end = digits + sizeof digits, *p = end;
        do
            *--p = (char)('0' + u % 10);
        while (u /= 10);
        if (v < 0)
            *--p = '-';
        return put(ch, p, (size_t)(end - p));
    }
    if (!cJSON_PrintPreallocated((cJSON *)item, digits, sizeof digits, 0))
        return -1;
    return put(ch, digits, strlen(digits));
}

/* As cJSON's print_value, unformatted: -1 where cJSON fails too (an item of
 * no type, a raw item without text) or memory runs out. */
static int print_value(scope_channel_t *ch, const cJSON *item)
{
    switch (item->type & 0xFF) {
    case cJSON_NULL:
        return put(ch, "null", 4);
    case cJSON_False:
        return put(ch, "false", 5);
    case cJSON_True:
        return put(ch, "true", 4);
    case cJSON_Number:
        return print_number(ch, item);
    case cJSON_String:
        return print_string(ch, item->valuestring);
    case cJSON_Raw:
        return item->valuestring ? put(ch, item->valuestring, strlen(item->valuestring)) : -1;
    case cJSON_Array:
    case cJSON_Object: {
        int object = (item->type & 0xFF) == cJSON_Object;
        if (put_char(ch, object ? '{' : '[') < 0)
            return -1;
        for (const cJSON *c = item->child; c; c = c->next) {
            if (object && (print_string(ch, c->string) < 0 || put_char(ch, ':') < 0))
                return -1;
            if (print_value(ch, c) < 0 || (c->next && put_char(ch, ',') < 0))
                return -1;
        }
        return put_char(ch, object ? '}' : ']');
    }
    default:
        return -1;
    }
}

/* msg as one line, its newline included, in ch->line (ch->line_len bytes). */
static int print_line(scope_channel_t *ch, const cJSON *msg)
{
    ch->line_len = 0;
    return print_value(ch, msg) < 0 || put_char(ch, '\n') < 0 ? -ENOMEM : 0;
}

/* Once the line is out (or copied): a big buffer goes, a small one stays. */
static void line_done(scope_channel_t *ch)
{
    ch->line_len = 0;
    if (ch->line_cap > KEEP_LINE_MAX) {
        free(ch->line);
        ch->line = NULL;
        ch->line_cap = 0;
    }
}

/* ---- writing ----------------------------------------------------------- */

static void flush_queue(scope_channel_t *ch);
static void on_written(uv_write_t *req, int status);

static scope_channel_outq_t *make_item(scope_channel_t *ch, const char *text, size_t len)
{
    scope_channel_outq_t *q = malloc(sizeof *q + len);
    if (!q)
        return NULL;
    memset(q, 0, sizeof *q);
    q->ch = ch;
    q->len = len;
    memcpy(q->text, text, len);
    return q;
}

/* uv_write2 puts the fd on the first sendmsg of this write, so it arrives
 * with the first bytes of the NODE_HANDLE line, as node expects. */
static int write_handle(scope_channel_t *ch, scope_channel_outq_t *q)
{
    uv_buf_t buf = uv_buf_init(q->text, (unsigned)q->len);
    q->req.data = q;
    int r = uv_write2(&q->req, (uv_stream_t *)&ch->pipe, &buf, 1, (uv_stream_t *)q->handle,
                      on_written);
    q->in_flight = r == 0;
    return r;
}

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
        if (write_handle(ch, q) < 0) {
            ch->awaiting_ack = NULL;
            outq_free(q);
        }
    }
    if (status < 0 && status != UV_ECANCELED)
        lost_peer(ch, status);
}

/* Writes a line without a handle: now, without a request, when the socket
 * takes it whole (the common case). uv_write would also write at once, but
 * then it defers a callback and toggles the epoll watcher, a syscall per
 * message that a round trip feels. libuv refuses the try (UV_EAGAIN) while
 * earlier bytes are queued, so order holds. What is left goes to uv_write in
 * q, made here when q is NULL (text is ch->line, which the next message
 * reuses). q is freed once written. */
static int write_line(scope_channel_t *ch, scope_channel_outq_t *q, const char *text,
                      size_t len)
{
    uv_buf_t buf = uv_buf_init((char *)text, (unsigned)len);
    int n = uv_try_write((uv_stream_t *)&ch->pipe, &buf, 1);
    if (n == (int)len || (n < 0 && n != UV_EAGAIN)) {
        outq_free(q);
        return n < 0 ? n : 0;
    }
    size_t done = n > 0 ? (size_t)n : 0;
    char *rest;
    if (q) {
        rest = q->text + done;
    } else if ((q = make_item(ch, text + done, len - done))) {
        rest = q->text;
    } else {
        if (done) /* half a line is out: the stream cannot go on */
            lost_peer(ch, UV_ENOMEM);
        return UV_ENOMEM;
    }
    buf = uv_buf_init(rest, (unsigned)(len - done));
    q->req.data = q;
    q->in_flight = 1;
    int r = uv_write(&q->req, (uv_stream_t *)&ch->pipe, &buf, 1, on_written);
    if (r < 0) {
        q->in_flight = 0;
        outq_free(q);
    }
    return r;
}

/* Holds q behind a handle that awaits its ACK, or writes it now. */
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
    if (!q->handle)
        return write_line(ch, q, q->text, q->len); /* q is written or freed */
    ch->awaiting_ack = q;
    ch->handle_retries = 0;
    int r = write_handle(ch, q);
    if (r < 0) {
        ch->awaiting_ack = NULL;
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

int scope_channel_send(scope_channel_t *ch, const cJSON *msg)
{
    if (!msg)
        return -EINVAL;
    /* After disconnect() no new message goes out, but an ACK or NACK still
     * must: the peer's handle may be in flight and node waits for the answer. */
    int internal = scope_channel_is_internal(msg);
    if (!ch->open || ch->closing || ch->disconnected || (ch->disconnect_requested && !internal))
        return -EPIPE;
    if (print_line(ch, msg) < 0)
        return -ENOMEM;
    size_t len = ch->line_len;
    if (ch->trace && !internal)
        scope_trace_msg(ch->trace, SCOPE_TRACE_SEND, scope_trace_json_id(msg), ch->line, len,
                        0); /* the line and its newline, by the message's own id if any */
    int r;
    if (ch->awaiting_ack && !internal) { /* held: a copy waits in the queue */
        scope_channel_outq_t *q = make_item(ch, ch->line, len);
        r = q ? submit(ch, q) : -ENOMEM;
    } else {
        r = write_line(ch, NULL, ch->line, len);
    }
    line_done(ch);
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
    /* kept whole until the ACK: a NACK sends it again */
    scope_channel_outq_t *q = print_line(ch, wrapper) < 0 ? NULL
                                                          : make_item(ch, ch->line, ch->line_len);
    cJSON_Delete(wrapper);
    line_done(ch);
    if (!q)
        return -ENOMEM;
    if (ch->trace) /* the NODE_HANDLE line, as node's wire carries it */
        scope_trace_send(ch->trace, q->text, q->len);
    errno = 0; /* wrap_fd fails through syscalls (errno) or libuv (none) */
    q->handle = wrap_fd(ch->pipe.loop, fd);
    if (!q->handle) {
        int err = errno ? -errno : -EBADF;
        outq_free(q);
        return err;
    }
    size_t len = q->len;
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
    if (inner && scope_channel_is_internal(inner)) { /* cluster's newconn, say */
        if (ch->on_internal)
            ch->on_internal(ch, inner, fd);
        else
            close(fd);
        return;
    }
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
        } else if (write_handle(ch, q) < 0) {
            ch->awaiting_ack = NULL;
            outq_free(q);
        }
    } else if (ch->on_internal && strncmp(cmd, "NODE_HANDLE", 11) != 0) {
        /* node's own business (cluster's), for a caller that speaks it */
        ch->on_internal(ch, msg, -1);
    }
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
    ch->line = NULL;
    ch->line_len = ch->line_cap = 0;
    ch->sent = ch->received = ch->bytes_sent = ch->bytes_received = ch->refused = 0;
    scope_ndjson_init(&ch->decoder, ch->max_message ? ch->max_message : SCOPE_CHANNEL_MAX_MESSAGE,
                      on_line, on_bad_line, ch);
    if ((r = uv_read_start((uv_stream_t *)&ch->pipe, on_alloc, on_read)) < 0) {
        scope_channel_close(ch);
        return r;
    }
    return 0;
}

int scope_channel_fd(const scope_channel_t *ch)
{
    return ch->open && !ch->closing ? ch->fd : -1;
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
