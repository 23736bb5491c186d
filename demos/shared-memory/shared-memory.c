/* shared-memory: named shared memory between two processes (article 004's
 * `new SharedMemory('my-shared-memory', 1024)`, its Process A and B being
 * our process 1 and process 2), with the lid off.
 *
 *   1-4. Threads first: threads.c, counter.c and copy.c. Then processes:
 *   5. shm_open("/ipcscope-PID-shm", O_CREAT|O_EXCL) makes a name in
 *      /dev/shm, ftruncate() gives it 1,024 bytes, mmap(MAP_SHARED) puts them
 *      in process 1's address space; the fd is closed, the mapping stays.
 *   6. Process 2 (this program again, --role) opens the same name and maps
 *      it: both /proc/PID/maps show /dev/shm/NAME. Then the name is
 *      unlinked: the memory lives while mapped, and no SIGKILL can leave it.
 *   7. Process 1 writes "Hello from Process A" at offset 0, then posts a
 *      semaphore that lives in the mapping; process 2 waits on it and reads
 *      20 bytes: the post orders the write before the read.
 *   8. (measure.c) round trips: spinning, a futex, a Unix socket.
 *   9. A ring each way, two counters each (head moved by the producer, tail
 *      by the consumer), carries pings and pongs; a futex on head wakes the
 *      other side. The last message is "bye": process 2 unmaps and exits.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "events.h"
#include "shared-memory.h"

/* The producer writes the slot, then moves head with release: whoever reads
 * head with acquire sees the slot whole. A full ring refuses. */
int shm_ring_put(struct shm_ring *r, const char *text, size_t len, uint64_t sent_ns)
{
    uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (h - atomic_load_explicit(&r->tail, memory_order_acquire) >= SLOTS)
        return -1;
    struct shm_slot *s = &r->slot[h % SLOTS];
    s->len = (uint32_t)(len < TEXT_MAX ? len : TEXT_MAX);
    memcpy(s->text, text, s->len);
    s->sent_ns = sent_ns;
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
    shm_futex_wake(&r->head, 1);
    return 0;
}

/* The consumer's view of head, once it has moved past n or wait_ms passed:
 * a futex wait on head itself, so a put between our look and our sleep
 * makes the kernel return at once rather than sleep through it. */
uint32_t shm_ring_wait(struct shm_ring *r, uint32_t n, long wait_ms)
{
    uint32_t h = atomic_load_explicit(&r->head, memory_order_acquire);
    if (h == n)
        shm_futex_wait(&r->head, n, wait_ms);
    return atomic_load_explicit(&r->head, memory_order_acquire);
}

static void unlink_name(void *arg)
{
    shm_t *p = arg;
    if (p->linked && shm_unlink(p->name) == 0)
        scope_events_log("shm_unlink(\"%s\")", p->name);
    p->linked = 0;
}

void shm_create(scope_demo_t *d)
{
    shm_t *p = d->data;
    snprintf(p->name, sizeof p->name, "/ipcscope-%ld-shm", (long)getpid());
    /* O_EXCL: a name someone else made is never ours; 0600: this user only. */
    int fd = shm_open(p->name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (!scope_demo_check(d, fd >= 0, "shm_open", "%s: %s", p->name, strerror(errno))) {
        scope_demo_next(d);
        return;
    }
    p->linked = 1;
    scope_demo_on_cleanup(d, unlink_name, p); /* on exit, and on a signal */
    /* A new name is empty: ftruncate() gives it its size, zero-filled. */
    void *m = ftruncate(fd, SHM_SIZE) == 0
        ? mmap(NULL, SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
    int e = errno;
    close(fd); /* the mapping holds the memory; the fd is no longer needed */
    if (!scope_demo_check(d, m != MAP_FAILED, "mmap", "%s: %s", p->name, strerror(e))) {
        unlink_name(p);
        scope_demo_next(d);
        return;
    }
    p->region = m;
    /* pshared 1: a semaphore in the mapping works for every process mapping it */
    sem_init(&p->region->written, 1, 0);
    scope_events_log("shm_open(\"%s\", O_CREAT|O_EXCL|O_RDWR, 0600) -> fd %d, the file "
                     "/dev/shm%s; ftruncate(%d, %d); mmap(MAP_SHARED) -> %p; close(%d)",
                     p->name, fd, p->name, fd, SHM_SIZE, m, fd);
    scope_demo_next(d);
}

/* Process 1's waiter: the loop must never block, so this thread sleeps on
 * the futexes and rings the loop (uv_async_send) when process 2 has mapped
 * the name, and at each pong, whose round trip it times where it lands. */
static void *waiter_main(void *arg)
{
    shm_t *p = arg;
    struct shm_region *r = p->region;
    while (!atomic_load(&p->stop) && !atomic_load(&r->mapped))
        shm_futex_wait(&r->mapped, 0, 100);
    uv_async_send(&p->doorbell);
    for (uint32_t n = 0; !atomic_load(&p->stop);) {
        if (shm_ring_wait(&r->to_a, n, 100) == n)
            continue;
        p->rtt_ns[n % 8] = scope_time_now_ns() - r->to_a.slot[n % SLOTS].sent_ns;
        atomic_store_explicit(&p->arrived, ++n, memory_order_release);
        uv_async_send(&p->doorbell);
    }
    return NULL;
}

static void log_mapping(shm_t *p, pid_t pid)
{
    char path[64], line[256];
    int found = 0;
    snprintf(path, sizeof path, "/proc/%ld/maps", (long)pid);
    FILE *f = fopen(path, "r");
    while (f && !found && fgets(line, sizeof line, f))
        if ((found = strstr(line, p->name) != NULL))
            scope_events_log("%s: %.*s", path, (int)strcspn(line, "\n"), line);
    if (f)
        fclose(f);
    scope_demo_check(p->demo, found, "maps", "%s shows no /dev/shm%s", path, p->name);
}

static void pong_done(shm_t *p);

static void on_doorbell(uv_async_t *h)
{
    shm_t *p = scope_container_of(h, shm_t, doorbell);
    if (!p->mapped_told && atomic_load(&p->region->mapped)) {
        p->mapped_told = 1;
        log_mapping(p, getpid());
        log_mapping(p, p->b.pid);
        /* Both have it mapped: the name has done its work. The memory lives
         * until the last munmap, and no SIGKILL can leave the name behind. */
        unlink_name(p);
        scope_events_log("both processes map it, so the name goes now; their maps say "
                         "(deleted), the 1,024 bytes stay");
        scope_demo_next(p->demo);
    }
    uint32_t a = atomic_load_explicit(&p->arrived, memory_order_acquire);
    while (p->seen != a) {
        struct shm_slot *s = &p->region->to_a.slot[p->seen % SLOTS];
        scope_trace_reply(&p->trace, s->text, s->len, p->rtt_ns[p->seen % 8]);
        atomic_store_explicit(&p->region->to_a.tail, ++p->seen, memory_order_release);
        pong_done(p);
    }
}

/* Process 2 is gone: the waiter ends, the mapping goes, a wait is over. */
static void on_b_exit(scope_role_t *r, int code, int sig)
{
    shm_t *p = r->data;
    scope_demo_check(p->demo, p->ended || (p->demo->quitting && !code), "process 2",
                     "process 2 ended early: exit code %d, signal %d", code, sig);
    atomic_store(&p->stop, 1);
    pthread_join(p->waiter, NULL);
    uv_close((uv_handle_t *)&p->doorbell, NULL);
    unlink_name(p);
    if (p->pacer.demo)
        scope_pacer_close(&p->pacer);
    scope_trace_close(&p->trace);
    sem_destroy(&p->region->written);
    munmap(p->region, SHM_SIZE);
    p->region = NULL;
    if (p->pinging || !p->mapped_told || p->demo->quitting) /* a quit: the lesson's end */
        scope_demo_next(p->demo);
    p->pinging = 0;
}

void shm_map_b(scope_demo_t *d)
{
    shm_t *p = d->data;
    if (!p->region) {
        scope_demo_next(d);
        return;
    }
    uv_async_init(d->loop, &p->doorbell, on_doorbell);
    pthread_create(&p->waiter, NULL, waiter_main, p);
    const char *args[] = {"--shm", p->name, NULL};
    p->b.data = p;
    p->b.on_exit = on_b_exit;
    int r = scope_role_spawn(d, &p->b, "process 2", &(scope_role_options_t){.argv = args});
    scope_trace_init(&p->trace, "shm", SCOPE_PID(getpid()), SCOPE_PID(p->b.pid));
    if (r < 0) { /* as if process 2 had come and gone */
        scope_events_error("spawn", "process 2: %s", strerror(-r));
        on_b_exit(&p->b, 1, 0);
        return;
    }
    scope_trace_open(&p->trace, "shm", scope_events_tr("1,024 bytes of /dev/shm, mapped by both"));
    scope_events_log("process 2 %ld: shm_open(\"%s\", O_RDWR), mmap(MAP_SHARED); then "
                     "mapped = 1 and a futex wake, in the mapping itself", (long)p->b.pid, p->name);
}

void shm_hello(scope_demo_t *d)
{
    shm_t *p = d->data;
    if (p->region) {
        memcpy(p->region->text, "Hello from Process A", 20);
        scope_trace_send(&p->trace, p->region->text, 20);
        /* After the write: process 2's sem_wait() returns only after this. */
        sem_post(&p->region->written);
        scope_events_log("memory.write(0, 'Hello from Process A'): a memcpy() at offset 0, "
                         "then sem_post(); process 2 waits in sem_wait(), then reads 20 bytes");
    }
    scope_demo_next(d);
}

static void send_ping(scope_pacer_t *pc)
{
    shm_t *p = scope_container_of(pc, shm_t, pacer);
    char text[TEXT_MAX];
    int len = snprintf(text, sizeof text, "ping %lu", (unsigned long)p->seen + 1);
    scope_trace_send(&p->trace, text, (size_t)len);
    if (shm_ring_put(&p->region->to_b, text, (size_t)len, scope_time_now_ns()) < 0)
        scope_events_error("ring", "the ring to process 2 is full");
}

/* A pong: the next ping when the pacer allows, or, after --count, "bye". */
static void pong_done(shm_t *p)
{
    if ((long)p->seen < p->demo->count && !p->demo->quitting) {
        scope_pacer_next(&p->pacer, send_ping);
        return;
    }
    p->ended = 1;
    scope_trace_stats_stop(&p->trace);
    scope_trace_send(&p->trace, "bye", 3);
    shm_ring_put(&p->region->to_b, "bye", 3, 0);
}

void shm_pingpong(scope_demo_t *d)
{
    shm_t *p = d->data;
    if (!p->region) {
        scope_demo_next(d);
        return;
    }
    char pings[48];
    scope_pacer_init(d, &p->pacer);
    p->pinging = 1;
    scope_events_log("%s through the rings: each a slot write, head + 1, a futex wake; timed "
                     "until its pong", scope_demo_count_of(pings, sizeof pings, d->count,
                                                          "ping", "pings"));
    scope_trace_stats_start(&p->trace, d->loop, 500);
    scope_pacer_next(&p->pacer, send_ping);
}
