/* monitor.c, step 11: 004's "Monitor IPC performance", then a histogram.
 *
 *     const start = process.hrtime();
 *     child.send('ping');
 *     child.once('message', () => { const diff = process.hrtime(start); ... });
 *
 *   1. One ping, one sample: the figure 004 prints.
 *   2. --count pings, one in flight, paced at --rate (the dashboard's keys
 *      change both; pause and step hold them back), padded to --size: each
 *      round trip goes into lib/trace's histogram, and stats events show
 *      its percentiles every half second. In the dashboard this goes on
 *      until quit. At the end the one sample is set against the many.
 */
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "patterns.h"

static struct {
    patterns_t *p;
    scope_pacer_t pacer;
    long pongs;
    uint64_t single_ns;
} m;

static void send_ping(scope_pacer_t *pc)
{
    size_t size = pc->demo->size < (1u << 20) ? pc->demo->size : 1u << 20;
    char *pad = calloc(1, size + 1);
    if (!pad)
        return;
    cJSON *ping = cJSON_CreateObject();
    cJSON_AddStringToObject(ping, "type", "ping");
    cJSON_AddNumberToObject(ping, "id", (double)m.pongs + 1);
    cJSON_AddStringToObject(ping, "pad", memset(pad, 'x', size));
    free(pad);
    patterns_send(m.p, ping); /* its time: patterns.c's sent_ns, read at the pong */
}

static void finish(patterns_t *p)
{
    char one[32], p50[32], p99[32];
    const scope_hist_t *h = &p->trace.latency;
    scope_trace_stats_stop(&p->trace);
    scope_pacer_close(&m.pacer);
    scope_demo_figure(p->demo, "monitor.single_ns", cJSON_CreateNumber((double)m.single_ns));
    scope_demo_figure(p->demo, "monitor.samples", cJSON_CreateNumber((double)h->count));
    scope_demo_figure(p->demo, "monitor.p50_ns",
                      cJSON_CreateNumber((double)scope_hist_percentile(h, 50)));
    scope_demo_figure(p->demo, "monitor.p99_ns",
                      cJSON_CreateNumber((double)scope_hist_percentile(h, 99)));
    scope_demo_figure(p->demo, "monitor.max_ns", cJSON_CreateNumber((double)h->max));
    scope_events_log("004's one sample said %s; %llu samples say median %s, p99 %s",
                     scope_time_format(one, sizeof one, (double)m.single_ns),
                     (unsigned long long)h->count,
                     scope_time_format(p50, sizeof p50, (double)scope_hist_percentile(h, 50)),
                     scope_time_format(p99, sizeof p99, (double)scope_hist_percentile(h, 99)));
}

static int on_pong(patterns_t *p, const cJSON *msg)
{
    if (!patterns_is(msg, "type", "pong") || patterns_num(msg, "id") < 1)
        return PATTERNS_NOT_IT;
    if (!m.pongs++) { /* the first: 004's single process.hrtime() sample */
        m.single_ns = scope_time_now_ns() - p->sent_ns;
        char one[32];
        scope_events_log("IPC round-trip time: %s, one sample; now a histogram over many",
                         scope_time_format(one, sizeof one, (double)m.single_ns));
        scope_trace_stats_start(&p->trace, p->demo->loop, 500);
    }
    if (m.pongs > p->demo->count || p->demo->quitting) {
        finish(p);
        return PATTERNS_DONE;
    }
    scope_pacer_next(&m.pacer, send_ping);
    return PATTERNS_MORE;
}

void patterns_monitor(scope_demo_t *d)
{
    patterns_t *p = d->data;
    char pings[48];
    m.p = p;
    scope_pacer_init(d, &m.pacer);
    scope_events_log("one ping timed as 004 does, then %s of %zu bytes at %s",
                     scope_demo_count_of(pings, sizeof pings, d->count, "ping", "pings"), d->size,
                     d->rate > 0 ? scope_events_tr("the chosen rate")
                                 : scope_events_tr("full speed"));
    patterns_await(p, on_pong, 0);
    send_ping(&m.pacer);
}
