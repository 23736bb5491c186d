/* text: measuring and cutting UTF-8 text in terminal columns.
 *
 * A CJK character takes two columns, a combining mark none; wcwidth(3) says
 * which, under the locale the dashboard set (setlocale(LC_ALL, "")). Every
 * view lays text out with these functions so that Chinese lines up with
 * English. Pure functions: tested without a terminal.
 *
 * Usage:
 *
 *     int w = tui_text_width("你好 ping");           // 9
 *     size_t b = tui_text_fit("你好 ping", 3, &cols); // 3 bytes ("你"), cols 2
 */
#ifndef TUI_TEXT_H
#define TUI_TEXT_H

#include <stddef.h>

/* Columns the text takes; an invalid byte or a control counts as one. */
int tui_text_width(const char *s);
/* Bytes of s that fit in cols columns (never splitting a character); *used
 * gets the columns they take (may be NULL). */
size_t tui_text_fit(const char *s, int cols, int *used);
/* Bytes of s to keep before an ellipsis when s does not fit in cols columns:
 * what fits in cols - 1, backed off so that no number is cut ("ping #297179"
 * in 10 columns keeps "ping", not "ping #2971"; "p99" goes whole), nor
 * spaces left before the ellipsis. Returns strlen(s) when s fits. */
size_t tui_text_cut(const char *s, int cols);
/* Where to break s to wrap it at cols columns: the bytes of the first line
 * (at a space when there is one, else mid-word; a CJK line breaks anywhere).
 * *next is where the next line starts (spaces skipped). Returns 0 at the end. */
size_t tui_text_wrap(const char *s, int cols, const char **next);
/* s wrapped at cols columns, row by row: row(arg, i, text) for each, text
 * NUL-terminated (at most 1023 bytes). At most max rows (0: no bound), the
 * last of which gets the rest of s whole, for its drawer to cut with an
 * ellipsis. Returns the rows. */
int tui_text_rows(const char *s, int cols, int max,
                  void (*row)(void *arg, int i, const char *text), void *arg);
/* Decodes one character: its code point in *wc, its byte length returned
 * (1 for an invalid byte, which gives U+FFFD). */
size_t tui_text_decode(const char *s, unsigned int *wc);
/* Columns of one code point: 0, 1 or 2 (controls: 1, drawn as '?'). */
int tui_text_cp_width(unsigned int wc);
/* Formats ns as "850 ns", "12.3 µs" (ASCII "us" when ascii), "4.56 ms", "1.23 s". */
void tui_text_ns(char *out, size_t n, double ns, int ascii);
/* Formats bytes as "64 B", "1.5 KiB", "12 MiB". */
void tui_text_bytes(char *out, size_t n, double bytes);
/* Formats a signal number as "SIGTERM" ("SIG?" when unknown). */
void tui_text_signal(char *out, size_t n, int sig);

#endif
