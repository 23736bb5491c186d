/* worker-pool: article 004's pool of worker_threads for CPU-heavy work, with
 * the lid off: threads that really share one queue.
 *
 *   1. (article.c) The article's pool as written: four `new Worker()`, each
 *      with its own inbox, and every task posted to workerPool[0]: one
 *      thread works, three sleep.
 *   2. pool_start: one queue, a mutex and a condition variable; N pthreads
 *      sleep in pthread_cond_wait until a task is queued. pool_submit puts
 *      a task at the tail and pthread_cond_signal wakes one sleeping worker;
 *      worker_main takes the head, runs performHeavyCalculation, puts the
 *      answer on a done list and rings the loop (uv_async_send). on_doorbell,
 *      on the loop, hands each answer to on_result: "Received result: ...".
 *   3. (uvpool.c) The same through libuv's own pool: uv_queue_work, four
 *      threads unless UV_THREADPOOL_SIZE says otherwise.
 *   4. (loop.c) Why a pool: the heavy loop on the main thread makes a 10 ms
 *      timer late by the loop's duration; on the pool it fires on time.
 *   5. (procs.c, child.c) A process pool over fork channels (article 001):
 *      a killed child is replaced, its task retried.
 *   6. (measure.c) Tasks per second for 1, 2, 4 and 8 workers.
 *   7. The steady part: tasks at --rate through step 2's queue.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "worker-pool.h"

static void *worker_main(void *arg);
static void on_doorbell(uv_async_t *h);

/* The article's performHeavyCalculation. A double, as a JavaScript number
 * is: the compiler may not reorder its adds, so the loop really runs
 * (n * n adds; 1000 takes about a millisecond). */
double pool_heavy_calculation(long long n)
{
    double result = 0;
    for (long long i = 0; i < n; i++)
        for (long long j = 0; j < n; j++)
            result += (double)(i * j);
    return result;
}

/* parentPort.postMessage(task): under the lock, to the queue's tail; one
 * sleeping worker is woken, whichever the kernel picks. */
void pool_submit(pool_t *p, long long data)
{
    pool_task_t *t = calloc(1, sizeof *t);
    if (!t)
        return;
    t->data = data;
    t->submitted_ns = scope_time_now_ns();
    pthread_mutex_lock(&p->lock);
    if (p->queue_tail)
        p->queue_tail->next = t;
    else
        p->queue = t;
    p->queue_tail = t;
    p->submitted++;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

static void *worker_main(void *arg)
{
    pool_worker_t *w = arg;
    pool_t *p = w->pool;
    char text[96];
    pthread_mutex_lock(&p->lock);
    for (;;) {
        /* Sleeps with the lock released; wakes with it held. The loop is
         * for wake-ups that find the queue empty (another worker was first). */
        while (!p->queue && !p->stopping)
            pthread_cond_wait(&p->wake, &p->lock);
        if (p->stopping)
            break;
        pool_task_t *t = p->queue;
        if (!(p->queue = t->next))
            p->queue_tail = NULL;
        t->next = NULL;
        t->worker = w->id;
        w->tasks++;
        int n = snprintf(text, sizeof text, "{\"task\":\"heavyCalculation\",\"data\":%lld}",
                         t->data);
        if (!p->untraced) /* the main thread's end, under the lock as its answer is */
            scope_trace_send(&w->main_end, text, (size_t)n);
        pthread_mutex_unlock(&p->lock);

        if (!p->untraced)
            scope_trace_recv(&w->own_end, text, (size_t)n);
        t->started_ns = scope_time_now_ns();
        t->result = pool_heavy_calculation(t->data);
        t->done_ns = scope_time_now_ns();
        n = snprintf(text, sizeof text, "%.0f", t->result); /* postMessage(result) */
        if (!p->untraced)
            scope_trace_send(&w->own_end, text, (size_t)n);

        pthread_mutex_lock(&p->lock);
        if (p->done_tail)
            p->done_tail->next = t;
        else
            p->done = t;
        p->done_tail = t;
        /* The loop sleeps in epoll_wait: an eventfd write wakes it. Many
         * rings before it runs are one callback. */
        uv_async_send(&p->doorbell);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* worker.on('message'): on the loop, each answer the workers left. */
static void on_doorbell(uv_async_t *h)
{
    pool_t *p = scope_container_of(h, pool_t, doorbell);
    char text[32];
    pthread_mutex_lock(&p->lock);
    pool_task_t *t = p->done;
    p->done = p->done_tail = NULL;
    for (pool_task_t *a = t; a && !p->untraced; a = a->next) {
        int n = snprintf(text, sizeof text, "%.0f", a->result);
        scope_trace_reply(&p->w[a->worker - p->w[0].id].main_end, text, (size_t)n,
                          a->done_ns - a->submitted_ns);
    }
    pthread_mutex_unlock(&p->lock);
    while (t) {
        pool_task_t *next = t->next;
        p->answered++;
        if (p->on_result)
            p->on_result(p, t);
        free(t);
        t = next;
    }
}

int pool_start(pool_t *p, uv_loop_t *loop, int n, int first)
{
    p->loop = loop;
    p->n = n < POOL_MAX ? n : POOL_MAX;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    int r = uv_async_init(loop, &p->doorbell, on_doorbell);
    if (r < 0)
        return r;
    p->running = 1;
    for (int i = 0; i < p->n; i++) {
        pool_worker_t *w = &p->w[i];
        char chan[32];
        w->pool = p;
        w->id = first + i;
        snprintf(w->name, sizeof w->name, "worker thread %d", w->id);
        snprintf(chan, sizeof chan, "thread %d", w->id);
        scope_trace_init(&w->main_end, chan, SCOPE_PID(getpid()), SCOPE_PEER(w->name));
        scope_trace_init(&w->own_end, chan, SCOPE_PEER(w->name), SCOPE_PID(getpid()));
        if (!p->untraced) {
            scope_trace_open(&w->main_end, "queue",
                             scope_events_tr("one queue, a mutex, a condition variable"));
            scope_trace_stats_start(&w->main_end, loop, 1000);
        }
        /* new Worker(__filename): a thread of this process, same memory. */
        if ((r = pthread_create(&w->thread, NULL, worker_main, w)) != 0) {
            scope_events_error("pthread_create", "%s: %s", w->name, strerror(r));
            p->n = i;
            return -r;
        }
        w->started = 1;
    }
    return 0;
}

void pool_stop(pool_t *p)
{
    if (!p->running)
        return;
    p->running = 0;
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->wake); /* every sleeper wakes, sees stopping */
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n; i++) {
        if (p->w[i].started)
            pthread_join(p->w[i].thread, NULL);
        if (!p->untraced)
            scope_trace_close(&p->w[i].main_end);
    }
    for (int k = 0; k < 2; k++) /* tasks not taken, answers not read: dropped */
        for (pool_task_t *t = k ? p->done : p->queue, *next; t; t = next) {
            next = t->next;
            free(t);
        }
    p->queue = p->queue_tail = p->done = p->done_tail = NULL;
    uv_close((uv_handle_t *)&p->doorbell, NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
}

cJSON *pool_per_worker(pool_t *p, char *out, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    size_t at = 0;
    out[0] = '\0';
    pthread_mutex_lock(&p->lock);
    for (int i = 0; i < p->n; i++) {
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)p->w[i].tasks));
        if (at < n)
            at += (size_t)snprintf(out + at, n - at, "%s%llu", i ? " " : "",
                                   (unsigned long long)p->w[i].tasks);
    }
    pthread_mutex_unlock(&p->lock);
    return a;
}

/* ---- step 2: a real queue ------------------------------------------------ */

static void queue_result(pool_t *pool, const pool_task_t *t)
{
    wp_t *p = pool->data;
    char per[64];
    scope_events_log("Received result: %.0f (from worker thread %d, %.2f ms after postMessage)",
                     t->result, t->worker, (double)(t->done_ns - t->submitted_ns) / 1e6);
    scope_demo_check(p->demo, t->result == POOL_ANSWER, "result", "%.0f, not 249500250000",
                     t->result);
    if ((long long)pool->answered < p->tasks)
        return;
    scope_demo_figure(p->demo, "queue.per_worker", pool_per_worker(pool, per, sizeof per));
    scope_events_log("tasks per worker: %s: the queue spread them, each worker took the next "
                     "task when it was free", per);
    scope_demo_figure(p->demo, "queue.result", cJSON_CreateNumber(t->result));
    scope_demo_next(p->demo);
}

void wp_queue(scope_demo_t *d)
{
    wp_t *p = d->data;
    p->pool.data = p;
    p->pool.on_result = queue_result;
    if (!scope_demo_check(d, pool_start(&p->pool, d->loop, (int)p->workers, 1) == 0, "pool",
                          "the pool's threads did not start")) {
        scope_demo_stop(d);
        return;
    }
    scope_events_log("%d pthreads wait in pthread_cond_wait on one queue; %lld tasks queued "
                     "at once, each with pthread_cond_signal: whichever worker is free takes "
                     "the head", p->pool.n, p->tasks);
    for (long long i = 0; i < p->tasks; i++)
        pool_submit(&p->pool, POOL_DATA);
}
