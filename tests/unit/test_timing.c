/* Unit tests of lib/timing.c: histogram percentiles against a sorted
 * reference, exact statistics, merge and reset, the monotonic clock, and the
 * rate meter driven by synthetic timestamps.
 *
 * Everything is deterministic: random data comes from a fixed-seed splitmix64
 * (not rand(), whose sequence differs between libcs), and the rate meter is
 * fed made-up times, so no test depends on how fast or loaded the machine is.
 */
#include "timing.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

#define NSAMPLES 100000

static uint64_t *samples_new(void)
{
    uint64_t *v = malloc(NSAMPLES * sizeof *v);
    ck_assert_ptr_nonnull(v);
    return v;
}

/* Log-uniform between 10 ns and 100 s: every bucket group gets traffic. */
static uint64_t *gen_loguniform(uint64_t seed)
{
    uint64_t *v = samples_new();
    double lo = log(10.0), hi = log(1e11);
    for (size_t i = 0; i < NSAMPLES; i++)
        v[i] = (uint64_t)exp(lo + rng_unit(&seed) * (hi - lo));
    return v;
}

/* A narrow normal cluster around 24 us (sigma 200 ns): many samples share a
 * few buckets, the case where nearest rank is easiest to get wrong. */
static uint64_t *gen_cluster(uint64_t seed)
{
    uint64_t *v = samples_new();
    for (size_t i = 0; i < NSAMPLES; i++) {
        double u1 = rng_unit(&seed), u2 = rng_unit(&seed);
        double z = sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
        double x = 24000.0 + 200.0 * z;
        v[i] = x < 0 ? 0 : (uint64_t)x;
    }
    return v;
}

/* Exponential with a 50 us mean: a long tail, and some values in the exact range. */
static uint64_t *gen_exponential(uint64_t seed)
{
    uint64_t *v = samples_new();
    for (size_t i = 0; i < NSAMPLES; i++)
        v[i] = (uint64_t)(-50000.0 * log(1.0 - rng_unit(&seed)));
    return v;
}

/* Only values below 2*SCOPE_HIST_SUB: every percentile must be exact. */
static uint64_t *gen_small(uint64_t seed)
{
    uint64_t *v = samples_new();
    for (size_t i = 0; i < NSAMPLES; i++)
        v[i] = rng_next(&seed) % (2u * SCOPE_HIST_SUB);
    return v;
}

static void hist_of(scope_hist_t *h, const uint64_t *v, size_t n)
{
    scope_hist_reset(h);
    for (size_t i = 0; i < n; i++)
        scope_hist_add(h, v[i]);
}

/* The nearest-rank percentile of a sorted array: the smallest rank r with
 * r/n >= p/100. */
static uint64_t ref_percentile(const uint64_t *sorted, size_t n, double p)
{
    double r = ceil(p * (double)n / 100.0);
    size_t rank = r < 1.0 ? 1 : (size_t)r;
    if (rank > n)
        rank = n;
    return sorted[rank - 1];
}

/* Checks every required percentile of v against the sorted reference. The
 * bound checked is the header's, 1/(2*SUB) = 0.39%, which is within the 1%
 * promised to users; below 2*SUB it forces an exact answer (the bound is < 1). */
static void check_percentiles(const char *name, uint64_t *v, size_t n)
{
    static const double ps[] = {1, 10, 50, 90, 99, 99.9, 100};
    scope_hist_t *h = malloc(sizeof *h);
    ck_assert_ptr_nonnull(h);
    hist_of(h, v, n);
    qsort(v, n, sizeof *v, cmp_u64);

    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        uint64_t want = ref_percentile(v, n, ps[i]);
        uint64_t got = scope_hist_percentile(h, ps[i]);
        double err = fabs((double)got - (double)want);
        ck_assert_msg(err <= (double)want / (2.0 * SCOPE_HIST_SUB),
                      "%s p%g: got %llu, want %llu (err %.4f%%)", name, ps[i],
                      (unsigned long long)got, (unsigned long long)want,
                      want ? 100.0 * err / (double)want : 0.0);
        ck_assert_msg(err <= 0.01 * (double)want, "%s p%g: over 1%%", name, ps[i]);
        if (want < 2u * SCOPE_HIST_SUB)
            ck_assert_msg(got == want, "%s p%g: small value %llu not exact (%llu)", name, ps[i],
                          (unsigned long long)want, (unsigned long long)got);
    }
    ck_assert_uint_eq(scope_hist_percentile(h, 100.0), v[n - 1]);
    ck_assert_uint_eq(scope_hist_percentile(h, 0.0), v[0]);
    ck_assert_uint_eq(scope_hist_percentile(h, -5.0), v[0]);
    ck_assert_uint_eq(scope_hist_percentile(h, 250.0), v[n - 1]);
    free(h);
}

static void assert_rel(double got, double want, double tol, const char *what, uint64_t t)
{
    ck_assert_msg(fabs(got - want) <= tol * want, "%s at t=%llu: got %f, want %f", what,
                  (unsigned long long)t, got, want);
}

/* ------------------------------------------------------------------------ */
/* Histogram                                                                */
/* ------------------------------------------------------------------------ */

/* A bucket stops at UINT32_MAX rather than wrapping to a small count. */
START_TEST(bucket_counts_saturate)
{
    scope_hist_t h;
    scope_hist_reset(&h);
    h.buckets[3] = UINT32_MAX - 1;
    scope_hist_add_to_bucket(&h, 3, 5);
    ck_assert_uint_eq(h.buckets[3], UINT32_MAX);
    scope_hist_add(&h, 3);
    ck_assert_uint_eq(h.buckets[3], UINT32_MAX);
    ck_assert_uint_eq(h.count, 1);
    scope_hist_t other;
    scope_hist_reset(&other);
    other.buckets[3] = 7;
    scope_hist_merge(&other, &h);
    ck_assert_uint_eq(other.buckets[3], UINT32_MAX);
}
END_TEST

START_TEST(test_hist_percentiles_loguniform)
{
    static const uint64_t seeds[] = {1, 42, 0xdeadbeef};
    for (size_t i = 0; i < 3; i++) {
        uint64_t *v = gen_loguniform(seeds[i]);
        check_percentiles("loguniform", v, NSAMPLES);
        free(v);
    }
}
END_TEST

START_TEST(test_hist_percentiles_cluster)
{
    static const uint64_t seeds[] = {2, 77, 0xc0ffee};
    for (size_t i = 0; i < 3; i++) {
        uint64_t *v = gen_cluster(seeds[i]);
        check_percentiles("cluster", v, NSAMPLES);
        free(v);
    }
}
END_TEST

START_TEST(test_hist_percentiles_exponential)
{
    static const uint64_t seeds[] = {3, 1234, 0xfeedface};
    for (size_t i = 0; i < 3; i++) {
        uint64_t *v = gen_exponential(seeds[i]);
        check_percentiles("exponential", v, NSAMPLES);
        free(v);
    }
}
END_TEST

START_TEST(test_hist_percentiles_small_exact)
{
    uint64_t *v = gen_small(4);
    check_percentiles("small", v, NSAMPLES);
    /* And a spot check with tiny counts, where ranks are easy to follow. */
    scope_hist_t h;
    scope_hist_reset(&h);
    for (uint64_t x = 1; x <= 10; x++)
        scope_hist_add(&h, x * 10);
    ck_assert_uint_eq(scope_hist_percentile(&h, 10.0), 10);
    ck_assert_uint_eq(scope_hist_percentile(&h, 50.0), 50);
    ck_assert_uint_eq(scope_hist_percentile(&h, 51.0), 60);
    ck_assert_uint_eq(scope_hist_percentile(&h, 90.0), 90);
    ck_assert_uint_eq(scope_hist_percentile(&h, 99.9), 100);
    free(v);
}
END_TEST

/* A bucket's midpoint is clamped to [min, max]: a histogram of one value
 * reports that value at every percentile, wherever it sits in its bucket
 * (1000..1003 share one bucket of width 4 whose midpoint is 1002). */
START_TEST(test_hist_clamp_to_range)
{
    for (uint64_t x = 1000; x <= 1003; x++) {
        scope_hist_t h;
        scope_hist_reset(&h);
        scope_hist_add(&h, x);
        scope_hist_add(&h, x);
        ck_assert_uint_eq(scope_hist_percentile(&h, 1.0), x);
        ck_assert_uint_eq(scope_hist_percentile(&h, 50.0), x);
        ck_assert_uint_eq(scope_hist_percentile(&h, 99.9), x);
    }
}
END_TEST

START_TEST(test_hist_exact_stats)
{
    /* Values below 2^30 and 1e5 of them: the sum stays below 2^53, so the
     * double sum, and with it the mean, must come out exact. */
    uint64_t seed = 5, sum = 0, mn = UINT64_MAX, mx = 0;
    uint64_t *v = samples_new();
    for (size_t i = 0; i < NSAMPLES; i++) {
        v[i] = rng_next(&seed) >> 34;
        sum += v[i];
        mn = v[i] < mn ? v[i] : mn;
        mx = v[i] > mx ? v[i] : mx;
    }
    scope_hist_t h;
    hist_of(&h, v, NSAMPLES);
    ck_assert_uint_eq(h.count, NSAMPLES);
    ck_assert_uint_eq(h.min, mn);
    ck_assert_uint_eq(h.max, mx);
    ck_assert(scope_hist_mean(&h) == (double)sum / NSAMPLES);

    uint64_t nb = 0;
    for (size_t i = 0; i < SCOPE_HIST_BUCKETS; i++)
        nb += h.buckets[i];
    ck_assert_uint_eq(nb, NSAMPLES);

    scope_hist_summary_t s;
    scope_hist_summarize(&h, &s);
    ck_assert_uint_eq(s.count, NSAMPLES);
    ck_assert_uint_eq(s.min, mn);
    ck_assert_uint_eq(s.max, mx);
    ck_assert(s.mean == (double)sum / NSAMPLES);
    ck_assert_uint_eq(s.p50, scope_hist_percentile(&h, 50.0));
    ck_assert_uint_eq(s.p90, scope_hist_percentile(&h, 90.0));
    ck_assert_uint_eq(s.p99, scope_hist_percentile(&h, 99.0));
    ck_assert_uint_eq(s.p999, scope_hist_percentile(&h, 99.9));
    ck_assert_uint_le(s.p50, s.p90);
    ck_assert_uint_le(s.p90, s.p99);
    ck_assert_uint_le(s.p99, s.p999);
    ck_assert_uint_le(s.p999, s.max);
    free(v);
}
END_TEST

START_TEST(test_hist_empty)
{
    scope_hist_t h;
    scope_hist_reset(&h);
    ck_assert_uint_eq(h.count, 0);
    ck_assert_uint_eq(h.min, UINT64_MAX);
    ck_assert_uint_eq(h.max, 0);
    ck_assert_uint_eq(scope_hist_percentile(&h, 0.0), 0);
    ck_assert_uint_eq(scope_hist_percentile(&h, 50.0), 0);
    ck_assert_uint_eq(scope_hist_percentile(&h, 100.0), 0);
    ck_assert(scope_hist_mean(&h) == 0.0);

    scope_hist_summary_t s;
    memset(&s, 0xa5, sizeof s);
    scope_hist_summarize(&h, &s);
    ck_assert_uint_eq(s.count, 0);
    ck_assert_uint_eq(s.min, 0);
    ck_assert_uint_eq(s.max, 0);
    ck_assert_uint_eq(s.p50, 0);
    ck_assert_uint_eq(s.p90, 0);
    ck_assert_uint_eq(s.p99, 0);
    ck_assert_uint_eq(s.p999, 0);
    ck_assert(s.mean == 0.0);
}
END_TEST

START_TEST(test_hist_above_max)
{
    const uint64_t big = 250000000000ull; /* 250 s */
    scope_hist_t h, top;
    scope_hist_reset(&h);
    scope_hist_reset(&top);
    scope_hist_add(&h, big);
    scope_hist_add(&top, SCOPE_HIST_MAX_NS);

    ck_assert_uint_eq(h.count, 1);
    ck_assert_uint_eq(h.min, big);
    ck_assert_uint_eq(h.max, big);
    ck_assert(scope_hist_mean(&h) == (double)big);
    ck_assert_uint_eq(scope_hist_percentile(&h, 50.0), big);
    ck_assert_uint_eq(scope_hist_percentile(&h, 100.0), big);
    /* counted in the bucket of SCOPE_HIST_MAX_NS */
    ck_assert(memcmp(h.buckets, top.buckets, sizeof h.buckets) == 0);

    /* Among many ordinary samples: max and p100 exact, the rest untouched
     * (200 is in the exact range, so its percentiles are exact too). */
    scope_hist_reset(&h);
    for (int i = 0; i < 1000; i++)
        scope_hist_add(&h, 200);
    scope_hist_add(&h, UINT64_MAX);
    ck_assert_uint_eq(h.count, 1001);
    ck_assert_uint_eq(h.min, 200);
    ck_assert_uint_eq(h.max, UINT64_MAX);
    ck_assert_uint_eq(scope_hist_percentile(&h, 100.0), UINT64_MAX);
    ck_assert_uint_eq(scope_hist_percentile(&h, 99.9), 200);
    ck_assert_uint_eq(scope_hist_percentile(&h, 50.0), 200);
    ck_assert(scope_hist_mean(&h) == (200.0 * 1000 + (double)UINT64_MAX) / 1001);
}
END_TEST

START_TEST(test_hist_merge)
{
    uint64_t *v = gen_loguniform(6);
    size_t half = NSAMPLES / 2;
    scope_hist_t *a = malloc(sizeof *a), *b = malloc(sizeof *b), *all = malloc(sizeof *all);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(all);
    hist_of(a, v, half);
    hist_of(b, v + half, NSAMPLES - half);
    hist_of(all, v, NSAMPLES);

    scope_hist_merge(a, b);
    ck_assert_uint_eq(a->count, all->count);
    ck_assert_uint_eq(a->min, all->min);
    ck_assert_uint_eq(a->max, all->max);
    /* the sums add in another order: equal up to rounding */
    ck_assert(fabs(a->sum - all->sum) <= 1e-12 * all->sum);
    for (size_t i = 0; i < SCOPE_HIST_BUCKETS; i++)
        ck_assert_msg(a->buckets[i] == all->buckets[i], "bucket %zu: %llu != %llu", i,
                      (unsigned long long)a->buckets[i], (unsigned long long)all->buckets[i]);
    ck_assert_uint_eq(scope_hist_percentile(a, 99.0), scope_hist_percentile(all, 99.0));

    /* Merging an empty histogram changes nothing; merging into one copies. */
    scope_hist_reset(b);
    scope_hist_t *before = malloc(sizeof *before);
    ck_assert_ptr_nonnull(before);
    *before = *all;
    scope_hist_merge(all, b);
    ck_assert(memcmp(before, all, sizeof *all) == 0);
    scope_hist_merge(b, all);
    ck_assert(memcmp(b, all, sizeof *all) == 0);

    free(before);
    free(a);
    free(b);
    free(all);
    free(v);
}
END_TEST

START_TEST(test_hist_reset)
{
    scope_hist_t h, fresh;
    memset(&fresh, 0, sizeof fresh);
    fresh.min = UINT64_MAX;

    memset(&h, 0x5a, sizeof h); /* reset must not rely on prior contents */
    scope_hist_reset(&h);
    ck_assert(memcmp(&h, &fresh, sizeof h) == 0);

    for (uint64_t x = 1; x < 1000000000ull; x *= 3)
        scope_hist_add(&h, x);
    ck_assert_uint_gt(h.count, 0);
    scope_hist_reset(&h);
    ck_assert(memcmp(&h, &fresh, sizeof h) == 0);
    ck_assert_uint_eq(scope_hist_percentile(&h, 50.0), 0);

    /* usable again after reset */
    scope_hist_add(&h, 7);
    ck_assert_uint_eq(h.count, 1);
    ck_assert_uint_eq(h.min, 7);
    ck_assert_uint_eq(h.max, 7);
    ck_assert_uint_eq(scope_hist_percentile(&h, 50.0), 7);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Clock                                                                    */
/* ------------------------------------------------------------------------ */

START_TEST(test_clock_monotonic)
{
    uint64_t prev = scope_time_now_ns();
    ck_assert_uint_gt(prev, 0);
    for (int i = 0; i < 100000; i++) {
        uint64_t now = scope_time_now_ns();
        ck_assert_msg(now >= prev, "clock went back: %llu after %llu", (unsigned long long)now,
                      (unsigned long long)prev);
        prev = now;
    }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Rate meter                                                               */
/* ------------------------------------------------------------------------ */

#define MS 1000000ull
#define SEC 1000000000ull
/* An arbitrary start, not aligned to any slot. */
#define T0 (7 * SEC + 12345)

START_TEST(test_rate_defaults)
{
    scope_rate_t r;
    scope_rate_init(&r, 0);
    ck_assert_uint_eq(r.window_ns, SEC);
    ck_assert_uint_eq(r.slot_ns, SEC / SCOPE_RATE_SLOTS);
    ck_assert_uint_eq(r.total_msgs, 0);
    ck_assert_uint_eq(r.total_bytes, 0);
    double m = -1, b = -1;
    scope_rate_get(&r, T0, &m, &b);
    ck_assert(m == 0.0 && b == 0.0);
}
END_TEST

/* 1000 msgs/s of 100 B, one every millisecond for 3 s. */
START_TEST(test_rate_steady)
{
    scope_rate_t r;
    scope_rate_init(&r, 0);
    uint64_t t = T0;
    for (int k = 0; k < 3000; k++) {
        t = T0 + (uint64_t)k * MS;
        scope_rate_add(&r, t, 100);
        if (t - T0 >= SEC) { /* the window is full */
            double m, b;
            scope_rate_get(&r, t, &m, &b);
            assert_rel(m, 1000.0, 0.01, "msgs/s", t);
            assert_rel(b, 100000.0, 0.01, "bytes/s", t);
            /* and between two samples */
            scope_rate_get(&r, t + MS / 2, &m, &b);
            assert_rel(m, 1000.0, 0.01, "msgs/s", t + MS / 2);
            assert_rel(b, 100000.0, 0.01, "bytes/s", t + MS / 2);
        }
    }
    ck_assert_uint_eq(r.total_msgs, 3000);
    ck_assert_uint_eq(r.total_bytes, 300000);
}
END_TEST

/* The first window: dividing by the time since the first sample keeps a
 * steady stream steady instead of ramping up from 0 over the first second. */
START_TEST(test_rate_first_window)
{
    scope_rate_t r;
    scope_rate_init(&r, 0);
    for (int k = 0; k <= 1000; k++) {
        uint64_t t = T0 + (uint64_t)k * MS;
        scope_rate_add(&r, t, 100);
        if (t - T0 >= 200 * MS) {
            double m, b;
            scope_rate_get(&r, t, &m, &b);
            assert_rel(m, 1000.0, 0.01, "msgs/s", t);
            assert_rel(b, 100000.0, 0.01, "bytes/s", t);
        }
    }
    /* A lone first sample reads as one message per slot, not infinity. */
    scope_rate_init(&r, 0);
    scope_rate_add(&r, T0, 10);
    double m, b;
    scope_rate_get(&r, T0, &m, &b);
    ck_assert(m == 1.0 / ((double)r.slot_ns / 1e9));
    ck_assert(b == 10.0 / ((double)r.slot_ns / 1e9));
}
END_TEST

/* Silence empties the window; totals keep counting; traffic after the
 * silence is measured afresh (the stale slots are dropped on reuse). */
START_TEST(test_rate_silence)
{
    scope_rate_t r;
    scope_rate_init(&r, 0);
    uint64_t t = T0;
    for (int k = 0; k < 1500; k++) {
        t = T0 + (uint64_t)k * MS;
        scope_rate_add(&r, t, 100);
    }
    double m, b;
    scope_rate_get(&r, t + 2 * SEC, &m, &b);
    ck_assert(m == 0.0);
    ck_assert(b == 0.0);
    scope_rate_get(&r, t + 10 * SEC, &m, &b);
    ck_assert(m == 0.0);
    ck_assert(b == 0.0);
    ck_assert_uint_eq(r.total_msgs, 1500);
    ck_assert_uint_eq(r.total_bytes, 150000);

    /* Resume at 500 msgs/s of 40 B. */
    uint64_t t1 = t + 2 * SEC;
    for (int k = 0; k < 1000; k++) {
        t = t1 + (uint64_t)k * 2 * MS;
        scope_rate_add(&r, t, 40);
        if (t - t1 >= SEC) {
            scope_rate_get(&r, t, &m, &b);
            assert_rel(m, 500.0, 0.01, "msgs/s", t);
            assert_rel(b, 20000.0, 0.01, "bytes/s", t);
        }
    }
    ck_assert_uint_eq(r.total_msgs, 2500);
    ck_assert_uint_eq(r.total_bytes, 150000 + 40000);
}
END_TEST

/* A timestamp older than the window (e.g. from another process) counts in
 * the totals but cannot disturb the current window. */
START_TEST(test_rate_late_sample)
{
    scope_rate_t r;
    scope_rate_init(&r, 0);
    uint64_t t = T0;
    for (int k = 0; k < 2000; k++) {
        t = T0 + (uint64_t)k * MS;
        scope_rate_add(&r, t, 100);
    }
    scope_rate_add(&r, t - 5 * SEC, 1000000);
    ck_assert_uint_eq(r.total_msgs, 2001);
    ck_assert_uint_eq(r.total_bytes, 2000 * 100 + 1000000);
    double m, b;
    scope_rate_get(&r, t, &m, &b);
    assert_rel(m, 1000.0, 0.01, "msgs/s", t);
    assert_rel(b, 100000.0, 0.01, "bytes/s", t);
}
END_TEST

/* A non-default window: 250 ms at 10000 msgs/s of 8 B. */
START_TEST(test_rate_short_window)
{
    scope_rate_t r;
    scope_rate_init(&r, 250 * MS);
    ck_assert_uint_eq(r.window_ns, 250 * MS);
    uint64_t step = 100000; /* 100 us */
    for (int k = 0; k < 10000; k++) {
        uint64_t t = T0 + (uint64_t)k * step;
        scope_rate_add(&r, t, 8);
        if (t - T0 >= 250 * MS) {
            double m, b;
            scope_rate_get(&r, t, &m, &b);
            assert_rel(m, 10000.0, 0.01, "msgs/s", t);
            assert_rel(b, 80000.0, 0.01, "bytes/s", t);
        }
    }
    ck_assert_uint_eq(r.total_msgs, 10000);
}
END_TEST

/* ------------------------------------------------------------------------ */

static Suite *timing_suite(void)
{
    Suite *s = suite_create("timing");

    TCase *tc = tcase_create("hist");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_hist_percentiles_loguniform);
    tcase_add_test(tc, test_hist_percentiles_cluster);
    tcase_add_test(tc, test_hist_percentiles_exponential);
    tcase_add_test(tc, test_hist_percentiles_small_exact);
    tcase_add_test(tc, test_hist_clamp_to_range);
    tcase_add_test(tc, test_hist_exact_stats);
    tcase_add_test(tc, test_hist_empty);
    tcase_add_test(tc, test_hist_above_max);
    tcase_add_test(tc, test_hist_merge);
    tcase_add_test(tc, test_hist_reset);
    suite_add_tcase(s, tc);

    tc = tcase_create("clock");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_clock_monotonic);
    suite_add_tcase(s, tc);

    tc = tcase_create("rate");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_rate_defaults);
    tcase_add_test(tc, test_rate_steady);
    tcase_add_test(tc, test_rate_first_window);
    tcase_add_test(tc, test_rate_silence);
    tcase_add_test(tc, test_rate_late_sample);
    tcase_add_test(tc, test_rate_short_window);
    tcase_add_test(tc, bucket_counts_saturate);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(timing_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
