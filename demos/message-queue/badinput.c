/* badinput.c, the bad-input step: refused or set aside, never silently
 * dropped and never retried forever.
 *
 *   1. An oversize message: the demo bounds a message at MQ_MSG_MAX
 *      (64 KiB) and refuses a bigger one before it leaves, with the reason.
 *      Redis itself would take up to proto-max-bulk-len (512 MB), and each
 *      subscriber's output buffer would hold a copy.
 *   2. A malformed stream entry: a reader in group "checkers" takes each
 *      entry; one without a "task" field cannot be done, and XACKing it
 *      alone would lose it, leaving it pending would hand it out again
 *      and again. So it goes to a dead-letter stream (XADD S:dead with the
 *      entry's id and the reason), then XACK: looked at later by a person,
 *      not by every consumer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "message-queue.h"

#define MQ_MSG_MAX (64 * 1024) /* the demo's bound on one message */

static struct badinput_s {
    scope_demo_t *demo;
    redisAsyncContext *c;
    scope_trace_t trace;
    char stream[48], dead[56];
    int dead_letters, done;
} bi;

/* The one place this step publishes: the bound is checked before sending. */
static int publish_bounded(const char *ch, const char *data, size_t len)
{
    if (len > MQ_MSG_MAX) {
        scope_events_error("refused",
                           "PUBLISH %s of %zu bytes: over the demo's bound of %d "
                           "bytes (64 KiB), refused before sending; nothing left the process",
                           ch, len, MQ_MSG_MAX);
        return -1;
    }
    redisAsyncCommand(bi.c, NULL, NULL, "PUBLISH %s %b", ch, data, len);
    scope_trace_send(&bi.trace, data, len);
    scope_events_log("PUBLISH %s of %zu bytes: within the bound of %d, sent", ch, len, MQ_MSG_MAX);
    return 0;
}

static void on_dead_len(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)priv;
    if (!r || bi.done)
        return;
    scope_events_log("XLEN %s -> (integer) %lld; XPENDING %s checkers: nothing pending, the "
                     "malformed entry will not come back",
                     bi.dead, r->integer, bi.stream);
    scope_demo_figure(bi.demo, "badinput.dead_letters", cJSON_CreateNumber((double)r->integer));
    redisAsyncCommand(c, NULL, NULL, "DEL %s %s", bi.stream, bi.dead);
    redisAsyncDisconnect(c); /* after the DEL's reply */
    bi.c = NULL;
    scope_demo_next(bi.demo);
}

/* The value of field name in an entry's [field, value, ...], or NULL. */
static const redisReply *field(const redisReply *fields, const char *name)
{
    for (size_t i = 0; i + 1 < fields->elements; i += 2)
        if (strcmp(fields->element[i]->str, name) == 0)
            return fields->element[i + 1];
    return NULL;
}

/* XREADGROUP's reply: [[stream, [[id, [field, value, ...]], ...]]] */
static void on_read(redisAsyncContext *c, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)priv;
    if (!r || bi.done || r->type != REDIS_REPLY_ARRAY || r->elements != 1)
        return;
    const redisReply *entries = r->element[0]->element[1];
    for (size_t i = 0; i < entries->elements; i++) {
        const char *id = entries->element[i]->element[0]->str;
        const redisReply *fields = entries->element[i]->element[1], *task = field(fields, "task");
        scope_trace_recv(&bi.trace, fields->element[1]->str, fields->element[1]->len);
        if (task) {
            scope_events_log("entry %s: task \"%s\": done; XACK", id, task->str);
        } else {
            /* kept, with why, where a person looks: then acknowledged */
            redisAsyncCommand(c, NULL, NULL, "XADD %s * id %s reason %s", bi.dead, id,
                              "no task field");
            scope_events_error("dead-letter",
                               "entry %s of %s has no \"task\" field (it has "
                               "\"%s\"): skipped, XADD %s * id %s reason \"no task field\", "
                               "then XACK so it is not handed out again",
                               id, bi.stream, fields->element[0]->str, bi.dead, id);
        }
        redisAsyncCommand(c, NULL, NULL, "XACK %s checkers %s", bi.stream, id);
    }
    redisAsyncCommand(c, on_dead_len, NULL, "XLEN %s", bi.dead);
}

void mq_badinput(scope_demo_t *d)
{
    mq_t *m = d->data;
    bi.demo = d;
    if (!(bi.c = mq_connect(d, &m->broker, NULL, N_("the bad-input step")))) {
        scope_demo_next(d);
        return;
    }
    scope_trace_init(&bi.trace, MQ_CHAN, SCOPE_PID(getpid()), m->broker.end);
    char ch[48];
    snprintf(ch, sizeof ch, "ipcscope:%d:big", (int)getpid());
    char *big = malloc(MQ_MSG_MAX + 1);
    if (big) {
        memset(big, 'x', MQ_MSG_MAX + 1);
        publish_bounded(ch, big, MQ_MSG_MAX);     /* at the bound: sent */
        publish_bounded(ch, big, MQ_MSG_MAX + 1); /* one byte over: refused */
        free(big);
    }

    snprintf(bi.stream, sizeof bi.stream, "ipcscope:%d:input", (int)getpid());
    snprintf(bi.dead, sizeof bi.dead, "%s:dead", bi.stream);
    redisAsyncCommand(bi.c, NULL, NULL, "DEL %s %s", bi.stream, bi.dead);
    redisAsyncCommand(bi.c, NULL, NULL, "XGROUP CREATE %s checkers $ MKSTREAM", bi.stream);
    redisAsyncCommand(bi.c, NULL, NULL, "XADD %s * task %s", bi.stream, "task 5");
    scope_trace_send(&bi.trace, "task 5", 6);
    redisAsyncCommand(bi.c, NULL, NULL, "XADD %s * junk %s", bi.stream, "no task here");
    scope_trace_send(&bi.trace, "no task here", 12);
    scope_events_log("XADD %s * task \"task 5\"; XADD %s * junk \"no task here\": the second "
                     "is malformed",
                     bi.stream, bi.stream);
    redisAsyncCommand(bi.c, on_read, NULL, "XREADGROUP GROUP checkers eve COUNT 10 STREAMS %s >",
                      bi.stream);
}

void mq_badinput_stop(scope_demo_t *d)
{
    (void)d;
    bi.done = 1;
    if (bi.c)
        redisAsyncDisconnect(bi.c);
    bi.c = NULL;
}
