/* events: the emitter of ipcscope's event protocol (docs/PROTOCOL.md).
 *
 * Every process of a demo reports what it does as events: one JSON object per
 * line, {"v":1,"ev":KIND,"t":NS,"pid":PID,...}. Where they go is decided once,
 * when the emitter opens:
 *
 *   - IPCSCOPE_EVENT_FD is set: JSON lines to that fd (the dashboard's pipe),
 *     or narration when IPCSCOPE_EVENT_FORMAT=text (a demo's child whose
 *     parent narrates to the terminal);
 *   - else --json was given:    JSON lines to stdout;
 *   - else:                     plain narration for a person, to stdout.
 *
 * Each event is exactly one write() of at most SCOPE_EVENT_MAX (4096 = PIPE_BUF)
 * bytes ending in '\n', so the lines of many processes sharing one pipe never
 * interleave. An event that would be longer has its longest text field cut
 * (marked with "…"); it is never split across writes.
 *
 * msg events are sampled above a rate (default SCOPE_EVENTS_MSG_RATE per second
 * per process, IPCSCOPE_MSG_RATE overrides) so that tracing stays a small
 * fraction of the work traced; stats events report the sampled fraction.
 *
 * Writing to a pipe or FIFO never blocks: an event the reader has no room for
 * is dropped and counted (scope_events_dropped; "dropped" in stats and bye).
 *
 * The emitter is one per process and safe to use from several threads. Writing
 * to a pipe whose reader is gone raises SIGPIPE: a program using this module
 * ignores SIGPIPE (lib/demo does), and the emitter then goes quiet.
 *
 * Usage:
 *
 *     scope_events_open("parent", json_flag);
 *     scope_events_log("socketpair(AF_UNIX, SOCK_STREAM) -> fds %d and %d", a, b);
 *     scope_events_msg("send", "ipc", SCOPE_PID(getpid()), SCOPE_PID(child), id, len,
 *                      "{\"hello\":\"world\"}", 0);
 *     scope_events_close();
 */
#ifndef SCOPE_EVENTS_H
#define SCOPE_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <cJSON.h>

#include "timing.h"

#define SCOPE_EVENTS_VERSION  1
#define SCOPE_EVENT_MAX       4096 /* PIPE_BUF: the atomic write limit of a pipe */
#define SCOPE_EVENTS_MSG_RATE 200  /* msg events per second before sampling */

typedef enum {
    SCOPE_EVENTS_NONE, /* nothing is written (not opened, or the reader left) */
    SCOPE_EVENTS_TEXT, /* narration for a person */
    SCOPE_EVENTS_JSON, /* the event protocol */
} scope_events_format_t;

/* One end of a channel or message: a process of the demo (pid >= 0), or an
 * outside peer known by name ("redis-server", "curl", "node"). */
typedef struct {
    long pid;
    const char *name;
} scope_end_t;
#define SCOPE_PID(p)  ((scope_end_t){(long)(p), NULL})
#define SCOPE_PEER(n) ((scope_end_t){-1, (n)})

/* Opens the emitter as described above; role names this process in narration
 * ("parent", "child", "worker 2"). Both opens take the narration's language
 * from IPCSCOPE_LANG (see below). Sets FD_CLOEXEC on the event fd, so that only
 * children started through lib/spawn, which place it on purpose, inherit it.
 * Returns 0 or a negative errno (-EBADF when IPCSCOPE_EVENT_FD is not an open
 * fd). Opening again reopens. */
int scope_events_open(const char *role, int json_stdout);
/* Opens onto an explicit fd in the given format (tests and the dashboard). */
int scope_events_open_fd(int fd, scope_events_format_t format, const char *role);
void scope_events_close(void);
scope_events_format_t scope_events_format(void);
/* The fd events go to, or -1. A child that should report too gets it placed by
 * lib/spawn and named in IPCSCOPE_EVENT_FD. */
int scope_events_fd(void);
/* msg events per second before sampling starts; 0 means never sample. */
void scope_events_set_msg_rate(double per_second);

/* Emits one event of the given kind with the fields of `fields` (an object,
 * taken over and deleted; NULL for none). Returns 0, or a negative errno when
 * the write failed (-EPIPE: the reader is gone; the emitter goes quiet). */
int scope_events_emit(const char *kind, cJSON *fields);

/* The kinds of docs/PROTOCOL.md, with their fields as arguments. */
/* params and faults (an array of the fault kinds the demo's "fault" control
 * command takes, or NULL) are taken over by the emitter. */
int scope_events_hello(const char *demo, const char *title, cJSON *params, cJSON *faults);
/* state: "start", "ready" or "exit". For exit, code >= 0 or signal > 0. */
int scope_events_proc(const char *state, pid_t pid, pid_t ppid, const char *role, int code,
                      int signal);
/* state: "open" or "close"; kind: "socketpair", "pipe", "unix", "tcp", ... */
int scope_events_chan(const char *state, const char *id, const char *kind, scope_end_t a,
                      scope_end_t b, const char *detail);
/* dir: "send" or "recv"; lat_ns 0 when unknown. Returns 1 when emitted, 0 when
 * sampled out, or a negative errno. */
int scope_events_msg(const char *dir, const char *chan, scope_end_t from, scope_end_t to,
                     uint64_t id, size_t bytes, const char *summary, uint64_t lat_ns);
/* The same in two halves, for a caller whose summary costs something to make
 * (printing a message as JSON): admit takes the sampling decision (1: emit
 * this one) and counts it; emit_admitted writes an event that was admitted. */
int scope_events_msg_admit(void);
int scope_events_msg_emit_admitted(const char *dir, const char *chan, scope_end_t from,
                                   scope_end_t to, uint64_t id, size_t bytes,
                                   const char *summary, uint64_t lat_ns);
int scope_events_stats(const char *chan, const scope_hist_t *latency, const scope_rate_t *rate,
                       uint64_t now_ns);
int scope_events_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int scope_events_step(int n, const char *title, int waiting);
int scope_events_error(const char *what, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int scope_events_bye(cJSON *summary, const char *text);

/* The length of the printable UTF-8 character at p (1 to 4), or 0 for a
 * control character (C0, DEL, C1) or bytes that are not UTF-8 (overlong
 * forms, surrogates, past U+10FFFF, cut short). */
size_t scope_events_char_len(const unsigned char *p, size_t len);

/* Cuts s to at most max bytes on a UTF-8 boundary, ending it with "…" when
 * cut. Returns the new length. out must hold max+1 bytes. */
size_t scope_events_cut_utf8(char *out, const char *s, size_t max);

/* ---- the language of the narration ------------------------------------
 *
 * English is the source and the default. In Chinese, the format strings of
 * scope_events_log and scope_events_error, the titles of scope_events_step
 * and the text of scope_events_bye are looked up in GNU gettext's catalog
 * "ipcscope" (po/zh_CN/NAME.po, compiled into ipcscope.mo) before they are
 * formatted, so a demo's call sites stay as they are. The language comes
 * from IPCSCOPE_LANG ("zh" or "en"), which the dashboard sets for the demos
 * it starts; scope_events_open reads it, and lib/demo's --lang sets it.
 *
 *     scope_events_set_lang("zh");
 *     scope_events_log("%s: listening", scope_events_tr(on ? "on" : "off"));
 *
 * xgettext finds the strings by these names (mk/po.sh); a word a demo passes
 * as a %s argument is marked with scope_events_tr (looked up at run time) or,
 * in a table, with N_ (looked up later, by the function it is handed to). */
#define SCOPE_EVENTS_DOMAIN "ipcscope"
#ifndef N_
#define N_(s) s
#endif

/* "zh" (Chinese) or "en" (English; also NULL and ""). Returns 0, or -EINVAL
 * for another language (English is kept), or -ENOENT when the catalog for
 * Chinese was not found (English is kept). */
int scope_events_set_lang(const char *lang);
/* "zh" or "en". */
const char *scope_events_lang(void);
/* s in the narration's language: s itself in English. */
const char *scope_events_tr(const char *s);
/* The word for n things (one or many) in the narration's language. */
const char *scope_events_trn(const char *one, const char *many, unsigned long n);

/* Events dropped because the reader (a pipe or FIFO) had no room: tracing
 * never waits for its reader. Shown as "events_dropped" in stats and bye. */
uint64_t scope_events_dropped(void);

/* A new window for the figures: rate or size changed, so the latency
 * figures of stats events start again (those of the bye stay whole-run).
 * Stats events then carry "since", the window's start (the events' clock). */
void scope_events_new_window(void);
/* A new window for the figures because lesson step `step` began: a step
 * measures its own setting (a new payload, a new peer), and its figures
 * should not be averaged with the last step's. Stats events then carry
 * "since" and "since_step". */
void scope_events_new_step_window(unsigned step);
/* When the current window began; 0 when it is the whole run. */
uint64_t scope_events_window_since(void);

/* Fraction of msg events emitted since the last stats event (1.0: all). */
double scope_events_sample_ratio(void);

#endif
