/* bench_redis_rtt: the floor of a pub/sub round trip through redis-server,
 * and the round trips of the two queues without a broker, for
 * bench/message_queue.sh. Blocking calls only, no event loop, no tracing:
 * what is left is the mechanism's own cost.
 *
 *   bench_redis_rtt redis SOCK N   fork an echo (SUBSCRIBE ping; each
 *                                  message PUBLISHed back on pong), then
 *                                  N times: PUBLISH ping, read the pong
 *                                  (hiredis, redisCommand/redisGetReply),
 *                                  the shape of the demo's step 8
 *   bench_redis_rtt mq N           two POSIX queues, a forked echo:
 *                                  mq_send, mq_receive the answer
 *   bench_redis_rtt zmq N          PUSH/PULL both ways over
 *                                  tcp://127.0.0.1, a forked echo
 *
 * N/10 untimed round trips first; then one JSON line:
 * {"what":...,"n":N,"p50":ns,"p99":ns,"mean":ns}.
 */
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <zmq.h>

#include "timing.h"

#define MSG "ping 12345 0123456789012345678901234567890123456789012345678901" /* 64 B */

static scope_hist_t hist;

static void report(const char *what, long n)
{
    scope_hist_summary_t s;
    scope_hist_summarize(&hist, &s);
    printf("{\"what\":\"%s\",\"n\":%ld,\"p50\":%llu,\"p99\":%llu,\"mean\":%.0f}\n", what, n,
           (unsigned long long)s.p50, (unsigned long long)s.p99, s.mean);
}

static pid_t fork_echo(void (*echo)(void *), void *arg)
{
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        echo(arg);
        _exit(0);
    }
    return pid;
}

/* ---- redis: PUBLISH ping -> echo -> PUBLISH pong ------------------------ */

static void redis_echo(void *sock)
{
    redisContext *sub = redisConnectUnix(sock), *pub = redisConnectUnix(sock);
    redisReply *r = redisCommand(sub, "SUBSCRIBE bench:ping");
    freeReplyObject(r);
    while (redisGetReply(sub, (void **)&r) == REDIS_OK) {
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[2]->type == REDIS_REPLY_STRING)
            freeReplyObject(redisCommand(pub, "PUBLISH bench:pong %b", r->element[2]->str,
                                         r->element[2]->len));
        freeReplyObject(r);
    }
}

static int bench_redis(const char *sock, long n)
{
    pid_t echo = fork_echo(redis_echo, (void *)sock);
    redisContext *pub = redisConnectUnix(sock), *sub = redisConnectUnix(sock);
    if (!pub || pub->err || !sub || sub->err)
        return 1;
    redisReply *r;
    for (;;) { /* the echo listens once PUBSUB NUMSUB says 1 */
        r = redisCommand(pub, "PUBSUB NUMSUB bench:ping");
        int ready = r && r->elements == 2 && r->element[1]->integer > 0;
        freeReplyObject(r);
        if (ready)
            break;
        usleep(1000);
    }
    freeReplyObject(redisCommand(sub, "SUBSCRIBE bench:pong"));
    for (long i = -n / 10; i < n; i++) {
        uint64_t t0 = scope_time_now_ns();
        freeReplyObject(redisCommand(pub, "PUBLISH bench:ping %s", MSG));
        if (redisGetReply(sub, (void **)&r) != REDIS_OK)
            return 1;
        freeReplyObject(r);
        if (i >= 0)
            scope_hist_add(&hist, scope_time_now_ns() - t0);
    }
    report("redis", n);
    kill(echo, SIGKILL);
    waitpid(echo, NULL, 0);
    redisFree(pub);
    redisFree(sub);
    return 0;
}

/* ---- POSIX mq: two queues, one each way -------------------------------- */

static char mq_names[2][48];

static void mq_echo(void *arg)
{
    (void)arg;
    mqd_t in = mq_open(mq_names[0], O_RDONLY), out = mq_open(mq_names[1], O_WRONLY);
    char buf[128];
    unsigned prio;
    ssize_t len;
    while ((len = mq_receive(in, buf, sizeof buf, &prio)) >= 0)
        mq_send(out, buf, (size_t)len, 0);
}

static int bench_mq(long n)
{
    struct mq_attr a = {.mq_maxmsg = 4, .mq_msgsize = 128};
    char buf[128];
    for (int i = 0; i < 2; i++) {
        snprintf(mq_names[i], sizeof mq_names[i], "/ipcscope-bench.%d.%d", (int)getpid(), i);
        if (mq_open(mq_names[i], O_CREAT | O_EXCL | O_RDWR, 0600, &a) == (mqd_t)-1)
            return 1;
    }
    mqd_t out = mq_open(mq_names[0], O_WRONLY), in = mq_open(mq_names[1], O_RDONLY);
    pid_t echo = fork_echo(mq_echo, NULL);
    for (long i = -n / 10; i < n; i++) {
        uint64_t t0 = scope_time_now_ns();
        mq_send(out, MSG, strlen(MSG), 0);
        if (mq_receive(in, buf, sizeof buf, NULL) < 0)
            break;
        if (i >= 0)
            scope_hist_add(&hist, scope_time_now_ns() - t0);
    }
    kill(echo, SIGKILL);
    waitpid(echo, NULL, 0);
    mq_unlink(mq_names[0]);
    mq_unlink(mq_names[1]);
    report("posix-mq", n);
    return 0;
}

/* ---- ZeroMQ: PUSH/PULL each way over loopback TCP ---------------------- */

/* The echo binds both (ports the kernel picks) and writes them to a pipe,
 * so that neither process forks with libzmq's threads running. */
static void zmq_echo(void *arg)
{
    int fd = *(int *)arg;
    void *ctx = zmq_ctx_new(), *in = zmq_socket(ctx, ZMQ_PULL), *out = zmq_socket(ctx, ZMQ_PUSH);
    char eps[2][64], buf[128];
    size_t len = sizeof eps[0];
    zmq_bind(in, "tcp://127.0.0.1:*");
    zmq_getsockopt(in, ZMQ_LAST_ENDPOINT, eps[0], &len);
    zmq_bind(out, "tcp://127.0.0.1:*");
    len = sizeof eps[1];
    zmq_getsockopt(out, ZMQ_LAST_ENDPOINT, eps[1], &len);
    if (write(fd, eps, sizeof eps) != (ssize_t)sizeof eps)
        return;
    int n;
    while ((n = zmq_recv(in, buf, sizeof buf, 0)) >= 0)
        zmq_send(out, buf, (size_t)n, 0);
}

static int bench_zmq(long n)
{
    int p[2];
    char eps[2][64], buf[128];
    if (pipe(p) < 0)
        return 1;
    pid_t echo = fork_echo(zmq_echo, &p[1]);
    if (read(p[0], eps, sizeof eps) != (ssize_t)sizeof eps)
        return 1;
    void *ctx = zmq_ctx_new(), *out = zmq_socket(ctx, ZMQ_PUSH), *in = zmq_socket(ctx, ZMQ_PULL);
    int linger = 0;
    zmq_setsockopt(out, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(out, eps[0]);
    zmq_connect(in, eps[1]);
    for (long i = -n / 10; i < n; i++) {
        uint64_t t0 = scope_time_now_ns();
        zmq_send(out, MSG, strlen(MSG), 0);
        if (zmq_recv(in, buf, sizeof buf, 0) < 0)
            break;
        if (i >= 0)
            scope_hist_add(&hist, scope_time_now_ns() - t0);
    }
    kill(echo, SIGKILL);
    waitpid(echo, NULL, 0);
    zmq_close(out);
    zmq_close(in);
    zmq_ctx_term(ctx);
    report("zmq", n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "redis") == 0)
        return bench_redis(argv[2], atol(argv[3]));
    if (argc == 3 && strcmp(argv[1], "mq") == 0)
        return bench_mq(atol(argv[2]));
    if (argc == 3 && strcmp(argv[1], "zmq") == 0)
        return bench_zmq(atol(argv[2]));
    fprintf(stderr, "usage: bench_redis_rtt redis SOCK N | mq N | zmq N\n");
    return 2;
}
