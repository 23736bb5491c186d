/* compare_articles: the two comparison tables of the articles, every row and
 * every column, as the compare screen sets them beside its figures.
 *
 * "Six ways processes talk in Node.js" (000) compares six ways by speed,
 * across machines, complexity and what each suits; "IPC methods in Node.js"
 * (001) six more by one machine or across, speed in stars, difficulty and
 * features. Each row is kept in the article's own words (the Chinese) with
 * a faithful English one, and says which rows of the compare document
 * (mechanisms, "tcp http") stand for it; a row none stands for (001's
 * cluster IPC) says why. Pure data: no terminal.
 *
 * Usage (compare.c):
 *
 *     for (int c = 0; c < TUI_ARTICLE_COLS; c++)
 *         head = tui_article_col_head(c, zh);          // "complexity", "复杂度"
 *     cell = tui_article_cell("unix-socket", TUI_ARTICLE_COL_STARS, zh, utf8);
 *     // "★★★★★" ("5/5" without UTF-8); NULL: no row of that article
 */
#ifndef TUI_COMPARE_ARTICLES_H
#define TUI_COMPARE_ARTICLES_H

#include <stddef.h>

/* The articles' columns after the row's name, in the order the screen
 * shows them at full width: both speeds first, beside the measured ones. */
typedef enum {
    TUI_ARTICLE_COL_SPEED,      /* 000 速度: 快, 很快, 最快, 中 */
    TUI_ARTICLE_COL_CROSS,      /* 000 跨机器: ❌ ✅ */
    TUI_ARTICLE_COL_STARS,      /* 001 速度: ★★★★☆ */
    TUI_ARTICLE_COL_COMPLEXITY, /* 000 复杂度 */
    TUI_ARTICLE_COL_USE,        /* 000 适用场景 */
    TUI_ARTICLE_COL_HOSTS,      /* 001 单机/跨机 */
    TUI_ARTICLE_COL_DIFFICULTY, /* 001 实现难度 */
    TUI_ARTICLE_COL_FEATURES,   /* 001 特点 */
    TUI_ARTICLE_COLS
} tui_article_col_t;

/* The article of a column: "000" or "001". */
const char *tui_article_col_article(tui_article_col_t c);
/* The column's heading, in English or as the article has it (zh). */
const char *tui_article_col_head(tui_article_col_t c, int zh);
/* The cell of column c in the article's row that mech (a mechanism of the
 * compare document) stands beside, or NULL when that article has no row
 * for it. Without UTF-8, ❌ ✅ are "no" "yes" and stars "4/5". */
const char *tui_article_cell(const char *mech, tui_article_col_t c, int zh, int utf8);

/* The menu's words for a row, one vocabulary for both articles: 000's
 * speed and 001's stars are its speed, 跨机器 and 单机/跨机 whether it goes
 * across machines (no, yes), 复杂度 and 实现难度 its complexity; the last
 * is the article's own (000's suited to, 001's features). */
typedef enum {
    TUI_ARTICLE_SPEED,
    TUI_ARTICLE_CROSS,
    TUI_ARTICLE_COMPLEXITY,
    TUI_ARTICLE_LAST,
    TUI_ARTICLE_WORDS
} tui_article_word_t;

/* The index of article's row named name (as the article has it, "IPC 通道
 * (fork)"), or -1. */
int tui_article_find(const char *article, const char *name);
/* Row i's name, as the article has it (zh) or in English; NULL past the end. */
const char *tui_article_row_name(const char *article, int i, int zh);
/* Row i's cell for word w, with the heading it has on the menu ("" past the end). */
const char *tui_article_word(const char *article, int i, tui_article_word_t w, int zh, int utf8);
const char *tui_article_word_head(const char *article, tui_article_word_t w, int zh);

/* The rows of article ("000", "001"), in the article's order: how many. */
int tui_article_rows(const char *article);
/* Writes the i-th row of article as one line: its name, every column with
 * its heading, and what stands beside it on the screen, mech_name naming
 * the mechanisms:
 *   "UDS / named pipe: hosts one, stars ★★★★★, difficulty harder, features
 *    fastest, no network overhead → Unix socket"
 * Returns the length written (cut to fit n). */
size_t tui_article_row_line(const char *article, int i, int zh, int utf8,
                            const char *(*mech_name)(const char *mech), char *out, size_t n);

#endif
