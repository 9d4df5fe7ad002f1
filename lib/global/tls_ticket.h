/*
 * tls_ticket.h - session ticket keys shared by every process of a service,
 * so that a client resumes its TLS session whichever process it reaches.
 *
 * The keys live in one file that root alone reads and writes (mode 0600 in
 * a root-owned directory); each process reads it in its pre-jail hook,
 * before the privilege drop, so mail_owner never can.  The file holds the
 * current key and the one before it.  A process that finds the current key
 * older than the lifetime makes a new one (under a lock, by rename), and
 * the old one stays to decrypt tickets issued before: a ticket lives at
 * most one lifetime (the session timeout), so two keys cover it.  A process
 * encrypts with the key it loaded until it exits (max_use, max_idle); a
 * ticket from a key that has since gone only means a full handshake.
 */
#ifndef POSTERN_TLS_TICKET_H
#define POSTERN_TLS_TICKET_H

#include "sys_defs.h"
#include <openssl/ssl.h>

/*
 * Load (rotating when due) the keys in path and have ctx issue and accept
 * tickets with them.  -1 with a malloc'ed reason.
 */
int tls_ticket_init(SSL_CTX *ctx, const char *path, long long lifetime, char **error_r);

#endif
