/*
 * mime_qp.h - the 8BITMIME downgrade (RFC 6152 section 3, RFC 1652): what
 * the smtp client sends when a message with 8-bit bodies goes to a server
 * that does not offer 8BITMIME.  As Postfix does, every leaf whose body is
 * 8-bit (7bit, 8bit, binary or no Content-Transfer-Encoding) is rewritten as
 * quoted-printable (RFC 2045 6.7), the composites above it are relabelled
 * 7bit, and everything else (boundaries, 7-bit and already encoded parts)
 * is copied octet for octet.  Header fields with 8-bit octets are left as
 * they are, as Postfix leaves them.  The structure comes from mime_parse()
 * alone; nothing here reads MIME syntax of its own.
 */
#ifndef POSTERN_MIME_QP_H
#define POSTERN_MIME_QP_H

#include "sys_defs.h"
#include "buf.h"
#include "mime.h"

#define MIME_QP_LINE_MAX 76 /* octets of an encoded line, the soft break included */

/*
 * Append to out a copy of msg[0..len) with no octet >= 0x80 left in the
 * body of any leaf that has an identity encoding, nor in a preamble or
 * epilogue.  Line ends are those of the input.  Returns 0, or -1 when out's
 * maximum was reached (out then holds a partial copy).
 */
int mime_downgrade(const unsigned char *msg, size_t len, struct buf *out);

/* Would mime_downgrade() change the message with this tree? */
bool mime_needs_downgrade(const struct mime_part *root);

/*
 * Append data[0..len) encoded as quoted-printable.  eol is the message's
 * line end ("\n" or "\r\n"): soft line breaks use it, and a CR before an
 * LF is part of a hard line break (kept) only when eol is CR LF; otherwise
 * it is data (=0D), as is every other CR.  -1 past out's maximum.
 */
int mime_qp_encode(const unsigned char *data, size_t len, const char *eol, struct buf *out);

#endif
