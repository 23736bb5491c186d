/* bench_sock: the raw floors of the socket demos, in plain blocking C with
 * no event loop, no tracing and no parsing: what the kernel alone costs.
 *
 *   bench_sock MECH pingpong N     N timed round trips of a 64-byte message
 *                                  (after N/10 untimed ones to warm up):
 *                                  client writes 64 bytes, server reads and
 *                                  writes them back, client reads them
 *   bench_sock MECH stream BYTES   one-way throughput: the client sends BYTES
 *                                  in 64 KiB writes (8 KiB datagrams for udp)
 *                                  and the server counts them
 *
 * MECH is one of:
 *   unix  a SOCK_STREAM socket listening on a path in a private directory,
 *         and one client connected to it (accept, not socketpair: the same
 *         path a demo's server takes)
 *   tcp   127.0.0.1 on an ephemeral port, TCP_NODELAY on both ends
 *   udp   two UDP sockets on 127.0.0.1, each connect()ed to the other
 *
 * BENCH_EPOLL=1 makes both ends of a ping-pong wait in epoll_wait() before
 * each read, as an event loop (libuv, node) does: the floor of any event
 * loop, with still no libuv, no tracing and no parsing.
 * BENCH_UV=1 runs both ends of a ping-pong on a bare libuv loop instead
 * (uv_floor.h): the floor of any demo, since the demos run on libuv.
 *
 * The server is a forked child; BENCH_CHILD_CPU=N pins it to CPU N, and the
 * client is pinned from outside with taskset, so that placement is the same
 * for every contender (see bench/run.sh).
 *
 * Output, one JSON line:
 *   pingpong  {"what":..,"n":N,"p50":ns,"p99":ns,"mean":ns}
 *   stream    {"what":..,"bytes":B,"mb_s":X}             (MB = 1e6 bytes)
 *             udp adds "sent" and "lost" (datagrams): over loopback a
 *             datagram is lost only when the receiver's buffer is full,
 *             and mb_s counts what arrived.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "unixsock.h"
#include "timing.h"

#include "bench.h"
#include "uv_floor.h"

#define MSG_BYTES    64
#define STREAM_CHUNK (64 * 1024)
#define UDP_DGRAM    8192

typedef enum { MECH_UNIX, MECH_TCP, MECH_UDP } mech_t;

static mech_t mech;
static char rundir[256], sockpath[320];

static void die(const char *what)
{
    fprintf(stderr, "bench_sock: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* With BENCH_EPOLL set: waits in epoll_wait() until fd is readable. */
static int epoll_fd = -1;
static void wait_readable(int fd)
{
    if (getenv("BENCH_EPOLL") == NULL)
        return;
    if (epoll_fd < 0) {
        epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event e = {.events = EPOLLIN, .data.fd = fd};
        if (epoll_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &e) < 0)
            die("epoll");
    }
    struct epoll_event e;
    while (epoll_wait(epoll_fd, &e, 1, -1) < 0)
        if (errno != EINTR)
            die("epoll_wait");
}

static void nodelay(int fd)
{
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
        die("setsockopt(TCP_NODELAY)");
}

/* ---- making the two ends ------------------------------------------------ */

typedef struct {
    int listen_fd; /* unix, tcp */
    int server_fd; /* udp: the server's socket, made before fork */
    struct sockaddr_storage addr;
    socklen_t addrlen;
} server_t;

static void server_prepare(server_t *s)
{
    memset(s, 0, sizeof *s);
    s->listen_fd = s->server_fd = -1;
    if (mech == MECH_UNIX) {
        if (scope_rundir_make("bench", rundir, sizeof rundir) < 0)
            die("mkdtemp");
        snprintf(sockpath, sizeof sockpath, "%s/bench.sock", rundir);
        int len = scope_unix_addr(sockpath, 0, (struct sockaddr_un *)&s->addr);
        s->addrlen = (socklen_t)len;
        s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&s->addr, s->addrlen) < 0 ||
            listen(s->listen_fd, 1) < 0)
            die("unix listen");
        return;
    }
    struct sockaddr_in *in = (struct sockaddr_in *)&s->addr;
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->addrlen = sizeof *in;
    int fd = socket(AF_INET, (mech == MECH_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&s->addr, s->addrlen) < 0)
        die("bind 127.0.0.1");
    if (getsockname(fd, (struct sockaddr *)&s->addr, &s->addrlen) < 0)
        die("getsockname");
    if (mech == MECH_TCP) {
        if (listen(fd, 1) < 0)
            die("listen");
        s->listen_fd = fd;
    } else {
        s->server_fd = fd;
    }
}

/* In the child: the server's connected fd (for udp, its bound socket, which
 * learns the client's address from the first datagram). */
static int server_accept(server_t *s)
{
    if (mech == MECH_UDP)
        return s->server_fd;
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        die("accept4");
    if (mech == MECH_TCP)
        nodelay(fd);
    return fd;
}

static int client_connect(server_t *s)
{
    int type = mech == MECH_UDP ? SOCK_DGRAM : SOCK_STREAM;
    int fd = socket(s->addr.ss_family, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket");
    if (mech == MECH_UDP) {
        struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (bind(fd, (struct sockaddr *)&me, sizeof me) < 0)
            die("bind");
    }
    if (connect(fd, (struct sockaddr *)&s->addr, s->addrlen) < 0)
        die("connect");
    if (mech == MECH_TCP)
        nodelay(fd);
    return fd;
}

static void cleanup(void);

/* Ctrl-C or kill: the socket file and its directory go too (unlink and
 * rmdir are safe in a signal handler). */
static void on_stop_signal(int sig)
{
    if (sockpath[0])
        unlink(sockpath);
    if (rundir[0])
        rmdir(rundir);
    _exit(128 + sig);
}

static void cleanup(void)
{
    if (sockpath[0])
        unlink(sockpath);
    if (rundir[0])
        scope_rundir_remove(rundir);
}

/* ---- ping-pong ---------------------------------------------------------- */

static uv_floor_kind_t uv_kind(void)
{
    return mech == MECH_UDP ? UV_FLOOR_UDP : mech == MECH_TCP ? UV_FLOOR_TCP : UV_FLOOR_PIPE;
}

static void pingpong_server(int fd)
{
    char buf[MSG_BYTES];
    if (getenv("BENCH_UV")) {
        uv_floor_serve(uv_kind(), fd, fd, MSG_BYTES);
        return;
    }
    if (mech == MECH_UDP) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        for (;;) {
            wait_readable(fd);
            ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &plen);
            if (n <= 0 || n != MSG_BYTES) /* a short datagram is the client's "bye" */
                return;
            if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, plen) != n)
                return;
        }
    }
    for (;;) {
        wait_readable(fd);
        if (bench_read_full(fd, buf, MSG_BYTES) < 0 || write(fd, buf, MSG_BYTES) != MSG_BYTES)
            return;
    }
}

static int pingpong(server_t *s, long n)
{
    char msg[MSG_BYTES], buf[MSG_BYTES];
    memset(msg, 'x', sizeof msg);
    int fd = client_connect(s);
    scope_hist_t hist;
    scope_hist_reset(&hist);
    if (getenv("BENCH_UV")) {
        /* libuv closes the fd it is given; udp still needs fd for its bye. */
        int own = dup(fd);
        if (own < 0 || uv_floor_pingpong(uv_kind(), own, own, msg, MSG_BYTES, n, &hist) < 0)
            die("the libuv ping-pong");
        n = 0; /* done: straight on to the bye and the summary */
    }
    for (long i = 0; i < n + n / 10; i++) {
        uint64_t t = scope_time_now_ns();
        if (write(fd, msg, MSG_BYTES) != MSG_BYTES)
            die("write");
        wait_readable(fd);
        /* A datagram comes whole or not at all; over loopback, with one in
         * flight, it comes. */
        if (mech == MECH_UDP ? read(fd, buf, sizeof buf) != MSG_BYTES : bench_read_full(fd, buf, MSG_BYTES) < 0)
            die("read");
        if (i >= n / 10)
            scope_hist_add(&hist, scope_time_now_ns() - t);
    }
    if (mech == MECH_UDP && write(fd, "", 0) < 0) /* the empty datagram: bye */
        die("write");
    close(fd);
    scope_hist_summary_t sum;
    scope_hist_summarize(&hist, &sum);
    static const char *names[] = {"unix", "tcp", "udp"};
    printf("{\"what\":\"raw %s ping-pong%s\",\"n\":%llu,\"p50\":%llu,\"p99\":%llu,\"mean\":%.0f}\n",
           names[mech],
           getenv("BENCH_UV") ? ", libuv" : getenv("BENCH_EPOLL") ? ", epoll" : "", (unsigned long long)sum.count, (unsigned long long)sum.p50,
           (unsigned long long)sum.p99, sum.mean);
    return 0;
}

/* ---- one-way stream ----------------------------------------------------------- */

/* The server counts bytes until EOF (stream) or the empty end datagram (udp),
 * then answers with the count as 8 bytes, so that the client's clock stops
 * only when everything sent has been received. */
static void stream_server(int fd)
{
    static char buf[STREAM_CHUNK];
    uint64_t got = 0, dgrams = 0;
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    if (mech == MECH_UDP) {
        int big = 8 * 1024 * 1024;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
        for (;;) {
            ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &plen);
            if (n < 0)
                return;
            if (n == 0)
                break;
            got += (uint64_t)n;
            dgrams++;
        }
        uint64_t answer[2] = {got, dgrams};
        sendto(fd, answer, sizeof answer, 0, (struct sockaddr *)&peer, plen);
        return;
    }
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        got += (uint64_t)n;
    }
    uint64_t answer[2] = {got, 0};
    if (write(fd, answer, sizeof answer) < 0)
        return;
}

static int stream(server_t *s, uint64_t bytes)
{
    static char chunk[STREAM_CHUNK];
    memset(chunk, 'x', sizeof chunk);
    int fd = client_connect(s);
    size_t unit = mech == MECH_UDP ? UDP_DGRAM : STREAM_CHUNK;
    uint64_t sent = 0, sent_dgrams = 0;
    uint64_t t = scope_time_now_ns();
    while (sent < bytes) {
        size_t len = bytes - sent < unit ? (size_t)(bytes - sent) : unit;
        ssize_t n = write(fd, chunk, len);
        if (n < 0 && (errno == ENOBUFS || errno == ECONNREFUSED))
            continue; /* udp: the local queue was full, or a stale ICMP error */
        if (n <= 0)
            die("write");
        sent += (uint64_t)n;
        sent_dgrams++;
    }
    uint64_t answer[2] = {0, 0};
    if (mech == MECH_UDP) {
        /* The end mark may itself be dropped when the receiver's buffer is
         * full: send it until the answer comes. */
        struct timeval tv = {0, 200 * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        for (int i = 0; i < 50; i++) {
            if (write(fd, "", 0) < 0 && errno != ECONNREFUSED)
                die("write");
            if (read(fd, answer, sizeof answer) == (ssize_t)sizeof answer)
                break;
        }
    } else {
        shutdown(fd, SHUT_WR);
        if (bench_read_full(fd, (char *)answer, sizeof answer) < 0)
            die("read the server's count");
    }
    double secs = (double)(scope_time_now_ns() - t) / 1e9;
    close(fd);
    static const char *names[] = {"unix", "tcp", "udp"};
    if (mech == MECH_UDP)
        printf("{\"what\":\"raw udp stream\",\"bytes\":%llu,\"mb_s\":%.1f,\"sent\":%llu,\"lost\":%llu}\n",
               (unsigned long long)answer[0], (double)answer[0] / 1e6 / secs,
               (unsigned long long)sent_dgrams,
               (unsigned long long)(sent_dgrams - (answer[1] < sent_dgrams ? answer[1] : sent_dgrams)));
    else
        printf("{\"what\":\"raw %s stream\",\"bytes\":%llu,\"mb_s\":%.1f}\n", names[mech],
               (unsigned long long)answer[0], (double)answer[0] / 1e6 / secs);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_sock unix|tcp|udp pingpong N\n"
                    "       bench_sock unix|tcp|udp stream BYTES\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return usage();
    if (strcmp(argv[1], "unix") == 0)
        mech = MECH_UNIX;
    else if (strcmp(argv[1], "tcp") == 0)
        mech = MECH_TCP;
    else if (strcmp(argv[1], "udp") == 0)
        mech = MECH_UDP;
    else
        return usage();
    int is_pingpong = strcmp(argv[2], "pingpong") == 0;
    if (!is_pingpong && strcmp(argv[2], "stream") != 0)
        return usage();
    char *end;
    unsigned long long arg = strtoull(argv[3], &end, 10);
    if (*end != '\0' || arg == 0)
        return usage();

    signal(SIGPIPE, SIG_IGN);
    server_t s;
    server_prepare(&s);
    atexit(cleanup);
    signal(SIGINT, on_stop_signal);
    signal(SIGTERM, on_stop_signal);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        bench_pin_child();
        int fd = server_accept(&s);
        if (is_pingpong)
            pingpong_server(fd);
        else
            stream_server(fd);
        _exit(0);
    }
    int r = is_pingpong ? pingpong(&s, (long)arg) : stream(&s, arg);
    if (s.listen_fd >= 0)
        close(s.listen_fd);
    if (s.server_fd >= 0)
        close(s.server_fd);
    waitpid(pid, NULL, 0);
    return r;
}
