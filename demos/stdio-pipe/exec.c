/* exec.c: exec() and execFile() on top of stdio-pipe.c's child: the output
 * is kept until the child is gone, then handed to the callback whole;
 * maxBuffer and timeout kill the child (faults.c shows both). Then the steps:
 * a pipeline through /bin/sh -c; an input that runs a second command under
 * exec and is one argument to execFile, which has no shell; and what the
 * shell costs, the same program started each way. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procnet.h"
#include "stdio-pipe.h"

#define INJECTION "hello; echo INJECTED"

static const char *const kinds[3] = {"spawn", "exec", "execFile"};

static struct {
    int exec_ran, kind, n;
    scope_hist_t ns[3]; /* pipe2() to the last EOF, each way */
} ef;

/* node signals the shell alone; what the shell started would hold our pipes
 * open and, for a 'cat' waiting on stdin, live on. So its children too. */
static void kill_for(exec_t *e, int sig, const char *why)
{
    char names[256];
    e->killed_for = e->killed_for ? e->killed_for : why;
    if (scope_procnet_kill_with_children(e->child.pid, sig, names, sizeof names) > 0 &&
        !e->child.quiet)
        scope_events_log("kill(%d, SIG%s), and the same to what it started: %s", e->child.pid,
                         sigabbrev_np(sig), names);
}

/* Each chunk kept, up to maxBuffer; nothing handed over yet. */
static void keep(stdio_child_t *c, int fd, const char *data, size_t len)
{
    exec_t *e = c->data;
    int over = e->max_buffer && e->len[fd] + len > e->max_buffer;
    len = over ? e->max_buffer - e->len[fd] : len;
    char *p = realloc(e->out[fd], e->len[fd] + len + 1);
    if (!p)
        return;
    memcpy(p + e->len[fd], data, len);
    e->out[fd] = p;
    p[e->len[fd] += len] = '\0';
    if (!c->quiet && e->len[fd] <= 64 * 1024)
        scope_events_log("read() %zu bytes from fd %d: kept, not handed over yet", len, c->fd[fd]);
    if (!over)
        return;
    scope_events_error("maxBuffer", "more than %zu bytes on fd %d: SIGTERM, no more reading",
                       e->max_buffer, c->fd[fd]);
    kill_for(e, SIGTERM, "maxBuffer");
    child_close_pipe(c, 1);
    child_close_pipe(c, 2);
}

/* timeout: SIGTERM, node's default killSignal; SIGKILL 2 s later. */
static void on_timeout(uv_timer_t *t)
{
    exec_t *e = t->data;
    scope_events_log("%s still runs after %lld ms: SIG%s", e->child.name,
                     e->term_sent ? 2000 : e->timeout_ms, e->term_sent ? "KILL" : "TERM");
    kill_for(e, e->term_sent ? SIGKILL : SIGTERM, "timeout");
    if (!e->term_sent++)
        uv_timer_start(t, on_timeout, 2000, 0);
}

static void on_timer_closed(uv_handle_t *h)
{
    exec_t *e = h->data;
    e->done(e);
    free(e->out[1]), free(e->out[2]), free(e);
}

/* The callback, (error, stdout, stderr), once the child is gone. */
static void on_close(stdio_child_t *c)
{
    exec_t *e = c->data;
    char text[3][64], error[128] = "null";
    for (int fd = 1; fd <= 2 && !c->quiet; fd++) {
        printable(text[fd], sizeof text[fd], e->out[fd] ? e->out[fd] : "", e->len[fd]);
        if (e->len[fd])
            scope_trace_recv(fd == 1 ? &c->out : &c->err, e->out[fd], e->len[fd]);
    }
    if (e->killed_for && strcmp(e->killed_for, "maxBuffer") == 0)
        snprintf(error, sizeof error, "RangeError [ERR_CHILD_PROCESS_STDIO_MAXBUFFER]");
    else if (c->sig)
        snprintf(error, sizeof error, "Error {killed: %s, code: null, signal: 'SIG%s'}",
                 e->killed_for ? "true" : "false", sigabbrev_np(c->sig));
    else if (c->code)
        snprintf(error, sizeof error, "Error {code: %d}", c->code);
    if (!c->quiet)
        scope_events_log("%s's callback: error %s, stdout %zu bytes '%s', stderr %zu bytes '%s'",
                         e->call, error, e->len[1], text[1], e->len[2], text[2]);
    uv_close((uv_handle_t *)&e->timer, on_timer_closed);
}

exec_t *exec_new(scope_demo_t *d, const char *name, void (*done)(exec_t *e))
{
    exec_t *e = calloc(1, sizeof *e); /* out of memory this small, nothing is left to show */
    e->done = done;
    e->max_buffer = ((const stdio_opts_t *)d->data)->max_buffer;
    e->child = (stdio_child_t){.demo = d, .name = name, .data = e, .on_data = keep,
                               .on_close = on_close};
    return e;
}

/* As node's, the callback comes even when the child cannot start. */
void exec_file(exec_t *e, const char *file, char *const argv[])
{
    e->call = e->call ? e->call : "execFile";
    uv_timer_init(e->child.demo->loop, &e->timer);
    e->timer.data = e;
    e->child.file = file;
    e->child.argv = argv;
    int r = child_spawn(&e->child, e->child.demo);
    if (!scope_demo_check(e->child.demo, r == 0, "check", "%s %s: %s", e->call, file,
                          strerror(-r)))
        uv_close((uv_handle_t *)&e->timer, on_timer_closed);
    else if (e->timeout_ms > 0)
        uv_timer_start(&e->timer, on_timeout, (uint64_t)e->timeout_ms, 0);
}

void exec_shell(exec_t *e, const char *cmd)
{
    char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
    e->call = "exec";
    exec_file(e, "/bin/sh", argv);
}

/* ---- the steps: a pipeline through the shell ----------------------------- */

static void pipeline_done(exec_t *e)
{
    if (!child_cut(&e->child, 0))
        scope_demo_check(e->child.demo, !e->child.code && e->out[1] &&
                         strstr(e->out[1], "matched 2 lines"), "check",
                         "exec: expected 'matched 2 lines' and code 0, got code %d", e->child.code);
    scope_demo_next(e->child.demo);
}

void exec_pipeline(scope_demo_t *d)
{
    const char *cmd = "echo \"sh is pid $$\"; printf 'hello world\\ngoodbye\\nhello again\\n' | "
                      "grep hello | wc -l | sed 's/^/matched /; s/$/ lines/'";
    scope_events_log("exec(\"%s\"): the shell, not node, reads '$$', '|' and ';'", cmd);
    exec_shell(exec_new(d, "sh", pipeline_done), cmd);
}

/* ---- execFile: no shell, so an input is one argument ---------------------- */

static void file_done(exec_t *e)
{
    scope_demo_t *d = e->child.demo;
    int one_arg = e->out[1] && strcmp(e->out[1], INJECTION "\n") == 0;
    if (scope_demo_check(d, one_arg || d->quitting, "check", "execFile printed '%s', not the "
                         "argument whole", e->out[1] ? e->out[1] : "") && one_arg)
        scope_events_log("execFile: echo printed its one argument back; nothing else ran");
    scope_demo_figure(d, "injection.exec_ran_second_command", cJSON_CreateBool(ef.exec_ran));
    scope_demo_figure(d, "injection.execfile_one_argument", cJSON_CreateBool(one_arg));
    scope_demo_next(d);
}

static void exec_done(exec_t *e)
{
    scope_demo_t *d = e->child.demo;
    ef.exec_ran = e->out[1] && strstr(e->out[1], "\nINJECTED\n") != NULL;
    if (scope_demo_check(d, ef.exec_ran || d->quitting, "check", "exec did not run the "
                         "injected command: '%s'", e->out[1] ? e->out[1] : "") && ef.exec_ran)
        scope_events_log("exec: the shell read ';' as the end of a command and ran the second");
    if (d->quitting) {
        scope_demo_next(d);
        return;
    }
    char *argv[] = {"echo", INJECTION, NULL};
    scope_events_log("execFile('echo', [input]): no shell; execve() gets the input as argv[1]");
    exec_file(exec_new(d, "echo", file_done), "echo", argv);
}

void execfile_injection(scope_demo_t *d)
{
    scope_events_log("exec('echo ' + input), input '%s': the shell gets it all", INJECTION);
    exec_shell(exec_new(d, "sh", exec_done), "echo " INJECTION);
}

/* ---- the cost of a shell: uname -s started each way, in turn ------------- */

static void start_next(scope_demo_t *d);

static void started(exec_t *e)
{
    scope_demo_t *d = e->child.demo;
    scope_demo_check(d, d->quitting || (!e->child.sig && !e->child.code), "check", "%s of uname: "
                     "code %d, signal %d", kinds[ef.kind], e->child.code, e->child.sig);
    scope_hist_add(&ef.ns[ef.kind], scope_time_now_ns() - e->child.t0);
    /* Round robin, spawn, exec, execFile, spawn...: a slow moment of the
     * machine hits all three alike. */
    if (++ef.kind == 3)
        ef.kind = 0, ef.n++;
    start_next(d);
}

static void start_next(scope_demo_t *d)
{
    long starts = ((const stdio_opts_t *)d->data)->starts;
    if (ef.n >= starts && !d->quitting) {
        double ms[3];
        cJSON *o = cJSON_CreateObject();
        for (int k = 0; k < 3; k++) {
            uint64_t median = scope_hist_percentile(&ef.ns[k], 50);
            ms[k] = (double)median / 1e6;
            cJSON_AddNumberToObject(o, kinds[k], (double)median);
        }
        scope_demo_figure(d, "start_ns", o);
        scope_events_log("median start to last EOF: spawn %.2f ms, execFile %.2f ms, exec %.2f ms "
                         "(a shell more)", ms[0], ms[2], ms[1]);
    }
    if (ef.n >= starts || d->quitting) {
        scope_demo_next(d);
        return;
    }
    char *argv[] = {"uname", "-s", NULL};
    exec_t *e = exec_new(d, "uname", started);
    e->child.quiet = 1;
    if (ef.kind == 1)
        exec_shell(e, "uname -s");
    else
        exec_file(e, "uname", argv);
}

void execfile_cost(scope_demo_t *d)
{
    scope_events_log("'uname -s' started %lld times each way: spawn, exec, execFile",
                     ((const stdio_opts_t *)d->data)->starts);
    ef.kind = ef.n = 0;
    for (int k = 0; k < 3; k++)
        scope_hist_reset(&ef.ns[k]);
    start_next(d);
}
