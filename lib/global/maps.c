/*
 * maps.c - lists of lookup tables and address lookups (see maps.h).
 */
#include "sys_defs.h"
#include "maps.h"
#include "dict.h"
#include "mail_params.h"
#include "mymalloc.h"
#include "strutil.h"

struct maps {
    char *title;
    struct dict **dicts;
    size_t n;
    const struct dict *last; /* the table of the last hit */
};

int maps_open(const char *title, const char *list, struct maps **m_r, char **error_r)
{
    struct maps *m = xcalloc(1, sizeof(*m));
    char **specs = str_split_list(list, &m->n);
    char *why;
    size_t i;

    m->title = xstrdup(title);
    m->dicts = xcalloc(m->n ? m->n : 1, sizeof(*m->dicts));
    for (i = 0; i < m->n; i++) {
        if (dict_open(specs[i], DICT_FLAG_FOLD, m->dicts + i, &why) < 0) {
            *error_r = xasprintf("%s: %s", title, why);
            free(why);
            m->n = i;
            maps_free(m);
            str_list_free(specs);
            return -1;
        }
    }
    str_list_free(specs);
    *m_r = m;
    return 0;
}

void maps_free(struct maps *m)
{
    size_t i;

    if (m == NULL)
        return;
    for (i = 0; i < m->n; i++)
        dict_close(m->dicts[i]);
    free(m->dicts);
    free(m->title);
    free(m);
}

bool maps_empty(const struct maps *m)
{
    return m->n == 0;
}

int maps_find(struct maps *m, const char *key, const char **value_r, char **error_r)
{
    size_t i;

    for (i = 0; i < m->n; i++) {
        char *why = NULL;
        int r = dict_lookup(m->dicts[i], key, value_r, &why);

        if (r < 0) {
            *error_r = xasprintf("%s: %s", m->title, why);
            free(why);
            return -1;
        }
        if (r > 0) {
            m->last = m->dicts[i];
            return 1;
        }
    }
    return 0;
}

int maps_last_owner(const struct maps *m, uid_t *uid_r)
{
    return m->last ? dict_owner(m->last, uid_r) : -1;
}

/* Where the extension starts in local (at the first delimiter), or NULL. */
static const char *maps_extension(const char *local)
{
    size_t n;

    if (*var_recipient_delimiter == 0)
        return NULL;
    n = strcspn(local, var_recipient_delimiter);
    return local[n] && n > 0 ? local + n : NULL;
}

int maps_find_addr(struct maps *m, const struct mail_addr *a, bool local_forms,
                   const char **value_r, char **error_r)
{
    const char *ext = maps_extension(a->local);
    size_t base = ext ? (size_t)(ext - a->local) : strlen(a->local);
    char key[MAIL_ADDR_TEXT_MAX + 2];
    int r;

    if (a->null)
        return 0;
    if (a->domain[0]) {
        snprintf(key, sizeof(key), "%s@%s", a->local, a->domain);
        if ((r = maps_find(m, key, value_r, error_r)) != 0)
            return r;
        if (ext) {
            snprintf(key, sizeof(key), "%.*s@%s", (int)base, a->local, a->domain);
            if ((r = maps_find(m, key, value_r, error_r)) != 0)
                return r;
        }
    }
    if (local_forms || a->domain[0] == 0) {
        if ((r = maps_find(m, a->local, value_r, error_r)) != 0)
            return r;
        if (ext) {
            snprintf(key, sizeof(key), "%.*s", (int)base, a->local);
            if ((r = maps_find(m, key, value_r, error_r)) != 0)
                return r;
        }
    }
    if (a->domain[0]) {
        snprintf(key, sizeof(key), "@%s", a->domain);
        return maps_find(m, key, value_r, error_r);
    }
    return 0;
}

int maps_find_local(struct maps *m, const char *local, const char **value_r, char **error_r)
{
    const char *ext = maps_extension(local);
    char key[MAIL_ADDR_LOCAL_MAX + 1];
    int r;

    if ((r = maps_find(m, local, value_r, error_r)) != 0 || ext == NULL)
        return r;
    snprintf(key, sizeof(key), "%.*s", (int)(ext - local), local);
    return maps_find(m, key, value_r, error_r);
}
