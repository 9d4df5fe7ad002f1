/*
 * test_showq_proto.c - the showq frames round-trip, and the strict
 * reader refuses unknown types, unknown or missing attributes, and bad
 * queue names and IDs.
 */
#include "unit.h"
#include "showq_proto.h"
#include "attr.h"

/* The payload of the one frame in b. */
static const unsigned char *payload(const struct buf *b, size_t *len)
{
    const unsigned char *p;
    size_t flen;

    assert_int_equal(attr_frame_peek(b, &p, len, &flen), 1);
    assert_int_equal(flen, b->len);
    return p;
}

static void test_round_trip(void **state UNUSED)
{
    struct showq_frame in = {.type = SHOWQ_MESSAGE,
                             .queue_name = "active",
                             .queue_id = "1A2B3C4D5E",
                             .arrival_time = 1700000000,
                             .message_size = 1234,
                             .sender = ""},
                       out;
    struct buf b;
    const unsigned char *p;
    const char *why;
    size_t len;

    buf_init(&b, 65536);
    showq_frame_encode(&b, &in);
    p = payload(&b, &len);
    assert_int_equal(showq_frame_decode(p, len, &out, &why), 0);
    assert_string_equal(out.type, SHOWQ_MESSAGE);
    assert_string_equal(out.queue_name, "active");
    assert_string_equal(out.queue_id, "1A2B3C4D5E");
    assert_true(out.arrival_time == 1700000000 && out.message_size == 1234);
    assert_string_equal(out.sender, "");

    buf_reset(&b);
    in = (struct showq_frame){.type = SHOWQ_RECIPIENT, .address = "\"a b\"@example.com"};
    showq_frame_encode(&b, &in);
    p = payload(&b, &len);
    assert_int_equal(showq_frame_decode(p, len, &out, &why), 0);
    assert_string_equal(out.address, "\"a b\"@example.com");
    assert_null(out.delay_reason);

    buf_reset(&b);
    in = (struct showq_frame){.type = SHOWQ_END};
    showq_frame_encode(&b, &in);
    p = payload(&b, &len);
    assert_int_equal(showq_frame_decode(p, len, &out, &why), 0);
    assert_string_equal(out.type, SHOWQ_END);
    buf_free(&b);
}

/* Decode a frame built by hand. */
static int decode_built(void (*build)(struct buf *))
{
    struct showq_frame f;
    struct buf b;
    const unsigned char *p;
    const char *why;
    size_t start, len;
    int r;

    buf_init(&b, 65536);
    start = attr_frame_begin(&b);
    build(&b);
    assert_int_equal(attr_frame_end(&b, start), 0);
    p = payload(&b, &len);
    r = showq_frame_decode(p, len, &f, &why);
    buf_free(&b);
    return r;
}

static void message_attrs(struct buf *b, const char *queue, const char *id)
{
    attr_put_str(b, "type", SHOWQ_MESSAGE);
    attr_put_str(b, "queue_name", queue);
    attr_put_str(b, "queue_id", id);
    attr_put_int(b, "arrival_time", 1);
    attr_put_int(b, "message_size", 2);
    attr_put_str(b, "sender", "a@b.c");
}

static void good(struct buf *b)
{
    message_attrs(b, "deferred", "ABCDEF12");
}

static void unknown_type(struct buf *b)
{
    attr_put_str(b, "type", "shutdown");
}

static void type_not_first(struct buf *b)
{
    attr_put_str(b, "address", "a@b.c");
    attr_put_str(b, "type", SHOWQ_RECIPIENT);
}

static void extra_attr(struct buf *b)
{
    good(b);
    attr_put_str(b, "command", "rm -rf");
}

static void missing_attr(struct buf *b)
{
    attr_put_str(b, "type", SHOWQ_RECIPIENT);
}

static void bad_queue(struct buf *b)
{
    message_attrs(b, "../etc", "ABCDEF12");
}

static void bad_id(struct buf *b)
{
    message_attrs(b, "hold", "../../x");
}

static void test_strict(void **state UNUSED)
{
    assert_int_equal(decode_built(good), 0);
    assert_int_equal(decode_built(unknown_type), -1);
    assert_int_equal(decode_built(type_not_first), -1);
    assert_int_equal(decode_built(extra_attr), -1);
    assert_int_equal(decode_built(missing_attr), -1);
    assert_int_equal(decode_built(bad_queue), -1);
    assert_int_equal(decode_built(bad_id), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_strict),
    };

    unit_init("test_showq_proto");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
