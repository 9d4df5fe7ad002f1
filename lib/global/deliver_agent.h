/*
 * deliver_agent.h - what every delivery agent (local, virtual, smtp) does
 * around its deliveries, in one place: the request loop on qmgr's
 * connection (deliver_proto.h), and the queue file of a request opened,
 * locked against a second delivery, checked and read.
 *
 * An agent supplies one function that delivers the recipients of a
 * request and adds a result for each to the reply; the loop does the
 * hello, max_use, master's drain request and the "last" flag.
 */
#ifndef POSTERN_DELIVER_AGENT_H
#define POSTERN_DELIVER_AGENT_H

#include "sys_defs.h"
#include "crash_point.h"
#include "deliver_proto.h"
#include "qfile.h"
#include "stream.h"

/* A request's queue file, open (read-write), locked and read. */
struct deliver_file {
    int fd;
    struct qmsg q;
};

/*
 * Open the queue file that req names, which must be in queue_name: with
 * mail_owner's ids when the agent runs as root (whatever a name there
 * points to, it gets no more than mail_owner could), a regular file that
 * mail_owner owns, locked exclusively (waiting at most deliver_lock_attempts
 * x deliver_lock_delay), still under its name once locked, and read.
 * -1 with a static *why_r that can go in a deferral.
 */
int deliver_file_open(const struct deliver_request *req, const char *queue_name,
                      struct deliver_file *f, const char **why_r);
void deliver_file_close(struct deliver_file *f);
/* The recipient of the file that the request's rcpt names (offset and address), or NULL. */
const struct qrcpt *deliver_file_rcpt(const struct deliver_file *f, const struct deliver_rcpt *dr);

/* Defer every recipient of req for reason, logged in Postfix's form with relay=relay. */
void deliver_defer_all(const struct deliver_request *req, struct deliver_reply *reply,
                       const char *relay, const char *reason);

/*
 * Deliver the recipients of req; add one result per recipient to reply.
 * Returns the malloc'ed memory that the results' strings point into (or
 * NULL), which the loop frees once the reply is encoded.
 */
typedef void *(*deliver_agent_fn)(const struct deliver_request *req, struct deliver_reply *reply);
/*
 * Serve qmgr's requests on s until it closes, max_use requests are done or
 * master asks us to finish; then close s.  replied is the crash point right
 * after each reply.
 */
void deliver_agent_serve(struct stream *s, deliver_agent_fn deliver, enum crash_point_id replied);
/*
 * While waiting for qmgr's next request, call fn once after idle_ms without
 * one (the smtp client closes the session it kept for the next message).
 */
void deliver_agent_idle(int idle_ms, void (*fn)(void));

#endif
