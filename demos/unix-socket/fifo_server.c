/* fifo_server.c: the older named pipe (--fifo), the server's side.
 *   1. mkfifo(): up.fifo for the clients' lines, down.fifo for the answers.
 *      A FIFO goes one way, with no connections: all writers share one reader.
 *   2. open() of a FIFO blocks until its other end opens (uv_fs_open waits
 *      in libuv's thread pool, so the loop stays awake).
 *   3. Writes of at most PIPE_BUF bytes land whole, however many writers
 *      share the FIFO; longer ones may be torn. Each line says who wrote it
 *      and how long it is, so a torn one shows.
 *   4. Only client 1 reads answers (down.fifo): any reader could take any.
 *   5. read() says EOF once no writer has up.fifo open: we hold a write end
 *      ourselves until every client has exited.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events.h"
#include "unix-socket.h"

static struct {
    scope_demo_t *d;
    us_done_fn done;
    us_name_of_fn name_of;
    char up[PATH_MAX + 16], down[PATH_MAX + 16];
    uv_fs_t up_req, down_req;
    int up_pending, down_pending, up_open, down_open, keep, closing, made;
    uint64_t t0;
    uv_pipe_t up_pipe, down_pipe;
    uv_timer_t start;
    void (*start_writers)(void);
    scope_ndjson_t lines;
    long whole, torn;
    struct {
        long pid, lines;
        scope_trace_t trace;
    } w[MAX_CLIENTS + 4];
    int nw;
} f = {.keep = -1};

static void remove_fifos(void *arg)
{
    (void)arg;
    unlink(f.up);
    unlink(f.down);
    scope_events_log("unlink(up.fifo), unlink(down.fifo): the FIFOs are gone");
}

/* Step 1. */
int fifo_server_make(scope_demo_t *d, const char *dir, us_done_fn done, us_name_of_fn name_of)
{
    f.d = d;
    f.done = done;
    f.name_of = name_of;
    snprintf(f.up, sizeof f.up, "%s/up.fifo", dir);
    snprintf(f.down, sizeof f.down, "%s/down.fifo", dir);
    if (mkfifo(f.up, 0600) < 0 || mkfifo(f.down, 0600) < 0) {
        scope_events_error("mkfifo", "%s", strerror(errno));
        unlink(f.up);
        return -1;
    }
    scope_demo_on_cleanup(d, remove_fifos, NULL);
    scope_events_log("mkfifo(up.fifo, 0600) for the clients' lines, mkfifo(down.fifo, 0600) for "
                     "the answers, in %s: a FIFO goes one way only", dir);
    return 0;
}

static void check_done(void)
{
    if (f.closing && !f.up_pending && !f.down_pending && !f.up_open && !f.down_open && f.done) {
        us_done_fn done = f.done;
        f.done = NULL;
        scope_ndjson_free(&f.lines);
        done();
    }
}

static void on_down_closed(uv_handle_t *h)
{
    (void)h;
    f.down_open = 0;
    check_done();
}

static void on_up_closed(uv_handle_t *h)
{
    (void)h;
    f.up_open = 0;
    for (int i = 0; i < f.nw; i++)
        scope_trace_close(&f.w[i].trace);
    if (f.down_open && !uv_is_closing((uv_handle_t *)&f.down_pipe))
        uv_close((uv_handle_t *)&f.down_pipe, on_down_closed);
    check_done();
}

/* Step 3: "ping PID ID T PADLEN" and PADLEN times one letter of the writer's. */
static int whole(const char *line, size_t len, long *pid, uint64_t *id, uint64_t *t)
{
    char head[96];
    unsigned long long i, tt;
    size_t pad;
    int n = 0;
    snprintf(head, sizeof head, "%.*s", (int)(len < 95 ? len : 95), line);
    if (sscanf(head, "ping %ld %llu %llu %zu %n", pid, &i, &tt, &pad, &n) != 4 || n <= 0 ||
        len - (size_t)n != pad)
        return 0;
    for (size_t j = (size_t)n; j < len; j++)
        if (line[j] != 'a' + *pid % 26)
            return 0;
    *id = i;
    *t = tt;
    return 1;
}

static void on_up_line(void *arg, cJSON *v, const char *line, size_t len)
{
    long pid = 0;
    uint64_t id = 0, t = 0;
    int k, bad = 0;
    (void)arg;
    (void)v;
    if (!whole(line, len, &pid, &id, &t)) {
        f.torn++;
        scope_events_error("torn", "a %zu-byte line that is not one writer's whole line "
                           "(writes over PIPE_BUF = %d bytes may interleave)", len, PIPE_BUF);
        return;
    }
    f.whole++;
    for (k = 0; k < f.nw && f.w[k].pid != pid; k++)
        ;
    if (k == f.nw && k < MAX_CLIENTS + 4) {
        char chan[32];
        snprintf(chan, sizeof chan, "fifo:%ld", pid);
        scope_trace_init(&f.w[f.nw++].trace, chan, SCOPE_PID(getpid()), SCOPE_PID(pid));
        f.w[k].pid = pid;
    }
    if (k == f.nw)
        return;
    f.w[k].lines++;
    const char *name = f.name_of(pid, &bad);
    int pinger = name && strcmp(name, "client 1") == 0;
    uint64_t now = scope_time_now_ns();
    /* A writer's line carries its send time: the one-way latency. Client 1
     * times its round trips itself. */
    scope_trace_msg(&f.w[k].trace, SCOPE_TRACE_RECV, id, line, len + 1,
                    !pinger && now > t ? now - t : 0);
    if (!pinger || !f.down_open)
        return;
    char *reply = malloc(len + 7);
    if (!reply)
        return;
    memcpy(reply, "pong: ", 6);
    memcpy(reply + 6, line, len);
    reply[len + 6] = '\n';
    /* Client 1 waits for each answer before its next line: the pipe has room. */
    uv_buf_t b = uv_buf_init(reply, (unsigned)(len + 7));
    if (uv_try_write((uv_stream_t *)&f.down_pipe, &b, 1) == (int)(len + 7))
        scope_trace_msg(&f.w[k].trace, SCOPE_TRACE_SEND, id, reply, len + 7, 0);
    free(reply);
}

static void on_up_oversize(void *arg, const scope_frame_error_t *err)
{
    (void)arg;
    f.torn++;
    scope_events_error("oversize", "up.fifo: %s; skipped", err->reason);
}

static void up_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    static char b[64 * 1024];
    (void)h;
    (void)hint;
    *buf = uv_buf_init(b, sizeof b);
}

static void on_up_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    if (n > 0)
        scope_ndjson_feed(&f.lines, buf->base, (size_t)n);
    if (n >= 0)
        return;
    scope_events_log("read() on up.fifo returned %s: every writer has closed its end. %ld lines "
                     "read, %ld whole, %ld torn", n == UV_EOF ? "0 (EOF)" : uv_strerror((int)n),
                     f.whole + f.torn, f.whole, f.torn);
    for (int i = 0, bad; i < f.nw; i++)
        scope_events_log("  %s (pid %ld): %ld whole lines", f.name_of(f.w[i].pid, &bad) ?
                         f.name_of(f.w[i].pid, &bad) : "writer", f.w[i].pid, f.w[i].lines);
    uv_close((uv_handle_t *)s, on_up_closed);
}

/* Lines are read once down.fifo is open too, so client 1's first ping finds
 * the way back ready; until then they wait in the pipe. */
static void maybe_read(void)
{
    if (f.up_open && !f.up_pending && !f.down_pending && !f.closing)
        uv_read_start((uv_stream_t *)&f.up_pipe, up_alloc, on_up_read);
    else if (f.up_open && f.closing && !uv_is_closing((uv_handle_t *)&f.up_pipe))
        uv_close((uv_handle_t *)&f.up_pipe, on_up_closed);
    check_done();
}

static int opened(uv_fs_t *req, uv_pipe_t *pipe, const char *what)
{
    int fd = (int)req->result;
    char waited[32];
    scope_time_format(waited, sizeof waited, (double)(scope_time_now_ns() - f.t0));
    uv_fs_req_cleanup(req);
    if (fd >= 0 && f.closing)
        close(fd);
    else if (fd < 0)
        scope_events_error("open", "open(%s): %s", what, uv_strerror(fd));
    else
        scope_events_log("open(%s) -> fd %d after %s: it blocked until %s", what, fd, waited,
                         pipe == &f.up_pipe ? "a writer opened the other end"
                                            : "client 1 opened it for reading");
    if (fd < 0 || f.closing)
        return 0;
    uv_pipe_init(f.d->loop, pipe, 0);
    uv_pipe_open(pipe, fd);
    return 1;
}

static void on_up_opened(uv_fs_t *req)
{
    f.up_pending = 0;
    f.up_open = opened(req, &f.up_pipe, "up.fifo, O_RDONLY");
    if (f.up_open) {
        /* Without a write end of our own, read() would say EOF as soon as
         * the writers of the moment have closed, though another may come. */
        f.keep = open(f.up, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        scope_events_log("open(up.fifo, O_WRONLY|O_NONBLOCK) -> fd %d: our own write end, so "
                         "EOF comes only when we say so, after every client has exited", f.keep);
        scope_lines_init(&f.lines, 65536, on_up_line, on_up_oversize, NULL);
    }
    maybe_read();
}

static void on_down_opened(uv_fs_t *req)
{
    f.down_pending = 0;
    f.down_open = opened(req, &f.down_pipe, "down.fifo, O_WRONLY");
    maybe_read();
}

static void on_start(uv_timer_t *t)
{
    uv_close((uv_handle_t *)t, NULL);
    if (!f.closing)
        f.start_writers();
}

/* Step 2. The writers start start_ms later, so the blocked open() shows. */
void fifo_server_open(scope_demo_t *d, uint64_t start_ms, void (*start_writers)(void))
{
    f.t0 = scope_time_now_ns();
    f.up_pending = f.down_pending = 1;
    scope_events_log("open(up.fifo, O_RDONLY) and open(down.fifo, O_WRONLY): both block until "
                     "a process opens the other end; the clients start %llu ms from now",
                     (unsigned long long)start_ms);
    uv_fs_open(d->loop, &f.up_req, f.up, O_RDONLY | O_CLOEXEC, 0, on_up_opened);
    uv_fs_open(d->loop, &f.down_req, f.down, O_WRONLY | O_CLOEXEC, 0, on_down_opened);
    f.start_writers = start_writers;
    uv_timer_init(d->loop, &f.start);
    uv_timer_start(&f.start, on_start, start_ms, 0);
}

/* Step 5, once every client has exited (or at once, when quitting). */
void fifo_server_close(void)
{
    if (f.keep >= 0) {
        scope_events_log("close(fd %d), our own write end of up.fifo: once the last writer is "
                         "gone, read() returns 0 (EOF)", f.keep);
        close(f.keep);
        f.keep = -1;
    }
    f.closing = 1;
    if (f.up_pending)
        fifo_unblock(f.up, O_WRONLY);
    if (f.down_pending)
        fifo_unblock(f.down, O_RDONLY);
    if (f.d && f.d->quitting && f.up_open && !uv_is_closing((uv_handle_t *)&f.up_pipe))
        uv_close((uv_handle_t *)&f.up_pipe, on_up_closed);
    else if (f.up_open && !f.up_pending && !f.down_pending)
        uv_read_start((uv_stream_t *)&f.up_pipe, up_alloc, on_up_read); /* drain to EOF */
    check_done();
}

void fifo_figures(cJSON *bye, char *text, size_t n, const char *median)
{
    cJSON_AddNumberToObject(bye, "lines", (double)(f.whole + f.torn));
    cJSON_AddNumberToObject(bye, "whole", (double)f.whole);
    cJSON_AddNumberToObject(bye, "torn", (double)f.torn);
    cJSON_AddNumberToObject(bye, "writers", f.nw);
    cJSON_AddNumberToObject(bye, "pipe_buf", PIPE_BUF);
    snprintf(text, n, "%ld lines from %d writers through one FIFO, %ld torn%s", f.whole + f.torn,
             f.nw, f.torn, median);
}
