/* The lessons (docs/lessons/NAME.md and NAME.zh.md) held to the form a
 * student can finish in ten minutes and the dashboard can show:
 *
 *   - a core (everything before "## Appendix" / "## 附录") of at most
 *     CORE_MAX lines;
 *   - table rows at most TABLE_MAX display columns (CJK counts two), so the
 *     lesson pane never cuts a row;
 *   - the demo's steps as top-level numbered items 1..K, each once, in
 *     order, the same K in both languages, and no other numbered list that
 *     lesson mode could take for a step;
 *   - two to four predictions, each bound to one of those steps (the one the
 *     dashboard asks it before), the same steps in both languages.
 *
 * It reads the files of the source tree ($TOP) through the dashboard's own
 * lesson parser, so what it checks is what the lesson pane and lesson mode
 * see. Links the dashboard's core library.
 */
#include "../../tui/lesson.h"
#include "../../tui/text.h"

#include <check.h>
#include <dirent.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CORE_MAX    110 /* "about 100 lines" */
#define TABLE_MAX   76
#define STEPS_MAX   32
#define PREDICT_MIN 2
#define PREDICT_MAX 4

static const char *top(void)
{
    const char *t = getenv("TOP");
    return t && *t ? t : ".";
}

/* The lessons: every docs/lessons/NAME.md whose demo exists (demos/NAME). */
static int lesson_names(char names[][32], int max)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/docs/lessons", top());
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        size_t len = strlen(e->d_name);
        if (len < 4 || len >= 32 || strcmp(e->d_name + len - 3, ".md") != 0 ||
            strstr(e->d_name, ".zh.md"))
            continue;
        char demo[4200];
        snprintf(demo, sizeof demo, "%s/demos/%.*s", top(), (int)(len - 3), e->d_name);
        DIR *dd = opendir(demo);
        if (!dd)
            continue; /* not a demo's lesson */
        closedir(dd);
        snprintf(names[n++], 32, "%.*s", (int)(len - 3), e->d_name);
    }
    closedir(d);
    return n;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "re");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    static char buf[1 << 18];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

typedef struct {
    int core_lines;
    int steps;                    /* K: items 1..K, or -1 when out of order */
    int predicted[STEPS_MAX + 1]; /* 1 for a step with a prediction */
    int npredictions;
    char problem[512];
} lesson_form_t;

static void check_file(const char *path, lesson_form_t *out)
{
    memset(out, 0, sizeof *out);
    char *text = read_text(path);

    /* raw lines: the core's length and the tables' widths */
    int line = 0, in_core = 1;
    for (char *p = text; *p;) {
        char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char row[4096];
        snprintf(row, sizeof row, "%.*s", (int)(len < sizeof row - 1 ? len : sizeof row - 1), p);
        line++;
        if (strncmp(row, "## Appendix", 11) == 0 || strncmp(row, "## 附录", 9) == 0)
            in_core = 0;
        if (in_core)
            out->core_lines = line;
        if (row[0] == '|' && tui_text_width(row) > TABLE_MAX && !out->problem[0])
            snprintf(out->problem, sizeof out->problem, "line %d: a table row of %d columns", line,
                     tui_text_width(row));
        p += len + (nl != NULL);
    }

    /* parsed: the steps and the predictions, as lesson mode sees them */
    tui_lesson_t l;
    ck_assert_int_eq(tui_lesson_parse(text, &l), 0);
    int want = 1;
    for (size_t i = 0; i < l.n; i++) {
        const tui_md_line_t *ml = &l.lines[i];
        if (ml->style != TUI_MD_LIST || !ml->marker[0] || ml->indent != 0)
            continue;
        if (atoi(ml->marker) != want) {
            if (!out->problem[0])
                snprintf(out->problem, sizeof out->problem,
                         "numbered item %s where step %d was next: \"%.60s\"", ml->marker, want,
                         ml->text);
            out->steps = -1;
            break;
        }
        out->steps = want++;
    }
    char q[1024];
    for (int s = 1; s <= STEPS_MAX && out->steps > 0 && s <= out->steps; s++)
        if (tui_lesson_prediction(&l, s, q, sizeof q)) {
            out->predicted[s] = 1;
            out->npredictions++;
        }
    /* a prediction bound to no step is never asked */
    int marks = 0;
    for (size_t i = 0; i < l.n; i++)
        if (l.lines[i].style != TUI_MD_CODE &&
            (strstr(l.lines[i].text, "Predict:") || strstr(l.lines[i].text, "先猜：")))
            marks++;
    if (marks != out->npredictions && !out->problem[0])
        snprintf(out->problem, sizeof out->problem, "%d predictions written, %d bound to a step",
                 marks, out->npredictions);
    tui_lesson_free(&l);
}

START_TEST(test_lesson_form)
{
    setlocale(LC_ALL, "C.UTF-8");
    char names[64][32];
    int n = lesson_names(names, 64);
    ck_assert_int_gt(n, 0);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        lesson_form_t en, zh;
        char path[4200];
        snprintf(path, sizeof path, "%s/docs/lessons/%s.md", top(), names[i]);
        check_file(path, &en);
        snprintf(path, sizeof path, "%s/docs/lessons/%s.zh.md", top(), names[i]);
        check_file(path, &zh);
        const lesson_form_t *both[2] = {&en, &zh};
        for (int k = 0; k < 2; k++) {
            const lesson_form_t *f = both[k];
            const char *lang = k ? "zh" : "en";
            if (f->core_lines > CORE_MAX) {
                fprintf(stderr, "%s (%s): the core is %d lines (at most %d before the appendix)\n",
                        names[i], lang, f->core_lines, CORE_MAX);
                bad++;
            }
            if (f->problem[0]) {
                fprintf(stderr, "%s (%s): %s\n", names[i], lang, f->problem);
                bad++;
            }
            if (f->npredictions < PREDICT_MIN || f->npredictions > PREDICT_MAX) {
                fprintf(stderr, "%s (%s): %d predictions bound to steps (want %d to %d)\n",
                        names[i], lang, f->npredictions, PREDICT_MIN, PREDICT_MAX);
                bad++;
            }
        }
        if (en.steps != zh.steps) {
            fprintf(stderr, "%s: %d steps in English, %d in Chinese\n", names[i], en.steps,
                    zh.steps);
            bad++;
        } else if (memcmp(en.predicted, zh.predicted, sizeof en.predicted) != 0) {
            fprintf(stderr, "%s: the two languages ask their predictions before other steps\n",
                    names[i]);
            bad++;
        }
    }
    ck_assert_msg(bad == 0, "%d problems in the lessons (listed above)", bad);
}
END_TEST

/* The checker itself catches what it is for. */
START_TEST(test_checker_catches)
{
    setlocale(LC_ALL, "C.UTF-8");
    const char *tmp = getenv("TMPDIR");
    char tmpl[1024];
    snprintf(tmpl, sizeof tmpl, "%s/ipcscope-lessons.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    char path[1100];
    snprintf(path, sizeof path, "%s/x.md", tmpl);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("# x\n\n> **Predict:** one?\n\n1. **a**\n3. **c**\n\n"
          "| 一二三四五六七八九十 | 一二三四五六七八九十 | 一二三四五六七八九十 | 一二三四五 |\n",
          f);
    fclose(f);
    lesson_form_t form;
    check_file(path, &form);
    ck_assert_int_eq(form.steps, -1);
    ck_assert_ptr_nonnull(strstr(form.problem, "table row"));
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("# x\n\n1. **a**\n2. **b**\n\n> **Predict:** never asked?\n\n- c\n", f);
    fclose(f);
    check_file(path, &form);
    ck_assert_int_eq(form.steps, 2);
    ck_assert_int_eq(form.npredictions, 0);
    ck_assert_ptr_nonnull(strstr(form.problem, "1 predictions written, 0 bound"));
    unlink(path);
    rmdir(tmpl);
}
END_TEST

static Suite *lessons_suite(void)
{
    Suite *s = suite_create("lessons");
    TCase *tc = tcase_create("form");
    tcase_add_test(tc, test_checker_catches);
    tcase_add_test(tc, test_lesson_form);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lessons_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
