/* wire.c: what both sides agree on. The ping id in a line and the short
 * summary the flow view shows for it, the socket address built from --path
 * (or the abstract name), and the "stats ..." line in which a client hands
 * the server its latency histogram. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "unix-socket.h"

/* ==== small helpers ======================================================= */

const char *errname(int err)
{
    const char *n = strerrorname_np(err < 0 ? -err : err);
    return n ? n : "E?";
}

/* "ping 12 ..." -> 12; anything else 0. */
uint64_t ping_id(const char *line, size_t len)
{
    if (len > 6 && memcmp(line, "pong: ", 6) == 0) {
        line += 6;
        len -= 6;
    }
    if (len < 6 || memcmp(line, "ping ", 5) != 0)
        return 0;
    uint64_t id = 0;
    for (size_t i = 5; i < len && line[i] >= '0' && line[i] <= '9' && i < 25; i++)
        id = id * 10 + (uint64_t)(line[i] - '0');
    return id;
}

/* A short summary for the flow: "ping 12", or the line itself cut short. */
void summarize(char *out, size_t n, const char *prefix, const char *line, size_t len)
{
    uint64_t id = ping_id(line, len);
    if (id && len >= 5 && memcmp(line, "pong: ", len >= 6 ? 6 : len) == 0)
        snprintf(out, n, "%spong: ping %llu", prefix, (unsigned long long)id);
    else if (id)
        snprintf(out, n, "%sping %llu", prefix, (unsigned long long)id);
    else {
        size_t k = len > 60 ? 60 : len;
        char tmp[64];
        for (size_t i = 0; i < k; i++)
            tmp[i] = (line[i] >= 32 && line[i] < 127) ? line[i] : '.';
        tmp[k] = '\0';
        snprintf(out, n, "%s%s%s", prefix, tmp, len > k ? "…" : "");
    }
}

/* The address bytes for path, or the abstract name. */
int make_addr(struct sockaddr_un *sa)
{
    const char *p = opt.path;
    if (opt.abstract && p[0] == '@')
        p++;
    return scope_unix_addr(p, opt.abstract, sa);
}

/* ==== the latency histogram on the wire ==================================== */

/* "stats COUNT MIN MAX SUM i:n,i:n,...": a client's last line, so that the
 * server's summary covers every client's round trips. */
char *hist_line(const scope_hist_t *h, size_t *len)
{
    size_t cap = 128, used = 0;
    for (unsigned i = 0; i < SCOPE_HIST_BUCKETS; i++)
        if (h->buckets[i])
            cap += 32;
    char *b = malloc(cap);
    if (!b)
        return NULL;
    used = (size_t)snprintf(b, cap, "stats %llu %llu %llu %.0f ", (unsigned long long)h->count,
                            (unsigned long long)(h->count ? h->min : 0),
                            (unsigned long long)h->max, h->sum);
    for (unsigned i = 0; i < SCOPE_HIST_BUCKETS; i++)
        if (h->buckets[i])
            used += (size_t)snprintf(b + used, cap - used, "%u:%llu,", i,
                                     (unsigned long long)h->buckets[i]);
    if (b[used - 1] == ',')
        used--;
    b[used] = '\0';
    *len = used;
    return b;
}

int hist_parse(const char *line, size_t len, scope_hist_t *h)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, line, len);
    copy[len] = '\0';
    scope_hist_reset(h);
    unsigned long long count, min, max;
    double sum;
    int n = 0, r = -EINVAL;
    if (sscanf(copy, "stats %llu %llu %llu %lf %n", &count, &min, &max, &sum, &n) == 4 && n > 0) {
        uint64_t total = 0;
        char *save = NULL;
        for (char *t = strtok_r(copy + n, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            unsigned idx;
            unsigned long long c;
            if (sscanf(t, "%u:%llu", &idx, &c) != 2 || idx >= SCOPE_HIST_BUCKETS)
                goto out;
            h->buckets[idx] += c;
            total += c;
        }
        if (total != count)
            goto out;
        h->count = count;
        h->min = count ? min : UINT64_MAX;
        h->max = max;
        h->sum = sum;
        r = 0;
    }
out:
    free(copy);
    return r;
}
