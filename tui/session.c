/* session: launching, supervising and stopping one demo. See session.h.
 *
 * How a demo is launched (docs/PROTOCOL.md):
 *
 *   1. pipe2(O_CLOEXEC) for events: a real pipe, whose writes of at most
 *      PIPE_BUF bytes are atomic, so the lines of all the demo's processes stay
 *      whole. Its write end lands at the child's fd 3, named in
 *      IPCSCOPE_EVENT_FD=3.
 *   2. A second pipe for control commands, read end at fd 4,
 *      IPCSCOPE_CONTROL_FD=4; a third for the demo's stdout and stderr (they
 *      must not write over the screen), and /dev/null as its stdin.
 *      IPCSCOPE_LANG names the screen's language, in which the demo narrates.
 *   3. scope_spawn (lib/spawn): a new process group, so the whole demo can be
 *      signalled at once, and PR_SET_PDEATHSIG(SIGTERM), so the demo winds
 *      down even when the dashboard is killed with SIGKILL.
 *   4. The dashboard closes its copies of the child's ends at once: the event
 *      pipe then reads EOF exactly when the demo's last process has exited.
 *
 * Stopping it: {"cmd":"quit"}, up to 2 s for it to exit, then SIGTERM to the
 * process group, then after 1 s more SIGKILL; STOPPED is reported only once
 * no process of the group is left.
 */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "i18n.h"
#include "text.h"
#include "timing.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* The process group of the demo running now, for tui_session_on_crash: a
 * signal handler can read nothing else safely. */
static volatile sig_atomic_t crash_pgid;

static void tell(tui_session_t *s, tui_session_news_t news)
{
    if (s->on_news)
        s->on_news(s, news);
}

void tui_session_signal_sent(tui_session_t *s, long pid, const char *signal)
{
    tui_model_signal_sent(s->model, pid, signal);
}

void tui_session_note(tui_session_t *s, const char *text)
{
    tui_model_note(s->model, scope_time_now_ns(), text);
    tell(s, TUI_SESSION_CHANGED);
}

/* ---- what the demo says ---------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    tui_session_t *s = h->data;
    *buf = uv_buf_init(s->readbuf, sizeof s->readbuf);
}

static void on_event(void *arg, cJSON *value, const char *line, size_t len)
{
    tui_session_t *s = arg;
    if (s->record) {
        fwrite(line, 1, len, s->record);
        fputc('\n', s->record);
    }
    if (tui_model_feed(s->model, value) == -EPROTONOSUPPORT && !s->warned_version) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(value, "v");
        char buf[160];
        snprintf(buf, sizeof buf,
                 "dashboard: refusing events of protocol version %g; this dashboard reads "
                 "version %d (docs/PROTOCOL.md)",
                 cJSON_IsNumber(v) ? v->valuedouble : 0.0, SCOPE_EVENTS_VERSION);
        tui_session_note(s, buf);
        s->warned_version = 1;
    }
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(value, "ev");
    if (cJSON_IsString(ev) && strcmp(ev->valuestring, "proc") == 0)
        tell(s, TUI_SESSION_PROC);
    if (cJSON_IsString(ev) && strcmp(ev->valuestring, "step") == 0)
        tell(s, TUI_SESSION_STEP);
}

static void on_bad_event(void *arg, const scope_frame_error_t *err)
{
    char buf[200];
    snprintf(buf, sizeof buf, "refused an event line: %s", err->reason);
    tui_session_note(arg, buf);
}

static void on_events_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    tui_session_t *s = stream->data;
    if (nread > 0) {
        scope_ndjson_feed(&s->decoder, buf->base, (size_t)nread);
    } else if (nread < 0) {
        /* EOF: the demo's last process has closed its end. */
        uv_close((uv_handle_t *)stream, NULL);
        s->events_open = 0;
    }
    if (nread != 0)
        tell(s, TUI_SESSION_CHANGED);
}

/* The demo's stdout and stderr, a line at a time, into the narration. */
static void on_output_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    tui_session_t *s = stream->data;
    for (ssize_t i = 0; i < nread; i++) {
        char c = buf->base[i];
        if (c == '\n' || s->outlen == sizeof s->outline - 1) {
            s->outline[s->outlen] = '\0';
            char line[600];
            snprintf(line, sizeof line, "output: %s", s->outline);
            if (s->outlen)
                tui_session_note(s, line);
            s->outlen = 0;
            if (c == '\n')
                continue;
        }
        s->outline[s->outlen++] = c;
    }
    if (nread < 0) {
        uv_close((uv_handle_t *)stream, NULL);
        s->output_open = 0;
    }
}

static int open_reader(tui_session_t *s, uv_pipe_t *p, int fd, uv_read_cb cb)
{
    int r = uv_pipe_init(s->loop, p, 0);
    if (r < 0)
        return r;
    p->data = s;
    if ((r = uv_pipe_open(p, fd)) < 0) {
        uv_close((uv_handle_t *)p, NULL);
        return r;
    }
    return uv_read_start((uv_stream_t *)p, on_alloc, cb);
}

static void close_pipes(tui_session_t *s)
{
    if (s->events_open) {
        uv_close((uv_handle_t *)&s->events, NULL);
        s->events_open = 0;
    }
    if (s->output_open) {
        uv_close((uv_handle_t *)&s->output, NULL);
        s->output_open = 0;
    }
    if (s->control_fd >= 0) {
        close(s->control_fd);
        s->control_fd = -1;
    }
}

/* ---- launching ------------------------------------------------------------- */

static void on_child_exit(scope_child_t *c, int status, int sig)
{
    tui_session_t *s = container_of(c, tui_session_t, child);
    char name[16] = "";
    if (sig)
        tui_text_signal(name, sizeof name, sig);
    tui_model_proc_exited(s->model, (long)c->pid, status, name, scope_time_now_ns());
    tell(s, TUI_SESSION_EXITED);
}

void tui_session_init(tui_session_t *s, uv_loop_t *loop, tui_model_t *model, tui_session_cb on_news)
{
    memset(s, 0, sizeof *s);
    s->loop = loop;
    s->model = model;
    s->on_news = on_news;
    s->count = "1000000000";
    s->control_fd = -1;
    uv_timer_init(loop, &s->stop_timer);
    s->stop_timer.data = s;
}

void tui_session_lesson(tui_session_t *s, int on, const char *count)
{
    /* A lesson is a finite run, so that every step is reached; r restarts
     * in the mode the demo was launched in. */
    s->lesson = on;
    s->count = on && strcmp(count, "1000000000") == 0 ? "10" : count;
}

int tui_session_launch(tui_session_t *s, const char *path, double rate, long size)
{
    if (s->state != TUI_SESSION_IDLE)
        return -EBUSY;
    int ev[2] = {-1, -1}, ctl[2] = {-1, -1}, out[2] = {-1, -1};
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (pipe2(ev, O_CLOEXEC) < 0 || pipe2(ctl, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
        devnull < 0) {
        int e = -errno;
        for (int i = 0; i < 2; i++) {
            if (ev[i] >= 0)
                close(ev[i]);
            if (ctl[i] >= 0)
                close(ctl[i]);
            if (out[i] >= 0)
                close(out[i]);
        }
        if (devnull >= 0)
            close(devnull);
        return e;
    }

    tui_model_reset(s->model);
    s->warned_version = 0;
    char rate_arg[32], size_arg[32];
    snprintf(rate_arg, sizeof rate_arg, "%g", rate);
    snprintf(size_arg, sizeof size_arg, "%ld", size);
    char *argv[] = {(char *)path, "--rate", rate_arg, "--size", size_arg,
                    "--count", (char *)s->count, s->lesson ? "--step" : NULL, NULL};
    /* The demo narrates in the screen's language (lib/events), and so do the
     * processes it starts, which inherit the variable. */
    const char *env[] = {"IPCSCOPE_EVENT_FD=3", "IPCSCOPE_CONTROL_FD=4",
                         tui_i18n_lang() == TUI_LANG_ZH ? "IPCSCOPE_LANG=zh" : "IPCSCOPE_LANG=en",
                         NULL};
    const char *unset[] = {"NODE_CHANNEL_FD", NULL};
    scope_spawn_fd_t fds[] = {{devnull, 0}, {out[1], 1}, {out[1], 2}, {ev[1], 3}, {ctl[0], 4}};
    scope_spawn_options_t o = {.file = path,
                               .argv = argv,
                               .setenv = env,
                               .unsetenv = unset,
                               .fds = fds,
                               .nfds = 5,
                               .new_process_group = 1,
                               .death_signal = SIGTERM};
    memset(&s->child, 0, sizeof s->child);
    int r = scope_spawn(s->loop, &s->child, &o, on_child_exit);
    /* The child has its copies now: keeping ours would hide the EOF. */
    close(ev[1]);
    close(ctl[0]);
    close(out[1]);
    close(devnull);
    if (r < 0) {
        close(ev[0]);
        close(ctl[1]);
        close(out[0]);
        return r;
    }
    s->state = TUI_SESSION_RUNNING;
    s->pgid = (long)s->child.pid;
    crash_pgid = (sig_atomic_t)s->pgid;
    s->control_fd = ctl[1];
    fcntl(s->control_fd, F_SETFL, fcntl(s->control_fd, F_GETFL) | O_NONBLOCK);
    scope_ndjson_free(&s->decoder);
    scope_ndjson_init(&s->decoder, 0, on_event, on_bad_event, s);
    s->events_open = open_reader(s, &s->events, ev[0], on_events_read) == 0;
    s->output_open = open_reader(s, &s->output, out[0], on_output_read) == 0;
    s->outlen = 0;
    return 0;
}

/* ---- commands -------------------------------------------------------------- */

void tui_session_control(tui_session_t *s, const char *json)
{
    if (s->control_fd < 0)
        return;
    char line[256];
    int n = snprintf(line, sizeof line, "%s\n", json);
    if (write(s->control_fd, line, (size_t)n) < 0 && errno != EAGAIN)
        tui_session_note(s, "control pipe: the demo no longer reads commands");
}

const char *tui_session_fault(tui_session_t *s)
{
    const tui_model_t *m = s->model;
    if (m->nfaults == 0) {
        tui_session_note(s, tui_i18n(TUI_S_NO_FAULTS));
        return NULL;
    }
    const char *kind = m->faults[s->next_fault % m->nfaults];
    const char *next = m->faults[(s->next_fault + 1) % m->nfaults];
    s->next_fault++;
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "cmd", "fault");
    cJSON_AddStringToObject(c, "kind", kind);
    char *line = cJSON_PrintUnformatted(c);
    cJSON_Delete(c);
    if (!line)
        return NULL;
    tui_session_control(s, line);
    cJSON_free(line);
    char buf[200];
    snprintf(buf, sizeof buf, tui_i18n(TUI_S_SENT_FAULT), kind, next);
    tui_session_note(s, buf);
    return kind;
}

/* ---- stopping -------------------------------------------------------------- */

static int group_alive(const tui_session_t *s)
{
    return s->pgid > 0 && (kill(-(pid_t)s->pgid, 0) == 0 || errno == EPERM);
}

static void stopped(tui_session_t *s)
{
    uv_timer_stop(&s->stop_timer);
    close_pipes(s);
    s->state = TUI_SESSION_IDLE;
    s->pgid = 0;
    crash_pgid = 0;
    tell(s, TUI_SESSION_STOPPED);
}

static void on_stop_tick(uv_timer_t *t)
{
    tui_session_t *s = t->data;
    if (!s->child.running && !group_alive(s)) {
        stopped(s);
        return;
    }
    uint64_t ms = (scope_time_now_ns() - s->stop_started) / 1000000;
    if (s->state == TUI_SESSION_QUITTING && ms >= TUI_SESSION_QUIT_WAIT_MS) {
        kill(-(pid_t)s->pgid, SIGTERM);
        s->state = TUI_SESSION_TERMINATING;
        tui_session_note(s,
                         "dashboard: the demo did not quit in time: SIGTERM to its process group");
    } else if (s->state == TUI_SESSION_TERMINATING &&
               ms >= TUI_SESSION_QUIT_WAIT_MS + TUI_SESSION_TERM_WAIT_MS) {
        kill(-(pid_t)s->pgid, SIGKILL);
        s->state = TUI_SESSION_KILLING;
        tui_session_note(s, "dashboard: SIGKILL to the demo's process group");
    }
}

void tui_session_stop(tui_session_t *s)
{
    if (s->state == TUI_SESSION_IDLE) {
        stopped(s);
        return;
    }
    if (s->state != TUI_SESSION_RUNNING)
        return; /* already on its way down */
    s->state = TUI_SESSION_QUITTING;
    s->stop_started = scope_time_now_ns();
    tui_session_control(s, "{\"cmd\":\"quit\"}");
    uv_timer_start(&s->stop_timer, on_stop_tick, 20, 50);
    tell(s, TUI_SESSION_CHANGED);
}

void tui_session_kill(tui_session_t *s, int sig)
{
    if (s->pgid > 0)
        kill(-(pid_t)s->pgid, sig);
}

void tui_session_on_crash(void)
{
    if (crash_pgid > 0)
        kill(-(pid_t)crash_pgid, SIGTERM);
}

void tui_session_close(tui_session_t *s)
{
    close_pipes(s);
    if (!uv_is_closing((uv_handle_t *)&s->stop_timer))
        uv_close((uv_handle_t *)&s->stop_timer, NULL);
    scope_ndjson_free(&s->decoder);
}
