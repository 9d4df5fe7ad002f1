/*
 * tls_params.h - main.cf's TLS parameters, turned into tls_server_params
 * for each service that offers TLS (smtpd now; pop3d and imapd later),
 * in one place for the daemon and for "postern check".
 */
#ifndef POSTERN_TLS_PARAMS_H
#define POSTERN_TLS_PARAMS_H

#include "sys_defs.h"
#include "tls_server.h"

/* The shared ticket keys, in the queue's root-owned pid/ directory (tls_ticket.h). */
#define TLS_PARAMS_SMTPD_TICKET_FILE "pid/smtpd_tls_ticket.keys"

/* Does smtpd offer TLS at all (security level may or encrypt, or wrapper mode)? */
bool tls_params_smtpd_wanted(void);
/* Is TLS mandatory (smtpd_tls_security_level = encrypt)? */
bool tls_params_smtpd_required(void);
/* smtpd's settings, with the service's -o overrides as loaded. */
void tls_params_smtpd(struct tls_server_params *p);

#endif
