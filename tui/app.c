/* app: the command line, the loop, launching and stopping a demo, and keys.
 * See app.h.
 *
 * How a demo is launched (docs/PROTOCOL.md):
 *
 *   1. pipe2(O_CLOEXEC) for events: a real pipe, whose writes of at most
 *      PIPE_BUF bytes are atomic, so the lines of all the demo's processes stay
 *      whole. Its write end lands at the child's fd 3, named in
 *      IPCSCOPE_EVENT_FD=3.
 *   2. A second pipe for control commands, read end at fd 4,
 *      IPCSCOPE_CONTROL_FD=4; a third for the demo's stdout and stderr (they
 *      must not write over the screen), and /dev/null as its stdin.
 *   3. scope_spawn (lib/spawn): a new process group, so the whole demo can be
 *      signalled at once, and PR_SET_PDEATHSIG(SIGTERM), so the demo winds
 *      down even when the dashboard is killed with SIGKILL.
 *   4. The dashboard closes its copies of the child's ends at once: the event
 *      pipe then reads EOF exactly when the demo's last process has exited.
 *
 * Leaving a demo: {"cmd":"quit"}, up to 2 s for it to exit, then SIGTERM to
 * the process group, then after 1 s more SIGKILL; the screen changes only
 * once no process of the group is left.
 */
#include "app.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include <curses.h>

#include "catalogue.h"
#include "crt.h"
#include "events.h"
#include "framing.h"
#include "i18n.h"
#include "lesson.h"
#include "model.h"
#include "procfs.h"
#include "spawn.h"
#include "timing.h"
#include "view.h"

/* What every demo is started with: a readable pace and no end, so there is
 * time to watch, pause and kill. + and - change the rate, [ and ] the size. */
#define LAUNCH_RATE  5.0
#define LAUNCH_COUNT "1000000000"
#define LAUNCH_SIZE  64
#define QUIT_WAIT_MS 2000 /* after {"cmd":"quit"}, before SIGTERM */
#define TERM_WAIT_MS 1000 /* after SIGTERM, before SIGKILL */
#define FRAME_MS     33   /* at most 30 frames a second */
#define SCAN_MS      1000

typedef enum { AFTER_MENU, AFTER_RESTART, AFTER_QUIT } after_stop_t;

typedef struct {
    uv_loop_t *loop;
    uv_poll_t input;
    uv_signal_t sigwinch, sigint, sigterm, sighup;
    uv_timer_t redraw, scan, stop_timer;
    tui_ui_t ui;
    tui_model_t *model;
    tui_procfs_t *procs;
    tui_lesson_t lesson;
    int have_lesson;
    int dirty;
    unsigned long drawn_generation;

    /* the running demo */
    const tui_mech_t *mech;
    scope_child_t child;
    long pgid;
    int control_fd;
    uv_pipe_t events, output;
    int events_open, output_open;
    scope_ndjson_t decoder;
    char outline[512];
    size_t outlen;

    /* stopping it */
    int stopping;
    after_stop_t after;
    uint64_t stop_started;
    int stop_phase; /* 1 quit sent, 2 SIGTERM sent, 3 SIGKILL sent */
    int stop_signal; /* the signal that ended the dashboard, 0 for q */
    unsigned next_fault; /* which of the demo's faults f asks for next */

    int quitting;
    int interrupts;
    char readbuf[65536];

    /* from the command line: ipcscope open DEMO [--count N] [--record FILE] */
    const tui_mech_t *open_mech;
    const char *launch_count;
    FILE *record; /* every event line received, as received */
    int warned_version; /* said once per launch that events of another version are refused */
} app_t;

static app_t app;
static volatile sig_atomic_t crash_pgid;

/* ---- small helpers ------------------------------------------------------ */

static uint64_t now_ns(void)
{
    return scope_time_now_ns();
}

static void mark(void)
{
    app.dirty = 1;
}

static void note(const char *text)
{
    tui_model_note(app.model, now_ns(), text);
    mark();
}

static const char *sig_name(int sig)
{
    static char buf[16];
    const char *abbrev = sigabbrev_np(sig);
    snprintf(buf, sizeof buf, "SIG%s", abbrev ? abbrev : "?");
    return buf;
}

/* Sends one control command as a JSON line. The pipe is non-blocking: if
 * the demo stopped reading, the command is dropped rather than the
 * dashboard frozen. */
static void control(const char *json)
{
    if (app.control_fd < 0)
        return;
    char line[256];
    int n = snprintf(line, sizeof line, "%s\n", json);
    if (write(app.control_fd, line, (size_t)n) < 0 && errno != EAGAIN)
        note("control pipe: the demo no longer reads commands");
}

static void load_lesson(void)
{
    if (app.have_lesson)
        tui_lesson_free(&app.lesson);
    app.have_lesson = 0;
    app.ui.lesson = NULL;
    app.ui.lesson_path[0] = '\0';
    if (!app.mech)
        return;
    if (tui_catalogue_lesson(app.mech, tui_i18n_lang(), app.ui.lesson_path,
                             sizeof app.ui.lesson_path) == 0 &&
        tui_lesson_load(app.ui.lesson_path, &app.lesson) == 0) {
        app.have_lesson = 1;
        app.ui.lesson = &app.lesson;
    }
}

/* ---- the demo's pipes ---------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(app.readbuf, sizeof app.readbuf);
}

static void on_scan(uv_timer_t *t);

static void on_event(void *arg, cJSON *value, const char *line, size_t len)
{
    (void)arg;
    if (app.record) {
        fwrite(line, 1, len, app.record);
        fputc('\n', app.record);
    }
    if (tui_model_feed(app.model, value) == -EPROTONOSUPPORT && !app.warned_version) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(value, "v");
        char buf[160];
        snprintf(buf, sizeof buf,
                 "dashboard: refusing events of protocol version %g; this dashboard reads "
                 "version %d (docs/PROTOCOL.md)",
                 cJSON_IsNumber(v) ? v->valuedouble : 0.0, SCOPE_EVENTS_VERSION);
        note(buf);
        app.warned_version = 1;
    }
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(value, "ev");
    if (cJSON_IsString(ev) && strcmp(ev->valuestring, "proc") == 0)
        uv_timer_start(&app.scan, on_scan, 30, SCAN_MS); /* show it in the tree soon */
}

static void on_bad_event(void *arg, const scope_frame_error_t *err)
{
    (void)arg;
    char buf[200];
    snprintf(buf, sizeof buf, "refused an event line: %s", err->reason);
    note(buf);
}

static void on_events_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    if (nread > 0) {
        scope_ndjson_feed(&app.decoder, buf->base, (size_t)nread);
        mark();
    } else if (nread < 0) {
        /* EOF: the demo's last process has closed its end. */
        uv_close((uv_handle_t *)s, NULL);
        app.events_open = 0;
        mark();
    }
}

static void on_output_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    for (ssize_t i = 0; i < nread; i++) {
        char c = buf->base[i];
        if (c == '\n' || app.outlen == sizeof app.outline - 1) {
            app.outline[app.outlen] = '\0';
            char line[600];
            snprintf(line, sizeof line, "output: %s", app.outline);
            if (app.outlen)
                note(line);
            app.outlen = 0;
            if (c == '\n')
                continue;
        }
        app.outline[app.outlen++] = c;
    }
    if (nread < 0) {
        uv_close((uv_handle_t *)s, NULL);
        app.output_open = 0;
    }
}

/* ---- launching and stopping ------------------------------------------- */

static void on_child_exit(scope_child_t *c, int status, int sig)
{
    tui_model_proc_exited(app.model, (long)c->pid, status, sig ? sig_name(sig) : "", now_ns());
    app.ui.running = 0;
    uv_timer_start(&app.scan, on_scan, 30, SCAN_MS);
    mark();
}

static void close_demo_pipes(void)
{
    if (app.events_open) {
        uv_close((uv_handle_t *)&app.events, NULL);
        app.events_open = 0;
    }
    if (app.output_open) {
        uv_close((uv_handle_t *)&app.output, NULL);
        app.output_open = 0;
    }
    if (app.control_fd >= 0) {
        close(app.control_fd);
        app.control_fd = -1;
    }
}

static int open_reader(uv_pipe_t *p, int fd, uv_read_cb cb)
{
    int r = uv_pipe_init(app.loop, p, 0);
    if (r < 0)
        return r;
    if ((r = uv_pipe_open(p, fd)) < 0) {
        uv_close((uv_handle_t *)p, NULL);
        return r;
    }
    return uv_read_start((uv_stream_t *)p, on_alloc, cb);
}

static int launch(const tui_mech_t *m)
{
    char path[PATH_MAX];
    if (tui_catalogue_path(m, path, sizeof path) < 0)
        return -ENOENT;

    int ev[2] = {-1, -1}, ctl[2] = {-1, -1}, out[2] = {-1, -1};
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (pipe2(ev, O_CLOEXEC) < 0 || pipe2(ctl, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
        devnull < 0) {
        int e = -errno;
        for (int i = 0; i < 2; i++) {
            if (ev[i] >= 0)
                close(ev[i]);
            if (ctl[i] >= 0)
                close(ctl[i]);
            if (out[i] >= 0)
                close(out[i]);
        }
        if (devnull >= 0)
            close(devnull);
        return e;
    }

    tui_model_reset(app.model);
    app.warned_version = 0;
    app.mech = m;
    char rate[32], size[32];
    snprintf(rate, sizeof rate, "%g", app.ui.rate);
    snprintf(size, sizeof size, "%ld", app.ui.size);
    char *argv[] = {path, "--rate", rate, "--size", size, "--count", (char *)app.launch_count, NULL};
    const char *env[] = {"IPCSCOPE_EVENT_FD=3", "IPCSCOPE_CONTROL_FD=4", NULL};
    const char *unset[] = {"NODE_CHANNEL_FD", NULL};
    scope_spawn_fd_t fds[] = {{devnull, 0}, {out[1], 1}, {out[1], 2}, {ev[1], 3}, {ctl[0], 4}};
    scope_spawn_options_t o = {.file = path,
                               .argv = argv,
                               .setenv = env,
                               .unsetenv = unset,
                               .fds = fds,
                               .nfds = 5,
                               .new_process_group = 1,
                               .death_signal = SIGTERM};
    memset(&app.child, 0, sizeof app.child);
    int r = scope_spawn(app.loop, &app.child, &o, on_child_exit);
    /* The child has its copies now: keeping ours would hide the EOF. */
    close(ev[1]);
    close(ctl[0]);
    close(out[1]);
    close(devnull);
    if (r < 0) {
        close(ev[0]);
        close(ctl[1]);
        close(out[0]);
        return r;
    }
    app.pgid = (long)app.child.pid;
    crash_pgid = (sig_atomic_t)app.pgid;
    app.control_fd = ctl[1];
    fcntl(app.control_fd, F_SETFL, fcntl(app.control_fd, F_GETFL) | O_NONBLOCK);
    scope_ndjson_free(&app.decoder);
    scope_ndjson_init(&app.decoder, 0, on_event, on_bad_event, NULL);
    app.events_open = open_reader(&app.events, ev[0], on_events_read) == 0;
    app.output_open = open_reader(&app.output, out[0], on_output_read) == 0;
    app.outlen = 0;

    tui_ui_t *ui = &app.ui;
    ui->screen = TUI_SCREEN_DEMO;
    ui->mech = m;
    ui->pgid = app.pgid;
    ui->running = 1;
    ui->stopping = 0;
    ui->paused = ui->stepping = 0;
    ui->sel_pid = app.pgid;
    ui->chan_sel = 0;
    memset(ui->scroll, 0, sizeof ui->scroll);
    ui->lesson_scroll = 0;
    ui->flash[0] = '\0';
    load_lesson();
    uv_timer_start(&app.scan, on_scan, 50, SCAN_MS);
    mark();
    return 0;
}

static int group_alive(void)
{
    return app.pgid > 0 && (kill(-(pid_t)app.pgid, 0) == 0 || errno == EPERM);
}

static void stop_done(void)
{
    uv_timer_stop(&app.stop_timer);
    close_demo_pipes();
    app.stopping = 0;
    app.ui.stopping = 0;
    app.pgid = 0;
    crash_pgid = 0;
    app.ui.pgid = 0;
    app.procs->n = 0;
    mark();
    switch (app.after) {
    case AFTER_RESTART:
        if (app.mech && launch(app.mech) == 0)
            break;
        app.ui.screen = TUI_SCREEN_MENU;
        break;
    case AFTER_MENU:
        app.ui.screen = TUI_SCREEN_MENU;
        break;
    case AFTER_QUIT:
        app.quitting = 1;
        uv_stop(app.loop);
        break;
    }
}

static void on_stop_tick(uv_timer_t *t)
{
    (void)t;
    if (!app.child.running && !group_alive()) {
        stop_done();
        return;
    }
    uint64_t ms = (now_ns() - app.stop_started) / 1000000;
    if (app.stop_phase == 1 && ms >= QUIT_WAIT_MS) {
        kill(-(pid_t)app.pgid, SIGTERM);
        app.stop_phase = 2;
        note("dashboard: the demo did not quit in time: SIGTERM to its process group");
    } else if (app.stop_phase == 2 && ms >= QUIT_WAIT_MS + TERM_WAIT_MS) {
        kill(-(pid_t)app.pgid, SIGKILL);
        app.stop_phase = 3;
        note("dashboard: SIGKILL to the demo's process group");
    }
}

static void stop_demo(after_stop_t after)
{
    app.after = after;
    if (app.pgid <= 0) {
        stop_done();
        return;
    }
    if (app.stopping)
        return;
    app.stopping = 1;
    app.ui.stopping = 1;
    app.stop_started = now_ns();
    app.stop_phase = 1;
    control("{\"cmd\":\"quit\"}");
    uv_timer_start(&app.stop_timer, on_stop_tick, 20, 50);
    mark();
}

/* Async-signal-safe: the crash handler's part after the terminal is back. */
static void on_crash(void)
{
    if (crash_pgid > 0)
        kill(-(pid_t)crash_pgid, SIGTERM);
}

/* ---- timers -------------------------------------------------------------- */

static void on_scan(uv_timer_t *t)
{
    (void)t;
    if (app.ui.screen == TUI_SCREEN_DEMO && app.pgid > 0)
        tui_procfs_scan(app.procs, app.pgid, now_ns());
    app.ui.now_ns = now_ns();
    mark();
}

static void on_redraw(uv_timer_t *t)
{
    (void)t;
    if (!app.dirty && app.model->generation == app.drawn_generation)
        return;
    app.ui.now_ns = now_ns();
    /* Keep a valid selection: the first process when the selected one left. */
    if (app.ui.screen == TUI_SCREEN_DEMO) {
        long pids[TUI_PROCFS_MAX_PROCS];
        int n = tui_view_procs_pids(&app.ui, pids, TUI_PROCFS_MAX_PROCS);
        int found = 0;
        for (int i = 0; i < n; i++)
            found |= pids[i] == app.ui.sel_pid;
        if (!found && n > 0)
            app.ui.sel_pid = pids[0];
    }
    tui_view_draw(&app.ui);
    app.dirty = 0;
    app.drawn_generation = app.model->generation;
}

/* ---- keys ------------------------------------------------------------------ */

static const double rates[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 0};
static const long sizes[] = {16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576};
#define NRATES (int)(sizeof rates / sizeof rates[0])
#define NSIZES (int)(sizeof sizes / sizeof sizes[0])

static void change_rate(int dir)
{
    int i = 0;
    while (i < NRATES && rates[i] != app.ui.rate)
        i++;
    if (i == NRATES) /* not one of ours: start from the nearest below */
        for (i = 0; i + 1 < NRATES - 1 && rates[i + 1] <= app.ui.rate; i++)
            ;
    i += dir;
    if (i < 0 || i >= NRATES)
        return;
    app.ui.rate = rates[i];
    char cmd[64];
    snprintf(cmd, sizeof cmd, "{\"cmd\":\"rate\",\"hz\":%g}", app.ui.rate);
    control(cmd);
    mark();
}

static void change_size(int dir)
{
    int i = 0;
    while (i < NSIZES - 1 && sizes[i] < app.ui.size)
        i++;
    i += dir;
    if (i < 0 || i >= NSIZES)
        return;
    app.ui.size = sizes[i];
    char cmd[64];
    snprintf(cmd, sizeof cmd, "{\"cmd\":\"size\",\"bytes\":%ld}", app.ui.size);
    control(cmd);
    mark();
}

static void kill_selected(int sig)
{
    long pid = app.ui.sel_pid;
    /* Only a live process of the demo's group: never anyone else's. */
    const tui_pinfo_t *p = tui_procfs_find(app.procs, pid);
    if (!p || p->pgrp != app.pgid || pid <= 0)
        return;
    if (kill((pid_t)pid, sig) < 0)
        return;
    const tui_proc_t *mp = tui_model_proc(app.model, pid);
    char buf[160];
    snprintf(buf, sizeof buf, "%s %s -> %ld (%s)", tui_i18n(TUI_S_SENT_SIGNAL), sig_name(sig),
             pid, mp && mp->role[0] ? mp->role : p->comm);
    note(buf);
    snprintf(app.ui.flash, sizeof app.ui.flash, "%s %ld", sig_name(sig), pid);
}

/* f: the demo's next fault kind, in turn, through the control channel. */
static void inject_fault(void)
{
    const tui_model_t *m = app.model;
    char buf[200];
    if (m->nfaults == 0) {
        note(tui_i18n(TUI_S_NO_FAULTS));
        return;
    }
    const char *kind = m->faults[app.next_fault % m->nfaults];
    const char *next = m->faults[(app.next_fault + 1) % m->nfaults];
    app.next_fault++;
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "cmd", "fault");
    cJSON_AddStringToObject(c, "kind", kind);
    char *line = cJSON_PrintUnformatted(c);
    cJSON_Delete(c);
    if (!line)
        return;
    control(line);
    cJSON_free(line);
    snprintf(buf, sizeof buf, tui_i18n(TUI_S_SENT_FAULT), kind, next);
    note(buf);
    snprintf(app.ui.flash, sizeof app.ui.flash, "fault %s", kind);
}

static void move_selection(int delta)
{
    long pids[TUI_PROCFS_MAX_PROCS];
    int n = tui_view_procs_pids(&app.ui, pids, TUI_PROCFS_MAX_PROCS);
    if (n == 0)
        return;
    int i = 0;
    while (i < n && pids[i] != app.ui.sel_pid)
        i++;
    if (i == n)
        i = 0;
    i += delta;
    if (i < 0)
        i = 0;
    if (i >= n)
        i = n - 1;
    app.ui.sel_pid = pids[i];
}

/* Up is +1 (older / further up) for the flow and the log. */
static void scroll_pane(int delta)
{
    tui_ui_t *ui = &app.ui;
    switch (ui->focus) {
    case TUI_PANE_PROCS:
        move_selection(-delta);
        break;
    case TUI_PANE_FLOW: {
        int max = (int)app.model->flow_len;
        ui->scroll[TUI_PANE_FLOW] += delta;
        if (ui->scroll[TUI_PANE_FLOW] > max)
            ui->scroll[TUI_PANE_FLOW] = max;
        if (ui->scroll[TUI_PANE_FLOW] < 0)
            ui->scroll[TUI_PANE_FLOW] = 0;
        break;
    }
    case TUI_PANE_LATENCY:
        if (app.model->nchans > 0)
            ui->chan_sel = (ui->chan_sel + (delta > 0 ? app.model->nchans - 1 : 1)) %
                           app.model->nchans;
        break;
    default:
        if (ui->show_lesson) {
            ui->lesson_scroll -= delta;
            if (ui->lesson_scroll < 0)
                ui->lesson_scroll = 0;
        } else {
            ui->scroll[TUI_PANE_TEXT] += delta;
            if (ui->scroll[TUI_PANE_TEXT] < 0)
                ui->scroll[TUI_PANE_TEXT] = 0;
            if (ui->scroll[TUI_PANE_TEXT] > (int)app.model->log_len * 4)
                ui->scroll[TUI_PANE_TEXT] = (int)app.model->log_len * 4;
        }
        break;
    }
}

static void toggle_language(void)
{
    tui_i18n_set(tui_i18n_lang() == TUI_LANG_EN ? TUI_LANG_ZH : TUI_LANG_EN);
    load_lesson();
}

static void menu_key(wint_t k, int code)
{
    tui_ui_t *ui = &app.ui;
    int n = tui_catalogue_count();
    if (code) {
        if (k == KEY_UP && ui->menu_sel > 0)
            ui->menu_sel--;
        else if (k == KEY_DOWN && ui->menu_sel < n - 1)
            ui->menu_sel++;
        else if (k == KEY_HOME || k == KEY_PPAGE)
            ui->menu_sel = 0;
        else if (k == KEY_END || k == KEY_NPAGE)
            ui->menu_sel = n - 1;
        else if (k == KEY_ENTER)
            goto enter;
        return;
    }
    switch (k) {
    case 'k':
        if (ui->menu_sel > 0)
            ui->menu_sel--;
        return;
    case 'j':
        if (ui->menu_sel < n - 1)
            ui->menu_sel++;
        return;
    case 'q':
    case 27:
        stop_demo(AFTER_QUIT);
        return;
    case 'L':
        toggle_language();
        return;
    case '\r':
    case '\n':
    enter: {
        const tui_mech_t *m = tui_catalogue_get(ui->menu_sel);
        int r = launch(m);
        if (r == -ENOENT)
            snprintf(ui->flash, sizeof ui->flash, "%s: %s", m->name, tui_i18n(TUI_S_PLANNED));
        else if (r < 0)
            snprintf(ui->flash, sizeof ui->flash, "%s: %s", tui_i18n(TUI_S_LAUNCH_FAILED),
                     strerror(-r));
        return;
    }
    default:
        return;
    }
}

static void demo_key(wint_t k, int code)
{
    tui_ui_t *ui = &app.ui;
    if (code) {
        switch (k) {
        case KEY_UP:
            scroll_pane(1);
            break;
        case KEY_DOWN:
            scroll_pane(-1);
            break;
        case KEY_PPAGE:
            scroll_pane(10);
            break;
        case KEY_NPAGE:
            scroll_pane(-10);
            break;
        case KEY_HOME:
            scroll_pane(1000000);
            break;
        case KEY_END:
            scroll_pane(-1000000);
            break;
        case KEY_BTAB:
            ui->focus = (tui_pane_t)((ui->focus + TUI_PANE_COUNT - 1) % TUI_PANE_COUNT);
            break;
        case KEY_LEFT:
        case KEY_RIGHT:
            if (ui->focus == TUI_PANE_LATENCY)
                scroll_pane(k == KEY_LEFT ? 1 : -1);
            break;
        default:
            break;
        }
        return;
    }
    int live = ui->running && !ui->stopping;
    switch (k) {
    case ' ':
        if (!live)
            break;
        if (ui->paused || ui->stepping) {
            ui->paused = ui->stepping = 0;
            control("{\"cmd\":\"resume\"}");
        } else {
            ui->paused = 1;
            control("{\"cmd\":\"pause\"}");
        }
        break;
    case 's':
        if (!live)
            break;
        if (!ui->stepping) {
            /* Step mode: hold every message, then let one go per press. */
            ui->stepping = 1;
            ui->paused = 1;
            control("{\"cmd\":\"pause\"}");
        } else {
            control("{\"cmd\":\"step\"}");
        }
        break;
    case '+':
    case '=':
        change_rate(+1);
        break;
    case '-':
    case '_':
        change_rate(-1);
        break;
    case ']':
        change_size(+1);
        break;
    case '[':
        change_size(-1);
        break;
    case '\t':
        ui->focus = (tui_pane_t)((ui->focus + 1) % TUI_PANE_COUNT);
        break;
    case 'k':
        kill_selected(SIGTERM);
        break;
    case 'K':
        kill_selected(SIGKILL);
        break;
    case 'f':
        inject_fault();
        break;
    case 'r':
        stop_demo(AFTER_RESTART);
        break;
    case 'l':
        ui->show_lesson = !ui->show_lesson;
        break;
    case 'z':
        ui->zoom = !ui->zoom;
        break;
    case 'L':
        toggle_language();
        break;
    case 'q':
    case 27:
        stop_demo(AFTER_MENU);
        break;
    default:
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
        if (code && k == KEY_RESIZE) {
            tui_crt_resize();
            mark();
            continue;
        }
        if (app.ui.help) {
            app.ui.help = 0; /* any key closes the help */
            mark();
            continue;
        }
        if (!code && k == '?') {
            app.ui.help = 1;
            mark();
            continue;
        }
        if (app.ui.screen == TUI_SCREEN_MENU)
            menu_key(k, code);
        else
            demo_key(k, code);
        mark();
    }
}

/* ---- signals --------------------------------------------------------------- */

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
        if (app.pgid > 0)
            kill(-(pid_t)app.pgid, SIGKILL);
        tui_crt_done();
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    /* Winds down cleanly, then exits 128 + sig as a shell expects of a
     * program stopped by a signal. */
    app.stop_signal = sig;
    stop_demo(AFTER_QUIT);
}

/* ---- the command line ----------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: ipcscope [--lang en|zh]            open the dashboard\n"
            "       ipcscope open DEMO [--rate HZ] [--size BYTES] [--count N] [--record FILE]\n"
            "                                          open it on one demo (defaults: 5 Hz,\n"
            "                                          64 B, no end); --record saves the\n"
            "                                          events it receives, one JSON line each\n"
            "       ipcscope list                      list the demos\n"
            "       ipcscope run DEMO [options]        run one demo here, narrated\n"
            "       ipcscope --help | --version\n"
            "\n"
            "In the dashboard: Enter launches a demo; space pauses, s steps, + - rate,\n"
            "[ ] message size, Tab moves between panes, k K signal the selected\n"
            "process, r restarts, l shows the lesson, L switches language, ? helps,\n"
            "q goes back, then quits.\n"
            "\n"
            "Demos are looked up in $IPCSCOPE_DEMOS, <bindir>/../demos or\n"
            "<bindir>/../libexec/ipcscope; lessons in $IPCSCOPE_LESSONS,\n"
            "<bindir>/../../docs/lessons or <bindir>/../share/ipcscope/lessons.\n");
}

static int list_demos(void)
{
    tui_lang_t lang = tui_i18n_lang();
    for (int i = 0; i < tui_catalogue_count(); i++) {
        const tui_mech_t *m = tui_catalogue_get(i);
        char path[PATH_MAX];
        int built = tui_catalogue_path(m, path, sizeof path) == 0;
        printf("%-14s %-8s %s\n", m->name, tui_i18n(built ? TUI_S_BUILT : TUI_S_PLANNED),
               tui_catalogue_summary(m, lang));
    }
    return 0;
}

static int run_demo(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "ipcscope run: which demo? (ipcscope list)\n");
        return 2;
    }
    const tui_mech_t *m = tui_catalogue_find(argv[0]);
    if (!m) {
        fprintf(stderr, "ipcscope run: no demo named '%s' (ipcscope list)\n", argv[0]);
        return 2;
    }
    char path[PATH_MAX];
    if (tui_catalogue_path(m, path, sizeof path) < 0) {
        fprintf(stderr, "ipcscope run: %s is planned but not built yet\n", m->name);
        return 1;
    }
    argv[0] = path;
    unsetenv("IPCSCOPE_EVENT_FD");
    unsetenv("IPCSCOPE_CONTROL_FD");
    execv(path, argv);
    fprintf(stderr, "ipcscope run: execv %s: %s\n", path, strerror(errno));
    return 127;
}

/* ---- the dashboard --------------------------------------------------------- */

static int dashboard(void)
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
    app.control_fd = -1;
    app.ui.model = app.model;
    app.ui.procs = app.procs;
    app.ui.focus = TUI_PANE_PROCS;
    signal(SIGPIPE, SIG_IGN); /* a demo that left is an EPIPE, not our death */

    if (tui_crt_init() < 0) {
        fprintf(stderr, "ipcscope: cannot set up the terminal\n");
        return 1;
    }
    tui_crt_on_crash(on_crash);

    /* Signals after initscr: ours replace the handlers ncurses installs. */
    uv_signal_init(app.loop, &app.sigwinch);
    uv_signal_start(&app.sigwinch, on_winch, SIGWINCH);
    uv_signal_init(app.loop, &app.sigint);
    uv_signal_start(&app.sigint, on_stop_signal, SIGINT);
    uv_signal_init(app.loop, &app.sigterm);
    uv_signal_start(&app.sigterm, on_stop_signal, SIGTERM);
    uv_signal_init(app.loop, &app.sighup);
    uv_signal_start(&app.sighup, on_stop_signal, SIGHUP);
    uv_poll_init(app.loop, &app.input, STDIN_FILENO);
    uv_poll_start(&app.input, UV_READABLE, on_input);
    uv_timer_init(app.loop, &app.redraw);
    uv_timer_start(&app.redraw, on_redraw, 0, FRAME_MS);
    uv_timer_init(app.loop, &app.scan);
    uv_timer_init(app.loop, &app.stop_timer);
    /* ipcscope open DEMO: launch it now that every handle it uses exists */
    if (app.open_mech && launch(app.open_mech) < 0) {
        char buf[160];
        snprintf(buf, sizeof buf, "dashboard: cannot launch %s", app.open_mech->name);
        note(buf);
    }
    mark();

    uv_run(app.loop, UV_RUN_DEFAULT);

    /* Out: restore the terminal first, then close everything. */
    tui_crt_done();
    close_demo_pipes();
    uv_handle_t *handles[] = {
        (uv_handle_t *)&app.input,  (uv_handle_t *)&app.sigwinch, (uv_handle_t *)&app.sigint,
        (uv_handle_t *)&app.sigterm, (uv_handle_t *)&app.sighup,  (uv_handle_t *)&app.redraw,
        (uv_handle_t *)&app.scan,   (uv_handle_t *)&app.stop_timer,
    };
    for (size_t i = 0; i < sizeof handles / sizeof handles[0]; i++)
        if (!uv_is_closing(handles[i]))
            uv_close(handles[i], NULL);
    scope_spawn_shutdown(app.loop);
    uv_run(app.loop, UV_RUN_NOWAIT);
    uv_loop_close(app.loop);
    scope_ndjson_free(&app.decoder);
    if (app.have_lesson)
        tui_lesson_free(&app.lesson);
    tui_model_free(app.model);
    tui_procfs_free(app.procs);
    if (app.record)
        fclose(app.record);
    return app.stop_signal ? 128 + app.stop_signal : 0;
}

/* ipcscope open DEMO [options]: the dashboard, launching DEMO at once. */
static int open_demo(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "ipcscope open: which demo? (ipcscope list)\n");
        return 2;
    }
    const tui_mech_t *m = tui_catalogue_find(argv[0]);
    char path[PATH_MAX];
    if (!m || tui_catalogue_path(m, path, sizeof path) < 0) {
        fprintf(stderr, "ipcscope open: %s '%s' (ipcscope list)\n",
                m ? "not built yet:" : "no demo named", argv[0]);
        return m ? 1 : 2;
    }
    app.open_mech = m;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        double v = val ? strtod(val, &end) : -1;
        int number = val && end != val && *end == '\0';
        if (strcmp(opt, "--rate") == 0 && number && v >= 0 && v <= 1e6) {
            app.ui.rate = v;
        } else if (strcmp(opt, "--size") == 0 && number && v >= 1 && v <= 64 * 1048576.0) {
            app.ui.size = (long)v;
        } else if (strcmp(opt, "--count") == 0 && number && v >= 0 && v == (long)v) {
            app.launch_count = val;
        } else if (strcmp(opt, "--record") == 0 && val) {
            if (!(app.record = fopen(val, "w"))) {
                fprintf(stderr, "ipcscope open: --record %s: %s\n", val, strerror(errno));
                return 1;
            }
            setvbuf(app.record, NULL, _IOLBF, 0); /* whole lines, readable while it runs */
        } else {
            fprintf(stderr, "ipcscope open: bad option or value: %s %s\n", opt, val ? val : "");
            return 2;
        }
        i++;
    }
    return -1; /* go on to the dashboard */
}

int tui_app_main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    tui_i18n_set(tui_i18n_from_env());
    tui_catalogue_init(argv[0]);

    /* --lang, --help and --version may come anywhere before the command. */
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("ipcscope %s (event protocol v1)\n", TUI_VERSION);
            return 0;
        } else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc &&
                   tui_i18n_parse(argv[i + 1]) >= 0) {
            tui_i18n_set((tui_lang_t)tui_i18n_parse(argv[++i]));
        } else if (strncmp(argv[i], "--lang=", 7) == 0 && tui_i18n_parse(argv[i] + 7) >= 0) {
            tui_i18n_set((tui_lang_t)tui_i18n_parse(argv[i] + 7));
        } else {
            fprintf(stderr, "ipcscope: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    app.ui.rate = LAUNCH_RATE;
    app.ui.size = LAUNCH_SIZE;
    app.launch_count = LAUNCH_COUNT;
    if (i == argc)
        return dashboard();
    if (strcmp(argv[i], "open") == 0) {
        int r = open_demo(argc - i - 1, argv + i + 1);
        return r >= 0 ? r : dashboard();
    }
    if (strcmp(argv[i], "list") == 0)
        return list_demos();
    if (strcmp(argv[i], "run") == 0)
        return run_demo(argc - i - 1, argv + i + 1);
    fprintf(stderr, "ipcscope: unknown command '%s'\n", argv[i]);
    usage(stderr);
    return 2;
}
