/* catalogue: the table of mechanisms and where their programs and lessons
 * live. See catalogue.h.
 *
 * Each mechanism names the rows of the articles' comparison tables it
 * stands for (000's and 001's, by the article's own name for the row);
 * compare_articles holds their cells. A mechanism their tables do not list
 * says so rather than inventing a row.
 */
#include "catalogue.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const tui_mech_t table[] = {
    {"fork-ipc",
     "child_process.fork(): a parent and child exchange JSON over a socketpair",
     "child_process.fork()：父子进程通过 socketpair 交换 JSON 消息",
     "000 001 002 003 004",
     {{"000", "IPC 通道 (fork)"},
      {"001", "IPC（fork）"}},
     2},
    {"stdio-pipe",
     "spawn/exec: a child's stdin and stdout as pipes, with backpressure",
     "spawn/exec：子进程的标准输入输出就是管道，带背压",
     "000 002 003 004",
     {{"000", "管道 (pipe)"}},
     1},
    {"cluster",
     "cluster.fork(): master and workers, broadcast, relay, one shared port",
     "cluster.fork()：主进程与工作进程，广播、转发、共享端口",
     "001 003",
     {{"001", "cluster IPC"}},
     1},
    {"shared-memory",
     "SharedArrayBuffer + Atomics: shared memory, a lost update and its fix",
     "SharedArrayBuffer + Atomics：共享内存，丢失更新与原子修复",
     "000 002 004",
     {{"000", "SharedArrayBuffer"}},
     1},
    {"unix-socket",
     "net on a socket path: Unix domain sockets, FIFOs, peer credentials",
     "net 监听套接字路径：Unix 域套接字、命名管道、对端凭证",
     "000 001 003",
     {{"000", "Unix Socket"},
      {"001", "UDS / Named Pipe"}},
     2},
    {"tcp",
     "net over TCP: an echo server and a broadcast chat, across hosts",
     "基于 TCP 的 net：回显服务器与广播聊天，可跨主机",
     "000 001 002",
     {{"000", "TCP/HTTP"},
      {"001", "TCP/UDP"}},
     2},
    {"udp",
     "dgram: datagrams keep their boundaries, and may be lost",
     "dgram：数据报保留消息边界，也可能丢失",
     "001 002",
     {{"001", "TCP/UDP"}},
     1},
    {"http",
     "http.createServer and http.get: requests parsed as Node parses them",
     "http.createServer 与 http.get：按 Node 的方式解析请求",
     "000",
     {{"000", "TCP/HTTP"}},
     1},
    {"message-queue",
     "Redis pub/sub, streams and POSIX queues: decoupled, persistent, retried",
     "Redis 发布订阅、Streams 与 POSIX 消息队列：解耦、持久、重试",
     "000 001 002 004",
     {{"000", "消息队列"},
      {"001", "MQ（Redis / RabbitMQ）"}},
     2},
    {"fs-watch",
     "fs.watch on a JSON file: inotify, coalesced and missed events",
     "fs.watch 监视 JSON 文件：inotify，合并与丢失的事件",
     "001",
     {{"001", "文件系统 watch"}},
     1},
    {"worker-pool",
     "worker_threads: a pool of threads for CPU-heavy work",
     "worker_threads：处理 CPU 密集任务的线程池",
     "004",
     {{0}},
     0},
    {"patterns",
     "batching, serialization cost, size limits, validation, timeouts, measured",
     "批处理、序列化开销、大小限制、校验、超时：逐项实测",
     "004",
     {{0}},
     0},
};
#define NTABLE ((int)(sizeof table / sizeof table[0]))

static char bindir[PATH_MAX];
static char demos_dir[PATH_MAX];
static struct {
    int asked;
    char title[128];
} titles[NTABLE];

int tui_catalogue_count(void)
{
    return NTABLE;
}

const tui_mech_t *tui_catalogue_get(int i)
{
    return i >= 0 && i < NTABLE ? &table[i] : NULL;
}

const tui_mech_t *tui_catalogue_find(const char *name)
{
    for (int i = 0; i < NTABLE; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

const char *tui_catalogue_summary(const tui_mech_t *m, tui_lang_t lang)
{
    return lang == TUI_LANG_ZH ? m->summary_zh : m->summary_en;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

void tui_catalogue_init(const char *argv0)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
    } else if (!argv0 || !realpath(argv0, exe)) {
        snprintf(exe, sizeof exe, "./ipcscope");
    }
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(bindir, sizeof bindir, "%s", exe);

    const char *env = getenv("IPCSCOPE_DEMOS");
    char cand[PATH_MAX + 32];
    demos_dir[0] = '\0';
    if (env && *env) {
        snprintf(demos_dir, sizeof demos_dir, "%s", env);
        return;
    }
    snprintf(cand, sizeof cand, "%s/../demos", bindir);
    if (is_dir(cand) && realpath(cand, demos_dir))
        return;
    snprintf(cand, sizeof cand, "%s/../libexec/ipcscope", bindir);
    if (is_dir(cand) && realpath(cand, demos_dir))
        return;
    demos_dir[0] = '\0';
}

const char *tui_catalogue_demos_dir(void)
{
    return demos_dir;
}

static struct {
    const tui_mech_t *mech;
    char path[PATH_MAX];
} program;

void tui_catalogue_set_program(const tui_mech_t *m, const char *path)
{
    program.mech = path ? m : NULL;
    snprintf(program.path, sizeof program.path, "%s", path ? path : "");
}

int tui_catalogue_replaced(const tui_mech_t *m)
{
    return m && program.mech == m;
}

int tui_catalogue_path(const tui_mech_t *m, char *out, size_t n)
{
    if (program.mech == m) {
        int len = snprintf(out, n, "%s", program.path);
        return len > 0 && (size_t)len < n ? 0 : -ENAMETOOLONG;
    }
    if (!demos_dir[0])
        return -ENOENT;
    int len = snprintf(out, n, "%s/%s", demos_dir, m->name);
    if (len < 0 || (size_t)len >= n)
        return -ENAMETOOLONG;
    struct stat st;
    if (stat(out, &st) < 0 || !S_ISREG(st.st_mode) || access(out, X_OK) < 0)
        return -ENOENT;
    return 0;
}

static int try_lesson(const char *dir, const char *name, const char *suffix, char *out,
                      size_t n)
{
    int len = snprintf(out, n, "%s/%s%s", dir, name, suffix);
    return len > 0 && (size_t)len < n && access(out, R_OK) == 0;
}

int tui_catalogue_lesson(const tui_mech_t *m, tui_lang_t lang, char *out, size_t n)
{
    char dirs[3][PATH_MAX + 64];
    int nd = 0;
    const char *env = getenv("IPCSCOPE_LESSONS");
    if (env && *env)
        snprintf(dirs[nd++], sizeof dirs[0], "%s", env);
    snprintf(dirs[nd++], sizeof dirs[0], "%s/../../docs/lessons", bindir);
    snprintf(dirs[nd++], sizeof dirs[0], "%s/../share/ipcscope/lessons", bindir);
    for (int i = 0; i < nd; i++) {
        if (lang == TUI_LANG_ZH && try_lesson(dirs[i], m->name, ".zh.md", out, n))
            return 0;
        if (try_lesson(dirs[i], m->name, ".md", out, n))
            return 0;
    }
    return -ENOENT;
}

/* Runs `path --describe` with its output on a pipe, for at most a second. */
static void describe(const char *path, char *title, size_t n)
{
    int p[2];
    title[0] = '\0';
    if (pipe2(p, O_CLOEXEC) < 0)
        return;
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return;
    }
    if (pid == 0) {
        dup2(p[1], STDOUT_FILENO);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            dup2(devnull, STDERR_FILENO);
        }
        execl(path, path, "--describe", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char buf[8192];
    size_t off = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long left = 1000 - ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
        struct pollfd pf = {p[0], POLLIN, 0};
        if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
            break;
        ssize_t r = read(p[0], buf + off, sizeof buf - 1 - off);
        if (r <= 0)
            break;
        off += (size_t)r;
        if (off == sizeof buf - 1)
            break;
    }
    buf[off] = '\0';
    close(p[0]);
    kill(pid, SIGKILL); /* harmless when it has exited already */
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    cJSON *o = cJSON_Parse(buf);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "title");
    if (cJSON_IsString(t))
        snprintf(title, n, "%s", t->valuestring);
    cJSON_Delete(o);
}

const char *tui_catalogue_title(const tui_mech_t *m)
{
    int i = (int)(m - table);
    if (i < 0 || i >= NTABLE)
        return "";
    if (!titles[i].asked) {
        char path[PATH_MAX];
        titles[i].asked = 1;
        if (tui_catalogue_path(m, path, sizeof path) == 0)
            describe(path, titles[i].title, sizeof titles[i].title);
    }
    return titles[i].title;
}
