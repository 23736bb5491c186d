/* loop.c, step 4: why a pool at all.
 *
 * The event loop is one thread (article 003): while a callback runs, no
 * timer fires, no socket is read. A 10 ms timer (setTimeout(fn, 10)) is
 * started, then the heavy loop runs:
 *
 *   on the main thread: the callback returns only when the loop is done.
 *                       libuv read its clock before the callback ran, so
 *                       it then still polls the timer's full 10 ms from
 *                       that old "now": the timer is late by the loop's
 *                       whole duration;
 *   on the pool:        uv_queue_work hands the loop to a pool thread and
 *                       returns at once; the timer fires on time.
 *
 * --loop-data sets the loop's n (n * n adds: 8000 takes tens of ms).
 */
#include <stdio.h>

#include "events.h"
#include "worker-pool.h"

#define DUE_MS 10

static struct {
    scope_demo_t *d;
    long long n;
    uv_timer_t timer;
    uv_work_t work;
    uint64_t started_ns;
    double block_ms, late_main_ms, late_pool_ms, result;
    int pool_parts;
} l;

static void start_timer(uv_timer_cb cb)
{
    /* The loop's idea of now is cached per turn: refresh it, or the
     * timer would be due 10 ms after an older now. */
    uv_update_time(l.d->loop);
    l.started_ns = scope_time_now_ns();
    uv_timer_start(&l.timer, cb, DUE_MS, 0);
}

static double late_ms(void)
{
    return (double)(scope_time_now_ns() - l.started_ns) / 1e6 - DUE_MS;
}

static void heavy_work(uv_work_t *w) /* a pool thread */
{
    (void)w;
    l.result = pool_heavy_calculation(l.n);
}

/* The pool's answer and its timer, whichever comes last. */
static void pool_part_done(void)
{
    if (++l.pool_parts < 2)
        return;
    scope_events_log("the pool's answer: %.0f; the timer fired while the work went on",
                     l.result);
    scope_demo_figure(l.d, "loop.pool_late_ms", cJSON_CreateNumber(l.late_pool_ms));
    uv_close((uv_handle_t *)&l.timer, NULL);
    scope_demo_next(l.d);
}

static void heavy_done(uv_work_t *w, int status)
{
    (void)w;
    (void)status;
    pool_part_done();
}

static void on_pool_timer(uv_timer_t *t)
{
    (void)t;
    l.late_pool_ms = late_ms();
    scope_events_log("on the pool: the 10 ms timer fired %.1f ms late: the loop was free",
                     l.late_pool_ms);
    pool_part_done();
}

static void on_main_timer(uv_timer_t *t)
{
    (void)t;
    l.late_main_ms = late_ms();
    scope_events_log("on the main thread: the 10 ms timer fired %.1f ms late, after the "
                     "%.1f ms loop: nothing runs while a callback does", l.late_main_ms,
                     l.block_ms);
    scope_demo_figure(l.d, "loop.block_ms", cJSON_CreateNumber(l.block_ms));
    scope_demo_figure(l.d, "loop.main_late_ms", cJSON_CreateNumber(l.late_main_ms));
    /* The same loop again, handed to the pool this time. */
    start_timer(on_pool_timer);
    uv_queue_work(l.d->loop, &l.work, heavy_work, heavy_done);
}

void wp_loop(scope_demo_t *d)
{
    wp_t *p = d->data;
    l.d = d;
    l.n = p->loop_data;
    uv_timer_init(d->loop, &l.timer);
    scope_events_log("setTimeout(fn, 10), then performHeavyCalculation(%lld) right here on the "
                     "main thread: %lld adds", l.n, l.n * l.n);
    start_timer(on_main_timer);
    uint64_t t0 = scope_time_now_ns();
    l.result = pool_heavy_calculation(l.n); /* the loop is stuck in here */
    l.block_ms = (double)(scope_time_now_ns() - t0) / 1e6;
}
