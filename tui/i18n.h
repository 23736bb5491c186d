/* i18n: the dashboard's own words in English and Chinese.
 *
 * One table per language, indexed by tui_str_t, so a missing translation is a
 * compile-time gap one can see, not a runtime lookup that fails. The demo's
 * narration is the demo's and is shown as it comes.
 *
 * Usage:
 *
 *     tui_i18n_set(tui_i18n_from_env());
 *     mvaddstr(0, 0, tui_i18n(TUI_S_PROCESSES));
 */
#ifndef TUI_I18N_H
#define TUI_I18N_H

typedef enum { TUI_LANG_EN, TUI_LANG_ZH } tui_lang_t;

typedef enum {
    TUI_S_APP_TITLE,
    TUI_S_MECHANISMS,
    TUI_S_BUILT,
    TUI_S_PLANNED,
    TUI_S_PLANNED_LONG,
    TUI_S_ENTER_LAUNCHES,
    TUI_S_ARTICLES,
    TUI_S_TABLE_ROWS,
    TUI_S_NO_ROW,
    TUI_S_PROCESSES,
    TUI_S_FLOW,
    TUI_S_LATENCY,
    TUI_S_NARRATION,
    TUI_S_LESSON,
    TUI_S_RUNNING,
    TUI_S_PAUSED,
    TUI_S_STEPPING,
    TUI_S_ENDED,
    TUI_S_STOPPING,
    TUI_S_RATE,
    TUI_S_RATE_MAX,
    TUI_S_SIZE,
    TUI_S_EXITED_CODE,
    TUI_S_KILLED_BY,
    TUI_S_EXITED_AFTER, /* "exited %d after %s": a code, then the signal it caught */
    TUI_S_NO_PROCESSES,
    TUI_S_NO_MESSAGES,
    TUI_S_NO_LATENCY,
    TUI_S_ONE_WAY, /* a channel with messages but no round trip to time */
    TUI_S_NO_LOG,
    TUI_S_NO_LESSON,
    TUI_S_MSGS_S,
    TUI_S_LAST_60S,
    TUI_S_SAMPLED,
    TUI_S_WHOLE_RUN,    /* the latency figures' window: since the start */
    TUI_S_SINCE_CHANGE, /* since rate or size last changed */
    TUI_S_SINCE_STEP,   /* since lesson step %u began */
    TUI_S_REJECTED,     /* %llu messages refused by the receiver's checks */
    TUI_S_ONE_IN_N, /* "1 in %.0f shown": the flow when the demo samples its messages */
    TUI_S_EVENTS_LOST,
    TUI_S_LOSS, /* "%llu sent  %llu received  %llu lost (%.0f%%)" */
    TUI_S_FOLDED,       /* "%llu msgs in %llu ms": a folded row of the flow */
    TUI_S_FOLDED_SHORT, /* "%llu msgs" */
    TUI_S_PROC_STARTED,
    TUI_S_PROC_READY,
    TUI_S_PROC_EXITED,
    TUI_S_PROC_KILLED,
    TUI_S_PROC_EXITED_AFTER, /* "exited with code %d after %s (it caught the signal)" */
    TUI_S_STEP_LINE, /* "-- step %d: %s" */
    TUI_S_CHAN_OPENED, /* "opened channel %s" */
    TUI_S_CHAN_CLOSED,
    TUI_S_LANG_AT_RESTART, /* L while a demo runs */
    TUI_S_ERROR,
    TUI_S_DONE,
    TUI_S_HELP_TITLE,
    TUI_S_HELP_CLOSE,
    /* keys: short words for the status bar */
    TUI_S_K_SELECT,
    TUI_S_K_LAUNCH,
    TUI_S_K_LESSON_MODE,
    TUI_S_K_LANG,
    TUI_S_K_HELP,
    TUI_S_K_QUIT,
    TUI_S_K_PAUSE,
    TUI_S_K_RESUME,
    TUI_S_K_STEP,
    TUI_S_K_RATE,
    TUI_S_K_SIZE,
    TUI_S_K_PANE,
    TUI_S_K_KILL,
    TUI_S_K_RESTART,
    TUI_S_K_LESSON,
    TUI_S_K_LOG,
    TUI_S_K_BACK,
    TUI_S_K_SCROLL,
    TUI_S_K_ZOOM,
    TUI_S_K_FAULT,
    /* the help screen: one line per key */
    TUI_S_H_SPACE,
    TUI_S_H_STEP,
    TUI_S_H_RATE,
    TUI_S_H_SIZE,
    TUI_S_H_TAB,
    TUI_S_H_ARROWS,
    TUI_S_H_KILL,
    TUI_S_H_RESTART,
    TUI_S_H_STEP_BACK,
    TUI_S_BACK_LIVE,   /* b on a live demo */
    TUI_S_BACK_ENDED,  /* b after the replay ended */
    TUI_S_BACK_TO,     /* b: "back to before step %d" */
    TUI_S_H_LESSON,
    TUI_S_H_LANG,
    TUI_S_H_ZOOM,
    TUI_S_H_FAULT,
    TUI_S_H_HELP,
    TUI_S_H_QUIT,
    TUI_S_H_ENTER,
    TUI_S_H_LESSON_MODE,
    TUI_S_SENT_SIGNAL,
    TUI_S_SENT_FAULT, /* "dashboard: fault %s asked for (f again: %s)" */
    TUI_S_NO_FAULTS,
    TUI_S_LAUNCH_FAILED,
    TUI_S_TOO_SMALL,
    TUI_S_H_COMPARE, /* c in the menu: the compare screen */
    TUI_S_COUNT
} tui_str_t;

void tui_i18n_set(tui_lang_t lang);
tui_lang_t tui_i18n_lang(void);
/* The language LC_ALL, LC_MESSAGES or LANG asks for (zh* -> Chinese). */
tui_lang_t tui_i18n_from_env(void);
/* Parses "en" or "zh"; -1 otherwise. */
int tui_i18n_parse(const char *s);
const char *tui_i18n(tui_str_t s);

#endif
