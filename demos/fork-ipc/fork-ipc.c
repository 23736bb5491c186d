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
 *   5. send({hello: 'world'}): one JSON line; the child answers {received: true}.
 *   6. Ping-pong: one ping in flight, timed until its pong (pingpong.c).
 *   7. Three getUser requests at once, told apart by their ids (request.c).
 *   8. A listening socket travels with a message, SCM_RIGHTS (handle.c).
 *   9. disconnect(): the child reads EOF and exits; waitpid() reaps it.
 *
 * The child is this program with --as-child, or node.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "events.h"
#include "fork-ipc.h"

static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type);
static void on_disconnect(scope_channel_t *ch, int status);
static void on_child_exit(scope_child_t *c, int code, int sig);

static void on_refused(scope_channel_t *ch, const scope_frame_error_t *err)
{
    (void)ch;
    scope_events_error("refused", "from the child: %s", err->reason);
}

void fork_ipc_socketpair(scope_demo_t *d)
{
    fork_ipc_t *p = d->data;
    scope_trace_init(&p->trace, "ipc", SCOPE_PID(getpid()), SCOPE_PEER("child"));
    /* Close-on-exec: the child gets its end at fd 3 on purpose, nothing else. */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->fds) < 0) {
        scope_demo_check(d, 0, "spawn", "socketpair: %s", strerror(errno));
        scope_demo_stop(d);
        return;
    }
    scope_events_log("socketpair(AF_UNIX, SOCK_STREAM) -> fd %d (ours) and fd %d (the child's)",
                     p->fds[0], p->fds[1]);
    scope_demo_next(d);
}

void fork_ipc_fork(scope_demo_t *d)
{
    fork_ipc_t *p = d->data;
    scope_demo_child_events_t ev; /* so that the child's events join ours */
    scope_demo_child_events(&ev, 4);
    scope_spawn_fd_t fds[2] = {{.parent_fd = p->fds[1], .child_fd = 3}, ev.fd};
    const char *env[] = {"NODE_CHANNEL_FD=3", "NODE_CHANNEL_SERIALIZATION_MODE=json",
                         ev.env[0], ev.env[1], NULL};
    /* fork(), then in the child dup2(fds[1], 3), execve() with the env; if we die, SIGTERM. */
    scope_spawn_options_t so = {.file = p->argv[0], .argv = p->argv, .setenv = env,
                                .fds = fds, .nfds = 1 + ev.nfds, .death_signal = SIGTERM};
    p->child.data = p;
    int r = scope_spawn(d->loop, &p->child, &so, on_child_exit);
    close(p->fds[1]); /* the child has its own copy now */
    if (r < 0) {
        close(p->fds[0]);
        scope_demo_check(d, 0, "spawn", "%s: %s", p->argv[0], strerror(-r));
        scope_demo_stop(d);
        return;
    }
    scope_events_log("fork() -> child %ld; in it: dup2(its end, 3), execve(%s %s) with "
                     "NODE_CHANNEL_FD=3", (long)p->child.pid, p->argv[0], p->argv[1]);
    scope_trace_set_peer(&p->trace, SCOPE_PID(p->child.pid));
    scope_trace_open(&p->trace, "socketpair", "Node's IPC channel: fd 3 in the child");
    scope_demo_next(d);
}

/* What the kernel says: both ends are sockets of one pair, the child's at fd 3. */
void fork_ipc_child_fd(scope_demo_t *d)
{
    fork_ipc_t *p = d->data;
    char path[64], ours[64] = "?", theirs[64] = "?";
    snprintf(path, sizeof path, "/proc/self/fd/%d", p->fds[0]);
    ssize_t n = readlink(path, ours, sizeof ours - 1);
    ours[n > 0 ? n : 0] = '\0';
    snprintf(path, sizeof path, "/proc/%ld/fd/3", (long)p->child.pid);
    n = readlink(path, theirs, sizeof theirs - 1);
    theirs[n > 0 ? n : 0] = '\0';
    scope_events_log("readlink %s -> %s; ours, fd %d -> %s: two ends of one socketpair", path,
                     theirs, p->fds[0], ours);
    scope_demo_next(d);
}

void fork_ipc_open(scope_demo_t *d)
{
    fork_ipc_t *p = d->data;
    /* lib/channel cuts what the ipc pipe reads into lines, parses each, traces sends. */
    p->ch = (scope_channel_t){.data = p, .on_message = on_message, .on_error = on_refused,
                              .on_disconnect = on_disconnect, .trace = &p->trace,
                              .max_message = (size_t)p->max_message};
    int r = scope_channel_open(d->loop, &p->ch, p->fds[0]);
    if (r < 0) {
        scope_events_error("channel", "cannot open our end: %s", uv_strerror(r));
        scope_child_kill(&p->child, SIGTERM, 0);
        return;
    }
    p->open = 1;
    uv_timer_init(d->loop, &p->timer);
    scope_events_log("uv_pipe_init(ipc=1) + uv_pipe_open(fd %d): reads use recvmsg()", p->fds[0]);
    scope_demo_next(d);
}

/* Every message of the steps: one line, and the start of a round trip. */
int fork_ipc_send(fork_ipc_t *p, cJSON *msg)
{
    p->sent_ns = scope_time_now_ns();
    int n = scope_channel_send(&p->ch, msg); /* traced by the channel: ch->trace */
    cJSON_Delete(msg);
    if (n < 0 && n != -EPIPE) /* EPIPE: the channel is gone, and the run with it */
        scope_events_error("send", "send failed: %s", strerror(-n));
    return n;
}

static void on_timeout(uv_timer_t *t)
{
    fork_ipc_t *p = scope_container_of(t, fork_ipc_t, timer);
    scope_demo_check(p->demo, 0, "timeout", "no %s from %s %s in %lld s (it must answer as "
                     "fork-ipc-child.js does): disconnecting", scope_events_tr(p->awaited),
                     p->argv[0], p->argv[1], p->timeout_s);
    scope_channel_disconnect(&p->ch);
    scope_child_kill(&p->child, SIGTERM, 0);
}

/* Either side may speak at any time: the step names the answer it waits for.
 * A child that answers something else, or nothing (an article's child.js),
 * ends the run after --timeout seconds with the reason, not a silent hang. */
void fork_ipc_await(fork_ipc_t *p, const char *what, fork_ipc_answer_cb is_answer)
{
    p->awaited = what;
    p->is_answer = is_answer;
    if (p->open && what && p->timeout_s > 0)
        uv_timer_start(&p->timer, on_timeout, (uint64_t)p->timeout_s * 1000, 0);
    else if (p->open)
        uv_timer_stop(&p->timer);
}

static int on_received(fork_ipc_t *p, const cJSON *msg)
{
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "received")))
        return FORK_IPC_NOT_IT;
    scope_events_log("the child answered: {\"received\":true}");
    if (p->fault)
        fork_ipc_fault(&p->ch, p->fault);
    return FORK_IPC_DONE;
}

void fork_ipc_hello(scope_demo_t *d)
{
    fork_ipc_t *p = d->data;
    scope_events_log("child.send({hello: 'world'}): JSON.stringify + \"\\n\", one write() on fd %d",
                     p->fds[0]);
    fork_ipc_send(p, cJSON_Parse("{\"hello\":\"world\"}"));
    fork_ipc_await(p, "{\"received\":true}", on_received);
}

/* Step 9, and what a quit asks mid-run: disconnect(); the child reads EOF and
 * exits, and its exit ends us. With no channel open, SIGTERM ends the child. */
void fork_ipc_disconnect(scope_demo_t *d)
{
    fork_ipc_t *p = d->data;
    p->completed = 1; /* ending early, when asked to, completes the run */
    if (!p->open) {
        if (scope_child_kill(&p->child, SIGTERM, 0) < 0)
            scope_demo_stop(d);
        return;
    }
    scope_events_log("child.disconnect(): what is queued goes out, then shutdown() and close()");
    scope_channel_disconnect(&p->ch);
}

/* Every message from the child: traced, then given to the step that waits.
 * A pong answers the one ping in flight, our last message: its round trip. */
static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    fork_ipc_t *p = ch->data;
    (void)type;
    if (fd >= 0)
        close(fd); /* the child passes nothing back in this lesson */
    uint64_t rtt = fork_ipc_is(msg, "type", "pong") ? scope_time_now_ns() - p->sent_ns : 0;
    scope_trace_recv_json(&p->trace, msg, ch->message_bytes, rtt);
    int answer = p->is_answer ? p->is_answer(p, msg) : FORK_IPC_NOT_IT;
    if (answer == FORK_IPC_DONE) {
        fork_ipc_await(p, NULL, NULL);
        scope_demo_next(p->demo);
    }
    if (answer != FORK_IPC_NOT_IT)
        return;
    char *text = cJSON_PrintUnformatted(msg);
    scope_events_log("the child says %.200s; this step waits for %s", text,
                     p->awaited ? scope_events_tr(p->awaited) : scope_events_tr("nothing"));
    cJSON_free(text);
}

static void on_no_exit(uv_timer_t *t)
{
    fork_ipc_t *p = scope_container_of(t, fork_ipc_t, timer);
    scope_demo_check(p->demo, 0, "exit", "the child did not exit within 5 s: SIGKILL");
    scope_child_kill(&p->child, SIGKILL, 0);
}

/* The channel is gone: we disconnected, or the child closed its end or died.
 * The run is over when both the channel and the child are. */
static void on_disconnect(scope_channel_t *ch, int status)
{
    fork_ipc_t *p = ch->data;
    p->open = 0;
    if (status == 0)
        scope_events_log("our side is closed: shutdown(fd %d, SHUT_WR), then close()", p->fds[0]);
    else
        scope_events_log("the channel is gone (%s): the child closed its end or died",
                         status == UV_EOF ? "EOF" : uv_strerror(status));
    if (p->child.running) /* killed if it does not end soon: stopped, or deaf to EOF */
        uv_timer_start(&p->timer, on_no_exit, 5000, 0);
    else if (!uv_is_closing((uv_handle_t *)&p->timer))
        uv_close((uv_handle_t *)&p->timer, NULL);
    scope_trace_close(&p->trace);
}

static void on_child_exit(scope_child_t *c, int code, int sig)
{
    fork_ipc_t *p = c->data;
    if (!p->open && !uv_is_closing((uv_handle_t *)&p->timer))
        uv_close((uv_handle_t *)&p->timer, NULL);
    scope_events_proc("exit", c->pid, getpid(), "child", code, sig); /* told as waitpid's */
    if (sig)
        snprintf(p->how, sizeof p->how, scope_events_tr("was killed by SIG%s"), sigabbrev_np(sig));
    else
        snprintf(p->how, sizeof p->how, scope_events_tr("exited %d"), code);
    scope_demo_figure(p->demo, sig ? "child_signal" : "child_code",
                      sig ? cJSON_CreateString(sigabbrev_np(sig)) : cJSON_CreateNumber(code));
    scope_demo_figure(p->demo, "complete", cJSON_CreateBool(p->completed));
    if (code || sig)
        scope_demo_exit(p->demo, 1);
    if (p->open) /* a child that died left its end closed: close ours */
        scope_channel_close(&p->ch);
    scope_demo_stop(p->demo);
}
