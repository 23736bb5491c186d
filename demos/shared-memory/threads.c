/* threads.c, steps 1 and 2: article 000's SharedArrayBuffer of 4 bytes, as a
 * C11 atomic int and a pthread.
 *
 *     const arr = new Int32Array(new SharedArrayBuffer(4));
 *     new Worker(__filename, {workerData: shared});   // the worker:
 *     Atomics.store(arr, 0, 42);                      // Atomics.load(arr, 0)  // 42
 *
 * Step 1 runs that as written. Nothing orders the main thread's store before
 * the worker's load: both are atomic, neither waits for the other. Here the
 * store usually wins, as in node, because a thread takes tens of
 * microseconds to start; with --race the store comes --delay ms late and
 * the worker prints 0, as node does with a setTimeout before the store.
 *
 * Step 2 is the fix: the worker waits on the address, Atomics.wait(arr, 0,
 * 0), a futex wait that sleeps while the value is 0; the main thread stores
 * then calls Atomics.notify(arr, 0), a futex wake. Even with the delay the
 * worker reads 42.
 */
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "shared-memory.h"

static struct {
    _Atomic uint32_t arr[1]; /* new Int32Array(new SharedArrayBuffer(4)) */
    int wait;                /* step 2: Atomics.wait before the load */
    scope_trace_t main, worker; /* the two ends of the "store" channel */
    uint64_t started_ns, loaded_ns;
    uint32_t seen;
} t;

static void *worker_main(void *arg)
{
    (void)arg;
    t.loaded_ns = scope_time_now_ns();
    /* Atomics.wait(arr, 0, 0): sleeps only while arr[0] is still 0, so a
     * store and notify that came first are never slept through. */
    while (t.wait && atomic_load(&t.arr[0]) == 0)
        shm_futex_wait(&t.arr[0], 0, 0);
    t.seen = atomic_load(&t.arr[0]); /* Atomics.load(arr, 0) */
    char text[48];
    int n = snprintf(text, sizeof text, "load: %u", t.seen); /* short: the flow's arrows */
    scope_trace_send(&t.worker, text, (size_t)n); /* console.log, as a message */
    return NULL;
}

/* One run of the article's code; returns what the worker read. */
static uint32_t run(scope_demo_t *d, int wait)
{
    shm_t *p = d->data;
    pthread_t w;
    atomic_store(&t.arr[0], 0);
    t.wait = wait;
    t.started_ns = scope_time_now_ns();
    pthread_create(&w, NULL, worker_main, NULL); /* new Worker(__filename) */
    if (p->race)
        usleep((useconds_t)p->delay_ms * 1000); /* a setTimeout before the store */
    atomic_store(&t.arr[0], 42); /* Atomics.store(arr, 0, 42) */
    const char *what = wait ? "store+notify" : "store 42";
    scope_trace_send(&t.main, what, strlen(what));
    if (wait)
        shm_futex_wake(&t.arr[0], 1); /* Atomics.notify(arr, 0) */
    pthread_join(w, NULL);
    scope_trace_recv(&t.worker, what, 4); /* the worker's end of the store */
    char text[48];
    int n = snprintf(text, sizeof text, "load: %u", t.seen);
    scope_trace_recv(&t.main, text, (size_t)n);
    return t.seen;
}

void shm_threads_race(scope_demo_t *d)
{
    shm_t *p = d->data;
    char late[48] = "";
    scope_trace_init(&t.main, "thread", SCOPE_PID(getpid()), SCOPE_PEER("worker thread"));
    scope_trace_init(&t.worker, "thread", SCOPE_PEER("worker thread"), SCOPE_PID(getpid()));
    scope_trace_open(&t.main, "shared",
                     scope_events_tr("new SharedArrayBuffer(4): one Int32, both threads"));
    if (p->race)
        snprintf(late, sizeof late, scope_events_tr(", %lld ms late (--race)"), p->delay_ms);
    uint32_t v = run(d, 0);
    char took[32];
    scope_time_format(took, sizeof took, (double)(t.loaded_ns - t.started_ns));
    scope_events_log("pthread_create, then Atomics.store(arr, 0, 42)%s; the worker, started "
                     "%s later, loaded %u: %s", late, took, v,
                     v == 42 ? scope_events_tr("the store happened to come first; nothing made it")
                             : scope_events_tr("the store came after the load. A race: "
                                               "nothing orders them"));
    scope_demo_figure(d, "race.read", cJSON_CreateNumber(v));
    scope_demo_figure(d, "race.delay_ms", cJSON_CreateNumber(p->race ? (double)p->delay_ms : 0));
    scope_demo_next(d);
}

void shm_threads_wait(scope_demo_t *d)
{
    shm_t *p = d->data;
    uint32_t v = run(d, 1);
    scope_events_log("the worker waits in Atomics.wait(arr, 0, 0) (futex wait while 0); "
                     "main stores 42%s, then Atomics.notify(arr, 0) (futex wake): it loads %u",
                     p->race ? scope_events_tr(" late") : "", v);
    scope_demo_check(d, v == 42, "wait", "after Atomics.wait the worker read %u, not 42", v);
    scope_demo_figure(d, "race.fixed_read", cJSON_CreateNumber(v));
    scope_trace_close(&t.main);
    scope_demo_next(d);
}
