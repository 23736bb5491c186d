/* shared-memory: SharedArrayBuffer, Atomics and named shared memory with the
 * lid off (the story of the processes: shared-memory.c).
 *
 * Steps 1-4 are between threads of one process (threads.c, counter.c,
 * copy.c), 5-7 and 9 between two processes (shared-memory.c, with
 * process2.c as process 2), 8 measures (measure.c).
 *
 *   shared-memory                 the lesson, then --count pings through the ring
 *   shared-memory --race          the store of step 1 comes --delay ms late
 *   shared-memory --measure 0     without step 8's measurement
 */
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "shared-memory.h"

static const scope_demo_info_t info = {
    "shared-memory",
    "SharedArrayBuffer + Atomics with the lid off",
    "Threads share an Int32 (a race, a lost update, their fixes); two processes map one "
    "/dev/shm name and pass messages through a ring in it.",
    "000 002 004",
    "SharedArrayBuffer | 最快 | ❌ | 高 | 线程间共享",
    NULL,
};

static const scope_demo_lesson_t lesson[] = {
    {N_("Atomics.store(42) and a worker's Atomics.load: nothing orders them"), shm_threads_race},
    {N_("the fix: the worker waits on the address, Atomics.wait / notify"), shm_threads_wait},
    {N_("a lost update: plain adds, then Atomics.add, then a mutex"), shm_counter},
    {N_("article 002's Buffer is a copy; a SharedArrayBuffer is not"), shm_copy},
    {N_("shm_open + ftruncate + mmap: 1,024 bytes with a name"), shm_create},
    {N_("process 2 maps the same name; both maps show it; unlink"), shm_map_b},
    {N_("process 1 writes \"Hello from Process A\", a semaphore, process 2 reads 20 bytes"),
     shm_hello},
    {N_("round trips side by side: spinning, futex, Unix socket"), shm_measure},
    {N_("a ring in the mapping: pings and pongs between the processes"), shm_pingpong},
    {NULL, NULL},
};

/* A quit: lib/role has told process 2 to quit too, and its exit ends our part. */
static void on_quit(scope_demo_t *d)
{
    shm_t *p = d->data;
    if (!p->region || !p->b.running)
        scope_demo_stop(d);
}

static void on_lesson_end(scope_demo_t *d)
{
    scope_demo_stop(d);
}

int main(int argc, char **argv)
{
    shm_t o = {.threads = 2, .adds = 1000000, .delay_ms = 100, .measure = 10000}, *p = &o;
    const char *shm = NULL;
    const scope_demo_option_t options[] = {
        {"threads", "N", "threads adding to one counter in step 3 (default 2)", SCOPE_OPT_NUMBER,
         &o.threads, 1, 8},
        {"adds", "N", "what each of them adds (default 1000000)", SCOPE_OPT_NUMBER, &o.adds, 1,
         100000000},
        {"race", NULL, "step 1's store comes --delay ms late: the worker reads 0",
         SCOPE_OPT_FLAG, &o.race},
        {"delay", "MS", "how late, with --race (default 100)", SCOPE_OPT_NUMBER, &o.delay_ms, 1,
         10000},
        {"measure", "N", "round trips each way in step 8 (default 10000, 0: skip the step)",
         SCOPE_OPT_NUMBER, &o.measure, 0, 10000000},
        {"shm", "NAME", "process 2: the name process 1 made (with --role)", SCOPE_OPT_TEXT, &shm},
        {NULL, NULL, NULL},
    };
    scope_demo_t demo = {.data = p};
    int r = scope_demo_parse(&demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    if (demo.role)
        return shm_process_b(&demo, shm ? shm : "");

    demo.on_quit = on_quit;
    demo.on_lesson_end = on_lesson_end;
    if (scope_demo_start(&demo, uv_default_loop(), "process 1", 1) < 0)
        return 1;
    p->demo = &demo;
    int swept = shm_sweep(); /* before a name of ours is made: sweep.c */
    if (swept)
        scope_events_log("removed %d name(s) that killed runs left in /dev/shm", swept);
    scope_demo_lesson(&demo, lesson);
    int code = scope_demo_run(&demo);
    scope_role_kill_all(&demo);
    scope_spawn_shutdown(demo.loop);
    uv_run(demo.loop, UV_RUN_NOWAIT);

    char text[512], rtt[96], counter[96], measured[160];
    cJSON *summary = cJSON_CreateObject();
    scope_trace_add_summary(&p->trace, summary);
    snprintf(text, sizeof text, scope_events_tr("%s; ring: %s; %s"),
             shm_counter_describe(counter, sizeof counter),
             scope_trace_describe(&p->trace, rtt, sizeof rtt),
             shm_measure_describe(measured, sizeof measured));
    scope_demo_bye(&demo, summary, text);
    return code;
}
