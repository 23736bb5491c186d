/* procs.c, step 5: article 001's worker, a pool of them, and one killed.
 *
 * --workers children are forked (procpool.c); each is sent article 001's
 * {type:'start', payload:123} and answers {result:'ok'}. Then --tasks
 * heavyCalculation tasks go through the parent's queue. With --fault kill
 * the first child to hold a task is SIGKILLed in the middle of it: the pool
 * sees the exit, puts the task back at the queue's head (a retry) and forks
 * a new child in its place. The pool then stays, idle, so the dashboard's
 * fault key can do the same at any time.
 */
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "worker-pool.h"

static struct {
    scope_demo_t *d;
    wp_procs_t pool;
    long long tasks;
    int started, in_step, sent, kill;
    uint64_t fault_from; /* answered, when the dashboard's fault came */
    int fault_pending;
} s;

static void step_over(void)
{
    wp_procs_t *pp = &s.pool;
    char per[96];
    size_t at = 0;
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < pp->nkids; i++) {
        at += (size_t)snprintf(per + at, sizeof per - at, "%s%s %llu", i ? ", " : "",
                               pp->kid[i].name, (unsigned long long)pp->kid[i].tasks);
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)pp->kid[i].tasks));
    }
    s.in_step = 0;
    scope_events_log("Parent received %llu results of 249500250000; tasks per child: %s; "
                     "%llu retried, %llu replaced", (unsigned long long)pp->answered, per,
                     (unsigned long long)pp->retried, (unsigned long long)pp->replaced);
    scope_demo_figure(s.d, "procs.per_child", a);
    scope_demo_figure(s.d, "procs.answered", cJSON_CreateNumber((double)pp->answered));
    scope_demo_figure(s.d, "procs.retried", cJSON_CreateNumber((double)pp->retried));
    scope_demo_figure(s.d, "procs.replaced", cJSON_CreateNumber((double)pp->replaced));
    scope_demo_next(s.d);
}

static void on_change(wp_procs_t *pp)
{
    if (s.in_step && !s.sent && pp->ok == pp->n) {
        s.sent = 1;
        scope_events_log("Parent received {result:'ok'} from all %d; now %lld tasks, each "
                         "to the next free child", pp->n, s.tasks);
        for (long long i = 0; i < s.tasks; i++)
            wp_procs_submit(pp, POOL_DATA);
        if (s.kill)
            wp_procs_kill(pp);
    }
    if (s.in_step && s.sent && (long long)pp->answered >= s.tasks &&
        (!s.kill || pp->replaced))
        step_over();
    else if (s.in_step && s.d->quitting && !wp_procs_running(pp))
        step_over(); /* a quit: the children went */
    if (s.fault_pending && !pp->queued && pp->answered >= pp->submitted) {
        s.fault_pending = 0;
        scope_events_log("after the fault: %llu tasks answered, %llu retried in all, "
                         "%llu children replaced", (unsigned long long)(pp->answered - s.fault_from),
                         (unsigned long long)pp->retried, (unsigned long long)pp->replaced);
    }
}

void wp_procs(scope_demo_t *d)
{
    wp_t *p = d->data;
    s.d = d;
    s.tasks = p->tasks;
    s.kill = p->fault && strcmp(p->fault, "kill") == 0;
    s.in_step = s.started = 1;
    s.pool.on_change = on_change;
    scope_events_log("fork() %lld times: each child is this program again, its end of a "
                     "socketpair at fd 3 (NODE_CHANNEL_FD=3); worker.send({type:'start', "
                     "payload:123}) to each", p->workers);
    if (wp_procs_start(&s.pool, d, (int)p->workers) < 0 && !wp_procs_running(&s.pool)) {
        scope_demo_check(d, 0, "fork", "no child of the process pool started");
        s.in_step = 0;
        scope_demo_next(d);
    }
}

/* The dashboard's fault: kill a child in the middle of a task. */
void wp_procs_fault(const char *kind)
{
    if (strcmp(kind, "kill") != 0)
        return;
    if (!s.started || s.pool.stopping) {
        scope_events_error("fault", "kill: the process pool runs from step 5 on");
        return;
    }
    int busy = 0;
    for (int i = 0; i < s.pool.n; i++)
        busy += s.pool.slot[i] && s.pool.slot[i]->busy;
    if (!busy) { /* an idle pool: work for it first */
        s.fault_pending = 1;
        s.fault_from = s.pool.answered;
        for (int i = 0; i < s.pool.n; i++)
            wp_procs_submit(&s.pool, POOL_DATA);
    }
    wp_procs_kill(&s.pool);
}

void wp_procs_end(void)
{
    if (s.started && !s.pool.stopping)
        wp_procs_stop(&s.pool);
}

char *wp_procs_describe(char *out, size_t n)
{
    if (!s.started)
        snprintf(out, n, "%s", scope_events_tr("no process pool"));
    else
        snprintf(out, n,
                 scope_events_tr("process pool: %llu tasks over %d children, %llu "
                                 "retried, %llu replaced"),
                 (unsigned long long)s.pool.answered, s.pool.nkids,
                 (unsigned long long)s.pool.retried, (unsigned long long)s.pool.replaced);
    return out;
}
