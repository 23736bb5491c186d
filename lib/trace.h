/* trace: one line per message site.
 *
 * A demo shows each message it sends or receives as an arrow in the
 * dashboard's flow, and each round trip it times in the latency pane. What
 * that takes (a sampling decision, a printable summary of the bytes, the
 * event's envelope, the message's id, the histogram and the rate meter) is
 * done here, so that the mechanism's code says only where a message passes:
 *
 *     static scope_trace_t t;
 *     scope_trace_init(&t, "tcp", SCOPE_PID(getpid()), SCOPE_PEER("server"));
 *     scope_trace_open(&t, "tcp", "127.0.0.1:40112 -> 127.0.0.1:3000");
 *     ...
 *     scope_trace_send(&t, line, len);                  // where it is written
 *     ...
 *     scope_trace_reply(&t, buf, n, now - sent_at);     // where the answer is read
 *     ...
 *     scope_trace_close(&t);                            // stats, then chan close
 *
 * A message's id is its number on the trace (1, 2, ...), counted each way, so
 * that the n-th message one side sends and the n-th the other side receives
 * on an ordered channel are the same arrow. Where order or delivery is not
 * kept (UDP), give the id yourself with scope_trace_msg.
 *
 * The bytes given are only read, and only when the event is not sampled out;
 * nothing is kept.
 */
#ifndef SCOPE_TRACE_H
#define SCOPE_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include <cJSON.h>

#include "events.h"
#include "timing.h"

/* Longest summary of a message's bytes in its msg event. */
#define SCOPE_TRACE_SUMMARY 96

typedef enum { SCOPE_TRACE_SEND, SCOPE_TRACE_RECV } scope_trace_dir_t;

typedef struct scope_trace_s {
    /* what the events name */
    char chan[32];
    scope_end_t self, peer;
    /* Bytes each message takes on the wire beyond its data: 1 for a
     * newline, 4 for a length header. Set once; 0 by default. */
    size_t framing_bytes;
    /* figures, read-only for the caller */
    uint64_t sent, received;              /* messages traced each way */
    uint64_t bytes_sent, bytes_received;
    scope_hist_t latency;                 /* the round trips given to reply() */
    scope_rate_t rate;                    /* messages received, and their bytes */
    uint64_t first_ns, last_ns;           /* the first and last message traced */
    uint64_t rtt_from_ns, rtt_to_ns;      /* the first round trip's start, the last's end */
    /* private */
    char peer_name[64];
    char kind[16]; /* what scope_trace_open called the channel */
    uv_timer_t stats_timer;
    int stats_running, opened;
    scope_hist_t window;   /* the round trips since the figures' window began */
    uint64_t window_since; /* (scope_events_new_window) */
} scope_trace_t;

/* chan is the channel's id in events ("tcp", "ipc", "client 2"); self and
 * peer its two ends (a peer's name is copied). Everything else starts at
 * zero: set framing_bytes after init. */
void scope_trace_init(scope_trace_t *t, const char *chan, scope_end_t self, scope_end_t peer);
/* The peer, once it is known (a name is copied). */
void scope_trace_set_peer(scope_trace_t *t, scope_end_t peer);

/* The channel appears (kind: "socketpair", "pipe", "unix", "tcp", "udp", ...;
 * detail a short line, or NULL) and, at close, its last figures and its end. */
void scope_trace_open(scope_trace_t *t, const char *kind, const char *detail);
void scope_trace_close(scope_trace_t *t);

/* One message: data, len bytes of it (a summary is made of them; data may
 * be NULL), and framing_bytes more on the wire. Return the message's id. */
uint64_t scope_trace_send(scope_trace_t *t, const void *data, size_t len);
uint64_t scope_trace_recv(scope_trace_t *t, const void *data, size_t len);
/* A received answer to a message sent rtt_ns ago: counted as a round trip. */
uint64_t scope_trace_reply(scope_trace_t *t, const void *data, size_t len, uint64_t rtt_ns);
/* The same with every field given: id 0 means "the next number". */
uint64_t scope_trace_msg(scope_trace_t *t, scope_trace_dir_t dir, uint64_t id, const void *data,
                         size_t len, uint64_t rtt_ns);
/* A message told by a label rather than its bytes (a 64 KiB chunk of a
 * stream: "chunk 17"): bytes is its size on the wire. */
uint64_t scope_trace_note(scope_trace_t *t, scope_trace_dir_t dir, const char *label,
                          size_t bytes);
/* A JSON message (printed for its summary only when not sampled out);
 * wire_bytes 0 means "as printed, plus its newline". */
uint64_t scope_trace_send_json(scope_trace_t *t, const cJSON *msg, size_t wire_bytes);
/* A message's own id, its "id" member when a whole number from 1 (a ping's
 * number, a request's correlation id), else 0: the *_json calls trace it by
 * that id, so that a ping and its pong, a request and its answer, show the
 * same number at both ends. */
uint64_t scope_trace_json_id(const cJSON *msg);
uint64_t scope_trace_recv_json(scope_trace_t *t, const cJSON *msg, size_t wire_bytes,
                               uint64_t rtt_ns);

/* A stats event now, and every every_ms until close or stop. */
void scope_trace_stats(scope_trace_t *t);
int scope_trace_stats_start(scope_trace_t *t, uv_loop_t *loop, uint64_t every_ms);
void scope_trace_stats_stop(scope_trace_t *t);

/* The stats of a one-way channel that may lose messages (UDP): a stats
 * event with what this trace received ("count", "received", "bytes"), what
 * the sender says it sent ("sent"), the difference ("dropped"), "final", and
 * extra's members (taken over; NULL for none). It has no round trips to
 * time: its counts are its story, and the dashboard shows them as a loss. */
void scope_trace_stats_loss(const scope_trace_t *t, uint64_t sent, cJSON *extra, int final);

/* What a bye says of a trace, the same in every demo: adds to o "sent",
 * "received", "round_trips", "p50" and "p99" (ns), and
 * "round_trips_per_s" (over the time round trips were measured). */
void scope_trace_add_summary(const scope_trace_t *t, cJSON *o);
/* The same for a person: "20 round trips, median 31.2 us, p99 80.1 us", or
 * "no round trip measured". Returns out. */
char *scope_trace_describe(const scope_trace_t *t, char *out, size_t outlen);

/* The trace's figures as JSON, for a child to send to the process that
 * started it ({"chan","sent","received","bytes_sent","bytes_received",
 * "first_ns","last_ns","latency":{...}}), and that process's way of adding
 * them into a trace of its own (returns 0, or -EINVAL for figures that are
 * not a trace's). */
cJSON *scope_trace_figures(const scope_trace_t *t);
int scope_trace_add_figures(scope_trace_t *t, const cJSON *figures);

/* A histogram as JSON ({"count","min","max","sum","buckets":[[i,n],...]},
 * only the buckets in use) and back, added into h. */
cJSON *scope_hist_to_json(const scope_hist_t *h);
int scope_hist_add_json(scope_hist_t *h, const cJSON *j);

/* A printable summary of a message's bytes: its first line (up to a newline
 * or a NUL), control bytes
 * shown as '.', cut on a UTF-8 boundary to fit out (with "…"). */
void scope_trace_summarize(char *out, size_t outlen, const void *data, size_t len);

#endif
