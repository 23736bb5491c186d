/* main.c: the stdio-pipe demo's options and the order of its steps.
 *
 *   spawn         grep through three pipes, and its exit codes   (grep.c)
 *   exec          /bin/sh -c, maxBuffer, timeout                  (exec.c, faults.c)
 *   execfile      no shell: the injection; what a shell costs     (execfile.c)
 *   stdio         ['pipe', 'pipe', 'pipe', 'ipc']                 (stdio.c)
 *   backpressure  the reader stops, the queue grows and drains    (backpressure.c)
 *   stream        the same pipe at full speed                     (stream.c)
 *   pingpong      a line there and back, timed                    (pingpong.c)
 * then the fault asked for (faults.c), and the summary in 'bye'. With
 * --as-child KIND, this process is one of the demo's children (children.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
#define PARTS "spawn exec execfile stdio backpressure stream pingpong"
/* What each file hands over for the bye, in the parts' order. */
static report_t (*const reports[])(void) = {grep_report, exec_report, execfile_report,
    stdio_report, backpressure_report, stream_report, pingpong_report, fault_report};

static scope_demo_t demo;
static stdio_opts_t opt = {
    .max_buffer = 1024 * 1024, .burst = 1024 * 1024, .stream_bytes = 32u * 1024 * 1024,
    .timeout_ms = 1000, .stall_ms = 2000, .starts = 5,
};
static char parts[128] = PARTS; /* --part: the parts that run */
static scope_demo_lesson_t lesson[NSTEPS + 2];
static char fault_step[96], outcome[160];
static int lesson_over, dash_fault, finished;

/* Is word one of the space-separated words of list? */
static int one_of(const char *word, const char *list)
{
    size_t n = strlen(word);
    for (const char *p = strstr(list, word); n && p; p = strstr(p + 1, word))
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
            return 1;
    return 0;
}

/* The bye: every file's figures and sentences, the checks that failed. */
static void finish(scope_demo_t *d)
{
    if (finished || dash_fault)
        return;
    finished = 1;
    cJSON *summary = cJSON_CreateObject();
    char notes[700] = "", text[900], what[64];
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
    for (int i = 0; i < NSTEPS; i++)
        n += one_of(steps[i].part, parts) && (i == 0 || strcmp(steps[i].part, steps[i - 1].part));
    snprintf(what, sizeof what, "%d part%s%s%.20s", n, n == 1 ? "" : "s",
             opt.fault ? " and fault " : "", opt.fault ? opt.fault : "");
    if (outcome[0])
        cJSON_AddStringToObject(summary, "fault_outcome", outcome);
    if (failed)
        snprintf(text, sizeof text, "%s: %d check%s failed%s", what, failed,
                 failed == 1 ? "" : "s", notes);
    else
        snprintf(text, sizeof text, "%s: %s%s%s", what, outcome[0] ? outcome : "done", notes,
                 cut_short ? "; a child was killed before its part was over" : "");
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
    } else if (!finished) {
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
    static const char *child = "c";
    static const struct {
        const char *name, *want; /* want: the words it takes, or a number's range */
        double lo, hi;
        size_t *size;
        long *num;
        const char **word;
    } t[] = {
        {"max-buffer", "1 to 1073741824", 1, 1 << 30, &opt.max_buffer, NULL, NULL},
        {"timeout", "1 to 3600000", 1, 3600000, NULL, &opt.timeout_ms, NULL},
        {"stall", "0 to 3600000", 0, 3600000, NULL, &opt.stall_ms, NULL},
        {"burst", "1 to 268435456", 1, 1 << 28, &opt.burst, NULL, NULL},
        {"stream-bytes", "1 to 68719476736", 1, 64.0 * (1 << 30), &opt.stream_bytes, NULL, NULL},
        {"starts", "1 to 64", 1, 64, NULL, &opt.starts, NULL},
        {"fault", "enoent signal maxbuffer timeout", 0, 0, NULL, NULL, &opt.fault},
        {"child", "c node", 0, 0, NULL, NULL, &child},
        {"as-child", "echo reader sink stdio", 0, 0, NULL, NULL, &opt.as_child},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char *end;
        double v = strtod(value ? value : "", &end);
        if (strcmp(name, t[i].name) != 0)
            continue;
        if (t[i].word ? !one_of(value, t[i].want)
                      : end == value || *end || v < t[i].lo || v > t[i].hi || v != (long long)v) {
            snprintf(d->error, sizeof d->error, "--%s wants %s, not '%s'", name, t[i].want, value);
            return -EINVAL;
        }
        if (t[i].word)
            *t[i].word = value;
        else if (t[i].size)
            *t[i].size = (size_t)v;
        else
            *t[i].num = (long)v;
        opt.node_child = strcmp(child, "node") == 0;
        return 0;
    }
    if (strcmp(name, "slow-reader") == 0)
        opt.slow_reader = 1;
    if (strcmp(name, "part") != 0)
        return 0;
    /* "--part ''": nothing but a fault */
    char list[128], *save;
    snprintf(parts, sizeof parts, "%s", value);
    for (char *c = parts; (c = strchr(c, ','));)
        *c = ' ';
    snprintf(list, sizeof list, "%s", parts);
    for (char *w = strtok_r(list, " ", &save); w; w = strtok_r(NULL, " ", &save))
        if (!one_of(w, PARTS)) {
            snprintf(d->error, sizeof d->error, "--part wants some of: %s; not '%s'", PARTS, w);
            return -EINVAL;
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

    if (opt.fault && strcmp(parts, PARTS) == 0)
        parts[0] = '\0'; /* --fault alone: the fault alone */
    demo.data = &opt; /* the steps read the options, never write them */
    demo.on_quit = on_quit;
    demo.on_control = on_control;
    demo.on_lesson_end = lesson_end;
    demo.params = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(demo.params, "parts");
    int n = 0;
    for (int i = 0; i < NSTEPS; i++) {
        if (!one_of(steps[i].part, parts))
            continue;
        lesson[n++] = steps[i].step;
        if (i == 0 || strcmp(steps[i].part, steps[i - 1].part))
            cJSON_AddItemToArray(list, cJSON_CreateString(steps[i].part));
    }
    if (opt.fault) {
        snprintf(fault_step, sizeof fault_step, "fault: %s", fault_title(opt.fault));
        lesson[n++] = (scope_demo_lesson_t){fault_step, step_fault};
        cJSON_AddStringToObject(demo.params, "fault", opt.fault);
    }
    cJSON_AddNumberToObject(demo.params, "max_buffer", (double)opt.max_buffer);
    cJSON_AddNumberToObject(demo.params, "timeout", (double)opt.timeout_ms);
    cJSON_AddBoolToObject(demo.params, "slow_reader", opt.slow_reader);
    cJSON_AddStringToObject(demo.params, "child", opt.node_child ? "node" : "c");
    if ((r = scope_demo_start(&demo, uv_default_loop(), "parent", 1)) < 0) {
        fprintf(stderr, "stdio-pipe: cannot start: %s\n", strerror(-r));
        return 1;
    }
    scope_demo_lesson(&demo, lesson);
    r = scope_demo_run(&demo);
    scope_role_kill_all(&demo); /* never leave one behind */
    scope_spawn_shutdown(demo.loop);
    return r;
}
