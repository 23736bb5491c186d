/* probe.c: the sender of every lab step and fault, both sides.
 *
 * The server's side: the probe is this program again (lib/role) on a socket
 * made here (probe_spawn); the receiver is the step's own socket (probe_bind)
 * or the echo server, and probe_end goes on to the next step. The probe's own
 * process (sender_main): one table says what each kind sends, one loop sends
 * it in bursts, and what was sent goes back to the server. */
#include "udp.h"

static void on_step_timeout(uv_timer_t *t)
{
    scope_events_error("lesson", "the step waited %d ms for the probe's datagrams: going on",
                       STEP_WAIT_MS);
    probe_end(scope_container_of(t, udp_probe_t, timer), NULL);
}

/* A receiver on 127.0.0.1, a port the kernel picks, and a bound on the
 * step's wait. The step starts reading when it wants to. */
void probe_bind(udp_probe_t *p, scope_demo_t *d)
{
    struct sockaddr_storage a;
    p->demo = d;
    p->bound = 1;
    p->fd = scope_addr_bind_loopback(SOCK_DGRAM, &a);
    uv_udp_init(d->loop, &p->sock);
    uv_udp_open(&p->sock, p->fd);
    scope_addr_format((struct sockaddr *)&a, p->name, sizeof p->name);
    uv_timer_init(d->loop, &p->timer);
    uv_timer_start(&p->timer, on_step_timeout, STEP_WAIT_MS, 0);
}

static void on_report(scope_role_t *r, const cJSON *fig)
{
    udp_probe_t *p = scope_container_of(r, udp_probe_t, role);
    p->sent = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(fig, "sent"));
    if (p->on_report)
        p->on_report(p, fig);
}

static void on_exit_role(scope_role_t *r, int code, int sig)
{
    udp_probe_t *p = scope_container_of(r, udp_probe_t, role);
    if (code || sig)
        scope_demo_exit(p->demo, 1);
    if (p->demo->quitting && p->bound)
        probe_end(p, NULL);
    else if (p->on_exit)
        p->on_exit(p);
}

/* Starts the probe of kind, sending to `to`; a step whose receiver is bound
 * here ends if it cannot start. */
int probe_spawn(udp_probe_t *p, scope_demo_t *d, const char *kind, const char *to)
{
    const udp_lab_t *lab = d->data;
    char max[24], bytes[24];
    snprintf(max, sizeof max, "%lld", lab->max_message);
    snprintf(bytes, sizeof bytes, "%lld", lab->throughput);
    const char *args[] = {"--probe", kind, "--to", to, "--max-message", max,
                          lab->throughput ? "--throughput" : NULL, bytes, NULL};
    /* The stream is the throughput run's one client, on its channel. */
    int stream = !strcmp(kind, "stream");
    p->demo = d;
    p->role.on_report = on_report;
    p->role.on_exit = on_exit_role;
    scope_role_options_t o = {.argv = args};
    scope_trace_init(&p->trace, stream ? "udp1" : "probe", SCOPE_PID(getpid()), SCOPE_PEER(kind));
    int r = scope_role_spawn_bound(d, &p->role, stream ? "client 1" : "probe", &o, SOCK_DGRAM, 3,
                                   &p->from);
    if (r == 0)
        scope_trace_set_peer(&p->trace, SCOPE_PID(p->role.pid));
    else if (p->bound)
        probe_end(p, NULL);
    /* To the echo server, which knows the probe's datagrams from the first. */
    if (r == 0 && !p->bound)
        peers_expect((struct sockaddr *)&p->from, p->trace.chan, p->role.pid, 0);
    return r;
}

/* The step is over: a receiver's last stats, and the next step. */
void probe_end(udp_probe_t *p, cJSON *more)
{
    if (!p->over && p->bound) {
        scope_trace_stats_loss(&p->trace, (uint64_t)p->sent, more, 1);
        uv_close((uv_handle_t *)&p->timer, NULL);
        uv_close((uv_handle_t *)&p->sock, NULL);
    } else {
        cJSON_Delete(more);
    }
    if (!p->over++)
        scope_demo_next(p->demo);
}

/* ==== the probe's own process ========================================== */

/* What each kind sends: n datagrams (0: --throughput's worth), burst at a
 * time, gap_ms apart; the i-th (past three, as the first) is len[i] bytes
 * (MAXMSG: --max-message + 1; SIZE: --size), head[i] padded with dots. */
#define MAXMSG (-1)
#define SIZE   (-2)
#define JUNK   "\xff\xfe not UTF-8 \xc0\xaf"
static const struct kind {
    const char *kind;
    int n, burst, gap_ms;
    long len[3];
    const char *head[3];
} kinds[] = {
    {"boundaries", 3, 3, 0, {200, 1200, 20}, {"datagram 1 of 3, 200 bytes ",
     "datagram 2 of 3, 1200 bytes ", "datagram 3 of 3, 20 bytes "}},
    {"maxsize", 2, 2, 0, {UDP4_MAX, UDP4_MAX + 1}, {"65507 bytes ", "65508 bytes "}},
    {"flood", 200, 40, 100, {1000}, {"flood #%d "}},
    {"oversize", 1, 1, 0, {MAXMSG}, {"oversize "}},
    {"malformed", 1, 1, 0, {sizeof JUNK - 1}, {JUNK}},
    {"empty", 1, 1, 0, {0}, {""}},
    {"bad", 3, 3, 0, {MAXMSG, sizeof JUNK - 1, 0}, {"oversize ", JUNK, ""}}, /* then, an answer */
    {"stream", 0, 256, 0, {SIZE}, {"stream #%d "}},
};

static struct {
    scope_demo_t *d;
    const struct kind *k;
    uv_udp_t sock;
    uv_timer_t timer;
    uv_udp_send_t req;
    scope_trace_t trace;
    int fd;
    long long n, i, sent, bytes, refused;
    const char *error; /* the last failed send's, by name */
    char out[UDP4_MAX + 2];
} me;

static void report(void)
{
    cJSON *fig = cJSON_CreateObject();
    cJSON_AddNumberToObject(fig, "sent", (double)me.sent);
    if (me.error)
        cJSON_AddStringToObject(fig, "error", me.error);
    scope_demo_report(me.d, fig);
}

static void stop(uv_timer_t *silence)
{
    if (silence)
        scope_events_error("probe", "no answer within %d ms", STEP_WAIT_MS / 2);
    report();
    uv_close((uv_handle_t *)&me.timer, NULL);
    uv_close((uv_handle_t *)&me.sock, NULL);
    scope_demo_stop(me.d);
}

static void on_answer(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                      const struct sockaddr *from, unsigned flags)
{
    (void)h, (void)buf, (void)flags;
    if (nread < (ssize_t)GREETING_LEN || !from)
        return;
    scope_events_log("one answer, to the empty datagram (%zd bytes: the greeting alone); the "
                     "others got none", nread);
    stop(NULL);
}

static void on_burst(uv_timer_t *t);

/* The send buffer had room again: go on. */
static void on_queued(uv_udp_send_t *req, int status)
{
    (void)req;
    me.refused += status < 0;
    uv_timer_start(&me.timer, on_burst, 0, 0);
}

/* One datagram, whole or not at all: returns what sendmsg() returned. */
static int send_one(const struct kind *k, int show)
{
    int at = k->n > 0 && k->n <= 3 ? (int)me.i : 0; /* more than three: all as the first */
    long want = k->len[at];
    size_t len = want == MAXMSG ? (size_t)((const udp_lab_t *)me.d->data)->max_message + 1
                 : want == SIZE ? me.d->size : (size_t)want;
    len = len < sizeof me.out ? len : sizeof me.out;
    memset(me.out, '.', 64);
    me.out[snprintf(me.out, 64, k->head[at], (int)me.i + 1)] = '.';
    uv_buf_t buf = uv_buf_init(me.out, (unsigned)len);
    int r = uv_udp_try_send(&me.sock, &buf, 1, NULL);
    if (r == UV_EAGAIN || r == UV_ENOBUFS) /* the send buffer is full: one send waits for room */
        r = uv_udp_send(&me.req, &me.sock, &buf, 1, NULL, on_queued) == 0 ? UV_EAGAIN : r;
    if ((r >= 0 && show) || r == UV_EAGAIN)
        scope_trace_msg(&me.trace, SCOPE_TRACE_SEND, (uint64_t)me.i + 1, me.out, len, 0);
    if (r >= 0 || r == UV_EAGAIN) {
        me.sent++;
        me.bytes += (long long)len;
        return r;
    }
    me.refused++;
    me.error = uv_err_name(r);
    scope_events_error(me.error, "sendmsg(fd %d, %zu bytes) -> %s (%s)%s", me.fd, len, me.error,
                       uv_strerror(r),
                       r != UV_EMSGSIZE ? ""
                                        : scope_events_tr(": one byte too many for IPv4; nothing "
                                                          "was sent, and node's send() callback "
                                                          "gets the same error"));
    return r;
}

static void on_burst(uv_timer_t *t)
{
    const struct kind *k = me.k;
    for (int b = 0; b < k->burst && me.i < me.n && !me.d->quitting; b++) {
        /* In narration, a long burst's first datagram stands for the burst. */
        int r = send_one(k, b == 0 || k->burst <= 3 || scope_events_format() != SCOPE_EVENTS_TEXT);
        me.i++;
        if (r == UV_EAGAIN)
            return; /* on_queued goes on */
    }
    if (me.i < me.n && !me.d->quitting) {
        if (k->gap_ms)
            report(); /* what was sent so far, between the bursts */
        uv_timer_start(t, on_burst, (uint64_t)k->gap_ms, 0);
        return;
    }
    scope_events_log("%lld datagrams (%lld bytes) handed to the kernel, %lld refused; only the "
                     "receiver knows what arrived", me.sent, me.bytes, me.refused);
    if (strcmp(k->kind, "bad") || me.d->quitting) {
        stop(NULL);
        return;
    }
    uv_udp_recv_start(&me.sock, udp_alloc, on_answer);
    uv_timer_start(t, stop, STEP_WAIT_MS / 2, 0);
}

int sender_main(scope_demo_t *d, const char *kind, const struct sockaddr *to)
{
    for (me.k = kinds; strcmp(me.k->kind, kind); me.k++) /* one of PROBE_KINDS */
        ;
    if (scope_demo_start(d, uv_default_loop(), d->role, 0) < 0)
        return 1;
    long long size = (long long)(d->size = d->size < UDP4_MAX ? d->size : UDP4_MAX);
    me.d = d;
    me.n = me.k->n ? me.k->n : (((const udp_lab_t *)d->data)->throughput + size - 1) / size;
    memset(me.out, '.', sizeof me.out);
    uv_udp_init(d->loop, &me.sock);
    uv_udp_open(&me.sock, 3); /* if it fails (started by hand), connect() binds one */
    uv_udp_connect(&me.sock, to);
    uv_fileno((uv_handle_t *)&me.sock, &me.fd);
    scope_trace_init(&me.trace, me.k->n ? "probe" : "udp1", SCOPE_PID(getpid()),
                     SCOPE_PID(getppid()));
    uv_timer_init(d->loop, &me.timer);
    on_burst(&me.timer);
    return scope_demo_run(d);
}
