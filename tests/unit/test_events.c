/* Unit tests of lib/events.c: the event emitter.
 *
 * The central property is the one the protocol rests on: every event is one
 * write() of at most SCOPE_EVENT_MAX bytes, so the lines of many processes
 * sharing one pipe arrive whole and in each writer's order. Eight forked
 * writers push 10,000 events each, of lengths up to near the limit, into one
 * pipe, and the parent decodes the stream with lib/framing.
 *
 * Then: an oversize event is cut on a UTF-8 boundary (never split), msg
 * sampling and its reported ratio, the narration and JSON forms of every kind,
 * going quiet once the reader is gone, and IPCSCOPE_EVENT_FD.
 *
 * Nothing here depends on how fast the machine is, except that the sampling
 * test assumes 10,000 msg events take less than ~99 s to emit.
 */
#include "events.h"
#include "framing.h"
#include "timing.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers --------------------------------------------------------- */

static const char ELLIPSIS[] = "\xe2\x80\xa6"; /* U+2026 */

static const char *tmp_dir(void)
{
    const char *d = getenv("TMPDIR");
    return d && *d ? d : "/tmp";
}

/* Reads fd to EOF into a NUL-terminated heap buffer. */
static char *read_all(int fd, size_t *len_out)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap + 1);
    ck_assert_ptr_nonnull(buf);
    for (;;) {
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            ck_assert_ptr_nonnull(buf);
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        ck_assert_msg(n >= 0, "read: %s", strerror(errno));
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *len_out = len;
    return buf;
}

/* Strict UTF-8 check: no overlongs, no surrogates, nothing above U+10FFFF. */
static int utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        size_t n;
        unsigned cp;
        if (c < 0x80) {
            p++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, cp = c & 0x07;
        } else {
            return 0;
        }
        if ((size_t)(end - p) < n + 1)
            return 0;
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        p += n + 1;
    }
    return 1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

/* The lines of a buffer, each decoded; the decoder must report no error. */
typedef struct {
    cJSON **v;
    size_t *len; /* raw line length without '\n' */
    size_t n, cap;
    int errors;
    char first_error[200];
} lines_t;

static void lines_on_json(void *arg, cJSON *value, const char *line, size_t len)
{
    (void)line;
    lines_t *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        l->len = realloc(l->len, l->cap * sizeof *l->len);
        ck_assert(l->v && l->len);
    }
    l->v[l->n] = cJSON_Duplicate(value, 1);
    ck_assert_ptr_nonnull(l->v[l->n]);
    l->len[l->n++] = len;
}

static void lines_on_error(void *arg, const scope_frame_error_t *err)
{
    lines_t *l = arg;
    if (l->errors++ == 0)
        snprintf(l->first_error, sizeof l->first_error, "%s", err->reason);
}

static void lines_decode(lines_t *l, const char *buf, size_t len)
{
    memset(l, 0, sizeof *l);
    scope_ndjson_t d;
    scope_ndjson_init(&d, 0, lines_on_json, lines_on_error, l);
    ck_assert_int_eq(scope_ndjson_feed(&d, buf, len), 0);
    ck_assert_uint_eq(scope_ndjson_pending(&d), 0);
    scope_ndjson_free(&d);
    ck_assert_msg(l->errors == 0, "%d decoder errors, first: %s", l->errors, l->first_error);
}

static void lines_free(lines_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        cJSON_Delete(l->v[i]);
    free(l->v);
    free(l->len);
    memset(l, 0, sizeof *l);
}

/* Closes the emitter's pipe, reads what was written and decodes it. */
static void drain_pipe(int p[2], lines_t *l, char **raw, size_t *raw_len)
{
    scope_events_close();
    close(p[1]);
    size_t len;
    char *buf = read_all(p[0], &len);
    close(p[0]);
    lines_decode(l, buf, len);
    if (raw) {
        *raw = buf;
        *raw_len = len;
    } else {
        free(buf);
    }
}

static const cJSON *field(const cJSON *o, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(o, name);
}

static double num(const cJSON *o, const char *name)
{
    const cJSON *f = field(o, name);
    ck_assert_msg(cJSON_IsNumber(f), "field %s is not a number", name);
    return f->valuedouble;
}

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *f = field(o, name);
    ck_assert_msg(cJSON_IsString(f), "field %s is not a string", name);
    return f->valuestring;
}

/* The envelope every event carries. */
static void check_envelope(const cJSON *o, const char *kind)
{
    ck_assert(cJSON_IsObject(o));
    ck_assert_double_eq(num(o, "v"), 1);
    ck_assert_str_eq(str(o, "ev"), kind);
    ck_assert_double_eq(num(o, "pid"), (double)getpid());
    ck_assert(num(o, "t") > 0);
}

/* ---- 8 writers, one pipe ---------------------------------------------- */

#define NWRITERS 8
#define NEVENTS  10000
#define PAD_MIN  10
#define PAD_MAX  3900

/* Padding length of event seq of writer w: spread over [PAD_MIN, PAD_MAX],
 * with the first events of each writer at the extremes. */
static int pad_len(int w, int seq)
{
    if (seq % 50 == 0)
        return PAD_MAX;
    if (seq % 50 == 1)
        return PAD_MIN;
    return PAD_MIN + (int)(((unsigned)seq * 7919u + (unsigned)w * 104729u) % (PAD_MAX - PAD_MIN + 1));
}

static char pad_char(int w, int seq)
{
    return (char)('a' + (seq + w) % 26);
}

static void writer_main(int fd, int w)
{
    static char pad[PAD_MAX + 1];
    if (scope_events_open_fd(fd, SCOPE_EVENTS_JSON, "writer") != 0)
        _exit(10);
    for (int seq = 0; seq < NEVENTS; seq++) {
        int n = pad_len(w, seq);
        memset(pad, pad_char(w, seq), (size_t)n);
        pad[n] = '\0';
        /* A full pipe drops an event rather than wait; this writer wants
         * every line through, to check they stay whole, so it tries again. */
        int r;
        while ((r = scope_events_log("w=%d seq=%d len=%d %s", w, seq, n, pad)) == -EAGAIN)
            usleep(200);
        if (r != 0)
            _exit(11);
    }
    scope_events_close();
    _exit(0);
}

typedef struct {
    pid_t pids[NWRITERS];
    int next_seq[NWRITERS];
    size_t lines, bad, max_line;
    char first_bad[256];
    int decode_errors;
    char first_decode_error[200];
} multi_t;

static void multi_on_error(void *arg, const scope_frame_error_t *err)
{
    multi_t *m = arg;
    if (m->decode_errors++ == 0)
        snprintf(m->first_decode_error, sizeof m->first_decode_error, "%s", err->reason);
}

static void multi_bad(multi_t *m, const char *why, const char *line, size_t len)
{
    if (m->bad++ == 0)
        snprintf(m->first_bad, sizeof m->first_bad, "%s: %.*s", why, (int)(len < 120 ? len : 120),
                 line);
}

#define BAD(why)                                                                           \
    do {                                                                                   \
        multi_bad(m, why, line, len);                                                      \
        return;                                                                            \
    } while (0)

static void multi_on_json(void *arg, cJSON *o, const char *line, size_t len)
{
    multi_t *m = arg;
    m->lines++;
    if (len + 1 > m->max_line)
        m->max_line = len + 1;
    if (!cJSON_IsObject(o))
        BAD("not an object");
    const cJSON *v = field(o, "v"), *ev = field(o, "ev"), *pid = field(o, "pid"),
                *t = field(o, "t"), *text = field(o, "text");
    if (!cJSON_IsNumber(v) || v->valuedouble != 1)
        BAD("v");
    if (!cJSON_IsString(ev) || strcmp(ev->valuestring, "log") != 0)
        BAD("ev");
    if (!cJSON_IsNumber(pid) || !cJSON_IsNumber(t) || t->valuedouble <= 0)
        BAD("pid/t");
    if (!cJSON_IsString(text))
        BAD("text");
    int w, seq, n, off = 0;
    if (sscanf(text->valuestring, "w=%d seq=%d len=%d %n", &w, &seq, &n, &off) != 3 || off == 0)
        BAD("text prefix");
    if (w < 0 || w >= NWRITERS)
        BAD("writer number");
    if ((pid_t)pid->valuedouble != m->pids[w])
        BAD("pid of writer");
    if (seq != m->next_seq[w])
        BAD("sequence out of order or lost");
    if (n != pad_len(w, seq) || strlen(text->valuestring) != (size_t)off + (size_t)n)
        BAD("padding length");
    for (int i = 0; i < n; i++)
        if (text->valuestring[off + i] != pad_char(w, seq))
            BAD("padding bytes");
    m->next_seq[w]++;
}
#undef BAD

/* A reader that reads nothing: the writer never waits for it; what does not
 * fit is dropped and counted, and the count shows in stats and bye. */
START_TEST(stalled_reader_costs_events_not_time)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(scope_events_open_fd(p[1], SCOPE_EVENTS_JSON, "t"), 0);
    int flags = fcntl(p[1], F_GETFL);
    ck_assert(flags & O_NONBLOCK); /* our own description of the pipe */
    int dropped = 0;
    for (int i = 0; i < 2000; i++) /* about 200 kB into a 64 kB pipe */
        if (scope_events_log("event %d %0100d", i, 0) == -EAGAIN)
            dropped++;
    ck_assert_int_gt(dropped, 0);
    ck_assert_uint_eq(scope_events_dropped(), (uint64_t)dropped);
    /* Room again: the next bye says how many were lost. */
    static char buf[1 << 20];
    while (read(p[0], buf, sizeof buf) == sizeof buf)
        ;
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    while (read(p[0], buf, sizeof buf) > 0)
        ;
    ck_assert_int_eq(scope_events_bye(NULL, "done"), 0);
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    ck_assert_int_gt(n, 0);
    buf[n] = '\0';
    char want[64];
    snprintf(want, sizeof want, "\"events_dropped\":%d", dropped);
    ck_assert_msg(strstr(buf, want) != NULL, "bye without %s: %s", want, buf);
    scope_events_close();
    close(p[0]);
    close(p[1]);
}
END_TEST

/* The shell's stdout is never made non-blocking: events to a pipe on stdout
 * get a description of their own. */
START_TEST(stdout_pipe_keeps_its_flags)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    int saved = dup(STDOUT_FILENO);
    dup2(p[1], STDOUT_FILENO);
    int before = fcntl(STDOUT_FILENO, F_GETFL);
    ck_assert_int_eq(scope_events_open_fd(STDOUT_FILENO, SCOPE_EVENTS_JSON, "t"), 0);
    ck_assert_int_ne(scope_events_fd(), STDOUT_FILENO);
    ck_assert_int_eq(fcntl(STDOUT_FILENO, F_GETFL), before);
    ck_assert_int_eq(scope_events_log("hello"), 0);
    scope_events_close();
    dup2(saved, STDOUT_FILENO);
    close(saved);
    char buf[512];
    close(p[1]);
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    ck_assert_int_gt(n, 0);
    buf[n] = '\0';
    ck_assert(strstr(buf, "\"text\":\"hello\"") != NULL);
    close(p[0]);
}
END_TEST

START_TEST(eight_writers_one_pipe_lines_stay_whole)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    multi_t m;
    memset(&m, 0, sizeof m);
    for (int w = 0; w < NWRITERS; w++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            close(p[0]);
            writer_main(p[1], w);
        }
        m.pids[w] = pid;
    }
    close(p[1]);

    scope_ndjson_t d;
    scope_ndjson_init(&d, 0, multi_on_json, multi_on_error, &m);
    static char buf[65536];
    int feed_failed = 0;
    size_t total = 0;
    for (;;) {
        ssize_t n = read(p[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        total += (size_t)n;
        if (scope_ndjson_feed(&d, buf, (size_t)n) != 0)
            feed_failed = 1;
    }
    size_t pending = scope_ndjson_pending(&d);
    scope_ndjson_free(&d);
    close(p[0]);

    int status[NWRITERS];
    for (int w = 0; w < NWRITERS; w++)
        while (waitpid(m.pids[w], &status[w], 0) < 0)
            ck_assert_int_eq(errno, EINTR);

    for (int w = 0; w < NWRITERS; w++)
        ck_assert_msg(WIFEXITED(status[w]) && WEXITSTATUS(status[w]) == 0,
                      "writer %d: status 0x%x", w, status[w]);
    ck_assert_int_eq(feed_failed, 0);
    ck_assert_msg(m.decode_errors == 0, "%d decoder errors, first: %s", m.decode_errors,
                  m.first_decode_error);
    ck_assert_uint_eq(pending, 0);
    ck_assert_msg(m.bad == 0, "%zu bad lines; first: %s", m.bad, m.first_bad);
    ck_assert_uint_eq(m.lines, (size_t)NWRITERS * NEVENTS);
    for (int w = 0; w < NWRITERS; w++)
        ck_assert_int_eq(m.next_seq[w], NEVENTS);
    ck_assert_uint_le(m.max_line, SCOPE_EVENT_MAX);
    ck_assert_uint_gt(m.max_line, 3900); /* some lines really were near the limit */
    ck_assert_uint_gt(total, (size_t)NWRITERS * NEVENTS * 100);
}
END_TEST

typedef struct {
    size_t lines;
    int errors;
} counts_t;

static void count_json(void *arg, cJSON *o, const char *line, size_t len)
{
    (void)o, (void)line, (void)len;
    ((counts_t *)arg)->lines++;
}

static void count_error(void *arg, const scope_frame_error_t *err)
{
    (void)err;
    ((counts_t *)arg)->errors++;
}

START_TEST(one_writer_stream_decodes_without_errors)
{
    /* The same writer as above, alone, into a file; decoded with an error
     * callback: no oversize, malformed or blank line. */
    char path[4096];
    snprintf(path, sizeof path, "%s/events-one-XXXXXX", tmp_dir());
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        writer_main(fd, 3);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        ck_assert_int_eq(errno, EINTR);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    size_t len;
    char *buf = read_all(fd, &len);
    close(fd);
    counts_t c = {0, 0};
    scope_ndjson_t d;
    scope_ndjson_init(&d, 0, count_json, count_error, &c);
    ck_assert_int_eq(scope_ndjson_feed(&d, buf, len), 0);
    scope_ndjson_free(&d);
    ck_assert_int_eq(c.errors, 0);
    ck_assert_uint_eq(c.lines, NEVENTS);
    size_t newlines = 0;
    for (size_t i = 0; i < len; i++)
        newlines += buf[i] == '\n';
    ck_assert_uint_eq(newlines, NEVENTS);
    free(buf);
}
END_TEST

/* ---- oversize events ------------------------------------------------- */

/* About 10 KB: an ASCII head, then Chinese (3 bytes a character) with a few
 * 4-byte characters, so that a cut at a byte count lands inside a character. */
static char *big_text(void)
{
    size_t cap = 11000, len = 0;
    char *s = malloc(cap);
    ck_assert_ptr_nonnull(s);
    len += (size_t)sprintf(s, "x");
    static const char *pieces[] = {"中", "文", "字", "\xf0\x9f\x98\x80" /* U+1F600 */, "é"};
    for (int i = 0; len < 10240; i++) {
        const char *p = pieces[i % 7 < 3 ? i % 3 : (i % 7 == 3 ? 3 : (i % 7 == 4 ? 4 : 0))];
        size_t n = strlen(p);
        memcpy(s + len, p, n);
        len += n;
    }
    s[len] = '\0';
    ck_assert(utf8_valid(s, len));
    return s;
}

/* One line arrived, at most SCOPE_EVENT_MAX with its newline, parsing as an
 * object of the kind, whose field `name` was cut: valid UTF-8, ending with
 * "…", and otherwise a prefix of orig. Returns the parsed object. */
static cJSON *check_one_cut_line(int p[2], const char *kind, const char *name, const char *orig)
{
    char *raw;
    size_t raw_len;
    lines_t l;
    drain_pipe(p, &l, &raw, &raw_len);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_uint_le(raw_len, SCOPE_EVENT_MAX);
    ck_assert_int_eq(raw[raw_len - 1], '\n');
    ck_assert_ptr_null(memchr(raw, '\n', raw_len - 1));
    ck_assert(utf8_valid(raw, raw_len));
    cJSON *o = l.v[0];
    l.v[0] = NULL;
    lines_free(&l);
    free(raw);
    check_envelope(o, kind);
    const char *s = str(o, name);
    size_t n = strlen(s);
    ck_assert(utf8_valid(s, n));
    ck_assert_msg(ends_with(s, ELLIPSIS), "%s does not end with the ellipsis", name);
    ck_assert_uint_gt(n, 3);
    ck_assert_uint_lt(n, strlen(orig));
    ck_assert_msg(memcmp(s, orig, n - 3) == 0, "cut %s is not a prefix of the original", name);
    return o;
}

START_TEST(oversize_msg_summary_is_cut_not_split)
{
    char *text = big_text();
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(scope_events_open_fd(p[1], SCOPE_EVENTS_JSON, "cut"), 0);
    scope_events_set_msg_rate(0);
    ck_assert_int_eq(scope_events_msg("send", "c1", SCOPE_PID(1), SCOPE_PID(2), 7, strlen(text),
                                      text, 0),
                     1);
    cJSON *o = check_one_cut_line(p, "msg", "summary", text);
    ck_assert_double_eq(num(o, "bytes"), (double)strlen(text));
    ck_assert_double_eq(num(o, "id"), 7);
    cJSON_Delete(o);
    scope_events_set_msg_rate(SCOPE_EVENTS_MSG_RATE);
    free(text);
}
END_TEST

START_TEST(oversize_log_text_is_cut_not_split)
{
    char *text = big_text();
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(scope_events_open_fd(p[1], SCOPE_EVENTS_JSON, "cut"), 0);
    ck_assert_int_eq(scope_events_log("%s", text), 0);
    cJSON_Delete(check_one_cut_line(p, "log", "text", text));
    free(text);
}
END_TEST

START_TEST(oversize_error_reason_is_cut_not_split)
{
    char *text = big_text();
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(scope_events_open_fd(p[1], SCOPE_EVENTS_JSON, "cut"), 0);
    ck_assert_int_eq(scope_events_error("connect", "%s", text), 0);
    cJSON *o = check_one_cut_line(p, "error", "reason", text);
    ck_assert_str_eq(str(o, "what"), "connect");
    cJSON_Delete(o);
    free(text);
}
END_TEST

START_TEST(oversize_raw_field_is_cut_not_split)
{
    /* Through scope_events_emit directly: no printf buffer in between, the
     * emitter itself must shorten a 10 KB field. */
    char *text = big_text();
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(scope_events_open_fd(p[1], SCOPE_EVENTS_JSON, "cut"), 0);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "text", text);
    cJSON_AddStringToObject(f, "small", "kept whole");
    ck_assert_int_eq(scope_events_emit("log", f), 0);
    cJSON *o = check_one_cut_line(p, "log", "text", text);
    ck_assert_str_eq(str(o, "small"), "kept whole");
    cJSON_Delete(o);
    free(text);
}
END_TEST

START_TEST(oversize_text_narration_is_one_line)
{
    char *text = big_text();
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(scope_events_open_fd(p[1], SCOPE_EVENTS_TEXT, "cut"), 0);
    ck_assert_int_eq(scope_events_log("%s", text), 0);
    scope_events_close();
    close(p[1]);
    size_t len;
    char *raw = read_all(p[0], &len);
    close(p[0]);
    ck_assert_uint_gt(len, 0);
    ck_assert_uint_le(len, SCOPE_EVENT_MAX);
    ck_assert_int_eq(raw[len - 1], '\n');
    ck_assert_ptr_null(memchr(raw, '\n', len - 1));
    ck_assert_msg(utf8_valid(raw, len), "narration cut inside a UTF-8 character");
    free(raw);
    free(text);
}
END_TEST

/* ---- sampling ---------------------------------------------------------- */

static size_t count_kind(const lines_t *l, const char *kind)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += strcmp(str(l->v[i], "ev"), kind) == 0;
    return n;
}

static int tmp_file(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/events-XXXXXX", tmp_dir());
    int fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp %s: %s", path, strerror(errno));
    unlink(path);
    return fd;
}

static void read_file_lines(int fd, lines_t *l)
{
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    size_t len;
    char *buf = read_all(fd, &len);
    lines_decode(l, buf, len);
    free(buf);
}

START_TEST(msg_sampling_and_reported_ratio)
{
    int fd = tmp_file();
    ck_assert_int_eq(scope_events_open_fd(fd, SCOPE_EVENTS_JSON, "sampler"), 0);
    scope_events_set_msg_rate(100);
    ck_assert_double_eq(scope_events_sample_ratio(), 1.0);
    int emitted = 0;
    for (int i = 0; i < 10000; i++) {
        int r = scope_events_msg("send", "c1", SCOPE_PID(getpid()), SCOPE_PEER("redis-server"),
                                 (uint64_t)i, 16, "{\"i\":1}", 0);
        ck_assert_int_ge(r, 0);
        emitted += r;
    }
    double ratio = scope_events_sample_ratio();

    scope_hist_t h;
    scope_hist_reset(&h);
    scope_hist_add(&h, 1000);
    ck_assert_int_eq(scope_events_stats("c1", &h, NULL, scope_time_now_ns()), 0);
    ck_assert_double_eq(scope_events_sample_ratio(), 1.0);
    scope_events_close();

    lines_t l;
    read_file_lines(fd, &l);
    close(fd);
    size_t arrived = count_kind(&l, "msg");
    ck_assert_uint_lt(arrived, 10000);
    ck_assert_uint_ge(arrived, 1);
    ck_assert_uint_eq(arrived, (size_t)emitted);
    ck_assert_double_eq_tol(ratio, (double)arrived / 10000.0, 1e-9);
    ck_assert_uint_eq(count_kind(&l, "stats"), 1);
    const cJSON *stats = l.v[l.n - 1];
    check_envelope(stats, "stats");
    ck_assert_double_eq_tol(num(stats, "sample"), ratio, 1e-9);
    /* the msg ids that arrived are increasing */
    double last = -1;
    for (size_t i = 0; i + 1 < l.n; i++) {
        check_envelope(l.v[i], "msg");
        double id = num(l.v[i], "id");
        ck_assert(id > last);
        last = id;
    }
    lines_free(&l);
    scope_events_set_msg_rate(SCOPE_EVENTS_MSG_RATE);
}
END_TEST

START_TEST(msg_rate_zero_emits_every_msg)
{
    int fd = tmp_file();
    ck_assert_int_eq(scope_events_open_fd(fd, SCOPE_EVENTS_JSON, "sampler"), 0);
    scope_events_set_msg_rate(0);
    for (int i = 0; i < 10000; i++)
        ck_assert_int_eq(scope_events_msg("recv", "c1", SCOPE_PID(2), SCOPE_PID(getpid()),
                                          (uint64_t)i, 16, "x", 0),
                         1);
    ck_assert_double_eq(scope_events_sample_ratio(), 1.0);
    scope_hist_t h;
    scope_hist_reset(&h);
    ck_assert_int_eq(scope_events_stats("c1", &h, NULL, scope_time_now_ns()), 0);
    scope_events_close();
    lines_t l;
    read_file_lines(fd, &l);
    close(fd);
    ck_assert_uint_eq(count_kind(&l, "msg"), 10000);
    ck_assert_double_eq(num(l.v[l.n - 1], "sample"), 1.0);
    lines_free(&l);
    scope_events_set_msg_rate(SCOPE_EVENTS_MSG_RATE);
}
END_TEST

/* ---- narration ------------------------------------------------------- */

/* A name any process can give itself (prctl(PR_SET_NAME)) or a peer's bytes
 * must not act on the operator's terminal: escapes, C1 and bytes that are
 * not UTF-8 reach narration as '.', and real characters stay. */
START_TEST(text_narration_is_printable)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(scope_events_open_fd(p[1], SCOPE_EVENTS_TEXT, "parent"), 0);
    ck_assert_int_eq(scope_events_log("peer is %s", "\x1b[2J\x1b]0;PWN\a\x9b\xc2\x9b\xff 中"), 0);
    char buf[512];
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    ck_assert_int_gt(n, 0);
    buf[n] = '\0';
    ck_assert_ptr_null(strchr(buf, '\x1b'));
    ck_assert_ptr_null(strchr(buf, '\a'));
    ck_assert_ptr_null(strchr(buf, '\x9b'));
    ck_assert_ptr_nonnull(strstr(buf, "peer is .[2J.]0;PWN..... 中\n"));
    scope_events_close();
    close(p[0]);
    close(p[1]);
}
END_TEST

START_TEST(text_narration_one_line_per_event)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(scope_events_open_fd(p[1], SCOPE_EVENTS_TEXT, "parent"), 0);
    ck_assert_int_eq(scope_events_format(), SCOPE_EVENTS_TEXT);
    scope_events_set_msg_rate(0);
    pid_t me = getpid();
    scope_hist_t h;
    scope_hist_reset(&h);
    for (int i = 1; i <= 100; i++)
        scope_hist_add(&h, (uint64_t)i * 1000);

    ck_assert_int_eq(scope_events_log("socketpair -> fds %d and %d", 3, 4), 0);
    ck_assert_int_eq(scope_events_msg("send", "c1", SCOPE_PID(me), SCOPE_PID(4242), 17, 12,
                                      "{\"hi\":1}", 0),
                     1);
    ck_assert_int_eq(scope_events_proc("exit", 4242, me, "child", 0, SIGTERM), 0);
    ck_assert_int_eq(scope_events_proc("exit", 4243, me, "worker", 3, 0), 0);
    ck_assert_int_eq(scope_events_error("connect", "refused: %s", "ECONNREFUSED"), 0);
    ck_assert_int_eq(scope_events_step(1, "Make a pipe", 1), 0);
    ck_assert_int_eq(scope_events_chan("open", "c1", "tcp", SCOPE_PID(me),
                                       SCOPE_PEER("redis-server"), "port 6379"),
                     0);
    ck_assert_int_eq(scope_events_stats("c1", &h, NULL, scope_time_now_ns()), 0);

    char *raw;
    size_t len;
    scope_events_close();
    close(p[1]);
    raw = read_all(p[0], &len);
    close(p[0]);

    char *lines[16];
    int n = 0;
    for (char *s = raw, *nl; (nl = strchr(s, '\n')); s = nl + 1) {
        *nl = '\0';
        ck_assert_int_lt(n, 16);
        lines[n++] = s;
    }
    ck_assert_int_eq(n, 8);
    ck_assert_int_eq(raw[len - 1], '\0'); /* ended with a newline */
    char who[64];
    snprintf(who, sizeof who, "[parent %ld]", (long)me);
    ck_assert_msg(strncmp(lines[0], who, strlen(who)) == 0, "log: %s", lines[0]);
    ck_assert_ptr_nonnull(strstr(lines[0], "socketpair -> fds 3 and 4"));
    ck_assert_ptr_nonnull(strstr(lines[1], who));
    ck_assert_ptr_nonnull(strstr(lines[1], "-> 4242"));
    ck_assert_ptr_nonnull(strstr(lines[1], "#17"));
    ck_assert_ptr_nonnull(strstr(lines[1], "12 B"));
    ck_assert_ptr_nonnull(strstr(lines[2], "4242"));
    ck_assert_ptr_nonnull(strstr(lines[2], "SIGTERM"));
    ck_assert_ptr_nonnull(strstr(lines[3], "exited with code 3"));
    ck_assert_ptr_nonnull(strstr(lines[4], "ERROR"));
    ck_assert_ptr_nonnull(strstr(lines[4], "connect"));
    ck_assert_ptr_nonnull(strstr(lines[4], "ECONNREFUSED"));
    ck_assert_ptr_nonnull(strstr(lines[5], "step 1"));
    ck_assert_ptr_nonnull(strstr(lines[5], "Make a pipe"));
    ck_assert_ptr_nonnull(strstr(lines[6], "c1"));
    ck_assert_ptr_nonnull(strstr(lines[6], "redis-server"));
    ck_assert_ptr_nonnull(strstr(lines[6], "port 6379"));
    ck_assert_ptr_nonnull(strstr(lines[7], "stats"));
    ck_assert_ptr_nonnull(strstr(lines[7], "100 msgs"));
    for (int i = 0; i < n; i++)
        ck_assert_msg(lines[i][0] != '{', "narration looks like JSON: %s", lines[i]);
    free(raw);
    scope_events_set_msg_rate(SCOPE_EVENTS_MSG_RATE);
}
END_TEST

/* ---- every kind in JSON ------------------------------------------------ */

static void check_keys(const cJSON *o, const char *const *keys)
{
    /* every key of o is one of keys (plus the envelope), every key is present */
    static const char *envelope[] = {"v", "ev", "t", "pid"};
    const cJSON *it;
    cJSON_ArrayForEach(it, o)
    {
        int known = 0;
        for (size_t i = 0; i < 4; i++)
            known |= strcmp(it->string, envelope[i]) == 0;
        for (size_t i = 0; keys[i]; i++)
            known |= strcmp(it->string, keys[i]) == 0;
        ck_assert_msg(known, "unexpected field %s", it->string);
    }
    for (size_t i = 0; keys[i]; i++)
        ck_assert_msg(field(o, keys[i]) != NULL, "missing field %s", keys[i]);
}

START_TEST(json_every_kind_fields_and_types)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(scope_events_open_fd(p[1], SCOPE_EVENTS_JSON, "parent"), 0);
    ck_assert_int_eq(scope_events_format(), SCOPE_EVENTS_JSON);
    ck_assert_int_eq(scope_events_fd(), p[1]);
    scope_events_set_msg_rate(0);
    pid_t me = getpid();

    cJSON *params = cJSON_CreateObject();
    cJSON_AddNumberToObject(params, "n", 5);
    ck_assert_int_eq(scope_events_hello("pipes", "Two processes, one pipe", params, NULL), 0);
    ck_assert_int_eq(scope_events_proc("start", 4242, me, "child", 0, 0), 0);
    ck_assert_int_eq(scope_events_proc("exit", 4242, me, "child", 3, 0), 0);
    ck_assert_int_eq(scope_events_proc("exit", 4243, me, "child", 0, SIGKILL), 0);
    ck_assert_int_eq(scope_events_chan("open", "c1", "tcp", SCOPE_PID(me),
                                       SCOPE_PEER("redis-server"), "port 6379"),
                     0);
    ck_assert_int_eq(scope_events_msg("send", "c1", SCOPE_PID(me), SCOPE_PID(4242), 1, 10,
                                      "{\"a\":1}", 0),
                     1);
    ck_assert_int_eq(scope_events_msg("recv", "c1", SCOPE_PID(4242), SCOPE_PID(me), 1, 10,
                                      "{\"a\":1}", 12345),
                     1);
    scope_hist_t h;
    scope_hist_reset(&h);
    for (int i = 1; i <= 1000; i++)
        scope_hist_add(&h, (uint64_t)i * 100);
    scope_rate_t rate;
    scope_rate_init(&rate, 0);
    uint64_t now = scope_time_now_ns();
    for (int i = 0; i < 10; i++)
        scope_rate_add(&rate, now, 100);
    ck_assert_int_eq(scope_events_stats("c1", &h, &rate, now), 0);
    ck_assert_int_eq(scope_events_step(1, "Open the pipe", 1), 0);
    ck_assert_int_eq(scope_events_step(2, "Send", 0), 0);
    ck_assert_int_eq(scope_events_error("connect", "refused (%d)", 111), 0);
    cJSON *summary = cJSON_CreateObject();
    cJSON_AddNumberToObject(summary, "msgs", 2);
    ck_assert_int_eq(scope_events_bye(summary, "all done"), 0);

    lines_t l;
    drain_pipe(p, &l, NULL, NULL);
    ck_assert_uint_eq(l.n, 12);
    cJSON **v = l.v;

    check_envelope(v[0], "hello");
    check_keys(v[0], (const char *[]){"demo", "title", "params", NULL});
    ck_assert_str_eq(str(v[0], "demo"), "pipes");
    ck_assert_str_eq(str(v[0], "title"), "Two processes, one pipe");
    ck_assert(cJSON_IsObject(field(v[0], "params")));
    ck_assert_double_eq(num(field(v[0], "params"), "n"), 5);

    check_envelope(v[1], "proc");
    check_keys(v[1], (const char *[]){"state", "proc", "ppid", "role", NULL});
    ck_assert_str_eq(str(v[1], "state"), "start");
    ck_assert_double_eq(num(v[1], "proc"), 4242);
    ck_assert_double_eq(num(v[1], "ppid"), me);
    ck_assert_str_eq(str(v[1], "role"), "child");

    check_envelope(v[2], "proc");
    check_keys(v[2], (const char *[]){"state", "proc", "ppid", "role", "code", NULL});
    ck_assert_str_eq(str(v[2], "state"), "exit");
    ck_assert_double_eq(num(v[2], "code"), 3);

    check_envelope(v[3], "proc");
    check_keys(v[3], (const char *[]){"state", "proc", "ppid", "role", "signal", NULL});
    ck_assert_str_eq(str(v[3], "signal"), "SIGKILL");
    ck_assert_double_eq(num(v[3], "proc"), 4243);

    check_envelope(v[4], "chan");
    check_keys(v[4], (const char *[]){"state", "id", "kind", "a", "b", "detail", NULL});
    ck_assert_str_eq(str(v[4], "state"), "open");
    ck_assert_str_eq(str(v[4], "id"), "c1");
    ck_assert_str_eq(str(v[4], "kind"), "tcp");
    ck_assert_double_eq(num(v[4], "a"), me);
    ck_assert_str_eq(str(v[4], "b"), "redis-server");
    ck_assert_str_eq(str(v[4], "detail"), "port 6379");

    check_envelope(v[5], "msg");
    check_keys(v[5], (const char *[]){"dir", "chan", "from", "to", "id", "bytes", "summary", NULL});
    ck_assert_str_eq(str(v[5], "dir"), "send");
    ck_assert_str_eq(str(v[5], "chan"), "c1");
    ck_assert_double_eq(num(v[5], "from"), me);
    ck_assert_double_eq(num(v[5], "to"), 4242);
    ck_assert_double_eq(num(v[5], "id"), 1);
    ck_assert_double_eq(num(v[5], "bytes"), 10);
    ck_assert_str_eq(str(v[5], "summary"), "{\"a\":1}");
    ck_assert_ptr_null(field(v[5], "lat"));

    check_envelope(v[6], "msg");
    check_keys(v[6],
               (const char *[]){"dir", "chan", "from", "to", "id", "bytes", "summary", "lat", NULL});
    ck_assert_str_eq(str(v[6], "dir"), "recv");
    ck_assert_double_eq(num(v[6], "lat"), 12345);
    ck_assert_double_eq(num(v[6], "from"), 4242);

    check_envelope(v[7], "stats");
    static const char *stats_keys[] = {"chan", "count", "bytes", "p50", "p90", "p99", "p999",
                                       "max",  "rate",  "bps",   "sample", NULL};
    for (size_t i = 1; stats_keys[i]; i++)
        num(v[7], stats_keys[i]);
    ck_assert_str_eq(str(v[7], "chan"), "c1");
    ck_assert_double_eq(num(v[7], "count"), 1000);
    ck_assert_double_eq(num(v[7], "bytes"), 1000);
    ck_assert_double_eq(num(v[7], "max"), 100000);
    ck_assert(num(v[7], "p50") <= num(v[7], "p90"));
    ck_assert(num(v[7], "p90") <= num(v[7], "p99"));
    ck_assert(num(v[7], "p99") <= num(v[7], "p999"));
    ck_assert(num(v[7], "p999") <= num(v[7], "max"));
    ck_assert_double_eq_tol(num(v[7], "p50"), 50000, 50000 * 0.01);
    ck_assert(num(v[7], "rate") > 0);
    ck_assert(num(v[7], "bps") > 0);
    ck_assert_double_eq(num(v[7], "sample"), 1.0);

    check_envelope(v[8], "step");
    check_keys(v[8], (const char *[]){"n", "title", "waiting", NULL});
    ck_assert_double_eq(num(v[8], "n"), 1);
    ck_assert_str_eq(str(v[8], "title"), "Open the pipe");
    ck_assert(cJSON_IsTrue(field(v[8], "waiting")));
    check_envelope(v[9], "step");
    ck_assert(cJSON_IsFalse(field(v[9], "waiting")));

    check_envelope(v[10], "error");
    check_keys(v[10], (const char *[]){"what", "reason", NULL});
    ck_assert_str_eq(str(v[10], "what"), "connect");
    ck_assert_str_eq(str(v[10], "reason"), "refused (111)");

    check_envelope(v[11], "bye");
    check_keys(v[11], (const char *[]){"summary", "text", NULL});
    ck_assert(cJSON_IsObject(field(v[11], "summary")));
    ck_assert_double_eq(num(field(v[11], "summary"), "msgs"), 2);
    ck_assert_str_eq(str(v[11], "text"), "all done");

    /* t never goes backwards */
    for (size_t i = 1; i < l.n; i++)
        ck_assert(num(v[i], "t") >= num(v[i - 1], "t"));
    lines_free(&l);
    scope_events_set_msg_rate(SCOPE_EVENTS_MSG_RATE);
}
END_TEST

START_TEST(closed_emitter_writes_nothing)
{
    scope_events_close();
    ck_assert_int_eq(scope_events_format(), SCOPE_EVENTS_NONE);
    ck_assert_int_eq(scope_events_fd(), -1);
    ck_assert_int_eq(scope_events_log("nothing %d", 1), 0);
    ck_assert_int_eq(scope_events_msg("send", "c", SCOPE_PID(1), SCOPE_PID(2), 1, 1, "x", 0), 0);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "x", "y");
    ck_assert_int_eq(scope_events_emit("log", f), 0); /* f taken over: no leak */
    ck_assert_int_eq(scope_events_hello("d", "t", cJSON_CreateObject(), NULL), 0);
    ck_assert_int_eq(scope_events_bye(cJSON_CreateObject(), "x"), 0);
    ck_assert_int_eq(scope_events_open_fd(-1, SCOPE_EVENTS_JSON, "x"), -EBADF);
}
END_TEST

/* ---- scope_events_cut_utf8 ------------------------------------------------ */

static size_t cut(char **out, const char *s, size_t max)
{
    /* exactly max+1 bytes, so an overrun shows under valgrind/ASan */
    *out = malloc(max + 1);
    ck_assert_ptr_nonnull(*out);
    size_t n = scope_events_cut_utf8(*out, s, max);
    ck_assert_uint_eq(strlen(*out), n);
    return n;
}

START_TEST(cut_utf8_short_strings_are_copied)
{
    char *o;
    ck_assert_uint_eq(cut(&o, "hello", 10), 5);
    ck_assert_str_eq(o, "hello");
    free(o);
    ck_assert_uint_eq(cut(&o, "hello", 5), 5);
    ck_assert_str_eq(o, "hello");
    free(o);
    ck_assert_uint_eq(cut(&o, "", 0), 0);
    ck_assert_str_eq(o, "");
    free(o);
    ck_assert_uint_eq(cut(&o, "中文", 6), 6);
    ck_assert_str_eq(o, "中文");
    free(o);
}
END_TEST

START_TEST(cut_utf8_cuts_on_a_boundary)
{
    char *o;
    ck_assert_uint_eq(cut(&o, "abcdefghij", 6), 6);
    ck_assert_str_eq(o, "abc…");
    free(o);
    /* 中 is 3 bytes: max 8 leaves 5 bytes for text, of which one whole char */
    ck_assert_uint_eq(cut(&o, "中中中中", 8), 6);
    ck_assert_str_eq(o, "中…");
    free(o);
    ck_assert_uint_eq(cut(&o, "中中中中", 9), 9);
    ck_assert_str_eq(o, "中中…");
    free(o);
    ck_assert_uint_eq(cut(&o, "a\xf0\x9f\x98\x80" "b", 5), 4);
    ck_assert_str_eq(o, "a…");
    free(o);

    /* every max for a mixed string */
    const char *s = "ab中é\xf0\x9f\x98\x80z文字xyz中";
    size_t len = strlen(s);
    for (size_t max = 0; max <= len + 2; max++) {
        size_t n = cut(&o, s, max);
        ck_assert_uint_le(n, max);
        ck_assert_msg(utf8_valid(o, n), "max %zu: invalid UTF-8", max);
        if (len <= max) {
            ck_assert_str_eq(o, s);
        } else if (max >= 3) {
            ck_assert_msg(ends_with(o, ELLIPSIS), "max %zu: %s", max, o);
            size_t keep = n - 3;
            ck_assert(memcmp(o, s, keep) == 0);
            ck_assert((s[keep] & 0xC0) != 0x80); /* the cut is on a boundary */
            ck_assert_uint_ge(keep + 3 + 3, max);  /* and loses less than a char */
        }
        free(o);
    }
}
END_TEST

START_TEST(cut_utf8_max_below_three)
{
    char *o;
    for (size_t max = 0; max < 3; max++) {
        size_t n = cut(&o, "abcdef", max);
        ck_assert_uint_le(n, max);
        ck_assert(memcmp(o, "abcdef", n) == 0);
        free(o);
        n = cut(&o, "中文", max);
        ck_assert_uint_le(n, max);
        ck_assert(utf8_valid(o, n));
        free(o);
    }
}
END_TEST

/* ---- the reader leaves ------------------------------------------------------ */

START_TEST(reader_gone_gives_epipe_then_quiet)
{
    struct sigaction ign, old;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    ck_assert_int_eq(sigaction(SIGPIPE, &ign, &old), 0);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(scope_events_open_fd(p[1], SCOPE_EVENTS_JSON, "lonely"), 0);
    ck_assert_int_eq(scope_events_log("before"), 0);
    close(p[0]);
    ck_assert_int_eq(scope_events_emit("log", NULL), -EPIPE);
    ck_assert_int_eq(scope_events_format(), SCOPE_EVENTS_NONE);
    ck_assert_int_eq(scope_events_fd(), -1);
    ck_assert_int_eq(scope_events_emit("log", NULL), 0);
    ck_assert_int_eq(scope_events_log("after %d", 1), 0);
    ck_assert_int_eq(scope_events_msg("send", "c", SCOPE_PID(1), SCOPE_PID(2), 1, 1, "x", 0), 0);
    ck_assert_int_eq(scope_events_step(1, "x", 0), 0);
    ck_assert_int_eq(scope_events_error("x", "y"), 0);
    close(p[1]);
    ck_assert_int_eq(sigaction(SIGPIPE, &old, NULL), 0);
    scope_events_close();
}
END_TEST

/* ---- IPCSCOPE_EVENT_FD ------------------------------------------------------ */

START_TEST(event_fd_env_opens_json_with_cloexec)
{
    unsetenv("IPCSCOPE_MSG_RATE");
    unsetenv("IPCSCOPE_EVENT_FORMAT");
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(fcntl(p[1], F_GETFD) & FD_CLOEXEC, 0);
    char num_s[16];
    snprintf(num_s, sizeof num_s, "%d", p[1]);
    ck_assert_int_eq(setenv("IPCSCOPE_EVENT_FD", num_s, 1), 0);
    ck_assert_int_eq(scope_events_open("x", 0), 0);
    ck_assert_int_eq(scope_events_format(), SCOPE_EVENTS_JSON);
    ck_assert_int_eq(scope_events_fd(), p[1]);
    ck_assert_int_ne(fcntl(p[1], F_GETFD) & FD_CLOEXEC, 0);
    ck_assert_int_eq(scope_events_log("via the environment"), 0);
    lines_t l;
    drain_pipe(p, &l, NULL, NULL);
    ck_assert_uint_eq(l.n, 1);
    check_envelope(l.v[0], "log");
    ck_assert_str_eq(str(l.v[0], "text"), "via the environment");
    lines_free(&l);

    /* IPCSCOPE_EVENT_FORMAT=text: narration to that fd instead */
    ck_assert_int_eq(pipe(p), 0);
    snprintf(num_s, sizeof num_s, "%d", p[1]);
    ck_assert_int_eq(setenv("IPCSCOPE_EVENT_FD", num_s, 1), 0);
    ck_assert_int_eq(setenv("IPCSCOPE_EVENT_FORMAT", "text", 1), 0);
    ck_assert_int_eq(scope_events_open("kid", 0), 0);
    ck_assert_int_eq(scope_events_format(), SCOPE_EVENTS_TEXT);
    ck_assert_int_eq(scope_events_log("narrated"), 0);
    scope_events_close();
    close(p[1]);
    size_t len;
    char *raw = read_all(p[0], &len);
    close(p[0]);
    char want[64];
    snprintf(want, sizeof want, "[kid %ld] narrated\n", (long)getpid());
    ck_assert_str_eq(raw, want);
    free(raw);
    unsetenv("IPCSCOPE_EVENT_FORMAT");
    unsetenv("IPCSCOPE_EVENT_FD");
}
END_TEST

START_TEST(event_fd_env_bad_values)
{
    unsetenv("IPCSCOPE_EVENT_FORMAT");
    ck_assert_int_eq(setenv("IPCSCOPE_EVENT_FD", "abc", 1), 0);
    ck_assert_int_eq(scope_events_open("x", 0), -EBADF);
    ck_assert_int_eq(setenv("IPCSCOPE_EVENT_FD", "3x", 1), 0);
    ck_assert_int_eq(scope_events_open("x", 0), -EBADF);
    ck_assert_int_eq(setenv("IPCSCOPE_EVENT_FD", "-1", 1), 0);
    ck_assert_int_eq(scope_events_open("x", 0), -EBADF);
    /* a closed fd */
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    close(p[0]);
    close(p[1]);
    char num_s[16];
    snprintf(num_s, sizeof num_s, "%d", p[1]);
    ck_assert_int_eq(setenv("IPCSCOPE_EVENT_FD", num_s, 1), 0);
    ck_assert_int_eq(scope_events_open("x", 0), -EBADF);
    unsetenv("IPCSCOPE_EVENT_FD");
    scope_events_close();
}
END_TEST

/* ------------------------------------------------------------------------ */

static Suite *events_suite(void)
{
    Suite *s = suite_create("events");
    TCase *many = tcase_create("shared-pipe");
    tcase_set_timeout(many, 300);
    tcase_add_test(many, eight_writers_one_pipe_lines_stay_whole);
    tcase_add_test(many, stalled_reader_costs_events_not_time);
    tcase_add_test(many, stdout_pipe_keeps_its_flags);
    tcase_add_test(many, one_writer_stream_decodes_without_errors);
    suite_add_tcase(s, many);

    TCase *cutc = tcase_create("oversize");
    tcase_set_timeout(cutc, 60);
    tcase_add_test(cutc, oversize_msg_summary_is_cut_not_split);
    tcase_add_test(cutc, oversize_log_text_is_cut_not_split);
    tcase_add_test(cutc, oversize_error_reason_is_cut_not_split);
    tcase_add_test(cutc, oversize_raw_field_is_cut_not_split);
    tcase_add_test(cutc, oversize_text_narration_is_one_line);
    tcase_add_test(cutc, cut_utf8_short_strings_are_copied);
    tcase_add_test(cutc, cut_utf8_cuts_on_a_boundary);
    tcase_add_test(cutc, cut_utf8_max_below_three);
    suite_add_tcase(s, cutc);

    TCase *samp = tcase_create("sampling");
    tcase_set_timeout(samp, 120);
    tcase_add_test(samp, msg_sampling_and_reported_ratio);
    tcase_add_test(samp, msg_rate_zero_emits_every_msg);
    suite_add_tcase(s, samp);

    TCase *kinds = tcase_create("kinds");
    tcase_set_timeout(kinds, 60);
    tcase_add_test(kinds, text_narration_one_line_per_event);
    tcase_add_test(kinds, text_narration_is_printable);
    tcase_add_test(kinds, json_every_kind_fields_and_types);
    tcase_add_test(kinds, closed_emitter_writes_nothing);
    suite_add_tcase(s, kinds);

    TCase *fds = tcase_create("fds");
    tcase_set_timeout(fds, 60);
    tcase_add_test(fds, reader_gone_gives_epipe_then_quiet);
    tcase_add_test(fds, event_fd_env_opens_json_with_cloexec);
    tcase_add_test(fds, event_fd_env_bad_values);
    suite_add_tcase(s, fds);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(events_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
