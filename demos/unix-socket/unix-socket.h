/* unix-socket.h: what each file of the demo offers main.c, and nothing more:
 * the mechanism (unix-socket.c), then one experiment per file (the private
 * directory and stale files, abstract names, credentials, throughput, faults,
 * FIFOs) and the clients as roles. State lives in each file (static) or hangs
 * off the handles below; what a file needs from another, main.c hands it.
 */
#ifndef UNIX_SOCKET_H
#define UNIX_SOCKET_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "conn.h"
#include "demo.h"
#include "role.h"
#include "trace.h"
#include "unixsock.h"

#define MAX_CLIENTS    8
#define MAX_ALLOW      16
#define CLIENT_REFUSED 3 /* a client's exit code when the server refused it */

typedef struct {
    long long nclients, idle_ms, max_message, throughput;
    unsigned long long allow[MAX_ALLOW];
    int nallow, abstract, fifo;
    const char *path, *listen, *connect, *fault; /* NULL when not given */
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
    /* set by main, each may be NULL (then: pings) */
    void (*on_connected)(us_client_t *c);
    int (*on_line)(us_client_t *c, const char *line, size_t len); /* 1: taken */
    void (*on_closed)(us_client_t *c);
};

int us_listen(us_server_t *s, uv_loop_t *loop, const char *path, int bound_fd);
void us_server_close(us_server_t *s);
void us_connect(us_client_t *c, const char *path, int connected_fd);
void us_client_end(us_client_t *c);

/* ---- the experiments ---- */

int stale_private_dir(scope_demo_t *d, char *out, size_t outlen);
int stale_place(scope_demo_t *d, char *path, size_t n, char *dir, size_t dirlen);
void stale_own(scope_demo_t *d, const char *path);

int abstract_bind(const char *name, int allow_given);
int abstract_connect(const char *name);

typedef const char *(*us_name_of_fn)(pid_t pid, int *bad);
void credentials_init(const unsigned long long *allow, int nallow, us_name_of_fn name_of);
const char *credentials_accept(us_peer_t *p);
int credentials_client_line(us_client_t *c, const char *line, size_t len);

int throughput_server_line(us_peer_t *p, const char *line, size_t len);
void throughput_client(us_client_t *c, uint64_t bytes);

void faults_server_oversize(scope_conn_t *c, const scope_frame_error_t *err);
void faults_server_idle(us_peer_t *p);
void faults_client(us_client_t *c, const char *kind, const us_options_t *o);

/* fifo.c: the ends of two FIFOs, in (read in lines, c) and out (written):
 * each open() waits in the thread pool until the other end opens. */
typedef struct us_fifo_s us_fifo_t;
struct us_fifo_s {
    scope_demo_t *d;
    char dir[PATH_MAX];
    const char *in, *out;         /* "up.fifo", "down.fifo", or NULL for none */
    const char *in_why, *out_why; /* said when its open() is back */
    void (*on_open)(us_fifo_t *io, int fd); /* an open() is back: fd, or -1 */
    void (*on_end)(us_fifo_t *io);          /* in is closed */
    void (*on_closed)(us_fifo_t *io);       /* closing, nothing open or pending */
    /* read-only for the others */
    scope_conn_t c; /* in; c.data is this */
    uv_pipe_t out_pipe;
    uv_fs_t in_req, out_req;
    int pending, in_open, out_open, closing;
    uint64_t t0;
};
void fifo_path(const us_fifo_t *io, const char *name, char *path, size_t n);
void fifo_open(us_fifo_t *io);
void fifo_close(us_fifo_t *io, int close_in);

int fifo_server_make(scope_demo_t *d, char *dir, size_t dirlen, scope_demo_cb done,
                     us_name_of_fn name_of, scope_demo_cb start_writers);
void fifo_server_open(scope_demo_t *d);
void fifo_server_close(void);
int fifo_client(scope_demo_t *d, const char *dir, int index);
const scope_trace_t *fifo_client_trace(void);

int clients_start(scope_demo_t *d, const us_options_t *o, const char *address, int n,
                  const char *fault, scope_demo_cb all_done);
int clients_add(const char *fault);
const char *clients_name_of(pid_t pid, int *bad);
const scope_trace_t *clients_trace(void);
int clients_run(scope_demo_t *d, const us_options_t *o);

#endif
