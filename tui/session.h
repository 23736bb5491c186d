/* session: one run of a demo under the dashboard, from launch to the moment
 * no process of it is left. It starts the demo with its event and control
 * pipes, feeds what the demo says into the model, sends it commands, and
 * winds it down: {"cmd":"quit"}, then SIGTERM, then SIGKILL to its process
 * group. It knows nothing of the screen: it tells its owner what happened
 * through one callback, and the owner decides what to draw or do next.
 *
 *   IDLE --launch--> RUNNING --stop--> QUITTING --2 s--> TERMINATING --1 s--> KILLING
 *                                          \_______________\_______________\__ no process
 *                                                                              left: IDLE
 *
 * The demo's first process exiting by itself does not change the state: the
 * owner hears TUI_SESSION_EXITED and the last figures stay on the screen
 * until it calls tui_session_stop().
 *
 * Usage:
 *
 *     tui_session_init(&s, loop, model, on_news);
 *     s.count = "10";                      // --count of every launch
 *     tui_session_launch(&s, "build/demos/fork-ipc", 5.0, 64);
 *     ...                                  // on_news(TUI_SESSION_PROC), ...
 *     tui_session_stop(&s);                // later: on_news(TUI_SESSION_STOPPED)
 *     tui_session_close(&s);               // then run the loop once more
 */
#ifndef TUI_SESSION_H
#define TUI_SESSION_H

#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "framing.h"
#include "model.h"
#include "spawn.h"

#define TUI_SESSION_QUIT_WAIT_MS 2000 /* after {"cmd":"quit"}, before SIGTERM */
#define TUI_SESSION_TERM_WAIT_MS 1000 /* after SIGTERM, before SIGKILL */

typedef enum {
    TUI_SESSION_IDLE,        /* no demo */
    TUI_SESSION_RUNNING,     /* launched (its first process may have exited since) */
    TUI_SESSION_QUITTING,    /* {"cmd":"quit"} sent */
    TUI_SESSION_TERMINATING, /* SIGTERM sent to the process group */
    TUI_SESSION_KILLING      /* SIGKILL sent to the process group */
} tui_session_state_t;

/* What the owner hears. */
typedef enum {
    TUI_SESSION_CHANGED, /* events, output or a note arrived: worth a redraw */
    TUI_SESSION_PROC,    /* a proc event: the process tree changed */
    TUI_SESSION_STEP,    /* a lesson step began, or waits for s */
    TUI_SESSION_EXITED,  /* the demo's first process exited */
    TUI_SESSION_STOPPED  /* no process of the group is left: IDLE again */
} tui_session_news_t;

typedef struct tui_session_s tui_session_t;
typedef void (*tui_session_cb)(tui_session_t *s, tui_session_news_t news);

struct tui_session_s {
    void *data; /* the owner's */
    tui_session_state_t state;
    const char *count; /* --count given to every launch ("1000000000": no end) */
    int lesson;        /* launch with --step: the demo waits before each lesson step */
    FILE *record;      /* NULL, or where every event line goes, as received (not owned) */
    long pgid;         /* the demo's process group, 0 when IDLE */
    scope_child_t child;

    /* private */
    uv_loop_t *loop;
    tui_model_t *model;
    tui_session_cb on_news;
    int control_fd;
    uv_pipe_t events, output;
    int events_open, output_open;
    scope_ndjson_t decoder;
    char outline[512];
    size_t outlen;
    uv_timer_t stop_timer;
    uint64_t stop_started;
    unsigned next_fault; /* which of the demo's faults tui_session_fault sends next */
    int warned_version;  /* said once per launch that events of another version are refused */
    char readbuf[65536];
};

/* Sets s up on the loop (one timer handle); the model is fed and noted into. */
void tui_session_init(tui_session_t *s, uv_loop_t *loop, tui_model_t *model,
                      tui_session_cb on_news);
/* Lesson mode on or off for the next launches: with it, --step, and a
 * finite run (count, or 10 messages when count is the no-end default). */
void tui_session_lesson(tui_session_t *s, int on, const char *count);
/* Launches the demo at path with --rate, --size and --count, after resetting
 * the model. Returns 0, -EBUSY when not IDLE, or a negative errno from
 * pipe2(2), open(2) or the spawn. */
int tui_session_launch(tui_session_t *s, const char *path, double rate, long size);
/* Sends one command (a JSON object, no newline) on the control pipe. The pipe
 * is non-blocking: a demo that stopped reading loses the command, with a note. */
void tui_session_control(tui_session_t *s, const char *json);
/* Sends the demo's next fault kind, in turn ({"cmd":"fault","kind":...}), and
 * notes it. Returns the kind sent, or NULL when the demo named no faults. */
const char *tui_session_fault(tui_session_t *s);
/* The dashboard sent a process of the demo a signal (tui_model_signal_sent). */
void tui_session_signal_sent(tui_session_t *s, long pid, const char *signal);
/* Adds a line of the dashboard's own narration to the model. */
void tui_session_note(tui_session_t *s, const char *text);
/* Winds the demo down (a no-op while already doing so). When IDLE, reports
 * TUI_SESSION_STOPPED at once. */
void tui_session_stop(tui_session_t *s);
/* Signals the whole process group now (no-op when IDLE). */
void tui_session_kill(tui_session_t *s, int sig);
/* For a crash handler: SIGTERM to the running demo's process group.
 * Async-signal-safe. */
void tui_session_on_crash(void);
/* Closes the pipes and the timer; run the loop once more afterwards. */
void tui_session_close(tui_session_t *s);

#endif
