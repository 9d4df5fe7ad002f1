/*
 * mail_addr.h - RFC 5321 addresses and paths, parsed once into a typed form.
 *
 * The local part is kept in internal (unquoted) form, as Postfix does: the
 * external form "a b"@example.com is stored as local "a b", domain
 * "example.com".  mail_addr_external() quotes it again when it goes back on
 * the wire or into a header.  Source routes (<@a,@b:user@c>) are accepted
 * and ignored, as RFC 5321 section 4.1.2 allows.
 */
#ifndef POSTERN_MAIL_ADDR_H
#define POSTERN_MAIL_ADDR_H

#include "sys_defs.h"
#include "buf.h"

#define MAIL_ADDR_LOCAL_MAX 64   /* octets, RFC 5321 4.5.3.1.1 */
#define MAIL_ADDR_DOMAIN_MAX 255 /* octets, RFC 5321 4.5.3.1.2 */
#define MAIL_ADDR_PATH_MAX 256   /* octets including < and >, 4.5.3.1.3 */
/* Longest internal-form "local@domain" string. */
#define MAIL_ADDR_TEXT_MAX (MAIL_ADDR_LOCAL_MAX + 1 + MAIL_ADDR_DOMAIN_MAX)

struct mail_addr {
    bool null;    /* the null reverse-path <> */
    bool literal; /* domain is an address literal like [192.0.2.1] */
    bool utf8;    /* local part or domain holds UTF-8 (only with MAIL_ADDR_ALLOW_UTF8) */
    char local[MAIL_ADDR_LOCAL_MAX + 1];
    char domain[MAIL_ADDR_DOMAIN_MAX + 1]; /* empty for <postmaster> */
};

#define MAIL_ADDR_ALLOW_NULL 0x1        /* accept <> (MAIL FROM) */
#define MAIL_ADDR_ALLOW_POSTMASTER 0x2  /* accept <postmaster> without domain (RCPT) */
#define MAIL_ADDR_ALLOW_LOCAL_ONLY 0x8  /* accept any local part without domain (aliases) */
#define MAIL_ADDR_ALLOW_NO_BRACKETS 0x4 /* accept user@domain without < > */
/* accept RFC 6531 UTF-8 (checked: shortest form, no controls) in local part and domain */
#define MAIL_ADDR_ALLOW_UTF8 0x10

/*
 * Parse a path at the start of (p, len).  On success returns 0 and sets
 * *used_r to the bytes consumed (the path ends at '>' or, without brackets,
 * at a space or the end).  On failure returns -1 with *error_r saying what
 * is wrong, suitable for an SMTP reply.
 */
int mail_addr_parse_path(const unsigned char *p, size_t len, int flags, struct mail_addr *a,
                         size_t *used_r, const char **error_r);

/* Parse an internal-form "local@domain" (split at the last '@'); for queue files. */
int mail_addr_from_internal(const char *text, struct mail_addr *a);

/* Internal form "local@domain" (or "" for the null path) into out. */
void mail_addr_internal(const struct mail_addr *a, char *out, size_t len);
/* External form with the local part quoted where needed (no angle brackets). */
void mail_addr_external(const struct mail_addr *a, struct buf *out);

/*
 * The external form of an internal-form address (as stored in queue files),
 * appended to out: what goes into Return-Path:, "for <...>", DSNs and log
 * lines.  "" for the null address; text that does not parse is copied as is.
 */
void mail_addr_quote_internal(const char *internal, struct buf *out);

/* Is the domain a syntactically valid RFC 5321 Domain (not a literal)? */
bool mail_addr_domain_ok(const char *d, size_t len);

#endif
