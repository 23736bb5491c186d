/* cluster: what a node worker prints (the article's console.log) becomes a
 * line of narration, "worker 1 (node): Worker 1 received: ...", so that it
 * reaches the dashboard and never mixes with the events on our stdout. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "events.h"

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    cluster_worker_t *w = h->data;
    (void)hint;
    *buf = uv_buf_init(w->outbuf + w->outlen, (unsigned)(sizeof w->outbuf - 1 - w->outlen));
}

static void on_closed(uv_handle_t *h)
{
    cluster_worker_t *w = h->data;
    w->out_open = 0;
    cluster_forget(w);
}

static void tell_lines(cluster_worker_t *w, int all)
{
    char *start = w->outbuf, *nl;
    w->outbuf[w->outlen] = '\0';
    while ((nl = memchr(start, '\n', w->outlen - (size_t)(start - w->outbuf))) ||
           (all && *start)) {
        if (nl)
            *nl = '\0';
        if (*start)
            scope_events_log("worker %d (node): %s", w->id, start);
        if (!nl)
            break;
        start = nl + 1;
    }
    size_t left = all ? 0 : w->outlen - (size_t)(start - w->outbuf);
    memmove(w->outbuf, start, left);
    w->outlen = left;
    if (w->outlen == sizeof w->outbuf - 1) { /* a line too long: told in pieces */
        w->outbuf[w->outlen] = '\0';
        scope_events_log("worker %d (node): %s", w->id, w->outbuf);
        w->outlen = 0;
    }
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    cluster_worker_t *w = s->data;
    (void)buf;
    if (n > 0) {
        w->outlen += (size_t)n;
        tell_lines(w, 0);
    } else if (n < 0) {
        tell_lines(w, 1);
        uv_close((uv_handle_t *)s, on_closed);
    }
}

int cluster_stdout_pipe(cluster_worker_t *w, scope_spawn_fd_t *place)
{
    if (pipe2(w->out_fds, O_CLOEXEC) < 0) {
        w->out_fds[0] = w->out_fds[1] = -1;
        return 0; /* it writes where we do */
    }
    *place = (scope_spawn_fd_t){.parent_fd = w->out_fds[1], .child_fd = 1};
    return 1;
}

void cluster_narrate_stdout(cluster_worker_t *w, int started)
{
    int fd = w->out_fds[0];
    if (w->out_fds[1] >= 0)
        close(w->out_fds[1]); /* the worker has its copy */
    w->out_fds[0] = w->out_fds[1] = -1;
    if (fd >= 0 && !started) /* no handle: the slot is free again at once */
        close(fd);
    if (fd < 0 || !started)
        return;
    uv_pipe_init(w->cluster->demo->loop, &w->out, 0);
    w->out.data = w;
    if (uv_pipe_open(&w->out, fd) < 0) {
        close(fd);
        w->out_open = 1; /* until on_closed: the slot holds a closing handle */
        uv_close((uv_handle_t *)&w->out, on_closed);
        return;
    }
    w->out_open = 1;
    uv_read_start((uv_stream_t *)&w->out, on_alloc, on_read);
}
