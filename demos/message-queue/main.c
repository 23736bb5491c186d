/* message-queue: Redis pub/sub on a real redis-server with the lid off (the
 * story: message-queue.c).
 *
 * The lesson table below, one file a step: 1 the broker (server.c), 2 the
 * articles' pub/sub (message-queue.c, subscriber.c as the subscriber), 3 the
 * race of fresh connections (race.c), 4 a subscriber that is down
 * (missed.c); the queues without Redis: 5 ZeroMQ push/pull (zmq.c, puller.c)
 * and 6 the kernel's POSIX queue (posix_mq.c, mq_receiver.c); 7 a work
 * queue (queue.c, worker.c), 8 Streams (streams.c, consumer.c), 9
 * persistence (persist.c), 10 bad input (badinput.c), 11 a slow subscriber
 * (slow.c), 12 the broker killed mid-run (faults.c), 13 the round trips
 * (steady.c). attach.c is --attach lean: hiredis on the loop without the
 * adapter's epoll_ctl per write.
 *
 *   message-queue                         the lesson, then --count pings
 *   message-queue --redis unix:/run/redis/redis.sock   an existing server
 *   message-queue --fault kill            the subscriber is killed mid-run
 *   message-queue --fault broker          a redis-server is killed mid-run
 */
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "message-queue.h"

static const scope_demo_info_t info = {
    "message-queue",
    "Redis pub/sub on a real redis-server",
    "A private redis-server on a Unix socket; SUBSCRIBE and PUBLISH between two processes, "
    "the race the articles leave in, and what a subscriber that is down misses.",
    "000 001 004",
    "消息队列 | 中 | ✅ | 高 | 分布式解耦",
    "kill",
};

static const scope_demo_lesson_t lesson[] = {
    {N_("the broker: redis-server on a private Unix socket, no TCP port"), mq_broker},
    {N_("SUBSCRIBE channel; PUBLISH channel hello; my-channel (articles 000/001/004)"), mq_pubsub},
    {N_("back to back on fresh connections: PUBLISH may land first, and says 0"), mq_race},
    {N_("a subscriber that is down misses everything: pub/sub stores nothing"), mq_missed},
    {N_("ZeroMQ PUSH/PULL, no broker: a late puller, the high-water mark, EAGAIN"), mq_zmq},
    {N_("the kernel's own queue: mq_open, priorities, /dev/mqueue, EAGAIN when full"), mq_posix},
    {N_("a work queue: LPUSH, a worker's BLMOVE, a killed worker's task recovered"), mq_queue},
    {N_("Streams: XADD, a group of two, XACK; a killed consumer's entry XAUTOCLAIMed"), mq_streams},
    {N_("persistence: an appendonly redis-server killed and restarted; the stream is there"),
     mq_persist},
    {N_("bad input: an oversize message refused; a malformed entry to a dead-letter stream"),
     mq_badinput},
    {N_("a slow subscriber cut off by client-output-buffer-limit pubsub"), mq_slow},
    {N_("the broker killed mid-run (--fault broker): reconnect with backoff"), mq_broker_fault},
    {N_("round trips: PUBLISH ping, the subscriber PUBLISHes it back"), mq_steady},
    {NULL, NULL},
};

static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    if (strcmp(cmd, "fault") == 0 && strcmp(d->fault, "kill") == 0)
        mq_kill_subscriber(d);
}

/* A quit, or the lesson's end: step 13's pings stop, then the connections,
 * the subscriber and, last, the server. */
static void on_quit(scope_demo_t *d)
{
    mq_steady_stop(d);
    mq_zmq_stop(d);
    mq_posix_stop(d);
    mq_queue_stop(d);
    mq_streams_stop(d);
    mq_persist_stop(d);
    mq_badinput_stop(d);
    mq_slow_stop(d);
    mq_broker_fault_stop(d);
    mq_quit(d);
}

int main(int argc, char **argv)
{
    mq_t o = {.server_pid = -1}, *m = &o;
    const scope_demo_option_t options[] = {
        {"redis", "URL", "an existing server (unix:PATH or redis://HOST:PORT) instead of our own",
         SCOPE_OPT_TEXT, &o.redis},
        {"fault", "kill|broker", "kill the subscriber once, after the third ping; or (broker) "
         "a redis-server mid-run, which the clients reconnect to", SCOPE_OPT_WORD,
         &o.fault, 0, 0, "kill broker"},
        {"server-pid", "PID", "the subscriber: the private server's pid (with --role)",
         SCOPE_OPT_NUMBER, &o.server_pid, -1, 1 << 22},
        {"connect", "ENDPOINT", "the puller: the pusher's tcp:// endpoint (with --role puller)",
         SCOPE_OPT_TEXT, &o.zmq_connect},
        {"mq", "NAME", "the receiver: the POSIX queue's name (with --role mq-receiver)",
         SCOPE_OPT_TEXT, &o.mq_name},
        {"attach", "adapter|lean", "how hiredis sits on the loop: hiredis's libuv adapter "
         "(default), or attach.c's, without an epoll_ctl per command", SCOPE_OPT_WORD,
         &o.attach, 0, 0, "adapter lean"},
        {NULL, NULL, NULL},
    };
    scope_demo_t demo = {.data = m};
    int r = scope_demo_parse(&demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    o.broker.lean = o.attach && strcmp(o.attach, "lean") == 0;
    if (demo.role && strcmp(demo.role, "worker") == 0)
        return mq_worker(&demo, m);
    if (demo.role && strcmp(demo.role, "puller") == 0)
        return mq_puller(&demo, m);
    if (demo.role && strcmp(demo.role, "mq-receiver") == 0)
        return mq_posix_receiver(&demo, m);
    if (demo.role && mq_is_consumer(demo.role))
        return mq_consumer(&demo, m);
    if (demo.role)
        return mq_subscriber(&demo, m);

    demo.on_quit = on_quit;
    demo.on_control = on_control;
    demo.on_lesson_end = on_quit;
    if (scope_demo_start(&demo, uv_default_loop(), "publisher", 1) < 0)
        return 1;
    m->demo = &demo;
    scope_demo_lesson(&demo, lesson);
    int code = scope_demo_run(&demo);
    scope_role_kill_all(&demo);
    scope_spawn_shutdown(demo.loop);
    uv_run(demo.loop, UV_RUN_NOWAIT);

    char text[256];
    cJSON *summary = cJSON_CreateObject();
    mq_steady_bye(summary, text, sizeof text);
    scope_demo_bye(&demo, summary, text);
    return code;
}
