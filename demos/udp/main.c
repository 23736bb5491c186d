/* udp: dgram with the lid off.
 *
 * The seeds' UDP echo pair (server.on('message') answers each datagram with
 * "Hello, client! Received your message: ..."), run by one server and N
 * clients, and then what makes UDP UDP, step by step:
 *
 *   1. socket(AF_INET, SOCK_DGRAM) and bind(): the server's address. No
 *      listen(), no accept(): datagrams from anyone arrive on this one fd,
 *      each with its sender's address (recvmsg's msg_name).
 *   2. Boundaries: a sender makes three send() calls of 200, 1200 and 20 bytes
 *      while the receiver is not reading; its three recvmsg() calls then
 *      return 200, 1200 and 20 bytes. A TCP stream would have merged them.
 *   3. The largest payload: 65,507 bytes over IPv4 (65,535 less 20 bytes of IP
 *      header and 8 of UDP header) goes through on loopback; one byte more
 *      and sendmsg() fails with EMSGSIZE before anything leaves.
 *   4. Loss: the receiver's buffer cut to 4 KiB (setsockopt SO_RCVBUF), the
 *      receiver stalled, the sender fast. What does not fit is dropped by the
 *      kernel without a word to either side; the kernel counts it
 *      (/proc/net/udp "drops", and SO_RXQ_OVFL on the next datagram that
 *      gets in).
 *   5. Bad input: a datagram over --max-message and one that is not UTF-8 are
 *      refused with an error event and not echoed; an empty datagram is legal
 *      UDP (recvmsg returns 0, which on a stream would mean EOF) and gets the
 *      bare greeting.
 *   6. The seeds' echo: N clients, each connect()s its socket (no packet: it
 *      only fixes the default destination and filters what may arrive),
 *      sends --count datagrams at --rate, times each round trip, and counts
 *      a datagram unanswered within --timeout as lost: UDP never resends.
 *
 * The clients and the lesson's sender ("probe") are this same program run
 * with --as-client and --as-probe; they report their own events, so the
 * dashboard shows one lane per process. Each tells the server process its
 * port and, at the end, its figures over a pipe at fd 3 (bookkeeping for
 * the summary, which must not itself be lost). The dashboard's pause,
 * resume, step, rate and size reach the clients as datagrams from the
 * server: the mechanism the demo teaches.
 *
 * Alone: --listen HOST:PORT runs only the server, --connect HOST:PORT only a
 * client, so two machines can talk. Any UDP peer will do:
 *
 *     build/demos/udp --listen 127.0.0.1:41234 &
 *     echo hi | nc -u -w1 127.0.0.1 41234
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "udp.h"

static const scope_demo_info_t info = {
    "udp",
    "dgram with the lid off: datagrams keep their boundaries, and may be lost",
    "The seeds' UDP echo pair on uv_udp: N clients time round trips; boundaries, the 65,507-byte "
    "limit and loss shown live.",
    "001 002",
    "TCP/UDP | ★★★☆☆ | 都支持 | 中",
    "oversize malformed empty",
};

static const scope_demo_option_t options[] = {
    {"clients", "N", "clients the default run starts (default 3, at most 32)"},
    {"listen", "HOST:PORT", "run only the server, on this address (default 127.0.0.1, any port)"},
    {"connect", "HOST:PORT", "run only a client of the server at this address"},
    {"max-message", "BYTES", "longest datagram the server echoes (default 8192, at most 65469)"},
    {"timeout", "MS",
     "how long a client waits for each answer before counting it lost (default 1000)"},
    {"idle-ms", "MS", "the server forgets a peer silent this long (default 30000)"},
    {"throughput", "BYTES", "one client streams BYTES in --size datagrams as fast as it can"},
    {"lab", "on|off", "the boundary, size, loss and bad-input steps before the echo (default on)"},
    {"as-client", NULL, "(internal) be a client started by the server process"},
    {"as-probe", "HOST:PORT", "(internal) be the lesson's sender; HOST:PORT is the echo server"},
    {"client-index", "N", "(internal) which client this is"},
    {"report-fd", "FD", "(internal) where to write the port and the final figures"},
    {"start-paused", NULL, "(internal) start paused"},
    {"wait-go", NULL, "(internal) send nothing until the server says go"},
    {NULL, NULL, NULL},
};

/* ==== state ============================================================== */

/* The three owners of the state (see udp.h), with their defaults. */
udp_common_t udp = {
    .clients = 3, .timeout_ms = 1000, .idle_ms = 30000, .max_message = 8192, .report_fd = -1};
udp_server_t srv = {.probe_kid = -1, .echo_fd = -1, .lesson_fd = -1};
udp_client_t cli = {.sock_fd = -1};

/* ==== options ============================================================ */

static int parse_long(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi)
        return -EINVAL;
    *out = n;
    return 0;
}

static int on_option(scope_demo_t *d, const char *name, const char *value)
{
    long v;
    if (strcmp(name, "clients") == 0) {
        if (parse_long(value, 1, MAX_CLIENTS, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--clients wants 1 to %d", MAX_CLIENTS);
            return -EINVAL;
        }
        udp.clients = (int)v;
    } else if (strcmp(name, "listen") == 0) {
        snprintf(udp.listen_spec, sizeof udp.listen_spec, "%s", value);
        udp.listen_given = 1;
    } else if (strcmp(name, "connect") == 0) {
        snprintf(udp.connect_spec, sizeof udp.connect_spec, "%s", value);
        udp.connect_given = 1;
    } else if (strcmp(name, "max-message") == 0) {
        if (parse_long(value, 1, UDP4_MAX - (long)GREETING_LEN, &v) < 0) {
            snprintf(d->error, sizeof d->error,
                     "--max-message wants 1 to %d bytes (the answer adds %zu bytes of greeting "
                     "and must fit in one %d-byte datagram)",
                     UDP4_MAX - (int)GREETING_LEN, GREETING_LEN, UDP4_MAX);
            return -EINVAL;
        }
        udp.max_message = (size_t)v;
    } else if (strcmp(name, "timeout") == 0) {
        if (parse_long(value, 1, 600000, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--timeout wants 1 to 600000 ms");
            return -EINVAL;
        }
        udp.timeout_ms = v;
    } else if (strcmp(name, "idle-ms") == 0) {
        if (parse_long(value, 1, 86400000, &v) < 0) {
            snprintf(d->error, sizeof d->error, "--idle-ms wants 1 to 86400000 ms");
            return -EINVAL;
        }
        udp.idle_ms = v;
    } else if (strcmp(name, "throughput") == 0) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(value, &end, 10);
        if (errno || end == value || *end || n < 1 || n > (1ull << 40)) {
            snprintf(d->error, sizeof d->error, "--throughput wants 1 to 2^40 bytes");
            return -EINVAL;
        }
        udp.throughput = n;
    } else if (strcmp(name, "lab") == 0) {
        if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0) {
            snprintf(d->error, sizeof d->error, "--lab wants on or off");
            return -EINVAL;
        }
        udp.no_lesson = strcmp(value, "off") == 0;
    } else if (strcmp(name, "as-client") == 0) {
        udp.as_client = 1;
    } else if (strcmp(name, "as-probe") == 0) {
        udp.as_probe = 1;
        snprintf(udp.probe_spec, sizeof udp.probe_spec, "%s", value);
    } else if (strcmp(name, "client-index") == 0) {
        if (parse_long(value, 0, MAX_CLIENTS, &v) < 0)
            return -EINVAL;
        udp.client_index = (int)v;
    } else if (strcmp(name, "report-fd") == 0) {
        if (parse_long(value, 0, 65535, &v) < 0)
            return -EINVAL;
        udp.report_fd = (int)v;
    } else if (strcmp(name, "start-paused") == 0) {
        udp.start_paused = 1;
    } else if (strcmp(name, "wait-go") == 0) {
        udp.gated = 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    udp.demo.on_option = on_option;
    udp.me = getpid();
    int r = scope_demo_parse(&udp.demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&udp.demo, r, stdout, stderr);
    if (udp.listen_given && udp.connect_given && !udp.as_client && !udp.as_probe) {
        fprintf(stderr, "udp: --listen runs only the server and --connect only a client: "
                        "give one\n");
        return 2;
    }
    if (udp.throughput && !udp.as_client && (udp.listen_given || udp.connect_given)) {
        fprintf(stderr, "udp: --throughput runs its own server and client: drop --listen and "
                        "--connect\n");
        return 2;
    }
    if (udp.as_probe)
        return run_probe();
    if (udp.as_client || udp.connect_given)
        return run_client();
    return run_server();
}
