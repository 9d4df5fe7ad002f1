/*
 * smtp_reply.h - the one parser for what a remote SMTP server sends the
 * outbound client: replies (RFC 5321 4.2, multi-line ones included) with
 * their enhanced status codes (RFC 3463, RFC 2034), and the keyword list
 * of an EHLO reply (RFC 5321 4.1.1.1).
 *
 * The server at the other end is a stranger: every byte of a reply may be
 * hostile.  Lines are taken with their length (no NUL is trusted or
 * accepted), each line, the number of lines and the text kept are bounded,
 * and what comes out is typed: a code, a dsn, joined text, extension bits.
 * Nothing downstream parses reply strings again.  The text is kept as sent
 * (control characters included); smtp_reply_oneline() is the form for
 * logs and bounces.
 */
#ifndef POSTERN_SMTP_REPLY_H
#define POSTERN_SMTP_REPLY_H

#include "sys_defs.h"

#define SMTP_REPLY_IN_LINE_MAX 2048 /* octets per line, CRLF excluded (RFC 5321: 512) */
#define SMTP_REPLY_IN_LINES_MAX 100 /* lines per reply (EHLO lists can be long) */
#define SMTP_REPLY_IN_TEXT_MAX 8192 /* the joined text kept */

struct smtp_reply {
    int code; /* 200..599 */
    /*
     * "5.1.1": the enhanced status code of the first line if it has one
     * whose class matches the code's first digit (RFC 3463), else derived
     * from the code: "2.0.0", "4.0.0", "5.0.0".
     */
    char dsn[16];
    bool enhanced; /* the server sent the dsn itself */
    size_t nlines;
    /*
     * Each line's text after "NNN-"/"NNN " (and after the line's enhanced
     * code when it has one of the right class), lines joined with "\n";
     * truncated at the limit, never overflowing, always NUL-terminated.
     */
    char text[SMTP_REPLY_IN_TEXT_MAX + 1];
    size_t text_len; /* strlen(text) */
    bool truncated;  /* text lost octets to the limit: its last line is partial */
};

/* Line-at-a-time reader: reset, then feed each line as received (without CRLF). */
struct smtp_reply_reader {
    struct smtp_reply r;
    bool started; /* a first line was taken */
    bool done;    /* the last line was taken: r is complete */
    bool failed;  /* a line was malformed: every later line fails too */
};

/* Make rd ready for the first line of a new reply. */
void smtp_reply_start(struct smtp_reply_reader *rd);

/*
 * Take one line of a reply (len octets at line, the CR LF removed).
 * Returns 0 when another line is needed, 1 when the reply is complete
 * (rd->r valid), -1 when it is malformed, with the reason in *why: not
 * three digits, a code outside 200..599, a continuation line with a
 * different code, a separator other than '-' or ' ' (a bare "250" with
 * nothing after is a valid last line), too many lines, a line over
 * SMTP_REPLY_IN_LINE_MAX, a NUL or LF octet.  A line after the reply is
 * complete, or after a failure, also fails: call smtp_reply_start() first.
 */
int smtp_reply_line(struct smtp_reply_reader *rd, const char *line, size_t len, const char **why);

/*
 * The reply as one line for logs and bounces, Postfix style: the code and
 * dsn, then the lines' text joined with a space: "550 5.1.1 <x@y>:
 * Recipient address rejected".  Control characters become '?'.  At most
 * len - 1 octets and a NUL are written (nothing when len is 0).
 */
void smtp_reply_oneline(const struct smtp_reply *r, char *out, size_t len);

/* What an EHLO reply says the server offers. */
#define SMTP_EXT_PIPELINING 0x1
#define SMTP_EXT_SIZE 0x2
#define SMTP_EXT_8BITMIME 0x4
#define SMTP_EXT_SMTPUTF8 0x8
#define SMTP_EXT_DSN 0x10
#define SMTP_EXT_CHUNKING 0x20
#define SMTP_EXT_STARTTLS 0x40
#define SMTP_EXT_ENHANCEDSTATUSCODES 0x80
#define SMTP_EXT_AUTH 0x100

#define SMTP_AUTH_PLAIN 0x1
#define SMTP_AUTH_LOGIN 0x2

/* The largest SIZE taken as a limit; a bigger number is not a known limit. */
#define SMTP_EHLO_SIZE_MAX (1LL << 62)

struct smtp_ehlo {
    unsigned ext;         /* SMTP_EXT_* */
    long long size_limit; /* SIZE n; 0: none announced, "SIZE" alone, or malformed */
    unsigned auth_mechs;  /* SMTP_AUTH_*, of AUTH (and the old "AUTH=PLAIN LOGIN" form) */
};

/*
 * The extensions of an EHLO reply: keywords from every line but the first
 * (the greeting name), case-insensitively; unknown keywords and garbage
 * lines are ignored; a malformed SIZE argument means no limit known.  A
 * reply that is not 2xx offers nothing, and the partial last line of a
 * truncated reply is not read.
 */
void smtp_ehlo_parse(const struct smtp_reply *r, struct smtp_ehlo *e);

#endif
