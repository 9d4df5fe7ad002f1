/*
 * smtpd_msg.h - one message on its way into the queue, shared by the two
 * ways content arrives: DATA (smtpd_data.c, dot-stuffed lines) and BDAT
 * (smtpd_bdat.c, counted chunks).  Both go through the same queue-file
 * writer, the same Received: header and the same durable commit, so
 * that there is one place where "250 ... queued as" can be said.
 */
#ifndef POSTERN_SMTPD_MSG_H
#define POSTERN_SMTPD_MSG_H

#include "smtpd.h"
#include "qfile.h"

/* Why a message is refused at its end; the first problem found wins. */
enum smtpd_msg_error {
    SMTPD_MSG_OK,
    SMTPD_MSG_TOO_BIG,
    SMTPD_MSG_BARE_LF,
    SMTPD_MSG_BARE_CR,
};

struct smtpd_msg {
    struct qfile_writer w;
    enum smtpd_msg_error error;
    long long size;                          /* the client's content octets as stored */
    long long limit;                         /* smtpd_size_limit() */
    const struct smtp_rcpt_params *rcpt_dsn; /* of the recipient being expanded */
};

/*
 * Create the queue file and write the envelope and our Received: header.
 * -1 when that failed: the client has its 451 and nothing is left behind.
 */
int smtpd_msg_open(struct smtpd_state *st, struct smtpd_msg *m);
/* Store len content octets, and an LF if eol; over the size limit the file is dropped at once. */
void smtpd_msg_store(struct smtpd_msg *m, const void *p, size_t len, bool eol);
/* Note why the message will be refused (the first reason wins). */
void smtpd_msg_error(struct smtpd_msg *m, enum smtpd_msg_error e);
/* At the end: refuse the message (logged, replied) or commit it and say 250. */
void smtpd_msg_finish(struct smtpd_state *st, struct smtpd_msg *m);
/* The client went away mid-message: smtpd_lost() says so and ends the session. */
void smtpd_msg_lost(struct smtpd_state *st, struct smtpd_msg *m, bool writing);
/*
 * Does smtpd_forbid_bare_newline = reject apply to this client?  Not to
 * one in smtpd_forbid_bare_newline_exclusions (default $mynetworks), as in
 * Postfix: local programs that write bare LF are common and trusted.
 */
bool smtpd_bare_newline_reject(const struct smtpd_state *st);

#endif
