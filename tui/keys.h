/* keys: which key does what, on which screen, in one table. The loop asks it
 * what a key press means (tui_keys_action), and the help screen lists the same
 * table (tui_keys_help), so a key cannot do one thing and be described as
 * another. What an action does is elsewhere (actions.c, app.c); this is data.
 *
 * Usage:
 *
 *     tui_action_t a = tui_keys_action(TUI_SCREEN_DEMO, 's', 0); // TUI_ACTION_STEP
 *     const char *label;
 *     tui_str_t text;
 *     for (int i = 0; tui_keys_help(TUI_SCREEN_MENU, i, utf8, &label, &text); i++)
 *         ... draw "label   text" ...
 */
#ifndef TUI_KEYS_H
#define TUI_KEYS_H

#include <wchar.h>

#include "i18n.h"
#include "view.h"

typedef enum {
    TUI_ACTION_NONE,
    /* moving: the menu's selection, or the focused pane's scroll or selection */
    TUI_ACTION_UP,
    TUI_ACTION_DOWN,
    TUI_ACTION_PAGE_UP,
    TUI_ACTION_PAGE_DOWN,
    TUI_ACTION_HOME,
    TUI_ACTION_END,
    TUI_ACTION_LEFT,
    TUI_ACTION_RIGHT,
    TUI_ACTION_NEXT_PANE,
    TUI_ACTION_PREV_PANE,
    TUI_ACTION_ZOOM,
    TUI_ACTION_LESSON, /* the lesson or the narration in pane 4 */
    /* the demo */
    TUI_ACTION_LAUNCH,
    TUI_ACTION_LAUNCH_LESSON, /* launch in lesson mode: waits before step 1 */
    TUI_ACTION_PAUSE, /* pause or resume */
    TUI_ACTION_STEP,
    TUI_ACTION_FASTER,
    TUI_ACTION_SLOWER,
    TUI_ACTION_BIGGER,
    TUI_ACTION_SMALLER,
    TUI_ACTION_TERM, /* SIGTERM to the selected process */
    TUI_ACTION_KILL, /* SIGKILL to the selected process */
    TUI_ACTION_FAULT,
    TUI_ACTION_RESTART,
    TUI_ACTION_STEP_BACK, /* a replay: back to before the last step played */
    /* the dashboard */
    TUI_ACTION_LANG,
    TUI_ACTION_HELP,
    TUI_ACTION_COMPARE, /* the compare screen (compare.c) */
    TUI_ACTION_OPEN_DEMO, /* the demo the compare screen's guide points to */
    TUI_ACTION_BACK /* from a demo to the menu; from the menu, quit */
} tui_action_t;

/* What the key (a character, or a KEY_* code when is_code) does on the
 * screen; TUI_ACTION_NONE when nothing. */
tui_action_t tui_keys_action(tui_screen_t screen, wint_t key, int is_code);
/* The i-th line of the screen's help: 1 with its key label (ASCII when not
 * utf8) and text, 0 past the last. */
int tui_keys_help(tui_screen_t screen, int i, int utf8, const char **label, tui_str_t *text);

#endif
