/* mq_receiver.c: the receiver of step 6 (posix_mq.c tells it), this
 * program again as `message-queue --role mq-receiver --mq /ipcscope-mq.PID`.
 *
 * It opens the queue by its name, O_RDONLY | O_NONBLOCK, and polls the
 * mqd_t (an fd on Linux) with uv_poll; when it is readable, mq_receive
 * until EAGAIN. Each message comes with its priority, and the kernel hands
 * out the highest first. "end" reports the priorities in the order they
 * came (lib/role) and ends this process.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "message-queue.h"

typedef struct {
    scope_demo_t *demo;
    mqd_t q;
    uv_poll_t poll;
    int open;
    long received;
    char order[64];
    scope_trace_t trace;
} receiver_t;

static void stop(receiver_t *r)
{
    if (r->open) {
        r->open = 0;
        uv_close((uv_handle_t *)&r->poll, NULL); /* before mq_close closes its fd */
        scope_trace_close(&r->trace);
        mq_close(r->q);
    }
    scope_demo_stop(r->demo);
}

static void on_readable(uv_poll_t *p, int status, int events)
{
    receiver_t *r = p->data;
    char buf[8192]; /* at least the queue's mq_msgsize, or mq_receive says EMSGSIZE */
    unsigned prio;
    ssize_t n;
    (void)status, (void)events;
    while (r->open && (n = mq_receive(r->q, buf, sizeof buf, &prio)) >= 0) {
        r->received++;
        size_t at = strlen(r->order);
        snprintf(r->order + at, sizeof r->order - at, "%s%u", at ? " " : "", prio);
        scope_trace_recv(&r->trace, buf, (size_t)n);
        scope_events_log("mq_receive -> \"%.*s\", priority %u", (int)n, buf, prio);
        if (n == 3 && memcmp(buf, "end", 3) == 0) {
            cJSON *fig = cJSON_CreateObject();
            cJSON_AddNumberToObject(fig, "received", (double)r->received);
            cJSON_AddStringToObject(fig, "order", r->order);
            scope_demo_report(r->demo, fig);
            stop(r);
        }
    }
}

static void on_quit(scope_demo_t *d)
{
    stop(d->data);
}

int mq_posix_receiver(scope_demo_t *d, mq_t *m)
{
    receiver_t r = {.demo = d};
    struct mq_attr a;
    d->data = &r;
    d->on_quit = on_quit;
    if (scope_demo_start(d, uv_default_loop(), d->role, 0) < 0)
        return 1;
    r.q = m->mq_name ? mq_open(m->mq_name, O_RDONLY | O_NONBLOCK) : (mqd_t)-1;
    if (r.q == (mqd_t)-1) {
        scope_demo_check(d, 0, "mq-receiver", "mq_open(%s): %s",
                         m->mq_name ? m->mq_name : scope_events_tr("(no --mq)"), strerror(errno));
        stop(&r);
        return scope_demo_run(d);
    }
    mq_getattr(r.q, &a);
    scope_events_log("mq_open(\"%s\", O_RDONLY|O_NONBLOCK) -> mqd %d; mq_curmsgs %ld waiting "
                     "for us", m->mq_name, (int)r.q, a.mq_curmsgs);
    r.open = 1;
    scope_trace_init(&r.trace, "posix-mq", SCOPE_PID(getpid()), SCOPE_PEER("kernel mq"));
    uv_poll_init(d->loop, &r.poll, (int)r.q);
    r.poll.data = &r;
    uv_poll_start(&r.poll, UV_READABLE, on_readable);
    return scope_demo_run(d);
}
