/*
 * resolve.c - recipient classification (see resolve.h).
 *
 * Domain lists are matched case-insensitively and exactly; Postfix's
 * "parent domain matches subdomains" behaviour of relay_domains
 * (parent_domain_matches_subdomains) is kept: "example.com" in relay_domains
 * also matches "sub.example.com", while mydestination matches exactly.
 */
#include "sys_defs.h"
#include "resolve.h"
#include "mail_params.h"
#include "mymalloc.h"
#include "strutil.h"

static char **resolve_mydest;
static char **resolve_relay;

static int resolve_check_list(char **list, const char *param, char **error_r)
{
    for (; *list; list++) {
        if (strchr(*list, ':') || strchr(*list, '/')) {
            *error_r = xasprintf("%s: lookup tables (\"%s\") are not supported yet; list the "
                                 "domains",
                                 param, *list);
            return -1;
        }
        str_lower(*list);
    }
    return 0;
}

int resolve_init(char **error_r)
{
    str_list_free(resolve_mydest);
    str_list_free(resolve_relay);
    resolve_mydest = str_split_list(var_mydestination, NULL);
    resolve_relay = str_split_list(var_relay_domains, NULL);
    if (resolve_check_list(resolve_mydest, "mydestination", error_r) < 0 ||
        resolve_check_list(resolve_relay, "relay_domains", error_r) < 0)
        return -1;
    return 0;
}

bool resolve_local_domain(const char *domain)
{
    char **p;

    for (p = resolve_mydest; p && *p; p++)
        if (str_eq_nocase(*p, domain))
            return true;
    return false;
}

static bool resolve_relay_domain(const char *domain)
{
    size_t dlen = strlen(domain);
    char **p;

    for (p = resolve_relay; p && *p; p++) {
        size_t plen = strlen(*p);

        if (str_eq_nocase(*p, domain))
            return true;
        if (dlen > plen && domain[dlen - plen - 1] == '.' &&
            str_eq_nocase(domain + dlen - plen, *p))
            return true;
    }
    return false;
}

void resolve_addr(const struct mail_addr *a, struct resolve_result *r)
{
    if (a->domain[0] == 0 || resolve_local_domain(a->domain)) {
        r->cls = RESOLVE_LOCAL;
        r->transport = "local";
    } else if (resolve_relay_domain(a->domain)) {
        r->cls = RESOLVE_RELAY;
        r->transport = "smtp";
    } else {
        r->cls = RESOLVE_DEFAULT;
        r->transport = "smtp";
    }
}
