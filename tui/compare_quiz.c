/* compare_quiz: predict, then see what this machine measured. See
 * compare_quiz.h.
 *
 * The questions come from a fixed list (the articles' boldest claims
 * first), each kept only when the rows it needs were measured; fallbacks
 * follow so that a run without node or redis still gives five. Each round
 * (p, or r at the end of one) asks them in another order, shuffled from a
 * seed drawn once per session: IPCSCOPE_QUIZ_SEED=N makes the orders
 * reproducible, and 0 keeps the list's order every round. The answer of a
 * question is decided when the quiz opens, from the figures of the
 * document, so that changing the language or a run ending meanwhile cannot
 * change it.
 */
#include "compare_quiz.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "articles.h"
#include "compare_names.h"
#include "i18n.h"
#include "text.h"

#define QUIZ_MAX 8
#define QUIZ_MIN 5
#define TIE      0.10 /* within 10% of each other: about the same */

static int zh(void)
{
    return tui_i18n_lang() == TUI_LANG_ZH;
}

typedef enum { K_FASTER, K_RANGE, K_ARRIVE } kind_t;

/* A question the quiz may ask, with what the articles say on it. */
typedef struct {
    kind_t kind;
    const char *a, *b; /* mechanisms (FASTER: both, RANGE: a) */
    int impl;
    int bytes; /* ARRIVE: the datagram's size */
    const char *demo;
    const char *article, *says_en, *says_zh;
} spec_t;

static const spec_t specs[] = {
    {K_FASTER, "unix-socket", "tcp", TUI_IMPL_C, 0, "unix-socket", "001",
     "UDS ★★★★★, \"the fastest IPC\"; TCP/UDP ★★★☆☆", "UDS ★★★★★，速度最快；TCP/UDP ★★★☆☆"},
    {K_RANGE, "shm-spin", NULL, TUI_IMPL_C, 0, "shared-memory", "000",
     "SharedArrayBuffer: the fastest", "SharedArrayBuffer：最快"},
    {K_ARRIVE, NULL, NULL, 0, 65507, "udp", "001", "TCP/UDP: across hosts, ★★★☆☆",
     "TCP/UDP：可跨主机，★★★☆☆"},
    {K_FASTER, "fork-channel", "tcp", TUI_IMPL_NODE, 0, "fork-ipc", "001",
     "IPC (fork) ★★★★☆, TCP/UDP ★★★☆☆", "IPC（fork）★★★★☆，TCP/UDP ★★★☆☆"},
    {K_RANGE, "redis-pubsub", NULL, TUI_IMPL_C, 0, "message-queue", "000",
     "message queue: speed medium", "消息队列：速度 中"},
    {K_FASTER, "shm-futex", "unix-socket", TUI_IMPL_C, 0, "shared-memory", "000",
     "Unix socket: close to shared memory in speed", "Unix Socket：速度接近共享内存"},
    {K_ARRIVE, NULL, NULL, 0, 70000, "udp", NULL, NULL, NULL},
    {K_FASTER, "pipe", "tcp", TUI_IMPL_C, 0, "stdio-pipe", "000", "pipe: fast; TCP/HTTP: medium",
     "管道 (pipe)：快；TCP/HTTP：中"},
    /* fallbacks, for a run with fewer rows */
    {K_RANGE, "pipe", NULL, TUI_IMPL_C, 0, "stdio-pipe", "000", "pipe: fast", "管道 (pipe)：快"},
    {K_FASTER, "udp", "tcp", TUI_IMPL_C, 0, "udp", "001", "TCP/UDP: one row, ★★★☆☆",
     "TCP/UDP：同一行，★★★☆☆"},
    {K_RANGE, "posix-mq", NULL, TUI_IMPL_C, 0, "message-queue", NULL, NULL, NULL},
    {K_RANGE, "tcp", NULL, TUI_IMPL_C, 0, "tcp", "000", "TCP/HTTP: medium", "TCP/HTTP：中"},
};
#define NSPECS (int)(sizeof specs / sizeof specs[0])

typedef struct {
    const spec_t *spec;
    double va, vb; /* FASTER: the two p50s; RANGE: p50 and p99 (ns) */
    long got;      /* ARRIVE: the bytes received, or -errno of sendto */
    int right;     /* the option the measurement picks */
    int chosen;    /* the student's, or -1 */
} question_t;

static struct {
    int active, have_doc;
    char date[32], mode[8];
    question_t q[QUIZ_MAX];
    int n, at, done;
    int score;                        /* this round */
    int session_right, session_asked; /* every round since the dashboard started */
    int rounds;                       /* rounds begun this session */
    int seeded;
    uint64_t seed; /* the session's: every round's order follows from it */
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

/* The session's seed: IPCSCOPE_QUIZ_SEED, else the clock and the pid. */
static void seed_once(void)
{
    if (quiz.seeded)
        return;
    quiz.seeded = 1;
    const char *env = getenv("IPCSCOPE_QUIZ_SEED");
    char *end;
    if (env && *env) {
        unsigned long long v = strtoull(env, &end, 10);
        if (!*end) {
            quiz.seed = v;
            return;
        }
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    quiz.seed = ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 40);
    if (!quiz.seed)
        quiz.seed = 1; /* 0 means the list's order */
}

/* A new round: its questions in an order of their own, never the order of
 * the round before (seed 0: the list's order, always). */
static void new_round(void)
{
    seed_once();
    quiz.rounds++;
    if (!quiz.seed || quiz.n < 2)
        return;
    const spec_t *before[QUIZ_MAX];
    for (int i = 0; i < quiz.n; i++)
        before[i] = quiz.q[i].spec;
    uint64_t state = quiz.seed ^ ((uint64_t)quiz.rounds * 0xd1b54a32d192ed03ULL);
    for (int tries = 0; tries < 16; tries++) {
        for (int i = quiz.n - 1; i > 0; i--) { /* Fisher-Yates */
            int j = (int)(next_random(&state) % (uint64_t)(i + 1));
            question_t t = quiz.q[i];
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

/* ---- the questions ------------------------------------------------------------- */

/* One datagram of bytes from one UDP socket to another on 127.0.0.1: the
 * bytes that arrived, or -errno (EMSGSIZE past 65,507). */
static long udp_try(int bytes)
{
    static char buf[70000 + 1];
    int tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    long r;
    if (tx < 0 || rx < 0 || bind(rx, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(rx, (struct sockaddr *)&a, &len) < 0) {
        r = -errno;
    } else if (sendto(tx, buf, (size_t)bytes, 0, (struct sockaddr *)&a, sizeof a) < 0) {
        r = -errno;
    } else {
        /* On loopback the datagram is queued before sendto returns; the
         * wait is for a kernel that defers it. */
        struct pollfd p = {.fd = rx, .events = POLLIN};
        r = poll(&p, 1, 200) == 1 ? (long)recv(rx, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC) : 0;
        if (r < 0)
            r = -errno;
    }
    if (tx >= 0)
        close(tx);
    if (rx >= 0)
        close(rx);
    return r;
}

static double p50(const tui_compare_doc_t *doc, const char *mech, int impl)
{
    const tui_compare_row_t *r = tui_compare_panel_row(doc, mech);
    return r ? r->p50[impl] : 0;
}

/* Fills q from spec; 0 when the rows it needs were not measured. */
static int make(question_t *q, const spec_t *s, const tui_compare_doc_t *doc)
{
    *q = (question_t){.spec = s, .chosen = -1};
    switch (s->kind) {
    case K_FASTER:
        q->va = p50(doc, s->a, s->impl);
        q->vb = p50(doc, s->b, s->impl);
        if (q->va <= 0 || q->vb <= 0)
            return 0;
        q->right = fabs(q->va - q->vb) <= TIE * fmin(q->va, q->vb) ? 2 : q->va < q->vb ? 0 : 1;
        return 1;
    case K_RANGE: {
        const tui_compare_row_t *r = tui_compare_panel_row(doc, s->a);
        if (!r || r->p50[s->impl] <= 0)
            return 0;
        q->va = r->p50[s->impl];
        q->vb = r->p99[s->impl];
        q->right = q->va < 10000 ? 0 : q->va < 100000 ? 1 : 2;
        return 1;
    }
    case K_ARRIVE:
        q->got = udp_try(s->bytes);
        if (q->got < 0 && q->got != -EMSGSIZE)
            return 0; /* no loopback to try it on: not this machine's truth */
        q->right = q->got == s->bytes ? 0 : 1;
        return 1;
    }
    return 0;
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
    int measured = 0; /* questions from the rows, not the datagrams */
    for (int i = 0; i < NSPECS && quiz.n < QUIZ_MAX; i++) {
        /* the fallbacks only while the first eight give fewer than five */
        if (i >= QUIZ_MAX && quiz.n >= QUIZ_MIN)
            break;
        if (make(&quiz.q[quiz.n], &specs[i], doc)) {
            measured += specs[i].kind != K_ARRIVE;
            quiz.n++;
        }
    }
    if (!measured)
        quiz.n = 0; /* a document without a figure: measure first */
    else
        new_round();
}

int tui_compare_quiz_active(void)
{
    return quiz.active;
}

/* ---- keys ------------------------------------------------------------------------ */

static int options(const question_t *q)
{
    return q->spec->kind == K_ARRIVE ? 2 : 3;
}

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
    question_t *q = &quiz.q[quiz.at];
    if (q->chosen >= 0) { /* the answer is shown: on to the next */
        if (next && ++quiz.at == quiz.n)
            quiz.done = 1;
        return TUI_COMPARE_STAY;
    }
    if (code)
        return TUI_COMPARE_STAY;
    int a = -1;
    if (q->spec->kind == K_ARRIVE)
        a = k == 'y' || k == 'Y' || k == '1' ? 0 : k == 'n' || k == 'N' || k == '2' ? 1 : -1;
    else if (k >= '1' && (int)k < '1' + options(q))
        a = (int)k - '1';
    if (a >= 0) {
        q->chosen = a;
        quiz.score += a == q->right;
        quiz.session_right += a == q->right;
        quiz.session_asked++;
    }
    return TUI_COMPARE_STAY;
}

/* ---- words ----------------------------------------------------------------------- */

static const char *impl_name(int impl)
{
    return impl ? "node" : "C";
}

/* Chinese sets a space between its characters and a Latin word: the space
 * to put after s, and before it. */
static const char *sp_after(const char *s)
{
    size_t n = strlen(s);
    return zh() && n && (unsigned char)s[n - 1] < 0x80 ? " " : "";
}

static const char *sp_before(const char *s)
{
    return zh() && (unsigned char)s[0] < 0x80 && s[0] ? " " : "";
}

static const char *kind_name(kind_t k)
{
    static const char *const names[][2] = {{"which is faster", "哪个更快"},
                                           {"how many microseconds", "多少微秒"},
                                           {"will it arrive", "会到达吗"}};
    return names[k][zh()];
}

static void question_text(const question_t *q, char *out, size_t n)
{
    const spec_t *s = q->spec;
    const char *A = s->a ? tui_compare_mech_name(s->a) : "",
               *B = s->b ? tui_compare_mech_name(s->b) : "";
    switch (s->kind) {
    case K_FASTER:
        if (zh())
            snprintf(out, n, "在本机，64 字节的一次往返，%s%s和%s%s%s哪个更快（%s，中位数）？", A,
                     sp_after(A), sp_before(B), B, sp_after(B), impl_name(s->impl));
        else
            snprintf(out, n,
                     "On this machine, which carries a 64-byte round trip faster, %s or %s (%s, "
                     "median)?",
                     A, B, impl_name(s->impl));
        break;
    case K_RANGE:
        if (zh())
            snprintf(out, n, "在本机，经由%s%s%s的一次 64 字节往返大约要多久（%s，中位数）？",
                     sp_before(A), A, sp_after(A), impl_name(s->impl));
        else
            snprintf(out, n,
                     "On this machine, roughly how long does one 64-byte round trip over %s take "
                     "(%s, median)?",
                     A, impl_name(s->impl));
        break;
    case K_ARRIVE:
        snprintf(out, n,
                 zh() ? "在本机向 127.0.0.1 发送一个 %d 字节的 UDP 数据报。它会完整到达吗？"
                      : "One UDP datagram of %d bytes is sent to 127.0.0.1 on this machine. Will "
                        "it arrive, whole?",
                 s->bytes);
        break;
    }
}

static void option_text(const question_t *q, int i, char *out, size_t n)
{
    const spec_t *s = q->spec;
    const char *u = tui_crt_utf8() ? "µs" : "us";
    switch (s->kind) {
    case K_FASTER:
        if (i < 2)
            snprintf(out, n, "%s", tui_compare_mech_name(i ? s->b : s->a));
        else
            snprintf(out, n, "%s",
                     zh() ? "差不多（相差 10% 以内）" : "about the same (within 10%)");
        break;
    case K_RANGE:
        if (i == 0)
            snprintf(out, n, zh() ? "不到 10 %s" : "under 10 %s", u);
        else if (i == 1)
            snprintf(out, n, zh() ? "10 到 100 %s" : "10 to 100 %s", u);
        else
            snprintf(out, n, zh() ? "100 %s 或更久" : "100 %s or more", u);
        break;
    case K_ARRIVE:
        snprintf(out, n, "%s", i ? (zh() ? "不会" : "no") : (zh() ? "会" : "yes"));
        break;
    }
}

/* The question in a few words, for the round's summary. */
static void short_question(const question_t *q, char *out, size_t n)
{
    const spec_t *s = q->spec;
    const char *A = s->a ? tui_compare_mech_name(s->a) : "",
               *B = s->b ? tui_compare_mech_name(s->b) : "";
    switch (s->kind) {
    case K_FASTER:
        snprintf(out, n, zh() ? "%s%s还是%s%s（%s）？" : "%s%s or %s%s (%s)?", A, sp_after(A),
                 sp_before(B), B, impl_name(s->impl));
        break;
    case K_RANGE:
        snprintf(out, n, zh() ? "%s%s往返（%s）？" : "%s%s round trip (%s)?", A, sp_after(A),
                 impl_name(s->impl));
        break;
    case K_ARRIVE:
        snprintf(out, n, zh() ? "%d 字节的 UDP 数据报会到达吗？" : "%d-byte UDP datagram arrives?",
                 s->bytes);
        break;
    }
}

/* What was measured, as one sentence. */
static void answer_text(const question_t *q, char *out, size_t n)
{
    const spec_t *s = q->spec;
    const char *u = tui_crt_utf8() ? "µs" : "us";
    char a[32], b[32];
    switch (s->kind) {
    case K_FASTER: {
        tui_compare_panel_us(a, sizeof a, q->va);
        tui_compare_panel_us(b, sizeof b, q->vb);
        int len = snprintf(out, n,
                           zh() ? "本机实测（%s，p50）：%s %s %s，%s %s %s："
                                : "Measured here (%s, p50): %s %s %s, %s %s %s: ",
                           impl_name(s->impl), tui_compare_mech_name(s->a), a, u,
                           tui_compare_mech_name(s->b), b, u);
        if (len < 0 || (size_t)len >= n)
            return;
        double fast = fmin(q->va, q->vb), slow = fmax(q->va, q->vb);
        int pct = (int)lround((slow / fast - 1) * 100);
        if (q->right == 2)
            snprintf(out + len, n - (size_t)len,
                     zh() ? "相差 %d%%，在 10%% 以内：差不多。"
                          : "%d%% apart, within 10%%: about the same.",
                     pct);
        else
            snprintf(out + len, n - (size_t)len,
                     zh() ? "%s%s更快，另一个多花 %d%% 的时间。"
                          : "%s%s is faster; the other takes %d%% longer.",
                     tui_compare_mech_name(q->right ? s->b : s->a),
                     sp_after(tui_compare_mech_name(q->right ? s->b : s->a)), pct);
        break;
    }
    case K_RANGE:
        tui_compare_panel_us(a, sizeof a, q->va);
        tui_compare_panel_us(b, sizeof b, q->vb);
        snprintf(out, n,
                 zh() ? "本机实测（%s）：p50 %s %s，p99 %s %s。"
                      : "Measured here (%s): p50 %s %s, p99 %s %s.",
                 impl_name(s->impl), a, u, b, u);
        break;
    case K_ARRIVE:
        if (q->got == s->bytes)
            snprintf(out, n,
                     zh() ? "刚刚在本机发送：sendto() 发出 %d 字节，recv() 收到全部 %ld 字节。经 "
                            "IPv4 的 UDP 数据报最多就是 "
                            "65,507 字节：65,535 减去 IP 头 20 和 UDP 头 8。"
                          : "Sent just now: sendto() took %d bytes and recv() got all %ld. The "
                            "most a UDP datagram "
                            "holds over IPv4: 65,535 less 20 (IP) and 8 (UDP) = 65,507.",
                     s->bytes, q->got);
        else if (q->got == -EMSGSIZE)
            snprintf(out, n,
                     zh() ? "刚刚在本机发送：sendto() "
                            "失败，EMSGSIZE（消息太长），一个字节也没发出。UDP 数据报最多 "
                            "65,507 字节；更大的要用字节流（TCP）或自己分块。"
                          : "Sent just now: sendto() failed with EMSGSIZE (message too long), "
                            "nothing left the "
                            "socket. A UDP datagram holds 65,507 bytes at most; more takes a "
                            "stream (TCP) or your "
                            "own chunks.");
        else
            snprintf(out, n,
                     zh() ? "刚刚在本机发送：收到 %ld 字节。" : "Sent just now: %ld bytes arrived.",
                     q->got);
        break;
    }
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
    const question_t *q = &quiz.q[quiz.at];
    const spec_t *s = q->spec;
    int wd = cols - 4, bottom = rows - 1, utf8 = tui_crt_utf8();
    char buf[900];
    snprintf(buf, sizeof buf, zh() ? "第 %d 题，共 %d 题 · %s" : "Question %d of %d · %s",
             quiz.at + 1, quiz.n, kind_name(s->kind));
    tui_crt_text(y++, 2, wd, TUI_ROLE_PANE_TITLE, buf);
    question_text(q, buf, sizeof buf);
    y += tui_crt_wrapped(y, 2, wd, 3, TUI_ROLE_HEADING, buf);
    y++;
    int shown = q->chosen >= 0;
    for (int i = 0; i < options(q); i++) {
        char key[4], opt[200];
        snprintf(key, sizeof key, "%c", s->kind == K_ARRIVE ? (i ? 'n' : 'y') : '1' + i);
        option_text(q, i, opt, sizeof opt);
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
    answer_text(q, buf, sizeof buf);
    if (y < bottom)
        y += tui_crt_wrapped(
            y, 2, wd, bottom - y - 2 < 3 ? (bottom - y - 2 > 1 ? bottom - y - 2 : 1) : 3,
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
        const question_t *q = &quiz.q[i];
        char opt[200], mine[200];
        option_text(q, q->right, opt, sizeof opt);
        option_text(q, q->chosen, mine, sizeof mine);
        int ok = q->chosen == q->right;
        const char *mark = utf8 ? (ok ? "✓" : "✗") : (ok ? "ok" : "x ");
        tui_crt_text(y, 2, 2, ok ? TUI_ROLE_BUILT : TUI_ROLE_ERROR, mark);
        char what[200];
        short_question(q, what, sizeof what);
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
        tui_crt_wrapped(
            2, 2, cols - 4, 3, TUI_ROLE_ERROR,
            zh() ? "还没有对比数据：先测量（m），然后按 p 开始小测验。"
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
    const question_t *q = quiz.done ? NULL : &quiz.q[quiz.at];
    status_bar(rows - 1, cols, q && q->spec->kind == K_ARRIVE ? "y n" : "1-3");
    tui_crt_flush();
}
