/* faults.c: someone else's hand on msg.json or its directory (the
 * dashboard's fault command, or --fault once the steady part runs).
 *
 *   notjson  msg.json replaced by text that is not JSON: a parse error, and
 *            the watcher goes on;
 *   huge     msg.json replaced by a 100 MB file (sparse: no disk spent): the
 *            watcher looks at its size before reading and refuses it;
 *   dir      msg.json replaced by a directory: the watcher says so, the
 *            writer's rename() fails (EISDIR); a second later the directory
 *            goes and the writer's next save puts a file back;
 *   rmdir    the private directory removed: the directory's watch hears
 *            IN_DELETE_SELF, and the run ends, saying why.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events.h"
#include "fs-watch.h"

#define HUGE_BYTES (100ll << 20)

static struct {
    uv_timer_t heal;
    int healing;
    char path[PATH_MAX + 16];
} s;

static void on_heal(uv_timer_t *t)
{
    (void)t;
    if (rmdir(s.path) == 0)
        scope_events_log("fault over: rmdir(%s); the writer's next rename() puts a file back",
                         FSW_NAME);
    uv_close((uv_handle_t *)&s.heal, NULL);
    s.healing = 0;
}

/* A new msg.json of size bytes (text, or a hole of size), renamed in. */
static int replace(const fsw_t *p, const char *text, long long size)
{
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s/fault.tmp", p->dir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -errno;
    int r = text ? (write(fd, text, strlen(text)) < 0 ? -errno : 0)
                 : (ftruncate(fd, (off_t)size) < 0 ? -errno : 0);
    close(fd);
    if (r == 0 && rename(tmp, p->file) < 0)
        r = -errno;
    if (r < 0)
        unlink(tmp);
    return r;
}

void fsw_fault(scope_demo_t *d, const char *kind)
{
    fsw_t *p = d->data;
    int r = 0;
    if (!kind || !p->dir[0] || s.healing) {
        scope_events_log("fault '%s' not done: %s", kind ? kind : "",
                         s.healing ? scope_events_tr("the last one is not over")
                                   : scope_events_tr("no msg.json yet"));
        return;
    }
    if (strcmp(kind, "notjson") == 0) {
        scope_events_log("fault: msg.json := \"hello, not JSON {\" (renamed in)");
        r = replace(p, "hello, not JSON {", 0);
    } else if (strcmp(kind, "huge") == 0) {
        scope_events_log("fault: msg.json := a 100 MB file (ftruncate, a hole: no disk spent); "
                         "the watcher's limit is --max-read %lld bytes", p->max_read);
        r = replace(p, NULL, HUGE_BYTES);
    } else if (strcmp(kind, "dir") == 0) {
        scope_events_log("fault: unlink(msg.json), mkdir(msg.json): a directory in its place "
                         "for a second");
        snprintf(s.path, sizeof s.path, "%s", p->file);
        /* The writer may rename a new msg.json in between the two: EEXIST.
         * Again, then, as rmdir does. */
        for (int i = 0; i < 20; i++) {
            r = unlink(p->file) < 0 && errno != ENOENT ? -errno
                : mkdir(p->file, 0700) < 0             ? -errno
                                                       : 0;
            if (r != -EEXIST)
                break;
        }
        if (r == 0) {
            uv_timer_init(d->loop, &s.heal);
            uv_timer_start(&s.heal, on_heal, 1000, 0);
            s.healing = 1;
        }
    } else if (strcmp(kind, "rmdir") == 0) {
        scope_events_log("fault: rm %s/*, rmdir %s: the directory goes", p->dir, p->dir);
        /* The writer may put a new temporary file in between the two:
         * ENOTEMPTY, and the directory would stay. Again, then. */
        for (int i = 0; i < 20 && (r = fsw_dir_remove(p->dir)) == -ENOTEMPTY; i++)
            ;
    }
    if (r < 0)
        scope_events_error("fault", "%s: %s", kind, strerror(-r));
}
