/* pingpong.c: a line into the echo child's stdin (children.c), the same line
 * back on its stdout, one in flight at a time. A pipe keeps order, so the
 * next line back answers the one in flight: the sender keeps the send time,
 * and the line carries nothing but "ping N" and its payload. */
#include <stdlib.h>
#include <string.h>

#include "stdio-pipe.h"

static struct {
    stdio_child_t child;
    scope_pacer_t pacer;
    char *line;         /* "ping N xxx...x\n" */
    size_t cap, got;    /* got: bytes of the answer read so far */
    uint64_t sent_at;   /* the ping in flight, timed by its sender */
    long pings, pongs;
} pp;

static void ping(scope_pacer_t *pacer)
{
    (void)pacer;
    stdio_child_t *c = &pp.child;
    size_t size = c->demo->size;
    if (pp.cap < size + 32) {
        pp.cap = size + 32;
        pp.line = realloc(pp.line, pp.cap);
    }
    int n = snprintf(pp.line, 32, "ping %ld ", ++pp.pings);
    memset(pp.line + n, 'x', size);
    pp.line[n + size] = '\n';
    pp.sent_at = scope_time_now_ns();
    scope_trace_send(&c->in, pp.line, (size_t)n + size);
    child_write(c, pp.line, (size_t)n + size + 1);
}

static void pong(stdio_child_t *c, int fd, const char *data, size_t len)
{
    scope_demo_t *d = c->demo;
    if (fd == 2) {
        scope_trace_recv(&c->err, data, len);
        return;
    }
    pp.got += len; /* one line may take more than one read() */
    if (data[len - 1] != '\n')
        return;
    scope_trace_reply(&c->out, data, pp.got - 1, scope_time_now_ns() - pp.sent_at);
    pp.got = 0;
    if (++pp.pongs >= d->count || d->quitting) {
        char text[96];
        scope_events_log("%s; child.stdin.end()", scope_trace_describe(&c->out, text, sizeof text));
        child_end(c);
    } else if (d->rate == 0 && !d->paused && !d->step_mode) {
        ping(NULL); /* full speed: the next ping leaves from this callback */
    } else {
        scope_pacer_next(&pp.pacer, ping);
    }
}

static void pingpong_closed(stdio_child_t *c)
{
    scope_demo_t *d = c->demo;
    child_cut(c, pp.pongs < d->count);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "size", (double)d->size);
    scope_trace_add_summary(&c->out, o);
    scope_demo_figure(d, "pingpong", o);
    free(pp.line);
    scope_pacer_close(&pp.pacer);
    scope_demo_next(d);
}

void pingpong_run(scope_demo_t *d)
{
    if (d->count == 0) {
        scope_demo_next(d);
        return;
    }
    char *argv[] = {"--as-child", "echo", NULL};
    stdio_child_t *c = &pp.child;
    *c = (stdio_child_t){.name = "echo child", .argv = argv, .on_data = pong,
                         .on_close = pingpong_closed};
    int r = child_spawn(c, d);
    if (!scope_demo_check(d, r == 0, "check", "cannot start the echo child: %s", strerror(-r))) {
        scope_demo_next(d);
        return;
    }
    c->in.framing_bytes = c->out.framing_bytes = 1; /* each line's newline */
    scope_pacer_init(d, &pp.pacer);
    char pings[48];
    scope_events_log("%s of %zu bytes: a line into its stdin, the same line back on its stdout",
                     scope_demo_count_of(pings, sizeof pings, d->count, "ping", "pings"), d->size);
    scope_trace_stats_start(&c->out, d->loop, 500);
    scope_pacer_next(&pp.pacer, ping);
}
