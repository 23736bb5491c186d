/* compare_guide_tree: the guide's questions and leaves. See
 * compare_guide_tree.h.
 */
#include "compare_guide_tree.h"

#include <stddef.h>

const tui_guide_question_t tui_guide_questions[TUI_GUIDE_Q_COUNT] = {
    [TUI_GUIDE_Q_CROSS] = {0,
                 "Do the processes run on different machines?",
                 "是否跨机？进程在不同的机器上运行吗？",
                 "000",
                 "TCP / HTTP / WebSocket: network protocols, across machines by nature",
                 "TCP / HTTP / WebSocket：走网络协议的通信方式，天然支持跨机器",
                 1,
                 {{"yes, across machines", "是，跨机", "across machines", "跨机", TUI_GUIDE_Q_DECOUPLE_NET},
                  {"no, all on one machine", "否，单机", "one machine", "单机", TUI_GUIDE_Q_DECOUPLE_LOCAL}},
                 2},
    [TUI_GUIDE_Q_DECOUPLE_NET] =
        {1,
         "Do you need decoupling: a broker in between that keeps messages, retries them and "
         "broadcasts them to services?",
         "是否需要解耦？由中间件保存、重试消息，并广播给各个服务？",
         "000",
         "Message queues: decoupled asynchronous communication through external message "
         "middleware, with publish/subscribe, persistence, retries",
         "消息队列：借助外部消息中间件实现解耦的异步通信，支持发布/订阅、持久化、重试等能力",
         1,
         {{"yes, through a broker", "是，经由中间件", "decoupled", "解耦", TUI_GUIDE_LEAF(TUI_GUIDE_L_MQ)},
          {"no, they talk to each other directly", "否，直接通信", "direct", "直接通信",
           TUI_GUIDE_Q_NET_KIND}},
         2},
    [TUI_GUIDE_Q_NET_KIND] =
        {2,
         "What do they exchange, and how much does a late message matter?",
         "交换什么？对延迟的要求？",
         "001",
         "Services talking across hosts → TCP / Redis; Node + Python + Go → Redis/TCP",
         "多服务跨主机通信 → TCP / Redis；Node + Python + Go 项目通信 → Redis/TCP",
         0,
         {{"requests and replies between services, none lost", "服务之间的请求与应答，一条不能丢",
           "requests and replies", "请求与应答", TUI_GUIDE_LEAF(TUI_GUIDE_L_TCP)},
          {"web requests, or pushes to browsers (HTTP, WebSocket, SSE)",
           "Web 请求，或推送给浏览器（HTTP、WebSocket、SSE）", "web", "Web", TUI_GUIDE_LEAF(TUI_GUIDE_L_HTTP)},
          {"datagrams: a late one is worth nothing (game state, metrics)",
           "数据报：晚到的就没用了（游戏状态、指标）", "datagrams", "数据报", TUI_GUIDE_LEAF(TUI_GUIDE_L_UDP)}},
         3},
    [TUI_GUIDE_Q_DECOUPLE_LOCAL] =
        {1,
         "Do you need decoupling: messages that wait in a queue for a reader not running "
         "yet, or a broadcast to services that come and go?",
         "是否需要解耦？消息在队列里等尚未运行的读者，或广播给随时上下线的服务？",
         "000",
         "Message queues, use: high concurrency, decoupling, messages that must "
         "persist or be broadcast across services",
         "消息队列，适用场景：高并发、解耦、需要消息持久化或跨服务广播",
         1,
         {{"yes, through a queue", "是，经由队列", "decoupled", "解耦", TUI_GUIDE_LEAF(TUI_GUIDE_L_MQ)},
          {"no, the processes talk directly", "否，进程之间直接通信", "direct", "直接通信",
           TUI_GUIDE_Q_LATENCY}},
         2},
    [TUI_GUIDE_Q_LATENCY] =
        {2,
         "What latency do you need?",
         "对延迟的要求？",
         "000",
         "SharedArrayBuffer: fastest, between threads; pipe and fork channel: fast; Unix socket: "
         "very fast",
         "SharedArrayBuffer：最快，线程间共享；管道、IPC 通道 (fork)：快；Unix Socket：很快",
         0,
         {{"under a microsecond: threads share the data itself", "一微秒以内：线程之间直接共享数据",
           "under 1 µs", "一微秒以内", TUI_GUIDE_LEAF(TUI_GUIDE_L_SHM)},
          {"tens of microseconds a message are fine", "每条消息几十微秒即可", "tens of µs",
           "几十微秒", TUI_GUIDE_Q_WHO},
          {"many small messages a second: their total cost matters most",
           "每秒大量小消息：总开销最要紧", "many small messages", "大量小消息", TUI_GUIDE_LEAF(TUI_GUIDE_L_PATTERNS)},
          {"seconds are fine: a file on disk that other tools read too",
           "几秒也行：写进文件，别的工具也能读", "seconds, a file", "几秒，文件", TUI_GUIDE_LEAF(TUI_GUIDE_L_FS)}},
         4},
    [TUI_GUIDE_Q_WHO] = {-1,
               "Who starts whom?",
               "进程之间是什么关系？",
               "000",
               "Unix socket, use: many processes on one machine, talking with non-Node processes",
               "Unix Socket，适用场景：同机多进程通信、与非 Node 进程互通",
               0,
               {{"our process starts the other: parent and child", "我们的进程启动对方：父子进程",
                 "parent and child", "父子进程", TUI_GUIDE_Q_CHILD},
                {"unrelated processes, maybe not node (Python, Go)",
                 "互不相关的进程，也许不是 Node（Python、Go）", "unrelated processes", "无关进程",
                 TUI_GUIDE_LEAF(TUI_GUIDE_L_UNIX)},
                {"several workers serving one port", "多个工作进程共享一个端口", "one shared port",
                 "共享端口", TUI_GUIDE_LEAF(TUI_GUIDE_L_CLUSTER)}},
               3},
    [TUI_GUIDE_Q_CHILD] = {-1,
                 "What is the child?",
                 "子进程是什么？",
                 "000",
                 "IPC channel (fork): parent and child; pipe: streaming data",
                 "IPC 通道 (fork)：父子进程；管道 (pipe)：流式数据",
                 0,
                 {{"another program (grep, python) fed a stream of bytes",
                   "外部程序（grep、python），喂给它字节流", "a program fed bytes", "外部程序",
                   TUI_GUIDE_LEAF(TUI_GUIDE_L_PIPE)},
                  {"a node child exchanging objects, one to one", "Node 子进程，一对一收发对象",
                   "a node child", "Node 子进程", TUI_GUIDE_LEAF(TUI_GUIDE_L_FORK)},
                  {"CPU-heavy tasks spread over the cores", "把 CPU 密集任务分到多个核",
                   "CPU-heavy tasks", "CPU 密集任务", TUI_GUIDE_LEAF(TUI_GUIDE_L_POOL)}},
                 3},
};

const tui_guide_leaf_t tui_guide_leaves[TUI_GUIDE_L_COUNT] = {
    [TUI_GUIDE_L_MQ] =
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
    [TUI_GUIDE_L_TCP] = {"tcp",
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
    [TUI_GUIDE_L_HTTP] =
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
    [TUI_GUIDE_L_UDP] = {"udp",
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
    [TUI_GUIDE_L_SHM] = {"shared-memory",
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
    [TUI_GUIDE_L_PATTERNS] =
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
    [TUI_GUIDE_L_FS] =
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
    [TUI_GUIDE_L_UNIX] = {"unix-socket",
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
    [TUI_GUIDE_L_CLUSTER] =
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
    [TUI_GUIDE_L_PIPE] = {"stdio-pipe",
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
    [TUI_GUIDE_L_FORK] = {"fork-ipc",
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
    [TUI_GUIDE_L_POOL] = {"worker-pool",
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
    return TUI_GUIDE_L_COUNT;
}

const char *tui_compare_guide_leaf_demo(int i)
{
    return i >= 0 && i < TUI_GUIDE_L_COUNT ? tui_guide_leaves[i].demo : NULL;
}
