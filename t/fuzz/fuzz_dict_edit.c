/*
 * fuzz_dict_edit.c - libFuzzer target for changing one entry of table
 * source text (dict_edit.h), as postern-account does to the mailbox map
 * and the password file.
 *
 * Input: one byte (even: set, odd: remove), the key up to a newline, the
 * value up to a newline, then the table text.  When the edit succeeds,
 * the result must parse, hold the key exactly once with the value (or not
 * at all after a removal), and hold every other entry of the old text
 * with its value, in the same order: an edit changes one entry and
 * nothing else.  When it fails on the text, the text must not parse.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "buf.h"
#include "dict.h"
#include "dict_edit.h"
#include "dict_table.h"
#include "msg.h"

#define ENTRIES_MAX 4096

struct entries {
    const char *skip; /* the edited key (folded) */
    char *keys[ENTRIES_MAX], *values[ENTRIES_MAX];
    size_t n, skipped;
    const char *skipped_value;
    bool same_value;
};

static int collect(const char *key, const char *value, int lineno UNUSED, void *ctx)
{
    struct entries *e = ctx;

    if (strcmp(key, e->skip) == 0) {
        e->same_value =
            e->skipped++ == 0 && e->skipped_value && strcmp(value, e->skipped_value) == 0;
        return 0;
    }
    if (e->n == ENTRIES_MAX)
        return 1;
    e->keys[e->n] = strdup(key);
    e->values[e->n] = strdup(value);
    CHECK(e->keys[e->n] && e->values[e->n]);
    e->n++;
    return 0;
}

static int ignore(const char *key UNUSED, const char *value UNUSED, int lineno UNUSED,
                  void *ctx UNUSED)
{
    return 0;
}

static void entries_free(struct entries *e)
{
    size_t i;

    for (i = 0; i < e->n; i++) {
        free(e->keys[i]);
        free(e->values[i]);
    }
}

static void check_edit(const uint8_t *text, size_t len, const char *key, const char *value)
{
    static struct entries before, after;
    char folded[DICT_KEY_MAX + 1];
    struct buf out;
    const char *why = NULL;
    int lineno = -1, r;
    bool found;
    size_t i;

    buf_init(&out, 4 << 20);
    r = dict_edit(text, len, key, value, &out, &found, &lineno, &why);
    if (r < 0) {
        CHECK(why != NULL);
        if (lineno > 0)
            CHECK(dict_table_parse(text, len, DICT_SYNTAX_TABLE, DICT_FLAG_FOLD, ignore, NULL,
                                   &lineno, &why) == -1);
        buf_free(&out);
        return;
    }
    for (i = 0; key[i]; i++)
        folded[i] = (char)ASCII_TOLOWER(key[i]);
    folded[i] = 0;
    memset(&before, 0, sizeof(before));
    memset(&after, 0, sizeof(after));
    before.skip = after.skip = folded;
    after.skipped_value = value;
    CHECK(dict_table_parse(text, len, DICT_SYNTAX_TABLE, DICT_FLAG_FOLD, collect, &before, &lineno,
                           &why) >= 0);
    CHECK(dict_table_parse(out.data, out.len, DICT_SYNTAX_TABLE, DICT_FLAG_FOLD, collect, &after,
                           &lineno, &why) >= 0);
    CHECK(found == (before.skipped > 0));
    CHECK(after.skipped == (value ? 1u : 0u));
    CHECK(value == NULL || after.same_value);
    if (before.n < ENTRIES_MAX && after.n < ENTRIES_MAX) {
        CHECK(before.n == after.n);
        for (i = 0; i < before.n; i++)
            CHECK(strcmp(before.keys[i], after.keys[i]) == 0 &&
                  strcmp(before.values[i], after.values[i]) == 0);
    }
    entries_free(&before);
    entries_free(&after);
    buf_free(&out);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    msg_syslog(false);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *k, *v, *nl;
    char key[DICT_KEY_MAX + 2], value[256];
    size_t klen, vlen;

    if (size < 3)
        return 0;
    k = data + 1;
    if ((nl = memchr(k, '\n', size - 1)) == NULL || (klen = (size_t)(nl - k)) >= sizeof(key))
        return 0;
    v = nl + 1;
    if ((nl = memchr(v, '\n', size - (size_t)(v - data))) == NULL ||
        (vlen = (size_t)(nl - v)) >= sizeof(value))
        return 0;
    memcpy(key, k, klen);
    key[klen] = 0;
    memcpy(value, v, vlen);
    value[vlen] = 0;
    if (strlen(key) != klen || strlen(value) != vlen)
        return 0; /* the callers' strings have no NULs */
    check_edit(nl + 1, size - (size_t)(nl + 1 - data), key, data[0] & 1 ? NULL : value);
    return 0;
}
