/*
 * test_base64.c - strict RFC 4648 decoding: the section 10 test vectors
 * both ways, every octet value, and what strictness refuses (bad
 * characters, white space, missing or misplaced padding, output that does
 * not fit).
 */
#include "unit.h"
#include "base64.h"

static void test_vectors(void **state UNUSED)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", ""},
        {"Zg==", "f"},
        {"Zm8=", "fo"},
        {"Zm9v", "foo"},
        {"Zm9vYg==", "foob"},
        {"Zm9vYmE=", "fooba"},
        {"Zm9vYmFy", "foobar"},
        {"VXNlcm5hbWU6", "Username:"},
    };
    unsigned char out[64];
    char text[64];
    size_t i, n;

    for (i = 0; i < COUNTOF(cases); i++) {
        assert_int_equal(base64_decode((const unsigned char *)cases[i].in, strlen(cases[i].in), out,
                                       sizeof(out), &n),
                         0);
        assert_int_equal(n, strlen(cases[i].out));
        assert_memory_equal(out, cases[i].out, n);
        base64_encode((const unsigned char *)cases[i].out, n, text);
        assert_string_equal(text, cases[i].in);
        assert_int_equal(strlen(text), BASE64_ENCODED_LEN(n));
    }
}

static void test_all_octets(void **state UNUSED)
{
    /* 0x00..0xff in base64, the two alphabet ends (+ and /) included */
    static const char *const b64 =
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQk"
        "NERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWG"
        "h4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsfIyc"
        "rLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==";
    unsigned char out[256];
    char text[BASE64_ENCODED_LEN(256) + 1];
    size_t i, n;

    assert_int_equal(base64_decode((const unsigned char *)b64, strlen(b64), out, sizeof(out), &n),
                     0);
    assert_int_equal(n, 256);
    for (i = 0; i < 256; i++)
        assert_int_equal(out[i], i);
    base64_encode(out, 256, text);
    assert_string_equal(text, b64);
    /* one octet short of room: refused */
    assert_int_equal(base64_decode((const unsigned char *)b64, strlen(b64), out, 255, &n), -1);
}

static void test_refused(void **state UNUSED)
{
    static const char *const bad[] = {
        "Zg=",         /* not a multiple of four */
        "Zg",          /* no padding */
        "Zm9v\r\n",    /* white space */
        "Zm 9",        /* white space inside */
        "Zg==Zg==",    /* padding before the end */
        "Z===",        /* padding in the second place */
        "Zm=v",        /* a character after padding */
        "Zm9-",        /* URL-safe alphabet */
        "Zm9_",        /* URL-safe alphabet */
        "====",        /* padding only */
        "Zm9v\x80g==", /* a byte outside ASCII */
    };
    unsigned char out[64];
    size_t i, n;

    for (i = 0; i < COUNTOF(bad); i++)
        assert_int_equal(
            base64_decode((const unsigned char *)bad[i], strlen(bad[i]), out, sizeof(out), &n), -1);
    /* a NUL is a bad character, not an end */
    assert_int_equal(base64_decode((const unsigned char *)"Zm\0v", 4, out, sizeof(out), &n), -1);
    /* exactly the room needed */
    assert_int_equal(base64_decode((const unsigned char *)"Zm9v", 4, out, 3, &n), 0);
    assert_int_equal(base64_decode((const unsigned char *)"Zm9v", 4, out, 2, &n), -1);
    assert_int_equal(base64_decode((const unsigned char *)"Zm8=", 4, out, 2, &n), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_all_octets),
        cmocka_unit_test(test_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
