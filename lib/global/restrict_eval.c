/*
 * restrict_eval.c - the evaluator of restriction lists (see restrict_eval.h).
 *
 * Every refusal goes through restrict_refuse(), so that defer_if_reject and
 * warn_if_reject apply to all of them alike.  A table or DNS failure is
 * never a "no": it defers (4xx), as Postfix does.
 */
#include "sys_defs.h"
#include "restrict_eval.h"
#include "mail_params.h"
#include "resolve.h"
#include "dns.h"
#include "buf.h"
#include "msg.h"
#include "strutil.h"

void restrict_start(struct restrict_ctx *c)
{
    c->defer_if_permit = c->defer_if_reject = c->warn_if_reject = false;
    c->dip_reply[0] = 0;
}

static void restrict_addr_object(const struct mail_addr *a, char *out, size_t len)
{
    struct buf ext;

    buf_init(&ext, MAIL_ADDR_TEXT_MAX * 2 + 8);
    if (a != NULL && !a->null)
        mail_addr_external(a, &ext);
    snprintf(out, len, "<%s>", buf_str(&ext));
    buf_free(&ext);
}

void restrict_object(const struct restrict_ctx *c, enum restrict_stage what, char *out, size_t len)
{
    switch (what) {
    case RESTRICT_STAGE_CLIENT:
        snprintf(out, len, "<%s>", c->client_text);
        break;
    case RESTRICT_STAGE_HELO:
        snprintf(out, len, "<%s>", c->helo);
        break;
    case RESTRICT_STAGE_SENDER:
        restrict_addr_object(c->sender, out, len);
        break;
    case RESTRICT_STAGE_RECIPIENT:
        restrict_addr_object(c->rcpt, out, len);
        break;
    case RESTRICT_STAGE_DATA:
        snprintf(out, len, "<DATA>");
        break;
    }
}

const char *restrict_label(enum restrict_stage what)
{
    static const char *labels[] = {"Client host rejected", "Helo command rejected",
                                   "Sender address rejected", "Recipient address rejected",
                                   "Data command rejected"};

    return labels[what];
}

enum restrict_result restrict_refuse(struct restrict_ctx *c, char *reply, size_t len, int code,
                                     const char *dsn, const char *obj, const char *text)
{
    char d[16];

    str_copy(d, dsn, sizeof(d));
    /* defer_if_reject: the client tries again rather than bouncing (Postfix: 450). */
    if (c->defer_if_reject && code >= 500) {
        code = (int)var_defer_code;
        d[0] = '4';
    }
    if (obj[0])
        snprintf(reply, len, "%d %s %s: %s", code, d, obj, text);
    else
        snprintf(reply, len, "%d %s %s", code, d, text);
    if (c->warn_if_reject) {
        c->warn_if_reject = false;
        if (c->warn)
            c->warn(c->arg, reply);
        return RESTRICT_DUNNO;
    }
    return RESTRICT_REFUSED;
}

/* Refuse naming what stage what is about, with "Label rejected: text". */
static enum restrict_result restrict_refuse_as(struct restrict_ctx *c, char *reply, size_t len,
                                               int code, const char *dsn, enum restrict_stage what,
                                               const char *text)
{
    char obj[MAIL_ADDR_TEXT_MAX * 2 + 16], why[256];

    restrict_object(c, what, obj, sizeof(obj));
    snprintf(why, sizeof(why), "%s: %s", restrict_label(what), text);
    return restrict_refuse(c, reply, len, code, dsn, obj, why);
}

/*
 * Remember a deferral for restrict_finish(), the first one only.  It is
 * made without defer_if_reject and warn_if_reject, which change refusals,
 * not this.
 */
static void restrict_defer_if_permit(struct restrict_ctx *c, int code, const char *dsn,
                                     enum restrict_stage what, const char *text)
{
    struct restrict_ctx tmp = *c;

    if (c->defer_if_permit)
        return;
    tmp.defer_if_reject = tmp.warn_if_reject = false;
    (void)restrict_refuse_as(&tmp, c->dip_reply, sizeof(c->dip_reply), code, dsn, what, text);
    c->defer_if_permit = true;
}

/* A reply's enhanced code of class code/100 with subject and detail from sd ("7.1"). */
static const char *restrict_dsn(long long code, const char *sd, char *out, size_t len)
{
    snprintf(out, len, "%d.%s", (int)(code / 100), sd);
    return out;
}

static enum restrict_result restrict_tempfail(struct restrict_ctx *c, char *reply, size_t len,
                                              enum restrict_stage what)
{
    char obj[MAIL_ADDR_TEXT_MAX * 2 + 16];

    /* Not subject to warn_if_reject: a failure is no verdict on the client. */
    restrict_object(c, what, obj, sizeof(obj));
    snprintf(reply, len, "451 4.3.0 %s: Temporary lookup failure", obj);
    return RESTRICT_REFUSED;
}

/* reject_unauth_destination and defer_unauth_destination. */
static enum restrict_result restrict_unauth_dest(struct restrict_ctx *c, long long code,
                                                 char *reply, size_t len)
{
    struct resolve_result r;
    char obj[MAIL_ADDR_TEXT_MAX * 2 + 16], dsn[16];

    if (c->rcpt == NULL)
        return RESTRICT_DUNNO;
    resolve_addr(c->rcpt, &r);
    if (r.tempfail)
        return restrict_tempfail(c, reply, len, RESTRICT_STAGE_RECIPIENT);
    if (r.cls != RESOLVE_DEFAULT)
        return RESTRICT_DUNNO;
    restrict_object(c, RESTRICT_STAGE_RECIPIENT, obj, sizeof(obj));
    return restrict_refuse(c, reply, len, (int)code, restrict_dsn(code, "7.1", dsn, sizeof(dsn)),
                           obj, "Relay access denied");
}

/*
 * reject_unknown_sender_domain / _recipient_domain: a domain with no MX, A
 * or AAAA record.  Skipped for our own domains (we are their final
 * destination, whatever DNS says) and address literals.  A DNS failure is
 * Postfix's unknown_address_tempfail_action, defer_if_permit.
 */
static enum restrict_result restrict_unknown_domain(struct restrict_ctx *c,
                                                    const struct mail_addr *a,
                                                    enum restrict_stage what, char *reply,
                                                    size_t len)
{
    struct resolve_result r;
    const char *sd = what == RESTRICT_STAGE_SENDER ? "1.8" : "1.2";
    char dsn[16];
    int st;

    if (a == NULL || a->null || a->literal || a->domain[0] == 0 || c->domain_lookup == NULL)
        return RESTRICT_DUNNO;
    resolve_addr(a, &r);
    if (!r.tempfail && r.cls != RESOLVE_DEFAULT && r.cls != RESOLVE_RELAY)
        return RESTRICT_DUNNO;
    if ((st = c->domain_lookup(a->domain)) == DNS_OK)
        return RESTRICT_DUNNO;
    if (st == DNS_NOTFOUND)
        return restrict_refuse_as(
            c, reply, len, (int)var_unknown_address_reject_code,
            restrict_dsn(var_unknown_address_reject_code, sd, dsn, sizeof(dsn)), what,
            "Domain not found");
    restrict_defer_if_permit(c, 450, restrict_dsn(450, sd, dsn, sizeof(dsn)), what,
                             "Domain not found");
    return RESTRICT_DUNNO;
}

/* Fully qualified: a dot in the domain (or an address literal). */
static enum restrict_result restrict_non_fqdn(struct restrict_ctx *c, const struct mail_addr *a,
                                              enum restrict_stage what, char *reply, size_t len)
{
    char dsn[16];

    if (a == NULL || a->null || a->literal || a->domain[0] == 0 || strchr(a->domain, '.'))
        return RESTRICT_DUNNO;
    return restrict_refuse_as(c, reply, len, (int)var_non_fqdn_reject_code,
                              restrict_dsn(var_non_fqdn_reject_code, "5.2", dsn, sizeof(dsn)), what,
                              "need fully-qualified address");
}

/* HELO [192.0.2.1] or [IPv6:...]: a well-formed address literal. */
static bool restrict_helo_literal(const char *h)
{
    char ip[64];
    unsigned char bin[16];
    size_t n = strlen(h);

    if (n < 3 || h[0] != '[' || h[n - 1] != ']' || n - 2 >= sizeof(ip))
        return false;
    memcpy(ip, h + 1, n - 2);
    ip[n - 2] = 0;
    if (str_prefix_nocase(ip, "IPv6:"))
        return inet_pton(AF_INET6, ip + 5, bin) == 1;
    return inet_pton(AF_INET, ip, bin) == 1;
}

static enum restrict_result restrict_helo(struct restrict_ctx *c, enum restrict_kind kind,
                                          char *reply, size_t len)
{
    const char *h = c->helo;
    char dsn[16];

    /* No HELO yet: nothing to judge (smtpd_helo_required is the rule for that). */
    if (h == NULL || h[0] == 0 || restrict_helo_literal(h))
        return RESTRICT_DUNNO;
    if (kind == RESTRICT_REJECT_INVALID_HELO_HOSTNAME) {
        if (mail_addr_domain_ok(h, strlen(h)))
            return RESTRICT_DUNNO;
        return restrict_refuse_as(
            c, reply, len, (int)var_invalid_hostname_reject_code,
            restrict_dsn(var_invalid_hostname_reject_code, "5.2", dsn, sizeof(dsn)),
            RESTRICT_STAGE_HELO, "Invalid name");
    }
    if (strchr(h, '.') && h[strlen(h) - 1] != '.')
        return RESTRICT_DUNNO;
    return restrict_refuse_as(c, reply, len, (int)var_non_fqdn_reject_code,
                              restrict_dsn(var_non_fqdn_reject_code, "5.2", dsn, sizeof(dsn)),
                              RESTRICT_STAGE_HELO, "need fully-qualified hostname");
}

/* reject_(authenticated_)sender_login_mismatch: smtpd_sender_login_maps' verdict. */
static enum restrict_result restrict_login_mismatch(struct restrict_ctx *c, enum restrict_kind kind,
                                                    char *reply, size_t len)
{
    char why[128];
    int r;

    if (c->sender == NULL || c->sender->null || c->sender_owned == NULL)
        return RESTRICT_DUNNO;
    if (kind == RESTRICT_REJECT_AUTH_SENDER_LOGIN_MISMATCH && c->sasl_username == NULL)
        return RESTRICT_DUNNO;
    if ((r = c->sender_owned(c->arg, c->sender)) > 0)
        return RESTRICT_DUNNO;
    if (r < 0)
        return restrict_tempfail(c, reply, len, RESTRICT_STAGE_SENDER);
    if (c->sasl_username)
        snprintf(why, sizeof(why), "not owned by user %s", c->sasl_username);
    else
        str_copy(why, "not logged in", sizeof(why));
    return restrict_refuse_as(c, reply, len, 553, "5.7.1", RESTRICT_STAGE_SENDER, why);
}

/*
 * reject_rbl_client zone[=a.b.c.d]: Postfix's reply, which names the list
 * so that a sender knows whom to ask.  A list that cannot be asked lists
 * nobody: it is someone else's service, and mail must not stop with it.
 */
static enum restrict_result restrict_rbl(struct restrict_ctx *c, const char *arg, char *reply,
                                         size_t len)
{
    char zone[RESTRICT_WORD_MAX], dsn[16], text[RESTRICT_WORD_MAX + 100];
    char *eq;
    int r;

    if (c->rbl_lookup == NULL || c->client_addr == NULL)
        return RESTRICT_DUNNO;
    str_copy(zone, arg, sizeof(zone));
    if ((eq = strchr(zone, '=')) != NULL)
        *eq++ = 0;
    if ((r = c->rbl_lookup(c->client_addr, zone, eq)) == DNS_RETRY)
        msg_warn("%s: RBL lookup error: cannot ask %s", c->client_text, zone);
    if (r != DNS_OK)
        return RESTRICT_DUNNO;
    snprintf(text, sizeof(text), "Service unavailable; Client host [%s] blocked using %s",
             c->client_addr, zone);
    return restrict_refuse(c, reply, len, (int)var_maps_rbl_reject_code,
                           restrict_dsn(var_maps_rbl_reject_code, "7.1", dsn, sizeof(dsn)), "",
                           text);
}

static enum restrict_result restrict_unlisted(struct restrict_ctx *c, char *reply, size_t len)
{
    if (c->rcpt == NULL || c->rcpt_listed == NULL ||
        c->rcpt_listed(c->arg, c->rcpt, reply, len) > 0)
        return RESTRICT_DUNNO;
    return RESTRICT_REFUSED;
}

/* The generic permit/reject/defer family. */
static enum restrict_result restrict_generic(struct restrict_ctx *c, enum restrict_kind kind,
                                             enum restrict_stage what, char *reply, size_t len)
{
    char dsn[16];

    switch (kind) {
    case RESTRICT_PERMIT:
        return RESTRICT_OK;
    case RESTRICT_REJECT:
        return restrict_refuse_as(c, reply, len, (int)var_reject_code,
                                  restrict_dsn(var_reject_code, "7.1", dsn, sizeof(dsn)), what,
                                  "Access denied");
    case RESTRICT_DEFER:
        return restrict_refuse_as(c, reply, len, (int)var_defer_code,
                                  restrict_dsn(var_defer_code, "7.1", dsn, sizeof(dsn)), what,
                                  "Access denied");
    case RESTRICT_DEFER_IF_PERMIT:
        restrict_defer_if_permit(c, (int)var_defer_code,
                                 restrict_dsn(var_defer_code, "7.1", dsn, sizeof(dsn)), what,
                                 "defer_if_permit requested");
        return RESTRICT_DUNNO;
    case RESTRICT_DEFER_IF_REJECT:
        c->defer_if_reject = true;
        return RESTRICT_DUNNO;
    case RESTRICT_WARN_IF_REJECT:
        c->warn_if_reject = true;
        return RESTRICT_DUNNO;
    default:
        msg_panic("restrict_generic: kind %d", (int)kind);
    }
}

static enum restrict_result restrict_item(struct restrict_ctx *c, const struct restrict_item *it,
                                          enum restrict_which w, char *reply, size_t len)
{
    static const enum restrict_stage about[RESTRICT_NLISTS] = {
        [RESTRICT_CLIENT] = RESTRICT_STAGE_CLIENT,
        [RESTRICT_HELO] = RESTRICT_STAGE_HELO,
        [RESTRICT_SENDER] = RESTRICT_STAGE_SENDER,
        [RESTRICT_RELAY] = RESTRICT_STAGE_RECIPIENT,
        [RESTRICT_RECIPIENT] = RESTRICT_STAGE_RECIPIENT,
        [RESTRICT_DATA] = RESTRICT_STAGE_DATA,
    };
    enum restrict_stage what = about[w];

    switch (it->kind) {
    case RESTRICT_PERMIT_MYNETWORKS:
        return c->trusted ? RESTRICT_OK : RESTRICT_DUNNO;
    case RESTRICT_PERMIT_SASL_AUTHENTICATED:
        return c->sasl_username ? RESTRICT_OK : RESTRICT_DUNNO;
    case RESTRICT_REJECT_UNAUTH_DESTINATION:
        return restrict_unauth_dest(c, var_relay_domains_reject_code, reply, len);
    case RESTRICT_DEFER_UNAUTH_DESTINATION:
        return restrict_unauth_dest(c, var_defer_code, reply, len);
    case RESTRICT_REJECT_UNKNOWN_RECIPIENT_DOMAIN:
        return restrict_unknown_domain(c, c->rcpt, RESTRICT_STAGE_RECIPIENT, reply, len);
    case RESTRICT_REJECT_UNKNOWN_SENDER_DOMAIN:
        return restrict_unknown_domain(c, c->sender, RESTRICT_STAGE_SENDER, reply, len);
    case RESTRICT_REJECT_NON_FQDN_SENDER:
        return restrict_non_fqdn(c, c->sender, RESTRICT_STAGE_SENDER, reply, len);
    case RESTRICT_REJECT_NON_FQDN_RECIPIENT:
        return restrict_non_fqdn(c, c->rcpt, RESTRICT_STAGE_RECIPIENT, reply, len);
    case RESTRICT_REJECT_NON_FQDN_HELO_HOSTNAME:
    case RESTRICT_REJECT_INVALID_HELO_HOSTNAME:
        return restrict_helo(c, it->kind, reply, len);
    case RESTRICT_REJECT_UNLISTED_RECIPIENT:
        return restrict_unlisted(c, reply, len);
    case RESTRICT_REJECT_AUTH_SENDER_LOGIN_MISMATCH:
    case RESTRICT_REJECT_SENDER_LOGIN_MISMATCH:
        return restrict_login_mismatch(c, it->kind, reply, len);
    case RESTRICT_CHECK_CLIENT_ACCESS:
    case RESTRICT_CHECK_HELO_ACCESS:
    case RESTRICT_CHECK_SENDER_ACCESS:
    case RESTRICT_CHECK_RECIPIENT_ACCESS:
        return restrict_access(c, it, w, reply, len);
    case RESTRICT_REJECT_RBL_CLIENT:
        return restrict_rbl(c, it->arg, reply, len);
    default:
        return restrict_generic(c, it->kind, what, reply, len);
    }
}

enum restrict_result restrict_eval(struct restrict_ctx *c, const struct restrict_conf *conf,
                                   enum restrict_which w, char *reply, size_t len)
{
    const struct restrict_list *l = conf->lists[w];
    enum restrict_result r;
    size_t i;

    for (i = 0; i < l->n; i++) {
        bool warn = c->warn_if_reject;

        if ((r = restrict_item(c, l->items + i, w, reply, len)) != RESTRICT_DUNNO)
            return r;
        /* warn_if_reject changes the next restriction only, whatever it did. */
        if (warn)
            c->warn_if_reject = false;
    }
    return RESTRICT_DUNNO;
}

enum restrict_result restrict_finish(struct restrict_ctx *c, enum restrict_result r, char *reply,
                                     size_t len)
{
    if (r == RESTRICT_REFUSED || !c->defer_if_permit)
        return r;
    str_copy(reply, c->dip_reply, len);
    return RESTRICT_REFUSED;
}
