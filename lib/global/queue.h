/*
 * queue.h - the queue directory: its subdirectories, queue IDs, and the
 * moves between queues.
 *
 * Every daemon that touches the queue runs with the queue directory as its
 * working directory (the server skeleton chdirs there), so queue paths are
 * relative, "incoming/9F3A1C2B0E", and keep working under chroot.
 *
 * A queue ID is the arrival time's microseconds (5 hex digits) followed by
 * the file's inode number in hex, as Postfix's short IDs are: unique while
 * the file exists, because no two files share an inode, without a counter
 * or a lock.  A message that sits in both local/ and remote/ is one file
 * with two links, so the ID and the status bytes are shared.  (A recycled
 * file keeps its inode but gets a new arrival time, so a new ID.)
 */
#ifndef POSTERN_QUEUE_H
#define POSTERN_QUEUE_H

#include "sys_defs.h"

#define QUEUE_MAILDROP "maildrop"
#define QUEUE_INCOMING "incoming"
#define QUEUE_LOCAL "local"
#define QUEUE_REMOTE "remote"
#define QUEUE_DEFERRED "deferred"
#define QUEUE_HOLD "hold"
#define QUEUE_CORRUPT "corrupt"
#define QUEUE_PRIVATE "private"
#define QUEUE_PUBLIC "public"
#define QUEUE_PID "pid"
#define QUEUE_SPARE "spare"

#define QUEUE_ID_MAX 24

/*
 * The mode of a file in incoming/ says whether its writer has decided to
 * accept it.  smtpd renames a complete, fsynced file into incoming/ID with
 * QUEUE_MODE_NEW, fsyncs the directory, and only then sets QUEUE_MODE_READY
 * and answers 250.  So if the directory fsync fails, smtpd can still take
 * the name back and answer 4xx: a running qmgr never takes a file that is
 * not ready, and a client never hears 250 for a message that may be lost.
 * A qmgr that starts takes every complete file (after a reboot the mode
 * change may not have reached the disk); at worst that repeats a message
 * whose client never got its 250, which is the reply window every MTA has.
 */
#define QUEUE_MODE_NEW 0600
#define QUEUE_MODE_READY 0700
#define QUEUE_MODE_IS_READY(m) (((m)&S_IXUSR) != 0)

/* Build a queue ID from the arrival microseconds and the file's inode. */
void queue_id_make(char *out, size_t len, long usec, ino_t ino);
/* Is name a well-formed queue ID (so not a temporary or foreign file)? */
bool queue_id_ok(const char *name);
/* Is name one of the queues that hold messages? */
bool queue_name_ok(const char *name);

/* "queue/id" into out; the caller's cwd is the queue directory. */
void queue_path(char *out, size_t len, const char *queue, const char *id);

/*
 * Create the queue directory tree with its owners and modes (master does
 * this as root at start-up).  -1 with *error_r (malloc'ed) on failure.
 */
int queue_dirs_create(const char *queue_dir, uid_t owner, gid_t owner_gid, gid_t setgid_group,
                      char **error_r);

/*
 * Move queue/id to new_queue/id without ever losing the message: a link is
 * made first and the old name removed second, so a crash leaves two names
 * at worst, which readers treat as one.  If new_queue/id already exists
 * (the same inode), the old name is simply removed.  -1 with errno.
 */
int queue_move(const char *queue, const char *new_queue, const char *id);
/* Mark incoming/id ready for qmgr (queue.h's QUEUE_MODE_READY); -1 with errno. */
int queue_mark_ready(const char *id);
/* Add a second name new_queue/id for queue/id (EEXIST is success). */
int queue_link(const char *queue, const char *new_queue, const char *id);

/*
 * Recycling of finished queue files.  Creating and deleting an inode per
 * message is a large part of what a busy queue costs the file system (and
 * on ext4 without a journal, every allocation skips all inodes freed in the
 * last half minute).  So qmgr parks a finished file in spare/ instead of
 * removing it, up to QUEUE_SPARE_MAX files, and a writer takes one back,
 * atomically by rename(), before it creates a new one.  A spare file is
 * never a message: it has no queue ID name in any queue.
 */
#define QUEUE_SPARE_MAX 256

/*
 * Park queue/id as a spare file, or remove it when spare/ holds enough.  A
 * file with another name anywhere is never parked: two names for one spare
 * file would let two writers claim it and write two messages into one inode.
 */
int queue_recycle(const char *queue, const char *id);
/* Claim a spare file under the name path; -1 if none could be claimed.  The
 * caller checks, on the descriptor it opens, that the file has no other name. */
int queue_spare_take(const char *path);

#endif
