/* libFuzzer target for the dashboard's event reader (tui/model.c): a demo's
 * event lines, any bytes at all, fed to the model one line at a time, and the
 * model then read the way the views read it.
 *
 *   make fuzz            (or by hand, after `make BUILD=build-fuzz ...`:)
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ilib -Itui \
 *       -I/usr/include/cjson tests/fuzz/fuzz_events.c build-fuzz/libipcscope-tui.a \
 *       build-fuzz/libipcscope.a -luv -lcjson -lm -o fuzz_events
 *   ./fuzz_events -max_total_time=60 corpus_dir/
 *
 * Input layout: byte 0 chooses what the dashboard adds between lines (bit 0:
 * it saw a process exit, with waitpid; bit 1: a line of its own narration);
 * the rest is the stream, cut at each '\n' (a NUL inside a line ends it, as it
 * would for a C string). The streams recorded in tests/data make good seeds.
 *
 * What must hold:
 *   - no crash, no leak, no read or write out of bounds;
 *   - each line fed is counted once: refused + events == lines fed;
 *   - the fixed tables stay within their bounds: nprocs <= TUI_MODEL_MAX_PROCS,
 *     nlanes <= TUI_MODEL_MAX_LANES, nchans <= TUI_MODEL_MAX_CHANS, the flow
 *     and log rings within TUI_MODEL_FLOW_ROWS and TUI_MODEL_LOG_LINES, at
 *     most 32 orphans and 8 faults;
 *   - every flow row names lanes that exist and a channel that exists (or -1),
 *     and every accessor a view calls (flow_get, log_get, lane labels fitted
 *     to any width, a channel's summary and sparkline) answers within them,
 *     with NUL-terminated text.
 * A violation aborts, which libFuzzer reports as a crash.
 */
#include "model.h"

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

#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

static void check_bounds(const tui_model_t *m)
{
    CHECK(m->nprocs >= 0 && m->nprocs <= TUI_MODEL_MAX_PROCS);
    CHECK(m->nlanes >= 0 && m->nlanes <= TUI_MODEL_MAX_LANES);
    CHECK(m->nchans >= 0 && m->nchans <= TUI_MODEL_MAX_CHANS);
    CHECK(m->flow_len <= TUI_MODEL_FLOW_ROWS);
    CHECK(m->flow_head < TUI_MODEL_FLOW_ROWS);
    CHECK(m->flow_len <= m->flow_total);
    CHECK(m->log_len <= TUI_MODEL_LOG_LINES);
    CHECK(m->log_head < TUI_MODEL_LOG_LINES);
    CHECK(m->norphans >= 0 && m->norphans <= 32);
    CHECK(m->nfaults >= 0 && m->nfaults <= 8);
    CHECK(TERMINATED(m->demo) && TERMINATED(m->title) && TERMINATED(m->step_title));
}

/* Everything the views read, read once. */
static void read_like_a_view(const tui_model_t *m)
{
    char label[64];

    for (int i = 0; i < m->nprocs; i++)
        CHECK(TERMINATED(m->procs[i].role) && TERMINATED(m->procs[i].signal));
    for (int i = 0; i < m->nfaults; i++)
        CHECK(TERMINATED(m->faults[i]));
    for (int lane = -1; lane <= m->nlanes; lane++) {
        for (int cols = 0; cols <= 24; cols += 3) {
            tui_model_lane_label_fit(m, lane, cols, label, sizeof label);
            CHECK(TERMINATED(label));
        }
    }
    for (size_t i = 0; i < m->flow_len; i++) {
        const tui_flow_t *f = tui_model_flow_get(m, i);
        CHECK(f != NULL);
        CHECK(f->from >= 0 && f->from < m->nlanes);
        CHECK(f->to >= 0 && f->to < m->nlanes);
        CHECK(f->chan >= -1 && f->chan < m->nchans);
        CHECK(f->count >= 1);
        CHECK(TERMINATED(f->summary) && TERMINATED(f->label));
        tui_model_short_label(f->summary, f->first_id, label, sizeof label);
        CHECK(TERMINATED(label));
    }
    CHECK(tui_model_flow_get(m, m->flow_len) == NULL);
    for (size_t i = 0; i < m->log_len; i++) {
        const tui_log_t *l = tui_model_log_get(m, i);
        CHECK(l != NULL);
        CHECK(TERMINATED(l->text) && TERMINATED(l->extra));
    }
    CHECK(tui_model_log_get(m, m->log_len) == NULL);
    for (int c = -1; c <= m->nchans; c++) {
        scope_hist_summary_t s;
        double lat[TUI_MODEL_SPARK];
        uint64_t msgs[TUI_MODEL_SPARK];
        tui_model_chan_summary(m, c, &s);
        tui_model_spark(m, c, m->now, lat, msgs);
        if (c >= 0 && c < m->nchans) {
            const tui_chan_t *ch = &m->chans[c];
            CHECK(TERMINATED(ch->id) && TERMINATED(ch->kind) && TERMINATED(ch->detail));
        }
    }
}

/* One model for the whole run, emptied for each input with tui_model_reset
 * as the dashboard empties it for each run of a demo: allocating its 860 kB
 * anew each time would make the fuzzer ten times slower. */
static tui_model_t *model;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    model = tui_model_new();
    CHECK(model != NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned extras = data[0];
    const char *s = (const char *)data + 1;
    size_t n = size - 1;

    tui_model_t *m = model;
    tui_model_reset(m);
    char *line = malloc(n + 1);
    CHECK(line != NULL);
    uint64_t fed = 0;
    for (size_t start = 0; start < n;) {
        const char *nl = memchr(s + start, '\n', n - start);
        size_t len = nl ? (size_t)(nl - (s + start)) : n - start;
        memcpy(line, s + start, len);
        line[len] = '\0';
        tui_model_feed_line(m, line);
        fed++;
        CHECK(m->refused + m->events == fed);
        check_bounds(m);
        /* What the dashboard adds of its own, between the demo's lines. */
        if ((extras & 1) && m->nprocs > 0)
            tui_model_proc_exited(m, m->procs[fed % (uint64_t)m->nprocs].pid, 1, "SIGKILL",
                                  m->now);
        if (extras & 2)
            tui_model_note(m, m->now, "dashboard: a note of its own");
        check_bounds(m);
        start += len + 1;
    }
    read_like_a_view(m);
    free(line);
    return 0;
}
