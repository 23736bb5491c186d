/* framing: incremental decoders for the two ways ipcscope cuts a byte stream
 * into messages.
 *
 *   1. Newline-delimited JSON (NDJSON): one JSON value per line, the wire format
 *      of Node's IPC channel (serialization 'json') and of ipcscope's own event
 *      and control pipes.
 *   2. Length-prefixed frames: a 4-byte big-endian length, then that many bytes.
 *      What a byte stream such as TCP needs when messages may contain anything.
 *
 * Both decoders are fed arbitrary chunks, exactly as read() returns them, and
 * call back once per complete frame. Both bound the frame size (default
 * SCOPE_FRAME_MAX_DEFAULT, 1 MiB): an oversize frame is reported and skipped,
 * never buffered. A bad NDJSON line (malformed JSON, a blank line, too long) is
 * reported with its byte offset in the stream, and decoding resumes at the next
 * newline, so the frames after it are not lost.
 *
 * Usage:
 *
 *     static void on_json(void *arg, cJSON *value, const char *line, size_t len)
 *     { ... value is borrowed: the decoder deletes it after the callback ... }
 *     static void on_error(void *arg, const scope_frame_error_t *err)
 *     { fprintf(stderr, "%s\n", err->reason); }
 *
 *     scope_ndjson_t dec;
 *     scope_ndjson_init(&dec, 0, on_json, on_error, arg);     // 0: 1 MiB limit
 *     while ((n = read(fd, buf, sizeof buf)) > 0)
 *         if (scope_ndjson_feed(&dec, buf, n) < 0) break;      // -ENOMEM only
 *     scope_ndjson_free(&dec);
 */
#ifndef SCOPE_FRAMING_H
#define SCOPE_FRAMING_H

#include <stddef.h>
#include <stdint.h>
#include <cJSON.h>

#ifndef SCOPE_FRAME_MAX_DEFAULT
#define SCOPE_FRAME_MAX_DEFAULT (1024u * 1024u)
#endif

typedef enum {
    SCOPE_FRAME_OVERSIZE = 1, /* longer than max_frame: skipped */
    SCOPE_FRAME_MALFORMED,    /* NDJSON: not valid JSON */
    SCOPE_FRAME_BLANK,        /* NDJSON: an empty line (or only whitespace) */
} scope_frame_error_kind_t;

typedef struct {
    scope_frame_error_kind_t kind;
    uint64_t offset; /* byte offset in the stream where the bad frame starts */
    uint64_t size;   /* its size in bytes (for OVERSIZE: at least max_frame+1,
                        or the declared length of a length-prefixed frame) */
    uint64_t where;  /* MALFORMED: byte offset of the error within the frame */
    char reason[160]; /* a sentence naming the size or byte offset */
} scope_frame_error_t;

/* ---- NDJSON ---------------------------------------------------------- */

/* value is borrowed; line/len is the raw line without its '\n'. */
typedef void (*scope_ndjson_cb)(void *arg, cJSON *value, const char *line, size_t len);
typedef void (*scope_frame_error_cb)(void *arg, const scope_frame_error_t *err);

typedef struct {
    char *buf; /* the partial line carried between feeds */
    size_t len, cap;
    size_t max_frame;
    uint64_t offset;   /* stream offset of buf[0] */
    int skipping;      /* discarding an oversize line until its newline */
    uint64_t skip_len; /* bytes of that line seen so far */
    scope_ndjson_cb on_json;
    scope_frame_error_cb on_error;
    void *arg;
    int raw; /* plain text lines: no JSON parse, blank lines delivered */
} scope_ndjson_t;

/* max_frame 0 means SCOPE_FRAME_MAX_DEFAULT. on_error may be NULL. */
void scope_ndjson_init(scope_ndjson_t *d, size_t max_frame, scope_ndjson_cb on_json,
                       scope_frame_error_cb on_error, void *arg);
/* The same decoder for plain text lines (what nc or a chat client sends):
 * on_line gets value NULL and each line without its "\n" (or "\r\n"), blank
 * lines included; only an oversize line is an error. */
void scope_lines_init(scope_ndjson_t *d, size_t max_frame, scope_ndjson_cb on_line,
                      scope_frame_error_cb on_error, void *arg);
/* Returns 0, or -ENOMEM (the decoder stays usable). Callbacks run inside. */
int scope_ndjson_feed(scope_ndjson_t *d, const char *data, size_t len);
/* Delivers the unfinished line held now as if its newline had come (what a
 * peer that writes "ping" and waits, as Node's examples do, means by a
 * message). Returns its length, 0 when nothing was held. */
size_t scope_ndjson_flush(scope_ndjson_t *d);
/* Bytes of an unfinished line held now (0 between whole lines). */
size_t scope_ndjson_pending(const scope_ndjson_t *d);
void scope_ndjson_free(scope_ndjson_t *d);

/* ---- 4-byte big-endian length prefix --------------------------------- */

typedef void (*scope_lenframe_cb)(void *arg, const char *frame, size_t len);

typedef struct {
    unsigned char hdr[4];
    size_t hdr_len;
    char *buf;
    size_t len, cap;
    uint32_t want;      /* declared length of the frame being read */
    uint64_t skip_left; /* bytes of an oversize frame still to discard */
    size_t max_frame;
    uint64_t offset; /* stream offset of the next byte fed */
    uint64_t frame_offset;
    scope_lenframe_cb on_frame;
    scope_frame_error_cb on_error;
    void *arg;
} scope_lenframe_t;

void scope_lenframe_init(scope_lenframe_t *d, size_t max_frame, scope_lenframe_cb on_frame,
                         scope_frame_error_cb on_error, void *arg);
int scope_lenframe_feed(scope_lenframe_t *d, const char *data, size_t len);
void scope_lenframe_free(scope_lenframe_t *d);
/* Writes the 4-byte big-endian header for a frame of len bytes. -EMSGSIZE
 * when len does not fit in 32 bits. */
int scope_lenframe_header(unsigned char out[4], size_t len);

#endif
