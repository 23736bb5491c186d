/* tcp: net.createServer() and net.connect() with the lid off.
 *
 * The seeds' chat server, then what a TCP byte stream really is, step by step:
 *
 *   1. socket(AF_INET, SOCK_STREAM), bind(127.0.0.1:0), listen(): the kernel
 *      picks a free port (the demo binds before it says hello, so the port is
 *      in its hello event).
 *   2. N client processes (this program with --as-client) connect(); each
 *      accept4() gives the server one fd per client. Each line a client writes
 *      is echoed to it ("Server echo: ...") and broadcast to the others
 *      ("Broadcast: PORT says: ..."), as in the seed; each line carries the
 *      round trip of the one before, so the server can keep the figures. A
 *      client that leaves is removed and the others are told.
 *   3. A byte stream keeps no boundaries (a): the server write()s two short
 *      messages; the lab client reads late, and one read() returns both.
 *   4. (b): one 256 KiB write() arrives in several reads.
 *   5. Length-prefixed frames (lib/net, SCOPE_CONN_LENGTH): a 4-byte length
 *      before each message, and every message arrives whole.
 *   6. Nagle and TCP_NODELAY: a request sent in two small writes, then a
 *      read, timed with Nagle on (the default of libuv and of node's net) and
 *      with TCP_NODELAY.
 *
 * The same program is every side: --listen ADDR runs only the server (until
 * SIGINT, SIGTERM or quit), --connect ADDR only one client, so the two can run
 * on two machines. Real peers join the chat too:
 *
 *   build/demos/tcp --listen 127.0.0.1:7000 &
 *   nc 127.0.0.1 7000                      # type a line: Server echo: ...
 *   node demos/tcp-client.js 127.0.0.1:7000
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "demo.h"
#include "events.h"
#include "framing.h"
#include "net.h"
#include "spawn.h"
#include "timing.h"

static const scope_demo_info_t info = {
    "tcp",
    "net over TCP with the lid off: the chat server, a byte stream, Nagle",
    "A chat server echoes and broadcasts lines to N clients; then what a byte stream "
    "does to message boundaries, and what Nagle's algorithm costs.",
    "000 001 002",
    "TCP/HTTP | 中 | ✅ | 中 | 微服务",
};

static const scope_demo_option_t options[] = {
    {"clients", "N", "client processes in a default run (default 3, at most 8)"},
    {"listen", "HOST:PORT", "run only the server, on this address (default 127.0.0.1:0)"},
    {"connect", "HOST:PORT", "run only one client, against this server"},
    {"nodelay", "on|off", "TCP_NODELAY on every socket (default off, as libuv and node's net)"},
    {"split-writes", NULL, "clients write each line in two write()s (the write-write-read pattern)"},
    {"max-message", "BYTES", "longest line the server takes (default 65536)"},
    {"idle-ms", "MS", "close a peer that says nothing this long (default 30000, 0 = never)"},
    {"throughput", "BYTES", "one client streams BYTES to the server; the summary gives MB/s"},
    {"lab", "on|off", "after the chat, the byte-stream and Nagle steps (default on)"},
    {"as-client", NULL, "internal: be one of the demo's client processes"},
    {"as-lab", NULL, "internal: be the demo's lab client"},
    {"client-id", "K", "internal: this client's number"},
    {"relay-fd", "FD", "internal: dashboard commands relayed by the server"},
    {NULL, NULL, NULL},
};

#define MAX_CLIENTS    8
#define LAB_A1         "first message"
#define LAB_A2         "second message"
#define LAB_BIG        (256u * 1024u)
#define NAGLE_ROUNDS   20
#define TPUT_CHUNK     (64u * 1024u)
#define ECHO_PREFIX    "Server echo: "
#define BCAST_PREFIX   "Broadcast: "
#define ERROR_PREFIX   "Server error: "

/* ==== shared ============================================================= */

static struct {
    scope_demo_t demo;
    /* options */
    int clients, nodelay, split, lab, as_client, as_lab, client_id, relay_fd;
    size_t max_message;
    uint64_t idle_ms, throughput;
    const char *listen_spec, *connect_spec;
    int exit_code;
} o = {.clients = 3, .lab = 1, .relay_fd = -1, .max_message = 65536, .idle_ms = 30000};

static long self_pid; /* getpid() is a system call: asked once */

static int parse_u64(const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v || *end || *v == '-' || n < lo || n > hi)
        return -EINVAL;
    *out = n;
    return 0;
}

static int on_off(const char *v, int *out)
{
    if (strcmp(v, "on") == 0)
        *out = 1;
    else if (strcmp(v, "off") == 0)
        *out = 0;
    else
        return -EINVAL;
    return 0;
}

static int on_option(scope_demo_t *d, const char *name, const char *value)
{
    uint64_t n;
    if (strcmp(name, "clients") == 0) {
        if (parse_u64(value, 0, MAX_CLIENTS, &n) < 0) {
            snprintf(d->error, sizeof d->error, "--clients wants 0 to %d", MAX_CLIENTS);
            return -EINVAL;
        }
        o.clients = (int)n;
    } else if (strcmp(name, "listen") == 0) {
        o.listen_spec = value;
    } else if (strcmp(name, "connect") == 0) {
        o.connect_spec = value;
    } else if (strcmp(name, "nodelay") == 0 || strcmp(name, "lab") == 0) {
        if (on_off(value, name[0] == 'n' ? &o.nodelay : &o.lab) < 0) {
            snprintf(d->error, sizeof d->error, "--%s wants on or off, not '%s'", name, value);
            return -EINVAL;
        }
    } else if (strcmp(name, "split-writes") == 0) {
        o.split = 1;
    } else if (strcmp(name, "max-message") == 0) {
        if (parse_u64(value, 64, 16u * 1024 * 1024, &n) < 0) {
            snprintf(d->error, sizeof d->error, "--max-message wants 64 to 16777216 bytes");
            return -EINVAL;
        }
        o.max_message = (size_t)n;
    } else if (strcmp(name, "idle-ms") == 0) {
        if (parse_u64(value, 0, 86400000, &o.idle_ms) < 0) {
            snprintf(d->error, sizeof d->error, "--idle-ms wants milliseconds, 0 to 86400000");
            return -EINVAL;
        }
    } else if (strcmp(name, "throughput") == 0) {
        if (parse_u64(value, 1, 1ull << 40, &o.throughput) < 0) {
            snprintf(d->error, sizeof d->error, "--throughput wants bytes, 1 to 2^40");
            return -EINVAL;
        }
    } else if (strcmp(name, "as-client") == 0) {
        o.as_client = 1;
    } else if (strcmp(name, "as-lab") == 0) {
        o.as_lab = 1;
    } else if (strcmp(name, "client-id") == 0) {
        if (parse_u64(value, 0, 1000, &n) < 0)
            return -EINVAL;
        o.client_id = (int)n;
    } else if (strcmp(name, "relay-fd") == 0) {
        if (parse_u64(value, 3, 1024, &n) < 0)
            return -EINVAL;
        o.relay_fd = (int)n;
    }
    return 0;
}

/* A message as the flow shows it: printable, cut, its size named when cut. */
static void summarize(const char *data, size_t len, char *out, size_t outlen)
{
    size_t keep = len < 72 ? len : 60, j = 0;
    for (size_t i = 0; i < keep && j + 1 < outlen; i++) {
        unsigned char ch = (unsigned char)data[i];
        out[j++] = (ch >= 32 && ch != 127) || ch >= 128 ? (char)ch : '.';
    }
    out[j] = '\0';
    if (keep < len)
        snprintf(out + j, outlen - j, "... (%zu bytes)", len);
}

static int sock_nodelay(int fd)
{
    int v = 0;
    socklen_t l = sizeof v;
    if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &l) < 0)
        return -1;
    return v;
}

/* ---- who is at the other end ---------------------------------------------
 * On one machine the kernel can say which process owns the other end of a
 * TCP connection, the way `ss -tp` does: /proc/net/tcp lists every socket of
 * this network namespace with its two addresses and its inode, and the
 * owner's /proc/PID/fd holds a link "socket:[INODE]". The dashboard then draws
 * nc or node in a lane of their own; a peer on another host stays an address. */

static int proc_addr_eq(const char *hex, unsigned port, const struct sockaddr *sa, int any_ok)
{
    if (scope_addr_port(sa) != (int)port)
        return 0;
    size_t len = strlen(hex);
    if (sa->sa_family == AF_INET) {
        if (len != 8)
            return 0;
        uint32_t v = (uint32_t)strtoul(hex, NULL, 16);
        uint32_t want = ((const struct sockaddr_in *)sa)->sin_addr.s_addr;
        return v == want || (any_ok && v == 0);
    }
    if (sa->sa_family != AF_INET6 || len != 32)
        return 0;
    uint32_t want[4];
    memcpy(want, &((const struct sockaddr_in6 *)sa)->sin6_addr, sizeof want);
    int eq = 1, zero = 1;
    for (int i = 0; i < 4; i++) {
        char part[9];
        memcpy(part, hex + 8 * i, 8);
        part[8] = '\0';
        uint32_t w = (uint32_t)strtoul(part, NULL, 16);
        eq &= w == want[i];
        zero &= w == 0;
    }
    return eq || (any_ok && zero);
}

/* The inode of the socket whose own end is `local` and whose peer is
 * `remote`; with remote NULL, of the socket listening on local's port. */
static unsigned long socket_inode(const struct sockaddr *local, const struct sockaddr *remote)
{
    FILE *f = fopen(local->sa_family == AF_INET6 ? "/proc/net/tcp6" : "/proc/net/tcp", "r");
    if (!f)
        return 0;
    char line[512], lh[40], rh[40];
    unsigned lp, rp, st;
    unsigned long inode, found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        if (sscanf(line, " %*d: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %*s %*s %*s %*s %*s %lu",
                   lh, &lp, rh, &rp, &st, &inode) != 6)
            continue;
        if (remote ? proc_addr_eq(lh, lp, local, 0) && proc_addr_eq(rh, rp, remote, 0)
                   : st == 0x0A && proc_addr_eq(lh, lp, local, 1))
            found = inode;
    }
    fclose(f);
    return found;
}

static int holds_socket(long pid, const char *want)
{
    char dir[64], path[320], link[64];
    snprintf(dir, sizeof dir, "/proc/%ld/fd", pid);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        ssize_t n = readlink(path, link, sizeof link - 1);
        if (n > 0) {
            link[n] = '\0';
            found = strcmp(link, want) == 0;
        }
    }
    closedir(d);
    return found;
}

/* The pid holding the socket: the candidates first, then (scan_all) anyone
 * whose /proc we may read. -1 when nobody is found. */
static long socket_owner(unsigned long inode, const long *cand, int ncand, int scan_all)
{
    if (!inode)
        return -1;
    char want[48];
    snprintf(want, sizeof want, "socket:[%lu]", inode);
    for (int i = 0; i < ncand; i++)
        if (cand[i] > 0 && holds_socket(cand[i], want))
            return cand[i];
    if (!scan_all)
        return -1;
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    long pid = -1;
    struct dirent *e;
    while (pid < 0 && (e = readdir(d)) != NULL) {
        char *end;
        long p = strtol(e->d_name, &end, 10);
        if (*end == '\0' && p > 0 && p != getpid() && holds_socket(p, want))
            pid = p;
    }
    closedir(d);
    return pid;
}

static void proc_comm(long pid, char *out, size_t n)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(out, (int)n, f))
        snprintf(out, n, "pid");
    out[strcspn(out, "\n")] = '\0';
    if (f)
        fclose(f);
}

/* ==== the client ========================================================== */

/* One chat connection of a client: count lines, each sent once the echo of
 * the one before has come back (a ping-pong), paced by the dashboard. */
typedef struct session_s session_t;
struct session_s {
    scope_conn_t c;
    uv_connect_t req;
    char chan[32], who[24];
    scope_end_t server;
    long count, sent, echoes, recv, broadcasts, refused;
    int nodelay, split, say_bye, bye_sent, done, ended_early, connected;
    uint64_t t_sent, last_rtt;
    scope_hist_t rtt;
    scope_rate_t rate;
    void (*on_done)(session_t *);
};

static struct {
    struct sockaddr_storage server_addr;
    char server_str[SCOPE_ADDR_STRLEN], server_name[80];
    long server_pid;
    session_t chat;
    int chat_started;
    scope_pacer_t pacer;
    uv_timer_t stats_timer;
    int stats_on;
    char *line;
    size_t line_cap;
    /* dashboard commands relayed by the server */
    uv_pipe_t relay;
    int relay_open;
    scope_ndjson_t relay_dec;
    char relay_buf[4096];
} cl;

static scope_end_t me(void)
{
    return SCOPE_PID(self_pid);
}

static void client_report_stats(void)
{
    session_t *ss = &cl.chat;
    if (ss->connected && ss->rtt.count)
        scope_events_stats(ss->chan, &ss->rtt, &ss->rate, scope_time_now_ns());
}

static void on_client_stats(uv_timer_t *t)
{
    (void)t;
    client_report_stats();
}

static void send_line(scope_pacer_t *p);

/* Builds this client's next line, exactly --size bytes when the words fit:
 * the seed's greeting, a number, and the round trip of the line before. */
static size_t make_line(session_t *ss, int bye)
{
    size_t size = o.as_lab ? 64 : o.demo.size;
    size_t need = (size > 160 ? size : 160) + 2;
    if (need > cl.line_cap) {
        char *b = realloc(cl.line, need);
        if (!b)
            return 0;
        cl.line = b;
        cl.line_cap = need;
    }
    int n;
    if (bye)
        n = snprintf(cl.line, cl.line_cap, "Bye server! %s leaves, rtt %.2fus", ss->who,
                     ss->last_rtt / 1e3);
    else
        n = snprintf(cl.line, cl.line_cap, "Hello server! #%ld from %s, rtt %.2fus ",
                     ss->sent + 1, ss->who, ss->last_rtt / 1e3);
    size_t len = (size_t)n;
    if (!bye && len < size) {
        memset(cl.line + len, 'x', size - len);
        len = size;
    }
    cl.line[len] = '\n';
    return len;
}

static void session_write(session_t *ss, int bye)
{
    size_t len = make_line(ss, bye);
    if (!len)
        return;
    ss->sent++;
    if (bye)
        ss->bye_sent = 1;
    /* Told before it is done: the echo may be reported before we get round to it. */
    if (scope_events_msg_admit()) {
        char sum[128];
        summarize(cl.line, len, sum, sizeof sum);
        scope_events_msg_emit_admitted("send", ss->chan, me(), ss->server, (uint64_t)ss->sent,
                                       len + 1, sum, 0);
    }
    ss->t_sent = scope_time_now_ns();
    int r;
    if (ss->split && len > 1) {
        /* Two write()s for one request: the pattern Nagle's algorithm and a
         * delayed ACK turn into a 40 ms wait. */
        size_t half = len / 2;
        r = scope_conn_write_raw(&ss->c, cl.line, half);
        if (r >= 0)
            r = scope_conn_write_raw(&ss->c, cl.line + half, len + 1 - half);
    } else {
        r = scope_conn_write_raw(&ss->c, cl.line, len + 1);
    }
    if (r < 0)
        scope_events_error("send", "write to %s: %s", cl.server_str, uv_strerror(r));
    else
        ss->c.frames_out++;
}

static void send_line(scope_pacer_t *p)
{
    session_t *ss = p->data;
    if (!ss->done && !ss->c.closing)
        session_write(ss, 0);
}

static void session_next(session_t *ss)
{
    if (ss->echoes < ss->count) {
        cl.pacer.data = ss;
        scope_pacer_next(&cl.pacer, send_line);
    } else if (ss->say_bye && !ss->bye_sent) {
        session_write(ss, 1);
    } else {
        ss->done = 1;
        scope_conn_close(&ss->c);
    }
}

static void session_on_line(scope_conn_t *c, const char *line, size_t len)
{
    session_t *ss = c->data;
    uint64_t now = scope_time_now_ns();
    char sum[128] = "";
    int traced = scope_events_msg_admit();
    if (traced)
        summarize(line, len, sum, sizeof sum);
    ss->recv++;
    int echo = len >= strlen(ECHO_PREFIX) && memcmp(line, ECHO_PREFIX, strlen(ECHO_PREFIX)) == 0;
    int refused = len >= strlen(ERROR_PREFIX) && memcmp(line, ERROR_PREFIX, strlen(ERROR_PREFIX)) == 0;
    if (echo || refused) {
        uint64_t rtt = now - ss->t_sent;
        if (traced)
            scope_events_msg_emit_admitted("recv", ss->chan, ss->server, me(), (uint64_t)ss->recv,
                                           len + 1, sum, rtt);
        if (refused) {
            ss->refused++;
            scope_events_log("%s: the server refused our line: %.*s", ss->who, (int)(len < 200 ? len : 200), line);
        }
        if (ss->bye_sent) {
            ss->done = 1;
            scope_conn_close(c);
            return;
        }
        ss->echoes++;
        ss->last_rtt = rtt;
        scope_hist_add(&ss->rtt, rtt);
        scope_rate_add(&ss->rate, now, len + 1);
        session_next(ss);
        return;
    }
    if (len >= strlen(BCAST_PREFIX) && memcmp(line, BCAST_PREFIX, strlen(BCAST_PREFIX)) == 0)
        ss->broadcasts++;
    if (traced)
        scope_events_msg_emit_admitted("recv", ss->chan, ss->server, me(), (uint64_t)ss->recv,
                                       len + 1, sum, 0);
}

static void session_on_end(scope_conn_t *c, int status)
{
    session_t *ss = c->data;
    if (ss->done)
        return;
    ss->ended_early = 1;
    if (status == 0)
        scope_events_log("%s: read() returned 0: the server closed the connection after %ld of "
                         "%ld echoes", ss->who, ss->echoes, ss->count);
    else
        scope_events_error("connection", "%s: the connection to %s failed: %s", ss->who,
                           cl.server_str, uv_strerror(status));
}

static void session_on_close(scope_conn_t *c)
{
    session_t *ss = c->data;
    char med[32];
    if (ss->connected)
        scope_events_log("%s: close(): %ld lines sent, %ld echoes (median %s), %ld "
                         "broadcasts from the others", ss->who, ss->sent, ss->echoes,
                         scope_time_format(med, sizeof med,
                                           (double)scope_hist_percentile(&ss->rtt, 50)),
                         ss->broadcasts);
    if (ss->on_done)
        ss->on_done(ss);
}

static void session_connected(uv_connect_t *req, int status)
{
    session_t *ss = req->data;
    if (status < 0) {
        scope_events_error("connect", "%s: connect() to %s: %s%s", ss->who, cl.server_str,
                           uv_strerror(status),
                           status == UV_ECONNREFUSED ? " (nobody listens on that port)" : "");
        ss->ended_early = 1;
        scope_conn_close(&ss->c);
        return;
    }
    ss->connected = 1;
    struct sockaddr_storage local;
    int len = sizeof local;
    uv_tcp_getsockname(&ss->c.h.tcp, (struct sockaddr *)&local, &len);
    snprintf(ss->chan, sizeof ss->chan, "tcp:%d", scope_addr_port((struct sockaddr *)&local));
    int fd = scope_conn_fd(&ss->c);
    if (ss->nodelay)
        uv_tcp_nodelay(&ss->c.h.tcp, 1);
    char la[SCOPE_ADDR_STRLEN];
    scope_addr_format((struct sockaddr *)&local, la, sizeof la);
    scope_events_log("%s: connect() -> fd %d, %s -> %s (the kernel picked our port); "
                     "TCP_NODELAY %s%s", ss->who, fd, la, cl.server_str,
                     sock_nodelay(fd) == 1 ? "on" : "off",
                     ss->split ? "; each line goes out in two write()s" : "");
    if (!o.as_client && !o.as_lab)
        scope_events_chan("open", ss->chan, "tcp", me(), ss->server, la);
    scope_conn_options_t co = {.framing = SCOPE_CONN_LINES,
                               .max_frame = o.max_message + 128,
                               .on_frame = session_on_line,
                               .on_end = session_on_end,
                               .on_close = session_on_close};
    scope_conn_start(&ss->c, &co);
    if (!o.as_lab)
        scope_events_proc("ready", getpid(), getppid(), ss->who, 0, 0);
    session_next(ss);
}

static int session_start(session_t *ss, long count, int nodelay, int split, int say_bye,
                         void (*on_done)(session_t *))
{
    void (*keep)(session_t *) = on_done;
    memset(ss, 0, sizeof *ss);
    ss->count = count;
    ss->nodelay = nodelay;
    ss->split = split;
    ss->say_bye = say_bye;
    ss->on_done = keep;
    ss->server = cl.server_pid > 0 ? SCOPE_PID(cl.server_pid) : SCOPE_PEER(cl.server_name);
    if (o.as_lab)
        snprintf(ss->who, sizeof ss->who, "lab client");
    else if (o.client_id)
        snprintf(ss->who, sizeof ss->who, "client %d", o.client_id);
    else
        snprintf(ss->who, sizeof ss->who, "client");
    scope_hist_reset(&ss->rtt);
    scope_rate_init(&ss->rate, 0);
    int r = scope_conn_init_tcp(o.demo.loop, &ss->c, session_on_close);
    if (r < 0)
        return r;
    if (ss == &cl.chat)
        cl.chat_started = 1;
    ss->c.data = ss;
    ss->req.data = ss;
    r = uv_tcp_connect(&ss->req, &ss->c.h.tcp, (struct sockaddr *)&cl.server_addr,
                       session_connected);
    if (r < 0) {
        scope_events_error("connect", "connect() to %s: %s", cl.server_str, uv_strerror(r));
        scope_conn_close(&ss->c);
    }
    return r;
}

/* ---- commands the server relays from the dashboard ----------------------
 * lib/demo reads the dashboard's control pipe in the first process only; the
 * server passes pause, resume, step, rate and size on to each client through
 * a pipe of its own, and the client applies them as lib/demo would. */

static void relay_apply(void *arg, cJSON *msg, const char *line, size_t len)
{
    (void)arg;
    (void)line;
    (void)len;
    scope_demo_apply_control(&o.demo, msg);
}

static void relay_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    (void)hint;
    *buf = uv_buf_init(cl.relay_buf, sizeof cl.relay_buf);
}

static void relay_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    if (nread > 0) {
        scope_ndjson_feed(&cl.relay_dec, buf->base, (size_t)nread);
    } else if (nread < 0 && cl.relay_open) {
        uv_close((uv_handle_t *)st, NULL);
        cl.relay_open = 0;
    }
}

static void relay_open(void)
{
    if (o.relay_fd < 0 || fcntl(o.relay_fd, F_SETFD, FD_CLOEXEC) < 0)
        return;
    uv_pipe_init(o.demo.loop, &cl.relay, 0);
    if (uv_pipe_open(&cl.relay, o.relay_fd) < 0) {
        uv_close((uv_handle_t *)&cl.relay, NULL);
        return;
    }
    scope_ndjson_init(&cl.relay_dec, 4096, relay_apply, NULL, NULL);
    cl.relay_open = 1;
    uv_unref((uv_handle_t *)&cl.relay);
    uv_read_start((uv_stream_t *)&cl.relay, relay_alloc, relay_read);
}

static void client_wind_down(void)
{
    if (cl.stats_on) {
        uv_close((uv_handle_t *)&cl.stats_timer, NULL);
        cl.stats_on = 0;
    }
    if (cl.relay_open) {
        uv_close((uv_handle_t *)&cl.relay, NULL);
        cl.relay_open = 0;
    }
    scope_pacer_close(&cl.pacer);
    scope_demo_stop(&o.demo);
}

static void chat_done(session_t *ss)
{
    client_report_stats();
    if (ss->ended_early || !ss->connected)
        o.exit_code = 1;
    if (!o.as_client) { /* a client of its own: it says goodbye itself */
        scope_hist_summary_t sum;
        scope_hist_summarize(&ss->rtt, &sum);
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "server", cl.server_str);
        cJSON_AddNumberToObject(b, "sent", (double)ss->sent);
        cJSON_AddNumberToObject(b, "received", (double)ss->recv);
        cJSON_AddNumberToObject(b, "round_trips", (double)ss->rtt.count);
        cJSON_AddNumberToObject(b, "p50", (double)sum.p50);
        cJSON_AddNumberToObject(b, "p99", (double)sum.p99);
        cJSON_AddNumberToObject(b, "broadcasts", (double)ss->broadcasts);
        cJSON_AddBoolToObject(b, "nodelay", ss->nodelay);
        char text[200];
        snprintf(text, sizeof text, "%ld lines sent to %s, %ld echoes (median %.1f us), %ld "
                 "broadcasts from other clients", ss->sent, cl.server_str, ss->echoes,
                 sum.p50 / 1e3, ss->broadcasts);
        scope_events_bye(b, text);
    }
    client_wind_down();
}

/* ---- throughput: one client streams bytes as fast as the socket takes them */

#define TPUT_INFLIGHT 4

static struct {
    uv_tcp_t tcp;
    uv_connect_t req;
    uv_write_t w[TPUT_INFLIGHT];
    size_t len[TPUT_INFLIGHT];
    uv_shutdown_t sd;
    uint64_t queued, done;
    int inflight, shut, started;
    char chan[32];
    char *chunk;
} tp;

static void tput_closed(uv_handle_t *h)
{
    (void)h;
    free(tp.chunk);
    tp.chunk = NULL;
    client_wind_down();
}

static void tput_close(void)
{
    if (!uv_is_closing((uv_handle_t *)&tp.tcp))
        uv_close((uv_handle_t *)&tp.tcp, tput_closed);
}

static void tput_shut(uv_shutdown_t *req, int status)
{
    (void)req;
    (void)status;
    scope_events_log("shutdown(SHUT_WR) after %llu bytes: the server reads EOF",
                     (unsigned long long)tp.done);
    tput_close();
}

static void tput_written(uv_write_t *w, int status);

/* Queues the next chunk on write request i, or shuts down once all is out. */
static void tput_next(int i)
{
    if (uv_is_closing((uv_handle_t *)&tp.tcp))
        return;
    if (tp.queued >= o.throughput) {
        if (tp.inflight == 0 && !tp.shut) {
            tp.shut = 1;
            uv_shutdown(&tp.sd, (uv_stream_t *)&tp.tcp, tput_shut);
        }
        return;
    }
    uint64_t n = o.throughput - tp.queued;
    if (n > TPUT_CHUNK)
        n = TPUT_CHUNK;
    tp.len[i] = (size_t)n;
    tp.queued += n;
    tp.inflight++;
    if (scope_events_msg_admit()) {
        char sum[64];
        snprintf(sum, sizeof sum, "%llu bytes of a stream", (unsigned long long)n);
        scope_events_msg_emit_admitted("send", tp.chan, me(), SCOPE_PID(cl.server_pid), 0,
                                       (size_t)n, sum, 0);
    }
    uv_buf_t b = uv_buf_init(tp.chunk, (unsigned)n);
    tp.w[i].data = (void *)(intptr_t)i;
    int r = uv_write(&tp.w[i], (uv_stream_t *)&tp.tcp, &b, 1, tput_written);
    if (r < 0) {
        tp.inflight--;
        scope_events_error("send", "write: %s", uv_strerror(r));
        o.exit_code = 1;
        tput_close();
    }
}

static void tput_written(uv_write_t *w, int status)
{
    int i = (int)(intptr_t)w->data;
    tp.inflight--;
    if (status < 0) {
        if (!uv_is_closing((uv_handle_t *)&tp.tcp)) {
            scope_events_error("send", "write: %s", uv_strerror(status));
            o.exit_code = 1;
            tput_close();
        }
        return;
    }
    tp.done += tp.len[i];
    tput_next(i);
}

static void tput_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    static char small[64];
    (void)h;
    (void)hint;
    *buf = uv_buf_init(small, sizeof small);
}

/* The server's "go" starts the stream, so that its clock and ours start
 * together; what comes after (its EOF) ends nothing: we close when done. */
static void tput_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    if (nread <= 0 || tp.started)
        return;
    tp.started = 1;
    uv_read_stop(st);
    scope_events_log("the server says go: streaming %llu bytes to %s in writes of %u bytes, up "
                     "to %d in flight", (unsigned long long)o.throughput, cl.server_str,
                     TPUT_CHUNK, TPUT_INFLIGHT);
    for (int i = 0; i < TPUT_INFLIGHT; i++)
        tput_next(i);
}

static void tput_connected(uv_connect_t *req, int status)
{
    (void)req;
    if (status < 0) {
        scope_events_error("connect", "connect() to %s: %s", cl.server_str, uv_strerror(status));
        o.exit_code = 1;
        tput_close();
        return;
    }
    struct sockaddr_storage local;
    int len = sizeof local;
    uv_tcp_getsockname(&tp.tcp, (struct sockaddr *)&local, &len);
    snprintf(tp.chan, sizeof tp.chan, "tcp:%d", scope_addr_port((struct sockaddr *)&local));
    if (o.nodelay)
        uv_tcp_nodelay(&tp.tcp, 1);
    scope_events_proc("ready", getpid(), getppid(), "client", 0, 0);
    uv_read_start((uv_stream_t *)&tp.tcp, tput_alloc, tput_read);
}

static void tput_start(void)
{
    uv_tcp_init(o.demo.loop, &tp.tcp);
    tp.chunk = malloc(TPUT_CHUNK);
    if (!tp.chunk) {
        o.exit_code = 1;
        tput_close();
        return;
    }
    memset(tp.chunk, 'z', TPUT_CHUNK);
    int r = uv_tcp_connect(&tp.req, &tp.tcp, (struct sockaddr *)&cl.server_addr, tput_connected);
    if (r < 0)
        tput_connected(&tp.req, r);
}

/* ---- the lab client: what a byte stream does to messages ----------------
 * Its first connection has no framing at all: a naive reader that takes each
 * read() as one message, as the seed's server does with socket.on('data').
 * The server drives the lab; the client says "done" on the same connection
 * when it has seen what the step shows, and waits for "go" to go on. */

static struct {
    uv_tcp_t l1;
    uv_connect_t req;
    uv_timer_t wait;
    uv_shutdown_t sd;
    int phase; /* 'a', 'b', then 'l' (lines: "go c", "go d") */
    int waited_ms, naive_msgs;
    uint64_t got, reads;
    char chan1[32], line[256];
    size_t line_len;
    char buf[64 * 1024];
    scope_conn_t l2;
    uv_connect_t req2;
    char chan2[32];
    uint64_t frames;
    uint64_t p50_off, p50_on;
    int nagle_round, l2_started, lines_in, lines_out;
} lab;

static void lab_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void lab_report(const char *fmt, ...)
{
    char text[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text - 1, fmt, ap);
    va_end(ap);
    scope_events_msg("send", lab.chan1, me(), SCOPE_PID(cl.server_pid), ++lab.lines_out,
                     (size_t)n + 1, text, 0);
    text[n] = '\n';
    uv_buf_t b = uv_buf_init(text, (unsigned)n + 1);
    uv_try_write((uv_stream_t *)&lab.l1, &b, 1);
}

static void lab_l1_closed(uv_handle_t *h)
{
    (void)h;
    if (!uv_is_closing((uv_handle_t *)&lab.wait))
        uv_close((uv_handle_t *)&lab.wait, NULL);
    client_wind_down();
}

static void lab_finish(void)
{
    if (!uv_is_closing((uv_handle_t *)&lab.l1))
        uv_close((uv_handle_t *)&lab.l1, lab_l1_closed);
}

static void lab_nagle_done(session_t *ss);

static void lab_nagle_round(void)
{
    int nodelay = lab.nagle_round == 1;
    scope_events_log("lab client: %d requests, each written as two write()s, then a read of "
                     "the answer; TCP_NODELAY %s", NAGLE_ROUNDS, nodelay ? "on" : "off (Nagle on)");
    session_start(&cl.chat, NAGLE_ROUNDS, nodelay, 1, 0, lab_nagle_done);
}

static void lab_nagle_done(session_t *ss)
{
    uint64_t p50 = scope_hist_percentile(&ss->rtt, 50);
    if (o.demo.quitting) {
        lab_finish();
        return;
    }
    if (lab.nagle_round++ == 0) {
        lab.p50_off = p50;
        lab_nagle_round();
        return;
    }
    lab.p50_on = p50;
    scope_events_log("write-write-read: median %.1f ms with Nagle on, %.1f us with TCP_NODELAY. "
                     "Nagle held the second write until the first was ACKed, and the server "
                     "delayed that ACK (40 ms, the least Linux waits) waiting for the rest of the line",
                     lab.p50_off / 1e6, lab.p50_on / 1e3);
    lab_report("done d %.3fms %.3fus", lab.p50_off / 1e6, lab.p50_on / 1e3);
    lab_finish();
}

static void lab_l2_frame(scope_conn_t *c, const char *data, size_t len)
{
    char sum[128];
    summarize(data, len, sum, sizeof sum);
    lab.frames++;
    scope_events_msg("recv", lab.chan2, SCOPE_PID(cl.server_pid), me(), lab.frames, len + 4, sum, 0);
    if (lab.frames < 3)
        return;
    scope_events_log("lab client: 3 messages (%d, %d and %u bytes), each whole, in %llu reads: "
                     "the 4-byte length in front of each says where it ends",
                     (int)strlen(LAB_A1), (int)strlen(LAB_A2), LAB_BIG,
                     (unsigned long long)c->reads);
    char done[48];
    int n = snprintf(done, sizeof done, "done c %llu", (unsigned long long)c->reads);
    scope_events_msg("send", lab.chan2, me(), SCOPE_PID(cl.server_pid), 1, (size_t)n + 4, done, 0);
    scope_conn_send(c, done, (size_t)n);
    scope_conn_close(c);
}

static void lab_l2_connected(uv_connect_t *req, int status)
{
    (void)req;
    if (status < 0) {
        scope_events_error("connect", "lab client: connect(): %s", uv_strerror(status));
        scope_conn_close(&lab.l2);
        lab_finish();
        return;
    }
    struct sockaddr_storage local;
    int len = sizeof local;
    uv_tcp_getsockname(&lab.l2.h.tcp, (struct sockaddr *)&local, &len);
    snprintf(lab.chan2, sizeof lab.chan2, "tcp:%d", scope_addr_port((struct sockaddr *)&local));
    scope_events_log("lab client: a second connection, fd %d, read through lib/net's "
                     "length-prefixed framing (SCOPE_CONN_LENGTH)", scope_conn_fd(&lab.l2));
    scope_conn_options_t co = {.framing = SCOPE_CONN_LENGTH, .max_frame = 1024 * 1024,
                               .on_frame = lab_l2_frame};
    scope_conn_start(&lab.l2, &co);
}

static void lab_on_line(const char *line)
{
    /* the server's writes on this connection so far: two in (a), one in (b) */
    scope_events_msg("recv", lab.chan1, SCOPE_PID(cl.server_pid), me(), 3 + ++lab.lines_in,
                     strlen(line) + 1, line, 0);
    if (strcmp(line, "go c") == 0) {
        scope_conn_init_tcp(o.demo.loop, &lab.l2, NULL);
        lab.l2_started = 1;
        uv_tcp_connect(&lab.req2, &lab.l2.h.tcp, (struct sockaddr *)&cl.server_addr,
                       lab_l2_connected);
    } else if (strcmp(line, "go d") == 0) {
        lab.nagle_round = 0;
        lab_nagle_round();
    }
}

static void lab_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    (void)hint;
    *buf = uv_buf_init(lab.buf, sizeof lab.buf);
}

static void lab_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    (void)st;
    if (nread < 0) {
        if (nread != UV_EOF)
            scope_events_error("connection", "lab client: read: %s", uv_strerror((int)nread));
        lab_finish();
        return;
    }
    if (nread == 0)
        return;
    if (lab.phase == 'l') {
        for (ssize_t i = 0; i < nread; i++) {
            if (buf->base[i] == '\n') {
                lab.line[lab.line_len] = '\0';
                lab_on_line(lab.line);
                lab.line_len = 0;
            } else if (lab.line_len + 1 < sizeof lab.line) {
                lab.line[lab.line_len++] = buf->base[i];
            }
        }
        return;
    }
    /* the naive reader: one read(), one "message" */
    lab.reads++;
    lab.got += (uint64_t)nread;
    char sum[128], label[160];
    summarize(buf->base, (size_t)nread, sum, sizeof sum);
    snprintf(label, sizeof label, "read %llu: %s", (unsigned long long)lab.reads, sum);
    scope_events_msg("recv", "naive reads", SCOPE_PID(cl.server_pid), me(), 0, (size_t)nread,
                     label, 0);
    if (lab.phase == 'a' && lab.got >= strlen(LAB_A1) + strlen(LAB_A2)) {
        scope_events_log("lab client: 2 messages were written, %llu read() returned them, so a "
                         "reader that takes each read as a message sees %llu: \"%.*s\"",
                         (unsigned long long)lab.reads, (unsigned long long)lab.reads,
                         (int)nread, buf->base);
        lab_report("done a %llu", (unsigned long long)lab.reads);
        lab.phase = 'b';
        lab.reads = lab.got = 0;
    } else if (lab.phase == 'b' && lab.got >= LAB_BIG) {
        scope_events_log("lab client: 1 message of %u bytes was written; it took %llu reads, so "
                         "the naive reader sees %llu messages, none of them the one sent",
                         LAB_BIG, (unsigned long long)lab.reads, (unsigned long long)lab.reads);
        lab_report("done b %llu", (unsigned long long)lab.reads);
        lab.phase = 'l';
    }
}

/* Reading late on purpose, as a busy process does: both writes wait in the
 * receive buffer before the first read(). */
static void lab_wait(uv_timer_t *t)
{
    int fd = -1, queued = 0;
    uv_fileno((uv_handle_t *)&lab.l1, &fd);
    ioctl(fd, FIONREAD, &queued);
    size_t want = strlen(LAB_A1) + strlen(LAB_A2);
    if ((size_t)queued < want && lab.waited_ms++ < 10000)
        return;
    uv_timer_stop(t);
    scope_events_log("lab client: busy for a moment, not reading; ioctl(fd %d, FIONREAD) = %d: "
                     "both writes wait in the receive buffer, with nothing between them", fd,
                     queued);
    uv_read_start((uv_stream_t *)&lab.l1, lab_alloc, lab_read);
}

static void lab_connected(uv_connect_t *req, int status)
{
    (void)req;
    if (status < 0) {
        scope_events_error("connect", "lab client: connect() to %s: %s", cl.server_str,
                           uv_strerror(status));
        o.exit_code = 1;
        lab_finish();
        return;
    }
    struct sockaddr_storage local;
    int len = sizeof local;
    uv_tcp_getsockname(&lab.l1, (struct sockaddr *)&local, &len);
    snprintf(lab.chan1, sizeof lab.chan1, "tcp:%d", scope_addr_port((struct sockaddr *)&local));
    scope_events_proc("ready", getpid(), getppid(), "lab client", 0, 0);
    lab.phase = 'a';
    uv_timer_start(&lab.wait, lab_wait, 1, 1);
}

static void lab_start(void)
{
    uv_tcp_init(o.demo.loop, &lab.l1);
    uv_timer_init(o.demo.loop, &lab.wait);
    int r = uv_tcp_connect(&lab.req, &lab.l1, (struct sockaddr *)&cl.server_addr, lab_connected);
    if (r < 0)
        lab_connected(&lab.req, r);
}

static void client_quit(scope_demo_t *d)
{
    (void)d;
    if (o.as_lab) {
        if (cl.chat_started)
            scope_conn_close(&cl.chat.c);
        if (lab.l2_started)
            scope_conn_close(&lab.l2);
        lab_finish();
    } else if (o.throughput) {
        tput_close();
    } else if (cl.chat_started) {
        cl.chat.done = 1; /* asked to stop: not an early end */
        scope_conn_close(&cl.chat.c);
    }
}

static int run_client(void)
{
    scope_demo_t *d = &o.demo;
    int spawned = o.as_client || o.as_lab;
    char role[24];
    if (o.as_lab)
        snprintf(role, sizeof role, "lab client");
    else if (o.client_id)
        snprintf(role, sizeof role, "client %d", o.client_id);
    else
        snprintf(role, sizeof role, "client");
    d->on_quit = client_quit;
    int r = scope_addr_parse(o.connect_spec, "127.0.0.1", 0, &cl.server_addr);
    if (r == 0 && scope_addr_port((struct sockaddr *)&cl.server_addr) == 0)
        r = -EINVAL;
    if (!spawned) {
        d->params = cJSON_CreateObject();
        cJSON_AddStringToObject(d->params, "connect", o.connect_spec);
        cJSON_AddBoolToObject(d->params, "nodelay", o.nodelay);
        cJSON_AddBoolToObject(d->params, "split_writes", o.split);
    }
    int e = scope_demo_start(d, uv_default_loop(), role, !spawned);
    if (e < 0) {
        fprintf(stderr, "tcp: cannot report events: %s\n", strerror(-e));
        return 1;
    }
    if (r < 0) {
        scope_events_error("connect", "--connect wants HOST:PORT with a port, not '%s'",
                           o.connect_spec);
        scope_demo_run(d);
        return 2;
    }
    scope_addr_format((struct sockaddr *)&cl.server_addr, cl.server_str, sizeof cl.server_str);
    if (spawned) {
        cl.server_pid = getppid();
    } else {
        /* A server on this machine: find its pid, as `ss -tlp` would. */
        cl.server_pid = socket_owner(socket_inode((struct sockaddr *)&cl.server_addr, NULL),
                                     NULL, 0, 1);
        snprintf(cl.server_name, sizeof cl.server_name, "server %s", cl.server_str);
    }
    scope_pacer_init(d, &cl.pacer);
    uv_timer_init(d->loop, &cl.stats_timer);
    cl.stats_on = 1;
    uv_timer_start(&cl.stats_timer, on_client_stats, 500, 500);
    uv_unref((uv_handle_t *)&cl.stats_timer);
    relay_open();
    if (o.as_lab)
        lab_start();
    else if (o.throughput)
        tput_start();
    else
        session_start(&cl.chat, d->count, o.nodelay, o.split, 1, chat_done);
    scope_demo_run(d);
    scope_ndjson_free(&cl.relay_dec);
    free(cl.line);
    uv_loop_close(d->loop);
    return o.exit_code;
}

/* ==== the server ========================================================== */

typedef enum {
    ROLE_CHAT,      /* a chat client: echo, broadcast */
    ROLE_LAB_CTRL,  /* the lab's first connection: raw writes, then "go" lines */
    ROLE_LAB_FRAMED, /* the lab's length-prefixed connection */
    ROLE_LAB_NAGLE, /* the lab's write-write-read connections: echo only */
    ROLE_SINK,      /* a throughput client: count the bytes */
} conn_role_t;

typedef struct conn_s conn_t;
struct conn_s {
    scope_conn_t c;
    conn_t *next;
    conn_role_t role;
    int port, ours, fd;
    long pid;
    char chan[32], addr[SCOPE_ADDR_STRLEN], name[64], who[112];
    uint64_t lines_in, lines_out;
};

typedef enum { PH_START, PH_CHAT, PH_LAB, PH_SERVE, PH_TPUT, PH_DONE } phase_t;

static struct {
    uv_tcp_t listener;
    int listening, listen_fd, port;
    struct sockaddr_storage addr, dial;
    char addr_str[SCOPE_ADDR_STRLEN], dial_str[SCOPE_ADDR_STRLEN];
    phase_t phase;
    conn_t *conns;
    int nconns;
    /* children: the chat clients, then the lab client */
    scope_child_t kids[MAX_CLIENTS + 1];
    int relay[MAX_CLIENTS + 1];
    int nkids, running, step_rr, kid_failed;
    /* figures */
    scope_hist_t rtt;
    uint64_t lines_in, echoes, broadcasts, refused, partial, timed_out, reset, accepted;
    /* the lab */
    int lab_state; /* 0 none, 'a', 'b', 'c' (waiting for its second connection), 'C', 'd', 'D' */
    long lab_pid;
    conn_t *lab_ctrl;
    uint64_t lab_a_reads, lab_b_reads, lab_c_reads, nagle_off, nagle_on;
    char *big;
    /* throughput */
    uv_tcp_t sink;
    int sink_open;
    char sink_chan[32];
    uint64_t sink_bytes, sink_reads, sink_first, sink_last;
    char sink_buf[64 * 1024];
    int finished;
    uv_timer_t kill_timer;
} sv;

static void advance(void);
static void sink_accept(void);

static scope_end_t server_end(void)
{
    return SCOPE_PID(self_pid);
}

static scope_end_t peer_end(const conn_t *k)
{
    return k->pid > 0 ? SCOPE_PID(k->pid) : SCOPE_PEER(k->name);
}

static void trace_send(conn_t *k, const char *data, size_t len, size_t wire)
{
    k->lines_out++; /* counted even when the event is sampled out: ids must match the peer's */
    if (!scope_events_msg_admit())
        return;
    char sum[128];
    summarize(data, len, sum, sizeof sum);
    scope_events_msg_emit_admitted("send", k->chan, server_end(), peer_end(k), k->lines_out,
                                   wire, sum, 0);
}

/* One line to one peer, in one write(): prefix, words, the line, "\n". */
static char *reply_buf;
static size_t reply_cap;

static void reply(conn_t *k, const char *prefix, const char *words, const char *line, size_t len)
{
    size_t pl = strlen(prefix), wl = words ? strlen(words) : 0, n = pl + wl + len + 1;
    if (n > reply_cap) {
        char *b = realloc(reply_buf, n);
        if (!b)
            return;
        reply_buf = b;
        reply_cap = n;
    }
    char *buf = reply_buf;
    memcpy(buf, prefix, pl);
    if (wl)
        memcpy(buf + pl, words, wl);
    memcpy(buf + pl + wl, line, len);
    buf[n - 1] = '\n';
    if (k->c.closing || k->c.ended)
        return;
    trace_send(k, buf, n - 1, n);
    scope_conn_write_raw(&k->c, buf, n);
}

static int chat_members(void)
{
    int n = 0;
    for (conn_t *k = sv.conns; k; k = k->next)
        n += k->role == ROLE_CHAT && !k->c.ended && !k->c.closing;
    return n;
}

static void broadcast(conn_t *from, const char *words, const char *line, size_t len)
{
    for (conn_t *k = sv.conns; k; k = k->next)
        if (k != from && k->role == ROLE_CHAT && !k->c.ended && !k->c.closing) {
            reply(k, BCAST_PREFIX, words, line, len);
            sv.broadcasts++;
        }
}

/* ---- the lab, server side ---------------------------------------------- */

static void lab_step_b(scope_demo_t *d);
static void lab_step_c(scope_demo_t *d);
static void lab_step_d(scope_demo_t *d);

static void lab_write_raw(conn_t *k, const char *data, size_t len)
{
    trace_send(k, data, len, len);
    scope_conn_write_raw(&k->c, data, len);
}

static void lab_send_a(conn_t *k)
{
    scope_events_log("server: two write()s on fd %d, \"%s\" then \"%s\", nothing between them: "
                     "no newline, no length", k->fd, LAB_A1, LAB_A2);
    lab_write_raw(k, LAB_A1, strlen(LAB_A1));
    lab_write_raw(k, LAB_A2, strlen(LAB_A2));
    sv.lab_state = 'a';
}

static void lab_send_framed(conn_t *k)
{
    scope_events_log("server: the same messages and the 256 KiB one, each sent with "
                     "scope_conn_send(): a 4-byte big-endian length, then the bytes");
    const char *m[3] = {LAB_A1, LAB_A2, sv.big};
    size_t l[3] = {strlen(LAB_A1), strlen(LAB_A2), LAB_BIG};
    for (int i = 0; i < 3; i++) {
        trace_send(k, m[i], l[i], l[i] + 4);
        int r = scope_conn_send(&k->c, m[i], l[i]);
        if (r < 0)
            scope_events_error("send", "scope_conn_send: %s", strerror(-r));
    }
    sv.lab_state = 'C';
}

/* A line from the lab client on its first connection: how a step went. */
static void lab_done(conn_t *k, const char *line, size_t len)
{
    char buf[128];
    unsigned long long x = 0;
    double ms = 0, us = 0;
    snprintf(buf, sizeof buf, "%.*s", (int)(len < 127 ? len : 127), line);
    (void)k;
    if (sscanf(buf, "done a %llu", &x) == 1 && sv.lab_state == 'a') {
        sv.lab_a_reads = x;
        scope_demo_step(&o.demo, "a byte stream (b): one 256 KiB write, several reads",
                        lab_step_b);
    } else if (sscanf(buf, "done b %llu", &x) == 1 && sv.lab_state == 'b') {
        sv.lab_b_reads = x;
        scope_demo_step(&o.demo, "length-prefixed frames: every message whole again",
                        lab_step_c);
    } else if (sscanf(buf, "done c %llu", &x) == 1 && sv.lab_state == 'C') {
        sv.lab_c_reads = x;
        scope_demo_step(&o.demo, "Nagle and TCP_NODELAY: a request in two writes, timed",
                        lab_step_d);
    } else if (sscanf(buf, "done d %lfms %lfus", &ms, &us) == 2 && sv.lab_state == 'd') {
        sv.nagle_off = (uint64_t)(ms * 1e6);
        sv.nagle_on = (uint64_t)(us * 1e3);
        sv.lab_state = 'D';
        scope_events_log("server: the lab client measured write-write-read at %.1f ms with "
                         "Nagle, %.1f us with TCP_NODELAY", ms, us);
    }
}

static void lab_step_a(scope_demo_t *d);

static void lab_step_b(scope_demo_t *d)
{
    (void)d;
    conn_t *k = sv.lab_ctrl;
    if (!k || k->c.closing)
        return;
    if (!sv.big) {
        sv.big = malloc(LAB_BIG);
        if (!sv.big)
            return;
        for (size_t i = 0; i < LAB_BIG; i++)
            sv.big[i] = "0123456789abcdef"[i / 4096 % 16];
    }
    scope_events_log("server: one message of %u bytes, one uv_write() on fd %d; write() takes "
                     "what the socket buffer holds and libuv writes the rest as it drains",
                     LAB_BIG, k->fd);
    sv.lab_state = 'b';
    lab_write_raw(k, sv.big, LAB_BIG);
}

static void lab_step_c(scope_demo_t *d)
{
    (void)d;
    if (!sv.lab_ctrl || sv.lab_ctrl->c.closing)
        return;
    sv.lab_state = 'c';
    trace_send(sv.lab_ctrl, "go c", 4, 5);
    scope_conn_send(&sv.lab_ctrl->c, "go c", 4);
}

static void lab_step_d(scope_demo_t *d)
{
    (void)d;
    if (!sv.lab_ctrl || sv.lab_ctrl->c.closing)
        return;
    sv.lab_state = 'd';
    trace_send(sv.lab_ctrl, "go d", 4, 5);
    scope_conn_send(&sv.lab_ctrl->c, "go d", 4);
}

/* ---- connections ---------------------------------------------------------- */

static void take_rtt(const char *line, size_t len)
{
    char head[160];
    snprintf(head, sizeof head, "%.*s", (int)(len < 159 ? len : 159), line);
    if (strncmp(head, "Hello server! #", 15) != 0 && strncmp(head, "Bye server! ", 12) != 0)
        return; /* only the demo's own clients report their round trips */
    const char *p = strstr(head, ", rtt ");
    double us;
    if (p && sscanf(p, ", rtt %lfus", &us) == 1 && us > 0 && us < 1e8)
        scope_hist_add(&sv.rtt, (uint64_t)(us * 1e3 + 0.5));
}

static void on_conn_line(scope_conn_t *c, const char *line, size_t len)
{
    conn_t *k = c->data;
    size_t wire = len + (k->role == ROLE_LAB_FRAMED ? 4 : 1);
    k->lines_in++;
    if (scope_events_msg_admit()) {
        char sum[128];
        summarize(line, len, sum, sizeof sum);
        scope_events_msg_emit_admitted("recv", k->chan, peer_end(k), server_end(), k->lines_in,
                                       wire, sum, 0);
    }
    if (k->role == ROLE_LAB_CTRL || k->role == ROLE_LAB_FRAMED) {
        lab_done(k, line, len);
        return;
    }
    reply(k, ECHO_PREFIX, NULL, line, len);
    if (k->role == ROLE_CHAT) { /* the lab's lines are not the chat's figures */
        sv.lines_in++;
        sv.echoes++;
        take_rtt(line, len);
        char words[48];
        snprintf(words, sizeof words, "%d says: ", k->port);
        broadcast(k, words, line, len);
    }
}

static void on_conn_error(scope_conn_t *c, const scope_frame_error_t *err)
{
    conn_t *k = c->data;
    sv.refused++;
    scope_events_error("refused", "from %s: %s; the line is dropped, the connection and the "
                       "others go on", k->who, err->reason);
    char words[160];
    int n = snprintf(words, sizeof words, "a line of at least %llu bytes is over the %zu-byte "
                     "limit; dropped", (unsigned long long)err->size, o.max_message);
    reply(k, ERROR_PREFIX, NULL, words, (size_t)n);
}

static void on_conn_end(scope_conn_t *c, int status)
{
    conn_t *k = c->data;
    if (status == 0 && c->partial_bytes) {
        sv.partial++;
        scope_events_error("partial", "%s vanished mid-line: EOF with %llu bytes of an "
                           "unfinished line, dropped", k->who,
                           (unsigned long long)c->partial_bytes);
    } else if (status == 0) {
        scope_events_log("read() on fd %d returned 0: %s closed its end (EOF)", k->fd, k->who);
    } else if (status == UV_ETIMEDOUT) {
        sv.timed_out++;
        scope_events_error("idle", "%s said nothing for %llu ms: closed, so a silent peer "
                           "cannot hold a connection forever", k->who,
                           (unsigned long long)o.idle_ms);
    } else {
        sv.reset++;
        scope_events_error("connection", "%s: read(): %s; closed", k->who, uv_strerror(status));
    }
}

static void on_conn_close(scope_conn_t *c)
{
    conn_t *k = c->data;
    for (conn_t **p = &sv.conns; *p; p = &(*p)->next)
        if (*p == k) {
            *p = k->next;
            break;
        }
    sv.nconns--;
    scope_events_chan("close", k->chan, "tcp", peer_end(k), server_end(), NULL);
    if (k->role == ROLE_CHAT) {
        char words[64];
        int n = snprintf(words, sizeof words, "%d left the chat", k->port);
        int left = chat_members();
        if (left)
            scope_events_log("close(fd %d): %s removed; telling the %d left", k->fd, k->who, left);
        broadcast(NULL, "", words, (size_t)n);
    }
    if (k == sv.lab_ctrl)
        sv.lab_ctrl = NULL;
    free(k);
    advance();
}

static void conn_free(scope_conn_t *c)
{
    free(c->data);
}

static int kid_pids(long *out)
{
    int n = 0;
    for (int i = 0; i < sv.nkids; i++)
        if (sv.kids[i].running)
            out[n++] = sv.kids[i].pid;
    return n;
}

static int kid_index(long pid)
{
    for (int i = 0; i < sv.nkids; i++)
        if (sv.kids[i].pid == pid)
            return i;
    return -1;
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0) {
        scope_events_error("accept", "listen: %s", uv_strerror(status));
        return;
    }
    if (o.throughput && !sv.sink_open) {
        sink_accept();
        return;
    }
    conn_t *k = calloc(1, sizeof *k);
    if (!k)
        return;
    scope_conn_init_tcp(server->loop, &k->c, conn_free); /* until it is listed */
    k->c.data = k;
    if (uv_accept(server, &k->c.h.stream) < 0) {
        scope_conn_close(&k->c);
        return;
    }
    k->next = sv.conns;
    sv.conns = k;
    sv.nconns++;
    sv.accepted++;
    k->fd = scope_conn_fd(&k->c);
    struct sockaddr_storage peer, local;
    int len = sizeof peer;
    uv_tcp_getpeername(&k->c.h.tcp, (struct sockaddr *)&peer, &len);
    len = sizeof local;
    uv_tcp_getsockname(&k->c.h.tcp, (struct sockaddr *)&local, &len);
    scope_addr_format((struct sockaddr *)&peer, k->addr, sizeof k->addr);
    k->port = scope_addr_port((struct sockaddr *)&peer);
    snprintf(k->chan, sizeof k->chan, "tcp:%d", k->port);

    /* Who is it? Our own children first; on loopback, anyone we may see. */
    long cand[MAX_CLIENTS + 1];
    int ncand = kid_pids(cand);
    int loop = scope_addr_is_loopback((struct sockaddr *)&peer);
    unsigned long inode = socket_inode((struct sockaddr *)&peer, (struct sockaddr *)&local);
    k->pid = socket_owner(inode, cand, ncand, loop);
    int idx = k->pid > 0 ? kid_index(k->pid) : -1;
    k->ours = idx >= 0;
    if (idx >= 0 && k->pid == sv.lab_pid) {
        snprintf(k->who, sizeof k->who, "the lab client");
    } else if (idx >= 0) {
        snprintf(k->who, sizeof k->who, "client %d", idx + 1);
    } else if (k->pid > 0) {
        char comm[24];
        proc_comm(k->pid, comm, sizeof comm);
        snprintf(k->name, sizeof k->name, "%s %ld", comm, k->pid);
        snprintf(k->who, sizeof k->who, "%s", k->name);
        k->pid = -1; /* not ours: an outside peer, named */
    } else {
        snprintf(k->name, sizeof k->name, "%s", k->addr);
        snprintf(k->who, sizeof k->who, "%s", k->addr);
    }

    scope_conn_framing_t framing = SCOPE_CONN_LINES;
    k->role = ROLE_CHAT;
    if (k->ours && k->pid == sv.lab_pid) {
        if (!sv.lab_ctrl) {
            k->role = ROLE_LAB_CTRL;
            sv.lab_ctrl = k;
        } else if (sv.lab_state == 'c') {
            k->role = ROLE_LAB_FRAMED;
            framing = SCOPE_CONN_LENGTH;
        } else {
            k->role = ROLE_LAB_NAGLE;
        }
    }
    if (o.nodelay)
        uv_tcp_nodelay(&k->c.h.tcp, 1);
    int nd = sock_nodelay(k->fd);
    char detail[96];
    snprintf(detail, sizeof detail, "%s, fd %d", k->addr, k->fd);
    scope_events_chan("open", k->chan, "tcp", peer_end(k), server_end(), detail);
    scope_events_log("accept4(fd %d) -> fd %d: %s from %s; TCP_NODELAY %s%s", sv.listen_fd,
                     k->fd, k->who, k->addr, nd == 1 ? "on" : "off",
                     k->role == ROLE_CHAT ? "" : (framing == SCOPE_CONN_LENGTH
                                                      ? " (the lab: length-prefixed)"
                                                      : " (the lab)"));
    scope_conn_options_t co = {.framing = framing,
                               .max_frame = framing == SCOPE_CONN_LENGTH ? 1024 * 1024
                                                                         : o.max_message,
                               /* our own clients go quiet when the dashboard pauses them */
                               .idle_ms = k->ours ? 0 : o.idle_ms,
                               .on_frame = on_conn_line,
                               .on_error = on_conn_error,
                               .on_end = on_conn_end,
                               .on_close = on_conn_close};
    scope_conn_start(&k->c, &co);
    if (k->role == ROLE_LAB_CTRL)
        lab_send_a(k);
    else if (k->role == ROLE_LAB_FRAMED)
        lab_send_framed(k);
}

/* ---- throughput: a sink that counts ------------------------------------- */

static void sink_closed(uv_handle_t *h)
{
    (void)h;
    sv.sink_open = 0;
    scope_events_chan("close", sv.sink_chan, "tcp", SCOPE_PID(sv.kids[0].pid), server_end(), NULL);
    advance();
}

static void sink_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    (void)hint;
    *buf = uv_buf_init(sv.sink_buf, sizeof sv.sink_buf);
}

static void sink_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    if (nread > 0) {
        sv.sink_last = scope_time_now_ns();
        sv.sink_bytes += (uint64_t)nread;
        sv.sink_reads++;
        if (scope_events_msg_admit()) {
            char sum[64];
            snprintf(sum, sizeof sum, "read %zd bytes", nread);
            scope_events_msg_emit_admitted("recv", sv.sink_chan, SCOPE_PID(sv.kids[0].pid),
                                           server_end(), 0, (size_t)nread, sum, 0);
        }
    } else if (nread < 0) {
        if (nread != UV_EOF)
            scope_events_error("connection", "read: %s", uv_strerror((int)nread));
        scope_events_log("read() returned 0 after %llu bytes in %llu reads",
                         (unsigned long long)sv.sink_bytes, (unsigned long long)sv.sink_reads);
        uv_close((uv_handle_t *)st, sink_closed);
    }
}

static void sink_accept(void)
{
    uv_tcp_init(o.demo.loop, &sv.sink);
    if (uv_accept((uv_stream_t *)&sv.listener, (uv_stream_t *)&sv.sink) < 0) {
        uv_close((uv_handle_t *)&sv.sink, NULL);
        return;
    }
    sv.sink_open = 1;
    struct sockaddr_storage peer;
    int len = sizeof peer;
    uv_tcp_getpeername(&sv.sink, (struct sockaddr *)&peer, &len);
    snprintf(sv.sink_chan, sizeof sv.sink_chan, "tcp:%d", scope_addr_port((struct sockaddr *)&peer));
    if (o.nodelay)
        uv_tcp_nodelay(&sv.sink, 1);
    scope_events_chan("open", sv.sink_chan, "tcp", SCOPE_PID(sv.kids[0].pid), server_end(),
                      "a one-way stream");
    uv_read_start((uv_stream_t *)&sv.sink, sink_alloc, sink_read);
    /* The clock starts with "go": bytes queued before we read are not free. */
    uv_buf_t go = uv_buf_init("go\n", 3);
    sv.sink_first = scope_time_now_ns();
    uv_try_write((uv_stream_t *)&sv.sink, &go, 1);
}

/* ---- children ------------------------------------------------------------- */

static void on_kid_exit(scope_child_t *c, int status, int sig)
{
    int i = (int)(c - sv.kids);
    sv.running--;
    int lab = c->pid == sv.lab_pid;
    char role[24];
    if (lab)
        snprintf(role, sizeof role, "lab client");
    else
        snprintf(role, sizeof role, "client %d", i + 1);
    scope_events_proc("exit", c->pid, getpid(), role, status, sig);
    if ((sig || status) && !o.demo.quitting) {
        sv.kid_failed = 1;
        scope_events_log("waitpid(%ld): %s %s %d", (long)c->pid, role,
                         sig ? "was killed by signal" : "exited with code", sig ? sig : status);
    }
    if (sv.relay[i] >= 0) {
        close(sv.relay[i]);
        sv.relay[i] = -1;
    }
    advance();
}

static int spawn_kid(char *what, char *const *extra)
{
    int i = sv.nkids;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -errno;
    self[n] = '\0';
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    char id[16], count[24], rate[32], size[24], maxm[24];
    snprintf(id, sizeof id, "%d", i + 1);
    snprintf(count, sizeof count, "%ld", o.demo.count);
    snprintf(rate, sizeof rate, "%g", o.demo.rate);
    snprintf(size, sizeof size, "%zu", o.demo.size);
    snprintf(maxm, sizeof maxm, "%zu", o.max_message);
    char *argv[32] = {self,      what,     "--connect", sv.dial_str, "--client-id", id,
                      "--count", count,    "--rate",    rate,        "--size",      size,
                      "--max-message", maxm, "--nodelay", o.nodelay ? "on" : "off",
                      "--relay-fd", "4"};
    int a = 18;
    for (int j = 0; extra && extra[j] && a < 30; j++)
        argv[a++] = extra[j];
    argv[a] = NULL;
    scope_demo_child_events_t ev;
    scope_demo_child_events(&ev, 3);
    scope_spawn_fd_t fds[2] = {{.parent_fd = p[0], .child_fd = 4}, ev.fd};
    scope_spawn_options_t so = {.file = self, .argv = argv, .setenv = ev.env, .fds = fds,
                                .nfds = 1 + ev.nfds, .death_signal = SIGTERM};
    int r = scope_spawn(o.demo.loop, &sv.kids[i], &so, on_kid_exit);
    close(p[0]);
    if (r < 0) {
        close(p[1]);
        return r;
    }
    sv.relay[i] = p[1];
    sv.nkids++;
    sv.running++;
    return i;
}

static void relay(int i, const cJSON *msg)
{
    if (i < 0 || i >= sv.nkids || sv.relay[i] < 0)
        return;
    char *text = cJSON_PrintUnformatted(msg);
    if (!text)
        return;
    size_t n = strlen(text);
    char line[512];
    if (n < sizeof line - 1) {
        memcpy(line, text, n);
        line[n] = '\n';
        if (write(sv.relay[i], line, n + 1) < 0) { /* a full pipe: the command is lost */
        }
    }
    cJSON_free(text);
}

static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    if (sv.phase != PH_CHAT)
        return;
    if (strcmp(cmd, "step") == 0) {
        /* During the chat a step lets one line go, from each client in turn;
         * the credit is the chat's, not a later lesson step's. */
        if (d->step_credits > 0)
            d->step_credits--;
        for (int tries = 0; tries < sv.nkids; tries++) {
            int i = sv.step_rr++ % sv.nkids;
            if (sv.kids[i].running && sv.kids[i].pid != sv.lab_pid) {
                relay(i, msg);
                break;
            }
        }
    } else if (strcmp(cmd, "quit") != 0 && strcmp(cmd, "fault") != 0) {
        for (int i = 0; i < sv.nkids; i++)
            relay(i, msg);
    }
}

/* ---- the run, step by step -------------------------------------------------- */

static void finish(void)
{
    if (sv.finished)
        return;
    sv.finished = 1;
    if (sv.listening) {
        uv_close((uv_handle_t *)&sv.listener, NULL);
        sv.listening = 0;
        scope_events_log("close(fd %d): the listening socket is gone; a connect() now gets "
                         "ECONNREFUSED", sv.listen_fd);
    }
    if (!uv_is_closing((uv_handle_t *)&sv.kill_timer))
        uv_close((uv_handle_t *)&sv.kill_timer, NULL);
    scope_hist_summary_t sum;
    scope_hist_summarize(&sv.rtt, &sum);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "listen", sv.addr_str);
    cJSON_AddNumberToObject(b, "clients", sv.nkids - (sv.lab_pid > 0));
    cJSON_AddNumberToObject(b, "accepted", (double)sv.accepted);
    cJSON_AddNumberToObject(b, "received", (double)sv.lines_in);
    cJSON_AddNumberToObject(b, "sent", (double)(sv.echoes + sv.broadcasts));
    cJSON_AddNumberToObject(b, "echoes", (double)sv.echoes);
    cJSON_AddNumberToObject(b, "broadcasts", (double)sv.broadcasts);
    cJSON_AddNumberToObject(b, "round_trips", (double)sv.rtt.count);
    cJSON_AddNumberToObject(b, "p50", (double)sum.p50);
    cJSON_AddNumberToObject(b, "p99", (double)sum.p99);
    cJSON_AddNumberToObject(b, "refused", (double)sv.refused);
    cJSON_AddNumberToObject(b, "partial", (double)sv.partial);
    cJSON_AddNumberToObject(b, "timed_out", (double)sv.timed_out);
    cJSON_AddBoolToObject(b, "nodelay", o.nodelay);
    char text[320];
    if (o.throughput) {
        double secs = (sv.sink_last - sv.sink_first) / 1e9;
        double mb_s = secs > 0 ? sv.sink_bytes / secs / 1e6 : 0;
        cJSON_AddNumberToObject(b, "bytes", (double)sv.sink_bytes);
        cJSON_AddNumberToObject(b, "reads", (double)sv.sink_reads);
        cJSON_AddNumberToObject(b, "mb_s", mb_s);
        snprintf(text, sizeof text, "%llu bytes streamed in %llu reads: %.0f MB/s",
                 (unsigned long long)sv.sink_bytes, (unsigned long long)sv.sink_reads, mb_s);
    } else {
        if (sv.lab_state == 'D') {
            cJSON_AddNumberToObject(b, "two_writes_one_read", (double)sv.lab_a_reads);
            cJSON_AddNumberToObject(b, "big_message_reads", (double)sv.lab_b_reads);
            cJSON_AddNumberToObject(b, "framed_reads", (double)sv.lab_c_reads);
            cJSON_AddNumberToObject(b, "nagle_p50", (double)sv.nagle_off);
            cJSON_AddNumberToObject(b, "nodelay_p50", (double)sv.nagle_on);
        }
        int n = snprintf(text, sizeof text, "%d clients: %llu lines in, %llu echoes, %llu "
                         "broadcasts; round trip median %.1f us",
                         sv.nkids - (sv.lab_pid > 0), (unsigned long long)sv.lines_in,
                         (unsigned long long)sv.echoes, (unsigned long long)sv.broadcasts,
                         sum.p50 / 1e3);
        if (sv.lab_state == 'D')
            snprintf(text + n, sizeof text - (size_t)n, "; two writes came in %llu read, 256 KiB "
                     "in %llu; write-write-read %.1f ms with Nagle, %.1f us without",
                     (unsigned long long)sv.lab_a_reads, (unsigned long long)sv.lab_b_reads,
                     sv.nagle_off / 1e6, sv.nagle_on / 1e3);
    }
    if (sv.kid_failed)
        o.exit_code = 1;
    scope_events_bye(b, text);
    scope_demo_stop(&o.demo);
}

static void on_kill_timer(uv_timer_t *t)
{
    (void)t;
    for (int i = 0; i < sv.nkids; i++)
        if (sv.kids[i].running)
            scope_child_kill(&sv.kids[i], SIGKILL, 0);
}

/* Ends what is left: the listener, every connection, the children. */
static void wind_down(void)
{
    if (sv.listening) {
        uv_close((uv_handle_t *)&sv.listener, NULL);
        sv.listening = 0;
    }
    for (conn_t *k = sv.conns; k; k = k->next)
        scope_conn_close(&k->c);
    if (sv.sink_open && !uv_is_closing((uv_handle_t *)&sv.sink))
        uv_close((uv_handle_t *)&sv.sink, sink_closed);
    for (int i = 0; i < sv.nkids; i++)
        if (sv.kids[i].running)
            scope_child_kill(&sv.kids[i], SIGTERM, 0);
    if (sv.running)
        uv_timer_start(&sv.kill_timer, on_kill_timer, 3000, 0);
}

static void lab_step_a(scope_demo_t *d)
{
    (void)d;
    sv.phase = PH_LAB;
    char *extra[] = {"--rate", "0", NULL}; /* the lab's own pace: as fast as it goes */
    int i = spawn_kid("--as-lab", extra);
    if (i < 0) {
        scope_events_error("spawn", "cannot start the lab client: %s", strerror(-i));
        sv.phase = PH_DONE;
        advance();
        return;
    }
    sv.lab_pid = sv.kids[i].pid;
    scope_events_log("fork() + execve(tcp --as-lab) -> pid %ld: the lab client; it reads "
                     "with no framing at all, each read() taken as one message",
                     sv.lab_pid);
}

static void advance(void)
{
    if (sv.finished)
        return;
    if (o.demo.quitting) {
        if (!sv.running && !sv.nconns && !sv.sink_open)
            finish();
        return;
    }
    if (sv.phase == PH_CHAT) {
        int ours = 0;
        for (conn_t *k = sv.conns; k; k = k->next)
            ours += k->ours;
        if (sv.running || ours)
            return;
        if (o.lab) {
            sv.phase = PH_LAB;
            scope_demo_step(&o.demo, "a byte stream (a): two quick writes, one read", lab_step_a);
        } else {
            sv.phase = PH_DONE;
        }
    } else if (sv.phase == PH_LAB) {
        if (sv.running || sv.lab_ctrl)
            return;
        sv.phase = PH_DONE;
    } else if (sv.phase == PH_TPUT) {
        if (sv.running || sv.sink_open)
            return;
        sv.phase = PH_DONE;
    }
    if (sv.phase == PH_DONE) {
        if (sv.nconns || sv.running || sv.sink_open) {
            wind_down(); /* outside peers still connected: the run is over for them too */
            return;
        }
        finish();
    }
}

static void step_clients(scope_demo_t *d)
{
    if (o.throughput) {
        sv.phase = PH_TPUT;
        char bytes[32];
        snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)o.throughput);
        char *extra[] = {"--throughput", bytes, NULL};
        int i = spawn_kid("--as-client", extra);
        if (i < 0) {
            scope_events_error("spawn", "cannot start a client: %s", strerror(-i));
            o.exit_code = 1;
            sv.phase = PH_DONE;
        }
        advance();
        return;
    }
    sv.phase = PH_CHAT;
    char *split[] = {"--split-writes", NULL}, *none[] = {NULL};
    for (int k = 0; k < o.clients; k++) {
        int i = spawn_kid("--as-client", o.split ? split : none);
        if (i < 0) {
            scope_events_error("spawn", "cannot start client %d: %s", k + 1, strerror(-i));
            o.exit_code = 1;
            break;
        }
        scope_events_log("fork() + execve(tcp --as-client) -> pid %ld: client %d; it will "
                         "connect() to %s", (long)sv.kids[i].pid, i + 1, sv.dial_str);
    }
    scope_events_log("%d clients, %ld lines each at %s, %zu bytes a line; the server echoes "
                     "each line and broadcasts it to the others", sv.nkids, d->count,
                     d->rate > 0 ? "the chosen rate" : "full speed", d->size);
    advance();
}

static void step_listen(scope_demo_t *d)
{
    int nd = sock_nodelay(sv.listen_fd);
    scope_events_log("socket(AF_INET, SOCK_STREAM) -> fd %d; libuv set SO_REUSEADDR, bind(%s), "
                     "listen(fd %d, 128): the port is %d", sv.listen_fd, sv.addr_str, sv.listen_fd,
                     sv.port);
    if (!scope_addr_is_loopback((struct sockaddr *)&sv.addr))
        scope_events_log("%s is not a loopback address: other machines on that network can "
                         "connect, and this chat has no authentication", sv.addr_str);
    else
        scope_events_log("on 127.0.0.1 only this machine can connect");
    scope_events_log("TCP_NODELAY is %s on accepted sockets: %s", nd == 1 || o.nodelay ? "on" : "off",
                     o.nodelay ? "--nodelay on sets it, setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)"
                               : "libuv leaves Nagle's algorithm on, and so does node's net");
    if (o.listen_spec && !o.connect_spec) {
        sv.phase = PH_SERVE;
        scope_events_log("serving until SIGINT, SIGTERM or quit: try nc %s %d",
                         sv.addr.ss_family == AF_INET6 ? "::1" : "127.0.0.1", sv.port);
        return;
    }
    scope_demo_step(d, o.throughput ? "one client streams bytes as fast as TCP takes them"
                                    : "clients connect() and chat: echo to the sender, "
                                      "broadcast to the others",
                    step_clients);
}

static void server_quit(scope_demo_t *d)
{
    (void)d;
    wind_down();
    advance();
}

static int server_listen(void)
{
    const char *spec = o.listen_spec ? o.listen_spec : "127.0.0.1:0";
    int r = scope_addr_parse(spec, "127.0.0.1", 0, &sv.addr);
    if (r < 0)
        return r;
    uv_tcp_init(uv_default_loop(), &sv.listener);
    r = uv_tcp_bind(&sv.listener, (struct sockaddr *)&sv.addr, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&sv.listener, 128, on_connection);
    if (r < 0) {
        uv_close((uv_handle_t *)&sv.listener, NULL);
        return r;
    }
    sv.listening = 1;
    uv_os_fd_t fd;
    uv_fileno((uv_handle_t *)&sv.listener, &fd);
    sv.listen_fd = fd;
    int len = sizeof sv.addr;
    uv_tcp_getsockname(&sv.listener, (struct sockaddr *)&sv.addr, &len);
    scope_addr_format((struct sockaddr *)&sv.addr, sv.addr_str, sizeof sv.addr_str);
    sv.port = scope_addr_port((struct sockaddr *)&sv.addr);
    /* Clients dial the address we listen on, or loopback for a wildcard. */
    sv.dial = sv.addr;
    if (sv.dial.ss_family == AF_INET) {
        struct sockaddr_in *in4 = (struct sockaddr_in *)&sv.dial;
        if (in4->sin_addr.s_addr == htonl(INADDR_ANY))
            in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else if (sv.dial.ss_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sv.dial;
        if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
            in6->sin6_addr = in6addr_loopback;
    }
    scope_addr_format((struct sockaddr *)&sv.dial, sv.dial_str, sizeof sv.dial_str);
    return 0;
}

static int run_server(void)
{
    scope_demo_t *d = &o.demo;
    d->on_quit = server_quit;
    d->on_control = on_control;
    for (int i = 0; i <= MAX_CLIENTS; i++)
        sv.relay[i] = -1;
    scope_hist_reset(&sv.rtt);
    /* Bind before hello, so that the port the kernel picked is in it. */
    int lr = server_listen();
    d->params = cJSON_CreateObject();
    cJSON_AddStringToObject(d->params, "listen",
                            lr == 0 ? sv.addr_str : (o.listen_spec ? o.listen_spec : "127.0.0.1:0"));
    cJSON_AddNumberToObject(d->params, "port", sv.port);
    cJSON_AddNumberToObject(d->params, "clients", o.listen_spec ? 0 : o.clients);
    cJSON_AddBoolToObject(d->params, "nodelay", o.nodelay);
    cJSON_AddBoolToObject(d->params, "split_writes", o.split);
    cJSON_AddNumberToObject(d->params, "max_message", (double)o.max_message);
    cJSON_AddNumberToObject(d->params, "idle_ms", (double)o.idle_ms);
    if (o.throughput)
        cJSON_AddNumberToObject(d->params, "throughput", (double)o.throughput);
    int r = scope_demo_start(d, uv_default_loop(), "server", 1);
    if (r < 0) {
        fprintf(stderr, "tcp: cannot start: %s\n", strerror(-r));
        return 1;
    }
    if (!d->json && scope_events_format() == SCOPE_EVENTS_TEXT)
        printf("tcp: listening on %s\n", lr == 0 ? sv.addr_str : "(nothing)");
    uv_timer_init(d->loop, &sv.kill_timer);
    uv_unref((uv_handle_t *)&sv.kill_timer);
    if (lr < 0) {
        scope_events_error("listen", "cannot listen on %s: %s%s",
                           o.listen_spec ? o.listen_spec : "127.0.0.1:0", uv_strerror(lr),
                           lr == UV_EADDRINUSE ? " (another socket is bound to that port)" : "");
        uv_close((uv_handle_t *)&sv.kill_timer, NULL);
        scope_demo_stop(d);
        scope_demo_run(d);
        uv_loop_close(d->loop);
        return 1;
    }
    scope_demo_step(d, "listen(): a TCP server on a port the kernel picks", step_listen);
    scope_demo_run(d);
    for (int i = 0; i < sv.nkids; i++)
        if (sv.kids[i].running)
            scope_child_kill(&sv.kids[i], SIGKILL, 0);
    uv_run(d->loop, UV_RUN_NOWAIT);
    scope_spawn_shutdown(d->loop);
    uv_run(d->loop, UV_RUN_NOWAIT);
    for (int i = 0; i <= MAX_CLIENTS; i++)
        if (sv.relay[i] >= 0)
            close(sv.relay[i]);
    free(reply_buf);
    free(sv.big);
    uv_loop_close(d->loop);
    return o.exit_code;
}

int main(int argc, char **argv)
{
    o.demo.on_option = on_option;
    self_pid = getpid();
    int r = scope_demo_parse(&o.demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&o.demo, r, stdout, stderr);
    if (o.connect_spec || o.as_client || o.as_lab)
        return run_client();
    return run_server();
}
