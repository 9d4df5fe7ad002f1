/*
 * test_events.c - the event loop: one-shot timers in time order, re-arming
 * replaces, cancel, a timer re-armed from its own callback waits a turn,
 * read and write callbacks on a pipe, and a signal delivered as an ordinary
 * callback.  The loop is a process-wide singleton, so every test leaves it
 * empty.
 */
#include "unit.h"
#include "events.h"

static char order[64];
static size_t norder;

static void note(void *ctx)
{
    if (norder + 1 < sizeof(order))
        order[norder++] = *(const char *)ctx;
    order[norder] = 0;
}

static void reset_order(void)
{
    norder = 0;
    order[0] = 0;
}

/* Run the loop until n callbacks have been noted or limit_ms has passed. */
static void run_until(size_t n, long limit_ms)
{
    long long end = event_now_ms() + limit_ms;

    while (norder < n && event_now_ms() < end)
        event_loop(end - event_now_ms());
}

static void test_timers_in_order(void **state UNUSED)
{
    static const char a = 'A', b = 'B', c = 'C', d = 'D';

    reset_order();
    event_request_timer(note, (void *)&a, 60);
    event_request_timer(note, (void *)&b, 10);
    event_request_timer(note, (void *)&c, 35);
    event_request_timer(note, (void *)&d, 0);
    run_until(4, 2000);
    assert_string_equal(order, "DBCA");
}

static void test_rearm_replaces(void **state UNUSED)
{
    static const char a = 'A', b = 'B';
    long long t0 = event_now_ms();

    reset_order();
    event_request_timer(note, (void *)&a, 10);
    event_request_timer(note, (void *)&b, 30);
    event_request_timer(note, (void *)&a, 80); /* same (cb, ctx): moved, not added */
    run_until(2, 2000);
    assert_string_equal(order, "BA");
    assert_true(event_now_ms() - t0 >= 80);
    /* Nothing else is pending. */
    event_loop(50);
    assert_string_equal(order, "BA");
}

static void test_same_cb_other_ctx(void **state UNUSED)
{
    static const char a = 'A', b = 'B';

    reset_order();
    event_request_timer(note, (void *)&a, 20);
    event_request_timer(note, (void *)&b, 10); /* another context: a timer of its own */
    run_until(2, 2000);
    assert_string_equal(order, "BA");
}

static void test_cancel(void **state UNUSED)
{
    static const char a = 'A', b = 'B';

    reset_order();
    event_cancel_timer(note, (void *)&a); /* none pending: harmless */
    event_request_timer(note, (void *)&a, 10);
    event_request_timer(note, (void *)&b, 20);
    event_cancel_timer(note, (void *)&a);
    run_until(1, 2000);
    assert_string_equal(order, "B");
    event_loop(40);
    assert_string_equal(order, "B");
}

static void cancel_b(void *ctx)
{
    note(ctx);
    event_cancel_timer(note, (void *)"B");
}

/*
 * BUG: a timer that is already due could not be cancelled by another
 * callback of the same pass (they were moved to a private list first), so
 * qmgr closed an agent it had just given a job.
 */
static void test_cancel_due_timer(void **state UNUSED)
{
    static const char a = 'A';

    reset_order();
    event_request_timer(cancel_b, (void *)&a, 0);
    event_request_timer(note, (void *)"B", 0);
    usleep(5000); /* both due in the same pass */
    event_loop(0);
    event_loop(20);
    assert_string_equal(order, "A");
}

static void rearm_other(void *ctx)
{
    note(ctx);
    event_request_timer(note, (void *)"B", 0); /* B was due too: now it waits a turn */
}

static void test_rearm_due_timer(void **state UNUSED)
{
    reset_order();
    event_request_timer(rearm_other, (void *)"A", 0);
    event_request_timer(note, (void *)"B", 0);
    usleep(5000);
    event_loop(0);
    assert_string_equal(order, "A");
    event_loop(20);
    assert_string_equal(order, "AB");
    event_loop(20);
    assert_string_equal(order, "AB");
}

static int self_count;

static void rearm_self(void *ctx)
{
    self_count++;
    if (self_count < 5)
        event_request_timer(rearm_self, ctx, 0);
}

static void test_rearm_from_callback(void **state UNUSED)
{
    self_count = 0;
    event_request_timer(rearm_self, NULL, 0);
    event_loop(100);
    /* Re-armed for "now" from inside the callback: runs next turn, not in a loop. */
    assert_int_equal(self_count, 1);
    while (self_count < 5)
        event_loop(100);
    assert_int_equal(self_count, 5);
    event_loop(20);
    assert_int_equal(self_count, 5);
}

static void test_loop_waits(void **state UNUSED)
{
    long long t0 = event_now_ms();

    event_loop(60); /* nothing registered: just the wait */
    assert_true(event_now_ms() - t0 >= 55);
}

struct reader {
    int calls;
    int fd_seen;
    char data[16];
    size_t len;
    bool remove_self;
};

static void on_read(int fd, void *ctx)
{
    struct reader *r = ctx;
    ssize_t n = read(fd, r->data + r->len, sizeof(r->data) - r->len);

    r->calls++;
    r->fd_seen = fd;
    if (n > 0)
        r->len += (size_t)n;
    if (r->remove_self || n == 0)
        event_remove(fd);
}

static void test_read_callback(void **state UNUSED)
{
    struct reader r = {0};
    int fds[2];

    assert_int_equal(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    event_enable_read(fds[0], on_read, &r);
    event_loop(20);
    assert_int_equal(r.calls, 0); /* nothing to read yet */

    assert_int_equal(write(fds[1], "xy", 2), 2);
    event_loop(1000);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.fd_seen, fds[0]);
    assert_int_equal(r.len, 2);
    assert_memory_equal(r.data, "xy", 2);

    /* Disabled: data waits unread. */
    event_disable_read(fds[0]);
    assert_int_equal(write(fds[1], "z", 1), 1);
    event_loop(30);
    assert_int_equal(r.calls, 1);

    /* Enabled again; the callback removes its own descriptor. */
    r.remove_self = true;
    event_enable_read(fds[0], on_read, &r);
    event_loop(1000);
    assert_int_equal(r.calls, 2);
    assert_int_equal(r.len, 3);
    assert_int_equal(write(fds[1], "w", 1), 1);
    event_loop(30);
    assert_int_equal(r.calls, 2);
    (void)close(fds[0]);
    (void)close(fds[1]);
}

static void test_hangup_reaches_reader(void **state UNUSED)
{
    struct reader r = {0};
    int fds[2];

    assert_int_equal(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    event_enable_read(fds[0], on_read, &r);
    (void)close(fds[1]); /* end of file: reported to the read side */
    event_loop(1000);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.len, 0);
    (void)close(fds[0]);
}

static int write_calls;

static void on_write(int fd, void *ctx)
{
    write_calls++;
    assert_ptr_equal(ctx, &write_calls);
    event_disable_write(fd);
}

static void test_write_callback(void **state UNUSED)
{
    struct reader r = {0};
    int fds[2];

    assert_int_equal(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    write_calls = 0;
    event_enable_write(fds[1], on_write, &write_calls);
    event_loop(1000);
    assert_int_equal(write_calls, 1);
    event_loop(20);
    assert_int_equal(write_calls, 1);

    (void)close(fds[0]);
    (void)close(fds[1]);

    /* Read and write interest on the same descriptor are independent. */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    event_enable_read(fds[0], on_read, &r);
    event_enable_write(fds[0], on_write, &write_calls);
    event_loop(1000);
    assert_int_equal(write_calls, 2);
    assert_int_equal(r.calls, 0);
    assert_int_equal(write(fds[1], "q", 1), 1);
    event_loop(1000);
    assert_int_equal(r.calls, 1);
    event_remove(fds[0]);
    event_remove(fds[0]); /* twice is harmless */
    (void)close(fds[0]);
    (void)close(fds[1]);
}

static int hook_calls;

static void before_wait(void *ctx)
{
    assert_ptr_equal(ctx, &hook_calls);
    hook_calls++;
}

static void test_before_wait_hook(void **state UNUSED)
{
    hook_calls = 0;
    event_before_wait(before_wait, &hook_calls);
    event_loop(0);
    event_loop(0);
    assert_int_equal(hook_calls, 2);
    event_before_wait(NULL, NULL);
    event_loop(0);
    assert_int_equal(hook_calls, 2);
}

static int got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

static void test_signal(void **state UNUSED)
{
    sigset_t cur;
    long long end;

    got_signal = 0;
    event_signal(SIGUSR1, on_signal);
    /* Blocked for direct delivery: raise() does not run a handler here. */
    assert_int_equal(raise(SIGUSR1), 0);
    assert_int_equal(got_signal, 0);
    end = event_now_ms() + 2000;
    while (got_signal == 0 && event_now_ms() < end)
        event_loop(100);
    assert_int_equal(got_signal, SIGUSR1);

    event_signal_unblock_all();
    assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &cur), 0);
    assert_false(sigismember(&cur, SIGUSR1));
}

static void test_now_monotonic(void **state UNUSED)
{
    long long a = event_now_ms(), b;

    usleep(20000);
    b = event_now_ms();
    assert_true(b - a >= 19);
    assert_true(b - a < 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_in_order),
        cmocka_unit_test(test_cancel_due_timer),
        cmocka_unit_test(test_rearm_due_timer),
        cmocka_unit_test(test_rearm_replaces),
        cmocka_unit_test(test_same_cb_other_ctx),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_rearm_from_callback),
        cmocka_unit_test(test_loop_waits),
        cmocka_unit_test(test_read_callback),
        cmocka_unit_test(test_hangup_reaches_reader),
        cmocka_unit_test(test_write_callback),
        cmocka_unit_test(test_before_wait_hook),
        cmocka_unit_test(test_signal),
        cmocka_unit_test(test_now_monotonic),
    };

    unit_init("test_events");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
