/* narrate.c: the children told with the real fds: the pipe2(), fork(),
 * dup2() and execve() of stdio-pipe.c's child_spawn, the three pipes as the
 * dashboard's channels, what they carry, and how each part ended. Beside the
 * mechanism, so that stdio-pipe.c shows the calls alone. */
#include <string.h>
#include <unistd.h>

#include "stdio-pipe.h"

void printable(char *out, size_t cap, const char *data, size_t len)
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

void child_data(stdio_child_t *c, int fd, const char *data, size_t len)
{
    char text[200];
    printable(text, sizeof text, data, len - (data[len - 1] == '\n'));
    scope_trace_recv(fd == 1 ? &c->out : &c->err, data, len);
    scope_events_log("'data' on child.%s: read() %zu bytes from fd %d: %s",
                     fd == 1 ? "stdout" : "stderr", len, c->fd[fd], text);
}

void child_narrate(stdio_child_t *c, const int p[6])
{
    static const char *const names[3] = {"stdin", "stdout", "stderr"};
    scope_trace_t *t[3] = {&c->in, &c->out, &c->err};
    for (int i = 0; i < 3; i++)
        scope_trace_init(t[i], names[i], SCOPE_PID(getpid()), SCOPE_PID(c->pid));
    if (c->quiet)
        return;
    scope_events_log("pipe2(O_CLOEXEC) x3: stdin [r %d, w %d], stdout [r %d, w %d], stderr "
                     "[r %d, w %d]", p[0], p[1], p[2], p[3], p[4], p[5]);
    scope_events_log("fork() -> %ld. The child dup2()s %d, %d and %d onto 0, 1 and 2%s; we "
                     "close those and keep %d (its stdin), %d and %d (its stdout, stderr)",
                     (long)c->pid, p[0], p[3], p[5],
                     c->fd3 > 0 ? scope_events_tr(", and its fd 3") : "", p[1], p[2], p[4]);
    if (c->file) {
        char call[200]; /* a long command is cut */
        scope_spawn_execve_text(c->file, c->argv, call, sizeof call);
        scope_events_log("in the child: %s", call);
    }
    for (int i = 0; i < 3; i++) {
        char detail[32];
        snprintf(detail, sizeof detail, "child.%s: its fd %d", names[i], i);
        scope_trace_open(t[i], "pipe", detail);
    }
}

int child_cut(stdio_child_t *c, int early)
{
    scope_demo_t *d = c->demo;
    if (!scope_demo_check(d, !(c->sig || early) || d->quitting, "killed",
                          "%s %s%s before its "
                          "part was over",
                          c->name,
                          c->sig ? scope_events_tr("was killed by SIG") : scope_events_tr("left"),
                          c->sig ? sigabbrev_np(c->sig) : ""))
        scope_demo_figure(d, "complete", cJSON_CreateFalse());
    return c->sig || early || d->quitting;
}
