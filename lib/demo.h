/* demo: what every ipcscope demo shares, so that a demo's own file holds only
 * its mechanism.
 *
 *   - the command line: --help, --json, --count N, --rate HZ, --size BYTES,
 *     --step, --describe, --lang en|zh (the narration's language, put in
 *     IPCSCOPE_LANG for every process of the demo; lib/events), plus the
 *     demo's own options; --help names the articles the demo follows
 *     (lib/articles);
 *   - the event emitter, opened for this process (lib/events);
 *   - the control channel from the dashboard (IPCSCOPE_CONTROL_FD, one JSON
 *     command per line): pause, resume, step, rate, size, fault, quit.
 *     "step" turns step mode on and lets the next thing happen: a waiting
 *     lesson step goes on, or, while paused, one message goes out; "resume"
 *     leaves step mode;
 *     in a terminal with --step, Enter on stdin is the step command;
 *   - pacing (scope_pacer_t): the next message goes out when the rate allows,
 *     never while paused;
 *   - lesson steps that wait for "step" in step mode;
 *   - shutdown: SIGINT, SIGTERM and "quit" call the demo's on_quit so it can
 *     wind down; registered cleanups (socket files, FIFOs, shm names) run on the
 *     way out, and on a second signal before the process dies of it.
 *
 * This module does the printing a command line needs (help, --describe, usage
 * errors) only in scope_demo_parse_report(), to the FILE the caller names.
 *
 * Usage:
 *
 *     static const scope_demo_info_t info = {"fork-ipc", "child_process.fork()",
 *         "one line", "000 001 002 003 004", "IPC 通道 (fork) | 快 | ❌ | 低 | 父子进程"};
 *     int main(int argc, char **argv) {
 *         scope_demo_t d = {.on_quit = on_quit};
 *         int r = scope_demo_parse(&d, &info, NULL, argc, argv);
 *         if (r != SCOPE_DEMO_RUN) return scope_demo_parse_report(&d, r, stdout, stderr);
 *         scope_demo_start(&d, uv_default_loop(), "parent");
 *         ...
 *         return scope_demo_run(&d);
 *     }
 */
#ifndef SCOPE_DEMO_H
#define SCOPE_DEMO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>
#include <cJSON.h>

#include "framing.h"
#include "spawn.h"

typedef struct {
    const char *name;      /* "fork-ipc": the program and catalogue name */
    const char *title;     /* "child_process.fork() with the lid off" */
    const char *summary;   /* one line */
    const char *articles;  /* "000 001 002": the articles it follows (lib/articles) */
    const char *table_row; /* the articles' comparison row for this mechanism */
    const char *faults;    /* the kinds its "fault" command takes, space-separated, or NULL */
} scope_demo_info_t;

/* How lib/demo reads a typed option into its `to` (a demo need not write a
 * parser of its own): the value is checked, and a bad one is refused with a
 * message that names the option and what it wants. */
typedef enum {
    SCOPE_OPT_CALL = 0, /* on_option(d, name, value) does it (the default) */
    SCOPE_OPT_FLAG,     /* int *to = 1 */
    SCOPE_OPT_NUMBER,   /* long long *to, a whole number from lo to hi */
    SCOPE_OPT_TEXT,     /* const char **to, the value as given (not empty) */
    SCOPE_OPT_WORD,     /* const char **to, one of words ("a b c") */
    SCOPE_OPT_ONOFF,    /* int *to = 1 for "on", 0 for "off" */
    SCOPE_OPT_LIST,     /* const char **to, a comma list ("" for none) of at most
                         * max items (16 when 0), each one of words or, without
                         * words, a whole number from lo to hi; read it with
                         * scope_demo_list_next */
} scope_demo_option_kind_t;

/* A demo's own option: --name or --name VALUE. */
typedef struct {
    const char *name;
    const char *arg; /* the value's name in --help ("c|node"), NULL for a flag */
    const char *help;
    scope_demo_option_kind_t kind;
    void *to;
    long long lo, hi;  /* SCOPE_OPT_NUMBER, SCOPE_OPT_LIST of numbers */
    const char *words; /* SCOPE_OPT_WORD, SCOPE_OPT_LIST of words */
    int max;           /* SCOPE_OPT_LIST: most items */
} scope_demo_option_t;

/* "1 datagram", "3 datagrams", or, for a count of SCOPE_DEMO_ENDLESS,
 * "an endless run of datagrams": a count for a sentence. Returns out. */
char *scope_demo_count_of(char *out, size_t n, long count, const char *one, const char *many);

/* The next item of a comma list (an SCOPE_OPT_LIST value) into item, *at
 * moved past it; 0 at the end. for (const char *at = list; next(&at, ...);) */
int scope_demo_list_next(const char **at, char *item, size_t n);
/* Is the word of len bytes one of words ("a b c")? */
int scope_demo_is_one_of(const char *word, size_t len, const char *words);

/* The struct that holds a handle, from the handle a callback was given:
 * state hangs off handles, as libuv's own benchmarks find theirs. */
#define scope_container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))

typedef struct scope_demo_s scope_demo_t;
/* Called for each of the demo's own options of kind SCOPE_OPT_CALL; return
 * 0, or -EINVAL after writing the reason into d->error. */
typedef int (*scope_demo_option_cb)(scope_demo_t *d, const char *name, const char *value);
/* Called after lib/demo applied a control command: cmd is "pause", "resume",
 * "step", "rate", "size", "fault" or "quit"; msg is the whole command. */
typedef void (*scope_demo_control_cb)(scope_demo_t *d, const char *cmd, const cJSON *msg);
typedef void (*scope_demo_cb)(scope_demo_t *d);
/* One step of a lesson table (scope_demo_lesson). */
typedef struct {
    const char *title;
    scope_demo_cb run;
} scope_demo_lesson_t;
typedef void (*scope_demo_cleanup_fn)(void *arg);

enum {
    SCOPE_DEMO_RUN = 0,    /* parse: go on */
    SCOPE_DEMO_HELP = 1,   /* parse: --help was given */
    SCOPE_DEMO_DESCRIBE = 2, /* parse: --describe was given */
};

/* --count this high (the most it takes) means "until stopped": what the
 * dashboard asks for, and what narration calls open-ended, not a number. */
#define SCOPE_DEMO_ENDLESS 1000000000L

#define SCOPE_DEMO_MAX_CLEANUPS 16
#define SCOPE_DEMO_MAX_PACERS   8
#define SCOPE_DEMO_MAX_SIZE     (64u * 1024u * 1024u)

typedef struct scope_pacer_s scope_pacer_t;

struct scope_demo_s {
    /* set by the caller */
    void *data;
    scope_demo_option_cb on_option;
    scope_demo_control_cb on_control;
    scope_demo_cb on_quit; /* SIGINT, SIGTERM or "quit": wind down */
    scope_demo_cb on_lesson_end; /* scope_demo_next after the last step */
    scope_demo_cb on_back; /* "back": a replay rewinds a step; NULL: refused */
    const scope_demo_option_t *options;
    /* Narrate to stderr rather than stdout when alone in a terminal: for a
     * process whose stdout is someone else's (a child a node parent forked,
     * whose stdout is the parent's). */
    int narrate_stderr;

    /* the common options, with their defaults after parse */
    const scope_demo_info_t *info;
    int json;       /* --json */
    long count;     /* --count N: messages to send (default 10; SCOPE_DEMO_ENDLESS: no end) */
    double rate;    /* --rate HZ: messages per second, 0 = as fast as possible */
    size_t size;    /* --size BYTES: payload size (default 64) */
    int step_mode;  /* --step */
    const char *role; /* --role NAME: this process is one the demo started (lib/role) */
    char **args;    /* what is left after the options */
    int nargs;
    char error[256];

    /* live state */
    uv_loop_t *loop;
    int paused;
    int quitting;
    int step_credits; /* "step" commands not yet used */
    char fault[32];   /* the last fault asked for, "" when none */
    cJSON *params;    /* reported in hello; a demo may add to it before start */
    int exit_code;    /* what scope_demo_run returns: see scope_demo_exit */

    /* private */
    uv_signal_t sigint, sigterm;
    uv_pipe_t control, stdin_pipe;
    int control_open, stdin_open;
    scope_ndjson_t control_decoder;
    scope_demo_cleanup_fn cleanups[SCOPE_DEMO_MAX_CLEANUPS];
    void *cleanup_args[SCOPE_DEMO_MAX_CLEANUPS];
    int ncleanups;
    scope_pacer_t *pacers[SCOPE_DEMO_MAX_PACERS];
    int npacers;
    struct {
        int n;
        scope_demo_cb cb;
        uv_timer_t timer;
        int waiting;
    } step;
    int signals;
    char ctlbuf[4096];
    const scope_demo_lesson_t *lesson; /* scope_demo_lesson's table, and where it is */
    int lesson_at;
    /* lib/role: the roles started, and how a command reaches them */
    void *roles;
    void (*relay)(scope_demo_t *d, const cJSON *msg);
    int report_fd, report_open; /* a role's copy of its relay, for scope_demo_report */
    cJSON *figures;             /* scope_demo_figure's, for the bye */
    int bye_said;               /* scope_demo_bye was called */
};

/* Parses the command line. Returns SCOPE_DEMO_RUN, SCOPE_DEMO_HELP,
 * SCOPE_DEMO_DESCRIBE, or -EINVAL with the reason in d->error. */
int scope_demo_parse(scope_demo_t *d, const scope_demo_info_t *info,
                     const scope_demo_option_t *options, int argc, char **argv);
/* Prints --help or --describe to out, or a usage error to err; returns the
 * exit code main should return (0, or 2 for a usage error). */
int scope_demo_parse_report(scope_demo_t *d, int parse_result, FILE *out, FILE *err);
/* Writes the --describe JSON for info (the dashboard's catalogue reads it). */
cJSON *scope_demo_describe(const scope_demo_info_t *info, const scope_demo_option_t *options);

/* Opens events as role, ignores SIGPIPE, watches SIGINT/SIGTERM, opens the
 * control channel, and emits hello (the first process only: pass
 * first_process 0 in children, which report proc start instead). */
int scope_demo_start(scope_demo_t *d, uv_loop_t *loop, const char *role, int first_process);
/* Runs the loop until nothing is left, runs the cleanups, returns the exit
 * code set with scope_demo_exit (default 0). */
int scope_demo_run(scope_demo_t *d);
/* The code scope_demo_run will return; a later call with a higher code wins,
 * so a failure is never overwritten by a success. */
void scope_demo_exit(scope_demo_t *d, int code);
/* Figures for the bye, from whichever file of the demo measured them: name
 * becomes a key of the bye's summary, value (taken over) its value; a later
 * one of the same name replaces it. */
void scope_demo_figure(scope_demo_t *d, const char *name, cJSON *value);
/* A name with a dot ("stream.bytes") is a member of an object figure
 * ("stream"), made when it is not there yet. */
/* Adds n to the number figure name (0 when it is not there yet). */
void scope_demo_figure_add(scope_demo_t *d, const char *name, double n);
/* A check the lesson makes: when ok is 0, an error event (what, and the
 * reason in fmt), 1 more in the bye's "failed", and exit code 1. Returns ok. */
int scope_demo_check(scope_demo_t *d, int ok, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The bye: the figures handed to scope_demo_figure, then extra's members
 * (taken over; NULL for none), and text for a person. Said once: a second
 * call drops extra and returns 0. */
int scope_demo_bye(scope_demo_t *d, cJSON *extra, const char *text);

/* In a process started by lib/role: sends figures (taken over) to the
 * process that started it, whose on_report gets them; may be called after
 * scope_demo_run too. Returns 0, or -ENOTCONN when this process is not a
 * role. */
int scope_demo_report(scope_demo_t *d, cJSON *figures);
/* Registers fn(arg) to run on the way out, last registered first. */
int scope_demo_on_cleanup(scope_demo_t *d, scope_demo_cleanup_fn fn, void *arg);
/* Runs and forgets the cleanups now. Safe to call twice. */
void scope_demo_cleanup(scope_demo_t *d);
/* Stops watching signals and the control channel so the loop can end. */
void scope_demo_stop(scope_demo_t *d);

/* Applies one control command as if it came from the dashboard: what a
 * demo's child does with a command its parent relayed to it (through the
 * mechanism the demo teaches), so that pause, step, rate and size reach every
 * process that sends. Calls on_control too. */
void scope_demo_apply_control(scope_demo_t *d, const cJSON *msg);
/* A lesson step: emits the step event; in step mode cb runs once a "step"
 * command arrives, otherwise on the loop's next turn. */
void scope_demo_step(scope_demo_t *d, const char *title, scope_demo_cb cb);

/* A lesson as a table, so that a demo's files need not call each other to
 * go on: main.c lists the steps (each file's entry points), and a step that
 * is over (its answer came, say) calls scope_demo_next, which starts the
 * next entry as a scope_demo_step. The table ends with {NULL, NULL}; after
 * its last step, scope_demo_next calls on_lesson_end (may be NULL).
 *
 *     static const scope_demo_lesson_t lesson[] = {
 *         {"socketpair(): the channel", fork_ipc_socketpair},
 *         {"request/response with ids", fork_ipc_request},   // request.c
 *         {NULL, NULL}};
 *     scope_demo_lesson(&demo, lesson);
 */
void scope_demo_lesson(scope_demo_t *d, const scope_demo_lesson_t *steps);
/* The current step is over: the next one, or the lesson's end. */
void scope_demo_next(scope_demo_t *d);

/* What a demo's child started without lib/role (a node child, say) needs
 * to report events as its parent does: the event
 * fd placed at child_fd (when events go to a pipe rather than stdout) and the
 * environment naming it. Pass fd/nfds and env to scope_spawn. */
typedef struct {
    scope_spawn_fd_t fd;
    size_t nfds; /* 0 or 1 */
    char env_fd[32], env_format[40];
    const char *env[3]; /* NULL-terminated */
} scope_demo_child_events_t;
void scope_demo_child_events(scope_demo_child_events_t *out, int child_fd);

/* ---- pacing ------------------------------------------------------------ */

typedef void (*scope_pacer_cb)(scope_pacer_t *p);
struct scope_pacer_s {
    void *data;
    scope_demo_t *demo;
    uv_timer_t timer;
    scope_pacer_cb cb;
    uint64_t last_ns;
    int armed, parked;
    int once; /* let go by a "step" while paused: fires though paused */
};
int scope_pacer_init(scope_demo_t *d, scope_pacer_t *p);
/* Calls cb once: after 1/rate since the last call; while paused, only when a
 * "step" command lets one message go; on the
 * loop's next turn when the rate is 0. */
void scope_pacer_next(scope_pacer_t *p, scope_pacer_cb cb);
/* Stops and unregisters p; its memory must last until the loop has turned
 * once more (its timer is closing). */
void scope_pacer_close(scope_pacer_t *p);

#endif
