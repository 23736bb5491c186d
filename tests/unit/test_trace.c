/* Unit tests of lib/trace.c: a message site's event (ids counted each way,
 * ends swapped for a receive, the summary), round trips into the histogram,
 * chan open and close, figures sent as JSON and added back, and refusal of
 * figures that are not a trace's.
 *
 * Events go to a pipe that the test reads back, so what a site emits is
 * checked exactly; sampling is off so every message is seen.
 */
#include "trace.h"
#include "channel.h"
#include "spawn.h"

#include <check.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int rfd = -1;

static void setup(void)
{
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    rfd = p[0];
    ck_assert_int_eq(scope_events_open_fd(p[1], SCOPE_EVENTS_JSON, "test"), 0);
    scope_events_set_msg_rate(0);
}

static void teardown(void)
{
    scope_events_close();
    close(rfd);
}

/* The next event line from the pipe, parsed; NULL when there is none. */
static cJSON *next_event(void)
{
    static char buf[65536];
    static size_t have;
    for (;;) {
        char *nl = memchr(buf, '\n', have);
        if (nl) {
            *nl = '\0';
            cJSON *e = cJSON_Parse(buf);
            size_t used = (size_t)(nl - buf) + 1;
            memmove(buf, nl + 1, have - used);
            have -= used;
            return e;
        }
        ssize_t n = read(rfd, buf + have, sizeof buf - have);
        if (n <= 0)
            return NULL;
        have += (size_t)n;
    }
}

static const char *s(const cJSON *e, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double n(const cJSON *e, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

START_TEST(send_and_receive_count_ids_each_way)
{
    scope_trace_t t;
    scope_trace_init(&t, "tcp", SCOPE_PID(100), SCOPE_PID(200));
    ck_assert_uint_eq(scope_trace_send(&t, "ping 1\n", 7), 1);
    ck_assert_uint_eq(scope_trace_send(&t, "ping 2\n", 7), 2);
    ck_assert_uint_eq(scope_trace_recv(&t, "pong 1\n", 7), 1);

    cJSON *e = next_event();
    ck_assert_str_eq(s(e, "ev"), "msg");
    ck_assert_str_eq(s(e, "dir"), "send");
    ck_assert_str_eq(s(e, "chan"), "tcp");
    ck_assert_int_eq((int)n(e, "from"), 100);
    ck_assert_int_eq((int)n(e, "to"), 200);
    ck_assert_int_eq((int)n(e, "id"), 1);
    ck_assert_int_eq((int)n(e, "bytes"), 7);
    ck_assert_str_eq(s(e, "summary"), "ping 1");
    cJSON_Delete(e);
    cJSON_Delete(next_event());
    e = next_event();
    ck_assert_str_eq(s(e, "dir"), "recv");
    ck_assert_int_eq((int)n(e, "from"), 200); /* a receive comes from the peer */
    ck_assert_int_eq((int)n(e, "to"), 100);
    ck_assert_int_eq((int)n(e, "id"), 1);
    cJSON_Delete(e);
    ck_assert_uint_eq(t.sent, 2);
    ck_assert_uint_eq(t.received, 1);
    ck_assert_uint_eq(t.bytes_sent, 14);
}
END_TEST

START_TEST(reply_counts_a_round_trip)
{
    scope_trace_t t;
    scope_trace_init(&t, "ipc", SCOPE_PID(1), SCOPE_PEER("node"));
    scope_trace_reply(&t, "pong", 4, 25000);
    scope_trace_reply(&t, "pong", 4, 35000);
    scope_trace_recv(&t, "note", 4); /* not a round trip */
    ck_assert_uint_eq(t.latency.count, 2);
    ck_assert_uint_eq(t.latency.min, 25000);
    ck_assert_uint_eq(t.latency.max, 35000);
    cJSON *e = next_event();
    ck_assert_int_eq((int)n(e, "lat"), 25000);
    ck_assert_str_eq(s(e, "from"), "node");
    cJSON_Delete(e);
}
END_TEST

START_TEST(framing_bytes_count_on_the_wire_only)
{
    scope_trace_t t;
    scope_trace_init(&t, "tcp", SCOPE_PID(1), SCOPE_PID(2));
    t.framing_bytes = 4; /* a length header */
    scope_trace_send(&t, "abc", 3);
    cJSON *e = next_event();
    ck_assert_int_eq((int)n(e, "bytes"), 7);
    ck_assert_str_eq(s(e, "summary"), "abc"); /* nothing read past the data */
    cJSON_Delete(e);
    ck_assert_uint_eq(t.bytes_sent, 7);
}
END_TEST

START_TEST(a_note_tells_a_message_by_its_label)
{
    scope_trace_t t;
    scope_trace_init(&t, "tput", SCOPE_PID(1), SCOPE_PID(2));
    ck_assert_uint_eq(scope_trace_note(&t, SCOPE_TRACE_SEND, "chunk 1", 65536), 1);
    cJSON *e = next_event();
    ck_assert_int_eq((int)n(e, "bytes"), 65536);
    ck_assert_str_eq(s(e, "summary"), "chunk 1");
    cJSON_Delete(e);
    ck_assert_uint_eq(t.bytes_sent, 65536);
}
END_TEST

START_TEST(explicit_ids_are_kept)
{
    scope_trace_t t;
    scope_trace_init(&t, "udp", SCOPE_PID(1), SCOPE_PEER("127.0.0.1:9"));
    ck_assert_uint_eq(scope_trace_msg(&t, SCOPE_TRACE_RECV, 42, "x", 1, 0), 42);
    cJSON *e = next_event();
    ck_assert_int_eq((int)n(e, "id"), 42);
    ck_assert_str_eq(s(e, "from"), "127.0.0.1:9");
    cJSON_Delete(e);
}
END_TEST

START_TEST(summary_is_the_first_line_printable_and_cut)
{
    char out[SCOPE_TRACE_SUMMARY + 4];
    scope_trace_summarize(out, sizeof out, "hello\nworld\n", 12);
    ck_assert_str_eq(out, "hello...");
    scope_trace_summarize(out, sizeof out, "a\tb\x01", 4);
    ck_assert_str_eq(out, "a.b.");
    scope_trace_summarize(out, sizeof out, "one line\n", 9);
    ck_assert_str_eq(out, "one line");
    char big[300];
    memset(big, 'x', sizeof big);
    scope_trace_summarize(out, sizeof out, big, sizeof big);
    ck_assert_uint_le(strlen(out), SCOPE_TRACE_SUMMARY);
    ck_assert(strstr(out, "…") != NULL);
    /* Nothing from a peer acts on a terminal or breaks a JSON line: C1
     * (0x9b is a terminal's CSI, also as UTF-8 c2 9b), an escape, bytes that
     * are not UTF-8, an overlong '/', a surrogate. */
    scope_trace_summarize(out, sizeof out, "a\x9b" "b\xc2\x9b" "c\x1b[2Jd\xff\xfe" "e\xc0\xaf"
                          "f\xed\xa0\x80" "g", 21);
    ck_assert_str_eq(out, "a.b..c.[2Jd..e..f...g");
    scope_trace_summarize(out, sizeof out, "\xe4\xb8", 2); /* a character cut short */
    ck_assert_str_eq(out, "..");
    scope_trace_summarize(out, sizeof out, "caf\xc3\xa9 \xf0\x9f\x99\x82", 10);
    ck_assert_str_eq(out, "café 🙂");
    scope_trace_summarize(out, sizeof out, NULL, 5);
    ck_assert_str_eq(out, "");
    /* A cut never splits a UTF-8 character. */
    char cjk[200] = "";
    for (int i = 0; i < 60; i++)
        strcat(cjk, "中");
    scope_trace_summarize(out, sizeof out, cjk, strlen(cjk));
    ck_assert_int_eq(strlen(out) % 3, 0);
}
END_TEST

START_TEST(json_messages_are_printed_and_sized)
{
    scope_trace_t t;
    scope_trace_init(&t, "ipc", SCOPE_PID(1), SCOPE_PID(2));
    cJSON *m = cJSON_Parse("{\"hello\":\"world\"}");
    ck_assert_uint_eq(scope_trace_send_json(&t, m, 0), 1);
    cJSON *e = next_event();
    ck_assert_str_eq(s(e, "summary"), "{\"hello\":\"world\"}");
    ck_assert_int_eq((int)n(e, "bytes"), 18); /* the line and its newline */
    cJSON_Delete(e);
    scope_trace_recv_json(&t, m, 99, 1000);
    e = next_event();
    ck_assert_int_eq((int)n(e, "bytes"), 99);
    ck_assert_int_eq((int)n(e, "lat"), 1000);
    cJSON_Delete(e);
    cJSON_Delete(m);
}
END_TEST

START_TEST(open_and_close_frame_the_channel)
{
    scope_trace_t t;
    scope_trace_init(&t, "unix", SCOPE_PID(1), SCOPE_PID(2));
    scope_trace_close(&t); /* never opened: nothing */
    scope_trace_open(&t, "unix", "a path");
    scope_trace_close(&t);
    scope_trace_close(&t); /* twice: once */
    cJSON *e = next_event();
    ck_assert_str_eq(s(e, "ev"), "chan");
    ck_assert_str_eq(s(e, "state"), "open");
    ck_assert_str_eq(s(e, "kind"), "unix");
    cJSON_Delete(e);
    e = next_event();
    ck_assert_str_eq(s(e, "state"), "close");
    cJSON_Delete(e);
    ck_assert_ptr_null(next_event());
}
END_TEST

START_TEST(stats_timer_ends_with_last_figures)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_trace_t t;
    scope_trace_init(&t, "tcp", SCOPE_PID(1), SCOPE_PID(2));
    scope_trace_reply(&t, "x", 1, 5000);
    cJSON_Delete(next_event());
    ck_assert_int_eq(scope_trace_stats_start(&t, &loop, 100000), 0);
    /* The timer alone does not keep the loop alive. */
    ck_assert_int_eq(uv_run(&loop, UV_RUN_NOWAIT), 0);
    scope_trace_stats_stop(&t);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
    cJSON *e = next_event();
    ck_assert_str_eq(s(e, "ev"), "stats");
    ck_assert_int_eq((int)n(e, "count"), 1);
    cJSON_Delete(e);
}
END_TEST

/* A lossy one-way channel's stats: its counts, what was dropped, and the
 * caller's own figures. */
START_TEST(loss_stats_count_what_never_came)
{
    scope_trace_t t;
    scope_trace_init(&t, "probe", SCOPE_PID(1), SCOPE_PID(2));
    scope_trace_recv(&t, "abc", 3);
    scope_trace_recv(&t, "de", 2);
    cJSON_Delete(next_event());
    cJSON_Delete(next_event());
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddNumberToObject(extra, "kernel_drops", 3);
    scope_trace_stats_loss(&t, 5, extra, 1);
    cJSON *e = next_event();
    ck_assert_str_eq(s(e, "ev"), "stats");
    ck_assert_str_eq(s(e, "chan"), "probe");
    ck_assert(n(e, "count") == 2 && n(e, "received") == 2 && n(e, "bytes") == 5);
    ck_assert(n(e, "sent") == 5 && n(e, "dropped") == 3 && n(e, "kernel_drops") == 3);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "final")));
    cJSON_Delete(e);
    scope_trace_stats_loss(&t, 1, NULL, 0); /* more received than sent: none dropped */
    e = next_event();
    ck_assert(n(e, "dropped") == 0);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(e, "final")));
    cJSON_Delete(e);
}
END_TEST

/* A change of rate or size starts the stats' window again; the whole run's
 * figures (the bye's) keep every round trip. */
START_TEST(a_new_window_starts_the_stats_again)
{
    scope_trace_t t;
    scope_trace_init(&t, "ipc", SCOPE_PID(1), SCOPE_PID(2));
    scope_trace_reply(&t, "pong", 4, 25000);
    scope_trace_reply(&t, "pong", 4, 35000);
    scope_trace_stats(&t);
    cJSON_Delete(next_event());
    cJSON_Delete(next_event());
    cJSON *e = next_event();
    ck_assert_str_eq(s(e, "ev"), "stats");
    ck_assert_int_eq((int)n(e, "count"), 2);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(e, "since")); /* the whole run */
    cJSON_Delete(e);

    scope_events_new_window();
    scope_trace_stats(&t); /* nothing in the new window yet */
    e = next_event();
    ck_assert_int_eq((int)n(e, "count"), 0);
    ck_assert(n(e, "since") > 0);
    cJSON_Delete(e);
    scope_trace_reply(&t, "pong", 4, 900000);
    scope_trace_stats(&t);
    cJSON_Delete(next_event());
    e = next_event();
    ck_assert_int_eq((int)n(e, "count"), 1);
    ck_assert_int_eq((int)n(e, "p50"), (int)n(e, "max"));
    ck_assert(n(e, "since") > 0);
    cJSON_Delete(e);
    ck_assert_uint_eq(t.latency.count, 3);
}
END_TEST

/* A lesson step begins a window of its own, and says which step it was; a
 * change of rate afterwards is a plain window again. */
START_TEST(a_lesson_step_starts_a_window_named_by_its_number)
{
    scope_trace_t t;
    scope_trace_init(&t, "ipc", SCOPE_PID(1), SCOPE_PID(2));
    scope_events_new_step_window(3);
    scope_trace_stats(&t);
    cJSON *e = next_event();
    ck_assert(n(e, "since") > 0);
    ck_assert_int_eq((int)n(e, "since_step"), 3);
    cJSON_Delete(e);
    scope_events_new_window();
    scope_trace_stats(&t);
    e = next_event();
    ck_assert(n(e, "since") > 0);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(e, "since_step"));
    cJSON_Delete(e);
}
END_TEST

/* A JSON message's own "id" (a whole number from 1) is its trace id. */
START_TEST(a_json_message_is_traced_by_its_own_id)
{
    const char *with[] = {"{\"type\":\"ping\",\"id\":7}", "{\"id\":1}"};
    const char *without[] = {"{\"id\":0}", "{\"id\":-3}", "{\"id\":1.5}", "{\"id\":\"7\"}",
                             "{\"type\":\"ping\"}", "{\"id\":1e300}"};
    cJSON *m = cJSON_Parse(with[0]);
    ck_assert_uint_eq(scope_trace_json_id(m), 7);
    scope_trace_t t;
    scope_trace_init(&t, "ipc", SCOPE_PID(1), SCOPE_PID(2));
    ck_assert_uint_eq(scope_trace_send_json(&t, m, 0), 7);
    cJSON_Delete(m);
    m = cJSON_Parse(with[1]);
    ck_assert_uint_eq(scope_trace_json_id(m), 1);
    cJSON_Delete(m);
    for (size_t i = 0; i < sizeof without / sizeof without[0]; i++) {
        m = cJSON_Parse(without[i]);
        ck_assert_msg(scope_trace_json_id(m) == 0, "%s", without[i]);
        cJSON_Delete(m);
    }
}
END_TEST

START_TEST(a_bye_says_the_same_of_every_trace)
{
    scope_trace_t t;
    scope_trace_init(&t, "tcp", SCOPE_PID(1), SCOPE_PID(2));
    char text[128];
    ck_assert_str_eq(scope_trace_describe(&t, text, sizeof text), "no round trip measured");
    for (int i = 1; i <= 4; i++) {
        scope_trace_send(&t, "p", 1);
        scope_trace_reply(&t, "q", 1, (uint64_t)i * 10); /* exact in the histogram */
    }
    cJSON *o = cJSON_CreateObject();
    scope_trace_add_summary(&t, o);
    ck_assert_int_eq((int)n(o, "sent"), 4);
    ck_assert_int_eq((int)n(o, "received"), 4);
    ck_assert_int_eq((int)n(o, "round_trips"), 4);
    ck_assert_int_eq((int)n(o, "p50"), 20);
    ck_assert_int_eq((int)n(o, "p99"), 40);
    cJSON_Delete(o);
    ck_assert_str_eq(scope_trace_describe(&t, text, sizeof text),
                     "4 round trips, median 20 ns, p99 40 ns");
}
END_TEST

START_TEST(figures_travel_and_add_up)
{
    scope_trace_t a, b, sum;
    scope_trace_init(&a, "c1", SCOPE_PID(1), SCOPE_PID(2));
    scope_trace_init(&b, "c2", SCOPE_PID(3), SCOPE_PID(2));
    scope_trace_init(&sum, "all", SCOPE_PID(2), SCOPE_PEER("clients"));
    for (uint64_t i = 1; i <= 100; i++) {
        scope_trace_send(&a, "p", 1);
        scope_trace_reply(&a, "q", 1, i * 1000);
    }
    scope_trace_send(&b, "p", 1);
    scope_trace_reply(&b, "q", 1, 7);

    /* Through text, as over the relay. */
    cJSON *fa = scope_trace_figures(&a), *fb = scope_trace_figures(&b);
    char *ta = cJSON_PrintUnformatted(fa), *tb = cJSON_PrintUnformatted(fb);
    cJSON *ra = cJSON_Parse(ta), *rb = cJSON_Parse(tb);
    ck_assert_int_eq(scope_trace_add_figures(&sum, ra), 0);
    ck_assert_int_eq(scope_trace_add_figures(&sum, rb), 0);
    ck_assert_uint_eq(sum.sent, 101);
    ck_assert_uint_eq(sum.received, 101);
    ck_assert_uint_eq(sum.latency.count, 101);
    ck_assert_uint_eq(sum.latency.min, 7);
    ck_assert_uint_eq(sum.latency.max, 100000);
    ck_assert_uint_eq(scope_hist_percentile(&sum.latency, 50), scope_hist_percentile(&a.latency, 50));
    ck_assert_uint_eq(sum.first_ns, a.first_ns < b.first_ns ? a.first_ns : b.first_ns);
    cJSON_Delete(fa);
    cJSON_Delete(fb);
    cJSON_Delete(ra);
    cJSON_Delete(rb);
    cJSON_free(ta);
    cJSON_free(tb);
}
END_TEST

START_TEST(bad_figures_change_nothing)
{
    scope_trace_t t;
    scope_trace_init(&t, "all", SCOPE_PID(1), SCOPE_PID(2));
    const char *bad[] = {
        "{}",
        "{\"sent\":1,\"received\":1,\"bytes_sent\":1,\"bytes_received\":1,\"first_ns\":1,"
        "\"last_ns\":1}",
        "{\"sent\":1,\"received\":1,\"bytes_sent\":1,\"bytes_received\":1,\"first_ns\":1,"
        "\"last_ns\":1,\"latency\":{\"count\":2,\"min\":1,\"max\":1,\"sum\":2,"
        "\"buckets\":[[1,1]]}}", /* counts disagree */
        "{\"sent\":1,\"received\":1,\"bytes_sent\":1,\"bytes_received\":1,\"first_ns\":1,"
        "\"last_ns\":1,\"latency\":{\"count\":1,\"min\":1,\"max\":1,\"sum\":1,"
        "\"buckets\":[[999999,1]]}}", /* no such bucket */
        "{\"sent\":-1,\"received\":1,\"bytes_sent\":1,\"bytes_received\":1,\"first_ns\":1,"
        "\"last_ns\":1,\"latency\":{\"count\":0,\"min\":0,\"max\":0,\"sum\":0,\"buckets\":[]}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *j = cJSON_Parse(bad[i]);
        ck_assert_int_eq(scope_trace_add_figures(&t, j), -EINVAL);
        cJSON_Delete(j);
    }
    ck_assert_uint_eq(t.sent, 0);
    ck_assert_uint_eq(t.latency.count, 0);
    ck_assert_int_eq(scope_trace_add_figures(&t, NULL), -EINVAL);
}
END_TEST

/* A channel given a trace tells each message it sends, with the very line
 * it writes; Node's internal messages are not the lesson's and stay out. */
START_TEST(channel_traces_what_it_sends)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    scope_trace_t t;
    scope_trace_init(&t, "ipc", SCOPE_PID(1), SCOPE_PID(2));
    scope_channel_t ch = {.trace = &t};
    ck_assert_int_eq(scope_channel_open(&loop, &ch, sv[0]), 0);
    cJSON *m = cJSON_Parse("{\"hello\":\"world\"}");
    ck_assert_int_eq(scope_channel_send(&ch, m), 18);
    cJSON *ack = cJSON_Parse("{\"cmd\":\"NODE_HANDLE_ACK\"}");
    scope_channel_send(&ch, ack);
    cJSON *e = next_event();
    ck_assert_str_eq(s(e, "dir"), "send");
    ck_assert_str_eq(s(e, "summary"), "{\"hello\":\"world\"}");
    ck_assert_int_eq((int)n(e, "bytes"), 18);
    cJSON_Delete(e);
    ck_assert_ptr_null(next_event()); /* the ACK was not traced */
    ck_assert_uint_eq(t.sent, 1);
    cJSON_Delete(m);
    cJSON_Delete(ack);
    scope_channel_close(&ch);
    uv_run(&loop, UV_RUN_DEFAULT);
    close(sv[1]);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* A program that reports nothing itself (cat, sh) is reported by lib/spawn
 * when it is given a name: a proc start and a proc exit. */
static void on_true_exit(scope_child_t *c, int code, int sig)
{
    (void)c;
    (void)code;
    (void)sig;
}

START_TEST(spawn_reports_a_named_program)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    scope_child_t c = {0};
    char *argv[] = {"true", NULL};
    scope_spawn_options_t o = {.file = "true", .argv = argv, .name = "true(1)"};
    ck_assert_int_eq(scope_spawn(&loop, &c, &o, on_true_exit), 0);
    while (c.running)
        uv_run(&loop, UV_RUN_ONCE);
    scope_spawn_shutdown(&loop);
    uv_run(&loop, UV_RUN_NOWAIT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
    cJSON *e = next_event();
    ck_assert_str_eq(s(e, "ev"), "proc");
    ck_assert_str_eq(s(e, "state"), "start");
    ck_assert_str_eq(s(e, "role"), "true(1)");
    ck_assert_int_eq((int)n(e, "proc"), c.pid);
    cJSON_Delete(e);
    e = next_event();
    ck_assert_str_eq(s(e, "state"), "exit");
    ck_assert_int_eq((int)n(e, "code"), 0);
    cJSON_Delete(e);

    char path[4096];
    ck_assert_int_eq(scope_spawn_beside("x.js", path, sizeof path), 0);
    ck_assert(strstr(path, "/tests/x.js") != NULL); /* beside build/tests/test_trace */
}
END_TEST

int main(void)
{
    Suite *su = suite_create("trace");
    TCase *tc = tcase_create("trace");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, send_and_receive_count_ids_each_way);
    tcase_add_test(tc, reply_counts_a_round_trip);
    tcase_add_test(tc, explicit_ids_are_kept);
    tcase_add_test(tc, a_note_tells_a_message_by_its_label);
    tcase_add_test(tc, framing_bytes_count_on_the_wire_only);
    tcase_add_test(tc, summary_is_the_first_line_printable_and_cut);
    tcase_add_test(tc, json_messages_are_printed_and_sized);
    tcase_add_test(tc, open_and_close_frame_the_channel);
    tcase_add_test(tc, stats_timer_ends_with_last_figures);
    tcase_add_test(tc, figures_travel_and_add_up);
    tcase_add_test(tc, a_new_window_starts_the_stats_again);
    tcase_add_test(tc, a_lesson_step_starts_a_window_named_by_its_number);
    tcase_add_test(tc, loss_stats_count_what_never_came);
    tcase_add_test(tc, a_json_message_is_traced_by_its_own_id);
    tcase_add_test(tc, a_bye_says_the_same_of_every_trace);
    tcase_add_test(tc, bad_figures_change_nothing);
    tcase_add_test(tc, channel_traces_what_it_sends);
    tcase_add_test(tc, spawn_reports_a_named_program);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
