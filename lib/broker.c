/* broker: a private redis-server on a Unix socket. See broker.h. */
#include "broker.h"
#include "addr.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int connect_to(const char *path, const char *host, int port)
{
    if (path) {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof a.sun_path)
            return -ENAMETOOLONG;
        memcpy(a.sun_path, path, strlen(path) + 1);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
            int e = -errno;
            if (fd >= 0)
                close(fd);
            return e;
        }
        return fd;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    if (getaddrinfo(host, service, &hints, &ai) != 0)
        return -ENOENT;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int e = fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 ? -errno : 0;
    freeaddrinfo(ai);
    if (e) {
        if (fd >= 0)
            close(fd);
        return e;
    }
    return fd;
}

/* Redis's inline form of a command ("PING\r\n"): a readiness probe only,
 * so lib needs no client library; demos talk to the server with hiredis. */
int scope_redis_ping(const char *path, const char *host, int port, int timeout_ms)
{
    int fd = connect_to(path, host, port);
    if (fd < 0)
        return fd;
    char buf[16];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = -EPROTO;
    if (write(fd, "PING\r\n", 6) != 6)
        r = -errno;
    else if (poll(&p, 1, timeout_ms) <= 0)
        r = -ETIMEDOUT;
    else if (read(fd, buf, sizeof buf) >= 5 && memcmp(buf, "+PONG", 5) == 0)
        r = 0;
    close(fd);
    return r;
}

int scope_redis_url_parse(const char *url, char *path, size_t pathlen, char *host,
                          size_t hostlen, int *port)
{
    path[0] = host[0] = '\0';
    *port = 0;
    if (strncmp(url, "unix:", 5) == 0) {
        const char *p = url + 5;
        if (strncmp(p, "//", 2) == 0) /* unix:///run/redis.sock as well */
            p += 2;
        if (!*p || strlen(p) >= pathlen)
            return -EINVAL;
        snprintf(path, pathlen, "%s", p);
        return 0;
    }
    if (strncmp(url, "redis://", 8) != 0)
        return -EINVAL;
    const char *h = url + 8, *at = strrchr(h, '@'); /* a user:password@ is not ours to use */
    if (at)
        return -EINVAL;
    const char *colon = strrchr(h, ':'), *end = h + strcspn(h, "/");
    if (colon && colon > end)
        colon = NULL;
    size_t hl = (size_t)((colon ? colon : end) - h);
    if (hl == 0 || hl >= hostlen)
        return -EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *stop;
    long p = colon ? strtol(colon + 1, &stop, 10) : 6379;
    if (colon && (stop == colon + 1 || stop != end))
        return -EINVAL;
    if (p < 1 || p > 65535)
        return -EINVAL;
    *port = (int)p;
    return 0;
}

#define AOF_OWNER "aof.owner" /* see sweep_aof */

/* An appendonly server's files: DIR/appendonlydir/ (the manifest, the base
 * and the increments) and a rewrite's DIR/temp-*.aof; regular files only. */
static void remove_aof(const char *dir)
{
    char sub[PATH_MAX], path[PATH_MAX + 512];
    snprintf(sub, sizeof sub, "%s/appendonlydir", dir);
    const char *dirs[] = {sub, dir};
    for (int i = 0; i < 2; i++) {
        DIR *d = opendir(dirs[i]);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            struct stat st;
            snprintf(path, sizeof path, "%s/%s", dirs[i], e->d_name);
            if ((i == 0 || strncmp(e->d_name, "temp-", 5) == 0) &&
                lstat(path, &st) == 0 && S_ISREG(st.st_mode))
                unlink(path);
        }
        if (d)
            closedir(d);
    }
    rmdir(sub);
    snprintf(path, sizeof path, "%s/" AOF_OWNER, dir);
    unlink(path);
}

/* The append-only files of runs killed with SIGKILL. Their directories hold
 * more than a socket, so scope_rundir_sweep cannot remove them, and it takes
 * their .owner on the way: so an appendonly directory records its owner in
 * aof.owner too. Ours alone (our uid, 0700), only when that pid is gone. */
static void sweep_aof(void)
{
    char dir[PATH_MAX + 256], path[PATH_MAX + 300], text[32];
    const char *base = scope_rundir_base();
    DIR *d = opendir(base);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "ipcscope-redis-aof.", 19) != 0)
            continue;
        snprintf(dir, sizeof dir, "%s/%s", base, e->d_name);
        snprintf(path, sizeof path, "%s/" AOF_OWNER, dir);
        int fd = scope_rundir_check(dir) == 0 ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
        if (fd < 0)
            continue;
        ssize_t n = read(fd, text, sizeof text - 1);
        close(fd);
        text[n > 0 ? n : 0] = '\0';
        long pid = strtol(text, NULL, 10);
        if (pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        remove_aof(dir);
        snprintf(path, sizeof path, "%s/redis.sock", dir);
        unlink(path);
        scope_rundir_remove(dir);
    }
    if (d)
        closedir(d);
}

static void remove_dir(scope_redis_t *r)
{
    if (!r->dir[0])
        return;
    unlink(r->sock); /* a SIGKILLed server leaves it; a SIGTERMed one has removed it */
    if (r->appendonly)
        remove_aof(r->dir);
    scope_rundir_remove(r->dir);
    r->dir[0] = '\0';
}

static void on_poll_closed(uv_handle_t *h)
{
    free(h);
}

static void stop_polling(scope_redis_t *r)
{
    if (r->poll) {
        uv_close((uv_handle_t *)r->poll, on_poll_closed);
        r->poll = NULL;
    }
}

static void on_server_exit(scope_child_t *c, int code, int sig)
{
    scope_redis_t *r = c->data;
    int was_ready = r->ready;
    r->running = r->ready = 0;
    r->pid = 0;
    stop_polling(r);
    if (r->appendonly && !r->stopping)
        unlink(r->sock); /* a crash: the directory and its file stay, for a restart */
    else
        remove_dir(r);
    if (!was_ready && !r->stopping && r->on_ready)
        r->on_ready(r, -ECHILD); /* it died before it answered */
    if (r->on_exit)
        r->on_exit(r, code, sig);
}

static void on_poll(uv_timer_t *t)
{
    scope_redis_t *r = t->data;
    if (scope_redis_ping(r->sock, NULL, 0, 100) == 0) {
        stop_polling(r);
        r->ready = 1;
        r->on_ready(r, 0);
        return;
    }
    r->waited_ms += 10;
    if (r->waited_ms < SCOPE_REDIS_READY_MS)
        return;
    stop_polling(r);
    r->stopping = 1;
    scope_child_kill(&r->child, SIGKILL, 0);
    r->on_ready(r, -ETIMEDOUT);
}

int scope_redis_start(uv_loop_t *loop, scope_redis_t *r, const char *path)
{
    int e = 0;
    if (!r->appendonly || !r->dir[0]) { /* else: a restart, in the same directory */
        sweep_aof();
        e = scope_rundir_make(r->appendonly ? "redis-aof" : "redis", r->dir, sizeof r->dir);
        if (e < 0)
            return e;
        if (r->appendonly) {
            char path[PATH_MAX + 16], pid[32];
            snprintf(path, sizeof path, "%s/" AOF_OWNER, r->dir);
            int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
            int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
            if (fd >= 0) {
                ssize_t w = write(fd, pid, (size_t)len);
                (void)w; /* without the record, only a later sweep misses the directory */
                close(fd);
            }
        }
    }
    snprintf(r->sock, sizeof r->sock, "%s/redis.sock", r->dir);
    char *argv[] = {"redis-server", "--port", "0", "--unixsocket", r->sock,
                    "--unixsocketperm", "700", "--dir", r->dir, "--save", "",
                    "--appendonly", r->appendonly ? "yes" : "no", "--appendfsync",
                    r->appendonly ? "always" : "everysec", "--loglevel", "warning", NULL};
    /* Its log goes to its stdout: to /dev/null, since ours may be --json's events. */
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    scope_spawn_fd_t fds[] = {{.parent_fd = null, .child_fd = 1}};
    scope_spawn_options_t o = {.file = path ? path : "redis-server", .argv = argv,
                               .fds = fds, .nfds = null >= 0,
                               /* we die, it shuts down (and removes its socket) */
                               .death_signal = SIGTERM, .name = "redis-server"};
    r->child.data = r;
    e = scope_spawn(loop, &r->child, &o, on_server_exit);
    if (null >= 0)
        close(null);
    if (e < 0) {
        remove_dir(r);
        return e;
    }
    r->pid = r->child.pid;
    r->running = 1;
    r->stopping = r->ready = r->waited_ms = 0;
    stop_polling(r);
    if ((r->poll = malloc(sizeof *r->poll))) {
        uv_timer_init(loop, r->poll);
        r->poll->data = r;
        uv_timer_start(r->poll, on_poll, 10, 10);
    } else {
        /* no timer, no readiness: stop it, as a server that never answered */
        r->stopping = 1;
        scope_child_kill(&r->child, SIGKILL, 0);
        return -ENOMEM;
    }
    return 0;
}

void scope_redis_stop(scope_redis_t *r)
{
    r->stopping = 1;
    stop_polling(r);
    if (r->running)
        scope_child_kill(&r->child, SIGTERM, 0);
    else
        remove_dir(r);
}
