/* torn.c, step 3: a torn read.
 *
 * The writer truncates msg.json, writes half of a message, waits, then
 * writes the rest: what any save of a big file looks like from outside (a
 * write() of many pages is not one event, and nothing tells a reader that
 * a save is over). The watcher, woken by the first half, reads it and
 * JSON.parse throws: an error row in the flow, counted. It goes on, and the
 * next event brings the whole message.
 */
#include <stdio.h>

#include "events.h"
#include "fs-watch.h"

#define WRITES 3

static struct {
    scope_demo_t *d;
    fsw_watch_t w;
    fsw_run_t run;
} s;

static void done(fsw_run_t *run)
{
    fsw_watch_stop(&s.w);
    fsw_report(s.d, "torn", &s.w, run->writes);
    scope_events_log("%llu reads were not JSON (empty, or half a message), and the watcher "
                     "went on: %llu whole messages parsed; in node each would have thrown "
                     "inside the fs.watch callback", (unsigned long long)s.w.bad,
                     (unsigned long long)(s.w.parses - s.w.dups));
    scope_demo_check(s.d, s.w.bad > 0, "torn", "no torn read was caught");
    scope_demo_check(s.d, s.w.last_seq == run->from + run->writes - 1, "torn",
                     "the last whole message was not parsed");
    scope_demo_next(s.d);
}

void fsw_torn(scope_demo_t *d)
{
    fsw_t *p = d->data;
    s.d = d;
    s.w = (fsw_watch_t){.demo = d, .label = N_("file watch"), .max_read = (size_t)p->max_read,
                        .trace = &s.run.trace};
    if (!p->dir[0] || fsw_watch_file(&s.w, d->loop, p->file, NULL) < 0 ||
        fsw_run_start(d, &s.run, "torn", WRITES, 400, NULL, 0, done) < 0) {
        fsw_watch_stop(&s.w);
        scope_demo_next(d);
        return;
    }
    scope_events_log("the writer: open(O_TRUNC), write() of half a message, 200 ms, write() "
                     "of the rest; %d times", WRITES);
}
