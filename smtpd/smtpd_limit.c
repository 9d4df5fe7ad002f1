/*
 * smtpd_limit.c - per-client limits shared by every smtpd process:
 * concurrent connections, connection rate, message rate (MAIL commands,
 * as Postfix counts them) and recipient rate, counted by the anvil
 * service (anvil_client.h) for "service:client-address", with Postfix's
 * parameters, replies and warnings.
 *
 * A client in smtpd_client_event_limit_exceptions ($mynetworks by
 * default) is neither limited nor counted.  When anvil cannot answer,
 * the session goes on without limits: a limit exists to slow abuse, and
 * must never be the reason good mail fails.
 */
#include "sys_defs.h"
#include "smtpd.h"
#include "anvil_client.h"
#include "mail_params.h"
#include "mynetworks.h"
#include "server.h"
#include "msg.h"

static struct net_list limit_exceptions;

void smtpd_limit_init(void)
{
    char *err;

    if (net_list_init(&limit_exceptions, "smtpd_client_event_limit_exceptions",
                      var_smtpd_client_event_limit_exceptions, &err) < 0)
        msg_fatal("%s", err);
}

/* Is this session's client counted at all? */
static bool limit_applies(const struct smtpd_state *st)
{
    return strcmp(st->addr, "local") != 0 && !net_list_match(&limit_exceptions, st->addr);
}

/* Ask anvil; false when it could not count (no limit applies then). */
static bool limit_count(struct smtpd_state *st, enum anvil_event event, struct anvil_reply *r)
{
    return anvil_client_event(ANVIL_SOCKET, event, server_service, st->addr, r) == 0 &&
           r->status == ANVIL_OK;
}

bool smtpd_limit_connect(struct smtpd_state *st)
{
    struct anvil_reply r;

    if (!limit_applies(st) || !limit_count(st, ANVIL_CONNECT, &r))
        return true;
    st->anvil_counted = true;
    if (var_smtpd_client_connection_count_limit > 0 &&
        r.count > var_smtpd_client_connection_count_limit) {
        msg_warn("Connection concurrency limit exceeded: %lld from %s for service %s", r.count,
                 smtpd_client(st), server_service);
    } else if (var_smtpd_client_connection_rate_limit > 0 &&
               r.rate > var_smtpd_client_connection_rate_limit) {
        msg_warn("Connection rate limit exceeded: %lld from %s for service %s", r.rate,
                 smtpd_client(st), server_service);
    } else {
        return true;
    }
    smtpd_reply(st, "421 4.7.0 %s Error: too many connections from %s", var_myhostname, st->addr);
    st->quit = true;
    return false;
}

/*
 * Nothing waits for the disconnect's reply: it is the last thing a
 * session does, and the next session's connect reads it first
 * (anvil_client_notify()).
 */
void smtpd_limit_disconnect(struct smtpd_state *st)
{
    if (st->anvil_counted)
        (void)anvil_client_notify(ANVIL_SOCKET, ANVIL_DISCONNECT, server_service, st->addr);
    st->anvil_counted = false;
}

bool smtpd_limit_mail(struct smtpd_state *st)
{
    struct anvil_reply r;

    if (var_smtpd_client_message_rate_limit == 0 || !limit_applies(st) ||
        !limit_count(st, ANVIL_MESSAGE, &r) || r.rate <= var_smtpd_client_message_rate_limit)
        return true;
    msg_warn("Message delivery request rate limit exceeded: %lld from %s for service %s", r.rate,
             smtpd_client(st), server_service);
    smtpd_reply(st, "450 4.7.1 Error: too much mail from %s", st->addr);
    return false;
}

bool smtpd_limit_rcpt(struct smtpd_state *st)
{
    struct anvil_reply r;

    if (var_smtpd_client_recipient_rate_limit == 0 || !limit_applies(st) ||
        !limit_count(st, ANVIL_RECIPIENT, &r) || r.rate <= var_smtpd_client_recipient_rate_limit)
        return true;
    msg_warn("Recipient address rate limit exceeded: %lld from %s for service %s", r.rate,
             smtpd_client(st), server_service);
    smtpd_reply(st, "450 4.7.1 Error: too many recipients from %s", st->addr);
    return false;
}
