/* compare_quiz: predict, then see what this machine measured. See
 * compare_quiz.h.
 *
 * The questions and their words are compare_quiz_items'; here, the round:
 * each (p, or r at the end of one) asks them in another order, shuffled
 * from a number drawn once per session: IPCSCOPE_QUIZ_ORDER=N makes the orders
 * reproducible, and 0 keeps the list's order every round. The answer of a
 * question is decided when the quiz opens, from the figures of the
 * document, so that changing the language or a run ending meanwhile cannot
 * change it.
 */
#include "compare_quiz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "articles.h"
#include "compare_quiz_items.h"
#include "i18n.h"

static int zh(void)
{
    return tui_i18n_lang() == TUI_LANG_ZH;
}

static struct {
    int active, have_doc;
    char date[32], mode[8];
    tui_quiz_question_t q[TUI_QUIZ_MAX];
    int n, at, done;
    int score;                        /* this round */
    int session_right, session_asked; /* every round since the dashboard started */
    int rounds;                       /* rounds begun this session */
    int keyed;
    uint64_t key; /* the session's: every round's order follows from it */
} quiz;

/* ---- the order of a round ---------------------------------------------------- */

/* splitmix64: a small generator whose sequence is the same everywhere. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The session's order key: IPCSCOPE_QUIZ_ORDER, else the clock and the pid. */
static void key_once(void)
{
    if (quiz.keyed)
        return;
    quiz.keyed = 1;
    const char *env = getenv("IPCSCOPE_QUIZ_ORDER");
    char *end;
    if (env && *env) {
        unsigned long long v = strtoull(env, &end, 10);
        if (!*end) {
            quiz.key = v;
            return;
        }
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    quiz.key = ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 40);
    if (!quiz.key)
        quiz.key = 1; /* 0 means the list's order */
}

/* A new round: its questions in an order of their own, never the order of
 * the round before (key 0: the list's order, always). */
static void new_round(void)
{
    key_once();
    quiz.rounds++;
    if (!quiz.key || quiz.n < 2)
        return;
    const tui_quiz_spec_t *before[TUI_QUIZ_MAX];
    for (int i = 0; i < quiz.n; i++)
        before[i] = quiz.q[i].spec;
    uint64_t state = quiz.key ^ ((uint64_t)quiz.rounds * 0xd1b54a32d192ed03ULL);
    for (int tries = 0; tries < 16; tries++) {
        for (int i = quiz.n - 1; i > 0; i--) { /* Fisher-Yates */
            int j = (int)(next_random(&state) % (uint64_t)(i + 1));
            tui_quiz_question_t t = quiz.q[i];
            quiz.q[i] = quiz.q[j];
            quiz.q[j] = t;
        }
        int same = 1;
        for (int i = 0; i < quiz.n && same; i++)
            same = before[i] == quiz.q[i].spec;
        if (!same)
            break;
    }
}

void tui_compare_quiz_open(const tui_compare_doc_t *doc)
{
    quiz.active = 1;
    quiz.have_doc = doc != NULL;
    quiz.n = quiz.at = quiz.done = quiz.score = 0;
    if (!doc)
        return;
    snprintf(quiz.date, sizeof quiz.date, "%s", doc->date);
    snprintf(quiz.mode, sizeof quiz.mode, "%s", doc->mode);
    quiz.n = tui_quiz_questions(doc, quiz.q);
    if (quiz.n)
        new_round();
}

int tui_compare_quiz_active(void)
{
    return quiz.active;
}

/* ---- keys ------------------------------------------------------------------------ */

tui_compare_next_t tui_compare_quiz_key(wint_t k, int code)
{
    if (!code) {
        switch (k) {
        case 'q':
        case 27:
            quiz.active = 0;
            return TUI_COMPARE_CLOSED;
        case 'L':
            return TUI_COMPARE_LANG;
        case 'm':
            quiz.active = 0;
            return TUI_COMPARE_MEASURE;
        default:
            break;
        }
    }
    if (!quiz.n)
        return TUI_COMPARE_STAY;
    int next = code ? k == KEY_ENTER : k == '\r' || k == '\n' || k == ' ';
    if (quiz.done) {
        if (!code && k == 'r') { /* the same questions again, unanswered, in another order */
            for (int i = 0; i < quiz.n; i++)
                quiz.q[i].chosen = -1;
            quiz.at = quiz.done = quiz.score = 0;
            new_round();
        }
        return TUI_COMPARE_STAY;
    }
    tui_quiz_question_t *q = &quiz.q[quiz.at];
    if (q->chosen >= 0) { /* the answer is shown: on to the next */
        if (next && ++quiz.at == quiz.n)
            quiz.done = 1;
        return TUI_COMPARE_STAY;
    }
    if (code)
        return TUI_COMPARE_STAY;
    int a = -1;
    if (q->spec->kind == TUI_QUIZ_ARRIVE)
        a = k == 'y' || k == 'Y' || k == '1' ? 0 : k == 'n' || k == 'N' || k == '2' ? 1 : -1;
    else if (k >= '1' && (int)k < '1' + tui_quiz_options(q))
        a = (int)k - '1';
    if (a >= 0) {
        q->chosen = a;
        quiz.score += a == q->right;
        quiz.session_right += a == q->right;
        quiz.session_asked++;
    }
    return TUI_COMPARE_STAY;
}

/* ---- drawing ----------------------------------------------------------------------- */

static void status_bar(int y, int cols, const char *answer_keys)
{
    const char *const ask[][2] = {
        {answer_keys, zh() ? "预测" : "predict"},
        {"L", zh() ? "English" : "中文"},
        {"q", zh() ? "返回对比表" : "the table"},
    };
    const char *const shown[][2] = {
        {"Enter", zh() ? "下一题" : "next question"},
        {"L", zh() ? "English" : "中文"},
        {"q", zh() ? "返回对比表" : "the table"},
    };
    const char *const end[][2] = {
        {"r", zh() ? "再来一次" : "again"},
        {"L", zh() ? "English" : "中文"},
        {"q", zh() ? "返回对比表（数字都在那里）" : "the table, with every figure"},
    };
    const char *const none[][2] = {
        {"m", zh() ? "测量" : "measure"},
        {"L", zh() ? "English" : "中文"},
        {"q", zh() ? "返回" : "back"},
    };
    if (!quiz.n)
        tui_compare_panel_status(y, cols, none, 3);
    else if (quiz.done)
        tui_compare_panel_status(y, cols, end, 3);
    else if (quiz.q[quiz.at].chosen >= 0)
        tui_compare_panel_status(y, cols, shown, 3);
    else
        tui_compare_panel_status(y, cols, ask, 3);
}

static void draw_question(int y, int rows, int cols)
{
    const tui_quiz_question_t *q = &quiz.q[quiz.at];
    const tui_quiz_spec_t *s = q->spec;
    int wd = cols - 4, bottom = rows - 1, utf8 = tui_crt_utf8();
    char buf[900];
    snprintf(buf, sizeof buf, zh() ? "第 %d 题，共 %d 题 · %s" : "Question %d of %d · %s",
             quiz.at + 1, quiz.n, tui_quiz_kind_name(s->kind));
    tui_crt_text(y++, 2, wd, TUI_ROLE_PANE_TITLE, buf);
    tui_quiz_question_text(q, buf, sizeof buf);
    y += tui_crt_wrapped(y, 2, wd, 3, TUI_ROLE_HEADING, buf);
    y++;
    int shown = q->chosen >= 0;
    for (int i = 0; i < tui_quiz_options(q); i++) {
        char key[4], opt[200];
        snprintf(key, sizeof key, "%c", s->kind == TUI_QUIZ_ARRIVE ? (i ? 'n' : 'y') : '1' + i);
        tui_quiz_option_text(q, i, opt, sizeof opt);
        tui_crt_text(y, 4, 2, TUI_ROLE_STATUS_KEY, key);
        int w = tui_crt_text(y, 7, 36, i == q->chosen ? TUI_ROLE_SELECTED : TUI_ROLE_DEFAULT, opt);
        /* the prediction and the measurement named in words, not colour alone */
        if (shown && (i == q->chosen || i == q->right)) {
            const char *arrow = utf8 ? "←" : "<-";
            snprintf(
                buf, sizeof buf, "%s %s", arrow,
                i == q->chosen && i == q->right
                    ? (zh() ? "你的预测，也是实测结果" : "your prediction, and what was measured")
                : i == q->chosen ? (zh() ? "你的预测" : "your prediction")
                                 : (zh() ? "实测结果" : "what was measured"));
            int x = 7 + (w > 30 ? w : 30) + 2;
            tui_crt_text(y, x, cols - x - 1, i == q->right ? TUI_ROLE_BUILT : TUI_ROLE_ERROR, buf);
        }
        y++;
    }
    y++;
    if (s->article && y < bottom) {
        snprintf(buf, sizeof buf, zh() ? "《%s》说：%s" : "%s says: %s",
                 scope_article_name(s->article, zh()), zh() ? s->says_zh : s->says_en);
        y += tui_crt_wrapped(y, 2, wd, 2, TUI_ROLE_DIM, buf);
    }
    if (!shown) {
        if (y + 1 < bottom)
            tui_crt_wrapped(
                y + 1, 2, wd, 2, TUI_ROLE_DIM,
                zh() ? "先预测，再看答案：实测的数字要等你回答之后才显示。"
                     : "Predict first: the measured figures show once you have answered.");
        return;
    }
    y++;
    int right = q->chosen == q->right;
    if (y < bottom) {
        snprintf(buf, sizeof buf, "%s %s", utf8 ? (right ? "✓" : "✗") : (right ? "[ok]" : "[x]"),
                 right ? (zh() ? "预测对了。" : "Right.")
                       : (zh() ? "这次没猜中。" : "Not this time."));
        tui_crt_text(y++, 2, wd, right ? TUI_ROLE_BUILT : TUI_ROLE_ERROR, buf);
    }
    tui_quiz_answer_text(q, buf, sizeof buf);
    if (y < bottom)
        y += tui_crt_wrapped(y, 2, wd,
                             bottom - y - 2 < 3 ? (bottom - y - 2 > 1 ? bottom - y - 2 : 1) : 3,
                             TUI_ROLE_VALUE, buf);
    if (y < bottom) {
        snprintf(buf, sizeof buf, zh() ? "看演示：ipcscope open %s" : "See it: ipcscope open %s",
                 s->demo);
        tui_crt_text(y++, 2, wd, TUI_ROLE_DIM, buf);
    }
    if (y < bottom) {
        snprintf(buf, sizeof buf,
                 zh() ? "得分：%d / %d · 本次会话：%d / %d"
                      : "Score: %d of %d · this session: %d of %d",
                 quiz.score, quiz.at + 1, quiz.session_right, quiz.session_asked);
        tui_crt_text(y, 2, wd, TUI_ROLE_HEADING, buf);
    }
}

static void draw_end(int y, int rows, int cols)
{
    int wd = cols - 4, utf8 = tui_crt_utf8();
    char buf[600];
    snprintf(buf, sizeof buf,
             zh() ? "得分：%d / %d · 本次会话：%d / %d（%d 轮%s）"
                  : "Your score: %d of %d · this session: %d of %d (%d round%s)",
             quiz.score, quiz.n, quiz.session_right, quiz.session_asked, quiz.rounds,
             quiz.rounds == 1 || zh() ? "" : "s");
    tui_crt_text(y++, 2, wd, TUI_ROLE_HEADING, buf);
    y++;
    for (int i = 0; i < quiz.n && y < rows - 2; i++, y++) {
        const tui_quiz_question_t *q = &quiz.q[i];
        char opt[200], mine[200];
        tui_quiz_option_text(q, q->right, opt, sizeof opt);
        tui_quiz_option_text(q, q->chosen, mine, sizeof mine);
        int ok = q->chosen == q->right;
        const char *mark = utf8 ? (ok ? "✓" : "✗") : (ok ? "ok" : "x ");
        tui_crt_text(y, 2, 2, ok ? TUI_ROLE_BUILT : TUI_ROLE_ERROR, mark);
        char what[200];
        tui_quiz_short_question(q, what, sizeof what);
        int len = snprintf(buf, sizeof buf, "%d. %s %s", i + 1, what, opt);
        if (!ok && len > 0 && (size_t)len < sizeof buf)
            snprintf(buf + len, sizeof buf - (size_t)len, zh() ? "；你的预测：%s" : "; you said %s",
                     mine);
        tui_crt_text(y, 5, wd - 3, TUI_ROLE_DEFAULT, buf);
    }
    if (y < rows - 2)
        tui_crt_wrapped(y + 1 < rows - 2 ? y + 1 : y, 2, wd, 1, TUI_ROLE_DIM,
                        zh() ? "所有数字都在对比表里（q）；r 再来一次。"
                             : "Every figure is on the table (q); r asks again.");
}

void tui_compare_quiz_draw(void)
{
    int rows, cols;
    tui_crt_size(&rows, &cols);
    tui_crt_erase();
    if (tui_compare_panel_too_small(rows, cols)) {
        tui_crt_flush();
        return;
    }
    char badge[64] = "";
    if (quiz.n)
        snprintf(badge, sizeof badge, zh() ? " %d/%d · 得分 %d " : " %d/%d · SCORE %d ",
                 quiz.done ? quiz.n : quiz.at + 1, quiz.n, quiz.score);
    tui_compare_panel_title(cols,
                            zh() ? "ipcscope：对比 - 小测验：先预测，再看实测"
                                 : "ipcscope: compare - a quiz: predict, then measure",
                            badge);
    char buf[300];
    if (!quiz.n) {
        tui_crt_wrapped(2, 2, cols - 4, 3, TUI_ROLE_ERROR,
                        zh()
                            ? "还没有对比数据：先测量（m），然后按 p 开始小测验。"
                            : "No compare figures yet: measure first (m), then p starts the quiz.");
        tui_crt_wrapped(
            5, 2, cols - 4, 4, TUI_ROLE_DIM,
            zh() ? "题目都来自本机测得的数字，所以答案是这台机器上的事实。"
                 : "Every question is drawn from the figures measured on this machine, so the "
                   "answer is this machine's truth.");
        status_bar(rows - 1, cols, "");
        tui_crt_flush();
        return;
    }
    char date[32];
    snprintf(date, sizeof date, "%s", quiz.date);
    char *t = strchr(date, 'T');
    if (t)
        *t = ' ';
    if ((t = strchr(date, 'Z')))
        *t = '\0';
    if (strlen(date) > 16)
        date[16] = '\0'; /* to the minute */
    snprintf(
        buf, sizeof buf,
        zh()
            ? "题目来自本机 %s UTC 的测量（%s）；先预测，别看对比表。"
            : "Drawn from this machine's run of %s UTC (%s); predict before you look at the table.",
        date,
        strcmp(quiz.mode, "full") == 0 ? (zh() ? "完整测量" : "full run")
                                       : (zh() ? "快速测量" : "quick run"));
    int y = 1 + tui_crt_wrapped(1, 1, cols - 2, 2, TUI_ROLE_DIM, buf) + 1;
    if (quiz.done)
        draw_end(y, rows, cols);
    else
        draw_question(y, rows, cols);
    const tui_quiz_question_t *q = quiz.done ? NULL : &quiz.q[quiz.at];
    status_bar(rows - 1, cols, q && q->spec->kind == TUI_QUIZ_ARRIVE ? "y n" : "1-3");
    tui_crt_flush();
}
