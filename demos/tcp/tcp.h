/* tcp.h: what the modules of the tcp demo share.
 *
 * The demo is one program that plays every side of a TCP chat (main.c opens
 * with the numbered story). Its modules, each readable on its own:
 *
 *   main.c        the protocol comment, the options, main(), and the server's
 *                 run step by step: listen, the clients, the lab, the summary
 *   shared.c      what both sides use: a message as the flow shows it,
 *                 TCP_NODELAY, and who is at the other end (/proc/net/tcp)
 *   client.c      one chat client: its session (a ping-pong of lines), the
 *                 dashboard commands the server relays to it, run_client()
 *   server.c      the server: its connections, echo and broadcast, the
 *                 children it spawns and the commands it relays to them
 *   lab.c         the lab, both ends: what a byte stream does to messages,
 *                 length-prefixed frames, Nagle and TCP_NODELAY
 *   throughput.c  --throughput, both ends: a client that streams bytes, a
 *                 server-side sink that counts them
 *   fault.c       the bad client (--fault, the dashboard's fault key): an
 *                 oversize line, a silent peer, a peer gone mid-line
 *
 * Three pieces of state are shared: `tcp` (main.c), the run's lib/demo handle,
 * its options and its exit code; `cli` (client.c), a client process's; and
 * `srv` (server.c), the server's. Whatever one module alone uses stays static
 * in it.
 */
#ifndef IPCSCOPE_DEMO_TCP_H
#define IPCSCOPE_DEMO_TCP_H

#include <stdint.h>
#include <sys/socket.h>

#include "demo.h"
#include "events.h"
#include "framing.h"
#include "net.h"
#include "spawn.h"
#include "timing.h"

#define MAX_CLIENTS    8
#define MAX_BAD        4   /* bad clients one run may add on command */
#define MAX_KIDS       (MAX_CLIENTS + 1 + MAX_BAD) /* the clients, the lab, the bad */
#define LAB_A1         "first message"
#define LAB_A2         "second message"
#define LAB_BIG        (256u * 1024u)
#define NAGLE_ROUNDS   20
#define TPUT_CHUNK     (64u * 1024u)
#define ECHO_PREFIX    "Server echo: "
#define BCAST_PREFIX   "Broadcast: "
#define ERROR_PREFIX   "Server error: "

/* ==== main.c: the run and its options ===================================== */

/* The run: lib/demo's handle, the options as parsed, and the exit code. */
typedef struct {
    scope_demo_t demo;
    /* options */
    int clients, nodelay, split, lab, as_client, as_lab, client_id, relay_fd;
    size_t max_message;
    uint64_t idle_ms, throughput;
    const char *listen_spec, *connect_spec;
    const char *fault; /* this client misbehaves so (fault.c), or NULL */
    int exit_code;
} tcp_demo_t;

extern tcp_demo_t tcp;
extern long self_pid;

/* The server's next move, once what the current step waits for is over. */
void advance(void);

/* ==== shared.c ============================================================ */

void summarize(const char *data, size_t len, char *out, size_t outlen);
int sock_nodelay(int fd);
unsigned long socket_inode(const struct sockaddr *local, const struct sockaddr *remote);
long socket_owner(unsigned long inode, const long *cand, int ncand, int scan_all);
void proc_comm(long pid, char *out, size_t n);

/* ==== client.c: the client ================================================ */

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

/* A client process: the server it dials, its chat session, its pace. */
typedef struct {
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
} client_t;

extern client_t cli;

scope_end_t me(void);
int session_start(session_t *ss, long count, int nodelay, int split, int say_bye,
                  void (*on_done)(session_t *));
void client_wind_down(void);
void session_next(session_t *ss);
int run_client(void);

/* ==== server.c: the server ================================================ */

typedef enum {
    ROLE_CHAT,      /* a chat client: echo, broadcast */
    ROLE_LAB_CTRL,  /* the lab's first connection: raw writes, then "go" lines */
    ROLE_LAB_FRAMED, /* the lab's length-prefixed connection */
    ROLE_LAB_NAGLE, /* the lab's write-write-read connections: echo only */
} conn_role_t;

typedef struct conn_s conn_t;
struct conn_s {
    scope_conn_t c;
    conn_t *next;
    conn_role_t role;
    int port, ours, bad, fd;
    long pid;
    char chan[32], addr[SCOPE_ADDR_STRLEN], name[64], who[112];
    char says[24]; /* "PORT says: ", what the others see before its lines */
    uint64_t lines_in, lines_out;
};

typedef enum { PH_START, PH_CHAT, PH_LAB, PH_SERVE, PH_TPUT, PH_DONE } phase_t;

/* The server: its listener, its connections, its children and its figures. */
typedef struct {
    uv_tcp_t listener;
    int listening, listen_fd, port;
    struct sockaddr_storage addr, dial;
    char addr_str[SCOPE_ADDR_STRLEN], dial_str[SCOPE_ADDR_STRLEN];
    phase_t phase;
    conn_t *conns;
    int nconns;
    /* children: the chat clients, then the lab client, and bad clients
     * (kid_fault[i] names how one misbehaves) whenever they are asked for */
    scope_child_t kids[MAX_KIDS];
    int relay[MAX_KIDS];
    const char *kid_fault[MAX_KIDS];
    int nkids, running, step_rr, kid_failed, nbad;
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
} server_t;

extern server_t srv;
extern char *reply_buf; /* reply()'s buffer, freed at the end of the run */

scope_end_t server_end(void);
void trace_send(conn_t *k, const char *data, size_t len, size_t wire);
void on_connection(uv_stream_t *server, int status);
int spawn_kid(char *what, char *const *extra);
int spawn_bad_kid(const char *kind);
void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg);

/* ==== lab.c: the lab, both ends =========================================== */

void lab_start(void);
void lab_quit(void);
void lab_send_a(conn_t *k);
void lab_send_framed(conn_t *k);
void lab_done(conn_t *k, const char *line, size_t len);

/* ==== fault.c: the bad client ============================================ */

/* The canonical name of a fault kind (oversize, silent, vanish), or NULL. */
const char *fault_kind(const char *name);
/* Called once the bad client is connected: it misbehaves as tcp.fault says. */
void fault_act(session_t *ss);
/* The vanishing client's end, once its ordinary line is answered: half a
 * line, then _exit(). */
void fault_vanish(session_t *ss);

/* ==== throughput.c: --throughput, both ends =============================== */

void tput_start(void);
void tput_close(void);
void sink_accept(void);
void sink_closed(uv_handle_t *h);

#endif
