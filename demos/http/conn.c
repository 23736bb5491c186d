/* conn.c: a connection's plumbing for http.c and the routes that keep one
 * (ws.c, sse.c): bytes out (copied, then uv_write), a route's ownership, the
 * close of its two handles, and the buffers reads land in.
 */
#include "http.h"

typedef struct { uv_write_t req; http_conn_t *c; int close_after; char data[]; } out_t;

static void on_handle_closed(uv_handle_t *h)
{
    http_conn_t *c = h->type == UV_TCP ? scope_container_of(h, http_conn_t, tcp)
                                       : scope_container_of(h, http_conn_t, head_timer);
    if (--c->handles > 0)
        return;
    if ((*c->pprev = c->next))
        c->next->pprev = c->pprev;
    c->s->live--;
    if (c->owner_close)
        c->owner_close(c->owner);
    free(c);
}

void http_conn_close(http_conn_t *c)
{
    if (uv_is_closing((uv_handle_t *)&c->tcp))
        return;
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&c->head_timer, on_handle_closed);
}

static void on_written(uv_write_t *w, int status)
{
    out_t *o = scope_container_of(w, out_t, req);
    if (status < 0 || o->close_after)
        http_conn_close(o->c);
    free(o);
}

int http_conn_write(http_conn_t *c, const void *data, size_t len, int close_after)
{
    out_t *o = uv_is_closing((uv_handle_t *)&c->tcp) ? NULL : malloc(sizeof *o + len);
    if (!o)
        return -EPIPE;
    *o = (out_t){.c = c, .close_after = close_after};
    memcpy(o->data, data, len);
    uv_buf_t b = uv_buf_init(o->data, (unsigned)len);
    int r = uv_write(&o->req, (uv_stream_t *)&c->tcp, &b, 1, on_written);
    if (r < 0)
        free(o);
    return r;
}

uv_stream_t *http_conn_stream(http_conn_t *c)
{
    uv_timer_stop(&c->head_timer); /* a route's connection has no head to wait for */
    return (uv_stream_t *)&c->tcp;
}

void http_conn_own(http_conn_t *c, void *data, void (*on_close)(void *data))
{
    c->owner = data, c->owner_close = on_close;
}

void http_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
    (void)h;
    buf->base = malloc(size);
    buf->len = buf->base ? size : 0;
}

