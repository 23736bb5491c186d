/* timing: the clock, latency histograms and rate meters behind every figure
 * ipcscope shows.
 *
 * The clock is CLOCK_MONOTONIC in nanoseconds, the one clock all processes of a
 * machine share, so a "sent" time from one process and a "received" time from
 * another can be subtracted.
 *
 * scope_hist_t is a log-linear histogram in the manner of HdrHistogram: values
 * below 2*SCOPE_HIST_SUB are counted exactly, above that every power of two is
 * split into SCOPE_HIST_SUB equal buckets, so a reported percentile is within
 * 1/(2*SCOPE_HIST_SUB) of the true value (0.4%, under the 1% promised). It
 * covers 1 ns to SCOPE_HIST_MAX_NS (100 s); larger values count at the top.
 * It is a plain struct of fixed size: no allocation, safe to copy and merge.
 *
 * scope_rate_t counts messages and bytes over a sliding window (default 1 s,
 * cut into SCOPE_RATE_SLOTS slots) and reports per-second rates.
 *
 * Usage:
 *
 *     scope_hist_t h;
 *     scope_hist_reset(&h);
 *     uint64_t t0 = scope_time_now_ns();
 *     ... round trip ...
 *     scope_hist_add(&h, scope_time_now_ns() - t0);
 *     printf("p50 %llu ns\n", (unsigned long long)scope_hist_percentile(&h, 50.0));
 */
#ifndef SCOPE_TIMING_H
#define SCOPE_TIMING_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic clock in nanoseconds. */
uint64_t scope_time_now_ns(void);

#define SCOPE_HIST_SUB_BITS 7
#define SCOPE_HIST_SUB      (1u << SCOPE_HIST_SUB_BITS) /* 128 buckets per power of two */
#define SCOPE_HIST_MAX_NS   100000000000ull             /* 100 s */
/* exact buckets below 2*SUB, then one group of SUB per power of two up to 2^37 > 100 s */
#define SCOPE_HIST_BUCKETS  (2u * SCOPE_HIST_SUB + (37u - SCOPE_HIST_SUB_BITS) * SCOPE_HIST_SUB)

typedef struct {
    uint64_t count;
    uint64_t min, max; /* exact; min is UINT64_MAX when empty */
    double sum;        /* for the mean */
    /* 32 bits a bucket, stopping at UINT32_MAX: 16 KiB a histogram instead
     * of 32, which a server with a thousand connections (two histograms in
     * each one's trace) feels, and four billion round trips within 0.4% of
     * one another are beyond any run of the lab */
    uint32_t buckets[SCOPE_HIST_BUCKETS];
} scope_hist_t;

void scope_hist_reset(scope_hist_t *h);
void scope_hist_add(scope_hist_t *h, uint64_t ns);
/* Adds n to bucket i (saturating); the caller keeps count, min, max, sum. */
void scope_hist_add_to_bucket(scope_hist_t *h, unsigned i, uint64_t n);
/* Adds every sample of src into dst. */
void scope_hist_merge(scope_hist_t *dst, const scope_hist_t *src);
/* The value at percentile p (0 < p <= 100) by nearest rank, within 0.4%;
 * 0 when empty. p >= 100 gives the exact max. */
uint64_t scope_hist_percentile(const scope_hist_t *h, double p);
double scope_hist_mean(const scope_hist_t *h);

/* The figures shown for a channel: all in nanoseconds. */
typedef struct {
    uint64_t count, min, max, p50, p90, p99, p999;
    double mean;
} scope_hist_summary_t;
void scope_hist_summarize(const scope_hist_t *h, scope_hist_summary_t *out);

/* A duration for a person: "850 ns", "21.4 us", "40.12 ms", "1.50 s".
 * Returns out. */
char *scope_time_format(char *out, size_t outlen, double ns);

#define SCOPE_RATE_SLOTS 10

typedef struct {
    uint64_t window_ns; /* default 1 s */
    uint64_t slot_ns;
    uint64_t slot_start[SCOPE_RATE_SLOTS];
    uint64_t msgs[SCOPE_RATE_SLOTS];
    uint64_t bytes[SCOPE_RATE_SLOTS];
    uint64_t total_msgs, total_bytes;
    uint64_t first_ns; /* time of the first sample; valid once total_msgs > 0 */
} scope_rate_t;

/* window_ns 0 means one second. */
void scope_rate_init(scope_rate_t *r, uint64_t window_ns);
void scope_rate_add(scope_rate_t *r, uint64_t now_ns, uint64_t bytes);
/* Messages and bytes per second over the window that ends at now_ns. */
void scope_rate_get(const scope_rate_t *r, uint64_t now_ns, double *msgs_per_s,
                    double *bytes_per_s);

#endif
