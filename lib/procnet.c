/* procnet: the kernel's socket tables and their holders. See procnet.h.
 *
 * Every table is a snapshot: sockets and processes come and go while it is
 * read, so a row that does not parse, or a process whose fd table vanished,
 * is skipped rather than reported. Nothing here keeps state between calls,
 * so the thread pool may call it while the loop thread does too.
 */
#include "procnet.h"

#include "addr.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- pure parsers -------------------------------------------------------- */

/* The rows of a /proc/net table one by one, its header skipped: copies the
 * next row into buf (cut at n - 1 bytes) and returns 1, or 0 at the end.
 * *cursor starts as NULL. */
static int next_row(const char *text, const char **cursor, char *buf, size_t n)
{
    const char *line = *cursor;
    if (!line) {
        line = strchr(text, '\n');
        if (!line)
            return 0;
        line++;
    }
    if (!*line)
        return 0;
    const char *eol = strchr(line, '\n');
    size_t full = eol ? (size_t)(eol - line) : strlen(line);
    size_t len = full < n ? full : n - 1;
    memcpy(buf, line, len);
    buf[len] = '\0';
    *cursor = eol ? eol + 1 : line + full; /* the next row, or the final NUL */
    return 1;
}

int scope_procnet_parse_unix(const char *text, scope_procnet_unix_cb fn, void *arg)
{
    /* Num RefCount Protocol Flags Type St Inode Path */
    const char *cursor = NULL;
    char buf[512];
    int n = 0;
    while (next_row(text, &cursor, buf, sizeof buf)) {
        unsigned long inode;
        char path[256] = "";
        if (sscanf(buf, "%*s %*s %*s %*s %*s %*s %lu %255s", &inode, path) == 2 && path[0]) {
            fn(arg, inode, path);
            n++;
        }
    }
    return n;
}

/* An address as /proc/net/tcp prints it: the 32-bit words of the address as
 * they lie in memory, each printed as a native-endian hex number, then the
 * port in host order. Reading each word back the same way restores the
 * address's bytes on any endianness. */
static int parse_inet_addr(const char *hex, int v6, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof *out);
    int words = v6 ? 4 : 1;
    uint32_t w[4];
    if (strlen(hex) < (size_t)(8 * words))
        return -EINVAL;
    for (int i = 0; i < words; i++) {
        char part[9];
        memcpy(part, hex + 8 * i, 8);
        part[8] = '\0';
        char *end;
        w[i] = (uint32_t)strtoul(part, &end, 16);
        if (*end != '\0')
            return -EINVAL;
    }
    const char *colon = hex + 8 * words;
    if (*colon != ':')
        return -EINVAL;
    int port = (int)strtol(colon + 1, NULL, 16);
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
        a->sin6_family = AF_INET6;
        memcpy(&a->sin6_addr, w, 16);
        a->sin6_port = htons((uint16_t)port);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)out;
        a->sin_family = AF_INET;
        memcpy(&a->sin_addr, w, 4);
        a->sin_port = htons((uint16_t)port);
    }
    return 0;
}

int scope_procnet_parse_inet(const char *text, int udp, int v6, scope_procnet_inet_cb fn, void *arg)
{
    /* sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt
     * uid timeout inode ref pointer [drops, UDP only] */
    const char *cursor = NULL;
    char buf[512];
    int n = 0;
    while (next_row(text, &cursor, buf, sizeof buf)) {
        char local[64], remote[64];
        unsigned state;
        unsigned long tx, rx, inode, drops = 0;
        int got = sscanf(buf, "%*s %63s %63s %x %lx:%lx %*s %*s %*s %*s %lu %*s %*s %lu", local,
                         remote, &state, &tx, &rx, &inode, &drops);
        if (got < 6)
            continue;
        scope_procnet_inet_t so = {.inode = inode,
                                   .udp = udp,
                                   .state = (int)state,
                                   .tx_queue = tx,
                                   .rx_queue = rx,
                                   .drops = udp && got == 7 ? drops : 0};
        if (parse_inet_addr(local, v6, &so.local) < 0 ||
            parse_inet_addr(remote, v6, &so.remote) < 0)
            continue;
        fn(arg, &so);
        n++;
    }
    return n;
}

/* The address without its port: "127.0.0.1" or "[::1]". */
static void host_part(const struct sockaddr *sa, char *out, size_t n)
{
    char full[SCOPE_ADDR_STRLEN];
    scope_addr_format(sa, full, sizeof full);
    char *colon = strrchr(full, ':');
    if (colon)
        *colon = '\0';
    snprintf(out, n, "%s", full);
}

void scope_procnet_inet_label(const scope_procnet_inet_t *s, char *out, size_t n)
{
    const char *proto = s->udp ? "udp" : "tcp";
    char l[SCOPE_ADDR_STRLEN], r[SCOPE_ADDR_STRLEN];
    scope_addr_format((const struct sockaddr *)&s->local, l, sizeof l);
    int rport = scope_addr_port((const struct sockaddr *)&s->remote);
    if (!s->udp && s->state == SCOPE_TCP_LISTEN) {
        snprintf(out, n, "tcp listen %s", l);
    } else if (rport <= 0) {
        snprintf(out, n, "%s %s", proto, l); /* UDP, not connected */
    } else {
        char lh[SCOPE_ADDR_STRLEN], rh[SCOPE_ADDR_STRLEN];
        host_part((const struct sockaddr *)&s->local, lh, sizeof lh);
        host_part((const struct sockaddr *)&s->remote, rh, sizeof rh);
        if (strcmp(lh, rh) == 0)
            snprintf(out, n, "%s %s :%d>:%d", proto, lh,
                     scope_addr_port((const struct sockaddr *)&s->local), rport);
        else
            snprintf(out, n, "%s %s>%s", proto, l,
                     scope_addr_format((const struct sockaddr *)&s->remote, r, sizeof r));
    }
}

/* An IPv4-mapped IPv6 address as the IPv4 address it stands for; any other
 * address as it is. */
static void unmap(const struct sockaddr *sa, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof *out);
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
            struct sockaddr_in *a4 = (struct sockaddr_in *)out;
            a4->sin_family = AF_INET;
            a4->sin_port = a6->sin6_port;
            memcpy(&a4->sin_addr, a6->sin6_addr.s6_addr + 12, 4);
            return;
        }
        memcpy(out, a6, sizeof *a6);
    } else if (sa->sa_family == AF_INET) {
        memcpy(out, sa, sizeof(struct sockaddr_in));
    } else {
        out->ss_family = sa->sa_family;
    }
}

int scope_procnet_addr_eq(const struct sockaddr *a, const struct sockaddr *b, int any_ok)
{
    struct sockaddr_storage x, y;
    unmap(a, &x);
    unmap(b, &y);
    if (x.ss_family == AF_INET) {
        const struct sockaddr_in *p = (const void *)&x, *q = (const void *)&y;
        if (y.ss_family != AF_INET || p->sin_port != q->sin_port)
            return 0;
        return p->sin_addr.s_addr == q->sin_addr.s_addr ||
               (any_ok && p->sin_addr.s_addr == htonl(INADDR_ANY));
    }
    if (x.ss_family == AF_INET6) {
        const struct sockaddr_in6 *p = (const void *)&x;
        int any = any_ok && IN6_IS_ADDR_UNSPECIFIED(&p->sin6_addr);
        /* a dual-stack socket on :: takes IPv4 too */
        if (any && y.ss_family == AF_INET)
            return p->sin6_port == ((const struct sockaddr_in *)&y)->sin_port;
        const struct sockaddr_in6 *q = (const void *)&y;
        if (y.ss_family != AF_INET6 || p->sin6_port != q->sin6_port)
            return 0;
        return any || memcmp(&p->sin6_addr, &q->sin6_addr, sizeof p->sin6_addr) == 0;
    }
    return 0;
}

/* ---- reading /proc -------------------------------------------------------- */

long scope_procnet_read(const char *path, char **text)
{
    *text = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    /* /proc files report a size of 0: read until EOF, growing the buffer */
    size_t cap = 16384, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    for (;;) {
        if (len + 1 == cap) {
            if (cap >= SCOPE_PROCNET_MAX_TEXT)
                break;
            char *more = realloc(buf, cap * 2);
            if (!more) {
                free(buf);
                close(fd);
                return -ENOMEM;
            }
            buf = more;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = -errno;
            free(buf);
            close(fd);
            return e;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    *text = buf;
    return (long)len;
}

int scope_procnet_read_inet(int udp, int v6, scope_procnet_inet_cb fn, void *arg)
{
    static const char *const paths[2][2] = {{"/proc/net/tcp", "/proc/net/tcp6"},
                                            {"/proc/net/udp", "/proc/net/udp6"}};
    char *text;
    long r = scope_procnet_read(paths[udp != 0][v6 != 0], &text);
    if (r < 0)
        return (int)r;
    int n = scope_procnet_parse_inet(text, udp, v6, fn, arg);
    free(text);
    return n;
}

int scope_procnet_read_unix(scope_procnet_unix_cb fn, void *arg)
{
    char *text;
    long r = scope_procnet_read("/proc/net/unix", &text);
    if (r < 0)
        return (int)r;
    int n = scope_procnet_parse_unix(text, fn, arg);
    free(text);
    return n;
}

struct by_inode {
    unsigned long inode;
    scope_procnet_inet_t *out;
    int found;
};

static void on_by_inode(void *arg, const scope_procnet_inet_t *s)
{
    struct by_inode *c = arg;
    if (!c->found && s->inode == c->inode) {
        *c->out = *s;
        c->found = 1;
    }
}

int scope_procnet_inet_of_fd(int fd, scope_procnet_inet_t *out)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISSOCK(st.st_mode))
        return -ENOTSOCK;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
        return -errno;
    if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
        return -EAFNOSUPPORT;
    int type;
    socklen_t tl = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0)
        return -errno;
    struct by_inode c = {(unsigned long)st.st_ino, out, 0};
    int r = scope_procnet_read_inet(type == SOCK_DGRAM, ss.ss_family == AF_INET6, on_by_inode, &c);
    if (r < 0)
        return r;
    return c.found ? 0 : -ENOENT;
}

struct tcp_find {
    const struct sockaddr *local, *remote;
    unsigned long inode;
};

/* 1 when row s is the socket whose own end is local and whose peer is
 * remote (remote NULL: the one listening on local's port). */
static int tcp_row_is(const scope_procnet_inet_t *s, const struct sockaddr *local,
                      const struct sockaddr *remote)
{
    const struct sockaddr *l = (const struct sockaddr *)&s->local;
    const struct sockaddr *r = (const struct sockaddr *)&s->remote;
    return remote ? scope_procnet_addr_eq(l, local, 0) && scope_procnet_addr_eq(r, remote, 0)
                  : s->state == SCOPE_TCP_LISTEN && scope_procnet_addr_eq(l, local, 1);
}

static void on_tcp_row(void *arg, const scope_procnet_inet_t *s)
{
    struct tcp_find *c = arg;
    if (!c->inode && s->inode && tcp_row_is(s, c->local, c->remote))
        c->inode = s->inode;
}

int scope_procnet_tcp_inode(const struct sockaddr *local, const struct sockaddr *remote,
                            unsigned long *inode)
{
    struct tcp_find c = {local, remote, 0};
    /* An IPv4 connection may sit in tcp6 (a dual-stack socket's end, its
     * addresses mapped) as well as in tcp: read the likelier table first. */
    int v6 = local->sa_family == AF_INET6;
    int r1 = scope_procnet_read_inet(0, v6, on_tcp_row, &c);
    if (!c.inode) {
        int r2 = scope_procnet_read_inet(0, !v6, on_tcp_row, &c);
        if (r1 < 0 && r2 < 0)
            return r1;
    }
    if (!c.inode)
        return -ENOENT;
    *inode = c.inode;
    return 0;
}

/* The queries of scope_procnet_tcp_inodes by the port of their own end, so
 * that a row is compared only with the queries of its port: a thousand
 * queries against every row of a busy table would otherwise be millions of
 * address comparisons. A query's likelier table (tcp6 for an IPv6 end) wins
 * over the other, as scope_procnet_tcp_inode reads it first. */
struct port_ix {
    int port, i;
};

struct tcp_batch {
    scope_procnet_tcp_query_t *q;
    const struct port_ix *ix; /* sorted by port */
    unsigned char *rank;      /* 2: found in the query's likelier table, 1: in the other */
    int n, v6;                /* v6: the table being read */
};

static int cmp_port_ix(const void *a, const void *b)
{
    const struct port_ix *x = a, *y = b;
    return x->port != y->port ? (x->port < y->port ? -1 : 1) : (x->i > y->i) - (x->i < y->i);
}

static void on_tcp_batch_row(void *arg, const scope_procnet_inet_t *s)
{
    struct tcp_batch *c = arg;
    if (!s->inode)
        return;
    int port = scope_addr_port((const struct sockaddr *)&s->local);
    int lo = 0, hi = c->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (c->ix[mid].port < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < c->n && c->ix[lo].port == port; lo++) {
        int i = c->ix[lo].i;
        scope_procnet_tcp_query_t *q = &c->q[i];
        int rank = (q->local->sa_family == AF_INET6) == c->v6 ? 2 : 1;
        if (c->rank[i] < rank && tcp_row_is(s, q->local, q->remote)) {
            q->inode = s->inode;
            c->rank[i] = (unsigned char)rank;
        }
    }
}

int scope_procnet_tcp_inodes(scope_procnet_tcp_query_t *queries, int n)
{
    if (n <= 0)
        return 0;
    struct port_ix *ix = malloc((size_t)n * sizeof *ix);
    unsigned char *rank = calloc((size_t)n, 1);
    if (!ix || !rank) {
        free(ix);
        free(rank);
        return -ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        queries[i].inode = 0;
        ix[i] = (struct port_ix){scope_addr_port(queries[i].local), i};
    }
    qsort(ix, (size_t)n, sizeof *ix, cmp_port_ix);
    struct tcp_batch c = {queries, ix, rank, n, 0};
    int r1 = scope_procnet_read_inet(0, 0, on_tcp_batch_row, &c);
    /* tcp6 is read unless every query was found in its likelier table */
    int pending = 0, r2 = 0;
    for (int i = 0; i < n && !pending; i++)
        pending = rank[i] < 2;
    if (pending) {
        c.v6 = 1;
        r2 = scope_procnet_read_inet(0, 1, on_tcp_batch_row, &c);
    }
    int found = 0;
    for (int i = 0; i < n; i++)
        found += rank[i] > 0;
    free(ix);
    free(rank);
    return r1 < 0 && r2 < 0 ? r1 : found;
}

int scope_procnet_unix_peers(unsigned long (*pairs)[2], int max)
{
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0)
        return -errno;
    struct {
        struct nlmsghdr nlh;
        struct unix_diag_req r;
    } req;
    memset(&req, 0, sizeof req);
    req.nlh.nlmsg_len = sizeof req;
    req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.nlh.nlmsg_seq = 1;
    req.r.sdiag_family = AF_UNIX;
    req.r.udiag_states = (uint32_t)-1;
    req.r.udiag_show = UDIAG_SHOW_PEER;
    if (send(fd, &req, sizeof req, 0) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    /* one reply buffer per call, not a static one: callers may be threads */
    enum { BUFSZ = 32768 };
    struct nlmsghdr *buf = malloc(BUFSZ);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    int n = 0, done = 0;
    while (!done) {
        ssize_t len = recv(fd, buf, BUFSZ, 0);
        if (len < 0 && errno == EINTR)
            continue;
        if (len <= 0)
            break;
        for (struct nlmsghdr *h = buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
                done = 1;
                break;
            }
            struct unix_diag_msg *msg = NLMSG_DATA(h);
            int rtalen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *msg));
            struct nlattr *a = (struct nlattr *)(msg + 1);
            while (rtalen >= (int)sizeof *a && a->nla_len >= sizeof *a &&
                   a->nla_len <= (unsigned)rtalen) {
                if (a->nla_type == UNIX_DIAG_PEER && n < max) {
                    uint32_t peer;
                    memcpy(&peer, (char *)a + NLA_HDRLEN, sizeof peer);
                    pairs[n][0] = msg->udiag_ino;
                    pairs[n][1] = peer;
                    n++;
                }
                int step = NLA_ALIGN(a->nla_len);
                rtalen -= step;
                a = (struct nlattr *)((char *)a + step);
            }
        }
    }
    free(buf);
    close(fd);
    return n;
}

/* ---- who holds a socket --------------------------------------------------- */

int scope_procnet_holds(long pid, unsigned long inode)
{
    char dir[64], path[96], link[64], want[48];
    snprintf(dir, sizeof dir, "/proc/%ld/fd", pid);
    snprintf(want, sizeof want, "socket:[%lu]", inode);
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%.16s", dir, e->d_name);
        ssize_t n = readlink(path, link, sizeof link - 1);
        if (n > 0) {
            link[n] = '\0';
            found = strcmp(link, want) == 0;
        }
    }
    closedir(d);
    return found;
}

long scope_procnet_owner(unsigned long inode, const long *cand, int ncand, int scan_all)
{
    long pid = -ENOENT;
    int r = scope_procnet_owners(&inode, &pid, 1, cand, ncand, scan_all);
    return r < 0 ? r : pid;
}

/* A wanted inode of scope_procnet_owners, and the query it answers. */
struct want {
    unsigned long inode;
    int i;
};

static int cmp_want(const void *a, const void *b)
{
    const struct want *x = a, *y = b;
    return x->inode != y->inode ? (x->inode < y->inode ? -1 : 1) : (x->i > y->i) - (x->i < y->i);
}

/* Reads the fd table of pid and gives pid to each wanted inode it holds that
 * has no holder yet, counting *left down; it stops when none is left.
 * Returns 0, or a negative errno when the table cannot be read. */
static int claim(long pid, const struct want *w, int nw, long *pids, int *left)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%ld/fd", pid);
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    struct dirent *e;
    while (*left > 0 && (e = readdir(d)) != NULL) {
        char link[64];
        if (e->d_name[0] == '.')
            continue;
        ssize_t n = readlinkat(dirfd(d), e->d_name, link, sizeof link - 1);
        if (n <= 8 || memcmp(link, "socket:[", 8) != 0)
            continue;
        link[n] = '\0';
        unsigned long inode = strtoul(link + 8, NULL, 10);
        int lo = 0, hi = nw;
        while (lo < hi) {
            int mid = lo + (hi - lo) / 2;
            if (w[mid].inode < inode)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (; lo < nw && w[lo].inode == inode; lo++)
            if (pids[w[lo].i] < 0) {
                pids[w[lo].i] = pid;
                (*left)--;
            }
    }
    closedir(d);
    return 0;
}

int scope_procnet_owners(const unsigned long *inodes, long *pids, int n, const long *cand,
                         int ncand, int scan_all)
{
    if (n <= 0)
        return 0;
    for (int i = 0; i < n; i++)
        pids[i] = -ENOENT;
    struct want *w = malloc((size_t)n * sizeof *w);
    if (!w)
        return -ENOMEM;
    int nw = 0;
    for (int i = 0; i < n; i++)
        if (inodes[i])
            w[nw++] = (struct want){inodes[i], i};
    qsort(w, (size_t)nw, sizeof *w, cmp_want);
    int left = nw, r = 0;
    for (int i = 0; i < ncand && left > 0; i++)
        if (cand[i] > 0)
            claim(cand[i], w, nw, pids, &left);
    DIR *d = scan_all && left > 0 ? opendir("/proc") : NULL;
    if (scan_all && left > 0 && !d)
        r = -errno;
    struct dirent *e;
    while (d && left > 0 && (e = readdir(d)) != NULL) {
        char *end;
        long p = strtol(e->d_name, &end, 10);
        if (*end != '\0' || p <= 0)
            continue;
        int seen = 0;
        for (int i = 0; i < ncand && !seen; i++)
            seen = cand[i] == p;
        if (!seen)
            claim(p, w, nw, pids, &left);
    }
    if (d)
        closedir(d);
    free(w);
    return r < 0 ? r : nw - left;
}

int scope_procnet_children(long pid, long *pids, int max)
{
    char path[80], *text;
    snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", pid, pid);
    long r = scope_procnet_read(path, &text);
    if (r < 0)
        return (int)r;
    int n = 0;
    char *p = text, *end;
    while (n < max) {
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        pids[n++] = v;
        p = end;
    }
    free(text);
    return n;
}

int scope_procnet_comm(long pid, char *out, size_t n)
{
    if (n == 0)
        return -EINVAL;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t len;
    do
        len = read(fd, out, n - 1);
    while (len < 0 && errno == EINTR);
    int e = len < 0 ? -errno : 0;
    close(fd);
    if (len < 0) {
        out[0] = '\0';
        return e;
    }
    out[len] = '\0';
    out[strcspn(out, "\n")] = '\0';
    return 0;
}

int scope_procnet_kill_with_children(long pid, int sig, char *names, size_t n)
{
    long kids[16];
    int nkids = scope_procnet_children(pid, kids, 16), killed = 0;
    if (n > 0)
        names[0] = '\0';
    if (kill((pid_t)pid, sig) < 0)
        return -errno;
    for (int i = 0; i < nkids; i++) {
        char comm[32];
        if (kill((pid_t)kids[i], sig) < 0)
            continue;
        if (scope_procnet_comm(kids[i], comm, sizeof comm) < 0)
            snprintf(comm, sizeof comm, "?");
        size_t len = n > 0 ? strlen(names) : 0;
        if (len < n)
            snprintf(names + len, n - len, "%s%s %ld", killed ? ", " : "", comm, kids[i]);
        killed++;
    }
    return killed;
}

int scope_procnet_fd_targets(long pid, int last, char *out, size_t n)
{
    size_t len = 0;
    if (n > 0)
        out[0] = '\0';
    for (int fd = 0; fd <= last && len < n; fd++) {
        char path[64], target[128];
        snprintf(path, sizeof path, "/proc/%ld/fd/%d", pid, fd);
        ssize_t got = readlink(path, target, sizeof target - 1);
        target[got > 0 ? got : 0] = '\0';
        len += (size_t)snprintf(out + len, n - len, "%sfd %d -> %s", fd ? ", " : "", fd,
                                got > 0 ? target : "?");
    }
    return len < n ? 0 : -ENOSPC;
}
