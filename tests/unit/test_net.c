/* Unit tests for lib/net.c: addresses, the private directory, socket-file
 * probing, peer credentials, and scope_conn_t over a real socketpair on a
 * real libuv loop. Each test that makes files does so in its own mkdtemp
 * directory and removes it. */
#include "addr.h"
#include "conn.h"
#include "unixsock.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- addresses --------------------------------------------------------- */

static const char *fmt(const char *spec, const char *host, int port)
{
    static char out[SCOPE_ADDR_STRLEN];
    struct sockaddr_storage ss;
    int r = scope_addr_parse(spec, host, port, &ss);
    if (r < 0) {
        snprintf(out, sizeof out, "error %d", r);
        return out;
    }
    return scope_addr_format((struct sockaddr *)&ss, out, sizeof out);
}

START_TEST(addr_forms)
{
    ck_assert_str_eq(fmt("10.1.2.3:4000", "127.0.0.1", 0), "10.1.2.3:4000");
    ck_assert_str_eq(fmt(":4000", "127.0.0.1", 0), "127.0.0.1:4000");
    ck_assert_str_eq(fmt("4000", "127.0.0.1", 0), "127.0.0.1:4000");
    ck_assert_str_eq(fmt("10.0.0.2", "127.0.0.1", 7000), "10.0.0.2:7000");
    ck_assert_str_eq(fmt("[::1]:80", "127.0.0.1", 0), "[::1]:80");
    ck_assert_str_eq(fmt("[::1]", "127.0.0.1", 9), "[::1]:9");
    ck_assert_str_eq(fmt("0.0.0.0:0", "127.0.0.1", 5), "0.0.0.0:0");
    ck_assert_str_eq(fmt("localhost:22", "127.0.0.1", 0), "127.0.0.1:22");
}
END_TEST

START_TEST(addr_refused)
{
    const char *bad[] = {"", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:+5",
                         "1.2.3.4:80x", "::1:80", "[::1", "[]:80", "[::1]x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sockaddr_storage ss;
        ck_assert_msg(scope_addr_parse(bad[i], "127.0.0.1", 0, &ss) == -EINVAL, "accepted '%s'",
                      bad[i]);
    }
    struct sockaddr_storage ss;
    ck_assert_int_eq(scope_addr_parse("no-such-host.invalid:80", "127.0.0.1", 0, &ss), -ENOENT);
}
END_TEST

START_TEST(addr_loopback)
{
    struct sockaddr_storage ss;
    scope_addr_parse("127.0.0.9:1", "", 0, &ss);
    ck_assert(scope_addr_is_loopback((struct sockaddr *)&ss));
    scope_addr_parse("[::1]:1", "", 0, &ss);
    ck_assert(scope_addr_is_loopback((struct sockaddr *)&ss));
    scope_addr_parse("0.0.0.0:1", "", 0, &ss);
    ck_assert(!scope_addr_is_loopback((struct sockaddr *)&ss));
    ck_assert_int_eq(scope_addr_port((struct sockaddr *)&ss), 1);
}
END_TEST

/* ---- the private directory ----------------------------------------------- */

START_TEST(bind_loopback_gives_a_port)
{
    struct sockaddr_storage a;
    int fd = scope_addr_bind_loopback(SOCK_DGRAM, &a);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_gt(scope_addr_port((struct sockaddr *)&a), 0);
    ck_assert_int_eq(scope_addr_is_loopback((struct sockaddr *)&a), 1);
    ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
    ck_assert_int_lt(scope_addr_bind_loopback(12345, &a), 0);
}
END_TEST

START_TEST(rundir_is_private)
{
    char dir[256];
    ck_assert_int_eq(scope_rundir_make("test", dir, sizeof dir), 0);
    struct stat st;
    ck_assert_int_eq(lstat(dir, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    ck_assert_int_eq(scope_rundir_check(dir), 0);
    chmod(dir, 0755);
    ck_assert_int_eq(scope_rundir_check(dir), -EPERM);
    ck_assert_int_eq(scope_rundir_remove(dir), 0);
    ck_assert_int_eq(scope_rundir_check(dir), -ENOENT);

    char small[8];
    ck_assert_int_eq(scope_rundir_make("test", small, sizeof small), -ENAMETOOLONG);
}
END_TEST

/* A run killed with SIGKILL leaves its directory; the next run sweeps it
 * (sockets, FIFOs, the owner record), and leaves alone a live run's, one
 * with other files in it, and anything not ours. */
static int listen_at(const char *path, int do_listen);

static void make_dir_owned_by(const char *dir, long pid)
{
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    char path[900];
    snprintf(path, sizeof path, "%s/.owner", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%ld\n", pid);
    fclose(f);
}

START_TEST(rundir_sweeps_dead_runs_only)
{
    const char *tmp = getenv("TMPDIR");
    char base[700], saved[256];
    snprintf(saved, sizeof saved, "%.200s", tmp ? tmp : "/tmp");
    snprintf(base, sizeof base, "%s/sweep-test.XXXXXX", saved);
    ck_assert_ptr_nonnull(mkdtemp(base));
    unsetenv("XDG_RUNTIME_DIR");
    setenv("TMPDIR", base, 1);
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0); /* reaped: its pid is free */

    char gone[800], live[800], busy[800], other[800], path[900];
    snprintf(gone, sizeof gone, "%s/ipcscope-unix-socket.AAAAAA", base);
    snprintf(live, sizeof live, "%s/ipcscope-unix-socket.BBBBBB", base);
    snprintf(busy, sizeof busy, "%s/ipcscope-unix-socket.CCCCCC", base);
    snprintf(other, sizeof other, "%s/not-ours.DDDDDD", base);
    make_dir_owned_by(gone, dead);
    snprintf(path, sizeof path, "%s/down.fifo", gone);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    snprintf(path, sizeof path, "%s/s.sock", gone);
    ck_assert_int_eq(listen_at(path, 0) >= 0, 1);
    make_dir_owned_by(live, getpid());
    make_dir_owned_by(busy, dead);
    snprintf(path, sizeof path, "%s/notes.txt", busy); /* not ours to remove */
    fclose(fopen(path, "w"));
    make_dir_owned_by(other, dead);

    char fresh[800];
    ck_assert_int_eq(scope_rundir_make("unix-socket", fresh, sizeof fresh), 0);
    struct stat st;
    ck_assert_int_eq(lstat(gone, &st), -1);        /* swept */
    ck_assert_int_eq(lstat(live, &st), 0);         /* its owner runs */
    ck_assert_int_eq(lstat(busy, &st), 0);         /* holds something else */
    ck_assert_int_eq(lstat(other, &st), 0);        /* not ipcscope-* */
    ck_assert_int_eq(lstat(fresh, &st), 0);
    ck_assert_int_eq(scope_rundir_sweep(), 0);     /* the fresh one is ours, alive */
    ck_assert_int_eq(scope_rundir_remove(fresh), 0); /* its record goes with it */

    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    ck_assert_int_eq(system(cmd), 0);
    setenv("TMPDIR", saved, 1);
}
END_TEST

/* ---- socket files --------------------------------------------------------- */

static int listen_at(const char *path, int do_listen)
{
    struct sockaddr_un sa;
    int len = scope_unix_addr(path, 0, &sa);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, (socklen_t)len), 0);
    if (do_listen)
        ck_assert_int_eq(listen(fd, 4), 0);
    return fd;
}

START_TEST(probe_free_live_stale_other)
{
    char dir[256], path[300];
    ck_assert_int_eq(scope_rundir_make("test", dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/s.sock", dir);

    ck_assert_int_eq(scope_unix_probe(path), SCOPE_UNIX_FREE);
    int fd = listen_at(path, 1);
    ck_assert_int_eq(scope_unix_probe(path), -EADDRINUSE);
    close(fd); /* the file stays: now it is stale */
    ck_assert_int_eq(scope_unix_probe(path), SCOPE_UNIX_STALE);
    unlink(path);

    FILE *f = fopen(path, "w");
    fclose(f);
    ck_assert_int_eq(scope_unix_probe(path), -ENOTSOCK);
    unlink(path);
    ck_assert_int_eq(scope_rundir_remove(dir), 0);
}
END_TEST

START_TEST(unix_addr_limits)
{
    struct sockaddr_un sa;
    char longpath[200];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    ck_assert_int_eq(scope_unix_addr(longpath, 0, &sa), -ENAMETOOLONG);
    ck_assert_int_eq(scope_unix_addr("", 0, &sa), -ENAMETOOLONG);
    int len = scope_unix_addr("ipcscope-x", 1, &sa);
    ck_assert_int_eq(len, (int)(offsetof(struct sockaddr_un, sun_path) + 1 + 10));
    ck_assert_int_eq(sa.sun_path[0], '\0');
    char out[SCOPE_ADDR_STRLEN];
    ck_assert_str_eq(scope_addr_format((struct sockaddr *)&sa, out, sizeof out), "@ipcscope-x");
}
END_TEST

START_TEST(peer_cred_is_ours)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    pid_t pid;
    uid_t uid;
    gid_t gid;
    ck_assert_int_eq(scope_peer_cred(sv[0], &pid, &uid, &gid), 0);
    ck_assert_int_eq(pid, getpid());
    ck_assert_int_eq(uid, geteuid());
    ck_assert_int_eq(gid, getegid());
    close(sv[0]);
    close(sv[1]);
    ck_assert_int_eq(scope_peer_cred(-1, &pid, &uid, &gid), -EBADF);
}
END_TEST

/* The abstract namespace: a name to bind and connect, no file; a name held
 * by a live socket is in use, and nobody holds it once that one is closed. */
START_TEST(abstract_bind_and_connect)
{
    char name[64];
    snprintf(name, sizeof name, "ipcscope-test-abstract.%ld", (long)getpid());
    int srv = scope_unix_bind_abstract(name);
    ck_assert_int_ge(srv, 0);
    ck_assert_int_eq(listen(srv, 4), 0);
    ck_assert_int_eq(scope_unix_bind_abstract(name), -EADDRINUSE);
    int cli = scope_unix_connect_abstract(name);
    ck_assert_int_ge(cli, 0);
    ck_assert_int_ne(fcntl(cli, F_GETFD) & FD_CLOEXEC, 0);
    close(cli);
    close(srv);
    ck_assert_int_eq(scope_unix_connect_abstract(name), -ECONNREFUSED);
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ck_assert_int_eq(scope_unix_bind_abstract(longname), -ENAMETOOLONG);
}
END_TEST

static int fifo_fd = -100;
static void on_fifo(scope_fifo_open_t *o, int fd)
{
    ck_assert_int_eq(o->pending, 0);
    fifo_fd = fd;
}

/* A FIFO's open() waits in the thread pool until the other end opens, and
 * scope_fifo_cancel lets a waiting one go. */
START_TEST(fifo_open_waits_then_cancels)
{
    char dir[256], path[300];
    uv_loop_t loop;
    scope_fifo_open_t o;
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    ck_assert_int_eq(scope_rundir_make("test", dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/f.fifo", dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);

    ck_assert_int_eq(scope_fifo_open(&loop, &o, path, O_RDONLY | O_CLOEXEC, on_fifo), 0);
    usleep(50000); /* the worker is in open() by now, most likely: it waits there */
    uv_run(&loop, UV_RUN_NOWAIT);
    ck_assert_int_eq(o.pending, 1);
    int w = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    ck_assert_int_ge(w, 0);
    while (o.pending)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert_int_ge(fifo_fd, 0);
    close(fifo_fd);
    close(w);

    /* nobody will read: only the cancel lets this one go */
    ck_assert_int_eq(scope_fifo_open(&loop, &o, path, O_WRONLY | O_CLOEXEC, on_fifo), 0);
    usleep(50000);
    scope_fifo_cancel(&o);
    while (o.pending)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert_int_eq(fifo_fd, UV_ECANCELED);
    scope_fifo_cancel(&o); /* not pending: nothing */
    ck_assert_int_eq(uv_run(&loop, UV_RUN_NOWAIT), 0);

    unlink(path);
    ck_assert_int_eq(scope_rundir_remove(dir), 0);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* ---- connections ----------------------------------------------------------- */

typedef struct {
    char frames[16][128];
    size_t lens[16];
    int nframes, nerrors, ended, closed, end_status;
} seen_t;

static void rec_frame(scope_conn_t *c, const char *data, size_t len)
{
    seen_t *s = c->data;
    if (s->nframes < 16) {
        size_t n = len < 127 ? len : 127;
        memcpy(s->frames[s->nframes], data, n);
        s->frames[s->nframes][n] = '\0';
        s->lens[s->nframes] = len;
    }
    s->nframes++;
}
static void rec_error(scope_conn_t *c, const scope_frame_error_t *e)
{
    (void)e;
    ((seen_t *)c->data)->nerrors++;
}
static void rec_end(scope_conn_t *c, int status)
{
    seen_t *s = c->data;
    s->ended++;
    s->end_status = status;
}
static void rec_close(scope_conn_t *c)
{
    ((seen_t *)c->data)->closed++;
}

static int pair_coalesce;        /* coalesce for the next open_pair */
static uint64_t pair_partial_ms; /* partial_ms for the next open_pair */
static size_t pair_max_queued;   /* max_queued for the next open_pair */
static scope_conn_frame_cb pair_on_frame; /* on_frame for the next, when not rec_frame */

/* A conn on one end of a socketpair; the test writes and reads the other. */
static void open_pair(uv_loop_t *loop, scope_conn_t *c, seen_t *s, int *peer,
                      scope_conn_framing_t framing, size_t max, uint64_t idle_ms)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    memset(c, 0, sizeof *c);
    memset(s, 0, sizeof *s);
    c->data = s;
    ck_assert_int_eq(scope_conn_init_pipe(loop, c, NULL), 0);
    ck_assert_int_eq(uv_pipe_open(&c->h.pipe, sv[0]), 0);
    scope_conn_options_t o = {.framing = framing, .max_frame = max, .idle_ms = idle_ms,
                              .on_frame = pair_on_frame ? pair_on_frame : rec_frame,
                              .on_error = rec_error,
                              .on_end = rec_end, .on_close = rec_close,
                              .partial_ms = pair_partial_ms, .max_queued = pair_max_queued,
                              .coalesce = pair_coalesce};
    pair_coalesce = 0;
    pair_partial_ms = 0;
    pair_max_queued = 0;
    pair_on_frame = NULL;
    ck_assert_int_eq(scope_conn_start(c, &o), 0);
    *peer = sv[1];
}

static void run_until_closed(uv_loop_t *loop, seen_t *s)
{
    for (int i = 0; i < 10000 && !s->closed; i++)
        uv_run(loop, UV_RUN_ONCE);
    ck_assert_int_eq(s->closed, 1);
}

START_TEST(conn_lines_split_and_joined)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_conn_t c;
    seen_t s;
    int peer;
    open_pair(&loop, &c, &s, &peer, SCOPE_CONN_LINES, 16, 0);

    /* two lines in one write, one line in two writes, a blank line, CRLF, and
     * a line past the 16-byte limit that is skipped with the stream going on */
    const char *w = "one\ntwo\nth";
    ck_assert_int_eq(write(peer, w, strlen(w)), (ssize_t)strlen(w));
    uv_run(&loop, UV_RUN_NOWAIT);
    w = "ree\n\r\nfour\r\n01234567890123456789\nfive\nhalf";
    ck_assert_int_eq(write(peer, w, strlen(w)), (ssize_t)strlen(w));
    shutdown(peer, SHUT_WR);
    run_until_closed(&loop, &s);

    ck_assert_int_eq(s.nframes, 6);
    ck_assert_str_eq(s.frames[0], "one");
    ck_assert_str_eq(s.frames[1], "two");
    ck_assert_str_eq(s.frames[2], "three");
    ck_assert_str_eq(s.frames[3], "");
    ck_assert_str_eq(s.frames[4], "four");
    ck_assert_str_eq(s.frames[5], "five");
    ck_assert_int_eq(s.nerrors, 1);
    ck_assert_int_eq(s.ended, 1);
    ck_assert_int_eq(s.end_status, 0);
    ck_assert_uint_eq(c.partial_bytes, 4);
    close(peer);
    uv_loop_close(&loop);
}
END_TEST

START_TEST(conn_replies_flushed_before_close)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_conn_t c;
    seen_t s;
    int peer;
    open_pair(&loop, &c, &s, &peer, SCOPE_CONN_LINES, 0, 0);

    ck_assert_int_eq(scope_conn_send(&c, "hello", 5), 0);
    ck_assert_int_eq(scope_conn_send(&c, "a\nb", 3), -EINVAL);
    scope_conn_close(&c);
    ck_assert_int_eq(scope_conn_send(&c, "late", 4), -EPIPE);
    run_until_closed(&loop, &s);
    ck_assert_int_eq(s.ended, 0); /* the owner's own close is not an end */

    char buf[64];
    ssize_t n = read(peer, buf, sizeof buf);
    ck_assert_int_eq(n, 6);
    ck_assert(memcmp(buf, "hello\n", 6) == 0);
    ck_assert_int_eq(read(peer, buf, sizeof buf), 0); /* then EOF */
    ck_assert_uint_eq(c.bytes_out, 6);
    ck_assert_uint_eq(c.frames_out, 1);
    close(peer);
    uv_loop_close(&loop);
}
END_TEST

START_TEST(conn_length_prefixed)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_conn_t c;
    seen_t s;
    int peer;
    open_pair(&loop, &c, &s, &peer, SCOPE_CONN_LENGTH, 8, 0);

    /* a frame with a newline and a NUL inside, one past the limit, one more */
    const unsigned char w[] = {0, 0, 0, 3, 'a', '\n', 0,  0,  0,   0,   9,   '1', '2', '3',
                               '4', '5', '6', '7', '8', '9', 0, 0, 0, 2, 'o', 'k'};
    ck_assert_int_eq(write(peer, w, sizeof w), (ssize_t)sizeof w);
    ck_assert_int_eq(scope_conn_send(&c, "123456789", 9), -EMSGSIZE);
    ck_assert_int_eq(scope_conn_send(&c, "x\ny", 3), 0);
    close(peer);
    run_until_closed(&loop, &s);
    ck_assert_int_eq(s.nframes, 2);
    ck_assert_uint_eq(s.lens[0], 3);
    ck_assert(memcmp(s.frames[0], "a\n\0", 3) == 0);
    ck_assert_str_eq(s.frames[1], "ok");
    ck_assert_int_eq(s.nerrors, 1);
    uv_loop_close(&loop);
}
END_TEST

START_TEST(conn_idle_peer_timed_out)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_conn_t c;
    seen_t s;
    int peer;
    open_pair(&loop, &c, &s, &peer, SCOPE_CONN_LINES, 0, 50);
    run_until_closed(&loop, &s);
    ck_assert_int_eq(s.ended, 1);
    ck_assert_int_eq(s.end_status, UV_ETIMEDOUT);
    char b;
    ck_assert_int_eq(read(peer, &b, 1), 0); /* we hung up on it */
    close(peer);
    uv_loop_close(&loop);
}
END_TEST

START_TEST(conn_close_before_start)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_conn_t c;
    seen_t s;
    memset(&c, 0, sizeof c);
    memset(&s, 0, sizeof s);
    c.data = &s;
    ck_assert_int_eq(scope_conn_init_tcp(&loop, &c, rec_close), 0);
    scope_conn_close(&c);
    scope_conn_close(&c);
    run_until_closed(&loop, &s);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* A Node peer writes "ping" with no newline and waits: after a quiet time
 * the held bytes are a message. */
START_TEST(conn_partial_line_after_quiet)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_conn_t c;
    seen_t s;
    int peer;
    pair_partial_ms = 20;
    open_pair(&loop, &c, &s, &peer, SCOPE_CONN_LINES, 0, 0);
    ck_assert_int_eq(write(peer, "ping", 4), 4);
    for (int i = 0; i < 1000 && s.nframes < 1; i++)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert_int_eq(s.nframes, 1);
    ck_assert_str_eq(s.frames[0], "ping");
    ck_assert_uint_eq(c.partial_frames, 1);
    ck_assert_int_eq(write(peer, "pong\nha", 7), 7); /* a whole line, then half of one */
    for (int i = 0; i < 1000 && s.nframes < 3; i++)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert_int_eq(s.nframes, 3);
    ck_assert_str_eq(s.frames[1], "pong");
    ck_assert_str_eq(s.frames[2], "ha");
    close(peer);
    run_until_closed(&loop, &s);
    ck_assert_int_eq(s.nframes, 3); /* nothing was held at the end */
    uv_loop_close(&loop);
}
END_TEST

/* What a peer wrote last, without a newline, before it ended is a message. */
START_TEST(conn_partial_line_at_eof)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_conn_t c;
    seen_t s;
    int peer;
    pair_partial_ms = 60000;
    open_pair(&loop, &c, &s, &peer, SCOPE_CONN_LINES, 0, 0);
    ck_assert_int_eq(write(peer, "one\nhello", 9), 9);
    shutdown(peer, SHUT_WR);
    run_until_closed(&loop, &s);
    ck_assert_int_eq(s.nframes, 2);
    ck_assert_str_eq(s.frames[1], "hello");
    ck_assert_int_eq(s.ended, 1);
    ck_assert_int_eq(s.end_status, 0);
    ck_assert_uint_eq(c.partial_bytes, 0);
    close(peer);
    uv_loop_close(&loop);
}
END_TEST

/* socket.end(): our side shut, the peer's late answers still read. */
START_TEST(conn_end_keeps_reading)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_conn_t c;
    seen_t s;
    int peer;
    open_pair(&loop, &c, &s, &peer, SCOPE_CONN_LINES, 0, 0);
    ck_assert_int_eq(scope_conn_send(&c, "q1", 2), 0);
    scope_conn_end(&c);
    ck_assert_int_eq(scope_conn_send(&c, "late", 4), -EPIPE);
    for (int i = 0; i < 10; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    char buf[16];
    ck_assert_int_eq(read(peer, buf, sizeof buf), 3);
    ck_assert(memcmp(buf, "q1\n", 3) == 0);
    ck_assert_int_eq(read(peer, buf, sizeof buf), 0); /* our EOF */
    ck_assert_int_eq(s.closed, 0);                    /* still reading */
    ck_assert_int_eq(write(peer, "a1\n", 3), 3);
    close(peer);
    run_until_closed(&loop, &s);
    ck_assert_int_eq(s.nframes, 1);
    ck_assert_str_eq(s.frames[0], "a1");
    ck_assert_int_eq(s.ended, 1);
    ck_assert_int_eq(s.end_status, 0);
    uv_loop_close(&loop);
}
END_TEST

/* A peer that never reads while we write: we hold at most max_queued bytes
 * for it, then it is cut off; the caller's send is refused, not stalled. */
START_TEST(conn_peer_that_never_reads_is_cut_off)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_conn_t c;
    seen_t s;
    int peer;
    pair_max_queued = 256 * 1024;
    open_pair(&loop, &c, &s, &peer, SCOPE_CONN_LINES, 0, 0);
    static char big[60000];
    memset(big, 'x', sizeof big);
    int r = 0, sent = 0;
    while (sent < 1000 && (r = scope_conn_send(&c, big, sizeof big)) == 0)
        sent++;
    ck_assert_int_eq(r, -ENOBUFS);
    ck_assert_int_lt(sent, 1000);
    ck_assert_int_eq(scope_conn_send(&c, "more", 4), -ENOBUFS);
    ck_assert_int_eq(s.ended, 0); /* not inside send: on the loop's next turn */
    run_until_closed(&loop, &s);
    ck_assert_int_eq(s.ended, 1);
    ck_assert_int_eq(s.end_status, UV_ENOBUFS);
    close(peer);
    uv_loop_close(&loop);
}
END_TEST

/* A slowloris: one byte now and then, never a whole line. The idle limit
 * counts from the last whole frame, so it is cut off all the same. */
static int drip_fd, drips;
static void drip(uv_timer_t *t)
{
    (void)t;
    if (send(drip_fd, "a", 1, MSG_NOSIGNAL) == 1) /* the conn may be gone already */
        drips++;
}

START_TEST(conn_dripping_peer_times_out)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_conn_t c;
    seen_t s;
    open_pair(&loop, &c, &s, &drip_fd, SCOPE_CONN_LINES, 0, 200);
    drips = 0;
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    uv_timer_start(&t, drip, 10, 10); /* a byte every 10 ms: twenty per limit */
    for (int i = 0; i < 100000 && !s.closed && drips < 2000; i++)
        uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_msg(s.closed, "still open after %d bytes", drips);
    ck_assert_int_eq(s.end_status, UV_ETIMEDOUT);
    ck_assert_int_eq(s.nframes, 0);
    close(drip_fd);
    uv_loop_close(&loop);
}
END_TEST

/* A paused lesson's quiet peer is not gone: while held, no idle limit runs;
 * released, it counts again. And writable says when sends are over. */
START_TEST(conn_idle_hold_and_writable)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_conn_t c;
    seen_t s;
    int peer;
    open_pair(&loop, &c, &s, &peer, SCOPE_CONN_LINES, 0, 100);
    ck_assert(uv_is_active((uv_handle_t *)&c.timer));
    ck_assert_int_eq(scope_conn_writable(&c), 1);
    scope_conn_idle_hold(&c, 1);
    ck_assert(!uv_is_active((uv_handle_t *)&c.timer));
    ck_assert_int_eq(write(peer, "x\n", 2), 2); /* a frame does not restart it */
    for (int i = 0; i < 20 && s.nframes < 1; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    ck_assert_int_eq(s.nframes, 1);
    ck_assert(!uv_is_active((uv_handle_t *)&c.timer));
    scope_conn_idle_hold(&c, 0);
    ck_assert(uv_is_active((uv_handle_t *)&c.timer));
    scope_conn_end(&c);
    ck_assert_int_eq(scope_conn_writable(&c), 0);
    close(peer);
    run_until_closed(&loop, &s);
    uv_loop_close(&loop);
}
END_TEST

/* Read until each of n connections has its frames (or the loop gives up). */
static void run_until_frames(uv_loop_t *loop, seen_t *const *s, const int *want, int n)
{
    for (int i = 0; i < 1000; i++) {
        int done = 1;
        for (int k = 0; k < n; k++)
            done = done && s[k]->nframes >= want[k];
        if (done)
            return;
        uv_run(loop, UV_RUN_NOWAIT);
    }
}

/* Every connection reads into one buffer of the thread's: a line or frame
 * begun in one read and ended in a later one is whole, though another
 * connection's read filled the buffer in between. */
START_TEST(conn_partial_frames_survive_a_shared_read_buffer)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_conn_t a, b, f;
    seen_t sa, sb, sf;
    int pa, pb, pf;
    open_pair(&loop, &a, &sa, &pa, SCOPE_CONN_LINES, 0, 0);
    open_pair(&loop, &b, &sb, &pb, SCOPE_CONN_LINES, 0, 0);
    open_pair(&loop, &f, &sf, &pf, SCOPE_CONN_LENGTH, 0, 0);
    seen_t *all[] = {&sa, &sb, &sf};
    ck_assert_int_eq(write(pa, "hello, wor", 10), 10);
    ck_assert_int_eq(write(pf, "\0\0\0\x0bhalf a", 10), 10);
    for (int i = 0; i < 1000 && (a.reads < 1 || f.reads < 1); i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    ck_assert_uint_eq(a.reads, 1);
    ck_assert_uint_eq(f.reads, 1);
    ck_assert_int_eq(write(pb, "the other line, longer than the first\n", 38), 38);
    run_until_frames(&loop, all, (int[]){0, 1, 0}, 3);
    ck_assert_int_eq(write(pa, "ld\n", 3), 3);
    ck_assert_int_eq(write(pf, "frame", 5), 5);
    run_until_frames(&loop, all, (int[]){1, 1, 1}, 3);
    ck_assert_int_eq(sa.nframes, 1);
    ck_assert_str_eq(sa.frames[0], "hello, world");
    ck_assert_str_eq(sb.frames[0], "the other line, longer than the first");
    ck_assert_int_eq(sf.nframes, 1);
    ck_assert_str_eq(sf.frames[0], "half aframe");
    ck_assert_uint_eq(a.reads, 2);
    close(pa);
    close(pb);
    close(pf);
    run_until_closed(&loop, &sa);
    run_until_closed(&loop, &sb);
    run_until_closed(&loop, &sf);
    uv_loop_close(&loop);
}
END_TEST

/* RAW: each read as it came, then (started again from on_frame) frames. */
static void raw_then_length(scope_conn_t *c, const char *data, size_t len)
{
    rec_frame(c, data, len);
    scope_conn_options_t o = {.framing = SCOPE_CONN_LENGTH, .on_frame = rec_frame,
                              .on_end = rec_end};
    if (memchr(data, '!', len))
        ck_assert_int_eq(scope_conn_start(c, &o), 0);
}

START_TEST(conn_raw_reads_then_frames)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_conn_t c;
    seen_t s;
    int peer;
    pair_on_frame = raw_then_length;
    open_pair(&loop, &c, &s, &peer, SCOPE_CONN_RAW, 0, 0);
    seen_t *all[] = {&s};
    ck_assert_int_eq(write(peer, "one\ntwo", 7), 7);
    run_until_frames(&loop, all, (int[]){1}, 1);
    ck_assert_int_eq(write(peer, "three!", 6), 6);
    run_until_frames(&loop, all, (int[]){2}, 1);
    ck_assert_str_eq(s.frames[0], "one\ntwo"); /* a read, newline and all */
    ck_assert_str_eq(s.frames[1], "three!");
    ck_assert_uint_eq(c.reads, 2);
    ck_assert_uint_eq(c.bytes_in, 13);
    scope_conn_options_t o = {.framing = SCOPE_CONN_LINES};
    ck_assert_int_eq(scope_conn_start(&c, &o), UV_EALREADY); /* framed now: no more */
    ck_assert_int_eq(write(peer, "\0\0\0\x02ok", 6), 6);
    close(peer);
    run_until_closed(&loop, &s);
    ck_assert_int_eq(s.nframes, 3);
    ck_assert_str_eq(s.frames[2], "ok");
    ck_assert_int_eq(s.ended, 1);
    ck_assert_int_eq(s.end_status, 0); /* EOF */
    uv_loop_close(&loop);
}
END_TEST

/* A lesson's pause holds the idle limit of every connection on the loop,
 * those that start while it lasts too; the resume lets them all count. */
START_TEST(conn_idle_hold_all)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_conn_t a, b;
    seen_t sa, sb;
    int pa, pb;
    open_pair(&loop, &a, &sa, &pa, SCOPE_CONN_LINES, 0, 100);
    scope_conn_idle_hold_all(&loop, 1);
    ck_assert(!uv_is_active((uv_handle_t *)&a.timer));
    open_pair(&loop, &b, &sb, &pb, SCOPE_CONN_LINES, 0, 100);
    ck_assert(!uv_is_active((uv_handle_t *)&b.timer));
    scope_conn_idle_hold_all(&loop, 0);
    ck_assert(uv_is_active((uv_handle_t *)&a.timer));
    ck_assert(uv_is_active((uv_handle_t *)&b.timer));
    run_until_closed(&loop, &sa); /* both cut for saying nothing */
    run_until_closed(&loop, &sb);
    ck_assert_int_eq(sa.end_status, UV_ETIMEDOUT);
    ck_assert_int_eq(sb.end_status, UV_ETIMEDOUT);
    close(pa);
    close(pb);
    uv_loop_close(&loop);
}
END_TEST

/* Bytes waiting to be read on fd. */
static int readable(int fd)
{
    int n = -1;
    ck_assert_int_eq(ioctl(fd, FIONREAD, &n), 0);
    return n;
}

/* Coalesced: what two connections are sent during a turn is held until the
 * turn's callbacks are done, then goes out in one write each, in order. */
START_TEST(conn_coalesced_writes_go_out_after_the_turn)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_conn_t a, b;
    seen_t sa, sb;
    int pa, pb;
    pair_coalesce = 1;
    open_pair(&loop, &a, &sa, &pa, SCOPE_CONN_LINES, 0, 0);
    pair_coalesce = 1;
    open_pair(&loop, &b, &sb, &pb, SCOPE_CONN_LINES, 0, 0);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(scope_conn_send(&a, "to a", 4), 0);
        ck_assert_int_eq(scope_conn_send(&b, "to b", 4), 0);
    }
    ck_assert_int_eq(readable(pa), 0); /* held, */
    ck_assert_int_eq(readable(pb), 0);
    ck_assert_uint_eq(a.bytes_out, 15);
    uv_run(&loop, UV_RUN_NOWAIT); /* and out once the turn is done */
    char buf[64];
    ck_assert_int_eq(read(pa, buf, sizeof buf), 15);
    ck_assert(memcmp(buf, "to a\nto a\nto a\n", 15) == 0);
    ck_assert_int_eq(read(pb, buf, sizeof buf), 15);
    ck_assert_uint_eq(a.bytes_out, 15);

    /* A close lets what this turn held out first, then EOF; so does an end. */
    ck_assert_int_eq(scope_conn_send(&a, "last", 4), 0);
    scope_conn_close(&a);
    ck_assert_int_eq(scope_conn_send(&b, "bye", 3), 0);
    scope_conn_end(&b);
    run_until_closed(&loop, &sa);
    ck_assert_int_eq(read(pa, buf, sizeof buf), 5);
    ck_assert(memcmp(buf, "last\n", 5) == 0);
    ck_assert_int_eq(read(pa, buf, sizeof buf), 0);
    uv_run(&loop, UV_RUN_NOWAIT);
    ck_assert_int_eq(read(pb, buf, sizeof buf), 4);
    close(pb); /* b reads EOF: it closes */
    run_until_closed(&loop, &sb);
    close(pa);
    uv_run(&loop, UV_RUN_NOWAIT);
    ck_assert_int_eq(uv_loop_close(&loop), 0); /* the flush handle went with them */
}
END_TEST

/* Coalesced, a peer that never reads is still cut off at max_queued. */
START_TEST(conn_coalesced_writes_are_bounded)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_conn_t c;
    seen_t s;
    int peer;
    pair_coalesce = 1;
    pair_max_queued = 4096;
    open_pair(&loop, &c, &s, &peer, SCOPE_CONN_LINES, 0, 0);
    char line[1000];
    memset(line, 'x', sizeof line);
    int r = 0;
    for (int i = 0; i < 10 && r == 0; i++)
        r = scope_conn_send(&c, line, sizeof line);
    ck_assert_int_eq(r, -ENOBUFS);
    run_until_closed(&loop, &s);
    ck_assert_int_eq(s.end_status, UV_ENOBUFS);
    close(peer);
    uv_run(&loop, UV_RUN_NOWAIT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

static Suite *net_suite(void)
{
    Suite *s = suite_create("net");
    TCase *t = tcase_create("net");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, addr_forms);
    tcase_add_test(t, addr_refused);
    tcase_add_test(t, addr_loopback);
    tcase_add_test(t, bind_loopback_gives_a_port);
    tcase_add_test(t, rundir_is_private);
    tcase_add_test(t, rundir_sweeps_dead_runs_only);
    tcase_add_test(t, probe_free_live_stale_other);
    tcase_add_test(t, unix_addr_limits);
    tcase_add_test(t, peer_cred_is_ours);
    tcase_add_test(t, abstract_bind_and_connect);
    tcase_add_test(t, fifo_open_waits_then_cancels);
    tcase_add_test(t, conn_lines_split_and_joined);
    tcase_add_test(t, conn_replies_flushed_before_close);
    tcase_add_test(t, conn_length_prefixed);
    tcase_add_test(t, conn_idle_peer_timed_out);
    tcase_add_test(t, conn_close_before_start);
    tcase_add_test(t, conn_partial_line_after_quiet);
    tcase_add_test(t, conn_partial_line_at_eof);
    tcase_add_test(t, conn_end_keeps_reading);
    tcase_add_test(t, conn_peer_that_never_reads_is_cut_off);
    tcase_add_test(t, conn_dripping_peer_times_out);
    tcase_add_test(t, conn_idle_hold_and_writable);
    tcase_add_test(t, conn_partial_frames_survive_a_shared_read_buffer);
    tcase_add_test(t, conn_raw_reads_then_frames);
    tcase_add_test(t, conn_idle_hold_all);
    tcase_add_test(t, conn_coalesced_writes_go_out_after_the_turn);
    tcase_add_test(t, conn_coalesced_writes_are_bounded);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(net_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
