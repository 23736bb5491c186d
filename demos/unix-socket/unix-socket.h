/* unix-socket: what the demo's modules share.
 *
 * The demo is one program that plays every role: the server (a socket path,
 * an abstract name, or two FIFOs) and, started again with --as-client, each
 * client. Read it in this order:
 *
 *   main.c           the numbered protocol, the options, main()
 *   wire.c           what goes over the wire: ping ids, flow summaries, the
 *                    socket address, the "stats ..." latency line
 *   server.c         the server's run: its clients as children, the bye, the
 *                    wind-down, quit and control relayed to the clients
 *   server_socket.c  the server on a socket: the path probed and bound,
 *                    accept() and SO_PEERCRED, each peer served, streams
 *   server_fifo.c    the server over two FIFOs (--fifo): mkfifo, blocking
 *                    open()s, whole and torn lines
 *   client.c         a client's conversation: pings, pongs, streams, control
 *                    lines from the server, the bad client (--fault)
 *   client_connect.c a client reaching the server: connect() on a socket or
 *                    open() on the FIFOs, and the client's run
 *
 * A process is either the server or a client, never both: `srv` is the
 * server's state, `cli` a client's, `opt` the command line both read, and
 * `demo` the lib/demo run (loop, --count, --rate, --size, quitting).
 */
#ifndef UNIX_SOCKET_H
#define UNIX_SOCKET_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "demo.h"
#include "events.h"
#include "net.h"
#include "spawn.h"
#include "timing.h"

#define MAX_CLIENTS     8
#define MAX_ALLOW       16
#define CLIENT_REFUSED  3 /* a client's exit code when the server refused it */
#define STREAM_LINE     16384
#define STREAM_CHUNK    (16 * STREAM_LINE)
#define FIFO_START_MS   200 /* the writers start later, so the blocked open() shows */
#define DRAIN_MS        1000 /* after the last client exits, for its socket's last bytes */

typedef struct peer_s peer_t;

/* The options (main.c defines it, with the defaults). */
typedef struct {
    int nclients, abstract, fifo, as_client, listen_only, connect_only;
    char fault[16];
    char path[PATH_MAX]; /* socket path, abstract name, or (fifo) directory */
    int path_given;
    uid_t allow[MAX_ALLOW];
    int nallow;
    uint64_t idle_ms;
    size_t max_message;
    uint64_t throughput;
} demo_options_t;

/* The server's state. */
typedef struct {
    char rundir[PATH_MAX];
    int rundir_made;
    char shown[PATH_MAX + 2]; /* the address as people write it: PATH or @NAME */
    uv_pipe_t listener;
    int listening, listener_closed;
    dev_t sock_dev;
    ino_t sock_ino;
    int sock_bound;
    peer_t *peers;
    int npeers;
    struct {
        scope_child_t proc;
        int index, bad, exited, code, sig;
        char role[40];
    } kids[MAX_CLIENTS + 4];
    int nkids, kids_left;
    long accepted, refused, bad_input, lines_in, replies;
    scope_hist_t rtt, tmp_hist;
    long round_trips;
    uint64_t stream_bytes, stream_ns;
    int winding_down, finished, exit_code;
    /* FIFO mode, the server's side */
    char up_path[PATH_MAX + 16], down_path[PATH_MAX + 16];
    int fifos_made;
    uv_fs_t up_open, down_open;
    int up_pending, down_pending;
    uint64_t up_t0, down_t0;
    scope_conn_t up;   /* the reader of up.fifo */
    int up_started, up_reading, up_closing;
    int up_keep;       /* our own write end of up.fifo, so EOF waits for us */
    uv_pipe_t down;    /* the writer of down.fifo */
    int down_open_ok;
    long fifo_whole, fifo_torn;
    struct {
        long pid, lines;
    } writers[MAX_CLIENTS + 4];
    int nwriters;
    uv_timer_t fifo_timer;
    int fifo_timer_init;
    /* every client has exited: their sockets' last bytes are read before
     * the rest is closed, for at most DRAIN_MS */
    uv_timer_t drain_timer;
    int draining, drain_timer_init;
} server_state_t;

/* A client's state. */
typedef struct {
    scope_conn_t conn;
    int conn_open;
    pid_t server_pid;
    char chan[32];
    scope_end_t me, server;
    char server_name[32];
    scope_pacer_t pacer;
    uv_timer_t stats_timer;
    scope_hist_t rtt;
    scope_rate_t rate;
    long sent, pongs;
    uint64_t t_sent;
    int refused_us, done, client_code;
    char *line;
    size_t line_cap;
    /* a client streaming (--throughput) */
    char *chunk;
    uint64_t streamed, stream_t0;
    int writes_in_flight;
    uv_write_t stream_req[2];
    /* a FIFO client */
    char up_path[PATH_MAX + 16], down_path[PATH_MAX + 16];
    uv_fs_t c_up_open, c_down_open;
    int c_up_pending, c_down_pending;
    uint64_t c_up_t0, c_down_t0;
    uv_pipe_t c_up;
    int c_up_ok;
    int c_down_ok; /* conn reads down.fifo (client 1 only) */
    int chan_open, next_req, await_pong;
    char role[40];
    int fifo_writes;
} client_state_t;

/* One connection the server accepted. */
struct peer_s {
    scope_conn_t conn;
    peer_t *next;
    pid_t pid;
    uid_t uid;
    gid_t gid;
    int ours, bad, refused, streaming, fd;
    char chan[32], name[32];
    scope_end_t end;
    uint64_t lines, stream_t0, stream_bytes, stream_next, stream_want;
    int stream_first;
    uv_alloc_cb saved_alloc;
    uv_read_cb saved_read;
};

extern scope_demo_t demo;
extern demo_options_t opt;
extern server_state_t srv;
extern client_state_t cli;

/* wire.c */
const char *errname(int err);
uint64_t ping_id(const char *line, size_t len);
void summarize(char *out, size_t n, const char *prefix, const char *line, size_t len);
int make_addr(struct sockaddr_un *sa);
char *hist_line(const scope_hist_t *h, size_t *len);
int hist_parse(const char *line, size_t len, scope_hist_t *h);

/* server.c */
int kid_index_of(long pid);
void allow_list(char *out, size_t n);
void fail_exit(void);
/* The private 0700 directory for the socket file or the FIFOs, removed on
 * the way out however the run ends. -1 (the run is failing) when it cannot
 * be made. */
int server_make_rundir(scope_demo_t *d);
void server_wind_down(void);
void server_check_done(void);
void spawn_client(int index, const char *fault);
int run_server(void);

/* server_socket.c */
void step_place(scope_demo_t *d);

/* server_fifo.c */
void fifo_step_make(scope_demo_t *d);
int down_send(const char *data, size_t len);
void fifo_unblock(const char *path, int flags);

/* client.c */
void client_begin(void);
void client_done(int code);
void on_client_line(scope_conn_t *c, const char *line, size_t len);
void on_client_bad(scope_conn_t *c, const scope_frame_error_t *err);
void on_client_end(scope_conn_t *c, int status);
void on_conn_closed(scope_conn_t *c);

/* client_connect.c */
int run_client(void);

#endif
