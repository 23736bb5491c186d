/* fakedemo: a stand-in demo for the dashboard's tests, shaped like fork-ipc.
 *
 *   1. The parent makes a socketpair(AF_UNIX, SOCK_STREAM) and forks itself
 *      (lib/spawn) as the child with its end at fd 3 and the event pipe passed
 *      on at fd 4 (IPCSCOPE_EVENT_FD=4), in the same process group.
 *   2. The parent sends {"type":"ping"} at --rate per second; the child answers
 *      each with {"type":"pong"}. Both report msg events; the parent reports
 *      the latency of the channel in a stats event every second.
 *   3. pause/resume come through lib/demo's pacer; "step" while paused sends
 *      exactly one ping. --count 0 means "until told to stop".
 *   4. quit, SIGINT or SIGTERM: the parent disconnects, the child reads EOF and
 *      exits 0, the parent reports the child's exit and says bye.
 *
 * --zh (or IPCSCOPE_FAKE_ZH=1) makes the roles and summaries Chinese.
 * IPCSCOPE_FAKE_REPLAY=FILE replays a recorded event stream instead, line by
 * line, and then waits to be told to quit (the dashboard's CJK test).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channel.h"
#include "demo.h"
#include "events.h"
#include "spawn.h"
#include "timing.h"

static const scope_demo_info_t info = {
    "fork-ipc", "fake fork-ipc for the dashboard's tests",
    "a parent and a child ping-pong JSON lines over a socketpair", "000 001 002 003 004",
    "IPC 通道 (fork) | 快 | ❌ | 低 | 父子进程", NULL};

static const scope_demo_option_t options[] = {
    {"child", NULL, "run as the child (internal)"},
    {"zh", NULL, "Chinese roles and summaries"},
    {NULL, NULL, NULL},
};

static scope_demo_t demo;
static scope_channel_t ch;
static scope_child_t child;
static scope_pacer_t pacer;
static uv_timer_t stats_timer;
static scope_hist_t hist;
static scope_rate_t rate;
static int is_child, zh, child_pid, sent, quitting;
static char *self_path;

static const char *role_parent(void)
{
    return zh ? "父进程" : "parent";
}

static const char *role_child(void)
{
    return zh ? "子进程" : "child";
}

static int on_option(scope_demo_t *d, const char *name, const char *value)
{
    (void)d;
    (void)value;
    if (strcmp(name, "child") == 0)
        is_child = 1;
    else if (strcmp(name, "zh") == 0)
        zh = 1;
    return 0;
}

static cJSON *make_msg(const char *type, double n, uint64_t t0)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", type);
    cJSON_AddNumberToObject(m, "n", n);
    cJSON_AddNumberToObject(m, "t0", (double)t0);
    cJSON_AddNumberToObject(m, "t1", (double)scope_time_now_ns());
    size_t pad = demo.size > 64 ? demo.size - 64 : 1;
    char *p = malloc(pad + 1);
    if (p) {
        memset(p, 'x', pad);
        p[pad] = '\0';
        cJSON_AddStringToObject(m, "pad", p);
        free(p);
    }
    return m;
}

static double num(const cJSON *m, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, name);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* ---- child -------------------------------------------------------------- */

static void child_on_message(scope_channel_t *c, cJSON *msg, int fd, const char *type)
{
    (void)type;
    if (fd >= 0)
        close(fd);
    uint64_t now = scope_time_now_ns();
    double n = num(msg, "n");
    uint64_t t1 = (uint64_t)num(msg, "t1");
    char summary[64];
    snprintf(summary, sizeof summary, zh ? "你好 ping #%.0f" : "ping #%.0f", n);
    scope_events_msg("recv", "ipc", SCOPE_PID(getppid()), SCOPE_PID(getpid()), (uint64_t)n,
                     demo.size, summary, now > t1 ? now - t1 : 0);
    cJSON *r = make_msg("pong", n, (uint64_t)num(msg, "t0"));
    int bytes = scope_channel_send(c, r);
    cJSON_Delete(r);
    snprintf(summary, sizeof summary, zh ? "回复 pong #%.0f" : "pong #%.0f", n);
    scope_events_msg("send", "ipc", SCOPE_PID(getpid()), SCOPE_PID(getppid()), (uint64_t)n,
                     bytes > 0 ? (size_t)bytes : 0, summary, 0);
}

static void child_on_disconnect(scope_channel_t *c, int status)
{
    (void)c;
    scope_events_log("read() on fd 3 returned %s: the parent is gone, exiting",
                     status == UV_EOF ? "EOF" : uv_strerror(status));
    scope_demo_stop(&demo);
}

static void child_on_quit(scope_demo_t *d)
{
    (void)d;
    scope_channel_close(&ch);
    scope_demo_stop(&demo);
}

static int run_child(void)
{
    demo.on_quit = child_on_quit;
    scope_demo_start(&demo, uv_default_loop(), role_child(), 0);
    ch.on_message = child_on_message;
    ch.on_disconnect = child_on_disconnect;
    int r = scope_channel_open(uv_default_loop(), &ch, 3);
    if (r < 0) {
        scope_events_error("channel", "fd 3: %s", uv_strerror(r));
        return 1;
    }
    scope_events_log("child: my end of the socketpair is fd 3");
    scope_events_proc("ready", getpid(), getppid(), role_child(), 0, 0);
    return scope_demo_run(&demo);
}

/* ---- parent ------------------------------------------------------------- */

static void send_ping(scope_pacer_t *p);
static void parent_on_quit(scope_demo_t *d);
static void on_stats(uv_timer_t *t);

static void next_ping(void)
{
    if (quitting || !ch.open || ch.disconnected)
        return;
    if (demo.count > 0 && sent >= demo.count)
        return;
    scope_pacer_next(&pacer, send_ping);
}

static void do_send(void)
{
    sent++;
    cJSON *m = make_msg("ping", sent, scope_time_now_ns());
    int bytes = scope_channel_send(&ch, m);
    cJSON_Delete(m);
    char summary[64];
    snprintf(summary, sizeof summary, zh ? "你好 ping #%d" : "ping #%d", sent);
    scope_events_msg("send", "ipc", SCOPE_PID(getpid()), SCOPE_PID(child_pid), (uint64_t)sent,
                     bytes > 0 ? (size_t)bytes : 0, summary, 0);
}

static void send_ping(scope_pacer_t *p)
{
    (void)p;
    do_send();
    next_ping();
}

static void parent_on_message(scope_channel_t *c, cJSON *msg, int fd, const char *type)
{
    (void)c;
    (void)type;
    if (fd >= 0)
        close(fd);
    uint64_t now = scope_time_now_ns();
    uint64_t t0 = (uint64_t)num(msg, "t0"), t1 = (uint64_t)num(msg, "t1");
    double n = num(msg, "n");
    if (now > t0)
        scope_hist_add(&hist, now - t0); /* the round trip */
    scope_rate_add(&rate, now, demo.size);
    char summary[64];
    snprintf(summary, sizeof summary, zh ? "回复 pong #%.0f" : "pong #%.0f", n);
    scope_events_msg("recv", "ipc", SCOPE_PID(child_pid), SCOPE_PID(getpid()), (uint64_t)n,
                     demo.size, summary, now > t1 ? now - t1 : 0);
    if (demo.count > 0 && n >= (double)demo.count)
        parent_on_quit(&demo); /* all answered: a recording ends here */
}

static void parent_on_disconnect(scope_channel_t *c, int status)
{
    (void)c;
    (void)status;
    scope_events_log("the socketpair to the child is closed");
}

static void on_stats(uv_timer_t *t)
{
    (void)t;
    if (hist.count)
        scope_events_stats("ipc", &hist, &rate, scope_time_now_ns());
}

static void on_child_exit(scope_child_t *c, int status, int sig)
{
    scope_events_proc("exit", c->pid, getpid(), role_child(), status, sig);
    scope_events_log(sig ? "waitpid(%d): the child was killed by signal %d"
                         : "waitpid(%d): the child exited with code %d",
                     (int)c->pid, sig ? sig : status);
    scope_spawn_shutdown(uv_default_loop());
    if (quitting) {
        scope_events_bye(NULL, zh ? "结束" : "done");
        uv_timer_stop(&stats_timer);
        uv_close((uv_handle_t *)&stats_timer, NULL);
        scope_demo_stop(&demo);
    }
}

static void parent_on_quit(scope_demo_t *d)
{
    (void)d;
    if (quitting)
        return;
    quitting = 1;
    on_stats(NULL); /* the last figures, even when the run was short */
    scope_pacer_close(&pacer);
    if (ch.open && !ch.closing)
        scope_channel_disconnect(&ch);
    if (!child.running) {
        scope_events_bye(NULL, zh ? "结束" : "done");
        uv_close((uv_handle_t *)&stats_timer, NULL);
        scope_demo_stop(&demo);
    }
}

static void parent_on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    if (strcmp(cmd, "step") == 0 && d->paused && ch.open && !ch.disconnected)
        do_send(); /* one message per step while paused */
    else if (strcmp(cmd, "rate") == 0 && pacer.armed && !d->paused)
        scope_pacer_next(&pacer, send_ping); /* re-arm with the new interval */
}

static void replay_quit(scope_demo_t *d)
{
    scope_demo_stop(d);
}

static int run_replay(const char *path)
{
    demo.on_quit = replay_quit;
    if (scope_demo_start(&demo, uv_default_loop(), role_parent(), 1) < 0)
        return 1;
    FILE *f = fopen(path, "r");
    if (!f) {
        scope_events_error("replay", "%s: %s", path, strerror(errno));
    } else {
        char line[SCOPE_EVENT_MAX + 2];
        int fd = scope_events_fd();
        while (fgets(line, sizeof line, f))
            if (fd >= 0 && write(fd, line, strlen(line)) < 0)
                break;
        fclose(f);
    }
    /* keep running, as a demo does, until quit or a signal */
    uv_ref((uv_handle_t *)&demo.sigterm);
    return scope_demo_run(&demo);
}

static int run_parent(void)
{
    uv_loop_t *loop = uv_default_loop();
    const char *replay = getenv("IPCSCOPE_FAKE_REPLAY");
    if (replay && *replay)
        return run_replay(replay);
    demo.on_quit = parent_on_quit;
    demo.on_control = parent_on_control;
    if (scope_demo_start(&demo, loop, role_parent(), 1) < 0)
        return 1;
    scope_hist_reset(&hist);
    scope_rate_init(&rate, 0);

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        scope_events_error("socketpair", "%s", strerror(errno));
        return 1;
    }
    scope_events_log("socketpair(AF_UNIX, SOCK_STREAM) -> fds %d and %d", sv[0], sv[1]);

    int evfd = scope_events_fd();
    scope_spawn_fd_t fds[] = {{sv[1], 3}, {evfd, 4}};
    char *argv[] = {self_path, "--child", zh ? "--zh" : NULL, NULL};
    const char *env[] = {"IPCSCOPE_EVENT_FD=4", NULL};
    const char *unset[] = {"IPCSCOPE_CONTROL_FD", NULL};
    scope_spawn_options_t o = {.file = self_path,
                               .argv = argv,
                               .setenv = env,
                               .unsetenv = unset,
                               .fds = fds,
                               .nfds = evfd >= 0 ? 2 : 1,
                               .death_signal = SIGTERM};
    int r = scope_spawn(loop, &child, &o, on_child_exit);
    close(sv[1]);
    if (r < 0) {
        scope_events_error("spawn", "%s", strerror(-r));
        return 1;
    }
    child_pid = child.pid;
    scope_events_chan("open", "ipc", "socketpair", SCOPE_PID(getpid()), SCOPE_PID(child_pid),
                      "parent fd, child fd 3");
    ch.on_message = parent_on_message;
    ch.on_disconnect = parent_on_disconnect;
    scope_channel_open(loop, &ch, sv[0]);
    scope_pacer_init(&demo, &pacer);
    uv_timer_init(loop, &stats_timer);
    uv_timer_start(&stats_timer, on_stats, 1000, 1000);
    uv_unref((uv_handle_t *)&stats_timer);
    next_ping();
    return scope_demo_run(&demo);
}

int main(int argc, char **argv)
{
    self_path = realpath("/proc/self/exe", NULL);
    if (!self_path)
        self_path = argv[0];
    demo.on_option = on_option;
    const char *zenv = getenv("IPCSCOPE_FAKE_ZH");
    zh = zenv && *zenv == '1';
    int r = scope_demo_parse(&demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    return is_child ? run_child() : run_parent();
}
