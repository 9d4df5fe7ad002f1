/*
 * local.h - the local delivery agent.
 *
 *   local.c           the request loop on the connection from qmgr; opens,
 *                     locks and updates the queue file
 *   local_expand.c    one recipient of the queue file: aliases, ~/.forward
 *                     and :include: expanded into destinations, loops and
 *                     depth refused, the outcomes logged and added up
 *   local_list.c      reading .forward and :include: files safely
 *   local_deliver.c   the destinations: a mailbox (Maildir or mbox), a file,
 *                     a command, each with the rights it runs under
 *   local_resubmit.c  addresses that are not ours: the message goes back
 *                     into the queue, once, in a new queue file
 *   local_virtual.c   the same program as master.cf's "virtual" service:
 *                     mailboxes of virtual mailbox domains (virtual.h),
 *                     with their ids and quotas
 *
 * local runs as root only to take the rights of whoever a delivery is for;
 * nothing it runs or writes comes from a message or a session: commands and
 * files come from alias, .forward and include files alone.
 */
#ifndef POSTERN_LOCAL_H
#define POSTERN_LOCAL_H

#include "sys_defs.h"
#include "qfile.h"
#include "queue.h"
#include "deliver_proto.h"
#include "deliver_agent.h"
#include "alias_list.h"
#include "local_user.h"
#include "htable.h"

#define LOCAL_REASON_MAX 512

struct local_result {
    enum deliver_status status;
    char dsn[8];
    char reason[LOCAL_REASON_MAX];
    /* A new queue file that forwards copies (local_resubmit.c), not yet ready
     * for qmgr: local.c marks it ready once this recipient is marked done. */
    char forward_id[QUEUE_ID_MAX + 1];
};

/* What the delivery of one recipient needs from the request and the file. */
struct local_msg {
    const char *queue_id;
    const struct deliver_file *file;
    const struct qmsg *q;
    int fd;              /* the queue file, open and locked */
    bool recovered;      /* look for copies an earlier attempt made */
    struct htable *done; /* destinations delivered in this request: each gets one copy */
};

/* The rights a file or command destination runs with, and whose they are. */
struct local_rights {
    uid_t uid;
    gid_t gid;
    const struct local_user *user; /* HOME, SHELL, USER for commands; NULL: none */
};

/* local_expand.c ------------------------------------------------------------ */

/* Open alias_maps and check the settings (before serving requests); -1 with *error_r. */
int local_expand_init(char **error_r);
/* Deliver one recipient, with everything it expands to; logs each outcome, fills *res. */
void local_deliver(const struct local_msg *m, const struct qrcpt *rcpt, struct local_result *res);

/* local_list.c -------------------------------------------------------------- */

/*
 * Read the destination list in path with the rights in *as (a .forward: it
 * must also be as->uid's own).  1 read, *owner_r its owner; 0 no such file;
 * -1 with *why_r (a file that is there but may not be trusted, or broken).
 */
int local_read_list(const char *path, const struct local_rights *as, bool forward,
                    struct alias_list *l, uid_t *owner_r, const char **why_r);

/* The forward_path files of u, expanded for u ($home, $user, $extension...). */
char **local_forward_paths(const struct local_user *u);

/* local_deliver.c ----------------------------------------------------------- */

/* What every destination of one recipient shares. */
struct local_dest {
    const struct local_msg *m;
    const struct qrcpt *rcpt; /* the queue file's recipient (its offset names copies) */
    const char *address;      /* what is being delivered to (internal form) */
};

/* Into u's mailbox (home_mailbox / mail_spool_directory), as u. */
void local_deliver_mailbox(const struct local_dest *d, const struct local_user *u,
                           struct local_result *res);
/* Into the Maildir at path, as u (u->name only names it in errors). */
void local_deliver_maildir(const struct local_dest *d, const struct local_user *u, const char *path,
                           struct local_result *res);
/*
 * Append to the mbox file at path as u, with group gid.  For a repeated
 * attempt after a crash, mbox.h compares the last message.
 */
void local_deliver_mbox(const struct local_dest *d, const struct local_user *u, const char *path,
                        gid_t gid, struct local_result *res);
/* Append to the file path (mbox format) with the rights in *as. */
void local_deliver_file(const struct local_dest *d, const char *path, const struct local_rights *as,
                        struct local_result *res);
/* Pipe into command with the rights in *as. */
void local_deliver_command(const struct local_dest *d, const char *command,
                           const struct local_rights *as, struct local_result *res);
/* Fill a result. */
void local_result_set(struct local_result *res, enum deliver_status status, const char *dsn,
                      const char *fmt, ...) PRINTFLIKE(4, 5);

/* local_virtual.c ----------------------------------------------------------- */

/* Open the virtual tables (before serving requests); -1 with *error_r. */
int local_virtual_init(char **error_r);
/* Deliver one recipient of a virtual mailbox domain; logs the outcome, fills *res. */
void local_deliver_virtual(const struct local_msg *m, const struct qrcpt *rcpt,
                           struct local_result *res);

/* local_resubmit.c ---------------------------------------------------------- */

/*
 * Put the message back into the queue for these addresses (internal form),
 * in one new queue file that is not ready yet (queue.h); its ID goes into
 * res->forward_id.  A recovered request first looks for the file an earlier
 * attempt made for this recipient, so no copy is ever forwarded twice.
 */
void local_resubmit(const struct local_dest *d, char *const *addrs, size_t n,
                    struct local_result *res);
/* The recipient is done (ready: qmgr may take the copies) or not (drop them). */
void local_resubmit_finish(const char *forward_id, bool ready);

#endif
