/*
 * smtpd_sasl.h - SMTP AUTH (RFC 4954) in smtpd: the AUTH command with the
 * PLAIN and LOGIN mechanisms (decoded by sasl_mech.h), passwords checked
 * by the auth service alone (auth_client.h), and which envelope senders a
 * login may use (smtpd_sender_login_maps, sender_login.h).
 *
 * Parameters, with Postfix's names: smtpd_sasl_auth_enable,
 * smtpd_tls_auth_only (AUTH only inside TLS), smtpd_sasl_security_options
 * (noplaintext leaves no mechanism to offer), smtpd_sasl_service (the
 * service name the auth service logs), smtpd_sender_login_maps; and
 * Postern's smtpd_auth_failure_limit (failed AUTH commands per session).
 */
#ifndef POSTERN_SMTPD_SASL_H
#define POSTERN_SMTPD_SASL_H

#include "sys_defs.h"
#include "smtpd.h"

/* Check the parameters and open smtpd_sender_login_maps (before the privilege drop). */
void smtpd_sasl_init(void);
/* Is AUTH offered to this session now (enabled, and inside TLS if smtpd_tls_auth_only)? */
bool smtpd_sasl_allowed(const struct smtpd_state *st);
/*
 * Forget the login, as STARTTLS must (RFC 3207 4.2: nothing learnt
 * before TLS survives it); the failure count goes too, as the session
 * starts anew.
 */
void smtpd_sasl_reset(struct smtpd_state *st);
/* The EHLO line that offers AUTH, when this session may use it. */
void smtpd_sasl_ehlo(struct smtpd_state *st);
/* The AUTH command, the whole exchange. */
void smtpd_sasl_auth(struct smtpd_state *st, struct smtp_cmd *cmd);

/*
 * May the client st use the envelope sender (internal form, "" for <>)?
 * smtpd_sender_login_maps decides (sender_login.h): 1 owned (by its login,
 * or, not logged in, by nobody), 0 not, -1 a table could not answer
 * (logged).  With no table every sender is usable.
 */
int smtpd_sasl_sender_owned(struct smtpd_state *st, const char *sender);
#endif
