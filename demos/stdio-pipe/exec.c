/* exec.c: part exec, and exec() itself. exec(cmd) is execFile('/bin/sh',
 * ['-c', cmd]): the string is parsed by a shell (pipes, variables, ';'), and
 * the output is kept until the child is gone and handed over whole to the
 * callback. maxBuffer: a child that writes more is killed (SIGTERM) and the
 * call fails with ERR_CHILD_PROCESS_STDIO_MAXBUFFER. timeout: a child still
 * running when it expires gets SIGTERM. Both are faults too (faults.c). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stdio-pipe.h"

/* Text for narration: newlines shown as \n, control bytes as ' ', cut. */
static void printable(char *out, size_t cap, const char *data, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 5 < cap; i++)
        if (data[i] == '\n')
            out[o++] = '\\', out[o++] = 'n';
        else
            out[o++] = (unsigned char)data[i] < 0x20 ? ' ' : data[i];
    out[o] = '\0';
    scope_events_cut_utf8(out, out, cap - 5); /* no cut inside a character */
}

/* Signals a child and everything it started (/proc/PID/task/PID/children).
 * node signals the shell alone; its children would keep our pipes open and,
 * for a 'cat' waiting on stdin, live on. The shell first: it starts nothing new. */
static int kill_tree(pid_t pid, int sig, int depth, char *names, size_t cap)
{
    char path[64], comm[32] = "?";
    long kids[64];
    int n = 0, killed = 0;
    snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", (long)pid, (long)pid);
    FILE *f = fopen(path, "re");
    while (f && n < 64 && fscanf(f, "%ld", &kids[n]) == 1)
        n++;
    if (f)
        fclose(f);
    if (kill(pid, sig) == 0 && depth > 0) {
        snprintf(path, sizeof path, "/proc/%ld/comm", (long)pid);
        if ((f = fopen(path, "re"))) {
            if (fgets(comm, sizeof comm, f))
                comm[strcspn(comm, "\n")] = '\0';
            fclose(f);
        }
        size_t len = strlen(names);
        snprintf(names + len, cap - len, "%s%s %ld", len ? ", " : "", comm, (long)pid);
        killed++;
    }
    for (int i = 0; i < n && depth < 8; i++)
        killed += kill_tree((pid_t)kids[i], sig, depth + 1, names, cap);
    return killed;
}

static void kill_for(exec_t *e, int sig, const char *why)
{
    char names[256] = "";
    if (why && !e->killed_for)
        e->killed_for = why;
    if (kill_tree(e->child.pid, sig, 0, names, sizeof names) > 0 && !e->child.quiet)
        scope_events_log("kill(%ld, SIG%s), and the same to what it started: %s. node signals "
                         "the shell alone; these would live on and hold our pipes open",
                         (long)e->child.pid, sigabbrev_np(sig), names);
}

/* Each chunk kept, up to maxBuffer; nothing handed over yet. */
static void keep(stdio_child_t *c, int fd, const char *data, size_t len)
{
    exec_t *e = c->data;
    int over = e->max_buffer && e->len[fd] + len > e->max_buffer;
    if (over)
        len = e->max_buffer - e->len[fd];
    char *p = realloc(e->out[fd], e->len[fd] + len + 1);
    if (!p)
        return;
    memcpy(p + e->len[fd], data, len);
    e->out[fd] = p;
    e->len[fd] += len;
    p[e->len[fd]] = '\0';
    if (!c->quiet && e->len[fd] <= 64 * 1024)
        scope_events_log("read() %zu bytes from fd %d (its %s): kept in a buffer, not handed "
                         "over yet",
                         len, c->fd[fd], fd == 1 ? "stdout" : "stderr");
    if (!over)
        return;
    scope_events_error("maxBuffer", "%s maxBuffer length exceeded: %s %ld wrote more than %zu "
                       "bytes. As node does: SIGTERM to the child, no more reading, and "
                       "RangeError [ERR_CHILD_PROCESS_STDIO_MAXBUFFER]",
                       fd == 1 ? "stdout" : "stderr", c->name, (long)c->pid, e->max_buffer);
    kill_for(e, SIGTERM, "maxBuffer");
    child_close_pipe(c, 1);
    child_close_pipe(c, 2);
}

static void on_timeout(uv_timer_t *t)
{
    exec_t *e = t->data;
    if (!e->term_sent++) {
        scope_events_log("timeout: %ld ms passed and %s %ld still runs: SIGTERM, node's "
                         "default killSignal",
                         e->timeout_ms, e->child.name, (long)e->child.pid);
        kill_for(e, SIGTERM, "timeout");
        uv_timer_start(t, on_timeout, 2000, 0);
    } else {
        scope_events_log("%s %ld ignored SIGTERM for 2 s: SIGKILL", e->child.name,
                         (long)e->child.pid);
        kill_for(e, SIGKILL, NULL);
    }
}

/* What the callback gets, (error, stdout, stderr), once the child is gone. */
static void narrate_callback(exec_t *e)
{
    stdio_child_t *c = &e->child;
    char out[64], err[64], error[128];
    printable(out, sizeof out, e->out[1] ? e->out[1] : "", e->len[1]);
    printable(err, sizeof err, e->out[2] ? e->out[2] : "", e->len[2]);
    if (e->len[1])
        scope_trace_recv(&c->out, e->out[1], e->len[1]);
    if (e->len[2])
        scope_trace_recv(&c->err, e->out[2], e->len[2]);
    if (e->killed_for && strcmp(e->killed_for, "maxBuffer") == 0)
        snprintf(error, sizeof error, "RangeError [ERR_CHILD_PROCESS_STDIO_MAXBUFFER]");
    else if (c->sig)
        snprintf(error, sizeof error, "Error {killed: %s, code: null, signal: 'SIG%s'}",
                 e->killed_for ? "true" : "false", sigabbrev_np(c->sig));
    else if (c->code)
        snprintf(error, sizeof error, "Error {code: %d}", c->code);
    else
        snprintf(error, sizeof error, "null");
    scope_events_log("%s's callback, after waitpid() and EOF on both pipes (%.2f ms): error %s, "
                     "stdout %zu bytes '%s', stderr %zu bytes '%s'",
                     e->call, (double)(c->t_exit - c->t0) / 1e6, error, e->len[1], out,
                     e->len[2], err);
}

static void on_timer_closed(uv_handle_t *h)
{
    exec_t *e = h->data;
    if (e->done)
        e->done(e);
    free(e->out[1]), free(e->out[2]), free(e);
}

static void on_close(stdio_child_t *c)
{
    exec_t *e = c->data;
    if (!c->quiet)
        narrate_callback(e);
    uv_close((uv_handle_t *)&e->timer, on_timer_closed);
}

exec_t *exec_new(part_t *p, const char *name, void (*done)(exec_t *e), void *data)
{
    exec_t *e = calloc(1, sizeof *e);
    e->part = p; /* a demo out of memory this small has nothing left to show */
    e->done = done;
    e->data = data;
    e->max_buffer = p->opt->max_buffer;
    e->child.name = name;
    e->child.data = e;
    e->child.on_data = keep;
    e->child.on_close = on_close;
    return e;
}

int exec_file(exec_t *e, const char *file, char *const argv[])
{
    if (!e->call)
        e->call = "execFile";
    uv_timer_init(e->part->demo->loop, &e->timer);
    e->timer.data = e;
    child_opts_t o = {.file = file, .argv = argv, .fd3 = -1};
    int r = child_spawn(&e->child, e->part->demo, &o);
    if (r < 0) {
        e->done = NULL;
        uv_close((uv_handle_t *)&e->timer, on_timer_closed);
    } else if (e->timeout_ms > 0) {
        uv_timer_start(&e->timer, on_timeout, (uint64_t)e->timeout_ms, 0);
    }
    return r;
}

int exec_shell(exec_t *e, const char *cmd)
{
    char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
    e->call = "exec";
    return exec_file(e, "/bin/sh", argv);
}

/* ---- the part: a pipeline, then maxBuffer and timeout -------------------- */

static void maxbuffer_done(exec_t *e)
{
    part_t *p = e->part;
    if (!e->killed_for || strcmp(e->killed_for, "maxBuffer") || e->len[1] != e->max_buffer) {
        part_fail(p, "maxBuffer: expected the child killed after %zu bytes, kept %zu",
                  e->max_buffer, e->len[1]);
    } else {
        scope_events_log("maxBuffer held: %zu bytes kept, the rest never read; the child was %s",
                         e->len[1], e->child.sig == SIGTERM ? "killed by SIGTERM" : "gone");
        snprintf(p->note, sizeof p->note,
                 "%zu bytes kept, the child killed, ERR_CHILD_PROCESS_STDIO_MAXBUFFER", e->len[1]);
    }
    e->then(p);
}

int exec_maxbuffer(part_t *p, void (*then)(part_t *p))
{
    exec_t *e = exec_new(p, "sh", maxbuffer_done, NULL);
    e->then = then;
    scope_events_log("exec(\"yes 'hello from sh'\", {maxBuffer: %zu}): yes writes forever",
                     e->max_buffer);
    return exec_shell(e, "yes 'hello from sh'");
}

static void timeout_done(exec_t *e)
{
    part_t *p = e->part;
    if (!e->killed_for || strcmp(e->killed_for, "timeout") || e->child.sig != SIGTERM) {
        part_fail(p, "timeout: expected the child killed by SIGTERM, got code %d signal %d",
                  e->child.code, e->child.sig);
    } else {
        scope_events_log("the timeout fired after %ld ms: the shell is reaped, cat is gone too, "
                         "and our pipes are closed",
                         e->timeout_ms);
        snprintf(p->note, sizeof p->note,
                 "killed by SIGTERM after %ld ms, reaped, no process left", e->timeout_ms);
    }
    e->then(p);
}

int exec_timeout(part_t *p, void (*then)(part_t *p))
{
    exec_t *e = exec_new(p, "sh", timeout_done, NULL);
    e->then = then;
    e->timeout_ms = p->opt->timeout_ms;
    scope_events_log("exec('cat', {timeout: %ld}): cat waits on its stdin, a pipe we never "
                     "close: it would never exit",
                     e->timeout_ms);
    return exec_shell(e, "cat");
}

static void part_done(part_t *p)
{
    p->note[0] = '\0'; /* the faults' outcomes, not the walk's */
    p->next(p);
}

static void step_timeout(scope_demo_t *d)
{
    part_t *p = d->data;
    int r = d->quitting ? 0 : exec_timeout(p, part_done);
    if (d->quitting || r < 0)
        part_done(p);
}

static void after_maxbuffer(part_t *p)
{
    scope_demo_step(p->demo, "exec's timeout: SIGTERM for a child that never exits",
                    step_timeout);
}

static void step_maxbuffer(scope_demo_t *d)
{
    part_t *p = d->data;
    int r = d->quitting ? 0 : exec_maxbuffer(p, after_maxbuffer);
    if (d->quitting || r < 0)
        part_done(p);
}

static void pipeline_done(exec_t *e)
{
    part_t *p = e->part;
    if (e->child.sig)
        p->cut_short |= !p->demo->quitting;
    else if (e->child.code != 0 || !e->out[1] || !strstr(e->out[1], "matched 2 lines"))
        part_fail(p, "exec: expected 'matched 2 lines' and code 0, got code %d", e->child.code);
    scope_demo_step(p->demo, "exec's maxBuffer: a child that writes too much is killed",
                    step_maxbuffer);
}

void part_exec(part_t *p)
{
    const char *cmd = "echo \"sh is pid $$\"; printf 'hello world\\ngoodbye\\nhello again\\n' | "
                      "grep hello | wc -l | sed 's/^/matched /; s/$/ lines/'";
    scope_events_log("exec(\"%s\"): node runs /bin/sh -c with the string; the shell, not node, "
                     "understands '$$', '|' and ';'",
                     cmd);
    int r = exec_shell(exec_new(p, "sh", pipeline_done, NULL), cmd);
    if (r < 0) {
        part_fail(p, "exec: /bin/sh: %s", strerror(-r));
        p->next(p);
        return;
    }
    scope_events_log("the shell makes its own pipe2() and fork()s for '|': grep, wc and sed are "
                     "its children, writing into the pipe we read");
}
