/* kids.c: the server's children, the clients and the probe: this same
 * program started with --as-client or --as-probe. Each has a pipe at fd 3
 * for its port and its final figures (rec_* in udp.h); the server reads it,
 * reports each exit, and tells the children what to do by datagram: "go" to
 * a client once the lesson is over, "probe:..." to the probe for each step.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "udp.h"

/* ==== the server's children =============================================== */

static void kid_handle_record(kid_t *k, const rec_head_t *h)
{
    if (h->tag == REC_PORT && h->size == sizeof(rec_port_t)) {
        k->port = ((const rec_port_t *)h)->port;
        if (k->go_pending)
            kid_go(k);
        if (k->probe && srv.probe_pending[0]) {
            char cmd[48];
            snprintf(cmd, sizeof cmd, "%s", srv.probe_pending);
            srv.probe_pending[0] = '\0';
            probe_command(cmd);
        }
    } else if ((h->tag == REC_SENT || h->tag == REC_DONE) && h->size == sizeof(rec_sent_t)) {
        const rec_sent_t *r = (const rec_sent_t *)h;
        if (k->probe && strcmp(r->part, "flood") == 0 && h->tag == REC_SENT &&
            srv.lesson_part == LESSON_LOSS) {
            srv.loss_sent = r->sent;
            loss_stats(0); /* one live figure per burst, whatever the timer does */
        }
        if (h->tag == REC_DONE && k->probe)
            lesson_on_done(r->part, r->sent);
    } else if (h->tag == REC_FINAL && h->size == sizeof(rec_final_t)) {
        memcpy(&k->final, h, sizeof k->final);
        k->have_final = 1;
    }
}

void kid_read_reports(kid_t *k)
{
    if (k->report_fd < 0)
        return;
    for (;;) {
        size_t cap = sizeof(rec_final_t) + 256;
        if (k->rlen == cap) {
            k->rlen = 0; /* not ours: drop it */
        }
        ssize_t n = read(k->report_fd, k->rbuf + k->rlen, cap - k->rlen);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        k->rlen += (size_t)n;
        while (k->rlen >= sizeof(rec_head_t)) {
            rec_head_t h;
            memcpy(&h, k->rbuf, sizeof h);
            if (h.size < sizeof h || h.size > cap) {
                k->rlen = 0;
                break;
            }
            if (k->rlen < h.size)
                break;
            /* aligned copy: records hold 8-byte fields */
            rec_final_t *rec = malloc(h.size);
            if (rec) {
                memcpy(rec, k->rbuf, h.size);
                kid_handle_record(k, &rec->h);
                free(rec);
            }
            memmove(k->rbuf, k->rbuf + h.size, k->rlen - h.size);
            k->rlen -= h.size;
        }
    }
}

static void on_report_readable(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    kid_read_reports(h->data);
}

void on_poll_closed(uv_handle_t *h)
{
    kid_t *k = h->data;
    if (k->report_fd >= 0)
        close(k->report_fd);
    k->report_fd = -1;
    free(k->rbuf);
    k->rbuf = NULL;
}

static void on_kid_exit(scope_child_t *c, int status, int sig)
{
    kid_t *k = c->data;
    kid_read_reports(k); /* what it wrote before it went */
    k->exited = 1;
    k->code = status;
    k->sig = sig;
    if (k->polling) {
        uv_poll_stop(&k->poll);
        uv_close((uv_handle_t *)&k->poll, on_poll_closed);
        k->polling = 0;
    }
    char role[32];
    snprintf(role, sizeof role, k->probe ? "probe" : "client %d", k->index);
    scope_events_proc("exit", c->pid, getpid(), role, status, sig);
    for (int i = 0; i < MAX_PEERS; i++)
        if (srv.peers[i].used && srv.peers[i].pid == k->pid)
            peer_forget(&srv.peers[i], "its process exited");
    scope_events_chan("close", k->chan, "udp", SCOPE_PID(k->pid), server_end(),
                      k->probe ? "the probe exited" : "the client exited");
    if (sig)
        scope_events_log("waitpid(%ld): %s was killed by SIG%s; the server goes on", (long)c->pid,
                         k->probe ? "the probe" : k->chan, sigabbrev_np(sig));
    else
        scope_events_log("waitpid(%ld): %s exited %d", (long)c->pid,
                         k->probe ? "the probe" : k->chan, status);
    if (k->probe) {
        srv.probe_kid = -1;
        if (!srv.finishing && srv.lesson_part != LESSON_IDLE) {
            scope_events_error("probe",
                               "the lesson's sender is gone mid-step; skipping to the echo");
            lesson_on_done("gone", 0);
        }
    } else {
        srv.clients_running--;
        if (sig && !srv.finishing)
            srv.exit_code = 1;
    }
    server_maybe_finish();
}

/* Starts this program as a client or the probe. Its fd 3 is the write end
 * of a pipe whose read end we keep; its events go where ours go. */
kid_t *spawn_kid(int probe, int index)
{
    if (srv.nkids == MAX_CLIENTS + 1)
        return NULL;
    kid_t *k = &srv.kids[srv.nkids];
    memset(k, 0, sizeof *k);
    k->report_fd = -1;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        scope_events_error("spawn", "pipe2: %s", strerror(errno));
        return NULL;
    }
    k->rbuf = malloc(sizeof(rec_final_t) + 256);
    if (!k->rbuf) {
        close(p[0]);
        close(p[1]);
        return NULL;
    }
    k->probe = probe;
    k->index = index;
    if (probe)
        snprintf(k->chan, sizeof k->chan, "probe");
    else
        snprintf(k->chan, sizeof k->chan, "udp%d", index);

    char count[32], rate[32], size[32], idx[32], timeout[32], maxm[32], tput[48];
    snprintf(count, sizeof count, "--count=%ld", udp.demo.count);
    snprintf(rate, sizeof rate, "--rate=%g", udp.demo.rate);
    snprintf(size, sizeof size, "--size=%zu", udp.demo.size);
    snprintf(idx, sizeof idx, "--client-index=%d", index);
    snprintf(timeout, sizeof timeout, "--timeout=%ld", udp.timeout_ms);
    snprintf(maxm, sizeof maxm, "--max-message=%zu", udp.max_message);
    snprintf(tput, sizeof tput, "--throughput=%llu", (unsigned long long)udp.throughput);
    char *argv[16];
    int n = 0;
    argv[n++] = udp.self;
    if (probe) {
        argv[n++] = "--as-probe";
        argv[n++] = srv.echo_name;
        argv[n++] = "--connect";
        argv[n++] = srv.lesson_name;
    } else {
        argv[n++] = "--as-client";
        argv[n++] = "--connect";
        argv[n++] = srv.echo_name;
        argv[n++] = count;
        argv[n++] = rate;
        argv[n++] = size;
        argv[n++] = timeout;
        if (srv.mode == MODE_THROUGHPUT)
            argv[n++] = tput;
        if (udp.demo.paused)
            argv[n++] = "--start-paused";
        if (srv.mode == MODE_LESSON)
            argv[n++] = "--wait-go";
    }
    argv[n++] = idx;
    argv[n++] = maxm;
    argv[n++] = "--report-fd=3";
    argv[n] = NULL;

    scope_demo_child_events_t ev;
    scope_demo_child_events(&ev, 4);
    scope_spawn_fd_t fds[2] = {{.parent_fd = p[1], .child_fd = 3}, ev.fd};
    scope_spawn_options_t o = {
        .file = udp.self,
        .argv = argv,
        .setenv = ev.env,
        .fds = fds,
        .nfds = 1 + ev.nfds,
        .death_signal = SIGTERM, /* if the server dies, its children hear of it */
    };
    k->child.data = k;
    int r = scope_spawn(udp.loop, &k->child, &o, on_kid_exit);
    close(p[1]);
    if (r < 0) {
        scope_events_error("spawn", "cannot start %s: %s", udp.self, strerror(-r));
        close(p[0]);
        free(k->rbuf);
        k->rbuf = NULL;
        return NULL;
    }
    k->used = 1;
    k->pid = k->child.pid;
    k->report_fd = p[0];
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    uv_poll_init(udp.loop, &k->poll, p[0]);
    k->poll.data = k;
    uv_poll_start(&k->poll, UV_READABLE, on_report_readable);
    k->polling = 1;
    srv.nkids++;
    if (probe)
        scope_events_chan("open", k->chan, "udp", SCOPE_PID(k->pid), server_end(),
                          "the lesson's sender; it obeys datagrams from the server");
    if (!probe) {
        srv.clients_running++;
        char detail[160];
        snprintf(detail, sizeof detail, "client %d's socket, connected to %s", index,
                 srv.echo_name);
        scope_events_chan("open", k->chan, "udp", SCOPE_PID(k->pid), server_end(), detail);
    }
    return k;
}

/* The lesson is over: a client may start sending. */
void kid_go(kid_t *k)
{
    if (k->exited)
        return;
    if (k->port <= 0) {
        k->go_pending = 1; /* sent when its port arrives */
        return;
    }
    k->go_pending = 0;
    static const char go[] = "{\"cmd\":\"go\"}";
    struct sockaddr_in to;
    uv_ip4_addr("127.0.0.1", k->port, &to);
    scope_events_msg("send", k->chan, server_end(), SCOPE_PID(k->pid), 0, sizeof go - 1, go, 0);
    int r = udp_send(&srv.echo, go, sizeof go - 1, (struct sockaddr *)&to);
    if (r < 0)
        scope_events_error("send", "sendmsg() of go to %s: %s", k->chan, uv_strerror(r));
}

kid_t *probe_kid(void)
{
    return srv.probe_kid >= 0 ? &srv.kids[srv.probe_kid] : NULL;
}

/* Tells the probe what to send next: a datagram from the echo socket. */
void probe_command(const char *cmd)
{
    kid_t *k = probe_kid();
    if (!k) {
        scope_events_error("probe", "no probe runs to send '%s' to", cmd);
        lesson_on_done("gone", 0);
        return;
    }
    if (k->port <= 0) {
        /* Not started yet: the command goes out when its port arrives. */
        snprintf(srv.probe_pending, sizeof srv.probe_pending, "%s", cmd);
        return;
    }
    struct sockaddr_in to = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)k->port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (srv.echo_addr.ss_family != AF_INET)
        uv_ip4_addr("127.0.0.1", k->port, &to);
    scope_events_msg("send", "probe", server_end(), SCOPE_PID(k->pid), 0, strlen(cmd), cmd, 0);
    int r = udp_send(&srv.echo, cmd, strlen(cmd), (struct sockaddr *)&to);
    if (r < 0)
        scope_events_error("probe", "sendmsg() of '%s' to the probe: %s", cmd, uv_strerror(r));
}
