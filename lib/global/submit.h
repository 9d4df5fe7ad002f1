/*
 * submit.h - a message from a local user, made fit for the queue as
 * Postfix's sendmail and cleanup make a local submission fit:
 *
 *   input    the text on sendmail's standard input: LF or CR LF line ends
 *            (every CR before an LF goes, as Postfix's
 *            sendmail_fix_line_endings = always), a leading "From " line
 *            dropped, the end at a line holding a single "." unless -i,
 *            and an LF after a last line that has none;
 *   headers  with -t the recipients from To:, Cc: and Bcc: (or from the
 *            Resent- ones when there are any), Bcc:, Resent-Bcc:,
 *            Return-Path: and Content-Length: removed (Postfix's cleanup
 *            drops them), and a Message-Id:, Date: and From: added when
 *            missing (Resent- ones when the message is being resent).
 *
 * The header section is read by header.h and the addresses by addr_list.h;
 * nothing here parses either.  The result is the new header section plus
 * the offset where the original body goes on, so a large body is never
 * copied.  Everything here runs as the user, before postdrop; nothing
 * here is trusted by the queue (pickup checks the file it gets again).
 */
#ifndef POSTERN_SUBMIT_H
#define POSTERN_SUBMIT_H

#include "sys_defs.h"
#include "buf.h"
#include "addr_list.h"
#include "header.h"

#define SUBMIT_RCPT_MAX 100000   /* recipients from headers (QFILE_RCPT_MAX) */
#define SUBMIT_NAME_MAX 200      /* octets of a full name put into From: */
#define SUBMIT_INPUT_SLACK 65536 /* input over the limit that header edits might remove */

/* Input ------------------------------------------------------------------ */

struct submit_input {
    struct buf text;   /* the message so far, with LF line ends */
    size_t line_start; /* where the unfinished line starts in text */
    long long limit;   /* octets of message allowed */
    bool dot_ends;     /* a "." line ends the message (no -i) */
    bool at_start;     /* nothing kept yet: a "From " line is dropped */
    bool done;         /* the "." line was seen; the rest is ignored */
};

/* Start reading a message of at most limit octets; dot_ends unless -i. */
void submit_input_init(struct submit_input *in, long long limit, bool dot_ends);
/*
 * Take the next n bytes of input.  Returns 1 once the "." line was seen
 * (stop reading), 0 to go on, -1 when the message is over the limit.
 */
int submit_input_feed(struct submit_input *in, const unsigned char *p, size_t n);
/* The input ended: finish the last line.  -1 when over the limit. */
int submit_input_end(struct submit_input *in);
void submit_input_free(struct submit_input *in);

/* Headers ---------------------------------------------------------------- */

struct submit_opts {
    bool extract;          /* -t */
    const char *sender;    /* envelope sender, internal form, "" for <> */
    const char *full_name; /* for an added From:, or NULL */
    const char *hostname;  /* myhostname, for an added Message-Id: */
    struct timeval now;
    long pid;          /* with now and seq, makes an added Message-Id: unique */
    unsigned long seq; /* messages of this process so far (sendmail -bs sends several) */
};

struct submit_msg {
    struct buf header;                    /* the new header section, empty line included */
    size_t body;                          /* where the original body starts in the text */
    struct addr_list rcpts;               /* -t: recipients (bare local parts unqualified) */
    char bad_header[HEADER_NAME_MAX + 1]; /* the field whose addresses did not parse */
};

/*
 * Edit the header section of text (LF line ends).  The message as queued
 * is m->header followed by text[m->body..len).  -1 with *error_r when -t
 * finds an address list that does not parse (named in m->bad_header) or
 * too long to read whole; m must be freed either way.
 */
int submit_headers(const unsigned char *text, size_t len, const struct submit_opts *o,
                   struct submit_msg *m, const char **error_r);
void submit_msg_free(struct submit_msg *m);

/* Append a full name as an RFC 5322 phrase (controls removed, quoted when needed). */
void submit_phrase(const char *name, struct buf *out);

#endif
