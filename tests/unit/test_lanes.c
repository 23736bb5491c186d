/* Short lane names and their legend (tui/lanes.c). */
#include <check.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "../../tui/lanes.h"

static char names[16][TUI_LANES_SHORT];
static char legend[256];

static void shorten(const char *const *roles, int n)
{
    tui_lanes_shorten(roles, n, names, legend, sizeof legend);
}

START_TEST(numbered_roles_keep_their_numbers)
{
    const char *roles[] = {"server", "client 1", "client 2", "client 3"};
    shorten(roles, 4);
    ck_assert_str_eq(names[0], "S");
    ck_assert_str_eq(names[1], "C1");
    ck_assert_str_eq(names[3], "C3");
    ck_assert_str_eq(legend, "S=server C=client");
}
END_TEST

START_TEST(colliding_letters_take_more)
{
    const char *roles[] = {"parent", "sh", "sh", "server", "echo", "sh"};
    shorten(roles, 6);
    ck_assert_str_eq(names[0], "P");
    ck_assert_str_eq(names[1], "Sh1");
    ck_assert_str_eq(names[2], "Sh2");
    ck_assert_str_eq(names[3], "Se");
    ck_assert_str_eq(names[4], "E");
    ck_assert_str_eq(names[5], "Sh3");
    ck_assert_str_eq(legend, "P=parent Sh=sh Se=server E=echo");
}
END_TEST

START_TEST(roles_alike_to_the_end_stay_apart_by_number)
{
    const char *roles[] = {"client", "clients", "client"};
    shorten(roles, 3);
    ck_assert_str_eq(names[0], "Client1");
    ck_assert_str_eq(names[1], "Clients");
    ck_assert_str_eq(names[2], "Client2");
}
END_TEST

START_TEST(peers_are_numbered_and_named_whole)
{
    const char *roles[] = {"server", "127.0.0.1:5000", "4242", "", NULL};
    shorten(roles, 5);
    ck_assert_str_eq(names[0], "S");
    ck_assert_str_eq(names[1], "P1");
    ck_assert_str_eq(names[2], "P2");
    ck_assert_str_eq(names[3], "P3");
    ck_assert_str_eq(names[4], "P4");
    ck_assert_str_eq(legend, "S=server P1=127.0.0.1:5000 P2=4242 P3=? P4=?");
}
END_TEST

/* A number too wide for a lane (a port) goes to the legend whole. */
START_TEST(wide_numbers_go_to_the_legend)
{
    const char *roles[] = {"master", "worker 1", "worker 2", "client", "port 39845"};
    shorten(roles, 5);
    ck_assert_str_eq(names[1], "W1");
    ck_assert_str_eq(names[4], "P");
    ck_assert_str_eq(legend, "M=master W=worker C=client P=port 39845");
}
END_TEST

START_TEST(chinese_roles_take_characters)
{
    setlocale(LC_ALL, "C.UTF-8");
    const char *roles[] = {"父进程", "子进程 1", "子进程 2", "父亲"};
    shorten(roles, 4);
    ck_assert_str_eq(names[0], "父进");
    ck_assert_str_eq(names[1], "子1");
    ck_assert_str_eq(names[3], "父亲");
    ck_assert_str_eq(legend, "父进=父进程 子=子进程 父亲=父亲");
}
END_TEST

START_TEST(a_short_legend_keeps_whole_entries)
{
    const char *roles[] = {"server", "client 1"};
    char small[12];
    tui_lanes_shorten(roles, 2, names, small, sizeof small);
    ck_assert_str_eq(small, "S=server");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lanes");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, numbered_roles_keep_their_numbers);
    tcase_add_test(tc, colliding_letters_take_more);
    tcase_add_test(tc, roles_alike_to_the_end_stay_apart_by_number);
    tcase_add_test(tc, peers_are_numbered_and_named_whole);
    tcase_add_test(tc, wide_numbers_go_to_the_legend);
    tcase_add_test(tc, chinese_roles_take_characters);
    tcase_add_test(tc, a_short_legend_keeps_whole_entries);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
