/* compare: the compare screen, and `ipcscope compare [--json]`.
 *
 * It shows the articles' comparison tables (every row and column of 000's
 * and 001's, compare_articles.h) beside round trips and MB/s measured on this
 * machine, C and node side by side, and the articles' claims with a verdict
 * each. A screen narrower than every column shows a set of them at a time
 * (a switches). The figures come from bench/compare.sh, the script `make
 * bench` runs too, run as a child process in its own process group: its
 * stderr says how far it is ("progress I N EN|ZH"), its stdout is the
 * document (compare_doc.h).
 * The loop never waits for it. The last document is cached and shown at once;
 * m measures again.
 *
 * Usage (the dashboard's loop, app.c):
 *
 *     tui_compare_open(loop);                  // c in the menu
 *     if (tui_compare_active())
 *         act(tui_compare_key(key, is_code));  // L comes back as TUI_ACTION_LANG
 *     tui_compare_draw(force);                 // draws when something changed
 *     tui_compare_stop();                      // on the way out: ends a run
 *
 * g opens the guide to choosing (compare_guide.h), p the quiz
 * (compare_quiz.h); both draw over the screen, with its document.
 */
#ifndef TUI_COMPARE_H
#define TUI_COMPARE_H

#include <stdio.h>
#include <uv.h>
#include <wchar.h>

#include "keys.h"

/* Opens the screen: the cached document at once, or a run when there is none. */
void tui_compare_open(uv_loop_t *loop);
/* 1 while the screen is up. */
int tui_compare_active(void);
/* A key on the screen. Returns what the dashboard must do itself
 * (TUI_ACTION_LANG), or TUI_ACTION_NONE when the screen did it. */
tui_action_t tui_compare_key(wint_t key, int is_code);
/* Draws the screen when force or when it changed since the last draw. */
void tui_compare_draw(int force);
/* Ends a run in progress (its whole process group) and closes its pipes. */
void tui_compare_stop(void);
/* The screen's keys for --help: the i-th line, 1, or 0 past the last. */
int tui_compare_help(int i, const char **label, const char **text);

/* ipcscope compare ARGS: returns -1 to open the dashboard on the screen, or
 * the exit status of `compare --json` (the document on stdout, progress on
 * stderr). */
int tui_compare_cmd(int argc, char **argv);

#endif
