/* posix_mq.c, step 6: the kernel's own queue. Article 003 (Node.js
 * process communication) lists message queues among the kernel's IPC
 * mechanisms; this is the POSIX one, no broker and no library: the kernel
 * keeps the messages.
 *
 *   1. mq_open("/ipcscope-mq.PID", O_CREAT | O_EXCL | O_WRONLY | O_NONBLOCK,
 *      0600, {mq_maxmsg MAXMSG, mq_msgsize MSGSIZE}): a name of our own
 *      (the pid; O_EXCL refuses one that exists), only our user may open
 *      it, and it is bounded: MAXMSG messages of MSGSIZE bytes at most.
 *      mq_getattr and the queue's file in the mqueue filesystem (usually
 *      /dev/mqueue) say so.
 *   2. Nobody receives yet, and the kernel keeps what is sent: mq_send at a
 *      tick with priorities 1, 5, 9, 5; the fifth says EAGAIN (O_NONBLOCK:
 *      the queue is full; without it, mq_send would block).
 *   3. The receiver (--role mq-receiver --mq NAME) opens the queue by name
 *      and reads with mq_receive: the highest priority first, the oldest
 *      first within one priority: 9 5 5 1.
 *   4. Room appears (the mqd_t is an fd on Linux: uv_poll says UV_WRITABLE),
 *      so the receiver has the queue open: mq_unlink removes the name now,
 *      and the queue lives on while the two hold it open, as an unlinked
 *      file does. The refused message goes again, then "end" at priority 0.
 *
 * Nothing is left: the name is unlinked at the end, on a quit and on
 * SIGTERM (a cleanup); a run SIGKILLed before step 4 leaves it, and the
 * next run's step sweeps names whose pid is dead.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events.h"
#include "message-queue.h"

#define MAXMSG  4
#define MSGSIZE 128

/* The lesson's tasks, in the narration's language (text_of): the kernel
 * carries whatever bytes they are. */
static const struct {
    unsigned prio;
    const char *text;
} sends[] = {{1, N_("low: write a log line")}, {5, N_("normal: resize an image")},
             {9, N_("urgent: charge a card")}, {5, N_("normal: send a mail")},
             {1, N_("low: the one refused, again")}};
#define QUEUED 4 /* sends[] before the queue is full */

static const char *text_of(int i)
{
    return scope_events_tr(sends[i].text);
}

static struct posix_s {
    scope_demo_t *demo;
    mqd_t q;
    uv_poll_t poll;
    uv_timer_t tick;      /* the lesson's clock at --rate 0: a tick a second */
    scope_pacer_t pacer;  /* lib/demo's: pause, step and --rate hold the ticks */
    int open, polling, sent, eagain, unlinked, ended;
    char name[48], fsdir[256];
    scope_role_t receiver;
    scope_trace_t trace;
    char order[64]; /* the receiver's priorities, in the order it got them */
    double received;
} px;

/* Where the mqueue filesystem is mounted (/dev/mqueue, usually), or "". */
static void find_mqueue_fs(char *dir, size_t n)
{
    FILE *f = setmntent("/proc/self/mounts", "r");
    struct mntent *e;
    dir[0] = 0;
    while (f && (e = getmntent(f)))
        if (strcmp(e->mnt_type, "mqueue") == 0 && !dir[0])
            snprintf(dir, n, "%s", e->mnt_dir);
    if (f)
        endmntent(f);
}

/* The queue's file in the mqueue filesystem: its one line, or why not.
 * when: a word marked N_() by the caller, said in the narration's language. */
static void show_file(const char *when)
{
    char path[320], line[128] = "";
    struct stat st;
    if (!px.fsdir[0]) { /* said once, at the start */
        if (strcmp(when, "created") == 0)
            scope_events_log("the mqueue filesystem is not mounted here (mount -t mqueue none "
                             "/dev/mqueue would show each queue as a file)");
        return;
    }
    snprintf(path, sizeof path, "%s%s", px.fsdir, px.name);
    FILE *f = fopen(path, "r");
    if (!f || stat(path, &st) < 0) {
        scope_events_log("%s: %s: %s", scope_events_tr(when), path, strerror(errno));
    } else {
        if (!fgets(line, sizeof line, f))
            line[0] = 0;
        line[strcspn(line, "\n")] = 0;
        scope_events_log("%s: %s (mode %03o): %s", scope_events_tr(when), path,
                         (unsigned)st.st_mode & 0777, line);
    }
    if (f)
        fclose(f);
}

/* Names a SIGKILLed run left: /ipcscope-mq.PID whose PID is gone. */
static void sweep(void)
{
    DIR *dir = px.fsdir[0] ? opendir(px.fsdir) : NULL;
    struct dirent *e;
    int pid;
    while (dir && (e = readdir(dir)))
        if (sscanf(e->d_name, "ipcscope-mq.%d", &pid) == 1 && pid > 0 && kill(pid, 0) < 0 &&
            errno == ESRCH) {
            char name[300];
            snprintf(name, sizeof name, "/%s", e->d_name);
            if (mq_unlink(name) == 0)
                scope_events_log("mq_unlink(\"%s\"): left by a run that was killed (pid %d is "
                                 "gone)", name, pid);
        }
    if (dir)
        closedir(dir);
}

static void unlink_name(void *arg)
{
    (void)arg;
    if (px.name[0] && !px.unlinked && mq_unlink(px.name) == 0)
        px.unlinked = 1;
}

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

void mq_posix_stop(scope_demo_t *d)
{
    (void)d;
    if (px.open) {
        px.open = 0;
        uv_close((uv_handle_t *)&px.tick, on_closed);
        scope_pacer_close(&px.pacer);
        uv_close((uv_handle_t *)&px.poll, on_closed); /* before mq_close closes its fd */
        scope_trace_close(&px.trace);
        mq_close(px.q);
    }
    unlink_name(NULL);
}

static void on_receiver_exit(scope_role_t *r, int code, int sig)
{
    (void)r;
    if (px.demo->quitting || px.ended)
        return;
    px.ended = 1;
    scope_demo_check(px.demo, code == 0 && sig == 0, "mq-receiver", "exited with code %d, "
                     "signal %d", code, sig);
    mq_posix_stop(px.demo);
    scope_events_log("mq_close; the name was unlinked, so the kernel frees the queue now that "
                     "nobody holds it. Received in the order %s (priorities)", px.order);
    show_file(N_("after the run"));
    scope_demo_figure(px.demo, "posix_mq.sent", cJSON_CreateNumber(px.sent));
    scope_demo_figure(px.demo, "posix_mq.eagain", cJSON_CreateNumber(px.eagain));
    scope_demo_figure(px.demo, "posix_mq.received", cJSON_CreateNumber(px.received));
    scope_demo_figure(px.demo, "posix_mq.order", cJSON_CreateString(px.order));
    scope_demo_figure(px.demo, "posix_mq.maxmsg", cJSON_CreateNumber(MAXMSG));
    scope_demo_figure(px.demo, "posix_mq.msgsize", cJSON_CreateNumber(MSGSIZE));
    scope_demo_next(px.demo);
}

static void on_report(scope_role_t *r, const cJSON *fig)
{
    (void)r;
    const char *o = cJSON_GetStringValue(cJSON_GetObjectItem(fig, "order"));
    snprintf(px.order, sizeof px.order, "%s", o ? o : "");
    px.received = cJSON_GetNumberValue(cJSON_GetObjectItem(fig, "received"));
}

/* One message, or -EAGAIN when the queue is full. */
static int send_one(const char *text, unsigned prio)
{
    if (mq_send(px.q, text, strlen(text), prio) < 0)
        return -errno;
    scope_trace_send(&px.trace, text, strlen(text));
    return 0;
}

/* Room in the queue: the receiver has it open. */
static void on_writable(uv_poll_t *p, int status, int events)
{
    (void)p, (void)status, (void)events;
    if (!px.unlinked) {
        unlink_name(NULL);
        scope_events_log("UV_WRITABLE on mqd %d: the receiver took a message, so it holds the "
                         "queue: mq_unlink(\"%s\") now; the queue lives while we two hold it",
                         (int)px.q, px.name);
        show_file(N_("after mq_unlink"));
    }
    while (px.sent < (int)(sizeof sends / sizeof sends[0]) + 1) {
        int last = px.sent == (int)(sizeof sends / sizeof sends[0]);
        int e = last ? send_one("end", 0) : send_one(text_of(px.sent), sends[px.sent].prio);
        if (e < 0)
            return; /* full again: the next UV_WRITABLE goes on */
        scope_events_log("mq_send(\"%s\", priority %u) -> 0", last ? "end" : text_of(px.sent),
                         last ? 0 : sends[px.sent].prio);
        px.sent++;
    }
    uv_poll_stop(&px.poll); /* all sent: the receiver's exit ends the step */
}

static void tick(scope_pacer_t *p);

/* Each tick goes through lib/demo's pacer, so the dashboard's pause, step
 * and rate hold this step too; at --rate 0 a second on the lesson's own
 * clock comes first (zmq.c does the same). */
static void on_clock(uv_timer_t *t)
{
    (void)t;
    scope_pacer_next(&px.pacer, tick);
}

static void next_tick(void)
{
    if (px.demo->rate > 0)
        scope_pacer_next(&px.pacer, tick);
    else
        uv_timer_start(&px.tick, on_clock, 1000, 0);
}

static void tick(scope_pacer_t *p)
{
    (void)p;
    if (!px.open)
        return;
    int e = send_one(text_of(px.sent), sends[px.sent].prio);
    if (e == 0) {
        scope_events_log("mq_send(\"%s\", priority %u) -> 0: nobody receives yet; the kernel "
                         "keeps it", text_of(px.sent), sends[px.sent].prio);
        px.sent++;
        next_tick();
        return;
    }
    px.eagain += e == -EAGAIN;
    scope_events_log("mq_send(\"%s\") -> %s: the queue holds mq_maxmsg %d messages, and "
                     "O_NONBLOCK says so rather than waiting", text_of(px.sent),
                     e == -EAGAIN ? "EAGAIN" : strerror(-e), MAXMSG);
    show_file(N_("full"));
    const char *args[] = {"--mq", px.name, NULL};
    scope_role_options_t o = {.argv = args};
    px.receiver.on_exit = on_receiver_exit;
    px.receiver.on_report = on_report;
    if (scope_role_spawn(px.demo, &px.receiver, "mq-receiver", &o) < 0) {
        scope_demo_check(px.demo, 0, "mq-receiver", "cannot start it");
        on_receiver_exit(&px.receiver, 1, 0);
        return;
    }
    uv_poll_start(&px.poll, UV_WRITABLE, on_writable);
}

void mq_posix(scope_demo_t *d)
{
    struct mq_attr a = {.mq_maxmsg = MAXMSG, .mq_msgsize = MSGSIZE};
    px.demo = d;
    find_mqueue_fs(px.fsdir, sizeof px.fsdir);
    sweep();
    snprintf(px.name, sizeof px.name, "/ipcscope-mq.%d", (int)getpid());
    px.q = mq_open(px.name, O_CREAT | O_EXCL | O_WRONLY | O_NONBLOCK, 0600, &a);
    if (px.q == (mqd_t)-1) {
        scope_demo_check(d, 0, "mq_open", "%s: %s", px.name, strerror(errno));
        px.name[0] = 0;
        px.ended = 1;
        scope_demo_next(d);
        return;
    }
    scope_demo_on_cleanup(d, unlink_name, NULL); /* SIGTERM, or a quit */
    mq_getattr(px.q, &a);
    scope_events_log("mq_open(\"%s\", O_CREAT|O_EXCL|O_WRONLY|O_NONBLOCK, 0600) -> mqd %d "
                     "(an fd); mq_getattr: mq_maxmsg %ld, mq_msgsize %ld, mq_curmsgs %ld",
                     px.name, (int)px.q, a.mq_maxmsg, a.mq_msgsize, a.mq_curmsgs);
    show_file(N_("created"));
    uv_poll_init(d->loop, &px.poll, (int)px.q);
    uv_timer_init(d->loop, &px.tick);
    scope_pacer_init(d, &px.pacer);
    px.open = 1;
    /* the queue is the kernel's: a lane of its own between the two, as
     * redis-server is for pub/sub */
    scope_trace_init(&px.trace, "posix-mq", SCOPE_PID(getpid()), SCOPE_PEER("kernel mq"));
    scope_trace_open(&px.trace, "mqueue", px.name);
    uv_timer_start(&px.tick, on_clock, 1000, 0); /* the first tick: a second to read this */
}
