/*
 * test_attr.c - the attribute protocol: encode/decode round trips through
 * a table, strict and lenient readers, every kind of malformed attribute,
 * truncation at every byte, framing (attr_frame_peek and the stream
 * helpers) and the hello check.
 */
#include "unit.h"
#include "attr.h"
#include "buf.h"
#include "stream.h"

struct item_list {
    int n;
    char text[8][16];
};

struct msg {
    const char *name;
    long long num;
    struct attr_data blob;
    const char *opt;
    struct item_list items;
};

static int each_item(void *out, const unsigned char *p, size_t len, const char **error_r)
{
    struct msg *m = out;

    if (len > 0 && p[0] == '!') {
        *error_r = "item refused";
        return -1;
    }
    if (m->items.n >= 8 || len >= sizeof(m->items.text[0])) {
        *error_r = "too many items";
        return -1;
    }
    memcpy(m->items.text[m->items.n], p, len);
    m->items.text[m->items.n][len] = 0;
    m->items.n++;
    return 0;
}

static const struct attr_spec spec[] = {
    {"name", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct msg, name), 32, NULL},
    {"num", ATTR_TYPE_INT, ATTR_REQUIRED, offsetof(struct msg, num), 0, NULL},
    {"blob", ATTR_TYPE_DATA, 0, offsetof(struct msg, blob), 16, NULL},
    {"opt", ATTR_TYPE_STR, 0, offsetof(struct msg, opt), 0, NULL},
    {"item", ATTR_TYPE_DATA, ATTR_REPEAT, 0, 8, each_item},
    {NULL, 0, 0, 0, 0, NULL},
};

static int decode(const struct buf *b, struct msg *m, int flags, const char **why)
{
    memset(m, 0, sizeof(*m));
    return attr_decode(b->data, b->len, spec, m, flags, why);
}

static void test_round_trip(void **state UNUSED)
{
    static const long long nums[] = {0, 1, -1, 255, 256, LLONG_MAX, LLONG_MIN, -1234567890123LL};
    static const unsigned char bin[] = {0, 1, 0xff, '\n', 0};
    size_t i;

    for (i = 0; i < COUNTOF(nums); i++) {
        struct msg in = {"sender name", nums[i], {bin, sizeof(bin)}, "", {0}}, out;
        struct buf b;
        const char *why = NULL;
        const unsigned char *payload;
        size_t start, len, frame_len;

        buf_init(&b, 4096);
        start = attr_frame_begin(&b);
        attr_encode(&b, spec, &in);
        attr_put_data(&b, "item", "one", 3);
        attr_put_data(&b, "item", "", 0);
        attr_put_data(&b, "item", "three", 5);
        assert_int_equal(attr_frame_end(&b, start), 0);
        assert_int_equal(attr_frame_peek(&b, &payload, &len, &frame_len), 1);
        assert_int_equal(frame_len, b.len);
        assert_int_equal(len, b.len - 4);

        memset(&out, 0, sizeof(out));
        if (attr_decode(payload, len, spec, &out, ATTR_FLAG_STRICT, &why) != 0)
            fail_msg("decode: %s", why);
        assert_string_equal(out.name, "sender name");
        assert_true(out.num == nums[i]);
        assert_int_equal(out.blob.len, sizeof(bin));
        assert_memory_equal(out.blob.p, bin, sizeof(bin));
        assert_string_equal(out.opt, ""); /* empty, not missing */
        assert_int_equal(out.items.n, 3);
        assert_string_equal(out.items.text[0], "one");
        assert_string_equal(out.items.text[1], "");
        assert_string_equal(out.items.text[2], "three");
        /* Strings point into the payload: no copies. */
        assert_true((const unsigned char *)out.name >= payload &&
                    (const unsigned char *)out.name < payload + len);
        buf_free(&b);
    }
}

static void test_optional_absent(void **state UNUSED)
{
    struct msg in = {"n", 5, {NULL, 0}, NULL, {0}}, out;
    struct buf b;
    const char *why = NULL;

    buf_init(&b, 4096);
    attr_encode(&b, spec, &in); /* a NULL string is left out */
    assert_int_equal(decode(&b, &out, ATTR_FLAG_STRICT, &why), 0);
    assert_null(out.opt);
    assert_int_equal(out.blob.len, 0);
    assert_int_equal(out.items.n, 0);
    buf_free(&b);
}

static void test_attr_next_walk(void **state UNUSED)
{
    struct buf b;
    struct attr a;
    size_t pos = 0;
    const char *why = NULL;

    buf_init(&b, 4096);
    attr_put_str(&b, "s", "hello");
    attr_put_int(&b, "i_1", -2);
    attr_put_data(&b, "d", "\0x", 2);
    assert_int_equal(attr_next(b.data, b.len, &pos, &a, &why), 1);
    assert_int_equal(a.type, ATTR_TYPE_STR);
    assert_int_equal(a.name_len, 1);
    assert_memory_equal(a.name, "s", 1);
    assert_int_equal(a.value_len, 5); /* the NUL is not counted */
    assert_string_equal((const char *)a.value, "hello");
    assert_int_equal(attr_next(b.data, b.len, &pos, &a, &why), 1);
    assert_int_equal(a.type, ATTR_TYPE_INT);
    assert_int_equal(a.name_len, 3);
    assert_true(a.num == -2);
    assert_int_equal(attr_next(b.data, b.len, &pos, &a, &why), 1);
    assert_int_equal(a.type, ATTR_TYPE_DATA);
    assert_int_equal(a.value_len, 2);
    assert_memory_equal(a.value, "\0x", 2);
    assert_int_equal(attr_next(b.data, b.len, &pos, &a, &why), 0);
    assert_int_equal(pos, b.len);
    buf_free(&b);
}

static void add_long_name(struct buf *b);
static void add_long_blob(struct buf *b);

/* A valid message with the required attributes last, plus `extra`. */
static void build(struct buf *b, void (*extra)(struct buf *))
{
    buf_reset(b);
    attr_put_str(b, "opt", "optional");
    if (extra != add_long_blob) /* that one brings its own */
        attr_put_data(b, "blob", "0123456789", 10);
    attr_put_data(b, "item", "i1", 2);
    attr_put_data(b, "item", "i2", 2);
    if (extra)
        extra(b);
    if (extra != add_long_name) /* that one brings its own */
        attr_put_str(b, "name", "the name");
    attr_put_int(b, "num", 42);
}

static void add_unknown(struct buf *b)
{
    attr_put_str(b, "future_thing", "x");
    attr_put_int(b, "another", 7);
}

static void add_dup(struct buf *b)
{
    attr_put_int(b, "num", 1);
}

static void add_wrong_type(struct buf *b)
{
    attr_put_str(b, "blob", "not data");
}

static void add_long_name(struct buf *b)
{
    attr_put_str(b, "name", "0123456789012345678901234567890123"); /* 34 > 32 */
}

static void add_long_blob(struct buf *b)
{
    attr_put_data(b, "blob", "0123456789abcdefg", 17); /* 17 > 16 */
}

static void add_long_item(struct buf *b)
{
    attr_put_data(b, "item", "123456789", 9); /* 9 > 8 */
}

static void add_refused_item(struct buf *b)
{
    attr_put_data(b, "item", "!bad", 4);
}

static void test_strict_lenient(void **state UNUSED)
{
    static const struct {
        void (*extra)(struct buf *);
        const char *strict;  /* NULL: accepted */
        const char *lenient; /* NULL: accepted */
    } cases[] = {
        {NULL, NULL, NULL},
        {add_unknown, "unexpected attribute", NULL},
        {add_dup, "duplicate attribute", "duplicate attribute"},
        {add_wrong_type, "attribute has the wrong type", "attribute has the wrong type"},
        {add_long_name, "attribute value too long", "attribute value too long"},
        {add_long_blob, "attribute value too long", "attribute value too long"},
        {add_long_item, "attribute value too long", "attribute value too long"},
        {add_refused_item, "item refused", "item refused"},
    };
    struct buf b;
    struct msg m;
    size_t i;

    buf_init(&b, 4096);
    for (i = 0; i < COUNTOF(cases); i++) {
        const char *why = NULL;
        int ret;

        build(&b, cases[i].extra);
        ret = decode(&b, &m, ATTR_FLAG_STRICT, &why);
        if (cases[i].strict == NULL) {
            if (ret != 0)
                fail_msg("case %zu strict: %s", i, why);
        } else {
            assert_int_equal(ret, -1);
            assert_string_equal(why, cases[i].strict);
        }
        why = NULL;
        ret = decode(&b, &m, 0, &why);
        if (cases[i].lenient == NULL) {
            if (ret != 0)
                fail_msg("case %zu lenient: %s", i, why);
            assert_string_equal(m.name, "the name");
            assert_true(m.num == 42);
            assert_string_equal(m.opt, "optional");
            assert_int_equal(m.items.n, 2);
        } else {
            assert_int_equal(ret, -1);
            assert_string_equal(why, cases[i].lenient);
        }
    }
    buf_free(&b);
}

static void test_missing(void **state UNUSED)
{
    struct buf b;
    struct msg m;
    const char *why = NULL;

    buf_init(&b, 4096);
    attr_put_str(&b, "name", "n");
    assert_int_equal(decode(&b, &m, 0, &why), -1);
    assert_string_equal(why, "missing attribute");
    buf_reset(&b);
    assert_int_equal(decode(&b, &m, 0, &why), -1); /* the empty message */
    assert_string_equal(why, "missing attribute");
    buf_free(&b);
}

/* Hand-built attributes: type, name length, name, value length, value. */
static void raw(struct buf *b, int type, int nlen, const char *name, uint32_t vlen,
                const void *value, size_t value_len)
{
    unsigned char h[4] = {(unsigned char)(vlen >> 24), (unsigned char)(vlen >> 16),
                          (unsigned char)(vlen >> 8), (unsigned char)vlen};

    assert_int_equal(buf_putc(b, type), 0);
    assert_int_equal(buf_putc(b, nlen), 0);
    assert_int_equal(buf_append(b, name, strlen(name)), 0);
    assert_int_equal(buf_append(b, h, 4), 0);
    assert_int_equal(buf_append(b, value, value_len), 0);
}

static void test_malformed(void **state UNUSED)
{
    static const struct {
        int type;
        int nlen; /* -1: strlen(name) */
        const char *name;
        uint32_t vlen;
        const char *value;
        size_t value_len;
        const char *why;
    } cases[] = {
        {'X', -1, "name", 2, "a", 2, "bad attribute type"},
        {'s', -1, "name", 2, "a", 2, "bad attribute type"},
        {0, -1, "name", 2, "a", 2, "bad attribute type"},
        {'S', 0, "", 2, "a", 2, "bad attribute name"},
        {'S', -1, "Name", 2, "a", 2, "bad attribute name"},
        {'S', -1, "na-me", 2, "a", 2, "bad attribute name"},
        {'S', -1, "na me", 2, "a", 2, "bad attribute name"},
        {'S', -1, "n\xc3\xa4me", 2, "a", 2, "bad attribute name"},
        {'S', -1, "a12345678901234567890123456789012345678901234567890123456789012345", 2, "a", 2,
         "bad attribute name"},
        {'S', -1, "name", 0, "", 0, "bad string attribute"},
        {'S', -1, "name", 1, "a", 1, "bad string attribute"},
        {'S', -1, "name", 3, "a\0b", 3, "bad string attribute"},
        {'S', -1, "name", 4, "a\0b", 4, "bad string attribute"},
        {'I', -1, "num", 7, "1234567", 7, "bad integer attribute"},
        {'I', -1, "num", 9, "123456789", 9, "bad integer attribute"},
        {'I', -1, "num", 0, "", 0, "bad integer attribute"},
        {'S', -1, "name", 0xffffffffu, "a", 2, "truncated attribute"},
        {'D', -1, "blob", 3, "ab", 2, "truncated attribute"},
        {'S', 20, "name", 2, "a", 2, "truncated attribute"}, /* name runs past the end */
        {'S', 200, "name", 2, "a", 2, "truncated attribute"},
    };
    struct buf b;
    size_t i;

    buf_init(&b, 4096);
    for (i = 0; i < COUNTOF(cases); i++) {
        struct msg m;
        const char *why = NULL;

        buf_reset(&b);
        raw(&b, cases[i].type, cases[i].nlen < 0 ? (int)strlen(cases[i].name) : cases[i].nlen,
            cases[i].name, cases[i].vlen, cases[i].value, cases[i].value_len);
        if (decode(&b, &m, 0, &why) != -1)
            fail_msg("case %zu accepted", i);
        if (why == NULL || strcmp(why, cases[i].why) != 0)
            fail_msg("case %zu: \"%s\", want \"%s\"", i, why ? why : "(null)", cases[i].why);
    }
    /* A lone byte is too short to be an attribute. */
    buf_reset(&b);
    assert_int_equal(buf_putc(&b, 'S'), 0);
    {
        struct msg m;
        const char *why = NULL;

        assert_int_equal(decode(&b, &m, 0, &why), -1);
        assert_string_equal(why, "truncated attribute");
    }
    buf_free(&b);
}

static void test_truncated_everywhere(void **state UNUSED)
{
    struct buf b;
    size_t k, pos = 0, nbound = 0, bounds[32];
    struct attr a;
    const char *why = NULL;

    buf_init(&b, 4096);
    build(&b, add_unknown);
    /* Where each attribute ends. */
    bounds[nbound++] = 0;
    while (attr_next(b.data, b.len, &pos, &a, &why) == 1)
        bounds[nbound++] = pos;
    assert_int_equal(bounds[nbound - 1], b.len);

    for (k = 0; k < b.len; k++) {
        /* An exact-size copy, so that any read past k is caught by ASan. */
        unsigned char *copy = malloc(k ? k : 1);
        bool boundary = false;
        struct msg m;
        size_t j;
        int ret;

        assert_non_null(copy);
        memcpy(copy, b.data, k);
        for (j = 0; j < nbound; j++)
            boundary |= bounds[j] == k;
        memset(&m, 0, sizeof(m));
        why = NULL;
        ret = attr_decode(copy, k, spec, &m, 0, &why);
        assert_int_equal(ret, -1); /* the required attributes come last */
        assert_non_null(why);
        if (boundary)
            assert_string_equal(why, "missing attribute");
        else
            assert_string_equal(why, "truncated attribute");
        free(copy);
    }
    buf_free(&b);
}

static void test_frame_peek(void **state UNUSED)
{
    struct buf b, in;
    const unsigned char *payload;
    size_t len, frame_len, k, start, first_len;

    buf_init(&b, 4096);
    buf_init(&in, 4096);
    start = attr_frame_begin(&b);
    attr_put_str(&b, "a", "first");
    assert_int_equal(attr_frame_end(&b, start), 0);
    first_len = b.len;
    start = attr_frame_begin(&b);
    assert_int_equal(attr_frame_end(&b, start), 0); /* an empty frame */
    start = attr_frame_begin(&b);
    attr_put_int(&b, "b", 2);
    assert_int_equal(attr_frame_end(&b, start), 0);

    /* Every partial first frame asks for more. */
    for (k = 0; k < first_len; k++) {
        buf_reset(&in);
        assert_int_equal(buf_append(&in, b.data, k), 0);
        assert_int_equal(attr_frame_peek(&in, &payload, &len, &frame_len), 0);
    }
    /* All three, one after the other. */
    buf_reset(&in);
    assert_int_equal(buf_append(&in, b.data, b.len), 0);
    assert_int_equal(attr_frame_peek(&in, &payload, &len, &frame_len), 1);
    assert_int_equal(frame_len, first_len);
    assert_int_equal(len, first_len - 4);
    assert_ptr_equal(payload, in.data + 4);
    buf_consume(&in, frame_len);
    assert_int_equal(attr_frame_peek(&in, &payload, &len, &frame_len), 1);
    assert_int_equal(len, 0);
    assert_int_equal(frame_len, 4);
    buf_consume(&in, frame_len);
    assert_int_equal(attr_frame_peek(&in, &payload, &len, &frame_len), 1);
    buf_consume(&in, frame_len);
    assert_int_equal(in.len, 0);
    assert_int_equal(attr_frame_peek(&in, &payload, &len, &frame_len), 0);

    /* A length over the limit is refused as soon as the prefix is in. */
    buf_reset(&in);
    assert_int_equal(buf_append(&in, "\x00\x40\x00\x01", 4), 0); /* ATTR_FRAME_MAX + 1 */
    assert_int_equal(attr_frame_peek(&in, &payload, &len, &frame_len), -1);
    buf_reset(&in);
    assert_int_equal(buf_append(&in, "\xff\xff\xff\xff", 4), 0);
    assert_int_equal(attr_frame_peek(&in, &payload, &len, &frame_len), -1);
    buf_reset(&in);
    assert_int_equal(buf_append(&in, "\x00\x40\x00\x00", 4), 0); /* exactly the limit */
    assert_int_equal(attr_frame_peek(&in, &payload, &len, &frame_len), 0);
    buf_free(&b);
    buf_free(&in);
}

static void test_frame_too_big(void **state UNUSED)
{
    struct buf b;
    size_t start;
    unsigned char *big = calloc(1, ATTR_FRAME_MAX);

    assert_non_null(big);
    buf_init(&b, 2 * ATTR_FRAME_MAX);
    start = attr_frame_begin(&b);
    attr_put_data(&b, "big", big, ATTR_FRAME_MAX); /* plus its header: over */
    assert_int_equal(attr_frame_end(&b, start), -1);
    buf_free(&b);
    free(big);
}

static void test_stream_frames(void **state UNUSED)
{
    struct buf out, frame;
    struct stream *s;
    const char *why = NULL;
    size_t start;
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    buf_init(&out, 4096);
    buf_init(&frame, 1024);
    attr_put_hello(&out, "test", 3);
    start = attr_frame_begin(&out);
    attr_put_str(&out, "k", "v");
    assert_int_equal(attr_frame_end(&out, start), 0);
    s = stream_open(sv[0], 2000);
    assert_int_equal(attr_write_frames(s, &out), 0);
    stream_close(s);

    s = stream_open(sv[1], 2000);
    assert_int_equal(attr_read_frame(s, &frame, &why), 0);
    assert_int_equal(attr_check_hello(frame.data, frame.len, "test", 3, &why), 0);
    assert_int_equal(attr_read_frame(s, &frame, &why), 0);
    {
        struct attr a;
        size_t pos = 0;

        assert_int_equal(attr_next(frame.data, frame.len, &pos, &a, &why), 1);
        assert_string_equal((const char *)a.value, "v");
    }
    /* The writer closed: end of file between frames. */
    assert_int_equal(attr_read_frame(s, &frame, &why), -1);
    assert_string_equal(why, "lost connection");
    stream_close(s);
    buf_free(&out);
    buf_free(&frame);
}

static void test_stream_frame_errors(void **state UNUSED)
{
    struct buf frame;
    struct stream *s;
    const char *why = NULL;
    int sv[2];

    buf_init(&frame, 16);

    /* Over the reader's own buffer limit (but within ATTR_FRAME_MAX). */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(write(sv[1], "\x00\x00\x00\x11", 4), 4);
    s = stream_open(sv[0], 2000);
    assert_int_equal(attr_read_frame(s, &frame, &why), -1);
    assert_string_equal(why, "frame too large");
    stream_close(s);
    (void)close(sv[1]);

    /* Over ATTR_FRAME_MAX. */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(write(sv[1], "\xff\xff\xff\xff", 4), 4);
    s = stream_open(sv[0], 2000);
    assert_int_equal(attr_read_frame(s, &frame, &why), -1);
    assert_string_equal(why, "frame too large");
    stream_close(s);
    (void)close(sv[1]);

    /* End of file in the middle of a frame, and in the middle of a prefix. */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(write(sv[1],
                           "\x00\x00\x00\x08"
                           "abc",
                           7),
                     7);
    (void)close(sv[1]);
    s = stream_open(sv[0], 2000);
    assert_int_equal(attr_read_frame(s, &frame, &why), -1);
    assert_string_equal(why, "lost connection");
    stream_close(s);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(write(sv[1], "\x00\x00", 2), 2);
    (void)close(sv[1]);
    s = stream_open(sv[0], 2000);
    assert_int_equal(attr_read_frame(s, &frame, &why), -1);
    stream_close(s);

    /* A silent peer: timeout. */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    s = stream_open(sv[0], 50);
    assert_int_equal(attr_read_frame(s, &frame, &why), -1);
    assert_string_equal(why, "timeout");
    stream_close(s);
    (void)close(sv[1]);
    buf_free(&frame);
}

static void test_hello(void **state UNUSED)
{
    struct buf b;
    const unsigned char *payload;
    size_t len, frame_len;
    const char *why = NULL;
    char long_name[80];

    buf_init(&b, 4096);
    attr_put_hello(&b, "deliver", 1);
    assert_int_equal(attr_frame_peek(&b, &payload, &len, &frame_len), 1);
    assert_int_equal(attr_check_hello(payload, len, "deliver", 1, &why), 0);
    assert_int_equal(attr_check_hello(payload, len, "deliver", 0, &why), 0);
    assert_int_equal(attr_check_hello(payload, len, "deliver", 2, &why), -1);
    assert_string_equal(why, "peer protocol version too old");
    assert_int_equal(attr_check_hello(payload, len, "qmgr", 1, &why), -1);
    assert_string_equal(why, "peer speaks another protocol");
    assert_int_equal(attr_check_hello(payload, len, "deliverx", 1, &why), -1);
    assert_int_equal(attr_check_hello(payload, len, "deliv", 1, &why), -1);

    /* A newer peer may say more: unknown names are skipped. */
    buf_reset(&b);
    attr_put_str(&b, "protocol", "deliver");
    attr_put_int(&b, "version", 7);
    attr_put_str(&b, "features", "x");
    assert_int_equal(attr_check_hello(b.data, b.len, "deliver", 1, &why), 0);

    buf_reset(&b);
    attr_put_str(&b, "protocol", "deliver");
    assert_int_equal(attr_check_hello(b.data, b.len, "deliver", 1, &why), -1);
    assert_string_equal(why, "missing attribute");

    buf_reset(&b);
    attr_put_str(&b, "protocol", "deliver");
    attr_put_str(&b, "version", "1");
    assert_int_equal(attr_check_hello(b.data, b.len, "deliver", 1, &why), -1);
    assert_string_equal(why, "attribute has the wrong type");

    buf_reset(&b);
    memset(long_name, 'p', 65);
    long_name[65] = 0;
    attr_put_str(&b, "protocol", long_name);
    attr_put_int(&b, "version", 1);
    assert_int_equal(attr_check_hello(b.data, b.len, long_name, 1, &why), -1);
    assert_string_equal(why, "attribute value too long");

    assert_int_equal(attr_check_hello(b.data, 3, "deliver", 1, &why), -1);
    buf_free(&b);
}

static void put_bad_name(void *ctx UNUSED)
{
    struct buf b;

    buf_init(&b, 100);
    attr_put_str(&b, "Bad-Name", "x");
}

static void put_empty_name(void *ctx UNUSED)
{
    struct buf b;

    buf_init(&b, 100);
    attr_put_int(&b, "", 1);
}

static void test_encoder_refuses_bad_names(void **state UNUSED)
{
    assert_aborts(put_bad_name, NULL);
    assert_aborts(put_empty_name, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_optional_absent),
        cmocka_unit_test(test_attr_next_walk),
        cmocka_unit_test(test_strict_lenient),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_frame_peek),
        cmocka_unit_test(test_frame_too_big),
        cmocka_unit_test(test_stream_frames),
        cmocka_unit_test(test_stream_frame_errors),
        cmocka_unit_test(test_hello),
        cmocka_unit_test(test_encoder_refuses_bad_names),
    };

    unit_init("test_attr");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
