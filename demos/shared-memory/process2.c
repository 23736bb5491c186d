/* process2.c: process 2 of steps 6, 7 and 9 (shared-memory.c tells them),
 * this program again as `shared-memory --role "process 2" --shm NAME`.
 *
 * It opens the name process 1 made and maps it, says so in the mapping,
 * waits on the semaphore there, reads article 004's 20 bytes, then answers
 * each ping of the ring with a pong until "bye". A thread does the waiting,
 * so that the loop stays free for lib/role's relay (a quit from the
 * dashboard reaches process 2 there).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "events.h"
#include "shared-memory.h"

typedef struct {
    scope_demo_t *demo;
    struct shm_region *r;
    scope_trace_t trace; /* the echo thread's alone until it is joined */
    pthread_t echo;
    uv_async_t done;
    _Atomic int stop;
} process_b_t;

/* sem_wait() that a quit can end: a tenth of a second at a time. */
static int wait_written(process_b_t *b)
{
    while (!atomic_load(&b->stop)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 100000000L;
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        if (sem_clockwait(&b->r->written, CLOCK_MONOTONIC, &ts) == 0)
            return 1;
    }
    return 0;
}

static void *echo_main(void *arg)
{
    process_b_t *b = arg;
    struct shm_region *r = b->r;
    int go = wait_written(b);
    if (go) {
        scope_trace_recv(&b->trace, r->text, 20);
        scope_events_log("sem_wait() returned: memory.read(0, 20) -> \"%.20s\"", r->text);
    }
    for (uint32_t n = 0; go && !atomic_load(&b->stop);) {
        if (shm_ring_wait(&r->to_b, n, 100) == n)
            continue;
        struct shm_slot *s = &r->to_b.slot[n % SLOTS];
        scope_trace_recv(&b->trace, s->text, s->len);
        if (s->len == 3 && memcmp(s->text, "bye", 3) == 0)
            break;
        char pong[TEXT_MAX];
        int len = snprintf(pong, sizeof pong, "pong%.*s", (int)s->len - 4, s->text + 4);
        uint64_t sent_ns = s->sent_ns;
        atomic_store_explicit(&r->to_b.tail, ++n, memory_order_release); /* the slot is free */
        shm_ring_put(&r->to_a, pong, (size_t)len, sent_ns);
        scope_trace_send(&b->trace, pong, (size_t)len); /* after the put: not in the round trip */
    }
    uv_async_send(&b->done);
    return NULL;
}

static void on_echo_done(uv_async_t *h)
{
    process_b_t *b = scope_container_of(h, process_b_t, done);
    pthread_join(b->echo, NULL);
    uv_close((uv_handle_t *)&b->done, NULL);
    scope_demo_stop(b->demo);
}

static void on_quit(scope_demo_t *d)
{
    process_b_t *b = d->data;
    atomic_store(&b->stop, 1); /* the echo thread sees it within 0.1 s */
}

int shm_process_b(scope_demo_t *d, const char *name)
{
    process_b_t b = {.demo = d};
    d->data = &b;
    d->on_quit = on_quit;
    if (scope_demo_start(d, uv_default_loop(), d->role, 0) < 0)
        return 1;
    /* O_RDWR without O_CREAT: process 2 maps what process 1 made, or nothing. */
    int fd = shm_open(name, O_RDWR, 0);
    void *m = fd >= 0 ? mmap(NULL, SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                      : MAP_FAILED;
    if (m == MAP_FAILED) {
        scope_demo_check(d, 0, "shm_open", "%s: %s", name, strerror(errno));
        scope_demo_stop(d);
        return scope_demo_run(d);
    }
    close(fd);
    b.r = m;
    scope_events_log("shm_open(\"%s\", O_RDWR) -> fd %d; mmap(MAP_SHARED) -> %p: the same "
                     "1,024 bytes as process 1's, at an address of our own", name, fd, m);
    scope_trace_init(&b.trace, "shm", SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    uv_async_init(d->loop, &b.done, on_echo_done);
    pthread_create(&b.echo, NULL, echo_main, &b);
    /* Tell process 1, in the mapping: its name may go now. */
    atomic_store(&b.r->mapped, 1);
    shm_futex_wake(&b.r->mapped, 1);
    int code = scope_demo_run(d);
    munmap(b.r, SHM_SIZE);
    return code;
}
