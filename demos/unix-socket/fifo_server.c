/* fifo_server.c: the older named pipe (--fifo), the server's side.
 *   1. mkfifo(): up.fifo for the clients' lines, down.fifo for the answers.
 *   2. open() of a FIFO blocks until its other end opens: it waits in
 *      libuv's thread pool (lib/unixsock's scope_fifo_open), the loop awake.
 *   3. Writes of at most PIPE_BUF bytes land whole, however many writers
 *      share the FIFO; each line says who wrote it and how long it is, so a
 *      torn one shows.
 *   4. Only client 1 reads answers (down.fifo): any reader could take any.
 *   5. read() says EOF once no writer has up.fifo open: we hold a write end
 *      ourselves until every client has exited.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "unix-socket.h"

#define START_MS 200

static struct fifo_server {
    scope_demo_t *d;
    char up_path[PATH_MAX + 16], down_path[PATH_MAX + 16];
    scope_demo_cb done, start_writers;
    const char *(*name_of)(pid_t pid);
    scope_conn_t up;  /* up.fifo's read end, cut into lines */
    uv_pipe_t down;   /* down.fifo's write end */
    scope_fifo_open_t up_req, down_req; /* the blocking open()s (lib/unixsock) */
    int up_open, down_open, closing, keep;
    uv_timer_t start;
    long whole, torn;
    struct { long pid; scope_trace_t trace; } w[MAX_CLIENTS + 4]; /* the writers */
    int nw;
} f;

static void remove_fifos(void *arg)
{
    (void)arg;
    unlink(f.up_path);
    unlink(f.down_path);
    scope_events_log("unlink(up.fifo), unlink(down.fifo): the FIFOs are gone");
}

/* Step 1, in a private directory (stale.c) written into dir. */
int fifo_server_make(scope_demo_t *d, char *dir, size_t dirlen, scope_demo_cb done,
                     const char *(*name_of)(pid_t pid), scope_demo_cb start_writers)
{
    f = (struct fifo_server){.d = d, .done = done, .name_of = name_of,
                             .start_writers = start_writers, .keep = -1};
    if (stale_private_dir(d, dir, dirlen) < 0)
        return -1;
    snprintf(f.up_path, sizeof f.up_path, "%.4000s/up.fifo", dir);
    snprintf(f.down_path, sizeof f.down_path, "%.4000s/down.fifo", dir);
    if (mkfifo(f.up_path, 0600) < 0 || mkfifo(f.down_path, 0600) < 0) {
        scope_events_error("mkfifo", "%s", strerror(errno));
        unlink(f.up_path);
        return -1;
    }
    scope_demo_on_cleanup(d, remove_fifos, NULL);
    scope_events_log("mkfifo(up.fifo, 0600) for the clients' lines, mkfifo(down.fifo, 0600) for "
                     "the answers, in %s: a FIFO goes one way only", dir);
    return 0;
}

/* Step 3: a whole line is "ping PID ID T PADLEN " and PADLEN times the writer's letter. */
static int whole(const char *line, size_t len, long *pid, uint64_t *id, uint64_t *t)
{
    char head[96];
    size_t pad;
    int n = 0;
    snprintf(head, sizeof head, "%.*s", (int)(len < 95 ? len : 95), line);
    if (sscanf(head, "ping %ld %" SCNu64 " %" SCNu64 " %zu %n", pid, id, t, &pad, &n) != 4 ||
        n <= 0 || len - (size_t)n != pad)
        return 0;
    for (size_t j = (size_t)n; j < len; j++)
        if (line[j] != 'a' + *pid % 26)
            return 0;
    return 1;
}

static void on_up_line(scope_conn_t *c, const char *line, size_t len)
{
    long pid = 0;
    uint64_t id = 0, t = 0;
    int k;
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
    const char *name = f.name_of(pid);
    int pinger = name && strcmp(name, "client 1") == 0;
    uint64_t now = scope_time_now_ns();
    /* The line carries its send time: one-way latency (client 1 times round trips). */
    scope_trace_msg(&f.w[k].trace, SCOPE_TRACE_RECV, id, line, len + 1,
                    !pinger && now > t ? now - t : 0);
    char *reply = pinger && f.down_open ? us_pong(line, len) : NULL;
    if (!reply)
        return;
    /* Client 1 waits for each answer before its next line: the pipe has room. */
    uv_buf_t b = uv_buf_init(reply, (unsigned)(len + 7));
    if (uv_try_write((uv_stream_t *)&f.down, &b, 1) == (int)(len + 7))
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
}

/* Step 5's end: up.fifo closed, no open() pending. */
static void check_closed(void)
{
    if (f.closing != 1 || f.up_req.pending || f.down_req.pending || f.up_open)
        return;
    f.closing = 2;
    scope_demo_figure(f.d, "lines", cJSON_CreateNumber((double)(f.whole + f.torn)));
    scope_demo_figure(f.d, "whole", cJSON_CreateNumber((double)f.whole));
    scope_demo_figure(f.d, "torn", cJSON_CreateNumber((double)f.torn));
    scope_demo_figure(f.d, "writers", cJSON_CreateNumber(f.nw));
    scope_demo_figure(f.d, "pipe_buf", cJSON_CreateNumber(PIPE_BUF));
    f.done(f.d);
}

static void on_up_closed(scope_conn_t *c)
{
    (void)c;
    f.up_open = 0;
    for (int i = 0; i < f.nw; i++)
        scope_trace_close(&f.w[i].trace);
    check_closed();
}

/* Step 2: an open() that blocked is back (UV_ECANCELED: fifo_server_close let it go). */
static void on_opened(scope_fifo_open_t *req, int fd)
{
    int up = req == &f.up_req;
    char waited[32];
    scope_time_format(waited, sizeof waited, (double)req->waited_ns);
    if (fd < 0) {
        if (fd != UV_ECANCELED)
            scope_events_error("open", "open(%s): %s", up ? "up.fifo" : "down.fifo",
                               uv_strerror(fd));
    } else if (up) {
        scope_events_log("open(up.fifo, O_RDONLY) -> fd %d after %s: it blocked until a writer "
                         "opened the other end", fd, waited);
        scope_conn_init_pipe(f.d->loop, &f.up, on_up_closed);
        f.up_open = uv_pipe_open(&f.up.h.pipe, fd) == 0;
        /* Without a write end of our own, read() would say EOF as soon as
         * the writers of the moment have closed, though another may come. */
        f.keep = open(f.up_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        scope_events_log("open(up.fifo, O_WRONLY|O_NONBLOCK) -> fd %d: our own write end, so "
                         "EOF comes only when we say so, after every client has exited", f.keep);
    } else {
        scope_events_log("open(down.fifo, O_WRONLY) -> fd %d after %s: it blocked until client "
                         "1 opened it for reading", fd, waited);
        uv_pipe_init(f.d->loop, &f.down, 0);
        f.down_open = uv_pipe_open(&f.down, fd) == 0;
    }
    /* Lines are read once down.fifo is open too, so client 1's first ping
     * finds the way back ready; until then they wait in the pipe. */
    scope_conn_options_t o = {.framing = SCOPE_CONN_LINES, .max_frame = 65536,
                              .on_frame = on_up_line, .on_error = on_up_oversize,
                              .on_end = on_up_end};
    if (f.up_open && !f.up_req.pending && !f.down_req.pending && !f.closing)
        scope_conn_start(&f.up, &o);
    check_closed();
}

static void on_start(uv_timer_t *t)
{
    uv_close((uv_handle_t *)t, NULL);
    if (!f.closing)
        f.start_writers(f.d);
}

/* Step 2. The writers start START_MS later, so that the blocked open()s show. */
void fifo_server_open(scope_demo_t *d)
{
    scope_events_log("open(up.fifo, O_RDONLY) and open(down.fifo, O_WRONLY) block until a process "
                     "opens the other end; the clients start in %d ms", START_MS);
    scope_fifo_open(d->loop, &f.up_req, f.up_path, O_RDONLY | O_CLOEXEC, on_opened);
    scope_fifo_open(d->loop, &f.down_req, f.down_path, O_WRONLY | O_CLOEXEC, on_opened);
    uv_timer_init(d->loop, &f.start);
    uv_timer_start(&f.start, on_start, START_MS, 0);
    scope_events_proc("ready", getpid(), getppid(), "server", 0, 0);
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
    int close_up = f.d->quitting || f.up_req.pending || f.down_req.pending; /* else read to EOF */
    f.closing = 1;
    scope_fifo_cancel(&f.up_req);
    scope_fifo_cancel(&f.down_req);
    if (f.down_open)
        uv_close((uv_handle_t *)&f.down, NULL);
    f.down_open = 0;
    if (close_up && f.up_open)
        scope_conn_close(&f.up);
    check_closed();
}
