/* Unit tests of the dashboard's demo session (tui/session.c), without a
 * terminal: its state machine driven on a private loop, with
 * build/tests/helpers/fakedemo as the demo (a parent and a child ping-ponging
 * over a socketpair, in their own process group).
 *
 *   1. launch: RUNNING, the events reach the model, a second launch is refused;
 *   2. stop: {"cmd":"quit"}, the demo says bye, STOPPED once no process of
 *      its group is left, and IDLE again;
 *   3. a demo whose first process ends by itself: EXITED, still RUNNING,
 *      until stop;
 *   4. a demo that ignores quit and SIGTERM: QUITTING, TERMINATING, KILLING,
 *      then IDLE;
 *   5. stop while IDLE reports STOPPED at once.
 *
 * Every test runs its loop with a watchdog, so a hung demo fails the test
 * instead of hanging it. It links build/libipcscope-tui.a.
 */
#include "../../tui/session.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "timing.h"

#define WATCHDOG_MS 20000

/* ---- helpers --------------------------------------------------------- */

typedef struct {
    uv_loop_t loop;
    uv_timer_t watchdog, poll;
    tui_model_t *model;
    tui_session_t s;
    int news[TUI_SESSION_STOPPED + 1];                     /* how many of each news */
    tui_session_state_t seen[16];    /* the state at each change, deduplicated */
    int nseen;
    int (*until)(const tui_session_t *s); /* the poll timer stops the loop when true */
    int running;                          /* inside run_until */
    int timed_out;
} fixture_t;

static void on_news(tui_session_t *s, tui_session_news_t news)
{
    fixture_t *f = s->data;
    f->news[news]++;
    if (f->nseen == 0 || (f->seen[f->nseen - 1] != s->state && f->nseen < 16))
        f->seen[f->nseen++] = s->state;
    if (news == TUI_SESSION_STOPPED && f->running)
        uv_stop(&f->loop);
}

static void on_watchdog(uv_timer_t *t)
{
    fixture_t *f = t->data;
    f->timed_out = 1;
    tui_session_kill(&f->s, SIGKILL);
    uv_stop(&f->loop);
}

static void on_poll(uv_timer_t *t)
{
    fixture_t *f = t->data;
    if (f->until && f->until(&f->s))
        uv_stop(&f->loop);
}

static void setup(fixture_t *f)
{
    memset(f, 0, sizeof *f);
    signal(SIGPIPE, SIG_IGN); /* a demo that left is an EPIPE, as in the dashboard */
    ck_assert_int_eq(uv_loop_init(&f->loop), 0);
    f->model = tui_model_new();
    ck_assert_ptr_nonnull(f->model);
    tui_session_init(&f->s, &f->loop, f->model, on_news);
    f->s.data = f;
    uv_timer_init(&f->loop, &f->watchdog);
    f->watchdog.data = f;
    uv_timer_start(&f->watchdog, on_watchdog, WATCHDOG_MS, 0);
    uv_timer_init(&f->loop, &f->poll);
    f->poll.data = f;
    uv_timer_start(&f->poll, on_poll, 10, 10);
}

/* Runs the loop until cond holds (checked every 10 ms) or, with NULL, until
 * the session reports STOPPED. */
static void run_until(fixture_t *f, int (*cond)(const tui_session_t *s))
{
    f->until = cond;
    f->running = 1;
    uv_run(&f->loop, UV_RUN_DEFAULT);
    f->running = 0;
    ck_assert_msg(!f->timed_out, "the watchdog fired (state %d)", (int)f->s.state);
}

static void teardown(fixture_t *f)
{
    tui_session_close(&f->s);
    uv_close((uv_handle_t *)&f->watchdog, NULL);
    uv_close((uv_handle_t *)&f->poll, NULL);
    scope_spawn_shutdown(&f->loop);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&f->loop), 0);
    tui_model_free(f->model);
}

static const char *fakedemo(void)
{
    static char path[1024];
    const char *build = getenv("BUILD");
    snprintf(path, sizeof path, "%s/tests/helpers/fakedemo", build && *build ? build : "build");
    return path;
}

static int group_gone(long pgid)
{
    return kill(-(pid_t)pgid, 0) < 0 && errno == ESRCH;
}

static const tui_model_t *model_of(const tui_session_t *s)
{
    return ((const fixture_t *)s->data)->model;
}

/* Three messages, and both processes told: the child's own events come on
 * its own writes, which may follow the parent's first messages. */
static int three_messages_two_procs(const tui_session_t *s)
{
    return model_of(s)->msgs_total >= 3 && model_of(s)->nprocs >= 2;
}

static int first_exited(const tui_session_t *s)
{
    return !s->child.running && model_of(s)->ended;
}

static int escalated_to_kill(const tui_session_t *s)
{
    return s->state == TUI_SESSION_KILLING || s->state == TUI_SESSION_IDLE;
}

static int seen(const fixture_t *f, tui_session_state_t st)
{
    for (int i = 0; i < f->nseen; i++)
        if (f->seen[i] == st)
            return 1;
    return 0;
}

/* ---- tests ----------------------------------------------------------- */

START_TEST(launch_then_stop)
{
    fixture_t f;
    setup(&f);
    f.s.count = "0"; /* until told to stop */
    ck_assert_int_eq(tui_session_launch(&f.s, fakedemo(), 50, 64), 0);
    ck_assert_int_eq(f.s.state, TUI_SESSION_RUNNING);
    ck_assert_int_gt(f.s.pgid, 0);
    ck_assert_int_eq(tui_session_launch(&f.s, fakedemo(), 50, 64), -EBUSY);

    run_until(&f, three_messages_two_procs);
    ck_assert_str_eq(f.model->demo, "fork-ipc");
    ck_assert_int_ge(f.model->nprocs, 2); /* the parent and its child */
    ck_assert_int_gt(f.news[TUI_SESSION_PROC], 0);
    long pgid = f.s.pgid;

    tui_session_stop(&f.s);
    ck_assert_int_eq(f.s.state, TUI_SESSION_QUITTING);
    tui_session_stop(&f.s); /* again: no-op */
    ck_assert_int_eq(f.s.state, TUI_SESSION_QUITTING);
    run_until(&f, NULL);
    ck_assert_int_eq(f.news[TUI_SESSION_STOPPED], 1);
    ck_assert_int_eq(f.news[TUI_SESSION_EXITED], 1);
    ck_assert_int_eq(f.s.state, TUI_SESSION_IDLE);
    ck_assert_int_eq(f.s.pgid, 0);
    ck_assert(f.model->ended); /* the demo quit on the command and said bye */
    ck_assert(!seen(&f, TUI_SESSION_TERMINATING));
    ck_assert(group_gone(pgid));
    teardown(&f);
}
END_TEST

START_TEST(demo_that_ends_stays_until_stopped)
{
    fixture_t f;
    setup(&f);
    f.s.count = "3";
    ck_assert_int_eq(tui_session_launch(&f.s, fakedemo(), 100, 64), 0);
    run_until(&f, first_exited);
    ck_assert_int_eq(f.news[TUI_SESSION_EXITED], 1);
    ck_assert_int_eq(f.s.state, TUI_SESSION_RUNNING); /* the figures stay on screen */
    ck_assert_int_eq(f.news[TUI_SESSION_STOPPED], 0);

    tui_session_stop(&f.s);
    run_until(&f, NULL);
    ck_assert_int_eq(f.s.state, TUI_SESSION_IDLE);
    ck_assert_int_eq(f.news[TUI_SESSION_STOPPED], 1);
    teardown(&f);
}
END_TEST

START_TEST(stubborn_demo_gets_sigterm_then_sigkill)
{
    /* A "demo" that ignores its control pipe and SIGTERM (as its children do:
     * an ignored signal stays ignored across fork and exec). */
    char path[1024];
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/stubborn-%d.sh", tmp && *tmp ? tmp : "/tmp", (int)getpid());
    FILE *sh = fopen(path, "w");
    ck_assert_ptr_nonnull(sh);
    fputs("#!/bin/sh\ntrap '' TERM\nwhile :; do sleep 0.05; done\n", sh);
    fclose(sh);
    chmod(path, 0700);

    fixture_t f;
    setup(&f);
    ck_assert_int_eq(tui_session_launch(&f.s, path, 5, 64), 0);
    long pgid = f.s.pgid;
    uint64_t t0 = scope_time_now_ns();
    tui_session_stop(&f.s);
    run_until(&f, escalated_to_kill);
    uint64_t ms = (scope_time_now_ns() - t0) / 1000000;
    ck_assert_uint_ge(ms, TUI_SESSION_QUIT_WAIT_MS + TUI_SESSION_TERM_WAIT_MS);
    if (f.s.state != TUI_SESSION_IDLE)
        run_until(&f, NULL);
    unlink(path);
    ck_assert(seen(&f, TUI_SESSION_QUITTING));
    ck_assert(seen(&f, TUI_SESSION_TERMINATING));
    ck_assert(seen(&f, TUI_SESSION_KILLING));
    ck_assert_int_eq(f.s.state, TUI_SESSION_IDLE);
    ck_assert_int_eq(f.news[TUI_SESSION_STOPPED], 1);
    ck_assert(group_gone(pgid));
    teardown(&f);
}
END_TEST

START_TEST(stop_when_idle_reports_stopped_at_once)
{
    fixture_t f;
    setup(&f);
    tui_session_stop(&f.s);
    ck_assert_int_eq(f.news[TUI_SESSION_STOPPED], 1);
    ck_assert_int_eq(f.s.state, TUI_SESSION_IDLE);
    /* Nothing to send to: a fault is refused with a note, not a crash. */
    ck_assert_ptr_null(tui_session_fault(&f.s));
    ck_assert_uint_eq(f.model->log_len, 1);
    teardown(&f);
}
END_TEST

START_TEST(missing_demo_is_an_error_and_stays_idle)
{
    fixture_t f;
    setup(&f);
    ck_assert_int_eq(tui_session_launch(&f.s, "/nonexistent/demo", 5, 64), -ENOENT);
    ck_assert_int_eq(f.s.state, TUI_SESSION_IDLE);
    ck_assert_int_eq(f.s.pgid, 0);
    teardown(&f);
}
END_TEST

static Suite *session_suite(void)
{
    Suite *s = suite_create("session");
    TCase *tc = tcase_create("state machine");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, launch_then_stop);
    tcase_add_test(tc, demo_that_ends_stays_until_stopped);
    tcase_add_test(tc, stubborn_demo_gets_sigterm_then_sigkill);
    tcase_add_test(tc, stop_when_idle_reports_stopped_at_once);
    tcase_add_test(tc, missing_demo_is_an_error_and_stays_idle);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(session_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
