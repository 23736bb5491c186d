/* framing: the two incremental frame decoders declared in framing.h.
 *
 * Both decoders turn read()-sized chunks into whole frames with as little
 * copying as possible: a frame that lies entirely inside the chunk being fed is
 * handed out straight from that chunk, and only a frame cut by the end of a
 * chunk is carried over in the decoder's own buffer. That buffer is bounded by
 * the frame limit (max_frame + 1 bytes for NDJSON, max_frame for the length
 * prefix), so a peer that never ends a line or lies about a length cannot make
 * us allocate without bound: the frame is reported once and its bytes are
 * dropped as they arrive.
 *
 * Every event depends only on the bytes of the stream, never on how they were
 * chunked: an oversize NDJSON line is always reported with size max_frame + 1,
 * whether its newline came in the same chunk or a megabyte later.
 *
 * Callbacks run inside feed and must not call feed or free on the same decoder
 * (the decoder is mid-way through its state update while they run). The
 * decoders hold no global state, so separate decoders may run on separate
 * threads; that is also why the error position comes from the parse-end
 * pointer of cJSON_ParseWithLengthOpts and never from cJSON_GetErrorPtr.
 */
#include "framing.h"

#define SCOPE_STR_(x) #x
#define SCOPE_STR(x) SCOPE_STR_(x)

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A buffer grown past this for one big frame is released once that frame is
 * done, so an idle connection that once carried a 1 MiB message does not pin
 * 1 MiB for the rest of its life. Below it, the buffer is kept: small frames
 * are the common case and re-allocating for each would be waste. */
#define KEEP_BUF_MAX (64u * 1024u)

/* Large enough that max_frame + 2 and doubling a capacity can never wrap. */
#define MAX_FRAME_CAP (SIZE_MAX / 4)

static size_t effective_max(size_t max_frame)
{
    if (max_frame == 0)
        return SCOPE_FRAME_MAX_DEFAULT;
    return max_frame > MAX_FRAME_CAP ? MAX_FRAME_CAP : max_frame;
}

/* Grows *buf to hold at least need bytes (need <= limit). Doubling keeps a
 * line that arrives one byte at a time linear in its length. */
static int reserve(char **buf, size_t *cap, size_t need, size_t limit)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 256;
    while (ncap < need)
        ncap *= 2;
    if (ncap > limit)
        ncap = limit;
    char *nb = realloc(*buf, ncap);
    if (nb == NULL)
        return -ENOMEM;
    *buf = nb;
    *cap = ncap;
    return 0;
}

static void release_if_big(char **buf, size_t *cap)
{
    if (*cap > KEEP_BUF_MAX) {
        free(*buf);
        *buf = NULL;
        *cap = 0;
    }
}

/* JSON's own whitespace (RFC 8259). cJSON is laxer (it skips every byte up to
 * 0x20), but a line is only "blank" or "only whitespace after the value" in
 * the sense a strict JSON reader on the other end would agree with. */
static int is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t skip_space(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && is_json_space(s[i]))
        i++;
    return i;
}

/* ---- NDJSON ---------------------------------------------------------- */

void scope_ndjson_init(scope_ndjson_t *d, size_t max_frame, scope_ndjson_cb on_json,
                       scope_frame_error_cb on_error, void *arg)
{
    memset(d, 0, sizeof *d);
    d->max_frame = effective_max(max_frame);
    d->on_json = on_json;
    d->on_error = on_error;
    d->arg = arg;
}

void scope_lines_init(scope_ndjson_t *d, size_t max_frame, scope_ndjson_cb on_line,
                      scope_frame_error_cb on_error, void *arg)
{
    scope_ndjson_init(d, max_frame, on_line, on_error, arg);
    d->raw = 1;
}

static void ndjson_error_why(scope_ndjson_t *d, scope_frame_error_kind_t kind, uint64_t size,
                             uint64_t where, const char *why);

static void ndjson_error(scope_ndjson_t *d, scope_frame_error_kind_t kind, uint64_t size,
                         uint64_t where)
{
    ndjson_error_why(d, kind, size, where, NULL);
}

static void ndjson_error_why(scope_ndjson_t *d, scope_frame_error_kind_t kind, uint64_t size,
                             uint64_t where, const char *why)
{
    if (d->on_error == NULL)
        return;
    scope_frame_error_t e;
    memset(&e, 0, sizeof e);
    e.kind = kind;
    e.offset = d->offset;
    e.size = size;
    e.where = where;
    switch (kind) {
    case SCOPE_FRAME_OVERSIZE:
        snprintf(e.reason, sizeof e.reason,
                 "line at stream offset %" PRIu64 " is longer than the %zu-byte limit;"
                 " skipped up to its newline",
                 d->offset, d->max_frame);
        break;
    case SCOPE_FRAME_MALFORMED:
        snprintf(e.reason, sizeof e.reason,
                 "malformed JSON at byte %" PRIu64 " of a %" PRIu64 "-byte line"
                 " (line starts at stream offset %" PRIu64 ")%s%s",
                 where, size, d->offset, why ? ": " : "", why ? why : "");
        break;
    case SCOPE_FRAME_BLANK:
        snprintf(e.reason, sizeof e.reason,
                 "blank line (%" PRIu64 " bytes of whitespace) at stream offset %" PRIu64, size,
                 d->offset);
        break;
    }
    d->on_error(d->arg, &e);
}

/* The size of an oversize line is reported as max_frame + 1 whatever its true
 * length: in a chunked stream the report is made as soon as the limit is
 * crossed, before the rest of the line has been seen, and a size that depended
 * on chunking would make the same stream report differently. */
static void ndjson_oversize(scope_ndjson_t *d)
{
    ndjson_error(d, SCOPE_FRAME_OVERSIZE, (uint64_t)d->max_frame + 1, 0);
}

/* An unfinished line of raw length n (no '\n' yet) whose last byte is last is
 * already known to be too long when no ending can bring it back under the
 * limit. A final '\r' may still be the first half of "\r\n", which is not part
 * of the line, hence the one byte of slack (and the max_frame + 1 buffer). */
static int partial_too_long(const scope_ndjson_t *d, size_t n, char last)
{
    return n > d->max_frame + 1 || (n == d->max_frame + 1 && last != '\r');
}

/* isdigit() without the locale: it looks its table up through a call, for
 * every byte of every number of every line. */
static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Where a number that starts at s[0] ('-' or a digit) ends, as JSON writes
 * numbers: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?. Returns its length,
 * or 0 if it breaks that grammar where strtod (and so cJSON) would go on:
 * "01", "-01", "1.", "-.5", "1.e5", "1e". */
static size_t json_number_length(const char *s, size_t len)
{
    size_t i = s[0] == '-';
    if (i >= len || !is_digit(s[i]))
        return 0;
    if (s[i] == '0' && i + 1 < len && is_digit(s[i + 1]))
        return 0; /* a leading zero */
    while (i < len && is_digit(s[i]))
        i++;
    if (i < len && s[i] == '.') {
        if (++i >= len || !is_digit(s[i]))
            return 0;
        while (i < len && is_digit(s[i]))
            i++;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i += i + 1 < len && (s[i + 1] == '+' || s[i + 1] == '-');
        if (++i >= len || !is_digit(s[i]))
            return 0;
        while (i < len && is_digit(s[i]))
            i++;
    }
    return i;
}

/* What cJSON would take but JSON.parse refuses, checked before parsing so
 * the reason names it: a raw control character inside a string (JSON wants
 * it escaped) or between tokens (where only space, tab, CR and LF are
 * whitespace; cJSON skips any byte up to 32), a number outside JSON's
 * grammar (strtod reads "01" and "1."), and nesting deeper than cJSON's
 * limit (which it reports as a parse error at the byte where it gave up).
 * Returns NULL when the line may be parsed, else the reason, with *where the
 * byte. */
static const char *json_precheck(const char *line, size_t len, size_t *where)
{
    int depth = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        *where = i;
        if (c == '"') {
            /* Strings are most of a line's bytes: they get a loop of their own. */
            for (i++; i < len && line[i] != '"'; i++) {
                if (line[i] == '\\') {
                    i++; /* the escaped byte is the escape's business */
                } else if ((unsigned char)line[i] < 0x20) {
                    *where = i;
                    return "a raw control character inside a string (JSON.parse refuses it)";
                }
            }
        } else if (c < 0x20 && !is_json_space((char)c)) {
            return "a control character between tokens (JSON.parse refuses it)";
        } else if (c == '-' || is_digit((char)c)) {
            size_t n = json_number_length(line + i, len - i);
            if (n == 0)
                return "a number JSON does not allow (a leading zero, or a '.' or exponent "
                       "without digits)";
            i += n - 1;
        } else if (c == '[' || c == '{') {
            if (++depth > CJSON_NESTING_LIMIT)
                return "nested deeper than " SCOPE_STR(CJSON_NESTING_LIMIT) " levels";
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return NULL;
}

/* ---- the common line, parsed in one pass -------------------------------- */

/* Most lines are small objects of plain strings and integers, such as
 * {"type":"ping","id":12,"pad":"xxx"}. cJSON parses one for about 3,300
 * instructions, a third of them in strtod, localeconv and trying each value
 * as "null", "true" and "false" with strncmp, after json_precheck has walked
 * the line once already. The parser below builds the very tree cJSON would
 * (the same items, strings, numbers and links: tests/unit/test_framing.c
 * compares them) in one pass, but only for lines in strict JSON whose strings
 * have no escape and whose numbers are integers of at most 15 digits, nested
 * at most PLAIN_DEPTH deep. On anything else it gives up (NULL), and the line
 * goes the long way, json_precheck and cJSON, which also tell where a bad
 * line is bad. */
#define PLAIN_DEPTH 32

typedef struct {
    const char *p, *end;
    int depth;
} plain_t;

static cJSON *plain_value(plain_t *in);

static void plain_space(plain_t *in)
{
    while (in->p < in->end && is_json_space(*in->p))
        in->p++;
}

static int plain_at(plain_t *in, char c)
{
    return in->p < in->end && *in->p == c;
}

/* A string with no escape and no control byte, copied as cJSON copies it
 * (with cJSON's allocator: cJSON_Delete frees it). in->p is at its '"'. */
static char *plain_string(plain_t *in)
{
    const char *s = ++in->p;
    while (in->p < in->end && *in->p != '"') {
        if (*in->p == '\\' || (unsigned char)*in->p < 0x20)
            return NULL;
        in->p++;
    }
    if (in->p == in->end)
        return NULL;
    size_t n = (size_t)(in->p++ - s);
    char *copy = cJSON_malloc(n + 1);
    if (copy) {
        memcpy(copy, s, n);
        copy[n] = '\0';
    }
    return copy;
}

/* -?(0|[1-9][0-9]*) of at most 15 digits: a double that strtod would give
 * exactly, "-0" included (as -0.0). */
static cJSON *plain_number(plain_t *in)
{
    int negative = *in->p == '-';
    in->p += negative;
    const char *digits = in->p;
    long long v = 0;
    while (in->p < in->end && is_digit(*in->p) && in->p - digits < 16)
        v = v * 10 + (*in->p++ - '0');
    size_t n = (size_t)(in->p - digits);
    if (n == 0 || n > 15 || (n > 1 && digits[0] == '0'))
        return NULL;
    if (in->p < in->end && (*in->p == '.' || *in->p == 'e' || *in->p == 'E'))
        return NULL;
    double d = (double)v;
    return cJSON_CreateNumber(negative ? -d : d);
}

static cJSON *plain_word(plain_t *in)
{
    size_t left = (size_t)(in->end - in->p);
    cJSON *item = NULL;
    if (left >= 4 && memcmp(in->p, "null", 4) == 0) {
        item = cJSON_CreateNull();
        in->p += 4;
    } else if (left >= 4 && memcmp(in->p, "true", 4) == 0) {
        item = cJSON_CreateTrue();
        if (item)
            item->valueint = 1; /* as cJSON's parser sets it */
        in->p += 4;
    } else if (left >= 5 && memcmp(in->p, "false", 5) == 0) {
        item = cJSON_CreateFalse();
        in->p += 5;
    }
    return item;
}

/* An object or an array: in->p is at its '{' or '['. Members are appended
 * as cJSON's parser links them; an object member's key is its string. */
static cJSON *plain_container(plain_t *in)
{
    int object = *in->p == '{';
    char close = object ? '}' : ']';
    cJSON *c = object ? cJSON_CreateObject() : cJSON_CreateArray();
    if (!c || ++in->depth > PLAIN_DEPTH)
        goto fail;
    in->p++;
    plain_space(in);
    if (plain_at(in, close)) {
        in->p++;
        in->depth--;
        return c;
    }
    for (;;) {
        char *key = NULL;
        if (object) {
            if (!plain_at(in, '"') || !(key = plain_string(in)))
                goto fail;
            plain_space(in);
            if (!plain_at(in, ':')) {
                cJSON_free(key);
                goto fail;
            }
            in->p++;
            plain_space(in);
        }
        cJSON *member = plain_value(in);
        if (!member) {
            cJSON_free(key);
            goto fail;
        }
        member->string = key;
        cJSON_AddItemToArray(c, member); /* appends, and leaves the key as it is */
        plain_space(in);
        if (plain_at(in, ',')) {
            in->p++;
            plain_space(in);
        } else if (plain_at(in, close)) {
            in->p++;
            in->depth--;
            return c;
        } else {
            goto fail;
        }
    }
fail:
    cJSON_Delete(c);
    return NULL;
}

static cJSON *plain_value(plain_t *in)
{
    if (in->p >= in->end)
        return NULL;
    char c = *in->p;
    if (c == '"') {
        /* an item given the copy: cJSON_CreateString would copy it again */
        char *s = plain_string(in);
        cJSON *item = s ? cJSON_CreateNull() : NULL;
        if (item) {
            item->type = cJSON_String;
            item->valuestring = s;
        } else {
            cJSON_free(s);
        }
        return item;
    }
    if (c == '{' || c == '[')
        return plain_container(in);
    if (c == '-' || is_digit(c))
        return plain_number(in);
    return plain_word(in);
}

/* The line's value when it is a plain line, else NULL: the long way. */
static cJSON *plain_parse(const char *line, size_t len)
{
    plain_t in = {line, line + len, 0};
    plain_space(&in);
    cJSON *value = plain_value(&in);
    plain_space(&in);
    if (value && in.p != in.end) {
        cJSON_Delete(value);
        return NULL;
    }
    return value;
}

/* One complete line at d->offset, without its '\n'. d->offset is advanced by
 * the caller. */
static void ndjson_line(scope_ndjson_t *d, const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > d->max_frame) {
        ndjson_oversize(d);
        return;
    }
    if (d->raw) {
        if (d->on_json != NULL)
            d->on_json(d->arg, NULL, line, len);
        return;
    }
    if (skip_space(line, len) == len) {
        ndjson_error(d, SCOPE_FRAME_BLANK, len, 0);
        return;
    }
    cJSON *plain = plain_parse(line, len);
    if (plain != NULL) {
        if (d->on_json != NULL)
            d->on_json(d->arg, plain, line, len);
        cJSON_Delete(plain);
        return;
    }

    size_t at = 0;
    const char *why = json_precheck(line, len, &at);
    if (why) {
        ndjson_error_why(d, SCOPE_FRAME_MALFORMED, len, at, why);
        return;
    }
    const char *end = NULL;
    cJSON *value = cJSON_ParseWithLengthOpts(line, len, &end, 0);
    size_t where;
    if (value != NULL) {
        /* require_null_terminated is 0 because the line is not NUL-terminated
         * (it usually points into the caller's chunk); what may follow the
         * value is checked here instead. */
        size_t used = (size_t)(end - line);
        used += skip_space(end, len - used);
        if (used == len) {
            if (d->on_json != NULL)
                d->on_json(d->arg, value, line, len);
            cJSON_Delete(value);
            return;
        }
        cJSON_Delete(value);
        where = used;
    } else {
        /* cJSON points end at the byte where it gave up, or at the last byte
         * when the input ran out. An allocation failure inside cJSON also lands
         * here: it cannot be told apart, and the line is lost either way. */
        where = (end != NULL && end >= line) ? (size_t)(end - line) : 0;
        if (where >= len)
            where = len - 1;
    }
    ndjson_error(d, SCOPE_FRAME_MALFORMED, len, where);
}

/* The rest of a chunk holds no '\n': keep it as (the end of) the current line,
 * or start skipping the line if it has become too long. */
static int ndjson_hold(scope_ndjson_t *d, const char *p, size_t n)
{
    size_t total = d->len + n;
    if (partial_too_long(d, total, p[n - 1])) {
        ndjson_oversize(d);
        d->skipping = 1;
        d->skip_len = total;
        d->len = 0;
        release_if_big(&d->buf, &d->cap);
        return 0;
    }
    if (reserve(&d->buf, &d->cap, total, d->max_frame + 1) < 0) {
        /* Drop this line and resync at its newline, so the decoder stays
         * usable and later lines keep their offsets. */
        d->skipping = 1;
        d->skip_len = total;
        d->len = 0;
        return -ENOMEM;
    }
    memcpy(d->buf + d->len, p, n);
    d->len = total;
    return 0;
}

int scope_ndjson_feed(scope_ndjson_t *d, const char *data, size_t len)
{
    const char *p = data, *end = data + len;
    int rc = 0;

    if (len == 0)
        return 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));

        if (d->skipping) {
            if (nl == NULL) {
                d->skip_len += (uint64_t)(end - p);
                break;
            }
            d->skip_len += (uint64_t)(nl - p);
            d->offset += d->skip_len + 1;
            d->skipping = 0;
            d->skip_len = 0;
            p = nl + 1;
            continue;
        }

        if (nl == NULL) {
            if (ndjson_hold(d, p, (size_t)(end - p)) < 0)
                rc = -ENOMEM;
            break;
        }

        size_t n = (size_t)(nl - p);
        if (d->len == 0) {
            /* The whole line is in the chunk: parse it where it lies. */
            ndjson_line(d, p, n);
            d->offset += (uint64_t)n + 1;
        } else {
            /* Finishing a carried-over line. Only the new bytes were searched
             * for the newline, so a long line fed in small pieces costs time
             * linear in its length. */
            size_t total = d->len + n;
            if (total > d->max_frame + 1) {
                ndjson_oversize(d);
            } else if (reserve(&d->buf, &d->cap, total, d->max_frame + 1) < 0) {
                rc = -ENOMEM; /* the line is lost; the next one is intact */
            } else {
                memcpy(d->buf + d->len, p, n);
                ndjson_line(d, d->buf, total);
            }
            d->offset += (uint64_t)total + 1;
            d->len = 0;
            release_if_big(&d->buf, &d->cap);
        }
        p = nl + 1;
    }
    return rc;
}

size_t scope_ndjson_flush(scope_ndjson_t *d)
{
    if (d->skipping || d->len == 0)
        return 0;
    size_t n = d->len;
    ndjson_line(d, d->buf, n);
    d->offset += n; /* no newline to count */
    d->len = 0;
    release_if_big(&d->buf, &d->cap);
    return n;
}

size_t scope_ndjson_pending(const scope_ndjson_t *d)
{
    return d->skipping ? 0 : d->len;
}

void scope_ndjson_free(scope_ndjson_t *d)
{
    free(d->buf);
    d->buf = NULL;
    d->len = d->cap = 0;
    d->skipping = 0;
    d->skip_len = 0;
}

/* ---- 4-byte big-endian length prefix --------------------------------- */

void scope_lenframe_init(scope_lenframe_t *d, size_t max_frame, scope_lenframe_cb on_frame,
                         scope_frame_error_cb on_error, void *arg)
{
    memset(d, 0, sizeof *d);
    d->max_frame = effective_max(max_frame);
    d->on_frame = on_frame;
    d->on_error = on_error;
    d->arg = arg;
}

static void lenframe_emit(scope_lenframe_t *d, const char *frame, size_t len)
{
    if (d->on_frame != NULL)
        d->on_frame(d->arg, frame, len);
}

static void lenframe_oversize(scope_lenframe_t *d)
{
    if (d->on_error == NULL)
        return;
    scope_frame_error_t e;
    memset(&e, 0, sizeof e);
    e.kind = SCOPE_FRAME_OVERSIZE;
    e.offset = d->frame_offset;
    e.size = d->want;
    snprintf(e.reason, sizeof e.reason,
             "frame at stream offset %" PRIu64 " declares %" PRIu32
             " bytes, over the %zu-byte limit; skipped",
             d->frame_offset, d->want, d->max_frame);
    d->on_error(d->arg, &e);
}

int scope_lenframe_feed(scope_lenframe_t *d, const char *data, size_t len)
{
    const char *p = data, *end = data + len;
    int rc = 0;

    if (len == 0)
        return 0;
    while (p < end) {
        size_t avail = (size_t)(end - p);

        if (d->skip_left > 0) {
            size_t k = d->skip_left < avail ? (size_t)d->skip_left : avail;
            d->skip_left -= k;
            d->offset += k;
            p += k;
            continue;
        }

        if (d->hdr_len < 4) {
            if (d->hdr_len == 0)
                d->frame_offset = d->offset;
            size_t k = 4 - d->hdr_len < avail ? 4 - d->hdr_len : avail;
            memcpy(d->hdr + d->hdr_len, p, k);
            d->hdr_len += k;
            d->offset += k;
            p += k;
            if (d->hdr_len < 4)
                break;
            d->want = (uint32_t)d->hdr[0] << 24 | (uint32_t)d->hdr[1] << 16 |
                      (uint32_t)d->hdr[2] << 8 | (uint32_t)d->hdr[3];
            if (d->want > d->max_frame) {
                /* Skipping exactly the declared length keeps the stream in
                 * step: the next header is where the sender put it. */
                lenframe_oversize(d);
                d->skip_left = d->want;
                d->hdr_len = 0;
            } else if (d->want == 0) {
                lenframe_emit(d, "", 0);
                d->hdr_len = 0;
            }
            continue;
        }

        /* Header complete, payload of d->want bytes (0 < want <= max_frame). */
        if (d->len == 0 && avail >= d->want) {
            lenframe_emit(d, p, d->want); /* whole frame in the chunk: no copy */
            d->offset += d->want;
            p += d->want;
            d->hdr_len = 0;
            continue;
        }
        if (reserve(&d->buf, &d->cap, d->want, d->max_frame) < 0) {
            /* Skip the rest of this frame so the next header is read where it
             * is; the decoder stays usable. */
            d->skip_left = d->want - d->len;
            d->len = 0;
            d->hdr_len = 0;
            rc = -ENOMEM;
            continue;
        }
        size_t need = d->want - d->len;
        size_t k = need < avail ? need : avail;
        memcpy(d->buf + d->len, p, k);
        d->len += k;
        d->offset += k;
        p += k;
        if (d->len == d->want) {
            lenframe_emit(d, d->buf, d->len);
            d->len = 0;
            d->hdr_len = 0;
            release_if_big(&d->buf, &d->cap);
        }
    }
    return rc;
}

void scope_lenframe_free(scope_lenframe_t *d)
{
    free(d->buf);
    d->buf = NULL;
    d->len = d->cap = 0;
    d->hdr_len = 0;
    d->skip_left = 0;
}

int scope_lenframe_header(unsigned char out[4], size_t len)
{
    /* The cast keeps the comparison meaningful (and warning-free) where
     * size_t is itself 32 bits. */
    if ((uint64_t)len > UINT32_MAX)
        return -EMSGSIZE;
    out[0] = (unsigned char)(len >> 24);
    out[1] = (unsigned char)(len >> 16);
    out[2] = (unsigned char)(len >> 8);
    out[3] = (unsigned char)len;
    return 0;
}


