/* replay: a recorded run played in the dashboard, without running anything.
 *
 * `ipcscope replay FILE [--step]` opens the dashboard on the demo the
 * recording names (its lesson, its title) and launches, in the demo's place,
 * ipcscope itself as the replayer: a process under lib/demo like any demo,
 * so the dashboard's keys work on it unchanged. It writes the recorded event
 * lines to the event pipe at the pace they were recorded (a gap over a
 * second is cut to one), and:
 *   - Space pauses and resumes; s, paused, lets one more message go;
 *   - in lesson mode (S, --step) it stops before each recorded lesson step,
 *     and each s plays up to the next one: a class jumps from step to step;
 *   - b goes back to before the last step played (the recording is read
 *     again from the top, written at once up to there), and s plays that
 *     step again; r plays it all again from the start;
 *   - the replayer exits at the end of the recording (ENDED); back in the
 *     menu, the recorded demo launches the recording again, any other
 *     demo itself.
 * The recorded events keep their own pids and times, so the flow, the
 * figures and the narration are the run's; the process pane shows what
 * /proc has, which is the replayer alone.
 */
#ifndef TUI_REPLAY_H
#define TUI_REPLAY_H

/* The environment variable that makes ipcscope, launched by the dashboard
 * as a demo, the replayer of the file it names. */
#define TUI_REPLAY_ENV "IPCSCOPE_REPLAY_FEED"

/* The demo a recording is of (its hello's name) into out; 0, or -1 with
 * the reason in out. */
int tui_replay_demo(const char *file, char *out, size_t n);
/* Runs the replayer (argv as a demo gets it); returns the exit code. */
int tui_replay_feed(const char *file, int argc, char **argv);

#endif
