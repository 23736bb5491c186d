/* uv_floor.h: a ping-pong on a bare libuv loop, the floor of any demo that
 * runs on libuv.
 *
 * The raw floors (bench_sock, bench_pipe) block in read(), or wait in
 * epoll_wait() first. The demos run on libuv, which adds its own loop turn to
 * every wake-up: timers, pending callbacks, idle and prepare handles, the
 * clock, then epoll_wait(), then read() through uv_read_start's allocator.
 * This floor does exactly that and nothing more: no framing, no JSON, no
 * tracing. What a demo costs above it is the demo's own code; what this
 * costs above the epoll floor is libuv's.
 *
 * Both ends read with uv_read_start (uv_udp_recv_start for udp) and answer
 * with uv_try_write (uv_udp_try_send), as lib/net's scope_conn_t does.
 * Header-only, since each bench program is built from one .c file. */
#ifndef UV_FLOOR_H
#define UV_FLOOR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <uv.h>

#include "timing.h"

typedef enum { UV_FLOOR_TCP, UV_FLOOR_PIPE, UV_FLOOR_UDP } uv_floor_kind_t;

typedef struct {
    uv_loop_t loop;
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
        uv_udp_t udp;
    } in, out;          /* out is in, except for a pair of pipes */
    int split;          /* in and out are two handles */
    uv_floor_kind_t kind;
    int serving;        /* the echoing end, not the timing one */
    size_t msg;         /* bytes per message */
    size_t have;        /* bytes of the current message read so far */
    long left, timed_from, done;
    uint64_t t_sent;
    scope_hist_t *hist;
    char *out_msg;      /* what the client sends */
    char buf[64 * 1024];
    int failed;
} uv_floor_t;

static void uv_floor_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    uv_floor_t *f = h->data;
    *buf = uv_buf_init(f->buf, sizeof f->buf);
}

static void uv_floor_stop(uv_floor_t *f)
{
    if (!uv_is_closing(&f->in.handle))
        uv_close(&f->in.handle, NULL);
    if (f->split && !uv_is_closing(&f->out.handle))
        uv_close(&f->out.handle, NULL);
}

static int uv_floor_send(uv_floor_t *f, const char *data, size_t len, const struct sockaddr *to)
{
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    int n = f->kind == UV_FLOOR_UDP ? uv_udp_try_send(&f->out.udp, &b, 1, to)
                                    : uv_try_write(&f->out.stream, &b, 1);
    /* One small message with nothing queued: the socket or pipe takes it. */
    return n == (int)len ? 0 : -1;
}

/* The client's next message, or the end after the last. */
static void uv_floor_next(uv_floor_t *f)
{
    if (f->left-- <= 0) {
        uv_floor_stop(f);
        return;
    }
    f->t_sent = scope_time_now_ns();
    if (uv_floor_send(f, f->out_msg, f->msg, NULL) < 0) {
        f->failed = 1;
        uv_floor_stop(f);
    }
}

/* A whole message has come (a datagram, or msg bytes of a stream). */
static void uv_floor_message(uv_floor_t *f, const char *data, const struct sockaddr *from)
{
    if (f->serving) {
        if (uv_floor_send(f, data, f->msg, from) < 0) {
            f->failed = 1;
            uv_floor_stop(f);
        }
        return;
    }
    if (f->done++ >= f->timed_from)
        scope_hist_add(f->hist, scope_time_now_ns() - f->t_sent);
    uv_floor_next(f);
}

static void uv_floor_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    uv_floor_t *f = s->data;
    if (nread < 0) { /* EOF: the client is done, or the server went away */
        uv_floor_stop(f);
        return;
    }
    /* The messages are written one at a time and each waits for its answer,
     * so a read never holds more than one. */
    memmove(f->buf + f->have, buf->base, (size_t)nread);
    f->have += (size_t)nread;
    if (f->have >= f->msg) {
        f->have = 0;
        uv_floor_message(f, f->buf, NULL);
    }
}

static void uv_floor_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf,
                          const struct sockaddr *from, unsigned flags)
{
    (void)flags;
    uv_floor_t *f = u->data;
    if (nread < 0 || (nread == 0 && from == NULL))
        return; /* an error, or nothing more to read this turn */
    if ((size_t)nread != f->msg) { /* a short datagram is the client's "bye" */
        uv_floor_stop(f);
        return;
    }
    uv_floor_message(f, buf->base, from);
}

static int uv_floor_open(uv_floor_t *f, uv_floor_kind_t kind, int in_fd, int out_fd)
{
    f->kind = kind;
    if (uv_loop_init(&f->loop) < 0)
        return -1;
    int r;
    if (kind == UV_FLOOR_UDP) {
        r = uv_udp_init(&f->loop, &f->in.udp);
        if (r == 0)
            r = uv_udp_open(&f->in.udp, in_fd);
        f->in.handle.data = f;
        f->out = f->in;
        if (r == 0)
            r = uv_udp_recv_start(&f->in.udp, uv_floor_alloc, uv_floor_recv);
        return r;
    }
    if (kind == UV_FLOOR_TCP) {
        r = uv_tcp_init(&f->loop, &f->in.tcp);
        if (r == 0)
            r = uv_tcp_open(&f->in.tcp, in_fd);
    } else {
        r = uv_pipe_init(&f->loop, &f->in.pipe, 0);
        if (r == 0)
            r = uv_pipe_open(&f->in.pipe, in_fd);
    }
    f->in.handle.data = f;
    if (r == 0 && out_fd != in_fd) {
        f->split = 1;
        r = uv_pipe_init(&f->loop, &f->out.pipe, 0);
        if (r == 0)
            r = uv_pipe_open(&f->out.pipe, out_fd);
        f->out.handle.data = f;
    }
    if (r == 0 && !f->split)
        f->out = f->in;
    if (r == 0)
        r = uv_read_start(&f->in.stream, uv_floor_alloc, uv_floor_read);
    return r;
}

static int uv_floor_finish(uv_floor_t *f)
{
    uv_run(&f->loop, UV_RUN_DEFAULT);
    uv_loop_close(&f->loop);
    return f->failed ? -1 : 0;
}

/* The echoing end: answers every message of msg bytes until its peer ends.
 * For a pipe, in_fd and out_fd are the two pipes; otherwise the same fd. */
static inline int uv_floor_serve(uv_floor_kind_t kind, int in_fd, int out_fd, size_t msg)
{
    static uv_floor_t f; /* 64 KiB of buffer: not on the stack */
    memset(&f, 0, sizeof f);
    f.serving = 1;
    f.msg = msg;
    if (uv_floor_open(&f, kind, in_fd, out_fd) < 0)
        return -1;
    return uv_floor_finish(&f);
}

/* The timing end: n + n/10 round trips of msg (the first n/10 untimed, to
 * warm up), each round trip's time added to hist. */
static inline int uv_floor_pingpong(uv_floor_kind_t kind, int in_fd, int out_fd, const char *msg,
                                    size_t len, long n, scope_hist_t *hist)
{
    static uv_floor_t f;
    memset(&f, 0, sizeof f);
    f.msg = len;
    f.out_msg = (char *)msg;
    f.left = n + n / 10;
    f.timed_from = n / 10;
    f.hist = hist;
    if (uv_floor_open(&f, kind, in_fd, out_fd) < 0)
        return -1;
    uv_floor_next(&f);
    return uv_floor_finish(&f);
}

#endif
