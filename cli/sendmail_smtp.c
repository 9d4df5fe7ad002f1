/*
 * sendmail_smtp.c - sendmail -bs: SMTP on standard input and output, for
 * programs that submit mail that way (Postfix runs smtpd in stand-alone
 * mode for it).  It runs as the user, like all of sendmail, and each
 * message goes through submit.h's header edits and postdrop like any
 * other, so a session gives the user exactly what the command line does:
 * any sender, any recipient, nothing more.  As in Postfix's stand-alone
 * mode there are no relay or access checks; postdrop and pickup are where
 * the trust boundary is.
 *
 * The commands are read by the one SMTP command parser (smtp_cmd.h) and
 * lines by the one bounded line reader (stream.h), over a stream whose
 * transport reads descriptor 0 and writes descriptor 1 as they are
 * (blocking, as the caller set them up: they may be a terminal shared with
 * a shell, whose mode we must not change).
 */
#include "sys_defs.h"
#include <sysexits.h>
#include "sendmail.h"
#include "mail_params.h"
#include "maildrop.h"
#include "msg.h"
#include "qfile.h"
#include "smtp_cmd.h"
#include "stream.h"
#include "strutil.h"
#include "submit.h"

#define SM_CMD_LINE_MAX 2048

struct sm_session {
    struct stream *s;
    struct buf line;
    struct sm_envelope env;
    char dsn_ret[8];
    char dsn_envid[MAILDROP_ENVID_MAX + 1];
    bool have_mail;
    long long limit;
    int errors;
    unsigned long seq; /* messages so far, for unique Message-Ids */
};

static ssize_t sm_io_read(struct stream *s, void *p, size_t len)
{
    s->want = POLLIN;
    return read(0, p, len);
}

static ssize_t sm_io_write(struct stream *s, const void *p, size_t len)
{
    s->want = POLLOUT;
    return write(1, p, len);
}

static const struct stream_ops sm_io_ops = {sm_io_read, sm_io_write, NULL};

static void sm_reply(struct sm_session *ss, const char *fmt, ...) PRINTFLIKE(2, 3);

static void sm_reply(struct sm_session *ss, const char *fmt, ...)
{
    char text[SMTP_REPLY_TEXT_MAX];
    struct buf wire;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (text[0] == '4' || text[0] == '5')
        ss->errors++;
    buf_init(&wire, SMTP_REPLY_WIRE_MAX);
    if (smtp_cmd_format_reply(text, strlen(text), &wire) > 0)
        (void)stream_write(ss->s, wire.data, wire.len);
    buf_free(&wire);
    if (stream_flush(ss->s) < 0)
        exit(0); /* the client went away */
}

static void sm_reset(struct sm_session *ss)
{
    sm_env_free(&ss->env);
    ss->have_mail = false;
    ss->dsn_ret[0] = ss->dsn_envid[0] = 0;
}

/* RFC 3461 NOTIFY=: NEVER, or a list of SUCCESS, FAILURE, DELAY; -1 if bad. */
static int sm_notify(const char *v)
{
    char **words;
    size_t n, i;
    int bits = 0;

    if (str_eq_nocase(v, "NEVER"))
        return QFILE_NOTIFY_NEVER;
    words = str_split_list(v, &n);
    for (i = 0; i < n; i++) {
        if (str_eq_nocase(words[i], "SUCCESS"))
            bits |= QFILE_NOTIFY_SUCCESS;
        else if (str_eq_nocase(words[i], "FAILURE"))
            bits |= QFILE_NOTIFY_FAILURE;
        else if (str_eq_nocase(words[i], "DELAY"))
            bits |= QFILE_NOTIFY_DELAY;
        else
            bits = -1;
        if (bits < 0)
            break;
    }
    str_list_free(words);
    return n == 0 ? -1 : bits;
}

/* MAIL FROM's parameters; false (replied) if one is bad. */
static bool sm_mail_params(struct sm_session *ss, const struct smtp_cmd *cmd)
{
    int i;

    for (i = 0; i < cmd->nparams; i++) {
        const struct smtp_param *p = cmd->params + i;
        long long size;

        if (strcmp(p->key, "SIZE") == 0) {
            if (str_to_ll(p->value, 0, LLONG_MAX, &size) < 0) {
                sm_reply(ss, "501 5.5.4 Bad SIZE parameter");
                return false;
            }
            if (size > ss->limit) {
                sm_reply(ss, "552 5.3.4 Message size exceeds fixed limit");
                return false;
            }
        } else if (strcmp(p->key, "BODY") == 0 &&
                   (str_eq_nocase(p->value, "7BIT") || str_eq_nocase(p->value, "8BITMIME"))) {
            continue;
        } else if (strcmp(p->key, "RET") == 0 &&
                   (str_eq_nocase(p->value, "FULL") || str_eq_nocase(p->value, "HDRS"))) {
            str_copy(ss->dsn_ret, p->value, sizeof(ss->dsn_ret));
            for (char *c = ss->dsn_ret; *c; c++)
                *c = (char)toupper((unsigned char)*c);
        } else if (strcmp(p->key, "ENVID") == 0 && maildrop_envid_ok(p->value)) {
            str_copy(ss->dsn_envid, p->value, sizeof(ss->dsn_envid));
        } else {
            sm_reply(ss, "555 5.5.4 Unsupported option: %s", p->key);
            return false;
        }
    }
    return true;
}

static void sm_mail(struct sm_session *ss, const struct smtp_cmd *cmd)
{
    if (ss->have_mail) {
        sm_reply(ss, "503 5.5.1 Error: nested MAIL command");
        return;
    }
    if (!sm_mail_params(ss, cmd))
        return;
    mail_addr_internal(&cmd->addr, ss->env.sender, sizeof(ss->env.sender));
    ss->have_mail = true;
    sm_reply(ss, "250 2.1.0 Ok");
}

static void sm_rcpt(struct sm_session *ss, const struct smtp_cmd *cmd)
{
    struct mail_addr a = cmd->addr;
    const struct smtp_param *p;
    int notify = 0, i;

    if (!ss->have_mail) {
        sm_reply(ss, "503 5.5.1 Error: need MAIL command");
        return;
    }
    for (i = 0; i < cmd->nparams; i++) {
        p = cmd->params + i;
        if (strcmp(p->key, "NOTIFY") == 0 && (notify = sm_notify(p->value)) >= 0)
            continue;
        if (strcmp(p->key, "ORCPT") == 0) /* accepted; not kept yet */
            continue;
        sm_reply(ss, "555 5.5.4 Unsupported option: %s", p->key);
        return;
    }
    if ((long long)ss->env.n >= var_smtpd_recipient_limit) {
        sm_reply(ss, "452 4.5.3 Error: too many recipients");
        return;
    }
    if (sm_qualify(&a) < 0) { /* <postmaster> */
        sm_reply(ss, "501 5.1.3 Bad recipient address syntax");
        return;
    }
    sm_env_add(&ss->env, &a, notify);
    sm_reply(ss, "250 2.1.5 Ok");
}

/* The content up to the "." line, unstuffed, with LF line ends; false if too big. */
static bool sm_data_read(struct sm_session *ss, struct buf *text)
{
    bool in_line = false, too_big = false;
    int term, r;

    for (;;) {
        const unsigned char *p;
        size_t len;

        if ((r = stream_get_line(ss->s, &ss->line, (size_t)var_line_length_limit, &term)) < 0)
            exit(0); /* the client went away in the middle: nothing was queued */
        p = ss->line.data;
        len = ss->line.len;
        if (!in_line && r == 1 && len == 1 && p[0] == '.')
            return !too_big;
        if (!in_line && len > 0 && p[0] == '.')
            p++, len--;
        while (r == 1 && len > 0 && p[len - 1] == '\r')
            len--;
        if (!too_big && (buf_append(text, p, len) < 0 || (r == 1 && buf_putc(text, '\n') < 0)))
            too_big = true;
        in_line = r == 0;
    }
}

static void sm_data(struct sm_session *ss)
{
    struct submit_opts so = {.sender = ss->env.sender,
                             .hostname = var_myhostname,
                             .pid = (long)getpid(),
                             .seq = ss->seq++};
    struct submit_msg m;
    struct buf text;
    const char *why;
    int status;

    if (ss->env.n == 0) {
        sm_reply(ss, "503 5.5.1 Error: need RCPT command");
        return;
    }
    sm_reply(ss, "354 End data with <CR><LF>.<CR><LF>");
    buf_init(&text, (size_t)ss->limit);
    if (!sm_data_read(ss, &text)) {
        buf_free(&text);
        sm_reset(ss);
        sm_reply(ss, "552 5.3.4 Error: message file too big");
        return;
    }
    gettimeofday(&so.now, NULL);
    (void)submit_headers((const unsigned char *)buf_str(&text), text.len, &so, &m, &why);
    ss->env.dsn_ret = ss->dsn_ret[0] ? ss->dsn_ret : NULL;
    ss->env.dsn_envid = ss->dsn_envid[0] ? ss->dsn_envid : NULL;
    if ((long long)(m.header.len + text.len - m.body) > ss->limit)
        status = EX_UNAVAILABLE;
    else
        status = sm_drop(&ss->env, &m.header, (const unsigned char *)buf_str(&text) + m.body,
                         text.len - m.body);
    submit_msg_free(&m);
    buf_free(&text);
    sm_reset(ss);
    if (status == 0)
        sm_reply(ss, "250 2.0.0 Ok: queued");
    else if (status == EX_UNAVAILABLE)
        sm_reply(ss, "552 5.3.4 Error: message file too big");
    else
        sm_reply(ss, "451 4.3.0 Error: queue file write error");
}

static void sm_ehlo(struct sm_session *ss, const struct smtp_cmd *cmd)
{
    sm_reset(ss);
    if (cmd->verb == SMTP_VERB_HELO) {
        sm_reply(ss, "250 %s", var_myhostname);
        return;
    }
    sm_reply(ss, "250-%s", var_myhostname);
    sm_reply(ss, "250-PIPELINING");
    sm_reply(ss, "250-SIZE %lld", ss->limit);
    sm_reply(ss, "250-8BITMIME");
    sm_reply(ss, "250-ENHANCEDSTATUSCODES");
    sm_reply(ss, "250 DSN");
}

static void sm_command(struct sm_session *ss, struct smtp_cmd *cmd)
{
    switch (cmd->verb) {
    case SMTP_VERB_HELO:
    case SMTP_VERB_EHLO:
        sm_ehlo(ss, cmd);
        break;
    case SMTP_VERB_MAIL:
        sm_mail(ss, cmd);
        break;
    case SMTP_VERB_RCPT:
        sm_rcpt(ss, cmd);
        break;
    case SMTP_VERB_DATA:
        sm_data(ss);
        break;
    case SMTP_VERB_RSET:
        sm_reset(ss);
        sm_reply(ss, "250 2.0.0 Ok");
        break;
    case SMTP_VERB_NOOP:
        sm_reply(ss, "250 2.0.0 Ok");
        break;
    case SMTP_VERB_QUIT:
        sm_reply(ss, "221 2.0.0 Bye");
        exit(0);
    case SMTP_VERB_VRFY:
        sm_reply(ss, "252 2.0.0 Send mail to find out");
        break;
    case SMTP_VERB_UNKNOWN:
        sm_reply(ss, "502 5.5.2 Error: command not recognized");
        break;
    default:
        sm_reply(ss, "502 5.5.1 Error: command not implemented");
        break;
    }
}

/* One command line; false at the end of input. */
static bool sm_read_command(struct sm_session *ss)
{
    struct smtp_cmd cmd;
    const char *reply;
    bool too_long = false;
    int term, r;

    while ((r = stream_get_line(ss->s, &ss->line, SM_CMD_LINE_MAX, &term)) == 0)
        too_long = true; /* the rest of an over-long line */
    if (r < 0)
        return false;
    if (too_long) {
        sm_reply(ss, "500 5.5.2 Error: line too long");
        return true;
    }
    if (smtp_cmd_parse(ss->line.data, ss->line.len, &cmd, &reply) < 0)
        sm_reply(ss, "%s", reply);
    else
        sm_command(ss, &cmd);
    return true;
}

void sm_smtp(const struct sm_opts *o UNUSED)
{
    struct sm_session ss = {.limit = var_message_size_limit > 0 &&
                                             var_message_size_limit < QFILE_MESSAGE_MAX
                                         ? var_message_size_limit
                                         : QFILE_MESSAGE_MAX};
    int flags = fcntl(0, F_GETFL);

    ss.s = stream_open(0, (int)(var_smtpd_timeout * 1000));
    /* stream_open() made descriptor 0 non-blocking: give it back its mode. */
    if (flags >= 0 && fcntl(0, F_SETFL, flags) < 0)
        msg_warn("restore the mode of standard input: %m");
    stream_set_ops(ss.s, &sm_io_ops, NULL);
    buf_init(&ss.line, SM_CMD_LINE_MAX + (size_t)var_line_length_limit);
    sm_reply(&ss, "220 %s", var_smtpd_banner);
    while (ss.errors <= var_smtpd_hard_error_limit && sm_read_command(&ss))
        ;
    if (ss.errors > var_smtpd_hard_error_limit)
        sm_reply(&ss, "421 4.7.0 %s Error: too many errors", var_myhostname);
    exit(0);
}
