/* faults.c: the failures a parent meets (--fault KIND, or the dashboard's
 * fault command): a command that does not exist (ENOENT), a child killed by
 * a signal, a child writing more than maxBuffer and a child that never exits
 * (those two are exec's own, in exec.c). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "stdio-pipe.h"

#define MISSING "ipcscope-no-such-command"

/* ---- enoent: spawn fails before fork; exec's shell exits 127 ------------- */

static void enoent_exec_done(exec_t *e)
{
    part_t *p = e->part;
    if (e->child.code == 127) {
        scope_events_log("exec() of the same name is another story: the shell started fine, "
                         "said 'not found' on stderr and exited 127, so the callback gets an "
                         "Error with code 127, and no 'error' event");
        snprintf(p->note, sizeof p->note,
                 "spawn failed with ENOENT before fork(); exec through the shell exited 127");
    } else {
        part_fail(p, "exec of a missing command: expected exit 127, got %d", e->child.code);
    }
    p->next(p);
}

static int run_enoent(part_t *p)
{
    static stdio_child_t never;
    char *argv[] = {MISSING, "--help", NULL};
    scope_events_log("spawn('%s'): a command that does not exist", MISSING);
    memset(&never, 0, sizeof never);
    never.name = MISSING;
    child_opts_t o = {.file = MISSING, .argv = argv, .fd3 = -1};
    int r = child_spawn(&never, p->demo, &o);
    if (r == 0) {
        part_fail(p, "%s exists?", MISSING);
        kill(never.pid, SIGKILL);
        return -EEXIST;
    }
    scope_events_error("spawn", "spawn %s %s: %s. node emits 'error' on the child (code '%s', "
                       "syscall 'spawn %s') and no 'exit'. PATH was searched before fork(): no "
                       "process was made",
                       MISSING, uv_err_name(r), strerror(-r), uv_err_name(r), MISSING);
    if (r != -ENOENT)
        part_fail(p, "expected ENOENT, got %s", strerror(-r));
    scope_events_log("exec('%s'): the same name, through a shell", MISSING);
    return exec_shell(exec_new(p, "sh", enoent_exec_done, NULL), MISSING);
}

/* ---- signal: cat killed by SIGKILL; a write after that gets EPIPE -------- */

static void signal_on_data(stdio_child_t *c, int fd, const char *data, size_t len)
{
    scope_trace_recv(fd == 1 ? &c->out : &c->err, data, len);
    scope_events_log("'data' on child.stdout: read() %zu bytes from fd %d", len, c->fd[fd]);
    if (fd == 1 && c->running && !c->data) {
        c->data = c; /* killed once */
        scope_events_log("kill(%ld, SIGKILL): as if someone outside killed it (kill -9)",
                         (long)c->pid);
        kill(c->pid, SIGKILL);
    }
}

static void signal_on_exit(stdio_child_t *c)
{
    /* The child is gone: a write now finds a pipe with no reader. */
    ssize_t n = write(c->fd[0], "anyone there?\n", 14);
    if (n < 0 && errno == EPIPE)
        scope_events_error("EPIPE", "write() on fd %d after the child died: EPIPE (our SIGPIPE "
                           "is ignored, as node ignores it). node emits 'error' on child.stdin "
                           "with code 'EPIPE'",
                           c->fd[0]);
    else
        scope_events_log("write() after the child died: %s", n < 0 ? strerror(errno) : "taken");
}

static part_t *signal_part;

static void signal_on_close(stdio_child_t *c)
{
    part_t *p = signal_part;
    if (c->sig == SIGKILL) {
        scope_events_log("node's 'exit' gets (code null, signal 'SIGKILL'); a code of null "
                         "means: look at the signal");
        snprintf(p->note, sizeof p->note,
                 "the child killed by SIGKILL and reaped: exit code null, signal SIGKILL");
    } else {
        part_fail(p, "expected the child killed by SIGKILL, got code %d signal %d", c->code,
                  c->sig);
    }
    p->next(p);
}

static int run_signal(part_t *p)
{
    static stdio_child_t cat;
    char *argv[] = {"cat", NULL};
    memset(&cat, 0, sizeof cat);
    signal_part = p;
    cat.name = "cat";
    cat.on_data = signal_on_data;
    cat.on_exit = signal_on_exit;
    cat.on_close = signal_on_close;
    scope_events_log("spawn('cat'): it copies its stdin to its stdout until killed");
    child_opts_t o = {.file = "cat", .argv = argv, .fd3 = -1};
    int r = child_spawn(&cat, p->demo, &o);
    if (r == 0) {
        scope_trace_send(&cat.in, "hello cat\n", 10);
        child_write(&cat, "hello cat\n", 10);
    }
    return r;
}

/* ---- the faults by name ------------------------------------------------- */

/* Returns 0 once the fault runs (p->next follows), or a negative errno. */
int fault_run(part_t *p, const char *kind)
{
    if (strcmp(kind, "enoent") == 0)
        return run_enoent(p);
    if (strcmp(kind, "signal") == 0)
        return run_signal(p);
    if (strcmp(kind, "maxbuffer") == 0)
        return exec_maxbuffer(p, p->next);
    if (strcmp(kind, "timeout") == 0)
        return exec_timeout(p, p->next);
    scope_events_error("fault", "unknown fault '%s' (enoent, signal, maxbuffer or timeout)", kind);
    return -EINVAL;
}

const char *fault_title(const char *kind)
{
    if (strcmp(kind, "enoent") == 0)
        return "a command that does not exist (ENOENT)";
    if (strcmp(kind, "signal") == 0)
        return "a child killed by a signal";
    if (strcmp(kind, "maxbuffer") == 0)
        return "a child that writes more than maxBuffer";
    return "a child that never exits (timeout)";
}
