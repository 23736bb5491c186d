/* clients.c: the articles' echo with N clients, each this program again
 * (lib/role) running udp.c's client. The server process binds each
 * client's socket itself and hands it over as fd 3, so its note of peers
 * knows which client a datagram comes from before the first one arrives.
 * Each client reports its figures at its end (scope_demo_report); the
 * server adds them up for its summary. Alone (--connect), a client ends
 * with a summary of its own.
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
    double answered, lost, late, errors;
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
    cl.answered += field(fig, "received");
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
    snprintf(timeout, sizeof timeout, "%ld", lab->timeout_ms);
    const char *args[] = {"--connect", lab->server, "--timeout", timeout,
                          d->paused ? "--start-paused" : NULL, NULL};
    for (int i = 0; i < lab->clients; i++) {
        /* A socket for the client, bound to 127.0.0.1 and a port the kernel picks. */
        struct sockaddr_storage a;
        socklen_t alen = sizeof a;
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        scope_addr_parse("127.0.0.1:0", NULL, 0, &a);
        int ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(struct sockaddr_in)) == 0 &&
                 getsockname(fd, (struct sockaddr *)&a, &alen) == 0;
        scope_spawn_fd_t fds[1] = {{.parent_fd = fd, .child_fd = 3}};
        scope_role_options_t ro = {.argv = args, .fds = fds, .nfds = 1};
        scope_role_t *r = &cl.roles[i];
        char name[16], chan[16];
        snprintf(name, sizeof name, "client %d", i + 1);
        snprintf(chan, sizeof chan, "udp%d", i + 1);
        r->on_report = on_report;
        r->on_exit = on_exit_role;
        if (!ok || scope_role_spawn(d, r, name, &ro) < 0) {
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
                     "sends %ld datagrams of %zu bytes %s; an answer not back within %ld ms "
                     "counts as lost", cl.started, d->count, d->size,
                     d->rate > 0 ? "at the chosen rate" : "as fast as answers come",
                     lab->timeout_ms);
    if (!cl.running)
        scope_demo_next(d);
}

int clients_quit(void)
{
    int n = 0;
    cl.cut_short = 1;
    for (int i = 0; i < cl.started; i++)
        n += scope_role_kill(&cl.roles[i], SIGTERM) == 0;
    if (n)
        scope_events_log("SIGTERM to %d clients; each sends its figures and exits", n);
    return n;
}

/* The figures a summary shows, from a trace and the counts beside it. */
static void figures(cJSON *o, const scope_trace_t *t, double received, double lost, double late,
                    double errors)
{
    scope_hist_summary_t s;
    scope_hist_summarize(&t->latency, &s);
    cJSON_AddNumberToObject(o, "sent", (double)t->sent);
    cJSON_AddNumberToObject(o, "received", received);
    cJSON_AddNumberToObject(o, "round_trips", (double)s.count);
    cJSON_AddNumberToObject(o, "p50", (double)s.p50);
    cJSON_AddNumberToObject(o, "p99", (double)s.p99);
    cJSON_AddNumberToObject(o, "lost", lost);
    cJSON_AddNumberToObject(o, "late", late);
    cJSON_AddNumberToObject(o, "send_errors", errors);
}

int clients_figures(cJSON *o, char *text, size_t len)
{
    char p50[32];
    cJSON_AddNumberToObject(o, "clients", cl.started);
    figures(o, &cl.all, cl.answered, cl.lost, cl.late, cl.errors);
    scope_time_format(p50, sizeof p50, cJSON_GetObjectItem(o, "p50")->valuedouble);
    snprintf(text, len, "%d clients: %llu datagrams sent, %.0f answered, %.0f lost (median "
             "round trip %s)", cl.started, (unsigned long long)cl.all.sent, cl.answered, cl.lost,
             p50);
    return cl.cut_short;
}

/* ==== a client's own process ============================================= */

static udp_client_t me;
static const struct sockaddr *me_to;

static void on_done(udp_client_t *c)
{
    scope_hist_summary_t s;
    scope_hist_summarize(&c->trace.latency, &s);
    char p50[32], p99[32], text[256];
    scope_time_format(p50, sizeof p50, (double)s.p50);
    scope_time_format(p99, sizeof p99, (double)s.p99);
    scope_events_log("%llu sent, %lld answered, %lld lost, %lld late; round trip median %s, "
                     "p99 %s", (unsigned long long)c->trace.sent, (long long)c->answered,
                     (long long)c->lost, (long long)c->late, p50, p99);
    cJSON *o = cJSON_CreateObject();
    figures(o, &c->trace, (double)c->answered, (double)c->lost, (double)c->late,
            (double)c->errors);
    cJSON_AddNumberToObject(o, "refused", (double)c->refused);
    if (c->demo->role) { /* the figures go to the server, which adds them up */
        cJSON_AddItemToObject(o, "trace", scope_trace_figures(&c->trace));
        scope_demo_report(c->demo, o);
    } else {
        cJSON_AddStringToObject(o, "server", c->server);
        snprintf(text, sizeof text, "%llu datagrams sent to %s, %lld answered, %lld lost "
                 "(median round trip %s)", (unsigned long long)c->trace.sent, c->server,
                 (long long)c->answered, (long long)c->lost, p50);
        scope_events_bye(o, text);
        if (c->answered != c->demo->count)
            scope_demo_exit(c->demo, 1);
    }
    scope_demo_stop(c->demo);
}

static void on_quit(scope_demo_t *d)
{
    if (me.demo)
        udp_client_stop(&me);
    else
        scope_demo_stop(d); /* before the client started */
}

/* What the dashboard asked the server, relayed by lib to this client. */
static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)d, (void)msg;
    scope_events_log("%s, relayed from the server", cmd);
}

static void step_client(scope_demo_t *d)
{
    char name[SCOPE_ADDR_STRLEN], chan[16] = "udp";
    int n = 0, r;
    scope_addr_format(me_to, name, sizeof name);
    if (d->role && sscanf(d->role, "client %d", &n) == 1)
        snprintf(chan, sizeof chan, "udp%d", n);
    if (!d->role && !scope_addr_is_loopback(me_to))
        scope_events_log("%s is across the network: datagrams may be lost or reordered on the "
                         "way, and nothing will tell us but silence", name);
    if (d->role) /* the socket the server made for us, and the server's process */
        r = udp_client_start(&me, d, me_to, 3, chan, SCOPE_PID(getppid()));
    else
        r = udp_client_start(&me, d, me_to, -1, chan, SCOPE_PEER(name));
    if (r < 0) {
        me.demo = NULL; /* nothing to stop */
        scope_demo_exit(d, 1);
        scope_demo_stop(d);
    }
}

/* A client: one of the server's (--role "client N") or alone (--connect). */
int client_main(scope_demo_t *d, const struct sockaddr *to, long timeout_ms)
{
    char name[SCOPE_ADDR_STRLEN];
    d->on_quit = on_quit;
    me.timeout_ms = timeout_ms;
    me.on_done = on_done;
    me_to = to;
    if (d->role) {
        d->on_control = on_control;
        if (scope_demo_start(d, uv_default_loop(), d->role, 0) < 0)
            return 1;
        scope_events_proc("ready", getpid(), getppid(), d->role, 0, 0);
        step_client(d);
        return scope_demo_run(d);
    }
    d->params = cJSON_CreateObject();
    cJSON_AddStringToObject(d->params, "mode", "client");
    cJSON_AddStringToObject(d->params, "connect", scope_addr_format(to, name, sizeof name));
    cJSON_AddNumberToObject(d->params, "timeout_ms", (double)timeout_ms);
    if (scope_demo_start(d, uv_default_loop(), "client", 1) < 0)
        return 1;
    scope_demo_step(d, "the article's client: send, wait for the answer, time it", step_client);
    return scope_demo_run(d);
}
