/*
 * local_resubmit.c - forwarding: an alias, .forward or include file names
 * an address of another domain, so the message goes back into the queue
 * for it, as Postfix's local does through cleanup.  All the addresses one
 * recipient expands to go into one new queue file, with the same sender and
 * content, a Delivered-To: header for the recipient (so that a loop back
 * to us is seen), and the attribute forwarded_from=ID:OFFSET naming the
 * recipient it came from.
 *
 * Exactly once, whatever crashes: the new file is made not ready (queue.h),
 * so qmgr leaves it alone; local.c marks the original recipient done and
 * fdatasyncs, and only then is the copy marked ready and qmgr told.  If the
 * recipient is deferred instead, the copy is removed.  A crash before the
 * recipient was marked leaves the unready copy, which the next attempt
 * finds by its forwarded_from and uses instead of making another; a crash
 * after it leaves an unready copy whose recipient is done, which qmgr takes
 * once it is older than a minute (qmgr_message.c).
 *
 * All of it runs with mail_owner's rights: incoming/ is mail_owner's.
 */
#include "sys_defs.h"
#include "local.h"
#include "crash_point.h"
#include "iostuff.h"
#include "mail_params.h"
#include "mymalloc.h"
#include "msg.h"
#include "priv.h"
#include "qmgr_proto.h"
#include "strutil.h"

#define FORWARD_CHUNK 65536

/* ID:OFFSET of the recipient a copy comes from. */
static void forward_key(const struct local_dest *d, char *out, size_t len)
{
    snprintf(out, len, "%s:%lld", d->m->queue_id, (long long)d->rcpt->offset);
}

/* Is incoming/name an unready copy made for key?  (As mail_owner.) */
static bool copy_for(const char *name, const char *key)
{
    char path[64];
    struct stat st;
    struct qmsg q;
    const char *why, *v;
    bool hit = false;
    int fd;

    queue_path(path, sizeof(path), QUEUE_INCOMING, name);
    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || QUEUE_MODE_IS_READY(st.st_mode))
        return false;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0)
        return false;
    if (qfile_read(fd, &q, &why) == 0) {
        hit = (v = qmsg_attr(&q, "forwarded_from")) != NULL && strcmp(v, key) == 0;
        qmsg_free(&q);
    }
    close_quietly(fd);
    return hit;
}

/* The copy an earlier attempt made for key, if it is still waiting. */
static bool find_copy(const char *key, char *id, size_t len)
{
    struct dirent *de;
    DIR *dir;
    bool found = false;

    if ((dir = opendir(QUEUE_INCOMING)) == NULL)
        return false;
    while (!found && (de = readdir(dir)) != NULL) {
        if (queue_id_ok(de->d_name) && copy_for(de->d_name, key)) {
            str_copy(id, de->d_name, len);
            found = true;
        }
    }
    (void)closedir(dir);
    return found;
}

/* The content: a Delivered-To: line, then the message's own. */
static int copy_content(struct qfile_writer *w, const struct local_dest *d)
{
    const struct local_msg *m = d->m;
    char *lc = xstrdup(d->rcpt->address);
    struct buf hdr;
    unsigned char *chunk = xmalloc(FORWARD_CHUNK);
    off_t off = m->q->content_offset;
    long long left = m->q->content_len;

    str_lower(lc);
    buf_init(&hdr, 4 * MAIL_ADDR_TEXT_MAX + 32);
    (void)buf_puts(&hdr, "Delivered-To: ");
    mail_addr_quote_internal(lc, &hdr);
    (void)buf_puts(&hdr, "\n");
    qfile_content_begin(w);
    qfile_content_write(w, hdr.data, hdr.len);
    buf_free(&hdr);
    free(lc);
    while (left > 0) {
        ssize_t n =
            pread_full(m->fd, chunk, left < FORWARD_CHUNK ? (size_t)left : FORWARD_CHUNK, off);

        if (n <= 0) {
            free(chunk);
            errno = n == 0 ? EIO : errno;
            return -1;
        }
        qfile_content_write(w, chunk, (size_t)n);
        off += n;
        left -= n;
    }
    free(chunk);
    qfile_content_end(w);
    return 0;
}

/* Write the new queue file; its ID into id.  -1 with *why_r. */
static int write_copy(const struct local_dest *d, char *const *addrs, size_t n, const char *key,
                      char *id, size_t len, const char **why_r)
{
    const struct qmsg *q = d->m->q;
    struct qfile_writer w;
    struct timeval now;
    char text[64];
    int dirfd, ret;
    size_t i;

    gettimeofday(&now, NULL);
    if (qfile_create(&w, &now, why_r) < 0)
        return -1;
    snprintf(text, sizeof(text), "%lld %ld", (long long)now.tv_sec, (long)now.tv_usec);
    qfile_put(&w, QFILE_REC_TIME, text, strlen(text));
    qfile_put(&w, QFILE_REC_SENDER, q->sender, strlen(q->sender));
    qfile_put_attr(&w, "forwarded_from", key);
    for (i = 0; i < n; i++)
        qfile_put_rcpt(&w, addrs[i], d->rcpt->address, 0);
    if (copy_content(&w, d) < 0) {
        *why_r = strerror(errno);
        qfile_abort(&w);
        return -1;
    }
    if ((dirfd = open(QUEUE_INCOMING, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        *why_r = strerror(errno);
        qfile_abort(&w);
        return -1;
    }
    str_copy(id, w.id, len);
    ret = qfile_commit_unready(&w, dirfd);
    close_quietly(dirfd);
    if (ret < 0)
        *why_r = strerror(errno);
    return ret;
}

void local_resubmit(const struct local_dest *d, char *const *addrs, size_t n,
                    struct local_result *res)
{
    char key[QUEUE_ID_MAX + 32], id[QUEUE_ID_MAX + 1] = "";
    const char *why = NULL;
    int ret = 0;

    res->forward_id[0] = 0;
    forward_key(d, key, sizeof(key));
    if (priv_as_user(var_owner_uid, var_owner_gid) < 0) {
        local_result_set(res, DELIVER_DEFERRED, "4.3.0", "cannot take mail_owner's rights: %s",
                         strerror(errno));
        return;
    }
    if (!find_copy(key, id, sizeof(id)))
        ret = write_copy(d, addrs, n, key, id, sizeof(id), &why);
    priv_as_root();
    if (ret < 0) {
        bool full = errno == ENOSPC || errno == EDQUOT;

        local_result_set(res, DELIVER_DEFERRED, full ? "4.3.1" : "4.3.0",
                         "cannot forward the message: %s", why);
        return;
    }
    CRASH_POINT(LOCAL_FORWARDED);
    str_copy(res->forward_id, id, sizeof(res->forward_id));
    local_result_set(res, DELIVER_SENT, "2.0.0", "forwarded as %s", id);
}

void local_resubmit_finish(const char *forward_id, bool ready)
{
    char path[64];

    if (forward_id[0] == 0)
        return;
    if (priv_as_user(var_owner_uid, var_owner_gid) < 0) {
        msg_warn("%s: cannot take mail_owner's rights: %m; the copy waits for qmgr", forward_id);
        return;
    }
    if (ready) {
        if (queue_mark_ready(forward_id) < 0)
            msg_warn("%s: mark ready: %m; qmgr takes it later", forward_id);
        else
            qmgr_notify_queued(forward_id);
    } else {
        queue_path(path, sizeof(path), QUEUE_INCOMING, forward_id);
        if (unlink(path) < 0 && errno != ENOENT)
            msg_warn("remove %s: %m", path);
    }
    priv_as_root();
    if (ready)
        CRASH_POINT(LOCAL_FORWARD_READY);
}
