/* message-queue: what each file of the demo offers to main.c (the story:
 * message-queue.c).
 */
#ifndef MESSAGE_QUEUE_H
#define MESSAGE_QUEUE_H

#include <limits.h>
#include <stdint.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "broker.h"
#include "demo.h"
#include "role.h"
#include "trace.h"

/* The articles' channels (000/001, then 004), and the steady part's. */
#define MQ_CHANNEL    "channel"
#define MQ_MY_CHANNEL "my-channel"
/* Every trace of the demo, in both processes, names one channel: the
 * dashboard shows one pub/sub channel, with step 5's round trips. */
#define MQ_CHAN       "pubsub"
#define MQ_TEXT_MAX   512 /* a message's text, at most */

/* Where the clients connect: the private server, or --redis URL. */
typedef struct {
    char url[PATH_MAX + 8]; /* "unix:/run/user/1000/ipcscope-redis.X/redis.sock" */
    char path[PATH_MAX];    /* a Unix socket, or "" */
    char host[256];
    int port;
    scope_end_t end;        /* the redis-server lane: its pid, or a peer by name */
    long pid;               /* the private server's pid, or -1 */
    int lean;               /* --attach lean: mq_connect uses attach.c, not the adapter */
} mq_broker_t;

/* The whole run, hung off demo.data: main.c sets the options, server.c the
 * broker and server (step 1), message-queue.c the rest; the other files
 * only read it. */
typedef struct mq_s {
    /* options */
    const char *redis;    /* --redis URL, or NULL for a private server */
    long long server_pid; /* --server-pid: the subscriber's lane of the server */
    const char *fault;    /* --fault kill: the subscriber is killed once in the steady part */
    const char *zmq_connect; /* --connect ENDPOINT: the puller's (with --role puller) */
    const char *mq_name;     /* --mq NAME: the kernel queue's receiver (--role mq-receiver) */
    const char *attach;      /* --attach adapter|lean: how hiredis sits on the loop */

    /* the first process */
    scope_demo_t *demo;
    mq_broker_t broker;
    scope_redis_t server;      /* the private redis-server */
    redisAsyncContext *pub;    /* the publisher's connection */
    scope_role_t subscriber;   /* this program again, --role subscriber */
    scope_trace_t trace;       /* the lesson's messages */
    char ping_ch[48], pong_ch[48];
    long restarts;
    int quitting, restart_pending;
    uv_timer_t later; /* "again in a moment": the subscriber's restart, the NUMSUB poll */
    void (*on_subscribed)(struct mq_s *m); /* the subscriber is listening */
    int articles; /* step 2: 1 PUBLISHed, 2 received (the subscriber's report) */
} mq_t;

/* message-queue.c: step 2, and what the other steps use. */
void mq_pubsub(scope_demo_t *d);
void mq_quit(scope_demo_t *d); /* the connections, the subscriber, the server */
void mq_kill_subscriber(scope_demo_t *d); /* the "kill" fault: SIGKILL, back in 1 s */
/* A connection to the broker on d's loop (hiredis + its libuv adapter);
 * NULL after an error event that names the URL. */
redisAsyncContext *mq_connect(scope_demo_t *d, const mq_broker_t *b, void *data,
                              const char *who);

/* attach.c (--attach lean): hiredis on the loop without the adapter's
 * epoll_ctl per command; REDIS_OK or REDIS_ERR, as redisLibuvAttach. */
int mq_attach_lean(redisAsyncContext *c, uv_loop_t *loop);

/* server.c, step 1: our own redis-server, or --redis URL checked. */
void mq_broker(scope_demo_t *d);
/* Reads URL (or the private server's socket) into b. Returns 0 or -EINVAL. */
int mq_broker_set(mq_broker_t *b, const char *url, long pid);

/* subscriber.c: --role subscriber: SUBSCRIBE, print, answer the pings. */
int mq_subscriber(scope_demo_t *d, mq_t *m);
/* race.c, step 3: SUBSCRIBE and PUBLISH back to back on fresh connections. */
void mq_race(scope_demo_t *d);
/* missed.c, step 4: a subscriber that is down misses what is published. */
void mq_missed(scope_demo_t *d);
/* queue.c, step 6: LPUSH, a worker's BLMOVE, a killed worker's task
 * recovered with LMOVE; stop: its connection and timer. */
void mq_queue(scope_demo_t *d);
void mq_queue_stop(scope_demo_t *d);
int mq_worker(scope_demo_t *d, mq_t *m); /* worker.c: --role worker */
/* steady.c, step 6: ping -> subscriber -> pong, timed, at --rate until
 * --count; then scope_demo_next. stop: its connections and timers (safe
 * when it never ran); bye: its figures and a sentence. */
void mq_steady(scope_demo_t *d);
void mq_steady_stop(scope_demo_t *d);
void mq_steady_bye(cJSON *summary, char *text, size_t n);
/* zmq.c, step 5: ZeroMQ push/pull, no broker; the puller in puller.c
 * (--role puller). stop: its socket, handles and context (safe when it
 * never ran). */
void mq_zmq(scope_demo_t *d);
void mq_zmq_stop(scope_demo_t *d);
int mq_puller(scope_demo_t *d, mq_t *m);
/* posix_mq.c, step 6: the kernel's own queue (mq_open), with its receiver
 * (--role mq-receiver); stop: the queue closed and unlinked. */
void mq_posix(scope_demo_t *d);
void mq_posix_stop(scope_demo_t *d);
int mq_posix_receiver(scope_demo_t *d, mq_t *m);
/* streams.c, the Streams step: XADD, a consumer group of two, a killed consumer's
 * entry XAUTOCLAIMed by the other, a late reader; stop: its connection
 * and timer. consumer.c: --role alice or bob, the consumers. */
void mq_streams(scope_demo_t *d);
void mq_streams_stop(scope_demo_t *d);
int mq_is_consumer(const char *role);
int mq_consumer(scope_demo_t *d, mq_t *m);
/* persist.c, the persistence step: an appendonly redis-server killed and started again:
 * the stream and its group are still there. */
void mq_persist(scope_demo_t *d);
void mq_persist_stop(scope_demo_t *d);
/* badinput.c: an oversize message refused, a malformed stream
 * entry to a dead-letter stream. */
void mq_badinput(scope_demo_t *d);
void mq_badinput_stop(scope_demo_t *d);
/* slow.c: a subscriber that stops reading, cut off by
 * client-output-buffer-limit pubsub. */
void mq_slow(scope_demo_t *d);
void mq_slow_stop(scope_demo_t *d);
/* faults.c (--fault broker): the broker killed mid-run; the
 * clients reconnect with backoff. The *_stop calls are safe when the step
 * never ran, and never move the lesson on. */
void mq_broker_fault(scope_demo_t *d);
void mq_broker_fault_stop(scope_demo_t *d);

#endif
