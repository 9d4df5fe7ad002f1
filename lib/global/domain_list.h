/*
 * domain_list.h - lists of domains as Postfix's parameters give them
 * (mydestination, relay_domains, virtual_mailbox_domains, ...):
 *
 *   example.com        that domain (and its subdomains in a "parent" list,
 *                      Postfix's parent_domain_matches_subdomains)
 *   .example.com       the subdomains of example.com
 *   !element           the domain does not match, whatever comes later
 *   /path/file         more elements, read from the file
 *   type:table         the domain is a key of the table (a parent list
 *                      also tries its parent domains, others try
 *                      ".parent" keys), the value does not matter
 *
 * Elements are tried in order and the first that applies decides.
 */
#ifndef POSTERN_DOMAIN_LIST_H
#define POSTERN_DOMAIN_LIST_H

#include "sys_defs.h"

struct domain_list;

/* Parse value (the parameter named param); -1 with a malloc'ed *error_r. */
int domain_list_init(const char *param, const char *value, bool parent, struct domain_list **l_r,
                     char **error_r);
/* 1: the domain is in the list, 0: not, -1: a table could not answer (*error_r). */
int domain_list_match(struct domain_list *l, const char *domain, char **error_r);
/* Does the list name nothing at all? */
bool domain_list_empty(const struct domain_list *l);
void domain_list_free(struct domain_list *l);

#endif
