/* cmdline: the ipcscope command.
 *
 *   ipcscope                     the dashboard (menu, then a running demo)
 *   ipcscope open DEMO [options] the dashboard, launching DEMO at once
 *   ipcscope list                the demos, built or planned
 *   ipcscope run DEMO [options]  exec the demo in this terminal (plain narration)
 *   ipcscope --help | --version  [--lang en|zh] anywhere before the command
 *
 * It reads the arguments, answers the commands that need no terminal, and
 * hands the dashboard its options (app.h).
 */
#ifndef TUI_CMDLINE_H
#define TUI_CMDLINE_H

#define TUI_VERSION "0.1.0"

/* Runs the command; returns the process's exit status. */
int tui_cmdline_main(int argc, char **argv);

#endif
