/*
 * proxy_proto.h - the protocol between the proxymap lookup service and
 * its clients, on the private/proxymap socket.  A chrooted daemon (smtpd)
 * sees only the queue directory; whatever it must look up outside it, the
 * lookup tables of main.cf and the system's accounts, it asks proxymap,
 * which runs unchrooted as mail_owner.  The service sends a hello
 * ("proxymap", version 1); the client then sends requests one at a time on
 * the same connection, each answered by one reply:
 *
 *   request:  request  "open"   may this table be used? (table, flags)
 *                      "lookup" key in table (table, flags, key)
 *                      "passwd" the system account named key
 *             table    "type:name" as main.cf names it ("hash:/etc/aliases")
 *             flags    the dict.h flags the client opened it with
 *             key      up to DICT_KEY_MAX octets
 *   reply:    status   "ok", "notfound", "retry" (the table or the account
 *                      database could not answer; try later) or "denied"
 *                      (the table is not in proxy_read_maps)
 *             value    the value found (lookup)
 *             reason   why, for retry and denied
 *             uid gid home shell   the account (passwd)
 *
 * proxymap serves only the tables named in proxy_read_maps, so a
 * compromised client cannot read through it what mail_owner may read but
 * its own configuration never named (auth_password_maps above all).
 * Requests are read strictly: anything malformed ends the connection.
 */
#ifndef POSTERN_PROXY_PROTO_H
#define POSTERN_PROXY_PROTO_H

#include "sys_defs.h"
#include "buf.h"
#include "dict.h"

#define PROXY_PROTOCOL "proxymap"
#define PROXY_VERSION 1
#define PROXY_SOCKET "private/proxymap" /* under queue_directory */

#define PROXY_TABLE_MAX (PATH_MAX + 64) /* "type:" and a path */
#define PROXY_REASON_MAX 512
#define PROXY_PATH_MAX PATH_MAX
/* The largest request payload, for readers that bound their buffers. */
#define PROXY_REQUEST_MAX (4 * (2 + 8 + 4) + 8 + PROXY_TABLE_MAX + 1 + 8 + DICT_KEY_MAX + 1)
/* The largest reply payload, likewise. */
#define PROXY_REPLY_MAX                                                                            \
    (7 * (2 + 8 + 4) + 16 + DICT_VALUE_MAX + PROXY_REASON_MAX + 2 * PROXY_PATH_MAX + 16)

enum proxy_request_type {
    PROXY_OPEN,
    PROXY_LOOKUP,
    PROXY_PASSWD,
};

enum proxy_status {
    PROXY_OK,
    PROXY_NOTFOUND,
    PROXY_RETRY,
    PROXY_DENIED,
};

struct proxy_request {
    enum proxy_request_type type;
    const char *table; /* NULL for passwd */
    int flags;
    const char *key; /* NULL for open */
};

struct proxy_reply {
    enum proxy_status status;
    const char *value;  /* lookup: found value, else NULL */
    const char *reason; /* retry, denied: else NULL */
    long long uid, gid; /* passwd */
    const char *home, *shell;
};

/* Encode one request or reply as a frame appended to b. */
void proxy_request_encode(struct buf *b, const struct proxy_request *r);
void proxy_reply_encode(struct buf *b, const struct proxy_reply *r);
/*
 * Decode strictly; strings point into p.  A request must carry exactly
 * what its type needs; a reply for an ok lookup a value, for an ok passwd
 * the account.  -1 with a static *error_r.
 */
int proxy_request_decode(const unsigned char *p, size_t len, struct proxy_request *r,
                         const char **error_r);
int proxy_reply_decode(const unsigned char *p, size_t len, enum proxy_request_type type,
                       struct proxy_reply *r, const char **error_r);
/* "open", "lookup", "passwd" */
const char *proxy_request_name(enum proxy_request_type t);

#endif
