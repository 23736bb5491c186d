/* compare_doc: the compare document (bench/compare.sh's JSON) as data for
 * the compare screen, its cache file, and where the measuring script is.
 * Pure data and files: no terminal, no loop.
 *
 * The document is written once by bench/compare_doc (rows measured, claims
 * decided); the dashboard only reads it. It is cached, as the script wrote it,
 * in $XDG_CACHE_HOME/ipcscope/compare.json (~/.cache/ipcscope/compare.json
 * without XDG_CACHE_HOME), so that the screen shows the last run at once.
 *
 * Usage:
 *
 *     tui_compare_doc_t *d = calloc(1, sizeof *d);
 *     char *json = tui_compare_cache_read();          // NULL: none yet
 *     if (json && tui_compare_doc_parse(json, d) == 0)
 *         ... d->rows[i].mech, d->rows[i].p50[TUI_IMPL_C] ...
 *     free(json);
 */
#ifndef TUI_COMPARE_DOC_H
#define TUI_COMPARE_DOC_H

#include <stddef.h>

#define TUI_COMPARE_ROWS   24
#define TUI_COMPARE_CLAIMS 16

enum { TUI_IMPL_C, TUI_IMPL_NODE, TUI_IMPL_COUNT };

typedef struct {
    char mech[24]; /* "unix-socket" */
    char demo[24]; /* the demo that shows it: "unix-socket" */
    /* per impl; 0 when not measured, and then why says so */
    double p50[TUI_IMPL_COUNT], p99[TUI_IMPL_COUNT], mbps[TUI_IMPL_COUNT];
    char why[TUI_IMPL_COUNT][160];
} tui_compare_row_t;

typedef enum { TUI_VERDICT_HOLDS, TUI_VERDICT_NOT, TUI_VERDICT_DEPENDS, TUI_VERDICT_UNMEASURED } tui_verdict_t;

typedef struct {
    char id[24], source[16], demo[24];
    int step;              /* the step of demo's lesson table that shows it; 0: none named */
    char claim[2][240];    /* [tui_lang_t] */
    char sentence[2][600]; /* [tui_lang_t] */
    char figure[200];
    tui_verdict_t verdict;
} tui_compare_claim_t;

typedef struct {
    char date[32], mode[8];
    int n, rounds, cores;
    char kernel[64], cpu[96], node[24], redis[24], libuv[24];
    tui_compare_row_t rows[TUI_COMPARE_ROWS];
    int nrows;
    tui_compare_claim_t claims[TUI_COMPARE_CLAIMS];
    int nclaims;
} tui_compare_doc_t;

/* Fills d from the document's text. Returns 0, or -1 when it is not a
 * compare document (d is then left empty). Rows keep the order of their
 * first appearance; a row's C and node figures share one entry. */
int tui_compare_doc_parse(const char *json, tui_compare_doc_t *d);

/* The cache file's path. Returns 0, or -1 when neither XDG_CACHE_HOME nor
 * HOME is set. */
int tui_compare_cache_path(char *out, size_t n);
/* The cached document's text (malloc'd, the caller frees), or NULL. */
char *tui_compare_cache_read(void);
/* Writes json as the cache, whole or not at all (a temporary file renamed
 * over it), making its directory. Returns 0 or a negative errno. */
int tui_compare_cache_write(const char *json);

/* The measuring script and the build directory it measures with:
 * $IPCSCOPE_COMPARE (the script) and the directory of ipcscope's own
 * directory, else <dir>/../../bench/compare.sh beside the source tree of a
 * build. Returns 0, or -ENOENT when there is none. */
int tui_compare_script(char *script, size_t sn, char *build, size_t bn);

#endif
