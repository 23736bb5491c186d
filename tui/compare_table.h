/* compare_table: the compare screen's table, and the notes under it: the
 * mechanisms (compare_names.h) with their round trips and MB/s, C and node,
 * beside the articles' columns (compare_articles.h), then what the figures
 * mean, every row of the articles' tables, and why a row was not measured.
 * Drawn into the screen's scrolling body (compare_body.h).
 *
 * Every article column stands beside every figure when the screen is wide
 * enough (160 columns); narrower, one of tui_compare_table_sets() sets of
 * them at a time, the one-way and then the p99 figures left out while a
 * set does not fit.
 *
 *     v = tui_compare_table_draw(0, 1, cols, &doc, set);  // the next row
 */
#ifndef TUI_COMPARE_TABLE_H
#define TUI_COMPARE_TABLE_H

#include "compare_doc.h"

/* Draws the table and its notes from body row v at column x, in cols
 * columns, with the article columns of set (any int: taken modulo the
 * sets). Returns the body row after the last. */
int tui_compare_table_draw(int v, int x, int cols, const tui_compare_doc_t *doc, int set);
/* How many sets of article columns a narrow screen switches between. */
int tui_compare_table_sets(void);
/* 1 when cols columns hold every article column beside every figure. */
int tui_compare_table_wide(int cols);

#endif
