/* chanpeer: one side of lib/channel's interoperability test, in C. Its twin
 * tests/helpers/chanpeer.js is the same side in node, so that any pairing of
 * C and node can be run:
 *
 *   chanpeer parent CMD [ARG...]   fork CMD with a channel at fd 3, then:
 *     1. {"hello":"world"}            -> expects {"echo":{"hello":"world"}}
 *     2. Chinese text, U+2028/U+2029 -> expects the same text back
 *     3. a 2 MiB string               -> expects it back whole
 *     4. a listening TCP socket passed with {"serve":true} (as
 *        child.send(msg, server)); connects to it and reads the child's line
 *     5. (with --malformed) a malformed line, then {"after":1} echoed back
 *     6. disconnects; expects the child to exit 0
 *   chanpeer child                  echo every message as {"echo":msg}; serve
 *                                   one connection on a passed socket; exit 0
 *                                   when the parent disconnects.
 *
 * It prints "ok N what" for each step and exits 0 only when all passed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channel.h"
#include "spawn.h"

static uv_loop_t *loop;
static scope_channel_t ch;
static scope_child_t child;
static int step, failures, malformed, child_exited = -1, disconnected;
static char *big;
static const char *zh = "你好，世界 \xe2\x80\xa8 line\xe2\x80\xa9sep \"quoted\" \\ \n end";
#define BIG_LEN (2u * 1024u * 1024u)

static void fail(const char *what)
{
    printf("FAILED step %d: %s\n", step, what);
    fflush(stdout);
    failures++;
}

static void ok(const char *what)
{
    printf("ok %d %s\n", step, what);
    fflush(stdout);
}

/* ---- child -------------------------------------------------------------- */

static void child_on_message(scope_channel_t *c, cJSON *msg, int fd, const char *type)
{
    if (fd >= 0) {
        /* A passed listening socket: serve one connection on it. */
        int conn;
        int flags = 0;
        (void)type;
        do
            conn = accept4(fd, NULL, NULL, flags);
        while (conn < 0 && (errno == EINTR || errno == EAGAIN) && usleep(1000) == 0);
        if (conn >= 0) {
            char line[64];
            int n = snprintf(line, sizeof line, "served by C child %ld\n", (long)getpid());
            if (write(conn, line, (size_t)n) < 0)
                perror("write");
            close(conn);
        }
        close(fd);
        cJSON *r = cJSON_CreateObject();
        cJSON_AddBoolToObject(r, "served", conn >= 0);
        scope_channel_send(c, r);
        cJSON_Delete(r);
        return;
    }
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "echo", cJSON_Duplicate(msg, 1));
    scope_channel_send(c, r);
    cJSON_Delete(r);
}

static void child_on_error(scope_channel_t *c, const scope_frame_error_t *err)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "refused", err->reason);
    scope_channel_send(c, r);
    cJSON_Delete(r);
}

static void child_on_disconnect(scope_channel_t *c, int status)
{
    (void)c;
    fprintf(stderr, "C child: disconnect (%s)\n", uv_err_name(status));
    disconnected = 1;
}

static int run_child(void)
{
    ch.on_message = child_on_message;
    ch.on_error = child_on_error;
    ch.on_disconnect = child_on_disconnect;
    int r = scope_channel_open_env(loop, &ch);
    if (r < 0) {
        fprintf(stderr, "chanpeer child: no channel: %s\n", strerror(-r));
        return 1;
    }
    if (getenv("NODE_CHANNEL_FD")) {
        fprintf(stderr, "chanpeer child: NODE_CHANNEL_FD still set\n");
        return 1;
    }
    uv_run(loop, UV_RUN_DEFAULT);
    return disconnected ? 0 : 1;
}

/* ---- parent ------------------------------------------------------------- */

static int listen_fd = -1, port;
static void next_step(void);

static void send_obj(cJSON *m)
{
    if (scope_channel_send(&ch, m) < 0)
        fail("send");
    cJSON_Delete(m);
}

static void serve_test(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    socklen_t len = sizeof a;
    if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(listen_fd, 1) < 0 ||
        getsockname(listen_fd, (struct sockaddr *)&a, &len) < 0) {
        fail("listen");
        return;
    }
    port = ntohs(a.sin_port);
    cJSON *m = cJSON_CreateObject();
    cJSON_AddBoolToObject(m, "serve", 1);
    if (scope_channel_send_handle(&ch, m, listen_fd, "net.Server") < 0)
        fail("send_handle");
    cJSON_Delete(m);
    close(listen_fd); /* the channel holds its own duplicate until the ACK */
    /* Connect as a client; the child accepts on the passed socket. The
     * connection queues in the backlog until then, so this cannot race. */
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof a) < 0) {
        fail("connect");
        close(c);
        return;
    }
    char line[128] = "";
    ssize_t n, got = 0;
    while ((n = read(c, line + got, sizeof line - 1 - (size_t)got)) > 0)
        got += n;
    close(c);
    line[got > 0 ? got : 0] = '\0';
    if (strncmp(line, "served by", 9) != 0)
        fail("the passed socket did not serve the client");
    else
        printf("   client read: %s", line);
}

static void next_step(void)
{
    step++;
    cJSON *m = cJSON_CreateObject();
    switch (step) {
    case 1:
        cJSON_AddStringToObject(m, "hello", "world");
        send_obj(m);
        return;
    case 2:
        cJSON_AddStringToObject(m, "text", zh);
        send_obj(m);
        return;
    case 3:
        cJSON_AddStringToObject(m, "big", big);
        send_obj(m);
        return;
    case 4:
        cJSON_Delete(m);
        serve_test();
        return;
    case 5:
        if (malformed) {
            cJSON_Delete(m);
            scope_channel_write_raw(&ch, "{oops: not json\n", 16);
            return;
        }
        step++;
        /* fall through */
    case 6:
        cJSON_AddNumberToObject(m, "after", 1);
        send_obj(m);
        return;
    default:
        cJSON_Delete(m);
        scope_channel_disconnect(&ch);
    }
}

static void parent_on_message(scope_channel_t *c, cJSON *msg, int fd, const char *type)
{
    (void)c;
    (void)type;
    if (fd >= 0)
        close(fd);
    const cJSON *echo = cJSON_GetObjectItemCaseSensitive(msg, "echo");
    const cJSON *v;
    switch (step) {
    case 1:
        v = cJSON_GetObjectItemCaseSensitive(echo, "hello");
        cJSON_IsString(v) && strcmp(v->valuestring, "world") == 0 ? ok("hello echoed")
                                                                  : fail("hello");
        break;
    case 2:
        v = cJSON_GetObjectItemCaseSensitive(echo, "text");
        cJSON_IsString(v) && strcmp(v->valuestring, zh) == 0 ? ok("Chinese and U+2028 intact")
                                                             : fail("text changed");
        break;
    case 3:
        v = cJSON_GetObjectItemCaseSensitive(echo, "big");
        cJSON_IsString(v) && strcmp(v->valuestring, big) == 0 ? ok("2 MiB message intact")
                                                              : fail("2 MiB message");
        break;
    case 4:
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "served"))
            ? ok("passed socket served a TCP client")
            : fail("child did not serve");
        break;
    case 5:
        cJSON_IsString(cJSON_GetObjectItemCaseSensitive(msg, "refused"))
            ? ok("malformed line refused by the child, channel goes on")
            : fail("malformed line not reported");
        break;
    case 6:
        v = cJSON_GetObjectItemCaseSensitive(echo, "after");
        cJSON_IsNumber(v) ? ok("message after that echoed") : fail("after");
        break;
    default:
        fail("unexpected message");
        return;
    }
    next_step();
}

static void parent_on_disconnect(scope_channel_t *c, int status)
{
    (void)c;
    printf("   parent: disconnect (%s)\n", status == 0 ? "ours" : uv_err_name(status));
}

static void on_child_exit(scope_child_t *c, int status, int sig)
{
    (void)c;
    child_exited = sig ? 128 + sig : status;
}

static int run_parent(char **argv)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return perror("socketpair"), 1;
    scope_spawn_fd_t fds[] = {{.parent_fd = sv[1], .child_fd = 3}};
    const char *env[] = {"NODE_CHANNEL_FD=3", "NODE_CHANNEL_SERIALIZATION_MODE=json", NULL};
    scope_spawn_options_t o = {.file = argv[0], .argv = argv, .setenv = env,
                               .fds = fds, .nfds = 1, .death_signal = SIGKILL};
    int r = scope_spawn(loop, &child, &o, on_child_exit);
    close(sv[1]);
    if (r < 0) {
        fprintf(stderr, "chanpeer: cannot start %s: %s\n", argv[0], strerror(-r));
        return 1;
    }
    ch.on_message = parent_on_message;
    ch.on_disconnect = parent_on_disconnect;
    if (scope_channel_open(loop, &ch, sv[0]) < 0)
        return 1;
    big = malloc(BIG_LEN + 1);
    for (size_t i = 0; i < BIG_LEN; i++)
        big[i] = (char)('a' + i % 26);
    big[BIG_LEN] = '\0';
    next_step();
    uv_run(loop, UV_RUN_DEFAULT);
    free(big);
    if (step < 7)
        fail("not every step ran");
    step = 8;
    child_exited == 0 ? ok("child exited 0 after disconnect") : fail("child exit status");
    scope_spawn_shutdown(loop);
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    loop = uv_default_loop();
    int r;
    if (argc >= 2 && strcmp(argv[1], "child") == 0) {
        r = run_child();
    } else if (argc >= 3 && strcmp(argv[1], "parent") == 0) {
        int a = 2;
        if (strcmp(argv[a], "--malformed") == 0) {
            malformed = 1;
            a++;
        }
        r = run_parent(argv + a);
    } else {
        fprintf(stderr, "usage: chanpeer child | chanpeer parent [--malformed] CMD [ARG...]\n");
        return 2;
    }
    uv_loop_close(loop);
    return r;
}
