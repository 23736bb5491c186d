/* lose.c, step 8: what JSON loses, sent by a real node's process.send().
 *
 * A fork channel is JSON.stringify(msg) + "\n": what JSON has no word for
 * is changed, dropped, or refused before anything is written. Here node is
 * the sender and this program the reader of the bytes:
 *
 *   1. fork() of node patterns-node.js lose: a socketpair, node's end at
 *      its fd 3, NODE_CHANNEL_FD=3; node says hello with its version.
 *   2. For each case, {type:'lose', case}: node makes the value (a Date, a
 *      Map, a Set, undefined three ways, a BigInt, NaN, a Buffer) and
 *      process.send()s it in {type:'value', value}, or says what send()
 *      threw. The line as it came off the socket shows what travelled.
 *   3. {type:'echo', value}: the value back, as we read it; node says what
 *      arrived (util.inspect, and its kind): what a node receiver gets.
 *   4. child.disconnect(): node reads EOF and exits.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "events.h"
#include "patterns.h"

static const char *const cases[][2] = { /* the key patterns-node.js knows, and what it sends */
    {"date", "new Date(0)"},
    {"map", "new Map([['a', 1], ['b', 2]])"},
    {"set", "new Set([1, 2, 3])"},
    {"undefined_property", "{a: undefined, b: 1}"},
    {"undefined_in_array", "[1, undefined, 3]"},
    {"undefined_message", "child.send(undefined)"},
    {"bigint", "10n ** 20n"},
    {"nan", "[NaN, Infinity, -0]"},
    {"buffer", "Buffer.from('hi!')"},
};
#define CASES ((int)(sizeof cases / sizeof cases[0]))

static struct {
    patterns_t *p;
    patterns_node_t node;
    scope_channel_t ch;
    scope_trace_t trace;
    uv_timer_t timer;
    int at, open, timer_open;
    char wire[256]; /* the case's value as it travelled */
    cJSON *result;  /* the case's figures */
} l;

static void send_msg(cJSON *m)
{
    if (l.open)
        scope_channel_send(&l.ch, m); /* traced by the channel */
    cJSON_Delete(m);
}

static void ask(void)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "lose");
    cJSON_AddStringToObject(m, "case", cases[l.at][0]);
    send_msg(m);
    uv_timer_again(&l.timer);
}

/* The node is gone: the channel and the timer close, the next step goes on. */
static void on_node_exit(patterns_node_t *n, int code, int sig)
{
    (void)n;
    if (l.open)
        scope_channel_close(&l.ch);
    l.open = 0;
    scope_trace_close(&l.trace);
    if (l.timer_open)
        uv_close((uv_handle_t *)&l.timer, NULL);
    l.timer_open = 0;
    l.p->step_quit = NULL;
    cJSON_Delete(l.result); /* a case cut short */
    l.result = NULL;
    scope_events_log("node exited (%s %d); its channel is closed",
                     sig ? scope_events_tr("signal") : scope_events_tr("code"), sig ? sig : code);
    if (!l.p->done)
        scope_demo_next(l.p->demo);
}

static void finish(void)
{
    uv_timer_stop(&l.timer);
    if (l.open) {
        scope_events_log("child.disconnect(): node reads EOF on fd 3, emits 'disconnect', exits");
        scope_channel_disconnect(&l.ch);
    }
}

static void on_quit(scope_demo_t *d)
{
    (void)d;
    finish();
    patterns_node_kill(&l.node, SIGTERM);
}

static void on_timeout(uv_timer_t *t)
{
    (void)t;
    scope_demo_check(l.p->demo, 0, "node", "node did not answer in 10 s; ending it");
    finish();
    patterns_node_kill(&l.node, SIGTERM);
}

/* What the case showed: the bye's lose.CASE.what. */
static void figure(const char *what, const char *text)
{
    if (!l.result)
        l.result = cJSON_CreateObject();
    cJSON_AddStringToObject(l.result, what, text ? text : "?");
}

static void next_case(void)
{
    char key[64];
    snprintf(key, sizeof key, "lose.%s", cases[l.at][0]);
    scope_demo_figure(l.p->demo, key, l.result);
    l.result = NULL;
    if (++l.at < CASES)
        ask();
    else
        finish();
}

static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    (void)type;
    if (fd >= 0)
        close(fd);
    scope_trace_recv_json(&l.trace, msg, ch->message_bytes, 0);
    const char *shown = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "shown"));
    if (patterns_is(msg, "type", "hello")) {
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "version"));
        scope_demo_figure(l.p->demo, "lose.node_version", cJSON_CreateString(v ? v : "?"));
        if (!v || atoi(v + 1) < 18) {
            scope_events_log("step 8 skipped: node %s is older than 18", v ? v : "?");
            finish();
            return;
        }
        scope_events_log("node %s is up; each value goes through JSON.stringify on its way", v);
        ask();
    } else if (patterns_is(msg, "type", "value")) {
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(msg, "value");
        char *text = value ? cJSON_PrintUnformatted(value) : NULL;
        snprintf(l.wire, sizeof l.wire, "%s", text ? text : N_("(no \"value\" key at all)"));
        cJSON_free(text);
        scope_events_log("%s: node sent %s; on the wire (%zu bytes): \"value\":%s", cases[l.at][1],
                         shown ? shown : "?", ch->message_bytes,
                         value ? l.wire : scope_events_tr(l.wire));
        figure("sent", shown);
        figure("wire", l.wire);
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "type", "echo");
        cJSON_AddStringToObject(m, "case", cases[l.at][0]);
        if (value)
            cJSON_AddItemToObject(m, "value", cJSON_Duplicate(value, 1));
        send_msg(m);
    } else if (patterns_is(msg, "type", "threw")) {
        const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "error"));
        scope_events_log("%s: child.send() threw %s; nothing was written", cases[l.at][1],
                         e ? e : "?");
        figure("threw", e);
        next_case();
    } else if (patterns_is(msg, "type", "arrived")) {
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "kind"));
        scope_events_log("%s arrived in node as %s (%s)", cases[l.at][1], shown ? shown : "?",
                         kind ? kind : "?");
        figure("arrived", shown);
        figure("kind", kind);
        next_case();
    }
}

static void on_disconnect(scope_channel_t *ch, int status)
{
    (void)ch;
    l.open = 0;
    if (status && status != UV_EOF)
        scope_events_error("channel", "node's channel failed: %s", uv_strerror(status));
}

void patterns_lose(scope_demo_t *d)
{
    patterns_t *p = d->data;
    int fd, r;
    l.p = p;
    l.at = 0;
    l.node.on_exit = on_node_exit;
    if ((fd = patterns_node_fork(p, &l.node, N_("step 8"), NULL, "lose", 0)) < 0) {
        scope_demo_next(d);
        return;
    }
    p->step_quit = on_quit;
    scope_trace_init(&l.trace, "node", SCOPE_PID(getpid()), SCOPE_PID(l.node.child.pid));
    scope_trace_open(&l.trace, "socketpair",
                     scope_events_tr("fork(): node's IPC channel, JSON lines"));
    l.ch = (scope_channel_t){.on_message = on_message, .on_disconnect = on_disconnect,
                             .trace = &l.trace};
    if ((r = scope_channel_open(d->loop, &l.ch, fd)) < 0) {
        scope_demo_check(d, 0, "channel", "node's channel: %s", uv_strerror(r));
        patterns_node_kill(&l.node, SIGTERM);
        return;
    }
    l.open = 1;
    uv_timer_init(d->loop, &l.timer);
    l.timer_open = 1;
    uv_timer_start(&l.timer, on_timeout, 10000, 10000);
}
