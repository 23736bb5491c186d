/* view_text: pane 4, the narration log or the lesson (l switches).
 *
 * The log is the demo's own narration plus what the dashboard saw (a process
 * started or exited, a signal it sent), newest at the bottom, wrapped with a
 * hanging indent. The lesson is the Markdown of docs/lessons/NAME.md drawn
 * readably: headings stand out, code keeps its lines, lists get bullets.
 */
#include <stdio.h>
#include <string.h>

#include "catalogue.h"
#include "crt.h"
#include "i18n.h"
#include "text.h"
#include "view.h"

/* ---- the log ------------------------------------------------------------- */

static void who(const tui_model_t *m, long pid, char *out, size_t n)
{
    if (pid <= 0) {
        snprintf(out, n, "[ipcscope]");
        return;
    }
    const tui_proc_t *p = tui_model_proc(m, pid);
    if (p && p->role[0])
        snprintf(out, n, "[%s %ld]", p->role, pid);
    else
        snprintf(out, n, "[%ld]", pid);
}

static tui_role_t format_log(const tui_model_t *m, const tui_log_t *l, char *out, size_t n)
{
    char w[80], subj[300];
    who(m, l->pid, w, sizeof w);
    switch (l->kind) {
    case TUI_LOG_STEP:
        snprintf(out, n, tui_i18n(TUI_S_STEP_LINE), l->n, l->text);
        return TUI_ROLE_STEP;
    case TUI_LOG_ERROR:
        snprintf(out, n, "%s %s %s", w, tui_i18n(TUI_S_ERROR), l->text);
        return TUI_ROLE_ERROR;
    case TUI_LOG_PROC_START:
    case TUI_LOG_PROC_READY:
    case TUI_LOG_PROC_EXIT:
        if (l->text[0])
            snprintf(subj, sizeof subj, "%ld (%s)", l->subject, l->text);
        else
            snprintf(subj, sizeof subj, "%ld", l->subject);
        char how[160];
        if (l->kind == TUI_LOG_PROC_EXIT && l->after_signal) {
            snprintf(how, sizeof how, tui_i18n(TUI_S_PROC_EXITED_AFTER), l->n, l->extra);
            snprintf(out, n, "%s %s %s", w, subj, how);
        } else if (l->kind == TUI_LOG_PROC_EXIT && l->extra[0]) {
            snprintf(how, sizeof how, tui_i18n(TUI_S_PROC_KILLED), l->extra);
            snprintf(out, n, "%s %s %s", w, subj, how);
        } else if (l->kind == TUI_LOG_PROC_EXIT)
            snprintf(out, n, "%s %s %s %d", w, subj, tui_i18n(TUI_S_PROC_EXITED), l->n);
        else
            snprintf(out, n, "%s %s %s", w, subj,
                     tui_i18n(l->kind == TUI_LOG_PROC_START ? TUI_S_PROC_STARTED
                                                            : TUI_S_PROC_READY));
        return l->kind == TUI_LOG_PROC_EXIT ? TUI_ROLE_EXITED : TUI_ROLE_LOG_PROC;
    case TUI_LOG_CHAN:
        snprintf(subj, sizeof subj, tui_i18n(l->n ? TUI_S_CHAN_OPENED : TUI_S_CHAN_CLOSED), l->text);
        snprintf(out, n, "%s %s", w, subj);
        return TUI_ROLE_LOG_PROC;
    case TUI_LOG_PREDICT: /* before the step: the student answers first */
        snprintf(out, n, "?? %s", l->text);
        return TUI_ROLE_STEP;
    case TUI_LOG_HELLO: { /* "demo: title"; the title is the demo's, in English */
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(l->text, ":"), l->text);
        const tui_mech_t *mech = tui_catalogue_find(name);
        if (tui_i18n_lang() == TUI_LANG_ZH && mech)
            snprintf(out, n, "== %s: %s", name, tui_catalogue_summary(mech, TUI_LANG_ZH));
        else
            snprintf(out, n, "== %s", l->text);
        return TUI_ROLE_HEADING;
    }
    case TUI_LOG_BYE:
        snprintf(out, n, "== %s%s%s", tui_i18n(TUI_S_DONE), l->text[0] ? ": " : "", l->text);
        return TUI_ROLE_HEADING;
    default:
        if (l->n > 1)
            snprintf(out, n, "%s %s (x%d)", w, l->text, l->n);
        else
            snprintf(out, n, "%s %s", w, l->text);
        return TUI_ROLE_DEFAULT;
    }
}

/* Calls line() for each wrapped line of s: first at width w, then at w-2
 * (hanging indent). Returns the number of lines. */
static int wrap_lines(const char *s, int w, void (*line)(void *, int, const char *, size_t),
                      void *arg)
{
    int n = 0;
    if (!*s) {
        if (line)
            line(arg, 0, "", 0);
        return 1;
    }
    while (*s) {
        const char *next;
        int width = n == 0 ? w : w - 2;
        size_t len = tui_text_wrap(s, width, &next);
        if (line)
            line(arg, n, s, len);
        n++;
        if (next == s)
            break;
        s = next;
    }
    return n;
}

typedef struct {
    tui_rect_t r;
    int y;
    tui_role_t role;
} draw_ctx_t;

static void draw_log_line(void *arg, int k, const char *s, size_t len)
{
    draw_ctx_t *c = arg;
    if (c->y >= c->r.y && c->y < c->r.y + c->r.h) {
        char buf[1024];
        if (len >= sizeof buf)
            len = sizeof buf - 1;
        memcpy(buf, s, len);
        buf[len] = '\0';
        int indent = k ? 2 : 0;
        tui_crt_text(c->y, c->r.x + indent, c->r.w - indent, c->role, buf);
    }
    c->y++;
}

/* How far up the narration really was scrolled at the last draw: Home asks
 * for more than there is, and the loop brings its scroll back to this, so
 * that the next Down moves at once. */
static int text_scroll_used;

int tui_view_text_scroll_used(void)
{
    return text_scroll_used;
}

static void draw_log(const tui_ui_t *ui, tui_rect_t r)
{
    const tui_model_t *m = ui->model;
    if (!m || m->log_len == 0) {
        tui_crt_text(r.y, r.x + 1, r.w - 1, TUI_ROLE_DIM, tui_i18n(TUI_S_NO_LOG));
        return;
    }
    /* Walk back from the newest entry until the pane (plus the scroll) is
     * full, then draw forward from there. */
    int want = r.h + (ui->scroll[TUI_PANE_TEXT] > 0 ? ui->scroll[TUI_PANE_TEXT] : 0);
    int total = 0;
    size_t first = m->log_len;
    char buf[600];
    while (first > 0 && total < want) {
        first--;
        format_log(m, tui_model_log_get(m, first), buf, sizeof buf);
        total += wrap_lines(buf, r.w, NULL, NULL);
    }
    /* total lines from entry `first` to the end; the bottom r.h lines after
     * skipping `scroll` from the bottom are shown */
    int skip_bottom = want - r.h;
    if (skip_bottom > total - r.h)
        skip_bottom = total - r.h > 0 ? total - r.h : 0;
    text_scroll_used = skip_bottom;
    draw_ctx_t c = {r, r.y + r.h - (total - skip_bottom), TUI_ROLE_DEFAULT};
    if (total - skip_bottom < r.h)
        c.y = r.y; /* not full yet: start at the top */
    for (size_t i = first; i < m->log_len && c.y < r.y + r.h; i++) {
        c.role = format_log(m, tui_model_log_get(m, i), buf, sizeof buf);
        wrap_lines(buf, r.w, draw_log_line, &c);
    }
}

/* ---- the lesson ---------------------------------------------------------- */

typedef struct {
    tui_rect_t r;
    int first; /* display lines to skip */
    int line;  /* display line index */
    int x;     /* indent of the current item */
    int hang;  /* indent of its continuation lines */
    tui_role_t role;
    const char *bullet;
} lesson_ctx_t;

static void lesson_line(void *arg, int k, const char *s, size_t len)
{
    lesson_ctx_t *c = arg;
    int y = c->r.y + c->line - c->first;
    c->line++;
    if (y < c->r.y || y >= c->r.y + c->r.h)
        return;
    char buf[1024];
    if (len >= sizeof buf)
        len = sizeof buf - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    int x = c->r.x + (k ? c->hang : c->x);
    if (k == 0 && c->bullet) {
        tui_crt_text(y, x, c->r.x + c->r.w - x, TUI_ROLE_VALUE, c->bullet);
        x += tui_text_width(c->bullet) + 1;
    }
    tui_crt_text(y, x, c->r.x + c->r.w - x, c->role, buf);
}

#define TABLE_MAX_COLS 8

/* A table: aligned in columns when they fit the pane, the header above a
 * rule; else one item per row, its first cell as the item and each other
 * cell under it as "header: cell", so that nothing is cut. Returns the last
 * line of the table. */
static size_t draw_table(const tui_lesson_t *l, size_t first, lesson_ctx_t *c)
{
    int widths[TABLE_MAX_COLS], total = 0;
    size_t end;
    int ncols = tui_lesson_table(l, first, &end, widths, TABLE_MAX_COLS);
    for (int k = 0; k < ncols; k++)
        total += widths[k] + (k ? 2 : 0);
    const char *header = l->lines[first].indent ? l->lines[first].text : NULL;
    char cell[1024], head[256], item[1400];
    for (size_t i = first; i < end; i++) {
        const tui_md_line_t *row = &l->lines[i];
        if (total <= c->r.w - 2) {
            int y = c->r.y + c->line - c->first, x = c->r.x + 2;
            tui_role_t role = row->indent ? TUI_ROLE_PANE_TITLE : TUI_ROLE_DEFAULT;
            c->line++;
            for (int k = 0; k < ncols && y >= c->r.y && y < c->r.y + c->r.h; k++) {
                tui_lesson_cell(row->text, k, cell, sizeof cell);
                tui_crt_text(y, x, widths[k], role, cell);
                x += widths[k] + 2;
            }
            if (row->indent) { /* the rule under the header */
                y++;
                if (c->line++ >= c->first && y < c->r.y + c->r.h)
                    tui_crt_hline(y, c->r.x + 2, total, TUI_ROLE_DIM);
            }
            continue;
        }
        if (row->indent)
            continue; /* the header names the cells of each item below */
        c->role = TUI_ROLE_DEFAULT;
        c->x = 1;
        c->bullet = tui_crt_glyph(TUI_G_BULLET);
        c->hang = c->x + tui_text_width(c->bullet) + 1;
        tui_lesson_cell(row->text, 0, cell, sizeof cell);
        wrap_lines(cell, c->r.w - c->hang, lesson_line, c);
        c->bullet = NULL;
        c->x = c->hang;
        c->hang += 2;
        c->role = TUI_ROLE_DIM;
        for (int k = 1; k < ncols; k++) {
            tui_lesson_cell(row->text, k, cell, sizeof cell);
            tui_lesson_cell(header ? header : "", k, head, sizeof head);
            if (!cell[0])
                continue;
            snprintf(item, sizeof item, "%s%s%s", head, head[0] ? ": " : "", cell);
            wrap_lines(item, c->r.w - c->x, lesson_line, c);
        }
    }
    return end - 1;
}

static void draw_lesson(const tui_ui_t *ui, tui_rect_t r)
{
    const tui_lesson_t *l = ui->lesson;
    if (!l) {
        char buf[600];
        snprintf(buf, sizeof buf, "%s: docs/lessons/%s.md", tui_i18n(TUI_S_NO_LESSON),
                 ui->mech ? ui->mech->name : "?");
        lesson_ctx_t c = {r, 0, 0, 0, 2, TUI_ROLE_DIM, NULL};
        wrap_lines(buf, r.w, lesson_line, &c);
        return;
    }
    lesson_ctx_t c = {r, ui->lesson_scroll > 0 ? ui->lesson_scroll : 0, 0, 0, 0, TUI_ROLE_DEFAULT,
                      NULL};
    for (size_t i = 0; i < l->n && c.line - c.first < r.h; i++) {
        const tui_md_line_t *ml = &l->lines[i];
        c.bullet = NULL;
        c.x = c.hang = 0;
        switch (ml->style) {
        case TUI_MD_HEADING1:
        case TUI_MD_HEADING2:
            c.role = TUI_ROLE_HEADING;
            break;
        case TUI_MD_HEADING3:
            c.role = TUI_ROLE_PANE_TITLE;
            break;
        case TUI_MD_LIST: {
            c.role = TUI_ROLE_DEFAULT;
            c.x = 1 + 2 * ml->indent;
            c.bullet = ml->marker[0] ? ml->marker : tui_crt_glyph(TUI_G_BULLET);
            c.hang = c.x + tui_text_width(c.bullet) + 1;
            break;
        }
        case TUI_MD_QUOTE:
            c.role = TUI_ROLE_DIM;
            c.x = c.hang = 2;
            c.bullet = tui_crt_glyph(TUI_G_VLINE);
            c.hang = 4;
            break;
        case TUI_MD_CODE: {
            /* Code keeps its indentation; a line wider than the pane goes on
             * below, two further in, broken between words where it can: a
             * line cut at the border hid the end of the call it showed. */
            const char *text = ml->text;
            int lead = 0;
            while (text[lead] == ' ' && lead < r.w / 3)
                lead++;
            c.role = TUI_ROLE_CODE;
            c.x = 2 + lead;
            c.hang = c.x + 2;
            /* A trailing "  # comment" that does not fit goes whole onto the
             * next line, rather than leaving its '#' behind. */
            const char *comment = strstr(text + lead, "  #");
            if (comment && tui_text_width(text) > r.w - 2) {
                char code[512];
                snprintf(code, sizeof code, "%.*s", (int)(comment - text - lead), text + lead);
                wrap_lines(code, r.w - c.x, lesson_line, &c);
                while (*comment == ' ')
                    comment++;
                c.x = c.hang;
                wrap_lines(comment, r.w - c.x, lesson_line, &c);
            } else {
                wrap_lines(text + lead, r.w - c.x, lesson_line, &c);
            }
            continue;
        }
        case TUI_MD_TABLE:
            i = draw_table(l, i, &c);
            continue;
        case TUI_MD_RULE: {
            int y = r.y + c.line - c.first;
            c.line++;
            if (y >= r.y && y < r.y + r.h)
                tui_crt_hline(y, r.x, r.w, TUI_ROLE_DIM);
            continue;
        }
        case TUI_MD_BLANK:
            c.line++;
            continue;
        default:
            c.role = TUI_ROLE_DEFAULT;
            break;
        }
        int width = r.w - c.x - (c.bullet ? tui_text_width(c.bullet) + 1 : 0);
        /* wrap_lines narrows continuation lines by 2; lists hang by their own */
        if (c.bullet)
            c.hang = c.x + tui_text_width(c.bullet) + 1;
        wrap_lines(ml->text, width > 4 ? width : 4, lesson_line, &c);
        if (ml->style == TUI_MD_HEADING1) {
            int y = r.y + c.line - c.first;
            c.line++;
            if (y >= r.y && y < r.y + r.h)
                tui_crt_hline(y, r.x, tui_text_width(ml->text) < r.w ? tui_text_width(ml->text)
                                                                      : r.w,
                              TUI_ROLE_HEADING);
        }
    }
}

void tui_view_text(const tui_ui_t *ui, tui_rect_t r)
{
    if (ui->show_lesson)
        draw_lesson(ui, r);
    else
        draw_log(ui, r);
}
