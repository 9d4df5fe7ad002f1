/*
 * test_maps.c - lists of tables and address lookups: the first table that
 * has a key wins, an empty list finds nothing, a table that cannot be opened
 * names the parameter, and addresses are tried in Postfix's order
 * (user+ext@domain, user@domain, user+ext and user for our own domains,
 * @domain), table-driven.
 */
#include "unit.h"
#include "maps.h"
#include "mail_params.h"

static struct maps *open_maps(const char *list)
{
    struct maps *m = NULL;
    char *err = NULL;

    if (maps_open("test_maps", list, &m, &err) < 0)
        fail_msg("maps_open: %s", err);
    return m;
}

static void test_list(void **state UNUSED)
{
    struct maps *m = open_maps("inline:{a=first}, inline:{a=second, b=2}");
    const char *v = NULL;
    char *err = NULL;

    assert_int_equal(maps_find(m, "a", &v, &err), 1);
    assert_string_equal(v, "first");
    assert_int_equal(maps_find(m, "B", &v, &err), 1);
    assert_string_equal(v, "2");
    assert_int_equal(maps_find(m, "c", &v, &err), 0);
    assert_false(maps_empty(m));
    maps_free(m);
    m = open_maps("");
    assert_true(maps_empty(m));
    assert_int_equal(maps_find(m, "a", &v, &err), 0);
    maps_free(m);
    assert_int_equal(maps_open("virtual_alias_maps", "inline:{a=1} hash:/nonexistent/x", &m, &err),
                     -1);
    assert_non_null(strstr(err, "virtual_alias_maps: hash:/nonexistent/x: open"));
    free(err);
}

static void test_address_order(void **state UNUSED)
{
    /* Each row: the keys the table holds, the address, local_forms, the result. */
    static const struct {
        const char *table, *addr;
        bool local;
        const char *want;
    } rows[] = {
        {"{u+e@d.example=full, u@d.example=base, u+e=lext, u=local, @d.example=catch}",
         "u+e@d.example", true, "full"},
        {"{u@d.example=base, u+e=lext, u=local, @d.example=catch}", "u+e@d.example", true, "base"},
        {"{u+e=lext, u=local, @d.example=catch}", "u+e@d.example", true, "lext"},
        {"{u=local, @d.example=catch}", "u+e@d.example", true, "local"},
        {"{@d.example=catch}", "u+e@d.example", true, "catch"},
        /* not one of our domains: no bare local parts */
        {"{u+e=lext, u=local, @d.example=catch}", "u+e@d.example", false, "catch"},
        {"{u=local}", "u@d.example", false, NULL},
        /* no extension: the base forms are the same keys, tried once */
        {"{u@d.example=base}", "u@d.example", false, "base"},
        {"{U@D.example=folded}", "u@d.example", false, "folded"},
        /* no domain (<postmaster>): the local part */
        {"{postmaster=pm}", "postmaster", false, "pm"},
        /* a leading delimiter is not an extension */
        {"{+x@d.example=whole}", "+x@d.example", false, "whole"},
        {"{@d.example=catch}", "other@e.example", false, NULL},
    };
    size_t i;

    for (i = 0; i < COUNTOF(rows); i++) {
        char spec[512], *err = NULL;
        struct mail_addr a;
        struct maps *m;
        const char *v = NULL;
        int r;

        snprintf(spec, sizeof(spec), "inline:%s", rows[i].table);
        m = open_maps(spec);
        assert_int_equal(mail_addr_from_internal(rows[i].addr, &a), 0);
        r = maps_find_addr(m, &a, rows[i].local, &v, &err);
        if (rows[i].want == NULL ? r != 0 : r != 1 || strcmp(v, rows[i].want) != 0)
            fail_msg("row %zu: %s got %d \"%s\", want \"%s\"", i, rows[i].addr, r, r ? v : "",
                     rows[i].want ? rows[i].want : "(none)");
        maps_free(m);
    }
}

static void test_local_parts(void **state UNUSED)
{
    struct maps *m = open_maps("inline:{bob=robert, bob+lists=lists, postmaster=root}");
    const char *v = NULL;
    char *err = NULL;

    assert_int_equal(maps_find_local(m, "bob+lists", &v, &err), 1);
    assert_string_equal(v, "lists");
    assert_int_equal(maps_find_local(m, "Bob+other", &v, &err), 1);
    assert_string_equal(v, "robert");
    assert_int_equal(maps_find_local(m, "PostMaster", &v, &err), 1);
    {
        uid_t uid;

        assert_int_equal(maps_last_owner(m, &uid), -1); /* inline: has no file */
    }
    assert_int_equal(maps_find_local(m, "carol", &v, &err), 0);
    assert_int_equal(maps_find_local(m, "+bob", &v, &err), 0);
    maps_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_address_order),
        cmocka_unit_test(test_local_parts),
    };

    unit_init("test_maps");
    var_recipient_delimiter = "+";
    return cmocka_run_group_tests(tests, NULL, NULL);
}
