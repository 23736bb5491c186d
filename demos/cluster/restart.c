/* cluster, step 9: a rolling restart, as PM2's reload does; and the faults.
 *
 * Each old worker in turn: fork its successor, wait until the successor
 * listens ({act:'listening'}), and only then disconnect the old one. At every
 * moment some worker takes connections, so requests running through the
 * restart are all answered (the client counts them).
 *
 * Faults (--fault under the load, or the dashboard's fault command):
 *   kill     SIGKILL to a worker: the master sees it exit, forks another;
 *   stop     SIGSTOP to a worker: it holds a connection and says nothing; the
 *            master names it after 2 s of silence, kills it, forks another;
 *   restart  a rolling restart now.
 */
#include <signal.h>

#include "cluster.h"
#include "events.h"

#define SILENCE_NS (2000ull * 1000 * 1000)

static struct {
    cluster_t *c;
    uv_timer_t tick; /* every 50 ms: the restart's next move, the silence watch */
    int ticking;
    int old[CLUSTER_MAX_WORKERS], nold, at; /* the ids to replace, the next of them */
    int successor;   /* the new worker awaited, 0 when none */
    int restarting, in_lesson, restarted;
    int newest;      /* the last id when the restart was asked: younger ones stay */
    int begun;       /* the old ones are chosen */
    uint64_t heard_bytes[CLUSTER_MAX_WORKERS], heard_ns[CLUSTER_MAX_WORKERS];
} rs;

/* Workers listening: a restart starts from a cluster at full strength (a
 * fault's replacement listening too). */
static int listening(void)
{
    int n = 0;
    for (cluster_worker_t *w = NULL; (w = cluster_next(rs.c, w));)
        n += w->listening;
    return n;
}

static void restart_next(void)
{
    cluster_worker_t *old = rs.at < rs.nold ? cluster_find(rs.c, rs.old[rs.at]) : NULL, *w;
    if (!rs.begun) {
        if (listening() < rs.c->nworkers)
            return;
        for (w = NULL; (w = cluster_next(rs.c, w));)
            if (w->id <= rs.newest) /* a fault's replacement is new already */
                rs.old[rs.nold++] = w->id;
        rs.begun = 1;
        scope_events_log("rolling restart of %d %s, one at a time", rs.nold,
                         scope_events_trn("worker", "workers", (unsigned long)rs.nold));
        return;
    }
    if (rs.successor) {
        if (!(w = cluster_find(rs.c, rs.successor)))
            rs.successor = 0; /* it died: fork another */
        else if (!old) { /* the old one died meanwhile: its successor stays */
            rs.successor = 0;
            rs.at++;
        } else if (w->listening) {
            scope_events_log("restart: worker %d listens, so worker %d may go", w->id, old->id);
            cluster_disconnect(old);
            rs.at++;
            rs.successor = 0;
            rs.restarted++;
        }
        return;
    }
    while (rs.at < rs.nold && !(old = cluster_find(rs.c, rs.old[rs.at])))
        rs.at++; /* gone meanwhile */
    if (rs.at == rs.nold) {
        scope_events_log("rolling restart done: %d %s replaced, the port never closed",
                         rs.restarted,
                         scope_events_trn("worker", "workers", (unsigned long)rs.restarted));
        rs.restarting = 0;
        if (rs.in_lesson)
            scope_demo_next(rs.c->demo);
        rs.in_lesson = 0;
    } else if ((w = cluster_fork(rs.c))) {
        rs.successor = w->id;
        scope_events_log("restart: worker %d first, to take over from worker %d", w->id,
                         old->id);
    }
}

/* A worker that owes an answer (a connection handed to it, or a disconnect)
 * and says nothing for 2 s is stopped, or stuck: named, killed, and (by
 * cluster.c, unless it was leaving) forked again. */
static void watch_silence(void)
{
    uint64_t now = scope_time_now_ns();
    for (int i = 0; i < CLUSTER_MAX_WORKERS; i++) {
        cluster_worker_t *w = &rs.c->workers[i];
        int owes = w->port.inflight_fd >= 0 || w->leaving;
        if (!w->in_use || w->ch.bytes_received != rs.heard_bytes[i] || !owes) {
            rs.heard_bytes[i] = w->ch.bytes_received;
            rs.heard_ns[i] = now;
        } else if (now - rs.heard_ns[i] > SILENCE_NS && w->child.running) {
            scope_events_error("silent", "worker %d (pid %ld) has not answered in 2 s "
                               "(stopped?): SIGKILL", w->id, (long)w->child.pid);
            scope_child_kill(&w->child, SIGKILL, 0);
            rs.heard_ns[i] = now;
        }
    }
}

static void on_tick(uv_timer_t *t)
{
    (void)t;
    if (rs.restarting && !rs.c->ending)
        restart_next();
    watch_silence();
}

static void start_ticking(cluster_t *c)
{
    rs.c = c;
    if (rs.ticking)
        return;
    uv_timer_init(c->demo->loop, &rs.tick);
    uv_timer_start(&rs.tick, on_tick, 50, 50);
    uv_unref((uv_handle_t *)&rs.tick); /* the workers keep the run alive, not this */
    rs.ticking = 1;
}

static void restart_all(cluster_t *c)
{
    start_ticking(c);
    if (rs.restarting)
        return;
    rs.nold = rs.at = rs.successor = rs.restarted = rs.begun = 0;
    rs.newest = c->next_id;
    rs.restarting = 1;
}

void cluster_fault(cluster_t *c, const char *kind)
{
    cluster_worker_t *w = cluster_next(c, NULL);
    start_ticking(c);
    if (strcmp(kind, "restart") == 0) {
        restart_all(c);
    } else if (w) {
        int stop = strcmp(kind, "stop") == 0;
        scope_events_log("fault %s: %s to worker %d (pid %ld)", kind, stop ? "SIGSTOP" : "SIGKILL",
                         w->id, (long)w->child.pid);
        scope_child_kill(&w->child, stop ? SIGSTOP : SIGKILL, 0);
    }
}

void cluster_restart(scope_demo_t *d)
{
    cluster_t *c = d->data;
    if (c->fault)
        cluster_fault(c, c->fault);
    rs.in_lesson = 1;
    restart_all(c);
}

/* The run's end: the watch stops with it. */
void cluster_restart_close(void)
{
    if (rs.ticking)
        uv_close((uv_handle_t *)&rs.tick, NULL);
    rs.ticking = 0;
}
