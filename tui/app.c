/* app: the dashboard's loop: the screen's state, the demo's session, keys,
 * timers and signals, and what happens once a demo is down. See app.h.
 *
 * It owns the one tui_ui_t the views draw and the one session: keys change
 * the first (actions.c), the session's news changes both, and a redraw timer
 * draws only when something changed since the last frame.
 */
#include "app.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include <curses.h>

#include "actions.h"
#include "compare.h"
#include "compare_guide.h"
#include "crt.h"
#include "i18n.h"
#include "keys.h"
#include "lesson.h"
#include "model.h"
#include "procfs.h"
#include "session.h"
#include "spawn.h"
#include "timing.h"
#include "view.h"

#define FRAME_MS 33 /* at most 30 frames a second */
#define SCAN_MS  1000

/* What to do once the demo is down. */
typedef enum { AFTER_MENU, AFTER_RESTART, AFTER_QUIT } after_stop_t;

typedef struct {
    uv_loop_t *loop;
    uv_poll_t input;
    uv_signal_t sigwinch, stops[3]; /* SIGINT, SIGTERM, SIGHUP */
    uv_timer_t redraw, scan;
    tui_ui_t ui;
    tui_model_t *model;
    tui_procfs_t *procs;
    tui_session_t session;
    const char *count;      /* --count as asked: "1000000000" unless given */
    const tui_mech_t *mech; /* the demo on screen, or last on screen */
    tui_lesson_t lesson;
    int have_lesson;
    after_stop_t after;
    int dirty;
    unsigned long drawn_generation;
    int interrupts;
    int stop_signal; /* the signal that ended the dashboard, 0 for q */
} app_t;

static app_t app;

static void mark(void)
{
    app.dirty = 1;
}

static void load_lesson(void)
{
    if (app.have_lesson)
        tui_lesson_free(&app.lesson);
    app.ui.lesson_path[0] = '\0';
    app.have_lesson = app.mech &&
                      tui_catalogue_lesson(app.mech, tui_i18n_lang(), app.ui.lesson_path,
                                           sizeof app.ui.lesson_path) == 0 &&
                      tui_lesson_load(app.ui.lesson_path, &app.lesson) == 0;
    app.ui.lesson = app.have_lesson ? &app.lesson : NULL;
}

static void on_scan(uv_timer_t *t)
{
    (void)t;
    if (app.ui.screen == TUI_SCREEN_DEMO && app.session.pgid > 0)
        tui_procfs_scan(app.procs, app.session.pgid, scope_time_now_ns());
    app.ui.now_ns = scope_time_now_ns();
    mark();
}

/* ---- the demo: launching, and after it is down ------------------------------- */

static int launch(const tui_mech_t *m)
{
    char path[PATH_MAX];
    if (tui_catalogue_path(m, path, sizeof path) < 0)
        return -ENOENT;
    int r = tui_session_launch(&app.session, path, app.ui.rate, app.ui.size);
    if (r < 0)
        return r;
    app.mech = m;
    tui_actions_show_demo(&app.ui, m, &app.session);
    load_lesson();
    uv_timer_start(&app.scan, on_scan, 50, SCAN_MS);
    mark();
    return 0;
}

static void stop(after_stop_t after)
{
    app.after = after;
    if (app.session.state == TUI_SESSION_RUNNING)
        app.ui.stopping = 1;
    tui_session_stop(&app.session); /* already IDLE: stopped() at once */
}

static void stopped(void)
{
    app.ui.stopping = 0;
    app.ui.pgid = 0;
    app.procs->n = 0;
    /* A restart that cannot launch again ends on the menu too. */
    if (app.after == AFTER_QUIT)
        uv_stop(app.loop);
    else if (app.after == AFTER_MENU || !app.mech || launch(app.mech) < 0)
        app.ui.screen = TUI_SCREEN_MENU;
}

/* Lesson mode: before a step runs, the lesson's question for it, so the
 * student predicts before the demo answers. */
static void ask_prediction(tui_session_t *s)
{
    char q[512];
    if (app.have_lesson && s->model->step_waiting &&
        tui_lesson_prediction(&app.lesson, s->model->step_n, q, sizeof q))
        tui_model_predict(s->model, scope_time_now_ns(), q);
}

static void on_news(tui_session_t *s, tui_session_news_t news)
{
    if (news == TUI_SESSION_STEP)
        ask_prediction(s);
    if (news == TUI_SESSION_EXITED)
        app.ui.running = 0;
    if (news == TUI_SESSION_PROC || news == TUI_SESSION_EXITED)
        uv_timer_start(&app.scan, on_scan, 30, SCAN_MS); /* show it in the tree soon */
    if (news == TUI_SESSION_STOPPED)
        stopped();
    mark();
}

/* ---- drawing, keys and signals ------------------------------------------------ */

static void on_redraw(uv_timer_t *t)
{
    (void)t;
    if (tui_compare_active()) { /* the compare screen draws itself */
        tui_compare_draw(app.dirty);
        app.dirty = 0;
        return;
    }
    if (!app.dirty && app.model->generation == app.drawn_generation)
        return;
    app.ui.now_ns = scope_time_now_ns();
    tui_actions_keep_selection(&app.ui);
    tui_view_draw(&app.ui);
    app.dirty = 0;
    app.drawn_generation = app.model->generation;
}

/* The actions that change what the loop holds; keys.c names them all. */
static void act(tui_action_t a)
{
    switch (a) {
    case TUI_ACTION_HELP:
        app.ui.help = 1;
        break;
    case TUI_ACTION_LANG:
        tui_i18n_set(tui_i18n_lang() == TUI_LANG_EN ? TUI_LANG_ZH : TUI_LANG_EN);
        load_lesson();
        /* A running demo was started in the old language and narrates in
         * it to its end: only a restart gives it the new one. */
        if (app.session.state == TUI_SESSION_RUNNING) {
            snprintf(app.ui.flash, sizeof app.ui.flash, "%s", tui_i18n(TUI_S_LANG_AT_RESTART));
            app.ui.flash_ns = scope_time_now_ns();
        }
        break;
    case TUI_ACTION_LAUNCH:
    case TUI_ACTION_LAUNCH_LESSON: {
        const tui_mech_t *m = tui_catalogue_get(app.ui.menu_sel);
        tui_session_lesson(&app.session, a == TUI_ACTION_LAUNCH_LESSON, app.count);
        int r = launch(m);
        if (r < 0)
            snprintf(app.ui.flash, sizeof app.ui.flash, "%s: %s%s%s", m->name,
                     tui_i18n(r == -ENOENT ? TUI_S_PLANNED : TUI_S_LAUNCH_FAILED),
                     r == -ENOENT ? "" : ", ", r == -ENOENT ? "" : strerror(-r));
        break;
    }
    case TUI_ACTION_COMPARE:
        tui_compare_open(app.loop);
        break;
    case TUI_ACTION_OPEN_DEMO: { /* Enter on the guide's answer (compare_guide.c) */
        const char *name = tui_compare_guide_demo();
        const tui_mech_t *m = name ? tui_catalogue_find(name) : NULL;
        for (int i = 0; m && i < tui_catalogue_count(); i++)
            if (tui_catalogue_get(i) == m)
                app.ui.menu_sel = i; /* q from the demo comes back to it in the menu */
        tui_session_lesson(&app.session, 0, app.count);
        int r = m ? launch(m) : -ENOENT;
        if (r < 0)
            snprintf(app.ui.flash, sizeof app.ui.flash, "%s: %s", name ? name : "?",
                     tui_i18n(r == -ENOENT ? TUI_S_PLANNED : TUI_S_LAUNCH_FAILED));
        break;
    }
    case TUI_ACTION_RESTART:
        stop(AFTER_RESTART);
        break;
    case TUI_ACTION_BACK:
        stop(app.ui.screen == TUI_SCREEN_MENU ? AFTER_QUIT : AFTER_MENU);
        break;
    default:
        tui_actions_do(a, &app.ui, &app.session);
        break;
    }
}

static void on_input(uv_poll_t *h, int status, int events)
{
    (void)h;
    (void)events;
    if (status < 0)
        return;
    wint_t k;
    int code;
    while (tui_crt_key(&k, &code)) {
        if (code && k == KEY_RESIZE)
            tui_crt_resize();
        else if (tui_compare_active())
            act(tui_compare_key(k, code)); /* its own keys; L comes back */
        else if (app.ui.help)
            app.ui.help = 0; /* any key closes the help */
        else
            act(tui_keys_action(app.ui.screen, k, code));
        mark();
    }
}

static void on_winch(uv_signal_t *h, int sig)
{
    (void)h;
    (void)sig;
    tui_crt_resize();
    mark();
    on_redraw(NULL); /* relayout at once, not at the next frame */
}

static void on_stop_signal(uv_signal_t *h, int sig)
{
    (void)h;
    if (++app.interrupts > 1) {
        /* Asked twice: do not wait for the demo any longer. */
        tui_session_kill(&app.session, SIGKILL);
        tui_crt_done();
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    /* Winds down cleanly, then exits 128 + sig as a shell expects of a
     * program stopped by a signal. */
    app.stop_signal = sig;
    stop(AFTER_QUIT);
}

/* ---- the dashboard ----------------------------------------------------------- */

int tui_app_run(const tui_app_options_t *o)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "ipcscope: the dashboard needs a terminal (try 'ipcscope list')\n");
        return 1;
    }
    app.loop = uv_default_loop();
    app.model = tui_model_new();
    app.procs = tui_procfs_new();
    if (!app.model || !app.procs) {
        fprintf(stderr, "ipcscope: out of memory\n");
        return 1;
    }
    tui_session_init(&app.session, app.loop, app.model, on_news);
    app.count = o->count;
    tui_session_lesson(&app.session, o->lesson, app.count);
    app.session.record = o->record;
    app.ui = (tui_ui_t){.model = app.model, .procs = app.procs, .focus = TUI_PANE_PROCS,
                        .rate = o->rate, .size = o->size};
    signal(SIGPIPE, SIG_IGN); /* a demo that left is an EPIPE, not our death */

    if (tui_crt_init() < 0) {
        fprintf(stderr, "ipcscope: cannot set up the terminal\n");
        return 1;
    }
    tui_crt_on_crash(tui_session_on_crash);

    /* Signals after initscr: ours replace the handlers ncurses installs. */
    uv_signal_init(app.loop, &app.sigwinch);
    uv_signal_start(&app.sigwinch, on_winch, SIGWINCH);
    static const int stops[3] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; i++) {
        uv_signal_init(app.loop, &app.stops[i]);
        uv_signal_start(&app.stops[i], on_stop_signal, stops[i]);
    }
    uv_poll_init(app.loop, &app.input, STDIN_FILENO);
    uv_poll_start(&app.input, UV_READABLE, on_input);
    uv_timer_init(app.loop, &app.redraw);
    uv_timer_start(&app.redraw, on_redraw, 0, FRAME_MS);
    uv_timer_init(app.loop, &app.scan);
    if (o->open && launch(o->open) < 0) { /* ipcscope open DEMO: every handle exists now */
        char buf[160];
        snprintf(buf, sizeof buf, "dashboard: cannot launch %s", o->open->name);
        tui_session_note(&app.session, buf);
    }
    if (o->compare) /* ipcscope compare */
        tui_compare_open(app.loop);
    mark();
    uv_run(app.loop, UV_RUN_DEFAULT);

    /* Out: restore the terminal first, then close everything. */
    tui_crt_done();
    tui_session_close(&app.session);
    tui_compare_stop(); /* a run in progress ends with its process group */
    uv_handle_t *handles[] = {
        (uv_handle_t *)&app.input,    (uv_handle_t *)&app.sigwinch, (uv_handle_t *)&app.stops[0],
        (uv_handle_t *)&app.stops[1], (uv_handle_t *)&app.stops[2], (uv_handle_t *)&app.redraw,
        (uv_handle_t *)&app.scan,
    };
    for (size_t i = 0; i < sizeof handles / sizeof handles[0]; i++)
        if (!uv_is_closing(handles[i]))
            uv_close(handles[i], NULL);
    scope_spawn_shutdown(app.loop);
    uv_run(app.loop, UV_RUN_NOWAIT);
    uv_loop_close(app.loop);
    if (app.have_lesson)
        tui_lesson_free(&app.lesson);
    tui_model_free(app.model);
    tui_procfs_free(app.procs);
    if (o->record)
        fclose(o->record);
    return app.stop_signal ? 128 + app.stop_signal : 0;
}
