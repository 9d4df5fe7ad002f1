/*
 * domain_list.c - Postfix-style domain lists (see domain_list.h).
 */
#include "sys_defs.h"
#include "domain_list.h"
#include "conf.h"
#include "dict.h"
#include "mymalloc.h"
#include "strutil.h"

#define DOMAIN_LIST_FILE_DEPTH 5 /* /file naming /file naming ... */

struct domain_elem {
    bool negate;
    char *name;        /* lower case; ".x" for subdomains only; NULL for a table */
    struct dict *dict; /* a table */
};

struct domain_list {
    char *param;
    bool parent;
    struct domain_elem *elems;
    size_t n, cap;
};

static int list_add_words(struct domain_list *l, const char *text, int depth, char **error_r);

static struct domain_elem *list_new_elem(struct domain_list *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->elems = xreallocarray(l->elems, l->cap, sizeof(*l->elems));
    }
    memset(l->elems + l->n, 0, sizeof(*l->elems));
    return l->elems + l->n++;
}

/* One logical line of a /file: its words are elements. */
struct list_file {
    struct domain_list *l;
    int depth;
    char *error;
};

static int list_file_line(const unsigned char *line, size_t len, int lineno UNUSED, void *ctx)
{
    struct list_file *f = ctx;
    char *text = xstrndup((const char *)line, len);
    int ret = list_add_words(f->l, text, f->depth, &f->error);

    free(text);
    return ret;
}

static int list_add_file(struct domain_list *l, const char *path, int depth, char **error_r)
{
    struct list_file f = {l, depth + 1, NULL};
    unsigned char *text;
    const char *why = NULL;
    size_t len;
    int ret;

    if (depth >= DOMAIN_LIST_FILE_DEPTH) {
        *error_r = xasprintf("%s: %s: files nested too deeply", l->param, path);
        return -1;
    }
    if (conf_slurp(path, &text, &len, &why) < 0) {
        *error_r = xasprintf("%s: open %s: %s", l->param, path, why);
        return -1;
    }
    ret = conf_logical_lines(text, len, list_file_line, &f, &why);
    free(text);
    if (ret != 0) {
        *error_r = f.error ? f.error : xasprintf("%s: %s: %s", l->param, path, why);
        return -1;
    }
    return 0;
}

static int list_add_elem(struct domain_list *l, const char *word, int depth, char **error_r)
{
    bool negate = false;
    struct domain_elem *e;
    char *why = NULL;

    while (*word == '!') {
        negate = !negate;
        word++;
    }
    if (*word == 0) {
        *error_r = xasprintf("%s: \"!\" without a domain", l->param);
        return -1;
    }
    if (*word == '/' && !negate)
        return list_add_file(l, word, depth, error_r);
    e = list_new_elem(l);
    e->negate = negate;
    if (strchr(word, ':') == NULL) {
        e->name = xstrdup(word);
        str_lower(e->name);
        return 0;
    }
    if (dict_open(word, DICT_FLAG_FOLD, &e->dict, &why) < 0) {
        *error_r = xasprintf("%s: %s", l->param, why);
        free(why);
        l->n--;
        return -1;
    }
    return 0;
}

static int list_add_words(struct domain_list *l, const char *text, int depth, char **error_r)
{
    char **words = str_split_list(text, NULL), **w;
    int ret = 0;

    for (w = words; *w && ret == 0; w++)
        ret = list_add_elem(l, *w, depth, error_r);
    str_list_free(words);
    return ret;
}

int domain_list_init(const char *param, const char *value, bool parent, struct domain_list **l_r,
                     char **error_r)
{
    struct domain_list *l = xcalloc(1, sizeof(*l));

    l->param = xstrdup(param);
    l->parent = parent;
    if (list_add_words(l, value, 0, error_r) < 0) {
        domain_list_free(l);
        return -1;
    }
    *l_r = l;
    return 0;
}

/* Does the name element match?  Case is already folded on both sides. */
static bool elem_name_match(const struct domain_list *l, const char *name, const char *domain)
{
    size_t dlen = strlen(domain), nlen = strlen(name);

    if (name[0] == '.') /* subdomains only */
        return dlen > nlen && strcmp(domain + dlen - nlen, name) == 0;
    if (strcmp(domain, name) == 0)
        return true;
    return l->parent && dlen > nlen && domain[dlen - nlen - 1] == '.' &&
           strcmp(domain + dlen - nlen, name) == 0;
}

/* A table element: the domain, then its parents ("x.y" or ".x.y" keys). */
static int elem_table_match(const struct domain_list *l, struct domain_elem *e, const char *domain,
                            char **error_r)
{
    const char *p, *v;
    char key[DICT_KEY_MAX + 2];
    char *why = NULL;
    int r;

    for (p = domain; p; p = strchr(p + 1, '.')) {
        if (p == domain)
            snprintf(key, sizeof(key), "%s", domain);
        else
            snprintf(key, sizeof(key), "%s", l->parent ? p + 1 : p);
        if ((r = dict_lookup(e->dict, key, &v, &why)) != 0) {
            if (r < 0) {
                *error_r = xasprintf("%s: %s", l->param, why);
                free(why);
            }
            return r;
        }
    }
    return 0;
}

int domain_list_match(struct domain_list *l, const char *domain, char **error_r)
{
    char folded[DICT_KEY_MAX + 1];
    size_t i;

    if (strlen(domain) > DICT_KEY_MAX)
        return 0;
    snprintf(folded, sizeof(folded), "%s", domain);
    str_lower(folded);
    for (i = 0; i < l->n; i++) {
        struct domain_elem *e = l->elems + i;
        int r =
            e->dict ? elem_table_match(l, e, folded, error_r) : elem_name_match(l, e->name, folded);

        if (r < 0)
            return -1;
        if (r > 0)
            return e->negate ? 0 : 1;
    }
    return 0;
}

bool domain_list_empty(const struct domain_list *l)
{
    return l->n == 0;
}

void domain_list_free(struct domain_list *l)
{
    size_t i;

    if (l == NULL)
        return;
    for (i = 0; i < l->n; i++) {
        free(l->elems[i].name);
        dict_close(l->elems[i].dict);
    }
    free(l->elems);
    free(l->param);
    free(l);
}
