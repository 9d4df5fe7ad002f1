/*
 * smtpd_sasl_stub.c - smtpd_sasl_sender_owned() until SMTP AUTH exists
 * (smtpd_sasl.c, which replaces this file): with no logins there is no
 * login to own a sender, and every session may use any sender, as a
 * Postfix without smtpd_sender_login_maps lets it.
 */
#include "sys_defs.h"
#include "smtpd.h"

int smtpd_sasl_sender_owned(struct smtpd_state *st, const char *sender)
{
    (void)st;
    (void)sender;
    return 1;
}
