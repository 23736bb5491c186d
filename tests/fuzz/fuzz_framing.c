/* libFuzzer target for lib/framing.c: both decoders, fed the same bytes whole
 * and in chunks, checked against each other and against a plain model.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib -I/usr/include/cjson \
 *       tests/fuzz/fuzz_framing.c lib/framing.c -lcjson -lm -o fuzz_framing
 *   ./fuzz_framing -max_total_time=60 corpus_dir/
 *
 * Input layout: byte 0 is max_frame (0 means the 1 MiB default, anything else
 * a tiny limit so that oversize frames are common), byte 1 the largest chunk
 * size minus one, bytes 2-3 seed the generator of chunk sizes; the rest is the
 * stream. So the fuzzer steers both the bytes and where read() cuts them.
 *
 * What must hold:
 *   - the events (frames and errors, with bytes, offsets, sizes) are the same
 *     whether the stream is fed whole or chunked;
 *   - NDJSON: exactly one event per '\n' (plus one when an unfinished last
 *     line is already too long), each agreeing with a line-by-line model
 *     (json_line.h: what JSON.parse would take, as far as cJSON tells), and
 *     the value handed out prints as the one cJSON parses from the line; a
 *     line inside a chunk is handed out in place; pending never exceeds
 *     max_frame + 1 and at the end equals the unfinished tail;
 *   - length prefix: the events are those of a straightforward walk over the
 *     headers, and whole frames are handed out in place.
 * A violation aborts, which libFuzzer reports as a crash.
 */
#include "framing.h"
#include "json_line.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

typedef struct {
    int kind; /* 0: frame, else a scope_frame_error_kind_t */
    uint64_t offset, size, where;
    uint64_t hash; /* FNV-1a of the frame's bytes */
    const char *ptr;
} event_t;

typedef struct {
    event_t *ev;
    size_t n, cap;
} rec_t;

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static event_t *push(rec_t *r)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->ev = realloc(r->ev, r->cap * sizeof *r->ev);
        CHECK(r->ev != NULL);
    }
    event_t *e = &r->ev[r->n++];
    memset(e, 0, sizeof *e);
    return e;
}

static void on_json(void *arg, cJSON *value, const char *line, size_t len)
{
    CHECK(value != NULL);
    /* lib/framing parses most lines with a parser of its own: its tree must
     * be cJSON's (printed alike: every string, key, number, -0 included). */
    cJSON *model = json_line_parse(line, len);
    CHECK(model != NULL);
    char *ours = cJSON_PrintUnformatted(value), *theirs = cJSON_PrintUnformatted(model);
    CHECK(ours && theirs && strcmp(ours, theirs) == 0);
    cJSON_free(ours);
    cJSON_free(theirs);
    cJSON_Delete(model);
    event_t *e = push(arg);
    e->size = len;
    e->hash = fnv1a(line, len);
    e->ptr = line;
}

static void on_frame(void *arg, const char *frame, size_t len)
{
    CHECK(frame != NULL);
    event_t *e = push(arg);
    e->size = len;
    e->hash = fnv1a(frame, len);
    e->ptr = frame;
}

static void on_error(void *arg, const scope_frame_error_t *err)
{
    CHECK(memchr(err->reason, '\0', sizeof err->reason) != NULL);
    event_t *e = push(arg);
    e->kind = (int)err->kind;
    e->offset = err->offset;
    e->size = err->size;
    e->where = err->where;
}

static void same_events(const rec_t *a, const rec_t *b)
{
    CHECK(a->n == b->n);
    for (size_t i = 0; i < a->n; i++) {
        const event_t *x = &a->ev[i], *y = &b->ev[i];
        CHECK(x->kind == y->kind);
        CHECK(x->offset == y->offset);
        CHECK(x->size == y->size);
        CHECK(x->where == y->where);
        CHECK(x->hash == y->hash);
    }
}

typedef struct {
    size_t max_chunk;
    uint32_t rng;
} chunker_t;

static size_t next_chunk(chunker_t *c, size_t left)
{
    uint32_t x = c->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c->rng = x;
    size_t n = 1 + x % c->max_chunk;
    return n < left ? n : left;
}

/* ---- NDJSON ---------------------------------------------------------- */

/* What the decoder must say about one complete line, judged on its own. */
static void check_line(const event_t *e, const char *line, size_t raw, uint64_t off, size_t max,
                       int whole)
{
    size_t len = raw;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > max) {
        CHECK(e->kind == SCOPE_FRAME_OVERSIZE);
        CHECK(e->offset == off);
        CHECK(e->size == (uint64_t)max + 1);
        return;
    }
    if (json_line_blank(line, len)) {
        CHECK(e->kind == SCOPE_FRAME_BLANK);
        CHECK(e->offset == off);
        CHECK(e->size == len);
        return;
    }
    cJSON *v = json_line_parse(line, len);
    int ok = v != NULL;
    cJSON_Delete(v);
    if (ok) {
        CHECK(e->kind == 0);
        CHECK(e->size == len);
        CHECK(e->hash == fnv1a(line, len));
        if (whole)
            CHECK(e->ptr == line); /* parsed in place, not copied */
    } else {
        CHECK(e->kind == SCOPE_FRAME_MALFORMED);
        CHECK(e->offset == off);
        CHECK(e->size == len);
        CHECK(e->where < len);
    }
}

static void ndjson_run(const char *s, size_t n, size_t max_frame, chunker_t ch)
{
    const size_t max = max_frame ? max_frame : SCOPE_FRAME_MAX_DEFAULT;
    rec_t whole = {0}, chunked = {0};
    scope_ndjson_t d;

    scope_ndjson_init(&d, max_frame, on_json, on_error, &whole);
    CHECK(scope_ndjson_feed(&d, s, n) == 0);
    size_t whole_pending = scope_ndjson_pending(&d);
    CHECK(whole_pending <= max + 1);
    scope_ndjson_free(&d);

    scope_ndjson_init(&d, max_frame, on_json, on_error, &chunked);
    for (size_t pos = 0; pos < n;) {
        size_t k = next_chunk(&ch, n - pos);
        char *chunk = malloc(k); /* exact size, so over-reads are caught */
        CHECK(chunk != NULL);
        memcpy(chunk, s + pos, k);
        CHECK(scope_ndjson_feed(&d, chunk, k) == 0);
        free(chunk);
        CHECK(scope_ndjson_pending(&d) <= max + 1);
        pos += k;
    }
    CHECK(scope_ndjson_pending(&d) == whole_pending);
    scope_ndjson_free(&d);

    same_events(&whole, &chunked);

    /* Walk the lines and hold each event to the model. */
    size_t k = 0, start = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\n')
            continue;
        CHECK(k < whole.n);
        check_line(&whole.ev[k], s + start, i - start, start, max, 1);
        k++;
        start = i + 1;
    }
    size_t tail = n - start;
    if (k == whole.n) {
        CHECK(whole_pending == tail); /* an unfinished line, still in range */
    } else {
        /* The unfinished last line was already too long: reported, dropped. */
        CHECK(k + 1 == whole.n);
        CHECK(whole.ev[k].kind == SCOPE_FRAME_OVERSIZE);
        CHECK(whole.ev[k].offset == start);
        CHECK(whole_pending == 0);
        CHECK(tail > max);
    }

    free(whole.ev);
    free(chunked.ev);
}

/* ---- length prefix --------------------------------------------------- */

static void lenframe_run(const char *s, size_t n, size_t max_frame, chunker_t ch)
{
    const size_t max = max_frame ? max_frame : SCOPE_FRAME_MAX_DEFAULT;
    rec_t whole = {0}, chunked = {0};
    scope_lenframe_t d;

    scope_lenframe_init(&d, max_frame, on_frame, on_error, &whole);
    CHECK(scope_lenframe_feed(&d, s, n) == 0);
    CHECK(d.offset == n);
    scope_lenframe_free(&d);

    scope_lenframe_init(&d, max_frame, on_frame, on_error, &chunked);
    for (size_t pos = 0; pos < n;) {
        size_t k = next_chunk(&ch, n - pos);
        char *chunk = malloc(k);
        CHECK(chunk != NULL);
        memcpy(chunk, s + pos, k);
        CHECK(scope_lenframe_feed(&d, chunk, k) == 0);
        free(chunk);
        CHECK(d.len <= max);
        pos += k;
    }
    CHECK(d.offset == n);
    scope_lenframe_free(&d);

    same_events(&whole, &chunked);

    /* The model: walk header to header. */
    size_t k = 0, pos = 0;
    while (n - pos >= 4) {
        const unsigned char *h = (const unsigned char *)s + pos;
        uint64_t want = (uint64_t)h[0] << 24 | (uint64_t)h[1] << 16 | (uint64_t)h[2] << 8 | h[3];
        unsigned char back[4];
        CHECK(scope_lenframe_header(back, (size_t)want) == 0);
        CHECK(memcmp(back, h, 4) == 0);
        if (want > max) {
            CHECK(k < whole.n);
            CHECK(whole.ev[k].kind == SCOPE_FRAME_OVERSIZE);
            CHECK(whole.ev[k].offset == pos);
            CHECK(whole.ev[k].size == want);
            k++;
        } else if (want <= n - pos - 4) {
            CHECK(k < whole.n);
            CHECK(whole.ev[k].kind == 0);
            CHECK(whole.ev[k].size == want);
            CHECK(whole.ev[k].hash == fnv1a(s + pos + 4, (size_t)want));
            if (want > 0)
                CHECK(whole.ev[k].ptr == s + pos + 4); /* handed out in place */
            k++;
        } else {
            break; /* unfinished frame */
        }
        if (want > n - pos - 4)
            break;
        pos += 4 + (size_t)want;
    }
    CHECK(k == whole.n);

    free(whole.ev);
    free(chunked.ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    size_t max_frame = data[0];
    chunker_t ch = {(size_t)data[1] + 1, ((uint32_t)data[2] << 8 | data[3]) | 0x10000u};
    const char *s = (const char *)data + 4;
    size_t n = size - 4;

    ndjson_run(s, n, max_frame, ch);
    lenframe_run(s, n, max_frame, ch);
    return 0;
}
