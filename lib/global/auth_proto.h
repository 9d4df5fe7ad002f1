/*
 * auth_proto.h - the protocol between the auth service and its clients
 * (smtpd's SMTP AUTH, pop3d and imapd later, "postern-account check"
 * now), on the private/auth socket.  The service sends a hello ("auth",
 * version 1); the client then sends requests one at a time on the same
 * connection, each answered by one reply before the next may be sent:
 *
 *   request:  service         "smtp", "pop3", "imap", "account": for logs
 *             user            the login name, a mailbox address
 *             password        in the clear: the socket is private, and
 *                             only the service ever compares it
 *             client_address  the remote client's IP address ("local"
 *                             for a command on this host): failures are
 *                             counted per address
 *   reply:    status          "ok", "fail", "refused" or "tempfail"
 *
 * "fail" means a wrong password or an unknown user, and the reply never
 * says which: an attacker learns no more from it than from a wrong
 * password.  "refused" means the client address is blocked after too many
 * failures, decided before any password is looked at, so it says nothing
 * about the password either; it lets smtpd, pop3d and imapd end the
 * session at once instead of serving a client that can only fail.  Both
 * come auth_failure_delay after the request; "ok" comes at once.
 * "tempfail" means the password table could not be read (answer 454, or
 * -ERR [SYS/TEMP]).
 *
 * The service holds the password hashes, so it reads requests strictly:
 * an unknown, missing, duplicate or oversized attribute, or a request
 * sent before the previous reply, ends the connection.  Clients read the
 * reply just as strictly.
 */
#ifndef POSTERN_AUTH_PROTO_H
#define POSTERN_AUTH_PROTO_H

#include "sys_defs.h"
#include "buf.h"
#include "mail_addr.h"
#include "pass_crypt.h"

#define AUTH_PROTOCOL "auth"
#define AUTH_VERSION 1
#define AUTH_SOCKET "private/auth" /* under queue_directory */

#define AUTH_SERVICE_MAX 32
#define AUTH_USER_MAX MAIL_ADDR_TEXT_MAX
#define AUTH_PASSWORD_MAX PASS_CRYPT_PASSWORD_MAX
#define AUTH_CLIENT_MAX 64 /* an IPv6 address with room to spare */
/* The largest request payload, for readers that bound their buffers. */
#define AUTH_REQUEST_MAX                                                                           \
    (4 * (2 + 16 + 4) + AUTH_SERVICE_MAX + AUTH_USER_MAX + AUTH_PASSWORD_MAX + AUTH_CLIENT_MAX + 4)

enum auth_status {
    AUTH_OK,       /* the password is right */
    AUTH_FAIL,     /* it is not, or the user is unknown */
    AUTH_TEMPFAIL, /* the service could not tell; try again later */
    AUTH_REFUSED,  /* the client address is blocked after too many failures */
};

struct auth_request {
    const char *service;
    const char *user;
    const char *password;
    const char *client_address;
};

struct auth_reply {
    enum auth_status status;
};

/* Encode a request or reply as one frame appended to b. */
void auth_request_encode(struct buf *b, const struct auth_request *r);
void auth_reply_encode(struct buf *b, const struct auth_reply *r);
/*
 * Decode strictly (strings point into p).  A request also needs a service
 * name of [a-z0-9_-], a user and client address of printable ASCII
 * without spaces; the password may be any bytes but NUL.  -1 with *error_r.
 */
int auth_request_decode(const unsigned char *p, size_t len, struct auth_request *r,
                        const char **error_r);
int auth_reply_decode(const unsigned char *p, size_t len, struct auth_reply *r,
                      const char **error_r);
/* Is every field of r within the limits that the decoder enforces? */
bool auth_request_fits(const struct auth_request *r);
/* "ok", "fail", "tempfail", "refused" */
const char *auth_status_name(enum auth_status s);

#endif
