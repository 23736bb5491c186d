/* fork-ipc: child_process.fork() with the lid off, the parent's side.
 *
 * What node does when a parent calls fork('child.js') and the two talk with
 * send() and on('message'), step by step:
 *
 *   1. socketpair(AF_UNIX, SOCK_STREAM) makes the channel: two connected
 *      sockets, one for each side, before any child exists.
 *   2. fork() makes the child; in it, its end is placed at fd 3 (dup2) and it
 *      execs with NODE_CHANNEL_FD=3 and NODE_CHANNEL_SERIALIZATION_MODE=json.
 *   3. The kernel shows both ends: /proc/CHILD/fd/3 and ours, one socketpair.
 *   4. Both sides open their end as a libuv ipc pipe (the child's: child.c).
 *   5. send({hello: 'world'}) is one JSON line; the child answers
 *      {received: true}.
 *   6. Ping-pong: each ping carries its send time, the pong brings it back.
 *   7. Three getUser {id: 123} requests at once; each answer names its
 *      request's id (a correlation id).
 *   8. A listening TCP socket travels with a message (SCM_RIGHTS), as
 *      child.send(msg, server) does; the child serves one connection on it.
 *   9. disconnect(): the child reads EOF and exits; waitpid() reaps it.
 *
 * The child is this program with --as-child, or node running a script. A
 * step that waits for the child's answer waits --timeout seconds at most.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "events.h"
#include "fork-ipc.h"
#include "trace.h"

enum { NOTHING, RECEIVED, PONG, USERS, SERVED }; /* what a step waits for */
static const char *const awaited[] = {"nothing", "{\"received\":true}", "a pong",
                                      "the getUser answers", "{\"type\":\"served\"}"};
#define REQUESTS 3

typedef struct {
    scope_demo_t *demo;
    const fork_ipc_options_t *o;
    fork_ipc_run_t run;
    int fds[2]; /* the socketpair: ours, the child's */
    scope_child_t child;
    scope_channel_t ch;
    scope_trace_t trace;
    scope_pacer_t pacer;
    uv_timer_t timeout; /* runs while a step waits for the child's answer */
    int awaiting, requests, child_done, disconnected;
    char *pad;
    size_t pad_len;
} parent_t;

static void step_fork(scope_demo_t *d);
static void step_child_fd(scope_demo_t *d);
static void step_open(scope_demo_t *d);
static void step_hello(scope_demo_t *d);
static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type);
static void on_refused(scope_channel_t *ch, const scope_frame_error_t *err);
static void on_disconnect(scope_channel_t *ch, int status);
static void on_child_exit(scope_child_t *c, int code, int sig);
static void post(parent_t *p, cJSON *msg, int awaiting);
static void await(parent_t *p, int what);
static void give_up(scope_demo_t *d, const char *what, int err);

static void step_socketpair(scope_demo_t *d)
{
    parent_t *p = d->data;
    /* Close-on-exec: the child gets its end at fd 3 on purpose, nothing else. */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->fds) < 0) {
        give_up(d, "socketpair", errno);
        return;
    }
    scope_events_log("socketpair(AF_UNIX, SOCK_STREAM) -> fd %d (ours) and fd %d (the child's)",
                     p->fds[0], p->fds[1]);
    scope_demo_step(d, "fork the child; it finds its end at fd 3", step_fork);
}

static void step_fork(scope_demo_t *d)
{
    parent_t *p = d->data;
    scope_demo_child_events_t ev; /* so that the child's events join ours */
    scope_demo_child_events(&ev, 4);
    scope_spawn_fd_t fds[2] = {{.parent_fd = p->fds[1], .child_fd = 3}, ev.fd};
    const char *env[] = {"NODE_CHANNEL_FD=3", "NODE_CHANNEL_SERIALIZATION_MODE=json",
                         ev.env[0], ev.env[1], NULL};
    /* fork(), then in the child dup2(fds[1], 3) and execve() with the env. */
    scope_spawn_options_t so = {.file = p->o->file, .argv = p->o->argv, .setenv = env,
                                .fds = fds, .nfds = 1 + ev.nfds,
                                .death_signal = SIGTERM}; /* if we die, it hears of it */
    p->child.data = p;
    int r = scope_spawn(d->loop, &p->child, &so, on_child_exit);
    close(p->fds[1]); /* the child has its own copy now */
    if (r < 0) {
        close(p->fds[0]);
        give_up(d, p->o->file, -r);
        return;
    }
    scope_events_log("fork() -> child %ld; in it: dup2(its end, 3), execve(%s) with "
                     "NODE_CHANNEL_FD=3 NODE_CHANNEL_SERIALIZATION_MODE=json",
                     (long)p->child.pid, p->o->label);
    scope_trace_set_peer(&p->trace, SCOPE_PID(p->child.pid));
    scope_trace_open(&p->trace, "socketpair", "Node's IPC channel: fd 3 in the child");
    scope_demo_step(d, "in the child, its end is fd 3 and NODE_CHANNEL_FD=3 names it",
                    step_child_fd);
}

/* What the kernel says: both ends are sockets of one pair, the child's at fd 3. */
static void step_child_fd(scope_demo_t *d)
{
    parent_t *p = d->data;
    char path[64], ours[64] = "?", theirs[64] = "?";
    snprintf(path, sizeof path, "/proc/self/fd/%d", p->fds[0]);
    ssize_t n = readlink(path, ours, sizeof ours - 1);
    ours[n > 0 ? n : 0] = '\0';
    snprintf(path, sizeof path, "/proc/%ld/fd/3", (long)p->child.pid);
    n = readlink(path, theirs, sizeof theirs - 1);
    theirs[n > 0 ? n : 0] = '\0';
    scope_events_log("readlink %s -> %s; ours, fd %d -> %s: two ends of one socketpair", path,
                     theirs, p->fds[0], ours);
    scope_demo_step(d, "both sides open the channel as a libuv ipc pipe", step_open);
}

static void step_open(scope_demo_t *d)
{
    parent_t *p = d->data;
    p->ch = (scope_channel_t){.data = p, .on_message = on_message, .on_error = on_refused,
                              .on_disconnect = on_disconnect, .max_message = p->o->max_message};
    /* An ipc pipe reads with recvmsg(), so an fd that rides with a message is
     * not lost; lib/channel splits what it reads into lines and parses each. */
    int r = scope_channel_open(d->loop, &p->ch, p->fds[0]);
    if (r < 0) {
        scope_events_error("channel", "cannot open our end: %s", uv_strerror(r));
        scope_child_kill(&p->child, SIGTERM, 0);
        return;
    }
    scope_events_log("uv_pipe_init(ipc=1) + uv_pipe_open(fd %d): reads use recvmsg(), so fds "
                     "that arrive with a message are not lost", p->fds[0]);
    scope_demo_step(d, "send {\"hello\":\"world\"}; the child answers {\"received\":true}",
                    step_hello);
}

static void step_hello(scope_demo_t *d)
{
    parent_t *p = d->data;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "hello", "world");
    scope_events_log("child.send({hello: 'world'}): one line, JSON.stringify(msg) + \"\\n\", "
                     "one write() on fd %d", p->fds[0]);
    post(p, m, RECEIVED);
}

static void send_ping(scope_pacer_t *pacer)
{
    parent_t *p = pacer->data;
    size_t size = p->demo->size;
    if (!p->pad || p->pad_len != size) { /* made again only when the size changes */
        char *pad = realloc(p->pad, size + 1);
        if (!pad)
            return;
        p->pad = memset(pad, 'x', size);
        p->pad[p->pad_len = size] = '\0';
    }
    if (!p->run.first_ping_ns)
        p->run.first_ping_ns = scope_time_now_ns();
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "ping");
    cJSON_AddNumberToObject(m, "id", (double)p->run.pongs + 1); /* one ping in flight at a time */
    cJSON_AddNumberToObject(m, "t", (double)scope_time_now_ns());
    cJSON_AddStringToObject(m, "pad", p->pad);
    post(p, m, PONG);
}

static void step_pingpong(scope_demo_t *d)
{
    parent_t *p = d->data;
    scope_events_log("%ld pings of %zu bytes at %s; each pong carries the ping's send time back",
                     d->count, d->size, d->rate > 0 ? "the chosen rate" : "full speed");
    scope_trace_stats_start(&p->trace, d->loop, 500);
    scope_pacer_next(&p->pacer, send_ping); /* the pongs ask for the next: see on_message */
}

static void step_request(scope_demo_t *d)
{
    parent_t *p = d->data;
    /* All three go out before any answer is in: the ids tell the answers apart. */
    for (int i = 0; i < REQUESTS; i++) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddNumberToObject(m, "id", ++p->requests);
        cJSON_AddStringToObject(m, "action", "getUser");
        cJSON_AddNumberToObject(cJSON_AddObjectToObject(m, "params"), "id", 123);
        post(p, m, USERS);
    }
    scope_events_log("%d getUser requests in flight; each answer names its request's id",
                     REQUESTS);
}

static void step_disconnect(scope_demo_t *d)
{
    parent_t *p = d->data;
    p->run.completed = 1;
    scope_events_log("child.disconnect(): queued messages are written, then our end is shut "
                     "down and closed");
    scope_channel_disconnect(&p->ch);
}

static void step_handle(scope_demo_t *d)
{
    parent_t *p = d->data;
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
    int port = ntohs(a.sin_port);
    scope_events_log("socket(), bind(127.0.0.1:%d), listen() -> fd %d: a server we will not "
                     "serve ourselves", port, fd);
    cJSON *m = cJSON_CreateObject(), *wire = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "server");
    cJSON_AddNumberToObject(m, "port", port);
    cJSON_AddStringToObject(wire, "cmd", "NODE_HANDLE"); /* the line as node's wire shows it */
    cJSON_AddStringToObject(wire, "type", "net.Server");
    cJSON_AddItemReferenceToObject(wire, "msg", m);
    scope_trace_send_json(&p->trace, wire, 0);
    cJSON_Delete(wire);
    /* sendmsg() with SCM_RIGHTS: the fd rides with the NODE_HANDLE line. */
    int n = scope_channel_send_handle(&p->ch, m, fd, "net.Server");
    cJSON_Delete(m);
    close(fd); /* the channel keeps its own duplicate until the child's ACK */
    if (n < 0) {
        scope_events_error("handle", "cannot pass the socket: %s; going on to disconnect",
                           strerror(-n));
        step_disconnect(d); /* nobody would answer a client now */
        return;
    }
    scope_events_log("sendmsg() with SCM_RIGHTS: fd %d rides with the NODE_HANDLE line, "
                     "as child.send(msg, server) does", fd);
    await(p, SERVED);
    p->o->visit(d->loop, port, (long)p->child.pid);
}

/* ---- what comes back --------------------------------------------------- */

static double num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static int is(const cJSON *o, const char *name, const char *value)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? strcmp(v->valuestring, value) == 0 : cJSON_IsTrue(v) && !value;
}

static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    parent_t *p = ch->data;
    scope_demo_t *d = p->demo;
    (void)type;
    if (fd >= 0)
        close(fd); /* the child passes nothing back in this lesson */
    int was = p->awaiting, pong = was == PONG && is(msg, "type", "pong");
    uint64_t now = scope_time_now_ns();
    scope_trace_recv_json(&p->trace, msg, ch->message_bytes, pong ? now - (uint64_t)num(msg, "t") : 0);
    p->awaiting = NOTHING;
    if (pong) {
        p->run.last_pong_ns = now;
        if (++p->run.pongs < d->count && !d->quitting) {
            scope_pacer_next(&p->pacer, send_ping);
            return;
        }
        scope_trace_stats_stop(&p->trace);
        scope_demo_step(d, "request/response: getUser with correlation ids", step_request);
    } else if (was == RECEIVED && is(msg, "received", NULL)) {
        scope_events_log("the child answered: {\"received\":true}");
        if (p->o->fault[0])
            p->o->send_fault(ch, p->o->fault, p->o->max_message);
        scope_demo_step(d, "ping-pong: round trips on the channel", step_pingpong);
    } else if (was == USERS && is(msg, "status", "success")) {
        /* The id, not the order, says which question this answers. */
        int id = (int)num(msg, "id");
        if (id < 1 || id > p->requests)
            scope_events_error("correlation", "an answer with id %d matches no question", id);
        else
            scope_events_log("answer to request %d: user %d", id,
                             (int)num(cJSON_GetObjectItemCaseSensitive(msg, "data"), "id"));
        if (++p->run.answered < REQUESTS)
            p->awaiting = USERS;
        else
            scope_demo_step(d, "pass a listening socket with a message", step_handle);
    } else if (was == SERVED && is(msg, "type", "served")) {
        scope_events_log("the child says it served the connection on the socket we passed");
        scope_demo_step(d, "disconnect(): the child reads EOF and exits", step_disconnect);
    } else {
        /* Either side may speak at any time: a message is not an answer. */
        char *text = cJSON_PrintUnformatted(msg);
        scope_events_log("the child says %.200s; this step waits for %s", text, awaited[was]);
        cJSON_free(text);
        p->awaiting = was;
    }
    if (p->awaiting == NOTHING)
        uv_timer_stop(&p->timeout);
}

/* A step waits for the child's answer --timeout seconds at most: a child that
 * answers something else, or nothing, ends the run with the reason. */
static void on_timeout(uv_timer_t *t)
{
    parent_t *p = t->data;
    scope_events_error("timeout", "no %s from %s in %g s: a child must answer what this demo "
                       "sends, as fork-ipc-child.js does; disconnecting", awaited[p->awaiting],
                       p->o->label, p->o->timeout_s);
    scope_demo_exit(p->demo, 1);
    scope_channel_disconnect(&p->ch);
    scope_child_kill(&p->child, SIGTERM, 0);
}

/* One message out, traced before it is written: the child, on another CPU,
 * may answer and say so before we would get round to it. */
static void post(parent_t *p, cJSON *msg, int awaiting)
{
    scope_trace_send_json(&p->trace, msg, 0);
    int n = scope_channel_send(&p->ch, msg);
    cJSON_Delete(msg);
    if (n < 0)
        scope_events_error("send", "send failed: %s", strerror(-n));
    await(p, awaiting);
}

static void await(parent_t *p, int what)
{
    p->awaiting = what;
    if (p->o->timeout_s > 0)
        uv_timer_start(&p->timeout, on_timeout, (uint64_t)(p->o->timeout_s * 1e3), 0);
}

/* ---- the end ------------------------------------------------------------ */

/* The channel is gone: we disconnected, or the child closed its end or died.
 * The run is over when both the channel and the child are. */
static void on_disconnect(scope_channel_t *ch, int status)
{
    parent_t *p = ch->data;
    p->disconnected = 1;
    if (status == 0)
        scope_events_log("our side is closed: shutdown(fd %d, SHUT_WR), then close()", p->fds[0]);
    else
        scope_events_log("the channel is gone (%s): the child closed its end or died",
                         status == UV_EOF ? "EOF" : uv_strerror(status));
    uv_timer_stop(&p->timeout);
    scope_pacer_close(&p->pacer);
    scope_trace_close(&p->trace);
    if (p->child_done)
        scope_demo_stop(p->demo);
}

static void on_child_exit(scope_child_t *c, int code, int sig)
{
    parent_t *p = c->data;
    p->child_done = 1;
    p->run.child_code = code;
    p->run.child_signal = sig;
    scope_events_proc("exit", c->pid, getpid(), "child", code, sig);
    if (sig)
        scope_events_log("waitpid(%ld): the child was killed by SIG%s", (long)c->pid,
                         sigabbrev_np(sig));
    else
        scope_events_log("waitpid(%ld): the child exited with code %d", (long)c->pid, code);
    if (!p->disconnected) /* a child that died left its end closed: close ours */
        scope_channel_close(&p->ch);
    else
        scope_demo_stop(p->demo);
}

static void on_refused(scope_channel_t *ch, const scope_frame_error_t *err)
{
    (void)ch;
    scope_events_error("refused", "from the child: %s", err->reason);
}

static void give_up(scope_demo_t *d, const char *what, int err)
{
    scope_events_error("spawn", "%s: %s", what, strerror(err));
    scope_demo_exit(d, 1);
    scope_demo_stop(d);
}

/* Asked to stop mid-run: end the channel; the child reads EOF and exits, and
 * its exit ends us. If it does not, the death signal will. */
static void on_quit(scope_demo_t *d)
{
    parent_t *p = d->data;
    p->run.completed = 1; /* ending early is what was asked for */
    if (p->ch.open)
        scope_channel_disconnect(&p->ch);
    else if (scope_child_kill(&p->child, SIGTERM, 0) < 0)
        scope_demo_stop(d);
}

static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    parent_t *p = d->data;
    (void)msg;
    if (strcmp(cmd, "fault") == 0 && p->ch.open)
        p->o->send_fault(&p->ch, d->fault, p->o->max_message);
}

int fork_ipc_parent(scope_demo_t *d, const fork_ipc_options_t *o, fork_ipc_run_t *run)
{
    parent_t p = {.demo = d, .o = o};
    d->data = &p;
    d->on_quit = on_quit;
    d->on_control = on_control;
    if (scope_demo_start(d, uv_default_loop(), "parent", 1) < 0)
        return 1;
    scope_trace_init(&p.trace, "ipc", SCOPE_PID(getpid()), SCOPE_PEER("child"));
    scope_pacer_init(d, &p.pacer);
    p.pacer.data = p.timeout.data = &p;
    uv_timer_init(d->loop, &p.timeout);
    scope_demo_step(d, "socketpair(): the channel, before any child exists", step_socketpair);
    int code = scope_demo_run(d);
    uv_close((uv_handle_t *)&p.timeout, NULL);
    if (p.child.running) /* never leave it behind */
        scope_child_kill(&p.child, SIGKILL, 0);
    uv_run(d->loop, UV_RUN_NOWAIT);
    scope_spawn_shutdown(d->loop);
    uv_run(d->loop, UV_RUN_NOWAIT);
    free(p.pad);
    *run = p.run;
    run->sent = p.ch.sent;
    run->received = p.ch.received;
    run->latency = p.trace.latency;
    return code;
}
