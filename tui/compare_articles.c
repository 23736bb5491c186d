/* compare_articles: the articles' comparison tables. See compare_articles.h.
 *
 * Copied from the articles' own tables: 000's "对比总结" and 001's "总结对比
 * 表", the Chinese as they have it, the English a faithful gloss. 001's
 * 单机/跨机 column is glossed "hosts": "one" or "both"; 000's ❌ and ✅
 * "no" and "yes", as the lessons gloss them.
 */
#include "compare_articles.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *article;
    const char *name_zh, *name_en;
    /* the four columns after the name, [column][en, zh] */
    const char *cell[4][2];
    const char *mechs;             /* the compare document's rows beside it: "tcp http" */
    const char *none_en, *none_zh; /* when mechs is "": why */
} article_row_t;

static const article_row_t rows[] = {
    /* 000: 方式 | 速度 | 跨机器 | 复杂度 | 适用场景 */
    {"000",
     "IPC 通道 (fork)",
     "IPC channel (fork)",
     {{"fast", "快"}, {"no", "❌"}, {"low", "低"}, {"parent and child", "父子进程"}},
     "fork-channel"},
    {"000",
     "管道 (pipe)",
     "pipe",
     {{"fast", "快"}, {"no", "❌"}, {"low", "低"}, {"streaming data", "流式数据"}},
     "pipe"},
    {"000",
     "SharedArrayBuffer",
     "SharedArrayBuffer",
     {{"fastest", "最快"}, {"no", "❌"}, {"high", "高"}, {"sharing between threads", "线程间共享"}},
     "shm-spin shm-futex"},
    {"000",
     "Unix Socket",
     "Unix socket",
     {{"very fast", "很快"},
      {"no", "❌"},
      {"medium", "中"},
      {"processes on one host", "同机多进程"}},
     "unix-socket"},
    {"000",
     "TCP/HTTP",
     "TCP/HTTP",
     {{"medium", "中"}, {"yes", "✅"}, {"medium", "中"}, {"microservices", "微服务"}},
     "tcp http"},
    {"000",
     "消息队列",
     "message queue",
     {{"medium", "中"}, {"yes", "✅"}, {"high", "高"}, {"distributed decoupling", "分布式解耦"}},
     "redis-pubsub"},
    /* 001: 方式 | 单机/跨机 | 速度 | 实现难度 | 特点 */
    {"001",
     "IPC（fork）",
     "IPC (fork)",
     {{"one", "单机"},
      {"★★★★☆", "★★★★☆"},
      {"simple", "简单"},
      {"parent-child, supports objects", "父子进程，支持对象"}},
     "fork-channel"},
    {"001",
     "cluster IPC",
     "cluster IPC",
     {{"one", "单机"},
      {"★★★★☆", "★★★★☆"},
      {"simple", "简单"},
      {"for Node cluster only", "Node cluster 专用"}},
     "",
     "not a row above: a cluster worker's channel is the fork channel (cluster.fork is "
     "child_process.fork)",
     "上表没有这一行：cluster 工作进程的通道就是 fork 通道（cluster.fork 就是 "
     "child_process.fork）"},
    {"001",
     "UDS / Named Pipe",
     "UDS / named pipe",
     {{"one", "单机"},
      {"★★★★★", "★★★★★"},
      {"harder", "较难"},
      {"fastest, no network overhead", "速度最快，无网络开销"}},
     "unix-socket"},
    {"001",
     "TCP/UDP",
     "TCP/UDP",
     {{"both", "都支持"}, {"★★★☆☆", "★★★☆☆"}, {"medium", "中"}, {"works across hosts", "可跨主机"}},
     "tcp udp"},
    {"001",
     "MQ（Redis / RabbitMQ）",
     "MQ (Redis / RabbitMQ)",
     {{"both", "都支持"}, {"★★★☆☆", "★★★☆☆"}, {"medium", "中"}, {"common, stable", "常用、稳定"}},
     "redis-pubsub"},
    {"001",
     "文件系统 watch",
     "file system watch",
     {{"one", "单机"},
      {"★☆☆☆☆", "★☆☆☆☆"},
      {"simple", "简单"},
      {"unreliable, not for production", "不可靠，不建议生产"}},
     "fs-watch-inotify fs-watch-poll"},
};
#define NROWS (int)(sizeof rows / sizeof rows[0])

/* Each screen column: its article, its index among the row's four cells,
 * its heading. */
static const struct {
    const char *article;
    int cell;
    const char *en, *zh;
} cols[TUI_ARTICLE_COLS] = {
    [TUI_ARTICLE_COL_SPEED] = {"000", 0, "speed", "速度"},
    [TUI_ARTICLE_COL_CROSS] = {"000", 1, "net", "跨机器"},
    [TUI_ARTICLE_COL_STARS] = {"001", 1, "stars", "星级"},
    [TUI_ARTICLE_COL_COMPLEXITY] = {"000", 2, "complexity", "复杂度"},
    [TUI_ARTICLE_COL_USE] = {"000", 3, "suited to", "适用场景"},
    [TUI_ARTICLE_COL_HOSTS] = {"001", 0, "hosts", "单机/跨机"},
    [TUI_ARTICLE_COL_DIFFICULTY] = {"001", 2, "difficulty", "实现难度"},
    [TUI_ARTICLE_COL_FEATURES] = {"001", 3, "features", "特点"},
};

const char *tui_article_col_article(tui_article_col_t c)
{
    return c < TUI_ARTICLE_COLS ? cols[c].article : "";
}

const char *tui_article_col_head(tui_article_col_t c, int zh)
{
    return c < TUI_ARTICLE_COLS ? (zh ? cols[c].zh : cols[c].en) : "";
}

/* 1 when the space-separated list has word. */
static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; *p;) {
        size_t k = strcspn(p, " ");
        if (k == n && strncmp(p, word, n) == 0)
            return 1;
        p += k + (p[k] == ' ');
    }
    return 0;
}

/* A cell as the terminal can show it: stars counted when it has no UTF-8,
 * ❌ ✅ in English words. */
static const char *shown(const article_row_t *r, int cell, int zh, int utf8)
{
    const char *s = r->cell[cell][zh && utf8];
    if (utf8 || strncmp(s, "★", strlen("★")) != 0)
        return s;
    static const char *const counted[] = {"0/5", "1/5", "2/5", "3/5", "4/5", "5/5"};
    int stars = 0;
    for (const char *p = s; (p = strstr(p, "★")); p += strlen("★"))
        stars++;
    return counted[stars];
}

const char *tui_article_cell(const char *mech, tui_article_col_t c, int zh, int utf8)
{
    if (c >= TUI_ARTICLE_COLS)
        return NULL;
    for (int i = 0; i < NROWS; i++)
        if (strcmp(rows[i].article, cols[c].article) == 0 && has_word(rows[i].mechs, mech))
            return shown(&rows[i], cols[c].cell, zh, utf8);
    return NULL;
}

static const article_row_t *row_of(const char *article, int i)
{
    for (int j = 0; j < NROWS; j++)
        if (strcmp(rows[j].article, article) == 0 && i-- == 0)
            return &rows[j];
    return NULL;
}

int tui_article_rows(const char *article)
{
    int n = 0;
    while (row_of(article, n))
        n++;
    return n;
}

/* The heading of the column that shows cell i of article's rows. */
static const char *cell_head(const char *article, int i, int zh)
{
    for (int c = 0; c < TUI_ARTICLE_COLS; c++)
        if (strcmp(cols[c].article, article) == 0 && cols[c].cell == i)
            return zh ? cols[c].zh : cols[c].en;
    return "";
}

size_t tui_article_row_line(const char *article, int i, int zh, int utf8,
                            const char *(*mech_name)(const char *mech), char *out, size_t n)
{
    const article_row_t *r = row_of(article, i);
    if (!n)
        return 0;
    out[0] = '\0';
    if (!r)
        return 0;
    size_t len = (size_t)snprintf(out, n, "%s%s", zh ? r->name_zh : r->name_en, zh ? "：" : ": ");
    for (int c = 0; c < 4 && len < n; c++)
        len += (size_t)snprintf(out + len, n - len, "%s%s %s", c ? (zh ? "，" : ", ") : "",
                                cell_head(article, c, zh), shown(r, c, zh, utf8));
    if (len < n)
        len += (size_t)snprintf(out + len, n - len, " %s ", utf8 ? "→" : "->");
    if (!*r->mechs && len < n)
        len += (size_t)snprintf(out + len, n - len, "%s", zh ? r->none_zh : r->none_en);
    for (const char *p = r->mechs; *p && len < n;) {
        char mech[32];
        size_t k = strcspn(p, " ");
        snprintf(mech, sizeof mech, "%.*s", (int)(k < sizeof mech - 1 ? k : sizeof mech - 1), p);
        len += (size_t)snprintf(out + len, n - len, "%s%s",
                                p == r->mechs ? ""
                                : zh          ? "、"
                                              : ", ",
                                mech_name(mech));
        p += k + (p[k] == ' ');
    }
    return len < n ? len : n - 1;
}

int tui_article_find(const char *article, const char *name)
{
    for (int i = 0; row_of(article, i); i++)
        if (strcmp(row_of(article, i)->name_zh, name) == 0)
            return i;
    return -1;
}

const char *tui_article_row_name(const char *article, int i, int zh)
{
    const article_row_t *r = row_of(article, i);
    return r ? (zh ? r->name_zh : r->name_en) : NULL;
}

/* Which of a row's four cells says word w: the articles order their
 * columns differently (000: speed, across machines, complexity, use; 001:
 * hosts, stars, difficulty, features). */
static int word_cell(const char *article, tui_article_word_t w)
{
    static const int cell[2][TUI_ARTICLE_WORDS] = {{0, 1, 2, 3}, {1, 0, 2, 3}};
    return cell[strcmp(article, "001") == 0][w];
}

const char *tui_article_word(const char *article, int i, tui_article_word_t w, int zh, int utf8)
{
    const article_row_t *r = row_of(article, i);
    if (!r || w >= TUI_ARTICLE_WORDS)
        return "";
    const char *s = shown(r, word_cell(article, w), zh, utf8);
    /* 001 says one host or both; across machines, in English, is no or yes */
    if (w == TUI_ARTICLE_CROSS && !zh && strcmp(article, "001") == 0)
        return strcmp(s, "both") == 0 ? "yes" : "no";
    return s;
}

const char *tui_article_word_head(const char *article, tui_article_word_t w, int zh)
{
    static const char *const head[][2] = {
        {"speed", "速度"}, {"cross-machine", "跨机器"}, {"complexity", "复杂度"}};
    if (w == TUI_ARTICLE_LAST)
        return cell_head(article, 3, zh);
    return w < TUI_ARTICLE_LAST ? head[w][zh] : "";
}
