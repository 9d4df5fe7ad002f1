/*
 * test_maildrop.c - maildrop files: postdrop's records followed by the
 * stream sendmail writes make a queue file that qfile_parse() reads, and
 * maildrop_check() refuses what a user may not put there (another uid, a
 * second time record, attributes, delivered or original recipients, too
 * much content) while the one queue file parser refuses broken framing.
 */
#include "unit.h"
#include "maildrop.h"
#include "byteorder.h"

/* postdrop's part: version, time and the uid. */
static void postdrop_part(struct buf *b, const char *uid)
{
    maildrop_put(b, QFILE_REC_VERSION, QFILE_VERSION, strlen(QFILE_VERSION));
    maildrop_put(b, QFILE_REC_TIME, "1700000000 5", 12);
    maildrop_put_attr(b, MAILDROP_ATTR_UID, uid);
}

/* sendmail's part, with extra records after the sender. */
static void sendmail_part(struct buf *b, void (*extra)(struct buf *), const char *content)
{
    maildrop_put(b, QFILE_REC_SENDER, "alice@example.com", 17);
    if (extra)
        extra(b);
    maildrop_put_rcpt(b, "bob@example.com", QFILE_NOTIFY_FAILURE);
    maildrop_put_content(b, strlen(content));
    assert_int_equal(buf_puts(b, content), 0);
    maildrop_put(b, QFILE_REC_END, "", 0);
}

/* 0: accepted; 1: refused by maildrop_check (too big: 2); -1: by the parser. */
static int judge(void (*extra)(struct buf *), const char *uid, uid_t owner, long long limit)
{
    struct buf b;
    struct qmsg q;
    const char *why;
    bool too_big;
    int r;

    buf_init(&b, 1 << 20);
    postdrop_part(&b, uid);
    sendmail_part(&b, extra, "Subject: x\n\nbody\n");
    if (qfile_parse(b.data, b.len, &q, &why) < 0) {
        buf_free(&b);
        return -1;
    }
    r = maildrop_check(&q, owner, limit, &too_big, &why) == 0 ? 0 : too_big ? 2 : 1;
    qmsg_free(&q);
    buf_free(&b);
    return r;
}

static void none(struct buf *b UNUSED)
{
}

static void dsn(struct buf *b)
{
    maildrop_put_attr(b, MAILDROP_ATTR_DSN_RET, "HDRS");
    maildrop_put_attr(b, MAILDROP_ATTR_DSN_ENVID, "abc123");
}

static void second_uid(struct buf *b)
{
    maildrop_put_attr(b, MAILDROP_ATTR_UID, "0");
}

static void other_attr(struct buf *b)
{
    maildrop_put_attr(b, "forwarded_from", "X:1");
}

static void bad_ret(struct buf *b)
{
    maildrop_put_attr(b, MAILDROP_ATTR_DSN_RET, "EVERYTHING");
}

static void twice_ret(struct buf *b)
{
    maildrop_put_attr(b, MAILDROP_ATTR_DSN_RET, "FULL");
    maildrop_put_attr(b, MAILDROP_ATTR_DSN_RET, "HDRS");
}

static void delivered(struct buf *b)
{
    maildrop_put(b, QFILE_REC_RCPT, "D0carol@example.com", 19);
}

static void orcpt(struct buf *b)
{
    maildrop_put(b, QFILE_REC_ORCPT, "rfc822;x@y", 10);
}

static void second_time(struct buf *b)
{
    maildrop_put(b, QFILE_REC_TIME, "1 0", 3);
}

static void version(struct buf *b)
{
    maildrop_put(b, QFILE_REC_VERSION, QFILE_VERSION, strlen(QFILE_VERSION));
}

static void test_rules(void **state UNUSED)
{
    assert_int_equal(judge(none, "1000", 1000, 0), 0);
    assert_int_equal(judge(dsn, "1000", 1000, 0), 0);
    assert_int_equal(judge(none, "1000", 1001, 0), 1); /* another user's uid */
    assert_int_equal(judge(none, "x", 1000, 0), 1);
    assert_int_equal(judge(second_uid, "1000", 1000, 0), 1);
    assert_int_equal(judge(other_attr, "1000", 1000, 0), 1);
    assert_int_equal(judge(bad_ret, "1000", 1000, 0), 1);
    assert_int_equal(judge(twice_ret, "1000", 1000, 0), 1);
    assert_int_equal(judge(delivered, "1000", 1000, 0), 1);
    assert_int_equal(judge(orcpt, "1000", 1000, 0), 1);
    assert_int_equal(judge(none, "1000", 1000, 10), 2);
    assert_int_equal(judge(none, "1000", 1000, 17), 0);
    assert_int_equal(judge(second_time, "1000", 1000, 0), -1);
    assert_int_equal(judge(version, "1000", 1000, 0), -1);
}

static void test_envid(void **state UNUSED)
{
    char long_id[MAILDROP_ENVID_MAX + 2];

    assert_true(maildrop_envid_ok("abc-123"));
    assert_false(maildrop_envid_ok(""));
    assert_false(maildrop_envid_ok("a b"));
    assert_false(maildrop_envid_ok("a\nb"));
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = 0;
    assert_false(maildrop_envid_ok(long_id));
    long_id[MAILDROP_ENVID_MAX] = 0;
    assert_true(maildrop_envid_ok(long_id));
}

static void test_file_max(void **state UNUSED)
{
    assert_true(maildrop_file_max(1000) == 1000 + MAILDROP_ENVELOPE_MAX);
    assert_true(maildrop_file_max(0) == QFILE_MESSAGE_MAX + MAILDROP_ENVELOPE_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_envid),
        cmocka_unit_test(test_file_max),
    };

    unit_init("test_maildrop");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
