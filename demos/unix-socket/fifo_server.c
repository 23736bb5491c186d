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

#include "unix-socket.h"

static struct {
    scope_demo_t *d;
    scope_demo_cb done, start_writers;
    us_name_of_fn name_of;
    char up[PATH_MAX + 16], down[PATH_MAX + 16];
    uv_fs_t up_req, down_req;
    int pending, keep, closing, in_open, out_open;
    uint64_t t0;
    scope_conn_t in; /* up.fifo, cut into lines */
    uv_pipe_t out;   /* down.fifo */
    uv_timer_t start;
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
int fifo_server_make(scope_demo_t *d, const char *dir, scope_demo_cb done, us_name_of_fn name_of)
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
    scope_demo_cb done = f.done;
    if (f.closing && !f.pending && !f.in_open && !f.out_open && done) {
        f.done = NULL;
        scope_demo_figure(f.d, "lines", cJSON_CreateNumber((double)(f.whole + f.torn)));
        scope_demo_figure(f.d, "whole", cJSON_CreateNumber((double)f.whole));
        scope_demo_figure(f.d, "torn", cJSON_CreateNumber((double)f.torn));
        scope_demo_figure(f.d, "writers", cJSON_CreateNumber(f.nw));
        scope_demo_figure(f.d, "pipe_buf", cJSON_CreateNumber(PIPE_BUF));
        done(f.d);
    }
}

static void on_out_closed(uv_handle_t *h)
{
    (void)h;
    f.out_open = 0;
    check_done();
}

static void on_in_closed(scope_conn_t *c)
{
    (void)c;
    f.in_open = 0;
    for (int i = 0; i < f.nw; i++)
        scope_trace_close(&f.w[i].trace);
    if (f.out_open && !uv_is_closing((uv_handle_t *)&f.out))
        uv_close((uv_handle_t *)&f.out, on_out_closed);
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

static void on_up_line(scope_conn_t *c, const char *line, size_t len)
{
    long pid = 0;
    uint64_t id = 0, t = 0;
    int k, bad = 0;
    (void)c;
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
    char *reply = pinger && f.out_open ? malloc(len + 7) : NULL;
    if (!reply)
        return;
    memcpy(reply, "pong: ", 6);
    memcpy(reply + 6, line, len);
    reply[len + 6] = '\n';
    /* Client 1 waits for each answer before its next line: the pipe has room. */
    uv_buf_t b = uv_buf_init(reply, (unsigned)(len + 7));
    if (uv_try_write((uv_stream_t *)&f.out, &b, 1) == (int)(len + 7))
        scope_trace_msg(&f.w[k].trace, SCOPE_TRACE_SEND, id, reply, len + 7, 0);
    free(reply);
}

static void on_up_oversize(scope_conn_t *c, const scope_frame_error_t *err)
{
    (void)c;
    f.torn++;
    scope_events_error("oversize", "up.fifo: %s; skipped", err->reason);
}

static void on_up_end(scope_conn_t *c, int status)
{
    (void)c;
    scope_events_log("read() on up.fifo returned %s: every writer has closed its end. %ld lines "
                     "read, %ld whole, %ld torn", status ? uv_strerror(status) : "0 (EOF)",
                     f.whole + f.torn, f.whole, f.torn);
    for (int i = 0, bad; i < f.nw; i++) {
        const char *name = f.name_of(f.w[i].pid, &bad);
        scope_events_log("  %s (pid %ld): %ld whole lines", name ? name : "writer", f.w[i].pid,
                         f.w[i].lines);
    }
}

/* Lines are read once down.fifo is open too, so client 1's first ping finds
 * the way back ready; until then they wait in the pipe. */
static void maybe_read(void)
{
    scope_conn_options_t o = {.framing = SCOPE_CONN_LINES, .max_frame = 65536,
                              .on_frame = on_up_line, .on_error = on_up_oversize,
                              .on_end = on_up_end};
    if (f.in_open && !f.pending && !f.closing)
        scope_conn_start(&f.in, &o);
    check_done();
}

/* An open() that blocked is back: its fd, or -1. */
static int opened(uv_fs_t *req, const char *what, const char *until)
{
    int fd = (int)req->result;
    char waited[32];
    scope_time_format(waited, sizeof waited, (double)(scope_time_now_ns() - f.t0));
    uv_fs_req_cleanup(req);
    f.pending--;
    if (fd >= 0 && f.closing)
        close(fd);
    else if (fd < 0)
        scope_events_error("open", "open(%s): %s", what, uv_strerror(fd));
    else
        scope_events_log("open(%s) -> fd %d after %s: it blocked until %s", what, fd, waited,
                         until);
    return fd < 0 || f.closing ? -1 : fd;
}

static void on_up_opened(uv_fs_t *req)
{
    int fd = opened(req, "up.fifo, O_RDONLY", "a writer opened the other end");
    if (fd >= 0) {
        scope_conn_init_pipe(f.d->loop, &f.in, on_in_closed);
        f.in_open = uv_pipe_open(&f.in.h.pipe, fd) == 0;
        /* Without a write end of our own, read() would say EOF as soon as
         * the writers of the moment have closed, though another may come. */
        f.keep = open(f.up, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        scope_events_log("open(up.fifo, O_WRONLY|O_NONBLOCK) -> fd %d: our own write end, so "
                         "EOF comes only when we say so, after every client has exited", f.keep);
    }
    maybe_read();
}

static void on_down_opened(uv_fs_t *req)
{
    int fd = opened(req, "down.fifo, O_WRONLY", "client 1 opened it for reading");
    if (fd >= 0) {
        uv_pipe_init(f.d->loop, &f.out, 0);
        f.out_open = uv_pipe_open(&f.out, fd) == 0;
    }
    maybe_read();
}

static void on_start(uv_timer_t *t)
{
    uv_close((uv_handle_t *)t, NULL);
    if (!f.closing)
        f.start_writers(f.d);
}

/* Step 2. The writers start start_ms later, so the blocked open() shows. */
void fifo_server_open(scope_demo_t *d, uint64_t start_ms, scope_demo_cb start_writers)
{
    f.t0 = scope_time_now_ns();
    f.pending = 2;
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
    if (f.pending) { /* an open() still blocked: be its other end */
        fifo_unblock(f.up, O_WRONLY);
        fifo_unblock(f.down, O_RDONLY);
    }
    if (f.in_open && (f.d->quitting || f.pending)) /* else: read on to EOF */
        scope_conn_close(&f.in);
    check_done();
}
