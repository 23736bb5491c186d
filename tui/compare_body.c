/* compare_body: the compare screen's scrolling body. See compare_body.h. */
#include "compare_body.h"

#include <string.h>

#include "text.h"

static int body_top, body_bottom, body_scroll;

void tui_compare_body_window(int top, int bottom, int scroll)
{
    body_top = top;
    body_bottom = bottom;
    body_scroll = scroll;
}

static int at(int v)
{
    int y = body_top + v - body_scroll;
    return y >= body_top && y < body_bottom ? y : -1;
}

void tui_compare_body_text(int v, int x, int maxw, tui_role_t role, const char *s)
{
    int y = at(v);
    if (y >= 0 && maxw > 0)
        tui_crt_text(y, x, maxw, role, s);
}

/* Right-aligned in a field of width fw ending at column x + fw. */
void tui_compare_body_right(int v, int x, int fw, tui_role_t role, const char *s)
{
    int tw = tui_text_width(s);
    tui_compare_body_text(v, x + (tw < fw ? fw - tw : 0), fw, role, s);
}

struct body_at {
    int v, x, wd;
    tui_role_t role;
};

static void body_row(void *arg, int i, const char *text)
{
    const struct body_at *at = arg;
    tui_compare_body_text(at->v + i, at->x, at->wd, at->role, text);
}

/* Wrapped text from virtual row v; returns the rows used. */
int tui_compare_body_wrap(int v, int x, int wd, tui_role_t role, const char *s)
{
    struct body_at at = {v, x, wd, role};
    return tui_text_rows(s, wd, 0, body_row, &at);
}
