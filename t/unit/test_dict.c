/*
 * test_dict.c - every kind of lookup table through the one interface:
 * hash: and btree: files written with the dict_db writer (and one without
 * the keys' NULs, as other tools write them), texthash:, static:, inline:
 * and regexp: and pcre: with Postfix's syntax (one grammar, two engines;
 * PCRE's own constructs, its flags and its match limit); keys folded unless
 * asked not to; bad names and bad files refused with the reason; and a
 * table file replaced while open is noticed, and a broken replacement never
 * stops the old contents from answering.
 */
#include "unit.h"
#include <db.h>
#include "dict.h"
#include "dict_db.h"

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

static char *at(const char *name)
{
    static char paths[4][PATH_MAX + 64];
    static unsigned next;
    char *p = paths[next++ % 4];

    snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
    return p;
}

static struct dict *open_ok(const char *spec)
{
    struct dict *d = NULL;
    char *err = NULL;

    if (dict_open(spec, DICT_FLAG_FOLD, &d, &err) < 0)
        fail_msg("dict_open %s: %s", spec, err);
    return d;
}

static void open_fails(const char *spec, const char *why_part)
{
    struct dict *d = NULL;
    char *err = NULL;

    if (dict_open(spec, DICT_FLAG_FOLD, &d, &err) == 0)
        fail_msg("dict_open %s: opened, should fail", spec);
    if (strstr(err, why_part) == NULL)
        fail_msg("dict_open %s: \"%s\", want \"%s\"", spec, err, why_part);
    free(err);
}

/* The value of key, or NULL if not found; errors fail the test. */
static const char *get(struct dict *d, const char *key)
{
    const char *value = NULL;
    char *err = NULL;
    int r = dict_lookup(d, key, &value, &err);

    if (r < 0)
        fail_msg("dict_lookup %s: %s", key, err);
    return r ? value : NULL;
}

static void build_db(const char *type, const char *path, const char *const *kv)
{
    struct dict_db_writer *w;
    char *err = NULL;

    (void)unlink(path);
    if (dict_db_create(type, path, &w, &err) < 0)
        fail_msg("%s", err);
    for (; kv[0]; kv += 2)
        assert_true(dict_db_put(w, kv[0], kv[1], &err) >= 0);
    if (dict_db_finish(w, &err) < 0)
        fail_msg("%s", err);
}

static void test_hash_and_btree(void **state UNUSED)
{
    static const char *const kv[] = {
        "alice@example.com", "alice", "@example.com", "catch", "empty", "", NULL};
    static const char *const types[] = {"hash", "btree"};
    char spec[PATH_MAX + 32], *err = NULL;
    struct dict_db_writer *w;
    size_t i;

    for (i = 0; i < COUNTOF(types); i++) {
        struct dict *d;

        build_db(types[i], at("t.db"), kv);
        snprintf(spec, sizeof(spec), "%s:%s", types[i], at("t"));
        d = open_ok(spec);
        assert_string_equal(get(d, "alice@example.com"), "alice");
        assert_string_equal(get(d, "ALICE@Example.COM"), "alice"); /* folded */
        assert_string_equal(get(d, "@example.com"), "catch");
        assert_string_equal(get(d, "empty"), "");
        assert_null(get(d, "bob@example.com"));
        {
            uid_t uid = 12345;

            assert_int_equal(dict_owner(d, &uid), 0);
            assert_int_equal(uid, geteuid()); /* who made the file */
        }
        dict_close(d);
    }
    /* A second entry for a key is refused; the first stays. */
    (void)unlink(at("dup.db"));
    assert_int_equal(dict_db_create("hash", at("dup.db"), &w, &err), 0);
    assert_int_equal(dict_db_put(w, "k", "first", &err), 0);
    assert_int_equal(dict_db_put(w, "k", "second", &err), 1);
    assert_int_equal(dict_db_finish(w, &err), 0);
    /* The file must be new: an existing one is never written into. */
    assert_int_equal(dict_db_create("hash", at("dup.db"), &w, &err), -1);
    free(err);
    open_fails("hash:/nonexistent/table", "open /nonexistent/table.db");
}

/* Keys stored without their NUL (as some tools build them) are found too. */
static void test_db_without_nul(void **state UNUSED)
{
    DB *db;
    DBT k, v;
    char spec[PATH_MAX + 32];
    struct dict *d;

    (void)unlink(at("nonul.db"));
    assert_int_equal(db_create(&db, NULL, 0), 0);
    assert_int_equal(db->open(db, NULL, at("nonul.db"), NULL, DB_HASH, DB_CREATE, 0600), 0);
    memset(&k, 0, sizeof(k));
    memset(&v, 0, sizeof(v));
    k.data = "key";
    k.size = 3;
    v.data = "value";
    v.size = 5;
    assert_int_equal(db->put(db, NULL, &k, &v, 0), 0);
    assert_int_equal(db->close(db, 0), 0);
    snprintf(spec, sizeof(spec), "hash:%s", at("nonul"));
    d = open_ok(spec);
    assert_string_equal(get(d, "key"), "value");
    dict_close(d);
}

static void test_texthash(void **state UNUSED)
{
    char spec[PATH_MAX + 32];
    struct dict *d;

    unit_write_text(at("text"), "# users\nAlice alice@mail\nbob bob,\n  more\nalice second\n");
    snprintf(spec, sizeof(spec), "texthash:%s", at("text"));
    d = open_ok(spec);
    assert_string_equal(get(d, "alice"), "alice@mail"); /* the first of two */
    assert_string_equal(get(d, "BOB"), "bob, more");
    assert_null(get(d, "carol"));
    dict_close(d);
    unit_write_text(at("badtext"), "ok yes\nbroken\n");
    snprintf(spec, sizeof(spec), "texthash:%s", at("badtext"));
    open_fails(spec, "badtext, line 2: expected \"key whitespace value\"");
    open_fails("texthash:/nonexistent", "open /nonexistent");
}

static void test_static_and_inline(void **state UNUSED)
{
    struct dict *d = open_ok("static:OK");

    assert_string_equal(get(d, "anything"), "OK");
    dict_close(d);
    d = open_ok("static:{two words}");
    assert_string_equal(get(d, "x"), "two words");
    dict_close(d);
    d = open_ok("inline:{ Key1=v1, key2=v2,{k3 = v three, with comma} }");
    assert_string_equal(get(d, "key1"), "v1");
    assert_string_equal(get(d, "KEY2"), "v2");
    assert_string_equal(get(d, "K3"), "v three, with comma");
    assert_null(get(d, "key4"));
    dict_close(d);
    /* The fuzzer's find: blanks before a braced key once made the value overrun. */
    d = open_ok("inline:{{   k4 =  v4  }}");
    assert_string_equal(get(d, "k4"), "v4");
    dict_close(d);
    /* White space needs braces: "k = v" is three items, and "k" has no value. */
    open_fails("inline:{k = v}", "expected {key=value, ...}");
    open_fails("inline:{a=1, b}", "expected {key=value, ...}");
    open_fails("inline:a=1", "expected inline:{key=value, ...}");
    open_fails("inline:{{a=1}", "missing '}'");
}

/* A table of type ("regexp" or "pcre") written from text; the spec in spec_r. */
static struct dict *open_rules(const char *type, const char *file, const char *text, char *spec_r,
                               size_t size)
{
    unit_write_text(at(file), text);
    snprintf(spec_r, size, "%s:%s", type, at(file));
    return open_ok(spec_r);
}

/* The grammar both pattern tables share (dict_pattern.c), with either engine. */
static void test_regexp_and_pcre(void **state UNUSED)
{
    static const char *const types[] = {"regexp", "pcre"};
    char spec[PATH_MAX + 32];
    struct dict *d;

    for (size_t t = 0; t < COUNTOF(types); t++) {
        d = open_rules(types[t], "re",
                       "# Postfix's regexp_table(5)\n"
                       "/^(.*)\\+(.*)@example\\.com$/ $1 ext=$2 ${1}$$\n"
                       "/^CaseSensitive$/i exact\n"
                       "!/@/ no domain $1\n"
                       "if /@corp\\.example$/\n"
                       "if !/^ceo@/\n"
                       "/^(cfo)@/ finance $1\n"
                       "endif\n"
                       "/^ceo@/ boss\n"
                       "endif\n"
                       "|@other\\.|  at-delim\n"
                       "/^x\\/y@/ slash  \n"
                       "/^multi@/\n"
                       "  continued line\n"
                       "/x/ never\n",
                       spec, sizeof(spec));
        assert_string_equal(get(d, "Bob+Lists@Example.COM"), "Bob ext=Lists Bob$");
        assert_string_equal(get(d, "CaseSensitive"), "exact");
        assert_null(get(d, "casesensitive@y")); /* 'i' turned case-insensitivity off */
        assert_string_equal(get(d, "nodomain"), "no domain "); /* no groups in a ! rule */
        assert_string_equal(get(d, "ceo@corp.example"), "boss");
        assert_string_equal(get(d, "cfo@corp.example"), "finance cfo"); /* nested if */
        assert_string_equal(get(d, "ceo@other.example"), "at-delim");   /* skipped the if block */
        assert_string_equal(get(d, "cto@corp.example"), "never");       /* the blocks had nothing */
        assert_string_equal(get(d, "x/y@z"), "slash");                  /* \/ and trailing blanks */
        assert_string_equal(get(d, "multi@z"), "continued line");
        dict_close(d);
    }

    static const struct {
        const char *text, *why;
    } bad[] = {
        {"/a/ ok\n/b/\n", "line 2: expected \"/pattern/ result\""},
        {"/a/q ok\n", "line 1: unknown pattern flag"},
        {"/a ok\n", "line 1: missing the closing delimiter"},
        {"/a\\/ ok\n", "line 1: missing the closing delimiter"},
        {"a b\n", "line 1: expected /pattern/"},
        {"/(/ x\n", "line 1: "},
        {"# one\n\n/a/ x\n/(/ x\n", "line 4: "},
        {"if /a/\n/b/ c\n", "line 1: if without endif"},
        {"if /a/\nif /b/\nendif\n/b/ c\n", "line 1: if without endif"},
        {"endif\n", "line 1: endif without if"},
        {"if /a/ junk\nendif\n", "line 1: text after the pattern of an if"},
        {"if /(/\nendif\n", "line 1: "},
    };
    for (size_t t = 0; t < COUNTOF(types); t++) {
        for (size_t i = 0; i < COUNTOF(bad); i++) {
            char why[PATH_MAX + 64];

            unit_write_text(at("badre"), bad[i].text);
            snprintf(spec, sizeof(spec), "%s:%s", types[t], at("badre"));
            snprintf(why, sizeof(why), "%s, %s", at("badre"), bad[i].why);
            open_fails(spec, why); /* names the file and the line */
        }
    }
}

/* What PCRE has and POSIX has not, and pcre_table(5)'s flags. */
static void test_pcre(void **state UNUSED)
{
    char spec[PATH_MAX + 32];
    struct dict *d;

    d = open_rules("pcre", "pcre",
                   "/^(\\d+)\\.(\\d+)$/ number $2.$1\n"
                   "/^(?!owner-)(.*)-outgoing@(.*)$/ 550 Use ${1}@${2} instead\n"
                   "/^(.+?)-.*@lazy$/ first $1\n"
                   "/^(a+)(a*)@ungreedy$/U short $1\n"
                   "/^Exact$/i exact\n"
                   "/^dot.all$/ dotall\n"
                   "/^no.dot$/s nodot\n"
                   "/^second$/m multiline\n"
                   "/ spaced \\  out /x extended\n"
                   "/b@anchored/A anchored\n"
                   "/^(x)|(y)$/X either $1$2\n"
                   "if !/\\d/\n"
                   "/^(?<name>\\w+)@plain$/ word $1\n"
                   "endif\n",
                   spec, sizeof(spec));
    assert_string_equal(get(d, "12.34"), "number 34.12");
    assert_string_equal(get(d, "list-outgoing@example.com"), "550 Use list@example.com instead");
    assert_null(get(d, "owner-list-outgoing@example.com")); /* the lookahead */
    assert_string_equal(get(d, "a-b-c@lazy"), "first a");
    assert_string_equal(get(d, "aaa@ungreedy"), "short a"); /* U: (a+) takes the least */
    assert_string_equal(get(d, "Exact"), "exact");
    assert_null(get(d, "exact"));                      /* i toggled caselessness off */
    assert_string_equal(get(d, "DOT\nALL"), "dotall"); /* s and i are on by default */
    assert_null(get(d, "no\ndot"));
    assert_string_equal(get(d, "first\nsecond"), "multiline");
    assert_string_equal(get(d, "spaced out"), "extended");
    assert_string_equal(get(d, "b@anchored"), "anchored");
    assert_null(get(d, "ab@anchored"));
    assert_string_equal(get(d, "y"), "either y"); /* an unset group is empty */
    assert_string_equal(get(d, "joe@plain"), "word joe");
    assert_null(get(d, "joe9@plain"));
    dict_close(d);

    /* Compile errors say what PCRE2 said, at the file and line. */
    unit_write_text(at("badpcre"), "/ok/ ok\n/(ab/ x\n");
    snprintf(spec, sizeof(spec), "pcre:%s", at("badpcre"));
    {
        char why[PATH_MAX + 64];

        snprintf(why, sizeof(why), "%s, line 2: ", at("badpcre"));
        open_fails(spec, why);
        open_fails(spec, "missing closing parenthesis at offset 3");
    }
}

/*
 * A pattern that backtracks exponentially on a key an attacker chooses
 * fails the lookup (a temporary error) at the match limit instead of
 * spinning; the rules before it still answer.
 */
static void test_pcre_match_limit(void **state UNUSED)
{
    char spec[PATH_MAX + 32], key[64], *err = NULL;
    const char *value = NULL;
    struct dict *d;

    d = open_rules("pcre", "slow", "/^ok$/ fine\n# a classic\n/^(a+)+$/ slow\n", spec,
                   sizeof(spec));
    memset(key, 'a', 40);
    key[40] = 'b';
    key[41] = 0;
    assert_int_equal(dict_lookup(d, key, &value, &err), -1);
    assert_non_null(strstr(err, ", line 3: "));
    assert_non_null(strstr(err, "limit"));
    free(err);
    assert_string_equal(get(d, "ok"), "fine");
    assert_string_equal(get(d, "aaaa"), "slow");
    dict_close(d);
}

static void test_bad_names(void **state UNUSED)
{
    open_fails("nocolon", "expected \"type:name\"");
    open_fails(":x", "expected \"type:name\"");
    open_fails("ldap:/etc/x", "unknown table type \"ldap\"");
    assert_true(dict_type_known("hash"));
    assert_true(dict_type_known("regexp"));
    assert_true(dict_type_known("pcre"));
    assert_false(dict_type_known("ldap"));
}

static void test_no_fold(void **state UNUSED)
{
    struct dict *d = NULL;
    char *err = NULL;
    const char *v;

    assert_int_equal(dict_open("inline:{Key=v}", 0, &d, &err), 0);
    assert_int_equal(dict_lookup(d, "Key", &v, &err), 1);
    assert_int_equal(dict_lookup(d, "key", &v, &err), 0);
    dict_close(d);
}

/*
 * postern-map renames a new file over the old one: a reader notices at the
 * next lookup a second later, and a broken replacement leaves the old
 * contents answering.
 */
static void test_reopen_after_replace(void **state UNUSED)
{
    static const char *const v1[] = {"k", "one", NULL};
    static const char *const v2[] = {"k", "two", NULL};
    char spec[PATH_MAX + 32];
    struct dict *d;

    build_db("hash", at("live.db"), v1);
    snprintf(spec, sizeof(spec), "hash:%s", at("live"));
    d = open_ok(spec);
    assert_string_equal(get(d, "k"), "one");
    build_db("hash", at("live.new"), v2);
    assert_int_equal(rename(at("live.new"), at("live.db")), 0);
    usleep(1100 * 1000);
    assert_string_equal(get(d, "k"), "two");
    /* A broken file in its place: the last good contents go on answering. */
    unit_write_text(at("live.new"), "not a database");
    assert_int_equal(rename(at("live.new"), at("live.db")), 0);
    usleep(1100 * 1000);
    assert_string_equal(get(d, "k"), "two");
    dict_close(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_and_btree),   cmocka_unit_test(test_db_without_nul),
        cmocka_unit_test(test_texthash),         cmocka_unit_test(test_static_and_inline),
        cmocka_unit_test(test_regexp_and_pcre),  cmocka_unit_test(test_pcre),
        cmocka_unit_test(test_pcre_match_limit), cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_no_fold),          cmocka_unit_test(test_reopen_after_replace),
    };

    unit_init("test_dict");
    return cmocka_run_group_tests(tests, setup, teardown);
}
