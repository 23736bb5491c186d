/* compare_quiz_items: the quiz's questions and their words. See
 * compare_quiz_items.h.
 */
#include "compare_quiz_items.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "compare_names.h"
#include "compare_panel.h"
#include "i18n.h"

#define QUIZ_MIN 5
#define TIE      0.10 /* within 10% of each other: about the same */

static int zh(void)
{
    return tui_i18n_lang() == TUI_LANG_ZH;
}

static const tui_quiz_spec_t specs[] = {
    {TUI_QUIZ_FASTER, "unix-socket", "tcp", TUI_IMPL_C, 0, "unix-socket", "001",
     "UDS ★★★★★, \"the fastest IPC\"; TCP/UDP ★★★☆☆", "UDS ★★★★★，速度最快；TCP/UDP ★★★☆☆"},
    {TUI_QUIZ_RANGE, "shm-spin", NULL, TUI_IMPL_C, 0, "shared-memory", "000",
     "SharedArrayBuffer: the fastest", "SharedArrayBuffer：最快"},
    {TUI_QUIZ_ARRIVE, NULL, NULL, 0, 65507, "udp", "001", "TCP/UDP: across hosts, ★★★☆☆",
     "TCP/UDP：可跨主机，★★★☆☆"},
    {TUI_QUIZ_FASTER, "fork-channel", "tcp", TUI_IMPL_NODE, 0, "fork-ipc", "001",
     "IPC (fork) ★★★★☆, TCP/UDP ★★★☆☆", "IPC（fork）★★★★☆，TCP/UDP ★★★☆☆"},
    {TUI_QUIZ_RANGE, "redis-pubsub", NULL, TUI_IMPL_C, 0, "message-queue", "000",
     "message queue: speed medium", "消息队列：速度 中"},
    {TUI_QUIZ_FASTER, "shm-futex", "unix-socket", TUI_IMPL_C, 0, "shared-memory", "000",
     "Unix socket: close to shared memory in speed", "Unix Socket：速度接近共享内存"},
    {TUI_QUIZ_ARRIVE, NULL, NULL, 0, 70000, "udp", NULL, NULL, NULL},
    {TUI_QUIZ_FASTER, "pipe", "tcp", TUI_IMPL_C, 0, "stdio-pipe", "000",
     "pipe: fast; TCP/HTTP: medium", "管道 (pipe)：快；TCP/HTTP：中"},
    /* fallbacks, for a run with fewer rows */
    {TUI_QUIZ_RANGE, "pipe", NULL, TUI_IMPL_C, 0, "stdio-pipe", "000", "pipe: fast",
     "管道 (pipe)：快"},
    {TUI_QUIZ_FASTER, "udp", "tcp", TUI_IMPL_C, 0, "udp", "001", "TCP/UDP: one row, ★★★☆☆",
     "TCP/UDP：同一行，★★★☆☆"},
    {TUI_QUIZ_RANGE, "posix-mq", NULL, TUI_IMPL_C, 0, "message-queue", NULL, NULL, NULL},
    {TUI_QUIZ_RANGE, "tcp", NULL, TUI_IMPL_C, 0, "tcp", "000", "TCP/HTTP: medium", "TCP/HTTP：中"},
};
#define NSPECS (int)(sizeof specs / sizeof specs[0])

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
static int make(tui_quiz_question_t *q, const tui_quiz_spec_t *s, const tui_compare_doc_t *doc)
{
    *q = (tui_quiz_question_t){.spec = s, .chosen = -1};
    switch (s->kind) {
    case TUI_QUIZ_FASTER:
        q->va = p50(doc, s->a, s->impl);
        q->vb = p50(doc, s->b, s->impl);
        if (q->va <= 0 || q->vb <= 0)
            return 0;
        q->right = fabs(q->va - q->vb) <= TIE * fmin(q->va, q->vb) ? 2 : q->va < q->vb ? 0 : 1;
        return 1;
    case TUI_QUIZ_RANGE: {
        const tui_compare_row_t *r = tui_compare_panel_row(doc, s->a);
        if (!r || r->p50[s->impl] <= 0)
            return 0;
        q->va = r->p50[s->impl];
        q->vb = r->p99[s->impl];
        q->right = q->va < 10000 ? 0 : q->va < 100000 ? 1 : 2;
        return 1;
    }
    case TUI_QUIZ_ARRIVE:
        q->got = udp_try(s->bytes);
        if (q->got < 0 && q->got != -EMSGSIZE)
            return 0; /* no loopback to try it on: not this machine's truth */
        q->right = q->got == s->bytes ? 0 : 1;
        return 1;
    }
    return 0;
}

int tui_quiz_questions(const tui_compare_doc_t *doc, tui_quiz_question_t *out)
{
    int n = 0, measured = 0; /* questions from the rows, not the datagrams */
    for (int i = 0; i < NSPECS && n < TUI_QUIZ_MAX; i++) {
        /* the fallbacks only while the first eight give fewer than five */
        if (i >= TUI_QUIZ_MAX && n >= QUIZ_MIN)
            break;
        if (make(&out[n], &specs[i], doc)) {
            measured += specs[i].kind != TUI_QUIZ_ARRIVE;
            n++;
        }
    }
    return measured ? n : 0; /* a document without a figure: measure first */
}

int tui_quiz_options(const tui_quiz_question_t *q)
{
    return q->spec->kind == TUI_QUIZ_ARRIVE ? 2 : 3;
}

/* ---- words ---------------------------------------------------------------- */

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

const char *tui_quiz_kind_name(tui_quiz_kind_t k)
{
    static const char *const names[][2] = {{"which is faster", "哪个更快"},
                                           {"how many microseconds", "多少微秒"},
                                           {"will it arrive", "会到达吗"}};
    return names[k][zh()];
}

void tui_quiz_question_text(const tui_quiz_question_t *q, char *out, size_t n)
{
    const tui_quiz_spec_t *s = q->spec;
    const char *A = s->a ? tui_compare_mech_name(s->a) : "",
               *B = s->b ? tui_compare_mech_name(s->b) : "";
    switch (s->kind) {
    case TUI_QUIZ_FASTER:
        if (zh())
            snprintf(out, n, "在本机，64 字节的一次往返，%s%s和%s%s%s哪个更快（%s，中位数）？", A,
                     sp_after(A), sp_before(B), B, sp_after(B), impl_name(s->impl));
        else
            snprintf(out, n,
                     "On this machine, which carries a 64-byte round trip faster, %s or %s (%s, "
                     "median)?",
                     A, B, impl_name(s->impl));
        break;
    case TUI_QUIZ_RANGE:
        if (zh())
            snprintf(out, n, "在本机，经由%s%s%s的一次 64 字节往返大约要多久（%s，中位数）？",
                     sp_before(A), A, sp_after(A), impl_name(s->impl));
        else
            snprintf(out, n,
                     "On this machine, roughly how long does one 64-byte round trip over %s take "
                     "(%s, median)?",
                     A, impl_name(s->impl));
        break;
    case TUI_QUIZ_ARRIVE:
        snprintf(out, n,
                 zh() ? "在本机向 127.0.0.1 发送一个 %d 字节的 UDP 数据报。它会完整到达吗？"
                      : "One UDP datagram of %d bytes is sent to 127.0.0.1 on this machine. Will "
                        "it arrive, whole?",
                 s->bytes);
        break;
    }
}

void tui_quiz_option_text(const tui_quiz_question_t *q, int i, char *out, size_t n)
{
    const tui_quiz_spec_t *s = q->spec;
    const char *u = tui_crt_utf8() ? "µs" : "us";
    switch (s->kind) {
    case TUI_QUIZ_FASTER:
        if (i < 2)
            snprintf(out, n, "%s", tui_compare_mech_name(i ? s->b : s->a));
        else
            snprintf(out, n, "%s",
                     zh() ? "差不多（相差 10% 以内）" : "about the same (within 10%)");
        break;
    case TUI_QUIZ_RANGE:
        if (i == 0)
            snprintf(out, n, zh() ? "不到 10 %s" : "under 10 %s", u);
        else if (i == 1)
            snprintf(out, n, zh() ? "10 到 100 %s" : "10 to 100 %s", u);
        else
            snprintf(out, n, zh() ? "100 %s 或更久" : "100 %s or more", u);
        break;
    case TUI_QUIZ_ARRIVE:
        snprintf(out, n, "%s", i ? (zh() ? "不会" : "no") : (zh() ? "会" : "yes"));
        break;
    }
}

/* The question in a few words, for the round's summary. */
void tui_quiz_short_question(const tui_quiz_question_t *q, char *out, size_t n)
{
    const tui_quiz_spec_t *s = q->spec;
    const char *A = s->a ? tui_compare_mech_name(s->a) : "",
               *B = s->b ? tui_compare_mech_name(s->b) : "";
    switch (s->kind) {
    case TUI_QUIZ_FASTER:
        snprintf(out, n, zh() ? "%s%s还是%s%s（%s）？" : "%s%s or %s%s (%s)?", A, sp_after(A),
                 sp_before(B), B, impl_name(s->impl));
        break;
    case TUI_QUIZ_RANGE:
        snprintf(out, n, zh() ? "%s%s往返（%s）？" : "%s%s round trip (%s)?", A, sp_after(A),
                 impl_name(s->impl));
        break;
    case TUI_QUIZ_ARRIVE:
        snprintf(out, n, zh() ? "%d 字节的 UDP 数据报会到达吗？" : "%d-byte UDP datagram arrives?",
                 s->bytes);
        break;
    }
}

/* What was measured, as one sentence. */
void tui_quiz_answer_text(const tui_quiz_question_t *q, char *out, size_t n)
{
    const tui_quiz_spec_t *s = q->spec;
    const char *u = tui_crt_utf8() ? "µs" : "us";
    char a[32], b[32];
    switch (s->kind) {
    case TUI_QUIZ_FASTER: {
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
    case TUI_QUIZ_RANGE:
        tui_compare_panel_us(a, sizeof a, q->va);
        tui_compare_panel_us(b, sizeof b, q->vb);
        snprintf(out, n,
                 zh() ? "本机实测（%s）：p50 %s %s，p99 %s %s。"
                      : "Measured here (%s): p50 %s %s, p99 %s %s.",
                 impl_name(s->impl), a, u, b, u);
        break;
    case TUI_QUIZ_ARRIVE:
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
