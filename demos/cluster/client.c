/* cluster's client (--role client): what curl does against the shared port,
 * --count times at --rate, one request at a time: connect, GET / with
 * "Connection: close", read the answer to EOF. The body names the worker that
 * served it ("worker 2 (pid 4242)"), so the client counts who served what. A
 * request that fails (refused, reset, cut short) is counted and the first few
 * are named; the run goes on. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "events.h"

#define NAMED_FAILURES 5

typedef struct {
    scope_demo_t *demo;
    struct sockaddr_in addr;
    scope_pacer_t pacer;
    scope_trace_t trace; /* chan "http": each request and its answer */
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    char answer[1024];
    size_t len;
    uint64_t sent_ns;
    long ok, failed, by_worker[CLUSTER_MAX_WORKERS * 8 + 1];
    int failed_now;
} client_t;

static const char request[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

static void send_one(scope_pacer_t *p);

static void fail(client_t *cl, const char *why)
{
    if (cl->failed_now++)
        return;
    if (cl->failed++ < NAMED_FAILURES)
        scope_events_error("request", "request %llu: %s",
                           (unsigned long long)cl->trace.sent, why);
}

static void on_closed(uv_handle_t *h)
{
    client_t *cl = h->data;
    if ((long)(cl->ok + cl->failed) < cl->demo->count && !cl->demo->quitting)
        scope_pacer_next(&cl->pacer, send_one);
    else
        scope_demo_stop(cl->demo);
}

/* "HTTP/1.1 200 OK ... \r\n\r\nworker N (pid P)": who served it. */
static void on_answer(client_t *cl)
{
    cl->answer[cl->len] = '\0';
    const char *body = strstr(cl->answer, "\r\n\r\n");
    int worker = 0;
    if (strncmp(cl->answer, "HTTP/1.1 200", 12) != 0 || !body ||
        sscanf(body + 4, "worker %d", &worker) != 1) {
        fail(cl, cl->len ? scope_events_tr("not a 200 naming a worker")
                          : scope_events_tr("closed with no answer"));
        return;
    }
    scope_trace_reply(&cl->trace, body + 4, strlen(body + 4), scope_time_now_ns() - cl->sent_ns);
    cl->ok++;
    if (worker > 0 && worker < (int)(sizeof cl->by_worker / sizeof cl->by_worker[0]))
        cl->by_worker[worker]++;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    client_t *cl = h->data;
    (void)hint;
    *buf = uv_buf_init(cl->answer + cl->len, (unsigned)(sizeof cl->answer - 1 - cl->len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    client_t *cl = s->data;
    (void)buf;
    if (n > 0 && (cl->len += (size_t)n) < sizeof cl->answer - 1)
        return;
    if (n == UV_EOF || n > 0) /* the end of the answer, or all we keep of it */
        on_answer(cl);
    else if (n < 0)
        fail(cl, uv_strerror((int)n));
    uv_close((uv_handle_t *)s, on_closed);
}

static void on_connect(uv_connect_t *req, int status)
{
    client_t *cl = req->data;
    if (status < 0) {
        fail(cl, uv_strerror(status));
        uv_close((uv_handle_t *)&cl->tcp, on_closed);
        return;
    }
    uv_buf_t b = uv_buf_init((char *)request, sizeof request - 1);
    cl->sent_ns = scope_time_now_ns();
    scope_trace_send(&cl->trace, request, sizeof request - 1);
    uv_write(&cl->write, (uv_stream_t *)&cl->tcp, &b, 1, NULL);
    uv_read_start((uv_stream_t *)&cl->tcp, on_alloc, on_read);
}

static void send_one(scope_pacer_t *p)
{
    client_t *cl = p->data;
    cl->len = 0;
    cl->failed_now = 0;
    uv_tcp_init(cl->demo->loop, &cl->tcp);
    cl->tcp.data = cl;
    cl->connect.data = cl;
    uv_tcp_connect(&cl->connect, &cl->tcp, (struct sockaddr *)&cl->addr, on_connect);
}

static void report(client_t *cl)
{
    cJSON *fig = cJSON_CreateObject(), *by = cJSON_AddObjectToObject(fig, "by_worker");
    cJSON_AddNumberToObject(fig, "ok", (double)cl->ok);
    cJSON_AddNumberToObject(fig, "failed", (double)cl->failed);
    for (int i = 1; i < (int)(sizeof cl->by_worker / sizeof cl->by_worker[0]); i++) {
        char id[16];
        snprintf(id, sizeof id, "%d", i);
        if (cl->by_worker[i])
            cJSON_AddNumberToObject(by, id, (double)cl->by_worker[i]);
    }
    cJSON_AddNumberToObject(fig, "p50", (double)scope_hist_percentile(&cl->trace.latency, 50));
    scope_demo_report(cl->demo, fig); /* to the master's on_report (load.c) */
}

int cluster_client(scope_demo_t *d, const char *addr)
{
    static client_t cl;
    char host[64];
    int port = 0;
    cl.demo = d;
    if (!addr || sscanf(addr, "%63[^:]:%d", host, &port) != 2 ||
        uv_ip4_addr(host, port, &cl.addr) < 0) {
        fprintf(stderr, "cluster: --role client wants --connect HOST:PORT\n");
        return 2;
    }
    if (scope_demo_start(d, uv_default_loop(), d->role, 0) < 0)
        return 1;
    char peer[32]; /* the lane the workers' traces name too */
    snprintf(peer, sizeof peer, "port %d", port);
    scope_trace_init(&cl.trace, "http", SCOPE_PID(getpid()), SCOPE_PEER(peer));
    scope_trace_open(&cl.trace, "tcp", scope_events_tr("GET / through the shared port"));
    scope_trace_stats_start(&cl.trace, d->loop, 1000);
    scope_pacer_init(d, &cl.pacer);
    cl.pacer.data = &cl;
    scope_pacer_next(&cl.pacer, send_one);
    int code = scope_demo_run(d);
    scope_trace_close(&cl.trace);
    report(&cl);
    return code;
}
