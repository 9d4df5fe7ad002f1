/*
 * crash_point.h - named points at every durable step of a message's life
 * in the queue, where the test build can make a daemon die as if it had
 * been sent SIGKILL.  The crash-point test (t/integration/test_crash_points.py)
 * runs the suite once per point and then checks SPEC.md's guarantees: every
 * message that got 250 is delivered exactly once or still queued, no inode
 * has two queue names, nothing in spare/ is also queued, corrupt/ is empty.
 *
 * This list is the one place that names them; the test reads it from this
 * file.  Every new durable step (a write, fsync, link, rename, unlink,
 * status-byte update or reply that a later step depends on) adds its point
 * here and a CRASH_POINT() call right after the step.
 *
 * In builds without POSTERN_CRASH_POINTS (every release build) a point
 * compiles to nothing.  In the test build a process dies at a point when
 * POSTERN_CRASH_POINT names it ("name" or "name:N" for the Nth time this
 * process reaches it), once per instance: the first process to die creates
 * POSTERN_CRASH_DIR/fired, and no point fires again while that exists.
 */
#ifndef POSTERN_CRASH_POINT_H
#define POSTERN_CRASH_POINT_H

#include "sys_defs.h"

#define CRASH_POINT_LIST(X)                                                                        \
    /* smtpd: the queue file from creation to the 250 reply */                                     \
    X(SMTPD_SPARE_TAKEN, "smtpd-spare-taken")   /* a spare/ file renamed to a temp name */         \
    X(SMTPD_TEMP_WRITTEN, "smtpd-temp-written") /* content and end record written */               \
    X(SMTPD_TEMP_SYNCED, "smtpd-temp-synced")   /* the file's data fdatasync'ed */                 \
    X(SMTPD_RENAMED, "smtpd-renamed")           /* temp name renamed to incoming/ID */             \
    X(SMTPD_DIR_SYNCED, "smtpd-dir-synced")     /* incoming/ fsync'ed, not yet ready */            \
    X(SMTPD_READY, "smtpd-ready")               /* marked ready, 250 not yet sent */               \
    X(SMTPD_REPLIED, "smtpd-replied")           /* 250 sent, qmgr not yet told */                  \
    /* qmgr: moves between queues, retry times, removal */                                         \
    X(QMGR_LINKED, "qmgr-linked")             /* a new name linked, old not yet removed */         \
    X(QMGR_UNLINKED, "qmgr-unlinked")         /* an old name removed during a move */              \
    X(QMGR_DEFERRED, "qmgr-deferred")         /* in deferred/, retry time not yet set */           \
    X(QMGR_RETRY_SET, "qmgr-retry-set")       /* the retry time (mtime) set */                     \
    X(QMGR_EXPIRED, "qmgr-expired")           /* expired recipients marked failed */               \
    X(QMGR_HELD, "qmgr-held")                 /* linked into hold/, others not yet removed */      \
    X(QMGR_NAME_REMOVED, "qmgr-name-removed") /* one name of a finished message removed */         \
    X(QMGR_RECYCLED, "qmgr-recycled")         /* the last name renamed into spare/ */              \
    /* local: one delivery to a Maildir or mbox, the status byte */                                \
    X(MAILDIR_WRITTEN, "maildir-written") /* tmp file written and fsync'ed */                      \
    X(MAILDIR_LINKED, "maildir-linked")   /* linked into new/, new/ not yet synced */              \
    X(MAILDIR_SYNCED, "maildir-synced")   /* new/ fsync'ed, status not yet marked */               \
    X(MBOX_SYNCED, "mbox-synced")         /* appended and fsync'ed, both locks still held */       \
    X(MBOX_UNLOCKED, "mbox-unlocked")     /* locks released, status not yet marked */              \
    X(LOCAL_FORWARDED, "local-forwarded") /* a copy for other domains made, unready */             \
    X(LOCAL_STATUS_MARKED, "local-status-marked") /* status byte written, not yet synced */        \
    X(LOCAL_STATUS_SYNCED, "local-status-synced") /* status byte fdatasync'ed, no reply yet */     \
    X(LOCAL_FORWARD_READY, "local-forward-ready") /* the copy marked ready, no reply yet */        \
    X(LOCAL_REPLIED, "local-replied")             /* the reply sent to qmgr */                     \
    /* smtp: the remote server took the message, the status bytes */                               \
    X(SMTP_STATUS_SYNCED, "smtp-status-synced") /* marked and fdatasync'ed, no reply yet */        \
    X(SMTP_REPLIED, "smtp-replied")             /* the reply sent to qmgr */                       \
    /* postdrop: a local user's message into maildrop/ (maildrop.h) */                             \
    X(POSTDROP_WRITTEN, "postdrop-written")         /* temporary file written and checked */       \
    X(POSTDROP_SYNCED, "postdrop-synced")           /* its data fdatasync'ed */                    \
    X(POSTDROP_RENAMED, "postdrop-renamed")         /* renamed to maildrop/ID, name not durable */ \
    X(POSTDROP_NAME_SYNCED, "postdrop-name-synced") /* the name durable, not yet ready */          \
    X(POSTDROP_READY, "postdrop-ready")             /* marked ready, sendmail not yet told */      \
    /* pickup: from maildrop/ into incoming/ */                                                    \
    X(PICKUP_COPIED, "pickup-copied")   /* the copy in incoming/, unready; maildrop file kept */   \
    X(PICKUP_REMOVED, "pickup-removed") /* the maildrop file removed and synced; copy unready */   \
    X(PICKUP_READY, "pickup-ready")     /* the copy marked ready, qmgr not yet told */

enum crash_point_id {
#define CRASH_POINT_ENUM(id, name) CRASH_##id,
    CRASH_POINT_LIST(CRASH_POINT_ENUM)
#undef CRASH_POINT_ENUM
        CRASH_POINT_COUNT
};

#ifdef POSTERN_CRASH_POINTS
/* Die here if the environment says so (see above). */
void crash_point(enum crash_point_id id);
#define CRASH_POINT(id) crash_point(CRASH_##id)
#else
#define CRASH_POINT(id) ((void)0)
#endif

#endif
