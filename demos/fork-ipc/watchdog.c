/* fork-ipc's watchdog: which step waits for which answer, and for how long.
 *
 * Either side may speak at any time, so a message from the child is not
 * always the answer a step waits for: the step names what it waits for and
 * the function that knows it. A child that answers something else, or
 * nothing (an article's child.js that does not know this lesson), ends the
 * run after --timeout seconds with the reason rather than a silent hang: the
 * channel is disconnected, the child is sent SIGTERM, and the run fails.
 */
#include <signal.h>

#include "events.h"
#include "fork-ipc.h"

typedef struct {
    scope_demo_t *demo;
    scope_channel_t *ch;
    scope_child_t *child;
    const char *label, *what;
    fork_ipc_answer_cb is_answer;
    void *arg;
    double timeout_s;
    uv_timer_t timer;
    int on;
} watch_t;
static watch_t w;

static void on_timeout(uv_timer_t *t)
{
    (void)t;
    scope_events_error("timeout", "no %s from %s in %g s: a child must answer what this demo "
                       "sends, as fork-ipc-child.js does; disconnecting", w.what, w.label,
                       w.timeout_s);
    scope_demo_exit(w.demo, 1);
    scope_channel_disconnect(w.ch);
    scope_child_kill(w.child, SIGTERM, 0);
}

void fork_ipc_watch(scope_demo_t *d, scope_channel_t *ch, scope_child_t *child,
                    const char *label, double timeout_s)
{
    w = (watch_t){.demo = d, .ch = ch, .child = child, .label = label,
                  .timeout_s = timeout_s, .on = 1};
    uv_timer_init(d->loop, &w.timer);
}

void fork_ipc_await(const char *what, fork_ipc_answer_cb is_answer, void *arg)
{
    w.what = what;
    w.is_answer = is_answer;
    w.arg = arg;
    if (w.on && what && w.timeout_s > 0)
        uv_timer_start(&w.timer, on_timeout, (uint64_t)(w.timeout_s * 1e3), 0);
    else if (w.on)
        uv_timer_stop(&w.timer);
}

void fork_ipc_answer(const cJSON *msg)
{
    if (w.is_answer && w.is_answer(w.arg, msg))
        return;
    char *text = cJSON_PrintUnformatted(msg);
    scope_events_log("the child says %.200s; this step waits for %s", text,
                     w.what ? w.what : "nothing");
    cJSON_free(text);
}

void fork_ipc_unwatch(void)
{
    if (w.on)
        uv_close((uv_handle_t *)&w.timer, NULL);
    w.on = 0;
}
