/* fs-watch: a JSON file as a mailbox, with the lid off (article 001's
 * `fs.watch('./msg.json', () => JSON.parse(fs.readFileSync('./msg.json')))`).
 *
 *   1. A private directory (mkdtemp, 0700) holds msg.json. The watcher, this
 *      process, calls uv_fs_event_start() on the file: libuv makes an inotify
 *      fd (inotify_init1) and adds a watch on the file's inode
 *      (inotify_add_watch). The writer, this program again as --role writer,
 *      saves a message as fs.writeFile does (writer.c): open(O_TRUNC), then
 *      write(), each on libuv's thread pool. On every event the watcher
 *      reads the whole file (readFileSync: open, fstat, read, bounded by
 *      --max-read) and parses it. Each message carries its write time ("t",
 *      the monotonic clock both processes share): write -> parsed is its latency.
 *   2-7. What really happens (several.c, torn.c, renamed.c, coalesce.c,
 *      polling.c, measure.c): several events for one write, a torn read, the
 *      watch lost by a rename, coalesced events and a full queue, polling,
 *      and the figures next to a pipe's.
 *   8. The steady part, the fix: the writer saves to a temporary file and
 *      rename()s it over msg.json (a reader sees the old file or the new,
 *      never half of one), and the watcher watches the DIRECTORY, keeping
 *      only the events named msg.json, so a new inode is still seen.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events.h"
#include "fs-watch.h"

static void article_done(fsw_run_t *run);
static void steady_done(fsw_run_t *run);
static void on_dir_gone(fsw_watch_t *w);

void fsw_article(scope_demo_t *d)
{
    fsw_t *p = d->data;
    char first[256];
    p->watch = (fsw_watch_t){.demo = d, .label = N_("file watch"), .max_read = (size_t)p->max_read,
                             .trace = &p->run.trace};
    /* fs.watch() throws ENOENT for a file that is not there: a first one. */
    if (fsw_place(d) < 0 ||
        fsw_save(p->dir, first, fsw_message(first, sizeof first, 0, 64), FSW_INPLACE) < 0 ||
        fsw_watch_file(&p->watch, d->loop, p->file, NULL) < 0) {
        scope_demo_stop(d);
        return;
    }
    scope_events_log("fs.watch('./msg.json'): uv_fs_event_start() -> inotify_init1(), then "
                     "inotify_add_watch(%s, IN_MODIFY|IN_ATTRIB|IN_MOVE_SELF|IN_DELETE_SELF|...)"
                     ": the kernel queues an event on every change of that inode", FSW_NAME);
    fsw_show_inotify();
    if (fsw_run_start(d, &p->run, "writefile", 3, 300, NULL, 0, article_done) < 0) {
        fsw_watch_stop(&p->watch);
        scope_demo_stop(d);
        return;
    }
    scope_events_log("writer %ld: fs.writeFile: open(msg.json, O_TRUNC), write(), close(), 3 times; "
                     "on each event the watcher reads the whole file and parses it",
                     (long)p->run.role.pid);
}

static void article_done(fsw_run_t *run)
{
    scope_demo_t *d = run->demo;
    fsw_t *p = d->data;
    fsw_watch_t *w = &p->watch;
    fsw_watch_stop(w);
    fsw_report(d, "article", w, run->writes);
    scope_demo_check(d, w->last_seq == run->from + run->writes - 1, "article",
                     "the last message was never parsed");
    scope_demo_next(d);
}

/* The steady part: the fix, at --rate, for --count messages. */
void fsw_steady(scope_demo_t *d)
{
    fsw_t *p = d->data;
    char n[48];
    p->dirwatch = (fsw_watch_t){.demo = d, .label = N_("dir watch"), .on_gone = on_dir_gone,
                                .max_read = (size_t)p->max_read, .trace = &p->steady.trace};
    if (!p->dir[0] || fsw_watch_file(&p->dirwatch, d->loop, p->file, FSW_NAME) < 0 ||
        fsw_run_start(d, &p->steady, "steady", d->count, 0, NULL, 0, steady_done) < 0) {
        fsw_watch_stop(&p->dirwatch);
        scope_demo_stop(d);
        return;
    }
    p->running = 1;
    scope_trace_stats_start(&p->steady.trace, d->loop, 1000);
    scope_events_log("%s: msg.json.PID.tmp renamed over msg.json; inotify_add_watch(%s), "
                     "the directory", scope_demo_count_of(n, sizeof n, d->count, "message",
                     "messages"), p->dir);
    scope_demo_next(d); /* the lesson's end (or --fault): the writer goes on */
}

static void steady_done(fsw_run_t *run)
{
    scope_demo_t *d = run->demo;
    fsw_t *p = d->data;
    p->running = 0;
    fsw_watch_stop(&p->dirwatch);
    fsw_report(d, "steady", &p->dirwatch, run->writes);
    scope_demo_stop(d);
}

/* The directory was removed under us: the writer cannot go on either. */
static void on_dir_gone(fsw_watch_t *w)
{
    fsw_t *p = w->demo->data;
    scope_demo_check(w->demo, 0, w->label, "the watched directory %s is gone: no event can "
                     "come any more; the run ends", w->dir);
    if (p->running)
        scope_role_kill(&p->steady.role, SIGTERM);
}

static void on_fs_event(uv_fs_event_t *h, const char *filename, int events, int status)
{
    fsw_watch_t *w = scope_container_of(h, fsw_watch_t, ev);
    if (status < 0) {
        scope_events_error(w->label, "inotify: %s", uv_strerror(status));
        return;
    }
    /* A watch on the directory hears of every name in it: the writer's
     * temporary file too. IN_DELETE_SELF names the directory itself. */
    if (w->name[0] && (!filename || strcmp(filename, w->name) != 0)) {
        if ((events & UV_RENAME) && access(w->dir, F_OK) < 0 && !w->gone++ && w->on_gone)
            w->on_gone(w);
        return;
    }
    w->events++;
    fsw_watch_read(w);
}

int fsw_watch_file(fsw_watch_t *w, uv_loop_t *loop, const char *file, const char *name)
{
    snprintf(w->path, sizeof w->path, "%s", file);
    snprintf(w->name, sizeof w->name, "%s", name ? name : "");
    snprintf(w->dir, sizeof w->dir, "%.*s", (int)(strrchr(file, '/') - file), file);
    uv_fs_event_init(loop, &w->ev);
    /* fs.watch(): inotify_add_watch() on the path given. On the file, the
     * watch holds that inode; on the directory, every name in it. */
    int r = uv_fs_event_start(&w->ev, on_fs_event, name ? w->dir : file, 0);
    w->ev_on = 1;
    if (r < 0) {
        scope_demo_check(w->demo, 0, w->label, "uv_fs_event_start(%s): %s", file, uv_strerror(r));
        fsw_watch_stop(w);
    }
    return r;
}

void fsw_watch_read(fsw_watch_t *w)
{
    /* readFileSync: O_NONBLOCK so that a FIFO put in its place cannot hang
     * us, O_NOFOLLOW so that a symlink cannot send us elsewhere. */
    int fd = open(w->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) < 0)
        close(fd), fd = -1;
    if (fd < 0) {
        scope_events_log("%s: open(%s): %s", scope_events_tr(w->label), FSW_NAME, strerror(errno));
        return;
    }
    /* Bounded: the size is looked at before a byte is read. */
    if (!S_ISREG(st.st_mode) || (size_t)st.st_size > w->max_read) {
        w->refused++;
        if (!S_ISREG(st.st_mode))
            scope_events_error(w->label, "%s is not a regular file now: not read", FSW_NAME);
        else
            scope_events_error(w->label, "%s is %lld bytes, over --max-read %zu: refused, "
                               "not read", FSW_NAME, (long long)st.st_size, w->max_read);
        close(fd);
        return;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t got = 0, n = 1;
    while (buf && got < st.st_size && (n = read(fd, buf + got, (size_t)(st.st_size - got))) > 0)
        got += n;
    close(fd);
    cJSON *msg = buf ? cJSON_ParseWithLength(buf, (size_t)got) : NULL;
    if (!msg) {
        /* JSON.parse throws: the article's callback would crash here. */
        char shown[48];
        scope_trace_summarize(shown, sizeof shown, buf ? buf : "", (size_t)got);
        w->bad++;
        const char *empty = got == 0 ? N_(" (empty: truncated, not yet written)") : "";
        scope_events_error("parse", "%s read %zd bytes, not JSON%s: %s", scope_events_tr(w->label),
                           got, *empty ? scope_events_tr(empty) : "", shown);
        free(buf);
        return;
    }
    uint64_t seq, lat = fsw_watch_count(w, msg, &seq);
    if (w->trace)
        scope_trace_msg(w->trace, SCOPE_TRACE_RECV, seq, buf, (size_t)got, lat);
    cJSON_Delete(msg);
    free(buf);
}

/* The writer's side: one pwrite in place, or the atomic rename. */
int fsw_save(const char *dir, const char *json, size_t n, fsw_how_t how)
{
    char path[PATH_MAX + 16], tmp[PATH_MAX + 48];
    snprintf(path, sizeof path, "%s/" FSW_NAME, dir);
    snprintf(tmp, sizeof tmp, "%s/" FSW_NAME ".%ld.tmp", dir, (long)getpid());
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (how == FSW_INPLACE ? 0 : O_TRUNC);
    int fd = open(how == FSW_RENAME ? tmp : path, flags, 0600);
    if (fd < 0)
        return -errno;
    /* pwrite at 0 over a message of the same length changes the bytes in
     * one go: one event, where O_TRUNC then write() makes two. */
    ssize_t w = how == FSW_INPLACE ? pwrite(fd, json, n, 0) : write(fd, json, n);
    int e = w == (ssize_t)n ? 0 : w < 0 ? -errno : -EIO;
    close(fd);
    /* rename() swaps the name to the new inode at once: a reader opens the
     * old file or the new one, never one half written. No fsync: the other
     * process reads the page cache, a crash is not this lesson. */
    if (!e && how == FSW_RENAME && rename(tmp, path) < 0)
        e = -errno;
    if (e && how == FSW_RENAME)
        unlink(tmp);
    return e;
}

static void on_poll(uv_fs_poll_t *h, int status, const uv_stat_t *prev, const uv_stat_t *curr)
{
    fsw_watch_t *w = scope_container_of(h, fsw_watch_t, poll);
    (void)prev, (void)curr;
    w->events++;
    if (status < 0)
        scope_events_log("%s: stat(%s): %s", scope_events_tr(w->label), FSW_NAME,
                         uv_strerror(status));
    else
        fsw_watch_read(w);
}

int fsw_watch_poll(fsw_watch_t *w, uv_loop_t *loop, const char *file, long ms)
{
    snprintf(w->path, sizeof w->path, "%s", file);
    uv_fs_poll_init(loop, &w->poll);
    /* fs.watchFile(): stat() every ms on the thread pool; a change of
     * mtime, size or inode between two stats calls back. */
    int r = uv_fs_poll_start(&w->poll, on_poll, file, (unsigned int)ms);
    w->poll_on = 1;
    if (r < 0) {
        scope_demo_check(w->demo, 0, w->label, "uv_fs_poll_start(%s): %s", file, uv_strerror(r));
        fsw_watch_stop(w);
    }
    return r;
}
