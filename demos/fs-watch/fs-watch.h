/* fs-watch: what each file of the demo offers to main.c (the story:
 * fs-watch.c).
 *
 * The watcher (process 1) keeps the run's place and options in an fsw_t hung
 * off demo.data; a watch of its own (fsw_watch_t) lives in the file that
 * uses it, each step's writer (this program again, --role writer) too.
 */
#ifndef FS_WATCH_H
#define FS_WATCH_H

#include <limits.h>
#include <stdint.h>

#include "demo.h"
#include "role.h"
#include "trace.h"

#define FSW_NAME "msg.json"

/* How the writer saves a message (fsw_save). */
typedef enum {
    FSW_INPLACE,   /* one pwrite() at offset 0 over a message of the same length */
    FSW_RENAME,    /* write msg.json.PID.tmp, then rename() it over msg.json */
} fsw_how_t;


/* A watcher: what it counts of the events it gets and the files it parses. */
typedef struct fsw_watch_s fsw_watch_t;
typedef void (*fsw_watch_cb)(fsw_watch_t *w);
struct fsw_watch_s {
    /* set by the caller */
    void *data;
    scope_demo_t *demo;
    const char *label;     /* "file watch", "dir watch", "poll": in the narration */
    size_t max_read;
    scope_trace_t *trace;  /* each parse a recv here (NULL: not traced) */
    fsw_watch_cb on_gone;  /* the watched directory is gone (may be NULL) */
    /* the handles */
    uv_fs_event_t ev;
    uv_fs_poll_t poll;
    int ev_on, poll_on, gone;
    char path[PATH_MAX + 16]; /* the file read */
    char dir[PATH_MAX];       /* and its directory */
    char name[64];            /* watching the directory: only events of this name */
    /* counted */
    uint64_t events, parses, bad, refused, dups, skipped, last_seq;
    scope_hist_t latency;     /* write -> parsed, first parse of each message */
};

/* One run of a writer (this program again, --role writer): done is called
 * once it has exited and its last events have had time to arrive. */
typedef struct fsw_run_s fsw_run_t;
typedef void (*fsw_run_cb)(fsw_run_t *run);
struct fsw_run_s {
    void *data;
    scope_demo_t *demo;
    fsw_run_cb done;
    scope_role_t role;
    scope_trace_t trace;   /* its messages: "msg.json", writer -> watcher */
    uv_timer_t settle;
    uint64_t from, writes; /* the seqs it writes: from .. from + writes - 1 */
    int code, sig;         /* how it ended */
};

/* The whole run: main.c sets the options; fs-watch.c the place and the
 * numbering of messages (no other file changes them). */
typedef struct fsw_s {
    /* options */
    long long max_read; /* --max-read: bytes the watcher reads at most */
    long long poll_ms;  /* --poll-ms: uv_fs_poll's interval */
    long long measure;  /* --measure: messages timed in step 7 (0: skip) */
    const char *fault;  /* --fault: one fault as the steady part starts */
    /* the place (step 1) */
    scope_demo_t *demo;
    char dir[PATH_MAX], file[PATH_MAX + 16];
    uint64_t next_seq;  /* every writer numbers on from here: ids unique in a run */
    /* step 1 and the steady part (fs-watch.c) */
    fsw_watch_t watch, dirwatch;
    fsw_run_t run, steady;
    int running; /* the steady part's writer runs */
} fsw_t;

/* fs-watch.c: step 1 (the article) and the steady part */
void fsw_article(scope_demo_t *d);
void fsw_steady(scope_demo_t *d);

/* run.c: the private directory (0, or -1 told), the messages, a writer run */
int fsw_place(scope_demo_t *d);
/* Counts a parsed message (again? skipped some?); returns its write->parsed
 * latency, 0 for one read again, and its seq in *seq. */
uint64_t fsw_watch_count(fsw_watch_t *w, const cJSON *msg, uint64_t *seq);
/* The figures of a watch as step.writes, step.events, ... and a log line. */
void fsw_report(scope_demo_t *d, const char *step, const fsw_watch_t *w, uint64_t writes);
/* The inotify fds of this process, with what each watches (fdinfo). */
void fsw_show_inotify(void);
/* {"seq":N,"t":NS,"pad":"x..."} of exactly size bytes (at least 48): a
 * message of the same length each time, whatever its numbers. */
size_t fsw_message(char *out, size_t n, uint64_t seq, size_t size);
/* fs-watch.c: the writer's save of json into dir/msg.json. 0 or a negative errno. */
int fsw_save(const char *dir, const char *json, size_t n, fsw_how_t how);
/* A watcher on path (the file, or its directory when name is given). */
int fsw_watch_file(fsw_watch_t *w, uv_loop_t *loop, const char *file, const char *name);
/* uv_fs_poll on the file: stat() every ms. */
int fsw_watch_poll(fsw_watch_t *w, uv_loop_t *loop, const char *file, long ms);
void fsw_watch_stop(fsw_watch_t *w);
/* What any watch does on an event: read (bounded), parse, trace, count. */
void fsw_watch_read(fsw_watch_t *w);
/* Starts one writer run: mode (writer.c), writes messages every_ms apart,
 * traced on run->trace; fds: more fds for the child (NULL). Returns as
 * scope_role_spawn (on failure done is not called). */
int fsw_run_start(scope_demo_t *d, fsw_run_t *run, const char *mode, long writes,
                  long every_ms, const scope_spawn_fd_t *fds, size_t nfds, fsw_run_cb done);

/* writer.c: --role writer */
int fsw_writer_main(scope_demo_t *d, const char *dir, const char *mode, long long writes,
                    long long every_ms, long long from);

void fsw_several(scope_demo_t *d);  /* several.c, step 2: events per write */
void fsw_torn(scope_demo_t *d);     /* torn.c, step 3: a half-written file parsed */
void fsw_renamed(scope_demo_t *d);  /* renamed.c, step 4: the lost watch and the fix */
void fsw_coalesce(scope_demo_t *d); /* coalesce.c, step 5: coalesced; IN_Q_OVERFLOW */
void fsw_polling(scope_demo_t *d);  /* polling.c, step 6: uv_fs_poll */
void fsw_measure(scope_demo_t *d);  /* measure.c, step 7: inotify, poll, pipe */
char *fsw_measure_describe(char *out, size_t n);

/* faults.c: someone else does something to the file or its directory */
void fsw_fault(scope_demo_t *d, const char *kind);

/* sweep.c: the private directory's end, and those of runs that died */
int fsw_dir_remove(const char *dir);
int fsw_sweep(const char *mine);

#endif
