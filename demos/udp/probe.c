/* probe.c: a lab step's two sides, written once for every experiment. The
 * sender, the probe (sender.c), is this program again (lib/role) on a socket
 * made here, so its address is known before it sends (probe_spawn). The
 * receiver is the step's own socket (probe_bind) or the echo server; its
 * counts are the "probe" channel's stats, and probe_end goes on to the next
 * step.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "udp.h"

static void on_step_timeout(uv_timer_t *t)
{
    scope_events_error("lesson", "the step waited %d ms for the probe's datagrams: going on",
                       STEP_WAIT_MS);
    probe_end(t->data, NULL);
}

/* A receiver on 127.0.0.1, a port the kernel picks, and a bound on the
 * step's wait. The step starts reading when it wants to. */
void probe_bind(udp_probe_t *p, scope_demo_t *d)
{
    struct sockaddr_storage a;
    p->demo = d;
    p->bound = 1;
    p->fd = scope_addr_bind_loopback(SOCK_DGRAM, &a);
    uv_udp_init(d->loop, &p->sock);
    uv_udp_open(&p->sock, p->fd);
    scope_addr_format((struct sockaddr *)&a, p->name, sizeof p->name);
    uv_timer_init(d->loop, &p->timer);
    p->sock.data = p->timer.data = p;
    uv_timer_start(&p->timer, on_step_timeout, STEP_WAIT_MS, 0);
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
    if (code || sig)
        scope_demo_exit(p->demo, 1);
    if (p->demo->quitting && p->bound)
        probe_end(p, NULL);
    else if (p->on_exit)
        p->on_exit(p);
}

/* Starts this program as role name on a socket made here, bound to
 * 127.0.0.1 and a port the kernel picks, that becomes its fd 3: from is the
 * address its datagrams will carry. */
int probe_role_spawn(scope_demo_t *d, scope_role_t *r, const char *name, const char *const *args,
                     struct sockaddr_storage *from)
{
    int fd = scope_addr_bind_loopback(SOCK_DGRAM, from), rc = fd;
    if (fd >= 0) {
        scope_spawn_fd_t fds[1] = {{.parent_fd = fd, .child_fd = 3}};
        scope_role_options_t o = {.argv = args, .fds = fds, .nfds = 1};
        rc = scope_role_spawn(d, r, name, &o);
        close(fd); /* the child has its copy */
    }
    if (rc < 0)
        scope_events_error("spawn", "%s could not start: %s", name, uv_strerror(rc));
    return rc;
}

/* Starts the probe of kind, sending to `to`; a step whose receiver is bound
 * here ends if it cannot start. */
int probe_spawn(udp_probe_t *p, scope_demo_t *d, const char *kind, const char *to)
{
    const udp_lab_t *lab = d->data;
    char max[24], bytes[24];
    snprintf(max, sizeof max, "%lld", lab->max_message);
    snprintf(bytes, sizeof bytes, "%lld", lab->throughput);
    const char *args[] = {"--probe", kind, "--to", to, "--max-message", max,
                          lab->throughput ? "--throughput" : NULL, bytes, NULL};
    /* The stream is the throughput run's one client, on its channel. */
    int stream = !strcmp(kind, "stream");
    p->demo = d;
    p->role.data = p;
    p->role.on_report = on_report;
    p->role.on_exit = on_exit_role;
    int r = probe_role_spawn(d, &p->role, stream ? "client 1" : "probe", args, &p->from);
    if (r == 0)
        scope_trace_init(&p->trace, stream ? "udp1" : "probe", SCOPE_PID(getpid()),
                         SCOPE_PID(p->role.pid));
    else if (p->bound)
        probe_end(p, NULL);
    return r;
}

/* The receiver's counts as the probe channel's stats, added to o (taken
 * over; NULL for none). */
void probe_stats(udp_probe_t *p, cJSON *o, int final)
{
    int64_t got = (int64_t)p->trace.received;
    o = o ? o : cJSON_CreateObject();
    cJSON_AddStringToObject(o, "chan", "probe");
    cJSON_AddNumberToObject(o, "count", (double)got);
    cJSON_AddNumberToObject(o, "bytes", (double)p->trace.bytes_received);
    cJSON_AddNumberToObject(o, "sent", (double)p->sent);
    cJSON_AddNumberToObject(o, "received", (double)got);
    cJSON_AddNumberToObject(o, "dropped", (double)(p->sent > got ? p->sent - got : 0));
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
