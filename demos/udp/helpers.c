/* helpers.c: the udp demo's small helpers, used by the server, the clients
 * and the probe alike: the UTF-8 check, a datagram's id and its one-line
 * summary, sending without blocking, the receive buffers, the records a
 * child writes to its report pipe, the kernel's figures from /proc/net/udp,
 * and addresses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "udp.h"

/* -1 when all n bytes are UTF-8, else the offset of the first bad byte.
 * Overlong forms, surrogates and code points past U+10FFFF are bad. */
long utf8_bad_at(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t min;
        if (c >= 0xC2 && c <= 0xDF)
            len = 2, min = 0x80;
        else if (c >= 0xE0 && c <= 0xEF)
            len = 3, min = 0x800;
        else if (c >= 0xF0 && c <= 0xF4)
            len = 4, min = 0x10000;
        else
            return (long)i;
        if (i + len > n)
            return (long)i;
        uint32_t cp = c & (0x7Fu >> len);
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return (long)i;
            cp = cp << 6 | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return (long)i;
        i += len;
    }
    return -1;
}

/* The number after the last " #" in the first bytes: the ping's id, or 0. */
uint64_t parse_id(const char *data, size_t len)
{
    size_t n = len < 160 ? len : 160;
    uint64_t id = 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (data[i] == '#' && data[i + 1] >= '0' && data[i + 1] <= '9') {
            id = 0;
            for (size_t k = i + 1;
                 k < n && data[k] >= '0' && data[k] <= '9' && id < 1000000000000ull; k++)
                id = id * 10 + (uint64_t)(data[k] - '0');
        }
    return id;
}

/* A datagram as the flow shows it: its text without the padding or a
 * trailing newline, cut to a readable length. */
void summarize(char *out, size_t outlen, const char *data, size_t len)
{
    char tmp[128];
    size_t n = len < sizeof tmp - 1 ? len : sizeof tmp - 1;
    memcpy(tmp, data, n);
    tmp[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (tmp[i] == '\0')
            tmp[i] = ' ';
    while (n > 0 &&
           (tmp[n - 1] == '.' || tmp[n - 1] == '\n' || tmp[n - 1] == '\r' || tmp[n - 1] == ' '))
        tmp[--n] = '\0';
    if (n == 0 && len > 0)
        snprintf(tmp, sizeof tmp, "(%zu bytes of padding)", len);
    else if (n == 0)
        snprintf(tmp, sizeof tmp, "(empty)");
    scope_events_cut_utf8(out, tmp, outlen - 1 < 64 ? outlen - 1 : 64);
}

/* Sends one datagram now (sendmsg); if the socket's buffer is full, queues a
 * copy with uv_udp_send instead. Returns the bytes taken or a libuv error. */
static void on_queued_sent(uv_udp_send_t *req, int status)
{
    (void)status;
    free(req);
}

int udp_send(uv_udp_t *h, const void *data, size_t len, const struct sockaddr *to)
{
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    int r = uv_udp_try_send(h, &b, 1, to);
    if (r != UV_EAGAIN)
        return r;
    uv_udp_send_t *req = malloc(sizeof *req + len);
    if (!req)
        return UV_ENOMEM;
    memcpy(req + 1, data, len);
    b = uv_buf_init((char *)(req + 1), (unsigned)len);
    r = uv_udp_send(req, h, &b, 1, to, on_queued_sent);
    if (r < 0) {
        free(req);
        return r;
    }
    return (int)len;
}

/* One datagram per wakeup. After a datagram, libuv calls recvmsg() again
 * until EAGAIN; in a ping-pong that second call only ever says EAGAIN, one
 * wasted syscall per message. An empty buffer ends libuv's loop instead (the
 * callback sees UV_ENOBUFS), and epoll, which is level-triggered, wakes us
 * again if another datagram is waiting. */
void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    if (udp.read_one) {
        *buf = uv_buf_init(NULL, 0);
        return;
    }
    *buf = uv_buf_init(udp.rbuf, RECV_BUF);
}

/* The throughput sink takes up to 20 datagrams per recvmmsg(). */
void on_alloc_batch(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(udp.batch, udp.batch ? SINK_BATCH * RECV_BUF : 0);
}

/* In a receive callback: 1 when this call is no datagram at all (libuv's
 * "nothing more now", or the end of a one-datagram wakeup). */
int no_datagram(ssize_t nread, const struct sockaddr *from)
{
    if (nread == UV_ENOBUFS) {
        udp.read_one = 0;
        return 1;
    }
    if (nread == 0 && !from)
        return 1;
    if (nread >= 0)
        udp.read_one = 1;
    return 0;
}

void write_record(const void *rec, size_t len)
{
    if (udp.report_fd < 0)
        return;
    const char *p = rec;
    while (len > 0) {
        ssize_t n = write(udp.report_fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

void report_port(int port)
{
    rec_port_t r = {{REC_PORT, sizeof r}, port};
    write_record(&r, sizeof r);
}

void report_sent(uint32_t tag, const char *part, int64_t sent)
{
    rec_sent_t r = {{tag, sizeof r}, sent, {0}};
    snprintf(r.part, sizeof r.part, "%s", part);
    write_record(&r, sizeof r);
}

/* The kernel's figures for one of our UDP sockets, from its line in
 * /proc/net/udp (found by the socket's inode): bytes waiting in the receive
 * queue, and datagrams dropped because it was full. */
int udp_proc_stats(int fd, unsigned long *rx_queue, unsigned long *drops)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
        return -errno;
    FILE *f = fopen(ss.ss_family == AF_INET6 ? "/proc/net/udp6" : "/proc/net/udp", "r");
    if (!f)
        return -errno;
    char line[512];
    int found = -ENOENT;
    if (fgets(line, sizeof line, f)) { /* the header */
        while (fgets(line, sizeof line, f)) {
            unsigned long tx, rx, ino, dr;
            if (sscanf(line, "%*s %*s %*s %*s %lx:%lx %*s %*s %*s %*s %lu %*s %*s %lu", &tx, &rx,
                       &ino, &dr) == 4 &&
                ino == (unsigned long)st.st_ino) {
                *rx_queue = rx;
                *drops = dr;
                found = 0;
                break;
            }
        }
    }
    fclose(f);
    return found;
}

int self_path(void)
{
    ssize_t n = readlink("/proc/self/exe", udp.self, sizeof udp.self - 1);
    if (n <= 0)
        return -errno;
    udp.self[n] = '\0';
    return 0;
}

int same_addr(const struct sockaddr_storage *a, const struct sockaddr *b)
{
    if (a->ss_family != b->sa_family)
        return 0;
    if (b->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (b->sa_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return x->sin6_port == y->sin6_port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return 0;
}

void close_handle(uv_handle_t *h)
{
    if (h->loop && !uv_is_closing(h))
        uv_close(h, NULL);
}
