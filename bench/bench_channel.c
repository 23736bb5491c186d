/* bench_channel: round trips of one 64-byte JSON line between two processes.
 *
 *   bench_channel raw N          the floor: a socketpair, blocking write() and
 *                                read() of the same 64 bytes, no event loop
 *   bench_channel epoll N        the floor of any event loop: the same, but each
 *                                side waits in epoll_wait() before its read(),
 *                                as libuv and node do; no libuv, no JSON
 *   bench_channel uv N           the floor of any program on libuv: the same,
 *                                both sides on a bare libuv loop (uv_floor.h);
 *                                no framing, no JSON
 *   bench_channel channel N LABEL [CMD...]
 *                                lib/channel on libuv, as fork-ipc uses it: the
 *                                parent sends the line, the child (this program
 *                                with "echo", or CMD such as node) parses it and
 *                                sends it back, the parent parses the answer
 *   bench_channel echo           the child side of "channel"
 *
 * BENCH_CHILD_CPU=N pins the raw floor's child to CPU N (the parent is pinned
 * from outside, with taskset), so that placement is the same for every
 * contender: on two CPUs, a round trip within one CPU and one across two
 * differ by more than the contenders do.
 *
 * Each prints one JSON line: {"what":...,"n":N,"p50":ns,"p99":ns,"mean":ns}.
 * Percentiles come from lib/timing's histogram over N timed round trips after
 * N/10 untimed ones to warm up.
 */
#include <errno.h>
#include <sched.h>
#include <sys/epoll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channel.h"
#include "spawn.h"
#include "timing.h"

#include "bench.h"
#include "uv_floor.h"

/* {"type":"ping","id":1234567,"pad":"xxxx..."} + "\n" = 64 bytes */
static char line[65];
static size_t line_len;
static scope_hist_t hist;
static long n_total, n_done, warmup;
static uint64_t t0;
static scope_channel_t ch;
static cJSON *msg;

static void make_line(void)
{
    const char *head = "{\"type\":\"ping\",\"id\":1234567,\"pad\":\"";
    size_t pad = 64 - strlen(head) - 3; /* "} and \n */
    snprintf(line, sizeof line, "%s%.*s\"}\n", head, (int)pad,
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    line_len = strlen(line);
}

static void report(const char *what)
{
    scope_hist_summary_t s;
    scope_hist_summarize(&hist, &s);
    printf("{\"what\":\"%s\",\"n\":%llu,\"p50\":%llu,\"p99\":%llu,\"mean\":%.0f,\"bytes\":%zu}\n",
           what, (unsigned long long)s.count, (unsigned long long)s.p50,
           (unsigned long long)s.p99, s.mean, line_len);
    fflush(stdout);
}

/* Waits in epoll_wait() until fd is readable, then reads len bytes. */
static int epoll_read(int ep, int fd, char *buf, size_t len)
{
    struct epoll_event e;
    if (ep >= 0) {
        int r;
        do
            r = epoll_wait(ep, &e, 1, -1);
        while (r < 0 && errno == EINTR);
        if (r < 0)
            return -1;
    }
    return bench_read_full(fd, buf, len);
}

static int epoll_on(int fd)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event e = {.events = EPOLLIN, .data.fd = fd};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0)
        return -1;
    return ep;
}

typedef enum { WAIT_READ, WAIT_EPOLL, WAIT_UV } wait_t;

static int run_raw(long n, wait_t wait)
{
    int with_epoll = wait == WAIT_EPOLL;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        bench_pin_child();
        close(sv[0]);
        if (wait == WAIT_UV)
            _exit(uv_floor_serve(UV_FLOOR_PIPE, sv[1], sv[1], line_len) < 0);
        char buf[64];
        int ep = with_epoll ? epoll_on(sv[1]) : -1;
        while (epoll_read(ep, sv[1], buf, line_len) == 0)
            if (write(sv[1], buf, line_len) != (ssize_t)line_len)
                break;
        _exit(0);
    }
    close(sv[1]);
    if (wait == WAIT_UV) { /* libuv closes sv[0] when it is done */
        int r = uv_floor_pingpong(UV_FLOOR_PIPE, sv[0], sv[0], line, line_len, n, &hist);
        waitpid(pid, NULL, 0);
        if (r < 0)
            return 1;
        report("socketpair on a bare libuv loop");
        return 0;
    }
    char buf[64];
    int ep = with_epoll ? epoll_on(sv[0]) : -1;
    for (long i = 0; i < n + n / 10; i++) {
        uint64_t t = scope_time_now_ns();
        if (write(sv[0], line, line_len) != (ssize_t)line_len ||
            epoll_read(ep, sv[0], buf, line_len))
            return 1;
        if (i >= n / 10)
            scope_hist_add(&hist, scope_time_now_ns() - t);
    }
    close(sv[0]);
    if (ep >= 0)
        close(ep);
    waitpid(pid, NULL, 0);
    report(with_epoll ? "socketpair with epoll" : "raw socketpair");
    return 0;
}

static void ping(void)
{
    t0 = scope_time_now_ns();
    scope_channel_send(&ch, msg);
}

static void on_pong(scope_channel_t *c, cJSON *m, int fd, const char *type)
{
    (void)c;
    (void)m;
    (void)fd;
    (void)type;
    uint64_t rtt = scope_time_now_ns() - t0;
    if (warmup > 0)
        warmup--;
    else {
        scope_hist_add(&hist, rtt);
        n_done++;
    }
    if (n_done < n_total)
        ping();
    else
        scope_channel_disconnect(&ch);
}

static void on_exit_cb(scope_child_t *c, int status, int sig)
{
    (void)c;
    (void)status;
    (void)sig;
}

static int run_channel(long n, char **cmd, const char *what)
{
    static scope_child_t child;
    uv_loop_t *loop = uv_default_loop();
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return 1;
    scope_spawn_fd_t fds[] = {{.parent_fd = sv[1], .child_fd = 3}};
    const char *env[] = {"NODE_CHANNEL_FD=3", "NODE_CHANNEL_SERIALIZATION_MODE=json", NULL};
    scope_spawn_options_t o = {.file = cmd[0], .argv = cmd, .setenv = env, .fds = fds,
                               .nfds = 1, .death_signal = SIGKILL};
    if (scope_spawn(loop, &child, &o, on_exit_cb) < 0)
        return 1;
    close(sv[1]);
    ch.on_message = on_pong;
    if (scope_channel_open(loop, &ch, sv[0]) < 0)
        return 1;
    line[line_len - 1] = '\0';
    msg = cJSON_Parse(line);
    line[line_len - 1] = '\n';
    n_total = n;
    warmup = n / 10;
    ping();
    uv_run(loop, UV_RUN_DEFAULT);
    cJSON_Delete(msg);
    scope_spawn_shutdown(loop);
    uv_run(loop, UV_RUN_NOWAIT);
    report(what);
    return 0;
}

static void on_echo(scope_channel_t *c, cJSON *m, int fd, const char *type)
{
    (void)fd;
    (void)type;
    scope_channel_send(c, m);
}

static int run_echo(void)
{
    ch.on_message = on_echo;
    if (scope_channel_open_env(uv_default_loop(), &ch) < 0)
        return 1;
    uv_run(uv_default_loop(), UV_RUN_DEFAULT);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    make_line();
    scope_hist_reset(&hist);
    if (argc >= 2 && strcmp(argv[1], "echo") == 0)
        return run_echo();
    if (argc < 3 || (strcmp(argv[1], "channel") == 0 && argc < 4)) {
        fprintf(stderr, "usage: bench_channel raw|epoll|uv N | channel N LABEL [CMD...] | echo\n");
        return 2;
    }
    long n = atol(argv[2]);
    if (strcmp(argv[1], "raw") == 0 || strcmp(argv[1], "epoll") == 0 || strcmp(argv[1], "uv") == 0)
        return run_raw(n, argv[1][0] == 'e' ? WAIT_EPOLL : argv[1][0] == 'u' ? WAIT_UV : WAIT_READ);
    if (argc > 4)
        return run_channel(n, argv + 4, argv[3]);
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    self[len > 0 ? len : 0] = '\0';
    char *cmd[] = {self, "echo", NULL};
    return run_channel(n, cmd, argv[3]);
}
