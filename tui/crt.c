/* crt: the terminal, its colours and glyphs, and giving it back. See crt.h.
 *
 * Why cbreak rather than raw: Ctrl-C must stay a SIGINT, which the app turns
 * into a clean shutdown (the demo stopped, the terminal restored), the way a
 * person expects a terminal program to behave.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include "crt.h"

#include <curses.h>
#include <langinfo.h>
#include <signal.h>
#include <termios.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "text.h"

typedef struct {
    short fg, bg;
    attr_t attr;
} role_style_t;

/* The colour scheme. -1 is the terminal's default colour. */
static const role_style_t colour_scheme[TUI_ROLE_COUNT] = {
    [TUI_ROLE_DEFAULT] = {-1, -1, A_NORMAL},
    [TUI_ROLE_TITLE] = {COLOR_BLACK, COLOR_CYAN, A_BOLD},
    [TUI_ROLE_BORDER] = {COLOR_BLUE, -1, A_NORMAL},
    [TUI_ROLE_BORDER_FOCUS] = {COLOR_CYAN, -1, A_BOLD},
    [TUI_ROLE_PANE_TITLE] = {COLOR_CYAN, -1, A_NORMAL},
    [TUI_ROLE_PANE_TITLE_FOCUS] = {COLOR_BLACK, COLOR_CYAN, A_BOLD},
    [TUI_ROLE_SELECTED] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL},
    [TUI_ROLE_STATUS] = {COLOR_BLACK, COLOR_WHITE, A_NORMAL},
    [TUI_ROLE_STATUS_KEY] = {COLOR_WHITE, COLOR_BLUE, A_BOLD},
    [TUI_ROLE_DIM] = {-1, -1, A_DIM},
    [TUI_ROLE_BUILT] = {COLOR_GREEN, -1, A_BOLD},
    [TUI_ROLE_PLANNED] = {-1, -1, A_DIM},
    [TUI_ROLE_TREE] = {COLOR_CYAN, -1, A_NORMAL},
    [TUI_ROLE_PID] = {-1, -1, A_BOLD},
    [TUI_ROLE_PROC_ROLE] = {COLOR_YELLOW, -1, A_NORMAL},
    [TUI_ROLE_FD] = {COLOR_MAGENTA, -1, A_NORMAL},
    [TUI_ROLE_PEER] = {COLOR_GREEN, -1, A_NORMAL},
    [TUI_ROLE_EXITED] = {COLOR_RED, -1, A_BOLD},
    [TUI_ROLE_LANE] = {COLOR_BLUE, -1, A_NORMAL},
    [TUI_ROLE_ARROW] = {COLOR_GREEN, -1, A_NORMAL},
    [TUI_ROLE_ARROW_BACK] = {COLOR_CYAN, -1, A_NORMAL},
    [TUI_ROLE_AGGREGATE] = {COLOR_YELLOW, -1, A_BOLD},
    [TUI_ROLE_VALUE] = {COLOR_YELLOW, -1, A_BOLD},
    [TUI_ROLE_GRAPH] = {COLOR_GREEN, -1, A_NORMAL},
    [TUI_ROLE_LOG_PROC] = {COLOR_CYAN, -1, A_NORMAL},
    [TUI_ROLE_ERROR] = {COLOR_RED, -1, A_BOLD},
    [TUI_ROLE_STEP] = {COLOR_YELLOW, -1, A_BOLD},
    [TUI_ROLE_HEADING] = {COLOR_YELLOW, -1, A_BOLD},
    [TUI_ROLE_CODE] = {COLOR_GREEN, -1, A_NORMAL},
    [TUI_ROLE_PAUSED] = {COLOR_BLACK, COLOR_YELLOW, A_BOLD},
};

/* The monochrome scheme: attributes only. */
static const attr_t mono_scheme[TUI_ROLE_COUNT] = {
    [TUI_ROLE_DEFAULT] = A_NORMAL,
    [TUI_ROLE_TITLE] = A_REVERSE | A_BOLD,
    [TUI_ROLE_BORDER] = A_NORMAL,
    [TUI_ROLE_BORDER_FOCUS] = A_BOLD,
    [TUI_ROLE_PANE_TITLE] = A_BOLD,
    [TUI_ROLE_PANE_TITLE_FOCUS] = A_REVERSE | A_BOLD,
    [TUI_ROLE_SELECTED] = A_REVERSE,
    [TUI_ROLE_STATUS] = A_REVERSE,
    [TUI_ROLE_STATUS_KEY] = A_BOLD,
    [TUI_ROLE_DIM] = A_DIM,
    [TUI_ROLE_BUILT] = A_BOLD,
    [TUI_ROLE_PLANNED] = A_DIM,
    [TUI_ROLE_TREE] = A_NORMAL,
    [TUI_ROLE_PID] = A_BOLD,
    [TUI_ROLE_PROC_ROLE] = A_NORMAL,
    [TUI_ROLE_FD] = A_NORMAL,
    [TUI_ROLE_PEER] = A_UNDERLINE,
    [TUI_ROLE_EXITED] = A_BOLD | A_UNDERLINE,
    [TUI_ROLE_LANE] = A_NORMAL,
    [TUI_ROLE_ARROW] = A_NORMAL,
    [TUI_ROLE_ARROW_BACK] = A_NORMAL,
    [TUI_ROLE_AGGREGATE] = A_BOLD,
    [TUI_ROLE_VALUE] = A_BOLD,
    [TUI_ROLE_GRAPH] = A_NORMAL,
    [TUI_ROLE_LOG_PROC] = A_NORMAL,
    [TUI_ROLE_ERROR] = A_BOLD | A_UNDERLINE,
    [TUI_ROLE_STEP] = A_BOLD,
    [TUI_ROLE_HEADING] = A_BOLD | A_UNDERLINE,
    [TUI_ROLE_CODE] = A_NORMAL,
    [TUI_ROLE_PAUSED] = A_REVERSE | A_BOLD,
};

static const char *const glyph_utf8[TUI_G_COUNT] = {
    "─", "│", "┌", "┐", "└", "┘", "├─", "└─", "│ ", "▶", "◀", "↺", "•", "✗", "█", "↔", "…",
};
static const char *const glyph_ascii[TUI_G_COUNT] = {
    "-", "|", "+", "+", "+", "+", "|-", "`-", "| ", ">", "<", "@", "*", "x", "#", "<>", "~",
};

static struct {
    int active;
    int stdin_flags;     /* the terminal's file status flags, as we found them */
    struct termios tios; /* and its modes, for the crash handler */
    int have_tios;
    int colors;
    int utf8;
    attr_t attrs[TUI_ROLE_COUNT];
    void (*on_crash)(void);
} crt;

static void apply_scheme(void)
{
    for (int r = 0; r < TUI_ROLE_COUNT; r++) {
        if (crt.colors) {
            const role_style_t *s = &colour_scheme[r];
            init_pair((short)(r + 1), s->fg, s->bg);
            crt.attrs[r] = (attr_t)COLOR_PAIR(r + 1) | s->attr;
        } else {
            crt.attrs[r] = mono_scheme[r];
        }
    }
}

int tui_crt_init(void)
{
    const char *cs = nl_langinfo(CODESET);
    const char *ascii = getenv("IPCSCOPE_ASCII");
    crt.utf8 = cs && strcmp(cs, "UTF-8") == 0 && !(ascii && *ascii);
    /* The terminal is shared with the shell we came from: whatever is done
     * to it here (libuv's poll makes stdin O_NONBLOCK; curses changes its
     * modes) is undone on every way out, or the shell's next cat fails. */
    crt.stdin_flags = fcntl(STDIN_FILENO, F_GETFL);
    crt.have_tios = tcgetattr(STDIN_FILENO, &crt.tios) == 0;
    if (!initscr())
        return -1;
    crt.active = 1;
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    const char *mono = getenv("IPCSCOPE_MONO");
    crt.colors = has_colors() && !(mono && *mono);
    if (crt.colors) {
        start_color();
        use_default_colors();
        if (COLOR_PAIRS < TUI_ROLE_COUNT + 1)
            crt.colors = 0;
    }
    apply_scheme();
    return 0;
}

void tui_crt_done(void)
{
    if (!crt.active)
        return;
    crt.active = 0;
    curs_set(1);
    endwin();
    if (crt.stdin_flags >= 0)
        fcntl(STDIN_FILENO, F_SETFL, crt.stdin_flags);
}

static void crash_handler(int sig)
{
    /* Restore first, so the person sees their shell whatever happens next;
     * then stop the demo, then die of the same signal for the core dump.
     * Only async-signal-safe calls: curses (endwin) may be what crashed, so
     * the terminal is reset by hand: leave the alternate screen, plain
     * attributes, the cursor back, then the modes and flags we found. */
    static const char reset[] = "\033[0m\033[?25h\033[?1049l\r\n";
    if (crt.active) {
        ssize_t n = write(STDOUT_FILENO, reset, sizeof reset - 1);
        (void)n;
        if (crt.have_tios)
            tcsetattr(STDIN_FILENO, TCSANOW, &crt.tios);
        if (crt.stdin_flags >= 0)
            fcntl(STDIN_FILENO, F_SETFL, crt.stdin_flags);
        crt.active = 0;
    }
    if (crt.on_crash)
        crt.on_crash();
    signal(sig, SIG_DFL);
    raise(sig);
}

void tui_crt_on_crash(void (*on_crash)(void))
{
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    crt.on_crash = on_crash;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = crash_handler;
        sa.sa_flags = SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

void tui_crt_resize(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        resizeterm(ws.ws_row, ws.ws_col);
    clearok(curscr, TRUE);
}

void tui_crt_size(int *rows, int *cols)
{
    *rows = LINES;
    *cols = COLS;
}

int tui_crt_has_colors(void)
{
    return crt.colors;
}

int tui_crt_utf8(void)
{
    return crt.utf8;
}

int tui_crt_key(wint_t *key, int *is_code)
{
    int r = get_wch(key);
    if (r == ERR)
        return 0;
    *is_code = r == KEY_CODE_YES;
    return 1;
}

void tui_crt_erase(void)
{
    erase();
}

void tui_crt_flush(void)
{
    refresh();
}

int tui_crt_char(int y, int x, tui_role_t role, unsigned int wc)
{
    if (y < 0 || y >= LINES || x < 0 || x >= COLS)
        return 0;
    int w = tui_text_cp_width(wc);
    if (wc < 0x20 || wc == 0x7F)
        wc = '?';
    if (!crt.utf8 && wc >= 0x80) {
        /* No UTF-8 terminal: one '?' per column keeps the layout. */
        for (int i = 0; i < w && x + i < COLS; i++)
            mvaddch(y, x + i, '?' | crt.attrs[role]);
        return w;
    }
    if (w == 0)
        return 0; /* combining marks are dropped rather than misplaced */
    if (x + w > COLS)
        return 0;
    wchar_t ws[2] = {(wchar_t)wc, 0};
    cchar_t cc;
    /* setcchar takes the colour pair apart from the attributes, and a pair
     * of 0 there would paint the text in the default colours even where
     * the role's attributes carry one (the title bar, the selected row). */
    attr_t a = crt.attrs[role];
    setcchar(&cc, ws, a & ~A_COLOR, (short)PAIR_NUMBER(a), NULL);
    mvadd_wch(y, x, &cc);
    return w;
}

int tui_crt_text(int y, int x, int maxw, tui_role_t role, const char *s)
{
    /* A text that does not fit ends in an ellipsis, so a cut never passes
     * for the whole; tui_text_cut never leaves half of a number. */
    size_t keep = tui_text_cut(s, maxw);
    const char *end = s + keep;
    int used = 0;
    while (s < end) {
        unsigned int wc;
        s += tui_text_decode(s, &wc);
        used += tui_crt_char(y, x + used, role, wc);
    }
    if (*end && maxw > 0) {
        unsigned int wc;
        tui_text_decode(tui_crt_glyph(TUI_G_ELLIPSIS), &wc);
        used += tui_crt_char(y, x + used, role, wc);
    }
    return used;
}

struct wrapped_at {
    int y, x, w;
    tui_role_t role;
};

static void draw_row(void *arg, int i, const char *text)
{
    const struct wrapped_at *at = arg;
    tui_crt_text(at->y + i, at->x, at->w, at->role, text);
}

int tui_crt_wrapped(int y, int x, int w, int maxrows, tui_role_t role, const char *s)
{
    struct wrapped_at at = {y, x, w, role};
    return maxrows > 0 ? tui_text_rows(s, w, maxrows, draw_row, &at) : 0;
}

void tui_crt_fill(int y, int x, int w, tui_role_t role)
{
    if (y < 0 || y >= LINES)
        return;
    attrset(crt.attrs[role]);
    for (int i = 0; i < w && x + i < COLS; i++)
        if (x + i >= 0)
            mvaddch(y, x + i, ' ');
    attrset(A_NORMAL);
}

const char *tui_crt_glyph(tui_glyph_t g)
{
    return crt.utf8 ? glyph_utf8[g] : glyph_ascii[g];
}

void tui_crt_hline(int y, int x, int w, tui_role_t role)
{
    const char *h = tui_crt_glyph(TUI_G_HLINE);
    for (int i = 0; i < w; i++)
        tui_crt_text(y, x + i, 1, role, h);
}

void tui_crt_box(int y, int x, int h, int w, tui_role_t role, const char *title,
                 tui_role_t title_role)
{
    if (h < 2 || w < 2)
        return;
    tui_crt_text(y, x, 1, role, tui_crt_glyph(TUI_G_ULCORNER));
    tui_crt_hline(y, x + 1, w - 2, role);
    tui_crt_text(y, x + w - 1, 1, role, tui_crt_glyph(TUI_G_URCORNER));
    for (int i = 1; i < h - 1; i++) {
        tui_crt_text(y + i, x, 1, role, tui_crt_glyph(TUI_G_VLINE));
        tui_crt_text(y + i, x + w - 1, 1, role, tui_crt_glyph(TUI_G_VLINE));
    }
    tui_crt_text(y + h - 1, x, 1, role, tui_crt_glyph(TUI_G_LLCORNER));
    tui_crt_hline(y + h - 1, x + 1, w - 2, role);
    tui_crt_text(y + h - 1, x + w - 1, 1, role, tui_crt_glyph(TUI_G_LRCORNER));
    if (title && *title && w > 6) {
        tui_crt_text(y, x + 1, 1, role, " ");
        int used = tui_crt_text(y, x + 2, w - 5, title_role, title);
        tui_crt_text(y, x + 2 + used, 1, role, " ");
    }
}

const char *tui_crt_eighths(int n)
{
    static const char *const utf8[9] = {" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"};
    if (n < 0)
        n = 0;
    if (n > 8)
        n = 8;
    if (!crt.utf8)
        return n >= 4 ? "#" : n > 0 ? ":" : " ";
    return utf8[n];
}

const char *tui_crt_braille(int left, int right)
{
    static char buf[8];
    if (left < 0)
        left = 0;
    if (right < 0)
        right = 0;
    if (left > 4)
        left = 4;
    if (right > 4)
        right = 4;
    if (!crt.utf8) {
        static const char levels[] = " ._-=";
        int m = left > right ? left : right;
        buf[0] = levels[m];
        buf[1] = '\0';
        return buf;
    }
    /* dots bottom-up: left 7 3 2 1, right 8 6 5 4 */
    static const unsigned lbits[4] = {0x40, 0x04, 0x02, 0x01};
    static const unsigned rbits[4] = {0x80, 0x20, 0x10, 0x08};
    unsigned cp = 0x2800;
    for (int i = 0; i < left; i++)
        cp |= lbits[i];
    for (int i = 0; i < right; i++)
        cp |= rbits[i];
    buf[0] = (char)(0xE0 | (cp >> 12));
    buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    buf[2] = (char)(0x80 | (cp & 0x3F));
    buf[3] = '\0';
    return buf;
}
