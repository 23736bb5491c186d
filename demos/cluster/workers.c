/* cluster: the master's bookkeeping of its workers, apart from the story
 * (cluster.c): finding them, waiting for them, the envelope of node's own
 * messages, and a worker's end (its channel closed, its slot free again). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "events.h"

cluster_worker_t *cluster_slot(cluster_t *c)
{
    for (int i = 0; i < CLUSTER_MAX_WORKERS; i++) {
        cluster_worker_t *w = &c->workers[i];
        if (w->in_use)
            continue;
        *w = (cluster_worker_t){.cluster = c, .id = ++c->next_id, .in_use = 1,
                                .out_fds = {-1, -1}, .port.inflight_fd = -1};
        snprintf(w->name, sizeof w->name, "worker %d", w->id);
        return w;
    }
    return NULL;
}

int cluster_is(const cJSON *msg, const char *name, const char *value)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, name));
    return s && strcmp(s, value) == 0;
}

void cluster_on_refused(scope_channel_t *ch, const scope_frame_error_t *err)
{
    cluster_worker_t *w = ch->data;
    scope_events_error("refused", "from worker %d: %s", w->id, err->reason);
}

static void on_timeout(uv_timer_t *t)
{
    cluster_t *c = scope_container_of(t, cluster_t, timer);
    scope_demo_check(c->demo, 0, "timeout", "%s: not within %lld s",
                     scope_events_tr(c->awaited), c->timeout_s);
    c->is_done = NULL;
    c->demo->on_quit(c->demo); /* the end, as a quit */
}

void cluster_await(cluster_t *c, const char *what, int (*is_done)(const cluster_t *c),
                   int patient)
{
    c->awaited = what;
    c->is_done = is_done;
    if (is_done(c)) {
        c->is_done = NULL;
        scope_demo_next(c->demo);
    } else if (!patient) {
        uv_timer_start(&c->timer, on_timeout, (uint64_t)c->timeout_s * 1000, 0);
    }
}

/* Every change of a worker: does the waiting step go on? */
void cluster_changed(cluster_t *c)
{
    if (c->is_done && c->is_done(c)) {
        c->is_done = NULL;
        uv_timer_stop(&c->timer);
        scope_demo_next(c->demo);
    }
}

int cluster_send_internal(cluster_worker_t *w, cJSON *msg, int fd)
{
    cJSON *line = cJSON_CreateObject(); /* node's order: cmd, the members, seq */
    cJSON_AddStringToObject(line, "cmd", "NODE_CLUSTER");
    for (cJSON *m = msg->child; m; m = m->next)
        cJSON_AddItemReferenceToObject(line, m->string, m);
    cJSON_AddNumberToObject(line, "seq", w->seq++);
    int n;
    if (fd >= 0) { /* the NODE_HANDLE line is traced by the channel */
        n = scope_channel_send_handle(&w->ch, line, fd, "net.Native");
    } else {
        scope_trace_send_json(&w->trace, line, 0);
        n = scope_channel_send(&w->ch, line);
    }
    cJSON_Delete(line);
    cJSON_Delete(msg);
    return n;
}

void cluster_forget(cluster_worker_t *w)
{
    if (!w->child.running && w->ch_closed && !w->out_open) /* its slot is free again */
        w->in_use = 0;
}

void cluster_on_channel_closed(scope_channel_t *ch)
{
    cluster_worker_t *w = ch->data;
    w->ch_closed = 1;
    cluster_forget(w);
}

void cluster_on_disconnect(scope_channel_t *ch, int status)
{
    cluster_worker_t *w = ch->data;
    scope_trace_close(&w->trace);
    if (!w->leaving)
        scope_events_log("worker %d's channel is gone (%s)", w->id,
                         status == UV_EOF ? "EOF" : uv_strerror(status));
}

static void on_no_exit(uv_timer_t *t)
{
    cluster_t *c = scope_container_of(t, cluster_t, timer);
    for (int i = 0; i < CLUSTER_MAX_WORKERS; i++)
        if (c->workers[i].in_use && c->workers[i].child.running) {
            scope_events_error("exit", "worker %d did not exit within 5 s: SIGKILL",
                               c->workers[i].id);
            scope_child_kill(&c->workers[i].child, SIGKILL, 0);
        }
}

cluster_worker_t *cluster_next(cluster_t *c, cluster_worker_t *after)
{
    for (int i = after ? (int)(after - c->workers) + 1 : 0; i < CLUSTER_MAX_WORKERS; i++)
        if (c->workers[i].in_use && !c->workers[i].leaving)
            return &c->workers[i];
    return NULL;
}

cluster_worker_t *cluster_find(cluster_t *c, int id)
{
    cluster_worker_t *w = NULL;
    while ((w = cluster_next(c, w)) && w->id != id)
        ;
    return w;
}

int cluster_count(cluster_t *c)
{
    int n = 0;
    for (cluster_worker_t *w = NULL; (w = cluster_next(c, w));)
        n++;
    return n;
}

int cluster_running(const cluster_t *c)
{
    int n = 0;
    for (int i = 0; i < CLUSTER_MAX_WORKERS; i++)
        n += c->workers[i].in_use && c->workers[i].child.running;
    return n;
}

/* The end: workers asked to go have 5 s, then SIGKILL. */
void cluster_reap_later(cluster_t *c)
{
    if (c->timer_open)
        uv_timer_start(&c->timer, on_no_exit, 5000, 0);
}
