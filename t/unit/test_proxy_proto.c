/*
 * test_proxy_proto.c - the proxymap service's messages (proxy_proto.h):
 * round trips of every request type and every reply status, keys and
 * tables at their limits, and the strict reader refusing unknown request
 * names and statuses, unknown and duplicate attributes, a request without
 * what its type needs or with what it must not carry, missing or negative
 * flags, oversized keys and tables, an ok lookup without its value, an ok
 * passwd without its account, and every truncation.
 */
#include "unit.h"
#include "attr.h"
#include "buf.h"
#include "proxy_proto.h"

static void payload_of(const struct buf *b, const unsigned char **p, size_t *len)
{
    size_t frame_len;

    assert_int_equal(attr_frame_peek(b, p, len, &frame_len), 1);
    assert_int_equal(frame_len, b->len);
}

static void assert_str_or_null(const char *got, const char *want)
{
    if (want == NULL)
        assert_null(got);
    else
        assert_string_equal(got, want);
}

static void request_round_trip(const struct proxy_request *in)
{
    struct proxy_request out;
    const unsigned char *p;
    const char *why = NULL;
    struct buf b;
    size_t len;

    buf_init(&b, PROXY_REQUEST_MAX + 4);
    proxy_request_encode(&b, in);
    payload_of(&b, &p, &len);
    assert_true(len <= PROXY_REQUEST_MAX);
    if (proxy_request_decode(p, len, &out, &why) < 0)
        fail_msg("decode %s: %s", proxy_request_name(in->type), why);
    assert_int_equal(out.type, in->type);
    assert_int_equal(out.flags, in->flags);
    assert_str_or_null(out.table, in->table);
    assert_str_or_null(out.key, in->key);
    buf_free(&b);
}

static void test_request_round_trip(void **state UNUSED)
{
    static char key[DICT_KEY_MAX + 1], table[PROXY_TABLE_MAX + 1];
    const struct proxy_request in[] = {
        {PROXY_OPEN, "hash:/etc/postern/aliases", DICT_FLAG_FOLD, NULL},
        {PROXY_OPEN, "texthash:/etc/postern/relay", 0, NULL},
        {PROXY_LOOKUP, "hash:/etc/postern/aliases", DICT_FLAG_FOLD, "postmaster"},
        {PROXY_LOOKUP, "pcre:/etc/postern/checks", INT_MAX, ""},
        {PROXY_LOOKUP, table, 0, key},
        {PROXY_PASSWD, NULL, 0, "alice"},
        {PROXY_PASSWD, NULL, DICT_FLAG_FOLD, key},
    };
    size_t i;

    memset(key, 'k', DICT_KEY_MAX);
    memcpy(table, "hash:/", 6);
    memset(table + 6, 't', PROXY_TABLE_MAX - 6);
    for (i = 0; i < COUNTOF(in); i++)
        request_round_trip(&in[i]);
    assert_string_equal(proxy_request_name(PROXY_OPEN), "open");
    assert_string_equal(proxy_request_name(PROXY_LOOKUP), "lookup");
    assert_string_equal(proxy_request_name(PROXY_PASSWD), "passwd");
    assert_string_equal(proxy_request_name((enum proxy_request_type)7), "unknown");
}

static void reply_round_trip(const struct proxy_reply *in, enum proxy_request_type type)
{
    struct proxy_reply out;
    const unsigned char *p;
    const char *why = NULL;
    struct buf b;
    size_t len;

    buf_init(&b, PROXY_REPLY_MAX + 4);
    proxy_reply_encode(&b, in);
    payload_of(&b, &p, &len);
    assert_true(len <= PROXY_REPLY_MAX);
    if (proxy_reply_decode(p, len, type, &out, &why) < 0)
        fail_msg("decode reply %d to %s: %s", in->status, proxy_request_name(type), why);
    assert_int_equal(out.status, in->status);
    assert_str_or_null(out.value, in->value);
    assert_str_or_null(out.reason, in->reason);
    assert_str_or_null(out.home, in->home);
    assert_str_or_null(out.shell, in->shell);
    assert_int_equal(out.uid, in->uid);
    assert_int_equal(out.gid, in->gid);
    buf_free(&b);
}

static void test_reply_round_trip(void **state UNUSED)
{
    static char value[DICT_VALUE_MAX + 1], reason[PROXY_REASON_MAX + 1];
    static char home[PROXY_PATH_MAX + 1], shell[PROXY_PATH_MAX + 1];
    const struct proxy_reply ok_open = {PROXY_OK, NULL, NULL, 0, 0, NULL, NULL};
    const struct proxy_reply ok_lookup = {PROXY_OK, "alice@corp.example", NULL, 0, 0, NULL, NULL};
    const struct proxy_reply ok_empty = {PROXY_OK, "", NULL, 0, 0, NULL, NULL};
    const struct proxy_reply ok_big = {PROXY_OK, value, NULL, 0, 0, NULL, NULL};
    const struct proxy_reply ok_passwd = {PROXY_OK, NULL,          NULL,     1001,
                                          1002,     "/home/alice", "/bin/sh"};
    const struct proxy_reply ok_root = {PROXY_OK, NULL, NULL, 0, 0, "/", ""};
    const struct proxy_reply ok_max = {PROXY_OK,       NULL, NULL, UINT32_MAX - 1,
                                       UINT32_MAX - 1, home, shell};
    const struct proxy_reply notfound = {PROXY_NOTFOUND, NULL, NULL, 0, 0, NULL, NULL};
    const struct proxy_reply retry = {PROXY_RETRY, NULL, "hash:/x: cannot open", 0, 0, NULL, NULL};
    const struct proxy_reply retry_big = {PROXY_RETRY, NULL, reason, 0, 0, NULL, NULL};
    const struct proxy_reply denied = {PROXY_DENIED, NULL, "not in proxy_read_maps", 0, 0,
                                       NULL,         NULL};
    /* What proxymap sends for an unknown account: empty home and shell. */
    const struct proxy_reply unknown = {PROXY_NOTFOUND, NULL, NULL, 0, 0, "", ""};
    int t;

    memset(value, 'v', DICT_VALUE_MAX);
    memset(reason, 'r', PROXY_REASON_MAX);
    memset(home, 'h', PROXY_PATH_MAX);
    memset(shell, 's', PROXY_PATH_MAX);
    reply_round_trip(&ok_open, PROXY_OPEN);
    reply_round_trip(&ok_lookup, PROXY_LOOKUP);
    reply_round_trip(&ok_empty, PROXY_LOOKUP);
    reply_round_trip(&ok_big, PROXY_LOOKUP);
    reply_round_trip(&ok_passwd, PROXY_PASSWD);
    reply_round_trip(&ok_root, PROXY_PASSWD);
    reply_round_trip(&ok_max, PROXY_PASSWD);
    reply_round_trip(&unknown, PROXY_PASSWD);
    for (t = PROXY_OPEN; t <= PROXY_PASSWD; t++) {
        reply_round_trip(&notfound, (enum proxy_request_type)t);
        reply_round_trip(&retry, (enum proxy_request_type)t);
        reply_round_trip(&retry_big, (enum proxy_request_type)t);
        reply_round_trip(&denied, (enum proxy_request_type)t);
    }
}

/* A request built attribute by attribute, to say what is wrong with it. */
struct bad_request {
    const char *request, *table, *key;
    long long flags;
    bool no_flags, str_flags, dup_table, dup_flags;
    const char *extra;
};

static int decode_built(const struct bad_request *r)
{
    struct proxy_request out;
    const char *why = NULL;
    struct buf b;
    int ret;

    buf_init(&b, 2 * PROXY_REQUEST_MAX);
    if (r->request)
        attr_put_str(&b, "request", r->request);
    if (r->table)
        attr_put_str(&b, "table", r->table);
    if (r->dup_table)
        attr_put_str(&b, "table", "hash:/etc/postern/other");
    if (r->str_flags)
        attr_put_str(&b, "flags", "1");
    else if (!r->no_flags)
        attr_put_int(&b, "flags", r->flags);
    if (r->dup_flags)
        attr_put_int(&b, "flags", 1);
    if (r->key)
        attr_put_str(&b, "key", r->key);
    if (r->extra)
        attr_put_str(&b, r->extra, "x");
    ret = proxy_request_decode(b.data, b.len, &out, &why);
    if (ret < 0)
        assert_non_null(why);
    buf_free(&b);
    return ret;
}

#define T "hash:/etc/postern/aliases"

static void test_strict_request(void **state UNUSED)
{
    static char long_key[DICT_KEY_MAX + 2], max_key[DICT_KEY_MAX + 1];
    static char long_table[PROXY_TABLE_MAX + 2], max_table[PROXY_TABLE_MAX + 1];
    const struct bad_request good[] = {
        {"open", T, NULL, 1, false, false, false, false, NULL},
        {"lookup", T, "alice", 0, false, false, false, false, NULL},
        {"passwd", NULL, "alice", 0, false, false, false, false, NULL},
        {"lookup", max_table, max_key, 0, false, false, false, false, NULL},
        {"lookup", T, "a", INT_MAX, false, false, false, false, NULL},
    };
    const struct bad_request bad[] = {
        /* request names */
        {NULL, T, "alice", 0, false, false, false, false, NULL},
        {"get", T, "alice", 0, false, false, false, false, NULL},
        {"LOOKUP", T, "alice", 0, false, false, false, false, NULL},
        {"lookups", T, "alice", 0, false, false, false, false, NULL},
        {"", T, "alice", 0, false, false, false, false, NULL},
        /* unknown and duplicate attributes */
        {"lookup", T, "alice", 0, false, false, false, false, "value"},
        {"lookup", T, "alice", 0, false, false, false, false, "tables"},
        {"lookup", T, "alice", 0, false, false, true, false, NULL},
        {"lookup", T, "alice", 0, false, false, false, true, NULL},
        /* what each type needs, and nothing else */
        {"lookup", T, NULL, 0, false, false, false, false, NULL},
        {"lookup", NULL, "alice", 0, false, false, false, false, NULL},
        {"open", T, "alice", 0, false, false, false, false, NULL},
        {"open", NULL, NULL, 0, false, false, false, false, NULL},
        {"passwd", T, "alice", 0, false, false, false, false, NULL},
        {"passwd", NULL, NULL, 0, false, false, false, false, NULL},
        /* flags */
        {"lookup", T, "alice", 0, true, false, false, false, NULL},
        {"open", T, NULL, 0, true, false, false, false, NULL},
        {"passwd", NULL, "alice", 0, true, false, false, false, NULL},
        {"lookup", T, "alice", 0, false, true, false, false, NULL},
        {"lookup", T, "alice", -1, false, false, false, false, NULL},
        {"lookup", T, "alice", LLONG_MIN, false, false, false, false, NULL},
        {"lookup", T, "alice", (long long)INT_MAX + 1, false, false, false, false, NULL},
        /* sizes */
        {"lookup", T, long_key, 0, false, false, false, false, NULL},
        {"passwd", NULL, long_key, 0, false, false, false, false, NULL},
        {"lookup", long_table, "alice", 0, false, false, false, false, NULL},
        {"open", long_table, NULL, 0, false, false, false, false, NULL},
    };
    size_t i;

    memset(long_key, 'k', DICT_KEY_MAX + 1);
    memset(max_key, 'k', DICT_KEY_MAX);
    memcpy(long_table, "hash:/", 6);
    memset(long_table + 6, 't', PROXY_TABLE_MAX + 1 - 6);
    memcpy(max_table, "hash:/", 6);
    memset(max_table + 6, 't', PROXY_TABLE_MAX - 6);
    for (i = 0; i < COUNTOF(good); i++)
        if (decode_built(&good[i]) < 0)
            fail_msg("good request %zu refused", i);
    for (i = 0; i < COUNTOF(bad); i++)
        if (decode_built(&bad[i]) == 0)
            fail_msg("bad request %zu accepted", i);
}

/* A reply built attribute by attribute. */
struct bad_reply {
    const char *status, *value, *home, *shell;
    long long uid, gid;
    bool no_uid, no_gid;
    const char *extra;
};

static int decode_reply_built(const struct bad_reply *r, enum proxy_request_type type)
{
    struct proxy_reply out;
    const char *why = NULL;
    struct buf b;
    int ret;

    buf_init(&b, 1024);
    if (r->status)
        attr_put_str(&b, "status", r->status);
    if (r->value)
        attr_put_str(&b, "value", r->value);
    if (!r->no_uid)
        attr_put_int(&b, "uid", r->uid);
    if (!r->no_gid)
        attr_put_int(&b, "gid", r->gid);
    if (r->home)
        attr_put_str(&b, "home", r->home);
    if (r->shell)
        attr_put_str(&b, "shell", r->shell);
    if (r->extra)
        attr_put_str(&b, r->extra, "x");
    ret = proxy_reply_decode(b.data, b.len, type, &out, &why);
    if (ret < 0)
        assert_non_null(why);
    buf_free(&b);
    return ret;
}

static void test_strict_reply(void **state UNUSED)
{
    const long long big = (long long)UINT32_MAX + 1;
    const struct {
        struct bad_reply r;
        enum proxy_request_type type;
    } good[] =
        {
            {{"ok", NULL, NULL, NULL, 0, 0, false, false, NULL}, PROXY_OPEN},
            {{"ok", "v", NULL, NULL, 0, 0, false, false, NULL}, PROXY_LOOKUP},
            {{"ok", NULL, "/home/a", "/bin/sh", 1, 2, false, false, NULL}, PROXY_PASSWD},
            {{"notfound", NULL, NULL, NULL, 0, 0, false, false, NULL}, PROXY_LOOKUP},
            {{"notfound", NULL, NULL, NULL, -1, big, false, false, NULL}, PROXY_PASSWD},
            {{"retry", NULL, NULL, NULL, 0, 0, false, false, NULL}, PROXY_PASSWD},
            {{"denied", NULL, NULL, NULL, 0, 0, false, false, NULL}, PROXY_OPEN},
        },
      bad[] = {
          /* statuses */
          {{NULL, "v", NULL, NULL, 0, 0, false, false, NULL}, PROXY_LOOKUP},
          {{"maybe", "v", NULL, NULL, 0, 0, false, false, NULL}, PROXY_LOOKUP},
          {{"OK", "v", NULL, NULL, 0, 0, false, false, NULL}, PROXY_LOOKUP},
          {{"", NULL, NULL, NULL, 0, 0, false, false, NULL}, PROXY_OPEN},
          /* unknown attributes, missing uid or gid */
          {{"ok", "v", NULL, NULL, 0, 0, false, false, "values"}, PROXY_LOOKUP},
          {{"notfound", NULL, NULL, NULL, 0, 0, true, false, NULL}, PROXY_LOOKUP},
          {{"notfound", NULL, NULL, NULL, 0, 0, false, true, NULL}, PROXY_LOOKUP},
          /* an ok lookup without its value */
          {{"ok", NULL, NULL, NULL, 0, 0, false, false, NULL}, PROXY_LOOKUP},
          /* an ok passwd without its account, or with IDs out of range */
          {{"ok", NULL, NULL, "/bin/sh", 1, 2, false, false, NULL}, PROXY_PASSWD},
          {{"ok", NULL, "/home/a", NULL, 1, 2, false, false, NULL}, PROXY_PASSWD},
          {{"ok", NULL, NULL, NULL, 1, 2, false, false, NULL}, PROXY_PASSWD},
          {{"ok", NULL, "/home/a", "/bin/sh", -1, 2, false, false, NULL}, PROXY_PASSWD},
          {{"ok", NULL, "/home/a", "/bin/sh", 1, -1, false, false, NULL}, PROXY_PASSWD},
          {{"ok", NULL, "/home/a", "/bin/sh", big, 2, false, false, NULL}, PROXY_PASSWD},
          {{"ok", NULL, "/home/a", "/bin/sh", 1, big, false, false, NULL}, PROXY_PASSWD},
          /* (uid_t)-1 means "no change" to setresuid(): never an account's ID */
          {{"ok", NULL, "/home/a", "/bin/sh", big - 1, 2, false, false, NULL}, PROXY_PASSWD},
          {{"ok", NULL, "/home/a", "/bin/sh", 1, big - 1, false, false, NULL}, PROXY_PASSWD},
          {{"ok", NULL, "/home/a", "/bin/sh", LLONG_MIN, 2, false, false, NULL}, PROXY_PASSWD},
          {{"ok", NULL, "/home/a", "/bin/sh", LLONG_MAX, 2, false, false, NULL}, PROXY_PASSWD},
      };
    size_t i;

    for (i = 0; i < COUNTOF(good); i++)
        if (decode_reply_built(&good[i].r, good[i].type) < 0)
            fail_msg("good reply %zu refused", i);
    for (i = 0; i < COUNTOF(bad); i++)
        if (decode_reply_built(&bad[i].r, bad[i].type) == 0)
            fail_msg("bad reply %zu accepted", i);
}

/* Oversized strings in a reply: a value, a reason, a home. */
static void test_reply_limits(void **state UNUSED)
{
    static char value[DICT_VALUE_MAX + 2], reason[PROXY_REASON_MAX + 2];
    static char home[PROXY_PATH_MAX + 2];
    struct proxy_reply out;
    const char *why = NULL;
    struct buf b;

    memset(value, 'v', DICT_VALUE_MAX + 1);
    memset(reason, 'r', PROXY_REASON_MAX + 1);
    memset(home, 'h', PROXY_PATH_MAX + 1);
    buf_init(&b, 2 * PROXY_REPLY_MAX);
    attr_put_str(&b, "status", "ok");
    attr_put_str(&b, "value", value);
    attr_put_int(&b, "uid", 0);
    attr_put_int(&b, "gid", 0);
    assert_int_equal(proxy_reply_decode(b.data, b.len, PROXY_LOOKUP, &out, &why), -1);
    buf_reset(&b);
    attr_put_str(&b, "status", "retry");
    attr_put_str(&b, "reason", reason);
    attr_put_int(&b, "uid", 0);
    attr_put_int(&b, "gid", 0);
    assert_int_equal(proxy_reply_decode(b.data, b.len, PROXY_LOOKUP, &out, &why), -1);
    buf_reset(&b);
    attr_put_str(&b, "status", "ok");
    attr_put_int(&b, "uid", 0);
    attr_put_int(&b, "gid", 0);
    attr_put_str(&b, "home", home);
    attr_put_str(&b, "shell", "/bin/sh");
    assert_int_equal(proxy_reply_decode(b.data, b.len, PROXY_PASSWD, &out, &why), -1);
    buf_free(&b);
}

static void test_truncation(void **state UNUSED)
{
    const struct proxy_request req = {PROXY_LOOKUP, T, DICT_FLAG_FOLD, "postmaster"};
    const struct proxy_reply reply = {PROXY_OK, NULL, NULL, 1001, 1002, "/home/a", "/bin/sh"};
    struct proxy_request rout;
    struct proxy_reply out;
    const unsigned char *p;
    const char *why;
    struct buf b;
    size_t len, cut;

    buf_init(&b, 1024);
    proxy_request_encode(&b, &req);
    payload_of(&b, &p, &len);
    for (cut = 0; cut < len; cut++) {
        why = NULL;
        if (proxy_request_decode(p, cut, &rout, &why) == 0)
            fail_msg("request truncated at %zu accepted", cut);
        assert_non_null(why);
    }
    buf_reset(&b);
    proxy_reply_encode(&b, &reply);
    payload_of(&b, &p, &len);
    for (cut = 0; cut < len; cut++) {
        why = NULL;
        if (proxy_reply_decode(p, cut, PROXY_PASSWD, &out, &why) == 0)
            fail_msg("reply truncated at %zu accepted", cut);
        assert_non_null(why);
    }
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_round_trip), cmocka_unit_test(test_reply_round_trip),
        cmocka_unit_test(test_strict_request),     cmocka_unit_test(test_strict_reply),
        cmocka_unit_test(test_reply_limits),       cmocka_unit_test(test_truncation),
    };

    unit_init("test_proxy_proto");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
