/*
 * pickup_file.c - one maildrop file into the queue (see pickup.h).
 *
 * A maildrop file was written by a local user through postdrop, and
 * anything in maildrop/ is treated as hostile: it must be a regular file
 * with one name, complete, and pass the one queue file parser and
 * maildrop_check() before a byte of it is copied.  Anything else goes to
 * corrupt/ with a log line; nothing is ever removed unread.
 *
 * The copy gets a fresh envelope from the checked file (the owner's uid
 * from the kernel, which must agree with postdrop's record), a Received:
 * header in Postfix's form for local submissions, and the content as it
 * is.  It is written by the normal queue file writer (qfile.h), so it is
 * as durable as anything smtpd accepts before it is handed on.
 */
#include "sys_defs.h"
#include "pickup.h"
#include "crash_point.h"
#include "iostuff.h"
#include "mail_addr.h"
#include "mail_params.h"
#include "maildrop.h"
#include "mymalloc.h"
#include "msg.h"
#include "qfile.h"
#include "qmgr_proto.h"
#include "queue.h"
#include "strutil.h"
#include "virtual.h"

#define PICKUP_CHUNK 65536
#define PICKUP_FUTURE_SECS 7200 /* a clock this far ahead is not believed */

static int pickup_incoming_fd = -1;

void pickup_file_init(void)
{
    pickup_incoming_fd = open(QUEUE_INCOMING, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pickup_incoming_fd < 0)
        msg_fatal("open %s/%s: %m", var_queue_dir, QUEUE_INCOMING);
}

/* rename() that never replaces a file (without RENAME_NOREPLACE: a check first). */
static int rename_noreplace(const char *from, const char *to)
{
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL)
        return -1;
    if (access(to, F_OK) == 0) {
        errno = EEXIST;
        return -1;
    }
    return rename(from, to);
}

/* Keep a file that is not a good maildrop file where the administrator looks. */
bool pickup_corrupt(const char *name, long uid, const char *why)
{
    char from[64], to[96], who[32] = "";
    int r;

    if (uid >= 0)
        snprintf(who, sizeof(who), " uid=%ld:", uid);
    queue_path(from, sizeof(from), QUEUE_MAILDROP, name);
    queue_path(to, sizeof(to), QUEUE_CORRUPT, name);
    /* Never over another file: corrupt/ keeps everything it is given. */
    if ((r = rename_noreplace(from, to)) < 0 && errno == EEXIST) {
        snprintf(to, sizeof(to), "%s/%s.%lld", QUEUE_CORRUPT, name, (long long)time(NULL));
        r = rename_noreplace(from, to);
    }
    if (r < 0) {
        msg_warn("%s:%s %s; cannot move it to %s/: %m; left alone", from, who, why, QUEUE_CORRUPT);
        return false;
    }
    msg_warn("%s:%s %s; moved to %s", from, who, why, to);
    return true;
}

/* Make the removal of a maildrop file durable before its copy may go out. */
static void pickup_sync_maildrop(void)
{
    int fd = open(QUEUE_MAILDROP, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 || fsync(fd) < 0)
        msg_warn("fsync %s/%s: %m", var_queue_dir, QUEUE_MAILDROP);
    if (fd >= 0)
        close_quietly(fd);
}

void pickup_finish(const char *id, const char *key)
{
    char name[PICKUP_KEY_MAX], path[64], *colon, *end;
    unsigned long long ino;
    struct stat st;

    str_copy(name, key, sizeof(name));
    if ((colon = strchr(name, ':')) == NULL) {
        msg_warn("%s: bad %s attribute \"%s\"", id, PICKUP_ATTR_FROM, key);
        return;
    }
    *colon = 0;
    errno = 0;
    ino = strtoull(colon + 1, &end, 10);
    if (errno || *end || !queue_id_ok(name)) {
        msg_warn("%s: bad %s attribute \"%s\"", id, PICKUP_ATTR_FROM, key);
        return;
    }
    queue_path(path, sizeof(path), QUEUE_MAILDROP, name);
    /* The same file, not one that took its name later (names are not reused, but). */
    if (lstat(path, &st) == 0 && (unsigned long long)st.st_ino == ino) {
        if (unlink(path) < 0 && errno != ENOENT) {
            msg_warn("%s: remove %s: %m; the copy waits", id, path);
            return;
        }
        pickup_sync_maildrop();
    }
    CRASH_POINT(PICKUP_REMOVED);
    if (queue_mark_ready(id) < 0) {
        msg_warn("%s: mark ready: %m; the next pickup finishes it", id);
        return;
    }
    CRASH_POINT(PICKUP_READY);
    qmgr_notify_queued(id);
}

/* The arrival time postdrop recorded, unless the clock was off. */
static long long pickup_arrival(const struct qmsg *q, const char *name, time_t now)
{
    if (q->arrival_sec > now + PICKUP_FUTURE_SECS) {
        msg_warn("maildrop/%s: dated %lld seconds into the future", name,
                 q->arrival_sec - (long long)now);
        return now;
    }
    return q->arrival_sec;
}

static void pickup_received(struct qfile_writer *w, long uid, long long arrival)
{
    char date[80], hdr[1024];
    int n;

    str_rfc5322_date(date, sizeof(date), (time_t)arrival);
    /* Postfix's words: the uid is shown, the login name is not. */
    n = snprintf(hdr, sizeof(hdr), "Received: by %s (%s, from userid %ld)\n\tid %s; %s\n",
                 var_myhostname, var_mail_name, uid, w->id, date);
    if (n > 0 && (size_t)n < sizeof(hdr))
        qfile_content_write(w, hdr, (size_t)n);
}

/* The content after our Received:; -1 on a read error. */
static int pickup_content(struct qfile_writer *w, int fd, const struct qmsg *q)
{
    unsigned char *chunk = xmalloc(PICKUP_CHUNK);
    off_t off = q->content_offset;
    long long left = q->content_len;
    bool first = true;

    while (left > 0) {
        ssize_t n = pread_full(fd, chunk, left < PICKUP_CHUNK ? (size_t)left : PICKUP_CHUNK, off);

        if (n <= 0) {
            free(chunk);
            errno = n == 0 ? EIO : errno;
            return -1;
        }
        /* Content starting with white space would continue our Received:. */
        if (first && (chunk[0] == ' ' || chunk[0] == '\t'))
            qfile_content_write(w, "\n", 1);
        first = false;
        qfile_content_write(w, chunk, (size_t)n);
        off += n;
        left -= n;
    }
    free(chunk);
    return 0;
}

/* A recipient after virtual alias expansion, with the notify bits sendmail gave. */
struct pickup_rcpt_ctx {
    struct qfile_writer *w;
    int notify;
};

static void pickup_put_rcpt(const char *address, const char *orig, void *ctx)
{
    struct pickup_rcpt_ctx *c = ctx;

    qfile_put_rcpt(c->w, address, str_eq_nocase(address, orig) ? NULL : orig, c->notify);
}

/*
 * The recipients, virtual aliases expanded as smtpd does (virtual.h).  -1
 * (logged) if they could not be: the maildrop file stays, to be tried again
 * when the table is back or fixed.
 */
static int pickup_rcpts(struct qfile_writer *w, const struct qmsg *q, const char *name)
{
    struct pickup_rcpt_ctx c = {.w = w};
    struct virtual_rcpts v;
    char *err = NULL;
    size_t i;
    int ret = 0;

    virtual_rcpts_init(&v, pickup_put_rcpt, &c);
    for (i = 0; i < q->nrcpts && ret == 0; i++) {
        c.notify = q->rcpts[i].notify;
        if ((ret = virtual_rcpts_add(&v, q->rcpts[i].address, &err)) < 0) {
            msg_warn("maildrop/%s: %s; trying again later", name, err);
            free(err);
        }
    }
    virtual_rcpts_free(&v);
    return ret;
}

/* Write the unready copy; its queue ID into id.  -1 (logged) if it could not be. */
static int pickup_copy(int fd, const struct qmsg *q, const char *name, const struct stat *st,
                       char *id, size_t len)
{
    struct qfile_writer w;
    struct timeval now;
    char text[64];
    long long arrival;
    const char *why;
    size_t i;

    gettimeofday(&now, NULL);
    if (qfile_create(&w, &now, &why) < 0) {
        msg_warn("maildrop/%s: create queue file: %s; trying again later", name, why);
        return -1;
    }
    arrival = pickup_arrival(q, name, now.tv_sec);
    snprintf(text, sizeof(text), "%lld %ld", arrival, q->arrival_usec);
    qfile_put(&w, QFILE_REC_TIME, text, strlen(text));
    qfile_put(&w, QFILE_REC_SENDER, q->sender, strlen(q->sender));
    snprintf(text, sizeof(text), "%ld", (long)st->st_uid);
    qfile_put_attr(&w, MAILDROP_ATTR_UID, text);
    snprintf(text, sizeof(text), "%s:%llu", name, (unsigned long long)st->st_ino);
    qfile_put_attr(&w, PICKUP_ATTR_FROM, text);
    for (i = 1; i < q->nattrs; i++) /* the first is postdrop's uid */
        qfile_put_attr(&w, q->attrs[i].name, q->attrs[i].value);
    if (pickup_rcpts(&w, q, name) < 0) {
        qfile_abort(&w);
        return -1;
    }
    qfile_content_begin(&w);
    pickup_received(&w, (long)st->st_uid, arrival);
    if (pickup_content(&w, fd, q) < 0) {
        msg_warn("maildrop/%s: read: %m; trying again later", name);
        qfile_abort(&w);
        return -1;
    }
    qfile_content_end(&w);
    str_copy(id, w.id, len);
    if (qfile_commit_unready(&w, pickup_incoming_fd) < 0) {
        msg_warn("%s: queue file write error: %m; maildrop/%s stays for later", id, name);
        return -1;
    }
    return 0;
}

static void pickup_log(const char *id, const struct stat *st, const struct qmsg *q)
{
    struct buf from;

    buf_init(&from, 4 * MAIL_ADDR_TEXT_MAX + 8);
    mail_addr_quote_internal(q->sender, &from);
    msg_info("%s: uid=%ld from=<%s>", id, (long)st->st_uid, buf_str(&from));
    buf_free(&from);
}

/* Open maildrop/name as a file that may be read; -1 (and *moved) otherwise. */
static int pickup_open(const char *name, struct stat *st, bool *moved)
{
    char path[64];
    int fd;

    *moved = false;
    queue_path(path, sizeof(path), QUEUE_MAILDROP, name);
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
        if (errno == ELOOP || errno == EACCES)
            *moved = pickup_corrupt(name, -1, errno == ELOOP ? "a symbolic link" : "unreadable");
        else if (errno != ENOENT)
            msg_warn("open %s: %m", path);
        return -1;
    }
    if (fstat(fd, st) < 0) {
        msg_warn("fstat %s: %m", path);
        close_quietly(fd);
        return -1;
    }
    if (!S_ISREG(st->st_mode) || st->st_nlink != 1) {
        *moved = pickup_corrupt(name, (long)st->st_uid, "not a regular file with one name");
        close_quietly(fd);
        return -1;
    }
    /* Not ready: postdrop is at it, unless it died a while ago (maildrop.h). */
    if (!MAILDROP_IS_READY(st->st_mode) && time(NULL) - st->st_ctime < MAILDROP_ORPHAN_SECS) {
        close_quietly(fd);
        return -1;
    }
    return fd;
}

bool pickup_file(const char *name)
{
    char id[QUEUE_ID_MAX + 1], key[PICKUP_KEY_MAX];
    struct stat st;
    struct qmsg q;
    const char *why;
    bool moved;
    int fd;

    if ((fd = pickup_open(name, &st, &moved)) < 0)
        return moved;
    if (st.st_size > maildrop_file_max(var_message_size_limit)) {
        close_quietly(fd);
        return pickup_corrupt(name, (long)st.st_uid, "file too large");
    }
    if (qfile_read(fd, &q, &why) < 0) {
        close_quietly(fd);
        return pickup_corrupt(name, (long)st.st_uid, why);
    }
    if (maildrop_check(&q, st.st_uid, var_message_size_limit, NULL, &why) < 0) {
        qmsg_free(&q);
        close_quietly(fd);
        return pickup_corrupt(name, (long)st.st_uid, why);
    }
    if (pickup_copy(fd, &q, name, &st, id, sizeof(id)) < 0) {
        qmsg_free(&q);
        close_quietly(fd);
        return false;
    }
    close_quietly(fd);
    pickup_log(id, &st, &q);
    qmsg_free(&q);
    CRASH_POINT(PICKUP_COPIED);
    snprintf(key, sizeof(key), "%s:%llu", name, (unsigned long long)st.st_ino);
    pickup_finish(id, key);
    return true;
}
