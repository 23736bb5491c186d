/* measure.c, step 8: one round trip three ways, side by side in one run.
 *
 * A pinger and an echo thread pass a number back and forth --measure times
 * (2 s at most each way), and each round trip is timed:
 *
 *   spin:    each side loops reading the other's word in shared memory
 *            until it changes. No system call, no sleep: the answer is seen
 *            as soon as the cache line moves between cores. Both threads
 *            burn a whole core while they wait.
 *   futex:   each side sleeps in a futex wait (Atomics.wait) and is woken
 *            by the other's futex wake (Atomics.notify): shared memory for
 *            the data, the kernel's scheduler for the wake-up.
 *   socket:  one byte each way over a socketpair(AF_UNIX, SOCK_STREAM),
 *            blocking read and write: the kernel copies and wakes.
 *
 * Between two threads of one process; two processes mapping one page take
 * the same paths (a futex on a shared page is found by the page). The work
 * runs on libuv's thread pool, so the loop stays free meanwhile.
 */
#include <stdalign.h>
#include <stdio.h>
#include <sys/socket.h>

#include "events.h"
#include "shared-memory.h"

#define STOP     UINT32_MAX
#define DEADLINE 2000000000ull /* ns each way at most */

enum { SPIN, FUTEX, SOCKET, WAYS };
/* TRANSLATORS: the three ways of waiting, named in the narration */
static const char *const names[] = {N_("spin"), N_("futex"), N_("socket")};

static struct {
    scope_demo_t *d;
    uv_work_t work;
    long n;
    int how, fds[2];
    alignas(64) _Atomic uint32_t ping; /* apart: each side writes its own line */
    alignas(64) _Atomic uint32_t pong;
    scope_hist_t hist[WAYS];
} m;

/* The echo side: answer ping i with pong i, until STOP. */
static void *echo_main(void *arg)
{
    (void)arg;
    for (uint32_t i = 1;; i++) {
        char b;
        if (m.how == SOCKET) {
            if (read(m.fds[1], &b, 1) != 1 || b == 'q' || write(m.fds[1], &b, 1) != 1)
                break;
            continue;
        }
        uint32_t v;
        while ((v = atomic_load_explicit(&m.ping, memory_order_acquire)) == i - 1)
            if (m.how == FUTEX)
                shm_futex_wait(&m.ping, i - 1, 0); /* Atomics.wait: sleep while i - 1 */
        if (v == STOP)
            break;
        atomic_store_explicit(&m.pong, i, memory_order_release);
        if (m.how == FUTEX)
            shm_futex_wake(&m.pong, 1); /* Atomics.notify */
    }
    return NULL;
}

static void one_way(int how)
{
    pthread_t echo;
    m.how = how;
    atomic_store(&m.ping, 0);
    atomic_store(&m.pong, 0);
    scope_hist_reset(&m.hist[how]);
    if (how == SOCKET && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, m.fds) < 0)
        return;
    pthread_create(&echo, NULL, echo_main, NULL);
    uint64_t start = scope_time_now_ns(), t0 = start;
    for (uint32_t i = 1; i <= (uint32_t)m.n && t0 - start < DEADLINE; i++) {
        char b = 'p';
        if (how == SOCKET) {
            if (write(m.fds[0], &b, 1) != 1 || read(m.fds[0], &b, 1) != 1)
                break;
        } else {
            atomic_store_explicit(&m.ping, i, memory_order_release);
            if (how == FUTEX)
                shm_futex_wake(&m.ping, 1);
            while (atomic_load_explicit(&m.pong, memory_order_acquire) != i)
                if (how == FUTEX)
                    shm_futex_wait(&m.pong, i - 1, 0);
        }
        uint64_t t1 = scope_time_now_ns();
        scope_hist_add(&m.hist[how], t1 - t0);
        t0 = t1;
    }
    if (how == SOCKET) {
        if (write(m.fds[0], "q", 1) != 1)
            shutdown(m.fds[0], SHUT_WR); /* the echo reads EOF instead */
    } else {
        atomic_store(&m.ping, STOP);
        shm_futex_wake(&m.ping, 1);
    }
    pthread_join(echo, NULL);
    if (how == SOCKET)
        close(m.fds[0]), close(m.fds[1]);
}

static void work_cb(uv_work_t *w)
{
    (void)w;
    for (int how = SPIN; how < WAYS; how++)
        one_way(how);
}

static void after_cb(uv_work_t *w, int status)
{
    (void)w;
    (void)status;
    char p50[WAYS][32], p99[32], key[48];
    for (int how = SPIN; how < WAYS; how++) {
        const scope_hist_t *h = &m.hist[how];
        uint64_t v50 = scope_hist_percentile(h, 50), v99 = scope_hist_percentile(h, 99);
        scope_time_format(p50[how], sizeof p50[how], (double)v50);
        scope_time_format(p99, sizeof p99, (double)v99);
        scope_events_log("%-6s round trip: p50 %s, p99 %s (%llu of them)",
                         scope_events_tr(names[how]), p50[how],
                         p99, (unsigned long long)h->count);
        scope_demo_check(m.d, h->count > 0, names[how], "no %s round trip measured",
                         scope_events_tr(names[how]));
        snprintf(key, sizeof key, "measure.%s_p50_ns", names[how]);
        scope_demo_figure(m.d, key, cJSON_CreateNumber((double)v50));
        snprintf(key, sizeof key, "measure.%s_p99_ns", names[how]);
        scope_demo_figure(m.d, key, cJSON_CreateNumber((double)v99));
        snprintf(key, sizeof key, "measure.%s_count", names[how]);
        scope_demo_figure(m.d, key, cJSON_CreateNumber((double)h->count));
    }
    scope_events_log("\"SharedArrayBuffer is fastest\" holds while both sides spin (%s, two "
                     "cores burnt); once a side sleeps, the futex wake-up (%s) is of the "
                     "socket's kind (%s): there \"Unix sockets come close to shared memory\"",
                     p50[SPIN], p50[FUTEX], p50[SOCKET]);
    scope_demo_next(m.d);
}

void shm_measure(scope_demo_t *d)
{
    shm_t *p = d->data;
    m.d = d;
    m.n = (long)p->measure;
    if (m.n <= 0) {
        scope_demo_next(d);
        return;
    }
    scope_events_log("%ld round trips each way, spinning, on a futex, over a socketpair "
                     "(libuv's thread pool runs them; the loop goes on)", m.n);
    uv_queue_work(d->loop, &m.work, work_cb, after_cb);
}

char *shm_measure_describe(char *out, size_t n)
{
    char t[WAYS][32];
    for (int how = SPIN; how < WAYS; how++)
        scope_time_format(t[how], sizeof t[how], (double)scope_hist_percentile(&m.hist[how], 50));
    if (!m.hist[SOCKET].count)
        snprintf(out, n, "%s", scope_events_tr("nothing measured"));
    else
        snprintf(out, n, scope_events_tr("round trip p50: spinning %s, futex %s, Unix socket %s"),
                 t[SPIN],
                 t[FUTEX], t[SOCKET]);
    return out;
}
