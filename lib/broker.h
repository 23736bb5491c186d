/* broker: a private redis-server for a demo that needs a real broker
 * (message-queue now, http's shared state later), started and stopped here
 * once rather than in each demo.
 *
 *   - the server listens on a Unix socket in a private 0700 directory
 *     (lib/addr's rundir), with no TCP port, so nobody else on the machine
 *     can reach it: --port 0 --unixsocket DIR/redis.sock --unixsocketperm 700
 *     --dir DIR --save '' --appendonly no (nothing is written to disk;
 *     appendonly, below, is the one exception);
 *   - it is this process's child (lib/spawn), reported as a proc named
 *     "redis-server", so it has a lane of its own; it gets SIGTERM if we
 *     die (PR_SET_PDEATHSIG), and a SIGTERMed redis-server removes its
 *     socket; a directory a SIGKILLed run left is swept by the next run's
 *     scope_rundir_make;
 *   - it is ready when it answers PING (polled every 10 ms, for 5 s at most);
 *   - scope_redis_stop sends SIGTERM and, once it has exited, removes the
 *     socket and the directory.
 *
 * Also here: "--redis URL" read into a place to connect to
 * (scope_redis_url_parse), and a PING that says whether anything answers
 * there (scope_redis_ping), so a demo can name the URL when nothing does.
 *
 *     static void on_ready(scope_redis_t *r, int status) { ... r->sock ... }
 *     scope_redis_t r = {.on_ready = on_ready};
 *     scope_redis_start(loop, &r, NULL);
 *     ...
 *     scope_redis_stop(&r);      // on_exit follows, then the loop may end
 */
#ifndef SCOPE_BROKER_H
#define SCOPE_BROKER_H

#include <limits.h>
#include <sys/types.h>
#include <uv.h>

#include "spawn.h"

#define SCOPE_REDIS_READY_MS 5000 /* how long a start may take to answer PING */

typedef struct scope_redis_s scope_redis_t;
/* status 0: the server answers PING; else a negative errno (-ETIMEDOUT,
 * -ENOENT when redis-server is not installed, ...) and the server is gone. */
typedef void (*scope_redis_ready_cb)(scope_redis_t *r, int status);
/* The server exited (after scope_redis_stop, or on its own): code when sig
 * is 0. The socket and the directory are gone by then. */
typedef void (*scope_redis_exit_cb)(scope_redis_t *r, int code, int sig);

struct scope_redis_s {
    /* set by the caller */
    void *data;
    scope_redis_ready_cb on_ready;
    scope_redis_exit_cb on_exit; /* may be NULL */
    /* Added for message-queue's persistence step (0, the default, keeps
     * the server that writes nothing): --appendonly yes --appendfsync
     * always, so every write is on disk before its reply. The directory,
     * named ipcscope-redis-aof.XXXXXX, then outlives an exit that
     * scope_redis_stop did not ask for (a crash, a kill -9), and
     * scope_redis_start again brings the server back in it, on the same
     * socket, reading its append-only file. scope_redis_stop's exit removes
     * the file and the directory; a run killed with SIGKILL leaves them, and
     * the next scope_redis_start sweeps them (their owner, recorded in
     * DIR/aof.owner, is gone). */
    int appendonly;
    /* read-only for the caller */
    char dir[PATH_MAX - 16]; /* the private directory */
    char sock[PATH_MAX];     /* DIR/redis.sock */
    pid_t pid;               /* the server's, while it runs */
    int running, ready;
    /* private */
    scope_child_t child;
    /* its own allocation, freed once closed: a restart from on_exit may
     * start a new one while the last is still closing */
    uv_timer_t *poll;
    int waited_ms, stopping;
};

/* Starts redis-server (path NULL: "redis-server" from PATH). Returns 0, or
 * a negative errno (no on_ready then): the directory or the start failed.
 * With appendonly, a start after the server's own exit reuses its
 * directory (a restart); else a new directory is made. */
int scope_redis_start(uv_loop_t *loop, scope_redis_t *r, const char *path);
/* SIGTERM to the server (safe when it is not running; then only the
 * directory goes). on_exit follows once it is reaped. */
void scope_redis_stop(scope_redis_t *r);

/* "unix:PATH" or "redis://HOST:PORT" (port 6379 when left out). Returns 0
 * with *path set (a Unix socket) or host and *port set, or -EINVAL. */
int scope_redis_url_parse(const char *url, char *path, size_t pathlen, char *host,
                          size_t hostlen, int *port);
/* A blocking PING (at most timeout_ms) to a Unix socket path, or to
 * host:port when path is NULL. Returns 0 when +PONG came back, else a
 * negative errno (-ECONNREFUSED, -ENOENT, -ETIMEDOUT, -EPROTO). */
int scope_redis_ping(const char *path, const char *host, int port, int timeout_ms);

#endif
