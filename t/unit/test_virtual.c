/*
 * test_virtual.c - virtual alias expansion and virtual mailbox lookups:
 * recursive lists with one copy per final address, an address mapped to
 * itself kept, catch-alls and the local forms of our own domains, loops and
 * the recursion and expansion limits refused, values that are not
 * addresses refused, the recipients of a message de-duplicated across
 * lists, and mailbox entries (Maildir or mbox, quota, uid and gid maps,
 * virtual_minimum_uid, paths that would leave the base), table-driven.
 */
#include "unit.h"
#include "mail_addr.h"
#include "mail_params.h"
#include "resolve.h"
#include "virtual.h"

static char dir[PATH_MAX];

static void load(const char *text)
{
    char cf[PATH_MAX + 16];
    char *err = NULL;

    snprintf(cf, sizeof(cf), "%s/main.cf", dir);
    unit_write_text(cf, text);
    if (mail_conf_load(dir, NULL, &err) != 0)
        fail_msg("mail_conf_load: %s", err);
    if (resolve_init(&err) != 0 || virtual_init(&err) != 0)
        fail_msg("init: %s", err);
}

static const char *const aliases =
    "virtual_alias_maps = inline:{"
    " { sales@v.example = alice@v.example, bob@w.example },"
    " { team@v.example = sales@v.example, carol@remote.example, alice@v.example },"
    " { keep@v.example = keep@v.example, copy@remote.example },"
    " { @catch.example = catchall@v.example },"
    " { loop1@v.example = loop2@v.example }, { loop2@v.example = loop1@v.example },"
    " { deep1@v.example = deep2@v.example }, { deep2@v.example = deep3@v.example },"
    " { deep3@v.example = deep4@v.example },"
    " { big@v.example = a@x.example, b@x.example, c@x.example, d@x.example, e@x.example },"
    " { file@v.example = /tmp/file }, { bare@v.example = alice },"
    " { info = root@v.example } }\n"
    "mydestination = local.example\n"
    "virtual_alias_recursion_limit = 2\n"
    "virtual_alias_expansion_limit = 4\n";

static int setup(void **state UNUSED)
{
    unit_mkdtemp(dir, sizeof(dir));
    load(aliases);
    return 0;
}

static int teardown(void **state UNUSED)
{
    unit_rmtree(dir);
    return 0;
}

struct got {
    char text[1024];
    char origs[1024];
};

static void append(char *text, size_t size, const char *word)
{
    size_t len = strlen(text);

    snprintf(text + len, size - len, "%s%s", len ? " " : "", word);
}

static void collect(const char *address, const char *orig, void *ctx)
{
    struct got *g = ctx;

    append(g->text, sizeof(g->text), address);
    append(g->origs, sizeof(g->origs), orig);
}

static void test_expand(void **state UNUSED)
{
    static const struct {
        const char *addr, *want; /* want NULL: an error */
    } rows[] = {
        {"nobody@v.example", "nobody@v.example"},
        {"sales@v.example", "alice@v.example bob@w.example"},
        {"SALES@V.example", "alice@v.example bob@w.example"},
        /* a list of lists: alice once */
        {"team@v.example", "alice@v.example bob@w.example carol@remote.example"},
        {"keep@v.example", "keep@v.example copy@remote.example"},
        {"anyone@catch.example", "catchall@v.example"},
        {"info@local.example", "root@v.example"}, /* a local form, for our domain only */
        {"info@v.example", "info@v.example"},
        {"loop1@v.example", NULL},
        {"deep1@v.example", NULL}, /* one level past the recursion limit */
        {"big@v.example", NULL},   /* five addresses met, the limit is four */
        {"file@v.example", NULL},  /* not an address */
        {"bare@v.example", NULL},
    };
    size_t i;

    for (i = 0; i < COUNTOF(rows); i++) {
        struct got g = {{0}, {0}};
        char *err = NULL;
        int n = virtual_expand(rows[i].addr, collect, &g, &err);

        if (rows[i].want == NULL) {
            if (n != -1 || err == NULL || g.text[0])
                fail_msg("%s: %d \"%s\", want an error", rows[i].addr, n, g.text);
            free(err);
            continue;
        }
        if (n < 1 || strcmp(g.text, rows[i].want) != 0)
            fail_msg("%s: %d \"%s\", want \"%s\" (%s)", rows[i].addr, n, g.text, rows[i].want,
                     err ? err : "");
    }
}

static void test_rcpts(void **state UNUSED)
{
    struct virtual_rcpts v;
    struct got g = {{0}, {0}};
    char *err = NULL;

    virtual_rcpts_init(&v, collect, &g);
    assert_int_equal(virtual_rcpts_add(&v, "sales@v.example", &err), 0);
    assert_int_equal(virtual_rcpts_add(&v, "team@v.example", &err), 0);
    assert_int_equal(virtual_rcpts_add(&v, "alice@V.Example", &err), 0);
    /* The local part's case may matter (RFC 5321): another address. */
    assert_int_equal(virtual_rcpts_add(&v, "Alice@v.example", &err), 0);
    virtual_rcpts_free(&v);
    assert_string_equal(g.text,
                        "alice@v.example bob@w.example carol@remote.example Alice@v.example");
    /* Each with the recipient it came in as. */
    assert_string_equal(g.origs, "sales@v.example sales@v.example team@v.example Alice@v.example");
}

static void test_known(void **state UNUSED)
{
    struct mail_addr a;
    char *err = NULL;

    assert_int_equal(mail_addr_from_internal("sales@v.example", &a), 0);
    assert_int_equal(virtual_alias_known(&a, &err), 1);
    assert_int_equal(mail_addr_from_internal("x@catch.example", &a), 0);
    assert_int_equal(virtual_alias_known(&a, &err), 1);
    assert_int_equal(mail_addr_from_internal("x@v.example", &a), 0);
    assert_int_equal(virtual_alias_known(&a, &err), 0);
}

static void test_no_aliases(void **state UNUSED)
{
    struct got g = {{0}, {0}};
    char *err = NULL;

    load("virtual_alias_maps =\n");
    assert_int_equal(virtual_expand("u@v.example", collect, &g, &err), 1);
    assert_string_equal(g.text, "u@v.example");
    load(aliases);
}

static void test_mailbox(void **state UNUSED)
{
    static const struct {
        const char *addr, *path; /* path NULL: 0 (unknown) or -1 (error) in result */
        bool maildir;
        long long quota, uid, gid;
        int result;
    } rows[] = {
        {"alice@v.example", "/srv/mail/v.example/alice", true, 0, 5000, 5000, 1},
        {"bob@v.example", "/srv/mail/v.example/bob.mbox", false, 0, 5001, 5000, 1},
        {"q@v.example", "/srv/mail/v.example/q", true, 500LL * 1024 * 1024, 5000, 5000, 1},
        {"Alice@V.EXAMPLE", "/srv/mail/v.example/alice", true, 0, 5000, 5000, 1},
        {"nobody@v.example", NULL, false, 0, 0, 0, 0},
        {"root@v.example", NULL, false, 0, 0, 0, -1},  /* uid 0 */
        {"sys@v.example", NULL, false, 0, 0, 0, -1},   /* under virtual_minimum_uid */
        {"abs@v.example", NULL, false, 0, 0, 0, -1},   /* an absolute path */
        {"dots@v.example", NULL, false, 0, 0, 0, -1},  /* leaves the base */
        {"badq@v.example", NULL, false, 0, 0, 0, -1},  /* quota=lots */
        {"nouid@w.example", NULL, false, 0, 0, 0, -1}, /* no uid entry */
    };
    size_t i;

    load("virtual_mailbox_base = /srv/mail\n"
         "virtual_mailbox_maps = inline:{ alice@v.example=v.example/alice/,"
         " bob@v.example=v.example/bob.mbox, { q@v.example = v.example/q/ quota=500M },"
         " root@v.example=v.example/root/, sys@v.example=v.example/sys/,"
         " abs@v.example=/etc/, dots@v.example=v.example/../../etc/,"
         " { badq@v.example = v.example/b/ quota=lots }, nouid@w.example=w.example/n/ }\n"
         "virtual_uid_maps = inline:{ bob@v.example=5001, root@v.example=0, sys@v.example=10,"
         " @v.example=5000 }\n"
         "virtual_gid_maps = static:5000\n");
    for (i = 0; i < COUNTOF(rows); i++) {
        struct virtual_mailbox mb;
        struct mail_addr a;
        char *err = NULL;
        int r;

        assert_int_equal(mail_addr_from_internal(rows[i].addr, &a), 0);
        r = virtual_mailbox_find(&a, &mb, &err);
        if (r != rows[i].result)
            fail_msg("%s: %d, want %d (%s)", rows[i].addr, r, rows[i].result, err ? err : "");
        if (r < 0) {
            assert_non_null(err);
            free(err);
            continue;
        }
        if (r == 0)
            continue;
        assert_string_equal(mb.path, rows[i].path);
        assert_int_equal(mb.maildir, rows[i].maildir);
        assert_int_equal(mb.quota, rows[i].quota);
        assert_int_equal(mb.uid, rows[i].uid);
        assert_int_equal(mb.gid, rows[i].gid);
    }
    /* A relative base is refused when there are mailboxes. */
    {
        char cf[PATH_MAX + 16], *err = NULL;

        snprintf(cf, sizeof(cf), "%s/main.cf", dir);
        unit_write_text(cf, "virtual_mailbox_base = rel\nvirtual_mailbox_maps = inline:{a=b/}\n");
        assert_int_equal(mail_conf_load(dir, NULL, &err), 0);
        assert_int_equal(virtual_init(&err), -1);
        assert_non_null(strstr(err, "virtual_mailbox_base"));
        free(err);
    }
    load(aliases);
}

static void test_sizes(void **state UNUSED)
{
    static const struct {
        const char *text;
        long long want; /* -1: refused */
    } rows[] = {
        {"0", 0},
        {"100", 100},
        {"2K", 2048},
        {"3m", 3145728},
        {"1G", 1 << 30},
        {"", -1},
        {"x", -1},
        {"5T", -1},
        {"1KB", -1},
        {"-1", -1},
        {"99999999999999999999", -1},
        {"9999999999999G", -1},
    };
    size_t i;

    for (i = 0; i < COUNTOF(rows); i++) {
        long long v = -1;
        int r = virtual_parse_size(rows[i].text, &v);

        if (rows[i].want < 0 ? r != -1 : r != 0 || v != rows[i].want)
            fail_msg("\"%s\": %d %lld", rows[i].text, r, v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand),  cmocka_unit_test(test_rcpts),
        cmocka_unit_test(test_known),   cmocka_unit_test(test_no_aliases),
        cmocka_unit_test(test_mailbox), cmocka_unit_test(test_sizes),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
