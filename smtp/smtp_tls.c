/*
 * smtp_tls.c - the TLS security level for a destination (see smtp.h):
 * smtp_tls_policy_maps (Postfix's table: the next hop as written, then its
 * domain's parents as ".parent") with the level as the value's first word,
 * else smtp_tls_security_level.  A value that names no level, or a table
 * that cannot answer, means the strictest level the server could be held
 * to without an answer: encrypt, so that a broken table never sends mail
 * in the clear that it meant to protect.
 */
#include "sys_defs.h"
#include "smtp.h"
#include "maps.h"
#include "mail_params.h"
#include "msg.h"
#include "strutil.h"
#include "tls_client.h"

static struct maps *smtp_tls_policies;

static const char *const smtp_tls_level_names[] = {"none", "may", "encrypt", "verify", "secure"};

static enum smtp_tls_level smtp_tls_level_parse(const char *word, size_t n, bool *ok)
{
    size_t i;

    *ok = true;
    for (i = 0; i < COUNTOF(smtp_tls_level_names); i++)
        if (strlen(smtp_tls_level_names[i]) == n &&
            strncasecmp(smtp_tls_level_names[i], word, n) == 0)
            return (enum smtp_tls_level)i;
    *ok = false;
    return SMTP_TLS_ENCRYPT;
}

void smtp_tls_init(void)
{
    enum smtp_tls_level level;
    char *err;
    bool ok;

    level =
        smtp_tls_level_parse(var_smtp_tls_security_level, strlen(var_smtp_tls_security_level), &ok);
    if (maps_open("smtp_tls_policy_maps", var_smtp_tls_policy_maps, &smtp_tls_policies, &err) < 0)
        msg_fatal("%s", err);
    if ((level != SMTP_TLS_NONE || !maps_empty(smtp_tls_policies)) &&
        tls_client_init(var_smtp_tls_CAfile, var_smtp_tls_CApath, &err) < 0)
        msg_fatal("smtp TLS: %s", err);
}

enum smtp_tls_level smtp_tls_policy(const struct smtp_dest *d)
{
    const char *v = NULL, *dot;
    char *err = NULL;
    bool ok;
    int r;

    r = maps_find(smtp_tls_policies, d->domain, &v, &err);
    for (dot = strchr(d->domain, '.'); r == 0 && d->domain[0] != '[' && dot;
         dot = strchr(dot + 1, '.'))
        r = maps_find(smtp_tls_policies, dot, &v, &err);
    if (r < 0) {
        msg_warn("%s; holding %s to TLS level encrypt", err, d->domain);
        free(err);
        return SMTP_TLS_ENCRYPT;
    }
    if (r == 0)
        return smtp_tls_level_parse(var_smtp_tls_security_level,
                                    strlen(var_smtp_tls_security_level), &ok);
    r = (int)smtp_tls_level_parse(v, strcspn(v, " \t"), &ok);
    if (!ok)
        msg_warn("smtp_tls_policy_maps: %s: bad level \"%s\"; using encrypt", d->domain, v);
    return (enum smtp_tls_level)r;
}
