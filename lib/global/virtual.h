/*
 * virtual.h - a company's domains, as Postfix's virtual(5) and virtual(8)
 * have them:
 *
 *   virtual_alias_maps     address -> addresses: forwarding, catch-alls
 *                          (@domain), distribution lists; expanded once,
 *                          when a message is queued (smtpd, pickup), so the
 *                          queue file already holds the real recipients and
 *                          qmgr splits local, virtual and remote among them
 *   virtual_mailbox_maps   address -> a mailbox under virtual_mailbox_base
 *                          ("corp.example/alice/": a trailing / is a
 *                          Maildir), optionally followed by "quota=SIZE"
 *                          (K, M, G suffixes; 0: none)
 *   virtual_uid_maps, virtual_gid_maps   the ids a mailbox is written with
 *                          (static:N for one id for all)
 *
 * The domain lists themselves (virtual_alias_domains,
 * virtual_mailbox_domains) are resolve.h's.  Every lookup goes through
 * maps.h in Postfix's address order; a table that cannot answer is a
 * temporary failure, never "unknown".
 */
#ifndef POSTERN_VIRTUAL_H
#define POSTERN_VIRTUAL_H

#include "sys_defs.h"
#include "mail_addr.h"
#include "htable.h"

/* Open the tables of the loaded configuration; -1 with a malloc'ed *error_r. */
int virtual_init(char **error_r);

/* One address an expansion yields (internal form), with the one expanded. */
typedef void (*virtual_fn)(const char *address, const char *orig, void *ctx);

/*
 * Expand address (internal form) through virtual_alias_maps, recursively,
 * and call fn for each final address, once each: an address without an
 * alias is final, and so is one that an alias maps to itself.  Returns the
 * number of addresses given to fn; -1 with *error_r (malloc'ed) when a
 * table failed, an alias names something that is not an address, or
 * virtual_alias_recursion_limit or _expansion_limit were passed; fn is not
 * called at all then, and the caller answers 4xx (a table) or refuses.
 */
int virtual_expand(const char *address, virtual_fn fn, void *ctx, char **error_r);
/*
 * The recipients of one message, each expanded and every final address
 * given to fn once (case-insensitively), however many lists name it: what
 * smtpd and pickup write into a queue file.  A -1 from virtual_rcpts_add()
 * (see virtual_expand) means the file must not be queued: fn may have been
 * given some addresses already.
 */
struct virtual_rcpts {
    virtual_fn fn;
    void *ctx;
    struct htable seen;
};

void virtual_rcpts_init(struct virtual_rcpts *v, virtual_fn fn, void *ctx);
int virtual_rcpts_add(struct virtual_rcpts *v, const char *address, char **error_r);
void virtual_rcpts_free(struct virtual_rcpts *v);

/* Does address have a virtual alias?  1 yes, 0 no, -1 a table failed. */
int virtual_alias_known(const struct mail_addr *a, char **error_r);

/* A mailbox of a virtual mailbox domain. */
struct virtual_mailbox {
    char path[PATH_MAX]; /* absolute: virtual_mailbox_base/..., no trailing '/' */
    bool maildir;        /* the map's value ended in '/' */
    long long quota;     /* bytes; 0: none */
    uid_t uid;
    gid_t gid;
};

/*
 * Look the mailbox of a up.  1 found (*mb filled), 0 no such mailbox, -1 a
 * table failed or the entry is unusable (no uid, a uid under
 * virtual_minimum_uid, a path that leaves the base): *error_r says which.
 */
int virtual_mailbox_find(const struct mail_addr *a, struct virtual_mailbox *mb, char **error_r);

/*
 * Parse a virtual_mailbox_maps value, "PATH [quota=SIZE]", into mb's path
 * (under virtual_mailbox_base, never leaving it), maildir and quota (the
 * ids are left alone); -1 with a malloc'ed *error_r.
 */
int virtual_mailbox_parse(const char *value, struct virtual_mailbox *mb, char **error_r);
/* Parse "500M"-style sizes (K, M, G: powers of 1024); -1 if not one. */
int virtual_parse_size(const char *text, long long *bytes_r);

#endif
