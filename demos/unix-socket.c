/* unix-socket: a net server on a socket path, with the lid off.
 *
 * What node does for net.createServer(...).listen('/tmp/app.sock') and
 * net.connect('/tmp/app.sock') in seed 000, step by step:
 *
 *   1. mkdtemp() makes a private directory (mode 0700) for the socket file:
 *      in a world-writable /tmp another user could create the path first, or
 *      replace it, and our clients would talk to them.
 *   2. The path is probed: nothing there, a live server (never stolen: bind()
 *      would say EADDRINUSE), or a stale file from a server that died
 *      (connect() says ECONNREFUSED): that one is unlinked and replaced.
 *   3. socket(AF_UNIX, SOCK_STREAM), bind(path), listen(): the kernel makes
 *      the socket file.
 *   4. N clients (this program with --as-client) connect(); the server
 *      accept()s each and asks the kernel who it is: getsockopt(SO_PEERCRED)
 *      gives the pid, uid and gid recorded at connect(), which the peer cannot
 *      forge. --allow-uid refuses the others with one "error: ..." line.
 *   5. Each client pings; the server answers "pong: <msg>", as in seed 000.
 *      The client times each round trip; its last line carries its latency
 *      histogram, so the server's summary covers every client.
 *   6. Bad peers: a line over --max-message is refused and skipped, a peer
 *      that says nothing is cut after --idle-ms, a peer that vanishes
 *      mid-line is reported; the others are served all along.
 *   7. On the way out (done, SIGINT, SIGTERM, quit): close, unlink the
 *      socket file, rmdir the directory.
 *
 * --abstract binds a name in Linux's abstract namespace instead (no file, no
 * permissions: SO_PEERCRED is then the only guard). --fifo shows the older
 * named pipe: two FIFOs made with mkfifo(), one per direction, whose open()
 * blocks until the other end opens, and whose writes of at most PIPE_BUF
 * bytes never interleave, however many writers share one.
 *
 * Real peers: build/demos/unix-socket --listen /tmp/x/s.sock, then
 *   socat - UNIX-CONNECT:/tmp/x/s.sock     or     nc -U /tmp/x/s.sock
 *   node build/demos/unix-socket-client.js /tmp/x/s.sock
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "demo.h"
#include "events.h"
#include "net.h"
#include "spawn.h"
#include "timing.h"

static const scope_demo_info_t info = {
    "unix-socket",
    "net on a socket path, with the lid off",
    "A server on a Unix socket file in a private directory, N clients pinging it, "
    "peer credentials, stale files, the abstract namespace and FIFOs.",
    "000 001 003",
    "Unix Socket | 很快 | ❌ | 中 | 同机多进程",
};

static const scope_demo_option_t options[] = {
    {"clients", "N", "clients started as child processes (default 3, at most 8)"},
    {"path", "PATH", "the socket path (default: server.sock in a private 0700 directory)"},
    {"listen", "PATH", "only the server, on PATH, until SIGINT, SIGTERM or quit"},
    {"connect", "PATH", "only a client, of the server on PATH"},
    {"abstract", NULL, "the abstract namespace: a name, no file (with --listen/--connect: NAME)"},
    {"fifo", NULL, "named pipes instead: two FIFOs, one per direction, N writers"},
    {"allow-uid", "UID[,UID]", "refuse peers whose uid (SO_PEERCRED) is not listed"},
    {"idle-ms", "MS", "cut a peer that says nothing for MS (default 60000, 0 = never)"},
    {"max-message", "BYTES", "longest line accepted (default 65536)"},
    {"throughput", "BYTES", "one client streams BYTES to the server; reports MB/s"},
    {"fault", "KIND", "one more client misbehaves: oversize, silent or vanish"},
    {"as-client", "N", "be client N of a server that started us"},
    {NULL, NULL, NULL},
};

#define MAX_CLIENTS     8
#define MAX_ALLOW       16
#define CLIENT_REFUSED  3 /* a client's exit code when the server refused it */
#define STREAM_LINE     16384
#define STREAM_CHUNK    (16 * STREAM_LINE)
#define FIFO_START_MS   200 /* the writers start later, so the blocked open() shows */

typedef struct peer_s peer_t;

static struct {
    scope_demo_t demo;
    /* options */
    int nclients, abstract, fifo, as_client, listen_only, connect_only;
    char fault[16];
    char path[PATH_MAX]; /* socket path, abstract name, or (fifo) directory */
    int path_given;
    uid_t allow[MAX_ALLOW];
    int nallow;
    uint64_t idle_ms;
    size_t max_message;
    uint64_t throughput;
    /* the server */
    char rundir[PATH_MAX];
    int rundir_made;
    char shown[PATH_MAX + 2]; /* the address as people write it: PATH or @NAME */
    uv_pipe_t listener;
    int listening, listener_closed;
    dev_t sock_dev;
    ino_t sock_ino;
    int sock_bound;
    peer_t *peers;
    int npeers;
    struct {
        scope_child_t proc;
        int index, bad, exited, code, sig;
        char role[40];
    } kids[MAX_CLIENTS + 4];
    int nkids, kids_left;
    long accepted, refused, bad_input, lines_in, replies;
    scope_hist_t rtt, tmp_hist;
    long round_trips;
    uint64_t stream_bytes, stream_ns;
    int winding_down, finished, exit_code;
    /* FIFO mode, the server's side */
    char up_path[PATH_MAX + 16], down_path[PATH_MAX + 16];
    int fifos_made;
    uv_fs_t up_open, down_open;
    int up_pending, down_pending;
    uint64_t up_t0, down_t0;
    scope_conn_t up;   /* the reader of up.fifo */
    int up_started, up_reading, up_closing;
    int up_keep;       /* our own write end of up.fifo, so EOF waits for us */
    uv_pipe_t down;    /* the writer of down.fifo */
    int down_open_ok;
    long fifo_whole, fifo_torn;
    struct {
        long pid, lines;
    } writers[MAX_CLIENTS + 4];
    int nwriters;
    uv_timer_t fifo_timer;
    int fifo_timer_init;
    /* a client */
    scope_conn_t conn;
    int conn_open;
    pid_t server_pid;
    char chan[32];
    scope_end_t me, server;
    char server_name[32];
    scope_pacer_t pacer;
    uv_timer_t stats_timer;
    scope_rate_t rate;
    long sent, pongs;
    uint64_t t_sent;
    int refused_us, done, client_code;
    char *line;
    size_t line_cap;
    /* a client streaming (--throughput) */
    char *chunk;
    uint64_t streamed, stream_t0;
    int writes_in_flight;
    uv_write_t stream_req[2];
    /* a FIFO client */
    uv_fs_t c_up_open, c_down_open;
    int c_up_pending, c_down_pending;
    uint64_t c_up_t0, c_down_t0;
    uv_pipe_t c_up;
    int c_up_ok;
    int c_down_ok; /* conn reads down.fifo (client 1 only) */
    int chan_open, next_req, await_pong;
    char role[40];
    int fifo_writes;
} s = {.nclients = 3, .idle_ms = 60000, .max_message = 65536, .up_keep = -1};

struct peer_s {
    scope_conn_t conn;
    peer_t *next;
    pid_t pid;
    uid_t uid;
    gid_t gid;
    int ours, bad, refused, streaming, fd;
    char chan[32], name[32];
    scope_end_t end;
    uint64_t lines, stream_t0, stream_bytes, stream_next, stream_want;
    int stream_first;
    uv_alloc_cb saved_alloc;
    uv_read_cb saved_read;
};

/* ==== small helpers ======================================================= */

static int parse_ulong(const char *v, unsigned long long lo, unsigned long long hi,
                       unsigned long long *out)
{
    char *end;
    errno = 0;
    if (!*v || *v == '-')
        return -EINVAL;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end || x < lo || x > hi)
        return -EINVAL;
    *out = x;
    return 0;
}

static int on_option(scope_demo_t *d, const char *name, const char *value)
{
    unsigned long long v;
    if (strcmp(name, "clients") == 0) {
        if (parse_ulong(value, 1, MAX_CLIENTS, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--clients wants 1 to %d", MAX_CLIENTS);
            return -EINVAL;
        }
        s.nclients = (int)v;
    } else if (strcmp(name, "path") == 0 || strcmp(name, "listen") == 0 ||
               strcmp(name, "connect") == 0) {
        if (strlen(value) >= sizeof s.path - 1 || !*value) {
            snprintf(d->error, sizeof d->error, "--%s: path too long or empty", name);
            return -EINVAL;
        }
        snprintf(s.path, sizeof s.path, "%s", value);
        s.path_given = 1;
        s.listen_only |= strcmp(name, "listen") == 0;
        s.connect_only |= strcmp(name, "connect") == 0;
    } else if (strcmp(name, "abstract") == 0) {
        s.abstract = 1;
    } else if (strcmp(name, "fifo") == 0) {
        s.fifo = 1;
    } else if (strcmp(name, "allow-uid") == 0) {
        char buf[256], *save = NULL;
        snprintf(buf, sizeof buf, "%s", value);
        s.nallow = 0;
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (s.nallow == MAX_ALLOW || parse_ulong(t, 0, 4294967294ull, &v) < 0) {
                snprintf(d->error, sizeof d->error,
                         "--allow-uid wants up to %d numeric uids separated by commas", MAX_ALLOW);
                return -EINVAL;
            }
            s.allow[s.nallow++] = (uid_t)v;
        }
        if (!s.nallow) {
            snprintf(d->error, sizeof d->error, "--allow-uid wants at least one uid");
            return -EINVAL;
        }
    } else if (strcmp(name, "idle-ms") == 0) {
        if (parse_ulong(value, 0, 86400000, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--idle-ms wants 0 to 86400000");
            return -EINVAL;
        }
        s.idle_ms = v;
    } else if (strcmp(name, "max-message") == 0) {
        if (parse_ulong(value, 256, 64u * 1024 * 1024, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--max-message wants 256 to 67108864 bytes");
            return -EINVAL;
        }
        s.max_message = (size_t)v;
    } else if (strcmp(name, "throughput") == 0) {
        if (parse_ulong(value, 1, 1ull << 40, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--throughput wants 1 to 2^40 bytes");
            return -EINVAL;
        }
        s.throughput = v;
    } else if (strcmp(name, "fault") == 0) {
        if (strcmp(value, "oversize") && strcmp(value, "silent") && strcmp(value, "vanish")) {
            snprintf(d->error, sizeof d->error,
                     "--fault wants oversize, silent or vanish, not '%s'", value);
            return -EINVAL;
        }
        snprintf(s.fault, sizeof s.fault, "%s", value);
    } else if (strcmp(name, "as-client") == 0) {
        if (parse_ulong(value, 1, 64, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--as-client wants a client number");
            return -EINVAL;
        }
        s.as_client = (int)v;
    }
    return 0;
}

static const char *errname(int err)
{
    const char *n = strerrorname_np(err < 0 ? -err : err);
    return n ? n : "E?";
}

/* "ping 12 ..." -> 12; anything else 0. */
static uint64_t ping_id(const char *line, size_t len)
{
    if (len > 6 && memcmp(line, "pong: ", 6) == 0) {
        line += 6;
        len -= 6;
    }
    if (len < 6 || memcmp(line, "ping ", 5) != 0)
        return 0;
    uint64_t id = 0;
    for (size_t i = 5; i < len && line[i] >= '0' && line[i] <= '9' && i < 25; i++)
        id = id * 10 + (uint64_t)(line[i] - '0');
    return id;
}

/* A short summary for the flow: "ping 12", or the line itself cut short. */
static void summarize(char *out, size_t n, const char *prefix, const char *line, size_t len)
{
    uint64_t id = ping_id(line, len);
    if (id && len >= 5 && memcmp(line, "pong: ", len >= 6 ? 6 : len) == 0)
        snprintf(out, n, "%spong: ping %llu", prefix, (unsigned long long)id);
    else if (id)
        snprintf(out, n, "%sping %llu", prefix, (unsigned long long)id);
    else {
        size_t k = len > 60 ? 60 : len;
        char tmp[64];
        for (size_t i = 0; i < k; i++)
            tmp[i] = (line[i] >= 32 && line[i] < 127) ? line[i] : '.';
        tmp[k] = '\0';
        snprintf(out, n, "%s%s%s", prefix, tmp, len > k ? "…" : "");
    }
}

/* The address bytes for path, or the abstract name. */
static int make_addr(struct sockaddr_un *sa)
{
    const char *p = s.path;
    if (s.abstract && p[0] == '@')
        p++;
    return scope_unix_addr(p, s.abstract, sa);
}

/* The rest of the program, as --as-client children are started with. */
static int self_path(char *out, size_t n)
{
    ssize_t k = readlink("/proc/self/exe", out, n - 1);
    if (k <= 0)
        return -errno;
    out[k] = '\0';
    return 0;
}

/* ==== the latency histogram on the wire ==================================== */

/* "stats COUNT MIN MAX SUM i:n,i:n,...": a client's last line, so that the
 * server's summary covers every client's round trips. */
static char *hist_line(const scope_hist_t *h, size_t *len)
{
    size_t cap = 128, used = 0;
    for (unsigned i = 0; i < SCOPE_HIST_BUCKETS; i++)
        if (h->buckets[i])
            cap += 32;
    char *b = malloc(cap);
    if (!b)
        return NULL;
    used = (size_t)snprintf(b, cap, "stats %llu %llu %llu %.0f ", (unsigned long long)h->count,
                            (unsigned long long)(h->count ? h->min : 0),
                            (unsigned long long)h->max, h->sum);
    for (unsigned i = 0; i < SCOPE_HIST_BUCKETS; i++)
        if (h->buckets[i])
            used += (size_t)snprintf(b + used, cap - used, "%u:%llu,", i,
                                     (unsigned long long)h->buckets[i]);
    if (b[used - 1] == ',')
        used--;
    b[used] = '\0';
    *len = used;
    return b;
}

static int hist_parse(const char *line, size_t len, scope_hist_t *h)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, line, len);
    copy[len] = '\0';
    scope_hist_reset(h);
    unsigned long long count, min, max;
    double sum;
    int n = 0, r = -EINVAL;
    if (sscanf(copy, "stats %llu %llu %llu %lf %n", &count, &min, &max, &sum, &n) == 4 && n > 0) {
        uint64_t total = 0;
        char *save = NULL;
        for (char *t = strtok_r(copy + n, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            unsigned idx;
            unsigned long long c;
            if (sscanf(t, "%u:%llu", &idx, &c) != 2 || idx >= SCOPE_HIST_BUCKETS)
                goto out;
            h->buckets[idx] += c;
            total += c;
        }
        if (total != count)
            goto out;
        h->count = count;
        h->min = count ? min : UINT64_MAX;
        h->max = max;
        h->sum = sum;
        r = 0;
    }
out:
    free(copy);
    return r;
}

/* ==== the server ========================================================== */

static void server_check_done(void);
static void spawn_client(int index, const char *fault);

static int kid_index_of(long pid)
{
    for (int i = 0; i < s.nkids; i++)
        if ((long)s.kids[i].proc.pid == pid)
            return i;
    return -1;
}

static int uid_allowed(uid_t uid)
{
    if (!s.nallow)
        return 1;
    for (int i = 0; i < s.nallow; i++)
        if (s.allow[i] == uid)
            return 1;
    return 0;
}

static void allow_list(char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < s.nallow && used < n; i++)
        used += (size_t)snprintf(out + used, n - used, "%s%u", i ? "," : "", (unsigned)s.allow[i]);
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
    s.stream_bytes += bytes;
    s.stream_ns += ns;
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
    s.replies++;
}

static void on_peer_line(scope_conn_t *c, const char *line, size_t len)
{
    peer_t *p = c->data;
    p->lines++;
    if (p->refused)
        return;
    s.lines_in++;
    char sum[96];

    if (p->streaming) { /* lines that came in the same read as the header */
        stream_count(p, len + 1);
        return;
    }

    if (len > 6 && memcmp(line, "stats ", 6) == 0) {
        if (hist_parse(line, len, &s.tmp_hist) == 0) {
            scope_hist_merge(&s.rtt, &s.tmp_hist);
            s.round_trips += (long)s.tmp_hist.count;
            snprintf(sum, sizeof sum, "stats: %llu round trips",
                     (unsigned long long)s.tmp_hist.count);
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
        s.replies++;
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
    s.bad_input++;
    scope_events_error("oversize", "from %s: a line of at least %llu bytes, over the %zu-byte "
                       "limit (--max-message): skipped up to its newline; the connection goes on",
                       p->name, (unsigned long long)err->size, s.max_message);
    char line[160];
    int n = snprintf(line, sizeof line,
                     "error: line of at least %llu bytes is over the %zu-byte limit; skipped",
                     (unsigned long long)err->size, s.max_message);
    peer_send(p, line, (size_t)n, 0, "error: line over the limit");
}

static void on_peer_end(scope_conn_t *c, int status)
{
    peer_t *p = c->data;
    if (status == UV_ETIMEDOUT) {
        s.bad_input++;
        scope_events_error("idle", "%s said nothing for %llu ms (--idle-ms): closing it, so a "
                           "silent peer cannot hold a connection forever",
                           p->name, (unsigned long long)s.idle_ms);
        /* The stream has ended for lib/net; a last word straight on the fd. */
        char line[128];
        int n = snprintf(line, sizeof line, "error: idle for %llu ms; closing\n",
                         (unsigned long long)s.idle_ms);
        int fd = scope_conn_fd(c);
        if (fd >= 0 && send(fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) == n)
            scope_events_msg("send", p->chan, SCOPE_PID(getpid()), p->end, 0, (size_t)n,
                             "error: idle", 0);
    } else if (c->partial_bytes > 0) {
        s.bad_input++;
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
    for (peer_t **pp = &s.peers; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    s.npeers--;
    scope_events_chan("close", p->chan, "unix", p->end, SCOPE_PID(getpid()), NULL);
    free(p);
    server_check_done();
}

static int listener_fd(void)
{
    uv_os_fd_t fd = -1;
    uv_fileno((uv_handle_t *)&s.listener, &fd);
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
    p->next = s.peers;
    s.peers = p;
    s.npeers++;
    s.accepted++;
    p->fd = scope_conn_fd(&p->conn);
    int r = scope_peer_cred(p->fd, &p->pid, &p->uid, &p->gid);
    if (r < 0)
        p->pid = 0, p->uid = (uid_t)-1, p->gid = (gid_t)-1;
    int k = kid_index_of(p->pid);
    p->ours = k >= 0;
    p->bad = k >= 0 && s.kids[k].bad;
    if (p->ours) {
        p->end = SCOPE_PID(p->pid);
        snprintf(p->name, sizeof p->name, "%s", s.kids[k].role);
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
        .max_frame = s.max_message,
        /* Our own clients may be paused by the dashboard for as long as it
         * likes; the idle limit is for everyone else. */
        .idle_ms = (p->ours && !p->bad) ? 0 : s.idle_ms,
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
        s.refused++;
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

static void on_listener_closed(uv_handle_t *h)
{
    (void)h;
    s.listener_closed = 1;
    server_check_done();
}

static void cleanup_socket_file(void *arg)
{
    (void)arg;
    struct stat st;
    /* Only the file we made: never one another server put there since. */
    if (s.sock_bound && lstat(s.path, &st) == 0 && st.st_ino == s.sock_ino &&
        st.st_dev == s.sock_dev && unlink(s.path) == 0)
        scope_events_log("unlink(%s): the socket file is gone", s.path);
    s.sock_bound = 0;
}

static void cleanup_rundir(void *arg)
{
    (void)arg;
    if (s.rundir_made && scope_rundir_remove(s.rundir) == 0)
        scope_events_log("rmdir(%s): the private directory is gone", s.rundir);
    s.rundir_made = 0;
}

static void cleanup_fifos(void *arg)
{
    (void)arg;
    if (!s.fifos_made)
        return;
    unlink(s.up_path);
    unlink(s.down_path);
    s.fifos_made = 0;
    scope_events_log("unlink(up.fifo), unlink(down.fifo): the FIFOs are gone");
}

static void finish(void)
{
    if (s.finished)
        return;
    s.finished = 1;
    scope_hist_summary_t sum;
    scope_hist_summarize(&s.rtt, &sum);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "sent", (double)s.replies);
    cJSON_AddNumberToObject(o, "received", (double)s.lines_in);
    cJSON_AddNumberToObject(o, "round_trips", (double)s.round_trips);
    cJSON_AddNumberToObject(o, "p50", (double)sum.p50);
    cJSON_AddNumberToObject(o, "p99", (double)sum.p99);
    cJSON_AddStringToObject(o, "mode", s.fifo ? "fifo" : s.abstract ? "abstract" : "path");
    cJSON_AddStringToObject(o, "address", s.shown);
    char text[320], p50[48] = "";
    if (sum.count) {
        char ms[32];
        scope_time_format(ms, sizeof ms, (double)(sum.p50));
        snprintf(p50, sizeof p50, " (median %s)", ms);
    }
    if (s.fifo) {
        cJSON_AddNumberToObject(o, "lines", (double)(s.fifo_whole + s.fifo_torn));
        cJSON_AddNumberToObject(o, "whole", (double)s.fifo_whole);
        cJSON_AddNumberToObject(o, "torn", (double)s.fifo_torn);
        cJSON_AddNumberToObject(o, "writers", s.nwriters);
        cJSON_AddNumberToObject(o, "pipe_buf", PIPE_BUF);
        snprintf(text, sizeof text,
                 "%ld lines from %d writers through one FIFO, %ld torn; %ld pongs back through "
                 "the other%s",
                 s.fifo_whole + s.fifo_torn, s.nwriters, s.fifo_torn, s.replies, p50);
    } else {
        cJSON_AddNumberToObject(o, "accepted", (double)s.accepted);
        cJSON_AddNumberToObject(o, "refused", (double)s.refused);
        cJSON_AddNumberToObject(o, "bad_input", (double)s.bad_input);
        if (s.stream_ns) {
            cJSON_AddNumberToObject(o, "bytes", (double)s.stream_bytes);
            cJSON_AddNumberToObject(o, "mb_s", (double)s.stream_bytes * 1e3 / (double)s.stream_ns);
            snprintf(text, sizeof text, "%llu bytes streamed through %.200s at %.0f MB/s",
                     (unsigned long long)s.stream_bytes, s.shown,
                     (double)s.stream_bytes * 1e3 / (double)s.stream_ns);
        } else {
            snprintf(text, sizeof text,
                     "%ld connections (%ld refused), %ld lines in, %ld answers out, %ld round "
                     "trips%s, %ld bad inputs survived",
                     s.accepted, s.refused, s.lines_in, s.replies, s.round_trips, p50, s.bad_input);
        }
    }
    int failed = 0;
    for (int i = 0; i < s.nkids; i++)
        if (s.kids[i].exited && (s.kids[i].sig || (s.kids[i].code != 0 &&
                                                   s.kids[i].code != CLIENT_REFUSED)))
            failed++;
    cJSON_AddNumberToObject(o, "clients", s.nkids);
    cJSON_AddNumberToObject(o, "clients_failed", failed);
    if (failed && !s.demo.quitting)
        s.exit_code = 1;
    scope_events_bye(o, text);
    scope_demo_stop(&s.demo);
}

static void fifo_unblock(const char *path, int flags);

static void server_wind_down(void)
{
    if (s.winding_down)
        return;
    s.winding_down = 1;
    if (s.listening && !uv_is_closing((uv_handle_t *)&s.listener))
        uv_close((uv_handle_t *)&s.listener, on_listener_closed);
    else
        s.listener_closed = 1;
    for (peer_t *p = s.peers; p; p = p->next)
        scope_conn_close(&p->conn);
    if (s.fifo) {
        if (s.up_pending)
            fifo_unblock(s.up_path, O_WRONLY);
        if (s.down_pending)
            fifo_unblock(s.down_path, O_RDONLY);
        if (s.fifo_timer_init && !uv_is_closing((uv_handle_t *)&s.fifo_timer))
            uv_close((uv_handle_t *)&s.fifo_timer, NULL);
        if (s.up_keep >= 0) {
            scope_events_log("close(fd %d), our own write end of up.fifo: once the last "
                             "writer is gone, read() returns 0 (EOF)",
                             s.up_keep);
            close(s.up_keep);
            s.up_keep = -1;
        }
        if (s.up_started && (s.demo.quitting || !s.up_reading)) {
            s.up_closing = 1;
            scope_conn_close(&s.up);
        }
    }
    server_check_done();
}

static void server_check_done(void)
{
    if (!s.winding_down || s.finished || s.kids_left > 0 || s.npeers > 0 || !s.listener_closed)
        return;
    if (s.fifo && (s.up_started || s.up_pending || s.down_pending || s.down_open_ok))
        return;
    finish();
}

static void step_wind_down(scope_demo_t *d)
{
    (void)d;
    server_wind_down();
}

static void on_kid_exit(scope_child_t *c, int status, int sig)
{
    int i = kid_index_of(c->pid);
    if (i < 0)
        return;
    s.kids[i].exited = 1;
    s.kids[i].code = status;
    s.kids[i].sig = sig;
    s.kids_left--;
    scope_events_proc("exit", c->pid, getpid(), s.kids[i].role, status, sig);
    if (sig)
        scope_events_log("waitpid(%ld): %s was killed by SIG%s", (long)c->pid, s.kids[i].role,
                         sigabbrev_np(sig));
    else
        scope_events_log("waitpid(%ld): %s exited with code %d%s", (long)c->pid, s.kids[i].role,
                         status, status == CLIENT_REFUSED ? " (refused by the server)" : "");
    if (s.kids_left == 0 && !s.listen_only) {
        if (!s.demo.quitting)
            scope_demo_step(&s.demo, "every client is done: close, unlink, rmdir",
                            step_wind_down);
        else
            server_wind_down();
    }
    server_check_done();
}

static void spawn_client(int index, const char *fault)
{
    if (s.nkids == (int)(sizeof s.kids / sizeof s.kids[0])) {
        scope_events_error("spawn", "no room for another client");
        return;
    }
    char self[PATH_MAX];
    if (self_path(self, sizeof self) < 0) {
        scope_events_error("spawn", "readlink /proc/self/exe: %s", strerror(errno));
        return;
    }
    char idx[16], count[32], rate[32], size[32], maxm[32], idle[32], tput[32];
    snprintf(idx, sizeof idx, "%d", index);
    snprintf(count, sizeof count, "%ld", s.demo.count);
    snprintf(rate, sizeof rate, "%g", s.demo.rate);
    snprintf(size, sizeof size, "%zu", s.demo.size);
    snprintf(maxm, sizeof maxm, "%zu", s.max_message);
    snprintf(idle, sizeof idle, "%llu", (unsigned long long)s.idle_ms);
    snprintf(tput, sizeof tput, "%llu", (unsigned long long)s.throughput);
    char *argv[24];
    int a = 0;
    argv[a++] = self;
    argv[a++] = "--as-client";
    argv[a++] = idx;
    argv[a++] = "--connect";
    argv[a++] = s.fifo ? s.rundir : s.path;
    argv[a++] = "--count";
    argv[a++] = count;
    argv[a++] = "--rate";
    argv[a++] = rate;
    argv[a++] = "--size";
    argv[a++] = size;
    argv[a++] = "--max-message";
    argv[a++] = maxm;
    argv[a++] = "--idle-ms";
    argv[a++] = idle;
    if (s.abstract)
        argv[a++] = "--abstract";
    if (s.fifo)
        argv[a++] = "--fifo";
    if (s.throughput && !fault) {
        argv[a++] = "--throughput";
        argv[a++] = tput;
    }
    if (fault) {
        argv[a++] = "--fault";
        argv[a++] = (char *)fault;
    }
    argv[a] = NULL;

    scope_demo_child_events_t ev;
    scope_demo_child_events(&ev, 3);
    scope_spawn_options_t o = {
        .file = self,
        .argv = argv,
        .setenv = ev.env,
        .fds = ev.nfds ? &ev.fd : NULL,
        .nfds = ev.nfds,
        .death_signal = SIGTERM,
    };
    int k = s.nkids;
    memset(&s.kids[k], 0, sizeof s.kids[k]);
    s.kids[k].index = index;
    s.kids[k].bad = fault != NULL;
    if (fault)
        snprintf(s.kids[k].role, sizeof s.kids[k].role, "bad client (%s)", fault);
    else
        snprintf(s.kids[k].role, sizeof s.kids[k].role, "client %d", index);
    int r = scope_spawn(s.demo.loop, &s.kids[k].proc, &o, on_kid_exit);
    if (r < 0) {
        scope_events_error("spawn", "cannot start %s: %s", s.kids[k].role, strerror(-r));
        return;
    }
    s.nkids++;
    s.kids_left++;
}

/* ---- the server's steps (a socket) ---- */

static void step_socket(scope_demo_t *d);
static void step_clients(scope_demo_t *d);

static void fail_exit(void)
{
    s.exit_code = 1;
    s.finished = 1;
    s.winding_down = 1;
    scope_demo_stop(&s.demo);
}

static void step_place(scope_demo_t *d)
{
    if (s.abstract) {
        if (!s.path_given)
            snprintf(s.path, sizeof s.path, "ipcscope-unix-socket.%ld.%08x", (long)getpid(),
                     (unsigned)(scope_time_now_ns() & 0xffffffffu));
        snprintf(s.shown, sizeof s.shown, "@%.4000s", s.path[0] == '@' ? s.path + 1 : s.path);
        scope_events_log("abstract name %s: a leading NUL byte in sun_path. No file is made, so "
                         "file permissions cannot guard it: any process in this network "
                         "namespace may connect, and SO_PEERCRED%s is the only guard. The name "
                         "goes away with the last socket: there are no stale files",
                         s.shown, s.nallow ? " (--allow-uid)" : "");
        scope_demo_step(d, "socket(), bind(), listen(): the server", step_socket);
        return;
    }
    if (!s.path_given) {
        int r = scope_rundir_make("unix-socket", s.rundir, sizeof s.rundir);
        if (r < 0) {
            scope_events_error("rundir", "cannot make a private directory: %s", strerror(-r));
            fail_exit();
            return;
        }
        s.rundir_made = 1;
        scope_demo_on_cleanup(d, cleanup_rundir, NULL);
        snprintf(s.path, sizeof s.path, "%.4000s/server.sock", s.rundir);
        scope_events_log("mkdtemp(%s) -> mode 0700: only we may enter it, so nobody else can "
                         "put a file at our path first, or swap it under us as they could in "
                         "/tmp",
                         s.rundir);
    } else {
        scope_events_log("%s: a path of your choosing, in a directory that is yours to protect "
                         "(in a world-writable one, others can race us for the name)",
                         s.path);
    }
    snprintf(s.shown, sizeof s.shown, "%s", s.path);

    int r = scope_unix_probe(s.path);
    if (r == SCOPE_UNIX_FREE) {
        scope_events_log("lstat(%s): ENOENT, nothing there yet", s.path);
    } else if (r == SCOPE_UNIX_STALE) {
        scope_events_log("%s is a socket file, but connect() to it says ECONNREFUSED: nobody "
                         "listens, its server died without unlinking it. It is stale: unlink() "
                         "and bind afresh",
                         s.path);
        if (unlink(s.path) < 0) {
            scope_events_error("stale", "unlink(%s): %s", s.path, strerror(errno));
            fail_exit();
            return;
        }
    } else if (r == -EADDRINUSE) {
        scope_events_error("in use", "%s: a live server accepted our probe connect(). bind() "
                           "would fail with EADDRINUSE (a socket file is bound once), and "
                           "unlinking it would steal the path: its clients would reach us. Not "
                           "touching it; stop that server or choose another path",
                           s.path);
        fail_exit();
        return;
    } else if (r == -ENOTSOCK) {
        scope_events_error("not a socket", "%s exists and is not a socket: never removed; "
                           "choose another path",
                           s.path);
        fail_exit();
        return;
    } else {
        scope_events_error("probe", "%s: %s", s.path, strerror(-r));
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
        scope_events_error("path", "%s is too long for sun_path (%zu bytes)", s.path,
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
        if (e == EADDRINUSE && s.abstract)
            scope_events_error("in use", "bind(%s): EADDRINUSE: another socket holds this "
                               "abstract name. There is no file to be stale: the name lives "
                               "exactly as long as its socket, so it is live",
                               s.shown);
        else
            scope_events_error("bind", "bind(%s): %s", s.shown, strerror(e));
        close(fd);
        fail_exit();
        return;
    }
    if (!s.abstract) {
        struct stat st = {0};
        if (lstat(s.path, &st) == 0) {
            s.sock_dev = st.st_dev;
            s.sock_ino = st.st_ino;
            s.sock_bound = 1;
            scope_demo_on_cleanup(d, cleanup_socket_file, NULL);
        }
        scope_events_log("socket(AF_UNIX, SOCK_STREAM) -> fd %d; bind() made the socket file "
                         "%s (inode %lu, mode %03o); listen(fd %d, 128)",
                         fd, s.path, (unsigned long)st.st_ino, (unsigned)(st.st_mode & 0777), fd);
    } else {
        scope_events_log("socket(AF_UNIX, SOCK_STREAM) -> fd %d; bind(%s): no file; "
                         "listen(fd %d, 128). See it in /proc/net/unix",
                         fd, s.shown, fd);
    }
    uv_pipe_init(d->loop, &s.listener, 0);
    int r = uv_pipe_open(&s.listener, fd);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&s.listener, 128, on_connection);
    if (r < 0) {
        scope_events_error("listen", "%s", uv_strerror(r));
        uv_close((uv_handle_t *)&s.listener, NULL);
        fail_exit();
        return;
    }
    s.listening = 1;
    if (s.listen_only) {
        scope_events_log("serving %s until SIGINT, SIGTERM or quit; try: socat - %s:%s", s.shown,
                         s.abstract ? "ABSTRACT-CONNECT" : "UNIX-CONNECT",
                         s.abstract ? s.shown + 1 : s.path);
        scope_events_proc("ready", getpid(), getppid(), "server", 0, 0);
        return;
    }
    scope_events_proc("ready", getpid(), getppid(), "server", 0, 0);
    scope_demo_step(d, "fork the clients: connect(), accept(), SO_PEERCRED, ping/pong",
                    step_clients);
}

static void step_clients(scope_demo_t *d)
{
    int n = s.throughput ? 1 : s.nclients;
    scope_events_log("starting %d client%s: each connect()s to %s and %s", n, n > 1 ? "s" : "",
                     s.shown,
                     s.throughput ? "streams --throughput bytes"
                                  : "pings; the server answers \"pong: <msg>\"");
    for (int i = 1; i <= n && !d->quitting; i++)
        spawn_client(i, NULL);
    if (s.fault[0] && !d->quitting)
        spawn_client(n + 1, s.fault);
    if (s.nkids == 0) {
        server_wind_down();
        s.exit_code = 1;
    }
}

/* ---- the server's steps (FIFOs) ---- */

static void fifo_step_writers(scope_demo_t *d);

static int fifo_line_whole(const char *line, size_t len, long *pid, uint64_t *id, uint64_t *t)
{
    char head[96];
    size_t k = len < sizeof head - 1 ? len : sizeof head - 1;
    memcpy(head, line, k);
    head[k] = '\0';
    unsigned long long i, tt;
    size_t padlen;
    int n = 0;
    if (sscanf(head, "ping %ld %llu %llu %zu %n", pid, &i, &tt, &padlen, &n) != 4 || n <= 0)
        return 0;
    if (len - (size_t)n != padlen)
        return 0;
    char letter = (char)('a' + *pid % 26);
    for (size_t j = (size_t)n; j < len; j++)
        if (line[j] != letter)
            return 0;
    *id = i;
    *t = tt;
    return 1;
}

static void down_written(uv_write_t *req, int status)
{
    (void)status;
    free(req);
}

static int down_send(const char *data, size_t len)
{
    if (!s.down_open_ok || uv_is_closing((uv_handle_t *)&s.down))
        return -EPIPE;
    uv_write_t *req = malloc(sizeof *req + len + 1);
    if (!req)
        return -ENOMEM;
    char *copy = (char *)(req + 1);
    memcpy(copy, data, len);
    copy[len] = '\n';
    uv_buf_t b = uv_buf_init(copy, (unsigned)len + 1);
    int r = uv_write(req, (uv_stream_t *)&s.down, &b, 1, down_written);
    if (r < 0)
        free(req);
    return r;
}

static void on_up_line(scope_conn_t *c, const char *line, size_t len)
{
    (void)c;
    s.lines_in++;
    if (len > 6 && memcmp(line, "stats ", 6) == 0) {
        if (hist_parse(line, len, &s.tmp_hist) == 0) {
            scope_hist_merge(&s.rtt, &s.tmp_hist);
            s.round_trips += (long)s.tmp_hist.count;
            s.fifo_whole++;
            return;
        }
    }
    long pid = 0;
    uint64_t id = 0, t = 0;
    if (!fifo_line_whole(line, len, &pid, &id, &t)) {
        s.fifo_torn++;
        char sum[96];
        summarize(sum, sizeof sum, "", line, len);
        scope_events_error("torn", "a %zu-byte line that is not one writer's whole line: %s "
                           "(writes over PIPE_BUF = %d bytes may interleave)",
                           len, sum, PIPE_BUF);
        return;
    }
    s.fifo_whole++;
    int w;
    for (w = 0; w < s.nwriters; w++)
        if (s.writers[w].pid == pid)
            break;
    if (w == s.nwriters && w < (int)(sizeof s.writers / sizeof s.writers[0])) {
        s.writers[w].pid = pid;
        s.nwriters++;
    }
    if (w < s.nwriters)
        s.writers[w].lines++;
    char chan[32], sum[48];
    snprintf(chan, sizeof chan, "fifo:%ld", pid);
    int k = kid_index_of(pid);
    int pinger = k >= 0 && s.kids[k].index == 1;
    scope_end_t from = k >= 0 ? SCOPE_PID(pid) : SCOPE_PEER("writer");
    uint64_t now = scope_time_now_ns();
    if (scope_events_msg_admit()) {
        snprintf(sum, sizeof sum, "ping %llu", (unsigned long long)id);
        /* A writer's line carries its send time: the one-way latency. Client
         * 1's round trip is measured at its end instead. */
        scope_events_msg_emit_admitted("recv", chan, from, SCOPE_PID(getpid()), id, len + 1, sum,
                                       !pinger && now > t ? now - t : 0);
    }
    if (pinger) {
        size_t n = len + 6;
        char *reply = malloc(n);
        if (!reply)
            return;
        memcpy(reply, "pong: ", 6);
        memcpy(reply + 6, line, len);
        if (down_send(reply, n) == 0) {
            s.replies++;
            if (scope_events_msg_admit()) {
                snprintf(sum, sizeof sum, "pong: ping %llu", (unsigned long long)id);
                scope_events_msg_emit_admitted("send", chan, SCOPE_PID(getpid()), from, id, n + 1,
                                               sum, 0);
            }
        }
        free(reply);
    }
}

static void on_up_bad(scope_conn_t *c, const scope_frame_error_t *err)
{
    (void)c;
    s.fifo_torn++;
    scope_events_error("oversize", "up.fifo: %s; skipped", err->reason);
}

static void on_down_closed(uv_handle_t *h)
{
    (void)h;
    s.down_open_ok = 0;
    server_check_done();
}

static void on_up_end(scope_conn_t *c, int status)
{
    (void)c;
    scope_events_log("read() on up.fifo returned %s: every writer has closed its end. %ld lines "
                     "read, %ld whole, %ld torn",
                     status == 0 ? "0 (EOF)" : uv_strerror(status), s.fifo_whole + s.fifo_torn,
                     s.fifo_whole, s.fifo_torn);
    for (int i = 0; i < s.nwriters; i++) {
        int k = kid_index_of(s.writers[i].pid);
        scope_events_log("  %s (pid %ld): %ld whole lines", k >= 0 ? s.kids[k].role : "writer",
                         s.writers[i].pid, s.writers[i].lines);
    }
}

static void on_up_closed(scope_conn_t *c)
{
    (void)c;
    s.up_started = s.up_reading = 0;
    if (s.down_open_ok && !uv_is_closing((uv_handle_t *)&s.down))
        uv_close((uv_handle_t *)&s.down, on_down_closed);
    server_check_done();
}

/* Lines are read once down.fifo is open too, so that client 1's first ping
 * finds the way back ready; until then they wait in the pipe. */
static void fifo_maybe_read(void)
{
    if (!s.up_started || s.up_reading || s.up_closing || s.down_pending)
        return;
    scope_conn_options_t o = {.framing = SCOPE_CONN_LINES,
                              .max_frame = s.max_message,
                              .on_frame = on_up_line,
                              .on_error = on_up_bad,
                              .on_end = on_up_end,
                              .on_close = on_up_closed};
    int r = scope_conn_start(&s.up, &o);
    s.up_reading = 1;
    if (r < 0) {
        scope_events_error("read", "up.fifo: %s", uv_strerror(r));
        s.up_closing = 1;
        scope_conn_close(&s.up);
    }
}

static void on_up_opened(uv_fs_t *req)
{
    s.up_pending = 0;
    int fd = (int)req->result;
    char waited[32];
    scope_time_format(waited, sizeof waited, (double)(scope_time_now_ns() - s.up_t0));
    uv_fs_req_cleanup(req);
    if (fd < 0) {
        scope_events_error("open", "open(up.fifo, O_RDONLY): %s", uv_strerror(fd));
        server_wind_down();
        return;
    }
    if (s.winding_down) {
        close(fd);
        server_check_done();
        return;
    }
    scope_events_log("open(up.fifo, O_RDONLY) -> fd %d after %s: it blocked until a writer "
                     "opened the other end",
                     fd, waited);
    /* Hold a write end ourselves: without it, read() returns 0 (EOF) as soon
     * as the writers of the moment have all closed, though another client
     * may be just about to open it. */
    s.up_keep = open(s.up_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    scope_events_log("open(up.fifo, O_WRONLY|O_NONBLOCK) -> fd %d: our own write end, so EOF "
                     "comes only when we say so, after every client has exited",
                     s.up_keep);
    scope_conn_init_pipe(s.demo.loop, &s.up, on_up_closed);
    s.up_started = 1;
    int r = uv_pipe_open(&s.up.h.pipe, fd);
    if (r < 0) {
        close(fd);
        scope_events_error("read", "up.fifo: %s", uv_strerror(r));
        s.up_closing = 1;
        scope_conn_close(&s.up);
        return;
    }
    fifo_maybe_read();
}

static void on_down_opened(uv_fs_t *req)
{
    s.down_pending = 0;
    int fd = (int)req->result;
    char waited[32];
    scope_time_format(waited, sizeof waited, (double)(scope_time_now_ns() - s.down_t0));
    uv_fs_req_cleanup(req);
    if (fd < 0) {
        scope_events_error("open", "open(down.fifo, O_WRONLY): %s", uv_strerror(fd));
        fifo_maybe_read();
        server_wind_down();
        return;
    }
    if (s.winding_down) {
        close(fd);
        fifo_maybe_read();
        server_check_done();
        return;
    }
    scope_events_log("open(down.fifo, O_WRONLY) -> fd %d after %s: it blocked until client 1 "
                     "opened it for reading",
                     fd, waited);
    uv_pipe_init(s.demo.loop, &s.down, 0);
    if (uv_pipe_open(&s.down, fd) < 0) {
        close(fd);
        uv_close((uv_handle_t *)&s.down, NULL);
        fifo_maybe_read();
        return;
    }
    s.down_open_ok = 1;
    fifo_maybe_read();
}

static void fifo_step_make(scope_demo_t *d)
{
    int r = scope_rundir_make("unix-socket", s.rundir, sizeof s.rundir);
    if (r < 0) {
        scope_events_error("rundir", "cannot make a private directory: %s", strerror(-r));
        fail_exit();
        return;
    }
    s.rundir_made = 1;
    scope_demo_on_cleanup(d, cleanup_rundir, NULL);
    snprintf(s.up_path, sizeof s.up_path, "%s/up.fifo", s.rundir);
    snprintf(s.down_path, sizeof s.down_path, "%s/down.fifo", s.rundir);
    snprintf(s.shown, sizeof s.shown, "%s", s.rundir);
    if (mkfifo(s.up_path, 0600) < 0 || mkfifo(s.down_path, 0600) < 0) {
        scope_events_error("mkfifo", "%s", strerror(errno));
        unlink(s.up_path);
        fail_exit();
        return;
    }
    s.fifos_made = 1;
    scope_demo_on_cleanup(d, cleanup_fifos, NULL);
    scope_events_log("mkdtemp(%s), mode 0700; mkfifo(up.fifo, 0600) for the clients' lines, "
                     "mkfifo(down.fifo, 0600) for the answers: a FIFO goes one way only",
                     s.rundir);
    scope_demo_step(d, "open() a FIFO blocks until its other end opens", fifo_step_writers);
}

static void fifo_start_writers(uv_timer_t *t)
{
    (void)t;
    if (s.demo.quitting)
        return;
    scope_events_log("starting %d clients: each opens up.fifo O_WRONLY and writes --count "
                     "lines of %zu bytes; client 1 also reads its pongs from down.fifo (a FIFO "
                     "has no addresses: any reader could take any answer, so only one reads)",
                     s.nclients, s.demo.size);
    if (s.demo.size + 1 > PIPE_BUF)
        scope_events_log("lines of %zu bytes are over PIPE_BUF (%d): the kernel may split such "
                         "a write, and other writers' bytes may land in between",
                         s.demo.size + 1, PIPE_BUF);
    for (int i = 1; i <= s.nclients; i++)
        spawn_client(i, NULL);
}

static void fifo_step_writers(scope_demo_t *d)
{
    s.up_t0 = s.down_t0 = scope_time_now_ns();
    scope_events_log("open(up.fifo, O_RDONLY) and open(down.fifo, O_WRONLY): both block until "
                     "a process opens the other end (they wait in libuv's thread pool, so our "
                     "loop stays awake); the clients start %d ms from now",
                     FIFO_START_MS);
    s.up_pending = s.down_pending = 1;
    uv_fs_open(d->loop, &s.up_open, s.up_path, O_RDONLY | O_CLOEXEC, 0, on_up_opened);
    uv_fs_open(d->loop, &s.down_open, s.down_path, O_WRONLY | O_CLOEXEC, 0, on_down_opened);
    scope_events_proc("ready", getpid(), getppid(), "server", 0, 0);
    uv_timer_init(d->loop, &s.fifo_timer);
    s.fifo_timer_init = 1;
    uv_timer_start(&s.fifo_timer, fifo_start_writers, FIFO_START_MS, 0);
    uv_unref((uv_handle_t *)&s.fifo_timer);
}

/* A blocked open() of a FIFO waits for the other end: to stop waiting, be it. */
static void fifo_unblock(const char *path, int flags)
{
    int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0)
        close(fd);
}

/* ---- the server's shutdown and control ---- */

static void relay(const char *line);

static void server_quit(scope_demo_t *d)
{
    (void)d;
    /* Our clients hear it first on their sockets, then by signal (those not
     * connected yet). */
    relay("ctl quit");
    for (int i = 0; i < s.nkids; i++)
        if (!s.kids[i].exited)
            scope_child_kill(&s.kids[i].proc, SIGTERM, 0);
    server_wind_down();
}

static void relay(const char *line)
{
    if (s.fifo) {
        down_send(line, strlen(line));
        return;
    }
    for (peer_t *p = s.peers; p; p = p->next)
        if (p->ours && !p->bad && !p->refused)
            scope_conn_send(&p->conn, line, strlen(line));
}

static void server_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    char line[64];
    if (strcmp(cmd, "rate") == 0)
        snprintf(line, sizeof line, "ctl rate %g", d->rate);
    else if (strcmp(cmd, "size") == 0)
        snprintf(line, sizeof line, "ctl size %zu", d->size);
    else if (strcmp(cmd, "pause") == 0 || strcmp(cmd, "resume") == 0 || strcmp(cmd, "step") == 0)
        snprintf(line, sizeof line, "ctl %s", cmd);
    else if (strcmp(cmd, "fault") == 0) {
        if (strcmp(d->fault, "oversize") && strcmp(d->fault, "silent") &&
            strcmp(d->fault, "vanish"))
            scope_events_error("fault", "unknown fault '%s' (oversize, silent or vanish)",
                               d->fault);
        else if (!s.fifo && !s.winding_down && !s.listen_only) {
            static const char *const kinds[] = {"oversize", "silent", "vanish"};
            spawn_client(s.nkids + 1, kinds[d->fault[0] == 'o' ? 0 : d->fault[0] == 's' ? 1 : 2]);
        }
        return;
    } else
        return;
    /* Our clients pace themselves: the command travels to them on the very
     * sockets (or FIFO) the lesson is about. */
    relay(line);
}

static int run_server(void)
{
    scope_demo_t *d = &s.demo;
    d->on_quit = server_quit;
    d->on_control = server_control;
    d->params = cJSON_CreateObject();
    cJSON_AddStringToObject(d->params, "mode", s.fifo ? "fifo" : s.abstract ? "abstract" : "path");
    if (s.path_given)
        cJSON_AddStringToObject(d->params, "address", s.path);
    cJSON_AddNumberToObject(d->params, "clients", s.listen_only ? 0 : s.throughput ? 1 : s.nclients);
    if (s.nallow) {
        char list[128];
        allow_list(list, sizeof list);
        cJSON_AddStringToObject(d->params, "allow_uid", list);
    }
    cJSON_AddNumberToObject(d->params, "idle_ms", (double)s.idle_ms);
    cJSON_AddNumberToObject(d->params, "max_message", (double)s.max_message);
    if (s.throughput)
        cJSON_AddNumberToObject(d->params, "throughput", (double)s.throughput);
    if (s.fault[0])
        cJSON_AddStringToObject(d->params, "fault", s.fault);
    int r = scope_demo_start(d, uv_default_loop(), "server", 1);
    if (r < 0) {
        fprintf(stderr, "unix-socket: cannot start: %s\n", strerror(-r));
        return 1;
    }
    scope_hist_reset(&s.rtt);
    if (s.fifo)
        scope_demo_step(d, "a private directory and two FIFOs (mkfifo)", fifo_step_make);
    else if (s.abstract)
        scope_demo_step(d, "an abstract name: no file at all", step_place);
    else if (s.path_given)
        scope_demo_step(d, "probe the path: free, stale or live?", step_place);
    else
        scope_demo_step(d, "a private directory for the socket file; probe the path", step_place);
    scope_demo_run(d);
    for (int i = 0; i < s.nkids; i++)
        if (!s.kids[i].exited)
            scope_child_kill(&s.kids[i].proc, SIGKILL, 0);
    uv_run(d->loop, UV_RUN_NOWAIT);
    scope_spawn_shutdown(d->loop);
    uv_run(d->loop, UV_RUN_NOWAIT);
    return s.exit_code;
}

/* ==== a client ============================================================ */

static void client_done(int code);
static void client_next(void);

static void client_report_stats(void)
{
    scope_events_stats(s.chan, &s.rtt, &s.rate, scope_time_now_ns());
}

static void on_client_stats_timer(uv_timer_t *t)
{
    (void)t;
    client_report_stats();
}

/* The line for ping id, exactly --size bytes when that is room enough. */
static const char *build_ping(uint64_t id, size_t *len)
{
    size_t size = s.demo.size;
    if (size > s.max_message) {
        scope_events_error("size", "--size %zu is over --max-message %zu: sending %zu", size,
                           s.max_message, s.max_message);
        s.demo.size = size = s.max_message;
    }
    if (s.line_cap < size + 128) {
        char *b = realloc(s.line, size + 128);
        if (!b)
            return NULL;
        s.line = b;
        s.line_cap = size + 128;
    }
    int n;
    if (s.fifo) {
        long pid = (long)getpid();
        n = snprintf(s.line, s.line_cap, "ping %ld %llu %llu ", pid, (unsigned long long)id,
                     (unsigned long long)scope_time_now_ns());
        /* the pad's own length is in the line: find the pad that makes it --size */
        size_t pad = 1;
        for (size_t digits = 1; digits <= 9; digits++) {
            size_t room = size > (size_t)n + digits + 1 ? size - (size_t)n - digits - 1 : 0;
            if (room && snprintf(NULL, 0, "%zu", room) == (int)digits) {
                pad = room;
                break;
            }
        }
        int m = snprintf(s.line + n, s.line_cap - (size_t)n, "%zu ", pad);
        n += m;
        memset(s.line + n, 'a' + pid % 26, pad);
        n += (int)pad;
    } else {
        n = snprintf(s.line, s.line_cap, "ping %llu", (unsigned long long)id);
        if ((size_t)n + 1 < size) {
            s.line[n++] = ' ';
            memset(s.line + n, 'x', size - (size_t)n);
            n = (int)size;
        }
    }
    *len = (size_t)n;
    return s.line;
}

static void client_msg(const char *dir, uint64_t id, size_t bytes, const char *summary,
                       uint64_t lat)
{
    int send = dir[0] == 's';
    scope_events_msg(dir, s.chan, send ? s.me : s.server, send ? s.server : s.me, id, bytes,
                     summary, lat);
}

/* ---- the FIFO client's writes ---- */

static void fifo_written(uv_write_t *req, int status)
{
    free(req);
    s.fifo_writes--;
    if (status < 0) {
        scope_events_error("write", "up.fifo: %s (the reader is gone)", uv_strerror(status));
        client_done(1);
        return;
    }
    if (!s.await_pong && !s.done)
        client_next();
    else if (s.done && s.fifo_writes == 0)
        client_done(s.client_code);
}

static int fifo_write(const char *line, size_t len)
{
    uv_write_t *req = malloc(sizeof *req + len + 1);
    if (!req)
        return -ENOMEM;
    char *copy = (char *)(req + 1);
    memcpy(copy, line, len);
    copy[len] = '\n';
    uv_buf_t b = uv_buf_init(copy, (unsigned)len + 1);
    /* One write() of len+1 bytes: at most PIPE_BUF, and it lands whole. */
    int r = uv_write(req, (uv_stream_t *)&s.c_up, &b, 1, fifo_written);
    if (r < 0)
        free(req);
    else
        s.fifo_writes++;
    return r;
}

static int client_send_line(const char *line, size_t len)
{
    if (s.fifo)
        return fifo_write(line, len);
    return scope_conn_send(&s.conn, line, len);
}

static void send_ping(scope_pacer_t *p)
{
    (void)p;
    if (s.done)
        return;
    uint64_t id = (uint64_t)s.sent + 1;
    size_t len;
    const char *line = build_ping(id, &len);
    if (!line)
        return;
    if (scope_events_msg_admit()) {
        char sum[32];
        snprintf(sum, sizeof sum, "ping %llu", (unsigned long long)id);
        scope_events_msg_emit_admitted("send", s.chan, s.me, s.server, id, len + 1, sum, 0);
    }
    s.t_sent = scope_time_now_ns();
    /* Over a FIFO only client 1 reads answers, and only for a line that
     * cannot tear: a torn ping would never be answered. */
    s.await_pong = !s.fifo || (s.as_client == 1 && len + 1 <= PIPE_BUF);
    int r = client_send_line(line, len);
    if (r == -EPIPE && !s.fifo) {
        /* The server has closed its end; what it said before that is still
         * to be read, and the end of the stream will tell the rest. */
        return;
    }
    if (r < 0) {
        scope_events_error("send", "%s", strerror(-r));
        client_done(1);
        return;
    }
    s.sent++;
}

static void client_next(void)
{
    if (s.done)
        return;
    if (s.sent >= s.demo.count) {
        client_done(0);
        return;
    }
    scope_pacer_next(&s.pacer, send_ping);
}

static void client_send_stats(void)
{
    size_t len;
    char *line = hist_line(&s.rtt, &len);
    if (!line)
        return;
    if (s.fifo && len + 1 > PIPE_BUF) {
        scope_events_log("our latency summary (%zu bytes) is over PIPE_BUF: not sent, so it "
                         "cannot tear",
                         len + 1);
    } else if (client_send_line(line, len) == 0) {
        char sum[64];
        snprintf(sum, sizeof sum, "stats: %llu round trips", (unsigned long long)s.rtt.count);
        client_msg("send", 0, len + 1, sum, 0);
    }
    free(line);
}

static void on_conn_closed(scope_conn_t *c)
{
    (void)c;
    s.conn_open = 0;
    if (s.connect_only && s.as_client == 0)
        scope_events_chan("close", s.chan, s.fifo ? "fifo" : "unix", s.me, s.server, NULL);
    scope_demo_stop(&s.demo);
}

static void on_c_up_closed(uv_handle_t *h)
{
    (void)h;
    scope_demo_stop(&s.demo);
}

static void client_done(int code)
{
    if (!s.done) {
        s.done = 1;
        s.client_code = code;
        if (!uv_is_closing((uv_handle_t *)&s.stats_timer))
            uv_close((uv_handle_t *)&s.stats_timer, NULL);
        scope_pacer_close(&s.pacer);
        if (code == 0 && s.rtt.count && !s.fault[0] && !s.demo.quitting)
            client_send_stats();
        if (s.rtt.count) {
            client_report_stats();
            scope_hist_summary_t sum;
            scope_hist_summarize(&s.rtt, &sum);
            char p50[32], p99[32];
            scope_time_format(p50, sizeof p50, (double)(sum.p50));
            scope_time_format(p99, sizeof p99, (double)(sum.p99));
            scope_events_log("%ld pings, %ld pongs: round trip p50 %s, p99 %s", s.sent, s.pongs,
                             p50, p99);
        } else if (s.fifo && s.sent) {
            scope_events_log("%ld lines written into up.fifo", s.sent);
        }
    }
    if (s.fifo) {
        if (s.fifo_writes > 0 && code == 0)
            return; /* fifo_written comes back here when they are out */
        if (s.chan_open) {
            scope_events_chan("close", s.chan, "fifo", s.me, s.server, NULL);
            s.chan_open = 0;
        }
        if (s.c_up_ok && !uv_is_closing((uv_handle_t *)&s.c_up)) {
            uv_close((uv_handle_t *)&s.c_up, on_c_up_closed);
            s.c_up_ok = 0;
        }
        if (s.c_down_ok) {
            scope_conn_close(&s.conn);
            s.c_down_ok = 0;
        }
        if (s.as_client == 0 || s.connect_only)
            scope_demo_stop(&s.demo);
        return;
    }
    if (s.conn_open)
        scope_conn_close(&s.conn); /* shutdown(SHUT_WR) once queued lines are out */
    else
        scope_demo_stop(&s.demo);
}

/* ---- the streaming client (--throughput) ---- */

static void stream_more(void);

static void on_stream_written(uv_write_t *req, int status)
{
    (void)req;
    s.writes_in_flight--;
    if (status < 0) {
        scope_events_error("write", "stream: %s", uv_strerror(status));
        client_done(1);
        return;
    }
    stream_more();
}

static void stream_more(void)
{
    while (!s.done && s.writes_in_flight < 2 && s.streamed < s.throughput) {
        uint64_t left = s.throughput - s.streamed;
        size_t n = left < STREAM_CHUNK ? (size_t)left : STREAM_CHUNK;
        char *base = s.chunk;
        if (n < STREAM_CHUNK) {
            /* the last piece: whole lines, the final one shorter */
            base = s.chunk + STREAM_CHUNK - n; /* it ends in '\n' too */
        }
        uv_buf_t b = uv_buf_init(base, (unsigned)n);
        /* writes complete in order: two requests, taken in turn */
        uv_write_t *req = &s.stream_req[s.next_req];
        s.next_req ^= 1;
        if (uv_write(req, &s.conn.h.stream, &b, 1, on_stream_written) < 0) {
            client_done(1);
            return;
        }
        s.writes_in_flight++;
        s.streamed += n;
        if (scope_events_msg_admit()) {
            char sum[48];
            snprintf(sum, sizeof sum, "stream: %.1f of %.1f MB", s.streamed / 1e6,
                     s.throughput / 1e6);
            scope_events_msg_emit_admitted("send", s.chan, s.me, s.server, 0, n, sum, 0);
        }
    }
}

static void stream_start(void)
{
    s.chunk = malloc(STREAM_CHUNK);
    if (!s.chunk) {
        client_done(1);
        return;
    }
    memset(s.chunk, 'x', STREAM_CHUNK);
    for (size_t i = STREAM_LINE - 1; i < STREAM_CHUNK; i += STREAM_LINE)
        s.chunk[i] = '\n';
    char line[64];
    int n = snprintf(line, sizeof line, "stream %llu", (unsigned long long)s.throughput);
    scope_conn_send(&s.conn, line, (size_t)n);
    client_msg("send", 0, (size_t)n + 1, line, 0);
    scope_events_log("\"stream %llu\" announces the bytes that follow: then they go in writes "
                     "of %d KiB, two in flight",
                     (unsigned long long)s.throughput, STREAM_CHUNK / 1024);
    s.stream_t0 = scope_time_now_ns();
    stream_more();
}

/* ---- what the client reads ---- */

static void apply_ctl(const char *line, size_t len)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < 63 ? len : 63), line);
    double v;
    if (strcmp(buf, "ctl quit") == 0) {
        scope_events_log("from the server: ctl quit");
        client_done(0);
        return;
    }
    /* The dashboard's command, relayed as a text line (so that a person
     * with socat can send one too), applied as lib/demo applies it in the
     * server: the pacer then holds or lets go the next ping. */
    cJSON *cmd = cJSON_CreateObject();
    if (strcmp(buf, "ctl pause") == 0 || strcmp(buf, "ctl resume") == 0 ||
        strcmp(buf, "ctl step") == 0) {
        cJSON_AddStringToObject(cmd, "cmd", buf + 4);
    } else if (sscanf(buf, "ctl rate %lf", &v) == 1) {
        cJSON_AddStringToObject(cmd, "cmd", "rate");
        cJSON_AddNumberToObject(cmd, "hz", v);
    } else if (sscanf(buf, "ctl size %lf", &v) == 1) {
        cJSON_AddStringToObject(cmd, "cmd", "size");
        cJSON_AddNumberToObject(cmd, "bytes", v);
    } else {
        cJSON_Delete(cmd);
        return;
    }
    scope_events_log("from the server: %s", buf);
    scope_demo_apply_control(&s.demo, cmd);
    cJSON_Delete(cmd);
}

/* "pong: ping PID ID ..." -> ID */
static uint64_t fifo_pong_id(const char *line, size_t len)
{
    char head[64];
    size_t k = len < sizeof head - 1 ? len : sizeof head - 1;
    memcpy(head, line, k);
    head[k] = '\0';
    long pid;
    unsigned long long id;
    return sscanf(head, "pong: ping %ld %llu", &pid, &id) == 2 ? id : 0;
}

static void on_client_line(scope_conn_t *c, const char *line, size_t len)
{
    (void)c;
    char sum[96];
    if (len >= 4 && memcmp(line, "ctl ", 4) == 0) {
        apply_ctl(line, len);
        return;
    }
    if (len >= 7 && memcmp(line, "error: ", 7) == 0) {
        summarize(sum, sizeof sum, "", line, len);
        client_msg("recv", 0, len + 1, sum, 0);
        if (s.pongs == 0 && memcmp(line, "error: uid", 10 < len ? 10 : len) == 0) {
            s.refused_us = 1;
            scope_events_error("refused", "the server refused us: %.*s", (int)(len - 7),
                               line + 7);
        } else {
            scope_events_log("the server says: %.*s", (int)(len > 200 ? 200 : len), line);
        }
        return;
    }
    if (len > 9 && memcmp(line, "received ", 9) == 0) {
        uint64_t ns = scope_time_now_ns() - s.stream_t0;
        client_msg("recv", 0, len + 1, "received", 0);
        scope_events_log("the server says: %.*s; from our first write to its answer: %.0f MB/s",
                         (int)len, line, (double)s.streamed * 1e3 / (double)(ns ? ns : 1));
        client_done(0);
        return;
    }
    uint64_t id = s.fifo ? fifo_pong_id(line, len) : ping_id(line, len);
    uint64_t now = scope_time_now_ns();
    uint64_t rtt = s.await_pong && s.t_sent && id == (uint64_t)s.sent ? now - s.t_sent : 0;
    if (rtt) {
        s.pongs++;
        scope_hist_add(&s.rtt, rtt);
        scope_rate_add(&s.rate, now, len + 1);
    }
    if (scope_events_msg_admit()) {
        if (s.fifo)
            snprintf(sum, sizeof sum, "pong: ping %llu", (unsigned long long)id);
        else
            summarize(sum, sizeof sum, "", line, len);
        scope_events_msg_emit_admitted("recv", s.chan, s.server, s.me, id, len + 1, sum, rtt);
    }
    if (s.fault[0]) {
        scope_events_log("the server still answers after our bad line: %s", sum);
        client_done(0);
        return;
    }
    if (rtt)
        client_next();
}

static void on_client_bad(scope_conn_t *c, const scope_frame_error_t *err)
{
    (void)c;
    scope_events_error("oversize", "from the server: %s", err->reason);
}

static void on_client_end(scope_conn_t *c, int status)
{
    (void)c;
    if (s.done || s.demo.quitting)
        return;
    if (s.refused_us) {
        scope_events_log("the server closed the connection after refusing us");
        s.done = 1;
        s.client_code = CLIENT_REFUSED;
    } else if (s.fault[0]) {
        scope_events_log("the server closed our connection (%s)",
                         status == 0 ? "EOF" : uv_strerror(status));
        s.done = 1;
        s.client_code = 0;
    } else {
        scope_events_error("closed", "the server closed the connection (%s) after %ld of %ld "
                           "pongs",
                           status == 0 ? "EOF" : uv_strerror(status), s.pongs, s.demo.count);
        s.done = 1;
        s.client_code = 1;
    }
    if (!uv_is_closing((uv_handle_t *)&s.stats_timer))
        uv_close((uv_handle_t *)&s.stats_timer, NULL);
    scope_pacer_close(&s.pacer);
}

/* ---- a bad client (--fault) ---- */

static void bad_client_act(void)
{
    if (strcmp(s.fault, "oversize") == 0) {
        size_t n = s.max_message + 100;
        char *big = malloc(n + 1);
        if (!big)
            return;
        memset(big, 'o', n);
        big[n] = '\n';
        scope_events_log("fault: writing a %zu-byte line, over the server's %zu-byte limit; "
                         "then an ordinary ping",
                         n + 1, s.max_message);
        client_msg("send", 0, n + 1, "oversize line", 0);
        scope_conn_write_raw(&s.conn, big, n + 1);
        free(big);
        s.sent = 1;
        s.await_pong = 1;
        s.t_sent = scope_time_now_ns();
        scope_conn_send(&s.conn, "ping 1 after the big one", 24);
        client_msg("send", 1, 25, "ping 1", 0);
    } else if (strcmp(s.fault, "silent") == 0) {
        scope_events_log("fault: connected, and saying nothing: the server's idle limit "
                         "(%llu ms) should cut us",
                         (unsigned long long)s.idle_ms);
    } else {
        scope_events_log("fault: writing half a line, then vanishing before its newline");
        client_msg("send", 0, 16, "ping 1 (half)", 0);
        scope_conn_write_raw(&s.conn, "ping 1 half a li", 16);
        /* No newline, no close, no goodbye: the process just ends, as a crash
         * would, and the kernel closes the socket for it. */
        _exit(0);
    }
}

/* ---- connecting ---- */

static int client_connect(void)
{
    struct sockaddr_un sa;
    int len = make_addr(&sa);
    char shown[PATH_MAX + 2];
    snprintf(shown, sizeof shown, "%s%s", s.abstract && s.path[0] != '@' ? "@" : "", s.path);
    if (len < 0) {
        scope_events_error("path", "%s is too long for sun_path", shown);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        scope_events_error("socket", "%s", strerror(errno));
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sa, (socklen_t)len) < 0) {
        int e = errno;
        const char *why = e == ENOENT         ? ": no such file (no server ever bound it)"
                          : e == ECONNREFUSED ? ": the file is there but nobody listens (stale)"
                          : e == EACCES       ? ": permission denied (the file or its directory)"
                                              : "";
        scope_events_error("connect", "connect(%s): %s%s", shown, errname(e), why);
        close(fd);
        return -1;
    }
    pid_t pid;
    uid_t uid;
    gid_t gid;
    if (scope_peer_cred(fd, &pid, &uid, &gid) < 0)
        pid = 0, uid = 0, gid = 0;
    s.server_pid = pid;
    snprintf(s.chan, sizeof s.chan, "unix:%ld", (long)getpid());
    s.me = SCOPE_PID(getpid());
    if (s.as_client) {
        s.server = SCOPE_PID(getppid());
    } else {
        snprintf(s.server_name, sizeof s.server_name, "server %ld", (long)pid);
        s.server = SCOPE_PEER(s.server_name);
    }
    scope_events_log("socket() -> fd %d; connect(%s) -> 0; getsockopt(SO_PEERCRED) on our end "
                     "names the server: pid %ld, uid %ld, gid %ld",
                     fd, shown, (long)pid, (long)uid, (long)gid);
    if (s.as_client == 0) {
        char detail[64];
        snprintf(detail, sizeof detail, "fd %d to %.40s", fd, shown);
        scope_events_chan("open", s.chan, "unix", s.me, s.server, detail);
    }
    scope_conn_init_pipe(s.demo.loop, &s.conn, NULL);
    int r = uv_pipe_open(&s.conn.h.pipe, fd);
    scope_conn_options_t o = {.framing = SCOPE_CONN_LINES,
                              .max_frame = s.max_message + 64,
                              .on_frame = on_client_line,
                              .on_error = on_client_bad,
                              .on_end = on_client_end,
                              .on_close = on_conn_closed};
    if (r < 0)
        close(fd); /* not the handle's */
    else
        r = scope_conn_start(&s.conn, &o);
    if (r < 0) {
        scope_events_error("read", "%s", uv_strerror(r));
        scope_conn_close(&s.conn);
        return -1;
    }
    s.conn_open = 1;
    return 0;
}

static void client_begin(void)
{
    scope_events_proc("ready", getpid(), getppid(), s.role, 0, 0);
    uv_timer_start(&s.stats_timer, on_client_stats_timer, 500, 500);
    if (s.fault[0]) {
        bad_client_act();
        return;
    }
    if (s.throughput) {
        stream_start();
        return;
    }
    if (s.demo.count == 0) {
        client_done(0);
        return;
    }
    client_next();
}

/* ---- the FIFO client's opens ---- */

static void fifo_client_ready(void)
{
    if (s.c_up_pending || s.c_down_pending || s.done)
        return;
    char detail[64];
    snprintf(detail, sizeof detail, "%s", s.as_client == 1 ? "up.fifo, pongs on down.fifo"
                                                            : "writes up.fifo, shared");
    scope_events_chan("open", s.chan, "fifo", s.me, s.server, detail);
    s.chan_open = 1;
    client_begin();
}

static void on_c_up_opened(uv_fs_t *req)
{
    s.c_up_pending = 0;
    int fd = (int)req->result;
    char waited[32];
    scope_time_format(waited, sizeof waited, (double)(scope_time_now_ns() - s.c_up_t0));
    uv_fs_req_cleanup(req);
    if (fd < 0) {
        scope_events_error("open", "open(up.fifo, O_WRONLY): %s", uv_strerror(fd));
        client_done(1);
        return;
    }
    if (s.done) {
        close(fd);
        client_done(s.client_code);
        return;
    }
    scope_events_log("open(up.fifo, O_WRONLY) -> fd %d after %s: the server was already "
                     "waiting to read, so no wait here",
                     fd, waited);
    uv_pipe_init(s.demo.loop, &s.c_up, 0);
    if (uv_pipe_open(&s.c_up, fd) < 0) {
        close(fd);
        uv_close((uv_handle_t *)&s.c_up, NULL);
        client_done(1);
        return;
    }
    s.c_up_ok = 1;
    fifo_client_ready();
}

static void on_c_down_opened(uv_fs_t *req)
{
    s.c_down_pending = 0;
    int fd = (int)req->result;
    char waited[32];
    scope_time_format(waited, sizeof waited, (double)(scope_time_now_ns() - s.c_down_t0));
    uv_fs_req_cleanup(req);
    if (fd < 0) {
        scope_events_error("open", "open(down.fifo, O_RDONLY): %s", uv_strerror(fd));
        client_done(1);
        return;
    }
    if (s.done) {
        close(fd);
        client_done(s.client_code);
        return;
    }
    scope_events_log("open(down.fifo, O_RDONLY) -> fd %d after %s: the server was already "
                     "waiting to write",
                     fd, waited);
    scope_conn_init_pipe(s.demo.loop, &s.conn, NULL);
    int r = uv_pipe_open(&s.conn.h.pipe, fd);
    scope_conn_options_t o = {.framing = SCOPE_CONN_LINES,
                              .max_frame = s.max_message + 64,
                              .on_frame = on_client_line,
                              .on_error = on_client_bad,
                              .on_end = on_client_end,
                              .on_close = on_conn_closed};
    if (r == 0)
        r = scope_conn_start(&s.conn, &o);
    s.c_down_ok = 1;
    if (r < 0) {
        scope_events_error("read", "down.fifo: %s", uv_strerror(r));
        client_done(1);
        return;
    }
    fifo_client_ready();
}

static int fifo_client_open(void)
{
    snprintf(s.up_path, sizeof s.up_path, "%s/up.fifo", s.path);
    snprintf(s.down_path, sizeof s.down_path, "%s/down.fifo", s.path);
    snprintf(s.chan, sizeof s.chan, "fifo:%ld", (long)getpid());
    s.me = SCOPE_PID(getpid());
    s.server = SCOPE_PID(getppid());
    s.c_up_t0 = s.c_down_t0 = scope_time_now_ns();
    s.c_up_pending = 1;
    uv_fs_open(s.demo.loop, &s.c_up_open, s.up_path, O_WRONLY | O_CLOEXEC, 0, on_c_up_opened);
    if (s.as_client == 1) {
        s.c_down_pending = 1;
        uv_fs_open(s.demo.loop, &s.c_down_open, s.down_path, O_RDONLY | O_CLOEXEC, 0,
                   on_c_down_opened);
    }
    return 0;
}

static void client_quit(scope_demo_t *d)
{
    (void)d;
    if (s.c_up_pending)
        fifo_unblock(s.up_path, O_RDONLY);
    if (s.c_down_pending)
        fifo_unblock(s.down_path, O_WRONLY);
    client_done(s.done ? s.client_code : 0);
    if (!s.conn_open && !s.c_up_ok)
        scope_demo_stop(d);
}

static int run_client(void)
{
    scope_demo_t *d = &s.demo;
    d->on_quit = client_quit;
    char *role = s.role;
    if (s.fault[0])
        snprintf(s.role, sizeof s.role, "bad client (%s)", s.fault);
    else if (s.as_client)
        snprintf(s.role, sizeof s.role, "client %d", s.as_client);
    else
        snprintf(s.role, sizeof s.role, "client");
    if (!s.as_client) {
        d->params = cJSON_CreateObject();
        cJSON_AddStringToObject(d->params, "connect", s.path);
        cJSON_AddStringToObject(d->params, "mode", s.abstract ? "abstract" : "path");
    }
    int r = scope_demo_start(d, uv_default_loop(), role, s.as_client == 0);
    if (r < 0) {
        fprintf(stderr, "unix-socket: cannot report events: %s\n", strerror(-r));
        return 1;
    }
    scope_hist_reset(&s.rtt);
    scope_rate_init(&s.rate, 0);
    scope_pacer_init(d, &s.pacer);
    uv_timer_init(d->loop, &s.stats_timer);
    uv_unref((uv_handle_t *)&s.stats_timer);
    int ok = s.fifo ? fifo_client_open() : client_connect();
    if (ok < 0) {
        s.client_code = 1;
        s.done = 1;
        uv_close((uv_handle_t *)&s.stats_timer, NULL);
        scope_demo_stop(d);
    } else if (!s.fifo) {
        client_begin();
    }
    scope_demo_run(d);
    if (s.as_client == 0) {
        scope_hist_summary_t sum;
        scope_hist_summarize(&s.rtt, &sum);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "sent", (double)s.sent);
        cJSON_AddNumberToObject(o, "received", (double)s.pongs);
        cJSON_AddNumberToObject(o, "p50", (double)sum.p50);
        cJSON_AddNumberToObject(o, "p99", (double)sum.p99);
        cJSON_AddBoolToObject(o, "refused", s.refused_us);
        char text[160], p50[32];
        scope_time_format(p50, sizeof p50, (double)(sum.p50));
        if (s.refused_us)
            snprintf(text, sizeof text, "refused by the server (pid %ld)", (long)s.server_pid);
        else
            snprintf(text, sizeof text, "%ld pings, %ld pongs (median %s)", s.sent, s.pongs, p50);
        scope_events_bye(o, text);
    }
    free(s.line);
    free(s.chunk);
    uv_loop_close(d->loop);
    return s.refused_us ? CLIENT_REFUSED : s.client_code;
}

int main(int argc, char **argv)
{
    s.demo.on_option = on_option;
    int r = scope_demo_parse(&s.demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&s.demo, r, stdout, stderr);
    if (s.fifo && (s.listen_only || s.abstract || s.throughput) && !s.as_client) {
        fprintf(stderr, "unix-socket: --fifo runs server and clients together; it takes none "
                        "of --listen, --connect, --abstract, --throughput\n");
        return 2;
    }
    if (s.listen_only && s.connect_only) {
        fprintf(stderr, "unix-socket: --listen or --connect, not both\n");
        return 2;
    }
    if (s.connect_only || s.as_client)
        return run_client();
    return run_server();
}
