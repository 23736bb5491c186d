/* Unit tests of the dashboard's model (tui/model.c), its text measuring
 * (tui/text.c) and its lesson renderer (tui/lesson.c), without a terminal.
 *
 * The model is fed event streams recorded from real runs (tests/data/, one NDJSON file each:
 * the fake demo in English and Chinese, and fork-ipc itself) and synthetic
 * streams with made-up times, so nothing depends on the machine's speed.
 *
 * It links the dashboard's core library (build/libipcscope-tui.a).
 */
#include "../../tui/lesson.h"
#include "../../tui/model.h"
#include "../../tui/text.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static tui_model_t *feed_file(const char *name)
{
    const char *top = getenv("TOP");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/%s", top && *top ? top : ".", name);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    tui_model_t *m = tui_model_new();
    ck_assert_ptr_nonnull(m);
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        ck_assert_int_eq(tui_model_feed_line(m, line), 0);
    }
    fclose(f);
    return m;
}

static uint64_t flow_messages(const tui_model_t *m)
{
    uint64_t n = 0;
    for (size_t i = 0; i < m->flow_len; i++)
        n += tui_model_flow_get(m, i)->count;
    return n;
}

static int log_has(const tui_model_t *m, tui_log_kind_t kind, const char *text)
{
    for (size_t i = 0; i < m->log_len; i++) {
        const tui_log_t *l = tui_model_log_get(m, i);
        if (l->kind == kind && (!text || strstr(l->text, text)))
            return 1;
    }
    return 0;
}

static void feedf(tui_model_t *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void feedf(tui_model_t *m, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    ck_assert_msg(tui_model_feed_line(m, line) == 0, "refused: %s", line);
}

static void msg(tui_model_t *m, uint64_t t, const char *dir, long from, long to, int id,
                uint64_t lat)
{
    char latf[32] = "";
    if (lat)
        snprintf(latf, sizeof latf, ",\"lat\":%llu", (unsigned long long)lat);
    feedf(m,
          "{\"v\":1,\"ev\":\"msg\",\"t\":%llu,\"pid\":%ld,\"dir\":\"%s\",\"chan\":\"ipc\","
          "\"from\":%ld,\"to\":%ld,\"id\":%d,\"bytes\":64,\"summary\":\"ping #%d\"%s}",
          (unsigned long long)t, strcmp(dir, "send") == 0 ? from : to, dir, from, to, id, id,
          latf);
}

/* ------------------------------------------------------------------------ */
/* Recorded streams                                                         */
/* ------------------------------------------------------------------------ */

START_TEST(test_fakedemo_stream)
{
    tui_model_t *m = feed_file("fakedemo.ndjson");
    ck_assert_str_eq(m->demo, "fork-ipc");
    ck_assert_uint_eq(m->refused, 0);
    ck_assert_int_eq(m->nprocs, 2);
    const tui_proc_t *parent = &m->procs[0], *child = &m->procs[1];
    ck_assert_str_eq(parent->role, "parent");
    ck_assert_str_eq(child->role, "child");
    ck_assert_int_eq(child->ppid, parent->pid);
    ck_assert_int_eq(child->state, TUI_PROC_EXITED);
    ck_assert_int_eq(child->code, 0);
    ck_assert_str_eq(child->signal, "");

    /* one channel, two lanes, 20 pings and 20 pongs: each once in the flow */
    ck_assert_int_eq(m->nchans, 1);
    ck_assert_str_eq(m->chans[0].kind, "socketpair");
    ck_assert_int_eq(m->nlanes, 2);
    ck_assert_uint_eq(flow_messages(m), 40);
    ck_assert_uint_eq(m->chans[0].msgs, 40);
    /* every recv carried a latency */
    ck_assert_uint_eq(m->chans[0].lat_count, 40);
    ck_assert(m->chans[0].have_stats);
    scope_hist_summary_t s;
    tui_model_chan_summary(m, 0, &s);
    ck_assert_uint_gt(s.p50, 0);
    ck_assert_uint_ge(s.max, s.p99);
    ck_assert_uint_ge(s.p99, s.p50);

    ck_assert(log_has(m, TUI_LOG_HELLO, "fork-ipc"));
    ck_assert(log_has(m, TUI_LOG_CHAN, "socketpair"));
    ck_assert(log_has(m, TUI_LOG_PROC_EXIT, "child"));
    ck_assert(log_has(m, TUI_LOG_BYE, "done"));
    ck_assert(m->ended);

    char label[64];
    tui_model_lane_label(m, 0, label, sizeof label);
    ck_assert_msg(strncmp(label, "parent ", 7) == 0, "lane 0 is '%s'", label);
    tui_model_free(m);
}
END_TEST

START_TEST(test_fork_ipc_stream)
{
    /* Recorded from build/demos/fork-ipc --json --count 10. */
    tui_model_t *m = feed_file("fork-ipc.ndjson");
    ck_assert_str_eq(m->demo, "fork-ipc");
    ck_assert_uint_eq(m->refused, 0);
    ck_assert_int_ge(m->nprocs, 2);
    ck_assert_int_ge(m->nchans, 1);
    ck_assert_str_eq(m->chans[0].id, "ipc");
    ck_assert_uint_gt(m->flow_len, 0);
    ck_assert(m->ended);
    ck_assert(log_has(m, TUI_LOG_STEP, NULL));
    const tui_proc_t *child = tui_model_proc(m, m->chans[0].b.pid);
    ck_assert_ptr_nonnull(child);
    ck_assert_str_eq(child->role, "child");
    ck_assert_int_eq(child->state, TUI_PROC_EXITED);
    tui_model_free(m);
}
END_TEST

START_TEST(test_cjk_stream)
{
    setlocale(LC_ALL, "C.UTF-8");
    tui_model_t *m = feed_file("fakedemo_zh.ndjson");
    ck_assert_uint_eq(m->refused, 0);
    ck_assert_str_eq(m->procs[0].role, "父进程");
    char label[64];
    tui_model_lane_label(m, 1, label, sizeof label);
    ck_assert_msg(strncmp(label, "子进程 ", strlen("子进程 ")) == 0, "lane 1 is '%s'", label);
    /* "子进程 " is 7 columns, then the pid's digits */
    ck_assert_int_eq(tui_text_width(label), 7 + (int)strlen(label + strlen("子进程 ")));

    /* Every summary lines up: its width in columns counts CJK as two. */
    int found = 0;
    for (size_t i = 0; i < m->flow_len; i++) {
        const tui_flow_t *f = tui_model_flow_get(m, i);
        if (f->count != 1 || strncmp(f->summary, "你好 ping #", strlen("你好 ping #")) != 0)
            continue;
        found = 1;
        ck_assert_int_eq(tui_text_width(f->summary), 4 + 1 + 6 + (int)strlen(f->summary) -
                                                          (int)strlen("你好 ping #"));
        /* Cutting never splits a character and never overflows the columns. */
        for (int cols = 0; cols < 12; cols++) {
            int used;
            size_t b = tui_text_fit(f->summary, cols, &used);
            ck_assert_int_le(used, cols);
            ck_assert(b == 0 || b == 3 || b >= 6);
            ck_assert(used >= cols - 1 || f->summary[b] == '\0');
        }
    }
    ck_assert(found);
    ck_assert(log_has(m, TUI_LOG_BYE, "结束"));
    tui_model_free(m);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Synthetic streams                                                        */
/* ------------------------------------------------------------------------ */

START_TEST(test_send_recv_pair)
{
    tui_model_t *m = tui_model_new();
    msg(m, 1000, "send", 10, 11, 1, 0);
    msg(m, 2000, "recv", 10, 11, 1, 900);
    ck_assert_uint_eq(m->flow_len, 1);
    const tui_flow_t *f = tui_model_flow_get(m, 0);
    ck_assert_uint_eq(f->count, 1);
    ck_assert_uint_eq(f->lat_ns, 900);
    ck_assert(f->completed);
    /* the recv came first (another process's write won the race) */
    msg(m, 3000, "recv", 10, 11, 2, 500);
    ck_assert_uint_eq(m->flow_len, 1);
    msg(m, 2900, "send", 10, 11, 2, 0);
    ck_assert_uint_eq(m->flow_len, 2);
    ck_assert_uint_eq(tui_model_flow_get(m, 1)->lat_ns, 500);
    ck_assert_uint_eq(m->chans[0].msgs, 2);
    ck_assert_uint_eq(m->chans[0].lat_count, 2);
    tui_model_free(m);
}
END_TEST

/* Each process says how many of its events it dropped so far; the screen
 * shows the sum of the latest counts, not of every report. */
START_TEST(test_events_dropped)
{
    tui_model_t *m = tui_model_new();
    const char *lines[] = {
        "{\"v\":1,\"ev\":\"proc\",\"t\":1,\"pid\":10,\"state\":\"start\",\"proc\":10,\"role\":\"parent\"}",
        "{\"v\":1,\"ev\":\"proc\",\"t\":2,\"pid\":11,\"state\":\"start\",\"proc\":11,\"role\":\"child\"}",
        "{\"v\":1,\"ev\":\"stats\",\"t\":3,\"pid\":10,\"chan\":\"ipc\",\"count\":1,\"events_dropped\":5}",
        "{\"v\":1,\"ev\":\"stats\",\"t\":4,\"pid\":11,\"chan\":\"ipc\",\"count\":1,\"events_dropped\":2}",
        "{\"v\":1,\"ev\":\"stats\",\"t\":5,\"pid\":10,\"chan\":\"ipc\",\"count\":1,\"events_dropped\":7}",
        "{\"v\":1,\"ev\":\"bye\",\"t\":6,\"pid\":10,\"text\":\"done\",\"events_dropped\":7}",
    };
    ck_assert_uint_eq(m->events_dropped, 0);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        ck_assert_int_eq(tui_model_feed_line(m, lines[i]), 0);
    ck_assert_uint_eq(m->events_dropped, 9);
    ck_assert_int_eq(m->chans[0].have_loss, 0); /* not a channel's loss */
    tui_model_free(m);
}
END_TEST

/* A key held down sends the same command again and again: its echo is one
 * line with a count, so the explanations stay on screen. A different line,
 * or the same from another process, is a line of its own. */
START_TEST(test_repeated_lines_fold)
{
    tui_model_t *m = tui_model_new();
    const char *step = "{\"v\":1,\"ev\":\"log\",\"t\":1,\"pid\":10,\"text\":\"control: step\"}";
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(tui_model_feed_line(m, step), 0);
    ck_assert_uint_eq(m->log_len, 1);
    ck_assert_int_eq(tui_model_log_get(m, 0)->n, 5);
    tui_model_feed_line(m, "{\"v\":1,\"ev\":\"log\",\"t\":2,\"pid\":11,\"text\":\"control: step\"}");
    tui_model_feed_line(m, "{\"v\":1,\"ev\":\"log\",\"t\":3,\"pid\":10,\"text\":\"why\"}");
    ck_assert_int_eq(tui_model_feed_line(m, step), 0);
    ck_assert_uint_eq(m->log_len, 4);
    ck_assert_int_eq(tui_model_log_get(m, 1)->n, 0); /* once */
    ck_assert_int_eq(tui_model_log_get(m, 3)->n, 0);
    tui_model_free(m);
}
END_TEST

START_TEST(test_recv_only_peer)
{
    /* An outside peer (no send events) still draws arrows from its recvs. */
    tui_model_t *m = tui_model_new();
    feedf(m, "{\"v\":1,\"ev\":\"msg\",\"t\":5,\"pid\":7,\"dir\":\"recv\",\"chan\":\"redis\","
             "\"from\":\"redis-server\",\"to\":7,\"id\":1,\"bytes\":10,\"summary\":\"PONG\"}");
    ck_assert_uint_eq(m->flow_len, 1);
    ck_assert_int_eq(m->nlanes, 2);
    char label[64];
    tui_model_lane_label(m, 0, label, sizeof label);
    ck_assert_str_eq(label, "redis-server");
    tui_model_free(m);
}
END_TEST

START_TEST(test_outside_peer_both_ways)
{
    /* A server talking with nc, a second between exchanges (so that nothing
     * is folded): it reports its recv from nc and its send to nc. Its sends must not make the next recv from nc wait for a send that
     * nc will never report. */
    tui_model_t *m = tui_model_new();
    for (int i = 0; i < 3; i++) {
        feedf(m, "{\"v\":1,\"ev\":\"msg\",\"t\":%d,\"pid\":7,\"dir\":\"recv\",\"chan\":\"c1\","
                 "\"from\":\"nc\",\"to\":7,\"id\":%d,\"bytes\":5,\"summary\":\"hi\"}",
              1000000000 * i + 1, i);
        feedf(m, "{\"v\":1,\"ev\":\"msg\",\"t\":%d,\"pid\":7,\"dir\":\"send\",\"chan\":\"c1\","
                 "\"from\":7,\"to\":\"nc\",\"id\":%d,\"bytes\":9,\"summary\":\"pong: hi\"}",
              1000000000 * i + 2, i);
    }
    ck_assert_uint_eq(m->flow_len, 6);
    ck_assert_uint_eq(m->chans[0].msgs, 6);
    tui_model_free(m);
}
END_TEST

START_TEST(test_lane_label_fit)
{
    setlocale(LC_ALL, "C.UTF-8");
    tui_model_t *m = tui_model_new();
    feedf(m, "{\"v\":1,\"ev\":\"proc\",\"t\":1,\"pid\":897,\"state\":\"start\",\"proc\":897,"
             "\"role\":\"client 12\"}");
    feedf(m, "{\"v\":1,\"ev\":\"proc\",\"t\":1,\"pid\":5,\"state\":\"start\",\"proc\":5,"
             "\"role\":\"父进程\"}");
    msg(m, 10, "send", 897, 5, 1, 0);
    char l[64];
    const struct {
        int cols;
        const char *want;
    } cases[] = {{20, "client 12 897"}, {9, "client 12"}, {8, "clien 12"}, {5, "cl 12"},
                 {4, "c 12"}, {3, "c12"}, {2, "12"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tui_model_lane_label_fit(m, 0, cases[i].cols, l, sizeof l);
        ck_assert_msg(strcmp(l, cases[i].want) == 0, "%d columns: '%s', not '%s'", cases[i].cols,
                      l, cases[i].want);
    }
    tui_model_lane_label_fit(m, 1, 5, l, sizeof l); /* 父进程 is 6 columns: cut whole */
    ck_assert_str_eq(l, "父进");
    feedf(m, "{\"v\":1,\"ev\":\"proc\",\"t\":1,\"pid\":44,\"state\":\"start\",\"proc\":44,"
             "\"role\":\"bad client 5\"}");
    msg(m, 11, "send", 44, 5, 1, 0);
    const struct {
        int cols;
        const char *want;
    } words[] = {{12, "bad client 5"}, {11, "bad 5"}, {5, "bad 5"}, {4, "ba 5"}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        tui_model_lane_label_fit(m, 2, words[i].cols, l, sizeof l);
        ck_assert_msg(strcmp(l, words[i].want) == 0, "%d columns: '%s', not '%s'", words[i].cols,
                      l, words[i].want);
    }
    tui_model_free(m);
}
END_TEST

START_TEST(test_loss_stats)
{
    tui_model_t *m = tui_model_new();
    feedf(m, "{\"v\":1,\"ev\":\"stats\",\"t\":9,\"pid\":7,\"chan\":\"loss\",\"count\":3,"
             "\"bytes\":3000,\"sent\":200,\"received\":3,\"dropped\":197,\"kernel_drops\":197}");
    feedf(m, "{\"v\":1,\"ev\":\"stats\",\"t\":9,\"pid\":7,\"chan\":\"udp1\",\"count\":3,"
             "\"p50\":1000}");
    ck_assert_int_eq(m->nchans, 2);
    ck_assert(m->chans[0].have_loss);
    ck_assert_uint_eq(m->chans[0].sent, 200);
    ck_assert_uint_eq(m->chans[0].received, 3);
    ck_assert_uint_eq(m->chans[0].dropped, 197);
    ck_assert(!m->chans[1].have_loss);
    tui_model_free(m);
}
END_TEST

START_TEST(test_aggregation)
{
    /* 1200 messages in one 100 ms slice: a few arrows, then one folded row. */
    tui_model_t *m = tui_model_new();
    uint64_t t0 = 50 * TUI_MODEL_SLICE_NS;
    for (int i = 1; i <= 1200; i++)
        msg(m, t0 + (uint64_t)i * 50000, "send", 10, 11, i, 0);
    ck_assert_uint_eq(flow_messages(m), 1200);
    ck_assert_uint_eq(m->flow_len, TUI_MODEL_AGG_AFTER);
    const tui_flow_t *last = tui_model_flow_get(m, m->flow_len - 1);
    ck_assert_uint_eq(last->count, 1200 - TUI_MODEL_AGG_AFTER + 1);
    ck_assert_uint_eq(last->bytes, 64 * last->count);
    /* recvs of folded messages add latency to the folded row */
    msg(m, t0 + 70000000, "recv", 10, 11, 1000, 4000);
    ck_assert_uint_eq(last->lat_n, 1);
    ck_assert_uint_eq(last->lat_ns, 4000);
    /* the next slice starts with single arrows again */
    msg(m, t0 + TUI_MODEL_SLICE_NS + 1, "send", 10, 11, 1201, 0);
    ck_assert_uint_eq(m->flow_len, TUI_MODEL_AGG_AFTER + 1);
    ck_assert_uint_eq(tui_model_flow_get(m, m->flow_len - 1)->count, 1);
    tui_model_free(m);
}
END_TEST

START_TEST(test_slow_flow_not_folded)
{
    /* Five a second: every message is its own arrow. */
    tui_model_t *m = tui_model_new();
    for (int i = 1; i <= 50; i++)
        msg(m, (uint64_t)i * 200000000ull, "send", 10, 11, i, 0);
    ck_assert_uint_eq(m->flow_len, 50);
    tui_model_free(m);
}
END_TEST

START_TEST(test_flow_ring)
{
    tui_model_t *m = tui_model_new();
    for (int i = 1; i <= TUI_MODEL_FLOW_ROWS + 10; i++)
        msg(m, (uint64_t)i * TUI_MODEL_SLICE_NS, "send", 10, 11, i, 0);
    ck_assert_uint_eq(m->flow_len, TUI_MODEL_FLOW_ROWS);
    ck_assert_uint_eq(tui_model_flow_get(m, 0)->first_id, 11);
    ck_assert_ptr_null(tui_model_flow_get(m, TUI_MODEL_FLOW_ROWS));
    tui_model_free(m);
}
END_TEST

START_TEST(test_refused)
{
    tui_model_t *m = tui_model_new();
    ck_assert_int_lt(tui_model_feed_line(m, "not json"), 0);
    ck_assert_int_lt(tui_model_feed_line(m, "[1,2]"), 0);
    ck_assert_int_lt(tui_model_feed_line(m, "{\"v\":1,\"ev\":\"log\",\"pid\":1}"), 0); /* no t */
    ck_assert_int_lt(tui_model_feed_line(m, "{\"v\":1,\"ev\":\"zzz\",\"t\":1,\"pid\":1}"), 0);
    ck_assert_int_lt(tui_model_feed_line(m, "{\"v\":1,\"ev\":\"msg\",\"t\":1,\"pid\":1,"
                                            "\"dir\":\"send\",\"from\":[],\"to\":2}"),
                     0);
    ck_assert_int_lt(tui_model_feed_line(m, "{\"v\":1,\"ev\":\"proc\",\"t\":1,\"pid\":1,"
                                            "\"state\":\"exit\",\"proc\":-5}"),
                     0);
    ck_assert_uint_eq(m->refused, 6);
    ck_assert_uint_eq(m->events, 0);
    /* wrong types are read as absent, not trusted */
    feedf(m, "{\"v\":1,\"ev\":\"log\",\"t\":1,\"pid\":1,\"text\":42}");
    ck_assert_str_eq(tui_model_log_get(m, 0)->text, "");
    tui_model_free(m);
}
END_TEST

/* Numbers no integer holds: a pid is refused, other fields are held within
 * range (converting them as they are was undefined behaviour, which make asan
 * reports; found by tests/fuzz/fuzz_events.c). */
START_TEST(test_huge_numbers)
{
    tui_model_t *m = tui_model_new();
    ck_assert_int_lt(tui_model_feed_line(m, "{\"v\":1,\"ev\":\"log\",\"t\":1,\"pid\":1e42}"), 0);
    ck_assert_uint_eq(m->refused, 1);
    feedf(m, "{\"v\":1,\"ev\":\"proc\",\"t\":1,\"pid\":10,\"state\":\"exit\",\"proc\":10,"
             "\"ppid\":1e300,\"code\":-1e300}");
    ck_assert_int_eq(tui_model_proc(m, 10)->ppid, 1000000000);
    ck_assert_int_eq(tui_model_proc(m, 10)->code, INT_MIN);
    feedf(m, "{\"v\":1,\"ev\":\"step\",\"t\":2,\"pid\":10,\"n\":1e30,\"title\":\"x\"}");
    ck_assert_int_eq(m->step_n, INT_MAX);
    feedf(m, "{\"v\":1,\"ev\":\"hello\",\"t\":3,\"pid\":10,\"demo\":\"d\","
             "\"params\":{\"size\":1e300,\"count\":-1e300}}");
    ck_assert_int_eq(m->size, 1000000000000000L);
    ck_assert_int_eq(m->count, 0);
    ck_assert_uint_eq(m->events, 3);
    tui_model_free(m);
}
END_TEST

START_TEST(test_proc_lifecycle)
{
    tui_model_t *m = tui_model_new();
    feedf(m, "{\"v\":1,\"ev\":\"proc\",\"t\":1,\"pid\":10,\"state\":\"start\",\"proc\":10,"
             "\"ppid\":1,\"role\":\"parent\"}");
    feedf(m, "{\"v\":1,\"ev\":\"proc\",\"t\":2,\"pid\":11,\"state\":\"start\",\"proc\":11,"
             "\"ppid\":10,\"role\":\"child\"}");
    feedf(m, "{\"v\":1,\"ev\":\"proc\",\"t\":3,\"pid\":10,\"state\":\"exit\",\"proc\":11,"
             "\"ppid\":10,\"role\":\"child\",\"signal\":\"SIGTERM\"}");
    const tui_proc_t *c = tui_model_proc(m, 11);
    ck_assert_int_eq(c->state, TUI_PROC_EXITED);
    ck_assert_str_eq(c->signal, "SIGTERM");
    ck_assert_uint_eq(c->t_exit, 3);
    /* the dashboard saw the parent exit; a second report changes nothing */
    tui_model_proc_exited(m, 10, 0, "", 4);
    tui_model_proc_exited(m, 10, 1, "SIGKILL", 5);
    ck_assert_int_eq(tui_model_proc(m, 10)->code, 0);
    ck_assert_str_eq(tui_model_proc(m, 10)->signal, "");
    ck_assert(log_has(m, TUI_LOG_PROC_EXIT, "child"));
    tui_model_free(m);
}
END_TEST

/* A process that caught the SIGTERM it was sent and exited 0 is told so; one
 * killed by it keeps its signal. */
START_TEST(test_exit_after_a_signal_sent)
{
    tui_model_t *m = tui_model_new();
    feedf(m, "{\"v\":1,\"ev\":\"proc\",\"t\":1,\"pid\":11,\"state\":\"start\",\"proc\":11}");
    feedf(m, "{\"v\":1,\"ev\":\"proc\",\"t\":1,\"pid\":12,\"state\":\"start\",\"proc\":12}");
    tui_model_signal_sent(m, 11, "SIGTERM");
    tui_model_signal_sent(m, 12, "SIGTERM");
    feedf(m, "{\"v\":1,\"ev\":\"proc\",\"t\":2,\"pid\":10,\"state\":\"exit\",\"proc\":11,"
             "\"code\":0}");
    tui_model_proc_exited(m, 12, 0, "SIGTERM", 3);
    const tui_log_t *caught = tui_model_log_get(m, m->log_len - 2);
    const tui_log_t *killed = tui_model_log_get(m, m->log_len - 1);
    ck_assert_int_eq(caught->kind, TUI_LOG_PROC_EXIT);
    ck_assert(caught->after_signal);
    ck_assert_str_eq(caught->extra, "SIGTERM");
    ck_assert_int_eq(caught->n, 0);
    ck_assert(!killed->after_signal);
    ck_assert_str_eq(killed->extra, "SIGTERM");
    ck_assert_str_eq(tui_model_proc(m, 11)->signal, "");
    ck_assert_str_eq(tui_model_proc(m, 11)->asked, "SIGTERM");
    tui_model_free(m);
}
END_TEST

/* An error is a row of the flow too, on the lane of the process that
 * reported it, so that a fault shows among the messages. */
START_TEST(test_error_row)
{
    tui_model_t *m = tui_model_new();
    msg(m, 10, "send", 1, 2, 1, 0);
    feedf(m, "{\"v\":1,\"ev\":\"error\",\"t\":11,\"pid\":2,\"what\":\"refused\","
             "\"reason\":\"malformed JSON at byte 2\"}");
    ck_assert_uint_eq(m->flow_len, 2);
    const tui_flow_t *f = tui_model_flow_get(m, 1);
    ck_assert(f->error);
    ck_assert_int_eq(f->from, f->to);
    ck_assert_int_eq(m->lanes[f->from].pid, 2);
    ck_assert_str_eq(f->summary, "refused: malformed JSON at byte 2");
    ck_assert_str_eq(f->label, "refused");
    ck_assert(log_has(m, TUI_LOG_ERROR, "malformed"));
    tui_model_free(m);
}
END_TEST

START_TEST(test_sparkline)
{
    tui_model_t *m = tui_model_new();
    uint64_t s = 1000000000ull;
    msg(m, 100 * s, "send", 10, 11, 1, 0);
    msg(m, 100 * s + 1, "recv", 10, 11, 1, 2000);
    msg(m, 102 * s, "send", 10, 11, 2, 0);
    msg(m, 102 * s + 1, "recv", 10, 11, 2, 4000);
    double lat[TUI_MODEL_SPARK];
    uint64_t msgs[TUI_MODEL_SPARK];
    tui_model_spark(m, 0, 102 * s, lat, msgs);
    ck_assert(lat[TUI_MODEL_SPARK - 1] == 4000.0);
    ck_assert(lat[TUI_MODEL_SPARK - 3] == 2000.0);
    ck_assert_uint_eq(msgs[TUI_MODEL_SPARK - 1], 1);
    /* ten seconds later the same samples have moved left */
    tui_model_spark(m, 0, 112 * s, lat, msgs);
    ck_assert(lat[TUI_MODEL_SPARK - 11] == 4000.0);
    ck_assert(lat[TUI_MODEL_SPARK - 1] == 0.0);
    /* and after a minute they are gone */
    tui_model_spark(m, 0, 200 * s, lat, msgs);
    for (int i = 0; i < TUI_MODEL_SPARK; i++)
        ck_assert(lat[i] == 0.0);
    tui_model_free(m);
}
END_TEST

START_TEST(test_log_ring_and_reset)
{
    tui_model_t *m = tui_model_new();
    for (int i = 0; i < TUI_MODEL_LOG_LINES + 5; i++)
        feedf(m, "{\"v\":1,\"ev\":\"log\",\"t\":%d,\"pid\":1,\"text\":\"line %d\"}", i + 1, i);
    ck_assert_uint_eq(m->log_len, TUI_MODEL_LOG_LINES);
    ck_assert_str_eq(tui_model_log_get(m, 0)->text, "line 5");
    msg(m, 1, "send", 1, 2, 1, 0);
    msg(m, 2, "recv", 1, 2, 1, 10);
    tui_model_reset(m);
    ck_assert_uint_eq(m->log_len, 0);
    ck_assert_int_eq(m->nchans, 0);
    tui_model_free(m);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Text and lessons                                                         */
/* ------------------------------------------------------------------------ */

START_TEST(test_text_width_and_wrap)
{
    setlocale(LC_ALL, "C.UTF-8");
    ck_assert_int_eq(tui_text_width("abc"), 3);
    ck_assert_int_eq(tui_text_width("你好"), 4);
    ck_assert_int_eq(tui_text_width("父进程 1234"), 11);
    const char *next;
    /* a closing "）" takes the word before it down whole, never half of "us" */
    size_t cut = tui_text_wrap("一二三四五（5.9 us）六七", 18, &next);
    ck_assert_str_eq(next, "us）六七");
    ck_assert_uint_eq(cut, strlen("一二三四五（5.9"));
    const char *s = "the quick brown fox";
    size_t n = tui_text_wrap(s, 10, &next);
    ck_assert_int_eq((int)n, 9); /* "the quick" */
    ck_assert_str_eq(next, "brown fox");
    s = "中文没有空格也可以换行";
    n = tui_text_wrap(s, 7, &next);
    ck_assert_int_eq((int)n, 9); /* three characters, six columns */
    ck_assert_int_eq(tui_text_width(next), 16);
    s = "中文没有，空格"; /* "，" would start the next line: "有" goes with it */
    n = tui_text_wrap(s, 8, &next);
    ck_assert_int_eq((int)n, 9);
    ck_assert_str_eq(next, "有，空格");
    char buf[32];
    tui_text_ns(buf, sizeof buf, 1500, 1);
    ck_assert_str_eq(buf, "1.5 us");
    tui_text_bytes(buf, sizeof buf, 2048);
    ck_assert_str_eq(buf, "2.0 KiB");
}
END_TEST

/* A cut text leaves room for its ellipsis and never ends inside a number. */
struct rows_seen {
    char text[4][64];
    int n;
};

static void see_row(void *arg, int i, const char *text)
{
    struct rows_seen *r = arg;
    ck_assert_int_eq(i, r->n);
    snprintf(r->text[r->n++ % 4], sizeof r->text[0], "%s", text);
}

/* Text wrapped row by row, as every pane and panel draws it. */
START_TEST(test_text_rows)
{
    struct rows_seen r = {0};
    ck_assert_int_eq(tui_text_rows("abc def ghi", 4, 0, see_row, &r), 3);
    ck_assert_str_eq(r.text[0], "abc");
    ck_assert_str_eq(r.text[1], "def");
    ck_assert_str_eq(r.text[2], "ghi");
    r.n = 0; /* at most two rows: the second takes the rest, for an ellipsis */
    ck_assert_int_eq(tui_text_rows("abc def ghi", 4, 2, see_row, &r), 2);
    ck_assert_str_eq(r.text[1], "def ghi");
    r.n = 0;
    ck_assert_int_eq(tui_text_rows("你好世界", 4, 0, see_row, &r), 2);
    ck_assert_str_eq(r.text[0], "你好");
    ck_assert_str_eq(r.text[1], "世界");
    r.n = 0;
    ck_assert_int_eq(tui_text_rows("", 4, 0, see_row, &r), 0);
    ck_assert_int_eq(tui_text_rows("abc", 0, 0, see_row, &r), 0);
}
END_TEST

START_TEST(test_text_cut)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct { const char *s; int cols; const char *keep; } cases[] = {
        {"ping #297179", 12, "ping #297179"}, /* fits: all of it */
        {"ping #297179", 10, "ping"},
        {"ping #297179", 5, "ping"},
        {"ping #297179", 4, "pin"},
        {"x3 in 100 ms", 9, "x3 in"},
        {"p50 25 µs p99 100 µs", 13, "p50 25 µs"},
        {"1.25 ms", 5, "1.25"},
        {"1.25 ms", 4, ""},
        {"你好世界", 6, "你好"},
        {"你好世界", 4, "你"},
        {"abc", 0, ""},
        {"{\"type\":\"pong\",\"id\":32,\"pad\":\"xx\"}", 20, "{\"type\":\"pong\",\"id\""},
        {"{\"type\":\"pong\",\"id\":32,\"pad\":\"xx\"}", 23, "{\"type\":\"pong\",\"id\":"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t keep = tui_text_cut(cases[i].s, cases[i].cols);
        ck_assert_msg(keep == strlen(cases[i].keep) && !strncmp(cases[i].s, cases[i].keep, keep),
                      "'%s' in %d: kept '%.*s', not '%s'", cases[i].s, cases[i].cols, (int)keep,
                      cases[i].s, cases[i].keep);
    }
}
END_TEST

START_TEST(test_lesson_markdown)
{
    tui_lesson_t l;
    ck_assert_int_eq(tui_lesson_parse("# Title\n\nSome **bold** and `code`\ncontinued.\n\n"
                                      "- one\n- two\n  more\n1. first\n\n```\nint x;\n  y;\n```\n"
                                      "> quoted\n---\n| a | b |\n",
                                      &l),
                     0);
    ck_assert_int_eq(l.lines[0].style, TUI_MD_HEADING1);
    ck_assert_str_eq(l.lines[0].text, "Title");
    ck_assert_int_eq(l.lines[1].style, TUI_MD_BLANK);
    ck_assert_int_eq(l.lines[2].style, TUI_MD_TEXT);
    ck_assert_str_eq(l.lines[2].text, "Some bold and code continued.");
    ck_assert_int_eq(l.lines[4].style, TUI_MD_LIST);
    ck_assert_str_eq(l.lines[4].text, "one");
    ck_assert_str_eq(l.lines[5].text, "two more");
    ck_assert_str_eq(l.lines[6].marker, "1.");
    ck_assert_int_eq(l.lines[8].style, TUI_MD_CODE);
    ck_assert_str_eq(l.lines[8].text, "int x;");
    ck_assert_str_eq(l.lines[9].text, "  y;");
    ck_assert_int_eq(l.lines[10].style, TUI_MD_QUOTE);
    ck_assert_int_eq(l.lines[11].style, TUI_MD_RULE);
    ck_assert_int_eq(l.lines[12].style, TUI_MD_TABLE);
    ck_assert_str_eq(l.lines[12].text, "a\tb");
    tui_lesson_free(&l);

    /* *emphasis* loses both its stars, a lone one stays; a line break
     * between two Chinese characters is no space. */
    ck_assert_int_eq(tui_lesson_parse("a *em* b, *Predict: which fd?* Then 2 * 3.\n\n"
                                      "第一行\n第二行，\nEnglish\n中文\n",
                                      &l),
                     0);
    ck_assert_str_eq(l.lines[0].text, "a em b, Predict: which fd? Then 2 * 3.");
    ck_assert_str_eq(l.lines[2].text, "第一行第二行，English 中文");
    tui_lesson_free(&l);
}
END_TEST

/* A table's rows keep their cells (marks and link addresses removed, an
 * escaped bar kept); the line under the header marks the header. */
START_TEST(test_lesson_table)
{
    setlocale(LC_ALL, "C.UTF-8");
    tui_lesson_t l;
    ck_assert_int_eq(tui_lesson_parse("| Node | man page |\n|---|:--|\n"
                                      "| `fork()` | [fork(2)](https://x/fork.2.html), dup2(2) |\n"
                                      "| a \\| b | 管道 |\n\nafter\n",
                                      &l),
                     0);
    ck_assert_int_eq(l.lines[0].style, TUI_MD_TABLE);
    ck_assert_int_eq(l.lines[0].indent, 1);
    ck_assert_int_eq(l.lines[1].indent, 0);
    ck_assert_str_eq(l.lines[1].text, "fork()\tfork(2), dup2(2)");
    ck_assert_str_eq(l.lines[2].text, "a | b\t管道");
    int widths[8];
    size_t end;
    ck_assert_int_eq(tui_lesson_table(&l, 0, &end, widths, 8), 2);
    ck_assert_uint_eq(end, 3);
    ck_assert_int_eq(widths[0], 6);
    ck_assert_int_eq(widths[1], 16);
    char cell[32];
    tui_lesson_cell(l.lines[2].text, 1, cell, sizeof cell);
    ck_assert_str_eq(cell, "管道");
    tui_lesson_cell(l.lines[2].text, 5, cell, sizeof cell);
    ck_assert_str_eq(cell, "");
    tui_lesson_free(&l);
}
END_TEST

/* A prediction belongs to the numbered step it comes before, or to the
 * "Step N" / "第 N 步" section that holds it; a quote's lines are joined. */
START_TEST(test_lesson_prediction)
{
    tui_lesson_t l;
    char q[256];
    ck_assert_int_eq(tui_lesson_parse("## The steps\n\n> **Predict:** which fd\n> will it be?\n\n"
                                      "1. one\n2. two\n\n   **Predict:** how many reads?\n\n"
                                      "3. three\n\n## Step 4: heads\n\nText. *Predict:* lost?\n\n"
                                      "## 第 5 步：五\n\n先猜：几个？\n\n"
                                      "## 第 6 步：六\n\n> **先猜：**哪一个\n> 先到？\n",
                                      &l),
                     0);
    ck_assert(tui_lesson_prediction(&l, 1, q, sizeof q));
    ck_assert_str_eq(q, "Predict: which fd will it be?");
    ck_assert(!tui_lesson_prediction(&l, 2, q, sizeof q));
    ck_assert(tui_lesson_prediction(&l, 3, q, sizeof q));
    ck_assert_str_eq(q, "Predict: how many reads?");
    ck_assert(tui_lesson_prediction(&l, 4, q, sizeof q));
    ck_assert_str_eq(q, "Predict: lost?");
    ck_assert(tui_lesson_prediction(&l, 5, q, sizeof q));
    ck_assert_str_eq(q, "先猜：几个？");
    ck_assert(tui_lesson_prediction(&l, 6, q, sizeof q));
    ck_assert_str_eq(q, "先猜：哪一个先到？"); /* Chinese lines join without a space */
    ck_assert(!tui_lesson_prediction(&l, 7, q, sizeof q));
    tui_lesson_free(&l);
}
END_TEST

START_TEST(test_lesson_files)
{
    /* The project's own lessons parse, whatever they hold. */
    const char *top = getenv("TOP");
    char path[1024];
    snprintf(path, sizeof path, "%s/docs/lessons/fork-ipc.md", top && *top ? top : ".");
    tui_lesson_t l;
    int r = tui_lesson_load(path, &l);
    if (r == -ENOENT)
        return; /* not written yet */
    ck_assert_int_eq(r, 0);
    ck_assert_uint_gt(l.n, 0);
    tui_lesson_free(&l);
    ck_assert_int_lt(tui_lesson_load("/nonexistent/x.md", &l), 0);
}
END_TEST

/* Arrows too narrow for their summary say what the message is. */
START_TEST(test_short_labels)
{
    static const struct {
        const char *summary;
        uint64_t id;
        const char *want;
    } cases[] = {
        {"{\"type\":\"ping\",\"id\":12,\"t\":1,\"pad\":\"xx\"}", 12, "ping #12"},
        {"{\"id\":1,\"action\":\"getUser\",\"params\":{\"id\":123}}", 1, "getUser #1"},
        {"{\"id\":2,\"status\":\"success\",\"data\":{}}", 2, "success #2"},
        {"{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Server\",\"msg\":{}}", 0, "NODE_HANDLE"},
        {"{\"cmd\":\"NODE_CLUSTER\",\"act\":\"online\",\"seq\":0}", 1, "node:online #1"},
        {"{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Native\",\"msg\":{\"cmd\":\"NODE_CLUSTER\",\"act\":\"newconn\",\"key\":\"1\xe2\x80\xa6",
         4, "node:newconn #4"}, /* cut */
        {"{\"cmd\":\"NODE_CLUSTER\",\"ack\":2,\"accepted\":true,\"seq\":3}", 0, "node:ack"},
        {"{\"cmd\":\"NODE_CLUSTER\",\"errno\":null,\"key\":\"127.0.0.1:0:4:undefi\xe2\x80\xa6", 0, "node:ack"},
        {"{\"hello\":\"world\"}", 0, "hello"},
        {"{\"received\":true}", 0, "received"},
        {"{\"type\":\"pong\",\"id\":7,\"pad\":\"xxxxxxxx\xe2\x80\xa6", 7, "pong #7"}, /* cut */
        {"{\"data\":[1,2,3\xe2\x80\xa6", 0, "data"},                                  /* cut */
        {"hello from child 42, on a socket", 0, "hello from child 42, on a socket"},
        {"{\"类型\":\"你好\"}", 3, "类型 #3"},
        {"", 0, ""},
        {"{", 0, "{"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[48];
        tui_model_short_label(cases[i].summary, cases[i].id, out, sizeof out);
        ck_assert_msg(strcmp(out, cases[i].want) == 0, "case %zu: '%s' gave '%s', want '%s'", i,
                      cases[i].summary, out, cases[i].want);
    }
}
END_TEST

/* The version rule: events of another version are refused, not misread. */
START_TEST(test_version_rule)
{
    tui_model_t *m = tui_model_new();
    ck_assert_int_eq(tui_model_feed_line(m, "{\"v\":1,\"ev\":\"log\",\"t\":5,\"pid\":7,\"text\":\"a\"}"), 0);
    ck_assert_int_eq(tui_model_feed_line(m, "{\"v\":2,\"ev\":\"log\",\"t\":6,\"pid\":7,\"text\":\"b\"}"),
                     -EPROTONOSUPPORT);
    ck_assert_int_eq(tui_model_feed_line(m, "{\"ev\":\"log\",\"t\":6,\"pid\":7,\"text\":\"c\"}"), -EINVAL);
    ck_assert_uint_eq(m->refused, 2);
    ck_assert_uint_eq(m->events, 1);
    tui_model_free(m);
}
END_TEST

static Suite *model_suite(void)
{
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("streams");
    tcase_add_test(tc, test_fakedemo_stream);
    tcase_add_test(tc, test_fork_ipc_stream);
    tcase_add_test(tc, test_cjk_stream);
    suite_add_tcase(s, tc);

    tc = tcase_create("flow");
    tcase_add_test(tc, test_send_recv_pair);
    tcase_add_test(tc, test_short_labels);
    tcase_add_test(tc, test_recv_only_peer);
    tcase_add_test(tc, test_outside_peer_both_ways);
    tcase_add_test(tc, test_lane_label_fit);
    tcase_add_test(tc, test_loss_stats);
    tcase_add_test(tc, test_events_dropped);
    tcase_add_test(tc, test_repeated_lines_fold);
    tcase_add_test(tc, test_aggregation);
    tcase_add_test(tc, test_slow_flow_not_folded);
    tcase_add_test(tc, test_flow_ring);
    suite_add_tcase(s, tc);

    tc = tcase_create("state");
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_version_rule);
    tcase_add_test(tc, test_huge_numbers);
    tcase_add_test(tc, test_proc_lifecycle);
    tcase_add_test(tc, test_exit_after_a_signal_sent);
    tcase_add_test(tc, test_error_row);
    tcase_add_test(tc, test_sparkline);
    tcase_add_test(tc, test_log_ring_and_reset);
    suite_add_tcase(s, tc);

    tc = tcase_create("text");
    tcase_add_test(tc, test_text_width_and_wrap);
    tcase_add_test(tc, test_text_cut);
    tcase_add_test(tc, test_text_rows);
    tcase_add_test(tc, test_lesson_table);
    tcase_add_test(tc, test_lesson_markdown);
    tcase_add_test(tc, test_lesson_prediction);
    tcase_add_test(tc, test_lesson_files);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(model_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
