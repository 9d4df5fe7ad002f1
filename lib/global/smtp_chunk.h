/*
 * smtp_chunk.h - RFC 3030 CHUNKING framing: the "BDAT size [LAST]"
 * argument, and the conversion of chunk content to the queue's LF form.
 *
 * BDAT content is raw octets counted by the client: there is no
 * dot-stuffing and no end-of-data line, so nothing in the content can end
 * the message early or start a second one (the SMTP smuggling of DATA does
 * not exist here).  As Postfix does, a CR LF pair becomes the queue's LF,
 * even when a chunk boundary falls between the two; a bare LF is a line
 * end too (there is no ambiguity about where the message ends, and the
 * outbound client sends every LF as CR LF).  A bare CR is kept as it is
 * but reported: a next hop that reads a bare CR as a line end could be
 * smuggled to when the message is relayed with DATA, so smtpd refuses it
 * under smtpd_forbid_bare_newline = reject, as it does for DATA.
 */
#ifndef POSTERN_SMTP_CHUNK_H
#define POSTERN_SMTP_CHUNK_H

#include "sys_defs.h"

#define SMTP_CHUNK_DIGITS_MAX 18 /* a chunk size fits a long long */

/* Parse a BDAT argument; 0, or -1 when it is not "size" or "size LAST". */
int smtp_chunk_parse(const char *arg, long long *size_r, bool *last_r);

struct smtp_chunk_conv {
    bool pending_cr; /* the last octet seen was a CR not yet written */
    bool bare_cr;    /* a CR not followed by LF was seen */
    bool bare_lf;    /* an LF not preceded by CR was seen */
};

/*
 * Convert len octets of content into out, which has room for len + 1
 * octets (a CR held back from the previous call may come first).
 * Returns the octets written.
 */
size_t smtp_chunk_convert(struct smtp_chunk_conv *c, const unsigned char *in, size_t len,
                          unsigned char *out);
/* At the end of the message: write a held-back CR (a bare one) into out[0]; returns 0 or 1. */
size_t smtp_chunk_finish(struct smtp_chunk_conv *c, unsigned char *out);

#endif
