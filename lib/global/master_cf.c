/*
 * master_cf.c - master.cf parser (see master_cf.h).
 */
#include "sys_defs.h"
#include "master_cf.h"
#include "mail_params.h"
#include "conf.h"
#include "mymalloc.h"
#include "strutil.h"

#define MASTER_ARGS_MAX 100

static int parse_yn(const char *word, bool def, bool *out)
{
    if (strcmp(word, "-") == 0)
        *out = def;
    else if (strcmp(word, "y") == 0)
        *out = true;
    else if (strcmp(word, "n") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

static int parse_inet_name(struct master_ent *e, const char **error_r)
{
    const char *colon = strrchr(e->name, ':');
    const char *port = colon ? colon + 1 : e->name;
    long long num;

    if (colon) {
        size_t hlen = (size_t)(colon - e->name);
        const char *h = e->name;

        if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
            h++;
            hlen -= 2;
        }
        if (hlen == 0) {
            *error_r = "empty host in inet service name";
            return -1;
        }
        e->host = xstrndup(h, hlen);
    }
    if (*port == 0) {
        *error_r = "missing port in inet service name";
        return -1;
    }
    if (isdigit((unsigned char)*port) && str_to_ll(port, 1, 65535, &num) < 0) {
        *error_r = "bad port in inet service name";
        return -1;
    }
    e->port = xstrdup(port);
    return 0;
}

/* Collect arguments; "-o name=value" (or "-oname=value") become overrides. */
static int parse_args(struct master_ent *e, char **words, size_t n, const char **error_r)
{
    size_t i, na = 0, no = 0;

    e->argv = xcalloc(n + 1, sizeof(char *));
    e->overrides = xcalloc(n + 1, sizeof(char *));
    for (i = 0; i < n; i++) {
        const char *ov = NULL;

        if (strcmp(words[i], "-o") == 0) {
            if (++i >= n) {
                *error_r = "-o without name=value";
                return -1;
            }
            ov = words[i];
        } else if (strncmp(words[i], "-o", 2) == 0) {
            ov = words[i] + 2;
        }
        if (ov) {
            const char *eq = strchr(ov, '=');
            char *name;

            if (eq == NULL || eq == ov) {
                *error_r = "-o argument is not name=value";
                return -1;
            }
            name = xstrndup(ov, (size_t)(eq - ov));
            if (mail_param_default(name) == NULL) {
                free(name);
                *error_r = "-o names an unknown parameter";
                return -1;
            }
            free(name);
            e->overrides[no++] = xstrdup(ov);
        } else {
            e->argv[na++] = xstrdup(words[i]);
        }
    }
    return 0;
}

int master_cf_parse_line(const unsigned char *line, size_t len, int default_maxproc,
                         struct master_ent *e, const char **error_r)
{
    char *text = xstrndup((const char *)line, len);
    char **w;
    size_t n;
    long long num;
    int ret = -1;

    memset(e, 0, sizeof(*e));
    if (memchr(line, 0, len) != NULL) {
        free(text);
        *error_r = "NUL character in line";
        return -1;
    }
    /* \x01 stands in for commas below: a real one would come back as a comma */
    if (memchr(line, '\x01', len) != NULL) {
        free(text);
        *error_r = "control character in line";
        return -1;
    }
    /* master.cf fields are separated by white space only (commas are data). */
    for (char *p = text; *p; p++)
        if (*p == ',')
            *p = '\x01';
    w = str_split_list(text, &n);
    for (size_t i = 0; i < n; i++)
        for (char *p = w[i]; *p; p++)
            if (*p == '\x01')
                *p = ',';
    free(text);
    if (n < 8) {
        *error_r = "expected at least 8 fields: service type private unpriv chroot wakeup "
                   "maxproc command";
        goto out;
    }
    if (n - 8 > MASTER_ARGS_MAX) {
        *error_r = "too many arguments";
        goto out;
    }
    e->name = xstrdup(w[0]);
    if (strcmp(w[1], "inet") == 0) {
        e->type = MASTER_TYPE_INET;
        if (parse_inet_name(e, error_r) < 0)
            goto out;
    } else if (strcmp(w[1], "unix") == 0) {
        e->type = MASTER_TYPE_UNIX;
        if (strchr(e->name, '/') || strcmp(e->name, ".") == 0 || strcmp(e->name, "..") == 0 ||
            strlen(e->name) > 64) {
            *error_r = "bad unix service name";
            goto out;
        }
    } else {
        *error_r = "unsupported service type (expected inet or unix)";
        goto out;
    }
    if (parse_yn(w[2], true, &e->private_) < 0 || parse_yn(w[3], true, &e->unpriv) < 0 ||
        parse_yn(w[4], false, &e->chroot) < 0) {
        *error_r = "private, unpriv and chroot must be y, n or -";
        goto out;
    }
    if (strcmp(w[5], "-") == 0) {
        e->wakeup = 0;
    } else {
        size_t wl = strlen(w[5]);

        if (wl > 0 && w[5][wl - 1] == '?') /* Postfix's "only when used" mark */
            w[5][wl - 1] = 0;
        if (str_to_ll(w[5], 0, 86400, &num) < 0) {
            *error_r = "bad wakeup time";
            goto out;
        }
        e->wakeup = (int)num;
    }
    if (strcmp(w[6], "-") == 0) {
        e->maxproc = default_maxproc;
    } else if (str_to_ll(w[6], 0, 100000, &num) < 0) {
        *error_r = "bad process limit";
        goto out;
    } else {
        e->maxproc = (int)num;
    }
    if (strchr(w[7], '/') || w[7][0] == '.') {
        *error_r = "command must be a program name in daemon_directory";
        goto out;
    }
    e->command = xstrdup(w[7]);
    ret = parse_args(e, w + 8, n - 8, error_r);

out:
    str_list_free(w);
    if (ret < 0)
        master_ent_free(e);
    return ret;
}

struct master_read_ctx {
    const char *path;
    int default_maxproc;
    struct master_ent *ents;
    size_t n, cap;
    char *error;
};

static int master_cf_line(const unsigned char *line, size_t len, int lineno, void *vctx)
{
    struct master_read_ctx *ctx = vctx;
    struct master_ent e;
    const char *why;
    size_t i;

    if (master_cf_parse_line(line, len, ctx->default_maxproc, &e, &why) < 0) {
        ctx->error = xasprintf("%s, line %d: %s", ctx->path, lineno, why);
        return -1;
    }
    for (i = 0; i < ctx->n; i++) {
        if (strcmp(ctx->ents[i].name, e.name) == 0 && ctx->ents[i].type == e.type) {
            ctx->error = xasprintf("%s, line %d: duplicate service %s/%s", ctx->path, lineno,
                                   e.name, master_type_name(e.type));
            master_ent_free(&e);
            return -1;
        }
    }
    e.file = xstrdup(ctx->path);
    e.line = lineno;
    if (ctx->n == ctx->cap) {
        ctx->cap = ctx->cap ? ctx->cap * 2 : 16;
        ctx->ents = xreallocarray(ctx->ents, ctx->cap, sizeof(*ctx->ents));
    }
    ctx->ents[ctx->n++] = e;
    return 0;
}

int master_cf_read(const char *path, int default_maxproc, struct master_ent **ents_r, size_t *n_r,
                   char **error_r)
{
    struct master_read_ctx ctx = {.path = path, .default_maxproc = default_maxproc};
    unsigned char *text;
    const char *why;
    size_t len;

    if (conf_slurp(path, &text, &len, &why) < 0) {
        *error_r = xasprintf("open %s: %s", path, why);
        return -1;
    }
    if (conf_logical_lines(text, len, master_cf_line, &ctx, &why) < 0) {
        if (ctx.error == NULL)
            ctx.error = xasprintf("%s: %s", path, why);
        free(text);
        master_cf_free(ctx.ents, ctx.n);
        *error_r = ctx.error;
        return -1;
    }
    free(text);
    *ents_r = ctx.ents;
    *n_r = ctx.n;
    return 0;
}

static void free_vec(char **v)
{
    str_list_free(v);
}

void master_ent_free(struct master_ent *e)
{
    free(e->name);
    free(e->host);
    free(e->port);
    free(e->command);
    free(e->file);
    free_vec(e->argv);
    free_vec(e->overrides);
    memset(e, 0, sizeof(*e));
}

void master_cf_free(struct master_ent *ents, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        master_ent_free(ents + i);
    free(ents);
}

static bool vec_same(char **a, char **b)
{
    for (; *a && *b; a++, b++)
        if (strcmp(*a, *b) != 0)
            return false;
    return *a == *b;
}

bool master_ent_same(const struct master_ent *a, const struct master_ent *b)
{
    return strcmp(a->name, b->name) == 0 && a->type == b->type && a->private_ == b->private_ &&
           a->unpriv == b->unpriv && a->chroot == b->chroot && a->wakeup == b->wakeup &&
           a->maxproc == b->maxproc && strcmp(a->command, b->command) == 0 &&
           vec_same(a->argv, b->argv) && vec_same(a->overrides, b->overrides);
}

const char *master_type_name(enum master_type t)
{
    return t == MASTER_TYPE_INET ? "inet" : "unix";
}

const char *master_chroot_refused(const char *command)
{
    static const struct {
        const char *command;
        const char *why;
    } refused[] = {
        {"local", "it delivers as each recipient, in their home directories"},
        {"auth", "it reads the password table, which lives outside the queue"},
        {"proxymap", "it exists to look up, for chrooted daemons, what lives outside the queue"},
    };
    size_t i;

    for (i = 0; i < COUNTOF(refused); i++)
        if (strcmp(refused[i].command, command) == 0)
            return refused[i].why;
    return NULL;
}
