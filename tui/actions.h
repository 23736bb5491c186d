/* actions: what a key's action does to what the screen shows (selection,
 * scroll, focus, zoom) and to the running demo (pause, step, rate, size,
 * signals, faults, through its session). The loop looks the key up in keys.c
 * and hands the action here; leaving, launching, restarting and switching
 * the language change what the loop itself holds, so the loop does those.
 */
#ifndef TUI_ACTIONS_H
#define TUI_ACTIONS_H

#include "keys.h"
#include "session.h"
#include "view.h"

/* Does a on the screen ui shows; actions this module does not do are ignored. */
void tui_actions_do(tui_action_t a, tui_ui_t *ui, tui_session_t *s);
/* The demo screen, fresh for a run of m whose process group is pgid. */
void tui_actions_show_demo(tui_ui_t *ui, const tui_mech_t *m, tui_session_t *s);
/* Keeps a valid selection: the first process when the selected one left. */
void tui_actions_keep_selection(tui_ui_t *ui);

#endif
