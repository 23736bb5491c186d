/* batching.c, step 2: article 004's "Message Batching", measured.
 *
 *   1. "Not recommended": 1,000 child.send({index: i}), one line each.
 *   2. "Recommended": one child.send({type: 'batch', data: [...1000]}).
 *   3. A batcher between the two, for items that come over time (ten a
 *      millisecond here): a batch goes when it holds --batch-size items or
 *      when its first item has waited --flush-ms, whichever comes first.
 *
 * After each round a {type:'count'} follows on the ordered channel; the
 * child answers with how many items it got and when (the monotonic clock,
 * which both processes share). Items per second is items over the time
 * until the last arrived; the first item's latency is from its making to
 * its arrival, and in a batch it includes its wait for the others.
 */
#include <stdio.h>

#include "events.h"
#include "patterns.h"

#define ITEMS 1000
#define FEED_PER_MS 10 /* round 3: items made each millisecond */

static struct {
    patterns_t *p;
    int round;              /* 1, 2, 3 */
    uint64_t t0;            /* the first item made */
    uv_timer_t feed, flush; /* round 3 */
    int made, batched, batches;
    cJSON *batch;
    uint64_t batch_t0[ITEMS]; /* when each item of the batch was made */
    scope_hist_t wait;        /* round 3: each item's wait in its batch */
} b;

static cJSON *item(int i)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddNumberToObject(m, "index", i);
    return m;
}

static void count(void)
{
    patterns_send(b.p, cJSON_Parse("{\"type\":\"count\"}"));
}

static void flush_batch(void)
{
    uint64_t now = scope_time_now_ns();
    int n = cJSON_GetArraySize(b.batch);
    for (int i = 0; i < n; i++)
        scope_hist_add(&b.wait, now - b.batch_t0[i]);
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "batch");
    cJSON_AddItemToObject(m, "data", b.batch);
    b.batch = NULL;
    b.batches++;
    uv_timer_stop(&b.flush);
    patterns_send(b.p, m);
}

static void on_flush(uv_timer_t *t)
{
    (void)t; /* the first item has waited --flush-ms: the batch goes as it is */
    if (b.batch)
        flush_batch();
}

static void on_feed(uv_timer_t *t)
{
    for (int i = 0; i < FEED_PER_MS && b.made < ITEMS; i++) {
        if (!b.batch) {
            b.batch = cJSON_CreateArray();
            b.batched = 0;
            uv_timer_start(&b.flush, on_flush, (uint64_t)b.p->flush_ms, 0);
        }
        b.batch_t0[b.batched++] = scope_time_now_ns();
        cJSON_AddItemToArray(b.batch, item(b.made++));
        if (b.batched == b.p->batch_size)
            flush_batch();
    }
    if (b.made < ITEMS)
        return;
    uv_timer_stop(t);
    if (b.batch)
        flush_batch();
    count();
}

static void round_start(int round)
{
    b.round = round;
    b.t0 = scope_time_now_ns();
    if (round == 1) {
        scope_events_log("for (i < 1000) child.send({index: i}): 1,000 lines, 1,000 write()s");
        for (int i = 0; i < ITEMS; i++)
            patterns_send(b.p, item(i));
        count();
    } else if (round == 2) {
        scope_events_log("child.send({type: 'batch', data: batch}): the 1,000 in one line");
        cJSON *m = cJSON_CreateObject(), *data = cJSON_AddArrayToObject(m, "data");
        cJSON_AddStringToObject(m, "type", "batch");
        for (int i = 0; i < ITEMS; i++)
            cJSON_AddItemToArray(data, item(i));
        patterns_send(b.p, m);
        count();
    } else {
        scope_events_log("a batcher: %d items a ms come; a batch goes at %lld items or after "
                         "%lld ms", FEED_PER_MS, b.p->batch_size, b.p->flush_ms);
        uv_timer_start(&b.feed, on_feed, 1, 1);
    }
}

static int on_count(patterns_t *p, const cJSON *msg)
{
    static const char *names[] = {"", N_("singles"), N_("batch"), N_("batcher")};
    if (!patterns_is(msg, "type", "count"))
        return PATTERNS_NOT_IT;
    double items = patterns_num(msg, "items");
    double all_ns = patterns_num(msg, "last_ns") - (double)b.t0;
    double first_ns = patterns_num(msg, "first_ns") - (double)b.t0;
    double per_s = all_ns > 0 ? items * 1e9 / all_ns : 0;
    char key[64], first[32];
    scope_demo_check(p->demo, items == ITEMS, "batching",
                     "%s: the child counted %.0f items, not %d", scope_events_tr(names[b.round]),
                     items, ITEMS);
    snprintf(key, sizeof key, "batching.%s_items_per_s", names[b.round]);
    scope_demo_figure(p->demo, key, cJSON_CreateNumber((double)(long long)per_s));
    snprintf(key, sizeof key, "batching.%s_first_item_ns", names[b.round]);
    scope_demo_figure(p->demo, key, cJSON_CreateNumber(first_ns));
    scope_events_log("%s: %.0f items in %s: %.0f items/s; the first item arrived after %s",
                     scope_events_tr(names[b.round]), items,
                     scope_time_format(key, sizeof key, all_ns), per_s,
                     scope_time_format(first, sizeof first, first_ns));
    if (b.round < 3) {
        round_start(b.round + 1);
        return PATTERNS_MORE;
    }
    scope_demo_figure(p->demo, "batching.batches", cJSON_CreateNumber(b.batches));
    scope_demo_figure(p->demo, "batching.wait_p50_ns",
                      cJSON_CreateNumber((double)scope_hist_percentile(&b.wait, 50)));
    scope_demo_figure(p->demo, "batching.wait_max_ns", cJSON_CreateNumber((double)b.wait.max));
    scope_events_log("the batcher sent %d batches; an item waited %s at the median, %s at most",
                     b.batches, scope_time_format(key, sizeof key,
                                                  (double)scope_hist_percentile(&b.wait, 50)),
                     scope_time_format(first, sizeof first, (double)b.wait.max));
    uv_close((uv_handle_t *)&b.feed, NULL);
    uv_close((uv_handle_t *)&b.flush, NULL);
    return PATTERNS_DONE;
}

void patterns_batching(scope_demo_t *d)
{
    patterns_t *p = d->data;
    b.p = p;
    scope_hist_reset(&b.wait);
    uv_timer_init(d->loop, &b.feed);
    uv_timer_init(d->loop, &b.flush);
    scope_demo_figure(d, "batching.batch_size", cJSON_CreateNumber((double)p->batch_size));
    scope_demo_figure(d, "batching.flush_ms", cJSON_CreateNumber((double)p->flush_ms));
    patterns_await(p, on_count, 30000);
    round_start(1);
}
