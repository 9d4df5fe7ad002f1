/*
 * mbox.h - appending one message to a UNIX mailbox file, as Postfix's
 * local(8) does for /var/mail/USER, ~/$home_mailbox and "/file" aliases.
 *
 * What is appended: a "From SENDER  DATE" separator line (MAILER-DAEMON for
 * the null sender), the headers the delivery agent adds (Return-Path:,
 * Delivered-To:), the queued content with every line that matches
 * "^>*From " given one more '>' (mboxrd), a newline if the content ended
 * in the middle of a line, and one empty line so that the next separator
 * starts a new message.  Readers that undo mboxrd quoting get the content
 * back byte for byte; Postfix quotes "From " lines only (mboxo), which
 * cannot be undone (see mbox.c).
 *
 * Locking, as Postfix's "mailbox_delivery_lock = fcntl, dotlock": first
 * PATH.lock, created with O_EXCL (a lock older than stale_lock_time is
 * broken), then an fcntl() write lock on the whole file, each tried
 * deliver_lock_attempts times, deliver_lock_delay apart.  The dotlock is
 * skipped only where the caller's effective ids cannot create files in the
 * mailbox's directory (EACCES): readers there cannot take one either.
 *
 * The file is opened with O_NOFOLLOW and must be a regular file with one
 * link (and, for a mailbox, owned by the recipient); a missing one is made
 * with mode 0600 by the caller's effective ids.  mbox_deliver() changes no
 * privileges: the caller sets the ids it must act with (the recipient's,
 * with the spool directory's group where that is how the directory is
 * shared, as Postfix does), so that nothing is ever created or opened by
 * path as root.
 *
 * Durability: the data is fsync'ed (and the directory, for a new file)
 * before success.  When anything fails after the first byte was written,
 * the file is truncated back to its length before the delivery: a mailbox
 * never keeps half a message.  An mbox has no names to make a repeated
 * delivery detectable the way Maildir's are; with MBOX_F_CHECK_DUP (after
 * a crash) the messages near the end of the file (its last 16 MB: others
 * may have been appended since) are compared with this one, and an
 * identical copy is reported instead of appended again.
 */
#ifndef POSTERN_MBOX_H
#define POSTERN_MBOX_H

#include "sys_defs.h"
#include "buf.h"

#define MBOX_DELIVERED 0
#define MBOX_DUPLICATE 1 /* MBOX_F_CHECK_DUP: this message was there already */

/* mbox_opts.flags */
#define MBOX_F_OWNER 0x1     /* a mailbox: refuse a file that opts.owner does not own */
#define MBOX_F_CHECK_DUP 0x2 /* an earlier attempt may have appended this message */

/* The message: envelope, the agent's headers, and the content in the queue file. */
struct mbox_msg {
    const char *queue_id; /* for log lines */
    const char *sender;   /* internal form; "" is the null sender */
    time_t date;          /* for the From_ line: the time of delivery */
    const char *hdr;      /* headers added by the agent, LF line ends (may be empty) */
    size_t hdr_len;
    int fd;                /* the queue file, read with pread() */
    off_t content_offset;  /* where the content starts in fd */
    long long content_len; /* content bytes, LF line ends */
};

/* How to lock and what to accept. */
struct mbox_opts {
    unsigned flags;           /* MBOX_F_* */
    uid_t owner;              /* MBOX_F_OWNER: the user the file must belong to */
    long long lock_attempts;  /* tries for each lock (deliver_lock_attempts) */
    long long lock_delay_ms;  /* between tries (deliver_lock_delay) */
    long long stale_lock_sec; /* a dotlock this old is broken (stale_lock_time) */
};

/* Options from main.cf (deliver_lock_attempts, deliver_lock_delay, stale_lock_time). */
void mbox_opts_init(struct mbox_opts *opts, unsigned flags, uid_t owner);

/*
 * Append msg to the mailbox file at path with the caller's effective ids.
 * Returns MBOX_DELIVERED or MBOX_DUPLICATE, or -1 with errno set (ENOSPC,
 * EDQUOT or EFBIG: no room; EAGAIN: still locked after every attempt;
 * EPERM: not a file we may deliver to) and a malloc'ed explanation in
 * *error_r.
 */
int mbox_deliver(const char *path, const struct mbox_msg *msg, const struct mbox_opts *opts,
                 char **error_r);

/* Where quoted output goes: 0, or -1 with errno to stop. */
typedef int (*mbox_put_fn)(void *ctx, const void *p, size_t len);

/*
 * The ">From " quoting, for any number of chunks of one message that
 * starts at the beginning of a line.  Only what it gets is quoted; the
 * caller adds the From_ line and the empty line at the end.
 */
struct mbox_quote {
    bool in_line;  /* past the start of the current line */
    bool open;     /* the last byte passed on was not a newline */
    size_t gts;    /* '>' held back at the start of this line */
    unsigned from; /* bytes of "From " matched after them */
};

void mbox_quote_init(struct mbox_quote *q);
/* Quote len more bytes into put(ctx, ...); -1 with errno if put failed. */
int mbox_quote(struct mbox_quote *q, const unsigned char *p, size_t len, mbox_put_fn put,
               void *ctx);
/* Pass on what is held back and end an incomplete last line with a newline. */
int mbox_quote_end(struct mbox_quote *q, mbox_put_fn put, void *ctx);

/* Append the From_ line for sender at date: "From SENDER  Www Mmm dd hh:mm:ss yyyy\n". */
void mbox_from_line(struct buf *out, const char *sender, time_t date);

#endif
