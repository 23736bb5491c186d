/* model: what the dashboard knows about the running demo, built only from the
 * demo's events (docs/PROTOCOL.md). Pure data: no curses, no /proc, no clock
 * of its own. Time is the events' own "t" (CLOCK_MONOTONIC ns), so a recorded
 * stream fed twice gives the same model, and the tests need no terminal.
 *
 * What it keeps:
 *   - processes (proc events): pid, parent, role, state, exit code or signal;
 *   - lanes for the flow diagram: one per process and per outside peer;
 *   - channels (chan, msg and stats events): kind, ends, the latency figures the
 *     demo reported, a histogram of the latencies seen here, a sparkline of the
 *     last TUI_MODEL_SPARK seconds, message and byte counts;
 *   - the flow: one row per message, a send and its recv paired into one arrow;
 *     past TUI_MODEL_AGG_AFTER arrows in one TUI_MODEL_SLICE_NS slice, further
 *     messages of the same lanes and channel fold into one row ("x1200");
 *   - the narration log (log, step, error, proc, chan, bye events).
 *
 * Usage:
 *
 *     tui_model_t *m = tui_model_new();
 *     tui_model_feed_line(m, "{\"v\":1,\"ev\":\"log\",\"t\":1,\"pid\":7,\"text\":\"hi\"}");
 *     const tui_log_t *l = tui_model_log_get(m, 0);   // oldest first
 *     tui_model_free(m);
 */
#ifndef TUI_MODEL_H
#define TUI_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <cJSON.h>

#include "timing.h"

#define TUI_MODEL_MAX_PROCS 64
#define TUI_MODEL_MAX_LANES 32 /* the last one is "others" once they run out */
#define TUI_MODEL_MAX_CHANS 16
#define TUI_MODEL_FLOW_ROWS 2048
#define TUI_MODEL_LOG_LINES 1024
#define TUI_MODEL_SPARK     60          /* seconds of sparkline */
#define TUI_MODEL_SLICE_NS  100000000ull /* 100 ms: the flow's aggregation slice */
#define TUI_MODEL_AGG_AFTER 5           /* arrows per slice before folding */
#define TUI_MODEL_LOG2_BINS 40          /* latency histogram: [2^i, 2^(i+1)) ns */

typedef enum { TUI_PROC_STARTED, TUI_PROC_READY, TUI_PROC_EXITED } tui_proc_state_t;

typedef struct {
    long pid, ppid;
    char role[48];
    tui_proc_state_t state;
    int code;          /* exit code, when signal is "" */
    char signal[16];   /* "SIGKILL" when killed */
    uint64_t t_start, t_exit;
    uint64_t events_dropped; /* its events the dashboard had no room for */
    char asked[16];    /* the last signal the dashboard sent it ("SIGTERM") */
} tui_proc_t;

/* One end of a channel or message: a pid, or an outside peer by name. */
typedef struct {
    long pid; /* -1 for a named peer */
    char name[32];
} tui_end_t;

typedef struct {
    char id[32];
    char kind[24];
    char detail[96];
    tui_end_t a, b;
    int open;
    /* the demo's own figures (stats events) */
    int have_stats;
    uint64_t count, bytes, p50, p90, p99, p999, max, min;
    double mean, rate, bps, sample;
    uint64_t since; /* the figures' window began here (0: the whole run) */
    unsigned since_step; /* ... with this lesson step (0: a rate or size change) */
    /* a lossy channel's counts, when its stats carry them (udp's loss step) */
    int have_loss;
    uint64_t sent, received, dropped;
    uint64_t rejected; /* refused by the receiver's checks (stats "rejected") */
    /* what this dashboard saw (msg events) */
    uint64_t msgs, msg_bytes, lat_count;
    uint64_t lat_max;
    uint64_t log2[TUI_MODEL_LOG2_BINS];
    scope_hist_t *hist; /* latencies of recv events */
    /* bit L: lane L has reported sends on this channel, so a recv from it
     * only completes an arrow; a recv from a lane that never reports (an
     * outside peer such as nc) draws the arrow itself */
    uint32_t senders; /* TUI_MODEL_MAX_LANES bits */
    /* sparkline: latency sum and count, messages, for each of the last seconds;
     * slot TUI_MODEL_SPARK-1 is the second spark_sec */
    double spark_lat[TUI_MODEL_SPARK];
    uint64_t spark_latn[TUI_MODEL_SPARK];
    uint64_t spark_msgs[TUI_MODEL_SPARK];
    uint64_t spark_sec; /* the second (t / 1e9) of the newest slot */
    int spark_valid;
} tui_chan_t;

typedef struct {
    uint64_t t, t_last;
    int from, to; /* lane indexes */
    int chan;     /* channel index or -1 */
    uint64_t first_id, last_id;
    uint64_t count;   /* 1: one message; more: folded */
    uint64_t bytes;   /* total */
    uint64_t lat_ns;  /* one message: its latency, 0 unknown; folded: the max */
    uint64_t lat_sum, lat_n;
    int completed;    /* its recv was seen */
    int error;        /* not a message: an error its process reported (a fault,
                       * a lost datagram), drawn on its lane */
    char summary[112];
    char label[48]; /* what it is, for a narrow arrow: "ping #12", "getUser #1" */
} tui_flow_t;

typedef enum {
    TUI_LOG_TEXT,
    TUI_LOG_STEP,
    TUI_LOG_ERROR,
    TUI_LOG_PROC_START,
    TUI_LOG_PROC_READY,
    TUI_LOG_PROC_EXIT,
    TUI_LOG_CHAN,
    TUI_LOG_HELLO,
    TUI_LOG_BYE,
    TUI_LOG_PREDICT, /* the lesson's question before a step (lesson mode) */
} tui_log_kind_t;

typedef struct {
    uint64_t t;
    long pid;      /* who said it */
    long subject;  /* proc events: the process concerned */
    tui_log_kind_t kind;
    int n;         /* step number, exit code; for text, how many times in a row (0: once) */
    char extra[16]; /* exit signal name */
    int after_signal; /* exit: extra is a signal it was sent and caught; n its code */
    char text[256];
} tui_log_t;

typedef struct {
    char demo[32];
    char title[96];
    char faults[8][24]; /* the kinds its "fault" command takes (hello) */
    int nfaults;
    double rate;
    long size, count;
    int step_mode;
    /* arrows in a slice before further ones fold; 0: TUI_MODEL_AGG_AFTER
     * (the dashboard). An export, which has room for every arrow, sets it
     * high. */
    int fold_after;

    tui_proc_t procs[TUI_MODEL_MAX_PROCS];
    int nprocs;
    tui_end_t lanes[TUI_MODEL_MAX_LANES];
    int nlanes;
    tui_chan_t chans[TUI_MODEL_MAX_CHANS];
    int nchans;

    tui_flow_t flow[TUI_MODEL_FLOW_ROWS]; /* ring */
    size_t flow_head, flow_len;
    uint64_t flow_total; /* rows ever added */
    uint64_t slice;      /* the current slice number (t / SLICE) */
    int slice_rows;      /* arrows drawn in it */

    tui_log_t log[TUI_MODEL_LOG_LINES]; /* ring */
    size_t log_head, log_len;

    struct {
        int chan, from, to;
        uint64_t id, lat;
    } orphans[32]; /* recvs that came before their send */
    int norphans;

    int step_n, step_waiting;
    char step_title[96];
    int ended; /* bye seen */
    uint64_t events_dropped; /* all processes': the screen fell behind */
    uint64_t t0;           /* the first event's time */
    uint64_t now;          /* the newest event time */
    uint64_t events, refused; /* events taken, events refused */
    uint64_t msgs_total;   /* msg events taken */
    unsigned long generation; /* bumped on every change: the views redraw */
} tui_model_t;

/* Allocates an empty model (it is large: keep it on the heap). NULL on ENOMEM. */
tui_model_t *tui_model_new(void);
void tui_model_free(tui_model_t *m);
/* Empties the model for a new run of a demo. */
void tui_model_reset(tui_model_t *m);

/* Takes one event (borrowed). Returns 0, -EINVAL when it is not a protocol
 * event the model understands, or -EPROTONOSUPPORT when its "v" is not the
 * version this model reads (both counted in refused). */
int tui_model_feed(tui_model_t *m, const cJSON *ev);
/* Parses one NDJSON line and feeds it. */
int tui_model_feed_line(tui_model_t *m, const char *line);

/* What the dashboard itself saw: the demo's first process exited (waitpid). */
void tui_model_proc_exited(tui_model_t *m, long pid, int code, const char *signal,
                           uint64_t t);
/* The dashboard sent the process a signal: an exit that follows is told
 * with it ("exited 0 after SIGTERM": the process caught the signal and ended
 * on its own terms, which is not the same as being killed by it). */
void tui_model_signal_sent(tui_model_t *m, long pid, const char *signal);
/* A line of the dashboard's own narration ("sent SIGTERM to 1234"). */
void tui_model_note(tui_model_t *m, uint64_t t, const char *text);
/* The lesson's prediction for the step about to run, in the narration. */
void tui_model_predict(tui_model_t *m, uint64_t t, const char *text);

const tui_proc_t *tui_model_proc(const tui_model_t *m, long pid);
/* i-th flow row, oldest first (0 .. flow_len-1), or NULL. */
const tui_flow_t *tui_model_flow_get(const tui_model_t *m, size_t i);
const tui_log_t *tui_model_log_get(const tui_model_t *m, size_t i);
/* The label of a lane: the role of its process ("parent 1234"), or the peer's
 * name. */
void tui_model_lane_label(const tui_model_t *m, int lane, char *out, size_t n);
/* Its role alone ("client 1"), or the peer's name, or the pid when the
 * process has no role: what short lane names are made from (tui/lanes.h). */
void tui_model_lane_role(const tui_model_t *m, int lane, char *out, size_t n);
/* The same, made to fit in cols columns for a lane header: "client 1 897",
 * else "client 1", else the role shortened with its number kept ("cli 1",
 * "c1": lanes of numbered clients stay told apart), else cut. */
void tui_model_lane_label_fit(const tui_model_t *m, int lane, int cols, char *out, size_t n);
/* Percentiles of a channel: the demo's stats when it sent some, otherwise the
 * dashboard's own histogram. */
void tui_model_chan_summary(const tui_model_t *m, int chan, scope_hist_summary_t *out);
/* A message's short label for an arrow too narrow for its summary: a JSON
 * object is named by its "cmd" (node's own messages), "type", "action" or
 * "status" string, else by
 * its first key, then "#id" when id is not 0 ({"type":"ping","id":12} ->
 * "ping #12"); a summary that is not an object is kept as it is. */
void tui_model_short_label(const char *summary, uint64_t id, char *out, size_t n);
/* The sparkline of a channel as seen at now_ns: lat[i] the mean latency (ns, 0
 * when none) and msgs[i] the messages of second i, i = TUI_MODEL_SPARK-1 being
 * the second of now_ns. */
void tui_model_spark(const tui_model_t *m, int chan, uint64_t now_ns,
                     double lat[TUI_MODEL_SPARK], uint64_t msgs[TUI_MODEL_SPARK]);

#endif
