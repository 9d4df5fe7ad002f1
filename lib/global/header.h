/*
 * header.h - the header section of a message (RFC 5322 section 2.2), read
 * once, here: local looks for Delivered-To: loops, sendmail for To:, Cc:,
 * Bcc:, From:, Date: and Message-ID:, and the MIME parser to come starts
 * from the same fields.
 *
 * Input is message text with LF or CR LF line ends.  A field is a name
 * (printable ASCII but ':'), a colon, and a value that continues on lines
 * starting with white space; each is handed out unfolded (the line breaks
 * of folding removed, the white space kept).  The header section ends at an
 * empty line, or at the first line that is not a field (RFC 5322 says that
 * is the body; real mail has such lines, and Postfix treats them the same).
 * A field longer than HEADER_FIELD_MAX is cut there, never refused: what
 * matters about it is its name.
 */
#ifndef POSTERN_HEADER_H
#define POSTERN_HEADER_H

#include "sys_defs.h"

#define HEADER_FIELD_MAX 65536 /* octets of one unfolded field */
#define HEADER_NAME_MAX 256

struct header_field {
    const char *name;  /* NUL-terminated, as in the message */
    const char *value; /* NUL-terminated, unfolded, leading white space removed */
    size_t value_len;  /* the value may hold NULs from the message: trust this */
    size_t offset;     /* where the field starts in the text */
    size_t end;        /* just past its last line and that line's end (LF or CR LF) */
};

/* One field; non-zero stops the scan and is returned by header_scan(). */
typedef int (*header_fn)(const struct header_field *f, void *ctx);

/*
 * Scan the header section of text[0..len).  *body_r (may be NULL) gets the
 * offset of the first body byte (after the empty line), or len when the
 * text ends within the headers.  Returns 0 or what fn returned.
 */
int header_scan(const unsigned char *text, size_t len, header_fn fn, void *ctx, size_t *body_r);

/* Is the field's name this one (ASCII case-insensitively)? */
bool header_is(const struct header_field *f, const char *name);

#endif
