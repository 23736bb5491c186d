/* load_tcp: a crowd and a churn against the tcp demo's chat server
 * (`tcp --listen HOST:PORT`), on one libuv loop. A load generator: it
 * measures and never asserts; bench/load.sh puts its figures next to the
 * targets.
 *
 *   1. A probe: one connect(), so that a server that is not there is said
 *      at once, not as 1,000 refusals.
 *   2. CROWD: N clients call connect() at once. Each sends a first line as
 *      soon as it is connected; the server answers "Server echo: LINE" only
 *      once it has accept()ed the client and started reading it (it has no
 *      greeting of its own), so that echo is the proof of acceptance.
 *      Figures: the time until every client is connected, and until every
 *      client's first echo is back.
 *   3. Then each of the first K clients (the talkers, default all N) sends
 *      one line every interval (1 s) for D rounds. The talkers' send times
 *      are spread evenly over the interval, so that the lines come as a
 *      steady stream and not as one burst a second. A line carries its send
 *      time; its echo's latency is now minus that. The server broadcasts
 *      every line to every other client as well ("Broadcast: PORT says:
 *      LINE"): each client reads and counts those, and times only the echo
 *      of its own line. With K < N the crowd keeps its size while the
 *      broadcast traffic drops to K x N lines a second.
 *   4. After the last round, the echoes still on their way have --timeout
 *      seconds to come; what has not come is lost. Every client is closed.
 *   5. CHURN: M connect-and-close cycles, F in flight at once: connect(),
 *      then close() as soon as it succeeds, then the next.
 *
 * Every handle is closed before the program ends, and it exits 0 only when
 * the run went through to the end (its figures may still be bad ones).
 *
 *   load_tcp [options] HOST:PORT      load_tcp --help for the options
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "addr.h"
#include "timing.h"

#define LINE_MAX_BYTES 256 /* our lines and the server's answers to them are far shorter */
#define SPARE_FDS      32  /* the loop's own (epoll, signals, async), stdio, slack */
#define MAX_ERROR_KINDS 32
#define ECHO_PREFIX    "Server echo: "
#define BCAST_PREFIX   "Broadcast: "

/* ---- options and figures ---------------------------------------------------- */

static struct {
    long clients, talkers, seconds, interval_ms, cycles, in_flight, timeout_s;
    int json;
    struct sockaddr_storage to;
    char name[SCOPE_ADDR_STRLEN];
} opt = {.clients = 1000, .talkers = -1, .seconds = 10, .interval_ms = 1000, .cycles = 10000,
         .in_flight = 64, .timeout_s = 30};

/* Errors by kind: "connect ECONNREFUSED" and how many times. */
static struct {
    char kind[48];
    long count;
} errors[MAX_ERROR_KINDS];
static int nerrors;

static void count_error(const char *phase, int status)
{
    char kind[48];
    snprintf(kind, sizeof kind, "%s %s", phase, status ? uv_err_name(status) : "EOF");
    for (int i = 0; i < nerrors; i++)
        if (!strcmp(errors[i].kind, kind)) {
            errors[i].count++;
            return;
        }
    if (nerrors < MAX_ERROR_KINDS) {
        snprintf(errors[nerrors].kind, sizeof errors[nerrors].kind, "%s", kind);
        errors[nerrors++].count = 1;
    }
}

static struct {
    uint64_t t0, t_connected, t_accepted, t_talk, t_talked;
    long connected, accepted, refused, cut_before_accept, cut_after_accept, timed_out;
    long lines_sent, echoes, broadcasts, other_lines, queued_writes;
    scope_hist_t accept_ns, echo_ns;
    uint64_t churn_t0, churn_t1;
    long churn_started, churn_done, churn_ok;
    int out_of_fds, interrupted, unreachable;
} fig;

/* ---- the loop and its phases, in order -------------------------------------- */

typedef enum { PROBE, CONNECT, TALK, DRAIN, CLOSE, CHURN, DONE } phase_t;

static uv_loop_t loop;
static phase_t phase;
static uv_timer_t deadline; /* the current phase's time limit */
static uv_timer_t ticker;   /* the talkers' send times */
static uv_signal_t sigint, sigterm;
static long open_handles;   /* crowd and churn sockets not yet closed */

static void crowd_start(void);
static void talk_start(void);
static void drain_start(void);
static void crowd_close(void);
static void churn_start(void);
static void finish(void);

typedef struct {
    uv_tcp_t tcp;
    uv_connect_t req;
    long id;
    int accepted, closing;
    size_t have;  /* bytes of an unfinished line in part */
    int skipping; /* a line longer than part: dropped up to its "\n" */
    char part[LINE_MAX_BYTES];
} client_t;

static client_t *clients;

static double secs(uint64_t ns)
{
    return (double)ns / 1e9;
}

static void on_client_closed(uv_handle_t *h)
{
    (void)h;
    if (--open_handles == 0 && phase == CLOSE) {
        free(clients);
        clients = NULL;
        if (fig.interrupted || opt.cycles == 0)
            finish();
        else
            churn_start();
    }
}

static void client_close(client_t *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    uv_close((uv_handle_t *)&c->tcp, on_client_closed);
}

/* ---- 1. the probe --------------------------------------------------------------- */

static uv_tcp_t probe;
static uv_connect_t probe_req;

static void on_probe_closed(uv_handle_t *h)
{
    (void)h;
    if (fig.unreachable || fig.interrupted)
        finish();
    else
        crowd_start();
}

static void on_probe(uv_connect_t *req, int status)
{
    (void)req;
    uv_timer_stop(&deadline);
    if (status < 0 && status != UV_ECANCELED) /* ECANCELED: closed by a timeout or Ctrl-C */
        fig.unreachable = status;
    if (!uv_is_closing((uv_handle_t *)&probe))
        uv_close((uv_handle_t *)&probe, on_probe_closed);
}

static void on_probe_timeout(uv_timer_t *t)
{
    (void)t;
    fig.unreachable = UV_ETIMEDOUT;
    uv_close((uv_handle_t *)&probe, on_probe_closed); /* on_probe: ECANCELED */
}

static void probe_start(void)
{
    phase = PROBE;
    uv_tcp_init(&loop, &probe);
    int r = uv_tcp_connect(&probe_req, &probe, (struct sockaddr *)&opt.to, on_probe);
    if (r < 0) {
        fig.unreachable = r;
        uv_close((uv_handle_t *)&probe, on_probe_closed);
        return;
    }
    uv_timer_start(&deadline, on_probe_timeout, 3000, 0);
}

/* ---- 2. the crowd connects: reading -------------------------------------------- */

static char readbuf[64 * 1024]; /* one loop thread: every read is consumed at once */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    (void)hint;
    *buf = uv_buf_init(readbuf, sizeof readbuf);
}

/* Every client accepted, or refused, or cut: the crowd talks. */
static void all_accepted_check(void)
{
    if (phase == CONNECT && fig.accepted + fig.refused + fig.cut_before_accept == opt.clients)
        talk_start();
}

static void all_echoed_check(void)
{
    if (phase == DRAIN && fig.echoes >= fig.lines_sent)
        crowd_close();
}

/* One whole line from the server. Ours are "H ID T" (the first) and
 * "L ID ROUND T", T our send time in ns; the server answers each with
 * "Server echo: " and the line. */
static void on_line(client_t *c, const char *line, size_t len)
{
    uint64_t now = scope_time_now_ns();
    size_t bp = strlen(BCAST_PREFIX), ep = strlen(ECHO_PREFIX);
    if (len > bp && !memcmp(line, BCAST_PREFIX, bp)) {
        fig.broadcasts++;
        return;
    }
    unsigned long long t = 0;
    char kind = 0;
    if (len > ep && !memcmp(line, ECHO_PREFIX, ep)) {
        char tmp[LINE_MAX_BYTES];
        long id, round;
        snprintf(tmp, sizeof tmp, "%.*s", (int)(len - ep), line + ep);
        if (sscanf(tmp, "H %ld %llu", &id, &t) == 2)
            kind = 'H';
        else if (sscanf(tmp, "L %ld %ld %llu", &id, &round, &t) == 3)
            kind = 'L';
    }
    if (!kind || t > now) {
        fig.other_lines++; /* "Server error: ...", or not ours */
        return;
    }
    if (kind == 'H' && !c->accepted) {
        c->accepted = 1;
        fig.accepted++;
        fig.t_accepted = now;
        scope_hist_add(&fig.accept_ns, now - fig.t0);
        all_accepted_check();
    } else if (kind == 'L') {
        fig.echoes++;
        scope_hist_add(&fig.echo_ns, now - t);
        all_echoed_check();
    }
}

/* The server closed us (EOF, reset) before we were done. */
static void client_cut(client_t *c, int status)
{
    if (c->closing)
        return;
    count_error("read", status == UV_EOF ? 0 : status);
    if (c->accepted)
        fig.cut_after_accept++;
    else
        fig.cut_before_accept++;
    client_close(c);
    all_accepted_check();
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    client_t *c = s->data;
    if (nread < 0) {
        client_cut(c, (int)nread);
        return;
    }
    const char *p = buf->base, *end = buf->base + nread;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        if (!c->skipping && c->have + n > sizeof c->part) {
            c->skipping = 1; /* far longer than any answer to us */
            fig.other_lines++;
        }
        if (!c->skipping) {
            memcpy(c->part + c->have, p, n);
            c->have += n;
        }
        if (!nl)
            break;
        if (!c->skipping)
            on_line(c, c->part, c->have);
        c->have = 0;
        c->skipping = 0;
        p = nl + 1;
    }
}

/* ---- 2. the crowd connects: writing -------------------------------------------- */

typedef struct {
    uv_write_t req;
    char data[LINE_MAX_BYTES];
} queued_write_t;

static void on_written(uv_write_t *req, int status)
{
    if (status < 0 && status != UV_ECANCELED)
        count_error("write", status);
    free(req);
}

/* One short line: the socket's buffer takes it at once unless the server has
 * stopped reading; then libuv queues what is left. */
static int client_write(client_t *c, const char *line, size_t len)
{
    uv_buf_t b = uv_buf_init((char *)line, (unsigned)len);
    int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n == (int)len)
        return 0;
    if (n < 0 && n != UV_EAGAIN)
        return n;
    size_t done = n > 0 ? (size_t)n : 0;
    queued_write_t *q = malloc(sizeof *q);
    if (!q)
        return UV_ENOMEM;
    memcpy(q->data, line + done, len - done);
    b = uv_buf_init(q->data, (unsigned)(len - done));
    fig.queued_writes++;
    int r = uv_write(&q->req, (uv_stream_t *)&c->tcp, &b, 1, on_written);
    if (r < 0)
        free(q);
    return r;
}

static void on_connected(uv_connect_t *req, int status)
{
    client_t *c = req->data;
    uint64_t now = scope_time_now_ns();
    if (status == UV_ECANCELED) /* closed by us while connecting: counted then */
        return;
    if (status < 0) {
        count_error("connect", status);
        fig.refused++;
        client_close(c);
        all_accepted_check();
        return;
    }
    fig.connected++;
    fig.t_connected = now;
    char line[64];
    int n = snprintf(line, sizeof line, "H %ld %" PRIu64 "\n", c->id, now);
    int r = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (r == 0)
        r = client_write(c, line, (size_t)n);
    if (r < 0)
        client_cut(c, r);
}

/* The crowd's time to be accepted is over: who is not in, is out. */
static void on_connect_timeout(uv_timer_t *t)
{
    (void)t;
    for (long i = 0; i < opt.clients; i++)
        if (!clients[i].accepted && !clients[i].closing) {
            fig.timed_out++;
            client_close(&clients[i]);
        }
    talk_start();
}

static void crowd_start(void)
{
    if (opt.clients == 0) {
        phase = CLOSE;
        open_handles++; /* on_client_closed's count, for no client */
        on_client_closed(NULL);
        return;
    }
    phase = CONNECT;
    clients = calloc((size_t)opt.clients, sizeof *clients);
    if (!clients) {
        fprintf(stderr, "load_tcp: no memory for %ld clients\n", opt.clients);
        fig.interrupted = 1;
        finish();
        return;
    }
    uv_timer_start(&deadline, on_connect_timeout, (uint64_t)opt.timeout_s * 1000, 0);
    fig.t0 = scope_time_now_ns();
    for (long i = 0; i < opt.clients; i++) {
        client_t *c = &clients[i];
        c->id = i;
        uv_tcp_init(&loop, &c->tcp);
        c->tcp.data = c;
        c->req.data = c;
        open_handles++;
        /* uv_tcp_connect makes the socket: EMFILE shows here. */
        int r = uv_tcp_connect(&c->req, &c->tcp, (struct sockaddr *)&opt.to, on_connected);
        if (r < 0) {
            count_error("connect", r);
            fig.out_of_fds |= r == UV_EMFILE || r == UV_ENFILE;
            fig.refused++;
            client_close(c);
        }
    }
    all_accepted_check();
}

/* ---- 3. the crowd talks ---------------------------------------------------------- */

static long talk_round, talk_next; /* the next line: its round and its talker */

/* Talker i's line of round r goes at t_talk + r * interval + i * interval / K. */
static void on_tick(uv_timer_t *t)
{
    (void)t;
    uint64_t now = scope_time_now_ns(), interval = (uint64_t)opt.interval_ms * 1000000u;
    while (talk_round < opt.seconds) {
        uint64_t at = fig.t_talk + (uint64_t)talk_round * interval +
                      (uint64_t)talk_next * interval / (uint64_t)opt.talkers;
        if (at > now)
            return;
        client_t *c = &clients[talk_next];
        if (c->accepted && !c->closing) {
            char line[80];
            int n = snprintf(line, sizeof line, "L %ld %ld %" PRIu64 "\n", c->id, talk_round,
                             scope_time_now_ns());
            int r = client_write(c, line, (size_t)n);
            if (r == 0)
                fig.lines_sent++;
            else
                client_cut(c, r);
        }
        if (++talk_next == opt.talkers) {
            talk_next = 0;
            talk_round++;
        }
    }
    drain_start();
}

static void talk_start(void)
{
    uv_timer_stop(&deadline);
    phase = TALK;
    fig.t_talk = scope_time_now_ns();
    if (opt.talkers == 0 || opt.seconds == 0 || fig.accepted == 0) {
        drain_start();
        return;
    }
    uv_timer_start(&ticker, on_tick, 1, 1);
}

/* ---- 4. the last echoes, then every client closed -------------------------------- */

static void on_drain_timeout(uv_timer_t *t)
{
    (void)t;
    crowd_close();
}

static void drain_start(void)
{
    uv_timer_stop(&ticker);
    phase = DRAIN;
    fig.t_talked = scope_time_now_ns();
    uv_timer_start(&deadline, on_drain_timeout, (uint64_t)opt.timeout_s * 1000, 0);
    all_echoed_check();
}

static void crowd_close(void)
{
    uv_timer_stop(&deadline);
    uv_timer_stop(&ticker);
    if (phase == TALK) /* cut short by Ctrl-C */
        fig.t_talked = scope_time_now_ns();
    phase = CLOSE;
    open_handles++; /* held, so that the last close does not come while we loop */
    for (long i = 0; i < opt.clients; i++)
        client_close(&clients[i]);
    on_client_closed(NULL);
}

/* ---- 5. the churn ------------------------------------------------------------------ */

typedef struct {
    uv_tcp_t tcp;
    uv_connect_t req;
} churn_t;

static churn_t *slots;

static void churn_next(churn_t *s);

static void on_churn_closed(uv_handle_t *h)
{
    fig.churn_done++;
    open_handles--;
    if (fig.churn_done == fig.churn_started && (fig.churn_done == opt.cycles || fig.interrupted)) {
        fig.churn_t1 = scope_time_now_ns();
        free(slots);
        slots = NULL;
        finish();
        return;
    }
    churn_next(h->data);
}

static void on_churn_connected(uv_connect_t *req, int status)
{
    churn_t *s = req->data;
    if (status == 0)
        fig.churn_ok++;
    else if (status != UV_ECANCELED)
        count_error("churn connect", status);
    uv_close((uv_handle_t *)&s->tcp, on_churn_closed);
}

static void churn_next(churn_t *s)
{
    if (fig.interrupted || fig.churn_started >= opt.cycles)
        return;
    fig.churn_started++;
    open_handles++;
    uv_tcp_init(&loop, &s->tcp);
    s->tcp.data = s;
    s->req.data = s;
    int r = uv_tcp_connect(&s->req, &s->tcp, (struct sockaddr *)&opt.to, on_churn_connected);
    if (r < 0) {
        count_error("churn connect", r);
        fig.out_of_fds |= r == UV_EMFILE || r == UV_ENFILE;
        uv_close((uv_handle_t *)&s->tcp, on_churn_closed);
    }
}

static void churn_start(void)
{
    long f = opt.in_flight < opt.cycles ? opt.in_flight : opt.cycles;
    phase = CHURN;
    slots = calloc((size_t)f, sizeof *slots);
    if (!slots) {
        fprintf(stderr, "load_tcp: no memory for %ld connections in flight\n", f);
        fig.interrupted = 1;
        finish();
        return;
    }
    fig.churn_t0 = scope_time_now_ns();
    for (long i = 0; i < f; i++)
        churn_next(&slots[i]);
}

/* ---- the end, and Ctrl-C --------------------------------------------------------- */

static void finish(void)
{
    phase = DONE;
    uv_close((uv_handle_t *)&deadline, NULL);
    uv_close((uv_handle_t *)&ticker, NULL);
    uv_close((uv_handle_t *)&sigint, NULL);
    uv_close((uv_handle_t *)&sigterm, NULL);
}

/* The figures so far are kept: each phase under way closes what it has open,
 * then the run ends with them. */
static void on_signal(uv_signal_t *s, int signum)
{
    (void)s;
    if (fig.interrupted++) /* a second Ctrl-C: no more waiting */
        exit(130);
    fprintf(stderr, "load_tcp: %s: closing every connection\n", strsignal(signum));
    if (phase == PROBE && !uv_is_closing((uv_handle_t *)&probe)) {
        uv_timer_stop(&deadline);
        uv_close((uv_handle_t *)&probe, on_probe_closed);
    } else if (phase == CONNECT || phase == TALK || phase == DRAIN) {
        crowd_close();
    } /* CLOSE and CHURN see fig.interrupted as their handles close */
}

/* ---- the report --------------------------------------------------------------- */

static void ms(char *out, size_t len, uint64_t ns)
{
    scope_time_format(out, len, (double)ns);
}

/* Our own CPU time: when it is near the wall time, the figures are ours,
 * not the server's. */
static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void report_text(void)
{
    char a[32], b[32], c[32];
    printf("load_tcp: %s, %ld clients (%ld talking, a line every %ld ms, %ld rounds), then "
           "%ld connect-and-close cycles, %ld in flight\n",
           opt.name, opt.clients, opt.talkers, opt.interval_ms, opt.seconds, opt.cycles,
           opt.in_flight);
    if (opt.clients) {
        printf("crowd:  %ld of %ld connected, the last after %.3f s; %ld accepted (their first "
               "line echoed), the last after %.3f s\n",
               fig.connected, opt.clients, fig.connected ? secs(fig.t_connected - fig.t0) : 0.0,
               fig.accepted, fig.accepted ? secs(fig.t_accepted - fig.t0) : 0.0);
        ms(a, sizeof a, scope_hist_percentile(&fig.accept_ns, 50));
        ms(b, sizeof b, scope_hist_percentile(&fig.accept_ns, 99));
        printf("        accepted after: p50 %s, p99 %s; refused %ld, cut before accepted %ld, "
               "not accepted within %ld s %ld, cut later %ld\n",
               a, b, fig.refused, fig.cut_before_accept, opt.timeout_s, fig.timed_out,
               fig.cut_after_accept);
        ms(a, sizeof a, scope_hist_percentile(&fig.echo_ns, 50));
        ms(b, sizeof b, scope_hist_percentile(&fig.echo_ns, 99));
        ms(c, sizeof c, fig.echo_ns.count ? fig.echo_ns.max : 0);
        printf("        lines: %ld sent in %.2f s, %ld echoed, %ld lost; echo p50 %s, p99 %s, "
               "max %s\n",
               fig.lines_sent, fig.t_talked > fig.t_talk ? secs(fig.t_talked - fig.t_talk) : 0.0,
               fig.echoes, fig.lines_sent - fig.echoes, a, b, c);
        printf("        broadcasts read: %ld (the server sends every line to every other client); "
               "other lines %ld; writes queued %ld\n",
               fig.broadcasts, fig.other_lines, fig.queued_writes);
    }
    if (opt.cycles) {
        double t = fig.churn_t1 > fig.churn_t0 ? secs(fig.churn_t1 - fig.churn_t0) : 0;
        printf("churn:  %ld of %ld cycles in %.3f s (%.0f a second), %ld of them connected\n",
               fig.churn_done, opt.cycles, t, t > 0 ? (double)fig.churn_done / t : 0.0,
               fig.churn_ok);
    }
    printf("errors: ");
    for (int i = 0; i < nerrors; i++)
        printf("%s%s %ld", i ? ", " : "", errors[i].kind, errors[i].count);
    printf("%s\n", nerrors ? "" : "none");
    printf("load_tcp's own CPU time: %.2f s\n", cpu_seconds());
    if (fig.out_of_fds)
        printf("load_tcp ran out of file descriptors (EMFILE): fewer clients than asked for\n");
    if (fig.interrupted)
        printf("interrupted: the figures above are of a part of the run\n");
}

static double ms_of(uint64_t ns)
{
    return (double)ns / 1e6;
}

static void report_json(void)
{
    double churn_s = fig.churn_t1 > fig.churn_t0 ? secs(fig.churn_t1 - fig.churn_t0) : 0;
    printf("{\"server\":\"%s\",\"clients\":%ld,\"talkers\":%ld,\"rounds\":%ld,"
           "\"interval_ms\":%ld,\"connected\":%ld,\"accepted\":%ld,\"refused\":%ld,"
           "\"cut_before_accept\":%ld,\"timed_out\":%ld,\"cut_after_accept\":%ld,"
           "\"connect_s\":%.6f,\"accept_s\":%.6f,\"accept_p50_ms\":%.3f,"
           "\"accept_p99_ms\":%.3f,\"lines_sent\":%ld,\"echoes\":%ld,\"lost\":%ld,"
           "\"talk_s\":%.3f,\"echo_p50_ms\":%.3f,\"echo_p99_ms\":%.3f,\"echo_max_ms\":%.3f,"
           "\"broadcasts\":%ld,\"other_lines\":%ld,\"queued_writes\":%ld,",
           opt.name, opt.clients, opt.talkers, opt.seconds, opt.interval_ms, fig.connected,
           fig.accepted, fig.refused, fig.cut_before_accept, fig.timed_out, fig.cut_after_accept,
           fig.connected ? secs(fig.t_connected - fig.t0) : 0.0,
           fig.accepted ? secs(fig.t_accepted - fig.t0) : 0.0,
           ms_of(scope_hist_percentile(&fig.accept_ns, 50)),
           ms_of(scope_hist_percentile(&fig.accept_ns, 99)), fig.lines_sent, fig.echoes,
           fig.lines_sent - fig.echoes,
           fig.t_talked > fig.t_talk ? secs(fig.t_talked - fig.t_talk) : 0.0,
           ms_of(scope_hist_percentile(&fig.echo_ns, 50)),
           ms_of(scope_hist_percentile(&fig.echo_ns, 99)),
           ms_of(fig.echo_ns.count ? fig.echo_ns.max : 0), fig.broadcasts, fig.other_lines,
           fig.queued_writes);
    printf("\"cycles\":%ld,\"in_flight\":%ld,\"cycles_done\":%ld,\"cycles_connected\":%ld,"
           "\"churn_s\":%.6f,\"churn_per_s\":%.1f,\"errors\":{",
           opt.cycles, opt.in_flight, fig.churn_done, fig.churn_ok, churn_s,
           churn_s > 0 ? (double)fig.churn_done / churn_s : 0.0);
    for (int i = 0; i < nerrors; i++)
        printf("%s\"%s\":%ld", i ? "," : "", errors[i].kind, errors[i].count);
    printf("},\"cpu_s\":%.3f,\"out_of_fds\":%s,\"completed\":%s}\n", cpu_seconds(),
           fig.out_of_fds ? "true" : "false", fig.interrupted ? "false" : "true");
}

/* ---- the command line ----------------------------------------------------------- */

static void usage(FILE *to)
{
    fprintf(to,
            "usage: load_tcp [options] HOST:PORT\n"
            "\n"
            "Loads the tcp demo's chat server (build/demos/tcp --listen HOST:PORT): a crowd of\n"
            "clients that each send a line a second, then connect-and-close cycles. Measures;\n"
            "never asserts (bench/load.sh compares with the targets).\n"
            "\n"
            "  --clients N       the crowd: N connections at once (default 1000; 0: no crowd)\n"
            "  --talkers K       only the first K clients send lines (default all): the server\n"
            "                    broadcasts each line to every other client, K x N lines a round\n"
            "  --seconds D       rounds of one line per talker (default 10)\n"
            "  --interval-ms MS  time between a talker's lines (default 1000); the talkers'\n"
            "                    lines are spread evenly over it\n"
            "  --cycles M        connect-and-close cycles after the crowd (default 10000; 0: none)\n"
            "  --in-flight F     cycles under way at once (default 64)\n"
            "  --timeout S       how long the crowd's accepts, and the last echoes, may take\n"
            "                    before they count as lost (default 30)\n"
            "  --json            one JSON line instead of the text report\n"
            "  --help            this text\n"
            "\n"
            "Exit status: 0 when the run went through to the end (whatever its figures),\n"
            "1 when the server cannot be reached or the run was cut short, 2 for a bad\n"
            "command line or a descriptor limit too low for the crowd.\n");
}

static int number(const char *name, const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi) {
        fprintf(stderr, "load_tcp: --%s wants a number from %ld to %ld, not '%s'\n", name, lo, hi,
                v);
        return -1;
    }
    *out = n;
    return 0;
}

static int parse(int argc, char **argv)
{
    static const struct option longs[] = {
        {"clients", required_argument, NULL, 'n'},  {"talkers", required_argument, NULL, 'k'},
        {"seconds", required_argument, NULL, 'd'},  {"interval-ms", required_argument, NULL, 'i'},
        {"cycles", required_argument, NULL, 'm'},   {"in-flight", required_argument, NULL, 'f'},
        {"timeout", required_argument, NULL, 't'},  {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    int ch, r = 0;
    while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (ch) {
        case 'n': r = number("clients", optarg, 0, 1000000, &opt.clients); break;
        case 'k': r = number("talkers", optarg, 0, 1000000, &opt.talkers); break;
        case 'd': r = number("seconds", optarg, 0, 86400, &opt.seconds); break;
        case 'i': r = number("interval-ms", optarg, 1, 3600000, &opt.interval_ms); break;
        case 'm': r = number("cycles", optarg, 0, 100000000, &opt.cycles); break;
        case 'f': r = number("in-flight", optarg, 1, 100000, &opt.in_flight); break;
        case 't': r = number("timeout", optarg, 1, 86400, &opt.timeout_s); break;
        case 'j': opt.json = 1; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
        if (r < 0)
            return -1;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "load_tcp: which server? give its HOST:PORT (load_tcp --help)\n");
        return -1;
    }
    if (scope_addr_parse(argv[optind], "127.0.0.1", 0, &opt.to) < 0 ||
        scope_addr_port((struct sockaddr *)&opt.to) <= 0) {
        fprintf(stderr, "load_tcp: '%s' is not HOST:PORT with a port\n", argv[optind]);
        return -1;
    }
    scope_addr_format((struct sockaddr *)&opt.to, opt.name, sizeof opt.name);
    if (opt.talkers < 0 || opt.talkers > opt.clients)
        opt.talkers = opt.clients;
    return 0;
}

/* Every client is a descriptor: the soft limit goes up to the hard one, and a
 * hard limit too low for the crowd is said before any connect, not found as
 * EMFILE half way through. */
static int raise_fd_limit(void)
{
    struct rlimit rl;
    long need = (opt.clients > opt.in_flight ? opt.clients : opt.in_flight) + SPARE_FDS;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
        perror("load_tcp: getrlimit(RLIMIT_NOFILE)");
        return -1;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
            perror("load_tcp: setrlimit(RLIMIT_NOFILE)");
            return -1;
        }
    }
    if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < need) {
        fprintf(stderr,
                "load_tcp: %ld clients need about %ld file descriptors, and the hard limit "
                "(RLIMIT_NOFILE, ulimit -Hn) is %llu: ask for at most %llu clients, or raise the "
                "hard limit (as root, or in /etc/security/limits.conf)\n",
                opt.clients, need, (unsigned long long)rl.rlim_max,
                (unsigned long long)(rl.rlim_max > SPARE_FDS ? rl.rlim_max - SPARE_FDS : 0));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (parse(argc, argv) < 0 || raise_fd_limit() < 0)
        return 2;
    scope_hist_reset(&fig.accept_ns);
    scope_hist_reset(&fig.echo_ns);
    int r = uv_loop_init(&loop);
    if (r < 0) {
        fprintf(stderr, "load_tcp: uv_loop_init: %s\n", uv_strerror(r));
        return 1;
    }
    uv_timer_init(&loop, &deadline);
    uv_timer_init(&loop, &ticker);
    uv_signal_init(&loop, &sigint);
    uv_signal_init(&loop, &sigterm);
    uv_signal_start(&sigint, on_signal, SIGINT);
    uv_signal_start(&sigterm, on_signal, SIGTERM);
    probe_start();
    uv_run(&loop, UV_RUN_DEFAULT);
    r = uv_loop_close(&loop);
    if (r < 0)
        fprintf(stderr, "load_tcp: uv_loop_close: %s (a handle left open)\n", uv_strerror(r));
    if (fig.unreachable) {
        fprintf(stderr, "load_tcp: cannot connect to %s: %s (is the server running? "
                "build/demos/tcp --listen %s)\n", opt.name, uv_strerror(fig.unreachable),
                opt.name);
        return 1;
    }
    if (opt.json)
        report_json();
    else
        report_text();
    return fig.interrupted || r < 0 ? 1 : 0;
}
