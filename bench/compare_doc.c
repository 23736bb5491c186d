/* compare_doc: the compare document, from measured rows to the articles'
 * claims with a verdict each, decided by the figures of the same run.
 *
 *   bench/compare.sh ... | compare_doc [--table]
 *
 * Input (what bench/compare.sh writes), one JSON object a line:
 *   1. the header: {"date","mode","n","rounds","bytes_one_way","machine","versions"}
 *   2. then one row each: {"mechanism","impl":"c"|"node","demo",
 *      "rtt_p50_ns","rtt_p99_ns"[,"mbps"]} or {...,"not_measured":"why"}
 *   3. and the claims' other figures, a program's own JSON line each:
 *      {"figures":"patterns"|"shm"|"fsw"|"node"|"mq","line":{...}}, and
 *      what the cluster demo's lessons passed where, counted by
 *      compare.sh: {"figures":"cluster","line":{"rr":{...},"none":{...}}};
 *      a line {"not_measured":"why"} when the program could not run
 *
 * Output: the header with versions.libuv added, "rows", "figures" (NAME:
 * line) and "claims", as one
 * JSON document (ipcscope compare --json, the compare screen's cache), or with
 * --table the same as text for make bench. A claim is
 *   {"id","source","claim_en","claim_zh","verdict","verdict_zh","figure",
 *    "sentence_en","sentence_zh","demo","step"}
 * with verdict "holds", "does not hold", "depends" or "not measured", and
 * demo and step the lesson step that shows it (step N of that demo's lesson
 * table, as `-- step N:` prints it).
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

static cJSON *rows, *figures;

/* Two figures closer than this ratio are a tie: a quick run's p50 moves by
 * that much from one run to the next. */
#define TIE 1.1

typedef enum { HOLDS, NOT_HOLDS, DEPENDS, UNMEASURED } verdict_t;
static const char *verdict_en[] = {"holds", "does not hold", "depends", "not measured"};
static const char *verdict_zh[] = {"成立", "不成立", "视情况而定", "未测量"};

typedef struct {
    verdict_t v;
    char figure[256], en[768], zh[768]; /* claim 6 is the longest: three findings */
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

/* An item of a figures line by its path, "summary.batching.batch_items_per_s",
 * or NULL. */
static cJSON *item(const char *name, const char *path)
{
    cJSON *o = cJSON_GetObjectItem(figures, name);
    char key[64];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, path);
        o = cJSON_GetObjectItem(o, key);
        path += n + (path[n] == '.');
    }
    return o;
}

/* The same as a positive, finite number, or 0. */
static double num(const char *name, const char *path)
{
    cJSON *o = item(name, path);
    return cJSON_IsNumber(o) && o->valuedouble > 0 && isfinite(o->valuedouble) ? o->valuedouble : 0;
}

/* "27.2 µs", "0.58 µs"; a start-up's "3.18 ms" */
static const char *us(double ns, char *buf, size_t n)
{
    if (ns >= 1e6)
        snprintf(buf, n, "%.2f ms", ns / 1e6);
    else
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
        {"shm-futex", "futex-waiting shared memory"}, {"http", "an HTTP keep-alive request"},
        {"fifo", "a FIFO"}, {"websocket", "a WebSocket message"},
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
        {"shm-futex", "futex 等待的共享内存"}, {"http", "HTTP 长连接请求"},
        {"fifo", "命名管道"}, {"websocket", "WebSocket 消息"},
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
    /* node's SharedArrayBuffer, when measured: said beside, the rule is C's */
    double ns = p50("shm-spin", "node"), nf = p50("shm-futex", "node");
    char node_en[160] = "", node_zh[160] = "", d[32], e[32];
    if (ns && nf) {
        us(ns, d, sizeof d);
        us(nf, e, sizeof e);
        snprintf(
            node_en, sizeof node_en,
            " In node, a SharedArrayBuffer between two threads: %s spinning, %s in Atomics.wait.",
            d, e);
        snprintf(node_zh, sizeof node_zh,
                 "在 node 里两个线程共用一个 SharedArrayBuffer：自旋 %s，Atomics.wait %s。", d, e);
    }
    if (best && f < best) {
        o->v = HOLDS;
        snprintf(o->en, sizeof o->en, "Even waiting on a futex (%s) it beats %s (%s).%s", b,
                 name_en(best_m), c, node_en);
        snprintf(o->zh, sizeof o->zh, "即使在 futex 上等待（%s）也快于%s（%s）。%s", b,
                 name_zh(best_m), c, node_zh);
    } else if (!best || s < best) {
        o->v = DEPENDS;
        snprintf(o->en, sizeof o->en,
                 "Only while both sides spin, each burning a core (%s); waiting on a futex (%s) it "
                 "is no faster than %s (%s).%s",
                 a, b, name_en(best_m), c, node_en);
        snprintf(o->zh, sizeof o->zh,
                 "只有两边都自旋、各占满一个核时才最快（%s）；在 futex "
                 "上等待时（%s）并不比%s（%s）快。%s",
                 a, b, name_zh(best_m), c, node_zh);
    } else {
        o->v = NOT_HOLDS;
        snprintf(o->en, sizeof o->en, "%s (%s) beat even spinning shared memory (%s).%s",
                 name_en(best_m), c, a, node_en);
        snprintf(o->zh, sizeof o->zh, "%s（%s）甚至快过自旋的共享内存（%s）。%s", name_zh(best_m),
                 c, a, node_zh);
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

/* 5. 001: "文件 + FS watch … 缺点：慢、不可靠", ★☆☆☆☆ against ★★★☆☆ for
 * TCP and MQ. The fs-watch demo's step 7 times a save to its parse (one way)
 * through inotify and through polling every 100 ms; beside them the C round
 * trips of HTTP (TCP's row) and Redis pub/sub (MQ's). Holds when inotify is
 * slower than both; does not hold when it is faster than both and polling
 * is under 1 ms; depends otherwise (between them, or only polling slow). */
static void claim_fswatch_slow(verdict_out_t *o)
{
    double in = p50("fs-watch-inotify", "c"), poll = p50("fs-watch-poll", "c");
    double pipe = num("fsw", "summary.measure.pipe_p50_ns");
    double h = p50("http", "c"), r = p50("redis-pubsub", "c");
    if (!in || (!h && !r)) {
        unmeasured(o, "fs.watch and an HTTP or Redis round trip", "fs.watch 与 HTTP 或 Redis 的往返");
        return;
    }
    char a[32], b[32], c[32], d[32], e[32];
    us(in, a, sizeof a);
    us(poll, b, sizeof b);
    us(h, c, sizeof c);
    us(r, d, sizeof d);
    us(pipe, e, sizeof e);
    snprintf(o->figure, sizeof o->figure, "inotify %s, poll %s one way; http %s, redis %s round trip", a,
             poll ? b : "-", h ? c : "-", r ? d : "-");
    int slower = (!h || in > h) + (!r || in > r), polls_slow = poll > 1e6;
    o->v = slower == 2 ? HOLDS : slower == 0 && !polls_slow ? NOT_HOLDS : DEPENDS;
    snprintf(o->en, sizeof o->en,
             "Through inotify a save was parsed %s after its write (a pipe's one way in the same run: %s); "
             "round trips: HTTP %s, Redis pub/sub %s; polling every 100 ms: %s; unreliable it is: duplicate "
             "events, torn reads, a lost watch (steps 2-5).",
             a, pipe ? e : "-", h ? c : "-", r ? d : "-", poll ? b : "-");
    snprintf(o->zh, sizeof o->zh,
             "经 inotify，一次保存在写入后 %s 被解析（同一次测量里管道单向 %s）；往返：HTTP %s，Redis 发布/订阅 %s；"
             "每 100 ms 轮询：%s；不可靠倒是真的：重复事件、读到半个文件、监视丢失（第 2-5 步）。",
             a, pipe ? e : "-", h ? c : "-", r ? d : "-", poll ? b : "-");
}

/* Why a program of the claims' other figures could not run, from its
 * {"not_measured":"why"} line, or "". */
static const char *why_not(const char *name)
{
    const char *why = cJSON_GetStringValue(item(name, "not_measured"));
    return why ? why : "";
}

/* The same in Chinese where compare.sh's reason is a known one, else as the
 * script said it. */
static const char *why_not_zh(const char *name)
{
    static const char *const zh[][2] = {
        {"redis-server is not installed", "没有安装 redis-server"},
        {"the private redis-server did not start", "私有的 redis-server 没有启动"},
    };
    const char *why = why_not(name);
    for (size_t i = 0; i < sizeof zh / sizeof zh[0]; i++)
        if (strcmp(why, zh[i][0]) == 0)
            return zh[i][1];
    return why;
}

static void unmeasured_why(verdict_out_t *o, const char *name, const char *what_en,
                           const char *what_zh)
{
    const char *why = why_not(name), *why_zh = why_not_zh(name);
    o->v = UNMEASURED;
    snprintf(o->figure, sizeof o->figure, "-");
    snprintf(o->en, sizeof o->en, "Not measured in this run: %s%s%s.", what_en, *why ? ": " : "",
             why);
    snprintf(o->zh, sizeof o->zh, "本次没有测到：%s%s%s。", what_zh, *why_zh ? "：" : "", why_zh);
}

/* 6. 000: a message queue gives "发布/订阅、持久化、重试", 001 calls MQ "可靠".
 * The only code either shows is Redis pub/sub. The message-queue demo's
 * lesson, in the same run: step 4 PUBLISHes while the subscriber is down
 * (each says 0: reached nobody) and the subscriber, back, never sees them;
 * step 11 a subscriber the server cuts off; step 8 Streams, a consumer
 * killed before its XACK and its entry claimed by the other; step 9 an
 * appendonly server killed -9 and restarted, the stream and its pending
 * entry read back. Depends when pub/sub lost them and Streams kept them;
 * holds when pub/sub kept them too; does not hold when Streams did not. */
static void claim_mq_persistence(verdict_out_t *o)
{
    double pub = num("mq", "summary.down.published"), lost = num("mq", "summary.down.reached_none");
    double kept = num("mq", "summary.persist.kept"),
           pend = num("mq", "summary.persist.pending_after_restart");
    double claimed = num("mq", "summary.streams.claimed");
    double sd = num("mq", "summary.slow.delivered"), sr = num("mq", "summary.slow.read");
    int cut = cJSON_IsTrue(item("mq", "summary.slow.cut"));
    if (!pub) {
        unmeasured_why(o, "mq", "the message-queue demo's pub/sub and Streams",
                       "message-queue 演示的发布/订阅与 Streams");
        return;
    }
    int pubsub_lost = lost == pub, streams_kept = kept > 0 && pend > 0 && claimed > 0;
    o->v = pubsub_lost && streams_kept ? DEPENDS : streams_kept ? HOLDS : NOT_HOLDS;
    char cut_fig[64] = "";
    if (cut && sd > sr)
        snprintf(cut_fig, sizeof cut_fig, ", %.0f of %.0f (cut off)", sd - sr, sd);
    snprintf(o->figure, sizeof o->figure,
             "pub/sub lost %.0f of %.0f (subscriber down)%s; Streams: %.0f retried, %.0f kept, "
             "%.0f pending after kill -9",
             lost, pub, cut_fig, claimed, kept, pend);
    char slow_en[200] = "", slow_zh[200] = "";
    if (cut && sd > 0) {
        snprintf(
            slow_en, sizeof slow_en,
            "; a subscriber the server cut off read %.0f of the %.0f PUBLISHes that counted it", sr,
            sd);
        snprintf(slow_zh, sizeof slow_zh,
                 "；被服务器断开的订阅者，在把它计入的 %.0f 次 PUBLISH 里只读到 %.0f 条", sd, sr);
    }
    snprintf(o->en, sizeof o->en,
             "Pub/sub, the only code the articles show, keeps nothing and delivers at most once: "
             "%.0f of %.0f PUBLISHed while the subscriber was down reached nobody, ever%s; Streams "
             "keep and retry: a killed consumer's entry went to the other, and after kill -9 and a "
             "restart the stream had %.0f entries, %.0f still pending (steps 4, 11, 8, 9).",
             lost, pub, slow_en, kept, pend);
    snprintf(o->zh, sizeof o->zh,
             "发布/订阅（文章里唯一给出的代码）什么都不存，最多送达一次：订阅者不在时 PUBLISH 的 "
             "%.0f 条里有 %.0f 条谁也没收到，它回来后也收不到%s；Streams 会保存、会重试：被杀的"
             "消费者手里的条目交给了另一个，kill -9 并重启后流里还有 %.0f 条、%.0f 条仍待确认"
             "（第 4、11、8、9 步）。",
             pub, lost, slow_zh, kept, pend);
}

/* 7. 001: cluster "支持广播". The cluster demo's step 4 does what the
 * article's code does (for each worker, worker.send()); compare.sh counted
 * its send()s, their channels and the time from the first to the last.
 * Does not hold when it took one send() per worker, each on its own
 * channel: a loop, not a broadcast; holds when fewer sends reached them all. */
static void claim_cluster_broadcast(verdict_out_t *o)
{
    double w = num("cluster", "rr.workers"), n = num("cluster", "rr.broadcast_sends");
    double ch = num("cluster", "rr.broadcast_channels");
    double span = cJSON_GetNumberValue(item("cluster", "rr.broadcast_first_to_last_ns"));
    if (!w || !n) {
        unmeasured_why(o, "cluster", "the cluster demo's broadcast", "cluster 演示的广播");
        return;
    }
    char a[32];
    us(span > 0 ? span : 0, a, sizeof a);
    o->v = n >= w && ch >= w ? NOT_HOLDS : n < w ? HOLDS : DEPENDS;
    snprintf(o->figure, sizeof o->figure,
             "%.0f workers, %.0f send() on %.0f channels, %s first to last", w, n, ch, a);
    snprintf(o->en, sizeof o->en,
             "A loop over channels, not a broadcast primitive: %.0f workers took %.0f send()s, one "
             "JSON line on "
             "each of %.0f socketpairs, %s from the first to the last.",
             w, n, ch, a);
    snprintf(o->zh, sizeof o->zh,
             "是遍历各条通道的循环，不是广播原语：%.0f 个 worker 用了 %.0f 次 send()，在 %.0f 个 "
             "socketpair "
             "上各写一行 JSON，从第一次到最后一次 %s。",
             w, n, ch, a);
}

/* 8. 001's scenario table: "PM2 / cluster 共享端口 → UNIX Domain Socket",
 * and UDS "可用于：多 Node 服务共享同一个端口（Nginx 热更新）". What passes
 * where in the cluster demo, counted by compare.sh from its events: in round
 * robin (node's default on Linux) the master accepts each TCP connection
 * and passes it over the worker's channel, a socketpair, with SCM_RIGHTS;
 * with --sched none it passes the listening socket once per worker. Depends
 * when handles crossed the channel (the Unix socket carries descriptors,
 * the requests stay TCP); does not hold when none did. */
static void claim_shared_port(verdict_out_t *o)
{
    double conns = num("cluster", "rr.connections_accepted"),
           rr_h = num("cluster", "rr.handles_with_connection");
    double pairs = num("cluster", "rr.socketpairs");
    double none_h = num("cluster", "none.handles_with_listen"),
           none_w = num("cluster", "none.workers_forked");
    double none_acc = cJSON_GetNumberValue(item("cluster", "none.connections_accepted"));
    if (!pairs || !conns) {
        unmeasured_why(o, "cluster", "the cluster demo's shared port", "cluster 演示的共享端口");
        return;
    }
    o->v = rr_h > 0 || none_h > 0 ? DEPENDS : NOT_HOLDS;
    char none_en[200] = "", none_zh[200] = "";
    if (none_w > 0) {
        snprintf(none_en, sizeof none_en,
                 "; with --sched none it passed the listening socket, %.0f for %.0f workers, and "
                 "accepted %.0f",
                 none_h, none_w, isnan(none_acc) ? 0 : none_acc);
        snprintf(none_zh, sizeof none_zh,
                 "；--sched none 时它传的是监听套接字，%.0f 个 worker 传了 %.0f 次，自己接受了 "
                 "%.0f 个连接",
                 none_w, none_h, isnan(none_acc) ? 0 : none_acc);
    }
    char none_fig[64] = "-";
    if (none_w > 0)
        snprintf(none_fig, sizeof none_fig, "%.0f listening sockets for %.0f workers", none_h,
                 none_w);
    snprintf(o->figure, sizeof o->figure,
             "rr: %.0f TCP connections, %.0f handles over socketpairs; none: %s", conns, rr_h,
             none_fig);
    snprintf(o->en, sizeof o->en,
             "The port is TCP; a Unix socket carries only its descriptors: in round robin, Linux's "
             "default, the "
             "master accepted %.0f connections and passed each over the worker's channel, a "
             "socketpair, with "
             "SCM_RIGHTS (%.0f handles)%s. Nginx's hot update is not measured here.",
             conns, rr_h, none_en);
    snprintf(o->zh, sizeof o->zh,
             "端口是 TCP 的；Unix 套接字只传它的描述符：轮询（round robin，Linux 上的默认）下主进程接受了 "
             "%.0f 个连接，"
             "逐个经 worker 的通道（一个 socketpair）用 SCM_RIGHTS 传过去（%.0f 个句柄）%s。Nginx "
             "热更新这里没有测量。",
             conns, rr_h, none_zh);
}

/* 9. 003: execFile "不生成 shell…比 exec() 更加高效". Node's start-up of
 * uname -s both ways (C's fork + execve against /bin/sh -c without node).
 * Within the tie, depends; else holds or not by which is faster. */
static void claim_execfile(verdict_out_t *o)
{
    const char *impl = "node", *f_m = "start-execfile";
    double f = p50(f_m, impl), e = p50("start-exec", impl);
    if (!f || !e) {
        impl = "c", f_m = "start-spawn";
        f = p50(f_m, impl), e = p50("start-exec", impl);
    }
    if (!f || !e) {
        unmeasured(o, "execFile and exec", "execFile 与 exec");
        return;
    }
    char a[32], b[32], c[32];
    us(f, a, sizeof a);
    us(e, b, sizeof b);
    us(fabs(e - f), c, sizeof c);
    int node = strcmp(impl, "node") == 0;
    const char *fn = node ? "execFile" : "fork + execve", *en = node ? "exec" : "/bin/sh -c";
    snprintf(o->figure, sizeof o->figure, "%s %s %s, %s %s", impl, fn, a, en, b);
    o->v = f < e * TIE && e < f * TIE ? DEPENDS : f < e ? HOLDS : NOT_HOLDS;
    snprintf(o->en, sizeof o->en,
             "Starting uname -s and reading its output took %s with %s, %s with %s (%.2fx, %s %s): %s.", a, fn, b, en,
             e / f, c, f < e ? "saved" : "lost",
             o->v == DEPENDS ? "a tie within 10%, run it again" : "exec starts /bin/sh first, which then starts uname");
    snprintf(o->zh, sizeof o->zh, "启动 uname -s 并读完输出：%s 用 %s，%s 用 %s（%.2f 倍，%s %s）：%s。", fn, a, en, b,
             e / f, f < e ? "省了" : "多了", c,
             o->v == DEPENDS ? "相差不到 10%，再测一次" : "exec 先启动 /bin/sh，再由它启动 uname");
}

/* 10. 004: "Frequent small messages can degrade performance; consider
 * batching". The patterns demo's step 2: 1,000 child.send() one by one
 * against one send() of the 1,000 in a batch, items a second. */
static void claim_batching(verdict_out_t *o)
{
    double one = num("patterns", "summary.batching.singles_items_per_s");
    double batch = num("patterns", "summary.batching.batch_items_per_s");
    if (!one || !batch) {
        unmeasured(o, "the patterns demo's batching", "patterns 演示的批处理");
        return;
    }
    snprintf(o->figure, sizeof o->figure, "%.0f items/s one by one, %.0f in a batch", one, batch);
    o->v = batch > one * TIE ? HOLDS : one > batch * TIE ? NOT_HOLDS : DEPENDS;
    snprintf(o->en, sizeof o->en,
             "1,000 small messages sent one by one moved %.0f items a second, in one batch %.0f (%.1fx): each send() "
             "is a JSON.stringify, a write() and a parse.",
             one, batch, batch / one);
    snprintf(o->zh, sizeof o->zh,
             "1,000 条小消息逐条发送每秒 %.0f 条，合成一批每秒 %.0f 条（%.1f 倍）：每次 send() 都是一次 "
             "JSON.stringify、一次 write() 和一次解析。",
             one, batch, batch / one);
}

/* 11. 004: msgpack "more efficient serialization", sent with child.send().
 * The patterns demo's step 6: the 1,000-user object as JSON and as
 * MessagePack, and the MessagePack Buffer sent on the JSON channel, where it
 * becomes {"type":"Buffer","data":[...]}. Depends when MessagePack is the
 * smaller alone and the larger on the channel. */
static void claim_msgpack(verdict_out_t *o)
{
    double j = num("patterns", "summary.serialization.json_bytes");
    double m = num("patterns", "summary.serialization.msgpack_bytes");
    double wire = num("patterns", "summary.serialization.buffer_wire_bytes");
    double jwire = num("patterns", "summary.serialization.json_wire_bytes");
    if (!j || !m || !wire || !jwire) {
        unmeasured(o, "the patterns demo's serialization", "patterns 演示的序列化");
        return;
    }
    snprintf(o->figure, sizeof o->figure, "JSON %.0f B, msgpack %.0f B, on the JSON channel %.0f B", jwire, m, wire);
    o->v = m < j && wire > jwire ? DEPENDS : m < j ? HOLDS : NOT_HOLDS;
    snprintf(o->en, sizeof o->en,
             "On a binary channel MessagePack is %.0f%% smaller (%.0f against %.0f bytes); sent as 004 sends it, "
             "child.send() of its Buffer on node's JSON channel, it became %.0f bytes, %.1fx the JSON message's.",
             (1 - m / j) * 100, m, j, wire, wire / jwire);
    snprintf(o->zh, sizeof o->zh,
             "在二进制通道上 MessagePack 小 %.0f%%（%.0f 对 %.0f 字节）；照 004 的写法用 child.send() 把它的 Buffer "
             "放上 node 的 JSON 通道，就变成了 %.0f 字节，是 JSON 消息的 %.1f 倍。",
             (1 - m / j) * 100, m, j, wire, wire / jwire);
}

/* 12. 003: "Node是一个单线程的". The threads of the node that ran the pipe's
 * ping-pong, from its /proc/self/status when its round trips were done.
 * Depends when there are more than one: the JavaScript runs on one. */
static void claim_node_threads(verdict_out_t *o)
{
    double t = num("node", "threads");
    if (!t) {
        unmeasured(o, "a running node's threads", "运行中的 node 的线程数");
        return;
    }
    snprintf(o->figure, sizeof o->figure, "%.0f threads", t);
    o->v = t > 1 ? DEPENDS : HOLDS;
    snprintf(o->en, sizeof o->en,
             "A node process doing a ping-pong had %.0f threads (Threads: in /proc/PID/status): the JavaScript "
             "runs on one, V8's helpers and libuv's pool (4 more, from the first fs or dns call) run beside it.",
             t);
    snprintf(o->zh, sizeof o->zh,
             "一个正在做往返的 node 进程有 %.0f 个线程（/proc/PID/status 的 Threads:）：JavaScript 跑在其中一个上，"
             "旁边还有 V8 的辅助线程和 libuv 的线程池（第一次 fs 或 dns 调用时再加 4 个）。",
             t);
}

/* 13. 002: Buffer.alloc(1024) posted to a worker as "共享内存". The
 * shared-memory demo's step 4 does what the article does and reads the
 * parent's buffer after the worker wrote: zeros, a copy. */
static void claim_buffer_copy(verdict_out_t *o)
{
    const char *buf = cJSON_GetStringValue(item("shm", "summary.copy.buffer"));
    const char *shared = cJSON_GetStringValue(item("shm", "summary.copy.shared"));
    if (!buf || !shared) {
        unmeasured(o, "the shared-memory demo's step 4", "shared-memory 演示的第 4 步");
        return;
    }
    int copied = strstr(buf, "hello") == NULL;
    snprintf(o->figure, sizeof o->figure, "Buffer after: %s; SharedArrayBuffer after: %s", buf, shared);
    o->v = copied ? NOT_HOLDS : HOLDS;
    snprintf(o->en, sizeof o->en,
             "After the worker wrote \"hello from worker\" into what it was posted, the parent's Buffer read %s: "
             "postMessage cloned it; a SharedArrayBuffer read %s.",
             buf, shared);
    snprintf(o->zh, sizeof o->zh,
             "worker 往收到的内存里写了 \"hello from worker\" 之后，父线程的 Buffer 读出来是 %s：postMessage "
             "传过去的是一份拷贝；SharedArrayBuffer 读出来是 %s。",
             buf, shared);
}

/* Each claim with the demo and the step of its lesson table that shows it. */
static const struct {
    const char *id, *source, *claim_en, *claim_zh, *demo;
    int step;
    void (*decide)(verdict_out_t *o);
} claims[] = {
    {"unix-fastest", "001", "Unix sockets are the fastest IPC (UDS ★★★★★)",
     "UDS / Named Pipe ★★★★★，速度最快", "unix-socket", 3, claim_unix_fastest},
    {"unix-near-shm", "000", "A Unix socket is about as fast as shared memory",
     "Unix Socket：速度接近共享内存", "shared-memory", 8, claim_unix_near_shm},
    {"shm-fastest", "000", "SharedArrayBuffer is the fastest", "SharedArrayBuffer：最快",
     "shared-memory", 8, claim_shm_fastest},
    {"fork-above-tcp", "001 003", "The fork channel is very efficient, above TCP (★★★★☆ vs ★★★☆☆)",
     "IPC（fork）★★★★☆ 高于 TCP/UDP ★★★☆☆；在系统内核中完成，非常高效", "fork-ipc", 6,
     claim_fork_above_tcp},
    {"unix-over-tcp", "001", "Unix sockets have no network overhead, unlike TCP",
     "UDS：无网络开销（★★★★★ 对 TCP/UDP ★★★☆☆）", "unix-socket", 3, claim_unix_over_tcp},
    {"pipe-over-tcp", "000", "A pipe is fast, TCP is medium", "管道：快；TCP/HTTP：中",
     "stdio-pipe", 12, claim_pipe_over_tcp},
    {"mq-like-tcp", "000 001", "A message queue is as fast as TCP (both medium, ★★★☆☆)",
     "消息队列与 TCP 同为“中”、同为 ★★★☆☆", "message-queue", 13, claim_mq_like_tcp},
    {"mq-persistence", "000 001", "Message queues give persistence and retries; they are reliable",
     "消息队列：支持发布/订阅、持久化、重试等能力；优点：可靠", "message-queue", 4,
     claim_mq_persistence},
    {"fswatch-slow", "001", "File + fs.watch is slow and unreliable (★☆☆☆☆)",
     "文件 + FS watch：慢、不可靠（★☆☆☆☆）", "fs-watch", 7, claim_fswatch_slow},
    {"cluster-broadcast", "001", "cluster supports broadcast", "cluster：支持广播", "cluster", 4,
     claim_cluster_broadcast},
    {"shared-port-uds", "001",
     "A cluster's shared port (PM2) and Nginx's hot update go through Unix sockets",
     "PM2 / cluster 共享端口 → UNIX Domain Socket；多 Node 服务共享同一个端口（Nginx 热更新）",
     "cluster", 8, claim_shared_port},
    {"execfile-over-exec", "003", "execFile spawns no shell, so it is more efficient than exec",
     "execFile() 默认不生成 shell，比 exec() 更加高效", "stdio-pipe", 7, claim_execfile},
    {"batching", "004", "Frequent small messages degrade performance: batch them",
     "Frequent small messages can degrade performance（频繁的小消息会降低性能）", "patterns", 2,
     claim_batching},
    {"msgpack", "004", "MessagePack is a more efficient serialization for child.send()",
     "Use more efficient serialization methods: child.send(msgpack.encode(...))（更高效的序列化）",
     "patterns", 6, claim_msgpack},
    {"node-threads", "003", "Node.js is single-threaded", "Node是一个单线程的", "worker-pool", 3,
     claim_node_threads},
    {"buffer-copy", "002", "A Buffer.alloc() posted to a worker is shared memory",
     "用 Buffer.alloc 创建一段共享内存，传给子进程后可读写这段共享内存", "shared-memory", 4,
     claim_buffer_copy},
};
#define NCLAIMS (int)(sizeof claims / sizeof claims[0])

/* ---- output ------------------------------------------------------------------ */

static void table(cJSON *doc)
{
    cJSON *m = cJSON_GetObjectItem(doc, "machine"), *v = cJSON_GetObjectItem(doc, "versions");
    printf("compare: %d round trips of 64 B per row, %d round(s), %s; %d cores, %s, node %s, redis "
           "%s\n",
           cJSON_GetObjectItem(doc, "n")->valueint, cJSON_GetObjectItem(doc, "rounds")->valueint,
           cJSON_GetStringValue(cJSON_GetObjectItem(doc, "date")),
           cJSON_GetObjectItem(m, "cores")->valueint,
           cJSON_GetStringValue(cJSON_GetObjectItem(m, "kernel")),
           cJSON_GetStringValue(cJSON_GetObjectItem(v, "node")),
           cJSON_GetStringValue(cJSON_GetObjectItem(v, "redis")));
    printf("%-16s %10s %10s %8s   %10s %10s %8s\n", "mechanism", "C p50 us", "C p99 us", "C MB/s",
           "node p50", "node p99", "node MB/s");
    static const char *const mechs[] = {"pipe",
                                        "fork-channel",
                                        "unix-socket",
                                        "fifo",
                                        "tcp",
                                        "udp",
                                        "http",
                                        "websocket",
                                        "posix-mq",
                                        "redis-pubsub",
                                        "shm-spin",
                                        "shm-futex",
                                        "fs-watch-inotify",
                                        "fs-watch-poll",
                                        "start-spawn",
                                        "start-execfile",
                                        "start-exec",
                                        "start-fork"};
    for (size_t i = 0; i < sizeof mechs / sizeof mechs[0]; i++) {
        printf("%-16s", mechs[i]);
        for (int k = 0; k < 2; k++) {
            const char *impl = k ? "node" : "c";
            double a = fig(mechs[i], impl, "rtt_p50_ns"), b = fig(mechs[i], impl, "rtt_p99_ns");
            double mb = fig(mechs[i], impl, "mbps");
            if (a)
                printf(" %10.1f %10.1f", a / 1000,
                       b / 1000); /* fs.watch: one way; start-*: a start */
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
        printf("  [%s] %s (%s)\n      %s\n      see: %s, step %d\n",
               cJSON_GetStringValue(cJSON_GetObjectItem(c, "verdict")),
               cJSON_GetStringValue(cJSON_GetObjectItem(c, "claim_en")),
               cJSON_GetStringValue(cJSON_GetObjectItem(c, "source")),
               cJSON_GetStringValue(cJSON_GetObjectItem(c, "sentence_en")),
               cJSON_GetStringValue(cJSON_GetObjectItem(c, "demo")),
               cJSON_GetObjectItem(c, "step")->valueint);
    }
    cJSON *r;
    cJSON_ArrayForEach(r, rows)
    {
        const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(r, "not_measured"));
        if (why)
            printf("not measured: %s, %s: %s\n",
                   cJSON_GetStringValue(cJSON_GetObjectItem(r, "mechanism")),
                   cJSON_GetStringValue(cJSON_GetObjectItem(r, "impl")), why);
    }
}

int main(int argc, char **argv)
{
    int as_table = argc > 1 && strcmp(argv[1], "--table") == 0;
    char *line = NULL;
    size_t cap = 0;
    cJSON *doc = NULL;
    rows = cJSON_CreateArray();
    figures = cJSON_CreateObject();
    while (getline(&line, &cap, stdin) > 0) { /* a demo's bye line can be long */
        cJSON *o = cJSON_Parse(line);
        if (!o) {
            fprintf(stderr, "compare_doc: not a JSON line: %.80s\n", line);
            return 1;
        }
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(o, "figures"));
        if (!doc) {
            doc = o;
        } else if (name) {
            cJSON_AddItemToObject(figures, name, cJSON_DetachItemFromObject(o, "line"));
            cJSON_Delete(o);
        } else {
            cJSON_AddItemToArray(rows, o);
        }
    }
    free(line);
    if (!doc || !cJSON_IsObject(cJSON_GetObjectItem(doc, "versions"))) {
        fprintf(stderr, "compare_doc: no header line (bench/compare.sh writes it)\n");
        return 1;
    }
    cJSON_AddStringToObject(cJSON_GetObjectItem(doc, "versions"), "libuv", uv_version_string());
    cJSON_AddItemToObject(doc, "rows", rows);
    cJSON_AddItemToObject(doc, "figures", figures);
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
        cJSON_AddNumberToObject(c, "step", claims[i].step);
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
