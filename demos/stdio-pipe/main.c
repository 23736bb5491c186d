/* main.c: the stdio-pipe demo's options and the order of its steps (the
 * parts, then the fault asked for, then the bye). With --as-child KIND,
 * this process is one of the demo's children (children.c). */
#include <string.h>

#include "stdio-pipe.h"

#define PARTS "spawn exec execfile stdio backpressure stream pingpong"

static const scope_demo_info_t info = {
    "stdio-pipe", "spawn, exec and execFile: a child's stdin and stdout are pipes",
    "A parent streams through grep, runs commands with and without a shell, and fills a pipe "
    "until write() has to wait.",
    "000 002 003 004", "管道 (pipe) | 快 | ❌ | 低 | 流式数据", FAULTS};

static stdio_opts_t opt = {.max_buffer = 1 << 20, .burst = 1 << 20, .stream = 32l << 20,
                           .timeout_ms = 1000, .stall_ms = 2000, .starts = 5, .child = "c"};

static const scope_demo_option_t options[] = {
    {"part", "LIST", "only these parts, commas between: " PARTS, SCOPE_OPT_LIST, &opt.part, 0, 0,
     PARTS},
    {"fault", "KIND", "show one failure: " FAULTS, SCOPE_OPT_WORD, &opt.fault, 0, 0, FAULTS},
    {"max-buffer", "BYTES", "maxBuffer (1 MiB)", SCOPE_OPT_NUMBER, &opt.max_buffer, 1, 1 << 30},
    {"timeout", "MS", "exec's timeout (1000)", SCOPE_OPT_NUMBER, &opt.timeout_ms, 1, 3600000},
    {"slow-reader", NULL, "backpressure: 4 KiB every 10 ms", SCOPE_OPT_FLAG, &opt.slow_reader},
    {"stall", "MS", "the reader's pause (2000)", SCOPE_OPT_NUMBER, &opt.stall_ms, 0, 3600000},
    {"burst", "BYTES", "backpressure: the burst (1 MiB)", SCOPE_OPT_NUMBER, &opt.burst, 1, 1 << 28},
    {"stream-bytes", "BYTES", "streamed (32 MiB)", SCOPE_OPT_NUMBER, &opt.stream, 1, 1ll << 36},
    {"starts", "N", "starts of each kind, timed (5)", SCOPE_OPT_NUMBER, &opt.starts, 1, 64},
    {"child", "c|node", "the stdio child (c)", SCOPE_OPT_WORD, &opt.child, 0, 0, "c node"},
    {"as-child", "KIND", "be a child of stdio-pipe", SCOPE_OPT_WORD, &opt.as_child, 0, 0,
     "echo reader sink stdio"},
    {NULL}};

/* The lesson: each part's steps, in order (--part picks parts). */
static const struct {
    const char *part;
    scope_demo_lesson_t step;
} steps[] = {
    {"spawn", {N_("spawn('grep', ['hello']): three pipes, fork, dup2, execve"), grep_spawn}},
    {"spawn", {N_("grep's exit code: 1 when nothing matched, 2 when grep failed"), grep_codes}},
    {"exec", {N_("exec(): a command string through /bin/sh -c, output buffered"), exec_pipeline}},
    {"exec", {N_("exec's maxBuffer: a child that writes too much is killed"), fault_maxbuffer}},
    {"exec", {N_("exec's timeout: SIGTERM for a child that never exits"), fault_timeout}},
    {"execfile",
     {N_("execFile(): no shell; exec and execFile given one input"), execfile_injection}},
    {"execfile", {N_("what the shell costs: spawn, exec and execFile timed"), execfile_cost}},
    {"stdio",
     {N_("stdio ['pipe', 'pipe', 'pipe', 'ipc']: pipes and a channel at fd 3"), stdio_array}},
    {"backpressure", {N_("backpressure: the pipe fills, the queue grows"), backpressure_fill}},
    {"backpressure",
     {N_("the reader resumes: the queue drains, then 'drain'"), backpressure_resume}},
    {"stream", {N_("the same pipe at full speed, waiting for 'drain'"), stream_run}},
    {"pingpong", {N_("ping-pong through the child's stdin and stdout"), pingpong_run}},
};
#define NSTEPS (sizeof steps / sizeof steps[0])

static scope_demo_t demo;
static scope_demo_lesson_t lesson[NSTEPS + 2];
static int lesson_over, dash_fault;

/* Is part one of --part's? With no --part, every part, unless --fault alone
 * asks for the fault alone. */
static int chosen(const char *part)
{
    char item[16];
    if (!opt.part)
        return !opt.fault;
    for (const char *at = opt.part; scope_demo_list_next(&at, item, sizeof item);)
        if (strcmp(item, part) == 0)
            return 1;
    return 0;
}

/* The bye (said once), when the lesson is over and no fault from the
 * dashboard runs. On quit: SIGTERM to every child; each 'close' ends its
 * step, lib/demo ends the lesson, and the bye comes once none is left. */
static void finish(scope_demo_t *d)
{
    if (!(lesson_over && !dash_fault) && !(d->quitting && child_quit_all(d) == 0))
        return;
    scope_demo_bye(d, d->quitting ? cJSON_Parse("{\"complete\": false}") : NULL,
                   d->exit_code ? N_("a check failed, or a child was killed before its part "
                                     "was over (the error events say which)")
                                : N_("every step done"));
    scope_demo_stop(d);
}

static void lesson_end(scope_demo_t *d)
{
    lesson_over = 1;
    finish(d);
}

static void dash_fault_over(scope_demo_t *d)
{
    dash_fault = 0;
    finish(d);
}

static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    if (strcmp(cmd, "fault") == 0 && !d->quitting) {
        int running = dash_fault; /* one already: this one is refused */
        dash_fault = 1;           /* first: a fault that cannot start is over at once */
        if (fault_run(d, d->fault, dash_fault_over) < 0)
            dash_fault = running;
    }
}

int main(int argc, char **argv)
{
    int r = scope_demo_parse(&demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    if (opt.as_child)
        return child_main(&demo, &opt);

    demo.data = &opt; /* the steps read the options, never write them */
    demo.on_quit = finish;
    demo.on_control = on_control;
    demo.on_lesson_end = lesson_end;
    size_t n = 0;
    for (size_t i = 0; i < NSTEPS; i++)
        if (chosen(steps[i].part))
            lesson[n++] = steps[i].step;
    if (opt.fault)
        lesson[n++] = (scope_demo_lesson_t){fault_title(opt.fault), fault_step};
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
