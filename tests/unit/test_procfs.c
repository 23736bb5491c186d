/* Unit tests of the dashboard's /proc reader (tui/procfs.c): the parsers on
 * fixed text (those of the /proc/net tables are lib's: test_procnet.c), the
 * tree's shape as a pure function, and one live scan of a process group made
 * here (a leader and its child sharing a socketpair and a pipe) to check that
 * the peers /proc and sock_diag report are found.
 *
 * It links the dashboard's core library (build/libipcscope-tui.a).
 */
#include "../../tui/procfs.h"

#include <check.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

START_TEST(test_parse_stat)
{
    tui_pinfo_t p;
    /* a command name with spaces and a ')' in it */
    const char *text = "4242 (we (ird) name) S 4241 4240 4240 34816 4240 4194560 100 0 0 0 "
                       "7 3 0 0 20 0 1 0 12345 10485760 512 18446744073709551615 1 1 0 0 0 0 "
                       "0 0 0 0 0 0 17 1 0 0 0 0 0\n";
    ck_assert_int_eq(tui_procfs_parse_stat(text, 4, &p), 0);
    ck_assert_int_eq(p.pid, 4242);
    ck_assert_str_eq(p.comm, "we (ird) name");
    ck_assert_int_eq(p.state, 'S');
    ck_assert_int_eq(p.ppid, 4241);
    ck_assert_int_eq(p.pgrp, 4240);
    ck_assert_uint_eq(p.ticks, 10);
    ck_assert_int_eq(p.rss_kb, 512 * 4);
    ck_assert_int_lt(tui_procfs_parse_stat("garbage", 4, &p), 0);
    ck_assert_int_lt(tui_procfs_parse_stat("12 (x) S 1 2", 4, &p), 0);
}
END_TEST

START_TEST(test_classify)
{
    tui_fd_t f;
    ck_assert_int_eq(tui_procfs_classify_link("pipe:[123]", &f), 1);
    ck_assert_int_eq(f.kind, TUI_FD_PIPE);
    ck_assert_uint_eq(f.inode, 123);
    ck_assert_int_eq(tui_procfs_classify_link("socket:[98765]", &f), 1);
    ck_assert_int_eq(f.kind, TUI_FD_SOCKET);
    ck_assert_uint_eq(f.inode, 98765);
    ck_assert_int_eq(tui_procfs_classify_link("anon_inode:[eventfd]", &f), 1);
    ck_assert_int_eq(f.kind, TUI_FD_EVENTFD);
    ck_assert_int_eq(tui_procfs_classify_link("anon_inode:inotify", &f), 1);
    ck_assert_int_eq(f.kind, TUI_FD_INOTIFY);
    ck_assert_int_eq(tui_procfs_classify_link("/dev/shm/ipcscope-1", &f), 1);
    ck_assert_int_eq(f.kind, TUI_FD_SHM);
    ck_assert_int_eq(tui_procfs_classify_link("/dev/pts/3", &f), 0);
    ck_assert_int_eq(tui_procfs_classify_link("anon_inode:[eventpoll]", &f), 0);

    ck_assert_int_eq(tui_procfs_fdinfo_mode("pos:\t0\nflags:\t02000001\nmnt_id:\t14\n"), 'w');
    ck_assert_int_eq(tui_procfs_fdinfo_mode("pos:\t0\nflags:\t02000000\n"), 'r');
    ck_assert_int_eq(tui_procfs_fdinfo_mode("pos:\t0\nflags:\t02\n"), 'u');

    ck_assert_int_eq(
        tui_procfs_parse_maps_line("7f00-7f10 rw-s 00000000 00:1a 4711    /dev/shm/demo\n", &f), 1);
    ck_assert_int_eq(f.kind, TUI_FD_SHM);
    ck_assert_uint_eq(f.inode, 4711);
    ck_assert_str_eq(f.name, "/dev/shm/demo");
    ck_assert_int_eq(
        tui_procfs_parse_maps_line("7f00-7f10 r--p 00000000 08:01 99  /usr/lib/libc.so.6\n", &f),
        0);
}
END_TEST

START_TEST(test_tree_shape)
{
    /*   1
     *   ├─2
     *   │ └─4
     *   └─3
     *     └─5      (and 9, whose parent is not in the set: a second root) */
    long pid[] = {5, 3, 9, 4, 2, 1};
    long ppid[] = {3, 1, 100, 2, 1, 0};
    tui_tree_row_t rows[6];
    ck_assert_int_eq(tui_procfs_tree(pid, ppid, 6, rows), 6);
    long order[6];
    for (int i = 0; i < 6; i++)
        order[i] = pid[rows[i].index];
    long want[] = {1, 2, 4, 3, 5, 9};
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(order[i], want[i]);
    ck_assert_int_eq(rows[0].depth, 0);
    ck_assert_int_eq(rows[1].depth, 1); /* 2 */
    ck_assert_int_eq(rows[1].last, 0);
    ck_assert_int_eq(rows[2].depth, 2); /* 4, under 2 which has a sibling below */
    ck_assert_uint_eq(rows[2].more & (1u << 1), 1u << 1);
    ck_assert_int_eq(rows[3].last, 1); /* 3 */
    ck_assert_int_eq(rows[4].depth, 2); /* 5, under 3, the last: no line */
    ck_assert_uint_eq(rows[4].more & (1u << 1), 0);
    ck_assert_int_eq(rows[5].depth, 0);
    ck_assert_int_eq(tui_procfs_tree(pid, ppid, 0, rows), 0);
}
END_TEST

/* A leader in its own group with a child; they share a socketpair (leader
 * sv[0], child sv[1]) and the child holds a pipe whose read end we keep. */
START_TEST(test_live_scan)
{
    int ready[2], sv[2], p[2];
    ck_assert_int_eq(pipe(ready), 0);
    ck_assert_int_eq(pipe(p), 0);
    pid_t leader = fork();
    ck_assert_int_ge(leader, 0);
    if (leader == 0) {
        /* If the test fails before it kills us, we must not linger holding
         * the runner's output open. */
        alarm(60);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        setpgid(0, 0);
        close(ready[0]);
        close(p[0]);
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
            _exit(1);
        pid_t c = fork();
        if (c == 0) {
            close(sv[0]);
            if (write(ready[1], "c", 1) < 0)
                _exit(1);
            pause();
            _exit(0);
        }
        close(sv[1]);
        close(p[1]);
        if (write(ready[1], "l", 1) < 0)
            _exit(1);
        pause();
        _exit(0);
    }
    close(ready[1]);
    close(p[1]);
    char b[2];
    ck_assert_int_eq(read(ready[0], b, 1), 1);
    ck_assert_int_eq(read(ready[0], b + 1, 1), 1);

    tui_procfs_t *s = tui_procfs_new();
    ck_assert_int_eq(tui_procfs_scan(s, leader, 1), 2);
    const tui_pinfo_t *l = &s->procs[s->order[0].index];
    const tui_pinfo_t *c = &s->procs[s->order[1].index];
    ck_assert_int_eq(l->pid, leader);
    ck_assert_int_eq(c->ppid, leader);
    ck_assert_int_eq(s->order[1].depth, 1);

    /* the leader's socket has the child at the other end, and vice versa */
    int socks = 0, pipes = 0;
    for (int k = 0; k < l->nfds; k++)
        if (l->fds[k].kind == TUI_FD_SOCKET) {
            ck_assert_int_eq(l->fds[k].peer_pid, c->pid);
            socks++;
        }
    for (int k = 0; k < c->nfds; k++) {
        if (c->fds[k].kind == TUI_FD_SOCKET) {
            ck_assert_int_eq(c->fds[k].peer_pid, l->pid);
            socks++;
        }
        /* the write end of p is held here; its read end is ours */
        if (c->fds[k].kind == TUI_FD_PIPE && c->fds[k].mode == 'w' &&
            c->fds[k].peer_is_self && c->fds[k].peer_fd == p[0])
            pipes++;
    }
    ck_assert_int_eq(socks, 2);
    ck_assert_int_ge(pipes, 1);

    /* the second scan has CPU figures and the same processes */
    ck_assert_int_eq(tui_procfs_scan(s, leader, 1000000001), 2);
    ck_assert(s->procs[0].cpu >= 0.0);
    ck_assert_ptr_nonnull(tui_procfs_find(s, leader));
    ck_assert_ptr_null(tui_procfs_find(s, 1));

    kill(-leader, SIGKILL);
    waitpid(leader, NULL, 0);
    close(ready[0]);
    close(p[0]);
    tui_procfs_free(s);
}
END_TEST

static Suite *procfs_suite(void)
{
    Suite *s = suite_create("procfs");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_parse_stat);
    tcase_add_test(tc, test_classify);
    tcase_add_test(tc, test_tree_shape);
    suite_add_tcase(s, tc);
    tc = tcase_create("live");
    tcase_add_test(tc, test_live_scan);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(procfs_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
