/*
 * test_dict_edit.c - one entry of table source text changed in place:
 * replaced where it stood (with its continuation lines), duplicates
 * removed, a new key appended (after a missing final newline), removal,
 * comments and other entries kept byte for byte, keys compared without
 * case; text with a syntax error and keys or values that cannot be
 * written are refused, and the result always parses to what was asked.
 */
#include "unit.h"
#include "buf.h"
#include "dict.h"
#include "dict_edit.h"
#include "dict_table.h"

struct edit_row {
    const char *text, *key, *value, *want;
    bool found;
};

static void edit_ok(struct unit_rows *rows, size_t i, const struct edit_row *r)
{
    struct buf out;
    const char *why = NULL;
    int lineno = -1;
    bool found = !r->found;

    buf_init(&out, 1 << 20);
    if (dict_edit((const unsigned char *)r->text, strlen(r->text), r->key, r->value, &out, &found,
                  &lineno, &why) < 0)
        unit_row_fail(rows, "row %zu: failed: line %d: %s", i, lineno, why);
    else if (strcmp(buf_str(&out), r->want) != 0 || found != r->found)
        unit_row_fail(rows, "row %zu: got \"%s\" found %d, want \"%s\" %d", i, buf_str(&out), found,
                      r->want, r->found);
    buf_free(&out);
}

static void test_edits(void **state UNUSED)
{
    static const struct edit_row edits[] = {
        /* add to nothing, to text with and without a final newline */
        {"", "a@x", "v", "a@x v\n", false},
        {"b@x w\n", "a@x", "v", "b@x w\na@x v\n", false},
        {"b@x w", "a@x", "v", "b@x w\na@x v\n", false},
        /* replace in place, keeping what is around it */
        {"# head\nA@X old\nb@x w\n", "a@x", "new", "# head\na@x new\nb@x w\n", true},
        /* continuation lines go with their entry; comments among them stay */
        {"a@x one,\n  two\n# note\n\tthree\nb@x w\n", "a@x", "v", "a@x v\n# note\nb@x w\n", true},
        /* later duplicates (which readers ignore) go */
        {"a@x 1\nb@x w\na@x 2\n", "a@x", "3", "a@x 3\nb@x w\n", true},
        /* removal: every entry for the key */
        {"a@x 1\nb@x w\na@x 2\n", "a@x", NULL, "b@x w\n", true},
        {"b@x w\n", "a@x", NULL, "b@x w\n", false},
        {"a@x 1\n  more\n", "A@X", NULL, "", true},
        /* a key that only starts like another one is another key */
        {"a@x.org 1\n", "a@x", NULL, "a@x.org 1\n", false},
        /* an indented line before any entry starts one */
        {"  a@x 1\n", "a@x", "2", "a@x 2\n", true},
        /* CR LF text keeps its line ends */
        {"b@x w\r\na@x 1\r\n", "a@x", NULL, "b@x w\r\n", true},
        /* a value with spaces (a quota after the mailbox) */
        {"", "a@x", "x/a/ quota=5M", "a@x x/a/ quota=5M\n", false},
    };
    struct unit_rows rows = {0};
    size_t i;

    for (i = 0; i < COUNTOF(edits); i++)
        edit_ok(&rows, i, edits + i);
    unit_rows_check(&rows);
}

static void edit_fails(const char *text, const char *key, const char *value, int want_line)
{
    struct buf out;
    const char *why = NULL;
    int lineno = -1;
    bool found;

    buf_init(&out, 1 << 20);
    assert_int_equal(dict_edit((const unsigned char *)text, strlen(text), key, value, &out, &found,
                               &lineno, &why),
                     -1);
    assert_non_null(why);
    assert_int_equal(lineno, want_line);
    buf_free(&out);
}

static void test_refusals(void **state UNUSED)
{
    /* a file postern-map would refuse is not edited */
    edit_fails("a@x 1\nbroken\n", "a@x", "2", 2);
    /* keys and values that would not read back as written */
    edit_fails("", "", "v", 0);
    edit_fails("", "a x", "v", 0);
    edit_fails("", "#a", "v", 0);
    edit_fails("", "a\nb", "v", 0);
    edit_fails("", "a", "", 0);
    edit_fails("", "a", " v", 0);
    edit_fails("", "a", "v ", 0);
    edit_fails("", "a", "v\nb c", 0);
    assert_true(dict_edit_key_ok("alice@corp.example"));
    assert_false(dict_edit_key_ok("caf\xc3\xa9"));
    assert_true(dict_edit_value_ok("$y$j9T$abc$def"));
}

static void test_output_limit(void **state UNUSED)
{
    struct buf out;
    const char *why = NULL;
    int lineno;
    bool found;

    buf_init(&out, 8);
    assert_int_equal(
        dict_edit((const unsigned char *)"", 0, "key", "a long value", &out, &found, &lineno, &why),
        -1);
    assert_non_null(why);
    buf_free(&out);
}

struct count {
    const char *key, *value;
    int n;
    bool value_ok;
};

static int count_entry(const char *key, const char *value, int lineno UNUSED, void *ctx)
{
    struct count *c = ctx;

    if (strcmp(key, c->key) == 0) {
        c->n++;
        c->value_ok = c->value && strcmp(value, c->value) == 0;
    }
    return 0;
}

/* What was asked is what a reader of the result sees. */
static void test_result_parses(void **state UNUSED)
{
    static const char text[] = "# users\nb@x 1\na@x 2\n  3\n\na@x dup\nc@x 4";
    static const char *const values[] = {"new value", NULL};
    struct buf out;
    const char *why = NULL;
    int lineno = 0;
    bool found;
    size_t i;

    buf_init(&out, 1 << 20);
    for (i = 0; i < COUNTOF(values); i++) {
        struct count c = {"a@x", values[i], 0, false};

        assert_int_equal(dict_edit((const unsigned char *)text, strlen(text), "a@x", values[i],
                                   &out, &found, &lineno, &why),
                         0);
        assert_int_equal(dict_table_parse(out.data, out.len, DICT_SYNTAX_TABLE, DICT_FLAG_FOLD,
                                          count_entry, &c, &lineno, &why),
                         0);
        assert_int_equal(c.n, values[i] ? 1 : 0);
        assert_true(values[i] == NULL || c.value_ok);
        assert_non_null(strstr(buf_str(&out), "# users\nb@x 1\n"));
        assert_non_null(strstr(buf_str(&out), "c@x 4"));
    }
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edits),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_output_limit),
        cmocka_unit_test(test_result_parses),
    };

    unit_init("test_dict_edit");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
