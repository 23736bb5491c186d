/* peers.c: the server's table of peers. UDP has no connection: a peer is
 * only the address each datagram carries, and this table is the server's
 * own note of them, for naming them in its events. A process of the demo
 * (a client, a probe) is known before its first datagram: the server made
 * its socket. An outside peer is named by its address, then by the process
 * that holds it (lib/peer, off the loop thread), and forgotten after
 * --idle-ms of silence. Once a second the server says what came from whom.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "peer.h"
#include "udp.h"

#define MAX_PEERS 64

typedef struct {
    int used, ours; /* ours: a client of the demo, never forgotten */
    struct sockaddr_storage addr;
    char name[SCOPE_ADDR_STRLEN];
    uint64_t last_ns, top_id, told; /* the highest id seen; the count last narrated */
    scope_trace_t trace;
    scope_peer_req_t *lookup; /* naming an outside peer, off the loop thread */
} udp_peer_t;

static struct {
    udp_peer_t p[MAX_PEERS];
    uv_timer_t sweep;
    uint64_t idle_ms, told_ns;
    int fd;
} t;

/* One short line for the peers heard from since the last: how many
 * datagrams each sent so far, and how many ids never came (the ids are the
 * clients' own count; the server sees a loss only as a gap). */
static void narrate(void)
{
    char line[300];
    int n = 0;
    uint64_t missing = 0;
    for (int i = 0; i < MAX_PEERS; i++) {
        udp_peer_t *p = &t.p[i];
        missing += p->used && p->top_id > p->trace.received ? p->top_id - p->trace.received : 0;
        if (!p->used || p->trace.received == p->told || n >= 200)
            continue;
        p->told = p->trace.received;
        n += snprintf(line + n, sizeof line - (size_t)n, "%s%s %llu", n ? ", " : "",
                      p->trace.chan, (unsigned long long)p->told);
    }
    if (n)
        scope_events_log("received: %s; missing ids: %llu", line,
                         (unsigned long long)missing);
}

static void on_sweep(uv_timer_t *timer)
{
    (void)timer;
    uint64_t now = scope_time_now_ns(), limit = t.idle_ms * 1000000ull;
    for (int i = 0; i < MAX_PEERS; i++) {
        udp_peer_t *p = &t.p[i];
        if (!p->used || p->ours || now - p->last_ns <= limit)
            continue;
        char idle[32];
        scope_events_log("%s said nothing for %s: forgotten (there is no connection to close, "
                         "only our note of it)",
                         p->name, scope_time_format(idle, sizeof idle, (double)limit));
        scope_peer_cancel(p->lookup);
        scope_trace_close(&p->trace);
        p->used = 0;
    }
    if (now - t.told_ns >= 1000000000ull) {
        t.told_ns = now;
        narrate();
    }
}

void peers_start(uv_loop_t *loop, uint64_t idle_ms, int fd)
{
    t.idle_ms = idle_ms;
    t.fd = fd;
    /* Swept often enough that a short --idle-ms is kept to within a tenth. */
    uint64_t every = idle_ms >= 10000 ? 1000 : (idle_ms + 9) / 10;
    uv_timer_init(loop, &t.sweep);
    uv_timer_start(&t.sweep, on_sweep, every, every);
    uv_unref((uv_handle_t *)&t.sweep); /* the note never keeps the server alive */
}

void peers_close(void)
{
    for (int i = 0; i < MAX_PEERS; i++)
        scope_peer_cancel(t.p[i].lookup);
    if (t.sweep.loop && !uv_is_closing((uv_handle_t *)&t.sweep))
        uv_close((uv_handle_t *)&t.sweep, NULL);
}

/* A slot for a new peer: a free one, or the quietest outside peer's. */
static udp_peer_t *take_slot(const struct sockaddr *addr, int ours)
{
    udp_peer_t *p = NULL, *oldest = NULL;
    for (int i = 0; i < MAX_PEERS && !p; i++) {
        udp_peer_t *q = &t.p[i];
        if (!q->used)
            p = q;
        else if (!q->ours && (!oldest || q->last_ns < oldest->last_ns))
            oldest = q;
    }
    if (!p && !(p = oldest))
        return NULL;
    if (p->used) {
        scope_peer_cancel(p->lookup);
        scope_trace_close(&p->trace);
    }
    memset(p, 0, sizeof *p);
    p->used = 1;
    p->ours = ours;
    p->last_ns = scope_time_now_ns();
    memcpy(&p->addr, addr, scope_addr_len(addr));
    scope_addr_format(addr, p->name, sizeof p->name);
    return p;
}

static void on_named(void *arg, const scope_peer_info_t *who)
{
    udp_peer_t *p = arg;
    p->lookup = NULL;
    if (who->pid > 0)
        scope_events_log("%s is process %ld (%s), found off the loop thread in /proc/net/udp and "
                         "its fds", p->name, who->pid, who->comm);
}

scope_trace_t *peers_find(const struct sockaddr *from, uint64_t id, const char **name)
{
    udp_peer_t *p = NULL;
    socklen_t alen = scope_addr_len(from);
    for (int i = 0; i < MAX_PEERS; i++) {
        udp_peer_t *q = &t.p[i];
        if (q->used && memcmp(&q->addr, from, alen) == 0) {
            q->last_ns = scope_time_now_ns();
            q->top_id = id > q->top_id ? id : q->top_id;
            *name = q->name;
            return &q->trace;
        }
    }
    p = take_slot(from, 0);
    if (!p) /* every slot is one of ours: MAX_PEERS > MAX_CLIENTS + probes */
        p = &t.p[MAX_PEERS - 1];
    char chan[32];
    snprintf(chan, sizeof chan, "udp:%d", scope_addr_port(from));
    scope_trace_init(&p->trace, chan, SCOPE_PID(getpid()), SCOPE_PEER(p->name));
    scope_events_log("recvmsg(fd %d): first datagram from %s, a peer known by its address alone: "
                     "no handshake came first, none is needed", t.fd, p->name);
    scope_trace_open(&p->trace, "udp", "an outside peer; UDP has no accept()");
    p->lookup = scope_peer_lookup_udp(t.sweep.loop, t.fd, from, on_named, p);
    p->top_id = id;
    *name = p->name;
    return &p->trace;
}

void peers_expect(const struct sockaddr *addr, const char *chan, long pid, int ours)
{
    udp_peer_t *p = take_slot(addr, ours);
    if (p)
        scope_trace_init(&p->trace, chan, SCOPE_PID(getpid()), SCOPE_PID(pid));
}
