/* text: UTF-8 in terminal columns. See text.h.
 *
 * Decoding is done here rather than with mbrtowc so that it does not depend
 * on the locale's charset: the demos always speak UTF-8 (JSON does), while the
 * terminal's width of a character is asked of wcwidth.
 */
#include "text.h"

#include <signal.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

size_t tui_text_decode(const char *s, unsigned int *wc)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned int c = u[0];
    size_t len;
    if (c < 0x80) {
        *wc = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2;
        c &= 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        c &= 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        c &= 0x07;
    } else {
        *wc = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((u[i] & 0xC0) != 0x80) {
            *wc = 0xFFFD;
            return 1;
        }
        c = (c << 6) | (u[i] & 0x3F);
    }
    *wc = c;
    return len;
}

int tui_text_cp_width(unsigned int wc)
{
    if (wc < 0x20 || wc == 0x7F)
        return 1; /* drawn as '?' */
    int w = wcwidth((wchar_t)wc);
    if (w < 0) {
        /* The locale does not know it (a C locale): CJK is still two wide. */
        if ((wc >= 0x1100 && wc <= 0x115F) || (wc >= 0x2E80 && wc <= 0xA4CF) ||
            (wc >= 0xAC00 && wc <= 0xD7A3) || (wc >= 0xF900 && wc <= 0xFAFF) ||
            (wc >= 0xFE30 && wc <= 0xFE4F) || (wc >= 0xFF00 && wc <= 0xFF60) ||
            (wc >= 0xFFE0 && wc <= 0xFFE6) || (wc >= 0x1F300 && wc <= 0x1FAFF) ||
            (wc >= 0x20000 && wc <= 0x3FFFD))
            return 2;
        return 1;
    }
    return w;
}

int tui_text_width(const char *s)
{
    int w = 0;
    while (*s) {
        unsigned int wc;
        s += tui_text_decode(s, &wc);
        w += tui_text_cp_width(wc);
    }
    return w;
}

size_t tui_text_fit(const char *s, int cols, int *used)
{
    size_t off = 0;
    int w = 0;
    while (s[off]) {
        unsigned int wc;
        size_t len = tui_text_decode(s + off, &wc);
        int cw = tui_text_cp_width(wc);
        if (w + cw > cols)
            break;
        w += cw;
        off += len;
    }
    if (used)
        *used = w;
    return off;
}

/* Chinese punctuation that closes a phrase: a line never starts with it. */
static int closes_phrase(unsigned int wc)
{
    static const unsigned int closing[] = {0x3001, 0x3002, 0xFF0C, 0xFF1A, 0xFF1B, 0xFF01,
                                           0xFF1F, 0xFF09, 0x300D, 0x300F, 0x300B, 0x3011,
                                           0x201D, 0x2019};
    for (size_t i = 0; i < sizeof closing / sizeof closing[0]; i++)
        if (wc == closing[i])
            return 1;
    return 0;
}

size_t tui_text_wrap(const char *s, int cols, const char **next)
{
    if (!*s) {
        *next = s;
        return 0;
    }
    if (cols < 1)
        cols = 1;
    size_t fit = tui_text_fit(s, cols, NULL);
    if (!s[fit]) {
        *next = s + fit;
        return fit;
    }
    if (fit == 0) { /* one character wider than the line: take it anyway */
        unsigned int wc;
        fit = tui_text_decode(s, &wc);
        *next = s + fit;
        return fit;
    }
    /* break at the last space within the fit, unless that is too early */
    size_t brk = fit;
    if (s[fit] != ' ') {
        size_t sp = fit;
        while (sp > 0 && s[sp - 1] != ' ')
            sp--;
        /* no space, or a CJK run (which may break anywhere): cut at the fit */
        unsigned int wc;
        tui_text_decode(s + fit, &wc);
        int cjk_next = tui_text_cp_width(wc) == 2;
        if (sp > 0 && !cjk_next && sp * 3 >= fit)
            brk = sp;
        /* "。" or "，" would open the next line: the character before it
         * goes down with it */
        if (brk == fit && closes_phrase(wc)) {
            size_t prev = fit;
            do
                prev--;
            while (prev > 0 && ((unsigned char)s[prev] & 0xC0) == 0x80);
            /* a Latin word or number goes down whole ("5.9 us）"), not cut */
            while (prev > 0 && (unsigned char)s[prev - 1] < 0x80 && s[prev - 1] != ' ' &&
                   (unsigned char)s[prev] < 0x80)
                prev--;
            if (prev > 0)
                brk = prev;
        }
    }
    size_t line = brk;
    while (line > 0 && s[line - 1] == ' ')
        line--;
    const char *n = s + brk;
    while (*n == ' ')
        n++;
    *next = n;
    return line ? line : brk;
}

int tui_text_rows(const char *s, int cols, int max,
                  void (*row)(void *arg, int i, const char *text), void *arg)
{
    char line[1024];
    int n = 0;
    while (*s && cols > 0 && (max <= 0 || n < max)) {
        const char *next = s;
        size_t len = max > 0 && n == max - 1 ? strlen(s) : tui_text_wrap(s, cols, &next);
        if (len >= sizeof line)
            len = sizeof line - 1;
        memcpy(line, s, len);
        line[len] = '\0';
        row(arg, n++, line);
        if (max > 0 && n == max)
            break;
        if (next == s)
            break;
        s = next;
    }
    return n;
}

size_t tui_text_cut(const char *s, int cols)
{
    if (tui_text_width(s) <= cols)
        return strlen(s);
    size_t keep = cols > 1 ? tui_text_fit(s, cols - 1, NULL) : 0;
    if (keep > 0 && isdigit((unsigned char)s[keep - 1]) &&
        (isdigit((unsigned char)s[keep]) || s[keep] == '.' || s[keep] == ',')) {
        /* inside a number: all of it goes ("#2971" would read as another
         * id), with its '#' or sign, and a short word it ends ("p99") */
        while (keep > 0 && (isdigit((unsigned char)s[keep - 1]) || s[keep - 1] == '.' ||
                            s[keep - 1] == ','))
            keep--;
        while (keep > 0 && (s[keep - 1] == '#' || s[keep - 1] == '-' || s[keep - 1] == '~'))
            keep--;
        size_t word = keep;
        while (word > 0 && s[word - 1] != ' ')
            word--;
        if (keep - word <= 3)
            keep = word;
    }
    while (keep > 0 && s[keep - 1] == ' ')
        keep--;
    return keep;
}

void tui_text_ns(char *out, size_t n, double ns, int ascii)
{
    if (ns < 1e3)
        snprintf(out, n, "%.0f ns", ns);
    else if (ns < 1e6)
        snprintf(out, n, ns < 1e4 ? "%.1f %s" : "%.0f %s", ns / 1e3, ascii ? "us" : "µs");
    else if (ns < 1e9)
        snprintf(out, n, ns < 1e7 ? "%.2f ms" : "%.1f ms", ns / 1e6);
    else
        snprintf(out, n, "%.2f s", ns / 1e9);
}

void tui_text_bytes(char *out, size_t n, double b)
{
    if (b < 1024)
        snprintf(out, n, "%.0f B", b);
    else if (b < 1024.0 * 1024)
        snprintf(out, n, b < 10240 ? "%.1f KiB" : "%.0f KiB", b / 1024);
    else if (b < 1024.0 * 1024 * 1024)
        snprintf(out, n, "%.1f MiB", b / 1048576);
    else
        snprintf(out, n, "%.1f GiB", b / 1073741824);
}

void tui_text_signal(char *out, size_t n, int sig)
{
    const char *abbrev = sigabbrev_np(sig);
    snprintf(out, n, "SIG%s", abbrev ? abbrev : "?");
}
