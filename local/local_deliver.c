/*
 * local_deliver.c - delivery of one recipient to a system account's
 * mailbox: ~/$home_mailbox as a Maildir (a value ending in "/") or an mbox
 * file, or with an empty home_mailbox (Postfix's default) the mbox file
 * $mail_spool_directory/USER.
 *
 * The message written is "Return-Path: <sender>", "Delivered-To: rcpt",
 * then the queued content (mbox.h adds its From_ line and quoting).  All
 * file system work happens with the recipient's effective user and group
 * IDs, so a user can never make root write where the user could not.
 */
#include "sys_defs.h"
#include "local.h"
#include "local_user.h"
#include "mail_addr.h"
#include "mail_params.h"
#include "maildir.h"
#include "mbox.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"
#include "priv.h"
#include "strutil.h"

struct local_writer {
    const struct local_msg *m;
    const char *rcpt;
};

static void result(struct local_result *res, enum deliver_status status, const char *dsn,
                   const char *fmt, ...) PRINTFLIKE(4, 5);

static void result(struct local_result *res, enum deliver_status status, const char *dsn,
                   const char *fmt, ...)
{
    va_list ap;

    res->status = status;
    str_copy(res->dsn, dsn, sizeof(res->dsn));
    va_start(ap, fmt);
    vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
    va_end(ap);
}

/* Copy len content bytes from the queue file at off; in-kernel where possible. */
static int copy_content(int out, int in, off_t off, long long len)
{
    char buf[65536];

    while (len > 0) {
        ssize_t n = copy_file_range(in, &off, out, NULL, (size_t)len, 0);

        if (n > 0) {
            len -= n;
            continue;
        }
        if (n == 0) {
            errno = EIO; /* the queue file is shorter than its record says */
            return -1;
        }
        if (errno == EINTR)
            continue;
        if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
            return -1;
        break; /* fall back to plain reads and writes */
    }
    while (len > 0) {
        ssize_t n =
            pread_full(in, buf, len < (long long)sizeof(buf) ? (size_t)len : sizeof(buf), off);

        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        if (write_full(out, buf, (size_t)n) < 0)
            return -1;
        off += n;
        len -= n;
    }
    return 0;
}

/* The headers local adds, with addresses in their RFC 5321 (quoted) form. */
static void delivery_headers(struct buf *hdr, const char *sender, const char *rcpt)
{
    (void)buf_puts(hdr, "Return-Path: <");
    mail_addr_quote_internal(sender, hdr);
    (void)buf_puts(hdr, ">\nDelivered-To: ");
    mail_addr_quote_internal(rcpt, hdr);
    (void)buf_puts(hdr, "\n");
}

static long long write_message(int fd, void *ctx)
{
    struct local_writer *w = ctx;
    const struct qmsg *q = w->m->q;
    struct buf hdr;
    size_t hlen;
    int ret;

    buf_init(&hdr, 4 * MAIL_ADDR_TEXT_MAX + 64);
    delivery_headers(&hdr, q->sender, w->rcpt);
    hlen = hdr.len;
    ret = write_full(fd, hdr.data, hlen);
    buf_free(&hdr);
    if (ret < 0 || copy_content(fd, w->m->fd, q->content_offset, q->content_len) < 0)
        return -1;
    return (long long)hlen + q->content_len;
}

/* The Delivered-To: address: the recipient, lower-cased as Postfix does. */
static void delivered_to(const struct qrcpt *rcpt, char *out, size_t len)
{
    str_copy(out, rcpt->address, len);
    str_lower(out);
}

/* Deliver to the Maildir at path as the user; fills *res. */
static void deliver_maildir(const struct local_msg *m, const struct qrcpt *rcpt,
                            const struct local_user *u, const char *path, struct local_result *res)
{
    struct local_writer w = {m, NULL};
    char base[512], rcpt_lc[MAIL_ADDR_TEXT_MAX + 1];
    char *why = NULL;
    int ret;

    delivered_to(rcpt, rcpt_lc, sizeof(rcpt_lc));
    w.rcpt = rcpt_lc;
    maildir_base_name(base, sizeof(base), m->q->arrival_sec, m->q->arrival_usec, m->queue_id,
                      (long long)rcpt->offset);
    if (priv_as_user(u->uid, u->gid) < 0) {
        result(res, DELIVER_DEFERRED, "4.3.0", "cannot become user %s: %s", u->name,
               strerror(errno));
        return;
    }
    ret = maildir_deliver(path, base, m->recovered, write_message, &w, &why);
    priv_as_root();
    if (ret == MAILDIR_DELIVERED) {
        result(res, DELIVER_SENT, "2.0.0", "delivered to maildir");
    } else if (ret == MAILDIR_DUPLICATE) {
        result(res, DELIVER_SENT, "2.0.0", "delivered to maildir by an earlier attempt");
    } else {
        bool full = errno == ENOSPC || errno == EDQUOT;

        result(res, DELIVER_DEFERRED, full ? "4.2.2" : "4.2.0", "maildir delivery failed: %s", why);
    }
    free(why);
}

/*
 * Append to the mbox file at path as the user, with group gid; fills *res.
 * For a repeated attempt after a crash, mbox.h compares the last message.
 */
static void deliver_mbox(const struct local_msg *m, const struct qrcpt *rcpt,
                         const struct local_user *u, const char *path, gid_t gid,
                         struct local_result *res)
{
    char rcpt_lc[MAIL_ADDR_TEXT_MAX + 1];
    struct mbox_opts opts;
    struct mbox_msg msg;
    struct buf hdr;
    char *why = NULL;
    int ret, err;

    delivered_to(rcpt, rcpt_lc, sizeof(rcpt_lc));
    buf_init(&hdr, 4 * MAIL_ADDR_TEXT_MAX + 64);
    delivery_headers(&hdr, m->q->sender, rcpt_lc);
    msg = (struct mbox_msg){.queue_id = m->queue_id,
                            .sender = m->q->sender,
                            .date = time(NULL),
                            .hdr = buf_str(&hdr),
                            .hdr_len = hdr.len,
                            .fd = m->fd,
                            .content_offset = m->q->content_offset,
                            .content_len = m->q->content_len};
    mbox_opts_init(&opts, MBOX_F_OWNER | (m->recovered ? MBOX_F_CHECK_DUP : 0), u->uid);
    if (priv_as_user(u->uid, gid) < 0) {
        result(res, DELIVER_DEFERRED, "4.3.0", "cannot become user %s: %s", u->name,
               strerror(errno));
        buf_free(&hdr);
        return;
    }
    ret = mbox_deliver(path, &msg, &opts, &why);
    err = errno;
    priv_as_root();
    buf_free(&hdr);
    if (ret == MBOX_DELIVERED) {
        result(res, DELIVER_SENT, "2.0.0", "delivered to mailbox");
    } else if (ret == MBOX_DUPLICATE) {
        result(res, DELIVER_SENT, "2.0.0", "delivered to mailbox by an earlier attempt");
    } else {
        bool full = err == ENOSPC || err == EDQUOT || err == EFBIG;

        result(res, DELIVER_DEFERRED, full ? "4.2.2" : "4.2.0",
               "cannot update mailbox %s for user %s: %s", path, u->name, why);
    }
    free(why);
}

/*
 * The group to deliver into mail_spool_directory with, decided as Postfix
 * decides it: a directory that only its group may write (Debian's
 * /var/mail, root:mail 2775) is used with that group, which the dotlock
 * and a new mailbox need.  Otherwise the user's own group: a directory
 * everyone may write needs none, and in one that only its owner may write
 * the mailbox must exist already and the dotlock is skipped (Postfix
 * creates both as root there; we never create files by path as root).
 * Group root is never taken: that would be more than a mailbox needs.
 */
static gid_t spool_gid(const char *dir, const struct local_user *u)
{
    struct stat st;

    if (stat(dir, &st) < 0 || (st.st_mode & S_IWOTH) || !(st.st_mode & S_IWGRP) || st.st_gid == 0)
        return u->gid;
    return st.st_gid;
}

/* The mailbox as main.cf says: ~/$home_mailbox (Maildir or mbox) or the spool. */
static void deliver_mailbox(const struct local_msg *m, const struct qrcpt *rcpt,
                            const struct local_user *u, struct local_result *res)
{
    size_t len = strlen(var_home_mailbox);
    char path[PATH_MAX];

    if (len == 0) {
        if (var_mail_spool_dir[0] != '/') {
            result(res, DELIVER_DEFERRED, "4.3.5",
                   "mail system configuration error: mail_spool_directory is not absolute");
            return;
        }
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", var_mail_spool_dir, u->name) >=
            sizeof(path)) {
            result(res, DELIVER_DEFERRED, "4.3.5", "mailbox path too long");
            return;
        }
        deliver_mbox(m, rcpt, u, path, spool_gid(var_mail_spool_dir, u), res);
        return;
    }
    if (var_home_mailbox[0] == '/') {
        result(res, DELIVER_DEFERRED, "4.3.5",
               "mail system configuration error: home_mailbox must be relative to the home "
               "directory");
        return;
    }
    if (u->home[0] != '/') {
        result(res, DELIVER_DEFERRED, "4.3.5", "home directory of user %s is not absolute",
               u->name);
        return;
    }
    /* A trailing "/" means Maildir (and is not part of the path). */
    if (var_home_mailbox[len - 1] == '/')
        len--;
    if ((size_t)snprintf(path, sizeof(path), "%s/%.*s", strcmp(u->home, "/") ? u->home : "",
                         (int)len, var_home_mailbox) >= sizeof(path)) {
        result(res, DELIVER_DEFERRED, "4.3.5", "mailbox path too long");
        return;
    }
    if (len < strlen(var_home_mailbox))
        deliver_maildir(m, rcpt, u, path, res);
    else
        deliver_mbox(m, rcpt, u, path, u->gid, res);
}

void local_deliver(const struct local_msg *m, const struct qrcpt *rcpt, struct local_result *res)
{
    struct mail_addr a;
    struct local_user u;

    if (mail_addr_from_internal(rcpt->address, &a) < 0) {
        result(res, DELIVER_BOUNCED, "5.1.3", "bad recipient address syntax");
        return;
    }
    switch (local_user_lookup(a.local, &u)) {
    case LOCAL_USER_RETRY:
        result(res, DELIVER_DEFERRED, "4.3.0", "user lookup failed; will try again");
        return;
    case LOCAL_USER_UNKNOWN:
        result(res, DELIVER_BOUNCED, "5.1.1", "unknown user: \"%s\"", u.name[0] ? u.name : a.local);
        return;
    }
    deliver_mailbox(m, rcpt, &u, res);
}
