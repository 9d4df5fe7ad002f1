/*
 * dns.c - libunbound wrapper (see dns.h).
 *
 * Queries go through libunbound's asynchronous interface with a resolver
 * thread that lives as long as the process: the synchronous ub_resolve()
 * builds and tears down a whole resolver worker per query, which costs ten
 * times the CPU.  The thread is started with every signal blocked, so that
 * signals keep interrupting the daemon's own waits.  Every wait for an
 * answer is bounded by DNS_TIMEOUT_MS.
 *
 * Answers (and authoritative "no such name" replies) are also kept in a
 * small per-process cache for their TTL, capped at DNS_CACHE_TTL_MAX: a
 * client that connects again, as busy senders do, costs no trip to the
 * resolver thread.  Temporary failures are never cached.
 *
 * MX and address answers are cached the same way, as the parsed records
 * (never the raw bytes), so a cached answer costs no second parse and no
 * second warning about a malformed record.  The equal-preference shuffle
 * happens on every lookup, cached or not.
 */
#include "sys_defs.h"
#include <pthread.h>
#include <unbound.h>
#include "dns.h"
#include "mail_addr.h"
#include "strutil.h"
#include "msg.h"
#include "htable.h"
#include "mymalloc.h"
#include "events.h"
#include "iostuff.h"

#define DNS_TYPE_A 1
#define DNS_TYPE_PTR 12
#define DNS_TYPE_MX 15
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1
#define DNS_TIMEOUT_MS 10000
#define DNS_CACHE_MAX 1000      /* entries; the oldest goes when full */
#define DNS_CACHE_TTL_MAX 3600  /* seconds */
#define DNS_CACHE_NEG_TTL 60    /* seconds, for "no such name" */
#define DNS_ERR_TIMEOUT (-1000) /* not a libunbound error code */

static struct ub_ctx *dns_ctx;
static bool dns_thread_started;
static struct htable dns_cache;
static struct dns_cached *dns_cache_oldest, *dns_cache_newest;

/*
 * A cached answer.  Entries also sit on a list in the order they were made,
 * so that a full cache drops its oldest entry, one at a time: what is
 * cached is chosen by whoever controls the zones asked about (a client's
 * own PTR zone), so the cache must stay bounded in entries (and so in
 * bytes: keys and answers are bounded too) without one client being able
 * to flush it all at once.
 */
struct dns_cached {
    int status; /* DNS_OK or DNS_NOTFOUND */
    time_t expires;
    char *key;      /* the htable's copy */
    char text[256]; /* the answer, for lookups that return one */
    bool secure;    /* DNSSEC-validated (MX and address lookups) */
    bool nxdomain;  /* DNS_NOTFOUND because the name does not exist */
    void *data;     /* parsed records (MX and address lookups), or NULL */
    size_t datalen;
    struct dns_cached *older, *newer;
};

struct dns_wait {
    bool done;
    int err;
    struct ub_result *result;
};

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
    if (err == 0)
        err = ub_ctx_async(dns_ctx, 1);
    if (err != 0) {
        *error_r = ub_strerror(err);
        ub_ctx_delete(dns_ctx);
        dns_ctx = NULL;
        return -1;
    }
    return 0;
}

static void dns_callback(void *arg, int err, struct ub_result *result)
{
    struct dns_wait *w = arg;

    w->done = true;
    w->err = err;
    w->result = result;
}

/* Start a query; the first one starts the resolver thread, signals blocked. */
static int dns_start(const char *name, int type, struct dns_wait *w, int *id)
{
    sigset_t all, old;
    int err;

    if (dns_thread_started)
        return ub_resolve_async(dns_ctx, name, type, DNS_CLASS_IN, w, dns_callback, id);
    sigfillset(&all);
    (void)pthread_sigmask(SIG_BLOCK, &all, &old);
    err = ub_resolve_async(dns_ctx, name, type, DNS_CLASS_IN, w, dns_callback, id);
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    dns_thread_started = err == 0;
    return err;
}

/* Run one query to completion or timeout; the result as ub_resolve gives it. */
static int dns_resolve(const char *name, int type, struct ub_result **res_r)
{
    struct dns_wait w = {false, 0, NULL};
    long long deadline;
    int id, err;

    if ((err = dns_start(name, type, &w, &id)) != 0)
        return err;
    deadline = event_now_ms() + DNS_TIMEOUT_MS;
    while (!w.done) {
        long long left = deadline - event_now_ms();

        if (left <= 0) {
            (void)ub_cancel(dns_ctx, id);
            return DNS_ERR_TIMEOUT;
        }
        if (poll_fd(ub_fd(dns_ctx), POLLIN, (int)left) < 0)
            return UB_PIPE;
        if ((err = ub_process(dns_ctx)) != 0)
            return err;
    }
    if (w.err != 0)
        return w.err;
    *res_r = w.result;
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

/* Take an entry out of the cache and free it. */
static void dns_cache_drop(struct dns_cached *c)
{
    if (c->older)
        c->older->newer = c->newer;
    else
        dns_cache_oldest = c->newer;
    if (c->newer)
        c->newer->older = c->older;
    else
        dns_cache_newest = c->older;
    (void)htable_delete(&dns_cache, c->key);
    free(c->key);
    free(c->data);
    free(c);
}

/* The cached result for key, or NULL when there is none that is fresh. */
static const struct dns_cached *dns_cache_get(const char *key)
{
    struct dns_cached *c;

    if (dns_cache.buckets == NULL || (c = htable_find(&dns_cache, key)) == NULL)
        return NULL;
    if (c->expires > time(NULL))
        return c;
    dns_cache_drop(c);
    return NULL;
}

/* Cache an answer; the new entry (for the caller to add data to), or NULL. */
static struct dns_cached *dns_cache_put(const char *key, int status, int ttl, const char *text)
{
    struct dns_cached *c;

    if (status != DNS_OK && status != DNS_NOTFOUND)
        return NULL;
    if (dns_cache.buckets == NULL)
        htable_init(&dns_cache, 64);
    if ((c = htable_find(&dns_cache, key)) != NULL)
        dns_cache_drop(c);
    if (ttl == 0)
        return NULL; /* the zone says: do not keep this */
    while (dns_cache.count >= DNS_CACHE_MAX)
        dns_cache_drop(dns_cache_oldest);
    if (ttl < 0 || status == DNS_NOTFOUND)
        ttl = DNS_CACHE_NEG_TTL;
    c = xcalloc(1, sizeof(*c));
    c->status = status;
    c->expires = time(NULL) + (ttl < DNS_CACHE_TTL_MAX ? ttl : DNS_CACHE_TTL_MAX);
    str_copy(c->text, text ? text : "", sizeof(c->text));
    c->key = xstrdup(key);
    c->older = dns_cache_newest;
    if (dns_cache_newest)
        dns_cache_newest->newer = c;
    else
        dns_cache_oldest = c;
    dns_cache_newest = c;
    htable_enter(&dns_cache, key, c);
    return c;
}

size_t dns_cache_count(void)
{
    return dns_cache.count;
}

static int dns_query(const char *name, int type, struct ub_result **res_r)
{
    int err;

    if (dns_ctx == NULL)
        return DNS_RETRY;
    err = dns_resolve(name, type, res_r);
    if (err != 0) {
        msg_warn("DNS lookup of %s: %s", name,
                 err == DNS_ERR_TIMEOUT ? "timed out" : ub_strerror(err));
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

/*
 * The name of a numeric address under a reverse zone: its octets (IPv4)
 * or nibbles (IPv6) in reverse order, then zone4 or zone6.  -1 if addr is
 * not an address or the name does not fit.
 */
static int dns_reversed(const char *addr, const char *zone4, const char *zone6, char *q, size_t len)
{
    unsigned char bin[16];
    size_t o = 0;
    int i;

    if (inet_pton(AF_INET, addr, bin) == 1)
        return snprintf(q, len, "%u.%u.%u.%u.%s", bin[3], bin[2], bin[1], bin[0], zone4) < (int)len
                   ? 0
                   : -1;
    if (inet_pton(AF_INET6, addr, bin) != 1)
        return -1;
    for (i = 15; i >= 0; i--)
        o += (size_t)snprintf(q + o, len - o, "%x.%x.", bin[i] & 15, bin[i] >> 4);
    return o < len && snprintf(q + o, len - o, "%s", zone6) < (int)(len - o) ? 0 : -1;
}

int dns_ptr(const char *addr, char *name, size_t len)
{
    const struct dns_cached *cached;
    char q[80];
    struct ub_result *res;
    int i, ret;

    if (dns_reversed(addr, "in-addr.arpa", "ip6.arpa", q, sizeof(q)) < 0)
        return DNS_NOTFOUND;
    char found[256] = "";

    if ((cached = dns_cache_get(q)) != NULL) {
        ret = cached->status;
        str_copy(found, cached->text, sizeof(found));
    } else {
        if ((ret = dns_query(q, DNS_TYPE_PTR, &res)) != DNS_OK) {
            dns_cache_put(q, ret, -1, NULL);
            return ret;
        }
        ret = DNS_NOTFOUND;
        for (i = 0; res->data[i] != NULL; i++) {
            if (dns_wire_name((const unsigned char *)res->data[i], (size_t)res->len[i], found,
                              sizeof(found)) == 0 &&
                mail_addr_domain_ok(found, strlen(found))) {
                str_lower(found);
                ret = DNS_OK;
                break;
            }
        }
        dns_cache_put(q, ret, res->ttl, ret == DNS_OK ? found : NULL);
        ub_resolve_free(res);
    }
    /* A name that does not fit the caller's buffer is not returned cut. */
    if (ret != DNS_OK || strlen(found) >= len)
        return DNS_NOTFOUND;
    str_copy(name, found, len);
    return DNS_OK;
}

int dns_name_has_addr(const char *name, const char *addr)
{
    unsigned char bin[16];
    int family = inet_pton(AF_INET, addr, bin) == 1 ? AF_INET : AF_INET6;
    struct ub_result *res;
    size_t alen = family == AF_INET ? 4 : 16;
    int i, ret;

    const struct dns_cached *cached;
    char key[600];

    if (family == AF_INET6 && inet_pton(AF_INET6, addr, bin) != 1)
        return DNS_NOTFOUND;
    snprintf(key, sizeof(key), "%s %s", name, addr);
    if ((cached = dns_cache_get(key)) != NULL)
        return cached->status;
    ret = dns_query(name, family == AF_INET ? DNS_TYPE_A : DNS_TYPE_AAAA, &res);
    if (ret != DNS_OK) {
        dns_cache_put(key, ret, -1, NULL);
        return ret;
    }
    ret = DNS_NOTFOUND;
    for (i = 0; res->data[i] != NULL; i++)
        if ((size_t)res->len[i] == alen && memcmp(res->data[i], bin, alen) == 0)
            ret = DNS_OK;
    dns_cache_put(key, ret, res->ttl, NULL);
    ub_resolve_free(res);
    return ret;
}

/*
 * A name that mail can be sent to: MX, else A, else AAAA (RFC 5321 5.1).
 * Any record is enough; a failure of one type with no answer of another
 * is a failure, never "no such domain".
 */
int dns_mail_domain(const char *name)
{
    static const int types[] = {DNS_TYPE_MX, DNS_TYPE_A, DNS_TYPE_AAAA};
    const struct dns_cached *cached;
    struct ub_result *res;
    char key[300];
    int ret = DNS_NOTFOUND, r;
    size_t i;

    snprintf(key, sizeof(key), "mail %s", name);
    if ((cached = dns_cache_get(key)) != NULL)
        return cached->status;
    for (i = 0; i < COUNTOF(types); i++) {
        if ((r = dns_query(name, types[i], &res)) == DNS_OK) {
            dns_cache_put(key, DNS_OK, res->ttl, NULL);
            ub_resolve_free(res);
            return DNS_OK;
        }
        if (r == DNS_RETRY)
            ret = DNS_RETRY;
    }
    dns_cache_put(key, ret, -1, NULL);
    return ret;
}

/*
 * Is addr listed in the DNS list zone: an A record for its reversed name
 * (equal to filter, "a.b.c.d", when one is given)?
 */
int dns_rbl(const char *addr, const char *zone, const char *filter)
{
    const struct dns_cached *cached;
    struct ub_result *res;
    unsigned char want[4];
    char q[400], key[420];
    int i, ret;

    if (dns_reversed(addr, zone, zone, q, sizeof(q)) < 0 ||
        (filter && inet_pton(AF_INET, filter, want) != 1))
        return DNS_NOTFOUND;
    snprintf(key, sizeof(key), "rbl %s %s", q, filter ? filter : "");
    if ((cached = dns_cache_get(key)) != NULL)
        return cached->status;
    if ((ret = dns_query(q, DNS_TYPE_A, &res)) != DNS_OK) {
        dns_cache_put(key, ret, -1, NULL);
        return ret;
    }
    ret = filter ? DNS_NOTFOUND : DNS_OK;
    for (i = 0; filter && res->data[i] != NULL; i++)
        if (res->len[i] == 4 && memcmp(res->data[i], want, 4) == 0)
            ret = DNS_OK;
    dns_cache_put(key, ret, res->ttl, NULL);
    ub_resolve_free(res);
    return ret;
}

/*
 * MX and address lookups for the outbound client.
 *
 * Host names from rdata are checked strictly: the bytes are chosen by
 * whoever runs the zone, and the names go on into logs, queue-file
 * reasons and the next query.
 */
#define DNS_NAME_WIRE_MAX 255
#define DNS_CNAME_HOPS 8

static const char dns_try_again[] = "Host not found, try again";

static void dns_why(char *why, size_t whylen, const char *fmt, ...) PRINTFLIKE(3, 4);

static void dns_why(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;

    if (why == NULL || whylen == 0)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

static void dns_why_ns(char *why, size_t whylen, const char *name, const char *tname,
                       const char *text)
{
    dns_why(why, whylen,
            "Host or domain name not found. Name service error for name=%s type=%s: %s", name,
            tname, text);
}

/* ASCII only, whatever the locale: letters, digits, '-' and '_' (as Postfix allows). */
static bool dns_host_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* One label of a wire-format name at p (length byte first) into out at *o. */
static int dns_label(const unsigned char *p, size_t l, char *out, size_t *o)
{
    size_t i;

    if (p[0] == '-' || p[l - 1] == '-')
        return -1;
    for (i = 0; i < l; i++) {
        if (!dns_host_char(p[i]))
            return -1;
        out[(*o)++] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + ('a' - 'A') : p[i]);
    }
    return 0;
}

/*
 * An uncompressed wire-format host name that fills exactly len octets, into
 * out (DNS_HOST_MAX + 1), lower case, no trailing dot; the root is "".
 */
static int dns_host_name(const unsigned char *p, size_t len, char *out)
{
    size_t i = 0, o = 0, last = 0;
    bool numeric = true;

    if (len == 0 || len > DNS_NAME_WIRE_MAX)
        return -1;
    while (p[i] != 0) {
        size_t l = p[i++];

        /* 0xc0 is a compression pointer, 0x40 and 0x80 obsolete label types */
        if ((l & 0xc0) != 0 || l > len - i || len - i - l < 1)
            return -1;
        if (o > 0)
            out[o++] = '.';
        last = o;
        if (dns_label(p + i, l, out, &o) != 0)
            return -1;
        i += l;
    }
    if (i + 1 != len)
        return -1; /* trailing octets after the root label */
    out[o] = 0;
    for (i = last; i < o && numeric; i++)
        numeric = out[i] >= '0' && out[i] <= '9';
    return o > 0 && numeric ? -1 : 0;
}

int dns_mx_rdata_parse(const unsigned char *p, size_t len, struct dns_mx *out)
{
    if (len < 3)
        return -1;
    out->pref = p[0] << 8 | p[1];
    return dns_host_name(p + 2, len - 2, out->host);
}

int dns_addr_rdata_parse(int family, const unsigned char *p, size_t len,
                         struct sockaddr_storage *out)
{
    memset(out, 0, sizeof(*out));
    if (family == AF_INET && len == 4) {
        struct sockaddr_in *sin = (struct sockaddr_in *)out;

        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, p, 4);
        return 0;
    }
    if (family == AF_INET6 && len == 16) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;

        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, p, 16);
        return 0;
    }
    return -1;
}

/*
 * One query for the lookups that tell "no such domain" from "no such
 * record" and care about DNSSEC: DNS_OK or DNS_NOTFOUND with *res_r for
 * the caller to read and free, or DNS_RETRY (bogus answers too) with why.
 */
static int dns_query_one(const char *name, int type, const char *tname, struct ub_result **res_r,
                         char *why, size_t whylen)
{
    struct ub_result *res;
    int err;

    if (dns_ctx == NULL) {
        dns_why_ns(why, whylen, name, tname, "resolver not initialized");
        return DNS_RETRY;
    }
    if ((err = dns_resolve(name, type, &res)) != 0) {
        msg_warn("DNS lookup of %s type=%s: %s", name, tname,
                 err == DNS_ERR_TIMEOUT ? "timed out" : ub_strerror(err));
        dns_why_ns(why, whylen, name, tname, dns_try_again);
        return DNS_RETRY;
    }
    if (res->bogus) {
        msg_warn("DNSSEC validation failed for name=%s type=%s: %s", name, tname,
                 res->why_bogus ? res->why_bogus : "bogus answer");
        dns_why(why, whylen, "DNSSEC validation failed for name=%s type=%s", name, tname);
        ub_resolve_free(res);
        return DNS_RETRY;
    }
    if (res->havedata || res->nxdomain || res->rcode == 0) {
        *res_r = res;
        return res->havedata ? DNS_OK : DNS_NOTFOUND;
    }
    dns_why_ns(why, whylen, name, tname, dns_try_again);
    ub_resolve_free(res);
    return DNS_RETRY;
}

/*
 * The target of a CNAME that ended an answer without data, into target
 * (DNS_HOST_MAX + 2) without its trailing dot; false if there is none.
 * A recursive resolver follows CNAMEs itself, but libunbound's answers
 * from local-data stop at the CNAME (the test and integration setups).
 */
static bool dns_cname_target(const struct ub_result *res, const char *name, char *target)
{
    size_t n, m = strlen(name);

    if (res->havedata || res->nxdomain || res->rcode != 0 || res->canonname == NULL)
        return false;
    n = strlen(res->canonname);
    if (n > 1 && res->canonname[n - 1] == '.')
        n--;
    if (m > 1 && name[m - 1] == '.')
        m--;
    if (n == 0 || n > DNS_HOST_MAX || (n == m && strncasecmp(res->canonname, name, n) == 0))
        return false;
    memcpy(target, res->canonname, n);
    target[n] = 0;
    return true;
}

/*
 * dns_query_one(), following CNAMEs that libunbound did not, at most
 * DNS_CNAME_HOPS of them (each wait bounded as always); the answer is
 * secure only when every link was.
 */
static int dns_query_rr(const char *name, int type, const char *tname, struct ub_result **res_r,
                        char *why, size_t whylen)
{
    char target[DNS_HOST_MAX + 2];
    bool secure = true;
    int hop, ret;

    for (hop = 0;; hop++) {
        ret = dns_query_one(name, type, tname, res_r, why, whylen);
        if (ret != DNS_NOTFOUND || !dns_cname_target(*res_r, name, target))
            break;
        secure = secure && (*res_r)->secure;
        ub_resolve_free(*res_r);
        if (hop == DNS_CNAME_HOPS) {
            msg_warn("DNS lookup of %s type=%s: more than %d CNAMEs", name, tname, DNS_CNAME_HOPS);
            dns_why_ns(why, whylen, name, tname, "CNAME chain too long");
            return DNS_RETRY;
        }
        name = target;
    }
    if (ret != DNS_RETRY && !secure)
        (*res_r)->secure = 0;
    return ret;
}

/* The cache key for name's records of tname, lower case; -1 if name cannot exist. */
static int dns_rr_key(const char *name, const char *tname, char *key, size_t len)
{
    size_t n = strlen(name);

    if (n == 0 || n > DNS_HOST_MAX || snprintf(key, len, "%s %s", tname, name) >= (int)len)
        return -1;
    str_lower(key);
    return 0;
}

/* Add mx to the list sorted by preference, keeping the DNS_MX_MAX best, once per host. */
static void dns_mx_insert(struct dns_mx *list, size_t *n, const struct dns_mx *mx)
{
    size_t i, j;

    for (i = 0; i < *n; i++) {
        if (strcmp(list[i].host, mx->host) != 0)
            continue;
        if (list[i].pref <= mx->pref)
            return;
        memmove(list + i, list + i + 1, (*n - i - 1) * sizeof(*list));
        (*n)--;
        break;
    }
    if (*n == DNS_MX_MAX) {
        if (list[*n - 1].pref <= mx->pref)
            return;
        (*n)--;
    }
    for (j = *n; j > 0 && list[j - 1].pref > mx->pref; j--)
        list[j] = list[j - 1];
    list[j] = *mx;
    (*n)++;
}

/*
 * The usable MX records of an answer into list (DNS_MX_MAX), sorted.  The
 * root as the only record stays (the null MX); a root among other records,
 * and every malformed record, is skipped with a warning.  DNS_OK, or
 * DNS_RETRY when no record was usable.
 */
static int dns_mx_collect(const char *domain, const struct ub_result *res, struct dns_mx *list,
                          size_t *n_r, char *why, size_t whylen)
{
    struct dns_mx mx;
    size_t n = 0;
    int i;

    for (i = 0; res->data[i] != NULL; i++) {
        if (res->len[i] < 0 || dns_mx_rdata_parse((const unsigned char *)res->data[i],
                                                  (size_t)res->len[i], &mx) != 0) {
            msg_warn("malformed host name in MX record for %s: record skipped", domain);
            continue;
        }
        if (mx.host[0] == 0 && (i > 0 || res->data[1] != NULL)) {
            msg_warn("null MX among other MX records for %s: record skipped", domain);
            continue;
        }
        dns_mx_insert(list, &n, &mx);
    }
    if ((*n_r = n) == 0) {
        dns_why_ns(why, whylen, domain, "MX", "Malformed or unexpected name server reply");
        return DNS_RETRY;
    }
    return DNS_OK;
}

/* The MX records of domain, sorted, from the cache or a query. */
static int dns_mx_fetch(const char *domain, struct dns_mx *list, size_t *n_r, bool *nxdomain_r,
                        bool *secure_r, char *why, size_t whylen)
{
    const struct dns_cached *cached;
    struct dns_cached *c;
    struct ub_result *res;
    char key[DNS_HOST_MAX + 8];
    int ret;

    *n_r = 0;
    *nxdomain_r = *secure_r = false;
    if (dns_rr_key(domain, "MX", key, sizeof(key)) != 0) {
        *nxdomain_r = true;
        return DNS_NOTFOUND;
    }
    if ((cached = dns_cache_get(key)) != NULL) {
        *n_r = cached->datalen / sizeof(*list);
        if (cached->datalen > 0)
            memcpy(list, cached->data, cached->datalen);
        *nxdomain_r = cached->nxdomain;
        *secure_r = cached->secure;
        return cached->status;
    }
    if ((ret = dns_query_rr(domain, DNS_TYPE_MX, "MX", &res, why, whylen)) == DNS_RETRY)
        return ret;
    *secure_r = res->secure != 0;
    *nxdomain_r = ret == DNS_NOTFOUND && res->nxdomain;
    if (ret == DNS_OK && (ret = dns_mx_collect(domain, res, list, n_r, why, whylen)) != DNS_OK) {
        ub_resolve_free(res);
        return ret;
    }
    if ((c = dns_cache_put(key, ret, ret == DNS_OK ? res->ttl : -1, NULL)) != NULL) {
        c->secure = *secure_r;
        c->nxdomain = *nxdomain_r;
        c->datalen = *n_r * sizeof(*list);
        c->data = c->datalen ? xmemdup(list, c->datalen) : NULL;
    }
    ub_resolve_free(res);
    return ret;
}

/* Shuffle each run of equal preference (RFC 5321 5.1: spread the load). */
static void dns_mx_shuffle(struct dns_mx *list, size_t n)
{
    struct dns_mx tmp;
    size_t lo, hi, i, j;

    for (lo = 0; lo < n; lo = hi) {
        for (hi = lo + 1; hi < n && list[hi].pref == list[lo].pref; hi++)
            ;
        for (i = hi - 1; i > lo; i--) {
            j = lo + arc4random_uniform((uint32_t)(i - lo + 1));
            tmp = list[i];
            list[i] = list[j];
            list[j] = tmp;
        }
    }
}

int dns_mx_lookup(const char *domain, struct dns_mx *mx, size_t max, size_t *n_r, bool *nxdomain_r,
                  bool *secure_r, char *why, size_t whylen)
{
    struct dns_mx list[DNS_MX_MAX];
    size_t n;
    int ret;

    *n_r = 0;
    ret = dns_mx_fetch(domain, list, &n, nxdomain_r, secure_r, why, whylen);
    if (ret == DNS_NOTFOUND)
        dns_why_ns(why, whylen, domain, "MX",
                   *nxdomain_r ? "Host not found"
                               : "Host found but no data record of requested type");
    if (ret != DNS_OK)
        return ret;
    if (n == 1 && list[0].host[0] == 0) {
        dns_why(why, whylen, "Domain %s does not accept mail (nullMX)", domain);
        return DNS_NULLMX;
    }
    dns_mx_shuffle(list, n);
    *n_r = n < max ? n : max;
    memcpy(mx, list, *n_r * sizeof(*mx));
    return *n_r > 0 ? DNS_OK : DNS_NOTFOUND;
}

/* The addresses of host in one family (AF_INET, AF_INET6), from the cache or a query. */
static int dns_addr_fetch(const char *host, int family, struct sockaddr_storage *list, size_t *n_r,
                          bool *secure_r, char *why, size_t whylen)
{
    const char *tname = family == AF_INET ? "A" : "AAAA", *text;
    const struct dns_cached *cached;
    struct dns_cached *c;
    struct ub_result *res;
    char key[DNS_HOST_MAX + 8];
    size_t n = 0;
    int i, ret;

    *n_r = 0;
    *secure_r = false;
    if (dns_rr_key(host, tname, key, sizeof(key)) != 0) {
        dns_why_ns(why, whylen, host, tname, "Host not found");
        return DNS_NOTFOUND;
    }
    if ((cached = dns_cache_get(key)) != NULL) {
        *n_r = cached->datalen / sizeof(*list);
        if (cached->datalen > 0)
            memcpy(list, cached->data, cached->datalen);
        *secure_r = cached->secure;
        if (cached->status != DNS_OK)
            dns_why_ns(why, whylen, host, tname, cached->text);
        return cached->status;
    }
    if ((ret = dns_query_rr(host, family == AF_INET ? DNS_TYPE_A : DNS_TYPE_AAAA, tname, &res, why,
                            whylen)) == DNS_RETRY)
        return ret;
    for (i = 0; ret == DNS_OK && res->data[i] != NULL && n < DNS_ADDR_MAX; i++)
        if (res->len[i] >= 0 && dns_addr_rdata_parse(family, (const unsigned char *)res->data[i],
                                                     (size_t)res->len[i], list + n) == 0)
            n++;
    if (ret == DNS_OK && n == 0) {
        msg_warn("malformed %s records for %s", tname, host);
        dns_why_ns(why, whylen, host, tname, "Malformed or unexpected name server reply");
        ub_resolve_free(res);
        return DNS_RETRY;
    }
    text = res->nxdomain ? "Host not found" : "No address associated with hostname";
    if (ret != DNS_OK)
        dns_why_ns(why, whylen, host, tname, text);
    if ((c = dns_cache_put(key, ret, ret == DNS_OK ? res->ttl : -1, text)) != NULL) {
        c->secure = res->secure != 0;
        c->nxdomain = res->nxdomain != 0;
        c->datalen = n * sizeof(*list);
        c->data = n ? xmemdup(list, c->datalen) : NULL;
    }
    *n_r = n;
    *secure_r = res->secure != 0;
    ub_resolve_free(res);
    return ret;
}

/* A numeric address literal, returned as itself; -1 when host is not one. */
static int dns_addr_literal(const char *host, int families, struct sockaddr_storage *addrs,
                            size_t max, size_t *n_r, char *why, size_t whylen, int *ret_r)
{
    unsigned char bin[16];
    int family;

    if (inet_pton(AF_INET, host, bin) == 1)
        family = AF_INET;
    else if (inet_pton(AF_INET6, host, bin) == 1)
        family = AF_INET6;
    else
        return -1;
    if (max == 0 || !(families & (family == AF_INET ? DNS_INET4 : DNS_INET6))) {
        dns_why(why, whylen, "Address %s is not of an address family in use", host);
        *ret_r = DNS_NOTFOUND;
        return 0;
    }
    if (dns_addr_rdata_parse(family, bin, family == AF_INET ? 4 : 16, addrs) != 0)
        msg_panic("dns_addr_literal: cannot store %s", host);
    *n_r = 1;
    *ret_r = DNS_OK;
    return 0;
}

/*
 * IPv4 first, then IPv6: predictable for the caller and for tests; a
 * client that wants the other order or a mix can reorder the list.
 */
int dns_addr_lookup(const char *host, int families, struct sockaddr_storage *addrs, size_t max,
                    size_t *n_r, bool *secure_r, char *why, size_t whylen)
{
    static const int fam[] = {AF_INET, AF_INET6}, flag[] = {DNS_INET4, DNS_INET6};
    struct sockaddr_storage list[DNS_ADDR_MAX];
    bool sec, secure = true, found = false, retry = false;
    size_t i, k, take;
    int ret;

    *n_r = 0;
    *secure_r = false;
    if (dns_addr_literal(host, families, addrs, max, n_r, why, whylen, &ret) == 0)
        return ret;
    dns_why_ns(why, whylen, host, "A", "No address family in use");
    for (i = 0; i < COUNTOF(fam); i++) {
        if (!(families & flag[i]))
            continue;
        ret = dns_addr_fetch(host, fam[i], list, &k, &sec, why, whylen);
        if (ret == DNS_RETRY) {
            retry = true;
            continue;
        }
        secure = secure && sec;
        found = found || ret == DNS_OK;
        take = k < max - *n_r ? k : max - *n_r;
        memcpy(addrs + *n_r, list, take * sizeof(*addrs));
        *n_r += take;
    }
    if (found && *n_r > 0) {
        *secure_r = secure;
        return DNS_OK;
    }
    return retry ? DNS_RETRY : DNS_NOTFOUND;
}
