/* fork-ipc: child_process.fork() with the lid off.
 *
 * What node does when a parent calls fork('child.js') and the two talk with
 * send() and on('message'), step by step:
 *
 *   1. socketpair(AF_UNIX, SOCK_STREAM) makes the channel: two connected
 *      sockets, one for each side.
 *   2. fork() makes the child process.
 *   3. The child places its end at fd 3 (dup2) and execs with
 *      NODE_CHANNEL_FD=3 and NODE_CHANNEL_SERIALIZATION_MODE=json.
 *   4. The child opens fd 3 as an ipc pipe and unsets NODE_CHANNEL_FD.
 *   5. The parent sends {"hello":"world"} as one JSON line; the child answers
 *      {"received":true}, as in the seeds.
 *   6. Ping-pong: the round trip timed on the monotonic clock.
 *   7. Request/response with correlation ids: service-a asks service-b
 *      getUser {id:123} and matches the answer to its question by id.
 *   8. A listening TCP socket travels with a message (SCM_RIGHTS), as
 *      child.send(msg, server) does; the child serves one connection on it.
 *   9. disconnect(): the child reads EOF, exits, and the parent reaps it.
 *
 * The child is this same program run with --as-child (--child c, default),
 * or node running demos/fork-ipc-child.js (--child node). With --as-child
 * alone it is the child of any parent that forks it, a real node included:
 *
 *   node -e "const c = require('child_process').fork('--as-child', [],
 *            {execPath: './build/demos/fork-ipc', execArgv: []});
 *            c.on('message', m => { console.log(m); c.disconnect(); });
 *            c.send({hello: 'world'})"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channel.h"
#include "demo.h"
#include "events.h"
#include "spawn.h"
#include "timing.h"

static const scope_demo_info_t info = {
    "fork-ipc",
    "child_process.fork() with the lid off",
    "A parent and a child talk over Node's IPC channel: a socketpair, one JSON line per message.",
    "000 001 002 003 004",
    "IPC 通道 (fork) | 快 | ❌ | 低 | 父子进程",
    "malformed blank oversize",
};

static const scope_demo_option_t options[] = {
    {"child", "c|node", "who the child is: this program in C (default) or a real node"},
    {"as-child", NULL, "be the child of a parent that forked us with NODE_CHANNEL_FD"},
    {"fault", "KIND", "after hello, send the child a bad line: malformed, blank or oversize"},
    {"max-message", "BYTES", "longest line either side accepts (default 4194304)"},
    {NULL, NULL, NULL},
};

static struct {
    scope_demo_t demo;
    scope_channel_t ch;
    scope_child_t child;
    pid_t child_pid;
    int node_child, as_child;
    char fault[16];
    size_t max_message;
    /* ping-pong */
    scope_pacer_t pacer;
    scope_hist_t rtt;
    scope_rate_t rate;
    uv_timer_t stats_timer;
    long pings_sent, pongs;
    uint64_t first_ping_ns, last_pong_ns; /* the ping-pong's span, for its rate */
    char *pad;
    size_t pad_len;
    /* getUser */
    int next_request, answered;
    /* handle passing */
    uv_tcp_t client;
    uv_connect_t connect_req;
    int port;
    /* the end */
    int child_status, child_signal, child_done, disconnected, exit_code;
    int we_disconnected; /* the run ended by our disconnect, not the child leaving */
} s = {.max_message = 4u * 1024u * 1024u};

#define REQUESTS 3

static int on_option(scope_demo_t *d, const char *name, const char *value)
{
    if (strcmp(name, "child") == 0) {
        if (strcmp(value, "c") != 0 && strcmp(value, "node") != 0) {
            snprintf(d->error, sizeof d->error, "--child wants c or node, not '%s'", value);
            return -EINVAL;
        }
        s.node_child = strcmp(value, "node") == 0;
    } else if (strcmp(name, "as-child") == 0) {
        s.as_child = 1;
    } else if (strcmp(name, "fault") == 0) {
        if (strcmp(value, "malformed") && strcmp(value, "blank") && strcmp(value, "oversize")) {
            snprintf(d->error, sizeof d->error,
                     "--fault wants malformed, blank or oversize, not '%s'", value);
            return -EINVAL;
        }
        snprintf(s.fault, sizeof s.fault, "%s", value);
    } else if (strcmp(name, "max-message") == 0) {
        char *end;
        unsigned long long v = strtoull(value, &end, 10);
        if (*end || v < 1024 || v > SCOPE_CHANNEL_MAX_MESSAGE) {
            snprintf(d->error, sizeof d->error, "--max-message wants 1024 to %u bytes",
                     SCOPE_CHANNEL_MAX_MESSAGE);
            return -EINVAL;
        }
        s.max_message = (size_t)v;
    }
    return 0;
}

/* One message on the channel, as the dashboard's flow shows it. The message
 * is printed for the summary only when the event is not sampled out: at full
 * speed most are, and printing each would cost more than sending it. */
static void trace(const char *dir, const cJSON *msg, size_t bytes, uint64_t id, uint64_t lat)
{
    if (!scope_events_msg_admit())
        return;
    char *text = cJSON_PrintUnformatted(msg);
    if (!text)
        return;
    if (!bytes) /* a send, told before it happens: the line the channel will write */
        bytes = strlen(text) + 1;
    pid_t me = getpid(), peer = s.as_child ? getppid() : s.child_pid;
    int send = strcmp(dir, "send") == 0;
    scope_events_msg_emit_admitted(dir, "ipc", SCOPE_PID(send ? me : peer),
                                   SCOPE_PID(send ? peer : me), id, bytes, text, lat);
    cJSON_free(text);
}

/* A send is told before it is made: the peer, on another CPU, may answer
 * and say so before we would get round to it, and the flow would show the
 * answer above its question. */
static int send_traced(cJSON *msg, uint64_t id)
{
    trace("send", msg, 0, id, 0);
    int n = scope_channel_send(&s.ch, msg);
    if (n < 0)
        scope_events_error("send", "send failed: %s", strerror(-n));
    cJSON_Delete(msg);
    return n;
}

static double num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* ==== the child ========================================================== */

static uv_tcp_t served_server, served_conn;
static uv_write_t served_write;
static char served_line[128];

static void child_closed_conn(uv_handle_t *h)
{
    (void)h;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "served");
    cJSON_AddNumberToObject(m, "pid", getpid());
    send_traced(m, 0);
}

static void child_wrote(uv_write_t *req, int status)
{
    (void)req;
    (void)status;
    uv_close((uv_handle_t *)&served_conn, child_closed_conn);
}

static void child_on_connection(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    uv_tcp_init(server->loop, &served_conn);
    if (uv_accept(server, (uv_stream_t *)&served_conn) < 0)
        return;
    scope_events_log("accept() on the passed socket: a client connected; answering it");
    int n = snprintf(served_line, sizeof served_line,
                     "hello from child %ld, on a socket its parent passed over the channel\n",
                     (long)getpid());
    uv_buf_t b = uv_buf_init(served_line, (unsigned)n);
    uv_write(&served_write, (uv_stream_t *)&served_conn, &b, 1, child_wrote);
    uv_close((uv_handle_t *)server, NULL); /* one connection is the lesson */
}

static void child_serve(int fd)
{
    scope_events_log("recvmsg() brought fd %d with the NODE_HANDLE line (SCM_RIGHTS); "
                     "ACK sent; listening on it",
                     fd);
    uv_tcp_init(uv_default_loop(), &served_server);
    int r = uv_tcp_open(&served_server, fd);
    if (r < 0)
        close(fd); /* not the handle's yet */
    else
        r = uv_listen((uv_stream_t *)&served_server, 8, child_on_connection);
    if (r < 0) {
        scope_events_error("handle", "cannot listen on the passed fd %d: %s", fd, uv_strerror(r));
        uv_close((uv_handle_t *)&served_server, NULL);
    }
}

static void child_on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    (void)type;
    size_t len = ch->message_bytes;
    uint64_t id = (uint64_t)(num(msg, "id") > 0 ? num(msg, "id") : 0);
    trace("recv", msg, len, id, 0);

    if (fd >= 0) {
        child_serve(fd);
        return;
    }
    cJSON *reply = cJSON_CreateObject();
    const char *kind = str(msg, "type");
    if (cJSON_GetObjectItemCaseSensitive(msg, "hello")) {
        cJSON_AddTrueToObject(reply, "received");
    } else if (strcmp(kind, "ping") == 0) {
        /* The pong carries the ping back whole, so both ways are the same size. */
        cJSON_Delete(reply);
        reply = cJSON_Duplicate(msg, 1);
        cJSON_ReplaceItemInObject(reply, "type", cJSON_CreateString("pong"));
    } else if (strcmp(str(msg, "action"), "getUser") == 0) {
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
        cJSON_AddNumberToObject(reply, "id", num(msg, "id"));
        cJSON_AddStringToObject(reply, "status", "success");
        cJSON *user = cJSON_AddObjectToObject(reply, "data");
        cJSON_AddNumberToObject(user, "id", num(params, "id"));
        cJSON_AddStringToObject(user, "name", "Ada Lovelace");
        cJSON_AddStringToObject(user, "email", "ada@example.org");
    } else {
        cJSON_AddTrueToObject(reply, "received");
    }
    send_traced(reply, id);
}

static void child_on_error(scope_channel_t *ch, const scope_frame_error_t *err)
{
    (void)ch;
    scope_events_error("refused", "from the parent: %s. A node child would throw here "
                       "(SyntaxError in JSON.parse) and exit with code 1; this one goes on.",
                       err->reason);
}

static void child_on_disconnect(scope_channel_t *ch, int status)
{
    scope_events_log("read() returned 0 (EOF) on fd 3: the parent disconnected (%s); "
                     "%llu messages received, %llu sent; exiting 0",
                     status == UV_EOF ? "EOF" : uv_strerror(status),
                     (unsigned long long)ch->received, (unsigned long long)ch->sent);
    scope_demo_stop(&s.demo);
}

static void child_quit(scope_demo_t *d)
{
    scope_channel_close(&s.ch);
    scope_demo_stop(d);
}

static int run_child(void)
{
    s.demo.on_quit = child_quit;
    int r = scope_demo_start(&s.demo, uv_default_loop(), "child", 0);
    if (r < 0) {
        fprintf(stderr, "fork-ipc: cannot report events: %s\n", strerror(-r));
        return 1;
    }
    s.ch.on_message = child_on_message;
    s.ch.on_error = child_on_error;
    s.ch.on_disconnect = child_on_disconnect;
    s.ch.max_message = s.max_message;
    const char *fd = getenv("NODE_CHANNEL_FD");
    char fdname[16];
    snprintf(fdname, sizeof fdname, "%s", fd ? fd : "?");
    if ((r = scope_channel_open_env(uv_default_loop(), &s.ch)) < 0) {
        scope_events_error("channel", "no IPC channel (NODE_CHANNEL_FD): %s. Run me from a "
                           "parent that forks me, e.g. fork-ipc without --as-child.",
                           strerror(-r));
        return 1;
    }
    scope_events_log("NODE_CHANNEL_FD=%s: opened fd %s as an ipc pipe (a Unix socket that can "
                     "carry fds); unset NODE_CHANNEL_FD so my own children do not inherit it",
                     fdname, fdname);
    scope_events_proc("ready", getpid(), getppid(), "child", 0, 0);
    scope_demo_run(&s.demo);
    uv_loop_close(uv_default_loop());
    return 0;
}

/* ==== the parent ========================================================= */

static void step_socketpair(scope_demo_t *d);
static void step_fork(scope_demo_t *d);
static void step_child_fd(scope_demo_t *d);
static void step_open(scope_demo_t *d);
static void step_hello(scope_demo_t *d);
static void step_pingpong(scope_demo_t *d);
static void step_request(scope_demo_t *d);
static void step_handle(scope_demo_t *d);
static void step_disconnect(scope_demo_t *d);
static void finish(void);

static int channel_fds[2] = {-1, -1};

static void report_stats(void)
{
    scope_events_stats("ipc", &s.rtt, &s.rate, scope_time_now_ns());
}

static void on_stats_timer(uv_timer_t *t)
{
    (void)t;
    report_stats();
}

static void send_ping(scope_pacer_t *p)
{
    (void)p;
    size_t size = s.demo.size;
    if (!s.pad || s.pad_len != size) { /* made again only when the size changes */
        char *pad = realloc(s.pad, size + 1);
        if (!pad)
            return;
        s.pad = pad;
        memset(s.pad, 'x', size);
        s.pad[size] = '\0';
        s.pad_len = size;
    }
    if (!s.first_ping_ns)
        s.first_ping_ns = scope_time_now_ns();
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "ping");
    cJSON_AddNumberToObject(m, "id", (double)++s.pings_sent);
    cJSON_AddNumberToObject(m, "t", (double)scope_time_now_ns());
    cJSON_AddStringToObject(m, "pad", s.pad);
    send_traced(m, (uint64_t)s.pings_sent);
}

static void send_fault(const char *kind)
{
    if (strcmp(kind, "malformed") == 0) {
        scope_events_log("fault: writing a line that is not JSON: {not json");
        scope_channel_write_raw(&s.ch, "{not json\n", 10);
    } else if (strcmp(kind, "blank") == 0) {
        scope_events_log("fault: writing a blank line (node's parser would throw on it)");
        scope_channel_write_raw(&s.ch, "\n", 1);
    } else if (strcmp(kind, "oversize") == 0) {
        size_t n = s.max_message + 16;
        char *big = malloc(n);
        if (!big)
            return;
        memset(big, ' ', n);
        big[0] = '"';
        big[n - 2] = '"';
        big[n - 1] = '\n';
        scope_events_log("fault: writing a %zu-byte line, over the %zu-byte limit", n,
                         s.max_message);
        scope_channel_write_raw(&s.ch, big, n);
        free(big);
    } else {
        scope_events_error("fault", "unknown fault '%s' (malformed, blank or oversize)", kind);
    }
}

static void parent_on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    (void)type;
    if (fd >= 0)
        close(fd); /* the child passes nothing back in this lesson */
    size_t len = ch->message_bytes;
    const char *kind = str(msg, "type");

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "received")) && s.pings_sent == 0 &&
        s.next_request == 0) {
        trace("recv", msg, len, 0, 0);
        scope_events_log("the child answered: {\"received\":true}");
        if (s.fault[0])
            send_fault(s.fault);
        scope_demo_step(&s.demo, "ping-pong: round trips on the channel", step_pingpong);
    } else if (strcmp(kind, "pong") == 0) {
        s.last_pong_ns = scope_time_now_ns();
        uint64_t rtt = s.last_pong_ns - (uint64_t)num(msg, "t");
        scope_hist_add(&s.rtt, rtt);
        scope_rate_add(&s.rate, scope_time_now_ns(), len);
        s.pongs++;
        trace("recv", msg, len, (uint64_t)num(msg, "id"), rtt);
        if (s.pongs < s.demo.count && !s.demo.quitting) {
            scope_pacer_next(&s.pacer, send_ping);
        } else {
            uv_timer_stop(&s.stats_timer);
            report_stats();
            scope_hist_summary_t sum;
            scope_hist_summarize(&s.rtt, &sum);
            char p50[32], p99[32];
            scope_events_log("%ld round trips of %zu-byte payloads: median %s, p99 %s", s.pongs,
                             s.demo.size, scope_time_format(p50, sizeof p50, (double)sum.p50),
                             scope_time_format(p99, sizeof p99, (double)sum.p99));
            scope_demo_step(&s.demo, "request/response: getUser with correlation ids",
                            step_request);
        }
    } else if (strcmp(str(msg, "status"), "success") == 0) {
        int id = (int)num(msg, "id");
        trace("recv", msg, len, (uint64_t)id, 0);
        const cJSON *user = cJSON_GetObjectItemCaseSensitive(msg, "data");
        if (id < 1 || id > s.next_request)
            scope_events_error("correlation", "an answer with id %d matches no question", id);
        else
            scope_events_log("answer to request %d: user %d is %s", id, (int)num(user, "id"),
                             str(user, "name"));
        if (++s.answered == REQUESTS)
            scope_demo_step(&s.demo, "pass a listening socket with a message", step_handle);
    } else if (strcmp(kind, "served") == 0) {
        trace("recv", msg, len, 0, 0);
        scope_events_log("the child says it served the connection on the socket we passed");
        scope_demo_step(&s.demo, "disconnect(): the child reads EOF and exits",
                        step_disconnect);
    } else {
        trace("recv", msg, len, 0, 0);
    }
}

static void parent_on_disconnect(scope_channel_t *ch, int status)
{
    (void)ch;
    s.disconnected = 1;
    if (status == 0)
        scope_events_log("our side is closed: shutdown(fd %d, SHUT_WR), then close()",
                         channel_fds[0]);
    else
        scope_events_log("the channel is gone (%s): the child closed its end or died",
                         status == UV_EOF ? "EOF" : uv_strerror(status));
    uv_timer_stop(&s.stats_timer);
    scope_pacer_close(&s.pacer);
    if (s.child_done)
        finish();
}

static void parent_on_error(scope_channel_t *ch, const scope_frame_error_t *err)
{
    (void)ch;
    scope_events_error("refused", "from the child: %s", err->reason);
}

static void on_child_exit(scope_child_t *c, int status, int sig)
{
    s.child_done = 1;
    s.child_status = status;
    s.child_signal = sig;
    scope_events_proc("exit", c->pid, getpid(), "child", status, sig);
    if (sig)
        scope_events_log("waitpid(%ld) says the child was killed by %s", (long)c->pid,
                         sigabbrev_np(sig));
    else
        scope_events_log("waitpid(%ld): the child exited with code %d", (long)c->pid, status);
    /* A child killed mid-run leaves its channel end closed: make sure we are too. */
    if (!s.disconnected)
        scope_channel_close(&s.ch);
    else
        finish();
}

static void finish(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    scope_hist_summary_t sum;
    scope_hist_summarize(&s.rtt, &sum);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "sent", (double)s.ch.sent);
    cJSON_AddNumberToObject(o, "received", (double)s.ch.received);
    cJSON_AddNumberToObject(o, "round_trips", (double)s.pongs);
    cJSON_AddNumberToObject(o, "p50", (double)sum.p50);
    cJSON_AddNumberToObject(o, "p99", (double)sum.p99);
    cJSON_AddNumberToObject(o, "answered", s.answered);
    if (s.pongs > 0 && s.last_pong_ns > s.first_ping_ns)
        cJSON_AddNumberToObject(o, "round_trips_per_s",
                                (double)s.pongs * 1e9 / (double)(s.last_pong_ns - s.first_ping_ns));
    cJSON_AddBoolToObject(o, "complete", s.we_disconnected);
    if (s.child_signal)
        cJSON_AddStringToObject(o, "child_signal", sigabbrev_np(s.child_signal));
    else
        cJSON_AddNumberToObject(o, "child_code", s.child_status);
    char text[256], how[64], p50[32];
    int clean = !s.child_signal && s.child_status == 0 && s.we_disconnected;
    if (s.child_signal)
        snprintf(how, sizeof how, "was killed by SIG%s", sigabbrev_np(s.child_signal));
    else
        snprintf(how, sizeof how, "exited %d", s.child_status);
    snprintf(text, sizeof text, "%llu messages sent, %llu received, %ld round trips (median %s); "
             "the child %s%s",
             (unsigned long long)s.ch.sent, (unsigned long long)s.ch.received, s.pongs,
             scope_time_format(p50, sizeof p50, (double)sum.p50), how, s.we_disconnected ? "" : " before the run was over");
    s.exit_code = clean ? 0 : 1;
    scope_events_bye(o, text);
    scope_demo_stop(&s.demo);
}

static void step_socketpair(scope_demo_t *d)
{
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, channel_fds) < 0) {
        scope_events_error("socketpair", "socketpair: %s", strerror(errno));
        s.exit_code = 1;
        scope_demo_stop(d);
        return;
    }
    scope_events_log("socketpair(AF_UNIX, SOCK_STREAM) -> fd %d (ours) and fd %d (the child's)",
                     channel_fds[0], channel_fds[1]);
    scope_demo_step(d, "fork the child; it finds its end at fd 3", step_fork);
}

static void step_fork(scope_demo_t *d)
{
    /* The C child is this very program; the node child's script sits beside it. */
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        scope_events_error("spawn", "readlink /proc/self/exe: %s", strerror(errno));
        close(channel_fds[0]);
        close(channel_fds[1]);
        s.exit_code = 1;
        scope_demo_stop(d);
        return;
    }
    self[n] = '\0';
    char script[PATH_MAX + 32];
    snprintf(script, sizeof script, "%.*s/fork-ipc-child.js", (int)(strrchr(self, '/') - self),
             self);
    char maxarg[48];
    snprintf(maxarg, sizeof maxarg, "--max-message=%zu", s.max_message);
    char *c_argv[] = {self, "--as-child", maxarg, NULL};
    char *node_argv[] = {"node", script, NULL};

    scope_demo_child_events_t ev;
    scope_demo_child_events(&ev, 4);
    scope_spawn_fd_t fds[2] = {{.parent_fd = channel_fds[1], .child_fd = 3}, ev.fd};
    const char *env[5] = {"NODE_CHANNEL_FD=3", "NODE_CHANNEL_SERIALIZATION_MODE=json",
                          ev.env[0], ev.env[1], NULL};
    scope_spawn_options_t o = {
        .file = s.node_child ? "node" : self,
        .argv = s.node_child ? node_argv : c_argv,
        .setenv = env,
        .fds = fds,
        .nfds = 1 + ev.nfds,
        .death_signal = SIGTERM, /* if we die, the child hears of it */
    };
    int r = scope_spawn(d->loop, &s.child, &o, on_child_exit);
    close(channel_fds[1]); /* the child has its own copy now */
    channel_fds[1] = -1;
    if (r < 0) {
        scope_events_error("spawn", "cannot start %s: %s%s", o.file, strerror(-r),
                           s.node_child && r == -ENOENT ? " (is node installed?)" : "");
        close(channel_fds[0]);
        s.exit_code = 1;
        scope_demo_stop(d);
        return;
    }
    s.child_pid = s.child.pid;
    scope_events_log("fork() -> child %ld; in it: dup2(its end, 3), execve(%s) with "
                     "NODE_CHANNEL_FD=3 NODE_CHANNEL_SERIALIZATION_MODE=json",
                     (long)s.child_pid, s.node_child ? "node fork-ipc-child.js" : "fork-ipc --as-child");
    scope_events_chan("open", "ipc", "socketpair", SCOPE_PID(getpid()), SCOPE_PID(s.child_pid),
                      "Node's IPC channel: fd 3 in the child");
    scope_demo_step(d, "in the child, its end is fd 3 and NODE_CHANNEL_FD=3 names it",
                    step_child_fd);
}

/* What the kernel says: both ends are sockets of one pair, the child's at fd 3. */
static void step_child_fd(scope_demo_t *d)
{
    char path[64], ours[64] = "?", theirs[64] = "?";
    ssize_t n;
    snprintf(path, sizeof path, "/proc/self/fd/%d", channel_fds[0]);
    n = readlink(path, ours, sizeof ours - 1);
    ours[n > 0 ? n : 0] = '\0';
    snprintf(path, sizeof path, "/proc/%ld/fd/3", (long)s.child_pid);
    n = readlink(path, theirs, sizeof theirs - 1);
    theirs[n > 0 ? n : 0] = '\0';
    scope_events_log("readlink %s -> %s; ours, fd %d -> %s: two ends of one socketpair",
                     path, theirs, channel_fds[0], ours);
    scope_demo_step(d, "both sides open the channel as a libuv ipc pipe", step_open);
}

static void step_open(scope_demo_t *d)
{
    int r;
    s.ch.on_message = parent_on_message;
    s.ch.on_error = parent_on_error;
    s.ch.on_disconnect = parent_on_disconnect;
    s.ch.max_message = s.max_message;
    scope_events_log("uv_pipe_init(ipc=1) + uv_pipe_open(fd %d): reads use recvmsg(), so fds "
                     "that arrive with a message are not lost",
                     channel_fds[0]);
    if ((r = scope_channel_open(d->loop, &s.ch, channel_fds[0])) < 0) {
        scope_events_error("channel", "cannot open our end: %s", uv_strerror(r));
        scope_child_kill(&s.child, SIGTERM, 0);
        return;
    }
    scope_demo_step(d, "send {\"hello\":\"world\"}; the child answers {\"received\":true}",
                    step_hello);
}

static void step_hello(scope_demo_t *d)
{
    (void)d;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "hello", "world");
    scope_events_log("child.send({hello: 'world'}): one line, JSON.stringify(msg) + \"\\n\", "
                     "one write() on fd %d",
                     channel_fds[0]);
    send_traced(m, 0);
}

static void step_pingpong(scope_demo_t *d)
{
    scope_events_log("%ld pings of %zu bytes at %s; each pong carries the ping's send time back",
                     d->count, d->size, d->rate > 0 ? "the chosen rate" : "full speed");
    uv_timer_start(&s.stats_timer, on_stats_timer, 500, 500);
    if (d->count == 0) {
        scope_demo_step(d, "request/response: getUser with correlation ids", step_request);
        return;
    }
    scope_pacer_next(&s.pacer, send_ping);
}

static void step_request(scope_demo_t *d)
{
    (void)d;
    for (int i = 0; i < REQUESTS; i++) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddNumberToObject(m, "id", ++s.next_request);
        cJSON_AddStringToObject(m, "action", "getUser");
        cJSON *params = cJSON_AddObjectToObject(m, "params");
        cJSON_AddNumberToObject(params, "id", 123);
        send_traced(m, (uint64_t)s.next_request);
    }
    scope_events_log("%d getUser requests in flight; each answer names its request's id",
                     REQUESTS);
}

static void on_client_closed(uv_handle_t *h)
{
    (void)h;
}

static void on_client_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    if (nread > 0) {
        char line[160];
        snprintf(line, sizeof line, "%.*s", (int)(nread > 150 ? 150 : nread), buf->base);
        line[strcspn(line, "\n")] = '\0';
        scope_events_msg("recv", "tcp", SCOPE_PID(s.child_pid), SCOPE_PID(getpid()), 0,
                         (size_t)nread, line, 0);
        scope_events_log("as a TCP client of port %d we read: %s", s.port, line);
    }
    if (nread != 0 && !uv_is_closing((uv_handle_t *)st)) {
        if (nread < 0)
            scope_events_chan("close", "tcp", "tcp", SCOPE_PID(getpid()), SCOPE_PID(s.child_pid),
                              NULL);
        if (nread < 0)
            uv_close((uv_handle_t *)st, on_client_closed);
    }
    free(buf->base);
}

static void on_client_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    buf->base = malloc(suggested);
    buf->len = buf->base ? suggested : 0;
}

static void on_client_connected(uv_connect_t *req, int status)
{
    if (status < 0) {
        scope_events_error("connect", "connect to 127.0.0.1:%d: %s", s.port, uv_strerror(status));
        uv_close((uv_handle_t *)req->handle, on_client_closed);
        return;
    }
    scope_events_chan("open", "tcp", "tcp", SCOPE_PID(getpid()), SCOPE_PID(s.child_pid),
                      "a client of the socket the child now owns");
    uv_read_start(req->handle, on_client_alloc, on_client_read);
}

static void step_handle(scope_demo_t *d)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 8) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        scope_events_error("listen", "cannot listen on 127.0.0.1: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        step_disconnect(d);
        return;
    }
    s.port = ntohs(a.sin_port);
    scope_events_log("socket(), bind(127.0.0.1:%d), listen() -> fd %d: a server we will not "
                     "serve ourselves",
                     s.port, fd);
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "server");
    cJSON_AddNumberToObject(m, "port", s.port);
    cJSON *w = cJSON_CreateObject(); /* the line as node's wire shows it */
    cJSON_AddStringToObject(w, "cmd", "NODE_HANDLE");
    cJSON_AddStringToObject(w, "type", "net.Server");
    cJSON_AddItemReferenceToObject(w, "msg", m);
    trace("send", w, 0, 0, 0);
    cJSON_Delete(w);
    int n = scope_channel_send_handle(&s.ch, m, fd, "net.Server");
    cJSON_Delete(m);
    if (n > 0) {
        scope_events_log("sendmsg() with SCM_RIGHTS: fd %d rides with the NODE_HANDLE line, "
                         "as child.send(msg, server) does",
                         fd);
    } else {
        scope_events_error("handle", "cannot pass the socket: %s; going on to disconnect",
                           strerror(-n));
        close(fd);
        step_disconnect(d); /* nobody would answer a client now */
        return;
    }
    close(fd); /* the channel keeps its own duplicate until the child's ACK */
    uv_tcp_init(d->loop, &s.client);
    uv_ip4_addr("127.0.0.1", s.port, &a);
    uv_tcp_connect(&s.connect_req, &s.client, (struct sockaddr *)&a, on_client_connected);
}

static void step_disconnect(scope_demo_t *d)
{
    (void)d;
    s.we_disconnected = 1;
    scope_events_log("child.disconnect(): queued messages are written, then our end is shut "
                     "down and closed");
    scope_channel_disconnect(&s.ch);
}

static void parent_quit(scope_demo_t *d)
{
    /* Asked to stop mid-run: end the channel; the child reads EOF and exits,
     * and its exit ends us. If it does not, the death signal will. */
    s.we_disconnected = 1; /* asked to stop: ending early is what was wanted */
    if (s.ch.open)
        scope_channel_disconnect(&s.ch);
    else if (s.child.running)
        scope_child_kill(&s.child, SIGTERM, 0);
    else
        scope_demo_stop(d);
}

static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    if (strcmp(cmd, "fault") == 0 && s.ch.open)
        send_fault(d->fault);
}

static int run_parent(void)
{
    scope_demo_t *d = &s.demo;
    d->on_quit = parent_quit;
    d->on_control = on_control;
    d->params = cJSON_CreateObject();
    cJSON_AddStringToObject(d->params, "child", s.node_child ? "node" : "c");
    if (s.fault[0])
        cJSON_AddStringToObject(d->params, "fault", s.fault);
    int r = scope_demo_start(d, uv_default_loop(), "parent", 1);
    if (r < 0) {
        fprintf(stderr, "fork-ipc: cannot start: %s\n", strerror(-r));
        return 1;
    }
    scope_hist_reset(&s.rtt);
    scope_rate_init(&s.rate, 0);
    scope_pacer_init(d, &s.pacer);
    uv_timer_init(d->loop, &s.stats_timer);
    scope_demo_step(d, "socketpair(): the channel, before any child exists", step_socketpair);
    scope_demo_run(d);
    if (!uv_is_closing((uv_handle_t *)&s.stats_timer))
        uv_close((uv_handle_t *)&s.stats_timer, NULL);
    if (s.child.running) /* never leave it behind */
        scope_child_kill(&s.child, SIGKILL, 0);
    uv_run(d->loop, UV_RUN_NOWAIT);
    scope_spawn_shutdown(d->loop);
    uv_run(d->loop, UV_RUN_NOWAIT);
    free(s.pad);
    return s.exit_code;
}

int main(int argc, char **argv)
{
    s.demo.on_option = on_option;
    int r = scope_demo_parse(&s.demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&s.demo, r, stdout, stderr);
    return s.as_child ? run_child() : run_parent();
}
