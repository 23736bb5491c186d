/* probe.c: the lesson's sender (--as-probe), a child of the server. It
 * sends what each step needs when the server tells it to by datagram:
 * three sends for boundaries, 65,507 and 65,508 bytes, a flood in bursts,
 * and bad input to the echo server; it reports each part done on its pipe.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "udp.h"

/* ==== the probe: the lesson's sender ====================================== */

static void probe_done(const char *part, int64_t n)
{
    report_sent(REC_DONE, part, n);
}

static void probe_send(const struct sockaddr *to, size_t len, const char *fill, uint64_t id,
                       const char *summary, int *err)
{
    static char big[UDP4_MAX + 16];
    size_t fl = strlen(fill);
    memset(big, '.', len);
    memcpy(big, fill, fl < len ? fl : len);
    /* In narration, a flood's first datagram stands for its burst. */
    if (strcmp(summary, "flood") != 0 || scope_events_format() != SCOPE_EVENTS_TEXT ||
        id % (FLOOD_DGRAMS / FLOOD_BURSTS) == 1)
        scope_events_msg("send", "probe", SCOPE_PID(udp.me), SCOPE_PID(cli.server_pid), id, len,
                         summary, 0);
    int r = udp_send(&cli.sock, big, len, to);
    if (err)
        *err = r < 0 ? r : 0;
}

static void on_flood_burst(uv_timer_t *t)
{
    const struct sockaddr *to = (struct sockaddr *)&cli.peer_addr;
    int per = FLOOD_DGRAMS / FLOOD_BURSTS;
    char fill[32];
    for (int i = 0; i < per; i++) {
        int err = 0;
        snprintf(fill, sizeof fill, "flood #%lld ", (long long)cli.flood_sent + 1);
        probe_send(to, FLOOD_SIZE, fill, (uint64_t)cli.flood_sent + 1, "flood", &err);
        if (err == 0)
            cli.flood_sent++;
    }
    cli.flood_burst++;
    report_sent(REC_SENT, "flood", cli.flood_sent);
    scope_events_log("burst %d of %d: %lld datagrams sent so far, every sendmsg() returned "
                     "success",
                     cli.flood_burst, FLOOD_BURSTS, (long long)cli.flood_sent);
    if (cli.flood_burst < FLOOD_BURSTS) {
        uv_timer_start(t, on_flood_burst, FLOOD_GAP_MS, 0);
        return;
    }
    probe_done("flood", cli.flood_sent);
}

static void on_bad_wait(uv_timer_t *t)
{
    (void)t;
    scope_events_error("probe", "no answer to the empty datagram within %d ms", STEP_WAIT_MS / 2);
    probe_done("bad", 0);
}

static void probe_bad(const char *kind)
{
    const struct sockaddr *echo = (struct sockaddr *)&cli.probe_echo;
    int all = strcmp(kind, "bad") == 0;
    if (all || strcmp(kind, "oversize") == 0) {
        size_t n = udp.max_message + 1;
        probe_send(echo, n, "oversize ", 0, "oversize", NULL);
    }
    if (all || strcmp(kind, "malformed") == 0) {
        static const char junk[] = "\xff\xfe not UTF-8 \xc0\xaf";
        scope_events_msg("send", "probe", SCOPE_PID(udp.me), SCOPE_PID(cli.server_pid), 0,
                         sizeof junk - 1, "bytes ff fe ...: not UTF-8", 0);
        udp_send(&cli.sock, junk, sizeof junk - 1, echo);
    }
    if (all || strcmp(kind, "empty") == 0) {
        scope_events_msg("send", "probe", SCOPE_PID(udp.me), SCOPE_PID(cli.server_pid), 0, 0,
                         "(empty)", 0);
        udp_send(&cli.sock, "", 0, echo);
        if (all) {
            cli.probe_replies_expected = 1;
            cli.probe_replies = 0;
            uv_timer_start(&cli.probe_timer, on_bad_wait, STEP_WAIT_MS / 2, 0);
            return;
        }
    }
    if (all)
        probe_done("bad", 0);
}

static void probe_run(const char *cmd)
{
    const struct sockaddr *lesson = (struct sockaddr *)&cli.peer_addr;
    if (strcmp(cmd, "boundaries") == 0) {
        for (int i = 0; i < 3; i++) {
            char fill[32], sum[48];
            snprintf(fill, sizeof fill, "datagram %d of 3 ", i + 1);
            snprintf(sum, sizeof sum, "datagram %d of 3, %d bytes", i + 1, boundary_sizes[i]);
            probe_send(lesson, (size_t)boundary_sizes[i], fill, (uint64_t)i + 1, sum, NULL);
        }
        scope_events_log("three sendmsg() calls of %d, %d and %d bytes", boundary_sizes[0],
                         boundary_sizes[1], boundary_sizes[2]);
        probe_done("boundaries", 3);
    } else if (strcmp(cmd, "maxsize") == 0) {
        int err = 0;
        probe_send(lesson, UDP4_MAX, "65507 bytes ", 0, "65,507 bytes", &err);
        if (err)
            scope_events_error("send", "sendmsg() of 65,507 bytes: %s", uv_strerror(err));
        else
            scope_events_log("sendmsg(fd %d, 65,507 bytes) -> 65,507: it fits", cli.sock_fd);
        size_t n = UDP4_MAX + 1;
        static char big[UDP4_MAX + 1];
        memset(big, '.', n);
        uv_buf_t b = uv_buf_init(big, (unsigned)n);
        int r = uv_udp_try_send(&cli.sock, &b, 1, lesson);
        if (r == UV_EMSGSIZE)
            scope_events_error("EMSGSIZE",
                               "sendmsg(fd %d, 65,508 bytes) -> EMSGSIZE (Message "
                               "too long): one byte over what an IPv4 datagram can carry; "
                               "nothing was sent, and node's send() callback gets the same error",
                               cli.sock_fd);
        else
            scope_events_error("send", "sendmsg() of 65,508 bytes returned %s, not EMSGSIZE",
                               r < 0 ? uv_strerror(r) : "success");
        probe_done("maxsize", r == UV_EMSGSIZE);
    } else if (strcmp(cmd, "flood") == 0) {
        cli.flood_sent = 0;
        cli.flood_burst = 0;
        on_flood_burst(&cli.probe_timer);
    } else if (!strcmp(cmd, "bad") || !strcmp(cmd, "oversize") || !strcmp(cmd, "malformed") ||
               !strcmp(cmd, "empty")) {
        probe_bad(cmd);
    } else {
        scope_events_error("probe", "unknown command '%s'", cmd);
    }
}

static void on_probe_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                          const struct sockaddr *from, unsigned flags)
{
    (void)h;
    (void)flags;
    if (no_datagram(nread, from))
        return;
    if (nread < 0) {
        scope_events_error("recv", "recvmsg(fd %d): %s", cli.sock_fd, uv_strerror((int)nread));
        return;
    }
    char sum[80];
    summarize(sum, sizeof sum, buf->base, (size_t)nread);
    scope_events_msg("recv", "probe", SCOPE_PID(cli.server_pid), SCOPE_PID(udp.me), 0,
                     (size_t)nread, sum, 0);
    if (!same_addr(&cli.probe_echo, from))
        return; /* only the server gives orders */
    if (nread > 6 && memcmp(buf->base, "probe:", 6) == 0) {
        char cmd[32];
        snprintf(cmd, sizeof cmd, "%.*s", (int)(nread - 6), buf->base + 6);
        probe_run(cmd);
    } else if (nread >= (ssize_t)GREETING_LEN && memcmp(buf->base, GREETING, GREETING_LEN) == 0 &&
               cli.probe_replies_expected) {
        cli.probe_replies++;
        scope_events_log("one answer, to the empty datagram (%zd bytes: the greeting alone); the "
                         "oversize and the non-UTF-8 ones got none",
                         nread);
        cli.probe_replies_expected = 0;
        uv_timer_stop(&cli.probe_timer);
        probe_done("bad", 1);
    }
}

static void probe_quit(scope_demo_t *d)
{
    uv_timer_stop(&cli.probe_timer);
    close_handle((uv_handle_t *)&cli.probe_timer);
    close_handle((uv_handle_t *)&cli.sock);
    scope_demo_stop(d);
}

int run_probe(void)
{
    scope_demo_t *d = &udp.demo;
    udp.loop = uv_default_loop();
    d->on_quit = probe_quit;
    if (scope_addr_parse(udp.probe_spec, "127.0.0.1", 0, &cli.probe_echo) < 0 ||
        scope_addr_parse(udp.connect_spec, "127.0.0.1", 0, &cli.peer_addr) < 0) {
        fprintf(stderr, "udp: --as-probe ECHO --connect LESSON, both HOST:PORT\n");
        return 2;
    }
    cli.server_pid = getppid();
    int r = scope_demo_start(d, udp.loop, "probe", 0);
    if (r < 0)
        return 1;
    uv_timer_init(udp.loop, &cli.probe_timer);
    struct sockaddr_in lo;
    uv_ip4_addr("127.0.0.1", 0, &lo);
    uv_udp_init(udp.loop, &cli.sock);
    if ((r = uv_udp_bind(&cli.sock, (struct sockaddr *)&lo, 0)) < 0) {
        scope_events_error("bind", "bind(127.0.0.1:0): %s", uv_strerror(r));
        probe_quit(d);
        scope_demo_run(d);
        return 1;
    }
    uv_fileno((uv_handle_t *)&cli.sock, &cli.sock_fd);
    struct sockaddr_storage me;
    int mlen = sizeof me;
    uv_udp_getsockname(&cli.sock, (struct sockaddr *)&me, &mlen);
    report_port(scope_addr_port((struct sockaddr *)&me));
    uv_udp_recv_start(&cli.sock, on_alloc, on_probe_recv);
    scope_events_proc("ready", getpid(), getppid(), "probe", 0, 0);
    scope_demo_run(d);
    uv_run(udp.loop, UV_RUN_NOWAIT);
    uv_loop_close(udp.loop);
    return 0;
}
