/* queue.c, step 6: a work queue with a list, in the reliable form. Pub/sub
 * loses what nobody listens to (step 4); a list keeps it until someone
 * takes it. The producer LPUSHes three tasks; a worker (worker.c) takes
 * each with BLMOVE tasks processing, which moves it to a processing list
 * as it hands it over, and LREMs it there when done. The worker is killed
 * while it holds a task: the task is still in the processing list, and
 * LMOVE processing tasks puts it back for the next worker. With BRPOP
 * instead, the task would have left the server with the worker.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "message-queue.h"

#define TASKS 3

static struct queue_s {
    scope_demo_t *demo;
    redisAsyncContext *c;
    scope_role_t workers[2]; /* the first, killed; the one that takes over */
    scope_role_t *worker;
    uv_timer_t poll;
    scope_trace_t trace;
    char tasks[48], processing[48];
    int killed, recovered, done, poll_open;
} q;

static void start_worker(void);

/* The task is back: only now may a new worker ask for the next one. */
static void on_moved_back(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)c, (void)priv;
    if (!r || q.done)
        return;
    scope_events_log("LMOVE %s %s RIGHT RIGHT -> \"%s\": the dead worker's task is back in "
                     "the queue; a new worker takes it", q.processing, q.tasks,
                     r->type == REDIS_REPLY_STRING ? r->str : "(nil)");
    start_worker();
}

static void on_worker_exit(scope_role_t *r, int code, int sig)
{
    (void)r, (void)code, (void)sig;
    if (q.demo->quitting)
        return; /* a quit: lib/role told it to go */
    if (q.done) {
        scope_demo_next(q.demo);
        return;
    }
    if (!q.killed || q.recovered || !q.c)
        return;
    q.recovered = 1;
    /* the recovery: what the dead worker held goes back where the next takes */
    redisAsyncCommand(q.c, on_moved_back, NULL, "LMOVE %s %s RIGHT RIGHT", q.processing, q.tasks);
}

static void start_worker(void)
{
    mq_t *m = q.demo->data;
    char pid[24];
    snprintf(pid, sizeof pid, "%ld", m->broker.pid);
    const char *args[] = {"--redis", m->broker.url, "--server-pid", pid, NULL};
    scope_role_options_t o = {.argv = args};
    /* a new struct: the dead one's handles are still closing */
    q.worker = &q.workers[q.killed];
    q.worker->on_exit = on_worker_exit;
    if (scope_role_spawn(q.demo, q.worker, "worker", &o) < 0)
        scope_demo_check(q.demo, 0, "worker", "cannot start it");
}

static void on_len(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    if (!r || q.done)
        return;
    if (r->integer > 0)
        return;
    if (priv == q.tasks) { /* the queue is empty: and the processing list? */
        redisAsyncCommand(c, on_len, q.processing, "LLEN %s", q.processing);
        return;
    }
    q.done = 1;
    uv_timer_stop(&q.poll);
    scope_events_log("LLEN %s and %s: 0 and 0: all %d tasks done, %d of them recovered from a "
                     "killed worker", q.tasks, q.processing, TASKS, q.recovered);
    scope_demo_figure(q.demo, "queue.tasks", cJSON_CreateNumber(TASKS));
    scope_demo_figure(q.demo, "queue.recovered", cJSON_CreateNumber(q.recovered));
    redisAsyncCommand(c, NULL, NULL, "DEL %s %s", q.tasks, q.processing);
    scope_role_kill(q.worker, SIGTERM); /* its exit ends the step */
}

static void on_held(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)c, (void)priv;
    if (!r || q.killed || r->type != REDIS_REPLY_ARRAY || r->elements == 0)
        return;
    q.killed = 1;
    scope_role_kill(q.worker, SIGKILL);
    scope_events_log("LRANGE %s -> \"%s\": the worker holds it; kill(%d, SIGKILL) mid-task",
                     q.processing, r->element[0]->str, (int)q.worker->pid);
}

static void on_poll(uv_timer_t *t)
{
    (void)t;
    if (!q.killed)
        redisAsyncCommand(q.c, on_held, NULL, "LRANGE %s 0 -1", q.processing);
    else if (q.recovered)
        redisAsyncCommand(q.c, on_len, q.tasks, "LLEN %s", q.tasks);
}

void mq_queue(scope_demo_t *d)
{
    mq_t *m = d->data;
    q.demo = d;
    if (!(q.c = mq_connect(d, &m->broker, NULL, N_("step 7")))) {
        scope_demo_next(d);
        return;
    }
    snprintf(q.tasks, sizeof q.tasks, "ipcscope:%d:tasks", (int)getpid());
    snprintf(q.processing, sizeof q.processing, "ipcscope:%d:processing", (int)getpid());
    scope_trace_init(&q.trace, MQ_CHAN, SCOPE_PID(getpid()), m->broker.end);
    redisAsyncCommand(q.c, NULL, NULL, "DEL %s %s", q.tasks, q.processing);
    for (int i = 1; i <= TASKS; i++) {
        char task[16];
        int n = snprintf(task, sizeof task, "task %d", i);
        redisAsyncCommand(q.c, NULL, NULL, "LPUSH %s %s", q.tasks, task);
        scope_trace_send(&q.trace, task, (size_t)n);
    }
    scope_events_log("LPUSH %s \"task 1\" .. \"task %d\": the list keeps them until a worker "
                     "takes them", q.tasks, TASKS);
    uv_timer_init(d->loop, &q.poll);
    q.poll_open = 1;
    uv_timer_start(&q.poll, on_poll, 50, 50);
    start_worker();
}

void mq_queue_stop(scope_demo_t *d)
{
    (void)d;
    q.done = 1;
    if (q.poll_open)
        uv_close((uv_handle_t *)&q.poll, NULL);
    q.poll_open = 0;
    if (q.c)
        redisAsyncDisconnect(q.c);
    q.c = NULL;
}
