/*
 * fuzz_mime.c - the MIME structure parser (mime.c) and the 8BITMIME
 * downgrade (mime_qp.c).  Invariants: every part's offsets are ordered and
 * within its parent's body, siblings do not overlap, the tree is no deeper
 * than MIME_DEPTH_MAX below the root and has at most MIME_PARTS_MAX parts;
 * the downgraded message parses, needs no further downgrade, and no leaf with an identity encoding
 * (7bit, 8bit, binary) has an 8-bit octet left in its body.
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

int LLVMFuzzerInitialize(int *argc UNUSED, char ***argv UNUSED)
{
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mime_part *root, *again;
    struct buf out;

    (void)mime_parse(data, size, &root, NULL);
    CHECK(root->header_start == 0 && root->body_end == size);
    CHECK(check_tree(root, 0, size, 0) <= MIME_PARTS_MAX);
    /* QP triples octets at most; each converted part adds a header of its own. */
    buf_init(&out, 64 * size + 65536);
    CHECK(mime_downgrade(data, size, &out) == 0);
    (void)mime_parse(out.data, out.len, &again, NULL);
    CHECK(check_tree(again, 0, out.len, 0) <= MIME_PARTS_MAX);
    check_7bit(out.data, again);
    CHECK(!mime_needs_downgrade(again));
    mime_free(again);
    mime_free(root);
    buf_free(&out);
    return 0;
}
