/* Unit tests for lib/procnet.c: the /proc/net parsers on fixed text (as the
 * kernel prints them on a little-endian machine), address matching, and the
 * live readers on sockets made here: a loopback TCP pair and a UDP socket of
 * this process, found in /proc/net and in our own /proc/PID/fd.
 */
#include "procnet.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned long seen_inode;
static char seen_path[64];
static void on_path(void *arg, unsigned long inode, const char *path)
{
    (void)arg;
    seen_inode = inode;
    snprintf(seen_path, sizeof seen_path, "%s", path);
}

START_TEST(test_net_unix)
{
    const char *text = "Num       RefCount Protocol Flags    Type St Inode Path\n"
                       "0000000000000000: 00000002 00000000 00010000 0001 01 5555 /tmp/x.sock\n"
                       "0000000000000000: 00000003 00000000 00000000 0001 03 6666\n";
    scope_procnet_parse_unix(text, on_path, NULL);
    ck_assert_uint_eq(seen_inode, 5555);
    ck_assert_str_eq(seen_path, "/tmp/x.sock");
    /* a last row with no newline after it, as a cut read may leave */
    scope_procnet_parse_unix("Num RefCount Protocol Flags Type St Inode Path\n"
                             "0000000000000000: 00000002 00000000 00010000 0001 01 7777 @abs",
                             on_path, NULL);
    ck_assert_uint_eq(seen_inode, 7777);
    ck_assert_str_eq(seen_path, "@abs");
    seen_inode = 0;
    scope_procnet_parse_unix("Num RefCount Protocol Flags Type St Inode Path", on_path, NULL);
    scope_procnet_parse_unix("", on_path, NULL);
    ck_assert_uint_eq(seen_inode, 0);
}
END_TEST

static scope_procnet_inet_t seen_inet[4];
static int n_inet;
static void on_inet_sock(void *arg, const scope_procnet_inet_t *so)
{
    (void)arg;
    if (n_inet < 4)
        seen_inet[n_inet++] = *so;
}

START_TEST(test_net_inet)
{
    /* as /proc/net/tcp prints them on a little-endian machine: a listener on
     * 127.0.0.1:4000 and a client at 127.0.0.1:51234 connected to it */
    const char *tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt "
                      "  uid  timeout inode\n"
                      "   0: 0100007F:0FA0 00000000:0000 0A 00000000:00000000 00:00000000 00000000 "
                      " 1000        0 7001 1 0000000000000000 100 0 0 10 0\n"
                      "   1: 0100007F:C8A2 0100007F:0FA0 01 00000000:00000000 00:00000000 00000000 "
                      " 1000        0 7002 1 0000000000000000 20 4 30 10 -1\n"
                      "   2: garbage\n";
    n_inet = 0;
    scope_procnet_parse_inet(tcp, 0, 0, on_inet_sock, NULL);
    ck_assert_int_eq(n_inet, 2);
    char label[48];
    scope_procnet_inet_label(&seen_inet[0], label, sizeof label);
    ck_assert_uint_eq(seen_inet[0].inode, 7001);
    ck_assert_int_eq(seen_inet[0].state, SCOPE_TCP_LISTEN);
    ck_assert_str_eq(label, "tcp listen 127.0.0.1:4000");
    scope_procnet_inet_label(&seen_inet[1], label, sizeof label);
    ck_assert_str_eq(label, "tcp 127.0.0.1 :51362>:4000");

    /* ::1 port 80, and an unconnected UDP socket on 10.0.0.1:53 */
    const char *tcp6 =
        "  sl  local_address                         remote_address                        st\n"
        "   0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A "
        "00000000:00000000 00:00000000 00000000     0        0 8001 1\n";
    n_inet = 0;
    scope_procnet_parse_inet(tcp6, 0, 1, on_inet_sock, NULL);
    ck_assert_int_eq(n_inet, 1);
    scope_procnet_inet_label(&seen_inet[0], label, sizeof label);
    ck_assert_str_eq(label, "tcp listen [::1]:80");
    const char *udp = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
                      "retrnsmt   uid  timeout inode ref pointer drops\n"
                      " 1: 0100000A:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   "
                      "  0        0 9001 2 0000000000000000 0\n"
                      " 2: 0100000A:1388 0200000A:0FA0 01 00000000:00000000 00:00000000 00000000   "
                      "  0        0 9002 2 0000000000000000 0\n";
    n_inet = 0;
    scope_procnet_parse_inet(udp, 1, 0, on_inet_sock, NULL);
    ck_assert_int_eq(n_inet, 2);
    scope_procnet_inet_label(&seen_inet[0], label, sizeof label);
    ck_assert_str_eq(label, "udp 10.0.0.1:53");
    scope_procnet_inet_label(&seen_inet[1], label, sizeof label);
    ck_assert_str_eq(label, "udp 10.0.0.1:5000>10.0.0.2:4000");
}
END_TEST
START_TEST(test_net_inet_queues)
{
    /* tx_queue:rx_queue, and for UDP the drops at the end of the row */
    const char *udp = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
                      "retrnsmt   uid  timeout inode ref pointer drops\n"
                      " 1: 0100007F:0FA0 00000000:0000 07 00000000:00000600 00:00000000 00000000  "
                      "1000        0 9101 2 0000000000000000 17\n";
    n_inet = 0;
    ck_assert_int_eq(scope_procnet_parse_inet(udp, 1, 0, on_inet_sock, NULL), 1);
    ck_assert_uint_eq(seen_inet[0].rx_queue, 0x600);
    ck_assert_uint_eq(seen_inet[0].tx_queue, 0);
    ck_assert_uint_eq(seen_inet[0].drops, 17);
    const char *tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt "
                      "  uid  timeout inode\n"
                      "   0: 0100007F:C8A2 0100007F:0FA0 01 00000010:00000000 00:00000000 00000000 "
                      " 1000        0 7002 1 0000000000000000 20 4 30 10 -1\n";
    n_inet = 0;
    ck_assert_int_eq(scope_procnet_parse_inet(tcp, 0, 0, on_inet_sock, NULL), 1);
    ck_assert_uint_eq(seen_inet[0].tx_queue, 16);
    ck_assert_uint_eq(seen_inet[0].drops, 0); /* TCP rows have no drops */
    /* a row cut short, or an address cut short, is skipped */
    n_inet = 0;
    ck_assert_int_eq(scope_procnet_parse_inet("hdr\n 0: 0100007F:0FA0 00000000:0000 0A\n"
                                              " 1: 01007F:0FA0 00000000:0000 0A 0:0 0:0 0 0 0 5\n",
                                              0, 0, on_inet_sock, NULL),
                     0);
    ck_assert_int_eq(n_inet, 0);
}
END_TEST

static struct sockaddr *addr(const char *host, int port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (strchr(host, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, host, &a->sin6_addr);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, host, &a->sin_addr);
    }
    return (struct sockaddr *)ss;
}

START_TEST(test_addr_eq)
{
    struct sockaddr_storage a, b;
    ck_assert_int_eq(scope_procnet_addr_eq(addr("127.0.0.1", 80, &a), addr("127.0.0.1", 80, &b), 0),
                     1);
    ck_assert_int_eq(scope_procnet_addr_eq(addr("127.0.0.1", 80, &a), addr("127.0.0.1", 81, &b), 0),
                     0);
    ck_assert_int_eq(scope_procnet_addr_eq(addr("127.0.0.1", 80, &a), addr("127.0.0.2", 80, &b), 0),
                     0);
    /* what a dual-stack socket reports for an IPv4 peer */
    ck_assert_int_eq(
        scope_procnet_addr_eq(addr("::ffff:127.0.0.1", 80, &a), addr("127.0.0.1", 80, &b), 0), 1);
    ck_assert_int_eq(scope_procnet_addr_eq(addr("::1", 80, &a), addr("::1", 80, &b), 0), 1);
    ck_assert_int_eq(scope_procnet_addr_eq(addr("::1", 80, &a), addr("127.0.0.1", 80, &b), 0), 0);
    /* a wildcard on a's side, only when asked */
    ck_assert_int_eq(scope_procnet_addr_eq(addr("0.0.0.0", 80, &a), addr("10.0.0.1", 80, &b), 0),
                     0);
    ck_assert_int_eq(scope_procnet_addr_eq(addr("0.0.0.0", 80, &a), addr("10.0.0.1", 80, &b), 1),
                     1);
    ck_assert_int_eq(scope_procnet_addr_eq(addr("0.0.0.0", 80, &a), addr("10.0.0.1", 81, &b), 1),
                     0);
    ck_assert_int_eq(scope_procnet_addr_eq(addr("::", 80, &a), addr("10.0.0.1", 80, &b), 1), 1);
    ck_assert_int_eq(scope_procnet_addr_eq(addr("::", 80, &a), addr("::1", 80, &b), 1), 1);
    ck_assert_int_eq(scope_procnet_addr_eq(addr("10.0.0.1", 80, &a), addr("0.0.0.0", 80, &b), 1),
                     0);
}
END_TEST

/* ---- live: sockets of this process ---------------------------------------- */

static int tcp_pair(int *lfd, int *cfd, int *afd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    *lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (*lfd < 0 || bind(*lfd, addr("127.0.0.1", 0, &ss), sizeof(struct sockaddr_in)) < 0 ||
        listen(*lfd, 4) < 0 || getsockname(*lfd, (struct sockaddr *)&ss, &sl) < 0)
        return -1;
    *cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (*cfd < 0 || connect(*cfd, (struct sockaddr *)&ss, sl) < 0)
        return -1;
    *afd = accept(*lfd, NULL, NULL);
    return *afd < 0 ? -1 : 0;
}

static unsigned long inode_of(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

START_TEST(test_live_tcp)
{
    int lfd, cfd, afd;
    ck_assert_int_eq(tcp_pair(&lfd, &cfd, &afd), 0);
    struct sockaddr_storage l, r;
    socklen_t ll = sizeof l, rl = sizeof r;
    ck_assert_int_eq(getsockname(afd, (struct sockaddr *)&l, &ll), 0);
    ck_assert_int_eq(getpeername(afd, (struct sockaddr *)&r, &rl), 0);

    /* the server's end names the client's socket: its local is our remote */
    unsigned long inode = 0;
    ck_assert_int_eq(scope_procnet_tcp_inode((struct sockaddr *)&r, (struct sockaddr *)&l, &inode),
                     0);
    ck_assert_uint_eq(inode, inode_of(cfd));
    ck_assert_int_eq(scope_procnet_tcp_inode((struct sockaddr *)&l, NULL, &inode), 0);
    ck_assert_uint_eq(inode, inode_of(lfd));
    /* and the one who holds it is this process */
    long me = (long)getpid();
    ck_assert_int_eq(scope_procnet_holds(me, inode_of(cfd)), 1);
    ck_assert_int_eq(scope_procnet_holds(me, 1), 0);
    ck_assert_int_eq(scope_procnet_owner(inode_of(cfd), &me, 1, 0), me);
    ck_assert_int_eq(scope_procnet_owner(inode_of(cfd), NULL, 0, 1), me);
    ck_assert_int_eq(scope_procnet_owner(0, NULL, 0, 1), -ENOENT);

    scope_procnet_inet_t row;
    ck_assert_int_eq(scope_procnet_inet_of_fd(afd, &row), 0);
    ck_assert_int_eq(row.state, SCOPE_TCP_ESTABLISHED);
    ck_assert_int_eq(row.udp, 0);
    ck_assert_int_eq(
        scope_procnet_addr_eq((struct sockaddr *)&row.remote, (struct sockaddr *)&r, 0), 1);

    /* once the client has gone, nobody holds its end any more */
    close(cfd);
    ck_assert_int_eq(scope_procnet_tcp_inode((struct sockaddr *)&r, (struct sockaddr *)&l, &inode),
                     -ENOENT);
    close(afd);
    close(lfd);
}
END_TEST

/* Many sockets named at once: four loopback pairs, one of them through a
 * dual-stack listener where the host has IPv6 (our end in tcp6, mapped; the
 * client's in tcp), a listening socket, a query asked twice and one for a
 * connection that does not exist; then their holders from one walk, a child
 * of ours that shares one of them named first when it is a candidate. */
START_TEST(test_live_many)
{
    enum { PAIRS = 4 };
    int lfd[PAIRS], cfd[PAIRS], afd[PAIRS];
    struct sockaddr_storage l[PAIRS], r[PAIRS], none_l, none_r;
    for (int i = 0; i < PAIRS; i++)
        ck_assert_int_eq(tcp_pair(&lfd[i], &cfd[i], &afd[i]), 0);
    /* the last pair again, through [::]:0 when the host has IPv6 */
    int s6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), off = 0;
    struct sockaddr_storage any6;
    socklen_t sl = sizeof(struct sockaddr_in6);
    if (s6 >= 0 && setsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) == 0 &&
        bind(s6, addr("::", 0, &any6), sl) == 0 && listen(s6, 4) == 0 &&
        getsockname(s6, (struct sockaddr *)&any6, &sl) == 0) {
        struct sockaddr_storage to;
        addr("127.0.0.1", ntohs(((struct sockaddr_in6 *)&any6)->sin6_port), &to);
        int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_eq(connect(c, (struct sockaddr *)&to, sizeof(struct sockaddr_in)), 0);
        int a = accept(s6, NULL, NULL);
        ck_assert_int_ge(a, 0);
        close(lfd[PAIRS - 1]);
        close(cfd[PAIRS - 1]);
        close(afd[PAIRS - 1]);
        lfd[PAIRS - 1] = s6, cfd[PAIRS - 1] = c, afd[PAIRS - 1] = a;
    } else if (s6 >= 0) {
        close(s6);
    }
    scope_procnet_tcp_query_t q[PAIRS + 3];
    for (int i = 0; i < PAIRS; i++) {
        socklen_t ll = sizeof l[i], rl = sizeof r[i];
        ck_assert_int_eq(getsockname(afd[i], (struct sockaddr *)&l[i], &ll), 0);
        ck_assert_int_eq(getpeername(afd[i], (struct sockaddr *)&r[i], &rl), 0);
        /* the client's socket: its own end is our remote */
        q[i] = (scope_procnet_tcp_query_t){(struct sockaddr *)&r[i], (struct sockaddr *)&l[i], 7};
    }
    q[PAIRS] = q[1];
    q[PAIRS + 1] = (scope_procnet_tcp_query_t){(struct sockaddr *)&l[0], NULL, 0};
    q[PAIRS + 2] = (scope_procnet_tcp_query_t){addr("127.0.0.1", 1, &none_l),
                                               addr("127.0.0.1", 2, &none_r), 7};
    ck_assert_int_eq(scope_procnet_tcp_inodes(q, PAIRS + 3), PAIRS + 2);
    for (int i = 0; i < PAIRS; i++)
        ck_assert_uint_eq(q[i].inode, inode_of(cfd[i]));
    ck_assert_uint_eq(q[PAIRS].inode, inode_of(cfd[1]));
    ck_assert_uint_eq(q[PAIRS + 1].inode, inode_of(lfd[0]));
    ck_assert_uint_eq(q[PAIRS + 2].inode, 0);
    ck_assert_int_eq(scope_procnet_tcp_inodes(q, 0), 0);

    /* their holders: all this process, but for the one a child shares */
    unsigned long inodes[PAIRS + 3];
    long pids[PAIRS + 3], me = (long)getpid();
    for (int i = 0; i < PAIRS + 3; i++)
        inodes[i] = q[i].inode;
    ck_assert_int_eq(scope_procnet_owners(inodes, pids, PAIRS + 3, &me, 1, 0), PAIRS + 2);
    for (int i = 0; i < PAIRS + 2; i++)
        ck_assert_int_eq(pids[i], me);
    ck_assert_int_eq(pids[PAIRS + 2], -ENOENT);
    ck_assert_int_eq(scope_procnet_owners(inodes, pids, PAIRS + 3, NULL, 0, 1), PAIRS + 2);
    ck_assert_int_eq(pids[0], me);
    ck_assert_int_eq(scope_procnet_owners(inodes, pids, PAIRS + 3, NULL, 0, 0), 0);
    ck_assert_int_eq(pids[0], -ENOENT);

    int ready[2];
    ck_assert_int_eq(pipe(ready), 0);
    pid_t kid = fork();
    ck_assert_int_ge(kid, 0);
    if (kid == 0) { /* holds what we held, until we close our end of the pipe */
        char c;
        close(ready[1]);
        _exit(read(ready[0], &c, 1) < 0);
    }
    close(ready[0]);
    long cand[2] = {(long)kid, me};
    ck_assert_int_eq(scope_procnet_owners(inodes, pids, PAIRS + 3, cand, 2, 1), PAIRS + 2);
    for (int i = 0; i < PAIRS + 2; i++)
        ck_assert_int_eq(pids[i], (long)kid);
    close(ready[1]);
    ck_assert_int_eq(waitpid(kid, NULL, 0), kid);

    for (int i = 0; i < PAIRS; i++) {
        close(cfd[i]);
        close(afd[i]);
        close(lfd[i]);
    }
}
END_TEST

START_TEST(test_live_udp_and_self)
{
    struct sockaddr_storage ss;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, addr("127.0.0.1", 0, &ss), sizeof(struct sockaddr_in)), 0);
    scope_procnet_inet_t row;
    ck_assert_int_eq(scope_procnet_inet_of_fd(fd, &row), 0);
    ck_assert_int_eq(row.udp, 1);
    ck_assert_uint_eq(row.inode, inode_of(fd));
    ck_assert_uint_eq(row.rx_queue, 0);
    close(fd);
    ck_assert_int_eq(scope_procnet_inet_of_fd(fd, &row), -EBADF);
    ck_assert_int_eq(scope_procnet_inet_of_fd(0 /* not a socket, or gone */, &row) < 0, 1);

    char comm[32];
    ck_assert_int_eq(scope_procnet_comm((long)getpid(), comm, sizeof comm), 0);
    char own[32] = "";
    FILE *f = fopen("/proc/self/comm", "re"); /* "test_procnet", or valgrind's name */
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(own, sizeof own, f));
    fclose(f);
    own[strcspn(own, "\n")] = '\0';
    ck_assert_str_eq(comm, own);
    ck_assert_int_lt(scope_procnet_comm(-1, comm, sizeof comm), 0);
    long kids[4];
    ck_assert_int_ge(scope_procnet_children((long)getpid(), kids, 4), 0);
    /* the kernel's Unix peers: a socketpair shows both ways */
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    static unsigned long pairs[65536][2];
    int n = scope_procnet_unix_peers(pairs, 65536);
    if (n != -EPERM && n != -EPROTONOSUPPORT) { /* sock_diag may be denied in a sandbox */
        int found = 0;
        for (int i = 0; i < n; i++)
            found += pairs[i][0] == inode_of(sv[0]) && pairs[i][1] == inode_of(sv[1]);
        ck_assert_int_eq(found, 1);
    }
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* A child with one child of its own, both waiting: the shell and the 'cat'
 * it started, for scope_procnet_kill_with_children. */
START_TEST(test_kill_with_children)
{
    int ready[2];
    ck_assert_int_eq(pipe(ready), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        pid_t kid = fork();
        if (kid == 0) {
            for (;;)
                pause();
        }
        ssize_t w = write(ready[1], &kid, sizeof kid);
        for (;;)
            pause();
        (void)w;
    }
    pid_t kid;
    ck_assert_int_eq(read(ready[0], &kid, sizeof kid), (ssize_t)sizeof kid);
    close(ready[0]);
    close(ready[1]);
    char comm[32], want[64], names[64];
    ck_assert_int_eq(scope_procnet_comm((long)kid, comm, sizeof comm), 0);
    snprintf(want, sizeof want, "%s %ld", comm, (long)kid);
    ck_assert_int_eq(scope_procnet_kill_with_children((long)pid, SIGKILL, names, sizeof names), 1);
    ck_assert_str_eq(names, want);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    /* reaped: nobody is left to signal */
    ck_assert_int_eq(scope_procnet_kill_with_children((long)pid, SIGKILL, names, sizeof names),
                     -ESRCH);
    ck_assert_str_eq(names, "");
}
END_TEST

START_TEST(test_fd_targets)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    char out[1024], want[32];
    ck_assert_int_eq(scope_procnet_fd_targets((long)getpid(), p[1], out, sizeof out), 0);
    snprintf(want, sizeof want, "fd %d -> pipe:[", p[0]);
    ck_assert_ptr_nonnull(strstr(out, want));
    ck_assert_int_eq(strncmp(out, "fd 0 -> ", 8), 0);
    ck_assert_int_eq(scope_procnet_fd_targets((long)getpid(), p[1], out, 12), -ENOSPC);
    ck_assert_uint_eq(strlen(out), 11);
    ck_assert_int_eq(scope_procnet_fd_targets(-1, 1, out, sizeof out), 0);
    ck_assert_str_eq(out, "fd 0 -> ?, fd 1 -> ?");
    close(p[0]);
    close(p[1]);
}
END_TEST

static Suite *procnet_suite(void)
{
    Suite *s = suite_create("procnet");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_net_unix);
    tcase_add_test(tc, test_net_inet);
    tcase_add_test(tc, test_net_inet_queues);
    tcase_add_test(tc, test_addr_eq);
    suite_add_tcase(s, tc);
    tc = tcase_create("live");
    tcase_add_test(tc, test_live_tcp);
    tcase_add_test(tc, test_live_many);
    tcase_add_test(tc, test_live_udp_and_self);
    tcase_add_test(tc, test_kill_with_children);
    tcase_add_test(tc, test_fd_targets);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(procnet_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
