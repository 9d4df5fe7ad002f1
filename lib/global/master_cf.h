/*
 * master_cf.h - master.cf, the service table, in Postfix's syntax:
 *
 *   service type private unpriv chroot wakeup maxproc command [args...]
 *
 * '-' in a column means its default (private y, unpriv y, chroot n,
 * wakeup 0, maxproc $default_process_limit).  Arguments "-o name=value"
 * override main.cf for that service; their names are checked against the
 * parameter table here, so a typo is reported with its file and line.
 */
#ifndef POSTERN_MASTER_CF_H
#define POSTERN_MASTER_CF_H

#include "sys_defs.h"

enum master_type {
    MASTER_TYPE_INET,
    MASTER_TYPE_UNIX,
};

struct master_ent {
    char *name; /* as written: "smtp", "127.0.0.2:10025", "qmgr" */
    enum master_type type;
    char *host;       /* inet: bind address or NULL for inet_interfaces */
    char *port;       /* inet: port number or service name */
    bool private_;    /* unix: private/ (0600) rather than public/ (0666) */
    bool unpriv;      /* run as mail_owner rather than root */
    bool chroot;      /* chroot to the queue directory */
    int wakeup;       /* seconds between wake-up triggers; 0 for none */
    int maxproc;      /* process limit; 0 means no limit */
    char *command;    /* program in daemon_directory */
    char **argv;      /* arguments after the command, NULL terminated */
    char **overrides; /* "name=value" from -o, NULL terminated */
    char *file;
    int line;
};

/*
 * Parse one logical master.cf line into e (default_maxproc for '-').
 * -1 with *error_r (static text) when the line is malformed.
 */
int master_cf_parse_line(const unsigned char *line, size_t len, int default_maxproc,
                         struct master_ent *e, const char **error_r);
/* Read a whole master.cf; *error_r is malloc'ed "FILE, line N: why". */
int master_cf_read(const char *path, int default_maxproc, struct master_ent **ents_r, size_t *n_r,
                   char **error_r);
void master_ent_free(struct master_ent *e);
void master_cf_free(struct master_ent *ents, size_t n);
/* Do two entries describe the same running service (so a reload can keep it)? */
bool master_ent_same(const struct master_ent *a, const struct master_ent *b);
/*
 * Why a program cannot run chrooted (master.cf chroot column y), or NULL if
 * it can.  The daemon skeleton refuses to start that way and "postern check"
 * reports it, both from this one table.
 */
const char *master_chroot_refused(const char *command);
/* The service's type as master.cf spells it. */
const char *master_type_name(enum master_type t);

#endif
