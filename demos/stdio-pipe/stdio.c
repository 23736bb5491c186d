/* stdio.c: spawn(cmd, {stdio: ['pipe', 'pipe', 'pipe', 'ipc']}) as the last
 * article does: three pipes and a socketpair at the child's fd 3 for the IPC
 * channel (NODE_CHANNEL_FD=3). Bytes go into its stdin while a message goes on
 * the channel; the child, this program again or node, answers on all four. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channel.h"
#include "procnet.h"
#include "stdio-pipe.h"

#define CHUNK (16 * 1024)
#define TOTAL (256 * 1024)

static struct {
    stdio_child_t child;
    scope_channel_t ch;
    scope_trace_t ipc;
    int ch_open, got_received;
    long long done_bytes;
} st;

/* Large data the careful way (child_pump): write while the queue is under
 * the highWaterMark, then wait for a write to complete ('drain'). */
static void pump(stdio_child_t *c)
{
    static const char chunk[CHUNK];
    if (child_pump(c, chunk, CHUNK, TOTAL))
        scope_events_log("child.stdin.end() after %d writes of %d bytes", TOTAL / CHUNK, CHUNK);
}

static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    (void)type;
    if (fd >= 0)
        close(fd);
    scope_trace_recv_json(&st.ipc, msg, ch->message_bytes, 0);
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(msg, "bytes");
    st.got_received |= cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "received"));
    if (cJSON_IsNumber(b))
        st.done_bytes = (long long)b->valuedouble;
}

static void maybe_done(void)
{
    stdio_child_t *c = &st.child;
    unsigned long long sent = c->written;
    if (st.ch_open || !c->closed)
        return;
    if (!child_cut(c, 0) &&
        scope_demo_check(c->demo, !c->code && st.got_received && st.done_bytes == (long long)sent &&
                         c->out.bytes_received && c->err.bytes_received, "check", "stdio: code %d, "
                         "received %d, done %lld of %llu", c->code, st.got_received,
                         st.done_bytes, sent))
        scope_events_log("the child exited 0: three pipes carried bytes, fd 3 messages; all %llu "
                         "bytes arrived", sent);
    scope_demo_next(c->demo);
}

static void on_channel_closed(scope_channel_t *ch)
{
    (void)ch;
    st.ch_open = 0;
    scope_trace_close(&st.ipc);
    maybe_done();
}

static void on_close(stdio_child_t *c)
{
    (void)c;
    if (st.ch_open)
        scope_channel_close(&st.ch);
    maybe_done();
}

void stdio_array(scope_demo_t *d)
{
    int node = strcmp(((const stdio_opts_t *)d->data)->child, "node") == 0, sv[2], r;
    st.done_bytes = -1;
    if (!scope_demo_check(d, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "check",
                          "socketpair: %s", strerror(errno))) {
        scope_demo_next(d);
        return;
    }
    char script[PATH_MAX] = "stdio-pipe-child.js";
    scope_spawn_beside("stdio-pipe-child.js", script, sizeof script);
    char *node_argv[] = {"node", script, NULL}, *own_argv[] = {"--as-child", "stdio", NULL};
    const char *env[] = {"NODE_CHANNEL_FD=3", "NODE_CHANNEL_SERIALIZATION_MODE=json", NULL};
    stdio_child_t *c = &st.child;
    *c = (stdio_child_t){.name = node ? "node child" : "stdio child", .fd3 = sv[1], .env = env,
                         .file = node ? "node" : NULL, .argv = node ? node_argv : own_argv,
                         .on_data = child_data, .on_written = pump, .on_close = on_close};
    scope_events_log("spawn(%s, {stdio: ['pipe', 'pipe', 'pipe', 'ipc']}): a socketpair for 'ipc'",
                     node ? "'node', ['stdio-pipe-child.js']" : "'stdio-pipe'");
    r = child_spawn(c, d);
    if (!scope_demo_check(d, r == 0, "check", "cannot start the %s: %s", c->name, strerror(-r))) {
        close(sv[0]);
        scope_demo_next(d);
        return;
    }
    char fds[256];
    scope_procnet_fd_targets(c->pid, 3, fds, sizeof fds);
    scope_events_log("readlink /proc/%d/fd/N: %s", c->pid, fds);
    st.ch.on_message = on_message;
    st.ch.on_close = on_channel_closed;
    r = scope_channel_open(d->loop, &st.ch, sv[0]);
    if (!scope_demo_check(d, r == 0, "check", "cannot open the channel: %s", strerror(-r))) {
        close(sv[0]);
        child_end(c);
        return;
    }
    st.ch_open = 1;
    scope_trace_init(&st.ipc, "ipc", SCOPE_PID(getpid()), SCOPE_PID(c->pid));
    scope_trace_open(&st.ipc, "socketpair", "the 'ipc' entry: fd 3 in the child");
    cJSON *m = cJSON_Parse("{\"hello\": \"world\"}");
    scope_trace_send_json(&st.ipc, m, 0);
    scope_channel_send(&st.ch, m);
    cJSON_Delete(m);
    scope_events_log("child.send({hello: 'world'}) on fd %d while %d KiB stream into fd %d", sv[0],
                     TOTAL / 1024, c->fd[0]);
    pump(c);
}

/* ---- the child (--as-child stdio), as stdio-pipe-child.js is for node:
 * once its stdin is read to EOF, it answers on fds 1, 2 and 3. ---- */

static void sc_on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    (void)type;
    if (fd >= 0) /* no handle is sent here */
        close(fd);
    scope_trace_recv_json(ch->data, msg, ch->message_bytes, 0);
    if (!cJSON_GetObjectItemCaseSensitive(msg, "hello"))
        return;
    cJSON *r = cJSON_Parse("{\"received\": true}");
    scope_trace_send_json(ch->data, r, 0);
    scope_channel_send(ch, r);
    cJSON_Delete(r);
    scope_channel_disconnect(ch);
}

int stdio_child(scope_demo_t *d, unsigned long long bytes)
{
    static scope_channel_t ch = {.on_message = sc_on_message};
    static scope_trace_t ipc;
    dprintf(1, "child: %llu bytes arrived on stdin (fd 0)\n", bytes);
    dprintf(2, "child: this line went to stderr (fd 2)\n");
    ch.data = &ipc;
    int r = scope_channel_open_env(d->loop, &ch);
    if (r < 0) {
        scope_events_error("channel", "no IPC channel at NODE_CHANNEL_FD: %s", strerror(-r));
        return 1;
    }
    scope_trace_init(&ipc, "ipc", SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "done");
    cJSON_AddNumberToObject(m, "bytes", (double)bytes);
    scope_trace_send_json(&ipc, m, 0);
    scope_channel_send(&ch, m);
    cJSON_Delete(m);
    return scope_demo_run(d);
}
