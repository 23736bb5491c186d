/* badinput.c: what the echo server refuses (over --max-message, not UTF-8)
 * and the empty datagram that looks like EOF but is answered. The probe sends
 * all three; the dashboard's faults send one at any time. */
#include "udp.h"

static struct {
    scope_demo_t *d;
    const udp_lab_t *lab;
    udp_probe_t probe, fault; /* the lesson's, and the last fault's */
    const udp_server_t *srv; /* its refused count */
} bi;

/* -1 when all n bytes are UTF-8 (lib's check, which refuses the C1 controls
 * too), else the offset of the first bad byte. */
static long utf8_bad_at(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t k = p[i] < 0x80 ? 1 : scope_events_char_len(p + i, n - i);
        if (k == 0)
            return (long)i;
        i += k;
    }
    return -1;
}

static int refuse(const char *from, const char *data, size_t len, int cut)
{
    size_t max = (size_t)bi.lab->max_message;
    long bad = len > max || cut ? -1 : utf8_bad_at((const unsigned char *)data, len);
    if (len > max || cut)
        scope_events_error("refused", "a %zu%s-byte datagram from %s is over --max-message %zu: "
                           "refused, not echoed", len, cut ? "+" : "", from, max);
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
    return len > 0;
}

void badinput_init(scope_demo_t *d, udp_server_t *s)
{
    s->refuse = refuse;
    bi.srv = s;
    bi.d = d;
    bi.lab = d->data;
    scope_demo_figure_add(d, "refused", 0);
    scope_demo_figure_add(d, "empty", 0);
}

static void on_probe_exit(udp_probe_t *p)
{
    scope_events_log("the server refused %d datagrams and answered the empty one; it serves on",
                     (int)bi.srv->refused);
    probe_end(p, NULL);
}

void badinput_run(scope_demo_t *d)
{
    bi.probe.on_exit = on_probe_exit;
    scope_events_log("the probe sends the echo server %lld bytes (over --max-message), bytes "
                     "that are not UTF-8, and an empty datagram", bi.lab->max_message + 1);
    if (probe_spawn(&bi.probe, d, "bad", bi.lab->server) < 0)
        probe_end(&bi.probe, NULL);
}

/* A fault (lib/demo checked its kind): a probe sends the echo server one. */
void badinput_control(scope_demo_t *d, const char *cmd, const cJSON *msg)
{
    (void)msg;
    if (strcmp(cmd, "fault"))
        return;
    if (bi.fault.role.running)
        scope_events_error("fault", "the last fault's probe is still at work; try again");
    else
        probe_spawn(&bi.fault, d, d->fault, bi.lab->server);
}
