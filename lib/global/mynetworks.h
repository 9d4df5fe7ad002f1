/*
 * mynetworks.h - is a client one of ours?  Parses mynetworks once into
 * network patterns and matches client addresses against them; other
 * parameters that name networks the same way (smtpd's
 * smtpd_forbid_bare_newline_exclusions) use its net_list.
 */
#ifndef POSTERN_MYNETWORKS_H
#define POSTERN_MYNETWORKS_H

#include "sys_defs.h"
#include "cidr.h"

/* A list of networks in mynetworks' syntax (smtpd_client_event_limit_exceptions,
 * smtpd_forbid_bare_newline_exclusions). */
struct net_list {
    struct cidr *nets;
    size_t count;
};

/* Parse value (parameter name, for errors); -1 with *error_r (malloc'ed). */
int net_list_init(struct net_list *l, const char *name, const char *value, char **error_r);
/* Does the numeric client address match an entry of l? */
bool net_list_match(const struct net_list *l, const char *addr);

/* Parse var_mynetworks; -1 with *error_r (malloc'ed) naming the bad entry. */
int mynetworks_init(char **error_r);
/* Does the numeric client address match mynetworks? */
bool mynetworks_match(const char *addr);

#endif
