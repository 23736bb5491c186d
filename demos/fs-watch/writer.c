/* writer.c: the writer, this program again as
 * `fs-watch --role writer --dir DIR --mode MODE --writes N --every MS --from SEQ`.
 *
 * Each step starts one to write msg.json its way (the watcher, process 1,
 * counts what it sees of it); every message is {"seq","t","pad"} of --size
 * bytes, seq numbered on from --from so that each has its own id in a run:
 *
 *   writefile  fs.writeFile: open(O_TRUNC), write(), close()    (steps 1, 2)
 *   inplace    one pwrite() at offset 0, no truncation          (step 2)
 *   torn       open(O_TRUNC), half the bytes, --every ms, the rest (step 3)
 *   rename     a temporary file rename()d over msg.json         (steps 4, 6)
 *   burst      N pwrite()s as fast as they go                   (step 5)
 *   flood      N pwrite()s, msg.json and other.json in turn     (step 5)
 *   measure    rename, and the same seq on the pipe at fd 3     (step 7)
 *   steady     rename, --count at --rate (the dashboard's pace) (step 8)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "events.h"
#include "fs-watch.h"

#define PIPE_FD 3

typedef struct {
    scope_demo_t *demo;
    const char *dir, *mode;
    long long writes, every_ms, done;
    uint64_t seq;
    char *buf;
    size_t size, len;
    int torn_fd; /* torn: the file, between its two halves */
    scope_trace_t trace;
    uv_timer_t timer;
    scope_pacer_t pacer;
    int paced, timing;
    uv_fs_t req; /* writefile: fs.writeFile's open, write, close in turn */
    uv_file file;
    int busy;    /* a save of that kind is under way: the next one waits */
} writer_t;

static void finish(writer_t *w)
{
    if (w->timing)
        uv_close((uv_handle_t *)&w->timer, NULL);
    if (w->paced)
        scope_pacer_close(&w->pacer);
    w->timing = w->paced = 0;
    scope_demo_stop(w->demo);
}

static void said(int r, const char *how)
{
    if (r < 0)
        scope_events_error("write", "%s %s: %s", scope_events_tr(how), FSW_NAME, strerror(-r));
}

/* The next message into w->buf, traced as sent: its id is its seq. */
static void next_message(writer_t *w)
{
    w->len = fsw_message(w->buf, w->size + 64, w->seq, w->size);
    scope_trace_msg(&w->trace, SCOPE_TRACE_SEND, w->seq++, w->buf, w->len, 0);
    w->done++;
}

/* fs.writeFile(): open(O_TRUNC), write(), close(), each on libuv's thread
 * pool with a turn of the loop between them, as node does. Between the
 * truncation and the write, msg.json is empty for all to see. */
static void on_async(uv_fs_t *req)
{
    writer_t *w = scope_container_of(req, writer_t, req);
    uv_fs_type type = req->fs_type;
    ssize_t r = req->result;
    uv_fs_req_cleanup(req);
    if (r < 0)
        said((int)r, type == UV_FS_OPEN ? "open" : type == UV_FS_WRITE ? "write" : "close");
    if (type == UV_FS_OPEN && r >= 0) {
        w->file = (uv_file)r;
        uv_buf_t b = uv_buf_init(w->buf, (unsigned int)w->len);
        uv_fs_write(w->demo->loop, &w->req, w->file, &b, 1, -1, on_async);
    } else if (type == UV_FS_WRITE) {
        uv_fs_close(w->demo->loop, &w->req, w->file, on_async);
    } else {
        w->busy = 0; /* closed, or never opened */
    }
}

static void write_one(writer_t *w)
{
    const char *m = w->mode;
    next_message(w);
    if (strcmp(m, "torn") == 0) {
        char path[PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/" FSW_NAME, w->dir);
        w->torn_fd = open(path, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (w->torn_fd < 0 || write(w->torn_fd, w->buf, w->len / 2) < 0)
            said(-errno, "open/write");
        return; /* the rest after --every / 2 ms */
    }
    if (strcmp(m, "writefile") == 0) {
        char path[PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/" FSW_NAME, w->dir);
        w->busy = 1;
        uv_fs_open(w->demo->loop, &w->req, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600,
                   on_async);
        return;
    }
    fsw_how_t how = strcmp(m, "inplace") == 0 ? FSW_INPLACE : FSW_RENAME;
    said(fsw_save(w->dir, w->buf, w->len, how), N_("save"));
    if (strcmp(m, "measure") == 0) {
        /* The same seq on a pipe, timed from its own write(): what a
         * pipe's wake-up costs, next to the file's save, wake-up and read. */
        char line[80];
        int n = snprintf(line, sizeof line, "{\"seq\":%llu,\"t\":%llu}\n",
                         (unsigned long long)(w->seq - 1), (unsigned long long)scope_time_now_ns());
        if (write(PIPE_FD, line, (size_t)n) < 0)
            said(-errno, "pipe");
    }
}

static void on_timer(uv_timer_t *t)
{
    writer_t *w = scope_container_of(t, writer_t, timer);
    if (w->torn_fd >= 0) { /* the second half of a torn write */
        if (write(w->torn_fd, w->buf + w->len / 2, w->len - w->len / 2) < 0)
            said(-errno, "write");
        close(w->torn_fd);
        w->torn_fd = -1;
    } else if (w->done < w->writes && !w->busy) {
        write_one(w);
    }
    if (w->done >= w->writes && w->torn_fd < 0 && !w->busy)
        finish(w);
    else
        uv_timer_start(&w->timer, on_timer,
                       (uint64_t)(w->torn_fd >= 0 ? w->every_ms / 2 : w->every_ms), 0);
}

static void on_pace(scope_pacer_t *pc)
{
    writer_t *w = scope_container_of(pc, writer_t, pacer);
    write_one(w);
    if (w->done < w->demo->count && !w->demo->quitting)
        scope_pacer_next(&w->pacer, on_pace);
    else
        finish(w);
}

/* burst and flood: every write at once, nothing between them. */
static void all_at_once(writer_t *w)
{
    if (strcmp(w->mode, "burst") == 0) {
        while (w->done < w->writes)
            next_message(w), said(fsw_save(w->dir, w->buf, w->len, FSW_INPLACE), N_("save"));
        scope_events_log("%lld pwrite()s of msg.json in a row, nothing between them", w->writes);
        return;
    }
    /* Two names in turn: no two events in a row are the same, so the kernel
     * cannot fold them into one, and each takes a place in the queue. */
    char a[PATH_MAX + 16], b[PATH_MAX + 16];
    snprintf(a, sizeof a, "%s/" FSW_NAME, w->dir);
    snprintf(b, sizeof b, "%s/other.json", w->dir);
    int fds[2] = {open(a, O_WRONLY | O_CLOEXEC | O_NOFOLLOW),
                  open(b, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)};
    w->len = fsw_message(w->buf, w->size + 64, w->seq, w->size);
    for (long long i = 0; fds[0] >= 0 && fds[1] >= 0 && i < w->writes; i++)
        if (pwrite(fds[i % 2], w->buf, w->len, 0) < 0)
            break;
    scope_events_log("%lld pwrite()s, msg.json and other.json in turn: %lld events for the "
                     "queue, none alike to the one before", w->writes, w->writes);
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    unlink(b);
}

static void on_quit(scope_demo_t *d)
{
    finish(d->data);
}

int fsw_writer_main(scope_demo_t *d, const char *dir, const char *mode, long long writes,
                    long long every_ms, long long from)
{
    writer_t w = {.demo = d, .dir = dir, .mode = mode, .writes = writes, .every_ms = every_ms,
                  .seq = (uint64_t)from, .torn_fd = -1};
    d->data = &w;
    d->on_quit = on_quit;
    if (scope_demo_start(d, uv_default_loop(), d->role, 0) < 0)
        return 1;
    w.size = d->size < 48 ? 48 : d->size;
    w.buf = malloc(w.size + 64);
    /* The directory must be a private one of ours: nobody else's file. */
    if (!scope_demo_check(d, w.buf && scope_rundir_check(dir) == 0, "dir",
                          "%s is not a private directory of ours", dir)) {
        scope_demo_stop(d);
    } else {
        scope_trace_init(&w.trace, FSW_NAME, SCOPE_PID(getpid()), SCOPE_PID(getppid()));
        if (strcmp(mode, "steady") == 0) {
            scope_pacer_init(d, &w.pacer);
            w.paced = 1;
            scope_pacer_next(&w.pacer, on_pace);
        } else if (strcmp(mode, "burst") == 0 || strcmp(mode, "flood") == 0) {
            all_at_once(&w);
            scope_demo_stop(d);
        } else {
            uv_timer_init(d->loop, &w.timer);
            w.timing = 1;
            uv_timer_start(&w.timer, on_timer, 0, 0);
        }
    }
    int code = scope_demo_run(d);
    if (w.torn_fd >= 0)
        close(w.torn_fd);
    free(w.buf);
    return code;
}
