/* view: drawing the screens. A view reads the model, the /proc snapshot and
 * the UI state, and draws; it never changes any of them and never talks to
 * the demo. The app owns tui_ui_t and calls tui_view_draw() when something
 * changed.
 *
 *   view.c          layout, title and status bars, help, the menu screen
 *   view_procs.c    1. Processes: the /proc tree, IPC fds and their peers
 *   view_flow.c     2. Message flow: lanes and arrows
 *   view_latency.c  3. Latency: percentiles, histogram, sparkline, rates
 *   view_text.c     4. Narration (the log) or the lesson
 */
#ifndef TUI_VIEW_H
#define TUI_VIEW_H

#include <stdint.h>

#include "catalogue.h"
#include "lesson.h"
#include "model.h"
#include "procfs.h"

typedef enum { TUI_PANE_PROCS, TUI_PANE_FLOW, TUI_PANE_LATENCY, TUI_PANE_TEXT, TUI_PANE_COUNT } tui_pane_t;
typedef enum { TUI_SCREEN_MENU, TUI_SCREEN_DEMO } tui_screen_t;

/* How long an exited process stays in the tree, marked. */
#define TUI_EXITED_LINGER_NS 5000000000ull

typedef struct {
    int y, x, h, w;
} tui_rect_t;

typedef struct {
    tui_screen_t screen;
    int help;
    int menu_sel;

    /* the demo screen */
    const tui_mech_t *mech;
    const tui_model_t *model;
    const tui_procfs_t *procs;
    const tui_lesson_t *lesson; /* NULL: no lesson found */
    char lesson_path[512];
    long pgid;          /* the demo's process group, 0 when none */
    int running;        /* the demo's first process is alive */
    int stopping;       /* q or r was pressed: winding it down */
    int paused, stepping;
    double rate;        /* messages per second asked for; 0 = as fast as possible */
    long size;          /* payload bytes asked for */
    tui_pane_t focus;
    int zoom;
    int show_lesson;
    int scroll[TUI_PANE_COUNT]; /* flow and log: rows up from the newest */
    int lesson_scroll; /* lesson: display lines down from the top */
    int chan_sel;
    long sel_pid;
    uint64_t now_ns;
    char flash[160]; /* the last thing the dashboard did, for the title bar */
    uint64_t flash_ns; /* when: for a few seconds it goes before rate and size */
} tui_ui_t;

void tui_view_draw(const tui_ui_t *ui);

/* The four panes' rectangles for a screen of rows x cols (pure). */
void tui_view_layout(int rows, int cols, int zoom, tui_pane_t focus, tui_rect_t out[TUI_PANE_COUNT]);

/* The processes the Processes pane lists, in its order (for selection). */
int tui_view_procs_pids(const tui_ui_t *ui, long *pids, int max);

/* Panes: draw inside r (the box is drawn by the caller). */
void tui_view_procs(const tui_ui_t *ui, tui_rect_t r);
void tui_view_flow(const tui_ui_t *ui, tui_rect_t r);
void tui_view_latency(const tui_ui_t *ui, tui_rect_t r);
void tui_view_text(const tui_ui_t *ui, tui_rect_t r);
/* The narration's scroll as far as it could go at the last draw. */
int tui_view_text_scroll_used(void);

#endif
