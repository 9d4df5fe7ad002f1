/*
 * smtpd.c - the SMTP server: start-up and the session loop.
 *
 * Replies are buffered and sent when the client has no more pipelined
 * commands waiting (RFC 2920): a client that sends MAIL, RCPT, RCPT, DATA
 * in one packet gets its four replies in one packet.  What RFC 2920 does not
 * allow - input before the greeting, more input after a command that must
 * end a group (EHLO, DATA, QUIT...), any pipelining before EHLO - is refused
 * as Postfix 3.9 does by default (smtpd_forbid_unauth_pipelining = yes):
 * "554 5.5.0 Error: SMTP protocol synchronization", and the session ends.
 * A client that sends its message before the 354 cannot know whether its
 * recipients were accepted, and a server that reads on regardless is the
 * easiest target for command and content smuggling.
 *
 * Every wait for the client is bounded by smtpd_timeout, the whole session
 * by smtpd_session_time_limit, every line by line_length_limit.  When time
 * runs out the client hears "421 4.4.2 <myhostname> Error: timeout exceeded"
 * (unless it is the side that stopped reading).
 *
 * Replies of any length are wrapped by smtp_cmd_format_reply(); text from
 * outside (policy servers, milters, AUTH) can never make a reply that
 * breaks the protocol or this process.
 */
#include "sys_defs.h"
#include "smtpd.h"
#include "smtpd_sasl.h"
#include "smtpd_msg.h"
#include "server.h"
#include "mail_params.h"
#include "dns.h"
#include "mynetworks.h"
#include "qfile.h"
#include "resolve.h"
#include "mymalloc.h"
#include "msg.h"
#include "sock.h"
#include "strutil.h"
#include "stream_tls.h"

static void smtpd_vreply(struct smtpd_state *st, bool count, const char *fmt, va_list ap)
    PRINTFLIKE(3, 0);

const char *smtpd_client(const struct smtpd_state *st)
{
    return st->client_text;
}

/*
 * Postfix's names (RFC 3848, RFC 6531): SMTP or ESMTP, UTF8SMTP with
 * SMTPUTF8, then S inside TLS and A after AUTH.
 */
const char *smtpd_proto(const struct smtpd_state *st)
{
    static char proto[16];

    snprintf(proto, sizeof(proto), "%s%s%s",
             !st->esmtp          ? "SMTP"
             : st->mail.smtputf8 ? "UTF8SMTP"
                                 : "ESMTP",
             st->tls_active ? "S" : "", st->esmtp && st->sasl_username ? "A" : "");
    return proto;
}

long long smtpd_size_limit(void)
{
    if (var_message_size_limit > 0 && var_message_size_limit < QFILE_MESSAGE_MAX)
        return var_message_size_limit;
    return QFILE_MESSAGE_MAX;
}

/* Slow down clients that keep making errors (Postfix's tarpit). */
static void smtpd_tarpit(struct smtpd_state *st)
{
    if (st->errors > var_smtpd_soft_error_limit && var_smtpd_error_sleep_time > 0) {
        (void)stream_flush(st->client);
        sleep((unsigned)var_smtpd_error_sleep_time);
    }
}

/*
 * Queue the wire form of one reply.  An error reply counts once against the
 * command being answered, however many lines it was wrapped into.
 */
static void smtpd_send(struct smtpd_state *st, const char *text, size_t len, bool count)
{
    static const char internal[] = "451 4.3.0 Error: internal error";
    struct buf wire;

    buf_init(&wire, SMTP_REPLY_WIRE_MAX);
    if (smtp_cmd_format_reply(text, len, &wire) < 0) {
        msg_warn("smtpd: not an SMTP reply: \"%.100s\"", text);
        text = internal;
        (void)smtp_cmd_format_reply(internal, sizeof(internal) - 1, &wire);
    }
    if (count && (text[0] == '4' || text[0] == '5')) {
        st->errors++;
        st->failed[st->verb]++;
        smtpd_tarpit(st);
    }
    (void)stream_write(st->client, wire.data, wire.len);
    buf_free(&wire);
}

static void smtpd_vreply(struct smtpd_state *st, bool count, const char *fmt, va_list ap)
{
    char text[SMTP_REPLY_TEXT_MAX + 1];
    int n = vsnprintf(text, sizeof(text), fmt, ap);

    if (n < 0)
        n = snprintf(text, sizeof(text), "451 4.3.0 Error: internal error");
    /* vsnprintf() cut longer text at SMTP_REPLY_TEXT_MAX, as the formatter would. */
    smtpd_send(st, text, (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1, count);
}

void smtpd_reply(struct smtpd_state *st, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    smtpd_vreply(st, true, fmt, ap);
    va_end(ap);
}

/*
 * A reply on the server's own initiative, not an answer to a command (421
 * timeout, 421 too many errors, 554 before the greeting): as in Postfix it
 * counts against no command in the "disconnect from" line.
 */
void smtpd_reply_session(struct smtpd_state *st, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    smtpd_vreply(st, false, fmt, ap);
    va_end(ap);
}

void smtpd_reset(struct smtpd_state *st)
{
    size_t i;

    smtpd_bdat_reset(st);
    for (i = 0; i < st->nrcpts; i++) {
        free(st->rcpts[i].address);
        free(st->rcpts[i].key);
    }
    st->nrcpts = 0;
    st->rcpt_rejects = 0;
    st->have_mail = false;
    st->sender[0] = 0;
    memset(&st->mail, 0, sizeof(st->mail));
}

/* Find the client's verified name: PTR, then forward-confirm, as Postfix. */
static void smtpd_peer_name(struct smtpd_state *st)
{
    char name[SMTPD_NAME_MAX + 1];

    str_copy(st->name, "unknown", sizeof(st->name));
    if (!var_smtpd_peername_lookup || strcmp(st->addr, "local") == 0)
        return;
    if (dns_ptr(st->addr, name, sizeof(name)) != DNS_OK)
        return;
    if (dns_name_has_addr(name, st->addr) == DNS_OK)
        str_copy(st->name, name, sizeof(st->name));
}

static void smtpd_log_disconnect(struct smtpd_state *st)
{
    static const char *const names[] = {
        [SMTP_VERB_UNKNOWN] = "unknown", [SMTP_VERB_HELO] = "helo",
        [SMTP_VERB_EHLO] = "ehlo",       [SMTP_VERB_MAIL] = "mail",
        [SMTP_VERB_RCPT] = "rcpt",       [SMTP_VERB_DATA] = "data",
        [SMTP_VERB_BDAT] = "bdat",       [SMTP_VERB_RSET] = "rset",
        [SMTP_VERB_NOOP] = "noop",       [SMTP_VERB_QUIT] = "quit",
        [SMTP_VERB_VRFY] = "vrfy",       [SMTP_VERB_EXPN] = "expn",
        [SMTP_VERB_HELP] = "help",       [SMTP_VERB_STARTTLS] = "starttls",
        [SMTP_VERB_AUTH] = "auth",
    };
    struct buf text;
    int v, total = 0, total_failed = 0;

    buf_init(&text, 1024);
    for (v = SMTP_VERB_HELO; v <= SMTP_VERB_AUTH; v++) {
        if (st->count[v] == 0)
            continue;
        total += st->count[v];
        total_failed += st->failed[v];
        if (st->failed[v])
            buf_printf(&text, " %s=%d/%d", names[v], st->count[v] - st->failed[v], st->count[v]);
        else
            buf_printf(&text, " %s=%d", names[v], st->count[v]);
    }
    if (st->count[SMTP_VERB_UNKNOWN]) {
        total += st->count[SMTP_VERB_UNKNOWN];
        total_failed += st->count[SMTP_VERB_UNKNOWN];
        buf_printf(&text, " unknown=0/%d", st->count[SMTP_VERB_UNKNOWN]);
    }
    if (total_failed)
        buf_printf(&text, " commands=%d/%d", total - total_failed, total);
    else
        buf_printf(&text, " commands=%d", total);
    msg_info("disconnect from %s%s", smtpd_client(st), buf_str(&text));
    buf_free(&text);
}

/* Report why the session ends early, and say goodbye if the client can still hear it. */
static void smtpd_lost(struct smtpd_state *st)
{
    struct stream *s = st->client;
    bool timeout = (s->flags & STREAM_F_TIMEOUT) != 0;
    const char *why = timeout ? "timeout" : "lost connection";

    /* What OpenSSL said, once, as Postfix words it. */
    if (stream_tls_error(s) != NULL)
        msg_warn("TLS library problem: %s", stream_tls_error(s));
    if (st->lost_in_data)
        msg_info("%s after %s (%lld bytes) from %s", why, st->last_cmd, st->data_bytes,
                 smtpd_client(st));
    else
        msg_info("%s after %s from %s", why, st->last_cmd, smtpd_client(st));
    /* A client that stopped reading our replies would not read this one either. */
    if (!timeout || st->lost_writing)
        return;
    /* The spent limits would fail the goodbye at once: it gets one smtpd_timeout. */
    s->flags &= ~(unsigned)(STREAM_F_TIMEOUT | STREAM_F_DEADLINE);
    stream_set_deadline(s, 0);
    smtpd_reply_session(st, "421 4.4.2 %s Error: timeout exceeded", var_myhostname);
    (void)stream_flush(s);
}

/* smtpd_per_record_deadline as configured, and as it is under stress. */
static bool smtpd_record_always, smtpd_record_stressed;

int smtpd_get_line(struct smtpd_state *st, size_t max, int *term_r)
{
    int r;

    /*
     * Under stress, a per-read timeout lets a client that sends a byte
     * every few seconds hold a process for as long as it likes; bounding
     * the whole line gives the slot back within smtpd_timeout.
     */
    if (smtpd_record_always || smtpd_record_stressed)
        stream_record_begin(st->client, smtpd_record_always);
    r = stream_get_line(st->client, &st->line, max, term_r);
    stream_record_end(st->client);
    return r;
}

/* Read one command line; 1: got one, 0: over-long (already answered), -1: gone. */
static int smtpd_read_command(struct smtpd_state *st)
{
    size_t max = (size_t)var_line_length_limit;
    int r;

    if ((r = smtpd_get_line(st, max, &st->term)) != 0)
        return r;
    /* Discard the rest of an over-long line, then say so. */
    while ((r = smtpd_get_line(st, max, &st->term)) == 0)
        ;
    if (r < 0)
        return -1;
    st->verb = SMTP_VERB_UNKNOWN;
    st->count[SMTP_VERB_UNKNOWN]++;
    smtpd_reply(st, "500 5.5.2 Error: line too long");
    return 0;
}

/* Up to 100 octets of client input for a log line, in C escapes as Postfix logs them. */
static void smtpd_escape(struct buf *out, const unsigned char *p, size_t len)
{
    size_t i;
    int ret = 0;

    for (i = 0; i < len && i < 100; i++) {
        unsigned char c = p[i];

        if (c == '\r')
            ret |= buf_puts(out, "\\r");
        else if (c == '\n')
            ret |= buf_puts(out, "\\n");
        else if (c == '\t')
            ret |= buf_puts(out, "\\t");
        else if (c == '\\')
            ret |= buf_puts(out, "\\\\");
        else if (c < 32 || c >= 127)
            ret |= buf_printf(out, "\\%03o", c);
        else
            ret |= buf_putc(out, c);
    }
    (void)ret; /* the buffer is sized for 100 escaped octets */
}

/*
 * RFC 2920 synchronization after the command "after" ("CONNECT": before the
 * greeting): the client may not have sent anything more yet.  Improper
 * pipelining is logged once per session, with what was sent, as Postfix
 * does; with smtpd_forbid_unauth_pipelining the session then ends with 554.
 * Returns false when it does.
 */
static bool smtpd_sync_ok(struct smtpd_state *st, const char *after, bool counted)
{
    static const char sync_error[] = "554 5.5.0 Error: SMTP protocol synchronization";
    const unsigned char *p;
    struct buf text;
    size_t len;

    if (!stream_input_waiting(st->client))
        return true;
    if (!st->ill_pipelining) {
        st->ill_pipelining = true;
        len = stream_peek(st->client, &p);
        buf_init(&text, 4 * 100 + 1);
        smtpd_escape(&text, p, len);
        msg_info("improper command pipelining after %s from %s: %s", after, smtpd_client(st),
                 buf_str(&text));
        buf_free(&text);
    }
    if (!var_smtpd_forbid_unauth_pipelining)
        return true;
    if (counted)
        smtpd_reply(st, "%s", sync_error);
    else
        smtpd_reply_session(st, "%s", sync_error);
    st->quit = true;
    return false;
}

/*
 * A command line that ended in a bare LF, with smtpd_forbid_bare_newline =
 * reject.  Postfix 3.9 replies and disconnects: once client and server
 * disagree on where a line ends, what the client sends next cannot be
 * trusted to be the command it believes it sent (the DATA phase, which knows
 * where its content ends, refuses the message and goes on: smtpd_data.c).
 */
static void smtpd_bare_lf(struct smtpd_state *st, const struct smtp_cmd *cmd)
{
    static const char reply[] = "550 5.5.2 Error: bare <LF> received";

    msg_info("NOQUEUE: reject: %s from %s: %s; proto=%s helo=<%s>",
             cmd->verb == SMTP_VERB_UNKNOWN ? "UNKNOWN" : cmd->name, smtpd_client(st), reply,
             st->esmtp ? "ESMTP" : "SMTP", st->helo);
    smtpd_reply(st, "%s", reply);
    st->quit = true;
}

/* Act on the command line in st->line. */
static void smtpd_dispatch(struct smtpd_state *st)
{
    struct smtp_cmd cmd;
    const char *reply;
    int parsed = smtp_cmd_parse(st->line.data, st->line.len, &cmd, &reply);

    st->verb = cmd.verb;
    st->count[cmd.verb]++;
    if (st->term == STREAM_TERM_LF && smtpd_bare_newline_reject(st)) {
        smtpd_bare_lf(st, &cmd);
        return;
    }
    if (parsed < 0) {
        smtpd_reply(st, "%s", reply);
        return;
    }
    st->last_cmd = cmd.name;
    /* Before EHLO the client has not seen PIPELINING: then every command ends a group. */
    if ((!st->esmtp || smtpd_cmd_ends_group(cmd.verb)) && !smtpd_sync_ok(st, cmd.name, true))
        return;
    smtpd_command(st, &cmd);
}

/* One turn of the session: send what is due, read a command, act on it. */
static int smtpd_stress_timeout_ms;
static long long smtpd_stress_hard_error_limit;

static void smtpd_turn(struct smtpd_state *st)
{
    int r;

    server_watchdog_pat();
    if (stream_pending(st->client) == 0 && stream_flush(st->client) < 0) {
        st->lost = st->lost_writing = true;
        return;
    }
    if ((r = smtpd_read_command(st)) < 0) {
        st->lost = true;
        return;
    }
    if (r > 0)
        smtpd_dispatch(st);
    if (!st->quit && !st->lost &&
        st->errors >=
            (server_stressed() ? smtpd_stress_hard_error_limit : var_smtpd_hard_error_limit)) {
        msg_info("too many errors after %s from %s", st->last_cmd, smtpd_client(st));
        smtpd_reply_session(st, "421 4.7.0 %s Error: too many errors", var_myhostname);
        st->quit = true;
    }
}

static void smtpd_session_init(struct smtpd_state *st, struct stream *client)
{
    memset(st, 0, sizeof(*st));
    st->client = client;
    st->last_cmd = "CONNECT";
    stream_set_timeout(client, (int)(var_smtpd_timeout * 1000));
    stream_set_stress(client, server_stress_flag(), smtpd_stress_timeout_ms);
    stream_set_deadline(client, stream_now_ms() + var_smtpd_session_time_limit * 1000);
    buf_init(&st->line, (size_t)var_line_length_limit + 2);
    server_peer(client->fd, st->addr, sizeof(st->addr), &st->port);
    sock_nodelay(client->fd);
    smtpd_peer_name(st);
    snprintf(st->client_text, sizeof(st->client_text), "%s[%s]", st->name, st->addr);
    st->trusted = mynetworks_match(st->addr);
}

static void smtpd_session(struct stream *client)
{
    struct smtpd_state st;

    smtpd_session_init(&st, client);
    msg_info("connect from %s", smtpd_client(&st));
    if (smtpd_tls_wrapper(&st) && smtpd_limit_connect(&st) && smtpd_sync_ok(&st, "CONNECT", false))
        smtpd_banner(&st);
    while (!st.quit && !st.lost)
        smtpd_turn(&st);
    if (st.lost)
        smtpd_lost(&st);
    if (!st.lost_writing)
        (void)stream_flush(client);
    smtpd_limit_disconnect(&st);
    stream_tls_close(client);
    smtpd_log_disconnect(&st);
    smtpd_reset(&st);
    free(st.rcpts);
    buf_free(&st.line);
    stream_close(client);
}

static void smtpd_pre_jail(void)
{
    const char *why;
    char *err;

    if (dns_init(var_dns_resolver_conf, &why) < 0)
        msg_fatal("dns_resolver_conf %s: %s",
                  *var_dns_resolver_conf ? var_dns_resolver_conf : "(system)", why);
    if (mynetworks_init(&err) < 0 || resolve_init(&err) < 0)
        msg_fatal("%s", err);
    smtpd_check_init();
    smtpd_tls_init();
    smtpd_sasl_init();
}

/*
 * What smtpd_timeout and smtpd_hard_error_limit become if master says we
 * are under stress while we run (server.h): the same expansion with
 * stress=yes, so an administrator's ${stress?...} settings apply too.
 */
static void smtpd_stress_init(void)
{
    long long v;

    smtpd_stress_timeout_ms = mail_param_stress_value("smtpd_timeout", &v) == 0
                                  ? (int)(v * 1000)
                                  : (int)(var_smtpd_timeout * 1000);
    smtpd_stress_hard_error_limit =
        mail_param_stress_value("smtpd_hard_error_limit", &v) == 0 ? v : var_smtpd_hard_error_limit;
    smtpd_record_always = var_smtpd_per_record_deadline;
    smtpd_record_stressed =
        mail_param_stress_value("smtpd_per_record_deadline", &v) == 0 ? v != 0 : false;
}

static void smtpd_post_init(void)
{
    smtpd_data_init();
    smtpd_stress_init();
    smtpd_limit_init();
}

int main(int argc, char **argv)
{
    static const struct server_opts opts = {
        .pre_jail = smtpd_pre_jail,
        .post_init = smtpd_post_init,
    };

    single_server_main(argc, argv, "smtpd", smtpd_session, &opts);
}
