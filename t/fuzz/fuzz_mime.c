/*
 * fuzz_mime.c - the MIME structure parser (mime.c) and the 8BITMIME
 * downgrade (mime_qp.c).  Invariants: every part's offsets are ordered and
 * within its parent's body, siblings do not overlap, the tree is no deeper
 * than MIME_DEPTH_MAX below the root and has at most MIME_PARTS_MAX parts.
 * The downgraded message parses, needs no further downgrade, has no 8-bit
 * octet left in the body of any leaf with an identity encoding (7bit, 8bit,
 * binary), and arrives intact: unless a limit was hit, it has the same tree,
 * each converted body decodes to the original octets, and every other leaf
 * body is the same octets.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "mime.h"
#include "mime_qp.h"

static size_t check_tree(const struct mime_part *p, size_t start, size_t end, int depth)
{
    size_t parts = 0, last = start;

    CHECK(depth <= MIME_DEPTH_MAX);
    for (; p; p = p->next) {
        CHECK(p->header_start >= last && p->header_start <= p->body_start);
        CHECK(p->body_start <= p->body_end && p->body_end <= end);
        CHECK(strlen(p->boundary) <= MIME_BOUNDARY_MAX);
        if (p->children)
            parts += check_tree(p->children, p->body_start, p->body_end, depth + 1);
        last = p->body_end;
        parts++;
    }
    return parts;
}

static void check_7bit(const unsigned char *msg, const struct mime_part *p)
{
    size_t i;

    for (; p; p = p->next) {
        if (p->children) {
            check_7bit(msg, p->children);
            continue;
        }
        if (!mime_encoding_is_identity(p->encoding))
            continue; /* an encoded body with 8-bit octets is broken; it is passed on as it is */
        for (i = p->body_start; i < p->body_end; i++)
            CHECK(msg[i] < 0x80);
    }
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decode quoted-printable s[0..len) and compare it with want[0..want_len). */
static void check_qp(const unsigned char *s, size_t len, const unsigned char *want, size_t want_len)
{
    size_t i, o = 0;

    for (i = 0; i < len; i++) {
        int c = s[i];

        if (c == '=' && i + 1 < len && s[i + 1] == '\n') {
            i++;
            continue; /* soft break */
        }
        if (c == '=' && i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n') {
            i += 2;
            continue;
        }
        if (c == '=') {
            CHECK(i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0);
            c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
            i += 2;
        }
        CHECK(o < want_len && want[o] == c);
        o++;
    }
    CHECK(o == want_len);
}

static void check_intact(const unsigned char *a, const struct mime_part *pa, const unsigned char *b,
                         const struct mime_part *pb)
{
    for (; pa; pa = pa->next, pb = pb->next) {
        CHECK(pb && strcmp(pa->type, pb->type) == 0 && strcmp(pa->subtype, pb->subtype) == 0);
        CHECK((pa->children == NULL) == (pb->children == NULL));
        if (pa->children) {
            check_intact(a, pa->children, b, pb->children);
        } else if (pa->has_8bit && mime_encoding_is_identity(pa->encoding)) {
            CHECK(pb->encoding == MIME_ENC_QP);
            check_qp(b + pb->body_start, pb->body_end - pb->body_start, a + pa->body_start,
                     pa->body_end - pa->body_start);
        } else {
            CHECK(pb->encoding == pa->encoding);
            CHECK(pb->body_end - pb->body_start == pa->body_end - pa->body_start);
            CHECK(memcmp(b + pb->body_start, a + pa->body_start, pa->body_end - pa->body_start) ==
                  0);
        }
    }
    CHECK(pb == NULL);
}

int LLVMFuzzerInitialize(int *argc UNUSED, char ***argv UNUSED)
{
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mime_part *root, *again;
    const char *why, *why_again;
    const unsigned char *text;
    struct buf out;

    (void)mime_parse(data, size, &root, &why);
    CHECK(root->header_start == 0 && root->body_end == size);
    CHECK(check_tree(root, 0, size, 0) <= MIME_PARTS_MAX);
    /* QP triples octets at most; each converted part adds a header of its own. */
    buf_init(&out, 64 * size + 65536);
    CHECK(mime_downgrade(data, size, &out) == 0);
    text = out.data ? out.data : (const unsigned char *)"";
    (void)mime_parse(text, out.len, &again, &why_again);
    CHECK(check_tree(again, 0, out.len, 0) <= MIME_PARTS_MAX);
    check_7bit(text, again);
    CHECK(!mime_needs_downgrade(again));
    if (why == NULL && why_again == NULL)
        check_intact(data ? data : text, root, text, again);
    mime_free(again);
    mime_free(root);
    buf_free(&out);
    return 0;
}
