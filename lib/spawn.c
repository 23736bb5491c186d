/* spawn: fork + execve with fds placed on purpose, process groups, death
 * signals, and exit reported on a libuv loop. See spawn.h.
 *
 * Between fork and execve the child may only call async-signal-safe functions
 * (the parent may have libuv's thread pool running), so everything that needs
 * memory, the environment and the resolved path, is prepared before fork.
 */
#include "spawn.h"
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* One SIGCHLD watcher per process; lib/spawn is for single-loop programs (the
 * demos and the dashboard), and it says so by refusing a second loop. */
static uv_signal_t sigchld;
static uv_loop_t *sigchld_loop;
static scope_child_t *running;

int scope_spawn_self(char *out, size_t outlen)
{
    ssize_t n = readlink("/proc/self/exe", out, outlen);
    if (n <= 0)
        return -errno;
    if ((size_t)n >= outlen)
        return -ENAMETOOLONG;
    out[n] = '\0';
    return 0;
}

int scope_spawn_beside(const char *file, char *out, size_t outlen)
{
    char self[PATH_MAX];
    int r = scope_spawn_self(self, sizeof self);
    if (r < 0)
        return r;
    char *slash = strrchr(self, '/');
    int len = snprintf(out, outlen, "%.*s/%s", slash ? (int)(slash - self) : 1,
                       slash ? self : ".", file);
    return len < 0 || (size_t)len >= outlen ? -ENAMETOOLONG : 0;
}

int scope_spawn_which(const char *file, char *out, size_t outlen)
{
    if (strchr(file, '/')) {
        if (strlen(file) >= outlen)
            return -ENAMETOOLONG;
        strcpy(out, file);
        return access(out, X_OK) == 0 ? 0 : -errno;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    int err = -ENOENT;
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t dlen = colon ? (size_t)(colon - path) : strlen(path);
        if (dlen + 1 + strlen(file) + 1 <= outlen) {
            memcpy(out, dlen ? path : ".", dlen ? dlen : 1);
            size_t n = dlen ? dlen : 1;
            out[n] = '/';
            strcpy(out + n + 1, file);
            struct stat st;
            if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
                if (access(out, X_OK) == 0)
                    return 0;
                err = -EACCES;
            }
        }
        if (!colon)
            break;
        path = colon + 1;
    }
    return err;
}

static int name_matches(const char *entry, const char *name_eq_or_name)
{
    size_t n = strcspn(name_eq_or_name, "=");
    return strncmp(entry, name_eq_or_name, n) == 0 && entry[n] == '=';
}

/* environ, less unsetenv and the names in setenv, plus setenv. The strings
 * are borrowed; only the array is allocated. */
static char **build_env(const scope_spawn_options_t *o)
{
    size_t n = 0, extra = 0;
    while (environ[n])
        n++;
    if (o->setenv)
        while (o->setenv[extra])
            extra++;
    char **env = calloc(n + extra + 1, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int drop = 0;
        for (size_t j = 0; o->unsetenv && o->unsetenv[j] && !drop; j++)
            drop = name_matches(environ[i], o->unsetenv[j]);
        for (size_t j = 0; j < extra && !drop; j++)
            drop = name_matches(environ[i], o->setenv[j]);
        if (!drop)
            env[k++] = environ[i];
    }
    for (size_t j = 0; j < extra; j++)
        env[k++] = (char *)o->setenv[j];
    env[k] = NULL;
    return env;
}

static void reap(uv_signal_t *handle, int signum)
{
    (void)handle;
    (void)signum;
    scope_child_t **link = &running;
    while (*link) {
        scope_child_t *c = *link;
        int status;
        pid_t r = waitpid(c->pid, &status, WNOHANG);
        if (r == 0 || (r < 0 && errno == EINTR)) {
            link = &c->next;
            continue;
        }
        *link = c->next; /* reaped (or lost: ECHILD), either way done */
        c->running = 0;
        c->exit_status = r > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : 0;
        c->term_signal = r > 0 && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        if (!running)
            uv_unref((uv_handle_t *)&sigchld);
        if (c->name) /* narrated as waitpid's */
            scope_events_proc("exit", c->pid, getpid(), c->name, c->exit_status, c->term_signal);
        if (c->exit_cb)
            c->exit_cb(c, c->exit_status, c->term_signal);
    }
}

static int watch_children(uv_loop_t *loop)
{
    if (sigchld_loop == loop)
        return 0;
    if (sigchld_loop)
        return -EBUSY;
    int r = uv_signal_init(loop, &sigchld);
    if (r == 0)
        r = uv_signal_start(&sigchld, reap, SIGCHLD);
    if (r < 0)
        return r;
    uv_unref((uv_handle_t *)&sigchld);
    sigchld_loop = loop;
    return 0;
}

/* The child's side, between fork and execve: async-signal-safe calls only. */
static void child_exec(const scope_spawn_options_t *o, const char *path, char **env,
                       pid_t parent, int report_fd)
{
    int err;
    if (o->new_process_group && setpgid(0, 0) < 0)
        goto fail;
    if (o->death_signal) {
        if (prctl(PR_SET_PDEATHSIG, o->death_signal) < 0)
            goto fail;
        if (getppid() != parent) /* the parent died before prctl */
            _exit(127);
    }

    /* Move every source above every target first, so that placing one fd can
     * never overwrite another source. */
    int top = report_fd;
    for (size_t i = 0; i < o->nfds; i++) {
        if (o->fds[i].child_fd > top)
            top = o->fds[i].child_fd;
        if (o->fds[i].parent_fd > top)
            top = o->fds[i].parent_fd;
    }
    int moved[64];
    if (o->nfds > sizeof moved / sizeof moved[0]) {
        errno = E2BIG;
        goto fail;
    }
    /* The report pipe too: its number may be a target, and a dup2 onto it
     * would close it (the parent would then see EOF before execve). */
    int report_moved = fcntl(report_fd, F_DUPFD_CLOEXEC, top + 1);
    if (report_moved < 0)
        goto fail;
    report_fd = report_moved;
    for (size_t i = 0; i < o->nfds; i++) {
        moved[i] = fcntl(o->fds[i].parent_fd, F_DUPFD_CLOEXEC, top + 1);
        if (moved[i] < 0)
            goto fail;
    }
    for (size_t i = 0; i < o->nfds; i++) {
        /* dup2 clears FD_CLOEXEC on the new fd; the moved copies keep it. */
        if (dup2(moved[i], o->fds[i].child_fd) < 0)
            goto fail;
    }

    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        sigaction(s, &dfl, NULL); /* SIG_IGN (e.g. SIGPIPE) would survive exec */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    if (o->cwd && chdir(o->cwd) < 0)
        goto fail;
    execve(path, o->argv, env);
fail:
    err = errno;
    while (write(report_fd, &err, sizeof err) < 0 && errno == EINTR)
        ;
    _exit(127);
}

int scope_spawn(uv_loop_t *loop, scope_child_t *child, const scope_spawn_options_t *opts,
                scope_child_exit_cb exit_cb)
{
    char path[PATH_MAX];
    int r = scope_spawn_which(opts->file, path, sizeof path);
    if (r < 0)
        return r;
    if ((r = watch_children(loop)) < 0)
        return r;
    char **env = build_env(opts);
    if (!env)
        return -ENOMEM;

    /* The child writes its errno here if execve fails; a successful execve
     * closes it (O_CLOEXEC), so the parent reads EOF. */
    int report[2];
    if (pipe2(report, O_CLOEXEC) < 0) {
        free(env);
        return -errno;
    }

    void *data = child->data; /* the caller's, kept */
    memset(child, 0, sizeof *child);
    child->data = data;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        r = -errno;
        close(report[0]);
        close(report[1]);
        free(env);
        return r;
    }
    if (pid == 0) {
        close(report[0]);
        child_exec(opts, path, env, parent, report[1]);
    }
    close(report[1]);
    free(env);
    if (opts->new_process_group)
        setpgid(pid, pid); /* also here, so a kill of the group right away works */

    int child_err = 0;
    ssize_t n;
    do
        n = read(report[0], &child_err, sizeof child_err);
    while (n < 0 && errno == EINTR);
    close(report[0]);

    child->pid = pid;
    child->loop = loop;
    child->exit_cb = exit_cb;
    if (n == (ssize_t)sizeof child_err) {
        /* exec failed: reap now, the caller gets the reason and no callback */
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        child->pid = 0;
        return -child_err;
    }
    child->running = 1;
    child->next = running;
    running = child;
    child->name = opts->name;
    if (child->name)
        scope_events_proc("start", pid, getpid(), child->name, 0, 0);
    /* The watcher was started before fork, so even a child that has already
     * exited is reaped on the loop's next turn, never inside this call. */
    uv_ref((uv_handle_t *)&sigchld);
    return 0;
}

int scope_child_kill(scope_child_t *child, int sig, int group)
{
    if (!child->running || child->pid <= 0)
        return -ESRCH;
    if (kill(group ? -child->pid : child->pid, sig) < 0)
        return -errno;
    return 0;
}

int scope_spawn_execve_text(const char *file, char *const *argv, char *out, size_t n)
{
    char path[PATH_MAX];
    if (n == 0)
        return -ENOSPC;
    if (scope_spawn_which(file, path, sizeof path) < 0)
        snprintf(path, sizeof path, "?");
    size_t len = (size_t)snprintf(out, n, "execve(\"%s\", [", path);
    for (int i = 0; argv[i] && len < n; i++)
        len += (size_t)snprintf(out + len, n - len, "%s\"%s\"", i ? ", " : "", argv[i]);
    if (len < n)
        len += (size_t)snprintf(out + len, n - len, "])");
    return len < n ? 0 : -ENOSPC;
}

int scope_spawn_kill_all(uv_loop_t *loop, int sig)
{
    int n = 0;
    for (scope_child_t *c = running; c; c = c->next)
        if (c->loop == loop && c->pid > 0 && kill(c->pid, sig) == 0)
            n++;
    return n;
}

int scope_spawn_shutdown(uv_loop_t *loop)
{
    int n = 0;
    for (scope_child_t *c = running; c; c = c->next)
        n++;
    if (n == 0 && sigchld_loop == loop) {
        uv_close((uv_handle_t *)&sigchld, NULL);
        sigchld_loop = NULL;
    }
    return n;
}
