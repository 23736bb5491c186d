/* compare_guide_tree: the guide to choosing as data: its questions, where
 * each answer leads, and its leaves, one demo of the lab each.
 *
 * The questions follow "Six ways processes talk in Node.js" (000), whose
 * last line says in what order to choose: 是否跨机 → 是否需要解耦 → 对延迟的
 * 要求. Past those three the lab asks what the articles' use lines turn on:
 * who starts whom, and what the child is. The leaves take the articles' own
 * lines (000's 适用场景, the scenario table of "IPC methods in Node.js"),
 * in Chinese as the articles say them and in a faithful English, and add
 * what the lab found where the articles are wrong or silent. Every demo of
 * the catalogue is the leaf of some path. Pure data: no terminal; the walk
 * and its drawing are compare_guide's.
 *
 *     const tui_guide_question_t *q = &tui_guide_questions[TUI_GUIDE_Q_CROSS];
 *     int next = q->answers[0].next;            // a question, or a leaf:
 *     if (TUI_GUIDE_IS_LEAF(next))
 *         demo = tui_guide_leaves[next - TUI_GUIDE_LEAF(0)].demo;
 */
#ifndef TUI_COMPARE_GUIDE_TREE_H
#define TUI_COMPARE_GUIDE_TREE_H

typedef enum {
    TUI_GUIDE_Q_CROSS,
    TUI_GUIDE_Q_DECOUPLE_NET,
    TUI_GUIDE_Q_NET_KIND,
    TUI_GUIDE_Q_DECOUPLE_LOCAL,
    TUI_GUIDE_Q_LATENCY,
    TUI_GUIDE_Q_WHO,
    TUI_GUIDE_Q_CHILD,
    TUI_GUIDE_Q_COUNT
} tui_guide_question_id_t;

typedef enum {
    TUI_GUIDE_L_MQ,
    TUI_GUIDE_L_TCP,
    TUI_GUIDE_L_HTTP,
    TUI_GUIDE_L_UDP,
    TUI_GUIDE_L_SHM,
    TUI_GUIDE_L_PATTERNS,
    TUI_GUIDE_L_FS,
    TUI_GUIDE_L_UNIX,
    TUI_GUIDE_L_CLUSTER,
    TUI_GUIDE_L_PIPE,
    TUI_GUIDE_L_FORK,
    TUI_GUIDE_L_POOL,
    TUI_GUIDE_L_COUNT
} tui_guide_leaf_id_t;

/* Where an answer leads: a question, or a leaf (TUI_GUIDE_LEAF(x)). */
#define TUI_GUIDE_LEAF(x)    (100 + (x))
#define TUI_GUIDE_IS_LEAF(n) ((n) >= 100)

/* A question, its answers, and where each leads. */
typedef struct {
    int step; /* which of 000's three questions it is (0-2), or -1 past them */
    const char *en, *zh;
    /* the article's line behind the question: its id, then the line */
    const char *article, *line_en, *line_zh;
    int yes_no; /* answered with y/n (y is answer 0) instead of 1-4 */
    struct {
        const char *en, *zh;             /* the answer as offered */
        const char *short_en, *short_zh; /* as the answers so far recall it */
        int next;
    } answers[4];
    int nanswers;
} tui_guide_question_t;


/* One line of an article: the article's id, as the article says it, and in
 * English. An English article is quoted as it is in both languages. */
typedef struct {
    const char *article, *en, *zh;
} tui_guide_quote_t;

typedef struct {
    const char *demo;
    const char *en, *zh; /* the mechanism */
    tui_guide_quote_t quotes[2];
    const char *note_en, *note_zh; /* what the lab adds */
    const char *mechs[3];          /* its rows in the compare document */
    const char *beside[2];         /* rows to hold them against */
} tui_guide_leaf_t;

extern const tui_guide_question_t tui_guide_questions[TUI_GUIDE_Q_COUNT];
extern const tui_guide_leaf_t tui_guide_leaves[TUI_GUIDE_L_COUNT];

/* For tests and --help: the number of leaves, and the demo of the i-th. */
int tui_compare_guide_leaves(void);
const char *tui_compare_guide_leaf_demo(int i);

#endif
