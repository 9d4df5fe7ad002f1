/*
 * test_alias_list.c - destinations of aliases, .forward and :include:
 * files, table-driven: every item type, quoting (commas and white space in
 * commands, quoted local parts in addresses), bad items kept as bad while
 * the rest count, and the list-wide errors and limits.
 */
#include "unit.h"
#include "alias_list.h"

/* "T:text" per item: A address, N \\user, F file, C command, I include, B bad. */
static void describe(const struct alias_list *l, char *out, size_t len)
{
    static const char letters[] = "ANFCIB";
    size_t i, o = 0;

    out[0] = 0;
    for (i = 0; i < l->n && o < len; i++) {
        const struct alias_item *it = l->items + i;

        if (it->type == ALIAS_ITEM_ADDRESS || it->type == ALIAS_ITEM_NOALIAS)
            o += (size_t)snprintf(out + o, len - o, "%c:%s@%s;", letters[it->type], it->addr.local,
                                  it->addr.domain);
        else
            o += (size_t)snprintf(out + o, len - o, "%c:%s;", letters[it->type], it->text);
    }
}

static void test_items(void **state UNUSED)
{
    static const struct {
        const char *in, *want;
    } rows[] = {
        {"bob", "A:bob@;"},
        {"bob@example.com, carol", "A:bob@example.com;A:carol@;"},
        {"  a ,, b  ,", "A:a@;A:b@;"},
        {"\\bob", "N:bob@;"},
        {"/var/mail/archive", "F:/var/mail/archive;"},
        {"|/usr/bin/vacation bob", "C:/usr/bin/vacation bob;"},
        {"\"|/usr/bin/cmd -a x, y\", bob", "C:/usr/bin/cmd -a x, y;A:bob@;"},
        {"\"/path/with space\"", "F:/path/with space;"},
        {":include:/etc/postern/list", "I:/etc/postern/list;"},
        {":INCLUDE:/etc/list", "I:/etc/list;"},
        {":include:relative", "B::include: needs an absolute path;"},
        {"\"john doe\"@example.com", "A:john doe@example.com;"},
        {"bad address@x, ok", "B:bad address \"bad address@x\": bad address syntax;A:ok@;"},
        {"|", "B:empty command;"},
        {"\"q\\\"uote\"@x.example", "A:q\"uote@x.example;"},
        {"", ""},
        {"\"\"", ""}, /* the fuzzer's find: an empty quoted item */
        {"\"\", bob", "A:bob@;"},
        /* files: one per line, comments */
        {"# my .forward\nbob\n\\me\n  # indented comment\ncarol", "A:bob@;N:me@;A:carol@;"},
        {"a # not a comment", "B:bad address \"a # not a comment\": bad address syntax;"},
        {"\"|cmd\n2\"", "C:cmd\n2;"},
    };
    size_t i;

    for (i = 0; i < COUNTOF(rows); i++) {
        struct alias_list l;
        const char *why = NULL;
        char got[2048];

        if (alias_list_parse(rows[i].in, strlen(rows[i].in), &l, &why) < 0)
            fail_msg("\"%s\": %s", rows[i].in, why);
        describe(&l, got, sizeof(got));
        if (strcmp(got, rows[i].want) != 0)
            fail_msg("\"%s\": %s, want %s", rows[i].in, got, rows[i].want);
        alias_list_free(&l);
    }
}

static void test_broken_lists(void **state UNUSED)
{
    struct alias_list l;
    const char *why = NULL;
    char *many, *long_item;
    size_t i;

    assert_int_equal(alias_list_parse("\"open, b", 8, &l, &why), -1);
    assert_string_equal(why, "unterminated quoted string");
    assert_int_equal(alias_list_parse("a\0b", 3, &l, &why), -1);
    assert_string_equal(why, "NUL character");
    many = malloc(ALIAS_ITEMS_MAX * 2 + 10);
    for (i = 0; i <= ALIAS_ITEMS_MAX; i++)
        memcpy(many + 2 * i, "a,", 2);
    assert_int_equal(alias_list_parse(many, 2 * (ALIAS_ITEMS_MAX + 1), &l, &why), -1);
    assert_string_equal(why, "too many destinations");
    assert_int_equal(alias_list_parse(many, 2 * ALIAS_ITEMS_MAX, &l, &why), 0);
    assert_int_equal(l.n, ALIAS_ITEMS_MAX);
    alias_list_free(&l);
    free(many);
    long_item = malloc(ALIAS_ITEM_MAX + 2);
    memset(long_item, 'x', ALIAS_ITEM_MAX + 1);
    long_item[0] = '/';
    assert_int_equal(alias_list_parse(long_item, ALIAS_ITEM_MAX + 1, &l, &why), -1);
    assert_string_equal(why, "destination too long");
    free(long_item);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items),
        cmocka_unit_test(test_broken_lists),
    };

    unit_init("test_alias_list");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
