/*
 * fuzz_smtp_chunk.c - libFuzzer target for BDAT framing (smtp_chunk.h).
 *
 * The first line of the input is a BDAT argument: a parsed one must be
 * digits and an optional LAST.  The rest is content, converted once whole
 * and once in pieces whose sizes come from the input itself: both must
 * give the same octets and the same bare CR / bare LF findings (a chunk
 * boundary changes nothing), never more octets than went in, and no CR
 * LF pair may survive (a CR LF in the output follows a bare CR).
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtp_chunk.h"

static size_t convert(const uint8_t *p, size_t len, size_t step, unsigned char *out,
                      struct smtp_chunk_conv *c)
{
    size_t pos = 0, o = 0;

    memset(c, 0, sizeof(*c));
    while (pos < len) {
        size_t n = len - pos < step ? len - pos : step;

        o += smtp_chunk_convert(c, p + pos, n, out + o);
        pos += n;
    }
    return o + smtp_chunk_finish(c, out + o);
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
    const uint8_t *nl = memchr(data, '\n', size);
    size_t alen = nl ? (size_t)(nl - data) : size, clen, n1, n2, i;
    char arg[64];
    long long csize;
    bool last;
    unsigned char *a, *b;
    struct smtp_chunk_conv c1, c2;

    if (alen < sizeof(arg) && memchr(data, 0, alen) == NULL) {
        memcpy(arg, data, alen);
        arg[alen] = 0;
        if (smtp_chunk_parse(arg, &csize, &last) == 0)
            CHECK(csize >= 0 && isdigit((unsigned char)arg[0]) &&
                  (strchr(arg, ' ') != NULL) == last);
    }
    if (nl == NULL)
        return 0;
    data = nl + 1;
    clen = size - alen - 1;
    a = xmalloc(clen + 1);
    b = xmalloc(clen + 1);
    n1 = convert(data, clen, clen ? clen : 1, a, &c1);
    n2 = convert(data, clen, 1 + (clen ? data[0] % 7 : 0), b, &c2);
    CHECK(n1 == n2 && n1 <= clen && memcmp(a, b, n1) == 0);
    CHECK(c1.bare_cr == c2.bare_cr && c1.bare_lf == c2.bare_lf);
    /* A CR before an LF in the output is a bare CR's ("\r\r\n"), never a pair's. */
    for (i = 0; i + 1 < n1; i++)
        CHECK(!(a[i] == '\r' && a[i + 1] == '\n') || c1.bare_cr);
    free(a);
    free(b);
    return 0;
}
