/* compare_doc: the compare document, from measured rows to the articles'
 * claims with a verdict each, decided by the figures of the same run.
 *
 *   bench/compare.sh ... | compare_doc [--table]
 *
 * Input (what bench/compare.sh writes), one JSON object a line:
 *   1. the header: {"date","mode","n","rounds","bytes_one_way","machine","versions"}
 *   2. then one row each: {"mechanism","impl":"c"|"node","demo",
 *      "rtt_p50_ns","rtt_p99_ns"[,"mbps"]} or {...,"not_measured":"why"}
 *
 * Output: the header with versions.libuv added, "rows" and "claims", as one
 * JSON document (ipcscope compare --json, the compare screen's cache), or with
 * --table the same as text for make bench. A claim is
 *   {"id","source","claim_en","claim_zh","verdict","verdict_zh","figure",
 *    "sentence_en","sentence_zh","demo"}
 * with verdict "holds", "does not hold", "depends" or "not measured".
 *
 * The verdicts compare the C rows (the kernel's cost, no runtime on top),
 * except claim 4, which is about node's own fork channel. A rule is written
 * next to each claim, and the sentence says the figures it used.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <cJSON.h>

static cJSON *rows;

/* Two figures closer than this ratio are a tie: a quick run's p50 moves by
 * that much from one run to the next. */
#define TIE 1.1

typedef enum { HOLDS, NOT_HOLDS, DEPENDS, UNMEASURED } verdict_t;
static const char *verdict_en[] = {"holds", "does not hold", "depends", "not measured"};
static const char *verdict_zh[] = {"成立", "不成立", "视情况而定", "未测量"};

typedef struct {
    verdict_t v;
    char figure[256], en[512], zh[512];
} verdict_out_t;

/* ---- the rows --------------------------------------------------------------- */

/* A figure of a row ("rtt_p50_ns", "mbps"), or 0 when it was not measured. */
static double fig(const char *mech, const char *impl, const char *field)
{
    cJSON *r;
    cJSON_ArrayForEach(r, rows)
    {
        const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(r, "mechanism"));
        const char *i = cJSON_GetStringValue(cJSON_GetObjectItem(r, "impl"));
        if (m && i && strcmp(m, mech) == 0 && strcmp(i, impl) == 0) {
            cJSON *f = cJSON_GetObjectItem(r, field);
            return cJSON_IsNumber(f) && f->valuedouble > 0 && isfinite(f->valuedouble) ? f->valuedouble : 0;
        }
    }
    return 0;
}

static double p50(const char *mech, const char *impl)
{
    return fig(mech, impl, "rtt_p50_ns");
}

/* "27.2 µs", "0.58 µs" */
static const char *us(double ns, char *buf, size_t n)
{
    snprintf(buf, n, ns < 1000 ? "%.2f µs" : ns < 100000 ? "%.1f µs" : "%.0f µs", ns / 1000);
    return buf;
}

/* Names for the sentences: the mechanisms as a reader says them. */
static const char *const round_trips[] = {"pipe", "fork-channel", "unix-socket", "tcp", "udp",
                                          "posix-mq", "redis-pubsub"};
#define NRT (int)(sizeof round_trips / sizeof round_trips[0])
static const char *name_en(const char *m)
{
    static const char *const names[][2] = {
        {"pipe", "a pipe"},          {"fork-channel", "the fork channel"},
        {"unix-socket", "a Unix socket"}, {"tcp", "TCP loopback"},
        {"udp", "UDP loopback"},     {"posix-mq", "a POSIX mq"},
        {"redis-pubsub", "Redis pub/sub"}, {"shm-spin", "spinning shared memory"},
        {"shm-futex", "futex-waiting shared memory"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i][0], m) == 0)
            return names[i][1];
    return m;
}
static const char *name_zh(const char *m)
{
    static const char *const names[][2] = {
        {"pipe", "管道"},           {"fork-channel", "fork 通道"},
        {"unix-socket", "Unix 套接字"}, {"tcp", "TCP 回环"},
        {"udp", "UDP 回环"},        {"posix-mq", "POSIX 消息队列"},
        {"redis-pubsub", "Redis 发布/订阅"}, {"shm-spin", "自旋的共享内存"},
        {"shm-futex", "futex 等待的共享内存"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i][0], m) == 0)
            return names[i][1];
    return m;
}

static void unmeasured(verdict_out_t *o, const char *what_en, const char *what_zh)
{
    o->v = UNMEASURED;
    snprintf(o->figure, sizeof o->figure, "-");
    snprintf(o->en, sizeof o->en, "Not measured in this run: %s.", what_en);
    snprintf(o->zh, sizeof o->zh, "本次没有测到：%s。", what_zh);
}

/* ---- the claims ------------------------------------------------------------- */

/* 1. 001: UDS "★★★★★ 速度最快". Holds when no other C round trip is faster;
 * depends when some are but the Unix socket moves the most MB/s one way;
 * does not hold otherwise. */
static void claim_unix_fastest(verdict_out_t *o)
{
    double u = p50("unix-socket", "c");
    if (!u) {
        unmeasured(o, "the Unix socket's round trip", "Unix 套接字的往返");
        return;
    }
    char a[32], b[32], list_en[256] = "", list_zh[256] = "";
    int faster = 0;
    for (int i = 0; i < NRT; i++) {
        double x = p50(round_trips[i], "c");
        if (!x || x >= u || strcmp(round_trips[i], "unix-socket") == 0)
            continue;
        size_t le = strlen(list_en), lz = strlen(list_zh);
        snprintf(list_en + le, sizeof list_en - le, "%s%s %s", faster ? ", " : "",
                 name_en(round_trips[i]), us(x, a, sizeof a));
        snprintf(list_zh + lz, sizeof list_zh - lz, "%s%s %s", faster ? "、" : "",
                 name_zh(round_trips[i]), us(x, a, sizeof a));
        faster++;
    }
    double umb = fig("unix-socket", "c", "mbps"), best = 0;
    const char *best_m = "";
    static const char *const streams[] = {"pipe", "unix-socket", "tcp", "udp"};
    for (int i = 0; i < 4; i++)
        if (fig(streams[i], "c", "mbps") > best) {
            best = fig(streams[i], "c", "mbps");
            best_m = streams[i];
        }
    snprintf(o->figure, sizeof o->figure, "unix %s p50, %.0f MB/s", us(u, b, sizeof b), umb);
    if (!faster) {
        o->v = HOLDS;
        snprintf(o->en, sizeof o->en,
                 "No other round trip measured here was faster than the Unix socket's %s.", b);
        snprintf(o->zh, sizeof o->zh, "这里测到的往返中没有比 Unix 套接字的 %s 更快的。", b);
    } else if (umb > 0 && strcmp(best_m, "unix-socket") == 0) {
        o->v = DEPENDS;
        snprintf(o->en, sizeof o->en,
                 "Fastest one way (%.0f MB/s), not for a round trip: its %s was beaten by %s.", umb, b,
                 list_en);
        snprintf(o->zh, sizeof o->zh, "单向吞吐最快（%.0f MB/s），往返却不是：它的 %s 慢于%s。", umb, b,
                 list_zh);
    } else {
        o->v = NOT_HOLDS;
        snprintf(o->en, sizeof o->en, "Its round trip, %s, was beaten by %s%s%s%s.", b, list_en,
                 best > 0 ? "; one way, " : "", best > 0 ? name_en(best_m) : "",
                 best > 0 ? " moved the most" : "");
        snprintf(o->zh, sizeof o->zh, "它的往返 %s 慢于%s%s%s。", b, list_zh,
                 best > 0 ? "；单向吞吐最高的是" : "", best > 0 ? name_zh(best_m) : "");
    }
}

/* 2. 000: a Unix socket's "速度接近共享内存". Holds within 2x of spinning
 * shared memory; depends when only the futex-waiting kind is within 3x;
 * does not hold otherwise. */
static void claim_unix_near_shm(verdict_out_t *o)
{
    double u = p50("unix-socket", "c"), s = p50("shm-spin", "c"), f = p50("shm-futex", "c");
    if (!u || !s) {
        unmeasured(o, "the Unix socket and shared memory", "Unix 套接字与共享内存");
        return;
    }
    char a[32], b[32], c[32];
    us(u, a, sizeof a);
    us(s, b, sizeof b);
    us(f, c, sizeof c);
    snprintf(o->figure, sizeof o->figure, "unix %s, spin %s, futex %s", a, b, f ? c : "-");
    if (u <= 2 * s) {
        o->v = HOLDS;
        snprintf(o->en, sizeof o->en, "The Unix socket's %s is within 2x of spinning shared memory's %s.", a, b);
        snprintf(o->zh, sizeof o->zh, "Unix 套接字的 %s 在自旋共享内存 %s 的 2 倍以内。", a, b);
    } else if (f && u <= 3 * f) {
        o->v = DEPENDS;
        snprintf(o->en, sizeof o->en,
                 "%.0fx spinning shared memory's %s; only shared memory that waits on a futex (%s) is comparable.",
                 u / s, b, c);
        snprintf(o->zh, sizeof o->zh, "是自旋共享内存 %s 的 %.0f 倍；只有在 futex 上等待的共享内存（%s）与它相当。",
                 b, u / s, c);
    } else {
        o->v = NOT_HOLDS;
        snprintf(o->en, sizeof o->en, "%.0fx spinning shared memory's %s, %.1fx the futex-waiting kind's.",
                 u / s, b, f ? u / f : 0);
        snprintf(o->zh, sizeof o->zh, "是自旋共享内存 %s 的 %.0f 倍，futex 等待的 %.1f 倍。", b, u / s,
                 f ? u / f : 0);
    }
}

/* 3. 000: SharedArrayBuffer "最快". Holds when shared memory waiting on a
 * futex is already the fastest; depends when only spinning is (each side
 * burns a core); does not hold when neither is. */
static void claim_shm_fastest(verdict_out_t *o)
{
    double s = p50("shm-spin", "c"), f = p50("shm-futex", "c");
    if (!s || !f) {
        unmeasured(o, "shared memory", "共享内存");
        return;
    }
    double best = 0;
    const char *best_m = "";
    for (int i = 0; i < NRT; i++) {
        double x = p50(round_trips[i], "c");
        if (x && (!best || x < best)) {
            best = x;
            best_m = round_trips[i];
        }
    }
    char a[32], b[32], c[32];
    us(s, a, sizeof a);
    us(f, b, sizeof b);
    us(best, c, sizeof c);
    snprintf(o->figure, sizeof o->figure, "spin %s, futex %s, next %s", a, b, c);
    if (best && f < best) {
        o->v = HOLDS;
        snprintf(o->en, sizeof o->en, "Even waiting on a futex (%s) it beats %s (%s).", b, name_en(best_m), c);
        snprintf(o->zh, sizeof o->zh, "即使在 futex 上等待（%s）也快于%s（%s）。", b, name_zh(best_m), c);
    } else if (!best || s < best) {
        o->v = DEPENDS;
        snprintf(o->en, sizeof o->en,
                 "Only while both sides spin, each burning a core (%s); waiting on a futex (%s) it is no faster than %s (%s).",
                 a, b, name_en(best_m), c);
        snprintf(o->zh, sizeof o->zh, "只有两边都自旋、各占满一个核时才最快（%s）；在 futex 上等待时（%s）并不比%s（%s）快。",
                 a, b, name_zh(best_m), c);
    } else {
        o->v = NOT_HOLDS;
        snprintf(o->en, sizeof o->en, "%s (%s) beat even spinning shared memory (%s).", name_en(best_m), c, a);
        snprintf(o->zh, sizeof o->zh, "%s（%s）甚至快过自旋的共享内存（%s）。", name_zh(best_m), c, a);
    }
}

/* 4. 001 ranks IPC (fork) ★★★★☆ above TCP/UDP ★★★☆☆, and 003 calls the
 * channel "在系统内核中就完成…非常高效". In node: holds when node's fork
 * channel round trip beats node's TCP loopback; does not hold otherwise. */
static void claim_fork_above_tcp(verdict_out_t *o)
{
    double f = p50("fork-channel", "node"), t = p50("tcp", "node");
    if (!f || !t) {
        unmeasured(o, "node's fork channel and TCP", "node 的 fork 通道与 TCP");
        return;
    }
    char a[32], b[32];
    us(f, a, sizeof a);
    us(t, b, sizeof b);
    snprintf(o->figure, sizeof o->figure, "node fork %s, node tcp %s", a, b);
    if (f < t * TIE && t < f * TIE) {
        o->v = DEPENDS;
        snprintf(o->en, sizeof o->en,
                 "In node a tie within %.0f%%: the fork channel %s, TCP loopback %s; run it again, or a full run.",
                 (TIE - 1) * 100, a, b);
        snprintf(o->zh, sizeof o->zh, "在 node 里两者相差不到 %.0f%%：fork 通道 %s，TCP 回环 %s；再测一次或做完整测量。",
                 (TIE - 1) * 100, a, b);
    } else if (f < t) {
        o->v = HOLDS;
        snprintf(o->en, sizeof o->en, "In node the fork channel's round trip (%s) beat TCP loopback's (%s).", a, b);
        snprintf(o->zh, sizeof o->zh, "在 node 里 fork 通道的往返（%s）快于 TCP 回环（%s）。", a, b);
    } else {
        o->v = NOT_HOLDS;
        snprintf(o->en, sizeof o->en,
                 "In node the fork channel (%s) was slower than TCP loopback (%s): every message is "
                 "JSON.stringify'd, framed by a newline and parsed, on a socketpair no faster than a socket.",
                 a, b);
        snprintf(o->zh, sizeof o->zh,
                 "在 node 里 fork 通道（%s）比 TCP 回环（%s）还慢：每条消息都要 JSON.stringify、按换行分帧、"
                 "再解析，而底下的 socketpair 并不比套接字快。",
                 a, b);
    }
}

/* 5. 001: UDS "无网络开销" (no network overhead), ★★★★★ against TCP's ★★★☆☆.
 * Holds when the Unix socket beats TCP loopback by more than a tie both ways
 * of measuring; depends when on one; does not hold on neither. */
static void claim_unix_over_tcp(verdict_out_t *o)
{
    double u = p50("unix-socket", "c"), t = p50("tcp", "c");
    double um = fig("unix-socket", "c", "mbps"), tm = fig("tcp", "c", "mbps");
    if (!u || !t) {
        unmeasured(o, "the Unix socket and TCP", "Unix 套接字与 TCP");
        return;
    }
    char a[32], b[32];
    us(u, a, sizeof a);
    us(t, b, sizeof b);
    snprintf(o->figure, sizeof o->figure, "unix %s %.0f MB/s, tcp %s %.0f MB/s", a, um, b, tm);
    int rt = u * TIE < t, tp = um > tm * TIE; /* a tie wins nothing */
    o->v = rt && tp ? HOLDS : rt || tp ? DEPENDS : NOT_HOLDS;
    snprintf(o->en, sizeof o->en,
             "Round trip %s against TCP's %s (%.2fx); one way %.0f against %.0f MB/s (%.2fx).", a, b,
             t / u, um, tm, tm > 0 ? um / tm : 0);
    snprintf(o->zh, sizeof o->zh, "往返 %s 对 TCP 的 %s（%.2f 倍）；单向 %.0f 对 %.0f MB/s（%.2f 倍）。", a,
             b, t / u, um, tm, tm > 0 ? um / tm : 0);
}

/* 6. 000's table: pipe "快" (fast), TCP/HTTP "中" (medium). Holds when the
 * pipe's round trip beats TCP loopback's. */
static void claim_pipe_over_tcp(verdict_out_t *o)
{
    double p = p50("pipe", "c"), t = p50("tcp", "c");
    if (!p || !t) {
        unmeasured(o, "the pipe and TCP", "管道与 TCP");
        return;
    }
    char a[32], b[32];
    us(p, a, sizeof a);
    us(t, b, sizeof b);
    snprintf(o->figure, sizeof o->figure, "pipe %s, tcp %s", a, b);
    o->v = p < t * TIE && t < p * TIE ? DEPENDS : p < t ? HOLDS : NOT_HOLDS;
    snprintf(o->en, sizeof o->en, "A pipe's round trip took %s, TCP loopback's %s (%.2fx).", a, b, t / p);
    snprintf(o->zh, sizeof o->zh, "管道往返 %s，TCP 回环 %s（%.2f 倍）。", a, b, t / p);
}

/* 7. 000 rates a message queue "中" like TCP/HTTP, 001 gives MQ the same
 * ★★★☆☆ as TCP/UDP. Holds when Redis pub/sub's round trip is within 1.5x
 * of TCP loopback's. */
static void claim_mq_like_tcp(verdict_out_t *o)
{
    double r = p50("redis-pubsub", "c"), t = p50("tcp", "c");
    if (!r || !t) {
        unmeasured(o, "Redis pub/sub and TCP", "Redis 发布/订阅与 TCP");
        return;
    }
    char a[32], b[32];
    us(r, a, sizeof a);
    us(t, b, sizeof b);
    snprintf(o->figure, sizeof o->figure, "redis %s, tcp %s", a, b);
    o->v = r <= 1.5 * t ? HOLDS : NOT_HOLDS;
    snprintf(o->en, sizeof o->en,
             "Redis pub/sub took %s, %.1fx TCP loopback's %s: each round trip crosses the server twice.",
             a, r / t, b);
    snprintf(o->zh, sizeof o->zh, "Redis 发布/订阅用了 %s，是 TCP 回环 %s 的 %.1f 倍：每次往返要经过服务器两次。",
             a, b, r / t);
}

static const struct {
    const char *id, *source, *claim_en, *claim_zh, *demo;
    void (*decide)(verdict_out_t *o);
} claims[] = {
    {"unix-fastest", "001", "Unix sockets are the fastest IPC (UDS ★★★★★)",
     "UDS / Named Pipe ★★★★★，速度最快", "unix-socket", claim_unix_fastest},
    {"unix-near-shm", "000", "A Unix socket is about as fast as shared memory",
     "Unix Socket：速度接近共享内存", "shared-memory", claim_unix_near_shm},
    {"shm-fastest", "000", "SharedArrayBuffer is the fastest", "SharedArrayBuffer：最快",
     "shared-memory", claim_shm_fastest},
    {"fork-above-tcp", "001 003", "The fork channel is very efficient, above TCP (★★★★☆ vs ★★★☆☆)",
     "IPC（fork）★★★★☆ 高于 TCP/UDP ★★★☆☆；在系统内核中完成，非常高效", "fork-ipc",
     claim_fork_above_tcp},
    {"unix-over-tcp", "001", "Unix sockets have no network overhead, unlike TCP",
     "UDS：无网络开销（★★★★★ 对 TCP/UDP ★★★☆☆）", "unix-socket", claim_unix_over_tcp},
    {"pipe-over-tcp", "000", "A pipe is fast, TCP is medium", "管道：快；TCP/HTTP：中", "stdio-pipe",
     claim_pipe_over_tcp},
    {"mq-like-tcp", "000 001", "A message queue is as fast as TCP (both medium, ★★★☆☆)",
     "消息队列与 TCP 同为“中”、同为 ★★★☆☆", "message-queue", claim_mq_like_tcp},
};
#define NCLAIMS (int)(sizeof claims / sizeof claims[0])

/* ---- output ------------------------------------------------------------------ */

static void table(cJSON *doc)
{
    cJSON *m = cJSON_GetObjectItem(doc, "machine"), *v = cJSON_GetObjectItem(doc, "versions");
    printf("compare: %d round trips of 64 B per row, %d round(s), %s; %d cores, %s, node %s, redis %s\n",
           cJSON_GetObjectItem(doc, "n")->valueint, cJSON_GetObjectItem(doc, "rounds")->valueint,
           cJSON_GetStringValue(cJSON_GetObjectItem(doc, "date")),
           cJSON_GetObjectItem(m, "cores")->valueint,
           cJSON_GetStringValue(cJSON_GetObjectItem(m, "kernel")),
           cJSON_GetStringValue(cJSON_GetObjectItem(v, "node")),
           cJSON_GetStringValue(cJSON_GetObjectItem(v, "redis")));
    printf("%-14s %10s %10s %8s   %10s %10s %8s\n", "mechanism", "C p50 us", "C p99 us", "C MB/s",
           "node p50", "node p99", "node MB/s");
    static const char *const mechs[] = {"pipe", "fork-channel", "unix-socket", "tcp", "udp",
                                        "posix-mq", "redis-pubsub", "shm-spin", "shm-futex"};
    for (size_t i = 0; i < sizeof mechs / sizeof mechs[0]; i++) {
        printf("%-14s", mechs[i]);
        for (int k = 0; k < 2; k++) {
            const char *impl = k ? "node" : "c";
            double a = fig(mechs[i], impl, "rtt_p50_ns"), b = fig(mechs[i], impl, "rtt_p99_ns");
            double mb = fig(mechs[i], impl, "mbps");
            if (a)
                printf(" %10.1f %10.1f", a / 1000, b / 1000);
            else
                printf(" %10s %10s", "-", "-");
            if (mb)
                printf(" %8.0f%s", mb, k ? "" : "  ");
            else
                printf(" %8s%s", "-", k ? "" : "  ");
        }
        printf("\n");
    }
    cJSON *c;
    printf("\nThe articles' claims, against these figures:\n");
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "claims"))
    {
        printf("  [%s] %s (%s)\n      %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(c, "verdict")),
               cJSON_GetStringValue(cJSON_GetObjectItem(c, "claim_en")),
               cJSON_GetStringValue(cJSON_GetObjectItem(c, "source")),
               cJSON_GetStringValue(cJSON_GetObjectItem(c, "sentence_en")));
    }
    cJSON *r;
    cJSON_ArrayForEach(r, rows)
    {
        const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(r, "not_measured"));
        if (why)
            printf("not measured: %s, %s: %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(r, "mechanism")),
                   cJSON_GetStringValue(cJSON_GetObjectItem(r, "impl")), why);
    }
}

int main(int argc, char **argv)
{
    int as_table = argc > 1 && strcmp(argv[1], "--table") == 0;
    char line[8192];
    cJSON *doc = NULL;
    rows = cJSON_CreateArray();
    while (fgets(line, sizeof line, stdin)) {
        cJSON *o = cJSON_Parse(line);
        if (!o) {
            fprintf(stderr, "compare_doc: not a JSON line: %.80s\n", line);
            return 1;
        }
        if (!doc)
            doc = o;
        else
            cJSON_AddItemToArray(rows, o);
    }
    if (!doc || !cJSON_IsObject(cJSON_GetObjectItem(doc, "versions"))) {
        fprintf(stderr, "compare_doc: no header line (bench/compare.sh writes it)\n");
        return 1;
    }
    cJSON_AddStringToObject(cJSON_GetObjectItem(doc, "versions"), "libuv", uv_version_string());
    cJSON_AddItemToObject(doc, "rows", rows);
    cJSON *list = cJSON_AddArrayToObject(doc, "claims");
    for (int i = 0; i < NCLAIMS; i++) {
        verdict_out_t o = {0};
        claims[i].decide(&o);
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "id", claims[i].id);
        cJSON_AddStringToObject(c, "source", claims[i].source);
        cJSON_AddStringToObject(c, "claim_en", claims[i].claim_en);
        cJSON_AddStringToObject(c, "claim_zh", claims[i].claim_zh);
        cJSON_AddStringToObject(c, "verdict", verdict_en[o.v]);
        cJSON_AddStringToObject(c, "verdict_zh", verdict_zh[o.v]);
        cJSON_AddStringToObject(c, "figure", o.figure);
        cJSON_AddStringToObject(c, "sentence_en", o.en);
        cJSON_AddStringToObject(c, "sentence_zh", o.zh);
        cJSON_AddStringToObject(c, "demo", claims[i].demo);
        cJSON_AddItemToArray(list, c);
    }
    if (as_table) {
        table(doc);
    } else {
        char *s = cJSON_Print(doc);
        printf("%s\n", s);
        free(s);
    }
    cJSON_Delete(doc);
    return 0;
}
