/* child.c: a worker of step 5's process pool (--role "child N"): article
 * 001's worker.js in C, and a heavyCalculation worker besides.
 *
 *   1. NODE_CHANNEL_FD=3 names its end of the socketpair: opened as an ipc
 *      pipe, the variable unset (lib/channel), as a node child does.
 *   2. {type:'start', payload:123}: answered {result:'ok'} (article 001).
 *   3. {task:'heavyCalculation', data}: performHeavyCalculation(data) right
 *      here, a process of its own, and the number sent back.
 *   4. EOF on fd 3 (the parent's disconnect(), or its death): exit 0.
 */
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "worker-pool.h"

typedef struct {
    scope_demo_t *d;
    scope_channel_t ch;
    scope_trace_t trace;
    int traced;
} child_t;

static void reply(child_t *c, cJSON *msg)
{
    int r = scope_channel_send(&c->ch, msg); /* traced by the channel when traced */
    cJSON_Delete(msg);
    if (r < 0)
        scope_events_error("send", "to the parent: %s", strerror(-r));
}

/* process.on('message') */
static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    child_t *c = ch->data;
    (void)type;
    if (fd >= 0)
        close(fd);
    if (c->traced)
        scope_trace_recv_json(&c->trace, msg, ch->message_bytes, 0);
    const cJSON *task = cJSON_GetObjectItemCaseSensitive(msg, "task");
    if (cJSON_IsString(task) && strcmp(task->valuestring, "heavyCalculation") == 0) {
        double n = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(msg, "data"));
        long long data = n >= 0 && n <= 100000 ? (long long)n : 0; /* bounded: n * n adds */
        reply(c, cJSON_CreateNumber(pool_heavy_calculation(data)));
        return;
    }
    if (c->traced)
        scope_events_log("Worker received: {type:'start', payload:123}; send({result:'ok'})");
    reply(c, cJSON_Parse("{\"result\":\"ok\"}"));
}

static void on_disconnect(scope_channel_t *ch, int status)
{
    child_t *c = ch->data;
    (void)status;
    scope_demo_stop(c->d);
}

static void on_quit(scope_demo_t *d)
{
    child_t *c = d->data;
    scope_channel_close(&c->ch);
    scope_demo_stop(d);
}

int wp_child(scope_demo_t *d, int untraced)
{
    child_t c = {.d = d, .traced = !untraced};
    c.ch = (scope_channel_t){.data = &c, .on_message = on_message, .on_disconnect = on_disconnect,
                             .trace = untraced ? NULL : &c.trace};
    d->data = &c;
    d->on_quit = on_quit;
    if (scope_demo_start(d, uv_default_loop(), d->role, 0) < 0)
        return 1;
    scope_trace_init(&c.trace, d->role, SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    int r = scope_channel_open_env(d->loop, &c.ch);
    if (r < 0) {
        scope_events_error("channel", "no IPC channel (NODE_CHANNEL_FD): %s", strerror(-r));
        return 1;
    }
    scope_events_proc("ready", getpid(), getppid(), d->role, 0, 0);
    return scope_demo_run(d);
}
