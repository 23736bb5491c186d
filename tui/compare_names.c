/* compare_names: the compare table's mechanisms and the script's reasons,
 * in the screen's language. See compare_names.h.
 */
#include "compare_names.h"

#include <string.h>

#include "i18n.h"

/* The mechanisms as the table names them, in its order; the articles' rows
 * beside them are compare_articles'. */
static const struct {
    const char *mech, *en, *zh;
} mechs[] = {
    {"pipe", "pipe", "管道"},
    {"fork-channel", "fork channel", "fork 通道"},
    {"unix-socket", "Unix socket", "Unix 套接字"},
    {"fifo", "FIFO", "命名管道 FIFO"},
    {"tcp", "TCP loopback", "TCP 回环"},
    {"udp", "UDP loopback", "UDP 回环"},
    {"http", "HTTP", "HTTP 长连接"},
    {"websocket", "WebSocket", "WebSocket"},
    {"posix-mq", "POSIX mq", "POSIX 队列"},
    {"redis-pubsub", "Redis pub/sub", "Redis 订阅"},
    {"shm-spin", "shm spinning", "共享内存自旋"},
    {"shm-futex", "shm futex", "共享内存 futex"},
    {"fs-watch-inotify", "watch inotify", "监视 inotify"},
    {"fs-watch-poll", "watch polling", "轮询监视"},
    {"start-spawn", "start spawn", "启动 spawn"},
    {"start-execfile", "start execFile", "启动 execFile"},
    {"start-exec", "start exec", "启动 exec"},
    {"start-fork", "start fork", "启动 fork"},
};
#define NMECHS (int)(sizeof mechs / sizeof mechs[0])

int tui_compare_mech_count(void)
{
    return NMECHS;
}

const char *tui_compare_mech_id(int i)
{
    return i >= 0 && i < NMECHS ? mechs[i].mech : NULL;
}

const char *tui_compare_mech_name(const char *mech)
{
    for (int i = 0; i < NMECHS; i++)
        if (strcmp(mechs[i].mech, mech) == 0)
            return tui_i18n_lang() == TUI_LANG_ZH ? mechs[i].zh : mechs[i].en;
    return mech;
}

/* The reasons the script gives, in Chinese when the screen is. */
const char *tui_compare_reason(const char *why)
{
    static const char *const zh[][2] = {
        {"node is not installed", "没有安装 node"},
        {"redis-server is not installed", "没有安装 redis-server"},
        {"npm is not installed", "没有安装 npm"},
        {"node has no POSIX message queue API", "node 没有 POSIX 消息队列的 API"},
        {"the bench has no node side for SharedArrayBuffer yet", "bench 里还没有 SharedArrayBuffer 的 node 一侧"},
        {"the private redis-server did not start", "私有的 redis-server 没有启动"},
        {"npm could not install", "npm 装不上 node 的 redis 包"},
        {"no WebSocket client in node", "这个版本的 node 没有 WebSocket 客户端（node 22 自带，20.10 起要加 --experimental-websocket）"},
        {"the fs-watch demo measures in C", "fs-watch 演示用 C 测量，用的是 libuv 的 uv_fs_event 与 uv_fs_poll，fs.watch 与 fs.watchFile 就建在它们之上"},
        {"in C, execFile is fork + execve", "在 C 里 execFile 就是 fork + execve：见 spawn 那一行"},
    };
    if (tui_i18n_lang() != TUI_LANG_ZH)
        return why;
    for (size_t i = 0; i < sizeof zh / sizeof zh[0]; i++)
        if (strncmp(why, zh[i][0], strlen(zh[i][0])) == 0)
            return zh[i][1];
    return why;
}
