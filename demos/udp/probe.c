/* probe.c: the two sides of a lab step, written once for every experiment.
 *
 * The step's sender, "probe", is this program again (lib/role) with --probe
 * KIND --to HOST:PORT; the server's process makes its socket and hands it
 * over as fd 3, so the address it sends from is known before it sends. The
 * receiver is a socket of the step's own on 127.0.0.1 (probe_bind), or the
 * echo server. Both sides trace on the channel "probe"; the receiver's
 * counts, sent against received, are that channel's stats (probe_stats),
 * and a step that is over calls probe_end, which goes on to the next.
 */
#include <stdio.h>
#include <unistd.h>

#include "events.h"
#include "udp.h"

/* ==== the server's side ================================================== */

static void on_step_timeout(uv_timer_t *t)
{
    scope_events_error("lesson", "the step waited %d ms for the probe's datagrams: going on",
                       STEP_WAIT_MS);
    probe_end(t->data, NULL);
}

/* A receiver on 127.0.0.1, a port the kernel picks, and a bound on the
 * step's wait. It reads once the caller calls probe_read. */
void probe_bind(udp_probe_t *p, scope_demo_t *d)
{
    struct sockaddr_storage a;
    int alen = sizeof a;
    p->demo = d;
    p->bound = 1;
    scope_addr_parse("127.0.0.1:0", NULL, 0, &a);
    uv_udp_init(d->loop, &p->sock);
    uv_udp_bind(&p->sock, (struct sockaddr *)&a, 0);
    uv_udp_getsockname(&p->sock, (struct sockaddr *)&a, &alen);
    uv_fileno((uv_handle_t *)&p->sock, &p->fd);
    scope_addr_format((struct sockaddr *)&a, p->name, sizeof p->name);
    uv_timer_init(d->loop, &p->timer);
    p->sock.data = p->timer.data = p;
    uv_timer_start(&p->timer, on_step_timeout, STEP_WAIT_MS, 0);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    udp_probe_t *p = h->data;
    (void)suggested;
    *buf = uv_buf_init(p->buf, sizeof p->buf);
}

void probe_read(udp_probe_t *p, uv_udp_recv_cb on_recv)
{
    uv_udp_recv_start(&p->sock, on_alloc, on_recv);
}

static void on_report(scope_role_t *r, const cJSON *fig)
{
    udp_probe_t *p = r->data;
    p->sent = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(fig, "sent"));
    if (p->on_report)
        p->on_report(p, fig);
}

static void on_exit_role(scope_role_t *r, int code, int sig)
{
    udp_probe_t *p = r->data;
    (void)code, (void)sig;
    if (p->demo->quitting && p->bound)
        probe_end(p, NULL);
    else if (p->on_exit)
        p->on_exit(p);
}

/* Starts the probe with args (--probe KIND --to ...) on a socket made here:
 * p->from is the address its datagrams will carry. */
int probe_spawn(udp_probe_t *p, scope_demo_t *d, const char *const *args)
{
    socklen_t len = sizeof p->from;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = -1;
    p->demo = d;
    scope_addr_parse("127.0.0.1:0", NULL, 0, &p->from);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&p->from, sizeof(struct sockaddr_in)) == 0 &&
        getsockname(fd, (struct sockaddr *)&p->from, &len) == 0) {
        scope_spawn_fd_t fds[1] = {{.parent_fd = fd, .child_fd = 3}};
        scope_role_options_t o = {.argv = args, .fds = fds, .nfds = 1};
        p->role.data = p;
        p->role.on_report = on_report;
        p->role.on_exit = on_exit_role;
        r = scope_role_spawn(d, &p->role, "probe", &o);
    }
    if (fd >= 0)
        close(fd); /* the probe has its copy */
    if (r < 0)
        scope_events_error("spawn", "the probe could not start");
    else
        scope_trace_init(&p->trace, "probe", SCOPE_PID(getpid()), SCOPE_PID(p->role.pid));
    return r;
}

/* The receiver's counts as the probe channel's stats, with more fields
 * (taken over; NULL for none). */
void probe_stats(udp_probe_t *p, cJSON *more, int final)
{
    cJSON *o = cJSON_CreateObject();
    int64_t got = (int64_t)p->trace.received;
    cJSON_AddStringToObject(o, "chan", "probe");
    cJSON_AddNumberToObject(o, "count", (double)got);
    cJSON_AddNumberToObject(o, "bytes", (double)p->trace.bytes_received);
    cJSON_AddNumberToObject(o, "sent", (double)p->sent);
    cJSON_AddNumberToObject(o, "received", (double)got);
    cJSON_AddNumberToObject(o, "dropped", (double)(p->sent > got ? p->sent - got : 0));
    for (cJSON *f; more && (f = more->child);)
        cJSON_AddItemToObject(o, f->string, cJSON_DetachItemViaPointer(more, f));
    cJSON_Delete(more);
    cJSON_AddBoolToObject(o, "final", final);
    scope_events_emit("stats", o);
}

/* The step is over: a receiver's last stats, and the next step. */
void probe_end(udp_probe_t *p, cJSON *more)
{
    if (!p->over && p->bound) {
        probe_stats(p, more, 1);
        uv_close((uv_handle_t *)&p->timer, NULL);
        uv_close((uv_handle_t *)&p->sock, NULL);
    } else {
        cJSON_Delete(more);
    }
    if (!p->over++)
        scope_demo_next(p->demo);
}

/* ==== the probe's own process ============================================ */

static struct {
    scope_demo_t *d;
    uv_udp_t sock;
    const struct sockaddr *to;
    scope_trace_t trace;
    int64_t sent;
} me;

/* The socket the server made for us (fd 3), and the trace our datagrams go on. */
uv_udp_t *probe_open(scope_demo_t *d, const struct sockaddr *to)
{
    if (scope_demo_start(d, uv_default_loop(), "probe", 0) < 0)
        return NULL;
    me.d = d;
    me.to = to;
    uv_udp_init(d->loop, &me.sock);
    uv_udp_open(&me.sock, 3); /* if it fails (started by hand), the first send binds one */
    scope_trace_init(&me.trace, "probe", SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    return &me.sock;
}

/* One datagram, whole or not at all, traced if it left and show says so;
 * returns what sendmsg() returned. */
int probe_send(const char *data, size_t len, uint64_t id, int show)
{
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    int r = uv_udp_try_send(&me.sock, &b, 1, me.to);
    if (r >= 0 && show)
        scope_trace_msg(&me.trace, SCOPE_TRACE_SEND, id, data, len, 0);
    me.sent += r >= 0;
    return r;
}

/* Figures (taken over; NULL for none) to the server, with "sent"; at the
 * end, the probe stops. */
void probe_report(cJSON *fig, int end)
{
    fig = fig ? fig : cJSON_CreateObject();
    cJSON_AddNumberToObject(fig, "sent", (double)me.sent);
    scope_demo_report(me.d, fig);
    if (end) {
        uv_close((uv_handle_t *)&me.sock, NULL);
        scope_demo_stop(me.d);
    }
}
