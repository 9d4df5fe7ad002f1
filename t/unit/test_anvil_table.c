/*
 * test_anvil_table.c - anvil's counters: connection counts up and down
 * (a disconnect never goes below zero), rates per window and their reset,
 * idents counted apart, the sweep of idle entries, eviction of the least
 * recently used idle entry when full (never one with open connections),
 * and the maxima that the statistics lines report.
 */
#include "unit.h"
#include "anvil_table.h"

#define UNIT 60000

static void event(struct anvil_table *t, const char *ident, enum anvil_event e, long long now,
                  long long want_count, long long want_rate)
{
    long long count, rate;

    assert_int_equal(anvil_table_event(t, ident, e, now, &count, &rate), 0);
    assert_int_equal(count, want_count);
    assert_int_equal(rate, want_rate);
}

static void test_counts(void **state UNUSED)
{
    struct anvil_table *t = anvil_table_create(100, UNIT);

    event(t, "smtp:192.0.2.7", ANVIL_CONNECT, 0, 1, 1);
    event(t, "smtp:192.0.2.7", ANVIL_CONNECT, 10, 2, 2);
    event(t, "smtp:192.0.2.8", ANVIL_CONNECT, 10, 1, 1);
    event(t, "submission:192.0.2.7", ANVIL_CONNECT, 10, 1, 1);
    event(t, "smtp:192.0.2.7", ANVIL_DISCONNECT, 20, 1, 0);
    event(t, "smtp:192.0.2.7", ANVIL_CONNECT, 30, 2, 3);
    event(t, "smtp:192.0.2.7", ANVIL_DISCONNECT, 40, 1, 0);
    event(t, "smtp:192.0.2.7", ANVIL_DISCONNECT, 40, 0, 0);
    event(t, "smtp:192.0.2.7", ANVIL_DISCONNECT, 40, 0, 0); /* never below zero */
    event(t, "smtp:192.0.2.9", ANVIL_DISCONNECT, 40, 0, 0); /* unknown: nothing made */
    assert_int_equal(anvil_table_size(t), 3);
    anvil_table_free(t);
}

static void test_rates(void **state UNUSED)
{
    struct anvil_table *t = anvil_table_create(100, UNIT);

    event(t, "smtp:a", ANVIL_CONNECT, 0, 1, 1);
    event(t, "smtp:a", ANVIL_MESSAGE, 1, 1, 1);
    event(t, "smtp:a", ANVIL_MESSAGE, 2, 1, 2);
    event(t, "smtp:a", ANVIL_RECIPIENT, 3, 1, 1);
    event(t, "smtp:a", ANVIL_AUTH, 3, 1, 1);
    event(t, "smtp:a", ANVIL_MESSAGE, UNIT - 1, 1, 3);
    /* A new window: every rate starts again, the open connection stays. */
    event(t, "smtp:a", ANVIL_MESSAGE, UNIT, 1, 1);
    event(t, "smtp:a", ANVIL_CONNECT, UNIT + 1, 2, 1);
    event(t, "smtp:a", ANVIL_RECIPIENT, UNIT + 2, 2, 1);
    anvil_table_free(t);
}

static void test_sweep(void **state UNUSED)
{
    struct anvil_table *t = anvil_table_create(100, UNIT);

    event(t, "smtp:idle", ANVIL_CONNECT, 0, 1, 1);
    event(t, "smtp:idle", ANVIL_DISCONNECT, 1, 0, 0);
    event(t, "smtp:open", ANVIL_CONNECT, 2, 1, 1);
    event(t, "smtp:recent", ANVIL_MESSAGE, UNIT, 0, 1);
    anvil_table_sweep(t, UNIT + 1);
    /* idle is gone, open is kept however old, recent is within the window */
    assert_int_equal(anvil_table_size(t), 2);
    event(t, "smtp:idle", ANVIL_CONNECT, UNIT + 2, 1, 1);
    event(t, "smtp:open", ANVIL_DISCONNECT, UNIT + 3, 0, 0);
    anvil_table_free(t);
}

static void test_eviction(void **state UNUSED)
{
    struct anvil_table *t = anvil_table_create(3, UNIT);
    long long count, rate;

    event(t, "smtp:1", ANVIL_CONNECT, 0, 1, 1); /* stays connected */
    event(t, "smtp:2", ANVIL_MESSAGE, 1, 0, 1);
    event(t, "smtp:3", ANVIL_MESSAGE, 2, 0, 1);
    event(t, "smtp:2", ANVIL_MESSAGE, 3, 0, 2); /* 3 is now the least recently used idle one */
    event(t, "smtp:4", ANVIL_MESSAGE, 4, 0, 1);
    assert_int_equal(anvil_table_size(t), 3);
    event(t, "smtp:3", ANVIL_MESSAGE, 5, 0, 1); /* it was evicted: a fresh count */
    event(t, "smtp:1", ANVIL_CONNECT, 6, 2, 2); /* never evicted: it has connections */
    /* Full of live entries: not counted. */
    event(t, "smtp:3", ANVIL_CONNECT, 7, 1, 1);
    event(t, "smtp:2", ANVIL_CONNECT, 7, 1, 1);
    assert_int_equal(anvil_table_event(t, "smtp:5", ANVIL_CONNECT, 8, &count, &rate), -1);
    assert_int_equal(anvil_table_size(t), 3);
    anvil_table_free(t);
}

static void test_stats(void **state UNUSED)
{
    struct anvil_table *t = anvil_table_create(100, UNIT);
    const struct anvil_stats *st = anvil_table_stats(t);

    event(t, "smtp:127.0.0.1", ANVIL_CONNECT, 100, 1, 1);
    event(t, "smtp:127.0.0.1", ANVIL_CONNECT, 200, 2, 2);
    event(t, "smtp:127.0.0.1", ANVIL_CONNECT, 300, 3, 3);
    event(t, "smtp:127.0.0.2", ANVIL_MESSAGE, 400, 0, 1);
    assert_int_equal(st->count.value, 3);
    assert_int_equal(st->count.when_ms, 300);
    assert_string_equal(st->count.ident, "smtp:127.0.0.1");
    assert_int_equal(st->rate[ANVIL_CONNECT].value, 3);
    assert_int_equal(st->rate[ANVIL_MESSAGE].value, 1);
    assert_string_equal(st->rate[ANVIL_MESSAGE].ident, "smtp:127.0.0.2");
    assert_int_equal(st->rate[ANVIL_RECIPIENT].value, 0);
    assert_int_equal(st->cache_size.value, 2);
    anvil_table_stats_reset(t);
    assert_int_equal(st->count.value, 0);
    assert_int_equal(st->rate[ANVIL_CONNECT].value, 0);
    anvil_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),   cmocka_unit_test(test_rates), cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_eviction), cmocka_unit_test(test_stats),
    };

    unit_init("test_anvil_table");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
