/*
 * anvil_proto.h - the protocol between the anvil counting service and its
 * clients (smtpd), on the private/anvil socket.  The service sends a hello
 * ("anvil", version 1); the client then sends requests on the same
 * connection, each answered by one reply, in order (a client may send a
 * request before it read the reply to the last one):
 *
 *   request:  request  "connect", "disconnect", "message", "recipient"
 *                      or "auth": the event to count
 *             ident    what to count it for: "service:client-address"
 *   reply:    status   "ok", or "fail" for a request the service could
 *                      not count (its table is full of live clients)
 *             count    connections of ident open now (connect only)
 *             rate     events of this kind for ident in the current
 *                      anvil_rate_time_unit, this one included
 *
 * The service only counts; the client decides what a limit is and what
 * to do past it, so one anvil serves services with different limits.
 * Requests are read strictly: an unknown, missing, duplicate or oversized
 * attribute, or an ident that is not printable ASCII without spaces, ends
 * the connection (and with it every connection that client counted).
 */
#ifndef POSTERN_ANVIL_PROTO_H
#define POSTERN_ANVIL_PROTO_H

#include "sys_defs.h"
#include "buf.h"

#define ANVIL_PROTOCOL "anvil"
#define ANVIL_VERSION 1
#define ANVIL_SOCKET "private/anvil" /* under queue_directory */

#define ANVIL_IDENT_MAX 128 /* a service name and an IPv6 address, with room */
#define ANVIL_REQUEST_NAME_MAX 16
/* The largest request payload, for readers that bound their buffers. */
#define ANVIL_REQUEST_MAX (2 * (2 + 16 + 4) + ANVIL_REQUEST_NAME_MAX + ANVIL_IDENT_MAX + 2)

enum anvil_event {
    ANVIL_CONNECT,
    ANVIL_DISCONNECT,
    ANVIL_MESSAGE,
    ANVIL_RECIPIENT,
    ANVIL_AUTH,
};
#define ANVIL_EVENT_COUNT (ANVIL_AUTH + 1)

enum anvil_status {
    ANVIL_OK,
    ANVIL_FAIL,
};

struct anvil_request {
    enum anvil_event event;
    const char *ident;
};

struct anvil_reply {
    enum anvil_status status;
    long long count;
    long long rate;
};

/* Encode a request or reply as one frame appended to b. */
void anvil_request_encode(struct buf *b, const struct anvil_request *r);
void anvil_reply_encode(struct buf *b, const struct anvil_reply *r);
/* Decode strictly (the ident points into p); -1 with a static *error_r. */
int anvil_request_decode(const unsigned char *p, size_t len, struct anvil_request *r,
                         const char **error_r);
int anvil_reply_decode(const unsigned char *p, size_t len, struct anvil_reply *r,
                       const char **error_r);
/* "connect", "disconnect", "message", "recipient", "auth" */
const char *anvil_event_name(enum anvil_event e);

#endif
