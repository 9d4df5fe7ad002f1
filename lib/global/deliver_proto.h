/*
 * deliver_proto.h - the delivery protocol between qmgr and a delivery
 * agent (local now; smtp and virtual later), on the agent's private/
 * socket.  The agent sends a hello ("deliver", version 1), then serves
 * requests one at a time on the same connection:
 *
 *   request:  queue_name, queue_id, flags, arrival_sec, arrival_usec,
 *             nexthop (optional: transport_maps' "[host]:port" for these
 *             recipients; absent, the agent's default), rcpt* (offset, address)
 *   reply:    result* (offset, status, dsn, reason), last
 *
 * "last" set to 1 says the agent closes the connection after this reply
 * (it reached max_use, or master asked it to stop), so qmgr must not send
 * another request on it. *
 * A recipient is named by the offset of its status byte in the queue file,
 * which is unique within the file and lets the agent mark it done in place;
 * the address travels too so the agent can check that both agree.  The
 * agent opens and reads the queue file itself: qmgr never sends content.
 */
#ifndef POSTERN_DELIVER_PROTO_H
#define POSTERN_DELIVER_PROTO_H

#include "sys_defs.h"
#include "buf.h"

#define DELIVER_PROTOCOL "deliver"
#define DELIVER_VERSION 1
#define DELIVER_NEXTHOP_MAX 512

/* Request flags */
#define DELIVER_FLAG_RECOVERED 0x1 /* an earlier attempt may have delivered some */

enum deliver_status {
    DELIVER_SENT,     /* delivered (or found already delivered) */
    DELIVER_DEFERRED, /* try again later */
    DELIVER_BOUNCED,  /* failed for good; the sender must be told */
};

struct deliver_rcpt {
    long long offset;
    const char *address;
};

struct deliver_request {
    const char *queue_name;
    const char *queue_id;
    long long flags;
    long long arrival_sec, arrival_usec; /* for the delay= of log lines the agent
                                          * writes when it cannot read the file */
    const char *nexthop;                 /* or NULL */
    struct deliver_rcpt *rcpts;
    size_t nrcpts, cap;
};

struct deliver_result {
    long long offset;
    enum deliver_status status;
    const char *dsn;    /* "2.0.0", "4.2.2", "5.1.1" */
    const char *reason; /* free text for logs and bounces */
};

struct deliver_reply {
    struct deliver_result *results;
    size_t n, cap;
    long long last; /* the agent closes the connection after this reply */
};

/* Encode a request or reply as one frame appended to b. */
void deliver_request_encode(struct buf *b, const struct deliver_request *r);
void deliver_reply_encode(struct buf *b, const struct deliver_reply *r);
/* Decode strictly (strings point into p); -1 with *error_r. */
int deliver_request_decode(const unsigned char *p, size_t len, struct deliver_request *r,
                           const char **error_r);
int deliver_reply_decode(const unsigned char *p, size_t len, struct deliver_reply *r,
                         const char **error_r);
/* Append one recipient or result (the strings are not copied). */
void deliver_request_add(struct deliver_request *r, long long offset, const char *address);
void deliver_reply_add(struct deliver_reply *r, long long offset, enum deliver_status status,
                       const char *dsn, const char *reason);
void deliver_request_free(struct deliver_request *r);
void deliver_reply_free(struct deliver_reply *r);
/* "sent", "deferred", "bounced" */
const char *deliver_status_name(enum deliver_status s);

#endif
