/* spawn: start a child process with chosen fds placed at chosen numbers, the
 * way Node places its IPC channel at fd 3 and names it in NODE_CHANNEL_FD.
 *
 * Why not uv_spawn: it cannot set PR_SET_PDEATHSIG in the child, and its
 * UV_CREATE_PIPE makes a socketpair, which has no PIPE_BUF atomicity. Here the
 * caller makes the real pipe2() or socketpair() it wants and lists where each
 * fd must land; everything else is closed on exec (FD_CLOEXEC), stdin, stdout
 * and stderr are inherited unless placed.
 *
 * The child:
 *   - gets its fds placed by dup2, safely even when a source number is another
 *     target (all sources are first moved above every target), and with
 *     FD_CLOEXEC cleared on each placed fd: dup2(3, 3) alone would not clear it;
 *   - optionally starts its own process group (so it can be signalled whole);
 *   - dies with its parent (PR_SET_PDEATHSIG), checking that the parent did not
 *     already die between fork and prctl;
 *   - starts with default signal dispositions and an empty signal mask;
 *   - reports exec failure (ENOENT, EACCES) synchronously: scope_spawn returns
 *     the negative errno and no exit callback follows.
 *
 * Exit is reported on the loop: one SIGCHLD watcher reaps each child started
 * here with waitpid(pid) (never waitpid(-1), so libuv's own children and
 * anyone else's are left alone) and calls the exit callback with the code or
 * signal. A running child keeps the loop alive, as a uv_process_t does.
 *
 * Usage:
 *
 *     int sv[2];
 *     socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
 *     scope_spawn_fd_t fds[] = {{.parent_fd = sv[1], .child_fd = 3}};
 *     const char *env[] = {"NODE_CHANNEL_FD=3", NULL};
 *     scope_spawn_options_t o = {.file = "node", .argv = argv, .setenv = env,
 *                                .fds = fds, .nfds = 1, .death_signal = SIGTERM};
 *     int r = scope_spawn(loop, &child, &o, on_exit);
 *     close(sv[1]);                   // the child has its copy now
 */
#ifndef SCOPE_SPAWN_H
#define SCOPE_SPAWN_H

#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

typedef struct {
    int parent_fd; /* an fd of this process */
    int child_fd;  /* the number it gets in the child */
} scope_spawn_fd_t;

typedef struct {
    const char *file;              /* searched in PATH when it has no '/' */
    char *const *argv;             /* argv[0] included, NULL-terminated */
    const char *const *setenv;     /* "NAME=VALUE" added or replaced; NULL-terminated */
    const char *const *unsetenv;   /* names removed; NULL-terminated */
    const scope_spawn_fd_t *fds;   /* where fds land in the child */
    size_t nfds;
    const char *cwd;               /* NULL: this process's */
    int new_process_group;         /* setpgid(0, 0) in the child */
    int death_signal;              /* sent to the child when we die; 0: none */
    /* A program that reports no events of its own (cat, sh, node without
     * ipcscope): with a name, its start and its exit are reported for it as
     * proc events under that name (lib/events), which narrate its exit as
     * "waitpid(N): NAME exited with code 0". NULL: none. */
    const char *name;
} scope_spawn_options_t;

typedef struct scope_child_s scope_child_t;
/* exit_status is the code when term_signal is 0. */
typedef void (*scope_child_exit_cb)(scope_child_t *child, int exit_status, int term_signal);

struct scope_child_s {
    void *data; /* the caller's */
    const char *name; /* scope_spawn_options_t.name: reported at exit */
    pid_t pid;
    int running;
    int exit_status, term_signal;
    scope_child_exit_cb exit_cb;
    uv_loop_t *loop;
    scope_child_t *next; /* the loop's list of running children */
};

/* Starts the child; child->data is kept, the rest is filled in. Returns 0, or a negative errno: from fork, or the child's
 * execve (e.g. -ENOENT), or -ENOENT when file is not found in PATH. */
int scope_spawn(uv_loop_t *loop, scope_child_t *child, const scope_spawn_options_t *opts,
                scope_child_exit_cb exit_cb);
/* kill(2) to the child, or to its whole process group when group is set.
 * Returns 0 or a negative errno (-ESRCH once it has been reaped). */
int scope_child_kill(scope_child_t *child, int sig, int group);
/* Sends sig to every child started on loop and not reaped yet: what a
 * program that quits owes the children it started, without a list of its
 * own beside the one kept here for reaping. Returns how many were sent it. */
int scope_spawn_kill_all(uv_loop_t *loop, int sig);
/* Closes the SIGCHLD watcher once no child is running; call before closing the
 * loop. Returns the number of children still running. */
int scope_spawn_shutdown(uv_loop_t *loop);

/* This program's own path, from /proc/self/exe. Returns 0 or -errno. */
int scope_spawn_self(char *out, size_t outlen);
/* The path of a file beside this program's own binary (a demo's node
 * script, say), from /proc/self/exe. Returns 0, or a negative errno. */
int scope_spawn_beside(const char *file, char *out, size_t outlen);

/* Resolves file against PATH as execvp would. Returns 0 and the path in out,
 * or -ENOENT / -EACCES / -ENAMETOOLONG. */
int scope_spawn_which(const char *file, char *out, size_t outlen);
/* The execve() a start makes, as text for narration:
 * execve("/usr/bin/grep", ["grep", "hello"]), the path found as execvp
 * would ("?" when it is not). Every demo that teaches a start shows this
 * call; the quoting is written once. Returns 0, or -ENOSPC when out was too
 * small and the text cut. */
int scope_spawn_execve_text(const char *file, char *const *argv, char *out, size_t n);

#endif
