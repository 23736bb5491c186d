/* compare_table: the compare screen's table and the notes under it. See
 * compare_table.h.
 */
#include "compare_table.h"

#include <stdio.h>
#include <string.h>

#include "articles.h"
#include "compare_articles.h"
#include "compare_body.h"
#include "compare_names.h"
#include "compare_panel.h"
#include "crt.h"
#include "i18n.h"
#include "text.h"

typedef enum { W_MECH, W_ONE_WAY, W_NOT_MEASURED, W_NOTE, W_NOTE_SET, W_ROWS_OF, W_SPIN_NOTE, W_COUNT } word_t;

static const char *const words[W_COUNT][2] = {
    [W_MECH] = {"mechanism", "机制"},
    [W_ONE_WAY] = {"MB/s", "MB/s"},
    [W_NOT_MEASURED] = {"not measured", "未测量"},
    [W_NOTE] = {"round trips in µs (p50, p99), one way in MB/s; the articles' columns: %s",
                "往返单位 µs（p50、p99），单向单位 MB/s；文章的列：%s"},
    [W_NOTE_SET] = {"%s (a shows the others: %d of %d; the one-way and p99 figures step aside when a set "
                    "needs their room)",
                    "%s（按 a 切换其他列：%d / %d；放不下时单向与 p99 的数字让位）"},
    [W_ROWS_OF] = {"%s, %s: its table's rows, every column, and the rows above beside them",
                   "%s《%s》：表格的每一行、每一列，以及上表中与之对应的行"},
    [W_SPIN_NOTE] = {"shared memory: two threads, one word; spinning burns a core on each side",
                     "共享内存：两个线程共用一个字；自旋时两边各占满一个核"},
};

/* What the rows below the round trips time (their own line under the table). */
static const char *const rows_note[2] = {
    "FIFO, HTTP (keep-alive, GET and its answer), WebSocket: round trips as above, C against the http demo's "
    "server; watch: one way, a save to its parse; start: a child that runs uname -s, started and reaped "
    "(node's fork starts a node; C's fork() copies itself, no exec)",
    "命名管道、HTTP（长连接，一次 GET 及其应答）、WebSocket：与上面一样是往返，C 一侧连的是 http 演示的服务器；"
    "监视：单向，从保存到解析完；启动：启动一个运行 uname -s 的子进程并回收它（node 的 fork 要启动一个 node；"
    "C 的 fork() 只复制自己，不 exec）",
};

static const char *w(word_t k)
{
    return words[k][tui_i18n_lang() == TUI_LANG_ZH];
}

/* The articles' columns a narrow screen shows at a time (a switches); a
 * wide one shows them all. */
static const struct {
    int ncols;
    tui_article_col_t col[3];
    const char *en, *zh;
} col_sets[] = {
    {3, {TUI_ARTICLE_COL_SPEED, TUI_ARTICLE_COL_CROSS, TUI_ARTICLE_COL_STARS},
     "000's speed and across machines, 001's stars", "000 的速度与跨机器、001 的星级"},
    {2, {TUI_ARTICLE_COL_COMPLEXITY, TUI_ARTICLE_COL_USE}, "000's complexity and what it suits",
     "000 的复杂度与适用场景"},
    {2, {TUI_ARTICLE_COL_HOSTS, TUI_ARTICLE_COL_DIFFICULTY}, "001's hosts and difficulty",
     "001 的单机/跨机与实现难度"},
    {1, {TUI_ARTICLE_COL_FEATURES}, "001's features", "001 的特点"},
};
#define NCOL_SETS (int)(sizeof col_sets / sizeof col_sets[0])


/* What is drawn: set by tui_compare_table_draw. */
static const tui_compare_doc_t *doc;
static int col_set;

/* The table's columns: the mechanism, six figures, then the articles'. */
enum { F_C50, F_C99, F_N50, F_N99, F_CMB, F_NMB, F_COUNT };
static const int fig_w[F_COUNT] = {7, 7, 8, 7, 6, 6};
#define NAME_W 14


typedef struct {
    int wide;                      /* every article column at once */
    int fig[F_COUNT];              /* the figures shown */
    int x_fig[F_COUNT], x_art[TUI_ARTICLE_COLS], w_art[TUI_ARTICLE_COLS];
    tui_article_col_t art[TUI_ARTICLE_COLS];
    int nart, extra;
} layout_t;

/* The widest cell of an article column, its heading included. */
static int art_width(tui_article_col_t c, int zh, int utf8)
{
    int wd = tui_text_width(tui_article_col_head(c, zh));
    for (int i = 0; i < tui_compare_mech_count(); i++) {
        const char *s = tui_article_cell(tui_compare_mech_id(i), c, zh, utf8);
        int sw = s ? tui_text_width(s) : 0;
        if (sw > wd)
            wd = sw;
    }
    return wd;
}

/* Where each column goes in cols columns from x0: every article column when
 * they fit beside every figure, else the set a chose, with the one-way and
 * then the p99 figures left out as long as the set does not fit (the C and
 * node p50 always stay). The last column takes what is left, cut with an
 * ellipsis should it still not fit. */
static layout_t layout(int x0, int cols)
{
    int zh = tui_i18n_lang() == TUI_LANG_ZH, utf8 = tui_crt_utf8(), room = cols - x0;
    layout_t l = {0};
    int aw[TUI_ARTICLE_COLS], all = 0;
    for (int c = 0; c < TUI_ARTICLE_COLS; c++) {
        aw[c] = art_width(c, zh, utf8);
        all += aw[c] + 1;
    }
    int figs = 0;
    for (int f = 0; f < F_COUNT; f++)
        figs += fig_w[f];
    l.wide = NAME_W + figs + 2 + all - 1 <= room;
    if (l.wide) {
        for (int c = 0; c < TUI_ARTICLE_COLS; c++)
            l.art[l.nart++] = c;
    } else {
        int set = col_set % NCOL_SETS;
        for (int i = 0; i < col_sets[set].ncols; i++)
            l.art[l.nart++] = col_sets[set].col[i];
    }
    int need = -1;
    for (int i = 0; i < l.nart; i++)
        need += aw[l.art[i]] + 1;
    for (int f = 0; f < F_COUNT; f++)
        l.fig[f] = 1;
    static const int drop[][2] = {{F_CMB, F_NMB}, {F_C99, F_N99}};
    for (int d = 0; d < 2 && NAME_W + figs + 2 + need > room; d++)
        for (int k = 0; k < 2; k++) {
            l.fig[drop[d][k]] = 0;
            figs -= fig_w[drop[d][k]];
        }
    int left = room - (NAME_W + figs + 2 + need), shown = 0, gap = 1;
    if (left >= l.nart - 1) { /* the articles' words apart first */
        gap = 2;
        left -= l.nart - 1;
    }
    for (int f = 0; f < F_COUNT; f++)
        shown += l.fig[f];
    l.extra = left > 0 ? left / (shown + l.nart) : 0;
    if (l.extra > 3)
        l.extra = 3;
    int x = x0 + NAME_W;
    for (int f = 0; f < F_COUNT; f++)
        if (l.fig[f]) {
            l.x_fig[f] = x;
            x += fig_w[f] + l.extra;
        }
    x += 2;
    for (int i = 0; i < l.nart; i++) {
        l.x_art[i] = x;
        l.w_art[i] = i == l.nart - 1 ? x0 + room - x : aw[l.art[i]];
        x += aw[l.art[i]] + gap + l.extra;
    }
    return l;
}

/* The width of figures f to g (both shown, or f alone) as one group. */
static int group_w(const layout_t *l, int f, int g)
{
    return l->fig[g] ? l->x_fig[g] + fig_w[g] - l->x_fig[f] : fig_w[f];
}

static int table(int v, int x0, int cols)
{
    int zh = tui_i18n_lang() == TUI_LANG_ZH, utf8 = tui_crt_utf8();
    layout_t l = layout(x0, cols);
    /* two header rows: the groups, then the columns */
    tui_compare_body_right(v, l.x_fig[F_C50], group_w(&l, F_C50, F_C99), TUI_ROLE_PANE_TITLE, "C, µs");
    tui_compare_body_right(v, l.x_fig[F_N50], group_w(&l, F_N50, F_N99), TUI_ROLE_PANE_TITLE, "node, µs");
    if (l.fig[F_CMB])
        tui_compare_body_right(v, l.x_fig[F_CMB], group_w(&l, F_CMB, F_NMB), TUI_ROLE_PANE_TITLE, w(W_ONE_WAY));
    for (int i = 0; i < l.nart; i++) /* the article over the first of its columns */
        if (i == 0 || strcmp(tui_article_col_article(l.art[i]), tui_article_col_article(l.art[i - 1])))
            tui_compare_body_text(v, l.x_art[i], l.w_art[i], TUI_ROLE_PANE_TITLE, tui_article_col_article(l.art[i]));
    v++;
    tui_compare_body_text(v, x0, NAME_W, TUI_ROLE_HEADING, w(W_MECH));
    static const char *const heads[F_COUNT] = {"p50", "p99", "p50", "p99", "C", "node"};
    for (int f = 0; f < F_COUNT; f++)
        if (l.fig[f])
            tui_compare_body_right(v, l.x_fig[f], fig_w[f], TUI_ROLE_HEADING, heads[f]);
    for (int i = 0; i < l.nart; i++)
        tui_compare_body_text(v, l.x_art[i], l.w_art[i], TUI_ROLE_HEADING, tui_article_col_head(l.art[i], zh));
    v++;
    for (int i = 0; i < tui_compare_mech_count(); i++) {
        const char *mech = tui_compare_mech_id(i);
        const tui_compare_row_t *r = NULL;
        for (int j = 0; j < doc->nrows; j++)
            if (strcmp(doc->rows[j].mech, mech) == 0)
                r = &doc->rows[j];
        char buf[32];
        tui_compare_body_text(v, x0, NAME_W, TUI_ROLE_DEFAULT, tui_compare_mech_name(mech));
        double f[F_COUNT] = {0};
        if (r) {
            f[F_C50] = r->p50[0], f[F_C99] = r->p99[0], f[F_N50] = r->p50[1], f[F_N99] = r->p99[1];
            f[F_CMB] = r->mbps[0], f[F_NMB] = r->mbps[1];
        }
        for (int c = 0; c < F_COUNT; c++) {
            if (!l.fig[c])
                continue;
            if (c < F_CMB)
                tui_compare_panel_us(buf, sizeof buf, f[c]);
            else if (f[c] > 0)
                snprintf(buf, sizeof buf, "%.0f", f[c]);
            else
                snprintf(buf, sizeof buf, "-");
            tui_compare_body_right(v, l.x_fig[c], fig_w[c], f[c] > 0 ? TUI_ROLE_VALUE : TUI_ROLE_DIM, buf);
        }
        for (int a = 0; a < l.nart; a++) {
            const char *cell = tui_article_cell(mech, l.art[a], zh, utf8);
            tui_compare_body_text(v, l.x_art[a], l.w_art[a], cell ? TUI_ROLE_DEFAULT : TUI_ROLE_DIM, cell ? cell : "-");
        }
        v++;
    }
    return v;
}

/* What the articles' columns show, for the note under the table. */
static const char *col_set_words(int cols)
{
    int zh = tui_i18n_lang() == TUI_LANG_ZH;
    layout_t l = layout(1, cols);
    if (l.wide)
        return zh ? "000 与 001 两张表的每一列" : "every column of 000's and 001's tables";
    int set = col_set % NCOL_SETS;
    return zh ? col_sets[set].zh : col_sets[set].en;
}

/* Every row of 000's and 001's tables with all its columns, one a line
 * under the article's name, and the rows of the table above that stand for
 * it. */
static int article_rows(int v, int x, int wd)
{
    int zh = tui_i18n_lang() == TUI_LANG_ZH, utf8 = tui_crt_utf8();
    static const char *const ids[] = {"000", "001"};
    for (int a = 0; a < 2; a++) {
        char line[700];
        snprintf(line, sizeof line, w(W_ROWS_OF), ids[a], scope_article_name(ids[a], zh));
        v += tui_compare_body_wrap(v, x, wd, TUI_ROLE_HEADING, line);
        for (int i = 0; i < tui_article_rows(ids[a]); i++) {
            tui_article_row_line(ids[a], i, zh, utf8, tui_compare_mech_name, line, sizeof line);
            v += tui_compare_body_wrap(v, x + 2, wd - 2, TUI_ROLE_DIM, line);
        }
    }
    return v;
}

/* "not measured, node: POSIX mq: node has no POSIX message queue API", one
 * line per reason with every mechanism it applies to. */
static int not_measured(int v, int x, int wd)
{
    for (int impl = 0; impl < TUI_IMPL_COUNT; impl++)
        for (int i = 0; i < doc->nrows; i++) {
            const char *why = doc->rows[i].why[impl];
            int first = 1;
            for (int j = 0; j < i && first; j++)
                if (strcmp(doc->rows[j].why[impl], why) == 0)
                    first = 0;
            if (!*why || !first)
                continue;
            char line[600];
            int zh = tui_i18n_lang() == TUI_LANG_ZH;
            int n = snprintf(line, sizeof line, zh ? "%s（%s）：" : "%s (%s): ", w(W_NOT_MEASURED),
                             impl ? "node" : "C");
            for (int j = i, k = 0; j < doc->nrows && n < (int)sizeof line; j++)
                if (strcmp(doc->rows[j].why[impl], why) == 0)
                    n += snprintf(line + n, sizeof line - (size_t)n, "%s%s", k++ ? (zh ? "、" : ", ") : "",
                                  tui_compare_mech_name(doc->rows[j].mech));
            if (n < (int)sizeof line)
                snprintf(line + n, sizeof line - (size_t)n, zh ? "：%s" : ": %s", tui_compare_reason(why));
            v += tui_compare_body_wrap(v, x, wd, TUI_ROLE_DIM, line);
        }
    return v;
}

int tui_compare_table_sets(void)
{
    return NCOL_SETS;
}

int tui_compare_table_wide(int cols)
{
    return layout(1, cols).wide;
}

int tui_compare_table_draw(int v, int x, int cols, const tui_compare_doc_t *d, int set)
{
    int zh = tui_i18n_lang() == TUI_LANG_ZH, wd = cols - 2 * x;
    doc = d;
    col_set = set;
    v = table(v, x, cols);
    char note[600], words_set[400];
    layout_t l = layout(x, cols);
    if (l.wide)
        snprintf(words_set, sizeof words_set, "%s", col_set_words(cols));
    else
        snprintf(words_set, sizeof words_set, w(W_NOTE_SET), col_set_words(cols), col_set % NCOL_SETS + 1,
                 NCOL_SETS);
    snprintf(note, sizeof note, w(W_NOTE), words_set);
    v += tui_compare_body_wrap(v, x, wd, TUI_ROLE_DIM, note);
    char legend[400];
    snprintf(legend, sizeof legend, "000: %s · 001: %s · %s", scope_article_name("000", zh),
             scope_article_name("001", zh), w(W_SPIN_NOTE));
    v += tui_compare_body_wrap(v, x, wd, TUI_ROLE_DIM, legend);
    v += tui_compare_body_wrap(v, x, wd, TUI_ROLE_DIM, rows_note[zh]);
    v = article_rows(v, x, wd);
    return not_measured(v, x, wd);
}
