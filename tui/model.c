/* model: the demo as its events describe it. See model.h.
 *
 * Every input is checked: a demo is someone else's program, and a field of the
 * wrong type or a pid out of range must cost one refused event, never a crash
 * or a corrupted table. Tables are fixed-size; what does not fit is folded into
 * the last lane or left without a channel, and said so by the counters.
 */
#include "model.h"

#include "events.h"
#include "text.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

tui_model_t *tui_model_new(void)
{
    tui_model_t *m = calloc(1, sizeof *m);
    if (m)
        tui_model_reset(m);
    return m;
}

void tui_model_reset(tui_model_t *m)
{
    for (int i = 0; i < m->nchans; i++)
        free(m->chans[i].hist);
    memset(m, 0, sizeof *m);
    m->generation = 1;
}

void tui_model_free(tui_model_t *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->nchans; i++)
        free(m->chans[i].hist);
    free(m);
}

/* ---- field access ------------------------------------------------------- */

static const char *str(const cJSON *o, const char *name, const char *dflt)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(f) && f->valuestring ? f->valuestring : dflt;
}

static int has_num(const cJSON *o, const char *name)
{
    return cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, name));
}

static double num(const cJSON *o, const char *name, double dflt)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(f) ? f->valuedouble : dflt;
}

/* A non-negative count or time in ns; garbage reads as 0. */
static uint64_t u64(const cJSON *o, const char *name)
{
    double v = num(o, name, 0);
    return v > 0 && v < 1.8e19 ? (uint64_t)v : 0;
}

/* A whole number held within [lo, hi] (garbage reads as 0, then held): a
 * double beyond the range of the integer it is converted to is undefined
 * behaviour in C, and {"code":1e300} is only a line away. */
static long whole(const cJSON *o, const char *name, double lo, double hi)
{
    double v = num(o, name, 0);
    return v < lo ? (long)lo : v > hi ? (long)hi : (long)v;
}

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

/* An end is a pid (a number) or an outside peer (a string). */
static int parse_end(const cJSON *o, const char *name, tui_end_t *e)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
    memset(e, 0, sizeof *e);
    if (cJSON_IsNumber(f) && f->valuedouble >= 0 && f->valuedouble < 1e9) {
        e->pid = (long)f->valuedouble;
        return 0;
    }
    if (cJSON_IsString(f) && f->valuestring[0]) {
        e->pid = -1;
        copy(e->name, sizeof e->name, f->valuestring);
        return 0;
    }
    return -EINVAL;
}

static int end_eq(const tui_end_t *a, const tui_end_t *b)
{
    return a->pid == b->pid && (a->pid >= 0 || strcmp(a->name, b->name) == 0);
}

/* ---- tables --------------------------------------------------------------- */

_Static_assert(TUI_MODEL_MAX_LANES <= 32, "tui_chan_t.senders has a bit per lane");

static int lane_of(tui_model_t *m, const tui_end_t *e)
{
    for (int i = 0; i < m->nlanes; i++)
        if (end_eq(&m->lanes[i], e))
            return i;
    if (m->nlanes == TUI_MODEL_MAX_LANES)
        return TUI_MODEL_MAX_LANES - 1;
    if (m->nlanes == TUI_MODEL_MAX_LANES - 1) {
        /* The last lane stands for every end that comes after, and says so,
         * rather than bearing the name of whichever came first. */
        m->lanes[m->nlanes].pid = -1;
        copy(m->lanes[m->nlanes].name, sizeof m->lanes[m->nlanes].name, "others");
        return m->nlanes++;
    }
    m->lanes[m->nlanes] = *e;
    return m->nlanes++;
}

static int chan_of(tui_model_t *m, const char *id)
{
    if (!id || !*id)
        return -1;
    for (int i = 0; i < m->nchans; i++)
        if (strcmp(m->chans[i].id, id) == 0)
            return i;
    if (m->nchans == TUI_MODEL_MAX_CHANS)
        return -1;
    tui_chan_t *c = &m->chans[m->nchans];
    memset(c, 0, sizeof *c);
    copy(c->id, sizeof c->id, id);
    c->a.pid = c->b.pid = -1;
    return m->nchans++;
}

static tui_proc_t *proc_of(tui_model_t *m, long pid)
{
    for (int i = 0; i < m->nprocs; i++)
        if (m->procs[i].pid == pid)
            return &m->procs[i];
    if (m->nprocs == TUI_MODEL_MAX_PROCS) {
        /* Forget the oldest exited process to make room. */
        int victim = -1;
        for (int i = 0; i < m->nprocs && victim < 0; i++)
            if (m->procs[i].state == TUI_PROC_EXITED)
                victim = i;
        if (victim < 0)
            return NULL;
        memmove(&m->procs[victim], &m->procs[victim + 1],
                (size_t)(m->nprocs - victim - 1) * sizeof m->procs[0]);
        m->nprocs--;
    }
    tui_proc_t *p = &m->procs[m->nprocs++];
    memset(p, 0, sizeof *p);
    p->pid = pid;
    return p;
}

const tui_proc_t *tui_model_proc(const tui_model_t *m, long pid)
{
    for (int i = 0; i < m->nprocs; i++)
        if (m->procs[i].pid == pid)
            return &m->procs[i];
    return NULL;
}

static tui_log_t *log_push(tui_model_t *m, uint64_t t, long pid, tui_log_kind_t kind)
{
    size_t i = (m->log_head + m->log_len) % TUI_MODEL_LOG_LINES;
    if (m->log_len == TUI_MODEL_LOG_LINES)
        m->log_head = (m->log_head + 1) % TUI_MODEL_LOG_LINES;
    else
        m->log_len++;
    tui_log_t *l = &m->log[i];
    memset(l, 0, sizeof *l);
    l->t = t;
    l->pid = pid;
    l->subject = pid;
    l->kind = kind;
    return l;
}

const tui_log_t *tui_model_log_get(const tui_model_t *m, size_t i)
{
    if (i >= m->log_len)
        return NULL;
    return &m->log[(m->log_head + i) % TUI_MODEL_LOG_LINES];
}

const tui_flow_t *tui_model_flow_get(const tui_model_t *m, size_t i)
{
    if (i >= m->flow_len)
        return NULL;
    return &m->flow[(m->flow_head + i) % TUI_MODEL_FLOW_ROWS];
}

static tui_flow_t *flow_at(tui_model_t *m, size_t i)
{
    return &m->flow[(m->flow_head + i) % TUI_MODEL_FLOW_ROWS];
}

void tui_model_lane_label(const tui_model_t *m, int lane, char *out, size_t n)
{
    if (lane < 0 || lane >= m->nlanes) {
        copy(out, n, "?");
        return;
    }
    const tui_end_t *e = &m->lanes[lane];
    if (e->pid < 0) {
        copy(out, n, e->name);
        return;
    }
    const tui_proc_t *p = tui_model_proc(m, e->pid);
    if (p && p->role[0])
        snprintf(out, n, "%s %ld", p->role, e->pid);
    else
        snprintf(out, n, "%ld", e->pid);
}

void tui_model_lane_role(const tui_model_t *m, int lane, char *out, size_t n)
{
    const tui_end_t *e = lane >= 0 && lane < m->nlanes ? &m->lanes[lane] : NULL;
    const tui_proc_t *p = e && e->pid >= 0 ? tui_model_proc(m, e->pid) : NULL;
    if (p && p->role[0])
        copy(out, n, p->role);
    else
        tui_model_lane_label(m, lane, out, n);
}

void tui_model_lane_label_fit(const tui_model_t *m, int lane, int cols, char *out, size_t n)
{
    tui_model_lane_label(m, lane, out, n);
    if (cols <= 0 || tui_text_width(out) <= cols)
        return;
    const tui_end_t *e = lane >= 0 && lane < m->nlanes ? &m->lanes[lane] : NULL;
    const tui_proc_t *p = e && e->pid >= 0 ? tui_model_proc(m, e->pid) : NULL;
    if (p && p->role[0]) {
        copy(out, n, p->role);
        if (tui_text_width(out) <= cols)
            return;
        /* "client 12": keep " 12", shorten "client"; "bad client 5": drop
         * whole words first ("bad 5"), since a word cut short reads as a typo */
        const char *sp = strrchr(p->role, ' ');
        if (sp && sp[1] && strspn(sp + 1, "0123456789") == strlen(sp + 1)) {
            int digits = (int)strlen(sp + 1);
            int word = cols - digits - 1; /* room for the words before a space */
            for (int i = word; i > 0 && i < (int)(sp - p->role); i--)
                if (p->role[i] == ' ') {
                    word = i;
                    break;
                }
            if (word >= 1)
                snprintf(out, n, "%.*s %s", word, p->role, sp + 1);
            else if (cols > digits)
                snprintf(out, n, "%c%s", p->role[0], sp + 1);
            else
                copy(out, n, sp + 1);
            return;
        }
    }
    size_t keep = tui_text_fit(out, cols, NULL);
    if (keep < n)
        out[keep] = '\0';
}

/* ---- latency ------------------------------------------------------------ */

static void spark_advance(tui_chan_t *c, uint64_t sec)
{
    if (!c->spark_valid) {
        c->spark_valid = 1;
        c->spark_sec = sec;
        return;
    }
    if (sec <= c->spark_sec)
        return;
    uint64_t d = sec - c->spark_sec;
    if (d >= TUI_MODEL_SPARK) {
        memset(c->spark_lat, 0, sizeof c->spark_lat);
        memset(c->spark_latn, 0, sizeof c->spark_latn);
        memset(c->spark_msgs, 0, sizeof c->spark_msgs);
    } else {
        size_t keep = TUI_MODEL_SPARK - (size_t)d;
        memmove(c->spark_lat, c->spark_lat + d, keep * sizeof c->spark_lat[0]);
        memmove(c->spark_latn, c->spark_latn + d, keep * sizeof c->spark_latn[0]);
        memmove(c->spark_msgs, c->spark_msgs + d, keep * sizeof c->spark_msgs[0]);
        memset(c->spark_lat + keep, 0, (size_t)d * sizeof c->spark_lat[0]);
        memset(c->spark_latn + keep, 0, (size_t)d * sizeof c->spark_latn[0]);
        memset(c->spark_msgs + keep, 0, (size_t)d * sizeof c->spark_msgs[0]);
    }
    c->spark_sec = sec;
}

/* The sparkline slot of second sec, or -1 when it is older than the line. */
static int spark_slot(tui_chan_t *c, uint64_t t)
{
    uint64_t sec = t / 1000000000ull;
    spark_advance(c, sec);
    if (sec + TUI_MODEL_SPARK <= c->spark_sec)
        return -1;
    return (int)(TUI_MODEL_SPARK - 1 - (c->spark_sec - sec));
}

static void add_latency(tui_chan_t *c, uint64_t t, uint64_t lat)
{
    if (!c->hist && (c->hist = malloc(sizeof *c->hist)))
        scope_hist_reset(c->hist);
    if (c->hist)
        scope_hist_add(c->hist, lat);
    c->lat_count++;
    if (lat > c->lat_max)
        c->lat_max = lat;
    int bin = 0;
    while (bin < TUI_MODEL_LOG2_BINS - 1 && (lat >> (bin + 1)) != 0)
        bin++;
    c->log2[bin]++;
    int s = spark_slot(c, t);
    if (s >= 0) {
        c->spark_lat[s] += (double)lat;
        c->spark_latn[s]++;
    }
}

void tui_model_chan_summary(const tui_model_t *m, int chan, scope_hist_summary_t *out)
{
    memset(out, 0, sizeof *out);
    if (chan < 0 || chan >= m->nchans)
        return;
    const tui_chan_t *c = &m->chans[chan];
    if (c->have_stats) {
        *out = (scope_hist_summary_t){c->count, c->min, c->max, c->p50,
                                      c->p90,   c->p99, c->p999, c->mean};
        return;
    }
    if (c->hist)
        scope_hist_summarize(c->hist, out);
    if (!out->count)
        out->min = 0;
}

void tui_model_spark(const tui_model_t *m, int chan, uint64_t now_ns,
                     double lat[TUI_MODEL_SPARK], uint64_t msgs[TUI_MODEL_SPARK])
{
    memset(lat, 0, TUI_MODEL_SPARK * sizeof lat[0]);
    memset(msgs, 0, TUI_MODEL_SPARK * sizeof msgs[0]);
    if (chan < 0 || chan >= m->nchans || !m->chans[chan].spark_valid)
        return;
    const tui_chan_t *c = &m->chans[chan];
    uint64_t now_sec = now_ns / 1000000000ull;
    if (now_sec < c->spark_sec)
        now_sec = c->spark_sec;
    uint64_t shift = now_sec - c->spark_sec;
    /* Display slot i is second now_sec - (SPARK-1-i), stored in slot i + shift. */
    for (uint64_t i = 0; i + shift < TUI_MODEL_SPARK; i++) {
        uint64_t j = i + shift;
        lat[i] = c->spark_latn[j] ? c->spark_lat[j] / (double)c->spark_latn[j] : 0;
        msgs[i] = c->spark_msgs[j];
    }
}

/* ---- the flow ----------------------------------------------------------- */

static tui_flow_t *flow_new_row(tui_model_t *m)
{
    size_t i = (m->flow_head + m->flow_len) % TUI_MODEL_FLOW_ROWS;
    if (m->flow_len == TUI_MODEL_FLOW_ROWS)
        m->flow_head = (m->flow_head + 1) % TUI_MODEL_FLOW_ROWS;
    else
        m->flow_len++;
    m->flow_total++;
    tui_flow_t *r = &m->flow[i];
    memset(r, 0, sizeof *r);
    return r;
}

/* An error in the flow, where it happened: a row on the lane of the process
 * that reported it (an injected fault, a refused line, a lost datagram), so
 * that it shows among the messages and not only in the narration. */
static void flow_error(tui_model_t *m, uint64_t t, long pid, const char *what, const char *text)
{
    tui_end_t e = {.pid = pid};
    int lane = pid > 0 ? lane_of(m, &e) : -1;
    if (lane < 0)
        return;
    tui_flow_t *r = flow_new_row(m);
    r->t = r->t_last = t;
    r->from = r->to = lane;
    r->chan = -1;
    r->count = 1;
    r->error = 1;
    /* the narration keeps the whole text; the row what fits */
    snprintf(r->summary, sizeof r->summary, "%.*s", (int)sizeof r->summary - 1, text);
    snprintf(r->label, sizeof r->label, "%.*s", (int)sizeof r->label - 1, what);
}

static void row_add_latency(tui_flow_t *r, uint64_t lat)
{
    if (!lat)
        return;
    if (r->count == 1) {
        r->lat_ns = lat;
        r->completed = 1;
        return;
    }
    r->lat_sum += lat;
    r->lat_n++;
    if (lat > r->lat_ns)
        r->lat_ns = lat;
    r->completed = 1;
}

static const char *const label_keys[] = {"cmd", "type", "action", "status"};

static int is_label_key(const char *key, size_t len)
{
    for (size_t k = 0; k < sizeof label_keys / sizeof label_keys[0]; k++)
        if (strlen(label_keys[k]) == len && strncmp(key, label_keys[k], len) == 0)
            return 1;
    return 0;
}

/* A summary the emitter cut short is no longer JSON: read its first key, and
 * the string value of that key when it is one of label_keys. */
static int scan_label(const char *s, char *name, size_t n)
{
    if (s[0] != '{' || s[1] != '"')
        return 0;
    const char *key = s + 2, *end = strchr(key, '"');
    if (!end || end == key)
        return 0;
    size_t klen = (size_t)(end - key);
    if (is_label_key(key, klen) && strncmp(end, "\":\"", 3) == 0) {
        const char *v = end + 3, *vend = strchr(v, '"');
        if (vend && vend > v) {
            snprintf(name, n, "%.*s", (int)(vend - v), v);
            return 1;
        }
    }
    snprintf(name, n, "%.*s", (int)klen, key);
    return 1;
}

/* Node's cluster protocol ({"cmd":"NODE_CLUSTER","act":"online"}, or a
 * newconn inside a NODE_HANDLE line, often cut short): its act, marked as
 * node's own ("node:online"), not the same "NODE_CLUSTER" on every arrow. A
 * message without an act answers one ({"ack": its seq}): "node:ack". */
static int cluster_label(const char *s, char *name, size_t n)
{
    if (strncmp(s, "{\"cmd\":\"NODE_", 13) != 0 || !strstr(s, "\"NODE_CLUSTER\""))
        return 0;
    const char *act = strstr(s, "\"act\":\""), *end = act ? strchr(act + 7, '"') : NULL;
    if (end)
        snprintf(name, n, "node:%.*s", (int)(end - act - 7), act + 7);
    else
        snprintf(name, n, "node:ack");
    return 1;
}

void tui_model_short_label(const char *summary, uint64_t id, char *out, size_t n)
{
    char name[40] = "";
    int found = cluster_label(summary, name, sizeof name);
    cJSON *j = !found && summary[0] == '{' ? cJSON_Parse(summary) : NULL;
    if (cJSON_IsObject(j)) {
        for (size_t k = 0; k < sizeof label_keys / sizeof label_keys[0] && !found; k++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, label_keys[k]);
            if (cJSON_IsString(v) && v->valuestring[0]) {
                snprintf(name, sizeof name, "%s", v->valuestring);
                found = 1;
            }
        }
        if (!found && j->child && j->child->string) {
            snprintf(name, sizeof name, "%s", j->child->string);
            found = 1;
        }
    } else if (!found) {
        found = scan_label(summary, name, sizeof name);
    }
    cJSON_Delete(j);
    if (!found)
        copy(out, n, summary);
    else if (id)
        snprintf(out, n, "%s #%llu", name, (unsigned long long)id);
    else
        snprintf(out, n, "%s", name);
}

/* Adds a message as an arrow, or folds it into this slice's arrow of the same
 * lanes and channel once the slice already holds TUI_MODEL_AGG_AFTER arrows:
 * beyond that an eye cannot follow single arrows anyway. */
static void flow_add(tui_model_t *m, uint64_t t, int from, int to, int chan, uint64_t id,
                     uint64_t bytes, const char *summary, uint64_t lat)
{
    uint64_t slice = t / TUI_MODEL_SLICE_NS;
    if (slice > m->slice || m->flow_total == 0) {
        m->slice = slice;
        m->slice_rows = 0;
    }
    if (m->slice_rows >= (m->fold_after ? m->fold_after : TUI_MODEL_AGG_AFTER)) {
        for (size_t k = m->flow_len; k-- > 0;) {
            tui_flow_t *r = flow_at(m, k);
            if (r->t / TUI_MODEL_SLICE_NS < m->slice)
                break;
            if (r->from != from || r->to != to || r->chan != chan)
                continue;
            if (r->count == 1) {
                r->lat_sum = r->lat_ns;
                r->lat_n = r->lat_ns ? 1 : 0;
            }
            r->count++;
            r->bytes += bytes;
            if (t > r->t_last)
                r->t_last = t;
            if (id < r->first_id)
                r->first_id = id;
            if (id > r->last_id)
                r->last_id = id;
            copy(r->summary, sizeof r->summary, summary);
            if (lat) {
                r->lat_sum += lat;
                r->lat_n++;
                if (lat > r->lat_ns)
                    r->lat_ns = lat;
                r->completed = 1;
            }
            m->generation++;
            return;
        }
    }
    tui_flow_t *r = flow_new_row(m);
    r->t = r->t_last = t;
    r->from = from;
    r->to = to;
    r->chan = chan;
    r->first_id = r->last_id = id;
    r->count = 1;
    r->bytes = bytes;
    r->lat_ns = lat;
    r->completed = lat != 0;
    copy(r->summary, sizeof r->summary, summary);
    tui_model_short_label(summary, id, r->label, sizeof r->label);
    m->slice_rows++;
    m->generation++;
}

/* A recv completes the arrow its send drew: same channel, lanes and id. */
static int flow_complete(tui_model_t *m, int from, int to, int chan, uint64_t id, uint64_t lat)
{
    size_t looked = 0;
    for (size_t k = m->flow_len; k-- > 0 && looked < 512; looked++) {
        tui_flow_t *r = flow_at(m, k);
        if (r->from == from && r->to == to && r->chan == chan && id >= r->first_id &&
            id <= r->last_id) {
            row_add_latency(r, lat);
            r->completed = 1;
            m->generation++;
            return 1;
        }
    }
    return 0;
}

static void count_msg(tui_model_t *m, int chan, uint64_t t, uint64_t bytes)
{
    m->msgs_total++;
    if (chan < 0)
        return;
    tui_chan_t *c = &m->chans[chan];
    c->msgs++;
    c->msg_bytes += bytes;
    int s = spark_slot(c, t);
    if (s >= 0)
        c->spark_msgs[s]++;
}

static int take_msg(tui_model_t *m, const cJSON *ev, uint64_t t)
{
    tui_end_t from, to;
    if (parse_end(ev, "from", &from) < 0 || parse_end(ev, "to", &to) < 0)
        return -EINVAL;
    const char *dir = str(ev, "dir", "");
    int send = strcmp(dir, "send") == 0;
    if (!send && strcmp(dir, "recv") != 0)
        return -EINVAL;
    int chan = chan_of(m, str(ev, "chan", ""));
    int a = lane_of(m, &from), b = lane_of(m, &to);
    uint64_t id = u64(ev, "id"), bytes = u64(ev, "bytes"), lat = u64(ev, "lat");
    const char *summary = str(ev, "summary", "");

    if (!send) {
        if (lat && chan >= 0)
            add_latency(&m->chans[chan], t, lat);
        if (flow_complete(m, a, b, chan, id, lat))
            return 0;
        if (chan >= 0 && a >= 0 && (m->chans[chan].senders >> a) & 1) {
            /* Its send is still on the way (another process's write): keep
             * the latency until it comes. */
            int i = m->norphans < 32 ? m->norphans++ : (int)(id % 32);
            m->orphans[i].chan = chan;
            m->orphans[i].from = a;
            m->orphans[i].to = b;
            m->orphans[i].id = id;
            m->orphans[i].lat = lat;
            return 0;
        }
        count_msg(m, chan, t, bytes);
        flow_add(m, t, a, b, chan, id, bytes, summary, lat);
        return 0;
    }
    if (chan >= 0 && a >= 0)
        m->chans[chan].senders |= 1u << a;
    count_msg(m, chan, t, bytes);
    uint64_t early = 0;
    int completed = 0;
    for (int i = 0; i < m->norphans; i++)
        if (m->orphans[i].chan == chan && m->orphans[i].from == a && m->orphans[i].to == b &&
            m->orphans[i].id == id) {
            early = m->orphans[i].lat;
            completed = 1;
            m->orphans[i] = m->orphans[--m->norphans];
            break;
        }
    flow_add(m, t, a, b, chan, id, bytes, summary, early);
    if (completed && !early) {
        tui_flow_t *r = flow_at(m, m->flow_len - 1);
        if (r->count == 1 && r->first_id == id)
            r->completed = 1;
    }
    return 0;
}

/* ---- the other kinds ---------------------------------------------------- */

static int take_proc(tui_model_t *m, const cJSON *ev, uint64_t t, long sender)
{
    const char *state = str(ev, "state", "");
    double pidv = num(ev, "proc", (double)sender);
    if (pidv < 0 || pidv > 1e9)
        return -EINVAL;
    long pid = (long)pidv;
    tui_proc_t *p = proc_of(m, pid);
    if (!p)
        return -ENOSPC;
    if (has_num(ev, "ppid"))
        p->ppid = whole(ev, "ppid", -1, 1e9);
    const char *role = str(ev, "role", NULL);
    if (role && *role)
        copy(p->role, sizeof p->role, role);
    tui_log_t *l;
    if (strcmp(state, "exit") == 0) {
        p->state = TUI_PROC_EXITED;
        p->t_exit = t;
        copy(p->signal, sizeof p->signal, str(ev, "signal", ""));
        p->code = (int)whole(ev, "code", INT_MIN, INT_MAX);
        l = log_push(m, t, sender, TUI_LOG_PROC_EXIT);
        l->n = p->code;
        copy(l->extra, sizeof l->extra, p->signal[0] ? p->signal : p->asked);
        l->after_signal = !p->signal[0] && p->asked[0];
    } else if (strcmp(state, "start") == 0 || strcmp(state, "ready") == 0) {
        int ready = state[0] == 'r';
        if (p->state != TUI_PROC_EXITED)
            p->state = ready ? TUI_PROC_READY : TUI_PROC_STARTED;
        if (!p->t_start)
            p->t_start = t;
        l = log_push(m, t, sender, ready ? TUI_LOG_PROC_READY : TUI_LOG_PROC_START);
    } else {
        return -EINVAL;
    }
    l->subject = pid;
    copy(l->text, sizeof l->text, p->role);
    tui_end_t e = {.pid = pid};
    lane_of(m, &e);
    return 0;
}

static int take_chan(tui_model_t *m, const cJSON *ev, uint64_t t, long sender)
{
    tui_end_t a, b;
    if (parse_end(ev, "a", &a) < 0 || parse_end(ev, "b", &b) < 0)
        return -EINVAL;
    int ci = chan_of(m, str(ev, "id", ""));
    if (ci < 0)
        return -EINVAL;
    tui_chan_t *c = &m->chans[ci];
    c->a = a;
    c->b = b;
    copy(c->kind, sizeof c->kind, str(ev, "kind", "?"));
    copy(c->detail, sizeof c->detail, str(ev, "detail", ""));
    c->open = strcmp(str(ev, "state", "open"), "close") != 0;
    lane_of(m, &a);
    lane_of(m, &b);
    tui_log_t *l = log_push(m, t, sender, TUI_LOG_CHAN);
    char ea[40], eb[40];
    if (a.pid >= 0)
        snprintf(ea, sizeof ea, "%ld", a.pid);
    else
        copy(ea, sizeof ea, a.name);
    if (b.pid >= 0)
        snprintf(eb, sizeof eb, "%ld", b.pid);
    else
        copy(eb, sizeof eb, b.name);
    char text[sizeof l->text];
    snprintf(text, sizeof text, "%s (%s): %s <-> %s%s%s", c->id, c->kind, ea, eb,
             c->detail[0] ? ", " : "", c->detail);
    l->n = c->open; /* the view says opened or closed, in the screen's language */
    memcpy(l->text, text, sizeof text);
    return 0;
}

static int take_stats(tui_model_t *m, const cJSON *ev, uint64_t t)
{
    int ci = chan_of(m, str(ev, "chan", ""));
    if (ci < 0)
        return -EINVAL;
    tui_chan_t *c = &m->chans[ci];
    c->have_stats = 1;
    c->count = u64(ev, "count");
    c->bytes = u64(ev, "bytes");
    c->min = u64(ev, "min");
    c->p50 = u64(ev, "p50");
    c->p90 = u64(ev, "p90");
    c->p99 = u64(ev, "p99");
    c->p999 = u64(ev, "p999");
    c->max = u64(ev, "max");
    c->mean = num(ev, "mean", 0);
    c->rate = num(ev, "rate", 0);
    c->bps = num(ev, "bps", 0);
    c->sample = num(ev, "sample", 1);
    if (u64(ev, "since") != c->since) {
        /* rate or size changed: the latencies seen here start again too, so
         * that the histogram and the percentiles tell the same window */
        c->since = u64(ev, "since");
        c->since_step = (unsigned)u64(ev, "since_step");
        c->lat_count = c->lat_max = 0;
        memset(c->log2, 0, sizeof c->log2);
        if (c->hist)
            scope_hist_reset(c->hist);
    }
    if (has_num(ev, "rejected"))
        c->rejected = u64(ev, "rejected");
    if (has_num(ev, "dropped") && has_num(ev, "sent")) {
        c->have_loss = 1;
        c->sent = u64(ev, "sent");
        c->received = u64(ev, "received");
        c->dropped = u64(ev, "dropped");
    }
    spark_slot(c, t);
    return 0;
}

/* A line of narration. The same line again from the same process, with
 * nothing between (a key held down: "control: step"), is folded into the
 * one before it, counted, so the explanations stay on screen. */
static void take_log(tui_model_t *m, uint64_t t, long pid, const char *text)
{
    if (m->log_len) {
        tui_log_t *last = &m->log[(m->log_head + m->log_len - 1) % TUI_MODEL_LOG_LINES];
        if (last->kind == TUI_LOG_TEXT && last->pid == pid && strncmp(last->text, text,
                                                                         sizeof last->text) == 0) {
            last->n = last->n ? last->n + 1 : 2;
            last->t = t;
            return;
        }
    }
    tui_log_t *l = log_push(m, t, pid, TUI_LOG_TEXT);
    copy(l->text, sizeof l->text, text);
}

/* A process's count of events it dropped (its reader, we, fell behind):
 * the latest count of each process, added up. */
static void take_events_dropped(tui_model_t *m, long pid, uint64_t n)
{
    tui_proc_t *p = proc_of(m, pid);
    if (!p || n <= p->events_dropped)
        return;
    m->events_dropped += n - p->events_dropped;
    p->events_dropped = n;
}

int tui_model_feed(tui_model_t *m, const cJSON *ev)
{
    const char *kind = str(ev, "ev", NULL);
    if (!cJSON_IsObject(ev) || !kind || !has_num(ev, "v") || !has_num(ev, "t") ||
        !has_num(ev, "pid") || num(ev, "pid", -1) < 0 || num(ev, "pid", -1) > 1e9) {
        m->refused++;
        return -EINVAL;
    }
    if (num(ev, "v", 0) != SCOPE_EVENTS_VERSION) {
        /* Another version may mean other fields: reading it as ours could
         * show something false. docs/PROTOCOL.md, the version rule. */
        m->refused++;
        return -EPROTONOSUPPORT;
    }
    uint64_t t = u64(ev, "t");
    long pid = (long)num(ev, "pid", 0);
    if (t > m->now)
        m->now = t;
    if (!m->t0 || (t && t < m->t0))
        m->t0 = t;
    int r = 0;
    tui_log_t *l;

    if (strcmp(kind, "msg") == 0) {
        r = take_msg(m, ev, t);
    } else if (strcmp(kind, "log") == 0) {
        take_log(m, t, pid, str(ev, "text", ""));
    } else if (strcmp(kind, "stats") == 0) {
        r = take_stats(m, ev, t);
    } else if (strcmp(kind, "proc") == 0) {
        r = take_proc(m, ev, t, pid);
    } else if (strcmp(kind, "chan") == 0) {
        r = take_chan(m, ev, t, pid);
    } else if (strcmp(kind, "hello") == 0) {
        copy(m->demo, sizeof m->demo, str(ev, "demo", ""));
        copy(m->title, sizeof m->title, str(ev, "title", ""));
        m->nfaults = 0;
        const cJSON *f, *faults = cJSON_GetObjectItemCaseSensitive(ev, "faults");
        cJSON_ArrayForEach(f, faults)
        {
            if (cJSON_IsString(f) && m->nfaults < 8)
                copy(m->faults[m->nfaults++], sizeof m->faults[0], f->valuestring);
        }
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(ev, "params");
        if (cJSON_IsObject(p)) {
            m->rate = num(p, "rate", 0);
            m->size = whole(p, "size", 0, 1e15);
            m->count = whole(p, "count", 0, 1e15);
            m->step_mode = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "step"));
        }
        l = log_push(m, t, pid, TUI_LOG_HELLO);
        snprintf(l->text, sizeof l->text, "%s: %s", str(ev, "demo", ""), str(ev, "title", ""));
    } else if (strcmp(kind, "step") == 0) {
        m->step_n = (int)whole(ev, "n", INT_MIN, INT_MAX);
        m->step_waiting = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "waiting"));
        copy(m->step_title, sizeof m->step_title, str(ev, "title", ""));
        l = log_push(m, t, pid, TUI_LOG_STEP);
        l->n = m->step_n;
        copy(l->text, sizeof l->text, m->step_title);
    } else if (strcmp(kind, "error") == 0) {
        char text[sizeof l->text];
        snprintf(text, sizeof text, "%s: %s", str(ev, "what", "?"), str(ev, "reason", ""));
        l = log_push(m, t, pid, TUI_LOG_ERROR);
        copy(l->text, sizeof l->text, text);
        flow_error(m, t, pid, str(ev, "what", "?"), text);
    } else if (strcmp(kind, "bye") == 0) {
        m->ended = 1;
        l = log_push(m, t, pid, TUI_LOG_BYE);
        copy(l->text, sizeof l->text, str(ev, "text", ""));
    } else {
        r = -EINVAL;
    }
    if (r >= 0 && has_num(ev, "events_dropped"))
        take_events_dropped(m, pid, u64(ev, "events_dropped"));
    if (r < 0)
        m->refused++;
    else
        m->events++;
    m->generation++;
    return r;
}

int tui_model_feed_line(tui_model_t *m, const char *line)
{
    cJSON *ev = cJSON_Parse(line);
    if (!ev) {
        m->refused++;
        return -EINVAL;
    }
    int r = tui_model_feed(m, ev);
    cJSON_Delete(ev);
    return r;
}

void tui_model_signal_sent(tui_model_t *m, long pid, const char *signal)
{
    tui_proc_t *p = (tui_proc_t *)tui_model_proc(m, pid);
    if (p && p->state != TUI_PROC_EXITED)
        copy(p->asked, sizeof p->asked, signal);
}

void tui_model_proc_exited(tui_model_t *m, long pid, int code, const char *signal, uint64_t t)
{
    tui_proc_t *p = proc_of(m, pid);
    if (!p || p->state == TUI_PROC_EXITED)
        return; /* the demo said so itself already */
    p->state = TUI_PROC_EXITED;
    p->code = code;
    copy(p->signal, sizeof p->signal, signal);
    p->t_exit = t;
    tui_log_t *l = log_push(m, t, 0, TUI_LOG_PROC_EXIT);
    l->subject = pid;
    l->n = code;
    copy(l->extra, sizeof l->extra, signal[0] ? signal : p->asked);
    l->after_signal = !signal[0] && p->asked[0];
    copy(l->text, sizeof l->text, p->role);
    m->generation++;
}

void tui_model_predict(tui_model_t *m, uint64_t t, const char *text)
{
    tui_log_t *l = log_push(m, t, 0, TUI_LOG_PREDICT);
    copy(l->text, sizeof l->text, text);
    m->generation++;
}

void tui_model_note(tui_model_t *m, uint64_t t, const char *text)
{
    tui_log_t *l = log_push(m, t, 0, TUI_LOG_TEXT);
    copy(l->text, sizeof l->text, text);
    m->generation++;
}
