/*
 * smtp_cache.c - a session kept open for the next message to the same
 * destination (see smtp.h), as Postfix's connection cache does for a
 * destination with mail waiting: qmgr keeps its connection to an smtp
 * process and hands it the next message, so one slot per process is what
 * a burst of mail to one place needs.
 *
 * A session is kept only when it is in step (its last transaction got its
 * final reply; nothing lost or timed out), that reply took the message (a
 * server that deferred or refused it may be overloaded: the next message
 * starts afresh, perhaps at another MX), and it is not older than
 * smtp_connection_reuse_time_limit; it is used again only within
 * smtp_connection_cache_time_limit of the last use, after an RSET that
 * the server answers with 2xx (proof that it is still there and in step),
 * with the same TLS it had.  Otherwise it gets its QUIT and is closed:
 * when a request for another destination comes, when it is too old, and
 * when the process exits.
 */
#include "sys_defs.h"
#include "smtp.h"
#include "mail_params.h"
#include "msg.h"
#include "strutil.h"

static struct smtp_session smtp_cached;
static bool smtp_cached_on;
static char smtp_cached_dest[SMTP_HOST_MAX + 1];
static int64_t smtp_cached_born_ms, smtp_cached_used_ms;

bool smtp_cache_wanted(const struct smtp_session *sess)
{
    /* Only a server that just took a message: one that refused or deferred may be unwell. */
    return var_smtp_connection_cache_on_demand && sess->s && sess->took &&
           !(sess->s->flags & (STREAM_F_EOF | STREAM_F_ERROR | STREAM_F_TIMEOUT));
}

void smtp_cache_close(void)
{
    if (!smtp_cached_on)
        return;
    smtp_cached_on = false;
    smtp_quit(&smtp_cached);
    stream_close(smtp_cached.s);
    smtp_cached.s = NULL;
}

void smtp_cache_put(struct smtp_dest *d, struct smtp_session *sess)
{
    int64_t now = stream_now_ms();
    bool same = smtp_cached_on && smtp_cached.s == sess->s;

    if (!same) {
        smtp_cache_close();
        smtp_cached_born_ms = now;
    }
    if (now - smtp_cached_born_ms >= var_smtp_connection_reuse_time_limit * 1000) {
        smtp_quit(sess);
        stream_close(sess->s);
        smtp_cached_on = false;
        return;
    }
    smtp_cached = *sess;
    smtp_cached.keep = false;
    smtp_cached_on = true;
    smtp_cached_used_ms = now;
    str_copy(smtp_cached_dest, d->domain, sizeof(smtp_cached_dest));
}

/* Is the kept session one for d, recent enough, and answering? */
static bool smtp_cache_usable(const struct smtp_dest *d)
{
    struct smtp_reply r;
    char why[SMTP_REASON_MAX];

    if (!smtp_cached_on)
        return false;
    if (strcmp(smtp_cached_dest, d->domain) != 0 ||
        stream_now_ms() - smtp_cached_used_ms >= var_smtp_connection_cache_time_limit * 1000 ||
        (smtp_tls_policy(d) >= SMTP_TLS_ENCRYPT && !smtp_cached.tls)) {
        smtp_cache_close();
        return false;
    }
    if (smtp_send(&smtp_cached, "RSET", var_smtp_rset_timeout) < 0 ||
        smtp_flush(&smtp_cached) < 0 ||
        smtp_get(&smtp_cached, &r, var_smtp_rset_timeout, "sending RSET", why, sizeof(why)) < 0 ||
        r.code / 100 != 2) {
        smtp_cached_on = false;
        stream_close(smtp_cached.s);
        smtp_cached.s = NULL;
        return false;
    }
    return true;
}

bool smtp_cache_run(struct smtp_dest *d)
{
    struct smtp_session sess;
    enum smtp_next next;

    if (!smtp_cache_usable(d))
        return false;
    sess = smtp_cached;
    smtp_cached_on = false; /* ours while in use; put back if it stays in step */
    d->sessions++;
    d->xfer_ms = stream_now_ms();
    next = smtp_transaction(d, &sess);
    if (next == SMTP_NEXT_DONE && !sess.abandon && smtp_cache_wanted(&sess)) {
        smtp_cached_on = true; /* as put back: the same stream, its birth kept */
        smtp_cache_put(d, &sess);
    } else {
        if (next == SMTP_NEXT_DONE && !sess.abandon)
            smtp_quit(&sess);
        stream_close(sess.s);
    }
    /* Recipients still open after a failure on the kept session try afresh. */
    return next == SMTP_NEXT_DONE;
}
