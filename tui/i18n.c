/* i18n: the two tables of the dashboard's words. See i18n.h. */
#include "i18n.h"

#include <stdlib.h>
#include <string.h>

static tui_lang_t current = TUI_LANG_EN;

static const char *const en[TUI_S_COUNT] = {
    [TUI_S_APP_TITLE] = "ipcscope: inter-process communication, live",
    [TUI_S_MECHANISMS] = "Mechanisms",
    [TUI_S_BUILT] = "built",
    [TUI_S_PLANNED] = "planned",
    [TUI_S_PLANNED_LONG] = "Planned: this demo is not built yet.",
    [TUI_S_ENTER_LAUNCHES] = "Enter launches it, S step by step.",
    [TUI_S_ARTICLES] = "The articles",
    [TUI_S_TABLE_ROWS] = "In the articles' comparison tables",
    [TUI_S_NO_ROW] = "(not in the articles' comparison tables)",
    [TUI_S_PROCESSES] = "Processes",
    [TUI_S_FLOW] = "Message flow",
    [TUI_S_LATENCY] = "Latency",
    [TUI_S_NARRATION] = "Narration",
    [TUI_S_LESSON] = "Lesson",
    [TUI_S_RUNNING] = "RUNNING",
    [TUI_S_PAUSED] = "PAUSED",
    [TUI_S_STEPPING] = "STEP",
    [TUI_S_ENDED] = "ENDED",
    [TUI_S_STOPPING] = "STOPPING",
    [TUI_S_RATE] = "rate",
    [TUI_S_RATE_MAX] = "max",
    [TUI_S_SIZE] = "size",
    [TUI_S_EXITED_CODE] = "exited",
    [TUI_S_KILLED_BY] = "killed",
    [TUI_S_EXITED_AFTER] = "exited %d after %s",
    [TUI_S_NO_PROCESSES] = "(no process of the demo is running)",
    [TUI_S_NO_MESSAGES] = "(no message yet)",
    [TUI_S_NO_LATENCY] = "(no latency figures yet)",
    [TUI_S_ONE_WAY] = "(one way: no round trip here)",
    [TUI_S_NO_LOG] = "(nothing said yet)",
    [TUI_S_NO_LESSON] = "There is no lesson for this demo yet",
    [TUI_S_MSGS_S] = "msg/s",
    [TUI_S_LAST_60S] = "60s",
    [TUI_S_SAMPLED] = "sampled",
    [TUI_S_WHOLE_RUN] = "since start",
    [TUI_S_SINCE_CHANGE] = "since rate/size changed",
    [TUI_S_SINCE_STEP] = "since step %u",
    [TUI_S_REJECTED] = "%llu rejected (failed checks)",
    [TUI_S_ONE_IN_N] = "1 in %.0f shown",
    [TUI_S_EVENTS_LOST] = "events lost",
    [TUI_S_LOSS] = "%llu sent  %llu received  %llu lost (%.0f%%)",
    [TUI_S_FOLDED] = "%llu msgs in %llu ms",
    [TUI_S_FOLDED_SHORT] = "%llu msgs",
    [TUI_S_PROC_STARTED] = "started",
    [TUI_S_PROC_READY] = "is ready",
    [TUI_S_PROC_EXITED] = "exited with code",
    [TUI_S_PROC_KILLED] = "was killed by %s",
    [TUI_S_PROC_EXITED_AFTER] = "exited with code %d after %s (it caught the signal and ended itself)",
    [TUI_S_STEP_LINE] = "-- step %d: %s",
    [TUI_S_CHAN_OPENED] = "opened channel %s",
    [TUI_S_CHAN_CLOSED] = "closed channel %s",
    [TUI_S_LANG_AT_RESTART] = "English narration after a restart (r)",
    [TUI_S_ERROR] = "ERROR",
    [TUI_S_DONE] = "done",
    [TUI_S_HELP_TITLE] = "Keys",
    [TUI_S_HELP_CLOSE] = "any key closes this help",
    [TUI_S_K_SELECT] = "select",
    [TUI_S_K_LAUNCH] = "launch",
    [TUI_S_K_LESSON_MODE] = "step by step",
    [TUI_S_K_LANG] = "中文",
    [TUI_S_K_HELP] = "help",
    [TUI_S_K_QUIT] = "quit",
    [TUI_S_K_PAUSE] = "pause",
    [TUI_S_K_RESUME] = "resume",
    [TUI_S_K_STEP] = "step",
    [TUI_S_K_RATE] = "rate",
    [TUI_S_K_SIZE] = "size",
    [TUI_S_K_PANE] = "pane",
    [TUI_S_K_KILL] = "kill",
    [TUI_S_K_RESTART] = "restart",
    [TUI_S_K_LESSON] = "lesson",
    [TUI_S_K_LOG] = "log",
    [TUI_S_K_BACK] = "back",
    [TUI_S_K_SCROLL] = "scroll",
    [TUI_S_K_ZOOM] = "zoom",
    [TUI_S_K_FAULT] = "fault",
    [TUI_S_H_SPACE] = "pause or resume the demo",
    [TUI_S_H_STEP] = "step mode: pause, then one message per press",
    [TUI_S_H_RATE] = "faster or slower (messages per second)",
    [TUI_S_H_SIZE] = "smaller or bigger messages",
    [TUI_S_H_TAB] = "move between the four panes",
    [TUI_S_H_ARROWS] = "scroll the pane, or select a process",
    [TUI_S_H_KILL] = "SIGTERM / SIGKILL to the selected process",
    [TUI_S_H_RESTART] = "restart the demo",
    [TUI_S_H_STEP_BACK] = "a replay: back to before the last step, s plays it again",
    [TUI_S_BACK_LIVE] = "b goes back in a replay only; r restarts",
    [TUI_S_BACK_ENDED] = "the replay has ended: r plays it again",
    [TUI_S_BACK_TO] = "back: before step %d",
    [TUI_S_H_LESSON] = "show the lesson or the narration",
    [TUI_S_H_LANG] = "English / Chinese",
    [TUI_S_H_ZOOM] = "zoom the selected pane",
    [TUI_S_H_FAULT] = "inject one of the demo's faults; each press the next kind",
    [TUI_S_H_HELP] = "this help",
    [TUI_S_H_QUIT] = "back to the menu, then quit",
    [TUI_S_H_ENTER] = "launch the selected demo",
    [TUI_S_H_LESSON_MODE] = "launch it in lesson mode: it waits before step 1, s goes on",
    [TUI_S_SENT_SIGNAL] = "dashboard: sent",
    [TUI_S_SENT_FAULT] = "dashboard: fault '%s' asked for (f again: '%s')",
    [TUI_S_NO_FAULTS] = "dashboard: this demo takes no faults from the dashboard",
    [TUI_S_LAUNCH_FAILED] = "could not start the demo",
    [TUI_S_TOO_SMALL] = "Terminal too small",
    [TUI_S_H_COMPARE] = "the compare screen: the articles' tables measured here",
};

static const char *const zh[TUI_S_COUNT] = {
    [TUI_S_APP_TITLE] = "ipcscope：进程间通信，实时观察",
    [TUI_S_MECHANISMS] = "通信机制",
    [TUI_S_BUILT] = "可运行",
    [TUI_S_PLANNED] = "计划中",
    [TUI_S_PLANNED_LONG] = "计划中：这个演示还没有实现。",
    [TUI_S_ENTER_LAUNCHES] = "按 Enter 启动，按 S 逐步启动。",
    [TUI_S_ARTICLES] = "来源文章",
    [TUI_S_TABLE_ROWS] = "文章中的对比",
    [TUI_S_NO_ROW] = "（文章的对比表中没有这一项）",
    [TUI_S_PROCESSES] = "进程",
    [TUI_S_FLOW] = "消息流",
    [TUI_S_LATENCY] = "延迟",
    [TUI_S_NARRATION] = "旁白",
    [TUI_S_LESSON] = "课程",
    [TUI_S_RUNNING] = "运行中",
    [TUI_S_PAUSED] = "已暂停",
    [TUI_S_STEPPING] = "单步",
    [TUI_S_ENDED] = "已结束",
    [TUI_S_STOPPING] = "正在停止",
    [TUI_S_RATE] = "速率",
    [TUI_S_RATE_MAX] = "最快",
    [TUI_S_SIZE] = "大小",
    [TUI_S_EXITED_CODE] = "已退出",
    [TUI_S_KILLED_BY] = "被杀死",
    [TUI_S_EXITED_AFTER] = "收到 %2$s 后退出 %1$d",
    [TUI_S_NO_PROCESSES] = "（演示没有正在运行的进程）",
    [TUI_S_NO_MESSAGES] = "（还没有消息）",
    [TUI_S_NO_LATENCY] = "（还没有延迟数据）",
    [TUI_S_ONE_WAY] = "（单向：这里没有往返）",
    [TUI_S_NO_LOG] = "（还没有旁白）",
    [TUI_S_NO_LESSON] = "这个演示还没有课程",
    [TUI_S_MSGS_S] = "条/秒",
    [TUI_S_LAST_60S] = "60秒",
    [TUI_S_SAMPLED] = "抽样",
    [TUI_S_WHOLE_RUN] = "自开始",
    [TUI_S_SINCE_CHANGE] = "自速率或大小改变",
    [TUI_S_SINCE_STEP] = "自第 %u 步",
    [TUI_S_REJECTED] = "%llu 条未通过校验，被拒收",
    [TUI_S_ONE_IN_N] = "每 %.0f 条显示 1 条",
    [TUI_S_EVENTS_LOST] = "丢失事件",
    [TUI_S_LOSS] = "发出 %llu  收到 %llu  丢失 %llu (%.0f%%)",
    [TUI_S_FOLDED] = "%llu 条，%llu 毫秒内",
    [TUI_S_FOLDED_SHORT] = "%llu 条",
    [TUI_S_PROC_STARTED] = "已启动",
    [TUI_S_PROC_READY] = "已就绪",
    [TUI_S_PROC_EXITED] = "退出，退出码",
    [TUI_S_PROC_KILLED] = "被 %s 杀死",
    [TUI_S_PROC_EXITED_AFTER] = "收到 %2$s 后自行退出（它捕获了这个信号），退出码 %1$d",
    [TUI_S_STEP_LINE] = "-- 第 %d 步：%s",
    [TUI_S_CHAN_OPENED] = "打开通道 %s",
    [TUI_S_CHAN_CLOSED] = "关闭通道 %s",
    [TUI_S_LANG_AT_RESTART] = "演示程序重启（r）后才改用中文旁白",
    [TUI_S_ERROR] = "错误",
    [TUI_S_DONE] = "完成",
    [TUI_S_HELP_TITLE] = "按键",
    [TUI_S_HELP_CLOSE] = "按任意键关闭帮助",
    [TUI_S_K_SELECT] = "选择",
    [TUI_S_K_LAUNCH] = "启动",
    [TUI_S_K_LESSON_MODE] = "逐步",
    [TUI_S_K_LANG] = "English",
    [TUI_S_K_HELP] = "帮助",
    [TUI_S_K_QUIT] = "退出",
    [TUI_S_K_PAUSE] = "暂停",
    [TUI_S_K_RESUME] = "继续",
    [TUI_S_K_STEP] = "单步",
    [TUI_S_K_RATE] = "速率",
    [TUI_S_K_SIZE] = "大小",
    [TUI_S_K_PANE] = "窗格",
    [TUI_S_K_KILL] = "杀死",
    [TUI_S_K_RESTART] = "重启",
    [TUI_S_K_LESSON] = "课程",
    [TUI_S_K_LOG] = "旁白",
    [TUI_S_K_BACK] = "返回",
    [TUI_S_K_SCROLL] = "滚动",
    [TUI_S_K_ZOOM] = "放大",
    [TUI_S_K_FAULT] = "故障",
    [TUI_S_H_SPACE] = "暂停或继续演示",
    [TUI_S_H_STEP] = "单步模式：先暂停，之后每按一次发一条消息",
    [TUI_S_H_RATE] = "更快或更慢（每秒消息数）",
    [TUI_S_H_SIZE] = "更小或更大的消息",
    [TUI_S_H_TAB] = "在四个窗格之间切换",
    [TUI_S_H_ARROWS] = "滚动窗格，或选择进程",
    [TUI_S_H_KILL] = "向选中的进程发送 SIGTERM / SIGKILL",
    [TUI_S_H_RESTART] = "重新启动演示",
    [TUI_S_H_STEP_BACK] = "回放时：退回到上一步之前，按 s 重放这一步",
    [TUI_S_BACK_LIVE] = "b 只在回放中后退；r 重启",
    [TUI_S_BACK_ENDED] = "回放已结束：按 r 从头再放",
    [TUI_S_BACK_TO] = "已后退：第 %d 步之前",
    [TUI_S_H_LESSON] = "显示课程或旁白",
    [TUI_S_H_LANG] = "英文 / 中文",
    [TUI_S_H_ZOOM] = "放大选中的窗格",
    [TUI_S_H_FAULT] = "注入演示的一种故障；每按一次换下一种",
    [TUI_S_H_HELP] = "本帮助",
    [TUI_S_H_QUIT] = "返回菜单，再按一次退出",
    [TUI_S_H_ENTER] = "启动选中的演示",
    [TUI_S_H_LESSON_MODE] = "以课程模式启动：在第 1 步之前等待，按 s 继续",
    [TUI_S_SENT_SIGNAL] = "仪表盘：已发送",
    [TUI_S_SENT_FAULT] = "仪表盘：已要求故障 '%s'（再按 f：'%s'）",
    [TUI_S_NO_FAULTS] = "仪表盘：这个演示不接受来自仪表盘的故障",
    [TUI_S_LAUNCH_FAILED] = "无法启动演示",
    [TUI_S_TOO_SMALL] = "终端太小",
    [TUI_S_H_COMPARE] = "对比页：在本机实测文章里的对比表",
};

void tui_i18n_set(tui_lang_t lang)
{
    current = lang;
}

tui_lang_t tui_i18n_lang(void)
{
    return current;
}

int tui_i18n_parse(const char *s)
{
    if (strcmp(s, "en") == 0)
        return TUI_LANG_EN;
    if (strcmp(s, "zh") == 0)
        return TUI_LANG_ZH;
    return -1;
}

tui_lang_t tui_i18n_from_env(void)
{
    static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strncmp(v, "zh", 2) == 0 ? TUI_LANG_ZH : TUI_LANG_EN;
    }
    return TUI_LANG_EN;
}

const char *tui_i18n(tui_str_t s)
{
    if ((int)s < 0 || s >= TUI_S_COUNT)
        return "";
    const char *t = (current == TUI_LANG_ZH ? zh : en)[s];
    return t ? t : en[s] ? en[s] : "";
}
