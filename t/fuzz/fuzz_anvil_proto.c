/*
 * fuzz_anvil_proto.c - libFuzzer target for the anvil service's messages
 * (anvil_proto.h), which the one anvil process reads from every smtpd.
 *
 * The input is decoded as a request and as a reply.  An accepted request
 * has a known event and an ident within its limit, inside the input, of
 * printable ASCII without spaces; encoding it again gives a payload of the
 * same size (a strict reader accepts nothing it would not write) that
 * decodes to the same fields.  Replies likewise, with counts never
 * negative.  Then the input is taken as a stream of frames, each decoded
 * as a request and counted in a small table, as the service does.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "attr.h"
#include "anvil_proto.h"
#include "anvil_table.h"
#include "buf.h"
#include "msg.h"

static const uint8_t *in_p;
static size_t in_len;

static void check_request(const uint8_t *p, size_t len, struct anvil_table *t, long long now)
{
    struct anvil_request r, r2;
    const unsigned char *payload, *q;
    long long count, rate;
    size_t plen, flen;
    const char *why = NULL;
    struct buf enc;

    if (anvil_request_decode(p, len, &r, &why) != 0) {
        CHECK(why != NULL);
        return;
    }
    CHECK((int)r.event >= 0 && r.event < ANVIL_EVENT_COUNT);
    q = (const unsigned char *)r.ident;
    CHECK(q >= in_p && q < in_p + in_len);
    CHECK(strlen(r.ident) >= 1 && strlen(r.ident) <= ANVIL_IDENT_MAX);
    for (; *q; q++)
        CHECK(*q > ' ' && *q < 0x7f);
    buf_init(&enc, ANVIL_REQUEST_MAX + 4);
    anvil_request_encode(&enc, &r);
    CHECK(attr_frame_peek(&enc, &payload, &plen, &flen) == 1 && flen == enc.len);
    CHECK(plen == len && len <= ANVIL_REQUEST_MAX);
    CHECK(anvil_request_decode(payload, plen, &r2, &why) == 0);
    CHECK(r2.event == r.event && strcmp(r2.ident, r.ident) == 0);
    if (t) {
        if (anvil_table_event(t, r.ident, r.event, now, &count, &rate) == 0)
            CHECK(count >= 0 && rate >= 0);
        CHECK(anvil_table_size(t) <= 4);
    }
    buf_free(&enc);
}

static void check_reply(const uint8_t *p, size_t len)
{
    struct anvil_reply r, r2;
    const unsigned char *payload;
    size_t plen, flen;
    const char *why = NULL;
    struct buf enc;

    if (anvil_reply_decode(p, len, &r, &why) != 0) {
        CHECK(why != NULL);
        return;
    }
    CHECK((r.status == ANVIL_OK || r.status == ANVIL_FAIL) && r.count >= 0 && r.rate >= 0);
    buf_init(&enc, 256);
    anvil_reply_encode(&enc, &r);
    CHECK(attr_frame_peek(&enc, &payload, &plen, &flen) == 1 && plen == len);
    CHECK(anvil_reply_decode(payload, plen, &r2, &why) == 0);
    CHECK(r2.status == r.status && r2.count == r.count && r2.rate == r.rate);
    buf_free(&enc);
}

/* One anvil table for a whole connection, its clock moving on with each request. */
struct frame_ctx {
    struct anvil_table *t;
    long long now;
};

static void frame_request(const unsigned char *payload, size_t plen, void *ctx)
{
    struct frame_ctx *c = ctx;

    in_p = payload;
    in_len = plen;
    check_request(payload, plen, c->t, c->now += 300);
    anvil_table_sweep(c->t, c->now);
}

static void check_frames(const uint8_t *p, size_t len)
{
    struct frame_ctx c = {anvil_table_create(4, 1000), 0};

    fuzz_frames(p, len, frame_request, &c);
    anvil_table_free(c.t);
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
    const char *why = NULL;

    in_p = data;
    in_len = size;
    check_request(data, size, NULL, 0);
    check_reply(data, size);
    if (attr_check_hello(data, size, ANVIL_PROTOCOL, ANVIL_VERSION, &why) != 0)
        CHECK(why != NULL);
    check_frames(data, size);
    return 0;
}
