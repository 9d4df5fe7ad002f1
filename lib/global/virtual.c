/*
 * virtual.c - virtual alias expansion and virtual mailbox lookups (see
 * virtual.h).
 *
 * Expansion follows Postfix's cleanup: look the address up (user@domain,
 * the local forms for our own domains, @domain); an address that is found
 * is replaced by what the table says, each of those is looked up in turn,
 * and an address that is not found, or that maps to itself, is final.
 * Results are unique; recursion and the total are bounded so that a table
 * with a loop, or a list of lists, cannot make a queue file of millions.
 */
#include "sys_defs.h"
#include "virtual.h"
#include "alias_list.h"
#include "htable.h"
#include "maps.h"
#include "mail_params.h"
#include "mymalloc.h"
#include "resolve.h"
#include "strutil.h"

static struct maps *virtual_aliases, *virtual_mailboxes, *virtual_uids, *virtual_gids;

/*
 * The key that makes two addresses the same one: the domain folded, the
 * local part kept (RFC 5321 lets its case matter; smtpd keeps John@ and
 * john@ of a relay domain apart, and so must expansion).
 */
static void same_key(char *key, size_t len, const char *address)
{
    char *at;

    str_copy(key, address, len);
    if ((at = strrchr(key, '@')) != NULL)
        str_lower(at);
}

int virtual_init(char **error_r)
{
    maps_free(virtual_aliases);
    maps_free(virtual_mailboxes);
    maps_free(virtual_uids);
    maps_free(virtual_gids);
    virtual_aliases = virtual_mailboxes = virtual_uids = virtual_gids = NULL;
    if (maps_open("virtual_alias_maps", var_virtual_alias_maps, &virtual_aliases, error_r) < 0 ||
        maps_open("virtual_mailbox_maps", var_virtual_mailbox_maps, &virtual_mailboxes, error_r) <
            0 ||
        maps_open("virtual_uid_maps", var_virtual_uid_maps, &virtual_uids, error_r) < 0 ||
        maps_open("virtual_gid_maps", var_virtual_gid_maps, &virtual_gids, error_r) < 0)
        return -1;
    if (!maps_empty(virtual_mailboxes) && var_virtual_mailbox_base[0] != '/') {
        *error_r = xstrdup("virtual_mailbox_base: must be an absolute path when "
                           "virtual_mailbox_maps is set");
        return -1;
    }
    return 0;
}

/* The local forms (user, user+ext) are tried only for our own domains. */
static bool virtual_local_forms(const struct mail_addr *a)
{
    return a->domain[0] == 0 || resolve_local_domain(a->domain);
}

int virtual_alias_known(const struct mail_addr *a, char **error_r)
{
    const char *v;

    return maps_find_addr(virtual_aliases, a, virtual_local_forms(a), &v, error_r);
}

struct expand {
    virtual_fn fn;
    void *ctx;
    struct htable seen; /* every address met, to expand each once */
    char **out;         /* final addresses, in order */
    size_t nout, cap;
    char *error;
};

static int expand_out(struct expand *e, const char *address)
{
    if ((long long)e->nout >= var_virtual_alias_expansion_limit) {
        e->error = xasprintf("virtual alias expansion yields more than %lld addresses",
                             var_virtual_alias_expansion_limit);
        return -1;
    }
    if (e->nout == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 8;
        e->out = xreallocarray(e->out, e->cap, sizeof(*e->out));
    }
    e->out[e->nout++] = xstrdup(address);
    return 0;
}

static int expand_one(struct expand *e, const char *address, long long depth);

/* The addresses an alias value names, each expanded in turn. */
static int expand_value(struct expand *e, const char *address, const char *value, long long depth)
{
    struct alias_list l;
    const char *why;
    char text[MAIL_ADDR_TEXT_MAX + 1];
    size_t i;
    int ret = 0;

    if (alias_list_parse(value, strlen(value), &l, &why) < 0) {
        e->error = xasprintf("virtual_alias_maps: bad value for %s: %s", address, why);
        return -1;
    }
    if (l.n == 0) {
        alias_list_free(&l);
        e->error = xasprintf("virtual_alias_maps: %s: no addresses", address);
        return -1;
    }
    for (i = 0; i < l.n && ret == 0; i++) {
        if (l.items[i].type != ALIAS_ITEM_ADDRESS || l.items[i].addr.domain[0] == 0) {
            /* Only whole addresses here: files, commands and bare names are local(8)'s. */
            e->error = xasprintf("virtual_alias_maps: %s: \"%s\" is not an address", address,
                                 l.items[i].text);
            ret = -1;
            break;
        }
        mail_addr_internal(&l.items[i].addr, text, sizeof(text));
        /* An address that maps to itself is a mailbox too (Postfix's way to keep one). */
        if (str_eq_nocase(text, address)) {
            ret = expand_out(e, text);
            continue;
        }
        ret = expand_one(e, text, depth + 1);
    }
    alias_list_free(&l);
    return ret;
}

static int expand_one(struct expand *e, const char *address, long long depth)
{
    char key[MAIL_ADDR_TEXT_MAX + 1];
    struct mail_addr a;
    const char *value;
    char *err = NULL;
    int r;

    same_key(key, sizeof(key), address);
    if (htable_find(&e->seen, key) != NULL)
        return 0;
    htable_enter(&e->seen, key, (void *)1);
    if (depth > var_virtual_alias_recursion_limit) {
        e->error = xasprintf("virtual alias expansion is nested more than %lld deep at %s",
                             var_virtual_alias_recursion_limit, address);
        return -1;
    }
    if (mail_addr_from_internal(address, &a) < 0) {
        e->error = xasprintf("bad address \"%s\"", address);
        return -1;
    }
    r = maps_find_addr(virtual_aliases, &a, virtual_local_forms(&a), &value, &err);
    if (r < 0) {
        e->error = err;
        return -1;
    }
    if (r == 0)
        return expand_out(e, address);
    value = xstrdup(value); /* the next lookup reuses the table's buffer */
    r = expand_value(e, address, value, depth);
    free((char *)value);
    return r;
}

int virtual_expand(const char *address, virtual_fn fn, void *ctx, char **error_r)
{
    struct expand e = {.fn = fn, .ctx = ctx};
    size_t i;
    int ret;

    if (maps_empty(virtual_aliases)) { /* most sites: nothing to look up */
        fn(address, address, ctx);
        return 1;
    }
    htable_init(&e.seen, 16);
    ret = expand_one(&e, address, 0);
    if (ret == 0 && e.nout == 0) { /* lists that only name each other */
        e.error = xasprintf("virtual alias loop at %s", address);
        ret = -1;
    }
    if (ret == 0)
        for (i = 0; i < e.nout; i++)
            fn(e.out[i], address, ctx);
    for (i = 0; i < e.nout; i++)
        free(e.out[i]);
    free(e.out);
    htable_free(&e.seen);
    if (ret < 0) {
        *error_r = e.error;
        return -1;
    }
    return (int)e.nout;
}

/* The recipients of one message ------------------------------------------- */

static void rcpts_one(const char *address, const char *orig, void *ctx)
{
    struct virtual_rcpts *v = ctx;
    char key[MAIL_ADDR_TEXT_MAX + 1];

    same_key(key, sizeof(key), address);
    if (htable_find(&v->seen, key) != NULL)
        return; /* two lists with one member: one copy */
    htable_enter(&v->seen, key, (void *)1);
    v->fn(address, orig, v->ctx);
}

void virtual_rcpts_init(struct virtual_rcpts *v, virtual_fn fn, void *ctx)
{
    v->fn = fn;
    v->ctx = ctx;
    htable_init(&v->seen, 16);
}

int virtual_rcpts_add(struct virtual_rcpts *v, const char *address, char **error_r)
{
    return virtual_expand(address, rcpts_one, v, error_r) < 0 ? -1 : 0;
}

void virtual_rcpts_free(struct virtual_rcpts *v)
{
    htable_free(&v->seen);
}

/* Mailboxes ----------------------------------------------------------------- */

int virtual_parse_size(const char *text, long long *bytes_r)
{
    char *end;
    long long v, mul = 1;

    if (!isdigit((unsigned char)*text))
        return -1;
    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno)
        return -1;
    if (*end == 'K' || *end == 'k')
        mul = 1024;
    else if (*end == 'M' || *end == 'm')
        mul = 1024 * 1024;
    else if (*end == 'G' || *end == 'g')
        mul = 1024LL * 1024 * 1024;
    else if (*end != 0)
        return -1;
    if (mul > 1 && end[1] != 0)
        return -1;
    if (v > LLONG_MAX / mul)
        return -1;
    *bytes_r = v * mul;
    return 0;
}

int virtual_mailbox_parse(const char *value, struct virtual_mailbox *mb, char **error_r)
{
    size_t n = strcspn(value, " \t");
    const char *opt = value + n;

    if (n == 0 || value[0] == '/' || strstr(value, "..") != NULL) {
        *error_r = xasprintf("virtual_mailbox_maps: \"%s\": expected a path under "
                             "virtual_mailbox_base",
                             value);
        return -1;
    }
    mb->maildir = value[n - 1] == '/';
    while (n > 0 && value[n - 1] == '/')
        n--; /* the path is the directory's, without the Maildir mark */
    if (n == 0 || (size_t)snprintf(mb->path, sizeof(mb->path), "%s/%.*s", var_virtual_mailbox_base,
                                   (int)n, value) >= sizeof(mb->path)) {
        *error_r = xasprintf("virtual_mailbox_maps: \"%s\": bad mailbox path", value);
        return -1;
    }
    mb->quota = var_virtual_mailbox_quota;
    while (*opt == ' ' || *opt == '\t')
        opt++;
    if (*opt && (strncmp(opt, "quota=", 6) != 0 || virtual_parse_size(opt + 6, &mb->quota) < 0)) {
        *error_r = xasprintf("virtual_mailbox_maps: \"%s\": expected \"quota=SIZE\"", opt);
        return -1;
    }
    return 0;
}

/* A uid or gid from its table: a number, at least the minimum for uids. */
static int mailbox_id(struct maps *m, const char *param, const struct mail_addr *a, long long min,
                      long long *id_r, char **error_r)
{
    const char *v;
    int r = maps_find_addr(m, a, false, &v, error_r);

    if (r < 0)
        return -1;
    if (r == 0 || str_to_ll(v, min, 0x7fffffff, id_r) < 0) {
        *error_r = r == 0 ? xasprintf("%s: no entry for %s@%s", param, a->local, a->domain)
                          : xasprintf("%s: \"%s\" is not an id of %lld or more", param, v, min);
        return -1;
    }
    return 0;
}

int virtual_mailbox_find(const struct mail_addr *a, struct virtual_mailbox *mb, char **error_r)
{
    const char *value;
    long long uid, gid;
    int r;

    memset(mb, 0, sizeof(*mb));
    if ((r = maps_find_addr(virtual_mailboxes, a, false, &value, error_r)) <= 0)
        return r;
    if (virtual_mailbox_parse(value, mb, error_r) < 0 ||
        mailbox_id(virtual_uids, "virtual_uid_maps", a, var_virtual_minimum_uid, &uid, error_r) <
            0 ||
        mailbox_id(virtual_gids, "virtual_gid_maps", a, 1, &gid, error_r) < 0)
        return -1;
    mb->uid = (uid_t)uid;
    mb->gid = (gid_t)gid;
    return 1;
}
