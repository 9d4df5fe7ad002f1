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
 *
 * An event whose reply the caller does not need (a disconnect) is sent
 * with anvil_client_notify(), which does not wait for the reply: it is
 * pipelined on the kept connection, and read before the next question's
 * answer.  The protocol is unchanged (every request still gets a reply);
 * only the client's waiting moved off the caller's critical path.
 */
#ifndef POSTERN_ANVIL_CLIENT_H
#define POSTERN_ANVIL_CLIENT_H

#include "sys_defs.h"
#include "anvil_proto.h"

#define ANVIL_CLIENT_TIMEOUT_MS 1000
#define ANVIL_CLIENT_RETRY_MS 10000
#define ANVIL_CLIENT_OWED_MAX 16 /* unread replies at most, before a notify waits */

/*
 * Count event for "service:addr" (truncated at ANVIL_IDENT_MAX).  0 with
 * the reply in *r (which may still say ANVIL_FAIL: not counted), or -1
 * when the service was not asked or did not answer (warned once).
 */
int anvil_client_event(const char *socket_path, enum anvil_event event, const char *service,
                       const char *addr, struct anvil_reply *r);
/*
 * Count event as anvil_client_event() would (connecting if need be, one
 * fresh try on a broken kept connection), but return once the request is
 * sent: its reply is owed, and anvil_client_event() reads and checks the
 * owed replies before its own, so answers never get out of step.  0 when
 * sent, -1 when not (warned once).  Whether the event was counted is not
 * known to the caller: use it only where the reply would be ignored.  A
 * reply still owed when the process exits or closes is harmless: anvil
 * gives back what a closed connection counted.
 */
int anvil_client_notify(const char *socket_path, enum anvil_event event, const char *service,
                        const char *addr);
/* Close the connection (tests; a process that forks); forgets owed replies. */
void anvil_client_close(void);
/* Replies owed on the kept connection now (tests). */
int anvil_client_owed(void);

#endif
