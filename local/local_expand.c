/*
 * local_expand.c - one recipient of the queue file, as Postfix's local(8)
 * expands it:
 *
 *   1. an alias (alias_maps, keys are local parts: user+ext, then user)
 *      becomes its destinations, with the rights of the alias file's owner
 *      (default_privs when that is root) for files and commands;
 *   2. otherwise the account (postmaster without an alias is root's): its
 *      first forward_path file (~/.forward) becomes its destinations, with
 *      the user's rights; without one, the user's mailbox;
 *   3. a destination that is an address of ours starts again at 1 (the
 *      address being expanded itself, or \user, means the mailbox), one of
 *      another domain is forwarded (local_resubmit.c), and :include: files
 *      are read with the rights of the level that names them, their own
 *      owner's rights applying to what they name.
 *
 * A message whose Delivered-To: headers already name an address being
 * expanded is in a forwarding loop, and so is an expansion deeper than
 * LOCAL_EXPAND_DEPTH: both fail the recipient.  Each destination is
 * delivered once (a set of what was done), each outcome logged, and the
 * queue file's recipient gets the sum: deferred if anything deferred (the
 * whole expansion is tried again later, and Maildir and mbox copies made
 * already are found then, not made twice), else failed if anything failed,
 * else delivered.
 */
#include "sys_defs.h"
#include "local.h"
#include "header.h"
#include "htable.h"
#include "iostuff.h"
#include "log_delivery.h"
#include "mail_params.h"
#include "maps.h"
#include "mymalloc.h"
#include "msg.h"
#include "resolve.h"
#include "strutil.h"

#define LOCAL_EXPAND_DEPTH 20
#define LOCAL_HEADER_SCAN (64 * 1024) /* where Delivered-To: lines are looked for */

/* The bits of allow_mail_to_commands and _files, in LIST_SOURCES' order. */
enum list_source { FROM_ALIAS = 1, FROM_FORWARD = 2, FROM_INCLUDE = 4 };
#define LIST_SOURCES "alias|forward|include"

static struct maps *local_aliases;
static unsigned local_allow_commands, local_allow_files; /* FROM_* bits */
static struct local_user local_default_privs;

/* Everything one queue-file recipient's expansion shares. */
struct expansion {
    struct local_dest dest; /* dest.address changes as the expansion goes */
    struct local_result sum;
    int delivered, deferred, failed;
    struct htable *done; /* "m:user", "f:/path", ...: per request (local_msg) */
    char **remote;       /* addresses to forward */
    size_t nremote, remote_cap;
    char **loops; /* Delivered-To: addresses of the message, lower case */
    size_t nloops;
};

/* One level: whose rights, and what named it. */
struct level {
    int depth;
    enum list_source source;
    struct local_rights rights;
    const char *self;       /* the address this level expands (internal form), lower case */
    const struct level *up; /* the level that led here */
    const char *alias;      /* the alias key this level expanded, or NULL */
};

#define NO_ALIAS 0x1   /* deliver to the account: \user, or the address expanding itself */
#define NO_FORWARD 0x2 /* ...and skip its .forward: \user, or a .forward naming its owner */

static void expand_address(struct expansion *x, const struct level *up, const char *address,
                           int flags);

/* Settings ---------------------------------------------------------------- */

int local_expand_init(char **error_r)
{
    local_allow_commands = mail_param_set_bits(var_allow_mail_to_commands, LIST_SOURCES);
    local_allow_files = mail_param_set_bits(var_allow_mail_to_files, LIST_SOURCES);
    if (local_user_by_name(var_default_privs, &local_default_privs) != LOCAL_USER_FOUND ||
        local_default_privs.uid == 0 || local_default_privs.gid == 0) {
        *error_r =
            xasprintf("default_privs: \"%s\" is not an unprivileged account", var_default_privs);
        return -1;
    }
    return maps_open("alias_maps", var_alias_maps, &local_aliases, error_r);
}

/* Outcomes ---------------------------------------------------------------- */

static void outcome(struct expansion *x, const char *to, const char *relay,
                    const struct local_result *res)
{
    const struct qmsg *q = x->dest.m->q;
    /* The address the message came in for: before any virtual alias, too. */
    const char *orig = x->dest.rcpt->orcpt ? x->dest.rcpt->orcpt : x->dest.rcpt->address;

    log_delivery_orig(x->dest.m->queue_id, to, str_eq_nocase(to, orig) ? NULL : orig, relay,
                      q->arrival_sec, q->arrival_usec, res->dsn, deliver_status_name(res->status),
                      res->reason);
    if (res->status == DELIVER_SENT) {
        x->delivered++;
        return;
    }
    if (res->status == DELIVER_DEFERRED ? x->deferred++ == 0 : x->failed++ == 0 && !x->deferred)
        x->sum = *res; /* the first of the worst kind gives the reason */
}

static void fail(struct expansion *x, const char *to, const char *dsn, const char *fmt, ...)
    PRINTFLIKE(4, 5);

static void fail(struct expansion *x, const char *to, const char *dsn, const char *fmt, ...)
{
    struct local_result res = {.status = DELIVER_BOUNCED};
    va_list ap;

    str_copy(res.dsn, dsn, sizeof(res.dsn));
    va_start(ap, fmt);
    vsnprintf(res.reason, sizeof(res.reason), fmt, ap);
    va_end(ap);
    if (dsn[0] == '4')
        res.status = DELIVER_DEFERRED;
    outcome(x, to, "local", &res);
}

/* Has this destination been done in this expansion?  Marks it done. */
static bool already(struct expansion *x, char kind, const char *what)
{
    char *key = xasprintf("%c:%s", kind, what);
    bool seen = htable_find(x->done, key) != NULL;

    if (!seen)
        htable_enter(x->done, key, (void *)1);
    free(key);
    return seen;
}

/* Loops --------------------------------------------------------------------- */

static int note_delivered_to(const struct header_field *f, void *ctx)
{
    struct expansion *x = ctx;

    if (header_is(f, "Delivered-To") && x->nloops < 1000) {
        x->loops = xreallocarray(x->loops, x->nloops + 1, sizeof(*x->loops));
        x->loops[x->nloops] = xstrndup(f->value, strcspn(f->value, " \t"));
        str_lower(x->loops[x->nloops++]);
    }
    return 0;
}

/* Read the Delivered-To: lines of the message's header, once. */
static void read_loops(struct expansion *x)
{
    const struct local_msg *m = x->dest.m;
    size_t len =
        m->q->content_len < LOCAL_HEADER_SCAN ? (size_t)m->q->content_len : LOCAL_HEADER_SCAN;
    unsigned char *text = xmalloc(len + 1);
    ssize_t n = pread_full(m->fd, text, len, m->q->content_offset);

    if (n > 0)
        (void)header_scan(text, (size_t)n, note_delivered_to, x, NULL);
    free(text);
}

static bool in_loop(const struct expansion *x, const char *address)
{
    size_t i;

    for (i = 0; i < x->nloops; i++)
        if (str_eq_nocase(x->loops[i], address))
            return true;
    return false;
}

/* Destinations -------------------------------------------------------------- */

/* The rights a list's files and commands run with: its owner's, never root's. */
static struct local_rights owner_rights(uid_t owner, const struct local_rights *fallback,
                                        struct local_user *store)
{
    if (owner != 0 && local_user_by_uid(owner, store) == LOCAL_USER_FOUND)
        return (struct local_rights){store->uid, store->gid, store};
    if (owner != 0)
        return *fallback;
    return (struct local_rights){local_default_privs.uid, local_default_privs.gid,
                                 &local_default_privs};
}

static void deliver_file(struct expansion *x, const struct level *lv, const char *path)
{
    struct local_result res;

    if (already(x, 'f', path))
        return;
    if (!(local_allow_files & lv->source)) {
        fail(x, lv->self, "5.7.1", "mail to file is restricted");
        return;
    }
    local_deliver_file(&x->dest, path, &lv->rights, &res);
    outcome(x, lv->self, "local", &res);
}

static void deliver_command(struct expansion *x, const struct level *lv, const char *command)
{
    struct local_result res;

    if (already(x, 'c', command))
        return;
    if (!(local_allow_commands & lv->source)) {
        fail(x, lv->self, "5.7.1", "mail to command is restricted");
        return;
    }
    local_deliver_command(&x->dest, command, &lv->rights, &res);
    outcome(x, lv->self, "local", &res);
}

static void expand_list(struct expansion *x, const struct level *lv, const struct alias_list *l);

static void deliver_include(struct expansion *x, const struct level *lv, const char *path)
{
    struct level next = *lv;
    struct local_user owner;
    struct alias_list l;
    const char *why;
    uid_t uid;
    int r;

    next.up = lv;
    next.alias = NULL;
    if (already(x, 'i', path))
        return;
    if (lv->depth >= LOCAL_EXPAND_DEPTH) {
        fail(x, lv->self, "5.4.6", "mail forwarding loop for %s", lv->self);
        return;
    }
    if ((r = local_read_list(path, &lv->rights, false, &l, &uid, &why)) <= 0) {
        if (r == 0)
            fail(x, lv->self, "5.3.0", "cannot open include file %s: No such file", path);
        else
            fail(x, lv->self, "4.3.0", "cannot use include file %s: %s", path, why);
        return;
    }
    next.depth++;
    next.source = FROM_INCLUDE;
    next.rights = owner_rights(uid, &lv->rights, &owner);
    expand_list(x, &next, &l);
    alias_list_free(&l);
}

static void remember_remote(struct expansion *x, const char *address)
{
    if (already(x, 'a', address))
        return;
    if (x->nremote == x->remote_cap) {
        x->remote_cap = x->remote_cap ? x->remote_cap * 2 : 8;
        x->remote = xreallocarray(x->remote, x->remote_cap, sizeof(*x->remote));
    }
    x->remote[x->nremote++] = xstrdup(address);
}

/*
 * An item's address in internal form; a bare name gets the domain of the
 * address being expanded (Postfix gives it $myorigin: for our own domains
 * both are local, and this keeps the domain the mail came for, which the
 * virtual domains of a later issue will need).
 */
static void qualify(const struct level *lv, const struct mail_addr *a, char *out, size_t len)
{
    const char *at = strrchr(lv->self, '@');

    if (a->domain[0] == 0 && at)
        snprintf(out, len, "%s%s", a->local, at);
    else
        mail_addr_internal(a, out, len);
}

/* Is text (an item's address, qualified) the address this level expands? */
static bool is_self(const struct level *lv, const struct alias_item *it UNUSED, const char *text)
{
    return str_eq_nocase(text, lv->self);
}

/*
 * \user is the account's mailbox, nothing else.  An address naming itself
 * ("bob: bob", a .forward that keeps a copy) must not expand again: from an
 * alias it goes to the account (and its .forward), from a .forward to the
 * mailbox.
 */
static int item_flags(const struct level *lv, const struct alias_item *it, const char *text)
{
    if (it->type == ALIAS_ITEM_NOALIAS)
        return NO_ALIAS | NO_FORWARD;
    if (is_self(lv, it, text))
        return NO_ALIAS | (lv->source == FROM_FORWARD ? NO_FORWARD : 0);
    return 0;
}

static void expand_list(struct expansion *x, const struct level *lv, const struct alias_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        const struct alias_item *it = l->items + i;
        char text[MAIL_ADDR_TEXT_MAX + 1];

        switch (it->type) {
        case ALIAS_ITEM_ADDRESS:
        case ALIAS_ITEM_NOALIAS:
            qualify(lv, &it->addr, text, sizeof(text));
            expand_address(x, lv, text, item_flags(lv, it, text));
            break;
        case ALIAS_ITEM_FILE:
            deliver_file(x, lv, it->text);
            break;
        case ALIAS_ITEM_COMMAND:
            deliver_command(x, lv, it->text);
            break;
        case ALIAS_ITEM_INCLUDE:
            deliver_include(x, lv, it->text);
            break;
        case ALIAS_ITEM_BAD:
            fail(x, lv->self, "5.1.3", "%s", it->text);
            break;
        }
    }
}

/* Addresses ----------------------------------------------------------------- */

/* The alias for a, if there is one: 1 expanded, 0 none, -1 (outcome logged) failed. */
static int expand_alias(struct expansion *x, const struct level *lv, const struct mail_addr *a)
{
    struct level next = {lv->depth + 1, FROM_ALIAS, {0, 0, NULL}, lv->self, lv, NULL};
    struct local_user owner;
    struct alias_list l;
    const char *value, *why;
    char *err = NULL;
    uid_t uid = 0;
    int r;

    if ((r = maps_find_local(local_aliases, a->local, &value, &err)) <= 0) {
        if (r < 0) {
            fail(x, lv->self, "4.3.0", "alias database unavailable: %s", err);
            free(err);
        }
        return r;
    }
    /* An alias met again on the way down is a loop (a: b, b: a). */
    for (const struct level *p = lv; p; p = p->up) {
        if (p->alias && str_eq_nocase(p->alias, a->local)) {
            fail(x, lv->self, "5.4.6", "mail forwarding loop for %s", lv->self);
            return -1;
        }
    }
    next.up = lv;
    next.alias = a->local;
    if (alias_list_parse(value, strlen(value), &l, &why) < 0) {
        fail(x, lv->self, "5.3.0", "bad alias for %s: %s", a->local, why);
        return -1;
    }
    (void)maps_last_owner(local_aliases, &uid); /* no file (inline:): as if root's */
    next.rights = owner_rights(uid, &next.rights, &owner);
    expand_list(x, &next, &l);
    alias_list_free(&l);
    return 1;
}

/* The user's first forward_path file, expanded for the user; 1 if one was used. */
static int expand_forward(struct expansion *x, const struct level *lv, const struct local_user *u)
{
    struct level next = {lv->depth + 1, FROM_FORWARD, {u->uid, u->gid, u}, lv->self, lv, NULL};
    char **paths = local_forward_paths(u), **p;
    struct alias_list l;
    const char *why;
    uid_t owner;
    int r = 0;

    for (p = paths; *p && r == 0; p++) {
        if ((r = local_read_list(*p, &next.rights, true, &l, &owner, &why)) < 0) {
            /* Postfix ignores a .forward it may not trust, with a warning. */
            msg_warn("%s: %s: %s; not used", x->dest.m->queue_id, *p, why);
            r = 0;
        }
    }
    str_list_free(paths);
    if (r > 0) {
        expand_list(x, &next, &l);
        alias_list_free(&l);
    }
    return r;
}

static void deliver_user(struct expansion *x, const struct level *lv, const struct mail_addr *a,
                         int flags)
{
    char key[2 * LOCAL_USER_NAME_MAX + 2];
    struct local_result res;
    struct local_user u;
    const char *local = a->local;

    /* postmaster is always accepted (RFC 5321); with no alias, root reads it. */
    if (str_eq_nocase(local, "postmaster"))
        local = "root";
    switch (local_user_lookup(local, &u)) {
    case LOCAL_USER_RETRY:
        fail(x, lv->self, "4.3.0", "user lookup failed; will try again");
        return;
    case LOCAL_USER_UNKNOWN:
        fail(x, lv->self, "5.1.1", "unknown user: \"%s\"", u.name[0] ? u.name : a->local);
        return;
    }
    if (!(flags & NO_FORWARD) && expand_forward(x, lv, &u) > 0)
        return;
    /* One copy per mailbox (and folder) in a request, whatever led to it. */
    snprintf(key, sizeof(key), "%s%s%s", u.name, u.extension[0] ? "+" : "", u.extension);
    if (already(x, 'm', key))
        return;
    local_deliver_mailbox(&x->dest, &u, &res);
    outcome(x, lv->self, "local", &res);
}

static void expand_address(struct expansion *x, const struct level *up, const char *address,
                           int flags)
{
    char self[MAIL_ADDR_TEXT_MAX + 1];
    struct level lv = *up;
    struct resolve_result r;
    struct mail_addr a;
    const char *saved = x->dest.address;

    if (mail_addr_from_internal(address, &a) < 0) {
        fail(x, address, "5.1.3", "bad address syntax");
        return;
    }
    resolve_addr(&a, &r);
    if (r.tempfail) {
        fail(x, address, "4.3.0", "address resolver failure");
        return;
    }
    if (r.cls != RESOLVE_LOCAL) {
        remember_remote(x, address);
        return;
    }
    str_copy(self, address, sizeof(self));
    str_lower(self);
    if (in_loop(x, self) || up->depth >= LOCAL_EXPAND_DEPTH) {
        fail(x, address, "5.4.6", "mail forwarding loop for %s", address);
        return;
    }
    lv.self = self;
    lv.up = up;
    lv.alias = NULL;
    x->dest.address = address;
    if ((flags & NO_ALIAS) || expand_alias(x, &lv, &a) == 0)
        deliver_user(x, &lv, &a, flags);
    x->dest.address = saved;
}

/* The recipient --------------------------------------------------------------- */

static void expansion_free(struct expansion *x)
{
    size_t i;

    for (i = 0; i < x->nremote; i++)
        free(x->remote[i]);
    for (i = 0; i < x->nloops; i++)
        free(x->loops[i]);
    free(x->remote);
    free(x->loops);
}

void local_deliver(const struct local_msg *m, const struct qrcpt *rcpt, struct local_result *res)
{
    struct expansion x;
    struct level top = {0, FROM_ALIAS, {0, 0, NULL}, rcpt->address, NULL, NULL};
    struct local_result fwd = {.forward_id = ""};

    memset(&x, 0, sizeof(x));
    x.dest = (struct local_dest){m, rcpt, rcpt->address};
    x.done = m->done;
    read_loops(&x);
    expand_address(&x, &top, rcpt->address, 0);
    /* Copies for other domains go only if nothing is tried again later:
     * a deferred recipient is expanded again, and would forward again. */
    if (x.nremote > 0 && x.deferred == 0) {
        local_resubmit(&x.dest, x.remote, x.nremote, &fwd);
        for (size_t i = 0; i < x.nremote; i++)
            outcome(&x, x.remote[i], "local", &fwd);
    }
    if (x.deferred || x.failed)
        *res = x.sum;
    else
        local_result_set(res, DELIVER_SENT, "2.0.0", "delivered");
    str_copy(res->forward_id, fwd.forward_id, sizeof(res->forward_id));
    expansion_free(&x);
}
