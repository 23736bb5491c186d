/* node.c: a real node for steps 8 to 10, running demos/patterns-node.js,
 * which sits beside this program.
 *
 *   1. patterns_node_find: node in PATH (or --node PATH); without it a step
 *      is skipped, and says why.
 *   2. patterns_node_start: fork() + execve("node", [node, EXEC_ARG,
 *      patterns-node.js, MODE, ARG]) with the fds the step places (a fork
 *      channel at fd 3), the event fd so its events join ours, and one of
 *      its stdout or stderr on a pipe that is read here in lines.
 *   3. The step hears of the end once both are over: the process reaped
 *      and its pipe at EOF, so no line is lost to the race between them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "patterns.h"

int patterns_node_find(patterns_t *p, const char *step, char *path, size_t n)
{
    int r = scope_spawn_which(p->node, path, n);
    if (r < 0) {
        scope_events_log("%s skipped: no node (%s: %s); install node 18 or later, or "
                         "name one with --node PATH",
                         scope_events_tr(step), p->node, strerror(-r));
        scope_demo_figure(p->demo, "node.skipped", cJSON_CreateString("node not found"));
    }
    return r;
}

static void try_done(patterns_node_t *n)
{
    if (n->exited && !n->out_open && n->on_exit) {
        patterns_node_exit_cb cb = n->on_exit;
        n->on_exit = NULL;
        cb(n, n->code, n->sig);
    }
}

static void on_line(void *arg, cJSON *value, const char *line, size_t len)
{
    patterns_node_t *n = arg;
    (void)value;
    if (n->on_line)
        n->on_line(n, line, len);
}

static void on_out_closed(uv_handle_t *h)
{
    patterns_node_t *n = h->data;
    scope_ndjson_free(&n->lines);
    n->out_open = 0;
    try_done(n);
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
    patterns_node_t *n = h->data;
    (void)size;
    *buf = uv_buf_init(n->buf, sizeof n->buf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    patterns_node_t *n = s->data;
    if (nread > 0) {
        scope_ndjson_feed(&n->lines, buf->base, (size_t)nread);
    } else if (nread < 0) { /* EOF: node and whoever shared the pipe are gone */
        scope_ndjson_flush(&n->lines);
        if (!uv_is_closing((uv_handle_t *)s))
            uv_close((uv_handle_t *)s, on_out_closed);
    }
}

static void on_exit(scope_child_t *c, int code, int sig)
{
    patterns_node_t *n = c->data;
    n->exited = 1;
    n->code = code;
    n->sig = sig;
    try_done(n);
}

int patterns_node_start(patterns_t *p, patterns_node_t *n, const char *exec_arg,
                        const char *mode, const char *arg, int read_fd,
                        const scope_spawn_fd_t *chan)
{
    char node[PATH_MAX], script[PATH_MAX];
    int r, out[2] = {-1, -1};
    if ((r = scope_spawn_which(p->node, node, sizeof node)) < 0 ||
        (r = scope_spawn_beside("patterns-node.js", script, sizeof script)) < 0)
        return r;
    if (read_fd && pipe2(out, O_CLOEXEC) < 0)
        return -errno;
    char *argv[6] = {node};
    int i = 1;
    if (exec_arg)
        argv[i++] = (char *)exec_arg; /* fork()'s execArgv: node's options, before the script */
    argv[i++] = script;
    argv[i++] = (char *)mode;
    argv[i++] = (char *)arg;
    scope_demo_child_events_t ev;
    scope_demo_child_events(&ev, 4);
    if (read_fd == 1 && ev.env[0] && !ev.nfds) { /* our stdout carries events: not node's */
        ev.fd = (scope_spawn_fd_t){.parent_fd = STDOUT_FILENO, .child_fd = 4};
        ev.nfds = 1;
        snprintf(ev.env_fd, sizeof ev.env_fd, "IPCSCOPE_EVENT_FD=4");
    }
    scope_spawn_fd_t fds[3];
    size_t nfds = 0;
    if (chan)
        fds[nfds++] = *chan;
    if (read_fd)
        fds[nfds++] = (scope_spawn_fd_t){.parent_fd = out[1], .child_fd = read_fd};
    if (ev.nfds)
        fds[nfds++] = ev.fd;
    const char *env[] = {ev.env[0], ev.env[1], NULL, NULL, NULL};
    if (chan) { /* the channel comes first: env[] ends at the first NULL */
        env[0] = "NODE_CHANNEL_FD=3";
        env[1] = "NODE_CHANNEL_SERIALIZATION_MODE=json";
        env[2] = ev.env[0];
        env[3] = ev.env[1];
    }
    snprintf(n->name, sizeof n->name, "%s node", mode); /* a lane letter of its own */
    scope_spawn_options_t so = {.file = node, .argv = argv, .setenv = env, .fds = fds,
                                .nfds = nfds, .death_signal = SIGTERM, .name = n->name};
    n->p = p;
    n->child.data = n;
    n->exited = 0;
    r = scope_spawn(p->demo->loop, &n->child, &so, on_exit);
    if (read_fd)
        close(out[1]); /* node has its copy: EOF comes when it is gone */
    if (r < 0) {
        if (read_fd)
            close(out[0]);
        return r;
    }
    if (read_fd) {
        scope_lines_init(&n->lines, 0, on_line, NULL, n);
        uv_pipe_init(p->demo->loop, &n->out, 0);
        n->out.data = n;
        uv_pipe_open(&n->out, out[0]);
        uv_read_start((uv_stream_t *)&n->out, on_alloc, on_read);
        n->out_open = 1;
    }
    char text[512];
    scope_spawn_execve_text(node, argv, text, sizeof text);
    scope_events_log("%s -> pid %ld%s%s", text, (long)n->child.pid,
                     chan ? scope_events_tr(", a socketpair's end at fd 3, NODE_CHANNEL_FD=3") : "",
                     read_fd == 1   ? scope_events_tr(", its stdout on a pipe we read")
                     : read_fd == 2 ? scope_events_tr(", its stderr on a pipe we read")
                                    : "");
    return 0;
}

int patterns_node_kill(patterns_node_t *n, int sig)
{
    return n->exited ? -ESRCH : scope_child_kill(&n->child, sig, 0);
}

int patterns_node_fork(patterns_t *p, patterns_node_t *n, const char *step, const char *exec_arg,
                       const char *mode, int read_fd)
{
    char node[PATH_MAX];
    int fds[2], r;
    if ((r = patterns_node_find(p, step, node, sizeof node)) < 0)
        return r;
    /* Close-on-exec: node gets its end at fd 3 on purpose, nothing else. */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
        r = -errno;
        scope_demo_check(p->demo, 0, "socketpair", "socketpair(): %s", strerror(errno));
        return r;
    }
    scope_spawn_fd_t chan = {.parent_fd = fds[1], .child_fd = 3};
    r = patterns_node_start(p, n, exec_arg, mode, NULL, read_fd, &chan);
    close(fds[1]); /* node holds its end now */
    if (r < 0) {
        close(fds[0]);
        scope_demo_check(p->demo, 0, "node", "cannot start %s: %s", node, strerror(-r));
        return r;
    }
    return fds[0];
}
