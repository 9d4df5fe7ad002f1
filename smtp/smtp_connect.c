/*
 * smtp_connect.c - from a destination to the servers that may take its
 * mail, tried in order (see smtp.h).
 *
 * The next hop is relayhost when it is set ("[host]:port" skips the MX
 * lookup, as in Postfix; "host" looks up its MX), else the recipients'
 * domain on smtp_tcp_port: its MX hosts by preference, or the domain
 * itself when it has none (the implicit MX, RFC 5321 5.1).  A domain that
 * does not exist, or publishes a null MX (RFC 7505), fails at once.
 *
 * Each MX host's addresses are tried in turn, at most
 * smtp_mx_address_limit addresses and smtp_mx_session_limit sessions in
 * all, as Postfix does, so a destination with many dead servers cannot
 * hold a process for long.  An MX (not a "[host]" next hop, which may be
 * a content filter on our own address) that resolves to one of our own
 * addresses is where the mail would come back to us: it and every less
 * preferred MX are dropped, and if it was the best, the mail loops and
 * fails (5.4.6).
 */
#include "sys_defs.h"
#include "smtp.h"
#include "dns.h"
#include "iostuff.h"
#include "mail_params.h"
#include "msg.h"
#include "mymalloc.h"
#include "resolve.h"
#include "sock.h"
#include "strutil.h"

/* Where a destination's mail goes: a host or domain, a port, whether to look up its MX. */
struct smtp_nexthop {
    char name[SMTP_HOST_MAX + 1];
    int port;
    bool mx;
};

/* relayhost or the domain, as Postfix reads them: "[host]:port", "host:port", "host". */
static int smtp_nexthop_parse(const char *text, struct smtp_nexthop *nh)
{
    const char *end, *colon;
    long long port = var_smtp_tcp_port;
    size_t len;

    nh->mx = text[0] != '[';
    if (!nh->mx) {
        if ((end = strchr(text, ']')) == NULL)
            return -1;
        len = (size_t)(end - text - 1);
        colon = end[1] == ':' ? end + 1 : NULL;
        if (end[1] && !colon)
            return -1;
        text++;
    } else {
        colon = strrchr(text, ':');
        len = colon ? (size_t)(colon - text) : strlen(text);
    }
    if (len == 0 || len >= sizeof(nh->name) || (colon && str_to_ll(colon + 1, 1, 65535, &port) < 0))
        return -1;
    memcpy(nh->name, text, len);
    nh->name[len] = 0;
    str_lower(nh->name);
    /* A domain literal "[192.0.2.1]" or "[IPv6:2001:db8::1]" names the address itself. */
    if (strncasecmp(nh->name, "ipv6:", 5) == 0)
        memmove(nh->name, nh->name + 5, strlen(nh->name + 5) + 1);
    nh->port = (int)port;
    return 0;
}

/* smtp_bind_address and smtp_bind_address6, read at start-up. */
static struct sockaddr_in smtp_bind4;
static struct sockaddr_in6 smtp_bind6;
static bool smtp_bind4_on, smtp_bind6_on;

void smtp_connect_init(void)
{
    if (*var_smtp_bind_address) {
        smtp_bind4.sin_family = AF_INET;
        if (inet_pton(AF_INET, var_smtp_bind_address, &smtp_bind4.sin_addr) != 1)
            msg_fatal("smtp_bind_address: \"%s\" is not an IPv4 address", var_smtp_bind_address);
        smtp_bind4_on = true;
    }
    if (*var_smtp_bind_address6) {
        smtp_bind6.sin6_family = AF_INET6;
        if (inet_pton(AF_INET6, var_smtp_bind_address6, &smtp_bind6.sin6_addr) != 1)
            msg_fatal("smtp_bind_address6: \"%s\" is not an IPv6 address", var_smtp_bind_address6);
        smtp_bind6_on = true;
    }
}

/* Connect to "to" from the configured local address of its family, if any. */
static int smtp_connect_to(const struct sockaddr_storage *to, socklen_t len)
{
    const struct sockaddr *from = NULL;
    socklen_t fromlen = 0;

    if (to->ss_family == AF_INET && smtp_bind4_on) {
        from = (const struct sockaddr *)&smtp_bind4;
        fromlen = sizeof(smtp_bind4);
    } else if (to->ss_family == AF_INET6 && smtp_bind6_on) {
        from = (const struct sockaddr *)&smtp_bind6;
        fromlen = sizeof(smtp_bind6);
    }
    return inet_connect_from((const struct sockaddr *)to, len, from, fromlen,
                             (int)(var_smtp_connect_timeout * 1000));
}

static int smtp_families(void)
{
    if (strcmp(var_inet_protocols, "ipv4") == 0)
        return DNS_INET4;
    if (strcmp(var_inet_protocols, "ipv6") == 0)
        return DNS_INET6;
    return DNS_INET4 | DNS_INET6;
}

/* The MX hosts to try, in order; false when d was decided (failed) instead. */
static bool smtp_mx_hosts(struct smtp_dest *d, const struct smtp_nexthop *nh, struct dns_mx *mx,
                          size_t *n_r)
{
    bool nxdomain = false, secure = false;
    char why[SMTP_REASON_MAX];
    int r;

    if (!nh->mx) {
        str_copy(mx[0].host, nh->name, sizeof(mx[0].host));
        mx[0].pref = 0;
        *n_r = 1;
        return true;
    }
    r = dns_mx_lookup(nh->name, mx, DNS_MX_MAX, n_r, &nxdomain, &secure, why, sizeof(why));
    switch (r) {
    case DNS_OK:
        return true;
    case DNS_NULLMX:
        smtp_dest_fail(d, "none", DELIVER_BOUNCED, "5.1.10", why);
        return false;
    case DNS_NOTFOUND:
        if (nxdomain) {
            smtp_dest_fail(d, "none", DELIVER_BOUNCED, "5.4.4", why);
            return false;
        }
        str_copy(mx[0].host, nh->name, sizeof(mx[0].host));
        mx[0].pref = 0;
        *n_r = 1;
        return true;
    default:
        smtp_dest_fail(d, "none", DELIVER_DEFERRED, "4.4.3", why);
        return false;
    }
}

/* Remember why a server did not take the mail, for when none does. */
static void smtp_note(struct smtp_dest *d, const char *dsn, const char *relay, const char *fmt, ...)
    PRINTFLIKE(4, 5);
static void smtp_note(struct smtp_dest *d, const char *dsn, const char *relay, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(d->last_reason, sizeof(d->last_reason), fmt, ap);
    va_end(ap);
    str_copy(d->last_dsn, dsn, sizeof(d->last_dsn));
    str_copy(d->last_relay, relay, sizeof(d->last_relay));
}

/* One address: connect and run the session (again in plain text if STARTTLS broke). */
static enum smtp_next smtp_try_addr(struct smtp_dest *d, const char *host,
                                    const struct sockaddr_storage *sa, int port)
{
    struct smtp_session sess;
    struct sockaddr_storage to = *sa;
    socklen_t len =
        to.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    enum smtp_next next = SMTP_NEXT_PLAINTEXT;
    bool tls_ok = true;
    int fd;

    if (to.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)(void *)&to)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)(void *)&to)->sin_port = htons((uint16_t)port);
    memset(&sess, 0, sizeof(sess));
    str_copy(sess.host, host, sizeof(sess.host));
    if (sock_ntop((struct sockaddr *)&to, sess.addr, sizeof(sess.addr), NULL) < 0)
        str_copy(sess.addr, "?", sizeof(sess.addr));
    sess.port = port;
    snprintf(sess.peer, sizeof(sess.peer), "%s[%s]:%d", host, sess.addr, port);
    while (next == SMTP_NEXT_PLAINTEXT) {
        if ((fd = smtp_connect_to(&to, len)) < 0) {
            smtp_note(d, "4.4.1", "none", "connect to %s: %s", sess.peer, strerror(errno));
            return SMTP_NEXT_SERVER;
        }
        sock_nodelay(fd);
        sess.s = stream_open(fd, (int)(var_smtp_helo_timeout * 1000));
        next = smtp_session_run(d, &sess, tls_ok);
        if (sess.keep)
            smtp_cache_put(d, &sess); /* it owns the stream now */
        else
            stream_close(sess.s);
        tls_ok = false;
    }
    return next;
}

/* The addresses of each MX host, in order, as one list. */
struct smtp_target {
    const char *host;
    int pref;
    struct sockaddr_storage sa;
};

/*
 * Resolve every MX host (at most DNS_ADDR_MAX addresses each) into t.
 * Hosts as preferred as one of ours, or less, are left out: mail to
 * them would come back.  Returns how many; *loop_r when we were the best;
 * *hard_r when no host has an address and DNS said so for each (no
 * temporary failure): Postfix bounces that (5.4.4), as it does a domain
 * that does not exist, since waiting will not make the names appear
 * (Postfix's "Host or domain name not found ... Host not found").
 */
static size_t smtp_targets(struct smtp_dest *d, const struct dns_mx *mx, size_t nmx, bool by_mx,
                           struct smtp_target *t, bool *loop_r, bool *hard_r)
{
    struct sockaddr_storage addrs[DNS_ADDR_MAX];
    char why[SMTP_REASON_MAX];
    size_t n = 0, naddr, i, j;
    int own_pref = INT_MAX;
    bool secure, hard = true;
    int r;

    for (i = 0; i < nmx && mx[i].pref < own_pref; i++) {
        r = dns_addr_lookup(mx[i].host, smtp_families(), addrs, DNS_ADDR_MAX, &naddr, &secure, why,
                            sizeof(why));
        if (r != DNS_OK) {
            hard = hard && r == DNS_NOTFOUND;
            smtp_note(d, r == DNS_NOTFOUND ? "5.4.4" : "4.4.3", "none", "%s", why);
            continue;
        }
        hard = false;
        for (j = 0; j < naddr; j++) {
            /* Only an MX can loop: "[host]:port" may well be ours (a content filter). */
            if (by_mx && resolve_own_sockaddr((struct sockaddr *)&addrs[j]))
                own_pref = mx[i].pref;
            t[n].host = mx[i].host;
            t[n].pref = mx[i].pref;
            t[n].sa = addrs[j];
            n++;
        }
    }
    while (n > 0 && t[n - 1].pref >= own_pref)
        n--;
    *loop_r = n == 0 && own_pref != INT_MAX;
    /* relayhost is ours to fix, not the recipient's fault: Postfix defers then (so do we). */
    *hard_r = n == 0 && hard && !*loop_r && !*var_relayhost;
    return n;
}

void smtp_connect_dest(struct smtp_dest *d)
{
    struct dns_mx mx[DNS_MX_MAX];
    struct smtp_target *t = xcalloc(DNS_MX_MAX * DNS_ADDR_MAX, sizeof(*t));
    struct smtp_nexthop nh;
    char why[SMTP_REASON_MAX];
    size_t nmx, n, i;
    bool loop, hard;

    if (smtp_nexthop_parse(d->domain, &nh) < 0) {
        smtp_dest_fail(d, "none", DELIVER_BOUNCED, "5.1.2",
                       *var_relayhost ? "bad relayhost syntax" : "bad destination domain");
        goto out;
    }
    /* A session that the last message to this destination left open. */
    if (smtp_cache_run(d))
        goto out;
    if (!smtp_mx_hosts(d, &nh, mx, &nmx))
        goto out;
    smtp_note(d, "4.4.1", "none", "no server for %s", nh.name);
    n = smtp_targets(d, mx, nmx, nh.mx, t, &loop, &hard);
    if (hard) {
        smtp_dest_fail(d, "none", DELIVER_BOUNCED, "5.4.4", d->last_reason);
        goto out;
    }
    if (loop) {
        snprintf(why, sizeof(why), "mail for %s loops back to myself", nh.name);
        smtp_dest_fail(d, "none", DELIVER_BOUNCED, "5.4.6", why);
        goto out;
    }
    for (i = 0; i < n; i++) {
        if (var_smtp_mx_address_limit > 0 && (long long)i >= var_smtp_mx_address_limit)
            break;
        if (smtp_try_addr(d, t[i].host, &t[i].sa, nh.port) == SMTP_NEXT_DONE)
            goto out;
        if (var_smtp_mx_session_limit > 0 && d->sessions >= var_smtp_mx_session_limit)
            break;
    }
    smtp_dest_fail(d, d->last_relay, DELIVER_DEFERRED, d->last_dsn, d->last_reason);
out:
    free(t);
}
