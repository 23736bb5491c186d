/* main.c: the stdio-pipe demo's options and the order of its steps (the
 * parts, then the fault asked for, then the bye). With --as-child KIND,
 * this process is one of the demo's children (children.c). */
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
    {"part", "LIST", "only these parts (comma-separated): spawn, exec, execfile, stdio, "
                     "backpressure, stream, pingpong"},
    {"fault", "KIND", "show one failure: enoent, signal, maxbuffer or timeout"},
    {"max-buffer", "BYTES", "exec's maxBuffer (default 1048576, as in node)"},
    {"timeout", "MS", "exec's timeout (default 1000)"},
    {"slow-reader", NULL, "the backpressure reader takes 4 KiB every 10 ms"},
    {"stall", "MS", "how long the backpressure reader stays away (default 2000)"},
    {"burst", "BYTES", "what the backpressure writer writes at once (default 1048576)"},
    {"stream-bytes", "BYTES", "bytes streamed at full speed (default 33554432)"},
    {"starts", "N", "starts per kind when timing spawn, exec, execFile (default 5)"},
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
#define PARTS "spawn,exec,execfile,stdio,backpressure,stream,pingpong"

static scope_demo_t demo;
static stdio_opts_t opt = {
    .max_buffer = 1024 * 1024, .burst = 1024 * 1024, .stream_bytes = 32u * 1024 * 1024,
    .timeout_ms = 1000, .stall_ms = 2000, .starts = 5,
};
static const char *parts = PARTS; /* --part: the parts that run */
static scope_demo_lesson_t lesson[NSTEPS + 2];
static char fault_title_buf[96];
static int lesson_over, dash_fault, finished, nparts;

/* Is word (n bytes) one of list's words, separated by ',' or ' '? */
static int one_of(const char *word, size_t n, const char *list)
{
    for (const char *p = list; n && *p; p += strcspn(p, ", "), p += *p != 0)
        if (strcspn(p, ", ") == n && strncmp(p, word, n) == 0)
            return 1;
    return 0;
}

/* Is each of value's comma-separated words one of list's? */
static int all_of(const char *value, const char *list)
{
    for (const char *w = value; *w; w += strcspn(w, ","), w += *w != 0)
        if (!one_of(w, strcspn(w, ","), list))
            return 0;
    return 1;
}

/* The bye: the figures each file handed over (scope_demo_figure). */
static void finish(scope_demo_t *d)
{
    if (finished || dash_fault)
        return;
    finished = 1;
    char text[300];
    if (d->quitting)
        scope_demo_figure(d, "complete", cJSON_CreateFalse());
    snprintf(text, sizeof text, "%d part%s%s%.20s: %s", nparts, nparts == 1 ? "" : "s",
             opt.fault ? " and fault " : "", opt.fault ? opt.fault : "",
             d->exit_code ? "a check failed, or a child was killed before its part was over "
                            "(the error events say which)" : "done");
    scope_demo_bye(d, NULL, text);
    scope_demo_stop(d);
}

static void lesson_end(scope_demo_t *d)
{
    lesson_over = 1;
    finish(d);
}

/* A fault from the dashboard: the bye waits for it. */
static void dash_fault_over(scope_demo_t *d)
{
    dash_fault = 0;
    if (lesson_over || (d->quitting && child_quit_all() == 0))
        finish(d);
}

static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    if (strcmp(cmd, "fault") != 0)
        backpressure_control(d, cmd);
    else if (!finished)
        dash_fault = fault_run(d, d->fault, dash_fault_over) == 0;
}

/* Every child's pipes closed and SIGTERM; each 'close' ends its step, and
 * lib/demo, quitting, ends the lesson. With none running, now. */
static void on_quit(scope_demo_t *d)
{
    if (child_quit_all() == 0) {
        dash_fault = 0;
        finish(d);
    }
}

static int on_option(scope_demo_t *d, const char *name, const char *value)
{
    static const char *child = "c";
    static const struct { const char *name, *want; const char **at; } words[] = {
        {"part", PARTS, &parts}, {"fault", "enoent signal maxbuffer timeout", &opt.fault},
        {"child", "c node", &child}, {"as-child", "echo reader sink stdio", &opt.as_child}};
    static const struct { const char *name; double lo, hi; size_t *size; long *num; } nums[] = {
        {"max-buffer", 1, 1 << 30, &opt.max_buffer, NULL}, {"burst", 1, 1 << 28, &opt.burst, NULL},
        {"stream-bytes", 1, 64.0 * (1 << 30), &opt.stream_bytes, NULL},
        {"timeout", 1, 3600000, NULL, &opt.timeout_ms}, {"stall", 0, 3600000, NULL, &opt.stall_ms},
        {"starts", 1, 64, NULL, &opt.starts}};
    opt.slow_reader |= strcmp(name, "slow-reader") == 0;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strcmp(name, words[i].name) != 0)
            continue;
        /* --part takes a list ("--part ''": nothing but a fault), the others one word */
        if (i ? !one_of(value, strlen(value), words[i].want) || strchr(value, ',')
              : !all_of(value, words[i].want)) {
            snprintf(d->error, sizeof d->error, "--%s wants %s, not '%s'", name,
                     words[i].want, value);
            return -EINVAL;
        }
        *words[i].at = value;
        opt.node_child = strcmp(child, "node") == 0;
    }
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        char *end;
        double v = strtod(value ? value : "", &end);
        if (strcmp(name, nums[i].name) != 0)
            continue;
        if (end == value || *end || v < nums[i].lo || v > nums[i].hi || v != (long long)v) {
            snprintf(d->error, sizeof d->error, "--%s wants %.0f to %.0f, not '%s'", name,
                     nums[i].lo, nums[i].hi, value);
            return -EINVAL;
        }
        if (nums[i].size)
            *nums[i].size = (size_t)v;
        else
            *nums[i].num = (long)v;
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

    if (opt.fault && parts == (const char *)PARTS)
        parts = ""; /* --fault alone: the fault alone */
    demo.data = &opt; /* the steps read the options, never write them */
    demo.on_quit = on_quit;
    demo.on_control = on_control;
    demo.on_lesson_end = lesson_end;
    demo.params = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(demo.params, "parts");
    int n = 0;
    for (int i = 0; i < NSTEPS; i++) {
        if (!one_of(steps[i].part, strlen(steps[i].part), parts))
            continue;
        lesson[n++] = steps[i].step;
        if (i == 0 || strcmp(steps[i].part, steps[i - 1].part))
            nparts++, cJSON_AddItemToArray(list, cJSON_CreateString(steps[i].part));
    }
    if (opt.fault) {
        snprintf(fault_title_buf, sizeof fault_title_buf, "fault: %s", fault_title(opt.fault));
        lesson[n++] = (scope_demo_lesson_t){fault_title_buf, fault_step};
        cJSON_AddStringToObject(demo.params, "fault", opt.fault);
    }
    cJSON_AddNumberToObject(demo.params, "max_buffer", (double)opt.max_buffer);
    cJSON_AddNumberToObject(demo.params, "timeout", (double)opt.timeout_ms);
    cJSON_AddBoolToObject(demo.params, "slow_reader", opt.slow_reader);
    cJSON_AddStringToObject(demo.params, "child", opt.node_child ? "node" : "c");
    /* The bye's verdict, until a check or a killed child says otherwise. */
    scope_demo_figure(&demo, "failed", cJSON_CreateNumber(0));
    scope_demo_figure(&demo, "complete", cJSON_CreateTrue());
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
