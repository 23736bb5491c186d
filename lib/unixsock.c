/* unixsock: socket files and peer credentials. See unixsock.h. */
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

