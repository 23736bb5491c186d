/* Unit tests for lib/framing.c: the NDJSON and length-prefixed decoders.
 *
 * The central property is that a decoder's output depends only on the bytes of
 * the stream, never on how read() happened to cut them: every stream here is
 * decoded whole, one byte at a time, split at every single point and in random
 * chunks, and the recorded events (frames and errors, raw bytes, re-printed
 * JSON, offsets, reasons) must be identical. Each chunk is fed from its own
 * exactly-sized heap copy, so a decoder that reads past the end of a chunk (for
 * instance by treating an unterminated line as a C string) is caught by
 * valgrind or AddressSanitizer rather than passing by luck.
 */
#include "framing.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- recording what a decoder reports ------------------------------- */

typedef struct {
    int is_err;
    scope_frame_error_t err;
    char *raw; /* a copy of the line or frame */
    size_t raw_len;
    char *printed;   /* NDJSON: the value re-printed by cJSON */
    const char *ptr; /* where the decoder said the bytes were */
} event_t;

typedef struct {
    event_t *ev;
    size_t n, cap;
    size_t nframes, nerrors;
} rec_t;

static event_t *rec_push(rec_t *r)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->ev = realloc(r->ev, r->cap * sizeof *r->ev);
        ck_assert_ptr_nonnull(r->ev);
    }
    event_t *e = &r->ev[r->n++];
    memset(e, 0, sizeof *e);
    return e;
}

static void rec_free(rec_t *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->ev[i].raw);
        cJSON_free(r->ev[i].printed);
    }
    free(r->ev);
    memset(r, 0, sizeof *r);
}

static char *dup_bytes(const char *p, size_t n)
{
    char *c = malloc(n + 1);
    ck_assert_ptr_nonnull(c);
    if (n > 0)
        memcpy(c, p, n);
    c[n] = '\0';
    return c;
}

static void on_json(void *arg, cJSON *value, const char *line, size_t len)
{
    rec_t *r = arg;
    ck_assert_ptr_nonnull(value);
    event_t *e = rec_push(r);
    e->raw = dup_bytes(line, len);
    e->raw_len = len;
    e->printed = cJSON_PrintUnformatted(value);
    e->ptr = line;
    ck_assert_ptr_nonnull(e->printed);
    r->nframes++;
}

static void on_frame(void *arg, const char *frame, size_t len)
{
    rec_t *r = arg;
    ck_assert(frame != NULL || len == 0);
    event_t *e = rec_push(r);
    e->raw = dup_bytes(frame, len);
    e->raw_len = len;
    e->ptr = frame;
    r->nframes++;
}

static void on_error(void *arg, const scope_frame_error_t *err)
{
    rec_t *r = arg;
    event_t *e = rec_push(r);
    e->is_err = 1;
    e->err = *err;
    ck_assert(memchr(err->reason, '\0', sizeof err->reason) != NULL);
    ck_assert_uint_gt(strlen(err->reason), 0);
    r->nerrors++;
}

static void rec_assert_equal(const rec_t *a, const rec_t *b, const char *what)
{
    ck_assert_msg(a->n == b->n, "%s: %zu events, expected %zu", what, a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const event_t *x = &a->ev[i], *y = &b->ev[i];
        ck_assert_msg(x->is_err == y->is_err, "%s: event %zu type differs", what, i);
        if (x->is_err) {
            ck_assert_msg(x->err.kind == y->err.kind, "%s: event %zu kind", what, i);
            ck_assert_msg(x->err.offset == y->err.offset, "%s: event %zu offset", what, i);
            ck_assert_msg(x->err.size == y->err.size, "%s: event %zu size", what, i);
            ck_assert_msg(x->err.where == y->err.where, "%s: event %zu where", what, i);
            ck_assert_msg(strcmp(x->err.reason, y->err.reason) == 0, "%s: event %zu reason", what,
                          i);
            continue;
        }
        ck_assert_msg(x->raw_len == y->raw_len, "%s: event %zu length %zu, expected %zu", what, i,
                      x->raw_len, y->raw_len);
        ck_assert_msg(memcmp(x->raw, y->raw, x->raw_len) == 0, "%s: event %zu bytes", what, i);
        ck_assert_msg((x->printed == NULL) == (y->printed == NULL), "%s: event %zu", what, i);
        if (x->printed != NULL)
            ck_assert_msg(strcmp(x->printed, y->printed) == 0, "%s: event %zu JSON", what, i);
    }
}

/* ---- feeding a stream in chunks -------------------------------------- */

typedef enum { PLAN_WHOLE, PLAN_FIXED, PLAN_SPLIT, PLAN_RANDOM } plan_kind_t;

typedef struct {
    plan_kind_t kind;
    size_t size;   /* FIXED: chunk size; SPLIT: the one cut point; RANDOM: max chunk */
    uint32_t seed; /* RANDOM */
} plan_t;

static uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* Cuts stream into chunks by plan and calls feed on each, from a heap copy
 * of exactly the chunk's size. */
typedef int (*feed_fn)(void *dec, const char *p, size_t n);

static void feed_by_plan(void *dec, feed_fn feed, const char *s, size_t len, plan_t plan,
                         void (*after)(void *dec, size_t max), size_t max)
{
    uint32_t rng = plan.seed ? plan.seed : 1;
    size_t pos = 0;
    while (pos < len) {
        size_t n = len - pos;
        switch (plan.kind) {
        case PLAN_WHOLE:
            break;
        case PLAN_FIXED:
            n = plan.size < n ? plan.size : n;
            break;
        case PLAN_SPLIT:
            if (pos < plan.size)
                n = plan.size - pos;
            break;
        case PLAN_RANDOM:
            n = 1 + xorshift32(&rng) % plan.size;
            n = n < len - pos ? n : len - pos;
            break;
        }
        char *chunk = malloc(n);
        ck_assert_ptr_nonnull(chunk);
        memcpy(chunk, s + pos, n);
        ck_assert_int_eq(feed(dec, chunk, n), 0);
        free(chunk);
        if (after != NULL)
            after(dec, max);
        pos += n;
    }
}

static int nd_feed(void *dec, const char *p, size_t n)
{
    return scope_ndjson_feed(dec, p, n);
}

static int lf_feed(void *dec, const char *p, size_t n)
{
    return scope_lenframe_feed(dec, p, n);
}

static void nd_check_pending(void *dec, size_t max)
{
    size_t limit = max ? max : SCOPE_FRAME_MAX_DEFAULT;
    ck_assert_uint_le(scope_ndjson_pending(dec), limit + 1);
}

static void nd_decode(const char *s, size_t len, size_t max_frame, plan_t plan, rec_t *out)
{
    scope_ndjson_t d;
    memset(out, 0, sizeof *out);
    scope_ndjson_init(&d, max_frame, on_json, on_error, out);
    feed_by_plan(&d, nd_feed, s, len, plan, nd_check_pending, max_frame);
    scope_ndjson_free(&d);
}

static void lf_decode(const char *s, size_t len, size_t max_frame, plan_t plan, rec_t *out)
{
    scope_lenframe_t d;
    memset(out, 0, sizeof *out);
    scope_lenframe_init(&d, max_frame, on_frame, on_error, out);
    feed_by_plan(&d, lf_feed, s, len, plan, NULL, 0);
    scope_lenframe_free(&d);
}

typedef void (*decode_fn)(const char *s, size_t len, size_t max_frame, plan_t plan, rec_t *out);

/* Decodes s whole into *whole, then checks that byte-at-a-time, every
 * single split point and many random chunkings all give the same events. */
static void assert_chunking_invariant(decode_fn decode, const char *s, size_t len, size_t max_frame,
                                      rec_t *whole)
{
    rec_t r;
    char what[64];

    decode(s, len, max_frame, (plan_t){PLAN_WHOLE, 0, 0}, whole);

    decode(s, len, max_frame, (plan_t){PLAN_FIXED, 1, 0}, &r);
    rec_assert_equal(&r, whole, "byte at a time");
    rec_free(&r);

    for (size_t cut = 1; cut < len; cut++) {
        decode(s, len, max_frame, (plan_t){PLAN_SPLIT, cut, 0}, &r);
        snprintf(what, sizeof what, "split at %zu", cut);
        rec_assert_equal(&r, whole, what);
        rec_free(&r);
    }

    for (uint32_t seed = 1; seed <= 64; seed++) {
        decode(s, len, max_frame, (plan_t){PLAN_RANDOM, 1 + seed % 40, 0x9e3779b9u * seed}, &r);
        snprintf(what, sizeof what, "random chunks, seed %u", (unsigned)seed);
        rec_assert_equal(&r, whole, what);
        rec_free(&r);
    }
}

/* ---- test data ------------------------------------------------------- */

/* One JSON value per entry, each a line of the test stream. The U+2028 and
 * U+2029 entries carry the raw UTF-8 bytes inside a string: legal JSON, and
 * exactly what a decoder that splits on "any line terminator" would break. */
static const char *const FRAMES[] = {
    "{\"type\":\"hello\",\"pid\":1234,\"ok\":true}",
    "[1,2,3,[4,[5,{\"deep\":[null,false]}]]]",
    "\"just a string\"",
    "42",
    "-3.5e-7",
    "{\"nested\":{\"a\":{\"b\":{\"c\":[{\"d\":\"e\"}]}}}}",
    "{\"greeting\":\"你好，世界\"}",
    "\"line\xe2\x80\xa8"
    "separator and paragraph\xe2\x80\xa9"
    "separator\"",
    "{\"text\":\"two\\nlines\\r\\nand a tab\\t\"}",
    "null",
    "true",
    "[]",
    "{}",
    "  {\"padded\" : [ 1 , 2 ] }\t ",
    "{\"escaped\":\"\\u4f60\\u597d \\u2028\"}",
    "[\"你好，世界\",{\"\xe2\x80\xa9\":\"\xe2\x80\xa8\"},0.5,-0,1e300]",
};
#define NFRAMES (sizeof FRAMES / sizeof FRAMES[0])

static char *build_ndjson(const char *const *lines, size_t n, const char *eol, size_t *len)
{
    size_t total = 0, el = strlen(eol);
    for (size_t i = 0; i < n; i++)
        total += strlen(lines[i]) + el;
    char *s = malloc(total + 1), *p = s;
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(lines[i]);
        memcpy(p, lines[i], l);
        memcpy(p + l, eol, el);
        p += l + el;
    }
    *p = '\0';
    *len = total;
    return s;
}

static void assert_json_event(const rec_t *r, size_t i, const char *line)
{
    ck_assert_uint_lt(i, r->n);
    const event_t *e = &r->ev[i];
    ck_assert_msg(!e->is_err, "event %zu is an error: %s", i, e->is_err ? e->err.reason : "");
    ck_assert_uint_eq(e->raw_len, strlen(line));
    ck_assert(memcmp(e->raw, line, e->raw_len) == 0);
    cJSON *v = cJSON_Parse(line);
    ck_assert_ptr_nonnull(v);
    char *want = cJSON_PrintUnformatted(v);
    ck_assert_str_eq(e->printed, want);
    cJSON_free(want);
    cJSON_Delete(v);
}

static const event_t *assert_error_event(const rec_t *r, size_t i, scope_frame_error_kind_t kind,
                                         uint64_t offset)
{
    ck_assert_uint_lt(i, r->n);
    const event_t *e = &r->ev[i];
    ck_assert_msg(e->is_err, "event %zu is not an error", i);
    ck_assert_int_eq(e->err.kind, kind);
    ck_assert_uint_eq(e->err.offset, offset);
    return e;
}

/* ---- NDJSON tests ------------------------------------------------------ */

START_TEST(ndjson_many_frames_byte_at_a_time)
{
    size_t len;
    char *s = build_ndjson(FRAMES, NFRAMES, "\n", &len);
    rec_t whole, bytes;
    nd_decode(s, len, 0, (plan_t){PLAN_WHOLE, 0, 0}, &whole);
    ck_assert_uint_eq(whole.n, NFRAMES);
    ck_assert_uint_eq(whole.nerrors, 0);
    for (size_t i = 0; i < NFRAMES; i++)
        assert_json_event(&whole, i, FRAMES[i]);

    nd_decode(s, len, 0, (plan_t){PLAN_FIXED, 1, 0}, &bytes);
    rec_assert_equal(&bytes, &whole, "byte at a time");
    rec_free(&bytes);
    rec_free(&whole);
    free(s);
}
END_TEST

START_TEST(ndjson_many_frames_every_split_and_random_chunks)
{
    size_t len;
    char *s = build_ndjson(FRAMES, NFRAMES, "\n", &len);
    rec_t whole;
    assert_chunking_invariant(nd_decode, s, len, 0, &whole);
    ck_assert_uint_eq(whole.nframes, NFRAMES);
    rec_free(&whole);
    free(s);
}
END_TEST

START_TEST(ndjson_complete_lines_are_not_copied)
{
    const char s[] = "{\"a\":1}\n[2]\n\"three\"\n{\"partial\"";
    rec_t r = {0};
    scope_ndjson_t d;
    scope_ndjson_init(&d, 0, on_json, on_error, &r);
    ck_assert_int_eq(scope_ndjson_feed(&d, s, sizeof s - 1), 0);
    ck_assert_uint_eq(r.n, 3);
    ck_assert_ptr_eq(r.ev[0].ptr, s);
    ck_assert_ptr_eq(r.ev[1].ptr, s + 8);
    ck_assert_ptr_eq(r.ev[2].ptr, s + 12);
    ck_assert_uint_eq(scope_ndjson_pending(&d), strlen("{\"partial\""));
    ck_assert_int_eq(scope_ndjson_feed(&d, ":true}\n", 7), 0);
    ck_assert_uint_eq(scope_ndjson_pending(&d), 0);
    assert_json_event(&r, 3, "{\"partial\":true}");
    scope_ndjson_free(&d);
    rec_free(&r);
}
END_TEST

static const char LONG_LINE_PREFIX[] = "{\"blob\":\"";

static char *oversize_stream(size_t long_len, size_t *len, size_t *long_at)
{
    static const char head[] = "{\"before\":1}\n";
    static const char tail[] = "{\"after\":2}\n[3]\n";
    size_t n = strlen(head) + long_len + 1 + strlen(tail);
    char *s = malloc(n + 1), *p = s;
    ck_assert_ptr_nonnull(s);
    memcpy(p, head, strlen(head));
    p += strlen(head);
    *long_at = (size_t)(p - s);
    /* A well-formed JSON line, so only its length can be the complaint. */
    memcpy(p, LONG_LINE_PREFIX, strlen(LONG_LINE_PREFIX));
    memset(p + strlen(LONG_LINE_PREFIX), 'x', long_len - strlen(LONG_LINE_PREFIX) - 2);
    memcpy(p + long_len - 2, "\"}", 2);
    p += long_len;
    *p++ = '\n';
    memcpy(p, tail, strlen(tail));
    p += strlen(tail);
    *p = '\0';
    *len = n;
    return s;
}

static void assert_oversize_events(const rec_t *r, size_t long_at, size_t max)
{
    ck_assert_uint_eq(r->n, 4);
    ck_assert_uint_eq(r->nerrors, 1);
    assert_json_event(r, 0, "{\"before\":1}");
    const event_t *e = assert_error_event(r, 1, SCOPE_FRAME_OVERSIZE, long_at);
    ck_assert_uint_eq(e->err.size, max + 1);
    char limit[32];
    snprintf(limit, sizeof limit, "%zu-byte limit", max);
    ck_assert_msg(strstr(e->err.reason, limit) != NULL, "reason: %s", e->err.reason);
    ck_assert_msg(strstr(e->err.reason, "skipped") != NULL, "reason: %s", e->err.reason);
    assert_json_event(r, 2, "{\"after\":2}");
    assert_json_event(r, 3, "[3]");
}

START_TEST(ndjson_oversize_reported_once_then_resumes)
{
    const size_t max = 64;
    size_t len, long_at;
    char *s = oversize_stream(1000, &len, &long_at);
    rec_t whole;
    assert_chunking_invariant(nd_decode, s, len, max, &whole);
    assert_oversize_events(&whole, long_at, max);
    rec_free(&whole);
    free(s);
}
END_TEST

START_TEST(ndjson_oversize_byte_at_a_time_bounded)
{
    const size_t max = 100;
    size_t len, long_at;
    char *s = oversize_stream(50000, &len, &long_at);
    rec_t r = {0};
    scope_ndjson_t d;
    scope_ndjson_init(&d, max, on_json, on_error, &r);
    size_t peak = 0;
    for (size_t i = 0; i < len; i++) {
        ck_assert_int_eq(scope_ndjson_feed(&d, s + i, 1), 0);
        size_t pend = scope_ndjson_pending(&d);
        ck_assert_uint_le(pend, max + 1);
        peak = pend > peak ? pend : peak;
        ck_assert_uint_le(d.cap, max + 1); /* nor is more allocated */
    }
    ck_assert_uint_eq(peak, max); /* then the 101st byte proved it oversize */
    assert_oversize_events(&r, long_at, max);
    scope_ndjson_free(&d);
    rec_free(&r);
    free(s);
}
END_TEST

START_TEST(ndjson_limit_boundary)
{
    /* A line of exactly max_frame bytes is fine, also with "\r\n" (the '\r'
     * is the one byte of slack); one byte more is not. */
    const size_t max = 16;
    const char s[] = "\"0123456789abcd\"\n"     /* 16 bytes: ok */
                     "\"0123456789abcd\"\r\n"   /* 16 + CR: ok */
                     "\"0123456789abcde\"\n"    /* 17: oversize */
                     "\"0123456789abcd\"\r\r\n" /* 17 after one CR stripped */
                     "\"0123456789abcde\"\r\n"  /* 17 + CR */
                     "[1]\n";
    rec_t whole;
    assert_chunking_invariant(nd_decode, s, sizeof s - 1, max, &whole);
    ck_assert_uint_eq(whole.n, 6);
    assert_json_event(&whole, 0, "\"0123456789abcd\"");
    assert_json_event(&whole, 1, "\"0123456789abcd\"");
    assert_error_event(&whole, 2, SCOPE_FRAME_OVERSIZE, 35);
    assert_error_event(&whole, 3, SCOPE_FRAME_OVERSIZE, 53);
    assert_error_event(&whole, 4, SCOPE_FRAME_OVERSIZE, 72);
    assert_json_event(&whole, 5, "[1]");
    for (size_t i = 2; i <= 4; i++)
        ck_assert_uint_eq(whole.ev[i].err.size, max + 1);
    rec_free(&whole);
}
END_TEST

START_TEST(ndjson_malformed_offset_and_where)
{
    /* The bad line starts at stream offset 9; cJSON gives up at its '}'
     * (byte 7), where a member name was due after the ','. */
    const char s[] = "{\"ok\":1}\n{\"a\":1,}\n[2]\n{\"key\": [1, 2, 3], \"bad\": @}\n\"end\"\n";
    rec_t whole;
    assert_chunking_invariant(nd_decode, s, sizeof s - 1, 0, &whole);
    ck_assert_uint_eq(whole.n, 5);
    assert_json_event(&whole, 0, "{\"ok\":1}");
    const event_t *e = assert_error_event(&whole, 1, SCOPE_FRAME_MALFORMED, 9);
    ck_assert_uint_eq(e->err.where, 7);
    ck_assert_uint_eq(e->err.size, 8);
    ck_assert_msg(strstr(e->err.reason, "byte 7 of a 8-byte line") != NULL, "%s", e->err.reason);
    ck_assert_msg(strstr(e->err.reason, "stream offset 9") != NULL, "%s", e->err.reason);
    assert_json_event(&whole, 2, "[2]");
    e = assert_error_event(&whole, 3, SCOPE_FRAME_MALFORMED, 22);
    ck_assert_uint_eq(e->err.where, 26); /* the '@' */
    ck_assert_uint_eq(e->err.size, 28);
    assert_json_event(&whole, 4, "\"end\"");
    rec_free(&whole);
}
END_TEST

START_TEST(ndjson_trailing_garbage_is_malformed)
{
    const char s[] = "{\"a\":1} x\n{\"b\":2}   \n{\"c\":3}{\"d\":4}\n[1] \t\r\n7 8\n";
    rec_t whole;
    assert_chunking_invariant(nd_decode, s, sizeof s - 1, 0, &whole);
    ck_assert_uint_eq(whole.n, 5);
    const event_t *e = assert_error_event(&whole, 0, SCOPE_FRAME_MALFORMED, 0);
    ck_assert_uint_eq(e->err.where, 8);           /* the 'x' */
    assert_json_event(&whole, 1, "{\"b\":2}   "); /* trailing whitespace is fine */
    e = assert_error_event(&whole, 2, SCOPE_FRAME_MALFORMED, 21);
    ck_assert_uint_eq(e->err.where, 7); /* the second '{' */
    assert_json_event(&whole, 3, "[1] \t");
    e = assert_error_event(&whole, 4, SCOPE_FRAME_MALFORMED, 43);
    ck_assert_uint_eq(e->err.where, 2);
    rec_free(&whole);
}
END_TEST

/* What JSON.parse refuses is refused here too, with the reason named: a raw
 * control character inside a string (escaped is fine; a tab between tokens
 * is whitespace), and nesting deeper than the parser's limit. */
START_TEST(ndjson_refuses_what_json_parse_refuses)
{
    const char s[] = "{\"a\":\"x\ty\"}\n{\"a\":\"x\\ty\"}\n{\t\"a\":1}\n";
    rec_t whole;
    assert_chunking_invariant(nd_decode, s, sizeof s - 1, 0, &whole);
    ck_assert_uint_eq(whole.n, 3);
    const event_t *e = assert_error_event(&whole, 0, SCOPE_FRAME_MALFORMED, 0);
    ck_assert_uint_eq(e->err.where, 7); /* the tab */
    ck_assert_msg(strstr(e->err.reason, "raw control character") != NULL, "%s", e->err.reason);
    assert_json_event(&whole, 1, "{\"a\":\"x\\ty\"}");
    assert_json_event(&whole, 2, "{\t\"a\":1}");
    rec_free(&whole);

    size_t deep = 100000;
    char *line = malloc(2 * deep + 2);
    memset(line, '[', deep);
    memset(line + deep, ']', deep);
    line[2 * deep] = '\n';
    rec_t r;
    nd_decode(line, 2 * deep + 1, 0, (plan_t){PLAN_WHOLE, 0, 0}, &r);
    ck_assert_uint_eq(r.n, 1);
    ck_assert(r.ev[0].is_err);
    ck_assert_msg(strstr(r.ev[0].err.reason, "nested deeper than 1000 levels") != NULL, "%s",
                  r.ev[0].err.reason);
    ck_assert_uint_eq(r.ev[0].err.where, 1000);
    rec_free(&r);
    free(line);
}
END_TEST

/* Numbers as JSON writes them, not as strtod reads them, and no control
 * byte between tokens: each refused line names why, at the byte where the
 * number starts; the lines around it are kept. */
START_TEST(ndjson_refuses_numbers_and_bytes_json_parse_refuses)
{
    const char *refused[] = {"01",     "-01",  "[1.]", "{\"a\":-.5}", "1.e5",  "[1e]",
                             "[1e+]",  "-",    "[00]", "{\"a\":1}\x01", "\x0b[1]"};
    const char *kept[] = {"0",     "-0",       "[0.5]",  "{\"a\":-1.25e-3}", "1E+10",
                          "[10,0]", "{\"01\":\"1.\"}", "[1,-2]",  "[1e5]"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char line[64];
        int n = snprintf(line, sizeof line, "%s\n", refused[i]);
        rec_t r;
        nd_decode(line, (size_t)n, 0, (plan_t){PLAN_WHOLE, 0, 0}, &r);
        ck_assert_msg(r.n == 1 && r.ev[0].is_err, "'%s' was taken", refused[i]);
        ck_assert_msg(strstr(r.ev[0].err.reason, "JSON") != NULL, "'%s': %s", refused[i],
                      r.ev[0].err.reason);
        rec_free(&r);
    }
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        char line[64];
        int n = snprintf(line, sizeof line, "%s\n", kept[i]);
        rec_t r;
        nd_decode(line, (size_t)n, 0, (plan_t){PLAN_WHOLE, 0, 0}, &r);
        ck_assert_msg(r.n == 1 && !r.ev[0].is_err, "'%s' was refused", kept[i]);
        rec_free(&r);
    }
    const char s[] = "[1]\n[01]\n[2]\n";
    rec_t whole;
    assert_chunking_invariant(nd_decode, s, sizeof s - 1, 0, &whole);
    ck_assert_uint_eq(whole.n, 3);
    assert_json_event(&whole, 0, "[1]");
    ck_assert_uint_eq(assert_error_event(&whole, 1, SCOPE_FRAME_MALFORMED, 4)->err.where, 1);
    assert_json_event(&whole, 2, "[2]");
    rec_free(&whole);
}
END_TEST

START_TEST(ndjson_blank_lines)
{
    const char s[] = "\n   \n\t \n{\"a\":1}\n\r\n \r\n[true]\n";
    rec_t whole;
    assert_chunking_invariant(nd_decode, s, sizeof s - 1, 0, &whole);
    ck_assert_uint_eq(whole.n, 7);
    ck_assert_uint_eq(whole.nerrors, 5);
    ck_assert_uint_eq(assert_error_event(&whole, 0, SCOPE_FRAME_BLANK, 0)->err.size, 0);
    ck_assert_uint_eq(assert_error_event(&whole, 1, SCOPE_FRAME_BLANK, 1)->err.size, 3);
    ck_assert_uint_eq(assert_error_event(&whole, 2, SCOPE_FRAME_BLANK, 5)->err.size, 2);
    assert_json_event(&whole, 3, "{\"a\":1}");
    ck_assert_uint_eq(assert_error_event(&whole, 4, SCOPE_FRAME_BLANK, 16)->err.size, 0);
    ck_assert_uint_eq(assert_error_event(&whole, 5, SCOPE_FRAME_BLANK, 18)->err.size, 1);
    assert_json_event(&whole, 6, "[true]");
    rec_free(&whole);
}
END_TEST

START_TEST(ndjson_crlf_line_endings)
{
    size_t len;
    char *s = build_ndjson(FRAMES, NFRAMES, "\r\n", &len);
    rec_t whole;
    assert_chunking_invariant(nd_decode, s, len, 0, &whole);
    ck_assert_uint_eq(whole.n, NFRAMES);
    for (size_t i = 0; i < NFRAMES; i++)
        assert_json_event(&whole, i, FRAMES[i]); /* the '\r' is not part of the line */
    rec_free(&whole);
    free(s);
}
END_TEST

START_TEST(ndjson_no_error_callback)
{
    const char s[] = "\n{bad\n{\"a\":1}\n";
    rec_t r = {0};
    scope_ndjson_t d;
    scope_ndjson_init(&d, 0, on_json, NULL, &r);
    ck_assert_int_eq(scope_ndjson_feed(&d, s, sizeof s - 1), 0);
    ck_assert_uint_eq(r.n, 1);
    assert_json_event(&r, 0, "{\"a\":1}");
    scope_ndjson_free(&d);
    rec_free(&r);
}
END_TEST

/* A JSON string of 2 MiB on one line: '"', varied printable text, '"'. */
static char *big_stream(size_t *len, size_t *line_len)
{
    const size_t n = 2u * 1024u * 1024u;
    static const char tail[] = "{\"after\":true}\n";
    char *s = malloc(n + 1 + sizeof tail);
    ck_assert_ptr_nonnull(s);
    s[0] = '"';
    for (size_t i = 1; i < n - 1; i++)
        s[i] = (char)('a' + i % 26);
    s[n - 1] = '"';
    s[n] = '\n';
    memcpy(s + n + 1, tail, sizeof tail);
    *len = n + 1 + strlen(tail);
    *line_len = n;
    return s;
}

START_TEST(ndjson_two_mib_frame_under_four_mib_limit)
{
    size_t len, line_len;
    char *s = big_stream(&len, &line_len);
    rec_t r;
    nd_decode(s, len, 4u * 1024u * 1024u, (plan_t){PLAN_FIXED, 4096, 0}, &r);
    ck_assert_uint_eq(r.n, 2);
    ck_assert_uint_eq(r.nerrors, 0);
    ck_assert_uint_eq(r.ev[0].raw_len, line_len);
    ck_assert(memcmp(r.ev[0].raw, s, line_len) == 0);
    /* printed is the same string, re-quoted: same length, same bytes */
    ck_assert_uint_eq(strlen(r.ev[0].printed), line_len);
    ck_assert(memcmp(r.ev[0].printed, s, line_len) == 0);
    assert_json_event(&r, 1, "{\"after\":true}");
    rec_free(&r);
    free(s);
}
END_TEST

START_TEST(ndjson_two_mib_frame_over_default_limit)
{
    size_t len, line_len;
    char *s = big_stream(&len, &line_len);
    rec_t r;
    nd_decode(s, len, 0, (plan_t){PLAN_FIXED, 4096, 0}, &r);
    ck_assert_uint_eq(r.n, 2);
    const event_t *e = assert_error_event(&r, 0, SCOPE_FRAME_OVERSIZE, 0);
    ck_assert_uint_eq(e->err.size, SCOPE_FRAME_MAX_DEFAULT + 1);
    assert_json_event(&r, 1, "{\"after\":true}");
    rec_free(&r);

    /* The same when the line arrives in one piece. */
    nd_decode(s, len, 0, (plan_t){PLAN_WHOLE, 0, 0}, &r);
    ck_assert_uint_eq(r.n, 2);
    ck_assert_uint_eq(assert_error_event(&r, 0, SCOPE_FRAME_OVERSIZE, 0)->err.size,
                      SCOPE_FRAME_MAX_DEFAULT + 1);
    rec_free(&r);
    free(s);
}
END_TEST

/* ---- length-prefixed tests --------------------------------------------- */

typedef struct {
    const char *p;
    size_t len;
} blob_t;

static char *build_lenframes(const blob_t *b, size_t n, size_t *len)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += 4 + b[i].len;
    char *s = malloc(total ? total : 1), *p = s;
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(scope_lenframe_header((unsigned char *)p, b[i].len), 0);
        if (b[i].len)
            memcpy(p + 4, b[i].p, b[i].len);
        p += 4 + b[i].len;
    }
    *len = total;
    return s;
}

static void assert_frame_event(const rec_t *r, size_t i, const char *p, size_t len)
{
    ck_assert_uint_lt(i, r->n);
    ck_assert_msg(!r->ev[i].is_err, "event %zu is an error", i);
    ck_assert_uint_eq(r->ev[i].raw_len, len);
    ck_assert(len == 0 || memcmp(r->ev[i].raw, p, len) == 0);
}

static char all_bytes[256];
static char big_payload[3000];

static void fill_payloads(void)
{
    for (size_t i = 0; i < sizeof all_bytes; i++)
        all_bytes[i] = (char)i;
    for (size_t i = 0; i < sizeof big_payload; i++)
        big_payload[i] = (char)(i * 7 % 251);
}

static size_t mixed_blobs(blob_t *b)
{
    fill_payloads();
    size_t n = 0;
    b[n++] = (blob_t){"hello", 5};
    b[n++] = (blob_t){"", 0};
    b[n++] = (blob_t){"{\"json\":\"too\"}\n", 15};
    b[n++] = (blob_t){"\0\0\0\0", 4}; /* looks like a zero-length header */
    b[n++] = (blob_t){"\0\0\0\x05xy\0z", 8};
    b[n++] = (blob_t){all_bytes, sizeof all_bytes};
    b[n++] = (blob_t){"", 0};
    b[n++] = (blob_t){"你好，世界", strlen("你好，世界")};
    b[n++] = (blob_t){big_payload, sizeof big_payload};
    b[n++] = (blob_t){"x", 1};
    return n;
}

START_TEST(lenframe_many_frames_byte_at_a_time)
{
    blob_t b[16];
    size_t nb = mixed_blobs(b), len;
    char *s = build_lenframes(b, nb, &len);
    rec_t whole, bytes;
    lf_decode(s, len, 0, (plan_t){PLAN_WHOLE, 0, 0}, &whole);
    ck_assert_uint_eq(whole.n, nb);
    for (size_t i = 0; i < nb; i++)
        assert_frame_event(&whole, i, b[i].p, b[i].len);
    lf_decode(s, len, 0, (plan_t){PLAN_FIXED, 1, 0}, &bytes);
    rec_assert_equal(&bytes, &whole, "byte at a time");
    rec_free(&bytes);
    rec_free(&whole);
    free(s);
}
END_TEST

START_TEST(lenframe_many_frames_every_split)
{
    blob_t b[16];
    size_t nb = mixed_blobs(b), len;
    char *s = build_lenframes(b, nb, &len);
    rec_t whole;
    assert_chunking_invariant(lf_decode, s, len, 0, &whole);
    ck_assert_uint_eq(whole.n, nb);
    ck_assert_uint_eq(whole.nerrors, 0);
    rec_free(&whole);
    free(s);
}
END_TEST

START_TEST(lenframe_zero_length_frames)
{
    const char s[] = "\0\0\0\0\0\0\0\0\0\0\0\x02hi\0\0\0\0";
    rec_t whole;
    assert_chunking_invariant(lf_decode, s, sizeof s - 1, 0, &whole);
    ck_assert_uint_eq(whole.n, 4);
    assert_frame_event(&whole, 0, "", 0);
    assert_frame_event(&whole, 1, "", 0);
    assert_frame_event(&whole, 2, "hi", 2);
    assert_frame_event(&whole, 3, "", 0);
    rec_free(&whole);
}
END_TEST

START_TEST(lenframe_oversize_skipped_in_sync)
{
    /* The oversize payload is full of bytes that would read as headers if
     * the decoder lost its place. */
    char junk[100];
    memset(junk, 0, sizeof junk);
    for (size_t i = 3; i < sizeof junk; i += 8)
        junk[i] = 2;
    blob_t b[] = {{"abc", 3}, {junk, sizeof junk}, {"def", 3}, {"", 0}, {junk, 17}, {"ghi", 3}};
    size_t len;
    char *s = build_lenframes(b, sizeof b / sizeof b[0], &len);
    const size_t max = 16;
    rec_t whole;
    assert_chunking_invariant(lf_decode, s, len, max, &whole);
    ck_assert_uint_eq(whole.n, 6);
    assert_frame_event(&whole, 0, "abc", 3);
    const event_t *e = assert_error_event(&whole, 1, SCOPE_FRAME_OVERSIZE, 7);
    ck_assert_uint_eq(e->err.size, sizeof junk);
    ck_assert_msg(strstr(e->err.reason, "16-byte limit") != NULL, "%s", e->err.reason);
    ck_assert_msg(strstr(e->err.reason, "skipped") != NULL, "%s", e->err.reason);
    assert_frame_event(&whole, 2, "def", 3);
    assert_frame_event(&whole, 3, "", 0);
    e = assert_error_event(&whole, 4, SCOPE_FRAME_OVERSIZE, 7 + 104 + 7 + 4);
    ck_assert_uint_eq(e->err.size, 17);
    assert_frame_event(&whole, 5, "ghi", 3);
    rec_free(&whole);
    free(s);
}
END_TEST

START_TEST(lenframe_oversize_is_not_buffered)
{
    /* A header declaring 4 GiB - 1: the decoder must skip, not allocate. */
    scope_lenframe_t d;
    rec_t r = {0};
    scope_lenframe_init(&d, 0, on_frame, on_error, &r);
    ck_assert_int_eq(scope_lenframe_feed(&d, "\xff\xff\xff\xff", 4), 0);
    char zeros[65536];
    memset(zeros, 0, sizeof zeros);
    for (int i = 0; i < 16; i++)
        ck_assert_int_eq(scope_lenframe_feed(&d, zeros, sizeof zeros), 0);
    ck_assert_uint_eq(d.cap, 0);
    ck_assert_uint_eq(r.n, 1);
    ck_assert_uint_eq(assert_error_event(&r, 0, SCOPE_FRAME_OVERSIZE, 0)->err.size, UINT32_MAX);
    ck_assert_uint_eq(d.skip_left, (uint64_t)UINT32_MAX - 16u * sizeof zeros);
    scope_lenframe_free(&d);
    rec_free(&r);
}
END_TEST

START_TEST(lenframe_whole_frames_are_not_copied)
{
    const char s[] = "\0\0\0\x03one\0\0\0\x03two\0\0\0\x05thr";
    rec_t r = {0};
    scope_lenframe_t d;
    scope_lenframe_init(&d, 0, on_frame, on_error, &r);
    ck_assert_int_eq(scope_lenframe_feed(&d, s, sizeof s - 1), 0);
    ck_assert_uint_eq(r.n, 2);
    ck_assert_ptr_eq(r.ev[0].ptr, s + 4);
    ck_assert_ptr_eq(r.ev[1].ptr, s + 11);
    ck_assert_int_eq(scope_lenframe_feed(&d, "ee", 2), 0);
    assert_frame_event(&r, 2, "three", 5);
    scope_lenframe_free(&d);
    rec_free(&r);
}
END_TEST

START_TEST(lenframe_header_round_trip)
{
    unsigned char h[4];
    ck_assert_int_eq(scope_lenframe_header(h, 0x01020304u), 0);
    ck_assert(h[0] == 1 && h[1] == 2 && h[2] == 3 && h[3] == 4);

    const size_t lens[] = {0, 1, 255, 256, 65535, 65536, 0x00abcdefu, 0x7fffffffu, UINT32_MAX};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        ck_assert_int_eq(scope_lenframe_header(h, lens[i]), 0);
        uint32_t back = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
        ck_assert_uint_eq(back, lens[i]);

        /* and the decoder reads the same length back (skipping it if large) */
        scope_lenframe_t d;
        rec_t r = {0};
        scope_lenframe_init(&d, 300, on_frame, on_error, &r);
        ck_assert_int_eq(scope_lenframe_feed(&d, (const char *)h, 4), 0);
        if (lens[i] == 0) {
            assert_frame_event(&r, 0, "", 0);
        } else if (lens[i] > 300) {
            ck_assert_uint_eq(assert_error_event(&r, 0, SCOPE_FRAME_OVERSIZE, 0)->err.size,
                              lens[i]);
        } else {
            ck_assert_uint_eq(r.n, 0);
            ck_assert_uint_eq(d.want, lens[i]);
        }
        scope_lenframe_free(&d);
        rec_free(&r);
    }
#if SIZE_MAX > UINT32_MAX
    memset(h, 0xaa, sizeof h);
    ck_assert_int_eq(scope_lenframe_header(h, (size_t)UINT32_MAX + 1), -EMSGSIZE);
    ck_assert_int_eq(scope_lenframe_header(h, SIZE_MAX), -EMSGSIZE);
#endif
}
END_TEST

START_TEST(lenframe_binary_payloads_with_nul)
{
    fill_payloads();
    blob_t b[] = {{"\0", 1},
                  {"\0\0\0\0\0\0\0\0", 8},
                  {all_bytes, sizeof all_bytes},
                  {"a\0b\0c", 5},
                  {all_bytes + 250, 6}};
    const size_t nb = sizeof b / sizeof b[0];
    size_t len;
    char *s = build_lenframes(b, nb, &len);
    rec_t whole;
    assert_chunking_invariant(lf_decode, s, len, 256, &whole);
    ck_assert_uint_eq(whole.n, nb);
    for (size_t i = 0; i < nb; i++)
        assert_frame_event(&whole, i, b[i].p, b[i].len);
    rec_free(&whole);
    free(s);
}
END_TEST

/* ---- main ------------------------------------------------------------- */

/* ---- the one-pass parser of plain lines ------------------------------- */

/* a and b are the same tree, item by item: types, numbers to the bit,
 * strings, keys, and the links (a container's first child's prev is its
 * last, as cJSON's parser leaves it). */
static void assert_same_tree(const cJSON *a, const cJSON *b, const char *line)
{
    ck_assert_msg(a->type == b->type, "%s: type %d, cJSON's %d", line, a->type, b->type);
    ck_assert_msg(a->valueint == b->valueint, "%s: valueint %d, cJSON's %d", line, a->valueint,
                  b->valueint);
    ck_assert_msg(memcmp(&a->valuedouble, &b->valuedouble, sizeof(double)) == 0,
                  "%s: valuedouble %g, cJSON's %g", line, a->valuedouble, b->valuedouble);
    ck_assert_msg((a->valuestring == NULL) == (b->valuestring == NULL) &&
                      (!a->valuestring || strcmp(a->valuestring, b->valuestring) == 0),
                  "%s: a string differs", line);
    ck_assert_msg((a->string == NULL) == (b->string == NULL) &&
                      (!a->string || strcmp(a->string, b->string) == 0),
                  "%s: a key differs", line);
    const cJSON *x = a->child, *y = b->child;
    ck_assert_msg((x == NULL) == (y == NULL), "%s: children differ", line);
    if (x)
        ck_assert_msg((x->prev == NULL) == (y->prev == NULL), "%s: first child's prev", line);
    const cJSON *last_x = NULL;
    for (; x && y; x = x->next, y = y->next) {
        if (last_x)
            ck_assert_msg(x->prev == last_x, "%s: prev link", line);
        assert_same_tree(x, y, line);
        last_x = x;
    }
    ck_assert_msg(x == NULL && y == NULL, "%s: number of children differs", line);
    if (last_x)
        ck_assert_msg(a->child->prev == last_x, "%s: first child's prev is not the last", line);
}

static void on_tree(void *arg, cJSON *value, const char *line, size_t len)
{
    int *seen = arg;
    char *copy = dup_bytes(line, len);
    cJSON *want = cJSON_ParseWithLength(copy, len);
    ck_assert_ptr_nonnull(want);
    assert_same_tree(value, want, copy);
    cJSON_Delete(want);
    free(copy);
    (*seen)++;
}

START_TEST(ndjson_values_are_the_trees_cjson_builds)
{
    /* Plain lines (the one-pass parser) and lines it leaves to cJSON
     * (escapes, fractions, exponents, 16 digits, deep nesting, a BOM): every
     * value must be the tree cJSON_Parse builds from the same line. */
    static const char *lines[] = {
        "{\"type\":\"ping\",\"id\":12,\"pad\":\"xxxxxxxx\"}",
        " { \"a\" : [ 1 , -2 , 0 , -0 , 999999999999999 , -999999999999999 ] } \t",
        "{\"t\":true,\"f\":false,\"n\":null,\"e\":{},\"l\":[],\"s\":\"\"}",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        "{\"dup\":1,\"dup\":2}",
        "{\"utf8\":\"caf\xc3\xa9 \xe4\xb8\xad\",\"del\":\"\x7f\"}",
        "2147483647",
        "2147483648",
        "-2147483649",
        "1234567890123456",
        "0.5",
        "1e3",
        "-1.5E-7",
        "\"esc\\n\\\"\\u00e9\"",
        "{\"k\\u0041\":1}",
        "\xef\xbb\xbf{\"bom\":1}",
        "true",
        "null",
        "[false]",
    };
    char stream[4096] = "";
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        strcat(stream, lines[i]);
        strcat(stream, "\n");
    }
    int seen = 0;
    scope_ndjson_t d;
    scope_ndjson_init(&d, 0, on_tree, NULL, &seen);
    ck_assert_int_eq(scope_ndjson_feed(&d, stream, strlen(stream)), 0);
    scope_ndjson_free(&d);
    ck_assert_int_eq(seen, (int)(sizeof lines / sizeof lines[0]));
}
END_TEST

START_TEST(ndjson_plain_lines_refuse_what_json_parse_refuses)
{
    /* What the one-pass parser must not take: each line goes the long way
     * and is refused there, with its reason and position. */
    static const char *bad[] = {
        "{\"a\":01}", "{\"a\":-}", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "{\"a\":tru}",
        "{\"a\":nulll}", "{\"a\":\"x\x01\"}", "{\"a\":1}x", "{a:1}", "[1,\x01 2]", "{\"a\":\"open}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rec_t r = {0};
        scope_ndjson_t d;
        scope_ndjson_init(&d, 0, on_json, on_error, &r);
        char line[64];
        snprintf(line, sizeof line, "%s\n", bad[i]);
        ck_assert_int_eq(scope_ndjson_feed(&d, line, strlen(line)), 0);
        ck_assert_msg(r.nerrors == 1 && r.nframes == 0, "%s was taken", bad[i]);
        ck_assert_int_eq(r.ev[0].err.kind, SCOPE_FRAME_MALFORMED);
        scope_ndjson_free(&d);
        rec_free(&r);
    }
}
END_TEST

static Suite *framing_suite(void)
{
    Suite *s = suite_create("framing");
    TCase *nd = tcase_create("ndjson");
    tcase_set_timeout(nd, 120);
    tcase_add_test(nd, ndjson_many_frames_byte_at_a_time);
    tcase_add_test(nd, ndjson_many_frames_every_split_and_random_chunks);
    tcase_add_test(nd, ndjson_complete_lines_are_not_copied);
    tcase_add_test(nd, ndjson_oversize_reported_once_then_resumes);
    tcase_add_test(nd, ndjson_oversize_byte_at_a_time_bounded);
    tcase_add_test(nd, ndjson_limit_boundary);
    tcase_add_test(nd, ndjson_malformed_offset_and_where);
    tcase_add_test(nd, ndjson_trailing_garbage_is_malformed);
    tcase_add_test(nd, ndjson_refuses_what_json_parse_refuses);
    tcase_add_test(nd, ndjson_refuses_numbers_and_bytes_json_parse_refuses);
    tcase_add_test(nd, ndjson_blank_lines);
    tcase_add_test(nd, ndjson_values_are_the_trees_cjson_builds);
    tcase_add_test(nd, ndjson_plain_lines_refuse_what_json_parse_refuses);
    tcase_add_test(nd, ndjson_crlf_line_endings);
    tcase_add_test(nd, ndjson_no_error_callback);
    tcase_add_test(nd, ndjson_two_mib_frame_under_four_mib_limit);
    tcase_add_test(nd, ndjson_two_mib_frame_over_default_limit);
    suite_add_tcase(s, nd);

    TCase *lf = tcase_create("lenframe");
    tcase_set_timeout(lf, 120);
    tcase_add_test(lf, lenframe_many_frames_byte_at_a_time);
    tcase_add_test(lf, lenframe_many_frames_every_split);
    tcase_add_test(lf, lenframe_zero_length_frames);
    tcase_add_test(lf, lenframe_oversize_skipped_in_sync);
    tcase_add_test(lf, lenframe_oversize_is_not_buffered);
    tcase_add_test(lf, lenframe_whole_frames_are_not_copied);
    tcase_add_test(lf, lenframe_header_round_trip);
    tcase_add_test(lf, lenframe_binary_payloads_with_nul);
    suite_add_tcase(s, lf);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(framing_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
