/* Unit tests of lib/channel.c: the bookkeeping around Node's IPC channel.
 *
 * tests/e2e/channel_interop.sh already runs lib/channel against itself and
 * against node: round trips, UTF-8, a 2 MiB message, one handle passed and
 * served, a malformed line that the channel survives, disconnect. What it
 * cannot see from outside is the order the protocol keeps around a handle, so
 * that is what these tests hold down, on one loop in one process:
 *
 *   - a NODE_HANDLE message goes out with its fd, and every later message is
 *     held until NODE_HANDLE_ACK, then goes out in order;
 *   - NODE_HANDLE_NACK sends the handle again, with the fd, at most 3 times;
 *   - the receiving side ACKs a handle that came with its fd and NACKs one
 *     that did not;
 *   - NODE_ messages are never delivered as messages; cluster's reach
 *     on_internal, with the fd of a handle they came with;
 *   - refused lines (oversize for max_message, malformed, blank) are reported
 *     through on_error and counted, and the channel goes on;
 *   - disconnect writes what was held, then the peer reads EOF;
 *   - the channel prints each message byte for byte as cJSON_PrintUnformatted
 *     does (it has a printer of its own, for speed), and a line the socket
 *     does not take at once reaches the peer whole and in order.
 *
 * One end of a socketpair is a scope_channel_t; the other is either a raw fd
 * that the test drives with sendmsg/recvmsg, or a second channel on the same
 * loop. The loop is turned with UV_RUN_NOWAIT; nothing waits on the clock.
 */
#include "channel.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the fixture -------------------------------------------------------- */

#define TURNS  4
#define MAXFDS 16

/* What one channel saw. */
typedef struct {
    cJSON *msgs; /* copies of the messages delivered, in order */
    int fds[MAXFDS];
    char types[MAXFDS][32];
    int nmsgs;
    int errors[MAXFDS]; /* the kinds on_error reported */
    int nerrors;
    int disconnects, disconnect_status, closes;
} seen_t;

static struct {
    uv_loop_t loop;
    scope_channel_t a, b; /* a on sv[0]; b on sv[1] when a test opens it */
    seen_t sa, sb;
    int raw; /* sv[1] when the test drives it by hand, else -1 */

    /* what the raw end read */
    char buf[65536];
    size_t len;
    int fds[MAXFDS];
    int nfds;
    int eof;
} fx;

static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    seen_t *s = ch->data;
    ck_assert_int_lt(s->nmsgs, MAXFDS);
    cJSON_AddItemToArray(s->msgs, cJSON_Duplicate(msg, 1));
    s->fds[s->nmsgs] = fd;
    snprintf(s->types[s->nmsgs], sizeof s->types[0], "%s", type ? type : "");
    s->nmsgs++;
}

static void on_error(scope_channel_t *ch, const scope_frame_error_t *err)
{
    seen_t *s = ch->data;
    ck_assert_int_lt(s->nerrors, MAXFDS);
    s->errors[s->nerrors++] = err->kind;
}

static void on_disconnect(scope_channel_t *ch, int status)
{
    seen_t *s = ch->data;
    s->disconnects++;
    s->disconnect_status = status;
}

static void on_close(scope_channel_t *ch)
{
    seen_t *s = ch->data;
    s->closes++;
}

static void init_channel(scope_channel_t *ch, seen_t *s)
{
    ch->data = s;
    ch->on_message = on_message;
    ch->on_error = on_error;
    ch->on_disconnect = on_disconnect;
    ch->on_close = on_close;
    s->msgs = cJSON_CreateArray();
}

/* a on one end; the other end stays raw, for the test to drive. max_message
 * is a's (0: the default). */
static void open_raw(size_t max_message)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    fx.a.max_message = max_message;
    ck_assert_int_eq(scope_channel_open(&fx.loop, &fx.a, sv[0]), 0);
    fx.raw = sv[1];
    ck_assert_int_eq(fcntl(fx.raw, F_SETFL, O_NONBLOCK), 0);
}

/* a and b, one on each end. */
static void open_pair(void)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ck_assert_int_eq(scope_channel_open(&fx.loop, &fx.a, sv[0]), 0);
    ck_assert_int_eq(scope_channel_open(&fx.loop, &fx.b, sv[1]), 0);
}

static void setup(void)
{
    memset(&fx, 0, sizeof fx);
    fx.raw = -1;
    ck_assert_int_eq(uv_loop_init(&fx.loop), 0);
    init_channel(&fx.a, &fx.sa);
    init_channel(&fx.b, &fx.sb);
}

static void close_fds(seen_t *s)
{
    for (int i = 0; i < s->nmsgs; i++)
        if (s->fds[i] >= 0)
            close(s->fds[i]);
}

static void teardown(void)
{
    scope_channel_close(&fx.a);
    scope_channel_close(&fx.b);
    if (fx.raw >= 0)
        close(fx.raw);
    uv_run(&fx.loop, UV_RUN_DEFAULT); /* the closes, and the handles passed */
    ck_assert_int_eq(uv_loop_close(&fx.loop), 0);
    close_fds(&fx.sa);
    close_fds(&fx.sb);
    for (int i = 0; i < fx.nfds; i++)
        close(fx.fds[i]);
    cJSON_Delete(fx.sa.msgs);
    cJSON_Delete(fx.sb.msgs);
}

static void turns(int n)
{
    for (int i = 0; i < n; i++)
        uv_run(&fx.loop, UV_RUN_NOWAIT);
}

/* ---- the raw end -------------------------------------------------------- */

/* Writes text (a whole line or several) in one sendmsg, with fd as
 * SCM_RIGHTS when fd >= 0, as node does for a handle. */
static void raw_send(const char *text, int fd)
{
    struct iovec iov = {(void *)text, strlen(text)};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(int))];
    } cm;
    if (fd >= 0) {
        memset(&cm, 0, sizeof cm);
        mh.msg_control = cm.space;
        mh.msg_controllen = sizeof cm.space;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ck_assert_int_eq(sendmsg(fx.raw, &mh, 0), (ssize_t)iov.iov_len);
}

/* Reads what the channel wrote so far, and the fds that came with it. */
static void raw_recv(void)
{
    for (;;) {
        union {
            struct cmsghdr h;
            char space[CMSG_SPACE(4 * sizeof(int))];
        } cm;
        struct iovec iov = {fx.buf + fx.len, sizeof fx.buf - fx.len};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = cm.space,
                            .msg_controllen = sizeof cm.space};
        ck_assert_uint_gt(iov.iov_len, 0);
        ssize_t n = recvmsg(fx.raw, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EAGAIN)
            return;
        ck_assert_msg(n >= 0, "recvmsg: %s", strerror(errno));
        ck_assert(!(mh.msg_flags & MSG_CTRUNC));
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < k; i++) {
                ck_assert_int_lt(fx.nfds, MAXFDS);
                memcpy(&fx.fds[fx.nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            }
        }
        if (n == 0) {
            fx.eof = 1;
            return;
        }
        fx.len += (size_t)n;
    }
}

/* Takes the next whole line the raw end read, parsed (the caller deletes
 * it), or NULL when none is complete. */
static cJSON *raw_line(void)
{
    raw_recv();
    char *nl = memchr(fx.buf, '\n', fx.len);
    if (!nl)
        return NULL;
    *nl = '\0';
    cJSON *v = cJSON_Parse(fx.buf);
    ck_assert_msg(v != NULL, "the channel wrote a line that is not JSON: %s", fx.buf);
    size_t used = (size_t)(nl - fx.buf) + 1;
    memmove(fx.buf, nl + 1, fx.len - used);
    fx.len -= used;
    return v;
}

/* The next line, printed compactly, or "" when none is complete. */
static const char *raw_text(void)
{
    static char out[1024];
    cJSON *v = raw_line();
    out[0] = '\0';
    if (v) {
        char *s = cJSON_PrintUnformatted(v);
        snprintf(out, sizeof out, "%s", s);
        cJSON_free(s);
        cJSON_Delete(v);
    }
    return out;
}

static void send_json(scope_channel_t *ch, const char *json)
{
    cJSON *m = cJSON_Parse(json);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_gt(scope_channel_send(ch, m), 0);
    cJSON_Delete(m);
}

static void send_handle(scope_channel_t *ch, const char *json, int fd, const char *type)
{
    cJSON *m = cJSON_Parse(json);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_gt(scope_channel_send_handle(ch, m, fd, type), 0);
    cJSON_Delete(m);
}

/* The i-th message s saw, printed compactly. */
static const char *seen_text(seen_t *s, int i)
{
    static char out[1024];
    char *p = cJSON_PrintUnformatted(cJSON_GetArrayItem(s->msgs, i));
    ck_assert_ptr_nonnull(p);
    snprintf(out, sizeof out, "%s", p);
    cJSON_free(p);
    return out;
}

/* A socketpair whose first end is passed; the test keeps the second to prove
 * the passed fd reaches the same socket. */
static void passable(int sv[2])
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

/* fd and other are the two ends of one socketpair. */
static void assert_connected(int fd, int other)
{
    char c = 0;
    ck_assert_int_eq(write(fd, "x", 1), 1);
    ck_assert_int_eq(read(other, &c, 1), 1);
    ck_assert_int_eq(c, 'x');
}

/* ---- sending a handle --------------------------------------------------- */

START_TEST(handle_holds_later_messages_until_ack)
{
    open_raw(0);
    int sv[2];
    passable(sv);
    send_handle(&fx.a, "{\"n\":0}", sv[0], "net.Socket");
    send_json(&fx.a, "{\"n\":1}");
    send_json(&fx.a, "{\"n\":2}");
    close(sv[0]); /* the channel passes a duplicate of its own */
    ck_assert_uint_eq(fx.a.sent, 3);
    turns(TURNS);

    ck_assert_str_eq(raw_text(),
                     "{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Socket\",\"msg\":{\"n\":0}}");
    ck_assert_int_eq(fx.nfds, 1);
    assert_connected(fx.fds[0], sv[1]);
    ck_assert_str_eq(raw_text(), ""); /* the rest waits for the ACK */

    raw_send("{\"cmd\":\"NODE_HANDLE_ACK\"}\n", -1);
    turns(TURNS);
    ck_assert_str_eq(raw_text(), "{\"n\":1}");
    ck_assert_str_eq(raw_text(), "{\"n\":2}");
    ck_assert_str_eq(raw_text(), "");
    ck_assert_int_eq(fx.nfds, 1);
    ck_assert_int_eq(fx.sa.nmsgs, 0); /* the ACK is not a message */
    close(sv[1]);
}
END_TEST

START_TEST(handle_after_handle_waits_for_the_first_ack)
{
    open_raw(0);
    int s1[2], s2[2];
    passable(s1);
    passable(s2);
    send_handle(&fx.a, "{\"n\":1}", s1[0], "net.Socket");
    send_json(&fx.a, "{\"n\":2}");
    send_handle(&fx.a, "{\"n\":3}", s2[0], "net.Socket");
    send_json(&fx.a, "{\"n\":4}");
    turns(TURNS);
    ck_assert_str_eq(raw_text(),
                     "{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Socket\",\"msg\":{\"n\":1}}");
    ck_assert_str_eq(raw_text(), "");

    raw_send("{\"cmd\":\"NODE_HANDLE_ACK\"}\n", -1);
    turns(TURNS);
    ck_assert_str_eq(raw_text(), "{\"n\":2}");
    ck_assert_str_eq(raw_text(),
                     "{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Socket\",\"msg\":{\"n\":3}}");
    ck_assert_str_eq(raw_text(), ""); /* {"n":4} waits for the second ACK */
    ck_assert_int_eq(fx.nfds, 2);
    assert_connected(fx.fds[0], s1[1]);
    assert_connected(fx.fds[1], s2[1]);

    raw_send("{\"cmd\":\"NODE_HANDLE_ACK\"}\n", -1);
    turns(TURNS);
    ck_assert_str_eq(raw_text(), "{\"n\":4}");
    for (int i = 0; i < 2; i++) {
        close(s1[i]);
        close(s2[i]);
    }
}
END_TEST

START_TEST(nack_resends_the_handle_with_its_fd)
{
    open_raw(0);
    int sv[2];
    passable(sv);
    send_handle(&fx.a, "{\"n\":0}", sv[0], "net.Socket");
    send_json(&fx.a, "{\"n\":1}");
    turns(TURNS);
    const char *handle = "{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Socket\",\"msg\":{\"n\":0}}";
    ck_assert_str_eq(raw_text(), handle);
    ck_assert_int_eq(fx.nfds, 1);

    raw_send("{\"cmd\":\"NODE_HANDLE_NACK\"}\n", -1);
    turns(TURNS);
    ck_assert_str_eq(raw_text(), handle);
    ck_assert_int_eq(fx.nfds, 2); /* the fd rode again */
    assert_connected(fx.fds[1], sv[1]);
    ck_assert_str_eq(raw_text(), ""); /* still held */
    ck_assert_uint_eq(fx.a.sent, 2);  /* a resend is not a new message */

    raw_send("{\"cmd\":\"NODE_HANDLE_ACK\"}\n", -1);
    turns(TURNS);
    ck_assert_str_eq(raw_text(), "{\"n\":1}");
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(nack_gives_up_after_three_resends)
{
    open_raw(0);
    int sv[2];
    passable(sv);
    send_handle(&fx.a, "{\"n\":0}", sv[0], "net.Socket");
    send_json(&fx.a, "{\"n\":1}");
    turns(TURNS);
    ck_assert_ptr_nonnull(strstr(raw_text(), "NODE_HANDLE"));
    for (int i = 1; i <= 3; i++) {
        raw_send("{\"cmd\":\"NODE_HANDLE_NACK\"}\n", -1);
        turns(TURNS);
        ck_assert_ptr_nonnull(strstr(raw_text(), "NODE_HANDLE"));
        ck_assert_str_eq(raw_text(), "");
    }
    ck_assert_int_eq(fx.nfds, 4);
    raw_send("{\"cmd\":\"NODE_HANDLE_NACK\"}\n", -1);
    turns(TURNS);
    ck_assert_str_eq(raw_text(), "{\"n\":1}"); /* dropped the handle; the rest flows */
    ck_assert_int_eq(fx.nfds, 4);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(internal_messages_go_out_while_a_handle_waits)
{
    /* An ACK for the peer's handle must not wait behind our own. */
    open_raw(0);
    int mine[2], theirs[2];
    passable(mine);
    passable(theirs);
    send_handle(&fx.a, "{\"n\":0}", mine[0], "net.Socket");
    send_json(&fx.a, "{\"n\":1}");
    turns(TURNS);
    ck_assert_ptr_nonnull(strstr(raw_text(), "NODE_HANDLE"));

    raw_send("{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Socket\",\"msg\":{\"x\":1}}\n", theirs[0]);
    turns(TURNS);
    ck_assert_str_eq(raw_text(), "{\"cmd\":\"NODE_HANDLE_ACK\"}");
    ck_assert_str_eq(raw_text(), "");
    ck_assert_int_eq(fx.sa.nmsgs, 1);

    raw_send("{\"cmd\":\"NODE_HANDLE_ACK\"}\n", -1);
    turns(TURNS);
    ck_assert_str_eq(raw_text(), "{\"n\":1}");
    for (int i = 0; i < 2; i++) {
        close(mine[i]);
        close(theirs[i]);
    }
}
END_TEST

START_TEST(handle_needs_a_socket)
{
    open_raw(0);
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    cJSON *m = cJSON_CreateObject();
    ck_assert_int_lt(scope_channel_send_handle(&fx.a, m, p[0], "net.Native"), 0);
    cJSON_Delete(m);
    ck_assert_uint_eq(fx.a.sent, 0);
    send_json(&fx.a, "{\"n\":1}"); /* nothing is held behind the refused one */
    turns(TURNS);
    ck_assert_str_eq(raw_text(), "{\"n\":1}");
    close(p[0]);
    close(p[1]);
}
END_TEST

/* ---- receiving ---------------------------------------------------------- */

START_TEST(received_handle_is_acked_and_delivered)
{
    open_raw(0);
    int sv[2];
    passable(sv);
    raw_send("{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Socket\",\"msg\":{\"x\":1}}\n", sv[0]);
    close(sv[0]);
    turns(TURNS);
    ck_assert_int_eq(fx.sa.nmsgs, 1);
    ck_assert_str_eq(seen_text(&fx.sa, 0), "{\"x\":1}");
    ck_assert_str_eq(fx.sa.types[0], "net.Socket");
    ck_assert_int_ge(fx.sa.fds[0], 0);
    assert_connected(fx.sa.fds[0], sv[1]);
    ck_assert_str_eq(raw_text(), "{\"cmd\":\"NODE_HANDLE_ACK\"}");
    ck_assert_uint_eq(fx.a.received, 1);
    close(sv[1]);
}
END_TEST

START_TEST(handle_line_without_its_fd_is_nacked)
{
    open_raw(0);
    raw_send("{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Socket\",\"msg\":{\"x\":1}}\n", -1);
    turns(TURNS);
    ck_assert_str_eq(raw_text(), "{\"cmd\":\"NODE_HANDLE_NACK\"}");
    ck_assert_int_eq(fx.sa.nmsgs, 0);
    ck_assert_uint_eq(fx.a.received, 0);

    int sv[2]; /* node sends it again, this time with the fd */
    passable(sv);
    raw_send("{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Socket\",\"msg\":{\"x\":1}}\n", sv[0]);
    close(sv[0]);
    turns(TURNS);
    ck_assert_str_eq(raw_text(), "{\"cmd\":\"NODE_HANDLE_ACK\"}");
    ck_assert_int_eq(fx.sa.nmsgs, 1);
    assert_connected(fx.sa.fds[0], sv[1]);
    close(sv[1]);
}
END_TEST

/* A peer that sends fd after fd with ordinary lines, never a NODE_HANDLE:
 * one is held at most (a sender waits for the ACK before the next handle),
 * the others are closed, and a real handle after them still arrives whole. */
static int open_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 4096; fd++)
        n += fcntl(fd, F_GETFD) >= 0;
    return n;
}

START_TEST(stray_fds_are_bounded)
{
    open_raw(0);
    int before = open_fds();
    for (int i = 0; i < 14; i++) { /* the fixture keeps 16 messages */
        int sv[2];
        passable(sv);
        raw_send("{\"n\":1}\n", sv[0]);
        close(sv[0]);
        close(sv[1]);
        turns(TURNS);
    }
    ck_assert_int_eq(fx.sa.nmsgs, 14);
    ck_assert_int_le(open_fds() - before, 1);
    ck_assert_uint_eq(fx.a.stray_fds, 13);
    int sv[2];
    passable(sv);
    raw_send("{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Socket\",\"msg\":{\"x\":1}}\n", sv[0]);
    close(sv[0]);
    turns(TURNS);
    ck_assert_str_eq(raw_text(), "{\"cmd\":\"NODE_HANDLE_ACK\"}");
    ck_assert_int_eq(fx.sa.nmsgs, 15);
    assert_connected(fx.sa.fds[14], sv[1]);
    close(sv[1]);
}
END_TEST

/* An fd that is no socket (a file, here /dev/null) still comes out of libuv
 * as a plain fd: left in, it held back every fd passed after it, and each
 * later handle was NACKed (found by tests/fuzz/fuzz_channel.c). */
START_TEST(handle_of_any_kind_is_delivered)
{
    open_raw(0);
    int file = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(file, 0);
    raw_send("{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Native\",\"msg\":1}\n", file);
    close(file);
    turns(TURNS);
    ck_assert_str_eq(raw_text(), "{\"cmd\":\"NODE_HANDLE_ACK\"}");
    ck_assert_int_eq(fx.sa.nmsgs, 1);
    ck_assert_int_ge(fx.sa.fds[0], 0);

    int sv[2];
    passable(sv);
    raw_send("{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Socket\",\"msg\":2}\n", sv[0]);
    close(sv[0]);
    turns(TURNS);
    ck_assert_str_eq(raw_text(), "{\"cmd\":\"NODE_HANDLE_ACK\"}");
    ck_assert_int_eq(fx.sa.nmsgs, 2);
    assert_connected(fx.sa.fds[1], sv[1]);
    ck_assert_uint_eq(fx.a.stray_fds, 0);
    close(sv[1]);
}
END_TEST

START_TEST(internal_messages_are_not_delivered)
{
    open_raw(0);
    raw_send("{\"cmd\":\"NODE_CLUSTER\",\"act\":\"online\"}\n"
             "{\"cmd\":\"NODE_HANDLE_ACK\"}\n" /* stray: no handle awaits it */
             "{\"cmd\":\"NODE_HANDLE_NACK\"}\n"
             "{\"cmd\":\"NODE_\"}\n"
             "{\"cmd\":\"NODEX\"}\n"
             "{\"cmd\":\"hello\"}\n"
             "[\"NODE_CLUSTER\"]\n"
             "{\"cmd\":1}\n",
             -1);
    turns(TURNS);
    ck_assert_int_eq(fx.sa.nmsgs, 4);
    ck_assert_str_eq(seen_text(&fx.sa, 0), "{\"cmd\":\"NODEX\"}");
    ck_assert_str_eq(seen_text(&fx.sa, 1), "{\"cmd\":\"hello\"}");
    ck_assert_str_eq(seen_text(&fx.sa, 2), "[\"NODE_CLUSTER\"]");
    ck_assert_str_eq(seen_text(&fx.sa, 3), "{\"cmd\":1}");
    ck_assert_uint_eq(fx.a.received, 4);
    ck_assert_int_eq(fx.sa.nerrors, 0);
    ck_assert_str_eq(raw_text(), ""); /* and nothing is answered */
}
END_TEST

/* What a cluster primary or worker needs: node's own messages, and a
 * connection passed inside one (newconn), reach on_internal; the handle
 * protocol stays the channel's. */
static struct {
    cJSON *msgs;
    int fds[MAXFDS];
    int n;
} internals;

static void on_internal(scope_channel_t *ch, cJSON *msg, int fd)
{
    (void)ch;
    ck_assert_int_lt(internals.n, MAXFDS);
    cJSON_AddItemToArray(internals.msgs, cJSON_Duplicate(msg, 1));
    internals.fds[internals.n++] = fd;
}

START_TEST(cluster_messages_reach_on_internal_with_their_handle)
{
    internals.msgs = cJSON_CreateArray();
    internals.n = 0;
    fx.a.on_internal = on_internal;
    open_raw(0);
    raw_send("{\"cmd\":\"NODE_CLUSTER\",\"act\":\"online\",\"seq\":0}\n"
             "{\"cmd\":\"NODE_HANDLE_ACK\"}\n" /* stray: the channel's, not ours */
             "{\"n\":1}\n",
             -1);
    int sv[2];
    passable(sv);
    raw_send("{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Native\",\"msg\":"
             "{\"cmd\":\"NODE_CLUSTER\",\"act\":\"newconn\",\"key\":\"k\",\"seq\":1}}\n",
             sv[0]);
    close(sv[0]);
    turns(TURNS);
    ck_assert_int_eq(internals.n, 2);
    char *first = cJSON_PrintUnformatted(cJSON_GetArrayItem(internals.msgs, 0));
    char *second = cJSON_PrintUnformatted(cJSON_GetArrayItem(internals.msgs, 1));
    ck_assert_str_eq(first, "{\"cmd\":\"NODE_CLUSTER\",\"act\":\"online\",\"seq\":0}");
    ck_assert_str_eq(second, "{\"cmd\":\"NODE_CLUSTER\",\"act\":\"newconn\",\"key\":\"k\",\"seq\":1}");
    cJSON_free(first);
    cJSON_free(second);
    ck_assert_int_eq(internals.fds[0], -1);
    assert_connected(internals.fds[1], sv[1]);
    ck_assert_int_eq(fx.sa.nmsgs, 1); /* only {"n":1} is a message */
    ck_assert_str_eq(raw_text(), "{\"cmd\":\"NODE_HANDLE_ACK\"}");
    close(internals.fds[1]);
    close(sv[1]);
    cJSON_Delete(internals.msgs);
}
END_TEST

START_TEST(refused_lines_are_reported_and_the_channel_goes_on)
{
    /* The malformed case alone is in channel_interop.sh; here the counters
     * and the three kinds, with max_message set low. */
    open_raw(64);
    char big[128]; /* {"s":"xxx...x"}, 128 bytes: over 64 */
    memset(big, 'x', sizeof big);
    memcpy(big, "{\"s\":\"", 6);
    memcpy(big + sizeof big - 2, "\"}", 2);
    char text[512];
    snprintf(text, sizeof text, "{\"n\":1}\nnot json\n%.*s\n\n{\"n\":2}\n", (int)sizeof big, big);
    raw_send(text, -1);
    turns(TURNS);
    ck_assert_int_eq(fx.sa.nerrors, 3);
    ck_assert_int_eq(fx.sa.errors[0], SCOPE_FRAME_MALFORMED);
    ck_assert_int_eq(fx.sa.errors[1], SCOPE_FRAME_OVERSIZE);
    ck_assert_int_eq(fx.sa.errors[2], SCOPE_FRAME_BLANK);
    ck_assert_uint_eq(fx.a.refused, 3);
    ck_assert_int_eq(fx.sa.nmsgs, 2);
    ck_assert_str_eq(seen_text(&fx.sa, 0), "{\"n\":1}");
    ck_assert_str_eq(seen_text(&fx.sa, 1), "{\"n\":2}");
    ck_assert_int_eq(fx.sa.disconnects, 0);

    send_json(&fx.a, "{\"still\":\"here\"}");
    turns(TURNS);
    ck_assert_str_eq(raw_text(), "{\"still\":\"here\"}");
}
END_TEST

/* ---- printing ----------------------------------------------------------- */

/* msg goes out exactly as cJSON_PrintUnformatted prints it, and a newline. */
static void assert_printed_as_cjson(cJSON *msg)
{
    char *want = cJSON_PrintUnformatted(msg);
    ck_assert_ptr_nonnull(want);
    size_t n = strlen(want);
    ck_assert_int_eq(scope_channel_send(&fx.a, msg), (int)n + 1);
    turns(1);
    raw_recv();
    ck_assert_msg(fx.len == n + 1 && memcmp(fx.buf, want, n) == 0 && fx.buf[n] == '\n',
                  "cJSON prints %s, the channel wrote %.*s", want, (int)fx.len, fx.buf);
    fx.len = 0;
    cJSON_free(want);
    cJSON_Delete(msg);
}

START_TEST(messages_are_printed_as_cjson_prints_them)
{
    open_raw(0);
    /* numbers: integers (the channel's own digits) and what cJSON prints
     * itself: -0, fractions, 1e15 and beyond, past 2^53 */
    assert_printed_as_cjson(cJSON_Parse(
        "[0,-0,1,-1,12,1234567,999999999999999,-999999999999999,1e15,-1e15,1e16,"
        "9007199254740993,2147483647,2147483648,-2147483649,0.5,-0.25,0.1,1.5e-7,123.456,"
        "1e300,-1e-300,1.7976931348623157e308]"));
    cJSON *odd = cJSON_CreateArray();
    cJSON_AddItemToArray(odd, cJSON_CreateNumber(NAN));
    cJSON_AddItemToArray(odd, cJSON_CreateNumber(INFINITY));
    cJSON_AddItemToArray(odd, cJSON_CreateNumber(-INFINITY));
    cJSON_AddItemToArray(odd, cJSON_CreateNumber(1.0 / 3));
    assert_printed_as_cjson(odd);
    /* strings: escapes by name, other control bytes as \u00xx, the rest
     * (DEL, UTF-8, even a byte that is not UTF-8) as they are; keys too */
    cJSON *text = cJSON_CreateObject();
    cJSON_AddStringToObject(text, "esc", "\"\\/\b\f\n\r\t\x01\x1f\x7f caf\xc3\xa9 \xe4\xb8\xad \xff");
    cJSON_AddStringToObject(text, "", "");
    cJSON_AddStringToObject(text, "a\"b\n", "only\t");
    cJSON *unset = cJSON_AddStringToObject(text, "unset", "x");
    cJSON_free(unset->valuestring); /* a NULL string prints as "" */
    unset->valuestring = NULL;
    assert_printed_as_cjson(text);
    /* nesting, the literals, empty containers, a raw item, scalars alone */
    cJSON *tree = cJSON_Parse("{\"a\":[[],{},[1,[2,{\"b\":null}]]],\"t\":true,\"f\":false}");
    cJSON_AddRawToObject(tree, "raw", "{\"as\": [1, 2], \"it\":3}");
    assert_printed_as_cjson(tree);
    assert_printed_as_cjson(cJSON_CreateNumber(42));
    assert_printed_as_cjson(cJSON_CreateString("alone"));
    assert_printed_as_cjson(cJSON_CreateTrue());
    /* longer than the line buffer's first 256 bytes, escapes spread in it */
    char long_text[10000];
    for (size_t i = 0; i < sizeof long_text - 1; i++)
        long_text[i] = i % 97 == 0 ? '\n' : i % 89 == 0 ? '"' : (char)('a' + i % 26);
    long_text[sizeof long_text - 1] = '\0';
    cJSON *big = cJSON_CreateObject();
    cJSON_AddStringToObject(big, "long", long_text);
    cJSON_AddNumberToObject(big, "n", 7);
    assert_printed_as_cjson(big);
    /* what cJSON cannot print, the channel does not send */
    cJSON *invalid = cJSON_CreateNull();
    invalid->type = cJSON_Invalid;
    ck_assert_int_eq(scope_channel_send(&fx.a, invalid), -ENOMEM);
    cJSON_Delete(invalid);
    ck_assert_uint_eq(fx.a.sent, 8);
}
END_TEST

START_TEST(a_line_the_socket_does_not_take_at_once_arrives_whole)
{
    open_raw(0);
    /* more than a socketpair holds: the write is partial, the rest queued */
    size_t n = 1u << 20;
    char *pad = malloc(n + 1);
    memset(pad, 'p', n);
    pad[n] = '\0';
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "pad", pad);
    ck_assert_int_eq(scope_channel_send(&fx.a, m), (int)n + 11);
    send_json(&fx.a, "{\"after\":1}");
    const char *tail = "{\"after\":1}\n";
    size_t want = n + 11 + strlen(tail), got = 0;
    char *all = malloc(want + 1);
    for (int i = 0; i < 10000 && got < want; i++) {
        turns(1);
        ssize_t k = read(fx.raw, all + got, want + 1 - got);
        if (k > 0)
            got += (size_t)k;
    }
    ck_assert_uint_eq(got, want);
    ck_assert(memcmp(all, "{\"pad\":\"", 8) == 0 && memcmp(all + 8, pad, n) == 0);
    ck_assert(memcmp(all + 8 + n, "\"}\n", 3) == 0 && memcmp(all + n + 11, tail, strlen(tail)) == 0);
    free(all);
    free(pad);
    cJSON_Delete(m);
}
END_TEST

/* ---- two channels ------------------------------------------------------- */

START_TEST(two_channels_pass_a_handle_and_keep_order)
{
    open_pair();
    int sv[2];
    passable(sv);
    send_handle(&fx.a, "{\"n\":0}", sv[0], "net.Socket");
    close(sv[0]);
    for (int i = 1; i <= 3; i++) {
        char m[32];
        snprintf(m, sizeof m, "{\"n\":%d}", i);
        send_json(&fx.a, m);
    }
    for (int i = 0; i < 10 && fx.sb.nmsgs < 4; i++)
        turns(1);
    ck_assert_int_eq(fx.sb.nmsgs, 4);
    for (int i = 0; i < 4; i++) {
        char m[32];
        snprintf(m, sizeof m, "{\"n\":%d}", i);
        ck_assert_str_eq(seen_text(&fx.sb, i), m);
        ck_assert_int_eq(fx.sb.fds[i] >= 0, i == 0);
    }
    ck_assert_str_eq(fx.sb.types[0], "net.Socket");
    assert_connected(fx.sb.fds[0], sv[1]);
    ck_assert_uint_eq(fx.a.sent, 4);
    ck_assert_uint_eq(fx.b.received, 4);
    ck_assert_int_eq(fx.sa.nmsgs, 0); /* b's ACK reached a, and only as an ACK */
    close(sv[1]);
}
END_TEST

/* ---- disconnect --------------------------------------------------------- */

START_TEST(disconnect_writes_what_was_held_then_eof)
{
    open_raw(0);
    int sv[2];
    passable(sv);
    send_handle(&fx.a, "{\"n\":0}", sv[0], "net.Socket");
    send_json(&fx.a, "{\"n\":1}");
    send_json(&fx.a, "{\"n\":2}");
    scope_channel_disconnect(&fx.a);
    cJSON *late = cJSON_Parse("{\"n\":3}");
    ck_assert_int_eq(scope_channel_send(&fx.a, late), -EPIPE);
    cJSON_Delete(late);
    turns(TURNS);
    ck_assert_ptr_nonnull(strstr(raw_text(), "NODE_HANDLE"));
    ck_assert_str_eq(raw_text(), "");
    ck_assert_int_eq(fx.eof, 0); /* not before the held messages */
    ck_assert_int_eq(fx.sa.disconnects, 0);

    raw_send("{\"cmd\":\"NODE_HANDLE_ACK\"}\n", -1);
    turns(TURNS);
    ck_assert_str_eq(raw_text(), "{\"n\":1}");
    ck_assert_str_eq(raw_text(), "{\"n\":2}");
    ck_assert_str_eq(raw_text(), "");
    ck_assert_int_eq(fx.eof, 1);
    ck_assert_int_eq(fx.sa.disconnects, 1);
    ck_assert_int_eq(fx.sa.disconnect_status, 0);
    ck_assert_int_eq(fx.sa.closes, 1);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(peer_closing_is_a_disconnect)
{
    open_raw(0);
    ck_assert_int_ge(scope_channel_fd(&fx.a), 0);
    close(fx.raw);
    fx.raw = -1;
    turns(TURNS);
    ck_assert_int_eq(fx.sa.disconnects, 1);
    ck_assert_int_eq(fx.sa.disconnect_status, UV_EOF);
    ck_assert_int_eq(fx.sa.closes, 1);
    ck_assert_int_eq(scope_channel_fd(&fx.a), -1);
    cJSON *m = cJSON_CreateObject();
    ck_assert_int_eq(scope_channel_send(&fx.a, m), -EPIPE);
    cJSON_Delete(m);
}
END_TEST

START_TEST(open_env_opens_the_fd_node_names)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    char fd[16];
    snprintf(fd, sizeof fd, "%d", sv[0]);
    setenv("NODE_CHANNEL_FD", fd, 1);
    ck_assert_int_eq(scope_channel_fd(&fx.a), -1); /* not open yet */
    ck_assert_int_eq(scope_channel_open_env(&fx.loop, &fx.a), 0);
    ck_assert_int_eq(scope_channel_fd(&fx.a), sv[0]); /* what the child narrates */
    ck_assert_ptr_null(getenv("NODE_CHANNEL_FD"));
    fx.raw = sv[1];
}
END_TEST

static Suite *channel_suite(void)
{
    Suite *s = suite_create("channel");

    TCase *tc = tcase_create("send_handle");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, handle_holds_later_messages_until_ack);
    tcase_add_test(tc, handle_after_handle_waits_for_the_first_ack);
    tcase_add_test(tc, nack_resends_the_handle_with_its_fd);
    tcase_add_test(tc, nack_gives_up_after_three_resends);
    tcase_add_test(tc, internal_messages_go_out_while_a_handle_waits);
    tcase_add_test(tc, handle_needs_a_socket);
    suite_add_tcase(s, tc);

    tc = tcase_create("receive");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, received_handle_is_acked_and_delivered);
    tcase_add_test(tc, handle_line_without_its_fd_is_nacked);
    tcase_add_test(tc, internal_messages_are_not_delivered);
    tcase_add_test(tc, cluster_messages_reach_on_internal_with_their_handle);
    tcase_add_test(tc, stray_fds_are_bounded);
    tcase_add_test(tc, handle_of_any_kind_is_delivered);
    tcase_add_test(tc, refused_lines_are_reported_and_the_channel_goes_on);
    suite_add_tcase(s, tc);

    tc = tcase_create("print");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, messages_are_printed_as_cjson_prints_them);
    tcase_add_test(tc, a_line_the_socket_does_not_take_at_once_arrives_whole);
    suite_add_tcase(s, tc);

    tc = tcase_create("pair");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, two_channels_pass_a_handle_and_keep_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("disconnect");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, disconnect_writes_what_was_held_then_eof);
    tcase_add_test(tc, peer_closing_is_a_disconnect);
    tcase_add_test(tc, open_env_opens_the_fd_node_names);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(channel_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
