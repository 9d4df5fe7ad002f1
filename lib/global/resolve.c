/*
 * resolve.c - recipient classification (see resolve.h).
 *
 * Domain lists are Postfix's (domain_list.h: names, .subdomains, !names,
 * /files and type:tables), matched case-insensitively; Postfix's "parent
 * domain matches subdomains" behaviour of relay_domains
 * (parent_domain_matches_subdomains) is kept: "example.com" in relay_domains
 * also matches "sub.example.com", while mydestination matches exactly.
 *
 * Our own addresses are learnt once, in resolve_init(): user@[192.0.2.1]
 * is ours when 192.0.2.1 is an address we receive mail on, so it must be
 * delivered here and not relayed (back to ourselves, or refused as a relay).
 */
#include "sys_defs.h"
#include <ifaddrs.h>
#include "resolve.h"
#include "domain_list.h"
#include "mail_params.h"
#include "maps.h"
#include "msg.h"
#include "mymalloc.h"
#include "strutil.h"

struct own_addr {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
};

static struct domain_list *resolve_mydest;
static struct domain_list *resolve_relay;
static struct domain_list *resolve_valias;
static struct domain_list *resolve_vmailbox;
static struct maps *resolve_transports;
static struct own_addr *resolve_own;
static size_t resolve_nown, resolve_own_cap;

/* Does inet_protocols let us receive on this address family? */
static bool own_family_ok(int family)
{
    if (family == AF_INET)
        return strcmp(var_inet_protocols, "ipv6") != 0;
    if (family == AF_INET6)
        return strcmp(var_inet_protocols, "ipv4") != 0;
    return false;
}

static void own_add(int family, const void *addr)
{
    struct own_addr *o;

    if (!own_family_ok(family))
        return;
    if (resolve_nown == resolve_own_cap) {
        resolve_own_cap = resolve_own_cap ? 2 * resolve_own_cap : 8;
        resolve_own = xreallocarray(resolve_own, resolve_own_cap, sizeof(*resolve_own));
    }
    o = resolve_own + resolve_nown++;
    memset(o, 0, sizeof(*o));
    o->family = family;
    memcpy(o->addr, addr, family == AF_INET ? 4 : 16);
}

static void own_add_sockaddr(const struct sockaddr *sa)
{
    if (sa == NULL)
        return;
    if (sa->sa_family == AF_INET)
        own_add(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr);
    else if (sa->sa_family == AF_INET6)
        own_add(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
}

/* "all": every address of every interface, as Postfix's inet_addr_local(). */
static int own_add_interfaces(char **error_r)
{
    struct ifaddrs *list, *ifa;

    if (getifaddrs(&list) < 0) {
        *error_r = xasprintf("inet_interfaces = all: cannot list the interface addresses: %s",
                             strerror(errno));
        return -1;
    }
    for (ifa = list; ifa != NULL; ifa = ifa->ifa_next)
        own_add_sockaddr(ifa->ifa_addr);
    freeifaddrs(list);
    return 0;
}

/*
 * One entry of inet_interfaces or proxy_interfaces: an address, "[IPv6]",
 * or a host name (resolved now, as Postfix does at start-up).
 */
static int own_add_host(const char *param, const char *entry, char **error_r)
{
    struct addrinfo hints, *res, *ai;
    char host[256];
    size_t len = strlen(entry);
    int err;

    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if (len >= 2 && entry[0] == '[' && entry[len - 1] == ']') {
        hints.ai_flags = AI_NUMERICHOST; /* brackets hold an address, never a name */
        len -= 2;
        entry++;
    }
    if (len == 0 || len >= sizeof(host)) {
        *error_r = xasprintf("%s: bad address \"%s\"", param, entry);
        return -1;
    }
    memcpy(host, entry, len);
    host[len] = 0;
    if ((err = getaddrinfo(host, NULL, &hints, &res)) != 0) {
        *error_r =
            xasprintf("%s: cannot find the address of \"%s\": %s", param, host, gai_strerror(err));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next)
        own_add_sockaddr(ai->ai_addr);
    freeaddrinfo(res);
    return 0;
}

static int own_add_list(const char *param, const char *value, char **error_r)
{
    char **list = str_split_list(value, NULL), **p;
    int ret = 0;

    for (p = list; ret == 0 && p && *p; p++)
        ret = own_add_host(param, *p, error_r);
    str_list_free(list);
    return ret;
}

static int resolve_own_init(char **error_r)
{
    static const unsigned char loop4[4] = {127, 0, 0, 1};

    resolve_nown = 0;
    if (str_eq_nocase(var_inet_interfaces, "all")) {
        if (own_add_interfaces(error_r) < 0)
            return -1;
    } else if (str_eq_nocase(var_inet_interfaces, "loopback-only")) {
        own_add(AF_INET, loop4);
        own_add(AF_INET6, &in6addr_loopback);
    } else if (own_add_list("inet_interfaces", var_inet_interfaces, error_r) < 0) {
        return -1;
    }
    return own_add_list("proxy_interfaces", var_proxy_interfaces, error_r);
}

int resolve_init(char **error_r)
{
    domain_list_free(resolve_mydest);
    domain_list_free(resolve_relay);
    domain_list_free(resolve_valias);
    domain_list_free(resolve_vmailbox);
    resolve_mydest = resolve_relay = resolve_valias = resolve_vmailbox = NULL;
    maps_free(resolve_transports);
    resolve_transports = NULL;
    if (maps_open("transport_maps", var_transport_maps, &resolve_transports, error_r) < 0)
        return -1;
    if (domain_list_init("mydestination", var_mydestination, false, &resolve_mydest, error_r) < 0 ||
        domain_list_init("virtual_alias_domains", var_virtual_alias_domains, false, &resolve_valias,
                         error_r) < 0 ||
        domain_list_init("virtual_mailbox_domains", var_virtual_mailbox_domains, false,
                         &resolve_vmailbox, error_r) < 0 ||
        domain_list_init("relay_domains", var_relay_domains, true, &resolve_relay, error_r) < 0)
        return -1;
    return resolve_own_init(error_r);
}

bool resolve_own_literal(const char *domain)
{
    char text[MAIL_ADDR_DOMAIN_MAX + 1];
    unsigned char bin[16];
    size_t len = strlen(domain), i;
    int family = AF_INET;
    const char *p;

    if (len < 3 || len >= sizeof(text) || domain[0] != '[' || domain[len - 1] != ']')
        return false;
    memcpy(text, domain + 1, len - 2);
    text[len - 2] = 0;
    p = text;
    if (strncasecmp(p, "IPv6:", 5) == 0) {
        family = AF_INET6;
        p += 5;
    }
    if (inet_pton(family, p, bin) != 1)
        return false;
    for (i = 0; i < resolve_nown; i++)
        if (resolve_own[i].family == family &&
            memcmp(resolve_own[i].addr, bin, family == AF_INET ? 4 : 16) == 0)
            return true;
    return false;
}

bool resolve_own_sockaddr(const struct sockaddr *sa)
{
    const void *bin;
    size_t i;

    if (sa->sa_family == AF_INET)
        bin = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        bin = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    else
        return false;
    for (i = 0; i < resolve_nown; i++)
        if (resolve_own[i].family == sa->sa_family &&
            memcmp(resolve_own[i].addr, bin, sa->sa_family == AF_INET ? 4 : 16) == 0)
            return true;
    return false;
}

/* Is domain in list?  A table that cannot answer is logged and sets *tempfail. */
static bool resolve_in(struct domain_list *list, const char *domain, bool *tempfail)
{
    char *err = NULL;
    int r = list ? domain_list_match(list, domain, &err) : 0;

    if (r < 0) {
        msg_warn("%s", err);
        free(err);
        *tempfail = true;
    }
    return r > 0;
}

bool resolve_local_domain(const char *domain)
{
    bool tempfail = false;

    return resolve_in(resolve_mydest, domain, &tempfail);
}

/* A transport_maps value, "transport:nexthop"; false if it is not one. */
static bool resolve_transport_value(const char *v, struct resolve_result *r)
{
    size_t n = strcspn(v, ":");

    if (n > RESOLVE_TRANSPORT_MAX || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n ||
        (v[n] == ':' && strlen(v + n + 1) > RESOLVE_NEXTHOP_MAX))
        return false;
    if (n > 0) {
        memcpy(r->transport_buf, v, n);
        r->transport_buf[n] = 0;
        r->transport = r->transport_buf;
    }
    if (v[n] == ':' && v[n + 1])
        str_copy(r->nexthop, v + n + 1, sizeof(r->nexthop));
    return true;
}

/* transport_maps for a: user@domain, domain, .parent..., "*". */
static void resolve_transport(const struct mail_addr *a, struct resolve_result *r)
{
    char key[MAIL_ADDR_TEXT_MAX + 2], *err = NULL;
    const char *v, *dot;
    int found;

    if (resolve_transports == NULL || maps_empty(resolve_transports))
        return;
    mail_addr_internal(a, key, sizeof(key));
    found = maps_find(resolve_transports, key, &v, &err);
    if (found == 0 && a->domain[0])
        found = maps_find(resolve_transports, a->domain, &v, &err);
    for (dot = strchr(a->domain, '.'); found == 0 && dot; dot = strchr(dot + 1, '.'))
        found = maps_find(resolve_transports, dot, &v, &err);
    if (found == 0)
        found = maps_find(resolve_transports, "*", &v, &err);
    if (found < 0) {
        msg_warn("%s", err);
        free(err);
        r->tempfail = true;
    } else if (found > 0 && !resolve_transport_value(v, r)) {
        msg_warn("transport_maps: bad value \"%s\" for %s", v, key);
        r->tempfail = true;
    }
}

void resolve_addr(const struct mail_addr *a, struct resolve_result *r)
{
    r->tempfail = false;
    r->nexthop[0] = 0;
    if (a->domain[0] == 0 || resolve_in(resolve_mydest, a->domain, &r->tempfail) ||
        (a->literal && resolve_own_literal(a->domain))) {
        r->cls = RESOLVE_LOCAL;
        r->transport = "local";
    } else if (!r->tempfail && resolve_in(resolve_valias, a->domain, &r->tempfail)) {
        r->cls = RESOLVE_VALIAS;
        r->transport = "error";
    } else if (!r->tempfail && resolve_in(resolve_vmailbox, a->domain, &r->tempfail)) {
        r->cls = RESOLVE_VIRTUAL;
        r->transport = "virtual";
    } else if (!r->tempfail && resolve_in(resolve_relay, a->domain, &r->tempfail)) {
        r->cls = RESOLVE_RELAY;
        r->transport = var_relay_transport;
    } else {
        r->cls = RESOLVE_DEFAULT;
        r->transport = var_default_transport;
    }
    if (!r->tempfail)
        resolve_transport(a, r);
}
