/* attach.c (--attach lean): hiredis on our libuv loop without the churn of
 * its adapter, what bench/message_queue.sh measured.
 *
 * hiredis's async API asks its event library for four things: add/del
 * read, add/del write. adapters/libuv.h answers each with uv_poll_start,
 * and libuv's uv_poll_start is an epoll_ctl(DEL) and an epoll_ctl(ADD)
 * every time, so each command costs: add write (2 epoll_ctl), one more
 * epoll_wait to learn what is always true of an idle Unix socket (it is
 * writable), write, del write (2 more). strace counts 18 epoll_ctl and 6
 * epoll_wait per pub/sub round trip across the two processes, beside the 4
 * read and 2 write that carry it: most of what a round trip on libuv costs
 * above a blocking one.
 *
 * This attach keeps one uv_poll_t per connection and calls uv_poll_start
 * only when the events change (reading stays on while the connection
 * lives). A command's bytes go out from a uv_prepare_t, which libuv runs
 * just before it waits in epoll_wait, so that every command made in this
 * loop turn is written in one write() before the wait; UV_WRITABLE is armed
 * only for what that write left (a full socket buffer) and for the
 * connect, which hiredis completes on the first writable event. The RESP
 * is still hiredis's; only the glue between hiredis and the loop is ours.
 */
#include <stdlib.h>

#include "message-queue.h"

typedef struct {
    uv_poll_t poll;
    uv_prepare_t flush;
    redisAsyncContext *c; /* NULL once hiredis let go of it */
    int want, armed;      /* the events hiredis wants; the ones the poll has */
    int writing;          /* inside redisAsyncHandleWrite: what it leaves waits for room */
    int closing;
} lean_t;

/* The poll follows what hiredis wants, when that changed. */
static void sync_poll(lean_t *l);

/* What is appended goes out; a write that leaves some (the socket buffer is
 * full) makes hiredis ask add_write again, which then arms UV_WRITABLE. */
static void write_now(lean_t *l)
{
    l->writing = 1;
    redisAsyncHandleWrite(l->c); /* may free the context on an error: l->c is NULL then */
    l->writing = 0;
    if (l->c)
        sync_poll(l);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    lean_t *l = h->data;
    if (status < 0) /* as the adapter does */
        return;
    if (l->c && (events & UV_READABLE))
        redisAsyncHandleRead(l->c);
    if (l->c && (events & UV_WRITABLE))
        write_now(l);
}

static void sync_poll(lean_t *l)
{
    if (l->closing || l->want == l->armed)
        return;
    l->armed = l->want;
    if (l->want)
        uv_poll_start(&l->poll, l->want, on_poll);
    else
        uv_poll_stop(&l->poll);
}

/* Just before the loop waits: what the commands of this turn appended. */
static void on_flush(uv_prepare_t *p)
{
    lean_t *l = p->data;
    uv_prepare_stop(p);
    if (l->c && (l->c->c.flags & REDIS_CONNECTED))
        write_now(l);
}

static void add_read(void *p)
{
    lean_t *l = p;
    l->want |= UV_READABLE;
    sync_poll(l);
}

static void del_read(void *p)
{
    lean_t *l = p;
    l->want &= ~UV_READABLE;
    sync_poll(l);
}

/* A command was appended: written before the loop waits. Until connected,
 * the first UV_WRITABLE says the connect is done, as with the adapter; and
 * what a write left waits for UV_WRITABLE. */
static void add_write(void *p)
{
    lean_t *l = p;
    if (l->writing || !(l->c->c.flags & REDIS_CONNECTED)) {
        l->want |= UV_WRITABLE;
        sync_poll(l);
    } else {
        uv_prepare_start(&l->flush, on_flush);
    }
}

static void del_write(void *p)
{
    lean_t *l = p;
    l->want &= ~UV_WRITABLE;
    if (!l->writing)
        sync_poll(l); /* else write_now does, once */
}

static void on_closed(uv_handle_t *h)
{
    lean_t *l = h->data;
    if (++l->closing == 3) /* the poll and the prepare are closed */
        free(l);
}

static void cleanup(void *p)
{
    lean_t *l = p;
    l->c = NULL;
    l->closing = 1;
    uv_close((uv_handle_t *)&l->poll, on_closed);
    uv_close((uv_handle_t *)&l->flush, on_closed);
}

int mq_attach_lean(redisAsyncContext *c, uv_loop_t *loop)
{
    lean_t *l = calloc(1, sizeof *l);
    if (!l)
        return REDIS_ERR;
    if (uv_poll_init(loop, &l->poll, c->c.fd) < 0) {
        free(l);
        return REDIS_ERR;
    }
    uv_prepare_init(loop, &l->flush);
    l->poll.data = l->flush.data = l;
    l->c = c;
    c->ev.data = l;
    c->ev.addRead = add_read;
    c->ev.delRead = del_read;
    c->ev.addWrite = add_write;
    c->ev.delWrite = del_write;
    c->ev.cleanup = cleanup;
    return REDIS_OK;
}
