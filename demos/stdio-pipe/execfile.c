/* execfile.c: execFile(file, args) has no shell: an input that runs a second
 * command under exec is one argument to execFile. Then what the shell costs:
 * the same program started each way, timed from pipe2() to the last EOF. */
#include <string.h>

#include "stdio-pipe.h"

#define INJECTION "hello; echo INJECTED"

static const char *const kinds[3] = {"spawn", "exec", "execFile"};

static struct {
    int exec_ran, kind, n;
    scope_hist_t ns[3]; /* pipe2() to the last EOF, each way */
} ef;

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
        cJSON_AddNumberToObject(o, "starts", (double)starts);
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

/* Step 2: the same program started each way, in turn. */
void execfile_cost(scope_demo_t *d)
{
    scope_events_log("'uname -s' started %lld times each way: spawn, exec, execFile",
                     ((const stdio_opts_t *)d->data)->starts);
    ef.kind = ef.n = 0;
    for (int k = 0; k < 3; k++)
        scope_hist_reset(&ef.ns[k]);
    start_next(d);
}

/* ---- the injection ------------------------------------------------------ */

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

/* Step 1: one input from outside, given to exec and to execFile. */
void execfile_injection(scope_demo_t *d)
{
    scope_events_log("exec('echo ' + input), input '" INJECTION "': the shell gets it all");
    exec_shell(exec_new(d, "sh", exec_done), "echo " INJECTION);
}
