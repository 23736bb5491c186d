/* inspect.c, step 10: 004's last lines, a node child under a debugger.
 *
 *     const child = fork('child.js', [], { execArgv: ['--inspect-brk=9229'] });
 *
 *   1. fork() as node's does it, with the execArgv before the script:
 *      node --inspect-brk=127.0.0.1:PORT patterns-node.js inspect, a
 *      socketpair's end at fd 3, its stderr on a pipe we read. Loopback
 *      only: an inspector on 0.0.0.0 lets anyone who reaches the port run
 *      code in the child. PORT is 0 (the kernel picks a free one) unless
 *      --inspect-port names one, 9229 as 004 does.
 *   2. node says "Debugger listening on ws://127.0.0.1:PORT/UUID" on its
 *      stderr: the port and the URL a debugger (chrome://inspect,
 *      `node inspect`) connects to.
 *   3. It waits for one, before the script's first line: a ping on the
 *      channel gets no pong, and SIOCOUTQ on our end shows the kernel still
 *      holding it, unread.
 *   4. Letting it go takes a debugger: a WebSocket client that speaks the
 *      DevTools protocol and sends Runtime.runIfWaitingForDebugger. This
 *      lesson has none, so it ends the child: a disconnect() would not (the
 *      child reads nothing while it waits), SIGTERM does.
 */
#include <errno.h>
#include <limits.h>
#include <linux/sockios.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "events.h"
#include "patterns.h"

#define WAIT_MS 500 /* how long the ping is left unanswered */

static struct {
    patterns_t *p;
    patterns_node_t node;
    scope_channel_t ch;
    scope_trace_t trace;
    uv_timer_t timer;
    int open, timer_open, listening, pong;
    uint64_t t0;
} i;

static void on_wait_over(uv_timer_t *t)
{
    (void)t;
    int queued = -1;
    if (i.open && ioctl(scope_channel_fd(&i.ch), SIOCOUTQ, &queued) < 0)
        queued = -1;
    if (i.listening) {
        /* On AF_UNIX, SIOCOUTQ is the memory our unread sends still hold in
         * the kernel (a buffer's worth per message, not their bytes): not 0
         * means the peer has not read them. */
        scope_events_log("%d ms, no pong: ioctl(fd %d, SIOCOUTQ) -> %d: the kernel still holds "
                         "our ping, unread. The child stopped before its script's first line",
                         WAIT_MS, scope_channel_fd(&i.ch), queued);
        scope_demo_figure(i.p->demo, "inspect.outq_bytes", cJSON_CreateNumber(queued));
        scope_demo_figure(i.p->demo, "inspect.pong", cJSON_CreateBool(i.pong));
        scope_events_log("no debugger here to send Runtime.runIfWaitingForDebugger over the "
                         "WebSocket; a disconnect() would not end a child that reads nothing: "
                         "child.kill('SIGTERM')");
    } else {
        scope_demo_check(i.p->demo, 0, "inspect", "node said no 'Debugger listening' in 10 s");
    }
    patterns_node_kill(&i.node, SIGTERM);
}

/* A line of node's stderr: the inspector's, or its failure to listen. */
static void on_line(patterns_node_t *n, const char *line, size_t len)
{
    const char *ws = memmem(line, len, "ws://", 5);
    if (!i.listening && ws && memmem(line, len, "Debugger listening", 18)) {
        char url[160];
        int port = 0;
        snprintf(url, sizeof url, "%.*s", (int)(len - (size_t)(ws - line)), ws);
        sscanf(url, "ws://127.0.0.1:%d", &port);
        i.listening = 1;
        scope_events_log("node's stderr: \"Debugger listening on %s\": port %d on 127.0.0.1, "
                         "after %.1f ms", url, port, (double)(scope_time_now_ns() - i.t0) / 1e6);
        scope_demo_figure(n->p->demo, "inspect.port", cJSON_CreateNumber(port));
        scope_demo_figure(n->p->demo, "inspect.url", cJSON_CreateString(url));
        cJSON *ping = cJSON_Parse("{\"type\":\"ping\",\"id\":1}");
        if (i.open)
            scope_channel_send(&i.ch, ping); /* traced by the channel */
        cJSON_Delete(ping);
        uv_timer_start(&i.timer, on_wait_over, WAIT_MS, 0);
    } else if (memmem(line, len, "failed", 6)) { /* the port is taken: it runs undebugged */
        scope_events_error("inspect", "node: %.*s (another --inspect-port, or 0 for a free one)",
                           (int)(len < 160 ? len : 160), line);
        patterns_node_kill(&i.node, SIGTERM);
    } else if (len) {
        scope_events_log("node's stderr: %.*s", (int)(len < 200 ? len : 200), line);
    }
}

static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    (void)type;
    if (fd >= 0)
        close(fd);
    scope_trace_recv_json(&i.trace, msg, ch->message_bytes, 0);
    i.pong = patterns_is(msg, "type", "pong"); /* only if a debugger let it run */
}

static void on_disconnect(scope_channel_t *ch, int status)
{
    (void)ch;
    (void)status;
    i.open = 0;
}

static void on_node_exit(patterns_node_t *n, int code, int sig)
{
    patterns_t *p = n->p;
    if (i.open)
        scope_channel_close(&i.ch);
    i.open = 0;
    scope_trace_close(&i.trace);
    if (i.timer_open)
        uv_close((uv_handle_t *)&i.timer, NULL);
    i.timer_open = 0;
    p->step_quit = NULL;
    char codes[16];
    snprintf(codes, sizeof codes, sig ? "null" : "%d", code); /* as node: one of the two */
    scope_events_log("child.on('exit'): code %s, signal %s%s", codes, sig ? "SIG" : "",
                     sig ? sigabbrev_np(sig) : "null");
    scope_demo_figure(p->demo, "inspect.exit_signal",
                      cJSON_CreateString(sig ? sigabbrev_np(sig) : "none"));
    if (!p->done)
        scope_demo_next(p->demo);
}

static void on_quit(scope_demo_t *d)
{
    (void)d;
    patterns_node_kill(&i.node, SIGTERM);
}

void patterns_inspect(scope_demo_t *d)
{
    patterns_t *p = d->data;
    char arg[48];
    int fd;
    i.p = p;
    i.listening = i.pong = 0;
    /* execArgv: node's own option, before the script; the host keeps it on loopback. */
    snprintf(arg, sizeof arg, "--inspect-brk=127.0.0.1:%lld", p->inspect_port);
    i.node.on_line = on_line;
    i.node.on_exit = on_node_exit;
    i.t0 = scope_time_now_ns();
    if ((fd = patterns_node_fork(p, &i.node, N_("step 10"), arg, "inspect", 2)) < 0) {
        scope_demo_next(d);
        return;
    }
    p->step_quit = on_quit;
    scope_trace_init(&i.trace, "inspect", SCOPE_PID(getpid()), SCOPE_PID(i.node.child.pid));
    scope_trace_open(&i.trace, "socketpair",
                     scope_events_tr("fork() with --inspect-brk: node's IPC channel"));
    i.ch = (scope_channel_t){.on_message = on_message, .on_disconnect = on_disconnect,
                             .trace = &i.trace};
    if (scope_channel_open(d->loop, &i.ch, fd) == 0)
        i.open = 1;
    uv_timer_init(d->loop, &i.timer);
    i.timer_open = 1;
    uv_timer_start(&i.timer, on_wait_over, 10000, 0); /* until node says it listens */
}
