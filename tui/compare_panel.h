/* compare_panel: what the compare screen's guide (compare_guide.h) and quiz
 * (compare_quiz.h) share: what a key asks of the screen, and the drawing of
 * a panel over it: its title bar, status bar, a round trip written as the
 * table writes it, and a row of the compare document (its wrapped text is
 * crt's tui_crt_wrapped).
 *
 *     tui_compare_panel_title(cols, "ipcscope: compare - a quiz", " 1/8 ");
 *     y += tui_crt_wrapped(y, 2, cols - 4, 3, TUI_ROLE_HEADING, text);
 */
#ifndef TUI_COMPARE_PANEL_H
#define TUI_COMPARE_PANEL_H

#include <stddef.h>

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

/* The title bar: title on the left, badge (may be "") on the right. */
void tui_compare_panel_title(int cols, const char *title, const char *badge);
/* The status bar: n pairs of key and word. */
void tui_compare_panel_status(int y, int cols, const char *const (*items)[2], int n);
/* A round trip in µs as the compare table writes it ("0.58", "23.5", "116"). */
void tui_compare_panel_us(char *out, size_t n, double ns);
/* The row of doc for mech, or NULL. */
const tui_compare_row_t *tui_compare_panel_row(const tui_compare_doc_t *doc, const char *mech);
/* Draws "too small" and returns 1 when rows x cols cannot hold a panel. */
int tui_compare_panel_too_small(int rows, int cols);

#endif
