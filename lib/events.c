/* events: one emitter per process that turns what a demo does into either
 * protocol lines for the dashboard or narration for a person. See events.h.
 *
 * Both forms come from the same cJSON object, so the narration can never say
 * something the protocol does not. The whole line is rendered into a stack
 * buffer of SCOPE_EVENT_MAX bytes and handed to one write(): that is what
 * keeps lines from many processes whole in a shared pipe (pipe(7): writes of at
 * most PIPE_BUF bytes are atomic).
 */
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <libintl.h>
#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
    pthread_mutex_t lock;
    scope_events_format_t format;
    int fd;
    char role[32];
    /* msg sampling: a token bucket refilled at msg_rate per second */
    double msg_rate, tokens;
    uint64_t last_refill;
    uint64_t msgs_seen, msgs_emitted; /* since the last stats event */
    uint64_t dropped;                 /* events the reader had no room for */
    int own_fd;                       /* fd is our own description: close it */
} emitter = {PTHREAD_MUTEX_INITIALIZER, SCOPE_EVENTS_NONE, -1, "", SCOPE_EVENTS_MSG_RATE,
             SCOPE_EVENTS_MSG_RATE, 0, 0, 0, 0, 0};

/* When the figures' window began (0: at the start). Read on every traced
 * round trip, so an atomic rather than the emitter's lock. */
static _Atomic uint64_t window_since;
static _Atomic unsigned window_step; /* the lesson step that began it, or 0 */

static void set_role_locked(const char *role)
{
    snprintf(emitter.role, sizeof emitter.role, "%s", role ? role : "");
}

/* Tracing must never stop the mechanism it traces: a reader that does not
 * keep up (a dashboard that hangs, `--json | sleep 40`) must cost events, not
 * the demo's loop. So a pipe or FIFO is written without blocking, and an
 * event it has no room for is dropped and counted. O_NONBLOCK belongs to the
 * open file description, which the other processes of the demo (and, for
 * stdout, the shell) share; opening /proc/self/fd/N again makes a description
 * of our own for the same pipe, which we may make non-blocking alone.
 * Terminals and files are left as they are: a terminal is a person, and a
 * file does not fill up. Returns the fd to write to (fd itself, or a new
 * one that *owned says we must close). */
static int private_nonblocking(int fd, int *owned)
{
    struct stat st;
    *owned = 0;
    if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
        return fd;
    char path[40];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int n = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (n < 0)
        return fd; /* no reader any more, or no /proc: write as we can */
    if (fd <= STDERR_FILENO) {
        *owned = 1; /* stdout stays the shell's; events get their own fd */
        return n;
    }
    /* Keep the number the environment names, so children find it. */
    int cloexec = fcntl(fd, F_GETFD) & FD_CLOEXEC;
    if (dup3(n, fd, cloexec ? O_CLOEXEC : 0) < 0) {
        close(n);
        return fd;
    }
    close(n);
    return fd;
}

int scope_events_open_fd(int fd, scope_events_format_t format, const char *role)
{
    if (fd < 0 || fcntl(fd, F_GETFD) < 0)
        return -EBADF;
    int owned = 0;
    fd = private_nonblocking(fd, &owned);
    pthread_mutex_lock(&emitter.lock);
    if (emitter.own_fd && emitter.fd >= 0 && emitter.fd != fd)
        close(emitter.fd);
    emitter.own_fd = owned;
    emitter.dropped = 0;
    emitter.fd = fd;
    emitter.format = format;
    set_role_locked(role);
    emitter.tokens = emitter.msg_rate;
    emitter.last_refill = scope_time_now_ns();
    emitter.msgs_seen = emitter.msgs_emitted = 0;
    pthread_mutex_unlock(&emitter.lock);
    /* Every process of a demo opens its emitter: each finds its language here. */
    const char *lang = getenv("IPCSCOPE_LANG");
    if (scope_events_set_lang(lang) == -ENOENT)
        scope_events_log("IPCSCOPE_LANG=%s: no catalog %s.mo found (make builds it in "
                         "build/locale, make install in PREFIX/share/locale): narrating in "
                         "English",
                         lang, SCOPE_EVENTS_DOMAIN);
    return 0;
}

int scope_events_open(const char *role, int json_stdout)
{
    const char *rate = getenv("IPCSCOPE_MSG_RATE");
    if (rate && *rate)
        scope_events_set_msg_rate(strtod(rate, NULL));

    const char *env = getenv("IPCSCOPE_EVENT_FD");
    if (env && *env) {
        char *end;
        long fd = strtol(env, &end, 10);
        if (*end != '\0' || fd < 0 || fd > 65535)
            return -EBADF;
        const char *fmt = getenv("IPCSCOPE_EVENT_FORMAT");
        scope_events_format_t f =
            fmt && strcmp(fmt, "text") == 0 ? SCOPE_EVENTS_TEXT : SCOPE_EVENTS_JSON;
        int r = scope_events_open_fd((int)fd, f, role);
        if (r == 0 && fd > 2)
            fcntl((int)fd, F_SETFD, FD_CLOEXEC); /* children get it only on purpose */
        return r;
    }
    return scope_events_open_fd(STDOUT_FILENO, json_stdout ? SCOPE_EVENTS_JSON : SCOPE_EVENTS_TEXT,
                                role);
}

void scope_events_close(void)
{
    pthread_mutex_lock(&emitter.lock);
    emitter.format = SCOPE_EVENTS_NONE;
    if (emitter.own_fd && emitter.fd >= 0)
        close(emitter.fd);
    emitter.own_fd = 0;
    emitter.fd = -1;
    pthread_mutex_unlock(&emitter.lock);
}

uint64_t scope_events_dropped(void)
{
    pthread_mutex_lock(&emitter.lock);
    uint64_t n = emitter.dropped;
    pthread_mutex_unlock(&emitter.lock);
    return n;
}

scope_events_format_t scope_events_format(void)
{
    return emitter.format;
}

int scope_events_fd(void)
{
    return emitter.format == SCOPE_EVENTS_NONE ? -1 : emitter.fd;
}

void scope_events_set_msg_rate(double per_second)
{
    pthread_mutex_lock(&emitter.lock);
    emitter.msg_rate = per_second > 0 ? per_second : 0;
    emitter.tokens = emitter.msg_rate;
    pthread_mutex_unlock(&emitter.lock);
}

/* The length of the printable UTF-8 character at p, or 0 for a control
 * character (C0, DEL, C1) or bytes that are not UTF-8 (overlong forms,
 * surrogates and values past U+10FFFF included). */
size_t scope_events_char_len(const unsigned char *p, size_t len)
{
    unsigned c = p[0];
    if (c < 0x20 || c == 0x7f)
        return 0;
    if (c < 0x80)
        return 1;
    size_t k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    if (k == 0 || c > 0xf4 || k > len)
        return 0;
    uint32_t cp = c & (0x7f >> k);
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
        (cp >= 0x80 && cp <= 0x9f))
        return 0;
    return k;
}

/* Text mode writes to a person's terminal: a byte that would act on it, or
 * is not UTF-8, from a peer's data or a process's name (which any process
 * sets, prctl(PR_SET_NAME)), is shown as '.'. The last byte, the newline,
 * stays. */
static void make_printable(char *buf, size_t len)
{
    for (size_t i = 0; i + 1 < len;) {
        size_t k = scope_events_char_len((const unsigned char *)buf + i, len - 1 - i);
        if (k == 0)
            buf[i++] = '.';
        else
            i += k;
    }
}

size_t scope_events_cut_utf8(char *out, const char *s, size_t max)
{
    static const char ellipsis[] = "\xe2\x80\xa6"; /* U+2026 */
    size_t len = strlen(s);
    if (len <= max) {
        memcpy(out, s, len + 1);
        return len;
    }
    size_t keep = max >= 3 ? max - 3 : 0;
    while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
        keep--; /* never cut inside a UTF-8 sequence */
    memcpy(out, s, keep);
    if (max >= 3) {
        memcpy(out + keep, ellipsis, 3);
        keep += 3;
    }
    out[keep] = '\0';
    return keep;
}

/* ---- the language ------------------------------------------------------ */

/* 1 when the narration is Chinese: read by every thread that narrates, set
 * once at the start. In English nothing is looked up at all, so English is
 * the source text, byte for byte. */
static _Atomic int translating;

/* Where zh_CN/LC_MESSAGES/ipcscope.mo is, found as the lessons are: named by
 * IPCSCOPE_LOCALEDIR, or beside the program as the build and an install lay
 * it out. build/demos/NAME and build/bin/ipcscope find build/locale;
 * PREFIX/libexec/ipcscope/NAME and PREFIX/bin/ipcscope find
 * PREFIX/share/locale. */
static int find_localedir(char *out, size_t n)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[len > 0 ? len : 0] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    const char *env = getenv("IPCSCOPE_LOCALEDIR");
    const char *under[] = {"../locale", "../../share/locale", "../share/locale"};
    for (int i = -1; i < 3; i++) {
        if (i < 0 ? !(env && *env) : !slash)
            continue;
        int w = i < 0 ? snprintf(out, n, "%s", env) : snprintf(out, n, "%s/%s", exe, under[i]);
        char mo[PATH_MAX + 64];
        snprintf(mo, sizeof mo, "%s/zh_CN/LC_MESSAGES/" SCOPE_EVENTS_DOMAIN ".mo", out);
        if (w > 0 && (size_t)w < n && access(mo, R_OK) == 0)
            return 0;
    }
    return -ENOENT;
}

int scope_events_set_lang(const char *lang)
{
    if (!lang || !*lang || strcmp(lang, "en") == 0 || strcmp(lang, "C") == 0) {
        translating = 0;
        return 0;
    }
    if (strncmp(lang, "zh", 2) != 0)
        return -EINVAL;
    char dir[PATH_MAX];
    if (find_localedir(dir, sizeof dir) < 0)
        return -ENOENT;
    /* glibc's gettext answers in the language of LC_MESSAGES, and a demo
     * never calls setlocale(LC_ALL, ""): its locale is "C", in which gettext
     * returns every message untranslated and ignores LANGUAGE (on purpose:
     * POSIX fixes what a program prints in "C"). The machine may have no
     * Chinese locale at all (CI has only C, C.UTF-8 and POSIX), so the
     * language is not asked of the locale: LC_MESSAGES becomes C.UTF-8, which
     * glibc always has and for which it does read LANGUAGE, and LANGUAGE
     * names zh_CN. The demo's children inherit LANGUAGE: its own processes
     * read IPCSCOPE_LANG anyway; a program it runs (grep, sh) ignores it in
     * "C", and in another locale speaks Chinese too, as the screen does. */
    if (!setlocale(LC_MESSAGES, "C.UTF-8") && !setlocale(LC_MESSAGES, "C.utf8"))
        return -ENOENT;
    setenv("LANGUAGE", "zh_CN", 1);
    bindtextdomain(SCOPE_EVENTS_DOMAIN, dir);
    /* gettext converts a catalog to the charset of LC_CTYPE, which stays
     * "C", that is ASCII: every Chinese character would become '?'. The
     * narration is UTF-8 wherever it goes (a terminal, the event pipe). */
    bind_textdomain_codeset(SCOPE_EVENTS_DOMAIN, "UTF-8");
    /* The same for strerror(): glibc's own catalog (where libc-l10n is
     * installed) answers in Chinese now, and would be '?' in ASCII too. */
    bind_textdomain_codeset("libc", "UTF-8");
    translating = 1;
    return 0;
}

const char *scope_events_lang(void)
{
    return translating ? "zh" : "en";
}

const char *scope_events_tr(const char *s)
{
    return translating && s && *s ? dgettext(SCOPE_EVENTS_DOMAIN, s) : s;
}

const char *scope_events_trn(const char *one, const char *many, unsigned long n)
{
    return translating ? dngettext(SCOPE_EVENTS_DOMAIN, one, many, n) : n == 1 ? one : many;
}

/* ---- rendering ------------------------------------------------------- */

static const char *str_field(const cJSON *o, const char *name)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(f) ? f->valuestring : NULL;
}

static const char *str_or(const cJSON *o, const char *name, const char *dflt)
{
    const char *s = str_field(o, name);
    return s ? s : dflt;
}

static double num_field(const cJSON *o, const char *name, double dflt)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(f) ? f->valuedouble : dflt;
}

static void end_text(const cJSON *o, const char *name, char *out, size_t n)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
    if (cJSON_IsNumber(f))
        snprintf(out, n, "%ld", (long)f->valuedouble);
    else if (cJSON_IsString(f))
        snprintf(out, n, "%s", f->valuestring);
    else
        snprintf(out, n, "?");
}

/* Narration for a person: "[role pid] what happened". Returns the length. */
static int render_text(char *buf, size_t cap, const char *kind, const cJSON *o, long pid,
                       const char *role)
{
    char who[64], a[48], b[48];
    snprintf(who, sizeof who, "[%s%s%ld]", role, *role ? " " : "", pid);

    if (strcmp(kind, "hello") == 0)
        return snprintf(buf, cap, "== %s: %s\n", str_or(o, "demo", "?"),
                        str_or(o, "title", ""));
    if (strcmp(kind, "log") == 0)
        return snprintf(buf, cap, "%s %s\n", who, str_or(o, "text", ""));
    if (strcmp(kind, "step") == 0)
        return snprintf(
            buf, cap, scope_events_tr("-- step %d: %s%s\n"), (int)num_field(o, "n", 0),
            str_or(o, "title", ""),
            cJSON_IsTrue(cJSON_GetObjectItem(o, "waiting")) ? scope_events_tr("  [Enter]") : "");
    if (strcmp(kind, "error") == 0)
        return snprintf(buf, cap, scope_events_tr("%s ERROR %s: %s\n"), who, str_or(o, "what", "?"),
                        str_or(o, "reason", ""));
    if (strcmp(kind, "proc") == 0) {
        const char *state = str_or(o, "state", "?");
        long p = (long)num_field(o, "proc", pid);
        const char *r = str_or(o, "role", "");
        if (strcmp(state, "exit") != 0)
            return snprintf(buf, cap, scope_events_tr("%s process %ld (%s) %s\n"), who, p, r,
                            strcmp(state, "start") == 0 ? scope_events_tr("started")
                                                        : scope_events_tr("is ready"));
        /* An exit is told by the process that reaped it, as waitpid said. */
        const char *sig = str_field(o, "signal");
        if (sig)
            return snprintf(buf, cap, scope_events_tr("%s waitpid(%ld): %s was killed by %s\n"),
                            who, p, *r ? r : scope_events_tr("the process"), sig);
        return snprintf(buf, cap, scope_events_tr("%s waitpid(%ld): %s exited with code %d\n"), who,
                        p, *r ? r : scope_events_tr("the process"), (int)num_field(o, "code", 0));
    }
    if (strcmp(kind, "chan") == 0) {
        end_text(o, "a", a, sizeof a);
        end_text(o, "b", b, sizeof b);
        const char *detail = str_field(o, "detail");
        return snprintf(buf, cap, scope_events_tr("%s channel %s (%s) %s: %s <-> %s%s%s\n"), who,
                        str_or(o, "id", "?"), str_or(o, "kind", "?"), str_or(o, "state", "?"), a, b,
                        detail ? ", " : "", detail ? detail : "");
    }
    if (strcmp(kind, "msg") == 0) {
        int send = strcmp(str_or(o, "dir", ""), "send") == 0;
        end_text(o, send ? "to" : "from", a, sizeof a);
        char lat[32] = "";
        double l = num_field(o, "lat", 0);
        if (l > 0) {
            char t[24];
            scope_time_format(t, sizeof t, l);
            snprintf(lat, sizeof lat, ", %s", t);
        }
        return snprintf(buf, cap, "%s %s %s #%ld %s (%ld B%s)\n", who, send ? "->" : "<-", a,
                        (long)num_field(o, "id", 0), str_or(o, "summary", ""),
                        (long)num_field(o, "bytes", 0), lat);
    }
    if (strcmp(kind, "stats") == 0 && str_field(o, "chan") &&
        cJSON_IsNumber(cJSON_GetObjectItem(o, "sent"))) {
        /* A one-way channel that counts loss: what went, what came. */
        double sent = num_field(o, "sent", 0), got = num_field(o, "received", 0);
        return snprintf(buf, cap,
                        scope_events_tr("%s stats %s: %.0f sent, %.0f received, %.0f lost\n"), who,
                        str_or(o, "chan", "?"), sent, got, sent > got ? sent - got : 0);
    }
    if (strcmp(kind, "stats") == 0) {
        char p50[24], p99[24], mx[24];
        scope_time_format(p50, sizeof p50, num_field(o, "p50", 0));
        scope_time_format(p99, sizeof p99, num_field(o, "p99", 0));
        scope_time_format(mx, sizeof mx, num_field(o, "max", 0));
        return snprintf(
            buf, cap,
            scope_events_tr("%s stats %s: %ld msgs, p50 %s, p99 %s, max %s, %.0f msg/s\n"), who,
            str_or(o, "chan", "?"), (long)num_field(o, "count", 0), p50, p99, mx,
            num_field(o, "rate", 0));
    }
    if (strcmp(kind, "bye") == 0 && str_field(o, "text"))
        return snprintf(buf, cap, scope_events_tr("== done: %s\n"), str_field(o, "text"));
    if (strcmp(kind, "bye") == 0)
        return snprintf(buf, cap, "%s", scope_events_tr("== done\n"));
    return snprintf(buf, cap, "%s %s\n", who, kind);
}

/* The longest string member of o, the one to cut when a line is too long. */
static cJSON *longest_string(cJSON *o)
{
    cJSON *best = NULL, *it;
    size_t best_len = 0;
    cJSON_ArrayForEach(it, o)
    {
        if (cJSON_IsString(it) && strlen(it->valuestring) > best_len) {
            best = it;
            best_len = strlen(it->valuestring);
        }
    }
    return best_len > 8 ? best : NULL;
}

/* Halves the longest text member. Returns 0 when nothing is left to cut. */
static int shorten(cJSON *o)
{
    cJSON *s = longest_string(o);
    if (!s)
        return 0;
    size_t len = strlen(s->valuestring);
    char *cut = malloc(len / 2 + 1);
    if (!cut)
        return 0;
    scope_events_cut_utf8(cut, s->valuestring, len / 2);
    cJSON_SetValuestring(s, cut);
    free(cut);
    return 1;
}

static int write_line(int fd, const char *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, buf + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN && off == 0) {
            /* The reader is behind (a full pipe takes a line of at most
             * PIPE_BUF whole or not at all): drop this event, count it. */
            pthread_mutex_lock(&emitter.lock);
            emitter.dropped++;
            pthread_mutex_unlock(&emitter.lock);
            return -EAGAIN;
        }
        if (n < 0 && errno == EAGAIN) {
            /* A terminal someone made non-blocking took half a line: finish it. */
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            poll(&p, 1, 100);
            continue;
        }
        if (n < 0)
            return -errno;
        off += (size_t)n; /* a pipe never splits <= PIPE_BUF; a file or tty may */
    }
    return 0;
}

int scope_events_emit(const char *kind, cJSON *fields)
{
    char buf[SCOPE_EVENT_MAX];
    int r = 0;

    if (emitter.format == SCOPE_EVENTS_NONE) {
        cJSON_Delete(fields);
        return 0;
    }
    if (!fields && !(fields = cJSON_CreateObject()))
        return -ENOMEM;

    /* The envelope goes first so that a person reading the raw stream sees it. */
    cJSON *line = cJSON_CreateObject();
    if (!line) {
        cJSON_Delete(fields);
        return -ENOMEM;
    }
    long pid = (long)getpid();
    cJSON_AddNumberToObject(line, "v", SCOPE_EVENTS_VERSION);
    cJSON_AddStringToObject(line, "ev", kind);
    cJSON_AddNumberToObject(line, "t", (double)scope_time_now_ns());
    cJSON_AddNumberToObject(line, "pid", (double)pid);
    while (fields->child) {
        cJSON *f = cJSON_DetachItemViaPointer(fields, fields->child);
        cJSON_AddItemToObject(line, f->string, f);
    }
    cJSON_Delete(fields);

    pthread_mutex_lock(&emitter.lock);
    int fd = emitter.fd;
    scope_events_format_t format = emitter.format;
    char role[sizeof emitter.role];
    memcpy(role, emitter.role, sizeof role);
    pthread_mutex_unlock(&emitter.lock);

    int len;
    if (format == SCOPE_EVENTS_JSON) {
        /* cJSON prints numbers such as t with %1.17g: integers stay exact
         * up to 2^53 ns, about 104 days of uptime. */
        while (!cJSON_PrintPreallocated(line, buf, SCOPE_EVENT_MAX - 1, 0))
            if (!shorten(line)) {
                cJSON_Delete(line);
                return -EMSGSIZE;
            }
        len = (int)strlen(buf);
        buf[len++] = '\n';
    } else {
        len = render_text(buf, sizeof buf, kind, line, pid, role);
        if (len >= (int)sizeof buf) { /* cut, but keep the newline */
            len = (int)sizeof buf - 1;
            while (len > 1 && ((unsigned char)buf[len - 1] & 0xC0) == 0x80)
                len--; /* the newline replaces a character's first byte, never its middle */
            buf[len - 1] = '\n';
        }
        make_printable(buf, (size_t)len);
    }
    cJSON_Delete(line);

    r = write_line(fd, buf, (size_t)len);
    if (r == -EPIPE) {
        pthread_mutex_lock(&emitter.lock);
        emitter.format = SCOPE_EVENTS_NONE; /* the reader left: go quiet */
        pthread_mutex_unlock(&emitter.lock);
    }
    return r;
}

/* ---- the kinds ----------------------------------------------------------- */

int scope_events_hello(const char *demo, const char *title, cJSON *params, cJSON *faults)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "demo", demo);
    cJSON_AddStringToObject(o, "title", title);
    cJSON_AddItemToObject(o, "params", params ? params : cJSON_CreateObject());
    if (faults)
        cJSON_AddItemToObject(o, "faults", faults);
    return scope_events_emit("hello", o);
}

static const char *signal_name(int sig)
{
    static __thread char buf[16];
    const char *abbrev = sigabbrev_np(sig);
    if (!abbrev) {
        snprintf(buf, sizeof buf, "SIG%d", sig);
        return buf;
    }
    snprintf(buf, sizeof buf, "SIG%s", abbrev);
    return buf;
}

int scope_events_proc(const char *state, pid_t pid, pid_t ppid, const char *role, int code,
                      int signal)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "state", state);
    cJSON_AddNumberToObject(o, "proc", (double)pid);
    if (ppid > 0)
        cJSON_AddNumberToObject(o, "ppid", (double)ppid);
    if (role)
        cJSON_AddStringToObject(o, "role", role);
    if (strcmp(state, "exit") == 0) {
        if (signal > 0)
            cJSON_AddStringToObject(o, "signal", signal_name(signal));
        else
            cJSON_AddNumberToObject(o, "code", code);
    }
    return scope_events_emit("proc", o);
}

static void add_end(cJSON *o, const char *name, scope_end_t e)
{
    if (e.name)
        cJSON_AddStringToObject(o, name, e.name);
    else
        cJSON_AddNumberToObject(o, name, (double)e.pid);
}

int scope_events_chan(const char *state, const char *id, const char *kind, scope_end_t a,
                      scope_end_t b, const char *detail)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "state", state);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "kind", kind);
    add_end(o, "a", a);
    add_end(o, "b", b);
    if (detail)
        cJSON_AddStringToObject(o, "detail", detail);
    return scope_events_emit("chan", o);
}

/* Takes a token from the bucket, refilled at msg_rate per second up to one
 * second's worth. Returns 1 when this msg event may be emitted. */
int scope_events_msg_admit(void)
{
    if (emitter.format == SCOPE_EVENTS_NONE)
        return 0;
    pthread_mutex_lock(&emitter.lock);
    emitter.msgs_seen++;
    int ok = 1;
    if (emitter.msg_rate > 0) {
        uint64_t now = scope_time_now_ns();
        emitter.tokens += (double)(now - emitter.last_refill) * emitter.msg_rate / 1e9;
        emitter.last_refill = now;
        if (emitter.tokens > emitter.msg_rate)
            emitter.tokens = emitter.msg_rate;
        if (emitter.tokens >= 1.0)
            emitter.tokens -= 1.0;
        else
            ok = 0;
    }
    if (ok)
        emitter.msgs_emitted++;
    pthread_mutex_unlock(&emitter.lock);
    return ok;
}

int scope_events_msg(const char *dir, const char *chan, scope_end_t from, scope_end_t to,
                     uint64_t id, size_t bytes, const char *summary, uint64_t lat_ns)
{
    if (!scope_events_msg_admit())
        return 0;
    return scope_events_msg_emit_admitted(dir, chan, from, to, id, bytes, summary, lat_ns);
}

int scope_events_msg_emit_admitted(const char *dir, const char *chan, scope_end_t from,
                                   scope_end_t to, uint64_t id, size_t bytes,
                                   const char *summary, uint64_t lat_ns)
{
    char cut[256];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "dir", dir);
    cJSON_AddStringToObject(o, "chan", chan);
    add_end(o, "from", from);
    add_end(o, "to", to);
    cJSON_AddNumberToObject(o, "id", (double)id);
    cJSON_AddNumberToObject(o, "bytes", (double)bytes);
    scope_events_cut_utf8(cut, summary ? summary : "", sizeof cut - 1);
    cJSON_AddStringToObject(o, "summary", cut);
    if (lat_ns)
        cJSON_AddNumberToObject(o, "lat", (double)lat_ns);
    int r = scope_events_emit("msg", o);
    return r < 0 ? r : 1;
}

double scope_events_sample_ratio(void)
{
    pthread_mutex_lock(&emitter.lock);
    double ratio =
        emitter.msgs_seen ? (double)emitter.msgs_emitted / (double)emitter.msgs_seen : 1.0;
    pthread_mutex_unlock(&emitter.lock);
    return ratio;
}

void scope_events_new_window(void)
{
    atomic_store_explicit(&window_step, 0, memory_order_relaxed);
    atomic_store_explicit(&window_since, scope_time_now_ns(), memory_order_relaxed);
}

void scope_events_new_step_window(unsigned step)
{
    atomic_store_explicit(&window_step, step, memory_order_relaxed);
    atomic_store_explicit(&window_since, scope_time_now_ns(), memory_order_relaxed);
}

uint64_t scope_events_window_since(void)
{
    return atomic_load_explicit(&window_since, memory_order_relaxed);
}

int scope_events_stats(const char *chan, const scope_hist_t *latency, const scope_rate_t *rate,
                       uint64_t now_ns)
{
    scope_hist_summary_t s;
    scope_hist_summarize(latency, &s);
    double msgs_per_s = 0, bytes_per_s = 0;
    if (rate)
        scope_rate_get(rate, now_ns, &msgs_per_s, &bytes_per_s);

    pthread_mutex_lock(&emitter.lock);
    double sample =
        emitter.msgs_seen ? (double)emitter.msgs_emitted / (double)emitter.msgs_seen : 1.0;
    emitter.msgs_seen = emitter.msgs_emitted = 0;
    pthread_mutex_unlock(&emitter.lock);
    uint64_t since = scope_events_window_since();

    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "chan", chan);
    unsigned since_step = atomic_load_explicit(&window_step, memory_order_relaxed);
    if (since)
        cJSON_AddNumberToObject(o, "since", (double)since);
    if (since && since_step)
        cJSON_AddNumberToObject(o, "since_step", since_step);
    cJSON_AddNumberToObject(o, "count", (double)s.count);
    cJSON_AddNumberToObject(o, "bytes", rate ? (double)rate->total_bytes : 0);
    cJSON_AddNumberToObject(o, "min", (double)s.min);
    cJSON_AddNumberToObject(o, "p50", (double)s.p50);
    cJSON_AddNumberToObject(o, "p90", (double)s.p90);
    cJSON_AddNumberToObject(o, "p99", (double)s.p99);
    cJSON_AddNumberToObject(o, "p999", (double)s.p999);
    cJSON_AddNumberToObject(o, "max", (double)s.max);
    cJSON_AddNumberToObject(o, "mean", s.mean);
    cJSON_AddNumberToObject(o, "rate", msgs_per_s);
    cJSON_AddNumberToObject(o, "bps", bytes_per_s);
    cJSON_AddNumberToObject(o, "sample", sample);
    uint64_t dropped = scope_events_dropped();
    if (dropped)
        cJSON_AddNumberToObject(o, "events_dropped", (double)dropped);
    return scope_events_emit("stats", o);
}

static int emit_text(const char *kind, const char *field, const char *fmt, va_list ap,
                     cJSON *o)
{
    char text[SCOPE_EVENT_MAX];
    vsnprintf(text, sizeof text, fmt, ap);
    cJSON_AddStringToObject(o, field, text);
    return scope_events_emit(kind, o);
}

int scope_events_log(const char *fmt, ...)
{
    if (emitter.format == SCOPE_EVENTS_NONE)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    int r = emit_text("log", "text", scope_events_tr(fmt), ap, cJSON_CreateObject());
    va_end(ap);
    return r;
}

int scope_events_step(int n, const char *title, int waiting)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n", n);
    cJSON_AddStringToObject(o, "title", scope_events_tr(title));
    cJSON_AddBoolToObject(o, "waiting", waiting);
    return scope_events_emit("step", o);
}

int scope_events_error(const char *what, const char *fmt, ...)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "what", what);
    va_list ap;
    va_start(ap, fmt);
    int r = emit_text("error", "reason", scope_events_tr(fmt), ap, o);
    va_end(ap);
    return r;
}

int scope_events_bye(cJSON *summary, const char *text)
{
    cJSON *o = cJSON_CreateObject();
    if (text)
        cJSON_AddStringToObject(o, "text", scope_events_tr(text));
    cJSON_AddItemToObject(o, "summary", summary ? summary : cJSON_CreateObject());
    uint64_t dropped = scope_events_dropped();
    if (dropped)
        cJSON_AddNumberToObject(o, "events_dropped", (double)dropped);
    return scope_events_emit("bye", o);
}
