/* several.c, step 2: several events for one write.
 *
 * The same file watch as step 1 hears ten messages saved with one pwrite()
 * each (the bytes change once: one IN_MODIFY), then ten saved as
 * fs.writeFile saves them, open(O_TRUNC) then write(): the truncation
 * is a change of its own, so a second event, and a reader woken by it reads
 * an empty file. Whether the two events reach the watcher as two depends on
 * whether it read the first before the second came: the kernel folds an
 * event into the one before it only while that one is still unread.
 */
#include <stdio.h>

#include "events.h"
#include "fs-watch.h"

#define WRITES 10

static struct {
    scope_demo_t *d;
    fsw_watch_t w[2];
    fsw_run_t run[2];
} s;

static void start(int i);

static void done(fsw_run_t *run)
{
    int i = run == &s.run[1];
    fsw_watch_stop(&s.w[i]);
    fsw_report(s.d, i ? "several.writefile" : "several.inplace", &s.w[i], WRITES);
    if (i == 0) {
        start(1);
        return;
    }
    scope_events_log("one pwrite(): %llu events for %d writes; open(O_TRUNC) + write(): %llu, "
                     "and %llu reads found the file empty or half there",
                     (unsigned long long)s.w[0].events, WRITES,
                     (unsigned long long)s.w[1].events, (unsigned long long)s.w[1].bad);
    scope_demo_check(s.d, s.w[1].events >= s.w[0].events, "several",
                     "fs.writeFile made fewer events than pwrite");
    scope_demo_next(s.d);
}

static void start(int i)
{
    fsw_t *p = s.d->data;
    s.w[i] = (fsw_watch_t){.demo = s.d, .label = i ? "fs.writeFile" : N_("one pwrite"),
                           .max_read = (size_t)p->max_read, .trace = &s.run[i].trace};
    if (fsw_watch_file(&s.w[i], s.d->loop, p->file, NULL) < 0 ||
        fsw_run_start(s.d, &s.run[i], i ? "writefile" : "inplace", WRITES, 50, NULL, 0, done) < 0) {
        fsw_watch_stop(&s.w[i]);
        scope_demo_next(s.d);
        return;
    }
    scope_events_log("the writer saves %d messages, 50 ms apart, %s", WRITES,
                     i ? scope_events_tr("with open(O_TRUNC) + write(): two changes each")
                       : scope_events_tr("each with one pwrite() at offset 0: one change each"));
}

void fsw_several(scope_demo_t *d)
{
    fsw_t *p = d->data;
    s.d = d;
    if (!p->dir[0]) {
        scope_demo_next(d);
        return;
    }
    start(0);
}
