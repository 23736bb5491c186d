/* view: the screens' frame (layout, title bar, status bar, help) and the menu.
 * See view.h. The panes are in view_*.c.
 */
#include "view.h"

#include "articles.h"

#include <stdio.h>
#include <string.h>

#include "compare_articles.h"
#include "crt.h"
#include "i18n.h"
#include "keys.h"
#include "text.h"

#define MIN_ROWS 10
#define MIN_COLS 40

void tui_view_layout(int rows, int cols, int zoom, tui_pane_t focus, tui_rect_t out[TUI_PANE_COUNT])
{
    int top = 1, h = rows - 2; /* title bar above, status bar below */
    memset(out, 0, TUI_PANE_COUNT * sizeof out[0]);
    if (h < 4 || cols < 8)
        return;
    if (zoom) {
        out[focus] = (tui_rect_t){top, 0, h, cols};
        return;
    }
    /* Two columns of two panes. The flow gets the wider column; on a large
     * terminal the process tree gets room for its fds and peers. */
    int left = cols >= 160 ? cols * 2 / 5 : cols * 9 / 20;
    int htop = h * 11 / 20;
    if (h - htop < 6 && h >= 12)
        htop = h - 6;
    out[TUI_PANE_PROCS] = (tui_rect_t){top, 0, htop, left};
    out[TUI_PANE_FLOW] = (tui_rect_t){top, left, htop, cols - left};
    out[TUI_PANE_LATENCY] = (tui_rect_t){top + htop, 0, h - htop, left};
    out[TUI_PANE_TEXT] = (tui_rect_t){top + htop, left, h - htop, cols - left};
}

/* ---- bars ------------------------------------------------------------- */

typedef struct {
    const char *key;
    tui_str_t label;
    int prio; /* higher stays longer when the bar is short of room */
} key_item_t;

static void status_bar(int y, int cols, const key_item_t *items, int n)
{
    int keep[32], total;
    for (int i = 0; i < n; i++)
        keep[i] = 1;
    /* Drop the least important items until the bar fits: better fewer
     * readable keys than all of them cut. */
    for (;;) {
        total = 0;
        int low = -1;
        for (int i = 0; i < n; i++) {
            if (!keep[i])
                continue;
            total += tui_text_width(items[i].key) + 1 + tui_text_width(tui_i18n(items[i].label)) + 2;
            if (low < 0 || items[i].prio < items[low].prio)
                low = i;
        }
        if (total <= cols || low < 0)
            break;
        keep[low] = 0;
    }
    tui_crt_fill(y, 0, cols, TUI_ROLE_STATUS);
    int x = 0;
    for (int i = 0; i < n && x < cols; i++) {
        if (!keep[i])
            continue;
        x += tui_crt_text(y, x, cols - x, TUI_ROLE_STATUS_KEY, items[i].key);
        x += tui_crt_text(y, x, cols - x, TUI_ROLE_STATUS, " ");
        x += tui_crt_text(y, x, cols - x, TUI_ROLE_STATUS, tui_i18n(items[i].label));
        x += 2;
    }
}

static void title_bar(const tui_ui_t *ui, int cols)
{
    tui_crt_fill(0, 0, cols, TUI_ROLE_TITLE);
    char left[256];
    if (ui->screen == TUI_SCREEN_MENU) {
        tui_crt_text(0, 1, cols - 2, TUI_ROLE_TITLE, tui_i18n(TUI_S_APP_TITLE));
        return;
    }
    const tui_model_t *m = ui->model;
    /* the demo's own title is English: a Chinese screen shows its summary */
    const char *title = tui_i18n_lang() == TUI_LANG_ZH ? tui_catalogue_summary(ui->mech, TUI_LANG_ZH)
                        : m->title[0]                  ? m->title
                                                       : tui_catalogue_title(ui->mech);
    snprintf(left, sizeof left, "ipcscope: %s%s%s", ui->mech->name, title[0] ? " - " : "", title);

    /* right: state badge, rate, size */
    tui_str_t state = !ui->running ? TUI_S_ENDED
                      : ui->stopping ? TUI_S_STOPPING
                      : ui->stepping ? TUI_S_STEPPING
                      : ui->paused   ? TUI_S_PAUSED
                                     : TUI_S_RUNNING;
    char rate[32], size[32], right[128];
    if (ui->rate > 0)
        snprintf(rate, sizeof rate, "%g/s", ui->rate);
    else
        snprintf(rate, sizeof rate, "%s", tui_i18n(TUI_S_RATE_MAX));
    tui_text_bytes(size, sizeof size, (double)ui->size);
    snprintf(right, sizeof right, "%s %s  %s %s ", tui_i18n(TUI_S_RATE), rate,
             tui_i18n(TUI_S_SIZE), size);
    int badge_w = tui_text_width(tui_i18n(state)) + 2;
    int right_w = tui_text_width(right);
    int flash_w = ui->flash[0] ? tui_text_width(ui->flash) + 2 : 0;
    int avail = cols - 1 - badge_w - 2;
    right_w += 1; /* a gap before it */
    /* What a key just did (the flash) is news for a few seconds: then it
     * goes before the rate and size; later it waits for room. */
    int fresh = ui->flash[0] && ui->now_ns - ui->flash_ns < 4000000000ull;
    int show_flash = fresh && avail - flash_w > 24;
    if (show_flash)
        avail -= flash_w;
    int show_right = avail - right_w > 20;
    if (show_right)
        avail -= right_w;
    if (!show_flash && ui->flash[0] && avail - flash_w > 24) {
        show_flash = 1;
        avail -= flash_w;
    }
    tui_crt_text(0, 1, avail, TUI_ROLE_TITLE, left);
    int x = cols - badge_w;
    if (show_right) {
        x -= right_w;
        tui_crt_text(0, x, right_w, TUI_ROLE_TITLE, right);
    }
    if (show_flash) {
        x -= flash_w;
        tui_crt_text(0, x, flash_w - 2, TUI_ROLE_TITLE, ui->flash);
    }
    tui_role_t br = state == TUI_S_RUNNING ? TUI_ROLE_TITLE : TUI_ROLE_PAUSED;
    tui_crt_fill(0, cols - badge_w, badge_w, br);
    tui_crt_text(0, cols - badge_w + 1, badge_w - 1, br, tui_i18n(state));
}

/* ---- help ------------------------------------------------------------- */

static void help(const tui_ui_t *ui, int rows, int cols)
{
    const char *key;
    tui_str_t text;
    int n = 0, keyw = 14, utf8 = tui_crt_utf8();
    while (tui_keys_help(ui->screen, n, utf8, &key, &text))
        n++;
    int w = cols - 4 < 64 ? cols - 4 : 64;
    int h = n + 4 < rows - 2 ? n + 4 : rows - 2;
    int y = (rows - h) / 2, x = (cols - w) / 2;
    for (int i = 0; i < h; i++)
        tui_crt_fill(y + i, x, w, TUI_ROLE_DEFAULT);
    tui_crt_box(y, x, h, w, TUI_ROLE_BORDER_FOCUS, tui_i18n(TUI_S_HELP_TITLE),
                TUI_ROLE_PANE_TITLE_FOCUS);
    for (int i = 0; i < n && y + 1 + i < y + h - 2; i++) {
        tui_keys_help(ui->screen, i, utf8, &key, &text);
        tui_crt_text(y + 1 + i, x + 2, keyw, TUI_ROLE_VALUE, key);
        tui_crt_text(y + 1 + i, x + 2 + keyw + 1, w - keyw - 5, TUI_ROLE_DEFAULT, tui_i18n(text));
    }
    tui_crt_text(y + h - 2, x + 2, w - 4, TUI_ROLE_DIM, tui_i18n(TUI_S_HELP_CLOSE));
}

/* ---- the menu ----------------------------------------------------------- */


static void menu(const tui_ui_t *ui, int rows, int cols)
{
    int n = tui_catalogue_count();
    int listw = cols / 3 < 26 ? cols / 3 : 26;
    if (listw < 18)
        listw = cols > 40 ? 18 : cols / 2;
    int top = 1, h = rows - 2;
    tui_crt_box(top, 0, h, listw, TUI_ROLE_BORDER_FOCUS, tui_i18n(TUI_S_MECHANISMS),
                TUI_ROLE_PANE_TITLE_FOCUS);
    int first = 0, vis = h - 2;
    if (ui->menu_sel >= vis)
        first = ui->menu_sel - vis + 1;
    for (int i = first; i < n && i - first < vis; i++) {
        const tui_mech_t *m = tui_catalogue_get(i);
        char path[512];
        int built = tui_catalogue_path(m, path, sizeof path) == 0;
        int y = top + 1 + i - first;
        int sel = i == ui->menu_sel;
        tui_role_t role = sel ? TUI_ROLE_SELECTED : built ? TUI_ROLE_BUILT : TUI_ROLE_PLANNED;
        tui_crt_fill(y, 1, listw - 2, role);
        tui_crt_text(y, 2, listw - 4, role, m->name);
        const char *tag = built ? "" : tui_i18n(TUI_S_PLANNED);
        int tw = tui_text_width(tag);
        if (*tag && listw - 4 - tui_text_width(m->name) > tw)
            tui_crt_text(y, listw - 2 - tw, tw, sel ? role : TUI_ROLE_DIM, tag);
    }

    /* details of the selected mechanism */
    const tui_mech_t *m = tui_catalogue_get(ui->menu_sel);
    int x = listw + 1, w = cols - listw - 2, y = top + 1, end = top + h - 1;
    tui_crt_box(top, listw, h, cols - listw, TUI_ROLE_BORDER, m->name, TUI_ROLE_PANE_TITLE);
    char path[512], buf[1100];
    int built = tui_catalogue_path(m, path, sizeof path) == 0;
    tui_lang_t lang = tui_i18n_lang();
    if (built && lang != TUI_LANG_ZH) { /* the demo's own title is English */
        const char *title = tui_catalogue_title(m);
        if (title[0])
            y += tui_crt_wrapped(y, x + 1, w - 2, end - y, TUI_ROLE_HEADING, title);
    }
    y += tui_crt_wrapped(y, x + 1, w - 2, end - y, TUI_ROLE_DEFAULT, tui_catalogue_summary(m, lang));
    y++;
    if (y < end) {
        char names[600];
        scope_articles_names(m->articles, lang == TUI_LANG_ZH, names, sizeof names);
        snprintf(buf, sizeof buf, "%s: %s", tui_i18n(TUI_S_ARTICLES), names);
        y += tui_crt_wrapped(y, x + 1, w - 2, end - y, TUI_ROLE_DEFAULT, buf);
    }
    if (++y < end)
        y += tui_crt_wrapped(y, x + 1, w - 2, end - y, TUI_ROLE_PANE_TITLE, tui_i18n(TUI_S_TABLE_ROWS));
    if (m->nrows == 0 && y < end)
        y += tui_crt_wrapped(y, x + 3, w - 4, end - y, TUI_ROLE_DIM, tui_i18n(TUI_S_NO_ROW));
    for (int r = 0; r < m->nrows && y < end; r++) {
        const char *id = m->rows[r].article;
        int zh = lang == TUI_LANG_ZH, utf8 = tui_crt_utf8(), i = tui_article_find(id, m->rows[r].label);
        const char *article = scope_article_name(id, zh), *name = tui_article_row_name(id, i, zh);
        snprintf(buf, sizeof buf, "%s  (%s)", name ? name : m->rows[r].label,
                 article ? article : id);
        y += tui_crt_wrapped(y, x + 3, w - 4, end - y, TUI_ROLE_VALUE, buf);
        size_t len = 0;
        for (int k = 0; k < TUI_ARTICLE_WORDS && i >= 0 && len < sizeof buf; k++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s %s", k ? " · " : "",
                                    tui_article_word_head(id, (tui_article_word_t)k, zh),
                                    tui_article_word(id, i, (tui_article_word_t)k, zh, utf8));
        if (y < end && i >= 0)
            y += tui_crt_wrapped(y, x + 5, w - 6, end - y, TUI_ROLE_DEFAULT, buf);
    }
    y++;
    if (y < end)
        y += tui_crt_wrapped(y, x + 1, w - 2, end - y, built ? TUI_ROLE_BUILT : TUI_ROLE_PLANNED,
                     tui_i18n(built ? TUI_S_ENTER_LAUNCHES : TUI_S_PLANNED_LONG));
    char lesson[512];
    if (y < end) {
        if (tui_catalogue_lesson(m, lang, lesson, sizeof lesson) == 0) {
            const char *base = strrchr(lesson, '/');
            snprintf(buf, sizeof buf, "%s: %s", tui_i18n(TUI_S_LESSON), base ? base + 1 : lesson);
        } else {
            snprintf(buf, sizeof buf, "%s: %s.md.", tui_i18n(TUI_S_NO_LESSON), m->name);
        }
        tui_crt_wrapped(y, x + 1, w - 2, end - y, TUI_ROLE_DIM, buf);
    }

    static const key_item_t keys[] = {
        {"↑↓", TUI_S_K_SELECT, 5}, {"Enter", TUI_S_K_LAUNCH, 9}, {"S", TUI_S_K_LESSON_MODE, 7},
        {"L", TUI_S_K_LANG, 4},    {"?", TUI_S_K_HELP, 8},       {"q", TUI_S_K_QUIT, 10},
    };
    key_item_t k[6];
    memcpy(k, keys, sizeof k);
    if (!tui_crt_utf8())
        k[0].key = "Up/Dn";
    status_bar(rows - 1, cols, k, 6);
}

/* ---- the demo screen ----------------------------------------------------- */

static const tui_str_t pane_names[TUI_PANE_COUNT] = {TUI_S_PROCESSES, TUI_S_FLOW, TUI_S_LATENCY,
                                                     TUI_S_NARRATION};

/* The flow shows every message, or (when the demo samples what it traces, at
 * high rates) 1 in N of them: the lowest share any channel reported. */
static double flow_shown(const tui_model_t *m)
{
    double shown = 1;
    for (int i = 0; m && i < m->nchans; i++)
        if (m->chans[i].have_stats && m->chans[i].sample > 0 && m->chans[i].sample < shown)
            shown = m->chans[i].sample;
    return shown;
}

static void demo(const tui_ui_t *ui, int rows, int cols)
{
    tui_rect_t r[TUI_PANE_COUNT];
    tui_view_layout(rows, cols, ui->zoom, ui->focus, r);
    for (int p = 0; p < TUI_PANE_COUNT; p++) {
        if (r[p].h < 3 || r[p].w < 6)
            continue;
        int focus = (int)ui->focus == p;
        char title[96];
        tui_str_t name = pane_names[p];
        if (p == TUI_PANE_TEXT && ui->show_lesson)
            name = TUI_S_LESSON;
        snprintf(title, sizeof title, "%d %s", p + 1, tui_i18n(name));
        double shown = p == TUI_PANE_FLOW ? flow_shown(ui->model) : 1;
        if (shown < 0.999) {
            size_t len = strlen(title);
            snprintf(title + len, sizeof title - len, " · ");
            len = strlen(title);
            snprintf(title + len, sizeof title - len, tui_i18n(TUI_S_ONE_IN_N), 1 / shown);
        }
        tui_crt_box(r[p].y, r[p].x, r[p].h, r[p].w, focus ? TUI_ROLE_BORDER_FOCUS : TUI_ROLE_BORDER,
                    title, focus ? TUI_ROLE_PANE_TITLE_FOCUS : TUI_ROLE_PANE_TITLE);
        tui_rect_t in = {r[p].y + 1, r[p].x + 1, r[p].h - 2, r[p].w - 2};
        switch (p) {
        case TUI_PANE_PROCS:
            tui_view_procs(ui, in);
            break;
        case TUI_PANE_FLOW:
            tui_view_flow(ui, in);
            break;
        case TUI_PANE_LATENCY:
            tui_view_latency(ui, in);
            break;
        default:
            tui_view_text(ui, in);
            break;
        }
    }

    key_item_t k[16];
    int n = 0;
    k[n++] = (key_item_t){"?", TUI_S_K_HELP, 9};
    if (ui->running && !ui->stopping) {
        k[n++] = (key_item_t){tui_crt_utf8() ? "␣" : "Spc",
                              ui->paused || ui->stepping ? TUI_S_K_RESUME : TUI_S_K_PAUSE, 8};
        k[n++] = (key_item_t){"s", TUI_S_K_STEP, 5};
        k[n++] = (key_item_t){"+-", TUI_S_K_RATE, 6};
        k[n++] = (key_item_t){"[]", TUI_S_K_SIZE, 4};
    }
    k[n++] = (key_item_t){"Tab", TUI_S_K_PANE, 7};
    if (ui->focus == TUI_PANE_PROCS && ui->running)
        k[n++] = (key_item_t){"kK", TUI_S_K_KILL, 6};
    else
        k[n++] = (key_item_t){tui_crt_utf8() ? "↑↓" : "Up/Dn", TUI_S_K_SCROLL, 2};
    if (ui->running && !ui->stopping && ui->model && ui->model->nfaults > 0)
        k[n++] = (key_item_t){"f", TUI_S_K_FAULT, 4};
    k[n++] = (key_item_t){"r", TUI_S_K_RESTART, 3};
    k[n++] = (key_item_t){"l", ui->show_lesson ? TUI_S_K_LOG : TUI_S_K_LESSON, 5};
    k[n++] = (key_item_t){"z", TUI_S_K_ZOOM, 1};
    k[n++] = (key_item_t){"L", TUI_S_K_LANG, 1};
    k[n++] = (key_item_t){"q", TUI_S_K_BACK, 10};
    status_bar(rows - 1, cols, k, n);
}

void tui_view_draw(const tui_ui_t *ui)
{
    int rows, cols;
    tui_crt_size(&rows, &cols);
    tui_crt_erase();
    if (rows < MIN_ROWS || cols < MIN_COLS) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s: %dx%d < %dx%d", tui_i18n(TUI_S_TOO_SMALL), cols, rows,
                 MIN_COLS, MIN_ROWS);
        tui_crt_text(0, 0, cols, TUI_ROLE_ERROR, buf);
        tui_crt_flush();
        return;
    }
    title_bar(ui, cols);
    if (ui->screen == TUI_SCREEN_MENU)
        menu(ui, rows, cols);
    else
        demo(ui, rows, cols);
    if (ui->help)
        help(ui, rows, cols);
    tui_crt_flush();
}
