/* compare_run: a run of bench/compare.sh. See compare_run.h.
 *
 * A run is bench/compare.sh started with scope_spawn in a process group of
 * its own (so that q, Ctrl-C or m can end all of its benches, its node
 * children and its private redis-server at once), its stdout and stderr on
 * two pipes read by the loop. It is over when it has exited and both pipes
 * have reached EOF.
 */
#include "compare_run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare_doc.h"
#include "spawn.h"

static struct {
    uv_loop_t *loop;
    int verbose;
    void (*on_change)(void);
    tui_compare_run_done_t on_done;
    int running, stopped, pipes_open;
    scope_child_t child;
    uv_pipe_t out, err;
    char *buf;
    size_t len, cap;
    char line[1024];
    size_t line_len;
    int step, steps, exit_status, term_signal;
    char doing[2][200];
} run;

static void finish(void)
{
    if (run.running || run.pipes_open)
        return; /* the exit, or an EOF, is still to come */
    run.on_done(run.buf ? run.buf : "", run.exit_status, run.term_signal, run.stopped);
}

/* One line of the script's stderr: "progress I N EN|ZH", "note EN|ZH", or
 * something a bench said, kept as the reason should the run fail. */
static void on_err_line(char *s)
{
    int i, n, off = 0;
    char *text = s;
    int progress = sscanf(s, "progress %d %d %n", &i, &n, &off) == 2 && off > 0;
    if (progress) {
        run.step = i;
        run.steps = n;
        text = s + off;
    } else if (strncmp(s, "note ", 5) == 0) {
        text = s + 5;
    }
    char *bar = strchr(text, '|');
    if (bar)
        *bar = '\0';
    snprintf(run.doing[0], sizeof run.doing[0], "%.190s", text);
    snprintf(run.doing[1], sizeof run.doing[1], "%.190s", bar ? bar + 1 : text);
    if (run.verbose && !progress) /* a note, or a bench's own words */
        fprintf(stderr, "%scompare: %s\n", isatty(STDERR_FILENO) ? "\r\033[K" : "", run.doing[0]);
    else if (run.verbose && isatty(STDERR_FILENO))
        fprintf(stderr, "\r\033[Kcompare: %d/%d %s", run.step, run.steps, run.doing[0]);
    else if (run.verbose)
        fprintf(stderr, "compare: %d/%d %s\n", run.step, run.steps, run.doing[0]);
    run.on_change();
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    (void)hint;
    if (h == (uv_handle_t *)&run.err) {
        static char ebuf[4096];
        *b = uv_buf_init(ebuf, sizeof ebuf);
        return;
    }
    if (run.cap - run.len < 4096) {
        size_t cap = run.cap ? run.cap * 2 : 65536;
        char *more = realloc(run.buf, cap);
        if (!more) {
            *b = uv_buf_init(NULL, 0); /* UV_ENOBUFS: the read ends */
            return;
        }
        run.buf = more;
        run.cap = cap;
    }
    *b = uv_buf_init(run.buf + run.len, (unsigned)(run.cap - run.len - 1));
}

static void on_pipe_closed(uv_handle_t *h)
{
    (void)h;
    run.pipes_open--;
    finish();
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    if (n < 0) {
        uv_close((uv_handle_t *)s, on_pipe_closed);
        return;
    }
    if (s == (uv_stream_t *)&run.out) {
        run.len += (size_t)n;
        run.buf[run.len] = '\0';
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        char c = b->base[i];
        if (c == '\n' || run.line_len == sizeof run.line - 1) {
            run.line[run.line_len] = '\0';
            if (run.line_len)
                on_err_line(run.line);
            run.line_len = 0;
        } else if (c != '\r') {
            run.line[run.line_len++] = c;
        }
    }
}

static void on_exit_cb(scope_child_t *c, int status, int sig)
{
    (void)c;
    run.running = 0;
    run.exit_status = status;
    run.term_signal = sig;
    finish();
}

/* The measuring script and the directory it measures with: the build
 * tree's (tui_compare_script), else, for an installed ipcscope,
 * <bin>/../libexec/ipcscope/bench/compare.sh measuring with
 * <bin>/../libexec/ipcscope, where `make install` puts the bench programs
 * beside the demos. $IPCSCOPE_COMPARE, when set, is the only one tried. */
static int find_script(char *script, size_t sn, char *build, size_t bn)
{
    if (tui_compare_script(script, sn, build, bn) == 0)
        return 0;
    const char *env = getenv("IPCSCOPE_COMPARE");
    char self[PATH_MAX];
    if ((env && *env) || scope_spawn_self(self, sizeof self) < 0)
        return -ENOENT;
    char *slash = strrchr(self, '/'); /* <prefix>/bin/ipcscope */
    if (!slash)
        return -ENOENT;
    *slash = '\0';
    int nb = snprintf(build, bn, "%s/../libexec/ipcscope", self);
    int ns = snprintf(script, sn, "%s/../libexec/ipcscope/bench/compare.sh", self);
    if (nb < 0 || (size_t)nb >= bn || ns < 0 || (size_t)ns >= sn)
        return -ENOENT;
    return access(script, R_OK) == 0 ? 0 : -ENOENT;
}

int tui_compare_run_start(uv_loop_t *loop, int verbose, void (*on_change)(void),
                          tui_compare_run_done_t on_done, char *why, size_t whyn)
{
    if (run.running || run.pipes_open)
        return 0;
    char script[PATH_MAX], build[PATH_MAX];
    if (whyn)
        why[0] = '\0';
    if (find_script(script, sizeof script, build, sizeof build) < 0)
        return -ENOENT;
    run.loop = loop;
    run.verbose = verbose;
    run.on_change = on_change;
    run.on_done = on_done;
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) < 0)
        return -errno;
    if (pipe2(err, O_CLOEXEC) < 0) {
        int e = errno;
        close(out[0]);
        close(out[1]);
        return -e;
    }
    scope_spawn_fd_t fds[] = {{.parent_fd = out[1], .child_fd = 1}, {.parent_fd = err[1], .child_fd = 2}};
    char *argv[] = {"sh", script, build, NULL};
    /* the benches must not think the dashboard is theirs */
    const char *unset[] = {"IPCSCOPE_EVENT_FD", "IPCSCOPE_CONTROL_FD", NULL};
    scope_spawn_options_t o = {.file = "/bin/sh", .argv = argv, .unsetenv = unset, .fds = fds, .nfds = 2,
                               .new_process_group = 1, .death_signal = SIGTERM};
    int r = scope_spawn(run.loop, &run.child, &o, on_exit_cb);
    close(out[1]);
    close(err[1]);
    if (r < 0) {
        close(out[0]);
        close(err[0]);
        if (whyn)
            snprintf(why, whyn, "sh %.300s: %s", script, strerror(-r));
        return r;
    }
    run.running = 1;
    run.stopped = 0;
    run.len = 0;
    run.line_len = 0;
    run.step = run.steps = 0;
    run.doing[0][0] = run.doing[1][0] = '\0';
    uv_pipe_init(run.loop, &run.out, 0);
    uv_pipe_init(run.loop, &run.err, 0);
    uv_pipe_open(&run.out, out[0]);
    uv_pipe_open(&run.err, err[0]);
    run.pipes_open = 2;
    uv_read_start((uv_stream_t *)&run.out, on_alloc, on_read);
    uv_read_start((uv_stream_t *)&run.err, on_alloc, on_read);
    run.on_change();
    return 0;
}

void tui_compare_run_stop(void)
{
    if (run.running) {
        run.stopped = 1;
        scope_child_kill(&run.child, SIGTERM, 1);
    }
}

int tui_compare_run_running(void)
{
    return run.running;
}

void tui_compare_run_progress(int *step, int *steps, const char **doing_en, const char **doing_zh)
{
    *step = run.step;
    *steps = run.steps;
    *doing_en = run.doing[0];
    *doing_zh = run.doing[1];
}

void tui_compare_run_free(void)
{
    free(run.buf);
    run.buf = NULL;
    run.len = run.cap = 0;
}
