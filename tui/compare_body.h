/* compare_body: the compare screen's body, which scrolls: lines are drawn at
 * a virtual row and shown when they fall inside the window (rows top to
 * bottom - 1 of the terminal, scroll rows down). A window with bottom ==
 * top shows nothing, so that a first pass can measure the body's height.
 *
 *     tui_compare_body_window(5, rows - 1, scroll);
 *     v += tui_compare_body_wrap(v, 1, cols - 2, TUI_ROLE_DIM, note);
 */
#ifndef TUI_COMPARE_BODY_H
#define TUI_COMPARE_BODY_H

#include "crt.h"

void tui_compare_body_window(int top, int bottom, int scroll);
/* s at virtual row v, column x, in at most maxw columns (cut with an ellipsis). */
void tui_compare_body_text(int v, int x, int maxw, tui_role_t role, const char *s);
/* s right-aligned in a field of width fw ending at column x + fw. */
void tui_compare_body_right(int v, int x, int fw, tui_role_t role, const char *s);
/* s wrapped at width wd from virtual row v; returns the rows used. */
int tui_compare_body_wrap(int v, int x, int wd, tui_role_t role, const char *s);

#endif
