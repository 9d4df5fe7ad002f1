/*
 * restrict_list.h - Postfix's ordered SMTP restriction lists
 * (smtpd_client_restrictions, ..., smtpd_recipient_restrictions), parsed
 * once from a parameter's text into a typed list.
 *
 * The one parser of that text: smtpd evaluates what it returns
 * (restrict_eval.h), "postern check" reports what it refuses
 * (restrict_conf.h).  Nothing downstream looks at the words again.
 */
#ifndef POSTERN_RESTRICT_LIST_H
#define POSTERN_RESTRICT_LIST_H

#include "sys_defs.h"
#include "maps.h"

#define RESTRICT_LIST_MAX 256   /* restrictions in one list */
#define RESTRICT_WORD_MAX 1024  /* bytes in one word (a table name) */
#define RESTRICT_TEXT_MAX 65536 /* bytes of parameter text */

enum restrict_kind {
    RESTRICT_PERMIT,
    RESTRICT_REJECT,
    RESTRICT_DEFER,
    RESTRICT_DEFER_IF_PERMIT,
    RESTRICT_DEFER_IF_REJECT,
    RESTRICT_WARN_IF_REJECT,
    RESTRICT_PERMIT_MYNETWORKS,
    RESTRICT_PERMIT_SASL_AUTHENTICATED,
    RESTRICT_REJECT_UNAUTH_DESTINATION,
    RESTRICT_DEFER_UNAUTH_DESTINATION,
    RESTRICT_REJECT_UNKNOWN_RECIPIENT_DOMAIN,
    RESTRICT_REJECT_UNKNOWN_SENDER_DOMAIN,
    RESTRICT_REJECT_NON_FQDN_SENDER,
    RESTRICT_REJECT_NON_FQDN_RECIPIENT,
    RESTRICT_REJECT_NON_FQDN_HELO_HOSTNAME,
    RESTRICT_REJECT_INVALID_HELO_HOSTNAME,
    RESTRICT_REJECT_UNLISTED_RECIPIENT,
    RESTRICT_REJECT_AUTH_SENDER_LOGIN_MISMATCH,
    RESTRICT_REJECT_SENDER_LOGIN_MISMATCH,
    RESTRICT_CHECK_CLIENT_ACCESS,
    RESTRICT_CHECK_HELO_ACCESS,
    RESTRICT_CHECK_SENDER_ACCESS,
    RESTRICT_CHECK_RECIPIENT_ACCESS,
    RESTRICT_REJECT_RBL_CLIENT,
};

/*
 * The SMTP stage from which the information a restriction needs exists;
 * also the stage at which each list is evaluated (with smtpd_delay_reject
 * the client, helo and sender lists wait until RCPT).
 */
enum restrict_stage {
    RESTRICT_STAGE_CLIENT,
    RESTRICT_STAGE_HELO,
    RESTRICT_STAGE_SENDER,
    RESTRICT_STAGE_RECIPIENT,
    RESTRICT_STAGE_DATA,
};

struct restrict_item {
    enum restrict_kind kind;
    char *arg;          /* check_*_access: "type:name"; reject_rbl_client: the DNS zone */
    struct maps *table; /* opened with RESTRICT_FLAG_OPEN, else NULL */
};

struct restrict_list {
    char *param; /* the parameter it came from, for errors and logs */
    size_t n;
    struct restrict_item *items;
};

#define RESTRICT_FLAG_OPEN 0x1 /* open the tables (else only parse the names) */

/*
 * Parse (text, len) of parameter param: words separated by commas or white
 * space, each a restriction name, check_*_access followed by its table,
 * reject_rbl_client by its zone (a domain, optionally "=192.0.2.2", the
 * only answer that counts).
 * -1 with a malloc'ed one-line *error_r naming param ("param: unknown
 * restriction \"foo\"").  An empty text is a valid empty list.
 */
int restrict_list_parse(const char *param, const char *text, size_t len, int flags,
                        struct restrict_list **l_r, char **error_r);
void restrict_list_free(struct restrict_list *l);

/* The restriction's name as written in main.cf. */
const char *restrict_kind_name(enum restrict_kind kind);
/* The first stage at which the restriction can work. */
enum restrict_stage restrict_kind_stage(enum restrict_kind kind);

#endif
