/* lanes: short lane names and their legend (see lanes.h). */
#include "lanes.h"

#include <stdio.h>
#include <string.h>

#include "text.h"

#define MAX_LANES 64
#define MAX_ROLE  64

/* A role as the lanes share it: "client" for client 1 and client 2. */
typedef struct {
    char base[MAX_ROLE];
    int letters; /* characters of base its stem takes */
} role_t;

typedef struct {
    int role;     /* index into the roles, or -1 for a peer */
    char num[12]; /* its own number ("2"), or the ordinal given here */
    int own_num;  /* the number came with the role */
    int whole;    /* its number is too wide for a lane (a port, a pid): in the legend */
} lane_t;

/* "client 12" -> "client" and "12"; "sh" -> "sh" and "". */
static void split_role(const char *text, char *base, size_t n, char *num, size_t num_n)
{
    snprintf(base, n, "%s", text);
    size_t len = strlen(base), digits = 0;
    while (len > 0 && base[len - 1] == ' ')
        base[--len] = '\0';
    while (digits < len && base[len - 1 - digits] >= '0' && base[len - 1 - digits] <= '9')
        digits++;
    num[0] = '\0';
    if (digits > 0 && digits < len && digits < num_n && base[len - 1 - digits] == ' ') {
        snprintf(num, num_n, "%s", base + len - digits);
        base[len - 1 - digits] = '\0';
    }
}

/* A role is a word (a letter first, any script); else the lane is a peer
 * named by an address or a pid. */
static int is_word(const char *s)
{
    unsigned char c = (unsigned char)s[0];
    return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c >= 0x80;
}

/* The first r->letters characters of the role's first word, capitalised. */
static void stem(const role_t *r, char *out, size_t n)
{
    size_t bytes = 0;
    for (int i = 0; i < r->letters && r->base[bytes] && r->base[bytes] != ' '; i++) {
        unsigned int wc;
        bytes += tui_text_decode(r->base + bytes, &wc);
    }
    snprintf(out, n, "%.*s", (int)bytes, r->base);
    if (out[0] >= 'a' && out[0] <= 'z')
        out[0] = (char)(out[0] - 'a' + 'A');
}

/* One more letter for the role's stem; 0 when its first word has no more. */
static int grow(role_t *r)
{
    char before[MAX_ROLE], after[MAX_ROLE];
    stem(r, before, sizeof before);
    r->letters++;
    stem(r, after, sizeof after);
    if (strlen(after) > strlen(before))
        return 1;
    r->letters--;
    return 0;
}

/* Roles whose stems collide take one more letter each, until every stem
 * names one role (or the colliding roles have no letters left). */
static void part_stems(role_t *r, int n)
{
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) {
                char a[MAX_ROLE], b[MAX_ROLE];
                stem(&r[i], a, sizeof a);
                stem(&r[j], b, sizeof b);
                if (strcmp(a, b) == 0) {
                    int grew = grow(&r[i]);
                    changed |= grow(&r[j]) | grew;
                }
            }
    }
}

static const char *text_of(const char *const *texts, int i)
{
    return texts[i] && texts[i][0] ? texts[i] : "?";
}

static void legend_add(char *legend, size_t n, const char *entry)
{
    size_t used = strlen(legend);
    if (used + (used > 0) + strlen(entry) >= n)
        return; /* the view cuts the row anyway; a whole entry or none */
    snprintf(legend + used, n - used, "%s%s", used ? " " : "", entry);
}

void tui_lanes_shorten(const char *const *texts, int n, char (*names)[TUI_LANES_SHORT],
                       char *legend, size_t legend_n)
{
    role_t roles[MAX_LANES];
    lane_t lanes[MAX_LANES];
    int nroles = 0, peers = 0;
    if (n > MAX_LANES)
        n = MAX_LANES;
    for (int i = 0; i < n; i++) {
        const char *text = texts[i] && texts[i][0] ? texts[i] : "?";
        char base[MAX_ROLE];
        lane_t *l = &lanes[i];
        split_role(text, base, sizeof base, l->num, sizeof l->num);
        l->whole = strlen(l->num) > 3; /* "port 39845": P, and the port in the legend */
        if (l->whole)
            l->num[0] = '\0';
        l->own_num = l->num[0] != '\0';
        l->role = -1;
        if (!is_word(base))
            continue;
        for (int k = 0; k < nroles && l->role < 0; k++)
            if (!strcmp(roles[k].base, base))
                l->role = k;
        if (l->role < 0) {
            l->role = nroles++;
            snprintf(roles[l->role].base, sizeof roles[l->role].base, "%s", base);
            roles[l->role].letters = 1;
        }
    }
    part_stems(roles, nroles);

    if (legend_n)
        legend[0] = '\0';
    for (int i = 0; i < n; i++) {
        lane_t *l = &lanes[i];
        char s[MAX_ROLE], entry[2 * MAX_ROLE + 8];
        if (l->role < 0) { /* a peer: numbered, its whole name in the legend */
            snprintf(names[i], TUI_LANES_SHORT, "P%d", ++peers);
            snprintf(entry, sizeof entry, "%s=%s", names[i], texts[i] && texts[i][0] ? texts[i] : "?");
            if (legend_n)
                legend_add(legend, legend_n, entry);
            continue;
        }
        /* lanes of one role without numbers are numbered in lane order */
        int same = 0, before = 0, first = 1;
        for (int j = 0; j < n; j++) {
            int peer = lanes[j].role == l->role;
            same += peer && !lanes[j].own_num;
            before += peer && !lanes[j].own_num && j < i;
            first &= !(peer && j < i);
        }
        if (!l->own_num && same > 1)
            snprintf(l->num, sizeof l->num, "%d", before + 1);
        stem(&roles[l->role], s, sizeof s);
        snprintf(names[i], TUI_LANES_SHORT, "%.8s%s", s, l->num);
        if (l->whole)
            snprintf(entry, sizeof entry, "%s=%s", names[i], text_of(texts, i));
        else
            snprintf(entry, sizeof entry, "%s=%s", s, roles[l->role].base);
        if ((first || l->whole) && legend_n)
            legend_add(legend, legend_n, entry);
    }
}
