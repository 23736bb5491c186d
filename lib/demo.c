/* demo: the command line, control channel, pacing, steps and shutdown that
 * every demo shares. See demo.h.
 */
#include "demo.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "articles.h"
#include "events.h"
#include "timing.h"

/* ---- the command line -------------------------------------------------- */

static const struct {
    const char *name, *arg, *help;
} common_options[] = {
    {"help", NULL, "show this help and exit"},
    {"describe", NULL, "print name, title, summary, articles and table row as JSON"},
    {"json", NULL, "write events as JSON lines to stdout instead of narration"},
    {"count", "N", "messages to send (default 10)"},
    {"rate", "HZ", "messages per second, 0 = as fast as possible (default 0)"},
    {"size", "BYTES", "payload size of each message (default 64)"},
    {"step", NULL, "stop at each lesson step until Enter (or the dashboard's step)"},
    {"role", "NAME", "internal: run as one of the demo's own processes (lib/role)"},
    {"lang", "en|zh", "narration in English or Chinese (default: IPCSCOPE_LANG, else en)"},
};
#define NCOMMON (sizeof common_options / sizeof common_options[0])

static int parse_number(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi)
        return -EINVAL;
    *out = v;
    return 0;
}

/* s into out, with a space between a CJK character and a Latin letter or
 * digit that follows it: the spacing the Chinese narration keeps. */
static void space_cjk_latin(char *out, size_t n, const char *s)
{
    size_t o = 0;
    int after_cjk = 0;
    for (; *s && o + 1 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (after_cjk && c < 0x80 && (isalnum(c) || c == '(' || c == '`') && o + 2 < n)
            out[o++] = ' ';
        if (c >= 0x80)
            after_cjk = c >= 0xe3 && c <= 0xe9 ? 1 : after_cjk && (c & 0xc0) == 0x80;
        else
            after_cjk = 0;
        out[o++] = *s;
    }
    out[o] = '\0';
}

char *scope_demo_count_of(char *out, size_t n, long count, const char *one, const char *many)
{
    /* In Chinese the words come from the catalog (xgettext takes them from
     * every call, as a singular and a plural) and the count takes a measure
     * word ("%ld 个%s"); a word in Latin letters ("ping") is then set apart
     * from it by a space. */
    char s[128];
    if (count >= SCOPE_DEMO_ENDLESS)
        snprintf(s, sizeof s, scope_events_tr("an endless run of %s"),
                 scope_events_trn(one, many, 2));
    else
        snprintf(s, sizeof s, scope_events_tr("%ld %s"), count,
                 scope_events_trn(one, many, (unsigned long)count));
    space_cjk_latin(out, n, s);
    return out;
}

int scope_demo_is_one_of(const char *word, size_t len, const char *words)
{
    for (const char *w = words; *w; w += strcspn(w, " "), w += *w == ' ')
        if (len && len == strcspn(w, " ") && !strncmp(w, word, len))
            return 1;
    return 0;
}

int scope_demo_list_next(const char **at, char *item, size_t n)
{
    if (!*at || !**at)
        return 0;
    size_t len = strcspn(*at, ",");
    snprintf(item, n, "%.*s", (int)len, *at);
    *at += len + ((*at)[len] == ',');
    return 1;
}

/* A SCOPE_OPT_LIST value: every item as the option wants it. */
static int list_ok(const scope_demo_option_t *o, const char *value)
{
    int items = 0, max = o->max ? o->max : 16;
    char item[64];
    if (!*value)
        return 1;
    if (value[strlen(value) - 1] == ',')
        return 0; /* an empty last item */
    for (const char *at = value; scope_demo_list_next(&at, item, sizeof item);) {
        char *end;
        errno = 0;
        long long v = o->words ? 0 : strtoll(item, &end, 10);
        if (++items > max || strlen(item) >= sizeof item - 1)
            return 0;
        if (o->words ? !scope_demo_is_one_of(item, strlen(item), o->words)
                     : errno || end == item || *end || v < o->lo || v > o->hi)
            return 0;
    }
    return 1;
}

static int read_typed_option(scope_demo_t *d, const scope_demo_option_t *o, const char *value)
{
    char *end;
    switch (o->kind) {
    case SCOPE_OPT_FLAG:
        *(int *)o->to = 1;
        return 0;
    case SCOPE_OPT_NUMBER: {
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (errno || end == value || *end || v < o->lo || v > o->hi) {
            snprintf(d->error, sizeof d->error, "--%s wants a whole number from %lld to %lld, "
                     "not '%s'", o->name, o->lo, o->hi, value);
            return -EINVAL;
        }
        *(long long *)o->to = v;
        return 0;
    }
    case SCOPE_OPT_TEXT:
        if (!*value) {
            snprintf(d->error, sizeof d->error, "--%s wants %s, not nothing", o->name,
                     o->arg ? o->arg : "a value");
            return -EINVAL;
        }
        *(const char **)o->to = value;
        return 0;
    case SCOPE_OPT_WORD:
        if (!scope_demo_is_one_of(value, strlen(value), o->words)) {
            snprintf(d->error, sizeof d->error, "--%s wants one of %s, not '%s'", o->name,
                     o->words, value);
            return -EINVAL;
        }
        *(const char **)o->to = value;
        return 0;
    case SCOPE_OPT_LIST:
        if (!list_ok(o, value)) {
            if (o->words)
                snprintf(d->error, sizeof d->error, "--%s wants a comma list of %s, not '%s'",
                         o->name, o->words, value);
            else
                snprintf(d->error, sizeof d->error, "--%s wants up to %d numbers from %lld to "
                         "%lld separated by commas, not '%s'", o->name, o->max ? o->max : 16,
                         o->lo, o->hi, value);
            return -EINVAL;
        }
        *(const char **)o->to = value;
        return 0;
    case SCOPE_OPT_ONOFF:
        if (strcmp(value, "on") && strcmp(value, "off")) {
            snprintf(d->error, sizeof d->error, "--%s wants on or off, not '%s'", o->name, value);
            return -EINVAL;
        }
        *(int *)o->to = !strcmp(value, "on");
        return 0;
    default:
        return 0;
    }
}

int scope_demo_parse(scope_demo_t *d, const scope_demo_info_t *info,
                     const scope_demo_option_t *options, int argc, char **argv)
{
    d->info = info;
    d->options = options;
    d->count = 10;
    d->rate = 0;
    d->size = 64;
    d->error[0] = '\0';

    size_t nown = 0;
    while (options && options[nown].name)
        nown++;
    struct option *longopts = calloc(NCOMMON + nown + 1, sizeof *longopts);
    if (!longopts)
        return -ENOMEM;
    for (size_t i = 0; i < NCOMMON; i++)
        longopts[i] = (struct option){common_options[i].name,
                                      common_options[i].arg ? required_argument : no_argument,
                                      NULL, (int)i};
    for (size_t i = 0; i < nown; i++)
        longopts[NCOMMON + i] = (struct option){
            options[i].name, options[i].arg ? required_argument : no_argument, NULL,
            (int)(NCOMMON + i)};

    int result = SCOPE_DEMO_RUN;
    optind = 1;
    opterr = 0;
    int c;
    while (result == SCOPE_DEMO_RUN && (c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        double v;
        if (c == 'h' || c == 0) {
            result = SCOPE_DEMO_HELP;
        } else if (c == 1) {
            result = SCOPE_DEMO_DESCRIBE;
        } else if (c == 2) {
            d->json = 1;
        } else if (c == 3) {
            if (parse_number(optarg, 0, (double)SCOPE_DEMO_ENDLESS, &v) < 0) {
                snprintf(d->error, sizeof d->error, "--count wants a whole number, not '%s'",
                         optarg);
                result = -EINVAL;
            }
            d->count = (long)v;
        } else if (c == 4) {
            if (parse_number(optarg, 0, 1e6, &v) < 0) {
                snprintf(d->error, sizeof d->error,
                         "--rate wants messages per second from 0 to 1000000, not '%s'", optarg);
                result = -EINVAL;
            }
            d->rate = v;
        } else if (c == 5) {
            if (parse_number(optarg, 1, SCOPE_DEMO_MAX_SIZE, &v) < 0) {
                snprintf(d->error, sizeof d->error, "--size wants bytes from 1 to %u, not '%s'",
                         SCOPE_DEMO_MAX_SIZE, optarg);
                result = -EINVAL;
            }
            d->size = (size_t)v;
        } else if (c == 6) {
            d->step_mode = 1;
        } else if (c == 7) {
            d->role = optarg;
        } else if (c == 8) {
            if (strcmp(optarg, "en") != 0 && strcmp(optarg, "zh") != 0) {
                snprintf(d->error, sizeof d->error, "--lang wants en or zh, not '%s'", optarg);
                result = -EINVAL;
            }
            /* In the environment, so that every process of the demo (lib/role
             * starts this program again) narrates in it: lib/events reads it. */
            setenv("IPCSCOPE_LANG", optarg, 1);
        } else if (c >= (int)NCOMMON && c < (int)(NCOMMON + nown)) {
            const scope_demo_option_t *o = &options[c - NCOMMON];
            int r = o->kind != SCOPE_OPT_CALL ? read_typed_option(d, o, optarg)
                    : d->on_option                ? d->on_option(d, o->name, optarg)
                                                  : 0;
            if (r < 0) {
                if (!d->error[0])
                    snprintf(d->error, sizeof d->error, "bad value for --%s",
                             options[c - NCOMMON].name);
                result = -EINVAL;
            }
        } else {
            if (optopt)
                snprintf(d->error, sizeof d->error, "unknown option '-%c'", optopt);
            else
                snprintf(d->error, sizeof d->error, "unknown option or missing value: '%s'",
                         argv[optind - 1]);
            result = -EINVAL;
        }
    }
    free(longopts);
    d->args = argv + optind;
    d->nargs = argc - optind;
    const char *control = getenv("IPCSCOPE_CONTROL_FD");
    if (result == SCOPE_DEMO_RUN && d->step_mode && !d->role && !(control && *control) &&
        !isatty(STDIN_FILENO)) {
        /* nothing would ever say "step": the run would stop at step 1 */
        snprintf(d->error, sizeof d->error, "--step waits for Enter on a terminal, and stdin is "
                 "not one (in the dashboard, s steps)");
        result = -EINVAL;
    }
    return result;
}

/* "a b c" as the JSON array ["a","b","c"]. */
static cJSON *words(const char *list)
{
    cJSON *a = cJSON_CreateArray();
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list ? list : "");
    for (char *save, *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
        cJSON_AddItemToArray(a, cJSON_CreateString(tok));
    return a;
}

cJSON *scope_demo_describe(const scope_demo_info_t *info, const scope_demo_option_t *options)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", info->name);
    cJSON_AddStringToObject(o, "title", info->title);
    cJSON_AddStringToObject(o, "summary", info->summary);
    cJSON *arts = cJSON_AddArrayToObject(o, "articles");
    cJSON *ids = words(info->articles), *id;
    cJSON_ArrayForEach(id, ids)
    {
        const char *name = scope_article_name(id->valuestring, 0);
        if (name)
            cJSON_AddItemToArray(arts, cJSON_CreateString(name));
    }
    cJSON_Delete(ids);
    cJSON_AddStringToObject(o, "table_row", info->table_row ? info->table_row : "");
    cJSON_AddItemToObject(o, "faults", words(info->faults));
    cJSON *opts = cJSON_AddArrayToObject(o, "options");
    for (size_t i = 0; options && options[i].name; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", options[i].name);
        if (options[i].arg)
            cJSON_AddStringToObject(e, "arg", options[i].arg);
        cJSON_AddStringToObject(e, "help", options[i].help);
        cJSON_AddItemToArray(opts, e);
    }
    return o;
}

static void print_option(FILE *out, const char *name, const char *arg, const char *help)
{
    char left[48];
    snprintf(left, sizeof left, "--%s%s%s", name, arg ? " " : "", arg ? arg : "");
    fprintf(out, "  %-22s %s\n", left, help);
}

int scope_demo_parse_report(scope_demo_t *d, int parse_result, FILE *out, FILE *err)
{
    const scope_demo_info_t *info = d->info;
    if (parse_result == SCOPE_DEMO_DESCRIBE) {
        cJSON *o = scope_demo_describe(info, d->options);
        char *s = cJSON_Print(o);
        fprintf(out, "%s\n", s);
        cJSON_free(s);
        cJSON_Delete(o);
        return 0;
    }
    if (parse_result == SCOPE_DEMO_HELP) {
        fprintf(out, "%s: %s\n\n%s\n\nUsage: %s [options]\n\nOptions of this demo:\n",
                info->name, info->title, info->summary, info->name);
        for (size_t i = 0; d->options && d->options[i].name; i++)
            print_option(out, d->options[i].name, d->options[i].arg, d->options[i].help);
        fprintf(out, "\nOptions of every demo:\n");
        for (size_t i = 0; i < NCOMMON; i++)
            print_option(out, common_options[i].name, common_options[i].arg,
                         common_options[i].help);
        fprintf(out,
                "\nAlone in a terminal it narrates in plain text; with --json it writes the\n"
                "event protocol (docs/PROTOCOL.md) to stdout; under the ipcscope dashboard\n"
                "it writes events to IPCSCOPE_EVENT_FD and obeys IPCSCOPE_CONTROL_FD.\n"
                "\nThe articles it follows (docs/ARTICLES.md):\n");
        char names[512];
        scope_articles_names(info->articles, 0, names, sizeof names);
        for (char *save, *a = strtok_r(names, ";", &save); a; a = strtok_r(NULL, ";", &save))
            fprintf(out, "  - %s\n", a + (*a == ' '));
        return 0;
    }
    fprintf(err, "%s: %s\nTry '%s --help'.\n", info->name, d->error, info->name);
    return 2;
}

/* ---- cleanup and signals ------------------------------------------------ */

int scope_demo_on_cleanup(scope_demo_t *d, scope_demo_cleanup_fn fn, void *arg)
{
    if (d->ncleanups == SCOPE_DEMO_MAX_CLEANUPS)
        return -ENOSPC;
    d->cleanups[d->ncleanups] = fn;
    d->cleanup_args[d->ncleanups] = arg;
    d->ncleanups++;
    return 0;
}

void scope_demo_cleanup(scope_demo_t *d)
{
    while (d->ncleanups > 0) {
        d->ncleanups--;
        d->cleanups[d->ncleanups](d->cleanup_args[d->ncleanups]);
    }
}

static void quit(scope_demo_t *d, const char *why)
{
    if (d->quitting)
        return;
    d->quitting = 1;
    d->paused = 0;
    scope_events_log("%s: winding down", scope_events_tr(why));
    if (d->relay) { /* however the end came, the roles wind down with us */
        cJSON *q = cJSON_CreateObject();
        cJSON_AddStringToObject(q, "cmd", "quit");
        d->relay(d, q);
        cJSON_Delete(q);
    }
    if (d->on_quit)
        d->on_quit(d);
    else
        scope_demo_stop(d);
}

static void on_signal(uv_signal_t *h, int signum)
{
    scope_demo_t *d = h->data;
    if (++d->signals > 1) {
        /* Asked twice: the demo did not wind down in time. Remove what it
         * made, then die of the signal as the sender meant. */
        scope_demo_cleanup(d);
        signal(signum, SIG_DFL);
        raise(signum);
        return;
    }
    quit(d, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

/* ---- the control channel ------------------------------------------------ */

static void resume_pacers(scope_demo_t *d);
static void release_one_message(scope_demo_t *d);
static void step_release(scope_demo_t *d);

void scope_demo_apply_control(scope_demo_t *d, const cJSON *msg)
{
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(msg, "cmd");
    if (!cJSON_IsString(cmd)) {
        scope_events_error("control", "a control command needs a \"cmd\" string");
        return;
    }
    const char *c = cmd->valuestring;
    const cJSON *v;
    if (strcmp(c, "pause") == 0) {
        d->paused = 1;
    } else if (strcmp(c, "resume") == 0) {
        d->paused = 0;
        d->step_mode = 0; /* flowing again: lesson steps stop waiting too */
        if (d->step.waiting)
            d->step_credits++;
        step_release(d);
        resume_pacers(d);
    } else if (strcmp(c, "step") == 0) {
        /* One credit for "the next thing": whichever comes first, a lesson
         * step waiting for it or, while paused, a message waiting to go. */
        d->step_mode = 1;
        d->step_credits++;
        step_release(d);
        if (d->step_credits > 0 && d->paused)
            release_one_message(d);
    } else if (strcmp(c, "rate") == 0) {
        v = cJSON_GetObjectItemCaseSensitive(msg, "hz");
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e6) {
            scope_events_error("control", "rate wants \"hz\" from 0 to 1000000");
            return;
        }
        d->rate = v->valuedouble;
        scope_events_new_window();
    } else if (strcmp(c, "size") == 0) {
        v = cJSON_GetObjectItemCaseSensitive(msg, "bytes");
        if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > SCOPE_DEMO_MAX_SIZE) {
            scope_events_error("control", "size wants \"bytes\" from 1 to %u",
                               SCOPE_DEMO_MAX_SIZE);
            return;
        }
        d->size = (size_t)v->valuedouble;
        scope_events_new_window();
    } else if (strcmp(c, "fault") == 0) {
        v = cJSON_GetObjectItemCaseSensitive(msg, "kind");
        const char *kind = cJSON_IsString(v) ? v->valuestring : "";
        const char *kinds = d->info ? d->info->faults : NULL;
        if (kinds && !scope_demo_is_one_of(kind, strlen(kind), kinds)) {
            /* the demo is told only the faults it has */
            scope_events_error("control", "fault wants one of %s", kinds);
            return;
        }
        snprintf(d->fault, sizeof d->fault, "%s", kind);
    } else if (strcmp(c, "back") == 0) {
        /* Only a program that plays a recording can go back (its on_back). */
        if (!d->on_back) {
            scope_events_error("control", "back: a live demo cannot undo what it did; restart it");
            return;
        }
        d->on_back(d);
        return;
    } else if (strcmp(c, "quit") == 0) {
        quit(d, d->role ? N_("quit, relayed") : N_("quit from the dashboard"));
        return;
    } else {
        scope_events_error("control", "unknown control command '%s'", c);
        return;
    }
    if (!d->role) /* a relayed command was told once, by the first process */
        scope_events_log("control: %s%s%s", c,
                         d->fault[0] && strcmp(c, "fault") == 0 ? " " : "",
                         strcmp(c, "fault") == 0 ? d->fault : "");
    if (d->relay)
        d->relay(d, msg);
    if (d->on_control)
        d->on_control(d, c, msg);
}

static void on_control_json(void *arg, cJSON *value, const char *line, size_t len)
{
    (void)line;
    (void)len;
    scope_demo_apply_control(arg, value);
}

static void on_control_bad(void *arg, const scope_frame_error_t *err)
{
    (void)arg;
    scope_events_error("control", "refused a control line: %s", err->reason);
}

static void on_ctl_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    scope_demo_t *d = h->data;
    (void)suggested;
    *buf = uv_buf_init(d->ctlbuf, sizeof d->ctlbuf);
}

static void on_control_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    scope_demo_t *d = s->data;
    if (nread > 0) {
        scope_ndjson_feed(&d->control_decoder, buf->base, (size_t)nread);
    } else if (nread < 0) {
        /* The dashboard (or, for a role, the process that started it) closed
         * the control channel: it is gone, so end. */
        uv_close((uv_handle_t *)s, NULL);
        d->control_open = 0;
        quit(d, d->role ? N_("the process that started me is gone") : N_("control channel closed"));
    }
}

/* In a terminal with --step, each line on stdin is a "step". */
static void on_stdin_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    scope_demo_t *d = s->data;
    for (ssize_t i = 0; i < nread; i++)
        if (buf->base[i] == '\n') {
            d->step_credits++;
            step_release(d);
        }
    if (nread < 0) {
        uv_close((uv_handle_t *)s, NULL);
        d->stdin_open = 0;
    }
}

static int open_control(scope_demo_t *d)
{
    const char *env = getenv("IPCSCOPE_CONTROL_FD");
    if (!env || !*env)
        return 0;
    char *end;
    long fd = strtol(env, &end, 10);
    if (*end || fd < 0 || fd > 65535 || fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0)
        return -EBADF;
    unsetenv("IPCSCOPE_CONTROL_FD"); /* the first process's alone */
    int r = uv_pipe_init(d->loop, &d->control, 0);
    if (r < 0)
        return r;
    d->control.data = d;
    if ((r = uv_pipe_open(&d->control, (int)fd)) < 0) {
        uv_close((uv_handle_t *)&d->control, NULL);
        return r;
    }
    scope_ndjson_init(&d->control_decoder, 64 * 1024, on_control_json, on_control_bad, d);
    d->control_open = 1;
    /* The control pipe must not keep a finished demo alive. */
    uv_unref((uv_handle_t *)&d->control);
    return uv_read_start((uv_stream_t *)&d->control, on_ctl_alloc, on_control_read);
}

static int open_stdin_steps(scope_demo_t *d)
{
    if (!d->step_mode || d->control_open || !isatty(STDIN_FILENO))
        return 0;
    int r = uv_pipe_init(d->loop, &d->stdin_pipe, 0);
    if (r < 0)
        return r;
    d->stdin_pipe.data = d;
    /* a tty as a pipe handle: reads work, and the terminal's mode is untouched */
    if ((r = uv_pipe_open(&d->stdin_pipe, STDIN_FILENO)) < 0) {
        uv_close((uv_handle_t *)&d->stdin_pipe, NULL);
        return r;
    }
    d->stdin_open = 1;
    uv_unref((uv_handle_t *)&d->stdin_pipe);
    return uv_read_start((uv_stream_t *)&d->stdin_pipe, on_ctl_alloc, on_stdin_read);
}

/* ---- start, run, stop ---------------------------------------------------- */

int scope_demo_start(scope_demo_t *d, uv_loop_t *loop, const char *role, int first_process)
{
    d->loop = loop;
    signal(SIGPIPE, SIG_IGN); /* a vanished peer is an EPIPE to report, not a death */
    const char *event_fd = getenv("IPCSCOPE_EVENT_FD");
    int r = d->narrate_stderr && !d->json && !(event_fd && *event_fd)
                ? scope_events_open_fd(STDERR_FILENO, SCOPE_EVENTS_TEXT, role)
                : scope_events_open(role, d->json);
    if (r < 0)
        return r;
    uv_signal_init(loop, &d->sigint);
    uv_signal_init(loop, &d->sigterm);
    d->sigint.data = d->sigterm.data = d;
    uv_signal_start(&d->sigint, on_signal, SIGINT);
    uv_signal_start(&d->sigterm, on_signal, SIGTERM);
    uv_unref((uv_handle_t *)&d->sigint);
    uv_unref((uv_handle_t *)&d->sigterm);
    uv_timer_init(loop, &d->step.timer);
    d->step.timer.data = d;
    uv_unref((uv_handle_t *)&d->step.timer);

    /* A role's control channel is its relay from the process that started it. */
    if (first_process || d->role) {
        if ((r = open_control(d)) < 0)
            return r;
    }
    if (d->role && d->control_open) {
        /* Figures go back on a copy, which outlives the control handle. */
        int fd = -1;
        uv_fileno((uv_handle_t *)&d->control, &fd);
        d->report_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        d->report_open = d->report_fd >= 0;
    }
    if (first_process) {
        if ((r = open_stdin_steps(d)) < 0)
            return r;
        cJSON *params = d->params ? d->params : cJSON_CreateObject();
        d->params = NULL;
        cJSON_AddNumberToObject(params, "count", (double)d->count);
        cJSON_AddNumberToObject(params, "rate", d->rate);
        cJSON_AddNumberToObject(params, "size", (double)d->size);
        cJSON_AddBoolToObject(params, "step", d->step_mode);
        scope_events_hello(d->info->name, d->info->title, params,
                           d->info->faults ? words(d->info->faults) : NULL);
    }
    scope_events_proc("start", getpid(), getppid(), role, 0, 0);
    return 0;
}

void scope_demo_stop(scope_demo_t *d)
{
    if (!uv_is_closing((uv_handle_t *)&d->sigint)) {
        uv_close((uv_handle_t *)&d->sigint, NULL);
        uv_close((uv_handle_t *)&d->sigterm, NULL);
        uv_close((uv_handle_t *)&d->step.timer, NULL);
    }
    if (d->control_open) {
        uv_close((uv_handle_t *)&d->control, NULL);
        d->control_open = 0;
    }
    if (d->stdin_open) {
        uv_close((uv_handle_t *)&d->stdin_pipe, NULL);
        d->stdin_open = 0;
    }
    while (d->npacers > 0)
        scope_pacer_close(d->pacers[0]);
}

int scope_demo_run(scope_demo_t *d)
{
    uv_run(d->loop, UV_RUN_DEFAULT);
    scope_demo_stop(d);
    uv_run(d->loop, UV_RUN_NOWAIT); /* let the closes finish */
    scope_ndjson_free(&d->control_decoder); /* safe when it was never opened */
    scope_demo_cleanup(d);
    cJSON_Delete(d->params);
    d->params = NULL;
    return d->exit_code;
}

/* The object that holds figure name, and the member's own name in *leaf:
 * "stream.bytes" is "bytes" in the figure "stream" (made when create). */
static cJSON *figure_parent(scope_demo_t *d, const char *name, const char **leaf, int create)
{
    if (!d->figures && (!create || !(d->figures = cJSON_CreateObject())))
        return NULL;
    const char *dot = strchr(name, '.');
    *leaf = dot ? dot + 1 : name;
    if (!dot)
        return d->figures;
    char group[64];
    snprintf(group, sizeof group, "%.*s", (int)(dot - name), name);
    cJSON *g = cJSON_GetObjectItemCaseSensitive(d->figures, group);
    if (!cJSON_IsObject(g) && create) {
        cJSON_DeleteItemFromObjectCaseSensitive(d->figures, group);
        g = cJSON_AddObjectToObject(d->figures, group);
    }
    return cJSON_IsObject(g) ? g : NULL;
}

void scope_demo_figure(scope_demo_t *d, const char *name, cJSON *value)
{
    const char *leaf;
    cJSON *parent = value ? figure_parent(d, name, &leaf, 1) : NULL;
    if (!parent) {
        cJSON_Delete(value);
        return;
    }
    if (cJSON_HasObjectItem(parent, leaf))
        cJSON_ReplaceItemInObjectCaseSensitive(parent, leaf, value);
    else
        cJSON_AddItemToObject(parent, leaf, value);
}

void scope_demo_figure_add(scope_demo_t *d, const char *name, double n)
{
    const char *leaf;
    const cJSON *parent = figure_parent(d, name, &leaf, 0);
    const cJSON *old = parent ? cJSON_GetObjectItemCaseSensitive(parent, leaf) : NULL;
    scope_demo_figure(d, name, cJSON_CreateNumber((cJSON_IsNumber(old) ? old->valuedouble : 0) + n));
}

int scope_demo_check(scope_demo_t *d, int ok, const char *what, const char *fmt, ...)
{
    if (ok)
        return ok;
    char reason[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, scope_events_tr(fmt), ap);
    va_end(ap);
    scope_events_error(what, "%s", reason);
    scope_demo_figure_add(d, "failed", 1);
    scope_demo_exit(d, 1);
    return ok;
}

int scope_demo_bye(scope_demo_t *d, cJSON *extra, const char *text)
{
    if (d->bye_said) {
        cJSON_Delete(extra);
        return 0;
    }
    d->bye_said = 1;
    cJSON *summary = d->figures ? d->figures : cJSON_CreateObject();
    d->figures = NULL;
    while (extra && extra->child) {
        cJSON *f = cJSON_DetachItemViaPointer(extra, extra->child);
        if (cJSON_HasObjectItem(summary, f->string))
            cJSON_DeleteItemFromObjectCaseSensitive(summary, f->string);
        cJSON_AddItemToObject(summary, f->string, f);
    }
    cJSON_Delete(extra);
    return scope_events_bye(summary, text);
}

void scope_demo_exit(scope_demo_t *d, int code)
{
    if (code > d->exit_code)
        d->exit_code = code;
}

/* A report is one line on the relay, written at once: it is small (a
 * histogram's used buckets), the socket's buffer holds hundreds of kB, and a
 * role reports as it ends, when nothing else is left to do. A parent that
 * reads nothing for a second loses it. */
int scope_demo_report(scope_demo_t *d, cJSON *figures)
{
    if (!d->report_open) {
        cJSON_Delete(figures);
        return -ENOTCONN;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "report", figures);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        return -ENOMEM;
    size_t len = strlen(text);
    text[len++] = '\n'; /* replaces the NUL: the buffer is not a string from here */
    int fd = d->report_fd, r = 0;
    for (size_t off = 0; off < len && r == 0;) {
        ssize_t n = send(fd, text + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            off += (size_t)n;
        } else if (n < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            if (poll(&p, 1, 1000) <= 0)
                r = -ETIMEDOUT;
        } else if (n < 0 && errno != EINTR) {
            r = -errno;
        }
    }
    free(text);
    return r;
}

/* ---- steps -------------------------------------------------------------- */

static void on_step_timer(uv_timer_t *t)
{
    scope_demo_t *d = t->data;
    scope_demo_cb cb = d->step.cb;
    d->step.cb = NULL;
    /* Each step measures something of its own: its figures start here. */
    scope_events_new_step_window((unsigned)d->step.n);
    if (cb)
        cb(d);
}

/* While a step waits for a person, what it waits on (the control pipe, or
 * stdin in a terminal) must keep the loop alive; otherwise neither should. */
static void hold_loop(scope_demo_t *d, int hold)
{
    uv_handle_t *h[2] = {d->control_open ? (uv_handle_t *)&d->control : NULL,
                         d->stdin_open ? (uv_handle_t *)&d->stdin_pipe : NULL};
    for (int i = 0; i < 2; i++)
        if (h[i] && !uv_is_closing(h[i]))
            hold ? uv_ref(h[i]) : uv_unref(h[i]);
}

static void step_release(scope_demo_t *d)
{
    if (!d->step.waiting || d->step_credits <= 0)
        return;
    d->step_credits--;
    d->step.waiting = 0; /* one credit per step, however many arrive at once */
    hold_loop(d, 0);
    uv_ref((uv_handle_t *)&d->step.timer);
    uv_timer_start(&d->step.timer, on_step_timer, 0, 0);
}

void scope_demo_step(scope_demo_t *d, const char *title, scope_demo_cb cb)
{
    d->step.n++;
    d->step.cb = cb;
    d->step.waiting = 1;
    int wait = d->step_mode && !d->quitting;
    scope_events_step(d->step.n, title, wait);
    if (!wait) {
        d->step_credits++;
    } else {
        /* Waiting for a person keeps the loop alive, as a pending step should. */
        uv_timer_stop(&d->step.timer);
        hold_loop(d, 1);
        if (d->step_credits <= 0)
            return;
    }
    step_release(d);
}

void scope_demo_lesson(scope_demo_t *d, const scope_demo_lesson_t *steps)
{
    d->lesson = steps;
    d->lesson_at = -1;
    scope_demo_next(d);
}

void scope_demo_next(scope_demo_t *d)
{
    if (!d->lesson)
        return;
    const scope_demo_lesson_t *s = &d->lesson[++d->lesson_at];
    if (s->run && !d->quitting) {
        scope_demo_step(d, s->title, s->run);
        return;
    }
    d->lesson = NULL; /* over, or cut short by quit */
    if (d->on_lesson_end)
        d->on_lesson_end(d);
}

/* ---- pacing ------------------------------------------------------------- */

int scope_pacer_init(scope_demo_t *d, scope_pacer_t *p)
{
    if (d->npacers == SCOPE_DEMO_MAX_PACERS)
        return -ENOSPC;
    memset(p, 0, sizeof *p);
    p->demo = d;
    int r = uv_timer_init(d->loop, &p->timer);
    if (r < 0)
        return r;
    p->timer.data = p;
    d->pacers[d->npacers++] = p;
    return 0;
}

static void on_pacer_timer(uv_timer_t *t)
{
    scope_pacer_t *p = t->data;
    if (p->demo->paused && !p->once) {
        if (p->demo->step_credits > 0 && !p->demo->step.waiting) {
            /* A "step" came while this message was on its way: it is the one
             * the step lets go. */
            p->demo->step_credits--;
        } else {
            p->parked = 1; /* resume_pacers() or a "step" restarts it */
            return;
        }
    }
    p->once = 0;
    p->armed = 0;
    p->last_ns = scope_time_now_ns();
    scope_pacer_cb cb = p->cb;
    p->cb = NULL;
    cb(p);
}

void scope_pacer_next(scope_pacer_t *p, scope_pacer_cb cb)
{
    scope_demo_t *d = p->demo;
    p->cb = cb;
    p->armed = 1;
    if (d->paused) {
        p->parked = 1;
        if (d->step_credits > 0) /* a "step" came before this message was ready */
            release_one_message(d);
        return;
    }
    uint64_t delay_ms = 0;
    if (d->rate > 0) {
        uint64_t interval = (uint64_t)(1e9 / d->rate);
        uint64_t since = scope_time_now_ns() - p->last_ns;
        if (since < interval)
            delay_ms = (interval - since + 999999) / 1000000;
    }
    uv_timer_start(&p->timer, on_pacer_timer, delay_ms, 0);
}

static void resume_pacers(scope_demo_t *d)
{
    for (int i = 0; i < d->npacers; i++) {
        scope_pacer_t *p = d->pacers[i];
        if (p->parked && p->armed) {
            p->parked = 0;
            uv_timer_start(&p->timer, on_pacer_timer, 0, 0);
        }
    }
}

/* While paused, a "step" credit lets exactly one parked message go. */
static void release_one_message(scope_demo_t *d)
{
    for (int i = 0; i < d->npacers; i++) {
        scope_pacer_t *p = d->pacers[i];
        if (p->parked && p->armed && !uv_is_closing((uv_handle_t *)&p->timer)) {
            d->step_credits--;
            p->parked = 0;
            p->once = 1;
            uv_timer_start(&p->timer, on_pacer_timer, 0, 0);
            return;
        }
    }
}

void scope_pacer_close(scope_pacer_t *p)
{
    if (!uv_is_closing((uv_handle_t *)&p->timer))
        uv_close((uv_handle_t *)&p->timer, NULL);
    p->armed = 0;
    /* Unregistered, so that a demo may make pacers per run, not once. */
    scope_demo_t *d = p->demo;
    for (int i = 0; d && i < d->npacers; i++)
        if (d->pacers[i] == p) {
            memmove(&d->pacers[i], &d->pacers[i + 1], (size_t)(d->npacers - i - 1) * sizeof p);
            d->npacers--;
            break;
        }
}

/* ---- a child's events --------------------------------------------------- */

void scope_demo_child_events(scope_demo_child_events_t *out, int child_fd)
{
    memset(out, 0, sizeof *out);
    int fd = scope_events_fd();
    if (fd < 0) {
        out->env[0] = NULL;
        return;
    }
    if (fd == STDOUT_FILENO) {
        child_fd = STDOUT_FILENO; /* inherited as it is */
    } else {
        out->fd = (scope_spawn_fd_t){.parent_fd = fd, .child_fd = child_fd};
        out->nfds = 1;
    }
    snprintf(out->env_fd, sizeof out->env_fd, "IPCSCOPE_EVENT_FD=%d", child_fd);
    snprintf(out->env_format, sizeof out->env_format, "IPCSCOPE_EVENT_FORMAT=%s",
             scope_events_format() == SCOPE_EVENTS_TEXT ? "text" : "json");
    out->env[0] = out->env_fd;
    out->env[1] = out->env_format;
    out->env[2] = NULL;
}
