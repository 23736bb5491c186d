/* bench.h: what the raw floors (bench_channel, bench_pipe, bench_sock) share.
 * Header-only, since each bench program is built from one .c file. */
#ifndef BENCH_H
#define BENCH_H

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

/* BENCH_CHILD_CPU=N pins the calling (child) process to CPU N, so that every
 * contender is placed the same way; the parent is pinned from outside with
 * taskset. A pin that fails ends the child: a figure from the wrong CPU
 * would be worse than none. */
static inline void bench_pin_child(void)
{
    const char *cpu = getenv("BENCH_CHILD_CPU");
    if (!cpu || !*cpu)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(atoi(cpu), &set);
    if (sched_setaffinity(0, sizeof set, &set) < 0)
        _exit(1);
}

/* Exactly len bytes, or -1 at EOF or on an error. */
static inline int bench_read_full(int fd, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

static inline int bench_write_full(int fd, const char *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, buf + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        off += (size_t)n;
    }
    return 0;
}

#endif
