/*
 * resolve.h - where does an address go?  The one place that classifies
 * recipient domains (Postfix's trivial-rewrite "resolve"): smtpd uses it to
 * decide what it may accept, qmgr to decide which transport delivers.
 *
 *   local:   the domain is in mydestination (or there is none: <postmaster>),
 *            or it is an address literal naming one of our own addresses
 *            (inet_interfaces, all interface addresses when that is "all",
 *            and proxy_interfaces), as Postfix does; delivered by the
 *            "local" transport to a system account.
 *   valias:  the domain is in virtual_alias_domains: its addresses are only
 *            aliases, expanded when mail is queued; what is left has none
 *            and gets "error" (unknown user).
 *   virtual: the domain is in virtual_mailbox_domains: the "virtual"
 *            transport delivers to the mailboxes of virtual_mailbox_maps.
 *   relay:   the domain is in relay_domains; accepted from anyone and sent on.
 *   default: anything else; accepted only from mynetworks, sent on by
 *            default_transport ("smtp").
 *
 * Then transport_maps, as Postfix's transport(5), may send any address
 * elsewhere: looked up as user@domain, then domain, then .parent for each
 * parent domain, then "*"; the value is "transport:nexthop" (either part
 * may be empty: the class's own is kept).  Transports are master.cf
 * services, except three that qmgr answers itself: "error:text" (the
 * recipient fails with text, its leading d.d.d the DSN code), "retry:text"
 * (it is deferred) and "discard:text" (it is dropped as delivered).
 */
#ifndef POSTERN_RESOLVE_H
#define POSTERN_RESOLVE_H

#include "sys_defs.h"
#include "mail_addr.h"

enum resolve_class {
    RESOLVE_LOCAL,
    RESOLVE_VALIAS,  /* a virtual alias domain: every address needs an alias */
    RESOLVE_VIRTUAL, /* a virtual mailbox domain: delivered by "virtual" */
    RESOLVE_RELAY,
    RESOLVE_DEFAULT,
};

#define RESOLVE_TRANSPORT_MAX 32
#define RESOLVE_NEXTHOP_MAX 512

struct resolve_result {
    enum resolve_class cls;
    const char *transport; /* "local", "virtual", "error", "smtp", or transport_buf */
    bool tempfail;         /* a table could not answer: the class is not known */
    char transport_buf[RESOLVE_TRANSPORT_MAX + 1];
    /* transport_maps' next hop ("[mx.example]:587"), or error:/retry: text; "" for the default */
    char nexthop[RESOLVE_NEXTHOP_MAX + 1];
};

/*
 * Parse the domain lists of the loaded configuration and learn our own
 * addresses (getifaddrs() for "all": call it before a chroot, unprivileged
 * is fine); -1 with *error_r.
 */
int resolve_init(char **error_r);
/* Is this address literal ("[192.0.2.1]", "[IPv6:2001:db8::1]") one of ours? */
bool resolve_own_literal(const char *domain);
/* Classify a recipient; with r->tempfail set, try again later (never relay, never refuse). */
void resolve_addr(const struct mail_addr *a, struct resolve_result *r);
/* Is this one of the addresses we receive mail on (the smtp client's loop check)? */
bool resolve_own_sockaddr(const struct sockaddr *sa);
/* Is domain (case-insensitively) one of mydestination? */
bool resolve_local_domain(const char *domain);

#endif
