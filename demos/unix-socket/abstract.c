/* abstract.c: a name in Linux's abstract namespace instead of a path: a
 * sun_path that starts with a NUL byte names no file (the lesson tells what
 * that changes). lib/unixsock makes the socket, which libuv 1.44 cannot;
 * the mechanism takes it with uv_pipe_open(). (A client's connect() to such
 * a name is one call: clients_run() makes it.)
 */
#include "unix-socket.h"

/* A bound socket's fd on name ("NAME" or "@NAME"), or -1 (told why). */
int abstract_bind(const char *name, int allow_given)
{
    name += name[0] == '@';
    int fd = scope_unix_bind_abstract(name);
    if (fd == -EADDRINUSE)
        scope_events_error("in use", "bind(@%s): EADDRINUSE: a live socket holds this name "
                           "(there is no file to be stale)", name);
    else if (fd < 0)
        scope_events_error("bind", "bind(@%s): %s", name, strerror(-fd));
    else
        scope_events_log("abstract name @%s (a leading NUL in sun_path): No file is made, so none "
                         "goes stale; SO_PEERCRED%s is the only guard", name,
                         allow_given ? " (--allow-uid)" : "");
    return fd < 0 ? -1 : fd;
}
