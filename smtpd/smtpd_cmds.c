/*
 * smtpd_cmds.c - SMTP command handlers and the rules on command order
 * (RFC 5321 section 4.1.4).  Parsing happened already (smtp_cmd.c); what
 * may be accepted is decided in smtpd_check.c.
 */
#include "sys_defs.h"
#include "smtpd.h"
#include "smtpd_sasl.h"
#include "mail_params.h"
#include "resolve.h"
#include "mymalloc.h"
#include "msg.h"
#include "strutil.h"

void smtpd_banner(struct smtpd_state *st)
{
    smtpd_reply(st, "220 %s", var_smtpd_banner);
}

/*
 * Keep the HELO/EHLO argument, which goes into the Received: header and the
 * logs, with every byte that is not printable ASCII replaced by '?', as
 * Postfix does: a bare CR or other control byte must never reach a header.
 */
static void smtpd_set_helo(struct smtpd_state *st, const char *arg)
{
    char *p;

    str_copy(st->helo, arg, sizeof(st->helo));
    for (p = st->helo; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = '?';
}

static void cmd_helo(struct smtpd_state *st, struct smtp_cmd *cmd)
{
    smtpd_reset(st);
    smtpd_set_helo(st, cmd->arg);
    st->esmtp = false;
    if (!smtpd_check_helo(st))
        return;
    smtpd_reply(st, "250 %s", var_myhostname);
}

static void cmd_ehlo(struct smtpd_state *st, struct smtp_cmd *cmd)
{
    smtpd_reset(st);
    smtpd_set_helo(st, cmd->arg);
    st->esmtp = true;
    if (!smtpd_check_helo(st))
        return;
    smtpd_reply(st, "250-%s", var_myhostname);
    smtpd_reply(st, "250-PIPELINING");
    /* Never a bare "SIZE": even "unlimited" stops at what a queue file holds. */
    smtpd_reply(st, "250-SIZE %lld", smtpd_size_limit());
    if (!var_disable_vrfy_command)
        smtpd_reply(st, "250-VRFY");
    if (smtpd_tls_offer(st))
        smtpd_reply(st, "250-STARTTLS");
    smtpd_sasl_ehlo(st);
    smtpd_reply(st, "250-ENHANCEDSTATUSCODES");
    smtpd_reply(st, "250-8BITMIME");
    smtpd_reply(st, "250-DSN");
    smtpd_reply(st, "250-SMTPUTF8");
    smtpd_reply(st, "250 CHUNKING");
}

static void cmd_mail(struct smtpd_state *st, struct smtp_cmd *cmd)
{
    char err[SMTP_ESMTP_REPLY_MAX];
    char text[MAIL_ADDR_TEXT_MAX + 1];
    struct smtp_mail_params mp;

    if (var_smtpd_helo_required && st->helo[0] == 0) {
        smtpd_reply(st, "503 5.5.1 Error: send HELO/EHLO first");
        return;
    }
    if (st->have_mail) {
        smtpd_reply(st, "503 5.5.1 Error: nested MAIL command");
        return;
    }
    if (cmd->nparams > 0 && !st->esmtp) {
        smtpd_reply(st, "555 5.5.4 Error: parameters need EHLO");
        return;
    }
    if (smtp_esmtp_mail(cmd, smtpd_size_limit(), &mp, err) < 0) {
        smtpd_reply(st, "%s", err);
        return;
    }
    /* RFC 4954 5: AUTH= only where AUTH is offered; taken and ignored (no hop is trusted). */
    if (mp.auth[0] && !smtpd_sasl_allowed(st)) {
        smtpd_reply(st, "555 5.5.4 Unsupported option: AUTH");
        return;
    }
    if (cmd->addr.utf8 && !mp.smtputf8) {
        smtpd_reply(st, "553 5.6.7 Must declare SMTPUTF8 to send unicode address");
        return;
    }
    if (!cmd->addr.null && cmd->addr.domain[0] == 0) {
        smtpd_reply(st, "501 5.1.7 Bad sender address syntax");
        return;
    }
    if (!smtpd_limit_mail(st) || !smtpd_check_mail(st, &cmd->addr))
        return;
    mail_addr_internal(&cmd->addr, text, sizeof(text));
    str_copy(st->sender, text, sizeof(st->sender));
    st->mail = mp;
    st->have_mail = true;
    smtpd_reply(st, "250 2.1.0 Ok");
}

/*
 * What makes two recipients one delivery.  RFC 5321 2.4: a local part is
 * case-sensitive except where the server that delivers it says otherwise,
 * so John@relay.example and john@relay.example are two recipients; domains
 * are never case-sensitive.  For our own domains we are that server, and
 * local_user.c folds the account name (the part before recipient_delimiter)
 * to lower case: PTEST1@ and ptest1@ reach one mailbox and get one copy.
 * The extension is kept as sent, as local_user keeps it.
 */
static char *rcpt_key(const struct mail_addr *a)
{
    char local[MAIL_ADDR_LOCAL_MAX + 1], domain[MAIL_ADDR_DOMAIN_MAX + 1];
    struct resolve_result r;
    size_t n, i;

    str_copy(local, a->local, sizeof(local));
    str_copy(domain, a->domain, sizeof(domain));
    str_lower(domain);
    resolve_addr(a, &r);
    if (r.cls == RESOLVE_LOCAL) {
        n = *var_recipient_delimiter ? strcspn(local, var_recipient_delimiter) : strlen(local);
        for (i = 0; i < n; i++)
            local[i] = (char)ASCII_TOLOWER(local[i]);
    }
    /* No domain holds an '@', so local@domain is unambiguous here. */
    return xasprintf("%s@%s", local, domain);
}

static void cmd_rcpt(struct smtpd_state *st, struct smtp_cmd *cmd)
{
    char text[MAIL_ADDR_TEXT_MAX + 1];
    char reply[512];
    struct smtp_rcpt_params dsn;
    char *key;
    size_t i;

    if (!st->have_mail) {
        smtpd_reply(st, "503 5.5.1 Error: need MAIL command");
        return;
    }
    if (smtp_esmtp_rcpt(cmd, &dsn, reply) < 0) {
        smtpd_reply(st, "%s", reply);
        return;
    }
    if (cmd->addr.utf8 && !st->mail.smtputf8) {
        smtpd_reply(st, "553 5.6.7 Must declare SMTPUTF8 to send unicode address");
        return;
    }
    if (st->nrcpts >= (size_t)var_smtpd_recipient_limit) {
        smtpd_reply(st, "452 4.5.3 Error: too many recipients");
        return;
    }
    if (!smtpd_limit_rcpt(st))
        return;
    if (!smtpd_check_rcpt(st, &cmd->addr, reply, sizeof(reply))) {
        st->rcpt_rejects++;
        smtpd_reply(st, "%s", reply);
        return;
    }
    mail_addr_internal(&cmd->addr, text, sizeof(text));
    /* A repeated recipient is accepted but delivered once (as first given). */
    key = rcpt_key(&cmd->addr);
    for (i = 0; i < st->nrcpts; i++)
        if (strcmp(st->rcpts[i].key, key) == 0)
            break;
    if (i == st->nrcpts) {
        if (st->nrcpts == st->rcpt_cap) {
            st->rcpt_cap = st->rcpt_cap ? st->rcpt_cap * 2 : 8;
            st->rcpts = xreallocarray(st->rcpts, st->rcpt_cap, sizeof(*st->rcpts));
        }
        st->rcpts[st->nrcpts].dsn = dsn;
        st->rcpts[st->nrcpts].address = xstrdup(text);
        st->rcpts[st->nrcpts++].key = key;
    } else {
        free(key);
    }
    smtpd_reply(st, "250 2.1.5 Ok");
}

static void cmd_data(struct smtpd_state *st)
{
    if (st->bdat != NULL) {
        /* RFC 3030 2: DATA and BDAT may not be mixed in one transaction */
        smtpd_reply(st, "503 5.5.1 Error: DATA after BDAT");
        return;
    }
    if (!st->have_mail) {
        smtpd_reply(st, "503 5.5.1 Error: need MAIL command");
        return;
    }
    if (st->nrcpts == 0) {
        if (st->rcpt_rejects > 0)
            smtpd_reply(st, "554 5.5.1 Error: no valid recipients");
        else
            smtpd_reply(st, "503 5.5.1 Error: need RCPT command");
        return;
    }
    if (!smtpd_check_data(st))
        return;
    smtpd_data(st);
    smtpd_reset(st);
}

bool smtpd_cmd_ends_group(enum smtp_verb verb)
{
    switch (verb) {
    /*
     * RFC 2920 3.1: EHLO, DATA, VRFY, EXPN, TURN, QUIT and NOOP can only be
     * the last command of a group; Postfix adds HELO.  STARTTLS too (RFC
     * 3207 5): plaintext pipelined after it would be read as if it came
     * over TLS.  The rest (MAIL, RCPT, RSET, HELP...) may be followed.
     */
    case SMTP_VERB_HELO:
    case SMTP_VERB_EHLO:
    case SMTP_VERB_DATA:
    case SMTP_VERB_VRFY:
    case SMTP_VERB_EXPN:
    case SMTP_VERB_QUIT:
    case SMTP_VERB_NOOP:
    case SMTP_VERB_STARTTLS:
        return true;
    default:
        return false;
    }
}

void smtpd_command(struct smtpd_state *st, struct smtp_cmd *cmd)
{
    if (smtpd_tls_refuse(st, cmd->verb))
        return;
    switch (cmd->verb) {
    case SMTP_VERB_HELO:
        cmd_helo(st, cmd);
        break;
    case SMTP_VERB_EHLO:
        cmd_ehlo(st, cmd);
        break;
    case SMTP_VERB_MAIL:
        cmd_mail(st, cmd);
        break;
    case SMTP_VERB_RCPT:
        cmd_rcpt(st, cmd);
        break;
    case SMTP_VERB_DATA:
        cmd_data(st);
        break;
    case SMTP_VERB_RSET:
        smtpd_reset(st);
        smtpd_reply(st, "250 2.0.0 Ok");
        break;
    case SMTP_VERB_NOOP:
        smtpd_reply(st, "250 2.0.0 Ok");
        break;
    case SMTP_VERB_QUIT:
        smtpd_reply(st, "221 2.0.0 Bye");
        st->quit = true;
        break;
    case SMTP_VERB_VRFY:
        if (var_disable_vrfy_command)
            smtpd_reply(st, "502 5.5.1 VRFY command is disabled");
        else
            smtpd_reply(st, "252 2.0.0 Cannot VRFY user, but will accept message and attempt "
                            "delivery");
        break;
    case SMTP_VERB_EXPN:
        smtpd_reply(st, "502 5.5.1 EXPN command is not supported");
        break;
    case SMTP_VERB_HELP:
        smtpd_reply(st,
                    "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP");
        break;
    case SMTP_VERB_BDAT:
        smtpd_bdat(st, cmd);
        break;
    case SMTP_VERB_STARTTLS:
        smtpd_tls_starttls(st, cmd);
        break;
    case SMTP_VERB_AUTH:
        smtpd_sasl_auth(st, cmd);
        break;
    case SMTP_VERB_UNKNOWN:
        smtpd_reply(st, "502 5.5.2 Error: command not recognized");
        break;
    }
}
