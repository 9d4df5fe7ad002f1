/*
 * test_proxy_client.c - a daemon's side of proxymap (proxy_client.h, the
 * proxy: table kind in dict_proxy.c, dict_proxy_files() in dict.c), against
 * the real service: proxymap.c's request handling, compiled in here with
 * its main() renamed, runs in a child process on "private/proxymap" in a
 * temporary directory the test chdirs into, with a proxy_read_maps of the
 * test's tables and the system's accounts replaced by a fake getpwnam_r()
 * (nothing here reads the host's users).
 *
 * Lookups found, not found and "retry" (a listed table that cannot be
 * opened), keys folded by the service; a table not in proxy_read_maps is
 * "denied", with the reason; accounts found with their IDs, home and shell,
 * unknown, and "retry" when the account database or the service fails
 * (never "unknown"); a kept connection the service closed is replaced
 * once, transparently, and only once; a proxy: table's value survives a
 * lookup in another proxy: table; and with dict_proxy_files() on, a table
 * kept in a file is opened through the service while in-line tables and
 * DICT_FLAG_DIRECT opens stay in the process.
 */
#include "unit.h"
#include <sys/prctl.h>
#include "attr.h"
#include "buf.h"
#include "conf.h"
#include "dict.h"
#include "dict_build.h"
#include "events.h"
#include "local_user.h"
#include "proxy_client.h"
#include "proxy_proto.h"
#include "stream.h"

/* The real service, without its main(): proxy_allowed_init(), proxy_session_start(). */
int proxymap_main(int argc, char **argv);
#define main proxymap_main
#include "proxymap.c"
#undef main

int __wrap_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len,
                      struct passwd **res);

static char dir[PATH_MAX], read_maps[8 * PATH_MAX];
static char tab_a[PATH_MAX + 16], tab_b[PATH_MAX + 16], tab_missing[PATH_MAX + 16];
static char tab_secret[PATH_MAX + 16], tab_hash[PATH_MAX + 16], tab_hash_other[PATH_MAX + 16];
/* The longest value a table file can hold: its line is "big VALUE". */
#define BIG_LEN (CONF_LINE_MAX - 4 < DICT_VALUE_MAX ? CONF_LINE_MAX - 4 : DICT_VALUE_MAX)
static char tab_big[PATH_MAX + 16], big_value[BIG_LEN + 1];
static pid_t server_pid;
static bool in_proxymap; /* the fake accounts answer differently in the service */

/*
 * The system's accounts, as the test has them: "alice" (in the service
 * 1001:1002, in the test process itself 9001:9002, so that an answer shows
 * where it came from), "broken" (the database fails), no one else.
 */
int __wrap_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len,
                      struct passwd **res)
{
    *res = NULL;
    if (strcmp(name, "broken") == 0)
        return EIO;
    if (strcmp(name, "alice") != 0)
        return 0;
    if (len < 64)
        return ERANGE;
    memset(pw, 0, sizeof(*pw));
    snprintf(buf, len, "alice");
    pw->pw_name = buf;
    pw->pw_passwd = buf + 5; /* "" */
    pw->pw_uid = in_proxymap ? 1001 : 9001;
    pw->pw_gid = in_proxymap ? 1002 : 9002;
    pw->pw_gecos = buf + 5;
    pw->pw_dir = in_proxymap ? "/home/alice" : "/elsewhere";
    pw->pw_shell = "/bin/sh";
    *res = pw;
    return 0;
}

static void table_path(char *out, size_t len, const char *type, const char *file)
{
    if (snprintf(out, len, "%s:%s/%s", type, dir, file) >= (int)len)
        fail_msg("%s: too long", dir);
}

static int setup(void **state UNUSED)
{
    char src[PATH_MAX + 16], *err = NULL;

    unit_mkdtemp(dir, sizeof(dir));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(mkdir("private", 0700), 0);
    table_path(tab_a, sizeof(tab_a), "texthash", "a");
    table_path(tab_b, sizeof(tab_b), "texthash", "b");
    table_path(tab_missing, sizeof(tab_missing), "texthash", "missing");
    table_path(tab_secret, sizeof(tab_secret), "texthash", "secret");
    table_path(tab_hash, sizeof(tab_hash), "hash", "h");
    table_path(tab_hash_other, sizeof(tab_hash_other), "hash", "other");
    table_path(tab_big, sizeof(tab_big), "texthash", "big");
    unit_write_text("a", "alice alice@corp.example\npostmaster root\n");
    unit_write_text("b", "bob bob@corp.example\n");
    unit_write_text("secret", "alice {CRYPT}secret\n");
    unit_write_text("h", "carol carol@corp.example\n");
    memset(big_value, 'v', BIG_LEN);
    unit_write_file("big", "big ", 4);
    {
        FILE *f = fopen("big", "a");

        assert_non_null(f);
        assert_int_equal(fprintf(f, "%s\n", big_value), BIG_LEN + 1);
        assert_int_equal(fclose(f), 0);
    }
    snprintf(src, sizeof(src), "%s/h", dir);
    if (dict_build("hash", src, DICT_SYNTAX_TABLE, &err) != 0)
        fail_msg("dict_build: %s", err);
    /* As main.cf lists it: with proxy: prefixes, other words, commas. */
    snprintf(read_maps, sizeof(read_maps),
             "%s, proxy:%s $virtual_alias_maps permit_mynetworks proxy:proxy:%s %s corp.example %s",
             tab_a, tab_b, tab_missing, tab_hash, tab_big);
    server_pid = 0;
    return 0;
}

static void stop_server(void)
{
    int st;

    if (server_pid > 0) {
        (void)kill(server_pid, SIGKILL);
        assert_int_equal(waitpid(server_pid, &st, 0), server_pid);
    }
    server_pid = 0;
}

static int teardown(void **state UNUSED)
{
    proxy_client_close();
    stop_server();
    assert_int_equal(chdir("/"), 0);
    unit_rmtree(dir);
    return 0;
}

static int listen_here(void)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    (void)unlink(PROXY_SOCKET);
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", PROXY_SOCKET);
    assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    assert_int_equal(listen(fd, 16), 0);
    return fd;
}

static void real_accept(int lfd, void *ctx UNUSED)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

    if (fd >= 0)
        proxy_session_start(fd);
}

/* The real service, as multi_server_main() would run it after proxy_allowed_init(). */
static void start_server(void)
{
    int lfd = listen_here();

    fflush(NULL);
    if ((server_pid = fork()) == 0) {
        /* Never outlive a test program that failed (and hold ctest's pipe). */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
            _exit(1);
        in_proxymap = true;
        var_proxy_read_maps = read_maps;
        proxy_allowed_init();
        event_enable_read(lfd, real_accept, NULL);
        for (;;)
            event_loop(-1);
    }
    assert_true(server_pid > 0);
    assert_int_equal(close(lfd), 0);
}

static void lookup_is(const char *table, int flags, const char *key, int want, const char *value)
{
    const char *v = NULL;
    char *err = NULL;
    int r = proxy_client_lookup(table, flags, key, &v, &err);

    if (r != want)
        fail_msg("%s in %s: %d (%s), not %d", key, table, r, err ? err : "", want);
    if (want == 1)
        assert_string_equal(v, value);
    if (want < 0) {
        assert_non_null(err);
        if (value && strstr(err, value) == NULL)
            fail_msg("%s in %s: \"%s\" does not say \"%s\"", key, table, err, value);
        free(err);
    }
}

static void test_lookup(void **state UNUSED)
{
    char *err = NULL;

    start_server();
    assert_int_equal(proxy_client_open(tab_a, DICT_FLAG_FOLD, &err), 0);
    lookup_is(tab_a, DICT_FLAG_FOLD, "alice", 1, "alice@corp.example");
    lookup_is(tab_a, DICT_FLAG_FOLD, "postmaster", 1, "root");
    lookup_is(tab_a, DICT_FLAG_FOLD, "nobody", 0, NULL);
    lookup_is(tab_a, DICT_FLAG_FOLD, "", 0, NULL);
    /* The service folds, as the inner table's kind does; the client sends keys as given. */
    lookup_is(tab_a, DICT_FLAG_FOLD, "ALICE", 1, "alice@corp.example");
    lookup_is(tab_a, 0, "ALICE", 0, NULL);
    lookup_is(tab_a, DICT_FLAG_FOLD | DICT_FLAG_DIRECT, "Alice", 1, "alice@corp.example");
    /* Named in proxy_read_maps behind "proxy:" prefixes, and after a comma. */
    lookup_is(tab_b, DICT_FLAG_FOLD, "bob", 1, "bob@corp.example");
    lookup_is(tab_hash, DICT_FLAG_FOLD, "carol", 1, "carol@corp.example");
    /* Listed, but it cannot be opened: retry, with why. */
    assert_int_equal(proxy_client_open(tab_missing, DICT_FLAG_FOLD, &err), -1);
    assert_non_null(strstr(err, tab_missing));
    free(err);
    lookup_is(tab_missing, DICT_FLAG_FOLD, "alice", -1, tab_missing);
    /* Not listed: denied, whether the file exists or not. */
    err = NULL;
    assert_int_equal(proxy_client_open(tab_secret, DICT_FLAG_FOLD, &err), -1);
    assert_non_null(err);
    assert_non_null(strstr(err, "not in proxymap's proxy_read_maps"));
    free(err);
    lookup_is(tab_secret, DICT_FLAG_FOLD, "alice", -1, "not in proxymap's proxy_read_maps");
    lookup_is(tab_hash_other, DICT_FLAG_FOLD, "alice", -1, "not in proxymap's proxy_read_maps");
    lookup_is("proxy:texthash:/etc/passwd", 0, "root", -1, "not in proxymap's proxy_read_maps");
    /* The connection is still good after all of that. */
    lookup_is(tab_a, DICT_FLAG_FOLD, "alice", 1, "alice@corp.example");
}

static void test_passwd(void **state UNUSED)
{
    struct local_user u;

    start_server();
    memset(&u, 0, sizeof(u));
    assert_int_equal(proxy_client_passwd("alice", &u), LOCAL_USER_FOUND);
    assert_int_equal(u.uid, 1001);
    assert_int_equal(u.gid, 1002);
    assert_string_equal(u.home, "/home/alice");
    assert_string_equal(u.shell, "/bin/sh");
    assert_int_equal(proxy_client_passwd("bob", &u), LOCAL_USER_UNKNOWN);
    assert_int_equal(proxy_client_passwd("broken", &u), LOCAL_USER_RETRY);
    /* The service died: its kept connection is gone, and nobody listens. */
    stop_server();
    assert_int_equal(proxy_client_passwd("alice", &u), LOCAL_USER_RETRY);
    assert_int_equal(proxy_client_passwd("bob", &u), LOCAL_USER_RETRY);
    /* No socket at all. */
    assert_int_equal(unlink(PROXY_SOCKET), 0);
    assert_int_equal(proxy_client_passwd("bob", &u), LOCAL_USER_RETRY);
    /* Back again: found. */
    start_server();
    assert_int_equal(proxy_client_passwd("alice", &u), LOCAL_USER_FOUND);
    assert_int_equal(u.uid, 1001);
}

/* proxymap restarted between two questions: the second is answered all the same. */
static void test_reconnect(void **state UNUSED)
{
    struct local_user u;

    start_server();
    lookup_is(tab_a, DICT_FLAG_FOLD, "alice", 1, "alice@corp.example");
    stop_server();
    start_server();
    lookup_is(tab_a, DICT_FLAG_FOLD, "postmaster", 1, "root");
    stop_server();
    start_server();
    assert_int_equal(proxy_client_passwd("alice", &u), LOCAL_USER_FOUND);
    stop_server();
    start_server();
    lookup_is(tab_secret, 0, "alice", -1, "not in proxymap's proxy_read_maps");
}

/*
 * A fake service that answers the first question of its first connection
 * (found, "v") and then closes; later connections get the hello and are
 * closed unanswered.  Each accept writes one byte to the pipe.
 */
static NORETURN void fake_closing(int lfd, int count_fd)
{
    struct proxy_reply reply = {PROXY_OK, "v", NULL, 0, 0, NULL, NULL};
    struct proxy_request req;
    const char *why;
    struct buf b;
    int conn, fd;

    buf_init(&b, PROXY_REPLY_MAX + 4);
    for (conn = 0;; conn++) {
        struct stream *s;

        if ((fd = accept(lfd, NULL, NULL)) < 0)
            _exit(2);
        if (write(count_fd, "c", 1) != 1)
            _exit(3);
        s = stream_open(fd, 10000);
        buf_reset(&b);
        attr_put_hello(&b, PROXY_PROTOCOL, PROXY_VERSION);
        if (attr_write_frames(s, &b) < 0)
            _exit(4);
        if (conn == 0) {
            if (attr_read_frame(s, &b, &why) < 0 ||
                proxy_request_decode(b.data, b.len, &req, &why) < 0)
                _exit(5);
            buf_reset(&b);
            proxy_reply_encode(&b, &reply);
            if (attr_write_frames(s, &b) < 0)
                _exit(6);
        }
        stream_close(s);
    }
}

/* A kept connection that fails is replaced once, never more. */
static void test_reconnect_once(void **state UNUSED)
{
    int lfd = listen_here(), pfd[2], flags;
    char counts[16];
    const char *v;
    char *err = NULL;

    assert_int_equal(pipe(pfd), 0);
    fflush(NULL);
    if ((server_pid = fork()) == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
            _exit(1);
        (void)close(pfd[0]);
        fake_closing(lfd, pfd[1]);
    }
    assert_true(server_pid > 0);
    assert_int_equal(close(lfd), 0);
    assert_int_equal(close(pfd[1]), 0);
    lookup_is(tab_a, 0, "k", 1, "v");
    /* The kept one was closed, the fresh one is closed unanswered: two tries in all. */
    assert_int_equal(proxy_client_lookup(tab_a, 0, "k", &v, &err), -1);
    assert_non_null(err);
    free(err);
    assert_int_equal(read(pfd[0], counts, sizeof(counts)), 2);
    /* Nothing kept now: the next question opens one connection, no retry. */
    err = NULL;
    assert_int_equal(proxy_client_lookup(tab_a, 0, "k", &v, &err), -1);
    free(err);
    stop_server();
    flags = fcntl(pfd[0], F_GETFL);
    assert_int_equal(fcntl(pfd[0], F_SETFL, flags | O_NONBLOCK), 0);
    assert_int_equal(read(pfd[0], counts, sizeof(counts)), 1);
    assert_int_equal(close(pfd[0]), 0);
}

static void dict_is(struct dict *d, const char *key, const char *want)
{
    const char *v = NULL;
    char *err = NULL;
    int r = dict_lookup(d, key, &v, &err);

    if (r != 1)
        fail_msg("%s in %s: %d (%s)", key, d->spec, r, err ? err : "not found");
    assert_string_equal(v, want);
}

static void open_fails(const char *spec, int flags, const char *why)
{
    struct dict *d = NULL;
    char *err = NULL;

    if (dict_open(spec, flags, &d, &err) == 0)
        fail_msg("%s opened", spec);
    if (strstr(err, why) == NULL)
        fail_msg("%s: \"%s\" does not say \"%s\"", spec, err, why);
    free(err);
}

/* The proxy: kind copies its value: the reply it came in is reused by the next question. */
static void test_proxy_table(void **state UNUSED)
{
    char spec_a[PATH_MAX + 32], spec_b[PATH_MAX + 32], spec[PATH_MAX + 32];
    struct dict *a, *b, *big;
    const char *va = NULL, *vb = NULL;
    char *err = NULL;

    start_server();
    dict_register_proxy(&dict_proxy_ops);
    snprintf(spec_a, sizeof(spec_a), "proxy:%s", tab_a);
    snprintf(spec_b, sizeof(spec_b), "proxy:%s", tab_b);
    assert_int_equal(dict_open(spec_a, DICT_FLAG_FOLD, &a, &err), 0);
    assert_int_equal(dict_open(spec_b, DICT_FLAG_FOLD, &b, &err), 0);
    assert_ptr_equal(a->ops, &dict_proxy_ops);
    assert_int_equal(dict_lookup(a, "Alice", &va, &err), 1);
    assert_int_equal(dict_lookup(b, "bob", &vb, &err), 1);
    assert_string_equal(va, "alice@corp.example");
    assert_string_equal(vb, "bob@corp.example");
    assert_int_equal(dict_lookup(b, "nobody", &vb, &err), 0);
    assert_string_equal(va, "alice@corp.example");
    dict_is(a, "postmaster", "root");
    /* The longest value a table holds comes through whole. */
    snprintf(spec, sizeof(spec), "proxy:%s", tab_big);
    assert_int_equal(dict_open(spec, DICT_FLAG_FOLD, &big, &err), 0);
    dict_is(big, "big", big_value);
    dict_close(big);
    dict_close(a);
    dict_close(b);
    /* Refused at open: not listed, unknown inner kinds, proxy behind proxy. */
    snprintf(spec, sizeof(spec), "proxy:%s", tab_secret);
    open_fails(spec, DICT_FLAG_FOLD, "not in proxymap's proxy_read_maps");
    open_fails("proxy:nosuch:/x", 0, "unknown table type \"nosuch\"");
    snprintf(spec, sizeof(spec), "proxy:proxy:%s", tab_a);
    open_fails(spec, 0, "unknown table type \"proxy\"");
    open_fails("proxy:/etc/aliases", 0, "proxy:type:name");
    /* The service gone: the open is an error, never an empty table. */
    stop_server();
    open_fails(spec_a, DICT_FLAG_FOLD, "proxymap service");
}

/*
 * dict_proxy_files(), as proxy_client_enable() turns it on for a chrooted
 * daemon.  It cannot be turned off, so this test runs last; the service
 * is forked before it is on.
 */
static void test_proxy_files(void **state UNUSED)
{
    static char delimiter[] = "+";
    char spec[PATH_MAX + 32];
    struct dict *d, *inl, *direct;
    struct local_user u;
    char *err = NULL;

    var_recipient_delimiter = delimiter;
    start_server();
    /* Before: the account comes from the process's own (fake) database. */
    assert_int_equal(local_user_lookup("Alice+lists", &u), LOCAL_USER_FOUND);
    assert_int_equal(u.uid, 9001);
    proxy_client_enable();
    assert_true(proxy_client_enabled());
    /* A hash: table goes through the service (it names the whole "type:name"). */
    if (dict_open(tab_hash, DICT_FLAG_FOLD, &d, &err) < 0)
        fail_msg("%s: %s", tab_hash, err);
    assert_ptr_equal(d->ops, &dict_proxy_ops);
    assert_string_equal(d->name, tab_hash);
    dict_is(d, "Carol", "carol@corp.example");
    open_fails(tab_hash_other, DICT_FLAG_FOLD, "not in proxymap's proxy_read_maps");
    open_fails(tab_secret, DICT_FLAG_FOLD, "not in proxymap's proxy_read_maps");
    /* So does an explicit proxy: one, once. */
    snprintf(spec, sizeof(spec), "proxy:%s", tab_a);
    assert_int_equal(dict_open(spec, DICT_FLAG_FOLD, &direct, &err), 0);
    assert_string_equal(direct->name, tab_a);
    dict_is(direct, "alice", "alice@corp.example");
    dict_close(direct);
    /* Accounts too. */
    assert_int_equal(local_user_lookup("Alice+lists", &u), LOCAL_USER_FOUND);
    assert_int_equal(u.uid, 1001);
    assert_string_equal(u.home, "/home/alice");
    assert_int_equal(local_user_lookup("broken", &u), LOCAL_USER_RETRY);
    assert_int_equal(local_user_lookup("bob", &u), LOCAL_USER_UNKNOWN);
    /* In-line tables and DICT_FLAG_DIRECT stay here, with the service gone. */
    stop_server();
    assert_int_equal(dict_open("inline:{a=b}", DICT_FLAG_FOLD, &inl, &err), 0);
    assert_string_equal(inl->ops->type, "inline");
    dict_is(inl, "A", "b");
    assert_int_equal(dict_open(tab_secret, DICT_FLAG_FOLD | DICT_FLAG_DIRECT, &direct, &err), 0);
    assert_string_equal(direct->ops->type, "texthash");
    dict_is(direct, "alice", "{CRYPT}secret");
    open_fails(tab_a, DICT_FLAG_FOLD, "proxymap service");
    assert_int_equal(local_user_lookup("alice", &u), LOCAL_USER_RETRY);
    dict_close(d);
    dict_close(inl);
    dict_close(direct);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_passwd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconnect_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proxy_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proxy_files, setup, teardown), /* last */
    };

    unit_init("test_proxy_client");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
