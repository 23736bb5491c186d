/* procpool.c: a process pool over fork channels (step 5 is procs.c).
 * Article 001's table: "CPU-heavy tasks -> child_process.fork()"; its example:
 *
 *     const worker = fork('./worker.js');
 *     worker.send({ type: 'start', payload: 123 });   // worker: send({result:'ok'})
 *
 * --workers children, each this program again (--role "child N", child.c)
 * with node's channel at fd 3: a socketpair, one JSON line per message. The
 * queue is the parent's: a child gets the next task once it has answered
 * the last, so the work spreads as in step 2, but each worker has its own
 * memory and its own pid, and can die alone. When one does (SIGKILL in the
 * middle of a task: --fault kill, or the dashboard's fault key), the task it
 * held goes back to the head of the queue (a retry, counted) and a new child
 * takes its place. The pool stays up, idle, until the run ends.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "events.h"
#include "worker-pool.h"

static void fork_child(wp_procs_t *pp, int slot);

static void send_json(wp_child_t *c, const char *line)
{
    cJSON *m = cJSON_Parse(line);
    int r = scope_channel_send(&c->ch, m); /* traced by the channel: ch->trace */
    cJSON_Delete(m);
    if (r < 0)
        scope_events_error("send", "to %s: %s", c->name, strerror(-r));
}

/* The queue's head to each free child: worker.send({task, data}). */
static void dispatch(wp_procs_t *pp)
{
    char line[96];
    for (int i = 0; i < pp->n && pp->queued; i++) {
        wp_child_t *c = pp->slot[i];
        if (!c || !c->open || !c->ok || c->busy)
            continue;
        c->data = pp->queue[0];
        memmove(pp->queue, pp->queue + 1, (size_t)--pp->queued * sizeof pp->queue[0]);
        c->busy = 1;
        c->sent_ns = scope_time_now_ns();
        snprintf(line, sizeof line, "{\"task\":\"heavyCalculation\",\"data\":%lld}", c->data);
        send_json(c, line);
    }
}

void wp_procs_submit(wp_procs_t *pp, long long data)
{
    if (pp->queued == (int)(sizeof pp->queue / sizeof pp->queue[0]))
        return;
    pp->queue[pp->queued++] = data;
    pp->submitted++;
    dispatch(pp);
}

/* worker.on('message'): {result:'ok'} for the start, a number for a task. */
static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    wp_child_t *c = ch->data;
    wp_procs_t *pp = c->pp;
    (void)type;
    if (fd >= 0)
        close(fd);
    uint64_t rtt = scope_time_now_ns() - c->sent_ns;
    if (!pp->untraced)
        scope_trace_recv_json(&c->trace, msg, ch->message_bytes, c->busy ? rtt : 0);
    if (cJSON_IsNumber(msg) && c->busy) {
        c->busy = 0;
        c->tasks++;
        pp->answered++;
        scope_hist_add(&pp->latency, rtt);
        if (cJSON_GetNumberValue(msg) != POOL_ANSWER)
            scope_events_error("result", "%s answered %.0f", c->name, cJSON_GetNumberValue(msg));
    } else if (!c->ok) {
        c->ok = 1;
        pp->ok++;
    }
    dispatch(pp);
    if (pp->on_change)
        pp->on_change(pp);
}

static void on_refused(scope_channel_t *ch, const scope_frame_error_t *err)
{
    scope_events_error("refused", "from %s: %s", ((wp_child_t *)ch->data)->name, err->reason);
}

/* A child is gone once it is reaped and its channel closed: its task back
 * to the queue, and, unless the pool is ending, a new child in its slot. */
static void maybe_gone(wp_child_t *c)
{
    wp_procs_t *pp = c->pp;
    if (c->up || c->open || pp->slot[c->slot] != c)
        return;
    pp->slot[c->slot] = NULL;
    if (c->busy) {
        memmove(pp->queue + 1, pp->queue, (size_t)pp->queued++ * sizeof pp->queue[0]);
        pp->queue[0] = c->data;
        pp->retried++;
        scope_events_log("%s died holding a task: back to the queue's head, a retry", c->name);
    }
    if (!pp->stopping && !pp->demo->quitting && c->role.term_signal) {
        fork_child(pp, c->slot);
        pp->replaced++;
    }
    dispatch(pp);
    if (pp->on_change)
        pp->on_change(pp);
}

static void on_channel_closed(scope_channel_t *ch)
{
    wp_child_t *c = ch->data;
    c->open = 0;
    if (!c->pp->untraced)
        scope_trace_close(&c->trace);
    maybe_gone(c);
}

static void on_child_exit(scope_role_t *r, int code, int sig)
{
    wp_child_t *c = r->data;
    c->up = 0;
    if (sig && !c->pp->stopping)
        scope_events_log("worker.on('exit'): %s was killed (signal %d)%s", c->name, sig,
                         c->busy ? scope_events_tr(" in the middle of a task") : "");
    else if (code && !c->pp->demo->quitting)
        scope_events_error("exit", "%s exited with code %d", c->name, code);
    scope_channel_close(&c->ch); /* if EOF has not closed it already */
    maybe_gone(c);
}

/* fork('./worker.js'): a socketpair, its end at the child's fd 3. */
static void fork_child(wp_procs_t *pp, int slot)
{
    if (pp->nkids == (int)(sizeof pp->kid / sizeof pp->kid[0])) {
        scope_events_error("fork", "no more children in this run (%d forked)", pp->nkids);
        return;
    }
    wp_child_t *c = &pp->kid[pp->nkids++];
    memset(c, 0, sizeof *c);
    c->pp = pp;
    c->slot = slot;
    snprintf(c->name, sizeof c->name, "child %d", ++pp->next_name);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->fds) < 0) {
        scope_events_error("socketpair", "%s: %s", c->name, strerror(errno));
        return;
    }
    scope_spawn_fd_t fds[] = {{.parent_fd = c->fds[1], .child_fd = 3}};
    const char *env[] = {"NODE_CHANNEL_FD=3", "NODE_CHANNEL_SERIALIZATION_MODE=json", NULL};
    const char *args[] = {pp->untraced ? "--untraced" : NULL, NULL};
    scope_role_options_t o = {.argv = args, .fds = fds, .nfds = 1, .setenv = env,
                              .quiet = pp->untraced};
    c->role.data = c;
    c->role.on_exit = on_child_exit;
    int r = scope_role_spawn(pp->demo, &c->role, c->name, &o);
    close(c->fds[1]);
    if (r < 0) {
        close(c->fds[0]);
        scope_events_error("fork", "%s: %s", c->name, strerror(-r));
        return;
    }
    c->up = 1;
    pp->slot[slot] = c;
    scope_trace_init(&c->trace, c->name, SCOPE_PID(getpid()), SCOPE_PID(c->role.pid));
    if (!pp->untraced)
        scope_trace_open(&c->trace, "socketpair",
                         scope_events_tr("fork(): node's IPC channel, fd 3 in the child"));
    c->ch = (scope_channel_t){.data = c, .on_message = on_message, .on_error = on_refused,
                              .on_close = on_channel_closed,
                              .trace = pp->untraced ? NULL : &c->trace};
    if ((r = scope_channel_open(pp->demo->loop, &c->ch, c->fds[0])) < 0) {
        scope_events_error("channel", "%s: %s", c->name, uv_strerror(r));
        scope_role_kill(&c->role, SIGKILL);
        return;
    }
    c->open = 1;
    send_json(c, "{\"type\":\"start\",\"payload\":123}"); /* article 001's first message */
}

int wp_procs_start(wp_procs_t *pp, scope_demo_t *d, int n)
{
    pp->demo = d;
    pp->n = n < POOL_MAX ? n : POOL_MAX;
    pp->ok = pp->stopping = pp->queued = 0;
    pp->submitted = pp->answered = pp->retried = pp->replaced = 0;
    scope_hist_reset(&pp->latency);
    for (int i = 0; i < pp->n; i++)
        fork_child(pp, i);
    return wp_procs_running(pp) == pp->n ? 0 : -EAGAIN;
}

int wp_procs_running(const wp_procs_t *pp)
{
    int n = 0;
    for (int i = 0; i < pp->n; i++)
        n += pp->slot[i] != NULL;
    return n;
}

/* worker.disconnect() for each: the child reads EOF and exits 0. */
void wp_procs_stop(wp_procs_t *pp)
{
    pp->stopping = 1;
    for (int i = 0; i < pp->n; i++)
        if (pp->slot[i] && pp->slot[i]->open)
            scope_channel_disconnect(&pp->slot[i]->ch);
}

/* SIGKILL to a child holding a task (the first, when none holds one yet). */
void wp_procs_kill(wp_procs_t *pp)
{
    wp_child_t *victim = NULL;
    for (int i = 0; i < pp->n && !(victim && victim->busy); i++)
        if (pp->slot[i] && pp->slot[i]->up && (!victim || pp->slot[i]->busy))
            victim = pp->slot[i];
    if (!victim) {
        scope_events_error("fault", "kill: no child of the process pool is running");
        return;
    }
    scope_events_log("fault kill: SIGKILL to %s (pid %ld)%s", victim->name, (long)victim->role.pid,
                     victim->busy ? scope_events_tr(", in the middle of its task") : "");
    scope_role_kill(&victim->role, SIGKILL);
}
