/* compare_guide: the guide to choosing, on the compare screen. See
 * compare_guide.h.
 *
 * The questions follow "Six ways processes talk in Node.js" (000), whose
 * last line says in what order to choose: 是否跨机 → 是否需要解耦 → 对延迟的
 * 要求. Past those three the lab asks what the articles' use lines turn on:
 * who starts whom, and what the child is. The leaves take the articles' own
 * lines (000's 适用场景, the scenario table of "IPC methods in Node.js"),
 * in Chinese as the articles say them and in a faithful English, and add
 * what the lab found where the articles are wrong or silent.
 */
#include "compare_guide.h"

#include <stdio.h>
#include <string.h>

#include <curses.h>

#include "articles.h"
#include "compare_names.h"
#include "compare_panel.h"
#include "i18n.h"
#include "text.h"

static int zh(void)
{
    return tui_i18n_lang() == TUI_LANG_ZH;
}

/* ---- the tree ------------------------------------------------------------------ */

typedef enum {
    Q_CROSS,
    Q_DECOUPLE_NET,
    Q_NET_KIND,
    Q_DECOUPLE_LOCAL,
    Q_LATENCY,
    Q_WHO,
    Q_CHILD,
    Q_COUNT
} question_id_t;

typedef enum {
    L_MQ,
    L_TCP,
    L_HTTP,
    L_UDP,
    L_SHM,
    L_PATTERNS,
    L_FS,
    L_UNIX,
    L_CLUSTER,
    L_PIPE,
    L_FORK,
    L_POOL,
    L_COUNT
} leaf_id_t;

/* Where an answer leads: a question, or a leaf (LEAF(x)). */
#define LEAF(x)    (100 + (x))
#define IS_LEAF(n) ((n) >= 100)

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
} question_t;

static const question_t questions[Q_COUNT] = {
    [Q_CROSS] = {0,
                 "Do the processes run on different machines?",
                 "是否跨机？进程在不同的机器上运行吗？",
                 "000",
                 "TCP / HTTP / WebSocket: network protocols, across machines by nature",
                 "TCP / HTTP / WebSocket：走网络协议的通信方式，天然支持跨机器",
                 1,
                 {{"yes, across machines", "是，跨机", "across machines", "跨机", Q_DECOUPLE_NET},
                  {"no, all on one machine", "否，单机", "one machine", "单机", Q_DECOUPLE_LOCAL}},
                 2},
    [Q_DECOUPLE_NET] =
        {1,
         "Do you need decoupling: a broker in between that keeps messages, retries them and "
         "broadcasts them to services?",
         "是否需要解耦？由中间件保存、重试消息，并广播给各个服务？",
         "000",
         "Message queues: decoupled asynchronous communication through external message "
         "middleware, with publish/subscribe, persistence, retries",
         "消息队列：借助外部消息中间件实现解耦的异步通信，支持发布/订阅、持久化、重试等能力",
         1,
         {{"yes, through a broker", "是，经由中间件", "decoupled", "解耦", LEAF(L_MQ)},
          {"no, they talk to each other directly", "否，直接通信", "direct", "直接通信",
           Q_NET_KIND}},
         2},
    [Q_NET_KIND] =
        {2,
         "What do they exchange, and how much does a late message matter?",
         "交换什么？对延迟的要求？",
         "001",
         "Services talking across hosts → TCP / Redis; Node + Python + Go → Redis/TCP",
         "多服务跨主机通信 → TCP / Redis；Node + Python + Go 项目通信 → Redis/TCP",
         0,
         {{"requests and replies between services, none lost", "服务之间的请求与应答，一条不能丢",
           "requests and replies", "请求与应答", LEAF(L_TCP)},
          {"web requests, or pushes to browsers (HTTP, WebSocket, SSE)",
           "Web 请求，或推送给浏览器（HTTP、WebSocket、SSE）", "web", "Web", LEAF(L_HTTP)},
          {"datagrams: a late one is worth nothing (game state, metrics)",
           "数据报：晚到的就没用了（游戏状态、指标）", "datagrams", "数据报", LEAF(L_UDP)}},
         3},
    [Q_DECOUPLE_LOCAL] =
        {1,
         "Do you need decoupling: messages that wait in a queue for a reader not running "
         "yet, or a broadcast to services that come and go?",
         "是否需要解耦？消息在队列里等尚未运行的读者，或广播给随时上下线的服务？",
         "000",
         "Message queues, use: high concurrency, decoupling, messages that must "
         "persist or be broadcast across services",
         "消息队列，适用场景：高并发、解耦、需要消息持久化或跨服务广播",
         1,
         {{"yes, through a queue", "是，经由队列", "decoupled", "解耦", LEAF(L_MQ)},
          {"no, the processes talk directly", "否，进程之间直接通信", "direct", "直接通信",
           Q_LATENCY}},
         2},
    [Q_LATENCY] =
        {2,
         "What latency do you need?",
         "对延迟的要求？",
         "000",
         "SharedArrayBuffer: fastest, between threads; pipe and fork channel: fast; Unix socket: "
         "very fast",
         "SharedArrayBuffer：最快，线程间共享；管道、IPC 通道 (fork)：快；Unix Socket：很快",
         0,
         {{"under a microsecond: threads share the data itself", "一微秒以内：线程之间直接共享数据",
           "under 1 µs", "一微秒以内", LEAF(L_SHM)},
          {"tens of microseconds a message are fine", "每条消息几十微秒即可", "tens of µs",
           "几十微秒", Q_WHO},
          {"many small messages a second: their total cost matters most",
           "每秒大量小消息：总开销最要紧", "many small messages", "大量小消息", LEAF(L_PATTERNS)},
          {"seconds are fine: a file on disk that other tools read too",
           "几秒也行：写进文件，别的工具也能读", "seconds, a file", "几秒，文件", LEAF(L_FS)}},
         4},
    [Q_WHO] = {-1,
               "Who starts whom?",
               "进程之间是什么关系？",
               "000",
               "Unix socket, use: many processes on one machine, talking with non-Node processes",
               "Unix Socket，适用场景：同机多进程通信、与非 Node 进程互通",
               0,
               {{"our process starts the other: parent and child", "我们的进程启动对方：父子进程",
                 "parent and child", "父子进程", Q_CHILD},
                {"unrelated processes, maybe not node (Python, Go)",
                 "互不相关的进程，也许不是 Node（Python、Go）", "unrelated processes", "无关进程",
                 LEAF(L_UNIX)},
                {"several workers serving one port", "多个工作进程共享一个端口", "one shared port",
                 "共享端口", LEAF(L_CLUSTER)}},
               3},
    [Q_CHILD] = {-1,
                 "What is the child?",
                 "子进程是什么？",
                 "000",
                 "IPC channel (fork): parent and child; pipe: streaming data",
                 "IPC 通道 (fork)：父子进程；管道 (pipe)：流式数据",
                 0,
                 {{"another program (grep, python) fed a stream of bytes",
                   "外部程序（grep、python），喂给它字节流", "a program fed bytes", "外部程序",
                   LEAF(L_PIPE)},
                  {"a node child exchanging objects, one to one", "Node 子进程，一对一收发对象",
                   "a node child", "Node 子进程", LEAF(L_FORK)},
                  {"CPU-heavy tasks spread over the cores", "把 CPU 密集任务分到多个核",
                   "CPU-heavy tasks", "CPU 密集任务", LEAF(L_POOL)}},
                 3},
};

/* One line of an article: the article's id, as the article says it, and in
 * English. An English article is quoted as it is in both languages. */
typedef struct {
    const char *article, *en, *zh;
} quote_t;

typedef struct {
    const char *demo;
    const char *en, *zh; /* the mechanism */
    quote_t quotes[2];
    const char *note_en, *note_zh; /* what the lab adds */
    const char *mechs[3];          /* its rows in the compare document */
    const char *beside[2];         /* rows to hold them against */
} leaf_t;

static const leaf_t leaves[L_COUNT] = {
    [L_MQ] =
        {"message-queue",
         "a message queue: Redis pub/sub or Streams",
         "消息队列：Redis 发布/订阅或 Streams",
         {{"000",
           "Use: high concurrency, decoupling, messages that must persist or be broadcast across "
           "services.",
           "适用场景：高并发、解耦、需要消息持久化或跨服务广播。"},
          {"001", "SSE/WebSocket broadcast → Redis Pub/Sub", "SSE/Websocket 广播 → Redis Pub/Sub"}},
         "Pub/sub, the articles' code, keeps nothing: a subscriber that is down misses what is "
         "published. "
         "Streams keep it; the demo shows both, and the kernel's POSIX queue on one machine.",
         "文章代码里的发布/订阅什么也不保存：订阅者不在时发布的消息就丢了。Streams "
         "会保存；演示两者都有，"
         "还有单机上内核的 POSIX 消息队列。",
         {"redis-pubsub", "posix-mq"},
         {"tcp"}},
    [L_TCP] = {"tcp",
               "TCP",
               "TCP",
               {{"000", "Use: distributed systems, microservices, communication across machines.",
                 "适用场景：分布式系统、微服务、需要跨机通信。"},
                {"001", "Services talking across hosts → TCP / Redis",
                 "多服务跨主机通信 → TCP / Redis"}},
               "A byte stream: the message boundaries are yours to frame (the demo adds a length "
               "prefix), and "
               "Nagle may hold a small write back.",
               "字节流：消息边界要自己分帧（演示里加了长度前缀），小的写入可能被 Nagle 算法压住。",
               {"tcp"},
               {NULL}},
    [L_HTTP] =
        {"http",
         "HTTP or WebSocket",
         "HTTP 或 WebSocket",
         {{"000", "Network protocols, across machines by nature: the base of microservices.",
           "走网络协议的通信方式，天然支持跨机器，是微服务架构的基础。"},
          {NULL, NULL, NULL}},
         "Every request carries a head to parse; keep-alive saves the connect. WebSocket keeps one "
         "connection open and pushes whole messages both ways.",
         "每个请求都带一个要解析的请求头；keep-alive 省掉建连。WebSocket "
         "保持一条连接，双向推送完整的消息。",
         {"http", "websocket"},
         {"tcp"}},
    [L_UDP] = {"udp",
               "UDP datagrams",
               "UDP 数据报",
               {{"001", "TCP/UDP: one machine or many, ★★★☆☆, medium: across hosts",
                 "TCP/UDP：都支持，★★★☆☆，中，可跨主机"},
                {NULL, NULL, NULL}},
               "A datagram keeps its boundaries and may be lost or reordered; at most 65,507 bytes "
               "each. Nothing "
               "is sent again for you.",
               "数据报保留消息边界，可能丢失或乱序；每个最多 65,507 字节。没有人替你重发。",
               {"udp"},
               {"tcp"}},
    [L_SHM] = {"shared-memory",
               "shared memory: SharedArrayBuffer and Atomics",
               "共享内存：SharedArrayBuffer 与 Atomics",
               {{"000",
                 "Use: CPU-heavy tasks, sharing data at high frequency (mind thread safety).",
                 "适用场景：CPU 密集型任务、高频数据共享（注意线程安全）。"},
                {NULL, NULL, NULL}},
               "The fastest only while both sides spin, burning a core each; a side that waits "
               "(Atomics.wait, a "
               "futex) pays a wake-up like the others. Compare the two rows.",
               "只有两边都自旋、各占满一个核时才最快；等待的一方（Atomics.wait，即 "
               "futex）和别的机制一样要付唤醒的"
               "代价。比较下面两行。",
               {"shm-spin", "shm-futex"},
               {"unix-socket"}},
    [L_PATTERNS] =
        {"patterns",
         "batching over a channel, and the other patterns of 004",
         "在通道上批处理，以及 004 里的其他模式",
         {{"004", "Frequent small messages can degrade performance; consider batching them.",
           "Frequent small messages can degrade performance; consider batching them.（频繁的小消息"
           "会降低性能，考虑批处理）"},
          {NULL, NULL, NULL}},
         "Batching trades each message's latency for throughput. The demo measures batches, the "
         "cost "
         "of serializing, size limits, validation and timeouts.",
         "批处理用单条消息的延迟换吞吐量。演示实测批处理、序列化的开销、大小限制、校验与超时。",
         {NULL},
         {"fork-channel"}},
    [L_FS] =
        {"fs-watch",
         "a file and fs.watch",
         "文件 + FS watch",
         {{"001",
           "Processes talk through a file's changes: one writes JSON to a file, another watches "
           "it. "
           "Cons: slow, unreliable. Pros: easy to debug.",
           "利用文件变化实现进程通信，比如写 JSON 到某个文件，另一个进程 watch。缺点：慢、不可靠；"
           "优点：调试简单"},
          {NULL, NULL, NULL}},
         "Unreliable, as the article says: several events for one save, torn reads, a watch lost "
         "by a "
         "rename. How slow, the figures say.",
         "确实不可靠：一次保存触发多个事件、读到写了一半的文件、改名后监视失效。慢不慢，看数字。",
         {"fs-watch", "fs-watch-inotify", "fs-watch-polling"},
         {"pipe"}},
    [L_UNIX] = {"unix-socket",
                "a Unix domain socket",
                "Unix 域套接字",
                {{"000", "Use: many processes on one machine, talking with non-Node processes.",
                  "适用场景：同机多进程通信、与非 Node 进程互通。"},
                 {"001", "The fastest IPC (no network protocol overhead).",
                  "这是性能最强的 IPC 方式（无网络协议开销）。"}},
                "The articles rank it the fastest of all; hold it against TCP loopback, measured "
                "below on this "
                "machine.",
                "文章说它最快；和下面在本机测得的 TCP 回环比一比。",
                {"unix-socket"},
                {"tcp"}},
    [L_CLUSTER] =
        {"cluster",
         "cluster: master and workers over fork channels",
         "cluster：主进程与工作进程，经由 fork 通道",
         {{"001", "PM2 / cluster sharing a port → UNIX Domain Socket",
           "PM2 / cluster 共享端口 → UNIX Domain Socket"},
          {"001", "cluster connects master and workers through the IPC channel.",
           "cluster 内部自动通过 IPC 通道连接 master 与 workers。"}},
         "The shared port is the fork channel passing the listening or the accepted socket "
         "(SCM_RIGHTS), not a Unix socket path: the demo shows what passes where.",
         "共享端口靠 fork 通道传递监听的或已接受的套接字（SCM_RIGHTS），不是 Unix "
         "套接字路径：演示里看得到"
         "什么经由哪里传递。",
         {NULL},
         {"fork-channel"}},
    [L_PIPE] = {"stdio-pipe",
                "a pipe: the child's stdin and stdout",
                "管道：子进程的标准输入输出",
                {{"000",
                  "Use: working with external programs, streaming data (as a shell pipeline does).",
                  "适用场景：与外部程序协作、流式数据处理（如 shell pipeline）。"},
                 {NULL, NULL, NULL}},
                "A byte stream with backpressure: a full pipe makes the writer wait; no message "
                "boundaries.",
                "带背压的字节流：管道满了写端就得等；没有消息边界。",
                {"pipe"},
                {NULL}},
    [L_FORK] = {"fork-ipc",
                "child_process.fork(): the fork channel",
                "child_process.fork()：IPC 通道",
                {{"000", "Use: one to one between parent and child, simple task distribution.",
                  "适用场景：父子进程一对一通信，简单任务分发。"},
                 {"001", "CPU-heavy task distribution → child_process.fork()",
                  "CPU 密集任务分发 → child_process.fork()"}},
                "One JSON line per message over a socketpair: in node the framing costs more than "
                "the socket. "
                "Compare C and node, and TCP.",
                "每条消息是 socketpair 上的一行 JSON：在 node 里分帧比套接字本身更费时。对比 C 与 "
                "node，以及 TCP。",
                {"fork-channel"},
                {"tcp"}},
    [L_POOL] = {"worker-pool",
                "a pool of workers: threads or child processes",
                "工作池：线程或子进程",
                {{"001", "CPU-heavy task distribution → child_process.fork()",
                  "CPU 密集任务分发 → child_process.fork()"},
                 {"004", "Node.js relies on child processes to handle CPU-intensive tasks.",
                  "Node.js relies on child processes to handle CPU-intensive tasks.（Node.js "
                  "依靠子进程处理 "
                  "CPU 密集任务）"}},
                "A pool keeps every worker busy; one that posts every task to worker 0 is not a "
                "pool. The demo "
                "shows threads and processes, and tasks per second against the cores.",
                "池让每个工作者都忙起来；把任务全发给 0 "
                "号工作者的不算池。演示里有线程和进程两种，以及每秒任务数与"
                "核数的关系。",
                {NULL},
                {"fork-channel"}},
};

int tui_compare_guide_leaves(void)
{
    return L_COUNT;
}

const char *tui_compare_guide_leaf_demo(int i)
{
    return i >= 0 && i < L_COUNT ? leaves[i].demo : NULL;
}

/* ---- the walk -------------------------------------------------------------------- */

#define MAX_DEPTH 8

static struct {
    int active;
    int node;              /* a question, or LEAF(x) */
    int path[MAX_DEPTH];   /* the questions answered, in order */
    int chosen[MAX_DEPTH]; /* the answer given to each */
    int depth;
} guide;

void tui_compare_guide_open(void)
{
    guide.active = 1;
    guide.node = Q_CROSS;
    guide.depth = 0;
}

int tui_compare_guide_active(void)
{
    return guide.active;
}

const char *tui_compare_guide_demo(void)
{
    return IS_LEAF(guide.node) ? leaves[guide.node - LEAF(0)].demo : NULL;
}

/* The answer a key gives to the question q, or -1. */
static int answer_of(const question_t *q, wint_t k)
{
    if (q->yes_no)
        return k == 'y' || k == 'Y' || k == '1' ? 0 : k == 'n' || k == 'N' || k == '2' ? 1 : -1;
    int a = (int)k - '1';
    return a >= 0 && a < q->nanswers ? a : -1;
}

/* Enter on a leaf: the guide closes, remembering the leaf for the demo. */
static tui_compare_next_t open_demo(void)
{
    if (!IS_LEAF(guide.node))
        return TUI_COMPARE_STAY;
    guide.active = 0;
    return TUI_COMPARE_OPEN;
}

tui_compare_next_t tui_compare_guide_key(wint_t k, int code)
{
    if (code) {
        if (k == KEY_ENTER)
            return open_demo();
        if ((k == KEY_BACKSPACE || k == KEY_LEFT) && guide.depth > 0)
            guide.node = guide.path[--guide.depth];
        return TUI_COMPARE_STAY;
    }
    switch (k) {
    case 'q':
    case 27:
        guide.active = 0;
        return TUI_COMPARE_CLOSED;
    case 'L':
        return TUI_COMPARE_LANG;
    case 'm':
        guide.active = 0;
        return TUI_COMPARE_MEASURE;
    case 'r':
        tui_compare_guide_open();
        return TUI_COMPARE_STAY;
    case 'b':
    case 127:
    case 8:
        if (guide.depth > 0)
            guide.node = guide.path[--guide.depth];
        return TUI_COMPARE_STAY;
    case '\r':
    case '\n':
        return open_demo();
    default:
        break;
    }
    if (IS_LEAF(guide.node))
        return TUI_COMPARE_STAY;
    const question_t *q = &questions[guide.node];
    int a = answer_of(q, k);
    if (a >= 0 && guide.depth < MAX_DEPTH) {
        guide.path[guide.depth] = guide.node;
        guide.chosen[guide.depth++] = a;
        guide.node = q->answers[a].next;
    }
    return TUI_COMPARE_STAY;
}

/* ---- drawing the guide ------------------------------------------------------------ */

static const char *const order_steps[3][2] = {{"across machines?", "是否跨机"},
                                              {"decoupling?", "是否需要解耦"},
                                              {"latency?", "对延迟的要求"}};

/* Row 1: 000's order of questions, the step the guide is at in bold; the
 * article's "选择时优先考虑" when there is room for it. */
static void draw_order(int y, int cols, int step)
{
    const char *arrow = tui_crt_utf8() ? " → " : " -> ";
    char head[200];
    int steps = 2 * tui_text_width(arrow);
    for (int i = 0; i < 3; i++)
        steps += tui_text_width(order_steps[i][zh()]);
    snprintf(head, sizeof head, zh() ? "《%s》：选择时优先考虑：" : "%s, when choosing, first: ",
             scope_article_name("000", zh()));
    if (tui_text_width(head) + steps > cols - 2)
        snprintf(head, sizeof head, zh() ? "《%s》：" : "%s: ", scope_article_name("000", zh()));
    int x = 1, end = cols - 1;
    x += tui_crt_text(y, x, end - x, TUI_ROLE_DIM, head);
    for (int i = 0; i < 3 && x < end; i++) {
        if (i)
            x += tui_crt_text(y, x, end - x, TUI_ROLE_DIM, arrow);
        x += tui_crt_text(y, x, end - x, i == step ? TUI_ROLE_VALUE : TUI_ROLE_DIM,
                          order_steps[i][zh()]);
    }
}

/* From row 2: the answers so far, on one row or two. Returns the rows. */
static int draw_answers(int y, int cols)
{
    char line[600];
    int n = snprintf(line, sizeof line, "%s", zh() ? "你的回答：" : "Your answers: ");
    if (guide.depth == 0)
        snprintf(line + n, sizeof line - (size_t)n, "%s", zh() ? "（还没有）" : "(none yet)");
    for (int i = 0; i < guide.depth && n < (int)sizeof line; i++) {
        const question_t *q = &questions[guide.path[i]];
        n += snprintf(line + n, sizeof line - (size_t)n, "%s%s", i ? " · " : "",
                      zh() ? q->answers[guide.chosen[i]].short_zh
                           : q->answers[guide.chosen[i]].short_en);
    }
    return tui_compare_panel_wrap(y, 1, cols - 2, 2, TUI_ROLE_DEFAULT, line);
}

/* "“line” — article" in the language of the screen. */
static int draw_quote(int y, int x, int wd, int max, const char *article, const char *en,
                      const char *zh_line)
{
    char buf[900];
    if (zh())
        snprintf(buf, sizeof buf, "“%s”——《%s》", zh_line, scope_article_name(article, 1));
    else
        snprintf(buf, sizeof buf, "\"%s\" (%s)", en, scope_article_name(article, 0));
    return tui_compare_panel_wrap(y, x, wd, max, TUI_ROLE_DIM, buf);
}

static void draw_question(int y, int rows, int cols)
{
    const question_t *q = &questions[guide.node];
    int wd = cols - 4, bottom = rows - 2;
    char num[32];
    snprintf(num, sizeof num, zh() ? "问题 %d" : "Question %d", guide.depth + 1);
    tui_crt_text(y++, 2, wd, TUI_ROLE_PANE_TITLE, num);
    y += tui_compare_panel_wrap(y, 2, wd, 3, TUI_ROLE_HEADING, zh() ? q->zh : q->en);
    y++;
    for (int i = 0; i < q->nanswers && y < bottom; i++) {
        char key[8];
        if (q->yes_no)
            snprintf(key, sizeof key, "%c", i == 0 ? 'y' : 'n');
        else
            snprintf(key, sizeof key, "%d", i + 1);
        tui_crt_text(y, 4, 2, TUI_ROLE_STATUS_KEY, key);
        y += tui_compare_panel_wrap(y, 7, cols - 9, 2, TUI_ROLE_DEFAULT,
                                    zh() ? q->answers[i].zh : q->answers[i].en);
    }
    y++;
    if (y < bottom)
        draw_quote(y, 2, wd, bottom - y < 3 ? bottom - y : 3, q->article, q->line_en, q->line_zh);
}

/* A line of the leaf's figures: a row of the document and one side of it,
 * or the "beside it" label (row NULL). */
typedef struct {
    const tui_compare_row_t *row;
    int impl;
} fig_line_t;

#define MAX_FIG_LINES 16

static int add_row(fig_line_t *out, int n, const tui_compare_row_t *r)
{
    for (int impl = 0; r && impl < TUI_IMPL_COUNT && n < MAX_FIG_LINES; impl++)
        out[n++] = (fig_line_t){r, impl};
    return n;
}

/* The leaf's figure lines: its own rows (those listed, then any other row
 * the compare run made for its demo), then, if there is room, the rows to
 * hold them against after a label. *own gets how many are its own. */
static int fig_lines(const leaf_t *l, const tui_compare_doc_t *doc, int room, fig_line_t *out,
                     int *own)
{
    int n = 0;
    for (int i = 0; i < 3 && l->mechs[i]; i++)
        n = add_row(out, n, tui_compare_panel_row(doc, l->mechs[i]));
    for (int i = 0; doc && i < doc->nrows; i++) {
        int listed = 0;
        for (int j = 0; j < 3 && l->mechs[j]; j++)
            listed |= strcmp(doc->rows[i].mech, l->mechs[j]) == 0;
        for (int j = 0; j < 2 && l->beside[j]; j++)
            listed |= strcmp(doc->rows[i].mech, l->beside[j]) == 0;
        if (!listed && strcmp(doc->rows[i].demo, l->demo) == 0)
            n = add_row(out, n, &doc->rows[i]);
    }
    *own = n;
    fig_line_t beside[MAX_FIG_LINES];
    int nb = 0;
    for (int j = 0; j < 2 && l->beside[j]; j++)
        nb = add_row(beside, nb, tui_compare_panel_row(doc, l->beside[j]));
    /* the comparison only when it fits whole, with its label */
    if (nb && (n ? n : 1) + 1 + nb <= room && n + 1 + nb <= MAX_FIG_LINES) {
        out[n++] = (fig_line_t){NULL, 0};
        for (int j = 0; j < nb; j++)
            out[n++] = beside[j];
    }
    return n;
}

/* The figures' three columns, FIG_W wide each, from fig_x: near the names
 * on a wide screen, at the right edge on a narrow one. */
#define FIG_W 9
static int fig_x(int cols)
{
    int x = cols - 3 - 3 * FIG_W;
    return x > 56 ? 56 : x;
}

static void draw_fig_line(int y, int cols, const fig_line_t *f)
{
    int xp50 = fig_x(cols), fw = FIG_W;
    if (!f->row) {
        tui_crt_text(y, 2, cols - 4, TUI_ROLE_DIM, zh() ? "对照：" : "beside it:");
        return;
    }
    const tui_compare_row_t *r = f->row;
    int impl = f->impl;
    char name[96];
    snprintf(name, sizeof name, zh() ? "%s，%s" : "%s, %s", tui_compare_mech_name(r->mech),
             impl ? "node" : "C");
    int nw = tui_crt_text(y, 4, xp50 - 5, TUI_ROLE_DEFAULT, name);
    if (r->p50[impl] <= 0) { /* why, from past the longest name, for room */
        char buf[220];
        snprintf(buf, sizeof buf, "%s%s",
                 zh() ? "未测量：" : "not measured: ", tui_compare_reason(r->why[impl]));
        int x = 4 + nw + 2 > 28 ? 4 + nw + 2 : 28;
        if (x > xp50)
            x = xp50;
        tui_crt_text(y, x, cols - x - 1, TUI_ROLE_DIM,
                     r->why[impl][0] ? buf : (zh() ? "未测量" : "not measured"));
        return;
    }
    double v[3] = {r->p50[impl], r->p99[impl], r->mbps[impl]};
    for (int c = 0; c < 3; c++) {
        char buf[32];
        if (c < 2)
            tui_compare_panel_us(buf, sizeof buf, v[c]);
        else if (v[c] > 0)
            snprintf(buf, sizeof buf, "%.0f", v[c]);
        else
            snprintf(buf, sizeof buf, "-");
        int tw = tui_text_width(buf);
        tui_crt_text(y, xp50 + c * fw + (fw - tw), tw, v[c] > 0 ? TUI_ROLE_VALUE : TUI_ROLE_DIM,
                     buf);
    }
}

static void draw_leaf(int y, int rows, int cols, const tui_compare_doc_t *doc)
{
    const leaf_t *l = &leaves[guide.node - LEAF(0)];
    int wd = cols - 4, bottom = rows - 3, utf8 = tui_crt_utf8();
    char buf[400];
    snprintf(buf, sizeof buf, "%s %s", utf8 ? "→" : "->", zh() ? l->zh : l->en);
    y += tui_compare_panel_wrap(y, 2, wd, 2, TUI_ROLE_HEADING, buf);
    for (int i = 0; i < 2 && l->quotes[i].article && y < bottom - 4; i++)
        y += draw_quote(y, 4, wd - 2, 3, l->quotes[i].article, l->quotes[i].en, l->quotes[i].zh);
    if (y < bottom - 4)
        y += tui_compare_panel_wrap(y, 2, wd, 3, TUI_ROLE_DEFAULT, zh() ? l->note_zh : l->note_en);
    y++;

    /* the figures, under a header with the columns */
    int xp50 = fig_x(cols), fw = FIG_W;
    tui_crt_text(y, 2, xp50 - 3, TUI_ROLE_PANE_TITLE,
                 zh() ? "本机实测：64 字节往返" : "Measured here: a 64-byte round trip");
    for (int c = 0; c < 3; c++) {
        static const char *const heads[3][2] = {
            {"p50 µs", "p50 us"}, {"p99 µs", "p99 us"}, {"MB/s", "MB/s"}};
        const char *h = heads[c][!utf8];
        int tw = tui_text_width(h);
        tui_crt_text(y, xp50 + c * fw + (fw - tw), tw, TUI_ROLE_PANE_TITLE, h);
    }
    y++;
    if (!doc) {
        tui_crt_text(y, 4, wd - 2, TUI_ROLE_ERROR,
                     zh() ? "还没有测量：按 m 测量" : "not measured yet: m measures");
    } else {
        fig_line_t lines[MAX_FIG_LINES];
        int own, n = fig_lines(l, doc, bottom - y, lines, &own);
        if (!own)
            tui_crt_text(y++, 4, wd - 2, TUI_ROLE_DIM,
                         zh() ? "对比测量还没有包括它；它的演示里有它自己的测量"
                              : "the compare run does not measure it yet; its demo does");
        for (int i = 0; i < n && y < bottom; i++, y++) {
            if (y == bottom - 1 && i < n - 1) { /* more than fits: say so */
                tui_crt_text(y, 4, wd - 2, TUI_ROLE_DIM, tui_crt_glyph(TUI_G_ELLIPSIS));
                break;
            }
            draw_fig_line(y, cols, &lines[i]);
        }
    }

    /* its demo */
    snprintf(buf, sizeof buf,
             zh() ? "看演示：ipcscope open %s · 按 Enter 立即打开"
                  : "See it: ipcscope open %s · Enter opens it now",
             l->demo);
    tui_crt_text(rows - 2, 2, wd, TUI_ROLE_BUILT, buf);
}

void tui_compare_guide_draw(const tui_compare_doc_t *doc)
{
    int rows, cols;
    tui_crt_size(&rows, &cols);
    tui_crt_erase();
    if (tui_compare_panel_too_small(rows, cols)) {
        tui_crt_flush();
        return;
    }
    int leaf = IS_LEAF(guide.node);
    char badge[48];
    if (leaf)
        snprintf(badge, sizeof badge, " %s ", zh() ? "建议" : "ANSWER");
    else
        snprintf(badge, sizeof badge, zh() ? " 问题 %d " : " QUESTION %d ", guide.depth + 1);
    tui_compare_panel_title(
        cols, zh() ? "ipcscope：对比 - 选择指南" : "ipcscope: compare - a guide to choosing",
        badge);
    draw_order(1, cols, leaf ? -1 : questions[guide.node].step);
    int y = 2 + draw_answers(2, cols) + 1;
    if (leaf)
        draw_leaf(y, rows, cols, doc);
    else
        draw_question(y, rows, cols);

    const question_t *q = leaf ? NULL : &questions[guide.node];
    char range[16];
    snprintf(range, sizeof range, "1-%d", q ? q->nanswers : 0);
    const char *const items[][2] = {
        {leaf        ? "Enter"
         : q->yes_no ? "y n"
                     : range,
         leaf ? (zh() ? "打开演示" : "open the demo") : (zh() ? "回答" : "answer")},
        {"b", zh() ? "上一题" : "back"},
        {"r", zh() ? "从头开始" : "start again"},
        {"L", zh() ? "English" : "中文"},
        {"q", zh() ? "返回对比表" : "the table"},
    };
    tui_compare_panel_status(rows - 1, cols, items, (int)(sizeof items / sizeof items[0]));
    tui_crt_flush();
}
