/*
 * fuzz_dict_table.c - the lookup-table source parser (dict_table.c) in
 * both syntaxes, and the table text of inline: and static: names.  The
 * first byte chooses what the rest is parsed as.  Invariants: every entry
 * has a non-empty key within DICT_KEY_MAX with no white space (a table
 * key) and lower case when folded, and a non-empty value within
 * DICT_VALUE_MAX that neither starts nor ends with white space; errors
 * always say why, at a line that exists.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "dict.h"
#include "dict_table.h"

struct seen {
    enum dict_syntax syntax;
    int flags;
    int lines;
};

static bool blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static int check_entry(const char *key, const char *value, int lineno, void *ctx)
{
    struct seen *s = ctx;
    size_t klen = strlen(key), vlen = strlen(value), i;

    CHECK(klen > 0 && klen <= DICT_KEY_MAX);
    CHECK(vlen > 0 && vlen <= DICT_VALUE_MAX);
    CHECK(!blank(value[0]) && !blank(value[vlen - 1]));
    CHECK(lineno >= 1 && lineno <= s->lines);
    for (i = 0; i < klen; i++) {
        if (s->syntax == DICT_SYNTAX_TABLE)
            CHECK(!blank(key[i]) && key[i] != '\n');
        if (s->flags & DICT_FLAG_FOLD)
            CHECK(!(key[i] >= 'A' && key[i] <= 'Z'));
    }
    return 0;
}

static void check_table(const uint8_t *p, size_t len, enum dict_syntax syntax, int flags)
{
    struct seen s = {syntax, flags, 1};
    const char *why = NULL;
    int lineno = -1, ret;
    size_t i;

    for (i = 0; i < len; i++)
        s.lines += p[i] == '\n';
    ret = dict_table_parse(p, len, syntax, flags, check_entry, &s, &lineno, &why);
    CHECK(ret == 0 || ret == -1);
    if (ret < 0)
        CHECK(why != NULL && lineno >= 0 && lineno <= s.lines);
}

static void check_name(const char *type, const uint8_t *p, size_t len)
{
    char spec[4096], *err = NULL;
    struct dict *d;
    const char *v;

    if (len > sizeof(spec) - 16 || memchr(p, 0, len) != NULL)
        return;
    snprintf(spec, sizeof(spec), "%s:%.*s", type, (int)len, (const char *)p);
    if (dict_open(spec, DICT_FLAG_FOLD, &d, &err) < 0) {
        CHECK(err != NULL);
        free(err);
        return;
    }
    (void)dict_lookup(d, "key", &v, &err);
    (void)dict_lookup(d, "", &v, &err);
    dict_close(d);
}

int LLVMFuzzerInitialize(int *argc UNUSED, char ***argv UNUSED)
{
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0] % 5) {
    case 0:
        check_table(data + 1, size - 1, DICT_SYNTAX_TABLE, DICT_FLAG_FOLD);
        break;
    case 1:
        check_table(data + 1, size - 1, DICT_SYNTAX_ALIASES, DICT_FLAG_FOLD);
        break;
    case 2:
        check_table(data + 1, size - 1, DICT_SYNTAX_TABLE, 0);
        break;
    case 3:
        check_name("inline", data + 1, size - 1);
        break;
    case 4:
        check_name("static", data + 1, size - 1);
        break;
    }
    return 0;
}
