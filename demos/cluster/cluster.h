/* cluster: what each file of the demo offers to the files above it: main.c
 * above all; restart.c and load.c above cluster.c, above port.c and
 * stdout.c, all above workers.c (the master's bookkeeping); client.c is the
 * client role; worker.c above serve.c is the worker. The master and its
 * workers meet only on the fork channels, in node's own cluster protocol
 * (docs/lessons/cluster.md shows its lines).
 */
#ifndef CLUSTER_H
#define CLUSTER_H

#include <string.h>

#include "channel.h"
#include "demo.h"
#include "role.h"
#include "spawn.h"
#include "trace.h"

#define CLUSTER_MAX_WORKERS 16

typedef struct cluster_s cluster_t;
typedef struct cluster_worker_s cluster_worker_t;

/* One worker, as the master sees it (cluster.workers[id] in node). cluster.c
 * owns it; port.c keeps its own part in .port. */
struct cluster_worker_s {
    cluster_t *cluster;
    int id;          /* cluster.worker.id: 1, 2, ... never reused */
    char name[24];   /* "worker 2" */
    int in_use;      /* this slot holds a worker, running or on its way out */
    int online;      /* it said {act:'online'} */
    int listening;   /* it said {act:'listening'} */
    int leaving;     /* we asked it to go (disconnect): its exit is expected */
    int fds[2];      /* the socketpair: ours, the worker's */
    scope_child_t child;
    scope_channel_t ch;
    scope_trace_t trace; /* chan "worker N": every line of its channel, both ways */
    int ch_closed;       /* the channel is closed (on_close came) */
    uv_pipe_t out;       /* a node worker's stdout, read into narration (stdout.c) */
    int out_open, out_fds[2];
    char outbuf[1024];
    size_t outlen;
    int seq;             /* our NODE_CLUSTER seq on this channel */
    struct {
        int queried;     /* asked for the port (queryServer) */
        int free;        /* waits for a connection (round robin) */
        int inflight_fd; /* the connection handed over, until it is accepted; -1 */
        int inflight_seq;
        uint64_t handed_ns; /* when it went: the handoff's round trip ends at the ack */
        uint64_t handed; /* connections it accepted */
        char key[96];
    } port;
};

/* The master, hung off demo.data: main.c sets what it is asked to run; the
 * files below change only their own parts. */
struct cluster_s {
    /* asked */
    int nworkers;          /* --workers */
    char *const *argv;     /* a worker's command: this program --as-worker, or node */
    int node_workers;      /* the workers are node: their stdout is narrated */
    const char *sched;     /* "rr" or "none", as NODE_CLUSTER_SCHED_POLICY */
    long long port_asked;  /* --port: 0, the kernel picks */
    long long timeout_s;   /* how long a step waits for the workers */
    const char *fault;     /* --fault: done under the load of step 8, or NULL */

    scope_demo_t *demo;
    cluster_worker_t workers[CLUSTER_MAX_WORKERS];
    int next_id;
    uint64_t t0_ns;        /* the fork: the article's timeline counts from here */
    uv_timer_t timer;      /* the timeline's next moment, or a step's patience */
    int timer_open;
    int ready, relayed;    /* worker-ready messages seen; relays done */
    int replaced;          /* workers forked again after dying */
    int ending;            /* disconnecting everyone: no replacement */
    /* What the step waits for (cluster_await), checked at each change of a
     * worker (online, ready, listening, gone), or NULL. */
    const char *awaited;
    int (*is_done)(const cluster_t *c);
    struct {               /* load.c's own part: what the client reported */
        int done;          /* the client role has ended */
        long ok, failed;
    } load;
    /* port.c's own part of the master */
    struct {
        int fd;            /* the listening (rr) or bound (none) socket; -1 */
        uv_poll_t poll;    /* rr: readable means a connection to accept */
        int polling;
        int pending[256];  /* accepted, not yet handed to a worker */
        int npending;
        int bound_port;
        unsigned turn;     /* rr: the slot to try first */
        uint64_t accepted, refused;
    } port;
};

/* cluster.c: the mechanism. */
void cluster_fork_all(scope_demo_t *d);   /* step 1: cluster.fork() N times */
void cluster_online(scope_demo_t *d);     /* step 2: each says online */
void cluster_ready(scope_demo_t *d);      /* step 3: 500 ms, worker-ready */
void cluster_broadcast(scope_demo_t *d);  /* step 4: 1000 ms, a loop of sends */
void cluster_unicast(scope_demo_t *d);    /* step 5: 2000 ms, to worker 1 */
void cluster_relay(scope_demo_t *d);      /* step 6: 3000 ms, 1 -> master -> 2 */
void cluster_end(scope_demo_t *d);        /* the last step, and a quit: disconnect all */
cluster_worker_t *cluster_fork(cluster_t *c); /* one more worker; NULL if it failed */
void cluster_disconnect(cluster_worker_t *w); /* worker.disconnect() */
int cluster_running(const cluster_t *c);      /* workers whose process runs */
int cluster_count(cluster_t *c);              /* workers in use, not on their way out */
/* Sends one of node's own messages ({cmd:'NODE_CLUSTER', ..., seq}: msg's
 * members with those two added), with a handle when fd >= 0; traced; frees
 * msg. Returns as scope_channel_send. */
int cluster_send_internal(cluster_worker_t *w, cJSON *msg, int fd);
/* workers.c: the master's bookkeeping. */
cluster_worker_t *cluster_slot(cluster_t *c); /* a free slot with the next id, or NULL */
int cluster_is(const cJSON *msg, const char *name, const char *value); /* msg.name === value */
void cluster_on_refused(scope_channel_t *ch, const scope_frame_error_t *err);
void cluster_on_disconnect(scope_channel_t *ch, int status);
void cluster_on_channel_closed(scope_channel_t *ch);
void cluster_forget(cluster_worker_t *w); /* its slot is free once it is all gone */
void cluster_reap_later(cluster_t *c);    /* SIGKILL to workers still there in 5 s */
/* The step goes on once is_done(c), or fails after --timeout with what
 * (patient: no timeout, for a wait as long as the run). */
void cluster_await(cluster_t *c, const char *what, int (*is_done)(const cluster_t *c),
                   int patient);
/* A worker changed (or a step's other wait came true): does the step go on? */
void cluster_changed(cluster_t *c);
/* Each worker in use, in id order: for (w = NULL; (w = cluster_next(c, w));) */
cluster_worker_t *cluster_next(cluster_t *c, cluster_worker_t *after);
cluster_worker_t *cluster_find(cluster_t *c, int id); /* cluster.workers[id], or NULL */

/* stdout.c: a node worker's console.log told as narration: a pipe placed at
 * its fd 1 (returns how many fds it placed: 0 or 1), then read once the
 * worker started (or closed when it did not). */
int cluster_stdout_pipe(cluster_worker_t *w, scope_spawn_fd_t *place);
void cluster_narrate_stdout(cluster_worker_t *w, int started);

/* port.c: one port for every worker (round robin, or a shared socket). */
void cluster_port_listen(scope_demo_t *d); /* step 7: wait for every worker to listen */
void cluster_port_query(cluster_worker_t *w, const cJSON *msg);
void cluster_port_accepted(cluster_worker_t *w, const cJSON *msg);
void cluster_port_remove(cluster_worker_t *w);
void cluster_port_close(cluster_t *c);

/* load.c: requests through the port from a client role: started in step 8,
 * awaited in the step before the end. */
void cluster_load(scope_demo_t *d);
void cluster_load_end(scope_demo_t *d);
/* client.c: --role client: HTTP requests to addr, one at a time, paced. */
int cluster_client(scope_demo_t *d, const char *addr);

/* restart.c: a rolling restart (step 9), and the stopped-worker fault. */
void cluster_restart(scope_demo_t *d);
void cluster_fault(cluster_t *c, const char *kind);
void cluster_restart_close(void); /* the run is over: its watch stops */

/* worker.c: this program as a worker (--as-worker): the article's worker in
 * C, speaking node's cluster protocol to whichever master forked it. */
int cluster_worker(scope_demo_t *d);

/* serve.c: HTTP/1.1 on the connections a worker is given or accepts, read
 * with http-parser; every answer names the worker ("worker 1 (pid 4242)").
 * worker.c owns one, hands it each connection, and closes it on disconnect. */
typedef struct cluster_serve_s cluster_serve_t;
struct cluster_serve_s {
    /* set by cluster_serve_init */
    uv_loop_t *loop;
    int id;                    /* the worker's id, named in each answer */
    pid_t pid;                 /* ours, named in each answer too */
    void *data;
    /* After cluster_serve_close: the last connection is gone. */
    void (*on_drained)(cluster_serve_t *s);
    /* figures, read-only for the caller */
    uint64_t requests;         /* answered 200 */
    uint64_t connections;      /* taken in */
    uint64_t refused;          /* answered 400 or 431, then closed */
    /* private */
    scope_trace_t trace;       /* chan "http w N": requests and answers, sampled */
    void *conns;               /* the open connections, a list */
    uv_tcp_t server;           /* SCHED_NONE: the socket we listen on */
    int listening;
    int open, closing, drained;
    uv_timer_t grace;          /* how long requests in flight may take to finish */
    char readbuf[16 * 1024];
};
void cluster_serve_init(cluster_serve_t *s, uv_loop_t *loop, int id);
void cluster_serve_port(cluster_serve_t *s, int port); /* names the flow's peer "port N" */
/* A connection handed over (round robin's newconn): 0, or a negative errno
 * (the fd is closed either way when it is not taken). */
int cluster_serve_fd(cluster_serve_t *s, int fd);
/* SCHED_NONE: listen() on the bound socket the master sent and accept from
 * it ourselves. Returns its port, or a negative errno (fd closed). */
int cluster_serve_listen(cluster_serve_t *s, int fd);
/* Takes no more (the listening socket, if any, is closed); finishes the
 * requests in flight and closes the idle keep-alive connections (at once
 * when now), then on_drained. */
void cluster_serve_close(cluster_serve_t *s, int now);

#endif
