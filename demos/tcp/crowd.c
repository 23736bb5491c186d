/* crowd.c: what the server does when it cannot take one more client.
 *
 * Each client takes a descriptor, and at `ulimit -n` accept4() fails with
 * EMFILE: libuv then accepts the waiting connection on a spare descriptor it
 * keeps for this and closes it at once, without a word to the server (its
 * connection callback is not called). So the server stops short of that
 * with a cap of its own, --max-clients, lowered to what the descriptors
 * allow (crowd_cap): the newcomer over it is accepted, told "error: the
 * server is full" and closed, and an error event names it. Under a crowd
 * these come by the thousand: one event a second says the first, and that
 * more came since. Another accept error libuv passes on is said the same way.
 */
#include <sys/resource.h>

#include "tcp.h"

static uint64_t said_at, unsaid; /* the last event's time, refusals since */

/* One event a second at most; the others are counted into the next. */
static int time_to_say(void)
{
    uint64_t now = scope_time_now_ns();
    if (said_at && now - said_at < 1000000000ull) {
        unsaid++;
        return 0;
    }
    said_at = now;
    return 1;
}

static void on_told(uv_write_t *w, int status)
{
    (void)status;
    uv_close((uv_handle_t *)w->data, (uv_close_cb)free);
    free(w);
}

/* Descriptors kept for the server itself: the listener, events, control,
 * libuv's epoll, eventfd and signal pipe, /proc files lib/peer reads. */
#define SERVER_FDS 32

long crowd_cap(long wanted)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
        (long)rl.rlim_cur - SERVER_FDS >= wanted)
        return wanted;
    long cap = (long)rl.rlim_cur > 2 * SERVER_FDS ? (long)rl.rlim_cur - SERVER_FDS
                                                   : (long)rl.rlim_cur / 2;
    scope_events_log("ulimit -n is %llu: at most %ld clients at once, not %ld (one descriptor "
                     "each; the rest are the server's own)", (unsigned long long)rl.rlim_cur,
                     cap, wanted);
    return cap;
}

void crowd_refuse(uv_stream_t *listener, int status, long live)
{
    if (status < 0) {
        if (time_to_say())
            scope_events_error("accept", "%s with %ld clients%s", uv_strerror(status), live,
                               unsaid ? scope_events_tr("; more since the last report") : "");
        unsaid = 0;
        return;
    }
    uv_tcp_t *t = malloc(sizeof *t);
    uv_write_t *w = malloc(sizeof *w);
    static char full[] = "error: the server is full; try again later\n";
    uv_buf_t b = uv_buf_init(full, sizeof full - 1);
    if (!t || !w || uv_tcp_init(listener->loop, t) < 0) {
        free(t), free(w);
        return;
    }
    if (uv_accept(listener, (uv_stream_t *)t) == 0 && time_to_say()) {
        struct sockaddr_storage ss;
        int len = sizeof ss;
        char who[SCOPE_ADDR_STRLEN] = "?";
        if (uv_tcp_getpeername(t, (struct sockaddr *)&ss, &len) == 0)
            scope_addr_format((struct sockaddr *)&ss, who, sizeof who);
        scope_events_error("full", "refused %s: %ld connected already (--max-clients)%s", who, live,
                           unsaid ? scope_events_tr("; more were refused since the last report")
                                  : "");
        unsaid = 0;
    }
    w->data = t;
    if (uv_write(w, (uv_stream_t *)t, &b, 1, on_told) < 0)
        on_told(w, 0);
}
