/*
 * restrict_conf.h - the restriction lists of the loaded configuration, as
 * one set, with the checks that make sense only for the set: a restriction
 * in a list evaluated before its information exists, and relay lists that
 * let anyone relay.  smtpd refuses to start, and "postern check" fails,
 * on exactly the same errors, since both come here.
 */
#ifndef POSTERN_RESTRICT_CONF_H
#define POSTERN_RESTRICT_CONF_H

#include "sys_defs.h"
#include "restrict_list.h"

enum restrict_which {
    RESTRICT_CLIENT,
    RESTRICT_HELO,
    RESTRICT_SENDER,
    RESTRICT_RELAY,
    RESTRICT_RECIPIENT,
    RESTRICT_DATA,
    RESTRICT_NLISTS,
};

struct restrict_conf {
    struct restrict_list *lists[RESTRICT_NLISTS];
};

/*
 * Parse every smtpd_*_restrictions parameter (opening tables with
 * RESTRICT_FLAG_OPEN) and check the set; -1 with a malloc'ed one-line
 * *error_r.
 */
int restrict_conf_load(int flags, struct restrict_conf *c, char **error_r);
void restrict_conf_free(struct restrict_conf *c);
/* The parameter that holds list w ("smtpd_relay_restrictions"). */
const char *restrict_conf_param(enum restrict_which w);
/* The stage at which list w is evaluated under smtpd_delay_reject. */
enum restrict_stage restrict_conf_stage(enum restrict_which w);

#endif
