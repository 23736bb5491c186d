/* compare_guide: the compare screen's guide to choosing (g).
 *
 * The order of questions of the article "Six ways processes talk in Node.js"
 * (across machines? then decoupling? then how low a latency?), continued
 * with who starts whom and what the child is, and the scenario table of "IPC
 * methods in Node.js", as a tree of questions answered with keys (y/n, 1-4).
 * Each leaf is one demo of the lab: the mechanism, the articles' lines that
 * point to it, its figures from the compare document, and its demo, which
 * Enter opens. Every demo of the catalogue is the leaf of some path.
 *
 * The tree is data, walked by tui_compare_guide_key; the compare screen
 * (compare.c) owns the document and the terminal, and hands both over while
 * the guide is open.
 *
 * Usage (compare.c):
 *
 *     tui_compare_guide_open();                         // g
 *     if (tui_compare_guide_active())
 *         switch (tui_compare_guide_key(key, is_code)) { // y, n, 1-4, b, r, q
 *         case TUI_COMPARE_OPEN: launch(tui_compare_guide_demo()); break;
 *         ...
 *         }
 *     tui_compare_guide_draw(have_doc ? &doc : NULL);
 */
#ifndef TUI_COMPARE_GUIDE_H
#define TUI_COMPARE_GUIDE_H

#include <wchar.h>

#include "compare_doc.h"
#include "crt.h"

/* What a key on the guide or the quiz asks of the compare screen. */
typedef enum {
    TUI_COMPARE_STAY,    /* handled: redraw */
    TUI_COMPARE_CLOSED,  /* back to the table */
    TUI_COMPARE_LANG,    /* L: the dashboard switches language */
    TUI_COMPARE_MEASURE, /* m: back to the table, and measure */
    TUI_COMPARE_OPEN     /* Enter on a leaf: open its demo */
} tui_compare_next_t;

void tui_compare_guide_open(void);
int tui_compare_guide_active(void);
tui_compare_next_t tui_compare_guide_key(wint_t key, int is_code);
/* The demo of the leaf reached, or NULL before one is. */
const char *tui_compare_guide_demo(void);
/* Draws the whole screen; doc is NULL when nothing was measured yet. */
void tui_compare_guide_draw(const tui_compare_doc_t *doc);

/* For tests and --help: the number of leaves, and the demo of the i-th. */
int tui_compare_guide_leaves(void);
const char *tui_compare_guide_leaf_demo(int i);

/* ---- drawing shared with the quiz (compare_quiz.c) ---------------------------- */

/* The title bar: title on the left, badge (may be "") on the right. */
void tui_compare_panel_title(int cols, const char *title, const char *badge);
/* Wraps s at width wd from row y, at most max rows, the last cut with an
 * ellipsis when s goes on. Returns the rows used. */
int tui_compare_panel_wrap(int y, int x, int wd, int max, tui_role_t role, const char *s);
/* The status bar: n pairs of key and word. */
void tui_compare_panel_status(int y, int cols, const char *const (*items)[2], int n);
/* A round trip in µs as the compare table writes it ("0.58", "23.5", "116"). */
void tui_compare_panel_us(char *out, size_t n, double ns);
/* The row of doc for mech, or NULL. */
const tui_compare_row_t *tui_compare_panel_row(const tui_compare_doc_t *doc, const char *mech);
/* Draws "too small" and returns 1 when rows x cols cannot hold a panel. */
int tui_compare_panel_too_small(int rows, int cols);

#endif
