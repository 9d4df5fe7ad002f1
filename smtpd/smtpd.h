/*
 * smtpd.h - the SMTP server's session state, shared by its parts:
 *
 *   smtpd.c        start-up and the session loop (read, dispatch, reply),
 *                  RFC 2920 synchronization, timeouts and the session counters
 *   smtpd_cmds.c   the command handlers and the command-order rules
 *   smtpd_check.c  policy: the restriction lists (restrict_eval.h) and
 *                  unknown recipients
 *   smtpd_data.c   DATA: content framing and the smuggling defence
 *   smtpd_msg.c    the queue file of one message, for DATA and BDAT alike
 *   smtpd_bdat.c   BDAT (RFC 3030 CHUNKING): chunks into the same queue file writer
 *   smtpd_tls.c    STARTTLS, wrapper mode, smtpd_tls_security_level
 *   smtpd_sasl.c   AUTH (RFC 4954), checked by the auth service; send-as
 *   smtpd_limit.c  per-client connection, message and recipient limits (anvil)
 *
 * One process serves one session at a time; everything a session learns is
 * in struct smtpd_state and is reset between transactions by smtpd_reset().
 */
#ifndef POSTERN_SMTPD_H
#define POSTERN_SMTPD_H

#include "sys_defs.h"
#include "buf.h"
#include "stream.h"
#include "mail_addr.h"
#include "smtp_cmd.h"
#include "tls_server.h"
#include "smtp_esmtp.h"

#define SMTPD_NAME_MAX 255

struct smtpd_rcpt {
    char *address;               /* internal form */
    char *key;                   /* what makes two recipients one delivery (smtpd_cmds.c) */
    struct smtp_rcpt_params dsn; /* NOTIFY and ORCPT */
};

struct smtpd_state {
    struct stream *client;
    char addr[64]; /* numeric client address */
    int port;
    char name[SMTPD_NAME_MAX + 1];         /* verified client host name, or "unknown" */
    char client_text[SMTPD_NAME_MAX + 80]; /* "name[addr]" for logging */
    char helo[SMTPD_NAME_MAX + 1];         /* HELO/EHLO argument, empty before */
    bool esmtp;
    bool trusted;         /* client in mynetworks */
    bool anvil_counted;   /* anvil counts this connection (smtpd_limit.c) */
    const char *last_cmd; /* for "lost connection after X" */
    int errors;           /* 4xx/5xx replies so far */
    bool quit;            /* end the session after this reply */
    int term;             /* how the current line ended, STREAM_TERM_* */
    bool ill_pipelining;  /* improper pipelining seen (and logged) already */

    /* SMTP AUTH (smtpd_sasl.c); kept across transactions and EHLO */
    const char *sasl_username;               /* the login, NULL until AUTH succeeds */
    const char *sasl_method;                 /* its mechanism: "PLAIN", "LOGIN" */
    char sasl_login[MAIL_ADDR_TEXT_MAX + 1]; /* what sasl_username points to */
    int sasl_failures;                       /* failed AUTH commands so far */

    /* why the session ends early, for smtpd_lost() */
    bool lost;            /* the client went away, or a time limit passed */
    bool lost_writing;    /* ...while we were sending: no goodbye can get through */
    bool lost_in_data;    /* ...during DATA: log data_bytes too */
    long long data_bytes; /* content octets received before that */

    /* the current transaction */
    bool have_mail;
    char sender[MAIL_ADDR_TEXT_MAX + 1];
    struct smtpd_rcpt *rcpts;
    size_t nrcpts, rcpt_cap;
    size_t rcpt_rejects;
    struct smtp_mail_params mail; /* MAIL FROM's ESMTP parameters */
    struct smtpd_bdat *bdat;      /* a BDAT transfer in progress (smtpd_bdat.c), or NULL */

    /* per-command counters for the "disconnect from" line */
    enum smtp_verb verb; /* the command being answered */
    int count[SMTP_VERB_AUTH + 1];
    int failed[SMTP_VERB_AUTH + 1];

    struct buf line; /* the current input line */

    /* TLS: what AUTH and the Received: header need (smtpd_tls.c) */
    bool tls_active;     /* the session runs over TLS now */
    struct tls_info tls; /* protocol, cipher, bits, when tls_active */
};

/* smtpd.c */
/* Send a reply (of any length: long text is wrapped); 4xx/5xx count against st->verb. */
void smtpd_reply(struct smtpd_state *st, const char *fmt, ...) PRINTFLIKE(2, 3);
/* A reply on the server's own initiative (421 too many errors): counted against no command. */
void smtpd_reply_session(struct smtpd_state *st, const char *fmt, ...) PRINTFLIKE(2, 3);
void smtpd_reset(struct smtpd_state *st);
/* stream_get_line() into st->line, the whole line bounded as smtpd_per_record_deadline says. */
int smtpd_get_line(struct smtpd_state *st, size_t max, int *term_r);
const char *smtpd_client(const struct smtpd_state *st);
/* The protocol for Received: and the queue file: SMTP, ESMTP, ESMTPS (RFC 3848). */
const char *smtpd_proto(const struct smtpd_state *st);
/*
 * The largest message smtpd accepts: message_size_limit (0: unlimited), but
 * never more than a queue file can hold (QFILE_MESSAGE_MAX).  EHLO's SIZE,
 * MAIL FROM's SIZE= and the DATA phase all use this one number.
 */
long long smtpd_size_limit(void);

/* smtpd_cmds.c */
void smtpd_command(struct smtpd_state *st, struct smtp_cmd *cmd);
void smtpd_banner(struct smtpd_state *st);
/* Must this command be the last of a pipelined group (RFC 2920 3.1)? */
bool smtpd_cmd_ends_group(enum smtp_verb verb);

/* smtpd_check.c */
/* Open the tables the checks use (before the privilege drop); exits on error. */
void smtpd_check_init(void);
/* Decide on a recipient; false with the reply in reply (logged already). */
bool smtpd_check_rcpt(struct smtpd_state *st, const struct mail_addr *rcpt, char *reply,
                      size_t len);

/* The restrictions of HELO/EHLO, MAIL and DATA; false when refused (replied and logged). */
bool smtpd_check_helo(struct smtpd_state *st);
bool smtpd_check_mail(struct smtpd_state *st, const struct mail_addr *sender);
bool smtpd_check_data(struct smtpd_state *st);

/* smtpd_data.c */
void smtpd_data(struct smtpd_state *st);
/* smtpd_msg.c (the queue-file writer DATA and BDAT share): open incoming/, read its settings. */
void smtpd_data_init(void);

/* smtpd_tls.c */
/* Load certificates and keys (pre-jail, as root); TLS stays off if that fails. */
void smtpd_tls_init(void);
/* Should EHLO offer STARTTLS? */
bool smtpd_tls_offer(const struct smtpd_state *st);
/* With smtpd_tls_security_level = encrypt: refuse verb (530) before TLS; true if it did. */
bool smtpd_tls_refuse(struct smtpd_state *st, enum smtp_verb verb);
void smtpd_tls_starttls(struct smtpd_state *st, const struct smtp_cmd *cmd);
/* Wrapper mode: the handshake before the greeting; false: the session is over. */
bool smtpd_tls_wrapper(struct smtpd_state *st);
/* The Received: header's TLS lines into out (NUL-terminated); their length, 0 for none. */
int smtpd_tls_received(const struct smtpd_state *st, char *out, size_t len);
/* smtpd_limit.c: false when over a limit (replied and logged; a refused connect sets quit). */
void smtpd_limit_init(void);
bool smtpd_limit_connect(struct smtpd_state *st);
void smtpd_limit_disconnect(struct smtpd_state *st);
bool smtpd_limit_mail(struct smtpd_state *st);
bool smtpd_limit_rcpt(struct smtpd_state *st);
/* smtpd_bdat.c: the BDAT command; and forget a transfer in progress (smtpd_reset). */
void smtpd_bdat(struct smtpd_state *st, const struct smtp_cmd *cmd);
void smtpd_bdat_reset(struct smtpd_state *st);

#endif
