/* zmq.c, step 5: ZeroMQ push/pull, as article 002 (Common IPC methods in
 * Node.js, "通过消息队列实现数据共享") writes it with the zeromq module:
 * the server binds a PUSH socket and sends, the client connects a PULL
 * socket and reads. There is no broker process at all: the queue is
 * inside the two processes (libzmq's pipes and I/O threads) and the TCP
 * connection between them.
 *
 *   1. zmq_bind(PUSH, "tcp://127.0.0.1:*"): loopback, a port the kernel
 *      picks (ZMQ_LAST_ENDPOINT), so parallel runs never collide and no
 *      socket file is left (tcp:// is what the article binds).
 *   2. The puller is late: a message a tick (a second, or 1/--rate, paced
 *      by lib/demo), sent with ZMQ_DONTWAIT. A bound PUSH with no peer is "mute": each
 *      zmq_send says EAGAIN and nothing is queued (a blocking send would
 *      wait forever). We drop those MUTE_N and count them.
 *   3. The puller starts (puller.c, --role puller --connect ENDPOINT); the
 *      next FLOW_N messages arrive in order.
 *   4. The high-water mark: "hold" tells the puller to stop reading for a
 *      while, and BURST_N messages of BURST_SIZE bytes go as fast as
 *      zmq_send takes them. ZMQ_SNDHWM (HWM messages here, 1000 by default)
 *      bounds the pusher's queue; once it, the puller's RCVHWM and the two
 *      small TCP buffers are full, zmq_send says EAGAIN (counted), and the
 *      pusher waits for ZMQ_POLLOUT: backpressure, nothing lost. (The HWM
 *      counts messages written and not yet confirmed read by the I/O
 *      thread, which confirms in batches: fewer than HWM may fit.)
 *
 * ZeroMQ on a libuv loop: ZMQ_FD is an fd to poll (uv_poll_t) that becomes
 * readable when the socket MAY have changed; ZMQ_EVENTS says what it can do
 * now (ZMQ_POLLIN, ZMQ_POLLOUT). The trap: the fd is edge-triggered, and
 * every zmq_send, zmq_recv or ZMQ_EVENTS call may consume the signal
 * itself. A loop that waits for the fd after a send can then wait forever
 * although the socket is writable. So service() asks ZMQ_EVENTS again
 * after every send, and only waits for the fd when it says "not now"; and
 * to uv_poll the fd stays readable until ZMQ_EVENTS is read (on_zmq_fd).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "events.h"
#include "message-queue.h"

#define HWM        4     /* ZMQ_SNDHWM: messages the pusher queues per peer */
#define TCP_BUF    16384 /* ZMQ_SNDBUF: small, so that the HWM shows */
#define MUTE_N     3     /* sent before the puller exists */
#define FLOW_N     5     /* at the tick, to the puller */
#define BURST_N    64    /* as fast as zmq_send takes them */
#define BURST_SIZE 16384

enum { MUTE, FLOW, BURST, WAIT_END, DONE };

static struct zq_s {
    scope_demo_t *demo;
    void *ctx, *push;
    uv_poll_t poll;
    uv_timer_t tick;      /* the lesson's clock at --rate 0: a tick a second */
    scope_pacer_t pacer;  /* lib/demo's: pause, step and --rate hold the ticks */
    int open, phase, hold_sent, waiting_out; /* waiting_out: EAGAIN; go on at ZMQ_POLLOUT */
    scope_role_t puller;
    scope_trace_t trace;
    char endpoint[64];
    long seq, ticks, flow_sent, burst_sent, mute_eagain, eagain, before_eagain;
    double received, out_of_order;
    char *burst;
} z;

static void finish(void);

/* Sends "WORD N" (padded to size bytes); 0, or -EAGAIN. */
static int send_one(const char *word, size_t size)
{
    char head[48];
    int n = snprintf(head, sizeof head, "%s %ld", word, z.seq);
    char *buf = head;
    if (size > (size_t)n) {
        memset(z.burst, '.', size);
        memcpy(z.burst, head, (size_t)n);
        buf = z.burst;
    } else {
        size = (size_t)n;
    }
    if (zmq_send(z.push, buf, size, ZMQ_DONTWAIT) < 0)
        return -errno;
    scope_trace_send(&z.trace, buf, size);
    z.seq++;
    return 0;
}

/* The burst: until all went, or EAGAIN (then ZMQ_POLLOUT resumes it). */
static void pump(void)
{
    /* "hold" goes first: what follows piles up behind it */
    if (z.phase == BURST && !z.hold_sent) {
        if (send_one("hold", 0) < 0) {
            z.waiting_out = 1;
            return;
        }
        z.hold_sent = 1;
    }
    while (z.phase == BURST && z.burst_sent < BURST_N) {
        if (send_one("burst", BURST_SIZE) < 0) {
            if (z.eagain++ == 0) {
                z.before_eagain = z.burst_sent;
                scope_events_log("burst: after %ld messages of %d B, zmq_send -> EAGAIN: the TCP "
                                 "buffers and the puller's RCVHWM %d are full, and our pipe holds "
                                 "SNDHWM %d not yet confirmed taken; waiting for ZMQ_POLLOUT",
                                 z.burst_sent, BURST_SIZE, HWM, HWM);
            }
            z.waiting_out = 1;
            return;
        }
        z.burst_sent++;
    }
    if (z.phase == BURST && send_one("end", 0) == 0) {
        scope_events_log("all %d burst messages sent, %ld EAGAIN(s) on the way; \"end %ld\" tells "
                         "the puller to stop", BURST_N, z.eagain, z.seq - 1);
        z.phase = WAIT_END; /* the puller's exit ends the step */
    } else if (z.phase == BURST) {
        z.waiting_out = 1; /* "end" itself must wait for room */
    }
}

/* Everything the socket can do now, asking ZMQ_EVENTS after each send (the
 * edge-triggered trap, above). */
static void service(void)
{
    while (z.open && z.waiting_out) {
        int events = 0;
        size_t len = sizeof events;
        if (zmq_getsockopt(z.push, ZMQ_EVENTS, &events, &len) < 0 || !(events & ZMQ_POLLOUT))
            return; /* not now: the fd will say when it may have changed */
        z.waiting_out = 0;
        if (z.phase == FLOW && send_one("msg", 0) < 0)
            z.waiting_out = 1;
        else if (z.phase == FLOW)
            z.flow_sent++;
        else
            pump();
    }
}

/* ZMQ_EVENTS read even when nothing waits (paused), or the loop spins. */
static void on_zmq_fd(uv_poll_t *p, int status, int events)
{
    size_t len = sizeof events;
    (void)p, (void)status;
    zmq_getsockopt(z.push, ZMQ_EVENTS, &events, &len);
    service();
}

static void on_report(scope_role_t *r, const cJSON *fig)
{
    (void)r;
    z.received = cJSON_GetNumberValue(cJSON_GetObjectItem(fig, "received"));
    z.out_of_order = cJSON_GetNumberValue(cJSON_GetObjectItem(fig, "out_of_order"));
}

static void on_puller_exit(scope_role_t *r, int code, int sig)
{
    (void)r;
    if (z.demo->quitting || z.phase == DONE)
        return;
    scope_demo_check(z.demo, code == 0 && sig == 0, "puller", "exited with code %d, signal %d",
                     code, sig);
    finish();
}

static void start_puller(void)
{
    const char *args[] = {"--connect", z.endpoint, NULL};
    scope_role_options_t o = {.argv = args};
    z.puller.on_exit = on_puller_exit;
    z.puller.on_report = on_report;
    if (scope_role_spawn(z.demo, &z.puller, "puller", &o) < 0) {
        scope_demo_check(z.demo, 0, "puller", "cannot start it");
        finish();
        return;
    }
    scope_trace_set_peer(&z.trace, SCOPE_PID(z.puller.pid));
    scope_events_log("the puller (pid %d) connects to %s: its PULL socket is the pusher's "
                     "first peer", (int)z.puller.pid, z.endpoint);
}

static void tick(scope_pacer_t *p);

/* Each tick goes through lib/demo's pacer, so pause (Space), step (s) and
 * rate hold this step too; at --rate 0 a second of the lesson's clock first. */
static void on_clock(uv_timer_t *t) { (void)t, scope_pacer_next(&z.pacer, tick); }

static void next_tick(void)
{
    if (!z.open)
        return;
    if (z.demo->rate > 0)
        scope_pacer_next(&z.pacer, tick);
    else
        uv_timer_start(&z.tick, on_clock, 1000, 0);
}

static void tick(scope_pacer_t *p)
{
    (void)p;
    if (!z.open)
        return;
    if (z.phase == MUTE) {
        int e = send_one("msg", 0);
        z.seq += e < 0; /* refused: that number is gone, as the message is */
        z.mute_eagain += e == -EAGAIN;
        scope_events_log("zmq_send(\"msg %ld\", ZMQ_DONTWAIT) -> %s: no puller yet; a bound PUSH "
                         "with no peer is mute, and the message is not kept", z.seq - 1,
                         e == -EAGAIN ? "EAGAIN" : e ? strerror(-e) : scope_events_tr("sent"));
        if (++z.ticks == MUTE_N) {
            z.phase = FLOW;
            start_puller();
        }
    } else if (z.phase == FLOW && z.flow_sent == FLOW_N) {
        z.phase = BURST; /* no more ticks: the burst goes as fast as it can */
        scope_events_log("\"hold %ld\": the puller stops reading for a while; then %d messages of "
                         "%d B as fast as zmq_send takes them", z.seq, BURST_N, BURST_SIZE);
        pump();
    } else if (z.phase == FLOW && !z.waiting_out) {
        z.waiting_out = 1; /* EAGAIN until the puller's connection is up */
    }
    service();
    if (z.phase == MUTE || z.phase == FLOW)
        next_tick();
}

void mq_zmq(scope_demo_t *d)
{
    int hwm = HWM, buf = TCP_BUF, linger = 0, fd;
    size_t len = sizeof z.endpoint;
    z.demo = d;
    z.burst = malloc(BURST_SIZE);
    z.ctx = zmq_ctx_new(); /* starts libzmq's I/O thread */
    z.push = z.ctx ? zmq_socket(z.ctx, ZMQ_PUSH) : NULL;
    if (!z.burst || !z.push || zmq_setsockopt(z.push, ZMQ_SNDHWM, &hwm, sizeof hwm) < 0 ||
        zmq_setsockopt(z.push, ZMQ_SNDBUF, &buf, sizeof buf) < 0 ||
        /* a quit must not wait for messages nobody will read */
        zmq_setsockopt(z.push, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
        zmq_bind(z.push, "tcp://127.0.0.1:*") < 0 ||
        zmq_getsockopt(z.push, ZMQ_LAST_ENDPOINT, z.endpoint, &len) < 0) {
        scope_demo_check(d, 0, "zmq", "PUSH socket: %s", zmq_strerror(zmq_errno()));
        finish();
        return;
    }
    len = sizeof fd;
    zmq_getsockopt(z.push, ZMQ_FD, &fd, &len);
    uv_poll_init(d->loop, &z.poll, fd);
    uv_poll_start(&z.poll, UV_READABLE, on_zmq_fd);
    uv_timer_init(d->loop, &z.tick);
    scope_pacer_init(d, &z.pacer);
    z.open = 1;
    z.seq = 1;
    scope_trace_init(&z.trace, "zmq", SCOPE_PID(getpid()), SCOPE_PEER("puller"));
    scope_trace_open(&z.trace, "tcp", z.endpoint);
    scope_events_log("zmq_socket(ZMQ_PUSH), ZMQ_SNDHWM %d, zmq_bind -> %s; no broker process: "
                     "ZMQ_FD %d is polled on our libuv loop", HWM, z.endpoint, fd);
    uv_timer_start(&z.tick, on_clock, 1000, 0); /* the first tick: a second to read this */
}

static void on_closed(uv_handle_t *h) { (void)h; }
void mq_zmq_stop(scope_demo_t *d)
{
    (void)d;
    if (z.open) {
        z.open = 0;
        scope_trace_close(&z.trace);
        uv_close((uv_handle_t *)&z.tick, on_closed);
        scope_pacer_close(&z.pacer);
        uv_close((uv_handle_t *)&z.poll, on_closed); /* before its fd goes with the socket */
    }
    if (z.push)
        zmq_close(z.push);
    if (z.ctx)
        zmq_ctx_term(z.ctx); /* joins the I/O thread; LINGER 0: at once */
    z.push = z.ctx = NULL;
    free(z.burst);
    z.burst = NULL;
}

static void finish(void)
{
    z.phase = DONE;
    scope_events_log("push/pull: %ld refused while nobody pulled, %.0f received in order (%.0f "
                     "out of order), %ld EAGAIN(s) at the high-water mark after %ld queued",
                     z.mute_eagain, z.received, z.out_of_order, z.eagain, z.before_eagain);
    scope_demo_figure(z.demo, "zmq.mute_eagain", cJSON_CreateNumber((double)z.mute_eagain));
    scope_demo_figure(z.demo, "zmq.sent", cJSON_CreateNumber((double)(z.flow_sent + z.burst_sent + 2)));
    scope_demo_figure(z.demo, "zmq.received", cJSON_CreateNumber(z.received));
    scope_demo_figure(z.demo, "zmq.out_of_order", cJSON_CreateNumber(z.out_of_order));
    scope_demo_figure(z.demo, "zmq.hwm_eagain", cJSON_CreateNumber((double)z.eagain));
    scope_demo_figure(z.demo, "zmq.queued_before_eagain", cJSON_CreateNumber((double)z.before_eagain));
    mq_zmq_stop(z.demo);
    scope_demo_next(z.demo);
}
