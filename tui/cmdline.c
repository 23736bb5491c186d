/* cmdline: the ipcscope command's arguments and the commands that need no
 * terminal (list, run, --help, --version). See cmdline.h.
 */
#include "cmdline.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "demo.h"
#include "catalogue.h"
#include "i18n.h"
#include "export.h"
#include "replay.h"
#include "spawn.h"
#include "keys.h"
#include "compare.h"

/* What every demo is started with: a readable pace and no end, so there is
 * time to watch, pause and kill. + and - change the rate, [ and ] the size. */
#define LAUNCH_RATE  5.0
#define LAUNCH_COUNT "1000000000" /* no end: lib/demo's SCOPE_DEMO_ENDLESS */
_Static_assert(SCOPE_DEMO_ENDLESS == 1000000000L, "LAUNCH_COUNT spells SCOPE_DEMO_ENDLESS");
#define LAUNCH_SIZE  64

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: ipcscope [--lang en|zh]            open the dashboard\n"
            "       ipcscope open DEMO [--step] [--rate HZ] [--size BYTES] [--count N]\n"
            "                     [--record FILE]      open it on one demo (defaults: 5 Hz,\n"
            "                                          64 B, no end); --step: lesson mode,\n"
            "                                          it waits before each step and s goes\n"
            "                                          on (10 messages unless --count);\n"
            "                                          --record saves the events it\n"
            "                                          receives, one JSON line each\n"
            "       ipcscope export FILE [--mermaid|--plantuml]\n"
            "                                          a recorded run (--record, or a demo's\n"
            "                                          --json) as a sequence diagram's text\n"
            "       ipcscope replay FILE [--step]      a recorded run played again in the\n"
            "                                          dashboard, nothing run; --step: it\n"
            "                                          stops before each lesson step\n"
            "       ipcscope compare [--json]          every mechanism measured here, C and\n"
            "                                          node, beside the articles' tables and\n"
            "                                          their claims' verdicts; --json: measure\n"
            "                                          (some seconds) and write the document\n"
            "       ipcscope list                      list the demos\n"
            "       ipcscope run DEMO [options]        run one demo here, narrated\n"
            "       ipcscope --help | --version\n"
            "\n");
    /* the keys from the table the dashboard itself reads (tui/keys.c), so
     * that this list and the ? screen cannot disagree */
    const tui_screen_t screens[2] = {TUI_SCREEN_MENU, TUI_SCREEN_DEMO};
    const char *titles[2] = {"Keys in the menu:", "Keys on a demo:"};
    for (int s = 0; s < 2; s++) {
        fprintf(f, "%s\n", titles[s]);
        const char *label;
        tui_str_t text;
        for (int i = 0; tui_keys_help(screens[s], i, 0, &label, &text); i++)
            fprintf(f, "  %-16s %s\n", label, tui_i18n(text));
    }
    fprintf(f, "Keys on the compare screen:\n");
    const char *clabel, *ctext;
    for (int i = 0; tui_compare_help(i, &clabel, &ctext); i++)
        fprintf(f, "  %-16s %s\n", clabel, ctext);
    fprintf(f, "\n"
            "Demos are looked up in $IPCSCOPE_DEMOS, <bindir>/../demos or\n"
            "<bindir>/../libexec/ipcscope; lessons in $IPCSCOPE_LESSONS,\n"
            "<bindir>/../../docs/lessons or <bindir>/../share/ipcscope/lessons.\n");
}

/* ipcscope export FILE [--mermaid|--plantuml]: the diagram on stdout. */
static int export_run(int argc, char **argv)
{
    tui_export_format_t fmt = TUI_EXPORT_MERMAID;
    const char *file = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--mermaid") == 0)
            fmt = TUI_EXPORT_MERMAID;
        else if (strcmp(argv[i], "--plantuml") == 0)
            fmt = TUI_EXPORT_PLANTUML;
        else if (!file && argv[i][0] != '-')
            file = argv[i];
        else {
            fprintf(stderr, "ipcscope export: unknown option '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!file) {
        fprintf(stderr, "ipcscope export: which recording? (export FILE [--mermaid|--plantuml])\n");
        return 2;
    }
    FILE *in = strcmp(file, "-") == 0 ? stdin : fopen(file, "re");
    if (!in) {
        fprintf(stderr, "ipcscope export: %s: %s\n", file, strerror(errno));
        return 1;
    }
    char err[160];
    int r = tui_export(in, stdout, fmt, err, sizeof err);
    if (in != stdin)
        fclose(in);
    if (r < 0)
        fprintf(stderr, "ipcscope export: %s: %s\n", file, err);
    return r < 0 ? 1 : 0;
}

static int list_demos(void)
{
    tui_lang_t lang = tui_i18n_lang();
    for (int i = 0; i < tui_catalogue_count(); i++) {
        const tui_mech_t *m = tui_catalogue_get(i);
        char path[PATH_MAX];
        int built = tui_catalogue_path(m, path, sizeof path) == 0;
        printf("%-14s %-8s %s\n", m->name, tui_i18n(built ? TUI_S_BUILT : TUI_S_PLANNED),
               tui_catalogue_summary(m, lang));
    }
    return 0;
}

static int run_demo(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "ipcscope run: which demo? (ipcscope list)\n");
        return 2;
    }
    const tui_mech_t *m = tui_catalogue_find(argv[0]);
    if (!m) {
        fprintf(stderr, "ipcscope run: no demo named '%s' (ipcscope list)\n", argv[0]);
        return 2;
    }
    char path[PATH_MAX];
    if (tui_catalogue_path(m, path, sizeof path) < 0) {
        fprintf(stderr, "ipcscope run: %s is planned but not built yet\n", m->name);
        return 1;
    }
    argv[0] = path;
    unsetenv("IPCSCOPE_EVENT_FD");
    unsetenv("IPCSCOPE_CONTROL_FD");
    execv(path, argv);
    fprintf(stderr, "ipcscope run: execv %s: %s\n", path, strerror(errno));
    return 127;
}

/* ipcscope open DEMO [options]: fills o; returns -1 to go on to the
 * dashboard, or the exit status. */
static int open_demo(int argc, char **argv, tui_app_options_t *o)
{
    if (argc < 1) {
        fprintf(stderr, "ipcscope open: which demo? (ipcscope list)\n");
        return 2;
    }
    const tui_mech_t *m = tui_catalogue_find(argv[0]);
    char path[PATH_MAX];
    if (!m || tui_catalogue_path(m, path, sizeof path) < 0) {
        fprintf(stderr, "ipcscope open: %s '%s' (ipcscope list)\n",
                m ? "not built yet:" : "no demo named", argv[0]);
        return m ? 1 : 2;
    }
    o->open = m;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        double v = val ? strtod(val, &end) : -1;
        int number = val && end != val && *end == '\0';
        if (strcmp(opt, "--step") == 0) {
            o->lesson = 1;
            continue; /* a flag: no value to skip */
        } else if (strcmp(opt, "--rate") == 0 && number && v >= 0 && v <= 1e6) {
            o->rate = v;
        } else if (strcmp(opt, "--size") == 0 && number && v >= 1 && v <= 64 * 1048576.0) {
            o->size = (long)v;
        } else if (strcmp(opt, "--count") == 0 && number && v >= 0 && v == (long)v) {
            o->count = val;
        } else if (strcmp(opt, "--record") == 0 && val) {
            if (!(o->record = fopen(val, "w"))) {
                fprintf(stderr, "ipcscope open: --record %s: %s\n", val, strerror(errno));
                return 1;
            }
            setvbuf(o->record, NULL, _IOLBF, 0); /* whole lines, readable while it runs */
        } else {
            fprintf(stderr, "ipcscope open: bad option or value: %s %s\n", opt, val ? val : "");
            return 2;
        }
        i++;
    }
    return -1;
}

/* ipcscope replay FILE [--step]: the dashboard on the recorded demo, with
 * this program, as the replayer, launched in the demo's place (replay.h). */
static int replay_run(int argc, char **argv, tui_app_options_t *o)
{
    if (argc < 1 || (argc > 1 && strcmp(argv[1], "--step") != 0) || argc > 2) {
        fprintf(stderr, "ipcscope replay: which recording? (replay FILE [--step])\n");
        return 2;
    }
    char demo[160], self[PATH_MAX], path[PATH_MAX];
    if (tui_replay_demo(argv[0], demo, sizeof demo) < 0) {
        fprintf(stderr, "ipcscope replay: %s\n", demo);
        return 1;
    }
    if (!(o->open = tui_catalogue_find(demo))) {
        fprintf(stderr, "ipcscope replay: %s: a recording of '%s', which this lab does not know\n",
                argv[0], demo);
        return 1;
    }
    if (!realpath(argv[0], path) || scope_spawn_self(self, sizeof self) < 0) {
        fprintf(stderr, "ipcscope replay: %s: %s\n", argv[0], strerror(errno));
        return 1;
    }
    setenv(TUI_REPLAY_ENV, path, 1); /* the replayer, our child, finds it there */
    tui_catalogue_set_program(o->open, self);
    o->lesson = argc > 1;
    return -1;
}

int tui_cmdline_main(int argc, char **argv)
{
    /* Launched by the dashboard in a demo's place: replay a recording. */
    const char *feed = getenv(TUI_REPLAY_ENV);
    if (feed && *feed && getenv("IPCSCOPE_EVENT_FD"))
        return tui_replay_feed(feed, argc, argv);
    setlocale(LC_ALL, "");
    tui_i18n_set(tui_i18n_from_env());
    tui_catalogue_init(argv[0]);

    /* --lang, --help and --version may come anywhere before the command. */
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("ipcscope %s (event protocol v1)\n", TUI_VERSION);
            return 0;
        } else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc &&
                   tui_i18n_parse(argv[i + 1]) >= 0) {
            tui_i18n_set((tui_lang_t)tui_i18n_parse(argv[++i]));
        } else if (strncmp(argv[i], "--lang=", 7) == 0 && tui_i18n_parse(argv[i] + 7) >= 0) {
            tui_i18n_set((tui_lang_t)tui_i18n_parse(argv[i] + 7));
        } else {
            fprintf(stderr, "ipcscope: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    tui_app_options_t o = {.rate = LAUNCH_RATE, .size = LAUNCH_SIZE, .count = LAUNCH_COUNT};
    if (i == argc)
        return tui_app_run(&o);
    if (strcmp(argv[i], "open") == 0) {
        int r = open_demo(argc - i - 1, argv + i + 1, &o);
        return r >= 0 ? r : tui_app_run(&o);
    }
    if (strcmp(argv[i], "compare") == 0) {
        int r = tui_compare_cmd(argc - i - 1, argv + i + 1);
        o.compare = 1;
        return r >= 0 ? r : tui_app_run(&o);
    }
    if (strcmp(argv[i], "list") == 0)
        return list_demos();
    if (strcmp(argv[i], "export") == 0)
        return export_run(argc - i - 1, argv + i + 1);
    if (strcmp(argv[i], "replay") == 0) {
        int r = replay_run(argc - i - 1, argv + i + 1, &o);
        return r >= 0 ? r : tui_app_run(&o);
    }
    if (strcmp(argv[i], "run") == 0)
        return run_demo(argc - i - 1, argv + i + 1);
    fprintf(stderr, "ipcscope: unknown command '%s'\n", argv[i]);
    usage(stderr);
    return 2;
}
