/* fork-ipc's step 8: a listening socket passed with a message, both sides.
 *
 *   1. The parent listens on 127.0.0.1 (a port the kernel picks), not to serve it.
 *   2. child.send({type: 'server', port}, server): the fd rides with the
 *      NODE_HANDLE line as SCM_RIGHTS data of the same sendmsg().
 *   3. The child's recvmsg() brings a new fd for the same socket; lib/channel
 *      answers NODE_HANDLE_ACK; the child listens and serves one connection.
 *   4. The parent connects to the port as a TCP client: the child, not the
 *      parent, answers. Then the child says {type: 'served'}.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "conn.h"
#include "events.h"
#include "fork-ipc.h"

static struct { /* the parent's side */
    scope_conn_t conn; /* lib/conn: a TCP client that reads lines */
    uv_connect_t connect;
    scope_trace_t trace; /* the "tcp" channel: the child -> us */
    int port;
} parent;

static struct { /* the child's side */
    scope_channel_t *ch;
    uv_tcp_t server, conn; /* the passed socket, and the one connection it serves */
} child;

/* ---- the parent: pass the socket, then visit it as a client --------------- */

static void on_greeting(scope_conn_t *c, const char *line, size_t len)
{
    (void)c; /* the child's answer, read as a TCP client of the port */
    scope_trace_recv(&parent.trace, line, len);
}

static void on_end(scope_conn_t *c, int status)
{
    (void)c, (void)status; /* the child closed: EOF */
    scope_trace_close(&parent.trace);
}

static void on_connected(uv_connect_t *req, int status)
{
    (void)req;
    if (status < 0) {
        scope_events_error("connect", "connect to 127.0.0.1:%d: %s", parent.port,
                           uv_strerror(status));
        scope_conn_close(&parent.conn);
        return;
    }
    scope_trace_open(&parent.trace, "tcp", "a client of the socket the child now owns");
    scope_conn_options_t lines = {.on_frame = on_greeting, .on_end = on_end};
    scope_conn_start(&parent.conn, &lines);
}

static int on_served(fork_ipc_t *p, const cJSON *msg)
{
    (void)p;
    if (!fork_ipc_is(msg, "type", "served"))
        return FORK_IPC_NOT_IT;
    scope_events_log("the child says it served the connection on the socket we passed");
    return FORK_IPC_DONE;
}

void fork_ipc_handle(scope_demo_t *d)
{
    fork_ipc_t *p = d->data;
    struct sockaddr_storage a; /* 127.0.0.1 and the port the kernel picked */
    int fd = scope_addr_bind_loopback(SOCK_STREAM, &a); /* socket(), bind() */
    if (fd < 0 || listen(fd, 8) < 0) {
        scope_events_error("listen", "cannot listen on 127.0.0.1: %s",
                           strerror(fd < 0 ? -fd : errno));
        if (fd >= 0)
            close(fd);
        scope_demo_next(d); /* on to disconnect */
        return;
    }
    parent.port = scope_addr_port((struct sockaddr *)&a);
    scope_events_log("socket(), bind(127.0.0.1:%d), listen() -> fd %d: a server we will not "
                     "serve ourselves", parent.port, fd);
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "server");
    cJSON_AddNumberToObject(m, "port", parent.port);
    int n = scope_channel_send_handle(&p->ch, m, fd, "net.Server");
    cJSON_Delete(m);
    close(fd); /* the channel keeps its own duplicate until the child's ACK */
    if (n < 0) {
        scope_events_error("handle", "cannot pass the socket: %s; going on to disconnect",
                           strerror(-n));
        scope_demo_next(d); /* nobody would answer a client now */
        return;
    }
    scope_events_log("sendmsg() with SCM_RIGHTS: fd %d rides with the NODE_HANDLE line, "
                     "as child.send(msg, server) does", fd);
    fork_ipc_await(p, "{\"type\":\"served\"}", on_served);
    /* Now a client of that port: whoever accepts is the one who answers. */
    scope_trace_init(&parent.trace, "tcp", SCOPE_PID(getpid()), SCOPE_PID(p->child.pid));
    parent.trace.framing_bytes = 1; /* a line's newline */
    scope_conn_init_tcp(d->loop, &parent.conn, NULL);
    uv_tcp_connect(&parent.connect, &parent.conn.h.tcp, (struct sockaddr *)&a, on_connected);
}

/* ---- the child: serve one connection on the socket that came -------------- */

static void on_conn_closed(uv_handle_t *h)
{
    (void)h;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "served");
    cJSON_AddNumberToObject(m, "pid", getpid());
    if (scope_channel_send(child.ch, m) < 0)
        scope_events_error("send", "cannot say {type: 'served'}: the channel is gone");
    cJSON_Delete(m);
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0 || uv_tcp_init(server->loop, &child.conn) < 0)
        return;
    if (uv_accept(server, (uv_stream_t *)&child.conn) == 0) {
        scope_events_log("accept() on the passed socket: a client connected; answering it");
        char line[128];
        int n = snprintf(line, sizeof line, "hello from child %ld, on a socket its parent "
                         "passed over the channel\n", (long)getpid());
        /* A short line into a new connection's empty buffer is taken at once. */
        uv_try_write((uv_stream_t *)&child.conn, &(uv_buf_t){line, (size_t)n}, 1);
    }
    uv_close((uv_handle_t *)&child.conn, on_conn_closed);
    uv_close((uv_handle_t *)server, NULL); /* one connection is the lesson */
}

void fork_ipc_serve(uv_loop_t *loop, scope_channel_t *ch, int fd)
{
    scope_events_log("recvmsg() brought fd %d with the NODE_HANDLE line (SCM_RIGHTS); "
                     "ACK sent; listening on it", fd);
    child.ch = ch;
    uv_tcp_init(loop, &child.server);
    int r = uv_tcp_open(&child.server, fd);
    if (r < 0)
        close(fd); /* not the handle's yet */
    else
        r = uv_listen((uv_stream_t *)&child.server, 8, on_connection);
    if (r < 0) {
        scope_events_error("handle", "cannot listen on the passed fd %d: %s", fd, uv_strerror(r));
        uv_close((uv_handle_t *)&child.server, NULL);
    }
}
