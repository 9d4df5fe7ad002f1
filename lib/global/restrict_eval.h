/*
 * restrict_eval.h - evaluate restriction lists (restrict_list.h) against
 * what an SMTP session knows, with Postfix's semantics:
 *
 *   - restrictions run in order; the first that decides ends the list:
 *     a permit (permit, OK, permit_mynetworks, ...) ends only that list,
 *     a refusal ends the command;
 *   - a list that decides nothing permits;
 *   - defer_if_permit remembers a deferral that is answered at the end of
 *     the command if nothing refuses meanwhile; defer_if_reject turns
 *     every later refusal of the command into a 4xx; warn_if_reject turns
 *     the next refusal into a logged warning.
 *
 * The session supplies the facts and the parts that live elsewhere (DNS,
 * send-as ownership, the recipient tables, logging) through struct
 * restrict_ctx, so that the evaluator knows no daemon and tests can give
 * it their own.
 */
#ifndef POSTERN_RESTRICT_EVAL_H
#define POSTERN_RESTRICT_EVAL_H

#include "sys_defs.h"
#include "mail_addr.h"
#include "restrict_conf.h"

#define RESTRICT_REPLY_MAX 512

enum restrict_result {
    RESTRICT_DUNNO,   /* no decision: go on */
    RESTRICT_OK,      /* permitted: this list ends */
    RESTRICT_REFUSED, /* the command is refused with the reply */
};

struct restrict_ctx {
    /* what the session knows (empty strings, or NULL, where not yet) */
    const char *client_addr;        /* numeric */
    const char *client_name;        /* verified name, or "unknown" */
    const char *client_text;        /* "name[addr]" */
    const char *helo;               /* "" before HELO/EHLO */
    const struct mail_addr *sender; /* NULL before MAIL */
    const struct mail_addr *rcpt;   /* NULL outside RCPT */
    bool trusted;                   /* client in mynetworks */
    const char *sasl_username;      /* NULL when not authenticated */

    /* DNS_OK when domain has an MX, A or AAAA record, else DNS_NOTFOUND or DNS_RETRY */
    int (*domain_lookup)(const char *domain);
    /* dns_rbl(): DNS_OK when addr is listed in zone */
    int (*rbl_lookup)(const char *addr, const char *zone, const char *filter);
    /* May this session use sender (its login, or none)?  1 yes, 0 no, -1 a table failed */
    int (*sender_owned)(void *arg, const struct mail_addr *sender);
    /* Is rcpt a known recipient?  1 yes; 0 no or -1 failed, with the reply set */
    int (*rcpt_listed)(void *arg, const struct mail_addr *rcpt, char *reply, size_t len);
    /* Log a refusal that warn_if_reject made a warning */
    void (*warn)(void *arg, const char *reply);
    void *arg;

    /* state of the command being decided; restrict_start() clears it */
    bool defer_if_permit;
    bool defer_if_reject;
    bool warn_if_reject;
    char dip_reply[RESTRICT_REPLY_MAX];
};

/* A new command: forget what the last one's restrictions remembered. */
void restrict_start(struct restrict_ctx *c);
/*
 * Evaluate list w (of conf) for the command; RESTRICT_REFUSED with the
 * reply ("554 5.7.1 <a@b>: Relay access denied") in reply.
 */
enum restrict_result restrict_eval(struct restrict_ctx *c, const struct restrict_conf *conf,
                                   enum restrict_which w, char *reply, size_t len);
/* After the command's last list: a remembered defer_if_permit refuses now. */
enum restrict_result restrict_finish(struct restrict_ctx *c, enum restrict_result r, char *reply,
                                     size_t len);

/* restrict_access.c: the check_*_access lookups (access(5)), same returns */
enum restrict_result restrict_access(struct restrict_ctx *c, const struct restrict_item *item,
                                     enum restrict_which w, char *reply, size_t len);

/*
 * For restrict_access.c: refuse with code, dsn and "<obj>: text" (just
 * text when obj is ""), as every refusal is made.
 */
enum restrict_result restrict_refuse(struct restrict_ctx *c, char *reply, size_t len, int code,
                                     const char *dsn, const char *obj, const char *text);
/* The object a reply names for list w or item kind: "<a@b>", "<unknown[192.0.2.1]>". */
void restrict_object(const struct restrict_ctx *c, enum restrict_stage what, char *out, size_t len);
/* "Client host rejected", "Recipient address rejected", ... */
const char *restrict_label(enum restrict_stage what);

#endif
