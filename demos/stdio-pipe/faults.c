/* faults.c: the failures a parent meets (--fault KIND, or the dashboard's
 * fault command): ENOENT, a child killed by a signal, and exec's own two,
 * maxBuffer and timeout, that the exec part shows as steps too. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "stdio-pipe.h"

#define MISSING "ipcscope-no-such-command"

static struct {
    scope_demo_cb done; /* one fault at a time */
    stdio_child_t child;
} f;

/* The fault is over: its outcome told, or NULL when a check failed. */
static void over(scope_demo_t *d, const char *outcome)
{
    scope_demo_cb done = f.done;
    if (outcome)
        scope_events_log("%s", scope_events_tr(outcome));
    f.done = NULL;
    done(d);
}

/* ---- enoent: spawn fails before fork; exec's shell exits 127 ------------- */

static void enoent_exec_done(exec_t *e)
{
    scope_demo_t *d = e->child.demo;
    int ok = e->child.code == 127;
    scope_demo_check(d, ok || d->quitting, "check", "exec of a missing command exited %d, not 127",
                     e->child.code);
    over(d, ok ? N_("spawn failed before fork(); exec's shell exited 127, and no 'error'") : NULL);
}

static void run_enoent(scope_demo_t *d)
{
    char *argv[] = {MISSING, "--help", NULL};
    f.child = (stdio_child_t){.name = MISSING, .file = MISSING, .argv = argv};
    int r = child_spawn(&f.child, d);
    if (scope_demo_check(d, r == -ENOENT, "check", "spawn %s: %s, not ENOENT", MISSING,
                         r ? strerror(-r) : "it started"))
        scope_events_error("spawn", "spawn %s ENOENT: %s: 'error' on the child, no 'exit'",
                           MISSING, strerror(ENOENT));
    scope_events_log("exec('%s'): the same name, through a shell", MISSING);
    exec_shell(exec_new(d, "sh", enoent_exec_done), MISSING);
}

/* ---- signal: cat killed by SIGKILL; a write after that gets EPIPE -------- */

static void signal_on_data(stdio_child_t *c, int fd, const char *data, size_t len)
{
    scope_trace_recv(fd == 1 ? &c->out : &c->err, data, len);
    if (fd == 1 && c->running && !c->data) {
        c->data = c; /* killed once */
        scope_events_log("'data' on child.stdout: kill(%d, SIGKILL), as kill -9 would", c->pid);
        kill(c->pid, SIGKILL);
    }
}

static void signal_on_exit(stdio_child_t *c)
{
    /* The child is gone: a write now finds a pipe with no reader. */
    ssize_t n = write(c->fd[0], "anyone there?\n", 14);
    if (n < 0 && errno == EPIPE)
        scope_events_error("EPIPE", "write() on fd %d, the child dead: 'error' on child.stdin",
                           c->fd[0]);
    else
        scope_events_log("write() after the child died: %s", n < 0 ? strerror(errno) : "taken");
}

static void signal_on_close(stdio_child_t *c)
{
    scope_demo_t *d = c->demo;
    int ok = c->sig == SIGKILL;
    scope_demo_check(d, ok || d->quitting, "check", "cat: code %d signal %d, not SIGKILL", c->code,
                     c->sig);
    over(d, ok ? N_("cat reaped: 'exit' with code null, signal 'SIGKILL'") : NULL);
}

static void run_signal(scope_demo_t *d)
{
    char *argv[] = {"cat", NULL};
    stdio_child_t *c = &f.child;
    *c = (stdio_child_t){.name = "cat", .file = "cat", .argv = argv, .on_data = signal_on_data,
                         .on_exit = signal_on_exit, .on_close = signal_on_close};
    scope_events_log("spawn('cat'): it copies its stdin to its stdout until killed");
    int r = child_spawn(c, d);
    if (!scope_demo_check(d, r == 0, "check", "spawn cat: %s", strerror(-r))) {
        over(d, NULL);
        return;
    }
    scope_trace_send(&c->in, "hello cat\n", 10);
    child_write(c, "hello cat\n", 10);
}

/* ---- maxbuffer and timeout: exec kills the child, as node does ---------- */

static void exec_fault_done(exec_t *e)
{
    scope_demo_t *d = e->child.demo;
    int mb = e->timeout_ms == 0; /* the maxBuffer run has no timeout */
    const char *why = mb ? "maxBuffer" : "timeout";
    int held = e->killed_for && strcmp(e->killed_for, why) == 0 &&
               (mb ? e->len[1] == e->max_buffer : e->child.sig == SIGTERM);
    char outcome[96];
    snprintf(outcome, sizeof outcome,
             mb ? scope_events_tr("maxBuffer held: %zu bytes kept, the child killed")
                : scope_events_tr("timeout held: SIGTERM after %zu ms"),
             mb ? e->len[1] : (size_t)e->timeout_ms);
    scope_demo_check(d, held || d->quitting, "check", "%s: code %d, signal %d, %zu bytes kept",
                     why, e->child.code, e->child.sig, e->len[1]);
    over(d, held ? outcome : NULL);
}

static void run_maxbuffer(scope_demo_t *d)
{
    exec_t *e = exec_new(d, "sh", exec_fault_done);
    scope_events_log("exec(\"yes 'hello from sh'\", {maxBuffer: %zu})", e->max_buffer);
    exec_shell(e, "yes 'hello from sh'");
}

static void run_timeout(scope_demo_t *d)
{
    exec_t *e = exec_new(d, "sh", exec_fault_done);
    e->timeout_ms = ((const stdio_opts_t *)d->data)->timeout_ms;
    scope_events_log("exec('cat', {timeout: %lld}): stdin never closed", e->timeout_ms);
    exec_shell(e, "cat");
}

/* ---- the faults by name -------------------------------------------------- */

static const struct {
    const char *kind, *title;
    void (*run)(scope_demo_t *d);
} faults[] = {
    {"enoent", "fault: a command that does not exist (ENOENT)", run_enoent},
    {"signal", "fault: a child killed by a signal", run_signal},
    {"maxbuffer", "fault: a child that writes more than maxBuffer", run_maxbuffer},
    {"timeout", "fault: a child that never exits (timeout)", run_timeout},
};
#define NFAULTS (sizeof faults / sizeof faults[0])

/* lib/demo lets only these kinds through (info's faults, --fault's words). */
static size_t find(const char *kind)
{
    size_t i = 0;
    while (i + 1 < NFAULTS && strcmp(kind, faults[i].kind) != 0)
        i++;
    return i;
}

int fault_run(scope_demo_t *d, const char *kind, scope_demo_cb done)
{
    if (f.done) {
        scope_events_error("fault", "one fault at a time: '%s' waits for none", kind);
        return -EBUSY;
    }
    f.done = done;
    faults[find(kind)].run(d);
    return 0;
}

const char *fault_title(const char *kind)
{
    return faults[find(kind)].title;
}

/* --fault KIND, the lesson's last step; maxBuffer and timeout, exec's. */
void fault_step(scope_demo_t *d)
{
    if (fault_run(d, ((const stdio_opts_t *)d->data)->fault, scope_demo_next) < 0)
        scope_demo_next(d);
}

void fault_maxbuffer(scope_demo_t *d)
{
    if (fault_run(d, "maxbuffer", scope_demo_next) < 0)
        scope_demo_next(d);
}

void fault_timeout(scope_demo_t *d)
{
    if (fault_run(d, "timeout", scope_demo_next) < 0)
        scope_demo_next(d);
}
