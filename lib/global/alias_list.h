/*
 * alias_list.h - the destinations of an alias, a .forward file or an
 * :include: file, parsed once into typed items (aliases(5), local(8)):
 *
 *   user, user@domain      another recipient (ALIAS_ITEM_ADDRESS)
 *   \user                  the user's own mailbox, no further aliasing
 *   /path/file             append to a file, in mbox format
 *   |command arguments     pipe the message into a command
 *   :include:/path/file    more destinations, read from the file
 *
 * Items are separated by commas or line ends; an item in double quotes
 * (with \ escaping the next character) may hold commas and white space, as
 * in "|/usr/bin/vacation -a joe, jr".  In a file, a line that starts with
 * '#' is a comment.  A .forward file is user input: every
 * limit here is enforced before anything is looked at further.
 */
#ifndef POSTERN_ALIAS_LIST_H
#define POSTERN_ALIAS_LIST_H

#include "sys_defs.h"
#include "mail_addr.h"

#define ALIAS_ITEM_MAX 4096  /* octets in one item */
#define ALIAS_ITEMS_MAX 1000 /* items in one list */

enum alias_item_type {
    ALIAS_ITEM_ADDRESS, /* addr holds the recipient */
    ALIAS_ITEM_NOALIAS, /* \user: addr holds it, deliver without aliasing */
    ALIAS_ITEM_FILE,    /* text is an absolute path */
    ALIAS_ITEM_COMMAND, /* text is the command line, without the '|' */
    ALIAS_ITEM_INCLUDE, /* text is an absolute path */
    ALIAS_ITEM_BAD,     /* text says what is wrong with it */
};

struct alias_item {
    enum alias_item_type type;
    char *text;
    struct mail_addr addr;
};

struct alias_list {
    struct alias_item *items;
    size_t n, cap;
};

/*
 * Parse a list (value, len octets).  Items that are wrong on their own
 * become ALIAS_ITEM_BAD, so that the rest still count; -1 with *error_r
 * only when the list as a whole cannot be read (an unterminated quote, too
 * many items).  Free with alias_list_free().
 */
int alias_list_parse(const char *value, size_t len, struct alias_list *l, const char **error_r);
void alias_list_free(struct alias_list *l);

#endif
