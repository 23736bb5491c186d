/* udp: dgram with the lid off.
 *
 * The seeds' UDP echo pair (server.on('message') answers each datagram with
 * "Hello, client! Received your message: ..."), run by one server and N
 * clients, and then what makes UDP UDP, step by step:
 *
 *   1. socket(AF_INET, SOCK_DGRAM) and bind(): the server's address. No
 *      listen(), no accept(): datagrams from anyone arrive on this one fd,
 *      each with its sender's address (recvmsg's msg_name).
 *   2. Boundaries: a sender makes three send() calls of 200, 1200 and 20 bytes
 *      while the receiver is not reading; its three recvmsg() calls then
 *      return 200, 1200 and 20 bytes. A TCP stream would have merged them.
 *   3. The largest payload: 65,507 bytes over IPv4 (65,535 less 20 bytes of IP
 *      header and 8 of UDP header) goes through on loopback; one byte more
 *      and sendmsg() fails with EMSGSIZE before anything leaves.
 *   4. Loss: the receiver's buffer cut to 4 KiB (setsockopt SO_RCVBUF), the
 *      receiver stalled, the sender fast. What does not fit is dropped by the
 *      kernel without a word to either side; the kernel counts it
 *      (/proc/net/udp "drops", and SO_RXQ_OVFL on the next datagram that
 *      gets in).
 *   5. Bad input: a datagram over --max-message and one that is not UTF-8 are
 *      refused with an error event and not echoed; an empty datagram is legal
 *      UDP (recvmsg returns 0, which on a stream would mean EOF) and gets the
 *      bare greeting.
 *   6. The seeds' echo: N clients, each connect()s its socket (no packet: it
 *      only fixes the default destination and filters what may arrive),
 *      sends --count datagrams at --rate, times each round trip, and counts
 *      a datagram unanswered within --timeout as lost: UDP never resends.
 *
 * The clients and the lesson's sender ("probe") are this same program run
 * with --as-client and --as-probe; they report their own events, so the
 * dashboard shows one lane per process. Each tells the server process its
 * port and, at the end, its figures over a pipe at fd 3 (bookkeeping for
 * the summary, which must not itself be lost). The dashboard's pause,
 * resume, step, rate and size reach the clients as datagrams from the
 * server: the mechanism the demo teaches.
 *
 * Alone: --listen HOST:PORT runs only the server, --connect HOST:PORT only a
 * client, so two machines can talk. Any UDP peer will do:
 *
 *     build/demos/udp --listen 127.0.0.1:41234 &
 *     echo hi | nc -u -w1 127.0.0.1 41234
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demo.h"
#include "events.h"
#include "net.h"
#include "spawn.h"
#include "timing.h"

static const scope_demo_info_t info = {
    "udp",
    "dgram with the lid off: datagrams keep their boundaries, and may be lost",
    "The seeds' UDP echo pair on uv_udp: N clients time round trips; boundaries, the 65,507-byte "
    "limit and loss shown live.",
    "001 002",
    "TCP/UDP | ★★★☆☆ | 都支持 | 中",
};

static const scope_demo_option_t options[] = {
    {"clients", "N", "clients the default run starts (default 3, at most 32)"},
    {"listen", "HOST:PORT", "run only the server, on this address (default 127.0.0.1, any port)"},
    {"connect", "HOST:PORT", "run only a client of the server at this address"},
    {"max-message", "BYTES", "longest datagram the server echoes (default 8192, at most 65469)"},
    {"timeout", "MS",
     "how long a client waits for each answer before counting it lost (default 1000)"},
    {"idle-ms", "MS", "the server forgets a peer silent this long (default 30000)"},
    {"throughput", "BYTES", "one client streams BYTES in --size datagrams as fast as it can"},
    {"lab", "on|off", "the boundary, size, loss and bad-input steps before the echo (default on)"},
    {"as-client", NULL, "(internal) be a client started by the server process"},
    {"as-probe", "HOST:PORT", "(internal) be the lesson's sender; HOST:PORT is the echo server"},
    {"client-index", "N", "(internal) which client this is"},
    {"report-fd", "FD", "(internal) where to write the port and the final figures"},
    {"start-paused", NULL, "(internal) start paused"},
    {"wait-go", NULL, "(internal) send nothing until the server says go"},
    {NULL, NULL, NULL},
};

#define GREETING     "Hello, client! Received your message: "
#define GREETING_LEN (sizeof GREETING - 1) /* 38 */
#define CLIENT_TEXT  "Hello UDP Server!"
#define UDP4_MAX     65507 /* 65535 - 20 (IPv4) - 8 (UDP) */
#define MAX_CLIENTS  32
#define MAX_PEERS    64
#define RECV_BUF     (64 * 1024)
#define SEND_MAX     70000 /* a client asked for more sends this much: EMSGSIZE */
#define FLOOD_DGRAMS 200
#define FLOOD_BURSTS 5
#define FLOOD_SIZE   1000
#define FLOOD_GAP_MS 100
#define LOSS_RCVBUF  4096
#define STEP_WAIT_MS 5000 /* bound on any lesson step's wait */
#define SINK_BATCH   20   /* datagrams per recvmmsg() in the throughput sink */

static const int boundary_sizes[3] = {200, 1200, 20};

/* ==== what the processes tell each other over the report pipe ============ */

/* One record: a header, then its payload. All processes are this program,
 * so the layout is the same on both ends. */
enum { REC_PORT = 1, REC_SENT, REC_DONE, REC_FINAL };
typedef struct {
    uint32_t tag, size; /* size: the whole record, header included */
} rec_head_t;
typedef struct {
    rec_head_t h;
    int32_t port;
} rec_port_t;
typedef struct {
    rec_head_t h;
    int64_t sent;
    char part[16];
} rec_sent_t; /* REC_SENT (progress) and REC_DONE (a lesson part finished) */
typedef struct {
    rec_head_t h;
    int64_t sent, received, lost, late, errors, refused;
    uint64_t first_ns, last_ns;
    uint64_t bytes_sent;
    scope_hist_t rtt;
} rec_final_t;

/* ==== state ============================================================== */

typedef struct {
    int used;
    struct sockaddr_storage addr;
    char name[SCOPE_ADDR_STRLEN]; /* "127.0.0.1:40123" */
    char chan[32];
    long pid; /* the demo's own process behind it, or -1 */
    uint64_t last_ns;
    uint64_t in, out;
} peer_t;

typedef struct kid_s {
    int used, probe, index;
    scope_child_t child;
    long pid;
    int report_fd;
    uv_poll_t poll;
    int polling;
    unsigned char *rbuf;
    size_t rlen;
    int port;
    int have_final, exited, code, sig;
    rec_final_t final;
    int64_t sent_progress;
    int go_pending;
    char chan[16];
} kid_t;

enum { MODE_LESSON, MODE_SERVER, MODE_THROUGHPUT };
enum { LESSON_IDLE, LESSON_BOUNDARIES, LESSON_MAXSIZE, LESSON_LOSS, LESSON_BAD };

static struct {
    scope_demo_t demo;
    uv_loop_t *loop;
    /* options */
    int clients, no_lesson, as_client, as_probe, client_index, report_fd, start_paused, gated;
    long timeout_ms, idle_ms;
    size_t max_message;
    uint64_t throughput;
    char listen_spec[256], connect_spec[256], probe_spec[256];
    int listen_given, connect_given;
    char self[PATH_MAX];

    /* ---- the server process ---- */
    int mode;
    uv_udp_t echo;
    int echo_fd;
    struct sockaddr_storage echo_addr;
    char echo_name[SCOPE_ADDR_STRLEN];
    peer_t peers[MAX_PEERS];
    kid_t kids[MAX_CLIENTS + 1];
    int nkids, clients_running, probe_kid;
    char probe_pending[48];
    uint64_t echo_in, echo_out, refused, empty;
    uv_timer_t sweep_timer;
    int finishing, finished, exit_code, cut_short;
    /* the lesson */
    uv_udp_t lesson;
    int lesson_fd, lesson_reading, lesson_part, lesson_done_part;
    struct sockaddr_storage lesson_addr;
    char lesson_name[SCOPE_ADDR_STRLEN];
    uv_timer_t lesson_timer;
    uint64_t lesson_started_ns;
    int sizes_seen[8], nsizes;
    int boundaries_ok, maxsize_got, emsgsize_seen, bad_done;
    /* loss */
    int64_t loss_sent, loss_sent_final, loss_received;
    uint64_t loss_bytes, loss_base_drops, loss_kernel_drops, loss_ovfl;
    int loss_have_ovfl, loss_marker_sent, loss_marker_got, loss_ticks, loss_settled;
    uv_timer_t loss_timer;
    /* throughput sink */
    uint64_t sink_dgrams, sink_bytes, sink_first_ns, sink_last_ns;
    int sink_ticks;
    uint64_t sink_seen_at_tick;

    /* ---- a client process (--as-client, or --connect alone) ---- */
    uv_udp_t sock;
    int sock_fd;
    struct sockaddr_storage peer_addr;
    char peer_name[SCOPE_ADDR_STRLEN];
    char chan[32];
    scope_pacer_t pacer;
    uv_timer_t wait_timer, stats_timer;
    uv_idle_t stream_idle;
    scope_hist_t rtt;
    scope_rate_t rate;
    int64_t sent, received, lost, late, errors, refused_by_peer;
    uint64_t outstanding, t_sent, first_ns, last_ns, bytes_sent, stream_dgrams;
    char *out;
    size_t out_cap;
    int client_done, stream_queued;
    long server_pid;

    /* ---- the probe ---- */
    struct sockaddr_storage probe_echo;
    int probe_busy;
    int64_t flood_sent;
    int flood_burst;
    uv_timer_t probe_timer;
    int probe_replies_expected, probe_replies;

    int read_one;
    pid_t me; /* getpid() is a system call: asked once */
    char *batch;
    char rbuf[RECV_BUF + 1];
} s = {.clients = 3,
       .timeout_ms = 1000,
       .idle_ms = 30000,
       .max_message = 8192,
       .report_fd = -1,
       .probe_kid = -1,
       .echo_fd = -1,
       .lesson_fd = -1,
       .sock_fd = -1};

/* ==== small helpers ====================================================== */

static int parse_long(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi)
        return -EINVAL;
    *out = n;
    return 0;
}

static int on_option(scope_demo_t *d, const char *name, const char *value)
{
    long v;
    if (strcmp(name, "clients") == 0) {
        if (parse_long(value, 1, MAX_CLIENTS, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--clients wants 1 to %d", MAX_CLIENTS);
            return -EINVAL;
        }
        s.clients = (int)v;
    } else if (strcmp(name, "listen") == 0) {
        snprintf(s.listen_spec, sizeof s.listen_spec, "%s", value);
        s.listen_given = 1;
    } else if (strcmp(name, "connect") == 0) {
        snprintf(s.connect_spec, sizeof s.connect_spec, "%s", value);
        s.connect_given = 1;
    } else if (strcmp(name, "max-message") == 0) {
        if (parse_long(value, 1, UDP4_MAX - (long)GREETING_LEN, &v) < 0) {
            snprintf(d->error, sizeof d->error,
                     "--max-message wants 1 to %d bytes (the answer adds %zu bytes of greeting "
                     "and must fit in one %d-byte datagram)",
                     UDP4_MAX - (int)GREETING_LEN, GREETING_LEN, UDP4_MAX);
            return -EINVAL;
        }
        s.max_message = (size_t)v;
    } else if (strcmp(name, "timeout") == 0) {
        if (parse_long(value, 1, 600000, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--timeout wants 1 to 600000 ms");
            return -EINVAL;
        }
        s.timeout_ms = v;
    } else if (strcmp(name, "idle-ms") == 0) {
        if (parse_long(value, 1, 86400000, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--idle-ms wants 1 to 86400000 ms");
            return -EINVAL;
        }
        s.idle_ms = v;
    } else if (strcmp(name, "throughput") == 0) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(value, &end, 10);
        if (errno || end == value || *end || n < 1 || n > (1ull << 40)) {
            snprintf(d->error, sizeof d->error, "--throughput wants 1 to 2^40 bytes");
            return -EINVAL;
        }
        s.throughput = n;
    } else if (strcmp(name, "lab") == 0) {
        if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0) {
            snprintf(d->error, sizeof d->error, "--lab wants on or off");
            return -EINVAL;
        }
        s.no_lesson = strcmp(value, "off") == 0;
    } else if (strcmp(name, "as-client") == 0) {
        s.as_client = 1;
    } else if (strcmp(name, "as-probe") == 0) {
        s.as_probe = 1;
        snprintf(s.probe_spec, sizeof s.probe_spec, "%s", value);
    } else if (strcmp(name, "client-index") == 0) {
        if (parse_long(value, 0, MAX_CLIENTS, &v) < 0)
            return -EINVAL;
        s.client_index = (int)v;
    } else if (strcmp(name, "report-fd") == 0) {
        if (parse_long(value, 0, 65535, &v) < 0)
            return -EINVAL;
        s.report_fd = (int)v;
    } else if (strcmp(name, "start-paused") == 0) {
        s.start_paused = 1;
    } else if (strcmp(name, "wait-go") == 0) {
        s.gated = 1;
    }
    return 0;
}

/* -1 when all n bytes are UTF-8, else the offset of the first bad byte.
 * Overlong forms, surrogates and code points past U+10FFFF are bad. */
static long utf8_bad_at(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t min;
        if (c >= 0xC2 && c <= 0xDF)
            len = 2, min = 0x80;
        else if (c >= 0xE0 && c <= 0xEF)
            len = 3, min = 0x800;
        else if (c >= 0xF0 && c <= 0xF4)
            len = 4, min = 0x10000;
        else
            return (long)i;
        if (i + len > n)
            return (long)i;
        uint32_t cp = c & (0x7Fu >> len);
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return (long)i;
            cp = cp << 6 | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return (long)i;
        i += len;
    }
    return -1;
}

/* The number after the last " #" in the first bytes: the ping's id, or 0. */
static uint64_t parse_id(const char *data, size_t len)
{
    size_t n = len < 160 ? len : 160;
    uint64_t id = 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (data[i] == '#' && data[i + 1] >= '0' && data[i + 1] <= '9') {
            id = 0;
            for (size_t k = i + 1;
                 k < n && data[k] >= '0' && data[k] <= '9' && id < 1000000000000ull; k++)
                id = id * 10 + (uint64_t)(data[k] - '0');
        }
    return id;
}

/* A datagram as the flow shows it: its text without the padding or a
 * trailing newline, cut to a readable length. */
static void summarize(char *out, size_t outlen, const char *data, size_t len)
{
    char tmp[128];
    size_t n = len < sizeof tmp - 1 ? len : sizeof tmp - 1;
    memcpy(tmp, data, n);
    tmp[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (tmp[i] == '\0')
            tmp[i] = ' ';
    while (n > 0 &&
           (tmp[n - 1] == '.' || tmp[n - 1] == '\n' || tmp[n - 1] == '\r' || tmp[n - 1] == ' '))
        tmp[--n] = '\0';
    if (n == 0 && len > 0)
        snprintf(tmp, sizeof tmp, "(%zu bytes of padding)", len);
    else if (n == 0)
        snprintf(tmp, sizeof tmp, "(empty)");
    scope_events_cut_utf8(out, tmp, outlen - 1 < 64 ? outlen - 1 : 64);
}

/* Sends one datagram now (sendmsg); if the socket's buffer is full, queues a
 * copy with uv_udp_send instead. Returns the bytes taken or a libuv error. */
static void on_queued_sent(uv_udp_send_t *req, int status)
{
    (void)status;
    free(req);
}

static int udp_send(uv_udp_t *h, const void *data, size_t len, const struct sockaddr *to)
{
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    int r = uv_udp_try_send(h, &b, 1, to);
    if (r != UV_EAGAIN)
        return r;
    uv_udp_send_t *req = malloc(sizeof *req + len);
    if (!req)
        return UV_ENOMEM;
    memcpy(req + 1, data, len);
    b = uv_buf_init((char *)(req + 1), (unsigned)len);
    r = uv_udp_send(req, h, &b, 1, to, on_queued_sent);
    if (r < 0) {
        free(req);
        return r;
    }
    return (int)len;
}

/* One datagram per wakeup. After a datagram, libuv calls recvmsg() again
 * until EAGAIN; in a ping-pong that second call only ever says EAGAIN, one
 * wasted syscall per message. An empty buffer ends libuv's loop instead (the
 * callback sees UV_ENOBUFS), and epoll, which is level-triggered, wakes us
 * again if another datagram is waiting. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    if (s.read_one) {
        *buf = uv_buf_init(NULL, 0);
        return;
    }
    *buf = uv_buf_init(s.rbuf, RECV_BUF);
}

/* The throughput sink takes up to 20 datagrams per recvmmsg(). */
static void on_alloc_batch(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(s.batch, s.batch ? SINK_BATCH * RECV_BUF : 0);
}

/* In a receive callback: 1 when this call is no datagram at all (libuv's
 * "nothing more now", or the end of a one-datagram wakeup). */
static int no_datagram(ssize_t nread, const struct sockaddr *from)
{
    if (nread == UV_ENOBUFS) {
        s.read_one = 0;
        return 1;
    }
    if (nread == 0 && !from)
        return 1;
    if (nread >= 0)
        s.read_one = 1;
    return 0;
}

static void write_record(const void *rec, size_t len)
{
    if (s.report_fd < 0)
        return;
    const char *p = rec;
    while (len > 0) {
        ssize_t n = write(s.report_fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

static void report_port(int port)
{
    rec_port_t r = {{REC_PORT, sizeof r}, port};
    write_record(&r, sizeof r);
}

static void report_sent(uint32_t tag, const char *part, int64_t sent)
{
    rec_sent_t r = {{tag, sizeof r}, sent, {0}};
    snprintf(r.part, sizeof r.part, "%s", part);
    write_record(&r, sizeof r);
}

/* The kernel's figures for one of our UDP sockets, from its line in
 * /proc/net/udp (found by the socket's inode): bytes waiting in the receive
 * queue, and datagrams dropped because it was full. */
static int udp_proc_stats(int fd, unsigned long *rx_queue, unsigned long *drops)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
        return -errno;
    FILE *f = fopen(ss.ss_family == AF_INET6 ? "/proc/net/udp6" : "/proc/net/udp", "r");
    if (!f)
        return -errno;
    char line[512];
    int found = -ENOENT;
    if (fgets(line, sizeof line, f)) { /* the header */
        while (fgets(line, sizeof line, f)) {
            unsigned long tx, rx, ino, dr;
            if (sscanf(line, "%*s %*s %*s %*s %lx:%lx %*s %*s %*s %*s %lu %*s %*s %lu", &tx, &rx,
                       &ino, &dr) == 4 &&
                ino == (unsigned long)st.st_ino) {
                *rx_queue = rx;
                *drops = dr;
                found = 0;
                break;
            }
        }
    }
    fclose(f);
    return found;
}

static int self_path(void)
{
    ssize_t n = readlink("/proc/self/exe", s.self, sizeof s.self - 1);
    if (n <= 0)
        return -errno;
    s.self[n] = '\0';
    return 0;
}

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr *b)
{
    if (a->ss_family != b->sa_family)
        return 0;
    if (b->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (b->sa_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return x->sin6_port == y->sin6_port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return 0;
}

static void close_handle(uv_handle_t *h)
{
    if (h->loop && !uv_is_closing(h))
        uv_close(h, NULL);
}

/* ==== the server process: its peers and children ========================== */

static scope_end_t server_end(void)
{
    return SCOPE_PID(s.me);
}

static scope_end_t peer_end(const peer_t *p)
{
    return p->pid > 0 ? SCOPE_PID(p->pid) : SCOPE_PEER(p->name);
}

static void kid_read_reports(kid_t *k);

static kid_t *kid_by_port(int port)
{
    for (int i = 0; i < s.nkids; i++)
        if (s.kids[i].used && s.kids[i].port == port)
            return &s.kids[i];
    return NULL;
}

static void peer_forget(peer_t *p, const char *why)
{
    if (!p->used)
        return;
    if (p->pid <= 0) /* a child's channel opens and closes with the child */
        scope_events_chan("close", p->chan, "udp", peer_end(p), server_end(), why);
    p->used = 0;
}

/* A datagram's sender. UDP has no connection: the server knows a peer only
 * by the address each datagram carries, and its table of peers is its own
 * bookkeeping, forgotten after --idle-ms of silence. */
static peer_t *peer_of(const struct sockaddr *from)
{
    peer_t *free_slot = NULL, *oldest = NULL;
    for (int i = 0; i < MAX_PEERS; i++) {
        peer_t *p = &s.peers[i];
        if (p->used && same_addr(&p->addr, from))
            return p;
        if (!p->used && !free_slot)
            free_slot = p;
        if (p->used && (!oldest || p->last_ns < oldest->last_ns))
            oldest = p;
    }
    if (!free_slot) {
        peer_forget(oldest, "forgotten: the table of peers is full");
        free_slot = oldest;
    }
    peer_t *p = free_slot;
    memset(p, 0, sizeof *p);
    p->used = 1;
    memcpy(&p->addr, from, scope_addr_len(from));
    scope_addr_format(from, p->name, sizeof p->name);
    p->pid = -1;
    /* One of ours? Each child wrote its port to its pipe before its first
     * send, so the record is there to read now. */
    kid_t *k = NULL;
    if (scope_addr_is_loopback(from)) {
        for (int i = 0; i < s.nkids; i++)
            if (s.kids[i].used && s.kids[i].port <= 0)
                kid_read_reports(&s.kids[i]);
        k = kid_by_port(scope_addr_port(from));
    }
    char detail[160];
    if (k) {
        p->pid = k->pid;
        snprintf(p->chan, sizeof p->chan, "%s", k->chan);
        scope_events_log("recvmsg(fd %d): first datagram from %s (%s, pid %ld): a new peer, known "
                         "by its address alone",
                         s.echo_fd, p->name, k->probe ? "the probe" : k->chan, k->pid);
        return p;
    } else {
        snprintf(p->chan, sizeof p->chan, "udp:%d", scope_addr_port(from));
        snprintf(detail, sizeof detail, "an outside peer at %s; UDP has no accept()", p->name);
        scope_events_log("recvmsg(fd %d): first datagram from %s, a peer from outside the demo: "
                         "no handshake came first, none is needed",
                         s.echo_fd, p->name);
    }
    scope_events_chan("open", p->chan, "udp", peer_end(p), server_end(), detail);
    return p;
}

static void on_sweep(uv_timer_t *t)
{
    (void)t;
    uint64_t now = scope_time_now_ns(), limit = (uint64_t)s.idle_ms * 1000000ull;
    for (int i = 0; i < MAX_PEERS; i++) {
        peer_t *p = &s.peers[i];
        if (p->used && p->pid <= 0 && now - p->last_ns > limit) {
            char idle[32];
            scope_events_log("%s said nothing for %s: forgotten (there is no connection to "
                             "close, only our note of it)",
                             p->name, scope_time_format(idle, sizeof idle, (double)limit));
            peer_forget(p, "silent too long");
        }
    }
}

/* ==== the echo ============================================================ */

static void echo_reply(peer_t *p, const struct sockaddr *to, const char *data, size_t len,
                       uint64_t id)
{
    static char reply[GREETING_LEN + UDP4_MAX];
    memcpy(reply, GREETING, GREETING_LEN);
    memcpy(reply + GREETING_LEN, data, len);
    size_t n = GREETING_LEN + len;
    if (scope_events_msg_admit()) {
        char sum[80];
        summarize(sum, sizeof sum, reply, n);
        scope_events_msg_emit_admitted("send", p->chan, server_end(), peer_end(p), id, n, sum, 0);
    }
    int r = udp_send(&s.echo, reply, n, to);
    if (r < 0)
        scope_events_error("send", "sendmsg() of the %zu-byte answer to %s: %s", n, p->name,
                           uv_strerror(r));
    else {
        s.echo_out++;
        p->out++;
    }
}

static void sink_datagram(size_t len);

static void on_echo_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                         const struct sockaddr *from, unsigned flags)
{
    (void)h;
    if (s.mode == MODE_THROUGHPUT) {
        if (nread > 0 || (nread == 0 && from))
            sink_datagram((size_t)nread);
        return;
    }
    if (no_datagram(nread, from))
        return;
    if (nread < 0) {
        scope_events_error("recv", "recvmsg() on fd %d: %s; the server goes on", s.echo_fd,
                           uv_strerror((int)nread));
        return;
    }
    peer_t *p = peer_of(from);
    p->last_ns = scope_time_now_ns();
    p->in++;
    s.echo_in++;
    const char *data = buf->base;
    size_t len = (size_t)nread;

    if ((flags & UV_UDP_PARTIAL) || len > s.max_message) {
        s.refused++;
        scope_events_error("refused",
                           "a %zu%s-byte datagram from %s is over --max-message %zu: "
                           "refused, not echoed; the server goes on",
                           len, (flags & UV_UDP_PARTIAL) ? "+" : "", p->name, s.max_message);
        return;
    }
    long bad = utf8_bad_at((const unsigned char *)data, len);
    if (bad >= 0) {
        s.refused++;
        scope_events_error("refused",
                           "a %zu-byte datagram from %s is not UTF-8 (byte 0x%02x at "
                           "offset %ld): refused, not echoed; node would have answered with "
                           "U+FFFD in its place",
                           len, p->name, (unsigned char)data[bad], bad);
        return;
    }
    uint64_t id = parse_id(data, len);
    if (scope_events_msg_admit()) {
        char sum[80];
        summarize(sum, sizeof sum, data, len);
        scope_events_msg_emit_admitted("recv", p->chan, peer_end(p), server_end(), id, len, sum, 0);
    }
    if (len == 0) {
        s.empty++;
        scope_events_log("an empty datagram from %s: legal UDP. recvmsg() returned 0, which on a "
                         "stream would mean EOF; here it is a message with no bytes. Answered "
                         "with the bare greeting",
                         p->name);
    }
    echo_reply(p, from, data, len, id);
}

/* ==== the server's children =============================================== */

static void lesson_on_done(const char *part, int64_t sent);
static void server_maybe_finish(void);
static void kid_go(kid_t *k);
static void probe_command(const char *cmd);
static void loss_stats(int final);

static void kid_handle_record(kid_t *k, const rec_head_t *h)
{
    if (h->tag == REC_PORT && h->size == sizeof(rec_port_t)) {
        k->port = ((const rec_port_t *)h)->port;
        if (k->go_pending)
            kid_go(k);
        if (k->probe && s.probe_pending[0]) {
            char cmd[48];
            snprintf(cmd, sizeof cmd, "%s", s.probe_pending);
            s.probe_pending[0] = '\0';
            probe_command(cmd);
        }
    } else if ((h->tag == REC_SENT || h->tag == REC_DONE) && h->size == sizeof(rec_sent_t)) {
        const rec_sent_t *r = (const rec_sent_t *)h;
        k->sent_progress = r->sent;
        if (k->probe && strcmp(r->part, "flood") == 0 && h->tag == REC_SENT &&
            s.lesson_part == LESSON_LOSS) {
            s.loss_sent = r->sent;
            loss_stats(0); /* one live figure per burst, whatever the timer does */
        }
        if (h->tag == REC_DONE && k->probe)
            lesson_on_done(r->part, r->sent);
    } else if (h->tag == REC_FINAL && h->size == sizeof(rec_final_t)) {
        memcpy(&k->final, h, sizeof k->final);
        k->have_final = 1;
    }
}

static void kid_read_reports(kid_t *k)
{
    if (k->report_fd < 0)
        return;
    for (;;) {
        size_t cap = sizeof(rec_final_t) + 256;
        if (k->rlen == cap) {
            k->rlen = 0; /* not ours: drop it */
        }
        ssize_t n = read(k->report_fd, k->rbuf + k->rlen, cap - k->rlen);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        k->rlen += (size_t)n;
        while (k->rlen >= sizeof(rec_head_t)) {
            rec_head_t h;
            memcpy(&h, k->rbuf, sizeof h);
            if (h.size < sizeof h || h.size > cap) {
                k->rlen = 0;
                break;
            }
            if (k->rlen < h.size)
                break;
            /* aligned copy: records hold 8-byte fields */
            rec_final_t *rec = malloc(h.size);
            if (rec) {
                memcpy(rec, k->rbuf, h.size);
                kid_handle_record(k, &rec->h);
                free(rec);
            }
            memmove(k->rbuf, k->rbuf + h.size, k->rlen - h.size);
            k->rlen -= h.size;
        }
    }
}

static void on_report_readable(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    kid_read_reports(h->data);
}

static void on_poll_closed(uv_handle_t *h)
{
    kid_t *k = h->data;
    if (k->report_fd >= 0)
        close(k->report_fd);
    k->report_fd = -1;
    free(k->rbuf);
    k->rbuf = NULL;
}

static void on_kid_exit(scope_child_t *c, int status, int sig)
{
    kid_t *k = c->data;
    kid_read_reports(k); /* what it wrote before it went */
    k->exited = 1;
    k->code = status;
    k->sig = sig;
    if (k->polling) {
        uv_poll_stop(&k->poll);
        uv_close((uv_handle_t *)&k->poll, on_poll_closed);
        k->polling = 0;
    }
    char role[32];
    snprintf(role, sizeof role, k->probe ? "probe" : "client %d", k->index);
    scope_events_proc("exit", c->pid, getpid(), role, status, sig);
    for (int i = 0; i < MAX_PEERS; i++)
        if (s.peers[i].used && s.peers[i].pid == k->pid)
            peer_forget(&s.peers[i], "its process exited");
    scope_events_chan("close", k->chan, "udp", SCOPE_PID(k->pid), server_end(),
                      k->probe ? "the probe exited" : "the client exited");
    if (sig)
        scope_events_log("waitpid(%ld): %s was killed by SIG%s; the server goes on", (long)c->pid,
                         k->probe ? "the probe" : k->chan, sigabbrev_np(sig));
    else
        scope_events_log("waitpid(%ld): %s exited %d", (long)c->pid,
                         k->probe ? "the probe" : k->chan, status);
    if (k->probe) {
        s.probe_kid = -1;
        if (!s.finishing && s.lesson_part != LESSON_IDLE) {
            scope_events_error("probe",
                               "the lesson's sender is gone mid-step; skipping to the echo");
            lesson_on_done("gone", 0);
        }
    } else {
        s.clients_running--;
        if (sig && !s.finishing)
            s.exit_code = 1;
    }
    server_maybe_finish();
}

/* Starts this program as a client or the probe. Its fd 3 is the write end
 * of a pipe whose read end we keep; its events go where ours go. */
static kid_t *spawn_kid(int probe, int index)
{
    if (s.nkids == MAX_CLIENTS + 1)
        return NULL;
    kid_t *k = &s.kids[s.nkids];
    memset(k, 0, sizeof *k);
    k->report_fd = -1;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        scope_events_error("spawn", "pipe2: %s", strerror(errno));
        return NULL;
    }
    k->rbuf = malloc(sizeof(rec_final_t) + 256);
    if (!k->rbuf) {
        close(p[0]);
        close(p[1]);
        return NULL;
    }
    k->probe = probe;
    k->index = index;
    if (probe)
        snprintf(k->chan, sizeof k->chan, "probe");
    else
        snprintf(k->chan, sizeof k->chan, "udp%d", index);

    char count[32], rate[32], size[32], idx[32], timeout[32], maxm[32], tput[48];
    snprintf(count, sizeof count, "--count=%ld", s.demo.count);
    snprintf(rate, sizeof rate, "--rate=%g", s.demo.rate);
    snprintf(size, sizeof size, "--size=%zu", s.demo.size);
    snprintf(idx, sizeof idx, "--client-index=%d", index);
    snprintf(timeout, sizeof timeout, "--timeout=%ld", s.timeout_ms);
    snprintf(maxm, sizeof maxm, "--max-message=%zu", s.max_message);
    snprintf(tput, sizeof tput, "--throughput=%llu", (unsigned long long)s.throughput);
    char *argv[16];
    int n = 0;
    argv[n++] = s.self;
    if (probe) {
        argv[n++] = "--as-probe";
        argv[n++] = s.echo_name;
        argv[n++] = "--connect";
        argv[n++] = s.lesson_name;
    } else {
        argv[n++] = "--as-client";
        argv[n++] = "--connect";
        argv[n++] = s.echo_name;
        argv[n++] = count;
        argv[n++] = rate;
        argv[n++] = size;
        argv[n++] = timeout;
        if (s.mode == MODE_THROUGHPUT)
            argv[n++] = tput;
        if (s.demo.paused)
            argv[n++] = "--start-paused";
        if (s.mode == MODE_LESSON)
            argv[n++] = "--wait-go";
    }
    argv[n++] = idx;
    argv[n++] = maxm;
    argv[n++] = "--report-fd=3";
    argv[n] = NULL;

    scope_demo_child_events_t ev;
    scope_demo_child_events(&ev, 4);
    scope_spawn_fd_t fds[2] = {{.parent_fd = p[1], .child_fd = 3}, ev.fd};
    scope_spawn_options_t o = {
        .file = s.self,
        .argv = argv,
        .setenv = ev.env,
        .fds = fds,
        .nfds = 1 + ev.nfds,
        .death_signal = SIGTERM, /* if the server dies, its children hear of it */
    };
    k->child.data = k;
    int r = scope_spawn(s.loop, &k->child, &o, on_kid_exit);
    close(p[1]);
    if (r < 0) {
        scope_events_error("spawn", "cannot start %s: %s", s.self, strerror(-r));
        close(p[0]);
        free(k->rbuf);
        k->rbuf = NULL;
        return NULL;
    }
    k->used = 1;
    k->pid = k->child.pid;
    k->report_fd = p[0];
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    uv_poll_init(s.loop, &k->poll, p[0]);
    k->poll.data = k;
    uv_poll_start(&k->poll, UV_READABLE, on_report_readable);
    k->polling = 1;
    s.nkids++;
    if (probe)
        scope_events_chan("open", k->chan, "udp", SCOPE_PID(k->pid), server_end(),
                          "the lesson's sender; it obeys datagrams from the server");
    if (!probe) {
        s.clients_running++;
        char detail[160];
        snprintf(detail, sizeof detail, "client %d's socket, connected to %s", index, s.echo_name);
        scope_events_chan("open", k->chan, "udp", SCOPE_PID(k->pid), server_end(), detail);
    }
    return k;
}

/* The lesson is over: a client may start sending. */
static void kid_go(kid_t *k)
{
    if (k->exited)
        return;
    if (k->port <= 0) {
        k->go_pending = 1; /* sent when its port arrives */
        return;
    }
    k->go_pending = 0;
    static const char go[] = "{\"cmd\":\"go\"}";
    struct sockaddr_in to;
    uv_ip4_addr("127.0.0.1", k->port, &to);
    scope_events_msg("send", k->chan, server_end(), SCOPE_PID(k->pid), 0, sizeof go - 1, go, 0);
    int r = udp_send(&s.echo, go, sizeof go - 1, (struct sockaddr *)&to);
    if (r < 0)
        scope_events_error("send", "sendmsg() of go to %s: %s", k->chan, uv_strerror(r));
}

static kid_t *probe_kid(void)
{
    return s.probe_kid >= 0 ? &s.kids[s.probe_kid] : NULL;
}

/* Tells the probe what to send next: a datagram from the echo socket. */
static void probe_command(const char *cmd)
{
    kid_t *k = probe_kid();
    if (!k) {
        scope_events_error("probe", "no probe runs to send '%s' to", cmd);
        lesson_on_done("gone", 0);
        return;
    }
    if (k->port <= 0) {
        /* Not started yet: the command goes out when its port arrives. */
        snprintf(s.probe_pending, sizeof s.probe_pending, "%s", cmd);
        return;
    }
    struct sockaddr_in to = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)k->port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (s.echo_addr.ss_family != AF_INET)
        uv_ip4_addr("127.0.0.1", k->port, &to);
    scope_events_msg("send", "probe", server_end(), SCOPE_PID(k->pid), 0, strlen(cmd), cmd, 0);
    int r = udp_send(&s.echo, cmd, strlen(cmd), (struct sockaddr *)&to);
    if (r < 0)
        scope_events_error("probe", "sendmsg() of '%s' to the probe: %s", cmd, uv_strerror(r));
}

/* ==== the lesson steps (server side) ====================================== */

static void step_boundaries(scope_demo_t *d);
static void step_maxsize(scope_demo_t *d);
static void step_loss(scope_demo_t *d);
static void step_bad(scope_demo_t *d);
static void step_echo(scope_demo_t *d);
static void step_throughput(scope_demo_t *d);

static void on_lesson_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                           const struct sockaddr *from, unsigned flags);

static void lesson_timer_start(uv_timer_cb cb, uint64_t ms)
{
    uv_timer_start(&s.lesson_timer, cb, ms, 0);
}

static void on_lesson_timeout(uv_timer_t *t)
{
    (void)t;
    int part = s.lesson_part;
    s.lesson_part = LESSON_IDLE;
    if (s.lesson_reading) {
        uv_udp_recv_stop(&s.lesson);
        s.lesson_reading = 0;
    }
    scope_events_error("lesson", "step %d waited %d ms for what it should show; going on", part,
                       STEP_WAIT_MS);
    scope_demo_step(&s.demo, "the seeds' echo: the clients send, the server answers", step_echo);
}

static void lesson_start_reading(void)
{
    if (!s.lesson_reading && uv_udp_recv_start(&s.lesson, on_alloc, on_lesson_recv) == 0)
        s.lesson_reading = 1;
}

static void lesson_stop_reading(void)
{
    s.read_one = 0; /* libuv's loop ends without the ENOBUFS call that resets it */
    if (s.lesson_reading)
        uv_udp_recv_stop(&s.lesson);
    s.lesson_reading = 0;
}

static long probe_pid(void)
{
    kid_t *k = probe_kid();
    return k ? k->pid : -1;
}

static void boundaries_check(void)
{
    if (s.nsizes < 3)
        return;
    uv_timer_stop(&s.lesson_timer);
    lesson_stop_reading();
    s.boundaries_ok = s.sizes_seen[0] == boundary_sizes[0] &&
                      s.sizes_seen[1] == boundary_sizes[1] && s.sizes_seen[2] == boundary_sizes[2];
    scope_events_log("three recvmsg() calls returned %d, %d and %d bytes: the sizes that were "
                     "sent, in order. Each send() is one datagram and each recv() takes exactly "
                     "one; a TCP stream would have handed all %d bytes to one read()",
                     s.sizes_seen[0], s.sizes_seen[1], s.sizes_seen[2],
                     s.sizes_seen[0] + s.sizes_seen[1] + s.sizes_seen[2]);
    s.lesson_part = LESSON_IDLE;
    scope_demo_step(&s.demo, "the largest datagram: 65,507 bytes; one more is EMSGSIZE",
                    step_maxsize);
}

static void maxsize_check(void)
{
    if (!s.maxsize_got || s.lesson_done_part != LESSON_MAXSIZE)
        return;
    uv_timer_stop(&s.lesson_timer);
    lesson_stop_reading();
    s.lesson_part = LESSON_IDLE;
    scope_demo_step(&s.demo, "loss: a fast sender, a stalled receiver, a 4 KiB buffer", step_loss);
}

static void on_lesson_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                           const struct sockaddr *from, unsigned flags)
{
    (void)h;
    if (no_datagram(nread, from))
        return;
    if (nread < 0) {
        scope_events_error("recv", "recvmsg() on fd %d: %s", s.lesson_fd, uv_strerror((int)nread));
        return;
    }
    long pp = probe_pid();
    char sum[80];
    summarize(sum, sizeof sum, buf->base, (size_t)nread);
    scope_events_msg("recv", "probe", pp > 0 ? SCOPE_PID(pp) : SCOPE_PEER("probe"), server_end(), 0,
                     (size_t)nread, sum, 0);
    if (s.lesson_part == LESSON_BOUNDARIES) {
        if (s.nsizes < 8)
            s.sizes_seen[s.nsizes++] = (int)nread;
        scope_events_log("recvmsg(fd %d) #%d -> %zd bytes%s", s.lesson_fd, s.nsizes, nread,
                         (flags & UV_UDP_PARTIAL) ? " (cut: MSG_TRUNC)" : "");
        boundaries_check();
    } else if (s.lesson_part == LESSON_MAXSIZE) {
        scope_events_log("recvmsg(fd %d) -> %zd bytes in one datagram: 65,535 (the IPv4 total "
                         "length field) - 20 (IP header) - 8 (UDP header) = 65,507. Loopback's "
                         "MTU is 65,536, so it went unfragmented; on Ethernet (MTU 1,500) IP "
                         "would cut it into 45 fragments, and losing any one loses it all",
                         s.lesson_fd, nread);
        if (nread == UDP4_MAX)
            s.maxsize_got = 1;
        maxsize_check();
    }
}

static void step_bind(scope_demo_t *d)
{
    (void)d;
    /* socket() and bind() happened before hello, so hello could carry the
     * port; this step tells it. */
    struct sockaddr *a = (struct sockaddr *)&s.echo_addr;
    scope_events_log("socket(%s, SOCK_DGRAM) -> fd %d; bind(%s). No listen(), no accept(): "
                     "datagrams from anyone arrive on this one fd, each with its sender's address",
                     a->sa_family == AF_INET6 ? "AF_INET6" : "AF_INET", s.echo_fd, s.echo_name);
    if (scope_addr_is_loopback(a))
        scope_events_log("%s is loopback: only this machine can reach it. Try a real peer: "
                         "nc -u %s %d",
                         s.echo_name, a->sa_family == AF_INET6 ? "::1" : "127.0.0.1",
                         scope_addr_port(a));
    else
        scope_events_log("%s is reachable from the network: any machine that can route to it may "
                         "send datagrams here, and UDP checks no one. Check your firewall",
                         s.echo_name);
    if (s.mode == MODE_SERVER) {
        char idle[32];
        scope_events_log("serving until SIGINT, SIGTERM or quit; peers silent for %s are "
                         "forgotten",
                         scope_time_format(idle, sizeof idle, (double)s.idle_ms * 1e6));
        return;
    }
    if (s.mode == MODE_THROUGHPUT) {
        scope_demo_step(&s.demo, "throughput: one client streams, the server counts",
                        step_throughput);
        return;
    }
    /* The clients start now and wait for the server's go; the lesson's
     * receiver has its own socket, and its sender is one process that sends
     * what each step needs when told. */
    for (int i = 1; i <= s.clients; i++)
        if (!spawn_kid(0, i))
            break;
    scope_events_log("%d clients started; each connect()s its socket and waits for the server's "
                     "go, sent once the lesson is over",
                     s.clients);
    kid_t *k = spawn_kid(1, 0);
    if (k) {
        s.probe_kid = (int)(k - s.kids);
        scope_events_log("the lesson's receiver: socket(AF_INET, SOCK_DGRAM) -> fd %d, "
                         "bind(%s), not reading yet; its sender is the probe, pid %ld",
                         s.lesson_fd, s.lesson_name, k->pid);
    }
    if (s.no_lesson || !k)
        scope_demo_step(&s.demo, "the seeds' echo: the clients send, the server answers",
                        step_echo);
    else
        scope_demo_step(&s.demo, "boundaries: three sends arrive as three datagrams",
                        step_boundaries);
}

static void step_boundaries(scope_demo_t *d)
{
    (void)d;
    s.lesson_part = LESSON_BOUNDARIES;
    s.nsizes = 0;
    lesson_stop_reading();
    lesson_timer_start(on_lesson_timeout, STEP_WAIT_MS);
    scope_events_log("the receiver does not read while the probe sends %d, %d and %d bytes in "
                     "three send() calls: all three wait in its queue together",
                     boundary_sizes[0], boundary_sizes[1], boundary_sizes[2]);
    probe_command("probe:boundaries");
}

static void step_maxsize(scope_demo_t *d)
{
    (void)d;
    s.lesson_part = LESSON_MAXSIZE;
    s.lesson_done_part = LESSON_IDLE;
    s.maxsize_got = 0;
    lesson_start_reading();
    lesson_timer_start(on_lesson_timeout, STEP_WAIT_MS);
    scope_events_log("the probe sends 65,507 bytes, then 65,508");
    probe_command("probe:maxsize");
}

/* ---- loss ---- */

static void loss_stats(int final)
{
    unsigned long rxq = 0, drops = 0;
    if (udp_proc_stats(s.lesson_fd, &rxq, &drops) == 0)
        s.loss_kernel_drops = drops >= s.loss_base_drops ? drops - s.loss_base_drops : 0;
    int64_t sent = s.loss_sent_final > 0 ? s.loss_sent_final : s.loss_sent;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "chan", "loss");
    cJSON_AddNumberToObject(o, "count", (double)s.loss_received);
    cJSON_AddNumberToObject(o, "bytes", (double)s.loss_bytes);
    cJSON_AddNumberToObject(o, "sent", (double)sent);
    cJSON_AddNumberToObject(o, "received", (double)s.loss_received);
    cJSON_AddNumberToObject(o, "dropped", (double)(sent - s.loss_received));
    cJSON_AddNumberToObject(o, "kernel_drops", (double)s.loss_kernel_drops);
    cJSON_AddNumberToObject(o, "queued_bytes", (double)rxq);
    if (s.loss_have_ovfl)
        cJSON_AddNumberToObject(o, "rxq_ovfl", (double)s.loss_ovfl);
    cJSON_AddBoolToObject(o, "final", final);
    scope_events_emit("stats", o);
    if (!final)
        scope_events_log("live: %lld sent, %lld received, %llu dropped by the kernel, %lu bytes "
                         "waiting in the queue",
                         (long long)sent, (long long)s.loss_received,
                         (unsigned long long)s.loss_kernel_drops, rxq);
}

/* Reads what waits in the receive queue with recvmsg() on the fd itself:
 * libuv does not hand over ancillary data, and SO_RXQ_OVFL rides there
 * (a uint32: the socket's drop count when this datagram was queued). */
static void loss_drain(void)
{
    for (;;) {
        struct iovec iov = {s.rbuf, RECV_BUF};
        union {
            char buf[CMSG_SPACE(sizeof(uint32_t))];
            struct cmsghdr align;
        } ctl;
        struct msghdr m = {.msg_iov = &iov,
                           .msg_iovlen = 1,
                           .msg_control = ctl.buf,
                           .msg_controllen = sizeof ctl.buf};
        ssize_t n = recvmsg(s.lesson_fd, &m, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        int marker = n == 6 && memcmp(s.rbuf, "marker", 6) == 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL && marker) {
                uint32_t v;
                memcpy(&v, CMSG_DATA(c), sizeof v);
                s.loss_ovfl = v >= s.loss_base_drops ? v - s.loss_base_drops : 0;
                s.loss_have_ovfl = 1;
            }
        if (marker) {
            s.loss_marker_got = 1;
            continue;
        }
        s.loss_received++;
        s.loss_bytes += (uint64_t)n;
        long pp = probe_pid();
        scope_events_msg("recv", "probe", pp > 0 ? SCOPE_PID(pp) : SCOPE_PEER("probe"),
                         server_end(), parse_id(s.rbuf, (size_t)n), (size_t)n, "flood", 0);
    }
}

static void loss_finish(void)
{
    uv_timer_stop(&s.loss_timer);
    loss_stats(1);
    int64_t sent = s.loss_sent_final;
    scope_events_log("the receiver read %lld of %lld datagrams; %lld were dropped. The kernel "
                     "counted %llu drops (/proc/net/udp). Neither side was told: every send() "
                     "succeeded, and no recv() reports a gap",
                     (long long)s.loss_received, (long long)sent,
                     (long long)(sent - s.loss_received), (unsigned long long)s.loss_kernel_drops);
    if (s.loss_have_ovfl)
        scope_events_log("SO_RXQ_OVFL = %llu: the count rides on the next datagram that gets in, "
                         "so a marker was sent after the drain to carry it",
                         (unsigned long long)s.loss_ovfl);
    s.lesson_part = LESSON_IDLE;
    scope_demo_step(&s.demo, "bad input: oversize, not UTF-8, empty", step_bad);
}

/* Ticks every 100 ms: live figures while the probe floods, then, once it is
 * done, reading what got in until every datagram is accounted for. */
static void on_loss_tick(uv_timer_t *t)
{
    (void)t;
    if (s.loss_sent_final <= 0)
        return; /* the live figures come with each burst's report */
    loss_drain();
    unsigned long rxq = 0, drops = 0;
    if (udp_proc_stats(s.lesson_fd, &rxq, &drops) == 0)
        s.loss_kernel_drops = drops >= s.loss_base_drops ? drops - s.loss_base_drops : 0;
    int accounted = (int64_t)s.loss_kernel_drops + s.loss_received >= s.loss_sent_final;
    if (accounted && !s.loss_marker_sent) {
        /* The queue is empty now: a marker gets in and carries the count. */
        struct sockaddr *to = (struct sockaddr *)&s.lesson_addr;
        if (udp_send(&s.echo, "marker", 6, to) == 6)
            s.loss_marker_sent = 1;
        return;
    }
    if ((accounted && s.loss_marker_got) || ++s.loss_ticks > 30) {
        s.loss_settled = accounted;
        loss_finish();
    }
}

static void step_loss(scope_demo_t *d)
{
    (void)d;
    s.lesson_part = LESSON_LOSS;
    lesson_stop_reading();
    int sz = LOSS_RCVBUF, got = 0, on = 1;
    socklen_t sl = sizeof got;
    setsockopt(s.lesson_fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    getsockopt(s.lesson_fd, SOL_SOCKET, SO_RCVBUF, &got, &sl);
    int ovfl = setsockopt(s.lesson_fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
    unsigned long rxq = 0, drops = 0;
    udp_proc_stats(s.lesson_fd, &rxq, &drops);
    s.loss_base_drops = drops;
    scope_events_log("setsockopt(fd %d, SO_RCVBUF, %d): getsockopt says %d (the kernel doubles "
                     "it to cover its own bookkeeping; each 1,000-byte datagram costs about "
                     "2 KiB of it)%s",
                     s.lesson_fd, sz, got,
                     ovfl == 0 ? "; SO_RXQ_OVFL on: each datagram read carries the drop count"
                               : "");
    scope_events_log("the receiver is stalled (recvmsg is not called, as in a busy process); "
                     "the probe sends %d datagrams of %d bytes in %d bursts",
                     FLOOD_DGRAMS, FLOOD_SIZE, FLOOD_BURSTS);
    uv_timer_start(&s.loss_timer, on_loss_tick, 100, 100);
    probe_command("probe:flood");
}

static void step_bad(scope_demo_t *d)
{
    (void)d;
    s.lesson_part = LESSON_BAD;
    lesson_timer_start(on_lesson_timeout, STEP_WAIT_MS);
    scope_events_log("the probe sends the echo server a datagram of %zu bytes (over "
                     "--max-message), one that is not UTF-8, and an empty one",
                     s.max_message + 1);
    probe_command("probe:bad");
}

static void lesson_on_done(const char *part, int64_t sent)
{
    if (strcmp(part, "boundaries") == 0 && s.lesson_part == LESSON_BOUNDARIES) {
        int fionread = -1;
        ioctl(s.lesson_fd, FIONREAD, &fionread);
        unsigned long rxq = 0, drops = 0;
        udp_proc_stats(s.lesson_fd, &rxq, &drops);
        scope_events_log("all three wait in the queue (/proc/net/udp rx_queue: %lu bytes, with "
                         "the kernel's overhead); ioctl(FIONREAD) says %d: for UDP, the size of "
                         "the next datagram only. Now reading",
                         rxq, fionread);
        lesson_start_reading();
    } else if (strcmp(part, "maxsize") == 0 && s.lesson_part == LESSON_MAXSIZE) {
        s.lesson_done_part = LESSON_MAXSIZE;
        s.emsgsize_seen = sent == 1;
        maxsize_check();
    } else if (strcmp(part, "flood") == 0 && s.lesson_part == LESSON_LOSS) {
        s.loss_sent_final = sent;
        s.loss_sent = sent;
        scope_events_log("the probe is done: %lld datagrams sent, and every send() said yes. "
                         "The receiver reads again",
                         (long long)sent);
    } else if (strcmp(part, "bad") == 0 && s.lesson_part == LESSON_BAD) {
        uv_timer_stop(&s.lesson_timer);
        s.bad_done = 1;
        s.lesson_part = LESSON_IDLE;
        scope_events_log("the server refused %llu datagrams and answered the empty one; it "
                         "serves on",
                         (unsigned long long)s.refused);
        scope_demo_step(&s.demo, "the seeds' echo: the clients send, the server answers",
                        step_echo);
    } else if (strcmp(part, "gone") == 0 && s.lesson_part != LESSON_IDLE) {
        uv_timer_stop(&s.lesson_timer);
        uv_timer_stop(&s.loss_timer);
        lesson_stop_reading();
        s.lesson_part = LESSON_IDLE;
        scope_demo_step(&s.demo, "the seeds' echo: the clients send, the server answers",
                        step_echo);
    }
}

/* ---- the echo with N clients ---- */

static void step_echo(scope_demo_t *d)
{
    if (s.finishing)
        return;
    scope_events_log("go to %d clients; each sends %ld datagrams of %zu bytes "
                     "%s%s; an answer not back within %ld ms counts as lost",
                     s.clients, d->count, d->size, d->rate > 0 ? "at " : "",
                     d->rate > 0 ? "the chosen rate" : "as fast as answers come", s.timeout_ms);
    for (int i = 0; i < s.nkids; i++)
        if (s.kids[i].used && !s.kids[i].probe)
            kid_go(&s.kids[i]);
    server_maybe_finish();
}

/* ---- throughput ---- */

static void sink_datagram(size_t len)
{
    uint64_t now = scope_time_now_ns();
    if (!s.sink_dgrams)
        s.sink_first_ns = now;
    s.sink_last_ns = now;
    s.sink_dgrams++;
    s.sink_bytes += len;
    scope_end_t from = s.nkids > 0 ? SCOPE_PID(s.kids[0].pid) : SCOPE_PEER("client");
    scope_events_msg("recv", "udp1", from, server_end(), 0, len, "stream", 0);
}

static void step_throughput(scope_demo_t *d)
{
    (void)d;
    scope_events_log("one client sends %llu bytes in %zu-byte datagrams as fast as sendmsg() "
                     "goes; the server only counts. Nothing slows the sender down: what the "
                     "receiver cannot take in time is dropped",
                     (unsigned long long)s.throughput, s.demo.size);
    /* The same receive buffer as the raw floor's (bench/bench_sock.c): a
     * bigger buffer rides out the moments the receiver is not scheduled. */
    int want = 8 * 1024 * 1024, got = 0;
    socklen_t sl = sizeof got;
    setsockopt(s.echo_fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
    getsockopt(s.echo_fd, SOL_SOCKET, SO_RCVBUF, &got, &sl);
    scope_events_log("setsockopt(fd %d, SO_RCVBUF, 8 MiB): getsockopt says %d bytes (capped by "
                     "net.core.rmem_max unless root)",
                     s.echo_fd, got);
    s.clients = 1;
    spawn_kid(0, 1);
}

/* ---- the end ---- */

static void finish(void)
{
    if (s.finished)
        return;
    s.finished = 1;
    uv_timer_stop(&s.lesson_timer);
    uv_timer_stop(&s.loss_timer);
    scope_hist_t all;
    scope_hist_reset(&all);
    int64_t sent = 0, received = 0, lost = 0, late = 0, errors = 0, complete = 0;
    uint64_t bytes_sent = 0;
    for (int i = 0; i < s.nkids; i++) {
        kid_t *k = &s.kids[i];
        if (k->probe || !k->have_final)
            continue;
        scope_hist_merge(&all, &k->final.rtt);
        sent += k->final.sent;
        received += k->final.received;
        lost += k->final.lost;
        late += k->final.late;
        errors += k->final.errors;
        bytes_sent += k->final.bytes_sent;
        complete++;
    }
    scope_hist_summary_t sum;
    scope_hist_summarize(&all, &sum);
    cJSON *o = cJSON_CreateObject();
    char text[400];
    cJSON_AddStringToObject(o, "address", s.echo_name);
    if (s.mode == MODE_THROUGHPUT) {
        double secs =
            s.sink_last_ns > s.sink_first_ns ? (s.sink_last_ns - s.sink_first_ns) / 1e9 : 0;
        double mb_s = secs > 0 ? s.sink_bytes / secs / 1e6 : 0;
        int64_t dsent = sent;
        cJSON_AddNumberToObject(o, "mb_s", mb_s);
        cJSON_AddNumberToObject(o, "bytes", (double)s.sink_bytes);
        cJSON_AddNumberToObject(o, "bytes_sent", (double)bytes_sent);
        cJSON_AddNumberToObject(o, "datagram", (double)s.demo.size);
        cJSON_AddNumberToObject(o, "sent", (double)dsent);
        cJSON_AddNumberToObject(o, "received", (double)s.sink_dgrams);
        cJSON_AddNumberToObject(
            o, "lost",
            (double)(dsent > (int64_t)s.sink_dgrams ? dsent - (int64_t)s.sink_dgrams : 0));
        cJSON_AddNumberToObject(o, "loss",
                                dsent > 0 ? 1.0 - (double)s.sink_dgrams / (double)dsent : 0);
        snprintf(text, sizeof text,
                 "%lld datagrams of %zu bytes sent, %llu received (%.1f%% lost): "
                 "%.1f MB/s arrived",
                 (long long)dsent, s.demo.size, (unsigned long long)s.sink_dgrams,
                 dsent > 0 ? 100.0 * (1.0 - (double)s.sink_dgrams / (double)dsent) : 0.0, mb_s);
    } else if (s.mode == MODE_SERVER) {
        cJSON_AddNumberToObject(o, "received", (double)s.echo_in);
        cJSON_AddNumberToObject(o, "sent", (double)s.echo_out);
        cJSON_AddNumberToObject(o, "refused", (double)s.refused);
        cJSON_AddNumberToObject(o, "empty", (double)s.empty);
        snprintf(text, sizeof text,
                 "the server received %llu datagrams, answered %llu and "
                 "refused %llu",
                 (unsigned long long)s.echo_in, (unsigned long long)s.echo_out,
                 (unsigned long long)s.refused);
    } else {
        cJSON_AddNumberToObject(o, "clients", complete);
        cJSON_AddNumberToObject(o, "sent", (double)sent);
        cJSON_AddNumberToObject(o, "received", (double)received);
        cJSON_AddNumberToObject(o, "round_trips", (double)sum.count);
        cJSON_AddNumberToObject(o, "p50", (double)sum.p50);
        cJSON_AddNumberToObject(o, "p99", (double)sum.p99);
        cJSON_AddNumberToObject(o, "lost", (double)lost);
        cJSON_AddNumberToObject(o, "late", (double)late);
        cJSON_AddNumberToObject(o, "send_errors", (double)errors);
        cJSON_AddNumberToObject(o, "server_received", (double)s.echo_in);
        cJSON_AddNumberToObject(o, "server_answered", (double)s.echo_out);
        cJSON_AddNumberToObject(o, "refused", (double)s.refused);
        cJSON_AddNumberToObject(o, "empty", (double)s.empty);
        if (s.mode == MODE_LESSON && !s.no_lesson) {
            cJSON_AddBoolToObject(o, "boundaries_kept", s.boundaries_ok);
            cJSON_AddNumberToObject(o, "max_payload", s.maxsize_got ? UDP4_MAX : 0);
            cJSON_AddBoolToObject(o, "emsgsize", s.emsgsize_seen);
            cJSON *l = cJSON_AddObjectToObject(o, "loss");
            cJSON_AddNumberToObject(l, "sent", (double)s.loss_sent_final);
            cJSON_AddNumberToObject(l, "received", (double)s.loss_received);
            cJSON_AddNumberToObject(l, "dropped", (double)(s.loss_sent_final - s.loss_received));
            cJSON_AddNumberToObject(l, "kernel_drops", (double)s.loss_kernel_drops);
            if (s.loss_have_ovfl)
                cJSON_AddNumberToObject(l, "rxq_ovfl", (double)s.loss_ovfl);
            cJSON_AddBoolToObject(l, "accounted", s.loss_settled);
        }
        cJSON_AddBoolToObject(o, "complete", !s.cut_short);
        char p50[32];
        snprintf(text, sizeof text,
                 "%lld clients: %lld datagrams sent, %lld answered, %lld lost "
                 "(median round trip %s); the server refused %llu bad datagrams%s",
                 (long long)complete, (long long)sent, (long long)received, (long long)lost,
                 scope_time_format(p50, sizeof p50, (double)sum.p50), (unsigned long long)s.refused,
                 s.cut_short ? "; the run was cut short" : "");
    }
    scope_events_bye(o, text);
    close_handle((uv_handle_t *)&s.echo);
    close_handle((uv_handle_t *)&s.lesson);
    close_handle((uv_handle_t *)&s.lesson_timer);
    close_handle((uv_handle_t *)&s.loss_timer);
    close_handle((uv_handle_t *)&s.sweep_timer);
    scope_demo_stop(&s.demo);
}

static int kids_running(void)
{
    int n = 0;
    for (int i = 0; i < s.nkids; i++)
        if (s.kids[i].used && !s.kids[i].exited)
            n++;
    return n;
}

static void on_sink_settle(uv_timer_t *t)
{
    /* Wait until what is on the way has arrived: every datagram counted, or
     * nothing new for 200 ms. */
    int64_t sent = s.kids[0].have_final ? s.kids[0].final.sent : 0;
    if ((int64_t)s.sink_dgrams >= sent || s.sink_dgrams == s.sink_seen_at_tick) {
        if (++s.sink_ticks >= 10 || (int64_t)s.sink_dgrams >= sent) {
            uv_timer_stop(t);
            finish();
        }
    } else {
        s.sink_ticks = 0;
    }
    s.sink_seen_at_tick = s.sink_dgrams;
}

static void server_maybe_finish(void)
{
    if (s.finished || s.mode == MODE_SERVER)
        return;
    if (!s.finishing && s.clients_running == 0 && s.nkids > (s.probe_kid >= 0 ? 1 : 0)) {
        /* the clients are done: the probe's work is over too */
        s.finishing = 1;
        kid_t *p = probe_kid();
        if (p && !p->exited)
            scope_child_kill(&p->child, SIGTERM, 0);
    }
    if (!s.finishing || kids_running() > 0)
        return;
    if (s.mode == MODE_THROUGHPUT && !s.cut_short) {
        s.sink_seen_at_tick = s.sink_dgrams;
        uv_timer_start(&s.lesson_timer, on_sink_settle, 20, 20);
        return;
    }
    finish();
}

static void server_quit(scope_demo_t *d)
{
    (void)d;
    s.cut_short = 1;
    s.finishing = 1;
    uv_timer_stop(&s.lesson_timer);
    uv_timer_stop(&s.loss_timer);
    int n = 0;
    for (int i = 0; i < s.nkids; i++)
        if (s.kids[i].used && !s.kids[i].exited) {
            scope_child_kill(&s.kids[i].child, SIGTERM, 0);
            n++;
        }
    if (n)
        scope_events_log("SIGTERM to %d children; each sends its figures and exits", n);
    else
        finish();
}

/* The dashboard's commands reach the first process; the clients hear them
 * as datagrams from the server, like everything else they hear. */
static void server_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    if (strcmp(cmd, "fault") == 0) {
        const char *k = d->fault;
        if (strcmp(k, "oversize") && strcmp(k, "malformed") && strcmp(k, "empty")) {
            scope_events_error("fault", "unknown fault '%s' (oversize, malformed or empty)", k);
            return;
        }
        char c[48];
        snprintf(c, sizeof c, "probe:%s", k);
        if (probe_kid())
            probe_command(c);
        else
            scope_events_error("fault", "no probe runs to send a bad datagram");
        return;
    }
    if (strcmp(cmd, "pause") && strcmp(cmd, "resume") && strcmp(cmd, "step") &&
        strcmp(cmd, "rate") && strcmp(cmd, "size"))
        return;
    char *text = cJSON_PrintUnformatted(msg);
    if (!text)
        return;
    for (int i = 0; i < s.nkids; i++) {
        kid_t *k = &s.kids[i];
        if (!k->used || k->exited || k->probe)
            continue;
        if (k->port <= 0)
            kid_read_reports(k);
        if (k->port <= 0)
            continue;
        struct sockaddr_in to;
        uv_ip4_addr("127.0.0.1", k->port, &to);
        scope_events_msg("send", k->chan, server_end(), SCOPE_PID(k->pid), 0, strlen(text), text,
                         0);
        udp_send(&s.echo, text, strlen(text), (struct sockaddr *)&to);
    }
    cJSON_free(text);
}

static int bind_udp(uv_udp_t *h, const struct sockaddr *a, struct sockaddr_storage *bound,
                    char *name, int *fd, unsigned flags)
{
    int r = uv_udp_init_ex(s.loop, h, a->sa_family | flags);
    if (r < 0)
        return r;
    if ((r = uv_udp_bind(h, a, 0)) < 0)
        return r;
    int len = sizeof *bound;
    uv_udp_getsockname(h, (struct sockaddr *)bound, &len);
    scope_addr_format((struct sockaddr *)bound, name, SCOPE_ADDR_STRLEN);
    uv_fileno((uv_handle_t *)h, fd);
    return 0;
}

static int run_server(void)
{
    scope_demo_t *d = &s.demo;
    s.mode = s.listen_given ? MODE_SERVER : s.throughput ? MODE_THROUGHPUT : MODE_LESSON;
    d->on_quit = server_quit;
    d->on_control = server_control;
    s.loop = uv_default_loop();
    if (self_path() < 0) {
        fprintf(stderr, "udp: readlink /proc/self/exe: %s\n", strerror(errno));
        return 1;
    }
    struct sockaddr_storage want;
    const char *spec = s.listen_given ? s.listen_spec : "127.0.0.1";
    int r = scope_addr_parse(spec, "127.0.0.1", 0, &want);
    if (r < 0) {
        fprintf(stderr, "udp: --listen wants HOST:PORT, not '%s' (%s)\n", spec, strerror(-r));
        return 2;
    }
    /* socket() and bind() before hello, so that hello carries the port. */
    r = bind_udp(&s.echo, (struct sockaddr *)&want, &s.echo_addr, s.echo_name, &s.echo_fd,
                 s.mode == MODE_THROUGHPUT ? UV_UDP_RECVMMSG : 0);
    char wanted[SCOPE_ADDR_STRLEN];
    scope_addr_format((struct sockaddr *)&want, wanted, sizeof wanted);
    d->params = cJSON_CreateObject();
    cJSON_AddStringToObject(d->params, "mode",
                            s.mode == MODE_SERVER       ? "server"
                            : s.mode == MODE_THROUGHPUT ? "throughput"
                                                        : "lesson");
    cJSON_AddStringToObject(d->params, "listen", r == 0 ? s.echo_name : wanted);
    if (s.mode != MODE_SERVER)
        cJSON_AddNumberToObject(d->params, "clients", s.mode == MODE_THROUGHPUT ? 1 : s.clients);
    cJSON_AddNumberToObject(d->params, "max_message", (double)s.max_message);
    cJSON_AddNumberToObject(d->params, "timeout_ms", (double)s.timeout_ms);
    if (s.throughput)
        cJSON_AddNumberToObject(d->params, "throughput", (double)s.throughput);
    int sr = scope_demo_start(d, s.loop, "server", 1);
    if (sr < 0) {
        fprintf(stderr, "udp: cannot start: %s\n", strerror(-sr));
        return 1;
    }
    if (r < 0) {
        scope_events_error("bind", "bind(%s): %s%s", wanted, uv_strerror(r),
                           r == UV_EADDRINUSE ? ": another socket has this port" : "");
        close_handle((uv_handle_t *)&s.echo);
        scope_demo_run(d);
        return 1;
    }
    if (s.mode == MODE_THROUGHPUT)
        s.batch = malloc(SINK_BATCH * RECV_BUF);
    uv_udp_recv_start(&s.echo, s.mode == MODE_THROUGHPUT ? on_alloc_batch : on_alloc, on_echo_recv);
    uv_timer_init(s.loop, &s.lesson_timer);
    uv_timer_init(s.loop, &s.loss_timer);
    uv_timer_init(s.loop, &s.sweep_timer);
    /* Swept often enough that a short --idle-ms is kept to within a tenth. */
    uint64_t sweep = s.idle_ms >= 10000 ? 1000 : (uint64_t)(s.idle_ms / 10 > 0 ? s.idle_ms / 10 : 1);
    uv_timer_start(&s.sweep_timer, on_sweep, sweep, sweep);
    uv_unref((uv_handle_t *)&s.sweep_timer);
    if (s.mode == MODE_LESSON) {
        struct sockaddr_in lo;
        uv_ip4_addr("127.0.0.1", 0, &lo);
        if (bind_udp(&s.lesson, (struct sockaddr *)&lo, &s.lesson_addr, s.lesson_name, &s.lesson_fd,
                     0) < 0) {
            scope_events_error("bind", "the lesson's receiver: cannot bind 127.0.0.1");
            s.no_lesson = 1;
        }
    }
    scope_demo_step(d, "socket() and bind(): the server's address", step_bind);
    scope_demo_run(d);
    close_handle((uv_handle_t *)&s.echo);
    close_handle((uv_handle_t *)&s.lesson);
    close_handle((uv_handle_t *)&s.lesson_timer);
    close_handle((uv_handle_t *)&s.loss_timer);
    close_handle((uv_handle_t *)&s.sweep_timer);
    for (int i = 0; i < s.nkids; i++) {
        kid_t *k = &s.kids[i];
        if (k->used && !k->exited) /* never leave one behind */
            scope_child_kill(&k->child, SIGKILL, 0);
    }
    uv_run(s.loop, UV_RUN_NOWAIT);
    scope_spawn_shutdown(s.loop);
    for (int i = 0; i < s.nkids; i++) {
        kid_t *k = &s.kids[i];
        if (k->polling) {
            uv_poll_stop(&k->poll);
            uv_close((uv_handle_t *)&k->poll, on_poll_closed);
            k->polling = 0;
        }
    }
    uv_run(s.loop, UV_RUN_NOWAIT);
    uv_loop_close(s.loop);
    free(s.batch);
    return s.exit_code;
}

/* ==== a client ============================================================ */

static void client_send(scope_pacer_t *p);
static void client_done(void);

static scope_end_t client_peer(void)
{
    return s.server_pid > 0 ? SCOPE_PID(s.server_pid) : SCOPE_PEER(s.peer_name);
}

static void client_next(void)
{
    if (s.client_done)
        return;
    if (s.sent < s.demo.count && !s.demo.quitting)
        scope_pacer_next(&s.pacer, client_send);
    else
        client_done();
}

static void on_wait_timeout(uv_timer_t *t)
{
    (void)t;
    if (!s.outstanding)
        return;
    s.lost++;
    scope_events_error("lost",
                       "no answer to #%llu within %ld ms: counted lost (UDP never "
                       "resends; an answer that comes later is counted late)",
                       (unsigned long long)s.outstanding, s.timeout_ms);
    s.outstanding = 0;
    client_next();
}

static void client_send(scope_pacer_t *p)
{
    (void)p;
    if (s.sent >= s.demo.count || s.demo.quitting) {
        client_done();
        return;
    }
    size_t len = s.demo.size < SEND_MAX ? s.demo.size : SEND_MAX;
    if (len > s.out_cap) {
        char *o = realloc(s.out, len + 64);
        if (!o)
            return;
        s.out = o;
        s.out_cap = len;
    }
    uint64_t id = (uint64_t)++s.sent;
    int n = snprintf(s.out, 64, CLIENT_TEXT " #%llu", (unsigned long long)id);
    size_t total = (size_t)n > len ? (size_t)n : len;
    if (total > (size_t)n)
        memset(s.out + n, '.', total - (size_t)n);
    if (scope_events_msg_admit()) {
        char sum[80];
        summarize(sum, sizeof sum, s.out, (size_t)n);
        scope_events_msg_emit_admitted("send", s.chan, SCOPE_PID(s.me), client_peer(), id, total,
                                       sum, 0);
    }
    if (!s.first_ns)
        s.first_ns = scope_time_now_ns();
    s.t_sent = scope_time_now_ns();
    s.outstanding = id;
    int r = udp_send(&s.sock, s.out, total, NULL);
    if (r < 0) {
        s.errors++;
        s.outstanding = 0;
        scope_events_error("send", "sendmsg(fd %d) of %zu bytes: %s%s", s.sock_fd, total,
                           uv_strerror(r),
                           r == UV_EMSGSIZE ? ": over the 65,507 bytes one IPv4 datagram carries"
                           : r == UV_ECONNREFUSED ? ": an ICMP port unreachable came back"
                                                  : "");
        client_next();
        return;
    }
    s.bytes_sent += total;
    uv_timer_start(&s.wait_timer, on_wait_timeout, (uint64_t)s.timeout_ms, 0);
}

static void on_client_stats(uv_timer_t *t);

/* A command relayed by the server: what the dashboard asked of everyone. */
static void client_control(const char *data, size_t len)
{
    cJSON *m = cJSON_ParseWithLength(data, len);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "cmd");
    if (cJSON_IsString(c) && strcmp(c->valuestring, "go") == 0) {
        if (s.gated) {
            s.gated = 0;
            uv_timer_start(&s.stats_timer, on_client_stats, 500, 500);
            client_next();
        }
    } else if (cJSON_IsString(c)) {
        /* The dashboard's pause, step, rate or size, relayed by the server:
         * applied here as lib/demo applies it in the server. */
        scope_events_log("control from the server, by datagram: %.*s", (int)len, data);
        scope_demo_apply_control(&s.demo, m);
    }
    cJSON_Delete(m);
}

static void on_client_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                           const struct sockaddr *from, unsigned flags)
{
    (void)h;
    (void)flags;
    if (no_datagram(nread, from))
        return;
    if (nread < 0) {
        /* A connected UDP socket hears ICMP errors: port unreachable comes
         * back as ECONNREFUSED on the next call. */
        if (nread == UV_ECONNREFUSED) {
            s.refused_by_peer++;
            scope_events_error("refused",
                               "recvmsg(fd %d): ECONNREFUSED: an ICMP port unreachable "
                               "says nobody listens on %s%s",
                               s.sock_fd, s.peer_name, s.outstanding ? "; counted lost" : "");
        } else {
            scope_events_error("recv", "recvmsg(fd %d): %s", s.sock_fd, uv_strerror((int)nread));
        }
        if (s.outstanding) {
            s.lost++;
            s.outstanding = 0;
            uv_timer_stop(&s.wait_timer);
            client_next();
        }
        return;
    }
    const char *data = buf->base;
    size_t len = (size_t)nread;
    if (len > 6 && memcmp(data, "{\"cmd\"", 6) == 0) {
        scope_events_msg("recv", s.chan, client_peer(), SCOPE_PID(s.me), 0, len, "control", 0);
        client_control(data, len);
        return;
    }
    uint64_t now = scope_time_now_ns();
    uint64_t id = parse_id(data, len);
    int ours = len >= GREETING_LEN && memcmp(data, GREETING, GREETING_LEN) == 0;
    uint64_t rtt = 0;
    if (ours && id && id == s.outstanding) {
        rtt = now - s.t_sent;
        scope_hist_add(&s.rtt, rtt);
        scope_rate_add(&s.rate, now, len);
        s.received++;
        s.last_ns = now;
    }
    if (scope_events_msg_admit()) {
        char sum[80];
        summarize(sum, sizeof sum, data, len);
        scope_events_msg_emit_admitted("recv", s.chan, client_peer(), SCOPE_PID(s.me), id, len, sum,
                                       rtt);
    }
    if (rtt) {
        s.outstanding = 0;
        uv_timer_stop(&s.wait_timer);
        client_next();
    } else if (ours && id) {
        s.late++;
        scope_events_log("a late answer to #%llu: already counted lost", (unsigned long long)id);
    } else {
        scope_events_error("refused", "a %zu-byte datagram that is not an answer to us: ignored",
                           len);
    }
}

static void on_client_stats(uv_timer_t *t)
{
    (void)t;
    scope_events_stats(s.chan, &s.rtt, &s.rate, scope_time_now_ns());
}

static void client_closed(uv_handle_t *h)
{
    (void)h;
}

static void client_done(void)
{
    if (s.client_done)
        return;
    s.client_done = 1;
    uv_timer_stop(&s.wait_timer);
    scope_pacer_close(&s.pacer);
    if (s.outstanding) { /* cut short while one was on its way */
        s.outstanding = 0;
    }
    scope_events_stats(s.chan, &s.rtt, &s.rate, scope_time_now_ns());
    scope_hist_summary_t sum;
    scope_hist_summarize(&s.rtt, &sum);
    if (s.throughput)
        scope_events_log("%lld datagrams (%llu bytes) handed to the kernel; whether they arrived, "
                         "only the receiver can say",
                         (long long)s.sent, (unsigned long long)s.bytes_sent);
    else {
        char p50[32], p99[32];
        scope_events_log("%lld sent, %lld answered, %lld lost, %lld late; round trip median %s, "
                         "p99 %s",
                         (long long)s.sent, (long long)s.received, (long long)s.lost,
                         (long long)s.late, scope_time_format(p50, sizeof p50, (double)sum.p50),
                         scope_time_format(p99, sizeof p99, (double)sum.p99));
    }
    rec_final_t *f = calloc(1, sizeof *f);
    if (f) {
        f->h = (rec_head_t){REC_FINAL, sizeof *f};
        f->sent = s.sent;
        f->received = s.received;
        f->lost = s.lost;
        f->late = s.late;
        f->errors = s.errors;
        f->refused = s.refused_by_peer;
        f->first_ns = s.first_ns;
        f->last_ns = s.last_ns;
        f->bytes_sent = s.bytes_sent;
        f->rtt = s.rtt;
        write_record(f, sizeof *f);
        free(f);
    }
    if (!s.as_client) { /* alone: this process says goodbye */
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "server", s.peer_name);
        cJSON_AddNumberToObject(o, "sent", (double)s.sent);
        cJSON_AddNumberToObject(o, "received", (double)s.received);
        cJSON_AddNumberToObject(o, "round_trips", (double)sum.count);
        cJSON_AddNumberToObject(o, "p50", (double)sum.p50);
        cJSON_AddNumberToObject(o, "p99", (double)sum.p99);
        cJSON_AddNumberToObject(o, "lost", (double)s.lost);
        cJSON_AddNumberToObject(o, "late", (double)s.late);
        cJSON_AddNumberToObject(o, "send_errors", (double)s.errors);
        cJSON_AddNumberToObject(o, "refused", (double)s.refused_by_peer);
        char text[256], p50[32];
        snprintf(text, sizeof text,
                 "%lld datagrams sent to %s, %lld answered, %lld lost (median round trip %s)",
                 (long long)s.sent, s.peer_name, (long long)s.received, (long long)s.lost,
                 scope_time_format(p50, sizeof p50, (double)sum.p50));
        scope_events_bye(o, text);
    }
    uv_timer_stop(&s.stats_timer);
    close_handle((uv_handle_t *)&s.stats_timer);
    close_handle((uv_handle_t *)&s.wait_timer);
    if (s.stream_idle.loop)
        close_handle((uv_handle_t *)&s.stream_idle);
    uv_close((uv_handle_t *)&s.sock, client_closed);
    scope_demo_stop(&s.demo);
}

/* ---- streaming (--throughput) ---- */

static void on_stream_idle(uv_idle_t *h);

static void on_stream_queued(uv_udp_send_t *req, int status)
{
    free(req);
    if (status < 0)
        s.errors++;
    s.stream_queued = 0;
    if (s.client_done)
        return;
    if ((uint64_t)s.sent >= s.stream_dgrams)
        client_done();
    else
        uv_idle_start(&s.stream_idle, on_stream_idle);
}

static void on_stream_idle(uv_idle_t *h)
{
    size_t len = s.demo.size < UDP4_MAX ? s.demo.size : UDP4_MAX;
    for (int i = 0; i < 256 && (uint64_t)s.sent < s.stream_dgrams; i++) {
        if (s.demo.quitting)
            break;
        uv_buf_t b = uv_buf_init(s.out, (unsigned)len);
        int r = uv_udp_try_send(&s.sock, &b, 1, NULL);
        if (r == UV_EAGAIN || r == UV_ENOBUFS) {
            /* The send buffer is full: wait for room with a queued send. */
            uv_udp_send_t *req = malloc(sizeof *req);
            if (req && uv_udp_send(req, &s.sock, &b, 1, NULL, on_stream_queued) == 0) {
                s.sent++;
                s.bytes_sent += len;
                s.stream_queued = 1;
                uv_idle_stop(h);
                return;
            }
            free(req);
            s.errors++;
            break;
        }
        if (r < 0) {
            s.errors++;
            scope_events_error("send", "sendmsg(fd %d) of %zu bytes: %s", s.sock_fd, len,
                               uv_strerror(r));
            s.sent = (int64_t)s.stream_dgrams; /* it will not get better */
            break;
        }
        s.sent++;
        s.bytes_sent += len;
        if (!s.first_ns)
            s.first_ns = scope_time_now_ns();
        scope_events_msg("send", s.chan, SCOPE_PID(s.me), client_peer(), (uint64_t)s.sent, len,
                         "stream", 0);
    }
    if ((uint64_t)s.sent >= s.stream_dgrams || s.demo.quitting) {
        uv_idle_stop(h);
        client_done();
    }
}

static void client_quit(scope_demo_t *d)
{
    (void)d;
    client_done();
}

static void client_start(scope_demo_t *d)
{
    if (s.gated) {
        scope_events_log("waiting for the server's go: the lesson comes first");
        return;
    }
    uv_timer_start(&s.stats_timer, on_client_stats, 500, 500);
    if (s.throughput) {
        size_t len = s.demo.size < UDP4_MAX ? s.demo.size : UDP4_MAX;
        s.stream_dgrams = (s.throughput + len - 1) / len;
        s.out = malloc(len + 64);
        if (!s.out) {
            client_done();
            return;
        }
        s.out_cap = len;
        memset(s.out, '.', len);
        memcpy(s.out, "stream", len < 6 ? len : 6);
        uv_idle_init(s.loop, &s.stream_idle);
        uv_idle_start(&s.stream_idle, on_stream_idle);
        return;
    }
    (void)d;
    client_next();
}

static int run_client(void)
{
    scope_demo_t *d = &s.demo;
    s.loop = uv_default_loop();
    d->on_quit = client_quit;
    struct sockaddr_storage to;
    int r = scope_addr_parse(s.connect_spec, "127.0.0.1", 41234, &to);
    if (r < 0) {
        fprintf(stderr, "udp: --connect wants HOST:PORT, not '%s'\n", s.connect_spec);
        return 2;
    }
    memcpy(&s.peer_addr, &to, sizeof to);
    scope_addr_format((struct sockaddr *)&to, s.peer_name, sizeof s.peer_name);
    if (s.as_client) {
        snprintf(s.chan, sizeof s.chan, "udp%d", s.client_index);
        s.server_pid = getppid();
    } else {
        snprintf(s.chan, sizeof s.chan, "udp");
        d->params = cJSON_CreateObject();
        cJSON_AddStringToObject(d->params, "mode", "client");
        cJSON_AddStringToObject(d->params, "connect", s.peer_name);
        cJSON_AddNumberToObject(d->params, "timeout_ms", (double)s.timeout_ms);
    }
    if (s.start_paused)
        d->paused = 1;
    char rolename[32];
    snprintf(rolename, sizeof rolename, "client %d", s.client_index);
    r = scope_demo_start(d, s.loop, s.as_client ? rolename : "client", !s.as_client);
    if (r < 0) {
        fprintf(stderr, "udp: cannot start: %s\n", strerror(-r));
        return 1;
    }
    scope_hist_reset(&s.rtt);
    scope_rate_init(&s.rate, 0);
    scope_pacer_init(d, &s.pacer);
    uv_timer_init(s.loop, &s.wait_timer);
    uv_timer_init(s.loop, &s.stats_timer);
    uv_udp_init_ex(s.loop, &s.sock, to.ss_family);
    r = uv_udp_connect(&s.sock, (struct sockaddr *)&to);
    if (r < 0) {
        scope_events_error("connect", "connect(%s): %s", s.peer_name, uv_strerror(r));
        s.client_done = 1;
        close_handle((uv_handle_t *)&s.sock);
        close_handle((uv_handle_t *)&s.wait_timer);
        close_handle((uv_handle_t *)&s.stats_timer);
        scope_demo_stop(d);
        scope_demo_run(d);
        uv_loop_close(s.loop);
        return 1;
    }
    uv_fileno((uv_handle_t *)&s.sock, &s.sock_fd);
    struct sockaddr_storage me;
    int mlen = sizeof me;
    uv_udp_getsockname(&s.sock, (struct sockaddr *)&me, &mlen);
    char mine[SCOPE_ADDR_STRLEN];
    scope_addr_format((struct sockaddr *)&me, mine, sizeof mine);
    report_port(scope_addr_port((struct sockaddr *)&me));
    scope_events_log("socket(SOCK_DGRAM) -> fd %d; connect(%s): no packet sent, the kernel "
                     "picked our address %s and will pass us only datagrams from the server",
                     s.sock_fd, s.peer_name, mine);
    if (!s.as_client && !scope_addr_is_loopback((struct sockaddr *)&to))
        scope_events_log("%s is across the network: datagrams may be lost or reordered on the "
                         "way, and nothing will tell us but silence",
                         s.peer_name);
    uv_udp_recv_start(&s.sock, on_alloc, on_client_recv);
    scope_events_proc("ready", getpid(), getppid(), s.as_client ? rolename : "client", 0, 0);
    if (s.as_client)
        client_start(d);
    else
        scope_demo_step(d, "the seeds' client: send, wait for the answer, time it", client_start);
    scope_demo_run(d);
    uv_run(s.loop, UV_RUN_NOWAIT);
    free(s.out);
    uv_loop_close(s.loop);
    return s.as_client ? 0 : (s.received == s.sent && s.sent == d->count ? 0 : 1);
}

/* ==== the probe: the lesson's sender ====================================== */

static void probe_done(const char *part, int64_t n)
{
    report_sent(REC_DONE, part, n);
    s.probe_busy = 0;
}

static void probe_send(const struct sockaddr *to, size_t len, const char *fill, uint64_t id,
                       const char *summary, int *err)
{
    static char big[UDP4_MAX + 16];
    size_t fl = strlen(fill);
    memset(big, '.', len);
    memcpy(big, fill, fl < len ? fl : len);
    /* In narration, a flood's first datagram stands for its burst. */
    if (strcmp(summary, "flood") != 0 || scope_events_format() != SCOPE_EVENTS_TEXT ||
        id % (FLOOD_DGRAMS / FLOOD_BURSTS) == 1)
        scope_events_msg("send", "probe", SCOPE_PID(s.me), SCOPE_PID(s.server_pid), id, len,
                         summary, 0);
    int r = udp_send(&s.sock, big, len, to);
    if (err)
        *err = r < 0 ? r : 0;
}

static void on_flood_burst(uv_timer_t *t)
{
    const struct sockaddr *to = (struct sockaddr *)&s.peer_addr;
    int per = FLOOD_DGRAMS / FLOOD_BURSTS;
    char fill[32];
    for (int i = 0; i < per; i++) {
        int err = 0;
        snprintf(fill, sizeof fill, "flood #%lld ", (long long)s.flood_sent + 1);
        probe_send(to, FLOOD_SIZE, fill, (uint64_t)s.flood_sent + 1, "flood", &err);
        if (err == 0)
            s.flood_sent++;
    }
    s.flood_burst++;
    report_sent(REC_SENT, "flood", s.flood_sent);
    scope_events_log("burst %d of %d: %lld datagrams sent so far, every sendmsg() returned "
                     "success",
                     s.flood_burst, FLOOD_BURSTS, (long long)s.flood_sent);
    if (s.flood_burst < FLOOD_BURSTS) {
        uv_timer_start(t, on_flood_burst, FLOOD_GAP_MS, 0);
        return;
    }
    probe_done("flood", s.flood_sent);
}

static void on_bad_wait(uv_timer_t *t)
{
    (void)t;
    scope_events_error("probe", "no answer to the empty datagram within %d ms", STEP_WAIT_MS / 2);
    probe_done("bad", 0);
}

static void probe_bad(const char *kind)
{
    const struct sockaddr *echo = (struct sockaddr *)&s.probe_echo;
    int all = strcmp(kind, "bad") == 0;
    if (all || strcmp(kind, "oversize") == 0) {
        size_t n = s.max_message + 1;
        probe_send(echo, n, "oversize ", 0, "oversize", NULL);
    }
    if (all || strcmp(kind, "malformed") == 0) {
        static const char junk[] = "\xff\xfe not UTF-8 \xc0\xaf";
        scope_events_msg("send", "probe", SCOPE_PID(s.me), SCOPE_PID(s.server_pid), 0,
                         sizeof junk - 1, "bytes ff fe ...: not UTF-8", 0);
        udp_send(&s.sock, junk, sizeof junk - 1, echo);
    }
    if (all || strcmp(kind, "empty") == 0) {
        scope_events_msg("send", "probe", SCOPE_PID(s.me), SCOPE_PID(s.server_pid), 0, 0, "(empty)",
                         0);
        udp_send(&s.sock, "", 0, echo);
        if (all) {
            s.probe_replies_expected = 1;
            s.probe_replies = 0;
            uv_timer_start(&s.probe_timer, on_bad_wait, STEP_WAIT_MS / 2, 0);
            return;
        }
    }
    if (all)
        probe_done("bad", 0);
}

static void probe_run(const char *cmd)
{
    const struct sockaddr *lesson = (struct sockaddr *)&s.peer_addr;
    if (strcmp(cmd, "boundaries") == 0) {
        for (int i = 0; i < 3; i++) {
            char fill[32], sum[48];
            snprintf(fill, sizeof fill, "datagram %d of 3 ", i + 1);
            snprintf(sum, sizeof sum, "datagram %d of 3, %d bytes", i + 1, boundary_sizes[i]);
            probe_send(lesson, (size_t)boundary_sizes[i], fill, (uint64_t)i + 1, sum, NULL);
        }
        scope_events_log("three sendmsg() calls of %d, %d and %d bytes", boundary_sizes[0],
                         boundary_sizes[1], boundary_sizes[2]);
        probe_done("boundaries", 3);
    } else if (strcmp(cmd, "maxsize") == 0) {
        int err = 0;
        probe_send(lesson, UDP4_MAX, "65507 bytes ", 0, "65,507 bytes", &err);
        if (err)
            scope_events_error("send", "sendmsg() of 65,507 bytes: %s", uv_strerror(err));
        else
            scope_events_log("sendmsg(fd %d, 65,507 bytes) -> 65,507: it fits", s.sock_fd);
        size_t n = UDP4_MAX + 1;
        static char big[UDP4_MAX + 1];
        memset(big, '.', n);
        uv_buf_t b = uv_buf_init(big, (unsigned)n);
        int r = uv_udp_try_send(&s.sock, &b, 1, lesson);
        if (r == UV_EMSGSIZE)
            scope_events_error("EMSGSIZE",
                               "sendmsg(fd %d, 65,508 bytes) -> EMSGSIZE (Message "
                               "too long): one byte over what an IPv4 datagram can carry; "
                               "nothing was sent, and node's send() callback gets the same error",
                               s.sock_fd);
        else
            scope_events_error("send", "sendmsg() of 65,508 bytes returned %s, not EMSGSIZE",
                               r < 0 ? uv_strerror(r) : "success");
        probe_done("maxsize", r == UV_EMSGSIZE);
    } else if (strcmp(cmd, "flood") == 0) {
        s.flood_sent = 0;
        s.flood_burst = 0;
        on_flood_burst(&s.probe_timer);
    } else if (!strcmp(cmd, "bad") || !strcmp(cmd, "oversize") || !strcmp(cmd, "malformed") ||
               !strcmp(cmd, "empty")) {
        probe_bad(cmd);
    } else {
        scope_events_error("probe", "unknown command '%s'", cmd);
    }
}

static void on_probe_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                          const struct sockaddr *from, unsigned flags)
{
    (void)h;
    (void)flags;
    if (no_datagram(nread, from))
        return;
    if (nread < 0) {
        scope_events_error("recv", "recvmsg(fd %d): %s", s.sock_fd, uv_strerror((int)nread));
        return;
    }
    char sum[80];
    summarize(sum, sizeof sum, buf->base, (size_t)nread);
    scope_events_msg("recv", "probe", SCOPE_PID(s.server_pid), SCOPE_PID(s.me), 0, (size_t)nread,
                     sum, 0);
    if (!same_addr(&s.probe_echo, from))
        return; /* only the server gives orders */
    if (nread > 6 && memcmp(buf->base, "probe:", 6) == 0) {
        char cmd[32];
        snprintf(cmd, sizeof cmd, "%.*s", (int)(nread - 6), buf->base + 6);
        probe_run(cmd);
    } else if (nread >= (ssize_t)GREETING_LEN && memcmp(buf->base, GREETING, GREETING_LEN) == 0 &&
               s.probe_replies_expected) {
        s.probe_replies++;
        scope_events_log("one answer, to the empty datagram (%zd bytes: the greeting alone); the "
                         "oversize and the non-UTF-8 ones got none",
                         nread);
        s.probe_replies_expected = 0;
        uv_timer_stop(&s.probe_timer);
        probe_done("bad", 1);
    }
}

static void probe_quit(scope_demo_t *d)
{
    uv_timer_stop(&s.probe_timer);
    close_handle((uv_handle_t *)&s.probe_timer);
    close_handle((uv_handle_t *)&s.sock);
    scope_demo_stop(d);
}

static int run_probe(void)
{
    scope_demo_t *d = &s.demo;
    s.loop = uv_default_loop();
    d->on_quit = probe_quit;
    if (scope_addr_parse(s.probe_spec, "127.0.0.1", 0, &s.probe_echo) < 0 ||
        scope_addr_parse(s.connect_spec, "127.0.0.1", 0, &s.peer_addr) < 0) {
        fprintf(stderr, "udp: --as-probe ECHO --connect LESSON, both HOST:PORT\n");
        return 2;
    }
    s.server_pid = getppid();
    int r = scope_demo_start(d, s.loop, "probe", 0);
    if (r < 0)
        return 1;
    uv_timer_init(s.loop, &s.probe_timer);
    struct sockaddr_in lo;
    uv_ip4_addr("127.0.0.1", 0, &lo);
    uv_udp_init(s.loop, &s.sock);
    if ((r = uv_udp_bind(&s.sock, (struct sockaddr *)&lo, 0)) < 0) {
        scope_events_error("bind", "bind(127.0.0.1:0): %s", uv_strerror(r));
        probe_quit(d);
        scope_demo_run(d);
        return 1;
    }
    uv_fileno((uv_handle_t *)&s.sock, &s.sock_fd);
    struct sockaddr_storage me;
    int mlen = sizeof me;
    uv_udp_getsockname(&s.sock, (struct sockaddr *)&me, &mlen);
    report_port(scope_addr_port((struct sockaddr *)&me));
    uv_udp_recv_start(&s.sock, on_alloc, on_probe_recv);
    scope_events_proc("ready", getpid(), getppid(), "probe", 0, 0);
    scope_demo_run(d);
    uv_run(s.loop, UV_RUN_NOWAIT);
    uv_loop_close(s.loop);
    return 0;
}

int main(int argc, char **argv)
{
    s.demo.on_option = on_option;
    s.me = getpid();
    int r = scope_demo_parse(&s.demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&s.demo, r, stdout, stderr);
    if (s.listen_given && s.connect_given && !s.as_client && !s.as_probe) {
        fprintf(stderr, "udp: --listen runs only the server and --connect only a client: "
                        "give one\n");
        return 2;
    }
    if (s.throughput && !s.as_client && (s.listen_given || s.connect_given)) {
        fprintf(stderr, "udp: --throughput runs its own server and client: drop --listen and "
                        "--connect\n");
        return 2;
    }
    if (s.as_probe)
        return run_probe();
    if (s.as_client || s.connect_given)
        return run_client();
    return run_server();
}
