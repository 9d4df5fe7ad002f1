/*
 * pickup.h - the pickup daemon: moves mail that local users dropped into
 * maildrop/ (postdrop, maildrop.h) into the queue, as Postfix's pickup
 * and cleanup do.  It runs as mail_owner, one process at a time, woken by
 * postdrop and by master's timer (master.cf: "pickup unix n - n 60 1
 * pickup").  Its parts:
 *
 *   pickup.c       start-up, the single-instance lock, recovery after a
 *                  crash, the wake-ups, the scan of maildrop/
 *   pickup_file.c  one maildrop file: the checks, the copy into incoming/,
 *                  the hand-over to qmgr, or corrupt/
 *
 * Exactly once, whatever crashes (the pattern of local_resubmit.c): the
 * copy is written into incoming/ not ready (queue.h), with the attribute
 * pickup_from=NAME:INODE naming the maildrop file; then the maildrop file
 * is removed and maildrop/ fsynced; only then is the copy marked ready and
 * qmgr told.  A pickup that starts finds unready copies with pickup_from
 * and finishes them, removing their maildrop file first if it is still
 * there, so a file is never copied twice.  The lock makes sure no second
 * pickup is at work meanwhile.
 */
#ifndef POSTERN_PICKUP_H
#define POSTERN_PICKUP_H

#include "sys_defs.h"

#define PICKUP_ATTR_FROM "pickup_from"
#define PICKUP_KEY_MAX 64 /* "NAME:INODE" */

/* pickup_file.c */
/* Open incoming/ for the commits; at start-up. */
void pickup_file_init(void);
/*
 * Take maildrop/name: queue it, or move it to corrupt/, or leave it (not
 * ready yet, or a temporary failure).  Returns true if maildrop/ changed.
 */
bool pickup_file(const char *name);
/*
 * Finish a copy incoming/id made from the maildrop file key names: remove
 * that file if it is still there, then mark the copy ready and tell qmgr.
 */
void pickup_finish(const char *id, const char *key);
/* Move maildrop/name to corrupt/ with a log line (uid -1: unknown); true if moved. */
bool pickup_corrupt(const char *name, long uid, const char *why);

#endif
