/* view_latency: pane 3, the figures of each channel.
 *
 *   ipc socketpair   12 msg/s  1.1 KiB/s
 *   p50 21 µs  p90 35 µs  p99 80 µs  max 1.2 ms  n 412  since start
 *   60s ⣀⣀⣤⣤⣶⣿⣶⣤⣀
 *     8-16 µs ███████▍      120
 *    16-33 µs ██▏            31
 *
 * Percentiles are the demo's own (stats events, over every message since
 * rate or size last changed) when it sent them, else those of the latencies
 * the dashboard saw, over the same window. The histogram has
 * one row per power of two of nanoseconds; the sparkline is the mean latency
 * of each of the last 60 seconds, two seconds per braille cell.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "crt.h"
#include "i18n.h"
#include "text.h"
#include "view.h"

static int channel_block(const tui_ui_t *ui, int ci, tui_rect_t r, int rows)
{
    const tui_model_t *m = ui->model;
    const tui_chan_t *c = &m->chans[ci];
    int ascii = !tui_crt_utf8();
    int y = r.y, used = 0;
    char buf[256], a[24], b[24], d[24], e[24];

    /* 1. name, kind, rates */
    double rate = c->have_stats ? c->rate : 0, bps = c->have_stats ? c->bps : 0;
    if (rate == 0 && c->msgs) {
        /* A one-way channel's stats count what its end received, and on
         * stdin nobody traced the receiving: the messages seen go by here,
         * over the last whole second. */
        double lat[TUI_MODEL_SPARK];
        uint64_t msgs[TUI_MODEL_SPARK];
        tui_model_spark(m, ci, ui->now_ns > m->now ? ui->now_ns : m->now, lat, msgs);
        rate = (double)msgs[TUI_MODEL_SPARK - 2];
        bps = rate * (double)c->msg_bytes / (double)c->msgs;
    }
    tui_text_bytes(a, sizeof a, bps);
    snprintf(buf, sizeof buf, "%s %s", c->id, c->kind);
    int x = r.x + tui_crt_text(y, r.x, r.w, TUI_ROLE_PANE_TITLE, buf);
    snprintf(buf, sizeof buf, "  %.0f %s  %s/s", rate, tui_i18n(TUI_S_MSGS_S), a);
    x += tui_crt_text(y, x, r.x + r.w - x, TUI_ROLE_VALUE, buf);
    if (c->have_stats && c->sample > 0 && c->sample < 0.999) {
        snprintf(buf, sizeof buf, "  %s %.0f%%", tui_i18n(TUI_S_SAMPLED), c->sample * 100);
        x += tui_crt_text(y, x, r.x + r.w - x, TUI_ROLE_DIM, buf);
    }
    if (m->events_dropped) { /* the demo ran on; the screen missed some of it */
        snprintf(buf, sizeof buf, "  %s %llu", tui_i18n(TUI_S_EVENTS_LOST),
                 (unsigned long long)m->events_dropped);
        tui_crt_text(y, x, r.x + r.w - x, TUI_ROLE_PAUSED, buf);
    }
    used++;
    if (used >= rows)
        return used;

    /* 2. percentiles */
    scope_hist_summary_t s;
    tui_model_chan_summary(m, ci, &s);
    if (c->have_loss) {
        /* A one-way channel that counts loss has no latency to show: its
         * counts are its story. */
        snprintf(buf, sizeof buf, tui_i18n(TUI_S_LOSS), (unsigned long long)c->sent,
                 (unsigned long long)c->received, (unsigned long long)c->dropped,
                 c->sent ? 100.0 * (double)c->dropped / (double)c->sent : 0.0);
        tui_crt_text(y + used, r.x, r.w, TUI_ROLE_VALUE, buf);
        if (++used >= rows || (!c->lat_count && !s.p50))
            return used; /* counts only: no percentiles of nothing */
    }
    if (c->rejected) {
        snprintf(buf, sizeof buf, tui_i18n(TUI_S_REJECTED), (unsigned long long)c->rejected);
        tui_crt_text(y + used, r.x, r.w, TUI_ROLE_VALUE, buf);
        if (++used >= rows)
            return used;
    }
    if (!s.count && !c->lat_count) {
        tui_crt_text(y + used, r.x, r.w, TUI_ROLE_DIM,
                     tui_i18n(c->msgs ? TUI_S_ONE_WAY : TUI_S_NO_LATENCY));
        return used + 1;
    }
    tui_text_ns(a, sizeof a, (double)s.p50, ascii);
    tui_text_ns(b, sizeof b, (double)s.p90, ascii);
    tui_text_ns(d, sizeof d, (double)s.p99, ascii);
    tui_text_ns(e, sizeof e, (double)s.max, ascii);
    /* n and the window: how many round trips these figures stand on, and
     * since when (a change of rate or size starts them again) */
    char count[24], window[48];
    snprintf(count, sizeof count, "%llu", (unsigned long long)s.count);
    if (c->since && c->since_step)
        snprintf(window, sizeof window, tui_i18n(TUI_S_SINCE_STEP), c->since_step);
    else
        snprintf(window, sizeof window, "%s",
                 tui_i18n(c->since ? TUI_S_SINCE_CHANGE : TUI_S_WHOLE_RUN));
    const char *parts[6][2] = {{"p50", a}, {"p90", b}, {"p99", d}, {"max", e}, {"n", count},
                               {"", window}};
    x = r.x;
    for (int i = 0; i < 6; i++) {
        snprintf(buf, sizeof buf, "%s%s", parts[i][0], parts[i][0][0] ? " " : "");
        int need = tui_text_width(buf) + tui_text_width(parts[i][1]) + 2;
        if (x + need > r.x + r.w && x > r.x) {
            used++;
            x = r.x;
            if (used >= rows)
                return used;
        }
        x += tui_crt_text(y + used, x, r.x + r.w - x, TUI_ROLE_DIM, buf);
        x += tui_crt_text(y + used, x, r.x + r.w - x, parts[i][0][0] ? TUI_ROLE_VALUE : TUI_ROLE_DIM,
                          parts[i][1]);
        x += 2;
    }
    used++;
    if (used >= rows)
        return used;

    /* 3. sparkline of the last 60 s */
    double lat[TUI_MODEL_SPARK];
    uint64_t msgs[TUI_MODEL_SPARK];
    tui_model_spark(m, ci, ui->now_ns > m->now ? ui->now_ns : m->now, lat, msgs);
    snprintf(buf, sizeof buf, "%s ", tui_i18n(TUI_S_LAST_60S));
    x = r.x + tui_crt_text(y + used, r.x, r.w, TUI_ROLE_DIM, buf);
    int cells = (r.x + r.w - x);
    if (cells > TUI_MODEL_SPARK / 2)
        cells = TUI_MODEL_SPARK / 2;
    double top = 0;
    for (int i = 0; i < TUI_MODEL_SPARK; i++)
        if (lat[i] > top)
            top = lat[i];
    int first = TUI_MODEL_SPARK - cells * 2;
    for (int k = 0; k < cells; k++) {
        double l = lat[first + 2 * k], rr = lat[first + 2 * k + 1];
        int dl = top > 0 && l > 0 ? 1 + (int)(3.0 * l / top) : 0;
        int dr = top > 0 && rr > 0 ? 1 + (int)(3.0 * rr / top) : 0;
        tui_crt_text(y + used, x + k, 1, TUI_ROLE_GRAPH, dl || dr ? tui_crt_braille(dl, dr) : " ");
    }
    if (top > 0 && x + cells + 2 < r.x + r.w) {
        tui_text_ns(a, sizeof a, top, ascii);
        snprintf(buf, sizeof buf, " %s%s", "^", a);
        tui_crt_text(y + used, x + cells, r.x + r.w - x - cells, TUI_ROLE_DIM, buf);
    }
    used++;

    /* 4. histogram, log2 rows, as many as there is room for */
    int lo = -1, hi = -1;
    for (int i = 0; i < TUI_MODEL_LOG2_BINS; i++)
        if (c->log2[i]) {
            if (lo < 0)
                lo = i;
            hi = i;
        }
    if (lo < 0 || used >= rows)
        return used;
    /* Bins per row: a power of two, and rows that start at a multiple of
     * it, so that every channel's rows share one grid of edges (x2, x4,
     * x16...) and two histograms side by side can be compared row by row. */
    int room = rows - used, per = 1;
    while (hi / per - lo / per + 1 > room && per < TUI_MODEL_LOG2_BINS)
        per *= 2;
    lo -= lo % per;
    uint64_t peak = 0;
    for (int i = lo; i <= hi; i += per) {
        uint64_t sum = 0;
        for (int k = i; k < i + per && k <= hi; k++)
            sum += c->log2[k];
        if (sum > peak)
            peak = sum;
    }
    int labw = 18, cntw = 8;
    int barw = r.w - labw - cntw;
    for (int i = lo; i <= hi && used < rows; i += per) {
        uint64_t sum = 0;
        for (int k = i; k < i + per && k <= hi; k++)
            sum += c->log2[k];
        int top_bin = i + per - 1 > hi ? hi : i + per - 1;
        tui_text_ns(a, sizeof a, ldexp(1.0, i), ascii);
        tui_text_ns(b, sizeof b, ldexp(1.0, top_bin + 1), ascii);
        snprintf(buf, sizeof buf, "%s-%s", a, b);
        int w = tui_text_width(buf);
        tui_crt_text(y + used, r.x + (labw - 1 - w > 0 ? labw - 1 - w : 0), labw - 1, TUI_ROLE_DIM,
                     buf);
        if (barw > 0) {
            int eighths = peak ? (int)((double)sum * barw * 8 / (double)peak) : 0;
            int bx = r.x + labw;
            for (int k = 0; k < barw && eighths > 0; k++, eighths -= 8)
                tui_crt_text(y + used, bx + k, 1, TUI_ROLE_GRAPH,
                             tui_crt_eighths(eighths >= 8 ? 8 : eighths));
        }
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)sum);
        w = tui_text_width(buf);
        tui_crt_text(y + used, r.x + r.w - w, w, TUI_ROLE_VALUE, buf);
        used++;
    }
    return used;
}

void tui_view_latency(const tui_ui_t *ui, tui_rect_t r)
{
    const tui_model_t *m = ui->model;
    int shown = 0;
    for (int i = 0; m && i < m->nchans; i++)
        if (m->chans[i].msgs || m->chans[i].have_stats || m->chans[i].lat_count)
            shown++;
    if (!shown) {
        tui_crt_text(r.y, r.x + 1, r.w - 1, TUI_ROLE_DIM, tui_i18n(TUI_S_NO_LATENCY));
        return;
    }
    /* The selected channel first, then the others while there is room. */
    int sel = ui->chan_sel % m->nchans;
    int y = r.y;
    for (int k = 0; k < m->nchans && y < r.y + r.h; k++) {
        int ci = (sel + k) % m->nchans;
        const tui_chan_t *c = &m->chans[ci];
        if (!c->msgs && !c->have_stats && !c->lat_count)
            continue;
        int rows = r.y + r.h - y;
        if (k > 0 && rows < 3)
            break;
        tui_rect_t rr = {y, r.x, rows, r.w};
        y += channel_block(ui, ci, rr, shown > 1 && k == 0 && rows > 10 ? rows - 4 : rows);
        y++;
    }
}
