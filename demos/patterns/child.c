/* child.c: the child of every step (--role child), article 004's child.js
 * grown to answer what each step sends.
 *
 *   1. NODE_CHANNEL_FD=3 names its end: opened as an ipc pipe, the variable
 *      unset (lib/channel), as node does before a child's script runs.
 *   2. process.on('message'): in strict mode (step 4) 004's check first: not
 *      an object, or no type, and the message is dropped; then each type's
 *      fields. Dropped messages are counted, and told on {type:'tally'}.
 *   3. Each message is answered as its step wants: items counted, getUser
 *      answered with the request's id, tasks done after their ms, a big
 *      message on demand, a ping's pong; a hang blocks the loop for good.
 *   4. EOF on fd 3 (the parent's disconnect(), or its death): exit 0.
 */
#include <msgpack.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "patterns.h"

typedef struct {
    scope_demo_t *d;
    scope_channel_t ch;
    scope_trace_t trace;
    long items;              /* {index} and batch items since the last count */
    uint64_t first_ns, last_ns;
    int strict;              /* step 4: 004's check on every message */
    long accepted, dropped;
    cJSON *reasons;          /* why each was dropped: {reason: n} */
} child_t;

typedef struct { /* a task in flight, or a slow answer: a timer of its own */
    uv_timer_t timer;
    child_t *c;
    cJSON *reply;
} later_t;

static void reply(child_t *c, cJSON *msg)
{
    int r = scope_channel_send(&c->ch, msg); /* traced by the channel */
    cJSON_Delete(msg);
    if (r < 0 && r != -EPIPE)
        scope_events_error("send", "process.send(): %s", strerror(-r));
}

static void on_later_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_later(uv_timer_t *t)
{
    later_t *l = t->data;
    reply(l->c, l->reply);
    uv_close((uv_handle_t *)t, on_later_closed);
}

static void answer_later(child_t *c, cJSON *msg, double ms)
{
    later_t *l = calloc(1, sizeof *l);
    if (!l) {
        cJSON_Delete(msg);
        return;
    }
    *l = (later_t){.c = c, .reply = msg};
    uv_timer_init(c->d->loop, &l->timer);
    l->timer.data = l;
    uv_timer_start(&l->timer, on_later, ms > 0 && ms < 60000 ? (uint64_t)ms : 0, 0);
}

/* A field by its path ("data.port") of the cJSON type wanted. */
static int has(const cJSON *msg, const char *path, int type)
{
    char name[32];
    const char *dot = strchr(path, '.');
    if (dot) {
        snprintf(name, sizeof name, "%.*s", (int)(dot - path), path);
        return has(cJSON_GetObjectItemCaseSensitive(msg, name), dot + 1, type);
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(msg, path);
    return v && (v->type & 0xff) == type;
}

/* 004's check, then a schema per type: NULL when msg may pass. */
static const char *invalid(const cJSON *msg)
{
    if (cJSON_IsNull(msg)) /* typeof null is 'object': 004's msg.type throws a TypeError */
        return "null";
    if (!cJSON_IsObject(msg) && !cJSON_IsArray(msg)) /* typeof [] is 'object' too */
        return N_("not an object");
    if (!has(msg, "type", cJSON_String))
        return N_("no type");
    if (patterns_is(msg, "type", "config"))
        return has(msg, "data.port", cJSON_Number) && has(msg, "data.env", cJSON_String) &&
                       has(msg, "data.features", cJSON_Array)
                   ? NULL
                   : N_("config: bad fields");
    if (patterns_is(msg, "type", "task"))
        return has(msg, "id", cJSON_Number) ? NULL : N_("task: no id");
    static const char *known[] = {"tally", "strict", "ping", NULL};
    for (int i = 0; known[i]; i++)
        if (patterns_is(msg, "type", known[i]))
            return NULL;
    return N_("unknown type");
}

static cJSON *big(const cJSON *msg)
{
    size_t n = (size_t)patterns_num(msg, "chars");
    const char *ch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "char"));
    size_t w = ch ? strlen(ch) : 0;
    char *s = w && n <= (8u << 20) ? malloc(n * w + 1) : NULL;
    if (!s)
        return cJSON_Parse("{\"type\":\"big\",\"data\":\"\"}");
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * w, ch, w);
    s[n * w] = '\0';
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "big");
    cJSON_AddStringToObject(m, "data", s);
    free(s);
    return m;
}

/* msgpack.decode(Buffer.from(msg.data)): the bytes back from their JSON
 * numbers, then decoded; the users counted. */
static double decode_buffer(const cJSON *data)
{
    int n = cJSON_GetArraySize(data), i = 0;
    char *bytes = n > 0 ? malloc((size_t)n) : NULL;
    if (!bytes)
        return -1;
    for (const cJSON *b = data->child; b; b = b->next)
        bytes[i++] = (char)b->valueint;
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    double users = -1;
    if (msgpack_unpack_next(&u, bytes, (size_t)n, NULL) == MSGPACK_UNPACK_SUCCESS &&
        u.data.type == MSGPACK_OBJECT_MAP)
        for (uint32_t k = 0; k < u.data.via.map.size; k++) {
            msgpack_object_kv *kv = &u.data.via.map.ptr[k];
            if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == 5 &&
                memcmp(kv->key.via.str.ptr, "users", 5) == 0 && kv->val.type == MSGPACK_OBJECT_ARRAY)
                users = kv->val.via.array.size;
        }
    msgpack_unpacked_destroy(&u);
    free(bytes);
    return users;
}

static cJSON *decoded(double users)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "decoded");
    cJSON_AddNumberToObject(m, "users", users);
    return m;
}

/* For ever, as a child stuck in a loop: its event loop never turns again.
 * With SIGTERM's default action it dies of the watchdog's SIGTERM; with
 * lib/demo's handler in place the signal only wakes a loop that never runs. */
static void hang(int term_default)
{
    if (term_default)
        signal(SIGTERM, SIG_DFL);
    scope_events_log("hanging: the loop stops turning (SIGTERM %s)",
                     term_default
                         ? scope_events_tr("kills")
                         : scope_events_tr("is caught, and waits for a loop that is stuck"));
    for (;;)
        pause();
}

static void handle(child_t *c, const cJSON *msg)
{
    const cJSON *index = cJSON_GetObjectItemCaseSensitive(msg, "index");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(msg, "data");
    if (cJSON_IsNumber(index) || patterns_is(msg, "type", "batch")) {
        c->last_ns = scope_time_now_ns();
        if (!c->items)
            c->first_ns = c->last_ns;
        c->items += cJSON_IsNumber(index) ? 1 : cJSON_GetArraySize(data);
    } else if (patterns_is(msg, "type", "count")) { /* the channel is ordered: all are in */
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "type", "count");
        cJSON_AddNumberToObject(m, "items", (double)c->items);
        cJSON_AddNumberToObject(m, "first_ns", (double)c->first_ns);
        cJSON_AddNumberToObject(m, "last_ns", (double)c->last_ns);
        c->items = 0;
        reply(c, m);
    } else if (patterns_is(msg, "type", "config")) {
        reply(c, cJSON_Parse("{\"type\":\"ack\",\"of\":\"config\"}"));
    } else if (patterns_is(msg, "action", "getUser") || patterns_is(msg, "action", "slowQuery")) {
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
        cJSON *m = cJSON_CreateObject(), *user;
        cJSON_AddItemToObject(m, "id", cJSON_Duplicate(cJSON_GetObjectItem(msg, "id"), 1));
        cJSON_AddStringToObject(m, "status", "success");
        user = cJSON_AddObjectToObject(m, "data");
        cJSON_AddNumberToObject(user, "id", patterns_num(params, "id"));
        cJSON_AddStringToObject(user, "name", "Ada Lovelace");
        answer_later(c, m, patterns_num(params, "ms"));
    } else if (patterns_is(msg, "type", "task")) { /* work in flight for ms */
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "type", "done");
        cJSON_AddNumberToObject(m, "id", patterns_num(msg, "id"));
        answer_later(c, m, patterns_num(msg, "ms"));
    } else if (patterns_is(msg, "type", "strict")) {
        c->strict = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "on"));
    } else if (patterns_is(msg, "type", "tally")) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "type", "tally");
        cJSON_AddNumberToObject(m, "accepted", (double)c->accepted);
        cJSON_AddNumberToObject(m, "dropped", (double)c->dropped);
        cJSON_AddItemToObject(m, "reasons", cJSON_Duplicate(c->reasons, 1));
        reply(c, m);
    } else if (patterns_is(msg, "type", "large")) { /* JSON: parsed already, by the channel */
        reply(c, decoded(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(data, "users"))));
    } else if (patterns_is(msg, "type", "Buffer")) { /* msgpack on a JSON channel */
        reply(c, decoded(decode_buffer(data)));
    } else if (patterns_is(msg, "type", "big")) {
        reply(c, big(msg));
    } else if (patterns_is(msg, "type", "ping")) { /* the pong is the ping, back whole */
        cJSON *m = cJSON_Duplicate(msg, 1);
        cJSON_ReplaceItemInObject(m, "type", cJSON_CreateString("pong"));
        reply(c, m);
    } else if (patterns_is(msg, "type", "hang")) {
        hang(patterns_is(msg, "term", "default"));
    }
}

/* process.on('message', (msg) => { if (typeof msg !== 'object' || !msg.type) return; ... }) */
static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    child_t *c = ch->data;
    (void)type;
    if (fd >= 0)
        close(fd);
    scope_trace_recv_json(&c->trace, msg, ch->message_bytes, 0);
    const char *why = c->strict ? invalid(msg) : NULL;
    if (why) {
        c->dropped++;
        cJSON *n = cJSON_GetObjectItemCaseSensitive(c->reasons, why);
        if (n)
            cJSON_SetNumberValue(n, n->valuedouble + 1);
        else
            cJSON_AddNumberToObject(c->reasons, why, 1);
        scope_events_log("dropped: %s", scope_events_tr(why));
        return;
    }
    if (c->strict && !patterns_is(msg, "type", "tally") && !patterns_is(msg, "type", "strict"))
        c->accepted++;
    handle(c, msg);
}

/* process.on('disconnect'): EOF on fd 3, the parent's disconnect() or death. */
static void on_disconnect(scope_channel_t *ch, int status)
{
    scope_events_log("fd 3: %s after %llu messages; process.on('disconnect'): exiting",
                     status ? uv_strerror(status) : scope_events_tr("closed"),
                     (unsigned long long)ch->received);
    scope_demo_stop(((child_t *)ch->data)->d);
}

/* SIGTERM, or the dashboard's quit: our end closes, and the loop ends. */
static void on_quit(scope_demo_t *d)
{
    scope_channel_close(&((child_t *)d->data)->ch);
    scope_demo_stop(d);
}

int patterns_child(scope_demo_t *d)
{
    child_t c = {.d = d, .reasons = cJSON_CreateObject()};
    c.ch = (scope_channel_t){.data = &c, .on_message = on_message,
                             .on_disconnect = on_disconnect, .trace = &c.trace};
    d->data = &c;
    d->on_quit = on_quit;
    if (scope_demo_start(d, uv_default_loop(), "child", 0) < 0)
        return 1;
    scope_trace_init(&c.trace, "ipc", SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    int r = scope_channel_open_env(d->loop, &c.ch); /* unsets NODE_CHANNEL_FD */
    if (r < 0) {
        scope_events_error("channel", "no IPC channel (NODE_CHANNEL_FD): %s", strerror(-r));
        return 1;
    }
    scope_events_proc("ready", getpid(), getppid(), "child", 0, 0);
    int code = scope_demo_run(d);
    cJSON_Delete(c.reasons);
    return code;
}
