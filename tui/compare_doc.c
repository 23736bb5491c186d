/* compare_doc: reading the compare document, its cache, and finding the
 * script that measures. See compare_doc.h.
 */
#include "compare_doc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "spawn.h"

static void copy(char *out, size_t n, const cJSON *o, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
    snprintf(out, n, "%s", s ? s : "");
}

/* A figure, or 0 unless it is a positive, finite number. */
static double number(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) && v->valuedouble > 0 && isfinite(v->valuedouble) ? v->valuedouble : 0;
}

static tui_compare_row_t *row_for(tui_compare_doc_t *d, const char *mech)
{
    for (int i = 0; i < d->nrows; i++)
        if (strcmp(d->rows[i].mech, mech) == 0)
            return &d->rows[i];
    if (d->nrows == TUI_COMPARE_ROWS)
        return NULL;
    tui_compare_row_t *r = &d->rows[d->nrows++];
    snprintf(r->mech, sizeof r->mech, "%s", mech);
    return r;
}

int tui_compare_doc_parse(const char *json, tui_compare_doc_t *d)
{
    memset(d, 0, sizeof *d);
    cJSON *doc = cJSON_Parse(json);
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(doc, "rows");
    const cJSON *claims = cJSON_GetObjectItemCaseSensitive(doc, "claims");
    if (!cJSON_IsArray(rows) || !cJSON_IsArray(claims)) {
        cJSON_Delete(doc);
        return -1;
    }
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, "machine");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "versions");
    copy(d->date, sizeof d->date, doc, "date");
    copy(d->mode, sizeof d->mode, doc, "mode");
    d->n = (int)number(doc, "n");
    d->rounds = (int)number(doc, "rounds");
    d->cores = (int)number(m, "cores");
    copy(d->kernel, sizeof d->kernel, m, "kernel");
    copy(d->cpu, sizeof d->cpu, m, "cpu");
    copy(d->node, sizeof d->node, v, "node");
    copy(d->redis, sizeof d->redis, v, "redis");
    copy(d->libuv, sizeof d->libuv, v, "libuv");

    const cJSON *o;
    cJSON_ArrayForEach(o, rows)
    {
        const char *mech = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "mechanism"));
        const char *impl = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "impl"));
        tui_compare_row_t *r = mech && impl ? row_for(d, mech) : NULL;
        if (!r)
            continue;
        int k = strcmp(impl, "node") == 0 ? TUI_IMPL_NODE : TUI_IMPL_C;
        copy(r->demo, sizeof r->demo, o, "demo");
        r->p50[k] = number(o, "rtt_p50_ns");
        r->p99[k] = number(o, "rtt_p99_ns");
        r->mbps[k] = number(o, "mbps");
        copy(r->why[k], sizeof r->why[k], o, "not_measured");
    }
    cJSON_ArrayForEach(o, claims)
    {
        if (d->nclaims == TUI_COMPARE_CLAIMS)
            break;
        tui_compare_claim_t *c = &d->claims[d->nclaims++];
        copy(c->id, sizeof c->id, o, "id");
        copy(c->source, sizeof c->source, o, "source");
        copy(c->demo, sizeof c->demo, o, "demo");
        c->step = (int)number(o, "step");
        copy(c->claim[0], sizeof c->claim[0], o, "claim_en");
        copy(c->claim[1], sizeof c->claim[1], o, "claim_zh");
        copy(c->sentence[0], sizeof c->sentence[0], o, "sentence_en");
        copy(c->sentence[1], sizeof c->sentence[1], o, "sentence_zh");
        copy(c->figure, sizeof c->figure, o, "figure");
        const char *verdict = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "verdict"));
        c->verdict = !verdict                               ? TUI_VERDICT_UNMEASURED
                     : strcmp(verdict, "holds") == 0         ? TUI_VERDICT_HOLDS
                     : strcmp(verdict, "does not hold") == 0 ? TUI_VERDICT_NOT
                     : strcmp(verdict, "depends") == 0       ? TUI_VERDICT_DEPENDS
                                                             : TUI_VERDICT_UNMEASURED;
    }
    cJSON_Delete(doc);
    return 0;
}

/* ---- the cache ---------------------------------------------------------------- */

int tui_compare_cache_path(char *out, size_t n)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int len;
    if (xdg && *xdg == '/')
        len = snprintf(out, n, "%s/ipcscope/compare.json", xdg);
    else if (home && *home)
        len = snprintf(out, n, "%s/.cache/ipcscope/compare.json", home);
    else
        return -1;
    return len > 0 && (size_t)len < n ? 0 : -1;
}

char *tui_compare_cache_read(void)
{
    char path[PATH_MAX];
    if (tui_compare_cache_path(path, sizeof path) < 0)
        return NULL;
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap) {
            char *more = realloc(buf, cap *= 2);
            if (!more) {
                free(buf);
                buf = NULL;
            }
            buf = more;
        }
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* mkdir -p of the directory part of path */
static int make_dirs(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    return 0;
}

int tui_compare_cache_write(const char *json)
{
    char path[PATH_MAX], tmp[PATH_MAX + 16];
    if (tui_compare_cache_path(path, sizeof path) < 0)
        return -ENOENT;
    int r = make_dirs(path);
    if (r < 0)
        return r;
    snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    size_t len = strlen(json), off = 0;
    while (off < len) {
        ssize_t n = write(fd, json + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r = -errno;
            close(fd);
            unlink(tmp);
            return r ? r : -EIO;
        }
        off += (size_t)n;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        r = -errno;
        unlink(tmp);
        return r;
    }
    return 0;
}

/* ---- the script ---------------------------------------------------------------- */

int tui_compare_script(char *script, size_t sn, char *build, size_t bn)
{
    char self[PATH_MAX];
    if (scope_spawn_self(self, sizeof self) < 0)
        return -ENOENT;
    char *slash = strrchr(self, '/'); /* <build>/bin/ipcscope */
    if (!slash)
        return -ENOENT;
    *slash = '\0';
    snprintf(build, bn, "%s/..", self);
    const char *env = getenv("IPCSCOPE_COMPARE");
    if (env && *env)
        snprintf(script, sn, "%s", env);
    else
        snprintf(script, sn, "%s/../../bench/compare.sh", self);
    return access(script, R_OK) == 0 ? 0 : -ENOENT;
}
