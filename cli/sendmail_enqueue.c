/*
 * sendmail_enqueue.c - sendmail's ordinary mode: one message from
 * standard input to postdrop (see sendmail.h), checked first so that a
 * mistake gets one line on standard error, Postfix's sysexits.h code, and
 * nothing queued:
 *
 *   EX_USAGE        no recipients ("Recipient addresses must be specified
 *                   on the command line or via the -t option", or with -t
 *                   "No recipient addresses found in message header"), a
 *                   malformed address on the command line or after -f
 *   EX_DATAERR      with -t, a header whose addresses do not parse
 *                   ("unable to extract recipients"), or unreadable input
 *   EX_UNAVAILABLE  a message over message_size_limit ("message file too
 *                   big": Postfix's CLEANUP_STAT_SIZE)
 *
 * Recipients on the command line are address lists, as in Postfix
 * ("a@b, c@d" and "Name <a@b>" work); with -t the header's are added to
 * them.  Bare local parts get @$myorigin, as Postfix's append_at_myorigin.
 */
#include "sys_defs.h"
#include <sysexits.h>
#include "sendmail.h"
#include "addr_list.h"
#include "mail_params.h"
#include "mymalloc.h"
#include "msg.h"
#include "qfile.h"
#include "strutil.h"
#include "submit.h"

#define SM_READ_CHUNK 65536

int sm_qualify(struct mail_addr *a)
{
    if (a->null || a->domain[0])
        return 0;
    if (strlen(var_myorigin) > MAIL_ADDR_DOMAIN_MAX)
        return -1;
    str_copy(a->domain, var_myorigin, sizeof(a->domain));
    a->literal = var_myorigin[0] == '[';
    return 0;
}

void sm_env_add(struct sm_envelope *e, const struct mail_addr *a, int notify)
{
    char text[MAIL_ADDR_TEXT_MAX + 1];
    size_t i;

    mail_addr_internal(a, text, sizeof(text));
    for (i = 0; i < e->n; i++)
        if (strcmp(e->rcpts[i].address, text) == 0 && e->rcpts[i].notify == notify)
            return;
    if (e->n >= QFILE_RCPT_MAX)
        sm_fail(EX_USAGE, "too many recipients");
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 8;
        e->rcpts = xreallocarray(e->rcpts, e->cap, sizeof(*e->rcpts));
    }
    str_copy(e->rcpts[e->n].address, text, sizeof(e->rcpts[e->n].address));
    e->rcpts[e->n++].notify = notify;
}

void sm_env_free(struct sm_envelope *e)
{
    free(e->rcpts);
    memset(e, 0, sizeof(*e));
}

/* An address list from the command line, into e. */
static void sm_add_list(struct sm_envelope *e, const char *text, int notify)
{
    struct addr_list l;
    const char *why;
    size_t i;

    addr_list_init(&l, QFILE_RCPT_MAX);
    if (addr_list_parse((const unsigned char *)text, strlen(text), &l, &why) < 0)
        sm_fail(EX_USAGE, "bad recipient address \"%.100s\": %s", text, why);
    for (i = 0; i < l.n; i++) {
        if (sm_qualify(l.addrs + i) < 0)
            sm_fail(EX_USAGE, "recipient address \"%.100s\" too long with @%s", text, var_myorigin);
        sm_env_add(e, l.addrs + i, notify);
    }
    addr_list_free(&l);
}

/* The envelope sender: -f's one address (or <>), else login@$myorigin. */
static void sm_sender(const struct sm_opts *o, struct sm_envelope *e)
{
    const char *text = o->sender ? o->sender : sm_login();
    struct addr_list l;
    const char *why;

    if (o->sender && (strcmp(text, "") == 0 || strcmp(text, "<>") == 0)) {
        e->sender[0] = 0;
        return;
    }
    addr_list_init(&l, 1);
    if (addr_list_parse((const unsigned char *)text, strlen(text), &l, &why) < 0 || l.n != 1)
        sm_fail(o->sender ? EX_USAGE : EX_OSERR, "%s \"%.100s\": %s",
                o->sender ? "-f option specified malformed sender" : "login name not an address",
                text,
                l.n > 1 ? "more than one address"
                : l.n   ? why
                        : "no address");
    if (sm_qualify(l.addrs) < 0)
        sm_fail(EX_USAGE, "sender address too long with @%s", var_myorigin);
    mail_addr_internal(l.addrs, e->sender, sizeof(e->sender));
    addr_list_free(&l);
}

/* The message on standard input, as submit.h reads it. */
static void sm_read(const struct sm_opts *o, struct submit_input *in, long long limit)
{
    unsigned char *chunk = xmalloc(SM_READ_CHUNK);
    ssize_t n;
    int r = 0;

    submit_input_init(in, limit, o->dot_ends);
    while (r == 0 && (n = read(0, chunk, SM_READ_CHUNK)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            sm_fail(EX_DATAERR, "error reading input: %m");
        }
        r = submit_input_feed(in, chunk, (size_t)n);
    }
    if (r < 0 || submit_input_end(in) < 0)
        sm_fail(EX_UNAVAILABLE, "message file too big");
    free(chunk);
}

/* The full name for an added From:: -F, $NAME, or the account's, as Postfix's fullname(). */
static const char *sm_full_name(const struct sm_opts *o)
{
    static char name[SUBMIT_NAME_MAX + 1];
    const char *env = getenv("NAME"), *g;
    struct passwd *pw;
    size_t n = 0;

    if (o->full_name)
        return o->full_name;
    if (env && *env)
        return env;
    if ((pw = getpwuid(getuid())) == NULL || pw->pw_gecos == NULL)
        return NULL;
    /* The GECOS field up to its first comma, "&" meaning the login name capitalized. */
    for (g = pw->pw_gecos; *g && *g != ',' && n < SUBMIT_NAME_MAX; g++) {
        if (*g != '&') {
            name[n++] = *g;
            continue;
        }
        for (const char *l = pw->pw_name; *l && n < SUBMIT_NAME_MAX; l++)
            name[n++] = l == pw->pw_name ? (char)toupper((unsigned char)*l) : *l;
    }
    name[n] = 0;
    return name;
}

static void sm_headers(const struct sm_opts *o, const struct submit_input *in,
                       struct sm_envelope *e, struct submit_msg *m)
{
    struct submit_opts so = {.extract = o->extract,
                             .sender = e->sender,
                             .full_name = sm_full_name(o),
                             .hostname = var_myhostname,
                             .pid = (long)getpid()};
    const char *why;
    size_t i;

    gettimeofday(&so.now, NULL);
    if (submit_headers((const unsigned char *)buf_str(&in->text), in->text.len, &so, m, &why) < 0)
        sm_fail(EX_DATAERR, "unable to extract recipients from the %s: header: %s", m->bad_header,
                why);
    for (i = 0; i < m->rcpts.n; i++) {
        if (sm_qualify(m->rcpts.addrs + i) < 0)
            sm_fail(EX_DATAERR, "a recipient in the message header is too long with @%s",
                    var_myorigin);
        sm_env_add(e, m->rcpts.addrs + i, o->notify);
    }
}

void sm_enqueue(const struct sm_opts *o)
{
    long long limit = var_message_size_limit > 0 && var_message_size_limit < QFILE_MESSAGE_MAX
                          ? var_message_size_limit
                          : QFILE_MESSAGE_MAX;
    struct sm_envelope e = {.dsn_ret = o->dsn_ret, .dsn_envid = o->dsn_envid};
    struct submit_input in;
    struct submit_msg m;
    char **arg;
    int status;

    sm_sender(o, &e);
    for (arg = o->rcpts; *arg; arg++)
        sm_add_list(&e, *arg, o->notify);
    sm_read(o, &in, limit);
    sm_headers(o, &in, &e, &m);
    if (e.n == 0)
        sm_fail(EX_USAGE, o->extract ? "No recipient addresses found in message header"
                                     : "Recipient addresses must be specified on the command "
                                       "line or via the -t option");
    if ((long long)(m.header.len + in.text.len - m.body) > limit)
        sm_fail(EX_UNAVAILABLE, "message file too big");
    if (msg_verbose)
        msg_info("from=<%s>, nrcpt=%zu, size=%zu", e.sender, e.n,
                 m.header.len + in.text.len - m.body);
    status = sm_drop(&e, &m.header, (const unsigned char *)buf_str(&in.text) + m.body,
                     in.text.len - m.body);
    submit_msg_free(&m);
    submit_input_free(&in);
    sm_env_free(&e);
    exit(status);
}
