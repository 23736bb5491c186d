/* stale.c: where the socket file lives, and what may already be there: a
 * socket file outlives its server, so before binding a path, look (the
 * lesson's steps 1 and 2). And the contrast: a name in Linux's abstract
 * namespace (a sun_path that starts with a NUL byte) makes no file at all.
 */
#include <sys/stat.h>

#include "addr.h"
#include "unix-socket.h"

static char own_path[PATH_MAX];
static struct stat own; /* the socket file bind() made */

static void remove_dir(void *dir)
{
    if (scope_rundir_remove(dir) == 0)
        scope_events_log("rmdir(%s): the private directory is gone", (char *)dir);
}

/* mkdtemp(), mode 0700, removed on the way out after what is made in it. */
int stale_private_dir(scope_demo_t *d, char *out, size_t outlen)
{
    int r = scope_rundir_make("unix-socket", out, outlen);
    if (r < 0) {
        scope_events_error("rundir", "cannot make a private directory: %s", strerror(-r));
        return r;
    }
    scope_demo_on_cleanup(d, remove_dir, out);
    scope_events_log("mkdtemp(%s) -> mode 0700: nobody else may enter, or swap a file in", out);
    return 0;
}

/* Step 1: the path given, or server.sock in a private directory (made into
 * dir). 0 when the path is free now, -1 when it must be left alone (told why). */
int stale_place(scope_demo_t *d, char *path, size_t n, char *dir, size_t dirlen)
{
    if (!path[0]) {
        if (stale_private_dir(d, dir, dirlen) < 0)
            return -1;
        snprintf(path, n, "%.4000s/server.sock", dir);
    }
    int r = scope_unix_probe(path);
    if (r == SCOPE_UNIX_FREE) {
        scope_events_log("lstat(%s): ENOENT, nothing there yet", path);
        return 0;
    }
    if (r == SCOPE_UNIX_STALE) {
        scope_events_log("%s is a socket file, but connect() to it says ECONNREFUSED: its server "
                         "died without unlinking it. It is stale: unlink() and bind afresh", path);
        if (unlink(path) == 0)
            return 0;
        scope_events_error("stale", "unlink(%s): %s", path, strerror(errno));
    } else if (r == -EADDRINUSE) {
        scope_events_error("in use", "%s: a live server accepted our probe connect(): bind() would "
                           "fail with EADDRINUSE, and unlinking would steal its clients", path);
    } else if (r == -ENOTSOCK) {
        scope_events_error("not a socket", "%s is not a socket: never removed", path);
    } else {
        scope_events_error("probe", "%s: %s", path, strerror(-r));
    }
    return -1;
}

/* Only the file we made goes: never one another server put there since. */
static void unlink_own(void *arg)
{
    struct stat st;
    (void)arg;
    if (lstat(own_path, &st) < 0) /* uv_close() of a uv_pipe_bind() listener unlinks its path */
        scope_events_log("unlink(%s): the socket file is gone (libuv's uv_close did it)", own_path);
    else if (st.st_ino == own.st_ino && st.st_dev == own.st_dev && unlink(own_path) == 0)
        scope_events_log("unlink(%s): the socket file is gone", own_path);
}

/* After bind(): the file the kernel made is ours to remove. */
void stale_own(scope_demo_t *d, const char *path)
{
    if (lstat(path, &own) < 0)
        return;
    snprintf(own_path, sizeof own_path, "%s", path);
    scope_demo_on_cleanup(d, unlink_own, NULL);
    scope_events_log("socket(AF_UNIX, SOCK_STREAM) and bind() made the socket file %s (inode "
                     "%lu, mode %03o); listen(128)", path, (unsigned long)own.st_ino,
                     own.st_mode & 0777);
}

/* --abstract: a bound socket's fd on name ("NAME" or "@NAME"), or -1 (told
 * why). libuv 1.44 binds paths only: lib/unixsock makes the socket, and the
 * mechanism takes it with uv_pipe_open(). */
int stale_bind_abstract(const char *name, int allow_given)
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
