/* sweep.c: names in /dev/shm that runs killed before step 6 left behind.
 *
 * A run unlinks its name as soon as both processes have mapped it (step 6),
 * on exit, and on SIGINT or SIGTERM. Only a SIGKILL of process 1 in the
 * moment between shm_open() and process 2's mmap() can leave it: no code runs on a
 * SIGKILL. So each run first removes /dev/shm/ipcscope-PID-shm names of ours
 * whose PID is no longer running, as lib/addr does for socket directories.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "shared-memory.h"

int shm_sweep(void)
{
    DIR *dir = opendir("/dev/shm");
    struct dirent *e;
    int n = 0;
    while (dir && (e = readdir(dir))) {
        long pid;
        char tail[8], name[300];
        struct stat st;
        if (sscanf(e->d_name, "ipcscope-%ld-%7s", &pid, tail) != 2 || strcmp(tail, "shm") ||
            pid <= 0 || fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            st.st_uid != getuid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        snprintf(name, sizeof name, "/%s", e->d_name);
        n += shm_unlink(name) == 0;
    }
    if (dir)
        closedir(dir);
    return n;
}
