/*
 * maildir.h - writing one message into a Maildir, the store that local
 * delivery, POP3 and IMAP share.
 *
 * The Maildir rules: write under tmp/, fsync, link into new/, remove the tmp
 * name, fsync new/.  (Under tmp/ means an unnamed O_TMPFILE there where the
 * file system offers it: the message still appears in new/ only complete
 * and fsynced, and a crash cannot leave a stale tmp/ file.)  The file name is deterministic for a
 * given message and recipient ("SECONDS.MUSECSQqueueidRoffset.HOST,S=SIZE"), which makes a repeated
 * delivery detectable: link() into new/ fails with EEXIST, and after a crash the caller can ask for
 * cur/ to be searched too (the user may have read the first copy already).  That is how a killed
 * delivery agent never causes a duplicate.
 */
#ifndef POSTERN_MAILDIR_H
#define POSTERN_MAILDIR_H

#include "sys_defs.h"

#define MAILDIR_DELIVERED 0
#define MAILDIR_DUPLICATE 1 /* this exact message was already there */

/* Writes the message into fd; returns bytes written or -1 with errno. */
typedef long long (*maildir_write_fn)(int fd, void *ctx);

/* Build the deterministic base name (without ",S=size") for a delivery. */
void maildir_base_name(char *out, size_t len, long long sec, long usec, const char *queue_id,
                       long long rcpt_offset);

/*
 * Deliver into the Maildir at path (created if missing).  Returns
 * MAILDIR_DELIVERED or MAILDIR_DUPLICATE, or -1 with errno set and a
 * malloc'ed explanation in *error_r.  check_cur also searches cur/.
 */
int maildir_deliver(const char *path, const char *base, bool check_cur, maildir_write_fn fn,
                    void *ctx, char **error_r);

#endif
