/* sizes.c, step 5: 004's "Limit message size", and a limit that works.
 *
 *     const MAX_MESSAGE_SIZE = 1024 * 1024; // 1MB
 *     child.on('message', (msg) => {
 *         if (JSON.stringify(msg).length > MAX_MESSAGE_SIZE) {
 *             child.kill('SIGTERM'); throw new Error('Message too large'); } });
 *
 *   1. The child has three tasks in flight (300 ms each) and sends two big
 *      messages: 600,000 'é' (1.2 MB on the wire, but .length counts UTF-16
 *      units: 600,000, under the limit: it passes) and 1,100,000 'x'. Each
 *      was read, buffered and parsed whole before the check could run, and
 *      the check prints it again to measure it. The second is over: the
 *      child is killed, and the three tasks with it.
 *   2. A new child, whose channel our side opens with a bound of
 *      --frame-limit bytes (lib/framing): a line longer is skipped as it
 *      streams in, never buffered nor parsed, and the channel goes on.
 *      Both big messages are refused by their bytes; the three tasks finish.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "patterns.h"

#define MAX_MESSAGE_SIZE (1024 * 1024)
#define TASKS 3
#define TASK0 100 /* this step's task ids: 101, 102, 103 */

static struct {
    patterns_t *p;
    int phase, done, big;
} s;

/* JSON.stringify(msg).length: the message printed again, counted in UTF-16
 * units (a character past U+FFFF is two, any other one). */
static size_t stringify_length(const cJSON *msg, uint64_t *ns)
{
    uint64_t t0 = scope_time_now_ns();
    char *text = cJSON_PrintUnformatted(msg);
    size_t n = 0;
    for (const unsigned char *c = (const unsigned char *)text; c && *c; c++)
        n += (*c & 0xc0) != 0x80 ? 1 + (*c >= 0xf0) : 0; /* lead bytes; 4-byte ones twice */
    *ns = scope_time_now_ns() - t0;
    free(text);
    return n;
}

static void send_work(patterns_t *p)
{
    for (int i = 1; i <= TASKS; i++) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "type", "task");
        cJSON_AddNumberToObject(m, "id", TASK0 + i);
        cJSON_AddNumberToObject(m, "ms", 300);
        patterns_send(p, m);
    }
    patterns_send(p, cJSON_Parse("{\"type\":\"big\",\"chars\":600000,\"char\":\"é\"}"));
    patterns_send(p, cJSON_Parse("{\"type\":\"big\",\"chars\":1100000,\"char\":\"x\"}"));
}

static int on_framed(patterns_t *p, const cJSON *msg);

static int is_done(const cJSON *msg)
{
    return patterns_is(msg, "type", "done") && patterns_num(msg, "id") > TASK0;
}

static void after_kill(patterns_t *p, int code, int sig)
{
    scope_events_log("child.on('exit'): code %d, signal %s; %d of its %d tasks were lost",
                     code, sig ? sigabbrev_np(sig) : "null", TASKS - s.done, TASKS);
    scope_demo_figure(p->demo, "sizes.kill_tasks_lost", cJSON_CreateNumber(TASKS - s.done));
    int r = patterns_fork(p, (size_t)p->frame_limit);
    if (r < 0) {
        scope_demo_check(p->demo, 0, "fork", "cannot fork a new child: %s", strerror(-r));
        patterns_end(p->demo);
        return;
    }
    scope_events_log("a new child; our end now refuses a line over %lld bytes as it reads it",
                     p->frame_limit);
    s.phase = 2;
    s.done = 0;
    send_work(p);
    patterns_await(p, on_framed, 10000);
}

/* Phase 1: 004's check, on what has already been buffered and parsed. */
static int on_article(patterns_t *p, const cJSON *msg)
{
    if (is_done(msg)) {
        s.done++;
        return PATTERNS_MORE;
    }
    if (!patterns_is(msg, "type", "big") || !p->kid)
        return PATTERNS_NOT_IT;
    uint64_t ns;
    size_t bytes = p->kid->ch.message_bytes, length = stringify_length(msg, &ns);
    char took[32];
    scope_time_format(took, sizeof took, (double)ns);
    scope_events_log("a %zu-byte line, buffered and parsed; JSON.stringify(msg).length = %zu "
                     "(printed again in %s): %s",
                     bytes, length, took,
                     length > MAX_MESSAGE_SIZE ? scope_events_tr("over MAX_MESSAGE_SIZE")
                                               : scope_events_tr("passes"));
    if (++s.big == 1) {
        scope_demo_figure(p->demo, "sizes.utf16_bytes", cJSON_CreateNumber((double)bytes));
        scope_demo_figure(p->demo, "sizes.utf16_length", cJSON_CreateNumber((double)length));
        return PATTERNS_MORE;
    }
    scope_demo_figure(p->demo, "sizes.article_buffered_bytes", cJSON_CreateNumber((double)bytes));
    scope_demo_figure(p->demo, "sizes.article_stringify_ns", cJSON_CreateNumber((double)ns));
    scope_events_log("child.kill('SIGTERM'): the message was too large (%d tasks done)", s.done);
    p->on_exit = after_kill;
    patterns_await(p, NULL, 0);
    scope_role_kill(&p->kid->role, SIGTERM);
    return PATTERNS_MORE;
}

/* Phase 2: the bound in the framing; the big lines never reach us. */
static int on_framed(patterns_t *p, const cJSON *msg)
{
    if (patterns_is(msg, "type", "big")) {
        scope_demo_check(p->demo, 0, "sizes", "a big message passed the framing's bound");
        return PATTERNS_MORE;
    }
    if (!is_done(msg) || ++s.done < TASKS)
        return PATTERNS_NOT_IT;
    uint64_t refused = p->kid ? p->kid->ch.refused : 0;
    scope_events_log("the framing refused %llu lines by their bytes, before buffering them; "
                     "all %d tasks finished", (unsigned long long)refused, TASKS);
    scope_demo_check(p->demo, refused == 2, "sizes", "%llu lines refused, 2 were due",
                     (unsigned long long)refused);
    scope_demo_figure(p->demo, "sizes.frame_limit", cJSON_CreateNumber((double)p->frame_limit));
    scope_demo_figure(p->demo, "sizes.framing_refused", cJSON_CreateNumber((double)refused));
    scope_demo_figure(p->demo, "sizes.framing_tasks_lost", cJSON_CreateNumber(TASKS - s.done));
    return PATTERNS_DONE;
}

void patterns_sizes(scope_demo_t *d)
{
    patterns_t *p = d->data;
    s.p = p;
    s.phase = 1;
    scope_events_log("%d tasks in flight in the child, then two big messages from it; 004's "
                     "check runs on each after it is parsed", TASKS);
    send_work(p);
    patterns_await(p, on_article, 10000);
}
