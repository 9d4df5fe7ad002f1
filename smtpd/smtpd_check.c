/*
 * smtpd_check.c - recipient policy: what this server accepts, from whom.
 *
 * The rules, in the order Postfix's defaults apply them:
 *   - a local domain (mydestination, or a literal naming one of our own
 *     addresses): the user must exist (550 5.1.1);
 *   - a relay domain (relay_domains): accepted from anyone;
 *   - any other domain: accepted only from mynetworks (554 5.7.1 Relay
 *     access denied), so this server is never an open relay.
 * Every rejection is logged once, here, in Postfix's NOQUEUE form.
 */
#include "sys_defs.h"
#include "smtpd.h"
#include "mail_params.h"
#include "local_user.h"
#include "resolve.h"
#include "msg.h"

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

bool smtpd_check_rcpt(struct smtpd_state *st, const struct mail_addr *rcpt, char *reply, size_t len)
{
    struct resolve_result r;
    struct local_user u;

    resolve_addr(rcpt, &r);
    if (r.tempfail) /* a domain table could not answer: the client tries again */
        return reject(st, rcpt, reply, len, "451 4.3.0", "Temporary lookup failure");
    switch (r.cls) {
    case RESOLVE_LOCAL:
        switch (local_user_lookup(rcpt->local, &u)) {
        case LOCAL_USER_FOUND:
            return true;
        case LOCAL_USER_RETRY:
            return reject(st, rcpt, reply, len, "451 4.3.0", "Temporary lookup failure");
        default:
            return reject(st, rcpt, reply, len, "550 5.1.1",
                          "Recipient address rejected: User unknown in local recipient table");
        }
    case RESOLVE_RELAY:
        return true;
    case RESOLVE_DEFAULT:
        if (st->trusted)
            return true;
        return reject(st, rcpt, reply, len, "554 5.7.1", "Relay access denied");
    }
    return false;
}
