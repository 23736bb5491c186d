/* uvpool.c, step 3: the same tasks through libuv's own pool, the one node
 * runs fs, dns.lookup, crypto and zlib work on.
 *
 * uv_queue_work(loop, req, work_cb, after_work_cb): libuv keeps one queue
 * (a mutex and a condition variable, as step 2's) and a pool of threads,
 * started on first use, UV_THREADPOOL_SIZE of them (4 unless the variable
 * says otherwise, read once). work_cb runs on one of them; after_work_cb on
 * the loop, once it is done. The threads have no names: each is named here
 * "uv thread N" in the order it first takes a task.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "worker-pool.h"

#define UV_THREADS_MAX 16

typedef struct {
    uv_work_t req;
    long long data;
    double result;
    int thread; /* 0, 1, ...: the pool thread that ran it */
    uint64_t submitted_ns, done_ns;
} uv_task_t;

static struct {
    scope_demo_t *d;
    uv_mutex_t lock; /* guards threads, main_end, tasks */
    pthread_t threads[UV_THREADS_MAX];
    int nthreads;
    scope_trace_t main_end[UV_THREADS_MAX], own_end[UV_THREADS_MAX];
    char names[UV_THREADS_MAX][24];
    uint64_t tasks[UV_THREADS_MAX];
    long long want, answered;
} u;

/* This thread's number, the first time it is seen a new one. Under the lock. */
static int thread_number(void)
{
    for (int i = 0; i < u.nthreads; i++)
        if (pthread_equal(u.threads[i], pthread_self()))
            return i;
    int i = u.nthreads < UV_THREADS_MAX ? u.nthreads++ : UV_THREADS_MAX - 1;
    char chan[24];
    u.threads[i] = pthread_self();
    snprintf(u.names[i], sizeof u.names[i], "uv thread %d", i + 1);
    snprintf(chan, sizeof chan, "uv %d", i + 1);
    scope_trace_init(&u.main_end[i], chan, SCOPE_PID(getpid()), SCOPE_PEER(u.names[i]));
    scope_trace_init(&u.own_end[i], chan, SCOPE_PEER(u.names[i]), SCOPE_PID(getpid()));
    scope_trace_open(&u.main_end[i], "queue", scope_events_tr("libuv's pool: uv_queue_work"));
    return i;
}

/* On a pool thread. */
static void work_cb(uv_work_t *req)
{
    uv_task_t *t = scope_container_of(req, uv_task_t, req);
    char text[96];
    int n = snprintf(text, sizeof text, "{\"task\":\"heavyCalculation\",\"data\":%lld}", t->data);
    uv_mutex_lock(&u.lock);
    t->thread = thread_number();
    u.tasks[t->thread]++;
    scope_trace_send(&u.main_end[t->thread], text, (size_t)n);
    uv_mutex_unlock(&u.lock);
    scope_trace_recv(&u.own_end[t->thread], text, (size_t)n); /* its thread only */
    t->result = pool_heavy_calculation(t->data);
    t->done_ns = scope_time_now_ns();
    n = snprintf(text, sizeof text, "%.0f", t->result);
    scope_trace_send(&u.own_end[t->thread], text, (size_t)n);
}

/* On the loop. */
static void after_work_cb(uv_work_t *req, int status)
{
    uv_task_t *t = scope_container_of(req, uv_task_t, req);
    char text[32], per[96] = "";
    int n = snprintf(text, sizeof text, "%.0f", t->result);
    uv_mutex_lock(&u.lock);
    scope_trace_reply(&u.main_end[t->thread], text, (size_t)n, t->done_ns - t->submitted_ns);
    uv_mutex_unlock(&u.lock);
    if (status == 0)
        scope_events_log("Received result: %s (from uv thread %d)", text, t->thread + 1);
    scope_demo_check(u.d, status == 0 && t->result == POOL_ANSWER, "result",
                     "%s, not 249500250000 (%s)", text,
                     status ? uv_strerror(status) : scope_events_tr("ran"));
    free(t);
    if (++u.answered < u.want)
        return;
    cJSON *a = cJSON_CreateArray();
    size_t at = 0;
    for (int i = 0; i < u.nthreads; i++) {
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)u.tasks[i]));
        at += (size_t)snprintf(per + at, sizeof per - at, "%s%llu", i ? " " : "",
                               (unsigned long long)u.tasks[i]);
        scope_trace_close(&u.main_end[i]);
    }
    scope_events_log("tasks per uv thread: %s, on %d threads of libuv's pool", per, u.nthreads);
    scope_demo_figure(u.d, "uv.per_thread", a);
    uv_mutex_destroy(&u.lock);
    scope_demo_next(u.d);
}

void wp_uvpool(scope_demo_t *d)
{
    wp_t *p = d->data;
    const char *size = getenv("UV_THREADPOOL_SIZE");
    u.d = d;
    u.want = p->tasks;
    uv_mutex_init(&u.lock);
    scope_events_log("uv_queue_work() %lld times: libuv's own queue and pool, UV_THREADPOOL_SIZE="
                     "%s; node's fs, dns.lookup, crypto and zlib wait in the same queue",
                     u.want, size ? size : scope_events_tr("(unset: 4 threads)"));
    for (long long i = 0; i < u.want; i++) {
        uv_task_t *t = calloc(1, sizeof *t);
        if (!t)
            break;
        t->data = POOL_DATA;
        t->submitted_ns = scope_time_now_ns();
        uv_queue_work(d->loop, &t->req, work_cb, after_work_cb);
    }
}
