/* bench_pipe: the floors the stdio-pipe demo is measured against.
 *
 *   bench_pipe pingpong N SIZE   a parent and a forked child, two pipes, the
 *                                child writing back each line it reads;
 *                                blocking write() and read(), no event loop:
 *                                the floor of a round trip through stdio
 *   bench_pipe epoll N SIZE      the same, but the parent waits in
 *                                epoll_wait() before each read, as libuv and
 *                                node do (the child still blocks in read())
 *   bench_pipe uv N SIZE         the same, but the parent runs on a bare
 *                                libuv loop (uv_floor.h), as the demo does,
 *                                with no framing, tracing or parsing
 *   bench_pipe fifo N SIZE       pingpong over two FIFOs (named pipes, as
 *                                the unix-socket demo's --fifo makes them)
 *                                instead of pipe2(): mkfifo() in a private
 *                                directory, open() of both ends, and the
 *                                names removed at once: past open() a FIFO
 *                                is a pipe
 *   bench_pipe throughput BYTES  one way: once the child says "ready", the
 *                                parent write()s BYTES in 64 KiB pieces, the
 *                                child read()s them to EOF and reports the
 *                                count on a second pipe
 *   bench_pipe start N MODE      start a child that runs uname -s, read its
 *                                stdout to EOF, waitpid(); MODE direct is
 *                                fork + execve("uname") (spawn, execFile),
 *                                shell is fork + execve("/bin/sh", "-c",
 *                                "uname -s") (exec), fork is fork() and a
 *                                child that _exit()s at once, no exec
 *
 * A line is "ping ID TIME " + SIZE bytes of payload + "\n", as the demo sends
 * it. BENCH_CHILD_CPU=N pins the child to CPU N (the parent is pinned from
 * outside, with taskset).
 *
 * Each prints one JSON line: {"what":...,"n":N,"p50":ns,"p99":ns,...} or, for
 * throughput, {"what":...,"bytes":B,"ns":T,"bps":B/s}. Percentiles come from
 * lib/timing's histogram over N timed rounds after N/10 untimed ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "timing.h"

#include "bench.h"
#include "uv_floor.h"

static scope_hist_t hist;

static void report(const char *what, size_t bytes)
{
    scope_hist_summary_t s;
    scope_hist_summarize(&hist, &s);
    printf("{\"what\":\"%s\",\"n\":%llu,\"p50\":%llu,\"p99\":%llu,\"mean\":%.0f,\"bytes\":%zu}\n",
           what, (unsigned long long)s.count, (unsigned long long)s.p50,
           (unsigned long long)s.p99, s.mean, bytes);
    fflush(stdout);
}

/* The child of pingpong: a filter like cat, writing back what it reads. */
static void echo_child(int in, int out)
{
    static char buf[64 * 1024];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || bench_write_full(out, buf, (size_t)n) < 0)
            _exit(0);
    }
}

typedef enum { WAIT_READ, WAIT_EPOLL, WAIT_UV } wait_t;

/* Two FIFOs in place of pipe2(down) and pipe2(up). The read end is opened
 * first with O_NONBLOCK, since a blocking open() of a FIFO waits for the
 * other end; then the write end opens at once; then the read end blocks
 * again, as a pipe's does. The names go as soon as both ends are open. */
static int fifo_pair(int down[2], int up[2])
{
    const char *tmp = getenv("TMPDIR");
    char dir[256], path[2][300];
    int *ends[2] = {down, up};
    snprintf(dir, sizeof dir, "%s/bench-fifo.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return -1;
    int r = 0;
    for (int i = 0; i < 2; i++) {
        snprintf(path[i], sizeof path[i], "%s/%s.fifo", dir, i ? "up" : "down");
        if (r < 0 || mkfifo(path[i], 0600) < 0) {
            r = -1;
            continue;
        }
        ends[i][0] = open(path[i], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        ends[i][1] = ends[i][0] < 0 ? -1 : open(path[i], O_WRONLY | O_CLOEXEC);
        if (ends[i][1] < 0 || fcntl(ends[i][0], F_SETFL, 0) < 0)
            r = -1;
        unlink(path[i]);
    }
    rmdir(dir);
    return r;
}

static int run_pingpong(long n, size_t size, wait_t wait, int fifo)
{
    int with_epoll = wait == WAIT_EPOLL;
    int down[2], up[2];
    if (fifo ? fifo_pair(down, up) < 0 : pipe2(down, O_CLOEXEC) < 0 || pipe2(up, O_CLOEXEC) < 0)
        return 1;
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        bench_pin_child();
        close(down[1]);
        close(up[0]);
        echo_child(down[0], up[1]);
    }
    close(down[0]);
    close(up[1]);
    char *line = malloc(size + 64), *back = malloc(size + 64);
    if (!line || !back)
        return 1;
    int ep = -1;
    if (with_epoll) {
        ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event e = {.events = EPOLLIN, .data.fd = up[0]};
        if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, up[0], &e) < 0)
            return 1;
    }
    size_t len = 0;
    if (wait == WAIT_UV) {
        /* as long as the last line of the blocking loop */
        int h = snprintf(line, 64, "ping %ld %llu ", n + n / 10, (unsigned long long)scope_time_now_ns());
        memset(line + h, 'x', size);
        line[h + size] = '\n';
        len = (size_t)h + size + 1;
        /* libuv closes the two pipe ends when it is done with them */
        if (uv_floor_pingpong(UV_FLOOR_PIPE, up[0], down[1], line, len, n, &hist) < 0)
            return 1;
        waitpid(pid, NULL, 0);
        free(line);
        free(back);
        report("raw pipe, libuv loop", len);
        return 0;
    }
    for (long i = 0; i < n + n / 10; i++) {
        uint64_t t = scope_time_now_ns();
        int h = snprintf(line, 64, "ping %ld %llu ", i + 1, (unsigned long long)t);
        memset(line + h, 'x', size);
        line[h + size] = '\n';
        len = (size_t)h + size + 1;
        if (bench_write_full(down[1], line, len) < 0)
            return 1;
        if (ep >= 0) {
            struct epoll_event e;
            int r;
            do
                r = epoll_wait(ep, &e, 1, -1);
            while (r < 0 && errno == EINTR);
        }
        if (bench_read_full(up[0], back, len) < 0)
            return 1;
        if (i >= n / 10)
            scope_hist_add(&hist, scope_time_now_ns() - t);
    }
    close(down[1]);
    close(up[0]);
    if (ep >= 0)
        close(ep);
    waitpid(pid, NULL, 0);
    free(line);
    free(back);
    report(with_epoll ? "raw pipe, epoll_wait first" : fifo ? "raw fifo ping-pong" : "raw pipe ping-pong", len);
    return 0;
}

static int run_throughput(unsigned long long total)
{
    int data[2], back[2];
    if (pipe2(data, O_CLOEXEC) < 0 || pipe2(back, O_CLOEXEC) < 0)
        return 1;
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        bench_pin_child();
        close(data[1]);
        close(back[0]);
        dprintf(back[1], "ready\n"); /* as the demo's and node's readers say */
        static char buf[64 * 1024];
        unsigned long long got = 0;
        for (;;) {
            ssize_t n = read(data[0], buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (unsigned long long)n;
        }
        dprintf(back[1], "read %llu bytes\n", got);
        _exit(0);
    }
    close(data[0]);
    close(back[1]);
    static char chunk[64 * 1024];
    memset(chunk, 'x', sizeof chunk);
    char ready[8];
    if (bench_read_full(back[0], ready, 6) < 0)
        return 1;
    uint64_t t0 = scope_time_now_ns();
    for (unsigned long long sent = 0; sent < total;) {
        size_t n = total - sent < sizeof chunk ? (size_t)(total - sent) : sizeof chunk;
        if (bench_write_full(data[1], chunk, n) < 0)
            return 1;
        sent += n;
    }
    close(data[1]);
    char line[64] = "";
    ssize_t n = read(back[0], line, sizeof line - 1);
    uint64_t ns = scope_time_now_ns() - t0;
    line[n > 0 ? n : 0] = '\0';
    close(back[0]);
    waitpid(pid, NULL, 0);
    unsigned long long got = 0;
    if (sscanf(line, "read %llu bytes", &got) != 1 || got != total)
        return 1;
    printf("{\"what\":\"raw pipe throughput\",\"bytes\":%llu,\"ns\":%llu,\"bps\":%.0f}\n", total,
           (unsigned long long)ns, (double)total * 1e9 / (double)ns);
    return 0;
}

typedef enum { START_DIRECT, START_SHELL, START_FORK } start_t;

/* One child: its stdout on a pipe read to EOF, then waitpid(). */
static int start_once(start_t how)
{
    int out[2];
    if (pipe2(out, O_CLOEXEC) < 0)
        return -1;
    char *direct[] = {"uname", "-s", NULL};
    char *sh[] = {"/bin/sh", "-c", "uname -s", NULL};
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (how == START_FORK)
            _exit(0);
        dup2(out[1], 1);
        if (how == START_SHELL)
            execv("/bin/sh", sh);
        else
            execvp("uname", direct);
        _exit(127);
    }
    close(out[1]);
    char buf[256];
    ssize_t n;
    while ((n = read(out[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        ;
    close(out[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int run_start(long n, start_t how)
{
    static const char *const what[] = {"fork + execve", "fork + execve /bin/sh -c", "fork, no exec"};
    for (long i = 0; i < n + n / 10; i++) {
        uint64_t t = scope_time_now_ns();
        if (start_once(how) < 0)
            return 1;
        if (i >= n / 10)
            scope_hist_add(&hist, scope_time_now_ns() - t);
    }
    report(what[how], 0);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    scope_hist_reset(&hist);
    if (argc >= 4 && (strcmp(argv[1], "pingpong") == 0 || strcmp(argv[1], "epoll") == 0 ||
                      strcmp(argv[1], "uv") == 0 || strcmp(argv[1], "fifo") == 0))
        return run_pingpong(atol(argv[2]), (size_t)atol(argv[3]),
                            argv[1][0] == 'e' ? WAIT_EPOLL : argv[1][0] == 'u' ? WAIT_UV : WAIT_READ,
                            argv[1][0] == 'f');
    if (argc >= 3 && strcmp(argv[1], "throughput") == 0)
        return run_throughput(strtoull(argv[2], NULL, 10));
    if (argc >= 4 && strcmp(argv[1], "start") == 0)
        return run_start(atol(argv[2]), strcmp(argv[3], "shell") == 0  ? START_SHELL
                                        : strcmp(argv[3], "fork") == 0 ? START_FORK
                                                                       : START_DIRECT);
    fprintf(stderr, "usage: bench_pipe pingpong|epoll|uv|fifo N SIZE | throughput BYTES | "
                    "start N direct|shell|fork\n");
    return 2;
}
