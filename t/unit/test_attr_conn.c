/*
 * test_attr_conn.c - event-driven frame connections over a socketpair:
 * frames that arrive together or a byte at a time, a callback that closes
 * its own connection, peer hang-up and bad frame lengths reported once,
 * output written only from the event loop, and a non-blocking connect.
 * ASan makes any use of a freed connection fail the test.
 */
#include "unit.h"
#include "attr.h"
#include "attr_conn.h"
#include "buf.h"
#include "events.h"
#include "sock.h"

struct seen {
    int frames;
    char text[8][32];
    int closes;
    char why[64];
    bool close_in_frame; /* close the connection from the frame callback */
};

static void on_frame(struct attr_conn *c, const unsigned char *p, size_t len)
{
    struct seen *s = c->ctx;
    struct attr a;
    size_t pos = 0;
    const char *why;

    if (s->frames < 8) {
        if (len == 0)
            snprintf(s->text[s->frames], sizeof(s->text[0]), "(empty)");
        else if (attr_next(p, len, &pos, &a, &why) == 1 && a.type == ATTR_TYPE_STR)
            snprintf(s->text[s->frames], sizeof(s->text[0]), "%s", (const char *)a.value);
        else
            snprintf(s->text[s->frames], sizeof(s->text[0]), "(bad)");
    }
    s->frames++;
    if (s->close_in_frame)
        attr_conn_close(c);
}

static void on_close(struct attr_conn *c, const char *why)
{
    struct seen *s = c->ctx;

    s->closes++;
    snprintf(s->why, sizeof(s->why), "%s", why);
}

static void frame_str(struct buf *b, const char *val)
{
    size_t start = attr_frame_begin(b);

    attr_put_str(b, "v", val);
    assert_int_equal(attr_frame_end(b, start), 0);
}

/* Run the loop until `frames` frames and `closes` closes were seen, or 2 s. */
static void loop_until(const struct seen *s, int frames, int closes)
{
    long long end = event_now_ms() + 2000;

    while ((s->frames < frames || s->closes < closes) && event_now_ms() < end)
        event_loop(50);
}

static void test_frames(void **state UNUSED)
{
    struct seen s = {0};
    struct buf b;
    int sv[2];
    size_t i, cut;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    (void)attr_conn_create(sv[0], false, on_frame, on_close, &s);
    buf_init(&b, 4096);
    frame_str(&b, "one");
    frame_str(&b, "two");
    cut = b.len;
    frame_str(&b, "three");
    /* Two whole frames and part of the third in one read. */
    assert_int_equal(write(sv[1], b.data, cut + 3), (ssize_t)(cut + 3));
    loop_until(&s, 2, 0);
    event_loop(20);
    assert_int_equal(s.frames, 2);
    assert_string_equal(s.text[0], "one");
    assert_string_equal(s.text[1], "two");
    /* The rest, one byte per read. */
    for (i = cut + 3; i < b.len; i++) {
        assert_int_equal(write(sv[1], b.data + i, 1), 1);
        event_loop(20);
    }
    loop_until(&s, 3, 0);
    assert_int_equal(s.frames, 3);
    assert_string_equal(s.text[2], "three");
    assert_int_equal(s.closes, 0);

    /* An empty frame is still a frame. */
    assert_int_equal(write(sv[1], "\0\0\0\0", 4), 4);
    loop_until(&s, 4, 0);
    event_loop(20);
    assert_int_equal(s.frames, 4);
    assert_string_equal(s.text[3], "(empty)");

    /* The peer goes away: reported once, and the connection is freed. */
    (void)close(sv[1]);
    loop_until(&s, 0, 1);
    assert_int_equal(s.closes, 1);
    assert_string_equal(s.why, "connection closed");
    event_loop(20);
    assert_int_equal(s.closes, 1);
    buf_free(&b);
}

static void test_close_from_callback(void **state UNUSED)
{
    struct seen s = {.close_in_frame = true};
    struct buf b;
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    (void)attr_conn_create(sv[0], false, on_frame, on_close, &s);
    buf_init(&b, 4096);
    frame_str(&b, "first");
    frame_str(&b, "never seen");
    assert_int_equal(write(sv[1], b.data, b.len), (ssize_t)b.len);
    loop_until(&s, 1, 0);
    event_loop(20);
    /* Closed while its own frame was being handled: no more frames, no on_close. */
    assert_int_equal(s.frames, 1);
    assert_int_equal(s.closes, 0);
    /* Our end is really closed. */
    assert_int_equal(read(sv[1], &(char){0}, 1), 0);
    (void)close(sv[1]);
    buf_free(&b);
}

static void test_bad_length(void **state UNUSED)
{
    struct seen s = {0};
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    (void)attr_conn_create(sv[0], false, on_frame, on_close, &s);
    assert_int_equal(write(sv[1], "\xff\xff\xff\xff", 4), 4);
    loop_until(&s, 0, 1);
    assert_int_equal(s.closes, 1);
    assert_string_equal(s.why, "bad frame length");
    assert_int_equal(s.frames, 0);
    (void)close(sv[1]);
}

static void test_send(void **state UNUSED)
{
    struct seen s = {0};
    struct attr_conn *c;
    struct buf b;
    char got[64];
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    c = attr_conn_create(sv[0], false, on_frame, on_close, &s);
    buf_init(&b, 4096);
    frame_str(&b, "reply");
    attr_conn_send(c, &b);
    /* An idle connection sends at once, without a trip through the loop. */
    assert_int_equal(recv(sv[1], got, sizeof(got), MSG_DONTWAIT), (ssize_t)b.len);
    assert_memory_equal(got, b.data, b.len);
    /* A peer that is gone is reported from the loop, never from inside send. */
    (void)close(sv[1]);
    sv[1] = -1;
    attr_conn_send(c, &b);
    assert_int_equal(s.closes, 0);
    loop_until(&s, 0, 1);
    assert_int_equal(s.closes, 1);
    buf_free(&b);
    (void)close(sv[1]);
}

static void test_connecting(void **state UNUSED)
{
    char dir[PATH_MAX], path[PATH_MAX + 16], got[64];
    struct seen s = {0};
    struct attr_conn *c;
    struct buf b;
    int lfd, fd, afd;

    unit_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/sock", dir);
    lfd = unix_listen(path, 5, 0600, getuid(), getgid());
    assert_true(lfd >= 0);
    fd = unix_connect(path, true);
    assert_true(fd >= 0);
    c = attr_conn_create(fd, true, on_frame, on_close, &s);
    buf_init(&b, 4096);
    frame_str(&b, "hello");
    attr_conn_send(c, &b); /* queued while the connect completes */
    afd = accept(lfd, NULL, NULL);
    assert_true(afd >= 0);
    event_loop(100);
    event_loop(100);
    assert_int_equal(recv(afd, got, sizeof(got), MSG_DONTWAIT), (ssize_t)b.len);
    assert_memory_equal(got, b.data, b.len);
    /* Reading was switched on once connected. */
    assert_int_equal(write(afd, b.data, b.len), (ssize_t)b.len);
    loop_until(&s, 1, 0);
    assert_int_equal(s.frames, 1);
    assert_string_equal(s.text[0], "hello");
    attr_conn_close(c);
    (void)close(afd);
    (void)close(lfd);
    buf_free(&b);
    unit_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames),     cmocka_unit_test(test_close_from_callback),
        cmocka_unit_test(test_bad_length), cmocka_unit_test(test_send),
        cmocka_unit_test(test_connecting),
    };

    unit_init("test_attr_conn");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
