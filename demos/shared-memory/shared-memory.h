/* shared-memory: what each file of the demo offers to main.c (the story:
 * shared-memory.c), and the two futex calls every file waits with.
 */
#ifndef SHARED_MEMORY_H
#define SHARED_MEMORY_H

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"
#include "role.h"
#include "trace.h"

/* The 1,024 bytes both processes map (shared-memory.c tells the story). */
#define SHM_SIZE 1024
#define SLOTS    4
#define TEXT_MAX 80

struct shm_slot {
    uint64_t sent_ns; /* the ping's, carried back by its pong: a round trip */
    uint32_t len;
    char text[TEXT_MAX];
};
struct shm_ring {
    _Atomic uint32_t head, tail; /* messages put, messages taken */
    struct shm_slot slot[SLOTS];
};
struct shm_region {
    char text[64];           /* offset 0: article 004's "Hello from Process A" */
    sem_t written;           /* process 1 posts it once the text is there */
    _Atomic uint32_t mapped; /* process 2 sets it once it has mapped the name */
    struct shm_ring to_b, to_a;
};
_Static_assert(sizeof(struct shm_region) <= SHM_SIZE, "the region fits in the 1,024 bytes");

/* The whole run, hung off demo.data: main.c sets the options; only
 * shared-memory.c changes the rest (process 1's side of steps 5-8). */
typedef struct shm_s {
    /* options */
    long long threads; /* --threads: the lost update's N */
    long long adds;    /* --adds: what each of them adds */
    int race;          /* --race: the store comes --delay ms late */
    long long delay_ms;
    long long measure; /* --measure: round trips each way is timed (0: none) */

    /* process 1 */
    scope_demo_t *demo;
    char name[48];        /* "/ipcscope-PID-shm" */
    struct shm_region *region;
    scope_role_t b;       /* process 2: this program again, --role */
    scope_trace_t trace;  /* the ring's messages and their round trips */
    scope_pacer_t pacer;
    uv_async_t doorbell;  /* the waiter thread rings the loop */
    pthread_t waiter;
    int waiter_running, doorbell_open, linked, mapped_told, pinging, ended;
    _Atomic int stop;          /* the waiter thread ends */
    _Atomic uint32_t arrived;  /* pongs the waiter thread has timed */
    /* their round trips, by number; atomic, since what orders a slot's
     * reuse goes through process 2, where no tool can follow it */
    _Atomic uint64_t rtt_ns[8];
    uint32_t seen;             /* pongs the loop has traced */
} shm_t;

/* Atomics.wait: sleep while *addr == expected (at most timeout_ms, 0:
 * forever). Not FUTEX_PRIVATE: a word in a shared mapping is found by the
 * page it lives in, so a process that maps the same page finds the same
 * waiters. */
static inline long shm_futex_wait(_Atomic uint32_t *addr, uint32_t expected, long timeout_ms)
{
    struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
    return syscall(SYS_futex, addr, FUTEX_WAIT, expected, timeout_ms ? &ts : NULL, NULL, 0);
}

/* Atomics.notify: wake up to n of the threads waiting on addr. */
static inline long shm_futex_wake(_Atomic uint32_t *addr, int n)
{
    return syscall(SYS_futex, addr, FUTEX_WAKE, n, NULL, NULL, 0);
}

/* threads.c, steps 1-2: article 000's Int32 of 42; the race, then the fix. */
void shm_threads_race(scope_demo_t *d);
void shm_threads_wait(scope_demo_t *d);
void shm_counter(scope_demo_t *d); /* counter.c, step 3: a lost update */
char *shm_counter_describe(char *out, size_t n); /* "plain adds lost 41.2%" */
void shm_copy(scope_demo_t *d);    /* copy.c, step 4: article 002's copy */

/* shared-memory.c, steps 5-7 and 9: between two processes (main.c sets
 * shm_t.demo and sweeps first). */
void shm_create(scope_demo_t *d);
void shm_map_b(scope_demo_t *d);
void shm_hello(scope_demo_t *d);
void shm_pingpong(scope_demo_t *d);
/* A ring's two ends: put a message (0, or -1 when full), and head once it
 * has moved past n or wait_ms passed. */
int shm_ring_put(struct shm_ring *r, const char *text, size_t len, uint64_t sent_ns);
uint32_t shm_ring_wait(struct shm_ring *r, uint32_t n, long wait_ms);

int shm_process_b(scope_demo_t *d, const char *name); /* process2.c: --role "process 2" */

void shm_measure(scope_demo_t *d); /* measure.c, step 8: spin, futex, socket */
char *shm_measure_describe(char *out, size_t n); /* the p50s, for the bye */
int shm_sweep(void);               /* sweep.c: names of runs that died */

#endif
