/*
 * mime.h - the one MIME structure parser (RFC 2045, RFC 2046): local
 * delivery, the smtp client's 8BITMIME downgrade (mime_qp.h), POP3 and IMAP
 * (BODYSTRUCTURE) all read a message's parts from the tree made here.
 *
 * Input is a whole message in memory, LF or CR LF line ends.  Each part's
 * header section is read with header_scan() (header.h); the tree holds
 * offsets into the message, never copies of it.  Malformed MIME never fails
 * the parse: what cannot be understood becomes a leaf (an unusable
 * Content-Type is text/plain, a multipart without a usable boundary or with
 * an encoded body is a leaf, a missing closing boundary ends the parts at
 * the end of the enclosing body).  The limits below bound the work and the
 * memory any input can cost; hitting one is reported, never fatal.
 */
#ifndef POSTERN_MIME_H
#define POSTERN_MIME_H

#include "sys_defs.h"

#define MIME_DEPTH_MAX 20    /* parts this deep below the root are leaves */
#define MIME_PARTS_MAX 1000  /* parts in one message, the root included */
#define MIME_FIELDS_MAX 1000 /* header fields read per part; later ones are ignored */
#define MIME_TOKEN_MAX 63    /* type, subtype, charset */
#define MIME_BOUNDARY_MAX 70 /* RFC 2046 5.1.1 */

enum mime_encoding {
    MIME_ENC_7BIT, /* also when there is no Content-Transfer-Encoding */
    MIME_ENC_8BIT,
    MIME_ENC_BINARY,
    MIME_ENC_QP,
    MIME_ENC_BASE64,
    MIME_ENC_OTHER
};

struct mime_part {
    size_t header_start, body_start, body_end; /* offsets into the message */
    size_t body_lines; /* line ends in the body, plus one for an unterminated last line */
    char type[MIME_TOKEN_MAX + 1];        /* lower-cased: "text", or "message" in a digest */
    char subtype[MIME_TOKEN_MAX + 1];     /* lower-cased: "plain", or "rfc822" in a digest */
    char boundary[MIME_BOUNDARY_MAX + 1]; /* the parameter as given; used for multipart only */
    char charset[MIME_TOKEN_MAX + 1];     /* as given; empty when absent */
    enum mime_encoding encoding;
    bool has_8bit;              /* the body (children included) holds octets >= 0x80 */
    bool gap_8bit;              /* multipart: so does text in none of its parts (preamble...) */
    struct mime_part *children; /* multipart parts, or the message/rfc822 inner message */
    struct mime_part *next;
};

/*
 * Parse msg[0..len) into a tree of parts; *root_r always gets one (free it
 * with mime_free()).  Returns 0, or 1 when a limit (depth, parts, fields)
 * was hit and *why_r (may be NULL) says which: the tree is still whole and
 * usable, only less detailed there.
 */
int mime_parse(const unsigned char *msg, size_t len, struct mime_part **root_r, const char **why_r);

/* Free a tree from mime_parse() (NULL is fine). */
void mime_free(struct mime_part *p);

/* Is the encoding one whose body is plain octets (7bit, 8bit, binary)? */
bool mime_encoding_is_identity(enum mime_encoding enc);

#endif
