/* libFuzzer target for lib/channel.c's receive side: what a peer writes on
 * Node's IPC channel (messages, NODE_HANDLE lines with or without their fd,
 * NODE_HANDLE_ACK and NACK, other NODE_ lines, malformed, blank and oversize
 * lines), with fds of several kinds riding on some of the writes.
 *
 *   make fuzz            (or by hand, after `make BUILD=build-fuzz ...`:)
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ilib \
 *       -I/usr/include/cjson tests/fuzz/fuzz_channel.c build-fuzz/libipcscope.a \
 *       -luv -lcjson -lm -o fuzz_channel
 *   ./fuzz_channel -max_total_time=60 corpus_dir/
 *
 * Each input gets a fresh uv loop and a socketpair: the channel opens on one
 * end, and the other end, playing the peer, writes the stream in chunks
 * (sendmsg, an fd attached to some), turning the loop after each, then shuts
 * down its side; the loop runs until the channel has read the EOF and closed.
 *
 * Input layout: byte 0 is max_message (0 means the default, anything else a
 * tiny limit so that oversize lines are common); byte 1: bit 0, our side has
 * sent a handle first and awaits its ACK (so the peer's ACK and NACK lines
 * matter); bit 1, on_message answers each message, which queues behind that
 * handle; bits 2-7 turn which kind of fd goes first; byte 2 is the largest
 * chunk minus one (a chunk is never under 1/32 of the stream, so that the
 * writes stay few; lib/framing's own target cuts streams finer); byte 3 says
 * which chunks carry an fd (chunk i when bit i % 8 is set); the rest is the
 * stream.
 *
 * What must hold:
 *   - no crash, no leak, no use of a closed handle, no hang;
 *   - every line ('\n'-terminated, and an unfinished last line once it is too
 *     long) ends in exactly one of on_message, on_error or an internal
 *     message, as a line-by-line model says (a NODE_HANDLE line is delivered
 *     with its fd and answered with an ACK, or answered with a NACK);
 *   - counters: received == on_message calls, refused == on_error calls,
 *     received + refused <= lines, bytes_received <= the bytes written;
 *   - every fd the peer passed is handed to on_message, closed as a stray or
 *     still waiting for its NODE_HANDLE line when the peer goes, whatever its
 *     kind; and none of ours is left open afterwards (the process's open fds
 *     are counted before and after);
 *   - on_disconnect and on_close each come once, and the loop closes clean.
 * A violation aborts, which libFuzzer reports as a crash.
 */
#include "channel.h"
#include "json_line.h"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

typedef struct {
    scope_channel_t ch;
    int reply;
    uint64_t messages, with_fd, errors;
    int disconnects, closes;
    size_t pending_at_end, held_by_libuv;
} run_t;

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    CHECK(d != NULL);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* ---- the channel's callbacks ------------------------------------------- */

static void on_message(scope_channel_t *ch, cJSON *msg, int fd, const char *type)
{
    run_t *r = ch->data;
    r->messages++;
    CHECK(ch->message_bytes >= 1);
    if (fd >= 0) {
        CHECK(type != NULL);
        CHECK(fcntl(fd, F_GETFD) >= 0); /* a live fd, ours to close */
        close(fd);
        r->with_fd++;
    } else {
        CHECK(msg != NULL);
    }
    if (r->reply) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddNumberToObject(a, "got", (double)r->messages);
        scope_channel_send(ch, a);
        cJSON_Delete(a);
    }
}

static void on_error(scope_channel_t *ch, const scope_frame_error_t *err)
{
    run_t *r = ch->data;
    CHECK(memchr(err->reason, '\0', sizeof err->reason) != NULL);
    CHECK(err->kind == SCOPE_FRAME_OVERSIZE || err->kind == SCOPE_FRAME_BLANK ||
          err->kind == SCOPE_FRAME_MALFORMED);
    r->errors++;
}

static void on_disconnect(scope_channel_t *ch, int status)
{
    run_t *r = ch->data;
    r->disconnects++;
    CHECK(status == UV_EOF);
    r->pending_at_end = ch->npending_fds;
    r->held_by_libuv = (size_t)uv_pipe_pending_count(&ch->pipe);
}

static void on_close(scope_channel_t *ch)
{
    run_t *r = ch->data;
    r->closes++;
}

/* ---- the model --------------------------------------------------------- */

typedef struct {
    uint64_t lines, bad, plain, handles;
} expect_t;

/* What one complete line must become, judged on its own (json_line.h). */
static void judge_line(expect_t *e, const char *line, size_t len, size_t max)
{
    e->lines++;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    cJSON *v = len > max || json_line_blank(line, len) ? NULL : json_line_parse(line, len);
    if (!v) {
        e->bad++;
        return;
    }
    if (!scope_channel_is_internal(v))
        e->plain++;
    else if (strcmp(cJSON_GetObjectItemCaseSensitive(v, "cmd")->valuestring, "NODE_HANDLE") == 0)
        e->handles++;
    cJSON_Delete(v);
}

static expect_t model(const char *s, size_t n, size_t max)
{
    expect_t e = {0};
    size_t start = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\n') {
            judge_line(&e, s + start, i - start, max);
            start = i + 1;
        }
    /* An unfinished last line, already too long: past max + 1 bytes, or at
     * max + 1 unless its last is a '\r' that a '\n' would strip. */
    size_t tail = n - start;
    if (tail > max + 1 || (tail == max + 1 && s[n - 1] != '\r')) {
        e.lines++;
        e.bad++;
    }
    return e;
}

/* ---- the peer ---------------------------------------------------------- */

/* An fd of the given kind, to pass: what node passes (a Unix or TCP socket,
 * a UDP socket) and what only a careless peer would (a pipe, a file). */
static int make_fd(int kind)
{
    int fd = -1, sv[2];
    switch (kind % 5) {
    case 0:
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        close(sv[1]);
        fd = sv[0];
        break;
    case 1:
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        break;
    case 2:
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        break;
    case 3:
        CHECK(pipe2(sv, O_CLOEXEC) == 0);
        close(sv[1]);
        fd = sv[0];
        break;
    default:
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        break;
    }
    CHECK(fd >= 0);
    return fd;
}

static void peer_write(int peer, const char *p, size_t len, int fd)
{
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {(void *)p, len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        memset(cbuf, 0, sizeof cbuf);
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof cbuf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    CHECK(sendmsg(peer, &mh, MSG_NOSIGNAL) == (ssize_t)len);
}

/* What our side writes back, read as it comes (a peer that stopped reading
 * would fill the socket, and what is still queued when the channel reads
 * EOF is dropped, as node drops it); fds that ride on it are closed. */
static struct {
    char buf[1 << 20];
    size_t have;
} answers;

static void peer_read(int peer)
{
    for (;;) {
        char cbuf[CMSG_SPACE(16 * sizeof(int))];
        struct iovec iov = {answers.buf + answers.have, sizeof answers.buf - answers.have};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                            .msg_controllen = sizeof cbuf};
        ssize_t k = recvmsg(peer, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (k <= 0)
            break;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < nfd; i++) {
                    int fd;
                    memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                    close(fd);
                }
            }
        answers.have += (size_t)k;
        CHECK(answers.have < sizeof answers.buf);
    }
}

/* Counts the ACKs and NACKs among the answers. */
static void count_answers(uint64_t *acks, uint64_t *nacks)
{
    const char *buf = answers.buf;
    size_t have = answers.have;
    const char *ack = "{\"cmd\":\"NODE_HANDLE_ACK\"}\n", *nack = "{\"cmd\":\"NODE_HANDLE_NACK\"}\n";
    for (size_t at = 0; at < have;) {
        const char *nl = memchr(buf + at, '\n', have - at);
        CHECK(nl != NULL); /* our side writes whole lines */
        size_t len = (size_t)(nl - (buf + at)) + 1;
        if (len == strlen(ack) && memcmp(buf + at, ack, len) == 0)
            (*acks)++;
        if (len == strlen(nack) && memcmp(buf + at, nack, len) == 0)
            (*nacks)++;
        at += len;
    }
}

static uint32_t next_rng(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    signal(SIGPIPE, SIG_IGN); /* as a program using lib/channel does */
    /* libuv's first loop opens a pipe for the whole process (its signal
     * lock), kept to the end: opened here, it is not counted as a leak. */
    uv_loop_t loop;
    CHECK(uv_loop_init(&loop) == 0);
    CHECK(uv_loop_close(&loop) == 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    size_t max_message = data[0];
    unsigned setup = data[1];
    size_t max_chunk = (size_t)data[2] + 1;
    unsigned fd_mask = data[3];
    uint32_t rng = ((uint32_t)data[2] << 8 | data[3]) | 0x10000u;
    const char *s = (const char *)data + 4;
    size_t n = size - 4;
    const size_t max = max_message ? max_message : SCOPE_CHANNEL_MAX_MESSAGE;

    int fds_before = open_fds();
    uv_loop_t loop;
    CHECK(uv_loop_init(&loop) == 0);
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);

    run_t *r = calloc(1, sizeof *r);
    CHECK(r != NULL);
    r->reply = (setup & 2) != 0;
    r->ch = (scope_channel_t){.data = r, .on_message = on_message, .on_error = on_error,
                              .on_disconnect = on_disconnect, .on_close = on_close,
                              .max_message = max_message};
    CHECK(scope_channel_open(&loop, &r->ch, sv[0]) == 0);

    if (setup & 1) { /* a handle of ours on its way: the peer's ACK or NACK decides */
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "hello", "handle");
        int fd = make_fd(0);
        CHECK(scope_channel_send_handle(&r->ch, m, fd, "net.Socket") > 0);
        close(fd);
        CHECK(scope_channel_send(&r->ch, m) > 0); /* held until the ACK */
        cJSON_Delete(m);
    }

    answers.have = 0;
    uint64_t fds_sent = 0;
    for (size_t pos = 0, i = 0; pos < n; i++) {
        size_t k = 1 + next_rng(&rng) % max_chunk;
        if (k < n / 32) /* at most about 32 writes: a write and a turn cost syscalls */
            k = n / 32;
        if (k > n - pos)
            k = n - pos;
        int fd = -1;
        if (fd_mask >> (i % 8) & 1) {
            fd = make_fd((int)(fds_sent + (setup >> 2)));
            fds_sent++;
        }
        peer_write(sv[1], s + pos, k, fd);
        if (fd >= 0)
            close(fd); /* the one in flight is the kernel's until it is read */
        pos += k;
        uv_run(&loop, UV_RUN_NOWAIT);
        peer_read(sv[1]);
    }
    /* The peer hangs up only once all our side had to say has gone out. */
    for (int turn = 0; turn < 1000 && r->ch.open &&
                       uv_stream_get_write_queue_size((uv_stream_t *)&r->ch.pipe) > 0;
         turn++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        peer_read(sv[1]);
    }
    CHECK(shutdown(sv[1], SHUT_WR) == 0);
    uv_run(&loop, UV_RUN_DEFAULT); /* until the EOF is read and the channel closed */

    CHECK(r->disconnects == 1);
    CHECK(r->closes == 1);
    CHECK(uv_loop_close(&loop) == 0);

    uint64_t acks = 0, nacks = 0;
    peer_read(sv[1]);
    count_answers(&acks, &nacks);
    close(sv[1]);

    expect_t e = model(s, n, max);
    scope_channel_t *ch = &r->ch;
    CHECK(r->errors == e.bad);
    CHECK(r->messages - r->with_fd == e.plain);
    CHECK(acks == r->with_fd);
    CHECK(acks + nacks == e.handles);
    CHECK(ch->received == r->messages);
    CHECK(ch->refused == r->errors);
    CHECK(ch->received + ch->refused <= e.lines);
    CHECK(ch->bytes_received <= n);
    CHECK(r->held_by_libuv == 0);
    CHECK(r->with_fd + ch->stray_fds + r->pending_at_end == fds_sent);

    free(r);
    CHECK(open_fds() == fds_before);
    return 0;
}
