/* serialize.c, step 6: 004's "Serialization Optimization", measured.
 *
 *     const msgpack = require('msgpack-lite');
 *     child.send(msgpack.encode(largeObject));
 *
 *   1. The large object (1,000 users) encoded and decoded here, REPS times
 *      each way: JSON (cJSON, as JSON.stringify and JSON.parse) against
 *      MessagePack (libmsgpack-c): bytes, and the time of each.
 *   2. Over the channel as it is: {type:'large', data: largeObject}.
 *   3. Over the channel as the article writes it: msgpack.encode() gives a
 *      Buffer, and a JSON channel sends a Buffer as JSON.stringify makes it,
 *      {"type":"Buffer","data":[147,...]}: each byte becomes one to three
 *      digits and a comma. The child turns it back into bytes and decodes.
 */
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>

#include "events.h"
#include "patterns.h"

#define USERS 1000
#define REPS  20

static struct {
    patterns_t *p;
    uint64_t t0;
    int round;
    cJSON *buffer; /* round 2's message, made while the MessagePack was at hand */
} z;

static cJSON *large_object(void)
{
    cJSON *o = cJSON_CreateObject(), *users = cJSON_AddArrayToObject(o, "users");
    char s[64];
    for (int i = 0; i < USERS; i++) {
        cJSON *u = cJSON_CreateObject();
        cJSON_AddNumberToObject(u, "id", i);
        snprintf(s, sizeof s, "user %d", i);
        cJSON_AddStringToObject(u, "name", s);
        snprintf(s, sizeof s, "user%d@example.org", i);
        cJSON_AddStringToObject(u, "email", s);
        cJSON_AddBoolToObject(u, "active", i % 3 != 0);
        cJSON_AddNumberToObject(u, "score", i * 1.5);
        cJSON_AddItemToObject(u, "tags", cJSON_Parse("[\"logging\",\"monitoring\"]"));
        cJSON_AddItemToArray(users, u);
    }
    return o;
}

/* msgpack.encode(): the cJSON tree, value by value, into MessagePack. */
static void pack(msgpack_packer *pk, const cJSON *v)
{
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        int n = cJSON_GetArraySize(v);
        if (cJSON_IsObject(v))
            msgpack_pack_map(pk, (size_t)n);
        else
            msgpack_pack_array(pk, (size_t)n);
        for (const cJSON *c = v->child; c; c = c->next) {
            if (cJSON_IsObject(v)) {
                size_t len = strlen(c->string);
                msgpack_pack_str(pk, len);
                msgpack_pack_str_body(pk, c->string, len);
            }
            pack(pk, c);
        }
    } else if (cJSON_IsString(v)) {
        size_t len = strlen(v->valuestring);
        msgpack_pack_str(pk, len);
        msgpack_pack_str_body(pk, v->valuestring, len);
    } else if (cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble) {
        msgpack_pack_int64(pk, (long long)v->valuedouble); /* a whole number: an int */
    } else if (cJSON_IsNumber(v)) {
        msgpack_pack_double(pk, v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        cJSON_IsTrue(v) ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    } else {
        msgpack_pack_nil(pk);
    }
}

/* The time of one of REPS runs of each way, in ns, and the bytes. */
static void measure(const cJSON *obj, msgpack_sbuffer *mp, size_t *json_bytes, double ns[4])
{
    uint64_t t = scope_time_now_ns();
    char *text = NULL;
    for (int i = 0; i < REPS; i++) { /* JSON.stringify */
        free(text);
        text = cJSON_PrintUnformatted(obj);
    }
    ns[0] = (double)(scope_time_now_ns() - t) / REPS;
    *json_bytes = strlen(text);
    t = scope_time_now_ns();
    for (int i = 0; i < REPS; i++) /* JSON.parse */
        cJSON_Delete(cJSON_Parse(text));
    ns[1] = (double)(scope_time_now_ns() - t) / REPS;
    free(text);
    t = scope_time_now_ns();
    for (int i = 0; i < REPS; i++) { /* msgpack.encode */
        msgpack_sbuffer_clear(mp);
        msgpack_packer pk;
        msgpack_packer_init(&pk, mp, msgpack_sbuffer_write);
        pack(&pk, obj);
    }
    ns[2] = (double)(scope_time_now_ns() - t) / REPS;
    t = scope_time_now_ns();
    for (int i = 0; i < REPS; i++) { /* msgpack.decode */
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        msgpack_unpack_next(&u, mp->data, mp->size, NULL);
        msgpack_unpacked_destroy(&u);
    }
    ns[3] = (double)(scope_time_now_ns() - t) / REPS;
}

/* JSON.stringify(buffer) on a JSON channel: {type:'Buffer', data:[bytes]}. */
static cJSON *as_buffer(const msgpack_sbuffer *mp)
{
    cJSON *m = cJSON_CreateObject(), *data;
    cJSON_AddStringToObject(m, "type", "Buffer");
    data = cJSON_AddArrayToObject(m, "data");
    for (size_t i = 0; i < mp->size; i++)
        cJSON_AddItemToArray(data, cJSON_CreateNumber((unsigned char)mp->data[i]));
    return m;
}

static int on_decoded(patterns_t *p, const cJSON *msg)
{
    if (!patterns_is(msg, "type", "decoded"))
        return PATTERNS_NOT_IT;
    char took[32];
    double ns = (double)(scope_time_now_ns() - z.t0);
    scope_events_log("the child decoded %s: %.0f users; the round trip took %s",
                     z.round == 1 ? scope_events_tr("the JSON object")
                                  : scope_events_tr("the Buffer's bytes as MessagePack"),
                     patterns_num(msg, "users"), scope_time_format(took, sizeof took, ns));
    scope_demo_figure(p->demo, z.round == 1 ? "serialization.json_channel_rtt_ns"
                                            : "serialization.buffer_channel_rtt_ns",
                      cJSON_CreateNumber(ns));
    scope_demo_check(p->demo, patterns_num(msg, "users") == USERS, "serialization",
                     "the child decoded %.0f users, not %d", patterns_num(msg, "users"), USERS);
    if (z.round++ == 2)
        return PATTERNS_DONE;
    z.t0 = scope_time_now_ns();
    int wire = patterns_send(p, z.buffer);
    z.buffer = NULL;
    scope_demo_figure(p->demo, "serialization.buffer_wire_bytes", cJSON_CreateNumber(wire));
    scope_events_log("child.send(msgpack.encode(largeObject)): a Buffer on a JSON channel, "
                     "%d bytes on the wire", wire);
    return PATTERNS_MORE;
}

static void figure(patterns_t *p, const char *name, double v)
{
    char key[64];
    snprintf(key, sizeof key, "serialization.%s", name);
    scope_demo_figure(p->demo, key, cJSON_CreateNumber(v));
}

void patterns_serialize(scope_demo_t *d)
{
    patterns_t *p = d->data;
    cJSON *obj = large_object(), *config = cJSON_Parse("{\"type\":\"config\",\"data\":{\"port\":"
        "3000,\"env\":\"production\",\"features\":[\"logging\",\"monitoring\"]}}");
    msgpack_sbuffer mp;
    msgpack_sbuffer_init(&mp);
    double ns[4];
    size_t json_bytes;
    measure(obj, &mp, &json_bytes, ns);
    scope_events_log("%d users: JSON %zu bytes, stringify %.0f us, parse %.0f us; MessagePack "
                     "%zu bytes, encode %.0f us, decode %.0f us", USERS, json_bytes, ns[0] / 1e3,
                     ns[1] / 1e3, mp.size, ns[2] / 1e3, ns[3] / 1e3);
    figure(p, "json_bytes", (double)json_bytes);
    figure(p, "msgpack_bytes", (double)mp.size);
    figure(p, "json_encode_ns", ns[0]);
    figure(p, "json_decode_ns", ns[1]);
    figure(p, "msgpack_encode_ns", ns[2]);
    figure(p, "msgpack_decode_ns", ns[3]);

    /* 004's config message, small: how a Buffer grows on a JSON channel. */
    msgpack_sbuffer small;
    msgpack_sbuffer_init(&small);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &small, msgpack_sbuffer_write);
    pack(&pk, config);
    cJSON *buf = as_buffer(&small);
    char *text = cJSON_PrintUnformatted(buf);
    scope_events_log("004's config message: %zu bytes of MessagePack become %zu characters of "
                     "JSON as a Buffer on a JSON channel", small.size, strlen(text));
    figure(p, "config_msgpack_bytes", (double)small.size);
    figure(p, "config_buffer_json_chars", (double)strlen(text));
    free(text);
    cJSON_Delete(buf);
    cJSON_Delete(config);
    msgpack_sbuffer_destroy(&small);

    /* Over the channel: the object as JSON, then the article's Buffer. */
    z.p = p;
    z.round = 1;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "large");
    cJSON_AddItemToObject(m, "data", obj);
    z.buffer = as_buffer(&mp);
    msgpack_sbuffer_destroy(&mp);
    z.t0 = scope_time_now_ns();
    int wire = patterns_send(p, m);
    figure(p, "json_wire_bytes", wire);
    scope_events_log("child.send({type: 'large', data: largeObject}): %d bytes on the wire", wire);
    patterns_await(p, on_decoded, 10000);
}
