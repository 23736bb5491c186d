/* server.c: the server's run. It starts the clients as child processes
 * and reaps them, owns the private directory, writes the bye with the
 * summary, winds down (listener, peers, FIFOs) once every client is done,
 * and relays quit and the dashboard's controls to the clients. The socket
 * itself is in server_socket.c, the FIFOs in server_fifo.c. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unix-socket.h"

/* ==== the server ========================================================== */

int kid_index_of(long pid)
{
    for (int i = 0; i < srv.nkids; i++)
        if ((long)srv.kids[i].proc.pid == pid)
            return i;
    return -1;
}

void allow_list(char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < opt.nallow && used < n; i++)
        used +=
            (size_t)snprintf(out + used, n - used, "%s%u", i ? "," : "", (unsigned)opt.allow[i]);
}

void fail_exit(void)
{
    srv.exit_code = 1;
    srv.finished = 1;
    srv.winding_down = 1;
    scope_demo_stop(&demo);
}

static void cleanup_rundir(void *arg)
{
    (void)arg;
    if (srv.rundir_made && scope_rundir_remove(srv.rundir) == 0)
        scope_events_log("rmdir(%s): the private directory is gone", srv.rundir);
    srv.rundir_made = 0;
}

int server_make_rundir(scope_demo_t *d)
{
    int r = scope_rundir_make("unix-socket", srv.rundir, sizeof srv.rundir);
    if (r < 0) {
        scope_events_error("rundir", "cannot make a private directory: %s", strerror(-r));
        fail_exit();
        return -1;
    }
    srv.rundir_made = 1;
    scope_demo_on_cleanup(d, cleanup_rundir, NULL);
    return 0;
}

static void on_listener_closed(uv_handle_t *h)
{
    (void)h;
    srv.listener_closed = 1;
    server_check_done();
}

static void finish(void)
{
    if (srv.finished)
        return;
    srv.finished = 1;
    scope_hist_summary_t sum;
    scope_hist_summarize(&srv.rtt, &sum);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "sent", (double)srv.replies);
    cJSON_AddNumberToObject(o, "received", (double)srv.lines_in);
    cJSON_AddNumberToObject(o, "round_trips", (double)srv.round_trips);
    cJSON_AddNumberToObject(o, "p50", (double)sum.p50);
    cJSON_AddNumberToObject(o, "p99", (double)sum.p99);
    cJSON_AddStringToObject(o, "mode", opt.fifo ? "fifo" : opt.abstract ? "abstract" : "path");
    cJSON_AddStringToObject(o, "address", srv.shown);
    char text[320], p50[48] = "";
    if (sum.count) {
        char ms[32];
        scope_time_format(ms, sizeof ms, (double)(sum.p50));
        snprintf(p50, sizeof p50, " (median %s)", ms);
    }
    if (opt.fifo) {
        cJSON_AddNumberToObject(o, "lines", (double)(srv.fifo_whole + srv.fifo_torn));
        cJSON_AddNumberToObject(o, "whole", (double)srv.fifo_whole);
        cJSON_AddNumberToObject(o, "torn", (double)srv.fifo_torn);
        cJSON_AddNumberToObject(o, "writers", srv.nwriters);
        cJSON_AddNumberToObject(o, "pipe_buf", PIPE_BUF);
        snprintf(text, sizeof text,
                 "%ld lines from %d writers through one FIFO, %ld torn; %ld pongs back through "
                 "the other%s",
                 srv.fifo_whole + srv.fifo_torn, srv.nwriters, srv.fifo_torn, srv.replies, p50);
    } else {
        cJSON_AddNumberToObject(o, "accepted", (double)srv.accepted);
        cJSON_AddNumberToObject(o, "refused", (double)srv.refused);
        cJSON_AddNumberToObject(o, "bad_input", (double)srv.bad_input);
        if (srv.stream_ns) {
            cJSON_AddNumberToObject(o, "bytes", (double)srv.stream_bytes);
            cJSON_AddNumberToObject(o, "mb_s",
                                    (double)srv.stream_bytes * 1e3 / (double)srv.stream_ns);
            snprintf(text, sizeof text, "%llu bytes streamed through %.200s at %.0f MB/s",
                     (unsigned long long)srv.stream_bytes, srv.shown,
                     (double)srv.stream_bytes * 1e3 / (double)srv.stream_ns);
        } else {
            snprintf(text, sizeof text,
                     "%ld connections (%ld refused), %ld lines in, %ld answers out, %ld round "
                     "trips%s, %ld bad inputs survived",
                     srv.accepted, srv.refused, srv.lines_in, srv.replies, srv.round_trips, p50,
                     srv.bad_input);
        }
    }
    int failed = 0;
    for (int i = 0; i < srv.nkids; i++)
        if (srv.kids[i].exited && (srv.kids[i].sig || (srv.kids[i].code != 0 &&
                                                   srv.kids[i].code != CLIENT_REFUSED)))
            failed++;
    cJSON_AddNumberToObject(o, "clients", srv.nkids);
    cJSON_AddNumberToObject(o, "clients_failed", failed);
    if (failed && !demo.quitting)
        srv.exit_code = 1;
    scope_events_bye(o, text);
    scope_demo_stop(&demo);
}

void server_wind_down(void)
{
    if (srv.winding_down)
        return;
    srv.winding_down = 1;
    if (srv.drain_timer_init && !uv_is_closing((uv_handle_t *)&srv.drain_timer))
        uv_close((uv_handle_t *)&srv.drain_timer, NULL);
    if (srv.listening && !uv_is_closing((uv_handle_t *)&srv.listener))
        uv_close((uv_handle_t *)&srv.listener, on_listener_closed);
    else
        srv.listener_closed = 1;
    for (peer_t *p = srv.peers; p; p = p->next)
        scope_conn_close(&p->conn);
    if (opt.fifo) {
        if (srv.up_pending)
            fifo_unblock(srv.up_path, O_WRONLY);
        if (srv.down_pending)
            fifo_unblock(srv.down_path, O_RDONLY);
        if (srv.fifo_timer_init && !uv_is_closing((uv_handle_t *)&srv.fifo_timer))
            uv_close((uv_handle_t *)&srv.fifo_timer, NULL);
        if (srv.up_keep >= 0) {
            scope_events_log("close(fd %d), our own write end of up.fifo: once the last "
                             "writer is gone, read() returns 0 (EOF)",
                             srv.up_keep);
            close(srv.up_keep);
            srv.up_keep = -1;
        }
        if (srv.up_started && (demo.quitting || !srv.up_reading)) {
            srv.up_closing = 1;
            scope_conn_close(&srv.up);
        }
    }
    server_check_done();
}

void server_check_done(void)
{
    if (srv.draining && !srv.winding_down && srv.npeers == 0) {
        server_wind_down(); /* the last peer has ended by itself */
        return;
    }
    if (!srv.winding_down || srv.finished || srv.kids_left > 0 || srv.npeers > 0 ||
        !srv.listener_closed)
        return;
    if (opt.fifo && (srv.up_started || srv.up_pending || srv.down_pending || srv.down_open_ok))
        return;
    finish();
}

static void on_drain_timeout(uv_timer_t *t)
{
    (void)t;
    server_wind_down();
}

/* Every client has exited. Its socket may still hold its last bytes and EOF:
 * SIGCHLD can be handled before them, and closing now would lose what a
 * client that vanished mid-line sent. So the peers end by themselves (their
 * processes are gone, EOF is on its way), and what is left after DRAIN_MS is
 * closed. */
static void step_wind_down(scope_demo_t *d)
{
    (void)d;
    if (srv.npeers == 0 || demo.quitting) {
        server_wind_down();
        return;
    }
    srv.draining = 1;
    uv_timer_init(demo.loop, &srv.drain_timer);
    srv.drain_timer_init = 1;
    uv_timer_start(&srv.drain_timer, on_drain_timeout, DRAIN_MS, 0);
}

/* ---- the clients, as child processes ---- */

static void on_kid_exit(scope_child_t *c, int status, int sig)
{
    int i = kid_index_of(c->pid);
    if (i < 0)
        return;
    srv.kids[i].exited = 1;
    srv.kids[i].code = status;
    srv.kids[i].sig = sig;
    srv.kids_left--;
    scope_events_proc("exit", c->pid, getpid(), srv.kids[i].role, status, sig);
    if (sig)
        scope_events_log("waitpid(%ld): %s was killed by SIG%s", (long)c->pid, srv.kids[i].role,
                         sigabbrev_np(sig));
    else
        scope_events_log("waitpid(%ld): %s exited with code %d%s", (long)c->pid, srv.kids[i].role,
                         status, status == CLIENT_REFUSED ? " (refused by the server)" : "");
    if (srv.kids_left == 0 && !opt.listen_only) {
        if (!demo.quitting)
            scope_demo_step(&demo, "every client is done: close, unlink, rmdir",
                            step_wind_down);
        else
            server_wind_down();
    }
    server_check_done();
}

/* The rest of the program, as --as-client children are started with. */
static int self_path(char *out, size_t n)
{
    ssize_t k = readlink("/proc/self/exe", out, n - 1);
    if (k <= 0)
        return -errno;
    out[k] = '\0';
    return 0;
}

void spawn_client(int index, const char *fault)
{
    if (srv.nkids == (int)(sizeof srv.kids / sizeof srv.kids[0])) {
        scope_events_error("spawn", "no room for another client");
        return;
    }
    char self[PATH_MAX];
    if (self_path(self, sizeof self) < 0) {
        scope_events_error("spawn", "readlink /proc/self/exe: %s", strerror(errno));
        return;
    }
    char idx[16], count[32], rate[32], size[32], maxm[32], idle[32], tput[32];
    snprintf(idx, sizeof idx, "%d", index);
    snprintf(count, sizeof count, "%ld", demo.count);
    snprintf(rate, sizeof rate, "%g", demo.rate);
    snprintf(size, sizeof size, "%zu", demo.size);
    snprintf(maxm, sizeof maxm, "%zu", opt.max_message);
    snprintf(idle, sizeof idle, "%llu", (unsigned long long)opt.idle_ms);
    snprintf(tput, sizeof tput, "%llu", (unsigned long long)opt.throughput);
    char *argv[24];
    int a = 0;
    argv[a++] = self;
    argv[a++] = "--as-client";
    argv[a++] = idx;
    argv[a++] = "--connect";
    argv[a++] = opt.fifo ? srv.rundir : opt.path;
    argv[a++] = "--count";
    argv[a++] = count;
    argv[a++] = "--rate";
    argv[a++] = rate;
    argv[a++] = "--size";
    argv[a++] = size;
    argv[a++] = "--max-message";
    argv[a++] = maxm;
    argv[a++] = "--idle-ms";
    argv[a++] = idle;
    if (opt.abstract)
        argv[a++] = "--abstract";
    if (opt.fifo)
        argv[a++] = "--fifo";
    if (opt.throughput && !fault) {
        argv[a++] = "--throughput";
        argv[a++] = tput;
    }
    if (fault) {
        argv[a++] = "--fault";
        argv[a++] = (char *)fault;
    }
    argv[a] = NULL;

    scope_demo_child_events_t ev;
    scope_demo_child_events(&ev, 3);
    scope_spawn_options_t o = {
        .file = self,
        .argv = argv,
        .setenv = ev.env,
        .fds = ev.nfds ? &ev.fd : NULL,
        .nfds = ev.nfds,
        .death_signal = SIGTERM,
    };
    int k = srv.nkids;
    memset(&srv.kids[k], 0, sizeof srv.kids[k]);
    srv.kids[k].index = index;
    srv.kids[k].bad = fault != NULL;
    if (fault)
        snprintf(srv.kids[k].role, sizeof srv.kids[k].role, "bad client (%s)", fault);
    else
        snprintf(srv.kids[k].role, sizeof srv.kids[k].role, "client %d", index);
    int r = scope_spawn(demo.loop, &srv.kids[k].proc, &o, on_kid_exit);
    if (r < 0) {
        scope_events_error("spawn", "cannot start %s: %s", srv.kids[k].role, strerror(-r));
        return;
    }
    srv.nkids++;
    srv.kids_left++;
}

/* ---- the server's shutdown and control ---- */

static void relay(const char *line);

static void server_quit(scope_demo_t *d)
{
    (void)d;
    /* Our clients hear it first on their sockets, then by signal (those not
     * connected yet). */
    relay("ctl quit");
    for (int i = 0; i < srv.nkids; i++)
        if (!srv.kids[i].exited)
            scope_child_kill(&srv.kids[i].proc, SIGTERM, 0);
    server_wind_down();
}

static void relay(const char *line)
{
    if (opt.fifo) {
        down_send(line, strlen(line));
        return;
    }
    for (peer_t *p = srv.peers; p; p = p->next)
        if (p->ours && !p->bad && !p->refused)
            scope_conn_send(&p->conn, line, strlen(line));
}

static void server_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    char line[64];
    if (strcmp(cmd, "rate") == 0)
        snprintf(line, sizeof line, "ctl rate %g", d->rate);
    else if (strcmp(cmd, "size") == 0)
        snprintf(line, sizeof line, "ctl size %zu", d->size);
    else if (strcmp(cmd, "pause") == 0 || strcmp(cmd, "resume") == 0 || strcmp(cmd, "step") == 0)
        snprintf(line, sizeof line, "ctl %s", cmd);
    else if (strcmp(cmd, "fault") == 0) {
        if (strcmp(d->fault, "oversize") && strcmp(d->fault, "silent") &&
            strcmp(d->fault, "vanish"))
            scope_events_error("fault", "unknown fault '%s' (oversize, silent or vanish)",
                               d->fault);
        else if (!opt.fifo && !srv.winding_down && !opt.listen_only) {
            static const char *const kinds[] = {"oversize", "silent", "vanish"};
            spawn_client(srv.nkids + 1, kinds[d->fault[0] == 'o' ? 0 : d->fault[0] == 's' ? 1 : 2]);
        }
        return;
    } else
        return;
    /* Our clients pace themselves: the command travels to them on the very
     * sockets (or FIFO) the lesson is about. */
    relay(line);
}

int run_server(void)
{
    scope_demo_t *d = &demo;
    d->on_quit = server_quit;
    d->on_control = server_control;
    d->params = cJSON_CreateObject();
    cJSON_AddStringToObject(d->params, "mode",
                            opt.fifo       ? "fifo"
                            : opt.abstract ? "abstract"
                                           : "path");
    if (opt.path_given)
        cJSON_AddStringToObject(d->params, "address", opt.path);
    cJSON_AddNumberToObject(d->params, "clients",
                            opt.listen_only  ? 0
                            : opt.throughput ? 1
                                             : opt.nclients);
    if (opt.nallow) {
        char list[128];
        allow_list(list, sizeof list);
        cJSON_AddStringToObject(d->params, "allow_uid", list);
    }
    cJSON_AddNumberToObject(d->params, "idle_ms", (double)opt.idle_ms);
    cJSON_AddNumberToObject(d->params, "max_message", (double)opt.max_message);
    if (opt.throughput)
        cJSON_AddNumberToObject(d->params, "throughput", (double)opt.throughput);
    if (opt.fault[0])
        cJSON_AddStringToObject(d->params, "fault", opt.fault);
    int r = scope_demo_start(d, uv_default_loop(), "server", 1);
    if (r < 0) {
        fprintf(stderr, "unix-socket: cannot start: %s\n", strerror(-r));
        return 1;
    }
    scope_hist_reset(&srv.rtt);
    if (opt.fifo)
        scope_demo_step(d, "a private directory and two FIFOs (mkfifo)", fifo_step_make);
    else if (opt.abstract)
        scope_demo_step(d, "an abstract name: no file at all", step_place);
    else if (opt.path_given)
        scope_demo_step(d, "probe the path: free, stale or live?", step_place);
    else
        scope_demo_step(d, "a private directory for the socket file; probe the path", step_place);
    scope_demo_run(d);
    for (int i = 0; i < srv.nkids; i++)
        if (!srv.kids[i].exited)
            scope_child_kill(&srv.kids[i].proc, SIGKILL, 0);
    uv_run(d->loop, UV_RUN_NOWAIT);
    scope_spawn_shutdown(d->loop);
    uv_run(d->loop, UV_RUN_NOWAIT);
    return srv.exit_code;
}
