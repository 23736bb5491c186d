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
 * The tree is data (compare_guide_tree.h), walked by
 * tui_compare_guide_key; the compare screen (compare.c) owns the document
 * and the terminal, and hands both over while the guide is open.
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
#include "compare_panel.h" /* tui_compare_next_t */

void tui_compare_guide_open(void);
int tui_compare_guide_active(void);
tui_compare_next_t tui_compare_guide_key(wint_t key, int is_code);
/* The demo of the leaf reached, or NULL before one is. */
const char *tui_compare_guide_demo(void);
/* Draws the whole screen; doc is NULL when nothing was measured yet. */
void tui_compare_guide_draw(const tui_compare_doc_t *doc);


#endif
