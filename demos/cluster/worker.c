/* cluster's worker: being written (see cluster.h). */
#include <stdio.h>

#include "cluster.h"

int cluster_worker(scope_demo_t *d)
{
    (void)d;
    fprintf(stderr, "cluster: the C worker is not there yet\n");
    return 1;
}
