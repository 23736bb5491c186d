/* fork-ipc's faults: a line a JSON parser must refuse, written on the channel
 * as it is (a node child throws and exits 1; lib/channel refuses it, goes on).
 *
 *   malformed  {not json
 *   blank      an empty line
 *   oversize   a line longer than the peer's --max-message (ours too)
 */
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "fork-ipc.h"

/* A lesson, not a flood: one fault a second, however many are asked for. */
#define FAULT_EVERY_NS 1000000000ull

void fork_ipc_fault(scope_channel_t *ch, const char *kind)
{
    static uint64_t last_ns;
    uint64_t now = scope_time_now_ns();
    if (last_ns && now - last_ns < FAULT_EVERY_NS) {
        scope_events_log("fault '%s' not sent: one a second, so the faults stay readable", kind);
        return;
    }
    last_ns = now;
    if (strcmp(kind, "malformed") == 0) {
        scope_events_log("fault: writing a line that is not JSON: {not json");
        scope_channel_write_raw(ch, "{not json\n", 10);
    } else if (strcmp(kind, "blank") == 0) {
        scope_events_log("fault: writing a blank line (node's parser would throw on it)");
        scope_channel_write_raw(ch, "\n", 1);
    } else if (strcmp(kind, "oversize") == 0) {
        /* A JSON string of spaces: valid but for its length. */
        size_t n = ch->max_message + 16;
        char *big = malloc(n);
        if (!big)
            return;
        memset(big, ' ', n);
        big[0] = big[n - 2] = '"';
        big[n - 1] = '\n';
        scope_events_log("fault: writing a %zu-byte line, over the %zu-byte limit", n,
                         ch->max_message);
        scope_channel_write_raw(ch, big, n);
        free(big);
    }
}
