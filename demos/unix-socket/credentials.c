/* credentials.c: who is at the other end? getsockopt(SO_PEERCRED) reads the
 * pid, uid and gid the kernel recorded at connect(), which the peer cannot
 * forge; --allow-uid decides by uid who is served (the lesson's two layers).
 */
#include "procnet.h"
#include "unix-socket.h"

/* Names p (ours: one of our clients, or NULL: the command /proc says it
 * runs); a refusal line when --allow-uid leaves its uid out, or NULL. */
const char *credentials_accept(us_peer_t *p, const char *ours, const us_options_t *o)
{
    static char refusal[200];
    int allowed = !o->allow;
    char uid[16];
    p->ours = ours != NULL;
    if (ours) {
        snprintf(p->name, sizeof p->name, "%s", ours);
    } else {
        /* One small read of procfs, no scan: the kernel gave us the pid. */
        char comm[20] = "peer";
        scope_procnet_comm(p->pid, comm, sizeof comm);
        snprintf(p->name, sizeof p->name, "%.18s %ld", comm, (long)p->pid);
    }
    /* The dashboard may pause our clients at will: the idle limit is for the others. */
    scope_conn_idle_hold(&p->c, ours && strncmp(ours, "bad", 3) != 0);
    for (const char *at = o->allow; scope_demo_list_next(&at, uid, sizeof uid);)
        allowed |= strtoull(uid, NULL, 10) == p->uid;
    uv_os_fd_t lfd = -1;
    int fd = scope_conn_fd(&p->c);
    uv_fileno((uv_handle_t *)&p->server->listener, &lfd);
    snprintf(p->detail, sizeof p->detail, "fd %d; SO_PEERCRED pid %ld uid %ld gid %ld%s", fd,
             (long)p->pid, (long)p->uid, (long)p->gid, allowed ? "" : "; refused");
    scope_events_log("accept4() on fd %d -> fd %d; getsockopt(SO_PEERCRED): pid %ld, uid %ld, "
                     "gid %ld (%s)", lfd, fd, (long)p->pid, (long)p->uid, (long)p->gid, p->name);
    if (allowed)
        return NULL;
    scope_events_error("refused", "%s runs as uid %ld, not in --allow-uid %s: told why, then "
                       "closed (the kernel vouches for the uid)", p->name, (long)p->uid, o->allow);
    snprintf(refusal, sizeof refusal, "error: uid %ld is not allowed here (allowed: %s)",
             (long)p->uid, o->allow);
    return refusal;
}

/* The client's side: "error: ..." lines, a refusal among them (1: taken). */
int credentials_client_line(us_client_t *c, const char *line, size_t len)
{
    if (len < 7 || memcmp(line, "error: ", 7) != 0)
        return 0;
    scope_trace_recv(&c->trace, line, len);
    if (len > 10 && memcmp(line, "error: uid", 10) == 0) {
        c->code = CLIENT_REFUSED;
        scope_events_error("refused", "the server refused us: %.*s", (int)len - 7, line + 7);
    } else {
        scope_events_log("the server says: %.*s", (int)len, line);
    }
    return 1;
}
