/* app: the dashboard's event loop.
 *
 * One libuv loop carries everything the dashboard waits for: keys on stdin,
 * SIGWINCH, SIGINT/SIGTERM/SIGHUP, the demo's pipes and its exit (session.c),
 * a /proc scan timer and a redraw timer that draws at most 30 times a second
 * and only when something changed. A key is looked up in keys.c and done by
 * actions.c, or here when it changes what the loop holds (launch, back,
 * restart, language).
 */
#ifndef TUI_APP_H
#define TUI_APP_H

#include <stdio.h>

#include "catalogue.h"

typedef struct {
    const tui_mech_t *open; /* launch it at once (ipcscope open), or NULL */
    double rate;            /* messages per second; 0: as fast as possible */
    long size;              /* payload bytes */
    const char *count;      /* messages per launch, as the demo's --count */
    int lesson;             /* open in lesson mode (--step) */
    FILE *record;           /* NULL, or where every event line goes; closed here */
    int compare;            /* open on the compare screen (ipcscope compare) */
} tui_app_options_t;

/* Runs the dashboard until it is quit. Returns the exit status: 0, or
 * 128 + the signal that ended it. */
int tui_app_run(const tui_app_options_t *o);

#endif
