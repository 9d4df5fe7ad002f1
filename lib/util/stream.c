/*
 * stream.c - buffered, timed descriptor I/O with bounded line reads.
 *
 * All waiting happens in stream_wait(), and its bound comes from
 * stream_wait_ms() alone, so the per-wait timeout and the deadline can never
 * disagree about how long a read or write may take.
 */
#include "sys_defs.h"
#include <sys/ioctl.h>
#include "stream.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"

#define STREAM_RBUF_SIZE 16384
#define STREAM_WBUF_MAX (1024 * 1024)

static ssize_t plain_read(struct stream *s, void *p, size_t len)
{
    s->want = POLLIN;
    return read(s->fd, p, len);
}

static ssize_t plain_write(struct stream *s, const void *p, size_t len)
{
    s->want = POLLOUT;
    return send(s->fd, p, len, MSG_NOSIGNAL);
}

static ssize_t plain_write_fd(struct stream *s, const void *p, size_t len)
{
    ssize_t n = plain_write(s, p, len);

    /* send() refuses non-sockets (pipes, files in tests); use write() then. */
    if (n < 0 && errno == ENOTSOCK)
        n = write(s->fd, p, len);
    return n;
}

static const struct stream_ops plain_ops = {plain_read, plain_write_fd, NULL};

static int64_t (*stream_clock)(void);

static int64_t monotonic_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        msg_fatal("clock_gettime(CLOCK_MONOTONIC): %m");
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t stream_now_ms(void)
{
    return stream_clock ? stream_clock() : monotonic_ms();
}

void stream_set_clock(int64_t (*now_ms)(void))
{
    stream_clock = now_ms;
}

struct stream *stream_open(int fd, int timeout_ms)
{
    struct stream *s = xcalloc(1, sizeof(*s));

    s->fd = fd;
    s->timeout_ms = timeout_ms;
    s->rcap = STREAM_RBUF_SIZE;
    s->rbuf = xmalloc(s->rcap);
    buf_init(&s->wbuf, STREAM_WBUF_MAX);
    s->ops = &plain_ops;
    if (set_nonblock(fd, true) < 0)
        msg_warn("stream_open: cannot make fd %d non-blocking: %m", fd);
    return s;
}

void stream_close(struct stream *s)
{
    if (s == NULL)
        return;
    close_quietly(s->fd);
    free(s->rbuf);
    buf_free(&s->wbuf);
    free(s);
}

void stream_wipe(struct stream *s)
{
    explicit_bzero(s->rbuf, s->rcap);
    s->rpos = s->rlen = 0;
    buf_wipe(&s->wbuf);
}

void stream_set_ops(struct stream *s, const struct stream_ops *ops, void *ctx)
{
    s->ops = ops ? ops : &plain_ops;
    s->ops_ctx = ctx;
}

void stream_set_timeout(struct stream *s, int timeout_ms)
{
    s->timeout_ms = timeout_ms;
}

void stream_set_deadline(struct stream *s, int64_t deadline_ms)
{
    s->deadline_ms = deadline_ms;
}

void stream_set_stress(struct stream *s, const volatile sig_atomic_t *flag, int timeout_ms)
{
    s->stress_flag = flag;
    s->stress_timeout_ms = timeout_ms;
}

void stream_record_begin(struct stream *s, bool always)
{
    s->record_start_ms = stream_now_ms();
    s->record_always = always;
}

void stream_record_end(struct stream *s)
{
    s->record_start_ms = 0;
}

int stream_wait_ms(const struct stream *s, int64_t waited_ms)
{
    int64_t limit = -1, timeout = s->timeout_ms;
    bool stressed = s->stress_flag && *s->stress_flag;

    if (stressed && s->stress_timeout_ms > 0 && (timeout <= 0 || s->stress_timeout_ms < timeout))
        timeout = s->stress_timeout_ms;
    /* A record's time counts from its start, across all its waits. */
    if (s->record_start_ms > 0 && (s->record_always || stressed) &&
        stream_now_ms() - s->record_start_ms > waited_ms)
        waited_ms = stream_now_ms() - s->record_start_ms;
    if (timeout > 0)
        limit = waited_ms < timeout ? timeout - waited_ms : 0;
    if (s->deadline_ms > 0) {
        int64_t left = s->deadline_ms - stream_now_ms();

        if (left < 0)
            left = 0;
        if (limit < 0 || left < limit)
            limit = left;
    }
    /* poll() takes an int; a longer wait is simply recomputed when it ends */
    return limit > INT_MAX ? INT_MAX : (int)limit;
}

static int stream_fail(struct stream *s, unsigned flag, int err)
{
    s->flags |= flag;
    if (flag == STREAM_F_ERROR)
        s->error = err;
    return -1;
}

static bool stream_deadline_passed(const struct stream *s)
{
    return s->deadline_ms > 0 && stream_now_ms() >= s->deadline_ms;
}

/* A limit is used up: say which, so the caller can tell the peer why. */
static int stream_expired(struct stream *s)
{
    unsigned flags = STREAM_F_TIMEOUT;

    if (stream_deadline_passed(s))
        flags |= STREAM_F_DEADLINE;
    return stream_fail(s, flags, 0);
}

/*
 * Wait for the transport's wanted event; -1 on timeout or poll failure.
 * The bound is recomputed after every interruption, so a timeout or
 * deadline shortened meanwhile (by a signal handler, say) takes effect then.
 */
int stream_wait(struct stream *s)
{
    int64_t start = stream_now_ms();

    for (;;) {
        struct pollfd pfd = {.fd = s->fd, .events = s->want ? s->want : POLLIN};
        int ms = stream_wait_ms(s, stream_now_ms() - start);
        int n;

        if (ms == 0)
            return stream_expired(s);
        n = poll(&pfd, 1, ms);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return stream_fail(s, STREAM_F_ERROR, errno);
        /* EINTR, or the time is up: the next stream_wait_ms() tells which */
    }
}

/* Move unconsumed input to the front of rbuf. */
static void stream_compact(struct stream *s)
{
    if (s->rpos > 0) {
        memmove(s->rbuf, s->rbuf + s->rpos, s->rlen - s->rpos);
        s->rlen -= s->rpos;
        s->rpos = 0;
    }
}

/* Read more bytes into rbuf; 0 on progress, -1 on EOF, timeout or error. */
static int stream_fill(struct stream *s)
{
    if (s->flags & (STREAM_F_EOF | STREAM_F_ERROR | STREAM_F_TIMEOUT))
        return -1;
    if (stream_deadline_passed(s))
        return stream_expired(s);
    stream_compact(s);
    if (s->rlen == s->rcap)
        msg_panic("stream_fill: read buffer full");
    for (;;) {
        ssize_t n = s->ops->read(s, s->rbuf + s->rlen, s->rcap - s->rlen);

        if (n > 0) {
            s->rlen += (size_t)n;
            s->bytes_in += (uint64_t)n;
            return 0;
        }
        if (n == 0)
            return stream_fail(s, STREAM_F_EOF, 0);
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return stream_fail(s, STREAM_F_ERROR, errno);
        if (stream_wait(s) < 0)
            return -1;
    }
}

int stream_get_line(struct stream *s, struct buf *out, size_t max, int *term_r)
{
    buf_reset(out);
    /* The whole line, with CR LF, must fit in the read buffer. */
    if (max + 2 > s->rcap) {
        s->rcap = max + 2;
        s->rbuf = xrealloc(s->rbuf, s->rcap);
    }
    for (;;) {
        unsigned char *start = s->rbuf + s->rpos;
        size_t avail = s->rlen - s->rpos;
        size_t window = avail < max + 2 ? avail : max + 2;
        unsigned char *lf = memchr(start, '\n', window);

        if (lf != NULL) {
            size_t len = (size_t)(lf - start);
            int term = STREAM_TERM_LF;

            if (len > 0 && lf[-1] == '\r') {
                term = STREAM_TERM_CRLF;
                len--;
            }
            if (len <= max) {
                if (buf_append(out, start, len) < 0)
                    msg_panic("stream_get_line: output buffer smaller than %zu", max);
                s->rpos += (size_t)(lf - start) + 1;
                *term_r = term;
                return 1;
            }
        }
        /*
         * max bytes and then a CR may still be a line of exactly max bytes
         * whose LF has not arrived yet: wait for it before cutting.
         */
        if (avail >= max + 2 || (avail == max + 1 && start[max] != '\r')) {
            /* A fragment of max bytes; keep a trailing CR with what follows. */
            size_t take = max;

            if (take > 1 && start[take - 1] == '\r')
                take--;
            if (buf_append(out, start, take) < 0)
                msg_panic("stream_get_line: output buffer smaller than %zu", max);
            s->rpos += take;
            return 0;
        }
        if (stream_fill(s) < 0)
            return -1;
    }
}

int stream_read_exact(struct stream *s, void *p, size_t len)
{
    unsigned char *cp = p;

    while (len > 0) {
        size_t avail = s->rlen - s->rpos;

        if (avail == 0) {
            if (stream_fill(s) < 0)
                return -1;
            continue;
        }
        if (avail > len)
            avail = len;
        memcpy(cp, s->rbuf + s->rpos, avail);
        s->rpos += avail;
        cp += avail;
        len -= avail;
    }
    return 0;
}

size_t stream_pending(struct stream *s)
{
    size_t n = s->rlen - s->rpos;

    if (s->ops->pending)
        n += s->ops->pending(s);
    return n;
}

/* Bytes the kernel holds for us; 0 when it cannot say (not a socket or pipe). */
static size_t stream_kernel_pending(const struct stream *s)
{
    int n = 0;

    if (ioctl(s->fd, FIONREAD, &n) < 0 || n < 0)
        return 0;
    return (size_t)n;
}

bool stream_input_waiting(struct stream *s)
{
    return stream_pending(s) > 0 || stream_kernel_pending(s) > 0;
}

size_t stream_peek(struct stream *s, const unsigned char **p_r)
{
    if (!(s->flags & (STREAM_F_EOF | STREAM_F_ERROR)) && stream_kernel_pending(s) > 0) {
        ssize_t n;

        stream_compact(s);
        /* The descriptor is non-blocking: this read takes what is there. */
        n = s->rlen < s->rcap ? s->ops->read(s, s->rbuf + s->rlen, s->rcap - s->rlen) : 0;
        if (n > 0) {
            s->rlen += (size_t)n;
            s->bytes_in += (uint64_t)n;
        } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            (void)stream_fail(s, STREAM_F_ERROR, errno);
        }
    }
    *p_r = s->rbuf + s->rpos;
    return s->rlen - s->rpos;
}

int stream_flush(struct stream *s)
{
    size_t off = 0;

    while (off < s->wbuf.len) {
        ssize_t n;

        if (s->flags & (STREAM_F_ERROR | STREAM_F_TIMEOUT))
            return -1;
        if (stream_deadline_passed(s)) {
            buf_reset(&s->wbuf);
            return stream_expired(s);
        }
        n = s->ops->write(s, s->wbuf.data + off, s->wbuf.len - off);
        if (n > 0) {
            off += (size_t)n;
            s->bytes_out += (uint64_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            buf_reset(&s->wbuf);
            return stream_fail(s, STREAM_F_ERROR, errno);
        }
        if (stream_wait(s) < 0) {
            buf_reset(&s->wbuf);
            return -1;
        }
    }
    buf_reset(&s->wbuf);
    return 0;
}

int stream_write(struct stream *s, const void *p, size_t len)
{
    if (s->wbuf.len + len > s->wbuf.max && stream_flush(s) < 0)
        return -1;
    while (len > s->wbuf.max) {
        if (buf_append(&s->wbuf, p, s->wbuf.max) < 0 || stream_flush(s) < 0)
            return -1;
        p = (const char *)p + s->wbuf.max;
        len -= s->wbuf.max;
    }
    if (buf_append(&s->wbuf, p, len) < 0)
        return -1;
    return 0;
}

int stream_puts(struct stream *s, const char *str)
{
    return stream_write(s, str, strlen(str));
}

int stream_printf(struct stream *s, const char *fmt, ...)
{
    char small[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        msg_panic("stream_printf: bad format \"%s\"", fmt);
    if ((size_t)n < sizeof(small))
        return stream_write(s, small, (size_t)n);
    {
        char *big;
        int ret;

        va_start(ap, fmt);
        if (vasprintf(&big, fmt, ap) < 0)
            msg_fatal("out of memory formatting output");
        va_end(ap);
        ret = stream_write(s, big, (size_t)n);
        free(big);
        return ret;
    }
}

const char *stream_strerror(const struct stream *s)
{
    if (s->flags & STREAM_F_TIMEOUT)
        return "timeout";
    if (s->flags & STREAM_F_ERROR)
        return s->error == ECONNRESET || s->error == EPIPE ? "lost connection" : strerror(s->error);
    if (s->flags & STREAM_F_EOF)
        return "lost connection";
    return "no error";
}

size_t stream_discard_input(struct stream *s)
{
    size_t n = s->rlen - s->rpos;

    s->rpos = s->rlen = 0;
    return n;
}
