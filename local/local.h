/*
 * local.h - the local delivery agent.
 *
 *   local.c          the request loop on the connection from qmgr; opens,
 *                    locks and updates the queue file
 *   local_deliver.c  one recipient: account lookup and Maildir or mbox
 *                    delivery, done with the recipient's user and group IDs
 *
 * local runs as root only to become each recipient in turn; it never runs
 * anything that came from a message or a session.
 */
#ifndef POSTERN_LOCAL_H
#define POSTERN_LOCAL_H

#include "sys_defs.h"
#include "qfile.h"
#include "deliver_proto.h"

#define LOCAL_REASON_MAX 512

struct local_result {
    enum deliver_status status;
    char dsn[8];
    char reason[LOCAL_REASON_MAX];
};

/* What the delivery of one recipient needs from the request and the file. */
struct local_msg {
    const char *queue_id;
    const struct qmsg *q;
    int fd;         /* the queue file, open and locked */
    bool recovered; /* look for copies an earlier attempt made */
};

/* Deliver one recipient; the outcome goes into *res (never fails otherwise). */
void local_deliver(const struct local_msg *m, const struct qrcpt *rcpt, struct local_result *res);

#endif
