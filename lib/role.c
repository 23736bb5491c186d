/* role: this program again, as another process of the demo. See role.h. */
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "events.h"

#define MAX_ARGS 48
#define ROLE_QUIT_GRACE_MS 5000

/* One demo per process: its roles' watch (are they stopped?) every second,
 * and the grace a quit gives them before SIGKILL. Made with the first role
 * and closed with the last one's exit, so that a loop with no role left
 * holds no handle of ours (each set is freed once both timers are closed). */
typedef struct {
    uv_timer_t watch, grace;
    int open;
} guard_t;
static guard_t *guard;

/* The state letter of /proc/PID/stat ('T': stopped), or 0. */
static char proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "re");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')'); /* the command may hold spaces and ')' */
    return paren && paren[1] == ' ' ? paren[2] : 0;
}

/* A stopped role answers nothing and ends nothing: its peers wait, and
 * without a word the run would seem to hang. */
static void on_watch(uv_timer_t *t)
{
    scope_demo_t *d = t->data;
    for (scope_role_t *r = d->roles; r; r = r->next) {
        if (!r->running)
            continue;
        char state = proc_state(r->pid);
        /* 't', stopped by a tracer, counts once it lasts: LeakSanitizer's
         * check at a process's exit ptrace-stops it for a moment too. */
        r->traced_watches = state == 't' ? r->traced_watches + 1 : 0;
        int stopped = state == 'T' || r->traced_watches >= 3;
        if (stopped && !r->stopped_said) {
            r->stopped_said = 1;
            scope_events_error("stopped", "%s (pid %ld) is stopped (SIGSTOP or a debugger) and "
                               "answers nothing: those waiting for it wait (kill -CONT %ld)",
                               r->name, (long)r->pid, (long)r->pid);
        } else if (state && !stopped && state != 't' && r->stopped_said) {
            r->stopped_said = 0;
            scope_events_log("%s (pid %ld) runs again", r->name, (long)r->pid);
        }
    }
}

/* A quit was relayed: who has not ended within the grace is killed. */
static void on_grace(uv_timer_t *t)
{
    scope_demo_t *d = t->data;
    for (scope_role_t *r = d->roles; r; r = r->next)
        if (r->running) {
            scope_events_error("quit",
                               "%s (pid %ld) did not end within %d s of the quit%s: "
                               "SIGKILL",
                               r->name, (long)r->pid, ROLE_QUIT_GRACE_MS / 1000,
                               r->stopped_said ? scope_events_tr(" (it is stopped)") : "");
            scope_child_kill(&r->child, SIGKILL, 0);
            scope_demo_exit(d, 1);
        }
}

static void guard_start(scope_demo_t *d)
{
    if (guard || !(guard = calloc(1, sizeof *guard)))
        return;
    uv_timer_init(d->loop, &guard->watch);
    uv_timer_init(d->loop, &guard->grace);
    guard->watch.data = guard->grace.data = d;
    guard->open = 2;
    uv_timer_start(&guard->watch, on_watch, 1000, 1000);
    /* Neither keeps the loop alive: the roles' own handles do. */
    uv_unref((uv_handle_t *)&guard->watch);
    uv_unref((uv_handle_t *)&guard->grace);
}

static void on_guard_closed(uv_handle_t *h)
{
    guard_t *g = h->data; /* set by guard_stop: a closing timer fires no more */
    if (--g->open == 0)
        free(g);
}

static void guard_stop(void)
{
    if (!guard)
        return;
    guard->watch.data = guard->grace.data = guard;
    uv_close((uv_handle_t *)&guard->watch, on_guard_closed);
    uv_close((uv_handle_t *)&guard->grace, on_guard_closed);
    guard = NULL;
}

/* ---- the relay: commands out, reports back ------------------------------ */

static void relay_all(scope_demo_t *d, const cJSON *msg)
{
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(msg, "cmd");
    if (guard && cJSON_IsString(cmd) && !strcmp(cmd->valuestring, "quit") &&
        !uv_is_active((uv_handle_t *)&guard->grace))
        uv_timer_start(&guard->grace, on_grace, ROLE_QUIT_GRACE_MS, 0);
    char *text = cJSON_PrintUnformatted(msg);
    if (!text)
        return;
    size_t len = strlen(text);
    text[len++] = '\n';
    for (scope_role_t *r = d->roles; r; r = r->next) {
        if (!r->relay_open)
            continue;
        /* A command is a few bytes; a role whose relay is full stopped
         * reading long ago, and waiting for it would freeze the parent. */
        uv_buf_t b = uv_buf_init(text, (unsigned)len);
        int n = uv_try_write((uv_stream_t *)&r->relay, &b, 1);
        if (n != (int)len)
            scope_events_error("relay", "%s (pid %ld) is not reading its commands: one dropped",
                               r->name, (long)r->pid);
    }
    free(text);
}

static void on_report(void *arg, cJSON *value, const char *line, size_t len)
{
    (void)line;
    (void)len;
    scope_role_t *r = arg;
    const cJSON *fig = cJSON_GetObjectItemCaseSensitive(value, "report");
    if (!fig) {
        scope_events_error("relay", "%s sent a line that is not a report", r->name);
        return;
    }
    if (r->on_report)
        r->on_report(r, fig);
}

static void on_bad_report(void *arg, const scope_frame_error_t *err)
{
    scope_role_t *r = arg;
    scope_events_error("relay", "refused a report from %s: %s", r->name, err->reason);
}

static void on_relay_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    scope_role_t *r = h->data;
    (void)suggested;
    *buf = uv_buf_init(r->buf, sizeof r->buf);
}

static void close_relay(scope_role_t *r)
{
    if (!r->relay_open)
        return;
    r->relay_open = 0;
    uv_close((uv_handle_t *)&r->relay, NULL);
}

static void on_relay_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    scope_role_t *r = s->data;
    if (nread > 0)
        scope_ndjson_feed(&r->reports, buf->base, (size_t)nread);
    else if (nread < 0)
        uv_read_stop(s); /* the role is ending; its exit closes the relay */
}

/* What a role wrote before it died may still sit in the socket when its exit
 * is reaped: read it now, so on_report always comes before on_exit. */
static void drain_relay(scope_role_t *r)
{
    if (!r->relay_open)
        return;
    ssize_t n;
    while ((n = recv(r->relay_fd, r->buf, sizeof r->buf, MSG_DONTWAIT)) > 0)
        scope_ndjson_feed(&r->reports, r->buf, (size_t)n);
}

/* ---- start and end ------------------------------------------------------ */

static void unlink_role(scope_role_t *r)
{
    scope_demo_t *d = r->demo;
    for (scope_role_t **p = (scope_role_t **)&d->roles; *p; p = &(*p)->next)
        if (*p == r) {
            *p = r->next;
            break;
        }
}

static void on_child_exit(scope_child_t *c, int code, int sig)
{
    scope_role_t *r = c->data;
    r->running = 0;
    r->exit_code = code;
    r->term_signal = sig;
    drain_relay(r);
    close_relay(r);
    scope_ndjson_free(&r->reports);
    unlink_role(r);
    if (!r->demo->roles)
        guard_stop(); /* no role left to watch */
    scope_events_proc("exit", r->pid, getpid(), r->name, code, sig); /* narrated as waitpid's */
    if (r->on_exit)
        r->on_exit(r, code, sig);
}

static void lib_fds(scope_spawn_fd_t *fds, size_t *n, int relay_child, const char **env,
                    char *env_event, size_t env_event_len, char *env_format,
                    size_t env_format_len)
{
    /* Always at its own number, even when ours is stdout: a mechanism may
     * place a pipe at the role's fd 1, and events must not become its data. */
    int ev = scope_events_fd();
    if (ev >= 0) {
        fds[(*n)++] = (scope_spawn_fd_t){.parent_fd = ev, .child_fd = SCOPE_ROLE_EVENT_FD};
        snprintf(env_event, env_event_len, "IPCSCOPE_EVENT_FD=%d", SCOPE_ROLE_EVENT_FD);
        snprintf(env_format, env_format_len, "IPCSCOPE_EVENT_FORMAT=%s",
                 scope_events_format() == SCOPE_EVENTS_TEXT ? "text" : "json");
        env[0] = env_event;
        env[1] = env_format;
    }
    fds[(*n)++] = (scope_spawn_fd_t){.parent_fd = relay_child, .child_fd = SCOPE_ROLE_CONTROL_FD};
}

int scope_role_spawn(scope_demo_t *d, scope_role_t *r, const char *name,
                     const scope_role_options_t *o)
{
    static const scope_role_options_t none;
    if (!o)
        o = &none;
    snprintf(r->name, sizeof r->name, "%s", name);
    r->demo = d;
    r->running = 0;
    r->quiet = o->quiet;

    char self[PATH_MAX];
    int rs = scope_spawn_self(self, sizeof self);
    if (rs < 0)
        return rs;

    /* self --role NAME --count N --rate HZ --size BYTES [own...] */
    char count[32], rate[32], size[32];
    snprintf(count, sizeof count, "--count=%ld", d->count);
    snprintf(rate, sizeof rate, "--rate=%g", d->rate);
    snprintf(size, sizeof size, "--size=%zu", d->size);
    char *argv[MAX_ARGS];
    int argc = 0;
    argv[argc++] = self;
    argv[argc++] = "--role";
    argv[argc++] = r->name;
    argv[argc++] = count;
    argv[argc++] = rate;
    argv[argc++] = size;
    for (int i = 0; o->argv && o->argv[i]; i++) {
        if (argc == MAX_ARGS - 1)
            return -E2BIG;
        argv[argc++] = (char *)o->argv[i];
    }
    argv[argc] = NULL;

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;

    scope_spawn_fd_t fds[16];
    size_t nfds = 0;
    for (size_t i = 0; i < o->nfds && nfds < 11; i++)
        fds[nfds++] = o->fds[i];
    /* A role must start with fds 0-2 open: a parent whose stdin is the
     * dashboard's control pipe (marked close-on-exec) would leave the child
     * none, and the first fd its loop opens would become its fd 0. Those
     * the mechanism does not place and we would not pass on get /dev/null. */
    int devnull = -1;
    for (int k = 0; k <= 2; k++) {
        int placed = 0;
        for (size_t i = 0; i < o->nfds; i++)
            placed |= o->fds[i].child_fd == k;
        int flags = fcntl(k, F_GETFD);
        if (placed || (flags >= 0 && !(flags & FD_CLOEXEC)))
            continue;
        if (devnull < 0 && (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
            return -errno;
        fds[nfds++] = (scope_spawn_fd_t){.parent_fd = devnull, .child_fd = k};
    }
    const char *env[24] = {0};
    char env_event[40], env_format[40], env_control[40];
    lib_fds(fds, &nfds, sv[1], env, env_event, sizeof env_event, env_format, sizeof env_format);
    int nenv = env[0] ? 2 : 0;
    snprintf(env_control, sizeof env_control, "IPCSCOPE_CONTROL_FD=%d", SCOPE_ROLE_CONTROL_FD);
    env[nenv++] = env_control;
    for (int i = 0; o->setenv && o->setenv[i] && nenv < 23; i++)
        env[nenv++] = o->setenv[i];
    env[nenv] = NULL;

    r->child.data = r;
    scope_spawn_options_t so = {
        .file = self,
        .argv = argv,
        .setenv = env,
        .fds = fds,
        .nfds = nfds,
        .death_signal = SIGKILL, /* a role never outlives the process that started it */
    };
    int rc = scope_spawn(d->loop, &r->child, &so, on_child_exit);
    close(sv[1]); /* the child has its end now */
    if (devnull >= 0)
        close(devnull);
    if (rc < 0) {
        close(sv[0]);
        return rc;
    }
    r->pid = r->child.pid;
    r->running = 1;

    uv_pipe_init(d->loop, &r->relay, 0);
    r->relay.data = r;
    r->relay_fd = sv[0];
    scope_ndjson_init(&r->reports, 1024 * 1024, on_report, on_bad_report, r);
    if (uv_pipe_open(&r->relay, sv[0]) == 0) {
        r->relay_open = 1;
        uv_unref((uv_handle_t *)&r->relay); /* the child keeps the loop alive, not its relay */
        uv_read_start((uv_stream_t *)&r->relay, on_relay_alloc, on_relay_read);
    } else {
        uv_close((uv_handle_t *)&r->relay, NULL);
        close(sv[0]);
    }

    r->next = d->roles;
    d->roles = r;
    d->relay = relay_all;
    r->stopped_said = 0;
    guard_start(d);
    if (!r->quiet)
        scope_events_log("started %s: pid %ld, this program again (fork, then execve %s --role "
                         "'%s')",
                         r->name, (long)r->pid, strrchr(self, '/') + 1, r->name);
    return 0;
}

int scope_role_spawn_bound(scope_demo_t *d, scope_role_t *r, const char *name,
                           const scope_role_options_t *o, int type, int child_fd,
                           struct sockaddr_storage *addr)
{
    static const scope_role_options_t none;
    scope_role_options_t with = o ? *o : none;
    scope_spawn_fd_t fds[11];
    int fd = with.nfds < 11 ? scope_addr_bind_loopback(type, addr) : -E2BIG, rc = fd;
    if (fd >= 0) {
        for (size_t i = 0; i < with.nfds; i++)
            fds[i] = with.fds[i];
        fds[with.nfds++] = (scope_spawn_fd_t){.parent_fd = fd, .child_fd = child_fd};
        with.fds = fds;
        rc = scope_role_spawn(d, r, name, &with);
        close(fd); /* the child has its copy */
    }
    if (rc < 0)
        scope_events_error("spawn", "%s could not start: %s", name, uv_strerror(rc));
    return rc;
}

double scope_role_add_figures(scope_demo_t *d, const cJSON *report, const char *names)
{
    double sum = 0;
    char name[64];
    for (const char *at = names; *at;) {
        size_t len = strcspn(at, " ");
        if (len > 0 && len < sizeof name) {
            memcpy(name, at, len);
            name[len] = '\0';
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(report, name);
            double n = cJSON_IsNumber(v) ? v->valuedouble : 0;
            scope_demo_figure_add(d, name, n);
            sum += n;
        }
        at += len + (at[len] == ' ');
    }
    return sum;
}

int scope_role_kill(scope_role_t *r, int sig)
{
    if (!r->running)
        return -ESRCH;
    return scope_child_kill(&r->child, sig, 0);
}

int scope_role_running(const scope_demo_t *d)
{
    int n = 0;
    for (const scope_role_t *r = d->roles; r; r = r->next)
        n += r->running;
    return n;
}

void scope_role_kill_all(scope_demo_t *d)
{
    for (scope_role_t *r = d->roles; r; r = r->next)
        if (r->running)
            scope_child_kill(&r->child, SIGKILL, 0);
    /* Each is reaped by lib/spawn's SIGCHLD watcher, on this loop. */
    while (scope_role_running(d) && uv_run(d->loop, UV_RUN_ONCE))
        ;
}
