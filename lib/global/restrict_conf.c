/*
 * restrict_conf.c - every restriction list of main.cf, checked as a set
 * (see restrict_conf.h).
 */
#include "sys_defs.h"
#include "restrict_conf.h"
#include "mail_params.h"
#include "mymalloc.h"

static const struct {
    const char *param;
    char **value;
    enum restrict_stage stage; /* without smtpd_delay_reject */
} restrict_params[RESTRICT_NLISTS] = {
    [RESTRICT_CLIENT] = {"smtpd_client_restrictions", &var_smtpd_client_restrictions,
                         RESTRICT_STAGE_CLIENT},
    [RESTRICT_HELO] = {"smtpd_helo_restrictions", &var_smtpd_helo_restrictions,
                       RESTRICT_STAGE_HELO},
    [RESTRICT_SENDER] = {"smtpd_sender_restrictions", &var_smtpd_sender_restrictions,
                         RESTRICT_STAGE_SENDER},
    [RESTRICT_RELAY] = {"smtpd_relay_restrictions", &var_smtpd_relay_restrictions,
                        RESTRICT_STAGE_RECIPIENT},
    [RESTRICT_RECIPIENT] = {"smtpd_recipient_restrictions", &var_smtpd_recipient_restrictions,
                            RESTRICT_STAGE_RECIPIENT},
    [RESTRICT_DATA] = {"smtpd_data_restrictions", &var_smtpd_data_restrictions,
                       RESTRICT_STAGE_DATA},
};

const char *restrict_conf_param(enum restrict_which w)
{
    return restrict_params[w].param;
}

enum restrict_stage restrict_conf_stage(enum restrict_which w)
{
    enum restrict_stage s = restrict_params[w].stage;

    return var_smtpd_delay_reject && s < RESTRICT_STAGE_RECIPIENT ? RESTRICT_STAGE_RECIPIENT : s;
}

/* Is every restriction of list w evaluated where its information exists? */
static int restrict_conf_stages(const struct restrict_conf *c, enum restrict_which w,
                                char **error_r)
{
    const struct restrict_list *l = c->lists[w];
    size_t i;

    for (i = 0; i < l->n; i++) {
        if (restrict_kind_stage(l->items[i].kind) > restrict_conf_stage(w)) {
            *error_r = xasprintf("%s: %s cannot work here%s", l->param,
                                 restrict_kind_name(l->items[i].kind),
                                 var_smtpd_delay_reject ? "" : " with smtpd_delay_reject = no");
            return -1;
        }
    }
    return 0;
}

/*
 * Does list l, on its own, refuse a foreign destination for a client it
 * does not trust?  Only a restriction that refuses foreign destinations,
 * or an unconditional reject or defer, does (Postfix's test); one after an
 * unconditional permit is never reached, a contradiction that guards
 * nothing.
 */
static bool restrict_conf_guards(const struct restrict_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        switch (l->items[i].kind) {
        case RESTRICT_REJECT_UNAUTH_DESTINATION:
        case RESTRICT_DEFER_UNAUTH_DESTINATION:
        case RESTRICT_REJECT:
        case RESTRICT_DEFER:
            return true;
        case RESTRICT_PERMIT:
            return false;
        default:
            break;
        }
    }
    return false;
}

int restrict_conf_load(int flags, struct restrict_conf *c, char **error_r)
{
    int w;

    memset(c, 0, sizeof(*c));
    for (w = 0; w < RESTRICT_NLISTS; w++) {
        const char *v = *restrict_params[w].value;

        if (restrict_list_parse(restrict_params[w].param, v, strlen(v), flags, &c->lists[w],
                                error_r) < 0 ||
            restrict_conf_stages(c, (enum restrict_which)w, error_r) < 0) {
            restrict_conf_free(c);
            return -1;
        }
    }
    /* SPEC.md: never an open relay.  Postfix refuses to start the same way. */
    if (!restrict_conf_guards(c->lists[RESTRICT_RELAY]) &&
        !restrict_conf_guards(c->lists[RESTRICT_RECIPIENT])) {
        *error_r = xstrdup("smtpd_relay_restrictions and smtpd_recipient_restrictions: need "
                           "reject_unauth_destination or defer_unauth_destination in one of them "
                           "(else anyone may relay)");
        restrict_conf_free(c);
        return -1;
    }
    return 0;
}

void restrict_conf_free(struct restrict_conf *c)
{
    int w;

    for (w = 0; w < RESTRICT_NLISTS; w++) {
        restrict_list_free(c->lists[w]);
        c->lists[w] = NULL;
    }
}
