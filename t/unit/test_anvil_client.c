/*
 * test_anvil_client.c - the anvil client's kept connection, with replies
 * owed by anvil_client_notify().  Against a fake service in a child
 * process that numbers its replies: an owed reply is read before the next
 * answer, so answers never get out of step with questions, however many
 * notifications came between; a connection that broke with a reply owed
 * (anvil restarted) is replaced once, and the question still answered.
 * Against the real service's session code (anvil_session.c) and table:
 * connection counts stay right across many sessions whose disconnects
 * were never waited for, and when requests arrive back to back (anvil
 * stopped while they were sent), and a client that exits with a reply owed and a
 * connection counted gives it back.
 */
#include "unit.h"
#include "anvil.h"
#include "anvil_client.h"
#include "attr.h"
#include "buf.h"
#include "events.h"
#include "iostuff.h"
#include "stream.h"

#define SERVICE "smtp"
#define ADDR "192.0.2.7"

struct anvil_table *anvil_table; /* anvil_session.c's, as anvil.c has it */

static char dir[PATH_MAX], path[PATH_MAX + 16];
static pid_t server_pid;
static int64_t clock_skew_ms;

/* The real clock, moved past the client's retry back-off between tests. */
static int64_t skewed_clock(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        abort();
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + clock_skew_ms;
}

static int setup(void **state UNUSED)
{
    unit_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/anvil", dir);
    server_pid = 0;
    return 0;
}

static int teardown(void **state UNUSED)
{
    int st;

    anvil_client_close();
    if (server_pid > 0) {
        (void)kill(server_pid, SIGTERM);
        (void)waitpid(server_pid, &st, 0);
    }
    clock_skew_ms += 2 * ANVIL_CLIENT_RETRY_MS;
    unit_rmtree(dir);
    return 0;
}

static int listen_at(const char *p)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", p);
    assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    assert_int_equal(listen(fd, 16), 0);
    return fd;
}

/*
 * The fake service.  Each reply has count = its number on this connection
 * plus base (100 per connection accepted), rate = the request's event.
 * break_at > 0: the first connection is closed on reading request number
 * break_at, unanswered (reply_first: answered first).
 */
static NORETURN void fake_serve(int lfd, int break_at, bool reply_first)
{
    struct anvil_request req;
    struct anvil_reply reply;
    struct buf b;
    const char *why;
    int conn, fd, seq;

    buf_init(&b, 4096);
    for (conn = 0;; conn++) {
        struct stream *s;

        if ((fd = accept(lfd, NULL, NULL)) < 0)
            _exit(2);
        s = stream_open(fd, 10000);
        buf_reset(&b);
        attr_put_hello(&b, ANVIL_PROTOCOL, ANVIL_VERSION);
        if (attr_write_frames(s, &b) < 0)
            _exit(3);
        for (seq = 1;; seq++) {
            if (attr_read_frame(s, &b, &why) < 0)
                break;
            if (anvil_request_decode(b.data, b.len, &req, &why) < 0 ||
                strcmp(req.ident, SERVICE ":" ADDR) != 0)
                _exit(4);
            reply = (struct anvil_reply){ANVIL_OK, 100LL * conn + seq, req.event};
            if (conn == 0 && seq == break_at && !reply_first)
                break;
            buf_reset(&b);
            anvil_reply_encode(&b, &reply);
            if (attr_write_frames(s, &b) < 0)
                _exit(5);
            if (conn == 0 && seq == break_at)
                break;
        }
        stream_close(s);
    }
}

static void start_fake(int break_at, bool reply_first)
{
    int lfd = listen_at(path);

    fflush(NULL);
    if ((server_pid = fork()) == 0)
        fake_serve(lfd, break_at, reply_first);
    assert_true(server_pid > 0);
    assert_int_equal(close(lfd), 0);
}

static void ask(enum anvil_event e, long long count, struct anvil_reply *r)
{
    assert_int_equal(anvil_client_event(path, e, SERVICE, ADDR, r), 0);
    assert_int_equal(r->status, ANVIL_OK);
    assert_int_equal(r->count, count);
    assert_int_equal(r->rate, e);
    assert_int_equal(anvil_client_owed(), 0);
}

static void notify(enum anvil_event e, int owed)
{
    assert_int_equal(anvil_client_notify(path, e, SERVICE, ADDR), 0);
    assert_int_equal(anvil_client_owed(), owed);
}

/* The owed reply is read first: the connect gets its own answer (3), not 2. */
static void test_owed_read_first(void **state UNUSED)
{
    struct anvil_reply r;
    int i;

    start_fake(0, false);
    ask(ANVIL_CONNECT, 1, &r);
    notify(ANVIL_DISCONNECT, 1);
    ask(ANVIL_CONNECT, 3, &r);
    notify(ANVIL_DISCONNECT, 1);
    notify(ANVIL_MESSAGE, 2);
    ask(ANVIL_RECIPIENT, 6, &r);
    /* A notifier that never asks leaves at most ANVIL_CLIENT_OWED_MAX unread. */
    for (i = 0; i < 3 * ANVIL_CLIENT_OWED_MAX; i++) {
        assert_int_equal(anvil_client_notify(path, ANVIL_DISCONNECT, SERVICE, ADDR), 0);
        assert_true(anvil_client_owed() >= 1 && anvil_client_owed() <= ANVIL_CLIENT_OWED_MAX);
    }
    ask(ANVIL_CONNECT, 7 + 3 * ANVIL_CLIENT_OWED_MAX, &r);
}

/* anvil went away with a reply owed, unanswered: one fresh connection. */
static void test_broken_with_owed(void **state UNUSED)
{
    struct anvil_reply r;

    start_fake(2, false);
    ask(ANVIL_CONNECT, 1, &r);
    notify(ANVIL_DISCONNECT, 1);
    ask(ANVIL_CONNECT, 101, &r);
    notify(ANVIL_DISCONNECT, 1);
    ask(ANVIL_CONNECT, 103, &r);
}

/* anvil answered the owed reply and then went away (restarted while idle). */
static void test_broken_after_owed(void **state UNUSED)
{
    struct anvil_reply r;

    start_fake(2, true);
    ask(ANVIL_CONNECT, 1, &r);
    notify(ANVIL_DISCONNECT, 1);
    ask(ANVIL_CONNECT, 101, &r);
}

/* No service: -1, nothing owed, and the next question is not held up. */
static void test_no_service(void **state UNUSED)
{
    struct anvil_reply r;

    assert_int_equal(anvil_client_notify(path, ANVIL_DISCONNECT, SERVICE, ADDR), -1);
    assert_int_equal(anvil_client_owed(), 0);
    assert_int_equal(anvil_client_event(path, ANVIL_CONNECT, SERVICE, ADDR, &r), -1);
}

static void real_accept(int lfd, void *ctx UNUSED)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

    if (fd >= 0)
        anvil_session_start(fd);
}

/* The real service: anvil_session.c over a real table, in a child. */
static void start_real(void)
{
    int lfd = listen_at(path);

    fflush(NULL);
    if ((server_pid = fork()) == 0) {
        anvil_table = anvil_table_create(1000, 3600 * 1000);
        event_enable_read(lfd, real_accept, NULL);
        for (;;)
            event_loop(-1);
    }
    assert_true(server_pid > 0);
    assert_int_equal(close(lfd), 0);
}

static void real_ask(enum anvil_event e, struct anvil_reply *r)
{
    assert_int_equal(anvil_client_event(path, e, SERVICE, ADDR, r), 0);
    assert_int_equal(r->status, ANVIL_OK);
}

/* Many sessions, no disconnect waited for: always 1 connection open. */
static void test_real_many_sessions(void **state UNUSED)
{
    struct anvil_reply r;
    int i, st, sessions = 300;
    pid_t pid;

    start_real();
    for (i = 1; i <= sessions; i++) {
        real_ask(ANVIL_CONNECT, &r);
        assert_int_equal(r.count, 1);
        assert_int_equal(r.rate, i);
        real_ask(ANVIL_MESSAGE, &r);
        assert_int_equal(r.rate, i);
        notify(ANVIL_DISCONNECT, 1);
    }
    /*
     * Requests back to back: with anvil stopped they pile up, and one read
     * brings them all.  3 connects and 2 disconnects leave 1; the question
     * after them makes 2.
     */
    real_ask(ANVIL_CONNECT, &r);
    assert_int_equal(r.count, 1);
    assert_int_equal(kill(server_pid, SIGSTOP), 0);
    notify(ANVIL_DISCONNECT, 1);
    notify(ANVIL_CONNECT, 2);
    notify(ANVIL_CONNECT, 3);
    notify(ANVIL_CONNECT, 4);
    notify(ANVIL_DISCONNECT, 5);
    notify(ANVIL_DISCONNECT, 6);
    assert_int_equal(kill(server_pid, SIGCONT), 0);
    real_ask(ANVIL_CONNECT, &r);
    assert_int_equal(r.count, 2);
    notify(ANVIL_DISCONNECT, 1);
    notify(ANVIL_DISCONNECT, 2);
    real_ask(ANVIL_MESSAGE, &r);
    assert_int_equal(r.rate, sessions + 1);
    /* A client that exits holding a connection, with a reply owed. */
    fflush(NULL);
    if ((pid = fork()) == 0) {
        anvil_client_close(); /* the child's own connection, as a new smtpd */
        if (anvil_client_event(path, ANVIL_CONNECT, SERVICE, ADDR, &r) < 0 || r.count != 1)
            _exit(1);
        if (anvil_client_event(path, ANVIL_CONNECT, SERVICE, ADDR, &r) < 0 || r.count != 2)
            _exit(2);
        if (anvil_client_notify(path, ANVIL_DISCONNECT, SERVICE, ADDR) < 0)
            _exit(3);
        _exit(0);
    }
    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* Its closed connection gave back its last connect (anvil sees it soon). */
    for (i = 0; i < 200; i++) {
        real_ask(ANVIL_CONNECT, &r);
        notify(ANVIL_DISCONNECT, 1);
        if (r.count == 1)
            break;
        assert_int_equal(poll(NULL, 0, 10), 0);
    }
    assert_int_equal(r.count, 1);
    real_ask(ANVIL_CONNECT, &r);
    assert_int_equal(r.count, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_owed_read_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broken_with_owed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broken_after_owed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_real_many_sessions, setup, teardown),
    };

    unit_init("test_anvil_client");
    stream_set_clock(skewed_clock);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
