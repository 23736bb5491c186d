/* measure.c, step 7: what "slow" costs, measured.
 *
 * The writer saves --measure messages 10 ms apart, the fixed way (a
 * temporary file renamed over msg.json), and writes the same line to a pipe
 * whose read end is ours: one message, three ways to hear of it, each
 * timed from its "t" (the write) to its parse here:
 *
 *   inotify: uv_fs_event on the directory, then open, read, JSON.parse;
 *   poll:    uv_fs_poll, a stat() every --poll-ms, then the same read;
 *   pipe:    the line itself, read from the pipe (one way, as the file's).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "framing.h"
#include "fs-watch.h"

enum { INOTIFY, POLL, PIPE, WAYS };
static const char *const names[WAYS] = {"inotify", "poll", "pipe"};

static struct {
    scope_demo_t *d;
    fsw_watch_t w[WAYS]; /* the pipe's only for its counts */
    fsw_run_t run;
    uv_pipe_t pipe;
    scope_ndjson_t lines;
    char buf[4096];
    int pipe_open, measured;
} s;

static void on_line(void *arg, cJSON *msg, const char *line, size_t len)
{
    uint64_t seq;
    (void)arg, (void)line, (void)len;
    fsw_watch_count(&s.w[PIPE], msg, &seq);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h, (void)suggested;
    *buf = uv_buf_init(s.buf, sizeof s.buf);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    (void)st;
    if (n > 0)
        scope_ndjson_feed(&s.lines, buf->base, (size_t)n);
}

static void close_pipe(void)
{
    if (s.pipe_open) {
        uv_close((uv_handle_t *)&s.pipe, NULL);
        scope_ndjson_free(&s.lines);
        scope_events_chan("close", "pipe", "pipe", SCOPE_PID(getpid()),
                          SCOPE_PID(s.run.role.pid), NULL);
    }
    s.pipe_open = 0;
}

static void done(fsw_run_t *run)
{
    char p50[WAYS][32], p99[32], key[48];
    for (int i = 0; i < WAYS; i++)
        fsw_watch_stop(&s.w[i]);
    close_pipe();
    for (int i = 0; i < WAYS; i++) {
        const scope_hist_t *h = &s.w[i].latency;
        uint64_t v50 = scope_hist_percentile(h, 50), v99 = scope_hist_percentile(h, 99);
        scope_time_format(p50[i], sizeof p50[i], (double)v50);
        scope_time_format(p99, sizeof p99, (double)v99);
        scope_events_log("%-7s write -> parsed: p50 %s, p99 %s (%llu of %llu messages)",
                         names[i], p50[i], p99, (unsigned long long)h->count,
                         (unsigned long long)run->writes);
        snprintf(key, sizeof key, "measure.%s_p50_ns", names[i]);
        scope_demo_figure(s.d, key, cJSON_CreateNumber((double)v50));
        snprintf(key, sizeof key, "measure.%s_p99_ns", names[i]);
        scope_demo_figure(s.d, key, cJSON_CreateNumber((double)v99));
        snprintf(key, sizeof key, "measure.%s_count", names[i]);
        scope_demo_figure(s.d, key, cJSON_CreateNumber((double)h->count));
        scope_demo_check(s.d, h->count > 0, names[i], "no message timed through %s", names[i]);
    }
    s.measured = 1;
    scope_events_log("\"slow\"? inotify hears of a save in %s, about a pipe's %s: a wake-up and "
                     "a read. Polling waits for its next stat (%s at every %lld ms). The "
                     "weakness is not speed but what steps 2 to 5 showed: events doubled, torn "
                     "reads, a watch lost, messages overwritten unread", p50[INOTIFY], p50[PIPE],
                     p50[POLL], ((fsw_t *)s.d->data)->poll_ms);
    scope_demo_next(s.d);
}

void fsw_measure(scope_demo_t *d)
{
    fsw_t *p = d->data;
    int fds[2] = {-1, -1};
    s.d = d;
    if (!p->dir[0] || p->measure <= 0) {
        scope_demo_next(d);
        return;
    }
    const char *labels[WAYS] = {N_("dir watch"), N_("poll"), N_("pipe")};
    for (int i = 0; i < WAYS; i++)
        s.w[i] = (fsw_watch_t){.demo = d, .label = labels[i], .max_read = (size_t)p->max_read};
    s.w[INOTIFY].trace = &s.run.trace;
    /* A pipe, close-on-exec: the writer gets its end at fd 3 on purpose. */
    scope_spawn_fd_t to_child = {.child_fd = 3};
    if (pipe2(fds, O_CLOEXEC) < 0 ||
        fsw_watch_file(&s.w[INOTIFY], d->loop, p->file, FSW_NAME) < 0 ||
        fsw_watch_poll(&s.w[POLL], d->loop, p->file, (long)p->poll_ms) < 0 ||
        (to_child.parent_fd = fds[1],
         fsw_run_start(d, &s.run, "measure", (long)p->measure, 10, &to_child, 1, done) < 0)) {
        scope_demo_check(d, 0, "measure", "could not start: %s", strerror(errno));
        for (int i = 0; i < 2; i++)
            if (fds[i] >= 0)
                close(fds[i]);
        for (int i = 0; i < WAYS; i++)
            fsw_watch_stop(&s.w[i]);
        scope_demo_next(d);
        return;
    }
    close(fds[1]); /* the writer has its copy: EOF here once it exits */
    uv_pipe_init(d->loop, &s.pipe, 0);
    uv_pipe_open(&s.pipe, fds[0]);
    scope_ndjson_init(&s.lines, 0, on_line, NULL, NULL);
    uv_read_start((uv_stream_t *)&s.pipe, on_alloc, on_read);
    s.pipe_open = 1;
    scope_events_chan("open", "pipe", "pipe", SCOPE_PID(getpid()), SCOPE_PID(s.run.role.pid),
                      scope_events_tr("the writer's fd 3 -> ours, the same line as each save"));
    scope_events_log("%lld saves 10 ms apart, each heard three ways: inotify on the directory, "
                     "a stat() every %lld ms, and the same line on a pipe", p->measure,
                     p->poll_ms);
}

char *fsw_measure_describe(char *out, size_t n)
{
    char t[WAYS][32];
    for (int i = 0; i < WAYS; i++)
        scope_time_format(t[i], sizeof t[i], (double)scope_hist_percentile(&s.w[i].latency, 50));
    if (!s.measured)
        snprintf(out, n, "%s", scope_events_tr("nothing measured"));
    else
        snprintf(out, n, scope_events_tr("write -> parsed p50: inotify %s, polling %s, a pipe %s"),
                 t[INOTIFY], t[POLL], t[PIPE]);
    return out;
}
