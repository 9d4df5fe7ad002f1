/*
 * dns.c - libunbound wrapper (see dns.h).
 */
#include "sys_defs.h"
#include <unbound.h>
#include "dns.h"
#include "mail_addr.h"
#include "strutil.h"
#include "msg.h"

#define DNS_TYPE_A 1
#define DNS_TYPE_PTR 12
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1

static struct ub_ctx *dns_ctx;

int dns_init(const char *resolver_conf, const char **error_r)
{
    int err;

    if (dns_ctx)
        return 0;
    if ((dns_ctx = ub_ctx_create()) == NULL) {
        *error_r = "cannot create resolver context";
        return -1;
    }
    if (resolver_conf && *resolver_conf) {
        err = ub_ctx_config(dns_ctx, resolver_conf);
    } else {
        err = ub_ctx_resolvconf(dns_ctx, NULL);
        if (err == 0)
            err = ub_ctx_hosts(dns_ctx, NULL);
    }
    if (err != 0) {
        *error_r = ub_strerror(err);
        ub_ctx_delete(dns_ctx);
        dns_ctx = NULL;
        return -1;
    }
    return 0;
}

/* Decode a wire-format domain name (no compression in rdata of PTR answers). */
static int dns_wire_name(const unsigned char *p, size_t len, char *out, size_t outlen)
{
    size_t i = 0, o = 0;

    while (i < len && p[i] != 0) {
        size_t l = p[i++];

        if (l > 63 || i + l > len || o + l + 1 >= outlen)
            return -1;
        if (o > 0)
            out[o++] = '.';
        memcpy(out + o, p + i, l);
        o += l;
        i += l;
    }
    if (i >= len || o == 0)
        return -1;
    out[o] = 0;
    return 0;
}

static int dns_query(const char *name, int type, struct ub_result **res_r)
{
    int err;

    if (dns_ctx == NULL)
        return DNS_RETRY;
    err = ub_resolve(dns_ctx, name, type, DNS_CLASS_IN, res_r);
    if (err != 0) {
        msg_warn("DNS lookup of %s: %s", name, ub_strerror(err));
        return DNS_RETRY;
    }
    if ((*res_r)->havedata)
        return DNS_OK;
    if ((*res_r)->nxdomain || (*res_r)->rcode == 0) {
        ub_resolve_free(*res_r);
        return DNS_NOTFOUND;
    }
    ub_resolve_free(*res_r);
    return DNS_RETRY;
}

int dns_ptr(const char *addr, char *name, size_t len)
{
    unsigned char bin[16];
    char q[80];
    struct ub_result *res;
    size_t o = 0;
    int i, ret;

    if (inet_pton(AF_INET, addr, bin) == 1) {
        snprintf(q, sizeof(q), "%u.%u.%u.%u.in-addr.arpa", bin[3], bin[2], bin[1], bin[0]);
    } else if (inet_pton(AF_INET6, addr, bin) == 1) {
        for (i = 15; i >= 0; i--)
            o += (size_t)snprintf(q + o, sizeof(q) - o, "%x.%x.", bin[i] & 15, bin[i] >> 4);
        snprintf(q + o, sizeof(q) - o, "ip6.arpa");
    } else {
        return DNS_NOTFOUND;
    }
    if ((ret = dns_query(q, DNS_TYPE_PTR, &res)) != DNS_OK)
        return ret;
    ret = DNS_NOTFOUND;
    for (i = 0; res->data[i] != NULL; i++) {
        if (dns_wire_name((const unsigned char *)res->data[i], (size_t)res->len[i], name, len) ==
                0 &&
            mail_addr_domain_ok(name, strlen(name))) {
            str_lower(name);
            ret = DNS_OK;
            break;
        }
    }
    ub_resolve_free(res);
    return ret;
}

int dns_name_has_addr(const char *name, const char *addr)
{
    unsigned char bin[16];
    int family = inet_pton(AF_INET, addr, bin) == 1 ? AF_INET : AF_INET6;
    struct ub_result *res;
    size_t alen = family == AF_INET ? 4 : 16;
    int i, ret;

    if (family == AF_INET6 && inet_pton(AF_INET6, addr, bin) != 1)
        return DNS_NOTFOUND;
    ret = dns_query(name, family == AF_INET ? DNS_TYPE_A : DNS_TYPE_AAAA, &res);
    if (ret != DNS_OK)
        return ret;
    ret = DNS_NOTFOUND;
    for (i = 0; res->data[i] != NULL; i++)
        if ((size_t)res->len[i] == alen && memcmp(res->data[i], bin, alen) == 0)
            ret = DNS_OK;
    ub_resolve_free(res);
    return ret;
}
