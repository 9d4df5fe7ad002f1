/*
 * auth_client.h - asking the auth service whether a password is right,
 * over its private socket (auth_proto.h): for smtpd, pop3d and imapd, and
 * for "postern-account check".  Only the service reads the password
 * hashes; a client learns ok, fail or tempfail and nothing more.
 *
 * The call blocks until the reply (a failed attempt is answered only after
 * auth_failure_delay), and it wipes every copy of the password it made,
 * in its buffers and in the stream's, before it returns.
 */
#ifndef POSTERN_AUTH_CLIENT_H
#define POSTERN_AUTH_CLIENT_H

#include "sys_defs.h"
#include "auth_proto.h"

/*
 * Ask the service listening at socket_path (AUTH_SOCKET from the queue
 * directory).  A request with a field longer than the protocol allows
 * (auth_request_fits()) cannot be right and is AUTH_FAIL without asking.
 * Returns AUTH_OK, AUTH_FAIL, AUTH_REFUSED or AUTH_TEMPFAIL (with a static
 * *error_r when the service broke the protocol, went away or did not
 * answer within timeout_ms), or -1 when no service could be reached, with
 * errno kept: ENOENT or ECONNREFUSED (it is not running), EACCES (this
 * user may not connect).
 */
int auth_client_check(const char *socket_path, const struct auth_request *r, int timeout_ms,
                      const char **error_r);

/* How long to wait for a reply: auth_failure_delay and then some. */
int auth_client_timeout_ms(void);

#endif
