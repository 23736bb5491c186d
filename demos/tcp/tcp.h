/* tcp.h: what the files of the tcp demo offer main.c and each other: tcp.c
 * the chat server, client.c every client's connect() and a chat member,
 * stream.c and nagle.c the lab, throughput.c --throughput, fault.c the bad
 * clients. Each file keeps its own state and gives its figures to the bye.
 */
#ifndef IPCSCOPE_DEMO_TCP_H
#define IPCSCOPE_DEMO_TCP_H

/* What every file of the demo uses, as TLPI's tlpi_hdr.h does for its examples. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "conn.h"
#include "demo.h"
#include "peer.h"
#include "role.h"
#include "trace.h"

/* ---- tcp.c: the chat server ------------------------------------------------- */
typedef struct chat_conn_s chat_conn_t; /* one accepted client (tcp.c) */
typedef struct { uint64_t accepted, lines_in, broadcasts; } chat_figures_t; /* echoes: lines_in */
typedef struct {
    scope_demo_t *demo; /* the caller sets these five */
    size_t max_message;
    uint64_t idle_ms; /* 0: never cut a silent peer */
    int nodelay;
    long max_clients, live; /* the cap, and the clients connected now */
    chat_figures_t fig;
    uv_os_fd_t fd;
    uv_tcp_t listener;
    chat_conn_t *conns;
} chat_server_t;
/* Listens on addr (port 0: the kernel's pick, written back), "HOST:PORT"
 * into name: the listening fd, or a negative errno. */
int tcp_listen(uv_loop_t *loop, uv_tcp_t *listener, struct sockaddr_storage *addr, char *name,
               uv_connection_cb cb);
void chat_on_connection(uv_stream_t *listener, int status); /* tcp_listen's cb */
void chat_close(chat_server_t *s); /* the listener, and everyone */
/* A connection's trace "tcp:PORT", by the client's port, which both ends see
 * (accepted: the server's side); the other end's address (accepted) or ours
 * into addr (may be NULL). Returns the port. */
int tcp_trace(scope_trace_t *t, uv_tcp_t *h, int accepted, scope_end_t peer, size_t framing,
              char *addr);

/* ---- crowd.c: one client too many ------------------------------------------ */
/* status < 0 (out of descriptors): said; else the newcomer over the cap is
 * accepted, told the server is full, and closed. live: clients connected. */
void crowd_refuse(uv_stream_t *listener, int status, long live);
/* wanted, or fewer when the descriptors (ulimit -n) would run out first. */
long crowd_cap(long wanted);

/* ---- client.c: a client's connect(), whichever kind, and a chat member ----- */
typedef struct tcp_client_s {
    scope_demo_t *demo; /* the caller sets these five */
    int nodelay;
    size_t framing;                         /* 1: each message's "\n" */
    void (*on_connected)(struct tcp_client_s *cl); /* c is up, its trace open */
    void (*on_close)(struct tcp_client_s *cl);     /* may be NULL */
    scope_conn_t c;
    scope_trace_t trace;
    uv_connect_t req;
    char addr[SCOPE_ADDR_STRLEN], server[SCOPE_ADDR_STRLEN + 8]; /* ours; "server HOST:PORT" */
} tcp_client_t;
/* connect(), then on_connected (a refused connect is a failed check); runs
 * the loop until the connection closes (quit closes it): the exit code. */
int tcp_client_run(tcp_client_t *cl, const struct sockaddr *server);

typedef struct chat_client_s {
    tcp_client_t t;
    const char *who; /* "client 2"; the caller sets this and split */
    int split;       /* each line in two write()s */
    size_t first_size;                   /* the first line's, 0: --size's */
    void (*on_echo)(struct chat_client_s *cl); /* after each answer; may be NULL */
    long sent, echoes, broadcasts;
    scope_pacer_t pacer;
    uint64_t sent_at; /* of the line waiting for its echo */
    int waiting;
} chat_client_t;
int chat_client_run(chat_client_t *cl, const struct sockaddr *server);

/* ---- the lab's steps (d->data: the chat's "HOST:PORT") and --throughput's
 * call scope_demo_next when over; the *_client() are their other ends. */
void stream_two_writes(scope_demo_t *d);
void stream_big_write(scope_demo_t *d);
void stream_framed(scope_demo_t *d);
void stream_stop(void);
int stream_client(scope_demo_t *d, const struct sockaddr *server);
void nagle_run(scope_demo_t *d);
void tput_run(scope_demo_t *d, uint64_t bytes, int nodelay);
void tput_stop(void);
int tput_client(scope_demo_t *d, const struct sockaddr *server, uint64_t bytes, int nodelay);

/* ---- fault.c: a bad client ------------------------------------------------- */
int fault_client(scope_demo_t *d, const struct sockaddr *server, const char *kind,
                 size_t max_message);

#endif
