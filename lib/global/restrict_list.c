/*
 * restrict_list.c - the parser of restriction lists (see restrict_list.h).
 *
 * The text is the administrator's, but it is parsed as if it were hostile
 * (it reaches smtpd through master's snapshot and -o overrides): bounded
 * in bytes, words and list length, and any byte that cannot be part of a
 * name is an error rather than something to skip.
 */
#include "sys_defs.h"
#include "restrict_list.h"
#include "mymalloc.h"
#include "msg.h"
#include "mail_addr.h"
#include "strutil.h"

#define TABLE 0x1 /* the next word is a lookup table */
#define ZONE 0x2  /* the next word is a DNS zone */

static const struct restrict_kind_info {
    const char *name;
    enum restrict_kind kind;
    enum restrict_stage stage;
    int flags;
} restrict_kinds[] = {
    {"permit", RESTRICT_PERMIT, RESTRICT_STAGE_CLIENT, 0},
    {"reject", RESTRICT_REJECT, RESTRICT_STAGE_CLIENT, 0},
    {"defer", RESTRICT_DEFER, RESTRICT_STAGE_CLIENT, 0},
    {"defer_if_permit", RESTRICT_DEFER_IF_PERMIT, RESTRICT_STAGE_CLIENT, 0},
    {"defer_if_reject", RESTRICT_DEFER_IF_REJECT, RESTRICT_STAGE_CLIENT, 0},
    {"warn_if_reject", RESTRICT_WARN_IF_REJECT, RESTRICT_STAGE_CLIENT, 0},
    {"permit_mynetworks", RESTRICT_PERMIT_MYNETWORKS, RESTRICT_STAGE_CLIENT, 0},
    {"permit_sasl_authenticated", RESTRICT_PERMIT_SASL_AUTHENTICATED, RESTRICT_STAGE_CLIENT, 0},
    {"reject_unauth_destination", RESTRICT_REJECT_UNAUTH_DESTINATION, RESTRICT_STAGE_RECIPIENT, 0},
    {"defer_unauth_destination", RESTRICT_DEFER_UNAUTH_DESTINATION, RESTRICT_STAGE_RECIPIENT, 0},
    {"reject_unknown_recipient_domain", RESTRICT_REJECT_UNKNOWN_RECIPIENT_DOMAIN,
     RESTRICT_STAGE_RECIPIENT, 0},
    {"reject_unknown_sender_domain", RESTRICT_REJECT_UNKNOWN_SENDER_DOMAIN, RESTRICT_STAGE_SENDER,
     0},
    {"reject_non_fqdn_sender", RESTRICT_REJECT_NON_FQDN_SENDER, RESTRICT_STAGE_SENDER, 0},
    {"reject_non_fqdn_recipient", RESTRICT_REJECT_NON_FQDN_RECIPIENT, RESTRICT_STAGE_RECIPIENT, 0},
    {"reject_non_fqdn_helo_hostname", RESTRICT_REJECT_NON_FQDN_HELO_HOSTNAME, RESTRICT_STAGE_HELO,
     0},
    {"reject_invalid_helo_hostname", RESTRICT_REJECT_INVALID_HELO_HOSTNAME, RESTRICT_STAGE_HELO, 0},
    {"reject_unlisted_recipient", RESTRICT_REJECT_UNLISTED_RECIPIENT, RESTRICT_STAGE_RECIPIENT, 0},
    {"reject_authenticated_sender_login_mismatch", RESTRICT_REJECT_AUTH_SENDER_LOGIN_MISMATCH,
     RESTRICT_STAGE_SENDER, 0},
    {"reject_sender_login_mismatch", RESTRICT_REJECT_SENDER_LOGIN_MISMATCH, RESTRICT_STAGE_SENDER,
     0},
    {"check_client_access", RESTRICT_CHECK_CLIENT_ACCESS, RESTRICT_STAGE_CLIENT, TABLE},
    {"check_helo_access", RESTRICT_CHECK_HELO_ACCESS, RESTRICT_STAGE_HELO, TABLE},
    {"check_sender_access", RESTRICT_CHECK_SENDER_ACCESS, RESTRICT_STAGE_SENDER, TABLE},
    {"check_recipient_access", RESTRICT_CHECK_RECIPIENT_ACCESS, RESTRICT_STAGE_RECIPIENT, TABLE},
    {"reject_rbl_client", RESTRICT_REJECT_RBL_CLIENT, RESTRICT_STAGE_CLIENT, ZONE},
};

static const struct restrict_kind_info *restrict_info(enum restrict_kind kind)
{
    size_t i;

    for (i = 0; i < COUNTOF(restrict_kinds); i++)
        if (restrict_kinds[i].kind == kind)
            return restrict_kinds + i;
    msg_panic("restrict_info: unknown kind %d", (int)kind);
}

const char *restrict_kind_name(enum restrict_kind kind)
{
    return restrict_info(kind)->name;
}

enum restrict_stage restrict_kind_stage(enum restrict_kind kind)
{
    return restrict_info(kind)->stage;
}

static bool restrict_sep(unsigned char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The next word of (p, len) from *pos into word; 1 a word, 0 the end, -1
 * an error (*error_r).  Words are printable ASCII: a control byte or NUL
 * in a parameter is a mistake to report, never part of a table name.
 * Inside braces ("inline:{a=OK, b=REJECT}") separators belong to the word,
 * as they do for maps (str_split_list()).
 */
static int restrict_word(const char *param, const char *p, size_t len, size_t *pos, char *word,
                         char **error_r)
{
    size_t i = *pos, n = 0;
    int level = 0;

    while (i < len && restrict_sep((unsigned char)p[i]))
        i++;
    if (i == len)
        return 0;
    for (; i < len && (level > 0 || !restrict_sep((unsigned char)p[i])); i++) {
        unsigned char c = (unsigned char)p[i];

        if ((c < 0x21 || c > 0x7e) && !(level > 0 && (c == ' ' || c == '\t'))) {
            *error_r = xasprintf("%s: bad character 0x%02x", param, c);
            return -1;
        }
        if (n + 1 >= RESTRICT_WORD_MAX) {
            *error_r = xasprintf("%s: word longer than %d bytes", param, RESTRICT_WORD_MAX);
            return -1;
        }
        level += c == '{' ? 1 : c == '}' && level > 0 ? -1 : 0;
        word[n++] = (char)c;
    }
    word[n] = 0;
    if (level > 0) {
        *error_r = xasprintf("%s: missing '}' in \"%.100s\"", param, word);
        return -1;
    }
    *pos = i;
    return 1;
}

static const struct restrict_kind_info *restrict_lookup(const char *word)
{
    size_t i;

    for (i = 0; i < COUNTOF(restrict_kinds); i++)
        if (str_eq_nocase(restrict_kinds[i].name, word))
            return restrict_kinds + i;
    return NULL;
}

/* The zone argument of reject_rbl_client: "domain" or "domain=a.b.c.d". */
static int restrict_zone(const char *param, const char *p, size_t len, size_t *pos,
                         const char *name, struct restrict_item *item, char *word, char **error_r)
{
    unsigned char bin[4];
    char *eq;
    int r;

    if ((r = restrict_word(param, p, len, pos, word, error_r)) < 0)
        return -1;
    eq = r ? strchr(word, '=') : NULL;
    if (eq)
        *eq = 0;
    if (r == 0 || restrict_lookup(word) || !mail_addr_domain_ok(word, strlen(word)) ||
        (eq && inet_pton(AF_INET, eq + 1, bin) != 1)) {
        *error_r = xasprintf("%s: %s needs a DNS zone (domain or domain=a.b.c.d)", param, name);
        return -1;
    }
    if (eq)
        *eq = '=';
    item->arg = xstrdup(word);
    return 0;
}

/* The table argument of item: the next word, which must look like "type:name". */
static int restrict_table(const char *param, const char *p, size_t len, size_t *pos, int flags,
                          const char *name, struct restrict_item *item, char *word, char **error_r)
{
    char *title, *why;
    int r;

    if ((r = restrict_word(param, p, len, pos, word, error_r)) < 0)
        return -1;
    if (r == 0 || strchr(word, ':') == NULL || word[0] == ':' || restrict_lookup(word)) {
        *error_r = xasprintf("%s: %s needs a lookup table (type:name)", param, name);
        return -1;
    }
    item->arg = xstrdup(word);
    if ((flags & RESTRICT_FLAG_OPEN) == 0)
        return 0;
    title = xasprintf("%s: %s", param, name);
    r = maps_open(title, word, &item->table, &why);
    free(title);
    if (r < 0)
        *error_r = why;
    return r;
}

int restrict_list_parse(const char *param, const char *text, size_t len, int flags,
                        struct restrict_list **l_r, char **error_r)
{
    struct restrict_list *l = xcalloc(1, sizeof(*l));
    char *word = xmalloc(RESTRICT_WORD_MAX);
    const struct restrict_kind_info *info;
    size_t pos = 0;
    int r;

    l->param = xstrdup(param);
    l->items = xcalloc(1, sizeof(*l->items));
    if (len > RESTRICT_TEXT_MAX) {
        *error_r = xasprintf("%s: longer than %d bytes", param, RESTRICT_TEXT_MAX);
        goto fail;
    }
    while ((r = restrict_word(param, text, len, &pos, word, error_r)) > 0) {
        struct restrict_item *item;

        if ((info = restrict_lookup(word)) == NULL) {
            *error_r = xasprintf("%s: unknown restriction \"%s\"", param, word);
            goto fail;
        }
        if (l->n == RESTRICT_LIST_MAX) {
            *error_r = xasprintf("%s: more than %d restrictions", param, RESTRICT_LIST_MAX);
            goto fail;
        }
        l->items = xreallocarray(l->items, l->n + 1, sizeof(*l->items));
        item = l->items + l->n++;
        memset(item, 0, sizeof(*item));
        item->kind = info->kind;
        if ((info->flags & TABLE) &&
            restrict_table(param, text, len, &pos, flags, info->name, item, word, error_r) < 0)
            goto fail;
        if ((info->flags & ZONE) &&
            restrict_zone(param, text, len, &pos, info->name, item, word, error_r) < 0)
            goto fail;
    }
    if (r < 0)
        goto fail;
    free(word);
    *l_r = l;
    return 0;

fail:
    free(word);
    restrict_list_free(l);
    return -1;
}

void restrict_list_free(struct restrict_list *l)
{
    size_t i;

    if (l == NULL)
        return;
    for (i = 0; i < l->n; i++) {
        free(l->items[i].arg);
        maps_free(l->items[i].table);
    }
    free(l->items);
    free(l->param);
    free(l);
}
