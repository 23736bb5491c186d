/* bench_relay: what a message between two cluster workers costs, next to a
 * round trip with the master, on lib/channel as the cluster demo uses it.
 *
 *   bench_relay N      the master: forks worker 1 and worker 2 (this program
 *                      again, a socketpair each, NODE_CHANNEL_FD=3), relays
 *                      {type:'send-to-other', target, data} as the article's
 *                      master does ({from, data} to the target), and answers
 *                      {type:'direct'} itself
 *   bench_relay worker 1 N / worker 2   the workers
 *
 * Worker 1 times N direct round trips (worker 1 -> master -> worker 1: two
 * hops) and then N relayed ones (worker 1 -> master -> worker 2 -> master ->
 * worker 1: four hops, two relays), after N/10 untimed each, and prints one
 * JSON line for each: {"what":...,"n":N,"p50":ns,"p99":ns,"mean":ns}.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channel.h"
#include "spawn.h"
#include "timing.h"

static scope_channel_t chans[2]; /* master: to worker 1, to worker 2; a worker: [0] */
static scope_hist_t hist;
static long n_total, n_done, warmup;
static int relaying; /* worker 1: the relayed half */
static uint64_t t0;

static void report(const char *what)
{
    scope_hist_summary_t s;
    scope_hist_summarize(&hist, &s);
    printf("{\"what\":\"%s\",\"n\":%llu,\"p50\":%llu,\"p99\":%llu,\"mean\":%.0f}\n", what,
           (unsigned long long)s.count, (unsigned long long)s.p50, (unsigned long long)s.p99,
           s.mean);
    fflush(stdout);
}

static void send_one(void)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", relaying ? "send-to-other" : "direct");
    cJSON_AddNumberToObject(m, "target", 2);
    cJSON_AddStringToObject(m, "data", "Hello from worker 1!");
    t0 = scope_time_now_ns();
    scope_channel_send(&chans[0], m);
    cJSON_Delete(m);
}

/* Worker 1: each answer ends a round trip. */
static void on_answer(scope_channel_t *c, cJSON *m, int fd, const char *type)
{
    (void)c, (void)m, (void)fd, (void)type;
    uint64_t rtt = scope_time_now_ns() - t0;
    if (warmup > 0) {
        warmup--;
    } else {
        scope_hist_add(&hist, rtt);
        n_done++;
    }
    if (n_done < n_total) {
        send_one();
        return;
    }
    report(relaying ? "relayed, worker 1 -> master -> worker 2 and back"
                    : "direct, worker 1 -> master -> worker 1");
    if (relaying) {
        scope_channel_disconnect(&chans[0]);
        return;
    }
    relaying = 1;
    n_done = 0;
    warmup = n_total / 10;
    scope_hist_reset(&hist);
    send_one();
}

/* Worker 2: sends every message it gets back to worker 1, through the master. */
static void on_relayed(scope_channel_t *c, cJSON *m, int fd, const char *type)
{
    (void)m, (void)fd, (void)type;
    cJSON *back = cJSON_Parse("{\"type\":\"send-to-other\",\"target\":1,\"data\":\"back\"}");
    scope_channel_send(c, back);
    cJSON_Delete(back);
}

/* The master: the article's relay, and a direct answer. */
static void on_worker(scope_channel_t *c, cJSON *m, int fd, const char *type)
{
    (void)fd, (void)type;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(m, "type");
    if (!cJSON_IsString(t) || strcmp(t->valuestring, "send-to-other") != 0) {
        scope_channel_send(c, m);
        return;
    }
    int target = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(m, "target"));
    cJSON *relay = cJSON_CreateObject();
    cJSON_AddNumberToObject(relay, "from", c == &chans[0] ? 1 : 2);
    cJSON_AddItemReferenceToObject(relay, "data", cJSON_GetObjectItemCaseSensitive(m, "data"));
    if (target == 1 || target == 2)
        scope_channel_send(&chans[target - 1], relay);
    cJSON_Delete(relay);
}

static void on_gone(scope_channel_t *c, int status)
{
    (void)status;
    if (c == &chans[0]) /* worker 1 is done: so is the run */
        scope_channel_disconnect(&chans[1]);
}

static void on_exit_cb(scope_child_t *c, int status, int sig) { (void)c, (void)status, (void)sig; }

static int run_master(char *self, const char *n)
{
    static scope_child_t kids[2];
    uv_loop_t *loop = uv_default_loop();
    for (int i = 0; i < 2; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
            return 1;
        char *argv[] = {self, "worker", i == 0 ? "1" : "2", (char *)n, NULL};
        scope_spawn_fd_t fds[] = {{.parent_fd = sv[1], .child_fd = 3}};
        const char *env[] = {"NODE_CHANNEL_FD=3", NULL};
        scope_spawn_options_t o = {.file = self, .argv = argv, .setenv = env, .fds = fds,
                                   .nfds = 1, .death_signal = SIGKILL};
        if (scope_spawn(loop, &kids[i], &o, on_exit_cb) < 0)
            return 1;
        close(sv[1]);
        chans[i] = (scope_channel_t){.on_message = on_worker, .on_disconnect = on_gone};
        if (scope_channel_open(loop, &chans[i], sv[0]) < 0)
            return 1;
    }
    uv_run(loop, UV_RUN_DEFAULT);
    scope_spawn_shutdown(loop);
    uv_run(loop, UV_RUN_NOWAIT);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc == 2 && atol(argv[1]) > 0)
        return run_master(argv[0], argv[1]);
    if (argc < 3 || strcmp(argv[1], "worker") != 0) {
        fprintf(stderr, "usage: bench_relay N\n");
        return 2;
    }
    int first = strcmp(argv[2], "1") == 0;
    chans[0].on_message = first ? on_answer : on_relayed;
    if (scope_channel_open_env(uv_default_loop(), &chans[0]) < 0)
        return 1;
    if (first) {
        n_total = argc > 3 ? atol(argv[3]) : 1000;
        warmup = n_total / 10;
        scope_hist_reset(&hist);
        send_one();
    }
    uv_run(uv_default_loop(), UV_RUN_DEFAULT);
    return 0;
}
