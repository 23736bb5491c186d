/* worker-pool: a pool of worker_threads for CPU-heavy work, with the lid off
 * (the story: worker-pool.c).
 *
 * Step 1 is article.c, 2 worker-pool.c, 3 uvpool.c, 4 loop.c, 5 procs.c
 * (procpool.c the pool, child.c its children), 6 measure.c, 7 steady.c.
 *
 *   worker-pool                    the lesson, then --count tasks through the queue
 *   worker-pool --fault kill       step 5's child is killed mid-task: replaced, retried
 *   worker-pool --measure 200      step 6: 1, 2, 4, 8 workers, threads and processes
 */
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "worker-pool.h"

static const scope_demo_info_t info = {
    "worker-pool",
    "worker_threads: a pool of threads for CPU-heavy work",
    "Article 004's pool sends every task to worker 0; a real queue spreads them over "
    "threads, libuv's pool and forked children, and keeps the event loop on time.",
    "001 004",
    "",
    "kill",
};

static const scope_demo_lesson_t lesson[] = {
    {N_("article 004's pool: every task to workerPool[0]"), wp_article},
    {N_("a real queue: pthreads share one queue (mutex + condvar)"), wp_queue},
    {N_("libuv's own pool: uv_queue_work, UV_THREADPOOL_SIZE"), wp_uvpool},
    {N_("the event loop: a 10 ms timer, the heavy loop on main vs pool"), wp_loop},
    {N_("a process pool over fork channels; a killed child replaced"), wp_procs},
    {N_("measured: 1, 2, 4, 8 workers, threads vs processes"), wp_measure},
    {N_("tasks at --rate through the queue"), wp_steady},
    {NULL, NULL},
};

static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    if (strcmp(cmd, "fault") == 0)
        wp_procs_fault(d->fault);
}

/* A quit: the queue's pool ends, the process pool's children go (lib/role
 * has told them to quit too); a step under way ends by itself. */
static void on_quit(scope_demo_t *d)
{
    wp_steady_stop(d->data);
    wp_procs_end();
    scope_demo_stop(d);
}

/* The lesson is over, or cut short: the process pool's children go, and
 * with their exits the loop ends. */
static void on_lesson_end(scope_demo_t *d)
{
    wp_procs_end();
    scope_demo_stop(d);
}

int main(int argc, char **argv)
{
    wp_t o = {.workers = 4, .tasks = 16, .loop_data = 8000}, *p = &o;
    int untraced = 0;
    const scope_demo_option_t options[] = {
        {"workers", "N", "threads in the queue's pool, children in the process pool "
         "(default 4)", SCOPE_OPT_NUMBER, &o.workers, 1, POOL_MAX},
        {"tasks", "N", "tasks of heavyCalculation(1000) in steps 1, 2, 3 and 5 (default 16)",
         SCOPE_OPT_NUMBER, &o.tasks, 1, 200},
        {"loop-data", "N", "n of step 4's heavy loop, n*n adds (default 8000: tens of ms)",
         SCOPE_OPT_NUMBER, &o.loop_data, 1000, 40000},
        {"measure", "N", "step 6: N tasks for each of 1, 2, 4, 8 workers, threads and "
         "processes (0, the default: skip; 200 takes about 2 s on 2 cores, well under 10 s)",
         SCOPE_OPT_NUMBER, &o.measure, 0, 5000},
        {"fault", "KIND", "kill: step 5's first busy child is killed mid-task",
         SCOPE_OPT_WORD, &o.fault, 0, 0, info.faults},
        {"untraced", NULL, "a child of the measurement: no msg events (with --role)",
         SCOPE_OPT_FLAG, &untraced},
        {NULL, NULL, NULL},
    };
    scope_demo_t demo = {.data = p};
    int r = scope_demo_parse(&demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    if (demo.role)
        return wp_child(&demo, untraced);

    demo.on_quit = on_quit;
    demo.on_control = on_control;
    demo.on_lesson_end = on_lesson_end;
    if (scope_demo_start(&demo, uv_default_loop(), "main thread", 1) < 0)
        return 1;
    p->demo = &demo;
    scope_demo_lesson(&demo, lesson);
    int code = scope_demo_run(&demo);
    scope_role_kill_all(&demo);
    scope_spawn_shutdown(demo.loop);
    uv_run(demo.loop, UV_RUN_NOWAIT);

    char text[640], procs[128], measured[320];
    snprintf(text, sizeof text, scope_events_tr("%llu tasks through the queue at --rate; %s; %s"),
             (unsigned long long)p->steady_done, wp_procs_describe(procs, sizeof procs),
             wp_measure_describe(measured, sizeof measured));
    scope_demo_bye(&demo, NULL, text);
    return code;
}
