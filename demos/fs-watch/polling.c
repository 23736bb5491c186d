/* polling.c, step 6: fs.watchFile, polling beside inotify.
 *
 * uv_fs_poll (what fs.watchFile runs on) does not ask the kernel to tell
 * it: it calls stat() every --poll-ms on libuv's thread pool and calls back
 * when mtime, size or inode changed. It works where inotify does not (NFS,
 * some containers' mounts) and survives a rename (it looks the path up each
 * time). Its price is latency: a change waits for the next stat, so from 0
 * to the whole interval, and two saves within one interval are one.
 * fs.watchFile's default interval is 5007 ms.
 */
#include <stdio.h>

#include "events.h"
#include "fs-watch.h"

#define WRITES 8

static struct {
    scope_demo_t *d;
    fsw_watch_t poll, dir;
    fsw_run_t run;
} s;

static void done(fsw_run_t *run)
{
    fsw_t *p = s.d->data;
    char a[32], b[32];
    fsw_watch_stop(&s.poll);
    fsw_watch_stop(&s.dir);
    fsw_report(s.d, "polling.poll", &s.poll, run->writes);
    fsw_report(s.d, "polling.inotify", &s.dir, run->writes);
    scope_demo_figure(s.d, "polling.interval_ms", cJSON_CreateNumber((double)p->poll_ms));
    scope_time_format(a, sizeof a, (double)scope_hist_percentile(&s.poll.latency, 50));
    scope_time_format(b, sizeof b, (double)scope_hist_percentile(&s.dir.latency, 50));
    scope_events_log("polling every %lld ms: %llu of %llu saves seen, write -> parsed p50 %s; "
                     "inotify on the directory: %llu, p50 %s", p->poll_ms,
                     (unsigned long long)(s.poll.parses - s.poll.dups),
                     (unsigned long long)run->writes, a,
                     (unsigned long long)(s.dir.parses - s.dir.dups), b);
    scope_demo_check(s.d, s.poll.parses > 0, "polling", "the poll saw no save");
    scope_demo_next(s.d);
}

void fsw_polling(scope_demo_t *d)
{
    fsw_t *p = d->data;
    s.d = d;
    size_t max = (size_t)p->max_read;
    s.poll = (fsw_watch_t){.demo = d, .label = N_("poll"), .max_read = max, .trace = &s.run.trace};
    s.dir = (fsw_watch_t){.demo = d, .label = N_("dir watch"), .max_read = max};
    /* Saves a little further apart than the interval, and out of step with it. */
    long every = (long)p->poll_ms * 3 / 2 + 7;
    if (!p->dir[0] || fsw_watch_poll(&s.poll, d->loop, p->file, (long)p->poll_ms) < 0 ||
        fsw_watch_file(&s.dir, d->loop, p->file, FSW_NAME) < 0 ||
        fsw_run_start(d, &s.run, "rename", WRITES, every, NULL, 0, done) < 0) {
        fsw_watch_stop(&s.poll);
        fsw_watch_stop(&s.dir);
        scope_demo_next(d);
        return;
    }
    scope_events_log("fs.watchFile('./msg.json', {interval: %lld}): uv_fs_poll_start(), a "
                     "stat() every %lld ms; the writer saves %d messages, %ld ms apart",
                     p->poll_ms, p->poll_ms, WRITES, every);
}
