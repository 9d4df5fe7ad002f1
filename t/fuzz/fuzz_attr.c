/*
 * fuzz_attr.c - libFuzzer target for the IPC attribute protocol (attr.h)
 * and the messages built on it (deliver_proto.h, qmgr_proto.h).
 *
 * The input is taken as a payload by every decoder: the raw attr_next()
 * walk (whose valid prefix must re-encode to the same bytes), attr_decode()
 * with a test table in strict and lenient mode, the delivery request and
 * reply, the qmgr request and the hello check.  Decoded delivery and qmgr
 * messages are encoded again and must decode to the same values, in a
 * payload of the same size.  Finally the input is treated as a stream of
 * frames for attr_frame_peek().
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "attr.h"
#include "buf.h"
#include "deliver_proto.h"
#include "mail_addr.h"
#include "msg.h"
#include "qmgr_proto.h"
#include "queue.h"

#define NEST_MAX 3 /* how deep repeated records are decoded as nested messages */

/* The payload being decoded, so callbacks can check where pointers point. */
static const uint8_t *in_p;
static size_t in_len;

static bool inside(const void *p, size_t len)
{
    const uint8_t *q = p;

    return q >= in_p && q <= in_p + in_len && len <= (size_t)(in_p + in_len - q);
}

/* attr_next ------------------------------------------------------------- */

static void check_walk(const uint8_t *p, size_t len)
{
    struct buf again;
    struct attr a;
    const char *why = NULL;
    size_t pos = 0, last = 0;
    int r;

    buf_init(&again, len + 1);
    while ((r = attr_next(p, len, &pos, &a, &why)) > 0) {
        char name[ATTR_NAME_MAX + 1];
        size_t i;

        CHECK(pos > last && pos <= len);
        CHECK(a.type == ATTR_TYPE_STR || a.type == ATTR_TYPE_INT || a.type == ATTR_TYPE_DATA);
        CHECK(a.name_len >= 1 && a.name_len <= ATTR_NAME_MAX);
        CHECK((const uint8_t *)a.name == p + last + 2);
        for (i = 0; i < a.name_len; i++)
            CHECK((a.name[i] >= 'a' && a.name[i] <= 'z') ||
                  (a.name[i] >= '0' && a.name[i] <= '9') || a.name[i] == '_');
        CHECK(a.value >= p && a.value <= p + len && a.value_len <= (size_t)(p + len - a.value));
        memcpy(name, a.name, a.name_len);
        name[a.name_len] = 0;
        /* re-encoding what was read gives back the same bytes */
        switch (a.type) {
        case ATTR_TYPE_STR:
            CHECK(a.value[a.value_len] == 0 && memchr(a.value, 0, a.value_len) == NULL);
            CHECK(a.value + a.value_len + 1 == p + pos);
            attr_put_str(&again, name, (const char *)a.value);
            break;
        case ATTR_TYPE_INT:
            CHECK(a.value_len == 8 && a.value + 8 == p + pos);
            attr_put_int(&again, name, a.num);
            break;
        case ATTR_TYPE_DATA:
            CHECK(a.value + a.value_len == p + pos);
            attr_put_data(&again, name, a.value, a.value_len);
            break;
        }
        CHECK(again.len == pos && memcmp(again.data, p, pos) == 0);
        last = pos;
    }
    CHECK(r == 0 || r == -1);
    if (r == 0)
        CHECK(pos == len);
    else
        CHECK(why != NULL && pos == last);
    buf_free(&again);
}

/* attr_decode with a test table ------------------------------------------ */

struct test_msg {
    const char *s;
    const char *opt;
    long long i;
    struct attr_data d;
    int nrep;
    int depth;
};

static int test_each(void *out, const unsigned char *p, size_t len, const char **error_r);

static const struct attr_spec test_spec[] = {
    {"s", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct test_msg, s), 32, NULL},
    {"opt", ATTR_TYPE_STR, 0, offsetof(struct test_msg, opt), 0, NULL},
    {"i", ATTR_TYPE_INT, 0, offsetof(struct test_msg, i), 0, NULL},
    {"d", ATTR_TYPE_DATA, 0, offsetof(struct test_msg, d), 64, NULL},
    {"r", ATTR_TYPE_DATA, ATTR_REPEAT, 0, 200, test_each},
    {"rs", ATTR_TYPE_STR, ATTR_REPEAT, 0, 16, test_each},
    {NULL, 0, 0, 0, 0, NULL},
};

static int test_decode(const unsigned char *p, size_t len, int flags, int depth, struct test_msg *m,
                       const char **error_r);

/* A repeated record: counted, and decoded as a nested message if it can be. */
static int test_each(void *out, const unsigned char *p, size_t len, const char **error_r)
{
    struct test_msg *m = out, nested;

    CHECK(inside(p, len));
    m->nrep++;
    if (m->depth < NEST_MAX && len > 0 && p[0] == ATTR_TYPE_STR)
        return test_decode(p, len, ATTR_FLAG_STRICT, m->depth + 1, &nested, error_r);
    (void)error_r;
    return 0;
}

static int test_decode(const unsigned char *p, size_t len, int flags, int depth, struct test_msg *m,
                       const char **error_r)
{
    memset(m, 0, sizeof(*m));
    m->depth = depth;
    if (attr_decode(p, len, test_spec, m, flags, error_r) != 0)
        return -1;
    CHECK(m->s != NULL && strlen(m->s) <= 32 && inside(m->s, strlen(m->s) + 1));
    CHECK(m->opt == NULL || inside(m->opt, strlen(m->opt) + 1));
    CHECK(m->d.p == NULL || (m->d.len <= 64 && inside(m->d.p, m->d.len)));
    return 0;
}

static void check_test_table(const uint8_t *p, size_t len)
{
    struct test_msg strict, lenient;
    const char *why_s = NULL, *why_l = NULL;
    int rs, rl;

    rs = test_decode(p, len, ATTR_FLAG_STRICT, 0, &strict, &why_s);
    rl = test_decode(p, len, 0, 0, &lenient, &why_l);
    if (rs != 0)
        CHECK(why_s != NULL);
    if (rl != 0)
        CHECK(why_l != NULL && rs != 0); /* lenient never rejects what strict accepts */
    if (rs == 0) {
        CHECK(strict.s == lenient.s && strict.opt == lenient.opt && strict.i == lenient.i);
        CHECK(strict.d.p == lenient.d.p && strict.d.len == lenient.d.len);
        CHECK(strict.nrep == lenient.nrep);
    }
}

/* Delivery protocol ------------------------------------------------------ */

static void check_deliver_request(const uint8_t *p, size_t len)
{
    struct deliver_request r, r2;
    struct buf enc;
    const unsigned char *payload;
    size_t plen, flen, i;
    const char *why = NULL;

    if (deliver_request_decode(p, len, &r, &why) != 0) {
        CHECK(why != NULL && r.rcpts == NULL && r.nrcpts == 0);
        return;
    }
    CHECK(r.queue_name != NULL && strlen(r.queue_name) <= 32 && inside(r.queue_name, 1));
    CHECK(r.queue_id != NULL && strlen(r.queue_id) <= 32 && inside(r.queue_id, 1));
    CHECK(r.nrcpts >= 1 && r.nrcpts <= r.cap && r.rcpts != NULL);
    for (i = 0; i < r.nrcpts; i++) {
        CHECK(r.rcpts[i].offset > 0);
        CHECK(r.rcpts[i].address != NULL && strlen(r.rcpts[i].address) <= MAIL_ADDR_TEXT_MAX);
        CHECK(inside(r.rcpts[i].address, strlen(r.rcpts[i].address) + 1));
    }
    /* encode -> decode gives the same request, in a payload of the same size */
    buf_init(&enc, ATTR_FRAME_MAX + 4);
    deliver_request_encode(&enc, &r);
    CHECK(attr_frame_peek(&enc, &payload, &plen, &flen) == 1 && flen == enc.len);
    CHECK(plen == len);
    if (deliver_request_decode(payload, plen, &r2, &why) != 0) {
        fprintf(stderr, "re-encoded delivery request rejected: %s\n", why);
        abort();
    }
    CHECK(strcmp(r.queue_name, r2.queue_name) == 0 && strcmp(r.queue_id, r2.queue_id) == 0);
    CHECK(r.flags == r2.flags && r.nrcpts == r2.nrcpts);
    for (i = 0; i < r.nrcpts; i++) {
        CHECK(r.rcpts[i].offset == r2.rcpts[i].offset);
        CHECK(strcmp(r.rcpts[i].address, r2.rcpts[i].address) == 0);
    }
    deliver_request_free(&r2);
    deliver_request_free(&r);
    CHECK(r.rcpts == NULL && r.nrcpts == 0);
    buf_free(&enc);
}

static void check_deliver_reply(const uint8_t *p, size_t len)
{
    struct deliver_reply r, r2;
    struct buf enc;
    const unsigned char *payload;
    size_t plen, flen, i;
    const char *why = NULL;

    if (deliver_reply_decode(p, len, &r, &why) != 0) {
        CHECK(why != NULL && r.results == NULL && r.n == 0);
        return;
    }
    CHECK(r.n <= r.cap);
    for (i = 0; i < r.n; i++) {
        const struct deliver_result *d = r.results + i;

        CHECK(d->status == DELIVER_SENT || d->status == DELIVER_DEFERRED ||
              d->status == DELIVER_BOUNCED);
        CHECK(strcmp(deliver_status_name(d->status), "unknown") != 0);
        CHECK(d->dsn != NULL && strlen(d->dsn) <= 16 && inside(d->dsn, 1));
        CHECK(d->reason != NULL && strlen(d->reason) <= 1000 && inside(d->reason, 1));
    }
    buf_init(&enc, ATTR_FRAME_MAX + 4);
    deliver_reply_encode(&enc, &r);
    CHECK(attr_frame_peek(&enc, &payload, &plen, &flen) == 1 && flen == enc.len);
    CHECK(plen == len);
    if (deliver_reply_decode(payload, plen, &r2, &why) != 0) {
        fprintf(stderr, "re-encoded delivery reply rejected: %s\n", why);
        abort();
    }
    CHECK(r.n == r2.n);
    for (i = 0; i < r.n; i++) {
        CHECK(r.results[i].offset == r2.results[i].offset);
        CHECK(r.results[i].status == r2.results[i].status);
        CHECK(strcmp(r.results[i].dsn, r2.results[i].dsn) == 0);
        CHECK(strcmp(r.results[i].reason, r2.results[i].reason) == 0);
    }
    deliver_reply_free(&r2);
    deliver_reply_free(&r);
    buf_free(&enc);
}

static void check_qmgr_request(const uint8_t *p, size_t len)
{
    struct qmgr_request r, r2;
    struct buf enc;
    const unsigned char *payload;
    size_t plen, flen;
    const char *why = NULL;

    if (qmgr_request_decode(p, len, &r, &why) != 0) {
        CHECK(why != NULL);
        return;
    }
    CHECK(r.request != NULL && strlen(r.request) <= 32 && inside(r.request, 1));
    CHECK(r.queue_id == NULL || (strlen(r.queue_id) <= QUEUE_ID_MAX && inside(r.queue_id, 1)));
    buf_init(&enc, ATTR_FRAME_MAX + 4);
    qmgr_request_encode(&enc, &r);
    CHECK(attr_frame_peek(&enc, &payload, &plen, &flen) == 1 && flen == enc.len);
    CHECK(plen <= len); /* unknown attributes are dropped */
    CHECK(qmgr_request_decode(payload, plen, &r2, &why) == 0);
    CHECK(strcmp(r.request, r2.request) == 0);
    CHECK((r.queue_id == NULL) == (r2.queue_id == NULL));
    CHECK(r.queue_id == NULL || strcmp(r.queue_id, r2.queue_id) == 0);
    buf_free(&enc);
}

static void check_hello(const uint8_t *p, size_t len)
{
    const char *why = NULL;

    if (attr_check_hello(p, len, DELIVER_PROTOCOL, DELIVER_VERSION, &why) != 0)
        CHECK(why != NULL);
}

/* Framing ---------------------------------------------------------------- */

static void check_frames(const uint8_t *p, size_t len)
{
    struct buf in;
    const unsigned char *payload;
    size_t plen, flen;
    int r;

    buf_init(&in, len + 1);
    CHECK(buf_append(&in, p, len) == 0);
    while ((r = attr_frame_peek(&in, &payload, &plen, &flen)) == 1) {
        uint32_t n = (uint32_t)in.data[0] << 24 | (uint32_t)in.data[1] << 16 |
                     (uint32_t)in.data[2] << 8 | in.data[3];

        CHECK(payload == in.data + 4 && plen == n && plen <= ATTR_FRAME_MAX);
        CHECK(flen == plen + 4 && flen <= in.len);
        in_p = payload;
        in_len = plen;
        check_walk(payload, plen);
        check_deliver_request(payload, plen);
        buf_consume(&in, flen);
    }
    if (r == 0) {
        if (in.len >= 4) {
            uint32_t n = (uint32_t)in.data[0] << 24 | (uint32_t)in.data[1] << 16 |
                         (uint32_t)in.data[2] << 8 | in.data[3];

            CHECK(n <= ATTR_FRAME_MAX && in.len - 4 < n);
        }
    } else {
        CHECK(r == -1 && in.len >= 4);
    }
    buf_free(&in);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    msg_syslog(false);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in_p = data;
    in_len = size;
    check_walk(data, size);
    check_test_table(data, size);
    check_deliver_request(data, size);
    check_deliver_reply(data, size);
    check_qmgr_request(data, size);
    check_hello(data, size);
    check_frames(data, size);
    return 0;
}
