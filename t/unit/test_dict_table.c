/*
 * test_dict_table.c - the lookup-table source parser: "key value" lines and
 * aliases(5) lines, continuations, comments, case folding, quoted alias
 * names, and every malformed line refused with its line number.
 */
#include "unit.h"
#include "dict.h"
#include "dict_table.h"

struct collected {
    char text[4096];
    int calls;
};

/* Collect "key=value@line;" for each entry. */
static int collect(const char *key, const char *value, int lineno, void *ctx)
{
    struct collected *c = ctx;
    size_t n = strlen(c->text);

    snprintf(c->text + n, sizeof(c->text) - n, "%s=%s@%d;", key, value, lineno);
    c->calls++;
    return 0;
}

static void test_good(void **state UNUSED)
{
    static const struct {
        enum dict_syntax syntax;
        int flags;
        const char *in, *want;
    } cases[] = {
        {DICT_SYNTAX_TABLE, DICT_FLAG_FOLD, "Key Value\n", "key=Value@1;"},
        {DICT_SYNTAX_TABLE, 0, "Key Value\n", "Key=Value@1;"},
        {DICT_SYNTAX_TABLE, DICT_FLAG_FOLD, "a  b c  \n", "a=b c@1;"},
        {DICT_SYNTAX_TABLE, DICT_FLAG_FOLD, "a\tb\n\n# c d\n  # e\ne f", "a=b@1;e=f@5;"},
        {DICT_SYNTAX_TABLE, DICT_FLAG_FOLD, "a b,\n  c\n\td\n", "a=b, c d@1;"},
        {DICT_SYNTAX_TABLE, DICT_FLAG_FOLD, "@example.com catch\n", "@example.com=catch@1;"},
        {DICT_SYNTAX_TABLE, DICT_FLAG_FOLD, "a b\r\n", "a=b@1;"},
        {DICT_SYNTAX_ALIASES, DICT_FLAG_FOLD, "Postmaster: root\n", "postmaster=root@1;"},
        {DICT_SYNTAX_ALIASES, DICT_FLAG_FOLD, "a : b, c\n", "a=b, c@1;"},
        {DICT_SYNTAX_ALIASES, DICT_FLAG_FOLD, "a:b\n", "a=b@1;"},
        {DICT_SYNTAX_ALIASES, DICT_FLAG_FOLD, "a: \"|cmd x, y\", /f\n", "a=\"|cmd x, y\", /f@1;"},
        {DICT_SYNTAX_ALIASES, DICT_FLAG_FOLD, "\"Two Words\": x\n", "two words=x@1;"},
        {DICT_SYNTAX_ALIASES, DICT_FLAG_FOLD, "\"q\\\"d\": x\n", "q\"d=x@1;"},
        {DICT_SYNTAX_ALIASES, DICT_FLAG_FOLD, "a: b,\n c\n", "a=b, c@1;"},
        {DICT_SYNTAX_ALIASES, DICT_FLAG_FOLD, "a: :include:/etc/list\n", "a=:include:/etc/list@1;"},
    };
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        struct collected c = {"", 0};
        const char *why = NULL;
        int lineno = -1;

        if (dict_table_parse((const unsigned char *)cases[i].in, strlen(cases[i].in),
                             cases[i].syntax, cases[i].flags, collect, &c, &lineno, &why) != 0)
            fail_msg("case %zu: line %d: %s", i, lineno, why);
        assert_string_equal(c.text, cases[i].want);
    }
}

static void test_bad(void **state UNUSED)
{
    static const struct {
        enum dict_syntax syntax;
        const char *in, *why;
        int line;
    } cases[] = {
        {DICT_SYNTAX_TABLE, "good line\nbad\n", "expected \"key whitespace value\"", 2},
        {DICT_SYNTAX_TABLE, "a b\n\n\nc\n", "expected \"key whitespace value\"", 4},
        {DICT_SYNTAX_TABLE, "a b\nc \x00 d\n", "NUL character", 2},
        {DICT_SYNTAX_ALIASES, "a b\n", "expected \"name: value\"", 1},
        {DICT_SYNTAX_ALIASES, "a:\n", "expected \"name: value\"", 1},
        {DICT_SYNTAX_ALIASES, "ok: x\n: y\n", "empty key", 2},
        {DICT_SYNTAX_ALIASES, "\"open: x\n", "unterminated quoted name", 1},
        {DICT_SYNTAX_ALIASES, "\"\": x\n", "empty key", 1},
        {DICT_SYNTAX_ALIASES, "\"a\" x: y\n", "expected \"name: value\"", 1},
    };
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        struct collected c = {"", 0};
        const char *why = NULL;
        int lineno = -1;
        size_t len = strlen(cases[i].in);

        if (strstr(cases[i].why, "NUL"))
            len = 10; /* "a b\nc \0 d\n": the NUL is in the middle */
        if (dict_table_parse((const unsigned char *)cases[i].in, len, cases[i].syntax,
                             DICT_FLAG_FOLD, collect, &c, &lineno, &why) != -1)
            fail_msg("case %zu accepted: %s", i, c.text);
        assert_non_null(why);
        if (strcmp(why, cases[i].why) != 0 || lineno != cases[i].line)
            fail_msg("case %zu: line %d: \"%s\", want line %d: \"%s\"", i, lineno, why,
                     cases[i].line, cases[i].why);
    }
}

static void test_limits(void **state UNUSED)
{
    char *text = malloc(DICT_KEY_MAX + 10);
    struct collected c = {"", 0};
    const char *why = NULL;
    int lineno = 0;

    assert_non_null(text);
    memset(text, 'k', DICT_KEY_MAX);
    memcpy(text + DICT_KEY_MAX, " v\n", 3);
    assert_int_equal(dict_table_parse((unsigned char *)text, DICT_KEY_MAX + 3, DICT_SYNTAX_TABLE, 0,
                                      collect, &c, &lineno, &why),
                     0);
    assert_int_equal(c.calls, 1);
    memset(text, 'k', DICT_KEY_MAX + 1);
    memcpy(text + DICT_KEY_MAX + 1, " v\n", 3);
    assert_int_equal(dict_table_parse((unsigned char *)text, DICT_KEY_MAX + 4, DICT_SYNTAX_TABLE, 0,
                                      collect, &c, &lineno, &why),
                     -1);
    assert_string_equal(why, "key too long");
    free(text);
}

static int stop_at_second(const char *key UNUSED, const char *value UNUSED, int lineno,
                          void *ctx UNUSED)
{
    return lineno == 2 ? 7 : 0;
}

static void test_callback_stops(void **state UNUSED)
{
    const char text[] = "a b\nc d\ne f\n";
    const char *why = NULL;
    int lineno = 0;

    /* A callback's own value comes back, and is never taken for a syntax error. */
    assert_int_equal(dict_table_parse((const unsigned char *)text, sizeof(text) - 1,
                                      DICT_SYNTAX_TABLE, 0, stop_at_second, NULL, &lineno, &why),
                     7);
}

static void test_parse_fd(void **state UNUSED)
{
    char dir[PATH_MAX], path[PATH_MAX + 16];
    struct collected c = {"", 0};
    const char *why = NULL;
    int fd, lineno = 0;

    unit_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/table", dir);
    unit_write_text(path, "x y\n");
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(dict_table_parse_fd(fd, DICT_SYNTAX_TABLE, 0, collect, &c, &lineno, &why), 0);
    (void)close(fd);
    assert_string_equal(c.text, "x=y@1;");
    /* A directory is no table source. */
    fd = open(dir, O_RDONLY);
    assert_int_equal(dict_table_parse_fd(fd, DICT_SYNTAX_TABLE, 0, collect, &c, &lineno, &why), -1);
    assert_int_equal(lineno, 0);
    (void)close(fd);
    unit_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),     cmocka_unit_test(test_bad),
        cmocka_unit_test(test_limits),   cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_parse_fd),
    };

    unit_init("test_dict_table");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
