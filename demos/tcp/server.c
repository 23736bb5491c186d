/* server.c: the chat server's connections and children. Each accepted
 * connection is named (our own child, an outside process found in /proc, or
 * an address) and given a role; a chat line is echoed to its sender and
 * broadcast to the others, and a peer that leaves is announced. The children
 * are this program again (--as-client, --as-lab), each with a pipe on which
 * the server relays the dashboard's commands. The run's order is in main.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcp.h"

server_t srv;

scope_end_t server_end(void)
{
    return SCOPE_PID(self_pid);
}

static scope_end_t peer_end(const conn_t *k)
{
    return k->pid > 0 ? SCOPE_PID(k->pid) : SCOPE_PEER(k->name);
}

void trace_send(conn_t *k, const char *data, size_t len, size_t wire)
{
    k->lines_out++; /* counted even when the event is sampled out: ids must match the peer's */
    if (!scope_events_msg_admit())
        return;
    char sum[128];
    summarize(data, len, sum, sizeof sum);
    scope_events_msg_emit_admitted("send", k->chan, server_end(), peer_end(k), k->lines_out,
                                   wire, sum, 0);
}

/* One line to one peer, in one write(): prefix, words, the line, "\n". */
char *reply_buf;
static size_t reply_cap;

static void reply(conn_t *k, const char *prefix, const char *words, const char *line, size_t len)
{
    size_t pl = strlen(prefix), wl = words ? strlen(words) : 0, n = pl + wl + len + 1;
    if (n > reply_cap) {
        char *b = realloc(reply_buf, n);
        if (!b)
            return;
        reply_buf = b;
        reply_cap = n;
    }
    char *buf = reply_buf;
    memcpy(buf, prefix, pl);
    if (wl)
        memcpy(buf + pl, words, wl);
    memcpy(buf + pl + wl, line, len);
    buf[n - 1] = '\n';
    if (k->c.closing || k->c.ended)
        return;
    trace_send(k, buf, n - 1, n);
    scope_conn_write_raw(&k->c, buf, n);
}

static int chat_members(void)
{
    int n = 0;
    for (conn_t *k = srv.conns; k; k = k->next)
        n += k->role == ROLE_CHAT && !k->c.ended && !k->c.closing;
    return n;
}

static void broadcast(conn_t *from, const char *words, const char *line, size_t len)
{
    for (conn_t *k = srv.conns; k; k = k->next)
        if (k != from && k->role == ROLE_CHAT && !k->c.ended && !k->c.closing) {
            reply(k, BCAST_PREFIX, words, line, len);
            srv.broadcasts++;
        }
}

/* ---- connections ---------------------------------------------------------- */

/* The demo's own clients end each greeting with the round trip of their line
 * before, ", rtt 27.31us": read by hand, as scanf costs more than the rest
 * of a round trip's own work. */
static void take_rtt(const char *line, size_t len)
{
    static const char hello[] = "Hello server! #", bye[] = "Bye server! ", tag[] = ", rtt ";
    if (!(len >= sizeof hello - 1 && memcmp(line, hello, sizeof hello - 1) == 0) &&
        !(len >= sizeof bye - 1 && memcmp(line, bye, sizeof bye - 1) == 0))
        return; /* only the demo's own clients report their round trips */
    const char *p = memmem(line, len, tag, sizeof tag - 1), *end = line + len;
    uint64_t us, frac = 0, scale = 1;
    if (!p)
        return;
    p += sizeof tag - 1;
    if (scope_take_u64(&p, end, &us) < 0 || us >= 100000000)
        return;
    if (p < end && *p == '.') {
        for (p++; p < end && *p >= '0' && *p <= '9'; p++)
            if (scale < 1000) { /* nanoseconds: digits past the third are noise */
                frac = frac * 10 + (uint64_t)(*p - '0');
                scale *= 10;
            }
    }
    if (p + 2 > end || memcmp(p, "us", 2) != 0)
        return;
    uint64_t ns = us * 1000 + frac * 1000 / scale;
    if (ns > 0)
        scope_hist_add(&srv.rtt, ns);
}

static void on_conn_line(scope_conn_t *c, const char *line, size_t len)
{
    conn_t *k = c->data;
    size_t wire = len + (k->role == ROLE_LAB_FRAMED ? 4 : 1);
    k->lines_in++;
    if (scope_events_msg_admit()) {
        char sum[128];
        summarize(line, len, sum, sizeof sum);
        scope_events_msg_emit_admitted("recv", k->chan, peer_end(k), server_end(), k->lines_in,
                                       wire, sum, 0);
    }
    if (k->role == ROLE_LAB_CTRL || k->role == ROLE_LAB_FRAMED) {
        lab_done(k, line, len);
        return;
    }
    reply(k, ECHO_PREFIX, NULL, line, len);
    if (k->role == ROLE_CHAT) { /* the lab's lines are not the chat's figures */
        srv.lines_in++;
        srv.echoes++;
        if (!k->bad) /* a bad client's "round trip" may include its oversize line */
            take_rtt(line, len);
        broadcast(k, k->says, line, len);
    }
}

static void on_conn_error(scope_conn_t *c, const scope_frame_error_t *err)
{
    conn_t *k = c->data;
    srv.refused++;
    scope_events_error("refused", "from %s: %s; the line is dropped, the connection and the "
                       "others go on", k->who, err->reason);
    char words[160];
    int n = snprintf(words, sizeof words, "a line of at least %llu bytes is over the %zu-byte "
                     "limit; dropped", (unsigned long long)err->size, tcp.max_message);
    reply(k, ERROR_PREFIX, NULL, words, (size_t)n);
}

static void on_conn_end(scope_conn_t *c, int status)
{
    conn_t *k = c->data;
    if ((status == 0 || status == UV_ECONNRESET) && c->partial_bytes) {
        /* A reset, not a FIN, when the peer's process ended with data it had
         * not read (broadcasts, here): its kernel answers that with RST. */
        srv.partial++;
        scope_events_error("partial", "%s vanished mid-line: %s with %llu bytes of an "
                           "unfinished line, dropped%s", k->who, status == 0 ? "EOF" : "a reset",
                           (unsigned long long)c->partial_bytes,
                           status == 0 ? "" : " (it left data unread, so its kernel sent RST, "
                                              "not FIN)");
    } else if (status == 0) {
        scope_events_log("read() on fd %d returned 0: %s closed its end (EOF)", k->fd, k->who);
    } else if (status == UV_ETIMEDOUT) {
        srv.timed_out++;
        scope_events_error("idle", "%s said nothing for %llu ms: closed, so a silent peer "
                           "cannot hold a connection forever", k->who,
                           (unsigned long long)tcp.idle_ms);
    } else {
        srv.reset++;
        scope_events_error("connection", "%s: read(): %s; closed", k->who, uv_strerror(status));
    }
}

static void on_conn_close(scope_conn_t *c)
{
    conn_t *k = c->data;
    for (conn_t **p = &srv.conns; *p; p = &(*p)->next)
        if (*p == k) {
            *p = k->next;
            break;
        }
    srv.nconns--;
    scope_events_chan("close", k->chan, "tcp", peer_end(k), server_end(), NULL);
    if (k->role == ROLE_CHAT) {
        char words[64];
        int n = snprintf(words, sizeof words, "%d left the chat", k->port);
        int left = chat_members();
        if (left)
            scope_events_log("close(fd %d): %s removed; telling the %d left", k->fd, k->who, left);
        broadcast(NULL, "", words, (size_t)n);
    }
    if (k == srv.lab_ctrl)
        srv.lab_ctrl = NULL;
    free(k);
    advance();
}

static void conn_free(scope_conn_t *c)
{
    free(c->data);
}

static int kid_pids(long *out)
{
    int n = 0;
    for (int i = 0; i < srv.nkids; i++)
        if (srv.kids[i].running)
            out[n++] = srv.kids[i].pid;
    return n;
}

static int kid_index(long pid)
{
    for (int i = 0; i < srv.nkids; i++)
        if (srv.kids[i].pid == pid)
            return i;
    return -1;
}

void on_connection(uv_stream_t *server, int status)
{
    if (status < 0) {
        scope_events_error("accept", "listen: %s", uv_strerror(status));
        return;
    }
    if (tcp.throughput && !srv.sink_open) {
        sink_accept();
        return;
    }
    conn_t *k = calloc(1, sizeof *k);
    if (!k)
        return;
    scope_conn_init_tcp(server->loop, &k->c, conn_free); /* until it is listed */
    k->c.data = k;
    if (uv_accept(server, &k->c.h.stream) < 0) {
        scope_conn_close(&k->c);
        return;
    }
    k->next = srv.conns;
    srv.conns = k;
    srv.nconns++;
    srv.accepted++;
    k->fd = scope_conn_fd(&k->c);
    struct sockaddr_storage peer, local;
    int len = sizeof peer;
    uv_tcp_getpeername(&k->c.h.tcp, (struct sockaddr *)&peer, &len);
    len = sizeof local;
    uv_tcp_getsockname(&k->c.h.tcp, (struct sockaddr *)&local, &len);
    scope_addr_format((struct sockaddr *)&peer, k->addr, sizeof k->addr);
    k->port = scope_addr_port((struct sockaddr *)&peer);
    snprintf(k->chan, sizeof k->chan, "tcp:%d", k->port);
    snprintf(k->says, sizeof k->says, "%d says: ", k->port); /* once, not per line */

    /* Who is it? Our own children first; on loopback, anyone we may see. */
    long cand[MAX_CLIENTS + 1];
    int ncand = kid_pids(cand);
    int loop = scope_addr_is_loopback((struct sockaddr *)&peer);
    unsigned long inode = socket_inode((struct sockaddr *)&peer, (struct sockaddr *)&local);
    k->pid = socket_owner(inode, cand, ncand, loop);
    int idx = k->pid > 0 ? kid_index(k->pid) : -1;
    k->ours = idx >= 0;
    k->bad = idx >= 0 && srv.kid_fault[idx] != NULL;
    if (idx >= 0 && k->pid == srv.lab_pid) {
        snprintf(k->who, sizeof k->who, "the lab client");
    } else if (k->bad) {
        snprintf(k->who, sizeof k->who, "bad client %d (%s)", idx + 1, srv.kid_fault[idx]);
    } else if (idx >= 0) {
        snprintf(k->who, sizeof k->who, "client %d", idx + 1);
    } else if (k->pid > 0) {
        char comm[24];
        proc_comm(k->pid, comm, sizeof comm);
        snprintf(k->name, sizeof k->name, "%s %ld", comm, k->pid);
        snprintf(k->who, sizeof k->who, "%s", k->name);
        k->pid = -1; /* not ours: an outside peer, named */
    } else {
        snprintf(k->name, sizeof k->name, "%s", k->addr);
        snprintf(k->who, sizeof k->who, "%s", k->addr);
    }

    scope_conn_framing_t framing = SCOPE_CONN_LINES;
    k->role = ROLE_CHAT;
    if (k->ours && k->pid == srv.lab_pid) {
        if (!srv.lab_ctrl) {
            k->role = ROLE_LAB_CTRL;
            srv.lab_ctrl = k;
        } else if (srv.lab_state == 'c') {
            k->role = ROLE_LAB_FRAMED;
            framing = SCOPE_CONN_LENGTH;
        } else {
            k->role = ROLE_LAB_NAGLE;
        }
    }
    if (tcp.nodelay)
        uv_tcp_nodelay(&k->c.h.tcp, 1);
    int nd = sock_nodelay(k->fd);
    char detail[96];
    snprintf(detail, sizeof detail, "%s, fd %d", k->addr, k->fd);
    scope_events_chan("open", k->chan, "tcp", peer_end(k), server_end(), detail);
    scope_events_log("accept4(fd %d) -> fd %d: %s from %s; TCP_NODELAY %s%s", srv.listen_fd,
                     k->fd, k->who, k->addr, nd == 1 ? "on" : "off",
                     k->role == ROLE_CHAT ? "" : (framing == SCOPE_CONN_LENGTH
                                                      ? " (the lab: length-prefixed)"
                                                      : " (the lab)"));
    scope_conn_options_t co = {.framing = framing,
                               .max_frame = framing == SCOPE_CONN_LENGTH ? 1024 * 1024
                                                                         : tcp.max_message,
                               /* our own clients go quiet when the dashboard pauses
                                * them; the idle limit is for everyone else */
                               .idle_ms = k->ours && !k->bad ? 0 : tcp.idle_ms,
                               .on_frame = on_conn_line,
                               .on_error = on_conn_error,
                               .on_end = on_conn_end,
                               .on_close = on_conn_close};
    scope_conn_start(&k->c, &co);
    if (k->role == ROLE_LAB_CTRL)
        lab_send_a(k);
    else if (k->role == ROLE_LAB_FRAMED)
        lab_send_framed(k);
}

/* ---- children ------------------------------------------------------------- */

static void on_kid_exit(scope_child_t *c, int status, int sig)
{
    int i = (int)(c - srv.kids);
    srv.running--;
    int lab = c->pid == srv.lab_pid;
    char role[40];
    if (lab)
        snprintf(role, sizeof role, "lab client");
    else if (srv.kid_fault[i])
        snprintf(role, sizeof role, "bad client %d (%s)", i + 1, srv.kid_fault[i]);
    else
        snprintf(role, sizeof role, "client %d", i + 1);
    scope_events_proc("exit", c->pid, getpid(), role, status, sig);
    if ((sig || status) && !tcp.demo.quitting && !srv.kid_fault[i]) {
        srv.kid_failed = 1;
        scope_events_log("waitpid(%ld): %s %s %d", (long)c->pid, role,
                         sig ? "was killed by signal" : "exited with code", sig ? sig : status);
    }
    if (srv.relay[i] >= 0) {
        close(srv.relay[i]);
        srv.relay[i] = -1;
    }
    advance();
}

int spawn_kid(char *what, char *const *extra)
{
    int i = srv.nkids;
    if (i >= MAX_KIDS)
        return -ENOSPC;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -errno;
    self[n] = '\0';
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    char id[16], count[24], rate[32], size[24], maxm[24];
    snprintf(id, sizeof id, "%d", i + 1);
    snprintf(count, sizeof count, "%ld", tcp.demo.count);
    snprintf(rate, sizeof rate, "%g", tcp.demo.rate);
    snprintf(size, sizeof size, "%zu", tcp.demo.size);
    snprintf(maxm, sizeof maxm, "%zu", tcp.max_message);
    char *argv[32] = {self,      what,     "--connect", srv.dial_str, "--client-id", id,
                      "--count", count,    "--rate",    rate,        "--size",      size,
                      "--max-message", maxm, "--nodelay", tcp.nodelay ? "on" : "off",
                      "--relay-fd", "4"};
    int a = 18;
    for (int j = 0; extra && extra[j] && a < 30; j++)
        argv[a++] = extra[j];
    argv[a] = NULL;
    scope_demo_child_events_t ev;
    scope_demo_child_events(&ev, 3);
    scope_spawn_fd_t fds[2] = {{.parent_fd = p[0], .child_fd = 4}, ev.fd};
    scope_spawn_options_t so = {.file = self, .argv = argv, .setenv = ev.env, .fds = fds,
                                .nfds = 1 + ev.nfds, .death_signal = SIGTERM};
    int r = scope_spawn(tcp.demo.loop, &srv.kids[i], &so, on_kid_exit);
    close(p[0]);
    if (r < 0) {
        close(p[1]);
        return r;
    }
    srv.relay[i] = p[1];
    srv.nkids++;
    srv.running++;
    return i;
}

/* One more client, that misbehaves as kind says (fault.c). */
int spawn_bad_kid(const char *kind)
{
    if (srv.nbad >= MAX_BAD) {
        scope_events_error("fault", "%d bad clients already: no more in one run", MAX_BAD);
        return -ENOSPC;
    }
    char idle[24];
    snprintf(idle, sizeof idle, "%llu", (unsigned long long)tcp.idle_ms);
    char *extra[] = {"--fault", (char *)kind, "--idle-ms", idle, NULL};
    int i = spawn_kid("--as-client", extra);
    if (i < 0) {
        scope_events_error("spawn", "cannot start a bad client: %s", strerror(-i));
        return i;
    }
    srv.kid_fault[i] = kind;
    srv.nbad++;
    scope_events_log("fork() + execve(tcp --as-client --fault %s) -> pid %ld: bad client %d; "
                     "the others go on being served",
                     kind, (long)srv.kids[i].pid, i + 1);
    return i;
}

static void relay(int i, const cJSON *msg)
{
    if (i < 0 || i >= srv.nkids || srv.relay[i] < 0)
        return;
    char *text = cJSON_PrintUnformatted(msg);
    if (!text)
        return;
    size_t n = strlen(text);
    char line[512];
    if (n < sizeof line - 1) {
        memcpy(line, text, n);
        line[n] = '\n';
        if (write(srv.relay[i], line, n + 1) < 0) { /* a full pipe: the command is lost */
        }
    }
    cJSON_free(text);
}

void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    if (strcmp(cmd, "fault") == 0) {
        const char *kind = fault_kind(d->fault);
        if (!kind)
            scope_events_error("fault", "unknown fault '%s' (oversize, silent or vanish)",
                               d->fault);
        else if (srv.phase != PH_CHAT)
            scope_events_log("fault %s: a bad client joins only while the chat runs", kind);
        else
            spawn_bad_kid(kind);
        return;
    }
    if (srv.phase != PH_CHAT)
        return;
    if (strcmp(cmd, "step") == 0) {
        /* During the chat a step lets one line go, from each client in turn;
         * the credit is the chat's, not a later lesson step's. */
        if (d->step_credits > 0)
            d->step_credits--;
        for (int tries = 0; tries < srv.nkids; tries++) {
            int i = srv.step_rr++ % srv.nkids;
            if (srv.kids[i].running && srv.kids[i].pid != srv.lab_pid && !srv.kid_fault[i]) {
                relay(i, msg);
                break;
            }
        }
    } else if (strcmp(cmd, "quit") != 0 && strcmp(cmd, "fault") != 0) {
        for (int i = 0; i < srv.nkids; i++)
            relay(i, msg);
    }
}
