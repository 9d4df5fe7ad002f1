/*
 * maildrop.h - files in maildrop/: mail from local users, written by
 * postdrop (setgid postdrop, with the user's uid) and taken by pickup.
 *
 * A maildrop file is a queue file (qfile.h), held to stricter rules
 * because every local user can write one:
 *
 *   'V' 'T' 'A' uid=N     postdrop's own records, first: the time and the
 *                         real uid of the user, never the user's word
 *   'F'                   the envelope sender, which a user may choose
 *   'A'                   only dsn_ret=FULL|HDRS and dsn_envid=TEXT
 *   'R'                   recipients, every one pending; no 'O' records
 *   'M' 'E'               the content, within message_size_limit
 *
 * sendmail writes the records from 'F' on to postdrop's standard input;
 * postdrop writes its own first, copies the stream after them and checks
 * the whole file with qfile_read() and maildrop_check(), so a record the
 * user is not allowed (a second 'T', a 'V', a delivered recipient) fails
 * the one queue file parser or the rules here, and postdrop has no parser
 * of its own.  pickup checks every file again: maildrop/ is hostile input.
 *
 * Names and modes, as incoming/ has them (queue.h): postdrop writes
 * maildrop/.PID.USEC, renames it to maildrop/ID (queue_id_make() from the
 * time and its inode) with MAILDROP_MODE_NEW, makes the name durable, and
 * only then marks it ready and tells sendmail it has the message.  If the
 * name cannot be made durable postdrop takes it back, and since pickup
 * takes only ready files, nobody has seen it.  A file left unready (postdrop
 * killed in between, or a reboot lost the mode change) is taken once it is
 * MAILDROP_ORPHAN_SECS old: at worst a message whose sender heard no
 * success arrives once.  The files are world-readable (pickup is
 * mail_owner, not their owner) but nobody else can reach them: maildrop/
 * is 1730 mail_owner:postdrop.
 */
#ifndef POSTERN_MAILDROP_H
#define POSTERN_MAILDROP_H

#include "sys_defs.h"
#include "buf.h"
#include "qfile.h"

#define MAILDROP_MODE_NEW 0444
#define MAILDROP_MODE_READY 0544
#define MAILDROP_IS_READY(m) (((m)&S_IXUSR) != 0)
#define MAILDROP_ORPHAN_SECS 60
#define MAILDROP_STALE_TEMP_SECS 86400     /* a temporary file this old is dead */
#define MAILDROP_ENVELOPE_MAX (48LL << 20) /* octets of records besides the content */

#define MAILDROP_ATTR_UID "uid"
#define MAILDROP_ATTR_DSN_RET "dsn_ret"
#define MAILDROP_ATTR_DSN_ENVID "dsn_envid"
#define MAILDROP_ENVID_MAX 100

/*
 * Check a parsed maildrop file (qfile_read() passed) against the rules
 * above.  owner is the file's owner as the kernel says (st_uid), which
 * postdrop's uid record must match; limit is message_size_limit (0: none).
 * -1 with *why_r.  *too_big_r (may be NULL) tells the one refusal that is
 * the user's message rather than a broken or forged file.
 */
int maildrop_check(const struct qmsg *q, uid_t owner, long long limit, bool *too_big_r,
                   const char **why_r);

/* The largest maildrop file that can pass maildrop_check() with this limit. */
long long maildrop_file_max(long long limit);

/* Is this a value that dsn_envid may have (RFC 3461 xtext before encoding)? */
bool maildrop_envid_ok(const char *v);

/* Records of the stream sendmail sends postdrop (the layout above), appended to b. */
void maildrop_put(struct buf *b, int type, const void *p, size_t len);
void maildrop_put_attr(struct buf *b, const char *name, const char *value);
void maildrop_put_rcpt(struct buf *b, const char *address, int notify);
/* The content record's header; its len octets of content follow it. */
void maildrop_put_content(struct buf *b, size_t len);

#endif
