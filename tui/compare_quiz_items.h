/* compare_quiz_items: the quiz's questions, each decided by this machine's
 * figures, and their words in English and Chinese. No state, no terminal:
 * compare_quiz.c keeps the round and draws it.
 *
 * The questions come from a fixed list (the articles' boldest claims
 * first), each kept only when the rows it needs were measured; fallbacks
 * follow so that a run without node or redis still gives five. Three kinds:
 * which of two mechanisms carries a round trip faster (or about the same,
 * within 10%), roughly how many microseconds one takes (three ranges), and
 * whether a UDP datagram of a given size arrives on loopback (sent when the
 * questions are drawn).
 *
 * Usage (compare_quiz.c):
 *
 *     tui_quiz_question_t q[TUI_QUIZ_MAX];
 *     int n = tui_quiz_questions(doc, q);   // 0: nothing measured yet
 *     tui_quiz_question_text(&q[0], buf, sizeof buf);
 *     for (int i = 0; i < tui_quiz_options(&q[0]); i++) tui_quiz_option_text(&q[0], i, ...);
 */
#ifndef TUI_COMPARE_QUIZ_ITEMS_H
#define TUI_COMPARE_QUIZ_ITEMS_H

#include <stddef.h>

#include "compare_doc.h"

#define TUI_QUIZ_MAX 8 /* questions in a round */

typedef enum { TUI_QUIZ_FASTER, TUI_QUIZ_RANGE, TUI_QUIZ_ARRIVE } tui_quiz_kind_t;

/* A question the quiz may ask, with what the articles say on it. */
typedef struct {
    tui_quiz_kind_t kind;
    const char *a, *b; /* mechanisms (FASTER: both, RANGE: a) */
    int impl;
    int bytes; /* ARRIVE: the datagram's size */
    const char *demo;
    const char *article, *says_en, *says_zh;
} tui_quiz_spec_t;

typedef struct {
    const tui_quiz_spec_t *spec;
    double va, vb; /* FASTER: the two p50s; RANGE: p50 and p99 (ns) */
    long got;      /* ARRIVE: the bytes received, or -errno of sendto */
    int right;     /* the option the measurement picks */
    int chosen;    /* the student's, or -1 */
} tui_quiz_question_t;

/* The questions doc's figures decide, in the list's order (at most
 * TUI_QUIZ_MAX): how many, 0 when no row of doc was measured. */
int tui_quiz_questions(const tui_compare_doc_t *doc, tui_quiz_question_t *out);
/* How many options q offers (2: yes or no; 3 otherwise). */
int tui_quiz_options(const tui_quiz_question_t *q);
/* The words, in the screen's language. */
const char *tui_quiz_kind_name(tui_quiz_kind_t k);
void tui_quiz_question_text(const tui_quiz_question_t *q, char *out, size_t n);
void tui_quiz_option_text(const tui_quiz_question_t *q, int i, char *out, size_t n);
void tui_quiz_short_question(const tui_quiz_question_t *q, char *out, size_t n);
void tui_quiz_answer_text(const tui_quiz_question_t *q, char *out, size_t n);

#endif
