/* Unit tests of lib/spawn.c: starting children with fds placed on purpose.
 *
 * Every test makes its own uv_loop_t, runs it until the exit callbacks of its
 * children have fired (with a watchdog that SIGKILLs them after a generous
 * bound, so a hung child fails the test instead of hanging it), and ends with
 * scope_spawn_shutdown and uv_loop_close. Children are /bin/sh one-liners;
 * what they saw is reported through their exit code or a pipe.
 *
 * Tests that need particular fd numbers in this process (3 and 4) take those
 * numbers over only for the duration of scope_spawn and give them back before
 * any assertion, since Check may use a low fd itself.
 */
#include "spawn.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WATCHDOG_MS 60000 /* a child that runs longer than this is killed */

/* ---- helpers --------------------------------------------------------- */

static const char *tmp_dir(void)
{
    const char *d = getenv("TMPDIR");
    return d && *d ? d : "/tmp";
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

typedef struct {
    int calls;
    int status, sig;
} exit_rec_t;

static void on_exit_cb(scope_child_t *c, int status, int sig)
{
    exit_rec_t *r = c->data;
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(c->running, 0);
    r->calls++;
    r->status = status;
    r->sig = sig;
}

typedef struct {
    uv_loop_t loop;
    uv_timer_t watchdog;
    scope_child_t *kids[8];
    int nkids;
    int timed_out;
} env_t;

static void env_init(env_t *e)
{
    memset(e, 0, sizeof *e);
    ck_assert_int_eq(uv_loop_init(&e->loop), 0);
    ck_assert_int_eq(uv_timer_init(&e->loop, &e->watchdog), 0);
    e->watchdog.data = e;
}

static void on_watchdog(uv_timer_t *t)
{
    env_t *e = t->data;
    e->timed_out = 1;
    for (int i = 0; i < e->nkids; i++)
        if (e->kids[i]->running)
            scope_child_kill(e->kids[i], SIGKILL, 0);
}

/* Starts child c with o, recording its exit in r. Returns scope_spawn's result. */
static int spawn(env_t *e, scope_child_t *c, const scope_spawn_options_t *o, exit_rec_t *r)
{
    memset(r, 0, sizeof *r);
    int rc = scope_spawn(&e->loop, c, o, on_exit_cb);
    if (rc == 0) {
        c->data = r; /* after: scope_spawn initialises the whole struct */
        ck_assert_int_lt(e->nkids, 8);
        e->kids[e->nkids++] = c;
    }
    return rc;
}

/* Runs the loop until every child has been reaped (the SIGCHLD watcher then
 * stops keeping the loop alive), or the watchdog fires. */
static void run(env_t *e)
{
    ck_assert_int_eq(uv_timer_start(&e->watchdog, on_watchdog, WATCHDOG_MS, 0), 0);
    uv_unref((uv_handle_t *)&e->watchdog);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    uv_timer_stop(&e->watchdog);
    ck_assert_msg(!e->timed_out, "a child ran longer than %d ms", WATCHDOG_MS);
}

static void env_done(env_t *e)
{
    ck_assert_int_eq(scope_spawn_shutdown(&e->loop), 0);
    uv_close((uv_handle_t *)&e->watchdog, NULL);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&e->loop), 0);
}

static scope_spawn_options_t sh_opts(char **argv, const char *script)
{
    argv[0] = "sh";
    argv[1] = "-c";
    argv[2] = (char *)script;
    argv[3] = NULL;
    return (scope_spawn_options_t){.file = "/bin/sh", .argv = argv};
}

/* Runs sh -c script with o's other settings and returns its exit record. */
static exit_rec_t run_sh(const char *script, scope_spawn_options_t o)
{
    char *argv[4];
    scope_spawn_options_t so = sh_opts(argv, script);
    o.file = so.file;
    o.argv = so.argv;
    env_t e;
    env_init(&e);
    scope_child_t c;
    exit_rec_t r;
    ck_assert_int_eq(spawn(&e, &c, &o, &r), 0);
    ck_assert_int_gt(c.pid, 0);
    ck_assert_int_eq(c.running, 1);
    run(&e);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(scope_child_kill(&c, SIGTERM, 0), -ESRCH);
    env_done(&e);
    return r;
}

/* Moves fd above 100 with FD_CLOEXEC, out of the way of small numbers. */
static int high(int fd)
{
    int h = fcntl(fd, F_DUPFD_CLOEXEC, 100);
    ck_assert_int_ge(h, 100);
    close(fd);
    return h;
}

static void pipe_high(int p[2])
{
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    p[0] = high(p[0]);
    p[1] = high(p[1]);
}

/* Borrowing a small fd number: whatever is there is set aside and put back. */
typedef struct {
    int num, saved, flags;
} fd_slot_t;

/* No ck_assert between fd_take and fd_give_back: Check itself may be writing
 * its progress to one of these small numbers. Returns 0 when done. */
static int fd_take(fd_slot_t *s, int num, int newfd)
{
    s->num = num;
    s->flags = fcntl(num, F_GETFD);
    s->saved = s->flags >= 0 ? fcntl(num, F_DUPFD_CLOEXEC, 100) : -1;
    if (s->flags >= 0 && s->saved < 0)
        return -1;
    return dup3(newfd, num, O_CLOEXEC) == num ? 0 : -1;
}

static void fd_give_back(fd_slot_t *s)
{
    if (s->saved >= 0) {
        dup3(s->saved, s->num, (s->flags & FD_CLOEXEC) ? O_CLOEXEC : 0);
        close(s->saved);
    } else {
        close(s->num);
    }
}

/* Reads until EOF (or up to cap-1 bytes) into buf, NUL-terminated. */
static size_t read_all(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    while (len + 1 < cap) {
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        ck_assert_msg(n >= 0, "read: %s", strerror(errno));
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return len;
}

/* Reads one line (without '\n'). */
static void read_line(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    while (len + 1 < cap) {
        ssize_t n = read(fd, buf + len, 1);
        if (n < 0 && errno == EINTR)
            continue;
        ck_assert_msg(n == 1, "no line: read returned %zd", n);
        if (buf[len] == '\n')
            break;
        len++;
    }
    buf[len] = '\0';
}

/* State and process group of a process from /proc/PID/stat; 0 when it is gone. */
static int proc_stat(pid_t pid, char *state, pid_t *pgrp)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    const char *rp = strrchr(buf, ')'); /* comm may hold spaces and parens */
    ck_assert_ptr_nonnull(rp);
    int ppid, pg;
    ck_assert_int_eq(sscanf(rp + 1, " %c %d %d", state, &ppid, &pg), 3);
    if (pgrp)
        *pgrp = pg;
    return 1;
}

/* Gone, or a zombie: dead either way. */
static int proc_dead(pid_t pid)
{
    char st;
    return !proc_stat(pid, &st, NULL) || st == 'Z' || st == 'X';
}

/* Polls every 10 ms, up to timeout_ms, until pid is dead. */
static int wait_dead(pid_t pid, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        if (proc_dead(pid))
            return 1;
        sleep_ms(10);
    }
    return proc_dead(pid);
}

/* Processes of group pgrp that are still alive (not zombies). */
static int group_alive(pid_t pgrp)
{
    DIR *d = opendir("/proc");
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        char st;
        pid_t pg;
        if (proc_stat((pid_t)pid, &st, &pg) && pg == pgrp && st != 'Z' && st != 'X')
            n++;
    }
    closedir(d);
    return n;
}

/* ---- exit code and signal ------------------------------------------------- */

START_TEST(exit_code_is_reported)
{
    exit_rec_t r = run_sh("exit 3", (scope_spawn_options_t){0});
    ck_assert_int_eq(r.status, 3);
    ck_assert_int_eq(r.sig, 0);
    r = run_sh("exit 0", (scope_spawn_options_t){0});
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(r.sig, 0);
}
END_TEST

START_TEST(signal_is_reported)
{
    exit_rec_t r = run_sh("kill -TERM $$", (scope_spawn_options_t){0});
    ck_assert_int_eq(r.sig, SIGTERM);
    ck_assert_int_eq(r.status, 0);
}
END_TEST

START_TEST(child_starts_with_default_signals_and_empty_mask)
{
    /* SIGTERM ignored and SIGUSR1 blocked here: an ignored signal would
     * survive execve, and sh cannot undo a disposition ignored at entry. */
    struct sigaction ign, old_term;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    ck_assert_int_eq(sigaction(SIGTERM, &ign, &old_term), 0);
    sigset_t usr1, old_mask;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    ck_assert_int_eq(sigprocmask(SIG_BLOCK, &usr1, &old_mask), 0);

    exit_rec_t r1 = run_sh("kill -TERM $$; exit 7", (scope_spawn_options_t){0});
    exit_rec_t r2 = run_sh("kill -USR1 $$; exit 7", (scope_spawn_options_t){0});
    /* SigBlk of the child itself is all zeros. Read with builtins only: with
     * grep, the shell would be forking and waiting at the moment its status
     * is read, and a shell may block signals around a fork. */
    exit_rec_t r3 = run_sh("while read -r k v; do if [ \"$k\" = SigBlk: ]; then "
                           "case $v in *[!0]*) exit 1;; esac; exit 0; fi; "
                           "done < /proc/$$/status; exit 2",
                           (scope_spawn_options_t){0});

    sigaction(SIGTERM, &old_term, NULL);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    ck_assert_int_eq(r1.sig, SIGTERM);
    ck_assert_int_eq(r2.sig, SIGUSR1);
    ck_assert_int_eq(r3.sig, 0);
    ck_assert_int_eq(r3.status, 0);
}
END_TEST

/* ---- exec failures ----------------------------------------------------- */

START_TEST(missing_program_is_enoent_without_callback)
{
    env_t e;
    env_init(&e);
    scope_child_t c;
    exit_rec_t r;
    char *argv[] = {"x", NULL};
    scope_spawn_options_t o = {.file = "ipcscope-no-such-program-6f1e", .argv = argv};
    ck_assert_int_eq(spawn(&e, &c, &o, &r), -ENOENT);
    o.file = "/nonexistent-dir-6f1e/prog";
    ck_assert_int_eq(spawn(&e, &c, &o, &r), -ENOENT);
    for (int i = 0; i < 10; i++)
        uv_run(&e.loop, UV_RUN_NOWAIT);
    ck_assert_int_eq(r.calls, 0);
    env_done(&e);
}
END_TEST

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(not_executable_is_eacces_without_callback)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/spawn-noexec-%ld", tmp_dir(), (long)getpid());
    write_file(path, "#!/bin/sh\nexit 0\n", 0644);
    env_t e;
    env_init(&e);
    scope_child_t c;
    exit_rec_t r;
    char *argv[] = {path, NULL};
    scope_spawn_options_t o = {.file = path, .argv = argv};
    int rc = spawn(&e, &c, &o, &r);
    unlink(path);
    ck_assert_int_eq(rc, -EACCES);
    /* a directory passes access(X_OK) but execve refuses it */
    o.file = tmp_dir();
    ck_assert_int_eq(spawn(&e, &c, &o, &r), -EACCES);
    for (int i = 0; i < 10; i++)
        uv_run(&e.loop, UV_RUN_NOWAIT);
    ck_assert_int_eq(r.calls, 0);
    env_done(&e);
}
END_TEST

/* An executable file that is neither ELF nor a script: execve itself fails
 * with ENOEXEC, which the child reports back through its pipe. */
static void make_garbage_exe(char *path, size_t n)
{
    snprintf(path, n, "%s/spawn-garbage-%ld", tmp_dir(), (long)getpid());
    write_file(path, "\x01\x02\x03 not a program\n", 0755);
}

START_TEST(exec_failure_is_reported_synchronously)
{
    char path[PATH_MAX];
    make_garbage_exe(path, sizeof path);
    env_t e;
    env_init(&e);
    scope_child_t c;
    exit_rec_t r;
    char *argv[] = {path, NULL};
    scope_spawn_options_t o = {.file = path, .argv = argv};
    int rc = spawn(&e, &c, &o, &r);
    unlink(path);
    ck_assert_int_eq(rc, -ENOEXEC);
    for (int i = 0; i < 10; i++)
        uv_run(&e.loop, UV_RUN_NOWAIT);
    ck_assert_int_eq(r.calls, 0);
    env_done(&e);
}
END_TEST

START_TEST(exec_failure_is_reported_with_many_fds_placed)
{
    /* Every small number is a target, so one of them is the number the
     * child's error-report pipe happens to have: placing must not clobber it. */
    char path[PATH_MAX];
    make_garbage_exe(path, sizeof path);
    int p[2];
    pipe_high(p);
    scope_spawn_fd_t fds[61];
    for (int i = 0; i < 61; i++)
        fds[i] = (scope_spawn_fd_t){.parent_fd = p[1], .child_fd = 3 + i};
    env_t e;
    env_init(&e);
    scope_child_t c;
    exit_rec_t r;
    char *argv[] = {path, NULL};
    scope_spawn_options_t o = {.file = path, .argv = argv, .fds = fds, .nfds = 61};
    int rc = spawn(&e, &c, &o, &r);
    unlink(path);
    close(p[1]);
    if (rc == 0)
        run(&e);
    char buf[64];
    size_t n = read_all(p[0], buf, sizeof buf);
    close(p[0]);
    ck_assert_msg(rc == -ENOEXEC, "scope_spawn returned %d (exit callback: %d calls, status %d)",
                  rc, r.calls, r.status);
    ck_assert_uint_eq(n, 0); /* nothing was written into a placed fd */
    ck_assert_int_eq(r.calls, 0);
    env_done(&e);
}
END_TEST

/* ---- fd placement --------------------------------------------------------- */

START_TEST(colliding_fd_numbers_are_swapped_safely)
{
    int a[2], b[2];
    pipe_high(a);
    pipe_high(b);
    /* Here A's write end is fd 3 and B's is fd 4; the child gets them the
     * other way round: each source number is the other's target. */
    scope_spawn_fd_t fds[] = {{.parent_fd = 3, .child_fd = 4}, {.parent_fd = 4, .child_fd = 3}};
    char *argv[4];
    scope_spawn_options_t o = sh_opts(argv, "echo A >&4; echo B >&3");
    o.fds = fds;
    o.nfds = 2;
    env_t e;
    env_init(&e);
    scope_child_t c;
    exit_rec_t r;
    memset(&r, 0, sizeof r);
    fd_slot_t s3, s4;
    int t3 = fd_take(&s3, 3, a[1]);
    int t4 = fd_take(&s4, 4, b[1]);
    int rc = t3 == 0 && t4 == 0 ? scope_spawn(&e.loop, &c, &o, on_exit_cb) : -1;
    fd_give_back(&s4);
    fd_give_back(&s3);
    close(a[1]);
    close(b[1]);
    ck_assert_int_eq(t3, 0);
    ck_assert_int_eq(t4, 0);
    ck_assert_int_eq(rc, 0);
    c.data = &r;
    e.kids[e.nkids++] = &c;
    run(&e);
    char buf[64];
    read_all(a[0], buf, sizeof buf);
    ck_assert_str_eq(buf, "A\n");
    read_all(b[0], buf, sizeof buf);
    ck_assert_str_eq(buf, "B\n");
    close(a[0]);
    close(b[0]);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(r.sig, 0);
    env_done(&e);
}
END_TEST

START_TEST(fd_placed_at_its_own_number_loses_cloexec)
{
    int p[2];
    pipe_high(p);
    scope_spawn_fd_t fds[] = {{.parent_fd = 3, .child_fd = 3}};
    char *argv[4];
    scope_spawn_options_t o = sh_opts(argv, "echo hi >&3");
    o.fds = fds;
    o.nfds = 1;
    env_t e;
    env_init(&e);
    scope_child_t c;
    exit_rec_t r;
    memset(&r, 0, sizeof r);
    fd_slot_t s3;
    int t3 = fd_take(&s3, 3, p[1]); /* fd 3 here, with FD_CLOEXEC */
    int flags = fcntl(3, F_GETFD);
    int rc = t3 == 0 ? scope_spawn(&e.loop, &c, &o, on_exit_cb) : -1;
    fd_give_back(&s3);
    close(p[1]);
    ck_assert_int_eq(t3, 0);
    ck_assert_int_ne(flags & FD_CLOEXEC, 0);
    ck_assert_int_eq(rc, 0);
    c.data = &r;
    e.kids[e.nkids++] = &c;
    run(&e);
    char buf[64];
    read_all(p[0], buf, sizeof buf);
    close(p[0]);
    ck_assert_str_eq(buf, "hi\n");
    ck_assert_int_eq(r.status, 0);
    env_done(&e);
}
END_TEST

START_TEST(unplaced_fds_are_not_inherited)
{
    /* hidden: two low numbers and one high, all O_CLOEXEC, none placed */
    int hidden[3], shown[2];
    ck_assert_int_eq(pipe2(hidden, O_CLOEXEC), 0);
    hidden[2] = high(open("/dev/null", O_RDONLY | O_CLOEXEC));
    pipe_high(shown);
    int target = hidden[0] == 9 || hidden[1] == 9 ? 8 : 9;
    scope_spawn_fd_t fds[] = {{.parent_fd = shown[1], .child_fd = target}};
    char script[512];
    /* the placed fd is open (a control), hidden[] and shown[1] are not */
    snprintf(script, sizeof script,
             "test -e /proc/self/fd/%d || exit 2; "
             "test ! -e /proc/self/fd/%d || exit 3; test ! -e /proc/self/fd/%d || exit 4; "
             "test ! -e /proc/self/fd/%d || exit 5; test ! -e /proc/self/fd/%d || exit 6; "
             "echo ok >&%d",
             target, hidden[0], hidden[1], hidden[2], shown[1], target);
    exit_rec_t r = run_sh(script, (scope_spawn_options_t){.fds = fds, .nfds = 1});
    close(shown[1]);
    char buf[64];
    read_all(shown[0], buf, sizeof buf);
    close(shown[0]);
    close(hidden[0]);
    close(hidden[1]);
    close(hidden[2]);
    ck_assert_int_eq(r.sig, 0);
    ck_assert_msg(r.status == 0, "child saw an fd it should not have (exit %d)", r.status);
    ck_assert_str_eq(buf, "ok\n");
}
END_TEST

/* ---- process group ------------------------------------------------------ */

START_TEST(new_process_group_is_killed_whole)
{
    int p[2];
    pipe_high(p);
    scope_spawn_fd_t fds[] = {{.parent_fd = p[1], .child_fd = 3}};
    char *argv[4];
    scope_spawn_options_t o =
        sh_opts(argv, "sleep 100 & echo $! >&3; echo $$ >&3; exec 3>&-; wait");
    o.fds = fds;
    o.nfds = 1;
    o.new_process_group = 1;
    env_t e;
    env_init(&e);
    scope_child_t c;
    exit_rec_t r;
    ck_assert_int_eq(spawn(&e, &c, &o, &r), 0);
    close(p[1]);

    char line[64];
    read_line(p[0], line, sizeof line);
    pid_t sleeper = (pid_t)atol(line);
    read_line(p[0], line, sizeof line);
    pid_t sh = (pid_t)atol(line);
    close(p[0]);
    ck_assert_int_eq(sh, c.pid);
    ck_assert_int_gt(sleeper, 0);

    /* the child is a group leader and the sleep is in its group */
    char st;
    pid_t pg;
    ck_assert(proc_stat(c.pid, &st, &pg));
    pid_t own_pg = getpgrp();
    ck_assert_int_eq(pg, c.pid);
    ck_assert(proc_stat(sleeper, &st, &pg));
    ck_assert_int_eq(pg, c.pid);
    ck_assert_int_ne(own_pg, c.pid);

    ck_assert_int_eq(scope_child_kill(&c, SIGTERM, 1), 0);
    run(&e);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(r.sig, SIGTERM);
    /* the sleep, now someone else's child, died too */
    int sleeper_dead = wait_dead(sleeper, 20000);
    int left = 0;
    for (int waited = 0; (left = group_alive(c.pid)) > 0 && waited < 20000; waited += 10)
        sleep_ms(10);
    if (!sleeper_dead)
        kill(sleeper, SIGKILL);
    if (left)
        kill(-c.pid, SIGKILL);
    ck_assert_msg(sleeper_dead, "the background sleep %ld survived the group kill",
                  (long)sleeper);
    ck_assert_int_eq(left, 0);
    ck_assert_int_eq(scope_child_kill(&c, SIGTERM, 1), -ESRCH);
    env_done(&e);
}
END_TEST

START_TEST(without_new_group_child_stays_in_ours)
{
    int p[2], gate[2];
    pipe_high(p);
    pipe_high(gate);
    scope_spawn_fd_t fds[] = {{.parent_fd = p[1], .child_fd = 3},
                              {.parent_fd = gate[0], .child_fd = 0}};
    char *argv[4];
    scope_spawn_options_t o = sh_opts(argv, "echo $$ >&3; exec 3>&-; read x");
    o.fds = fds;
    o.nfds = 2;
    env_t e;
    env_init(&e);
    scope_child_t c;
    exit_rec_t r;
    ck_assert_int_eq(spawn(&e, &c, &o, &r), 0);
    close(p[1]);
    close(gate[0]);
    char line[64];
    read_line(p[0], line, sizeof line); /* it runs (and waits on the gate) */
    close(p[0]);
    char st;
    pid_t pg = -1;
    int found = proc_stat(c.pid, &st, &pg);
    close(gate[1]); /* lets it finish */
    run(&e);
    ck_assert_int_eq(atol(line), c.pid);
    ck_assert(found);
    ck_assert_int_eq(pg, getpgrp());
    ck_assert_int_eq(r.calls, 1);
    env_done(&e);
}
END_TEST

/* ---- death signal ---------------------------------------------------------- */

START_TEST(death_signal_kills_child_when_parent_dies)
{
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    pid_t middle = fork();
    ck_assert_int_ge(middle, 0);
    if (middle == 0) {
        close(p[0]);
        uv_loop_t loop;
        if (uv_loop_init(&loop) != 0)
            _exit(2);
        scope_child_t c;
        char *argv[] = {"sleep", "100", NULL};
        scope_spawn_options_t o = {.file = "sleep", .argv = argv, .death_signal = SIGKILL};
        int rc = scope_spawn(&loop, &c, &o, NULL);
        long msg = rc == 0 ? (long)c.pid : (long)rc;
        if (write(p[1], &msg, sizeof msg) != (ssize_t)sizeof msg)
            _exit(3);
        _exit(0); /* without reaping: the grandchild must die of its own */
    }
    close(p[1]);
    long got = 0;
    ssize_t n;
    while ((n = read(p[0], &got, sizeof got)) < 0 && errno == EINTR)
        ;
    close(p[0]);
    int status;
    while (waitpid(middle, &status, 0) < 0)
        ck_assert_int_eq(errno, EINTR);
    ck_assert_int_eq(n, (ssize_t)sizeof got);
    ck_assert_msg(got > 0, "scope_spawn in the middle process failed: %ld", got);
    pid_t grandchild = (pid_t)got;
    int dead = wait_dead(grandchild, 20000);
    if (!dead)
        kill(grandchild, SIGKILL);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_msg(dead, "sleep %ld outlived its parent", got);
}
END_TEST

/* ---- environment and cwd ------------------------------------------------------ */

START_TEST(setenv_and_unsetenv)
{
    ck_assert_int_eq(setenv("FOO", "old", 1), 0);
    ck_assert_int_eq(setenv("GONE", "1", 1), 0);
    ck_assert_int_eq(setenv("KEEP", "kept", 1), 0);
    const char *set[] = {"FOO=bar", "NEW=a=b", NULL};
    const char *unset[] = {"GONE", NULL};
    const char *script = "test \"$FOO\" = bar && test -z \"${GONE+x}\" && test \"$KEEP\" = kept "
                         "&& test \"$NEW\" = a=b && test $(env | grep -c '^FOO=') = 1";
    exit_rec_t r = run_sh(script, (scope_spawn_options_t){.setenv = set, .unsetenv = unset});
    /* control: without unsetenv the child does see GONE */
    exit_rec_t ctl = run_sh("test -z \"${GONE+x}\"", (scope_spawn_options_t){.setenv = set});
    unsetenv("FOO");
    unsetenv("GONE");
    unsetenv("KEEP");
    ck_assert_int_eq(r.sig, 0);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(ctl.status, 1);
}
END_TEST

START_TEST(cwd_is_applied)
{
    char want[PATH_MAX], script[PATH_MAX + 64];
    ck_assert_ptr_nonnull(realpath(tmp_dir(), want));
    snprintf(script, sizeof script, "test \"$(pwd -P)\" = '%s'", want);
    exit_rec_t r = run_sh(script, (scope_spawn_options_t){.cwd = want});
    ck_assert_int_eq(r.status, 0);
}
END_TEST

/* ---- exit callbacks ---------------------------------------------------------- */

START_TEST(two_children_each_get_one_callback)
{
    int gate[2];
    pipe_high(gate);
    scope_spawn_fd_t fds[] = {{.parent_fd = gate[0], .child_fd = 0}};
    char *argv1[4], *argv2[4];
    scope_spawn_options_t o1 = sh_opts(argv1, "read x; exit 5");
    scope_spawn_options_t o2 = sh_opts(argv2, "read x; exit 6");
    o1.fds = o2.fds = fds;
    o1.nfds = o2.nfds = 1;
    env_t e;
    env_init(&e);
    scope_child_t c1, c2;
    exit_rec_t r1, r2;
    ck_assert_int_eq(spawn(&e, &c1, &o1, &r1), 0);
    ck_assert_int_eq(spawn(&e, &c2, &o2, &r2), 0);
    close(gate[0]);
    ck_assert_int_ne(c1.pid, c2.pid);
    /* both are running: shutdown refuses */
    ck_assert_int_eq(scope_spawn_shutdown(&e.loop), 2);
    for (int i = 0; i < 5; i++)
        uv_run(&e.loop, UV_RUN_NOWAIT);
    ck_assert_int_eq(r1.calls, 0);
    ck_assert_int_eq(r2.calls, 0);
    close(gate[1]); /* both read EOF and exit at about the same time */
    run(&e);
    ck_assert_int_eq(r1.calls, 1);
    ck_assert_int_eq(r2.calls, 1);
    ck_assert_int_eq(r1.status, 5);
    ck_assert_int_eq(r2.status, 6);
    /* more SIGCHLDs (another child on the same loop) do not call them again */
    char *argv3[4];
    scope_spawn_options_t o3 = sh_opts(argv3, "exit 0");
    scope_child_t c3;
    exit_rec_t r3;
    ck_assert_int_eq(spawn(&e, &c3, &o3, &r3), 0);
    run(&e);
    ck_assert_int_eq(r3.calls, 1);
    for (int i = 0; i < 5; i++)
        uv_run(&e.loop, UV_RUN_NOWAIT);
    ck_assert_int_eq(r1.calls, 1);
    ck_assert_int_eq(r2.calls, 1);
    env_done(&e);
}
END_TEST

/* The exit callback of the first child starts a second one. */
static scope_child_t chain_second;
static exit_rec_t chain_rec2;
static char *chain_argv[4];
static void on_first_exit(scope_child_t *c, int status, int sig)
{
    on_exit_cb(c, status, sig);
    scope_spawn_options_t o = sh_opts(chain_argv, "exit 9");
    int rc = scope_spawn(c->loop, &chain_second, &o, on_exit_cb);
    ck_assert_int_eq(rc, 0);
    chain_second.data = &chain_rec2;
}

START_TEST(exit_callback_may_spawn_again)
{
    env_t e;
    env_init(&e);
    scope_child_t c;
    exit_rec_t r;
    memset(&r, 0, sizeof r);
    memset(&chain_rec2, 0, sizeof chain_rec2);
    char *argv[4];
    scope_spawn_options_t o = sh_opts(argv, "exit 8");
    ck_assert_int_eq(scope_spawn(&e.loop, &c, &o, on_first_exit), 0);
    c.data = &r;
    e.kids[e.nkids++] = &c;
    e.kids[e.nkids++] = &chain_second;
    run(&e);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(r.status, 8);
    ck_assert_int_eq(chain_rec2.calls, 1);
    ck_assert_int_eq(chain_rec2.status, 9);
    env_done(&e);
}
END_TEST

/* Quit: every child of the loop not reaped yet is sent the signal, once. */
START_TEST(kill_all_signals_every_running_child)
{
    char *argv1[4], *argv2[4];
    scope_spawn_options_t o1 = sh_opts(argv1, "exec sleep 30");
    scope_spawn_options_t o2 = sh_opts(argv2, "exec sleep 30");
    env_t e;
    env_init(&e);
    scope_child_t c1, c2;
    exit_rec_t r1, r2;
    ck_assert_int_eq(spawn(&e, &c1, &o1, &r1), 0);
    ck_assert_int_eq(spawn(&e, &c2, &o2, &r2), 0);
    ck_assert_int_eq(scope_spawn_kill_all(&e.loop, SIGTERM), 2);
    run(&e);
    ck_assert_int_eq(r1.sig, SIGTERM);
    ck_assert_int_eq(r2.sig, SIGTERM);
    ck_assert_int_eq(scope_spawn_kill_all(&e.loop, SIGTERM), 0); /* reaped: none left */
    env_done(&e);
}
END_TEST

/* The execve() a start makes, for narration: the path as execvp finds it. */
START_TEST(execve_text_names_path_and_argv)
{
    char *argv[] = {"sh", "-c", "exit 0", NULL}, out[128], path[64];
    ck_assert_int_eq(scope_spawn_which("sh", path, sizeof path), 0);
    char want[160];
    snprintf(want, sizeof want, "execve(\"%s\", [\"sh\", \"-c\", \"exit 0\"])", path);
    ck_assert_int_eq(scope_spawn_execve_text("sh", argv, out, sizeof out), 0);
    ck_assert_str_eq(out, want);
    char *none[] = {"ipcscope-no-such-command", NULL};
    ck_assert_int_eq(scope_spawn_execve_text(none[0], none, out, sizeof out), 0);
    ck_assert_str_eq(out, "execve(\"?\", [\"ipcscope-no-such-command\"])");
    ck_assert_int_eq(scope_spawn_execve_text("sh", argv, out, 16), -ENOSPC);
    ck_assert_uint_eq(strlen(out), 15);
}
END_TEST

/* ------------------------------------------------------------------------ */

static Suite *spawn_suite(void)
{
    Suite *s = suite_create("spawn");
    TCase *ex = tcase_create("exit");
    tcase_set_timeout(ex, 120);
    tcase_add_test(ex, exit_code_is_reported);
    tcase_add_test(ex, signal_is_reported);
    tcase_add_test(ex, child_starts_with_default_signals_and_empty_mask);
    tcase_add_test(ex, two_children_each_get_one_callback);
    tcase_add_test(ex, exit_callback_may_spawn_again);
    tcase_add_test(ex, kill_all_signals_every_running_child);
    suite_add_tcase(s, ex);

    TCase *fail = tcase_create("exec-failure");
    tcase_set_timeout(fail, 120);
    tcase_add_test(fail, missing_program_is_enoent_without_callback);
    tcase_add_test(fail, not_executable_is_eacces_without_callback);
    tcase_add_test(fail, exec_failure_is_reported_synchronously);
    tcase_add_test(fail, exec_failure_is_reported_with_many_fds_placed);
    suite_add_tcase(s, fail);

    TCase *fds = tcase_create("fds");
    tcase_set_timeout(fds, 120);
    tcase_add_test(fds, colliding_fd_numbers_are_swapped_safely);
    tcase_add_test(fds, fd_placed_at_its_own_number_loses_cloexec);
    tcase_add_test(fds, unplaced_fds_are_not_inherited);
    suite_add_tcase(s, fds);

    TCase *proc = tcase_create("process");
    tcase_set_timeout(proc, 120);
    tcase_add_test(proc, new_process_group_is_killed_whole);
    tcase_add_test(proc, without_new_group_child_stays_in_ours);
    tcase_add_test(proc, death_signal_kills_child_when_parent_dies);
    tcase_add_test(proc, setenv_and_unsetenv);
    tcase_add_test(proc, cwd_is_applied);
    tcase_add_test(proc, execve_text_names_path_and_argv);
    suite_add_tcase(s, proc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(spawn_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
