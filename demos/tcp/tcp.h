/* tcp.h: what the files of the tcp demo offer main.c and each other: tcp.c
 * the chat, and the connect() every kind of client makes; stream.c and
 * nagle.c the lab, throughput.c --throughput, fault.c the bad clients. Each
 * file keeps its own state and gives its figures to the bye itself.
 */
#ifndef IPCSCOPE_DEMO_TCP_H
#define IPCSCOPE_DEMO_TCP_H

#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "demo.h"
#include "addr.h"
#include "conn.h"
#include "peer.h"
#include "trace.h"

/* ---- tcp.c: the chat server ------------------------------------------------- */

typedef struct chat_server_s chat_server_t;
typedef struct {
    uint64_t accepted, lines_in, broadcasts; /* and an echo for each line in */
} chat_figures_t;
typedef struct chat_conn_s chat_conn_t; /* one accepted client */
struct chat_conn_s {
    scope_conn_t c;
    chat_server_t *server;
    chat_conn_t *next;
    scope_trace_t trace;
    scope_peer_req_t *peer; /* the lookup of the process behind it, under way */
    int port;
    char who[SCOPE_ADDR_STRLEN];
};
struct chat_server_s {
    scope_demo_t *demo; /* the caller sets these six */
    size_t max_message;
    uint64_t idle_ms; /* 0: never cut a silent peer */
    int nodelay;
    scope_conn_error_cb on_too_long; /* fault.c's answers to a line over max_message */
    scope_conn_end_cb on_end;        /* and to a peer's end (EOF, reset, idle) */
    chat_figures_t fig;
    uv_os_fd_t fd;
    uv_tcp_t listener;
    chat_conn_t *conns;
};
/* Binds and listens on addr (port 0: the kernel picks, and addr says which),
 * "HOST:PORT" into name; cb takes each connection. 0 or a negative errno. */
int tcp_listen(uv_loop_t *loop, uv_tcp_t *listener, struct sockaddr_storage *addr, char *name,
               uv_connection_cb cb);
int chat_listen(chat_server_t *s, uv_loop_t *loop, struct sockaddr_storage *addr, char *name);
/* While the lesson is paused our clients are quiet too: the idle limit waits. */
void chat_hold(chat_server_t *s, int hold);
void chat_close(chat_server_t *s); /* the listener, and everyone */
/* One line to one peer, in one write(): prefix, line, "\n". */
void chat_say(chat_conn_t *to, const char *prefix, const char *line, size_t len);

/* A connection's trace, "tcp:PORT" by the client's port as both ends see it
 * (accepted: the server's side), framing bytes a message; the other end's
 * address (accepted) or ours into addr. Returns the port. */
int tcp_trace(scope_trace_t *t, uv_tcp_t *h, int accepted, scope_end_t peer, size_t framing,
              char *addr);

/* ---- tcp.c: a client, whichever kind ------------------------------------------ */

typedef struct tcp_client_s tcp_client_t;
struct tcp_client_s {
    scope_demo_t *demo; /* the caller sets these five */
    int nodelay;
    size_t framing;                         /* 1: each message's "\n" */
    void (*on_connected)(tcp_client_t *cl); /* c is up, its trace open */
    void (*on_close)(tcp_client_t *cl);     /* may be NULL */
    scope_conn_t c;
    scope_trace_t trace; /* "tcp:PORT" */
    uv_connect_t req;
    char addr[SCOPE_ADDR_STRLEN], server[SCOPE_ADDR_STRLEN + 8]; /* ours; "server HOST:PORT" */
};
/* connect() to server, then on_connected (a refused connect is a failed
 * check); runs the loop until the connection closes (quit closes it), and
 * returns the exit code. */
int tcp_client_run(tcp_client_t *cl, const struct sockaddr *server);

/* A chat member: sends demo->count lines, each after the echo of the one
 * before (a round trip), then ends as socket.end() does. */
typedef struct {
    tcp_client_t t;
    const char *who; /* "client 2"; the caller sets this and split */
    int split;       /* each line in two write()s */
    long sent, echoes, broadcasts;
    scope_pacer_t pacer;
    uint64_t sent_at; /* of the line waiting for its echo */
    int waiting;
} chat_client_t;
int chat_client_run(chat_client_t *cl, const struct sockaddr *server);

/* ---- the lab's and --throughput's steps ---------------------------------------
 * Lesson steps read d->data, a tcp_lab_t, and call scope_demo_next when over.
 * The *_client() are the other ends: each runs this process (a role, or
 * --connect) and returns its exit code. */

typedef struct {
    const char *chat; /* where clients dial the chat server */
    int nodelay;
    uint64_t bytes; /* --throughput */
} tcp_lab_t;

void stream_two_writes(scope_demo_t *d); /* (a) two quick writes, one read */
void stream_big_write(scope_demo_t *d);  /* (b) one 256 KiB write, several reads */
void stream_framed(scope_demo_t *d);     /* (c) length-prefixed frames */
void stream_stop(void);
int stream_client(scope_demo_t *d, const struct sockaddr *server);

void nagle_run(scope_demo_t *d); /* two chat clients with --split-writes */

void tput_run(scope_demo_t *d);
void tput_stop(void);
int tput_client(scope_demo_t *d, const struct sockaddr *server, uint64_t bytes, int nodelay);

/* ---- fault.c: a bad client, and the server's answers to it ------------------- */

int fault_known(const char *kind); /* oversize, silent, vanish */
void fault_too_long(scope_conn_t *c, const scope_frame_error_t *err);
void fault_end(scope_conn_t *c, int status);
int fault_client(scope_demo_t *d, const struct sockaddr *server, const char *kind,
                 size_t max_message);

#endif
