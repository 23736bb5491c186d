/* lesson: Markdown to styled lines. See lesson.h.
 *
 * Paragraph lines are joined into one line each, so that the pane can wrap
 * them to whatever width it has; code and tables keep their lines as written.
 */
#include "lesson.h"
#include "text.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tui_lesson_free(tui_lesson_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->lines[i].text);
    free(l->lines);
    memset(l, 0, sizeof *l);
}

static tui_md_line_t *push(tui_lesson_t *l, tui_md_style_t style, const char *text, size_t len)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        tui_md_line_t *nl = realloc(l->lines, cap * sizeof *nl);
        if (!nl)
            return NULL;
        l->lines = nl;
        l->cap = cap;
    }
    char *t = malloc(len + 1);
    if (!t)
        return NULL;
    memcpy(t, text, len);
    t[len] = '\0';
    tui_md_line_t *line = &l->lines[l->n++];
    memset(line, 0, sizeof *line);
    line->style = style;
    line->text = t;
    return line;
}

/* A character of a script written without spaces between words (CJK and
 * its punctuation, U+2E80 and up: a UTF-8 lead byte of 0xE2 with a high
 * second byte, or 0xE3 to 0xEF). */
static int is_cjk(const unsigned char *p)
{
    return (p[0] >= 0xE3 && p[0] <= 0xEF) || (p[0] == 0xE2 && p[1] >= 0xBA);
}

/* Whether a line break between s (len bytes) and next joins them without a
 * space: between two Chinese characters, or after CJK punctuation
 * (U+3000-303F, fullwidth U+FF00-FF5F), as Markdown readers do for Chinese. */
static int joins_tight(const char *s, size_t len, const char *next)
{
    size_t at = len; /* the last character's first byte */
    while (at > 0 && ((unsigned char)s[at - 1] & 0xC0) == 0x80)
        at--;
    if (len == 0 || at == 0 || !*next)
        return 0;
    const unsigned char *last = (const unsigned char *)s + at - 1;
    int punct = (last[0] == 0xE3 && last[1] == 0x80) ||
                (last[0] == 0xEF && (last[1] == 0xBC || last[1] == 0xBD));
    return is_cjk(last) && (punct || is_cjk((const unsigned char *)next));
}

/* Appends " text" to the last line (a paragraph or list item continues),
 * without the space where Chinese joins tight. */
static int append(tui_lesson_t *l, const char *text, size_t len)
{
    tui_md_line_t *line = &l->lines[l->n - 1];
    size_t old = strlen(line->text);
    char *t = realloc(line->text, old + 1 + len + 1);
    if (!t)
        return -ENOMEM;
    char first[8] = "";
    memcpy(first, text, len < sizeof first - 1 ? len : sizeof first - 1);
    if (!joins_tight(t, old, first))
        t[old++] = ' ';
    memcpy(t + old, text, len);
    t[old + len] = '\0';
    line->text = t;
    return 0;
}

void tui_lesson_inline(const char *src, char *dst, size_t n)
{
    size_t o = 0;
    int em = 0; /* inside *emphasis*: its closing star goes too */
    if (!n)
        return;
    for (const char *p = src; *p && o + 1 < n; p++) {
        if (*p == '`') /* code spans: keep the text, drop the ticks */
            continue;
        if ((*p == '*' || *p == '_') && (p[1] == *p))  { /* **bold** or __bold__ */
            p++;
            continue;
        }
        if (*p == '*' && em && p > src && p[-1] != ' ') {
            em = 0; /* the end of *em* */
            continue;
        }
        if (*p == '*' && !em && (p == src || !isalnum((unsigned char)p[-1])) && p[1] &&
            p[1] != ' ' && strchr(p + 1, '*')) {
            em = 1; /* the start of *em* */
            continue;
        }
        if (*p == '\\' && p[1] && strchr("\\`*_{}[]()#+-.!|", p[1])) {
            dst[o++] = *++p;
            continue;
        }
        dst[o++] = *p;
    }
    dst[o] = '\0';
}

static int push_inline(tui_lesson_t *l, tui_md_style_t style, const char *text, size_t len,
                       tui_md_line_t **out)
{
    char *raw = malloc(len + 1), *clean = malloc(len + 1);
    if (!raw || !clean) {
        free(raw), free(clean);
        return -ENOMEM;
    }
    memcpy(raw, text, len);
    raw[len] = '\0';
    tui_lesson_inline(raw, clean, len + 1);
    tui_md_line_t *line = push(l, style, clean, strlen(clean));
    free(raw), free(clean);
    if (out)
        *out = line;
    return line ? 0 : -ENOMEM;
}

/* "[fork(2)](https://...)" -> "fork(2)", in place: a table's cells are too
 * narrow for addresses, and the man page's name is what the cell says. */
static void drop_link_urls(char *s)
{
    char *o = s;
    for (char *p = s; *p;) {
        char *close = *p == '[' ? strstr(p, "](") : NULL;
        char *end = close ? strchr(close, ')') : NULL;
        if (end && !memchr(p + 1, '[', (size_t)(close - p - 1))) {
            memmove(o, p + 1, (size_t)(close - p - 1));
            o += close - p - 1;
            p = end + 1;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
}

/* "| a | `b` |" -> "a\tb" (inline marks removed, "\|" kept as "|"). The
 * line under the header ("|---|:--|") is not a row: it marks the row above
 * as the header. */
static int push_table_row(tui_lesson_t *l, const char *s, size_t len)
{
    if (strspn(s, "|-: ") >= len) {
        if (l->n && l->lines[l->n - 1].style == TUI_MD_TABLE)
            l->lines[l->n - 1].indent = 1;
        return 0;
    }
    char *raw = malloc(len + 1), *row = malloc(2 * len + 2), *cell = malloc(2 * len + 2);
    int r = -ENOMEM;
    if (raw && row && cell) {
        size_t used = 0, k = 0;
        row[0] = '\0';
        for (size_t i = 1; i <= len; i++) { /* past the leading '|' */
            if (i < len && s[i] == '\\' && i + 1 < len && s[i + 1] == '|') {
                raw[k++] = s[++i];
                continue;
            }
            if (i < len && s[i] != '|') {
                raw[k++] = s[i];
                continue;
            }
            raw[k] = '\0';
            if (i == len && k == 0)
                break; /* nothing after the last '|' */
            drop_link_urls(raw);
            tui_lesson_inline(raw, cell, 2 * len + 2);
            char *c = cell;
            while (*c == ' ')
                c++;
            size_t cl = strlen(c);
            while (cl && c[cl - 1] == ' ')
                c[--cl] = '\0';
            used += (size_t)snprintf(row + used, 2 * len + 2 - used, "%s%s", used ? "\t" : "", c);
            k = 0;
        }
        r = push(l, TUI_MD_TABLE, row, strlen(row)) ? 0 : -ENOMEM;
    }
    free(raw), free(row), free(cell);
    return r;
}

void tui_lesson_cell(const char *row, int c, char *out, size_t n)
{
    while (c-- > 0 && row)
        row = strchr(row, '\t') ? strchr(row, '\t') + 1 : NULL;
    if (!row) {
        snprintf(out, n, "%s", "");
        return;
    }
    snprintf(out, n, "%.*s", (int)strcspn(row, "\t"), row);
}

int tui_lesson_table(const tui_lesson_t *l, size_t first, size_t *end, int *widths, int max)
{
    int ncols = 0;
    size_t i = first;
    for (; i < l->n && l->lines[i].style == TUI_MD_TABLE; i++) {
        char cell[1024];
        for (int c = 0; c < max; c++) {
            const char *t = l->lines[i].text;
            int cells = 1;
            for (const char *q = t; (q = strchr(q, '\t')); q++)
                cells++;
            if (c >= cells)
                break;
            tui_lesson_cell(t, c, cell, sizeof cell);
            if (c >= ncols)
                widths[ncols++] = 0;
            if (tui_text_width(cell) > widths[c])
                widths[c] = tui_text_width(cell);
        }
    }
    *end = i;
    return ncols;
}

int tui_lesson_parse(const char *md, tui_lesson_t *out)
{
    memset(out, 0, sizeof *out);
    int in_code = 0, in_para = 0; /* in_para: the last line may be continued */
    const char *p = md;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *next = eol ? eol + 1 : p + len;
        while (len && p[len - 1] == '\r')
            len--;
        const char *s = p;
        size_t slen = len;
        size_t lead = 0;
        while (lead < slen && s[lead] == ' ')
            lead++;
        int r = 0;

        if (strncmp(s + lead, "```", 3) == 0 || strncmp(s + lead, "~~~", 3) == 0) {
            in_code = !in_code;
            in_para = 0;
        } else if (in_code) {
            r = push(out, TUI_MD_CODE, s, slen) ? 0 : -ENOMEM;
        } else if (lead == slen) {
            if (out->n && out->lines[out->n - 1].style != TUI_MD_BLANK)
                r = push(out, TUI_MD_BLANK, "", 0) ? 0 : -ENOMEM;
            in_para = 0;
        } else if (s[lead] == '#') {
            size_t h = 0;
            while (lead + h < slen && s[lead + h] == '#')
                h++;
            size_t st = lead + h;
            while (st < slen && s[st] == ' ')
                st++;
            tui_md_style_t style = h == 1 ? TUI_MD_HEADING1
                                   : h == 2 ? TUI_MD_HEADING2
                                            : TUI_MD_HEADING3;
            r = push_inline(out, style, s + st, slen - st, NULL);
            in_para = 0;
        } else if (lead + 2 < slen + 1 && (s[lead] == '-' || s[lead] == '*' || s[lead] == '+') &&
                   lead + 1 < slen && s[lead + 1] == ' ') {
            tui_md_line_t *line = NULL;
            r = push_inline(out, TUI_MD_LIST, s + lead + 2, slen - lead - 2, &line);
            if (line)
                line->indent = (int)(lead / 2);
            in_para = 1;
        } else if (isdigit((unsigned char)s[lead])) {
            size_t d = lead;
            while (d < slen && isdigit((unsigned char)s[d]))
                d++;
            if (d + 1 < slen && (s[d] == '.' || s[d] == ')') && s[d + 1] == ' ') {
                tui_md_line_t *line = NULL;
                r = push_inline(out, TUI_MD_LIST, s + d + 2, slen - d - 2, &line);
                if (line) {
                    line->indent = (int)(lead / 2);
                    snprintf(line->marker, sizeof line->marker, "%.*s.",
                             (int)(d - lead > 5 ? 5 : d - lead), s + lead);
                }
                in_para = 1;
            } else {
                goto paragraph;
            }
        } else if (s[lead] == '|') {
            r = push_table_row(out, s + lead, slen - lead);
            in_para = 0;
        } else if (s[lead] == '>') {
            size_t st = lead + 1;
            while (st < slen && s[st] == ' ')
                st++;
            r = push_inline(out, TUI_MD_QUOTE, s + st, slen - st, NULL);
            in_para = 0;
        } else if (slen - lead >= 3 &&
                   strspn(s + lead, "-") >= 3 && strspn(s + lead, "- ") == slen - lead) {
            r = push(out, TUI_MD_RULE, "", 0) ? 0 : -ENOMEM;
            in_para = 0;
        } else if (lead >= 4 && !in_para) {
            r = push(out, TUI_MD_CODE, s + 4, slen - 4) ? 0 : -ENOMEM;
        } else {
        paragraph:
            if (in_para && out->n) {
                char *clean = malloc(slen + 1), *raw = malloc(slen + 1);
                if (!clean || !raw) {
                    free(clean), free(raw);
                    return -ENOMEM;
                }
                memcpy(raw, s + lead, slen - lead);
                raw[slen - lead] = '\0';
                tui_lesson_inline(raw, clean, slen + 1);
                r = append(out, clean, strlen(clean));
                free(clean), free(raw);
            } else {
                r = push_inline(out, TUI_MD_TEXT, s + lead, slen - lead, NULL);
                in_para = 1;
            }
        }
        if (r < 0)
            return r;
        p = next;
    }
    return 0;
}

int tui_lesson_load(const char *path, tui_lesson_t *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return -ENOMEM;
    }
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            if (cap >= (1u << 24))
                break; /* a lesson is not 16 MiB */
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    buf[len] = '\0';
    int r = tui_lesson_parse(buf, out);
    free(buf);
    return r;
}

/* ---- predictions ---------------------------------------------------------- */

static const char *prediction_mark(const char *text)
{
    const char *p = strstr(text, "Predict:");
    return p ? p : strstr(text, "先猜：");
}

/* The step a line names: "3." as a top-level numbered item, or a heading
 * "Step 3: ..." / "第 3 步". 0 when it names none. */
static int names_step(const tui_md_line_t *ml)
{
    int n = 0;
    if (ml->style == TUI_MD_LIST && ml->marker[0] && ml->indent == 0)
        return atoi(ml->marker);
    if (ml->style < TUI_MD_HEADING1 || ml->style > TUI_MD_HEADING3)
        return 0;
    if (sscanf(ml->text, "Step %d", &n) == 1 || sscanf(ml->text, "第 %d 步", &n) == 1 ||
        sscanf(ml->text, "第%d步", &n) == 1)
        return n;
    return 0;
}

int tui_lesson_prediction(const tui_lesson_t *l, int step, char *out, size_t n)
{
    for (size_t i = 0; i < l->n; i++) {
        const tui_md_line_t *ml = &l->lines[i];
        const char *mark = ml->style == TUI_MD_TEXT || ml->style == TUI_MD_QUOTE ||
                                   ml->style == TUI_MD_LIST
                               ? prediction_mark(ml->text)
                               : NULL;
        if (!mark)
            continue;
        /* the question: this line, and a quote's next lines */
        char raw[1024];
        size_t len = (size_t)snprintf(raw, sizeof raw, "%s", mark);
        size_t j = i + 1;
        for (; ml->style == TUI_MD_QUOTE && j < l->n && l->lines[j].style == TUI_MD_QUOTE &&
               !prediction_mark(l->lines[j].text) && len < sizeof raw - 1;
             j++)
            len += (size_t)snprintf(raw + len, sizeof raw - len, "%s%s",
                                    joins_tight(raw, len, l->lines[j].text) ? "" : " ",
                                    l->lines[j].text);
        /* Steps as headings: a prediction belongs to the step whose section
         * holds it. Steps as a numbered list: to the next item, the step it
         * comes before. */
        int answered_by = 0;
        for (size_t k = i + 1; k-- > 0 && !answered_by;)
            if (names_step(&l->lines[k]) && l->lines[k].style != TUI_MD_LIST)
                answered_by = names_step(&l->lines[k]);
            else if (names_step(&l->lines[k]))
                break;
        for (; j < l->n && !answered_by && !prediction_mark(l->lines[j].text); j++)
            answered_by = names_step(&l->lines[j]);
        if (answered_by == step) {
            tui_lesson_inline(raw, out, n);
            return 1;
        }
    }
    return 0;
}
