/* view_flow: pane 2, the message flow as a sequence diagram (after sngrep).
 *
 *      parent 1234         child 1235
 *          │──ping #3──────────▶│        68 B  21 µs
 *          │◀─────────pong #3───│        68 B  18 µs
 *          │═1200 msgs in 100 ms▶│  81 KiB ~40 µs
 *
 * One lane per process and outside peer, one arrow per message, newest at the
 * bottom. Rows folded by the model (too many in one slice to follow) show
 * their count instead of a summary. When the lanes' roles do not fit their
 * columns, the lanes take short names (S, C1, C2: tui/lanes.h) and the last
 * row of the pane is their legend. A column on the right holds size and
 * latency; on a wide pane a column on the left holds the time since the
 * first event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crt.h"
#include "i18n.h"
#include "lanes.h"
#include "text.h"
#include "view.h"

/* "115 B 422 µs"; narrow: "115B 422µs" */
static void squeeze(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        int unit_gap = *p == ' ' && p > s && p[-1] >= '0' && p[-1] <= '9' &&
                       !(p[1] >= '0' && p[1] <= '9');
        if (!unit_gap)
            *o++ = *p;
    }
    *o = '\0';
}

static void meta(const tui_flow_t *f, char *out, size_t n, int ascii, int narrow)
{
    char b[24], l[40] = "";
    tui_text_bytes(b, sizeof b, (double)f->bytes);
    if (f->count > 1) {
        if (f->lat_n) {
            char mean[24];
            tui_text_ns(mean, sizeof mean, (double)f->lat_sum / (double)f->lat_n, ascii);
            snprintf(l, sizeof l, " ~%s", mean);
        }
    } else if (f->lat_ns) {
        char t[24];
        tui_text_ns(t, sizeof t, (double)f->lat_ns, ascii);
        snprintf(l, sizeof l, " %s", t);
    }
    if (snprintf(out, n, "%s%s", b, l) >= (int)n)
        out[n - 1] = '\0'; /* cut at the caller's width: its drawing adds the ellipsis */
    if (narrow)
        squeeze(out);
}

/* Is lane a "ROLE N" and lane b "ROLE M" with N < M? */
static int numbered_before(const tui_model_t *m, int a, int b)
{
    char ra[64], rb[64];
    tui_model_lane_role(m, a, ra, sizeof ra);
    tui_model_lane_role(m, b, rb, sizeof rb);
    const char *sa = strrchr(ra, ' '), *sb = strrchr(rb, ' ');
    if (!sa || !sb || sa - ra != sb - rb || strncmp(ra, rb, (size_t)(sa - ra)) != 0)
        return 0;
    char *ea, *eb;
    long na = strtol(sa + 1, &ea, 10), nb = strtol(sb + 1, &eb, 10);
    return !*ea && !*eb && ea != sa + 1 && eb != sb + 1 && na < nb;
}

void tui_view_flow(const tui_ui_t *ui, tui_rect_t r)
{
    const tui_model_t *m = ui->model;
    if (!m || m->flow_len == 0 || m->nlanes == 0) {
        tui_crt_text(r.y, r.x + 1, r.w - 1, TUI_ROLE_DIM, tui_i18n(TUI_S_NO_MESSAGES));
        return;
    }
    int ascii = !tui_crt_utf8();
    int timew = r.w >= 90 ? 9 : 0;
    int metaw = r.w >= 60 ? 22 : r.w >= 36 ? 12 : 0;
    /* The rows in view first: only the lanes they use get a column, so a
     * demo whose short-lived children came and went (grep, sh, ...) keeps
     * wide lanes for what is on screen now. */
    int vis = r.h - 1;
    size_t end = m->flow_len;
    size_t back = (size_t)(ui->scroll[TUI_PANE_FLOW] > 0 ? ui->scroll[TUI_PANE_FLOW] : 0);
    if (back > end)
        back = end;
    end -= back;
    size_t start = end > (size_t)vis ? end - (size_t)vis : 0;
    int used[TUI_MODEL_MAX_LANES] = {0};
    for (size_t i = start; i < end; i++) {
        const tui_flow_t *f = tui_model_flow_get(m, i);
        if (f->from >= 0 && f->from < m->nlanes)
            used[f->from] = 1;
        if (f->to >= 0 && f->to < m->nlanes)
            used[f->to] = 1;
    }
    int lane_of_col[TUI_MODEL_MAX_LANES], col_of_lane[TUI_MODEL_MAX_LANES];
    int n = 0;
    for (int k = 0; k < m->nlanes; k++) {
        col_of_lane[k] = n;
        if (used[k])
            lane_of_col[n++] = k;
        else
            col_of_lane[k] = -1;
    }
    if (n == 0) { /* nothing in view (scrolled past everything): all lanes */
        for (int k = 0; k < m->nlanes; k++)
            lane_of_col[k] = col_of_lane[k] = k;
        n = m->nlanes;
    }
    /* Lanes come in the order they first spoke; numbered lanes of one role
     * ("client 2" before "client 1") are put in their numbers' order. */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && numbered_before(m, lane_of_col[j], lane_of_col[j - 1]); j--) {
            int t = lane_of_col[j];
            lane_of_col[j] = lane_of_col[j - 1];
            lane_of_col[j - 1] = t;
        }
    for (int i = 0; i < n; i++)
        col_of_lane[lane_of_col[i]] = i;

    int lx = r.x + timew, lw = r.w - timew - metaw;
    if (lw < n * 4) {
        metaw = 0;
        lw = r.w - timew;
    }
    int col = lw / n;
    if (col < 2)
        col = 2;
    int center[TUI_MODEL_MAX_LANES];
    for (int i = 0; i < n; i++)
        center[i] = lx + col * i + col / 2;

    /* With the pane in focus its last row tells the bottom arrow whole (the
     * selected one: the arrows and PgUp move it): who to whom, on which
     * channel, its bytes and round trip, and its whole summary. */
    int detail = ui->focus == TUI_PANE_FLOW && r.h > 4 ? (r.h > 8 ? 2 : 1) : 0;
    if (detail) {
        const tui_flow_t *f = tui_model_flow_get(m, end - 1);
        char from[64], to[64], b[24], lat[24] = "", line[400];
        tui_model_lane_label(m, f->from, from, sizeof from);
        tui_model_lane_label(m, f->to, to, sizeof to);
        tui_text_bytes(b, sizeof b, (double)f->bytes);
        if (f->lat_ns)
            tui_text_ns(lat, sizeof lat, (double)f->lat_ns, ascii);
        const char *chan = f->chan >= 0 && f->chan < m->nchans ? m->chans[f->chan].id : "";
        snprintf(line, sizeof line, "%s %s %s · %s · %s%s%s", from,
                 tui_crt_glyph(TUI_G_ARROW_RIGHT), to, chan, b, lat[0] ? " · " : "", lat);
        char folded[64] = "";
        if (f->count > 1)
            snprintf(folded, sizeof folded, tui_i18n(TUI_S_FOLDED), (unsigned long long)f->count,
                     (unsigned long long)(TUI_MODEL_SLICE_NS / 1000000));
        const char *what = f->count > 1 ? folded : f->summary;
        int y = r.y + r.h - detail;
        for (int k = 0; k < detail; k++)
            tui_crt_fill(y + k, r.x, r.w, TUI_ROLE_SELECTED);
        if (detail == 1) { /* one row: what it was matters more than where */
            snprintf(line + strlen(line), sizeof line - strlen(line), " · %s", what);
            tui_crt_text(y, r.x + 1, r.w - 1, TUI_ROLE_SELECTED, what);
        } else {
            tui_crt_text(y, r.x + 1, r.w - 1, TUI_ROLE_SELECTED, line);
            tui_crt_text(y + 1, r.x + 1, r.w - 1, TUI_ROLE_SELECTED, what);
        }
        r.h -= detail;
        if (end - start > (size_t)(r.h - 1))
            start = end - (size_t)(r.h - 1);
    }

    /* lane headers: the roles, or short names and a legend in the last row */
    char roles[TUI_MODEL_MAX_LANES][64], shorts[TUI_MODEL_MAX_LANES][TUI_LANES_SHORT];
    const char *role_of[TUI_MODEL_MAX_LANES];
    int cramped = 0;
    for (int i = 0; i < n; i++) {
        tui_model_lane_role(m, lane_of_col[i], roles[i], sizeof roles[i]);
        role_of[i] = roles[i];
        cramped |= tui_text_width(roles[i]) > col - 1;
    }
    if (cramped && r.h > 3) {
        char legend[256];
        tui_lanes_shorten(role_of, n, shorts, legend, sizeof legend);
        tui_crt_text(r.y + r.h - 1, r.x + 1, r.w - 1, TUI_ROLE_DIM, legend);
        r.h--;
        if (end - start > (size_t)(r.h - 1))
            start = end - (size_t)(r.h - 1);
    }
    for (int i = 0; i < n; i++) {
        char label[64];
        if (cramped && r.h > 2)
            snprintf(label, sizeof label, "%s", shorts[i]);
        else
            tui_model_lane_label_fit(m, lane_of_col[i], col - 1, label, sizeof label);
        int w = tui_text_width(label);
        if (w > col - 1)
            w = col - 1;
        int x = center[i] - w / 2;
        if (x < lx + col * i)
            x = lx + col * i;
        tui_crt_text(r.y, x, col - 1, TUI_ROLE_LANE, label);
    }

    for (size_t i = start; i < end; i++) {
        int y = r.y + 1 + (int)(i - start);
        const tui_flow_t *f = tui_model_flow_get(m, i);
        for (int k = 0; k < n; k++)
            tui_crt_text(y, center[k], 1, TUI_ROLE_LANE, tui_crt_glyph(TUI_G_VLINE));
        if (timew) {
            char t[24];
            snprintf(t, sizeof t, "%8.3f", (double)(f->t - m->t0) / 1e9);
            tui_crt_text(y, r.x, timew - 1, TUI_ROLE_DIM, t);
        }
        /* The whole summary when the arrow is long enough; otherwise what the
         * message is ("ping #12"), which a cut summary ("{\"type\":\"pi")
         * would not say. */
        int a0 = center[col_of_lane[f->from]], b0 = center[col_of_lane[f->to]];
        int room = (a0 > b0 ? a0 - b0 : b0 - a0) - 3;
        char label[160];
        if (f->count > 1) {
            unsigned long long count = f->count, ms = TUI_MODEL_SLICE_NS / 1000000;
            snprintf(label, sizeof label, tui_i18n(TUI_S_FOLDED), count, ms);
            if (a0 != b0 && tui_text_width(label) > room)
                snprintf(label, sizeof label, tui_i18n(TUI_S_FOLDED_SHORT), count);
            if (a0 != b0 && tui_text_width(label) > room) /* "3 m…" says less than "x3" */
                snprintf(label, sizeof label, "x%llu", count);
        } else if (a0 != b0 && tui_text_width(f->summary) > room) {
            snprintf(label, sizeof label, "%s", f->label);
        } else {
            snprintf(label, sizeof label, "%s", f->summary);
        }
        tui_role_t role = f->error       ? TUI_ROLE_ERROR
                          : f->count > 1 ? TUI_ROLE_AGGREGATE
                          : f->from <= f->to ? TUI_ROLE_ARROW
                                             : TUI_ROLE_ARROW_BACK;
        int a = a0, b = b0;
        if (a == b) {
            char self[200];
            snprintf(self, sizeof self, "%s %s", tui_crt_glyph(f->error ? TUI_G_EXIT_MARK : TUI_G_SELF),
                     f->error ? f->summary : label);
            int right = r.x + r.w - (f->error ? 0 : metaw) - a - 1;
            if (f->error && right < 24 && a - r.x - 2 > right) /* the last lane: say it on the left */
                tui_crt_text(y, r.x + 1, a - r.x - 2, role, self);
            else
                tui_crt_text(y, a + 1, right, role, self);
        } else {
            int lo = a < b ? a : b, hi = a < b ? b : a;
            for (int x = lo + 1; x < hi; x++)
                tui_crt_text(y, x, 1, role, tui_crt_glyph(TUI_G_HLINE));
            if (a < b)
                tui_crt_text(y, hi - 1, 1, role, tui_crt_glyph(TUI_G_ARROW_RIGHT));
            else
                tui_crt_text(y, lo + 1, 1, role, tui_crt_glyph(TUI_G_ARROW_LEFT));
            int span = hi - lo - 3; /* a line after the tail, the head after the label */
            if (span > 0) {
                int lwid = tui_text_width(label);
                if (lwid > span)
                    lwid = span;
                /* the label sits on the arrow, near its tail */
                int x = a < b ? lo + 2 : hi - 1 - lwid;
                tui_crt_text(y, x, span, role, label);
            }
        }
        if (metaw && !f->error) {
            char mt[48];
            meta(f, mt, sizeof mt, ascii, metaw < 20);
            int w = tui_text_width(mt);
            if (w > metaw - 1) {
                /* "1.4KiB ~194µs" in 11 columns: the latency says more than
                 * the size, so it is kept whole rather than both cut */
                const char *lat = strchr(mt, ' ');
                if (lat == NULL)
                    lat = strchr(mt, '~');
                if (lat && tui_text_width(lat + (*lat == ' ')) <= metaw - 1)
                    memmove(mt, lat + (*lat == ' '), strlen(lat + (*lat == ' ')) + 1);
                w = tui_text_width(mt);
                if (w > metaw - 1)
                    w = metaw - 1;
            }
            tui_crt_text(y, r.x + r.w - w, w, TUI_ROLE_VALUE, mt);
        }
    }
    if (back > 0) {
        char more[48];
        snprintf(more, sizeof more, " +%zu ", back);
        int w = tui_text_width(more);
        tui_crt_text(r.y + r.h - 1, r.x + r.w - w, w, TUI_ROLE_PAUSED, more);
    }
}
