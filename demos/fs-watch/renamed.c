/* renamed.c, step 4: the watch lost when an editor saves by rename, and the
 * fix.
 *
 * Two watches at once: the article's, on the file, and one on its
 * directory. The writer saves five messages as editors do (vim, VS Code):
 * a new file, rename()d over msg.json. The name now points at a new inode;
 * the old one, the one inotify watched, is deleted (IN_DELETE_SELF,
 * IN_IGNORED): the file watch hears the first save and nothing after. The
 * directory's watch hears IN_MOVED_TO "msg.json" for every save, and a
 * reader of a renamed file never finds it half written.
 */
#include <stdio.h>

#include "events.h"
#include "fs-watch.h"

#define WRITES 5

static struct {
    scope_demo_t *d;
    fsw_watch_t file, dir;
    fsw_run_t run;
} s;

static void done(fsw_run_t *run)
{
    uint64_t lost = run->writes - (s.file.parses - s.file.dups);
    fsw_watch_stop(&s.file);
    fsw_watch_stop(&s.dir);
    fsw_report(s.d, "renamed.file", &s.file, run->writes);
    fsw_report(s.d, "renamed.dir", &s.dir, run->writes);
    scope_demo_figure(s.d, "renamed.lost", cJSON_CreateNumber((double)lost));
    scope_events_log("the file's watch saw %llu of %llu saves: its inode went with the first "
                     "rename, and %llu were never seen; the directory's watch saw %llu, none "
                     "torn", (unsigned long long)(s.file.parses - s.file.dups),
                     (unsigned long long)run->writes, (unsigned long long)lost,
                     (unsigned long long)(s.dir.parses - s.dir.dups));
    scope_demo_check(s.d, lost > 0, "renamed", "the file's watch was not lost");
    scope_demo_check(s.d, s.dir.parses - s.dir.dups == run->writes && !s.dir.bad, "renamed",
                     "the directory's watch missed a save, or read one torn");
    scope_demo_next(s.d);
}

void fsw_renamed(scope_demo_t *d)
{
    fsw_t *p = d->data;
    s.d = d;
    size_t max = (size_t)p->max_read;
    s.file = (fsw_watch_t){.demo = d, .label = N_("file watch"), .max_read = max};
    s.dir = (fsw_watch_t){.demo = d, .label = N_("dir watch"), .max_read = max,
                          .trace = &s.run.trace};
    if (!p->dir[0] || fsw_watch_file(&s.file, d->loop, p->file, NULL) < 0 ||
        fsw_watch_file(&s.dir, d->loop, p->file, FSW_NAME) < 0 ||
        fsw_run_start(d, &s.run, "rename", WRITES, 100, NULL, 0, done) < 0) {
        fsw_watch_stop(&s.file);
        fsw_watch_stop(&s.dir);
        scope_demo_next(d);
        return;
    }
    fsw_show_inotify();
    scope_events_log("the writer saves %d messages as an editor does: msg.json.PID.tmp, then "
                     "rename() over msg.json; one watch on the file, one on %s", WRITES, p->dir);
}
