/* fork-ipc's step 6: ping-pong, round trips on the channel.
 *
 * One ping in flight at a time, --count of them, each padded to --size bytes
 * and paced at --rate by lib/demo's pacer (which pause and step hold back).
 * A ping carries its send time, "t"; the child's pong brings it back whole,
 * so the parent's receive (fork-ipc.c, on_message) times the round trip.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "fork-ipc.h"

static struct {
    scope_demo_t *demo;
    scope_channel_t *ch;
    scope_pacer_t pacer;
    long pongs;
    uint64_t first_ns, last_ns; /* the first ping, the last pong */
} pp;

static int on_pong(void *arg, const cJSON *msg);

static void send_ping(scope_pacer_t *pacer)
{
    size_t size = pacer->demo->size;
    char *pad = malloc(size + 1);
    if (!pad)
        return;
    pad[size] = '\0';
    if (!pp.first_ns)
        pp.first_ns = scope_time_now_ns();
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "ping");
    cJSON_AddNumberToObject(m, "id", (double)pp.pongs + 1);
    cJSON_AddNumberToObject(m, "t", (double)scope_time_now_ns());
    cJSON_AddStringToObject(m, "pad", memset(pad, 'x', size));
    free(pad);
    int n = scope_channel_send(pp.ch, m);
    cJSON_Delete(m);
    if (n == -EPIPE) /* the channel is gone, and the run with it */
        return;
    if (n < 0)
        scope_events_error("send", "send failed: %s", strerror(-n));
    fork_ipc_await("a pong", on_pong, NULL);
}

static int on_pong(void *arg, const cJSON *msg)
{
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "type"));
    (void)arg;
    if (!type || strcmp(type, "pong") != 0)
        return 0;
    fork_ipc_await(NULL, NULL, NULL);
    pp.last_ns = scope_time_now_ns();
    if (++pp.pongs < pp.demo->count && !pp.demo->quitting) {
        scope_pacer_next(&pp.pacer, send_ping); /* the pong asks for the next ping */
        return 1;
    }
    scope_trace_stats_stop(pp.ch->trace);
    scope_demo_next(pp.demo);
    return 1;
}

void fork_ipc_pingpong(scope_demo_t *d)
{
    fork_ipc_t *p = d->data;
    pp.demo = d;
    pp.ch = &p->ch;
    scope_pacer_init(d, &pp.pacer);
    scope_events_log("%ld pings of %zu bytes at %s; each pong carries the ping's send time back",
                     d->count, d->size, d->rate > 0 ? "the chosen rate" : "full speed");
    scope_trace_stats_start(&p->trace, d->loop, 500);
    scope_pacer_next(&pp.pacer, send_ping);
}

long fork_ipc_pingpong_done(double *per_s)
{
    *per_s = pp.pongs > 0 && pp.last_ns > pp.first_ns
                 ? (double)pp.pongs * 1e9 / (double)(pp.last_ns - pp.first_ns) : 0;
    return pp.pongs;
}
