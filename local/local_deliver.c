/*
 * local_deliver.c - the destinations of local delivery:
 *
 *   a mailbox:  ~/$home_mailbox as a Maildir (a value ending in "/") or an
 *               mbox file, or with an empty home_mailbox (Postfix's
 *               default) the mbox file $mail_spool_directory/USER; with
 *               local_extension_folders, user+Folder goes into the Maildir++
 *               folder .Folder when it exists
 *   a file:     appended in mbox format (an alias or .forward "/path")
 *   a command:  the message on its standard input (pipe_cmd.h)
 *
 * The message written is "Return-Path: <sender>", "Delivered-To: address",
 * then the queued content (mbox.h adds its From_ line and quoting).  All
 * file system work happens with the effective ids of the user the delivery
 * is for, so nobody can make root write where they could not.
 */
#include "sys_defs.h"
#include "local.h"
#include "local_user.h"
#include "mail_addr.h"
#include "mail_params.h"
#include "maildir.h"
#include "mbox.h"
#include "pipe_cmd.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"
#include "priv.h"
#include "strutil.h"

struct local_writer {
    const struct local_msg *m;
    const char *rcpt;
};

void local_result_set(struct local_result *res, enum deliver_status status, const char *dsn,
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

/* The Delivered-To: address: what is delivered to, lower-cased as Postfix does. */
static void delivered_to(const struct local_dest *d, char *out, size_t len)
{
    str_copy(out, d->address, len);
    str_lower(out);
}

void local_deliver_maildir(const struct local_dest *d, const struct local_user *u, const char *path,
                           struct local_result *res)
{
    const struct local_msg *m = d->m;
    struct local_writer w = {m, NULL};
    char base[512], rcpt_lc[MAIL_ADDR_TEXT_MAX + 1];
    char *why = NULL;
    int ret;

    delivered_to(d, rcpt_lc, sizeof(rcpt_lc));
    w.rcpt = rcpt_lc;
    /* Named after the queue file's recipient: a repeat after a crash finds it. */
    maildir_base_name(base, sizeof(base), m->q->arrival_sec, m->q->arrival_usec, m->queue_id,
                      (long long)d->rcpt->offset);
    if (priv_as_user(u->uid, u->gid) < 0) {
        local_result_set(res, DELIVER_DEFERRED, "4.3.0", "cannot become user %s: %s", u->name,
                         strerror(errno));
        return;
    }
    ret = maildir_deliver(path, base, m->recovered, write_message, &w, &why);
    priv_as_root();
    if (ret == MAILDIR_DELIVERED) {
        local_result_set(res, DELIVER_SENT, "2.0.0", "delivered to maildir");
    } else if (ret == MAILDIR_DUPLICATE) {
        local_result_set(res, DELIVER_SENT, "2.0.0", "delivered to maildir by an earlier attempt");
    } else {
        bool full = errno == ENOSPC || errno == EDQUOT;

        local_result_set(res, DELIVER_DEFERRED, full ? "4.2.2" : "4.2.0",
                         "maildir delivery failed: %s", why);
    }
    free(why);
}

void local_deliver_mbox(const struct local_dest *d, const struct local_user *u, const char *path,
                        gid_t gid, struct local_result *res)
{
    const struct local_msg *m = d->m;
    char rcpt_lc[MAIL_ADDR_TEXT_MAX + 1];
    struct mbox_opts opts;
    struct mbox_msg msg;
    struct buf hdr;
    char *why = NULL;
    int ret, err;

    delivered_to(d, rcpt_lc, sizeof(rcpt_lc));
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
        local_result_set(res, DELIVER_DEFERRED, "4.3.0", "cannot become user %s: %s", u->name,
                         strerror(errno));
        buf_free(&hdr);
        return;
    }
    ret = mbox_deliver(path, &msg, &opts, &why);
    err = errno;
    priv_as_root();
    buf_free(&hdr);
    if (ret == MBOX_DELIVERED) {
        local_result_set(res, DELIVER_SENT, "2.0.0", "delivered to mailbox");
    } else if (ret == MBOX_DUPLICATE) {
        local_result_set(res, DELIVER_SENT, "2.0.0", "delivered to mailbox by an earlier attempt");
    } else {
        bool full = err == ENOSPC || err == EDQUOT || err == EFBIG;

        local_result_set(res, DELIVER_DEFERRED, full ? "4.2.2" : "4.2.0",
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

/*
 * user+Folder into the Maildir++ folder path/.Folder, when that exists (as
 * Dovecot's LDA does; Postfix has no such option): a folder is never made
 * here, so an extension cannot litter a mailbox with folders.  The check is
 * made with the user's rights, as the delivery is.
 */
static void maildir_folder(char *path, size_t len, const struct local_user *u)
{
    char folder[PATH_MAX];
    struct stat st;
    bool is_dir;

    if (strchr(u->extension, '/') || u->extension[0] == '.' ||
        (size_t)snprintf(folder, sizeof(folder), "%s/.%s", path, u->extension) >= sizeof(folder))
        return;
    if (priv_as_user(u->uid, u->gid) < 0)
        return;
    is_dir = lstat(folder, &st) == 0 && S_ISDIR(st.st_mode);
    priv_as_root();
    if (is_dir)
        str_copy(path, folder, len);
}

/* The mailbox as main.cf says: ~/$home_mailbox (Maildir or mbox) or the spool. */
void local_deliver_mailbox(const struct local_dest *d, const struct local_user *u,
                           struct local_result *res)
{
    size_t len = strlen(var_home_mailbox);
    char path[PATH_MAX];

    if (len == 0) {
        if (var_mail_spool_dir[0] != '/') {
            local_result_set(
                res, DELIVER_DEFERRED, "4.3.5",
                "mail system configuration error: mail_spool_directory is not absolute");
            return;
        }
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", var_mail_spool_dir, u->name) >=
            sizeof(path)) {
            local_result_set(res, DELIVER_DEFERRED, "4.3.5", "mailbox path too long");
            return;
        }
        local_deliver_mbox(d, u, path, spool_gid(var_mail_spool_dir, u), res);
        return;
    }
    if (var_home_mailbox[0] == '/') {
        local_result_set(
            res, DELIVER_DEFERRED, "4.3.5",
            "mail system configuration error: home_mailbox must be relative to the home "
            "directory");
        return;
    }
    if (u->home[0] != '/') {
        local_result_set(res, DELIVER_DEFERRED, "4.3.5",
                         "home directory of user %s is not absolute", u->name);
        return;
    }
    /* A trailing "/" means Maildir (and is not part of the path). */
    if (var_home_mailbox[len - 1] == '/')
        len--;
    if ((size_t)snprintf(path, sizeof(path), "%s/%.*s", strcmp(u->home, "/") ? u->home : "",
                         (int)len, var_home_mailbox) >= sizeof(path)) {
        local_result_set(res, DELIVER_DEFERRED, "4.3.5", "mailbox path too long");
        return;
    }
    if (len < strlen(var_home_mailbox)) {
        if (var_local_extension_folders && u->extension[0])
            maildir_folder(path, sizeof(path), u);
        local_deliver_maildir(d, u, path, res);
    } else {
        local_deliver_mbox(d, u, path, u->gid, res);
    }
}

/* The header writer for files and commands: Return-Path, Delivered-To, content. */
static struct local_writer dest_writer(const struct local_dest *d, char *rcpt_lc, size_t len)
{
    delivered_to(d, rcpt_lc, len);
    return (struct local_writer){d->m, rcpt_lc};
}

void local_deliver_file(const struct local_dest *d, const char *path, const struct local_rights *as,
                        struct local_result *res)
{
    const struct local_msg *m = d->m;
    char rcpt_lc[MAIL_ADDR_TEXT_MAX + 1];
    struct mbox_opts opts;
    struct mbox_msg msg;
    struct buf hdr;
    char *why = NULL;
    int ret, err;

    /* Postfix's special case: a sink that is not a regular file. */
    if (strcmp(path, "/dev/null") == 0) {
        local_result_set(res, DELIVER_SENT, "2.0.0", "delivered to file: /dev/null");
        return;
    }
    (void)dest_writer(d, rcpt_lc, sizeof(rcpt_lc));
    buf_init(&hdr, 4 * MAIL_ADDR_TEXT_MAX + 64);
    delivery_headers(&hdr, m->q->sender, rcpt_lc);
    msg = (struct mbox_msg){m->queue_id, m->q->sender, time(NULL),           buf_str(&hdr),
                            hdr.len,     m->fd,        m->q->content_offset, m->q->content_len};
    mbox_opts_init(&opts, m->recovered ? MBOX_F_CHECK_DUP : 0, as->uid);
    if (priv_as_user(as->uid, as->gid) < 0) {
        local_result_set(res, DELIVER_DEFERRED, "4.3.0", "cannot take the rights for %s: %s", path,
                         strerror(errno));
        buf_free(&hdr);
        return;
    }
    ret = mbox_deliver(path, &msg, &opts, &why);
    err = errno;
    priv_as_root();
    buf_free(&hdr);
    if (ret == MBOX_DELIVERED || ret == MBOX_DUPLICATE)
        local_result_set(res, DELIVER_SENT, "2.0.0", "delivered to file: %s", path);
    else if (err == EPERM || err == EACCES || err == EISDIR || err == ELOOP)
        local_result_set(res, DELIVER_BOUNCED, "5.2.0", "cannot append message to file %s: %s",
                         path, why);
    else
        local_result_set(res, DELIVER_DEFERRED,
                         err == ENOSPC || err == EDQUOT || err == EFBIG ? "4.2.2" : "4.2.0",
                         "cannot append message to file %s: %s", path, why);
    free(why);
}

void local_deliver_command(const struct local_dest *d, const char *command,
                           const struct local_rights *as, struct local_result *res)
{
    char rcpt_lc[MAIL_ADDR_TEXT_MAX + 1];
    struct local_writer w = dest_writer(d, rcpt_lc, sizeof(rcpt_lc));
    struct pipe_cmd_result pres;
    struct pipe_cmd_request req;
    struct mail_addr a;
    struct local_user who;
    const struct local_user *u = as->user;

    if (mail_addr_from_internal(d->address, &a) < 0)
        memset(&a, 0, sizeof(a));
    if (u == NULL) {
        /* An alias command: its user is the owner of the rights. */
        (void)local_user_by_uid(as->uid, &who);
        u = &who;
    }
    memset(&req, 0, sizeof(req));
    req.command = command;
    req.uid = as->uid;
    req.gid = as->gid;
    req.env.sender = d->m->q->sender;
    req.env.recipient = d->address;
    req.env.user = u->name[0] ? u->name : a.local;
    req.env.local = a.local;
    req.env.extension = u->extension[0] ? u->extension : NULL;
    req.env.domain = a.domain[0] ? a.domain : NULL;
    req.env.home = u->home[0] ? u->home : NULL;
    req.env.shell = u->shell[0] ? u->shell : NULL;
    req.write_fn = write_message;
    req.write_ctx = &w;
    pipe_cmd_run(&req, &pres);
    local_result_set(res, pres.status, pres.dsn, "%s", pres.reason);
}
