/*
 * test_auth_proto.c - the auth service's messages: request and reply
 * round trips (fields at their limits included), and the strict reader
 * refusing what it does not expect: unknown, missing, duplicate, mistyped
 * and oversized attributes, service names, user names and client
 * addresses it cannot log safely, unknown statuses, and every truncation.
 */
#include "unit.h"
#include "attr.h"
#include "auth_proto.h"
#include "buf.h"

static void payload_of(const struct buf *b, const unsigned char **p, size_t *len)
{
    size_t frame_len;

    assert_int_equal(attr_frame_peek(b, p, len, &frame_len), 1);
    assert_int_equal(frame_len, b->len);
}

static void request_round_trip(const struct auth_request *in)
{
    struct auth_request out;
    struct buf b;
    const unsigned char *p;
    size_t len;
    const char *why = NULL;

    buf_init(&b, 1 << 16);
    auth_request_encode(&b, in);
    payload_of(&b, &p, &len);
    assert_true(len <= AUTH_REQUEST_MAX);
    if (auth_request_decode(p, len, &out, &why) < 0)
        fail_msg("decode: %s", why);
    assert_string_equal(out.service, in->service);
    assert_string_equal(out.user, in->user);
    assert_string_equal(out.password, in->password);
    assert_string_equal(out.client_address, in->client_address);
    buf_free(&b);
}

static void test_request_round_trip(void **state UNUSED)
{
    char service[AUTH_SERVICE_MAX + 1], user[AUTH_USER_MAX + 1], pw[AUTH_PASSWORD_MAX + 1],
        client[AUTH_CLIENT_MAX + 1];
    struct auth_request r = {"smtp", "alice@corp.example", "p a s s\tw\xc3\xb6rd", "192.0.2.7"};

    request_round_trip(&r);
    r.password = ""; /* an empty password is a (wrong) password, not a protocol error */
    r.client_address = "2001:db8::1";
    request_round_trip(&r);
    memset(service, 's', AUTH_SERVICE_MAX);
    service[AUTH_SERVICE_MAX] = 0;
    memset(user, 'u', AUTH_USER_MAX);
    user[AUTH_USER_MAX] = 0;
    memset(pw, 'p', AUTH_PASSWORD_MAX);
    pw[AUTH_PASSWORD_MAX] = 0;
    memset(client, 'c', AUTH_CLIENT_MAX);
    client[AUTH_CLIENT_MAX] = 0;
    r = (struct auth_request){service, user, pw, client};
    assert_true(auth_request_fits(&r));
    request_round_trip(&r); /* every field at its limit: within AUTH_REQUEST_MAX too */
}

static void test_reply_round_trip(void **state UNUSED)
{
    static const enum auth_status all[] = {AUTH_OK, AUTH_FAIL, AUTH_TEMPFAIL, AUTH_REFUSED};
    struct auth_reply in, out;
    struct buf b;
    const unsigned char *p;
    size_t len, i;
    const char *why = NULL;

    buf_init(&b, 1024);
    for (i = 0; i < COUNTOF(all); i++) {
        buf_reset(&b);
        in.status = all[i];
        auth_reply_encode(&b, &in);
        payload_of(&b, &p, &len);
        if (auth_reply_decode(p, len, &out, &why) < 0)
            fail_msg("decode: %s", why);
        assert_int_equal(out.status, all[i]);
    }
    assert_string_equal(auth_status_name(AUTH_OK), "ok");
    assert_string_equal(auth_status_name(AUTH_FAIL), "fail");
    assert_string_equal(auth_status_name(AUTH_TEMPFAIL), "tempfail");
    assert_string_equal(auth_status_name(AUTH_REFUSED), "refused");
    assert_string_equal(auth_status_name((enum auth_status)7), "unknown");
    buf_free(&b);
}

/* A hand-built request payload: attributes as listed, "-" skipping one. */
struct req_row {
    const char *service, *user, *password, *client;
    const char *extra; /* an attribute name the table does not have */
    bool dup_user, int_user;
    bool ok;
};

static void build_request(struct buf *b, const struct req_row *r)
{
    if (r->service)
        attr_put_str(b, "service", r->service);
    if (r->int_user)
        attr_put_int(b, "user", 1);
    else if (r->user)
        attr_put_str(b, "user", r->user);
    if (r->dup_user)
        attr_put_str(b, "user", "mallory@corp.example");
    if (r->password)
        attr_put_str(b, "password", r->password);
    if (r->client)
        attr_put_str(b, "client_address", r->client);
    if (r->extra)
        attr_put_str(b, r->extra, "x");
}

static void test_strict_request(void **state UNUSED)
{
    char longer[AUTH_PASSWORD_MAX + 2];
    const struct req_row rows[] = {
        {"smtp", "a@x", "pw", "192.0.2.1", NULL, false, false, true},
        {"pop3-tls", "a@x", "pw", "local", NULL, false, false, true},
        {"smtp", "a@x", "pw", "192.0.2.1", "reason", false, false, false},
        {NULL, "a@x", "pw", "192.0.2.1", NULL, false, false, false},
        {"smtp", NULL, "pw", "192.0.2.1", NULL, false, false, false},
        {"smtp", "a@x", NULL, "192.0.2.1", NULL, false, false, false},
        {"smtp", "a@x", "pw", NULL, NULL, false, false, false},
        {"smtp", "a@x", "pw", "192.0.2.1", NULL, true, false, false},
        {"smtp", NULL, "pw", "192.0.2.1", NULL, false, true, false},
        {"SMTP", "a@x", "pw", "192.0.2.1", NULL, false, false, false},
        {"sm tp", "a@x", "pw", "192.0.2.1", NULL, false, false, false},
        {"", "a@x", "pw", "192.0.2.1", NULL, false, false, false},
        {"smtp", "", "pw", "192.0.2.1", NULL, false, false, false},
        {"smtp", "a b@x", "pw", "192.0.2.1", NULL, false, false, false},
        {"smtp", "a@x\n", "pw", "192.0.2.1", NULL, false, false, false},
        {"smtp", "a@x\x7f", "pw", "192.0.2.1", NULL, false, false, false},
        {"smtp", "a@x", "pw", "", NULL, false, false, false},
        {"smtp", "a@x", "pw", "192.0.2.1 forged", NULL, false, false, false},
        {"smtp", "a@x", longer, "192.0.2.1", NULL, false, false, false},
        {"smtp-service-name-longer-than-32!", "a@x", "pw", "l", NULL, false, false, false},
    };
    struct unit_rows out = {0};
    struct auth_request r;
    struct buf b;
    size_t i;

    memset(longer, 'p', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = 0;
    buf_init(&b, 1 << 16);
    for (i = 0; i < COUNTOF(rows); i++) {
        const char *why = NULL;
        int ret;

        buf_reset(&b);
        build_request(&b, rows + i);
        ret = auth_request_decode(b.data, b.len, &r, &why);
        if ((ret == 0) != rows[i].ok || (ret < 0 && why == NULL))
            unit_row_fail(&out, "row %zu: decode %d (%s), want %s", i, ret, why ? why : "",
                          rows[i].ok ? "ok" : "refused");
    }
    buf_free(&b);
    unit_rows_check(&out);
}

static void test_strict_reply(void **state UNUSED)
{
    struct auth_reply r;
    struct buf b;
    const char *why;

    buf_init(&b, 1024);
    attr_put_str(&b, "status", "maybe");
    assert_int_equal(auth_reply_decode(b.data, b.len, &r, &why), -1);
    buf_reset(&b);
    attr_put_str(&b, "status", "ok");
    attr_put_str(&b, "reason", "unknown user"); /* a reply may say no more */
    assert_int_equal(auth_reply_decode(b.data, b.len, &r, &why), -1);
    buf_reset(&b);
    attr_put_int(&b, "status", 0);
    assert_int_equal(auth_reply_decode(b.data, b.len, &r, &why), -1);
    buf_reset(&b);
    assert_int_equal(auth_reply_decode(b.data, b.len, &r, &why), -1);
    buf_free(&b);
}

/* Every proper prefix of a valid request is refused. */
static void test_truncation(void **state UNUSED)
{
    struct auth_request in = {"imap", "bob@corp.example", "secret", "198.51.100.4"}, out;
    struct buf b;
    const unsigned char *p;
    size_t len, cut;
    const char *why;

    buf_init(&b, 4096);
    auth_request_encode(&b, &in);
    payload_of(&b, &p, &len);
    for (cut = 0; cut < len; cut++)
        if (auth_request_decode(p, cut, &out, &why) == 0)
            fail_msg("a request cut to %zu of %zu bytes was accepted", cut, len);
    assert_int_equal(auth_request_decode(p, len, &out, &why), 0);
    buf_free(&b);
}

static void test_fits(void **state UNUSED)
{
    char user[AUTH_USER_MAX + 2];
    struct auth_request r = {"smtp", user, "pw", "local"};

    memset(user, 'u', sizeof(user) - 1);
    user[sizeof(user) - 1] = 0;
    assert_false(auth_request_fits(&r));
    user[AUTH_USER_MAX] = 0;
    assert_true(auth_request_fits(&r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_round_trip), cmocka_unit_test(test_reply_round_trip),
        cmocka_unit_test(test_strict_request),     cmocka_unit_test(test_strict_reply),
        cmocka_unit_test(test_truncation),         cmocka_unit_test(test_fits),
    };

    unit_init("test_auth_proto");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
