/* badinput.c: what the echo server refuses, and the datagram that looks
 * like EOF. The probe sends the echo server a datagram over --max-message,
 * one whose bytes are not UTF-8 (both refused with an error event, not
 * answered), and an empty one (legal UDP, answered with the bare greeting).
 * The dashboard's faults send one of the three at any time.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "udp.h"

static struct {
    scope_demo_t *d;
    const udp_lab_t *lab;
    udp_probe_t probe, faults[4];
    int refused;
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

void badinput_init(scope_demo_t *d)
{
    bi.d = d;
    bi.lab = d->data;
    scope_demo_figure_add(d, "refused", 0);
    scope_demo_figure_add(d, "empty", 0);
}

int badinput_refuse(const char *from, const char *data, size_t len, int cut)
{
    size_t max = (size_t)bi.lab->max_message;
    long bad = len > max || cut ? -1 : utf8_bad_at((const unsigned char *)data, len);
    if (len > max || cut)
        scope_events_error("refused", "a %zu%s-byte datagram from %s is over --max-message %zu: "
                           "refused, not echoed; the server goes on",
                           len, cut ? "+" : "", from, max);
    else if (bad >= 0)
        scope_events_error("refused", "a %zu-byte datagram from %s is not UTF-8 (byte 0x%02x at "
                           "offset %ld): refused, not echoed; node would have answered with "
                           "U+FFFD in its place", len, from, (unsigned char)data[bad], bad);
    else if (len > 0)
        return 0;
    else
        scope_events_log("an empty datagram from %s: recvmsg() returned 0, not EOF but a message "
                         "with no bytes. Answered with the bare greeting", from);
    scope_demo_figure_add(bi.d, len ? "refused" : "empty", 1);
    bi.refused += len > 0;
    return len > 0;
}

/* The server made the probe's socket: it knows the probe's datagrams
 * before the first arrives. */
static int spawn_probe(scope_demo_t *d, udp_probe_t *p, const char *kind)
{
    int r = probe_spawn(p, d, kind, bi.lab->server);
    if (r == 0)
        peers_expect((struct sockaddr *)&p->from, "probe", p->role.pid, 0);
    return r;
}

static void on_probe_exit(udp_probe_t *p)
{
    scope_events_log("the server refused %d datagrams and answered the empty one; it serves on",
                     bi.refused);
    probe_end(p, NULL);
}

void badinput_run(scope_demo_t *d)
{
    bi.probe.on_exit = on_probe_exit;
    scope_events_log("the probe sends the echo server a datagram of %lld bytes (over "
                     "--max-message), one that is not UTF-8, and an empty one",
                     bi.lab->max_message + 1);
    if (spawn_probe(d, &bi.probe, "bad") < 0)
        probe_end(&bi.probe, NULL);
}

int badinput_fault(scope_demo_t *d, const char *kind)
{
    if (strcmp(kind, "oversize") && strcmp(kind, "malformed") && strcmp(kind, "empty"))
        return -1;
    for (int i = 0; i < 4; i++)
        if (!bi.faults[i].role.running)
            return spawn_probe(d, &bi.faults[i], kind);
    scope_events_error("fault", "four probes are still at work; try again");
    return 0;
}

int badinput_refused(void)
{
    return bi.refused;
}
