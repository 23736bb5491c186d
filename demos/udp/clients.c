/* clients.c: the articles' echo with N clients, each this program again
 * (lib/role) running udp.c's client. The server process binds each
 * client's socket itself and hands it over as fd 3, so its note of peers
 * knows which client a datagram comes from before the first one arrives.
 * Each client reports its figures at its end (scope_demo_report); the
 * server adds them up for its summary. The client's own process is
 * client.c.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "udp.h"

static struct {
    scope_demo_t *d;
    scope_role_t roles[MAX_CLIENTS];
    int started, running, cut_short;
    scope_trace_t all; /* every client's trace, added up */
    double lost, late, errors;
} cl;

static double field(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void on_report(scope_role_t *r, const cJSON *fig)
{
    if (scope_trace_add_figures(&cl.all, cJSON_GetObjectItemCaseSensitive(fig, "trace")) < 0) {
        scope_events_error("report", "bad figures from %s", r->name);
        return;
    }
    cl.lost += field(fig, "lost");
    cl.late += field(fig, "late");
    cl.errors += field(fig, "send_errors");
}

static void on_exit_role(scope_role_t *r, int code, int sig)
{
    (void)r;
    if (code || sig)
        scope_demo_exit(cl.d, 1);
    if (--cl.running == 0)
        scope_demo_next(cl.d);
}

void clients_run(scope_demo_t *d)
{
    const udp_lab_t *lab = d->data;
    char timeout[24];
    cl.d = d;
    scope_trace_init(&cl.all, "clients", SCOPE_PID(getpid()), SCOPE_PEER("server"));
    snprintf(timeout, sizeof timeout, "%lld", lab->timeout_ms);
    const char *args[] = {"--connect", lab->server, "--timeout", timeout,
                          d->paused ? "--start-paused" : NULL, NULL};
    for (int i = 0; i < lab->clients; i++) {
        /* A socket for the client, bound to 127.0.0.1 and a port the kernel picks. */
        struct sockaddr_storage a;
        int fd = scope_addr_bind_loopback(SOCK_DGRAM, &a);
        scope_spawn_fd_t fds[1] = {{.parent_fd = fd, .child_fd = 3}};
        scope_role_options_t ro = {.argv = args, .fds = fds, .nfds = 1};
        scope_role_t *r = &cl.roles[i];
        char name[16], chan[16];
        snprintf(name, sizeof name, "client %d", i + 1);
        snprintf(chan, sizeof chan, "udp%d", i + 1);
        r->on_report = on_report;
        r->on_exit = on_exit_role;
        if (fd < 0 || scope_role_spawn(d, r, name, &ro) < 0) {
            scope_events_error("spawn", "%s could not start", name);
        } else {
            cl.started++;
            cl.running++;
            peers_expect((struct sockaddr *)&a, chan, r->pid, 1);
        }
        if (fd >= 0)
            close(fd); /* the client has its copy */
    }
    scope_events_log("%d clients started, each with a socket the server bound for it; each "
                     "sends %ld datagrams of %zu bytes %s; an answer not back within %lld ms "
                     "counts as lost", cl.started, d->count, d->size,
                     d->rate > 0 ? "at the chosen rate" : "as fast as answers come",
                     lab->timeout_ms);
    if (!cl.running)
        scope_demo_next(d);
}

/* lib/role has relayed quit to each client, which sends its figures and
 * exits. A signal on top of it could land once a client had already put its
 * handlers away, and kill it mid-exit. */
int clients_quit(void)
{
    int n = 0;
    cl.cut_short = 1;
    for (int i = 0; i < cl.started; i++)
        n += cl.roles[i].running;
    if (n)
        scope_events_log("quit relayed to %d clients; each sends its figures and exits", n);
    return n;
}

/* The clients' figures, added up, for the server's bye; 1 when cut short. */
int clients_figures(cJSON *o, char *text, size_t len)
{
    char rtt[96];
    cJSON_AddNumberToObject(o, "clients", cl.started);
    scope_trace_add_summary(&cl.all, o);
    cJSON_AddNumberToObject(o, "lost", cl.lost);
    cJSON_AddNumberToObject(o, "late", cl.late);
    cJSON_AddNumberToObject(o, "send_errors", cl.errors);
    snprintf(text, len, "%d clients: %llu datagrams sent, %llu answers received, %.0f lost; %s",
             cl.started, (unsigned long long)cl.all.sent, (unsigned long long)cl.all.received,
             cl.lost, scope_trace_describe(&cl.all, rtt, sizeof rtt));
    return cl.cut_short;
}
