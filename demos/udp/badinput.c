/* badinput.c: what the echo server refuses, and the datagram that looks
 * like EOF.
 *
 * The probe sends the echo server a datagram over --max-message, one whose
 * bytes are not UTF-8, and an empty one. The first two are refused with an
 * error event and not answered (node would answer the second with U+FFFD in
 * place of the bad bytes). The empty one is legal UDP: recvmsg() returns 0,
 * which on a stream would mean end of file and here is a message with no
 * bytes; the server answers it with the bare greeting. The dashboard's
 * faults send one of the three at any time.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "role.h"
#include "udp.h"

static struct {
    size_t max;
    const char *echo;
    scope_demo_t *d;
    scope_demo_cb done;
    scope_role_t probe, faults[4];
    uint64_t refused, empty;
} bi;

/* -1 when all n bytes are UTF-8, else the offset of the first bad byte.
 * Overlong forms, surrogates and code points past U+10FFFF are bad. */
static long utf8_bad_at(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = p[i], len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (len == 0 || i + len > n)
            return (long)i;
        uint32_t cp = len == 1 ? c : c & (0x7Fu >> len);
        for (unsigned k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return (long)i;
            cp = cp << 6 | (p[i + k] & 0x3F);
        }
        static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < least[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return (long)i;
        i += len;
    }
    return -1;
}

void badinput_init(size_t max_message, const char *echo)
{
    bi.max = max_message;
    bi.echo = echo;
}

int badinput_refuse(const char *from, const char *data, size_t len, int cut)
{
    long bad = len > bi.max || cut ? -1 : utf8_bad_at((const unsigned char *)data, len);
    if (len > bi.max || cut)
        scope_events_error("refused", "a %zu%s-byte datagram from %s is over --max-message %zu: "
                           "refused, not echoed; the server goes on",
                           len, cut ? "+" : "", from, bi.max);
    else if (bad >= 0)
        scope_events_error("refused", "a %zu-byte datagram from %s is not UTF-8 (byte 0x%02x at "
                           "offset %ld): refused, not echoed; node would have answered with "
                           "U+FFFD in its place", len, from, (unsigned char)data[bad], bad);
    else if (len == 0 && ++bi.empty)
        scope_events_log("an empty datagram from %s: legal UDP. recvmsg() returned 0, which on "
                         "a stream would mean EOF; here it is a message with no bytes. Answered "
                         "with the bare greeting", from);
    int refuse = len > bi.max || cut || bad >= 0;
    bi.refused += (uint64_t)refuse;
    return refuse;
}

static int spawn_probe(scope_demo_t *d, scope_role_t *r, const char *kind)
{
    char max[24];
    snprintf(max, sizeof max, "%zu", bi.max);
    const char *args[] = {"--probe", kind, "--to", bi.echo, "--max-message", max, NULL};
    scope_role_options_t o = {.argv = args};
    return scope_role_spawn(d, r, "probe", &o);
}

static void on_probe_exit(scope_role_t *r, int code, int sig)
{
    (void)r, (void)code, (void)sig;
    scope_events_log("the server refused %llu datagrams and answered the empty one; it serves "
                     "on", (unsigned long long)bi.refused);
    bi.done(bi.d);
}

void badinput_run(scope_demo_t *d, scope_demo_cb done)
{
    bi.d = d;
    bi.done = done;
    bi.probe.on_exit = on_probe_exit;
    scope_events_log("the probe sends the echo server a datagram of %zu bytes (over "
                     "--max-message), one that is not UTF-8, and an empty one", bi.max + 1);
    if (spawn_probe(d, &bi.probe, "bad") < 0)
        done(d);
}

int badinput_fault(scope_demo_t *d, const char *kind)
{
    if (strcmp(kind, "oversize") && strcmp(kind, "malformed") && strcmp(kind, "empty"))
        return -1;
    for (int i = 0; i < 4; i++)
        if (!bi.faults[i].running)
            return spawn_probe(d, &bi.faults[i], kind);
    scope_events_error("fault", "four probes are still at work; try again");
    return 0;
}

void badinput_figures(cJSON *bye)
{
    cJSON_AddNumberToObject(bye, "refused", (double)bi.refused);
    cJSON_AddNumberToObject(bye, "empty", (double)bi.empty);
}

/* ==== the probe's side =================================================== */

static struct {
    uv_udp_t sock;
    uv_timer_t timer;
    scope_demo_t *d;
    char buf[128];
} p;

static void probe_end(void)
{
    uv_close((uv_handle_t *)&p.sock, NULL);
    uv_close((uv_handle_t *)&p.timer, NULL);
    scope_demo_stop(p.d);
}

static void on_silence(uv_timer_t *t)
{
    (void)t;
    scope_events_error("probe", "no answer to the empty datagram within %d ms", STEP_WAIT_MS / 2);
    probe_end();
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h, (void)suggested;
    *buf = uv_buf_init(p.buf, sizeof p.buf);
}

static void on_answer(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                      const struct sockaddr *from, unsigned flags)
{
    (void)h, (void)buf, (void)flags;
    if (nread < (ssize_t)GREETING_LEN || !from)
        return;
    scope_events_log("one answer, to the empty datagram (%zd bytes: the greeting alone); the "
                     "oversize and the non-UTF-8 ones got none", nread);
    probe_end();
}

int badinput_probe(scope_demo_t *d, const struct sockaddr *to, const char *kind,
                   size_t max_message)
{
    static char big[UDP4_MAX + 1];
    if (scope_demo_start(d, uv_default_loop(), "probe", 0) < 0)
        return 1;
    p.d = d;
    scope_trace_t t;
    scope_trace_init(&t, "probe", SCOPE_PID(getpid()), SCOPE_PID(getppid()));
    uv_udp_init(d->loop, &p.sock);
    uv_timer_init(d->loop, &p.timer);
    int all = !strcmp(kind, "bad");
    static const char junk[] = "\xff\xfe not UTF-8 \xc0\xaf";
    uv_buf_t b[3] = {uv_buf_init(big, (unsigned)max_message + 1),
                     uv_buf_init((char *)junk, sizeof junk - 1), uv_buf_init(big, 0)};
    const char *kinds[3] = {"oversize", "malformed", "empty"};
    memset(big, '.', sizeof big);
    memcpy(big, "oversize ", 9);
    for (int i = 0; i < 3; i++) {
        if (!all && strcmp(kind, kinds[i]))
            continue;
        /* The bad bytes are not shown: a summary must be UTF-8 itself. */
        const char *shown = i == 1 ? "bytes ff fe ...: not UTF-8" : b[i].base;
        scope_trace_msg(&t, SCOPE_TRACE_SEND, 0, shown, b[i].len, 0);
        uv_udp_try_send(&p.sock, &b[i], 1, to);
    }
    if (!all) {
        probe_end();
    } else { /* only the empty one is answered */
        uv_udp_recv_start(&p.sock, on_alloc, on_answer);
        uv_timer_start(&p.timer, on_silence, STEP_WAIT_MS / 2, 0);
    }
    return scope_demo_run(d);
}
