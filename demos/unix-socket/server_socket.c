/* server_socket.c: the server on a socket. Its steps place the socket
 * (a private directory, the path probed: free, stale or live; or an
 * abstract name), bind and listen, and start the clients; then each
 * connection is accepted, named through SO_PEERCRED, checked against
 * --allow-uid, and answered line by line, with oversize lines, silent
 * peers, vanished peers and "stream N" byte counts handled on the way. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "unix-socket.h"

/* ==== the server's peers ================================================== */

static int uid_allowed(uid_t uid)
{
    if (!opt.nallow)
        return 1;
    for (int i = 0; i < opt.nallow; i++)
        if (opt.allow[i] == uid)
            return 1;
    return 0;
}

static void peer_send(peer_t *p, const char *line, size_t len, uint64_t id, const char *summary)
{
    int r = scope_conn_send(&p->conn, line, len);
    if (r < 0) {
        scope_events_error("send", "to %s: %s", p->name, strerror(-r));
        return;
    }
    if (summary)
        scope_events_msg("send", p->chan, SCOPE_PID(getpid()), p->end, id, len + 1, summary, 0);
}

/* ---- a stream announced by "stream N": N bytes counted, not parsed ---- */

static void stream_count(peer_t *p, uint64_t n);

static void stream_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    scope_conn_t *c = h->data;
    *buf = uv_buf_init(c->buf, sizeof c->buf);
}

static void stream_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    peer_t *p = ((scope_conn_t *)st->data)->data;
    if (nread > 0) {
        uint64_t n = (uint64_t)nread;
        p->conn.bytes_in += n;
        if (p->stream_first) {
            /* the unfinished line the decoder held from the header's read */
            p->stream_first = 0;
            n += scope_ndjson_pending(&p->conn.lines);
            scope_ndjson_free(&p->conn.lines);
        }
        stream_count(p, n);
    } else if (nread < 0) {
        /* Let lib/net's reader see the end of the stream, and report it. */
        uv_read_stop(st);
        uv_read_start(st, p->saved_alloc, p->saved_read);
    }
}

static void stream_begin(peer_t *p, uint64_t want)
{
    p->streaming = 1;
    p->stream_want = want;
    p->stream_t0 = scope_time_now_ns();
    p->stream_bytes = 0;
    p->stream_next = 16u * 1024 * 1024;
    /* From the next read on, bytes go to stream_read; the rest of the chunk
     * now being cut into lines is counted line by line. */
    uv_stream_t *st = &p->conn.h.stream;
    p->saved_alloc = st->alloc_cb;
    p->saved_read = st->read_cb;
    uv_read_stop(st);
    uv_read_start(st, stream_alloc, stream_read);
    p->stream_first = 1;
}

static void stream_count(peer_t *p, uint64_t n)
{
    p->stream_bytes += n;
    if (p->stream_bytes >= p->stream_next && p->stream_bytes < p->stream_want) {
        char sum[48];
        p->stream_next += 16u * 1024 * 1024;
        snprintf(sum, sizeof sum, "stream: %.0f of %.0f MB", p->stream_bytes / 1e6,
                 p->stream_want / 1e6);
        scope_events_msg("recv", p->chan, p->end, SCOPE_PID(getpid()), 0, n, sum, 0);
    }
    if (p->stream_bytes < p->stream_want)
        return;
    uint64_t ns = scope_time_now_ns() - p->stream_t0;
    uint64_t bytes = p->stream_bytes;
    double mbs = ns ? (double)bytes * 1e3 / (double)ns : 0;
    srv.stream_bytes += bytes;
    srv.stream_ns += ns;
    p->streaming = 0;
    scope_ndjson_free(&p->conn.lines);
    uv_stream_t *st = &p->conn.h.stream;
    uv_read_stop(st);
    uv_read_start(st, p->saved_alloc, p->saved_read);
    char reply[128];
    int k = snprintf(reply, sizeof reply, "received %llu bytes in %.3f s (%.0f MB/s)",
                     (unsigned long long)bytes, ns / 1e9, mbs);
    scope_events_log("%s streamed %llu bytes in %.3f s: %.0f MB/s through the socket", p->name,
                     (unsigned long long)bytes, ns / 1e9, mbs);
    peer_send(p, reply, (size_t)k, 0, reply);
    srv.replies++;
}

/* ---- a peer's lines, bad input and end ---- */

static void on_peer_line(scope_conn_t *c, const char *line, size_t len)
{
    peer_t *p = c->data;
    p->lines++;
    if (p->refused)
        return;
    srv.lines_in++;
    char sum[96];

    if (p->streaming) { /* lines that came in the same read as the header */
        stream_count(p, len + 1);
        return;
    }

    if (len > 6 && memcmp(line, "stats ", 6) == 0) {
        if (hist_parse(line, len, &srv.tmp_hist) == 0) {
            scope_hist_merge(&srv.rtt, &srv.tmp_hist);
            srv.round_trips += (long)srv.tmp_hist.count;
            snprintf(sum, sizeof sum, "stats: %llu round trips",
                     (unsigned long long)srv.tmp_hist.count);
        } else {
            snprintf(sum, sizeof sum, "stats (unreadable)");
        }
        scope_events_msg("recv", p->chan, p->end, SCOPE_PID(getpid()), 0, len + 1, sum, 0);
        return;
    }
    unsigned long long want;
    if (len > 7 && len < 40 && sscanf(line, "stream %llu", &want) == 1 && want > 0) {
        summarize(sum, sizeof sum, "", line, len);
        scope_events_msg("recv", p->chan, p->end, SCOPE_PID(getpid()), 0, len + 1, sum, 0);
        scope_events_log("%s announces %llu bytes: the server stops looking for newlines and "
                         "counts them, as a length prefix allows",
                         p->name, want);
        stream_begin(p, want);
        return;
    }

    uint64_t id = ping_id(line, len);
    if (scope_events_msg_admit()) {
        summarize(sum, sizeof sum, "", line, len);
        scope_events_msg_emit_admitted("recv", p->chan, p->end, SCOPE_PID(getpid()), id,
                                       len + 1, sum, 0);
    }
    /* seed 000: sock.on('data', d => sock.write('pong: ' + d)). The answer
     * may be 6 bytes over --max-message: it is written as it is. */
    size_t n = len + 6;
    char stackbuf[512], *reply = n + 1 <= sizeof stackbuf ? stackbuf : malloc(n + 1);
    if (!reply)
        return;
    memcpy(reply, "pong: ", 6);
    memcpy(reply + 6, line, len);
    reply[n] = '\n';
    int r = scope_conn_write_raw(&p->conn, reply, n + 1);
    if (r < 0) {
        scope_events_error("send", "to %s: %s", p->name, strerror(-r));
    } else {
        srv.replies++;
        if (scope_events_msg_admit()) {
            summarize(sum, sizeof sum, "pong: ", line, len);
            scope_events_msg_emit_admitted("send", p->chan, SCOPE_PID(getpid()), p->end, id,
                                           n + 1, sum, 0);
        }
    }
    if (reply != stackbuf)
        free(reply);
}

static void on_peer_bad(scope_conn_t *c, const scope_frame_error_t *err)
{
    peer_t *p = c->data;
    srv.bad_input++;
    scope_events_error("oversize", "from %s: a line of at least %llu bytes, over the %zu-byte "
                       "limit (--max-message): skipped up to its newline; the connection goes on",
                       p->name, (unsigned long long)err->size, opt.max_message);
    char line[160];
    int n = snprintf(line, sizeof line,
                     "error: line of at least %llu bytes is over the %zu-byte limit; skipped",
                     (unsigned long long)err->size, opt.max_message);
    peer_send(p, line, (size_t)n, 0, "error: line over the limit");
}

static void on_peer_end(scope_conn_t *c, int status)
{
    peer_t *p = c->data;
    if (status == UV_ETIMEDOUT) {
        srv.bad_input++;
        scope_events_error("idle", "%s said nothing for %llu ms (--idle-ms): closing it, so a "
                           "silent peer cannot hold a connection forever",
                           p->name, (unsigned long long)opt.idle_ms);
        /* The stream has ended for lib/net; a last word straight on the fd. */
        char line[128];
        int n = snprintf(line, sizeof line, "error: idle for %llu ms; closing\n",
                         (unsigned long long)opt.idle_ms);
        int fd = scope_conn_fd(c);
        if (fd >= 0 && send(fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) == n)
            scope_events_msg("send", p->chan, SCOPE_PID(getpid()), p->end, 0, (size_t)n,
                             "error: idle", 0);
    } else if (c->partial_bytes > 0) {
        srv.bad_input++;
        scope_events_error("vanished", "%s went away mid-line (%s): %llu bytes of an unfinished "
                           "line dropped; the others are served as before",
                           p->name, status == 0 ? "EOF" : errname(status),
                           (unsigned long long)c->partial_bytes);
    } else if (status < 0) {
        scope_events_error("read", "%s: %s; closing it", p->name, uv_strerror(status));
    } else if (p->lines == 0 && !p->ours) {
        scope_events_log("read() returned 0 on fd %d: %s closed without a word (another "
                         "program probing whether a server is alive here?)",
                         p->fd, p->name);
    } else {
        scope_events_log("read() returned 0 on fd %d: %s closed its end (%llu line%s)", p->fd,
                         p->name, (unsigned long long)p->lines, p->lines == 1 ? "" : "s");
    }
}

static void on_peer_closed(scope_conn_t *c)
{
    peer_t *p = c->data;
    for (peer_t **pp = &srv.peers; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    srv.npeers--;
    scope_events_chan("close", p->chan, "unix", p->end, SCOPE_PID(getpid()), NULL);
    free(p);
    server_check_done();
}

/* ---- accept() and SO_PEERCRED ---- */

static int listener_fd(void)
{
    uv_os_fd_t fd = -1;
    uv_fileno((uv_handle_t *)&srv.listener, &fd);
    return fd;
}

static void on_unaccepted_closed(scope_conn_t *c)
{
    free(c->data);
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0) {
        scope_events_error("accept", "%s", uv_strerror(status));
        return;
    }
    peer_t *p = calloc(1, sizeof *p);
    if (!p)
        return;
    scope_conn_init_pipe(server->loop, &p->conn, on_unaccepted_closed);
    p->conn.data = p;
    if (uv_accept(server, &p->conn.h.stream) < 0) {
        scope_conn_close(&p->conn);
        return;
    }
    p->next = srv.peers;
    srv.peers = p;
    srv.npeers++;
    srv.accepted++;
    p->fd = scope_conn_fd(&p->conn);
    int r = scope_peer_cred(p->fd, &p->pid, &p->uid, &p->gid);
    if (r < 0)
        p->pid = 0, p->uid = (uid_t)-1, p->gid = (gid_t)-1;
    int k = kid_index_of(p->pid);
    p->ours = k >= 0;
    p->bad = k >= 0 && srv.kids[k].bad;
    if (p->ours) {
        p->end = SCOPE_PID(p->pid);
        snprintf(p->name, sizeof p->name, "%s", srv.kids[k].role);
    } else {
        char path[64], comm[20] = "peer";
        snprintf(path, sizeof path, "/proc/%ld/comm", (long)p->pid);
        FILE *f = fopen(path, "r");
        if (f) {
            if (fgets(comm, sizeof comm, f))
                comm[strcspn(comm, "\n")] = '\0';
            fclose(f);
        }
        snprintf(p->name, sizeof p->name, "%.18s %ld", comm, (long)p->pid);
        p->end = SCOPE_PEER(p->name);
    }
    snprintf(p->chan, sizeof p->chan, "unix:%ld", (long)p->pid);
    p->refused = !uid_allowed(p->uid);

    char detail[96];
    snprintf(detail, sizeof detail, "fd %d; SO_PEERCRED pid %ld uid %ld gid %ld%s", p->fd,
             (long)p->pid, (long)p->uid, (long)p->gid, p->refused ? "; refused" : "");
    scope_events_log("accept4() on fd %d -> fd %d; getsockopt(SO_PEERCRED): pid %ld, uid %ld, "
                     "gid %ld (%s)",
                     listener_fd(), p->fd, (long)p->pid, (long)p->uid, (long)p->gid,
                     p->name);
    scope_events_chan("open", p->chan, "unix", p->end, SCOPE_PID(getpid()), detail);

    scope_conn_options_t o = {
        .framing = SCOPE_CONN_LINES,
        .max_frame = opt.max_message,
        /* Our own clients may be paused by the dashboard for as long as it
         * likes; the idle limit is for everyone else. */
        .idle_ms = (p->ours && !p->bad) ? 0 : opt.idle_ms,
        .on_frame = on_peer_line,
        .on_error = on_peer_bad,
        .on_end = on_peer_end,
        .on_close = on_peer_closed,
    };
    if ((r = scope_conn_start(&p->conn, &o)) < 0) {
        scope_events_error("read", "%s: %s", p->name, uv_strerror(r));
        scope_conn_close(&p->conn);
        return;
    }

    if (p->refused) {
        char list[128], line[200];
        allow_list(list, sizeof list);
        srv.refused++;
        scope_events_error("refused", "%s runs as uid %ld, not in --allow-uid %s: told why, "
                           "then closed. The kernel vouches for the uid (SO_PEERCRED), so a "
                           "peer cannot lie its way in",
                           p->name, (long)p->uid, list);
        int n = snprintf(line, sizeof line, "error: uid %ld is not allowed here (allowed: %s)",
                         (long)p->uid, list);
        peer_send(p, line, (size_t)n, 0, "error: uid not allowed");
        scope_conn_close(&p->conn);
    }
}

/* ---- the server's steps (a socket) ---- */

static void step_socket(scope_demo_t *d);
static void step_clients(scope_demo_t *d);

static void cleanup_socket_file(void *arg)
{
    (void)arg;
    struct stat st;
    /* Only the file we made: never one another server put there since. */
    if (srv.sock_bound && lstat(opt.path, &st) == 0 && st.st_ino == srv.sock_ino &&
        st.st_dev == srv.sock_dev && unlink(opt.path) == 0)
        scope_events_log("unlink(%s): the socket file is gone", opt.path);
    srv.sock_bound = 0;
}

void step_place(scope_demo_t *d)
{
    if (opt.abstract) {
        if (!opt.path_given)
            snprintf(opt.path, sizeof opt.path, "ipcscope-unix-socket.%ld.%08x", (long)getpid(),
                     (unsigned)(scope_time_now_ns() & 0xffffffffu));
        snprintf(srv.shown, sizeof srv.shown, "@%.4000s",
                 opt.path[0] == '@' ? opt.path + 1 : opt.path);
        scope_events_log("abstract name %s: a leading NUL byte in sun_path. No file is made, so "
                         "file permissions cannot guard it: any process in this network "
                         "namespace may connect, and SO_PEERCRED%s is the only guard. The name "
                         "goes away with the last socket: there are no stale files",
                         srv.shown, opt.nallow ? " (--allow-uid)" : "");
        scope_demo_step(d, "socket(), bind(), listen(): the server", step_socket);
        return;
    }
    if (!opt.path_given) {
        if (server_make_rundir(d) < 0)
            return;
        snprintf(opt.path, sizeof opt.path, "%.4000s/server.sock", srv.rundir);
        scope_events_log("mkdtemp(%s) -> mode 0700: only we may enter it, so nobody else can "
                         "put a file at our path first, or swap it under us as they could in "
                         "/tmp",
                         srv.rundir);
    } else {
        scope_events_log("%s: a path of your choosing, in a directory that is yours to protect "
                         "(in a world-writable one, others can race us for the name)",
                         opt.path);
    }
    snprintf(srv.shown, sizeof srv.shown, "%s", opt.path);

    int r = scope_unix_probe(opt.path);
    if (r == SCOPE_UNIX_FREE) {
        scope_events_log("lstat(%s): ENOENT, nothing there yet", opt.path);
    } else if (r == SCOPE_UNIX_STALE) {
        scope_events_log("%s is a socket file, but connect() to it says ECONNREFUSED: nobody "
                         "listens, its server died without unlinking it. It is stale: unlink() "
                         "and bind afresh",
                         opt.path);
        if (unlink(opt.path) < 0) {
            scope_events_error("stale", "unlink(%s): %s", opt.path, strerror(errno));
            fail_exit();
            return;
        }
    } else if (r == -EADDRINUSE) {
        scope_events_error("in use", "%s: a live server accepted our probe connect(). bind() "
                           "would fail with EADDRINUSE (a socket file is bound once), and "
                           "unlinking it would steal the path: its clients would reach us. Not "
                           "touching it; stop that server or choose another path",
                           opt.path);
        fail_exit();
        return;
    } else if (r == -ENOTSOCK) {
        scope_events_error("not a socket", "%s exists and is not a socket: never removed; "
                           "choose another path",
                           opt.path);
        fail_exit();
        return;
    } else {
        scope_events_error("probe", "%s: %s", opt.path, strerror(-r));
        fail_exit();
        return;
    }
    scope_demo_step(d, "socket(), bind(), listen(): the server", step_socket);
}

static void step_socket(scope_demo_t *d)
{
    struct sockaddr_un sa;
    int len = make_addr(&sa);
    if (len < 0) {
        scope_events_error("path", "%s is too long for sun_path (%zu bytes)", opt.path,
                           sizeof sa.sun_path);
        fail_exit();
        return;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        scope_events_error("socket", "%s", strerror(errno));
        fail_exit();
        return;
    }
    if (bind(fd, (struct sockaddr *)&sa, (socklen_t)len) < 0) {
        int e = errno;
        if (e == EADDRINUSE && opt.abstract)
            scope_events_error("in use", "bind(%s): EADDRINUSE: another socket holds this "
                               "abstract name. There is no file to be stale: the name lives "
                               "exactly as long as its socket, so it is live",
                               srv.shown);
        else
            scope_events_error("bind", "bind(%s): %s", srv.shown, strerror(e));
        close(fd);
        fail_exit();
        return;
    }
    if (!opt.abstract) {
        struct stat st = {0};
        if (lstat(opt.path, &st) == 0) {
            srv.sock_dev = st.st_dev;
            srv.sock_ino = st.st_ino;
            srv.sock_bound = 1;
            scope_demo_on_cleanup(d, cleanup_socket_file, NULL);
        }
        scope_events_log("socket(AF_UNIX, SOCK_STREAM) -> fd %d; bind() made the socket file "
                         "%s (inode %lu, mode %03o); listen(fd %d, 128)",
                         fd, opt.path, (unsigned long)st.st_ino, (unsigned)(st.st_mode & 0777), fd);
    } else {
        scope_events_log("socket(AF_UNIX, SOCK_STREAM) -> fd %d; bind(%s): no file; "
                         "listen(fd %d, 128). See it in /proc/net/unix",
                         fd, srv.shown, fd);
    }
    uv_pipe_init(d->loop, &srv.listener, 0);
    int r = uv_pipe_open(&srv.listener, fd);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&srv.listener, 128, on_connection);
    if (r < 0) {
        scope_events_error("listen", "%s", uv_strerror(r));
        uv_close((uv_handle_t *)&srv.listener, NULL);
        fail_exit();
        return;
    }
    srv.listening = 1;
    if (opt.listen_only) {
        scope_events_log("serving %s until SIGINT, SIGTERM or quit; try: socat - %s:%s", srv.shown,
                         opt.abstract ? "ABSTRACT-CONNECT" : "UNIX-CONNECT",
                         opt.abstract ? srv.shown + 1 : opt.path);
        scope_events_proc("ready", getpid(), getppid(), "server", 0, 0);
        return;
    }
    scope_events_proc("ready", getpid(), getppid(), "server", 0, 0);
    scope_demo_step(d, "fork the clients: connect(), accept(), SO_PEERCRED, ping/pong",
                    step_clients);
}

static void step_clients(scope_demo_t *d)
{
    int n = opt.throughput ? 1 : opt.nclients;
    scope_events_log("starting %d client%s: each connect()s to %s and %s", n, n > 1 ? "s" : "",
                     srv.shown,
                     opt.throughput ? "streams --throughput bytes"
                                  : "pings; the server answers \"pong: <msg>\"");
    for (int i = 1; i <= n && !d->quitting; i++)
        spawn_client(i, NULL);
    if (opt.fault[0] && !d->quitting)
        spawn_client(n + 1, opt.fault);
    if (srv.nkids == 0) {
        server_wind_down();
        srv.exit_code = 1;
    }
}
