/* compare_names: the mechanisms of the compare table, in its order, as it
 * names them, and the reasons bench/compare.sh gives for a row it could not
 * measure, both in the screen's language (i18n). The compare screen, its
 * guide and its quiz all name mechanisms through it. Pure data: no terminal.
 *
 *     for (int i = 0; i < tui_compare_mech_count(); i++)
 *         name = tui_compare_mech_name(tui_compare_mech_id(i)); // "Unix 套接字"
 */
#ifndef TUI_COMPARE_NAMES_H
#define TUI_COMPARE_NAMES_H

/* The mechanisms the table lists, in its order: how many, and the i-th's id
 * in the compare document ("unix-socket"), NULL past the last. */
int tui_compare_mech_count(void);
const char *tui_compare_mech_id(int i);
/* A mechanism of the document as the table names it ("Unix socket"), in
 * the screen's language; the id itself when the table does not know it. */
const char *tui_compare_mech_name(const char *mech);
/* Why a row was not measured, as the script said it, in Chinese when the
 * screen is and a translation is known. */
const char *tui_compare_reason(const char *why);

#endif
