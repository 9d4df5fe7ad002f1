/*
 * test_header.c - the header-section reader: fields unfolded with their
 * white space kept, LF and CR LF line ends, the end at the empty line or at
 * the first line that is not a field, names compared without case, a field
 * over the limit cut (never refused), and the callback stopping the scan.
 */
#include "unit.h"
#include "header.h"

struct seen {
    char text[4096];
};

static int note(const struct header_field *f, void *ctx)
{
    struct seen *s = ctx;
    size_t n = strlen(s->text);

    snprintf(s->text + n, sizeof(s->text) - n, "[%s|%s@%zu-%zu]", f->name, f->value, f->offset,
             f->end);
    return 0;
}

static void test_fields(void **state UNUSED)
{
    static const struct {
        const char *in, *want;
        size_t body;
    } cases[] = {
        {"Subject: hi\nTo: a@b\n\nbody\n", "[Subject|hi@0-12][To|a@b@12-20]", 21},
        {"Subject: hi\r\nTo: a@b\r\n\r\nbody\r\n", "[Subject|hi@0-13][To|a@b@13-22]", 24},
        {"Subject: one\n two\n\tthree\nX: y\n\n", "[Subject|one two\tthree@0-25][X|y@25-30]", 31},
        {"Subject:no-space\n\n", "[Subject|no-space@0-17]", 18},
        {"Empty:\nNext: x\n\n", "[Empty|@0-7][Next|x@7-15]", 16},
        {"From nobody Mon\nSubject: x\n\n", "", 0}, /* not a field: the body */
        {"Subject: x\nnot a header\nY: z\n", "[Subject|x@0-11]", 11},
        {"Subject: x", "[Subject|x@0-10]", 10}, /* no line end at all */
        {"A: x\n \n\nbody", "[A|x @0-7]", 8},   /* a blank continuation line */
        {"\nbody\n", "", 1},
        {"", "", 0},
        {"Na me: x\n", "", 0}, /* a space is not part of a name */
        {": x\n", "", 0},
    };
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        struct seen s = {""};
        size_t body = 999;

        assert_int_equal(
            header_scan((const unsigned char *)cases[i].in, strlen(cases[i].in), note, &s, &body),
            0);
        if (strcmp(s.text, cases[i].want) != 0 || body != cases[i].body)
            fail_msg("case %zu: %s body %zu, want %s body %zu", i, s.text, body, cases[i].want,
                     cases[i].body);
    }
}

static int find_delivered_to(const struct header_field *f, void *ctx)
{
    if (header_is(f, "delivered-to") && strcmp(f->value, ctx) == 0)
        return 1;
    return 0;
}

static void test_stop_and_names(void **state UNUSED)
{
    const char text[] = "Received: x\nDELIVERED-TO: bob@example.com\nDelivered-To: a@b\n\n";

    assert_int_equal(header_scan((const unsigned char *)text, sizeof(text) - 1, find_delivered_to,
                                 "bob@example.com", NULL),
                     1);
    assert_int_equal(header_scan((const unsigned char *)text, sizeof(text) - 1, find_delivered_to,
                                 "carol@example.com", NULL),
                     0);
}

static int check_long(const struct header_field *f, void *ctx)
{
    size_t *len = ctx;

    *len = f->value_len;
    return 0;
}

static void test_long_field_cut(void **state UNUSED)
{
    size_t n = HEADER_FIELD_MAX * 2, len = 0, body = 0, i;
    unsigned char *text = malloc(n + 64);

    assert_non_null(text);
    memcpy(text, "X-Long: ", 8);
    for (i = 8; i < n; i++)
        text[i] = i % 100 == 99 ? '\n' : (i % 100 == 0 ? ' ' : 'a');
    memcpy(text + n, "\n\nbody", 6);
    assert_int_equal(header_scan(text, n + 6, check_long, &len, &body), 0);
    assert_true(len == HEADER_FIELD_MAX);
    assert_true(body == n + 2);

    /* One unfolded line over the limit is cut too, not dropped. */
    for (i = 8; i < n; i++)
        text[i] = 'b';
    len = 0;
    assert_int_equal(header_scan(text, n + 6, check_long, &len, &body), 0);
    assert_true(len == HEADER_FIELD_MAX);
    assert_true(body == n + 2);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_stop_and_names),
        cmocka_unit_test(test_long_field_cut),
    };

    unit_init("test_header");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
