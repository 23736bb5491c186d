/* lanes: short names for the flow's lanes when their roles do not fit, and
 * the legend that says what each stands for.
 *
 * At 80x24 four lanes get ten columns each: "client 1 27218" does not fit,
 * and cutting it ("clie 1") reads as a typo. Instead each lane gets a short
 * name made from its role and a legend row says it once:
 *
 *     roles  server, client 1, client 2, sh, sh, 127.0.0.1:5000
 *     names  S       C1        C2        Sh1 Sh2 P1
 *     legend S=server C=client Sh=sh P1=127.0.0.1:5000
 *
 * A role's first letter, capitalised, stands for its words; roles whose
 * first letters collide take more letters ("Se" server, "Sh" sh). A role's
 * own number stays ("client 2" -> C2); lanes of one role without numbers are
 * numbered in lane order (sh, sh -> Sh1, Sh2). A lane that is not a word
 * (an address, a bare pid) is a peer, P1, P2, ..., with its whole name in the
 * legend. Pure: tested without a terminal.
 */
#ifndef TUI_LANES_H
#define TUI_LANES_H

#include <stddef.h>

#define TUI_LANES_SHORT 16 /* bytes of a short name, with its NUL */

/* roles[i]: the i-th lane's role as the flow's header would show it without
 * its pid ("client 1"), or its peer name. Writes n short names and the
 * legend (cut at legend_n bytes, never mid-character). */
void tui_lanes_shorten(const char *const *roles, int n, char (*names)[TUI_LANES_SHORT],
                       char *legend, size_t legend_n);

#endif
