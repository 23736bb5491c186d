/* trace: one line per message site. See trace.h. */
#include "trace.h"

#include <errno.h>
#include <string.h>

void scope_trace_init(scope_trace_t *t, const char *chan, scope_end_t self, scope_end_t peer)
{
    memset(t, 0, sizeof *t);
    snprintf(t->chan, sizeof t->chan, "%s", chan ? chan : "");
    t->self = self;
    scope_hist_reset(&t->latency);
    scope_hist_reset(&t->window);
    scope_rate_init(&t->rate, 0);
    scope_trace_set_peer(t, peer);
}

void scope_trace_set_peer(scope_trace_t *t, scope_end_t peer)
{
    t->peer = peer;
    if (peer.name) {
        snprintf(t->peer_name, sizeof t->peer_name, "%s", peer.name);
        t->peer.name = t->peer_name;
    }
}

void scope_trace_open(scope_trace_t *t, const char *kind, const char *detail)
{
    t->opened = 1;
    snprintf(t->kind, sizeof t->kind, "%s", kind ? kind : "");
    scope_events_chan("open", t->chan, t->kind, t->self, t->peer, detail);
}

void scope_trace_close(scope_trace_t *t)
{
    scope_trace_stats_stop(t);
    if (t->opened) {
        t->opened = 0;
        scope_events_chan("close", t->chan, t->kind, t->self, t->peer, NULL);
    }
}

void scope_trace_summarize(char *out, size_t outlen, const void *data, size_t len)
{
    if (!outlen)
        return;
    const unsigned char *p = data;
    size_t n = 0, keep = outlen - 1;
    if (!p)
        len = 0;
    /* The first line is what a person recognizes; a trailing newline is framing. */
    const unsigned char *nl = len ? memchr(p, '\n', len) : NULL;
    const unsigned char *nul = len ? memchr(p, '\0', nl ? (size_t)(nl - p) : len) : NULL;
    int more = 0;
    if (nul)
        nl = nul; /* a C string's end, or binary data: the summary stops there */
    if (nl) {
        more = (size_t)(nl - p) + 1 < len;
        len = (size_t)(nl - p);
    }
    char tmp[SCOPE_TRACE_SUMMARY * 2 + 8];
    if (len > sizeof tmp - 1) {
        len = sizeof tmp - 1;
        more = 1;
    }
    /* Peer bytes reach a terminal (narration) and a JSON line: control
     * characters (C0, DEL, and C1 such as 0x9b, a terminal's CSI) would act
     * on the terminal, and bytes that are not UTF-8 would make the line
     * invalid JSON. Each is shown as '.', whole characters are kept. */
    for (size_t i = 0; i < len && n < sizeof tmp - 4;) {
        size_t k = scope_events_char_len(p + i, len - i);
        if (k == 0) {
            tmp[n++] = '.';
            i++;
        } else {
            memcpy(tmp + n, p + i, k);
            n += k;
            i += k;
        }
    }
    if (more && n + 3 < sizeof tmp) {
        memcpy(tmp + n, "...", 3); /* more lines or bytes follow */
        n += 3;
    }
    tmp[n] = '\0';
    if (keep > SCOPE_TRACE_SUMMARY)
        keep = SCOPE_TRACE_SUMMARY;
    scope_events_cut_utf8(out, tmp, keep);
}

static scope_end_t from_of(const scope_trace_t *t, scope_trace_dir_t dir)
{
    return dir == SCOPE_TRACE_SEND ? t->self : t->peer;
}

static scope_end_t to_of(const scope_trace_t *t, scope_trace_dir_t dir)
{
    return dir == SCOPE_TRACE_SEND ? t->peer : t->self;
}

/* Counts one message; returns its id. */
static uint64_t count(scope_trace_t *t, scope_trace_dir_t dir, uint64_t id, size_t len,
                      uint64_t rtt_ns)
{
    uint64_t now = scope_time_now_ns();
    if (!t->first_ns)
        t->first_ns = now;
    t->last_ns = now;
    if (dir == SCOPE_TRACE_SEND) {
        t->sent++;
        t->bytes_sent += len;
        return id ? id : t->sent;
    }
    t->received++;
    t->bytes_received += len;
    scope_rate_add(&t->rate, now, len);
    if (rtt_ns) {
        scope_hist_add(&t->latency, rtt_ns);
        uint64_t since = scope_events_window_since();
        if (t->window_since != since) {
            t->window_since = since;
            scope_hist_reset(&t->window);
        }
        scope_hist_add(&t->window, rtt_ns);
        if (!t->rtt_from_ns)
            t->rtt_from_ns = now - rtt_ns;
        t->rtt_to_ns = now;
    }
    return id ? id : t->received;
}

uint64_t scope_trace_msg(scope_trace_t *t, scope_trace_dir_t dir, uint64_t id, const void *data,
                         size_t len, uint64_t rtt_ns)
{
    size_t wire = len + t->framing_bytes;
    id = count(t, dir, id, wire, rtt_ns);
    if (!scope_events_msg_admit())
        return id;
    char summary[SCOPE_TRACE_SUMMARY + 4];
    scope_trace_summarize(summary, sizeof summary, data, data ? len : 0);
    scope_events_msg_emit_admitted(dir == SCOPE_TRACE_SEND ? "send" : "recv", t->chan,
                                   from_of(t, dir), to_of(t, dir), id, wire, summary, rtt_ns);
    return id;
}

uint64_t scope_trace_note(scope_trace_t *t, scope_trace_dir_t dir, const char *label,
                          size_t bytes)
{
    uint64_t id = count(t, dir, 0, bytes, 0);
    if (!scope_events_msg_admit())
        return id;
    char summary[SCOPE_TRACE_SUMMARY + 4];
    scope_trace_summarize(summary, sizeof summary, label, label ? strlen(label) : 0);
    scope_events_msg_emit_admitted(dir == SCOPE_TRACE_SEND ? "send" : "recv", t->chan,
                                   from_of(t, dir), to_of(t, dir), id, bytes, summary, 0);
    return id;
}

uint64_t scope_trace_send(scope_trace_t *t, const void *data, size_t len)
{
    return scope_trace_msg(t, SCOPE_TRACE_SEND, 0, data, len, 0);
}

uint64_t scope_trace_recv(scope_trace_t *t, const void *data, size_t len)
{
    return scope_trace_msg(t, SCOPE_TRACE_RECV, 0, data, len, 0);
}

uint64_t scope_trace_reply(scope_trace_t *t, const void *data, size_t len, uint64_t rtt_ns)
{
    return scope_trace_msg(t, SCOPE_TRACE_RECV, 0, data, len, rtt_ns);
}

/* A JSON message is printed only when its event is admitted: at full speed
 * most are sampled out, and printing each would cost more than sending it. */
uint64_t scope_trace_json_id(const cJSON *msg)
{
    const cJSON *own = cJSON_GetObjectItemCaseSensitive(msg, "id");
    if (!cJSON_IsNumber(own) || own->valuedouble < 1 || own->valuedouble >= 1e15 ||
        own->valuedouble != (double)(uint64_t)own->valuedouble)
        return 0;
    return (uint64_t)own->valuedouble;
}

static uint64_t json_msg(scope_trace_t *t, scope_trace_dir_t dir, const cJSON *msg,
                         size_t wire_bytes, uint64_t rtt_ns)
{
    int admitted = scope_events_msg_admit();
    char *text = (admitted || !wire_bytes) ? cJSON_PrintUnformatted(msg) : NULL;
    if (!wire_bytes)
        wire_bytes = text ? strlen(text) + 1 : 0;
    uint64_t id = count(t, dir, scope_trace_json_id(msg), wire_bytes, rtt_ns);
    if (admitted) {
        char summary[SCOPE_TRACE_SUMMARY + 4];
        scope_events_cut_utf8(summary, text ? text : "", SCOPE_TRACE_SUMMARY);
        scope_events_msg_emit_admitted(dir == SCOPE_TRACE_SEND ? "send" : "recv", t->chan,
                                       from_of(t, dir), to_of(t, dir), id, wire_bytes, summary,
                                       rtt_ns);
    }
    cJSON_free(text);
    return id;
}

uint64_t scope_trace_send_json(scope_trace_t *t, const cJSON *msg, size_t wire_bytes)
{
    return json_msg(t, SCOPE_TRACE_SEND, msg, wire_bytes, 0);
}

uint64_t scope_trace_recv_json(scope_trace_t *t, const cJSON *msg, size_t wire_bytes,
                               uint64_t rtt_ns)
{
    return json_msg(t, SCOPE_TRACE_RECV, msg, wire_bytes, rtt_ns);
}

/* ---- stats -------------------------------------------------------------- */

/* Stats tell the figures' window: the round trips since rate or size last
 * changed, so that a new setting is not averaged with the old one. */
void scope_trace_stats(scope_trace_t *t)
{
    uint64_t since = scope_events_window_since();
    if (t->window_since != since) {
        t->window_since = since;
        scope_hist_reset(&t->window);
    }
    scope_events_stats(t->chan, &t->window, &t->rate, scope_time_now_ns());
}

static void on_stats_timer(uv_timer_t *timer)
{
    scope_trace_stats(timer->data);
}

int scope_trace_stats_start(scope_trace_t *t, uv_loop_t *loop, uint64_t every_ms)
{
    if (t->stats_running)
        return 0;
    int r = uv_timer_init(loop, &t->stats_timer);
    if (r < 0)
        return r;
    t->stats_timer.data = t;
    t->stats_running = 1;
    /* The figures must not keep a finished demo alive. */
    uv_unref((uv_handle_t *)&t->stats_timer);
    return uv_timer_start(&t->stats_timer, on_stats_timer, every_ms, every_ms);
}

void scope_trace_stats_stop(scope_trace_t *t)
{
    if (!t->stats_running)
        return;
    t->stats_running = 0;
    uv_close((uv_handle_t *)&t->stats_timer, NULL);
    scope_trace_stats(t); /* the last figures, so the screen ends on them */
}

void scope_trace_stats_loss(const scope_trace_t *t, uint64_t sent, cJSON *extra, int final)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "chan", t->chan);
    cJSON_AddNumberToObject(o, "count", (double)t->received);
    cJSON_AddNumberToObject(o, "bytes", (double)t->bytes_received);
    cJSON_AddNumberToObject(o, "sent", (double)sent);
    cJSON_AddNumberToObject(o, "received", (double)t->received);
    cJSON_AddNumberToObject(o, "dropped", (double)(sent > t->received ? sent - t->received : 0));
    cJSON_AddBoolToObject(o, "final", final);
    while (extra && extra->child) {
        cJSON *f = cJSON_DetachItemViaPointer(extra, extra->child);
        cJSON_AddItemToObject(o, f->string, f);
    }
    cJSON_Delete(extra);
    scope_events_emit("stats", o);
}

/* ---- what a bye says ---------------------------------------------------- */

void scope_trace_add_summary(const scope_trace_t *t, cJSON *o)
{
    scope_hist_summary_t h;
    scope_hist_summarize(&t->latency, &h);
    cJSON_AddNumberToObject(o, "sent", (double)t->sent);
    cJSON_AddNumberToObject(o, "received", (double)t->received);
    cJSON_AddNumberToObject(o, "round_trips", (double)h.count);
    cJSON_AddNumberToObject(o, "p50", (double)h.p50);
    cJSON_AddNumberToObject(o, "p99", (double)h.p99);
    if (h.count > 1 && t->rtt_to_ns > t->rtt_from_ns)
        cJSON_AddNumberToObject(o, "round_trips_per_s",
                                (double)h.count * 1e9 / (double)(t->rtt_to_ns - t->rtt_from_ns));
}

char *scope_trace_describe(const scope_trace_t *t, char *out, size_t outlen)
{
    scope_hist_summary_t h;
    scope_hist_summarize(&t->latency, &h);
    if (!h.count) {
        snprintf(out, outlen, "%s", scope_events_tr("no round trip measured"));
        return out;
    }
    char p50[32], p99[32];
    snprintf(out, outlen, scope_events_tr("%llu %s, median %s, p99 %s"),
             (unsigned long long)h.count,
             scope_events_trn("round trip", "round trips", (unsigned long)h.count),
             scope_time_format(p50, sizeof p50, (double)h.p50),
             scope_time_format(p99, sizeof p99, (double)h.p99));
    return out;
}

/* ---- figures between processes ----------------------------------------- */

cJSON *scope_hist_to_json(const scope_hist_t *h)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "count", (double)h->count);
    cJSON_AddNumberToObject(o, "min", h->count ? (double)h->min : 0);
    cJSON_AddNumberToObject(o, "max", (double)h->max);
    cJSON_AddNumberToObject(o, "sum", h->sum);
    cJSON *b = cJSON_AddArrayToObject(o, "buckets");
    for (unsigned i = 0; i < SCOPE_HIST_BUCKETS; i++) {
        if (!h->buckets[i])
            continue;
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateNumber(i));
        cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)h->buckets[i]));
        cJSON_AddItemToArray(b, pair);
    }
    return o;
}

static double number(const cJSON *o, const char *name, int *ok)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0) {
        *ok = 0;
        return 0;
    }
    return v->valuedouble;
}

int scope_hist_add_json(scope_hist_t *h, const cJSON *j)
{
    int ok = 1;
    double n = number(j, "count", &ok), lo = number(j, "min", &ok), hi = number(j, "max", &ok),
           sum = number(j, "sum", &ok);
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(j, "buckets");
    if (!ok || !cJSON_IsArray(b))
        return -EINVAL;
    /* Check every pair before adding any, so a bad report changes nothing. */
    uint64_t total = 0;
    const cJSON *pair;
    cJSON_ArrayForEach(pair, b)
    {
        const cJSON *i = cJSON_GetArrayItem(pair, 0), *c = cJSON_GetArrayItem(pair, 1);
        if (!cJSON_IsNumber(i) || !cJSON_IsNumber(c) || i->valuedouble < 0 ||
            i->valuedouble >= SCOPE_HIST_BUCKETS || c->valuedouble < 0)
            return -EINVAL;
        total += (uint64_t)c->valuedouble;
    }
    if (total != (uint64_t)n)
        return -EINVAL;
    cJSON_ArrayForEach(pair, b)
    {
        scope_hist_add_to_bucket(h, (unsigned)cJSON_GetArrayItem(pair, 0)->valuedouble,
                                 (uint64_t)cJSON_GetArrayItem(pair, 1)->valuedouble);
    }
    if (n > 0) {
        if ((uint64_t)lo < h->min)
            h->min = (uint64_t)lo;
        if ((uint64_t)hi > h->max)
            h->max = (uint64_t)hi;
    }
    h->count += (uint64_t)n;
    h->sum += sum;
    return 0;
}

cJSON *scope_trace_figures(const scope_trace_t *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "chan", t->chan);
    cJSON_AddNumberToObject(o, "sent", (double)t->sent);
    cJSON_AddNumberToObject(o, "received", (double)t->received);
    cJSON_AddNumberToObject(o, "bytes_sent", (double)t->bytes_sent);
    cJSON_AddNumberToObject(o, "bytes_received", (double)t->bytes_received);
    cJSON_AddNumberToObject(o, "first_ns", (double)t->first_ns);
    cJSON_AddNumberToObject(o, "last_ns", (double)t->last_ns);
    cJSON_AddNumberToObject(o, "rtt_from_ns", (double)t->rtt_from_ns);
    cJSON_AddNumberToObject(o, "rtt_to_ns", (double)t->rtt_to_ns);
    cJSON_AddItemToObject(o, "latency", scope_hist_to_json(&t->latency));
    return o;
}

int scope_trace_add_figures(scope_trace_t *t, const cJSON *f)
{
    int ok = 1;
    double sent = number(f, "sent", &ok), received = number(f, "received", &ok),
           bs = number(f, "bytes_sent", &ok), br = number(f, "bytes_received", &ok),
           first = number(f, "first_ns", &ok), last = number(f, "last_ns", &ok);
    if (!ok)
        return -EINVAL;
    scope_hist_t h;
    scope_hist_reset(&h);
    int r = scope_hist_add_json(&h, cJSON_GetObjectItemCaseSensitive(f, "latency"));
    if (r < 0)
        return r;
    scope_hist_merge(&t->latency, &h);
    t->sent += (uint64_t)sent;
    t->received += (uint64_t)received;
    t->bytes_sent += (uint64_t)bs;
    t->bytes_received += (uint64_t)br;
    if (first > 0 && (!t->first_ns || (uint64_t)first < t->first_ns))
        t->first_ns = (uint64_t)first;
    if ((uint64_t)last > t->last_ns)
        t->last_ns = (uint64_t)last;
    /* Round trips of several processes at once: the span from the first
     * one's start to the last one's end. Older figures may lack it. */
    int have_span = 1;
    double from = number(f, "rtt_from_ns", &have_span), to = number(f, "rtt_to_ns", &have_span);
    if (have_span && from > 0 && (!t->rtt_from_ns || (uint64_t)from < t->rtt_from_ns))
        t->rtt_from_ns = (uint64_t)from;
    if (have_span && (uint64_t)to > t->rtt_to_ns)
        t->rtt_to_ns = (uint64_t)to;
    return 0;
}
