/* copy.c, step 4: article 002's "shared memory" is a copy.
 *
 * The article makes a 1,024-byte Buffer.alloc(1024), hands it to a worker
 * with postMessage, and says the worker writes into "this shared memory".
 * It does not: postMessage clones what it is given (the structured clone
 * algorithm), so the worker gets bytes of its own, and a Buffer cannot be
 * moved instead (it is not transferable: node throws). The parent, after
 * the worker's "done", still reads zeros.
 *
 * Shown here as node does it: the worker thread gets a copy (malloc +
 * memcpy, the clone) and writes "hello from worker" into it; the parent's
 * buffer is unchanged. Then the same with a real shared buffer (a
 * SharedArrayBuffer: the worker gets the same memory, a pointer), and the
 * parent reads "hello from worker".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "shared-memory.h"

#define SIZE 1024
static const char hello[] = "hello from worker";

static struct {
    scope_trace_t main, worker;
} c;

static void *worker_main(void *buf)
{
    memcpy(buf, hello, sizeof hello); /* buffer.write('hello from worker') */
    scope_trace_send(&c.worker, "done", 4); /* parentPort.postMessage('done') */
    return NULL;
}

/* What buf says: its text, or its first bytes when it holds none; zeros is
 * the format of those bytes (in English for the figures, or as narrated). */
static void describe(const unsigned char *buf, const char *zeros, char *out, size_t outlen)
{
    if (buf[0])
        snprintf(out, outlen, "\"%.*s\"", (int)strnlen((const char *)buf, 64), (const char *)buf);
    else
        snprintf(out, outlen, zeros, buf[0], buf[1], buf[2], buf[3]);
}

/* postMessage(buf) to a new worker, which writes and says "done"; shared:
 * the worker gets buf itself, else a copy of it. What buf says after: out
 * for the figures, said for the narration. */
static void run(unsigned char *buf, int shared, char *out, char *said, size_t outlen)
{
    unsigned char *theirs = shared ? buf : malloc(SIZE);
    if (!theirs) {
        snprintf(out, outlen, "(no memory)");
        snprintf(said, outlen, "%s", scope_events_tr("(no memory)"));
        return;
    }
    if (!shared)
        memcpy(theirs, buf, SIZE); /* the structured clone: bytes of its own */
    const char *what = shared ? "shared buf" : "Buffer copy"; /* short: the flow's arrows */
    scope_trace_send(&c.main, what, strlen(what));
    pthread_t w;
    pthread_create(&w, NULL, worker_main, theirs);
    pthread_join(w, NULL);
    scope_trace_note(&c.worker, SCOPE_TRACE_RECV, what, SIZE); /* SIZE bytes, told by name */
    scope_trace_recv(&c.main, "done", 4);
    if (!shared)
        free(theirs);
    describe(buf, "%02x %02x %02x %02x ... (zeros)", out, outlen);
    /* xgettext:c-format */
    describe(buf, scope_events_tr("%02x %02x %02x %02x ... (zeros)"), said, outlen);
}

void shm_copy(scope_demo_t *d)
{
    unsigned char *buf = calloc(1, SIZE);
    char copied[64] = "", shared[64] = "", copied_said[64] = "", shared_said[64] = "";
    scope_trace_init(&c.main, "thread", SCOPE_PID(getpid()), SCOPE_PEER("worker thread"));
    scope_trace_init(&c.worker, "thread", SCOPE_PEER("worker thread"), SCOPE_PID(getpid()));
    scope_trace_open(&c.main, "postMessage",
                     scope_events_tr("a Buffer is cloned; a SharedArrayBuffer is not"));
    if (buf) {
        run(buf, 0, copied, copied_said, sizeof copied);
        scope_events_log("worker.postMessage(Buffer.alloc(1024)): the worker got a copy and "
                         "wrote \"%s\" there; after its \"done\" the parent reads %s",
                         hello, copied_said);
        run(buf, 1, shared, shared_said, sizeof shared);
        scope_events_log("worker.postMessage(new SharedArrayBuffer(1024)): the same memory; "
                         "after \"done\" the parent reads %s", shared_said);
    }
    scope_demo_check(d, buf && buf[0] && !strcmp((char *)buf, hello), "copy",
                     "the shared buffer reads %s", shared_said);
    scope_demo_figure(d, "copy.buffer", cJSON_CreateString(copied));
    scope_demo_figure(d, "copy.shared", cJSON_CreateString(shared));
    free(buf);
    scope_trace_close(&c.main);
    scope_demo_next(d);
}
