/* compare: the compare screen and `ipcscope compare --json`. See compare.h.
 *
 * A run (compare_run.h) measures in the background; once it is over its
 * stdout is parsed, cached and shown.
 */
#include "compare.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>

#include "articles.h"
#include "compare_body.h"
#include "compare_doc.h"
#include "compare_guide.h"
#include "compare_quiz.h"
#include "compare_run.h"
#include "compare_table.h"
#include "crt.h"
#include "i18n.h"
#include "spawn.h"
#include "text.h"

/* ---- the screen's words ------------------------------------------------------- */

typedef enum {
    W_TITLE, W_MEASURING, W_CACHED, W_MEASURED, W_NO_DATA, W_FAILED, W_CLAIMS, W_DEMO, W_ARTICLE, W_MEASURE_AGAIN, W_FIRST_RUN,
    W_CORES, W_QUICK, W_FULL, W_SCROLL, W_MEASURE, W_BACK, W_HELP, W_HELP_CLOSE, W_STOPPED,
    W_NO_SCRIPT, W_COLUMNS, W_COUNT
} word_t;

static const char *const words[W_COUNT][2] = {
    [W_TITLE] = {"ipcscope: compare - the articles' tables, measured here",
                 "ipcscope：对比 - 文章里的对比表，在本机实测"},
    [W_MEASURING] = {"MEASURING", "测量中"},
    [W_CACHED] = {"CACHED", "缓存"},
    [W_MEASURED] = {"MEASURED", "已测"},
    [W_NO_DATA] = {"NO DATA", "无数据"},
    [W_FAILED] = {"the measurement failed", "测量失败"},
    [W_CLAIMS] = {"The articles' claims, checked against these figures",
                  "文章里的说法，用这些数字检验"},
    [W_DEMO] = {"see it", "演示"},
    [W_ARTICLE] = {"from", "出自"},
    [W_MEASURE_AGAIN] = {"m measures again (C and node, 64-byte round trips, under a minute)",
                         "按 m 重新测量（C 与 node，64 字节往返，不到一分钟）"},
    [W_FIRST_RUN] = {"no figures yet: measuring once, then they are kept for next time",
                     "还没有数据：先测一次，结果会留到下次"},
    [W_CORES] = {"cores", "核"},
    [W_QUICK] = {"quick run", "快速测量"},
    [W_FULL] = {"full run", "完整测量"},
    [W_SCROLL] = {"scroll", "滚动"},
    [W_MEASURE] = {"measure", "测量"},
    [W_COLUMNS] = {"columns", "文章列"},
    [W_BACK] = {"back", "返回"},
    [W_HELP] = {"help", "帮助"},
    [W_HELP_CLOSE] = {"any key closes this help", "按任意键关闭帮助"},
    [W_STOPPED] = {"the run was stopped", "测量已中止"},
    [W_NO_SCRIPT] = {"bench/compare.sh not found beside this build or installed copy (or in $IPCSCOPE_COMPARE)",
                     "在这个构建或安装旁边找不到 bench/compare.sh（或 $IPCSCOPE_COMPARE）"},
};

static const char *w(word_t k)
{
    return words[k][tui_i18n_lang() == TUI_LANG_ZH];
}


/* ---- state --------------------------------------------------------------------- */

typedef struct {
    uv_loop_t *loop;
    int active, dirty, help, scroll, body_h, body_rows;
    int col_set; /* the articles' columns shown when not all fit (a) */
    tui_compare_doc_t doc;
    int have_doc, cached;
    int stopped, sync; /* the last run was stopped; sync: compare --json */
    char error[400];
} compare_t;

static compare_t cmp;

static void mark(void)
{
    cmp.dirty = 1;
}

static void load_cache(void)
{
    char *json = tui_compare_cache_read();
    if (json && tui_compare_doc_parse(json, &cmp.doc) == 0) {
        cmp.have_doc = 1;
        cmp.cached = 1;
    }
    free(json);
}

/* ---- a run (compare_run) ---------------------------------------------------------- */

static void on_run_done(const char *out, int exit_status, int term_signal, int stopped)
{
    int step, steps;
    const char *doing, *doing_zh;
    tui_compare_run_progress(&step, &steps, &doing, &doing_zh);
    cmp.stopped = stopped;
    cmp.error[0] = '\0';
    if (stopped) {
        snprintf(cmp.error, sizeof cmp.error, "%s", w(W_STOPPED));
    } else if (exit_status == 0 && term_signal == 0 && tui_compare_doc_parse(out, &cmp.doc) == 0) {
        cmp.have_doc = 1;
        cmp.cached = 0;
        int r = tui_compare_cache_write(out);
        if (r < 0)
            snprintf(cmp.error, sizeof cmp.error, "cache: %s", strerror(-r));
    } else {
        if (cmp.have_doc) /* the figures shown stay the last good ones */
            load_cache();
        snprintf(cmp.error, sizeof cmp.error, "%s (%s %d)%s%s", w(W_FAILED),
                 term_signal ? "signal" : "exit", term_signal ? term_signal : exit_status,
                 doing[0] ? ": " : "", doing);
    }
    if (cmp.sync) {
        if (!cmp.error[0] || strncmp(cmp.error, "cache:", 6) == 0)
            fputs(out, stdout);
        if (cmp.error[0])
            fprintf(stderr, "ipcscope compare: %s\n", cmp.error);
    }
    mark();
}

/* Starts a run; returns 0 or a negative errno (and says why). */
static int measure(void)
{
    cmp.error[0] = '\0';
    int r = tui_compare_run_start(cmp.loop, cmp.sync, mark, on_run_done, cmp.error, sizeof cmp.error);
    if (r == -ENOENT) {
        snprintf(cmp.error, sizeof cmp.error, "%s", w(W_NO_SCRIPT));
        if (cmp.sync)
            fprintf(stderr, "ipcscope compare: %s\n", words[W_NO_SCRIPT][0]);
    }
    mark();
    return r;
}

void tui_compare_stop(void)
{
    tui_compare_run_stop();
}

/* ---- the screen ------------------------------------------------------------------ */

void tui_compare_open(uv_loop_t *loop)
{
    cmp.loop = loop;
    cmp.active = 1;
    cmp.help = 0;
    cmp.scroll = 0;
    if (!cmp.have_doc)
        load_cache();
    if (!cmp.have_doc)
        measure();
    mark();
}

int tui_compare_active(void)
{
    return cmp.active;
}

static const struct {
    const char *label, *ascii, *en, *zh;
} keys[] = {
    {"↑↓ PgUp PgDn", "Up Dn PgUp PgDn", "scroll the figures and the claims", "滚动数字与说法"},
    {"m", NULL, "measure again; the figures shown stay until it ends", "重新测量；测完之前仍显示原来的数字"},
    {"a", NULL, "the articles' other columns, when not all fit (160 columns hold them all)",
     "文章表格的其他列（屏幕放不下全部时；160 列宽可全部显示）"},
    {"g", NULL, "a guide to choosing: a mechanism, its figures, its demo",
     "选择指南：回答几个问题，得到一种机制、它的数字和演示"},
    {"p", NULL, "a quiz: predict, then see what this machine measured", "小测验：先预测，再看本机实测"},
    {"L", NULL, "English / Chinese", "英文 / 中文"},
    {"?", NULL, "every key", "所有按键"},
    {"q", NULL, "back to the menu (a run in progress is stopped)", "返回菜单（正在进行的测量会中止）"},
};
#define NKEYS (int)(sizeof keys / sizeof keys[0])

int tui_compare_help(int i, const char **label, const char **text)
{
    if (i < 0 || i >= NKEYS)
        return 0;
    *label = keys[i].ascii ? keys[i].ascii : keys[i].label;
    *text = keys[i].en;
    return 1;
}

/* Does what a key on the guide or the quiz asked of the screen. */
static tui_action_t panel_next(tui_compare_next_t next)
{
    switch (next) {
    case TUI_COMPARE_LANG: return TUI_ACTION_LANG;
    case TUI_COMPARE_MEASURE: measure(); break;
    case TUI_COMPARE_OPEN: /* the guide's demo: the screen and its run end */
        tui_compare_stop();
        cmp.active = 0;
        return TUI_ACTION_OPEN_DEMO;
    default: break;
    }
    return TUI_ACTION_NONE;
}

tui_action_t tui_compare_key(wint_t k, int code)
{
    mark();
    if (tui_compare_guide_active())
        return panel_next(tui_compare_guide_key(k, code));
    if (tui_compare_quiz_active())
        return panel_next(tui_compare_quiz_key(k, code));
    if (cmp.help) {
        cmp.help = 0;
        return TUI_ACTION_NONE;
    }
    int page = cmp.body_h > 2 ? cmp.body_h - 1 : 1;
    if (code) {
        switch (k) {
        case KEY_UP: cmp.scroll--; break;
        case KEY_DOWN: cmp.scroll++; break;
        case KEY_PPAGE: cmp.scroll -= page; break;
        case KEY_NPAGE: cmp.scroll += page; break;
        case KEY_HOME: cmp.scroll = 0; break;
        case KEY_END: cmp.scroll = 1 << 20; break;
        default: break;
        }
        return TUI_ACTION_NONE;
    }
    switch (k) {
    case 'j': cmp.scroll++; break;
    case 'k': cmp.scroll--; break;
    case ' ': cmp.scroll += page; break;
    case 'm': measure(); break;
    case 'a': cmp.col_set = (cmp.col_set + 1) % tui_compare_table_sets(); break;
    case 'g': tui_compare_guide_open(); break;
    case 'p': tui_compare_quiz_open(cmp.have_doc ? &cmp.doc : NULL); break;
    case '?': cmp.help = 1; break;
    case 'L': return TUI_ACTION_LANG;
    case 'q':
    case 27:
        tui_compare_stop();
        cmp.active = 0;
        break;
    default: break;
    }
    return TUI_ACTION_NONE;
}

/* ---- drawing --------------------------------------------------------------------- */

/* The body's lines (compare_body.h), by the names claims() draws with. */
static void text_at(int v, int x, int maxw, tui_role_t role, const char *s)
{
    tui_compare_body_text(v, x, maxw, role, s);
}

static int wrapped_at(int v, int x, int wd, tui_role_t role, const char *s)
{
    return tui_compare_body_wrap(v, x, wd, role, s);
}

static int claims(int v, int x, int wd)
{
    int zh = tui_i18n_lang() == TUI_LANG_ZH;
    static const tui_role_t roles[] = {TUI_ROLE_BUILT, TUI_ROLE_ERROR, TUI_ROLE_PAUSED,
                                       TUI_ROLE_DIM};
    static const char *const names[][2] = {{"holds", "成立"},
                                           {"does not hold", "不成立"},
                                           {"depends", "视情况而定"},
                                           {"not measured", "未测量"}};
    text_at(v++, x, wd, TUI_ROLE_PANE_TITLE, w(W_CLAIMS));
    for (int i = 0; i < cmp.doc.nclaims; i++) {
        const tui_compare_claim_t *c = &cmp.doc.claims[i];
        char badge[48], line[900];
        snprintf(badge, sizeof badge, "[%s]", names[c->verdict][zh]);
        int bw = tui_text_width(badge) + 1;
        text_at(v, x, wd, roles[c->verdict], badge);
        v += wrapped_at(v, x + bw, wd - bw, TUI_ROLE_HEADING, c->claim[zh]);
        v += wrapped_at(v, x + 2, wd - 2, TUI_ROLE_DEFAULT, c->sentence[zh]);
        /* the demo and the lesson step that show it, then the articles by their names */
        char names_buf[300], see[80];
        scope_articles_names(c->source, zh, names_buf, sizeof names_buf);
        if (c->step > 0)
            snprintf(see, sizeof see, zh ? "见：%s 第 %d 步" : "see: %s, step %d", c->demo,
                     c->step);
        else
            snprintf(see, sizeof see, zh ? "见：%s" : "see: %s", c->demo);
        snprintf(line, sizeof line, zh ? "%s · %s：%s" : "%s · %s: %s", see, w(W_ARTICLE),
                 names_buf);
        v += wrapped_at(v, x + 2, wd - 2, TUI_ROLE_DIM, line);
    }
    return v;
}

static void status(int y, int cols)
{
    int zh = tui_i18n_lang() == TUI_LANG_ZH;
    char set[48];
    snprintf(set, sizeof set, "%s %d/%d", w(W_COLUMNS), cmp.col_set % tui_compare_table_sets() + 1,
             tui_compare_table_sets());
    const char *items[][2] = {
        {tui_crt_utf8() ? "↑↓" : "Up/Dn", w(W_SCROLL)},
        {"m", w(W_MEASURE)},
        {"a", set}, /* left out when every column fits */
        {"g", zh ? "选择指南" : "guide"},
        {"p", zh ? "小测验" : "quiz"},
        {"L", zh ? "English" : "中文"},
        {"?", w(W_HELP)},
        {"q", w(W_BACK)},
    };
    int wide = !cmp.have_doc || tui_compare_table_wide(cols);
    tui_crt_fill(y, 0, cols, TUI_ROLE_STATUS);
    int x = 0;
    for (size_t i = 0; i < sizeof items / sizeof items[0] && x < cols; i++) {
        if (i == 2 && wide)
            continue;
        x += tui_crt_text(y, x, cols - x, TUI_ROLE_STATUS_KEY, items[i][0]);
        x += tui_crt_text(y, x, cols - x, TUI_ROLE_STATUS, " ");
        x += tui_crt_text(y, x, cols - x, TUI_ROLE_STATUS, items[i][1]);
        x += 2;
    }
}

static void help_box(int rows, int cols)
{
    int zh = tui_i18n_lang() == TUI_LANG_ZH, wd = cols - 4 < 70 ? cols - 4 : 70, h = NKEYS + 4;
    int y = (rows - h) / 2, x = (cols - wd) / 2;
    for (int i = 0; i < h; i++)
        tui_crt_fill(y + i, x, wd, TUI_ROLE_DEFAULT);
    tui_crt_box(y, x, h, wd, TUI_ROLE_BORDER_FOCUS, tui_i18n(TUI_S_HELP_TITLE), TUI_ROLE_PANE_TITLE_FOCUS);
    for (int i = 0; i < NKEYS; i++) {
        const char *label = keys[i].ascii && !tui_crt_utf8() ? keys[i].ascii : keys[i].label;
        tui_crt_text(y + 1 + i, x + 2, 15, TUI_ROLE_VALUE, label);
        tui_crt_text(y + 1 + i, x + 18, wd - 20, TUI_ROLE_DEFAULT, zh ? keys[i].zh : keys[i].en);
    }
    tui_crt_text(y + h - 2, x + 2, wd - 4, TUI_ROLE_DIM, w(W_HELP_CLOSE));
}

void tui_compare_draw(int force)
{
    if (!force && !cmp.dirty)
        return;
    cmp.dirty = 0;
    if (tui_compare_guide_active()) { /* the guide and the quiz draw over the screen */
        tui_compare_guide_draw(cmp.have_doc ? &cmp.doc : NULL);
        return;
    }
    if (tui_compare_quiz_active()) {
        tui_compare_quiz_draw();
        return;
    }
    int rows, cols, zh = tui_i18n_lang() == TUI_LANG_ZH;
    tui_crt_size(&rows, &cols);
    tui_crt_erase();
    if (rows < 10 || cols < 40) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s: %dx%d < 40x10", tui_i18n(TUI_S_TOO_SMALL), cols, rows);
        tui_crt_text(0, 0, cols, TUI_ROLE_ERROR, buf);
        tui_crt_flush();
        return;
    }
    /* the title bar, and what state the figures are in */
    int running = tui_compare_run_running(), step, steps;
    const char *doing[2];
    tui_compare_run_progress(&step, &steps, &doing[0], &doing[1]);
    char badge[64];
    if (running && steps)
        snprintf(badge, sizeof badge, " %s %d/%d ", w(W_MEASURING), step, steps);
    else
        snprintf(badge, sizeof badge, " %s ", running ? w(W_MEASURING) : !cmp.have_doc ? w(W_NO_DATA)
                                               : cmp.cached ? w(W_CACHED) : w(W_MEASURED));
    int bw = tui_text_width(badge);
    tui_crt_fill(0, 0, cols, TUI_ROLE_TITLE);
    tui_crt_text(0, 1, cols - bw - 2, TUI_ROLE_TITLE, w(W_TITLE));
    tui_role_t br = running || !cmp.have_doc ? TUI_ROLE_PAUSED : TUI_ROLE_TITLE;
    tui_crt_fill(0, cols - bw, bw, br);
    tui_crt_text(0, cols - bw, bw, br, badge);

    /* row 1: when, where, with what */
    char info[600];
    const tui_compare_doc_t *d = &cmp.doc;
    if (cmp.have_doc) {
        char date[32];
        snprintf(date, sizeof date, "%s", d->date);
        char *t = strchr(date, 'T');
        if (t)
            *t = ' ';
        if ((t = strchr(date, 'Z')))
            *t = '\0';
        snprintf(info, sizeof info, "%s UTC%s · %s N=%d · %d %s %s · Linux %s", date,
                 cmp.cached ? (zh ? "（缓存）" : " (cached)") : "",
                 strcmp(d->mode, "full") == 0 ? w(W_FULL) : w(W_QUICK), d->n, d->cores, w(W_CORES),
                 d->cpu, d->kernel);
        tui_crt_text(1, 1, cols - 2, TUI_ROLE_DIM, info);
        snprintf(info, sizeof info, "node %s · libuv %s · redis %s", d->node[0] ? d->node : "-",
                 d->libuv, d->redis[0] ? d->redis : "-");
        tui_crt_text(2, 1, cols - 2, TUI_ROLE_DIM, info);
    } else {
        tui_crt_text(1, 1, cols - 2, TUI_ROLE_DIM, w(W_FIRST_RUN));
    }
    /* row 3: the run, or what to do */
    if (running) {
        int bar = cols / 4 > 30 ? 30 : cols / 4, done = steps ? bar * step / steps : 0;
        char line[400];
        int n = 0;
        for (int i = 0; i < bar; i++)
            n += snprintf(line + n, sizeof line - (size_t)n, "%s",
                          i < done ? tui_crt_eighths(8) : tui_crt_utf8() ? "·" : ".");
        snprintf(line + n, sizeof line - (size_t)n, " %d/%d %s", step, steps, doing[zh]);
        tui_crt_text(3, 1, cols - 2, TUI_ROLE_VALUE, line);
    } else if (cmp.error[0]) {
        tui_crt_text(3, 1, cols - 2, TUI_ROLE_ERROR, cmp.error);
    } else {
        tui_crt_text(3, 1, cols - 2, TUI_ROLE_DIM, cmp.have_doc ? w(W_MEASURE_AGAIN) : w(W_FIRST_RUN));
    }

    /* the body: the table, what was not measured, the claims */
    int body_top = 5, body_bottom = rows - 1;
    cmp.body_h = body_bottom - body_top;
    int x = 1, wd = cols - 2;
    if (cmp.have_doc) {
        for (int pass = 0; pass < 2; pass++) { /* the first only measures the height */
            if (pass == 1) {
                int max = cmp.body_rows - cmp.body_h;
                if (cmp.scroll > max)
                    cmp.scroll = max;
                if (cmp.scroll < 0)
                    cmp.scroll = 0;
            }
            /* the first pass shows nothing */
            tui_compare_body_window(body_top, pass ? body_bottom : body_top, cmp.scroll);
            int v = tui_compare_table_draw(0, x, cols, &cmp.doc, cmp.col_set);
            v++;
            v = claims(v, x, wd);
            cmp.body_rows = v;
        }
        if (cmp.body_rows > cmp.body_h) { /* where the window is, on the right */
            char pos[32];
            snprintf(pos, sizeof pos, "%d-%d/%d", cmp.scroll + 1,
                     cmp.scroll + cmp.body_h < cmp.body_rows ? cmp.scroll + cmp.body_h : cmp.body_rows,
                     cmp.body_rows);
            tui_crt_text(4, cols - 1 - tui_text_width(pos), tui_text_width(pos), TUI_ROLE_DIM, pos);
        }
    }
    status(rows - 1, cols);
    if (cmp.help)
        help_box(rows, cols);
    tui_crt_flush();
}

/* ---- ipcscope compare [--json] ------------------------------------------------- */

static void on_stop_signal(uv_signal_t *h, int sig)
{
    (void)h;
    (void)sig;
    tui_compare_stop();
}

int tui_compare_cmd(int argc, char **argv)
{
    int json = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else {
            fprintf(stderr, "ipcscope compare: unknown option '%s' (compare [--json])\n", argv[i]);
            return 2;
        }
    }
    if (!json)
        return -1;
    signal(SIGPIPE, SIG_IGN);
    cmp.loop = uv_default_loop();
    cmp.sync = 1;
    if (measure() < 0)
        return 1;
    /* Ctrl-C ends the run's whole group, its redis-server included. */
    uv_signal_t sigs[3];
    static const int stops[3] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; i++) {
        uv_signal_init(cmp.loop, &sigs[i]);
        uv_signal_start(&sigs[i], on_stop_signal, stops[i]);
        uv_unref((uv_handle_t *)&sigs[i]);
    }
    uv_run(cmp.loop, UV_RUN_DEFAULT);
    for (int i = 0; i < 3; i++)
        uv_close((uv_handle_t *)&sigs[i], NULL);
    scope_spawn_shutdown(cmp.loop);
    uv_run(cmp.loop, UV_RUN_NOWAIT);
    int step, steps;
    const char *doing, *doing_zh;
    tui_compare_run_progress(&step, &steps, &doing, &doing_zh);
    if (isatty(STDERR_FILENO) && steps)
        fprintf(stderr, "\r\033[K");
    int ok = !cmp.error[0] || strncmp(cmp.error, "cache:", 6) == 0;
    tui_compare_run_free();
    return ok ? (cmp.stopped ? 130 : 0) : 1;
}
