/*
 * fuzz_auth_proto.c - libFuzzer target for the auth service's messages
 * (auth_proto.h), which the service reads from every client with the
 * password hashes in its memory.
 *
 * The input is decoded as a request and as a reply.  An accepted request
 * has every field present, within its limit, inside the input, and of the
 * allowed characters; encoding it again gives a payload of the same size
 * (a strict reader accepts nothing it would not write) that decodes to the
 * same fields.  Replies likewise.  Then the input is taken as a stream of
 * frames, each decoded as a request, as the service does.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "attr.h"
#include "auth_proto.h"
#include "buf.h"
#include "msg.h"

static const uint8_t *in_p;
static size_t in_len;

static bool inside(const char *s)
{
    const uint8_t *q = (const uint8_t *)s;

    return q >= in_p && q < in_p + in_len && strlen(s) < (size_t)(in_p + in_len - q);
}

static bool printable_word(const char *s)
{
    if (*s == 0)
        return false;
    for (; *s; s++)
        if (*s <= ' ' || *s >= 0x7f)
            return false;
    return true;
}

static void check_fields(const struct auth_request *r)
{
    const char *c;

    CHECK(r->service && r->user && r->password && r->client_address);
    CHECK(inside(r->service) && inside(r->user) && inside(r->password) &&
          inside(r->client_address));
    CHECK(strlen(r->service) >= 1 && strlen(r->service) <= AUTH_SERVICE_MAX);
    for (c = r->service; *c; c++)
        CHECK((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-');
    CHECK(strlen(r->user) <= AUTH_USER_MAX && printable_word(r->user));
    CHECK(strlen(r->password) <= AUTH_PASSWORD_MAX);
    CHECK(strlen(r->client_address) <= AUTH_CLIENT_MAX && printable_word(r->client_address));
    CHECK(auth_request_fits(r));
}

static void check_request(const uint8_t *p, size_t len)
{
    struct auth_request r, r2;
    struct buf enc;
    const unsigned char *payload;
    size_t plen, flen;
    const char *why = NULL;

    if (auth_request_decode(p, len, &r, &why) != 0) {
        CHECK(why != NULL);
        return;
    }
    check_fields(&r);
    CHECK(len <= AUTH_REQUEST_MAX);
    buf_init(&enc, AUTH_REQUEST_MAX + 4);
    auth_request_encode(&enc, &r);
    CHECK(attr_frame_peek(&enc, &payload, &plen, &flen) == 1 && flen == enc.len);
    CHECK(plen == len);
    CHECK(auth_request_decode(payload, plen, &r2, &why) == 0);
    CHECK(strcmp(r.service, r2.service) == 0 && strcmp(r.user, r2.user) == 0);
    CHECK(strcmp(r.password, r2.password) == 0);
    CHECK(strcmp(r.client_address, r2.client_address) == 0);
    buf_free(&enc);
}

static void check_reply(const uint8_t *p, size_t len)
{
    struct auth_reply r, r2;
    struct buf enc;
    const unsigned char *payload;
    size_t plen, flen;
    const char *why = NULL;

    if (auth_reply_decode(p, len, &r, &why) != 0) {
        CHECK(why != NULL);
        return;
    }
    CHECK(r.status == AUTH_OK || r.status == AUTH_FAIL || r.status == AUTH_TEMPFAIL ||
          r.status == AUTH_REFUSED);
    buf_init(&enc, 256);
    auth_reply_encode(&enc, &r);
    CHECK(attr_frame_peek(&enc, &payload, &plen, &flen) == 1 && plen == len);
    CHECK(auth_reply_decode(payload, plen, &r2, &why) == 0 && r2.status == r.status);
    buf_free(&enc);
}

static void frame_request(const unsigned char *payload, size_t plen, void *ctx)
{
    (void)ctx;
    in_p = payload;
    in_len = plen;
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
    check_reply(data, size);
    if (attr_check_hello(data, size, AUTH_PROTOCOL, AUTH_VERSION, &why) != 0)
        CHECK(why != NULL);
    check_frames(data, size);
    return 0;
}
