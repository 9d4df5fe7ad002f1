/*
 * anvil_client.h - smtpd's side of the anvil counting service
 * (anvil_proto.h): one connection per process, opened at the first
 * question and kept, with short timeouts.
 *
 * Limits must never make mail fail: when anvil cannot be reached, does
 * not answer in time or breaks the protocol, the caller is told so and
 * carries on without limits.  The first such failure in a process is
 * logged as a warning; later ones are not (a session per minute would
 * otherwise log one each), and reconnection is tried again at most every
 * ANVIL_CLIENT_RETRY_MS.
 */
#ifndef POSTERN_ANVIL_CLIENT_H
#define POSTERN_ANVIL_CLIENT_H

#include "sys_defs.h"
#include "anvil_proto.h"

#define ANVIL_CLIENT_TIMEOUT_MS 1000
#define ANVIL_CLIENT_RETRY_MS 10000

/*
 * Count event for "service:addr" (truncated at ANVIL_IDENT_MAX).  0 with
 * the reply in *r (which may still say ANVIL_FAIL: not counted), or -1
 * when the service was not asked or did not answer (warned once).
 */
int anvil_client_event(const char *socket_path, enum anvil_event event, const char *service,
                       const char *addr, struct anvil_reply *r);
/* Close the connection (tests; a process that forks). */
void anvil_client_close(void);

#endif
