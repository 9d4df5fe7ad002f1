/*
 * maps.h - a list of lookup tables named by a parameter value, as Postfix's
 * maps are ("alias_maps = hash:/etc/aliases, texthash:/etc/postern/more"),
 * searched in order, and address lookups in Postfix's order.
 *
 * Every daemon and command that reads tables does it through here (and so
 * through dict.h): one place decides what a key looks like and what a
 * failed table means.  A table that cannot answer is never "not found":
 * the caller gets -1 and defers or answers 4xx.
 */
#ifndef POSTERN_MAPS_H
#define POSTERN_MAPS_H

#include "sys_defs.h"
#include "mail_addr.h"

struct maps;

/*
 * Open every "type:name" in list (separated by commas or white space).
 * title names the parameter in errors ("alias_maps: hash:/x: open ...").
 * An empty list is a valid maps that finds nothing.  -1 with *error_r.
 */
int maps_open(const char *title, const char *list, struct maps **m_r, char **error_r);
void maps_free(struct maps *m);
/* Does the list name no table at all? */
bool maps_empty(const struct maps *m);

/*
 * The value of key in the first table that has it.  1 found (*value_r valid
 * until the next lookup in m), 0 in none, -1 a table could not answer
 * (*error_r malloc'ed, the table named).
 */
int maps_find(struct maps *m, const char *key, const char **value_r, char **error_r);

/*
 * Look an address up in Postfix's order:
 *   user+ext@domain, user@domain, then, when local_forms is set (the domain
 *   is one of ours: mydestination, myorigin, our address literals),
 *   user+ext and user, and last @domain.
 * The extension is what follows the first recipient_delimiter character;
 * the forms without it are tried only when there is one.  Same returns as
 * maps_find().
 */
int maps_find_addr(struct maps *m, const struct mail_addr *a, bool local_forms,
                   const char **value_r, char **error_r);

/*
 * Look a local part up as aliases are (aliases(5) keys are local parts):
 * user+ext, then user when there is an extension.  Same returns as
 * maps_find().
 */
int maps_find_local(struct maps *m, const char *local, const char **value_r, char **error_r);
/*
 * The owner of the file of the table that answered the last successful
 * lookup (local runs alias commands with the rights of the alias file's
 * owner); -1 if that table has no file (inline:, static:).
 */
int maps_last_owner(const struct maps *m, uid_t *uid_r);

#endif
