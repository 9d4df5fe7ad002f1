/*
 * fuzz.h - what every libFuzzer target in t/fuzz shares: the entry points
 * libFuzzer calls, and CHECK(), which aborts (a crash libFuzzer reports,
 * with the input kept) when an invariant of the parser under test fails.
 */
#ifndef POSTERN_T_FUZZ_H
#define POSTERN_T_FUZZ_H

#include "sys_defs.h"
#include "attr.h"
#include "buf.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/*
 * Read p[0..len) as a daemon reads a connection, frame by frame (attr.h),
 * checking the framing and handing each whole payload to fn.
 */
static inline void fuzz_frames(const uint8_t *p, size_t len,
                               void (*fn)(const unsigned char *payload, size_t plen, void *ctx),
                               void *ctx)
{
    const unsigned char *payload;
    size_t plen, flen;
    struct buf in;
    int r;

    buf_init(&in, len + 1);
    CHECK(buf_append(&in, p, len) == 0);
    while ((r = attr_frame_peek(&in, &payload, &plen, &flen)) == 1) {
        CHECK(flen == plen + 4 && flen <= in.len);
        fn(payload, plen, ctx);
        buf_consume(&in, flen);
    }
    CHECK(r == 0 || (r == -1 && in.len >= 4));
    buf_free(&in);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
