/* app: the ipcscope command and the dashboard's event loop.
 *
 *   ipcscope                     the dashboard (menu, then a running demo)
 *   ipcscope list                the demos, built or planned
 *   ipcscope run DEMO [options]  exec the demo in this terminal (plain narration)
 *   ipcscope --help | --version  [--lang en|zh] anywhere
 *
 * One libuv loop carries everything the dashboard waits for: keys on stdin,
 * SIGWINCH, SIGINT/SIGTERM/SIGHUP, the demo's event pipe, its stdout/stderr,
 * its exit (lib/spawn), a /proc scan timer and a redraw timer that draws at
 * most 30 times a second and only when something changed.
 */
#ifndef TUI_APP_H
#define TUI_APP_H

#define TUI_VERSION "0.1.0"

int tui_app_main(int argc, char **argv);

#endif
