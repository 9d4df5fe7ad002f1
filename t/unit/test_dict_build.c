/*
 * test_dict_build.c - building FILE.db from table source text: hash and
 * btree files that dict_open() reads, the source's mode given to the new
 * file, duplicates keeping the first entry, aliases syntax, and every
 * failure (wrong type, missing source, syntax error with file and line)
 * with its exit status, leaving the old table as it was and no temporary
 * file behind.
 */
#include "unit.h"
#include <sysexits.h>
#include "dict.h"
#include "dict_build.h"

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

static void lookup_is(const char *spec, const char *key, const char *want)
{
    struct dict *d;
    const char *v;
    char *err = NULL;
    int r;

    if (dict_open(spec, DICT_FLAG_FOLD, &d, &err) < 0)
        fail_msg("open %s: %s", spec, err);
    r = dict_lookup(d, key, &v, &err);
    if (want == NULL)
        assert_int_equal(r, 0);
    else if (r != 1 || strcmp(v, want) != 0)
        fail_msg("%s: %s: got %d \"%s\", want \"%s\"", spec, key, r, r == 1 ? v : "", want);
    dict_close(d);
}

static void build_ok(const char *type, const char *file, enum dict_syntax syntax)
{
    char *err = NULL;
    int status = dict_build(type, file, syntax, &err);

    if (status != 0)
        fail_msg("dict_build %s:%s: %d %s", type, file, status, err);
}

static void test_build_types(void **state UNUSED)
{
    char src[PATH_MAX + 16], spec[PATH_MAX + 32], db[PATH_MAX + 16];
    const char *types[] = {"hash", "btree"};
    struct stat st;
    size_t i;

    snprintf(src, sizeof(src), "%s/map", dir);
    snprintf(db, sizeof(db), "%s/map.db", dir);
    unit_write_text(src, "# users\nAlice@X a/\nbob@x first\nbob@x second\nlist one,\n two\n");
    assert_int_equal(chmod(src, 0640), 0);
    for (i = 0; i < COUNTOF(types); i++) {
        build_ok(types[i], src, DICT_SYNTAX_TABLE);
        snprintf(spec, sizeof(spec), "%s:%s", types[i], src);
        lookup_is(spec, "alice@x", "a/");
        lookup_is(spec, "bob@x", "first");
        lookup_is(spec, "list", "one, two");
        lookup_is(spec, "nobody", NULL);
        assert_int_equal(stat(db, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
    }
    assert_int_equal(unit_count_dir(dir), 2); /* map, map.db: nothing left over */
}

static void test_build_aliases(void **state UNUSED)
{
    char src[PATH_MAX + 16], spec[PATH_MAX + 32];

    snprintf(src, sizeof(src), "%s/aliases", dir);
    unit_write_text(src, "postmaster: root\n\"a b\": c, d\n");
    build_ok("hash", src, DICT_SYNTAX_ALIASES);
    snprintf(spec, sizeof(spec), "hash:%s", src);
    lookup_is(spec, "postmaster", "root");
    lookup_is(spec, "a b", "c, d");
}

static void build_fails(const char *type, const char *file, int want_status, const char *want)
{
    char *err = NULL;
    int status = dict_build(type, file, DICT_SYNTAX_TABLE, &err);

    assert_int_equal(status, want_status);
    if (err == NULL || strstr(err, want) == NULL)
        fail_msg("dict_build %s:%s: \"%s\", want \"%s\"", type, file, err ? err : "", want);
    free(err);
}

static void test_build_failures(void **state UNUSED)
{
    char src[PATH_MAX + 16], spec[PATH_MAX + 32], want[PATH_MAX + 64];

    snprintf(src, sizeof(src), "%s/map", dir);
    build_fails("texthash", src, EX_USAGE, "only hash: and btree:");
    build_fails("hash", src, EX_NOINPUT, "open");
    unit_write_text(src, "good one\n");
    build_ok("hash", src, DICT_SYNTAX_TABLE);
    unit_write_text(src, "good two\nbetter three\nbroken\n");
    snprintf(want, sizeof(want), "%s, line 3: expected", src);
    build_fails("hash", src, EX_DATAERR, want);
    /* the old table answers on, and nothing is left behind */
    snprintf(spec, sizeof(spec), "hash:%s", src);
    lookup_is(spec, "good", "one");
    lookup_is(spec, "better", NULL);
    assert_int_equal(unit_count_dir(dir), 2);
    assert_true(dict_build_type_ok("btree"));
    assert_false(dict_build_type_ok("texthash"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_build_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build_aliases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build_failures, setup, teardown),
    };

    unit_init("test_dict_build");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
