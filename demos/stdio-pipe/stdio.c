/* stdio.c: spawn(cmd, {stdio: ['pipe', 'pipe', 'pipe', 'ipc']})
 * as the last article does: three pipes and, at the child's fd 3, a
 * socketpair carrying Node's IPC channel (NODE_CHANNEL_FD=3), together. The
 * parent streams 256 KiB into the child's stdin while it sends a message on
 * the channel; the child answers on all four. The child is this program
 * again (children.c) or, with --child node, node running stdio-pipe-child.js. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channel.h"
#include "stdio-pipe.h"

#define CHUNK (16 * 1024)
#define TOTAL (256 * 1024)

static struct {
    stdio_child_t child;
    scope_channel_t ch;
    scope_trace_t ipc;
    int ch_open, got_received;
    long long done_bytes;
    char out[128];
    size_t err_bytes;
} st;

static void on_data(stdio_child_t *c, int fd, const char *data, size_t len)
{
    scope_trace_recv(fd == 1 ? &c->out : &c->err, data, len);
    int n = (int)(len && data[len - 1] == '\n' ? len - 1 : len);
    scope_events_log("child.%s 'data' (fd %d): %.*s", fd == 1 ? "stdout" : "stderr", c->fd[fd],
                     n, data);
    if (fd == 1)
        snprintf(st.out, sizeof st.out, "%.*s", n, data);
    else
        st.err_bytes += len;
}

/* Large data the careful way (child_pump): write while the queue is under
 * the highWaterMark, then wait for a write to complete ('drain'). */
static void pump(stdio_child_t *c)
{
    static const char chunk[CHUNK];
    if (child_pump(c, chunk, CHUNK, TOTAL))
        scope_events_log("child.stdin.end() after %d bytes in %d writes of %d", TOTAL,
                         TOTAL / CHUNK, CHUNK);
}

static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    (void)type;
    if (fd >= 0)
        close(fd);
    scope_trace_recv_json(&st.ipc, msg, ch->message_bytes, 0);
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(msg, "bytes");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "received"))) {
        st.got_received = 1;
        scope_events_log("'message' on the channel (fd %d): {\"received\":true}", ch->fd);
    } else if (cJSON_IsNumber(b)) {
        st.done_bytes = (long long)b->valuedouble;
        scope_events_log("'message': the child counted %lld bytes on its stdin; we wrote %llu",
                         st.done_bytes, (unsigned long long)st.child.written);
    }
}

static void maybe_done(void)
{
    stdio_child_t *c = &st.child;
    unsigned long long sent = c->written;
    if (st.ch_open || !c->closed)
        return;
    char want[64];
    snprintf(want, sizeof want, "%llu bytes arrived", sent);
    check_killed(c, 0);
    if (!c->sig && (c->code != 0 || !st.got_received || st.done_bytes != (long long)sent ||
                    !strstr(st.out, want) || !st.err_bytes)) {
        check_failed(c->demo, "stdio: code %d, received %d, done %lld of %llu, stdout '%s', "
                     "stderr %zu bytes", c->code, st.got_received, st.done_bytes, sent, st.out,
                     st.err_bytes);
    } else if (!c->sig) {
        scope_events_log("waitpid(): the child exited 0. Four streams, one child: stdin, stdout "
                         "and stderr carried bytes, fd 3 carried messages; all %llu bytes arrived",
                         sent);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "bytes", (double)sent);
        cJSON_AddStringToObject(o, "child", c->name[0] == 'n' ? "node" : "c");
        scope_demo_figure(c->demo, "stdio", o);
    }
    scope_demo_next(c->demo);
}

static void on_channel_closed(scope_channel_t *ch)
{
    (void)ch;
    st.ch_open = 0;
    scope_trace_close(&st.ipc);
    maybe_done();
}

/* The channel closes itself then: on_channel_closed follows. */
static void on_disconnect(scope_channel_t *ch, int status)
{
    (void)ch;
    scope_events_log("'disconnect': the channel's read() returned 0 (%s)",
                     status == UV_EOF ? "the child closed fd 3" : uv_strerror(status));
}

static void on_close(stdio_child_t *c)
{
    (void)c;
    if (st.ch_open)
        scope_channel_close(&st.ch);
    maybe_done();
}

static void show_child_fds(pid_t pid)
{
    char line[256];
    size_t o = 0;
    for (int fd = 0; fd <= 3; fd++) {
        char path[64], target[64];
        snprintf(path, sizeof path, "/proc/%ld/fd/%d", (long)pid, fd);
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        o += (size_t)snprintf(line + o, sizeof line - o, "%sfd %d -> %s", fd ? ", " : "", fd,
                              n > 0 ? target : "?");
    }
    scope_events_log("readlink /proc/%ld/fd/N: %s. Three pipes and a socket", (long)pid, line);
}

void stdio_array(scope_demo_t *d)
{
    int node = ((const stdio_opts_t *)d->data)->node_child, sv[2], r;
    st.done_bytes = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        check_failed(d, "socketpair: %s", strerror(errno));
        scope_demo_next(d);
        return;
    }
    char script[PATH_MAX] = "stdio-pipe-child.js";
    scope_spawn_beside("stdio-pipe-child.js", script, sizeof script);
    char *node_argv[] = {"node", script, NULL}, *own_argv[] = {"--as-child", "stdio", NULL};
    const char *env[] = {"NODE_CHANNEL_FD=3", "NODE_CHANNEL_SERIALIZATION_MODE=json", NULL};
    child_opts_t o = {.file = node ? "node" : NULL, .argv = node ? node_argv : own_argv,
                      .fd3 = sv[1], .env = env};
    stdio_child_t *c = &st.child;
    c->name = node ? "node child" : "stdio child";
    c->on_data = on_data;
    c->on_written = pump;
    c->on_close = on_close;
    scope_events_log("spawn(%s, {stdio: ['pipe', 'pipe', 'pipe', 'ipc']}): a socketpair for "
                     "'ipc'", node ? "'node', ['stdio-pipe-child.js']" : "'stdio-pipe'");
    if ((r = child_spawn(c, d, &o)) < 0) {
        close(sv[0]);
        check_failed(d, "cannot start the stdio child: %s%s", strerror(-r),
                     node && r == -ENOENT ? " (is node installed?)" : "");
        scope_demo_next(d);
        return;
    }
    show_child_fds(c->pid);
    st.ch.on_message = on_message;
    st.ch.on_disconnect = on_disconnect;
    st.ch.on_close = on_channel_closed;
    if ((r = scope_channel_open(d->loop, &st.ch, sv[0])) < 0) {
        close(sv[0]);
        check_failed(d, "cannot open the channel: %s", uv_strerror(r));
        child_end(c);
        return;
    }
    st.ch_open = 1;
    scope_trace_init(&st.ipc, "ipc", SCOPE_PID(getpid()), SCOPE_PID(c->pid));
    scope_trace_open(&st.ipc, "socketpair", "the 'ipc' entry: fd 3 in the child");
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "hello", "world");
    scope_trace_send_json(&st.ipc, m, 0);
    scope_channel_send(&st.ch, m);
    cJSON_Delete(m);
    scope_events_log("child.send({hello: 'world'}) on fd %d, while 256 KiB stream into its "
                     "stdin (fd %d) in %d KiB writes",
                     sv[0], c->fd[0], CHUNK / 1024);
    pump(c);
}

/* ---- the child, this program again with --as-child stdio, as
 * stdio-pipe-child.js is for node: it counts its stdin with blocking read()s
 * like the echo child, then answers on fds 1 and 2 and on the channel. ---- */

static void sc_on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    (void)type;
    if (fd >= 0) /* no handle is sent here */
        close(fd);
    scope_trace_recv_json(ch->data, msg, ch->message_bytes, 0);
    if (!cJSON_GetObjectItemCaseSensitive(msg, "hello"))
        return;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddTrueToObject(r, "received");
    scope_trace_send_json(ch->data, r, 0);
    scope_channel_send(ch, r);
    cJSON_Delete(r);
    scope_events_log("the hello is answered: process.disconnect(), exit 0");
    scope_channel_disconnect(ch);
}

int stdio_child(scope_demo_t *d)
{
    static scope_channel_t ch = {.on_message = sc_on_message};
    static scope_trace_t ipc;
    static char buf[64 * 1024];
    unsigned long long bytes = 0;
    ssize_t n;
    scope_demo_stop(d); /* no loop while it blocks: SIGTERM ends it, as it ends cat */
    scope_events_log("fds 0, 1 and 2 are pipes to the parent; NODE_CHANNEL_FD=3 names the "
                     "channel. read() on fd 0 until EOF");
    while ((n = read(0, buf, sizeof buf)) != 0)
        if (n > 0)
            bytes += (unsigned long long)n;
        else if (errno != EINTR)
            break;
    scope_events_log("EOF on fd 0 after %llu bytes; answering on fd 1, fd 2 and fd 3", bytes);
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
