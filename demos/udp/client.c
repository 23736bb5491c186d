/* client.c: a client's own process, one of the server's (--role "client N",
 * on the socket the server bound for it, fd 3) or alone (--connect). It runs
 * udp.c's client; its figures end in the server's summary (scope_demo_report)
 * or, alone, in a bye of its own: the same figures, the same words.
 */
#include <stdio.h>
#include <unistd.h>

#include "events.h"
#include "udp.h"

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
    snprintf(text, sizeof text, "%llu datagrams sent to %s, %lld answered, %lld lost, %lld late; %s",
             (unsigned long long)c->trace.sent, c->server, (long long)c->answered,
             (long long)c->lost, (long long)c->late, scope_trace_describe(&c->trace, rtt, sizeof rtt));
    if (c->demo->role) { /* the figures go to the server, which adds them up */
        scope_events_log("%s", text);
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
