/* peers.c: the server's note of its peers. UDP has no connection: a peer is
 * only the address its datagrams carry. The demo's own processes are noted
 * before they send (the server made their sockets); an outside peer at its
 * first datagram, named by lib/peer off the loop thread, and forgotten after
 * --idle-ms of silence. */
#include "peer.h"
#include "udp.h"

#define MAX_PEERS 64 /* more than MAX_CLIENTS: a slot not one of ours is always there */

typedef struct {
    int used, ours; /* ours: a client of the demo, never forgotten */
    struct sockaddr_storage addr;
    char name[SCOPE_ADDR_STRLEN];
    uint64_t last_ns, top_id; /* the highest id its datagrams carried */
    scope_trace_t trace;
    scope_peer_req_t *lookup; /* naming an outside peer */
} udp_peer_t;

static struct {
    udp_peer_t p[MAX_PEERS];
    uv_timer_t sweep;
    uint64_t idle_ms, told_ns, missing;
    int fd;
} t;

static void forget(udp_peer_t *p)
{
    scope_peer_cancel(p->lookup);
    scope_trace_close(&p->trace);
    p->used = 0;
}

static void on_sweep(uv_timer_t *timer)
{
    uint64_t now = scope_time_now_ns(), limit = t.idle_ms * 1000000ull, missing = 0;
    char idle[32];
    (void)timer;
    for (udp_peer_t *p = t.p; p < t.p + MAX_PEERS; p++) {
        if (p->used && p->top_id > p->trace.received)
            missing += p->top_id - p->trace.received;
        if (!p->used || p->ours || now - p->last_ns <= limit)
            continue;
        scope_events_log("%s said nothing for %s: forgotten (no connection to close, only our "
                         "note)", p->name, scope_time_format(idle, sizeof idle, (double)limit));
        forget(p);
    }
    /* UDP tells no one of a loss: a gap in the clients' own numbering is all
     * the server can see. Said at most once a second. */
    if (missing != t.missing && now - t.told_ns >= 1000000000ull) {
        t.told_ns = now;
        t.missing = missing;
        scope_events_log("ids that never came: %llu so far", (unsigned long long)missing);
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

/* A new peer in the first free slot, or else in the quietest outside peer's;
 * its channel is chan, its process pid (or, -1, its address). */
scope_trace_t *peers_expect(const struct sockaddr *addr, const char *chan, long pid, int ours)
{
    udp_peer_t *p = NULL;
    for (udp_peer_t *q = t.p; q < t.p + MAX_PEERS && !(p && !p->used); q++)
        if (!q->used || (!q->ours && (!p || q->last_ns < p->last_ns)))
            p = q;
    if (p->used)
        forget(p);
    memset(p, 0, sizeof *p);
    p->used = 1;
    p->ours = ours;
    p->last_ns = scope_time_now_ns();
    memcpy(&p->addr, addr, scope_addr_len(addr));
    scope_addr_format(addr, p->name, sizeof p->name);
    scope_trace_init(&p->trace, chan, SCOPE_PID(getpid()),
                     pid > 0 ? SCOPE_PID(pid) : SCOPE_PEER(p->name));
    return &p->trace;
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
    socklen_t alen = scope_addr_len(from);
    udp_peer_t *p = t.p;
    while (p < t.p + MAX_PEERS && !(p->used && memcmp(&p->addr, from, alen) == 0))
        p++;
    if (p == t.p + MAX_PEERS) {
        char chan[32];
        snprintf(chan, sizeof chan, "udp:%d", scope_addr_port(from));
        p = scope_container_of(peers_expect(from, chan, -1, 0), udp_peer_t, trace);
        scope_events_log("recvmsg(fd %d): first datagram from %s, a peer known by its address "
                         "alone: no handshake came first, none is needed", t.fd, p->name);
        scope_trace_open(&p->trace, "udp", "an outside peer; UDP has no accept()");
        p->lookup = scope_peer_lookup_udp(t.sweep.loop, t.fd, from, on_named, p);
    }
    p->last_ns = scope_time_now_ns();
    p->top_id = id > p->top_id ? id : p->top_id;
    *name = p->name;
    return &p->trace;
}
