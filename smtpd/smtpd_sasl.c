/*
 * smtpd_sasl.c - the AUTH command (RFC 4954) and send-as (see
 * smtpd_sasl.h).
 *
 * The exchange: "AUTH PLAIN [initial-response]" or "AUTH LOGIN
 * [user]"; each missing response is asked for with a 334 line and read
 * as one line of at most line_length_limit octets; "*" cancels.  What
 * the client sends is decoded in one place (sasl_mech.c), and the login
 * and password go to the auth service, which alone knows the hashes,
 * delays every failure and counts failures per client address across
 * all smtpd processes.  This side ends a session after
 * smtpd_auth_failure_limit failed AUTH commands, so one connection
 * cannot go on guessing at the service's pace.
 *
 * Every copy of a password (the command line, the stream's buffer, the
 * decoded credentials) is wiped as soon as the service has answered.
 * Nothing from the exchange but the validated login reaches a log line.
 */
#include "sys_defs.h"
#include "smtpd_sasl.h"
#include "auth_client.h"
#include "mail_params.h"
#include "maps.h"
#include "msg.h"
#include "resolve.h"
#include "sasl_mech.h"
#include "server.h"
#include "sender_login.h"
#include "strutil.h"

/* The AUTH command line must hold the longest initial response we can take. */
_Static_assert(SMTP_ARG_MAX >= sizeof("PLAIN ") - 1 + SASL_MECH_RESPONSE_MAX,
               "SMTP_ARG_MAX too small for AUTH PLAIN");

static struct maps *smtpd_sender_logins;
static bool smtpd_sasl_have_mechs; /* noplaintext leaves none of ours */

void smtpd_sasl_init(void)
{
    const char *s = var_smtpd_sasl_service;
    char *err;

    /* The auth protocol carries only such names; anything else would never be answered. */
    if (*s == 0 || strlen(s) > AUTH_SERVICE_MAX ||
        strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(s))
        msg_fatal("smtpd_sasl_service: \"%s\" is not a service name ([a-z0-9_-], at most %d "
                  "characters)",
                  s, AUTH_SERVICE_MAX);
    smtpd_sasl_have_mechs =
        !(mail_param_set_bits(var_smtpd_sasl_security_options, SMTPD_SASL_SECURITY_CHOICES) &
          SMTPD_SASL_NOPLAINTEXT);
    if (var_smtpd_sasl_auth_enable && !smtpd_sasl_have_mechs)
        msg_warn("smtpd_sasl_security_options: noplaintext leaves no mechanism to offer "
                 "(PLAIN and LOGIN are plaintext)");
    if (maps_open("smtpd_sender_login_maps", var_smtpd_sender_login_maps, &smtpd_sender_logins,
                  &err) < 0)
        msg_fatal("%s", err);
}

/* Is AUTH on at all, and may this session use it now? */
static bool smtpd_sasl_enabled(void)
{
    return var_smtpd_sasl_auth_enable && smtpd_sasl_have_mechs;
}

bool smtpd_sasl_allowed(const struct smtpd_state *st)
{
    return smtpd_sasl_enabled() && (st->tls_active || !var_smtpd_tls_auth_only);
}

void smtpd_sasl_ehlo(struct smtpd_state *st)
{
    if (smtpd_sasl_allowed(st))
        smtpd_reply(st, "250-AUTH %s", SASL_MECH_LIST);
}

/* Forget every copy of what the client sent during the exchange. */
static void smtpd_sasl_wipe(struct smtpd_state *st, struct sasl_creds *c)
{
    sasl_creds_wipe(c);
    buf_wipe(&st->line);
    /*
     * The stream's buffers held the password too.  Wiping them drops
     * unsent replies (so they go first) and unread input: a client
     * waits for our answer to AUTH, but one that pipelined anyway keeps
     * what it sent, and its password stays in that buffer until the next
     * read overwrites it.
     */
    if (stream_flush(st->client) == 0 && !stream_input_waiting(st->client))
        stream_wipe(st->client);
}

/*
 * Ask for and read one response line ("334 prompt").  1 with the line in
 * st->line, 0 when the exchange is over (cancelled, too long: answered
 * already), -1 when the client went away.
 */
static int smtpd_sasl_read(struct smtpd_state *st, enum sasl_mech mech, const char *prompt)
{
    int r;

    smtpd_reply(st, "334 %s", prompt);
    if (stream_flush(st->client) < 0) {
        st->lost = st->lost_writing = true;
        return -1;
    }
    server_watchdog_pat();
    r = smtpd_get_line(st, (size_t)var_line_length_limit, &st->term);
    if (r < 0) {
        st->lost = true;
        return -1;
    }
    if (r == 0) {
        /* Skip the rest of the line, then say so (as smtpd.c does for commands). */
        while ((r = smtpd_get_line(st, (size_t)var_line_length_limit, &st->term)) == 0)
            ;
        if (r < 0) {
            st->lost = true;
            return -1;
        }
        smtpd_reply(st, "500 5.5.6 Authentication exchange line is too long");
        return 0;
    }
    if (st->line.len == 1 && st->line.data[0] == '*') {
        msg_warn("%s: SASL %s authentication aborted", smtpd_client(st), sasl_mech_name(mech));
        smtpd_reply(st, "501 5.7.0 Authentication aborted");
        return 0;
    }
    return 1;
}

/*
 * One failed AUTH: logged in Postfix's form (fail2ban reads it), answered,
 * counted.  A client the auth service refuses (blocked after too many
 * failures from its address, in any session) is told the same and dropped.
 */
static void smtpd_sasl_failed(struct smtpd_state *st, const char *mech, const char *why,
                              bool refused)
{
    msg_warn("%s: SASL %s authentication failed: %s", smtpd_client(st), mech, why);
    smtpd_reply(st, "535 5.7.8 Error: authentication failed: %s", why);
    if (++st->sasl_failures >= var_smtpd_auth_failure_limit || refused) {
        msg_info("too many errors after AUTH from %s", smtpd_client(st));
        smtpd_reply_session(st, "421 4.7.0 %s Error: too many errors", var_myhostname);
        st->quit = true;
    }
}

/* A decoder's verdict on a response: true to go on, else answered. */
static bool smtpd_sasl_decoded(struct smtpd_state *st, enum sasl_mech mech, int r, const char *why,
                               bool initial)
{
    if (r == SASL_MECH_OK)
        return true;
    /* Postfix (xsasl_dovecot_server.c): a failed exchange like any other. */
    if (r == SASL_MECH_BAD_BASE64)
        why = initial ? "Invalid base64 data in initial response"
                      : "Invalid base64 data in continued response";
    smtpd_sasl_failed(st, sasl_mech_name(mech), why, false);
    return false;
}

/* Ask the auth service about c, and answer the client. */
static void smtpd_sasl_check(struct smtpd_state *st, enum sasl_mech mech, struct sasl_creds *c)
{
    struct auth_request req = {var_smtpd_sasl_service, c->user, c->password, st->addr};
    const char *why = NULL;
    int r = auth_client_check(AUTH_SOCKET, &req, auth_client_timeout_ms(), &why);

    explicit_bzero(c->password, sizeof(c->password));
    switch (r) {
    case AUTH_OK:
        str_copy(st->sasl_login, c->user, sizeof(st->sasl_login));
        st->sasl_username = st->sasl_login;
        st->sasl_method = sasl_mech_name(mech);
        smtpd_reply(st, "235 2.7.0 Authentication successful");
        break;
    case AUTH_FAIL:
    case AUTH_REFUSED:
        smtpd_sasl_failed(st, sasl_mech_name(mech), "authentication failure", r == AUTH_REFUSED);
        break;
    default:
        msg_warn("%s: SASL %s authentication aborted: auth service %s: %s", smtpd_client(st),
                 sasl_mech_name(mech), AUTH_SOCKET, why ? why : strerror(errno));
        smtpd_reply(st, "454 4.7.0 Temporary authentication failure");
        break;
    }
}

/*
 * The responses of one mechanism, from the initial response ir (NULL:
 * none was sent) or asked for.  True with c filled, else answered.
 */
static bool smtpd_sasl_responses(struct smtpd_state *st, enum sasl_mech mech, const char *ir,
                                 struct sasl_creds *c)
{
    const char *why = NULL;
    int r;

    if (ir == NULL && smtpd_sasl_read(st, mech, mech == SASL_MECH_PLAIN ? "" : "VXNlcm5hbWU6") <= 0)
        return false;
    /* RFC 4954 4: an initial response of "=" is an empty one. */
    if (ir != NULL && strcmp(ir, "=") == 0)
        ir = "";
    if (mech == SASL_MECH_PLAIN) {
        r = ir ? sasl_mech_plain((const unsigned char *)ir, strlen(ir), c, &why)
               : sasl_mech_plain(st->line.data, st->line.len, c, &why);
        return smtpd_sasl_decoded(st, mech, r, why, ir != NULL);
    }
    r = ir ? sasl_mech_login_user((const unsigned char *)ir, strlen(ir), c, &why)
           : sasl_mech_login_user(st->line.data, st->line.len, c, &why);
    if (!smtpd_sasl_decoded(st, mech, r, why, ir != NULL) ||
        smtpd_sasl_read(st, mech, "UGFzc3dvcmQ6") <= 0)
        return false;
    r = sasl_mech_login_password(st->line.data, st->line.len, c, &why);
    return smtpd_sasl_decoded(st, mech, r, why, false);
}

/* May this session start an exchange now?  Else answered. */
static bool smtpd_sasl_may_start(struct smtpd_state *st)
{
    if (!smtpd_sasl_enabled()) {
        smtpd_reply(st, "503 5.5.1 Error: authentication not enabled");
        return false;
    }
    if (st->sasl_username) {
        smtpd_reply(st, "503 5.5.1 Error: already authenticated");
        return false;
    }
    if (st->have_mail) {
        smtpd_reply(st, "503 5.5.1 Error: MAIL transaction in progress");
        return false;
    }
    /* smtpd_tls_auth_only before STARTTLS: Postfix has no SASL in that session yet. */
    if (!smtpd_sasl_allowed(st)) {
        smtpd_reply(st, "503 5.5.1 Error: authentication not enabled");
        return false;
    }
    return true;
}

void smtpd_sasl_auth(struct smtpd_state *st, struct smtp_cmd *cmd)
{
    struct sasl_creds c;
    enum sasl_mech mech;
    char *ir;

    if (!smtpd_sasl_may_start(st))
        return;
    /* "AUTH mechanism [initial-response]": one space between, as RFC 4954 has it. */
    if ((ir = strchr(cmd->arg, ' ')) != NULL)
        *ir++ = 0;
    if (sasl_mech_find(cmd->arg, &mech) < 0) {
        /* Postfix (xsasl_dovecot_server.c): a failed exchange, logged and counted. */
        smtpd_sasl_failed(st, cmd->arg, "Invalid authentication mechanism", false);
    } else {
        memset(&c, 0, sizeof(c));
        if (smtpd_sasl_responses(st, mech, ir, &c))
            smtpd_sasl_check(st, mech, &c);
        smtpd_sasl_wipe(st, &c);
    }
    explicit_bzero(cmd->arg, sizeof(cmd->arg));
}

int smtpd_sasl_sender_owned(struct smtpd_state *st, const char *sender)
{
    struct mail_addr a;
    char *err = NULL;
    int r;

    if (smtpd_sender_logins == NULL || maps_empty(smtpd_sender_logins))
        return 1;
    if (mail_addr_from_internal(sender, &a) < 0)
        return 0;
    /* The local forms (user, user+ext) count only in our own domains, as in maps.h. */
    r = sender_login_owned(smtpd_sender_logins, st->sasl_username, &a,
                           a.domain[0] == 0 || resolve_local_domain(a.domain), &err);
    if (r < 0) {
        msg_warn("%s", err);
        free(err);
    }
    return r;
}

void smtpd_sasl_reset(struct smtpd_state *st)
{
    explicit_bzero(st->sasl_login, sizeof(st->sasl_login));
    st->sasl_username = NULL;
    st->sasl_method = NULL;
    st->sasl_failures = 0;
}
