/*
 * test_htable.c - unit tests for lib/util/htable.c: lookups, deletion,
 * growth past many doublings, and duplicate keys refused.
 */
#include "unit.h"
#include "htable.h"

static void test_enter_find_delete(void **state UNUSED)
{
    struct htable t;
    int a = 1, b = 2;

    htable_init(&t, 0);
    assert_null(htable_find(&t, "a"));
    htable_enter(&t, "a", &a);
    htable_enter(&t, "b", &b);
    assert_ptr_equal(htable_find(&t, "a"), &a);
    assert_ptr_equal(htable_find(&t, "b"), &b);
    assert_null(htable_find(&t, "c"));
    assert_null(htable_find(&t, ""));
    assert_int_equal(t.count, 2);
    assert_ptr_equal(htable_delete(&t, "a"), &a);
    assert_null(htable_delete(&t, "a"));
    assert_null(htable_find(&t, "a"));
    assert_ptr_equal(htable_find(&t, "b"), &b);
    assert_int_equal(t.count, 1);
    htable_free(&t);
}

static void test_growth(void **state UNUSED)
{
    struct htable t;
    char key[32];
    long i, n = 20000;

    htable_init(&t, 4);
    for (i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "%05lXA1B2", i);
        htable_enter(&t, key, (void *)(i + 1));
    }
    assert_int_equal(t.count, n);
    assert_true(t.size >= (size_t)n);
    for (i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "%05lXA1B2", i);
        assert_ptr_equal(htable_find(&t, key), (void *)(i + 1));
    }
    for (i = 0; i < n; i += 2) {
        snprintf(key, sizeof(key), "%05lXA1B2", i);
        assert_ptr_equal(htable_delete(&t, key), (void *)(i + 1));
    }
    for (i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "%05lXA1B2", i);
        if (i % 2)
            assert_ptr_equal(htable_find(&t, key), (void *)(i + 1));
        else
            assert_null(htable_find(&t, key));
    }
    htable_free(&t);
}

static void enter_twice(void *ctx UNUSED)
{
    struct htable t;
    int a;

    htable_init(&t, 0);
    htable_enter(&t, "k", &a);
    htable_enter(&t, "k", &a);
}

static void test_duplicate_key_panics(void **state UNUSED)
{
    assert_aborts(enter_twice, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enter_find_delete),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_duplicate_key_panics),
    };

    unit_init("test_htable");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
