/* unix-socket.h: what each file of the demo offers main.c: the mechanism
 * (unix-socket.c), one experiment per file, and the clients as roles. State
 * lives in each file or hangs off the handles below; main.c hands it round.
 */
#ifndef UNIX_SOCKET_H
#define UNIX_SOCKET_H

/* what every file of the demo uses */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "conn.h"
#include "demo.h"
#include "role.h"
#include "trace.h"
#include "unixsock.h"

#define MAX_CLIENTS    8
#define CLIENT_REFUSED 3 /* a client's exit code when the server refused it */

typedef struct {
    long long nclients, idle_ms, max_message, throughput;
    int abstract, fifo;
    const char *path, *listen, *connect, *fault, *allow; /* NULL when not given */
} us_options_t;

/* ---- unix-socket.c: the mechanism ---- */

typedef struct us_server_s us_server_t;
typedef struct us_peer_s us_peer_t;
typedef struct us_client_s us_client_t;

struct us_peer_s {
    scope_conn_t c; /* the accepted connection; c.data is this peer */
    us_server_t *server;
    us_peer_t *next;
    scope_trace_t trace;
    pid_t pid; /* SO_PEERCRED */
    uid_t uid;
    gid_t gid;
    int ours; /* one of our clients: the trace names it by its pid */
    char name[40], detail[128];
};

struct us_server_s {
    uv_pipe_t listener;
    scope_demo_t *demo;
    size_t max_message;
    uint64_t idle_ms;
    /* set by main, each may be NULL */
    const char *(*on_accept)(us_peer_t *p); /* names p; a refusal line, or NULL */
    int (*on_line)(us_peer_t *p, const char *line, size_t len); /* 1: taken */
    scope_conn_error_cb on_oversize;
    void (*on_idle)(us_peer_t *p); /* silent for --idle-ms */
    void (*on_peer_closed)(us_server_t *s);
    /* read-only for the others */
    us_peer_t *peers;
    int npeers, listening;
    long accepted, refused, bad_input, lines_in, replies;
};

struct us_client_s {
    scope_conn_t c; /* c.data is this client */
    uv_connect_t connect_req;
    scope_demo_t *demo;
    scope_pacer_t pacer;
    scope_trace_t trace;
    size_t max_message;
    const char *shown; /* the address as people write it */
    uint64_t t_sent;
    int done, code; /* done: we ended it, the server's EOF is expected */
    struct { pid_t pid; uid_t uid; gid_t gid; } server; /* SO_PEERCRED */
    /* set by the experiments, each may be NULL (then: pings) */
    void (*on_connected)(us_client_t *c);
    int (*on_line)(us_client_t *c, const char *line, size_t len); /* 1: taken */
};

int us_listen(us_server_t *s, uv_loop_t *loop, const char *path, int bound_fd);
void us_server_close(us_server_t *s);
void us_connect(us_client_t *c, const char *path, int fd);
void us_client_end(us_client_t *c);
char *us_pong(const char *line, size_t len);

/* ---- the experiments, each prefixed by its file's name ---- */
int stale_private_dir(scope_demo_t *d, char *out, size_t outlen);
int stale_place(scope_demo_t *d, char *path, size_t n, char *dir, size_t dirlen);
void stale_own(scope_demo_t *d, const char *path);
int stale_bind_abstract(const char *name, int allow_given);

const char *credentials_accept(us_peer_t *p, const char *ours, const us_options_t *o);
int credentials_client_line(us_client_t *c, const char *line, size_t len);

int throughput_server_line(us_peer_t *p, const char *line, size_t len);
void throughput_client(us_client_t *c, uint64_t bytes);

void faults_server_oversize(scope_conn_t *c, const scope_frame_error_t *err);
void faults_server_idle(us_peer_t *p);
void faults_client(us_client_t *c, const char *kind);

/* name_of(pid): one of our clients' names, or NULL */
int fifo_server_make(scope_demo_t *d, char *dir, size_t dirlen, scope_demo_cb done,
                     const char *(*name_of)(pid_t pid), scope_demo_cb start_writers);
void fifo_server_open(scope_demo_t *d);
void fifo_server_close(void);
const scope_trace_t *fifo_client(scope_demo_t *d, const char *dir, int index);

int clients_start(scope_demo_t *d, const us_options_t *o, const char *address,
                  scope_trace_t *all, scope_demo_cb all_done);
int clients_add(const char *fault);
const char *clients_name_of(pid_t pid);
int clients_run(scope_demo_t *d, const us_options_t *o);

#endif
