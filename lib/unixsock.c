/* unixsock: socket files, abstract names, peer credentials and FIFO opens.
 * See unixsock.h. */
#include "unixsock.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static int abstract_socket(const char *name, int bind_it)
{
    struct sockaddr_un sa;
    int len = scope_unix_addr(name, 1, &sa);
    if (len < 0)
        return len;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int r = bind_it ? bind(fd, (struct sockaddr *)&sa, (socklen_t)len)
                    : connect(fd, (struct sockaddr *)&sa, (socklen_t)len);
    if (r == 0)
        return fd;
    r = -errno;
    close(fd);
    return r;
}

int scope_unix_bind_abstract(const char *name)
{
    return abstract_socket(name, 1);
}

int scope_unix_connect_abstract(const char *name)
{
    return abstract_socket(name, 0);
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

/* ---- FIFOs ---------------------------------------------------------------- */

static void on_fifo_opened(uv_fs_t *req)
{
    scope_fifo_open_t *o = req->data;
    int fd = (int)req->result;
    uv_fs_req_cleanup(req);
    o->waited_ns = uv_hrtime() - o->waited_ns;
    o->pending = 0;
    if (o->cancelled && fd >= 0)
        close(fd);
    o->cb(o, o->cancelled ? UV_ECANCELED : fd);
}

int scope_fifo_open(uv_loop_t *loop, scope_fifo_open_t *o, const char *path, int flags,
                    scope_fifo_open_cb cb)
{
    if (strlen(path) >= sizeof o->path)
        return -ENAMETOOLONG;
    snprintf(o->path, sizeof o->path, "%s", path);
    o->cb = cb;
    o->flags = flags;
    o->cancelled = 0;
    o->waited_ns = uv_hrtime(); /* the start, until the open is back */
    o->req.data = o;
    int r = uv_fs_open(loop, &o->req, o->path, flags, 0, on_fifo_opened);
    o->pending = r == 0;
    return r;
}

void scope_fifo_cancel(scope_fifo_open_t *o)
{
    if (!o->pending || o->cancelled)
        return;
    o->cancelled = 1;
    if (uv_cancel((uv_req_t *)&o->req) == 0)
        return; /* it had not started: cb comes with UV_ECANCELED */
    /* O_NONBLOCK: we must not wait ourselves. A writer's open() then needs
     * a reader, the blocked one; should that one not have reached the kernel
     * yet, ours fails (ENXIO) and it would block on: a race left open. */
    int other = (o->flags & O_ACCMODE) == O_RDONLY ? O_WRONLY : O_RDONLY;
    int fd = open(o->path, other | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0)
        close(fd);
}
