/*
 * anvil.h - the anvil service: one process that counts, per service and
 * client address, the connections open now and the connections, messages,
 * recipients and AUTH attempts per anvil_rate_time_unit, for every smtpd
 * process at once (anvil_proto.h), as Postfix's anvil does.
 *
 *   anvil.c          start-up under the multi-server skeleton, the table,
 *                    the periodic statistics
 *   anvil_session.c  one client connection: strict requests, and the
 *                    connections it counted, released when it goes away
 *
 * It only counts: limits are the client's, and a client must work without
 * it (anvil_client.h), so it must never block or make anyone wait.
 */
#ifndef POSTERN_ANVIL_H
#define POSTERN_ANVIL_H

#include "sys_defs.h"
#include "anvil_table.h"

/* anvil.c: the one table of this process. */
extern struct anvil_table *anvil_table;

/* anvil_session.c: serve a new client connection (non-blocking fd, ours to close). */
void anvil_session_start(int fd);

#endif
