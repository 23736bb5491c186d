/* unix-socket: a net server on a socket path, with the lid off.
 *
 * What node does for net.createServer(...).listen('/tmp/app.sock') and
 * net.connect('/tmp/app.sock') in seed 000, step by step:
 *
 *   1. mkdtemp() makes a private directory (mode 0700) for the socket file:
 *      in a world-writable /tmp another user could create the path first, or
 *      replace it, and our clients would talk to them.
 *   2. The path is probed: nothing there, a live server (never stolen: bind()
 *      would say EADDRINUSE), or a stale file from a server that died
 *      (connect() says ECONNREFUSED): that one is unlinked and replaced.
 *   3. socket(AF_UNIX, SOCK_STREAM), bind(path), listen(): the kernel makes
 *      the socket file.
 *   4. N clients (this program with --as-client) connect(); the server
 *      accept()s each and asks the kernel who it is: getsockopt(SO_PEERCRED)
 *      gives the pid, uid and gid recorded at connect(), which the peer cannot
 *      forge. --allow-uid refuses the others with one "error: ..." line.
 *   5. Each client pings; the server answers "pong: <msg>", as in seed 000.
 *      The client times each round trip; its last line carries its latency
 *      histogram, so the server's summary covers every client.
 *   6. Bad peers: a line over --max-message is refused and skipped, a peer
 *      that says nothing is cut after --idle-ms, a peer that vanishes
 *      mid-line is reported; the others are served all along.
 *   7. On the way out (done, SIGINT, SIGTERM, quit): close, unlink the
 *      socket file, rmdir the directory.
 *
 * --abstract binds a name in Linux's abstract namespace instead (no file, no
 * permissions: SO_PEERCRED is then the only guard). --fifo shows the older
 * named pipe: two FIFOs made with mkfifo(), one per direction, whose open()
 * blocks until the other end opens, and whose writes of at most PIPE_BUF
 * bytes never interleave, however many writers share one.
 *
 * Real peers: build/demos/unix-socket --listen /tmp/x/s.sock, then
 *   socat - UNIX-CONNECT:/tmp/x/s.sock     or     nc -U /tmp/x/s.sock
 *   node build/demos/unix-socket-client.js /tmp/x/s.sock
 */

/* main.c: the demo's identity, its options and main(), which makes this
 * process the server or one client. unix-socket.h lists the other modules. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unix-socket.h"

static const scope_demo_info_t info = {
    "unix-socket",
    "net on a socket path, with the lid off",
    "A server on a Unix socket file in a private directory, N clients pinging it, "
    "peer credentials, stale files, the abstract namespace and FIFOs.",
    "000 001 003",
    "Unix Socket | 很快 | ❌ | 中 | 同机多进程",
    "oversize silent vanish",
};

static const scope_demo_option_t options[] = {
    {"clients", "N", "clients started as child processes (default 3, at most 8)"},
    {"path", "PATH", "the socket path (default: server.sock in a private 0700 directory)"},
    {"listen", "PATH", "only the server, on PATH, until SIGINT, SIGTERM or quit"},
    {"connect", "PATH", "only a client, of the server on PATH"},
    {"abstract", NULL, "the abstract namespace: a name, no file (with --listen/--connect: NAME)"},
    {"fifo", NULL, "named pipes instead: two FIFOs, one per direction, N writers"},
    {"allow-uid", "UID[,UID]", "refuse peers whose uid (SO_PEERCRED) is not listed"},
    {"idle-ms", "MS", "cut a peer that says nothing for MS (default 60000, 0 = never)"},
    {"max-message", "BYTES", "longest line accepted (default 65536)"},
    {"throughput", "BYTES", "one client streams BYTES to the server; reports MB/s"},
    {"fault", "KIND", "one more client misbehaves: oversize, silent or vanish"},
    {"as-client", "N", "be client N of a server that started us"},
    {NULL, NULL, NULL},
};

scope_demo_t demo;
demo_options_t opt = {.nclients = 3, .idle_ms = 60000, .max_message = 65536};
server_state_t srv = {.up_keep = -1};
client_state_t cli;

/* ==== the options ========================================================= */

static int parse_ulong(const char *v, unsigned long long lo, unsigned long long hi,
                       unsigned long long *out)
{
    char *end;
    errno = 0;
    if (!*v || *v == '-')
        return -EINVAL;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end || x < lo || x > hi)
        return -EINVAL;
    *out = x;
    return 0;
}

static int on_option(scope_demo_t *d, const char *name, const char *value)
{
    unsigned long long v;
    if (strcmp(name, "clients") == 0) {
        if (parse_ulong(value, 1, MAX_CLIENTS, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--clients wants 1 to %d", MAX_CLIENTS);
            return -EINVAL;
        }
        opt.nclients = (int)v;
    } else if (strcmp(name, "path") == 0 || strcmp(name, "listen") == 0 ||
               strcmp(name, "connect") == 0) {
        if (strlen(value) >= sizeof opt.path - 1 || !*value) {
            snprintf(d->error, sizeof d->error, "--%s: path too long or empty", name);
            return -EINVAL;
        }
        snprintf(opt.path, sizeof opt.path, "%s", value);
        opt.path_given = 1;
        opt.listen_only |= strcmp(name, "listen") == 0;
        opt.connect_only |= strcmp(name, "connect") == 0;
    } else if (strcmp(name, "abstract") == 0) {
        opt.abstract = 1;
    } else if (strcmp(name, "fifo") == 0) {
        opt.fifo = 1;
    } else if (strcmp(name, "allow-uid") == 0) {
        char buf[256], *save = NULL;
        snprintf(buf, sizeof buf, "%s", value);
        opt.nallow = 0;
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (opt.nallow == MAX_ALLOW || parse_ulong(t, 0, 4294967294ull, &v) < 0) {
                snprintf(d->error, sizeof d->error,
                         "--allow-uid wants up to %d numeric uids separated by commas", MAX_ALLOW);
                return -EINVAL;
            }
            opt.allow[opt.nallow++] = (uid_t)v;
        }
        if (!opt.nallow) {
            snprintf(d->error, sizeof d->error, "--allow-uid wants at least one uid");
            return -EINVAL;
        }
    } else if (strcmp(name, "idle-ms") == 0) {
        if (parse_ulong(value, 0, 86400000, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--idle-ms wants 0 to 86400000");
            return -EINVAL;
        }
        opt.idle_ms = v;
    } else if (strcmp(name, "max-message") == 0) {
        if (parse_ulong(value, 256, 64u * 1024 * 1024, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--max-message wants 256 to 67108864 bytes");
            return -EINVAL;
        }
        opt.max_message = (size_t)v;
    } else if (strcmp(name, "throughput") == 0) {
        if (parse_ulong(value, 1, 1ull << 40, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--throughput wants 1 to 2^40 bytes");
            return -EINVAL;
        }
        opt.throughput = v;
    } else if (strcmp(name, "fault") == 0) {
        if (strcmp(value, "oversize") && strcmp(value, "silent") && strcmp(value, "vanish")) {
            snprintf(d->error, sizeof d->error,
                     "--fault wants oversize, silent or vanish, not '%s'", value);
            return -EINVAL;
        }
        snprintf(opt.fault, sizeof opt.fault, "%s", value);
    } else if (strcmp(name, "as-client") == 0) {
        if (parse_ulong(value, 1, 64, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--as-client wants a client number");
            return -EINVAL;
        }
        opt.as_client = (int)v;
    }
    return 0;
}

int main(int argc, char **argv)
{
    demo.on_option = on_option;
    int r = scope_demo_parse(&demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    if (opt.fifo && (opt.listen_only || opt.abstract || opt.throughput) && !opt.as_client) {
        fprintf(stderr, "unix-socket: --fifo runs server and clients together; it takes none "
                        "of --listen, --connect, --abstract, --throughput\n");
        return 2;
    }
    if (opt.listen_only && opt.connect_only) {
        fprintf(stderr, "unix-socket: --listen or --connect, not both\n");
        return 2;
    }
    if (opt.connect_only || opt.as_client)
        return run_client();
    return run_server();
}
