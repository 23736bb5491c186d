/* articles: the names of the articles the lab follows. See articles.h. */
#include "articles.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *id, *en, *zh;
} articles[SCOPE_ARTICLES] = {
    /* No heading: six numbered sections, one per way. */
    {"000", "Six ways processes talk in Node.js", "Node.js 进程间通信的六种方式"},
    {"001", "IPC methods in Node.js", "NodeJS中的进程间通信方式"},
    /* No heading: its opening says it introduces the common methods. */
    {"002", "Common IPC methods in Node.js, with examples", "Node.js 中常用的进程间通信方法"},
    {"003", "Node.js process communication", "Node.js 进程通信"},
    {"004", "Inter-process communication", "Inter-process communication"},
};

const char *scope_article_name(const char *id, int zh)
{
    for (int i = 0; i < SCOPE_ARTICLES; i++)
        if (strcmp(articles[i].id, id) == 0)
            return zh ? articles[i].zh : articles[i].en;
    return NULL;
}

size_t scope_articles_names(const char *ids, int zh, char *out, size_t outlen)
{
    size_t n = 0;
    if (!outlen)
        return 0;
    out[0] = '\0';
    char id[8];
    for (const char *p = ids ? ids : ""; *p;) {
        size_t k = strcspn(p, " ");
        snprintf(id, sizeof id, "%.*s", (int)(k < sizeof id - 1 ? k : sizeof id - 1), p);
        p += k + (p[k] == ' ');
        const char *name = scope_article_name(id, zh);
        if (!name)
            continue;
        int w = snprintf(out + n, outlen - n, "%s%s", n ? "; " : "", name);
        if (w < 0 || (size_t)w >= outlen - n) {
            n = strlen(out);
            break;
        }
        n += (size_t)w;
    }
    return n;
}
