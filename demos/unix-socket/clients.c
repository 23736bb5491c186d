/* clients.c: the server's clients, this program again (lib/role).
 *
 * Each client is started as `unix-socket --role "client N" --connect ADDR`,
 * as cluster.fork() runs the same script again. lib/role passes the
 * dashboard's commands on to each (pause, step, rate, size, quit), and
 * brings back the figures each sends as it ends (scope_demo_report): here
 * they are added up, so the server's summary covers every round trip.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "unix-socket.h"

static struct {
    scope_demo_t *d;
    const us_options_t *o;
    const char *address;
    scope_demo_cb all_done;
    scope_role_t roles[MAX_CLIENTS + 4];
    int bad[MAX_CLIENTS + 4];
    int n;
    scope_trace_t all; /* every client's figures, added up */
} cs;

static void on_report(scope_role_t *r, const cJSON *fig)
{
    if (scope_trace_add_figures(&cs.all, fig) < 0)
        scope_events_error("report", "bad figures from %s", r->name);
}

static void on_exit_role(scope_role_t *r, int code, int sig)
{
    scope_demo_check(cs.d, cs.d->quitting || (!sig && (!code || code == CLIENT_REFUSED)), "client",
                     "%s ended with exit code %d, signal %d", r->name, code, sig);
    if (code == CLIENT_REFUSED)
        scope_events_log("%s was refused by the server (exit code %d)", r->name, code);
    if (!scope_role_running(cs.d) && cs.all_done)
        cs.all_done(cs.d);
}

static int spawn(int index, const char *fault)
{
    char name[32], maxm[24], idle[24], tput[24];
    if (cs.n == MAX_CLIENTS + 4)
        return -1;
    if (fault)
        snprintf(name, sizeof name, "bad client (%s)", fault);
    else
        snprintf(name, sizeof name, "client %d", index);
    snprintf(maxm, sizeof maxm, "%llu", cs.o->max_message);
    snprintf(idle, sizeof idle, "%llu", cs.o->idle_ms);
    snprintf(tput, sizeof tput, "%llu", cs.o->throughput);
    const char *args[16] = {"--connect", cs.address, "--max-message", maxm, "--idle-ms", idle};
    int a = 6;
    if (cs.o->abstract || cs.o->fifo)
        args[a++] = cs.o->fifo ? "--fifo" : "--abstract";
    if (cs.o->throughput && !fault) {
        args[a++] = "--throughput";
        args[a++] = tput;
    }
    if (fault) {
        args[a++] = "--fault";
        args[a++] = fault;
    }
    scope_role_t *r = &cs.roles[cs.n];
    scope_role_options_t o = {.argv = args};
    r->on_exit = on_exit_role;
    r->on_report = on_report;
    int rc = scope_role_spawn(cs.d, r, name, &o);
    if (rc < 0) {
        scope_events_error("spawn", "cannot start %s: %s", name, strerror(-rc));
        return rc;
    }
    cs.bad[cs.n++] = fault != NULL;
    scope_demo_figure_add(cs.d, "clients", 1);
    return 0;
}

int clients_start(scope_demo_t *d, const us_options_t *o, const char *address, int n,
                  const char *fault, scope_demo_cb all_done)
{
    cs.d = d;
    cs.o = o;
    cs.address = address;
    cs.all_done = all_done;
    scope_trace_init(&cs.all, "clients", SCOPE_PID(getpid()), SCOPE_PEER("clients"));
    for (int i = 1; i <= n && !d->quitting; i++)
        spawn(i, NULL);
    if (fault && fault[0] && !d->quitting)
        spawn(n + 1, fault);
    return cs.n;
}

int clients_add(const char *fault)
{
    return cs.d ? spawn(cs.n + 1, fault) : -1;
}

const char *clients_name_of(pid_t pid, int *bad)
{
    for (int i = 0; i < cs.n; i++)
        if (cs.roles[i].pid == pid) {
            *bad = cs.bad[i];
            return cs.roles[i].name;
        }
    return NULL;
}

const scope_trace_t *clients_trace(void)
{
    return &cs.all;
}
