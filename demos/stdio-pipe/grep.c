/* grep.c: spawn('grep', ['hello']) as in the first article: lines into
 * grep's stdin, end(), the matches back on its stdout. Then grep's exit codes
 * as waitpid() gives them: 0 a line matched, 1 none did, 2 grep failed. */
#include <string.h>

#include "stdio-pipe.h"

/* Constants: a write's bytes must stay until it completes. */
static const char *const lines[] = {"hello world\n", "goodbye world\n",
                                    "hello from the parent\n", "nothing to see here\n"};
#define NLINES 4

static struct {
    stdio_child_t child;
    scope_pacer_t pacer;
    int run, line, codes[3];
} grep;

static void grep_start(scope_demo_t *d, int run);

static void send_line(scope_pacer_t *pacer)
{
    stdio_child_t *c = &grep.child;
    const char *line = lines[grep.line];
    int n = (int)strlen(line);
    scope_trace_send(&c->in, line, (size_t)n - 1);
    child_write(c, line, (size_t)n);
    scope_events_log("child.stdin.write('%.*s\\n'): write() of %d bytes on fd %d", n - 1, line, n,
                     c->fd[0]);
    if (++grep.line < NLINES) {
        scope_pacer_next(pacer, send_line);
        return;
    }
    scope_events_log("child.stdin.end(): close(fd %d). grep reads EOF; its stdout is a pipe, "
                     "so its C library held the matches in a buffer until now", c->fd[0]);
    child_end(c);
}

static void on_close(stdio_child_t *c)
{
    static const char *const meaning[3] = {
        N_("a line matched"),
        N_("no line matched. An answer, not a failure: 'exit', and no 'error'"),
        N_("grep itself failed; its reason came on stderr, a pipe of its own")};
    scope_demo_t *d = c->demo;
    if (c->sig)
        scope_events_log("grep was killed by SIG%s: 'exit' gives code null", sigabbrev_np(c->sig));
    else
        scope_events_log("waitpid() gives exit code %d: %s", c->code,
                         scope_events_tr(meaning[c->code < 2 ? c->code : 2]));
    grep.codes[grep.run] = c->sig ? -1 : c->code;
    if (!child_cut(c, 0)) /* 0, then 1, then 2 */
        scope_demo_check(d, c->code == grep.run, "check", "grep run %d exited %d, expected %d",
                         grep.run + 1, c->code, grep.run);
    scope_events_log("'close': grep exited and its stdout and stderr reached EOF");
    if (grep.run == 1 && !d->quitting) {
        grep_start(d, 2);
        return;
    }
    scope_demo_figure(d, "grep_codes", cJSON_CreateIntArray(grep.codes, grep.run + 1));
    if (grep.run == 0)
        scope_pacer_close(&grep.pacer);
    scope_demo_next(d);
}

static void grep_start(scope_demo_t *d, int run)
{
    static char *argv[] = {"grep", "hello", NULL, NULL};
    static const char *const said[3] = {
        N_("spawn('grep', ['hello']): its stdin, stdout and stderr are pipes (the first article)"),
        N_("spawn('grep', ['hello']) again, and this time no line says hello"),
        N_("spawn('grep', ['hello', '/nonexistent/ipcscope-missing-file']): a file that is not "
           "there")};
    stdio_child_t *c = &grep.child;
    *c = (stdio_child_t){.name = "grep", .file = "grep", .argv = argv, .on_data = child_data,
                         .on_close = on_close};
    grep.run = run;
    grep.line = 0;
    argv[2] = run == 2 ? "/nonexistent/ipcscope-missing-file" : NULL;
    scope_events_log("%s", scope_events_tr(said[run]));
    int r = child_spawn(c, d);
    c->in.framing_bytes = 1; /* each line's newline */
    if (!scope_demo_check(d, r == 0, "check", "spawn grep: %s", strerror(-r))) {
        scope_demo_next(d);
    } else if (run == 0) {
        scope_pacer_init(d, &grep.pacer);
        scope_pacer_next(&grep.pacer, send_line);
    } else {
        if (run == 1) {
            scope_trace_send(&c->in, "goodbye world", 13);
            child_write(c, "goodbye world\n", 14);
        }
        child_end(c);
    }
}

void grep_spawn(scope_demo_t *d)
{
    grep_start(d, 0);
}

void grep_codes(scope_demo_t *d)
{
    grep_start(d, 1);
}
