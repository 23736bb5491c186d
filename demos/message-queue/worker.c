/* worker.c: the worker of step 6 (queue.c tells it), this program again
 * as `message-queue --role worker --redis URL`.
 *
 * It takes a task with BLMOVE tasks processing RIGHT LEFT 0: the server
 * moves the oldest task to the processing list in the same step as it
 * hands it over, so a worker that dies holding it leaves it there, not
 * nowhere (BRPOP would have removed it). The work is WORK_MS of waiting;
 * then LREM processing 1 TASK says it is done, and it takes the next.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "message-queue.h"

#define WORK_MS 300

typedef struct {
    scope_demo_t *demo;
    mq_broker_t broker;
    redisAsyncContext *c;
    scope_trace_t trace;
    uv_timer_t work;
    char tasks[48], processing[48], task[64];
} worker_t;

static void take(worker_t *w);

static void on_work_done(uv_timer_t *t)
{
    worker_t *w = t->data;
    if (!w->c)
        return;
    /* done: only now does the task leave the processing list */
    redisAsyncCommand(w->c, NULL, NULL, "LREM %s 1 %s", w->processing, w->task);
    scope_events_log("done %s: LREM %s 1 \"%s\"", w->task, w->processing, w->task);
    take(w);
}

static void on_task(redisAsyncContext *c, void *reply, void *priv)
{
    worker_t *w = c->data;
    redisReply *r = reply;
    (void)priv;
    if (!r || r->type != REDIS_REPLY_STRING)
        return;
    snprintf(w->task, sizeof w->task, "%s", r->str);
    scope_trace_recv(&w->trace, r->str, r->len);
    scope_events_log("BLMOVE %s %s RIGHT LEFT 0 -> \"%s\": working on it for %d ms", w->tasks,
                     w->processing, w->task, WORK_MS);
    uv_timer_start(&w->work, on_work_done, WORK_MS, 0);
}

static void take(worker_t *w)
{
    redisAsyncCommand(w->c, on_task, NULL, "BLMOVE %s %s RIGHT LEFT 0", w->tasks, w->processing);
}

static void on_quit(scope_demo_t *d)
{
    worker_t *w = d->data;
    uv_close((uv_handle_t *)&w->work, NULL);
    if (w->c)
        redisAsyncFree(w->c); /* a BLMOVE may wait forever: no reply to wait for */
    w->c = NULL;
    scope_demo_stop(d);
}

int mq_worker(scope_demo_t *d, mq_t *m)
{
    worker_t w = {.demo = d};
    d->data = &w;
    d->on_quit = on_quit;
    if (scope_demo_start(d, uv_default_loop(), d->role, 0) < 0)
        return 1;
    uv_timer_init(d->loop, &w.work);
    w.work.data = &w;
    snprintf(w.tasks, sizeof w.tasks, "ipcscope:%d:tasks", (int)getppid());
    snprintf(w.processing, sizeof w.processing, "ipcscope:%d:processing", (int)getppid());
    if (!m->redis || mq_broker_set(&w.broker, m->redis, (long)m->server_pid) < 0 ||
        !(w.c = mq_connect(d, &w.broker, &w, N_("the worker")))) {
        scope_demo_check(d, 0, "worker", "no broker");
        on_quit(d);
        return scope_demo_run(d);
    }
    scope_trace_init(&w.trace, MQ_CHAN, SCOPE_PID(getpid()), w.broker.end);
    take(&w);
    return scope_demo_run(d);
}
