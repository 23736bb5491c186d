/* Unit tests of lib/broker.c: the private redis-server (a private 0700
 * directory, no TCP port, ready when it answers PING, nothing left after a
 * stop), the --redis URLs, and a PING where nothing answers. */
#include "broker.h"
#include "addr.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int ready_status = 1, exited;

static void on_ready(scope_redis_t *r, int status)
{
    ready_status = status;
    if (status == 0) {
        struct stat st;
        ck_assert_int_eq(stat(r->dir, &st), 0);
        ck_assert_int_eq(st.st_mode & 0777, 0700);
        ck_assert_int_eq(scope_redis_ping(r->sock, NULL, 0, 1000), 0);
    }
    scope_redis_stop(r);
}

static void on_exit_server(scope_redis_t *r, int code, int sig)
{
    (void)r, (void)code, (void)sig;
    exited = 1;
}

START_TEST(a_private_server_answers_ping_then_leaves_nothing)
{
    char found[PATH_MAX];
    if (scope_spawn_which("redis-server", found, sizeof found) < 0)
        return; /* not installed: mk/deps.sh installs it */
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_redis_t r = {.on_ready = on_ready, .on_exit = on_exit_server};
    ck_assert_int_eq(scope_redis_start(&loop, &r, NULL), 0);
    ck_assert_int_gt(r.pid, 0);
    char dir[sizeof r.dir], sock[sizeof r.sock];
    snprintf(dir, sizeof dir, "%s", r.dir);
    snprintf(sock, sizeof sock, "%s", r.sock);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(ready_status, 0);
    ck_assert_int_eq(exited, 1);
    ck_assert_int_eq(r.running, 0);
    ck_assert_int_ne(access(sock, F_OK), 0);
    ck_assert_int_ne(access(dir, F_OK), 0);
    /* nothing listens there now */
    ck_assert_int_lt(scope_redis_ping(sock, NULL, 0, 100), 0);
    scope_spawn_shutdown(&loop);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

START_TEST(a_missing_server_is_an_error_at_start)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_redis_t r = {.on_ready = on_ready};
    ck_assert_int_eq(scope_redis_start(&loop, &r, "/nonexistent/redis-server"), -ENOENT);
    ck_assert_int_eq(r.running, 0);
    ck_assert_str_eq(r.dir, ""); /* its directory is gone already */
    scope_spawn_shutdown(&loop);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

START_TEST(urls)
{
    char path[64], host[64];
    int port;
    ck_assert_int_eq(scope_redis_url_parse("unix:/run/r.sock", path, sizeof path, host,
                                           sizeof host, &port), 0);
    ck_assert_str_eq(path, "/run/r.sock");
    ck_assert_int_eq(scope_redis_url_parse("redis://10.0.0.2:6380", path, sizeof path, host,
                                           sizeof host, &port), 0);
    ck_assert_str_eq(host, "10.0.0.2");
    ck_assert_int_eq(port, 6380);
    ck_assert_str_eq(path, "");
    ck_assert_int_eq(scope_redis_url_parse("redis://localhost", path, sizeof path, host,
                                           sizeof host, &port), 0);
    ck_assert_int_eq(port, 6379);
    const char *bad[] = {"", "unix:", "http://x:1", "redis://", "redis://h:0",
                         "redis://h:70000", "redis://h:12x", "redis://u:p@h:1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_int_eq(scope_redis_url_parse(bad[i], path, sizeof path, host, sizeof host,
                                               &port), -EINVAL);
}
END_TEST

START_TEST(nothing_answers_a_closed_port)
{
    /* port 1 on loopback: nothing listens there for an unprivileged test */
    ck_assert_int_lt(scope_redis_ping(NULL, "127.0.0.1", 1, 500), 0);
    ck_assert_int_eq(scope_redis_ping("/nonexistent/redis.sock", NULL, 0, 100), -ENOENT);
}
END_TEST

/* ---- appendonly: what a crash leaves, a restart reads -------------------- */

/* One inline command on the socket, its reply's first bytes into out. */
static void say(const char *sock, const char *cmd, char *out, size_t n)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(write(fd, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
    ssize_t got = read(fd, out, n - 1);
    out[got > 0 ? got : 0] = '\0';
    close(fd);
}

static int aof_phase, aof_exits;
static uv_loop_t *aof_loop;
static char aof_reply[64];

static void on_aof_ready(scope_redis_t *r, int status)
{
    ck_assert_int_eq(status, 0);
    if (aof_phase == 0) {
        say(r->sock, "SET k kept\r\n", aof_reply, sizeof aof_reply);
        ck_assert_str_eq(aof_reply, "+OK\r\n");
        kill(r->pid, SIGKILL); /* a crash: no chance to save anything at exit */
    } else {
        say(r->sock, "GET k\r\n", aof_reply, sizeof aof_reply);
        scope_redis_stop(r);
    }
}

static void on_aof_exit(scope_redis_t *r, int code, int sig)
{
    (void)code, (void)sig;
    aof_exits++;
    if (aof_phase++ == 0) {
        /* the crash kept the directory and its append-only file */
        ck_assert_int_eq(access(r->dir, F_OK), 0);
        ck_assert_int_eq(scope_redis_start(aof_loop, r, NULL), 0);
    }
}

START_TEST(appendonly_a_killed_server_restarts_with_its_data_then_leaves_nothing)
{
    char found[PATH_MAX];
    if (scope_spawn_which("redis-server", found, sizeof found) < 0)
        return;
    uv_loop_t loop;
    uv_loop_init(&loop);
    aof_loop = &loop;
    scope_redis_t r = {.on_ready = on_aof_ready, .on_exit = on_aof_exit, .appendonly = 1};
    ck_assert_int_eq(scope_redis_start(&loop, &r, NULL), 0);
    char dir[sizeof r.dir];
    snprintf(dir, sizeof dir, "%s", r.dir);
    ck_assert(strstr(dir, "ipcscope-redis-aof.") != NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(aof_exits, 2);
    ck_assert_str_eq(aof_reply, "$4\r\nkept\r\n"); /* read back from the file */
    ck_assert_int_ne(access(dir, F_OK), 0);            /* the stop removed it all */
    scope_spawn_shutdown(&loop);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

static void on_stop_ready(scope_redis_t *r, int status)
{
    ck_assert_int_eq(status, 0);
    scope_redis_stop(r);
}

START_TEST(appendonly_files_of_a_dead_run_are_swept)
{
    char found[PATH_MAX];
    if (scope_spawn_which("redis-server", found, sizeof found) < 0)
        return;
    /* what a run killed with SIGKILL leaves: its pid recorded, then gone */
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    const char *tmp = scope_rundir_base();
    char old[PATH_MAX], path[PATH_MAX + 64];
    snprintf(old, sizeof old, "%s/ipcscope-redis-aof.XXXXXX", tmp);
    ck_assert_ptr_nonnull(mkdtemp(old));
    snprintf(path, sizeof path, "%s/appendonlydir", old);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/appendonlydir/appendonly.aof.1.incr.aof", old);
    FILE *f = fopen(path, "w");
    fputs("*1\r\n$4\r\nPING\r\n", f);
    fclose(f);
    /* aof.owner: the generic sweep of another demo may have taken .owner */
    snprintf(path, sizeof path, "%s/aof.owner", old);
    f = fopen(path, "w");
    fprintf(f, "%ld\n", (long)dead);
    fclose(f);

    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_redis_t r = {.on_ready = on_stop_ready, .appendonly = 1};
    int e = scope_redis_start(&loop, &r, NULL);
    ck_assert_int_eq(e, 0);
    /* scope_rundir_base is where the new directory went, and the dead
     * run's files, its socket and its owner record are gone from there */
    ck_assert_int_eq(strncmp(r.dir, tmp, strlen(tmp)), 0);
    ck_assert_int_eq(r.dir[strlen(tmp)], '/');
    ck_assert_int_ne(access(old, F_OK), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    scope_spawn_shutdown(&loop);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("broker");
    TCase *tc = tcase_create("broker");
    tcase_add_test(tc, a_private_server_answers_ping_then_leaves_nothing);
    tcase_add_test(tc, a_missing_server_is_an_error_at_start);
    tcase_add_test(tc, urls);
    tcase_add_test(tc, nothing_answers_a_closed_port);
    tcase_add_test(tc, appendonly_a_killed_server_restarts_with_its_data_then_leaves_nothing);
    tcase_add_test(tc, appendonly_files_of_a_dead_run_are_swept);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
