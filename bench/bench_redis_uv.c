/* bench_redis_uv: the pub/sub round trip of bench/message_queue.sh with
 * hiredis's async API on a bare libuv loop (adapters/libuv.h), at both
 * ends: the libuv baseline that a program on libuv, such as the demo,
 * cannot beat. No lib/ tracing, no pacer, no straggler timer: the next
 * PUBLISH goes from the pong's own callback.
 *
 *   bench_redis_uv rtt SOCK N [flush]   fork an echo (SUBSCRIBE bench:ping,
 *                                       each message PUBLISHed back on
 *                                       bench:pong, both on libuv), then N
 *                                       timed round trips after N/10 untimed;
 *                                       with "flush", each command is written
 *                                       at once (redisAsyncHandleWrite) rather
 *                                       than on the loop's next UV_WRITABLE
 *   bench_redis_uv rtt SOCK N lean      the demo's attach.c rather than
 *                                       adapters/libuv.h: uv_poll_start only
 *                                       when the events change (libuv's is an
 *                                       epoll_ctl DEL and ADD each time), the
 *                                       commands of a loop turn written in one
 *                                       write() just before the loop waits:
 *                                       what the adapter's churn costs
 *   bench_redis_uv window SOCK N D [lean]  pipelined: D PUBLISHes in flight
 *                                       through the same echo, a new one per
 *                                       pong; N pongs counted
 *   bench_redis_uv publish SOCK N D [lean] D PUBLISHes in flight to a channel
 *                                       nobody subscribes to, a new one per
 *                                       reply: redis-benchmark -P's shape
 *
 * One JSON line: rtt {"what","n","p50","p99","mean"} (ns); window and
 * publish {"what","n","depth","per_s"}.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <uv.h>

#include "timing.h"

#define MSG "ping 12345 0123456789012345678901234567890123456789012345678901" /* 64 B */

static struct {
    uv_loop_t *loop;
    redisAsyncContext *pub, *sub;
    int flush, lean, depth;
    long n, sent, done, warm;
    uint64_t t0, start_ns;
    scope_hist_t hist;
    uv_timer_t wait;
    const char *mode;
} b;

/* "lean": the demo's own attach.c (--attach lean), compiled in as it is,
 * so that this row measures exactly what the demo runs. */
#include "../demos/message-queue/attach.c"

static redisAsyncContext *connect_uv(const char *sock)
{
    redisAsyncContext *c = redisAsyncConnectUnix(sock);
    if (!c || c->err) {
        fprintf(stderr, "bench_redis_uv: connect %s: %s\n", sock, c ? c->errstr : "no memory");
        exit(1);
    }
    if (b.lean)
        mq_attach_lean(c, b.loop);
    else
        redisLibuvAttach(c, b.loop);
    return c;
}

/* Written now with "flush" (else when the loop next sees the fd writable,
 * as hiredis's adapter does, or just before the loop waits, as attach.c
 * does). */
static void flush(redisAsyncContext *c)
{
    if (b.flush)
        redisAsyncHandleWrite(c);
}

static void command(redisAsyncContext *c, redisCallbackFn *fn, const char *fmt, const char *arg)
{
    redisAsyncCommand(c, fn, NULL, fmt, arg, (size_t)strlen(arg));
    flush(c);
}

/* ---- the echo: SUBSCRIBE bench:ping, PUBLISH each back on bench:pong ---- */

static void on_echo(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)c, (void)priv;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
        r->element[2]->type == REDIS_REPLY_STRING) {
        redisAsyncCommand(b.pub, NULL, NULL, "PUBLISH bench:pong %b", r->element[2]->str,
                          (size_t)r->element[2]->len);
        flush(b.pub);
    }
}

static void echo(const char *sock)
{
    b.loop = uv_default_loop();
    b.sub = connect_uv(sock);
    b.pub = connect_uv(sock);
    redisAsyncCommand(b.sub, on_echo, NULL, "SUBSCRIBE bench:ping");
    flush(b.sub);
    uv_run(b.loop, UV_RUN_DEFAULT);
}

/* ---- the timing end ----------------------------------------------------- */

static void on_pong(redisAsyncContext *c, void *reply, void *priv);

static void send_ping(void)
{
    b.sent++;
    if (b.sent == 1 || !b.depth)
        b.t0 = scope_time_now_ns();
    command(b.pub, NULL, "PUBLISH bench:ping %b", MSG);
}

static void finish(void)
{
    uint64_t ns = scope_time_now_ns() - b.start_ns;
    if (b.depth)
        printf("{\"what\":\"%s%s\",\"n\":%ld,\"depth\":%d,\"per_s\":%.0f}\n", b.mode,
               b.lean ? "-lean" : "", b.n, b.depth,
               (double)b.n * 1e9 / (double)ns);
    else {
        scope_hist_summary_t s;
        scope_hist_summarize(&b.hist, &s);
        printf("{\"what\":\"redis-uv%s\",\"n\":%ld,\"p50\":%llu,\"p99\":%llu,\"mean\":%.0f}\n",
               b.lean ? "-lean" : b.flush ? "-flush" : "", b.n, (unsigned long long)s.p50,
               (unsigned long long)s.p99, s.mean);
    }
    fflush(stdout);
    redisAsyncDisconnect(b.pub);
    if (b.sub)
        redisAsyncDisconnect(b.sub);
}

/* One more answered: counted (after the warm-up), and the next one sent. */
static void answered(void)
{
    if (++b.done == b.warm)
        b.start_ns = scope_time_now_ns();
    else if (b.done > b.warm && !b.depth)
        scope_hist_add(&b.hist, scope_time_now_ns() - b.t0);
    if (b.done == b.warm + b.n)
        finish();
    else if (b.sent < b.warm + b.n)
        send_ping();
}

static void on_pong(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)c, (void)priv;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3)
        return;
    if (strcmp(r->element[0]->str, "subscribe") == 0) {
        b.start_ns = scope_time_now_ns();
        for (int i = 0; i < (b.depth ? b.depth : 1); i++)
            send_ping();
        return;
    }
    answered();
}

static void on_numsub(redisAsyncContext *c, void *reply, void *priv);

static void ask_numsub(uv_timer_t *t)
{
    (void)t;
    redisAsyncCommand(b.pub, on_numsub, NULL, "PUBSUB NUMSUB bench:ping");
    flush(b.pub);
}

/* The echo listens once PUBSUB NUMSUB says 1. */
static void on_numsub(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)c, (void)priv;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->integer > 0)
        redisAsyncCommand(b.sub, on_pong, NULL, "SUBSCRIBE bench:pong"), flush(b.sub);
    else
        uv_timer_start(&b.wait, ask_numsub, 1, 0);
}

/* publish: PUBLISH to nobody, a new one per reply. */
static void on_reply(redisAsyncContext *c, void *reply, void *priv)
{
    (void)c, (void)priv;
    if (!reply)
        return;
    if (++b.done == b.warm)
        b.start_ns = scope_time_now_ns();
    if (b.done == b.warm + b.n)
        finish();
    else if (b.sent < b.warm + b.n) {
        b.sent++;
        command(b.pub, on_reply, "PUBLISH bench:nobody %b", MSG);
    }
}

int main(int argc, char **argv)
{
    if (argc < 4 || (strcmp(argv[1], "rtt") && strcmp(argv[1], "window") &&
                     strcmp(argv[1], "publish"))) {
        fprintf(stderr, "usage: bench_redis_uv rtt SOCK N [flush|lean] | window SOCK N DEPTH [lean] | "
                        "publish SOCK N DEPTH [lean]\n");
        return 2;
    }
    const char *sock = argv[2];
    b.mode = argv[1];
    b.n = atol(argv[3]);
    b.warm = b.n / 10;
    if (strcmp(b.mode, "rtt") == 0) {
        b.lean = argc > 4 && strcmp(argv[4], "lean") == 0;
        b.flush = argc > 4 && strcmp(argv[4], "flush") == 0;
    } else {
        b.depth = argc > 4 ? atoi(argv[4]) : 16;
        b.lean = argc > 5 && strcmp(argv[5], "lean") == 0;
    }
    if (b.n < 1 || (b.depth && (b.depth < 1 || b.depth > 1024)))
        return 2;
    signal(SIGPIPE, SIG_IGN);
    pid_t child = -1;
    if (strcmp(b.mode, "publish") != 0) { /* the echo, before this process has a loop */
        child = fork();
        if (child == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            echo(sock);
            _exit(0);
        }
    }
    b.loop = uv_default_loop();
    uv_timer_init(b.loop, &b.wait);
    b.pub = connect_uv(sock);
    if (child < 0) {
        b.start_ns = scope_time_now_ns();
        for (int i = 0; i < b.depth; i++, b.sent++)
            command(b.pub, on_reply, "PUBLISH bench:nobody %b", MSG);
    } else {
        b.sub = connect_uv(sock);
        ask_numsub(NULL);
    }
    uv_unref((uv_handle_t *)&b.wait);
    uv_run(b.loop, UV_RUN_DEFAULT);
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    uv_close((uv_handle_t *)&b.wait, NULL);
    uv_run(b.loop, UV_RUN_NOWAIT);
    return 0;
}
