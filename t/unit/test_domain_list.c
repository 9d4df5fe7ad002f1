/*
 * test_domain_list.c - Postfix-style domain lists, table-driven: names
 * (with and without parent matching), .subdomains, !negation where the
 * first match decides, /files of more elements (nested, and too deep), and
 * type:table elements with their parent-domain keys.
 */
#include "unit.h"
#include "domain_list.h"

static char dir[PATH_MAX];

static int setup(void **state UNUSED)
{
    unit_mkdtemp(dir, sizeof(dir));
    return 0;
}

static int teardown(void **state UNUSED)
{
    unit_rmtree(dir);
    return 0;
}

static void check(const char *value, bool parent, const char *const *yes, const char *const *no)
{
    struct domain_list *l;
    char *err = NULL;

    if (domain_list_init("test", value, parent, &l, &err) < 0)
        fail_msg("%s: %s", value, err);
    for (; *yes; yes++)
        if (domain_list_match(l, *yes, &err) != 1)
            fail_msg("\"%s\" should match %s", value, *yes);
    for (; *no; no++)
        if (domain_list_match(l, *no, &err) != 0)
            fail_msg("\"%s\" should not match %s", value, *no);
    domain_list_free(l);
}

static void test_names(void **state UNUSED)
{
    check("Example.COM, other.example", false,
          (const char *[]){"example.com", "EXAMPLE.com", "other.example", NULL},
          (const char *[]){"sub.example.com", "xexample.com", "com", "", NULL});
    check("example.com", true, (const char *[]){"example.com", "a.b.example.com", NULL},
          (const char *[]){"xexample.com", "example.com.net", NULL});
    check(".example.com", false, (const char *[]){"a.example.com", NULL},
          (const char *[]){"example.com", NULL});
    check("!bad.example.com, .example.com", false, (const char *[]){"good.example.com", NULL},
          (const char *[]){"bad.example.com", NULL});
    check("", false, (const char *[]){NULL}, (const char *[]){"example.com", NULL});
}

static void test_files(void **state UNUSED)
{
    char list[PATH_MAX + 16], inner[PATH_MAX + 16], value[3 * PATH_MAX];

    snprintf(list, sizeof(list), "%s/list", dir);
    snprintf(inner, sizeof(inner), "%s/inner", dir);
    snprintf(value, sizeof(value), "# outer\na.example b.example\n  %s\n", inner);
    unit_write_text(list, value);
    unit_write_text(inner, "c.example\n");
    check(list, false, (const char *[]){"a.example", "b.example", "c.example", NULL},
          (const char *[]){"d.example", NULL});
    /* A file that names itself is nested too deeply. */
    {
        struct domain_list *l;
        char *err = NULL;

        unit_write_text(inner, inner);
        assert_int_equal(domain_list_init("relay_domains", inner, false, &l, &err), -1);
        assert_non_null(strstr(err, "relay_domains"));
        assert_non_null(strstr(err, "nested too deeply"));
        free(err);
        assert_int_equal(domain_list_init("relay_domains", "/nonexistent", false, &l, &err), -1);
        assert_non_null(strstr(err, "relay_domains: open /nonexistent"));
        free(err);
        assert_int_equal(domain_list_init("relay_domains", "!", false, &l, &err), -1);
        free(err);
    }
}

static void test_tables(void **state UNUSED)
{
    check("inline:{example.com=1}", false, (const char *[]){"example.com", "EXAMPLE.COM", NULL},
          (const char *[]){"sub.example.com", NULL});
    check("inline:{example.com=1}", true, (const char *[]){"sub.example.com", NULL},
          (const char *[]){"example.net", NULL});
    /* Outside parent lists a ".domain" key stands for the subdomains. */
    check("inline:{.example.com=1}", false, (const char *[]){"a.b.example.com", NULL},
          (const char *[]){"example.com", NULL});
    check("!inline:{no.example=1}, .example", false, (const char *[]){"yes.example", NULL},
          (const char *[]){"no.example", NULL});
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_tables),
    };

    unit_init("test_domain_list");
    return cmocka_run_group_tests(tests, setup, teardown);
}
