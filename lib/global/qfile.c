/*
 * qfile.c - queue file records: the writer, the one parser, status updates.
 *
 * The parser is shared by every reader (qmgr, delivery agents, the queue
 * commands and the fuzz target): qfile_parse() reads a file held in memory,
 * qfile_read() pulls the same records through a small window over a
 * descriptor and seeks over the content.  Both end in qfile_record(), the
 * only place that knows what a record may contain.
 */
#include "sys_defs.h"
#include "qfile.h"
#include "queue.h"
#include "mail_addr.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"
#include "byteorder.h"
#include "crash_point.h"

#define QFILE_WINDOW (QFILE_REC_MAX + QFILE_REC_HDR + 4096)
#define QFILE_OUT_MAX (256 * 1024)

/* Parser ---------------------------------------------------------------- */

struct qparse {
    struct qmsg *m;
    char *orcpt;     /* from an 'O' record, waiting for its 'R' */
    char *dsn_orcpt; /* from a 'D' record, waiting for its 'R' */
    unsigned seen;   /* bit per record type that may appear once */
    size_t rcpt_cap;
    size_t attr_cap;
};

#define SEEN_T 0x1
#define SEEN_F 0x2
#define SEEN_M 0x4

static bool qfile_text_ok(const unsigned char *d, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (d[i] == 0 || d[i] == '\n' || d[i] == '\r')
            return false;
    return true;
}

static int qfile_address_ok(const unsigned char *d, size_t len, bool allow_null)
{
    char text[MAIL_ADDR_TEXT_MAX + 1];
    struct mail_addr a;

    if (len == 0)
        return allow_null ? 0 : -1;
    if (len > MAIL_ADDR_TEXT_MAX || !qfile_text_ok(d, len))
        return -1;
    memcpy(text, d, len);
    text[len] = 0;
    return mail_addr_from_internal(text, &a);
}

static int qfile_time(struct qmsg *m, const unsigned char *d, size_t len)
{
    char text[48], *end;
    long long sec;
    long usec;

    if (len == 0 || len >= sizeof(text) || !qfile_text_ok(d, len))
        return -1;
    memcpy(text, d, len);
    text[len] = 0;
    errno = 0;
    sec = strtoll(text, &end, 10);
    if (errno || end == text || *end != ' ' || sec < 0 || !isdigit((unsigned char)end[1]))
        return -1;
    usec = strtol(end + 1, &end, 10);
    if (errno || *end != 0 || usec < 0 || usec > 999999 || !isdigit((unsigned char)text[0]))
        return -1;
    m->arrival_sec = sec;
    m->arrival_usec = usec;
    return 0;
}

static int qfile_attr(struct qparse *st, const unsigned char *d, size_t len)
{
    const unsigned char *eq = memchr(d, '=', len);
    struct qmsg *m = st->m;
    size_t i;

    if (eq == NULL || eq == d || !qfile_text_ok(d, len) || m->nattrs >= QFILE_ATTR_MAX)
        return -1;
    for (i = 0; d + i < eq; i++)
        if (!((d[i] >= 'a' && d[i] <= 'z') || d[i] == '_' || (d[i] >= '0' && d[i] <= '9')))
            return -1;
    if (m->nattrs == st->attr_cap) {
        st->attr_cap = st->attr_cap ? st->attr_cap * 2 : 8;
        m->attrs = xreallocarray(m->attrs, st->attr_cap, sizeof(*m->attrs));
    }
    m->attrs[m->nattrs].name = xstrndup((const char *)d, (size_t)(eq - d));
    m->attrs[m->nattrs].value = xstrndup((const char *)eq + 1, len - (size_t)(eq - d) - 1);
    m->nattrs++;
    return 0;
}

static int qfile_rcpt(struct qparse *st, const unsigned char *d, size_t len, off_t off)
{
    struct qmsg *m = st->m;
    struct qrcpt *r;

    if (len < 3 || m->nrcpts >= QFILE_RCPT_MAX)
        return -1;
    if (d[0] != QFILE_RCPT_PENDING && d[0] != QFILE_RCPT_DELIVERED && d[0] != QFILE_RCPT_FAILED)
        return -1;
    if (d[1] < '0' || d[1] > '0' + 15)
        return -1;
    if (qfile_address_ok(d + 2, len - 2, false) < 0)
        return -1;
    if (m->nrcpts == st->rcpt_cap) {
        st->rcpt_cap = st->rcpt_cap ? st->rcpt_cap * 2 : 8;
        m->rcpts = xreallocarray(m->rcpts, st->rcpt_cap, sizeof(*m->rcpts));
    }
    r = m->rcpts + m->nrcpts++;
    r->status = (char)d[0];
    r->notify = d[1] - '0';
    r->address = xstrndup((const char *)d + 2, len - 2);
    r->orcpt = st->orcpt;
    r->dsn_orcpt = st->dsn_orcpt;
    st->dsn_orcpt = NULL;
    r->offset = off;
    st->orcpt = NULL;
    return 0;
}

/*
 * Check one record and add it to the message.  off is the file offset of
 * the record's data.  Returns 1 after the end record, 0 to go on, -1 if bad.
 */
static int qfile_record(struct qparse *st, int type, const unsigned char *d, size_t len, off_t off,
                        const char **error_r)
{
    struct qmsg *m = st->m;

    if ((st->orcpt || st->dsn_orcpt) && type != QFILE_REC_RCPT && type != QFILE_REC_ORCPT &&
        type != QFILE_REC_DSN_ORCPT) {
        *error_r = "original recipient without recipient";
        return -1;
    }
    switch (type) {
    case QFILE_REC_TIME:
        if ((st->seen & SEEN_T) || qfile_time(m, d, len) < 0)
            goto bad;
        st->seen |= SEEN_T;
        return 0;
    case QFILE_REC_SENDER:
        if ((st->seen & SEEN_F) || qfile_address_ok(d, len, true) < 0)
            goto bad;
        m->sender = xstrndup((const char *)d, len);
        st->seen |= SEEN_F;
        return 0;
    case QFILE_REC_ATTR:
        return qfile_attr(st, d, len) < 0 ? (*error_r = "bad attribute record", -1) : 0;
    case QFILE_REC_ORCPT:
        if (len == 0 || len > 1000 || !qfile_text_ok(d, len))
            goto bad;
        if (st->orcpt) {
            *error_r = "original recipient without recipient";
            return -1;
        }
        st->orcpt = xstrndup((const char *)d, len);
        return 0;
    case QFILE_REC_DSN_ORCPT:
        /* "type;address" as smtp_esmtp.c decoded it: printable, bounded. */
        if (st->dsn_orcpt) {
            *error_r = "original recipient without recipient";
            return -1;
        }
        if (len < 2 || len > 600 || !qfile_text_ok(d, len) || memchr(d, ';', len) == NULL)
            goto bad;
        st->dsn_orcpt = xstrndup((const char *)d, len);
        return 0;
    case QFILE_REC_RCPT:
        return qfile_rcpt(st, d, len, off) < 0 ? (*error_r = "bad recipient record", -1) : 0;
    case QFILE_REC_CONTENT:
        if (st->seen & SEEN_M)
            goto bad;
        m->content_offset = off;
        m->content_len = (long long)len;
        st->seen |= SEEN_M;
        return 0;
    case QFILE_REC_END:
        if (len != 0 || (st->seen & (SEEN_T | SEEN_F | SEEN_M)) != (SEEN_T | SEEN_F | SEEN_M) ||
            m->nrcpts == 0) {
            *error_r = "incomplete queue file";
            return -1;
        }
        return 1;
    default:
        *error_r = "unknown record type";
        return -1;
    }

bad:
    *error_r = "bad or repeated record";
    return -1;
}

static int qfile_version_ok(int type, const unsigned char *d, size_t len)
{
    return type == QFILE_REC_VERSION && len == strlen(QFILE_VERSION) &&
           memcmp(d, QFILE_VERSION, len) == 0;
}

static void qfile_parse_fail(struct qparse *st)
{
    free(st->orcpt);
    st->orcpt = NULL;
    free(st->dsn_orcpt);
    st->dsn_orcpt = NULL;
    qmsg_free(st->m);
}

int qfile_parse(const unsigned char *p, size_t len, struct qmsg *m, const char **error_r)
{
    struct qparse st = {.m = m};
    size_t pos = 0;
    int ret = 0;

    memset(m, 0, sizeof(*m));
    while (ret == 0) {
        size_t rlen;
        int type;

        if (len - pos < QFILE_REC_HDR) {
            *error_r = "truncated queue file";
            goto fail;
        }
        type = p[pos];
        rlen = be32_get(p + pos + 1);
        pos += QFILE_REC_HDR;
        if (rlen > len - pos || (type != QFILE_REC_CONTENT && rlen > QFILE_REC_MAX)) {
            *error_r = "truncated queue file";
            goto fail;
        }
        if (pos == QFILE_REC_HDR) {
            if (!qfile_version_ok(type, p + pos, rlen)) {
                *error_r = "not a queue file";
                goto fail;
            }
        } else if ((ret = qfile_record(&st, type, p + pos, rlen, (off_t)pos, error_r)) < 0) {
            goto fail;
        }
        pos += rlen;
    }
    if (pos != len) {
        *error_r = "data after end record";
        goto fail;
    }
    return 0;

fail:
    qfile_parse_fail(&st);
    return -1;
}

/* Make sure bytes [off, off+need) of the file are in the window. */
static int qfile_window(int fd, unsigned char *win, off_t *base, size_t *wlen, off_t off,
                        size_t need)
{
    ssize_t n;

    if (off >= *base && off + (off_t)need <= *base + (off_t)*wlen)
        return 0;
    n = pread_full(fd, win, QFILE_WINDOW, off);
    if (n < 0)
        return -1;
    *base = off;
    *wlen = (size_t)n;
    if ((size_t)n < need) {
        errno = 0;
        return -1;
    }
    return 0;
}

int qfile_read(int fd, struct qmsg *m, const char **error_r)
{
    struct qparse st = {.m = m};
    unsigned char *win = xmalloc(QFILE_WINDOW);
    off_t base = 0, pos = 0;
    size_t wlen = 0;
    struct stat sb;
    int ret = 0;

    memset(m, 0, sizeof(*m));
    while (ret == 0) {
        const unsigned char *h;
        size_t rlen;
        int type;

        if (qfile_window(fd, win, &base, &wlen, pos, QFILE_REC_HDR) < 0)
            goto ioerr;
        h = win + (pos - base);
        type = h[0];
        rlen = be32_get(h + 1);
        pos += QFILE_REC_HDR;
        if (pos == QFILE_REC_HDR && type != QFILE_REC_VERSION) {
            *error_r = "not a queue file";
            goto fail;
        }
        if (type == QFILE_REC_CONTENT) {
            ret = qfile_record(&st, type, NULL, rlen, pos, error_r);
            pos += (off_t)rlen;
            if (ret < 0)
                goto fail;
            continue;
        }
        if (rlen > QFILE_REC_MAX) {
            *error_r = "record too long";
            goto fail;
        }
        if (qfile_window(fd, win, &base, &wlen, pos, rlen) < 0)
            goto ioerr;
        if (pos == QFILE_REC_HDR) {
            if (!qfile_version_ok(type, win + (pos - base), rlen)) {
                *error_r = "not a queue file";
                goto fail;
            }
        } else if ((ret = qfile_record(&st, type, win + (pos - base), rlen, pos, error_r)) < 0) {
            goto fail;
        }
        pos += (off_t)rlen;
    }
    if (fstat(fd, &sb) < 0)
        goto ioerr;
    if (sb.st_size != pos) {
        *error_r = "data after end record";
        goto fail;
    }
    free(win);
    return 0;

ioerr:
    *error_r = errno ? strerror(errno) : "truncated queue file";
fail:
    free(win);
    qfile_parse_fail(&st);
    return -1;
}

void qmsg_free(struct qmsg *m)
{
    size_t i;

    for (i = 0; i < m->nattrs; i++) {
        free(m->attrs[i].name);
        free(m->attrs[i].value);
    }
    for (i = 0; i < m->nrcpts; i++) {
        free(m->rcpts[i].address);
        free(m->rcpts[i].orcpt);
        free(m->rcpts[i].dsn_orcpt);
    }
    free(m->attrs);
    free(m->rcpts);
    free(m->sender);
    memset(m, 0, sizeof(*m));
}

const char *qmsg_attr(const struct qmsg *m, const char *name)
{
    size_t i;

    for (i = 0; i < m->nattrs; i++)
        if (strcmp(m->attrs[i].name, name) == 0)
            return m->attrs[i].value;
    return NULL;
}

int qfile_get_status(int fd, off_t offset)
{
    unsigned char c;

    if (pread_full(fd, &c, 1, offset) != 1)
        return -1;
    return c;
}

int qfile_set_status(int fd, off_t offset, char status)
{
    int cur = qfile_get_status(fd, offset);
    unsigned char c = (unsigned char)status;

    if (cur < 0)
        return -1;
    if (cur != QFILE_RCPT_PENDING) {
        errno = EALREADY;
        return -1;
    }
    return pwrite_full(fd, &c, 1, offset);
}

/* Writer ---------------------------------------------------------------- */

static void qfile_flush(struct qfile_writer *w)
{
    if (w->out.len == 0)
        return;
    if (w->error == 0 && write_full(w->fd, w->out.data, w->out.len) < 0)
        w->error = errno;
    w->pos += (off_t)w->out.len;
    buf_reset(&w->out);
}

static void qfile_emit(struct qfile_writer *w, const void *p, size_t len)
{
    if (w->out.len + len > w->out.max)
        qfile_flush(w);
    if (len > w->out.max) {
        if (w->error == 0 && write_full(w->fd, p, len) < 0)
            w->error = errno;
        w->pos += (off_t)len;
        return;
    }
    if (buf_append(&w->out, p, len) < 0)
        msg_panic("qfile_emit: buffer overflow");
}

static void qfile_header(struct qfile_writer *w, int type, size_t len)
{
    unsigned char h[QFILE_REC_HDR];

    h[0] = (unsigned char)type;
    be32_put(h + 1, (uint32_t)len);
    qfile_emit(w, h, sizeof(h));
}

/*
 * Claim a recycled file from spare/ under w->tmp_path.  Its contents are
 * thrown away (O_TRUNC) and its mode reset to "not ready" (queue.h).  A
 * file that has another name, or is not ours, is never written into: some
 * other message may live in it.
 */
static int qfile_open_spare(struct qfile_writer *w)
{
    struct stat st;
    int fd;

    if (queue_spare_take(w->tmp_path) < 0)
        return -1;
    CRASH_POINT(SMTPD_SPARE_TAKEN);
    fd = open(w->tmp_path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
        st.st_uid == geteuid() && ftruncate(fd, 0) == 0 && fchmod(fd, QUEUE_MODE_NEW) == 0)
        return fd;
    msg_warn("%s: spare queue file is shared, not ours, or unusable; not reused", w->tmp_path);
    if (fd >= 0)
        close_quietly(fd);
    if (unlink(w->tmp_path) < 0 && errno != ENOENT)
        msg_warn("remove %s: %m", w->tmp_path);
    return -1;
}

int qfile_create(struct qfile_writer *w, const struct timeval *arrival, const char **error_r)
{
    static unsigned seq;
    struct stat st;

    memset(w, 0, sizeof(*w));
    snprintf(w->tmp_path, sizeof(w->tmp_path), "%s/.%ld.%u", QUEUE_INCOMING, (long)getpid(), seq++);
    /* A recycled file if there is one (see queue.h), else a new one. */
    if ((w->fd = qfile_open_spare(w)) < 0)
        w->fd = open(w->tmp_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, QUEUE_MODE_NEW);
    if (w->fd < 0) {
        *error_r = strerror(errno);
        return -1;
    }
    if (fstat(w->fd, &st) < 0) {
        *error_r = strerror(errno);
        qfile_abort(w);
        return -1;
    }
    queue_id_make(w->id, sizeof(w->id), arrival->tv_usec, st.st_ino);
    buf_init(&w->out, QFILE_OUT_MAX);
    qfile_put(w, QFILE_REC_VERSION, QFILE_VERSION, strlen(QFILE_VERSION));
    return 0;
}

void qfile_put(struct qfile_writer *w, int type, const void *data, size_t len)
{
    if (w->in_content)
        msg_panic("qfile_put: record inside content");
    if (len > QFILE_REC_MAX)
        msg_panic("qfile_put: record too long");
    qfile_header(w, type, len);
    qfile_emit(w, data, len);
}

void qfile_put_rcpt(struct qfile_writer *w, const char *address, const char *orcpt, int notify)
{
    qfile_put_rcpt_dsn(w, address, orcpt, notify, NULL);
}

void qfile_put_rcpt_dsn(struct qfile_writer *w, const char *address, const char *orcpt, int notify,
                        const char *dsn_orcpt)
{
    char head[2] = {QFILE_RCPT_PENDING, (char)('0' + (notify & 15))};
    size_t alen = strlen(address);

    if (dsn_orcpt && *dsn_orcpt)
        qfile_put(w, QFILE_REC_DSN_ORCPT, dsn_orcpt, strlen(dsn_orcpt));
    if (orcpt)
        qfile_put(w, QFILE_REC_ORCPT, orcpt, strlen(orcpt));
    qfile_header(w, QFILE_REC_RCPT, 2 + alen);
    qfile_emit(w, head, 2);
    qfile_emit(w, address, alen);
}

void qfile_put_attr(struct qfile_writer *w, const char *name, const char *value)
{
    size_t nlen = strlen(name), vlen = strlen(value);

    if (nlen + 1 + vlen > QFILE_REC_MAX)
        vlen = QFILE_REC_MAX - nlen - 1;
    qfile_header(w, QFILE_REC_ATTR, nlen + 1 + vlen);
    qfile_emit(w, name, nlen);
    qfile_emit(w, "=", 1);
    qfile_emit(w, value, vlen);
}

void qfile_content_begin(struct qfile_writer *w)
{
    w->content_hdr = w->pos + (off_t)w->out.len;
    qfile_header(w, QFILE_REC_CONTENT, 0);
    w->in_content = true;
    w->content_len = 0;
    w->last_byte = '\n';
}

void qfile_content_write(struct qfile_writer *w, const void *p, size_t len)
{
    if (!w->in_content)
        msg_panic("qfile_content_write: not in content");
    if (len == 0)
        return;
    qfile_emit(w, p, len);
    w->content_len += (long long)len;
    w->last_byte = ((const unsigned char *)p)[len - 1];
}

void qfile_content_end(struct qfile_writer *w)
{
    unsigned char h[QFILE_REC_HDR];

    if (w->content_len > QFILE_CONTENT_MAX)
        msg_panic("qfile_content_end: content too large");
    qfile_flush(w);
    h[0] = QFILE_REC_CONTENT;
    be32_put(h + 1, (uint32_t)w->content_len);
    if (w->error == 0 && pwrite_full(w->fd, h, sizeof(h), w->content_hdr) < 0)
        w->error = errno;
    w->in_content = false;
}

/* Write, sync and name the file; the name is not ready yet (queue.h). */
static int qfile_commit_name(struct qfile_writer *w, const char *path)
{
    qfile_header(w, QFILE_REC_END, 0);
    qfile_flush(w);
    if (w->error != 0)
        return -1;
    CRASH_POINT(SMTPD_TEMP_WRITTEN);
    if (fdatasync(w->fd) < 0) {
        w->error = errno;
        return -1;
    }
    CRASH_POINT(SMTPD_TEMP_SYNCED);
    /* RENAME_NOREPLACE: never overwrite a queue file, even in theory. */
    if (renameat2(AT_FDCWD, w->tmp_path, AT_FDCWD, path, RENAME_NOREPLACE) < 0 &&
        (errno != EINVAL || rename(w->tmp_path, path) < 0)) {
        w->error = errno;
        return -1;
    }
    CRASH_POINT(SMTPD_RENAMED);
    return 0;
}

/* The writer is done with the file (which keeps its name). */
static void qfile_done(struct qfile_writer *w)
{
    close_quietly(w->fd);
    w->fd = -1;
    buf_free(&w->out);
}

/*
 * The name may not be durable, or the file cannot be marked ready: the
 * client must keep the message.  The file is not ready, so no running qmgr
 * has taken it, and removing the name cannot lose or duplicate anything.
 */
static int qfile_take_back(struct qfile_writer *w, const char *path, int err)
{
    if (unlink(path) < 0 && errno == ENOENT) {
        /* Only a qmgr that was just starting takes unready files; it has
         * this one, so it will be delivered: say so, not 4xx. */
        msg_warn("%s: commit: %s; the queue manager has taken the message", w->id, strerror(err));
        qfile_done(w);
        return 0;
    }
    qfile_done(w);
    errno = err;
    return -1;
}

static int qfile_commit_as(struct qfile_writer *w, int dirfd, bool ready)
{
    char path[64];
    int err;

    snprintf(path, sizeof(path), "%s/%s", QUEUE_INCOMING, w->id);
    if (qfile_commit_name(w, path) < 0) {
        err = w->error;
        qfile_abort(w);
        errno = err;
        return -1;
    }
    if (fsync(dirfd) < 0)
        return qfile_take_back(w, path, errno);
    CRASH_POINT(SMTPD_DIR_SYNCED);
    /* The decision to accept; it need not be durable itself (queue.h). */
    if (ready && fchmod(w->fd, QUEUE_MODE_READY) < 0)
        return qfile_take_back(w, path, errno);
    if (ready)
        CRASH_POINT(SMTPD_READY);
    qfile_done(w);
    return 0;
}

int qfile_commit(struct qfile_writer *w, int dirfd)
{
    return qfile_commit_as(w, dirfd, true);
}

int qfile_commit_unready(struct qfile_writer *w, int dirfd)
{
    return qfile_commit_as(w, dirfd, false);
}

void qfile_abort(struct qfile_writer *w)
{
    if (w->fd >= 0) {
        close_quietly(w->fd);
        w->fd = -1;
        if (unlink(w->tmp_path) < 0 && errno != ENOENT)
            msg_warn("remove %s: %m", w->tmp_path);
    }
    buf_free(&w->out);
}
