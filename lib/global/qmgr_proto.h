/*
 * qmgr_proto.h - how other programs nudge the queue manager, on its
 * public/qmgr socket (public, as in Postfix, so that the user commands can
 * ask for a queue run).  qmgr sends a hello ("qmgr", version 1); clients
 * then send one-way requests, never waiting for an answer:
 *
 *   request=queued  queue_id=ID   a new file is in incoming/ (smtpd, pickup)
 *   request=wakeup                scan the queues now (master's timer)
 *
 * These are hints, not hand-offs: the message is already durable in
 * incoming/, and qmgr finds it by scanning even if every hint is lost.  So
 * a sender never blocks on qmgr and never fails a message because of it,
 * and a local user who connects can do no more than cause a queue scan.
 */
#ifndef POSTERN_QMGR_PROTO_H
#define POSTERN_QMGR_PROTO_H

#include "sys_defs.h"
#include "buf.h"

#define QMGR_PROTOCOL "qmgr"
#define QMGR_VERSION 1
#define QMGR_SOCKET "public/qmgr"

#define QMGR_REQ_QUEUED "queued"
#define QMGR_REQ_WAKEUP "wakeup"

struct qmgr_request {
    const char *request;
    const char *queue_id; /* for "queued" */
};

/* Append one request frame to b. */
void qmgr_request_encode(struct buf *b, const struct qmgr_request *r);
/* Decode one request (unknown attributes are skipped); -1 with *error_r. */
int qmgr_request_decode(const unsigned char *p, size_t len, struct qmgr_request *r,
                        const char **error_r);

/*
 * Tell qmgr that incoming/ID is ready, over a connection kept open across
 * calls.  Never blocks for long and never fails: a lost hint only delays
 * delivery until qmgr's next scan.  The caller's cwd is the queue directory.
 */
void qmgr_notify_queued(const char *queue_id);

#endif
