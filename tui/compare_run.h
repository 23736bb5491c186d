/* compare_run: one run of bench/compare.sh, the measuring script, as a
 * child of the loop. Its stderr says how far it is ("progress I N EN|ZH",
 * "note EN|ZH"), its stdout is the compare document (compare_doc.h). The
 * loop never waits for it; stopping it ends its whole process group.
 *
 * Usage (compare.c):
 *
 *     static void done(const char *out, int status, int sig, int stopped)
 *     {   ... parse out, cache it ... }
 *     if (tui_compare_run_start(loop, 0, redraw, done, why, sizeof why) == -ENOENT)
 *         ... no script ...
 *     tui_compare_run_progress(&step, &steps, &en, &zh);   // while running
 *     tui_compare_run_stop();                              // q, Ctrl-C
 */
#ifndef TUI_COMPARE_RUN_H
#define TUI_COMPARE_RUN_H

#include <stddef.h>
#include <uv.h>

/* How a run ended: its stdout (the document, or what there was of it), its
 * exit status or the signal that ended it, and whether it was stopped. */
typedef void (*tui_compare_run_done_t)(const char *out, int exit_status, int term_signal, int stopped);

/* Starts the measuring script: $IPCSCOPE_COMPARE, the build tree's
 * (compare_doc.h's tui_compare_script), else an installed one,
 * <bin>/../libexec/ipcscope/bench/compare.sh, measuring with
 * <bin>/../libexec/ipcscope. verbose (compare --json): its progress and
 * notes go to stderr. on_change is called whenever how far it is changes,
 * on_done once it is over. Returns 0 (also while a run is going already),
 * -ENOENT when there is no script, or a negative errno with why filled. */
int tui_compare_run_start(uv_loop_t *loop, int verbose, void (*on_change)(void),
                          tui_compare_run_done_t on_done, char *why, size_t whyn);
/* 1 until the script has exited. */
int tui_compare_run_running(void);
/* How far the run is: step of steps, and what it is doing in English and
 * in Chinese ("" before it said). */
void tui_compare_run_progress(int *step, int *steps, const char **doing_en, const char **doing_zh);
/* Ends a run in progress: SIGTERM to its whole process group. */
void tui_compare_run_stop(void);
/* Frees what the last run read (compare --json, once done). */
void tui_compare_run_free(void);

#endif
