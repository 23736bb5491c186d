/* measure.c, step 6 (with --measure N): how the pool's speed grows with its
 * workers, on this machine.
 *
 * For 1, 2, 4 and 8 workers, threads (worker-pool.c's pool) then processes
 * (procpool.c's, each started and said ok before the clock starts): N
 * heavyCalculation(1000) tasks, as many in flight as there are workers (a
 * new one as each answer comes). Figures: tasks per second over the whole
 * N, and each task's latency from submit to answer (p50). Nothing is traced
 * per task: a msg event per millisecond of work would measure the tracing.
 *
 * Past the machine's cores (nproc) more workers cannot run at once: the
 * rate stays flat and each task waits its turn for a core, so its latency
 * grows with the workers.
 */
#include <stdio.h>
#include <unistd.h>

#include "events.h"
#include "worker-pool.h"

#define SIZES 4
static const int sizes[SIZES] = {1, 2, 4, 8};
static const char *const kinds[2] = {"threads", "processes"};

static struct {
    scope_demo_t *d;
    long long tasks;
    int k; /* 0-3: threads of sizes[k]; 4-7: processes */
    pool_t pools[SIZES]; /* one each: a pool's doorbell closes on the loop */
    wp_procs_t procs;
    uint64_t t0, submitted, answered;
    scope_hist_t lat;
    double per_s[2][SIZES], p50_ms[2][SIZES];
    int done;
} m;

static void next_size(void);

static void record(void)
{
    int kind = m.k / SIZES, i = m.k % SIZES;
    double s = (double)(scope_time_now_ns() - m.t0) / 1e9;
    m.per_s[kind][i] = (double)m.answered / s;
    m.p50_ms[kind][i] = (double)scope_hist_percentile(kind ? &m.procs.latency : &m.lat, 50) / 1e6;
    scope_events_log("%d %s: %.0f tasks/s, p50 %.2f ms per task", sizes[i],
                     kind ? scope_events_trn("process", "processes", (unsigned long)sizes[i])
                          : scope_events_trn("thread", "threads", (unsigned long)sizes[i]),
                     m.per_s[kind][i], m.p50_ms[kind][i]);
}

static void on_thread_result(pool_t *pool, const pool_task_t *t)
{
    if (!pool->running)
        return;
    scope_hist_add(&m.lat, t->done_ns - t->submitted_ns);
    if (++m.answered == (uint64_t)m.tasks || m.d->quitting) {
        record();
        pool_stop(pool);
        m.k++;
        next_size();
    } else if (m.submitted < (uint64_t)m.tasks) {
        m.submitted++;
        pool_submit(pool, POOL_DATA);
    }
}

static void on_procs_change(wp_procs_t *pp)
{
    if (pp->stopping) {
        if (!wp_procs_running(pp)) { /* all gone: the next size */
            pp->stopping = 0;
            m.k++;
            next_size();
        }
        return;
    }
    if (!m.t0 && pp->ok == pp->n) { /* all up: the clock starts */
        m.t0 = scope_time_now_ns();
        for (; m.submitted < (uint64_t)pp->n; m.submitted++)
            wp_procs_submit(pp, POOL_DATA);
        return;
    }
    for (; m.answered < pp->answered; m.answered++)
        if (m.submitted < (uint64_t)m.tasks)
            wp_procs_submit(pp, POOL_DATA), m.submitted++;
    if (m.t0 && (m.answered == (uint64_t)m.tasks || m.d->quitting)) {
        record();
        wp_procs_stop(pp);
    }
}

static void next_size(void)
{
    m.t0 = m.submitted = m.answered = 0;
    scope_hist_reset(&m.lat);
    if (m.k == 2 * SIZES || m.d->quitting) {
        m.done = 1;
        cJSON *fig = cJSON_CreateObject();
        cJSON_AddNumberToObject(fig, "cores", (double)sysconf(_SC_NPROCESSORS_ONLN));
        cJSON_AddNumberToObject(fig, "tasks", (double)m.tasks);
        for (int kind = 0; kind < 2; kind++) {
            cJSON *a = cJSON_AddArrayToObject(fig, kinds[kind]);
            for (int i = 0; i < SIZES; i++) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddNumberToObject(o, "workers", sizes[i]);
                cJSON_AddNumberToObject(o, "tasks_per_s", m.per_s[kind][i]);
                cJSON_AddNumberToObject(o, "p50_ms", m.p50_ms[kind][i]);
                cJSON_AddItemToArray(a, o);
            }
        }
        scope_demo_figure(m.d, "measure", fig);
        char text[320]; /* as main.c's: room for the Chinese */
        scope_events_log("%s", wp_measure_describe(text, sizeof text));
        scope_demo_next(m.d);
        return;
    }
    int n = sizes[m.k % SIZES];
    if (m.k < SIZES) {
        pool_t *p = &m.pools[m.k];
        p->untraced = 1;
        p->on_result = on_thread_result;
        if (pool_start(p, m.d->loop, n, 1) < 0) {
            m.k = 2 * SIZES;
            next_size();
            return;
        }
        m.t0 = scope_time_now_ns();
        for (; m.submitted < (uint64_t)n && m.submitted < (uint64_t)m.tasks; m.submitted++)
            pool_submit(p, POOL_DATA);
        return;
    }
    m.procs.untraced = 1;
    m.procs.on_change = on_procs_change;
    wp_procs_start(&m.procs, m.d, n); /* the clock starts once all said ok */
}

void wp_measure(scope_demo_t *d)
{
    wp_t *p = d->data;
    m.d = d;
    m.tasks = p->measure;
    if (!m.tasks) {
        scope_events_log("not measured: --measure N runs N tasks for each of 1, 2, 4, 8 workers");
        scope_demo_next(d);
        return;
    }
    scope_events_log("measuring: %lld tasks of heavyCalculation(1000) for 1, 2, 4 and 8 workers, "
                     "threads then processes, on %ld cores", m.tasks,
                     sysconf(_SC_NPROCESSORS_ONLN));
    next_size();
}

char *wp_measure_describe(char *out, size_t n)
{
    if (!m.done || !m.tasks) {
        snprintf(out, n, "%s", scope_events_tr("not measured (--measure N)"));
        return out;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(out, n,
             scope_events_tr(
                 "tasks/s for 1, 2, 4, 8 workers: threads %.0f %.0f %.0f "
                 "%.0f, processes %.0f %.0f %.0f %.0f; p50 with 8: %.1f ms (threads), %.1f ms "
                 "(processes). %ld cores: past %ld workers the rate stays flat and each task waits "
                 "for a core"),
             m.per_s[0][0], m.per_s[0][1], m.per_s[0][2], m.per_s[0][3], m.per_s[1][0],
             m.per_s[1][1], m.per_s[1][2], m.per_s[1][3], m.p50_ms[0][3], m.p50_ms[1][3], cores,
             cores);
    return out;
}
