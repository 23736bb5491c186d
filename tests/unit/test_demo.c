/* Unit tests of lib/demo.c: the pause, step and rate state machine that the
 * dashboard's control commands drive.
 *
 * Each test runs a demo on a private libuv loop, applies commands with
 * scope_demo_apply_control() exactly as a relayed {"cmd":...} object, turns the
 * loop with UV_RUN_NOWAIT, and counts what ran: lesson steps, paced messages,
 * on_control and on_quit calls. The events go to a pipe named in
 * IPCSCOPE_EVENT_FD, as under the dashboard, which the test reads back and
 * parses, so the step, log and error events are checked too.
 *
 * Nothing here waits on the clock: pacers run at rate 0 (the next turn) or at
 * the highest rate, and no assertion is about elapsed time.
 */
#include "demo.h"
#include "events.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the fixture -------------------------------------------------------- */

/* Enough loop turns for anything due now to have run (and a little more). */
#define TURNS 4

static struct {
    uv_loop_t loop;
    scope_demo_t d;
    scope_pacer_t pacer[2];
    int fired[2];  /* paced messages sent, per pacer */
    int steps_run; /* lesson step callbacks run */
    int chain;     /* steps a step callback starts after itself */
    int quits;     /* on_quit calls */
    int controls;  /* on_control calls */
    char last_control[16];
    int ev_read, ev_write;
    cJSON *events; /* every event read back, in order */
    char evbuf[65536];
    size_t evhave; /* bytes of a line not yet complete */
} fx;

static void on_quit(scope_demo_t *d)
{
    (void)d;
    fx.quits++;
}

static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)d;
    (void)msg;
    fx.controls++;
    snprintf(fx.last_control, sizeof fx.last_control, "%s", cmd);
}

static void setup(void)
{
    memset(&fx, 0, sizeof fx);
    ck_assert_int_eq(uv_loop_init(&fx.loop), 0);
    fx.d.on_quit = on_quit;
    fx.d.on_control = on_control;
    fx.d.rate = 0;
    fx.d.size = 64;

    /* The events go to a pipe, named as the dashboard names it, so that even
     * the proc event of scope_demo_start lands there and not on stdout. */
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    fx.ev_read = p[0];
    fx.ev_write = p[1];
    ck_assert_int_eq(fcntl(fx.ev_read, F_SETFL, O_NONBLOCK), 0);
    char fd[16];
    snprintf(fd, sizeof fd, "%d", fx.ev_write);
    setenv("IPCSCOPE_EVENT_FD", fd, 1);
    ck_assert_int_eq(scope_demo_start(&fx.d, &fx.loop, "test", 0), 0);
    unsetenv("IPCSCOPE_EVENT_FD");
    ck_assert_int_eq(scope_events_fd(), fx.ev_write);
    ck_assert_int_eq(scope_events_format(), SCOPE_EVENTS_JSON);
    fx.events = cJSON_CreateArray();
}

static void teardown(void)
{
    scope_demo_stop(&fx.d);
    uv_run(&fx.loop, UV_RUN_NOWAIT); /* let the closes finish */
    ck_assert_int_eq(uv_loop_close(&fx.loop), 0);
    scope_events_close();
    close(fx.ev_read);
    close(fx.ev_write);
    cJSON_Delete(fx.events);
    cJSON_Delete(fx.d.params);
}

/* Applies one command given as JSON text. */
static void ctl(const char *json)
{
    cJSON *msg = cJSON_Parse(json);
    ck_assert_msg(msg != NULL, "bad test command %s", json);
    scope_demo_apply_control(&fx.d, msg);
    cJSON_Delete(msg);
}

static void turns(int n)
{
    for (int i = 0; i < n; i++)
        uv_run(&fx.loop, UV_RUN_NOWAIT);
}

/* Reads the events written so far into fx.events. Every event is one line
 * of at most 4096 bytes, and the few a test makes fit in the pipe. */
static void read_events(void)
{
    char *buf = fx.evbuf;
    size_t have = fx.evhave;
    ssize_t n;
    while ((n = read(fx.ev_read, buf + have, sizeof fx.evbuf - have)) > 0)
        have += (size_t)n;
    ck_assert_msg(n == 0 || errno == EAGAIN, "read events: %s", strerror(errno));
    char *start = buf, *nl;
    while ((nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
        *nl = '\0';
        cJSON *ev = cJSON_Parse(start);
        ck_assert_msg(ev != NULL, "an event is not JSON: %s", start);
        cJSON_AddItemToArray(fx.events, ev);
        start = nl + 1;
    }
    have -= (size_t)(start - buf);
    memmove(buf, start, have);
    fx.evhave = have;
}

static const char *str_of(const cJSON *ev, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* The number of events of one kind read so far. */
static int count_events(const char *kind)
{
    read_events();
    int n = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, fx.events)
    {
        n += strcmp(str_of(ev, "ev"), kind) == 0;
    }
    return n;
}

/* The last event of one kind, or NULL. */
static const cJSON *last_event(const char *kind)
{
    read_events();
    const cJSON *last = NULL, *ev;
    cJSON_ArrayForEach(ev, fx.events)
    {
        if (strcmp(str_of(ev, "ev"), kind) == 0)
            last = ev;
    }
    return last;
}

/* A lesson step's callback: counts, and starts fx.chain more steps one after
 * the other, as a lesson's steps do. */
static void step_cb(scope_demo_t *d)
{
    fx.steps_run++;
    if (fx.chain > 0) {
        fx.chain--;
        scope_demo_step(d, "next", step_cb);
    }
}

static void pacer_cb(scope_pacer_t *p)
{
    fx.fired[p == &fx.pacer[0] ? 0 : 1]++;
}

static void init_pacers(int n)
{
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(scope_pacer_init(&fx.d, &fx.pacer[i]), 0);
}

/* ---- lesson steps -------------------------------------------------------- */

/* A lesson table: each step says it is over with scope_demo_next, which is
 * how a demo's files go on without calling each other. */
static int lesson_order[8], lesson_n, lesson_ends;
static void lesson_a(scope_demo_t *d) { lesson_order[lesson_n++] = 1; scope_demo_next(d); }
static void lesson_b(scope_demo_t *d) { (void)d; lesson_order[lesson_n++] = 2; } /* waits */
static void lesson_c(scope_demo_t *d) { lesson_order[lesson_n++] = 3; scope_demo_next(d); }
static void lesson_end(scope_demo_t *d) { (void)d; lesson_ends++; }

START_TEST(lesson_table_goes_step_by_step)
{
    static const scope_demo_lesson_t lesson[] = {
        {"a", lesson_a}, {"b", lesson_b}, {"c", lesson_c}, {NULL, NULL}};
    lesson_n = lesson_ends = 0;
    fx.d.on_lesson_end = lesson_end;
    scope_demo_lesson(&fx.d, lesson);
    turns(TURNS);
    ck_assert_int_eq(lesson_n, 2); /* b has not said it is over */
    ck_assert_int_eq(lesson_ends, 0);
    scope_demo_next(&fx.d);        /* b's answer came */
    turns(TURNS);
    ck_assert_int_eq(lesson_n, 3);
    ck_assert_int_eq(lesson_order[2], 3);
    ck_assert_int_eq(lesson_ends, 1);
    ck_assert_int_eq(count_events("step"), 3);
    scope_demo_next(&fx.d); /* after the end: nothing */
    turns(TURNS);
    ck_assert_int_eq(lesson_ends, 1);
}
END_TEST

START_TEST(lesson_table_waits_in_step_mode_and_stops_at_quit)
{
    static const scope_demo_lesson_t lesson[] = {
        {"a", lesson_a}, {"b", lesson_b}, {"c", lesson_c}, {NULL, NULL}};
    lesson_n = lesson_ends = 0;
    fx.d.on_lesson_end = lesson_end;
    fx.d.step_mode = 1;
    scope_demo_lesson(&fx.d, lesson);
    turns(TURNS);
    ck_assert_int_eq(lesson_n, 0);
    ctl("{\"cmd\":\"step\"}");
    turns(TURNS);
    ck_assert_int_eq(lesson_n, 1); /* a ran, b waits for its step */
    ctl("{\"cmd\":\"quit\"}");
    scope_demo_next(&fx.d); /* b's answer after quit: the lesson is over */
    turns(TURNS);
    ck_assert_int_eq(lesson_n, 1);
    ck_assert_int_eq(lesson_ends, 1);
}
END_TEST

START_TEST(step_runs_on_next_turn_without_step_mode)
{
    scope_demo_step(&fx.d, "one", step_cb);
    ck_assert_int_eq(fx.steps_run, 0); /* never from inside scope_demo_step */
    turns(TURNS);
    ck_assert_int_eq(fx.steps_run, 1);

    const cJSON *ev = last_event("step");
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(cJSON_GetObjectItem(ev, "n")->valueint, 1);
    ck_assert_str_eq(str_of(ev, "title"), "one");
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(ev, "waiting")));
    ck_assert_int_eq(count_events("proc"), 1); /* scope_demo_start's, on the same pipe */
}
END_TEST

START_TEST(step_waits_in_step_mode_until_step)
{
    fx.d.step_mode = 1;
    scope_demo_step(&fx.d, "one", step_cb);
    turns(TURNS);
    ck_assert_int_eq(fx.steps_run, 0);
    const cJSON *ev = last_event("step");
    ck_assert_ptr_nonnull(ev);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(ev, "waiting")));

    ctl("{\"cmd\":\"step\"}");
    ck_assert_int_eq(fx.steps_run, 0); /* released to the loop, not run inside the command */
    turns(TURNS);
    ck_assert_int_eq(fx.steps_run, 1);
    ck_assert_int_eq(fx.d.step_credits, 0);
    ck_assert_int_eq(count_events("step"), 1); /* the command itself emits no step event */
}
END_TEST

START_TEST(one_step_command_releases_exactly_one_step)
{
    fx.d.step_mode = 1;
    fx.chain = 2; /* three steps in a row */
    scope_demo_step(&fx.d, "one", step_cb);
    for (int i = 1; i <= 3; i++) {
        ctl("{\"cmd\":\"step\"}");
        turns(TURNS);
        ck_assert_int_eq(fx.steps_run, i);
        ck_assert_int_eq(count_events("step"), i < 3 ? i + 1 : 3);
    }
    turns(TURNS);
    ck_assert_int_eq(fx.steps_run, 3);

    int n = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, fx.events)
    {
        if (strcmp(str_of(ev, "ev"), "step") == 0) {
            ck_assert_int_eq(cJSON_GetObjectItem(ev, "n")->valueint, ++n);
            ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(ev, "waiting")));
        }
    }
    ck_assert_int_eq(n, 3);
}
END_TEST

START_TEST(two_step_commands_release_two_steps)
{
    fx.d.step_mode = 1;
    fx.chain = 2;
    scope_demo_step(&fx.d, "one", step_cb);
    ctl("{\"cmd\":\"step\"}");
    ctl("{\"cmd\":\"step\"}");
    turns(TURNS);
    ck_assert_int_eq(fx.steps_run, 2); /* each credit is one step, never more */
    ck_assert_int_eq(fx.d.step_credits, 0);
}
END_TEST

START_TEST(step_command_before_the_step_is_kept)
{
    /* "step" turns step mode on; its credit waits for the next lesson step. */
    ctl("{\"cmd\":\"step\"}");
    ck_assert_int_eq(fx.d.step_mode, 1);
    ck_assert_int_eq(fx.d.step_credits, 1);
    fx.chain = 1;
    scope_demo_step(&fx.d, "one", step_cb);
    turns(TURNS);
    ck_assert_int_eq(fx.steps_run, 1); /* the kept credit let the first one go */
    ck_assert_int_eq(fx.d.step_credits, 0);
    const cJSON *ev = last_event("step");
    ck_assert_int_eq(cJSON_GetObjectItem(ev, "n")->valueint, 2);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(ev, "waiting")));
}
END_TEST

START_TEST(resume_leaves_step_mode)
{
    fx.d.step_mode = 1;
    fx.chain = 2;
    scope_demo_step(&fx.d, "one", step_cb);
    turns(TURNS);
    ck_assert_int_eq(fx.steps_run, 0);

    ctl("{\"cmd\":\"resume\"}");
    ck_assert_int_eq(fx.d.step_mode, 0);
    turns(TURNS);
    ck_assert_int_eq(fx.steps_run, 3); /* the waiting one and the two after it */
    ck_assert_int_eq(fx.d.step_credits, 0);
    const cJSON *ev = last_event("step");
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(ev, "waiting")));
    ck_assert_str_eq(fx.last_control, "resume");
}
END_TEST

START_TEST(step_after_quit_does_not_wait)
{
    fx.d.step_mode = 1;
    ctl("{\"cmd\":\"quit\"}");
    scope_demo_step(&fx.d, "last words", step_cb);
    turns(TURNS);
    ck_assert_int_eq(fx.steps_run, 1);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(last_event("step"), "waiting")));
}
END_TEST

/* ---- pacing ------------------------------------------------------------- */

START_TEST(pacer_at_rate_zero_fires_once_per_next)
{
    init_pacers(1);
    scope_pacer_next(&fx.pacer[0], pacer_cb);
    ck_assert_int_eq(fx.fired[0], 0);
    turns(TURNS);
    ck_assert_int_eq(fx.fired[0], 1);
    scope_pacer_next(&fx.pacer[0], pacer_cb);
    turns(TURNS);
    ck_assert_int_eq(fx.fired[0], 2);
}
END_TEST

START_TEST(pacer_at_high_rate_fires_once_per_next)
{
    ctl("{\"cmd\":\"rate\",\"hz\":1000000}");
    init_pacers(1);
    for (int i = 1; i <= 5; i++) {
        scope_pacer_next(&fx.pacer[0], pacer_cb);
        uv_run(&fx.loop, UV_RUN_ONCE); /* blocks at most until the pacer's timer */
        uv_run(&fx.loop, UV_RUN_NOWAIT);
        ck_assert_int_eq(fx.fired[0], i);
    }
}
END_TEST

START_TEST(paused_pacer_waits_for_step)
{
    init_pacers(1);
    ctl("{\"cmd\":\"pause\"}");
    ck_assert_int_eq(fx.d.paused, 1);
    for (int i = 1; i <= 3; i++) {
        scope_pacer_next(&fx.pacer[0], pacer_cb);
        turns(TURNS);
        ck_assert_int_eq(fx.fired[0], i - 1);
        ctl("{\"cmd\":\"step\"}");
        turns(TURNS);
        ck_assert_int_eq(fx.fired[0], i); /* one step, one message */
        ck_assert_int_eq(fx.d.step_credits, 0);
        ck_assert_int_eq(fx.d.paused, 1);
    }
}
END_TEST

START_TEST(step_while_paused_before_the_message_is_ready)
{
    init_pacers(1);
    ctl("{\"cmd\":\"pause\"}");
    ctl("{\"cmd\":\"step\"}");
    ck_assert_int_eq(fx.d.step_credits, 1); /* nothing to let go yet */
    scope_pacer_next(&fx.pacer[0], pacer_cb);
    turns(TURNS);
    ck_assert_int_eq(fx.fired[0], 1);
    ck_assert_int_eq(fx.d.step_credits, 0);
    scope_pacer_next(&fx.pacer[0], pacer_cb);
    turns(TURNS);
    ck_assert_int_eq(fx.fired[0], 1); /* the credit is spent: the next one waits */
}
END_TEST

/* The message is on its way (its timer armed, not yet fired) when pause and
 * step arrive: the step must let it go, not leave it parked with the credit
 * unspent. */
START_TEST(step_while_paused_after_the_message_was_armed)
{
    init_pacers(1);
    scope_pacer_next(&fx.pacer[0], pacer_cb);
    ctl("{\"cmd\":\"pause\"}");
    ctl("{\"cmd\":\"step\"}");
    turns(TURNS);
    ck_assert_int_eq(fx.fired[0], 1);
    ck_assert_int_eq(fx.d.step_credits, 0);
    scope_pacer_next(&fx.pacer[0], pacer_cb);
    turns(TURNS);
    ck_assert_int_eq(fx.fired[0], 1); /* one step, one message */
}
END_TEST

START_TEST(step_while_paused_lets_one_of_two_pacers_go)
{
    init_pacers(2);
    ctl("{\"cmd\":\"pause\"}");
    scope_pacer_next(&fx.pacer[0], pacer_cb);
    scope_pacer_next(&fx.pacer[1], pacer_cb);
    turns(TURNS);
    ck_assert_int_eq(fx.fired[0] + fx.fired[1], 0);
    ctl("{\"cmd\":\"step\"}");
    turns(TURNS);
    ck_assert_int_eq(fx.fired[0] + fx.fired[1], 1);
    ctl("{\"cmd\":\"step\"}");
    turns(TURNS);
    ck_assert_int_eq(fx.fired[0], 1);
    ck_assert_int_eq(fx.fired[1], 1);
}
END_TEST

START_TEST(resume_lets_parked_pacers_go)
{
    init_pacers(2);
    ctl("{\"cmd\":\"pause\"}");
    scope_pacer_next(&fx.pacer[0], pacer_cb);
    scope_pacer_next(&fx.pacer[1], pacer_cb);
    turns(TURNS);
    ck_assert_int_eq(fx.fired[0] + fx.fired[1], 0);
    ctl("{\"cmd\":\"resume\"}");
    ck_assert_int_eq(fx.d.paused, 0);
    turns(TURNS);
    ck_assert_int_eq(fx.fired[0], 1);
    ck_assert_int_eq(fx.fired[1], 1);
    turns(TURNS);
    ck_assert_int_eq(fx.fired[0], 1); /* once each: a pacer fires once per next */
    ck_assert_int_eq(fx.fired[1], 1);
}
END_TEST

START_TEST(pause_parks_a_pacer_already_armed)
{
    init_pacers(1);
    scope_pacer_next(&fx.pacer[0], pacer_cb); /* its timer is started */
    ctl("{\"cmd\":\"pause\"}");               /* before the loop turns */
    turns(TURNS);
    ck_assert_int_eq(fx.fired[0], 0);
    ctl("{\"cmd\":\"resume\"}");
    turns(TURNS);
    ck_assert_int_eq(fx.fired[0], 1);
}
END_TEST

START_TEST(step_credit_goes_to_a_waiting_step_first)
{
    init_pacers(1);
    fx.d.step_mode = 1;
    ctl("{\"cmd\":\"pause\"}");
    scope_pacer_next(&fx.pacer[0], pacer_cb);
    scope_demo_step(&fx.d, "one", step_cb);
    turns(TURNS);
    ck_assert_int_eq(fx.steps_run + fx.fired[0], 0);
    ctl("{\"cmd\":\"step\"}");
    turns(TURNS);
    ck_assert_int_eq(fx.steps_run, 1);
    ck_assert_int_eq(fx.fired[0], 0);
    ctl("{\"cmd\":\"step\"}");
    turns(TURNS);
    ck_assert_int_eq(fx.steps_run, 1);
    ck_assert_int_eq(fx.fired[0], 1);
}
END_TEST

START_TEST(pacer_init_refuses_past_the_limit)
{
    static scope_pacer_t many[SCOPE_DEMO_MAX_PACERS + 1];
    for (int i = 0; i < SCOPE_DEMO_MAX_PACERS; i++)
        ck_assert_int_eq(scope_pacer_init(&fx.d, &many[i]), 0);
    ck_assert_int_eq(scope_pacer_init(&fx.d, &many[SCOPE_DEMO_MAX_PACERS]), -ENOSPC);
}
END_TEST

/* ---- rate, size, fault -------------------------------------------------- */

/* Any file of a demo hands its figures to the bye; a later figure of the
 * same name replaces the earlier, and the caller's extra come last. */
START_TEST(figures_reach_the_bye)
{
    scope_demo_figure(&fx.d, "grep_codes", cJSON_CreateString("0 1 2"));
    scope_demo_figure(&fx.d, "stream", cJSON_CreateNumber(1));
    scope_demo_figure(&fx.d, "stream", cJSON_CreateNumber(2));
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddTrueToObject(extra, "complete");
    cJSON_AddStringToObject(extra, "grep_codes", "by the caller");
    ck_assert_int_eq(scope_demo_bye(&fx.d, extra, "done"), 0);
    read_events();
    const cJSON *bye = last_event("bye");
    ck_assert_ptr_nonnull(bye);
    const cJSON *sum = cJSON_GetObjectItemCaseSensitive(bye, "summary");
    ck_assert_int_eq(cJSON_GetArraySize(sum), 3);
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(sum, "stream")->valueint, 2);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(sum, "grep_codes")->valuestring,
                     "by the caller");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sum, "complete")));
    ck_assert_int_eq(scope_demo_bye(&fx.d, NULL, NULL), 0); /* said once: nothing more */
}
END_TEST

/* A failed check is an error event, one more in the bye's "failed", and
 * exit code 1; a check that holds leaves no trace. */
START_TEST(checks_count_their_failures)
{
    ck_assert_int_eq(scope_demo_check(&fx.d, 1, "grep", "fine"), 1);
    ck_assert_int_eq(scope_demo_check(&fx.d, 0, "grep", "exit %d, not %d", 2, 1), 0);
    scope_demo_check(&fx.d, 0, "stream", "short by %d bytes", 7);
    scope_demo_figure_add(&fx.d, "parts", 3);
    ck_assert_int_eq(fx.d.exit_code, 1);
    scope_demo_bye(&fx.d, NULL, "done");
    read_events();
    ck_assert_int_eq(count_events("error"), 2);
    const cJSON *sum = cJSON_GetObjectItemCaseSensitive(last_event("bye"), "summary");
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(sum, "failed")->valueint, 2);
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(sum, "parts")->valueint, 3);
}
END_TEST

START_TEST(rate_takes_its_bounds)
{
    ctl("{\"cmd\":\"rate\",\"hz\":0}");
    ck_assert(fx.d.rate == 0);
    ctl("{\"cmd\":\"rate\",\"hz\":1000000}");
    ck_assert(fx.d.rate == 1e6);
    ctl("{\"cmd\":\"rate\",\"hz\":12.5}");
    ck_assert(fx.d.rate == 12.5);
    ck_assert_int_eq(fx.controls, 3);
    ck_assert_str_eq(fx.last_control, "rate");
    ck_assert_int_eq(count_events("error"), 0);
    ck_assert_str_eq(str_of(last_event("log"), "text"), "control: rate");
}
END_TEST

START_TEST(rate_refuses_bad_values)
{
    const char *bad[] = {
        "{\"cmd\":\"rate\",\"hz\":-1}",     "{\"cmd\":\"rate\",\"hz\":1000000.5}",
        "{\"cmd\":\"rate\",\"hz\":\"10\"}", "{\"cmd\":\"rate\"}",
        "{\"cmd\":\"rate\",\"rate\":10}",   "{\"cmd\":\"rate\",\"hz\":null}",
    };
    fx.d.rate = 7;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ctl(bad[i]);
        ck_assert_msg(fx.d.rate == 7, "%s changed the rate", bad[i]);
        ck_assert_int_eq(count_events("error"), (int)i + 1);
    }
    ck_assert_int_eq(fx.controls, 0); /* a refused command is not passed on */
    const cJSON *ev = last_event("error");
    ck_assert_str_eq(str_of(ev, "what"), "control");
    ck_assert_ptr_nonnull(strstr(str_of(ev, "reason"), "hz"));
}
END_TEST

START_TEST(size_takes_its_bounds)
{
    ctl("{\"cmd\":\"size\",\"bytes\":1}");
    ck_assert_uint_eq(fx.d.size, 1);
    char max[64];
    snprintf(max, sizeof max, "{\"cmd\":\"size\",\"bytes\":%u}", SCOPE_DEMO_MAX_SIZE);
    ctl(max);
    ck_assert_uint_eq(fx.d.size, SCOPE_DEMO_MAX_SIZE);
    ck_assert_int_eq(fx.controls, 2);
    ck_assert_str_eq(fx.last_control, "size");
    ck_assert_int_eq(count_events("error"), 0);
}
END_TEST

START_TEST(size_refuses_bad_values)
{
    char over[64];
    snprintf(over, sizeof over, "{\"cmd\":\"size\",\"bytes\":%u}", SCOPE_DEMO_MAX_SIZE + 1);
    const char *bad[] = {
        "{\"cmd\":\"size\",\"bytes\":0}",
        "{\"cmd\":\"size\",\"bytes\":-64}",
        over,
        "{\"cmd\":\"size\",\"bytes\":\"64\"}",
        "{\"cmd\":\"size\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ctl(bad[i]);
        ck_assert_msg(fx.d.size == 64, "%s changed the size", bad[i]);
        ck_assert_int_eq(count_events("error"), (int)i + 1);
    }
    ck_assert_int_eq(fx.controls, 0);
    ck_assert_ptr_nonnull(strstr(str_of(last_event("error"), "reason"), "bytes"));
}
END_TEST

START_TEST(fault_is_remembered_and_passed_on)
{
    ctl("{\"cmd\":\"fault\",\"kind\":\"drop\"}");
    ck_assert_str_eq(fx.d.fault, "drop");
    ck_assert_str_eq(fx.last_control, "fault");
    ck_assert_str_eq(str_of(last_event("log"), "text"), "control: fault drop");
    ctl("{\"cmd\":\"fault\"}");
    ck_assert_str_eq(fx.d.fault, "");
    ck_assert_int_eq(fx.controls, 2);
}
END_TEST

/* A count for a sentence: singular, plural, and the dashboard's endless run. */
START_TEST(counts_are_said_in_words)
{
    char b[64];
    ck_assert_str_eq(scope_demo_count_of(b, sizeof b, 1, "ping", "pings"), "1 ping");
    ck_assert_str_eq(scope_demo_count_of(b, sizeof b, 0, "ping", "pings"), "0 pings");
    ck_assert_str_eq(scope_demo_count_of(b, sizeof b, 30, "ping", "pings"), "30 pings");
    ck_assert_str_eq(scope_demo_count_of(b, sizeof b, SCOPE_DEMO_ENDLESS, "ping", "pings"),
                     "an endless run of pings");
}
END_TEST

/* A demo that lists its faults is told only those; the rest are refused
 * with the list, and nothing reaches on_control. */
START_TEST(faults_outside_the_demos_list_are_refused)
{
    static const scope_demo_info_t info = {"x", "t", "s", "", "", "oversize silent"};
    fx.d.info = &info;
    ctl("{\"cmd\":\"fault\",\"kind\":\"drop\"}");
    ck_assert_str_eq(fx.d.fault, "");
    ck_assert_int_eq(fx.controls, 0);
    ck_assert_ptr_nonnull(strstr(str_of(last_event("error"), "reason"), "oversize silent"));
    ctl("{\"cmd\":\"fault\",\"kind\":\"silent\"}");
    ck_assert_str_eq(fx.d.fault, "silent");
    ck_assert_int_eq(fx.controls, 1);
}
END_TEST

/* Dotted figure names make object figures; the bye is said once. */
START_TEST(dotted_figures_nest_and_the_bye_is_said_once)
{
    scope_demo_figure(&fx.d, "stream.bytes", cJSON_CreateNumber(7));
    scope_demo_figure_add(&fx.d, "stream.writes", 2);
    scope_demo_figure_add(&fx.d, "stream.writes", 3);
    scope_demo_figure(&fx.d, "top", cJSON_CreateNumber(1));
    ck_assert_int_eq(scope_demo_bye(&fx.d, NULL, "done"), 0);
    cJSON *late = cJSON_CreateObject();
    cJSON_AddTrueToObject(late, "late");
    ck_assert_int_eq(scope_demo_bye(&fx.d, late, "again"), 0); /* late is freed, not said */
    read_events();
    ck_assert_int_eq(count_events("bye"), 1);
    const cJSON *sum = cJSON_GetObjectItemCaseSensitive(last_event("bye"), "summary");
    const cJSON *stream = cJSON_GetObjectItemCaseSensitive(sum, "stream");
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(stream, "bytes")->valueint, 7);
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(stream, "writes")->valueint, 5);
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(sum, "top")->valueint, 1);
}
END_TEST

/* ---- quit, and what is refused ----------------------------------------- */

START_TEST(quit_calls_on_quit_once)
{
    init_pacers(1);
    ctl("{\"cmd\":\"pause\"}");
    ctl("{\"cmd\":\"quit\"}");
    ck_assert_int_eq(fx.quits, 1);
    ck_assert_int_eq(fx.d.quitting, 1);
    ck_assert_int_eq(fx.d.paused, 0); /* winding down is never held by a pause */
    ctl("{\"cmd\":\"quit\"}");
    turns(TURNS);
    ck_assert_int_eq(fx.quits, 1);
    ck_assert_int_eq(fx.controls, 1); /* the pause only: quit goes to on_quit */
    ck_assert_ptr_nonnull(strstr(str_of(last_event("log"), "text"), "winding down"));
}
END_TEST

START_TEST(unknown_commands_are_refused)
{
    const char *bad[] = {"{\"cmd\":\"jump\"}", "{\"cmd\":\"PAUSE\"}", "{\"cmd\":7}",
                         "{\"hz\":3}",         "[\"pause\"]",         "{\"cmd\":null}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ctl(bad[i]);
        ck_assert_int_eq(count_events("error"), (int)i + 1);
    }
    ck_assert_int_eq(fx.controls, 0);
    ck_assert_int_eq(fx.quits, 0);
    ck_assert_int_eq(fx.d.paused, 0);
    ck_assert_int_eq(fx.d.step_mode, 0);
    ck_assert_int_eq(fx.d.step_credits, 0);
    ck_assert_ptr_nonnull(strstr(str_of(last_event("error"), "reason"), "cmd"));
    ck_assert_int_eq(count_events("log"), 0);
}
END_TEST

START_TEST(each_applied_command_reaches_on_control)
{
    const char *cmds[] = {"pause", "step", "resume"};
    for (size_t i = 0; i < 3; i++) {
        char json[64];
        snprintf(json, sizeof json, "{\"cmd\":\"%s\"}", cmds[i]);
        ctl(json);
        ck_assert_int_eq(fx.controls, (int)i + 1);
        ck_assert_str_eq(fx.last_control, cmds[i]);
    }
    ck_assert_int_eq(count_events("log"), 3);
    ck_assert_int_eq(count_events("error"), 0);
}
END_TEST

/* Typed options are read by lib/demo itself; a bad value names the option
 * and what it wants, and leaves the variable as it was. */
static int typed_parse(const scope_demo_option_t *options, int argc, const char **argv,
                       char *error, size_t size)
{
    scope_demo_t d = {0};
    static const scope_demo_info_t info = {"typed", "t", "s", "", "", NULL};
    int r = scope_demo_parse(&d, &info, options, argc, (char **)argv);
    snprintf(error, size, "%s", d.error);
    return r;
}

START_TEST(typed_options_are_read_and_checked)
{
    long long n = 3;
    int flag = 0, lab = 1;
    const char *word = "a", *text = NULL, *parts = NULL, *uids = NULL;
    const scope_demo_option_t options[] = {
        {"n", "N", "a number", SCOPE_OPT_NUMBER, &n, 1, 32, NULL},
        {"flag", NULL, "a flag", SCOPE_OPT_FLAG, &flag, 0, 0, NULL},
        {"kind", "K", "a word", SCOPE_OPT_WORD, &word, 0, 0, "oversize silent vanish"},
        {"to", "HOST:PORT", "a text", SCOPE_OPT_TEXT, &text, 0, 0, NULL},
        {"lab", "on|off", "on or off", SCOPE_OPT_ONOFF, &lab, 0, 0, NULL},
        {"part", "LIST", "words", SCOPE_OPT_LIST, &parts, 0, 0, "spawn exec fork"},
        {"uids", "LIST", "numbers", SCOPE_OPT_LIST, &uids, 0, 4294967294ll, NULL, 3},
        {NULL, NULL, NULL, 0, NULL, 0, 0, NULL},
    };
    char error[256];
    const char *good[] = {"t", "--n", "32", "--flag", "--kind", "silent", "--to", "h:1",
                          "--lab", "off", "--part", "exec,fork", "--uids", "0,1000,4294967294"};
    ck_assert_int_eq(typed_parse(options, 14, good, error, sizeof error), SCOPE_DEMO_RUN);
    ck_assert_str_eq(parts, "exec,fork");
    char item[16];
    const char *at = uids;
    ck_assert(scope_demo_list_next(&at, item, sizeof item) && !strcmp(item, "0"));
    ck_assert(scope_demo_list_next(&at, item, sizeof item) && !strcmp(item, "1000"));
    ck_assert(scope_demo_list_next(&at, item, sizeof item) && !strcmp(item, "4294967294"));
    ck_assert(!scope_demo_list_next(&at, item, sizeof item));
    ck_assert(n == 32 && flag == 1 && lab == 0);
    ck_assert_str_eq(word, "silent");
    ck_assert_str_eq(text, "h:1");
    const struct { const char *opt, *value, *says; } bad[] = {
        {"--n", "33", "--n wants a whole number from 1 to 32, not '33'"},
        {"--n", "0", "from 1 to 32"},
        {"--n", "2x", "not '2x'"},
        {"--n", "", "not ''"},
        {"--n", "99999999999999999999", "from 1 to 32"},
        {"--kind", "silen", "--kind wants one of oversize silent vanish, not 'silen'"},
        {"--kind", "silent vanish", "not 'silent vanish'"},
        {"--kind", "", "not ''"},
        {"--to", "", "--to wants HOST:PORT"},
        {"--lab", "yes", "--lab wants on or off, not 'yes'"},
        {"--part", "exec,forks", "--part wants a comma list of spawn exec fork, not 'exec,forks'"},
        {"--part", "exec,", "not 'exec,'"},
        {"--part", ",exec", "not ',exec'"},
        {"--uids", "1,2,3,4", "--uids wants up to 3 numbers from 0 to 4294967294"},
        {"--uids", "1,-2", "not '1,-2'"},
        {"--uids", "4294967295", "not '4294967295'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv[] = {"t", bad[i].opt, bad[i].value};
        ck_assert_int_eq(typed_parse(options, 3, argv, error, sizeof error), -EINVAL);
        ck_assert_msg(strstr(error, bad[i].says), "%s %s: '%s'", bad[i].opt, bad[i].value, error);
    }
    ck_assert(n == 32 && lab == 0); /* a refused value changed nothing */
    ck_assert_str_eq(word, "silent");
}
END_TEST

static Suite *demo_suite(void)
{
    Suite *s = suite_create("demo");

    TCase *tc = tcase_create("steps");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, step_runs_on_next_turn_without_step_mode);
    tcase_add_test(tc, lesson_table_goes_step_by_step);
    tcase_add_test(tc, lesson_table_waits_in_step_mode_and_stops_at_quit);
    tcase_add_test(tc, step_waits_in_step_mode_until_step);
    tcase_add_test(tc, one_step_command_releases_exactly_one_step);
    tcase_add_test(tc, two_step_commands_release_two_steps);
    tcase_add_test(tc, step_command_before_the_step_is_kept);
    tcase_add_test(tc, resume_leaves_step_mode);
    tcase_add_test(tc, step_after_quit_does_not_wait);
    suite_add_tcase(s, tc);

    tc = tcase_create("pacing");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, pacer_at_rate_zero_fires_once_per_next);
    tcase_add_test(tc, pacer_at_high_rate_fires_once_per_next);
    tcase_add_test(tc, paused_pacer_waits_for_step);
    tcase_add_test(tc, step_while_paused_before_the_message_is_ready);
    tcase_add_test(tc, step_while_paused_after_the_message_was_armed);
    tcase_add_test(tc, step_while_paused_lets_one_of_two_pacers_go);
    tcase_add_test(tc, resume_lets_parked_pacers_go);
    tcase_add_test(tc, pause_parks_a_pacer_already_armed);
    tcase_add_test(tc, step_credit_goes_to_a_waiting_step_first);
    tcase_add_test(tc, pacer_init_refuses_past_the_limit);
    suite_add_tcase(s, tc);

    tc = tcase_create("commands");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, rate_takes_its_bounds);
    tcase_add_test(tc, figures_reach_the_bye);
    tcase_add_test(tc, checks_count_their_failures);
    tcase_add_test(tc, rate_refuses_bad_values);
    tcase_add_test(tc, size_takes_its_bounds);
    tcase_add_test(tc, size_refuses_bad_values);
    tcase_add_test(tc, fault_is_remembered_and_passed_on);
    tcase_add_test(tc, quit_calls_on_quit_once);
    tcase_add_test(tc, typed_options_are_read_and_checked);
    tcase_add_test(tc, faults_outside_the_demos_list_are_refused);
    tcase_add_test(tc, counts_are_said_in_words);
    tcase_add_test(tc, dotted_figures_nest_and_the_bye_is_said_once);
    tcase_add_test(tc, unknown_commands_are_refused);
    tcase_add_test(tc, each_applied_command_reaches_on_control);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(demo_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
