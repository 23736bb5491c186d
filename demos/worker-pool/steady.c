/* steady.c, step 7: the steady part. Step 2's queue stays up and is fed a
 * task at a time at --rate (the dashboard's slower/faster keys), --count
 * tasks in all (endless in the dashboard): each goes to whichever worker
 * thread is free, and the flow shows it reach that lane and its answer come
 * back with its latency, from postMessage to result.
 */
#include <stdio.h>

#include "events.h"
#include "worker-pool.h"

static void steady_more(wp_t *p);

static void steady_result(pool_t *pool, const pool_task_t *t)
{
    wp_t *p = pool->data;
    (void)t;
    if (!pool->running) /* an answer read after the end */
        return;
    p->steady_done++;
    if (p->fed_all && p->steady_done == p->steady_sent)
        wp_steady_stop(p);
    else if (p->parked && p->steady_sent - p->steady_done < (uint64_t)pool->n * 2)
        steady_more(p); /* room again: the pacer goes on */
}

static void feed(scope_pacer_t *pc);

static void steady_more(wp_t *p)
{
    p->parked = 0;
    scope_pacer_next(&p->pacer, feed);
}

/* One task to the queue; at most two per worker wait, so that --rate 0
 * (as fast as possible) does not fill memory. */
static void feed(scope_pacer_t *pc)
{
    wp_t *p = scope_container_of(pc, wp_t, pacer);
    if (p->fed_all)
        return;
    pool_submit(&p->pool, POOL_DATA);
    if ((long)++p->steady_sent >= p->demo->count || p->demo->quitting)
        p->fed_all = 1;
    else if (p->steady_sent - p->steady_done < (uint64_t)p->pool.n * 2)
        steady_more(p);
    else
        p->parked = 1;
}

void wp_steady(scope_demo_t *d)
{
    wp_t *p = d->data;
    char tasks[64];
    if (!p->pool.running) {
        scope_demo_next(d);
        return;
    }
    p->feeding = 1;
    p->pool.on_result = steady_result;
    scope_pacer_init(d, &p->pacer);
    scope_events_log("%s to the queue at --rate: each goes to the worker that is free, its "
                     "answer comes back with its latency (postMessage to result)",
                     scope_demo_count_of(tasks, sizeof tasks, d->count, "task", "tasks"));
    steady_more(p);
}

/* The last answer, or a quit: the pool ends, and the lesson with it. */
void wp_steady_stop(wp_t *p)
{
    char per[64];
    if (!p->feeding) { /* a quit before step 7: step 2's pool goes */
        pool_stop(&p->pool);
        return;
    }
    p->feeding = 0;
    p->fed_all = 1;
    scope_pacer_close(&p->pacer);
    scope_demo_figure(p->demo, "steady.per_worker", pool_per_worker(&p->pool, per, sizeof per));
    scope_demo_figure(p->demo, "steady.tasks", cJSON_CreateNumber((double)p->steady_done));
    scope_events_log("steady part: %llu tasks answered; tasks per worker over the run: %s",
                     (unsigned long long)p->steady_done, per);
    pool_stop(&p->pool);
    scope_demo_next(p->demo);
}
