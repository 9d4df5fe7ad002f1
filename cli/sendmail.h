/*
 * sendmail.h - the sendmail command's parts:
 *
 *   sendmail.c          options, the modes (by option and by argv[0]: mailq,
 *                       newaliases), the commands the other modes run
 *   sendmail_enqueue.c  a message from standard input: addresses, the
 *                       text, the header edits of submit.h, the checks
 *   sendmail_smtp.c     -bs: an SMTP session on standard input and output
 *   sendmail_drop.c     running postdrop with the message's records
 *
 * sendmail is an ordinary program of the user who runs it: it needs no
 * privilege and has none.  It reads main.cf (world-readable), checks and
 * prepares the message so that the user gets one clear error line, and
 * hands it to the setgid postdrop, which trusts none of that and checks
 * again (maildrop.h).
 */
#ifndef POSTERN_SENDMAIL_H
#define POSTERN_SENDMAIL_H

#include "sys_defs.h"
#include "buf.h"
#include "mail_addr.h"

struct sm_opts {
    bool extract;          /* -t */
    bool dot_ends;         /* no -i / -oi */
    const char *sender;    /* -f / -r, or NULL for the user's own address */
    const char *full_name; /* -F, or NULL */
    int notify;            /* -N: QFILE_NOTIFY_* bits, 0 when not given */
    const char *dsn_ret;   /* -R: "FULL" or "HDRS", or NULL */
    const char *dsn_envid; /* -V, or NULL */
    const char *alias_db;  /* -oA, or NULL for alias_database */
    char **rcpts;          /* arguments after the options */
};

struct sm_rcpt {
    char address[MAIL_ADDR_TEXT_MAX + 1]; /* internal form */
    int notify;
};

/* One message's envelope, as postdrop gets it. */
struct sm_envelope {
    char sender[MAIL_ADDR_TEXT_MAX + 1]; /* internal form, "" for <> */
    struct sm_rcpt *rcpts;
    size_t n, cap;
    const char *dsn_ret;
    const char *dsn_envid;
};

/* sendmail.c */
extern const char *sm_config_dir; /* resolved: -C/-c, $POSTERN_CONFIG_DIR or the default */
/* Fail with one line, "sendmail: fatal: login(uid): text", as Postfix words it. */
NORETURN void sm_fail(int status, const char *fmt, ...) PRINTFLIKE(2, 3);
/* The user's login name (for the default sender and error lines). */
const char *sm_login(void);

/* sendmail_enqueue.c */
NORETURN void sm_enqueue(const struct sm_opts *o);
/* Qualify a bare local part with myorigin; -1 if the result is too long. */
int sm_qualify(struct mail_addr *a);
/* Add a recipient once (duplicates are dropped, as Postfix's cleanup drops them). */
void sm_env_add(struct sm_envelope *e, const struct mail_addr *a, int notify);
void sm_env_free(struct sm_envelope *e);

/* sendmail_smtp.c */
NORETURN void sm_smtp(const struct sm_opts *o);

/* sendmail_drop.c */
/*
 * Run postdrop and give it the message: e's envelope, then header and
 * body as the content.  Returns postdrop's exit status (0: queued); any
 * error line has been printed already, by postdrop or by us.
 */
int sm_drop(const struct sm_envelope *e, const struct buf *header, const unsigned char *body,
            size_t body_len);

#endif
