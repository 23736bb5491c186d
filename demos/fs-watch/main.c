/* fs-watch: article 001's JSON file as a mailbox, with the lid off (the
 * story: fs-watch.c).
 *
 * Step 1 and the steady part 8 are fs-watch.c's; 2-7 one file each
 * (several.c, torn.c, renamed.c, coalesce.c, polling.c, measure.c); the
 * writer of every step is writer.c, this program again as --role writer;
 * faults.c does what someone else might do to the file.
 *
 *   fs-watch                     the lesson, then --count messages at --rate
 *   fs-watch --fault huge        ... and a 100 MB msg.json once the steady part runs
 *   fs-watch --measure 0         without step 7's measurement
 */
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "fs-watch.h"

static const scope_demo_info_t info = {
    "fs-watch",
    "fs.watch on a JSON file with the lid off",
    "A writer rewrites msg.json, a watcher parses it on each inotify event: events doubled, "
    "torn, lost and coalesced, the fix (rename, watch the directory), polling, measured.",
    "001",
    "文件系统 watch | 单机 | ★☆☆☆☆ | 简单 | 不可靠，不建议生产",
    "notjson huge dir rmdir",
};

static void step_fault(scope_demo_t *d)
{
    fsw_t *p = d->data;
    fsw_fault(d, p->fault);
    scope_demo_next(d);
}

#define STEPS                                                                                      \
    {N_("fs.watch('./msg.json'), and JSON.parse(readFileSync) on every event"),                    \
     fsw_article},                                                                                 \
    {N_("several events for one write: open(O_TRUNC) + write against one pwrite"),                 \
     fsw_several},                                                                                 \
    {N_("a torn read: the watcher parses a half-written file"),                                    \
     fsw_torn},                                                                                    \
    {N_("an editor saves by rename: the file's watch is lost; watch the directory"),               \
     fsw_renamed},                                                                                 \
    {N_("writes faster than reads: coalesced events, then IN_Q_OVERFLOW"),                         \
     fsw_coalesce},                                                                                \
    {N_("polling: fs.watchFile is a stat() every --poll-ms"),                                      \
     fsw_polling},                                                                                 \
    {N_("measured: write -> parsed by inotify and by polling, next to a pipe"),                    \
     fsw_measure},                                                                                 \
    {N_("the steady part: rename over msg.json, the directory watched, at --rate"),                \
     fsw_steady}

static const scope_demo_lesson_t lesson[] = {STEPS, {NULL, NULL}};
static const scope_demo_lesson_t lesson_fault[] = {
    STEPS, {N_("--fault: someone else's hand on msg.json"), step_fault}, {NULL, NULL}};

static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    if (strcmp(cmd, "fault") == 0)
        fsw_fault(d, d->fault);
}

/* A quit: lib/role has told a running writer to quit too; its exit ends the
 * step, and the lesson ends with it. Without one, the end is now. */
static void on_quit(scope_demo_t *d)
{
    if (!scope_role_running(d))
        scope_demo_stop(d);
}

static void on_lesson_end(scope_demo_t *d)
{
    fsw_t *p = d->data;
    if (!p->running || d->quitting)
        scope_demo_stop(d); /* else the steady part goes on: its end stops */
}

int main(int argc, char **argv)
{
    fsw_t o = {.max_read = 1 << 20, .poll_ms = 100, .measure = 200, .next_seq = 1}, *p = &o;
    const char *dir = NULL, *mode = "steady";
    long long writes = 3, every = 100, from = 1;
    const scope_demo_option_t options[] = {
        {"max-read", "BYTES", "the most the watcher reads of msg.json (default 1048576)",
         SCOPE_OPT_NUMBER, &o.max_read, 64, SCOPE_DEMO_MAX_SIZE},
        {"poll-ms", "MS", "uv_fs_poll's interval in steps 6 and 7 (default 100; "
         "fs.watchFile's is 5007)", SCOPE_OPT_NUMBER, &o.poll_ms, 1, 60000},
        {"measure", "N", "messages timed in step 7 (default 200, 0: skip the step)",
         SCOPE_OPT_NUMBER, &o.measure, 0, 100000},
        {"fault", "KIND", "once the steady part runs: notjson, huge (100 MB), dir (msg.json "
         "becomes a directory) or rmdir (the directory removed)", SCOPE_OPT_WORD, &o.fault, 0, 0,
         info.faults},
        {"dir", "DIR", "the writer: the private directory (with --role)", SCOPE_OPT_TEXT, &dir},
        {"mode", "MODE", "the writer: how it writes (writer.c)", SCOPE_OPT_WORD, &mode, 0, 0,
         "writefile inplace torn rename burst flood measure steady"},
        {"writes", "N", "the writer: messages it writes", SCOPE_OPT_NUMBER, &writes, 1,
         SCOPE_DEMO_ENDLESS},
        {"every", "MS", "the writer: time between them", SCOPE_OPT_NUMBER, &every, 0, 60000},
        {"from", "SEQ", "the writer: the first message's seq", SCOPE_OPT_NUMBER, &from, 0,
         (long long)1 << 53},
        {NULL, NULL, NULL},
    };
    scope_demo_t demo = {.data = p};
    int r = scope_demo_parse(&demo, &info, options, argc, argv);
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    if (demo.role)
        return fsw_writer_main(&demo, dir ? dir : "", mode, writes, every, from);

    demo.on_quit = on_quit;
    demo.on_control = on_control;
    demo.on_lesson_end = on_lesson_end;
    if (scope_demo_start(&demo, uv_default_loop(), "watcher", 1) < 0)
        return 1;
    p->demo = &demo;
    scope_demo_lesson(&demo, o.fault ? lesson_fault : lesson);
    int code = scope_demo_run(&demo);
    scope_role_kill_all(&demo);
    scope_spawn_shutdown(demo.loop);
    uv_run(demo.loop, UV_RUN_NOWAIT);

    char text[512], rtt[96], measured[200];
    cJSON *summary = cJSON_CreateObject();
    scope_trace_add_summary(&p->steady.trace, summary);
    snprintf(text, sizeof text,
             scope_events_tr("steady part: %llu messages parsed (%llu read again), %s; %s"),
             (unsigned long long)p->dirwatch.parses, (unsigned long long)p->dirwatch.dups,
             scope_trace_describe(&p->steady.trace, rtt, sizeof rtt),
             fsw_measure_describe(measured, sizeof measured));
    scope_demo_bye(&demo, summary, text);
    return code;
}
