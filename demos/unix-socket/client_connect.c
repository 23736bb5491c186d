/* client_connect.c: how a client reaches the server, and its run. On a
 * socket: socket(), connect() (its errors explained), SO_PEERCRED on our
 * end. Over FIFOs: blocking open()s of up.fifo (and, for client 1,
 * down.fifo). run_client() sets it all up and writes a lone client's bye. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "unix-socket.h"

/* ---- connecting ---- */

/* The client's lines, read from fd (the connected socket, or down.fifo) with
 * lib/net. On failure the fd is closed, by the handle once it owns it. */
static int client_conn_start(int fd)
{
    scope_conn_init_pipe(demo.loop, &cli.conn, NULL);
    int r = uv_pipe_open(&cli.conn.h.pipe, fd);
    if (r < 0) {
        close(fd); /* not the handle's yet */
        return r;
    }
    scope_conn_options_t o = {.framing = SCOPE_CONN_LINES,
                              .max_frame = opt.max_message + 64,
                              .on_frame = on_client_line,
                              .on_error = on_client_bad,
                              .on_end = on_client_end,
                              .on_close = on_conn_closed};
    return scope_conn_start(&cli.conn, &o);
}

static int client_connect(void)
{
    struct sockaddr_un sa;
    int len = make_addr(&sa);
    char shown[PATH_MAX + 2];
    snprintf(shown, sizeof shown, "%s%s", opt.abstract && opt.path[0] != '@' ? "@" : "", opt.path);
    if (len < 0) {
        scope_events_error("path", "%s is too long for sun_path", shown);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        scope_events_error("socket", "%s", strerror(errno));
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sa, (socklen_t)len) < 0) {
        int e = errno;
        const char *why = e == ENOENT         ? ": no such file (no server ever bound it)"
                          : e == ECONNREFUSED ? ": the file is there but nobody listens (stale)"
                          : e == EACCES       ? ": permission denied (the file or its directory)"
                                              : "";
        scope_events_error("connect", "connect(%s): %s%s", shown, errname(e), why);
        close(fd);
        return -1;
    }
    pid_t pid;
    uid_t uid;
    gid_t gid;
    if (scope_peer_cred(fd, &pid, &uid, &gid) < 0)
        pid = 0, uid = 0, gid = 0;
    cli.server_pid = pid;
    snprintf(cli.chan, sizeof cli.chan, "unix:%ld", (long)getpid());
    cli.me = SCOPE_PID(getpid());
    if (opt.as_client) {
        cli.server = SCOPE_PID(getppid());
    } else {
        snprintf(cli.server_name, sizeof cli.server_name, "server %ld", (long)pid);
        cli.server = SCOPE_PEER(cli.server_name);
    }
    scope_events_log("socket() -> fd %d; connect(%s) -> 0; getsockopt(SO_PEERCRED) on our end "
                     "names the server: pid %ld, uid %ld, gid %ld",
                     fd, shown, (long)pid, (long)uid, (long)gid);
    if (opt.as_client == 0) {
        char detail[64];
        snprintf(detail, sizeof detail, "fd %d to %.40s", fd, shown);
        scope_events_chan("open", cli.chan, "unix", cli.me, cli.server, detail);
    }
    int r = client_conn_start(fd);
    if (r < 0) {
        scope_events_error("read", "%s", uv_strerror(r));
        scope_conn_close(&cli.conn);
        return -1;
    }
    cli.conn_open = 1;
    return 0;
}

/* ---- the FIFO client's opens ---- */

static void fifo_client_ready(void)
{
    if (cli.c_up_pending || cli.c_down_pending || cli.done)
        return;
    char detail[64];
    snprintf(detail, sizeof detail, "%s", opt.as_client == 1 ? "up.fifo, pongs on down.fifo"
                                                            : "writes up.fifo, shared");
    scope_events_chan("open", cli.chan, "fifo", cli.me, cli.server, detail);
    cli.chan_open = 1;
    client_begin();
}

/* What both FIFO opens do first: narrate the wait, and hand back the fd to
 * keep, or -1 when there is none (the open failed, or the client is already
 * done and the fd is closed again). */
static int fifo_opened(uv_fs_t *req, const char *what, uint64_t t0, const char *server_was)
{
    int fd = (int)req->result;
    char waited[32];
    scope_time_format(waited, sizeof waited, (double)(scope_time_now_ns() - t0));
    uv_fs_req_cleanup(req);
    if (fd < 0) {
        scope_events_error("open", "open(%s): %s", what, uv_strerror(fd));
        client_done(1);
        return -1;
    }
    if (cli.done) {
        close(fd);
        client_done(cli.client_code);
        return -1;
    }
    scope_events_log("open(%s) -> fd %d after %s: the server was already waiting to %s", what,
                     fd, waited, server_was);
    return fd;
}

static void on_c_up_opened(uv_fs_t *req)
{
    cli.c_up_pending = 0;
    int fd = fifo_opened(req, "up.fifo, O_WRONLY", cli.c_up_t0, "read, so no wait here");
    if (fd < 0)
        return;
    uv_pipe_init(demo.loop, &cli.c_up, 0);
    if (uv_pipe_open(&cli.c_up, fd) < 0) {
        close(fd);
        uv_close((uv_handle_t *)&cli.c_up, NULL);
        client_done(1);
        return;
    }
    cli.c_up_ok = 1;
    fifo_client_ready();
}

static void on_c_down_opened(uv_fs_t *req)
{
    cli.c_down_pending = 0;
    int fd = fifo_opened(req, "down.fifo, O_RDONLY", cli.c_down_t0, "write");
    if (fd < 0)
        return;
    int r = client_conn_start(fd);
    cli.c_down_ok = 1;
    if (r < 0) {
        scope_events_error("read", "down.fifo: %s", uv_strerror(r));
        client_done(1);
        return;
    }
    fifo_client_ready();
}

static int fifo_client_open(void)
{
    snprintf(cli.up_path, sizeof cli.up_path, "%s/up.fifo", opt.path);
    snprintf(cli.down_path, sizeof cli.down_path, "%s/down.fifo", opt.path);
    snprintf(cli.chan, sizeof cli.chan, "fifo:%ld", (long)getpid());
    cli.me = SCOPE_PID(getpid());
    cli.server = SCOPE_PID(getppid());
    cli.c_up_t0 = cli.c_down_t0 = scope_time_now_ns();
    cli.c_up_pending = 1;
    uv_fs_open(demo.loop, &cli.c_up_open, cli.up_path, O_WRONLY | O_CLOEXEC, 0, on_c_up_opened);
    if (opt.as_client == 1) {
        cli.c_down_pending = 1;
        uv_fs_open(demo.loop, &cli.c_down_open, cli.down_path, O_RDONLY | O_CLOEXEC, 0,
                   on_c_down_opened);
    }
    return 0;
}

static void client_quit(scope_demo_t *d)
{
    (void)d;
    if (cli.c_up_pending)
        fifo_unblock(cli.up_path, O_RDONLY);
    if (cli.c_down_pending)
        fifo_unblock(cli.down_path, O_WRONLY);
    client_done(cli.done ? cli.client_code : 0);
    if (!cli.conn_open && !cli.c_up_ok)
        scope_demo_stop(d);
}

int run_client(void)
{
    scope_demo_t *d = &demo;
    d->on_quit = client_quit;
    char *role = cli.role;
    if (opt.fault[0])
        snprintf(cli.role, sizeof cli.role, "bad client (%s)", opt.fault);
    else if (opt.as_client)
        snprintf(cli.role, sizeof cli.role, "client %d", opt.as_client);
    else
        snprintf(cli.role, sizeof cli.role, "client");
    if (!opt.as_client) {
        d->params = cJSON_CreateObject();
        cJSON_AddStringToObject(d->params, "connect", opt.path);
        cJSON_AddStringToObject(d->params, "mode", opt.abstract ? "abstract" : "path");
    }
    int r = scope_demo_start(d, uv_default_loop(), role, opt.as_client == 0);
    if (r < 0) {
        fprintf(stderr, "unix-socket: cannot report events: %s\n", strerror(-r));
        return 1;
    }
    scope_hist_reset(&cli.rtt);
    scope_rate_init(&cli.rate, 0);
    scope_pacer_init(d, &cli.pacer);
    uv_timer_init(d->loop, &cli.stats_timer);
    uv_unref((uv_handle_t *)&cli.stats_timer);
    int ok = opt.fifo ? fifo_client_open() : client_connect();
    if (ok < 0) {
        cli.client_code = 1;
        cli.done = 1;
        uv_close((uv_handle_t *)&cli.stats_timer, NULL);
        scope_demo_stop(d);
    } else if (!opt.fifo) {
        client_begin();
    }
    scope_demo_run(d);
    if (opt.as_client == 0) {
        scope_hist_summary_t sum;
        scope_hist_summarize(&cli.rtt, &sum);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "sent", (double)cli.sent);
        cJSON_AddNumberToObject(o, "received", (double)cli.pongs);
        cJSON_AddNumberToObject(o, "p50", (double)sum.p50);
        cJSON_AddNumberToObject(o, "p99", (double)sum.p99);
        cJSON_AddBoolToObject(o, "refused", cli.refused_us);
        char text[160], p50[32];
        scope_time_format(p50, sizeof p50, (double)(sum.p50));
        if (cli.refused_us)
            snprintf(text, sizeof text, "refused by the server (pid %ld)", (long)cli.server_pid);
        else
            snprintf(text, sizeof text, "%ld pings, %ld pongs (median %s)", cli.sent, cli.pongs,
                     p50);
        scope_events_bye(o, text);
    }
    free(cli.line);
    free(cli.chunk);
    uv_loop_close(d->loop);
    return cli.refused_us ? CLIENT_REFUSED : cli.client_code;
}
