/*
 * test_auth_client.c - one question to the auth service, against a fake
 * service in a child process on a UNIX socket in a temporary directory:
 * each status comes back as sent, with the request as the client built
 * it; a service that speaks another protocol, closes, sends nonsense or
 * never answers gives "tempfail" (the last within the timeout); no
 * service at all is -1 with errno saying why; and a request too long for
 * the protocol fails without a connection.
 */
#include "unit.h"
#include "attr.h"
#include "auth_client.h"
#include "buf.h"
#include "iostuff.h"
#include "stream.h"

static char dir[PATH_MAX], path[PATH_MAX + 16];

enum fake_mode { FAKE_REPLY, FAKE_OTHER_HELLO, FAKE_CLOSE, FAKE_GARBAGE, FAKE_SILENT };

static int setup(void **state UNUSED)
{
    unit_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/auth", dir);
    return 0;
}

static int teardown(void **state UNUSED)
{
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
    assert_int_equal(listen(fd, 4), 0);
    return fd;
}

static void send_frame(struct stream *s, struct buf *b)
{
    if (attr_write_frames(s, b) < 0)
        _exit(3);
    buf_reset(b);
}

/* The fake service: one connection, then exit 0 if the request was as expected. */
static NORETURN void fake_serve(int lfd, enum fake_mode mode, enum auth_status status)
{
    struct auth_request r;
    struct auth_reply reply = {status};
    struct stream *s;
    struct buf b, frame;
    const char *why;
    int fd = accept(lfd, NULL, NULL);

    if (fd < 0)
        _exit(2);
    s = stream_open(fd, 5000);
    buf_init(&b, 4096);
    buf_init(&frame, 4096);
    attr_put_hello(&b, mode == FAKE_OTHER_HELLO ? "deliver" : AUTH_PROTOCOL, AUTH_VERSION);
    send_frame(s, &b);
    if (mode == FAKE_CLOSE || mode == FAKE_OTHER_HELLO)
        _exit(0);
    if (attr_read_frame(s, &frame, &why) < 0 ||
        auth_request_decode(frame.data, frame.len, &r, &why) < 0)
        _exit(4);
    if (strcmp(r.service, "smtp") != 0 || strcmp(r.user, "alice@corp.example") != 0 ||
        strcmp(r.password, "pass word") != 0 || strcmp(r.client_address, "192.0.2.7") != 0)
        _exit(5);
    if (mode == FAKE_SILENT) {
        (void)poll_fd(fd, POLLIN, 10000); /* until the client gives up and closes */
        _exit(0);
    }
    if (mode == FAKE_GARBAGE) {
        attr_put_str(&b, "status", "ok");
        attr_put_str(&b, "extra", "x"); /* not a frame either: no length */
    } else {
        auth_reply_encode(&b, &reply);
    }
    send_frame(s, &b);
    _exit(0);
}

static int ask(enum fake_mode mode, enum auth_status status, int timeout_ms, const char **why)
{
    struct auth_request r = {"smtp", "alice@corp.example", "pass word", "192.0.2.7"};
    int lfd = listen_at(path), ret, st;
    pid_t pid;

    fflush(NULL);
    if ((pid = fork()) == 0)
        fake_serve(lfd, mode, status);
    assert_true(pid > 0);
    (void)close(lfd);
    *why = NULL;
    ret = auth_client_check(path, &r, timeout_ms, why);
    if (mode == FAKE_SILENT)
        (void)kill(pid, SIGTERM);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (mode != FAKE_SILENT)
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(unlink(path), 0);
    return ret;
}

static void test_statuses(void **state UNUSED)
{
    const char *why;

    assert_int_equal(ask(FAKE_REPLY, AUTH_OK, 5000, &why), AUTH_OK);
    assert_int_equal(ask(FAKE_REPLY, AUTH_FAIL, 5000, &why), AUTH_FAIL);
    assert_int_equal(ask(FAKE_REPLY, AUTH_TEMPFAIL, 5000, &why), AUTH_TEMPFAIL);
}

static void test_broken_service(void **state UNUSED)
{
    const char *why;
    long long t0;

    assert_int_equal(ask(FAKE_OTHER_HELLO, AUTH_OK, 5000, &why), AUTH_TEMPFAIL);
    assert_non_null(why);
    assert_int_equal(ask(FAKE_CLOSE, AUTH_OK, 5000, &why), AUTH_TEMPFAIL);
    assert_non_null(why);
    assert_int_equal(ask(FAKE_GARBAGE, AUTH_OK, 5000, &why), AUTH_TEMPFAIL);
    assert_non_null(why);
    t0 = stream_now_ms();
    assert_int_equal(ask(FAKE_SILENT, AUTH_OK, 300, &why), AUTH_TEMPFAIL);
    assert_non_null(why);
    assert_true(stream_now_ms() - t0 < 3000);
}

static void test_no_service(void **state UNUSED)
{
    struct auth_request r = {"smtp", "alice@corp.example", "pw", "local"};
    char big[AUTH_PASSWORD_MAX + 2];
    const char *why = NULL;

    assert_int_equal(auth_client_check(path, &r, 1000, &why), -1);
    assert_int_equal(errno, ENOENT);
    assert_non_null(why);
    /* a socket nobody listens on any more: the service is not running */
    (void)close(listen_at(path));
    assert_int_equal(auth_client_check(path, &r, 1000, &why), -1);
    assert_int_equal(errno, ECONNREFUSED);
    /* too long to be anyone's password: no need to ask */
    memset(big, 'p', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    r.password = big;
    assert_int_equal(auth_client_check(path, &r, 1000, &why), AUTH_FAIL);
    assert_true(auth_client_timeout_ms() >= 30000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_statuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broken_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_service, setup, teardown),
    };

    unit_init("test_auth_client");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
