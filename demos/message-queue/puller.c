/* puller.c: the puller of step 5 (zmq.c tells it), this program again as
 * `message-queue --role puller --connect tcp://127.0.0.1:PORT`: article
 * 002's client, sock.connect() and sock.on('message').
 *
 * A PULL socket with ZMQ_RCVHWM HWM connects to the pusher; its ZMQ_FD is
 * polled on the libuv loop, and drain() reads while ZMQ_EVENTS says
 * ZMQ_POLLIN, asking again after every zmq_msg_recv (the fd is
 * edge-triggered: zmq.c's comment). Each message is "WORD N": the numbers
 * must come one after the other, and any that does not is counted out of
 * order. "hold N" stops the reading for HOLD_MS (the pusher's burst piles
 * up meanwhile: its high-water mark); "end N" reports the counts to the
 * first process (lib/role) and ends this process.
 */
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "events.h"
#include "message-queue.h"

#define HWM     4
#define TCP_BUF 16384
#define HOLD_MS 500

typedef struct {
    scope_demo_t *demo;
    void *ctx, *pull;
    uv_poll_t poll;
    uv_timer_t hold;
    scope_trace_t trace;
    long last, received, out_of_order;
    int holding, open;
} puller_t;

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

static void stop(puller_t *p)
{
    if (p->open) {
        p->open = 0;
        scope_trace_close(&p->trace);
        uv_close((uv_handle_t *)&p->poll, on_closed);
        uv_close((uv_handle_t *)&p->hold, on_closed);
    }
    if (p->pull)
        zmq_close(p->pull);
    if (p->ctx)
        zmq_ctx_term(p->ctx);
    p->pull = p->ctx = NULL;
    scope_demo_stop(p->demo);
}

static void end(puller_t *p)
{
    cJSON *fig = cJSON_CreateObject();
    cJSON_AddNumberToObject(fig, "received", (double)p->received);
    cJSON_AddNumberToObject(fig, "out_of_order", (double)p->out_of_order);
    scope_demo_report(p->demo, fig);
    scope_events_log("\"end %ld\": %ld received, %ld out of order; closing the PULL socket",
                     p->last, p->received, p->out_of_order);
    stop(p);
}

static void on_hold_over(uv_timer_t *t);

/* One message: "msg 4", "hold 9", "burst 10 .....", "end 74". */
static void on_message(puller_t *p, const char *data, size_t len)
{
    char word[8] = "";
    long n = 0;
    char text[32];
    snprintf(text, sizeof text, "%.*s", (int)(len < 31 ? len : 31), data);
    sscanf(text, "%7s %ld", word, &n);
    p->received++;
    p->out_of_order += p->last && n != p->last + 1;
    p->last = n;
    scope_trace_recv(&p->trace, data, len);
    if (strcmp(word, "msg") == 0)
        scope_events_log("zmq_msg_recv -> \"%s\" (%zu B)", text, len);
    if (strcmp(word, "hold") == 0) {
        scope_events_log("\"hold %ld\": not reading for %d ms; what comes next piles up in the "
                         "pusher's queue, ours (RCVHWM %d) and the TCP buffers", n, HOLD_MS, HWM);
        p->holding = 1;
        uv_timer_start(&p->hold, on_hold_over, HOLD_MS, 0);
    }
    if (strcmp(word, "end") == 0)
        end(p);
}

/* Reads while ZMQ_EVENTS says ZMQ_POLLIN, asking after every read. */
static void drain(puller_t *p)
{
    while (p->open && !p->holding) {
        int events = 0;
        size_t len = sizeof events;
        if (zmq_getsockopt(p->pull, ZMQ_EVENTS, &events, &len) < 0 || !(events & ZMQ_POLLIN))
            return;
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, p->pull, ZMQ_DONTWAIT) >= 0)
            on_message(p, zmq_msg_data(&msg), zmq_msg_size(&msg));
        zmq_msg_close(&msg);
    }
}

static void on_fd(uv_poll_t *h, int status, int events)
{
    (void)status, (void)events;
    drain(h->data);
}

/* The hold is over: read on at once. The fd will not say so again: its
 * edge passed while we held. */
static void on_hold_over(uv_timer_t *t)
{
    puller_t *p = t->data;
    p->holding = 0;
    scope_events_log("reading again after %d ms", HOLD_MS);
    drain(p);
}

static void on_quit(scope_demo_t *d)
{
    stop(d->data);
}

int mq_puller(scope_demo_t *d, mq_t *m)
{
    puller_t p = {.demo = d};
    int hwm = HWM, buf = TCP_BUF, linger = 0, fd;
    size_t len = sizeof fd;
    d->data = &p;
    d->on_quit = on_quit;
    if (scope_demo_start(d, uv_default_loop(), d->role, 0) < 0)
        return 1;
    p.ctx = zmq_ctx_new();
    p.pull = p.ctx ? zmq_socket(p.ctx, ZMQ_PULL) : NULL;
    if (!m->zmq_connect || !p.pull ||
        zmq_setsockopt(p.pull, ZMQ_RCVHWM, &hwm, sizeof hwm) < 0 ||
        zmq_setsockopt(p.pull, ZMQ_RCVBUF, &buf, sizeof buf) < 0 ||
        zmq_setsockopt(p.pull, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
        zmq_connect(p.pull, m->zmq_connect) < 0 ||
        zmq_getsockopt(p.pull, ZMQ_FD, &fd, &len) < 0) {
        scope_demo_check(d, 0, "puller", "PULL socket to %s: %s",
                         m->zmq_connect ? m->zmq_connect : scope_events_tr("(no --connect)"),
                         zmq_strerror(zmq_errno()));
        stop(&p);
        return scope_demo_run(d);
    }
    p.open = 1;
    uv_poll_init(d->loop, &p.poll, fd);
    p.poll.data = &p;
    uv_poll_start(&p.poll, UV_READABLE, on_fd);
    uv_timer_init(d->loop, &p.hold);
    p.hold.data = &p;
    scope_trace_init(&p.trace, "zmq", SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    scope_events_log("zmq_socket(ZMQ_PULL), ZMQ_RCVHWM %d, zmq_connect(%s); ZMQ_FD %d on our "
                     "libuv loop", HWM, m->zmq_connect, fd);
    drain(&p);
    return scope_demo_run(d);
}
