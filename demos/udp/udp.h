/* udp.h: what each file of the udp demo offers the files above it. Calls go
 * down: main.c, the lab steps, clients.c and throughput.c, probe.c, udp.c,
 * peers.c. Each file keeps its own state. */
#ifndef UDP_DEMO_H
#define UDP_DEMO_H

#include <stdio.h> /* the C library's headers every file of the demo uses */
#include <string.h>
#include <unistd.h>

#include "demo.h"
#include "addr.h"
#include "events.h"
#include "role.h"
#include "trace.h"

#define GREETING     "Hello, client! Received your message: "
#define GREETING_LEN (sizeof GREETING - 1) /* 38 */
#define UDP4_MAX     65507 /* 65535 - 20 (IPv4 header) - 8 (UDP header) */
#define MAX_CLIENTS  32
#define STEP_WAIT_MS 10000 /* bound on any lab step's wait */
#define PROBE_KINDS  "boundaries maxsize flood oversize malformed empty bad stream"

/* The settings main gives every step, as d->data. */
typedef struct {
    const char *listen, *connect, *probe, *to; /* the options as given */
    long long clients, timeout_ms, idle_ms, max_message, throughput;
    int lab;
    char server[SCOPE_ADDR_STRLEN]; /* HOST:PORT the echo server is bound to */
} udp_lab_t;

/* peers.c: the server's note of its peers; find gives the channel of the
 * peer at from (noted now if new; id: the ping's, or 0) and its name. */
void peers_start(uv_loop_t *loop, uint64_t idle_ms, int fd);
scope_trace_t *peers_find(const struct sockaddr *from, uint64_t id, const char **name);
scope_trace_t *peers_expect(const struct sockaddr *addr, const char *chan, long pid, int ours);
void peers_close(void);

/* udp.c: the mechanism. refuse says no to a datagram (with an error event). */
typedef struct {
    uv_udp_t sock;
    int fd;
    struct sockaddr_storage addr;
    int (*refuse)(const char *from, const char *data, size_t len, int cut);
    uint64_t received, answered, refused;
    char reply[GREETING_LEN + 64 * 1024];
} udp_server_t;
typedef struct udp_client_s {
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
    void (*on_done)(struct udp_client_s *c);
    int done;
    char out[UDP4_MAX + 64 + 1];
} udp_client_t;
void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf); /* one buffer for all */
int udp_server_bind(udp_server_t *s, uv_loop_t *loop, const struct sockaddr *addr, int flags);
void udp_server_start(udp_server_t *s, uint64_t idle_ms);
void udp_server_close(udp_server_t *s);
int udp_client_start(udp_client_t *c, scope_demo_t *d, const struct sockaddr *to, int fd,
                     const char *chan, scope_end_t server); /* fd: its parent's, or -1 */
void udp_client_stop(udp_client_t *c);

/* probe.c: a lab step's receiver, and the probe that sends. */
typedef struct udp_probe_s {
    void (*on_report)(struct udp_probe_s *p, const cJSON *figures); /* each may be NULL */
    void (*on_exit)(struct udp_probe_s *p); /* the probe sent all it had and is gone */
    scope_demo_t *demo;
    uv_udp_t sock; /* the receiver, at name, if bound */
    int fd, bound, over;
    char name[SCOPE_ADDR_STRLEN];
    struct sockaddr_storage from; /* the probe's socket */
    scope_role_t role;
    scope_trace_t trace;
    uv_timer_t timer;
    int64_t sent; /* what the probe says it sent */
} udp_probe_t;
void probe_bind(udp_probe_t *p, scope_demo_t *d);
int probe_spawn(udp_probe_t *p, scope_demo_t *d, const char *kind, const char *to);
void probe_end(udp_probe_t *p, cJSON *more);
int sender_main(scope_demo_t *d, const char *kind, const struct sockaddr *to);

/* The steps (scope_demo_lesson) and what main asks of them. */
void boundaries_run(scope_demo_t *d);
void maxsize_run(scope_demo_t *d);
void loss_run(scope_demo_t *d);
void badinput_init(scope_demo_t *d, udp_server_t *s);
void badinput_run(scope_demo_t *d);
void badinput_control(scope_demo_t *d, const char *cmd, const cJSON *msg); /* faults */
void clients_run(scope_demo_t *d);
int clients_quit(void); /* the number of clients told to stop */
int clients_figures(scope_demo_t *d, cJSON *bye, char *text, size_t len); /* 1: cut short */
int client_main(scope_demo_t *d, const struct sockaddr *to, long timeout_ms);
void throughput_run(scope_demo_t *d, udp_server_t *s);
void throughput_quit(void);

#endif
