/* Unit tests of lib/role.c's additions for roles on a socket the parent
 * bound, and the roles' figures summed for the bye. (Starting, relaying
 * and reaping roles are tested end to end: tests/e2e/role.sh.)
 *
 * This binary is its own role: started with --role, it sends one datagram
 * from its fd 3 to the port its last argument names, and exits.
 */
#include "role.h"
#include "addr.h"

#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int role_main(int argc, char **argv)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                             .sin_port = htons((uint16_t)atoi(argv[argc - 1]))};
    return sendto(3, "hi", 2, 0, (struct sockaddr *)&to, sizeof to) == 2 ? 0 : 1;
}

static int exited = -1;

static void on_exit_role(scope_role_t *r, int code, int sig)
{
    (void)r;
    exited = sig ? 128 + sig : code;
}

START_TEST(a_role_sends_from_the_socket_its_parent_bound)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_demo_t d = {.loop = &loop, .count = 1, .size = 1};
    struct sockaddr_storage sink, role_addr, from;
    int rfd = scope_addr_bind_loopback(SOCK_DGRAM, &sink);
    ck_assert_int_ge(rfd, 0);
    char port[16];
    snprintf(port, sizeof port, "%d", scope_addr_port((struct sockaddr *)&sink));
    const char *args[] = {port, NULL};
    scope_role_options_t o = {.argv = args, .quiet = 1};
    scope_role_t r = {.on_exit = on_exit_role};
    ck_assert_int_eq(scope_role_spawn_bound(&d, &r, "sender", &o, SOCK_DGRAM, 3, &role_addr), 0);
    ck_assert_int_gt(scope_addr_port((struct sockaddr *)&role_addr), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(exited, 0);
    char buf[8];
    socklen_t flen = sizeof from;
    ck_assert_int_eq(recvfrom(rfd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &flen),
                     2);
    /* the datagram carries the address the parent knew before the start */
    ck_assert_int_eq(scope_addr_port((struct sockaddr *)&from),
                     scope_addr_port((struct sockaddr *)&role_addr));
    close(rfd);
    scope_spawn_shutdown(&loop);
    uv_run(&loop, UV_RUN_DEFAULT); /* the closes finish: nothing of lib's is left */
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

START_TEST(a_socket_that_cannot_be_made_starts_nothing)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_demo_t d = {.loop = &loop};
    scope_role_t r = {0};
    struct sockaddr_storage a;
    ck_assert_int_lt(scope_role_spawn_bound(&d, &r, "none", NULL, -1, 3, &a), 0);
    ck_assert_int_eq(r.running, 0);
    ck_assert_ptr_null(d.roles);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

static double figure(const scope_demo_t *d, const char *name)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d->figures, name));
}

START_TEST(reports_add_up_in_the_bye)
{
    scope_demo_t d = {0};
    ck_assert(scope_role_add_figures(&d, NULL, "lost late") == 0);
    ck_assert(figure(&d, "lost") == 0 && figure(&d, "late") == 0);
    cJSON *a = cJSON_Parse("{\"lost\":2,\"late\":1,\"other\":7}");
    cJSON *b = cJSON_Parse("{\"lost\":3,\"late\":\"x\"}");
    ck_assert(scope_role_add_figures(&d, a, "lost late") == 3);
    ck_assert(scope_role_add_figures(&d, b, "lost  late") == 3);
    ck_assert(figure(&d, "lost") == 5 && figure(&d, "late") == 1);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(d.figures, "other"));
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(d.figures);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "--role"))
        return role_main(argc, argv);
    Suite *su = suite_create("role");
    TCase *tc = tcase_create("role");
    tcase_add_test(tc, a_role_sends_from_the_socket_its_parent_bound);
    tcase_add_test(tc, a_socket_that_cannot_be_made_starts_nothing);
    tcase_add_test(tc, reports_add_up_in_the_bye);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
