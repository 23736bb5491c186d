/* export: a recorded run's message flow as the text of a sequence diagram,
 * Mermaid (renders in GitHub's and most markdown viewers) or PlantUML.
 *
 * The recording is the events a run sent (`ipcscope open DEMO --record
 * FILE`, or a demo's own `--json` output). They are fed to the dashboard's
 * model, so the diagram has what the flow pane shows: a participant per lane,
 * named as the dashboard names it ("parent 1234"), an arrow per message or
 * folded row, each lesson step as a note across the lanes, and each error
 * (a fault, a refused line, a lost datagram) as a note on its lane, marked.
 * The model keeps the last TUI_MODEL_FLOW_ROWS rows; a longer run says so in
 * a comment at the top.
 *
 * Usage:
 *
 *     FILE *in = fopen("run.ndjson", "r");
 *     tui_export(in, stdout, TUI_EXPORT_MERMAID, err, sizeof err);
 */
#ifndef TUI_EXPORT_H
#define TUI_EXPORT_H

#include <stddef.h>
#include <stdio.h>

typedef enum { TUI_EXPORT_MERMAID, TUI_EXPORT_PLANTUML } tui_export_format_t;

/* Reads events from in, writes the diagram to out. Returns 0, or -1 with the
 * reason in err (nothing readable, no message in the recording). Lines that
 * are not events are counted and said in a comment, not fatal. */
int tui_export(FILE *in, FILE *out, tui_export_format_t format, char *err, size_t errn);

#endif
