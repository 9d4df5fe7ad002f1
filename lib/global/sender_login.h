/*
 * sender_login.h - who may use which envelope sender: Postfix's
 * smtpd_sender_login_maps.  The table maps a sender address (or an
 * @domain) to the logins that may send as it, separated by commas or
 * white space:
 *
 *   alice@corp.example   alice@corp.example
 *   sales@corp.example   alice@corp.example, bob@corp.example
 *   @shop.example        shop-admin@corp.example
 *
 * The sender is looked up in maps.h's address order, so alice+news@ is
 * found under alice@ (her own +tag addresses) and a whole domain under
 * @domain.  Logins compare without regard to case, as login names do in
 * the auth service.  A sender no entry names is owned by no one.
 */
#ifndef POSTERN_SENDER_LOGIN_H
#define POSTERN_SENDER_LOGIN_H

#include "sys_defs.h"
#include "mail_addr.h"
#include "maps.h"

/*
 * May login use sender?  1 yes, 0 no, -1 a table could not answer
 * (*error_r malloc'ed).  With login NULL (a client that has not logged
 * in): 1 if no entry names the sender, 0 if it has an owner.  The null sender <> (bounces,
 * auto-replies) names no one and is allowed to every login.  local_forms as maps_find_addr().
 */
int sender_login_owned(struct maps *m, const char *login, const struct mail_addr *sender,
                       bool local_forms, char **error_r);

#endif
