/* net: the helpers declared in net.h for the socket demos. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- addresses --------------------------------------------------------- */

static int parse_port(const char *s, int *port)
{
    char *end;
    if (*s == '\0')
        return -EINVAL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 0 || v > 65535 || *s == '-' || *s == '+')
        return -EINVAL;
    *port = (int)v;
    return 0;
}

static int resolve(const char *host, int port, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof *out);
    struct sockaddr_in *in4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        return 0;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL)
        return -ENOENT;
    if (res->ai_addrlen > sizeof *out) {
        freeaddrinfo(res);
        return -EINVAL;
    }
    memcpy(out, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (out->ss_family == AF_INET)
        in4->sin_port = htons((uint16_t)port);
    else if (out->ss_family == AF_INET6)
        in6->sin6_port = htons((uint16_t)port);
    else
        return -EINVAL;
    return 0;
}

int scope_addr_parse(const char *spec, const char *default_host, int default_port,
                     struct sockaddr_storage *out)
{
    char host[256];
    const char *port_s = NULL;
    int port = default_port;

    if (spec == NULL || *spec == '\0' || strlen(spec) >= sizeof host)
        return -EINVAL;
    if (spec[0] == '[') { /* [v6] or [v6]:port */
        const char *close = strchr(spec, ']');
        if (close == NULL || close == spec + 1)
            return -EINVAL;
        memcpy(host, spec + 1, (size_t)(close - spec - 1));
        host[close - spec - 1] = '\0';
        if (close[1] == ':')
            port_s = close + 2;
        else if (close[1] != '\0')
            return -EINVAL;
    } else {
        const char *colon = strrchr(spec, ':');
        if (colon != NULL && strchr(spec, ':') != colon)
            return -EINVAL; /* a bare IPv6 address: it needs brackets before a port */
        if (colon != NULL) {
            if (colon == spec) {
                snprintf(host, sizeof host, "%s", default_host);
            } else {
                memcpy(host, spec, (size_t)(colon - spec));
                host[colon - spec] = '\0';
            }
            port_s = colon + 1;
        } else if (strspn(spec, "0123456789") == strlen(spec)) {
            snprintf(host, sizeof host, "%s", default_host); /* "PORT" */
            port_s = spec;
        } else {
            snprintf(host, sizeof host, "%s", spec); /* "HOST" */
        }
    }
    if (port_s != NULL && parse_port(port_s, &port) < 0)
        return -EINVAL;
    if (port < 0 || port > 65535)
        return -EINVAL;
    return resolve(host, port, out);
}

socklen_t scope_addr_len(const struct sockaddr *sa)
{
    switch (sa->sa_family) {
    case AF_INET:
        return sizeof(struct sockaddr_in);
    case AF_INET6:
        return sizeof(struct sockaddr_in6);
    case AF_UNIX:
        return sizeof(struct sockaddr_un);
    default:
        return sizeof(struct sockaddr_storage);
    }
}

char *scope_addr_format(const struct sockaddr *sa, char *out, size_t outlen)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (outlen == 0)
        return out;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in4->sin_addr, ip, sizeof ip);
        snprintf(out, outlen, "%s:%d", ip, ntohs(in4->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        snprintf(out, outlen, "[%s]:%d", ip, ntohs(in6->sin6_port));
    } else if (sa->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
        if (un->sun_path[0] == '\0' && un->sun_path[1] != '\0')
            snprintf(out, outlen, "@%.*s", (int)sizeof un->sun_path - 1, un->sun_path + 1);
        else
            snprintf(out, outlen, "%.*s", (int)sizeof un->sun_path, un->sun_path);
    } else {
        snprintf(out, outlen, "(family %d)", sa->sa_family);
    }
    return out;
}

int scope_addr_port(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)sa)->sin_port);
    if (sa->sa_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    return -1;
}

int scope_addr_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
        return (a >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return 0;
}

/* ---- a private directory ----------------------------------------------- */

int scope_rundir_check(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) < 0)
        return -errno;
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0)
        return -EPERM;
    return 0;
}

/* XDG_RUNTIME_DIR is the place meant for sockets (tmpfs, per user, 0700,
 * removed at logout), but only if it really is ours: a stale or foreign value
 * inherited through sudo or su would put our socket somewhere else's. */
static const char *rundir_base(void)
{
    const char *x = getenv("XDG_RUNTIME_DIR");
    if (x != NULL && *x == '/' && scope_rundir_check(x) == 0)
        return x;
    const char *t = getenv("TMPDIR");
    if (t != NULL && *t == '/')
        return t;
    return "/tmp";
}

int scope_rundir_make(const char *name, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%s/ipcscope-%s.XXXXXX", rundir_base(), name);
    if (n < 0 || (size_t)n >= outlen)
        return -ENAMETOOLONG;
    /* mkdtemp makes the directory 0700 whatever the umask, under a name no
     * one could have guessed and made first. */
    if (mkdtemp(out) == NULL)
        return -errno;
    return 0;
}

int scope_rundir_remove(const char *dir)
{
    return rmdir(dir) < 0 ? -errno : 0;
}

/* ---- Unix socket files ------------------------------------------------- */

int scope_unix_addr(const char *path, int abstract, struct sockaddr_un *out)
{
    size_t len = strlen(path);
    memset(out, 0, sizeof *out);
    out->sun_family = AF_UNIX;
    if (abstract) {
        if (len + 1 > sizeof out->sun_path)
            return -ENAMETOOLONG;
        memcpy(out->sun_path + 1, path, len);
        /* An abstract name is exactly the bytes given: no NUL terminator is
         * counted, so the length passed must end where the name ends. */
        return (int)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
    }
    if (len == 0 || len >= sizeof out->sun_path)
        return -ENAMETOOLONG;
    memcpy(out->sun_path, path, len);
    return (int)sizeof *out;
}

int scope_unix_probe(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? SCOPE_UNIX_FREE : -errno;
    if (!S_ISSOCK(st.st_mode))
        return -ENOTSOCK;

    struct sockaddr_un sa;
    int len = scope_unix_addr(path, 0, &sa);
    if (len < 0)
        return len;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int r = connect(fd, (struct sockaddr *)&sa, (socklen_t)len);
    int err = errno;
    close(fd);
    if (r == 0)
        return -EADDRINUSE;
    /* ECONNREFUSED: the file is there but no socket listens on it, the mark
     * of a server that died without unlinking. EAGAIN: a live server whose
     * backlog is full, so it is in use. */
    if (err == ECONNREFUSED)
        return SCOPE_UNIX_STALE;
    if (err == EAGAIN)
        return -EADDRINUSE;
    return -err;
}

int scope_peer_cred(int fd, pid_t *pid, uid_t *uid, gid_t *gid)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return -errno;
    if (pid)
        *pid = cred.pid;
    if (uid)
        *uid = cred.uid;
    if (gid)
        *gid = cred.gid;
    return 0;
}

/* ---- connections --------------------------------------------------------- */

static void conn_handle_closed(uv_handle_t *h)
{
    scope_conn_t *c = h->data;
    if (--c->handles_open > 0)
        return;
    scope_ndjson_free(&c->lines);
    scope_lenframe_free(&c->frames);
    if (c->o.on_close)
        c->o.on_close(c);
}

static void conn_close_now(scope_conn_t *c)
{
    if (c->closing == 2)
        return;
    c->closing = 2;
    uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
    uv_close(&c->h.handle, conn_handle_closed);
}

static void conn_init_common(uv_loop_t *loop, scope_conn_t *c, scope_conn_close_cb on_close)
{
    c->o.on_close = on_close;
    c->h.handle.data = c;
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->handles_open = 2;
}

int scope_conn_init_tcp(uv_loop_t *loop, scope_conn_t *c, scope_conn_close_cb on_close)
{
    int r = uv_tcp_init(loop, &c->h.tcp);
    if (r < 0)
        return r;
    conn_init_common(loop, c, on_close);
    return 0;
}

int scope_conn_init_pipe(uv_loop_t *loop, scope_conn_t *c, scope_conn_close_cb on_close)
{
    int r = uv_pipe_init(loop, &c->h.pipe, 0);
    if (r < 0)
        return r;
    conn_init_common(loop, c, on_close);
    return 0;
}

static void conn_end(scope_conn_t *c, int status)
{
    if (c->ended)
        return;
    c->ended = 1;
    uv_read_stop(&c->h.stream);
    c->partial_bytes = c->o.framing == SCOPE_CONN_LINES
                           ? scope_ndjson_pending(&c->lines)
                           : c->frames.hdr_len + c->frames.len;
    if (c->o.on_end && !c->closing)
        c->o.on_end(c, status);
    /* A peer that closed cleanly may still be owed replies: let them out. */
    if (status == 0)
        scope_conn_close(c);
    else
        conn_close_now(c);
}

static void on_idle(uv_timer_t *t)
{
    scope_conn_t *c = t->data;
    if (c->closing)
        conn_close_now(c); /* the graceful close took too long */
    else
        conn_end(c, UV_ETIMEDOUT);
}

static void on_line(void *arg, cJSON *value, const char *line, size_t len)
{
    (void)value;
    scope_conn_t *c = arg;
    c->frames_in++;
    if (!c->ended && c->o.on_frame)
        c->o.on_frame(c, line, len);
}

static void on_lenframe(void *arg, const char *frame, size_t len)
{
    on_line(arg, NULL, frame, len);
}

static void on_frame_error(void *arg, const scope_frame_error_t *err)
{
    scope_conn_t *c = arg;
    if (!c->ended && c->o.on_error)
        c->o.on_error(c, err);
}

static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    scope_conn_t *c = h->data;
    *buf = uv_buf_init(c->buf, sizeof c->buf);
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    scope_conn_t *c = s->data;
    if (nread == 0)
        return;
    if (nread < 0) {
        conn_end(c, nread == UV_EOF ? 0 : (int)nread);
        return;
    }
    c->reads++;
    c->bytes_in += (uint64_t)nread;
    if (c->o.idle_ms && !c->closing)
        uv_timer_start(&c->timer, on_idle, c->o.idle_ms, 0);
    /* Callbacks may close the connection; the decoders stay valid until the
     * close completes, and on_line ignores frames once it has ended. */
    if (c->o.framing == SCOPE_CONN_LINES)
        scope_ndjson_feed(&c->lines, buf->base, (size_t)nread);
    else
        scope_lenframe_feed(&c->frames, buf->base, (size_t)nread);
}

int scope_conn_start(scope_conn_t *c, const scope_conn_options_t *o)
{
    scope_conn_close_cb init_close = c->o.on_close;
    c->o = *o;
    if (c->o.on_close == NULL)
        c->o.on_close = init_close;
    if (c->o.framing == SCOPE_CONN_LINES)
        scope_lines_init(&c->lines, c->o.max_frame, on_line, on_frame_error, c);
    else
        scope_lenframe_init(&c->frames, c->o.max_frame, on_lenframe, on_frame_error, c);
    c->o.max_frame = c->o.framing == SCOPE_CONN_LINES ? c->lines.max_frame : c->frames.max_frame;
    int r = uv_read_start(&c->h.stream, conn_alloc, conn_read);
    if (r < 0)
        return r;
    c->started = 1;
    if (c->o.idle_ms)
        uv_timer_start(&c->timer, on_idle, c->o.idle_ms, 0);
    return 0;
}

static void on_written(uv_write_t *req, int status)
{
    (void)status; /* a failed write shows up as a read error or EOF too */
    free(req);
}

/* Writes the pieces as one: straight into the socket when it takes them all
 * (the common case, no copy), otherwise the rest is copied and queued. */
static int conn_write(scope_conn_t *c, const uv_buf_t *bufs, unsigned nbufs)
{
    size_t total = 0;
    for (unsigned i = 0; i < nbufs; i++)
        total += bufs[i].len;
    if (c->ended || c->closing)
        return -EPIPE;

    size_t done = 0;
    if (uv_stream_get_write_queue_size(&c->h.stream) == 0) {
        int n = uv_try_write(&c->h.stream, bufs, nbufs);
        if (n > 0)
            done = (size_t)n;
        else if (n < 0 && n != UV_EAGAIN)
            return n;
    }
    c->bytes_out += total;
    if (done == total)
        return 0;

    size_t rest = total - done;
    uv_write_t *req = malloc(sizeof *req + rest);
    if (req == NULL)
        return -ENOMEM;
    char *copy = (char *)(req + 1), *p = copy;
    size_t skip = done;
    for (unsigned i = 0; i < nbufs; i++) {
        size_t len = bufs[i].len;
        const char *base = bufs[i].base;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        memcpy(p, base + skip, len - skip);
        p += len - skip;
        skip = 0;
    }
    uv_buf_t b = uv_buf_init(copy, (unsigned)rest);
    int r = uv_write(req, &c->h.stream, &b, 1, on_written);
    if (r < 0)
        free(req);
    return r;
}

int scope_conn_send(scope_conn_t *c, const void *data, size_t len)
{
    if (len > c->o.max_frame)
        return -EMSGSIZE;
    if (c->o.framing == SCOPE_CONN_LINES) {
        if (memchr(data, '\n', len) != NULL)
            return -EINVAL;
        uv_buf_t b[2] = {uv_buf_init((char *)data, (unsigned)len), uv_buf_init("\n", 1)};
        int r = conn_write(c, b, 2);
        if (r == 0)
            c->frames_out++;
        return r;
    }
    unsigned char hdr[4];
    int r = scope_lenframe_header(hdr, len);
    if (r < 0)
        return r;
    uv_buf_t b[2] = {uv_buf_init((char *)hdr, 4), uv_buf_init((char *)data, (unsigned)len)};
    r = conn_write(c, b, 2);
    if (r == 0)
        c->frames_out++;
    return r;
}

int scope_conn_write_raw(scope_conn_t *c, const void *data, size_t len)
{
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    return conn_write(c, &b, 1);
}

size_t scope_conn_queued(const scope_conn_t *c)
{
    return uv_stream_get_write_queue_size(&c->h.stream);
}

int scope_conn_fd(const scope_conn_t *c)
{
    uv_os_fd_t fd;
    if (uv_fileno(&c->h.handle, &fd) < 0)
        return -1;
    return fd;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    conn_close_now(req->data);
}

void scope_conn_close(scope_conn_t *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    if (!c->started || !uv_is_writable(&c->h.stream)) {
        conn_close_now(c);
        return;
    }
    uv_read_stop(&c->h.stream);
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, &c->h.stream, on_shutdown) < 0) {
        conn_close_now(c);
        return;
    }
    /* A peer that stopped reading would hold the shutdown forever. */
    uv_timer_start(&c->timer, on_idle, 1000, 0);
}
