/*
 * dns.h - name resolution through libunbound, the only resolver Postern
 * uses.  dns_resolver_conf may name an unbound.conf-style file (so tests
 * can serve their own zones with local-data:); when it is empty the
 * system's resolv.conf and /etc/hosts are used.
 *
 * dns_init() must run before chroot and the privilege drop, because it
 * reads those files.
 */
#ifndef POSTERN_DNS_H
#define POSTERN_DNS_H

#include "sys_defs.h"

#define DNS_OK 0
#define DNS_NOTFOUND 1 /* authoritative: no such name or record */
#define DNS_RETRY 2    /* temporary failure */

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

/* Entries in this process's answer cache (for tests and metrics). */
size_t dns_cache_count(void);

#endif
