/*
 * dict.c - opening tables by name, key folding, and noticing replaced
 * files (see dict.h).  Each kind of table is one file, dict_<type>.c, with a
 * struct dict_ops; this file only knows their names.
 */
#include "sys_defs.h"
#include "dict.h"
#include "mymalloc.h"
#include "msg.h"

extern const struct dict_ops dict_hash_ops, dict_btree_ops, dict_texthash_ops, dict_static_ops,
    dict_inline_ops, dict_regexp_ops, dict_pcre_ops;

static const struct dict_ops *const dict_kinds[] = {
    &dict_hash_ops,   &dict_btree_ops,  &dict_texthash_ops, &dict_static_ops,
    &dict_inline_ops, &dict_regexp_ops, &dict_pcre_ops,
};

/*
 * The "proxy" kind (lib/global/dict_proxy.c: it needs the daemons'
 * protocol, which this layer does not know) and whether every table kept
 * in a file goes through it.
 */
static const struct dict_ops *dict_proxy_kind;
static bool dict_proxy_all;

void dict_register_proxy(const struct dict_ops *proxy)
{
    dict_proxy_kind = proxy;
}

void dict_proxy_files(const struct dict_ops *proxy)
{
    dict_proxy_kind = proxy;
    dict_proxy_all = true;
}

/* A replaced file is looked for at most this often. */
#define DICT_CHECK_MS 1000

static long long dict_now_ms(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct dict_ops *dict_kind(const char *type, size_t len)
{
    size_t i;

    for (i = 0; i < COUNTOF(dict_kinds); i++)
        if (strlen(dict_kinds[i]->type) == len && strncmp(dict_kinds[i]->type, type, len) == 0)
            return dict_kinds[i];
    if (dict_proxy_kind && strlen(dict_proxy_kind->type) == len &&
        strncmp(dict_proxy_kind->type, type, len) == 0)
        return dict_proxy_kind;
    return NULL;
}

bool dict_type_known(const char *type)
{
    return dict_kind(type, strlen(type)) != NULL;
}

char *dict_db_path(const char *name)
{
    return xasprintf("%s.db", name);
}

/* Remember what the table's file is now, to notice when it is replaced. */
static void dict_stamp(struct dict *d)
{
    const char *file = d->ops->file ? d->ops->file(d) : NULL;

    memset(&d->stamp, 0, sizeof(d->stamp));
    if (file)
        (void)stat(file, &d->stamp);
    d->checked_ms = dict_now_ms();
}

int dict_open(const char *spec, int flags, struct dict **d_r, char **error_r)
{
    const char *colon = strchr(spec, ':');
    const struct dict_ops *ops;
    struct dict *d;
    char *why = NULL;

    if (colon == NULL || colon == spec) {
        *error_r = xasprintf("%s: expected \"type:name\"", spec);
        return -1;
    }
    if ((ops = dict_kind(spec, (size_t)(colon - spec))) == NULL) {
        *error_r = xasprintf("%s: unknown table type \"%.*s\"", spec, (int)(colon - spec), spec);
        return -1;
    }
    d = xcalloc(1, sizeof(*d));
    d->ops = ops;
    d->spec = xstrdup(spec);
    d->name = xstrdup(colon + 1);
    /* A file outside a chroot: the proxy opens the whole "type:name" for us. */
    if (dict_proxy_all && ops->file && !(flags & DICT_FLAG_DIRECT)) {
        d->ops = ops = dict_proxy_kind;
        free(d->name);
        d->name = xstrdup(spec);
    }
    d->flags = flags;
    if (ops->open(d, d->name, &why) < 0) {
        *error_r = xasprintf("%s: %s", spec, why);
        free(why);
        dict_close(d);
        return -1;
    }
    dict_stamp(d);
    *d_r = d;
    return 0;
}

/*
 * If the table's file was replaced, open the new one in its place.  A new
 * file that cannot be opened (half-written by hand, say) is logged and the
 * old contents go on answering: a lookup never fails for a rebuild.
 */
static void dict_refresh(struct dict *d)
{
    const char *file = d->ops->file ? d->ops->file(d) : NULL;
    struct dict fresh;
    struct stat st;
    char *why = NULL;

    if (file == NULL || dict_now_ms() - d->checked_ms < DICT_CHECK_MS)
        return;
    d->checked_ms = dict_now_ms();
    if (stat(file, &st) < 0 ||
        (st.st_ino == d->stamp.st_ino && st.st_dev == d->stamp.st_dev &&
         st.st_mtim.tv_sec == d->stamp.st_mtim.tv_sec &&
         st.st_mtim.tv_nsec == d->stamp.st_mtim.tv_nsec && st.st_size == d->stamp.st_size))
        return;
    fresh = *d;
    fresh.state = NULL;
    if (d->ops->open(&fresh, d->name, &why) < 0) {
        msg_warn("%s: changed, but cannot be reopened: %s; using the old contents", d->spec, why);
        free(why);
        d->stamp = st; /* do not retry until it changes again */
        return;
    }
    d->ops->close(d);
    d->state = fresh.state;
    dict_stamp(d);
}

int dict_lookup(struct dict *d, const char *key, const char **value_r, char **error_r)
{
    size_t len = strlen(key), i;

    if (len > DICT_KEY_MAX)
        return 0; /* nothing that long was ever stored */
    for (i = 0; i < len; i++)
        d->key[i] =
            (char)((d->flags & DICT_FLAG_FOLD) && !d->ops->keeps_case ? ASCII_TOLOWER(key[i])
                                                                      : key[i]);
    d->key[len] = 0;
    dict_refresh(d);
    return d->ops->lookup(d, d->key, value_r, error_r);
}

int dict_owner(const struct dict *d, uid_t *uid_r)
{
    if (d->ops->file == NULL || d->stamp.st_ino == 0)
        return -1;
    *uid_r = d->stamp.st_uid;
    return 0;
}

void dict_close(struct dict *d)
{
    if (d == NULL)
        return;
    if (d->state)
        d->ops->close(d);
    free(d->spec);
    free(d->name);
    free(d);
}
