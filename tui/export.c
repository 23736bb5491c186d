/* export: a recorded run as a sequence diagram's text. See export.h. */
#include "export.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "text.h"

#define LABEL_COLS 60 /* a message's label on its arrow, cut with "…" */

/* Text a diagram's line may hold: no line break, no ';' (Mermaid reads
 * "#name;" as an entity), no '"' (PlantUML quotes names); cut to cols. */
static void clean(const char *in, char *out, size_t n, int cols)
{
    size_t keep = tui_text_cut(in, cols), o = 0;
    for (size_t i = 0; i < keep && o + 1 < n; i++) {
        char c = in[i];
        out[o++] = c == '\n' || c == '\r' || c == '\t' ? ' ' : c == ';' ? ',' : c == '"' ? '\'' : c;
    }
    out[o] = '\0';
    if (in[keep] && o + 4 < n) /* it was cut */
        strcpy(out + o, "…");
}

static void arrow_label(const tui_flow_t *f, char *out, size_t n)
{
    char what[160], b[24], lat[24] = "";
    if (f->count > 1)
        snprintf(what, sizeof what, "%llu msgs in %llu ms", (unsigned long long)f->count,
                 (unsigned long long)(TUI_MODEL_SLICE_NS / 1000000));
    else
        /* the short label ("ping #12"), unless the model had to cut it */
        clean(f->label[0] && strlen(f->label) + 1 < sizeof f->label ? f->label : f->summary, what,
              sizeof what, LABEL_COLS);
    tui_text_bytes(b, sizeof b, (double)f->bytes);
    if (f->lat_ns)
        tui_text_ns(lat, sizeof lat, (double)f->lat_ns, 0);
    snprintf(out, n, "%s (%s%s%s)", what, b, lat[0] ? ", " : "", lat);
}

static void participants(const tui_model_t *m, FILE *out, tui_export_format_t fmt)
{
    for (int i = 0; i < m->nlanes; i++) {
        char name[96], safe[128];
        tui_model_lane_label(m, i, name, sizeof name);
        clean(name, safe, sizeof safe, 80);
        if (fmt == TUI_EXPORT_MERMAID)
            fprintf(out, "    participant L%d as %s\n", i, safe);
        else
            fprintf(out, "participant \"%s\" as L%d\n", safe, i);
    }
}

static void step_note(const tui_model_t *m, const tui_log_t *l, FILE *out, tui_export_format_t fmt)
{
    char title[160];
    clean(l->text, title, sizeof title, 100);
    if (fmt == TUI_EXPORT_PLANTUML)
        fprintf(out, "== step %d: %s ==\n", l->n, title);
    else if (m->nlanes > 1)
        fprintf(out, "    Note over L0,L%d: step %d: %s\n", m->nlanes - 1, l->n, title);
    else
        fprintf(out, "    Note over L0: step %d: %s\n", l->n, title);
}

static void row(const tui_flow_t *f, FILE *out, tui_export_format_t fmt)
{
    char text[256];
    if (f->error) {
        clean(f->summary, text, sizeof text, 100);
        fprintf(out, fmt == TUI_EXPORT_MERMAID ? "    Note over L%d: ✗ %s\n"
                                               : "note over L%d #pink : ✗ %s\n",
                f->from, text);
        return;
    }
    arrow_label(f, text, sizeof text);
    if (fmt == TUI_EXPORT_MERMAID)
        fprintf(out, "    L%d->>L%d: %s\n", f->from, f->to, text);
    else
        fprintf(out, "L%d -> L%d : %s\n", f->from, f->to, text);
}

int tui_export(FILE *in, FILE *out, tui_export_format_t fmt, char *err, size_t errn)
{
    tui_model_t *m = tui_model_new();
    if (!m) {
        snprintf(err, errn, "out of memory");
        return -1;
    }
    m->fold_after = INT_MAX; /* a diagram has room for every arrow */
    char *line = NULL;
    size_t cap = 0;
    long events = 0, refused = 0;
    while (getline(&line, &cap, in) > 0) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            continue;
        if (tui_model_feed_line(m, line) < 0)
            refused++;
        else
            events++;
    }
    free(line);
    if (m->flow_len == 0) {
        snprintf(err, errn, "%s", events ? "no message in the recording"
                                         : "no event in the recording (a --record file, or "
                                           "a demo's --json output)");
        tui_model_free(m);
        return -1;
    }
    const char *c = fmt == TUI_EXPORT_MERMAID ? "%%" : "'";
    fprintf(out, fmt == TUI_EXPORT_MERMAID ? "sequenceDiagram\n" : "@startuml\n");
    fprintf(out, "%s ipcscope export: %s, %ld events%s\n", c, m->demo[0] ? m->demo : "a run",
            events, refused ? " (some lines were not events and are left out)" : "");
    if (m->flow_total > m->flow_len)
        fprintf(out, "%s the last %zu of %llu rows of the flow\n", c, m->flow_len,
                (unsigned long long)m->flow_total);
    participants(m, out, fmt);
    /* rows and steps in the order they happened */
    size_t li = 0;
    for (size_t i = 0; i < m->flow_len; i++) {
        const tui_flow_t *f = tui_model_flow_get(m, i);
        for (; li < m->log_len && tui_model_log_get(m, li)->t <= f->t; li++)
            if (tui_model_log_get(m, li)->kind == TUI_LOG_STEP)
                step_note(m, tui_model_log_get(m, li), out, fmt);
        row(f, out, fmt);
    }
    for (; li < m->log_len; li++) /* the steps after the last message */
        if (tui_model_log_get(m, li)->kind == TUI_LOG_STEP)
            step_note(m, tui_model_log_get(m, li), out, fmt);
    if (fmt == TUI_EXPORT_PLANTUML)
        fprintf(out, "@enduml\n");
    tui_model_free(m);
    return 0;
}
