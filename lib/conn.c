/* conn: framed connections. See conn.h. */
#include "conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- connections --------------------------------------------------------- */

static void conn_end(scope_conn_t *c, int status);
static void restart_idle(scope_conn_t *c);
static uint64_t held_bytes(const scope_conn_t *c);

/* Every started connection of this thread, and the loop whose idle limits
 * are held (scope_conn_idle_hold_all): a thread runs one loop at a time. */
static _Thread_local scope_conn_t *live;
static _Thread_local uv_loop_t *held_loop;

/* One read buffer for all the connections of a thread, where each once had
 * 64 KiB of its own (most of a connection's memory: 64 MB for a thousand
 * idle chat clients). Sharing it is safe because libuv fills it and calls
 * conn_read at once, and conn_read is done with it when it returns: a whole
 * frame is lent to on_frame for the call only, the start of an unfinished
 * one is copied into its decoder's own buffer (lib/framing), and a RAW read
 * is lent like a frame. Nothing reads from a socket inside those callbacks. */
static _Thread_local char read_buf[64 * 1024];

/* Coalesced writes: the connections with bytes held this turn, and the one
 * check handle that lets them out once the turn's callbacks are done. It
 * lives only while a coalescing connection is open, so that a loop with none
 * can close (an open handle, even stopped, keeps uv_loop_close busy). */
static _Thread_local struct {
    uv_check_t *check;
    int users; /* coalescing connections open */
    /* in the order they were first written to this turn: a reply to the
     * sender goes out before the broadcast that followed it */
    scope_conn_t *corked, **tail;
} flush;

static void uncork(scope_conn_t *c);
static int cork_out(scope_conn_t *c);

static void conn_handle_closed(uv_handle_t *h)
{
    scope_conn_t *c = h->data;
    if (--c->handles_open > 0)
        return;
    if (c->live_prev) {
        *c->live_prev = c->live_next;
        if (c->live_next)
            c->live_next->live_prev = c->live_prev;
    }
    if (c->coalescing && --flush.users == 0 && flush.check) {
        uv_close((uv_handle_t *)flush.check, (uv_close_cb)free);
        flush.check = NULL;
    }
    free(c->cork);
    c->cork = NULL;
    scope_ndjson_free(&c->lines);
    scope_lenframe_free(&c->frames);
    if (c->o.on_close)
        c->o.on_close(c);
}

static void conn_close_now(scope_conn_t *c)
{
    if (c->closing == 2)
        return;
    c->closing = 2;
    uncork(c); /* closing at once: what it held is dropped */
    c->cork_len = 0;
    uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
    uv_close((uv_handle_t *)&c->partial_timer, conn_handle_closed);
    uv_close(&c->h.handle, conn_handle_closed);
}

static void conn_init_common(uv_loop_t *loop, scope_conn_t *c, scope_conn_close_cb on_close)
{
    c->o.on_close = on_close;
    c->live_prev = NULL;
    c->h.handle.data = c;
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    uv_timer_init(loop, &c->partial_timer);
    c->partial_timer.data = c;
    c->handles_open = 3;
}

int scope_conn_init_tcp(uv_loop_t *loop, scope_conn_t *c, scope_conn_close_cb on_close)
{
    int r = uv_tcp_init(loop, &c->h.tcp);
    if (r < 0)
        return r;
    conn_init_common(loop, c, on_close);
    return 0;
}

int scope_conn_init_pipe(uv_loop_t *loop, scope_conn_t *c, scope_conn_close_cb on_close)
{
    int r = uv_pipe_init(loop, &c->h.pipe, 0);
    if (r < 0)
        return r;
    conn_init_common(loop, c, on_close);
    return 0;
}

static void on_overflow(uv_timer_t *t)
{
    conn_end(t->data, UV_ENOBUFS);
}

/* A line without its newline, delivered as partial_ms asks. */
static void flush_partial(scope_conn_t *c)
{
    if (c->o.partial_ms && c->o.framing == SCOPE_CONN_LINES && !c->ended &&
        scope_ndjson_pending(&c->lines) > 0) {
        c->partial_frames++; /* counted first: on_frame may ask whether it was one */
        scope_ndjson_flush(&c->lines);
    }
}

static void on_partial(uv_timer_t *t)
{
    flush_partial(t->data);
    restart_idle(t->data);
}

static void conn_end(scope_conn_t *c, int status)
{
    if (c->ended)
        return;
    if (status == 0) {
        flush_partial(c); /* the peer ended: what it wrote last is whole */
        cork_out(c);      /* and our answers to it this turn are owed */
    }
    c->ended = 1;
    uv_read_stop(&c->h.stream);
    c->partial_bytes = held_bytes(c);
    if (c->o.on_end && !c->closing)
        c->o.on_end(c, status);
    /* A peer that closed cleanly may still be owed replies: let them out. */
    if (status == 0)
        scope_conn_close(c);
    else
        conn_close_now(c);
}

static uint64_t held_bytes(const scope_conn_t *c)
{
    if (c->o.framing == SCOPE_CONN_RAW)
        return 0;
    return c->o.framing == SCOPE_CONN_LINES ? scope_ndjson_pending(&c->lines)
                                            : c->frames.hdr_len + c->frames.len;
}

static void on_idle(uv_timer_t *t);

static void restart_idle(scope_conn_t *c)
{
    if (c->o.idle_ms && !c->closing && !c->ended && !c->overflowed && !c->idle_held)
        uv_timer_start(&c->timer, on_idle, c->o.idle_ms, 0);
}

static void on_idle(uv_timer_t *t)
{
    scope_conn_t *c = t->data;
    if (c->closing)
        conn_close_now(c); /* the graceful close took too long */
    else
        conn_end(c, UV_ETIMEDOUT);
}

static void on_line(void *arg, cJSON *value, const char *line, size_t len)
{
    (void)value;
    scope_conn_t *c = arg;
    c->frames_in++;
    if (!c->ended && c->o.on_frame)
        c->o.on_frame(c, line, len);
}

static void on_lenframe(void *arg, const char *frame, size_t len)
{
    on_line(arg, NULL, frame, len);
}

static void on_frame_error(void *arg, const scope_frame_error_t *err)
{
    scope_conn_t *c = arg;
    c->frames_refused++;
    if (!c->ended && c->o.on_error)
        c->o.on_error(c, err);
}

static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    (void)h;
    *buf = uv_buf_init(read_buf, sizeof read_buf);
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    scope_conn_t *c = s->data;
    if (nread == 0)
        return;
    if (nread < 0) {
        conn_end(c, nread == UV_EOF ? 0 : (int)nread);
        return;
    }
    c->reads++;
    c->bytes_in += (uint64_t)nread;
    uint64_t frames_before = c->frames_in + c->frames_refused;
    /* Callbacks may close the connection; the decoders stay valid until the
     * close completes, and on_line ignores frames once it has ended. */
    if (c->o.framing == SCOPE_CONN_RAW)
        on_lenframe(c, buf->base, (size_t)nread); /* on_frame may start a framing */
    else if (c->o.framing == SCOPE_CONN_LINES)
        scope_ndjson_feed(&c->lines, buf->base, (size_t)nread);
    else
        scope_lenframe_feed(&c->frames, buf->base, (size_t)nread);
    /* The idle limit counts from the last whole frame, not the last byte. */
    if (c->frames_in + c->frames_refused > frames_before || !held_bytes(c))
        restart_idle(c);
    if (c->o.partial_ms && c->o.framing == SCOPE_CONN_LINES && !c->closing && !c->ended) {
        if (scope_ndjson_pending(&c->lines))
            uv_timer_start(&c->partial_timer, on_partial, c->o.partial_ms, 0);
        else
            uv_timer_stop(&c->partial_timer);
    }
}

int scope_conn_start(scope_conn_t *c, const scope_conn_options_t *o)
{
    scope_conn_close_cb init_close = c->o.on_close;
    if (c->started && c->o.framing != SCOPE_CONN_RAW)
        return UV_EALREADY; /* its decoder may be feeding the caller now */
    c->o = *o;
    if (c->o.on_close == NULL)
        c->o.on_close = init_close;
    if (c->o.framing == SCOPE_CONN_LINES)
        scope_lines_init(&c->lines, c->o.max_frame, on_line, on_frame_error, c);
    else if (c->o.framing == SCOPE_CONN_LENGTH)
        scope_lenframe_init(&c->frames, c->o.max_frame, on_lenframe, on_frame_error, c);
    if (c->o.framing == SCOPE_CONN_RAW)
        c->o.max_frame = SIZE_MAX;
    else
        c->o.max_frame =
            c->o.framing == SCOPE_CONN_LINES ? c->lines.max_frame : c->frames.max_frame;
    if (!c->started) {
        int r = uv_read_start(&c->h.stream, conn_alloc, conn_read);
        if (r < 0)
            return r;
        c->started = 1;
        c->coalescing = c->o.coalesce != 0;
        flush.users += c->coalescing;
        c->live_next = live;
        if (live)
            live->live_prev = &c->live_next;
        c->live_prev = &live;
        live = c;
        if (c->h.handle.loop == held_loop)
            c->idle_held = 1;
    }
    uv_timer_stop(&c->timer);
    restart_idle(c);
    return 0;
}

static void on_written(uv_write_t *req, int status)
{
    (void)status; /* a failed write shows up as a read error or EOF too */
    free(req);
}

/* Writes the pieces as one: straight into the socket when it takes them all
 * (the common case, no copy), otherwise the rest is copied and queued. */
static int conn_write_now(scope_conn_t *c, const uv_buf_t *bufs, unsigned nbufs)
{
    size_t total = 0;
    for (unsigned i = 0; i < nbufs; i++)
        total += bufs[i].len;
    if (c->ended || c->closing || c->shut)
        return -EPIPE;
    if (c->overflowed)
        return -ENOBUFS;

    size_t done = 0;
    if (uv_stream_get_write_queue_size(&c->h.stream) == 0) {
        int n = uv_try_write(&c->h.stream, bufs, nbufs);
        if (n > 0)
            done = (size_t)n;
        else if (n < 0 && n != UV_EAGAIN)
            return n;
    }
    c->bytes_out += total;
    if (done == total)
        return 0;

    size_t rest = total - done;
    size_t max = c->o.max_queued ? c->o.max_queued : SCOPE_CONN_MAX_QUEUED;
    if (uv_stream_get_write_queue_size(&c->h.stream) + rest > max) {
        /* The peer does not read: holding more for it would grow us without
         * end. The connection ends on the loop's next turn. */
        c->bytes_out -= total - done;
        c->overflowed = 1;
        uv_timer_start(&c->timer, on_overflow, 0, 0);
        return -ENOBUFS;
    }
    uv_write_t *req = malloc(sizeof *req + rest);
    if (req == NULL)
        return -ENOMEM;
    char *copy = (char *)(req + 1), *p = copy;
    size_t skip = done;
    for (unsigned i = 0; i < nbufs; i++) {
        size_t len = bufs[i].len;
        const char *base = bufs[i].base;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        memcpy(p, base + skip, len - skip);
        p += len - skip;
        skip = 0;
    }
    uv_buf_t b = uv_buf_init(copy, (unsigned)rest);
    int r = uv_write(req, &c->h.stream, &b, 1, on_written);
    if (r < 0)
        free(req);
    return r;
}

static void uncork(scope_conn_t *c)
{
    if (!c->cork_prev)
        return;
    *c->cork_prev = c->cork_next;
    if (c->cork_next)
        c->cork_next->cork_prev = c->cork_prev;
    else
        flush.tail = c->cork_prev;
    c->cork_prev = NULL;
}

/* What a connection held this turn, out in one write. Returns as
 * conn_write_now. */
static int cork_out(scope_conn_t *c)
{
    uncork(c);
    if (c->cork_len == 0)
        return 0;
    uv_buf_t b = uv_buf_init(c->cork, (unsigned)c->cork_len);
    c->cork_len = 0;
    c->bytes_out -= b.len; /* counted when it was held */
    int r = conn_write_now(c, &b, 1); /* what the kernel did not take is copied */
    /* Held only for the turn: a thousand idle members keep no buffer each. */
    free(c->cork);
    c->cork = NULL;
    c->cork_cap = 0;
    return r;
}

static void on_turn_done(uv_check_t *h)
{
    while (flush.corked) {
        scope_conn_t *c = flush.corked;
        int r = cork_out(c);
        if (r < 0 && r != -ENOBUFS) /* ENOBUFS: the overflow ends it already */
            conn_end(c, r);
    }
    uv_check_stop(h);
}

/* Held for the end of the turn, within the same bound as a queued write. */
static int conn_write(scope_conn_t *c, const uv_buf_t *bufs, unsigned nbufs)
{
    if (!c->o.coalesce || c->ended || c->closing || c->shut || c->overflowed)
        return conn_write_now(c, bufs, nbufs);
    size_t total = 0;
    for (unsigned i = 0; i < nbufs; i++)
        total += bufs[i].len;
    size_t max = c->o.max_queued ? c->o.max_queued : SCOPE_CONN_MAX_QUEUED;
    if (uv_stream_get_write_queue_size(&c->h.stream) + c->cork_len + total > max) {
        c->overflowed = 1;
        uv_timer_start(&c->timer, on_overflow, 0, 0);
        return -ENOBUFS;
    }
    if (!flush.check) {
        flush.check = malloc(sizeof *flush.check);
        if (!flush.check || uv_check_init(c->h.handle.loop, flush.check) < 0) {
            free(flush.check);
            flush.check = NULL;
            return conn_write_now(c, bufs, nbufs);
        }
        uv_unref((uv_handle_t *)flush.check);
    }
    if (flush.check->loop != c->h.handle.loop) /* one loop a thread coalesces */
        return conn_write_now(c, bufs, nbufs);
    if (c->cork_len + total > c->cork_cap) {
        size_t cap = c->cork_cap ? c->cork_cap : 4096;
        while (cap < c->cork_len + total)
            cap *= 2;
        char *p = realloc(c->cork, cap);
        if (!p)
            return -ENOMEM;
        c->cork = p;
        c->cork_cap = cap;
    }
    for (unsigned i = 0; i < nbufs; i++) {
        memcpy(c->cork + c->cork_len, bufs[i].base, bufs[i].len);
        c->cork_len += bufs[i].len;
    }
    c->bytes_out += total;
    if (!c->cork_prev) { /* at the tail: first written, first out */
        if (!flush.corked)
            flush.tail = &flush.corked;
        c->cork_next = NULL;
        c->cork_prev = flush.tail;
        *flush.tail = c;
        flush.tail = &c->cork_next;
    }
    uv_check_start(flush.check, on_turn_done);
    return 0;
}

int scope_conn_send(scope_conn_t *c, const void *data, size_t len)
{
    if (len > c->o.max_frame)
        return -EMSGSIZE;
    if (c->o.framing == SCOPE_CONN_RAW) {
        int r = scope_conn_write_raw(c, data, len);
        if (r == 0)
            c->frames_out++;
        return r;
    }
    if (c->o.framing == SCOPE_CONN_LINES) {
        if (memchr(data, '\n', len) != NULL)
            return -EINVAL;
        uv_buf_t b[2] = {uv_buf_init((char *)data, (unsigned)len), uv_buf_init("\n", 1)};
        int r = conn_write(c, b, 2);
        if (r == 0)
            c->frames_out++;
        return r;
    }
    unsigned char hdr[4];
    int r = scope_lenframe_header(hdr, len);
    if (r < 0)
        return r;
    uv_buf_t b[2] = {uv_buf_init((char *)hdr, 4), uv_buf_init((char *)data, (unsigned)len)};
    r = conn_write(c, b, 2);
    if (r == 0)
        c->frames_out++;
    return r;
}

int scope_conn_write_raw(scope_conn_t *c, const void *data, size_t len)
{
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    return conn_write(c, &b, 1);
}

int scope_conn_writable(const scope_conn_t *c)
{
    return c->started && !c->ended && !c->closing && !c->shut && !c->overflowed;
}

void scope_conn_idle_hold(scope_conn_t *c, int hold)
{
    c->idle_held = hold;
    if (hold && !c->closing)
        uv_timer_stop(&c->timer);
    else
        restart_idle(c);
}

void scope_conn_idle_hold_all(uv_loop_t *loop, int hold)
{
    if (hold)
        held_loop = loop;
    else if (held_loop == loop)
        held_loop = NULL;
    for (scope_conn_t *c = live; c; c = c->live_next)
        if (c->h.handle.loop == loop)
            scope_conn_idle_hold(c, hold);
}

int scope_conn_fd(const scope_conn_t *c)
{
    uv_os_fd_t fd;
    if (uv_fileno(&c->h.handle, &fd) < 0)
        return -1;
    return fd;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    conn_close_now(req->data);
}

static void on_end_shutdown(uv_shutdown_t *req, int status)
{
    (void)req;
    (void)status; /* the peer's EOF, or an error, ends the connection */
}

void scope_conn_end(scope_conn_t *c)
{
    if (c->closing || c->ended || c->shut)
        return;
    cork_out(c); /* what this turn said goes before the end */
    if (!c->started || !uv_is_writable(&c->h.stream)) {
        scope_conn_close(c);
        return;
    }
    c->shut = 1;
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, &c->h.stream, on_end_shutdown) < 0)
        scope_conn_close(c);
}

void scope_conn_close(scope_conn_t *c)
{
    if (c->closing)
        return;
    cork_out(c); /* replies held this turn go out first */
    c->closing = 1;
    uv_timer_stop(&c->partial_timer);
    if (!c->started || c->shut || !uv_is_writable(&c->h.stream)) {
        conn_close_now(c); /* after scope_conn_end, our side is shut already */
        return;
    }
    uv_read_stop(&c->h.stream);
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, &c->h.stream, on_shutdown) < 0) {
        conn_close_now(c);
        return;
    }
    /* A peer that stopped reading would hold the shutdown forever. */
    uv_timer_start(&c->timer, on_idle, 1000, 0);
}
