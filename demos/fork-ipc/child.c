/* fork-ipc's child: what a process forked with NODE_CHANNEL_FD does, in C.
 *
 *   1. Open the fd named by NODE_CHANNEL_FD (3) as an ipc pipe, and unset the
 *      variable so that our own children do not inherit the channel.
 *   2. Speak first, unprompted: {foo: 'bar'}, as the articles' sub.js does.
 *   3. Answer each message: {hello} with {received: true} (article 000),
 *      {type: 'start'} with {result: 'ok'} (article 001's worker), a ping with
 *      its pong, getUser with the user; anything else with {received: true}.
 *   4. A message that brings a listening socket: serve one connection (handle.c).
 *   5. EOF on fd 3 (the parent disconnected or died): exit 0.
 *
 * Its parent is this demo, or any node program that forks it (the lesson shows one).
 */
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "fork-ipc.h"

static cJSON *answer(const cJSON *msg)
{
    if (fork_ipc_is(msg, "type", "ping")) {
        /* The pong carries the ping back whole, so both ways are the same size. */
        cJSON *pong = cJSON_Duplicate(msg, 1);
        cJSON_ReplaceItemInObject(pong, "type", cJSON_CreateString("pong"));
        return pong;
    }
    if (fork_ipc_is(msg, "action", "getUser")) { /* the id says which request this answers */
        /* The ids are references to the request's (no copy): sent before msg goes. */
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
        cJSON *reply = cJSON_CreateObject(), *user;
        cJSON_AddItemReferenceToObject(reply, "id", cJSON_GetObjectItemCaseSensitive(msg, "id"));
        cJSON_AddStringToObject(reply, "status", "success");
        user = cJSON_AddObjectToObject(reply, "data");
        cJSON_AddItemReferenceToObject(user, "id", cJSON_GetObjectItemCaseSensitive(params, "id"));
        cJSON_AddStringToObject(user, "name", "Ada Lovelace");
        cJSON_AddStringToObject(user, "email", "ada@example.org");
        return reply;
    }
    if (fork_ipc_is(msg, "type", "start")) /* article 001's worker */
        return cJSON_Parse("{\"result\":\"ok\"}");
    return cJSON_Parse("{\"received\":true}"); /* {hello: 'world'}, and anything else */
}

static void send_json(scope_channel_t *ch, cJSON *msg)
{
    int n = scope_channel_send(ch, msg); /* traced by the channel: ch->trace */
    if (n < 0)
        scope_events_error("send", "send failed: %s", strerror(-n));
    cJSON_Delete(msg);
}

static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    scope_demo_t *d = ch->data;
    (void)type;
    scope_trace_recv_json(ch->trace, msg, ch->message_bytes, 0);
    if (fd >= 0)
        fork_ipc_serve(d->loop, ch, fd);
    else
        send_json(ch, answer(msg));
}

static void on_refused(scope_channel_t *ch, const scope_frame_error_t *err)
{
    (void)ch;
    scope_events_error("refused", "from the parent: %s (a node child exits 1 on it)", err->reason);
}

static void on_disconnect(scope_channel_t *ch, int status)
{
    scope_events_log("read() on fd 3: %s, the parent disconnected; %llu messages received, "
                     "%llu sent; exiting 0", status == UV_EOF ? "EOF" : uv_strerror(status),
                     (unsigned long long)ch->received, (unsigned long long)ch->sent);
    scope_demo_stop(ch->data);
}

static void on_quit(scope_demo_t *d)
{
    scope_channel_close(d->data);
    scope_demo_stop(d);
}

int fork_ipc_child(scope_demo_t *d, size_t max_message)
{
    scope_trace_t trace;
    scope_channel_t ch = {.data = d, .on_message = on_message, .on_error = on_refused,
                          .on_disconnect = on_disconnect, .max_message = max_message,
                          .trace = &trace};
    d->data = &ch;
    d->on_quit = on_quit;
    /* Under a node parent our stdout is its stdout (fork() inherits stdio). */
    d->narrate_stderr = 1;
    if (scope_demo_start(d, uv_default_loop(), "child", 0) < 0)
        return 1;
    scope_trace_init(&trace, "ipc", SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    int r = scope_channel_open_env(d->loop, &ch); /* unsets NODE_CHANNEL_FD */
    if (r < 0) {
        scope_events_error("channel", "no IPC channel (NODE_CHANNEL_FD): %s. Run me from a "
                           "parent that forks me, e.g. fork-ipc without --as-child.",
                           strerror(-r));
        return 1;
    }
    scope_events_log("NODE_CHANNEL_FD=%d: opened fd %d as an ipc pipe, then unset the variable",
                     scope_channel_fd(&ch), scope_channel_fd(&ch));
    scope_events_proc("ready", getpid(), getppid(), "child", 0, 0);
    send_json(&ch, cJSON_Parse("{\"foo\":\"bar\"}")); /* unprompted, as the articles' sub.js */
    return scope_demo_run(d);
}
