/*
 * smtp.h - the outbound SMTP client: takes the recipients that qmgr hands
 * it from the remote/ queue and delivers them to the servers of their
 * domains (or to relayhost), one request at a time per process, as many
 * processes as qmgr opens connections (Postfix's model).
 *
 *   smtp.c          the request: recipients grouped by destination, each
 *                   result marked in the queue file, synced, then replied
 *   smtp_connect.c  a destination to a list of servers (relayhost, MX,
 *                   implicit MX), tried in order until one takes the mail
 *   smtp_proto.c    one session with one server: replies read, commands
 *                   sent, what a reply means for the recipients
 *   smtp_helo.c     the greeting, EHLO (HELO), STARTTLS, the loop check
 *   smtp_tls.c      the TLS level of a destination (smtp_tls_policy_maps)
 *   smtp_sasl.c     AUTH PLAIN/LOGIN to a relay host (smtp_sasl_password_maps)
 *   smtp_trans.c    MAIL, RCPT, DATA (pipelined when offered)
 *   smtp_mime.c     8-bit content downgraded for a server without 8BITMIME
 *   smtp_cache.c    a session kept open for the next message to the same place
 *   smtp_body.c     the queue file's content on the wire: CRLF line ends,
 *                   dot-stuffed, no bare CR
 *
 * Every outcome of a recipient is decided, and logged, in one place:
 * smtp_rcpt_done().
 */
#ifndef POSTERN_SMTP_H
#define POSTERN_SMTP_H

#include "sys_defs.h"
#include "buf.h"
#include "deliver_agent.h"
#include "smtp_reply.h"
#include "stream.h"

#define SMTP_REASON_MAX 1024
#define SMTP_TEXT_MAX 600 /* a server's reply as it goes into a reason */
#define SMTP_HOST_MAX 255
#define SMTP_PEER_MAX (SMTP_HOST_MAX + 80) /* "host[address]:port" */

/* One recipient of the request, while its destination is tried. */
struct smtp_rcpt {
    const struct deliver_rcpt *req;
    const struct qrcpt *q; /* in the queue file */
    bool done;             /* the outcome is decided (and logged) */
    bool already;          /* found done in the queue file: nothing to mark */
    bool accepted;         /* the current session's RCPT got 2xx */
    enum deliver_status status;
    char dsn[8];
    char reason[SMTP_REASON_MAX];
};

/* One destination of the request: the recipients of one domain (or all, via relayhost). */
struct smtp_dest {
    const struct deliver_request *req;
    const struct qmsg *q;
    int fd; /* the queue file, for the content */
    char domain[SMTP_HOST_MAX + 1];
    struct smtp_rcpt **rcpts; /* into the request's array */
    size_t n;
    int64_t start_ms;                  /* when the request reached us (stream_now_ms()) */
    double start_wall;                 /* the same, in seconds since the epoch */
    int64_t xfer_ms;                   /* when the session was ready for MAIL */
    char last_reason[SMTP_REASON_MAX]; /* why the last server did not take the mail */
    char last_dsn[8];
    char last_relay[SMTP_PEER_MAX]; /* relay= for them: "none" if no server answered */
    long long sessions;             /* servers that greeted us */
    bool conv_done;                 /* smtp_mime.c looked at the content */
    bool converted;                 /* and conv holds the 7-bit copy to send */
    struct buf conv;
};

/* One connected server. */
struct smtp_session {
    struct stream *s;
    char host[SMTP_HOST_MAX + 1]; /* as found in DNS, or the literal */
    char addr[64];
    int port;
    char peer[SMTP_PEER_MAX]; /* "host[addr]:port", for log lines and relay= */
    struct smtp_ehlo ehlo;
    bool tls;
    bool abandon; /* hang up without QUIT: a transaction is open that must not complete */
    bool keep;    /* in step after a transaction: offered to the connection cache */
    bool took;    /* the last transaction ended in a 2xx for the message */
};

/* What a session says about trying the next server. */
enum smtp_next {
    SMTP_NEXT_DONE,      /* every recipient has an outcome */
    SMTP_NEXT_SERVER,    /* this server did not take the mail: try another */
    SMTP_NEXT_PLAINTEXT, /* STARTTLS failed at "may": this server again, without it */
};

/* smtp.c: decide one recipient's outcome and log it. */
void smtp_rcpt_done(struct smtp_dest *d, struct smtp_rcpt *r, const char *relay,
                    enum deliver_status status, const char *dsn, const char *reason);
/* Decide every recipient of d still open. */
void smtp_dest_fail(struct smtp_dest *d, const char *relay, enum deliver_status status,
                    const char *dsn, const char *reason);

/* smtp_connect.c: read smtp_bind_address(6); deliver to one destination, trying its servers. */
void smtp_connect_init(void);
void smtp_connect_dest(struct smtp_dest *d);

/* smtp_proto.c: one session on a connected stream; with tls_ok false, no STARTTLS. */
enum smtp_next smtp_session_run(struct smtp_dest *d, struct smtp_session *sess, bool tls_ok);
/* Read one reply within timeout_s; -1 with why (the connection failed while doing). */
int smtp_get(struct smtp_session *sess, struct smtp_reply *r, long long timeout_s,
             const char *doing, char *why, size_t len);
/* Queue one command line; smtp_flush() sends what is queued.  -1 on a failed write. */
int smtp_send(struct smtp_session *sess, const char *text, long long timeout_s);
int smtp_flush(struct smtp_session *sess);
/* The server as reasons name it: "host[addr]" (Postfix leaves the port out). */
const char *smtp_who(const struct smtp_session *sess, char *buf, size_t len);
/* Reasons: "lost connection with H while DOING" (or timed out), "host H said: R (in reply to C
 * command)". */
void smtp_lost(const struct smtp_session *sess, const char *doing, char *why, size_t len);
void smtp_said(const struct smtp_session *sess, const struct smtp_reply *r, const char *cmd,
               char *why, size_t len);
/* Decide open recipients (all, or the accepted ones) by the reply's class. */
void smtp_fail_open(struct smtp_dest *d, struct smtp_session *sess, const struct smtp_reply *r,
                    const char *why, bool accepted_only);
/* Defer every open recipient: the connection failed after one was accepted. */
void smtp_defer_open(struct smtp_dest *d, struct smtp_session *sess, const char *why);
bool smtp_any_open(const struct smtp_dest *d);
/* This server did not take the mail: note why, for when none does. */
enum smtp_next smtp_next_server(struct smtp_dest *d, struct smtp_session *sess, const char *dsn,
                                const char *why);
void smtp_quit(struct smtp_session *sess);

/* smtp_helo.c: greeting, EHLO/HELO and STARTTLS; SMTP_NEXT_DONE to go on with MAIL. */
enum smtp_next smtp_helo(struct smtp_dest *d, struct smtp_session *sess, bool tls_ok);
/* smtp_sasl.c: open smtp_sasl_password_maps (as root); AUTH when it has a login for sess. */
void smtp_sasl_init(void);
enum smtp_next smtp_sasl_login(struct smtp_dest *d, struct smtp_session *sess);
/* smtp_tls.c: the TLS level for a destination (smtp_tls_policy_maps, smtp_tls_security_level). */
enum smtp_tls_level {
    SMTP_TLS_NONE,
    SMTP_TLS_MAY,
    SMTP_TLS_ENCRYPT,
    SMTP_TLS_VERIFY,
    SMTP_TLS_SECURE,
};
void smtp_tls_init(void);
enum smtp_tls_level smtp_tls_policy(const struct smtp_dest *d);

/*
 * smtp_cache.c: one session kept open per process for the next message to
 * the same destination.  smtp_cache_wanted(): may this session be kept?
 * smtp_cache_put() takes it (and its stream); smtp_cache_run() delivers d
 * over the kept session when there is one for d (true: every recipient
 * has an outcome).  smtp_cache_close() ends a kept session (at exit).
 */
bool smtp_cache_wanted(const struct smtp_session *sess);
void smtp_cache_put(struct smtp_dest *d, struct smtp_session *sess);
bool smtp_cache_run(struct smtp_dest *d);
void smtp_cache_close(void);

/*
 * smtp_mime.c: for a server without 8BITMIME, the 7-bit copy of an 8-bit
 * message (in d->conv when d->converted); -1 with *why_r: defer.
 */
int smtp_mime_downgrade(struct smtp_dest *d, const char **why_r);
void smtp_mime_free(struct smtp_dest *d);

/* smtp_trans.c: MAIL, RCPT, DATA and the message; every recipient decided unless NEXT_SERVER. */
enum smtp_next smtp_transaction(struct smtp_dest *d, struct smtp_session *sess);

/* smtp_body.c: send the message content of d after DATA; -1 with the stream's error. */
int smtp_body_send(struct smtp_dest *d, struct stream *s);
/*
 * Send it in BDAT chunks instead, the last with LAST: 0 with the final
 * reply in *r (2xx), 1 when a chunk was refused (its reply in *r), -1 lost
 * (why set).
 */
int smtp_body_bdat(struct smtp_dest *d, struct smtp_session *sess, struct smtp_reply *r, char *why,
                   size_t len);

#endif
