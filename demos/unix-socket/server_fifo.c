/* server_fifo.c: the server over named pipes (--fifo). It makes up.fifo
 * and down.fifo, waits in blocking open()s for the clients, reads the
 * lines of every writer from one FIFO (counting whole and torn ones),
 * answers client 1 through the other, and removes both at the end. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unix-socket.h"

/* ---- the server's steps (FIFOs) ---- */

static void fifo_step_writers(scope_demo_t *d);

static void cleanup_fifos(void *arg)
{
    (void)arg;
    if (!srv.fifos_made)
        return;
    unlink(srv.up_path);
    unlink(srv.down_path);
    srv.fifos_made = 0;
    scope_events_log("unlink(up.fifo), unlink(down.fifo): the FIFOs are gone");
}

static int fifo_line_whole(const char *line, size_t len, long *pid, uint64_t *id, uint64_t *t)
{
    char head[96];
    size_t k = len < sizeof head - 1 ? len : sizeof head - 1;
    memcpy(head, line, k);
    head[k] = '\0';
    unsigned long long i, tt;
    size_t padlen;
    int n = 0;
    if (sscanf(head, "ping %ld %llu %llu %zu %n", pid, &i, &tt, &padlen, &n) != 4 || n <= 0)
        return 0;
    if (len - (size_t)n != padlen)
        return 0;
    char letter = (char)('a' + *pid % 26);
    for (size_t j = (size_t)n; j < len; j++)
        if (line[j] != letter)
            return 0;
    *id = i;
    *t = tt;
    return 1;
}

static void down_written(uv_write_t *req, int status)
{
    (void)status;
    free(req);
}

int down_send(const char *data, size_t len)
{
    if (!srv.down_open_ok || uv_is_closing((uv_handle_t *)&srv.down))
        return -EPIPE;
    uv_write_t *req = malloc(sizeof *req + len + 1);
    if (!req)
        return -ENOMEM;
    char *copy = (char *)(req + 1);
    memcpy(copy, data, len);
    copy[len] = '\n';
    uv_buf_t b = uv_buf_init(copy, (unsigned)len + 1);
    int r = uv_write(req, (uv_stream_t *)&srv.down, &b, 1, down_written);
    if (r < 0)
        free(req);
    return r;
}

static void on_up_line(scope_conn_t *c, const char *line, size_t len)
{
    (void)c;
    srv.lines_in++;
    if (len > 6 && memcmp(line, "stats ", 6) == 0) {
        if (hist_parse(line, len, &srv.tmp_hist) == 0) {
            scope_hist_merge(&srv.rtt, &srv.tmp_hist);
            srv.round_trips += (long)srv.tmp_hist.count;
            srv.fifo_whole++;
            return;
        }
    }
    long pid = 0;
    uint64_t id = 0, t = 0;
    if (!fifo_line_whole(line, len, &pid, &id, &t)) {
        srv.fifo_torn++;
        char sum[96];
        summarize(sum, sizeof sum, "", line, len);
        scope_events_error("torn", "a %zu-byte line that is not one writer's whole line: %s "
                           "(writes over PIPE_BUF = %d bytes may interleave)",
                           len, sum, PIPE_BUF);
        return;
    }
    srv.fifo_whole++;
    int w;
    for (w = 0; w < srv.nwriters; w++)
        if (srv.writers[w].pid == pid)
            break;
    if (w == srv.nwriters && w < (int)(sizeof srv.writers / sizeof srv.writers[0])) {
        srv.writers[w].pid = pid;
        srv.nwriters++;
    }
    if (w < srv.nwriters)
        srv.writers[w].lines++;
    char chan[32], sum[48];
    snprintf(chan, sizeof chan, "fifo:%ld", pid);
    int k = kid_index_of(pid);
    int pinger = k >= 0 && srv.kids[k].index == 1;
    scope_end_t from = k >= 0 ? SCOPE_PID(pid) : SCOPE_PEER("writer");
    uint64_t now = scope_time_now_ns();
    if (scope_events_msg_admit()) {
        snprintf(sum, sizeof sum, "ping %llu", (unsigned long long)id);
        /* A writer's line carries its send time: the one-way latency. Client
         * 1's round trip is measured at its end instead. */
        scope_events_msg_emit_admitted("recv", chan, from, SCOPE_PID(getpid()), id, len + 1, sum,
                                       !pinger && now > t ? now - t : 0);
    }
    if (pinger) {
        size_t n = len + 6;
        char *reply = malloc(n);
        if (!reply)
            return;
        memcpy(reply, "pong: ", 6);
        memcpy(reply + 6, line, len);
        if (down_send(reply, n) == 0) {
            srv.replies++;
            if (scope_events_msg_admit()) {
                snprintf(sum, sizeof sum, "pong: ping %llu", (unsigned long long)id);
                scope_events_msg_emit_admitted("send", chan, SCOPE_PID(getpid()), from, id, n + 1,
                                               sum, 0);
            }
        }
        free(reply);
    }
}

static void on_up_bad(scope_conn_t *c, const scope_frame_error_t *err)
{
    (void)c;
    srv.fifo_torn++;
    scope_events_error("oversize", "up.fifo: %s; skipped", err->reason);
}

static void on_down_closed(uv_handle_t *h)
{
    (void)h;
    srv.down_open_ok = 0;
    server_check_done();
}

static void on_up_end(scope_conn_t *c, int status)
{
    (void)c;
    scope_events_log("read() on up.fifo returned %s: every writer has closed its end. %ld lines "
                     "read, %ld whole, %ld torn",
                     status == 0 ? "0 (EOF)" : uv_strerror(status), srv.fifo_whole + srv.fifo_torn,
                     srv.fifo_whole, srv.fifo_torn);
    for (int i = 0; i < srv.nwriters; i++) {
        int k = kid_index_of(srv.writers[i].pid);
        scope_events_log("  %s (pid %ld): %ld whole lines", k >= 0 ? srv.kids[k].role : "writer",
                         srv.writers[i].pid, srv.writers[i].lines);
    }
}

static void on_up_closed(scope_conn_t *c)
{
    (void)c;
    srv.up_started = srv.up_reading = 0;
    if (srv.down_open_ok && !uv_is_closing((uv_handle_t *)&srv.down))
        uv_close((uv_handle_t *)&srv.down, on_down_closed);
    server_check_done();
}

/* Lines are read once down.fifo is open too, so that client 1's first ping
 * finds the way back ready; until then they wait in the pipe. */
static void fifo_maybe_read(void)
{
    if (!srv.up_started || srv.up_reading || srv.up_closing || srv.down_pending)
        return;
    scope_conn_options_t o = {.framing = SCOPE_CONN_LINES,
                              .max_frame = opt.max_message,
                              .on_frame = on_up_line,
                              .on_error = on_up_bad,
                              .on_end = on_up_end,
                              .on_close = on_up_closed};
    int r = scope_conn_start(&srv.up, &o);
    srv.up_reading = 1;
    if (r < 0) {
        scope_events_error("read", "up.fifo: %s", uv_strerror(r));
        srv.up_closing = 1;
        scope_conn_close(&srv.up);
    }
}

static void on_up_opened(uv_fs_t *req)
{
    srv.up_pending = 0;
    int fd = (int)req->result;
    char waited[32];
    scope_time_format(waited, sizeof waited, (double)(scope_time_now_ns() - srv.up_t0));
    uv_fs_req_cleanup(req);
    if (fd < 0) {
        scope_events_error("open", "open(up.fifo, O_RDONLY): %s", uv_strerror(fd));
        server_wind_down();
        return;
    }
    if (srv.winding_down) {
        close(fd);
        server_check_done();
        return;
    }
    scope_events_log("open(up.fifo, O_RDONLY) -> fd %d after %s: it blocked until a writer "
                     "opened the other end",
                     fd, waited);
    /* Hold a write end ourselves: without it, read() returns 0 (EOF) as soon
     * as the writers of the moment have all closed, though another client
     * may be just about to open it. */
    srv.up_keep = open(srv.up_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    scope_events_log("open(up.fifo, O_WRONLY|O_NONBLOCK) -> fd %d: our own write end, so EOF "
                     "comes only when we say so, after every client has exited",
                     srv.up_keep);
    scope_conn_init_pipe(demo.loop, &srv.up, on_up_closed);
    srv.up_started = 1;
    int r = uv_pipe_open(&srv.up.h.pipe, fd);
    if (r < 0) {
        close(fd);
        scope_events_error("read", "up.fifo: %s", uv_strerror(r));
        srv.up_closing = 1;
        scope_conn_close(&srv.up);
        return;
    }
    fifo_maybe_read();
}

static void on_down_opened(uv_fs_t *req)
{
    srv.down_pending = 0;
    int fd = (int)req->result;
    char waited[32];
    scope_time_format(waited, sizeof waited, (double)(scope_time_now_ns() - srv.down_t0));
    uv_fs_req_cleanup(req);
    if (fd < 0) {
        scope_events_error("open", "open(down.fifo, O_WRONLY): %s", uv_strerror(fd));
        fifo_maybe_read();
        server_wind_down();
        return;
    }
    if (srv.winding_down) {
        close(fd);
        fifo_maybe_read();
        server_check_done();
        return;
    }
    scope_events_log("open(down.fifo, O_WRONLY) -> fd %d after %s: it blocked until client 1 "
                     "opened it for reading",
                     fd, waited);
    uv_pipe_init(demo.loop, &srv.down, 0);
    if (uv_pipe_open(&srv.down, fd) < 0) {
        close(fd);
        uv_close((uv_handle_t *)&srv.down, NULL);
        fifo_maybe_read();
        return;
    }
    srv.down_open_ok = 1;
    fifo_maybe_read();
}

void fifo_step_make(scope_demo_t *d)
{
    if (server_make_rundir(d) < 0)
        return;
    snprintf(srv.up_path, sizeof srv.up_path, "%s/up.fifo", srv.rundir);
    snprintf(srv.down_path, sizeof srv.down_path, "%s/down.fifo", srv.rundir);
    snprintf(srv.shown, sizeof srv.shown, "%s", srv.rundir);
    if (mkfifo(srv.up_path, 0600) < 0 || mkfifo(srv.down_path, 0600) < 0) {
        scope_events_error("mkfifo", "%s", strerror(errno));
        unlink(srv.up_path);
        fail_exit();
        return;
    }
    srv.fifos_made = 1;
    scope_demo_on_cleanup(d, cleanup_fifos, NULL);
    scope_events_log("mkdtemp(%s), mode 0700; mkfifo(up.fifo, 0600) for the clients' lines, "
                     "mkfifo(down.fifo, 0600) for the answers: a FIFO goes one way only",
                     srv.rundir);
    scope_demo_step(d, "open() a FIFO blocks until its other end opens", fifo_step_writers);
}

static void fifo_start_writers(uv_timer_t *t)
{
    (void)t;
    if (demo.quitting)
        return;
    scope_events_log("starting %d clients: each opens up.fifo O_WRONLY and writes --count "
                     "lines of %zu bytes; client 1 also reads its pongs from down.fifo (a FIFO "
                     "has no addresses: any reader could take any answer, so only one reads)",
                     opt.nclients, demo.size);
    if (demo.size + 1 > PIPE_BUF)
        scope_events_log("lines of %zu bytes are over PIPE_BUF (%d): the kernel may split such "
                         "a write, and other writers' bytes may land in between",
                         demo.size + 1, PIPE_BUF);
    for (int i = 1; i <= opt.nclients; i++)
        spawn_client(i, NULL);
}

static void fifo_step_writers(scope_demo_t *d)
{
    srv.up_t0 = srv.down_t0 = scope_time_now_ns();
    scope_events_log("open(up.fifo, O_RDONLY) and open(down.fifo, O_WRONLY): both block until "
                     "a process opens the other end (they wait in libuv's thread pool, so our "
                     "loop stays awake); the clients start %d ms from now",
                     FIFO_START_MS);
    srv.up_pending = srv.down_pending = 1;
    uv_fs_open(d->loop, &srv.up_open, srv.up_path, O_RDONLY | O_CLOEXEC, 0, on_up_opened);
    uv_fs_open(d->loop, &srv.down_open, srv.down_path, O_WRONLY | O_CLOEXEC, 0, on_down_opened);
    scope_events_proc("ready", getpid(), getppid(), "server", 0, 0);
    uv_timer_init(d->loop, &srv.fifo_timer);
    srv.fifo_timer_init = 1;
    uv_timer_start(&srv.fifo_timer, fifo_start_writers, FIFO_START_MS, 0);
    uv_unref((uv_handle_t *)&srv.fifo_timer);
}

/* A blocked open() of a FIFO waits for the other end: to stop waiting, be it. */
void fifo_unblock(const char *path, int flags)
{
    int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0)
        close(fd);
}
