/*
 * smtp_cmd.h - the one parser for SMTP command lines (RFC 5321 section 4.1),
 * shared by the SMTP server and, later, by anything that reads SMTP.
 *
 * A line (without CR LF) becomes a typed struct smtp_cmd: the verb, the
 * address for MAIL and RCPT, the ESMTP parameters split into keyword and
 * value, or the text argument of the other verbs.  Whether a parameter is
 * supported is the server's policy, not the parser's.
 *
 * The other direction lives here too: smtp_cmd_format_reply() turns a reply
 * of any length into lines that RFC 5321 allows on the wire.
 */
#ifndef POSTERN_SMTP_CMD_H
#define POSTERN_SMTP_CMD_H

#include "sys_defs.h"
#include "buf.h"
#include "mail_addr.h"

enum smtp_verb {
    SMTP_VERB_UNKNOWN,
    SMTP_VERB_HELO,
    SMTP_VERB_EHLO,
    SMTP_VERB_MAIL,
    SMTP_VERB_RCPT,
    SMTP_VERB_DATA,
    SMTP_VERB_BDAT,
    SMTP_VERB_RSET,
    SMTP_VERB_NOOP,
    SMTP_VERB_QUIT,
    SMTP_VERB_VRFY,
    SMTP_VERB_EXPN,
    SMTP_VERB_HELP,
    SMTP_VERB_STARTTLS,
    SMTP_VERB_AUTH,
};

#define SMTP_PARAM_MAX 16
#define SMTP_PARAM_KEY_MAX 32
#define SMTP_PARAM_VALUE_MAX 500
/*
 * Room for "PLAIN " and the longest AUTH initial response sasl_mech.h
 * takes (SASL_MECH_RESPONSE_MAX, 1200): RFC 4954 4 lets an AUTH line be
 * far longer than RFC 5321's 512-octet command line.
 */
#define SMTP_ARG_MAX 1280

struct smtp_param {
    char key[SMTP_PARAM_KEY_MAX + 1];     /* upper-cased */
    char value[SMTP_PARAM_VALUE_MAX + 1]; /* empty when the keyword has none */
    bool has_value;
};

struct smtp_cmd {
    enum smtp_verb verb;
    const char *name;           /* canonical upper-case verb, or "unknown" */
    char arg[SMTP_ARG_MAX + 1]; /* HELO/EHLO/VRFY/EXPN/HELP/AUTH/NOOP argument */
    struct mail_addr addr;      /* MAIL and RCPT */
    struct smtp_param params[SMTP_PARAM_MAX];
    int nparams;
};

/*
 * Parse one command line.  Returns 0 on success; on failure returns -1 and
 * sets *reply_r to the complete SMTP reply ("501 5.5.4 Syntax: ...") that
 * the server should send.  cmd->verb is set whenever the verb was known.
 */
int smtp_cmd_parse(const unsigned char *line, size_t len, struct smtp_cmd *cmd,
                   const char **reply_r);

/* The parameter named key (upper case), or NULL. */
const struct smtp_param *smtp_cmd_param(const struct smtp_cmd *cmd, const char *key);

#define SMTP_REPLY_LINE_MAX 512  /* octets per reply line with CR LF, RFC 5321 4.5.3.1.5 */
#define SMTP_REPLY_TEXT_MAX 4096 /* octets of reply text kept; the rest is cut off */
#define SMTP_REPLY_LINES_MAX 16  /* lines per reply; the rest is cut off */
/* Room for the wire form of the longest reply smtp_cmd_format_reply() makes. */
#define SMTP_REPLY_WIRE_MAX (SMTP_REPLY_LINES_MAX * SMTP_REPLY_LINE_MAX)

/*
 * Append the wire form of one reply, "CODE[ -]text" (the text may start with
 * an RFC 3463 enhanced status code), to out: CR LF terminated lines of at
 * most SMTP_REPLY_LINE_MAX octets.  Longer text is wrapped, at a space where
 * there is one, into a multi-line reply that repeats the code and the
 * enhanced code on every line; text past SMTP_REPLY_TEXT_MAX octets or
 * SMTP_REPLY_LINES_MAX lines is dropped; an LF in the text starts a new
 * line; other control characters become '?'.
 * "CODE-text" (a line of a reply that the caller continues) keeps its '-'.
 * Returns the number of lines, or -1 if text does not start with a reply code
 * (then out is unchanged).
 */
int smtp_cmd_format_reply(const char *text, size_t len, struct buf *out);

#endif
