/* crt: the one module that owns the terminal, as htop's CRT.c does.
 *
 * It sets the terminal up (ncursesw, cbreak, no echo, keypad, hidden cursor),
 * holds the colour roles, draws text and boxes in columns (wide characters
 * through add_wch, so CJK lines up), and gives the terminal back: on the way
 * out, and on a crash signal before the signal is raised again so the shell
 * is usable and the core dump still happens. Nothing else calls endwin.
 *
 * Views never name a colour: they name a role, and the role's attributes come
 * from the colour scheme, or from the monochrome one when the terminal has no
 * colours (TERM=xterm-mono) or IPCSCOPE_MONO is set. Box and tree glyphs are
 * UTF-8 when the locale is, ASCII otherwise (or with IPCSCOPE_ASCII set).
 *
 * Usage:
 *
 *     tui_crt_init();
 *     tui_crt_box(0, 0, 10, 40, TUI_ROLE_BORDER, "Processes", TUI_ROLE_PANE_TITLE);
 *     tui_crt_text(1, 2, 36, TUI_ROLE_DEFAULT, "你好 ping #1");
 *     tui_crt_flush();
 *     tui_crt_done();
 */
#ifndef TUI_CRT_H
#define TUI_CRT_H

#include <wchar.h>

typedef enum {
    TUI_ROLE_DEFAULT,
    TUI_ROLE_TITLE,
    TUI_ROLE_BORDER,
    TUI_ROLE_BORDER_FOCUS,
    TUI_ROLE_PANE_TITLE,
    TUI_ROLE_PANE_TITLE_FOCUS,
    TUI_ROLE_SELECTED,
    TUI_ROLE_STATUS,
    TUI_ROLE_STATUS_KEY,
    TUI_ROLE_DIM,
    TUI_ROLE_BUILT,
    TUI_ROLE_PLANNED,
    TUI_ROLE_TREE,
    TUI_ROLE_PID,
    TUI_ROLE_PROC_ROLE,
    TUI_ROLE_FD,
    TUI_ROLE_PEER,
    TUI_ROLE_EXITED,
    TUI_ROLE_LANE,
    TUI_ROLE_ARROW,
    TUI_ROLE_ARROW_BACK,
    TUI_ROLE_AGGREGATE,
    TUI_ROLE_VALUE,
    TUI_ROLE_GRAPH,
    TUI_ROLE_LOG_PROC,
    TUI_ROLE_ERROR,
    TUI_ROLE_STEP,
    TUI_ROLE_HEADING,
    TUI_ROLE_CODE,
    TUI_ROLE_PAUSED,
    TUI_ROLE_COUNT
} tui_role_t;

typedef enum {
    TUI_G_HLINE,
    TUI_G_VLINE,
    TUI_G_ULCORNER,
    TUI_G_URCORNER,
    TUI_G_LLCORNER,
    TUI_G_LRCORNER,
    TUI_G_TREE_MID,  /* "├─" */
    TUI_G_TREE_LAST, /* "└─" */
    TUI_G_TREE_VERT, /* "│ " */
    TUI_G_ARROW_RIGHT,
    TUI_G_ARROW_LEFT,
    TUI_G_SELF,
    TUI_G_BULLET,
    TUI_G_EXIT_MARK,
    TUI_G_BAR_FULL,
    TUI_G_PEER, /* "↔" */
    TUI_G_ELLIPSIS, /* "…": the end of a cut text */
    TUI_G_COUNT
} tui_glyph_t;

/* Sets the terminal up. Returns 0, or -1 when there is no terminal. */
int tui_crt_init(void);
/* Gives the terminal back. Safe to call twice and from a signal handler's
 * path (the last thing it does before the process dies). */
void tui_crt_done(void);
/* Installs handlers for SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT that
 * restore the terminal, call on_crash (async-signal-safe work only, e.g.
 * kill(2) of the demo's process group), then die of the signal. */
void tui_crt_on_crash(void (*on_crash)(void));
/* Re-reads the terminal's size after SIGWINCH and resizes the screen. */
void tui_crt_resize(void);
void tui_crt_size(int *rows, int *cols);
int tui_crt_has_colors(void);
int tui_crt_utf8(void);

/* Next key: 1 with *key set (a character or a KEY_* code in *is_code), 0
 * when none is waiting. */
int tui_crt_key(wint_t *key, int *is_code);

void tui_crt_erase(void);
void tui_crt_flush(void);
/* Draws UTF-8 text at (y, x) in at most maxw columns, cut with an ellipsis
 * when it does not fit. Returns columns drawn. */
int tui_crt_text(int y, int x, int maxw, tui_role_t role, const char *s);
/* Draws s wrapped into [x, x + w) from row y, at most maxrows rows, the last
 * one cut with an ellipsis when the rest does not fit. Returns the rows. */
int tui_crt_wrapped(int y, int x, int w, int maxrows, tui_role_t role, const char *s);
/* Draws one code point (wide ones take two columns). Returns columns drawn. */
int tui_crt_char(int y, int x, tui_role_t role, unsigned int wc);
void tui_crt_fill(int y, int x, int w, tui_role_t role);
void tui_crt_hline(int y, int x, int w, tui_role_t role);
void tui_crt_box(int y, int x, int h, int w, tui_role_t role, const char *title,
                 tui_role_t title_role);
/* The glyph's UTF-8 text or its ASCII stand-in. */
const char *tui_crt_glyph(tui_glyph_t g);
/* A bar of 0..8 eighths ("▏".."█", ASCII "#"), for histograms. */
const char *tui_crt_eighths(int n);
/* A braille cell with two samples of 0..4 dots each (left and right column);
 * ASCII: one of " ._-=#" for the higher of the two. Returns a UTF-8 string. */
const char *tui_crt_braille(int left, int right);

#endif
