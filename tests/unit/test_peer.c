/* Unit tests for lib/peer.c on a real libuv loop: both ends of every
 * connection live in this test process, so the owner found must be our own
 * pid. A loopback TCP pair (IPv4, and IPv6 where the host has ::1), a Unix
 * socketpair (SO_PEERCRED), UDP datagrams, a request cancelled before its
 * answer, a crowd of lookups answered by one scan (peers held by children
 * of ours too), a peer that has gone, and the fds that cannot be asked.
 *
 * Run it under valgrind with CK_FORK=no to see that a cancelled request is
 * freed all the same.
 */
#include "peer.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int calls;
static scope_peer_info_t got;

static void on_peer(void *arg, const scope_peer_info_t *who)
{
    calls++;
    got = *who;
    if (arg)
        *(int *)arg = calls;
}

/* Our own command name: "test_peer", or valgrind's when run under it. */
static const char *own_comm(void)
{
    static char comm[32];
    FILE *f = fopen("/proc/self/comm", "re");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(comm, sizeof comm, f));
    fclose(f);
    comm[strcspn(comm, "\n")] = '\0';
    return comm;
}

static void loop_start(uv_loop_t *loop)
{
    calls = 0;
    memset(&got, 0, sizeof got);
    got.pid = -2;
    ck_assert_int_eq(uv_loop_init(loop), 0);
}

/* Runs the loop until every request is done, and closes it: a request still
 * pending (or leaked into the queue) would make uv_loop_close say EBUSY. */
static void loop_finish(uv_loop_t *loop)
{
    ck_assert_int_eq(uv_run(loop, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(uv_loop_close(loop), 0);
}

static socklen_t fill(int family, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        return sizeof *a;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sizeof *a;
}

/* A loopback TCP connection within this process: the client's fd and the
 * accepted one. Returns -1 when the family is not available here. */
static int tcp_pair(int family, int *cfd, int *afd)
{
    struct sockaddr_storage ss;
    socklen_t sl = fill(family, &ss);
    int lfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0)
        return -1;
    if (bind(lfd, (struct sockaddr *)&ss, sl) < 0 || listen(lfd, 4) < 0 ||
        getsockname(lfd, (struct sockaddr *)&ss, &sl) < 0) {
        close(lfd);
        return -1;
    }
    *cfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(*cfd, 0);
    ck_assert_int_eq(connect(*cfd, (struct sockaddr *)&ss, sl), 0);
    *afd = accept(lfd, NULL, NULL);
    ck_assert_int_ge(*afd, 0);
    close(lfd);
    return 0;
}

static void check_tcp(int family)
{
    int cfd, afd;
    if (tcp_pair(family, &cfd, &afd) < 0)
        return; /* no ::1 on this host */
    uv_loop_t loop;
    loop_start(&loop);
    /* the server's end: who dialled? */
    ck_assert_ptr_nonnull(scope_peer_lookup(&loop, afd, on_peer, NULL));
    ck_assert_int_eq(calls, 0); /* never within the call */
    /* The fd was read at the call: closing it now changes nothing. The
     * client's end stays open, so the peer is still there to be found. */
    close(afd);
    loop_finish(&loop);
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(got.pid, (long)getpid());
    ck_assert_str_eq(got.comm, own_comm());
    close(cfd);
}

START_TEST(test_tcp_v4)
{
    check_tcp(AF_INET);
}
END_TEST

START_TEST(test_tcp_v6)
{
    check_tcp(AF_INET6);
}
END_TEST

START_TEST(test_unix)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    uv_loop_t loop;
    loop_start(&loop);
    int order = 0;
    ck_assert_ptr_nonnull(scope_peer_lookup(&loop, sv[0], on_peer, &order));
    ck_assert_int_eq(calls, 0); /* known at once, told on a later turn */
    loop_finish(&loop);
    ck_assert_int_eq(order, 1);
    ck_assert_int_eq(got.pid, (long)getpid());
    ck_assert_str_eq(got.comm, own_comm());
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(test_udp)
{
    struct sockaddr_storage a, b, from;
    socklen_t al = fill(AF_INET, &a), bl = fill(AF_INET, &b), fl = sizeof from;
    int server = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int client = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(bind(server, (struct sockaddr *)&a, al), 0);
    ck_assert_int_eq(getsockname(server, (struct sockaddr *)&a, &al), 0);
    ck_assert_int_eq(bind(client, (struct sockaddr *)&b, bl), 0);
    ck_assert_int_eq(sendto(client, "ping", 4, 0, (struct sockaddr *)&a, al), 4);
    char buf[8];
    ck_assert_int_eq(recvfrom(server, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl), 4);

    uv_loop_t loop;
    loop_start(&loop);
    ck_assert_ptr_nonnull(
        scope_peer_lookup_udp(&loop, server, (struct sockaddr *)&from, on_peer, NULL));
    loop_finish(&loop);
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(got.pid, (long)getpid());

    /* a connected UDP socket asks scope_peer_lookup like a stream */
    ck_assert_int_eq(connect(client, (struct sockaddr *)&a, al), 0);
    loop_start(&loop);
    ck_assert_ptr_nonnull(scope_peer_lookup(&loop, client, on_peer, NULL));
    loop_finish(&loop);
    ck_assert_int_eq(got.pid, (long)getpid());

    /* nobody is bound to the client's port once it has closed */
    close(client);
    loop_start(&loop);
    ck_assert_ptr_nonnull(
        scope_peer_lookup_udp(&loop, server, (struct sockaddr *)&from, on_peer, NULL));
    loop_finish(&loop);
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(got.pid, -1);
    ck_assert_str_eq(got.comm, "");
    close(server);
}
END_TEST

START_TEST(test_cancel)
{
    int cfd, afd;
    ck_assert_int_eq(tcp_pair(AF_INET, &cfd, &afd), 0);
    uv_loop_t loop;
    loop_start(&loop);
    scope_peer_req_t *req = scope_peer_lookup(&loop, afd, on_peer, NULL);
    ck_assert_ptr_nonnull(req);
    scope_peer_cancel(req);
    /* and one cancelled while its work may already run in the pool */
    req = scope_peer_lookup(&loop, afd, on_peer, NULL);
    ck_assert_ptr_nonnull(req);
    usleep(20000);
    scope_peer_cancel(req);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    scope_peer_cancel(scope_peer_lookup(&loop, sv[0], on_peer, NULL));
    scope_peer_cancel(NULL);
    loop_finish(&loop);
    ck_assert_int_eq(calls, 0);
    close(sv[0]);
    close(sv[1]);
    close(afd);
    close(cfd);
}
END_TEST

/* Many lookups at once wait their turn (one scan of /proc at a time): each
 * is answered once, in the order asked; one cancelled while it waits is
 * never answered. */
static int order[16], answered;

static void on_peer_in_order(void *arg, const scope_peer_info_t *who)
{
    order[answered++] = (int)(long)arg;
    got = *who;
}

START_TEST(test_queue)
{
    int cfd[8], afd[8];
    uv_loop_t loop;
    loop_start(&loop);
    answered = 0;
    scope_peer_req_t *req[8];
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(tcp_pair(AF_INET, &cfd[i], &afd[i]), 0);
        req[i] = scope_peer_lookup(&loop, afd[i], on_peer_in_order, (void *)(long)i);
        ck_assert_ptr_nonnull(req[i]);
    }
    scope_peer_cancel(req[5]); /* waiting behind four others */
    loop_finish(&loop);
    ck_assert_int_eq(answered, 7);
    for (int i = 0, want = 0; i < answered; i++, want++) {
        want += want == 5;
        ck_assert_int_eq(order[i], want);
    }
    ck_assert_int_eq(got.pid, (long)getpid());
    for (int i = 0; i < 8; i++) {
        close(cfd[i]);
        close(afd[i]);
    }
}
END_TEST

/* A crowd: many lookups asked at once, the peers held by this process and
 * by children of ours (each its own, found first as candidates), and a UDP
 * sender among them. The first is submitted alone and the rest wait, then
 * go as one batch: each is answered once, in the order asked, with its own
 * holder's pid. One cancelled while its batch runs, one cancelled by the
 * callback of an earlier one of its batch, and one cancelled while it waits
 * are never answered (and, under valgrind, freed all the same). */
enum { MANY = 48, MANY_KIDS = 8 };
static scope_peer_req_t *many_req[MANY + 1];
static long many_pid[MANY + 1];
static int many_order[MANY + 1], many_answered;

static void on_many(void *arg, const scope_peer_info_t *who)
{
    int i = (int)(long)arg;
    many_order[many_answered++] = i;
    many_pid[i] = who->pid;
    many_req[i] = NULL;
    if (i == 1)
        scope_peer_cancel(many_req[3]); /* later in the same batch */
}

START_TEST(test_many)
{
    int cfd[MANY], afd[MANY], kept[MANY], ready[2];
    long want[MANY + 1];
    pid_t kids[MANY_KIDS];
    int nkids = 0;
    ck_assert_int_eq(pipe(ready), 0);
    for (int i = 0; i < MANY; i++) {
        ck_assert_int_eq(tcp_pair(AF_INET, &cfd[i], &afd[i]), 0);
        kept[i] = !(i % (MANY / MANY_KIDS) == 2 && nkids < MANY_KIDS);
        want[i] = (long)getpid();
        if (kept[i])
            continue;
        pid_t kid = fork();
        ck_assert_int_ge(kid, 0);
        if (kid == 0) { /* holds cfd[i] alone, until the pipe closes */
            char c;
            for (int k = 0; k < i; k++) {
                close(afd[k]);
                if (kept[k])
                    close(cfd[k]);
            }
            close(afd[i]);
            close(ready[1]);
            _exit(read(ready[0], &c, 1) < 0);
        }
        kids[nkids++] = kid;
        want[i] = (long)kid;
        close(cfd[i]);
    }
    ck_assert_int_eq(nkids, MANY_KIDS);

    struct sockaddr_storage a, b, from;
    socklen_t al = fill(AF_INET, &a), bl = fill(AF_INET, &b), fl = sizeof from;
    int server = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int client = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(bind(server, (struct sockaddr *)&a, al), 0);
    ck_assert_int_eq(getsockname(server, (struct sockaddr *)&a, &al), 0);
    ck_assert_int_eq(bind(client, (struct sockaddr *)&b, bl), 0);
    ck_assert_int_eq(sendto(client, "ping", 4, 0, (struct sockaddr *)&a, al), 4);
    char buf[8];
    ck_assert_int_eq(recvfrom(server, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl), 4);
    want[MANY] = (long)getpid();

    uv_loop_t loop;
    loop_start(&loop);
    many_answered = 0;
    for (int i = 0; i <= MANY; i++) {
        many_pid[i] = -2;
        many_req[i] = i < MANY ? scope_peer_lookup(&loop, afd[i], on_many, (void *)(long)i)
                               : scope_peer_lookup_udp(&loop, server, (struct sockaddr *)&from,
                                                       on_many, (void *)(long)i);
        ck_assert_ptr_nonnull(many_req[i]);
    }
    scope_peer_cancel(many_req[0]); /* its batch already in the pool */
    scope_peer_cancel(many_req[5]); /* still waiting */
    loop_finish(&loop);

    ck_assert_int_eq(many_answered, MANY + 1 - 3);
    for (int i = 0, want_i = 1; i < many_answered; i++, want_i++) {
        want_i += want_i == 3 || want_i == 5;
        ck_assert_int_eq(many_order[i], want_i);
        ck_assert_int_eq(many_pid[want_i], want[want_i]);
    }
    ck_assert_int_eq(many_pid[0], -2);
    ck_assert_int_eq(many_pid[3], -2);
    ck_assert_int_eq(many_pid[5], -2);

    close(ready[1]);
    for (int k = 0; k < nkids; k++)
        ck_assert_int_eq(waitpid(kids[k], NULL, 0), kids[k]);
    close(ready[0]);
    for (int i = 0; i < MANY; i++) {
        close(afd[i]);
        if (kept[i])
            close(cfd[i]);
    }
    close(server);
    close(client);
}
END_TEST

START_TEST(test_gone)
{
    /* The client closes first: its end lingers in FIN_WAIT2 with no process
     * holding it (inode 0), while ours can still say who it was connected to. */
    int cfd, afd;
    ck_assert_int_eq(tcp_pair(AF_INET, &cfd, &afd), 0);
    close(cfd);
    uv_loop_t loop;
    loop_start(&loop);
    ck_assert_ptr_nonnull(scope_peer_lookup(&loop, afd, on_peer, NULL));
    loop_finish(&loop);
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(got.pid, -1);
    ck_assert_str_eq(got.comm, "");
    close(afd);
}
END_TEST

START_TEST(test_refused)
{
    uv_loop_t loop;
    loop_start(&loop);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    errno = 0;
    ck_assert_ptr_null(scope_peer_lookup(&loop, p[0], on_peer, NULL));
    ck_assert_int_eq(errno, ENOTSOCK);
    close(p[0]);
    close(p[1]);
    ck_assert_ptr_null(scope_peer_lookup(&loop, p[0], on_peer, NULL));
    ck_assert_int_eq(errno, EBADF);
    ck_assert_ptr_null(scope_peer_lookup(&loop, -1, on_peer, NULL));
    ck_assert_int_eq(errno, EINVAL);
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_ptr_null(scope_peer_lookup(&loop, s, on_peer, NULL));
    ck_assert_int_eq(errno, ENOTCONN);
    ck_assert_ptr_null(scope_peer_lookup_udp(&loop, s, NULL, on_peer, NULL));
    ck_assert_int_eq(errno, EINVAL);
    close(s);
    loop_finish(&loop);
    ck_assert_int_eq(calls, 0);
}
END_TEST

static Suite *peer_suite(void)
{
    Suite *s = suite_create("peer");
    TCase *tc = tcase_create("lookup");
    tcase_add_test(tc, test_tcp_v4);
    tcase_add_test(tc, test_tcp_v6);
    tcase_add_test(tc, test_unix);
    tcase_add_test(tc, test_udp);
    tcase_add_test(tc, test_cancel);
    tcase_add_test(tc, test_queue);
    tcase_add_test(tc, test_many);
    tcase_add_test(tc, test_gone);
    tcase_add_test(tc, test_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(peer_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
