/* udp.h: what the modules of the udp demo share.
 *
 * One program plays three parts: the server process (the echo socket, the
 * lesson's receiver and the children it starts), a client (--as-client, or
 * --connect alone) and the lesson's sender (--as-probe). Its modules:
 *
 *   main.c     the numbered protocol comment, the options, the state's
 *              definitions, main(): which part this process plays.
 *   helpers.c  small helpers every part uses: UTF-8 check, a datagram's id
 *              and summary, sending, receive buffers, the report pipe's
 *              records, /proc/net/udp, addresses.
 *   server.c   the server process: its table of peers, the echo, the end of
 *              the run (the summary), the dashboard's commands, run_server().
 *   kids.c     the server's children: starting a client or the probe, the
 *              records they write to their pipe, their exit, "go" and the
 *              probe's orders.
 *   lesson.c   the lesson's steps on the server's side: bind, boundaries,
 *              the largest datagram, loss, bad input, the echo, throughput.
 *   client.c   a client: send, wait, time the answer; streaming for
 *              --throughput; run_client().
 *   probe.c    the probe: the datagrams each lesson step needs; run_probe().
 *
 * The state is three objects, one per owner: udp (every process: the demo,
 * the loop, the options, the receive buffer), srv (the server process) and
 * cli (a client's socket and figures, which the probe uses too for its own
 * socket). They are defined in main.c.
 */
#ifndef UDP_DEMO_H
#define UDP_DEMO_H

#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "demo.h"
#include "events.h"
#include "net.h"
#include "spawn.h"
#include "timing.h"

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

/* The boundaries step's three sends, in bytes (lesson.c). */
extern const int boundary_sizes[3];

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
    int go_pending;
    char chan[16];
} kid_t;

enum { MODE_LESSON, MODE_SERVER, MODE_THROUGHPUT };
enum { LESSON_IDLE, LESSON_BOUNDARIES, LESSON_MAXSIZE, LESSON_LOSS, LESSON_BAD };

/* Every process: the demo, the loop, the options and the receive buffer. */
typedef struct {
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

    int read_one;
    pid_t me; /* getpid() is a system call: asked once */
    char *batch;
    char rbuf[RECV_BUF + 1];
} udp_common_t;

/* ---- the server process ---- */
typedef struct {
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
    int sizes_seen[8], nsizes;
    int boundaries_ok, maxsize_got, emsgsize_seen;
    /* loss */
    int64_t loss_sent, loss_sent_final, loss_received;
    uint64_t loss_bytes, loss_base_drops, loss_kernel_drops, loss_ovfl;
    int loss_have_ovfl, loss_marker_sent, loss_marker_got, loss_ticks, loss_settled;
    uv_timer_t loss_timer;
    /* throughput sink */
    uint64_t sink_dgrams, sink_bytes, sink_first_ns, sink_last_ns;
    int sink_ticks;
    uint64_t sink_seen_at_tick;
} udp_server_t;

/* ---- a client process (--as-client, or --connect alone) ---- */
typedef struct {
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

    /* ---- the probe (it sends on sock, to peer_addr, like a client) ---- */
    struct sockaddr_storage probe_echo;
    int64_t flood_sent;
    int flood_burst;
    uv_timer_t probe_timer;
    int probe_replies_expected, probe_replies;
} udp_client_t;

extern udp_common_t udp;
extern udp_server_t srv;
extern udp_client_t cli;

/* ==== helpers.c ========================================================== */

long utf8_bad_at(const unsigned char *p, size_t n);
uint64_t parse_id(const char *data, size_t len);
void summarize(char *out, size_t outlen, const char *data, size_t len);
int udp_send(uv_udp_t *h, const void *data, size_t len, const struct sockaddr *to);
void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
void on_alloc_batch(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
int no_datagram(ssize_t nread, const struct sockaddr *from);
void write_record(const void *rec, size_t len);
void report_port(int port);
void report_sent(uint32_t tag, const char *part, int64_t sent);
int udp_proc_stats(int fd, unsigned long *rx_queue, unsigned long *drops);
int self_path(void);
int same_addr(const struct sockaddr_storage *a, const struct sockaddr *b);
void close_handle(uv_handle_t *h);

/* ==== server.c =========================================================== */

scope_end_t server_end(void);
void peer_forget(peer_t *p, const char *why);
void server_maybe_finish(void);
int run_server(void);

/* ==== kids.c ============================================================= */

void kid_read_reports(kid_t *k);
kid_t *spawn_kid(int probe, int index);
void kid_go(kid_t *k);
kid_t *probe_kid(void);
void on_poll_closed(uv_handle_t *h);
void probe_command(const char *cmd);

/* ==== lesson.c =========================================================== */

void step_bind(scope_demo_t *d);
void lesson_on_done(const char *part, int64_t sent);
void loss_stats(int final);
void sink_datagram(size_t len);

/* ==== client.c and probe.c =============================================== */

int run_client(void);
int run_probe(void);

#endif
