/* bench_http: the load for bench/http.sh that wrk does not make, in plain
 * blocking C (no event loop, no tracing) so that the figures are the
 * server's.
 *
 *   bench_http get PORT N    N timed keep-alive request/response round trips
 *                            on one connection to 127.0.0.1:PORT (after N/10
 *                            untimed ones): GET / and the answer, read to its
 *                            body "pong"; TCP_NODELAY
 *   bench_http ws PORT N     N timed WebSocket round trips against GET /ws on
 *                            127.0.0.1:PORT (after N/10 untimed ones): a
 *                            masked 64-byte text frame out, and the server's
 *                            broadcast of it back (this is its only client,
 *                            so the broadcast is an echo); TCP_NODELAY
 *   bench_http idle PORT N   N keep-alive connections, each asking one GET
 *                            and reading its answer, then held open and idle;
 *                            prints {"held":..} once they are, then waits for
 *                            a line (or EOF) on stdin and closes them all
 *
 * RLIMIT_NOFILE is raised to its hard limit first; "nofile" in the output
 * says what it was, and "error" why the connections stopped short of N.
 *
 * Output, one JSON line:
 *   get   {"what":"http keep-alive round trip","n":N,"p50":ns,"p99":ns,"mean":ns}
 *   ws    {"what":"websocket round trip","n":N,"p50":ns,"p99":ns,"mean":ns}
 *   idle  {"held":H,"wanted":N,"nofile":L,"ms":T[,"error":".."]}
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MSG_BYTES 64

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int dial(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Reads until the bytes so far end with end (an answer's last bytes). */
static int read_until(int fd, char *buf, size_t cap, const char *end)
{
    size_t got = 0, n = strlen(end);
    while (got < cap - 1) {
        ssize_t r = read(fd, buf + got, cap - 1 - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
        buf[got] = 0;
        if (got >= n && !memcmp(buf + got - n, end, n))
            return 0;
    }
    return -1;
}

static int cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The line of a timed run: ns holds n round trips, unsorted. */
static void report(const char *what, uint64_t *ns, long n)
{
    uint64_t sum = 0;
    for (long i = 0; i < n; i++)
        sum += ns[i];
    qsort(ns, (size_t)n, sizeof *ns, cmp);
    printf("{\"what\":\"%s\",\"n\":%ld,\"p50\":%llu,\"p99\":%llu,\"mean\":%.0f}\n", what, n,
           (unsigned long long)ns[n / 2], (unsigned long long)ns[n * 99 / 100], (double)sum / (double)n);
}

static int get(int port, long n)
{
    char buf[512];
    const char *req = "GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: bench/1\r\n\r\n";
    int fd = dial(port);
    long warm = n / 10;
    uint64_t *ns = malloc(sizeof *ns * (size_t)n);
    if (fd < 0 || !ns) {
        fprintf(stderr, "bench_http: no connection to port %d\n", port);
        return 1;
    }
    for (long i = -warm; i < n; i++) {
        uint64_t t0 = now_ns();
        if (bench_write_full(fd, req, strlen(req)) < 0 || read_until(fd, buf, sizeof buf, "pong") < 0) {
            fprintf(stderr, "bench_http: no answer after %ld requests\n", i + warm);
            return 1;
        }
        if (i >= 0)
            ns[i] = now_ns() - t0;
    }
    report("http keep-alive round trip", ns, n);
    free(ns);
    close(fd);
    return 0;
}

static int ws(int port, long n)
{
    char buf[512];
    uint8_t frame[2 + 4 + MSG_BYTES], echo[2 + MSG_BYTES];
    int fd = dial(port);
    const char *up = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                     "User-Agent: bench/1\r\n\r\n";
    if (fd < 0 || bench_write_full(fd, up, strlen(up)) < 0
        || read_until(fd, buf, sizeof buf, "\r\n\r\n") < 0 || !strstr(buf, " 101 ")) {
        fprintf(stderr, "bench_http: no WebSocket upgrade on port %d\n", port);
        return 1;
    }
    /* FIN + text, then MASK + length 64, the mask, the masked payload. */
    frame[0] = 0x81, frame[1] = 0x80 | MSG_BYTES;
    memcpy(frame + 2, "\x12\x34\x56\x78", 4);
    for (int i = 0; i < MSG_BYTES; i++)
        frame[6 + i] = (uint8_t)('a' + i % 26) ^ frame[2 + i % 4];
    long warm = n / 10;
    uint64_t *ns = malloc(sizeof *ns * (size_t)n);
    if (!ns)
        return 1;
    for (long i = -warm; i < n; i++) {
        uint64_t t0 = now_ns();
        if (bench_write_full(fd, (char *)frame, sizeof frame) < 0
            || bench_read_full(fd, (char *)echo, sizeof echo) < 0 || echo[1] != MSG_BYTES) {
            fprintf(stderr, "bench_http: the echo stopped after %ld\n", i + warm);
            return 1;
        }
        if (i >= 0)
            ns[i] = now_ns() - t0;
    }
    report("websocket round trip", ns, n);
    free(ns);
    close(fd);
    return 0;
}

static int idle(int port, long n)
{
    struct rlimit rl;
    char buf[512];
    const char *get = "GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: bench/1\r\n\r\n", *why = NULL;
    int *fds = malloc(sizeof *fds * (size_t)n);
    long held = 0;
    /* One fd per connection: as many as the hard limit allows. */
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    uint64_t t0 = now_ns();
    while (fds && held < n) {
        int fd = dial(port);
        if (fd < 0) {
            why = strerror(errno);
            break;
        }
        if (bench_write_full(fd, get, strlen(get)) < 0 || read_until(fd, buf, sizeof buf,
                                                                     "pong") < 0) {
            why = "no answer";
            close(fd);
            break;
        }
        fds[held++] = fd;
    }
    printf("{\"held\":%ld,\"wanted\":%ld,\"nofile\":%llu,\"ms\":%.0f%s%s%s}\n", held, n,
           (unsigned long long)rl.rlim_cur, (double)(now_ns() - t0) / 1e6,
           why ? ",\"error\":\"" : "", why ? why : "", why ? "\"" : "");
    fflush(stdout);
    while (read(0, buf, sizeof buf) > 0 && !memchr(buf, '\n', sizeof buf))
        ;
    for (long i = 0; i < held; i++)
        close(fds[i]);
    free(fds);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "get") && strcmp(argv[1], "ws") && strcmp(argv[1], "idle"))) {
        fprintf(stderr, "usage: bench_http get|ws|idle PORT N\n");
        return 2;
    }
    int port = atoi(argv[2]);
    long n = atol(argv[3]);
    if (port <= 0 || n <= 0)
        return 2;
    return !strcmp(argv[1], "get") ? get(port, n) : !strcmp(argv[1], "ws") ? ws(port, n) : idle(port, n);
}
