/*
 * account_cmds.c - add, del, passwd and list, each a series of atomic
 * steps (one rename each) in an order that makes a crash harmless.
 *
 * A user can log in once the password table has their hash, so that is
 * the last step of add and the first step del undoes: no crash leaves a
 * user who can log in without a mailbox.
 *
 *   add     1. the Maildir: made whole under a temporary name, renamed
 *           2. the mailbox map: its text, then FILE.db
 *           3. the password table: its text (then FILE.db for hash:)
 *   del     1. the password table: no more logins
 *           2. the mailbox map: no more mail
 *           (the Maildir is kept: a command never destroys mail)
 *   passwd  the password table, in one step (the user must be in the map)
 *
 * A crash between steps leaves a user whose mail is delivered but who
 * cannot log in.  Running the same command again finishes the job: add
 * accepts a map entry that is already what it would write, del goes on
 * with whatever is left, and every change rebuilds FILE.db even when the
 * text was already right, which repairs a crash between the two.
 */
#include "sys_defs.h"
#include <sysexits.h>
#include "account.h"
#include "domain_list.h"
#include "htable.h"
#include "mail_params.h"
#include "mymalloc.h"
#include "msg.h"
#include "server.h"
#include "strutil.h"

struct account_ctx {
    struct account_table map, pass;
    uid_t auth_uid;
    gid_t auth_gid;
};

/* The tables, and for a change the password file's owner and safe directories. */
static void account_setup(struct account_ctx *c, bool change)
{
    char *err;

    account_table_init(&c->map, "virtual_mailbox_maps", var_virtual_mailbox_maps);
    account_table_init(&c->pass, "auth_password_maps", var_auth_password_maps);
    if (!change)
        return;
    if (server_user_lookup("auth_owner", &c->auth_uid, &c->auth_gid, &err) < 0)
        account_fail(EX_CONFIG, "%s (scripts/accounts makes postern-auth)", err);
    account_table_check_dir(&c->map);
    account_table_check_dir(&c->pass);
}

/* A new password, hashed into hash; the clear text is wiped. */
static void account_new_hash(char *hash, size_t len)
{
    char password[PASS_CRYPT_PASSWORD_MAX + 1];
    const char *why;
    int ret;

    account_password_read(true, password, sizeof(password));
    ret = pass_crypt_hash(password, PASS_SCHEME_BEST, hash, len, &why);
    explicit_bzero(password, sizeof(password));
    if (ret < 0)
        account_fail(EX_SOFTWARE, "cannot hash the password: %s", why);
}

/* add may go on: no password yet, and no other mailbox in the map. */
static void account_add_check(const struct account_ctx *c, const struct account_user *u,
                              const char *value)
{
    char *old;

    if ((old = account_table_get(&c->pass, u->text)) != NULL)
        account_fail(EX_CANTCREAT, "%s already exists", u->text);
    if ((old = account_table_get(&c->map, u->text)) != NULL && strcmp(old, value) != 0)
        account_fail(EX_CANTCREAT,
                     "%s is in %s already, with \"%s\": give it a password with passwd, "
                     "or del it first",
                     u->text, c->map.file, old);
    free(old);
}

/* Mail to a domain that is not a virtual mailbox domain never reaches the Maildir. */
static void account_domain_note(const struct account_user *u)
{
    struct domain_list *l;
    char *err = NULL;
    int r;

    if (domain_list_init("virtual_mailbox_domains", var_virtual_mailbox_domains, false, &l, &err) <
        0) {
        msg_warn("%s", err);
        free(err);
        return;
    }
    if ((r = domain_list_match(l, u->addr.domain, &err)) == 0)
        msg_warn("%s is not in virtual_mailbox_domains: mail to %s is not delivered to the "
                 "new Maildir until it is",
                 u->addr.domain, u->text);
    else if (r < 0)
        msg_warn("%s", err);
    free(err);
    domain_list_free(l);
}

int account_add(const struct account_args *a)
{
    struct account_ctx c;
    char hash[PASS_CRYPT_HASH_MAX], value[MAIL_ADDR_TEXT_MAX + 64];

    account_setup(&c, true);
    account_mailbox_value(&a->user, a->quota, value, sizeof(value));
    account_add_check(&c, &a->user, value);
    account_new_hash(hash, sizeof(hash));
    account_lock(&c.pass);
    account_add_check(&c, &a->user, value); /* again, now that nobody else changes them */
    account_domain_note(&a->user);
    account_maildir_make(&a->user);
    (void)account_table_set(&c.map, a->user.text, value, (uid_t)-1, (gid_t)-1, 0);
    (void)account_table_set(&c.pass, a->user.text, hash, c.auth_uid, c.auth_gid, 0600);
    explicit_bzero(hash, sizeof(hash));
    return 0;
}

/* Is key in the table, as its text says or as its FILE.db does? */
static bool account_in(const struct account_table *t, const char *key)
{
    char *v = account_table_get(t, key);

    free(v);
    return v != NULL || account_table_built_has(t, key);
}

int account_del(const struct account_args *a)
{
    struct account_ctx c;

    account_setup(&c, true);
    account_lock(&c.pass);
    if (!account_in(&c.pass, a->user.text) && !account_in(&c.map, a->user.text))
        account_fail(EX_NOUSER, "%s: no such user", a->user.text);
    (void)account_table_set(&c.pass, a->user.text, NULL, c.auth_uid, c.auth_gid, 0600);
    (void)account_table_set(&c.map, a->user.text, NULL, (uid_t)-1, (gid_t)-1, 0);
    return 0;
}

static void account_need_mailbox(const struct account_ctx *c, const struct account_user *u)
{
    char *v = account_table_get(&c->map, u->text);

    if (v == NULL)
        account_fail(EX_NOUSER, "%s: no such user in %s", u->text, c->map.file);
    free(v);
}

int account_passwd(const struct account_args *a)
{
    struct account_ctx c;
    char hash[PASS_CRYPT_HASH_MAX];

    account_setup(&c, true);
    account_need_mailbox(&c, &a->user);
    account_new_hash(hash, sizeof(hash));
    account_lock(&c.pass);
    account_need_mailbox(&c, &a->user);
    (void)account_table_set(&c.pass, a->user.text, hash, c.auth_uid, c.auth_gid, 0600);
    explicit_bzero(hash, sizeof(hash));
    return 0;
}

/* list ------------------------------------------------------------------ */

struct account_listing {
    const char *domain; /* only this domain, or NULL */
    bool have_pass;     /* the password table could be read */
    struct htable pass; /* its keys */
    struct htable seen; /* the map's keys printed so far */
};

static char account_mark[] = "";

/* Users are address keys (a map may also have domain keys, for virtual_mailbox_domains). */
static bool account_listed(const struct account_listing *l, const char *key)
{
    const char *at = strrchr(key, '@');

    return at && at > key && (l->domain == NULL || str_eq_nocase(at + 1, l->domain));
}

static void account_list_key(const char *key, const char *value UNUSED, void *ctx)
{
    struct htable *t = ctx;

    if (htable_find(t, key) == NULL)
        htable_enter(t, key, account_mark);
}

static void account_list_user(const char *key, const char *value, void *ctx)
{
    struct account_listing *l = ctx;

    if (!account_listed(l, key) || htable_find(&l->seen, key) != NULL)
        return;
    htable_enter(&l->seen, key, account_mark);
    printf("%s %s%s\n", key, value,
           l->have_pass && htable_find(&l->pass, key) == NULL ? " (no password)" : "");
}

/* A password without a mailbox: only a crash or a hand edit makes one. */
static void account_list_orphan(const char *key, const char *value UNUSED, void *ctx)
{
    struct account_listing *l = ctx;

    if (!account_listed(l, key) || htable_find(&l->seen, key) != NULL)
        return;
    htable_enter(&l->seen, key, account_mark);
    printf("%s - (no mailbox map entry)\n", key);
}

int account_list(const struct account_args *a)
{
    struct account_listing l = {.domain = a->domain};
    struct account_ctx c;

    account_setup(&c, false);
    htable_init(&l.pass, 64);
    htable_init(&l.seen, 64);
    if ((l.have_pass = account_table_readable(&c.pass)))
        account_table_walk(&c.pass, account_list_key, &l.pass);
    account_table_walk(&c.map, account_list_user, &l);
    if (l.have_pass)
        account_table_walk(&c.pass, account_list_orphan, &l);
    if (fflush(stdout) != 0 || ferror(stdout))
        account_fail(EX_IOERR, "write the list: %m");
    htable_free(&l.pass);
    htable_free(&l.seen);
    return 0;
}
