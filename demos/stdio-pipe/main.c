/* main.c: the stdio-pipe demo's options and the order of its parts.
 *
 * The walk, one lesson step each (the parts add steps of their own):
 *   spawn         grep through three pipes, and its exit codes   (grep.c)
 *   exec          /bin/sh -c, maxBuffer, timeout                  (exec.c)
 *   execfile      no shell: the injection; what a shell costs     (execfile.c)
 *   stdio         ['pipe', 'pipe', 'pipe', 'ipc']                 (stdio.c)
 *   backpressure  the reader stops, the queue grows and drains    (backpressure.c)
 *   stream        the same pipe at full speed                     (stream.c)
 *   pingpong      a line there and back, timed                    (pingpong.c)
 * then the fault asked for (faults.c), and the summary in 'bye'. With
 * --as-child KIND, this process is one of the demo's children (children.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stdio-pipe.h"

static const scope_demo_info_t info = {
    "stdio-pipe",
    "spawn, exec and execFile: a child's stdin and stdout are pipes",
    "A parent streams through grep, runs commands with and without a shell, and fills a pipe "
    "until write() has to wait.",
    "000 002 003 004",
    "管道 (pipe) | 快 | ❌ | 低 | 流式数据",
    "enoent signal maxbuffer timeout",
};

static const scope_demo_option_t options[] = {
    {"part", "LIST",
     "run only these parts, comma-separated: spawn, exec, execfile, stdio, backpressure, "
     "stream, pingpong"},
    {"fault", "KIND", "show one failure: enoent, signal, maxbuffer or timeout"},
    {"max-buffer", "BYTES", "exec's maxBuffer (default 1048576, as in node)"},
    {"timeout", "MS", "exec's timeout where the demo shows it (default 1000)"},
    {"slow-reader", NULL, "in backpressure, the reader takes 4 KiB every 10 ms once it resumes"},
    {"stall", "MS", "how long the backpressure reader stays away once the pipe is full (default 2000)"},
    {"burst", "BYTES", "what the backpressure writer writes at once (default 1048576)"},
    {"stream-bytes", "BYTES", "bytes pushed through the pipe at full speed (default 33554432)"},
    {"starts", "N", "children started per kind when timing spawn, exec and execFile (default 5)"},
    {"child", "c|node", "the stdio-array child: this program (default) or node"},
    {"as-child", "KIND", "be a child of stdio-pipe: echo, reader, sink or stdio"},
    {NULL, NULL, NULL},
};

/* The lesson: each part's steps, in order (--part NAME picks parts). */
static const struct {
    const char *part;
    scope_demo_lesson_t step;
} steps[] = {
    {"spawn", {"spawn('grep', ['hello']): three pipes, fork, dup2, execve", grep_spawn}},
    {"spawn", {"grep's exit code: 1 when nothing matched, 2 when grep failed", grep_codes}},
    {"exec", {"exec(): a command string through /bin/sh -c, output buffered", exec_pipeline}},
    {"exec", {"exec's maxBuffer: a child that writes too much is killed", fault_maxbuffer}},
    {"exec", {"exec's timeout: SIGTERM for a child that never exits", fault_timeout}},
    {"execfile", {"execFile(): no shell; 'hello; echo INJECTED' given to both", execfile_injection}},
    {"execfile", {"what the shell costs: spawn, exec and execFile timed", execfile_cost}},
    {"stdio", {"stdio ['pipe', 'pipe', 'pipe', 'ipc']: pipes and a channel at fd 3", stdio_array}},
    {"backpressure", {"backpressure: the reader stops, the pipe fills, the queue grows",
                      backpressure_fill}},
    {"backpressure", {"the reader resumes: the queue drains, then 'drain'", backpressure_resume}},
    {"stream", {"the same pipe at full speed, waiting for 'drain'", stream_run}},
    {"pingpong", {"ping-pong through the child's stdin and stdout", pingpong_run}},
};
#define NSTEPS ((int)(sizeof steps / sizeof steps[0]))
static const char *const parts[] = {"spawn", "exec", "execfile", "stdio", "backpressure",
                                    "stream", "pingpong"};
#define NPARTS ((int)(sizeof parts / sizeof parts[0]))
/* What each file hands over for the bye, in the parts' order. */
static report_t (*const reports[])(void) = {grep_report, exec_report, execfile_report,
    stdio_report, backpressure_report, stream_report, pingpong_report, fault_report};

static scope_demo_t demo;
static stdio_opts_t opt = {
    .max_buffer = 1024 * 1024, .burst = 1024 * 1024, .stream_bytes = 32u * 1024 * 1024,
    .timeout_ms = 1000, .stall_ms = 2000, .starts = 5,
};
static unsigned chosen; /* bit i: parts[i] runs */
static scope_demo_lesson_t lesson[NSTEPS + 2];
static char fault_title_buf[96], outcome[160];
static int lesson_over, dash_fault, finished;

/* The bye: every file's figures and sentences, the checks that failed. */
static void finish(scope_demo_t *d)
{
    if (finished || dash_fault)
        return;
    finished = 1;
    cJSON *summary = cJSON_CreateObject();
    char notes[700] = "", text[900], what[64] = "";
    int failed = 0, cut_short = 0, n = 0;
    for (size_t i = 0; i < sizeof reports / sizeof reports[0]; i++) {
        report_t r = reports[i]();
        failed += r.failed;
        cut_short |= r.cut_short;
        if (r.note[0])
            snprintf(notes + strlen(notes), sizeof notes - strlen(notes), "; %s", r.note);
        for (cJSON *f; r.figures && (f = r.figures->child);)
            cJSON_AddItemToObject(summary, f->string, cJSON_DetachItemViaPointer(r.figures, f));
        cJSON_Delete(r.figures);
    }
    for (int i = 0; i < NPARTS; i++)
        n += (chosen >> i) & 1;
    if (n)
        snprintf(what, sizeof what, "%d part%s%s", n, n == 1 ? "" : "s", opt.fault ? " and " : "");
    if (opt.fault)
        snprintf(what + strlen(what), sizeof what - strlen(what), "fault %s", opt.fault);
    if (outcome[0])
        cJSON_AddStringToObject(summary, "fault_outcome", outcome);
    snprintf(text, sizeof text, "%s: %s%s%s", what, outcome[0] ? outcome : "done", notes,
             cut_short ? "; a child was killed before its part was over" : "");
    if (failed)
        snprintf(text, sizeof text, "%s: %d check%s failed%s", what, failed,
                 failed == 1 ? "" : "s", notes);
    cJSON_AddNumberToObject(summary, "failed", failed);
    cJSON_AddBoolToObject(summary, "complete", !cut_short && !d->quitting);
    if (failed || cut_short)
        scope_demo_exit(d, 1);
    scope_events_bye(summary, text);
    scope_demo_stop(d);
}

static void lesson_end(scope_demo_t *d)
{
    lesson_over = 1;
    finish(d);
}

/* The fault asked for with --fault: the lesson's last step. */
static void fault_over(scope_demo_t *d, const char *what)
{
    snprintf(outcome, sizeof outcome, "%s", what ? what : "");
    scope_demo_next(d);
}

static void step_fault(scope_demo_t *d)
{
    if (fault_run(d, opt.fault, fault_over) < 0)
        scope_demo_next(d);
}

/* A fault from the dashboard: the bye waits for it. */
static void dash_fault_over(scope_demo_t *d, const char *what)
{
    snprintf(outcome, sizeof outcome, "%s", what ? what : "");
    dash_fault = 0;
    if (lesson_over || (d->quitting && child_quit_all() == 0))
        finish(d);
}

static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    if (strcmp(cmd, "fault") != 0) {
        backpressure_control(d, cmd);
    } else if (finished) {
        scope_events_error("fault", "the demo is over: no fault now");
    } else {
        int r = fault_run(d, d->fault, dash_fault_over);
        if (r == -EBUSY)
            scope_events_error("fault", "one fault at a time: '%s' waits for none", d->fault);
        dash_fault = r == 0;
    }
}

static void on_quit(scope_demo_t *d)
{
    /* Every child's pipes closed and SIGTERM; each 'close' ends its step,
     * and lib/demo, quitting, ends the lesson. With none running, now. */
    if (child_quit_all() == 0) {
        dash_fault = 0;
        finish(d);
    }
}

static int on_option(scope_demo_t *d, const char *name, const char *value)
{
    static const struct {
        const char *name;
        double lo, hi;
        size_t *size;
        long *num;
        const char *want;
    } nums[] = {
        {"max-buffer", 1, 1 << 30, &opt.max_buffer, NULL, "bytes from 1 to 1073741824"},
        {"timeout", 1, 3600000, NULL, &opt.timeout_ms, "milliseconds from 1 to 3600000"},
        {"stall", 0, 3600000, NULL, &opt.stall_ms, "milliseconds from 0 to 3600000"},
        {"burst", 1, 256.0 * 1024 * 1024, &opt.burst, NULL, "bytes from 1 to 268435456"},
        {"stream-bytes", 1, 64.0 * 1024 * 1024 * 1024, &opt.stream_bytes, NULL,
         "bytes from 1 to 64 GiB"},
        {"starts", 1, 64, NULL, &opt.starts, "a number from 1 to 64"},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if (strcmp(name, nums[i].name) != 0)
            continue;
        char *end;
        errno = 0;
        double v = strtod(value, &end);
        if (errno || end == value || *end || v < nums[i].lo || v > nums[i].hi ||
            v != (double)(long long)v) {
            snprintf(d->error, sizeof d->error, "--%s wants %s", name, nums[i].want);
            return -EINVAL;
        }
        if (nums[i].size)
            *nums[i].size = (size_t)v;
        else
            *nums[i].num = (long)v;
        return 0;
    }
    if (strcmp(name, "part") == 0) {
        char list[128];
        snprintf(list, sizeof list, "%s", value);
        chosen = 1u << NPARTS; /* "--part ''": nothing but a fault */
        for (char *save, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            int found = -1;
            for (int i = 0; i < NPARTS; i++)
                found = strcmp(tok, parts[i]) == 0 ? i : found;
            if (found < 0) {
                snprintf(d->error, sizeof d->error, "--part wants spawn, exec, execfile, stdio, "
                         "backpressure, stream or pingpong, not '%s'", tok);
                return -EINVAL;
            }
            chosen |= 1u << found;
        }
    } else if (strcmp(name, "fault") == 0) {
        if (strcmp(value, "enoent") && strcmp(value, "signal") && strcmp(value, "maxbuffer") &&
            strcmp(value, "timeout")) {
            snprintf(d->error, sizeof d->error,
                     "--fault wants enoent, signal, maxbuffer or timeout, not '%s'", value);
            return -EINVAL;
        }
        opt.fault = value;
    } else if (strcmp(name, "slow-reader") == 0) {
        opt.slow_reader = 1;
    } else if (strcmp(name, "child") == 0) {
        if (strcmp(value, "c") && strcmp(value, "node")) {
            snprintf(d->error, sizeof d->error, "--child wants c or node, not '%s'", value);
            return -EINVAL;
        }
        opt.node_child = strcmp(value, "node") == 0;
    } else if (strcmp(name, "as-child") == 0) {
        if (strcmp(value, "echo") && strcmp(value, "reader") && strcmp(value, "sink") &&
            strcmp(value, "stdio")) {
            snprintf(d->error, sizeof d->error, "--as-child wants echo, reader, sink or stdio");
            return -EINVAL;
        }
        opt.as_child = value;
    }
    return 0;
}

int main(int argc, char **argv)
{
    demo.on_option = on_option;
    int r = scope_demo_parse(&demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    if (opt.as_child)
        return child_main(&demo, &opt);

    if (!chosen)
        chosen = opt.fault ? 0 : (1u << NPARTS) - 1;
    demo.data = &opt; /* the steps read the options, never write them */
    demo.on_quit = on_quit;
    demo.on_control = on_control;
    demo.on_lesson_end = lesson_end;
    demo.params = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(demo.params, "parts");
    for (int i = 0; i < NPARTS; i++)
        if (chosen & (1u << i))
            cJSON_AddItemToArray(list, cJSON_CreateString(parts[i]));
    if (opt.fault)
        cJSON_AddStringToObject(demo.params, "fault", opt.fault);
    cJSON_AddNumberToObject(demo.params, "max_buffer", (double)opt.max_buffer);
    cJSON_AddNumberToObject(demo.params, "timeout", (double)opt.timeout_ms);
    cJSON_AddBoolToObject(demo.params, "slow_reader", opt.slow_reader);
    cJSON_AddStringToObject(demo.params, "child", opt.node_child ? "node" : "c");
    if ((r = scope_demo_start(&demo, uv_default_loop(), "parent", 1)) < 0) {
        fprintf(stderr, "stdio-pipe: cannot start: %s\n", strerror(-r));
        return 1;
    }
    /* The steps of the parts chosen, then the fault asked for. */
    int n = 0;
    for (int i = 0; i < NSTEPS; i++)
        for (int k = 0; k < NPARTS; k++)
            if ((chosen & (1u << k)) && strcmp(steps[i].part, parts[k]) == 0)
                lesson[n++] = steps[i].step;
    if (opt.fault) {
        snprintf(fault_title_buf, sizeof fault_title_buf, "fault: %s", fault_title(opt.fault));
        lesson[n++] = (scope_demo_lesson_t){fault_title_buf, step_fault};
    }
    scope_demo_lesson(&demo, lesson);
    r = scope_demo_run(&demo);
    scope_role_kill_all(&demo); /* never leave one behind */
    scope_spawn_shutdown(demo.loop);
    return r;
}
