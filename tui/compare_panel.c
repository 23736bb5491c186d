/* compare_panel: the drawing the compare screen's guide and quiz share. See
 * compare_panel.h.
 */
#include "compare_panel.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "text.h"

void tui_compare_panel_title(int cols, const char *title, const char *badge)
{
    int bw = tui_text_width(badge);
    tui_crt_fill(0, 0, cols, TUI_ROLE_TITLE);
    tui_crt_text(0, 1, cols - bw - 2, TUI_ROLE_TITLE, title);
    if (bw) {
        tui_crt_fill(0, cols - bw, bw, TUI_ROLE_PAUSED);
        tui_crt_text(0, cols - bw, bw, TUI_ROLE_PAUSED, badge);
    }
}

void tui_compare_panel_status(int y, int cols, const char *const (*items)[2], int n)
{
    tui_crt_fill(y, 0, cols, TUI_ROLE_STATUS);
    int x = 0;
    for (int i = 0; i < n && x < cols; i++) {
        x += tui_crt_text(y, x, cols - x, TUI_ROLE_STATUS_KEY, items[i][0]);
        x += tui_crt_text(y, x, cols - x, TUI_ROLE_STATUS, " ");
        x += tui_crt_text(y, x, cols - x, TUI_ROLE_STATUS, items[i][1]);
        x += 2;
    }
}

void tui_compare_panel_us(char *out, size_t n, double ns)
{
    if (ns <= 0)
        snprintf(out, n, "-");
    else if (ns < 10000)
        snprintf(out, n, "%.2f", ns / 1000);
    else if (ns < 100000)
        snprintf(out, n, "%.1f", ns / 1000);
    else
        snprintf(out, n, "%.0f", ns / 1000);
}

const tui_compare_row_t *tui_compare_panel_row(const tui_compare_doc_t *doc, const char *mech)
{
    for (int i = 0; doc && mech && i < doc->nrows; i++)
        if (strcmp(doc->rows[i].mech, mech) == 0)
            return &doc->rows[i];
    return NULL;
}

int tui_compare_panel_too_small(int rows, int cols)
{
    if (rows >= 12 && cols >= 40)
        return 0;
    char buf[64];
    snprintf(buf, sizeof buf, "%s: %dx%d < 40x12", tui_i18n(TUI_S_TOO_SMALL), cols, rows);
    tui_crt_text(0, 0, cols, TUI_ROLE_ERROR, buf);
    return 1;
}
