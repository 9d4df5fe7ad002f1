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

static void dns_cache_put(const char *key, int status, int ttl, const char *text)
{
    struct dns_cached *c;

    if (status != DNS_OK && status != DNS_NOTFOUND)
        return;
    if (dns_cache.buckets == NULL)
        htable_init(&dns_cache, 64);
    if ((c = htable_find(&dns_cache, key)) != NULL)
        dns_cache_drop(c);
    if (ttl == 0)
        return; /* the zone says: do not keep this */
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
