/* throughput.c: one client streams --throughput bytes; how fast is the socket?
 * The client announces "stream N", then writes N bytes in lines of 16 KiB,
 * two 256 KiB writes in flight; the server counts the lines instead of
 * answering them, then answers once: "received N bytes in S s (X MB/s)".
 */
#include "unix-socket.h"

#define LINE  16384
#define CHUNK (16 * LINE)
#define SHOW  (16u * 1024 * 1024) /* a progress arrow every 16 MiB */

/* the server's side: one stream at a time, and the totals of all */
static struct stream {
    us_peer_t *peer;
    uint64_t want, got, shown, t0;
} in;
static uint64_t total_bytes, total_ns;

int throughput_server_line(us_peer_t *p, const char *line, size_t len)
{
    unsigned long long want;
    if (in.peer != p) {
        if (len > 40 || sscanf(line, "stream %llu", &want) != 1 || want == 0)
            return 0;
        scope_trace_recv(&p->trace, line, len);
        scope_events_log("%s announces %llu bytes: counted, not answered", p->name, want);
        in = (struct stream){.peer = p, .want = want, .t0 = scope_time_now_ns()};
        return 1;
    }
    in.got += len + 1;
    if (in.got - in.shown >= SHOW && in.got < in.want) {
        char label[64];
        snprintf(label, sizeof label, "stream: %.0f of %.0f MB", in.got / 1e6, in.want / 1e6);
        scope_trace_note(&p->trace, SCOPE_TRACE_RECV, label, (size_t)(in.got - in.shown));
        in.shown = in.got;
    }
    if (in.got < in.want)
        return 1;
    uint64_t ns = scope_time_now_ns() - in.t0;
    char reply[128];
    snprintf(reply, sizeof reply, "received %llu bytes in %.3f s (%.0f MB/s)",
             (unsigned long long)in.got, ns / 1e9, ns ? in.got * 1e3 / ns : 0);
    scope_events_log("%s streamed %s through the socket", p->name, reply + 9);
    total_bytes += in.got;
    total_ns += ns;
    in.peer = NULL;
    scope_demo_figure(p->server->demo, "bytes", cJSON_CreateNumber((double)total_bytes));
    scope_demo_figure(p->server->demo, "mb_s",
                      cJSON_CreateNumber(total_bytes * 1e3 / (total_ns ? total_ns : 1)));
    scope_conn_send(&p->c, reply, strlen(reply));
    scope_trace_send(&p->trace, reply, strlen(reply));
    return 1;
}

/* the client's side */
static struct {
    char chunk[CHUNK];
    uint64_t want, sent;
    int in_flight, next;
    uv_write_t req[2];
} out;

static void stream_more(us_client_t *c);

static void on_chunk_written(uv_write_t *req, int status)
{
    us_client_t *c = req->data;
    out.in_flight--;
    if (status < 0) {
        scope_events_error("write", "stream: %s", uv_strerror(status));
        c->code = 1;
        us_client_end(c);
        return;
    }
    stream_more(c);
}

static void stream_more(us_client_t *c)
{
    char label[32];
    while (!c->done && out.in_flight < 2 && out.sent < out.want) {
        uint64_t left = out.want - out.sent;
        size_t n = left < CHUNK ? (size_t)left : CHUNK;
        /* the last piece is the chunk's tail: it ends in '\n' too */
        uv_buf_t b = uv_buf_init(out.chunk + CHUNK - n, (unsigned)n);
        uv_write_t *req = &out.req[out.next ^= 1];
        req->data = c;
        if (uv_write(req, &c->c.h.stream, &b, 1, on_chunk_written) < 0) {
            us_client_end(c);
            return;
        }
        out.in_flight++;
        out.sent += n;
        snprintf(label, sizeof label, "chunk %llu", (unsigned long long)c->trace.sent);
        scope_trace_note(&c->trace, SCOPE_TRACE_SEND, label, n);
    }
}

static void stream_start(us_client_t *c)
{
    char line[64];
    int n = snprintf(line, sizeof line, "stream %llu", (unsigned long long)out.want);
    scope_conn_send(&c->c, line, (size_t)n);
    scope_trace_send(&c->trace, line, (size_t)n);
    scope_events_log("\"stream %llu\" announces the bytes that follow: then they go in writes "
                     "of %d KiB, two in flight", (unsigned long long)out.want, CHUNK / 1024);
    stream_more(c);
}

static int stream_answer(us_client_t *c, const char *line, size_t len)
{
    scope_trace_recv(&c->trace, line, len);
    scope_events_log("the server says: %.*s", (int)len, line);
    us_client_end(c);
    return 1;
}

void throughput_client(us_client_t *c, uint64_t bytes)
{
    out.want = bytes;
    memset(out.chunk, 'x', CHUNK);
    for (size_t i = LINE - 1; i < CHUNK; i += LINE)
        out.chunk[i] = '\n';
    c->on_connected = stream_start;
    c->on_line = stream_answer;
}
