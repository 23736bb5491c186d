/* advanced.c, step 9: node's other channel, serialization 'advanced'.
 *
 *     const child = fork('child.js', [], { serialization: 'advanced' });
 *
 * With 'advanced' each message is V8's serializer (the structured clone of
 * postMessage) after a 4-byte big-endian length, not a JSON line. lib/channel
 * speaks only JSON lines (a C child refuses NODE_CHANNEL_SERIALIZATION_MODE
 * =advanced), so this is measured node to node:
 *
 *   1. node patterns-node.js advanced N, its stdout on a pipe we read: a
 *      node parent that forks a node child with 'json', then 'advanced'.
 *   2. On each channel the same rich message (a Date, a Map, a Set,
 *      undefined, NaN, a Buffer, and a BigInt where it can go) goes and comes
 *      back: what survived. Then N small pings and N/10 large objects (the
 *      1,000 users of step 6), one in flight: round trips a second, and the
 *      bytes of one message on the wire.
 *   3. One JSON line of figures comes back on the pipe; with it, the bytes of
 *      an 'advanced' {type:'ping', id:1} as node frames them, cut here by
 *      lib/framing's length-prefixed decoder: the framing is the one lib
 *      knows, what is inside is V8's.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "patterns.h"

static struct {
    patterns_t *p;
    patterns_node_t node;
    uv_timer_t timer;
    int got, timer_open;
} a;

static double num(const cJSON *o, const char *path1, const char *path2, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, path1);
    v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(v, path2), name);
    return cJSON_GetNumberValue(v);
}

static int survived(const cJSON *res, const char *ser, char *out, size_t n)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(res, ser), "survived");
    int k = 0, len = 0;
    out[0] = '\0';
    for (const cJSON *v = s ? s->child : NULL; v; v = v->next)
        if (cJSON_IsTrue(v) && len < (int)n) {
            len += snprintf(out + len, n - (size_t)len, "%s%s", k ? ", " : "", v->string);
            k++;
        }
    if (!k)
        snprintf(out, n, "%s", scope_events_tr("none"));
    return k;
}

static void on_frame(void *arg, const char *frame, size_t len)
{
    (void)arg;
    scope_events_log("lib/framing's length-prefixed decoder cuts it: one frame of %zu bytes, "
                     "starting %02x %02x (V8's serializer, version %u): node to node only, "
                     "nothing in lib/ reads V8's format", len, (unsigned char)frame[0],
                     (unsigned char)frame[1], len > 1 ? (unsigned char)frame[1] : 0);
}

/* The ping as node framed it: the hex back into bytes, and through lib/framing. */
static void show_frame(const char *hex)
{
    unsigned char bytes[128];
    size_t n = 0;
    for (; hex[2 * n] && hex[2 * n + 1] && n < sizeof bytes; n++)
        sscanf(hex + 2 * n, "%2hhx", &bytes[n]);
    scope_events_log("an 'advanced' {type:'ping', id:1} on the wire: %.8s | %.4s %.2s %s: "
                     "a 4-byte big-endian length, V8's header ff 0f, '{' (6f), then tag by tag",
                     hex, hex + 8, hex + 12, hex + 14);
    scope_lenframe_t dec;
    scope_lenframe_init(&dec, 0, on_frame, NULL, NULL);
    scope_lenframe_feed(&dec, (const char *)bytes, n);
    scope_lenframe_free(&dec);
}

static void on_line(patterns_node_t *n, const char *line, size_t len)
{
    cJSON *res = cJSON_ParseWithLength(line, len);
    if (!patterns_is(res, "type", "result")) {
        scope_events_log("node parent: %.*s", (int)(len < 200 ? len : 200), line);
        cJSON_Delete(res);
        return;
    }
    patterns_t *p = n->p;
    char js[160], adv[160];
    int kj = survived(res, "json", js, sizeof js), ka = survived(res, "advanced", adv, sizeof adv);
    scope_events_log("the rich message came back whole through 'advanced': %s; through "
                     "'json': %s (its BigInt could not even be sent)", adv, js);
    for (int large = 0; large < 2; large++) {
        const char *w = large ? "large" : "small";
        scope_events_log("%s (%s): 'json' %.0f bytes, %.0f round trips/s; 'advanced' %.0f bytes, "
                         "%.0f round trips/s",
                         large ? scope_events_tr("1,000 users") : "{type:'ping', id}",
                         large ? scope_events_tr("large") : scope_events_tr("small"),
                         num(res, "json", w, "bytes"), num(res, "json", w, "trips_per_s"),
                         num(res, "advanced", w, "bytes"), num(res, "advanced", w, "trips_per_s"));
    }
    const char *hex = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "ping_frame"));
    if (hex)
        show_frame(hex);
    cJSON_DeleteItemFromObject(res, "type");
    cJSON_AddNumberToObject(res, "json_survived", kj);
    cJSON_AddNumberToObject(res, "advanced_survived", ka);
    scope_demo_figure(p->demo, "advanced", res);
    a.got = 1;
}

static void on_node_exit(patterns_node_t *n, int code, int sig)
{
    patterns_t *p = n->p;
    if (a.timer_open)
        uv_close((uv_handle_t *)&a.timer, NULL);
    a.timer_open = 0;
    p->step_quit = NULL;
    if (p->done)
        return;
    scope_demo_check(p->demo, a.got && !code && !sig, "advanced",
                     "the node pair ended (%s %d) without its figures",
                     sig ? scope_events_tr("signal") : scope_events_tr("code"), sig ? sig : code);
    scope_demo_next(p->demo);
}

static void on_quit(scope_demo_t *d)
{
    (void)d;
    patterns_node_kill(&a.node, SIGTERM);
}

static void on_timeout(uv_timer_t *t)
{
    (void)t;
    scope_events_log("the node pair has not finished in time: SIGTERM");
    patterns_node_kill(&a.node, SIGTERM);
}

void patterns_advanced(scope_demo_t *d)
{
    patterns_t *p = d->data;
    char node[PATH_MAX], trips[24];
    a.p = p;
    a.got = 0;
    if (patterns_node_find(p, N_("step 9"), node, sizeof node) < 0) {
        scope_demo_next(d);
        return;
    }
    snprintf(trips, sizeof trips, "%lld", p->node_trips);
    a.node.on_line = on_line;
    a.node.on_exit = on_node_exit;
    int r = patterns_node_start(p, &a.node, NULL, "advanced", trips, 1, NULL);
    if (r < 0) {
        scope_demo_check(d, 0, "node", "cannot start %s: %s", node, strerror(-r));
        scope_demo_next(d);
        return;
    }
    p->step_quit = on_quit;
    scope_events_log("node forks node twice, {serialization: 'json'} then 'advanced', and "
                     "times %lld small and %lld large round trips on each", p->node_trips,
                     p->node_trips / 10 > 0 ? p->node_trips / 10 : 1);
    uv_timer_init(d->loop, &a.timer);
    a.timer_open = 1;
    /* Generous: a large round trip takes milliseconds on a busy machine. */
    uv_timer_start(&a.timer, on_timeout, 60000 + 5 * (uint64_t)p->node_trips, 0);
}
