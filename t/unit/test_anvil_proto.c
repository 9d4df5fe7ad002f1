/*
 * test_anvil_proto.c - the anvil service's messages: request and reply
 * round trips for every event, idents at their limit, and the strict
 * reader refusing unknown, missing, duplicate, mistyped and oversized
 * attributes, unknown request names and statuses, idents with spaces or
 * control characters, negative counts, and every truncation.
 */
#include "unit.h"
#include "attr.h"
#include "anvil_proto.h"
#include "buf.h"

static void payload_of(const struct buf *b, const unsigned char **p, size_t *len)
{
    size_t frame_len;

    assert_int_equal(attr_frame_peek(b, p, len, &frame_len), 1);
    assert_int_equal(frame_len, b->len);
}

static void test_request_round_trip(void **state UNUSED)
{
    char ident[ANVIL_IDENT_MAX + 1];
    struct anvil_request in = {ANVIL_CONNECT, "smtp:192.0.2.7"}, out;
    const unsigned char *p;
    const char *why = NULL;
    struct buf b;
    size_t len;
    int e;

    memset(ident, 'i', ANVIL_IDENT_MAX);
    ident[ANVIL_IDENT_MAX] = 0;
    for (e = 0; e < ANVIL_EVENT_COUNT; e++) {
        in.event = (enum anvil_event)e;
        in.ident = e % 2 ? ident : "smtp:2001:db8::1";
        buf_init(&b, 1024);
        anvil_request_encode(&b, &in);
        payload_of(&b, &p, &len);
        assert_true(len <= ANVIL_REQUEST_MAX);
        if (anvil_request_decode(p, len, &out, &why) < 0)
            fail_msg("decode: %s", why);
        assert_int_equal(out.event, in.event);
        assert_string_equal(out.ident, in.ident);
        buf_free(&b);
    }
    assert_string_equal(anvil_event_name(ANVIL_MESSAGE), "message");
    assert_string_equal(anvil_event_name((enum anvil_event)9), "unknown");
}

static void test_reply_round_trip(void **state UNUSED)
{
    struct anvil_reply in = {ANVIL_OK, 51, 1000000}, out;
    const unsigned char *p;
    const char *why = NULL;
    struct buf b;
    size_t len;

    buf_init(&b, 256);
    anvil_reply_encode(&b, &in);
    payload_of(&b, &p, &len);
    assert_int_equal(anvil_reply_decode(p, len, &out, &why), 0);
    assert_int_equal(out.status, ANVIL_OK);
    assert_int_equal(out.count, 51);
    assert_int_equal(out.rate, 1000000);
    buf_reset(&b);
    in.status = ANVIL_FAIL;
    anvil_reply_encode(&b, &in);
    payload_of(&b, &p, &len);
    assert_int_equal(anvil_reply_decode(p, len, &out, &why), 0);
    assert_int_equal(out.status, ANVIL_FAIL);
    buf_free(&b);
}

struct bad_request {
    const char *request, *ident, *extra;
    bool dup, int_ident;
};

static int decode_built(const struct bad_request *r)
{
    struct anvil_request out;
    const char *why = NULL;
    struct buf b;
    int ret;

    buf_init(&b, 1024);
    if (r->request)
        attr_put_str(&b, "request", r->request);
    if (r->int_ident)
        attr_put_int(&b, "ident", 7);
    else if (r->ident)
        attr_put_str(&b, "ident", r->ident);
    if (r->dup)
        attr_put_str(&b, "ident", "smtp:192.0.2.8");
    if (r->extra)
        attr_put_str(&b, r->extra, "x");
    ret = anvil_request_decode(b.data, b.len, &out, &why);
    if (ret < 0)
        assert_non_null(why);
    buf_free(&b);
    return ret;
}

static void test_strict_request(void **state UNUSED)
{
    char long_ident[ANVIL_IDENT_MAX + 2];
    const struct bad_request bad[] = {
        {NULL, "smtp:192.0.2.7", NULL, false, false},
        {"connect", NULL, NULL, false, false},
        {"connect", "smtp:192.0.2.7", "count", false, false},
        {"connect", "smtp:192.0.2.7", NULL, true, false},
        {"connect", NULL, NULL, false, true},
        {"connects", "smtp:192.0.2.7", NULL, false, false},
        {"CONNECT", "smtp:192.0.2.7", NULL, false, false},
        {"", "smtp:192.0.2.7", NULL, false, false},
        {"connect", "", NULL, false, false},
        {"connect", "smtp: 192.0.2.7", NULL, false, false},
        {"connect", "smtp:\n192.0.2.7", NULL, false, false},
        {"connect", "smtp:\x7f", NULL, false, false},
        {"connect", long_ident, NULL, false, false},
    };
    const struct bad_request good = {"disconnect", "smtp:192.0.2.7", NULL, false, false};
    size_t i;

    memset(long_ident, 'x', sizeof(long_ident) - 1);
    long_ident[sizeof(long_ident) - 1] = 0;
    assert_int_equal(decode_built(&good), 0);
    for (i = 0; i < COUNTOF(bad); i++)
        if (decode_built(&bad[i]) == 0)
            fail_msg("bad request %zu accepted", i);
}

static void test_strict_reply(void **state UNUSED)
{
    struct anvil_reply out;
    const char *why = NULL;
    struct buf b;

    buf_init(&b, 256);
    attr_put_str(&b, "status", "maybe");
    attr_put_int(&b, "count", 1);
    attr_put_int(&b, "rate", 1);
    assert_int_equal(anvil_reply_decode(b.data, b.len, &out, &why), -1);
    buf_reset(&b);
    attr_put_str(&b, "status", "ok");
    attr_put_int(&b, "count", -1);
    attr_put_int(&b, "rate", 1);
    assert_int_equal(anvil_reply_decode(b.data, b.len, &out, &why), -1);
    buf_reset(&b);
    attr_put_str(&b, "status", "ok");
    attr_put_int(&b, "count", 1);
    assert_int_equal(anvil_reply_decode(b.data, b.len, &out, &why), -1);
    attr_put_int(&b, "rate", 1);
    assert_int_equal(anvil_reply_decode(b.data, b.len, &out, &why), 0);
    attr_put_str(&b, "reason", "x");
    assert_int_equal(anvil_reply_decode(b.data, b.len, &out, &why), -1);
    buf_free(&b);
}

static void test_truncation(void **state UNUSED)
{
    struct anvil_request in = {ANVIL_AUTH, "smtp:192.0.2.7"}, out;
    const unsigned char *p;
    const char *why;
    struct buf b;
    size_t len, cut;

    buf_init(&b, 1024);
    anvil_request_encode(&b, &in);
    payload_of(&b, &p, &len);
    for (cut = 0; cut < len; cut++) {
        why = NULL;
        if (anvil_request_decode(p, cut, &out, &why) == 0)
            fail_msg("truncated at %zu accepted", cut);
    }
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_round_trip), cmocka_unit_test(test_reply_round_trip),
        cmocka_unit_test(test_strict_request),     cmocka_unit_test(test_strict_reply),
        cmocka_unit_test(test_truncation),
    };

    unit_init("test_anvil_proto");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
