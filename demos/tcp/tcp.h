/* tcp.h: what each file of the tcp demo offers main.c, the only caller.
 *
 *   tcp.c         the chat: the server (listen, accept, echo, broadcast) and
 *                 one client (connect, its lines, socket.end())
 *   lab.c         the lab: a byte stream and message boundaries, length-
 *                 prefixed frames, Nagle and TCP_NODELAY (lab_client.c: the
 *                 other end)
 *   throughput.c  --throughput, both ends: a client that streams, a sink
 *   fault.c       the bad clients: oversize, silent, vanish
 *   main.c        the options and the order of the steps
 *
 * Each file keeps its own state; the structs below are handed in by main.c
 * and reached from libuv's handles, never shared as globals.
 */
#ifndef IPCSCOPE_DEMO_TCP_H
#define IPCSCOPE_DEMO_TCP_H

#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "demo.h"
#include "net.h"
#include "trace.h"

/* ---- tcp.c: the chat server ------------------------------------------------ */

typedef struct chat_server_s chat_server_t;
/* One accepted client, as the server keeps it. */
typedef struct chat_conn_s chat_conn_t;
struct chat_conn_s {
    scope_conn_t c;
    chat_server_t *server;
    chat_conn_t *next;
    scope_trace_t trace;
    uint64_t heard; /* uv_now() of its last line, for the idle limit */
    int fd, port, gone;
    char who[SCOPE_ADDR_STRLEN];
};
struct chat_server_s {
    /* set by the caller */
    scope_demo_t *demo;
    size_t max_message;
    uint64_t idle_ms; /* 0: never cut a silent peer */
    int nodelay;
    /* the server's guard against bad peers (fault.c), may be NULL: a line
     * over max_message, and a peer's end (EOF, a reset) */
    scope_conn_error_cb on_too_long;
    scope_conn_end_cb on_end;
    /* figures */
    uint64_t accepted, lines_in, broadcasts, refused, partial, timed_out; /* an echo a line */
    uv_os_fd_t fd;
    /* tcp.c's own */
    uv_tcp_t listener;
    chat_conn_t *conns;
    int listening;
};
/* Binds and listens on addr (port 0: the kernel picks). 0 or a negative errno. */
int chat_listen(chat_server_t *s, uv_loop_t *loop, const struct sockaddr *addr);
/* Closes the listener and hangs up on everyone. */
void chat_close(chat_server_t *s);
/* One line to one peer, in one write(): prefix, line, "\n". */
void chat_say(chat_conn_t *to, const char *prefix, const char *line, size_t len);

/* ---- tcp.c: a chat client ---------------------------------------------------- */

typedef struct chat_client_s chat_client_t;
struct chat_client_s {
    /* set by the caller */
    scope_demo_t *demo;
    const char *who;   /* "client 2" */
    scope_end_t server;
    int nodelay, split;
    void (*on_done)(chat_client_t *cl); /* the connection is closed: figures final */
    /* figures */
    long sent, echoes, broadcasts;
    int failed;
    scope_trace_t trace;
    /* tcp.c's own */
    scope_conn_t c;
    uv_connect_t req;
    uv_shutdown_t end_req;
    scope_pacer_t pacer;
    uint64_t sent_at[16]; /* send times of lines not yet answered, oldest first */
    unsigned first, waiting;
};
/* Connects to server, sends demo->count lines, ends. 0 or a negative errno. */
int chat_connect(chat_client_t *cl, const struct sockaddr *server);

/* ---- lab.c (the server's side) and lab_client.c ------------------------------------ */

#define LAB_A1  "first message"  /* (a): two short writes */
#define LAB_A2  "second message"
#define LAB_BIG (256u * 1024u)   /* (b): one big write */

typedef struct {
    int complete;
    uint64_t two_writes_reads, big_reads, framed_reads, nagle_p50, nodelay_p50;
} lab_figures_t;
/* The server's side: a listener of its own on host, the lab client started
 * as a role, steps (a) to (d); done gets the figures at the end. */
int lab_serve(scope_demo_t *d, const struct sockaddr *host, int nodelay,
              void (*done)(const lab_figures_t *f));
void lab_stop(void);
/* The lab client's process (lab_client.c). */
int lab_client(scope_demo_t *d, const struct sockaddr *server);

/* ---- throughput.c ------------------------------------------------------------ */

typedef struct {
    uint64_t bytes, reads, first_ns, last_ns;
} tput_figures_t;
int tput_serve(scope_demo_t *d, const struct sockaddr *host, uint64_t bytes, int nodelay,
               void (*done)(const tput_figures_t *f));
void tput_stop(void);
int tput_client(scope_demo_t *d, const struct sockaddr *server, uint64_t bytes, int nodelay);

/* ---- fault.c ----------------------------------------------------------------- */

/* The canonical name of a fault kind (oversize, silent, vanish), or NULL. */
const char *fault_kind(const char *name);
/* The server's guard: refuses an oversize line, names how a peer ended,
 * cuts a peer silent for s->idle_ms (the clock stops while paused). */
void fault_guard(chat_server_t *s);
/* A bad client's process: connects to server and misbehaves as kind says. */
int fault_client(scope_demo_t *d, const struct sockaddr *server, const char *kind,
                 size_t max_message);

#endif
