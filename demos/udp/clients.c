/* clients.c: the articles' echo with N clients, each this program again
 * (lib/role) running udp.c's client on a socket the server bound, so that it
 * knows each client's datagrams from the first. Each client reports its
 * figures at its end and the server adds them up; alone (--connect), a
 * client says the same in its own bye.
 */
#include "udp.h"

static struct {
    scope_demo_t *d;
    scope_role_t roles[MAX_CLIENTS];
    int started, running, cut_short;
    scope_trace_t all; /* every client's trace, added up */
    double lost;
} cl;

/* ==== the server's side ================================================== */

static void on_report(scope_role_t *r, const cJSON *fig)
{
    if (scope_trace_add_figures(&cl.all, cJSON_GetObjectItemCaseSensitive(fig, "trace")) < 0) {
        scope_events_error("report", "bad figures from %s", r->name);
        return;
    }
    cl.lost += scope_role_add_figures(cl.d, fig, "lost");
    scope_role_add_figures(cl.d, fig, "late send_errors");
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
    scope_role_options_t o = {.argv = args};
    for (int i = 0; i < lab->clients; i++) {
        scope_role_t *r = &cl.roles[i];
        struct sockaddr_storage a;
        char name[16], chan[16];
        snprintf(name, sizeof name, "client %d", i + 1);
        snprintf(chan, sizeof chan, "udp%d", i + 1);
        r->on_report = on_report;
        r->on_exit = on_exit_role;
        if (scope_role_spawn_bound(d, r, name, &o, SOCK_DGRAM, 3, &a) < 0)
            continue;
        cl.started++;
        peers_expect((struct sockaddr *)&a, chan, r->pid, 1);
    }
    cl.running = cl.started;
    char datagrams[48], clients[32];
    scope_events_log("%s started; each sends %s of %zu bytes and counts an answer not back "
                     "within %lld ms as lost",
                     scope_demo_count_of(clients, sizeof clients, cl.started, "client", "clients"),
                     scope_demo_count_of(datagrams, sizeof datagrams, d->count, "datagram",
                                         "datagrams"),
                     d->size, lab->timeout_ms);
    if (!cl.running)
        scope_demo_next(d);
}

/* lib/role has relayed quit to each client, which sends its figures and
 * exits; no signal on top, which could kill one mid-exit. */
int clients_quit(void)
{
    cl.cut_short = 1;
    if (cl.running)
        scope_events_log("quit relayed to %d clients; each sends its figures and exits",
                         cl.running);
    return cl.running;
}

/* The clients' figures, added up, for the server's bye; 1 when cut short. */
int clients_figures(scope_demo_t *d, cJSON *o, char *text, size_t len)
{
    char rtt[96];
    scope_role_add_figures(d, NULL, "lost late send_errors"); /* 0 if no report came */
    cJSON_AddNumberToObject(o, "clients", cl.started);
    scope_trace_add_summary(&cl.all, o);
    char clients[32], datagrams[48];
    snprintf(text, len, scope_events_tr("%s: %s sent, %llu answers received, %.0f lost; %s"),
             scope_demo_count_of(clients, sizeof clients, cl.started, "client", "clients"),
             scope_demo_count_of(datagrams, sizeof datagrams, (long)cl.all.sent, "datagram",
                                 "datagrams"),
             (unsigned long long)cl.all.received, cl.lost,
             scope_trace_describe(&cl.all, rtt, sizeof rtt));
    return cl.cut_short;
}

/* ==== a client's own process (--role "client N", or --connect) =========== */

static udp_client_t me;
static const struct sockaddr *me_to;

static void on_done(udp_client_t *c)
{
    char rtt[96], text[300];
    cJSON *o = cJSON_CreateObject();
    scope_trace_add_summary(&c->trace, o);
    cJSON_AddNumberToObject(o, "lost", (double)c->lost);
    cJSON_AddNumberToObject(o, "late", (double)c->late);
    cJSON_AddNumberToObject(o, "send_errors", (double)c->errors);
    cJSON_AddNumberToObject(o, "refused", (double)c->refused);
    snprintf(text, sizeof text,
             scope_events_tr("%llu datagrams sent to %s, %lld answered, %lld lost, %lld late; %s"),
             (unsigned long long)c->trace.sent, c->server, (long long)c->answered,
             (long long)c->lost, (long long)c->late,
             scope_trace_describe(&c->trace, rtt, sizeof rtt));
    if (c->demo->role) { /* the figures go to the server, which adds them up */
        scope_events_log("%s", text); /* translated as it was made */
        cJSON_AddItemToObject(o, "trace", scope_trace_figures(&c->trace));
        scope_demo_report(c->demo, o);
    } else {
        cJSON_AddStringToObject(o, "server", c->server);
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
    const struct sockaddr *to = me_to;
    char name[SCOPE_ADDR_STRLEN], chan[16] = "udp";
    int n = 0;
    scope_addr_format(to, name, sizeof name);
    if (d->role && sscanf(d->role, "client %d", &n) == 1)
        snprintf(chan, sizeof chan, "udp%d", n);
    if (!d->role && !scope_addr_is_loopback(to))
        scope_events_log("%s is across the network: datagrams may be lost or reordered on the "
                         "way, and nothing will tell us but silence", name);
    /* A role has the socket the server made for it, and the server's process. */
    if (udp_client_start(&me, d, to, d->role ? 3 : -1, chan,
                         d->role ? SCOPE_PID(getppid()) : SCOPE_PEER(name)) < 0) {
        me.demo = NULL; /* nothing to stop */
        scope_demo_exit(d, 1);
        scope_demo_stop(d);
    }
}

int client_main(scope_demo_t *d, const struct sockaddr *to, long timeout_ms)
{
    char name[SCOPE_ADDR_STRLEN];
    d->on_quit = on_quit;
    d->on_control = d->role ? on_control : NULL;
    me_to = to;
    me.timeout_ms = timeout_ms;
    me.on_done = on_done;
    if (!d->role) {
        d->params = cJSON_CreateObject();
        cJSON_AddStringToObject(d->params, "connect", scope_addr_format(to, name, sizeof name));
    }
    if (scope_demo_start(d, uv_default_loop(), d->role ? d->role : "client", !d->role) < 0)
        return 1;
    if (d->role) {
        scope_events_proc("ready", getpid(), getppid(), d->role, 0, 0);
        step_client(d);
    } else {
        scope_demo_step(d, "the article's client: send, wait for the answer, time it", step_client);
    }
    return scope_demo_run(d);
}
