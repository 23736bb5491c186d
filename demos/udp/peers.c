/* peers.c: the server's table of peers. UDP has no connection: a peer is
 * only the address each datagram carries, and this table is the server's
 * own note of them, for naming them in its events. An outside peer is named
 * by its address and forgotten after --idle-ms of silence; one of the
 * demo's own clients is known before its first datagram (the server made
 * its socket) and named by its process.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "udp.h"

static void on_sweep(uv_timer_t *t)
{
    udp_peers_t *peers = t->data;
    uint64_t now = scope_time_now_ns(), limit = peers->idle_ms * 1000000ull;
    for (int i = 0; i < MAX_PEERS; i++) {
        udp_peer_t *p = &peers->p[i];
        if (!p->used || p->ours || now - p->last_ns <= limit)
            continue;
        char idle[32];
        scope_events_log("%s said nothing for %s: forgotten (there is no connection to close, "
                         "only our note of it)",
                         p->name, scope_time_format(idle, sizeof idle, (double)limit));
        scope_trace_close(&p->trace);
        p->used = 0;
    }
}

void peers_start(udp_peers_t *t, uv_loop_t *loop, uint64_t idle_ms, int fd)
{
    t->idle_ms = idle_ms;
    t->fd = fd;
    /* Swept often enough that a short --idle-ms is kept to within a tenth. */
    uint64_t every = idle_ms >= 10000 ? 1000 : (idle_ms + 9) / 10;
    uv_timer_init(loop, &t->sweep);
    t->sweep.data = t;
    uv_timer_start(&t->sweep, on_sweep, every, every);
    uv_unref((uv_handle_t *)&t->sweep); /* the note never keeps the server alive */
}

void peers_close(udp_peers_t *t)
{
    if (t->sweep.loop && !uv_is_closing((uv_handle_t *)&t->sweep))
        uv_close((uv_handle_t *)&t->sweep, NULL);
}

/* A slot for a new peer: a free one, or the quietest outside peer's. */
static udp_peer_t *take_slot(udp_peers_t *t, const struct sockaddr *addr, int ours)
{
    udp_peer_t *p = NULL, *oldest = NULL;
    for (int i = 0; i < MAX_PEERS && !p; i++) {
        udp_peer_t *q = &t->p[i];
        if (!q->used)
            p = q;
        else if (!q->ours && (!oldest || q->last_ns < oldest->last_ns))
            oldest = q;
    }
    if (!p && !(p = oldest))
        return NULL;
    if (p->used)
        scope_trace_close(&p->trace);
    memset(p, 0, sizeof *p);
    p->used = 1;
    p->ours = ours;
    p->last_ns = scope_time_now_ns();
    memcpy(&p->addr, addr, scope_addr_len(addr));
    scope_addr_format(addr, p->name, sizeof p->name);
    return p;
}

udp_peer_t *peers_find(udp_peers_t *t, const struct sockaddr *from)
{
    socklen_t alen = scope_addr_len(from);
    for (int i = 0; i < MAX_PEERS; i++) {
        udp_peer_t *q = &t->p[i];
        if (q->used && memcmp(&q->addr, from, alen) == 0) {
            q->last_ns = scope_time_now_ns();
            return q;
        }
    }
    udp_peer_t *p = take_slot(t, from, 0);
    if (!p) /* every slot is one of our clients: MAX_PEERS > MAX_CLIENTS */
        p = &t->p[MAX_PEERS - 1];
    char chan[32];
    snprintf(chan, sizeof chan, "udp:%d", scope_addr_port(from));
    scope_trace_init(&p->trace, chan, SCOPE_PID(getpid()), SCOPE_PEER(p->name));
    scope_events_log("recvmsg(fd %d): first datagram from %s, a peer known by its address alone: "
                     "no handshake came first, none is needed",
                     t->fd, p->name);
    scope_trace_open(&p->trace, "udp", "an outside peer; UDP has no accept()");
    return p;
}

void peers_expect(udp_peers_t *t, const struct sockaddr *addr, const char *chan, long pid)
{
    udp_peer_t *p = take_slot(t, addr, 1);
    if (p)
        scope_trace_init(&p->trace, chan, SCOPE_PID(getpid()), SCOPE_PID(pid));
}
