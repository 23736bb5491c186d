/* procfs: the processes of a demo as the kernel sees them, read from /proc.
 *
 * What the Processes pane shows comes from here, not from what the demo says:
 * every process of the demo's process group with its state, CPU and memory,
 * and each IPC fd it holds (pipe, socket, eventfd, inotify, shared memory
 * mapping) with the kernel's inode. The other end of an fd is found the way a
 * person would with ls -l /proc/PID/fd and ss -xp:
 *
 *   - a pipe: another process holding the same pipe inode;
 *   - a Unix socket: the kernel's peer inode (sock_diag netlink, what ss uses;
 *     /proc/net/unix lists the paths), then the process holding that inode.
 *
 * The parsers are pure functions over the text /proc gives, so they are tested
 * on fixed strings; tui_procfs_scan() is the one function that reads /proc.
 * The socket tables (/proc/net/unix, tcp, udp, sock_diag) are read by
 * lib/procnet.h, which the demos share.
 * Its result is plain data that the view draws.
 *
 * Usage:
 *
 *     tui_procfs_t *s = tui_procfs_new();
 *     tui_procfs_scan(s, pgid, scope_time_now_ns());
 *     for (int i = 0; i < s->n; i++) ... s->procs[s->order[i].index] ...
 *     tui_procfs_free(s);
 */
#ifndef TUI_PROCFS_H
#define TUI_PROCFS_H

#include <stddef.h>
#include <stdint.h>

#define TUI_PROCFS_MAX_PROCS 64
#define TUI_PROCFS_MAX_FDS   24

typedef enum {
    TUI_FD_OTHER,
    TUI_FD_PIPE,
    TUI_FD_SOCKET,
    TUI_FD_EVENTFD,
    TUI_FD_INOTIFY,
    TUI_FD_SHM, /* a shared memory mapping (/dev/shm, memfd, SysV): fd is -1 */
    TUI_FD_FIFO,
} tui_fd_kind_t;

typedef struct {
    int fd; /* -1 for a mapping */
    tui_fd_kind_t kind;
    unsigned long inode;
    char mode;         /* 'r', 'w' or 'u' (read-write), from fdinfo flags */
    char name[48];     /* a socket's path, a mapping's name, "eventfd" */
    long peer_pid;     /* the process at the other end, 0 when unknown */
    int peer_fd;       /* its fd there, -1 when unknown */
    int peer_is_self;  /* the other end is the dashboard itself */
} tui_fd_t;

typedef struct {
    long pid, ppid, pgrp;
    char comm[32];
    char state; /* R S D Z T ... */
    unsigned long long ticks; /* utime + stime */
    long rss_kb;
    double cpu; /* percent of one CPU since the previous scan */
    int nfds;
    tui_fd_t fds[TUI_PROCFS_MAX_FDS];
} tui_pinfo_t;

/* One row of the tree: which process, how deep, and for each ancestor level
 * whether a vertical line continues below it (bit d set: draw "│" at depth d). */
typedef struct {
    int index; /* into procs[] */
    int depth;
    int last;  /* the last child of its parent: "└─" rather than "├─" */
    uint32_t more; /* bit d: the ancestor at depth d has siblings below */
} tui_tree_row_t;

typedef struct {
    tui_pinfo_t procs[TUI_PROCFS_MAX_PROCS];
    int n;
    tui_tree_row_t order[TUI_PROCFS_MAX_PROCS];
    uint64_t t_ns;
    /* the previous scan's CPU ticks, for CPU% */
    struct {
        long pid;
        unsigned long long ticks;
    } prev[TUI_PROCFS_MAX_PROCS];
    int nprev;
    uint64_t prev_t_ns;
} tui_procfs_t;

tui_procfs_t *tui_procfs_new(void);
void tui_procfs_free(tui_procfs_t *s);
/* Reads every process whose process group is pgid. Returns the number found. */
int tui_procfs_scan(tui_procfs_t *s, long pgid, uint64_t now_ns);
const tui_pinfo_t *tui_procfs_find(const tui_procfs_t *s, long pid);

/* ---- pure parsers -------------------------------------------------------- */

/* /proc/PID/stat: fills pid, comm, state, ppid, pgrp, ticks and rss (pages *
 * page_kb). Returns 0 or -EINVAL. comm may hold spaces and parentheses. */
int tui_procfs_parse_stat(const char *text, long page_kb, tui_pinfo_t *out);
/* A readlink of /proc/PID/fd/N: "pipe:[123]", "socket:[456]",
 * "anon_inode:[eventfd]", "anon_inode:inotify", "/dev/shm/x", a FIFO path.
 * Returns 1 and fills kind, inode and name when it is an IPC fd, 0 otherwise. */
int tui_procfs_classify_link(const char *link, tui_fd_t *out);
/* The "flags:" line of /proc/PID/fdinfo/N to 'r', 'w' or 'u'. */
char tui_procfs_fdinfo_mode(const char *text);
/* One line of /proc/PID/maps: 1 and fills a TUI_FD_SHM entry when it is a
 * shared mapping of /dev/shm, a memfd or SysV shared memory. */
int tui_procfs_parse_maps_line(const char *line, tui_fd_t *out);
/* The tree of processes by parent pid: rows in depth-first order, children
 * by pid; a process whose parent is not in the set is a root. Returns n. */
int tui_procfs_tree(const long *pid, const long *ppid, int n, tui_tree_row_t *rows);

#endif
