/* compare_quiz: the compare screen's quiz (p): predict, then see what this
 * machine measured.
 *
 * Five to eight questions drawn from the compare document's measured rows,
 * so that every answer is this machine's: which of two mechanisms carries a
 * round trip faster (or about the same, within 10%), roughly how many
 * microseconds one takes (three ranges), and whether a UDP datagram of a
 * given size arrives on loopback (sent when the quiz opens). A question
 * whose rows were not measured is left out. The student answers first; then
 * the measured answer stands beside the prediction, with what the articles
 * said and the demo that shows it, and a score: this round's and the
 * session's. Each round asks its questions in another order, from a number
 * drawn once per session (IPCSCOPE_QUIZ_ORDER=N fixes it; 0 keeps the
 * list's order).
 *
 * Usage (compare.c):
 *
 *     tui_compare_quiz_open(have_doc ? &doc : NULL);  // p: the questions are drawn now
 *     if (tui_compare_quiz_active())
 *         next = tui_compare_quiz_key(key, is_code);   // 1-3, y n, Enter, r, q
 *     tui_compare_quiz_draw();
 */
#ifndef TUI_COMPARE_QUIZ_H
#define TUI_COMPARE_QUIZ_H

#include <wchar.h>

#include "compare_doc.h"
#include "compare_panel.h" /* tui_compare_next_t */

/* Draws the questions from doc (NULL: nothing measured yet, and the quiz
 * says to measure first). The figures are copied: doc may change after. */
void tui_compare_quiz_open(const tui_compare_doc_t *doc);
int tui_compare_quiz_active(void);
tui_compare_next_t tui_compare_quiz_key(wint_t key, int is_code);
void tui_compare_quiz_draw(void);

#endif
