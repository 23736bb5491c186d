/* fanout.c, step 8: beyond one process, article 001's "SSE/WebSocket
 * broadcast -> Redis pub/sub":
 *
 *   1. a private redis-server (lib/broker: a Unix socket in a 0700
 *      directory, no TCP port, nothing on disk), as the message-queue demo
 *      starts it;
 *   2. two servers, this program again: `http --role server-a --redis
 *      unix:PATH` and server-b (redis_fanout.c); each SUBSCRIBEs, then
 *      reports its port;
 *   3. on this loop, for each server, a WebSocket client (ws-a, ws-b) and an
 *      /events subscriber that reads the raw stream (sse-a, sse-b);
 *   4. once all four are in, ws-a says SAID[0] to server A and ws-b SAID[1]
 *      to server B; each server PUBLISHes what it heard, Redis hands it to
 *      both, and each sends it to its own clients;
 *   5. every client must get both messages, once each, within DEADLINE_MS;
 *      then the clients close, the servers get SIGTERM, then redis-server.
 */
#include <errno.h>
#include <signal.h>
#include <sys/random.h>
#include <openssl/evp.h>
#include <wslay/wslay.h>

#include "broker.h"
#include "http.h"

#define DEADLINE_MS 5000

static const char *const SAID[2] = {"hello from a client of server A",
                                    "hello from a client of server B"};

typedef struct {
    const char *name;
    int srv, sse; /* its server (0: A, 1: B); an /events subscriber */
    uv_tcp_t tcp;
    uv_connect_t conn;
    wslay_event_context_ptr ctx;
    char key[32], text[2048]; /* the answer's head, then (SSE) the stream */
    size_t ntext;
    const uint8_t *in;
    size_t nin;
    int open, got[2];
} cli_t;

static struct {
    scope_demo_t *d;
    scope_redis_t redis;
    scope_role_t srv[2];
    cli_t c[4];
    uv_timer_t deadline;
    int ready, open, roles, over, active, clients;
} f;

static void roles_gone(void)
{
    if (!f.active)
        return;
    if (f.redis.running) {
        scope_redis_stop(&f.redis); /* last: the servers have let go */
        return;
    }
    f.active = 0;
    if (!f.d->quitting)
        scope_demo_next(f.d);
}

static void on_client_closed(uv_handle_t *h)
{
    cli_t *c = h->data;
    if (c->ctx)
        wslay_event_context_free(c->ctx);
    c->ctx = NULL;
}

/* The end, all in, timed out, or quit: what each client got, then wind down. */
static void end(int check)
{
    if (f.over++)
        return;
    uv_close((uv_handle_t *)&f.deadline, NULL);
    for (int i = 0; i < 4 && f.clients; i++) {
        cli_t *c = &f.c[i];
        char key[48];
        snprintf(key, sizeof key, "fanout.%s_from_a", c->name);
        scope_demo_figure(f.d, key, cJSON_CreateNumber(c->got[0]));
        snprintf(key, sizeof key, "fanout.%s_from_b", c->name);
        scope_demo_figure(f.d, key, cJSON_CreateNumber(c->got[1]));
        if (check)
            scope_demo_check(f.d, c->got[0] == 1 && c->got[1] == 1, c->name, "got %d of A's "
                             "client's message and %d of B's (1 each expected)", c->got[0],
                             c->got[1]);
        if (!uv_is_closing((uv_handle_t *)&c->tcp))
            uv_close((uv_handle_t *)&c->tcp, on_client_closed);
    }
    if (check)
        scope_events_log("each of the four clients got both messages once: a client of A "
                         "is heard by B's, through PUBLISH on one server and the SUBSCRIBE "
                         "of both; pub/sub keeps nothing for a server that is not there");
    for (int i = 0; i < 2; i++)
        if (f.srv[i].running)
            scope_role_kill(&f.srv[i], SIGTERM);
    if (!f.roles)
        roles_gone();
}

static void on_deadline(uv_timer_t *t)
{
    (void)t;
    scope_events_error("fanout", "not every client had both messages after %d ms",
                       DEADLINE_MS);
    end(1);
}

static void got(cli_t *c, const char *text, size_t len)
{
    for (int k = 0; k < 2; k++)
        if (len == strlen(SAID[k]) && !memcmp(text, SAID[k], len))
            c->got[k]++;
    for (int i = 0; i < 4; i++)
        if (!f.c[i].got[0] || !f.c[i].got[1])
            return;
    end(1);
}

static void on_written(uv_write_t *w, int status)
{
    (void)status;
    free(w);
}

static void wr(cli_t *c, const void *data, size_t len)
{
    uv_write_t *w = malloc(sizeof *w + len);
    if (!w)
        return;
    memcpy(w + 1, data, len);
    uv_buf_t b = uv_buf_init((char *)(w + 1), (unsigned)len);
    if (uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, on_written) < 0)
        free(w);
}

/* ---- wslay, the client's side (as wsclient.c): masked frames out -------- */
static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int fl, void *a)
{
    cli_t *c = a;
    (void)fl;
    if (!c->nin)
        return wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK), -1;
    len = len < c->nin ? len : c->nin;
    memcpy(buf, c->in, len);
    c->in += len, c->nin -= len;
    return (ssize_t)len;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *d, size_t len, int fl, void *a)
{
    (void)ctx, (void)fl;
    wr(a, d, len);
    return (ssize_t)len;
}

static int genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *a)
{
    (void)ctx, (void)a;
    return getrandom(buf, len, 0) == (ssize_t)len ? 0 : -1;
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *m,
                   void *a)
{
    (void)ctx;
    if (m->opcode == WSLAY_TEXT_FRAME)
        got(a, (const char *)m->msg, m->msg_length);
}

/* Bytes after the head: frames to wslay, or the event stream, scanned. */
static void feed(cli_t *c, const char *data, size_t n)
{
    if (!c->sse) {
        c->in = (const uint8_t *)data, c->nin = n;
        wslay_event_recv(c->ctx);
        wslay_event_send(c->ctx);
        return;
    }
    n = n < sizeof c->text - 1 - c->ntext ? n : sizeof c->text - 1 - c->ntext;
    memcpy(c->text + c->ntext, data, n);
    c->text[c->ntext += n] = 0;
    /* Each event is "data: TEXT\n\n" inside a chunk; one line each. */
    for (char *at = c->text; (at = strstr(at, "data: ")); at += 6) {
        size_t len = strcspn(at + 6, "\n");
        if (at[6 + len] == '\n' && at[7 + len] == '\n') {
            got(c, at + 6, len);
            memset(at, '.', 6); /* counted */
        }
    }
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
    (void)h;
    buf->base = malloc(size);
    buf->len = buf->base ? size : 0;
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    cli_t *c = st->data;
    if (n < 0 && !uv_is_closing((uv_handle_t *)st))
        uv_close((uv_handle_t *)st, on_client_closed);
    if (n > 0 && c->open) {
        feed(c, buf->base, (size_t)n);
    } else if (n > 0) { /* the answer's head */
        size_t take = (size_t)n < sizeof c->text - 1 - c->ntext ? (size_t)n
                                                                : sizeof c->text - 1 - c->ntext;
        memcpy(c->text + c->ntext, buf->base, take);
        c->text[c->ntext += take] = 0;
        char *end = strstr(c->text, "\r\n\r\n"), accept[32];
        if (end) {
            size_t used = (size_t)(end + 4 - c->text) - (c->ntext - take);
            ws_accept_key(c->key, accept);
            scope_demo_check(f.d, c->sse ? !strncmp(c->text, "HTTP/1.1 200", 12)
                             : strstr(c->text, " 101 ") && strstr(c->text, accept), c->name,
                             "%s: %.40s", c->sse ? "GET /events" : "the upgrade", c->text);
            c->open = 1, c->ntext = 0;
            feed(c, buf->base + used, (size_t)n - used);
            if (++f.open == 4) { /* all in: one message from a client of each */
                scope_events_log("all four are in: ws-a says \"%s\" to server A, ws-b \"%s\" "
                                 "to server B", SAID[0], SAID[1]);
                for (int i = 0; i < 2; i++) {
                    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)SAID[i],
                                                strlen(SAID[i])};
                    cli_t *w = &f.c[i * 2];
                    wslay_event_queue_msg(w->ctx, &m);
                    wslay_event_send(w->ctx);
                }
            }
        }
    }
    free(buf->base);
}

static void on_connect(uv_connect_t *req, int status)
{
    static const struct wslay_event_callbacks cbs = {recv_cb, send_cb, genmask_cb, NULL, NULL,
                                                     NULL, on_msg};
    cli_t *c = req->data;
    unsigned char raw[16];
    char head[320];
    if (!scope_demo_check(f.d, status == 0, c->name, "connect: %s", uv_strerror(status))) {
        end(0);
        return;
    }
    getrandom(raw, sizeof raw, 0);
    EVP_EncodeBlock((unsigned char *)c->key, raw, sizeof raw);
    int n = c->sse ? snprintf(head, sizeof head, "GET /events HTTP/1.1\r\nHost: x\r\n"
                              "User-Agent: %s/1\r\n\r\n", c->name)
        : snprintf(head, sizeof head, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: "
                   "13\r\nUser-Agent: %s/1\r\n\r\n", c->key, c->name);
    if (!c->sse)
        wslay_event_context_client_init(&c->ctx, &cbs, c);
    wr(c, head, (size_t)n);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void clients_start(int port[2])
{
    static const char *const names[] = {"ws-a", "sse-a", "ws-b", "sse-b"};
    scope_events_log("both servers subscribed (A on port %d, B on %d): a WebSocket client and "
                     "an /events subscriber on each", port[0], port[1]);
    f.clients = 1;
    for (int i = 0; i < 4; i++) {
        cli_t *c = &f.c[i];
        struct sockaddr_in to;
        *c = (cli_t){.name = names[i], .srv = i / 2, .sse = i % 2};
        uv_ip4_addr("127.0.0.1", port[c->srv], &to);
        uv_tcp_init(f.d->loop, &c->tcp);
        c->tcp.data = c->conn.data = c;
        if (uv_tcp_connect(&c->conn, &c->tcp, (struct sockaddr *)&to, on_connect) < 0)
            on_connect(&c->conn, UV_EINVAL);
    }
    uv_timer_start(&f.deadline, on_deadline, DEADLINE_MS, 0);
}

static void on_report(scope_role_t *r, const cJSON *fig)
{
    static int port[2];
    int i = r == &f.srv[1];
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(fig, "port");
    char key[48];
    if (cJSON_IsNumber(p)) { /* subscribed and listening */
        port[i] = p->valueint;
        if (++f.ready == 2 && !f.over)
            clients_start(port);
        return;
    }
    for (const cJSON *v = fig ? fig->child : NULL; v; v = v->next) { /* its figures, at its end */
        snprintf(key, sizeof key, "fanout.server_%c_%s", 'a' + i, v->string);
        scope_demo_figure(f.d, key, cJSON_Duplicate(v, 1));
    }
}

static void on_role_exit(scope_role_t *r, int code, int sig)
{
    if (!f.over) /* a server died before the end: the step cannot go on */
        scope_demo_check(f.d, 0, r->name, "exited early (code %d, signal %d)", code, sig);
    end(0);
    if (--f.roles == 0)
        roles_gone();
}

static void on_redis_exit(scope_redis_t *r, int code, int sig)
{
    (void)r;
    if (!f.over)
        scope_demo_check(f.d, 0, "redis-server", "exited under us (code %d, signal %d)", code,
                         sig);
    end(0);
    if (!f.roles)
        roles_gone();
}

static void on_redis_ready(scope_redis_t *r, int status)
{
    char url[PATH_MAX + 8], pid[24];
    if (!scope_demo_check(f.d, status == 0, "redis-server", "no PING answer: %s",
                          strerror(-status))) {
        end(0);
        return;
    }
    snprintf(url, sizeof url, "unix:%s", r->sock);
    snprintf(pid, sizeof pid, "%d", (int)r->pid);
    scope_events_log("redis-server (pid %d) answers PING on %s; two servers, each this "
                     "program again with --redis %s", (int)r->pid, r->sock, url);
    const char *args[] = {"--redis", url, "--redis-pid", pid, NULL};
    for (int i = 0; i < 2 && !f.over; i++) {
        f.srv[i].on_report = on_report;
        f.srv[i].on_exit = on_role_exit;
        if (scope_role_spawn(f.d, &f.srv[i], i ? "server-b" : "server-a",
                             &(scope_role_options_t){.argv = args}) == 0)
            f.roles++;
        else if (!scope_demo_check(f.d, 0, "fanout", "cannot start server %c", 'A' + i))
            end(0);
    }
}

void fanout_run(scope_demo_t *d)
{
    char path[PATH_MAX];
    f.d = d;
    if (scope_spawn_which("redis-server", path, sizeof path) < 0) {
        scope_events_log("redis-server is not installed (apt install redis-server): this step "
                         "is skipped");
        scope_demo_figure(d, "fanout.skipped", cJSON_CreateString("no redis-server"));
        scope_demo_next(d);
        return;
    }
    f.redis = (scope_redis_t){.on_ready = on_redis_ready, .on_exit = on_redis_exit};
    uv_timer_init(d->loop, &f.deadline);
    f.active = 1;
    int e = scope_redis_start(d->loop, &f.redis, NULL);
    if (!scope_demo_check(d, e == 0, "redis-server", "cannot start: %s", strerror(-e))) {
        end(0);
        return;
    }
    scope_events_log("execve(\"redis-server\", --port 0 --unixsocket %s): pid %d, the broker "
                     "both servers will share", f.redis.sock, (int)f.redis.pid);
}

void fanout_stop(void)
{
    if (f.active) /* quit mid-step: the clients, the servers, then redis-server */
        end(0);
}
