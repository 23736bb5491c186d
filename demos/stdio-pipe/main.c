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

static const struct {
    const char *name, *title;
    void (*run)(part_t *p);
} parts[] = {
    {"spawn", "spawn('grep', ['hello']): three pipes, fork, dup2, execve", part_spawn},
    {"exec", "exec(): a command string through /bin/sh -c, output buffered", part_exec},
    {"execfile", "execFile(): no shell; 'hello; echo INJECTED' given to both", part_execfile},
    {"stdio", "stdio ['pipe', 'pipe', 'pipe', 'ipc']: pipes and a channel at fd 3", part_stdio},
    {"backpressure", "backpressure: the reader stops, the pipe fills, the queue grows",
     part_backpressure},
    {"stream", "the same pipe at full speed, waiting for 'drain'", part_stream},
    {"pingpong", "ping-pong through the child's stdin and stdout", part_pingpong},
};
#define NPARTS ((int)(sizeof parts / sizeof parts[0]))

static scope_demo_t demo;
static stdio_opts_t opt = {
    .max_buffer = 1024 * 1024, .burst = 1024 * 1024, .stream_bytes = 32u * 1024 * 1024,
    .timeout_ms = 1000, .stall_ms = 2000, .starts = 5,
};
static unsigned chosen;          /* bit i: parts[i] runs */
static int cur = -1, fault_running, walk_done, finished;
static part_t walk, dash;        /* the walk's part, and a fault from the dashboard */
static char notes[600];          /* the parts' sentences, for the bye */

static void finish(void)
{
    if (finished)
        return;
    finished = 1;
    int n = 0, failed = walk.failed + dash.failed;
    for (int i = 0; i < NPARTS; i++)
        n += (chosen >> i) & 1;
    char text[900], what[64] = "";
    if (n)
        snprintf(what, sizeof what, "%d part%s%s", n, n == 1 ? "" : "s", opt.fault ? " and " : "");
    if (opt.fault)
        snprintf(what + strlen(what), sizeof what - strlen(what), "fault %s", opt.fault);
    if (failed)
        snprintf(text, sizeof text, "%s: %d check%s failed%s", what, failed, failed == 1 ? "" : "s",
                 notes);
    else
        snprintf(text, sizeof text, "%s: %s%s", what, opt.fault ? "" : "done", notes + (opt.fault ? 2 : 0));
    if (walk.cut_short)
        snprintf(text + strlen(text), sizeof text - strlen(text),
                 "; a child was killed before its part was over");
    cJSON_AddNumberToObject(walk.summary, "failed", failed);
    cJSON_AddBoolToObject(walk.summary, "complete", !walk.cut_short && !demo.quitting);
    if (failed || walk.cut_short)
        scope_demo_exit(&demo, 1);
    scope_events_bye(walk.summary, text);
    walk.summary = NULL;
    scope_demo_stop(&demo);
}

static void add_note(part_t *p)
{
    if (p->note[0])
        snprintf(notes + strlen(notes), sizeof notes - strlen(notes), "; %s", p->note);
    p->note[0] = '\0';
}

static void next_part(part_t *p);

static void run_part(scope_demo_t *d)
{
    if (d->quitting)
        next_part(&walk);
    else if (cur < NPARTS)
        parts[cur].run(&walk);
    else if (fault_run(&walk, opt.fault) < 0)
        next_part(&walk);
}

static void next_part(part_t *p)
{
    if (cur == NPARTS && p->note[0]) /* the fault asked for is over */
        cJSON_AddStringToObject(walk.summary, "fault_outcome", p->note);
    add_note(p);
    if (finished)
        return;
    while (++cur < NPARTS && !(chosen & (1u << cur)))
        ;
    if (demo.quitting)
        cur = NPARTS + 1;
    if (cur < NPARTS) {
        scope_demo_step(&demo, parts[cur].title, run_part);
    } else if (cur == NPARTS && opt.fault) {
        char title[96];
        snprintf(title, sizeof title, "fault: %s", fault_title(opt.fault));
        fault_running = 1;
        scope_demo_step(&demo, title, run_part);
    } else {
        walk_done = 1;
        fault_running = 0;
        if (!dash.next)
            finish();
    }
}

/* A fault from the dashboard is over: the walk may have been waiting for it. */
static void dash_fault_done(part_t *p)
{
    if (p->note[0] && walk.summary)
        cJSON_AddStringToObject(walk.summary, "fault_outcome", p->note);
    p->next = NULL;
    if (walk_done)
        finish();
}

static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    if (strcmp(cmd, "fault") != 0) {
        backpressure_control(d, cmd);
    } else if (dash.next || fault_running || finished) {
        scope_events_error("fault", "one fault at a time: '%s' waits for none", d->fault);
    } else {
        dash = (part_t){.demo = d, .opt = &opt, .summary = walk.summary, .next = dash_fault_done};
        if (fault_run(&dash, d->fault) < 0)
            dash.next = NULL;
    }
}

static void on_quit(scope_demo_t *d)
{
    (void)d;
    /* Every child's pipes closed and SIGTERM; each 'close' moves the walk
     * on, and next_part sees quitting and finishes. */
    if (child_quit_all() == 0) {
        dash.next = NULL;
        next_part(&walk);
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
                found = strcmp(tok, parts[i].name) == 0 ? i : found;
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
    demo.on_quit = on_quit;
    demo.on_control = on_control;
    demo.data = &walk; /* what the parts' own steps find */
    demo.params = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(demo.params, "parts");
    for (int i = 0; i < NPARTS; i++)
        if (chosen & (1u << i))
            cJSON_AddItemToArray(list, cJSON_CreateString(parts[i].name));
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
    /* Our children's stdout is a pipe to us: events written to fd 1 move to
     * a copy of it, which lib/role places in them apart from their fd 1. */
    if (scope_events_fd() == STDOUT_FILENO)
        scope_events_open_fd(fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3), scope_events_format(),
                             "parent");
    walk = (part_t){.demo = &demo, .opt = &opt, .summary = cJSON_CreateObject(), .next = next_part};
    next_part(&walk);
    r = scope_demo_run(&demo);
    scope_role_kill_all(&demo); /* never leave one behind */
    scope_spawn_shutdown(demo.loop);
    cJSON_Delete(walk.summary);
    return r;
}
