/* timing: the monotonic clock, the log-linear latency histogram and the
 * sliding-window rate meter declared in timing.h.
 *
 * Everything here works on caller-owned, fixed-size structs: nothing
 * allocates, prints or exits, so a demo can keep a histogram per channel in a
 * signal-safe, copyable way and hand it to the event emitter or the TUI.
 */
#include "timing.h"

#include <stdio.h>

#include <math.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------------ */
/* Clock                                                                    */
/* ------------------------------------------------------------------------ */

uint64_t scope_time_now_ns(void)
{
    struct timespec ts;
    /* CLOCK_MONOTONIC is shared by every process of the machine (unlike
     * CLOCK_PROCESS_CPUTIME_ID) and never jumps with settimeofday() (unlike
     * CLOCK_REALTIME), so timestamps taken in two processes subtract cleanly.
     * It cannot fail with a valid clock id and pointer; should it anyway, 0 is
     * returned rather than garbage. */
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------------ */
/* Histogram                                                                */
/* ------------------------------------------------------------------------ */

/* Layout of the buckets:
 *
 *   index 0 .. 2*SUB-1   one bucket per value 0 .. 2*SUB-1 (exact)
 *   then, for every exponent e >= SUB_BITS+1, one group of SUB buckets that
 *   splits [2^e, 2^(e+1)) into SUB equal parts of width 2^(e-SUB_BITS).
 *
 * For v >= 2*SUB, e = floor(log2 v) and v >> (e - SUB_BITS) keeps the top
 * SUB_BITS+1 bits of v, i.e. a number in [SUB, 2*SUB): its low SUB_BITS bits
 * pick the bucket inside the group. The exact range is exactly the values
 * whose "top bits" would need no shift, which is why it ends at 2*SUB.
 *
 * Error bound: a bucket of group e has width w = 2^(e-SUB_BITS) and holds only
 * values >= 2^e. Reporting lo + w/2 is at most w/2 = 2^(e-SUB_BITS-1) away
 * from any value in [lo, lo+w), i.e. a relative error of at most
 * 2^(e-SUB_BITS-1) / 2^e = 1/(2*SUB) = 1/256 = 0.39%. */

#define HIST_EXACT (2u * SCOPE_HIST_SUB)
#define HIST_FIRST_EXP (SCOPE_HIST_SUB_BITS + 1u) /* first exponent past the exact range */

/* The groups run from exponent HIST_FIRST_EXP up to
 * HIST_FIRST_EXP + groups - 1, so values up to 2^(that + 1) - 1 fit. Every
 * sample is clamped to SCOPE_HIST_MAX_NS before indexing, hence the largest
 * index used is that of SCOPE_HIST_MAX_NS, and it is below SCOPE_HIST_BUCKETS
 * exactly when SCOPE_HIST_MAX_NS < 2^(HIST_FIRST_EXP + groups). With the
 * header's numbers: groups = 30, so the limit is 2^38 ~ 275 s > 100 s; 100 s
 * has e = 36 and lands at index 256 + 28*128 + 127 = 3967 < 4096. */
#define HIST_GROUPS ((SCOPE_HIST_BUCKETS - HIST_EXACT) / SCOPE_HIST_SUB)
_Static_assert((SCOPE_HIST_BUCKETS - HIST_EXACT) % SCOPE_HIST_SUB == 0,
               "histogram groups must be whole");
_Static_assert(HIST_FIRST_EXP + HIST_GROUPS < 64, "histogram top exponent must fit 64 bits");
_Static_assert(SCOPE_HIST_MAX_NS < (1ull << (HIST_FIRST_EXP + HIST_GROUPS)),
               "SCOPE_HIST_MAX_NS must index below SCOPE_HIST_BUCKETS");

static unsigned hist_index(uint64_t v)
{
    if (v > SCOPE_HIST_MAX_NS)
        v = SCOPE_HIST_MAX_NS;
    if (v < HIST_EXACT)
        return (unsigned)v;
    /* v >= 2*SUB > 0, so __builtin_clzll is defined. */
    unsigned e = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = e - SCOPE_HIST_SUB_BITS;
    return HIST_EXACT + (e - HIST_FIRST_EXP) * SCOPE_HIST_SUB +
           (unsigned)((v >> shift) - SCOPE_HIST_SUB);
}

/* The value reported for a bucket: exact in the exact range, else the
 * midpoint lo + w/2 (see the error bound above). */
static uint64_t hist_bucket_mid(unsigned i)
{
    if (i < HIST_EXACT)
        return i;
    unsigned g = (i - HIST_EXACT) / SCOPE_HIST_SUB;
    unsigned sub = (i - HIST_EXACT) % SCOPE_HIST_SUB + SCOPE_HIST_SUB;
    unsigned shift = g + HIST_FIRST_EXP - SCOPE_HIST_SUB_BITS; /* = e - SUB_BITS >= 1 */
    uint64_t lo = (uint64_t)sub << shift;
    return lo + ((1ull << shift) >> 1);
}

void scope_hist_reset(scope_hist_t *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

void scope_hist_add_to_bucket(scope_hist_t *h, unsigned i, uint64_t n)
{
    uint64_t v = (uint64_t)h->buckets[i] + n;
    h->buckets[i] = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

void scope_hist_add(scope_hist_t *h, uint64_t ns)
{
    /* Out-of-range values share the top bucket, but min/max/sum keep the
     * real value so the extremes and the mean stay exact. */
    unsigned i = hist_index(ns);
    if (h->buckets[i] < UINT32_MAX)
        h->buckets[i]++;
    h->count++;
    h->sum += (double)ns;
    if (ns < h->min)
        h->min = ns;
    if (ns > h->max)
        h->max = ns;
}

void scope_hist_merge(scope_hist_t *dst, const scope_hist_t *src)
{
    for (unsigned i = 0; i < SCOPE_HIST_BUCKETS; i++)
        scope_hist_add_to_bucket(dst, i, src->buckets[i]);
    dst->count += src->count;
    dst->sum += src->sum;
    /* An empty src has min UINT64_MAX and max 0, which leave dst alone. */
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t scope_hist_percentile(const scope_hist_t *h, double p)
{
    if (h->count == 0)
        return 0;
    /* !(p > 0) also catches NaN, which would otherwise reach the integer
     * conversion below with undefined behaviour. */
    if (!(p > 0.0))
        return h->min;
    if (p >= 100.0)
        return h->max;

    /* Nearest rank: the smallest rank r with r/count >= p/100. p*count is
     * formed before dividing by 100 because p*count is exact far more often
     * than p/100 is (99.9*1000 rounds to 99900.0; 0.999*1000 does not give
     * 999.0), and an off-by-one ulp here would move ceil() a whole rank. */
    double r = ceil(p * (double)h->count / 100.0);
    uint64_t rank = r < 1.0 ? 1 : (r >= (double)h->count ? h->count : (uint64_t)r);

    uint64_t seen = 0;
    unsigned i = 0;
    for (; i < SCOPE_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank)
            break;
    }
    if (i == SCOPE_HIST_BUCKETS) /* only if buckets and count disagree */
        return h->max;

    /* The true sample lies in [min, max], so clamping the midpoint towards
     * that range can only bring it closer; it also keeps a lone sample, or
     * one above SCOPE_HIST_MAX_NS, reported as itself. */
    uint64_t v = hist_bucket_mid(i);
    if (v < h->min)
        v = h->min;
    if (v > h->max)
        v = h->max;
    return v;
}

double scope_hist_mean(const scope_hist_t *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}

void scope_hist_summarize(const scope_hist_t *h, scope_hist_summary_t *out)
{
    out->count = h->count;
    out->min = h->count ? h->min : 0;
    out->max = h->max;
    out->p50 = scope_hist_percentile(h, 50.0);
    out->p90 = scope_hist_percentile(h, 90.0);
    out->p99 = scope_hist_percentile(h, 99.0);
    out->p999 = scope_hist_percentile(h, 99.9);
    out->mean = scope_hist_mean(h);
}

/* ------------------------------------------------------------------------ */
/* Rate meter                                                               */
/* ------------------------------------------------------------------------ */

/* A ring of SCOPE_RATE_SLOTS slots, each slot_ns long and tagged with the
 * start of the time it counts (a multiple of slot_ns). A sample at t belongs
 * to the slot starting at t - t % slot_ns, which lives in ring position
 * (t / slot_ns) % SLOTS; positions are reused every window, and the tag tells
 * whether what a position holds is current or a window (or more) old. */

void scope_rate_init(scope_rate_t *r, uint64_t window_ns)
{
    memset(r, 0, sizeof *r);
    if (window_ns == 0)
        window_ns = 1000000000ull;
    r->slot_ns = window_ns / SCOPE_RATE_SLOTS;
    if (r->slot_ns == 0)
        r->slot_ns = 1;
    /* The window is kept a whole number of slots so that "the last window"
     * and "the last SLOTS slots" mean the same thing. */
    r->window_ns = r->slot_ns * SCOPE_RATE_SLOTS;
    /* slot_start 0 with zero counts is a valid empty slot: it either matches
     * a sample in [0, slot_ns), adding to zeros, or is older and reset. */
}

void scope_rate_add(scope_rate_t *r, uint64_t now_ns, uint64_t bytes)
{
    if (r->total_msgs == 0 || now_ns < r->first_ns)
        r->first_ns = now_ns;
    r->total_msgs++;
    r->total_bytes += bytes;

    uint64_t start = now_ns - now_ns % r->slot_ns;
    unsigned i = (unsigned)((now_ns / r->slot_ns) % SCOPE_RATE_SLOTS);
    if (r->slot_start[i] < start) {
        /* The position still holds a slot at least one window old: its
         * counts are outside every window from here on, so drop them. */
        r->slot_start[i] = start;
        r->msgs[i] = 0;
        r->bytes[i] = 0;
    } else if (r->slot_start[i] > start) {
        /* A late sample (e.g. a timestamp from another process) older than
         * the whole window: the ring no longer has a place for it. It still
         * counts in the totals. */
        return;
    }
    r->msgs[i]++;
    r->bytes[i] += bytes;
}

void scope_rate_get(const scope_rate_t *r, uint64_t now_ns, double *msgs_per_s,
                    double *bytes_per_s)
{
    uint64_t msgs = 0, bytes = 0;
    for (unsigned i = 0; i < SCOPE_RATE_SLOTS; i++) {
        uint64_t s = r->slot_start[i];
        /* start in (now - window, now], written without underflow */
        if (s <= now_ns && s + r->window_ns > now_ns) {
            msgs += r->msgs[i];
            bytes += r->bytes[i];
        }
    }
    double m = 0.0, b = 0.0;
    if (msgs > 0) {
        /* The slots summed are the current one and the SLOTS-1 before it, so
         * they cover (SLOTS-1) whole slots plus the part of the current slot
         * up to now. Dividing by that rather than by the full window keeps a
         * steady rate steady whatever the phase of now within its slot
         * (dividing by window_ns would read up to one slot, 10%, low).
         *
         * Before a full window has passed since the first sample, most of
         * that span saw no traffic only because the meter had not started:
         * the denominator is then now - first sample, so a steady stream
         * reads right from its first moments instead of ramping up over the
         * first second. At least one slot is used, so a lone first sample
         * reads as one message per slot and not as a division by ~0. */
        uint64_t span = (SCOPE_RATE_SLOTS - 1) * r->slot_ns + now_ns % r->slot_ns;
        if (now_ns >= r->first_ns && now_ns - r->first_ns < span)
            span = now_ns - r->first_ns;
        if (span < r->slot_ns)
            span = r->slot_ns;
        double secs = (double)span / 1e9;
        m = (double)msgs / secs;
        b = (double)bytes / secs;
    }
    if (msgs_per_s)
        *msgs_per_s = m;
    if (bytes_per_s)
        *bytes_per_s = b;
}

char *scope_time_format(char *out, size_t outlen, double ns)
{
    if (ns < 1e3)
        snprintf(out, outlen, "%.0f ns", ns);
    else if (ns < 1e6)
        snprintf(out, outlen, "%.1f us", ns / 1e3);
    else if (ns < 1e9)
        snprintf(out, outlen, "%.2f ms", ns / 1e6);
    else
        snprintf(out, outlen, "%.2f s", ns / 1e9);
    return out;
}
