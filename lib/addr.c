/* addr: addresses and private directories. See addr.h. */
#include "addr.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
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

int scope_addr_bind_loopback(int type, struct sockaddr_storage *out)
{
    struct sockaddr_in *a = (struct sockaddr_in *)out;
    memset(out, 0, sizeof *out);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof *out;
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)a, sizeof *a) < 0 ||
        getsockname(fd, (struct sockaddr *)out, &len) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
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

#define OWNER_FILE ".owner"

/* The pid recorded in dir, or -1. */
static long rundir_owner(const char *dir)
{
    char path[PATH_MAX + 16], text[32] = "";
    snprintf(path, sizeof path, "%s/" OWNER_FILE, dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    char *end;
    long pid = n > 0 ? strtol(text, &end, 10) : -1;
    return pid > 0 && *end == '\n' ? pid : -1;
}

/* Removes a dead run's directory: its sockets, FIFOs and owner record,
 * nothing else (rmdir then fails, and the directory stays). */
static int sweep_one(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[PATH_MAX + 256];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (lstat(path, &st) == 0 &&
            (S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode) ||
             (S_ISREG(st.st_mode) && strcmp(e->d_name, OWNER_FILE) == 0)))
            unlink(path);
    }
    closedir(d);
    return rmdir(dir) == 0;
}

int scope_rundir_sweep(void)
{
    const char *base = rundir_base();
    DIR *d = opendir(base);
    if (!d)
        return 0;
    int swept = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "ipcscope-", 9) != 0)
            continue;
        char dir[PATH_MAX];
        if (snprintf(dir, sizeof dir, "%s/%.255s", base, e->d_name) >= (int)sizeof dir)
            continue;
        /* Ours alone (same uid, 0700, a real directory), and its owner
         * recorded and gone: a live run's directory, or anyone else's, is
         * never touched. */
        long pid = scope_rundir_check(dir) == 0 ? rundir_owner(dir) : -1;
        if (pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
            swept += sweep_one(dir);
    }
    closedir(d);
    return swept;
}

const char *scope_rundir_base(void)
{
    return rundir_base();
}

int scope_rundir_make(const char *name, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%s/ipcscope-%s.XXXXXX", rundir_base(), name);
    if (n < 0 || (size_t)n >= outlen)
        return -ENAMETOOLONG;
    /* A run killed with SIGKILL could not remove its directory: sweep the
     * ones whose owner is gone before making ours. */
    scope_rundir_sweep();
    /* mkdtemp makes the directory 0700 whatever the umask, under a name no
     * one could have guessed and made first. */
    if (mkdtemp(out) == NULL)
        return -errno;
    char path[PATH_MAX + 16], pid[32];
    snprintf(path, sizeof path, "%s/" OWNER_FILE, out);
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
        ssize_t w = write(fd, pid, (size_t)len);
        (void)w; /* without the record the directory is only never swept */
        close(fd);
    }
    return 0;
}

int scope_rundir_remove(const char *dir)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/" OWNER_FILE, dir);
    unlink(path);
    return rmdir(dir) < 0 ? -errno : 0;
}

