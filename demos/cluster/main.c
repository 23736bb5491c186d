/* cluster: cluster.fork() with the lid off (the story: cluster.c).
 *
 * The article's timeline is cluster.c's (steps 1-6); port.c puts every worker
 * on one port (step 7), load.c sends requests through it from a client
 * (step 8), restart.c restarts the workers one by one under that load
 * (step 9) and holds the faults; worker.c is the worker, serve.c its answers.
 *
 *   cluster                       a C master, 2 C workers
 *   cluster --worker node         the workers are node running cluster-article.js
 *   cluster --sched none          one listening socket shared by the workers
 *   cluster --as-worker           be a worker of a master that forked us
 *                                 (NODE_UNIQUE_ID, NODE_CHANNEL_FD): ours or node's
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"

static const scope_demo_info_t info = {
    "cluster",
    "cluster.fork() with the lid off",
    "A master and its workers over fork channels: broadcast, unicast, relay, one shared port.",
    "001 003",
    "cluster IPC | 单机 | ★★★★☆ | 简单 | Node cluster 专用",
    "kill stop restart",
};

static void on_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    if (strcmp(cmd, "fault") == 0)
        cluster_fault(d->data, d->fault);
}

static const scope_demo_lesson_t lesson[] = {
    {N_("cluster.fork(): a worker is child_process.fork() with an id"), cluster_fork_all},
    {N_("each worker says it is online: node's own message"), cluster_online},
    {N_("500 ms: each worker sends {type:'worker-ready'}"), cluster_ready},
    {N_("1000 ms: broadcast is a loop over the workers' channels"), cluster_broadcast},
    {N_("2000 ms: unicast to worker 1 alone"), cluster_unicast},
    {N_("3000 ms: worker 1 -> master -> worker 2, the only way between workers"), cluster_relay},
    {N_("every worker listens on one port; the master holds it"), cluster_port_listen},
    {N_("requests through the shared port, spread over the workers"), cluster_load},
    {N_("rolling restart: a new worker listens before the old one goes"), cluster_restart},
    {N_("the load ends: how many requests each worker served, none lost"), cluster_load_end},
    {N_("disconnect(): each worker closes its server and exits"), cluster_end},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    cluster_t o = {.nworkers = 2, .sched = "rr", .timeout_s = 10, .port.fd = -1}, *c = &o;
    long long workers = 2;
    const char *worker = "c", *connect = NULL;
    int as_worker = 0;
    const scope_demo_option_t options[] = {
        {"workers", "N", "how many workers to fork (default 2, as in the article)",
         SCOPE_OPT_NUMBER, &workers, 1, 8},
        {"worker", "c|node|node:PATH", "who the workers are: this program in C (default), node "
         "running cluster-article.js, or node running PATH", SCOPE_OPT_TEXT, &worker},
        {"sched", "rr|none", "how the port is shared: rr, the master accepts and hands each "
         "connection over (node's default); none, the workers share the listening socket",
         SCOPE_OPT_WORD, &o.sched, 0, 0, "rr none"},
        {"port", "PORT", "the shared port on 127.0.0.1 (default 0: the kernel picks)",
         SCOPE_OPT_NUMBER, &o.port_asked, 0, 65535},
        {"timeout", "SECONDS", "how long a step waits for the workers (default 10)",
         SCOPE_OPT_NUMBER, &o.timeout_s, 1, 3600},
        {"fault", "KIND", "kill a worker (the master forks another), stop one (SIGSTOP: "
         "named and replaced), or restart them all", SCOPE_OPT_WORD, &o.fault, 0, 0, info.faults},
        {"as-worker", NULL, "be a worker of a master that forked us (NODE_UNIQUE_ID)",
         SCOPE_OPT_FLAG, &as_worker},
        {"connect", "HOST:PORT", "the client role's address (set by the master)",
         SCOPE_OPT_TEXT, &connect},
        {NULL, NULL, NULL},
    };
    scope_demo_t demo = {.data = c};
    int r = scope_demo_parse(&demo, &info, options, argc, argv);
    const char *script = strncmp(worker, "node:", 5) == 0 ? worker + 5 : NULL;
    if (r == SCOPE_DEMO_RUN && strcmp(worker, "c") && strcmp(worker, "node") &&
        (!script || access(script, R_OK) < 0)) {
        snprintf(demo.error, sizeof demo.error, "--worker wants c, node or node:PATH; '%s' is "
                 "none, or a script it cannot read", worker);
        r = -EINVAL;
    }
    if (r != SCOPE_DEMO_RUN)
        return scope_demo_parse_report(&demo, r, stdout, stderr);
    if (as_worker)
        return cluster_worker(&demo);
    if (demo.role)
        return cluster_client(&demo, connect);

    /* A C worker is this very program; node's script sits beside it. */
    char self[PATH_MAX], beside[PATH_MAX];
    if (scope_spawn_self(self, sizeof self) < 0 ||
        scope_spawn_beside("cluster-article.js", beside, sizeof beside) < 0) {
        perror("cluster: /proc/self/exe");
        return 1;
    }
    char *c_argv[] = {self, "--as-worker", NULL};
    char *node_argv[] = {"node", script ? (char *)script : beside, NULL};
    c->argv = strcmp(worker, "c") == 0 ? c_argv : node_argv;
    c->node_workers = c->argv == node_argv;
    c->nworkers = (int)workers;
    c->demo = &demo;
    demo.on_quit = cluster_end;
    demo.on_control = on_control;
    if (scope_demo_start(&demo, uv_default_loop(), "master", 1) < 0)
        return 1;
    scope_demo_lesson(&demo, lesson);
    int code = scope_demo_run(&demo);
    cluster_restart_close();
    scope_spawn_shutdown(demo.loop);
    uv_run(demo.loop, UV_RUN_NOWAIT);

    char text[256];
    snprintf(text, sizeof text,
             scope_events_tr("%d workers forked (%d again after dying); %ld requests answered, "
                             "%ld failed"), c->next_id, c->replaced, c->load.ok, c->load.failed);
    scope_demo_figure(&demo, "workers_forked", cJSON_CreateNumber(c->next_id));
    scope_demo_figure(&demo, "replaced", cJSON_CreateNumber(c->replaced));
    scope_demo_figure(&demo, "connections_accepted", cJSON_CreateNumber((double)c->port.accepted));
    scope_demo_bye(&demo, NULL, text);
    return code || !c->load.done;
}
