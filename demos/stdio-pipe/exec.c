/* exec.c: parts 1 to 3, how a child is started. spawn('grep') streaming
 * through three pipes, and grep's exit codes; exec() through /bin/sh -c with
 * its maxBuffer and timeout; execFile() without a shell, the injection that
 * only exec() runs, and what the shell costs in time. Then the faults
 * (--fault, or the dashboard's fault command), whose bodies the exec part
 * shares: ENOENT, a child killed by a signal, maxBuffer, timeout. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stdio-pipe.h"

/* ---- small helpers ------------------------------------------------------ */

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
    if (n <= 0)
        return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_u64);
    return v[(n - 1) / 2];
}

/* ==== part 1: spawn grep ================================================== */

static const char *const grep_lines[] = {"hello world", "goodbye world", "hello from the parent",
                                         "nothing to see here"};
#define NGREP_LINES 4

static void grep_run(int run);

static void step_grep_codes(scope_demo_t *d)
{
    (void)d;
    grep_run(1);
}

static void grep_on_data(job_t *j, int which, const char *data, size_t len)
{
    trace_data(j, which, data, len, j->chunks[which]);
    char text[200];
    printable(text, sizeof text, data, len);
    scope_events_log("'data' on child.%s: read() %zu bytes from fd %d: %s",
                     which == 1 ? "stdout" : "stderr", len, j->fd[which], text);
}

static void grep_send_line(scope_pacer_t *p)
{
    (void)p;
    job_t *j = &stdio_pipe.main_job;
    if (!j->open[0])
        return;
    const char *l = grep_lines[stdio_pipe.grep_line];
    char line[64];
    int n = snprintf(line, sizeof line, "%s\n", l);
    trace_data(j, 0, line, (size_t)n, (uint64_t)stdio_pipe.grep_line + 1);
    job_write(j, line, (size_t)n, 0);
    scope_events_log("child.stdin.write('%s\\n'): write() of %d bytes on fd %d", l, n, j->fd[0]);
    if (++stdio_pipe.grep_line < NGREP_LINES) {
        scope_pacer_next(&stdio_pipe.pacer, grep_send_line);
        return;
    }
    scope_events_log("child.stdin.end(): close(fd %d). grep's read() returns 0 (EOF); its "
                     "stdout is a pipe, not a terminal, so its C library held the matches in a "
                     "4 KiB buffer until now, and writes them at once",
                     j->fd[0]);
    job_end(j);
}

static void grep_explain(job_t *j)
{
    if (j->sig) {
        stdio_pipe.cut_short |= !stdio_pipe.demo.quitting;
        scope_events_log("grep was killed by %s before it finished: node's 'exit' gives code "
                         "null and signal '%s'",
                         sig_name(j->sig), sig_name(j->sig));
        return;
    }
    if (j->code == 0)
        scope_events_log("waitpid() gives exit code 0: at least one line matched (%llu bytes "
                         "on stdout, %llu on stderr)",
                         (unsigned long long)j->nread[1], (unsigned long long)j->nread[2]);
    else if (j->code == 1)
        scope_events_log("waitpid() gives exit code 1: no line matched. For grep that is an "
                         "answer, not a failure: node emits 'exit' with code 1 and no 'error'. "
                         "exec() would still hand its callback an Error with code 1, so look "
                         "at the code");
    else
        scope_events_log("waitpid() gives exit code %d: grep itself failed. Its reason came on "
                         "stderr (fd %d here), a pipe of its own, in %llu read()s: stderr is "
                         "unbuffered, so each piece of the message was its own write(). "
                         "stdout stayed clean",
                         j->code, j->fd[2], (unsigned long long)j->chunks[2]);
}

static void grep_closed(job_t *j)
{
    grep_explain(j);
    stdio_pipe.grep_codes[stdio_pipe.grep_run] = j->sig ? -1 : j->code;
    int expect[3] = {0, 1, 2};
    if (!j->sig && j->code != expect[stdio_pipe.grep_run])
        part_failed("grep run %d exited %d, expected %d", stdio_pipe.grep_run + 1, j->code,
                    expect[stdio_pipe.grep_run]);
    scope_events_log("'close': grep exited and its stdout and stderr reached EOF");
    if (stdio_pipe.grep_run == 0) {
        lesson_step("grep's exit code: 1 when nothing matched, 2 when grep failed",
                    step_grep_codes);
    } else if (stdio_pipe.grep_run == 1 && !stdio_pipe.demo.quitting) {
        grep_run(2);
    } else {
        cJSON *codes = cJSON_AddArrayToObject(stdio_pipe.summary, "grep_codes");
        for (int i = 0; i <= stdio_pipe.grep_run; i++)
            cJSON_AddItemToArray(codes, cJSON_CreateNumber(stdio_pipe.grep_codes[i]));
        next_part();
    }
}

static void grep_run(int run)
{
    job_t *j = job_new(&stdio_pipe.main_job);
    stdio_pipe.grep_run = run;
    stdio_pipe.grep_line = 0;
    j->role = "grep";
    j->on_data = grep_on_data;
    j->on_close = grep_closed;
    char *argv0[] = {"grep", "hello", NULL};
    char *argv2[] = {"grep", "hello", "/nonexistent/ipcscope-missing-file", NULL};
    if (run == 1)
        scope_events_log("spawn('grep', ['hello']) again, and this time no line says hello");
    if (run == 2)
        scope_events_log("spawn('grep', ['hello', '/nonexistent/ipcscope-missing-file']): "
                         "a file that is not there");
    int r = job_start(j, "grep", run == 2 ? argv2 : argv0);
    if (r < 0) {
        part_failed("spawn grep: %s", strerror(-r));
        next_part();
        return;
    }
    if (run == 0) {
        scope_pacer_next(&stdio_pipe.pacer, grep_send_line);
    } else if (run == 1) {
        const char *l = "goodbye world\n";
        trace_data(j, 0, l, strlen(l), 1);
        job_write(j, l, strlen(l), 1);
        job_end(j);
    } else {
        job_end(j);
    }
}

void part_spawn(scope_demo_t *d)
{
    (void)d;
    scope_events_log("spawn('grep', ['hello']): the child's stdin, stdout and stderr become "
                     "pipes, as in seed 000");
    grep_run(0);
}

/* ==== parts 2 and 3: exec and execFile =================================== */

static void exec_step_maxbuffer(scope_demo_t *d);
static void exec_step_timeout(scope_demo_t *d);
static void step_execfile_cost(scope_demo_t *d);

/* exec(cmd) is execFile('/bin/sh', ['-c', cmd]). */
static int start_exec(job_t *j, const char *cmd)
{
    char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
    j->buffered = 1;
    return job_start(j, "/bin/sh", argv);
}

static void buffered_on_data(job_t *j, int which, const char *data, size_t len)
{
    (void)data;
    if (!j->quiet && j->nread[which] <= 64 * 1024)
        scope_events_log("read() %zu bytes from fd %d (its %s): kept in a buffer, not handed "
                         "over yet",
                         len, j->fd[which], which == 1 ? "stdout" : "stderr");
}

/* What exec's callback gets: (error, stdout, stderr). */
static void report_callback(job_t *j, const char *call)
{
    char out[64], err[64];
    printable(out, sizeof out, j->out[1].p ? j->out[1].p : "", j->out[1].len);
    printable(err, sizeof err, j->out[2].p ? j->out[2].p : "", j->out[2].len);
    if (j->out[1].len)
        trace_data(j, 1, j->out[1].p, j->out[1].len, 0);
    if (j->out[2].len)
        trace_data(j, 2, j->out[2].p, j->out[2].len, 0);
    char error[200];
    if (j->killed_for && strcmp(j->killed_for, "maxBuffer") == 0)
        snprintf(error, sizeof error, "RangeError [ERR_CHILD_PROCESS_STDIO_MAXBUFFER]");
    else if (j->sig)
        snprintf(error, sizeof error, "Error {killed: %s, code: null, signal: '%s'}",
                 j->killed_for ? "true" : "false", sig_name(j->sig));
    else if (j->code)
        snprintf(error, sizeof error, "Error {code: %d}", j->code);
    else
        snprintf(error, sizeof error, "null");
    scope_events_log("%s's callback, after waitpid() and EOF on both pipes (%.2f ms): "
                     "error %s, stdout %zu bytes '%s', stderr %zu bytes '%s'",
                     call, ms(j->t_exit - j->t0), error, j->out[1].len, out, j->out[2].len, err);
}

static void exec_closed(job_t *j)
{
    report_callback(j, "exec");
    if (j->sig && !j->killed_for)
        stdio_pipe.cut_short |= !stdio_pipe.demo.quitting;
    else if (j->code != 0 || !j->out[1].p || !strstr(j->out[1].p, "matched 2 lines"))
        part_failed("exec: expected 'matched 2 lines' and code 0, got code %d", j->code);
    lesson_step("exec's maxBuffer: a child that writes too much is killed", exec_step_maxbuffer);
}

void part_exec(scope_demo_t *d)
{
    (void)d;
    job_t *j = job_new(&stdio_pipe.main_job);
    const char *cmd = "echo \"sh is pid $$\"; printf 'hello world\\ngoodbye\\nhello again\\n' | "
                      "grep hello | wc -l | sed 's/^/matched /; s/$/ lines/'";
    scope_events_log("exec(\"%s\"): node runs /bin/sh -c with the string; the shell, not node, "
                     "understands '$$', '|' and ';'",
                     cmd);
    j->role = "sh";
    j->max_buffer = stdio_pipe.max_buffer;
    j->on_data = buffered_on_data;
    j->on_close = exec_closed;
    int r = start_exec(j, cmd);
    if (r < 0) {
        part_failed("exec: /bin/sh: %s", strerror(-r));
        next_part();
        return;
    }
    scope_events_log("the shell makes its own pipe2() and fork()s for '|': grep, wc and sed are "
                     "its children, writing into the pipe we read");
}

/* The faults' bodies, shared by the exec part and --fault. */

static void maxbuffer_closed(job_t *j)
{
    report_callback(j, "exec");
    if (!j->killed_for || strcmp(j->killed_for, "maxBuffer") || j->out[1].len != j->max_buffer)
        part_failed("maxBuffer: expected the child killed after %zu bytes, kept %zu",
                    j->max_buffer, j->out[1].len);
    else
    {
        scope_events_log("maxBuffer held: %zu bytes kept, the rest never read; the child was "
                         "%s",
                         j->out[1].len, j->sig ? (j->sig == SIGTERM ? "killed by SIGTERM" : "killed")
                                               : "already gone");
        snprintf(stdio_pipe.fault_outcome, sizeof stdio_pipe.fault_outcome,
                 "%zu bytes kept, the child killed, ERR_CHILD_PROCESS_STDIO_MAXBUFFER",
                 j->out[1].len);
    }
    j->done();
}

static int run_maxbuffer(job_t *j, done_fn done)
{
    job_new(j);
    j->role = "sh";
    j->max_buffer = stdio_pipe.max_buffer;
    j->timeout_ms = 0;
    j->on_data = buffered_on_data;
    j->on_close = maxbuffer_closed;
    j->done = done;
    scope_events_log("exec(\"yes 'hello from sh'\", {maxBuffer: %zu}): yes writes forever",
                     stdio_pipe.max_buffer);
    return start_exec(j, "yes 'hello from sh'");
}

static void timeout_closed(job_t *j)
{
    report_callback(j, "exec");
    if (!j->killed_for || strcmp(j->killed_for, "timeout") || j->sig != SIGTERM)
        part_failed("timeout: expected the child killed by SIGTERM, got code %d signal %d",
                    j->code, j->sig);
    else
    {
        scope_events_log("the timeout fired after %ld ms: the shell is reaped, cat is gone too "
                         "(orphaned, init reaps it), and our pipes are closed",
                         j->timeout_ms);
        snprintf(stdio_pipe.fault_outcome, sizeof stdio_pipe.fault_outcome,
                 "killed by SIGTERM after %ld ms, reaped, no process left", j->timeout_ms);
    }
    j->done();
}

static int run_timeout(job_t *j, done_fn done)
{
    job_new(j);
    j->role = "sh";
    j->max_buffer = stdio_pipe.max_buffer;
    j->timeout_ms = stdio_pipe.timeout_ms;
    j->on_data = buffered_on_data;
    j->on_close = timeout_closed;
    j->done = done;
    scope_events_log("exec('cat', {timeout: %ld}): cat waits on its stdin, a pipe we never "
                     "close: it would never exit",
                     stdio_pipe.timeout_ms);
    return start_exec(j, "cat");
}

static void exec_part_done(void)
{
    next_part();
}

static void exec_after_maxbuffer(void)
{
    lesson_step("exec's timeout: SIGTERM for a child that never exits", exec_step_timeout);
}

static void exec_step_maxbuffer(scope_demo_t *d)
{
    (void)d;
    int r = run_maxbuffer(&stdio_pipe.main_job, exec_after_maxbuffer);
    if (r < 0) {
        part_failed("exec: /bin/sh: %s", strerror(-r));
        next_part();
    }
}

static void exec_step_timeout(scope_demo_t *d)
{
    (void)d;
    int r = run_timeout(&stdio_pipe.main_job, exec_part_done);
    if (r < 0) {
        part_failed("exec: /bin/sh: %s", strerror(-r));
        next_part();
    }
}

/* execFile and the injection. */

static void injection_file_closed(job_t *j)
{
    report_callback(j, "execFile");
    const char *out = j->out[1].p ? j->out[1].p : "";
    stdio_pipe.inj_file_one_arg = strcmp(out, INJECTION "\n") == 0;
    if (stdio_pipe.inj_file_one_arg)
        scope_events_log("execFile: echo got one argument and printed it back; ';' is just a "
                         "character when no shell reads it. Nothing else ran");
    else
        part_failed("execFile printed '%s', not the argument whole", out);
    cJSON *o = cJSON_AddObjectToObject(stdio_pipe.summary, "injection");
    cJSON_AddBoolToObject(o, "exec_ran_second_command", stdio_pipe.inj_exec_ran);
    cJSON_AddBoolToObject(o, "execfile_one_argument", stdio_pipe.inj_file_one_arg);
    lesson_step("what the shell costs: spawn, exec and execFile timed", step_execfile_cost);
}

static void injection_exec_closed(job_t *j)
{
    report_callback(j, "exec");
    const char *out = j->out[1].p ? j->out[1].p : "";
    stdio_pipe.inj_exec_ran = strstr(out, "\nINJECTED\n") != NULL;
    if (stdio_pipe.inj_exec_ran)
        scope_events_log("exec: the shell read ';' as the end of a command and ran 'echo "
                         "INJECTED' too. Had the input said 'rm -rf ~', that would have run");
    else
        part_failed("exec did not run the injected command: '%s'", out);
    if (stdio_pipe.demo.quitting) {
        next_part();
        return;
    }
    char *argv[] = {"echo", INJECTION, NULL};
    job_new(j);
    j->role = "echo";
    j->buffered = 1;
    j->max_buffer = stdio_pipe.max_buffer;
    j->on_close = injection_file_closed;
    scope_events_log("execFile('echo', [input]): no shell; execve() gets the input as argv[1], "
                     "whole");
    int r = job_start(j, "echo", argv);
    if (r < 0) {
        part_failed("execFile echo: %s", strerror(-r));
        next_part();
    }
}

void part_execfile(scope_demo_t *d)
{
    (void)d;
    job_t *j = job_new(&stdio_pipe.main_job);
    j->role = "sh";
    j->max_buffer = stdio_pipe.max_buffer;
    j->on_close = injection_exec_closed;
    scope_events_log("input from outside, say a form field: '%s'", INJECTION);
    scope_events_log("exec('echo ' + input): the shell gets \"echo " INJECTION "\"");
    int r = start_exec(j, "echo " INJECTION);
    if (r < 0) {
        part_failed("exec: /bin/sh: %s", strerror(-r));
        next_part();
    }
}

/* Timing: uname -s started by spawn, exec and execFile, one after another. */
static const char *const start_kinds[3] = {"spawn", "exec", "execFile"};

static void start_next(void);

static void start_closed(job_t *j)
{
    if (j->sig || j->code != 0) {
        part_failed("%s of uname: code %d, signal %d", start_kinds[stdio_pipe.start_kind], j->code,
                    j->sig);
    }
    stdio_pipe.start_ns[stdio_pipe.start_kind][stdio_pipe.start_n] = scope_time_now_ns() - j->t0;
    /* Round robin, spawn, exec, execFile, spawn...: a slow moment of the
     * machine then hits all three alike. */
    if (++stdio_pipe.start_kind == 3) {
        stdio_pipe.start_kind = 0;
        stdio_pipe.start_n++;
    }
    start_next();
}

static void start_next(void)
{
    job_t *j = &stdio_pipe.main_job;
    if (stdio_pipe.start_n >= stdio_pipe.starts || stdio_pipe.demo.quitting) {
        uint64_t med[3];
        for (int k = 0; k < 3; k++)
            med[k] = median(stdio_pipe.start_ns[k], (int)stdio_pipe.start_n);
        if (stdio_pipe.start_n >= stdio_pipe.starts) {
            scope_events_log("median of %ld starts, from pipe2() to the last EOF: spawn %.2f ms, "
                             "execFile %.2f ms, exec %.2f ms. exec pays for a shell: one more "
                             "fork() and execve(), and sh's own start-up",
                             stdio_pipe.starts, ms(med[0]), ms(med[2]), ms(med[1]));
            cJSON *o = cJSON_AddObjectToObject(stdio_pipe.summary, "start_ns");
            cJSON_AddNumberToObject(o, "spawn", (double)med[0]);
            cJSON_AddNumberToObject(o, "exec", (double)med[1]);
            cJSON_AddNumberToObject(o, "execFile", (double)med[2]);
            cJSON_AddNumberToObject(o, "starts", (double)stdio_pipe.starts);
        }
        next_part();
        return;
    }
    job_new(j);
    j->role = "uname";
    j->quiet = 1;
    j->max_buffer = stdio_pipe.max_buffer;
    j->on_close = start_closed;
    int r;
    if (stdio_pipe.start_kind == 1) {
        r = start_exec(j, "uname -s");
    } else {
        char *argv[] = {"uname", "-s", NULL};
        j->buffered = stdio_pipe.start_kind == 2;
        r = job_start(j, "uname", argv);
    }
    if (r < 0) {
        j->quiet = 0;
        part_failed("start uname: %s", strerror(-r));
        next_part();
    }
}

static void step_execfile_cost(scope_demo_t *d)
{
    (void)d;
    scope_events_log("starting 'uname -s' %ld times each way, in turn: spawn('uname', ['-s']), "
                     "exec('uname -s'), execFile('uname', ['-s'])",
                     stdio_pipe.starts);
    stdio_pipe.start_kind = stdio_pipe.start_n = 0;
    start_next();
}

/* ==== faults ============================================================== */

static void enoent_exec_closed(job_t *j)
{
    report_callback(j, "exec");
    if (j->code == 127) {
        scope_events_log("exec() of the same name is another story: the shell started fine, "
                         "said 'not found' on stderr and exited 127, so the callback gets an "
                         "Error with code 127, and no 'error' event");
        snprintf(stdio_pipe.fault_outcome, sizeof stdio_pipe.fault_outcome,
                 "spawn failed with ENOENT before fork(); exec through the shell exited 127");
    }
    else
        part_failed("exec of a missing command: expected exit 127, got %d", j->code);
    job_free_output(j);
    j->done();
}

static void run_enoent(job_t *j, done_fn done)
{
    char *argv[] = {MISSING_CMD, "--help", NULL};
    job_new(j);
    j->role = MISSING_CMD;
    scope_events_log("spawn('%s'): a command that does not exist", MISSING_CMD);
    int r = job_start(j, MISSING_CMD, argv);
    if (r == 0) {
        part_failed("%s exists?", MISSING_CMD);
        job_kill(j, SIGKILL, NULL);
        j->on_close = NULL;
        done();
        return;
    }
    scope_events_error("spawn",
                       "spawn %s %s: %s. node emits 'error' on the child (code '%s', syscall "
                       "'spawn %s') and no 'exit'. PATH was searched before fork(): no "
                       "process was made",
                       MISSING_CMD, uv_err_name(r), strerror(-r), uv_err_name(r), MISSING_CMD);
    if (r != -ENOENT)
        part_failed("expected ENOENT, got %s", strerror(-r));
    if (stdio_pipe.demo.quitting) {
        done();
        return;
    }
    job_new(j);
    j->role = "sh";
    j->max_buffer = stdio_pipe.max_buffer;
    j->on_close = enoent_exec_closed;
    j->done = done;
    scope_events_log("exec('%s'): the same name, through a shell", MISSING_CMD);
    if (start_exec(j, MISSING_CMD) < 0)
        done();
}

static void signal_on_exit(job_t *j)
{
    /* The child is gone: a write now finds a pipe with no reader. */
    const char *l = "anyone there?\n";
    ssize_t n = write(j->fd[0], l, strlen(l));
    if (n < 0 && errno == EPIPE)
        scope_events_error("EPIPE", "write() on fd %d after the child died: EPIPE (our SIGPIPE "
                           "is ignored, as node ignores it). node emits 'error' on child.stdin "
                           "with code 'EPIPE'",
                           j->fd[0]);
    else
        scope_events_log("write() after the child died: %s", n < 0 ? strerror(errno) : "taken");
}

static void signal_on_data(job_t *j, int which, const char *data, size_t len)
{
    grep_on_data(j, which, data, len);
    if (which == 1 && j->child.running && !j->killed_for) {
        scope_events_log("kill(%ld, SIGKILL): as if someone outside killed it (kill -9)",
                         (long)j->child.pid);
        job_kill(j, SIGKILL, "kill");
    }
}

static void signal_closed(job_t *j)
{
    if (j->sig == SIGKILL) {
        scope_events_log("node's 'exit' gets (code null, signal 'SIGKILL'); a code of null "
                         "means: look at the signal");
        snprintf(stdio_pipe.fault_outcome, sizeof stdio_pipe.fault_outcome,
                 "the child killed by SIGKILL and reaped: exit code null, signal SIGKILL");
    }
    else
        part_failed("expected the child killed by SIGKILL, got code %d signal %d", j->code,
                    j->sig);
    j->done();
}

static void run_signal(job_t *j, done_fn done)
{
    char *argv[] = {"cat", NULL};
    job_new(j);
    j->role = "cat";
    j->on_data = signal_on_data;
    j->on_exit = signal_on_exit;
    j->on_close = signal_closed;
    j->done = done;
    scope_events_log("spawn('cat'): it copies its stdin to its stdout until killed");
    int r = job_start(j, "cat", argv);
    if (r < 0) {
        part_failed("spawn cat: %s", strerror(-r));
        done();
        return;
    }
    const char *l = "hello cat\n";
    trace_data(j, 0, l, strlen(l), 1);
    job_write(j, l, strlen(l), 1);
}

void run_fault(const char *kind, job_t *j, done_fn done)
{
    stdio_pipe.fault_running = 1;
    int r = 0;
    if (strcmp(kind, "enoent") == 0) {
        run_enoent(j, done);
    } else if (strcmp(kind, "signal") == 0) {
        run_signal(j, done);
    } else if (strcmp(kind, "maxbuffer") == 0) {
        r = run_maxbuffer(j, done);
    } else if (strcmp(kind, "timeout") == 0) {
        r = run_timeout(j, done);
    } else {
        scope_events_error("fault", "unknown fault '%s' (enoent, signal, maxbuffer or timeout)",
                           kind);
        done();
        return;
    }
    if (r < 0) {
        part_failed("fault %s: %s", kind, strerror(-r));
        done();
    }
}

const char *fault_titles(const char *kind)
{
    if (strcmp(kind, "enoent") == 0)
        return "a command that does not exist (ENOENT)";
    if (strcmp(kind, "signal") == 0)
        return "a child killed by a signal";
    if (strcmp(kind, "maxbuffer") == 0)
        return "a child that writes more than maxBuffer";
    return "a child that never exits (timeout)";
}

