/*
 * mbox.c - appending one message to a UNIX mailbox (see mbox.h).
 *
 * The order of a delivery, and why:
 *
 *   1. PATH.lock with O_EXCL (readers such as mutt and Dovecot honour it),
 *   2. open PATH with O_NOFOLLOW (O_EXCL|O_CREAT to make it), check it,
 *   3. an fcntl() lock, then check that PATH still names the locked file
 *      (a reader that rewrites a mailbox renames a new file over it; an
 *      append to the old inode would be lost),
 *   4. append and fsync; on any failure truncate back to the old length,
 *   5. close (drops the fcntl lock) and remove PATH.lock.
 *
 * Every lock is tried deliver_lock_attempts times, deliver_lock_delay
 * apart, so a delivery never waits without end; the caller defers.
 *
 * Quoting: Postfix's mail_copy() puts '>' before lines that start with
 * "From " and nothing else (mboxo), so a reader cannot tell a quoted
 * "From " from a ">From " the sender wrote.  We quote "^>*From " (mboxrd):
 * every line Postfix quotes is quoted the same way, and a reader that
 * removes one '>' from "^>+From " lines gets the original back.
 *
 * Duplicates: Postfix does nothing about a delivery repeated after a crash
 * (the agent died after the append, before the queue file said so).  Here,
 * when the caller says an earlier attempt may have been interrupted, the
 * last message in the file is compared with this one byte for byte, From_
 * line aside; the content carries smtpd's Received: header with the queue
 * ID, so an identical copy is this delivery.  This costs one read of the
 * message's length, only on those retries.  A message appended by someone
 * else in between hides the copy (then it is delivered twice, as Postfix
 * would); searching the whole mailbox on every retry would not be cheap.
 */
#include "sys_defs.h"
#include "mbox.h"
#include "crash_point.h"
#include "iostuff.h"
#include "mail_addr.h"
#include "mail_params.h"
#include "msg.h"
#include "mymalloc.h"
#include "server.h"
#include "strutil.h"

#define MBOX_IO_SIZE 65536
/* The longest From_ line we write: a quoted sender, two spaces, a date. */
#define MBOX_FROM_MAX (4 * MAIL_ADDR_TEXT_MAX + 64)

static const char mbox_from[] = "From ";

/* Buffered output of one message: to the mailbox, counted, or compared. */
struct mbox_out {
    int (*flush)(struct mbox_out *o, const unsigned char *p, size_t len);
    int fd;          /* the mailbox */
    off_t off;       /* compare: the file offset of the next byte */
    long long total; /* bytes passed on so far */
    bool write_err;  /* a write to the mailbox failed (not a read) */
    bool differs;    /* compare: the file differs */
    size_t len;
    unsigned char buf[MBOX_IO_SIZE];
    unsigned char cmp[MBOX_IO_SIZE];
};

/* --- quoting ------------------------------------------------------------ */

void mbox_quote_init(struct mbox_quote *q)
{
    memset(q, 0, sizeof(*q));
}

static int put_gts(size_t n, mbox_put_fn put, void *ctx)
{
    static const char gts[] = ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>";

    while (n > 0) {
        size_t k = n < sizeof(gts) - 1 ? n : sizeof(gts) - 1;

        if (put(ctx, gts, k) < 0)
            return -1;
        n -= k;
    }
    return 0;
}

/* Pass on the held-back start of a line, with one more '>' if it was "^>*From ". */
static int quote_release(struct mbox_quote *q, bool quote, mbox_put_fn put, void *ctx)
{
    size_t n = q->gts + (quote ? 1 : 0);

    if (put_gts(n, put, ctx) < 0 || (q->from > 0 && put(ctx, mbox_from, q->from) < 0))
        return -1;
    if (n + q->from > 0)
        q->open = true;
    q->gts = 0;
    q->from = 0;
    q->in_line = true;
    return 0;
}

/*
 * The start of each line is held back until it is known whether it is
 * "^>*From ": the '>' run is only counted (it may be longer than any
 * buffer, and split across chunks), "From " only matched.
 */
int mbox_quote(struct mbox_quote *q, const unsigned char *p, size_t len, mbox_put_fn put, void *ctx)
{
    const unsigned char *end = p + len;

    while (p < end) {
        if (q->in_line) {
            const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

            if (put(ctx, p, n) < 0)
                return -1;
            q->open = q->in_line = nl == NULL;
            p += n;
        } else if (q->from == 0 && *p == '>') {
            q->gts++;
            p++;
        } else if (*p == (unsigned char)mbox_from[q->from]) {
            p++;
            if (++q->from == sizeof(mbox_from) - 1 && quote_release(q, true, put, ctx) < 0)
                return -1;
        } else if (quote_release(q, false, put, ctx) < 0) {
            return -1; /* else *p is passed on as part of the line */
        }
    }
    return 0;
}

int mbox_quote_end(struct mbox_quote *q, mbox_put_fn put, void *ctx)
{
    if (!q->in_line && quote_release(q, false, put, ctx) < 0)
        return -1;
    if (q->open && put(ctx, "\n", 1) < 0)
        return -1;
    mbox_quote_init(q);
    return 0;
}

void mbox_from_line(struct buf *out, const char *sender, time_t date)
{
    struct buf addr;
    char when[64];
    struct tm tm;
    size_t i;

    buf_init(&addr, MBOX_FROM_MAX);
    if (*sender == 0)
        (void)buf_puts(&addr, "MAILER-DAEMON");
    else
        mail_addr_quote_internal(sender, &addr);
    /* One line, whatever the queue file holds: a newline here would let the
     * sender start headers or a message of its own. */
    for (i = 0; i < addr.len; i++)
        if (addr.data[i] < 0x20 || addr.data[i] == 0x7f)
            addr.data[i] = '?';
    /* asctime()'s layout, as Postfix writes it ("%.24s" of asctime). */
    if (localtime_r(&date, &tm) == NULL ||
        strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm) == 0)
        str_copy(when, "Thu Jan  1 00:00:00 1970", sizeof(when));
    (void)buf_printf(out, "From %s  %s\n", buf_str(&addr), when);
    buf_free(&addr);
}

/* --- output ------------------------------------------------------------- */

static int flush_write(struct mbox_out *o, const unsigned char *p, size_t len)
{
    if (write_full(o->fd, p, len) < 0) {
        o->write_err = true;
        return -1;
    }
    return 0;
}

/* Compare with the file from o->off on; a difference stops the pass (errno 0). */
static int flush_compare(struct mbox_out *o, const unsigned char *p, size_t len)
{
    while (len > 0) {
        size_t k = len < sizeof(o->cmp) ? len : sizeof(o->cmp);
        ssize_t n = pread_full(o->fd, o->cmp, k, o->off);

        if (n < 0)
            return -1;
        if ((size_t)n != k || memcmp(o->cmp, p, k) != 0) {
            o->differs = true;
            errno = 0;
            return -1;
        }
        o->off += n;
        p += k;
        len -= k;
    }
    return 0;
}

static struct mbox_out *out_new(int (*flush)(struct mbox_out *, const unsigned char *, size_t),
                                int fd, off_t off)
{
    struct mbox_out *o = xmalloc(sizeof(*o));

    o->flush = flush;
    o->fd = fd;
    o->off = off;
    o->total = 0;
    o->write_err = o->differs = false;
    o->len = 0;
    return o;
}

static int out_flush(struct mbox_out *o)
{
    size_t len = o->len;

    o->len = 0;
    return len > 0 && o->flush != NULL ? o->flush(o, o->buf, len) : 0;
}

static int out_put(void *ctx, const void *p, size_t len)
{
    struct mbox_out *o = ctx;

    o->total += (long long)len;
    if (len <= sizeof(o->buf) - o->len) {
        memcpy(o->buf + o->len, p, len);
        o->len += len;
        return 0;
    }
    if (out_flush(o) < 0)
        return -1;
    if (len >= sizeof(o->buf))
        return o->flush != NULL ? o->flush(o, p, len) : 0;
    memcpy(o->buf, p, len);
    o->len = len;
    return 0;
}

/* Everything after the From_ line: headers and content quoted, the empty line. */
static int mbox_body(const struct mbox_msg *msg, struct mbox_out *o)
{
    unsigned char buf[MBOX_IO_SIZE];
    struct mbox_quote q;
    off_t off = msg->content_offset;
    long long left = msg->content_len;

    mbox_quote_init(&q);
    if (mbox_quote(&q, (const unsigned char *)msg->hdr, msg->hdr_len, out_put, o) < 0)
        return -1;
    while (left > 0) {
        size_t want = left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf);
        ssize_t n = pread_full(msg->fd, buf, want, off);

        if (n <= 0) {
            if (n == 0)
                errno = EIO; /* the queue file is shorter than its record says */
            return -1;
        }
        if (mbox_quote(&q, buf, (size_t)n, out_put, o) < 0)
            return -1;
        off += n;
        left -= n;
    }
    if (mbox_quote_end(&q, out_put, o) < 0 || out_put(o, "\n", 1) < 0)
        return -1;
    return out_flush(o);
}

/* --- errors, waiting ---------------------------------------------------- */

static int mbox_fail(char **error_r, int err, const char *fmt, ...) PRINTFLIKE(3, 4);

/* Set *error_r (once) and errno; returns -1. */
static int mbox_fail(char **error_r, int err, const char *fmt, ...)
{
    va_list ap;
    struct buf b;

    if (*error_r == NULL) {
        buf_init(&b, 2 * PATH_MAX + 256);
        va_start(ap, fmt);
        (void)buf_vprintf(&b, fmt, ap);
        va_end(ap);
        *error_r = buf_steal(&b);
    }
    errno = err;
    return -1;
}

/* Sleep between lock attempts, whatever signals come. */
static void mbox_wait(const struct mbox_opts *opts)
{
    struct timespec ts = {.tv_sec = (time_t)(opts->lock_delay_ms / 1000),
                          .tv_nsec = (long)(opts->lock_delay_ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        continue;
    server_watchdog_pat();
}

/* --- locks -------------------------------------------------------------- */

/*
 * Create PATH.lock: 1 when we hold it, 0 when the directory is not ours to
 * write (EACCES: the lock is skipped), -1 on failure.  As Postfix's
 * dot_lockfile(), a lock whose ctime is older than stale_lock_time is
 * broken: its holder died.  Two deliveries that both break one stale lock
 * can still both get in; our own deliveries are kept apart by the fcntl
 * lock that follows, the dotlock is for mail readers.
 */
static int dotlock_take(const char *id, const char *lock, const struct mbox_opts *opts,
                        char **error_r)
{
    struct stat st;
    long long attempt;
    int fd;

    for (attempt = 1;; attempt++) {
        fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) {
            close_quietly(fd);
            return 1;
        }
        if (errno == EACCES)
            return 0;
        if (errno != EEXIST && errno != EINTR)
            return mbox_fail(error_r, errno, "create lock file %s: %s", lock, strerror(errno));
        if (attempt >= opts->lock_attempts)
            return mbox_fail(error_r, EAGAIN, "mailbox is locked: %s still exists after %lld tries",
                             lock, attempt);
        /* lstat: a symlink named PATH.lock is somebody's lock, not a way to
         * make us judge (and remove) another file. */
        if (lstat(lock, &st) == 0 && time(NULL) > st.st_ctime + opts->stale_lock_sec) {
            if (unlink(lock) < 0 && errno != ENOENT)
                return mbox_fail(error_r, errno, "remove stale lock file %s: %s", lock,
                                 strerror(errno));
            msg_warn("%s: removed stale lock file %s", id, lock);
            continue;
        }
        mbox_wait(opts);
    }
}

/* An fcntl() write lock on the whole file, tried like the dotlock. */
static int fcntl_take(int fd, const char *path, const struct mbox_opts *opts, char **error_r)
{
    struct flock fl;
    long long attempt;

    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    for (attempt = 1;; attempt++) {
        if (fcntl(fd, F_SETLK, &fl) == 0)
            return 0;
        if (errno != EACCES && errno != EAGAIN && errno != EINTR)
            return mbox_fail(error_r, errno, "lock %s: %s", path, strerror(errno));
        if (attempt >= opts->lock_attempts)
            return mbox_fail(error_r, EAGAIN,
                             "mailbox %s is locked by another process (fcntl) after %lld tries",
                             path, attempt);
        mbox_wait(opts);
    }
}

/* --- the file ----------------------------------------------------------- */

/*
 * Open for appending, creating it if missing (*created_r).  O_NOFOLLOW: a
 * symlink could point anywhere the user may write; O_NONBLOCK: a FIFO must
 * not hang us before the checks refuse it.  Read access is asked for too
 * (*readable_r), for the checks of the file's end; a file we may only
 * write is still delivered to, without them.
 */
static int mbox_open(const char *path, bool *created_r, bool *readable_r, char **error_r)
{
    const int base = O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
    int tries, fd;

    *created_r = false;
    *readable_r = true;
    /* Twice: a file made by someone else between our two calls is opened. */
    for (tries = 0; tries < 2; tries++) {
        if ((fd = open(path, base | O_RDWR)) >= 0)
            return fd;
        if (errno == EACCES && (fd = open(path, base | O_WRONLY)) >= 0) {
            *readable_r = false;
            return fd;
        }
        if (errno != ENOENT)
            break;
        if ((fd = open(path, base | O_RDWR | O_CREAT | O_EXCL, 0600)) >= 0) {
            *created_r = true;
            return fd;
        }
        if (errno != EEXIST)
            break;
    }
    if (errno == ELOOP)
        return mbox_fail(error_r, EPERM, "mailbox %s is a symbolic link", path);
    return mbox_fail(error_r, errno, "open %s: %s", path, strerror(errno));
}

/* Only a regular file with one name (and the recipient's, for a mailbox). */
static int mbox_check(int fd, const char *path, const struct mbox_opts *opts, struct stat *st,
                      char **error_r)
{
    if (fstat(fd, st) < 0)
        return mbox_fail(error_r, errno, "fstat %s: %s", path, strerror(errno));
    if (!S_ISREG(st->st_mode))
        return mbox_fail(error_r, EPERM, "mailbox %s is not a regular file", path);
    /* A second name could be another user's file, linked here. */
    if (st->st_nlink != 1)
        return mbox_fail(error_r, EPERM, "mailbox %s has %ld links", path, (long)st->st_nlink);
    if ((opts->flags & MBOX_F_OWNER) && st->st_uid != opts->owner)
        return mbox_fail(error_r, EPERM, "mailbox %s is owned by uid %ld, not by the recipient",
                         path, (long)st->st_uid);
    return 0;
}

static bool mbox_same_file(int fd, const char *path, struct stat *st)
{
    struct stat now;

    return fstat(fd, st) == 0 && lstat(path, &now) == 0 && now.st_ino == st->st_ino &&
           now.st_dev == st->st_dev && st->st_nlink == 1;
}

/* Open, check and fcntl-lock the file; *st is its state under the lock. */
static int mbox_open_locked(const char *path, const struct mbox_opts *opts, bool *created_r,
                            bool *readable_r, struct stat *st, char **error_r)
{
    long long tries;
    int fd;

    for (tries = 0; tries < opts->lock_attempts; tries++) {
        if ((fd = mbox_open(path, created_r, readable_r, error_r)) < 0)
            return -1;
        if (mbox_check(fd, path, opts, st, error_r) < 0 ||
            fcntl_take(fd, path, opts, error_r) < 0) {
            int err = errno;

            close_quietly(fd);
            errno = err;
            return -1;
        }
        if (mbox_same_file(fd, path, st))
            return fd;
        close_quietly(fd); /* replaced while we waited for the lock: the new one */
    }
    return mbox_fail(error_r, EAGAIN, "mailbox %s kept being replaced", path);
}

/* What must come before the From_ line so that it starts a message of its own. */
static int mbox_separator(int fd, off_t size, bool readable, const char **sep_r)
{
    unsigned char tail[2];
    size_t n = size >= 2 ? 2 : (size_t)size;

    *sep_r = "";
    /* The last message ends in an empty line (ours always do); one cut off
     * by a crash, or written by other software, may not. */
    if (n == 0 || !readable)
        return 0;
    if (pread_full(fd, tail, n, size - (off_t)n) != (ssize_t)n)
        return -1;
    if (tail[n - 1] != '\n')
        *sep_r = "\n\n";
    else if (n < 2 || tail[0] != '\n')
        *sep_r = "\n";
    return 0;
}

/*
 * How far back from the end a repeated attempt looks for its first copy.
 * Other messages may have been appended since (the retry comes seconds
 * later, and the mailbox takes other mail meanwhile); a copy further back
 * than this is an older retry than any crash recovery makes.
 */
#define MBOX_DUP_WINDOW ((off_t)16 << 20)

/*
 * Is the message whose From_ line starts at offset from this one (body
 * bytes of it), ending at the end of the file or where the next From_ line
 * starts?  1, 0 or -1.
 */
static int mbox_copy_at(int fd, const struct mbox_msg *msg, off_t from, long long body, off_t size,
                        char **error_r)
{
    unsigned char line[MBOX_FROM_MAX];
    size_t n = size - from < (off_t)sizeof(line) ? (size_t)(size - from) : sizeof(line);
    const unsigned char *nl;
    struct mbox_out *o;
    off_t start, end;
    int ret;

    if (pread_full(fd, line, n, from) != (ssize_t)n)
        return mbox_fail(error_r, errno, "read mailbox: %s", strerror(errno));
    if ((nl = memchr(line, '\n', n)) == NULL)
        return 0;
    start = from + (nl - line) + 1;
    end = start + (off_t)body;
    if (end > size)
        return 0;
    if (end < size) {
        unsigned char next[sizeof(mbox_from) - 1];

        if (size - end < (off_t)sizeof(next) ||
            pread_full(fd, next, sizeof(next), end) != (ssize_t)sizeof(next))
            return 0;
        if (memcmp(next, mbox_from, sizeof(next)) != 0)
            return 0;
    }
    o = out_new(flush_compare, fd, start);
    ret = mbox_body(msg, o);
    if (o->differs)
        ret = 0;
    else if (ret < 0)
        ret = mbox_fail(error_r, errno, "read back: %s", strerror(errno));
    else
        ret = 1;
    free(o);
    return ret;
}

/*
 * Is this message in the file (of size bytes) already, among the messages
 * of its last MBOX_DUP_WINDOW bytes?  1, 0 or -1.  Every "From " at the
 * start of a line there is a message boundary (bodies are quoted).
 */
static int mbox_find_copy(int fd, const struct mbox_msg *msg, off_t size, char **error_r)
{
    unsigned char buf[MBOX_IO_SIZE + sizeof(mbox_from)];
    off_t floor = size > MBOX_DUP_WINDOW ? size - MBOX_DUP_WINDOW : 0, hi = size;
    struct mbox_out *o = out_new(NULL, fd, 0);
    long long body;

    if (mbox_body(msg, o) < 0) {
        free(o);
        return mbox_fail(error_r, errno, "read queue file: %s", strerror(errno));
    }
    body = o->total;
    free(o);
    while (hi > floor) {
        off_t lo = hi - floor > MBOX_IO_SIZE ? hi - MBOX_IO_SIZE : floor;
        /* One byte before (the newline a From_ line follows), a few after. */
        off_t first = lo > 0 ? lo - 1 : 0;
        off_t last = size - hi > (off_t)sizeof(mbox_from) ? hi + (off_t)sizeof(mbox_from) : size;
        size_t n = (size_t)(last - first);
        off_t pos;

        if (pread_full(fd, buf, n, first) != (ssize_t)n)
            return mbox_fail(error_r, errno, "read mailbox: %s", strerror(errno));
        for (pos = hi - 1; pos >= lo; pos--) {
            size_t i = (size_t)(pos - first);
            int r;

            if (buf[i] != 'F' || i + sizeof(mbox_from) - 1 > n ||
                memcmp(buf + i, mbox_from, sizeof(mbox_from) - 1) != 0 ||
                (pos > 0 && buf[i - 1] != '\n'))
                continue;
            if ((r = mbox_copy_at(fd, msg, pos, body, size, error_r)) != 0)
                return r;
        }
        hi = lo;
    }
    return 0;
}

/* fsync the directory of path, so that a new file's name is durable. */
static int fsync_parent(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        return fsync_dir(".");
    if (slash == path)
        return fsync_dir("/");
    if ((size_t)(slash - path) >= sizeof(dir)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = 0;
    return fsync_dir(dir);
}

/* Take a failed delivery back: the file as it was, as Postfix's mail_copy() does. */
static void mbox_truncate(const char *id, int fd, const char *path, off_t size)
{
    int ret;

    while ((ret = ftruncate(fd, size)) < 0 && errno == EINTR)
        continue;
    if (ret < 0 || fsync(fd) < 0)
        msg_warn("%s: truncate %s back to %lld bytes: %m; it may end in a partial message", id,
                 path, (long long)size);
}

/* Write separator, From_ line and body, and fsync. */
static int mbox_write(struct mbox_out *o, const char *sep, const struct mbox_msg *msg)
{
    struct buf from;
    int ret;

    buf_init(&from, MBOX_FROM_MAX + 8);
    (void)buf_puts(&from, sep);
    mbox_from_line(&from, msg->sender, msg->date);
    ret = out_put(o, from.data, from.len);
    buf_free(&from);
    if (ret < 0 || mbox_body(msg, o) < 0)
        return -1;
    if (fsync(o->fd) < 0) {
        o->write_err = true;
        return -1;
    }
    return 0;
}

/* With both locks held: the duplicate check, the append, the truncation on failure. */
static int mbox_append(int fd, const char *path, bool created, bool readable,
                       const struct mbox_msg *msg, const struct mbox_opts *opts, off_t size,
                       char **error_r)
{
    struct mbox_out *o;
    const char *sep;
    int ret, err;

    if ((opts->flags & MBOX_F_CHECK_DUP) && readable &&
        (ret = mbox_find_copy(fd, msg, size, error_r)) != 0)
        return ret < 0 ? -1 : MBOX_DUPLICATE;
    if (mbox_separator(fd, size, readable, &sep) < 0)
        return mbox_fail(error_r, errno, "read %s: %s", path, strerror(errno));
    o = out_new(flush_write, fd, 0);
    ret = mbox_write(o, sep, msg);
    if (ret == 0 && created && fsync_parent(path) < 0) {
        o->write_err = true;
        ret = -1;
    }
    if (ret < 0) {
        err = errno;
        mbox_truncate(msg->queue_id, fd, path, size);
        ret = mbox_fail(error_r, err, "%s %s: %s", o->write_err ? "write" : "read queue file for",
                        path, strerror(err));
    }
    free(o);
    if (ret == 0)
        CRASH_POINT(MBOX_SYNCED);
    return ret < 0 ? -1 : MBOX_DELIVERED;
}

/* close() drops the fcntl lock; then the dotlock goes.  errno is kept. */
static void mbox_release(const char *id, int fd, const char *path, const char *lock, bool dotlocked)
{
    int err = errno;

    /* The data is on disk already (fsync), so a failing close loses nothing. */
    if (fd >= 0 && close(fd) < 0 && errno != EINTR)
        msg_warn("%s: close %s: %m", id, path);
    if (dotlocked && unlink(lock) < 0 && errno != ENOENT)
        msg_warn("%s: remove lock file %s: %m; deliveries wait until it is stale", id, lock);
    errno = err;
}

void mbox_opts_init(struct mbox_opts *opts, unsigned flags, uid_t owner)
{
    opts->flags = flags;
    opts->owner = owner;
    opts->lock_attempts = var_deliver_lock_attempts;
    opts->lock_delay_ms = var_deliver_lock_delay * 1000;
    opts->stale_lock_sec = var_stale_lock_time;
}

int mbox_deliver(const char *path, const struct mbox_msg *msg, const struct mbox_opts *opts,
                 char **error_r)
{
    char lock[PATH_MAX];
    bool created = false, readable = false;
    struct stat st;
    int dot, fd, ret;

    *error_r = NULL;
    if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", path) >= sizeof(lock))
        return mbox_fail(error_r, ENAMETOOLONG, "mailbox path too long: %s", path);
    if ((dot = dotlock_take(msg->queue_id, lock, opts, error_r)) < 0)
        return -1;
    if (dot == 0)
        msg_info("%s: cannot create %s (directory not writable by uid %ld): fcntl lock only",
                 msg->queue_id, lock, (long)geteuid());
    if ((fd = mbox_open_locked(path, opts, &created, &readable, &st, error_r)) < 0) {
        mbox_release(msg->queue_id, -1, path, lock, dot > 0);
        return -1;
    }
    ret = mbox_append(fd, path, created, readable, msg, opts, st.st_size, error_r);
    mbox_release(msg->queue_id, fd, path, lock, dot > 0);
    if (ret == MBOX_DELIVERED)
        CRASH_POINT(MBOX_UNLOCKED);
    return ret;
}
