/*
 * smtp_cmd.c - SMTP command line parser (see smtp_cmd.h).
 */
#include "sys_defs.h"
#include "smtp_cmd.h"
#include "strutil.h"

struct verb_info {
    const char *name;
    enum smtp_verb verb;
    bool takes_arg;     /* false: any argument is a syntax error */
    const char *syntax; /* the reply for a bad argument */
};

static const struct verb_info verbs[] = {
    {"HELO", SMTP_VERB_HELO, true, "501 Syntax: HELO hostname"},
    {"EHLO", SMTP_VERB_EHLO, true, "501 Syntax: EHLO hostname"},
    {"MAIL", SMTP_VERB_MAIL, true, "501 5.5.4 Syntax: MAIL FROM:<address>"},
    {"RCPT", SMTP_VERB_RCPT, true, "501 5.5.4 Syntax: RCPT TO:<address>"},
    {"DATA", SMTP_VERB_DATA, false, "501 5.5.4 Syntax: DATA"},
    {"BDAT", SMTP_VERB_BDAT, true, "501 5.5.4 Syntax: BDAT size [LAST]"},
    {"RSET", SMTP_VERB_RSET, false, "501 5.5.4 Syntax: RSET"},
    {"NOOP", SMTP_VERB_NOOP, true, "501 5.5.4 Syntax: NOOP"},
    {"QUIT", SMTP_VERB_QUIT, false, "501 5.5.4 Syntax: QUIT"},
    {"VRFY", SMTP_VERB_VRFY, true, "501 5.5.4 Syntax: VRFY address"},
    {"EXPN", SMTP_VERB_EXPN, true, "501 5.5.4 Syntax: EXPN mailing-list"},
    {"HELP", SMTP_VERB_HELP, true, "501 5.5.4 Syntax: HELP"},
    {"STARTTLS", SMTP_VERB_STARTTLS, false, "501 5.5.4 Syntax: STARTTLS"},
    {"AUTH", SMTP_VERB_AUTH, true, "501 5.5.4 Syntax: AUTH mechanism"},
};

static bool is_param_key_char(int c)
{
    return isalnum(c) || c == '-';
}

static bool is_param_value_char(int c)
{
    return c >= 33 && c <= 126 && c != '=';
}

/* Parse " KEY[=VALUE]" pairs after a MAIL or RCPT path. */
static int parse_params(const unsigned char *p, size_t len, struct smtp_cmd *cmd,
                        const char **reply_r)
{
    size_t i = 0;

    for (;;) {
        struct smtp_param *sp;
        size_t k = 0, v = 0;

        while (i < len && p[i] == ' ')
            i++;
        if (i >= len)
            return 0;
        if (cmd->nparams >= SMTP_PARAM_MAX) {
            *reply_r = "555 5.5.4 Error: too many parameters";
            return -1;
        }
        sp = cmd->params + cmd->nparams;
        if (!isalnum(p[i]))
            goto bad;
        while (i < len && is_param_key_char(p[i])) {
            if (k >= SMTP_PARAM_KEY_MAX)
                goto bad;
            sp->key[k++] = (char)toupper(p[i++]);
        }
        sp->key[k] = 0;
        sp->has_value = false;
        sp->value[0] = 0;
        if (i < len && p[i] == '=') {
            i++;
            while (i < len && is_param_value_char(p[i])) {
                if (v >= SMTP_PARAM_VALUE_MAX)
                    goto bad;
                sp->value[v++] = (char)p[i++];
            }
            if (v == 0)
                goto bad;
            sp->value[v] = 0;
            sp->has_value = true;
        }
        if (i < len && p[i] != ' ')
            goto bad;
        cmd->nparams++;
    }

bad:
    *reply_r = "555 5.5.4 Error: bad parameter syntax";
    return -1;
}

static int parse_path_cmd(const unsigned char *p, size_t len, struct smtp_cmd *cmd,
                          const char **reply_r)
{
    bool mail = cmd->verb == SMTP_VERB_MAIL;
    const char *kw = mail ? "FROM:" : "TO:";
    size_t kwlen = strlen(kw), used;
    const char *why;
    /* UTF-8 is parsed (and checked) always; whether SMTPUTF8 allowed it is smtpd's to say. */
    int flags = MAIL_ADDR_ALLOW_NO_BRACKETS | MAIL_ADDR_ALLOW_UTF8 |
                (mail ? MAIL_ADDR_ALLOW_NULL : MAIL_ADDR_ALLOW_POSTMASTER);

    if (len < kwlen || strncasecmp((const char *)p, kw, kwlen) != 0) {
        *reply_r =
            mail ? "501 5.5.4 Syntax: MAIL FROM:<address>" : "501 5.5.4 Syntax: RCPT TO:<address>";
        return -1;
    }
    p += kwlen;
    len -= kwlen;
    while (len > 0 && *p == ' ') { /* tolerated, as Postfix does */
        p++;
        len--;
    }
    if (len == 0) {
        *reply_r =
            mail ? "501 5.5.4 Syntax: MAIL FROM:<address>" : "501 5.5.4 Syntax: RCPT TO:<address>";
        return -1;
    }
    if (mail_addr_parse_path(p, len, flags, &cmd->addr, &used, &why) < 0) {
        *reply_r =
            mail ? "501 5.1.7 Bad sender address syntax" : "501 5.1.3 Bad recipient address syntax";
        return -1;
    }
    if (used < len && p[used] != ' ') {
        *reply_r =
            mail ? "501 5.1.7 Bad sender address syntax" : "501 5.1.3 Bad recipient address syntax";
        return -1;
    }
    return parse_params(p + used, len - used, cmd, reply_r);
}

int smtp_cmd_parse(const unsigned char *line, size_t len, struct smtp_cmd *cmd,
                   const char **reply_r)
{
    const struct verb_info *vi = NULL;
    size_t i, vlen;

    memset(cmd, 0, sizeof(*cmd));
    cmd->verb = SMTP_VERB_UNKNOWN;
    cmd->name = "unknown";
    for (i = 0; i < len; i++) {
        if (line[i] == 0 || line[i] == '\r' || line[i] == '\n') {
            *reply_r = "500 5.5.2 Error: bad character in command";
            return -1;
        }
    }
    while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    for (vlen = 0; vlen < len && line[vlen] != ' '; vlen++)
        ;
    for (i = 0; i < COUNTOF(verbs); i++) {
        if (strlen(verbs[i].name) == vlen &&
            strncasecmp((const char *)line, verbs[i].name, vlen) == 0) {
            vi = verbs + i;
            break;
        }
    }
    if (vi == NULL) {
        *reply_r = "502 5.5.2 Error: command not recognized";
        return -1;
    }
    cmd->verb = vi->verb;
    cmd->name = vi->name;
    line += vlen;
    len -= vlen;
    while (len > 0 && *line == ' ')
        line++, len--;
    if (!vi->takes_arg && len > 0) {
        *reply_r = vi->syntax;
        return -1;
    }
    if (vi->verb == SMTP_VERB_MAIL || vi->verb == SMTP_VERB_RCPT)
        return parse_path_cmd(line, len, cmd, reply_r);
    if (len > SMTP_ARG_MAX) {
        *reply_r = "501 5.5.4 Error: argument too long";
        return -1;
    }
    memcpy(cmd->arg, line, len);
    cmd->arg[len] = 0;
    if (len == 0 &&
        (vi->verb == SMTP_VERB_HELO || vi->verb == SMTP_VERB_EHLO || vi->verb == SMTP_VERB_VRFY ||
         vi->verb == SMTP_VERB_BDAT || vi->verb == SMTP_VERB_AUTH)) {
        *reply_r = vi->syntax;
        return -1;
    }
    return 0;
}

const struct smtp_param *smtp_cmd_param(const struct smtp_cmd *cmd, const char *key)
{
    int i;

    for (i = 0; i < cmd->nparams; i++)
        if (strcmp(cmd->params[i].key, key) == 0)
            return cmd->params + i;
    return NULL;
}

/* Replies ------------------------------------------------------------------ */

/* Length of an RFC 3463 enhanced status code of class cls at p, or 0. */
static size_t reply_enhanced_len(const char *p, size_t len, char cls)
{
    size_t i = 2, n;
    int part;

    if (len < 5 || p[0] != cls || p[1] != '.')
        return 0;
    for (part = 0; part < 2; part++) {
        for (n = 0; i < len && n < 3 && isdigit((unsigned char)p[i]); n++)
            i++;
        if (n == 0)
            return 0;
        if (part == 0) {
            if (i >= len || p[i] != '.')
                return 0;
            i++;
        }
    }
    return i == len || p[i] == ' ' ? i : 0;
}

/*
 * Where the line starting at pos ends: *take_r octets of text go on it and
 * the next line starts at the return value.  An LF ends a line; otherwise a
 * line that must be wrapped breaks at its last space (dropped), or at room.
 */
static size_t reply_break(const char *t, size_t pos, size_t len, size_t room, size_t *take_r)
{
    size_t window = len - pos < room ? len - pos : room, i;
    const char *lf = memchr(t + pos, '\n', window);

    if (lf != NULL) {
        *take_r = (size_t)(lf - (t + pos));
        if (*take_r > 0 && t[pos + *take_r - 1] == '\r')
            (*take_r)--;
        return (size_t)(lf - t) + 1;
    }
    if (len - pos <= room) {
        *take_r = len - pos;
        return len;
    }
    for (i = pos + room; i > pos; i--) {
        if (t[i] == ' ') {
            *take_r = i - pos;
            return i + 1;
        }
    }
    *take_r = room;
    return pos + room;
}

/* Append text, with what may not appear in a reply line replaced. */
static int reply_append_text(struct buf *out, const char *t, size_t len)
{
    int ret = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];

        ret |= buf_putc(out, (c < 32 && c != '\t') || c == 127 ? '?' : c);
    }
    return ret;
}

int smtp_cmd_format_reply(const char *text, size_t len, struct buf *out)
{
    size_t start = out->len, pos, plen, enh, room;
    char prefix[16], sep;
    int lines = 0, ret = 0;

    if (len < 3 || text[0] < '2' || text[0] > '5' || !isdigit((unsigned char)text[1]) ||
        !isdigit((unsigned char)text[2]) || (len > 3 && text[3] != ' ' && text[3] != '-'))
        return -1;
    if (len > SMTP_REPLY_TEXT_MAX)
        len = SMTP_REPLY_TEXT_MAX; /* a sane total: nobody reads kilobytes of reply */
    sep = len > 3 ? text[3] : ' ';
    pos = len > 3 ? 4 : 3;
    memcpy(prefix, text, 3);
    plen = 4;
    enh = reply_enhanced_len(text + pos, len - pos, text[0]);
    if (enh > 0) {
        /* RFC 2034: every line of a multi-line reply carries the code */
        memcpy(prefix + 4, text + pos, enh);
        prefix[4 + enh] = ' ';
        plen = 5 + enh;
        pos += enh + (pos + enh < len);
    }
    room = SMTP_REPLY_LINE_MAX - 2 - plen;
    do {
        size_t take, next = reply_break(text, pos, len, room, &take), n = plen;

        if (lines + 1 == SMTP_REPLY_LINES_MAX)
            next = len; /* enough: this line is the last */
        prefix[3] = next >= len ? sep : '-';
        /*
         * A line without text has no space after its code: "250", "550
         * 5.1.1"; but an empty AUTH challenge keeps it, since RFC 4954's
         * continue-req is "334" SP [base64].
         */
        if (take == 0)
            n = enh > 0 ? plen - 1 : prefix[3] == '-' || memcmp(prefix, "334", 3) == 0 ? 4 : 3;
        ret |= buf_append(out, prefix, n);
        ret |= reply_append_text(out, text + pos, take);
        ret |= buf_append(out, "\r\n", 2);
        pos = next;
        lines++;
    } while (pos < len);
    if (ret != 0) {
        buf_truncate(out, start);
        return -1;
    }
    return lines;
}
