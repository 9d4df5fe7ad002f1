/*
 * smtpd_tls.c - TLS in the SMTP server: STARTTLS (RFC 3207), wrapper mode
 * (port 465, smtpd_tls_wrappermode), smtpd_tls_security_level, and what
 * the session keeps of the handshake.  The TLS work itself is
 * tls_server.c's; this file only decides when and what the client hears.
 */
#include "sys_defs.h"
#include "smtpd.h"
#include "smtpd_sasl.h"
#include "mail_params.h"
#include "tls_server.h"
#include "tls_params.h"
#include "msg.h"
#include "strutil.h"

/*
 * Load keys and certificates, as root before the drop.  A broken TLS set-up
 * is not fatal (postern check refuses it beforehand): the service goes on
 * without TLS, answering STARTTLS with 454 as Postfix does, and with
 * "encrypt" no mail is taken.
 */
void smtpd_tls_init(void)
{
    struct tls_server_params p;
    char *err;

    if (!tls_params_smtpd_wanted())
        return;
    tls_params_smtpd(&p);
    if (tls_server_init(&p, &err) < 0) {
        msg_warn("TLS is not available: %s", err);
        free(err);
    }
}

bool smtpd_tls_offer(const struct smtpd_state *st)
{
    return !st->tls_active && tls_params_smtpd_wanted() && tls_server_ready();
}

bool smtpd_tls_refuse(struct smtpd_state *st, enum smtp_verb verb)
{
    if (st->tls_active || !tls_params_smtpd_required())
        return false;
    /* As Postfix: only what it takes to start TLS, or to leave, is allowed before it. */
    switch (verb) {
    case SMTP_VERB_HELO:
    case SMTP_VERB_EHLO:
    case SMTP_VERB_STARTTLS:
    case SMTP_VERB_RSET:
    case SMTP_VERB_NOOP:
    case SMTP_VERB_QUIT:
    case SMTP_VERB_UNKNOWN:
        return false;
    default:
        smtpd_reply(st, "530 5.7.0 Must issue a STARTTLS command first");
        return true;
    }
}

/* The handshake, for both ways in; false when the connection is unusable now. */
static bool smtpd_tls_handshake(struct smtpd_state *st)
{
    if (tls_server_start(st->client, smtpd_client(st), &st->tls) < 0) {
        /* Nothing more may be written: the peer expects TLS records, not text. */
        st->lost = st->lost_writing = true;
        return false;
    }
    st->tls_active = true;
    return true;
}

void smtpd_tls_starttls(struct smtpd_state *st, const struct smtp_cmd *cmd)
{
    if (cmd->arg[0]) {
        smtpd_reply(st, "501 5.5.4 Syntax: STARTTLS");
        return;
    }
    if (st->tls_active) {
        smtpd_reply(st, "554 5.5.1 Error: TLS already active");
        return;
    }
    if (!tls_params_smtpd_wanted()) {
        smtpd_reply(st, "502 5.5.1 Error: command not implemented");
        return;
    }
    if (!tls_server_ready()) {
        smtpd_reply(st, "454 4.7.0 TLS not available due to local problem");
        return;
    }
    smtpd_reply(st, "220 2.0.0 Ready to start TLS");
    /*
     * stream_tls_accept() flushes the 220, then drops whatever the client
     * sent after STARTTLS before TLS began (CVE-2011-0411), and RFC 3207
     * 4.2: the client must start over with EHLO, with nothing it said in
     * clear text still in force.
     */
    if (!smtpd_tls_handshake(st))
        return;
    smtpd_reset(st);
    smtpd_sasl_reset(st); /* a login made in clear text does not survive either */
    st->helo[0] = 0;
    st->esmtp = false;
}

bool smtpd_tls_wrapper(struct smtpd_state *st)
{
    if (!var_smtpd_tls_wrappermode)
        return true;
    if (!tls_server_ready()) {
        msg_warn("wrapper-mode connection from %s: TLS is not available", smtpd_client(st));
        st->lost = st->lost_writing = true;
        return false;
    }
    return smtpd_tls_handshake(st);
}

int smtpd_tls_received(const struct smtpd_state *st, char *out, size_t len)
{
    int n = 0;

    if (st->tls_active && var_smtpd_tls_received_header)
        n = snprintf(out, len,
                     "\t(using %s with cipher %s (%d/%d bits))\n"
                     "\t(No client certificate requested)\n",
                     st->tls.protocol, st->tls.cipher, st->tls.bits, st->tls.alg_bits);
    if (n < 0 || (size_t)n >= len)
        n = 0;
    if (len > 0)
        out[n] = 0;
    return n;
}
