/* errors.c, step 7: 004's "Error Handling", and its watchdog against a hang.
 *
 *     child.on('error', (err) => ...);
 *     child.on('exit', (code, signal) => ...);
 *     const timeout = setTimeout(() => { child.kill('SIGTERM'); }, 5000);
 *     child.on('exit', () => clearTimeout(timeout));
 *
 *   1. 'error': a child that cannot start (execve of a path that is not
 *      there): ENOENT comes back, and no 'exit' follows.
 *   2. The watchdog: the child is told to hang (its loop stops turning,
 *      SIGTERM's default action in place). After --watchdog-ms, SIGTERM;
 *      it dies of it, and 'exit' brings code null, signal SIGTERM.
 *   3. A child that hangs with a SIGTERM handler (lib/demo's, a loop
 *      that would run it, stuck): SIGTERM does nothing, so after
 *      --grace-ms more the watchdog sends SIGKILL, which cannot be caught.
 *   Each killed child is replaced by a new one for the steps after.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "patterns.h"

static struct {
    patterns_t *p;
    uv_timer_t watchdog, grace;
    int round;     /* 1: dies of SIGTERM, 2: needs SIGKILL */
    uint64_t t0;   /* the hang asked for */
} w;

static void on_grace(uv_timer_t *t)
{
    (void)t;
    scope_events_log("still there %lld ms after SIGTERM: child.kill('SIGKILL')", w.p->grace_ms);
    if (w.p->kid)
        scope_role_kill(&w.p->kid->role, SIGKILL);
}

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    scope_events_log("the watchdog: no exit in %lld ms, child.kill('SIGTERM')", w.p->watchdog_ms);
    if (w.p->kid)
        scope_role_kill(&w.p->kid->role, SIGTERM);
    uv_timer_start(&w.grace, on_grace, (uint64_t)w.p->grace_ms, 0);
}

static void hang(patterns_t *p);

static int on_up(patterns_t *p, const cJSON *msg)
{
    (void)p;
    return patterns_is(msg, "type", "pong") ? PATTERNS_DONE : PATTERNS_NOT_IT;
}

static void on_exit_cb(patterns_t *p, int code, int sig)
{
    uv_timer_stop(&w.watchdog); /* clearTimeout(timeout) */
    uv_timer_stop(&w.grace);
    char took[32], codes[16], sigs[16];
    double ns = (double)(scope_time_now_ns() - w.t0);
    snprintf(codes, sizeof codes, sig ? "null" : "%d", code); /* as node: one of the two */
    snprintf(sigs, sizeof sigs, sig ? "SIG%s" : "null", sig ? sigabbrev_np(sig) : "");
    scope_events_log("child.on('exit'): code %s, signal %s, %s after the hang; clearTimeout()",
                     codes, sigs, scope_time_format(took, sizeof took, ns));
    scope_demo_figure(p->demo, w.round == 1 ? "errors.sigterm_exit_ns" : "errors.sigkill_exit_ns",
                      cJSON_CreateNumber(ns));
    scope_demo_figure(p->demo, w.round == 1 ? "errors.first_signal" : "errors.second_signal",
                      cJSON_CreateString(sig ? sigabbrev_np(sig) : "none"));
    int r = patterns_fork(p, (size_t)p->frame_limit);
    if (r < 0) {
        scope_demo_check(p->demo, 0, "fork", "cannot fork a new child: %s", strerror(-r));
        patterns_end(p->demo);
        return;
    }
    if (w.round++ == 1) {
        hang(p);
        return;
    }
    uv_close((uv_handle_t *)&w.watchdog, NULL);
    uv_close((uv_handle_t *)&w.grace, NULL);
    /* The next step times round trips: not this child's start. */
    patterns_send(p, cJSON_Parse("{\"type\":\"ping\",\"id\":0}"));
    patterns_await(p, on_up, 10000);
}

static void hang(patterns_t *p)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "hang");
    cJSON_AddStringToObject(m, "term", w.round == 1 ? "default" : "caught");
    w.t0 = scope_time_now_ns();
    patterns_send(p, m);
    p->on_exit = on_exit_cb;
    uv_timer_start(&w.watchdog, on_watchdog, (uint64_t)p->watchdog_ms, 0);
    scope_events_log("the child hangs (%s); setTimeout(kill, %lld)",
                     w.round == 1 ? scope_events_tr("SIGTERM kills it")
                                  : scope_events_tr("its SIGTERM handler waits on a stuck loop"),
                     p->watchdog_ms);
}

void patterns_errors(scope_demo_t *d)
{
    patterns_t *p = d->data;
    w.p = p;
    w.round = 1;
    uv_timer_init(d->loop, &w.watchdog);
    uv_timer_init(d->loop, &w.grace);
    /* fork() of a program that is not there: 'error', and no 'exit'. */
    scope_child_t none = {0};
    char *argv[] = {"/nonexistent/child.js", NULL};
    scope_spawn_options_t so = {.file = argv[0], .argv = argv};
    int r = scope_spawn(d->loop, &none, &so, NULL);
    scope_events_log("child.on('error'): spawn %s %s (%s); no 'exit' follows", argv[0],
                     r == -ENOENT ? "ENOENT" : scope_events_tr("failed"), strerror(-r));
    scope_demo_figure(d, "errors.spawn_error", cJSON_CreateString(strerror(-r)));
    hang(p);
}
