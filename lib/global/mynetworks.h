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

/* A list of networks from a parameter in mynetworks' syntax. */
struct net_list {
    struct cidr *nets;
    size_t count;
};

/* Parse value (param names it in errors); -1 with *error_r (malloc'ed). */
int net_list_parse(const char *param, const char *value, struct net_list *l, char **error_r);
/* Does the numeric client address match one of the networks? */
bool net_list_match(const struct net_list *l, const char *addr);

/* Parse var_mynetworks; -1 with *error_r (malloc'ed) naming the bad entry. */
int mynetworks_init(char **error_r);
/* Does the numeric client address match mynetworks? */
bool mynetworks_match(const char *addr);

#endif
