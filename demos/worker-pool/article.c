/* article.c, step 1: article 004's pool, as written.
 *
 *     const workerPool = Array(4).fill().map(() => new Worker(__filename));
 *     workerPool.forEach(worker => worker.on('message', result =>
 *         console.log('Received result:', result)));
 *     workerPool[0].postMessage({ task: 'heavyCalculation', data: 1000 });
 *
 * Each `new Worker()` has its own message port: four inboxes, not one
 * queue. Here each is a pool of one thread (worker-pool.c's pool_start with
 * n = 1), and every task goes where the article sends its one task, to
 * workerPool[0]. Worker thread 1 runs them one after another while worker
 * threads 2 to 4 sleep: the pool is four threads and one worker.
 */
#include <stdio.h>

#include "events.h"
#include "worker-pool.h"

#define ARTICLE_WORKERS 4

static struct {
    scope_demo_t *d;
    pool_t pool[ARTICLE_WORKERS]; /* workerPool: one pool of one thread each */
    long long tasks;
    uint64_t answered, first_ns, last_ns;
} a;

static void on_message(pool_t *pool, const pool_task_t *t)
{
    (void)pool;
    scope_events_log("Received result: %.0f (from worker thread %d)", t->result, t->worker);
    scope_demo_check(a.d, t->result == POOL_ANSWER, "result", "%.0f, not 249500250000",
                     t->result);
    if (!a.first_ns)
        a.first_ns = t->started_ns;
    a.last_ns = t->done_ns;
    if ((long long)++a.answered < a.tasks)
        return;
    cJSON *per = cJSON_CreateArray();
    char text[64];
    size_t at = 0;
    for (int i = 0; i < ARTICLE_WORKERS; i++) {
        uint64_t n = a.pool[i].w[0].tasks; /* read after its answers: the worker is idle */
        cJSON_AddItemToArray(per, cJSON_CreateNumber((double)n));
        at += (size_t)snprintf(text + at, sizeof text - at, "%s%llu", i ? " " : "",
                               (unsigned long long)n);
        pool_stop(&a.pool[i]);
    }
    scope_events_log("tasks per worker: %s: one busy lane, three idle; %lld tasks in %.1f ms, "
                     "one after another on one core", text, a.tasks,
                     (double)(a.last_ns - a.first_ns) / 1e6);
    scope_demo_figure(a.d, "article.per_worker", per);
    scope_demo_figure(a.d, "article.result", cJSON_CreateNumber(t->result));
    scope_demo_next(a.d);
}

void wp_article(scope_demo_t *d)
{
    wp_t *p = d->data;
    a.d = d;
    a.tasks = p->tasks;
    for (int i = 0; i < ARTICLE_WORKERS; i++) { /* new Worker(__filename), four times */
        a.pool[i].on_result = on_message;
        if (pool_start(&a.pool[i], d->loop, 1, i + 1) < 0) {
            scope_demo_check(d, 0, "pool", "new Worker() %d did not start", i + 1);
            scope_demo_stop(d);
            return;
        }
    }
    scope_events_log("Array(4).fill().map(() => new Worker()): 4 threads, each with its own "
                     "inbox; workerPool[0].postMessage({task:'heavyCalculation', data:1000}) "
                     "%lld times: all to worker thread 1", a.tasks);
    for (long long i = 0; i < a.tasks; i++)
        pool_submit(&a.pool[0], POOL_DATA); /* workerPool[0].postMessage(...) */
}
