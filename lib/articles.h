/* articles: the five articles on Node.js inter-process communication that the
 * lab follows, each named by its heading (or, where it has none, by its
 * subject), in English and as the article says it.
 *
 * A demo lists the articles it follows by number ("000 001") in its
 * scope_demo_info_t; people only ever see the names. docs/ARTICLES.md says
 * what each is about.
 *
 *     scope_articles_names("000 001", 0, buf, sizeof buf);
 *     // "Six ways processes talk in Node.js; IPC methods in Node.js"
 */
#ifndef SCOPE_ARTICLES_H
#define SCOPE_ARTICLES_H

#include <stddef.h>

#define SCOPE_ARTICLES 5

/* The name of article id ("000" to "004"), in English or (zh) as the
 * article itself has it; NULL for an unknown id. */
const char *scope_article_name(const char *id, int zh);
/* The names of the space-separated ids, joined by "; ", into out (cut to
 * fit). Returns the length written. Unknown ids are left out. */
size_t scope_articles_names(const char *ids, int zh, char *out, size_t outlen);

#endif
