/* streams.c: parts 4 to 7, what flows through a running child's pipes.
 * The stdio array ['pipe', 'pipe', 'pipe', 'ipc'] with a channel at fd 3;
 * backpressure, a reader that stops while the writer goes on, until the pipe
 * is full and the queue grows, then drains; the same pipe at full speed; and
 * the ping-pong of timed lines through the echo child. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "stdio-pipe.h"

/* What a child gets to read from us: lines of 'x', filled in by the parent at
 * its start. */
char stdin_pattern[STREAM_CHUNK];

/* The reader's report on its stdout: "read N bytes". -1 when it is not that. */
static long long read_report(const char *data, size_t len)
{
    char line[64];
    snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), data);
    long long n;
    return sscanf(line, "read %lld bytes", &n) == 1 ? n : -1;
}

/* ==== part 4: stdio ['pipe', 'pipe', 'pipe', 'ipc'] ====================== */

static void stdio_maybe_done(void);

static void stdio_on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    (void)type;
    if (fd >= 0)
        close(fd);
    char *text = cJSON_PrintUnformatted(msg);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(msg, "type");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(msg, "bytes");
    scope_events_msg("recv", "ipc", SCOPE_PID(stdio_pipe.main_job.child.pid), SCOPE_PID(getpid()),
                     0, ch->message_bytes, text ? text : "?", 0);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "received"))) {
        stdio_pipe.got_received = 1;
        scope_events_log("'message' on the channel (fd %d): {\"received\":true}", ch->fd);
    } else if (cJSON_IsString(t) && strcmp(t->valuestring, "done") == 0 && cJSON_IsNumber(b)) {
        stdio_pipe.got_done_bytes = 1;
        stdio_pipe.done_bytes = (long long)b->valuedouble;
        scope_events_log("'message': the child counted %lld bytes on its stdin; we wrote %zu",
                         stdio_pipe.done_bytes, stdio_pipe.stdio_sent);
    }
    cJSON_free(text);
}

static void stdio_on_disconnect(scope_channel_t *ch, int status)
{
    (void)ch;
    scope_events_log("'disconnect': the channel's read() returned 0 (%s)",
                     status == UV_EOF ? "the child closed fd 3" : uv_strerror(status));
    chan_event("close", "ipc", "socketpair", SCOPE_PID(getpid()),
                      SCOPE_PID(stdio_pipe.main_job.child.pid), NULL);
}

static void stdio_on_channel_closed(scope_channel_t *ch)
{
    (void)ch;
    stdio_pipe.ch_open = 0;
    stdio_maybe_done();
}

static void stdio_on_data(job_t *j, int which, const char *data, size_t len)
{
    trace_data(j, which, data, len, 0);
    char text[200];
    printable(text, sizeof text, data, len);
    scope_events_log("child.%s 'data' (fd %d): %s", which == 1 ? "stdout" : "stderr",
                     j->fd[which], text);
}

static void stdio_pump(job_t *j)
{
    /* Large data the careful way: write while the queue is under the
     * highWaterMark, then wait for a write to complete ('drain'). */
    while (stdio_pipe.stdio_sent < 256 * 1024 && job_queue(j) < HIGH_WATER && j->open[0]) {
        if (job_write(j, stdin_pattern, CHUNK, 1) < 0)
            return;
        stdio_pipe.stdio_sent += CHUNK;
    }
    if (stdio_pipe.stdio_sent >= 256 * 1024 && !j->end_pending && j->open[0]) {
        scope_events_log("child.stdin.end() after %zu bytes in %d writes of %d",
                         stdio_pipe.stdio_sent, (int)(stdio_pipe.stdio_sent / CHUNK), CHUNK);
        job_end(j);
    }
}

static void stdio_closed(job_t *j)
{
    (void)j;
    if (stdio_pipe.ch_open)
        scope_channel_close(&stdio_pipe.ch);
    stdio_maybe_done();
}

static void stdio_maybe_done(void)
{
    job_t *j = &stdio_pipe.main_job;
    if (stdio_pipe.ch_open || !j->closed || stdio_pipe.cur != P_STDIO)
        return;
    const char *out = j->out[1].p ? j->out[1].p : "";
    char want[64];
    snprintf(want, sizeof want, "%zu bytes arrived", stdio_pipe.stdio_sent);
    if (j->sig) {
        stdio_pipe.cut_short |= !stdio_pipe.demo.quitting;
    } else if (j->code != 0 || !stdio_pipe.got_received || !stdio_pipe.got_done_bytes ||
               stdio_pipe.done_bytes != (long long)stdio_pipe.stdio_sent || !strstr(out, want) ||
               !j->out[2].len) {
        part_failed("stdio: code %d, received %d, done %lld of %zu, stdout '%s', stderr %zu "
                    "bytes",
                    j->code, stdio_pipe.got_received, stdio_pipe.done_bytes, stdio_pipe.stdio_sent,
                    out, j->out[2].len);
    } else {
        scope_events_log("waitpid(): the child exited 0. Four streams, one child: stdin, stdout "
                         "and stderr carried bytes, fd 3 carried messages; all %zu bytes arrived",
                         stdio_pipe.stdio_sent);
        cJSON *o = cJSON_AddObjectToObject(stdio_pipe.summary, "stdio");
        cJSON_AddNumberToObject(o, "bytes", (double)stdio_pipe.stdio_sent);
        cJSON_AddStringToObject(o, "child", stdio_pipe.node_child ? "node" : "c");
    }
    next_part();
}

static void show_child_fds(pid_t pid)
{
    char line[256];
    size_t o = 0;
    for (int fd = 0; fd <= 3; fd++) {
        char path[64], target[64];
        snprintf(path, sizeof path, "/proc/%ld/fd/%d", (long)pid, fd);
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        o += (size_t)snprintf(line + o, sizeof line - o, "%sfd %d -> %s", fd ? ", " : "", fd,
                              n > 0 ? target : "?");
    }
    scope_events_log("readlink /proc/%ld/fd/N: %s. Three pipes and a socket", (long)pid, line);
}

void part_stdio(scope_demo_t *d)
{
    (void)d;
    job_t *j = job_new(&stdio_pipe.main_job);
    char script[PATH_MAX + 32];
    snprintf(script, sizeof script, "%s/stdio-pipe-child.js", stdio_pipe.self_dir);
    char *c_argv[] = {stdio_pipe.self, "--as-child", "stdio", NULL};
    char *node_argv[] = {"node", script, NULL};
    j->role = stdio_pipe.node_child ? "node child" : "stdio child";
    j->own = 1;
    j->ipc = 1;
    j->buffered = 1; /* kept to check, and traced as it comes */
    j->on_data = stdio_on_data;
    j->on_written = stdio_pump;
    j->on_close = stdio_closed;
    stdio_pipe.stdio_sent = 0;
    stdio_pipe.got_received = stdio_pipe.got_done_bytes = 0;
    stdio_pipe.done_bytes = -1;
    scope_events_log("spawn(%s, {stdio: ['pipe', 'pipe', 'pipe', 'ipc']}), as seed 004 does",
                     stdio_pipe.node_child ? "'node', ['stdio-pipe-child.js']"
                                           : "'stdio-pipe', ['--as-child', 'stdio']");
    int r = job_start(j, stdio_pipe.node_child ? "node" : stdio_pipe.self,
                      stdio_pipe.node_child ? node_argv : c_argv);
    if (r < 0) {
        part_failed("cannot start the stdio child: %s%s", strerror(-r),
                    stdio_pipe.node_child && r == -ENOENT ? " (is node installed?)" : "");
        next_part();
        return;
    }
    if (stdio_pipe.node_child)
        scope_events_proc("start", j->child.pid, getpid(), j->role, 0, 0);
    show_child_fds(j->child.pid);
    memset(&stdio_pipe.ch, 0, sizeof stdio_pipe.ch);
    stdio_pipe.ch.on_message = stdio_on_message;
    stdio_pipe.ch.on_disconnect = stdio_on_disconnect;
    stdio_pipe.ch.on_close = stdio_on_channel_closed;
    int fd = j->ipc_fd;
    j->ipc_fd = -1;
    if ((r = scope_channel_open(stdio_pipe.demo.loop, &stdio_pipe.ch, fd)) < 0) {
        close(fd);
        part_failed("cannot open the channel: %s", uv_strerror(r));
        job_end(j);
        return;
    }
    stdio_pipe.ch_open = 1;
    chan_event("open", "ipc", "socketpair", SCOPE_PID(getpid()), SCOPE_PID(j->child.pid),
                      "the 'ipc' entry: fd 3 in the child");
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "hello", "world");
    scope_events_msg("send", "ipc", SCOPE_PID(getpid()), SCOPE_PID(j->child.pid), 0, 18,
                     "{\"hello\":\"world\"}", 0);
    scope_channel_send(&stdio_pipe.ch, m);
    cJSON_Delete(m);
    scope_events_log("child.send({hello: 'world'}) on fd %d, while 256 KiB stream into its "
                     "stdin (fd %d) in %d KiB writes",
                     fd, j->fd[0], CHUNK / 1024);
    stdio_pump(j);
}

/* ==== part 5: backpressure ================================================ */

void reader_cmd(char c)
{
    job_t *j = &stdio_pipe.main_job;
    if (j->ctl_fd < 0 || !j->child.running)
        return;
    ssize_t n;
    do
        n = write(j->ctl_fd, &c, 1);
    while (n < 0 && errno == EINTR);
    stdio_pipe.bp_reader_paused = c == 'p';
}

static size_t pipe_fill(job_t *j)
{
    int n = 0;
    if (!j->open[0] || ioctl(j->fd[0], FIONREAD, &n) < 0)
        return 0;
    return (size_t)n;
}

/* One look at the pipe and the queue: a stats event for tools, and a line of
 * narration when something changed. */
static void bp_report(int force)
{
    job_t *j = &stdio_pipe.main_job;
    size_t queue = job_queue(j), fill = pipe_fill(j);
    uint64_t now = scope_time_now_ns();
    uint64_t in_kernel = j->wqueued - queue; /* what write(2) has taken */
    uint64_t taken = in_kernel > fill ? in_kernel - fill : 0;
    if (queue > stdio_pipe.bp_queue_max)
        stdio_pipe.bp_queue_max = queue;
    if (fill > stdio_pipe.bp_in_pipe_max)
        stdio_pipe.bp_in_pipe_max = fill;
    int changed = queue != stdio_pipe.bp_last_queue || fill != stdio_pipe.bp_last_fill;
    if (!force && (!changed || now - stdio_pipe.bp_last_log < 250000000ull))
        return;
    stdio_pipe.bp_last_log = now;
    stdio_pipe.bp_last_queue = queue;
    stdio_pipe.bp_last_fill = fill;
    /* A log line, with the figures as fields for tools: a stats event would
     * claim latency figures that a one-way stream does not have. */
    char text[256];
    snprintf(text, sizeof text,
             "pipe: %zu of %zu bytes (FIONREAD); writer's queue: %zu bytes; the reader has "
             "taken %llu of %llu",
             fill, stdio_pipe.pipe_size, queue, (unsigned long long)taken,
             (unsigned long long)j->wqueued);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", text);
    cJSON_AddStringToObject(o, "chan", "stdin");
    cJSON_AddNumberToObject(o, "queued", (double)queue);
    cJSON_AddNumberToObject(o, "in_pipe", (double)fill);
    cJSON_AddNumberToObject(o, "pipe_size", (double)stdio_pipe.pipe_size);
    cJSON_AddNumberToObject(o, "written", (double)j->wqueued);
    cJSON_AddNumberToObject(o, "taken", (double)taken);
    scope_events_emit("log", o);
}

static void on_monitor(uv_timer_t *t)
{
    (void)t;
    if (stdio_pipe.cur == P_BACKPRESSURE && stdio_pipe.main_job.open[0])
        bp_report(0);
}

static void on_stall(uv_timer_t *t)
{
    (void)t;
    lesson_step("the reader resumes: the queue drains, then 'drain'", bp_step_resume);
}

static void bp_written(job_t *j)
{
    if (stdio_pipe.cur != P_BACKPRESSURE || stdio_pipe.bp_drained || j->wpending > 0)
        return;
    stdio_pipe.bp_drained = 1;
    bp_report(1);
    scope_events_log("'drain': every queued byte went into the pipe and the queue is empty; "
                     "write() would return true again. child.stdin.end(): close(fd %d)",
                     j->fd[0]);
    job_end(j);
}

static void bp_on_data(job_t *j, int which, const char *data, size_t len)
{
    if (which != 1) {
        stdio_on_data(j, which, data, len);
        return;
    }
    trace_data(j, 1, data, len, 0);
    long long n = read_report(data, len);
    if (n >= 0)
        stdio_pipe.reader_read = n;
}

static void bp_closed(job_t *j)
{
    uv_timer_stop(&stdio_pipe.monitor);
    uv_timer_stop(&stdio_pipe.stall);
    if (j->sig) {
        stdio_pipe.cut_short |= !stdio_pipe.demo.quitting;
        scope_events_log("the reader was killed by %s before it read everything",
                         sig_name(j->sig));
    } else if (stdio_pipe.reader_read != (long long)stdio_pipe.burst || j->code != 0 ||
               !stdio_pipe.bp_drained) {
        part_failed("backpressure: the reader read %lld of %zu bytes, exit %d, drained %d",
                    stdio_pipe.reader_read, stdio_pipe.burst, j->code, stdio_pipe.bp_drained);
    } else {
        scope_events_log("waitpid(): the reader exited 0, and all %zu bytes arrived. At most %zu bytes waited in the pipe and %zu "
                         "in the writer's queue: memory the writer held because it did not "
                         "wait for 'drain'",
                         stdio_pipe.burst, stdio_pipe.bp_in_pipe_max, stdio_pipe.bp_queue_max);
    }
    cJSON *o = cJSON_AddObjectToObject(stdio_pipe.summary, "backpressure");
    cJSON_AddNumberToObject(o, "pipe_size", (double)stdio_pipe.pipe_size);
    cJSON_AddNumberToObject(o, "max_queue", (double)stdio_pipe.bp_queue_max);
    cJSON_AddNumberToObject(o, "max_in_pipe", (double)stdio_pipe.bp_in_pipe_max);
    cJSON_AddNumberToObject(o, "written", (double)stdio_pipe.burst);
    cJSON_AddNumberToObject(o, "read", (double)stdio_pipe.reader_read);
    cJSON_AddBoolToObject(o, "drained", stdio_pipe.bp_drained);
    next_part();
}

void bp_step_resume(scope_demo_t *d)
{
    if (stdio_pipe.main_job.closed || !stdio_pipe.main_job.child.running)
        return;
    if (d->paused) {
        /* Paused from the dashboard: the reader stays away until resume. */
        stdio_pipe.bp_wait_resume = 1;
        scope_events_log("paused: the reader stays away until resume");
        return;
    }
    stdio_pipe.bp_resumed = 1;
    reader_cmd('r');
    scope_events_log("told the reader to resume (one byte, 'r', on its fd 3): "
                     "process.stdin.resume()%s",
                     stdio_pipe.slow_reader ? "; it takes 4 KiB every 10 ms" : "");
    bp_report(1);
}

void part_backpressure(scope_demo_t *d)
{
    job_t *j = job_new(&stdio_pipe.main_job);
    char *argv[] = {stdio_pipe.self, "--as-child", "reader",
                    stdio_pipe.slow_reader ? "--slow-reader" : NULL, NULL};
    j->role = "reader";
    j->own = 1;
    j->ctl = 1;
    j->on_data = bp_on_data;
    j->on_written = bp_written;
    j->on_close = bp_closed;
    stdio_pipe.bp_full = stdio_pipe.bp_resumed = 0;
    stdio_pipe.bp_drained = stdio_pipe.bp_wait_resume = 0;
    stdio_pipe.bp_queue_max = stdio_pipe.bp_in_pipe_max = 0;
    stdio_pipe.bp_false_at = 0;
    stdio_pipe.reader_read = -1;
    int r = job_start(j, stdio_pipe.self, argv);
    if (r < 0) {
        part_failed("cannot start the reader: %s", strerror(-r));
        next_part();
        return;
    }
    stdio_pipe.pipe_size = (size_t)fcntl(j->fd[0], F_GETPIPE_SZ);
    scope_events_log("fcntl(fd %d, F_GETPIPE_SZ) = %zu: what the pipe holds before a writer must "
                     "wait (F_SETPIPE_SZ could change it, up to /proc/sys/fs/pipe-max-size)",
                     j->fd[0], stdio_pipe.pipe_size);
    scope_events_log("the reader starts paused (process.stdin.pause()): it does not call read() "
                     "on its fd 0");
    /* The careless writer: a loop of write() that ignores what write() returns. */
    int nwrites = (int)((stdio_pipe.burst + CHUNK - 1) / CHUNK);
    for (int i = 0; i < nwrites; i++) {
        size_t n = (size_t)CHUNK;
        if ((size_t)(i + 1) * CHUNK > stdio_pipe.burst)
            n = stdio_pipe.burst - (size_t)i * CHUNK;
        job_write(j, stdin_pattern, n, 1);
        /* node's writableLength: what the kernel did not take, queued. */
        if (!stdio_pipe.bp_false_at && job_queue(j) >= HIGH_WATER)
            stdio_pipe.bp_false_at = i + 1;
    }
    size_t queue = job_queue(j), fill = pipe_fill(j);
    scope_events_log("%d x child.stdin.write(%d KiB) in one go: write(2) took %zu bytes, then "
                     "said EAGAIN; libuv queued the other %zu",
                     nwrites, CHUNK / 1024, (size_t)j->wqueued - queue, queue);
    if (stdio_pipe.bp_false_at)
        scope_events_log("node's write() would have said false from call %d on: its "
                         "writableLength, the queue, reached the highWaterMark (%d). A careful "
                         "writer stops there and waits for 'drain'; this one went on",
                         stdio_pipe.bp_false_at, HIGH_WATER);
    stdio_pipe.bp_full = queue > 0;
    if (!stdio_pipe.bp_full) {
        scope_events_log("the pipe took the whole burst (%zu bytes): nothing to queue", fill);
    }
    bp_report(1);
    uv_timer_start(&stdio_pipe.monitor, on_monitor, 100, 100);
    scope_events_log("the reader stays away for %ld ms: the pipe stays full, the queue stays "
                     "where it is",
                     stdio_pipe.stall_ms);
    (void)d;
    uv_timer_start(&stdio_pipe.stall, on_stall, (uint64_t)stdio_pipe.stall_ms, 0);
}

/* ==== part 6: the stream at full speed =================================== */

static void stream_pump(job_t *j)
{
    if (stdio_pipe.cur != P_STREAM || !stdio_pipe.st_t0)
        return;
    while (stdio_pipe.st_queued < stdio_pipe.stream_bytes && job_queue(j) < HIGH_WATER &&
           j->open[0]) {
        size_t n = stdio_pipe.stream_bytes - stdio_pipe.st_queued;
        if (n > STREAM_CHUNK)
            n = STREAM_CHUNK;
        if (job_write(j, stdin_pattern, n, 1) < 0)
            return;
        stdio_pipe.st_queued += n;
    }
    if (stdio_pipe.st_queued >= stdio_pipe.stream_bytes && !j->end_pending && j->open[0])
        job_end(j);
}

static void stream_on_data(job_t *j, int which, const char *data, size_t len)
{
    if (which == 1) {
        uint64_t now = scope_time_now_ns();
        long long n = read_report(data, len);
        if (n >= 0) {
            stdio_pipe.reader_read = n;
            stdio_pipe.st_t1 = now;
        }
        trace_data(j, 1, data, len, 0);
        if (!stdio_pipe.st_t0 && len >= 6 && memcmp(data, "ready\n", 6) == 0) {
            /* The clock starts once the reader runs: its execve() and start-up
             * are not the pipe's cost. */
            stdio_pipe.st_t0 = now;
            stream_pump(j);
        }
    } else {
        stdio_on_data(j, which, data, len);
    }
}

static void stream_closed(job_t *j)
{
    if (j->sig) {
        stdio_pipe.cut_short |= !stdio_pipe.demo.quitting;
    } else if (j->code != 0 || stdio_pipe.reader_read != (long long)stdio_pipe.stream_bytes ||
               !stdio_pipe.st_t1) {
        part_failed("stream: the reader read %lld of %zu bytes, exit %d", stdio_pipe.reader_read,
                    stdio_pipe.stream_bytes, j->code);
    } else {
        double secs = (double)(stdio_pipe.st_t1 - stdio_pipe.st_t0) / 1e9;
        double bps = (double)stdio_pipe.stream_bytes / secs;
        scope_events_log("waitpid(): the reader exited 0. %zu bytes in %.1f ms: %.0f MB/s through one pipe, %d KiB per write(), "
                         "never more than the highWaterMark queued",
                         stdio_pipe.stream_bytes, secs * 1e3, bps / 1e6, STREAM_CHUNK / 1024);
        cJSON *o = cJSON_AddObjectToObject(stdio_pipe.summary, "stream");
        cJSON_AddNumberToObject(o, "bytes", (double)stdio_pipe.stream_bytes);
        cJSON_AddNumberToObject(o, "ns", (double)(stdio_pipe.st_t1 - stdio_pipe.st_t0));
        cJSON_AddNumberToObject(o, "bps", bps);
    }
    next_part();
}

void part_stream(scope_demo_t *d)
{
    (void)d;
    job_t *j = job_new(&stdio_pipe.main_job);
    char *argv[] = {stdio_pipe.self, "--as-child", "sink", NULL};
    j->role = "reader";
    j->own = 1;
    j->on_data = stream_on_data;
    j->on_written = stream_pump;
    j->on_close = stream_closed;
    stdio_pipe.reader_read = -1;
    stdio_pipe.st_queued = 0;
    stdio_pipe.st_t0 = stdio_pipe.st_t1 = 0;
    int r = job_start(j, stdio_pipe.self, argv);
    if (r < 0) {
        part_failed("cannot start the reader: %s", strerror(-r));
        next_part();
        return;
    }
    scope_events_log("%zu bytes to a reader that reads all the time, written with care: while "
                     "the queue is under the highWaterMark, write; else wait for a write to "
                     "complete, as for 'drain'. The clock starts at the reader's 'ready'",
                     stdio_pipe.stream_bytes);
}

/* ==== part 7: ping-pong =================================================== */

static void pp_send(scope_pacer_t *p);

static void on_stats_timer(uv_timer_t *t)
{
    (void)t;
    scope_events_stats("stdout", &stdio_pipe.rtt, &stdio_pipe.rate, scope_time_now_ns());
}

static void pp_send(scope_pacer_t *p)
{
    (void)p;
    job_t *j = &stdio_pipe.main_job;
    if (!j->open[0])
        return;
    size_t size = stdio_pipe.demo.size;
    if (!stdio_pipe.pad || stdio_pipe.pad_len != size) {
        char *pad = realloc(stdio_pipe.pad, size + 1);
        if (!pad)
            return;
        stdio_pipe.pad = pad;
        memset(stdio_pipe.pad, 'x', size);
        stdio_pipe.pad[size] = '\n';
        stdio_pipe.pad_len = size;
    }
    long id = ++stdio_pipe.pings;
    uint64_t t = scope_time_now_ns();
    /* "ping ID TIME ": built by hand, since printf costs more here than the
     * rest of a round trip's own work */
    char hdr[5 + 2 * SCOPE_U64_DIGITS + 2];
    size_t hl = 0;
    memcpy(hdr, "ping ", 5);
    hl = 5;
    hl += scope_put_u64(hdr + hl, (uint64_t)id);
    hdr[hl++] = ' ';
    hl += scope_put_u64(hdr + hl, t);
    hdr[hl++] = ' ';
    size_t total = hl + size + 1;
    if (scope_events_msg_admit()) {
        char sum[80];
        snprintf(sum, sizeof sum, "ping %ld (%zu-byte payload)", id, size);
        scope_events_msg_emit_admitted("send", "stdin", SCOPE_PID(getpid()),
                                       SCOPE_PID(j->child.pid), (uint64_t)id, total, sum, 0);
    }
    uv_buf_t b[2] = {uv_buf_init(hdr, (unsigned)hl),
                     uv_buf_init(stdio_pipe.pad, (unsigned)size + 1)};
    int n = j->wpending ? UV_EAGAIN : uv_try_write((uv_stream_t *)&j->pipe[0], b, 2);
    if (n == UV_EAGAIN)
        n = 0;
    if (n < 0) {
        scope_events_error("write", "write to the echo child: %s", uv_strerror(n));
        return;
    }
    if ((size_t)n < total) { /* the rest waits in the queue */
        size_t done = (size_t)n;
        if (done < hl)
            job_write(j, hdr + done, hl - done, 0);
        size_t pad_off = done > hl ? done - hl : 0;
        job_write(j, stdio_pipe.pad + pad_off, size + 1 - pad_off, 0);
    }
}

static void pp_finish(void)
{
    uv_timer_stop(&stdio_pipe.stats_timer);
    scope_events_stats("stdout", &stdio_pipe.rtt, &stdio_pipe.rate, scope_time_now_ns());
    scope_hist_summary_t sum;
    scope_hist_summarize(&stdio_pipe.rtt, &sum);
    char p50[32], p99[32];
    scope_events_log("%ld round trips of %zu-byte payloads: median %s, p99 %s. "
                     "child.stdin.end(): the echo child reads EOF and exits",
                     stdio_pipe.pongs, stdio_pipe.demo.size,
                     scope_time_format(p50, sizeof p50, (double)sum.p50),
                     scope_time_format(p99, sizeof p99, (double)sum.p99));
    job_end(&stdio_pipe.main_job);
}

static void pp_on_data(job_t *j, int which, const char *data, size_t len)
{
    if (which != 1) {
        stdio_on_data(j, which, data, len);
        return;
    }
    const char *end = data + len;
    while (data < end) {
        /* Only a line's head is kept ("ping ID TIME "), the payload counted. */
        const char *nl = memchr(data, '\n', (size_t)(end - data));
        const char *stop = nl ? nl : end;
        size_t piece = (size_t)(stop - data), room = sizeof stdio_pipe.hdr - 1 - stdio_pipe.hdr_len;
        memcpy(stdio_pipe.hdr + stdio_pipe.hdr_len, data, piece < room ? piece : room);
        stdio_pipe.hdr_len += piece < room ? piece : room;
        stdio_pipe.line_len += piece;
        if (!nl)
            break;
        data = nl + 1;
        stdio_pipe.hdr[stdio_pipe.hdr_len] = '\0';
        size_t bytes = stdio_pipe.line_len + 1;
        const char *p = stdio_pipe.hdr + 5, *hend = stdio_pipe.hdr + stdio_pipe.hdr_len;
        uint64_t id, t;
        int ok = stdio_pipe.hdr_len > 5 && memcmp(stdio_pipe.hdr, "ping ", 5) == 0 &&
                 scope_take_u64(&p, hend, &id) == 0 && p < hend && *p++ == ' ' &&
                 scope_take_u64(&p, hend, &t) == 0;
        stdio_pipe.hdr_len = stdio_pipe.line_len = 0;
        if (!ok) {
            scope_events_error("refused", "a line from the echo child that is no ping: %.40s",
                               stdio_pipe.hdr);
            continue;
        }
        uint64_t now = scope_time_now_ns();
        uint64_t rtt = now - (uint64_t)t;
        scope_hist_add(&stdio_pipe.rtt, rtt);
        scope_rate_add(&stdio_pipe.rate, now, bytes);
        stdio_pipe.pongs++;
        if (scope_events_msg_admit()) {
            char sum[80];
            snprintf(sum, sizeof sum, "ping %llu back", (unsigned long long)id);
            scope_events_msg_emit_admitted("recv", "stdout", SCOPE_PID(j->child.pid),
                                           SCOPE_PID(getpid()), (uint64_t)id, bytes, sum, rtt);
        }
        if (stdio_pipe.pongs >= stdio_pipe.demo.count || stdio_pipe.demo.quitting)
            pp_finish();
        else if (stdio_pipe.pings != stdio_pipe.pongs)
            continue;
        else if (stdio_pipe.demo.rate == 0 && !stdio_pipe.demo.paused && !stdio_pipe.demo.step_mode)
            pp_send(NULL); /* full speed: the next ping leaves from this callback */
        else
            scope_pacer_next(&stdio_pipe.pacer, pp_send);
    }
}

static void pp_closed(job_t *j)
{
    uv_timer_stop(&stdio_pipe.stats_timer);
    if (j->sig || stdio_pipe.pongs < stdio_pipe.demo.count) {
        if (!stdio_pipe.demo.quitting)
            stdio_pipe.cut_short = 1;
        scope_events_log("the echo child %s after %ld of %ld round trips",
                         j->sig ? "was killed" : "left", stdio_pipe.pongs, stdio_pipe.demo.count);
    } else {
        scope_events_log("waitpid(): the echo child exited %d", j->code);
    }
    scope_hist_summary_t sum;
    scope_hist_summarize(&stdio_pipe.rtt, &sum);
    cJSON *o = cJSON_AddObjectToObject(stdio_pipe.summary, "pingpong");
    cJSON_AddNumberToObject(o, "round_trips", (double)stdio_pipe.pongs);
    cJSON_AddNumberToObject(o, "size", (double)stdio_pipe.demo.size);
    cJSON_AddNumberToObject(o, "p50", (double)sum.p50);
    cJSON_AddNumberToObject(o, "p99", (double)sum.p99);
    if (j->sig)
        cJSON_AddStringToObject(o, "child_signal", sig_name(j->sig));
    else
        cJSON_AddNumberToObject(o, "child_code", j->code);
    next_part();
}

void part_pingpong(scope_demo_t *d)
{
    char *argv[] = {stdio_pipe.self, "--as-child", "echo", NULL};
    if (d->count == 0) {
        next_part();
        return;
    }
    job_t *j = job_new(&stdio_pipe.main_job);
    j->role = "echo child";
    j->own = 1;
    j->on_data = pp_on_data;
    j->on_close = pp_closed;
    scope_hist_reset(&stdio_pipe.rtt);
    scope_rate_init(&stdio_pipe.rate, 0);
    stdio_pipe.pings = stdio_pipe.pongs = 0;
    stdio_pipe.hdr_len = stdio_pipe.line_len = 0;
    int r = job_start(j, stdio_pipe.self, argv);
    if (r < 0) {
        part_failed("cannot start the echo child: %s", strerror(-r));
        next_part();
        return;
    }
    scope_events_log("%ld pings of %zu bytes at %s: a line into its stdin, the same line back "
                     "on its stdout; each carries its send time",
                     d->count, d->size, d->rate > 0 ? "the chosen rate" : "full speed");
    uv_timer_start(&stdio_pipe.stats_timer, on_stats_timer, 500, 500);
    scope_pacer_next(&stdio_pipe.pacer, pp_send);
}

