/* catalogue: every mechanism of the design, built or planned.
 *
 * The dashboard knows a demo only through this table and the demo's binary: a
 * new demo appears by building demos/NAME.c into the demos directory; its row
 * here was there from the start. A demo is "built" when its binary exists in
 *
 *   $IPCSCOPE_DEMOS, else <dir of ipcscope>/../demos (the build tree),
 *   else <dir of ipcscope>/../libexec/ipcscope (installed);
 *
 * and lessons are looked up in $IPCSCOPE_LESSONS, <dir>/../../docs/lessons,
 * <dir>/../share/ipcscope/lessons.
 *
 * Usage:
 *
 *     tui_catalogue_init(argv[0]);
 *     for (int i = 0; i < tui_catalogue_count(); i++) {
 *         const tui_mech_t *m = tui_catalogue_get(i);
 *         if (tui_catalogue_path(m, path, sizeof path) == 0) ... built ...
 *     }
 */
#ifndef TUI_CATALOGUE_H
#define TUI_CATALOGUE_H

#include <stddef.h>

#include "i18n.h"

/* One row of an article's comparison table (compare_articles has its
 * cells). */
typedef struct {
    const char *article; /* "000": its id in lib/articles */
    const char *label;   /* the row's name in the article: "IPC 通道 (fork)" */
} tui_table_row_t;

typedef struct {
    const char *name; /* the demo binary's name */
    const char *summary_en, *summary_zh;
    const char *articles; /* "000 001 002 003 004": the articles it follows */
    tui_table_row_t rows[2];
    int nrows;
} tui_mech_t;

int tui_catalogue_count(void);
const tui_mech_t *tui_catalogue_get(int i);
const tui_mech_t *tui_catalogue_find(const char *name);
const char *tui_catalogue_summary(const tui_mech_t *m, tui_lang_t lang);

/* Remembers where the ipcscope binary is (from /proc/self/exe, else argv0). */
void tui_catalogue_init(const char *argv0);
/* The demos directory in use, or "" when none exists. */
const char *tui_catalogue_demos_dir(void);
/* The demo's executable: 0 and the path, or -ENOENT when it is not built. */
int tui_catalogue_path(const tui_mech_t *m, char *out, size_t n);
/* From now on m's program is path (a replay runs the replayer in the
 * recorded demo's place; the other mechanisms launch as ever); a NULL path
 * undoes it. */
void tui_catalogue_set_program(const tui_mech_t *m, const char *path);
/* 1 when m launches another program in its place (a replay). */
int tui_catalogue_replaced(const tui_mech_t *m);
/* The lesson file for the language (NAME.zh.md, falling back to NAME.md):
 * 0 and the path, or -ENOENT. */
int tui_catalogue_lesson(const tui_mech_t *m, tui_lang_t lang, char *out, size_t n);
/* The title from `DEMO --describe`, cached; "" when unknown. Runs the demo
 * (briefly) the first time it is asked. */
const char *tui_catalogue_title(const tui_mech_t *m);

#endif
