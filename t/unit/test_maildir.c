/*
 * test_maildir.c - Maildir delivery into a temporary directory: the file
 * lands in new/ under the deterministic name with its size, tmp/ is left
 * empty whatever happens, a repeated delivery of the same message is
 * recognised (in new/, and in cur/ when asked), and write failures are
 * reported with errno and an explanation.
 */
#include "unit.h"
#include "maildir.h"

static char dir[PATH_MAX];
static char md[PATH_MAX + 16];

static int setup(void **state UNUSED)
{
    unit_mkdtemp(dir, sizeof(dir));
    return 0;
}

static int teardown(void **state UNUSED)
{
    unit_rmtree(dir);
    return 0;
}

/* A fresh Maildir path (not created yet) for each test. */
static void fresh_maildir(const char *name)
{
    snprintf(md, sizeof(md), "%s/%s", dir, name);
}

struct writer {
    const char *text;
    int fail; /* errno to fail with, or 0 */
    int calls;
};

static long long write_msg(int fd, void *ctx)
{
    struct writer *w = ctx;
    size_t len = strlen(w->text);

    w->calls++;
    if (w->fail) {
        errno = w->fail;
        return -1;
    }
    if (write(fd, w->text, len) != (ssize_t)len)
        return -1;
    return (long long)len;
}

static int count(const char *sub)
{
    char path[PATH_MAX + 32];

    snprintf(path, sizeof(path), "%s/%s", md, sub);
    return unit_count_dir(path);
}

static void test_base_name(void **state UNUSED)
{
    static const char prefix[] = "1700000000.M000042QABCDEF123R77.";
    char name[512];
    const char *host;

    maildir_base_name(name, sizeof(name), 1700000000, 42, "ABCDEF123", 77);
    assert_int_equal(strncmp(name, prefix, sizeof(prefix) - 1), 0);
    host = name + sizeof(prefix) - 1;
    assert_true(strlen(host) > 0);
    /* '/' would leave the directory and ':' would start the flags. */
    assert_null(strchr(host, '/'));
    assert_null(strchr(host, ':'));
    maildir_base_name(name, 10, 1700000000, 42, "ABCDEF123", 77);
    assert_string_equal(name, "170000000");
}

static void test_deliver_and_duplicate(void **state UNUSED)
{
    static const char base[] = "1700000000.M000001QABCDEFR10.host";
    struct writer w = {"Subject: hi\n\nbody\n", 0, 0};
    char path[PATH_MAX + 128];
    char *err = NULL;
    unsigned char *text;
    struct stat st;
    size_t len;

    fresh_maildir("Maildir");
    assert_int_equal(maildir_deliver(md, base, false, write_msg, &w, &err), MAILDIR_DELIVERED);
    /* Created with tmp, new and cur, private to the user. */
    assert_int_equal(stat(md, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/new/%s,S=%zu", md, base, strlen(w.text));
    text = unit_read_file(path, &len);
    assert_string_equal((char *)text, w.text);
    free(text);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_nlink, 1); /* the tmp/ name is gone */
    assert_int_equal(count("tmp"), 0);
    assert_int_equal(count("new"), 1);
    assert_int_equal(count("cur"), 0);

    /* The same message again (say, after a crash): recognised, not doubled. */
    assert_int_equal(maildir_deliver(md, base, false, write_msg, &w, &err), MAILDIR_DUPLICATE);
    assert_int_equal(maildir_deliver(md, base, true, write_msg, &w, &err), MAILDIR_DUPLICATE);
    assert_int_equal(count("tmp"), 0);
    assert_int_equal(count("new"), 1);

    /* Another recipient of the same message is another file. */
    assert_int_equal(
        maildir_deliver(md, "1700000000.M000001QABCDEFR11.host", false, write_msg, &w, &err),
        MAILDIR_DELIVERED);
    assert_int_equal(count("new"), 2);
    assert_int_equal(count("tmp"), 0);
}

static void test_duplicate_in_cur(void **state UNUSED)
{
    static const char base[] = "1700000000.M000002QBBBBBBR20.host";
    struct writer w = {"message\n", 0, 0};
    char from[PATH_MAX + 128], to[PATH_MAX + 128];
    char *err = NULL;

    fresh_maildir("Maildir2");
    assert_int_equal(maildir_deliver(md, base, false, write_msg, &w, &err), MAILDIR_DELIVERED);
    /* The user's client has read it: moved to cur/ with flags. */
    snprintf(from, sizeof(from), "%s/new/%s,S=8", md, base);
    snprintf(to, sizeof(to), "%s/cur/%s,S=8:2,S", md, base);
    assert_int_equal(rename(from, to), 0);

    assert_int_equal(maildir_deliver(md, base, true, write_msg, &w, &err), MAILDIR_DUPLICATE);
    assert_int_equal(count("new"), 0);
    assert_int_equal(count("tmp"), 0);
    assert_int_equal(count("cur"), 1);

    /* Without check_cur the earlier copy is not looked for. */
    assert_int_equal(maildir_deliver(md, base, false, write_msg, &w, &err), MAILDIR_DELIVERED);
    assert_int_equal(count("new"), 1);
    assert_int_equal(count("tmp"), 0);

    /* A name that merely starts with the base is a different message. */
    assert_int_equal(maildir_deliver(md, "1700000000.M000002QBBBBBBR2", true, write_msg, &w, &err),
                     MAILDIR_DELIVERED);
    /* Other flag forms in cur/ are found too. */
    snprintf(to, sizeof(to), "%s/cur/1700000000.M000003Q1R1.host:2,", md);
    unit_write_text(to, "x");
    assert_int_equal(maildir_deliver(md, "1700000000.M000003Q1R1.host", true, write_msg, &w, &err),
                     MAILDIR_DUPLICATE);
    assert_int_equal(count("tmp"), 0);
}

static void test_write_failure(void **state UNUSED)
{
    struct writer w = {"never written", ENOSPC, 0};
    char *err = NULL;

    fresh_maildir("Maildir3");
    errno = 0;
    assert_int_equal(maildir_deliver(md, "1.M1QAR1.h", false, write_msg, &w, &err), -1);
    assert_int_equal(errno, ENOSPC);
    assert_int_equal(w.calls, 1);
    assert_non_null(err);
    assert_non_null(strstr(err, "write"));
    assert_non_null(strstr(err, strerror(ENOSPC)));
    free(err);
    assert_int_equal(count("tmp"), 0); /* nothing half-written is left */
    assert_int_equal(count("new"), 0);
}

static void test_bad_path(void **state UNUSED)
{
    struct writer w = {"x", 0, 0};
    char file[PATH_MAX + 16];
    char *err = NULL;

    /* No parents are made. */
    snprintf(md, sizeof(md), "%s/no/such/Maildir", dir);
    errno = 0;
    assert_int_equal(maildir_deliver(md, "1.M1QAR1.h", false, write_msg, &w, &err), -1);
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(err, "create maildir"));
    free(err);
    assert_int_equal(w.calls, 0);

    /* A file where the Maildir should be. */
    snprintf(file, sizeof(file), "%s/plainfile", dir);
    unit_write_text(file, "x");
    err = NULL;
    assert_int_equal(maildir_deliver(file, "1.M1QAR1.h", false, write_msg, &w, &err), -1);
    assert_non_null(err);
    free(err);
    assert_int_equal(w.calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_name),        cmocka_unit_test(test_deliver_and_duplicate),
        cmocka_unit_test(test_duplicate_in_cur), cmocka_unit_test(test_write_failure),
        cmocka_unit_test(test_bad_path),
    };

    unit_init("test_maildir");
    return cmocka_run_group_tests(tests, setup, teardown);
}
