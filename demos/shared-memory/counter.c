/* counter.c, step 3: a lost update. --threads threads each add --adds to one
 * shared counter, three ways, each timed:
 *
 *   plain:  load, add 1, store. Two threads load the same value, both store
 *           value + 1: one of the two adds is lost. The total comes out short.
 *   atomic: atomic_fetch_add, Atomics.add: the load, add and store are one
 *           indivisible instruction (lock xadd). Exact.
 *   mutex:  pthread_mutex_lock around a plain add. Exact, and slowest.
 *
 * Why "plain" is a relaxed atomic load and a relaxed atomic store rather than
 * `counter++` on an int: at -O2 the compiler would see a loop adding 1 a
 * million times to memory no one else may touch (a data race is undefined
 * behaviour in C), keep the counter in a register, and store once at the
 * end: the threads would barely overlap and the lesson would vanish. Each
 * relaxed access really goes to memory, as JavaScript's arr[0]++ on a
 * SharedArrayBuffer does, and the race is between the two of them.
 */
#include <sched.h>
#include <stdio.h>

#include "events.h"
#include "shared-memory.h"

#define MAX_THREADS 8

enum { PLAIN, ATOMIC, MUTEX };
/* TRANSLATORS: the three ways of adding, named in the narration */
static const char *const names[] = {N_("plain"), N_("atomic"), N_("mutex")};

static struct {
    int how;
    long long adds;
    _Atomic long long counter;
    pthread_mutex_t lock;
    /* A starting line: each thread is up and spinning (not asleep in a
     * barrier, whose wake-ups come one after another) when go is given,
     * so that they really add at the same time. */
    _Atomic int ready, go;
    long long want, lost; /* the plain adds' */
} c = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void *adder(void *arg)
{
    (void)arg;
    atomic_fetch_add(&c.ready, 1);
    while (!atomic_load(&c.go))
        sched_yield();
    for (long long i = 0; i < c.adds; i++) {
        if (c.how == PLAIN) { /* arr[0]++: two steps, with room between them */
            long long v = atomic_load_explicit(&c.counter, memory_order_relaxed);
            atomic_store_explicit(&c.counter, v + 1, memory_order_relaxed);
        } else if (c.how == ATOMIC) { /* Atomics.add(arr, 0, 1): one step */
            atomic_fetch_add_explicit(&c.counter, 1, memory_order_relaxed);
        } else { /* one thread at a time in here */
            pthread_mutex_lock(&c.lock);
            long long v = atomic_load_explicit(&c.counter, memory_order_relaxed);
            atomic_store_explicit(&c.counter, v + 1, memory_order_relaxed);
            pthread_mutex_unlock(&c.lock);
        }
    }
    return NULL;
}

/* All n threads add, set off together; the counter at the end, and how
 * long that took in *ns. */
static long long add_all(int n, double *ns)
{
    pthread_t th[MAX_THREADS];
    atomic_store(&c.counter, 0);
    atomic_store(&c.ready, 0);
    atomic_store(&c.go, 0);
    for (int i = 0; i < n; i++)
        pthread_create(&th[i], NULL, adder, NULL);
    while (atomic_load(&c.ready) < n)
        sched_yield();
    uint64_t t0 = scope_time_now_ns();
    atomic_store(&c.go, 1);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    *ns = (double)(scope_time_now_ns() - t0);
    return atomic_load(&c.counter);
}

void shm_counter(scope_demo_t *d)
{
    shm_t *p = d->data;
    int n = (int)(p->threads < MAX_THREADS ? p->threads : MAX_THREADS), tries = 0;
    long long want = p->adds * n;
    c.adds = p->adds;
    scope_events_log("%d threads each add 1 to one counter %lld times: %lld expected", n,
                     p->adds, want);
    for (c.how = PLAIN; c.how <= MUTEX; c.how++) {
        double ns;
        long long got = add_all(n, &ns), lost = want - got;
        char took[32], key[48];
        scope_time_format(took, sizeof took, ns);
        /* A race shows only when the threads overlap: on a busy machine they
         * may run one after the other. Up to 5 tries, each said. */
        if (c.how == PLAIN && !lost && n > 1 && ++tries < 5) {
            scope_events_log("plain  -> %lld: exact this time, in %s: the threads did not "
                             "overlap (try %d of 5)", got, took, tries);
            c.how--;
            continue;
        }
        if (lost)
            scope_events_log("%-6s -> %lld: %lld updates lost (%.1f%%), in %s",
                             scope_events_tr(names[c.how]), got,
                             lost, 100.0 * (double)lost / (double)want, took);
        else
            scope_events_log("%-6s -> %lld: exact, in %s", scope_events_tr(names[c.how]), got,
                             took);
        if (c.how == PLAIN)
            c.want = want, c.lost = lost;
        else
            scope_demo_check(d, lost == 0, names[c.how], "%s counter is %lld, not %lld",
                             scope_events_tr(names[c.how]), got, want);
        snprintf(key, sizeof key, "counter.%s", names[c.how]);
        scope_demo_figure(d, key, cJSON_CreateNumber((double)got));
        snprintf(key, sizeof key, "counter.%s_ms", names[c.how]);
        scope_demo_figure(d, key, cJSON_CreateNumber(ns / 1e6));
    }
    scope_demo_figure(d, "counter.expected", cJSON_CreateNumber((double)want));
    scope_demo_next(d);
}

char *shm_counter_describe(char *out, size_t n)
{
    if (!c.want)
        snprintf(out, n, "%s", scope_events_tr("no counting"));
    else
        snprintf(out, n,
                 scope_events_tr("plain adds lost %lld of %lld (%.1f%%), atomic and mutex exact"),
                 c.lost, c.want, 100.0 * (double)c.lost / (double)c.want);
    return out;
}
