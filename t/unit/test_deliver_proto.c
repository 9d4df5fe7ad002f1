/*
 * test_deliver_proto.c - the qmgr <-> delivery agent messages: request and
 * reply round trips with several recipients, the strict decoder refusing
 * anything it does not expect (unknown attributes, bad offsets, unknown
 * status, over-long fields), and truncation at every byte.
 */
#include "unit.h"
#include "attr.h"
#include "buf.h"
#include "deliver_proto.h"
#include "mail_addr.h"

/* The payload of the one frame in b. */
static void payload_of(const struct buf *b, const unsigned char **p, size_t *len)
{
    size_t frame_len;

    assert_int_equal(attr_frame_peek(b, p, len, &frame_len), 1);
    assert_int_equal(frame_len, b->len);
}

static void test_request_round_trip(void **state UNUSED)
{
    struct deliver_request in = {0}, out;
    struct buf b;
    const unsigned char *p;
    size_t len, i;
    const char *why = NULL;

    in.queue_name = "local";
    in.queue_id = "12345ABCDEF";
    in.flags = DELIVER_FLAG_RECOVERED;
    in.arrival_sec = 1700000000;
    in.arrival_usec = 999999;
    deliver_request_add(&in, 120, "alice@example.com");
    deliver_request_add(&in, 245, "a b@example.com");
    deliver_request_add(&in, 9000000000LL, "postmaster");
    for (i = 0; i < 20; i++) /* past the first growth of the array */
        deliver_request_add(&in, 10000 + (long long)i, "many@example.com");

    buf_init(&b, 1 << 20);
    deliver_request_encode(&b, &in);
    payload_of(&b, &p, &len);
    if (deliver_request_decode(p, len, &out, &why) != 0)
        fail_msg("decode: %s", why);
    assert_string_equal(out.queue_name, "local");
    assert_string_equal(out.queue_id, "12345ABCDEF");
    assert_true(out.flags == DELIVER_FLAG_RECOVERED);
    assert_true(out.arrival_sec == 1700000000);
    assert_true(out.arrival_usec == 999999);
    assert_int_equal(out.nrcpts, in.nrcpts);
    for (i = 0; i < in.nrcpts; i++) {
        assert_true(out.rcpts[i].offset == in.rcpts[i].offset);
        assert_string_equal(out.rcpts[i].address, in.rcpts[i].address);
    }
    deliver_request_free(&out);
    assert_null(out.rcpts);
    deliver_request_free(&in);
    buf_free(&b);
}

static void test_reply_round_trip(void **state UNUSED)
{
    struct deliver_reply in = {0}, out;
    struct buf b;
    const unsigned char *p;
    size_t len;
    const char *why = NULL;

    deliver_reply_add(&in, 120, DELIVER_SENT, "2.0.0", "delivered to maildir");
    deliver_reply_add(&in, 245, DELIVER_DEFERRED, "4.2.2", "mailbox full");
    deliver_reply_add(&in, 300, DELIVER_BOUNCED, "5.1.1", "unknown user \"x\"");
    deliver_reply_add(&in, 301, DELIVER_SENT, "2.0.0", "");
    buf_init(&b, 1 << 20);
    deliver_reply_encode(&b, &in);
    payload_of(&b, &p, &len);
    if (deliver_reply_decode(p, len, &out, &why) != 0)
        fail_msg("decode: %s", why);
    assert_int_equal(out.n, 4);
    assert_true(out.results[0].offset == 120);
    assert_int_equal(out.results[0].status, DELIVER_SENT);
    assert_string_equal(out.results[0].dsn, "2.0.0");
    assert_string_equal(out.results[0].reason, "delivered to maildir");
    assert_int_equal(out.results[1].status, DELIVER_DEFERRED);
    assert_string_equal(out.results[1].dsn, "4.2.2");
    assert_int_equal(out.results[2].status, DELIVER_BOUNCED);
    assert_string_equal(out.results[2].reason, "unknown user \"x\"");
    assert_string_equal(out.results[3].reason, "");
    deliver_reply_free(&out);
    deliver_reply_free(&in);

    /* No results at all is a valid (if useless) reply. */
    buf_reset(&b);
    deliver_reply_encode(&b, &in);
    payload_of(&b, &p, &len);
    assert_int_equal(deliver_reply_decode(p, len, &out, &why), 0);
    assert_int_equal(out.n, 0);
    deliver_reply_free(&out);
    buf_free(&b);
}

static void test_reply_long_reason(void **state UNUSED)
{
    struct deliver_reply in = {0}, out;
    char *reason = malloc(5001);
    struct buf b;
    const unsigned char *p;
    size_t len;
    const char *why = NULL;

    assert_non_null(reason);
    memset(reason, 'r', 5000);
    reason[5000] = 0;
    deliver_reply_add(&in, 1, DELIVER_BOUNCED, "5.0.0", reason);
    buf_init(&b, 1 << 20);
    deliver_reply_encode(&b, &in); /* cut to what the reader accepts */
    payload_of(&b, &p, &len);
    if (deliver_reply_decode(p, len, &out, &why) != 0)
        fail_msg("decode: %s", why);
    assert_int_equal(out.n, 1);
    assert_int_equal(strlen(out.results[0].reason), 1000);
    assert_memory_equal(out.results[0].reason, reason, 1000);
    deliver_reply_free(&out);
    deliver_reply_free(&in);
    buf_free(&b);
    free(reason);
}

static void test_status_names(void **state UNUSED)
{
    assert_string_equal(deliver_status_name(DELIVER_SENT), "sent");
    assert_string_equal(deliver_status_name(DELIVER_DEFERRED), "deferred");
    assert_string_equal(deliver_status_name(DELIVER_BOUNCED), "bounced");
    assert_string_equal(deliver_status_name((enum deliver_status)99), "unknown");
}

/* One recipient record, built by hand. */
static void put_rcpt(struct buf *frame, long long offset, const char *address, bool extra)
{
    struct buf rec;

    buf_init(&rec, 4096);
    attr_put_int(&rec, "offset", offset);
    if (address)
        attr_put_str(&rec, "address", address);
    if (extra)
        attr_put_str(&rec, "surprise", "x");
    attr_put_data(frame, "rcpt", rec.data, rec.len);
    buf_free(&rec);
}

static void put_result(struct buf *frame, const char *status, const char *dsn)
{
    struct buf rec;

    buf_init(&rec, 4096);
    attr_put_int(&rec, "offset", 10);
    attr_put_str(&rec, "status", status);
    attr_put_str(&rec, "dsn", dsn);
    attr_put_str(&rec, "reason", "because");
    attr_put_data(frame, "result", rec.data, rec.len);
    buf_free(&rec);
}

static void test_request_refused(void **state UNUSED)
{
    char long_addr[MAIL_ADDR_TEXT_MAX + 2];
    struct buf b;
    struct deliver_request r;
    const char *why;
    int i;

    memset(long_addr, 'a', sizeof(long_addr) - 1);
    long_addr[sizeof(long_addr) - 1] = 0;
    buf_init(&b, 1 << 16);
    for (i = 0; i < 12; i++) {
        const char *want = NULL;

        buf_reset(&b);
        if (i != 0)
            attr_put_str(&b, "queue_name", "local");
        attr_put_str(&b, "queue_id", i == 1 ? "0123456789012345678901234567890123" : "ABCDEF1");
        if (i != 2)
            attr_put_int(&b, "flags", 0);
        if (i != 11) {
            attr_put_int(&b, "arrival_sec", 1700000000);
            attr_put_int(&b, "arrival_usec", 0);
        }
        switch (i) {
        case 0: /* no queue_name */
        case 2: /* no flags */
            want = "missing attribute";
            put_rcpt(&b, 10, "a@b.example", false);
            break;
        case 1:
            want = "attribute value too long"; /* 34-byte queue ID */
            put_rcpt(&b, 10, "a@b.example", false);
            break;
        case 3:
            want = "missing attribute"; /* no recipient */
            break;
        case 4:
            want = "bad recipient offset";
            put_rcpt(&b, 10, "a@b.example", false);
            put_rcpt(&b, 0, "a@b.example", false);
            break;
        case 5:
            want = "bad recipient offset";
            put_rcpt(&b, -5, "a@b.example", false);
            break;
        case 6:
            want = "unexpected attribute"; /* inside a recipient */
            put_rcpt(&b, 10, "a@b.example", true);
            break;
        case 7:
            want = "missing attribute"; /* recipient without address */
            put_rcpt(&b, 10, NULL, false);
            break;
        case 8:
            want = "attribute value too long";
            put_rcpt(&b, 10, long_addr, false);
            break;
        case 9:
            want = "unexpected attribute"; /* at the top level */
            put_rcpt(&b, 10, "a@b.example", false);
            attr_put_int(&b, "priority", 1);
            break;
        case 10:
            want = "duplicate attribute";
            put_rcpt(&b, 10, "a@b.example", false);
            attr_put_int(&b, "flags", 1);
            break;
        case 11:
            want = "missing attribute"; /* no arrival time */
            put_rcpt(&b, 10, "a@b.example", false);
            break;
        }
        why = NULL;
        if (deliver_request_decode(b.data, b.len, &r, &why) != -1)
            fail_msg("case %d accepted", i);
        if (why == NULL || strcmp(why, want) != 0)
            fail_msg("case %d: \"%s\", want \"%s\"", i, why ? why : "(null)", want);
        assert_null(r.rcpts); /* freed on failure */
        assert_int_equal(r.nrcpts, 0);
    }
    buf_free(&b);
}

static void test_reply_refused(void **state UNUSED)
{
    static const struct {
        const char *status, *dsn, *why;
    } cases[] = {
        {"lost", "2.0.0", "bad delivery status"},
        {"Sent", "2.0.0", "bad delivery status"},
        {"", "2.0.0", "bad delivery status"},
        {"sent", "2.0.0.0.0.0.0.0.0", "attribute value too long"},
        {"sentsentsentsentsent", "2.0.0", "attribute value too long"},
    };
    struct deliver_reply r;
    struct buf b;
    size_t i;

    buf_init(&b, 1 << 16);
    for (i = 0; i < COUNTOF(cases); i++) {
        const char *why = NULL;

        buf_reset(&b);
        put_result(&b, "sent", "2.0.0"); /* a good one first: freed on failure */
        put_result(&b, cases[i].status, cases[i].dsn);
        assert_int_equal(deliver_reply_decode(b.data, b.len, &r, &why), -1);
        assert_string_equal(why, cases[i].why);
        assert_null(r.results);
    }
    buf_reset(&b);
    attr_put_str(&b, "status", "sent"); /* a result field at the top level */
    {
        const char *why = NULL;

        assert_int_equal(deliver_reply_decode(b.data, b.len, &r, &why), -1);
        assert_string_equal(why, "unexpected attribute");
    }
    buf_free(&b);
}

static void test_truncated_everywhere(void **state UNUSED)
{
    struct deliver_request in = {0}, out;
    struct deliver_reply rin = {0}, rout;
    struct buf b;
    const unsigned char *p;
    size_t len, k;
    const char *why;

    in.queue_name = "local";
    in.queue_id = "ABCDEF1";
    deliver_request_add(&in, 100, "a@b.example");
    deliver_request_add(&in, 200, "c@d.example");
    buf_init(&b, 1 << 16);
    deliver_request_encode(&b, &in);
    payload_of(&b, &p, &len);
    for (k = 0; k < len; k++) {
        unsigned char *copy = malloc(k ? k : 1);

        assert_non_null(copy);
        memcpy(copy, p, k);
        why = NULL;
        /*
         * A prefix that ends between recipients is a smaller valid request
         * (the frame length is what protects against that); any other
         * prefix must fail cleanly.
         */
        if (deliver_request_decode(copy, k, &out, &why) == 0) {
            assert_int_equal(out.nrcpts, 1);
            assert_true(out.rcpts[0].offset == 100);
            deliver_request_free(&out);
        } else {
            assert_non_null(why);
            assert_null(out.rcpts);
        }
        free(copy);
    }
    deliver_request_free(&in);

    deliver_reply_add(&rin, 100, DELIVER_SENT, "2.0.0", "ok");
    buf_reset(&b);
    deliver_reply_encode(&b, &rin);
    payload_of(&b, &p, &len);
    for (k = 1; k < len; k++) {
        unsigned char *copy = malloc(k);

        assert_non_null(copy);
        memcpy(copy, p, k);
        why = NULL;
        assert_int_equal(deliver_reply_decode(copy, k, &rout, &why), -1);
        assert_non_null(why);
        assert_null(rout.results);
        free(copy);
    }
    deliver_reply_free(&rin);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_round_trip),   cmocka_unit_test(test_reply_round_trip),
        cmocka_unit_test(test_reply_long_reason),    cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_request_refused),      cmocka_unit_test(test_reply_refused),
        cmocka_unit_test(test_truncated_everywhere),
    };

    unit_init("test_deliver_proto");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
