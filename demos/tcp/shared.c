/* shared.c: what the client and the server both use. How a message looks in
 * the flow (summarize), whether a socket has TCP_NODELAY, and who is at the
 * other end of a connection, read from /proc the way `ss -tp` does. */
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcp.h"

/* A message as the flow shows it: printable, cut, its size named when cut. */
void summarize(const char *data, size_t len, char *out, size_t outlen)
{
    size_t keep = len < 72 ? len : 60, j = 0;
    for (size_t i = 0; i < keep && j + 1 < outlen; i++) {
        unsigned char ch = (unsigned char)data[i];
        out[j++] = (ch >= 32 && ch != 127) || ch >= 128 ? (char)ch : '.';
    }
    out[j] = '\0';
    if (keep < len)
        snprintf(out + j, outlen - j, "... (%zu bytes)", len);
}

int sock_nodelay(int fd)
{
    int v = 0;
    socklen_t l = sizeof v;
    if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &l) < 0)
        return -1;
    return v;
}

/* ---- who is at the other end ---------------------------------------------
 * On one machine the kernel can say which process owns the other end of a
 * TCP connection, the way `ss -tp` does: /proc/net/tcp lists every socket of
 * this network namespace with its two addresses and its inode, and the
 * owner's /proc/PID/fd holds a link "socket:[INODE]". The dashboard then draws
 * nc or node in a lane of their own; a peer on another host stays an address. */

static int proc_addr_eq(const char *hex, unsigned port, const struct sockaddr *sa, int any_ok)
{
    if (scope_addr_port(sa) != (int)port)
        return 0;
    size_t len = strlen(hex);
    if (sa->sa_family == AF_INET) {
        if (len != 8)
            return 0;
        uint32_t v = (uint32_t)strtoul(hex, NULL, 16);
        uint32_t want = ((const struct sockaddr_in *)sa)->sin_addr.s_addr;
        return v == want || (any_ok && v == 0);
    }
    if (sa->sa_family != AF_INET6 || len != 32)
        return 0;
    uint32_t want[4];
    memcpy(want, &((const struct sockaddr_in6 *)sa)->sin6_addr, sizeof want);
    int eq = 1, zero = 1;
    for (int i = 0; i < 4; i++) {
        char part[9];
        memcpy(part, hex + 8 * i, 8);
        part[8] = '\0';
        uint32_t w = (uint32_t)strtoul(part, NULL, 16);
        eq &= w == want[i];
        zero &= w == 0;
    }
    return eq || (any_ok && zero);
}

/* The inode of the socket whose own end is `local` and whose peer is
 * `remote`; with remote NULL, of the socket listening on local's port. */
unsigned long socket_inode(const struct sockaddr *local, const struct sockaddr *remote)
{
    FILE *f = fopen(local->sa_family == AF_INET6 ? "/proc/net/tcp6" : "/proc/net/tcp", "r");
    if (!f)
        return 0;
    char line[512], lh[40], rh[40];
    unsigned lp, rp, st;
    unsigned long inode, found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        if (sscanf(line, " %*d: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %*s %*s %*s %*s %*s %lu",
                   lh, &lp, rh, &rp, &st, &inode) != 6)
            continue;
        if (remote ? proc_addr_eq(lh, lp, local, 0) && proc_addr_eq(rh, rp, remote, 0)
                   : st == 0x0A && proc_addr_eq(lh, lp, local, 1))
            found = inode;
    }
    fclose(f);
    return found;
}

static int holds_socket(long pid, const char *want)
{
    char dir[64], path[320], link[64];
    snprintf(dir, sizeof dir, "/proc/%ld/fd", pid);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        ssize_t n = readlink(path, link, sizeof link - 1);
        if (n > 0) {
            link[n] = '\0';
            found = strcmp(link, want) == 0;
        }
    }
    closedir(d);
    return found;
}

/* The pid holding the socket: the candidates first, then (scan_all) anyone
 * whose /proc we may read. -1 when nobody is found. */
long socket_owner(unsigned long inode, const long *cand, int ncand, int scan_all)
{
    if (!inode)
        return -1;
    char want[48];
    snprintf(want, sizeof want, "socket:[%lu]", inode);
    for (int i = 0; i < ncand; i++)
        if (cand[i] > 0 && holds_socket(cand[i], want))
            return cand[i];
    if (!scan_all)
        return -1;
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    long pid = -1;
    struct dirent *e;
    while (pid < 0 && (e = readdir(d)) != NULL) {
        char *end;
        long p = strtol(e->d_name, &end, 10);
        if (*end == '\0' && p > 0 && p != getpid() && holds_socket(p, want))
            pid = p;
    }
    closedir(d);
    return pid;
}

void proc_comm(long pid, char *out, size_t n)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(out, (int)n, f))
        snprintf(out, n, "pid");
    out[strcspn(out, "\n")] = '\0';
    if (f)
        fclose(f);
}
