/*
 * restrict_access.c - check_client_access, check_helo_access,
 * check_sender_access and check_recipient_access: access(5) tables.
 *
 * Keys are tried from the most to the least specific, in Postfix's order:
 *   client:  its verified name and each parent domain, then its address
 *            and each shorter prefix (192.0.2.7, 192.0.2, 192.0, 192);
 *   helo:    the name and each parent domain;
 *   address: user+ext@domain, user@domain, domain and each parent domain,
 *            user+ext@, user@; the null sender is smtpd_null_access_lookup_key.
 * Parent domains are "example.com" when parent_domain_matches_subdomains
 * names smtpd_access_maps (the default), else ".example.com".  The first
 * key found decides, DUNNO included (it stops the search as if the table
 * had no entry at all).  Values come from the administrator's table but go
 * out on the wire: their text is made printable before it is sent.
 */
#include "sys_defs.h"
#include "restrict_eval.h"
#include "mail_params.h"
#include "msg.h"
#include "mymalloc.h"
#include "strutil.h"

#define ACCESS_KEY_MAX (MAIL_ADDR_TEXT_MAX + 2)

struct access_search {
    struct restrict_ctx *c;
    const struct restrict_item *item;
    enum restrict_stage what;
    char *reply;
    size_t len;
    bool done;                /* a key was found */
    enum restrict_result res; /* its verdict */
};

static bool access_parent_style(void)
{
    char **words;
    size_t n, i;
    bool yes = false;

    words = str_split_list(var_parent_domain_matches_subdomains, &n);
    for (i = 0; i < n; i++)
        yes |= strcmp(words[i], "smtpd_access_maps") == 0;
    str_list_free(words);
    return yes;
}

/* "NNN text" or "NNN D.D.D text": the reply the table asked for. */
static enum restrict_result access_code(struct access_search *s, const char *v, const char *obj)
{
    char dsn[16], text[256], *p;
    int code = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
    const char *t = v + 3;

    while (*t == ' ' || *t == '\t')
        t++;
    snprintf(dsn, sizeof(dsn), "%c.7.1", v[0]);
    /* An enhanced code of its own, of the same class. */
    if (t[0] == v[0] && t[1] == '.' && isdigit((unsigned char)t[2])) {
        size_t n = strcspn(t, " \t");

        if (n < sizeof(dsn)) {
            memcpy(dsn, t, n);
            dsn[n] = 0;
            t += n;
            while (*t == ' ' || *t == '\t')
                t++;
        }
    }
    snprintf(text, sizeof(text), "%s: %s", restrict_label(s->what), *t ? t : "Access denied");
    for (p = text; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = '?';
    return restrict_refuse(s->c, s->reply, s->len, code, dsn, obj, text);
}

/* A table's value as a verdict. */
static enum restrict_result access_action(struct access_search *s, const char *v)
{
    char obj[MAIL_ADDR_TEXT_MAX * 2 + 16], buf[300];
    size_t w = strcspn(v, " \t");
    const char *rest = v + w + strspn(v + w, " \t");

    restrict_object(s->c, s->what, obj, sizeof(obj));
    if ((w == 2 && strncasecmp(v, "OK", 2) == 0) || (w == 6 && strncasecmp(v, "PERMIT", 6) == 0))
        return RESTRICT_OK;
    if (w == 5 && strncasecmp(v, "DUNNO", 5) == 0)
        return RESTRICT_DUNNO;
    if (w == 6 && strncasecmp(v, "REJECT", 6) == 0) {
        snprintf(buf, sizeof(buf), "%lld %s", var_access_map_reject_code, rest);
        return access_code(s, buf, obj);
    }
    if (w == 5 && strncasecmp(v, "DEFER", 5) == 0) {
        snprintf(buf, sizeof(buf), "%lld %s", var_access_map_defer_code, rest);
        return access_code(s, buf, obj);
    }
    if (w == 3 && (v[0] == '4' || v[0] == '5') && isdigit((unsigned char)v[1]) &&
        isdigit((unsigned char)v[2]))
        return access_code(s, v, obj);
    /* The site's mistake, not the client's: defer, and say where. */
    msg_warn("%s: %s: unknown action \"%.100s\"", restrict_kind_name(s->item->kind), s->item->arg,
             v);
    snprintf(s->reply, s->len, "451 4.3.5 %s: Server configuration error", obj);
    return RESTRICT_REFUSED;
}

/* Look key up; true when the search is over (found, or the table failed). */
static bool access_try(struct access_search *s, const char *key)
{
    const char *v;
    char *err = NULL;
    int r;

    if (s->done || key[0] == 0)
        return s->done;
    if ((r = maps_find(s->item->table, key, &v, &err)) == 0)
        return false;
    s->done = true;
    if (r < 0) {
        char obj[MAIL_ADDR_TEXT_MAX * 2 + 16];

        msg_warn("%s", err);
        free(err);
        restrict_object(s->c, s->what, obj, sizeof(obj));
        snprintf(s->reply, s->len, "451 4.3.0 %s: Temporary lookup failure", obj);
        s->res = RESTRICT_REFUSED;
        return true;
    }
    s->res = access_action(s, v);
    return true;
}

/* The domain and each parent domain, in the configured style. */
static bool access_domain(struct access_search *s, const char *domain)
{
    char key[ACCESS_KEY_MAX];
    const char *d = domain;
    bool plain = access_parent_style();

    if (access_try(s, domain))
        return true;
    while ((d = strchr(d, '.')) != NULL) {
        snprintf(key, sizeof(key), "%s", plain ? d + 1 : d);
        d++;
        if (key[0] && access_try(s, key))
            return true;
    }
    return false;
}

/* The address and its shorter prefixes at '.' (IPv4) or ':' (IPv6). */
static void access_addr(struct access_search *s, const char *addr)
{
    char key[64];
    char sep = strchr(addr, ':') ? ':' : '.';
    char *p;

    str_copy(key, addr, sizeof(key));
    while (key[0] && !access_try(s, key)) {
        if ((p = strrchr(key, sep)) == NULL)
            break;
        while (p > key && p[-1] == sep)
            p--;
        *p = 0;
    }
}

/* user+ext@domain, user@domain, the domains, user+ext@, user@. */
static void access_mail_addr(struct access_search *s, const struct mail_addr *a)
{
    char key[ACCESS_KEY_MAX], base[MAIL_ADDR_LOCAL_MAX + 1];
    size_t n =
        *var_recipient_delimiter ? strcspn(a->local, var_recipient_delimiter) : strlen(a->local);

    if (a->null) {
        (void)access_try(s, var_smtpd_null_access_lookup_key);
        return;
    }
    str_copy(base, a->local, sizeof(base));
    base[n] = 0;
    if (a->domain[0]) {
        snprintf(key, sizeof(key), "%s@%s", a->local, a->domain);
        if (access_try(s, key))
            return;
        snprintf(key, sizeof(key), "%s@%s", base, a->domain);
        if (strcmp(base, a->local) != 0 && access_try(s, key))
            return;
        if (access_domain(s, a->domain))
            return;
    }
    snprintf(key, sizeof(key), "%s@", a->local);
    if (access_try(s, key))
        return;
    snprintf(key, sizeof(key), "%s@", base);
    if (strcmp(base, a->local) != 0)
        (void)access_try(s, key);
}

enum restrict_result restrict_access(struct restrict_ctx *c, const struct restrict_item *item,
                                     enum restrict_which w, char *reply, size_t len)
{
    struct access_search s = {c, item, RESTRICT_STAGE_CLIENT, reply, len, false, RESTRICT_DUNNO};

    (void)w;
    if (item->table == NULL)
        msg_panic("restrict_access: %s: table not open", item->arg);
    switch (item->kind) {
    case RESTRICT_CHECK_CLIENT_ACCESS:
        if (strcmp(c->client_name, "unknown") == 0 || !access_domain(&s, c->client_name))
            access_addr(&s, c->client_addr);
        break;
    case RESTRICT_CHECK_HELO_ACCESS:
        s.what = RESTRICT_STAGE_HELO;
        if (c->helo && c->helo[0])
            (void)access_domain(&s, c->helo);
        break;
    case RESTRICT_CHECK_SENDER_ACCESS:
        s.what = RESTRICT_STAGE_SENDER;
        if (c->sender)
            access_mail_addr(&s, c->sender);
        break;
    case RESTRICT_CHECK_RECIPIENT_ACCESS:
        s.what = RESTRICT_STAGE_RECIPIENT;
        if (c->rcpt)
            access_mail_addr(&s, c->rcpt);
        break;
    default:
        msg_panic("restrict_access: kind %d", (int)item->kind);
    }
    return s.res;
}
