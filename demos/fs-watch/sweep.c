/* sweep.c: the private directory's end, and those of runs that died.
 *
 * lib's sweep (scope_rundir_sweep) removes a dead run's directory only when
 * it holds sockets and FIFOs; ours holds msg.json, a regular file, so it
 * would stay. A run killed with SIGKILL cannot remove its own: the next run
 * does, knowing it by the pid in its name (ipcscope-fs-watch-PID.XXXXXX),
 * and only when that pid is gone and the directory is ours alone (0700).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "fs-watch.h"

#define PREFIX "ipcscope-fs-watch-"

/* What a run leaves in it: files, and a directory a fault put in the
 * place of msg.json (empty). Nothing deeper is ever made there. */
int fsw_dir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char path[PATH_MAX + 256];
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            rmdir(path);
        else if (strcmp(e->d_name, ".owner") != 0) /* lib's record: lib removes it */
            unlink(path);
    }
    if (d)
        closedir(d);
    return scope_rundir_remove(dir);
}

int fsw_sweep(const char *mine)
{
    char base[PATH_MAX];
    snprintf(base, sizeof base, "%s", mine);
    char *slash = strrchr(base, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    DIR *d = opendir(base);
    struct dirent *e;
    int swept = 0;
    while (d && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, PREFIX, strlen(PREFIX)) != 0)
            continue;
        char *end, dir[PATH_MAX + 256];
        long pid = strtol(e->d_name + strlen(PREFIX), &end, 10);
        snprintf(dir, sizeof dir, "%s/%s", base, e->d_name);
        if (pid > 0 && *end == '.' && pid != (long)getpid() && kill((pid_t)pid, 0) < 0 &&
            errno == ESRCH && scope_rundir_check(dir) == 0 && fsw_dir_remove(dir) == 0)
            swept++;
    }
    if (d)
        closedir(d);
    return swept;
}
