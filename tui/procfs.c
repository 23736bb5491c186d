/* procfs: the /proc reader behind the Processes pane. See procfs.h.
 *
 * A scan is a snapshot taken about once a second: processes come and go while
 * it runs, so every open or read that fails just means "that one is gone" and
 * is skipped. Nothing here may block the dashboard for long: only /proc files
 * of the demo's own processes are read, plus /proc/net/unix and one netlink
 * dump of Unix sockets.
 */
#include "procfs.h"

#include "addr.h"
#include "procnet.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Copies src into dst[n], cut if need be (without snprintf's truncation
 * warnings: cutting a long path for display is what is meant). */
static void cpy(char *dst, size_t n, const char *src)
{
    size_t len = strnlen(src, n - 1);
    memcpy(dst, src, len);
    dst[len] = '\0';
}

tui_procfs_t *tui_procfs_new(void)
{
    return calloc(1, sizeof(tui_procfs_t));
}

void tui_procfs_free(tui_procfs_t *s)
{
    free(s);
}

const tui_pinfo_t *tui_procfs_find(const tui_procfs_t *s, long pid)
{
    for (int i = 0; i < s->n; i++)
        if (s->procs[i].pid == pid)
            return &s->procs[i];
    return NULL;
}

/* ---- pure parsers -------------------------------------------------------- */

int tui_procfs_parse_stat(const char *text, long page_kb, tui_pinfo_t *out)
{
    /* pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt
     * cmajflt utime stime ... (field 24: rss). comm ends at the LAST ')'. */
    const char *open = strchr(text, '(');
    const char *close = strrchr(text, ')');
    if (!open || !close || close < open || close[1] != ' ')
        return -EINVAL;
    char *end;
    long pid = strtol(text, &end, 10);
    if (end == text || pid <= 0)
        return -EINVAL;
    size_t clen = (size_t)(close - open - 1);
    if (clen >= sizeof out->comm)
        clen = sizeof out->comm - 1;
    memcpy(out->comm, open + 1, clen);
    out->comm[clen] = '\0';
    out->pid = pid;

    const char *p = close + 2;
    out->state = *p;
    if (!*p)
        return -EINVAL;
    p++;
    /* fields after state, numbered from 4 (ppid) */
    unsigned long long v[22];
    int i = 0;
    while (i < 22) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        v[i++] = strtoull(p, &end, 10);
        if (end == p)
            return -EINVAL;
        p = end;
    }
    if (i < 21) /* need up to rss, field 24 = v[20] */
        return -EINVAL;
    out->ppid = (long)v[0];
    out->pgrp = (long)v[1];
    out->ticks = v[10] + v[11]; /* utime (14), stime (15) */
    out->rss_kb = (long)v[20] * page_kb;
    return 0;
}

static unsigned long bracket_inode(const char *s)
{
    const char *b = strchr(s, '[');
    return b ? strtoul(b + 1, NULL, 10) : 0;
}

int tui_procfs_classify_link(const char *link, tui_fd_t *out)
{
    memset(out, 0, sizeof *out);
    out->fd = -1;
    out->peer_fd = -1;
    if (strncmp(link, "pipe:[", 6) == 0) {
        out->kind = TUI_FD_PIPE;
        out->inode = bracket_inode(link);
        return 1;
    }
    if (strncmp(link, "socket:[", 8) == 0) {
        out->kind = TUI_FD_SOCKET;
        out->inode = bracket_inode(link);
        return 1;
    }
    if (strncmp(link, "anon_inode:", 11) == 0) {
        const char *what = link + 11;
        if (strstr(what, "eventfd")) {
            out->kind = TUI_FD_EVENTFD;
            snprintf(out->name, sizeof out->name, "eventfd");
            return 1;
        }
        if (strstr(what, "inotify")) {
            out->kind = TUI_FD_INOTIFY;
            snprintf(out->name, sizeof out->name, "inotify");
            return 1;
        }
        return 0;
    }
    if (strncmp(link, "/dev/shm/", 9) == 0 || strncmp(link, "/memfd:", 7) == 0) {
        out->kind = TUI_FD_SHM;
        cpy(out->name, sizeof out->name, link);
        return 1;
    }
    return 0;
}

char tui_procfs_fdinfo_mode(const char *text)
{
    const char *f = strstr(text, "flags:");
    if (!f)
        return 'u';
    unsigned long flags = strtoul(f + 6, NULL, 8);
    switch (flags & O_ACCMODE) {
    case O_RDONLY:
        return 'r';
    case O_WRONLY:
        return 'w';
    default:
        return 'u';
    }
}

int tui_procfs_parse_maps_line(const char *line, tui_fd_t *out)
{
    /* start-end perms offset dev inode path */
    char perms[8] = "", path[256] = "";
    unsigned long inode = 0;
    if (sscanf(line, "%*s %7s %*s %*s %lu %255[^\n]", perms, &inode, path) < 2)
        return 0;
    char *p = path;
    while (*p == ' ')
        p++;
    if (perms[3] != 's') /* private mappings are not shared memory */
        return 0;
    int shm = strncmp(p, "/dev/shm/", 9) == 0 || strncmp(p, "/memfd:", 7) == 0 ||
              strncmp(p, "/SYSV", 5) == 0;
    if (!shm)
        return 0;
    memset(out, 0, sizeof *out);
    out->fd = -1;
    out->peer_fd = -1;
    out->kind = TUI_FD_SHM;
    out->inode = inode;
    out->mode = perms[1] == 'w' ? 'u' : 'r';
    cpy(out->name, sizeof out->name, p);
    return 1;
}

int tui_procfs_tree(const long *pid, const long *ppid, int n, tui_tree_row_t *rows)
{
    if (n <= 0)
        return 0;
    /* indexes sorted by pid, so siblings come in pid order */
    int *idx = malloc((size_t)n * sizeof *idx);
    int *stack = malloc((size_t)n * sizeof *stack);
    int *depth = malloc((size_t)n * sizeof *depth);
    uint32_t *more = malloc((size_t)n * sizeof *more);
    char *done = calloc((size_t)n, 1);
    if (!idx || !stack || !depth || !more || !done) {
        free(idx), free(stack), free(depth), free(more), free(done);
        return 0;
    }
    for (int i = 0; i < n; i++)
        idx[i] = i;
    for (int i = 1; i < n; i++) /* insertion sort: n is small */
        for (int j = i; j > 0 && pid[idx[j]] < pid[idx[j - 1]]; j--) {
            int t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }

    int out = 0;
    for (int r = 0; r < n; r++) {
        int root = idx[r];
        int is_root = 1;
        for (int k = 0; k < n; k++)
            if (k != root && pid[k] == ppid[root] && ppid[root] != pid[root])
                is_root = 0;
        if (!is_root || done[root])
            continue;
        /* depth-first from this root; children pushed in reverse pid order */
        int sp = 0;
        stack[sp] = root;
        depth[sp] = 0;
        more[sp] = 0;
        sp++;
        int lastflag[TUI_PROCFS_MAX_PROCS + 1];
        int *lastv = n <= TUI_PROCFS_MAX_PROCS ? lastflag : NULL;
        if (!lastv)
            break;
        lastv[0] = 1;
        while (sp > 0 && out < n) {
            sp--;
            int cur = stack[sp], d = depth[sp];
            uint32_t mo = more[sp];
            int last = lastv[sp];
            if (done[cur])
                continue;
            done[cur] = 1;
            rows[out++] = (tui_tree_row_t){cur, d, last, mo};
            /* children of cur, in pid order */
            int kids[TUI_PROCFS_MAX_PROCS], nk = 0;
            for (int k = 0; k < n && nk < TUI_PROCFS_MAX_PROCS; k++)
                if (!done[idx[k]] && ppid[idx[k]] == pid[cur] && idx[k] != cur)
                    kids[nk++] = idx[k];
            uint32_t child_more = mo;
            if (d >= 1 && !last && d < 32)
                child_more |= 1u << d;
            for (int k = nk - 1; k >= 0 && sp < n; k--) {
                stack[sp] = kids[k];
                depth[sp] = d + 1;
                more[sp] = child_more;
                lastv[sp] = k == nk - 1;
                sp++;
            }
        }
    }
    /* anything left (a cycle of pids) goes at the end as roots */
    for (int i = 0; i < n && out < n; i++)
        if (!done[idx[i]])
            rows[out++] = (tui_tree_row_t){idx[i], 0, 1, 0};
    free(idx), free(stack), free(depth), free(more), free(done);
    return out;
}

/* ---- the scan ------------------------------------------------------------- */

static int read_text(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off + 1 < cap) {
        ssize_t n = read(fd, buf + off, cap - 1 - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(fd);
    buf[off] = '\0';
    return (int)off;
}

static void scan_fds(long pid, tui_pinfo_t *p)
{
    char dir[64], path[96], link[256], info[512];
    snprintf(dir, sizeof dir, "/proc/%ld/fd", pid);
    DIR *d = opendir(dir);
    p->nfds = 0;
    if (d) {
        /* collect fd numbers first, so they can be listed in order */
        int nums[256], nn = 0;
        struct dirent *e;
        while ((e = readdir(d)) && nn < 256)
            if (isdigit((unsigned char)e->d_name[0]))
                nums[nn++] = atoi(e->d_name);
        closedir(d);
        for (int i = 1; i < nn; i++)
            for (int j = i; j > 0 && nums[j] < nums[j - 1]; j--) {
                int t = nums[j];
                nums[j] = nums[j - 1];
                nums[j - 1] = t;
            }
        for (int i = 0; i < nn && p->nfds < TUI_PROCFS_MAX_FDS; i++) {
            snprintf(path, sizeof path, "%s/%d", dir, nums[i]);
            ssize_t n = readlink(path, link, sizeof link - 1);
            if (n <= 0)
                continue;
            link[n] = '\0';
            tui_fd_t f;
            if (!tui_procfs_classify_link(link, &f)) {
                /* a FIFO shows as its path: find it by the file type */
                struct stat st;
                if (link[0] != '/' || stat(path, &st) < 0 || !S_ISFIFO(st.st_mode))
                    continue;
                memset(&f, 0, sizeof f);
                f.kind = TUI_FD_FIFO;
                f.inode = (unsigned long)st.st_ino;
                f.peer_fd = -1;
                cpy(f.name, sizeof f.name, link);
            }
            f.fd = nums[i];
            snprintf(path, sizeof path, "/proc/%ld/fdinfo/%d", pid, nums[i]);
            f.mode = read_text(path, info, sizeof info) > 0 ? tui_procfs_fdinfo_mode(info) : 'u';
            if (f.kind == TUI_FD_SHM || f.kind == TUI_FD_EVENTFD || f.kind == TUI_FD_INOTIFY) {
                struct stat st;
                snprintf(path, sizeof path, "%s/%d", dir, nums[i]);
                if (stat(path, &st) == 0)
                    f.inode = (unsigned long)st.st_ino;
            }
            p->fds[p->nfds++] = f;
        }
    }
    /* shared memory mappings */
    snprintf(path, sizeof path, "/proc/%ld/maps", pid);
    FILE *fp = fopen(path, "re");
    if (fp) {
        char line[512];
        while (fgets(line, sizeof line, fp) && p->nfds < TUI_PROCFS_MAX_FDS) {
            tui_fd_t f;
            if (!tui_procfs_parse_maps_line(line, &f))
                continue;
            int dup = 0;
            for (int k = 0; k < p->nfds; k++)
                if (p->fds[k].kind == TUI_FD_SHM && p->fds[k].fd < 0 &&
                    p->fds[k].inode == f.inode)
                    dup = 1;
            if (!dup)
                p->fds[p->nfds++] = f;
        }
        fclose(fp);
    }
}

/* The dashboard's own fds, so that "the other end is ipcscope" can be said. */
static void scan_self(tui_pinfo_t *self)
{
    memset(self, 0, sizeof *self);
    self->pid = (long)getpid();
    scan_fds(self->pid, self);
}

struct path_ctx {
    tui_procfs_t *s;
};

static void on_unix_path(void *arg, unsigned long inode, const char *path)
{
    tui_procfs_t *s = ((struct path_ctx *)arg)->s;
    for (int i = 0; i < s->n; i++)
        for (int k = 0; k < s->procs[i].nfds; k++) {
            tui_fd_t *f = &s->procs[i].fds[k];
            if (f->kind == TUI_FD_SOCKET && f->inode == inode)
                cpy(f->name, sizeof f->name, path);
        }
}

/* Finds who holds inode (other than pid/fd itself): a process of the group,
 * else the dashboard. */
static void find_holder(tui_procfs_t *s, const tui_pinfo_t *self, long pid, int fd,
                        unsigned long inode, char want_mode, tui_fd_t *f)
{
    long best_pid = 0;
    int best_fd = -1, best_score = -1, is_self = 0;
    for (int i = 0; i <= s->n; i++) {
        const tui_pinfo_t *p = i < s->n ? &s->procs[i] : self;
        for (int k = 0; k < p->nfds; k++) {
            const tui_fd_t *o = &p->fds[k];
            if (o->inode != inode || o->fd < 0 || (p->pid == pid && o->fd == fd))
                continue;
            if (i == s->n && p->pid == pid)
                continue;
            int score = (p->pid != pid ? 2 : 0) + (want_mode && o->mode == want_mode ? 1 : 0);
            if (score > best_score) {
                best_score = score;
                best_pid = p->pid;
                best_fd = o->fd;
                is_self = i == s->n;
            }
        }
    }
    if (best_score >= 0) {
        f->peer_pid = best_pid;
        f->peer_fd = best_fd;
        f->peer_is_self = is_self;
    }
}

static void link_peers(tui_procfs_t *s, const tui_pinfo_t *self)
{
    static unsigned long pairs[8192][2];
    int np = -1;
    for (int i = 0; i < s->n; i++)
        for (int k = 0; k < s->procs[i].nfds; k++) {
            tui_fd_t *f = &s->procs[i].fds[k];
            if (f->fd < 0)
                continue;
            if (f->kind == TUI_FD_PIPE || f->kind == TUI_FD_FIFO) {
                char want = f->mode == 'w' ? 'r' : f->mode == 'r' ? 'w' : 0;
                find_holder(s, self, s->procs[i].pid, f->fd, f->inode, want, f);
            } else if (f->kind == TUI_FD_SOCKET) {
                if (np < 0)
                    np = scope_procnet_unix_peers(pairs, 8192);
                for (int j = 0; j < np; j++)
                    if (pairs[j][0] == f->inode) {
                        find_holder(s, self, s->procs[i].pid, f->fd, pairs[j][1], 0, f);
                        break;
                    }
            }
        }
}

/* ---- TCP and UDP sockets ----------------------------------------------------- */

struct inet_ctx {
    tui_procfs_t *s;
    scope_procnet_inet_t *socks; /* those held by the demo's processes */
    int n, max;
};

static void on_inet(void *arg, const scope_procnet_inet_t *so)
{
    struct inet_ctx *c = arg;
    if (c->n >= c->max || so->inode == 0)
        return;
    for (int i = 0; i < c->s->n; i++)
        for (int k = 0; k < c->s->procs[i].nfds; k++) {
            const tui_fd_t *f = &c->s->procs[i].fds[k];
            if (f->kind == TUI_FD_SOCKET && f->inode == so->inode) {
                c->socks[c->n++] = *so;
                return;
            }
        }
}

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    return a->ss_family == b->ss_family &&
           memcmp(a, b, scope_addr_len((const struct sockaddr *)a)) == 0;
}

/* Names each TCP or UDP socket of the demo by its addresses, and links the
 * two ends of a connection that both lie in the demo: the socket whose local
 * address is this one's remote, and whose remote is this one's local. */
static void label_inet(tui_procfs_t *s)
{
    int any = 0;
    for (int i = 0; i < s->n && !any; i++)
        for (int k = 0; k < s->procs[i].nfds; k++)
            if (s->procs[i].fds[k].kind == TUI_FD_SOCKET && !s->procs[i].fds[k].name[0] &&
                s->procs[i].fds[k].peer_pid == 0)
                any = 1;
    if (!any)
        return;

    static scope_procnet_inet_t socks[TUI_PROCFS_MAX_PROCS * TUI_PROCFS_MAX_FDS];
    struct inet_ctx ctx = {s, socks, 0, (int)(sizeof socks / sizeof socks[0])};
    for (int udp = 0; udp <= 1; udp++)
        for (int v6 = 0; v6 <= 1; v6++)
            scope_procnet_read_inet(udp, v6, on_inet, &ctx);

    for (int i = 0; i < s->n; i++)
        for (int k = 0; k < s->procs[i].nfds; k++) {
            tui_fd_t *f = &s->procs[i].fds[k];
            if (f->kind != TUI_FD_SOCKET)
                continue;
            for (int j = 0; j < ctx.n; j++) {
                if (socks[j].inode != f->inode)
                    continue;
                scope_procnet_inet_label(&socks[j], f->name, sizeof f->name);
                if (scope_addr_port((struct sockaddr *)&socks[j].remote) <= 0)
                    break;
                for (int m = 0; m < ctx.n; m++)
                    if (m != j && socks[m].udp == socks[j].udp &&
                        same_addr(&socks[m].local, &socks[j].remote) &&
                        same_addr(&socks[m].remote, &socks[j].local))
                        for (int i2 = 0; i2 < s->n; i2++)
                            for (int k2 = 0; k2 < s->procs[i2].nfds; k2++)
                                if (s->procs[i2].fds[k2].kind == TUI_FD_SOCKET &&
                                    s->procs[i2].fds[k2].inode == socks[m].inode) {
                                    f->peer_pid = s->procs[i2].pid;
                                    f->peer_fd = s->procs[i2].fds[k2].fd;
                                }
                break;
            }
        }
}

int tui_procfs_scan(tui_procfs_t *s, long pgid, uint64_t now_ns)
{
    /* keep the previous ticks for CPU% */
    s->nprev = 0;
    for (int i = 0; i < s->n && s->nprev < TUI_PROCFS_MAX_PROCS; i++) {
        s->prev[s->nprev].pid = s->procs[i].pid;
        s->prev[s->nprev].ticks = s->procs[i].ticks;
        s->nprev++;
    }
    uint64_t prev_t = s->t_ns;
    s->t_ns = now_ns;
    s->n = 0;
    if (pgid <= 0)
        return 0;

    long page_kb = sysconf(_SC_PAGESIZE) / 1024;
    double hz = (double)sysconf(_SC_CLK_TCK);
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    struct dirent *e;
    char path[320], text[1024];
    while ((e = readdir(d)) && s->n < TUI_PROCFS_MAX_PROCS) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        if (read_text(path, text, sizeof text) <= 0)
            continue;
        tui_pinfo_t *p = &s->procs[s->n];
        memset(p, 0, sizeof *p);
        if (tui_procfs_parse_stat(text, page_kb, p) < 0 || p->pgrp != pgid)
            continue;
        p->cpu = 0;
        for (int k = 0; k < s->nprev; k++)
            if (s->prev[k].pid == p->pid && prev_t && now_ns > prev_t &&
                p->ticks >= s->prev[k].ticks)
                p->cpu = 100.0 * (double)(p->ticks - s->prev[k].ticks) / hz /
                         ((double)(now_ns - prev_t) / 1e9);
        scan_fds(p->pid, p);
        s->n++;
    }
    closedir(d);

    static tui_pinfo_t self;
    scan_self(&self);
    link_peers(s, &self);
    struct path_ctx ctx = {s};
    scope_procnet_read_unix(on_unix_path, &ctx);
    label_inet(s);

    long pids[TUI_PROCFS_MAX_PROCS], ppids[TUI_PROCFS_MAX_PROCS];
    for (int i = 0; i < s->n; i++) {
        pids[i] = s->procs[i].pid;
        ppids[i] = s->procs[i].ppid;
    }
    tui_procfs_tree(pids, ppids, s->n, s->order);
    return s->n;
}
