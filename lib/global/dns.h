/*
 * dns.h - name resolution through libunbound, the only resolver Postern
 * uses.  dns_resolver_conf may name an unbound.conf-style file (so tests
 * can serve their own zones with local-data:); when it is empty the
 * system's resolv.conf and /etc/hosts are used.
 *
 * dns_init() must run before chroot and the privilege drop, because it
 * reads those files.
 *
 * The MX and address lookups serve the outbound SMTP client.  Every name
 * they return was checked as a host name (see dns_mx_rdata_parse): the
 * bytes come from whoever runs the zone, and they end up in logs, in
 * queue-file reasons and in the next query.
 */
#ifndef POSTERN_DNS_H
#define POSTERN_DNS_H

#include "sys_defs.h"

#define DNS_OK 0
#define DNS_NOTFOUND 1 /* authoritative: no such name or record */
#define DNS_RETRY 2    /* temporary failure */
#define DNS_NULLMX 3   /* the domain publishes a null MX (RFC 7505): it takes no mail */

#define DNS_HOST_MAX 255 /* a host name's text, without the trailing dot */
#define DNS_MX_MAX 32    /* MX hosts kept, the most preferred */
#define DNS_ADDR_MAX 16  /* addresses kept per host and family */

#define DNS_INET4 0x1
#define DNS_INET6 0x2

struct dns_mx {
    char host[DNS_HOST_MAX + 1]; /* lower case, no trailing dot; "" is the root */
    int pref;
};

/* Create the resolver from resolver_conf ("" for the system's). */
int dns_init(const char *resolver_conf, const char **error_r);
/* Reverse-resolve a numeric address to a lower-case host name. */
int dns_ptr(const char *addr, char *name, size_t len);
/* Does name have an A or AAAA record equal to the numeric address? */
int dns_name_has_addr(const char *name, const char *addr);
/* Has name an MX, A or AAAA record (reject_unknown_*_domain)? */
int dns_mail_domain(const char *name);

/* Is the address listed in DNS list zone (with A record filter, "a.b.c.d", or any)? */
int dns_rbl(const char *addr, const char *zone, const char *filter);

/*
 * The MX hosts of domain, most preferred first, hosts of equal preference
 * in random order (RFC 5321 5.1), at most max of them.  DNS_OK with
 * *n_r >= 1; DNS_NOTFOUND with *n_r == 0 when the domain exists but has no
 * MX (the caller then uses the domain itself, the implicit MX), with
 * *nxdomain_r set when the domain does not exist at all; DNS_NULLMX when
 * the only MX is the root ("0 .", whatever the preference; a root next to
 * other MX records is skipped); DNS_RETRY on a temporary failure, on a
 * DNSSEC-bogus answer, on a CNAME chain of more than 8, and when every MX
 * target is malformed (never the implicit MX then).  *secure_r tells
 * whether the answer, every CNAME on the way included, was
 * DNSSEC-validated.  why (may be NULL) gets a Postfix-style reason for
 * every status but DNS_OK.
 */
int dns_mx_lookup(const char *domain, struct dns_mx *mx, size_t max, size_t *n_r, bool *nxdomain_r,
                  bool *secure_r, char *why, size_t whylen);

/*
 * The addresses of host, IPv4 ones first, then IPv6 ones, for the families
 * asked (DNS_INET4 | DNS_INET6), as sockaddr_in/sockaddr_in6 with port 0,
 * at most max of them.  A numeric address is returned as itself without a
 * query (and *secure_r false: no DNS vouched for it).  DNS_OK with
 * *n_r >= 1 (when one family answers and the other fails temporarily, the
 * answer is used); DNS_NOTFOUND; DNS_RETRY.  *secure_r is true only when
 * every answer used was DNSSEC-validated.  why as for dns_mx_lookup().
 */
int dns_addr_lookup(const char *host, int families, struct sockaddr_storage *addrs, size_t max,
                    size_t *n_r, bool *secure_r, char *why, size_t whylen);

/*
 * Parse MX rdata as libunbound gives it: a 2-byte preference, then an
 * uncompressed wire-format name that ends exactly at len.  The name must
 * be a host name: labels of 1 to 63 octets of letters, digits, '-' and '_',
 * no label beginning or ending with '-', at most 255 octets in wire form,
 * and a last label that is not all digits (it would read as an address);
 * or the root alone (out->host ""), the null MX target.  Lower-cased into
 * out.  0, or -1 for anything else (out then undefined).
 */
int dns_mx_rdata_parse(const unsigned char *p, size_t len, struct dns_mx *out);
/* Parse A (family AF_INET, 4 octets) or AAAA (AF_INET6, 16) rdata into out, port 0. */
int dns_addr_rdata_parse(int family, const unsigned char *p, size_t len,
                         struct sockaddr_storage *out);

/* Entries in this process's answer cache (for tests and metrics). */
size_t dns_cache_count(void);

#endif
