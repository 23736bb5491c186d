/* clients.c: the server's clients, each this program again as `unix-socket
 * --role "client N" --connect ADDR` (lib/role, as cluster.fork() runs the
 * same script again), their figures added up for the server's summary; and
 * what each of them runs (clients_run).
 */
#include "unix-socket.h"

static struct clients {
    scope_demo_t *d;
    const us_options_t *o;
    const char *address;
    scope_demo_cb all_done;
    scope_role_t roles[MAX_CLIENTS + 4];
    int n;
    scope_trace_t *all; /* every client's figures, added up */
} cs;

static void on_report(scope_role_t *r, const cJSON *fig)
{
    if (scope_trace_add_figures(cs.all, fig) < 0)
        scope_events_error("report", "bad figures from %s", r->name);
}

static void on_exit_role(scope_role_t *r, int code, int sig)
{
    scope_demo_check(cs.d, cs.d->quitting || (!sig && (!code || code == CLIENT_REFUSED)), "client",
                     "%s ended with exit code %d, signal %d", r->name, code, sig);
    if (!scope_role_running(cs.d) && cs.all_done)
        cs.all_done(cs.d);
}

static int spawn(int index, const char *fault)
{
    char name[32], maxm[24], tput[24];
    const char *args[12] = {"--connect", cs.address, "--max-message", maxm};
    int a = 4;
    if (cs.n == MAX_CLIENTS + 4)
        return -1;
    if (fault)
        snprintf(name, sizeof name, "bad client (%s)", fault);
    else
        snprintf(name, sizeof name, "client %d", index);
    snprintf(maxm, sizeof maxm, "%lld", cs.o->max_message);
    snprintf(tput, sizeof tput, "%lld", cs.o->throughput);
    if (cs.o->abstract || cs.o->fifo)
        args[a++] = cs.o->fifo ? "--fifo" : "--abstract";
    if (cs.o->throughput && !fault) {
        args[a++] = "--throughput";
        args[a++] = tput;
    }
    if (fault) {
        args[a++] = "--fault";
        args[a++] = fault;
    }
    scope_role_t *r = &cs.roles[cs.n];
    r->on_exit = on_exit_role;
    r->on_report = on_report;
    int rc = scope_role_spawn(cs.d, r, name, &(scope_role_options_t){.argv = args});
    if (rc < 0) {
        scope_events_error("spawn", "cannot start %s: %s", name, strerror(-rc));
        return rc;
    }
    cs.n++;
    scope_demo_figure_add(cs.d, "clients", 1);
    return 0;
}

/* The default run's clients (one for --throughput), and --fault's bad one;
 * their figures are added up into all. */
int clients_start(scope_demo_t *d, const us_options_t *o, const char *address,
                  scope_trace_t *all, scope_demo_cb all_done)
{
    int n = o->throughput ? 1 : (int)o->nclients;
    cs = (struct clients){.d = d, .o = o, .address = address, .all = all, .all_done = all_done};
    scope_trace_init(all, "clients", SCOPE_PID(getpid()), SCOPE_PEER("clients"));
    if (!o->fifo)
        scope_events_log("starting %d %s: each connect()s to %s and %s", n,
                         scope_events_trn("client", "clients", (unsigned long)n), address,
                         o->throughput ? scope_events_tr("streams")
                                       : scope_events_tr("pings, answered \"pong: <msg>\""));
    for (int i = 1; i <= n && !d->quitting; i++)
        spawn(i, NULL);
    if (o->fault && !d->quitting)
        spawn(n + 1, o->fault);
    return cs.n;
}

int clients_add(const char *fault)
{
    return cs.d ? spawn(cs.n + 1, fault) : -1;
}

const char *clients_name_of(pid_t pid)
{
    for (int i = 0; i < cs.n; i++)
        if (cs.roles[i].pid == pid)
            return cs.roles[i].name;
    return NULL;
}

/* ---- a client: this process, started as a role or alone (--connect) ---- */

static us_client_t cli;

/* lib/demo applied it already (the pacer holds or lets go the next ping). */
static void client_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    if (d->role)
        scope_events_log("%s, relayed by the server through lib/role", cmd);
}

static void client_quit(scope_demo_t *d)
{
    (void)d;
    us_client_end(&cli);
}

int clients_run(scope_demo_t *d, const us_options_t *o)
{
    static char shown[PATH_MAX + 2];
    int index = 0;
    if (d->role)
        sscanf(d->role, "client %d", &index);
    if (scope_demo_start(d, uv_default_loop(), d->role ? d->role : "client", !d->role) < 0)
        return 1;
    snprintf(shown, sizeof shown, "%s%.4000s", o->abstract && o->connect[0] != '@' ? "@" : "",
             o->connect);
    cli = (us_client_t){.demo = d, .max_message = (size_t)o->max_message, .shown = shown,
                        .on_line = credentials_client_line};
    d->on_quit = client_quit;
    d->on_control = client_control;
    if (o->fault)
        faults_client(&cli, o->fault);
    else if (o->throughput)
        throughput_client(&cli, (uint64_t)o->throughput);
    const scope_trace_t *t = &cli.trace;
    if (o->fifo)
        t = fifo_client(d, o->connect, index);
    else if (o->abstract)
        us_connect(&cli, NULL, scope_unix_connect_abstract(o->connect + (o->connect[0] == '@')));
    else
        us_connect(&cli, o->connect, -1);
    int code = scope_demo_run(d);
    if (d->role) { /* the server adds up its clients' figures */
        scope_demo_report(d, scope_trace_figures(t));
        return code;
    }
    char text[160];
    cJSON *bye = cJSON_CreateObject();
    scope_trace_add_summary(t, bye);
    cJSON_AddBoolToObject(bye, "refused", code == CLIENT_REFUSED);
    scope_demo_bye(d, bye,
                   code == CLIENT_REFUSED ? N_("refused by the server")
                                          : scope_trace_describe(t, text, sizeof text));
    return code;
}
