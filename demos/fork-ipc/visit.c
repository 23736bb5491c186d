/* fork-ipc's visit: a TCP client of the socket the parent passed to its
 * child, to show that the child, not the parent, answers on that port now.
 * It connects to 127.0.0.1:PORT, shows the line it reads, and closes when the
 * child closes.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "fork-ipc.h"
#include "trace.h"

typedef struct {
    uv_tcp_t tcp;
    uv_connect_t connect;
    scope_trace_t trace; /* the "tcp" channel: child -> us */
    int port;
} visit_t;

static void on_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    buf->base = malloc(suggested);
    buf->len = buf->base ? suggested : 0;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    visit_t *v = s->data;
    if (nread > 0) {
        scope_trace_recv(&v->trace, buf->base, (size_t)nread);
        int line = (int)(memchr(buf->base, '\n', (size_t)nread)
                             ? (char *)memchr(buf->base, '\n', (size_t)nread) - buf->base
                             : nread);
        scope_events_log("as a TCP client of port %d we read: %.*s", v->port, line, buf->base);
    } else if (nread < 0) {
        scope_trace_close(&v->trace);
        uv_close((uv_handle_t *)s, on_closed);
    }
    free(buf->base);
}

static void on_connected(uv_connect_t *req, int status)
{
    visit_t *v = req->data;
    if (status < 0) {
        scope_events_error("connect", "connect to 127.0.0.1:%d: %s", v->port, uv_strerror(status));
        uv_close((uv_handle_t *)&v->tcp, on_closed);
        return;
    }
    scope_trace_open(&v->trace, "tcp", "a client of the socket the child now owns");
    uv_read_start((uv_stream_t *)&v->tcp, on_alloc, on_read);
}

void fork_ipc_visit(uv_loop_t *loop, int port, long child_pid)
{
    visit_t *v = calloc(1, sizeof *v);
    if (!v)
        return;
    struct sockaddr_in a;
    v->port = port;
    v->tcp.data = v->connect.data = v;
    scope_trace_init(&v->trace, "tcp", SCOPE_PID(getpid()), SCOPE_PID(child_pid));
    uv_tcp_init(loop, &v->tcp);
    uv_ip4_addr("127.0.0.1", port, &a);
    uv_tcp_connect(&v->connect, &v->tcp, (struct sockaddr *)&a, on_connected);
}
