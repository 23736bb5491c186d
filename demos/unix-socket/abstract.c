/* abstract.c: a name in Linux's abstract namespace instead of a path: a
 * sun_path that starts with a NUL byte names no file (the lesson tells what
 * that changes). libuv 1.44's uv_pipe_bind() and uv_pipe_connect() take
 * paths only, so the socket is made here and handed to the mechanism with
 * uv_pipe_open().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unix-socket.h"

/* A socket and the address of name ("NAME" or "@NAME"), or -1 (told why). */
static int abstract_socket(const char **name, struct sockaddr_un *sa, socklen_t *len)
{
    *name += (*name)[0] == '@';
    int n = scope_unix_addr(*name, 1, sa);
    int fd = n < 0 ? -1 : socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        scope_events_error("socket", "@%s: %s", *name, n < 0 ? "name too long" : strerror(errno));
    *len = (socklen_t)n;
    return fd;
}

/* A bound socket's fd, or -1 (told why). */
int abstract_bind(const char *name, int allow_given)
{
    struct sockaddr_un sa;
    socklen_t len;
    int fd = abstract_socket(&name, &sa, &len);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, len) < 0) {
        if (errno == EADDRINUSE)
            scope_events_error("in use", "bind(@%s): EADDRINUSE: a live socket holds this name "
                               "(there is no file to be stale)", name);
        else
            scope_events_error("bind", "bind(@%s): %s", name, strerror(errno));
        close(fd);
        return -1;
    }
    if (fd >= 0)
        scope_events_log("abstract name @%s (a leading NUL in sun_path): No file is made, so none "
                         "goes stale; SO_PEERCRED%s is the only guard", name,
                         allow_given ? " (--allow-uid)" : "");
    return fd;
}

/* A connected socket's fd, or -1 (told why). */
int abstract_connect(const char *name)
{
    struct sockaddr_un sa;
    socklen_t len;
    int fd = abstract_socket(&name, &sa, &len);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, len) < 0) {
        scope_events_error("connect", "connect(@%s): %s%s", name, strerrorname_np(errno),
                           errno == ECONNREFUSED ? ": nobody holds this name" : "");
        close(fd);
        return -1;
    }
    return fd;
}
