/* lesson: a lesson's Markdown (docs/lessons/NAME.md) as styled lines for the
 * Narration and lesson pane.
 *
 * Only what lessons use is understood: headings, paragraphs, "-"/"*"/"1."
 * lists, ``` code blocks, > quotes, tables and rules. Inline marks (**bold**,
 * `code`, _em_) are removed, keeping their text; links keep their text and
 * URL. The pane wraps the lines to its width when it draws them.
 *
 * Usage:
 *
 *     tui_lesson_t l;
 *     tui_lesson_parse("# Title\n\nSome *text*.\n", &l);
 *     for (size_t i = 0; i < l.n; i++) draw(l.lines[i].style, l.lines[i].text);
 *     tui_lesson_free(&l);
 */
#ifndef TUI_LESSON_H
#define TUI_LESSON_H

#include <stddef.h>

typedef enum {
    TUI_MD_TEXT,
    TUI_MD_HEADING1,
    TUI_MD_HEADING2,
    TUI_MD_HEADING3,
    TUI_MD_LIST,  /* text is the item; the view draws the bullet */
    TUI_MD_CODE,  /* a line of a code block: never reflowed */
    TUI_MD_TABLE, /* a table row: its cells separated by '\t'; indent 1 for the header */
    TUI_MD_QUOTE,
    TUI_MD_RULE,
    TUI_MD_BLANK,
} tui_md_style_t;

typedef struct {
    tui_md_style_t style;
    int indent;   /* list nesting, in levels */
    char *text;   /* UTF-8, owned */
    char marker[8]; /* a list's "1." when numbered, "" for a bullet */
} tui_md_line_t;

typedef struct {
    tui_md_line_t *lines;
    size_t n, cap;
} tui_lesson_t;

/* Returns 0 or -ENOMEM (out then holds what was parsed). */
int tui_lesson_parse(const char *markdown, tui_lesson_t *out);
/* Reads and parses a file: 0, or a negative errno. */
int tui_lesson_load(const char *path, tui_lesson_t *out);
void tui_lesson_free(tui_lesson_t *l);
/* The table whose first row is lines[first]: its rows end at *end, and
 * widths[c] gets column c's widest cell in columns (at most max columns).
 * Returns the number of columns. */
int tui_lesson_table(const tui_lesson_t *l, size_t first, size_t *end, int *widths, int max);
/* Cell c of a table row into out ("" past the last). */
void tui_lesson_cell(const char *row, int c, char *out, size_t n);
/* The lesson's prediction for step `step` ("Predict: ..." or "先猜：...", in
 * a paragraph or a quote) into out, without marks: the one inside the
 * section of a heading "Step N" / "第 N 步", or, where steps are a numbered
 * list, the one just before item N.
 * Returns 1, or 0 when that step has none. */
int tui_lesson_prediction(const tui_lesson_t *l, int step, char *out, size_t n);
/* Removes inline marks from src into dst (at most n bytes with the NUL). */
void tui_lesson_inline(const char *src, char *dst, size_t n);

#endif
