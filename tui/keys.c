/* keys: the dashboard's key table. See keys.h.
 *
 * One row per line of the help screen, in the order the help shows them; a
 * row lists the keys it stands for and the action of each. A key may mean
 * different things on the two screens (k moves up the menu, but sends SIGTERM
 * on a demo), so every binding says where it applies.
 */
#include "keys.h"

#include <curses.h>

#define MENU 1
#define DEMO 2
#define BOTH (MENU | DEMO)
#define MAX_BINDINGS 10

typedef struct {
    wint_t key;
    int is_code; /* key is a KEY_* code, not a character */
    int screens;
    tui_action_t action;
} binding_t;

typedef struct {
    const char *label, *ascii; /* ascii: the label without UTF-8, or NULL */
    tui_str_t text;
    int screens; /* where the help lists the row */
    binding_t keys[MAX_BINDINGS];
} row_t;

static const row_t rows[] = {
    {"Enter", NULL, TUI_S_H_ENTER, MENU,
     {{'\r', 0, MENU, TUI_ACTION_LAUNCH},
      {'\n', 0, MENU, TUI_ACTION_LAUNCH},
      {KEY_ENTER, 1, MENU, TUI_ACTION_LAUNCH}}},
    {"S", NULL, TUI_S_H_LESSON_MODE, MENU, {{'S', 0, MENU, TUI_ACTION_LAUNCH_LESSON}}},
    {"Space", NULL, TUI_S_H_SPACE, DEMO, {{' ', 0, DEMO, TUI_ACTION_PAUSE}}},
    {"s", NULL, TUI_S_H_STEP, DEMO, {{'s', 0, DEMO, TUI_ACTION_STEP}}},
    {"+ -", NULL, TUI_S_H_RATE, DEMO,
     {{'+', 0, DEMO, TUI_ACTION_FASTER},
      {'=', 0, DEMO, TUI_ACTION_FASTER},
      {'-', 0, DEMO, TUI_ACTION_SLOWER},
      {'_', 0, DEMO, TUI_ACTION_SLOWER}}},
    {"[ ]", NULL, TUI_S_H_SIZE, DEMO,
     {{']', 0, DEMO, TUI_ACTION_BIGGER}, {'[', 0, DEMO, TUI_ACTION_SMALLER}}},
    {"Tab", NULL, TUI_S_H_TAB, DEMO,
     {{'\t', 0, DEMO, TUI_ACTION_NEXT_PANE}, {KEY_BTAB, 1, DEMO, TUI_ACTION_PREV_PANE}}},
    {"↑↓ PgUp PgDn", "Up Dn PgUp PgDn", TUI_S_H_ARROWS, BOTH,
     {{KEY_UP, 1, BOTH, TUI_ACTION_UP},
      {KEY_DOWN, 1, BOTH, TUI_ACTION_DOWN},
      {KEY_PPAGE, 1, BOTH, TUI_ACTION_PAGE_UP},
      {KEY_NPAGE, 1, BOTH, TUI_ACTION_PAGE_DOWN},
      {KEY_HOME, 1, BOTH, TUI_ACTION_HOME},
      {KEY_END, 1, BOTH, TUI_ACTION_END},
      {KEY_LEFT, 1, DEMO, TUI_ACTION_LEFT},
      {KEY_RIGHT, 1, DEMO, TUI_ACTION_RIGHT},
      {'k', 0, MENU, TUI_ACTION_UP},
      {'j', 0, MENU, TUI_ACTION_DOWN}}},
    {"k K", NULL, TUI_S_H_KILL, DEMO,
     {{'k', 0, DEMO, TUI_ACTION_TERM}, {'K', 0, DEMO, TUI_ACTION_KILL}}},
    {"r", NULL, TUI_S_H_RESTART, DEMO, {{'r', 0, DEMO, TUI_ACTION_RESTART}}},
    {"b", NULL, TUI_S_H_STEP_BACK, DEMO, {{'b', 0, DEMO, TUI_ACTION_STEP_BACK}}},
    {"l", NULL, TUI_S_H_LESSON, DEMO, {{'l', 0, DEMO, TUI_ACTION_LESSON}}},
    {"z", NULL, TUI_S_H_ZOOM, DEMO, {{'z', 0, DEMO, TUI_ACTION_ZOOM}}},
    {"f", NULL, TUI_S_H_FAULT, DEMO, {{'f', 0, DEMO, TUI_ACTION_FAULT}}},
    {"c", NULL, TUI_S_H_COMPARE, MENU, {{'c', 0, MENU, TUI_ACTION_COMPARE}}},
    {"L", NULL, TUI_S_H_LANG, BOTH, {{'L', 0, BOTH, TUI_ACTION_LANG}}},
    {"?", NULL, TUI_S_H_HELP, BOTH, {{'?', 0, BOTH, TUI_ACTION_HELP}}},
    {"q", NULL, TUI_S_H_QUIT, BOTH,
     {{'q', 0, BOTH, TUI_ACTION_BACK}, {27, 0, BOTH, TUI_ACTION_BACK}}},
};
#define NROWS (int)(sizeof rows / sizeof rows[0])

static int screen_bit(tui_screen_t screen)
{
    return screen == TUI_SCREEN_MENU ? MENU : DEMO;
}

tui_action_t tui_keys_action(tui_screen_t screen, wint_t key, int is_code)
{
    int bit = screen_bit(screen);
    for (int r = 0; r < NROWS; r++)
        for (int b = 0; b < MAX_BINDINGS && rows[r].keys[b].action != TUI_ACTION_NONE; b++) {
            const binding_t *k = &rows[r].keys[b];
            if (k->key == key && !k->is_code == !is_code && (k->screens & bit))
                return k->action;
        }
    return TUI_ACTION_NONE;
}

int tui_keys_help(tui_screen_t screen, int i, int utf8, const char **label, tui_str_t *text)
{
    int bit = screen_bit(screen);
    for (int r = 0; r < NROWS; r++) {
        if (!(rows[r].screens & bit) || i-- > 0)
            continue;
        *label = !utf8 && rows[r].ascii ? rows[r].ascii : rows[r].label;
        *text = rows[r].text;
        return 1;
    }
    return 0;
}
