/* actions: the key actions on the screen's state and the demo. See actions.h.
 *
 * Rate and size move along fixed ladders, so that each press is a step one
 * can see (5 -> 10 messages a second, 64 B -> 256 B) and the demo is told
 * the new value on its control pipe at once.
 */
#include "actions.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "catalogue.h"
#include "i18n.h"
#include "text.h"
#include "timing.h"

/* What a key did, in the title bar; fresh news for a few seconds. */
static void say(tui_ui_t *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(tui_ui_t *ui, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ui->flash, sizeof ui->flash, fmt, ap);
    va_end(ap);
    ui->flash_ns = scope_time_now_ns();
}

static const double rates[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 0};
static const long sizes[] = {16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576};
#define NRATES (int)(sizeof rates / sizeof rates[0])
#define NSIZES (int)(sizeof sizes / sizeof sizes[0])

/* ---- the menu ------------------------------------------------------------ */

static void menu(tui_action_t a, tui_ui_t *ui)
{
    int n = tui_catalogue_count();
    if (a == TUI_ACTION_UP && ui->menu_sel > 0)
        ui->menu_sel--;
    else if (a == TUI_ACTION_DOWN && ui->menu_sel < n - 1)
        ui->menu_sel++;
    else if (a == TUI_ACTION_HOME || a == TUI_ACTION_PAGE_UP)
        ui->menu_sel = 0;
    else if (a == TUI_ACTION_END || a == TUI_ACTION_PAGE_DOWN)
        ui->menu_sel = n - 1;
}

/* ---- the demo ------------------------------------------------------------ */

static void change_rate(tui_ui_t *ui, tui_session_t *s, int dir)
{
    int i = 0;
    while (i < NRATES && rates[i] != ui->rate)
        i++;
    if (i == NRATES) /* not one of ours: start from the nearest below */
        for (i = 0; i + 1 < NRATES - 1 && rates[i + 1] <= ui->rate; i++)
            ;
    i += dir;
    if (i < 0 || i >= NRATES)
        return;
    ui->rate = rates[i];
    char cmd[64];
    snprintf(cmd, sizeof cmd, "{\"cmd\":\"rate\",\"hz\":%g}", ui->rate);
    tui_session_control(s, cmd);
}

static void change_size(tui_ui_t *ui, tui_session_t *s, int dir)
{
    int i = 0;
    while (i < NSIZES - 1 && sizes[i] < ui->size)
        i++;
    i += dir;
    if (i < 0 || i >= NSIZES)
        return;
    ui->size = sizes[i];
    char cmd[64];
    snprintf(cmd, sizeof cmd, "{\"cmd\":\"size\",\"bytes\":%ld}", ui->size);
    tui_session_control(s, cmd);
}

static void pause_or_step(tui_action_t a, tui_ui_t *ui, tui_session_t *s)
{
    if (!ui->running || ui->stopping)
        return;
    if (a == TUI_ACTION_STEP) {
        if (!ui->stepping) {
            /* Step mode: hold every message, then let one go per press. */
            ui->stepping = 1;
            ui->paused = 1;
            tui_session_control(s, "{\"cmd\":\"pause\"}");
        } else {
            tui_session_control(s, "{\"cmd\":\"step\"}");
        }
    } else if (ui->paused || ui->stepping) {
        ui->paused = ui->stepping = 0;
        tui_session_control(s, "{\"cmd\":\"resume\"}");
    } else {
        ui->paused = 1;
        tui_session_control(s, "{\"cmd\":\"pause\"}");
    }
}

static void kill_selected(tui_ui_t *ui, tui_session_t *s, int sig)
{
    long pid = ui->sel_pid;
    /* Only a live process of the demo's group: never anyone else's. */
    const tui_pinfo_t *p = tui_procfs_find(ui->procs, pid);
    if (!p || p->pgrp != s->pgid || pid <= 0)
        return;
    if (kill((pid_t)pid, sig) < 0)
        return;
    const tui_proc_t *mp = tui_model_proc(ui->model, pid);
    char name[16], buf[160];
    tui_text_signal(name, sizeof name, sig);
    snprintf(buf, sizeof buf, "%s %s -> %ld (%s)", tui_i18n(TUI_S_SENT_SIGNAL), name, pid,
             mp && mp->role[0] ? mp->role : p->comm);
    tui_session_signal_sent(s, pid, name);
    tui_session_note(s, buf);
    say(ui, "%s %ld", name, pid);
}

static void fault(tui_ui_t *ui, tui_session_t *s)
{
    const char *kind = tui_session_fault(s);
    if (kind)
        say(ui, "fault %s", kind);
}

/* b: a recording can be played again up to any point, so a replay goes
 * back to before the last step it played (the replayer rewinds and plays
 * up to there at once; the model starts empty to take it). A live demo
 * cannot undo what it did: r restarts it. */
static void step_back(tui_ui_t *ui, tui_session_t *s)
{
    if (!tui_catalogue_replaced(ui->mech)) {
        say(ui, "%s", tui_i18n(TUI_S_BACK_LIVE));
        return;
    }
    if (s->state != TUI_SESSION_RUNNING) {
        say(ui, "%s", tui_i18n(TUI_S_BACK_ENDED));
        return;
    }
    int step = s->model->step_n > 1 ? s->model->step_n : 1;
    tui_model_reset(s->model);
    tui_session_control(s, "{\"cmd\":\"back\"}");
    ui->stepping = ui->paused = 1; /* as lesson mode: s plays the step */
    memset(ui->scroll, 0, sizeof ui->scroll);
    char what[64];
    snprintf(what, sizeof what, tui_i18n(TUI_S_BACK_TO), step);
    say(ui, "%s", what);
}

static void move_selection(tui_ui_t *ui, int delta)
{
    long pids[TUI_PROCFS_MAX_PROCS];
    int n = tui_view_procs_pids(ui, pids, TUI_PROCFS_MAX_PROCS);
    if (n == 0)
        return;
    int i = 0;
    while (i < n && pids[i] != ui->sel_pid)
        i++;
    if (i == n)
        i = 0;
    i += delta;
    if (i < 0)
        i = 0;
    if (i >= n)
        i = n - 1;
    ui->sel_pid = pids[i];
}

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Up is +1 (older / further up) for the flow and the log. */
static void scroll_pane(tui_ui_t *ui, int delta)
{
    const tui_model_t *m = ui->model;
    switch (ui->focus) {
    case TUI_PANE_PROCS:
        move_selection(ui, -delta);
        break;
    case TUI_PANE_FLOW:
        ui->scroll[TUI_PANE_FLOW] = clamp(ui->scroll[TUI_PANE_FLOW] + delta, 0, (int)m->flow_len);
        break;
    case TUI_PANE_LATENCY:
        if (m->nchans > 0)
            ui->chan_sel = (ui->chan_sel + (delta > 0 ? m->nchans - 1 : 1)) % m->nchans;
        break;
    default:
        if (ui->show_lesson) {
            ui->lesson_scroll -= delta;
            if (ui->lesson_scroll < 0)
                ui->lesson_scroll = 0;
        } else {
            /* From what was shown: Home asks for more than there is, and
             * the next Down or PgDn must move at once. */
            int shown = tui_view_text_scroll_used();
            int from = ui->scroll[TUI_PANE_TEXT] < shown ? ui->scroll[TUI_PANE_TEXT] : shown;
            ui->scroll[TUI_PANE_TEXT] = clamp(from + delta, 0, (int)m->log_len * 4);
        }
        break;
    }
}

static void demo(tui_action_t a, tui_ui_t *ui, tui_session_t *s)
{
    switch (a) {
    case TUI_ACTION_UP:
        scroll_pane(ui, 1);
        break;
    case TUI_ACTION_DOWN:
        scroll_pane(ui, -1);
        break;
    case TUI_ACTION_PAGE_UP:
        scroll_pane(ui, 10);
        break;
    case TUI_ACTION_PAGE_DOWN:
        scroll_pane(ui, -10);
        break;
    case TUI_ACTION_HOME:
        scroll_pane(ui, 1000000);
        break;
    case TUI_ACTION_END:
        scroll_pane(ui, -1000000);
        break;
    case TUI_ACTION_LEFT:
    case TUI_ACTION_RIGHT:
        if (ui->focus == TUI_PANE_LATENCY)
            scroll_pane(ui, a == TUI_ACTION_LEFT ? 1 : -1);
        break;
    case TUI_ACTION_NEXT_PANE:
        ui->focus = (tui_pane_t)((ui->focus + 1) % TUI_PANE_COUNT);
        break;
    case TUI_ACTION_PREV_PANE:
        ui->focus = (tui_pane_t)((ui->focus + TUI_PANE_COUNT - 1) % TUI_PANE_COUNT);
        break;
    case TUI_ACTION_ZOOM:
        ui->zoom = !ui->zoom;
        break;
    case TUI_ACTION_LESSON:
        ui->show_lesson = !ui->show_lesson;
        break;
    case TUI_ACTION_PAUSE:
    case TUI_ACTION_STEP:
        pause_or_step(a, ui, s);
        break;
    case TUI_ACTION_FASTER:
    case TUI_ACTION_SLOWER:
        change_rate(ui, s, a == TUI_ACTION_FASTER ? +1 : -1);
        break;
    case TUI_ACTION_BIGGER:
    case TUI_ACTION_SMALLER:
        change_size(ui, s, a == TUI_ACTION_BIGGER ? +1 : -1);
        break;
    case TUI_ACTION_TERM:
    case TUI_ACTION_KILL:
        kill_selected(ui, s, a == TUI_ACTION_TERM ? SIGTERM : SIGKILL);
        break;
    case TUI_ACTION_FAULT:
        fault(ui, s);
        break;
    case TUI_ACTION_STEP_BACK:
        step_back(ui, s);
        break;
    default:
        break;
    }
}

void tui_actions_do(tui_action_t a, tui_ui_t *ui, tui_session_t *s)
{
    if (ui->screen == TUI_SCREEN_MENU)
        menu(a, ui);
    else
        demo(a, ui, s);
}

void tui_actions_show_demo(tui_ui_t *ui, const tui_mech_t *m, tui_session_t *s)
{
    long pgid = s->pgid;
    ui->screen = TUI_SCREEN_DEMO;
    ui->mech = m;
    ui->pgid = pgid;
    ui->running = 1;
    ui->stopping = 0;
    ui->paused = ui->stepping = 0;
    ui->sel_pid = pgid;
    ui->chan_sel = 0;
    memset(ui->scroll, 0, sizeof ui->scroll);
    ui->lesson_scroll = 0;
    ui->flash[0] = '\0';
    if (s->lesson) {
        /* Lesson mode: the demo waits before each lesson step (--step), and
         * its messages wait too, so each s is one step or one message. */
        ui->stepping = ui->paused = 1;
        tui_session_control(s, "{\"cmd\":\"pause\"}");
    }
}

void tui_actions_keep_selection(tui_ui_t *ui)
{
    if (ui->screen != TUI_SCREEN_DEMO)
        return;
    long pids[TUI_PROCFS_MAX_PROCS];
    int n = tui_view_procs_pids(ui, pids, TUI_PROCFS_MAX_PROCS);
    for (int i = 0; i < n; i++)
        if (pids[i] == ui->sel_pid)
            return;
    if (n > 0)
        ui->sel_pid = pids[0];
}
