/* run.c: the plumbing the steps share, so that fs-watch.c holds only the
 * mechanism: the private directory, the messages, one writer run (this
 * program again, --role writer), and the inotify fd shown as /proc shows it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "events.h"
#include "fs-watch.h"

static void remove_dir(void *arg)
{
    fsw_t *p = arg;
    if (p->dir[0] && fsw_dir_remove(p->dir) == 0)
        scope_events_log("rm %s/*, rmdir: the private directory is gone", p->dir);
    p->dir[0] = '\0';
}

int fsw_place(scope_demo_t *d)
{
    fsw_t *p = d->data;
    char name[48];
    /* The pid in the name: a run killed with SIGKILL cannot remove its
     * directory, and the next run knows from the name whose it was. */
    snprintf(name, sizeof name, "fs-watch-%ld", (long)getpid());
    int r = scope_rundir_make(name, p->dir, sizeof p->dir);
    if (!scope_demo_check(d, r == 0, "rundir", "cannot make a private directory: %s",
                          strerror(-r))) {
        p->dir[0] = '\0';
        return -1;
    }
    scope_demo_on_cleanup(d, remove_dir, p); /* on exit, and on a signal */
    snprintf(p->file, sizeof p->file, "%s/" FSW_NAME, p->dir);
    scope_events_log("mkdtemp(%s) -> mode 0700: nobody else may read msg.json or swap it", p->dir);
    int swept = fsw_sweep(p->dir);
    if (swept)
        scope_events_log("removed %d directory(ies) that killed runs left", swept);
    return 0;
}

uint64_t fsw_watch_count(fsw_watch_t *w, const cJSON *msg, uint64_t *seq)
{
    uint64_t now = scope_time_now_ns(), lat = 0;
    cJSON *s = cJSON_GetObjectItem(msg, "seq"), *t = cJSON_GetObjectItem(msg, "t");
    *seq = cJSON_IsNumber(s) ? (uint64_t)s->valuedouble : 0;
    w->parses++;
    if (*seq && *seq <= w->last_seq) {
        w->dups++; /* the same message read again: a second event for it */
    } else if (*seq) {
        if (w->last_seq && *seq > w->last_seq + 1)
            w->skipped += *seq - w->last_seq - 1; /* overwritten before they were read */
        w->last_seq = *seq;
        if (cJSON_IsNumber(t) && now > (uint64_t)t->valuedouble)
            lat = now - (uint64_t)t->valuedouble;
        if (lat)
            scope_hist_add(&w->latency, lat);
    }
    return lat;
}

/* "several.inplace" + "writes" -> "several.inplace_writes": the bye's
 * figures are one level deep. */
static void fig_key(char *out, size_t n, const char *step, const char *name)
{
    snprintf(out, n, "%s.%s", step, name);
    char *dot = strchr(out, '.');
    while (dot && (dot = strchr(dot + 1, '.')) != NULL)
        *dot = '_';
}

void fsw_report(scope_demo_t *d, const char *step, const fsw_watch_t *w, uint64_t writes)
{
    const char *names[] = {"writes", "events", "parsed", "bad", "refused", "again", "skipped"};
    uint64_t v[] = {writes, w->events, w->parses, w->bad, w->refused, w->dups, w->skipped};
    char key[64], p50[32];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        fig_key(key, sizeof key, step, names[i]);
        scope_demo_figure(d, key, cJSON_CreateNumber((double)v[i]));
    }
    fig_key(key, sizeof key, step, "p50_ns");
    scope_demo_figure(d, key, cJSON_CreateNumber((double)scope_hist_percentile(&w->latency, 50)));
    scope_time_format(p50, sizeof p50, (double)scope_hist_percentile(&w->latency, 50));
    scope_events_log("%s: %llu writes -> %llu events, %llu parsed (%llu of them again), %llu not "
                     "JSON, %llu refused, %llu never seen; write->parsed p50 %s",
                     scope_events_tr(w->label),
                     (unsigned long long)writes, (unsigned long long)w->events,
                     (unsigned long long)w->parses, (unsigned long long)w->dups,
                     (unsigned long long)w->bad, (unsigned long long)w->refused,
                     (unsigned long long)w->skipped, w->latency.count ? p50 : "-");
}

size_t fsw_message(char *out, size_t n, uint64_t seq, size_t size)
{
    int len = snprintf(out, n, "{\"seq\":%llu,\"t\":%llu,\"pad\":\"", (unsigned long long)seq,
                       (unsigned long long)scope_time_now_ns());
    size_t want = size < 48 ? 48 : size, at = (size_t)len;
    while (at + 2 < want && at + 3 < n)
        out[at++] = 'x';
    out[at++] = '"', out[at++] = '}', out[at] = '\0';
    return at;
}

void fsw_show_inotify(void)
{
    DIR *fds = opendir("/proc/self/fd");
    struct dirent *e;
    char link[300], target[64], line[256];
    while (fds && (e = readdir(fds)) != NULL) {
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n <= 0 || (target[n] = '\0', strcmp(target, "anon_inode:inotify") != 0))
            continue;
        snprintf(link, sizeof link, "/proc/self/fdinfo/%s", e->d_name);
        FILE *f = fopen(link, "r");
        while (f && fgets(line, sizeof line, f))
            if (strncmp(line, "inotify wd:", 11) == 0)
                scope_events_log("/proc/%ld/fd/%s -> anon_inode:inotify; fdinfo: %.*s",
                                 (long)getpid(), e->d_name, (int)strcspn(line, "\n"), line);
        if (f)
            fclose(f);
    }
    if (fds)
        closedir(fds);
}

static void on_role_exit(scope_role_t *r, int code, int sig);
static void on_settled(uv_timer_t *t);

int fsw_run_start(scope_demo_t *d, fsw_run_t *run, const char *mode, long writes,
                  long every_ms, const scope_spawn_fd_t *fds, size_t nfds, fsw_run_cb done)
{
    fsw_t *p = d->data;
    char w[24], every[24], from[24];
    snprintf(w, sizeof w, "%ld", writes);
    snprintf(every, sizeof every, "%ld", every_ms);
    snprintf(from, sizeof from, "%llu", (unsigned long long)p->next_seq);
    const char *args[] = {"--dir", p->dir, "--mode", mode, "--writes", w, "--every", every,
                          "--from", from, NULL};
    run->demo = d, run->done = done, run->from = p->next_seq, run->writes = (uint64_t)writes;
    p->next_seq += (uint64_t)writes;
    run->role.data = run;
    run->role.on_exit = on_role_exit;
    scope_role_options_t o = {.argv = args, .fds = fds, .nfds = nfds};
    int r = scope_role_spawn(d, &run->role, "writer", &o);
    if (r < 0) {
        scope_demo_check(d, 0, "spawn", "writer: %s", strerror(-r));
        return r;
    }
    scope_trace_init(&run->trace, FSW_NAME, SCOPE_PID(getpid()), SCOPE_PID(run->role.pid));
    scope_trace_open(&run->trace, "file", p->file);
    uv_timer_init(d->loop, &run->settle);
    return 0;
}

/* The writer is gone; its last events may still be in the inotify queue:
 * a tenth of a second for them before done. */
static void on_role_exit(scope_role_t *r, int code, int sig)
{
    fsw_run_t *run = r->data;
    run->code = code, run->sig = sig;
    scope_demo_check(run->demo, (code == 0 && sig == 0) || run->demo->quitting, "writer",
                     "the writer ended early: exit code %d, signal %d", code, sig);
    uv_timer_start(&run->settle, on_settled, 100, 0);
}

static void on_settled(uv_timer_t *t)
{
    fsw_run_t *run = scope_container_of(t, fsw_run_t, settle);
    scope_trace_close(&run->trace);
    uv_close((uv_handle_t *)&run->settle, NULL);
    run->done(run);
}

void fsw_watch_stop(fsw_watch_t *w)
{
    if (w->ev_on)
        uv_close((uv_handle_t *)&w->ev, NULL); /* inotify_rm_watch */
    if (w->poll_on)
        uv_close((uv_handle_t *)&w->poll, NULL);
    w->ev_on = w->poll_on = 0;
}
