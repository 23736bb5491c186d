/* udp.h: what each file of the udp demo offers the one above it.
 *
 *   udp.c         the mechanism: the article's echo server and its client
 *   peers.c       the server's note of its peers, by address
 *   clients.c     the seeds' echo with N client processes, and their figures
 *   boundaries.c  three sends arrive as three datagrams
 *   maxsize.c     65,507 bytes fit in one datagram; one more is EMSGSIZE
 *   loss.c        a stalled receiver with a small buffer: the kernel drops
 *   badinput.c    oversize, not UTF-8, empty; the dashboard's faults
 *   throughput.c  one client streams, the server counts what arrives
 *   main.c        the options and the order of the steps
 *
 * Each file keeps its own state; main.c calls the others, they call lib
 * (udp.c and clients.c call peers.c too).
 * The lesson's sender, "probe", is this program again (lib/role) with
 * --probe KIND --to HOST:PORT; each experiment holds both of its sides.
 */
#ifndef UDP_DEMO_H
#define UDP_DEMO_H

#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "demo.h"
#include "net.h"
#include "trace.h"

#define GREETING     "Hello, client! Received your message: "
#define GREETING_LEN (sizeof GREETING - 1) /* 38 */
#define UDP4_MAX     65507 /* 65535 - 20 (IPv4 header) - 8 (UDP header) */
#define MAX_PEERS    64
#define MAX_CLIENTS  32
#define STEP_WAIT_MS 5000 /* bound on any lesson step's wait */

/* ---- udp.c: the mechanism ---- */

/* Refuses a datagram (with an error event) or lets it be answered. */
typedef int (*udp_refuse_fn)(const char *from, const char *data, size_t len, int cut);

typedef struct {
    int used, ours; /* ours: one of the demo's clients, its channel is its own */
    struct sockaddr_storage addr;
    char name[SCOPE_ADDR_STRLEN];
    uint64_t last_ns;
    scope_trace_t trace;
} udp_peer_t;

/* peers.c: the server's note of who sent what (see there). */
typedef struct {
    udp_peer_t p[MAX_PEERS];
    uv_timer_t sweep;
    uint64_t idle_ms;
    int fd;
} udp_peers_t;
void peers_start(udp_peers_t *t, uv_loop_t *loop, uint64_t idle_ms, int fd);
udp_peer_t *peers_find(udp_peers_t *t, const struct sockaddr *from);
void peers_expect(udp_peers_t *t, const struct sockaddr *addr, const char *chan, long pid);
void peers_close(udp_peers_t *t);

typedef struct {
    uv_udp_t sock;
    int fd;
    struct sockaddr_storage addr;
    char name[SCOPE_ADDR_STRLEN];
    udp_refuse_fn refuse;
    uint64_t received, answered;
    udp_peers_t peers;
    char buf[64 * 1024], reply[GREETING_LEN + 64 * 1024];
} udp_server_t;

typedef struct udp_client_s udp_client_t;
typedef void (*udp_client_cb)(udp_client_t *c);

struct udp_client_s {
    scope_demo_t *demo;
    uv_udp_t sock;
    int fd;
    char server[SCOPE_ADDR_STRLEN];
    long timeout_ms;
    scope_trace_t trace; /* sent, and the round trips of the answers */
    scope_pacer_t pacer;
    uv_timer_t wait;
    uint64_t waiting, sent_ns; /* the id whose answer is awaited, and when it left */
    int64_t answered, lost, late, errors, refused;
    udp_client_cb on_done;
    int done;
    char buf[64 * 1024], out[UDP4_MAX + 64 + 1];
};

int udp_server_bind(udp_server_t *s, uv_loop_t *loop, const struct sockaddr *addr);
void udp_server_start(udp_server_t *s, uint64_t idle_ms);
void udp_server_close(udp_server_t *s);
/* fd: a socket made by the parent (a client of the demo), or -1. */
int udp_client_start(udp_client_t *c, scope_demo_t *d, const struct sockaddr *to, int fd,
                     const char *chan, scope_end_t server);
void udp_client_stop(udp_client_t *c);

/* ---- the experiments: each runs its step, then calls done ---- */

void boundaries_run(scope_demo_t *d, scope_demo_cb done);
int boundaries_probe(scope_demo_t *d, const struct sockaddr *to);
void boundaries_figures(cJSON *bye);

void maxsize_run(scope_demo_t *d, scope_demo_cb done);
int maxsize_probe(scope_demo_t *d, const struct sockaddr *to);
void maxsize_figures(cJSON *bye);

void loss_run(scope_demo_t *d, scope_demo_cb done);
int loss_probe(scope_demo_t *d, const struct sockaddr *to);
void loss_figures(cJSON *bye);

void badinput_init(size_t max_message, const char *echo);
int badinput_refuse(const char *from, const char *data, size_t len, int cut);
void badinput_run(scope_demo_t *d, scope_demo_cb done);
int badinput_fault(scope_demo_t *d, const char *kind); /* -EINVAL for an unknown kind */
int badinput_probe(scope_demo_t *d, const struct sockaddr *to, const char *kind,
                   size_t max_message);
void badinput_figures(cJSON *bye);

typedef struct {
    const char *server; /* HOST:PORT of the echo server */
    int clients;
    long timeout_ms;
    udp_peers_t *peers; /* the server's note, told each client's address */
} clients_options_t;
void clients_run(scope_demo_t *d, const clients_options_t *o, scope_demo_cb done);
int clients_quit(scope_demo_t *d); /* the number of clients told to stop */
int clients_cut_short(void);
void clients_figures(cJSON *bye, char *text, size_t len);
int client_role(scope_demo_t *d, const struct sockaddr *to, long timeout_ms);
int client_alone(scope_demo_t *d, const struct sockaddr *to, long timeout_ms);

int throughput_bind(uv_loop_t *loop, const struct sockaddr *addr, char *name, size_t namelen);
void throughput_run(scope_demo_t *d, uint64_t bytes);
void throughput_quit(scope_demo_t *d);
int throughput_stream(scope_demo_t *d, const struct sockaddr *to, uint64_t bytes);

#endif
