/* fork-ipc's step 6: ping-pong, round trips on the channel.
 *
 * One ping in flight at a time, --count of them, each padded to --size bytes
 * and paced at --rate by lib/demo's pacer (which pause and step hold back).
 * A ping carries only its number, and the child's pong brings it back whole:
 * fork_ipc_send noted when the ping left, on_message times its pong.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "fork-ipc.h"

static scope_pacer_t pacer;
static long pongs;

static int on_pong(fork_ipc_t *p, const cJSON *msg);

/* The padding --size (or the dashboard's size keys) asks for, within what
 * the channel takes: a ping the child must refuse would never be answered. */
static size_t pad_size(size_t want, size_t max_message)
{
    static size_t told;
    size_t room = max_message - 256; /* the ping's other fields */
    if (want > room && told != want)
        scope_events_log("size %zu is over the channel's %zu-byte limit (--max-message): "
                         "pings are padded to %zu", want, max_message, room);
    told = want;
    return want < room ? want : room;
}

static void send_ping(scope_pacer_t *pc)
{
    fork_ipc_t *p = pc->data;
    size_t size = pad_size(pc->demo->size, p->ch.max_message);
    char *pad = calloc(1, size + 1); /* its last byte, the string's end */
    if (!pad)
        return;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "ping");
    cJSON_AddNumberToObject(m, "id", (double)pongs + 1);
    cJSON_AddStringToObject(m, "pad", memset(pad, 'x', size));
    free(pad);
    if (fork_ipc_send(p, m) != -EPIPE)
        fork_ipc_await(p, "pong", on_pong);
}

static int on_pong(fork_ipc_t *p, const cJSON *msg)
{
    if (!fork_ipc_is(msg, "type", "pong"))
        return FORK_IPC_NOT_IT;
    if (++pongs >= p->demo->count || p->demo->quitting) {
        scope_trace_stats_stop(&p->trace);
        return FORK_IPC_DONE;
    }
    fork_ipc_await(p, NULL, NULL); /* the pacer may hold the next ping back */
    scope_pacer_next(&pacer, send_ping); /* the pong asks for the next ping */
    return FORK_IPC_MORE;
}

void fork_ipc_pingpong(scope_demo_t *d)
{
    fork_ipc_t *p = d->data;
    scope_pacer_init(d, &pacer);
    pacer.data = p;
    char pings[48];
    scope_events_log("%s of %zu bytes at %s; the parent times each until its pong",
                     scope_demo_count_of(pings, sizeof pings, d->count, "ping", "pings"), d->size,
                     d->rate > 0 ? scope_events_tr("the chosen rate")
                                 : scope_events_tr("full speed"));
    scope_trace_stats_start(&p->trace, d->loop, 500);
    if (d->count > 0)
        scope_pacer_next(&pacer, send_ping);
    else
        scope_demo_next(d);
}
