/* compare_guide: the guide to choosing, on the compare screen: the walk
 * through the tree of questions (compare_guide_tree.h) and its drawing. See
 * compare_guide.h.
 */
#include "compare_guide.h"

#include <stdio.h>
#include <string.h>

#include <curses.h>

#include "articles.h"
#include "compare_guide_tree.h"
#include "compare_names.h"
#include "compare_panel.h"
#include "i18n.h"
#include "text.h"

static int zh(void)
{
    return tui_i18n_lang() == TUI_LANG_ZH;
}

/* ---- the walk -------------------------------------------------------------------- */

#define MAX_DEPTH 8

static struct {
    int active;
    int node;              /* a question, or TUI_GUIDE_LEAF(x) */
    int path[MAX_DEPTH];   /* the questions answered, in order */
    int chosen[MAX_DEPTH]; /* the answer given to each */
    int depth;
} guide;

void tui_compare_guide_open(void)
{
    guide.active = 1;
    guide.node = TUI_GUIDE_Q_CROSS;
    guide.depth = 0;
}

int tui_compare_guide_active(void)
{
    return guide.active;
}

const char *tui_compare_guide_demo(void)
{
    return TUI_GUIDE_IS_LEAF(guide.node) ? tui_guide_leaves[guide.node - TUI_GUIDE_LEAF(0)].demo : NULL;
}

/* The answer a key gives to the question q, or -1. */
static int answer_of(const tui_guide_question_t *q, wint_t k)
{
    if (q->yes_no)
        return k == 'y' || k == 'Y' || k == '1' ? 0 : k == 'n' || k == 'N' || k == '2' ? 1 : -1;
    int a = (int)k - '1';
    return a >= 0 && a < q->nanswers ? a : -1;
}

/* Enter on a leaf: the guide closes, remembering the leaf for the demo. */
static tui_compare_next_t open_demo(void)
{
    if (!TUI_GUIDE_IS_LEAF(guide.node))
        return TUI_COMPARE_STAY;
    guide.active = 0;
    return TUI_COMPARE_OPEN;
}

tui_compare_next_t tui_compare_guide_key(wint_t k, int code)
{
    if (code) {
        if (k == KEY_ENTER)
            return open_demo();
        if ((k == KEY_BACKSPACE || k == KEY_LEFT) && guide.depth > 0)
            guide.node = guide.path[--guide.depth];
        return TUI_COMPARE_STAY;
    }
    switch (k) {
    case 'q':
    case 27:
        guide.active = 0;
        return TUI_COMPARE_CLOSED;
    case 'L':
        return TUI_COMPARE_LANG;
    case 'm':
        guide.active = 0;
        return TUI_COMPARE_MEASURE;
    case 'r':
        tui_compare_guide_open();
        return TUI_COMPARE_STAY;
    case 'b':
    case 127:
    case 8:
        if (guide.depth > 0)
            guide.node = guide.path[--guide.depth];
        return TUI_COMPARE_STAY;
    case '\r':
    case '\n':
        return open_demo();
    default:
        break;
    }
    if (TUI_GUIDE_IS_LEAF(guide.node))
        return TUI_COMPARE_STAY;
    const tui_guide_question_t *q = &tui_guide_questions[guide.node];
    int a = answer_of(q, k);
    if (a >= 0 && guide.depth < MAX_DEPTH) {
        guide.path[guide.depth] = guide.node;
        guide.chosen[guide.depth++] = a;
        guide.node = q->answers[a].next;
    }
    return TUI_COMPARE_STAY;
}

/* ---- drawing the guide ------------------------------------------------------------ */

static const char *const order_steps[3][2] = {{"across machines?", "是否跨机"},
                                              {"decoupling?", "是否需要解耦"},
                                              {"latency?", "对延迟的要求"}};

/* Row 1: 000's order of questions, the step the guide is at in bold; the
 * article's "选择时优先考虑" when there is room for it. */
static void draw_order(int y, int cols, int step)
{
    const char *arrow = tui_crt_utf8() ? " → " : " -> ";
    char head[200];
    int steps = 2 * tui_text_width(arrow);
    for (int i = 0; i < 3; i++)
        steps += tui_text_width(order_steps[i][zh()]);
    snprintf(head, sizeof head, zh() ? "《%s》：选择时优先考虑：" : "%s, when choosing, first: ",
             scope_article_name("000", zh()));
    if (tui_text_width(head) + steps > cols - 2)
        snprintf(head, sizeof head, zh() ? "《%s》：" : "%s: ", scope_article_name("000", zh()));
    int x = 1, end = cols - 1;
    x += tui_crt_text(y, x, end - x, TUI_ROLE_DIM, head);
    for (int i = 0; i < 3 && x < end; i++) {
        if (i)
            x += tui_crt_text(y, x, end - x, TUI_ROLE_DIM, arrow);
        x += tui_crt_text(y, x, end - x, i == step ? TUI_ROLE_VALUE : TUI_ROLE_DIM,
                          order_steps[i][zh()]);
    }
}

/* From row 2: the answers so far, on one row or two. Returns the rows. */
static int draw_answers(int y, int cols)
{
    char line[600];
    int n = snprintf(line, sizeof line, "%s", zh() ? "你的回答：" : "Your answers: ");
    if (guide.depth == 0)
        snprintf(line + n, sizeof line - (size_t)n, "%s", zh() ? "（还没有）" : "(none yet)");
    for (int i = 0; i < guide.depth && n < (int)sizeof line; i++) {
        const tui_guide_question_t *q = &tui_guide_questions[guide.path[i]];
        n += snprintf(line + n, sizeof line - (size_t)n, "%s%s", i ? " · " : "",
                      zh() ? q->answers[guide.chosen[i]].short_zh
                           : q->answers[guide.chosen[i]].short_en);
    }
    return tui_crt_wrapped(y, 1, cols - 2, 2, TUI_ROLE_DEFAULT, line);
}

/* "“line” — article" in the language of the screen. */
static int draw_quote(int y, int x, int wd, int max, const char *article, const char *en,
                      const char *zh_line)
{
    char buf[900];
    if (zh())
        snprintf(buf, sizeof buf, "“%s”——《%s》", zh_line, scope_article_name(article, 1));
    else
        snprintf(buf, sizeof buf, "\"%s\" (%s)", en, scope_article_name(article, 0));
    return tui_crt_wrapped(y, x, wd, max, TUI_ROLE_DIM, buf);
}

static void draw_question(int y, int rows, int cols)
{
    const tui_guide_question_t *q = &tui_guide_questions[guide.node];
    int wd = cols - 4, bottom = rows - 2;
    char num[32];
    snprintf(num, sizeof num, zh() ? "问题 %d" : "Question %d", guide.depth + 1);
    tui_crt_text(y++, 2, wd, TUI_ROLE_PANE_TITLE, num);
    y += tui_crt_wrapped(y, 2, wd, 3, TUI_ROLE_HEADING, zh() ? q->zh : q->en);
    y++;
    for (int i = 0; i < q->nanswers && y < bottom; i++) {
        char key[12];
        if (q->yes_no)
            snprintf(key, sizeof key, "%c", i == 0 ? 'y' : 'n');
        else
            snprintf(key, sizeof key, "%d", i + 1);
        tui_crt_text(y, 4, 2, TUI_ROLE_STATUS_KEY, key);
        y += tui_crt_wrapped(y, 7, cols - 9, 2, TUI_ROLE_DEFAULT,
                                    zh() ? q->answers[i].zh : q->answers[i].en);
    }
    y++;
    if (y < bottom)
        draw_quote(y, 2, wd, bottom - y < 3 ? bottom - y : 3, q->article, q->line_en, q->line_zh);
}

/* A line of the leaf's figures: a row of the document and one side of it,
 * or the "beside it" label (row NULL). */
typedef struct {
    const tui_compare_row_t *row;
    int impl;
} fig_line_t;

#define MAX_FIG_LINES 16

static int add_row(fig_line_t *out, int n, const tui_compare_row_t *r)
{
    for (int impl = 0; r && impl < TUI_IMPL_COUNT && n < MAX_FIG_LINES; impl++)
        out[n++] = (fig_line_t){r, impl};
    return n;
}

/* The leaf's figure lines: its own rows (those listed, then any other row
 * the compare run made for its demo), then, if there is room, the rows to
 * hold them against after a label. *own gets how many are its own. */
static int fig_lines(const tui_guide_leaf_t *l, const tui_compare_doc_t *doc, int room, fig_line_t *out,
                     int *own)
{
    int n = 0;
    for (int i = 0; i < 3 && l->mechs[i]; i++)
        n = add_row(out, n, tui_compare_panel_row(doc, l->mechs[i]));
    for (int i = 0; doc && i < doc->nrows; i++) {
        int listed = 0;
        for (int j = 0; j < 3 && l->mechs[j]; j++)
            listed |= strcmp(doc->rows[i].mech, l->mechs[j]) == 0;
        for (int j = 0; j < 2 && l->beside[j]; j++)
            listed |= strcmp(doc->rows[i].mech, l->beside[j]) == 0;
        if (!listed && strcmp(doc->rows[i].demo, l->demo) == 0)
            n = add_row(out, n, &doc->rows[i]);
    }
    *own = n;
    fig_line_t beside[MAX_FIG_LINES];
    int nb = 0;
    for (int j = 0; j < 2 && l->beside[j]; j++)
        nb = add_row(beside, nb, tui_compare_panel_row(doc, l->beside[j]));
    /* the comparison only when it fits whole, with its label */
    if (nb && (n ? n : 1) + 1 + nb <= room && n + 1 + nb <= MAX_FIG_LINES) {
        out[n++] = (fig_line_t){NULL, 0};
        for (int j = 0; j < nb; j++)
            out[n++] = beside[j];
    }
    return n;
}

/* The figures' three columns, FIG_W wide each, from fig_x: near the names
 * on a wide screen, at the right edge on a narrow one. */
#define FIG_W 9
static int fig_x(int cols)
{
    int x = cols - 3 - 3 * FIG_W;
    return x > 56 ? 56 : x;
}

static void draw_fig_line(int y, int cols, const fig_line_t *f)
{
    int xp50 = fig_x(cols), fw = FIG_W;
    if (!f->row) {
        tui_crt_text(y, 2, cols - 4, TUI_ROLE_DIM, zh() ? "对照：" : "beside it:");
        return;
    }
    const tui_compare_row_t *r = f->row;
    int impl = f->impl;
    char name[96];
    snprintf(name, sizeof name, zh() ? "%s，%s" : "%s, %s", tui_compare_mech_name(r->mech),
             impl ? "node" : "C");
    int nw = tui_crt_text(y, 4, xp50 - 5, TUI_ROLE_DEFAULT, name);
    if (r->p50[impl] <= 0) { /* why, from past the longest name, for room */
        char buf[220];
        snprintf(buf, sizeof buf, "%s%s",
                 zh() ? "未测量：" : "not measured: ", tui_compare_reason(r->why[impl]));
        int x = 4 + nw + 2 > 28 ? 4 + nw + 2 : 28;
        if (x > xp50)
            x = xp50;
        tui_crt_text(y, x, cols - x - 1, TUI_ROLE_DIM,
                     r->why[impl][0] ? buf : (zh() ? "未测量" : "not measured"));
        return;
    }
    double v[3] = {r->p50[impl], r->p99[impl], r->mbps[impl]};
    for (int c = 0; c < 3; c++) {
        char buf[32];
        if (c < 2)
            tui_compare_panel_us(buf, sizeof buf, v[c]);
        else if (v[c] > 0)
            snprintf(buf, sizeof buf, "%.0f", v[c]);
        else
            snprintf(buf, sizeof buf, "-");
        int tw = tui_text_width(buf);
        tui_crt_text(y, xp50 + c * fw + (fw - tw), tw, v[c] > 0 ? TUI_ROLE_VALUE : TUI_ROLE_DIM,
                     buf);
    }
}

static void draw_leaf(int y, int rows, int cols, const tui_compare_doc_t *doc)
{
    const tui_guide_leaf_t *l = &tui_guide_leaves[guide.node - TUI_GUIDE_LEAF(0)];
    int wd = cols - 4, bottom = rows - 3, utf8 = tui_crt_utf8();
    char buf[400];
    snprintf(buf, sizeof buf, "%s %s", utf8 ? "→" : "->", zh() ? l->zh : l->en);
    y += tui_crt_wrapped(y, 2, wd, 2, TUI_ROLE_HEADING, buf);
    for (int i = 0; i < 2 && l->quotes[i].article && y < bottom - 4; i++)
        y += draw_quote(y, 4, wd - 2, 3, l->quotes[i].article, l->quotes[i].en, l->quotes[i].zh);
    if (y < bottom - 4)
        y += tui_crt_wrapped(y, 2, wd, 3, TUI_ROLE_DEFAULT, zh() ? l->note_zh : l->note_en);
    y++;

    /* the figures, under a header with the columns */
    int xp50 = fig_x(cols), fw = FIG_W;
    tui_crt_text(y, 2, xp50 - 3, TUI_ROLE_PANE_TITLE,
                 zh() ? "本机实测：64 字节往返" : "Measured here: a 64-byte round trip");
    for (int c = 0; c < 3; c++) {
        static const char *const heads[3][2] = {
            {"p50 µs", "p50 us"}, {"p99 µs", "p99 us"}, {"MB/s", "MB/s"}};
        const char *h = heads[c][!utf8];
        int tw = tui_text_width(h);
        tui_crt_text(y, xp50 + c * fw + (fw - tw), tw, TUI_ROLE_PANE_TITLE, h);
    }
    y++;
    if (!doc) {
        tui_crt_text(y, 4, wd - 2, TUI_ROLE_ERROR,
                     zh() ? "还没有测量：按 m 测量" : "not measured yet: m measures");
    } else {
        fig_line_t lines[MAX_FIG_LINES];
        int own, n = fig_lines(l, doc, bottom - y, lines, &own);
        if (!own)
            tui_crt_text(y++, 4, wd - 2, TUI_ROLE_DIM,
                         zh() ? "对比测量还没有包括它；它的演示里有它自己的测量"
                              : "the compare run does not measure it yet; its demo does");
        for (int i = 0; i < n && y < bottom; i++, y++) {
            if (y == bottom - 1 && i < n - 1) { /* more than fits: say so */
                tui_crt_text(y, 4, wd - 2, TUI_ROLE_DIM, tui_crt_glyph(TUI_G_ELLIPSIS));
                break;
            }
            draw_fig_line(y, cols, &lines[i]);
        }
    }

    /* its demo */
    snprintf(buf, sizeof buf,
             zh() ? "看演示：ipcscope open %s · 按 Enter 立即打开"
                  : "See it: ipcscope open %s · Enter opens it now",
             l->demo);
    tui_crt_text(rows - 2, 2, wd, TUI_ROLE_BUILT, buf);
}

void tui_compare_guide_draw(const tui_compare_doc_t *doc)
{
    int rows, cols;
    tui_crt_size(&rows, &cols);
    tui_crt_erase();
    if (tui_compare_panel_too_small(rows, cols)) {
        tui_crt_flush();
        return;
    }
    int leaf = TUI_GUIDE_IS_LEAF(guide.node);
    char badge[48];
    if (leaf)
        snprintf(badge, sizeof badge, " %s ", zh() ? "建议" : "ANSWER");
    else
        snprintf(badge, sizeof badge, zh() ? " 问题 %d " : " QUESTION %d ", guide.depth + 1);
    tui_compare_panel_title(
        cols, zh() ? "ipcscope：对比 - 选择指南" : "ipcscope: compare - a guide to choosing",
        badge);
    draw_order(1, cols, leaf ? -1 : tui_guide_questions[guide.node].step);
    int y = 2 + draw_answers(2, cols) + 1;
    if (leaf)
        draw_leaf(y, rows, cols, doc);
    else
        draw_question(y, rows, cols);

    const tui_guide_question_t *q = leaf ? NULL : &tui_guide_questions[guide.node];
    char range[16];
    snprintf(range, sizeof range, "1-%d", q ? q->nanswers : 0);
    const char *const items[][2] = {
        {leaf        ? "Enter"
         : q->yes_no ? "y n"
                     : range,
         leaf ? (zh() ? "打开演示" : "open the demo") : (zh() ? "回答" : "answer")},
        {"b", zh() ? "上一题" : "back"},
        {"r", zh() ? "从头开始" : "start again"},
        {"L", zh() ? "English" : "中文"},
        {"q", zh() ? "返回对比表" : "the table"},
    };
    tui_compare_panel_status(rows - 1, cols, items, (int)(sizeof items / sizeof items[0]));
    tui_crt_flush();
}
