/* coalesce.c, step 5: writes faster than the watcher reads.
 *
 * First the writer saves 1,000 messages with nothing between them. The
 * kernel folds an event into the one before it while that one is unread
 * (same watch, same mask, same name), so the watcher gets far fewer events
 * than writes, reads only the file as it is by then, and most messages are
 * never seen: a file holds one message, not a queue of them.
 *
 * Then the queue itself: inotify keeps at most max_queued_events
 * (/proc/sys/fs/inotify/max_queued_events) unread events per fd, and past
 * that drops them and queues one IN_Q_OVERFLOW. libuv passes that event to
 * no one (its wd is -1, and no handle watches -1), so neither fs.watch nor
 * uv_fs_event ever tells. This part uses a raw inotify fd of its own, not
 * read while the writer floods the directory with events that cannot be
 * folded (two names in turn), then read to the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "events.h"
#include "fs-watch.h"

#define BURST 1000
#define MAX_QUEUED_SHOWN 1000000 /* a queue this long would take too long to fill */

static struct {
    scope_demo_t *d;
    fsw_watch_t w;
    fsw_run_t burst, flood;
    int fd;
    long long max_queued;
} s;

static void flood_done(fsw_run_t *run)
{
    char buf[65536];
    long long events = 0, overflow = 0;
    ssize_t n;
    /* Now read everything the kernel kept. */
    while ((n = read(s.fd, buf, sizeof buf)) > 0)
        for (char *at = buf; at < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)at;
            if (e->mask & IN_Q_OVERFLOW)
                overflow++;
            else
                events++;
            at += sizeof *e + e->len;
        }
    close(s.fd);
    scope_demo_figure(s.d, "overflow.max_queued", cJSON_CreateNumber((double)s.max_queued));
    scope_demo_figure(s.d, "overflow.writes", cJSON_CreateNumber((double)run->writes));
    scope_demo_figure(s.d, "overflow.events", cJSON_CreateNumber((double)events));
    scope_demo_figure(s.d, "overflow.overflows", cJSON_CreateNumber((double)overflow));
    scope_events_log("read() on the raw inotify fd: %lld events for %llu writes, then %s: the "
                     "kernel dropped %lld; an fs.watch user would never know",
                     events, (unsigned long long)run->writes,
                     overflow ? "IN_Q_OVERFLOW" : scope_events_tr("no overflow"),
                     (long long)run->writes - events);
    scope_demo_check(s.d, overflow == 1 && events <= s.max_queued, "overflow",
                     "%lld events, %lld overflows for a queue of %lld", events, overflow,
                     s.max_queued);
    scope_demo_next(s.d);
}

static void flood(void)
{
    fsw_t *p = s.d->data;
    FILE *f = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
    if (!f || fscanf(f, "%lld", &s.max_queued) != 1 || s.max_queued > MAX_QUEUED_SHOWN) {
        scope_events_log("/proc/sys/fs/inotify/max_queued_events unreadable or too large to "
                         "fill here: the overflow is not shown");
        if (f)
            fclose(f);
        scope_demo_next(s.d);
        return;
    }
    fclose(f);
    s.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (!scope_demo_check(s.d, s.fd >= 0 && inotify_add_watch(s.fd, p->dir, IN_MODIFY) >= 0,
                          "inotify", "%s: %s", p->dir, strerror(errno))) {
        if (s.fd >= 0)
            close(s.fd);
        scope_demo_next(s.d);
        return;
    }
    scope_events_log("max_queued_events = %lld; a raw fd: inotify_init1() -> fd %d, "
                     "inotify_add_watch(%d, dir, IN_MODIFY), and no read() until the writer "
                     "is done", s.max_queued, s.fd, s.fd);
    fsw_show_inotify();
    if (fsw_run_start(s.d, &s.flood, "flood", (long)s.max_queued + 100, 0, NULL, 0,
                      flood_done) < 0) {
        close(s.fd);
        scope_demo_next(s.d);
    }
}

static void burst_done(fsw_run_t *run)
{
    fsw_watch_stop(&s.w);
    fsw_report(s.d, "coalesce", &s.w, run->writes);
    scope_events_log("%llu writes, %llu events: the kernel folded the rest; %llu messages "
                     "were overwritten before anyone read them", (unsigned long long)run->writes,
                     (unsigned long long)s.w.events, (unsigned long long)s.w.skipped);
    scope_demo_check(s.d, s.w.last_seq == run->from + run->writes - 1, "coalesce",
                     "the last message was not parsed");
    flood();
}

void fsw_coalesce(scope_demo_t *d)
{
    fsw_t *p = d->data;
    s.d = d;
    s.w = (fsw_watch_t){.demo = d, .label = N_("file watch"), .max_read = (size_t)p->max_read,
                        .trace = &s.burst.trace};
    if (!p->dir[0] || fsw_watch_file(&s.w, d->loop, p->file, NULL) < 0 ||
        fsw_run_start(d, &s.burst, "burst", BURST, 0, NULL, 0, burst_done) < 0) {
        fsw_watch_stop(&s.w);
        scope_demo_next(d);
        return;
    }
    scope_events_log("the writer: %d pwrite()s of msg.json in a row; the watcher reads and "
                     "parses on each event it gets", BURST);
}
