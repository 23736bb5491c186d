/* patterns: the practices of article 004, measured over the fork channel.
 *
 * Article 004 ends with advice for child.send() and process.on('message'):
 * batch small messages, serialize cheaply, validate what comes, limit its
 * size, watch for errors and hangs, measure round trips. Each is a step,
 * with the article's own message shapes, on one channel:
 *
 *   1. fork(): socketpair(AF_UNIX, SOCK_STREAM), the child's end at its
 *      fd 3, NODE_CHANNEL_FD=3; both ends open it as a libuv ipc pipe.
 *   2. Batching: 1,000 {index: i} against one {type:'batch', data:[...]}
 *      (batching.c).
 *   3. Structured messages: the config message, getUser requests matched
 *      by correlation id, each with a timeout (requests.c).
 *   4. Validation: what is not an object or has no type is dropped, and
 *      each type's fields are checked (validate.c).
 *   5. Size limits: 004's MAX_MESSAGE_SIZE after the parse against a bound
 *      the framing keeps before buffering (sizes.c).
 *   6. Serialization: JSON against MessagePack (serialize.c).
 *   7. 'error', 'exit' and 004's watchdog against a hanging child (errors.c).
 *   8. What JSON loses: a Date, a Map, undefined, a BigInt from a real
 *      node's process.send(), read off the socket here (lose.c).
 *   9. Node to node: serialization 'json' against 'advanced' (advanced.c).
 *  10. --inspect-brk: a node child that waits for a debugger (inspect.c).
 *      Steps 8 to 10 run node (node.c); without it they say so and pass.
 *  11. Round trips: one process.hrtime() sample against a histogram (monitor.c).
 *  12. disconnect(): the child reads EOF and exits; waitpid() reaps it.
 *
 * The child is this program again (--role child, child.c).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "events.h"
#include "patterns.h"

static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type);
static void on_refused(scope_channel_t *ch, const scope_frame_error_t *err);
static void on_disconnect(scope_channel_t *ch, int status);
static void on_kid_exit(scope_role_t *r, int code, int sig);

/* fork('child.js'): the channel first, then the child that gets its end. */
int patterns_fork(patterns_t *p, size_t max_message)
{
    if (p->nkids == PATTERNS_KIDS)
        return -EAGAIN;
    patterns_kid_t *k = &p->kids[p->nkids++];
    k->p = p;
    /* Close-on-exec: the child gets its end at fd 3 on purpose, nothing else. */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, k->fds) < 0)
        return -errno;
    scope_spawn_fd_t fds[] = {{.parent_fd = k->fds[1], .child_fd = 3}};
    const char *env[] = {"NODE_CHANNEL_FD=3", "NODE_CHANNEL_SERIALIZATION_MODE=json", NULL};
    scope_role_options_t o = {.fds = fds, .nfds = 1, .setenv = env};
    k->role.data = k;
    k->role.on_exit = on_kid_exit;
    int r = scope_role_spawn(p->demo, &k->role, "child", &o);
    close(k->fds[1]); /* the child has its own copy now */
    if (r < 0) {
        close(k->fds[0]);
        return r;
    }
    /* lib/channel cuts what the ipc pipe reads into lines and parses each. */
    k->ch = (scope_channel_t){.data = k, .on_message = on_message, .on_error = on_refused,
                              .on_disconnect = on_disconnect, .trace = &p->trace,
                              .max_message = max_message};
    if ((r = scope_channel_open(p->demo->loop, &k->ch, k->fds[0])) < 0) {
        scope_role_kill(&k->role, SIGKILL);
        return r;
    }
    k->open = 1;
    p->kid = k;
    scope_trace_close(&p->trace); /* the last child's channel, if any */
    scope_trace_set_peer(&p->trace, SCOPE_PID(k->role.pid));
    scope_trace_open(&p->trace, "socketpair",
                     scope_events_tr("fork(): node's IPC channel, fd 3 in the child"));
    scope_events_log("socketpair() -> fd %d (ours), fd %d (the child's); fork() -> child %ld, "
                     "its end dup2()ed to fd 3, NODE_CHANNEL_FD=3", k->fds[0], k->fds[1],
                     (long)k->role.pid);
    return 0;
}

void patterns_init(patterns_t *p, scope_demo_t *d)
{
    p->demo = d;
    d->data = p;
    scope_trace_init(&p->trace, "ipc", SCOPE_PID(getpid()), SCOPE_PEER("child"));
    uv_timer_init(d->loop, &p->timer);
}

static int on_first_pong(patterns_t *p, const cJSON *msg)
{
    (void)p;
    if (!patterns_is(msg, "type", "pong"))
        return PATTERNS_NOT_IT;
    scope_events_log("the first pong: the child is up and its end is open; the steps begin");
    return PATTERNS_DONE;
}

/* Step 1: the fork, and one ping answered, so that no step's figures count
 * the child's start (its exec, its loop) as the channel's time. */
void patterns_fork_step(scope_demo_t *d)
{
    patterns_t *p = d->data;
    int r = patterns_fork(p, 0);
    if (r < 0) {
        scope_demo_check(d, 0, "fork", "cannot fork the child: %s", strerror(-r));
        patterns_end(d);
        return;
    }
    patterns_send(p, cJSON_Parse("{\"type\":\"ping\",\"id\":0}"));
    patterns_await(p, on_first_pong, 10000);
}

/* child.send(msg): JSON.stringify(msg) + "\n", one write on our end. */
int patterns_send(patterns_t *p, cJSON *msg)
{
    int n = p->kid && p->kid->open ? scope_channel_send(&p->kid->ch, msg) : -EPIPE;
    cJSON_Delete(msg);
    p->sent_ns = scope_time_now_ns();
    if (n < 0 && n != -EPIPE)
        scope_events_error("send", "child.send(): %s", strerror(-n));
    return n;
}

static void on_timeout(uv_timer_t *t)
{
    patterns_t *p = scope_container_of(t, patterns_t, timer);
    scope_demo_check(p->demo, 0, "timeout", "no answer from the child in time: ending the run");
    p->on_answer = NULL;
    patterns_end(p->demo);
}

/* The step names the answer it waits for; no answer in ms ends the run
 * with the reason, never a silent hang. */
void patterns_await(patterns_t *p, patterns_answer_cb is_answer, uint64_t ms)
{
    p->on_answer = is_answer;
    if (is_answer && ms)
        uv_timer_start(&p->timer, on_timeout, ms, 0);
    else
        uv_timer_stop(&p->timer);
}

/* child.on('message'): traced (a pong with its round trip), then given to
 * the step that waits. */
static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    patterns_kid_t *k = ch->data;
    patterns_t *p = k->p;
    (void)type;
    if (fd >= 0)
        close(fd); /* no handle travels in this lesson */
    /* A pong answers the one ping in flight; step 1's (id 0) times the child's start, not the channel. */
    int pong = patterns_is(msg, "type", "pong") && patterns_num(msg, "id") > 0;
    uint64_t rtt = pong ? scope_time_now_ns() - p->sent_ns : 0;
    scope_trace_recv_json(&p->trace, msg, ch->message_bytes, rtt);
    if (p->debug_ipc) { /* const debug = require('debug')('ipc'): every message */
        char *text = cJSON_PrintUnformatted(msg);
        scope_events_log("ipc Received message %.160s", text);
        cJSON_free(text);
    }
    int answer = p->on_answer ? p->on_answer(p, msg) : PATTERNS_NOT_IT;
    if (answer == PATTERNS_DONE) {
        patterns_await(p, NULL, 0);
        scope_demo_next(p->demo);
    }
}

static void on_refused(scope_channel_t *ch, const scope_frame_error_t *err)
{
    (void)ch;
    scope_events_error("refused", "from the child: %s", err->reason);
}

static void on_disconnect(scope_channel_t *ch, int status)
{
    patterns_kid_t *k = ch->data;
    k->open = 0;
    if (status && status != UV_EOF)
        scope_events_error("channel", "the channel failed: %s", uv_strerror(status));
    scope_trace_close(&k->p->trace);
}

/* child.on('exit', (code, signal)): after a kill a step asked for, that
 * step goes on; otherwise the run is over. */
static void on_kid_exit(scope_role_t *r, int code, int sig)
{
    patterns_kid_t *k = r->data;
    patterns_t *p = k->p;
    if (k->open)
        scope_channel_close(&k->ch); /* a child that died left its end closed */
    k->open = 0;
    if (p->kid == k)
        p->kid = NULL;
    patterns_exit_cb cb = p->on_exit;
    p->on_exit = NULL;
    if (cb) {
        cb(p, code, sig);
        return;
    }
    if (!p->done && !p->demo->quitting)
        scope_demo_check(p->demo, 0, "exit", "the child %s before the lesson was over",
                         sig ? scope_events_tr("was killed") : scope_events_tr("exited"));
    else if (code || sig)
        scope_demo_exit(p->demo, 1);
    patterns_end(p->demo);
}

/* Step 12, and what a quit asks: child.disconnect(); the child reads EOF
 * and exits, and with its exit the loop ends. */
void patterns_end(scope_demo_t *d)
{
    patterns_t *p = d->data;
    p->done = 1;
    patterns_await(p, NULL, 0);
    if (p->step_quit) { /* a step's node process goes first */
        scope_demo_cb quit = p->step_quit;
        p->step_quit = NULL;
        quit(d);
    }
    if (p->kid && p->kid->open) {
        scope_events_log("child.disconnect(): shutdown(fd %d, SHUT_WR); the child reads EOF",
                         p->kid->fds[0]);
        scope_channel_disconnect(&p->kid->ch);
        return;
    }
    if (scope_role_running(d))
        return; /* its exit comes back here */
    if (!uv_is_closing((uv_handle_t *)&p->timer))
        uv_close((uv_handle_t *)&p->timer, NULL);
    scope_trace_stats_stop(&p->trace);
    scope_demo_stop(d);
}
