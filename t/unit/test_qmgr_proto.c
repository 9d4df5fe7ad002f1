/*
 * test_qmgr_proto.c - the one-way hints to qmgr: request round trips, the
 * lenient decoder (unknown attributes skipped, required ones enforced), and
 * qmgr_notify_queued() against no qmgr, a qmgr that speaks another
 * protocol, and a fake qmgr in a child process that checks what arrives.
 */
#include "unit.h"
#include "attr.h"
#include "buf.h"
#include "qmgr_proto.h"
#include "sock.h"
#include "stream.h"

static char dir[PATH_MAX];
static int old_cwd = -1;

static int setup(void **state UNUSED)
{
    char path[PATH_MAX + 16];

    unit_mkdtemp(dir, sizeof(dir));
    /* QMGR_SOCKET lives in one of these, whichever it is. */
    snprintf(path, sizeof(path), "%s/private", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/public", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    old_cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(old_cwd >= 0);
    assert_int_equal(chdir(dir), 0); /* the queue directory */
    return 0;
}

static int teardown(void **state UNUSED)
{
    assert_int_equal(fchdir(old_cwd), 0);
    (void)close(old_cwd);
    unit_rmtree(dir);
    return 0;
}

static void test_round_trip(void **state UNUSED)
{
    struct qmgr_request in = {QMGR_REQ_QUEUED, "ABCDE12345"}, out;
    struct buf b;
    const unsigned char *p;
    size_t len, frame_len;
    const char *why = NULL;

    buf_init(&b, 4096);
    qmgr_request_encode(&b, &in);
    assert_int_equal(attr_frame_peek(&b, &p, &len, &frame_len), 1);
    assert_int_equal(frame_len, b.len);
    assert_int_equal(qmgr_request_decode(p, len, &out, &why), 0);
    assert_string_equal(out.request, "queued");
    assert_string_equal(out.queue_id, "ABCDE12345");

    /* A wakeup has no queue ID: it is left out and decodes as NULL. */
    buf_reset(&b);
    in.request = QMGR_REQ_WAKEUP;
    in.queue_id = NULL;
    qmgr_request_encode(&b, &in);
    assert_int_equal(attr_frame_peek(&b, &p, &len, &frame_len), 1);
    assert_int_equal(qmgr_request_decode(p, len, &out, &why), 0);
    assert_string_equal(out.request, "wakeup");
    assert_null(out.queue_id);
    buf_free(&b);
}

static void test_decode_rules(void **state UNUSED)
{
    struct qmgr_request out;
    struct buf b;
    const char *why;

    buf_init(&b, 4096);
    /* A newer client may add attributes: skipped. */
    attr_put_str(&b, "request", "queued");
    attr_put_int(&b, "priority", 5);
    attr_put_str(&b, "queue_id", "ABCDEF");
    assert_int_equal(qmgr_request_decode(b.data, b.len, &out, &why), 0);
    assert_string_equal(out.queue_id, "ABCDEF");

    buf_reset(&b);
    attr_put_str(&b, "queue_id", "ABCDEF");
    assert_int_equal(qmgr_request_decode(b.data, b.len, &out, &why), -1);
    assert_string_equal(why, "missing attribute");

    buf_reset(&b);
    attr_put_str(&b, "request", "queued");
    attr_put_str(&b, "queue_id", "0123456789ABCDEF012345678"); /* 25 > QUEUE_ID_MAX */
    assert_int_equal(qmgr_request_decode(b.data, b.len, &out, &why), -1);
    assert_string_equal(why, "attribute value too long");

    buf_reset(&b);
    attr_put_int(&b, "request", 1);
    assert_int_equal(qmgr_request_decode(b.data, b.len, &out, &why), -1);
    assert_string_equal(why, "attribute has the wrong type");

    buf_reset(&b);
    attr_put_str(&b, "request", "queued");
    attr_put_str(&b, "request", "wakeup");
    assert_int_equal(qmgr_request_decode(b.data, b.len, &out, &why), -1);
    assert_string_equal(why, "duplicate attribute");
    buf_free(&b);
}

static void test_notify_without_qmgr(void **state UNUSED)
{
    /* No socket: the hint is lost quietly and the caller goes on. */
    qmgr_notify_queued("ABCDEF123");
}

/* A fake qmgr: greet with `protocol`, then report what the client sent. */
struct fake {
    int lfd;
    const char *protocol;
    const char *want_id; /* NULL: expect the client to hang up instead */
};

static void fake_qmgr(void *ctx)
{
    struct fake *f = ctx;
    struct buf out, frame;
    struct qmgr_request r;
    struct stream *s;
    const char *why;
    int fd = accept(f->lfd, NULL, NULL);

    if (fd < 0)
        _exit(10);
    s = stream_open(fd, 5000);
    buf_init(&out, 1024);
    buf_init(&frame, 1024);
    attr_put_hello(&out, f->protocol, QMGR_VERSION);
    if (attr_write_frames(s, &out) < 0)
        _exit(11);
    if (f->want_id == NULL) {
        /* The client may send one hint before it reads our greeting, but
         * once it has read it, it must hang up. */
        while (attr_read_frame(s, &frame, &why) == 0)
            ;
        _exit((s->flags & STREAM_F_EOF) ? 0 : 12);
    }
    if (attr_read_frame(s, &frame, &why) < 0)
        _exit(12);
    if (qmgr_request_decode(frame.data, frame.len, &r, &why) < 0)
        _exit(14);
    if (strcmp(r.request, QMGR_REQ_QUEUED) != 0 || r.queue_id == NULL ||
        strcmp(r.queue_id, f->want_id) != 0)
        _exit(15);
    _exit(0);
}

static void run_fake(struct fake *f, const char *notify_id)
{
    pid_t pid;
    int status;

    f->lfd = unix_listen(QMGR_SOCKET, 5, 0600, getuid(), getgid());
    if (f->lfd < 0)
        fail_msg("listen %s: %s", QMGR_SOCKET, strerror(errno));
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        fake_qmgr(f);
    (void)close(f->lfd);
    qmgr_notify_queued(notify_id);
    if (f->want_id == NULL) {
        usleep(200000); /* let the greeting arrive; the next hint sees it */
        qmgr_notify_queued(notify_id);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(unlink(QMGR_SOCKET), 0);
}

static void test_notify_wrong_protocol(void **state UNUSED)
{
    struct fake f = {-1, "smtp", NULL};

    /* The client refuses the greeting and hangs up (a first hint may have
     * gone out before the greeting was read: hints never wait for qmgr). */
    run_fake(&f, "ABCDEF123");
}

static void test_notify_delivers_hint(void **state UNUSED)
{
    struct fake f = {-1, QMGR_PROTOCOL, "ABCDEF123"};

    run_fake(&f, "ABCDEF123");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),           cmocka_unit_test(test_decode_rules),
        cmocka_unit_test(test_notify_without_qmgr),  cmocka_unit_test(test_notify_wrong_protocol),
        cmocka_unit_test(test_notify_delivers_hint),
    };

    unit_init("test_qmgr_proto");
    return cmocka_run_group_tests(tests, setup, teardown);
}
