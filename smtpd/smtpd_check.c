/*
 * smtpd_check.c - recipient policy: what this server accepts, from whom.
 *
 * The rules, in the order Postfix's defaults apply them:
 *   - a local domain (mydestination, or a literal naming one of our own
 *     addresses): postmaster always (RFC 5321 4.5.1), else an alias
 *     (alias_maps) or a system account must exist (550 5.1.1): Postfix's
 *     local_recipient_maps, from the tables local itself delivers from;
 *     a virtual alias (virtual_alias_maps) is accepted in any domain;
 *   - a virtual alias domain (virtual_alias_domains): the address must
 *     have a virtual alias (550 5.1.1 otherwise);
 *   - a virtual mailbox domain (virtual_mailbox_domains): a mailbox or a
 *     virtual alias must exist (550 5.1.1 otherwise);
 *   - a relay domain (relay_domains): accepted from anyone;
 *   - any other domain: accepted only from mynetworks or an authenticated
 *     client (554 5.7.1 Relay access denied), so this server is never an
 *     open relay.
 * Every rejection is logged once, here, in Postfix's NOQUEUE form.
 */
#include "sys_defs.h"
#include "smtpd.h"
#include "mail_params.h"
#include "local_user.h"
#include "maps.h"
#include "resolve.h"
#include "msg.h"
#include "strutil.h"
#include "virtual.h"

static struct maps *smtpd_aliases;

void smtpd_check_init(void)
{
    char *err;

    if (maps_open("alias_maps", var_alias_maps, &smtpd_aliases, &err) < 0 || virtual_init(&err) < 0)
        msg_fatal("%s", err);
}

/* Known as a virtual alias: 1 yes, 0 no, -1 a lookup failed. */
static int smtpd_valias_known(const struct mail_addr *rcpt)
{
    char *err = NULL;
    int r = virtual_alias_known(rcpt, &err);

    if (r < 0) {
        msg_warn("%s", err);
        free(err);
    }
    return r;
}

/* A recipient in a virtual mailbox domain: 1 known, 0 unknown, -1 a lookup failed. */
static int smtpd_vmailbox_known(const struct mail_addr *rcpt)
{
    struct virtual_mailbox mb;
    char *err = NULL;
    int r;

    if ((r = smtpd_valias_known(rcpt)) != 0)
        return r;
    if ((r = virtual_mailbox_find(rcpt, &mb, &err)) < 0) {
        /* A broken entry is the site's to fix; the sender retries meanwhile. */
        msg_warn("%s", err);
        free(err);
    }
    return r;
}

/* A recipient in a local domain: 1 known, 0 unknown, -1 a lookup failed. */
static int smtpd_local_known(const struct mail_addr *rcpt)
{
    struct local_user u;
    const char *v;
    char *err = NULL;
    int r;

    if (str_eq_nocase(rcpt->local, "postmaster"))
        return 1;
    if ((r = smtpd_valias_known(rcpt)) != 0)
        return r;
    if ((r = maps_find_local(smtpd_aliases, rcpt->local, &v, &err)) != 0) {
        if (r < 0) {
            msg_warn("%s", err);
            free(err);
        }
        return r;
    }
    switch (local_user_lookup(rcpt->local, &u)) {
    case LOCAL_USER_FOUND:
        return 1;
    case LOCAL_USER_RETRY:
        return -1;
    }
    return 0;
}

static bool reject(struct smtpd_state *st, const struct mail_addr *rcpt, char *reply, size_t len,
                   const char *code, const char *why)
{
    struct buf ext, from;

    /* Addresses go into replies and logs in their external (quoted) form, as Postfix. */
    buf_init(&ext, MAIL_ADDR_TEXT_MAX * 2 + 8);
    buf_init(&from, MAIL_ADDR_TEXT_MAX * 2 + 8);
    mail_addr_external(rcpt, &ext);
    mail_addr_quote_internal(st->sender, &from);
    snprintf(reply, len, "%s <%s>: %s", code, buf_str(&ext), why);
    msg_info("NOQUEUE: reject: RCPT from %s: %s; from=<%s> to=<%s> proto=%s helo=<%s>",
             smtpd_client(st), reply, buf_str(&from), buf_str(&ext), st->esmtp ? "ESMTP" : "SMTP",
             st->helo);
    buf_free(&ext);
    buf_free(&from);
    return false;
}

/* The answer for a lookup of a recipient that must exist. */
static bool smtpd_known(struct smtpd_state *st, const struct mail_addr *rcpt, char *reply,
                        size_t len, int known, const char *table)
{
    char why[128];

    if (known > 0)
        return true;
    if (known < 0)
        return reject(st, rcpt, reply, len, "451 4.3.0", "Temporary lookup failure");
    snprintf(why, sizeof(why), "Recipient address rejected: %s", table);
    return reject(st, rcpt, reply, len, "550 5.1.1", why);
}

bool smtpd_check_rcpt(struct smtpd_state *st, const struct mail_addr *rcpt, char *reply, size_t len)
{
    struct resolve_result r;

    resolve_addr(rcpt, &r);
    if (r.tempfail) /* a domain table could not answer: the client tries again */
        return reject(st, rcpt, reply, len, "451 4.3.0", "Temporary lookup failure");
    switch (r.cls) {
    case RESOLVE_LOCAL:
        return smtpd_known(st, rcpt, reply, len, smtpd_local_known(rcpt),
                           "User unknown in local recipient table");
    case RESOLVE_VALIAS:
        return smtpd_known(st, rcpt, reply, len, smtpd_valias_known(rcpt),
                           "User unknown in virtual alias table");
    case RESOLVE_VIRTUAL:
        return smtpd_known(st, rcpt, reply, len, smtpd_vmailbox_known(rcpt),
                           "User unknown in virtual mailbox table");
    case RESOLVE_RELAY:
        return true;
    case RESOLVE_DEFAULT:
        if (st->trusted || st->sasl_username) /* permit_sasl_authenticated, until lists exist */
            return true;
        return reject(st, rcpt, reply, len, "554 5.7.1", "Relay access denied");
    }
    return false;
}
