/*
 * dict.h - lookup tables, one interface for every kind, opened by name as
 * in Postfix: "hash:/etc/postern/virtual" is the Berkeley DB hash file
 * /etc/postern/virtual.db built by postern-map, and likewise
 *
 *   btree:FILE       Berkeley DB btree, FILE.db
 *   texthash:FILE    the text file itself, read into memory
 *   static:VALUE     every key finds VALUE (static:{text with spaces} too)
 *   inline:{k=v, k2=v2, {k3 = text, with comma}}
 *   regexp:FILE      POSIX regular expressions, Postfix's regexp_table(5)
 *   pcre:FILE        PCRE2 regular expressions, Postfix's pcre_table(5), in
 *                    the same rule file (dict_pattern.h), matched with limits
 *
 * Keys are folded to lower case (unless DICT_FLAG_FOLD is cleared), so
 * lookups are case-insensitive, as in Postfix.  A table that lives in a
 * file notices when the file is replaced (postern-map renames a new one into
 * place) and reopens it at the next lookup, at most once a second; until the
 * new one opens, the old one keeps answering, so no lookup fails.
 *
 * This layer knows nothing of mail; address lookups (user+ext@domain, ...)
 * are in lib/global/maps.h.  The text formats are parsed in one place,
 * dict_table.c, which postern-map uses to build tables too.
 */
#ifndef POSTERN_DICT_H
#define POSTERN_DICT_H

#include "sys_defs.h"

#define DICT_FLAG_FOLD 0x1 /* fold keys to lower case (the default) */
/* Open the file here even when dict_proxy_files() is on (read as root before a chroot). */
#define DICT_FLAG_DIRECT 0x2

#define DICT_KEY_MAX 1024    /* longest key looked up or stored */
#define DICT_VALUE_MAX 65536 /* longest value */

struct dict;

/* What one kind of table does; see dict.c for the registry of kinds. */
struct dict_ops {
    const char *type;
    bool keeps_case; /* keys are never folded (regexp:, pcre: match without case themselves) */
    /* Open name (what follows "type:"); the dict's state goes in d->state. */
    int (*open)(struct dict *d, const char *name, char **error_r);
    /* 1 found (*value_r owned by the dict until the next lookup), 0 not, -1 error. */
    int (*lookup)(struct dict *d, const char *key, const char **value_r, char **error_r);
    void (*close)(struct dict *d);
    /* The file whose replacement means "reopen", or NULL (in-line tables). */
    const char *(*file)(const struct dict *d);
};

struct dict {
    const struct dict_ops *ops;
    char *spec; /* "type:name", for messages */
    char *name; /* what follows "type:" */
    int flags;
    void *state;
    struct stat stamp;          /* of ops->file() when opened */
    long long checked_ms;       /* when the stamp was last compared */
    char key[DICT_KEY_MAX + 1]; /* the folded key of the last lookup */
};

/*
 * Open a table by its "type:name".  -1 with a malloc'ed "type:name: why" in
 * *error_r for an unknown type, a missing file or a syntax error (which
 * names the file and line).
 */
int dict_open(const char *spec, int flags, struct dict **d_r, char **error_r);
/*
 * Look key up.  1: found, *value_r valid until the next lookup in d; 0: not
 * found; -1: the table could not answer (a temporary error; *error_r is
 * malloc'ed), which a caller must never take for "not found".
 */
int dict_lookup(struct dict *d, const char *key, const char **value_r, char **error_r);
void dict_close(struct dict *d);
/* The owner of the table's file when it was (re)opened; -1 for tables without one. */
int dict_owner(const struct dict *d, uid_t *uid_r);

/*
 * The "proxy" kind, "proxy:type:name", which looks type:name up in another
 * process (lib/global/dict_proxy.c registers it).  With
 * dict_proxy_files(), every table kept in a file (hash:, btree:,
 * texthash:, regexp:, pcre:) opens through it too, unless the caller
 * asks for DICT_FLAG_DIRECT: for a daemon about to chroot, whose files
 * will be out of its sight.
 */
void dict_register_proxy(const struct dict_ops *proxy);
void dict_proxy_files(const struct dict_ops *proxy);

/* Is type one of the kinds dict_open() knows?  (For checking configuration.) */
bool dict_type_known(const char *type);
/* The file a hash: or btree: table named name is built into (name + ".db"). */
char *dict_db_path(const char *name);

#endif
