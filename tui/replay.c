/* replay: a recorded run played as if it ran. See replay.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "demo.h"
#include "events.h"
#include "replay.h"

#define TICK_MS 10
#define MAX_GAP_NS 1000000000ull /* a longer silence in the recording is cut to this */

static const scope_demo_info_t info = {
    "replay", "a recorded run, played again", "events written as they were recorded", "", "",
    NULL};

static struct {
    scope_demo_t d;
    FILE *in;
    char *line; /* the next line, read ahead; NULL at the end */
    size_t cap;
    uint64_t t;      /* its recorded time, 0 when it has none */
    int is_msg, is_step;
    uint64_t now;    /* the recording's clock as played: moves only while playing */
    uint64_t last_real;
    int lesson;      /* stop before each recorded step (--step), until resumed */
    int credits;     /* s presses in lesson mode, each one step */
    int one_message; /* s while paused: one more message */
    int steps_played; /* step events written so far */
    uv_timer_t tick;
} r;

/* Reads the next event line, and what the pacing needs of it. */
static void read_next(void)
{
    ssize_t n;
    do
        n = getline(&r.line, &r.cap, r.in);
    while (n > 0 && (r.line[0] == '\n' || r.line[0] == '\r'));
    if (n <= 0) {
        free(r.line);
        r.line = NULL;
        return;
    }
    cJSON *ev = cJSON_Parse(r.line);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(ev, "t");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(ev, "ev");
    r.t = cJSON_IsNumber(t) && t->valuedouble > 0 ? (uint64_t)t->valuedouble : 0;
    r.is_msg = cJSON_IsString(kind) && !strcmp(kind->valuestring, "msg");
    r.is_step = cJSON_IsString(kind) && !strcmp(kind->valuestring, "step");
    cJSON_Delete(ev);
}

/* One line to the dashboard, as recorded: one write(), as lib/events does.
 * Returns -1 when nobody reads any more. */
static int write_line(void)
{
    size_t len = strlen(r.line);
    if (len && r.line[len - 1] != '\n')
        r.line[len++] = '\n'; /* getline left room for the NUL */
    if (r.t > r.now)
        r.now = r.t;
    return write(scope_events_fd(), r.line, len) < 0 ? -1 : 0;
}

static void finish(void)
{
    uv_timer_stop(&r.tick);
    uv_close((uv_handle_t *)&r.tick, NULL);
    fclose(r.in);
    r.in = NULL;
    scope_demo_stop(&r.d);
}

static void on_tick(uv_timer_t *t)
{
    (void)t;
    uint64_t real = scope_time_now_ns(), elapsed = real - r.last_real;
    r.last_real = real;
    /* In lesson mode it plays up to the next step however the dashboard
     * holds it, and waits there for s. */
    int playing = r.lesson || !r.d.paused || r.one_message;
    if (playing && !r.one_message)
        r.now += elapsed;
    while (r.line && (playing || r.one_message)) {
        if (r.is_step && r.lesson && !r.credits)
            break; /* a lesson step waits for s */
        if (!r.one_message && r.t > r.now) {
            if (r.t - r.now > MAX_GAP_NS)
                r.now = r.t - MAX_GAP_NS;
            break;
        }
        r.credits -= r.is_step && r.lesson;
        r.steps_played += r.is_step;
        int was_msg = r.is_msg;
        if (write_line() < 0) { /* the dashboard is gone: so is the replay */
            free(r.line);
            r.line = NULL;
            break;
        }
        read_next();
        if (was_msg && r.one_message) {
            r.one_message = 0;
            break;
        }
    }
    if (!r.line)
        finish();
}

/* b in the dashboard: back to before the last step played. The recording
 * is read again from the top and everything before that step written at
 * once (the dashboard emptied its model to take it); then it waits there,
 * as in lesson mode, for s. */
static void back_one_step(scope_demo_t *d)
{
    (void)d;
    int before = r.steps_played > 1 ? r.steps_played : 1;
    if (!r.in)
        return; /* played to its end: the replayer is stopping */
    rewind(r.in);
    read_next();
    r.steps_played = 0;
    while (r.line && !(r.is_step && r.steps_played + 1 >= before)) {
        r.steps_played += r.is_step;
        if (write_line() < 0) {
            free(r.line);
            r.line = NULL;
            return;
        }
        read_next();
    }
    r.now = r.t;
    r.lesson = 1;
    r.credits = r.one_message = 0;
}

static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)d, (void)msg;
    if (!strcmp(cmd, "step") && r.lesson)
        r.credits++;
    else if (!strcmp(cmd, "step"))
        r.one_message = 1;
    else if (!strcmp(cmd, "resume"))
        r.lesson = 0;
}

static void on_quit(scope_demo_t *d)
{
    (void)d;
    if (uv_is_active((uv_handle_t *)&r.tick))
        finish();
}

int tui_replay_feed(const char *file, int argc, char **argv)
{
    int pr = scope_demo_parse(&r.d, &info, NULL, argc, argv);
    if (pr != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&r.d, pr, stdout, stderr);
    if (!(r.in = fopen(file, "re"))) {
        perror(file);
        return 1;
    }
    r.lesson = r.d.step_mode;
    r.d.on_control = on_control;
    r.d.on_quit = on_quit;
    r.d.on_back = back_one_step;
    if (scope_demo_start(&r.d, uv_default_loop(), "replay", 1) < 0)
        return 1;
    read_next();
    r.now = r.t;
    r.last_real = scope_time_now_ns();
    uv_timer_init(r.d.loop, &r.tick);
    uv_timer_start(&r.tick, on_tick, 0, TICK_MS);
    return scope_demo_run(&r.d);
}

int tui_replay_demo(const char *file, char *out, size_t n)
{
    FILE *f = fopen(file, "re");
    if (!f) {
        snprintf(out, n, "%s: %s", file, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    int found = 0;
    while (!found && getline(&line, &cap, f) > 0) {
        cJSON *ev = cJSON_Parse(line);
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(ev, "ev");
        const cJSON *demo = cJSON_GetObjectItemCaseSensitive(ev, "demo");
        if (cJSON_IsString(kind) && !strcmp(kind->valuestring, "hello") && cJSON_IsString(demo)) {
            snprintf(out, n, "%s", demo->valuestring);
            found = 1;
        }
        cJSON_Delete(ev);
    }
    free(line);
    fclose(f);
    if (!found)
        snprintf(out, n, "%s: no hello event: not a recording of a run", file);
    return found ? 0 : -1;
}
