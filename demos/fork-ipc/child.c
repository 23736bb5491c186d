/* fork-ipc's child: what a process forked with NODE_CHANNEL_FD does, in C.
 *
 *   1. Open the fd named by NODE_CHANNEL_FD (3) as an ipc pipe, and unset the
 *      variable so that our own children do not inherit the channel.
 *   2. Speak first, unprompted: {foo: 'bar'}, as the articles' sub.js does.
 *   3. Answer each message: {hello} with {received: true} (article 000),
 *      {type: 'start'} with {result: 'ok'} (article 001's worker), a ping with
 *      its pong, getUser with the user; anything else with {received: true}.
 *   4. A message that brings a listening socket: serve one connection on it.
 *   5. EOF on fd 3 (the parent disconnected or died): exit 0.
 *
 * Its parent is this demo, or any node program that forks it:
 *
 *   node -e "const c = require('child_process').fork('--as-child', [],
 *            {execPath: './build/demos/fork-ipc', execArgv: []});
 *            c.on('message', m => console.log(m));
 *            c.send({type: 'start', payload: 123})"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "fork-ipc.h"
#include "trace.h"

typedef struct {
    scope_demo_t *demo;
    scope_channel_t ch;
    scope_trace_t trace;
    uv_tcp_t server, conn; /* the passed socket, and the one connection it serves */
    uv_write_t write;
    char line[128];
} child_t;

static void post(child_t *c, cJSON *msg)
{
    scope_trace_send_json(&c->trace, msg, 0);
    int n = scope_channel_send(&c->ch, msg);
    if (n < 0)
        scope_events_error("send", "send failed: %s", strerror(-n));
    cJSON_Delete(msg);
}

static void on_conn_closed(uv_handle_t *h)
{
    child_t *c = h->data;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "served");
    cJSON_AddNumberToObject(m, "pid", getpid());
    post(c, m);
}

static void on_written(uv_write_t *req, int status)
{
    (void)status;
    uv_close((uv_handle_t *)req->handle, on_conn_closed);
}

static void on_connection(uv_stream_t *server, int status)
{
    child_t *c = server->data;
    if (status < 0 || uv_tcp_init(server->loop, &c->conn) < 0)
        return;
    c->conn.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->conn) < 0) {
        uv_close((uv_handle_t *)&c->conn, NULL);
        return;
    }
    scope_events_log("accept() on the passed socket: a client connected; answering it");
    int n = snprintf(c->line, sizeof c->line,
                     "hello from child %ld, on a socket its parent passed over the channel\n",
                     (long)getpid());
    uv_buf_t b = uv_buf_init(c->line, (unsigned)n);
    uv_write(&c->write, (uv_stream_t *)&c->conn, &b, 1, on_written);
    uv_close((uv_handle_t *)server, NULL); /* one connection is the lesson */
}

static void serve(child_t *c, int fd)
{
    scope_events_log("recvmsg() brought fd %d with the NODE_HANDLE line (SCM_RIGHTS); "
                     "ACK sent; listening on it", fd);
    uv_tcp_init(c->demo->loop, &c->server);
    c->server.data = c;
    int r = uv_tcp_open(&c->server, fd);
    if (r < 0)
        close(fd); /* not the handle's yet */
    else
        r = uv_listen((uv_stream_t *)&c->server, 8, on_connection);
    if (r < 0) {
        scope_events_error("handle", "cannot listen on the passed fd %d: %s", fd, uv_strerror(r));
        uv_close((uv_handle_t *)&c->server, NULL);
    }
}

static int is(const cJSON *o, const char *name, const char *value)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) && strcmp(v->valuestring, value) == 0;
}

static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    child_t *c = ch->data;
    (void)type;
    scope_trace_recv_json(&c->trace, msg, ch->message_bytes, 0);
    if (fd >= 0) {
        serve(c, fd);
        return;
    }
    cJSON *reply;
    if (is(msg, "type", "ping")) {
        /* The pong carries the ping back whole, so both ways are the same size. */
        reply = cJSON_Duplicate(msg, 1);
        cJSON_ReplaceItemInObject(reply, "type", cJSON_CreateString("pong"));
    } else if (is(msg, "action", "getUser")) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
        reply = cJSON_CreateObject();
        cJSON_AddItemToObject(reply, "id", cJSON_Duplicate(id, 1));
        cJSON_AddStringToObject(reply, "status", "success");
        cJSON *user = cJSON_AddObjectToObject(reply, "data");
        cJSON_AddItemToObject(user, "id",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(params, "id"), 1));
        cJSON_AddStringToObject(user, "name", "Ada Lovelace");
        cJSON_AddStringToObject(user, "email", "ada@example.org");
    } else if (is(msg, "type", "start")) {
        reply = cJSON_CreateObject(); /* article 001's worker */
        cJSON_AddStringToObject(reply, "result", "ok");
    } else {
        reply = cJSON_CreateObject(); /* {hello: 'world'}, and anything else */
        cJSON_AddTrueToObject(reply, "received");
    }
    post(c, reply);
}

static void on_refused(scope_channel_t *ch, const scope_frame_error_t *err)
{
    (void)ch;
    scope_events_error("refused", "from the parent: %s. A node child would throw here "
                       "(SyntaxError in JSON.parse) and exit with code 1; this one goes on.",
                       err->reason);
}

static void on_disconnect(scope_channel_t *ch, int status)
{
    child_t *c = ch->data;
    scope_events_log("read() returned 0 (EOF) on fd 3: the parent disconnected (%s); "
                     "%llu messages received, %llu sent; exiting 0",
                     status == UV_EOF ? "EOF" : uv_strerror(status),
                     (unsigned long long)ch->received, (unsigned long long)ch->sent);
    scope_demo_stop(c->demo);
}

static void on_quit(scope_demo_t *d)
{
    child_t *c = d->data;
    scope_channel_close(&c->ch);
    scope_demo_stop(d);
}

int fork_ipc_child(scope_demo_t *d, size_t max_message)
{
    child_t c = {.demo = d};
    d->data = &c;
    d->on_quit = on_quit;
    /* Under a node parent, our stdout is its stdout (fork() inherits stdio):
     * with no event fd named and no --json, narrate to stderr instead. */
    if (!getenv("IPCSCOPE_EVENT_FD") && !d->json) {
        setenv("IPCSCOPE_EVENT_FD", "2", 1);
        setenv("IPCSCOPE_EVENT_FORMAT", "text", 1);
    }
    if (scope_demo_start(d, uv_default_loop(), "child", 0) < 0) {
        fprintf(stderr, "fork-ipc: cannot report events\n");
        return 1;
    }
    c.ch = (scope_channel_t){.data = &c, .on_message = on_message, .on_error = on_refused,
                             .on_disconnect = on_disconnect, .max_message = max_message};
    const char *fd = getenv("NODE_CHANNEL_FD");
    char fdname[16];
    snprintf(fdname, sizeof fdname, "%s", fd ? fd : "?");
    int r = scope_channel_open_env(d->loop, &c.ch); /* unsets NODE_CHANNEL_FD */
    if (r < 0) {
        scope_events_error("channel", "no IPC channel (NODE_CHANNEL_FD): %s. Run me from a "
                           "parent that forks me, e.g. fork-ipc without --as-child.",
                           strerror(-r));
        return 1;
    }
    scope_events_log("NODE_CHANNEL_FD=%s: opened fd %s as an ipc pipe (a Unix socket that can "
                     "carry fds); unset NODE_CHANNEL_FD so my own children do not inherit it",
                     fdname, fdname);
    scope_events_proc("ready", getpid(), getppid(), "child", 0, 0);
    scope_trace_init(&c.trace, "ipc", SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    cJSON *first = cJSON_CreateObject(); /* unprompted, as the articles' sub.js */
    cJSON_AddStringToObject(first, "foo", "bar");
    post(&c, first);
    return scope_demo_run(d);
}
