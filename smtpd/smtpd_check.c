/*
 * smtpd_check.c - policy: what this server accepts, from whom.
 *
 * First the restriction lists (restrict_eval.h), in Postfix's order: with
 * smtpd_delay_reject (the default) the client, helo and sender lists wait
 * until RCPT, then come smtpd_relay_restrictions and
 * smtpd_recipient_restrictions; without it the client and helo lists are
 * also applied at HELO, and the three at MAIL.  smtpd_data_restrictions
 * apply at DATA.  The default lists are Postern's old fixed policy: relay
 * only for mynetworks (554 5.7.1 Relay access denied).
 *
 * Then, for an accepted recipient, smtpd_reject_unlisted_recipient, in the
 * order Postfix's defaults apply it:
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
#include "smtpd_sasl.h"
#include "mail_params.h"
#include "local_user.h"
#include "maps.h"
#include "resolve.h"
#include "msg.h"
#include "strutil.h"
#include "virtual.h"
#include "restrict_eval.h"
#include "dns.h"

static struct maps *smtpd_aliases;
static struct restrict_conf smtpd_restrictions;

void smtpd_check_init(void)
{
    char *err;

    if (maps_open("alias_maps", var_alias_maps, &smtpd_aliases, &err) < 0 ||
        virtual_init(&err) < 0 ||
        restrict_conf_load(RESTRICT_FLAG_OPEN, &smtpd_restrictions, &err) < 0)
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

/* The reply for a recipient that must exist but is not known (or cannot be looked up). */
static int smtpd_known(const struct mail_addr *rcpt, char *reply, size_t len, int known,
                       const char *table)
{
    struct buf ext;

    if (known > 0)
        return 1;
    buf_init(&ext, MAIL_ADDR_TEXT_MAX * 2 + 8);
    mail_addr_external(rcpt, &ext);
    if (known < 0)
        snprintf(reply, len, "451 4.3.0 <%s>: Temporary lookup failure", buf_str(&ext));
    else
        snprintf(reply, len, "550 5.1.1 <%s>: Recipient address rejected: %s", buf_str(&ext),
                 table);
    buf_free(&ext);
    return known;
}

/* reject_unlisted_recipient: 1 known, else 0 or -1 with the reply. */
static int smtpd_rcpt_listed(void *arg UNUSED, const struct mail_addr *rcpt, char *reply,
                             size_t len)
{
    struct resolve_result r;

    resolve_addr(rcpt, &r);
    if (r.tempfail) /* a domain table could not answer: the client tries again */
        return smtpd_known(rcpt, reply, len, -1, NULL);
    switch (r.cls) {
    case RESOLVE_LOCAL:
        return smtpd_known(rcpt, reply, len, smtpd_local_known(rcpt),
                           "User unknown in local recipient table");
    case RESOLVE_VALIAS:
        return smtpd_known(rcpt, reply, len, smtpd_valias_known(rcpt),
                           "User unknown in virtual alias table");
    case RESOLVE_VIRTUAL:
        return smtpd_known(rcpt, reply, len, smtpd_vmailbox_known(rcpt),
                           "User unknown in virtual mailbox table");
    case RESOLVE_RELAY:
    case RESOLVE_DEFAULT:
        break;
    }
    return 1;
}

/* One line per refusal, in Postfix's NOQUEUE form; "to=" only where there is a recipient. */
static void smtpd_log_reject(struct smtpd_state *st, const char *what, const char *cmd,
                             const struct mail_addr *sender, const struct mail_addr *rcpt,
                             const char *reply)
{
    struct buf ext, from;

    /* Addresses go into logs in their external (quoted) form, as Postfix. */
    buf_init(&ext, MAIL_ADDR_TEXT_MAX * 2 + 8);
    buf_init(&from, MAIL_ADDR_TEXT_MAX * 2 + 8);
    if (rcpt)
        mail_addr_external(rcpt, &ext);
    if (sender && !sender->null)
        mail_addr_external(sender, &from);
    msg_info("NOQUEUE: %s: %s from %s: %s;%s%s%s%s%s%s proto=%s helo=<%s>", what, cmd,
             smtpd_client(st), reply, sender ? " from=<" : "", buf_str(&from), sender ? ">" : "",
             rcpt ? " to=<" : "", buf_str(&ext), rcpt ? ">" : "", st->esmtp ? "ESMTP" : "SMTP",
             st->helo);
    buf_free(&ext);
    buf_free(&from);
}

/* What the hooks of one evaluation need. */
struct smtpd_eval {
    struct smtpd_state *st;
    const char *cmd;
    const struct mail_addr *sender, *rcpt;
};

static void smtpd_warn(void *arg, const char *reply)
{
    struct smtpd_eval *e = arg;

    smtpd_log_reject(e->st, "reject_warning", e->cmd, e->sender, e->rcpt, reply);
}

static int smtpd_sender_owned(void *arg, const struct mail_addr *sender)
{
    struct smtpd_eval *e = arg;
    char text[MAIL_ADDR_TEXT_MAX + 1];

    mail_addr_internal(sender, text, sizeof(text));
    return smtpd_sasl_sender_owned(e->st, text);
}

/* What the restrictions see of the session. */
static void smtpd_ctx(struct smtpd_state *st, struct restrict_ctx *c, struct smtpd_eval *e,
                      const struct mail_addr *sender, const struct mail_addr *rcpt)
{
    memset(c, 0, sizeof(*c));
    c->client_addr = st->addr;
    c->client_name = st->name;
    c->client_text = smtpd_client(st);
    c->helo = st->helo;
    c->sender = sender;
    c->rcpt = rcpt;
    c->trusted = st->trusted;
    c->sasl_username = st->sasl_username;
    c->domain_lookup = dns_mail_domain;
    c->rbl_lookup = dns_rbl;
    c->sender_owned = smtpd_sender_owned;
    c->rcpt_listed = smtpd_rcpt_listed;
    c->warn = smtpd_warn;
    c->arg = e;
    restrict_start(c);
}

/* Apply lists first..last (in restrict_which order), then any defer_if_permit. */
static bool smtpd_lists(struct smtpd_state *st, const char *cmd, const struct mail_addr *sender,
                        const struct mail_addr *rcpt, const enum restrict_which *lists, size_t n,
                        char *reply, size_t len)
{
    struct smtpd_eval e = {st, cmd, sender, rcpt};
    struct restrict_ctx c;
    enum restrict_result r = RESTRICT_DUNNO;
    size_t i;

    smtpd_ctx(st, &c, &e, sender, rcpt);
    for (i = 0; i < n && r != RESTRICT_REFUSED; i++)
        r = restrict_eval(&c, &smtpd_restrictions, lists[i], reply, len);
    if (restrict_finish(&c, r, reply, len) != RESTRICT_REFUSED)
        return true;
    smtpd_log_reject(st, "reject", cmd, sender, rcpt, reply);
    return false;
}

/* The sender of the transaction, parsed again from its internal form. */
static const struct mail_addr *smtpd_sender(struct smtpd_state *st, struct mail_addr *a)
{
    if (!st->have_mail || mail_addr_from_internal(st->sender, a) < 0)
        return NULL;
    return a;
}

bool smtpd_check_rcpt(struct smtpd_state *st, const struct mail_addr *rcpt, char *reply, size_t len)
{
    static const enum restrict_which all[] = {RESTRICT_CLIENT, RESTRICT_HELO, RESTRICT_SENDER,
                                              RESTRICT_RELAY, RESTRICT_RECIPIENT};
    struct mail_addr a;
    const struct mail_addr *sender = smtpd_sender(st, &a);
    size_t first = var_smtpd_delay_reject ? 0 : 3; /* else MAIL applied the first three */

    if (!smtpd_lists(st, "RCPT", sender, rcpt, all + first, COUNTOF(all) - first, reply, len))
        return false;
    if (var_smtpd_reject_unlisted_recipient && smtpd_rcpt_listed(NULL, rcpt, reply, len) <= 0) {
        smtpd_log_reject(st, "reject", "RCPT", sender, rcpt, reply);
        return false;
    }
    return true;
}

bool smtpd_check_helo(struct smtpd_state *st)
{
    static const enum restrict_which lists[] = {RESTRICT_CLIENT, RESTRICT_HELO};
    char reply[RESTRICT_REPLY_MAX];

    if (var_smtpd_delay_reject || smtpd_lists(st, st->esmtp ? "EHLO" : "HELO", NULL, NULL, lists,
                                              COUNTOF(lists), reply, sizeof(reply)))
        return true;
    smtpd_reply(st, "%s", reply);
    st->helo[0] = 0;
    return false;
}

bool smtpd_check_mail(struct smtpd_state *st, const struct mail_addr *sender)
{
    static const enum restrict_which lists[] = {RESTRICT_CLIENT, RESTRICT_HELO, RESTRICT_SENDER};
    char reply[RESTRICT_REPLY_MAX];

    if (var_smtpd_delay_reject ||
        smtpd_lists(st, "MAIL", sender, NULL, lists, COUNTOF(lists), reply, sizeof(reply)))
        return true;
    smtpd_reply(st, "%s", reply);
    return false;
}

bool smtpd_check_data(struct smtpd_state *st)
{
    static const enum restrict_which lists[] = {RESTRICT_DATA};
    struct mail_addr sender;
    char reply[RESTRICT_REPLY_MAX];

    if (smtpd_lists(st, "DATA", smtpd_sender(st, &sender), NULL, lists, COUNTOF(lists), reply,
                    sizeof(reply)))
        return true;
    smtpd_reply(st, "%s", reply);
    return false;
}
