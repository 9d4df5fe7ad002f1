/*
 * test_sock.c - sockets: UNIX listeners (mode, stale socket replaced,
 * over-long paths refused) and connections, a TCP listener and connection on
 * the loopback address only, and the address helpers (printing, and mapping
 * IPv4-mapped IPv6 peers back to IPv4).  No name is ever resolved.
 */
#include "unit.h"
#include "sock.h"

static void test_unix_listen_connect(void **state UNUSED)
{
    char dir[PATH_MAX], path[PATH_MAX + 16];
    struct stat st;
    int lfd, cfd, afd;
    char c = 0;

    unit_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/sock", dir);
    lfd = unix_listen(path, 5, 0622, getuid(), getgid());
    assert_true(lfd >= 0);
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0622);
    assert_true(fcntl(lfd, F_GETFD) & FD_CLOEXEC);

    cfd = unix_connect(path, false);
    assert_true(cfd >= 0);
    afd = accept(lfd, NULL, NULL);
    assert_true(afd >= 0);
    assert_int_equal(write(cfd, "k", 1), 1);
    assert_int_equal(read(afd, &c, 1), 1);
    assert_int_equal(c, 'k');
    (void)close(afd);
    (void)close(cfd);
    (void)close(lfd);

    /* The old socket file is stale now: a new listener replaces it. */
    lfd = unix_listen(path, 5, 0600, getuid(), getgid());
    assert_true(lfd >= 0);
    cfd = unix_connect(path, true);
    assert_true(cfd >= 0);
    assert_true(fcntl(cfd, F_GETFL) & O_NONBLOCK);
    (void)close(cfd);
    (void)close(lfd);

    /* Nobody listening. */
    assert_int_equal(unlink(path), 0);
    errno = 0;
    assert_int_equal(unix_connect(path, false), -1);
    assert_int_equal(errno, ENOENT);
    unit_rmtree(dir);
}

/*
 * BUG: master, as root, chowned and chmodded the socket path after bind(),
 * in a directory that mail_owner owns: a symlink swapped in between would
 * have handed any file to that user.  Every operation on the path must run
 * with the owner's ids: in a directory the owner cannot enter, it fails.
 */
static void test_unix_listen_as_owner(void **state UNUSED)
{
    const uid_t uid = 65534;
    const gid_t gid = 65534;
    char dir[PATH_MAX], sub[PATH_MAX + 16], path[PATH_MAX + 32];
    struct stat st;
    int lfd;

    if (geteuid() != 0)
        fail_msg("this test needs root (make check runs as root)");
    unit_mkdtemp(dir, sizeof(dir));
    assert_int_equal(chmod(dir, 0755), 0);
    /* The owner's own directory: the socket is the owner's, with the mode. */
    snprintf(sub, sizeof(sub), "%s/owned", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(chown(sub, uid, gid), 0);
    snprintf(path, sizeof(path), "%s/sock", sub);
    lfd = unix_listen(path, 5, 0666, uid, gid);
    assert_true(lfd >= 0);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_uid, uid);
    assert_int_equal(st.st_gid, gid);
    assert_int_equal(st.st_mode & 07777, 0666);
    (void)close(lfd);
    /* We are root again, with our umask back. */
    assert_int_equal(geteuid(), 0);
    assert_int_equal(getegid(), 0);
    /* A directory only root may enter: the owner's ids cannot bind there. */
    snprintf(sub, sizeof(sub), "%s/rootonly", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(path, sizeof(path), "%s/sock", sub);
    errno = 0;
    assert_int_equal(unix_listen(path, 5, 0600, uid, gid), -1);
    assert_int_equal(errno, EACCES);
    assert_int_equal(lstat(path, &st), -1);
    assert_int_equal(geteuid(), 0);
    unit_rmtree(dir);
}

static void test_unix_path_too_long(void **state UNUSED)
{
    char path[200];

    memset(path, 'p', sizeof(path) - 1);
    path[0] = '/';
    path[sizeof(path) - 1] = 0;
    errno = 0;
    assert_int_equal(unix_listen(path, 5, 0600, getuid(), getgid()), -1);
    assert_int_equal(errno, ENAMETOOLONG);
    errno = 0;
    assert_int_equal(unix_connect(path, false), -1);
    assert_int_equal(errno, ENAMETOOLONG);
}

static void test_inet_loopback(void **state UNUSED)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char addr[SOCK_ADDR_MAX + 1];
    const char *why = NULL;
    int lfd, cfd, port = 0;

    lfd = inet_listen("127.0.0.1", "0", 5, &why);
    if (lfd < 0)
        fail_msg("inet_listen: %s", why);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
    assert_int_equal(sock_ntop((struct sockaddr *)&ss, addr, sizeof(addr), &port), 0);
    assert_string_equal(addr, "127.0.0.1");
    assert_true(port > 0);

    cfd = inet_connect((struct sockaddr *)&ss, len, 2000);
    if (cfd < 0)
        fail_msg("connect to 127.0.0.1: %s", strerror(errno));
    if (cfd < 0)
        fail_msg("inet_connect: %s", strerror(errno));
    (void)close(cfd);
    (void)close(lfd);

    /* The port is closed now: refused, not a timeout. */
    errno = 0;
    assert_int_equal(inet_connect((struct sockaddr *)&ss, len, 2000), -1);
    assert_int_equal(errno, ECONNREFUSED);
}

static void test_ntop_and_unmap(void **state UNUSED)
{
    struct sockaddr_storage ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    socklen_t len = sizeof(*s6);
    char addr[SOCK_ADDR_MAX + 1];
    int port = -1;

    memset(&ss, 0, sizeof(ss));
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(2525);
    assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &s6->sin6_addr), 1);
    assert_int_equal(sock_ntop((struct sockaddr *)&ss, addr, sizeof(addr), &port), 0);
    assert_string_equal(addr, "2001:db8::1");
    assert_int_equal(port, 2525);
    sock_unmap_v4(&ss, &len); /* not mapped: unchanged */
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(len, sizeof(*s6));

    assert_int_equal(inet_pton(AF_INET6, "::ffff:192.0.2.33", &s6->sin6_addr), 1);
    sock_unmap_v4(&ss, &len);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(len, sizeof(struct sockaddr_in));
    assert_int_equal(sock_ntop((struct sockaddr *)&ss, addr, sizeof(addr), &port), 0);
    assert_string_equal(addr, "192.0.2.33");
    assert_int_equal(port, 2525);

    assert_int_equal(sock_ntop((struct sockaddr *)&sun, addr, sizeof(addr), &port), 0);
    assert_string_equal(addr, "local");
    assert_int_equal(port, 0);
    assert_int_equal(sock_ntop((struct sockaddr *)&sun, addr, sizeof(addr), NULL), 0);

    /* Too small an output buffer is an error, not an overflow. */
    memset(&ss, 0, sizeof(ss));
    s6->sin6_family = AF_INET6;
    assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &s6->sin6_addr), 1);
    assert_int_equal(sock_ntop((struct sockaddr *)&ss, addr, 5, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unix_listen_connect), cmocka_unit_test(test_unix_listen_as_owner),
        cmocka_unit_test(test_unix_path_too_long),  cmocka_unit_test(test_inet_loopback),
        cmocka_unit_test(test_ntop_and_unmap),
    };

    unit_init("test_sock");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
