/* stdio-pipe: spawn, exec and execFile with the lid off.
 *
 * What node does when a parent starts a program and talks to it through its
 * stdin and stdout, step by step:
 *
 *   1. spawn('grep', ['hello']): pipe2() three times, one pipe for each of
 *      the child's stdin, stdout and stderr; fork(); in the child dup2() puts
 *      the pipes' ends at fds 0, 1 and 2, then execve("/usr/bin/grep"). The
 *      parent streams lines to grep's stdin, ends it (close: grep reads EOF),
 *      and reads the matches from grep's stdout as they come, chunk by chunk.
 *   2. grep's exit code, as waitpid() gives it: 0 when a line matched, 1 when
 *      none did (an answer, not a failure), 2 when grep itself failed; its
 *      complaint comes on stderr, a pipe of its own.
 *   3. exec(cmd): the same, but the program is /bin/sh -c CMD, so the string
 *      is parsed by a shell (pipes, variables, ';'), and the output is kept
 *      until the child is gone and handed over whole.
 *   4. exec's maxBuffer: a child that writes more than that is killed
 *      (SIGTERM) and the call fails with ERR_CHILD_PROCESS_STDIO_MAXBUFFER.
 *   5. exec's timeout: a child still running when it expires gets SIGTERM.
 *   6. execFile(file, args): no shell. The string 'hello; echo INJECTED' given
 *      to exec runs a second command; given to execFile it is one argument.
 *   7. What the shell costs: spawn, exec and execFile of the same program,
 *      timed from pipe2() to the last EOF, median of several starts.
 *   8. stdio ['pipe', 'pipe', 'pipe', 'ipc']: three pipes and, at fd 3, a
 *      socketpair carrying Node's IPC channel (NODE_CHANNEL_FD=3), together.
 *   9. Backpressure: the reader stops reading. The pipe's buffer (F_GETPIPE_SZ,
 *      64 KiB) fills, write(2) says EAGAIN, and the writer's queue grows; node's
 *      write() returns false.
 *  10. The reader resumes (a byte on its fd 3): the queue drains, watched with
 *      FIONREAD and uv_stream_get_write_queue_size, and node emits 'drain'.
 *  11. The same pipe at full speed, written with care (wait for the queue to
 *      empty, as for 'drain'): its throughput.
 *  12. Ping-pong: lines through the child's stdin and back on its stdout,
 *      each round trip timed on the monotonic clock.
 *
 * Faults on demand (--fault, or the dashboard's fault command): a command
 * that does not exist (ENOENT), a child killed by a signal, a child writing
 * more than maxBuffer, a child that never exits (timeout).
 *
 * The echo, reader and stdio children are this same program run with
 * --as-child ROLE; the stdio child can also be node (--child node, running
 * stdio-pipe-child.js). Every child dies with us (PR_SET_PDEATHSIG) and is
 * reaped with waitpid() through lib/spawn.
 *
 *   build/demos/stdio-pipe                      # every part, narrated
 *   build/demos/stdio-pipe --part backpressure --slow-reader
 *   build/demos/stdio-pipe --fault timeout --timeout 300
 */

/* main.c: the demo's front: the options, the walk from part to part (each a
 * lesson step; the fault asked for; the summary in 'bye'; quit and the
 * dashboard's commands), and main(), which becomes the parent or, with
 * --as-child, one of the children. The parts live in exec.c and streams.c,
 * the children in children.c, the child-with-three-pipes machinery in job.c;
 * stdio-pipe.h says what they share. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
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
    {"as-child", "ROLE", "be a child of stdio-pipe: echo, reader, sink or stdio"},
    {NULL, NULL, NULL},
};

static const char *const part_names[NPARTS] = {"spawn",        "exec",   "execfile", "stdio",
                                               "backpressure", "stream", "pingpong"};

stdio_pipe_t stdio_pipe = {
    .max_buffer = 1024 * 1024,
    .burst = 1024 * 1024,
    .stream_bytes = 32u * 1024 * 1024,
    .timeout_ms = 1000,
    .stall_ms = 2000,
    .starts = 5,
    .cur = -1,
};

static void finish(void);

/* ---- small helpers ------------------------------------------------------ */

static int parse_size(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || x < lo || x > hi || x != (double)(long long)x)
        return -EINVAL;
    *out = x;
    return 0;
}

void part_failed(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (stdio_pipe.demo.quitting)
        return; /* cut short on purpose: nothing to judge */
    stdio_pipe.failed++;
    scope_events_error("check", "%s", buf);
}

/* A lesson step whose work starts a child: skipped once we are winding down. */
static scope_demo_cb pending_step;

static void run_step(scope_demo_t *d)
{
    scope_demo_cb cb = pending_step;
    pending_step = NULL;
    if (d->quitting || stdio_pipe.finished || !cb) {
        next_part();
        return;
    }
    cb(d);
}

void lesson_step(const char *title, scope_demo_cb cb)
{
    if (stdio_pipe.demo.quitting || stdio_pipe.finished) {
        next_part();
        return;
    }
    pending_step = cb;
    scope_demo_step(&stdio_pipe.demo, title, run_step);
}

/* ==== the walk through the parts ========================================= */

static const char *const part_titles[NPARTS] = {
    "spawn('grep', ['hello']): three pipes, fork, dup2, execve",
    "exec(): a command string through /bin/sh -c, output buffered",
    "execFile(): no shell; 'hello; echo INJECTED' given to both",
    "stdio ['pipe', 'pipe', 'pipe', 'ipc']: pipes and a channel at fd 3",
    "backpressure: the reader stops, the pipe fills, the queue grows",
    "the same pipe at full speed, waiting for 'drain'",
    "ping-pong through the child's stdin and stdout",
};
static const scope_demo_cb part_fns[NPARTS] = {
    part_spawn, part_exec, part_execfile, part_stdio, part_backpressure, part_stream, part_pingpong,
};

/* The fault asked for on the command line: a step of the walk. */
static void walk_fault_done(void)
{
    stdio_pipe.fault_running = 0;
    next_part();
}

static void step_fault(scope_demo_t *d)
{
    (void)d;
    run_fault(stdio_pipe.fault, &stdio_pipe.fault_job, walk_fault_done);
}

/* A fault from the dashboard is over: the walk may have been waiting for it. */
static void fault_done(void)
{
    stdio_pipe.fault_running = 0;
    if (stdio_pipe.walk_done)
        finish();
}

void next_part(void)
{
    if (stdio_pipe.finished)
        return;
    stdio_pipe.cur++;
    while (stdio_pipe.cur < NPARTS && !(stdio_pipe.parts & (1u << stdio_pipe.cur)))
        stdio_pipe.cur++;
    if (stdio_pipe.demo.quitting)
        stdio_pipe.cur = NPARTS + 1;
    if (stdio_pipe.cur < NPARTS) {
        lesson_step(part_titles[stdio_pipe.cur], part_fns[stdio_pipe.cur]);
        return;
    }
    if (stdio_pipe.cur == NPARTS && stdio_pipe.fault[0]) {
        char title[96];
        snprintf(title, sizeof title, "fault: %s", fault_titles(stdio_pipe.fault));
        lesson_step(title, step_fault);
        return;
    }
    stdio_pipe.walk_done = 1;
    if (!stdio_pipe.fault_running)
        finish();
}

static void close_timer(uv_timer_t *t, int *open)
{
    if (*open && !uv_is_closing((uv_handle_t *)t))
        uv_close((uv_handle_t *)t, NULL);
    *open = 0;
}

static void finish(void)
{
    if (stdio_pipe.finished)
        return;
    stdio_pipe.finished = 1;
    close_timer(&stdio_pipe.monitor, &stdio_pipe.monitor_open);
    close_timer(&stdio_pipe.stall, &stdio_pipe.stall_open);
    close_timer(&stdio_pipe.stats_timer, &stdio_pipe.stats_open);
    scope_pacer_close(&stdio_pipe.pacer);

    char text[512];
    size_t o = 0;
    int nparts = 0;
    for (int i = 0; i < NPARTS; i++)
        nparts += (stdio_pipe.parts >> i) & 1;
    if (nparts)
        o += (size_t)snprintf(text + o, sizeof text - o, "%d part%s%s", nparts,
                              nparts == 1 ? "" : "s", stdio_pipe.fault[0] ? " and " : "");
    if (stdio_pipe.fault[0])
        o += (size_t)snprintf(text + o, sizeof text - o, "fault %s", stdio_pipe.fault);
    if (stdio_pipe.failed)
        o += (size_t)snprintf(text + o, sizeof text - o, ": %d check%s failed", stdio_pipe.failed,
                              stdio_pipe.failed == 1 ? "" : "s");
    else if (stdio_pipe.fault[0] && stdio_pipe.fault_outcome[0])
        o += (size_t)snprintf(text + o, sizeof text - o, ": %s", stdio_pipe.fault_outcome);
    else
        o += (size_t)snprintf(text + o, sizeof text - o, ": done");
    if (stdio_pipe.fault_outcome[0])
        cJSON_AddStringToObject(stdio_pipe.summary, "fault_outcome", stdio_pipe.fault_outcome);
    const cJSON *pp = cJSON_GetObjectItemCaseSensitive(stdio_pipe.summary, "pingpong");
    const cJSON *bp = cJSON_GetObjectItemCaseSensitive(stdio_pipe.summary, "backpressure");
    const cJSON *inj = cJSON_GetObjectItemCaseSensitive(stdio_pipe.summary, "injection");
    if (inj && o < sizeof text)
        o += (size_t)snprintf(text + o, sizeof text - o, "; the injected command ran under exec "
                              "%s, under execFile never",
                              stdio_pipe.inj_exec_ran ? "only" : "NOT");
    if (bp && o < sizeof text)
        o += (size_t)snprintf(text + o, sizeof text - o, "; the writer's queue grew to %zu bytes "
                              "and drained",
                              stdio_pipe.bp_queue_max);
    if (pp && o < sizeof text) {
        scope_hist_summary_t sum;
        scope_hist_summarize(&stdio_pipe.rtt, &sum);
        char p50[32];
        o += (size_t)snprintf(text + o, sizeof text - o, "; %ld round trips, median %s",
                              stdio_pipe.pongs,
                              scope_time_format(p50, sizeof p50, (double)sum.p50));
    }
    if (stdio_pipe.cut_short && o < sizeof text)
        snprintf(text + o, sizeof text - o, "; a child was killed before its part was over");
    cJSON_AddNumberToObject(stdio_pipe.summary, "failed", stdio_pipe.failed);
    cJSON_AddBoolToObject(stdio_pipe.summary, "complete",
                          !stdio_pipe.cut_short && !stdio_pipe.demo.quitting);
    cJSON *sum = stdio_pipe.summary;
    stdio_pipe.summary = NULL;
    scope_events_bye(sum, text);
    scope_demo_stop(&stdio_pipe.demo);
}

static void on_quit(scope_demo_t *d)
{
    (void)d;
    /* Close what we write, end every child; each one's 'close' moves the walk
     * on, and next_part sees quitting and finishes. */
    uv_timer_stop(&stdio_pipe.stall);
    uv_timer_stop(&stdio_pipe.monitor);
    int any = 0;
    for (int i = 0; i < MAX_JOBS; i++) {
        job_t *j = stdio_pipe.live[i];
        if (!j)
            continue;
        any = 1;
        job_close_pipe(j, 0);
        job_kill(j, SIGTERM, "quit");
    }
    if (stdio_pipe.ch_open)
        scope_channel_close(&stdio_pipe.ch);
    if (!any && !stdio_pipe.ch_open) {
        stdio_pipe.walk_done = 1;
        stdio_pipe.fault_running = 0;
        finish();
    }
}

static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    if (strcmp(cmd, "fault") == 0) {
        if (stdio_pipe.fault_running || stdio_pipe.finished)
            scope_events_error("fault", "one fault at a time: '%s' waits for none", d->fault);
        else
            run_fault(d->fault, &stdio_pipe.fault_job, fault_done);
        return;
    }
    /* A pause from the dashboard stops the backpressure reader, as a reader
     * busy elsewhere would; resume lets it read again. */
    if (stdio_pipe.cur != P_BACKPRESSURE || !stdio_pipe.main_job.child.running ||
        stdio_pipe.bp_drained)
        return;
    if (strcmp(cmd, "pause") == 0 && stdio_pipe.bp_resumed && !stdio_pipe.bp_reader_paused) {
        reader_cmd('p');
        scope_events_log("told the reader to pause ('p' on its fd 3): process.stdin.pause()");
    } else if (strcmp(cmd, "resume") == 0 || strcmp(cmd, "step") == 0) {
        if (stdio_pipe.bp_wait_resume) {
            stdio_pipe.bp_wait_resume = 0;
            bp_step_resume(d);
        } else if (stdio_pipe.bp_resumed && stdio_pipe.bp_reader_paused) {
            reader_cmd('r');
            scope_events_log("told the reader to resume ('r' on its fd 3)");
        }
    }
}

/* ==== the parent ========================================================== */

static int on_option(scope_demo_t *d, const char *name, const char *value)
{
    double v;
    if (strcmp(name, "part") == 0) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", value);
        stdio_pipe.parts = 0;
        for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            int found = -1;
            for (int i = 0; i < NPARTS; i++)
                if (strcmp(tok, part_names[i]) == 0)
                    found = i;
            if (found < 0) {
                snprintf(d->error, sizeof d->error,
                         "--part wants spawn, exec, execfile, stdio, backpressure, stream or "
                         "pingpong, not '%s'",
                         tok);
                return -EINVAL;
            }
            stdio_pipe.parts |= 1u << found;
        }
        if (!stdio_pipe.parts)
            stdio_pipe.parts = 1u << NPARTS; /* nothing but a fault */
    } else if (strcmp(name, "fault") == 0) {
        if (strcmp(value, "enoent") && strcmp(value, "signal") && strcmp(value, "maxbuffer") &&
            strcmp(value, "timeout")) {
            snprintf(d->error, sizeof d->error,
                     "--fault wants enoent, signal, maxbuffer or timeout, not '%s'", value);
            return -EINVAL;
        }
        snprintf(stdio_pipe.fault, sizeof stdio_pipe.fault, "%s", value);
    } else if (strcmp(name, "max-buffer") == 0) {
        if (parse_size(value, 1, 1 << 30, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--max-buffer wants bytes from 1 to 1073741824");
            return -EINVAL;
        }
        stdio_pipe.max_buffer = (size_t)v;
    } else if (strcmp(name, "timeout") == 0) {
        if (parse_size(value, 1, 3600000, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--timeout wants milliseconds from 1 to 3600000");
            return -EINVAL;
        }
        stdio_pipe.timeout_ms = (long)v;
    } else if (strcmp(name, "slow-reader") == 0) {
        stdio_pipe.slow_reader = 1;
    } else if (strcmp(name, "stall") == 0) {
        if (parse_size(value, 0, 3600000, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--stall wants milliseconds from 0 to 3600000");
            return -EINVAL;
        }
        stdio_pipe.stall_ms = (long)v;
    } else if (strcmp(name, "burst") == 0) {
        if (parse_size(value, 1, 256.0 * 1024 * 1024, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--burst wants bytes from 1 to 268435456");
            return -EINVAL;
        }
        stdio_pipe.burst = (size_t)v;
    } else if (strcmp(name, "stream-bytes") == 0) {
        if (parse_size(value, 1, 64.0 * 1024 * 1024 * 1024, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--stream-bytes wants bytes from 1 to 64 GiB");
            return -EINVAL;
        }
        stdio_pipe.stream_bytes = (size_t)v;
    } else if (strcmp(name, "starts") == 0) {
        if (parse_size(value, 1, 64, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--starts wants a number from 1 to 64");
            return -EINVAL;
        }
        stdio_pipe.starts = (long)v;
    } else if (strcmp(name, "child") == 0) {
        if (strcmp(value, "c") && strcmp(value, "node")) {
            snprintf(d->error, sizeof d->error, "--child wants c or node, not '%s'", value);
            return -EINVAL;
        }
        stdio_pipe.node_child = strcmp(value, "node") == 0;
    } else if (strcmp(name, "as-child") == 0) {
        if (strcmp(value, "echo") && strcmp(value, "reader") && strcmp(value, "sink") &&
            strcmp(value, "stdio")) {
            snprintf(d->error, sizeof d->error, "--as-child wants echo, reader, sink or stdio");
            return -EINVAL;
        }
        stdio_pipe.as_child = value;
        stdio_pipe.reader_go = strcmp(value, "sink") == 0;
    }
    return 0;
}

static int run_parent(void)
{
    scope_demo_t *d = &stdio_pipe.demo;
    d->on_quit = on_quit;
    d->on_control = on_control;
    ssize_t n = readlink("/proc/self/exe", stdio_pipe.self, sizeof stdio_pipe.self - 1);
    if (n <= 0) {
        fprintf(stderr, "stdio-pipe: readlink /proc/self/exe: %s\n", strerror(errno));
        return 1;
    }
    stdio_pipe.self[n] = '\0';
    snprintf(stdio_pipe.self_dir, sizeof stdio_pipe.self_dir, "%.*s",
             (int)(strrchr(stdio_pipe.self, '/') - stdio_pipe.self), stdio_pipe.self);
    memset(stdin_pattern, 'x', sizeof stdin_pattern);
    for (size_t i = 63; i < sizeof stdin_pattern; i += 64)
        stdin_pattern[i] = '\n';
    if (!stdio_pipe.parts)
        stdio_pipe.parts = stdio_pipe.fault[0] ? 0 : (1u << NPARTS) - 1;
    stdio_pipe.parts &= (1u << NPARTS) - 1;

    d->params = cJSON_CreateObject();
    cJSON *parts = cJSON_AddArrayToObject(d->params, "parts");
    for (int i = 0; i < NPARTS; i++)
        if (stdio_pipe.parts & (1u << i))
            cJSON_AddItemToArray(parts, cJSON_CreateString(part_names[i]));
    if (stdio_pipe.fault[0])
        cJSON_AddStringToObject(d->params, "fault", stdio_pipe.fault);
    cJSON_AddNumberToObject(d->params, "max_buffer", (double)stdio_pipe.max_buffer);
    cJSON_AddNumberToObject(d->params, "timeout", (double)stdio_pipe.timeout_ms);
    cJSON_AddBoolToObject(d->params, "slow_reader", stdio_pipe.slow_reader);
    cJSON_AddStringToObject(d->params, "child", stdio_pipe.node_child ? "node" : "c");
    int r = scope_demo_start(d, uv_default_loop(), "parent", 1);
    if (r < 0) {
        fprintf(stderr, "stdio-pipe: cannot start: %s\n", strerror(-r));
        return 1;
    }
    stdio_pipe.summary = cJSON_CreateObject();
    scope_pacer_init(d, &stdio_pipe.pacer);
    uv_timer_init(d->loop, &stdio_pipe.monitor);
    uv_timer_init(d->loop, &stdio_pipe.stall);
    uv_timer_init(d->loop, &stdio_pipe.stats_timer);
    stdio_pipe.monitor_open = stdio_pipe.stall_open = stdio_pipe.stats_open = 1;
    next_part();
    scope_demo_run(d);
    close_timer(&stdio_pipe.monitor, &stdio_pipe.monitor_open);
    close_timer(&stdio_pipe.stall, &stdio_pipe.stall_open);
    close_timer(&stdio_pipe.stats_timer, &stdio_pipe.stats_open);
    for (int i = 0; i < MAX_JOBS; i++) /* never leave one behind */
        if (stdio_pipe.live[i] && stdio_pipe.live[i]->child.running)
            kill_tree(stdio_pipe.live[i]->child.pid, SIGKILL, 0, NULL, 0);
    uv_run(d->loop, UV_RUN_NOWAIT);
    scope_spawn_shutdown(d->loop);
    uv_run(d->loop, UV_RUN_NOWAIT);
    cJSON_Delete(stdio_pipe.summary);
    free(stdio_pipe.pad);
    job_free_output(&stdio_pipe.main_job);
    job_free_output(&stdio_pipe.fault_job);
    return stdio_pipe.failed || stdio_pipe.cut_short ? 1 : 0;
}

/* A child whose parent gave it no event fd must not narrate on stdout: that
 * is its pipe to the parent. Its events go to /dev/null then. */
static void quiet_without_events(void)
{
    if (getenv("IPCSCOPE_EVENT_FD"))
        return;
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char v[16];
    snprintf(v, sizeof v, "%d", fd);
    setenv("IPCSCOPE_EVENT_FD", v, 1);
    setenv("IPCSCOPE_EVENT_FORMAT", "json", 1);
}

int main(int argc, char **argv)
{
    stdio_pipe.demo.on_option = on_option;
    int r = scope_demo_parse(&stdio_pipe.demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&stdio_pipe.demo, r, stdout, stderr);
    if (stdio_pipe.as_child) {
        quiet_without_events();
        if (strcmp(stdio_pipe.as_child, "echo") == 0)
            return run_echo();
        if (strcmp(stdio_pipe.as_child, "sink") == 0)
            return run_sink();
        if (strcmp(stdio_pipe.as_child, "reader") == 0)
            return run_reader();
        return run_stdio_child();
    }
    return run_parent();
}
