/*
 * fuzz_proxy_proto.c - libFuzzer target for the proxymap service's
 * messages (proxy_proto.h): requests, which proxymap reads from every
 * chrooted smtpd, and replies, which those read back.
 *
 * The input is decoded as a request and as a reply to each request type.
 * An accepted request has a known type, a table exactly when it is not a
 * passwd, a key exactly when it is not an open, both within their limits
 * and inside the input, and flags that are not negative; encoding it again
 * gives a payload of the same size (a strict reader accepts nothing it
 * would not write) that decodes to the same fields.  An accepted reply has
 * a known status, a value when it answers a lookup with ok, an account
 * with IDs in range when it answers a passwd with ok, and re-encodes
 * likewise.  Then the input is taken as a stream of frames, each decoded
 * as a request, as the service reads them.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "attr.h"
#include "buf.h"
#include "msg.h"
#include "proxy_proto.h"

static const uint8_t *in_p;
static size_t in_len;

/* Is s, if set, a string inside the input, of at most max octets? */
static bool inside(const char *s, size_t max)
{
    const uint8_t *q = (const uint8_t *)s;

    return s == NULL || (q >= in_p && q < in_p + in_len && strlen(s) <= max);
}

static bool same_str(const char *a, const char *b)
{
    return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static void check_request(const uint8_t *p, size_t len)
{
    struct proxy_request r, r2;
    const unsigned char *payload;
    size_t plen, flen;
    const char *why = NULL;
    struct buf enc;

    if (proxy_request_decode(p, len, &r, &why) != 0) {
        CHECK(why != NULL);
        return;
    }
    CHECK(r.type == PROXY_OPEN || r.type == PROXY_LOOKUP || r.type == PROXY_PASSWD);
    CHECK((r.table == NULL) == (r.type == PROXY_PASSWD));
    CHECK((r.key == NULL) == (r.type == PROXY_OPEN));
    CHECK(inside(r.table, PROXY_TABLE_MAX) && inside(r.key, DICT_KEY_MAX));
    CHECK(r.flags >= 0);
    CHECK(len <= PROXY_REQUEST_MAX);
    buf_init(&enc, PROXY_REQUEST_MAX + 4);
    proxy_request_encode(&enc, &r);
    CHECK(attr_frame_peek(&enc, &payload, &plen, &flen) == 1 && flen == enc.len);
    CHECK(plen == len);
    CHECK(proxy_request_decode(payload, plen, &r2, &why) == 0);
    CHECK(r2.type == r.type && r2.flags == r.flags);
    CHECK(same_str(r2.table, r.table) && same_str(r2.key, r.key));
    buf_free(&enc);
}

static void check_reply(const uint8_t *p, size_t len, enum proxy_request_type type)
{
    struct proxy_reply r, r2;
    const unsigned char *payload;
    size_t plen, flen;
    const char *why = NULL;
    struct buf enc;

    if (proxy_reply_decode(p, len, type, &r, &why) != 0) {
        CHECK(why != NULL);
        return;
    }
    CHECK(r.status == PROXY_OK || r.status == PROXY_NOTFOUND || r.status == PROXY_RETRY ||
          r.status == PROXY_DENIED);
    CHECK(inside(r.value, DICT_VALUE_MAX) && inside(r.reason, PROXY_REASON_MAX));
    CHECK(inside(r.home, PROXY_PATH_MAX) && inside(r.shell, PROXY_PATH_MAX));
    if (r.status == PROXY_OK && type == PROXY_LOOKUP)
        CHECK(r.value != NULL);
    if (r.status == PROXY_OK && type == PROXY_PASSWD) {
        CHECK(r.home != NULL && r.shell != NULL);
        CHECK(r.uid >= 0 && r.uid <= UINT32_MAX && r.gid >= 0 && r.gid <= UINT32_MAX);
    }
    CHECK(len <= PROXY_REPLY_MAX);
    buf_init(&enc, PROXY_REPLY_MAX + 4);
    proxy_reply_encode(&enc, &r);
    CHECK(attr_frame_peek(&enc, &payload, &plen, &flen) == 1 && flen == enc.len);
    CHECK(plen == len);
    CHECK(proxy_reply_decode(payload, plen, type, &r2, &why) == 0);
    CHECK(r2.status == r.status && r2.uid == r.uid && r2.gid == r.gid);
    CHECK(same_str(r2.value, r.value) && same_str(r2.reason, r.reason));
    CHECK(same_str(r2.home, r.home) && same_str(r2.shell, r.shell));
    buf_free(&enc);
}

/* As proxymap reads a connection: frame by frame, each a request or the end of it. */
static void frame_request(const unsigned char *payload, size_t plen, void *ctx)
{
    (void)ctx;
    in_p = payload;
    in_len = plen;
    if (plen <= PROXY_REQUEST_MAX)
        check_request(payload, plen);
}

static void check_frames(const uint8_t *p, size_t len)
{
    fuzz_frames(p, len, frame_request, NULL);
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
    check_request(data, size);
    check_reply(data, size, PROXY_OPEN);
    check_reply(data, size, PROXY_LOOKUP);
    check_reply(data, size, PROXY_PASSWD);
    if (attr_check_hello(data, size, PROXY_PROTOCOL, PROXY_VERSION, &why) != 0)
        CHECK(why != NULL);
    check_frames(data, size);
    return 0;
}
