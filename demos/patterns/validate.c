/* validate.c, step 4: 004's "Validate message source", and a schema.
 *
 *     process.on('message', (msg) => {
 *         if (typeof msg !== 'object' || !msg.type) return; // Ignore invalid
 *
 *   1. {type:'strict', on:true} turns the child's check on (child.c).
 *   2. Nine messages go: a string, a number, an array, null, an object with
 *      no type, a config whose fields are wrong, an unknown type, then a
 *      good config and a good task. 004's line drops the first five (and
 *      throws on null: typeof null is 'object', and null.type a TypeError);
 *      a schema per type drops the next two.
 *   3. {type:'tally'}: the child says what it kept and what it dropped, and
 *      why. The dropped count goes to the dashboard as the channel's
 *      "rejected" messages.
 */
#include <stdio.h>

#include "events.h"
#include "patterns.h"

static const char *const tests[] = {
    "\"hello\"",
    "42",
    "[1,2,3]",
    "null",
    "{\"hello\":\"world\"}",
    "{\"type\":\"config\",\"data\":{\"port\":\"3000\",\"env\":\"production\"}}",
    "{\"type\":\"launch\"}",
    "{\"type\":\"config\",\"data\":{\"port\":3000,\"env\":\"production\",\"features\":[]}}",
    "{\"type\":\"task\",\"id\":1,\"ms\":0}",
};
#define TESTS ((int)(sizeof tests / sizeof tests[0]))
#define GOOD  2 /* the last two */

static int on_tally(patterns_t *p, const cJSON *msg)
{
    if (!patterns_is(msg, "type", "tally"))
        return PATTERNS_NOT_IT;
    double kept = patterns_num(msg, "accepted"), dropped = patterns_num(msg, "dropped");
    char *why = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(msg, "reasons"));
    scope_events_log("the child kept %.0f, dropped %.0f: %s", kept, dropped, why ? why : "");
    cJSON_free(why);
    scope_demo_check(p->demo, kept == GOOD && dropped == TESTS - GOOD, "validation",
                     "kept %.0f and dropped %.0f; %d and %d were due", kept, dropped, GOOD,
                     TESTS - GOOD);
    scope_demo_figure(p->demo, "validation.sent", cJSON_CreateNumber(TESTS));
    scope_demo_figure(p->demo, "validation.dropped", cJSON_CreateNumber(dropped));
    scope_demo_figure(p->demo, "validation.reasons",
                      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(msg, "reasons"), 1));
    /* The channel's stats carry the count ("rejected": refused by the
     * receiver, not lost on the way), so the dashboard shows it. */
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "chan", p->trace.chan);
    cJSON_AddNumberToObject(s, "count", (double)p->trace.latency.count);
    cJSON_AddNumberToObject(s, "rejected", dropped);
    scope_events_emit("stats", s);
    return PATTERNS_DONE;
}

void patterns_validate(scope_demo_t *d)
{
    patterns_t *p = d->data;
    patterns_send(p, cJSON_Parse("{\"type\":\"strict\",\"on\":true}"));
    scope_events_log("%d messages for 004's check (typeof msg !== 'object' || !msg.type) and "
                     "a schema per type; %d of them pass", TESTS, GOOD);
    for (int i = 0; i < TESTS; i++)
        patterns_send(p, cJSON_Parse(tests[i]));
    patterns_send(p, cJSON_Parse("{\"type\":\"strict\",\"on\":false}"));
    patterns_send(p, cJSON_Parse("{\"type\":\"tally\"}"));
    patterns_await(p, on_tally, 10000);
}
