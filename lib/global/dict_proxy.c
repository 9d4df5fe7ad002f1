/*
 * dict_proxy.c - the "proxy:" table kind: "proxy:hash:/etc/aliases" is
 * hash:/etc/aliases looked up by the proxymap service (proxy_client.h),
 * for a daemon that cannot see the file (chrooted) or should not hold it
 * open.  The name is the whole inner "type:name"; the service folds keys
 * as the inner kind does, so this side sends them as given.
 */
#include "sys_defs.h"
#include "dict.h"
#include "buf.h"
#include "mymalloc.h"
#include "proxy_client.h"

/* The value of the last hit, ours until the next lookup in this table. */
struct proxy_state {
    struct buf value;
};

static int proxy_open(struct dict *d, const char *name, char **error_r)
{
    const char *colon = strchr(name, ':');
    char type[32];
    struct proxy_state *ps;

    if (colon == NULL || colon == name || (size_t)(colon - name) >= sizeof(type)) {
        *error_r = xasprintf("expected \"proxy:type:name\"");
        return -1;
    }
    memcpy(type, name, (size_t)(colon - name));
    type[colon - name] = 0;
    if (strcmp(type, "proxy") == 0 || !dict_type_known(type)) {
        *error_r = xasprintf("unknown table type \"%s\" behind proxy:", type);
        return -1;
    }
    if (proxy_client_open(name, d->flags & ~DICT_FLAG_DIRECT, error_r) < 0)
        return -1;
    ps = xcalloc(1, sizeof(*ps));
    buf_init(&ps->value, DICT_VALUE_MAX + 1);
    d->state = ps;
    return 0;
}

static int proxy_lookup(struct dict *d, const char *key, const char **value_r, char **error_r)
{
    struct proxy_state *ps = d->state;
    const char *v;
    int r = proxy_client_lookup(d->name, d->flags & ~DICT_FLAG_DIRECT, key, &v, error_r);

    if (r == 1) {
        buf_reset(&ps->value);
        (void)buf_puts(&ps->value, v); /* the reply held at most DICT_VALUE_MAX */
        *value_r = buf_str(&ps->value);
    }
    return r;
}

static void proxy_close(struct dict *d)
{
    struct proxy_state *ps = d->state;

    buf_free(&ps->value);
    free(ps);
    d->state = NULL;
}

/* No file of its own: proxymap notices when the inner table's is replaced. */
const struct dict_ops dict_proxy_ops = {"proxy", true, proxy_open, proxy_lookup, proxy_close, NULL};
