/* streams.c, the Streams step: the persistence and retries the articles
 * promise. Pub/sub forgets (step 4); a list forgets who held what (step
 * 5's processing list is our own bookkeeping); a stream keeps every entry,
 * and a consumer group keeps, per consumer, what it was handed and has not
 * acknowledged.
 *
 *   1. XGROUP CREATE S workers $ MKSTREAM, then XADD S * task "task N".
 *   2. Two consumers (consumer.c), alice and bob, XREADGROUP and XACK.
 *   3. XPENDING S workers - + 10 shows who holds what; the first consumer
 *      seen holding an entry is killed (SIGKILL) before its XACK. Its entry
 *      stays pending under its name; the survivor, idle, XAUTOCLAIMs it.
 *   4. Done when XINFO GROUPS says nothing is pending and the last entry
 *      was delivered.
 *   5. A reader that joins late, in a group of its own created at 0 (the
 *      start), reads the whole history; XRANGE S - + shows it too.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "message-queue.h"

#define ENTRIES 4

static struct streams_s {
    scope_demo_t *demo;
    redisAsyncContext *c;
    scope_role_t consumers[2]; /* alice, bob */
    uv_timer_t poll;
    scope_trace_t trace;
    char stream[48], last_id[48], held_id[48], held_by[16];
    int killed, pending_said, done, poll_open, exits;
} st;

static scope_role_t *consumer_named(const char *name)
{
    for (int i = 0; i < 2; i++)
        if (strcmp(st.consumers[i].name, name) == 0)
            return &st.consumers[i];
    return NULL;
}

/* the last of both consumers is gone: the step is over */
static void on_consumer_exit(scope_role_t *r, int code, int sig)
{
    (void)r, (void)code, (void)sig;
    if (++st.exits == 2 && st.done && !st.demo->quitting)
        scope_demo_next(st.demo);
}

/* 5. the late reader: XREADGROUP in a new group made at 0 */
static void on_range(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)c, (void)priv;
    if (!r || st.demo->quitting)
        return;
    scope_events_log("XRANGE %s - + -> %zu entries: the stream itself, acknowledged or not, "
                     "until XTRIM or XDEL",
                     st.stream, r->elements);
    redisAsyncCommand(c, NULL, NULL, "DEL %s", st.stream);
    redisAsyncDisconnect(c); /* after the DEL's reply */
    st.c = NULL;
    for (int i = 0; i < 2; i++)
        if (st.consumers[i].running)
            scope_role_kill(&st.consumers[i], SIGTERM); /* their exits end the step */
}

static void on_late(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)priv;
    if (!r || st.demo->quitting)
        return;
    size_t n = 0;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
        redisReply *entries = r->element[0]->element[1];
        for (n = 0; n < entries->elements; n++) {
            redisReply *v = entries->element[n]->element[1]->element[1];
            scope_trace_recv(&st.trace, v->str, v->len);
        }
    }
    scope_events_log("a late reader: XGROUP CREATE %s late 0; XREADGROUP GROUP late carol "
                     "STREAMS %s > -> %zu entries, the whole history (the down subscriber "
                     "got nothing)",
                     st.stream, st.stream, n);
    scope_demo_figure(st.demo, "streams.late_read", cJSON_CreateNumber((double)n));
    redisAsyncCommand(c, on_range, NULL, "XRANGE %s - +", st.stream);
}

/* 4. XINFO GROUPS: [[name, workers, consumers, 2, pending, N, last-delivered-id, ID, ...]] */
static void on_groups(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)priv;
    if (!r || st.done || r->type != REDIS_REPLY_ARRAY || r->elements < 1)
        return;
    redisReply *g = r->element[0];
    long long pending = -1;
    const char *last = "";
    for (size_t i = 0; i + 1 < g->elements; i += 2) {
        if (strcmp(g->element[i]->str, "pending") == 0)
            pending = g->element[i + 1]->integer;
        else if (strcmp(g->element[i]->str, "last-delivered-id") == 0)
            last = g->element[i + 1]->str;
    }
    if (pending != 0 || strcmp(last, st.last_id) != 0)
        return;
    st.done = 1;
    uv_timer_stop(&st.poll);
    scope_events_log("XINFO GROUPS %s -> pending 0, last-delivered-id %s: all %d entries "
                     "acknowledged, %s's among them, by the consumer that claimed it",
                     st.stream, last, ENTRIES, st.held_by);
    scope_demo_figure(st.demo, "streams.entries", cJSON_CreateNumber(ENTRIES));
    scope_demo_figure(st.demo, "streams.claimed", cJSON_CreateNumber(1));
    redisAsyncCommand(c, NULL, NULL, "XGROUP CREATE %s late 0", st.stream);
    redisAsyncCommand(c, on_late, NULL, "XREADGROUP GROUP late carol STREAMS %s >", st.stream);
}

/* 3. XPENDING S workers - + 10: [[id, consumer, idle ms, deliveries], ...] */
static void on_pending(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)c, (void)priv;
    if (!r || st.done || r->type != REDIS_REPLY_ARRAY)
        return;
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 4)
            continue;
        const char *id = e->element[0]->str, *who = e->element[1]->str;
        scope_role_t *k = consumer_named(who);
        if (!st.killed && k && k->running) {
            st.killed = 1;
            snprintf(st.held_id, sizeof st.held_id, "%s", id);
            snprintf(st.held_by, sizeof st.held_by, "%s", who);
            scope_role_kill(k, SIGKILL);
            scope_events_log("XPENDING %s workers - + 10 -> %s held by %s, idle %lld ms: "
                             "kill(%d, SIGKILL) before its XACK",
                             st.stream, id, who, e->element[2]->integer, (int)k->pid);
        } else if (st.killed && !st.pending_said && strcmp(id, st.held_id) == 0 &&
                   strcmp(who, st.held_by) == 0 && e->element[2]->integer >= 1000) {
            st.pending_said = 1;
            scope_events_log("XPENDING -> %s still pending under %s, idle %lld ms, delivered "
                             "%lld time(s): no XACK will ever come from a dead consumer",
                             id, who, e->element[2]->integer, e->element[3]->integer);
        }
    }
}

static void on_poll(uv_timer_t *t)
{
    (void)t;
    if (!st.c)
        return;
    redisAsyncCommand(st.c, on_pending, NULL, "XPENDING %s workers - + 10", st.stream);
    if (st.killed)
        redisAsyncCommand(st.c, on_groups, NULL, "XINFO GROUPS %s", st.stream);
}

static void start_consumers(void)
{
    mq_t *m = st.demo->data;
    char pid[24];
    snprintf(pid, sizeof pid, "%ld", m->broker.pid);
    const char *args[] = {"--redis", m->broker.url, "--server-pid", pid, NULL};
    scope_role_options_t o = {.argv = args};
    const char *names[] = {"alice", "bob"};
    for (int i = 0; i < 2; i++) {
        st.consumers[i].on_exit = on_consumer_exit;
        if (scope_role_spawn(st.demo, &st.consumers[i], names[i], &o) < 0) {
            scope_demo_check(st.demo, 0, "consumer", "cannot start %s", names[i]);
            st.exits++;
        }
    }
}

static void on_added(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)c;
    if (!r || r->type != REDIS_REPLY_STRING)
        return;
    snprintf(st.last_id, sizeof st.last_id, "%s", r->str);
    scope_events_log("XADD %s * task \"%s\" -> %s: the id is the server's clock in ms and a "
                     "sequence number",
                     st.stream, (const char *)priv, r->str);
}

void mq_streams(scope_demo_t *d)
{
    static const char *tasks[ENTRIES] = {"task 1", "task 2", "task 3", "task 4"};
    mq_t *m = d->data;
    st.demo = d;
    if (!(st.c = mq_connect(d, &m->broker, NULL, N_("the Streams step")))) {
        scope_demo_next(d);
        return;
    }
    snprintf(st.stream, sizeof st.stream, "ipcscope:%d:stream", (int)getpid());
    scope_trace_init(&st.trace, MQ_CHAN, SCOPE_PID(getpid()), m->broker.end);
    redisAsyncCommand(st.c, NULL, NULL, "DEL %s", st.stream);
    /* $: the group starts at the stream's end, so it gets every entry added from now */
    redisAsyncCommand(st.c, NULL, NULL, "XGROUP CREATE %s workers $ MKSTREAM", st.stream);
    scope_events_log("XGROUP CREATE %s workers $ MKSTREAM: a consumer group; each entry goes "
                     "to one of its consumers, and stays pending until XACK",
                     st.stream);
    for (int i = 0; i < ENTRIES; i++) {
        redisAsyncCommand(st.c, on_added, (void *)tasks[i], "XADD %s * task %s", st.stream,
                          tasks[i]);
        scope_trace_send(&st.trace, tasks[i], strlen(tasks[i]));
    }
    uv_timer_init(d->loop, &st.poll);
    st.poll_open = 1;
    uv_timer_start(&st.poll, on_poll, 50, 50);
    start_consumers();
}

void mq_streams_stop(scope_demo_t *d)
{
    (void)d;
    st.done = 1;
    if (st.poll_open)
        uv_close((uv_handle_t *)&st.poll, NULL);
    st.poll_open = 0;
    if (st.c)
        redisAsyncDisconnect(st.c);
    st.c = NULL;
}
