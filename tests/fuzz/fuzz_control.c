/* libFuzzer target for lib/demo.c's control commands: the NDJSON lines a
 * dashboard writes on IPCSCOPE_CONTROL_FD, or a first process relays to its
 * roles ({"cmd":"pause"}, "resume", "step", "rate" with "hz", "size" with
 * "bytes", "fault" with "kind", "quit"), with any fields of any type.
 *
 *   make fuzz            (or by hand, after `make BUILD=build-fuzz ...`:)
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ilib \
 *       -I/usr/include/cjson tests/fuzz/fuzz_control.c build-fuzz/libipcscope.a \
 *       -luv -lcjson -lm -o fuzz_control
 *   ./fuzz_control -max_total_time=60 corpus_dir/
 *
 * Each input gets a fresh demo, as a demo's main() makes it: scope_demo_parse
 * on a fixed command line, a real uv loop (uv_loop_init), events opened on
 * /dev/null as JSON, a pacer sending --count messages and a three-step lesson
 * under way. The lines go through the decoder the control channel uses
 * (scope_ndjson, 64 KiB lines) to scope_demo_apply_control, as
 * on_control_read does, and the loop turns between chunks of them, so that
 * timers, steps and parked messages move while commands arrive.
 *
 * Input layout: byte 0 picks the command line and the set-up (bit 0: --step;
 * bit 1: --role, a process started by lib/role; bit 2: a relay to roles is
 * set, as lib/role sets one in the first process); byte 1 is the largest
 * chunk size minus one, bytes 2-3 seed the chunk sizes; the rest is the
 * control stream.
 *
 * What must hold:
 *   - no crash, no leak, no use of a closed handle;
 *   - after every command: 0 <= rate <= 1000000 (what "rate" and --rate
 *     accept) and 1 <= size <= SCOPE_DEMO_MAX_SIZE (lib/demo.h), fault a
 *     NUL-terminated string, step credits never negative;
 *   - on_quit is called at most once, however many "quit" lines come, and a
 *     relay passes on exactly one quit;
 *   - on_control and the relay see only the seven commands, with a "cmd"
 *     string;
 *   - once stopped, the loop closes: no handle left open (uv_loop_close 0).
 * A violation aborts, which libFuzzer reports as a crash.
 */
#include "demo.h"
#include "events.h"

#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const scope_demo_info_t info = {
    "fuzz-control", "control commands, any bytes", "a demo that only takes commands", "",
    "", "drop slow crash"};

/* What one input's run saw. */
typedef struct {
    scope_demo_t demo;
    scope_pacer_t pacer;
    long sent;
    int quits, relayed_quits, controls, lesson_ended;
} run_t;

static void check_state(const scope_demo_t *d)
{
    CHECK(isfinite(d->rate) && d->rate >= 0 && d->rate <= 1e6);
    CHECK(d->size >= 1 && d->size <= SCOPE_DEMO_MAX_SIZE);
    CHECK(memchr(d->fault, '\0', sizeof d->fault) != NULL);
    CHECK(d->step_credits >= 0);
}

static int is_command(const char *c)
{
    static const char *const known[] = {"pause", "resume", "step", "rate",
                                        "size",  "fault",  "quit"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(c, known[i]) == 0)
            return 1;
    return 0;
}

static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    run_t *r = scope_container_of(d, run_t, demo);
    CHECK(is_command(cmd) && strcmp(cmd, "quit") != 0); /* quit goes to on_quit */
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(msg, "cmd");
    CHECK(cJSON_IsString(c) && strcmp(c->valuestring, cmd) == 0);
    check_state(d);
    r->controls++;
}

static void relay(scope_demo_t *d, const cJSON *msg)
{
    run_t *r = scope_container_of(d, run_t, demo);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(msg, "cmd");
    CHECK(cJSON_IsString(c) && is_command(c->valuestring));
    if (strcmp(c->valuestring, "quit") == 0)
        r->relayed_quits++;
}

static void on_quit(scope_demo_t *d)
{
    run_t *r = scope_container_of(d, run_t, demo);
    r->quits++;
    CHECK(r->quits == 1);
    scope_demo_stop(d); /* as a demo winds down: its handles close */
}

static void send_one(scope_pacer_t *p)
{
    run_t *r = p->data;
    r->sent++;
    if (!r->demo.quitting && r->sent < r->demo.count)
        scope_pacer_next(p, send_one);
}

static void step_over(scope_demo_t *d)
{
    scope_demo_next(d); /* a step with nothing to wait for */
}

static void lesson_end(scope_demo_t *d)
{
    scope_container_of(d, run_t, demo)->lesson_ended++;
}

static const scope_demo_lesson_t lesson[] = {
    {"one", step_over}, {"two", step_over}, {"three", step_over}, {NULL, NULL}};

/* scope_demo_start, less what would take libFuzzer's own signals (SIGINT,
 * SIGTERM) and the control fd: the same handles, so that scope_demo_stop
 * closes them as it would in a demo. */
static void start(scope_demo_t *d, uv_loop_t *loop)
{
    d->loop = loop;
    CHECK(uv_signal_init(loop, &d->sigint) == 0);
    CHECK(uv_signal_init(loop, &d->sigterm) == 0);
    d->sigint.data = d->sigterm.data = d;
    CHECK(uv_timer_init(loop, &d->step.timer) == 0);
    d->step.timer.data = d;
    uv_unref((uv_handle_t *)&d->step.timer);
}

static void on_line(void *arg, cJSON *value, const char *line, size_t len)
{
    (void)line;
    (void)len;
    scope_demo_apply_control(arg, value);
    check_state(arg);
}

static void on_bad_line(void *arg, const scope_frame_error_t *err)
{
    (void)arg;
    CHECK(memchr(err->reason, '\0', sizeof err->reason) != NULL);
}

static uint32_t next_rng(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    CHECK(scope_events_open_fd(fd, SCOPE_EVENTS_JSON, "fuzz") == 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    unsigned setup = data[0];
    size_t max_chunk = (size_t)data[1] + 1;
    uint32_t rng = ((uint32_t)data[2] << 8 | data[3]) | 0x10000u;
    const char *s = (const char *)data + 4;
    size_t n = size - 4;

    char *argv[16] = {"fuzz-control", "--json", "--count", "3", "--rate", "1000", "--size", "64"};
    int argc = 8;
    if (setup & 1)
        argv[argc++] = "--step";
    if (setup & 2) {
        argv[argc++] = "--role";
        argv[argc++] = "worker 1";
    }
    argv[argc] = NULL;

    run_t *r = calloc(1, sizeof *r);
    CHECK(r != NULL);
    scope_demo_t *d = &r->demo;
    d->on_control = on_control;
    d->on_quit = on_quit;
    d->on_lesson_end = lesson_end;
    if (setup & 4)
        d->relay = relay;
    /* As under the dashboard: --step is refused when nothing could say
     * "step" (no control channel, stdin not a terminal). The harness feeds
     * commands itself and never opens the fd. */
    setenv("IPCSCOPE_CONTROL_FD", "0", 0);
    CHECK(scope_demo_parse(d, &info, NULL, argc, argv) == SCOPE_DEMO_RUN);
    check_state(d);

    uv_loop_t loop;
    CHECK(uv_loop_init(&loop) == 0);
    start(d, &loop);
    CHECK(scope_pacer_init(d, &r->pacer) == 0);
    r->pacer.data = r;
    scope_pacer_next(&r->pacer, send_one);
    scope_demo_lesson(d, lesson);

    scope_ndjson_t dec;
    scope_ndjson_init(&dec, 64 * 1024, on_line, on_bad_line, d);
    for (size_t pos = 0; pos < n;) {
        size_t k = 1 + next_rng(&rng) % max_chunk;
        if (k > n - pos)
            k = n - pos;
        CHECK(scope_ndjson_feed(&dec, s + pos, k) == 0);
        pos += k;
        uv_run(&loop, UV_RUN_NOWAIT);
        check_state(d);
    }
    scope_ndjson_free(&dec);

    CHECK(r->quits <= 1);
    CHECK(r->relayed_quits == (d->relay && r->quits ? 1 : 0));
    CHECK(r->sent <= d->count);
    CHECK(r->lesson_ended <= 1);

    /* The way out, as scope_demo_run takes it. */
    if (!r->quits)
        scope_demo_stop(d);
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(uv_loop_close(&loop) == 0);
    cJSON_Delete(d->params);
    free(r);
    return 0;
}
