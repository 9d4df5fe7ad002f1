/*
 * smtpd_msg.c - the queue file of one message, for DATA and BDAT alike
 * (see smtpd_msg.h).
 *
 * A message over smtpd_size_limit() has its queue file dropped the moment
 * it goes over, so a client cannot fill the disk with what will never be
 * queued; it is refused with 552 at its end.  The 250 reply is sent only
 * after qfile_commit() has made the file and its name durable.
 *
 * The recipients are written after their virtual aliases are expanded
 * (virtual.h), as Postfix's cleanup does it, so qmgr sees the real ones;
 * each keeps the DSN NOTIFY and ORCPT its client gave.  When that cannot
 * be done (a table fails, a list is too large or loops) the client hears
 * 451 and nothing is queued.  The MAIL FROM parameters the delivery side
 * needs later (BODY, SMTPUTF8, RET, ENVID) are message attributes.
 */
#include "sys_defs.h"
#include "smtpd_msg.h"
#include "mail_params.h"
#include "mynetworks.h"
#include "qmgr_proto.h"
#include "queue.h"
#include "msg.h"
#include "strutil.h"
#include "crash_point.h"
#include "virtual.h"

static int smtpd_incoming_fd = -1;
static struct net_list smtpd_bare_newline_exclusions;

void smtpd_data_init(void)
{
    char *err;

    smtpd_incoming_fd = open(QUEUE_INCOMING, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (smtpd_incoming_fd < 0)
        msg_fatal("open %s/%s: %m", var_queue_dir, QUEUE_INCOMING);
    if (net_list_init(&smtpd_bare_newline_exclusions, "smtpd_forbid_bare_newline_exclusions",
                      var_smtpd_forbid_bare_newline_exclusions, &err) < 0)
        msg_fatal("%s", err);
}

bool smtpd_bare_newline_reject(const struct smtpd_state *st)
{
    return strcmp(var_smtpd_forbid_bare_newline, "reject") == 0 &&
           !net_list_match(&smtpd_bare_newline_exclusions, st->addr);
}

void smtpd_msg_error(struct smtpd_msg *m, enum smtpd_msg_error e)
{
    if (m->error == SMTPD_MSG_OK)
        m->error = e;
}

void smtpd_msg_store(struct smtpd_msg *m, const void *p, size_t len, bool eol)
{
    if (m->error == SMTPD_MSG_TOO_BIG)
        return;
    m->size += (long long)len + eol;
    if (m->size > m->limit) {
        /* Beats every other reason.  Free the space now, not at the end. */
        m->error = SMTPD_MSG_TOO_BIG;
        qfile_abort(&m->w);
        return;
    }
    qfile_content_write(&m->w, p, len);
    if (eol)
        qfile_content_write(&m->w, "\n", 1);
}

/* One recipient for the queue file, with the one it came in as if aliased. */
static void msg_put_rcpt(const char *address, const char *orig, void *ctx)
{
    struct smtpd_msg *m = ctx;

    qfile_put_rcpt_dsn(&m->w, address, str_eq_nocase(address, orig) ? NULL : orig,
                       m->rcpt_dsn->notify, m->rcpt_dsn->orcpt);
}

/* The MAIL FROM parameters that delivery and bounces need later. */
static void msg_put_mail_params(struct smtpd_state *st, struct smtpd_msg *m)
{
    const struct smtp_mail_params *mp = &st->mail;

    if (mp->body != SMTP_BODY_NONE)
        qfile_put_attr(&m->w, "body", mp->body == SMTP_BODY_8BITMIME ? "8BITMIME" : "7BIT");
    if (mp->smtputf8)
        qfile_put_attr(&m->w, "smtputf8", "yes");
    if (mp->ret != SMTP_RET_NONE)
        qfile_put_attr(&m->w, "dsn_ret", mp->ret == SMTP_RET_FULL ? "FULL" : "HDRS");
    if (mp->envid[0])
        qfile_put_attr(&m->w, "dsn_envid", mp->envid);
}

/*
 * The envelope, with the recipients' virtual aliases expanded (virtual.h).
 * -1 if they could not be: the message is not taken (the table may be
 * back, or fixed, when the client tries again).
 */
static int msg_write_envelope(struct smtpd_state *st, struct smtpd_msg *m,
                              const struct timeval *now)
{
    struct virtual_rcpts v;
    char text[64], *err = NULL;
    size_t i;
    int ret = 0;

    snprintf(text, sizeof(text), "%lld %ld", (long long)now->tv_sec, (long)now->tv_usec);
    qfile_put(&m->w, QFILE_REC_TIME, text, strlen(text));
    qfile_put(&m->w, QFILE_REC_SENDER, st->sender, strlen(st->sender));
    qfile_put_attr(&m->w, "client_name", st->name);
    qfile_put_attr(&m->w, "client_address", st->addr);
    snprintf(text, sizeof(text), "%d", st->port);
    qfile_put_attr(&m->w, "client_port", text);
    qfile_put_attr(&m->w, "helo_name", st->helo);
    qfile_put_attr(&m->w, "protocol", smtpd_proto(st));
    msg_put_mail_params(st, m);
    virtual_rcpts_init(&v, msg_put_rcpt, m);
    for (i = 0; i < st->nrcpts && ret == 0; i++) {
        m->rcpt_dsn = &st->rcpts[i].dsn; /* for every address it expands to */
        if ((ret = virtual_rcpts_add(&v, st->rcpts[i].address, &err)) < 0) {
            msg_warn("%s: %s", m->w.id, err);
            free(err);
        }
    }
    virtual_rcpts_free(&v);
    return ret;
}

static void msg_received(struct smtpd_state *st, struct smtpd_msg *m, time_t now)
{
    char date[80], hdr[2048], tls[256];
    struct buf rcpt;
    int n;

    str_rfc5322_date(date, sizeof(date), now);
    (void)smtpd_tls_received(st, tls, sizeof(tls));
    /* Postfix's layout: "for <rcpt>" only when there is exactly one, quoted as on the wire. */
    if (st->nrcpts == 1) {
        buf_init(&rcpt, 2 * MAIL_ADDR_TEXT_MAX + 8);
        mail_addr_quote_internal(st->rcpts[0].address, &rcpt);
        n = snprintf(hdr, sizeof(hdr),
                     "Received: from %s (%s [%s])\n%s\tby %s (%s) with %s id %s\n\tfor <%s>; %s\n",
                     st->helo[0] ? st->helo : st->name, st->name, st->addr, tls, var_myhostname,
                     var_mail_name, smtpd_proto(st), m->w.id, buf_str(&rcpt), date);
        buf_free(&rcpt);
    } else
        n = snprintf(hdr, sizeof(hdr),
                     "Received: from %s (%s [%s])\n%s\tby %s (%s) with %s id %s;\n\t%s\n",
                     st->helo[0] ? st->helo : st->name, st->name, st->addr, tls, var_myhostname,
                     var_mail_name, smtpd_proto(st), m->w.id, date);
    if (n < 0 || (size_t)n >= sizeof(hdr))
        n = 0;
    /* Ours, not the client's: not counted against the size limit (QFILE_MESSAGE_MAX has room). */
    qfile_content_write(&m->w, hdr, (size_t)n);
}

int smtpd_msg_open(struct smtpd_state *st, struct smtpd_msg *m)
{
    struct timeval now;
    const char *why;

    memset(m, 0, sizeof(*m));
    m->limit = smtpd_size_limit();
    gettimeofday(&now, NULL);
    if (qfile_create(&m->w, &now, &why) < 0) {
        msg_warn("create queue file in %s/%s: %s", var_queue_dir, QUEUE_INCOMING, why);
        smtpd_reply(st, "451 4.3.0 Error: queue file write error");
        return -1;
    }
    if (st->sasl_username)
        msg_info("%s: client=%s, sasl_method=%s, sasl_username=%s", m->w.id, smtpd_client(st),
                 st->sasl_method, st->sasl_username);
    else
        msg_info("%s: client=%s", m->w.id, smtpd_client(st));
    if (msg_write_envelope(st, m, &now) < 0) {
        qfile_abort(&m->w);
        smtpd_reply(st, "451 4.3.0 Error: virtual alias lookup failed; try again later");
        return -1;
    }
    qfile_content_begin(&m->w);
    msg_received(st, m, now.tv_sec);
    return 0;
}

static const char *msg_error_reply(enum smtpd_msg_error e)
{
    switch (e) {
    case SMTPD_MSG_TOO_BIG:
        return "552 5.3.4 Error: message file too big";
    case SMTPD_MSG_BARE_LF:
        return "550 5.5.2 Error: bare <LF> received";
    case SMTPD_MSG_BARE_CR:
        return "550 5.5.2 Error: bare <CR> received";
    case SMTPD_MSG_OK:
        break;
    }
    return "451 4.3.0 Error: internal error";
}

void smtpd_msg_lost(struct smtpd_state *st, struct smtpd_msg *m, bool writing)
{
    qfile_abort(&m->w);
    st->lost = true;
    st->lost_writing = writing;
    st->lost_in_data = true;
    st->data_bytes = m->size;
    st->failed[st->verb]++; /* "data=0/1", as Postfix counts a DATA that never ended */
}

/* Refuse the message at its end; the session goes on. */
static void msg_refuse(struct smtpd_state *st, struct smtpd_msg *m)
{
    struct buf from;

    qfile_abort(&m->w);
    buf_init(&from, 2 * MAIL_ADDR_TEXT_MAX + 8);
    mail_addr_quote_internal(st->sender, &from);
    msg_info("%s: reject: %s from %s: %s; from=<%s> proto=%s helo=<%s>", m->w.id,
             st->verb == SMTP_VERB_BDAT ? "BDAT" : "DATA", smtpd_client(st),
             msg_error_reply(m->error), buf_str(&from), smtpd_proto(st), st->helo);
    buf_free(&from);
    smtpd_reply(st, "%s", msg_error_reply(m->error));
}

/* Make the file durable and say so, or say why not. */
static void msg_commit(struct smtpd_state *st, struct smtpd_msg *m)
{
    qfile_content_end(&m->w);
    if (qfile_commit(&m->w, smtpd_incoming_fd) < 0) {
        int err = errno;

        msg_warn("%s: queue file write error: %s", m->w.id, strerror(err));
        if (err == ENOSPC || err == EDQUOT)
            smtpd_reply(st, "452 4.3.1 Insufficient system storage");
        else
            smtpd_reply(st, "451 4.3.0 Error: queue file write error");
        return;
    }
    smtpd_reply(st, "250 2.0.0 Ok: queued as %s", m->w.id);
    /* The client hears first; a lost notification costs qmgr's next scan. */
    if (stream_flush(st->client) == 0)
        CRASH_POINT(SMTPD_REPLIED);
    qmgr_notify_queued(m->w.id);
}

void smtpd_msg_finish(struct smtpd_state *st, struct smtpd_msg *m)
{
    if (m->error != SMTPD_MSG_OK)
        msg_refuse(st, m);
    else
        msg_commit(st, m);
}
