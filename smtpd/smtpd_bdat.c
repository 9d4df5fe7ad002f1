/*
 * smtpd_bdat.c - BDAT (RFC 3030 CHUNKING): a message in counted chunks.
 *
 * "BDAT size [LAST]" is followed by exactly size octets of raw content.
 * Whatever the reply, those octets are read (or skipped) before the next
 * command, so client and server never disagree on where a command starts:
 * a BDAT without MAIL or RCPT, a chunk over the size limit and a chunk of
 * a failed transaction all have their octets consumed.  The one exception
 * is a BDAT whose size cannot be parsed: there is no telling where its
 * content ends, so the reply is 501 and the session ends (what followed
 * would be read as commands, the smuggling that CHUNKING must not bring).
 *
 * The first chunk of a transaction runs the DATA restrictions and opens
 * the queue file through smtpd_msg.c, the writer DATA uses too; each chunk
 * is converted to LF line ends (smtp_chunk.h says why bare CR and LF are
 * handled as they are) and stored; LAST commits the file durably there
 * and only then says 250.  A chunk that would take the message past
 * smtpd_size_limit() is refused at once with 552, its octets skipped, and
 * the transaction ends, as RFC 3030 says a failed BDAT does: later chunks
 * get 503.  Every read is bounded by smtpd_timeout and the session limit.
 */
#include "sys_defs.h"
#include "smtpd_msg.h"
#include "smtp_chunk.h"
#include "mail_params.h"
#include "server.h"
#include "mymalloc.h"
#include "msg.h"

#define BDAT_PIECE 16384 /* octets read and converted at a time */

struct smtpd_bdat {
    struct smtpd_msg m;
    struct smtp_chunk_conv conv;
    long long raw;    /* the client's octets so far, as counted by BDAT */
    bool reject_bare; /* smtpd_forbid_bare_newline = reject for this client */
};

void smtpd_bdat_reset(struct smtpd_state *st)
{
    if (st->bdat == NULL)
        return;
    qfile_abort(&st->bdat->m.w);
    free(st->bdat);
    st->bdat = NULL;
}

/* Read size octets into the message (b) or, with b NULL, into nothing. -1: client gone. */
static int bdat_read(struct smtpd_state *st, struct smtpd_bdat *b, long long size)
{
    unsigned char in[BDAT_PIECE], out[BDAT_PIECE + 1];

    while (size > 0) {
        size_t n = size > BDAT_PIECE ? BDAT_PIECE : (size_t)size;
        const unsigned char *peek;
        size_t avail = stream_peek(st->client, &peek);

        /*
         * Take what has arrived (or wait for one octet), so that what a
         * client sent before it stopped is stored and counted in the log.
         */
        if (avail < n)
            n = avail > 0 ? avail : 1;

        server_watchdog_pat(); /* a long transfer is progress, not a hang */
        if (stream_read_exact(st->client, in, n) < 0)
            return -1;
        size -= (long long)n;
        if (b != NULL)
            smtpd_msg_store(&b->m, out, smtp_chunk_convert(&b->conv, in, n, out), false);
    }
    return 0;
}

/* Skip a chunk that is refused; false (and the session ends) when the client went away. */
static bool bdat_skip(struct smtpd_state *st, long long size)
{
    if (bdat_read(st, NULL, size) == 0)
        return true;
    st->lost = true;
    st->lost_in_data = true;
    st->data_bytes = 0;
    return false;
}

/* Refuse a chunk whose transaction cannot go on: skip its octets, then reply. */
static void bdat_refuse(struct smtpd_state *st, long long size, const char *reply)
{
    if (bdat_skip(st, size))
        smtpd_reply(st, "%s", reply);
}

/* The first chunk of a transaction: checks, then the queue file.  false: refused. */
static bool bdat_start(struct smtpd_state *st, long long size)
{
    if (!st->have_mail) {
        bdat_refuse(st, size, "503 5.5.1 Error: need MAIL command");
        return false;
    }
    if (st->nrcpts == 0) {
        bdat_refuse(st, size,
                    st->rcpt_rejects > 0 ? "554 5.5.1 Error: no valid recipients"
                                         : "503 5.5.1 Error: need RCPT command");
        return false;
    }
    if (!smtpd_check_data(st)) { /* replied already; the octets still go */
        (void)bdat_skip(st, size);
        return false;
    }
    st->bdat = xcalloc(1, sizeof(*st->bdat));
    st->bdat->reject_bare = smtpd_bare_newline_reject(st);
    if (smtpd_msg_open(st, &st->bdat->m) < 0) { /* replied 451 */
        free(st->bdat);
        st->bdat = NULL;
        (void)bdat_skip(st, size);
        return false;
    }
    return true;
}

/* The LAST chunk is in: refuse or commit, and the transaction is over. */
static void bdat_end(struct smtpd_state *st)
{
    struct smtpd_bdat *b = st->bdat;
    unsigned char cr[1];

    smtpd_msg_store(&b->m, cr, smtp_chunk_finish(&b->conv, cr), false);
    if (b->conv.bare_cr && b->reject_bare)
        smtpd_msg_error(&b->m, SMTPD_MSG_BARE_CR);
    smtpd_msg_finish(st, &b->m);
    free(b);
    st->bdat = NULL;
    smtpd_reset(st);
}

void smtpd_bdat(struct smtpd_state *st, const struct smtp_cmd *cmd)
{
    long long size;
    bool last;

    if (smtp_chunk_parse(cmd->arg, &size, &last) < 0) {
        smtpd_reply(st, "501 5.5.4 Syntax: BDAT count [LAST]");
        st->quit = true; /* where its content ends is unknown: see above */
        return;
    }
    if (st->bdat == NULL && !bdat_start(st, size))
        return;
    if (size > smtpd_size_limit() - st->bdat->raw) {
        msg_info("%s: reject: BDAT from %s: 552 5.3.4 Message size exceeds fixed limit",
                 st->bdat->m.w.id, smtpd_client(st));
        smtpd_reset(st); /* drops the file: nothing of it is queued */
        bdat_refuse(st, size, "552 5.3.4 Message size exceeds fixed limit");
        return;
    }
    st->bdat->raw += size;
    if (bdat_read(st, st->bdat, size) < 0) {
        smtpd_msg_lost(st, &st->bdat->m, false);
        smtpd_reset(st);
        return;
    }
    if (last)
        bdat_end(st);
    else
        smtpd_reply(st, "250 2.0.0 Ok: %lld bytes", size);
}
