/* view_procs: pane 1, the demo's processes as /proc shows them.
 *
 *   ├─ 1235 child      S   0.1  2.9M
 *   │    fd3 socket:[88123] ↔ parent 1234 fd9
 *
 * One line per process (tree, pid, role from the events or the command name,
 * state, CPU%, RSS), then one line per IPC fd with its inode and, where the
 * kernel says so, the process at the other end. A process that exited a
 * moment ago stays, marked with its exit code or signal, for
 * TUI_EXITED_LINGER_NS. Pipes a process holds both ends of (libuv's own signal
 * pipe) are left out: they are not communication between processes. The
 * lab's own plumbing (pipes to the dashboard, libuv's eventfd) comes after
 * the fds the mechanism uses, dimmed, so that those stand out.
 */
#include <stdio.h>
#include <string.h>

#include "crt.h"
#include "i18n.h"
#include "text.h"
#include "view.h"

typedef struct {
    long pid, ppid;
    const tui_pinfo_t *p;  /* NULL when it is gone from /proc */
    const tui_proc_t *mp;  /* what the events said, or NULL */
} src_t;

/* Processes to list: those of /proc, plus the recently exited. */
static int gather(const tui_ui_t *ui, src_t *src, int max)
{
    int n = 0;
    const tui_procfs_t *s = ui->procs;
    const tui_model_t *m = ui->model;
    for (int i = 0; s && i < s->n && n < max; i++)
        src[n++] = (src_t){s->procs[i].pid, s->procs[i].ppid, &s->procs[i],
                           m ? tui_model_proc(m, s->procs[i].pid) : NULL};
    for (int i = 0; m && i < m->nprocs && n < max; i++) {
        const tui_proc_t *mp = &m->procs[i];
        if (mp->state != TUI_PROC_EXITED || (s && tui_procfs_find(s, mp->pid)))
            continue;
        if (ui->now_ns > mp->t_exit && ui->now_ns - mp->t_exit > TUI_EXITED_LINGER_NS)
            continue;
        src[n++] = (src_t){mp->pid, mp->ppid, NULL, mp};
    }
    return n;
}

static int tree(const tui_ui_t *ui, src_t *src, tui_tree_row_t *rows)
{
    int n = gather(ui, src, TUI_PROCFS_MAX_PROCS);
    long pid[TUI_PROCFS_MAX_PROCS], ppid[TUI_PROCFS_MAX_PROCS];
    for (int i = 0; i < n; i++) {
        pid[i] = src[i].pid;
        ppid[i] = src[i].ppid;
    }
    return tui_procfs_tree(pid, ppid, n, rows);
}

int tui_view_procs_pids(const tui_ui_t *ui, long *pids, int max)
{
    src_t src[TUI_PROCFS_MAX_PROCS];
    tui_tree_row_t rows[TUI_PROCFS_MAX_PROCS];
    int n = tree(ui, src, rows);
    for (int i = 0; i < n && i < max; i++)
        pids[i] = src[rows[i].index].pid;
    return n < max ? n : max;
}

static int shown_fd(const tui_pinfo_t *p, const tui_fd_t *f)
{
    if ((f->kind == TUI_FD_PIPE || f->kind == TUI_FD_SOCKET) && f->peer_pid == p->pid &&
        !f->peer_is_self)
        return 0;
    return 1;
}

/* The lab's, not the lesson's: the event and control pipes to the
 * dashboard, and the eventfd libuv wakes its loop with. */
static int plumbing(const tui_fd_t *f)
{
    return f->peer_is_self || f->kind == TUI_FD_EVENTFD;
}

static const char *kind_name(tui_fd_kind_t k)
{
    switch (k) {
    case TUI_FD_PIPE:
        return "pipe";
    case TUI_FD_SOCKET:
        return "socket";
    case TUI_FD_EVENTFD:
        return "eventfd";
    case TUI_FD_INOTIFY:
        return "inotify";
    case TUI_FD_SHM:
        return "shm";
    case TUI_FD_FIFO:
        return "fifo";
    default:
        return "fd";
    }
}

static void peer_label(const tui_ui_t *ui, const tui_fd_t *f, char *out, size_t n)
{
    if (f->peer_is_self) {
        snprintf(out, n, "ipcscope%s", f->peer_fd >= 0 ? "" : "");
        return;
    }
    const tui_proc_t *mp = ui->model ? tui_model_proc(ui->model, f->peer_pid) : NULL;
    const tui_pinfo_t *pp = ui->procs ? tui_procfs_find(ui->procs, f->peer_pid) : NULL;
    const char *name = mp && mp->role[0] ? mp->role : pp ? pp->comm : "";
    snprintf(out, n, "%s%s%ld fd%d", name, *name ? " " : "", f->peer_pid, f->peer_fd);
}

/* The lines of one fd: "fd3 socket:[88123] ↔ parent 1234 fd9". Narrow panes
 * put the inode last, so that cutting the line loses it first. */
static void fd_line(const tui_ui_t *ui, const tui_fd_t *f, int also, int wide, char *out,
                    size_t n)
{
    char where[48], peer[96] = "", ino[32] = "";
    if (f->fd >= 0 && also > 0)
        snprintf(where, sizeof where, "fd%d,%d", f->fd, also);
    else if (f->fd >= 0)
        snprintf(where, sizeof where, "fd%d", f->fd);
    else
        snprintf(where, sizeof where, "mmap");
    if (f->inode)
        snprintf(ino, sizeof ino, "[%lu]", f->inode);
    if (f->peer_pid > 0 || f->peer_is_self) {
        char pl[80];
        peer_label(ui, f, pl, sizeof pl);
        snprintf(peer, sizeof peer, " %s %s", tui_crt_glyph(TUI_G_PEER), pl);
    }
    const char *mode = f->kind == TUI_FD_PIPE || f->kind == TUI_FD_FIFO
                           ? (f->mode == 'r' ? " r" : f->mode == 'w' ? " w" : "")
                           : "";
    const char *name = f->name[0] && f->kind != TUI_FD_EVENTFD && f->kind != TUI_FD_INOTIFY
                           ? f->name
                           : "";
    /* a long path is cut from the left: its last part names the file, and
     * the private directory before it says little */
    char short_name[80];
    const char *slash = strrchr(name, '/');
    if (slash && slash != name && tui_text_width(name) > (wide ? 32 : 16)) {
        snprintf(short_name, sizeof short_name, "%s%s", tui_crt_glyph(TUI_G_ELLIPSIS), slash);
        name = short_name;
    }
    /* A row longer than out is cut: its drawing ends it with an ellipsis. */
    int len = wide ? snprintf(out, n, "%s %s:%s%s%s%s%s", where, kind_name(f->kind), ino, mode,
                              *name ? " " : "", name, peer)
                   : snprintf(out, n, "%s %s%s%s %s%s%s", where, kind_name(f->kind), mode, peer,
                              ino, *name ? " " : "", name);
    if (len >= (int)n)
        out[n - 1] = '\0';
}

static void prefix(const tui_tree_row_t *row, char *out, size_t n, int cont)
{
    /* cont: the prefix of a line under the process (its fds) */
    out[0] = '\0';
    size_t o = 0;
    for (int d = 1; d < row->depth; d++) {
        const char *g = (row->more >> d) & 1 ? tui_crt_glyph(TUI_G_TREE_VERT) : "  ";
        o += (size_t)snprintf(out + o, n - o, "%s", g);
        if (o >= n)
            return;
    }
    if (row->depth >= 1) {
        const char *g = cont ? (row->last ? "  " : tui_crt_glyph(TUI_G_TREE_VERT))
                             : tui_crt_glyph(row->last ? TUI_G_TREE_LAST : TUI_G_TREE_MID);
        snprintf(out + o, n - o, "%s", g);
    }
}

void tui_view_procs(const tui_ui_t *ui, tui_rect_t r)
{
    src_t src[TUI_PROCFS_MAX_PROCS];
    tui_tree_row_t rows[TUI_PROCFS_MAX_PROCS];
    int n = tree(ui, src, rows);
    if (n == 0) {
        tui_crt_text(r.y, r.x + 1, r.w - 1, TUI_ROLE_DIM, tui_i18n(TUI_S_NO_PROCESSES));
        return;
    }
    int wide = r.w >= 56;
    int right = r.w >= 30 ? 16 : 0; /* " S  CPU%   RSS" */

    /* Lay the lines out first, so the selected process can be kept in view. */
    typedef struct {
        int row;  /* index into rows */
        int fd;   /* -1: the process line */
        int also; /* the same file at another fd number too (fd1,2), or -1 */
    } line_t;
    static line_t lines[TUI_PROCFS_MAX_PROCS * (TUI_PROCFS_MAX_FDS + 1)];
    int nl = 0, sel_line = -1, sel_end = -1;
    for (int i = 0; i < n; i++) {
        const src_t *s = &src[rows[i].index];
        if (s->pid == ui->sel_pid)
            sel_line = nl;
        lines[nl++] = (line_t){i, -1, -1};
        /* the mechanism's fds first, then the plumbing */
        for (int k = 0; s->p && k < 2 * s->p->nfds; k++) {
            const tui_fd_t *f = &s->p->fds[k % s->p->nfds];
            if (!shown_fd(s->p, f) || plumbing(f) != (k >= s->p->nfds))
                continue;
            /* stdout and stderr on one pipe read better as one line */
            const line_t *prev = &lines[nl - 1];
            if (prev->fd >= 0 && prev->also < 0 && prev->row == i) {
                const tui_fd_t *pf = &s->p->fds[prev->fd];
                if (pf->kind == f->kind && pf->inode == f->inode && pf->mode == f->mode &&
                    pf->peer_pid == f->peer_pid && pf->peer_is_self == f->peer_is_self &&
                    f->fd >= 0) {
                    lines[nl - 1].also = f->fd;
                    continue;
                }
            }
            lines[nl++] = (line_t){i, k % s->p->nfds, -1};
        }
        if (s->pid == ui->sel_pid)
            sel_end = nl - 1;
    }
    /* Keep the selected process and as many of its fds as fit in view. */
    int first = 0;
    if (sel_line >= 0) {
        if (sel_end - first >= r.h)
            first = sel_end - r.h + 1;
        if (sel_line < first)
            first = sel_line;
    }

    for (int li = first; li < nl && li - first < r.h; li++) {
        int y = r.y + li - first;
        const tui_tree_row_t *row = &rows[lines[li].row];
        const src_t *s = &src[row->index];
        char pre[96], buf[256];
        if (lines[li].fd >= 0) {
            prefix(row, pre, sizeof pre, 1);
            int x = r.x + tui_crt_text(y, r.x, r.w, TUI_ROLE_TREE, pre);
            const tui_fd_t *f = &s->p->fds[lines[li].fd];
            fd_line(ui, f, lines[li].also, wide, buf, sizeof buf);
            tui_crt_text(y, x + 2, r.x + r.w - x - 2, plumbing(f) ? TUI_ROLE_DIM : TUI_ROLE_FD, buf);
            continue;
        }
        int selected = s->pid == ui->sel_pid && ui->focus == TUI_PANE_PROCS;
        int exited = !s->p || (s->mp && s->mp->state == TUI_PROC_EXITED);
        tui_role_t base = selected ? TUI_ROLE_SELECTED : TUI_ROLE_DEFAULT;
        if (selected)
            tui_crt_fill(y, r.x, r.w, TUI_ROLE_SELECTED);
        prefix(row, pre, sizeof pre, 0);
        int x = r.x;
        x += tui_crt_text(y, x, r.w, selected ? base : TUI_ROLE_TREE, pre);
        if (exited) {
            x += tui_crt_text(y, x, r.x + r.w - x, selected ? base : TUI_ROLE_EXITED,
                              tui_crt_glyph(TUI_G_EXIT_MARK));
            x += tui_crt_text(y, x, r.x + r.w - x, base, " ");
        }
        snprintf(buf, sizeof buf, "%ld", s->pid);
        x += tui_crt_text(y, x, r.x + r.w - x, selected ? base : TUI_ROLE_PID, buf);
        x += 1;
        const char *role = s->mp && s->mp->role[0] ? s->mp->role : s->p ? s->p->comm : "";
        int limit = r.x + r.w - x - (exited ? 0 : right);
        if (wide && s->p && s->mp && s->mp->role[0]) {
            snprintf(buf, sizeof buf, "%s (%s)", role, s->p->comm);
            x += tui_crt_text(y, x, limit, selected ? base : TUI_ROLE_PROC_ROLE, buf);
        } else {
            x += tui_crt_text(y, x, limit, selected ? base : TUI_ROLE_PROC_ROLE, role);
        }
        if (exited && s->mp && s->mp->state == TUI_PROC_EXITED) {
            if (s->mp->signal[0]) {
                snprintf(buf, sizeof buf, " %s %s", tui_i18n(TUI_S_KILLED_BY), s->mp->signal);
            } else if (s->mp->asked[0]) {
                buf[0] = ' ';
                snprintf(buf + 1, sizeof buf - 1, tui_i18n(TUI_S_EXITED_AFTER), s->mp->code,
                         s->mp->asked);
            } else
                snprintf(buf, sizeof buf, " %s %d", tui_i18n(TUI_S_EXITED_CODE), s->mp->code);
            tui_crt_text(y, x, r.x + r.w - x, selected ? base : TUI_ROLE_EXITED, buf);
        } else if (s->p && right) {
            char rss[32];
            if (s->p->rss_kb >= 10240)
                snprintf(rss, sizeof rss, "%ldM", s->p->rss_kb / 1024);
            else if (s->p->rss_kb >= 1024)
                snprintf(rss, sizeof rss, "%.1fM", (double)s->p->rss_kb / 1024);
            else
                snprintf(rss, sizeof rss, "%ldK", s->p->rss_kb);
            snprintf(buf, sizeof buf, " %c %5.1f %6s", s->p->state, s->p->cpu, rss);
            tui_crt_text(y, r.x + r.w - right, right, selected ? base : TUI_ROLE_DEFAULT, buf);
        }
    }
}
