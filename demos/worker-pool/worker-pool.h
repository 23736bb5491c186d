/* worker-pool: what each file of the demo offers to main.c (the story:
 * worker-pool.c), and the pool of threads every file of the demo uses.
 */
#ifndef WORKER_POOL_H
#define WORKER_POOL_H

#include <pthread.h>
#include <stdint.h>

#include "channel.h"
#include "demo.h"
#include "role.h"
#include "trace.h"

#define POOL_MAX 8      /* threads in one pool, and children in one process pool */
#define POOL_DATA 1000  /* the article's {task:'heavyCalculation', data:1000} */
#define POOL_ANSWER 249500250000.0 /* what heavyCalculation(1000) returns */

/* One task: postMessage({task:'heavyCalculation', data}) and its answer. */
typedef struct pool_task_s pool_task_t;
struct pool_task_s {
    long long data;
    double result;
    int worker;                /* the worker thread that took it: 1, 2, ... */
    uint64_t submitted_ns, started_ns, done_ns;
    pool_task_t *next;
};

typedef struct pool_s pool_t;
/* On the loop, once a task's answer is back; the task is freed after it. */
typedef void (*pool_result_cb)(pool_t *p, const pool_task_t *t);

typedef struct {
    pool_t *pool;
    int id;               /* "worker thread ID" */
    char name[24];
    pthread_t thread;
    int started;
    /* The flow's two ends of its channel "thread ID": the main thread's
     * (touched under the pool's lock: the worker traces the task it takes,
     * the loop the answer) and the worker's own (its thread only). */
    scope_trace_t main_end, own_end;
    uint64_t tasks;       /* tasks it took (under the lock) */
} pool_worker_t;

/* A pool of threads that take tasks from one queue (worker-pool.c). */
struct pool_s {
    /* set before pool_start */
    void *data;
    pool_result_cb on_result;
    int untraced;         /* no msg event per task: the measurement */
    /* read-only for the caller */
    uv_loop_t *loop;
    int n;
    pthread_mutex_t lock; /* guards everything below, and main_end */
    pthread_cond_t wake;  /* signalled when a task is queued */
    pool_task_t *queue, *queue_tail; /* waiting for a worker */
    pool_task_t *done, *done_tail;   /* answered, waiting for the loop */
    int stopping, running;
    uint64_t submitted, answered;
    uv_async_t doorbell;  /* a worker rings the loop: answers are waiting */
    pool_worker_t w[POOL_MAX];
};

/* worker-pool.c: the mechanism. */
double pool_heavy_calculation(long long n); /* the article's performHeavyCalculation */
/* Starts n worker threads, named "worker thread FIRST" on (a pool of one
 * thread per `new Worker()` starts at its number). Returns 0 or -errno. */
int pool_start(pool_t *p, uv_loop_t *loop, int n, int first);
void pool_submit(pool_t *p, long long data); /* queued; a free worker takes it */
/* Ends the threads once their current task is done (queued ones are
 * dropped), joins them, closes the doorbell. */
void pool_stop(pool_t *p);
/* The tasks each worker took: "8 0 0 0" into out, and as a JSON array. */
cJSON *pool_per_worker(pool_t *p, char *out, size_t n);

/* The whole run, hung off demo.data: main.c sets the options; only
 * worker-pool.c changes the rest (the queue's pool, steps 2 and 7). */
typedef struct wp_s {
    /* options */
    long long workers;  /* --workers: threads in the queue's pool (4) */
    long long tasks;    /* --tasks: tasks of steps 1-3 and 5 */
    long long loop_data; /* --loop-data: step 4's heavy loop */
    long long measure;  /* --measure: tasks per configuration (0: no step 6) */
    const char *fault;  /* --fault kill: in step 5 */

    scope_demo_t *demo;
    pool_t pool;          /* step 2's queue, fed at --rate in step 7 */
    scope_pacer_t pacer;
    int feeding, fed_all, parked;
    uint64_t steady_sent, steady_done;
} wp_t;

/* worker-pool.c: step 2, the real queue; step 7, fed at --rate. */
void wp_queue(scope_demo_t *d);
void wp_steady(scope_demo_t *d);
void wp_steady_stop(wp_t *p); /* a quit: no more tasks; the pool ends */
void wp_article(scope_demo_t *d);  /* article.c, step 1: every task to worker 0 */
void wp_uvpool(scope_demo_t *d);   /* uvpool.c, step 3: uv_queue_work */
void wp_loop(scope_demo_t *d);     /* loop.c, step 4: a 10 ms timer, late or not */

/* procpool.c: a process pool over fork channels (article 001). */
typedef struct wp_procs_s wp_procs_t;
typedef struct {
    wp_procs_t *pp;
    int slot;             /* its place in the pool */
    char name[24];        /* "child 2": a replacement takes the next number */
    int fds[2];
    scope_role_t role;    /* never reused: lib/role keeps it till the run's end */
    scope_channel_t ch;
    scope_trace_t trace;  /* chan "child N": every line, both ways */
    int up, open, ok, busy; /* running; channel open; said ok; holds a task */
    long long data;       /* the task it holds */
    uint64_t sent_ns, tasks;
} wp_child_t;
struct wp_procs_s {
    /* set before wp_procs_start */
    void *data;
    void (*on_change)(wp_procs_t *pp); /* a child said ok, answered, or is gone */
    int untraced;         /* no msg events: the measurement */
    /* read-only for the caller */
    scope_demo_t *demo;
    int n, ok, stopping, next_name;
    long long queue[256]; /* tasks waiting for a free child (their data) */
    int queued;
    uint64_t submitted, answered, retried, replaced;
    scope_hist_t latency; /* each task, from its send to its answer */
    wp_child_t *slot[POOL_MAX];
    wp_child_t kid[16];   /* every child this pool forked, in order */
    int nkids;
};
int wp_procs_start(wp_procs_t *pp, scope_demo_t *d, int n); /* forks n children */
void wp_procs_submit(wp_procs_t *pp, long long data);
int wp_procs_running(const wp_procs_t *pp); /* slots with a child */
void wp_procs_stop(wp_procs_t *pp); /* worker.disconnect(): each reads EOF, exits */
void wp_procs_kill(wp_procs_t *pp); /* SIGKILL to a child holding a task */

/* procs.c, step 5, and the dashboard's "fault kill" at any time after it. */
void wp_procs(scope_demo_t *d);
void wp_procs_fault(const char *kind);
void wp_procs_end(void); /* the run's end: its pool goes */
char *wp_procs_describe(char *out, size_t n);
int wp_child(scope_demo_t *d, int untraced); /* child.c: --role "child N" */

void wp_measure(scope_demo_t *d);   /* measure.c, step 6 */
char *wp_measure_describe(char *out, size_t n);

#endif
