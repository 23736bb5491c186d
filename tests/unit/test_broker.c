/* Unit tests of lib/broker.c: the private redis-server (a private 0700
 * directory, no TCP port, ready when it answers PING, nothing left after a
 * stop), the --redis URLs, and a PING where nothing answers. */
#include "broker.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

int main(void)
{
    Suite *s = suite_create("broker");
    TCase *tc = tcase_create("broker");
    tcase_add_test(tc, a_private_server_answers_ping_then_leaves_nothing);
    tcase_add_test(tc, a_missing_server_is_an_error_at_start);
    tcase_add_test(tc, urls);
    tcase_add_test(tc, nothing_answers_a_closed_port);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
